// Cluster nodes without a load balancer (issue 12), end to end: Debian's headless Chromium, the
// built pkg/, and three Prosody instances this test starts (scripts/prosody.sh, separate state
// dirs, the same domain `localhost`, alice registered on each), named in one `service` entry:
// `new Connection([[node1, node2, node3]])`. The page is served by node 1; the other nodes' BOSH
// is cross-origin (Prosody's mod_bosh answers CORS).
//
//   node tests/js/cluster.test.mjs      (needs pkg/ built; starts and stops both nodes)
//
// Asserted, with the node read from the servers' logs (which one assigned the sid), not only
// from `conn.service`:
// 1. a cluster whose first node's port is closed: 6 connects, each CONNECTED on the other node;
// 2. CONNECTS (30) connects of new Connection objects on a cluster of nodes 1 and 2 spread over
//    both: each node gets at least one. The rule: with a uniform pick, a node gets none with
//    probability 2 · 2^-30 ≈ 1.9e-9 (never a fluke), while a client that always takes the first
//    node, or the same node, fails it at once (the split is printed);
// 3. keepalive, then the page reloads: restore() → ATTACHED on the snapshot's node, and a ping
//    is answered there;
// 4. `reconnect` on the 3-node cluster, messages to alice's own JID 4 per second (out and back):
//    SIGKILL the session's node → RECONNECTING → CONNECTED on another node (its log assigned the
//    new sid) within the bound ARCHITECTURE.md states (detection 7.75 s + 1 s for the failed
//    attempts + the first wait ≤ initialDelay + 2 s for a loopback login), every message received
//    exactly once (the page resends what onUnacknowledged reports and it has not seen back), at
//    most 6 requests in any second while the session was down, and at most sends + arrivals + 1
//    poll + 8 resends (17) in any second of the run;
// 5. attach on the cluster: a session prebound (bench/prebind.mjs, from node) on a node other than
//    the first is attached with its `url` (ATTACHED there, a ping answered; without `url`, a
//    TypeError); with `reconnect.prebind` (a callback that throws, then answers garbage, then
//    prebinds on a live node: each failure logged), its node SIGKILLed → RECONNECTING → ATTACHED
//    on the other node, messages sent meanwhile delivered once, within the same bound plus the
//    two extra waits;
// 6. the same with `reconnect.prebind` the URL of a prebind service (one in node, answering
//    {jid, sid, rid, url}) and the first session from conn.prebind(url): ATTACHED on the answer's
//    node, then, its node killed, ATTACHED on the node of the service's next answer, within the
//    bound.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, freePort, sleep } from './harness.mjs';
import { prebind } from '../../bench/prebind.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
if (!existsSync(join(ROOT, 'pkg/xmpp_wasm.js'))) {
  console.error('cluster.test: pkg/xmpp_wasm.js is missing (build the package first)');
  process.exit(2);
}
const CONNECTS = 30;
// The bound of kill → CONNECTED (ARCHITECTURE.md, "Cluster nodes"): the session's own detection
// (resends after 250, 500, 1000, 2000, 4000 ms: 7,750 ms), 1 s for those attempts to fail, the
// first jittered wait (≤ initialDelay), 2 s for a login on loopback.
const INITIAL_DELAY = 500;
const BOUND_MS = 7750 + 1000 + INITIAL_DELAY + 2000;
// With a prebind callback that fails twice first: two more waits, of at most max(1 s, 1000 ms)
// and max(1 s, 2000 ms) (the caps of attempts 1 and 2; attempts start ≥ 1 s apart).
const PREBIND_BOUND_MS = BOUND_MS + 1000 + 2000;
let failed = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failed++;
}

