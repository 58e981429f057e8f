// xmpp-wasm: the types of the public API (hand-written beside js/, the JavaScript layer; the wasm
// core behind it has no types of its own). scripts/assemble.mjs adds the init functions of each
// build target. Checked with `tsc --strict` and lib ES2022 + DOM (examples/ts/).

/** Options of `new Connection(service, options)`. Unknown keys throw. */
export interface ConnectionOptions {
    /**
     * SASL mechanisms to use, in order of preference (default: strongest first, SCRAM before
     * PLAIN: only a SCRAM login leaves keys a WebSocket `restore()` can use).
     */
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
    /**
     * Keep the session in sessionStorage so a reloaded page can `restore()` it. Over WebSocket
     * the snapshot holds the stream management id and counters (the inbound count written after
     * every delivery), the unacknowledged stanzas and the SCRAM keys of the login — never the
     * password; after a PLAIN or ANONYMOUS login it holds no keys and `restore()` refuses it
     * (`no-scram-keys`).
     */
    keepalive?: boolean;
    /** WebSocket: XEP-0198 stream management (acks, resumption after a dropped socket) where the server offers it (default true). */
    streamManagement?: boolean;
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
     * `maxAttempts` failed attempts, CONNFAIL then DISCONNECTED. No reconnect after AUTHFAIL,
     * nor for attached or restored BOSH sessions (no credentials) unless `prebind` is given
     * (see `ReconnectLimits.prebind`).
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
    /**
     * How a session from `attach`/`prebind`/`restore` (BOSH, no credentials) gets a new session: a function
     * answering (or resolving to) `{jid, sid, rid, url?}` as `attach` takes them (`url`: the
     * node that bound it, needed on a cluster of several nodes), or the URL of a prebind
     * service (POSTed to as by `prebind(url, null, {json: true})`). Each attempt calls it
     * once; the status stays RECONNECTING until the server answered the new session's first
     * request, then ATTACHED (an attached session: the app sets it up as after `attach`).
     * A throw, a rejection or an unusable answer is logged and counts as a failed attempt.
     */
    prebind?: (() => PrebindAnswer | Promise<PrebindAnswer>) | string;
}

/** A prebound session: what `attach` takes (`rid` the next rid; `url` the node that bound it). */
export interface PrebindAnswer {
    /** The full JID the session is bound to (`user@domain/resource`). */
    jid: string;
    /** The BOSH session id (`sid`) the server gave the prebinding request. */
    sid: string;
    /** The next request id to use: one more than the last rid the prebinding server sent. */
    rid: number | string;
    /**
     * The BOSH node that bound the session; required when `service` is a cluster of several
     * nodes, and then one of them.
     */
    url?: string;
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
    /** Always `'ConnectionError'`. */
    name: 'ConnectionError';
    /** The failed status; undefined when the call itself was refused (`connect` while connected, `bind` out of turn). */
    status?: Status;
    /** Why, as a BOSH/XMPP condition: `item-not-found`, `remote-connection-failed`, `not-authorized`, `discovery-failed`… */
    condition: string;
    /** The service URL; undefined when the call itself was refused. */
    url?: string;
    /** The HTTP status of the last failed request, when the server answered with one. */
    httpStatus?: number;
    /** The browser's message for the last network failure, or `timeout`; undefined when the server answered. */
    networkError?: string;
    /** `discovery-failed` (from `Connection.discover` or a `{ domain }` connect): the domain asked about. */
    domain?: string;
    /** `discovery-failed` from `Connection.discover`: what was wrong with each host-meta file. */
    reasons?: string[];
}

/** Thrown by `restore()` when there is no session this page may continue. */
export class SessionError extends Error {
    private constructor();
    /** Always `'SessionError'`. */
    name: 'SessionError';
    /** Why there is nothing to restore: no sessionStorage, no stored session, a snapshot that does not check out, another JID, a session another page holds, or (WebSocket) a stored session without SCRAM keys to authenticate with: a PLAIN or ANONYMOUS login cannot be restored over WebSocket, log in again. */
    reason: 'no-storage' | 'no-session' | 'bad-snapshot' | 'jid-mismatch' | 'session-in-use' | 'no-scram-keys';
    /** The same as `reason`, for code that reads every error's `condition`. */
    condition: string;
}

/** Rejection of sendIQAsync/sendPresenceAsync for an error answer. */
export class StanzaError extends Error {
    private constructor();
    /** Always `'StanzaError'`. */
    name: 'StanzaError';
    /** The stanza error condition of the answer (`item-not-found`, `service-unavailable`…), or `undefined-condition`. */
    condition: string;
    /** The error answer itself; null when there was none to show. */
    stanza: Element | null;
}

