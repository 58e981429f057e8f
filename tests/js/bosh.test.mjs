// BOSH transport, end to end in Debian's headless Chromium against the local
// Prosody, driven by playwright-core:
//
// 1. pause/resume: ten stanzas sent while paused leave in one request after
//    resume(), and nothing leaves while paused.
// 2. a response delayed past 1.1 × wait (a loopback proxy holds it back) is
//    resent with the same rid and byte-identical body; the stanza is
//    delivered exactly once and the session goes on.
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT BOSH_URL=$HTTP_ORIGIN/http-bind node tests/js/bosh.test.mjs
import { chromium } from 'playwright-core';
import { launchChromium } from './harness.mjs';
import http from 'node:http';

const ORIGIN = process.env.HTTP_ORIGIN;
const BOSH_URL = process.env.BOSH_URL || `${ORIGIN}/http-bind`;
if (!ORIGIN) {
  console.error('bosh.test: HTTP_ORIGIN is not set');
  process.exit(2);
}
let failed = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failed++;
}

// A loopback proxy in front of Prosody's BOSH. The first request whose body
// contains DELAY-ME is forwarded at once, but its response is held back
// for DELAY_MS, longer than the client's request timeout.
const DELAY_MS = 9000;
const seen = [];
let delayed = false;
const proxy = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    const cors = {
      'Access-Control-Allow-Origin': req.headers.origin || '*',
      'Access-Control-Allow-Headers': 'Content-Type',
      'Access-Control-Allow-Methods': 'POST, OPTIONS',
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    const text = body.toString();
    seen.push(text);
    const hold = !delayed && text.includes('DELAY-ME');
    if (hold) delayed = true;
    try {
      const upstream = await fetch(BOSH_URL, {
        method: 'POST', body, headers: { 'Content-Type': req.headers['content-type'] || 'text/xml' },
      });
      const answer = await upstream.text();
      if (hold) await new Promise((r) => setTimeout(r, DELAY_MS));
      if (!res.destroyed) res.writeHead(upstream.status, { ...cors, 'Content-Type': 'text/xml' }).end(answer);
    } catch {
      if (!res.destroyed) res.writeHead(502, cors).end();
    }
  });
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const proxyUrl = `http://127.0.0.1:${proxy.address().port}/http-bind`;

const browser = await launchChromium(chromium);
try {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log(`  [console] ${m.text()}`); });
  await page.goto(`${ORIGIN}/index.html`);

  // 1. pause / resume.
  const r1 = await page.evaluate(async () => {
    const { default: init, Connection } = await import('/pkg/xmpp_wasm.js');
    await init();
    const conn = new Connection('/http-bind');
    const outs = [];
    conn.rawOutput = (b) => outs.push(b);
    await conn.connect('alice@localhost/pause', 'alice-pass');
    const got = [];
    conn.addHandler((m) => { got.push(m.textContent); return true; }, null, 'message');
    const jid = conn.jid;
    conn.pause();
    const paused = conn.paused;
    const before = outs.length;
    for (let i = 1; i <= 10; i++) conn.send(`<message to='${jid}' type='chat'><body>P${i}</body></message>`);
    await new Promise((r) => setTimeout(r, 500));
    const whilePaused = outs.length - before;
    conn.resume();
    const t0 = performance.now();
    while (got.length < 10 && performance.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 20));
    const withMessages = outs.slice(before).filter((b) => b.includes('<message'));
    await conn.disconnect();
    return { paused, whilePaused, got: got.length, bodies: withMessages.length, inFirst: (withMessages[0].match(/<message/g) || []).length };
  });
  check(r1.paused === true, 'paused is readable');
  check(r1.whilePaused === 0, `nothing left while paused (${r1.whilePaused} bodies)`);
  check(r1.bodies === 1 && r1.inFirst === 10, `after resume, the ten stanzas left in one request (${r1.bodies} body, ${r1.inFirst} stanzas)`);
  check(r1.got === 10, `all ten came back (${r1.got})`);

  // 2. a response delayed past the request timeout.
  const r2 = await page.evaluate(async (url) => {
    const { default: init, Connection } = await import('/pkg/xmpp_wasm.js');
    await init();
    const conn = new Connection(url, { wait: 2 });
    const outs = [];
    conn.rawOutput = (b) => outs.push(b);
    await conn.connect('alice@localhost/delay', 'alice-pass');
    const got = [];
    conn.addHandler((m) => { got.push(m.textContent); return true; }, null, 'message');
    const t0 = performance.now();
    conn.send(`<message to='${conn.jid}' type='chat'><body>DELAY-ME</body></message>`);
    while (got.length < 1 && performance.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 20));
    const ms = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 1000));
    const pong = await conn.sendIQAsync("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", 10000);
    await conn.disconnect();
    return { got, ms, outs: outs.filter((b) => b.includes('DELAY-ME')), pong: pong.getAttribute('type') };
  }, proxyUrl);
  const atProxy = seen.filter((b) => b.includes('DELAY-ME'));
  const rid = (b) => /rid='(\d+)'/.exec(b)?.[1];
  check(atProxy.length === 2 && atProxy[0] === atProxy[1],
    `the delayed request was resent byte for byte (${atProxy.length} copies at the proxy, rid ${atProxy.map(rid).join(', ')})`);
  check(r2.outs.length === 2 && r2.outs[0] === r2.outs[1], 'the page sent the same bytes twice');
  check(r2.got.length === 1, `the stanza arrived exactly once (${r2.got.length}), after ${(r2.ms / 1000).toFixed(1)} s`);
  check(r2.pong === 'result', 'the session goes on: ping answered');
} catch (e) {
  failed++;
  console.log(`FAIL ${e?.message ?? e}`);
} finally {
  await browser.close();
  proxy.close();
  proxy.closeAllConnections?.();
}
console.log(failed ? `bosh.test: ${failed} failed` : 'bosh.test: all passed');
process.exit(failed ? 1 : 0);
