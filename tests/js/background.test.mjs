// Background tabs: a BOSH session in a hidden tab whose timers Chromium throttles intensively
// stays connected past the server's inactivity period, and gets the messages sent meanwhile.
// It survives because the next long poll leaves from the response handler (fetch callbacks
// are not throttled), never from a timer; this test keeps that property.
//
// How the tab is hidden and throttled: Playwright keeps every page it drives visible (its
// focus emulation), so this test drives Debian's Chromium itself over the DevTools pipe
// (--remote-debugging-pipe, no extra package). Tab A (alice) logs in; a second tab B is opened
// in the same window (Target.createTarget), which makes A hidden (`visibilitychange` →
// 'hidden'); Chromium's default throttling applies (Playwright's --disable-background-timer-
// throttling and friends are not passed), with IntensiveWakeUpThrottling's grace period cut from
// 5 minutes to 5 s (--enable-features=IntensiveWakeUpThrottling:grace_period_seconds/5), so
// that after 5 s hidden, A's timers wake up at most once a minute. A runs a 100 ms timer chain
// throughout: the test asserts the chain really was throttled (a gap between wake-ups longer than
// the server's inactivity) — a poll waiting for a timer would have let the session expire.
// B (bob) sends MESSAGES messages to alice while A is hidden; then A is shown again.
//
// The server: a Prosody of its own (scripts/prosody.sh with PROSODY_BOSH_INACTIVITY=10), the
// client asking for wait=5, so the server answers the held poll every 5 s and drops the session
// after 10 s without a request.
//
//   node tests/js/background.test.mjs      (starts and stops its own Prosody)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, sleep } from './harness.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const INACTIVITY = 10; // seconds, the server's
const WAIT = 5; // seconds, asked by the client
const HIDDEN_MS = 45000;
const MESSAGES = 15;

let failed = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failed++;
}

// A Prosody with a short inactivity, serving the site (www/ + pkg/) like the suite's.
const state = join(ROOT, '.state', 'test-background');
execFileSync('bash', ['-c', `. scripts/lib.sh && populate_site "${state}"`], { cwd: ROOT, stdio: 'inherit' });
execFileSync(join(ROOT, 'scripts', 'prosody.sh'), ['start', state], {
  stdio: 'inherit', env: { ...process.env, PROSODY_BOSH_INACTIVITY: String(INACTIVITY), PROSODY_LOG_LEVEL: 'info' },
});
const env = Object.fromEntries(readFileSync(join(state, 'env'), 'utf8').trim().split('\n').map((l) => l.split('=')));
const ORIGIN = env.HTTP_ORIGIN;

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

const LOGIN = (user, wait) => `(async () => {
  const { default: init, Connection } = await import('/pkg/xmpp_wasm.js');
  await init();
  const conn = new Connection('/http-bind', { wait: ${wait} });
  window.conn = conn;
  window.statuses = [];
  window.got = [];
  conn.addHandler((m) => {
    const b = m.getElementsByTagName('body')[0];
    if (b) window.got.push({ n: b.textContent, at: Date.now(), hidden: document.visibilityState === 'hidden' });
    return true;
  }, null, 'message');
  await conn.connect('${user}@localhost/bg', '${user}-pass', (s) => window.statuses.push(s));
  conn.send('<presence/>');
  return conn.status;
})()`;

const cdp = launch();
try {
  const { targetInfos } = await cdp.send('Target.getTargets');
  const first = targetInfos.find((t) => t.type === 'page');
  const a = await openTab(cdp, `${ORIGIN}/index.html`, first.targetId);
  await cdp.send('Runtime.enable', {}, a.sessionId);
  check(await evaluate(cdp, a.sessionId, LOGIN('alice', WAIT)) === 5, 'alice CONNECTED in tab A');
  await evaluate(cdp, a.sessionId, `(() => {
    window.vis = [];
    document.addEventListener('visibilitychange', () => window.vis.push([document.visibilityState, Date.now()]));
    window.ticks = [];
    const tick = () => { window.ticks.push(Date.now()); setTimeout(tick, 100); };
    tick();
    return true;
  })()`);

  // Tab B in front: A is hidden.
  const b = await openTab(cdp, `${ORIGIN}/index.html`);
  await cdp.send('Target.activateTarget', { targetId: b.id });
  const hiddenAt = Date.now();
  await sleep(200);
  check(await evaluate(cdp, a.sessionId, 'document.visibilityState') === 'hidden', 'tab A is hidden once tab B is in front');
  check(await evaluate(cdp, b.sessionId, LOGIN('bob', 60)) === 5, 'bob CONNECTED in tab B');
  const sent = [];
  for (let i = 1; i <= MESSAGES; i++) {
    await sleep((HIDDEN_MS - 5000) / MESSAGES);
    sent.push(Date.now());
    await evaluate(cdp, b.sessionId, `conn.send("<message to='alice@localhost' type='chat'><body>bg${i}</body></message>"), true`);
  }
  await sleep(Math.max(0, hiddenAt + HIDDEN_MS - Date.now()));
  // Read A's record while it is still hidden (evaluating does not wake its timers).
  const hidden = await evaluate(cdp, a.sessionId, `({
    vis: document.visibilityState, status: conn.status, statuses: window.statuses,
    got: window.got, ticks: window.ticks.filter((t) => t >= ${hiddenAt}),
  })`);
  const gaps = hidden.ticks.slice(1).map((t, i) => t - hidden.ticks[i]);
  gaps.push(Date.now() - (hidden.ticks.at(-1) ?? hiddenAt));
  const worstGap = Math.max(...gaps);
  console.log(`     hidden ${Math.round((Date.now() - hiddenAt) / 1000)} s: A's 100 ms timer chain woke ${hidden.ticks.length} times, longest gap ${(worstGap / 1000).toFixed(1)} s`);
  check(hidden.vis === 'hidden', 'tab A stayed hidden throughout');
  check(worstGap > INACTIVITY * 1000,
    `A's timers were throttled past the server's inactivity (longest gap ${(worstGap / 1000).toFixed(1)} s > ${INACTIVITY} s)`);
  const delays = hidden.got.map((g) => g.at - sent[Number(g.n.slice(2)) - 1]);
  console.log(`     messages received while hidden: ${hidden.got.filter((g) => g.hidden).length}/${MESSAGES}, delays ${Math.min(...delays)}..${Math.max(...delays)} ms`);
  check(hidden.got.length === MESSAGES && hidden.got.every((g) => g.hidden),
    `alice got ${hidden.got.length} of ${MESSAGES} messages, all while hidden`);
  check(hidden.status === 5 && hidden.statuses.indexOf(5) === hidden.statuses.length - 1,
    `alice stayed CONNECTED while hidden (statuses ${hidden.statuses.join(',')})`);

  // Back in front: the session still works.
  await cdp.send('Target.activateTarget', { targetId: a.id });
  await sleep(200);
  const back = await evaluate(cdp, a.sessionId, `(async () => {
    const vis = document.visibilityState;
    const pong = await conn.sendIQAsync("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", 10000);
    return { vis, pong: pong.getAttribute('type') };
  })()`);
  check(back.vis === 'visible' && back.pong === 'result', `tab A visible again, ping answered (${back.vis}, ${back.pong})`);
} catch (e) {
  failed++;
  console.log(`FAIL ${e?.stack ?? e}`);
} finally {
  await cdp.close();
  execFileSync(join(ROOT, 'scripts', 'prosody.sh'), ['stop', state], { stdio: 'inherit' });
}
console.log(failed ? `background.test: ${failed} failed` : 'background.test: all passed');
process.exit(failed ? 1 : 0);