/** Rejection of `prebind` (the service failed, or its answer is unusable). */
export class PrebindError extends Error {
    private constructor();
    /** Always `'PrebindError'`. */
    name: 'PrebindError';
    /** `prebind-failed` (the service answered with an error status), `prebind-unreachable` (nothing answered) or `bad-format` (its answer is not a session). */
    condition: 'prebind-failed' | 'prebind-unreachable' | 'bad-format' | string;
}

/** Rejection of sendIQAsync/sendPresenceAsync when no answer came within `timeout`. */
export class TimeoutError extends Error {
    private constructor();
    /** Always `'TimeoutError'`. */
    name: 'TimeoutError';
    /** Always `'timeout'`. */
    condition: 'timeout';
}

/** Rejection of sendIQAsync/sendPresenceAsync when the session ended first. */
export class DisconnectedError extends Error {
    private constructor();
    /** Always `'DisconnectedError'`. */
    name: 'DisconnectedError';
    /** Always `'disconnected'`. */
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


/** Which transport a connection speaks. */
export type Transport = 'websocket' | 'bosh';

/** A service URL: `ws://`/`wss://` (WebSocket, RFC 7395) or `http://`/`https://` (BOSH), absolute or relative to the page. */
export type ServiceUrl = string;

/**
 * The BOSH connection-manager nodes of one XMPP domain (a cluster without a
 * load balancer): 1 to 16 distinct `http://`/`https://` URLs. Each new
 * session (`connect`, a reconnect) picks a node at random and stays on it;
 * a node that fails at the network level while the session is being created
 * is left at once for another random node and skipped by later sessions for
 * 60 s; `restore()` goes back to the stored session's node. `to` is always
 * the XMPP domain.
 */
export type ServiceCluster = readonly ServiceUrl[];

/**
 * Where XEP-0156 discovery reads a domain's host-meta files; the second
 * argument of `Connection.discover` and members of the `{ domain }` form of
 * `new Connection`.
 */
export interface DiscoveryOptions {
    /**
     * The http(s) origin to read `/.well-known/host-meta.json` and
     * `/.well-known/host-meta` from, instead of `https://<domain>` (or
     * `http://<domain>` for a loopback domain: `localhost`, `*.localhost`,
     * `127.x.x.x`, `[::1]`, with an optional port). For tests, and for
     * servers whose host-meta is served elsewhere.
     */
    origin?: string | null;
    /** How long to wait for the files, in milliseconds (default 10000). */
    timeout?: number | null;
}

/**
 * The connection endpoints a domain publishes (XEP-0156), in the order of
 * its host-meta files (host-meta.json's first): `websocket` from the links
 * with rel `urn:xmpp:alt-connections:websocket` (ws:/wss: URLs), `bosh`
 * from `urn:xmpp:alt-connections:xbosh` (http:/https: URLs). When host-meta
 * was read over https, insecure (ws:, http:) links are left out.
 */
export interface DiscoveredServices {
    /** The WebSocket URLs (`ws:`/`wss:`), in the order found. */
    websocket: string[];
    /** The BOSH URLs (`http:`/`https:`), in the order found. */
    bosh: string[];
}

/**
 * The discovery form of `new Connection`'s first argument: the XMPP
 * domain (a host name, optionally with a port), and where to read its
 * host-meta (see `DiscoveryOptions.origin`).
 */
export interface DomainService {
    /** The XMPP domain whose host-meta names the services (a host name, optionally with a port). */
    domain: string;
    /** Where to read host-meta instead of the domain itself (see `DiscoveryOptions.origin`). */
    origin?: string | null;
}

/**
 * An XMPP connection over WebSocket or BOSH. `new Connection(service, options)`, or
 * `new Connection({ domain }, options)` to find the service by XEP-0156
 * discovery.
 */
export class Connection {
    /**
     * XEP-0156 discovery: reads `https://<domain>/.well-known/host-meta.json`
     * (JSON links) and `…/host-meta` (XRD XML) at the same time and resolves
     * to the WebSocket and BOSH URLs found in either. A file that is
     * missing, malformed, of the wrong shape or larger than 64 KiB is
     * skipped; when neither yields a link (or within `options.timeout` no
     * answer came) it rejects with a `ConnectionError` of condition
     * `discovery-failed` whose message (and `reasons`) says what was wrong
     * with each file. The server must allow the page's origin to read the
     * files (CORS, `Access-Control-Allow-Origin`), as XEP-0156 asks.
     */
    static discover(domain: string, options?: DiscoveryOptions | null): Promise<DiscoveredServices>;
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
     * `url`: the BOSH URL of the node that bound the session, one of the
     * service's (a RangeError otherwise); required when the service holds a
     * cluster of several nodes (a TypeError without it). The session stays
     * on it, and a keepalive snapshot returns to it.
     */
    attach(jid: string, sid: string, rid: number | string, callback?: StatusCallback | null, wait?: number | null, hold?: number | null, wind?: number | null, url?: string | null): Promise<Status>;
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
     * Creates a connection to `service`: a `ws://`/`wss://` URL speaks
     * WebSocket (RFC 7395), an `http://`/`https://` URL BOSH, absolute or
     * relative to the page (for example `/http-bind`). A non-empty list is
     * an order of preference: when a service fails before stream features
     * arrive (a WebSocket that cannot be opened or closes first), `connect`
     * goes on with the next one without reporting that failure (CONNECTING
     * is reported for each service tried); `transport` and `service` say
     * which one is used. An entry of the list may itself be an array of
     * BOSH node URLs of one domain (`ServiceCluster`): the outer list is the
     * order of preference of transports, an inner array one cluster whose
     * nodes are picked at random, e.g.
     * `['wss://x/xmpp-websocket', ['https://n1/http-bind', 'https://n2/http-bind']]`.
     * `options` is an object of `ConnectionOptions`. A wrong type throws a
     * `TypeError`; an unknown key, a bad value, an unknown mechanism, an
     * empty list or a URL of another scheme (a WebSocket node in a cluster,
     * a cluster of more than 16 or repeated nodes) a `RangeError`.
     *
     * With `{ domain }` instead of a URL, the first `connect()` runs
     * `Connection.discover(domain)` and uses what it found, WebSocket
     * first, then BOSH (a discovery failure rejects `connect()` with its
     * `ConnectionError`, `discovery-failed`, and the callback sees
     * CONNFAIL); `restore()` needs no discovery: it continues on the
     * service the stored session was on. Handlers and timed handlers added
     * before that carry over. Until then `service` is `''`.
     */
    constructor(service: ServiceUrl | readonly (ServiceUrl | ServiceCluster)[] | DomainService, options?: ConnectionOptions);
    /**
     * Stops sending new bodies; stanzas keep queueing.
     */
    pause(): void;
    /**
     * Gets a session from a prebind service at `url` (http(s), absolute or
     * relative to the page) and attaches to it. The service may answer JSON
     * `{jid, sid, rid, url?}` (rid: the next one; url: the node that bound
     * it, required on a cluster of several nodes, one of its nodes) or a
     * BOSH-like `<body sid rid>` with the bound `<jid>` (rid: the last one
     * used; one-node services only). `options`:
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
     * duplicated tab), or, over WebSocket, one without SCRAM keys
     * (`no-scram-keys`: the login was PLAIN or ANONYMOUS; log in again).
     * Otherwise like `attach`: ATTACHED at once, and the promise settles
     * when the server answered (ATTACHFAIL if it no longer knows the
     * session). BOSH: the requests the old page had not seen answered are
     * resent first with their own rids and bytes. WebSocket: a new socket,
     * SCRAM with the stored keys, XEP-0198 `<resume/>`; the stanzas the
     * server had not acknowledged are resent once, and it resends what the
     * old page had not counted. Nothing is lost or duplicated. `wait`, `hold` and `wind`
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
     * Called with the text of every response body (BOSH) or frame (WebSocket) received.
     */
    get rawInput(): ((xml: string) => void) | undefined;
    /**
     * Sets the `rawInput` hook (a function, or `null` to remove it).
     */
    set rawInput(value: ((xml: string) => void) | null);
    /**
     * Called with the text of every request body (BOSH) or frame (WebSocket) sent.
     */
    get rawOutput(): ((xml: string) => void) | undefined;
    /**
     * Sets the `rawOutput` hook (a function, or `null` to remove it).
     */
    set rawOutput(value: ((xml: string) => void) | null);
    /**
     * The service URL in use (absolute; of a list, the one connected to; of
     * a cluster, the node of the session; it
     * changes after a `see-other-uri` redirect). `''` for a `{ domain }`
     * connection before discovery.
     */
    readonly service: string;
    /**
     * The transport of the service in use: `'websocket'` or `'bosh'`.
     */
    readonly transport: Transport;
    /**
     * Called with stanzas that were sent but may not have arrived: the
     * unacknowledged ones of a stream XEP-0198 could not resume
     * (`<failed/>`; a new session follows, CONNECTED), those in BOSH
     * requests a lost session never answered (with `reconnect`), and, when
     * reconnecting gives up, those sent while reconnecting. Resend what
     * matters (a resend may duplicate). Without it a warning is logged.
     */
    get onUnacknowledged(): ((stanzas: Element[], condition: string) => void) | undefined;
    /**
     * Sets the `onUnacknowledged` hook (a function, or `null` to remove it).
     */
    set onUnacknowledged(value: ((stanzas: Element[], condition: string) => void) | null);
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
