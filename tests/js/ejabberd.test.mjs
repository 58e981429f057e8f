// SCRAM-SHA-256 and SCRAM-SHA-512 logins against a real ejabberd (scripts/ejabberd.sh: host
// sha256.localhost stores SCRAM-SHA-256 credentials, sha512.localhost SCRAM-SHA-512), in
// Debian's headless Chromium driven by playwright-core:
//
// 1. on each host, a login restricted to its mechanism (the `mechanisms` option) reaches
//    CONNECTED, conn.mechanism names it, the <auth/> sent names it, a message to ourselves
//    comes back, disconnect() resolves;
// 2. on each host, a login with the default mechanism list picks that SCRAM over PLAIN;
// 3. on each host, a wrong password is rejected with AUTHFAIL;
// 4. the other host's mechanism, not offered, fails the login (not CONNECTED).
//
// The page and /pkg/ (the built package, default <repo>/pkg) are served by a tiny HTTP server
// on 127.0.0.1 started here, so BOSH is cross-origin: ejabberd's mod_bosh answers with
// Access-Control-Allow-Origin: *. (A page whose address space Chromium does not know, such as
// one fulfilled by Playwright's page.route, may not fetch loopback at all.)
//
//   . .state/ejabberd/env && EJABBERD_BOSH_URL=$EJABBERD_BOSH_URL node tests/js/ejabberd.test.mjs
//   (env: EJABBERD_BOSH_URL, optional EJABBERD_SHA256_DOMAIN, EJABBERD_SHA512_DOMAIN, PKG_DIR,
//   CHROMIUM)
import { chromium } from 'playwright-core';
import { launchChromium } from './harness.mjs';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BOSH_URL = process.env.EJABBERD_BOSH_URL;
const SHA256_DOMAIN = process.env.EJABBERD_SHA256_DOMAIN || 'sha256.localhost';
const SHA512_DOMAIN = process.env.EJABBERD_SHA512_DOMAIN || 'sha512.localhost';
const PKG_DIR = path.resolve(process.env.PKG_DIR
  || path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'pkg'));
if (!BOSH_URL) {
  console.error('ejabberd.test: EJABBERD_BOSH_URL is not set (source <statedir>/env of scripts/ejabberd.sh)');
  process.exit(2);
}
let failed = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failed++;
}

// The test page: an empty document at / and the package at /pkg/.
const TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.ts': 'text/plain' };
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/' || url.pathname === '/index.html') {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      .end('<!doctype html><meta charset="utf-8"><title>xmpp-wasm ejabberd test</title>');
    return;
  }
  if (url.pathname === '/favicon.ico') {
    res.writeHead(204).end();
    return;
  }
  const rel = url.pathname.startsWith('/pkg/') ? decodeURIComponent(url.pathname.slice(5)) : null;
  if (rel && !rel.includes('..') && !rel.includes('/')) {
    try {
      const body = await readFile(path.join(PKG_DIR, rel));
      res.writeHead(200, { 'Content-Type': TYPES[path.extname(rel)] || 'application/octet-stream', 'Cache-Control': 'no-store' })
        .end(body);
      return;
    } catch { /* 404 below */ }
  }
  res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const ORIGIN = `http://127.0.0.1:${server.address().port}`;

const browser = await launchChromium(chromium);

