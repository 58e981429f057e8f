// Back-forward cache, end to end: the built package in Debian's headless
// Chromium against a real server (the local Prosody, or ejabberd), driven by
// playwright-core.
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT node tests/js/bfcache.test.mjs
//   ... BOSH_SERVER=ejabberd EJABBERD_BOSH_URL=... EJABBERD_SHA256_DOMAIN=... node tests/js/bfcache.test.mjs
//
// alice's page (tests/js/pages/keepalive.html, keepalive on, wait=WAIT s) logs
// in, navigates to another page of the same origin and comes back with
// history.back(). The test checks that the page really came from the
// back-forward cache (pageshow's event.persisted, and CDP's
// Page.backForwardCacheNotUsed never fired for it). While alice's page is in
// the cache, bob sends her a message: the server answers her held long poll,
// and the frozen page never reads that answer. Then:
//   1. a message alice sends to herself at once comes back well before the
//      long-poll `wait` (the request timeout is 1.1 × wait + 2 s): nothing
//      waits for a request that will never be answered;
//   2. the message bob sent while alice was away reaches her exactly once;
//   3. the session goes on (a ping is answered) and no pause request left.
// Then B: the same with pagehide/pageshow (persisted) dispatched by hand and
// the page running in between, so that the answer to the held long poll
// certainly completes while the page is hidden and is dropped (a real freeze
// stops the page's tasks, so only an answer that lands between pagehide and
// the freeze is dropped: rare on loopback, but what a pause request at
// pagehide provoked on ejabberd).
//
// C: a multi-page app. While alice's page A is in the cache, page B of the
// same tab restores the session and uses it; Back to A from the cache: A
// continues from B's newer state (never its own stale rids), bob's messages
// of the whole sequence arrive exactly once across A and B, no status change.
// D: storage holds the session claimed by a live page when A comes back: A
// reports DISCONNECTED with `session-taken` and sends nothing.
//
// Chromium keeps pages out of the back-forward cache when driven by
// Playwright's defaults (--disable-back-forward-cache); this test drops that
// switch. Headless Chromium then caches the page as any other (see the
// report for what blocks it if it does not).
import { chromium } from 'playwright-core';
import { launchChromium, sleep, until } from './harness.mjs';

const ORIGIN = process.env.HTTP_ORIGIN;
const WAIT = 120; // Prosody's bosh_max_wait: the longest long poll it grants.
// The page is served by Prosody; with BOSH_SERVER=ejabberd it talks to
// ejabberd's BOSH (cross-origin) on its SCRAM-SHA-256 host.
const EJABBERD = process.env.BOSH_SERVER === 'ejabberd';
const SERVICE = EJABBERD ? process.env.EJABBERD_BOSH_URL : '/http-bind';
const DOMAIN = EJABBERD ? (process.env.EJABBERD_SHA256_DOMAIN || 'sha256.localhost') : 'localhost';
if (!ORIGIN || !SERVICE) {
  console.error('bfcache.test: HTTP_ORIGIN (and, for ejabberd, EJABBERD_BOSH_URL) must be set');
  process.exit(2);
}
const QUERY = EJABBERD ? `&bosh=${encodeURIComponent(SERVICE)}&domain=${encodeURIComponent(DOMAIN)}` : '';
console.log(`server: ${EJABBERD ? `ejabberd ${SERVICE} (${DOMAIN})` : `Prosody ${ORIGIN}/http-bind`}`);

let failed = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failed++;
}

