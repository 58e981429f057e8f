// attach (prebind), restore and keepalive, end to end: the built package in
// Debian's headless Chromium against the local Prosody, driven by playwright-core.
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT BOSH_URL=$HTTP_ORIGIN/http-bind node tests/js/keepalive.test.mjs
//
// 1. prebind: examples/prebind.rs opens and authenticates a session; the page
//    attaches and its first HTTP request carries an IQ ping, answered.
// 2. restore after location.reload(): ATTACHED and the ping in the first new request.
// 3. zero loss: bob sends 200 numbered messages at ~20/s while alice's page
//    reloads 3 times and restores each time; alice gets each exactly once. alice
//    sends a numbered message just before each reload; bob gets each exactly once.
// 4. a duplicated tab (sessionStorage copied) cannot restore the live session.
//
// The page is tests/js/pages/keepalive.html, served by Prosody at /__test/ (a
// real page on the loopback origin, as an application's would be).
// Reports from the pages go through a CDP binding (Runtime.addBinding), which
// survives reloads and does not drop calls made by an unloading page.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, launchChromium, sleep, until } from './harness.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ORIGIN = process.env.HTTP_ORIGIN;
const BOSH_URL = process.env.BOSH_URL || `${ORIGIN}/http-bind`;
const MESSAGES = Number(process.env.KEEPALIVE_MESSAGES || 200);
if (!ORIGIN) {
  console.error('keepalive.test: HTTP_ORIGIN is not set');
  process.exit(2);
}

