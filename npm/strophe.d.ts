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
    cookies?: Record<string, string | CookieValue>;
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

/** A cookie of the `cookies` option. */
export interface CookieValue {
    /** The cookie's value. */
    value: string;
    /** Its `domain` attribute. */
    domain?: string;
    /** Its `path` attribute. */
    path?: string;
    /** Its `expires` attribute (a date string). */
    expires?: string;
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
    /** The function given to `addHandler`. */
    handler: (stanza: Element) => unknown;
    /** The namespace matched (of the stanza or a child). */
    ns: string | null | undefined;
    /** The stanza name matched. */
    name: string | null | undefined;
    /** The `type` (or types) matched. */
    type: string | string[] | null | undefined;
    /** The `id` matched. */
    id: string | null | undefined;
    /** The `from` matched. */
    from: string | null | undefined;
    /** The matching options. */
    options: HandlerOptions | undefined;
}

/** The reference `addTimedHandler` returns. */
export class TimedHandler {
    private constructor();
    /** Milliseconds between calls. */
    period: number;
    /** The function given to `addTimedHandler`. */
    handler: () => unknown;
}

/** Strophe.js's stanza builder: a live DOM tree. */
export class Builder {
    /** A builder whose root is `<name attrs…/>` (`xmlns='jabber:client'` added to message/iq/presence). */
    constructor(name: string, attrs?: StanzaAttrs);
    /** A builder around the element parsed from `str`. */
    static fromString(str: string): Builder;
    /** `Strophe.serialize`. */
    static serialize(elem: Element | Builder | null): string | null;
    /** The root element (the same one each time). */
    readonly nodeTree: Element;
    /** The current element. */
    node: Element;
    /** The root element (later calls extend it). */
    tree(): Element;
    /** The stanza as XML text (`Strophe.serialize`). */
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
export class UnsafeXML {
    private constructor();
    /** The XML text. */
    toString(): string;
}

/** A stanza from the `stx` template. */
export class Stanza extends Builder {
    /** Marks `string` to go into an `stx` stanza unescaped. */
    static unsafeXML(string: string): UnsafeXML;
    /** Parses one element (whitespace between elements removed); throws on bad XML. */
    static toElement(string: string, throwErrorIfInvalidNS?: boolean): Element;
}

/** What `stx` interpolates: text (escaped), Builders and UnsafeXML (as they are), or arrays of them. */
export type StanzaValue = string | number | Builder | UnsafeXML | null | undefined | StanzaValue[];
/** The tagged template: `` stx`<message to="${jid}"><body>${text}</body></message>` ``. */
export function stx(strings: TemplateStringsArray, ...values: StanzaValue[]): Stanza;
/** `Stanza.toElement`. */
export function toStanza(string: string, throwErrorIfInvalidNS?: boolean): Element;

/** `new Builder(name, attrs)`. */
export function $build(name: string, attrs?: StanzaAttrs): Builder;
/** A `<message xmlns='jabber:client'/>` builder. */
export function $msg(attrs?: StanzaAttrs): Builder;
/** An `<iq xmlns='jabber:client'/>` builder. */
export function $iq(attrs?: StanzaAttrs): Builder;
/** A `<presence xmlns='jabber:client'/>` builder. */
export function $pres(attrs?: StanzaAttrs): Builder;

/** A SASL mechanism: here only its name (the core runs its own implementation). */
export class SASLMechanism {
    /** A mechanism named `mechname` (the other two are kept for Strophe.js compatibility). */
    constructor(mechname: string, isClientFirst: boolean, priority: number);
    /** The IANA name, e.g. `SCRAM-SHA-256`. */
    mechname: string;
    /** Whether the client speaks first (unused here). */
    isClientFirst: boolean;
    /** Strophe.js's priority (unused here: the order of `mechanisms` is the preference). */
    priority: number;
}
/** A SASL mechanism class, as `options.mechanisms` takes it. */
export type Mechanism = new (mechname?: string, isClientFirst?: boolean, priority?: number) => SASLMechanism;

/** A connection plugin: `init(conn)` runs for each new connection; `statusChanged` sees each status. */
export interface ConnectionPlugin {
    /** Called with each new connection (`this` is the connection's own copy of the plugin). */
    init(conn: Connection): void;
    /** Called with each status change, before the connect callback. */
    statusChanged?(status: number, condition?: string | null): void;
    [key: string]: any;
}

/** `new Strophe.Connection(service, options)` over xmpp-wasm (BOSH). */
export class Connection {
    /** A connection to the BOSH service at `service`; the wasm starts loading now. */
    constructor(service: string, options?: ConnectionOptions);
    /** `Strophe.addConnectionPlugin`. */
    static addConnectionPlugin(name: string, ptype: ConnectionPlugin): void;
    /** Plugins registered with `addConnectionPlugin`, by name. */
    [plugin: string]: any;
    /** The BOSH service URL as given. */
    service: string;
    /** The options as given. */
    options: ConnectionOptions;
    /** As given to `connect`, then the bound full JID. */
    jid: string;
    /** The domain of `jid`. */
    readonly domain: string | null;
    /** Whether the login completed. */
    readonly authenticated: boolean;
    /** Whether a session is open. */
    readonly connected: boolean;
    /** Whether `disconnect()` is under way. */
    readonly disconnecting: boolean;
    /** Whether sending is paused. */
    readonly paused: boolean;
    /** xmpp-wasm's: the current status. */
    readonly status: number;
    /** Always `null`: the stream features are not exposed. */
    features: Element | null;
    /** Resends of one request before the session counts as lost (for the next connect). */
    maxRetries: number;
    /** The callback of the last connect/attach/restore (a plugin may wrap it). */
    connect_callback: ConnectCallback | null;
    /** Assign a function to get the text of every response body. */
    rawInput: (data: string) => void;
    /** Assign a function to get the text of every request body. */
    rawOutput: (data: string) => void;
    /** Assign a function to get every response `<body/>` as an element (a parse per body). */
    xmlInput: (elem: Element) => void;
    /** Assign a function to get every request `<body/>` as an element. */
    xmlOutput: (elem: Element) => void;
    /** Logs in; `callback(status, condition)` sees every status. `authcid` is not supported. */
    connect(jid: string, pass?: string | null, callback?: ConnectCallback, wait?: number, hold?: number, route?: string, authcid?: string, disconnection_timeout?: number): void;
    /** Takes over a prebound session; `rid` is the next rid to use. */
    attach(jid: string, sid: string, rid: number | string, callback?: ConnectCallback, wait?: number, hold?: number, wind?: number): void;
    /** Throws an Error named `StropheSessionError` when there is nothing to restore; needs `await init()` first. */
    restore(jid?: string, callback?: ConnectCallback, wait?: number, hold?: number, wind?: number): void;
    /** Ends the session (an unavailable presence goes with it). */
    disconnect(reason?: string): void;
    /** Drops the session without logging out, and every handler: a fresh connection. */
    reset(): void;
    /** Binds the resource after BINDREQUIRED (`explicitResourceBinding`). */
    bind(): void;
    /** Stops sending requests; stanzas keep queueing. */
    pause(): void;
    /** Sends what queued while paused. */
    resume(): void;
    /** Sends queued stanzas now. */
    flush(): void;
    /** A random id (a UUID), with `:suffix` if given. */
    getUniqueId(suffix?: string | number): string;
    /** Sends stanzas (queued until a session exists). */
    send(stanza: Sendable | Sendable[] | null): void;
    /** Sends an IQ; `callback(result)`, `errback(error)`, or `errback(null)` after `timeout` ms. Returns the id. */
    sendIQ(stanza: Sendable, callback?: ((stanza: Element) => void) | null, errback?: ((stanza: Element | null) => void) | null, timeout?: number): string;
    /** Sends a presence and waits for the one answering it (same id). Returns the id. */
    sendPresence(stanza: Sendable, callback?: ((stanza: Element) => void) | null, errback?: ((stanza: Element | null) => void) | null, timeout?: number): string;
    /** Calls `handler(stanza)` for each matching stanza while it returns a truthy value. */
    addHandler(handler: (stanza: Element) => unknown, ns?: string | null, name?: string | null, type?: string | string[] | null, id?: string | null, from?: string | null, options?: HandlerOptions): Handler;
    /** Removes a handler. */
    deleteHandler(handRef: Handler): void;
    /** Calls `handler()` every `period` ms while it returns a truthy value. */
    addTimedHandler(period: number, handler: () => unknown): TimedHandler;
    /** Removes a timed handler. */
    deleteTimedHandler(handRef: TimedHandler): void;
    /** `callback(code)` when the session fails with HTTP status `status_code`. */
    addProtocolErrorHandler(protocol: 'HTTP' | 'websocket', status_code: number, callback: (status: number) => void): void;
}

/** Connection statuses (Strophe.js's numbers). */
export const Status: {
    /** An error occurred. */
    ERROR: 0;
    /** Connecting. */
    CONNECTING: 1;
    /** The connection attempt failed. */
    CONNFAIL: 2;
    /** Logging in. */
    AUTHENTICATING: 3;
    /** The login failed. */
    AUTHFAIL: 4;
    /** Logged in. */
    CONNECTED: 5;
    /** Closed. */
    DISCONNECTED: 6;
    /** Closing. */
    DISCONNECTING: 7;
    /** Attached to an existing session. */
    ATTACHED: 8;
    /** Redirected. */
    REDIRECT: 9;
    /** Timed out. */
    CONNTIMEOUT: 10;
    /** The app must call `bind()`. */
    BINDREQUIRED: 11;
    /** Attaching failed. */
    ATTACHFAIL: 12;
    /** Reconnecting. */
    RECONNECTING: 13;
};
/** Log levels (Strophe.js's numbers). */
export const LogLevel: {
    /** Everything. */
    DEBUG: 0;
    /** Informational. */
    INFO: 1;
    /** Something went wrong; the connection goes on. */
    WARN: 2;
    /** An error, e.g. an exception in an app callback. */
    ERROR: 3;
    /** Unrecoverable. */
    FATAL: 4;
};
/** Namespaces by name (`Strophe.addNamespace` adds more). */
export const NS: Record<string, string> & {
    /** `jabber:iq:auth` */
    AUTH: string;
    /** `urn:ietf:params:xml:ns:xmpp-bind` */
    BIND: string;
    /** `urn:xmpp:xbosh` */
    BOSH: string;
    /** `jabber:client` */
    CLIENT: string;
    /** `http://jabber.org/protocol/disco#info` */
    DISCO_INFO: string;
    /** `http://jabber.org/protocol/disco#items` */
    DISCO_ITEMS: string;
    /** `urn:ietf:params:xml:ns:xmpp-framing` */
    FRAMING: string;
    /** `http://jabber.org/protocol/httpbind` */
    HTTPBIND: string;
    /** `http://jabber.org/protocol/muc` */
    MUC: string;
    /** `jabber:iq:profile` */
    PROFILE: string;
    /** `jabber:iq:roster` */
    ROSTER: string;
    /** `urn:ietf:params:xml:ns:xmpp-sasl` */
    SASL: string;
    /** `jabber:server` */
    SERVER: string;
    /** `urn:ietf:params:xml:ns:xmpp-session` */
    SESSION: string;
    /** `urn:xmpp:sm:3` */
    SM: string;
    /** `urn:ietf:params:xml:ns:xmpp-stanzas` */
    STANZAS: string;
    /** `http://etherx.jabber.org/streams` */
    STREAM: string;
    /** `jabber:iq:version` */
    VERSION: string;
    /** `http://www.w3.org/1999/xhtml` */
    XHTML: string;
    /** `http://jabber.org/protocol/xhtml-im` */
    XHTML_IM: string;
};
/** Strophe.js's error condition names. */
export const ErrorCondition: {
    /** 'bad-format' */
    BAD_FORMAT: 'bad-format';
    /** 'conflict' */
    CONFLICT: 'conflict';
    /** 'x-strophe-bad-non-anon-jid' */
    MISSING_JID_NODE: 'x-strophe-bad-non-anon-jid';
    /** 'no-auth-mech' */
    NO_AUTH_MECH: 'no-auth-mech';
    /** 'unknown' */
    UNKNOWN_REASON: 'unknown';
};
/** DOM node types. */
export const ElementType: {
    /** An element. */
    NORMAL: 1;
    /** Text. */
    TEXT: 3;
    /** CDATA. */
    CDATA: 4;
    /** A document fragment. */
    FRAGMENT: 11;
};

/** ANONYMOUS. */
export const SASLAnonymous: Mechanism;
/** EXTERNAL. */
export const SASLExternal: Mechanism;
/** OAUTHBEARER. */
export const SASLOAuthBearer: Mechanism;
/** PLAIN. */
export const SASLPlain: Mechanism;
/** SCRAM-SHA-1. */
export const SASLSHA1: Mechanism;
/** SCRAM-SHA-256. */
export const SASLSHA256: Mechanism;
/** SCRAM-SHA-512. */
export const SASLSHA512: Mechanism;

/**
 * Loads the wasm core (`input`: a URL, Response, bytes or WebAssembly.Module; default: the .wasm next
 * to `web/xmpp_wasm.js`). The first call decides; `new Connection()` calls it without `input`.
 */
export function init(input?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module): Promise<void>;

/** The XML document stanzas are built in. */
export function xmlGenerator(): Document;
/** A text node. */
export function xmlTextNode(text: string): Text;
/** An element with attributes (an object or `[[k, v], …]`) and text. */
export function xmlElement(name: string, attrs?: StanzaAttrs | Array<[string, string]> | string | number | null, text?: string | number): Element | null;
/** Escapes `& < > ' "`. */
export function xmlescape(text: string): string;
/** Reverses `xmlescape`. */
export function xmlunescape(text: string): string;
/** The direct text children's text, XML-escaped (Strophe.js's semantics). */
export function getText(elem: Node | null): string | null;
/** Calls `func` for each child element (named `elemName`, if given). */
export function forEachChild(elem: Element, elemName: string | null, func: (child: Element) => void): void;
/** Whether the tag name is `name` (case-sensitive). */
export function isTagEqual(el: Element, name: string): boolean;
/** The `xmlns` attribute, else the DOM namespace. */
export function getNamespace(elem: Element): string | null;
/** A deep copy of an element or text node. */
export function copyElement(node: Node): Element | Text | undefined;
/** XML text of an element or Builder (attributes sorted, as Strophe.js writes it). */
export function serialize(elem: Element | Builder | null): string | null;
/** Parses one element; throws on bad XML. */
export function toElement(string: string, throwErrorIfInvalidNS?: boolean): Element;
/** Removes whitespace-only text between child elements. */
export function stripWhitespace(elem: Element): Element;
/** XEP-0106 escaping of a JID's node part. */
export function escapeNode(node: string): string;
/** Reverses `escapeNode`. */
export function unescapeNode(node: string): string;
/** `node@domain/resource` → `node@domain`. */
export function getBareJidFromJid(jid: string): string | null;
/** `node@domain/resource` → `node`, or `null`. */
export function getNodeFromJid(jid: string): string | null;
/** `node@domain/resource` → `domain`. */
export function getDomainFromJid(jid: string): string | null;
/** `node@domain/resource` → `resource`, or `null`. */
export function getResourceFromJid(jid: string): string | null;

/** The `Strophe` namespace of Strophe.js 5. */
export const Strophe: {
    /** `5.0.0-xmpp-wasm`. */
    VERSION: string;
    /** The module's `Connection` export. */
    Connection: typeof Connection;
    /** The module's `Builder` export. */
    Builder: typeof Builder;
    /** The module's `Handler` export. */
    Handler: typeof Handler;
    /** The module's `TimedHandler` export. */
    TimedHandler: typeof TimedHandler;
    /** The module's `Stanza` export. */
    Stanza: typeof Stanza;
    /** The module's `Status` export. */
    Status: typeof Status;
    /** The module's `LogLevel` export. */
    LogLevel: typeof LogLevel;
    /** The module's `NS` export. */
    NS: typeof NS;
    /** The module's `ErrorCondition` export. */
    ErrorCondition: typeof ErrorCondition;
    /** The module's `ElementType` export. */
    ElementType: typeof ElementType;
    /** The module's `SASLMechanism` export. */
    SASLMechanism: typeof SASLMechanism;
    /** The module's `SASLAnonymous` export. */
    SASLAnonymous: Mechanism;
    /** The module's `SASLExternal` export. */
    SASLExternal: Mechanism;
    /** The module's `SASLOAuthBearer` export. */
    SASLOAuthBearer: Mechanism;
    /** The module's `SASLPlain` export. */
    SASLPlain: Mechanism;
    /** The module's `SASLSHA1` export. */
    SASLSHA1: Mechanism;
    /** The module's `SASLSHA256` export. */
    SASLSHA256: Mechanism;
    /** The module's `SASLSHA512` export. */
    SASLSHA512: Mechanism;
    /** The module's `init` export. */
    init: typeof init;
    /** The module's `xmlGenerator` export. */
    xmlGenerator: typeof xmlGenerator;
    /** The module's `xmlTextNode` export. */
    xmlTextNode: typeof xmlTextNode;
    /** The module's `xmlElement` export. */
    xmlElement: typeof xmlElement;
    /** The module's `xmlescape` export. */
    xmlescape: typeof xmlescape;
    /** The module's `xmlunescape` export. */
    xmlunescape: typeof xmlunescape;
    /** The module's `getText` export. */
    getText: typeof getText;
    /** The module's `forEachChild` export. */
    forEachChild: typeof forEachChild;
    /** The module's `isTagEqual` export. */
    isTagEqual: typeof isTagEqual;
    /** The module's `getNamespace` export. */
    getNamespace: typeof getNamespace;
    /** The module's `copyElement` export. */
    copyElement: typeof copyElement;
    /** The module's `serialize` export. */
    serialize: typeof serialize;
    /** The module's `toElement` export. */
    toElement: typeof toElement;
    /** The module's `stripWhitespace` export. */
    stripWhitespace: typeof stripWhitespace;
    /** The module's `escapeNode` export. */
    escapeNode: typeof escapeNode;
    /** The module's `unescapeNode` export. */
    unescapeNode: typeof unescapeNode;
    /** The module's `getBareJidFromJid` export. */
    getBareJidFromJid: typeof getBareJidFromJid;
    /** The module's `getNodeFromJid` export. */
    getNodeFromJid: typeof getNodeFromJid;
    /** The module's `getDomainFromJid` export. */
    getDomainFromJid: typeof getDomainFromJid;
    /** The module's `getResourceFromJid` export. */
    getResourceFromJid: typeof getResourceFromJid;
    /** Adds `NS[name] = value`. */
    addNamespace(name: string, value: string): void;
    /** Registers a plugin: each later `new Connection()` gets `conn[name]` and runs its `init(conn)`. */
    addConnectionPlugin(name: string, ptype: ConnectionPlugin): void;
    /** Messages below this level are dropped (default DEBUG, as in Strophe.js). */
    setLogLevel(level: number): void;
    /** Where every message goes, the core's included; replace it to take them over. */
    log(level: number, msg: string): void;
    /** `log(LogLevel.DEBUG, msg)`. */
    debug(msg: string): void;
    /** `log(LogLevel.INFO, msg)`. */
    info(msg: string): void;
    /** `log(LogLevel.WARN, msg)`. */
    warn(msg: string): void;
    /** `log(LogLevel.ERROR, msg)`. */
    error(msg: string): void;
    /** `log(LogLevel.FATAL, msg)`. */
    fatal(msg: string): void;
};
export default Strophe;
