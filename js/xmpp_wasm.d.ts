// xmpp-wasm: the types of the public API (hand-written beside js/, the JavaScript layer; the wasm
// core behind it has no types of its own). scripts/assemble.mjs adds the init functions of each
// build target. Checked with `tsc --strict` and lib ES2022 + DOM (examples/ts/).

/** Options of `new Connection(service, options)`. Unknown keys throw. */
export interface ConnectionOptions {
    /** SASL mechanisms to use, in order of preference (default: strongest first). */
    mechanisms?: string[];
    /** BOSH `wait` in seconds (default 60). */
    wait?: number;
    /** BOSH `hold` (default 1). */
    hold?: number;
    /** BOSH `route` (`xmpp:host:port`). */
    route?: string;
    /** Content-Type of requests (default `text/xml; charset=utf-8`; `text/plain` avoids a CORS preflight). */
    contentType?: string;
    /** Largest response body accepted, in bytes (default 4 MiB). */
    maxBodySize?: number;
    /** Resends of one request before the session counts as lost (default 5). */
    maxRetries?: number;
    /** Milliseconds to coalesce stanzas before a body leaves (default 0: end of the current task). */
    idleInterval?: number;
    /** `xml:lang` of the session (default `en`). */
    lang?: string;
    /** Send cookies with cross-origin requests. */
    withCredentials?: boolean;
    /** Stop at BINDREQUIRED after authentication; then call `bind()`. */
    explicitResourceBinding?: boolean;
    /** Keep the session in sessionStorage so a reloaded page can `restore()` it. */
    keepalive?: boolean;
    /** Extra HTTP headers on every request. */
    customHeaders?: Record<string, string>;
    /** Highest SCRAM iteration count accepted from the server (default 100000, at least 4096); above it, AUTHFAIL `iteration-count-too-high`. */
    maxScramIterations?: number;
    /**
     * Reconnect a live session lost to the network or the server (default off): `true`, or
     * limits. Status RECONNECTING, then waits drawn from [0, min(maxDelay, initialDelay·2^n)]
     * (never less than 1 s between attempts), then a new login with the credentials kept in
     * memory (or, over WebSocket, a stream resumption); CONNECTED again (ATTACHED "resumed"
     * after a resumption). Stanzas sent meanwhile are sent on the new session; those that may
     * not have arrived go to `onUnacknowledged`. `disconnect()` ends it at once; after
     * `maxAttempts` failed attempts, CONNFAIL then DISCONNECTED. No reconnect after AUTHFAIL
     * or for attached/restored BOSH sessions (no credentials).
     */
    reconnect?: boolean | ReconnectLimits;
}

/** The limits of `reconnect`. */
export interface ReconnectLimits {
    /** Cap of the first wait, ms (default 1000); doubles per attempt. */
    initialDelay?: number;
    /** Largest cap, ms (default 30000). */
    maxDelay?: number;
    /** Attempts before giving up (default 0: never). */
    maxAttempts?: number;
}

/** `callback(status, condition)` of connect/attach/restore/prebind. */
export type StatusCallback = (status: Status, condition?: string) => void;

/** A stanza handler: gets the stanza as a DOM Element; return `true` to stay registered. */
export type StanzaHandler = (stanza: Element) => boolean;

/** Options of `addHandler`. */
export interface HandlerOptions {
    /** Compare only the bare JID of `from`. */
    matchBareFromJid?: boolean;
    /** Ignore a `#fragment` of namespaces. */
    ignoreNamespaceFragment?: boolean;
}

/** Options of `prebind(url, callback, options)`. */
export interface PrebindOptions {
    /** Ask the service for JSON `{jid, sid, rid}` instead of a BOSH-like XML body. */
    json?: boolean;
    /** The XMPP domain to send in the request. */
    to?: string;
    /** BOSH `wait` for the session. */
    wait?: number;
    /** BOSH `hold` for the session. */
    hold?: number;
}

/** What `send` and friends take: a DOM Element, a Builder, or a string of exactly one well-formed element. */
export type Stanza = Element | Builder | string;