let failed = 0;
function check(cond, what) {
  if (cond) console.log(`ok   ${what}`);
  else {
    failed++;
    console.log(`FAIL ${what}`);
  }
}
const browser = await launchChromium(chromium);
let prebind;
const events = [];
try {
  const context = await browser.newContext();
  async function open(role, query = '') {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    cdp.on('Runtime.bindingCalled', (e) => {
      if (e.name === '__report') events.push({ ...JSON.parse(e.payload), at: Date.now() });
    });
    await cdp.send('Runtime.enable');
    await cdp.send('Runtime.addBinding', { name: '__report' });
    page.on('console', (m) => { if (m.type() === 'error') console.log(`  [${role} console] ${m.text()}`); });
    await page.goto(`${ORIGIN}/__test/keepalive.html?role=${role}${query}`);
    return page;
  }
  const readies = (role) => events.filter((e) => e.role === role && e.kind === 'ready');
  const errors = () => events.filter((e) => e.kind === 'error');
  async function ready(role, n) {
    await until(() => readies(role).length >= n || errors().length > 0, 20000, `${role} ready #${n}`);
    if (errors().length) throw new Error(errors()[0].data);
    return readies(role)[n - 1].data;
  }
  const sessionOf = (body) => /rid='(\d+)'/.exec(body)?.[1];

  // 1. prebind + attach.
  const port = await freePort();
  prebind = spawn('cargo', ['run', '--quiet', '--example', 'prebind', '--', '--listen', `127.0.0.1:${port}`,
    '--bosh', BOSH_URL, '--jid', 'alice@localhost', '--password', 'alice-pass'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let prebindOut = '';
  prebind.stdout.on('data', (d) => { prebindOut += d; });
  await until(() => prebindOut.includes('listening'), 300000, 'the prebind example to listen');
  const pre = await open('prebinder', `&prebind=${encodeURIComponent(`http://127.0.0.1:${port}/prebind`)}`);
  const p = await ready('prebinder', 1);
  check(p.pong === 'result', `prebind: attached as ${p.jid}, ping answered`);
  check(p.outs.length >= 1 && p.outs[0].includes('urn:xmpp:ping'),
    `prebind: the first HTTP request after attach carries the ping (${p.outs.length} bodies so far)`);
  await pre.evaluate(() => window.conn.disconnect());
  await pre.close();

  // 2 + 3. alice logs in; bob sends 200 messages while alice reloads 3 times.
  const alice = await open('alice');
  const a1 = await ready('alice', 1);
  check(a1.mode.startsWith('connected'), `alice logged in afresh (${a1.mode})`);
  const bob = await open('bob');
  await ready('bob', 1);
  const aliceJid = a1.jid;
  const sending = bob.evaluate(async ({ to, n }) => {
    for (let i = 1; i <= n; i++) {
      window.conn.send(`<message to='${to}' type='chat'><body>B${i}</body></message>`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }, { to: aliceJid, n: MESSAGES });
  const duration = MESSAGES * 50;
  for (let k = 1; k <= 3; k++) {
    await sleep(duration / 4);
    // A numbered message from alice, just before the reload.
    await alice.evaluate((k) => window.conn.send(`<message to='bob@localhost/sender' type='chat'><body>A${k}</body></message>`), k);
    await alice.reload({ waitUntil: 'commit' });
    const r = await ready('alice', k + 1);
    console.log('  stored at restore:', JSON.stringify(events.filter((e) => e.kind === 'stored').pop()?.data));
    check(r.mode === 'restored' && r.jid === aliceJid, `reload ${k}: restored ${r.jid}`);
    // The ping rides in the first new request: only resends of the old page's
    // unanswered rids may precede it.
    const firstWithPing = r.outs.findIndex((b) => b.includes('urn:xmpp:ping'));
    const before = r.outs.slice(0, firstWithPing).map(sessionOf);
    check(r.pong === 'result' && firstWithPing >= 0 && firstWithPing <= 2,
      `reload ${k}: ATTACHED, ping answered; it left in request #${firstWithPing + 1} after ${before.length} resend(s) ${JSON.stringify(before)}`);
  }
  await sending;
  const got = () => events.filter((e) => e.role === 'alice' && e.kind === 'msg').map((e) => e.data);
  await until(() => new Set(got()).size >= MESSAGES, 15000, 'all messages at alice').catch(() => {});
  const delivered = JSON.parse(await alice.evaluate(() => sessionStorage.getItem('test:got') || '[]'));
  const reported = got();
  const onlyStored = delivered.filter((m) => m.startsWith('B') && !reported.includes(m));
  if (onlyStored.length) console.log(`  note: delivered but not reported through the binding: ${JSON.stringify(onlyStored)}`);
  const counts = new Map();
  for (const m of delivered.filter((m) => m.startsWith('B'))) counts.set(m, (counts.get(m) || 0) + 1);
  const missing = [], dup = [];
  for (let i = 1; i <= MESSAGES; i++) {
    const c = counts.get(`B${i}`) || 0;
    if (c === 0) missing.push(i);
    if (c > 1) dup.push(i);
  }
  check(missing.length === 0 && dup.length === 0,
    `zero loss: alice received ${MESSAGES - missing.length}/${MESSAGES}; missing ${JSON.stringify(missing)}, duplicated ${JSON.stringify(dup)}`);
  const bobGot = () => events.filter((e) => e.role === 'bob' && e.kind === 'msg').map((e) => e.data);
  await until(() => ['A1', 'A2', 'A3'].every((a) => bobGot().includes(a)), 10000, "alice's messages at bob").catch(() => {});
  const aCounts = ['A1', 'A2', 'A3'].map((a) => bobGot().filter((x) => x === a).length);
  check(aCounts.every((c) => c === 1), `bob received each of alice's pre-reload messages exactly once: ${JSON.stringify(aCounts)}`);

  // 4. A duplicated tab gets a copy of sessionStorage while alice's page lives.
  const stored = await alice.evaluate(() => sessionStorage.getItem('xmpp-wasm:session'));
  check(!!stored && JSON.parse(stored).released === false, 'the live page owns its stored session');
  const dupPage = await context.newPage();
  await dupPage.goto(`${ORIGIN}/index.html`);
  const dupResult = await dupPage.evaluate(async (stored) => {
    sessionStorage.setItem('xmpp-wasm:session', stored);
    const { default: init, Connection } = await import('/pkg/xmpp_wasm.js');
    await init();
    const c = new Connection('/http-bind', { keepalive: true });
    try {
      c.restore();
      return 'restored (wrong)';
    } catch (e) {
      return `${e.name}: ${e.reason}`;
    }
  }, stored);
  check(dupResult === 'SessionError: session-in-use', `a duplicated tab cannot take the session over (${dupResult})`);
  // And the original is still alive.
  const pong = await alice.evaluate(() => window.ping().then((p) => p.getAttribute('type')));
  check(pong === 'result', 'the original tab still has its session');
  await alice.evaluate(() => window.conn.disconnect());
  const after = await alice.evaluate(() => sessionStorage.getItem('xmpp-wasm:session'));
  check(after === null, 'disconnect removed the stored session');
  await bob.evaluate(() => window.conn.disconnect());
} catch (e) {
  failed++;
  console.log(`FAIL ${e?.message ?? e}`);
} finally {
  if (prebind) prebind.kill('SIGTERM');
  await browser.close();
}
console.log(failed ? `keepalive.test: ${failed} failed` : 'keepalive.test: all passed');
process.exit(failed ? 1 : 0);
