// Types of `xmpp-wasm/strophe`, the Strophe.js 5 drop-in (npm/strophe.js). Written by hand: the
// subset of Strophe.js 5's API that the drop-in implements over xmpp-wasm's connection (BOSH).

/** Attribute values: `null`/`undefined` are skipped (or, in `attrs()`, remove the attribute). */
export type StanzaAttrs = Record<string, string | number | boolean | null | undefined>;

/** `callback(status, condition, elem)` of connect/attach/restore (`elem` is never given here). */
export type ConnectCallback = (status: number, condition: string | null, elem?: Element) => void;

/** Options of `new Strophe.Connection(service, options)`. */
export interface ConnectionOptions {
    /** SASL mechanism classes (e.g. `Strophe.SASLPlain`) or names, most preferred first. */
    mechanisms?: Array<(new () => SASLMechanism) | string>;
    /** Keep the session in sessionStorage for `restore()`. */
    keepalive?: boolean;
    /** Stop at BINDREQUIRED; then call `bind()`. */
    explicitResourceBinding?: boolean;
    /** Send cookies with cross-origin requests. */
    withCredentials?: boolean;
    /** Extra HTTP headers on every request. */
    customHeaders?: Record<string, string>;
    /** Content-Type of requests. */
    contentType?: string;
    /** Cookies set on `document.cookie` at construction. */
    cookies?: Record<string, string | { value: string; domain?: string; path?: string; expires?: string }>;
    /** Ignored (Strophe.js's synchronous XHR). */
    sync?: boolean;
    /** Ignored: Stream Management is not offered (over BOSH Strophe.js has none either). */
    enableStreamManagement?: boolean;
    /** Ignored, as `enableStreamManagement`. */
    streamManagement?: object;
    /** BOSH `wait` in seconds (xmpp-wasm's option; `connect(…, wait)` too). */
    wait?: number;
    /** BOSH `hold`. */
    hold?: number;
    /** BOSH `route`. */
    route?: string;
    /** Resends of one request before the session counts as lost. */
    maxRetries?: number;
    /** Any other option of xmpp-wasm's `ConnectionOptions`; an unknown key fails the connect. */
    [key: string]: unknown;
}

/** Options of `addHandler`. */
export interface HandlerOptions {
    /** Compare only the bare JID of `from`. */
    matchBareFromJid?: boolean;
    /** Ignore a `#fragment` of namespaces. */
    ignoreNamespaceFragment?: boolean;
}

/** What `send` takes. */
export type Sendable = Element | Builder | string;

/** The reference `addHandler` returns. */
export class Handler {
    private constructor();
    handler: (stanza: Element) => unknown;
    ns: string | null | undefined;
    name: string | null | undefined;
    type: string | string[] | null | undefined;
    id: string | null | undefined;
    from: string | null | undefined;
    options: HandlerOptions | undefined;
}

/** The reference `addTimedHandler` returns. */
export class TimedHandler {
    private constructor();
    period: number;
    handler: () => unknown;
}

/** Strophe.js's stanza builder: a live DOM tree. */
export class Builder {
    constructor(name: string, attrs?: StanzaAttrs);
    /** A builder around the element parsed from `str`. */
    static fromString(str: string): Builder;
    /** `Strophe.serialize`. */
    static serialize(elem: Element | Builder | null): string | null;
    /** The root element (the same one each time). */
    readonly nodeTree: Element;
    /** The current element. */
    node: Element;
    tree(): Element;
    toString(): string;
    /** To the parent of the current element. */
    up(): this;
    /** To the root. */
    root(): this;
    /** Sets attributes of the current element; `null`/`undefined` removes. */
    attrs(moreattrs: StanzaAttrs): this;
    /** Adds a child and moves into it (unless `text` is given). */
    c(name: string, attrs?: StanzaAttrs | string | null, text?: string | number): this;
    /** Adds a copy of an element (or a builder's tree) and moves into it. */
    cnode(elem: Element | Builder): this;
    /** Adds text. */
    t(text: string): this;
    /** Not supported (XHTML-IM): throws. */
    h(html: string): never;
}

/** Text `stx` puts into a stanza as it is. */
export class UnsafeXML extends String {}

/** A stanza from the `stx` template. */
export class Stanza extends Builder {
    static unsafeXML(string: string): UnsafeXML;
    static toElement(string: string, throwErrorIfInvalidNS?: boolean): Element;
}