const browser = await launchChromium(chromium, { ignoreDefaultArgs: ['--disable-back-forward-cache'] });
const events = [];
const notUsed = [];
try {
  const context = await browser.newContext();
  async function open(role, query = '') {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    cdp.on('Runtime.bindingCalled', (e) => {
      if (e.name === '__report') events.push({ ...JSON.parse(e.payload), at: Date.now() });
    });
    cdp.on('Page.backForwardCacheNotUsed', (e) => notUsed.push({ role, ...e }));
    await cdp.send('Page.enable');
    await cdp.send('Runtime.enable');
    await cdp.send('Runtime.addBinding', { name: '__report' });
    page.on('console', (m) => { if (m.type() === 'error') console.log(`  [${role} console] ${m.text()}`); });
    await page.goto(`${ORIGIN}/__test/keepalive.html?role=${role}${QUERY}${query}`);
    return page;
  }
  const of = (role, kind) => events.filter((e) => e.role === role && e.kind === kind);
  async function ready(role) {
    await until(() => of(role, 'ready').length > 0 || of(role, 'error').length > 0, 20000, `${role} ready`);
    const err = of(role, 'error')[0];
    if (err) throw new Error(err.data);
    return of(role, 'ready')[0].data;
  }

  const alice = await open('alice', `&wait=${WAIT}`);
  const a = await ready('alice');
  const bob = await open('bob');
  await ready('bob');
  check(a.mode.startsWith('connected'), `alice logged in (${a.jid}, wait=${WAIT})`);
  await alice.evaluate(() => { window.outs.length = 0; });

  // After the page is shown again: a message to ourselves, sent at once,
  // must come back well before `wait`: a window stalled by a request whose
  // answer was dropped would hold it until that request's timeout
  // (1.1 × wait + 2 s). Then what bob sent meanwhile arrived exactly once,
  // and the session goes on.
  async function afterReturn(label, bobsMessage) {
    const r = await alice.evaluate(async ({ limit, body }) => {
      const t0 = performance.now();
      const got = [];
      window.conn.addHandler((m) => { got.push(m.textContent); return true; }, null, 'message');
      window.conn.send(`<message to='${window.conn.jid}' type='chat'><body>${body}</body></message>`);
      while (!got.includes(body) && performance.now() - t0 < limit) {
        await new Promise((res) => setTimeout(res, 10));
      }
      return { ms: performance.now() - t0, arrived: got.includes(body) };
    }, { limit: (WAIT * 1000) / 4, body: `${label}: back` });
    check(r.arrived && r.ms < (WAIT * 1000) / 10,
      `${label}: a message sent at once ${r.arrived ? 'came back' : 'did not come back'} in ${(r.ms / 1000).toFixed(2)} s (well under wait=${WAIT} s)`);
    const got = JSON.parse(await alice.evaluate(() => sessionStorage.getItem('test:got') || '[]'));
    const n = got.filter((m) => m === bobsMessage).length;
    check(n === 1, `${label}: bob's message sent while the page was hidden arrived exactly once (${n})`);
    const pong = await alice.evaluate(() => window.ping().then((p) => p.getAttribute('type'), (e) => String(e)));
    check(pong === 'result', `${label}: the session goes on: ping ${pong}`);
  }

  // A. The real thing: away to another page of the same origin and back;
  //    bob writes meanwhile (the server answers alice's held long poll).
  await alice.goto(`${ORIGIN}/__test/elsewhere.html`);
  await bob.evaluate((to) => window.conn.send(`<message to='${to}' type='chat'><body>while-away</body></message>`), a.jid);
  await sleep(1500);
  const shows = of('alice', 'pageshow').length;
  // No load event on a page restored from the cache: wait for the commit.
  await alice.goBack({ waitUntil: 'commit' });
  await until(() => of('alice', 'pageshow').length > shows, 10000, 'pageshow');
  const show = of('alice', 'pageshow').at(-1).data;
  const reasons = notUsed.filter((n) => n.role === 'alice');
  check(show.persisted === true && reasons.length === 0,
    `A: the page came back from the back-forward cache (pageshow persisted=${show.persisted}${
      reasons.length ? `; not cached: ${JSON.stringify(reasons.map((r) => r.notRestoredExplanations))}` : ''})`);
  await afterReturn('A', 'while-away');

  // B. Deterministically, the case a real freeze only hits by chance: an
  //    answer that completes after pagehide but before the page stops running
  //    is dropped by the hidden page. The same pagehide and pageshow events
  //    (persisted), dispatched by hand, with the page running in between.
  const aborted = [];
  const onFailed = (r) => { if (r.url().includes(new URL(SERVICE, ORIGIN).pathname)) aborted.push(r.failure()?.errorText); };
  alice.on('requestfailed', onFailed);
  await alice.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true })));
  await sleep(200);
  alice.off('requestfailed', onFailed);
  check(aborted.length > 0, `B: pagehide aborted the requests on the wire (${JSON.stringify(aborted)})`);
  await bob.evaluate((to) => window.conn.send(`<message to='${to}' type='chat'><body>while-hidden</body></message>`), a.jid);
  await sleep(1000);
  const dropped = await alice.evaluate(() => JSON.parse(sessionStorage.getItem('test:got') || '[]').includes('while-hidden'));
  check(!dropped, 'B: the hidden page did not deliver what came meanwhile (its answer is dropped)');
  await alice.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
  await afterReturn('B', 'while-hidden');

  const outs = await alice.evaluate(() => window.outs.slice());
  check(!outs.some((b) => /\bpause=/.test(b)), `no pause request was sent (${outs.length} bodies)`);

  // C. A multi-page app: while alice's page A is in the cache, page B of the
  //    same tab restores the session and uses it (its rids advance, stanzas
  //    flow both ways); Back: B releases its newer snapshot and A comes back
  //    from the cache. A must continue from B's state (never resend its own
  //    stale rids), and every message bob sent during the whole sequence
  //    arrives exactly once across A and B.
  const gotC = async () => JSON.parse(await alice.evaluate(() => sessionStorage.getItem('test:got') || '[]'));
  const bobSays = (body) => bob.evaluate(({ to, body }) =>
    window.conn.send(`<message to='${to}' type='chat'><body>${body}</body></message>`), { to: a.jid, body });
  const statusesA = () => of('alice', 'status').map((e) => e.data);
  await bobSays('C-on-A');
  await until(() => of('alice', 'msg').some((e) => e.data === 'C-on-A'), 10000, 'C-on-A on A');
  const notUsedC = notUsed.length;
  const statusesBefore = statusesA().length;
  await alice.goto(`${ORIGIN}/__test/keepalive.html?role=alice&as=aliceB${QUERY}`, { waitUntil: 'commit' });
  await bobSays('C-navigating');
  const b = await ready('aliceB');
  check(b.mode === 'restored' && b.pong === 'result', `C: page B restored the session (${b.mode}, ping ${b.pong})`);
  await bobSays('C-on-B');
  const echo = await alice.evaluate(async () => {
    const got = [];
    window.conn.addHandler((m) => { got.push(m.textContent); return true; }, null, 'message');
    window.conn.send(`<message to='${window.conn.jid}' type='chat'><body>C: from B</body></message>`);
    const t0 = performance.now();
    while (!got.includes('C: from B') && performance.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 10));
    return got.includes('C: from B');
  });
  check(echo, 'C: page B sends and receives on the session');
  await until(() => of('aliceB', 'msg').some((e) => e.data === 'C-on-B'), 10000, 'C-on-B on B');
  const showsC = of('alice', 'pageshow').length;
  const storedBefore = of('aliceB', 'stored')[0].data; // A's released snapshot, as B found it
  await alice.goBack({ waitUntil: 'commit' });
  await bobSays('C-going-back');
  await until(() => of('alice', 'pageshow').length > showsC, 10000, 'pageshow of A');
  const showC = of('alice', 'pageshow').at(-1).data;
  const reasonsC = notUsed.slice(notUsedC).filter((n) => n.role === 'alice');
  check(showC.persisted === true && reasonsC.length === 0,
    `C: back to A from the back-forward cache (pageshow persisted=${showC.persisted}${
      reasonsC.length ? `; not cached: ${JSON.stringify(reasonsC.map((r) => r.notRestoredExplanations))}` : ''})`);
  // (Chromium may show A before B's pagehide has released B's snapshot:
  //  storage may still hold it claimed at A's pageshow.)
  const heldByB = showC.stored;
  check(heldByB && storedBefore.released && heldByB.next > storedBefore.next,
    `C: storage held B's newer snapshot of the session (${JSON.stringify(heldByB)})`);
  const outsBefore = await alice.evaluate(() => window.outs.length);
  await afterReturn('C', 'C-going-back');
  await bobSays('C-after');
  await until(() => of('alice', 'msg').some((e) => e.data === 'C-after'), 10000, 'C-after on A');
  const rids = (await alice.evaluate((n) => window.outs.slice(n), outsBefore))
    .map((body) => Number(/\brid=['"](\d+)/.exec(body)?.[1]));
  const firstOfB = Math.min(heldByB.next, ...heldByB.unanswered);
  check(rids.length > 0 && rids.every((r) => r >= firstOfB),
    `C: A sent only B's unanswered and newer rids (>= ${firstOfB}): ${rids.join(' ')}`);
  await sleep(500);
  const all = await gotC();
  for (const m of ['C-on-A', 'C-navigating', 'C-on-B', 'C-going-back', 'C-after']) {
    const n = all.filter((x) => x === m).length;
    check(n === 1, `C: bob's ${m} arrived exactly once across A and B (${n})`);
  }
  const newStatuses = statusesA().slice(statusesBefore);
  const connected = await alice.evaluate(() => window.conn.connected);
  check(connected && newStatuses.length === 0,
    `C: the session was not killed (connected=${connected}, statuses ${JSON.stringify(newStatuses)})`);
  const storedAfter = JSON.parse(await alice.evaluate(() => sessionStorage.getItem('xmpp-wasm:session')));
  check(storedAfter && storedAfter.released === false && storedAfter.session.next_rid >= heldByB.next,
    `C: A claimed the session (released=${storedAfter?.released}, next rid ${storedAfter?.session.next_rid})`);

  // D. Taken by a live page: while A is hidden, storage ends up holding the
  //    session claimed (not released) by another page. A must give the
  //    session up without a word to the server: DISCONNECTED with
  //    `session-taken`, no request, the stored snapshot left as it is.
  await alice.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true })));
  const claimed = await alice.evaluate(() => {
    const s = JSON.parse(sessionStorage.getItem('xmpp-wasm:session'));
    s.released = false;
    s.session.next_rid += 5; // another page went on with it
    s.session.unanswered = [];
    const text = JSON.stringify(s);
    sessionStorage.setItem('xmpp-wasm:session', text);
    return text;
  });
  const statusesD = statusesA().length;
  const outsD = await alice.evaluate(() => window.outs.length);
  await alice.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
  await sleep(2500); // A waits up to 1 s for a claim to be released
  const stD = statusesA().slice(statusesD);
  check(stD.length === 1 && stD[0].s === 6 && stD[0].c === 'session-taken',
    `D: A reported DISCONNECTED (6) with session-taken: ${JSON.stringify(stD)}`);
  const sentD = await alice.evaluate((n) => window.outs.slice(n), outsD);
  check(sentD.length === 0, `D: A sent nothing (${sentD.length} bodies: ${sentD.join(' ').slice(0, 300)})`);
  const leftD = await alice.evaluate(() => sessionStorage.getItem('xmpp-wasm:session'));
  check(leftD === claimed, 'D: the other page\'s snapshot was left as it is');
  const pingD = await alice.evaluate(async () => {
    try { await window.ping(); return 'answered'; } catch (e) { return e.name; }
  });
  check(pingD !== 'answered', `D: A has no session any more (ping: ${pingD})`);
  await bob.evaluate(() => window.conn.disconnect());
} catch (e) {
  failed++;
  console.log(`FAIL ${e?.message ?? e}`);
} finally {
  await browser.close();
}
console.log(failed ? `bfcache.test: ${failed} failed` : 'bfcache.test: all passed');
process.exit(failed ? 1 : 0);
