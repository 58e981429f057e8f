// XEP-0156 discovery (js/discover.js) in Debian's headless Chromium, driven by playwright-core.
//
//   node tests/js/discover.test.mjs                    (part 1 only: no XMPP server needed)
//   HTTP_ORIGIN=… BOSH_URL=… [WS_URL=…] node tests/js/discover.test.mjs
//
// Part 1: a local Node server (this file) serves the package (pkg/) and, at
// /.well-known/host-meta.json and /.well-known/host-meta, whatever each case sets: both formats
// alone and together (the JSON file's links first, duplicates once), links of other rels, of the
// wrong type or scheme ignored, bad files (not JSON, not XML, wrong shape, > 64 KiB with and
// without a Content-Length, no links, HTTP 404, the connection dropped, no answer at all): a
// ConnectionError `discovery-failed` naming each file's fault, within the timeout. The scheme
// rule: a loopback domain (`localhost:PORT`) is read over http, cross-origin; the `origin` option
// reads another origin. Argument checks. `new Connection({ domain })` whose discovery fails:
// connect() rejects and the callback sees CONNFAIL.
// Part 2 (with HTTP_ORIGIN, as scripts/test.sh runs it): scripts/demo-server.mjs in front of the
// test Prosody publishes its /xmpp-websocket and /http-bind in host-meta; the page finds both with
// `Connection.discover(location.host)`; with WS_URL (Prosody started with PROSODY_WS=1) a raw
// RFC 7395 <open/> through the demo server's /xmpp-websocket is answered with <open/> and
// features; `new Connection({ domain: location.host })` logs in as alice (a handler added before
// connect(), before discovery, sees the answer of a ping sent after); after a reload, restore() on
// a new `{ domain }` connection continues the session, and a stored session whose service URL is
// unusable is refused with a SessionError (bad-snapshot).
// Exits non-zero on failure; always closes the browser and the servers.
import { chromium } from 'playwright-core';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './harness.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PKG = join(ROOT, 'pkg');
const SITE = resolve(ROOT, process.env.WWW_SITE || '.state/test/site');
const WS = 'urn:xmpp:alt-connections:websocket';
const BOSH = 'urn:xmpp:alt-connections:xbosh';

