// xmpp-wasm/strophe: a drop-in for Strophe.js 5 — `import { Strophe, $iq } from 'xmpp-wasm/strophe'`
// (or alias `strophe.js` to it) and an app written for Strophe.js runs on xmpp-wasm.
//
// Written only against the package's public JavaScript API (the `xmpp-wasm/web` entry: `init`,
// `Connection`, `Status`, `LogLevel`), so it does not depend on how the wasm shell is built.
//
// How it finds the core: it imports the sibling `./web/xmpp_wasm.js` (the --target web glue), which
// works unchanged as a `<script type="module">` from the unpacked package, in Vite without a plugin
// and in any bundler that follows relative imports. The wasm is NOT loaded on import (no top-level
// await: a plugin built as UMD/CommonJS can `require('strophe.js')` it, and everything Strophe.js
// offers synchronously — `$iq`, `Strophe.Builder`, the JID helpers, `Strophe.NS` — works at once).
// It is fetched by the first `new Strophe.Connection()` (its default URL is `xmpp_wasm_bg.wasm` next
// to the glue), or earlier by `await init(url)` where a bundler puts the .wasm elsewhere (esbuild).
// A connection made before the wasm is there starts its connect/attach once it is.
//
// Everything here that is not the connection (Builder, serialize, getText, the JID helpers …) is
// plain DOM code with Strophe.js's semantics, so it needs no wasm.
import coreInit, { Connection as CoreConnection, Status as CoreStatus, LogLevel as CoreLogLevel } from './web/xmpp_wasm.js';

// --- loading the core -------------------------------------------------------------------------

let loading = null;
let loaded = false;

/**
 * Loads the wasm core: `input` is what `init()` of `xmpp-wasm/web` takes as `module_or_path` (a URL,
 * a Response, bytes or a WebAssembly.Module); without it, the .wasm next to the glue. The first call
 * decides; later calls return the same promise. `new Strophe.Connection()` calls it without `input`.
 */
export function init(input) {
  if (!loading) {
    loading = coreInit(input === undefined ? undefined : { module_or_path: input }).then(() => {
      loaded = true;
    });
    loading.catch((e) => log.fatal(`xmpp-wasm: the wasm core did not load: ${e?.message ?? e}`));
  }
  return loading;
}

// --- constants ----------------------------------------------------------------------------------

/** name → number only (the core's enums also map numbers back to names). */
const names = (e) => Object.fromEntries(Object.entries(e).filter(([k]) => Number.isNaN(Number(k))));

export const Status = names(CoreStatus);
export const LogLevel = names(CoreLogLevel);

export const NS = {
  AUTH: 'jabber:iq:auth',
  BIND: 'urn:ietf:params:xml:ns:xmpp-bind',
  BOSH: 'urn:xmpp:xbosh',
  CLIENT: 'jabber:client',
  DISCO_INFO: 'http://jabber.org/protocol/disco#info',
  DISCO_ITEMS: 'http://jabber.org/protocol/disco#items',
  FRAMING: 'urn:ietf:params:xml:ns:xmpp-framing',
  HTTPBIND: 'http://jabber.org/protocol/httpbind',
  MUC: 'http://jabber.org/protocol/muc',
  PROFILE: 'jabber:iq:profile',
  ROSTER: 'jabber:iq:roster',
  SASL: 'urn:ietf:params:xml:ns:xmpp-sasl',
  SERVER: 'jabber:server',
  SESSION: 'urn:ietf:params:xml:ns:xmpp-session',
  SM: 'urn:xmpp:sm:3',
  STANZAS: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  STREAM: 'http://etherx.jabber.org/streams',
  VERSION: 'jabber:iq:version',
  XHTML: 'http://www.w3.org/1999/xhtml',
  XHTML_IM: 'http://jabber.org/protocol/xhtml-im',
};

export const ErrorCondition = {
  BAD_FORMAT: 'bad-format',
  CONFLICT: 'conflict',
  MISSING_JID_NODE: 'x-strophe-bad-non-anon-jid',
  NO_AUTH_MECH: 'no-auth-mech',
  UNKNOWN_REASON: 'unknown',
};

export const ElementType = { NORMAL: 1, TEXT: 3, CDATA: 4, FRAGMENT: 11 };

// --- logging ------------------------------------------------------------------------------------

// DEBUG, as in Strophe.js. (The core logs little: exceptions thrown by the app's callbacks at ERROR,
// a sessionStorage failure at WARN; it gets this level and sends its messages to Strophe.log.)
let logLevel = LogLevel.DEBUG;
const liveCores = new Set();

