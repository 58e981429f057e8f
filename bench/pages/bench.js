// The benchmark page: one small adapter per library over the same documented
// calls (connect, attach, restore, sendIQ ping, send, addHandler, disconnect),
// so that bench/run.mjs drives xmpp-wasm and Strophe.js 5.0.0 alike.
//
//   /bench/bench.html?lib=xmpp-wasm|strophe[&role=alice][&ws=ws://…/xmpp-websocket]
//
// With ws=URL every connection speaks WebSocket to URL instead of BOSH to /http-bind. Over
// WebSocket, role=alice's "restore" is what each library offers there: xmpp-wasm's restore()
// (stream resumption, authenticated with the SCRAM keys of the login); Strophe.js 5, whose
// restore() is BOSH-only, logs in again with the password the previous page kept in
// sessionStorage ('bench:creds'), as an application must.
//
// On load the page measures the library's start-up (window.B.initMs):
//   xmpp-wasm: from the start of `import('/pkg/xmpp_wasm.js')` until `init()` resolved, split into
//              B.importMs (the module fetched and evaluated) and B.wasmMs (`init()`: the .wasm
//              fetched, compiled while it streams in, instantiated);
//   Strophe:   from inserting <script src=strophe.umd.min.js> until it has been evaluated.
// Two variants of xmpp-wasm's start-up (bench/run.mjs measures them on their own pages):
//   &preload=1      at the same instant as the import, <link rel=modulepreload> for the module and
//                   <link rel=preload as=fetch crossorigin> for the .wasm, as a page's <head> would
//                   have them: both fetches start at once instead of one after the other
//   &wasmtype=octet init() gets the .wasm's response relabelled application/octet-stream, which is
//                   what a server that does not know the application/wasm type sends: wasm-bindgen's
//                   init then falls back from instantiateStreaming to arrayBuffer() + instantiate
//                   (and warns on the console), and Chromium's wasm code cache does not apply
// With role=alice it then tries restore() of a keepalive session (left by the
// previous page of this tab) and pings the server; the outcome is window.__restore.
// HTTP requests to /http-bind are counted by an init script of run.mjs (window.__reqs()).
const params = new URLSearchParams(location.search);
const lib = params.get('lib');
const PING = 'urn:xmpp:ping';
const DOMAIN = 'localhost';
const WS = params.get('ws');

async function loadXmppWasm() {
  const wasmUrl = new URL('/pkg/xmpp_wasm_bg.wasm', location.href);
  const t0 = performance.now();
  if (params.get('preload') === '1') {
    const js = Object.assign(document.createElement('link'), { rel: 'modulepreload', href: '/pkg/xmpp_wasm.js' });
    const wasm = Object.assign(document.createElement('link'), { rel: 'preload', as: 'fetch', href: wasmUrl.href, crossOrigin: 'anonymous' });
    document.head.append(js, wasm);
  }
  const m = await import('/pkg/xmpp_wasm.js');
  const t1 = performance.now();
  if (params.get('wasmtype') === 'octet') {
    await m.default({
      module_or_path: fetch(wasmUrl).then((r) => new Response(r.body, { status: r.status, headers: { 'Content-Type': 'application/octet-stream' } })),
    });
  } else {
    await m.default();
  }
  const t2 = performance.now();
  const initMs = t2 - t0;
  const { Connection, Status, $msg, $iq } = m;
  function newConn({ keepalive = false, mech, sm } = {}) {
    const opts = { keepalive };
    if (mech) opts.mechanisms = [mech];
    if (sm !== undefined) opts.streamManagement = sm; // XEP-0198 over WebSocket (default on)
    const c = new Connection(WS ?? '/http-bind', opts);
    return wrap(c, Status, $msg, $iq, {
      ping: () => c.sendIQAsync($iq({ type: 'get', to: DOMAIN }).c('ping', { xmlns: PING }), 10000),
    });
  }
  return { initMs, importMs: t1 - t0, wasmMs: t2 - t1, newConn };
}