let passed = 0;
let failed = 0;
const seen = [];
async function check(what, fn) {
  try {
    const detail = await fn();
    passed++;
    console.log(`ok   ${detail ? `${what}: ${detail}` : what}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${what}: ${err?.message?.split('\n')[0] ?? err}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// ---- the host-meta server of part 1 ----
/** What /.well-known/host-meta(.json) answer: { status, body, type, length, drop, hang } or undefined (404). */
const files = { json: undefined, xml: undefined };
const hits = [];
const hung = new Set();
const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><title>discover</title>');
    return;
  }
  if (path.startsWith('/pkg/')) {
    const file = join(PKG, path.slice(5));
    if (!file.startsWith(PKG) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const type = { '.js': 'text/javascript', '.wasm': 'application/wasm' }[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type });
    createReadStream(file).pipe(res);
    return;
  }
  const kind = path === '/.well-known/host-meta.json' ? 'json' : path === '/.well-known/host-meta' ? 'xml' : null;
  if (!kind) {
    res.writeHead(404).end();
    return;
  }
  hits.push(`${req.headers.host} ${path}`);
  const f = files[kind];
  const cors = { 'access-control-allow-origin': '*' };
  if (!f) {
    res.writeHead(404, cors).end('not found');
    return;
  }
  if (f.hang) {
    hung.add(res);
    return;
  }
  if (f.drop) {
    req.socket.destroy();
    return;
  }
  const body = Buffer.from(f.body);
  const headers = { ...cors, 'content-type': kind === 'json' ? 'application/json' : 'application/xrd+xml' };
  if (f.length !== false) headers['content-length'] = body.length;
  res.writeHead(f.status ?? 200, headers);
  if (f.length === false) {
    // chunked: in pieces, so the size limit must stop the reading, not a header
    for (let i = 0; i < body.length; i += 16384) res.write(body.subarray(i, i + 16384));
    res.end();
  } else res.end(body);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const PORT = server.address().port;
const ORIGIN = `http://127.0.0.1:${PORT}`;

const jrd = (links) => JSON.stringify({ subject: 'x', links });
const xrd = (links) => `<?xml version='1.0'?><XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>${links.map(([r, h]) => `<Link rel='${r}' href='${h}'/>`).join('')}</XRD>`;

const browser = await launchChromium(chromium);
let demo;
try {
  const page = await browser.newPage();
  page.on('console', (m) => seen.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  await page.goto(`${ORIGIN}/`);
  await page.evaluate(async () => {
    const m = await import('/pkg/xmpp_wasm.js');
    await m.default();
    window.X = m;
  });
  /** Connection.discover(domain, options) in the page: { ok } or { error: { name, condition, message, reasons } }. */
  const discover = (domain, options) => page.evaluate(async ([d, o]) => {
    try {
      return { ok: await window.X.Connection.discover(d, o) };
    } catch (e) {
      return { error: { name: e.name, cls: e instanceof window.X.ConnectionError, condition: e.condition, message: e.message, reasons: e.reasons } };
    }
  }, [domain, options]);
  const HOST = `127.0.0.1:${PORT}`;
  const failedWith = (r, ...parts) => {
    assert(r.error, `expected a failure, got ${JSON.stringify(r.ok)}`);
    assert(r.error.cls && r.error.name === 'ConnectionError' && r.error.condition === 'discovery-failed', `expected ConnectionError discovery-failed, got ${JSON.stringify(r.error)}`);
    for (const p of parts) assert(r.error.message.includes(p), `message ${JSON.stringify(r.error.message)} lacks ${JSON.stringify(p)}`);
    return r.error.message;
  };

  await check('host-meta.json alone: WebSocket and BOSH links in order; other rels, non-strings, wrong schemes and duplicates left out', async () => {
    files.json = { body: jrd([
      { rel: 'lrdd', href: 'http://x/lrdd' },
      { rel: BOSH, href: 'http://b1.example/http-bind' },
      { rel: WS, href: 'ws://w1.example/xmpp-websocket' },
      { rel: WS, href: 42 },
      'junk',
      null,
      { rel: WS, href: 'http://not-a-websocket.example/' },
      { rel: BOSH, href: 'wss://not-bosh.example/' },
      { rel: BOSH, href: '/relative' },
      { rel: WS, href: 'wss://w2.example/ws' },
      { rel: BOSH, href: 'http://b1.example/http-bind' },
    ]) };
    files.xml = undefined;
    const r = await discover(HOST);
    assert(same(r.ok, { websocket: ['ws://w1.example/xmpp-websocket', 'wss://w2.example/ws'], bosh: ['http://b1.example/http-bind'] }), JSON.stringify(r));
    return JSON.stringify(r.ok);
  });

  await check('host-meta (XRD) alone', async () => {
    files.json = undefined;
    files.xml = { body: xrd([[BOSH, 'https://b.example/http-bind'], ['lrdd', 'x'], [WS, 'wss://w.example/xmpp-websocket']]) };
    const r = await discover(HOST);
    assert(same(r.ok, { websocket: ['wss://w.example/xmpp-websocket'], bosh: ['https://b.example/http-bind'] }), JSON.stringify(r));
  });

  await check('both: the JSON file\'s links first, then the XML file\'s, each URL once', async () => {
    files.json = { body: jrd([{ rel: WS, href: 'ws://json.example/ws' }, { rel: BOSH, href: 'http://both.example/bosh' }]) };
    files.xml = { body: xrd([[WS, 'ws://xml.example/ws'], [BOSH, 'http://both.example/bosh'], [BOSH, 'http://xml.example/bosh']]) };
    const r = await discover(HOST);
    assert(same(r.ok, { websocket: ['ws://json.example/ws', 'ws://xml.example/ws'], bosh: ['http://both.example/bosh', 'http://xml.example/bosh'] }), JSON.stringify(r));
  });

  await check('a bad JSON file does not hide a good XML one', async () => {
    files.json = { body: '{"links": [' };
    files.xml = { body: xrd([[BOSH, 'http://b.example/bosh']]) };
    const r = await discover(HOST);
    assert(same(r.ok, { websocket: [], bosh: ['http://b.example/bosh'] }), JSON.stringify(r));
  });

  await check('neither parses: ConnectionError discovery-failed naming both faults', async () => {
    files.json = { body: 'not json' };
    files.xml = { body: '<XRD><Link' };
    return failedWith(await discover(HOST), 'host-meta.json: not JSON', 'host-meta: not well-formed XML');
  });

  await check('wrong shapes: a JSON array, "links" not an array, an XML root that is not XRD', async () => {
    files.json = { body: '[1,2]' };
    files.xml = { body: '<html/>' };
    failedWith(await discover(HOST), 'not a JSON object', 'not an XRD document');
    files.json = { body: '{"links": {"rel": "x"}}' };
    failedWith(await discover(HOST), '"links" is not an array');
  });

  await check('no links (empty, or none of a connection rel): an error, not an empty answer', async () => {
    files.json = { body: jrd([]) };
    files.xml = { body: xrd([['lrdd', 'http://x/']]) };
    return failedWith(await discover(HOST), 'host-meta.json: no usable', 'host-meta: no usable');
  });

  await check('huge files (> 64 KiB), with and without a Content-Length: refused at the limit while reading', async () => {
    const big = jrd([{ rel: BOSH, href: 'http://b.example/bosh' }, { rel: 'pad', href: 'x'.repeat(70000) }]);
    files.json = { body: big };
    files.xml = { body: `${xrd([[BOSH, 'http://b.example/bosh']]).slice(0, -6)}<pad>${'x'.repeat(70000)}</pad></XRD>`, length: false };
    return failedWith(await discover(HOST), 'host-meta.json: larger than 65536 bytes', 'host-meta: larger than 65536 bytes');
  });

  await check('HTTP 404 and a dropped connection', async () => {
    files.json = undefined;
    files.xml = { drop: true };
    return failedWith(await discover(HOST), 'host-meta.json: HTTP 404', 'host-meta: unreachable');
  });

  await check('a server that never answers: rejected at the timeout, no hang', async () => {
    files.json = { hang: true };
    files.xml = { hang: true };
    const t = Date.now();
    const msg = failedWith(await discover(HOST, { timeout: 300 }), 'host-meta.json: timed out', 'host-meta: timed out');
    const ms = Date.now() - t;
    assert(ms < 5000, `took ${ms} ms`);
    for (const r of hung) r.destroy();
    hung.clear();
    return msg;
  });

  await check('scheme rule: a loopback domain (localhost:PORT) is read over http, cross-origin; `origin` reads elsewhere', async () => {
    files.json = { body: jrd([{ rel: BOSH, href: 'http://b.example/bosh' }]) };
    files.xml = undefined;
    hits.length = 0;
    const r = await discover(`localhost:${PORT}`);
    assert(same(r.ok, { websocket: [], bosh: ['http://b.example/bosh'] }), JSON.stringify(r));
    assert(hits.includes(`localhost:${PORT} /.well-known/host-meta.json`), `hits: ${hits}`);
    hits.length = 0;
    const o = await discover('example.com', { origin: ORIGIN });
    assert(same(o.ok, r.ok), JSON.stringify(o));
    assert(hits.includes(`${HOST} /.well-known/host-meta.json`), `hits: ${hits}`);
  });

  await check('argument checks: TypeError for a wrong type, RangeError for a wrong value, before any request', async () => {
    const r = await page.evaluate(() => {
      const C = window.X.Connection;
      const out = [];
      const t = (f) => {
        try {
          f();
          out.push('no error');
        } catch (e) {
          out.push(`${e.name}: ${e.message}`);
        }
      };
      const p = (f) => f().then(() => 'no error', (e) => `${e.name}: ${e.message}`);
      t(() => new C({ domain: 42 }));
      t(() => new C({ domain: 'a/b' }));
      t(() => new C({ domain: 'example.com', port: 1 }));
      t(() => new C({ domain: 'example.com', origin: 'ftp://x' }));
      return Promise.all([...out, p(() => C.discover(42)), p(() => C.discover('user@example.com')), p(() => C.discover('x', { origin: 'nope' })), p(() => C.discover('x', { when: 1 }))]);
    });
    const want = [/^TypeError: new Connection: domain must be a string/, /^RangeError: new Connection: domain must be a domain name/, /^RangeError: new Connection: service\.port is not a member/,
      /^RangeError: new Connection: options\.origin must be an http\(s\) origin/, /^TypeError: Connection\.discover: domain must be a string/,
      /^RangeError: Connection\.discover: domain must be a domain name/, /^RangeError: Connection\.discover: options\.origin/, /^RangeError: Connection\.discover: options\.when is not an option/];
    want.forEach((w, i) => assert(w.test(r[i]), `#${i}: ${r[i]}`));
  });

  await check('new Connection({ domain }) whose discovery fails: connect() rejects (discovery-failed), the callback sees CONNFAIL', async () => {
    files.json = undefined;
    files.xml = undefined;
    const r = await page.evaluate(async (host) => {
      const { Connection, Status } = window.X;
      const c = new Connection({ domain: host });
      const statuses = [];
      const service = c.service;
      try {
        await c.connect('alice@localhost', 'x', (s, cond) => statuses.push([Status[s], cond]));
        return { service, statuses, error: null };
      } catch (e) {
        return { service, statuses, error: [e.name, e.condition] };
      }
    }, HOST);
    assert(r.service === '', `service before discovery: ${JSON.stringify(r.service)}`);
    assert(same(r.error, ['ConnectionError', 'discovery-failed']), JSON.stringify(r));
    assert(same(r.statuses, [['CONNFAIL', 'discovery-failed']]), JSON.stringify(r.statuses));
  });

  // ---- part 2: the test Prosody behind scripts/demo-server.mjs ----
  if (!process.env.HTTP_ORIGIN) {
    console.log('skip part 2 (login through { domain }): HTTP_ORIGIN is not set (source .state/test/env from scripts/prosody.sh)');
  } else {
    const bosh = process.env.BOSH_URL || `${process.env.HTTP_ORIGIN}/http-bind`;
    // Without a WebSocket-enabled Prosody (WS_URL) the endpoint is still published (and would fail).
    const websocket = process.env.WS_URL || 'ws://127.0.0.1:9/xmpp-websocket';
    demo = await startDemoServer({ site: SITE, bosh, websocket });
    const host = new URL(demo.origin).host;
    const p2 = await browser.newPage();
    p2.on('console', (m) => seen.push(`[p2] console.${m.type()}: ${m.text()}`));
    p2.on('pageerror', (e) => seen.push(`[p2] pageerror: ${e.message}`));
    await p2.goto(`${demo.origin}/__test/elsewhere.html`);
    const load = () => p2.evaluate(async () => {
      const m = await import('/pkg/xmpp_wasm.js');
      await m.default();
      window.X = m;
    });
    await load();

    await check('Connection.discover(location.host) finds the demo server\'s WebSocket and BOSH endpoints', async () => {
      const r = await p2.evaluate((h) => window.X.Connection.discover(h), host);
      assert(same(r, { websocket: [`ws://${host}/xmpp-websocket`], bosh: [`http://${host}/http-bind`] }), JSON.stringify(r));
      return JSON.stringify(r);
    });

    if (process.env.WS_URL) {
      await check('the demo server forwards /xmpp-websocket to Prosody: an RFC 7395 <open/> is answered', async () => {
        const r = await p2.evaluate((h) => new Promise((res) => {
          const ws = new WebSocket(`ws://${h}/xmpp-websocket`, 'xmpp');
          const got = [];
          const t = setTimeout(() => res({ protocol: ws.protocol, got, timeout: true }), 5000);
          ws.onopen = () => ws.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
          ws.onmessage = (e) => {
            got.push(e.data);
            if (got.length === 2) {
              clearTimeout(t);
              ws.close();
              res({ protocol: ws.protocol, got });
            }
          };
          ws.onerror = () => res({ error: true, got });
        }), host);
        assert(r.protocol === 'xmpp' && /^<open [^>]*urn:ietf:params:xml:ns:xmpp-framing/.test(r.got[0] ?? '') && /<stream:features|<features/.test(r.got[1] ?? ''), JSON.stringify(r));
      });
    }

    await check('new Connection({ domain }) logs in to Prosody; a handler added before discovery works after it', async () => {
      const r = await p2.evaluate(async (h) => {
        const { Connection, Status, $iq } = window.X;
        const c = new Connection({ domain: h }, { keepalive: true });
        window.conn = c;
        let pong = null;
        const ref = c.addHandler((iq) => {
          pong = iq.getAttribute('type');
          return false;
        }, null, 'iq', 'result', 'disc-ping');
        const statuses = [];
        await c.connect('alice@localhost', 'alice-pass', (s) => statuses.push(Status[s]));
        c.send($iq({ type: 'get', id: 'disc-ping' }).c('ping', { xmlns: 'urn:xmpp:ping' }));
        for (let i = 0; i < 200 && !pong; i++) await new Promise((res) => setTimeout(res, 25));
        return { statuses, jid: c.jid, service: c.service, transport: c.transport ?? null, pong, ref, deleted: c.deleteHandler(ref) };
      }, host);
      assert(r.statuses.at(-1) === 'CONNECTED', JSON.stringify(r));
      assert(r.jid.startsWith('alice@localhost/'), r.jid);
      assert(r.pong === 'result', `the handler added before connect() saw ${r.pong}`);
      assert(r.deleted === false, 'the one-shot handler was still registered');
      // MERGE(wsshell): with the WebSocket driver and a WebSocket Prosody (WS_URL), the list puts
      // WebSocket first: expect transport 'websocket' and the ws: service then.
      if (r.transport === 'websocket') assert(r.service === `ws://${host}/xmpp-websocket`, r.service);
      else assert(r.service === `http://${host}/http-bind` && (r.transport ?? 'bosh') === 'bosh', JSON.stringify(r));
      return `${r.jid} via ${r.service}`;
    });

    await check('after a reload, restore() on a new { domain } connection continues the session (no discovery needed)', async () => {
      const jid = await p2.evaluate(() => window.conn.jid);
      await p2.reload();
      await load();
      const r = await p2.evaluate(async (h) => {
        const { Connection, Status, $iq } = window.X;
        const c = new Connection({ domain: h }, { keepalive: true });
        const statuses = [];
        await c.restore(undefined, (s) => statuses.push(Status[s]));
        const answer = await c.sendIQAsync($iq({ type: 'get' }).c('ping', { xmlns: 'urn:xmpp:ping' }), 10000);
        const out = { statuses, jid: c.jid, service: c.service, answer: answer.getAttribute('type') };
        const stored = sessionStorage.getItem('xmpp-wasm:session');
        await c.disconnect();
        // A stored session whose service is not a usable URL: a SessionError, not a TypeError.
        const v = JSON.parse(stored);
        v.released = true;
        v.session.url = 'ftp://elsewhere.example/';
        sessionStorage.setItem('xmpp-wasm:session', JSON.stringify(v));
        try {
          new Connection({ domain: h }, { keepalive: true }).restore();
          out.tampered = 'no error';
        } catch (e) {
          out.tampered = `${e.name} ${e.reason}`;
        }
        sessionStorage.removeItem('xmpp-wasm:session');
        return out;
      }, host);
      assert(r.statuses.includes('ATTACHED') && r.jid === jid && r.answer === 'result', JSON.stringify(r));
      assert(r.tampered === 'SessionError bad-snapshot', `a stored session with an ftp: service: ${r.tampered}`);
      return `${r.jid} on ${r.service}`;
    });
  }
} finally {
  for (const r of hung) r.destroy();
  await browser.close();
  await demo?.close();
  server.closeAllConnections?.();
  server.close();
}
if (failed) console.log(seen.slice(-30).join('\n'));
console.log(`discover: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