const log = {
  /** Sets the level below which messages are dropped (the core's too). */
  setLogLevel(level) {
    if (!(level >= LogLevel.DEBUG && level <= LogLevel.FATAL)) throw new Error('Invalid log level supplied to setLogLevel');
    logLevel = level;
    for (const core of liveCores) core.logLevel = level;
  },
  /** Where every message goes (the core's included); replace it to take them over. */
  log(level, msg) {
    if (level < logLevel) return;
    const c = globalThis.console;
    if (!c) return;
    if (level >= LogLevel.ERROR) c.error(msg);
    else if (level === LogLevel.WARN) c.warn(msg);
    else if (level === LogLevel.INFO) c.info(msg);
    else c.debug(msg);
  },
  debug(msg) { Strophe.log(LogLevel.DEBUG, msg); },
  info(msg) { Strophe.log(LogLevel.INFO, msg); },
  warn(msg) { Strophe.log(LogLevel.WARN, msg); },
  error(msg) { Strophe.log(LogLevel.ERROR, msg); },
  fatal(msg) { Strophe.log(LogLevel.FATAL, msg); },
};

// --- XML helpers (Strophe.js's semantics) --------------------------------------------------------

let generator = null;
/** The XML document elements are created in (`createElement`: the namespace is the `xmlns` attribute). */
export function xmlGenerator() {
  if (!generator) generator = document.implementation.createDocument('jabber:client', 'strophe', null);
  return generator;
}

export function xmlTextNode(text) {
  return xmlGenerator().createTextNode(text);
}

