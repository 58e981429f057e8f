// Proxied BOSH ("Don't Cross The Domains": a BOSH service is just a URL; a web server proxies
// it, balances it and fails it over): Debian's nginx serves the page and proxies /http-bind on
// the same origin — no CORS at all, no preflight — to two Prosody nodes serving the same domain
// (users registered on each). nginx keeps a client on one node (ip_hash: the BOSH session lives
// there) and moves a request to the other node when the first cannot be reached
// (proxy_next_upstream error/timeout/502/503).
//
// 1. a login through nginx: CONNECTED, a message to herself comes back, a ping is answered;
//    the session lives on one node (its sid is in that node's log only);
// 2. that node is stopped: a new login through the same URL lands on the other node;
// 3. nginx's access log shows only GETs and POSTs: nothing cross-origin happened.
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
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PROSODY_LOG_LEVEL: 'info' } });
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
  upstream bosh {
    ip_hash;
    server 127.0.0.1:${ports[0]} max_fails=1 fail_timeout=30s;
    server 127.0.0.1:${ports[1]} max_fails=1 fail_timeout=30s;
  }
  server {
    listen 127.0.0.1:${port};
    root ${state}/site;
    location /http-bind {
      proxy_pass http://bosh;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 90s;
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
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

  prosody('stop', nodes[n1]);
  const second = await login('nginx-2');
  const n2 = nodeOf(second.sid);
  check(second.status === 5 && second.pong === 'result' && second.got[0] === 'via nginx',
    `node ${n1 + 1} stopped: a new login through the same URL is CONNECTED (${second.status}, ${second.pong})`);
  check(n2 >= 0 && n2 !== n1, `it lives on the other node (node ${n2 + 1})`);

  const methods = new Set(readFileSync(join(state, 'access.log'), 'utf8').split('\n').filter(Boolean)
    .map((l) => /"([A-Z]+) /.exec(l)?.[1]));
  check(!methods.has('OPTIONS') && methods.has('POST'), `same origin: no preflight at nginx (methods ${[...methods].join(', ')})`);
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
