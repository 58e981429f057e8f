// Cluster nodes without a load balancer (issue 12), end to end: Debian's headless Chromium, the
// built pkg/, and two Prosody instances this test starts (scripts/prosody.sh, separate state
// dirs, the same domain `localhost`, alice registered on each), both named in one `service`
// entry: `new Connection([[node1, node2]])`. The page is served by node 1; node 2's BOSH is
// cross-origin (Prosody's mod_bosh answers CORS).
//
//   node tests/js/cluster.test.mjs      (needs pkg/ built; starts and stops both nodes)
//
// Asserted, with the node read from the servers' logs (which one assigned the sid), not only
// from `conn.service`:
// 1. a cluster whose first node's port is closed: 6 connects, each CONNECTED on the other node;
// 2. CONNECTS connects of new Connection objects spread over both nodes (each gets some; the
//    split is printed);
// 3. keepalive, then the page reloads: restore() → ATTACHED on the snapshot's node, and a ping
//    is answered there.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, freePort } from './harness.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
if (!existsSync(join(ROOT, 'pkg/xmpp_wasm.js'))) {
  console.error('cluster.test: pkg/xmpp_wasm.js is missing (build the package first)');
  process.exit(2);
}
const CONNECTS = 24;
let failed = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failed++;
}

const dirs = [1, 2].map((i) => mkdtempSync(join(tmpdir(), `xmpp-wasm-cluster-${i}-`)));
const prosody = (cmd, dir) => execFileSync(join(ROOT, 'scripts/prosody.sh'), [cmd, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
const readEnv = (dir) => Object.fromEntries(readFileSync(join(dir, 'env'), 'utf8').trim().split('\n')
  .map((l) => l.split('=')).map(([k, ...v]) => [k, v.join('=')]));
const started = [];
let browser;
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
  const split = [0, 0];
  let mismatched = 0;
  for (let i = 0; i < CONNECTS; i++) {
    const r = await login([urls]);
    const n = nodeOf(r.sid);
    if (r.status !== 'CONNECTED' || n < 0 || urls[n] !== r.service) mismatched++;
    else split[n]++;
  }
  console.log(`  ${CONNECTS} connects: node 1 ${split[0]}, node 2 ${split[1]}`);
  check(mismatched === 0 && split[0] > 0 && split[1] > 0,
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
} finally {
  await browser?.close();
  for (const dir of started) prosody('stop', dir);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
console.log(failed ? `cluster.test: ${failed} FAILED` : 'cluster.test: all passed');
process.exit(failed ? 1 : 0);
