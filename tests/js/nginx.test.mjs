// Proxied BOSH and WebSocket ("Don't Cross The Domains": a BOSH service is just a URL; a web
// server proxies it, balances it and fails it over): Debian's nginx serves the page and proxies
// /http-bind and /xmpp-websocket on the same origin — no CORS at all, no preflight — to two
// Prosody nodes serving the same domain (users registered on each; PROSODY_WS=1: websocket +
// smacks). nginx keeps a client on one node (ip_hash over one upstream for both paths: the
// session lives there) and moves a request or a new connection to the other node when the first
// cannot be reached (proxy_next_upstream error/timeout/502/503). /xmpp-websocket passes the
// Upgrade and Connection headers (HTTP/1.1) and waits proxy_read_timeout 900s for the server:
// longer than Prosody's default read_timeout (840 s), after which Prosody sends an <r/> (or a
// ping frame) on a silent connection, so a live but idle stream is not cut by nginx.
//
// 1. a BOSH login through nginx: CONNECTED, a message to herself comes back, a ping is answered;
//    the session lives on one node (its sid is in that node's log only);
// 2. a WebSocket login through nginx (reconnect: true), the socket on the page's own origin:
//    CONNECTED, messages both ways with bob (BOSH through nginx: the same node, ip_hash), on the
//    same node as 1;
// 3. that node is killed (SIGKILL) under the live WebSocket session: the client reconnects
//    through nginx, which connects the new socket to the other node; the client tries to resume
//    the stream there (XEP-0198 <resume/>), which fails (<failed/>: the stream-management state
//    lived on the dead node), so it binds a new session: RECONNECTING, then CONNECTED on the
//    other node, and messages flow again;
// 4. a new BOSH login through the same URL lands on the other node too;
// 5. nginx's access log shows only GETs and POSTs (the WebSocket upgrades answered 101):
//    nothing cross-origin happened.
//
//   node tests/js/nginx.test.mjs      (starts and stops two Prosody nodes and nginx)
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, sleep, freePort } from './harness.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NGINX = process.env.NGINX || '/usr/sbin/nginx';
let failed = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failed++;
}
if (!existsSync(NGINX)) {
  console.error(`nginx.test: ${NGINX} not found (scripts/deps.sh installs nginx-light)`);
  process.exit(2);
}

const prosody = (cmd, dir) => execFileSync(join(ROOT, 'scripts', 'prosody.sh'), [cmd, dir],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PROSODY_WS: '1', PROSODY_LOG_LEVEL: 'info' } });
const readEnv = (dir) => Object.fromEntries(readFileSync(join(dir, 'env'), 'utf8').trim().split('\n').map((l) => l.split('=')));