/** Attribute values for `$build`, `c`, `attrs`: `null`/`undefined` removes the attribute. */
export type Attrs = Record<string, string | number | boolean | null | undefined>;

/**
 * Rejection of connect/attach/restore (and `bind`): the failed `status`, its
 * `condition` (`item-not-found`, `remote-connection-failed`, `not-authorized`…)
 * and the service `url`. When the transport failed, also the last HTTP status
 * (`httpStatus`) or network error (`networkError`: the browser's message, or
 * `timeout`), named in the message too.
 */
export class ConnectionError extends Error {
    private constructor();
    name: 'ConnectionError';
    /** The failed status; undefined when the call itself was refused (`connect` while connected, `bind` out of turn). */
    status?: Status;
    condition: string;
    /** The service URL; undefined when the call itself was refused. */
    url?: string;
    httpStatus?: number;
    networkError?: string;
}

/** Thrown by `restore()` when there is no session this page may continue. */
export class SessionError extends Error {
    private constructor();
    name: 'SessionError';
    reason: 'no-storage' | 'no-session' | 'bad-snapshot' | 'jid-mismatch' | 'session-in-use' | 'not-bosh';
    condition: string;
}

/** Rejection of sendIQAsync/sendPresenceAsync for an error answer. */
export class StanzaError extends Error {
    private constructor();
    name: 'StanzaError';
    condition: string;
    stanza: Element | null;
}

/** Rejection of `prebind` (the service failed, or its answer is unusable). */
export class PrebindError extends Error {
    private constructor();
    name: 'PrebindError';
    condition: 'prebind-failed' | 'prebind-unreachable' | 'bad-format' | string;
}

/** Rejection of sendIQAsync/sendPresenceAsync when no answer came within `timeout`. */
export class TimeoutError extends Error {
    private constructor();
    name: 'TimeoutError';
    condition: 'timeout';
}

/** Rejection of sendIQAsync/sendPresenceAsync when the session ended first. */
export class DisconnectedError extends Error {
    private constructor();
    name: 'DisconnectedError';
    condition: 'disconnected';
}

/** Rejection of sendIQAsync/sendPresenceAsync without an answer. */
export type NoAnswerError = TimeoutError | DisconnectedError;


/**
 * Builds a stanza by chaining, like Strophe.js:
 * `$msg({to, type: 'chat'}).c('body').t('hi').up().c('active', {xmlns})`.
 * Every method changes the builder it is called on and returns it, so
 * `b.c('body'); b.t('hi')` works too.
 */
export class Builder {
    /**
     * Sets attributes of the current element; `null`/`undefined` removes.
     */
    attrs(attrs: Attrs): Builder;
    /**
     * Adds a child `<name attrs…>` (with `text` inside, if given) and moves
     * into it — unless `text` is given, as in Strophe.js.
     */
    c(name: string, attrs?: Attrs | null, text?: string | number | null): Builder;
    /**
     * Adds a copy of a DOM element as a child and moves into it.
     */
    cnode(node: Element): Builder;
    /**
     * A builder whose root is `<name attrs…/>`.
     */
    constructor(name: string, attrs?: Attrs);
    /**
     * Moves to the root.
     */
    root(): Builder;
    /**
     * Adds text (escaped when serialised) to the current element.
     */
    t(text: string | number): Builder;
    /**
     * The stanza as XML text.
     */
    toString(): string;
    /**
     * The stanza as a DOM element.
     */
    tree(): Element;
    /**
     * Moves to the parent of the current element.
     */
    up(): Builder;
}


/**
 * An XMPP connection over BOSH. `new Connection(service, options)`.
 */
