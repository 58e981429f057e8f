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
//   xmpp-wasm: from the start of `import('/pkg/xmpp_wasm.js')` until `init()` resolved;
//   Strophe:   from inserting <script src=strophe.umd.min.js> until it has been evaluated.
// With role=alice it then tries restore() of a keepalive session (left by the
// previous page of this tab) and pings the server; the outcome is window.__restore.
// HTTP requests to /http-bind are counted by an init script of run.mjs (window.__reqs()).
const params = new URLSearchParams(location.search);
const lib = params.get('lib');
const PING = 'urn:xmpp:ping';
const DOMAIN = 'localhost';
const WS = params.get('ws');

async function loadXmppWasm() {
  const t0 = performance.now();
  const m = await import('/pkg/xmpp_wasm.js');
  await m.default();
  const initMs = performance.now() - t0;
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
  return { initMs, newConn };
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