export type StanzaValue = string | number | Builder | UnsafeXML | null | undefined | StanzaValue[];
export function stx(strings: TemplateStringsArray, ...values: StanzaValue[]): Stanza;
export function toStanza(string: string, throwErrorIfInvalidNS?: boolean): Element;

export function $build(name: string, attrs?: StanzaAttrs): Builder;
export function $msg(attrs?: StanzaAttrs): Builder;
export function $iq(attrs?: StanzaAttrs): Builder;
export function $pres(attrs?: StanzaAttrs): Builder;

/** A SASL mechanism: here only its name (the core runs its own implementation). */
export class SASLMechanism {
    constructor(mechname: string, isClientFirst: boolean, priority: number);
    mechname: string;
    isClientFirst: boolean;
    priority: number;
}
type Mechanism = new (mechname?: string, isClientFirst?: boolean, priority?: number) => SASLMechanism;

/** A connection plugin: `init(conn)` runs for each new connection; `statusChanged` sees each status. */
export interface ConnectionPlugin {
    init(conn: Connection): void;
    statusChanged?(status: number, condition?: string | null): void;
    [key: string]: any;
}

/** `new Strophe.Connection(service, options)` over xmpp-wasm (BOSH). */
export class Connection {
    constructor(service: string, options?: ConnectionOptions);
    static addConnectionPlugin(name: string, ptype: ConnectionPlugin): void;
    /** Plugins registered with `addConnectionPlugin`, by name. */
    [plugin: string]: any;
    service: string;
    options: ConnectionOptions;
    /** As given to `connect`, then the bound full JID. */
    jid: string;
    readonly domain: string | null;
    readonly authenticated: boolean;
    readonly connected: boolean;
    readonly disconnecting: boolean;
    readonly paused: boolean;
    /** xmpp-wasm's: the current status. */
    readonly status: number;
    /** Always `null`: the stream features are not exposed. */
    features: Element | null;
    maxRetries: number;
    connect_callback: ConnectCallback | null;
    rawInput: (data: string) => void;
    rawOutput: (data: string) => void;
    xmlInput: (elem: Element) => void;
    xmlOutput: (elem: Element) => void;
    connect(jid: string, pass?: string | null, callback?: ConnectCallback, wait?: number, hold?: number, route?: string, authcid?: string, disconnection_timeout?: number): void;
    attach(jid: string, sid: string, rid: number | string, callback?: ConnectCallback, wait?: number, hold?: number, wind?: number): void;
    /** Throws an Error named `StropheSessionError` when there is nothing to restore; needs `await init()` first. */
    restore(jid?: string, callback?: ConnectCallback, wait?: number, hold?: number, wind?: number): void;
    disconnect(reason?: string): void;
    reset(): void;
    bind(): void;
    pause(): void;
    resume(): void;
    flush(): void;
    getUniqueId(suffix?: string | number): string;
    send(stanza: Sendable | Sendable[] | null): void;
    sendIQ(stanza: Sendable, callback?: ((stanza: Element) => void) | null, errback?: ((stanza: Element | null) => void) | null, timeout?: number): string;
    sendPresence(stanza: Sendable, callback?: ((stanza: Element) => void) | null, errback?: ((stanza: Element | null) => void) | null, timeout?: number): string;
    addHandler(handler: (stanza: Element) => unknown, ns?: string | null, name?: string | null, type?: string | string[] | null, id?: string | null, from?: string | null, options?: HandlerOptions): Handler;
    deleteHandler(handRef: Handler): void;
    addTimedHandler(period: number, handler: () => unknown): TimedHandler;
    deleteTimedHandler(handRef: TimedHandler): void;
    addProtocolErrorHandler(protocol: 'HTTP' | 'websocket', status_code: number, callback: (status: number) => void): void;
}

export const Status: {
    ERROR: 0; CONNECTING: 1; CONNFAIL: 2; AUTHENTICATING: 3; AUTHFAIL: 4; CONNECTED: 5; DISCONNECTED: 6;
    DISCONNECTING: 7; ATTACHED: 8; REDIRECT: 9; CONNTIMEOUT: 10; BINDREQUIRED: 11; ATTACHFAIL: 12; RECONNECTING: 13;
};
export const LogLevel: { DEBUG: 0; INFO: 1; WARN: 2; ERROR: 3; FATAL: 4 };
export const NS: Record<string, string> & {
    AUTH: string; BIND: string; BOSH: string; CLIENT: string; DISCO_INFO: string; DISCO_ITEMS: string;
    FRAMING: string; HTTPBIND: string; MUC: string; PROFILE: string; ROSTER: string; SASL: string; SERVER: string;
    SESSION: string; SM: string; STANZAS: string; STREAM: string; VERSION: string; XHTML: string; XHTML_IM: string;
};
export const ErrorCondition: {
    BAD_FORMAT: 'bad-format'; CONFLICT: 'conflict'; MISSING_JID_NODE: 'x-strophe-bad-non-anon-jid';
    NO_AUTH_MECH: 'no-auth-mech'; UNKNOWN_REASON: 'unknown';
};
export const ElementType: { NORMAL: 1; TEXT: 3; CDATA: 4; FRAGMENT: 11 };

