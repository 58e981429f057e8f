// Background tabs: a session in a hidden tab whose timers Chromium throttles intensively stays
// connected past the server's liveness deadline, and gets the messages sent meanwhile: over BOSH
// and over WebSocket (with XEP-0198), on Prosody 0.12 and on ejabberd 23.01. It survives because
// nothing the server waits for is driven by a timer: the next BOSH long poll leaves from the
// response handler, and the `<a/>` answering a server's `<r/>` leaves from the socket's message
// handler (fetch and WebSocket callbacks are not throttled, timers are). This test keeps that.
//
// How the tabs are hidden and throttled: Playwright keeps every page it drives visible (its
// focus emulation), so this test drives Debian's Chromium itself over the DevTools pipe
// (--remote-debugging-pipe, no extra package). One tab A per scenario logs alice in; then a tab
// B is opened in the same window (Target.createTarget) and brought to the front, which makes
// every A hidden (`visibilitychange` → 'hidden'). Chromium's default throttling applies
// (Playwright's --disable-background-timer-throttling and friends are not passed), with
// IntensiveWakeUpThrottling's grace period cut from 5 minutes to 5 s
// (--enable-features=IntensiveWakeUpThrottling:grace_period_seconds/5), so that after 5 s
// hidden, A's chained timers wake up at most once a minute. Each A runs a 100 ms timer chain
// throughout: the test asserts that chain really was throttled (a gap between wake-ups longer
// than the server's deadline) — a client answering the server from a timer would have been
// dropped. B (bob) sends MESSAGES messages to each alice while the A tabs are hidden, after a
// first SILENT_MS with no traffic; then each A is shown again and pings its server.
//
// The servers' deadlines, all 10 s (DEADLINE), and what each scenario relies on:
//   Prosody BOSH      bosh_max_inactivity 10 (PROSODY_BOSH_INACTIVITY); the client asks wait=5,
//                     so the held poll is answered every 5 s and the next must come within 10 s.
//   Prosody WebSocket network_settings.read_timeout 10 (PROSODY_READ_TIMEOUT): after 10 s
//                     without a byte from the client, mod_smacks sends <r/>; if another 10 s
//                     pass without a byte it closes the connection (handle_read_timeout). The
//                     silent first SILENT_MS make that <r/> come while A is hidden and idle;
//                     after it, each message bob sends makes mod_smacks send <r/> again.
//                     (smacks_max_ack_delay only fires an event; c2s_timeout only concerns
//                     unauthenticated connections; mod_websocket's own keepalive, a ping frame,
//                     is answered by the browser's network stack, not by page script, and runs
//                     only when smacks is off.)
//   ejabberd BOSH     mod_bosh max_inactivity 10 (EJABBERD_BOSH_INACTIVITY).
//   ejabberd WebSocket mod_stream_mgmt ack_timeout 10 (EJABBERD_ACK_TIMEOUT): after each stanza
//                     it sends (bob's messages) ejabberd sends <r/> and closes the connection
//                     when no <a/> comes within 10 s. Also websocket_timeout 10 with pings every
//                     5 s (EJABBERD_WS_TIMEOUT), which the browser answers by itself.
// A control proves each WebSocket deadline is real: in tab B, a bare WebSocket client (no
// library) logs in, enables XEP-0198, sends itself a message and then never answers an <r/>:
// the server must close it within the hidden phase.
//
//   node tests/js/background.test.mjs                 (Prosody and ejabberd scenarios)
//   BG_SERVERS=prosody node tests/js/background.test.mjs    (or ejabberd; Prosody always
//                                                      serves the page)
// It starts and stops its own Prosody (and ejabberd).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { CHROMIUM, sleep } from './harness.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEADLINE = 10; // seconds: every server's liveness deadline (see above)
const WAIT = 5; // seconds, BOSH wait asked by the client
const HIDDEN_MS = 45000;
const SILENT_MS = 20000; // no message to the hidden tabs before this
const MESSAGES = 15;
const SERVERS = (process.env.BG_SERVERS ?? 'prosody,ejabberd').split(',');
if (!SERVERS.length || SERVERS.some((s) => s !== 'prosody' && s !== 'ejabberd')) {
  console.error(`background.test: BG_SERVERS must list prosody and/or ejabberd, got '${process.env.BG_SERVERS}'`);
  process.exit(2);
}

