// The `reconnect` option end to end: Debian's headless Chromium, the built pkg/, and a real
// Prosody that this test starts on its own (scripts/prosody.sh, a throw-away state dir), kills
// with SIGKILL mid-session (BOSH) and restarts on the same port.
//
//   node tests/js/reconnect.test.mjs        (needs pkg/ built: wasm-pack + scripts/assemble.mjs)
//
// alice connects with `reconnect: {initialDelay: 500, maxDelay: 2000}` and sends numbered
// messages to her own full JID (the server routes them back to her), 4 per second throughout:
// before the kill, while Prosody is dead (before and after the client notices) and after it is
// back. The page resends what `onUnacknowledged` reports (the stanzas of requests whose answer
// never came) unless it already got that message back (its own receipt: a request the server
// held when it died may have been processed), as an application would. Checks: RECONNECTING then CONNECTED again (no
// DISCONNECTED in between) within 30 s of Prosody answering again (a hang, not a speed goal),
// the same full JID, every message received exactly once. Printed, not asserted: detection
// (kill → RECONNECTING), recovery (Prosody back → CONNECTED), the requests per second while
// Prosody was down.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, sleep } from './harness.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
if (!existsSync(join(ROOT, 'pkg/xmpp_wasm.js'))) {
  console.error('reconnect.test: pkg/xmpp_wasm.js is missing (build the package first)');
  process.exit(2);
}
let failed = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failed++;
}

const STATE = mkdtempSync(join(tmpdir(), 'xmpp-wasm-reconnect-'));
const prosody = (cmd, env = {}) => execFileSync(join(ROOT, 'scripts/prosody.sh'), [cmd, STATE], {
  env: { ...process.env, PROSODY_LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'inherit'],
});
const readEnv = () => Object.fromEntries(readFileSync(join(STATE, 'env'), 'utf8').trim().split('\n')
  .map((l) => l.split('=')).map(([k, ...v]) => [k, v.join('=')]));

// The site Prosody serves: pkg/ and a blank page, same origin as /http-bind.
execFileSync('mkdir', ['-p', join(STATE, 'site')]);
symlinkSync(join(ROOT, 'pkg'), join(STATE, 'site/pkg'));
writeFileSync(join(STATE, 'site/index.html'), '<!doctype html><title>reconnect</title>');

prosody('start');
let env = readEnv();
const ORIGIN = env.HTTP_ORIGIN;
const PORT = new URL(ORIGIN).port;
console.log(`Prosody ${ORIGIN} (pid ${env.PROSODY_PID})`);

