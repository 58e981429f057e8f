// `Connection`: the Strophe-shaped API over the wasm core (src/web/driver.rs). The core takes and
// gives strings and numbers; this layer checks arguments, owns the callbacks, handlers and promises,
// converts stanzas to DOM elements, and does the I/O: fetch (fetch.js) or a WebSocket
// (websocket.js), one timer, sessionStorage and pagehide/pageshow (keepalive.js, lifecycle.js).
// Rules:
//   - after every command or input, `drive` drains the core: events first (callbacks may queue
//     stanzas), then requests, then the timer;
//   - `send()` does not transmit at once: one drain is scheduled in a microtask, so every stanza
//     sent in the same task leaves in one <body/> (BOSH) or as frames (WebSocket) at its end.
import * as check from './check.js';
import { ConnectionError, DisconnectedError, PrebindError, SessionError, StanzaError, TimeoutError, make } from './errors.js';
import { core, util } from './wasm.js';
import { fromTree, serialize, toDom } from './dom.js';
import { post } from './fetch.js';
import * as socket from './websocket.js';
import * as keepalive from './keepalive.js';
import { listen } from './lifecycle.js';
import { soon } from './soon.js';
import { getBareJidFromJid } from './jid.js';
import { discover, domainSpec, services as discoveredList } from './discover.js';

/** Connection status, with the numbers of Strophe.js's `Strophe.Status`. */
export const Status = {};
/** Log levels, with Strophe.js's numbers (`Strophe.LogLevel`). */
export const LogLevel = {};
const enumerate = (e, names) => {
  names.split(' ').forEach((n, i) => {
    e[(e[n] = i)] = n;
  });
  Object.freeze(e);
};
enumerate(Status, 'ERROR CONNECTING CONNFAIL AUTHENTICATING AUTHFAIL CONNECTED DISCONNECTED DISCONNECTING ATTACHED REDIRECT CONNTIMEOUT BINDREQUIRED ATTACHFAIL RECONNECTING');
enumerate(LogLevel, 'DEBUG INFO WARN ERROR FATAL');

// The core's commands, getters and inputs (src/web/driver.rs: op, get, input).
const CONNECT = 1, ATTACH = 2, RESTORE = 3, ADOPT = 4, RELINQUISH = 5, SEND = 6, PREPARE = 7, TRACK = 8,
  ADD_TIMER = 9, REMOVE_TIMER = 10, BIND = 11, PAUSE = 12, RESUME = 13, FLUSH = 14, DISCONNECT = 15,
  ADD_HANDLER = 16, DELETE_HANDLER = 17, PREBIND_FAILED = 18;
const G_STATUS = 0, G_JID = 1, G_MECHANISM = 2, G_AUTHENTICATED = 3, G_CONNECTED = 4, G_PAUSED = 5,
  G_SERVICE = 6, G_SNAPSHOT = 7, G_TIMEOUT = 8, G_MAX = 9, G_FAILURE = 10, G_ATTACHING = 11,
  G_ANON = 12, G_QUEUED = 13, G_TRANSPORT = 14;
const TRANSPORT_ERROR = -1, OVERSIZED = -2, ALL_LOST = -3, TIMEOUT = -4, WS_OPEN = -5, WS_FRAME = -6, WS_CLOSED = -7;

const SECONDS = 'a non-negative integer number of seconds';
const MS = 'a non-negative number of milliseconds';
const SMALL = 'an integer from 0 to 65535';
const JID = 'a JID (node@domain or node@domain/resource)';
const U32 = 4294967295;
const FAILED = [0, 2, 4, 6, 10, 12]; // ERROR CONNFAIL AUTHFAIL DISCONNECTED CONNTIMEOUT ATTACHFAIL

/** The option names and kinds, the mechanisms and the least SCRAM iteration count, from the core. */
let known;
function options(v) {
  const obj = check.optObject(v, 'new Connection: options');
  if (!obj) return '{}';
  if (!known) {
    const [kinds, mechs, min] = util(3, '').split('|');
    known = { kinds: new Map(kinds.split(',').map((p) => p.split(':')).map(([k, n]) => [k, +n])), mechs: mechs.split(','), min: +min };
  }
  const given = {};
  for (const name of Object.keys(obj)) {
    const value = obj[name];
    const kind = known.kinds.get(name);
    if (kind === undefined) {
      throw new RangeError(`new Connection: options.${name} is not an option (the options are ${[...known.kinds.keys()].join(', ')})`);
    }
    if (check.absent(value)) continue;
    const what = `new Connection: options.${name}`;
    switch (kind) {
      case 0: // Bool
        if (typeof value !== 'boolean') throw check.bad(what, 'a boolean', value, false);
        break;
      case 1: // String
        check.string(value, what);
        break;
      case 2: // Mechanisms
        mechanisms(value, what);
        break;
      case 3: case 4: case 5: case 6: // Seconds, Milliseconds, Bytes, Count
        check.optUint(value, what, [SECONDS, 'a non-negative integer number of milliseconds', 'a non-negative integer number of bytes', 'a non-negative integer'][kind - 3], U32);
        break;
      case 7: { // Headers
        const h = check.optObject(value, what) ?? {};
        for (const k of Object.keys(h)) check.string(h[k], `${what}[${JSON.stringify(k)}]`);
        break;
      }
      case 8: { // Iterations
        const want = `an integer from ${known.min} (the least SCRAM allows)`;
        if (check.optUint(value, what, want, U32) < known.min) throw check.bad(what, want, value, true);
        break;
      }
      case 9: { // Reconnect: a boolean or {initialDelay, maxDelay, maxAttempts, prebind}
        if (typeof value === 'boolean') break;
        if (typeof value !== 'object' || Array.isArray(value)) throw check.bad(what, 'a boolean or an object { initialDelay, maxDelay, maxAttempts, prebind }', value, false);
        const r = value;
        const LIMITS = ['initialDelay', 'maxDelay', 'maxAttempts', 'prebind'];
        for (const k of Object.keys(r)) {
          if (!LIMITS.includes(k)) throw new RangeError(`${what}.${k} is not a reconnect limit (the limits are ${LIMITS.join(', ')})`);
          if (k !== 'prebind') check.optUint(r[k], `${what}.${k}`, k === 'maxAttempts' ? 'a non-negative integer' : 'a non-negative integer number of milliseconds', U32);
          else if (typeof r[k] === 'string') serviceUrl(r[k], `${what}.prebind`, false);
          else if (typeof r[k] !== 'function' && !check.absent(r[k])) throw check.bad(`${what}.prebind`, 'a function or a prebind URL', r[k], false);
        }
        // The core only learns that there is one (a function or a prebind URL stays here).
        given[name] = { ...r, prebind: check.absent(r.prebind) ? undefined : true };
        continue;
      }
    }
    given[name] = value;
  }
  return JSON.stringify(given);

  function mechanisms(value, what) {
    const ARRAY = 'a non-empty array of SASL mechanism names';
    if (!Array.isArray(value)) throw check.bad(what, ARRAY, value, false);
    if (!value.length) throw check.bad(what, ARRAY, value, true);
    value.forEach((m, i) => {
      const item = `${what}[${i}]`;
      if (!known.mechs.includes(check.string(m, item))) throw check.bad(item, `one of ${known.mechs.join(', ')}`, m, true);
    });
  }
}

