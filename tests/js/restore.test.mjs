// The shape of a restore after a reload with no traffic, end to end: the
// built package in Debian's headless Chromium against the local Prosody (or,
// with BOSH_SERVER=ejabberd, ejabberd), driven by playwright-core.
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT node tests/js/restore.test.mjs
//   BOSH_SERVER=ejabberd EJABBERD_BOSH_URL=... EJABBERD_SHA256_DOMAIN=... HTTP_ORIGIN=... node tests/js/restore.test.mjs
//
// alice logs in with keepalive, then her page reloads RESTORE_RELOADS times
// (default 9) with nothing else going on. Each time the new page calls
// restore() and sends an IQ ping from the ATTACHED callback. Asserted
// (behaviour, not timing):
//  - the first request with a new rid (at or after the stored next rid)
//    carries the ping: nothing new leaves before it;
//  - exactly one new request leaves before the IQ result arrives; besides
//    it, only the resends of the old page's unanswered rids;
//  - one round trip: every request sent before the IQ result left in the
//    same synchronous run of the connection (nothing waited for a timer or
//    an answer), before the first response arrived.
// Printed, not asserted: restore() → IQ result in ms (median, min, max),
// the requests sent until then, and one IQ round trip on the established
// session for comparison.
//
// The page is tests/js/pages/keepalive.html (role alice), served by Prosody
// at /__test/.
import { chromium } from 'playwright-core';
import { launchChromium, sleep, until } from './harness.mjs';

const ORIGIN = process.env.HTTP_ORIGIN;
const EJABBERD = process.env.BOSH_SERVER === 'ejabberd';
const SERVICE = EJABBERD ? process.env.EJABBERD_BOSH_URL : '/http-bind';
const DOMAIN = EJABBERD ? (process.env.EJABBERD_SHA256_DOMAIN || 'sha256.localhost') : 'localhost';
const RELOADS = Number(process.env.RESTORE_RELOADS || 9);
if (!ORIGIN || (EJABBERD && !SERVICE) || !(RELOADS >= 7)) {
  console.error('restore.test: HTTP_ORIGIN (and, for ejabberd, EJABBERD_BOSH_URL) must be set; RESTORE_RELOADS >= 7');
  process.exit(2);
}
const QUERY = EJABBERD ? `&bosh=${encodeURIComponent(SERVICE)}&domain=${encodeURIComponent(DOMAIN)}` : '';
console.log(`server: ${EJABBERD ? `ejabberd ${SERVICE} (${DOMAIN})` : `Prosody ${ORIGIN}/http-bind`}`);