let failed = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failed++;
}

const run = promisify(execFile);
const readEnv = (dir) => Object.fromEntries(readFileSync(join(dir, 'env'), 'utf8').trim().split('\n').map((l) => l.split('=')));
// Prosody (serves the site, www/ + pkg/, like the suite's) and ejabberd, started side by side.
const state = join(ROOT, '.state', 'test-background');
const ejState = join(ROOT, '.state', 'test-background-ejabberd');
execFileSync('bash', ['-c', `. scripts/lib.sh && populate_site "${state}"`], { cwd: ROOT, stdio: 'inherit' });
const d = String(DEADLINE);
const starting = [run(join(ROOT, 'scripts', 'prosody.sh'), ['start', state], {
  env: { ...process.env, PROSODY_WS: '1', PROSODY_BOSH_INACTIVITY: d, PROSODY_READ_TIMEOUT: d, PROSODY_LOG_LEVEL: 'info' },
})];
if (SERVERS.includes('ejabberd')) {
  starting.push(run(join(ROOT, 'scripts', 'ejabberd.sh'), ['start', ejState], {
    env: { ...process.env, EJABBERD_WS: '1', EJABBERD_BOSH_INACTIVITY: d, EJABBERD_ACK_TIMEOUT: d, EJABBERD_WS_TIMEOUT: d },
  }));
}
const started = await Promise.allSettled(starting);
const stopAll = () => {
  execFileSync(join(ROOT, 'scripts', 'prosody.sh'), ['stop', state], { stdio: 'inherit' });
  if (SERVERS.includes('ejabberd')) execFileSync(join(ROOT, 'scripts', 'ejabberd.sh'), ['stop', ejState], { stdio: 'inherit' });
};
if (started.some((r) => r.status === 'rejected')) {
  for (const r of started) if (r.status === 'rejected') console.log(`FAIL starting a server: ${r.reason?.stderr ?? r.reason}`);
  stopAll();
  process.exit(1);
}
const env = readEnv(state);
const ORIGIN = env.HTTP_ORIGIN;
const ej = SERVERS.includes('ejabberd') ? readEnv(ejState) : null;

// One scenario per server and transport: its own tab A, alice/<resource> there.
const scenarios = [];
if (SERVERS.includes('prosody')) {
  scenarios.push({ name: 'Prosody BOSH', server: 'prosody', service: '/http-bind', domain: 'localhost', resource: 'bg-bosh',
    deadline: `bosh_max_inactivity ${DEADLINE} s` });
  scenarios.push({ name: 'Prosody WebSocket', server: 'prosody', service: env.WS_URL, domain: 'localhost', resource: 'bg-ws', ws: true,
    deadline: `read_timeout ${DEADLINE} s: <r/>, then closed after ${DEADLINE} s more without a byte` });
}
if (ej) {
  const domain = ej.EJABBERD_SHA256_DOMAIN;
  scenarios.push({ name: 'ejabberd BOSH', server: 'ejabberd', service: ej.EJABBERD_BOSH_URL, domain, resource: 'bg-bosh',
    deadline: `max_inactivity ${DEADLINE} s` });
  scenarios.push({ name: 'ejabberd WebSocket', server: 'ejabberd', service: ej.EJABBERD_WS_URL, domain, resource: 'bg-ws', ws: true,
    deadline: `ack_timeout ${DEADLINE} s after each <r/>` });
}
const servers = [...new Set(scenarios.map((s) => s.server))].map((server) => {
  const s = scenarios.find((x) => x.server === server);
  return { server, domain: s.domain, bosh: scenarios.find((x) => x.server === server && !x.ws).service,
    ws: scenarios.find((x) => x.server === server && x.ws).service };
});