/**
 * A service (or, with `ws` false, prebind) URL: http(s) or ws(s), absolute or relative to the
 * page; returned absolute.
 */
function serviceUrl(v, what, ws = true) {
  const WANT = ws ? 'a BOSH (http, https) or WebSocket (ws, wss) URL, absolute or relative to the page' : 'an http(s) URL, absolute or relative to the page';
  const s = check.string(v, what);
  if (!s.trim()) throw check.bad(what, WANT, v, true);
  let url;
  try {
    const base = globalThis.location?.href;
    url = base === undefined ? new URL(s) : new URL(s, base);
  } catch {
    throw check.bad(what, WANT, v, true);
  }
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.host) return url.href;
  if (ws && (url.protocol === 'ws:' || url.protocol === 'wss:') && url.host) return url.href;
  throw check.bad(what, WANT, v, true);
}

/** The most nodes of one cluster (the core's `bosh::MAX_NODES`). */
const MAX_NODES = 16;

/**
 * The service: one URL or a non-empty list in order of preference, an entry of which may be an
 * array of BOSH node URLs of one domain (a cluster: each session picks one at random). The core's
 * form: entries `\n`-joined, a cluster's nodes joined by a space (no URL has one once resolved).
 */
function services(v) {
  const what = 'new Connection: service';
  if (!Array.isArray(v)) return serviceUrl(check.string(v, what), what);
  if (!v.length) throw check.bad(what, 'a URL or a non-empty array of URLs', v, true);
  return v.map((u, i) => (Array.isArray(u) ? cluster(u, `${what}[${i}]`) : serviceUrl(u, `${what}[${i}]`))).join('\n');
}

/** A cluster entry of the service list: 1 to 16 distinct BOSH URLs, space-joined. */
function cluster(v, what) {
  const WANT = `a non-empty array of at most ${MAX_NODES} distinct BOSH (http, https) node URLs`;
  if (!v.length || v.length > MAX_NODES) throw check.bad(what, WANT, v, true);
  const urls = v.map((u, j) => {
    const s = serviceUrl(u, `${what}[${j}]`);
    if (!/^https?:/.test(s)) throw check.bad(`${what}[${j}]`, 'a BOSH (http, https) URL: cluster nodes speak BOSH', u, true);
    return s;
  });
  if (new Set(urls).size !== urls.length) throw check.bad(what, WANT, v, true);
  return urls.join(' ');
}

/** A prebind answer's tokens `{jid, sid, rid[, url]}`, or a `PrebindError` (`bad-format`) saying what is wrong. */
function tokensOf(text) {
  const t = util(1, text);
  if (t[0] === '!') throw make(PrebindError, `prebind answer: ${t.slice(1)}`, 'bad-format');
  return JSON.parse(t);
}

/** A handler reference (an integer of at least 0). */
function reference(v, what) {
  const WANT = 'a reference returned by addHandler or addTimedHandler';
  if (typeof v !== 'number') throw check.bad(what, WANT, v, false);
  if (!(Number.isInteger(v) && v >= 0)) throw check.bad(what, WANT, v, true);
  return v;
}

/** A core command's error `!condition\tmessage` as [condition, message], or null. */
function failure(r) {
  if (r[0] !== '!') return null;
  const i = r.indexOf('\t');
  return [r.slice(1, i), r.slice(i + 1)];
}

const isBuilder = (v) => typeof v === 'object' && v !== null && ['tree', 'up', 'cnode'].every((k) => typeof v[k] === 'function');

/** The XML text of what `send` and friends accept: an Element, a Builder or a string. */
function stanzaText(stanza, what) {
  if (typeof stanza === 'string') return stanza;
  if (typeof Element !== 'undefined' && stanza instanceof Element) return serialize(stanza);
  if (isBuilder(stanza)) return String(stanza.toString());
  throw check.bad(what, 'an Element, a Builder or a string of XML', stanza, false);
}

const call = (f, ...args) => f.apply(null, args);

/** How long a page back from the back-forward cache waits for the page holding the session to release it. */
const CLAIM_WAIT_MS = 1000;

/** An XMPP connection over BOSH. */
export class Connection {
  #core;
  #handlers = new Map();
  #waiting = new Map();
  #timed = new Map();
  /** Abort controllers of the requests on the wire, by rid. */
  #requests = new Map();
  /** The WebSocket (websocket.js), when the core asked for one. */
  #socket = null;
  /** Called with `(stanzas, condition)`: sent stanzas a lost session may not have delivered (a stream management `<failed/>`, a reconnect). */
  #onUnacked = null;
  #origin;
  #scheduled = false;
  #timer = null;
  /** When the armed timer fires (ms since the origin, whole), or null. */
  #due = null;
  #keepalive;
  /** `{ domain }` form: what discovery needs; `log` (null once discovered) the handler commands to replay. */
  #discovery = null;
  /** pagehide happened: the snapshot is released, nothing is written or sent. */
  #released = false;
  /** What pagehide wrote and how many stanzas were queued in it. */
  #releasedText = null;
  #returning = false;
  #lastWritten = null;
  /** The core's last snapshot JSON (kept while a WebSocket stream is being resumed). */
  #lastSnap = null;
  #storageWarned = false;
  #logLevel = 2;
  #lastNetworkError = null;
  #confirmAttach = false;
  /** The service in the core's form (entries `\n`-joined, a cluster's nodes space-joined). */
  #service;
  /** `reconnect.prebind`: a function or a prebind URL. */
  #reprebind;
  #cb = {};
  #connectPromise = null;
  #disconnectPromise = [];