let failed = 0;
function check(cond, what) {
  if (cond) console.log(`ok   ${what}`);
  else {
    failed++;
    console.log(`FAIL ${what}`);
  }
}
const ridOf = (body) => Number(/\brid=['"](\d+)['"]/.exec(body)?.[1]);
const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const browser = await launchChromium(chromium);
const events = [];
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  cdp.on('Runtime.bindingCalled', (e) => {
    if (e.name === '__report') events.push(JSON.parse(e.payload));
  });
  await cdp.send('Runtime.enable');
  await cdp.send('Runtime.addBinding', { name: '__report' });
  page.on('console', (m) => { if (m.type() === 'error') console.log(`  [console] ${m.text()}`); });
  const readies = () => events.filter((e) => e.kind === 'ready');
  const errors = () => events.filter((e) => e.kind === 'error');
  async function ready(n) {
    await until(() => readies().length >= n || errors().length > 0, 20000, `ready #${n}`);
    if (errors().length) throw new Error(errors()[0].data);
    return readies()[n - 1].data;
  }
  await page.goto(`${ORIGIN}/__test/keepalive.html?role=alice${QUERY}`);
  const first = await ready(1);
  check(first.mode.startsWith('connected'), `alice logged in afresh (${first.mode})`);

  const times = [], counts = [], wires = [];
  // Reloads where the server saw the new rid before the resend of the held
  // one and answered the resend alone with item-not-found (Prosody).
  let notFound = 0;
  for (let k = 1; k <= RELOADS; k++) {
    // Let the long poll settle at the server: nothing in flight but it.
    await sleep(300);
    await page.reload({ waitUntil: 'commit' });
    const r = await ready(k + 1);
    const tag = `reload ${k}:`;
    if (r.mode !== 'restored') {
      check(false, `${tag} restored (${r.mode})`);
      continue;
    }
    const wire = r.wire;
    const outs = wire.filter((w) => w.dir === 'out');
    // (A resent body may carry the old page's ping: Prosody answers a ping
    // in the oldest held request, so the request that carried it can stay
    // held as the long poll and be resent after the reload.)
    const pingOut = outs.find((w) => ridOf(w.body) >= r.stored.next && w.body.includes('urn:xmpp:ping'));
    const pingId = pingOut && /<iq\b[^>]*\bid=['"]([^'"]+)['"]/.exec(pingOut.body)?.[1];
    const resultAt = wire.findIndex((w) => w.dir === 'in' && pingId
      && new RegExp(`\\bid=['"]${pingId}['"]`).test(w.body) && /type=['"]result['"]/.test(w.body));
    if (!pingOut || resultAt < 0) {
      check(false, `${tag} the ping left and its result came back`);
      if (process.env.RESTORE_DEBUG) console.log(JSON.stringify(wire, null, 1));
      continue;
    }
    const before = wire.slice(0, resultAt + 1);
    const sent = before.filter((w) => w.dir === 'out');
    const newOnes = sent.filter((w) => ridOf(w.body) >= r.stored.next);
    const resends = sent.filter((w) => ridOf(w.body) < r.stored.next);
    const firstIn = before.findIndex((w) => w.dir === 'in');
    const lastOut = before.map((w) => w.dir).lastIndexOf('out');
    check(newOnes.length >= 1 && newOnes[0] === pingOut,
      `${tag} the first new request (rid ${ridOf(newOnes[0]?.body ?? '')}, stored next rid ${r.stored.next}) carries the ping`);
    check(newOnes.length === 1, `${tag} one new request until the IQ result (${newOnes.length})`);
    check(resends.every((w) => r.stored.unanswered.includes(ridOf(w.body))),
      `${tag} besides it only resends of the old page's unanswered rids ${JSON.stringify(resends.map((w) => ridOf(w.body)))} of ${JSON.stringify(r.stored.unanswered)}`);
    check(lastOut < firstIn && sent.every((w) => w.batch === sent[0].batch),
      `${tag} one round trip: all ${sent.length} request(s) left together (one drain, batches ${JSON.stringify(sent.map((w) => w.batch))}) before the first answer`);
    if (wire.some((w) => w.dir === 'in' && /condition=['"]item-not-found['"]/.test(w.body))) notFound++;
    times.push(r.pongMs);
    // Where the time goes: the ping's request out → its result in (the server and the wire), and
    // the rest (restore() reading the snapshot and starting the core before the request leaves,
    // and the result delivered to the promise after it arrived).
    wires.push(wire[resultAt].t - pingOut.t);
    counts.push(`${newOnes.length}+${resends.length}`);
  }
  if (times.length) {
    console.log(`  restore() → IQ result over ${times.length} reloads: median ${median(times).toFixed(1)} ms`
      + ` (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`);
    console.log(`  of it: ping request out → result in, median ${median(wires).toFixed(1)} ms; the page before and after, median ${median(times.map((t, i) => t - wires[i])).toFixed(1)} ms`);
    console.log(`  requests until the result (new+resends): ${counts.join(' ')}`);
    console.log(`  the resend answered item-not-found (the new rid went first): ${notFound} of ${times.length}`);
  }
  // For comparison: one IQ round trip on the established session (the
  // long poll held, nothing else in flight).
  const rtts = await page.evaluate(async () => {
    const v = [];
    for (let i = 0; i < 7; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      await window.ping();
      v.push(performance.now() - t0);
    }
    return v;
  });
  console.log(`  one IQ round trip on the established session: median ${median(rtts).toFixed(1)} ms over ${rtts.length}`);
  await page.evaluate(() => window.conn.disconnect());
} catch (e) {
  failed++;
  console.log(`FAIL ${e?.message ?? e}`);
} finally {
  await browser.close();
}
console.log(failed ? `restore.test: ${failed} failed` : 'restore.test: all passed');
process.exit(failed ? 1 : 0);