async function loadStrophe() {
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/strophe/strophe.umd.min.js';
    s.onload = resolve;
    s.onerror = () => reject(new Error('strophe.umd.min.js did not load'));
    document.head.append(s);
  });
  const initMs = performance.now() - t0;
  // The UMD build sets the globals Strophe, $msg, $iq, … (window.Strophe is the Strophe object).
  const { Strophe, $msg, $iq } = window;
  const MECHS = { PLAIN: Strophe.SASLPlain, 'SCRAM-SHA-1': Strophe.SASLSHA1 };
  function newConn({ keepalive = false, mech, sm } = {}) {
    if (sm) throw new Error('Strophe.js 5 has no stream management');
    const opts = { keepalive };
    if (mech) opts.mechanisms = [MECHS[mech]];
    const c = new Strophe.Connection(WS ?? '/http-bind', opts);
    return wrap(c, Strophe.Status, $msg, $iq, {
      ping: () => new Promise((resolve, reject) => {
        c.sendIQ($iq({ type: 'get', to: DOMAIN }).c('ping', { xmlns: PING }), resolve,
          (e) => reject(new Error(`ping failed: ${e ? new XMLSerializer().serializeToString(e) : 'timeout'}`)), 10000);
      }),
    });
  }
  return { initMs, newConn };
}

// The same wrapper over both: promises settled from the status callback.
function wrap(c, Status, $msg, $iq, extra) {
  const waiters = [];
  const failing = new Set([Status.CONNFAIL, Status.AUTHFAIL, Status.ERROR, Status.CONNTIMEOUT, Status.ATTACHFAIL].filter((s) => s !== undefined));
  const onStatus = (s, cond) => {
    for (const w of waiters.splice(0)) {
      if (w.want.includes(s)) w.resolve(s);
      else if (failing.has(s) || (s === Status.DISCONNECTED && !w.want.includes(s))) w.reject(new Error(`status ${s} ${cond ?? ''}`));
      else waiters.push(w);
    }
  };
  const waitFor = (...want) => new Promise((resolve, reject) => waiters.push({ want, resolve, reject }));
  const quiet = (p) => { if (p && typeof p.catch === 'function') p.catch(() => {}); };
  return {
    conn: c,
    get jid() { return c.jid; },
    connect(jid, pass) {
      const p = waitFor(Status.CONNECTED);
      quiet(c.connect(jid, pass, onStatus));
      return p;
    },
    attach(jid, sid, rid, onAttached) {
      const p = waitFor(Status.ATTACHED);
      quiet(c.attach(jid, sid, rid, (s, cond) => { if (s === Status.ATTACHED && onAttached) onAttached(); onStatus(s, cond); }));
      return p;
    },
    // Throws at once when there is no session to restore (both libraries).
    restore(jid, onAttached) {
      const p = waitFor(Status.ATTACHED);
      quiet(c.restore(jid, (s, cond) => { if (s === Status.ATTACHED && onAttached) onAttached(); onStatus(s, cond); }));
      return p;
    },
    send(to, text) { c.send($msg({ to, type: 'chat' }).c('body').t(text)); },
    onMessage(fn) {
      c.addHandler((m) => {
        const b = m.getElementsByTagName('body')[0];
        if (b) fn(b.textContent);
        return true;
      }, null, 'message');
    },
    disconnect() {
      if (!c.connected) return Promise.resolve();
      const p = waitFor(Status.DISCONNECTED);
      quiet(c.disconnect());
      return Promise.race([p, new Promise((r) => setTimeout(r, 3000))]).catch(() => {});
    },
    ...extra,
  };
}

// alice's received bodies, kept synchronously in this tab's sessionStorage so
// that they survive a reload.
export function record(w) {
  w.onMessage((body) => {
    const got = JSON.parse(sessionStorage.getItem('bench:got') || '[]');
    got.push(body);
    sessionStorage.setItem('bench:got', JSON.stringify(got));
  });
}

window.B = await (lib === 'strophe' ? loadStrophe() : loadXmppWasm());
window.B.record = record;
window.B.lib = lib;

if (params.get('role') === 'alice') {
  // restore → first IQ result: from the restore() call until the ping's result.
  const r0 = window.__reqs();
  const t0 = performance.now();
  let restored = false;
  try {
    const w = window.B.newConn({ keepalive: true });
    let pinged;
    record(w);
    if (WS && lib === 'strophe') {
      const creds = JSON.parse(sessionStorage.getItem('bench:creds') || 'null');
      if (!creds) throw new Error('no stored credentials');
      restored = true;
      await w.connect(creds.jid, creds.password);
      await w.ping();
    } else {
      const attached = w.restore('alice@localhost', () => { pinged = w.ping(); });
      restored = true;
      await attached;
      await pinged;
    }
    window.alice = w;
    window.__restore = { ok: true, ms: performance.now() - t0, sinceNavigation: performance.now(), requests: window.__reqs() - r0 };
  } catch (e) {
    window.__restore = { ok: false, tried: restored, error: String(e && (e.message || e.name) || e) };
  }
}
window.__loaded = true;