  /**
   * `new Connection(service, options)`: `service` is a BOSH (http, https) or WebSocket (ws, wss)
   * URL, absolute or relative to the page, or a list of them in order of preference whose entries
   * may be arrays of BOSH node URLs of one domain (a cluster); `options` a `ConnectionOptions` object.
   */
  constructor(service, opts) {
    const { Core } = core();
    this.#origin = performance.now();
    // `{ domain }`: XEP-0156 discovery (js/discover.js) at the first connect() or restore().
    const spec = domainSpec(service);
    if (!spec && !Array.isArray(service)) check.string(service, 'new Connection: service');
    const json = options(opts);
    // Until then the core has a stand-in service; see #discovered.
    const url = spec ? `https://${spec[0]}/` : services(service);
    try {
      this.#core = new Core(url, json);
    } catch (e) {
      throw new TypeError(`new Connection: options: ${e}`);
    }
    if (spec) this.#discovery = { domain: spec[0], origin: spec[1], json, log: [] };
    this.#service = url;
    const p = opts?.reconnect?.prebind;
    this.#reprebind = check.absent(p) || typeof p === 'function' ? p : serviceUrl(p, '', false);
    this.#keepalive = JSON.parse(json).keepalive === true;
    if (this.#keepalive) listen(this, (c) => c.#pagehide(), (c, persisted) => c.#pageshow(persisted));
  }

  #now() {
    return performance.now() - this.#origin;
  }

  #cmd(op, a = '', b = '', n = 0) {
    const r = this.#core.command(this.#now(), op, a, b, n);
    if (this.#discovery?.log && (op === ADD_HANDLER || op === DELETE_HANDLER || op === ADD_TIMER || op === REMOVE_TIMER)) this.#discovery.log.push([op, a, b, n, r]);
    return r;
  }

  /**
   * `{ domain }` form: replaces the stand-in core by one for `url` (one URL or a list in order of preference), replaying the handlers and timers
   * added so far (the core numbers them in order, so their references stay the same).
   */
  #discovered(url) {
    const d = this.#discovery;
    const { Core } = core();
    this.#core = new Core((this.#service = services(url)), d.json);
    const log = d.log;
    d.log = null;
    for (const [op, a, b, n, r] of log) {
      if (this.#core.command(this.#now(), op, a, b, n) !== r) throw new Error('new Connection: replaying the handlers on the discovered service failed');
    }
  }

  /**
   * XEP-0156: the WebSocket and BOSH URLs `domain` publishes in its host-meta files,
   * `{ websocket: [...], bosh: [...] }`; rejects with a `ConnectionError` (`discovery-failed`).
   */
  static discover(domain, options) {
    return discover(domain, options);
  }