export const SASLAnonymous: Mechanism;
export const SASLExternal: Mechanism;
export const SASLOAuthBearer: Mechanism;
export const SASLPlain: Mechanism;
export const SASLSHA1: Mechanism;
export const SASLSHA256: Mechanism;
export const SASLSHA512: Mechanism;

/**
 * Loads the wasm core (`input`: a URL, Response, bytes or WebAssembly.Module; default: the .wasm next
 * to `web/xmpp_wasm.js`). The first call decides; `new Connection()` calls it without `input`.
 */
export function init(input?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module): Promise<void>;

export function xmlGenerator(): Document;
export function xmlTextNode(text: string): Text;
export function xmlElement(name: string, attrs?: StanzaAttrs | Array<[string, string]> | string | number | null, text?: string | number): Element | null;
export function xmlescape(text: string): string;
export function xmlunescape(text: string): string;
/** The direct text children's text, XML-escaped (Strophe.js's semantics). */
export function getText(elem: Node | null): string | null;
export function forEachChild(elem: Element, elemName: string | null, func: (child: Element) => void): void;
export function isTagEqual(el: Element, name: string): boolean;
export function getNamespace(elem: Element): string | null;
export function copyElement(node: Node): Element | Text | undefined;
export function serialize(elem: Element | Builder | null): string | null;
export function toElement(string: string, throwErrorIfInvalidNS?: boolean): Element;
export function stripWhitespace(elem: Element): Element;
export function escapeNode(node: string): string;
export function unescapeNode(node: string): string;
export function getBareJidFromJid(jid: string): string | null;
export function getNodeFromJid(jid: string): string | null;
export function getDomainFromJid(jid: string): string | null;
export function getResourceFromJid(jid: string): string | null;

/** The `Strophe` namespace of Strophe.js 5. */
export const Strophe: {
    VERSION: string;
    Connection: typeof Connection;
    Builder: typeof Builder;
    Handler: typeof Handler;
    TimedHandler: typeof TimedHandler;
    Stanza: typeof Stanza;
    Status: typeof Status;
    LogLevel: typeof LogLevel;
    NS: typeof NS;
    ErrorCondition: typeof ErrorCondition;
    ElementType: typeof ElementType;
    SASLMechanism: typeof SASLMechanism;
    SASLAnonymous: Mechanism;
    SASLExternal: Mechanism;
    SASLOAuthBearer: Mechanism;
    SASLPlain: Mechanism;
    SASLSHA1: Mechanism;
    SASLSHA256: Mechanism;
    SASLSHA512: Mechanism;
    init: typeof init;
    xmlGenerator: typeof xmlGenerator;
    xmlTextNode: typeof xmlTextNode;
    xmlElement: typeof xmlElement;
    xmlescape: typeof xmlescape;
    xmlunescape: typeof xmlunescape;
    getText: typeof getText;
    forEachChild: typeof forEachChild;
    isTagEqual: typeof isTagEqual;
    getNamespace: typeof getNamespace;
    copyElement: typeof copyElement;
    serialize: typeof serialize;
    toElement: typeof toElement;
    stripWhitespace: typeof stripWhitespace;
    escapeNode: typeof escapeNode;
    unescapeNode: typeof unescapeNode;
    getBareJidFromJid: typeof getBareJidFromJid;
    getNodeFromJid: typeof getNodeFromJid;
    getDomainFromJid: typeof getDomainFromJid;
    getResourceFromJid: typeof getResourceFromJid;
    addNamespace(name: string, value: string): void;
    addConnectionPlugin(name: string, ptype: ConnectionPlugin): void;
    /** Messages below this level are dropped (default DEBUG, as in Strophe.js). */
    setLogLevel(level: number): void;
    /** Where every message goes, the core's included; replace it to take them over. */
    log(level: number, msg: string): void;
    debug(msg: string): void;
    info(msg: string): void;
    warn(msg: string): void;
    error(msg: string): void;
    fatal(msg: string): void;
};
export default Strophe;