/** Chromium over the DevTools pipe: `send(method, params, sessionId)`, events by listener. */
function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'xmpp-wasm-bg-'));
  const proc = spawn(CHROMIUM, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
    '--remote-debugging-pipe', `--user-data-dir=${profile}`,
    '--enable-features=IntensiveWakeUpThrottling:grace_period_seconds/5', 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
  const out = proc.stdio[3];
  let id = 0;
  let buf = '';
  const pending = new Map();
  proc.stdio[4].on('data', (chunk) => {
    buf += chunk.toString();
    let i;
    while ((i = buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      const p = msg.id && pending.get(msg.id);
      if (p) {
        pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result);
      }
    }
  });
  const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
    const i = ++id;
    pending.set(i, { resolve, reject, method });
    out.write(JSON.stringify({ id: i, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
  });
  const close = async () => {
    await send('Browser.close').catch(() => {});
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    rmSync(profile, { recursive: true, force: true });
  };
  return { send, close };
}

/** Evaluates `expr` (a promise is awaited) in the tab of `session`; returns its JSON value. */
async function evaluate(cdp, session, expr) {
  const r = await cdp.send('Runtime.evaluate', { expression: expr, awaitPromise: true, returnByValue: true }, session);
  if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
  return r.result.value;
}

async function openTab(cdp, url, targetId) {
  const id = targetId ?? (await cdp.send('Target.createTarget', { url })).targetId;
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: id, flatten: true });
  if (targetId) await cdp.send('Page.navigate', { url }, sessionId);
  for (let i = 0; i < 200; i++) {
    const ready = await evaluate(cdp, sessionId, 'location.href + " " + document.readyState').catch(() => '');
    if (ready.startsWith(url) && ready.endsWith('complete')) return { id, sessionId };
    await sleep(50);
  }
  throw new Error(`${url} did not load`);
}

// alice logs in (records statuses, messages, and the <r/> she gets and the <a/> she sends).
const LOGIN = (user, domain, resource, service, wait) => `(async () => {
  const { default: init, Connection } = await import('/pkg/xmpp_wasm.js');
  await init();
  const conn = new Connection(${JSON.stringify(service)}, { wait: ${wait} });
  window.conn = conn;
  window.statuses = [];
  window.got = [];
  window.rs = [];
  window.as = [];
  const hidden = () => document.visibilityState === 'hidden';
  conn.rawInput = (t) => { if (/^<r[ />]/.test(t)) window.rs.push({ at: Date.now(), hidden: hidden() }); };
  conn.rawOutput = (t) => { if (/^<a[ />]/.test(t)) window.as.push({ at: Date.now(), hidden: hidden() }); };
  conn.addHandler((m) => {
    const b = m.getElementsByTagName('body')[0];
    if (b) window.got.push({ n: b.textContent, at: Date.now(), hidden: hidden() });
    return true;
  }, null, 'message');
  await conn.connect('${user}@${domain}/${resource}', '${user}-pass', (s) => window.statuses.push(s));
  conn.send('<presence/>');
  return conn.status;
})()`;

// The control: a bare RFC 7395 client that logs in (PLAIN), enables XEP-0198, sends itself a
// message, and then never answers the server's <r/>. Resolves with the seconds from that message
// to the server closing the socket (or null if it is still open after \`limit\` ms).
const CONTROL = (url, domain, limit) => `(() => {
  const ws = new WebSocket(${JSON.stringify(url)}, 'xmpp');
  const q = [];
  let wake = () => {};
  let closedAt = null;
  ws.onmessage = (e) => { q.push(e.data); wake(); };
  const closed = new Promise((r) => { ws.onclose = () => { closedAt = Date.now(); wake(); r(); }; });
  const next = async (re) => {
    for (;;) {
      const i = q.findIndex((m) => re.test(m));
      if (i >= 0) return q.splice(0, i + 1)[i];
      if (closedAt) throw new Error('control: closed while waiting for ' + re);
      await new Promise((r) => { wake = r; });
    }
  };
  const open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='${domain}' version='1.0'/>";
  window.control = (async () => {
    await new Promise((r, j) => { ws.onopen = r; ws.onerror = () => j(new Error('control: no socket')); });
    ws.send(open);
    await next(/mechanisms/);
    ws.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + btoa('\\0bob\\0bob-pass') + '</auth>');
    await next(/<success/);
    ws.send(open);
    await next(/urn:ietf:params:xml:ns:xmpp-bind/);
    ws.send("<iq xmlns='jabber:client' type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>control</resource></bind></iq>");
    const jid = /<jid>([^<]+)<\\/jid>/.exec(await next(/<jid>/))[1];
    ws.send("<enable xmlns='urn:xmpp:sm:3'/>");
    await next(/<enabled/);
    ws.send("<message xmlns='jabber:client' to='" + jid + "' type='chat'><body>control</body></message>");
    const t0 = Date.now();
    await Promise.race([closed, new Promise((r) => setTimeout(r, ${limit}))]);
    return { closedAfter: closedAt ? (closedAt - t0) / 1000 : null, sawR: q.some((m) => /^<r[ />]/.test(m)) };
  })();
  window.control.catch(() => {});
  return true;
})()`;