// In the page: log in, report mechanism and status, optionally echo a message to ourselves.
async function login(page, { domain, mechanisms, password = 'alice-pass', echo = false, resource = 'scram' }) {
  return page.evaluate(async ({ url, domain, mechanisms, password, echo, resource }) => {
    const { default: init, Connection } = await import('/pkg/xmpp_wasm.js');
    await init();
    const conn = new Connection(url, mechanisms ? { mechanisms } : undefined);
    const outs = [];
    const statuses = [];
    conn.rawOutput = (b) => outs.push(b);
    const r = { mechanism: null, statuses, error: null, jid: null, echoed: null, disconnected: null };
    const t0 = performance.now();
    try {
      r.status = await conn.connect(`alice@${domain}/${resource}`, password, (s) => {
        statuses.push(s);
        if (s === 5) r.atConnected = outs.length; // the callback runs before the drain's requests leave
      });
    } catch (e) {
      r.error = { name: e.name, message: e.message, status: e.status, condition: e.condition };
    }
    r.ms = performance.now() - t0;
    r.mechanism = conn.mechanism ?? null;
    r.auth = (outs.join('').match(/<auth [^>]*mechanism=['"]([^'"]+)['"]/) || [])[1] ?? null;
    if (r.error) return r;
    r.jid = conn.jid;
    if (echo) {
      const token = `echo-${Math.random().toString(36).slice(2)}`;
      const got = [];
      conn.addHandler((m) => { got.push(m.textContent); return true; }, null, 'message');
      conn.send(`<message to='${conn.jid}' type='chat'><body>${token}</body></message>`);
      const t1 = performance.now();
      while (!got.some((t) => t.includes(token)) && performance.now() - t1 < 10000) {
        await new Promise((res) => setTimeout(res, 20));
      }
      r.echoed = got.some((t) => t.includes(token));
      // Sent in the reaction to CONNECTED: it rides in the first request after the login, alone on
      // the wire (the long poll waits one task), so it cannot overtake a poll (ejabberd would hold
      // it until that poll is answered with payloads).
      r.firstAfterLogin = outs.length > r.atConnected && outs[r.atConnected].includes(token);
    }
    await Promise.race([conn.disconnect(), new Promise((res) => setTimeout(res, 10000))]);
    r.disconnected = !conn.connected && conn.status === 6;   // Status.DISCONNECTED
    return r;
  }, { url: BOSH_URL, domain, mechanisms, password, echo, resource });
}

try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log(`  [console] ${m.text()}`); });
  page.on('pageerror', (e) => console.log(`  [pageerror] ${e.message}`));
  await page.goto(`${ORIGIN}/index.html`);
  console.log(`page ${ORIGIN}, BOSH ${BOSH_URL}`);

  const hosts = [['SCRAM-SHA-256', SHA256_DOMAIN], ['SCRAM-SHA-512', SHA512_DOMAIN]];
  for (const [mech, domain] of hosts) {
    // 1. restricted to the host's mechanism.
    const r = await login(page, { domain, mechanisms: [mech], echo: true });
    check(!r.error && r.status === 5,
      `${mech} on ${domain}: CONNECTED${r.error ? ` (got ${r.error.message})` : ''}, ${r.ms.toFixed(0)} ms`);
    check(r.mechanism === mech, `${mech} on ${domain}: conn.mechanism = ${r.mechanism}`);
    check(r.auth === mech, `${mech} on ${domain}: <auth mechanism='${r.auth}'> sent`);
    check(typeof r.jid === 'string' && r.jid.startsWith(`alice@${domain}/`), `${mech} on ${domain}: bound ${r.jid}`);
    check(r.echoed === true, `${mech} on ${domain}: a message to ourselves came back`);
    check(r.firstAfterLogin === true, `${mech} on ${domain}: the message sent on CONNECTED left in the first request after the login`);
    check(r.disconnected === true, `${mech} on ${domain}: disconnect() resolved, status DISCONNECTED`);

    // 2. default mechanism list: the SCRAM is preferred over PLAIN.
    const d = await login(page, { domain, resource: 'default' });
    check(!d.error && d.mechanism === mech,
      `default mechanisms on ${domain}: ${d.error ? d.error.message : `logged in with ${d.mechanism}`}`);

    // 3. wrong password.
    const w = await login(page, { domain, mechanisms: [mech], password: 'not-alice-pass', resource: 'wrong' });
    check(w.error?.status === 4 && w.statuses.includes(4),
      `${mech} on ${domain}, wrong password: AUTHFAIL (${w.error ? `${w.error.message}` : 'logged in!'})`);
  }

  // 4. a mechanism the host does not offer.
  const n = await login(page, { domain: SHA256_DOMAIN, mechanisms: ['SCRAM-SHA-512'], resource: 'not-offered' });
  check(!!n.error && n.auth === null,
    `SCRAM-SHA-512 on ${SHA256_DOMAIN} (not offered): no <auth/> sent, login fails (${n.error ? n.error.message : 'logged in!'})`);
} catch (e) {
  failed++;
  console.log(`FAIL ${e?.stack ?? e}`);
} finally {
  await browser.close();
  server.close();
  server.closeAllConnections?.();
}
console.log(failed ? `ejabberd.test: ${failed} failed` : 'ejabberd.test: all passed');
process.exit(failed ? 1 : 0);