const browser = await launchChromium(chromium);
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('ERR_CONNECTION_REFUSED')) console.log(`  [console] ${m.text()}`); });
  await page.goto(`${ORIGIN}/index.html`);
  await page.evaluate(async () => {
    const { default: init, Connection, $msg, Status } = await import('/pkg/xmpp_wasm.js');
    await init();
    const t0 = performance.now();
    const s = window.__s = { statuses: [], received: [], sent: 0, requests: [], unacked: [], alreadyThere: 0, jid: null };
    const conn = window.__conn = new Connection('/http-bind', { reconnect: { initialDelay: 500, maxDelay: 2000 } });
    conn.rawOutput = () => s.requests.push(Date.now());
    conn.onUnacknowledged = (stanzas, condition) => {
      for (const st of stanzas) {
        const id = st.getAttribute('id');
        s.unacked.push(`${id}:${condition}`);
        // What the page already saw come back did arrive (the app's own receipt): only the
        // rest is resent, on the new session.
        if (s.received.includes(id)) s.alreadyThere++;
        else conn.send(st);
      }
    };
    conn.addHandler((m) => {
      const body = m.getElementsByTagName('body')[0];
      if (body) s.received.push(body.textContent);
      return true;
    }, null, 'message');
    window.__send = () => {
      const n = s.sent++;
      conn.send($msg({ to: s.jid, id: `n${n}`, type: 'chat' }).c('body').t(`n${n}`));
    };
    await conn.connect('alice@localhost/rc', 'alice-pass', (status, cond) => {
      s.statuses.push([Status[status], cond ?? null, Date.now(), Math.round(performance.now() - t0)]);
    });
    s.jid = conn.jid;
  });
  const state = () => page.evaluate(() => window.__s);
  const statusSeen = async (name, after) => (await state()).statuses.find(([n, , at]) => n === name && at >= after);

  // Messages flow 4 per second for the whole test.
  let pumping = true;
  const pump = (async () => {
    while (pumping) {
      await page.evaluate(() => window.__send()).catch(() => {});
      await sleep(250);
    }
  })();
  await sleep(2000);
  const before = await state();
  check(before.received.length > 0, `messages flow before the kill (${before.received.length} received)`);

  // Kill Prosody: SIGKILL, no goodbye.
  const killedAt = Date.now();
  process.kill(Number(env.PROSODY_PID), 'SIGKILL');
  let reconnecting;
  for (let i = 0; i < 600 && !(reconnecting = await statusSeen('RECONNECTING', killedAt)); i++) await sleep(50);
  check(!!reconnecting, 'RECONNECTING after the kill');
  const detectedAt = reconnecting?.[2] ?? Date.now();
  await sleep(3000); // down a while: attempts fail, messages are held
  const downFrom = Date.now();
  const sDown = await state();
  prosody('stop'); // clears the pidfile of the dead process
  prosody('start', { PROSODY_HTTP_PORT: PORT });
  env = readEnv();
  const backAt = Date.now();
  const reqsWhileDown = sDown.requests.filter((t) => t >= killedAt && t <= backAt);
  let connected;
  for (let i = 0; i < 600 && !(connected = await statusSeen('CONNECTED', backAt - 1)); i++) await sleep(50);
  check(!!connected, 'CONNECTED again within 30 s of Prosody answering again');
  await sleep(2000);
  pumping = false;
  await pump;
  await sleep(1500);
  const end = await state();
  const after = end.statuses.filter(([, , at]) => at >= killedAt).map(([n]) => n);
  check(after[0] === 'RECONNECTING' && after.includes('CONNECTED') && !after.includes('DISCONNECTED'),
    `status sequence after the kill: ${after.join(' → ')}`);
  check(end.jid === (await page.evaluate(() => window.__conn.jid)), `the same full JID (${end.jid})`);
  const counts = new Map();
  for (const b of end.received) counts.set(b, (counts.get(b) ?? 0) + 1);
  const missing = [];
  for (let i = 0; i < end.sent; i++) if (!counts.has(`n${i}`)) missing.push(i);
  const dups = [...counts].filter(([, c]) => c > 1).map(([b]) => b);
  check(missing.length === 0, `every message received (${end.sent} sent, missing: ${missing.join(',') || 'none'})`);
  check(dups.length === 0, `none twice (duplicates: ${dups.join(',') || 'none'})`);
  const window1s = (ts) => Math.max(0, ...ts.map((t) => ts.filter((u) => u >= t && u < t + 1000).length));
  console.log(`figures: detection (kill → RECONNECTING) ${detectedAt - killedAt} ms; Prosody down ${backAt - killedAt} ms `
    + `(restart ${backAt - downFrom} ms); recovery (Prosody answering → CONNECTED) ${(connected?.[2] ?? NaN) - backAt} ms; `
    + `requests while down ${reqsWhileDown.length}, at most ${window1s(reqsWhileDown)} in any 1 s; `
    + `reported may-not-have-arrived ${end.unacked.length} (${end.unacked.join(' ') || '-'}; ${end.alreadyThere} of them had come back already); `
    + `messages ${end.sent} sent, ${end.received.length} received`);
  await page.evaluate(() => window.__conn.disconnect());
} finally {
  await browser.close();
  try { prosody('stop'); } catch {}
  rmSync(STATE, { recursive: true, force: true });
}
console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
process.exit(failed ? 1 : 0);