const cdp = launch();
try {
  const { targetInfos } = await cdp.send('Target.getTargets');
  const first = targetInfos.find((t) => t.type === 'page');
  for (const [i, sc] of scenarios.entries()) {
    sc.tab = await openTab(cdp, `${ORIGIN}/index.html`, i === 0 ? first.targetId : undefined);
    await cdp.send('Runtime.enable', {}, sc.tab.sessionId);
    check(await evaluate(cdp, sc.tab.sessionId, LOGIN('alice', sc.domain, sc.resource, sc.service, WAIT)) === 5,
      `${sc.name}: alice CONNECTED in her tab`);
    await evaluate(cdp, sc.tab.sessionId, `(() => {
      window.vis = [];
      document.addEventListener('visibilitychange', () => window.vis.push([document.visibilityState, Date.now()]));
      window.ticks = [];
      const tick = () => { window.ticks.push(Date.now()); setTimeout(tick, 100); };
      tick();
      return true;
    })()`);
  }

  // Tab B in front: every A is hidden.
  const b = await openTab(cdp, `${ORIGIN}/index.html`);
  await cdp.send('Target.activateTarget', { targetId: b.id });
  const hiddenAt = Date.now();
  await sleep(200);
  for (const sc of scenarios) {
    check(await evaluate(cdp, sc.tab.sessionId, 'document.visibilityState') === 'hidden', `${sc.name}: tab hidden once tab B is in front`);
  }
  // In B: the controls (closed by the server when it does its job), and bob on each server.
  for (const sv of servers) {
    await evaluate(cdp, b.sessionId, `window.controls ??= {}; ${CONTROL(sv.ws, sv.domain, HIDDEN_MS - 2000)} && (window.controls[${JSON.stringify(sv.server)}] = window.control, true)`);
    check(await evaluate(cdp, b.sessionId, `(async () => {
      const { default: init, Connection } = await import('/pkg/xmpp_wasm.js');
      await init();
      window.bobs ??= {};
      const conn = new Connection(${JSON.stringify(sv.bosh)}, { wait: ${WAIT} });
      window.bobs[${JSON.stringify(sv.server)}] = conn;
      return conn.connect('bob@${sv.domain}/bg', 'bob-pass');
    })()`) === 5, `${sv.server}: bob CONNECTED in tab B`);
  }
  const sent = [];
  await sleep(Math.max(0, hiddenAt + SILENT_MS - Date.now()));
  const firstSent = Date.now();
  for (let i = 1; i <= MESSAGES; i++) {
    await sleep((HIDDEN_MS - SILENT_MS - 5000) / MESSAGES);
    sent.push(Date.now());
    await evaluate(cdp, b.sessionId, `(${JSON.stringify(scenarios.map((s) => [s.server, `alice@${s.domain}/${s.resource}`]))}).forEach(([server, to]) =>
      window.bobs[server].send("<message to='" + to + "' type='chat'><body>bg${i}</body></message>")), true`);
  }
  await sleep(Math.max(0, hiddenAt + HIDDEN_MS - Date.now()));
  const hiddenFor = Date.now() - hiddenAt;

  for (const sc of scenarios) {
    // Read A's record while it is still hidden (evaluating does not wake its timers).
    const h = await evaluate(cdp, sc.tab.sessionId, `({
      vis: document.visibilityState, status: conn.status, statuses: window.statuses,
      got: window.got, ticks: window.ticks.filter((t) => t >= ${hiddenAt}), rs: window.rs, as: window.as,
    })`);
    const gaps = h.ticks.slice(1).map((t, i) => t - h.ticks[i]);
    gaps.push(Date.now() - (h.ticks.at(-1) ?? hiddenAt));
    const worstGap = Math.max(...gaps);
    console.log(`     ${sc.name} (${sc.deadline}): hidden ${Math.round(hiddenFor / 1000)} s, the 100 ms timer chain woke ${h.ticks.length} times, longest gap ${(worstGap / 1000).toFixed(1)} s`);
    check(h.vis === 'hidden', `${sc.name}: tab stayed hidden throughout`);
    check(worstGap > DEADLINE * 1000,
      `${sc.name}: timers throttled past the server's deadline (longest gap ${(worstGap / 1000).toFixed(1)} s > ${DEADLINE} s)`);
    const delays = h.got.map((g) => g.at - sent[Number(g.n.slice(2)) - 1]);
    const nums = h.got.map((g) => g.n).sort();
    console.log(`     ${sc.name}: received while hidden ${h.got.filter((g) => g.hidden).length}/${MESSAGES}, delays ${Math.min(...delays)}..${Math.max(...delays)} ms`);
    check(h.got.length === MESSAGES && new Set(nums).size === MESSAGES && h.got.every((g) => g.hidden),
      `${sc.name}: alice got ${h.got.length} of ${MESSAGES} messages (${new Set(nums).size} distinct), all while hidden`);
    check(h.status === 5 && h.statuses.indexOf(5) === h.statuses.length - 1,
      `${sc.name}: alice stayed CONNECTED while hidden (statuses ${h.statuses.join(',')})`);
    if (sc.ws) {
      // Each <r/> got its <a/> (sent from the message handler: within milliseconds).
      const rs = h.rs.filter((r) => r.at >= hiddenAt);
      const late = rs.map((r) => (h.as.find((a) => a.at >= r.at)?.at ?? Infinity) - r.at);
      const silent = rs.filter((r) => r.at < firstSent);
      console.log(`     ${sc.name}: <r/> while hidden ${rs.length} (${silent.length} before any message), <a/> after ${late.length ? `${Math.min(...late)}..${Math.max(...late)}` : '-'} ms`);
      check(rs.length > 0 && rs.every((r) => r.hidden) && Math.max(...late) < 1000,
        `${sc.name}: the server asked for acks while hidden (${rs.length} <r/>) and each was answered within 1 s`);
      if (sc.server === 'prosody') {
        check(silent.length > 0, `${sc.name}: Prosody's read timeout sent <r/> while the hidden tab was idle (${silent.length})`);
      }
    }
  }
  for (const sv of servers) {
    const c = await evaluate(cdp, b.sessionId, `window.controls[${JSON.stringify(sv.server)}]`);
    console.log(`     ${sv.server} control: ${JSON.stringify(c)}`);
    check(c.sawR && c.closedAfter !== null && c.closedAfter <= 2 * DEADLINE + 3,
      `${sv.server}: a WebSocket client that does not answer <r/> is closed by the server (after ${c.closedAfter} s)`);
  }

  // Back in front: each session still works.
  for (const sc of scenarios) {
    await cdp.send('Target.activateTarget', { targetId: sc.tab.id });
    await sleep(200);
    const back = await evaluate(cdp, sc.tab.sessionId, `(async () => {
      const vis = document.visibilityState;
      const pong = await conn.sendIQAsync("<iq type='get' to='${sc.domain}'><ping xmlns='urn:xmpp:ping'/></iq>", 10000);
      return { vis, pong: pong.getAttribute('type'), status: conn.status, statuses: window.statuses };
    })()`);
    check(back.vis === 'visible' && back.pong === 'result' && back.status === 5 && back.statuses.indexOf(5) === back.statuses.length - 1,
      `${sc.name}: tab visible again, ping answered on the same session (${back.vis}, ${back.pong}, statuses ${back.statuses.join(',')})`);
  }
} catch (e) {
  failed++;
  console.log(`FAIL ${e?.stack ?? e}`);
} finally {
  await cdp.close();
  stopAll();
}
console.log(failed ? `background.test: ${failed} failed` : 'background.test: all passed');
process.exit(failed ? 1 : 0);