  #get(what) {
    return this.#core.get(this.#now(), what);
  }

  /**
   * Logs in as `jid` with `password`. A bare domain means an anonymous login, which must be asked
   * for with the option `mechanisms: ['ANONYMOUS']`. Resolves on CONNECTED; rejects with a
   * `ConnectionError`.
   */
  connect(jid, password, callback) {
    check.string(jid, 'Connection.connect: jid');
    password = check.optString(password, 'Connection.connect: password');
    callback = check.optFn(callback, 'Connection.connect: callback');
    if (this.#discovery?.log) {
      // `{ domain }` form: discover first (a failure rejects and reports CONNFAIL), then connect.
      const { domain, origin } = this.#discovery;
      return discover(domain, { origin }).then((found) => {
        // WebSocket first, then BOSH: the list falls back as a `service` list does.
        const list = discoveredList(found);
        if (!list.length) throw make(ConnectionError, `new Connection: ${domain} publishes no service`, 'discovery-failed', { domain });
        if (this.#discovery.log) this.#discovered(list);
        return this.connect(jid, password, callback);
      }, (e) => {
        try {
          callback?.(Status.CONNFAIL, e.condition);
        } catch (err) {
          this.#report('the connect callback', err);
        }
        throw e;
      });
    }
    const kind = util(0, jid);
    if (!kind) throw check.bad('Connection.connect: jid', JID, jid, true);
    if (kind === 'd' && this.#get(G_ANON) !== '1') {
      throw check.bad('Connection.connect: jid', 'a JID with "@" (a bare domain means an anonymous login: to ask for one, pass the option mechanisms: [\'ANONYMOUS\'])', jid, true);
    }
    this.#flushEvents();
    const e = failure(this.#cmd(CONNECT, jid, password ?? '', password === undefined ? 0 : 1));
    if (e) return Promise.reject(make(ConnectionError, e[1], e[0]));
    const p = this.#promise(callback);
    this.#drive();
    return p;
  }

  #promise(callback) {
    return new Promise((resolve, reject) => {
      this.#cb.connect = callback;
      this.#connectPromise = [resolve, reject];
    });
  }

  /**
   * Takes over an authenticated session opened elsewhere (prebind); `rid` is the next rid; `url`
   * the node that bound it, needed when the service is a cluster of several nodes.
   */
  attach(jid, sid, rid, callback, wait, hold, wind, url) {
    const RID = 'a positive integer (a number or a string of digits)';
    check.string(jid, 'Connection.attach: jid');
    if (!util(0, jid)) throw check.bad('Connection.attach: jid', JID, jid, true);
    check.string(sid, 'Connection.attach: sid');
    let ok;
    if (typeof rid === 'number') ok = Number.isInteger(rid) && rid >= 1 && rid <= Number.MAX_SAFE_INTEGER;
    else if (typeof rid === 'string') ok = /^\d{1,16}$/.test(rid.trim());
    else throw check.bad('Connection.attach: rid', RID, rid, false);
    if (!ok) throw check.bad('Connection.attach: rid', RID, rid, true);
    callback = check.optFn(callback, 'Connection.attach: callback');
    wait = check.optUint(wait, 'Connection.attach: wait', SECONDS, 65535);
    hold = check.optUint(hold, 'Connection.attach: hold', SMALL, 65535);
    wind = check.optUint(wind, 'Connection.attach: wind', SMALL, 65535);
    url = this.#node(url, 'Connection.attach: url');
    this.#flushEvents();
    return this.#attached(this.#cmd(ATTACH, jid, [sid, String(rid).trim(), wait ?? '', hold ?? '', wind ?? '', url ?? ''].join('\n')), callback);
  }

  /**
   * The node of an attach: absent, or one of the service's BOSH URLs (absolute); required when
   * the service holds a cluster of several nodes. A TypeError or RangeError naming `what`.
   */
  #node(url, what) {
    const entries = this.#service.split('\n');
    const nodes = entries.flatMap((e) => e.split(' ')).filter((u) => /^https?:/.test(u));
    if (check.absent(url)) {
      if (entries.some((e) => e.includes(' '))) throw check.bad(what, 'the URL of the node that bound the session (the service is a cluster of several nodes)', url, false);
      return undefined;
    }
    const s = serviceUrl(url, what, false);
    if (!nodes.includes(s)) throw check.bad(what, `one of the service's BOSH URLs (${nodes.join(', ')})`, url, true);
    return s;
  }

  /**
   * Continues the session a previous page of this tab kept in sessionStorage (`keepalive: true`).
   * Throws a `SessionError` when there is none this page may continue; otherwise like `attach`.
   */
  restore(jid, callback, wait, hold, wind) {
    jid = check.optString(jid, 'Connection.restore: jid');
    callback = check.optFn(callback, 'Connection.restore: callback');
    check.optUint(wait, 'Connection.restore: wait', SECONDS, 65535);
    check.optUint(hold, 'Connection.restore: hold', SMALL, 65535);
    check.optUint(wind, 'Connection.restore: wind', SMALL, 65535);
    // wait, hold and wind: accepted for Strophe.js compatibility; the stored values are used.
    let text;
    try {
      text = keepalive.read(jid, getBareJidFromJid);
    } catch (reason) {
      throw sessionError(reason);
    }
    // `{ domain }` form: the session continues on the service it was on (the snapshot's).
    if (this.#discovery?.log) {
      let s;
      try {
        const v = JSON.parse(text); // a WebSocket snapshot has `service`, a BOSH one `session.service` or `.url`
        s = v.service ?? v.session?.service ?? v.session?.url;
      } catch {}
      if (typeof s !== 'string') throw sessionError('bad-snapshot');
      try {
        this.#discovered(s);
      } catch {
        throw sessionError('bad-snapshot');
      }
    }
    this.#flushEvents();
    const e = failure(this.#cmd(RESTORE, text));
    if (e) {
      // Unusable (another service, a tampered snapshot, no SCRAM keys over WebSocket): drop it.
      try {
        keepalive.remove();
      } catch {}
      throw sessionError(e[0] === 'no-scram-keys' ? e[0] : 'bad-snapshot');
    }
    // Claimed at once: a second restore (a tab duplicated right now) must see a session in use. A
    // page without keepalive will not keep it up to date: it takes it away.
    try {
      if (this.#keepalive) {
        this.#lastSnap = JSON.stringify({ ...JSON.parse(text), released: undefined });
        keepalive.write(JSON.stringify({ ...JSON.parse(text), released: false }));
      } else keepalive.remove();
    } catch {}
    return this.#attached('', callback);
  }

  /**
   * Gets a session from a prebind service at `url` and attaches to it. Any failure rejects with a
   * `PrebindError` and reports ATTACHFAIL to `callback`.
   */
  prebind(url, callback, opts) {
    url = serviceUrl(url, 'Connection.prebind: url', false);
    callback = check.optFn(callback, 'Connection.prebind: callback');
    const o = check.optObject(opts, 'Connection.prebind: options') ?? {};
    const to = check.optString(o.to, 'Connection.prebind: options.to');
    const wait = check.optUint(o.wait, 'Connection.prebind: options.wait', SECONDS, 65535);
    const hold = check.optUint(o.hold, 'Connection.prebind: options.hold', SMALL, 65535);
    const esc = (s) => String(s).replace(/[&<>"'\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
    let body = "<body xmlns='http://jabber.org/protocol/httpbind'";
    for (const [k, v] of [['to', to], ['wait', wait], ['hold', hold]]) if (v !== undefined) body += ` ${k}='${esc(v)}'`;
    body += '/>';
    const fail = (condition, message) => {
      if (callback) {
        try {
          callback(Status.ATTACHFAIL, condition);
        } catch (e) {
          this.#report('the prebind callback', e);
        }
      }
      return make(PrebindError, message, condition);
    };
    return (async () => {
      let t, node;
      try {
        t = await this.#fetchPrebind(url, body, o.json);
        node = this.#prebindNode(t);
      } catch (e) {
        throw fail(e.condition, e.message);
      }
      this.#flushEvents();
      return this.#attached(this.#cmd(ATTACH, t.jid, [t.sid, t.rid, wait ?? '', hold ?? '', '', node ?? ''].join('\n')), callback);
    })();
  }

  /** POSTs `body` to a prebind service; its tokens `{jid, sid, rid[, url]}` or a `PrebindError`. */
  async #fetchPrebind(url, body, json) {
    const request = { url, body, contentType: 'text/xml; charset=utf-8', headers: [['Accept', json ? 'application/json' : 'text/xml']] };
    let answer;
    try {
      answer = await post(request, null, +this.#get(G_MAX));
    } catch {
      throw make(PrebindError, 'prebind service unreachable', 'prebind-unreachable');
    }
    if (!answer) throw make(PrebindError, 'prebind answer too large', 'prebind-failed');
    if (answer[0] !== 200) throw make(PrebindError, `prebind service answered HTTP ${answer[0]}`, 'prebind-failed');
    return tokensOf(answer[1]);
  }

  /** The node a prebind answer names (`url`), checked as `attach`'s; a `PrebindError` (`bad-format`) if wrong. */
  #prebindNode(t) {
    try {
      return this.#node(t.url, 'prebind answer: url');
    } catch (e) {
      throw make(PrebindError, e.message, 'bad-format');
    }
  }

  /**
   * `[8]`: a reconnect of an attached session wants a new prebound session: `reconnect.prebind`
   * (a function answering `{jid, sid, rid[, url]}`, or a prebind URL), then `attach` it. A failure
   * is reported (the `log` hook or the console) and is a failed attempt: the backoff goes on.
   */
  async #prebindAgain() {
    const p = this.#reprebind;
    let t, node;
    try {
      // The callback's answer is read as a prebind service's JSON answer is (the same checks).
      if (typeof p === 'function') {
        const v = await p();
        t = tokensOf(JSON.stringify(typeof v === 'object' && v ? v : {}));
      } else t = await this.#fetchPrebind(p, "<body xmlns='http://jabber.org/protocol/httpbind'/>", true);
      node = this.#prebindNode(t);
    } catch (e) {
      this.#report('reconnect.prebind', e);
      this.#cmd(PREBIND_FAILED, e?.condition ?? 'prebind-failed');
      return this.#drive();
    }
    const e = failure(this.#cmd(ATTACH, t.jid, [t.sid, String(t.rid), '', '', '', node ?? ''].join('\n'), 1));
    // invalid-state: disconnect() won meanwhile.
    if (e && e[0] !== 'invalid-state') {
      this.#report('reconnect.prebind', make(PrebindError, e[1], e[0]));
      this.#cmd(PREBIND_FAILED, e[0]);
    }
    this.#drive();
  }

  /** Sends a stanza: a DOM Element, a Builder, or a string of exactly one well-formed element. */
  send(stanza) {
    const text = stanzaText(stanza, 'Connection.send: stanza');
    const e = failure(this.#cmd(SEND, text));
    if (e) throw make(TypeError, `Connection.send: ${e[1]}`, e[0]);
    this.#schedule();
  }

  /** Adds a stanza handler; it stays while it returns `true`. Returns a reference for `deleteHandler`. */
  addHandler(handler, ns, name, type, id, from, opts) {
    check.fn(handler, 'Connection.addHandler: handler');
    ns = check.optString(ns, 'Connection.addHandler: ns');
    name = check.optString(name, 'Connection.addHandler: name');
    let types = null;
    if (!check.absent(type)) {
      if (typeof type === 'string') types = [type];
      else if (Array.isArray(type) && type.every((t) => typeof t === 'string')) types = type;
      else throw check.bad('Connection.addHandler: type', 'a string, an array of strings, null or undefined', type, false);
    }
    id = check.optString(id, 'Connection.addHandler: id');
    from = check.optString(from, 'Connection.addHandler: from');
    const o = check.optObject(opts, 'Connection.addHandler: options') ?? {};
    const matcher = [ns ?? null, name ?? null, types, id ?? null, from ?? null, !!o.matchBareFromJid, !!o.ignoreNamespaceFragment];
    const ref = +this.#cmd(ADD_HANDLER, JSON.stringify(matcher));
    this.#handlers.set(ref, handler);
    return ref;
  }

  /** Removes a handler added with `addHandler`. */
  deleteHandler(handlerRef) {
    const r = reference(handlerRef, 'Connection.deleteHandler: handlerRef');
    this.#handlers.delete(r);
    return this.#cmd(DELETE_HANDLER, '', '', r) === '1';
  }

  /** Sends an IQ get/set and waits for its answer; returns the stanza id. */
  sendIQ(stanza, callback, errback, timeout) {
    return this.#tracked('iq', 'Connection.sendIQ', stanza, callback, errback, timeout);
  }

  /** Promise form of `sendIQ`. */
  sendIQAsync(stanza, timeout) {
    return this.#trackedPromise('iq', 'Connection.sendIQAsync', stanza, timeout);
  }

  /** Sends a presence and waits for the presence answering it (same id); returns the id. */
  sendPresence(stanza, callback, errback, timeout) {
    return this.#tracked('presence', 'Connection.sendPresence', stanza, callback, errback, timeout);
  }

  /** Promise form of `sendPresence`. */
  sendPresenceAsync(stanza, timeout) {
    return this.#trackedPromise('presence', 'Connection.sendPresenceAsync', stanza, timeout);
  }

  #tracked(kind, method, stanza, callback, errback, timeout) {
    const w = {
      callback: check.optFn(callback, `${method}: callback`),
      errback: check.optFn(errback, `${method}: errback`),
    };
    return this.#track(kind, method, stanza, check.optNonneg(timeout, `${method}: timeout`, MS), w);
  }

  #trackedPromise(kind, method, stanza, timeout) {
    timeout = check.optNonneg(timeout, `${method}: timeout`, MS);
    const w = {};
    const p = new Promise((resolve, reject) => {
      w.promise = [resolve, reject];
    });
    this.#track(kind, method, stanza, timeout, w);
    return p;
  }

  #track(kind, method, stanza, timeout, waiting) {
    const text = stanzaText(stanza, `${method}: stanza`);
    let r = this.#cmd(PREPARE, text, kind);
    let e = failure(r);
    if (e) throw make(TypeError, `${method}: ${e[1]}`, e[0]);
    const id = r.slice(1);
    if (r[0] === '=' && this.#waiting.has(id)) {
      throw make(TypeError, `${method}: a stanza with id ${JSON.stringify(id)} is already waiting for its answer`, 'conflict');
    }
    r = this.#cmd(TRACK, '', '', timeout ?? -1);
    e = failure(r);
    if (e) throw make(TypeError, `${method}: ${e[1]}`, e[0]);
    this.#waiting.set(r.slice(1), waiting);
    this.#schedule();
    return r.slice(1);
  }

  /** Calls `handler()` every `period` milliseconds while it returns `true`. */
  addTimedHandler(period, handler) {
    const WHAT = 'Connection.addTimedHandler: period';
    period = check.optNonneg(period, WHAT, MS);
    if (period === undefined) throw check.bad(WHAT, MS, period, false);
    check.fn(handler, 'Connection.addTimedHandler: handler');
    const id = +this.#cmd(ADD_TIMER, '', '', period);
    this.#timed.set(id, handler);
    this.#drive();
    return id;
  }

  /** Removes a timed handler. */
  deleteTimedHandler(handlerRef) {
    const r = reference(handlerRef, 'Connection.deleteTimedHandler: handlerRef');
    this.#timed.delete(r);
    return this.#cmd(REMOVE_TIMER, '', '', r) === '1';
  }

  /** Binds a resource after BINDREQUIRED (option `explicitResourceBinding`). */
  bind(resource) {
    resource = check.optString(resource, 'Connection.bind: resource');
    const e = failure(this.#cmd(BIND, resource ?? '', '', resource === undefined ? 0 : 1));
    if (e) throw make(ConnectionError, e[1], e[0]);
    this.#drive();
  }

  /** Ends the session (an unavailable presence rides in the terminate body); resolves once DISCONNECTED. */
  disconnect(reason) {
    reason = check.optString(reason, 'Connection.disconnect: reason');
    if (+this.#get(G_STATUS) === Status.DISCONNECTED) return Promise.resolve();
    const p = new Promise((resolve) => this.#disconnectPromise.push(resolve));
    this.#cmd(DISCONNECT, reason ?? '', '', reason === undefined ? 0 : 1);
    this.#drive();
    return p;
  }

  /** Stops sending new bodies; stanzas keep queueing. */
  pause() {
    this.#cmd(PAUSE);
  }

  /** Sends what queued while paused. */
  resume() {
    this.#cmd(RESUME);
    this.#schedule();
  }

  /** Does nothing (the connection is garbage-collected); kept for code written for earlier builds. */
  free() {}

  /** Sends queued stanzas now. */
  flush() {
    this.#cmd(FLUSH);
    this.#drive();
  }

  /** The service URL in use (absolute; of a list, the one connected to; it changes after a `see-other-uri` redirect). */
  get service() {
    if (this.#discovery?.log) return ''; // `{ domain }` form: not discovered yet
    return this.#get(G_SERVICE);
  }

  /** The transport of the service in use: `'websocket'` or `'bosh'`. */
  get transport() {
    return this.#get(G_TRANSPORT);
  }

  /** Called with `(stanzas, condition)` when sent stanzas may not have arrived: stream management could not resume, or `reconnect` replaced a lost session. */
  get onUnacknowledged() {
    return this.#onUnacked ?? undefined;
  }

  set onUnacknowledged(f) {
    this.#onUnacked = check.optFn(f, 'Connection.onUnacknowledged') ?? null;
  }

  /** The JID: as given to `connect`, then the bound full JID. */
  get jid() {
    return this.#get(G_JID) || undefined;
  }

  /** Whether the login completed. */
  get authenticated() {
    return this.#get(G_AUTHENTICATED) === '1';
  }

  /** Whether a session is open. */
  get connected() {
    return this.#get(G_CONNECTED) === '1';
  }

  /** Whether sending is paused. */
  get paused() {
    return this.#get(G_PAUSED) === '1';
  }

  /** The SASL mechanism used by the login. */
  get mechanism() {
    return this.#get(G_MECHANISM) || undefined;
  }

  /** The current status. */
  get status() {
    return +this.#get(G_STATUS);
  }

  get rawInput() {
    return this.#cb.rawInput;
  }

  set rawInput(f) {
    this.#cb.rawInput = check.optFn(f, 'Connection.rawInput');
  }

  get rawOutput() {
    return this.#cb.rawOutput;
  }

  set rawOutput(f) {
    this.#cb.rawOutput = check.optFn(f, 'Connection.rawOutput');
  }

  get xmlInput() {
    return this.#cb.xmlInput;
  }

  set xmlInput(f) {
    this.#cb.xmlInput = check.optFn(f, 'Connection.xmlInput');
  }

  get xmlOutput() {
    return this.#cb.xmlOutput;
  }

  set xmlOutput(f) {
    this.#cb.xmlOutput = check.optFn(f, 'Connection.xmlOutput');
  }

  set log(f) {
    this.#cb.log = check.optFn(f, 'Connection.log');
  }

  get logLevel() {
    return this.#logLevel;
  }

  set logLevel(level) {
    const WANT = 'a LogLevel (an integer from 0 to 4)';
    const l = check.optUint(level, 'Connection.logLevel', WANT, 4);
    if (l === undefined) throw check.bad('Connection.logLevel', WANT, level, false);
    this.#logLevel = l;
  }

  // ---- driving the core ----

  /** ATTACHED at once; the first request leaves in a later task (stanzas sent meanwhile ride in it). */
  #attached(r, callback) {
    const e = failure(r);
    if (e) return Promise.reject(make(ConnectionError, e[1], e[0]));
    const p = this.#promise(callback);
    this.#flushEvents();
    setTimeout(() => this.#drive(), 0);
    return p;
  }

  #schedule() {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#drive();
    });
  }

  /** Delivers what the core has queued (before a new connect/attach/restore replaces the callbacks). */
  #flushEvents() {
    let ev;
    while ((ev = this.#core.poll(this.#now(), false))) {
      const e = JSON.parse(ev);
      this.#deliver(e);
    }
  }

  /** Drains the core: events (callbacks run in between), then requests, then the timer. */
  #drive() {
    let out;
    // After pagehide the rids belong to the next page: nothing leaves until this page takes the
    // session back (stanzas sent meanwhile wait in the queue).
    while ((out = this.#core.poll(this.#now(), !this.#released))) {
      const ev = JSON.parse(out);
      if (ev[0] === 5) this.#start(ev);
      else if (ev[0] === 6) this.#ws(ev);
      else this.#deliver(ev);
    }
    this.#confirmAttached();
    this.#persist();
    const delay = this.#get(G_TIMEOUT);
    // The same deadline as the armed timer (most drains of a busy stream): nothing to re-arm.
    const due = delay === '' ? null : Math.floor(this.#now()) + +delay;
    if (this.#timer !== null && due === this.#due) return;
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#due = due;
    if (due === null) return;
    const fire = () => {
      this.#timer = null;
      this.#core.input(this.#now(), 0, TIMEOUT, '');
      this.#drive();
    };
    if (+delay === 0) {
      // Due now (the long poll after CONNECTED waits for this): the next task, unthrottled.
      const t = (this.#timer = {});
      soon(() => this.#timer === t && fire());
    } else this.#timer = setTimeout(fire, Math.min(+delay, 2147483647));
  }

  /** Resolves the attach/restore promise once the server answered the attached session's first request. */
  #confirmAttached() {
    if (!this.#confirmAttach || +this.#get(G_STATUS) !== Status.ATTACHED || this.#get(G_ATTACHING) === '1') return;
    this.#confirmAttach = false;
    const p = this.#connectPromise;
    this.#connectPromise = null;
    p?.[0](Status.ATTACHED);
  }

  /** keepalive: writes the snapshot when it changed; removes it once the session is over. */
  /**
   * The snapshot to store: the core's or, while a WebSocket stream is being resumed (after a
   * dropped socket or by `restore`, when the core has none), the last one: a page that goes away
   * meanwhile leaves it to the next page, which resumes in its turn.
   */
  #snapshot() {
    const snap = this.#get(G_SNAPSHOT);
    if (snap) return (this.#lastSnap = snap);
    const s = +this.#get(G_STATUS);
    if (s === Status.RECONNECTING || (s === Status.ATTACHED && this.#get(G_ATTACHING) === '1')) return this.#lastSnap ?? '';
    return (this.#lastSnap = '');
  }

  #persist() {
    if (!this.#keepalive) return;
    const snap = this.#snapshot();
    try {
      if (snap) {
        // After pagehide the stored snapshot is the next page's.
        if (this.#released) return;
        const text = keepalive.encode(snap, false);
        if (this.#lastWritten === text) return;
        this.#lastWritten = text;
        keepalive.write(text);
      } else {
        if (this.#lastWritten === null) return;
        this.#lastWritten = null;
        keepalive.remove();
      }
    } catch (e) {
      if (!this.#storageWarned) {
        this.#storageWarned = true;
        this.#log(LogLevel.WARN, 'cannot write the keepalive snapshot to sessionStorage; restore() will not work', e);
      }
    }
  }

  #abortAll() {
    const all = [...this.#requests.values()];
    this.#requests.clear();
    for (const c of all) c.abort();
    this.#closeSocket();
  }

  #closeSocket() {
    if (this.#socket) socket.close(this.#socket);
    this.#socket = null;
  }

  /** A socket action of the core: open (its events become inputs), send a frame, close. */
  #ws([, what, arg]) {
    if (what === 0) {
      this.#closeSocket();
      const s = socket.open(arg, {
        open: () => this.#wsInput(s, WS_OPEN, ''),
        frame: (text) => {
          if (this.#socket === s && !this.#released) this.#hooks(text, true);
          this.#wsInput(s, WS_FRAME, text);
        },
        closed: () => this.#wsInput(s, WS_CLOSED, ''),
      });
      this.#socket = s;
    } else if (what === 1) {
      this.#hooks(arg, false);
      if (this.#socket) socket.send(this.#socket, arg);
    } else {
      this.#closeSocket();
    }
  }

  /** An event of socket `s`: an input of the core while `s` is the current socket and the page holds the session. */
  #wsInput(s, code, text) {
    if (this.#socket !== s || this.#released) return;
    if (code === WS_CLOSED) this.#socket = null;
    this.#core.input(this.#now(), 0, code, text);
    this.#drive();
  }

  /** rawInput then xmlInput (incoming), or xmlOutput then rawOutput, with `text`. */
  #hooks(text, incoming) {
    const { rawInput, xmlInput, rawOutput, xmlOutput } = this.#cb;
    const raw = (f, name) => {
      if (!f) return;
      try {
        f(text);
      } catch (e) {
        this.#report(name, e);
      }
    };
    const xml = (f, name) => {
      if (!f) return;
      // Text that is not XML reaches the core as is and becomes a condition there.
      let el = null;
      try {
        el = toDom(text);
      } catch {}
      if (!el) return;
      try {
        f(el);
      } catch (e) {
        this.#report(name, e);
      }
    };
    if (incoming) {
      raw(rawInput, 'rawInput');
      xml(xmlInput, 'xmlInput');
    } else {
      xml(xmlOutput, 'xmlOutput');
      raw(rawOutput, 'rawOutput');
    }
  }

  #deliver(ev) {
    switch (ev[0]) {
      case 0: {
        const [, status, condition] = ev;
        // Everything this status settles is taken before the callback runs: it may start a new
        // session, whose promise and requests must not be settled or aborted here.
        let settle = null;
        if (status === Status.CONNECTED) settle = true;
        else if (status === Status.ATTACHED) this.#confirmAttach = true;
        else if (FAILED.includes(status)) settle = false;
        const pending = settle === null ? null : this.#connectPromise;
        if (settle !== null) this.#connectPromise = null;
        let waiting = [];
        if (status === Status.DISCONNECTED) {
          waiting = this.#disconnectPromise;
          this.#disconnectPromise = [];
          this.#abortAll();
        } else if (status === Status.RECONNECTING) {
          // The lost session's requests: the new one starts afresh.
          this.#abortAll();
        }
        const cb = this.#cb.connect;
        if (cb) {
          try {
            cb(status, condition);
          } catch (e) {
            this.#report('the connect callback', e);
          }
        }
        if (pending) {
          if (settle) pending[0](status);
          else pending[1](this.#statusError(status, condition));
        }
        for (const resolve of waiting) resolve();
        break;
      }
      case 1: {
        const [, ids, tree] = ev;
        if (!ids.length) break;
        let dom;
        try {
          dom = fromTree(tree);
        } catch (e) {
          this.#report('converting a stanza to DOM', e);
          break;
        }
        for (const id of ids) {
          // An earlier handler may have deleted this one.
          const f = this.#handlers.get(id);
          if (!f) continue;
          let keep;
          try {
            keep = f(dom);
          } catch (e) {
            // A throwing handler is reported and removed, like Strophe.js; the others still run.
            this.#report('a stanza handler', e);
          }
          if (!keep) this.deleteHandler(id);
        }
        break;
      }
      case 2: {
        const [, id, isError, condition, tree] = ev;
        const w = this.#waiting.get(id);
        if (!w) break;
        this.#waiting.delete(id);
        let dom = null;
        try {
          dom = fromTree(tree);
        } catch (e) {
          this.#report('converting a stanza to DOM', e);
        }
        const f = isError ? w.errback : w.callback;
        if (f) {
          try {
            f(dom);
          } catch (e) {
            this.#report('a sendIQ/sendPresence callback', e);
          }
        }
        if (w.promise) {
          if (isError) w.promise[1](make(StanzaError, `stanza error: ${condition}`, condition, { stanza: dom }));
          else w.promise[0](dom);
        }
        break;
      }
      case 3: {
        const [, id, reason] = ev;
        const w = this.#waiting.get(id);
        if (!w) break;
        this.#waiting.delete(id);
        if (w.errback) {
          try {
            w.errback(null);
          } catch (e) {
            this.#report('a sendIQ/sendPresence errback', e);
          }
        }
        w.promise?.[1](make(reason === 'timeout' ? TimeoutError : DisconnectedError, `no answer to ${id}: ${reason}`, reason));
        break;
      }
      case 8:
        this.#prebindAgain();
        break;
      case 7: {
        const [, condition, trees] = ev;
        const f = this.#onUnacked;
        if (!f) {
          this.#log(LogLevel.WARN, `the session was lost (${condition}): ${trees.length} sent stanza(s) may not have arrived`);
          break;
        }
        try {
          f(trees.map(fromTree), condition);
        } catch (e) {
          this.#report('onUnacknowledged', e);
        }
        break;
      }
      case 4: {
        const id = ev[1];
        const f = this.#timed.get(id);
        let keep = false;
        if (f) {
          try {
            keep = f();
          } catch (e) {
            this.#report('a timed handler', e);
          }
        }
        if (!keep) {
          this.#timed.delete(id);
          this.#cmd(REMOVE_TIMER, '', '', id);
        }
        break;
      }
    }
  }

  /** The ConnectionError of a failed status, with the URL and the transport's failure. */
  #statusError(status, condition) {
    const cond = condition ?? '';
    const url = this.service;
    const f = this.#get(G_FAILURE);
    let message = Status[status] + (cond ? `: ${cond}` : '');
    const fields = { status, url };
    if (f[0] === 'H') {
      fields.httpStatus = +f.slice(1);
      message += ` (HTTP ${fields.httpStatus} from ${url})`;
    } else if (f) {
      fields.networkError = f === 'T' ? 'timeout' : this.#lastNetworkError ?? 'network error';
      message += ` (${fields.networkError}: ${url})`;
    }
    return make(ConnectionError, message, cond, fields);
  }

  /** One request of the core: hooks, then fetch under an AbortController kept per rid. */
  #start([, id, rid, url, body, contentType, headers, withCredentials, keep]) {
    this.#hooks(body, false);
    this.#requests.get(rid)?.abort();
    const controller = new AbortController();
    this.#requests.set(rid, controller);
    const max = +this.#get(G_MAX);
    const done = (answer, error) => {
      if (this.#requests.get(rid) === controller) this.#requests.delete(rid);
      // After pagehide the page no longer consumes answers: the stored snapshot still lists this
      // rid, and the next page gets the server's copy (back from the bfcache, it is resent).
      if (this.#released) return;
      if (error !== undefined) {
        this.#lastNetworkError = error instanceof Error ? error.message : null;
        this.#core.input(this.#now(), id, TRANSPORT_ERROR, '');
      } else if (!answer) {
        this.#core.input(this.#now(), id, OVERSIZED, '');
      } else {
        const [status, text] = answer;
        if (status === 200) this.#hooks(text, true);
        this.#core.input(this.#now(), id, status, text);
      }
      this.#drive();
    };
    // The fetch starts in a microtask, after the reactions to what this drain settled (a login's
    // promise): the request counts of the benchmark and the tests stay those of the protocol.
    queueMicrotask(() => post({ url, body, contentType, headers, withCredentials, keepalive: keep }, controller.signal, max).then(
      (a) => done(a),
      (e) => done(null, e ?? null),
    ));
  }

  #report(context, err) {
    this.#log(LogLevel.ERROR, `exception in ${context}`, err);
  }

  /** Logs through the `log` hook, or the console, at `level` or above the `logLevel`. */
  #log(level, message, detail) {
    if (level < this.#logLevel) return;
    const hook = this.#cb.log;
    if (hook) {
      let text = message;
      if (detail !== undefined) {
        let d;
        try {
          // An Error's message is not enumerable: JSON would keep only its extra fields.
          d = detail instanceof Error ? String(detail) : JSON.stringify(detail);
        } catch {}
        if (d === undefined || d === '{}') d = typeof detail === 'string' ? detail : String(detail);
        text += `: ${d}`;
      }
      try {
        hook(level, text);
      } catch {}
      return;
    }
    const out = level <= LogLevel.INFO ? console.log : level === LogLevel.WARN ? console.warn : console.error;
    out(`xmpp-wasm: ${message}`, detail);
  }

  // ---- keepalive and the back-forward cache (lifecycle.js calls these) ----

  /** pagehide: writes the snapshot one last time, released, and stops writing and sending. */
  #pagehide() {
    if (this.#released) return;
    // No pause request here (see ARCHITECTURE.md): the next page resends what is unanswered.
    const snap = this.#snapshot();
    let written = null;
    if (snap) {
      const text = keepalive.encode(snap, true);
      try {
        keepalive.write(text);
        written = [text, +this.#get(G_QUEUED)];
      } catch {}
    }
    this.#releasedText = written;
    this.#released = true;
    // BOSH: the next page resends what is unanswered: close our connections now, so that the
    // server forgets these requests before that resend arrives. A server that still held this
    // page's copy of a rid could answer the next page's copy empty and write the data into ours
    // (seen on Prosody under load: an IQ result lost). Back from the bfcache, they are resent.
    this.#abortAll();
    // WebSocket: the next page resumes the stream on its own socket; nothing more is read here
    // (what arrives after the snapshot is the server's to send again).
    this.#closeSocket();
  }

  /** pageshow from the back-forward cache: takes the session back, adopts a newer one, or gives it up. */
  #pageshow(persisted) {
    if (!persisted || !this.#released || this.#returning) return;
    this.#returning = true;
    const deadline = performance.now() + CLAIM_WAIT_MS;
    const retry = () => {
      if (!this.#tryReturn(deadline)) setTimeout(retry, 50);
    };
    retry();
  }

  #tryReturn(deadline) {
    const [text, queued] = this.#releasedText ?? [null, 0];
    let [found, snap] = keepalive.onReturn(text);
    if (found === 'claimed') {
      if (performance.now() < deadline) return false;
      found = 'taken';
    }
    this.#releasedText = null;
    this.#returning = false;
    this.#released = false;
    // Answers that came while the page was hidden were dropped; the requests still pending are stale.
    this.#abortAll();
    this.#lastWritten = null;
    let adopted = false;
    const ws = this.transport === 'websocket';
    if (found === 'unchanged') {
      // Still ours: every attempt on the wire is lost; the core resends them with their rids and
      // bytes (BOSH), or resumes the stream on a new socket (WebSocket, closed at pagehide).
      this.#core.input(this.#now(), 0, ws ? WS_CLOSED : ALL_LOST, '');
      adopted = true;
    } else if (found === 'adopt' && !ws) {
      adopted = !this.#cmd(ADOPT, snap, '', queued);
    }
    // Not ours any more: ended here without a word to the server; its snapshot is left alone.
    if (!adopted) this.#cmd(RELINQUISH, keepalive.SESSION_TAKEN);
    this.#persist();
    this.#drive();
    return true;
  }
}

function sessionError(reason) {
  return make(SessionError, `cannot restore the session: ${reason}`, reason, { reason });
}