const nodes = [1, 2].map((i) => join(ROOT, '.state', `test-nginx-${i}`));
const state = join(ROOT, '.state', 'test-nginx');
mkdirSync(join(state, 'tmp'), { recursive: true });
execFileSync('bash', ['-c', `. scripts/lib.sh && populate_site "${state}"`], { cwd: ROOT });
let nginx = null;
const browser = await launchChromium(chromium);
try {
  for (const dir of nodes) prosody('start', dir);
  const ports = nodes.map((dir) => new URL(readEnv(dir).HTTP_ORIGIN).port);
  const port = await freePort();
  writeFileSync(join(state, 'access.log'), ''); // this run's requests only
  writeFileSync(join(state, 'nginx.conf'), `
daemon off;
worker_processes 1;
user root;
pid ${state}/nginx.pid;
error_log ${state}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${state}/access.log;
  client_body_temp_path ${state}/tmp/body;
  proxy_temp_path ${state}/tmp/proxy;
  types { text/html html; text/javascript js mjs; application/wasm wasm; text/css css; application/json json; }
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  upstream xmpp {
    ip_hash;
    server 127.0.0.1:${ports[0]} max_fails=1 fail_timeout=30s;
    server 127.0.0.1:${ports[1]} max_fails=1 fail_timeout=30s;
  }
  server {
    listen 127.0.0.1:${port};
    root ${state}/site;
    location /http-bind {
      proxy_pass http://xmpp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 90s;
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_next_upstream_tries 2;
    }
    location /xmpp-websocket {
      proxy_pass http://xmpp;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_buffering off;
      proxy_read_timeout 900s;
      proxy_send_timeout 900s;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 2;
    }
  }
}
`);
  nginx = spawn(NGINX, ['-p', state, '-c', join(state, 'nginx.conf')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const origin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${origin}/index.html`).then((r) => r.ok, () => false)) break;
    await sleep(50);
  }
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log(`  [console] ${m.text()}`); });
  await page.goto(`${origin}/index.html`);
  const login = (resource) => page.evaluate(async (resource) => {
    const { default: init, Connection } = await import('/pkg/xmpp_wasm.js');
    await init();
    const conn = new Connection('/http-bind');
    let sid = null;
    conn.rawOutput = (b) => { sid ??= /\bsid='([^']+)'/.exec(b)?.[1] ?? null; };
    const got = [];
    conn.addHandler((m) => { got.push(m.getElementsByTagName('body')[0]?.textContent); return true; }, null, 'message');
    const status = await conn.connect(`alice@localhost/${resource}`, 'alice-pass');
    conn.send(`<message to='${conn.jid}' type='chat'><body>via nginx</body></message>`);
    const pong = await conn.sendIQAsync("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", 10000);
    const t0 = performance.now();
    while (!got.length && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    await conn.disconnect();
    return { status, sid, pong: pong.getAttribute('type'), got };
  }, resource);
  const nodeOf = (sid) => nodes.findIndex((dir) => readFileSync(join(dir, 'prosody.log'), 'utf8').includes(`assigned it sid '${sid}'`));

  const first = await login('nginx-1');
  const n1 = nodeOf(first.sid);
  check(first.status === 5 && first.pong === 'result' && first.got[0] === 'via nginx',
    `through nginx on the page's origin: CONNECTED, ping answered, message back (${first.status}, ${first.pong}, ${first.got})`);
  check(n1 >= 0, `the session lived on node ${n1 + 1}`);

  // 2. WebSocket through nginx, on the page's origin; bob over BOSH through nginx.
  // A WebSocket connection to a node logs "Client connected" there (BOSH sessions do not).
  const wsConnects = () => nodes.map((dir) => readFileSync(join(dir, 'prosody.log'), 'utf8').split('Client connected').length - 1);
  const before = wsConnects();
  const ws = await page.evaluate(async () => {
    const { default: init, Connection } = await import('/pkg/xmpp_wasm.js');
    await init();
    window.sockets = [];
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(url, protocols) { super(url, protocols); window.sockets.push(url); }
    };
    const service = `${location.origin.replace(/^http/, 'ws')}/xmpp-websocket`;
    const alice = new Connection(service, { reconnect: true });
    window.alice = alice;
    window.aStatuses = [];
    window.aGot = [];
    window.aSm = [];
    alice.rawInput = (t) => { if (/^<(failed|resumed|enabled)[ />]/.test(t)) window.aSm.push(`in ${t.slice(0, 60)}`); };
    alice.rawOutput = (t) => { if (/^<(resume|enable)[ />]/.test(t)) window.aSm.push(`out ${t.slice(0, 60)}`); };
    alice.addHandler((m) => { window.aGot.push(m.getElementsByTagName('body')[0]?.textContent); return true; }, null, 'message');
    const status = await alice.connect('alice@localhost/nginx-ws', 'alice-pass', (s) => window.aStatuses.push(s));
    window.bobLogin = async (n) => {
      const bob = new Connection('/http-bind');
      const got = [];
      bob.addHandler((m) => { got.push(m.getElementsByTagName('body')[0]?.textContent); return true; }, null, 'message');
      await bob.connect('bob@localhost/nginx', 'bob-pass');
      alice.send(`<message to='bob@localhost/nginx' type='chat'><body>a2b ${n}</body></message>`);
      // To alice's JID of now (after a failed resumption the new binding asks for the same resource).
      bob.send(`<message to='${alice.jid}' type='chat'><body>b2a ${n}</body></message>`);
      const t0 = performance.now();
      while ((!got.includes(`a2b ${n}`) || !window.aGot.includes(`b2a ${n}`)) && performance.now() - t0 < 10000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      await bob.disconnect();
      return { bob: got, alice: window.aGot.filter((b) => b === `b2a ${n}`) };
    };
    const both = await window.bobLogin(1);
    return { status, origin: location.origin, sockets: window.sockets, sm: window.aSm, ...both };
  });
  const after = wsConnects();
  const wsNode = after.findIndex((c, i) => c > before[i]);
  check(ws.status === 5, `WebSocket through nginx: CONNECTED (${ws.status})`);
  check(ws.sockets.length === 1 && new URL(ws.sockets[0]).host === new URL(ws.origin).host && ws.sockets[0].startsWith('ws://'),
    `the socket is on the page's own origin (${ws.sockets.join(', ')}; page ${ws.origin})`);
  check(ws.bob.includes('a2b 1') && ws.alice.length === 1, `messages both ways with bob through nginx (bob got ${ws.bob}, alice got ${ws.alice})`);
  check(ws.sm.some((l) => l.startsWith('in <enabled')), `stream management enabled (${ws.sm.join(' | ')})`);
  check(wsNode === n1 && after.reduce((a, c) => a + c, 0) - before.reduce((a, c) => a + c, 0) === 1,
    `the WebSocket session lives on node ${wsNode + 1}, the node of the BOSH session (ip_hash)`);

  // 3. The node dies under the live WebSocket session.
  process.kill(Number(readEnv(nodes[n1]).PROSODY_PID), 'SIGKILL');
  const back = await page.evaluate(async () => {
    const t0 = performance.now();
    while (!(window.aStatuses.includes(13) && window.alice.status === 5) && performance.now() - t0 < 30000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const connectedAfter = performance.now() - t0;
    const jid = window.alice.jid;
    const pong = await Promise.resolve()
      .then(() => window.alice.sendIQAsync("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", 10000))
      .then((p) => p.getAttribute('type'), (e) => String(e));
    const res = { statuses: window.aStatuses, sockets: window.sockets, sm: window.aSm, pong, jid, connectedAfter, bob: [], alice: [] };
    return window.alice.status === 5 ? { ...res, ...await window.bobLogin(2) } : res;
  });
  const final = wsConnects();
  const afterKill = back.statuses.slice(back.statuses.indexOf(5) + 1);
  console.log(`     node ${n1 + 1} killed: statuses after CONNECTED ${afterKill.join(',')}; stream management ${back.sm.join(' | ')}; sockets ${back.sockets.length}; CONNECTED ${Math.round(back.connectedAfter)} ms after the kill as ${back.jid}`);
  check(afterKill[0] === 13 && afterKill.at(-1) === 5 && !afterKill.includes(8),
    `node ${n1 + 1} killed: RECONNECTING, then CONNECTED as a new session, not resumed (${afterKill.join(',')})`);
  check(back.sm.some((l) => l.startsWith('out <resume')) && back.sm.some((l) => l.startsWith('in <failed')),
    'the client tried to resume the stream on the other node and got <failed/> (the XEP-0198 state died with its node)');
  check(final[1 - n1] > after[1 - n1] && back.sockets.every((u) => u === back.sockets[0]),
    `the new socket, through the same nginx URL, went to node ${2 - n1}`);
  check(back.jid === 'alice@localhost/nginx-ws',
    `the new binding kept the resource of the lost session (${back.jid})`);
  check(back.pong === 'result' && back.bob.includes('a2b 2') && back.alice.length === 1,
    `after the reconnect: ping answered, messages both ways again (bob got ${back.bob}, alice got ${back.alice})`);
  await page.evaluate(() => window.alice.disconnect());

  // 4. A new BOSH login lands on the other node.
  const second = await login('nginx-2');
  const n2 = nodeOf(second.sid);
  check(second.status === 5 && second.pong === 'result' && second.got[0] === 'via nginx',
    `node ${n1 + 1} down: a new BOSH login through the same URL is CONNECTED (${second.status}, ${second.pong})`);
  check(n2 >= 0 && n2 !== n1, `it lives on the other node (node ${n2 + 1})`);

  const methods = new Set(readFileSync(join(state, 'access.log'), 'utf8').split('\n').filter(Boolean)
    .map((l) => /"([A-Z]+) /.exec(l)?.[1]));
  check(!methods.has('OPTIONS') && methods.has('POST'), `same origin: no preflight at nginx (methods ${[...methods].join(', ')})`);
  const upgrades = readFileSync(join(state, 'access.log'), 'utf8').split('\n').filter((l) => l.includes('"GET /xmpp-websocket')).map((l) => / (\d{3}) /.exec(l)?.[1]);
  check(upgrades.length >= 2 && upgrades.every((c) => c === '101'), `the WebSocket upgrades went through nginx (statuses ${upgrades.join(', ')})`);
} catch (e) {
  failed++;
  console.log(`FAIL ${e?.stack ?? e}`);
} finally {
  await browser.close();
  if (nginx && nginx.exitCode === null) {
    nginx.kill('SIGQUIT');
    await new Promise((r) => nginx.once('exit', r));
  }
  for (const dir of nodes) prosody('stop', dir);
}
console.log(failed ? `nginx.test: ${failed} failed` : 'nginx.test: all passed');
process.exit(failed ? 1 : 0);