export class Connection {
    /**
     * Does nothing (the connection is garbage-collected); kept for code written for earlier
     * builds, where it released the wasm object.
     */
    free(): void;
    /**
     * Adds a stanza handler: `handler(element)` is called for each matching
     * stanza once connected; it stays while it returns `true`. Returns a
     * reference for `deleteHandler`.
     */
    addHandler(handler: StanzaHandler, ns?: string | null, name?: string | null, type?: string | string[] | null, id?: string | null, from?: string | null, options?: HandlerOptions): number;
    /**
     * Calls `handler()` every `period` milliseconds while it returns `true`.
     * Returns a reference for `deleteTimedHandler`.
     */
    addTimedHandler(period: number, handler: () => boolean): number;
    /**
     * Takes over an authenticated session opened elsewhere (prebind):
     * `rid` is the next rid to use (a number or a numeric string).
     * `callback(status, condition)` sees ATTACHED at once; stanzas sent in
     * that callback or right after this call ride in the very first request.
     * The promise resolves when the server has answered that request, and
     * rejects with ATTACHFAIL if it rejected it (fall back to `connect`).
     */
    attach(jid: string, sid: string, rid: number | string, callback?: StatusCallback | null, wait?: number | null, hold?: number | null, wind?: number | null): Promise<Status>;
    /**
     * Binds a resource after the status BINDREQUIRED (with the option
     * `explicitResourceBinding`); without `resource`, the one of the JID
     * given to `connect`, or the server's choice.
     */
    bind(resource?: string | null): void;
    /**
     * Logs in as `jid` with `password`. A JID without `@` (a bare domain)
     * means an anonymous login, which must be asked for with the option
     * `mechanisms: ['ANONYMOUS']`; otherwise it throws a `RangeError`.
     * `callback(status, condition)` sees every status change. The promise
     * resolves on CONNECTED and rejects with a `ConnectionError` (`status`,
     * `condition`, `url`, and `httpStatus` or `networkError` when the
     * transport failed).
     */
    connect(jid: string, password?: string | null, callback?: StatusCallback | null): Promise<Status>;
    /**
     * Removes a handler added with `addHandler`.
     */
    deleteHandler(handlerRef: number): boolean;
    /**
     * Removes a timed handler.
     */
    deleteTimedHandler(handlerRef: number): boolean;
    /**
     * Ends the session (an unavailable presence rides in the terminate
     * body). Resolves once DISCONNECTED.
     */
    disconnect(reason?: string | null): Promise<void>;
    /**
     * Sends queued stanzas now.
     */
    flush(): void;
    /**
     * Creates a connection to the BOSH service at `service`: an http(s) URL,
     * absolute or relative to the page (for example `/http-bind`).
     * `options` is an object of `ConnectionOptions`. A wrong type throws a
     * `TypeError`; an unknown key, a bad value, an unknown mechanism or a
     * service URL that is not http(s) a `RangeError`.
     */
    constructor(service: string, options?: ConnectionOptions);
    /**
     * Stops sending new bodies; stanzas keep queueing.
     */
    pause(): void;
    /**
     * Gets a session from a prebind service at `url` (http(s), absolute or
     * relative to the page) and attaches to it. The service may answer JSON
     * `{jid, sid, rid}` (rid: the next one) or a BOSH-like `<body sid rid>`
     * with the bound `<jid>` (rid: the last one used). `options`:
     * `{ to?, wait?, hold?, json?: boolean }` sent as a BOSH-like `<body/>`
     * POST (or asking for JSON). Any failure rejects with a `PrebindError`
     * and reports ATTACHFAIL to `callback`; nothing is left half open.
     */
    prebind(url: string, callback?: StatusCallback | null, options?: PrebindOptions): Promise<Status>;
    /**
     * Continues the session a previous page of this tab kept in
     * `sessionStorage` (`keepalive: true`). Throws a `SessionError` (with a
     * `reason`) when there is no sessionStorage, no stored session, one for
     * another bare JID than `jid`, one still used by a live page (a
     * duplicated tab), or the service is not BOSH. Otherwise like `attach`:
     * ATTACHED at once, and the promise settles when the server answered
     * (ATTACHFAIL if it no longer knows the session). The requests the old
     * page had not seen answered are resent first with their own rids and
     * bytes, so nothing is lost or duplicated. `wait`, `hold` and `wind`
     * are accepted for Strophe.js compatibility; the stored, negotiated
     * values are used.
     */
    restore(jid?: string | null, callback?: StatusCallback | null, wait?: number | null, hold?: number | null, wind?: number | null): Promise<Status>;
    /**
     * Sends what queued while paused.
     */
    resume(): void;
    /**
     * Promise form of `sendIQ`: resolves with the `result` element; rejects
     * with a `StanzaError` (its `condition`, and the `stanza` element) on an
     * `error` answer, a `TimeoutError` after `timeout` milliseconds, or a
     * `DisconnectedError`. Throws what `sendIQ` throws.
     */
    sendIQAsync(stanza: Stanza, timeout?: number | null): Promise<Element>;
    /**
     * Sends an IQ `get`/`set` and waits for its `result` (→ `callback(element)`)
     * or `error` (→ `errback(element)`); after `timeout` milliseconds, or if
     * the connection ends first, `errback(null)`. Returns the stanza id
     * (generated when missing).
     */
    sendIQ(stanza: Stanza, callback?: ((stanza: Element) => void) | null, errback?: ((stanza: Element | null) => void) | null, timeout?: number | null): string;
    /**
     * Promise form of `sendPresence`, settled like `sendIQAsync`.
     */
    sendPresenceAsync(stanza: Stanza, timeout?: number | null): Promise<Element>;
    /**
     * Sends a presence and waits for the presence answering it (same id):
     * `callback(element)`, or `errback(element)` for `type='error'`, or
     * `errback(null)` after `timeout` milliseconds. Returns the id.
     */
    sendPresence(stanza: Stanza, callback?: ((stanza: Element) => void) | null, errback?: ((stanza: Element | null) => void) | null, timeout?: number | null): string;
    /**
     * Sends a stanza: a DOM `Element`, a `Builder`, or a string holding
     * exactly one well-formed element. Anything else throws a `TypeError`
     * (with a `condition`) and nothing is sent.
     */
    send(stanza: Stanza): void;
    /**
     * Whether the login completed.
     */
    readonly authenticated: boolean;
    /**
     * Whether a session is open.
     */
    readonly connected: boolean;
    /**
     * The JID: as given to `connect`, then the bound full JID.
     */
    readonly jid: string | undefined;
    /**
     * Messages below this level are not logged (default `LogLevel.WARN`).
     */
    logLevel: LogLevel;
    /**
     * The SASL mechanism used by the login.
     */
    readonly mechanism: string | undefined;
    /**
     * Whether sending is paused.
     */
    readonly paused: boolean;
    /**
     * Called with stanzas that were sent but may not have arrived: those in BOSH requests a
     * lost session never answered, the unacknowledged ones of a stream that could not be
     * resumed, and, when reconnecting gives up, those sent while reconnecting. Resend what
     * matters (a resend may duplicate).
     */
    get onUnacknowledged(): ((stanzas: Element[], condition: string) => void) | undefined;
    /**
     * Sets the `onUnacknowledged` hook (a function, or `null` to remove it).
     */
    set onUnacknowledged(value: ((stanzas: Element[], condition: string) => void) | null);
    /**
     * Called with the text of every response body received.
     */
    get rawInput(): ((xml: string) => void) | undefined;
    /**
     * Sets the `rawInput` hook (a function, or `null` to remove it).
     */
    set rawInput(value: ((xml: string) => void) | null);
    /**
     * Called with the text of every request body sent.
     */
    get rawOutput(): ((xml: string) => void) | undefined;
    /**
     * Sets the `rawOutput` hook (a function, or `null` to remove it).
     */
    set rawOutput(value: ((xml: string) => void) | null);
    /**
     * The BOSH service URL (absolute; it changes after a `see-other-uri`
     * redirect).
     */
    readonly service: string;
    /**
     * Replaces the console as the destination of the library's messages:
     * `log(level, message)` (`null` gives the console back).
     */
    set log(value: ((level: LogLevel, message: string) => void) | null);
    /**
     * Called with every response `<body/>` received, as a DOM element (it
     * costs a parse per body: set it only when needed).
     */
    get xmlInput(): ((body: Element) => void) | undefined;
    /**
     * Sets the `xmlInput` hook (a function, or `null` to remove it).
     */
    set xmlInput(value: ((body: Element) => void) | null);
    /**
     * Called with every request `<body/>` sent, as a DOM element.
     */
    get xmlOutput(): ((body: Element) => void) | undefined;
    /**
     * Sets the `xmlOutput` hook (a function, or `null` to remove it).
     */
    set xmlOutput(value: ((body: Element) => void) | null);
    /**
     * The current status.
     */
    readonly status: Status;
}