/** `xmlElement(name, attrs, text)`: attrs an object or `[[k, v], …]`; null/undefined values skipped. */
export function xmlElement(name, attrs, text) {
  if (!name) return null;
  const el = xmlGenerator().createElement(name);
  if (typeof text === 'string' || typeof text === 'number') {
    if (text !== '') el.appendChild(xmlTextNode(String(text)));
  } else if (typeof attrs === 'string' || typeof attrs === 'number') {
    el.appendChild(xmlTextNode(String(attrs)));
    return el;
  }
  if (Array.isArray(attrs)) {
    for (const a of attrs) if (Array.isArray(a) && a[0] != null && a[1] != null) el.setAttribute(a[0], String(a[1]));
  } else if (attrs && typeof attrs === 'object') {
    for (const k of Object.keys(attrs)) if (k && attrs[k] != null) el.setAttribute(k, String(attrs[k]));
  }
  return el;
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' };
/** Escapes `& < > ' "` for XML text or attribute values. */
export function xmlescape(text) {
  return String(text).replace(/[&<>'"]/g, (c) => ESCAPES[c]);
}

const UNESCAPES = { amp: '&', lt: '<', gt: '>', apos: "'", quot: '"' };
/** Reverses `xmlescape` (the five named entities only). */
export function xmlunescape(text) {
  return String(text).replace(/&(amp|lt|gt|apos|quot);/g, (_, n) => UNESCAPES[n]);
}

/** The text of the element's direct text children, XML-escaped (as Strophe.js returns it). */
export function getText(elem) {
  if (!elem) return null;
  let s = '';
  if (elem.nodeType === ElementType.TEXT && !elem.childNodes.length) s = elem.nodeValue;
  for (const n of elem.childNodes) if (n.nodeType === ElementType.TEXT) s += n.nodeValue;
  return xmlescape(s);
}

/** Calls `func(child)` for each child element, or only those named `elemName`. */
export function forEachChild(elem, elemName, func) {
  for (const n of Array.from(elem.childNodes)) {
    if (n.nodeType === ElementType.NORMAL && (!elemName || isTagEqual(n, elemName))) func(n);
  }
}

/** Whether the element's tag name is `name` (case-sensitive). */
export function isTagEqual(el, name) {
  return el.tagName === name;
}

/** The `xmlns` attribute, else the DOM namespace. */
export function getNamespace(elem) {
  return elem.getAttribute('xmlns') || elem.namespaceURI;
}

/** A deep copy of a DOM element or text node in the generator document. */
export function copyElement(node) {
  if (node.nodeType === ElementType.NORMAL) {
    const out = xmlGenerator().createElement(node.tagName);
    for (const a of Array.from(node.attributes)) out.setAttribute(a.nodeName, a.value);
    for (const c of Array.from(node.childNodes)) {
      const copy = copyElement(c);
      if (copy) out.appendChild(copy);
    }
    return out;
  }
  if (node.nodeType === ElementType.TEXT) return xmlTextNode(node.nodeValue);
  return undefined;
}

/**
 * An element (or a Builder's tree) as XML text: attributes sorted by name, text and attribute values
 * escaped, CDATA kept. The form Strophe.js gives; it is also what the drop-in hands the core to send.
 */
export function serialize(elem) {
  if (!elem) return null;
  const el = typeof elem.tree === 'function' ? elem.tree() : elem;
  const attrs = Array.from(el.attributes, (a) => a.nodeName).sort();
  let out = `<${el.nodeName}`;
  for (const n of attrs) out += ` ${n}="${xmlescape(el.getAttribute(n))}"`;
  if (!el.childNodes.length) return `${out}/>`;
  out += '>';
  for (const c of Array.from(el.childNodes)) {
    if (c.nodeType === ElementType.NORMAL) out += serialize(c);
    else if (c.nodeType === ElementType.TEXT) out += xmlescape(c.nodeValue);
    else if (c.nodeType === ElementType.CDATA) out += `<![CDATA[${c.nodeValue}]]>`;
  }
  return `${out}</${el.nodeName}>`;
}

/** Parses one element of XML text; throws on a parser error (or, with the flag, a stanza outside jabber:client). */
export function toElement(string, throwErrorIfInvalidNS) {
  const doc = new DOMParser().parseFromString(string, 'text/xml');
  const err = doc.getElementsByTagName('parsererror')[0];
  if (err) throw new Error(`Parser Error: ${err.textContent}`);
  const el = doc.documentElement;
  if (['message', 'iq', 'presence'].includes(el.nodeName.toLowerCase())
    && el.namespaceURI !== NS.CLIENT && el.namespaceURI !== NS.SERVER) {
    const msg = `Invalid namespaceURI ${el.namespaceURI}`;
    if (throwErrorIfInvalidNS) throw new Error(msg);
    log.error(msg);
  }
  return el;
}

// --- JIDs (string operations, as in Strophe.js: no validation) ---------------------------------

export function getBareJidFromJid(jid) {
  return jid ? jid.split('/')[0] : null;
}
export function getNodeFromJid(jid) {
  return jid.indexOf('@') < 0 ? null : jid.split('@')[0];
}
export function getDomainFromJid(jid) {
  const bare = getBareJidFromJid(jid);
  if (bare === null) return null;
  const at = bare.indexOf('@');
  return at < 0 ? bare : bare.slice(at + 1);
}
export function getResourceFromJid(jid) {
  if (!jid) return null;
  const slash = jid.indexOf('/');
  return slash < 0 ? null : jid.slice(slash + 1);
}
// XEP-0106 (the characters and order Strophe.js uses).
const NODE_ESCAPES = [['\\', '\\5c'], [' ', '\\20'], ['"', '\\22'], ['&', '\\26'], ["'", '\\27'],
  ['/', '\\2f'], [':', '\\3a'], ['<', '\\3c'], ['>', '\\3e'], ['@', '\\40']];
export function escapeNode(node) {
  if (typeof node !== 'string') return node;
  let s = node.trim();
  for (const [c, e] of NODE_ESCAPES) s = s.split(c).join(e);
  return s;
}
export function unescapeNode(node) {
  if (typeof node !== 'string') return node;
  let s = node;
  for (let i = NODE_ESCAPES.length - 1; i >= 0; i--) s = s.split(NODE_ESCAPES[i][1]).join(NODE_ESCAPES[i][0]);
  return s;
}

// --- Builder --------------------------------------------------------------------------------------

/**
 * Strophe.js's stanza builder: a live DOM tree (`tree()` is the same element each time, later calls
 * extend it), `c`/`t`/`up`/`root`/`attrs`/`cnode`, `toString()`.
 */
export class Builder {
  #name;
  #attrs;
  #tree = null;
  #node = null;

  constructor(name, attrs) {
    if (name === 'presence' || name === 'message' || name === 'iq') {
      if (attrs && !attrs.xmlns) attrs.xmlns = NS.CLIENT;
      else if (!attrs) attrs = { xmlns: NS.CLIENT };
    }
    this.#name = name;
    this.#attrs = attrs;
  }

  /** A builder around the element parsed from `str` (which must be in jabber:client if a stanza). */
  static fromString(str) {
    const b = new Builder('');
    b.#tree = toElement(str, true);
    return b;
  }

  static serialize(elem) {
    return serialize(elem);
  }

  buildTree() {
    return xmlElement(this.#name, this.#attrs);
  }

  get nodeTree() {
    if (!this.#tree) this.#tree = this.buildTree();
    return this.#tree;
  }

  get node() {
    if (!this.#node) this.#node = this.tree();
    return this.#node;
  }

  set node(el) {
    this.#node = el;
  }

  tree() {
    return this.nodeTree;
  }

  toString() {
    return serialize(this.tree());
  }

  up() {
    this.node = this.node.parentElement || this.node.parentNode;
    return this;
  }

  root() {
    this.node = this.tree();
    return this;
  }

  attrs(more) {
    for (const k of Object.keys(more)) {
      if (more[k] != null) this.node.setAttribute(k, String(more[k]));
      else this.node.removeAttribute(k);
    }
    return this;
  }

  c(name, attrs, text) {
    const child = xmlElement(name, attrs, text);
    this.node.appendChild(child);
    if (typeof text !== 'string' && typeof text !== 'number') this.node = child;
    return this;
  }

  cnode(elem) {
    const el = elem instanceof Builder ? elem.tree() : elem;
    const copy = xmlGenerator().importNode(el, true);
    this.node.appendChild(copy);
    this.node = copy;
    return this;
  }

  t(text) {
    this.node.appendChild(xmlTextNode(text));
    return this;
  }

  /** XHTML-IM (XEP-0071, deprecated) is not supported: Strophe.js's `h()` sanitises HTML into it. */
  h() {
    throw new Error('xmpp-wasm/strophe: Builder.h() (XHTML-IM) is not supported');
  }
}

export function $build(name, attrs) { return new Builder(name, attrs); }
export function $msg(attrs) { return new Builder('message', attrs); }
export function $iq(attrs) { return new Builder('iq', attrs); }
export function $pres(attrs) { return new Builder('presence', attrs); }

/** Marks text that `stx` puts into the stanza as it is (not escaped). */
export class UnsafeXML extends String {}

/** A stanza from the `stx` tagged template: interpolated values are escaped unless Builders/UnsafeXML. */
export class Stanza extends Builder {
  #strings;
  #values;
  #string;

  constructor(strings, values) {
    super('stanza');
    this.#strings = strings;
    this.#values = values;
  }

  static unsafeXML(string) {
    return new UnsafeXML(string);
  }

  static toElement(string, throwErrorIfInvalidNS) {
    return stripWhitespace(toElement(string, throwErrorIfInvalidNS));
  }

  buildTree() {
    return Stanza.toElement(this.toString(), true);
  }

  toString() {
    if (this.#string === undefined) {
      const one = (v) => (v instanceof UnsafeXML || v instanceof Builder ? v.toString() : xmlescape(String(v ?? '')));
      let s = '';
      this.#strings.forEach((str, i) => {
        s += str;
        if (i < this.#values.length) {
          const v = this.#values[i];
          s += Array.isArray(v) ? v.map(one).join('') : one(v);
        }
      });
      this.#string = s.trim();
    }
    return this.#string;
  }
}

/** Removes whitespace-only text between elements (not inside `<body>`, not a lone text child). */
export function stripWhitespace(el) {
  const kids = Array.from(el.childNodes);
  if (kids.length === 1 && kids[0].nodeType === ElementType.TEXT) return el;
  for (const n of kids) {
    if (n.nodeName.toLowerCase() === 'body') continue;
    if (n.nodeType === ElementType.TEXT && !/\S/.test(n.nodeValue)) el.removeChild(n);
    else if (n.nodeType === ElementType.NORMAL) stripWhitespace(n);
  }
  return el;
}

export function stx(strings, ...values) {
  return new Stanza(strings, values);
}
export const toStanza = Stanza.toElement;

// --- SASL mechanisms: names for the `mechanisms` option -------------------------------------------

/**
 * Strophe.js passes mechanism classes in `options.mechanisms`; the core takes names and runs its own
 * implementations, so these classes only carry the name (a custom subclass with its own challenge
 * code cannot be used: its name is passed on, and the core refuses a name it does not implement).
 */
export class SASLMechanism {
  constructor(mechname, isClientFirst, priority) {
    this.mechname = mechname;
    this.isClientFirst = isClientFirst;
    this.priority = priority;
  }
}
const mechanism = (name, first, priority) => class extends SASLMechanism {
  constructor(mechname = name, isClientFirst = first, prio = priority) { super(mechname, isClientFirst, prio); }
};
export const SASLAnonymous = mechanism('ANONYMOUS', false, 20);
export const SASLExternal = mechanism('EXTERNAL', true, 10);
export const SASLOAuthBearer = mechanism('OAUTHBEARER', true, 40);
export const SASLPlain = mechanism('PLAIN', true, 50);
export const SASLSHA1 = mechanism('SCRAM-SHA-1', true, 60);
export const SASLSHA256 = mechanism('SCRAM-SHA-256', true, 70);
export const SASLSHA512 = mechanism('SCRAM-SHA-512', true, 72);

function mechanismName(m) {
  if (typeof m === 'string') return m;
  if (typeof m === 'function') return new m().mechname; // eslint-disable-line new-cap
  if (m && typeof m.mechname === 'string') return m.mechname;
  throw new TypeError('xmpp-wasm/strophe: options.mechanisms takes SASL mechanism classes or names');
}

// --- Connection -------------------------------------------------------------------------------------

const plugins = {};

/** Options the core takes as they are. */
const CORE_OPTIONS = new Set(['wait', 'hold', 'route', 'contentType', 'maxBodySize', 'maxRetries', 'idleInterval',
  'lang', 'withCredentials', 'explicitResourceBinding', 'keepalive', 'customHeaders', 'maxScramIterations']);
/** Strophe.js options that change nothing here (said once in the log at WARN). */
const IGNORED_OPTIONS = new Set(['sync', 'enableStreamManagement', 'streamManagement']);

function setCookies(cookies) {
  for (const name of Object.keys(cookies || {})) {
    const c = cookies[name];
    let s = `${name}=`;
    if (c && typeof c === 'object') {
      s += c.value;
      if (c.expires) s += `;expires=${c.expires}`;
      if (c.domain) s += `;domain=${c.domain}`;
      if (c.path) s += `;path=${c.path}`;
    } else {
      s += c;
    }
    document.cookie = s;
  }
}

const FINAL = new Set([Status.CONNFAIL, Status.AUTHFAIL, Status.DISCONNECTED, Status.CONNTIMEOUT, Status.ATTACHFAIL, Status.ERROR]);

/** The reference `addHandler` returns (give it to `deleteHandler`). */
export class Handler {
  constructor(handler, ns, name, type, id, from, options) {
    Object.assign(this, { handler, ns, name, type, id, from, options });
    this.ref = null; // the core's reference, on the current core connection
  }
}

/** The reference `addTimedHandler` returns. */
export class TimedHandler {
  constructor(period, handler) {
    Object.assign(this, { period, handler });
    this.ref = null;
  }
}

const toTree = (s) => (s instanceof Builder ? s.tree() : typeof s === 'string' ? toElement(s) : s);

/**
 * `new Strophe.Connection(service, options)`: Strophe.js's connection over xmpp-wasm's (BOSH, or
 * WebSocket for a ws:/wss: service or the `protocol` option).
 * Each connect/attach/restore runs on a fresh core connection made with this one's options (plus
 * `wait`/`hold`/`route` given to `connect`), so reconnecting after DISCONNECTED works as in Strophe.js.
 * Handlers follow Strophe.js: they are dropped at DISCONNECTED and by `reset()`.
 */
export class Connection {
  constructor(service, options = {}) {
    if (typeof service !== 'string') throw new TypeError('Strophe.Connection: the service must be a URL string');
    if (options.worker) throw new RangeError('xmpp-wasm/strophe: the option worker (a SharedWorker) is not supported');
    // As Strophe.js: a ws:/wss: service speaks WebSocket; `protocol` ('ws' or 'wss') makes a
    // relative service a WebSocket URL on the page's host.
    if (options.protocol !== undefined) {
      if (options.protocol !== 'ws' && options.protocol !== 'wss') throw new RangeError(`xmpp-wasm/strophe: the option protocol must be 'ws' or 'wss', got ${String(options.protocol)}`);
      if (!/^[a-z][a-z0-9+.-]*:/i.test(service)) {
        service = `${options.protocol}://${globalThis.location?.host}${service.startsWith('/') ? '' : '/'}${service}`;
      }
    }
    this.service = service;
    this.options = options;
    this._core = null;
    this._handlers = new Set();
    this._timed = new Set();
    this._queue = [];
    this._hooks = {};
    this._jid = '';
    this._start = 0; // counts starts, so a stale deferred start does nothing
    this._protocolErrorHandlers = { HTTP: {}, websocket: {} };
    this.connect_callback = null;
    this.features = null; // the core does not expose the stream features
    const core = {};
    for (const [k, v] of Object.entries(options)) {
      if (k === 'protocol') continue; // applied to the service above
      if (k === 'mechanisms') core.mechanisms = v.map(mechanismName);
      else if (k === 'cookies') setCookies(v);
      else if (CORE_OPTIONS.has(k)) core[k] = v;
      else if (IGNORED_OPTIONS.has(k)) log.warn(`xmpp-wasm/strophe: the option ${k} is ignored`);
      else core[k] = v; // the core refuses it with a RangeError naming it
    }
    this._coreOptions = core;
    for (const name of Object.keys(plugins)) {
      this[name] = Object.create(plugins[name]);
      this[name].init(this);
    }
    init(); // start fetching the wasm now
  }

  static addConnectionPlugin(name, ptype) {
    plugins[name] = ptype;
  }

  // --- state --------------------------------------------------------------------------------------

  get jid() { return this._core?.jid ?? this._jid; }
  set jid(v) { this._jid = v; }
  get domain() { return this.jid ? getDomainFromJid(this.jid) : null; }
  get authenticated() { return this._core?.authenticated ?? false; }
  get connected() { return this._core?.connected ?? false; }
  get disconnecting() { return this._core?.status === Status.DISCONNECTING; }
  get paused() { return this._core?.paused ?? false; }
  get status() { return this._core?.status ?? Status.DISCONNECTED; }
  get mechanism() { return this._core?.mechanism; }
  get maxRetries() { return this._coreOptions.maxRetries ?? 5; }
  set maxRetries(n) { this._coreOptions.maxRetries = n; }

  getUniqueId(suffix) {
    const id = globalThis.crypto?.randomUUID ? crypto.randomUUID()
      : 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
        const r = (Math.random() * 16) | 0;
        return (c === 'x' ? r : (r & 3) | 8).toString(16);
      });
    return typeof suffix === 'string' || typeof suffix === 'number' ? `${id}:${suffix}` : id;
  }

  // --- the core connection ------------------------------------------------------------------------

  /** Frees the current core connection (no logout), if any. */
  _retire() {
    const core = this._core;
    if (!core) return;
    this._core = null;
    liveCores.delete(core);
    for (const h of this._handlers) h.ref = null;
    for (const t of this._timed) t.ref = null;
    try { core.free(); } catch { /* already freed */ }
  }

  /** Runs `run(core)` on a fresh core connection, now if the wasm is loaded, else once it is. */
  _begin(extra, run) {
    const start = ++this._start;
    const go = () => {
      if (start !== this._start) return; // superseded by reset()/another connect
      this._retire();
      const opts = { ...this._coreOptions };
      for (const k of ['wait', 'hold', 'route']) if (extra[k] != null) opts[k] = extra[k];
      // Strophe.js logs in anonymously to a bare domain; the core wants that asked for
      if (extra.anonymous && !opts.mechanisms) opts.mechanisms = ['ANONYMOUS'];
      let core;
      try {
        core = new CoreConnection(this.service, opts);
      } catch (e) {
        if (sync) throw e; // a bad option or service URL: thrown by connect() as Strophe.js's constructor would
        log.error(`Strophe.Connection: ${e.message}`);
        this._changeConnectStatus(Status.CONNFAIL, e.condition ?? null);
        return;
      }
      this._core = core;
      liveCores.add(core);
      core.logLevel = logLevel;
      core.log = (level, msg) => Strophe.log(level, msg);
      for (const [k, fn] of Object.entries(this._hooks)) core[k] = fn;
      for (const h of this._handlers) this._addToCore(h);
      for (const t of this._timed) t.ref = core.addTimedHandler(t.period, () => this._runTimed(t));
      let final = false;
      const cb = (status, condition) => {
        if (this._core !== core) return;
        if (FINAL.has(status)) final = true;
        this._changeConnectStatus(status, condition ?? null);
      };
      const settle = (promise) => promise.catch((e) => {
        if (this._core !== core) return;
        const code = e?.httpStatus;
        if (code && this._protocolErrorHandlers.HTTP[code]) this._protocolErrorHandlers.HTTP[code](code);
        if (!final) {
          // refused before any status (a bad JID, an option): Strophe.js reports it to the callback
          log.error(`${e?.name ?? 'Error'}: ${e?.message ?? e}`);
          this._changeConnectStatus(e?.status ?? Status.CONNFAIL, e?.condition ?? null);
        }
      });
      try {
        run(core, cb, settle);
      } catch (e) {
        this._retire(); // nothing started (restore() without a session)
        if (sync) throw e;
        log.error(`${e?.name ?? 'Error'}: ${e?.message ?? e}`);
        this._changeConnectStatus(Status.CONNFAIL, e?.condition ?? null);
        return;
      }
      const queued = this._queue;
      this._queue = [];
      for (const fn of queued) fn(core);
    };
    const sync = loaded;
    if (sync) go();
    else {
      init().then(go, (e) => {
        if (start === this._start) this._changeConnectStatus(Status.CONNFAIL, `wasm-load-failed: ${e?.message ?? e}`);
      });
    }
  }

  _changeConnectStatus(status, condition, elem) {
    if (status === Status.DISCONNECTED) {
      // Strophe.js drops every handler when the session ends (a plugin adds its own again on CONNECTED)
      for (const h of this._handlers) if (h.ref !== null) this._core?.deleteHandler(h.ref);
      for (const t of this._timed) if (t.ref !== null) this._core?.deleteTimedHandler(t.ref);
      this._handlers.clear();
      this._timed.clear();
    }
    for (const name of Object.keys(plugins)) {
      const p = this[name];
      if (p && typeof p.statusChanged === 'function') {
        try {
          p.statusChanged(status, condition);
        } catch (e) {
          log.error(`${name} plugin caused an exception changing status: ${e}`);
        }
      }
    }
    if (this.connect_callback) {
      try {
        this.connect_callback(status, condition, elem);
      } catch (e) {
        log.error(`User connection callback caused an exception: ${e}`);
      }
    }
  }

  /**
   * `connect(jid, pass, callback, wait, hold, route)`. `authcid` (authenticate as another user)
   * and `disconnection_timeout` are not supported (logged and ignored).
   */
  connect(jid, pass, callback, wait, hold, route, authcid, disconnectionTimeout) {
    if (authcid) log.warn('xmpp-wasm/strophe: connect(…, authcid) is not supported; it is ignored');
    if (disconnectionTimeout != null) log.debug('xmpp-wasm/strophe: connect(…, disconnection_timeout) is ignored');
    this._jid = jid;
    this.connect_callback = callback ?? null;
    const anonymous = typeof jid === 'string' && !jid.includes('@');
    this._begin({ wait, hold, route, anonymous }, (core, cb, settle) => settle(core.connect(jid, pass ?? null, cb)));
  }

  /** `attach(jid, sid, rid, callback, wait, hold, wind)`: `rid` is the next rid to use. */
  attach(jid, sid, rid, callback, wait, hold, wind) {
    this._jid = jid;
    this.connect_callback = callback ?? null;
    this._begin({}, (core, cb, settle) => settle(core.attach(jid, sid, rid, cb, wait, hold, wind)));
  }

  /**
   * `restore(jid, callback, wait, hold, wind)` with `keepalive: true`. Throws an Error named
   * `StropheSessionError` when there is no session to restore. It must know that synchronously, so the
   * wasm must be loaded first: `await init()` (from this module, or `Strophe.init()`) before it.
   */
  restore(jid, callback, wait, hold, wind) {
    if (!loaded) {
      throw new Error('xmpp-wasm/strophe: restore() needs the wasm core loaded: `await Strophe.init()` before it');
    }
    const prev = this.connect_callback;
    this.connect_callback = callback ?? null;
    try {
      this._begin({}, (core, cb, settle) => settle(core.restore(jid ?? null, cb, wait, hold, wind)));
    } catch (error) {
      this.connect_callback = prev;
      const e = new Error(error.message);
      e.name = error.name === 'SessionError' ? 'StropheSessionError' : error.name;
      e.reason = error.reason;
      e.condition = error.condition;
      throw e;
    }
    if (jid) this._jid = jid;
  }

  /** Ends the session (an unavailable presence goes in the last request). */
  disconnect(reason) {
    if (this._core) {
      this._core.disconnect(reason ?? null).catch(() => {});
    } else {
      this._start++; // a connect waiting for the wasm never starts
      this._changeConnectStatus(Status.DISCONNECTED, reason ?? null);
    }
  }

  /** Drops the core connection (no logout), the handlers and what was queued: a fresh connection. */
  reset() {
    this._start++;
    this._retire();
    this._handlers.clear();
    this._timed.clear();
    this._queue = [];
  }

  bind() {
    this._core?.bind();
  }

  pause() { this._core?.pause(); }
  resume() { this._core?.resume(); }
  flush() { this._core?.flush(); }

  // --- sending ------------------------------------------------------------------------------------

  /** Runs `fn(core)` now, or once a core connection exists (sent before connect: queued). */
  _withCore(fn) {
    if (this._core) fn(this._core);
    else this._queue.push(fn);
  }

  /** `send(elem)`: an Element, a Builder, an XML string, or an array of them. */
  send(stanza) {
    if (stanza == null) return;
    for (const s of Array.isArray(stanza) ? stanza : [stanza]) {
      const xml = serialize(toTree(s));
      this._withCore((core) => core.send(xml));
    }
  }

  _sendWithAnswer(method, stanza, callback, errback, timeout) {
    const el = toTree(stanza);
    let id = el.getAttribute('id');
    if (!id) {
      id = this.getUniqueId(method);
      el.setAttribute('id', id);
    }
    const xml = serialize(el);
    this._withCore((core) => core[method](xml, callback ?? null, errback ?? null, timeout ?? null));
    return id;
  }

  /** `sendIQ(elem, callback, errback, timeout)`: returns the id; `errback(null)` on timeout. */
  sendIQ(stanza, callback, errback, timeout) {
    return this._sendWithAnswer('sendIQ', stanza, callback, errback, timeout);
  }

  /** `sendPresence(elem, callback, errback, timeout)`: returns the id. */
  sendPresence(stanza, callback, errback, timeout) {
    return this._sendWithAnswer('sendPresence', stanza, callback, errback, timeout);
  }

  // --- handlers -----------------------------------------------------------------------------------

  _addToCore(h) {
    h.ref = this._core.addHandler((el) => {
      let keep = false;
      try {
        keep = h.handler(el);
      } finally {
        // a handler that throws is removed (the core logs the exception at ERROR)
        if (!keep) {
          this._handlers.delete(h);
          h.ref = null;
        }
      }
      return !!keep;
    }, h.ns ?? null, h.name ?? null, h.type ?? null, h.id ?? null, h.from ?? null, h.options ?? undefined);
  }

  /** `addHandler(fn, ns, name, type, id, from, options)`: returns a reference for `deleteHandler`. */
  addHandler(handler, ns, name, type, id, from, options) {
    const h = new Handler(handler, ns, name, type, id, from, options);
    this._handlers.add(h);
    if (this._core) this._addToCore(h);
    return h;
  }

  deleteHandler(h) {
    if (!this._handlers.delete(h)) return;
    if (h.ref !== null && this._core) this._core.deleteHandler(h.ref);
    h.ref = null;
  }

  _runTimed(t) {
    const keep = t.handler();
    if (!keep) {
      this._timed.delete(t);
      t.ref = null;
    }
    return !!keep;
  }

  addTimedHandler(period, handler) {
    const t = new TimedHandler(period, handler);
    this._timed.add(t);
    if (this._core) t.ref = this._core.addTimedHandler(period, () => this._runTimed(t));
    return t;
  }

  deleteTimedHandler(t) {
    if (!this._timed.delete(t)) return;
    if (t.ref !== null && this._core) this._core.deleteTimedHandler(t.ref);
    t.ref = null;
  }

  // Strophe.js's system handlers: here the same as the others (plugins call these).
  _addSysHandler(handler, ns, name, type, id) {
    return this.addHandler(handler, ns, name, type, id);
  }

  _addSysTimedHandler(period, handler) {
    return this.addTimedHandler(period, handler);
  }

  /**
   * `addProtocolErrorHandler('HTTP', code, fn)`: `fn(code)` when the session fails with that HTTP
   * status (Strophe.js calls it for every such response, retried ones included: the core retries
   * on its own and reports only the failure that ends the session).
   */
  addProtocolErrorHandler(protocol, statusCode, callback) {
    this._protocolErrorHandlers[protocol][statusCode] = callback;
  }
}

// rawInput/rawOutput/xmlInput/xmlOutput: Strophe.js apps assign functions to them; the core only
// gets one when the app sets it (xmlInput/xmlOutput cost a parse per body).
for (const hook of ['rawInput', 'rawOutput', 'xmlInput', 'xmlOutput']) {
  Object.defineProperty(Connection.prototype, hook, {
    configurable: true,
    get() { return this._hooks[hook] ?? (() => {}); },
    set(fn) {
      if (typeof fn === 'function') this._hooks[hook] = fn;
      else delete this._hooks[hook];
      if (this._core) this._core[hook] = typeof fn === 'function' ? fn : null;
    },
  });
}

// --- the namespace ------------------------------------------------------------------------------

export const Strophe = {
  VERSION: '5.0.0-xmpp-wasm',
  ...log,
  Connection,
  Builder,
  Handler,
  TimedHandler,
  Stanza,
  Status,
  LogLevel,
  NS,
  ErrorCondition,
  ElementType,
  SASLMechanism,
  SASLAnonymous,
  SASLExternal,
  SASLOAuthBearer,
  SASLPlain,
  SASLSHA1,
  SASLSHA256,
  SASLSHA512,
  init,
  xmlGenerator,
  xmlTextNode,
  xmlElement,
  xmlescape,
  xmlunescape,
  getText,
  forEachChild,
  isTagEqual,
  getNamespace,
  copyElement,
  serialize,
  toElement,
  stripWhitespace,
  escapeNode,
  unescapeNode,
  getBareJidFromJid,
  getNodeFromJid,
  getDomainFromJid,
  getResourceFromJid,
  /** Adds `Strophe.NS[name] = value`. */
  addNamespace(name, value) {
    NS[name] = value;
  },
  /** Registers a plugin: each later `new Strophe.Connection()` gets `conn[name]`, whose `init(conn)` runs. */
  addConnectionPlugin(name, ptype) {
    Connection.addConnectionPlugin(name, ptype);
  },
};

// As Strophe.js does: plugins built as UMD for a <script> find these on the global object.
Object.assign(globalThis, { Strophe, $build, $msg, $iq, $pres, stx, toStanza });

export default Strophe;