const dirs = [1, 2, 3].map((i) => mkdtempSync(join(tmpdir(), `xmpp-wasm-cluster-${i}-`)));
const prosody = (cmd, dir, env = {}) => execFileSync(join(ROOT, 'scripts/prosody.sh'), [cmd, dir], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
const readEnv = (dir) => Object.fromEntries(readFileSync(join(dir, 'env'), 'utf8').trim().split('\n')
  .map((l) => l.split('=')).map(([k, ...v]) => [k, v.join('=')]));
const started = [];
let browser, service;
try {
  for (const dir of dirs) {
    mkdirSync(join(dir, 'site'), { recursive: true });
    symlinkSync(join(ROOT, 'pkg'), join(dir, 'site/pkg'));
    writeFileSync(join(dir, 'site/index.html'), '<!doctype html><title>cluster</title>');
    prosody('start', dir);
    started.push(dir);
  }
  const urls = dirs.map((d) => readEnv(d).BOSH_URL);
  const ORIGIN = readEnv(dirs[0]).HTTP_ORIGIN;
  const closed = `http://127.0.0.1:${await freePort()}/http-bind`;
  console.log(`nodes ${urls.join(', ')}; closed ${closed}`);
  /** The node (0, 1) whose log shows it assigned `sid`, -1 for none. */
  const nodeOf = (sid) => dirs.findIndex((d) => readFileSync(join(d, 'prosody.log'), 'utf8').includes(`assigned it sid '${sid}'`));
  const pids = dirs.map((d) => Number(readEnv(d).PROSODY_PID));

  browser = await launchChromium(chromium);
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error' && !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(m.text())) console.log(`  [console] ${m.text()}`); });
  await page.goto(`${ORIGIN}/index.html`);
  const login = (service, keepalive = false) => page.evaluate(async ([service, keepalive]) => {
    const { default: init, Connection, Status } = await import('/pkg/xmpp_wasm.js');
    await init();
    const conn = new Connection(service, { keepalive, mechanisms: ['PLAIN'] });
    let sid = null;
    conn.rawInput = (x) => { sid ??= /\bsid=['"]([^'"]+)/.exec(x)?.[1] ?? null; };
    const status = await conn.connect('alice@localhost/cl', 'alice-pass').then((s) => Status[s], (e) => String(e));
    const out = { status, sid, service: conn.service };
    if (!keepalive) await conn.disconnect();
    return out;
  }, [service, keepalive]);

  // 1. The first node's port is closed.
  // (Each new Connection draws its own order: over 6 of them, the closed node comes first in
  // about half.)
  const downs = [];
  for (let i = 0; i < 6; i++) downs.push(await login([[closed, urls[1]]]));
  check(downs.every((d) => d.status === 'CONNECTED' && d.service === urls[1] && nodeOf(d.sid) === 1),
    `first node's port closed: 6 connects ${downs.map((d) => `${d.status} on node ${nodeOf(d.sid) + 1}`).join(', ')}`);

  // 2. Sessions spread over the nodes.
  const split = [0, 0, 0];
  let mismatched = 0;
  for (let i = 0; i < CONNECTS; i++) {
    const r = await login([urls.slice(0, 2)]);
    const n = nodeOf(r.sid);
    if (r.status !== 'CONNECTED' || n < 0 || urls[n] !== r.service) mismatched++;
    else split[n]++;
  }
  console.log(`  ${CONNECTS} connects: node 1 ${split[0]}, node 2 ${split[1]}`);
  check(mismatched === 0 && split[0] >= 1 && split[1] >= 1 && split[2] === 0,
    `${CONNECTS} connects spread over both nodes (${split.join('/')}), each on the node its service names (${mismatched} not)`);

  // 3. Restore after a reload returns to the snapshot's node.
  const first = await login([urls], true);
  await page.waitForFunction(() => sessionStorage.getItem('xmpp-wasm:session') !== null);
  await page.reload();
  const back = await page.evaluate(async (urls) => {
    const { default: init, Connection, Status, $iq } = await import('/pkg/xmpp_wasm.js');
    await init();
    const conn = new Connection([urls], { keepalive: true });
    const status = await conn.restore().then((s) => Status[s], (e) => String(e));
    const pong = await conn.sendIQAsync($iq({ type: 'get', to: 'localhost' }).c('ping', { xmlns: 'urn:xmpp:ping' }))
      .then(() => 'result', (e) => String(e));
    const out = { status, pong, service: conn.service };
    await conn.disconnect();
    return out;
  }, urls);
  check(first.status === 'CONNECTED' && back.status === 'ATTACHED' && back.pong === 'result' && back.service === first.service
    && urls[nodeOf(first.sid)] === back.service,
  `restore after a reload: ${back.status} on ${back.service}, ping ${back.pong} (the session was on node ${nodeOf(first.sid) + 1})`);

  // 4. and 5.: a live session with messages flowing, its node killed.
  await page.reload();
  await page.exposeFunction('__prebind', async (n) => {
    const t = await prebind(urls[n], { user: 'alice', domain: 'localhost', password: 'alice-pass', resource: 'pb0' }); // the same full JID as the session it replaces
    return { ...t, url: urls[n] };
  });
  /** Sets up window.__s and window.__conn: `how` 'connect' or 'attach' (with `tokens`). */
  const start = (how, tokens) => page.evaluate(async ([urls, how, tokens, initialDelay]) => {
    const { default: init, Connection, $msg, $iq, Status } = await import('/pkg/xmpp_wasm.js');
    await init();
    const s = window.__s = { statuses: [], received: [], sent: 0, requests: [], unacked: [], sids: [], prebinds: 0, jid: null, errors: [] };
    const reconnect = { initialDelay, maxDelay: 2000 };
    if (how === 'prebindUrl') reconnect.prebind = tokens;
    if (how === 'attach') {
      // Throws, then answers garbage (the backoff must go on after each), then prebinds on the
      // live node the test names.
      reconnect.prebind = async () => {
        const n = s.prebinds++;
        if (n === 0) throw new Error('prebind service down');
        if (n === 1) return { jid: 'alice@localhost/pb0', rid: 5 };
        return window.__prebind(window.__next);
      };
    }
    const conn = window.__conn = new Connection([urls], { reconnect, mechanisms: ['PLAIN'] });
    conn.rawOutput = () => s.requests.push(Date.now());
    conn.rawInput = (x) => { const sid = /\bsid=['"]([^'"]+)/.exec(x)?.[1]; if (sid && !s.sids.includes(sid)) s.sids.push(sid); };
    conn.log = (level, message) => { if (level >= 3) s.errors.push(message); };
    conn.onUnacknowledged = (stanzas, condition) => {
      for (const st of stanzas) {
        const id = st.getAttribute('id');
        s.unacked.push(`${id}:${condition}`);
        if (!s.received.includes(id)) conn.send(st);
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
    const onStatus = (status, cond) => s.statuses.push([Status[status], cond ?? null, Date.now()]);
    let noUrl = null;
    if (how === 'attach') {
      try {
        conn.attach(tokens.jid, tokens.sid, tokens.rid);
      } catch (e) {
        noUrl = `${e.name}: ${e.message}`;
      }
      if (tokens.sid && !s.sids.includes(tokens.sid)) s.sids.push(tokens.sid);
      await conn.attach(tokens.jid, tokens.sid, tokens.rid, onStatus, null, null, null, tokens.url);
    } else if (how === 'prebindUrl') await conn.prebind(tokens, onStatus, { json: true });
    else await conn.connect('alice@localhost/cl', 'alice-pass', onStatus);
    s.jid = conn.jid;
    const pong = await conn.sendIQAsync($iq({ type: 'get', to: 'localhost' }).c('ping', { xmlns: 'urn:xmpp:ping' })).then(() => 'result', (e) => String(e));
    return { noUrl, pong, service: conn.service };
  }, [urls, how, tokens, INITIAL_DELAY]);
  const state = () => page.evaluate(() => window.__s);
  const window1s = (ts) => Math.max(0, ...ts.map((t) => ts.filter((u) => u >= t && u < t + 1000).length));

  /** Messages 4/s; kill the session's node; wait for `want` after RECONNECTING; check. */
  const killAndRecover = async (label, want, bound, sidsNow = async () => (await state()).sids) => {
    let pumping = true;
    const pump = (async () => {
      while (pumping) {
        await page.evaluate(() => window.__send()).catch(() => {});
        await sleep(250);
      }
    })();
    await sleep(2000);
    const before = await state();
    const victim = nodeOf((await sidsNow()).at(-1));
    check(victim >= 0 && before.received.length > 0, `${label}: on node ${victim + 1}, messages flow (${before.received.length} received)`);
    const killedAt = Date.now();
    process.kill(pids[victim], 'SIGKILL');
    let end;
    for (let i = 0; i < 600; i++) {
      end = await state();
      const after = end.statuses.filter(([, , at]) => at >= killedAt);
      if (after.some(([n]) => n === want) || after.some(([n]) => n === 'DISCONNECTED')) break;
      await sleep(50);
    }
    await sleep(2000);
    pumping = false;
    await pump;
    await sleep(1500);
    end = await state();
    const after = end.statuses.filter(([, , at]) => at >= killedAt);
    const back = after.find(([n]) => n === want);
    const newNode = nodeOf((await sidsNow()).at(-1));
    const took = (back?.[2] ?? Infinity) - killedAt;
    check(after[0]?.[0] === 'RECONNECTING' && !!back && !after.some(([n]) => n === 'DISCONNECTED' || n === 'CONNFAIL' || n === 'ATTACHFAIL'),
      `${label}: status sequence after the kill: ${after.map(([n]) => n).join(' → ')}`);
    check(newNode >= 0 && newNode !== victim && urls[newNode] === (await page.evaluate(() => window.__conn.service)),
      `${label}: ${want} on node ${newNode + 1} (from its log), not the killed node ${victim + 1}`);
    check(took <= bound, `${label}: kill → ${want} in ${took} ms (bound ${bound} ms)`);
    const counts = new Map();
    for (const b of end.received) counts.set(b, (counts.get(b) ?? 0) + 1);
    const missing = [];
    for (let i = 0; i < end.sent; i++) if (!counts.has(`n${i}`)) missing.push(i);
    const dups = [...counts].filter(([, c]) => c > 1).map(([b]) => b);
    check(missing.length === 0 && dups.length === 0,
      `${label}: ${end.sent} sent, each received once (missing: ${missing.join(',') || 'none'}; twice: ${dups.join(',') || 'none'})`);
    const down = end.requests.filter((t) => t >= killedAt && t <= (back?.[2] ?? Date.now()));
    const worst = window1s(end.requests);
    check(window1s(down) <= 6 && worst <= 17,
      `${label}: requests: at most ${window1s(down)} in any second while down (≤ 6), ${worst} in any second of the run (≤ 17)`);
    console.log(`  ${label}: reported may-not-have-arrived ${end.unacked.join(' ') || '-'}; log errors: ${end.errors.length}`);
    return { end, victim, newNode };
  };

  // 4. connect + reconnect on the 3-node cluster.
  const r4 = await start('connect');
  check(r4.pong === 'result', `reconnect session up on ${r4.service} (ping ${r4.pong})`);
  const k4 = await killAndRecover('kill the node (connect)', 'CONNECTED', BOUND_MS);
  await page.evaluate(() => window.__conn.disconnect());

  // 5. attach with url, then reconnect through reconnect.prebind, on the two live nodes.
  const live = [0, 1, 2].filter((n) => n !== k4.victim);
  const tokens = await prebind(urls[live[1]], { user: 'alice', domain: 'localhost', password: 'alice-pass', resource: 'pb0' });
  await page.evaluate((n) => { window.__next = n; }, live[0]);
  const r5 = await start('attach', { ...tokens, url: urls[live[1]] });
  check(/^TypeError: Connection.attach: url must be the URL of the node/.test(r5.noUrl ?? ''), `attach on a cluster without url: ${r5.noUrl}`);
  check(r5.pong === 'result' && r5.service === urls[live[1]] && nodeOf(tokens.sid) === live[1],
    `attach with url: on node ${live[1] + 1} (${r5.service}), ping ${r5.pong}`);
  const k5 = await killAndRecover('kill the node (attach + reconnect.prebind)', 'ATTACHED', PREBIND_BOUND_MS);
  const logged = k5.end.errors.filter((m) => m.includes('reconnect.prebind'));
  check(k5.end.prebinds === 3 && logged.length === 2 && /prebind service down/.test(logged[0]) && /no string sid/.test(logged[1]),
    `the prebind callback: ${k5.end.prebinds} calls, the two failures logged (${logged.join(' | ') || 'none'})`);
  await page.evaluate(() => window.__conn.disconnect());

  // 6. reconnect.prebind as the URL of a prebind service (here in node, with CORS), the session
  // from conn.prebind(url): both killed nodes restarted on their ports, the service binds on the
  // nodes of `plan` in turn and answers {jid, sid, rid, url}.
  for (const n of [k4.victim, k5.victim]) {
    const port = new URL(urls[n]).port;
    prosody('stop', dirs[n]);
    prosody('start', dirs[n], { PROSODY_HTTP_PORT: port });
    pids[n] = Number(readEnv(dirs[n]).PROSODY_PID);
  }
  const plan = [k4.victim, k5.victim, k4.victim];
  const served = [];
  service = createServer(async (req, res) => {
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'content-type, accept' };
    req.resume();
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    try {
      const n = plan.shift();
      const t = await prebind(urls[n], { user: 'alice', domain: 'localhost', password: 'alice-pass', resource: 'pb6' });
      served.push(t.sid);
      const answer = req.url.includes('nourl') ? t : { ...t, url: urls[n] };
      res.writeHead(200, { ...cors, 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
    } catch (e) {
      res.writeHead(500, cors).end(String(e));
    }
  });
  await new Promise((r) => service.listen(0, '127.0.0.1', r));
  const PREBIND_URL = `http://127.0.0.1:${service.address().port}/prebind`;
  const noUrl = await page.evaluate(async ([urls, url]) => {
    const { Connection } = await import('/pkg/xmpp_wasm.js');
    return new Connection([urls]).prebind(url, null, { json: true }).then(() => 'resolved', (e) => `${e.name} ${e.condition}: ${e.message}`);
  }, [urls, `${PREBIND_URL}?nourl`]);
  check(/^PrebindError bad-format: prebind answer: url must be the URL of the node/.test(noUrl), `a prebind answer without url on a cluster: ${noUrl}`);
  served.length = 0;
  const r6 = await start('prebindUrl', PREBIND_URL);
  check(r6.pong === 'result' && r6.service === urls[k5.victim] && nodeOf(served[0]) === k5.victim,
    `prebind(url) on a cluster: the answer's node ${k5.victim + 1} (${r6.service}), ping ${r6.pong}`);
  const k6 = await killAndRecover('kill the node (prebind URL + reconnect.prebind URL)', 'ATTACHED', BOUND_MS, async () => served);
  check(served.length === 2 && k6.newNode === k4.victim, `the prebind service was asked once more (${served.length} sessions served)`);
  await page.evaluate(() => window.__conn.disconnect());
} finally {
  service?.close();
  await browser?.close();
  for (const dir of started) try { prosody('stop', dir); } catch {}
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
console.log(failed ? `cluster.test: ${failed} FAILED` : 'cluster.test: all passed');
process.exit(failed ? 1 : 0);