/**
 * Log levels, with Strophe.js's numbers (`Strophe.LogLevel`).
 */
export enum LogLevel {
    /**
     * Everything.
     */
    DEBUG = 0,
    /**
     * Informational.
     */
    INFO = 1,
    /**
     * Something went wrong but the connection goes on (default threshold).
     */
    WARN = 2,
    /**
     * An exception in application code, a failed conversion.
     */
    ERROR = 3,
    /**
     * Unrecoverable.
     */
    FATAL = 4,
}

/**
 * Connection status, with the numbers of Strophe.js's `Strophe.Status`.
 */
export enum Status {
    /**
     * An error occurred.
     */
    ERROR = 0,
    /**
     * The connection is being established.
     */
    CONNECTING = 1,
    /**
     * The connection attempt failed.
     */
    CONNFAIL = 2,
    /**
     * Authentication is in progress.
     */
    AUTHENTICATING = 3,
    /**
     * Authentication failed.
     */
    AUTHFAIL = 4,
    /**
     * Logged in.
     */
    CONNECTED = 5,
    /**
     * Closed.
     */
    DISCONNECTED = 6,
    /**
     * Closing.
     */
    DISCONNECTING = 7,
    /**
     * Attached to an existing session.
     */
    ATTACHED = 8,
    /**
     * Redirected.
     */
    REDIRECT = 9,
    /**
     * Timed out.
     */
    CONNTIMEOUT = 10,
    /**
     * The application must bind a resource.
     */
    BINDREQUIRED = 11,
    /**
     * Attaching failed.
     */
    ATTACHFAIL = 12,
    /**
     * Reconnecting.
     */
    RECONNECTING = 13,
}

/**
 * `new Builder(name, attrs)` (also exported as `$build`).
 */
export function build(name: string, attrs?: Attrs): Builder;

/**
 * Escapes a node part per XEP-0106 (`d'artagnan` → `d\27artagnan`).
 */
export function escapeNode(node: string): string;

/**
 * `node@domain/resource` → `node@domain`.
 */
export function getBareJidFromJid(jid: string): string;

/**
 * `node@domain/resource` → `domain`.
 */
export function getDomainFromJid(jid: string): string;

/**
 * `node@domain/resource` → `node`, or `undefined` for a bare domain.
 */
export function getNodeFromJid(jid: string): string | undefined;

/**
 * `node@domain/resource` → `resource`, or `undefined`.
 */
export function getResourceFromJid(jid: string): string | undefined;

/**
 * An `<iq xmlns='jabber:client'/>` builder (also exported as `$iq`).
 */
export function iq(attrs?: Attrs): Builder;

/**
 * A `<message xmlns='jabber:client'/>` builder (also exported as `$msg`).
 */
export function msg(attrs?: Attrs): Builder;

/**
 * A `<presence xmlns='jabber:client'/>` builder (also exported as `$pres`).
 */
export function pres(attrs?: Attrs): Builder;

/**
 * Reverses `escapeNode` (XEP-0106 unescaping).
 */
export function unescapeNode(node: string): string;

/** `new Builder(name, attrs)`. */
export const $build: typeof build;
/** A `<message xmlns='jabber:client'/>` builder. */
export const $msg: typeof msg;
/** An `<iq xmlns='jabber:client'/>` builder. */
export const $iq: typeof iq;
/** A `<presence xmlns='jabber:client'/>` builder. */
export const $pres: typeof pres;
