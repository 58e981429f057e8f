// WebSocket (RFC 7395) end to end: the built package in Debian's headless Chromium against real
// servers, driven by playwright-core.
//
//   node tests/js/websocket.test.mjs
//       starts two throw-away Prosodys itself (scripts/prosody.sh with PROSODY_WS=1: WebSocket +
//       mod_smacks, and PROSODY_WS=sasl2: also mod_sasl2 + mod_sasl2_bind2), pages on their origin
//   WS_SERVER=ejabberd EJABBERD_WS_URL=ws://… HTTP_ORIGIN=http://… node tests/js/websocket.test.mjs
//       against ejabberd 23.01 (EJABBERD_WS=1 scripts/ejabberd.sh: ejabberd_http_ws +
//       mod_stream_mgmt; its SCRAM-SHA-256 host), the pages served by the test Prosody
//
// For each server:
// 1. login over WebSocket with PLAIN and with SCRAM (SCRAM-SHA-1 on Prosody, -256 on ejabberd):
//    CONNECTED, conn.transport 'websocket', the mechanism used, an IQ answered; round trips to
//    CONNECTED counted on the frames Chromium saw (CDP Network.webSocketFrameSent/Received, which
//    must be the frames rawOutput/rawInput saw): PLAIN 2 and SCRAM 3 where the server offers SASL2
//    with Bind2, 4 and 5 classically (the Prosody with the modules must offer them, the one without
//    must not). Printed: echo of ECHO_N messages to our own JID with stream management on.
// 1b. the same two logins in firefox-esr over WebDriver (geckodriver; WS_FIREFOX=0 skips them).
// 2. a socket killed mid-stream: alice's WebSocket goes through a TCP proxy here that drops both
//    TCP connections (RST) twice while bob and alice send each other numbered messages: alice
//    goes RECONNECTING → ATTACHED("resumed") each time, and each message arrives exactly once in
//    each direction.
// 2b. a reload while a dropped socket is being resumed (the proxy holds new connections): the
//    snapshot stays stored, the new page restores it, nothing lost or duplicated.
// 3. fallback: a service list whose WebSocket endpoints refuse (a closed port, a path
//    that answers 404) logs in over the BOSH URL after them; conn.transport is 'bosh'.
// 4. zero loss across reloads (WS_SCENARIOS, default "200/20/3,1000/100/20": messages / per second
//    / reloads): bob sends numbered messages while alice's page (keepalive, the default mechanism
//    order: a SCRAM) reloads and restore()s over WebSocket each time; alice receives each exactly
//    once, and bob each of alice's messages sent just before each reload exactly once.
// 5. no password in sessionStorage: every stored value, after the SCRAM login and its reloads and
//    after a PLAIN login and a reload, holds neither the password nor its base64 forms; after PLAIN
//    the reload's restore() is refused with SessionError reason 'no-scram-keys'.
// 6. a duplicated tab (sessionStorage copied) cannot restore the live session: 'session-in-use'.
// 7. printed, not asserted: restore() → first IQ result after a quiet reload (median of 7).
// 8. pagehide/pageshow with persisted (as the back-forward cache fires them, dispatched by hand):
//    the socket closes at pagehide, nothing is read while away, pageshow resumes the stream and
//    bob's message sent meanwhile arrives once.
//
// Known server behaviour (ejabberd 23.01): when a page goes away while the server is writing to its
// socket (bob's messages), ejabberd_http_ws can wait for ever for the socket process's reply
// (route_text/2 has no timeout or monitor), so the c2s process blocks 15 s in send_xml and the
// next page's <resume/> waits for it: the restore then takes ~15 s (a 30 s ping timeout in the
// page allows for it), or ejabberd answers <failed/> ("Session state copying timed out") and the
// zero-loss check fails. Prosody does not do this.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, launchChromium, median, openFirefox, sleep, until } from './harness.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EJABBERD = process.env.WS_SERVER === 'ejabberd';
const SCENARIOS = (process.env.WS_SCENARIOS || '200/20/3,1000/100/20').split(',').map((x) => {
  const [messages, rate, reloads] = x.split('/').map(Number);
  return { messages, rate, reloads };
});
const ECHO_N = Number(process.env.ECHO_N || 2000);
if (EJABBERD && !(process.env.EJABBERD_WS_URL && process.env.HTTP_ORIGIN)) {
  console.error('websocket.test: WS_SERVER=ejabberd needs EJABBERD_WS_URL and HTTP_ORIGIN');
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
const show = (v) => (v.length > 20 ? `${JSON.stringify(v.slice(0, 20))}… (${v.length})` : JSON.stringify(v));

/** A throw-away Prosody with PROSODY_WS=`ws`, serving pkg/ and the test pages. */
function startProsody(ws) {
  const dir = mkdtempSync(join(tmpdir(), `xmpp-wasm-ws-${ws}-`));
  mkdirSync(join(dir, 'site'));
  symlinkSync(join(ROOT, 'pkg'), join(dir, 'site/pkg'));
  symlinkSync(join(ROOT, 'tests/js/pages'), join(dir, 'site/__test'));
  execFileSync(join(ROOT, 'scripts/prosody.sh'), ['start', dir], { env: { PROSODY_LOG_LEVEL: 'info', ...process.env, PROSODY_WS: ws }, stdio: ['ignore', 'ignore', 'inherit'] });
  const env = Object.fromEntries(readFileSync(join(dir, 'env'), 'utf8').split('\n').filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return {
    dir, origin: env.HTTP_ORIGIN, ws: env.WS_URL, bosh: env.BOSH_URL,
    stop() {
      try {
        execFileSync(join(ROOT, 'scripts/prosody.sh'), ['stop', dir], { stdio: 'ignore' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A TCP proxy to `target` (a ws:// URL's host); `drop()` resets every connection through it; while
 * `hold` is set, new connections are accepted and left unanswered (a socket that never opens).
 */
async function proxy(target) {
  const { hostname, port } = new URL(target);
  const pairs = new Set();
  const held = new Set();
  const server = net.createServer((client) => {
    if (px.hold) {
      held.add(client);
      client.on('error', () => {}).on('close', () => held.delete(client));
      return;
    }
    const up = net.connect(Number(port), hostname);
    const pair = [client, up];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      up.destroy();
    };
    client.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    client.pipe(up);
    up.pipe(client);
  });
  const p = await freePort();
  await new Promise((r) => server.listen(p, '127.0.0.1', r));
  const u = new URL(target);
  u.port = String(p);
  const px = {
    hold: false,
    url: u.href,
    drop() {
      const n = pairs.size;
      for (const [a, b] of [...pairs]) {
        a.resetAndDestroy();
        b.resetAndDestroy();
      }
      pairs.clear();
      return n;
    },
    close: () => {
      for (const c of held) c.destroy();
      return new Promise((r) => server.close(r));
    },
  };
  return px;
}

const servers = [];
const browser = await launchChromium(chromium);
const events = [];
try {
  if (EJABBERD) {
    servers.push({ name: 'ejabberd 23.01', origin: process.env.HTTP_ORIGIN, ws: process.env.EJABBERD_WS_URL, bosh: process.env.EJABBERD_BOSH_URL,
      domain: process.env.EJABBERD_SHA256_DOMAIN || 'sha256.localhost', scram: 'SCRAM-SHA-256', sasl2: null });
  } else {
    const classic = startProsody('1');
    servers.push({ name: 'Prosody (classic SASL)', ...classic, domain: 'localhost', scram: 'SCRAM-SHA-1', sasl2: false });
    const sasl2 = startProsody('sasl2');
    servers.push({ name: 'Prosody (SASL2 + Bind2)', ...sasl2, domain: 'localhost', scram: 'SCRAM-SHA-1', sasl2: true });
  }

  async function contextFor(s) {
    const context = await browser.newContext();
    async function open(role, query = {}) {
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      cdp.on('Runtime.bindingCalled', (e) => {
        if (e.name === '__report') events.push({ ...JSON.parse(e.payload), at: Date.now() });
      });
      await cdp.send('Runtime.enable');
      await cdp.send('Runtime.addBinding', { name: '__report' });
      // Every WebSocket frame Chromium sent or received, per socket, in order.
      const sockets = new Map();
      page.frames_ = sockets;
      const frame = (dir) => (e) => {
        if (!sockets.has(e.requestId)) sockets.set(e.requestId, []);
        if (e.response.opcode === 1) sockets.get(e.requestId).push([dir, e.response.payloadData, e.timestamp]);
      };
      cdp.on('Network.webSocketFrameSent', frame('out'));
      cdp.on('Network.webSocketFrameReceived', frame('in'));
      await cdp.send('Network.enable');
      page.on('console', (m) => { if (m.type() === 'error') console.log(`  [${role} console] ${m.text()}`); });
      const q = new URLSearchParams({ role, domain: s.domain, service: JSON.stringify(s.ws), ...query });
      await page.goto(`${s.origin}/__test/websocket.html?${q}`);
      return page;
    }
    return { context, open };
  }
  const readies = (role) => events.filter((e) => e.role === role && e.kind === 'ready');
  const errors = () => events.filter((e) => e.kind === 'error');
  async function ready(role, n) {
    await until(() => readies(role).length >= n || errors().length > 0, 45000, `${role} ready #${n}`);
    if (errors().length) throw new Error(errors()[0].data);
    return readies(role)[n - 1].data;
  }
  /** The in-runs (server answers waited for) before index `at` of a wire log. */
  const roundTrips = (wire, at) => wire.slice(0, at).filter((w, i, a) => w[0] === 'in' && (i === 0 || a[i - 1][0] === 'out')).length;

  for (const s of servers) {
    console.log(`== ${s.name}: ${s.ws}`);
    const tag = `[${s.name}]`;

    // 1. Logins, frames counted.
    {
      const { context, open } = await contextFor(s);
      const page = await open('login');
      await ready('login', readies('login').length + 1);
      for (const mech of ['PLAIN', s.scram]) {
        const before = new Set(page.frames_.keys());
        const r = await page.evaluate(async ({ service, domain, mech }) => {
          const { Connection, Status } = window.lib;
          const conn = new Connection(service, { mechanisms: [mech] });
          const wire = [];
          conn.rawInput = (t) => wire.push(['in', t]);
          conn.rawOutput = (t) => wire.push(['out', t]);
          let at = -1;
          // A bare JID: the server picks the resource (inline Bind2 where offered).
          await conn.connect(`alice@${domain}`, 'alice-pass', (st) => {
            if (st === Status.CONNECTED) at = wire.length;
          });
          const pong = await conn.sendIQAsync(`<iq type='get' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`, 5000);
          const r = { at, wire, mechanism: conn.mechanism, transport: conn.transport, jid: conn.jid, pong: pong.getAttribute('type') };
          window.conn = conn;
          return r;
        }, { service: s.ws, domain: s.domain, mech });
        const features = r.wire.find((w) => w[0] === 'in' && w[1].includes('<stream:features'))?.[1] ?? '';
        const offered = /urn:xmpp:sasl:2/.test(features) && /urn:xmpp:bind:0/.test(features);
        if (s.sasl2 !== null) check(offered === s.sasl2, `${tag} SASL2 with Bind2 ${s.sasl2 ? '' : 'not '}offered`);
        const want = (offered ? 2 : 4) + (mech.startsWith('SCRAM') ? 1 : 0);
        const rt = roundTrips(r.wire, r.at);
        check(r.transport === 'websocket' && r.mechanism === mech && r.pong === 'result' && /\/./.test(r.jid),
          `${tag} ${mech}: CONNECTED over ${r.transport} as ${r.jid} (mechanism ${r.mechanism}), ping answered`);
        // The frames on the network (CDP), in Chromium's order, for this login's socket.
        await sleep(100);
        const ids = [...page.frames_.keys()].filter((k) => !before.has(k));
        const net = ids.length === 1 ? page.frames_.get(ids[0]) : [];
        const seen = r.wire.slice(0, r.at);
        const sameFrames = net.length >= seen.length && seen.every((w, i) => net[i][0] === w[0] && net[i][1] === w[1]);
        check(ids.length === 1 && sameFrames,
          `${tag} ${mech}: the ${seen.length} frames before CONNECTED are the ones Chromium sent and received, in order (one socket: ${ids.length})`);
        const netRt = roundTrips(net, seen.length);
        check(rt === want && netRt === want,
          `${tag} ${mech}: ${rt} round trips to CONNECTED on the wire (CDP: ${netRt}), ${want} expected (${offered ? 'SASL2 + Bind2' : 'classic SASL, restart, bind'})`);
        if (rt !== want) console.log(seen.map(([d, t]) => `    ${d} ${t.slice(0, 100)}`).join('\n'));
        await page.evaluate(() => window.conn.disconnect());
      }
      // Echo with stream management on, printed.
      const echo = await page.evaluate(async ({ service, domain, n }) => {
        const { Connection } = window.lib;
        const conn = new Connection(service);
        await conn.connect(`alice@${domain}/echo`, 'alice-pass');
        const me = conn.jid;
        let got = 0, done;
        const all = new Promise((r) => { done = r; });
        conn.addHandler(() => {
          if (++got === n) done();
          return true;
        }, null, 'message');
        const t0 = performance.now();
        for (let i = 0; i < n; i++) {
          conn.send(`<message to='${me}' type='chat' id='e${i}'><body>${i}</body></message>`);
          if (i % 50 === 49) await new Promise((r) => setTimeout(r, 0));
        }
        await all;
        const ms = performance.now() - t0;
        await conn.disconnect();
        return { ms, mechanism: conn.mechanism };
      }, { service: s.ws, domain: s.domain, n: ECHO_N });
      console.log(`  ${tag} echo of ${ECHO_N} messages to our own JID, stream management on: ${Math.round(ECHO_N / echo.ms * 1000)} msg/s (${echo.ms.toFixed(0)} ms, ${echo.mechanism})`);
      await context.close();
    }

    // 1b. The same logins in firefox-esr (geckodriver), unless WS_FIREFOX=0.
    if (process.env.WS_FIREFOX !== '0') {
      const ff = await openFirefox(`${s.origin}/__test/websocket.html?role=idle`);
      try {
        const r = await ff.evaluate(async ({ ws, domain, mechs }) => {
          while (!window.lib) await new Promise((r) => setTimeout(r, 10));
          const out = [];
          for (const m of mechs) {
            const c = new window.lib.Connection(ws, { mechanisms: [m] });
            await c.connect(`alice@${domain}`, 'alice-pass');
            const pong = await c.sendIQAsync(`<iq type='get' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`, 5000);
            out.push([m, c.mechanism, c.transport, pong.getAttribute('type')]);
            await c.disconnect();
          }
          return out;
        }, { ws: s.ws, domain: s.domain, mechs: ['PLAIN', s.scram] });
        check(r.length === 2 && r.every(([m, used, t, pong]) => m === used && t === 'websocket' && pong === 'result'),
          `${tag} firefox-esr: PLAIN and ${s.scram} logins over WebSocket, ping answered (${JSON.stringify(r)})`);
      } finally {
        await ff.close();
      }
    }

    // 2. A socket killed mid-stream.
    {
      const px = await proxy(s.ws);
      const { context, open } = await contextFor(s);
      const bob = await open('bob');
      await ready('bob', readies('bob').length + 1);
      const page = await open('killed');
      await ready('killed', readies('killed').length + 1);
      const a = await page.evaluate(async ({ service, domain }) => {
        const { Connection } = window.lib;
        const conn = new Connection(service);
        window.k = { conn, got: [], statuses: [] };
        conn.addHandler((m) => {
          window.k.got.push(m.getElementsByTagName('body')[0]?.textContent);
          return true;
        }, null, 'message');
        await conn.connect(`alice@${domain}/killed`, 'alice-pass', (st, c) => window.k.statuses.push([st, c ?? null]));
        return conn.jid;
      }, { service: px.url, domain: s.domain });
      const N = 150, interval = 20;
      const bobFrom = events.length;
      const send = (p, code) => p.evaluate(async ({ to, n, interval, code, via }) => {
        const t0 = performance.now();
        for (let i = 1; i <= n; i++) {
          (via === 'k' ? window.k.conn : window.conn).send(`<message to='${to}' type='chat'><body>${code}${i}</body></message>`);
          const next = t0 + i * interval - performance.now();
          if (next > 0) await new Promise((r) => setTimeout(r, next));
        }
      }, { to: code === 'K' ? `bob@${s.domain}/sender` : a, n: N, interval, code, via: code === 'K' ? 'k' : 'bob' });
      const sending = Promise.all([send(bob, 'B'), send(page, 'K')]);
      const drops = [];
      for (const at of [N * interval / 3, N * interval / 3]) {
        await sleep(at);
        drops.push(px.drop());
      }
      await sending;
      const bobGot = () => events.slice(bobFrom).filter((e) => e.role === 'bob' && e.kind === 'msg' && e.data.startsWith('K')).map((e) => e.data);
      const aliceGot = () => page.evaluate(() => window.k.got.filter((b) => b?.startsWith('B')));
      let ag = [];
      await until(() => bobGot().length >= N, 15000, 'alice\'s messages at bob').catch(() => {});
      const end = Date.now() + 15000;
      while (Date.now() < end && (ag = await aliceGot()).length < N) await sleep(100);
      const tally = (list, code) => {
        const c = new Map();
        for (const m of list) c.set(m, (c.get(m) || 0) + 1);
        const missing = [], dup = [];
        for (let i = 1; i <= N; i++) {
          const k = c.get(`${code}${i}`) || 0;
          if (!k) missing.push(i);
          if (k > 1) dup.push(i);
        }
        return { missing, dup };
      };
      const st = await page.evaluate(() => window.k.statuses);
      const resumed = st.filter(([x, c]) => x === 8 && c === 'resumed').length;
      const reconnecting = st.filter(([x]) => x === 13).length;
      check(drops.every((n) => n >= 1) && reconnecting === 2 && resumed === 2,
        `${tag} killed socket: ${drops.length} drops (${drops.join(', ')} connection(s) reset), RECONNECTING ${reconnecting}×, ATTACHED("resumed") ${resumed}× (statuses ${JSON.stringify(st.map(([x]) => x))})`);
      const inA = tally(ag, 'B'), inB = tally(bobGot(), 'K');
      check(!inA.missing.length && !inA.dup.length,
        `${tag} killed socket: alice received bob's ${N} exactly once (missing ${show(inA.missing)}, duplicated ${show(inA.dup)})`);
      check(!inB.missing.length && !inB.dup.length,
        `${tag} killed socket: bob received alice's ${N} exactly once (missing ${show(inB.missing)}, duplicated ${show(inB.dup)})`);
      await page.evaluate(() => window.k.conn.disconnect());
      await bob.evaluate(() => window.conn.disconnect());
      await context.close();
      await px.close();
    }

    // 2b. A reload while a dropped socket is being resumed: the stored snapshot stays (the core
    // has none while it resumes), the new page restores it, nothing is lost or duplicated.
    {
      const px = await proxy(s.ws);
      const { context, open } = await contextFor(s);
      const base = { alice: readies('alice').length, bob: readies('bob').length };
      const from = events.length;
      const alice = await open('alice', { service: JSON.stringify(px.url) });
      const a1 = await ready('alice', base.alice + 1);
      const bob = await open('bob');
      await ready('bob', base.bob + 1);
      const N = 60;
      const sending = bob.evaluate(async ({ to, n }) => {
        const t0 = performance.now();
        for (let i = 1; i <= n; i++) {
          window.conn.send(`<message to='${to}' type='chat'><body>R${i}</body></message>`);
          const next = t0 + i * 50 - performance.now();
          if (next > 0) await new Promise((r) => setTimeout(r, next));
        }
      }, { to: a1.jid, n: N });
      await sleep(1000);
      px.hold = true;
      const dropped = px.drop();
      await until(() => events.slice(from).some((e) => e.role === 'alice' && e.kind === 'status' && e.data.s === 13), 5000, 'RECONNECTING').catch(() => {});
      await sleep(300);
      const during = await alice.evaluate(() => ({ stored: sessionStorage.getItem('xmpp-wasm:session'), status: window.conn.status }));
      check(dropped >= 1 && during.status === 13 && !!during.stored,
        `${tag} reload while resuming: RECONNECTING (status ${during.status}), the snapshot stays stored (${during.stored ? 'yes' : 'no'})`);
      px.hold = false;
      await alice.reload({ waitUntil: 'commit' });
      const r = await ready('alice', base.alice + 2);
      check(r.mode === 'restored' && r.jid === a1.jid, `${tag} reload while resuming: the new page restored ${r.jid} (${r.mode})`);
      await sending;
      const mine = (m) => /^R\d+$/.test(m);
      await until(() => new Set(events.slice(from).filter((e) => e.role === 'alice' && e.kind === 'msg').map((e) => e.data).filter(mine)).size >= N, 15000, 'R messages').catch(() => {});
      await sleep(300);
      const got = JSON.parse(await alice.evaluate(() => sessionStorage.getItem('test:got') || '[]')).filter(mine);
      const missing = [], dup = [];
      for (let i = 1; i <= N; i++) {
        const c = got.filter((m) => m === `R${i}`).length;
        if (!c) missing.push(i);
        if (c > 1) dup.push(i);
      }
      check(!missing.length && !dup.length, `${tag} reload while resuming: alice received ${N - missing.length}/${N}; missing ${show(missing)}, duplicated ${show(dup)}`);
      await alice.evaluate(() => window.conn.disconnect());
      await bob.evaluate(() => window.conn.disconnect());
      await context.close();
      await px.close();
    }

    // 3. Fallback to BOSH.
    if (s.bosh) {
      const { context, open } = await contextFor(s);
      const page = await open('fallback');
      await ready('fallback', readies('fallback').length + 1);
      const closed = `ws://127.0.0.1:${await freePort()}/xmpp-websocket`;
      const notFound = s.ws.replace(/\/xmpp-websocket$/, '/no-such-endpoint');
      const r = await page.evaluate(async ({ list, domain }) => {
        const { Connection } = window.lib;
        const conn = new Connection(list);
        const statuses = [];
        const before = conn.transport;
        await conn.connect(`alice@${domain}/fallback`, 'alice-pass', (st, c) => statuses.push([st, c ?? null]));
        const pong = await conn.sendIQAsync(`<iq type='get' to='${domain}'><ping xmlns='urn:xmpp:ping'/></iq>`, 5000);
        const r = { before, transport: conn.transport, service: conn.service, statuses: statuses.slice(), pong: pong.getAttribute('type') };
        await conn.disconnect();
        return r;
      }, { list: [closed, notFound, s.bosh], domain: s.domain });
      check(r.before === 'websocket' && r.transport === 'bosh' && r.service === s.bosh && r.pong === 'result'
        && !r.statuses.some(([x]) => x === 2 || x === 6),
        `${tag} fallback: WebSocket refused (closed port, 404 path), logged in over BOSH ${r.service} (transport ${r.before} → ${r.transport}; statuses ${JSON.stringify(r.statuses.map(([x]) => x))})`);
      await context.close();
    }

    // 4–6. Zero loss across reloads, no password in sessionStorage, the duplicated tab.
    const storedValues = (p) => p.evaluate(() => Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)]));
    const b64 = (t) => Buffer.from(t, 'utf8').toString('base64');
    const secrets = ['alice-pass', b64('alice-pass'), b64('\0alice\0alice-pass'), b64(`alice@${s.domain}\0alice\0alice-pass`)];
    const noPassword = (values, what) => {
      const hits = values.filter(([, v]) => secrets.some((x) => v.includes(x)));
      check(values.length > 0 && hits.length === 0,
        `${tag} ${what}: none of the ${values.length} stored values holds the password or its base64 forms${hits.length ? ` (found in ${hits.map(([k]) => k)})` : ''}`);
    };
    let last;
    for (const [index, { messages, rate, reloads }] of SCENARIOS.entries()) {
      const t = `${tag} [${messages} at ${rate}/s, ${reloads} reloads]`;
      const { context, open } = await contextFor(s);
      const base = { alice: readies('alice').length, bob: readies('bob').length };
      const from = events.length;
      const alice = await open('alice');
      const a1 = await ready('alice', base.alice + 1);
      check(a1.mode.startsWith('connected') && a1.transport === 'websocket' && /^SCRAM-/.test(a1.mechanism),
        `${t} alice logged in afresh over ${a1.transport} (${a1.mode}) with ${a1.mechanism}: the default order prefers SCRAM`);
      const bob = await open('bob');
      await ready('bob', base.bob + 1);
      const aliceJid = a1.jid;
      const interval = 1000 / rate;
      const sending = bob.evaluate(async ({ to, n, interval, run }) => {
        const t0 = performance.now();
        for (let i = 1; i <= n; i++) {
          window.conn.send(`<message to='${to}' type='chat'><body>B${run}-${i}</body></message>`);
          const next = t0 + i * interval - performance.now();
          if (next > 0) await new Promise((r) => setTimeout(r, next));
        }
      }, { to: aliceJid, n: messages, interval, run: index });
      const duration = messages * interval;
      for (let k = 1; k <= reloads; k++) {
        await sleep(duration / (reloads + 1));
        await alice.evaluate(({ to, m }) => window.conn.send(`<message to='${to}' type='chat'><body>${m}</body></message>`),
          { to: `bob@${s.domain}/sender`, m: `A${index}-${k}` });
        await alice.reload({ waitUntil: 'commit' });
        const r = await ready('alice', base.alice + k + 1);
        check(r.mode === 'restored' && r.jid === aliceJid && r.transport === 'websocket' && r.pong === 'result',
          `${t} reload ${k}: restored ${r.jid} over ${r.transport} (${r.mode}), ping answered${r.pongMs > 5000 ? ` after ${(r.pongMs / 1000).toFixed(1)} s (the server held the resumption)` : ''}`);
      }
      await sending;
      const mine = (m) => m.startsWith(`B${index}-`);
      const got = () => events.slice(from).filter((e) => e.role === 'alice' && e.kind === 'msg').map((e) => e.data).filter(mine);
      await until(() => new Set(got()).size >= messages, 15000, 'all messages at alice').catch(() => {});
      await sleep(300);
      const delivered = JSON.parse(await alice.evaluate(() => sessionStorage.getItem('test:got') || '[]')).filter(mine);
      const counts = new Map();
      for (const m of delivered) counts.set(m, (counts.get(m) || 0) + 1);
      const missing = [], dup = [];
      for (let i = 1; i <= messages; i++) {
        const c = counts.get(`B${index}-${i}`) || 0;
        if (c === 0) missing.push(i);
        if (c > 1) dup.push(i);
      }
      check(!missing.length && !dup.length,
        `${t} zero loss: alice received ${messages - missing.length}/${messages}; missing ${show(missing)}, duplicated ${show(dup)}`);
      const sent = Array.from({ length: reloads }, (_, k) => `A${index}-${k + 1}`);
      const bobGot = () => events.slice(from).filter((e) => e.role === 'bob' && e.kind === 'msg').map((e) => e.data);
      await until(() => sent.every((x) => bobGot().includes(x)), 10000, "alice's messages at bob").catch(() => {});
      const aCounts = sent.map((x) => bobGot().filter((y) => y === x).length);
      check(aCounts.every((c) => c === 1), `${t} bob received each of alice's pre-reload messages exactly once: ${JSON.stringify(aCounts)}`);
      const values = await storedValues(alice);
      const snap = JSON.parse(values.find(([k]) => k === 'xmpp-wasm:session')?.[1] ?? 'null');
      check(snap?.transport === 'websocket' && !!snap?.scram?.clientKey && !!snap?.sm?.id,
        `${t} the stored snapshot is a WebSocket one with the SM id and the SCRAM keys (${snap?.scram?.mechanism})`);
      noPassword(values, `after a ${a1.mechanism} login and ${reloads} reloads`);
      await bob.evaluate(() => window.conn.disconnect());
      if (last) await last.context.close();
      last = { context, alice };
    }

    // 6. The duplicated tab.
    {
      const { context, alice } = last;
      const stored = await alice.evaluate(() => sessionStorage.getItem('xmpp-wasm:session'));
      check(!!stored && JSON.parse(stored).released === false, `${tag} the live page owns its stored session`);
      const dupPage = await context.newPage();
      await dupPage.goto(`${s.origin}/__test/websocket.html?role=idle`);
      const dup = await dupPage.evaluate(async ({ stored, service }) => {
        sessionStorage.setItem('xmpp-wasm:session', stored);
        while (!window.lib) await new Promise((r) => setTimeout(r, 10));
        const c = new window.lib.Connection(service, { keepalive: true });
        try {
          c.restore();
          return 'restored (wrong)';
        } catch (e) {
          return `${e.name}: ${e.reason}`;
        }
      }, { stored, service: s.ws });
      check(dup === 'SessionError: session-in-use', `${tag} a duplicated tab cannot take the session over (${dup})`);
      const pong = await alice.evaluate(() => window.ping().then((p) => p.getAttribute('type')));
      check(pong === 'result', `${tag} the original tab still has its session`);

      // 7. restore() → first IQ result after quiet reloads, printed.
      const base = readies('alice').length;
      const times = [];
      for (let k = 1; k <= 7; k++) {
        await sleep(300);
        await alice.reload({ waitUntil: 'commit' });
        const r = await ready('alice', base + k);
        if (r.mode === 'restored') times.push(r.pongMs);
      }
      check(times.length === 7, `${tag} 7 quiet reloads restored (${times.length})`);
      console.log(`  ${tag} restore() → first IQ result over WebSocket: median ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}) over ${times.length} reloads`);
      await alice.evaluate(() => window.conn.disconnect());
      const after = await alice.evaluate(() => sessionStorage.getItem('xmpp-wasm:session'));
      check(after === null, `${tag} disconnect removed the stored session`);
      await context.close();
    }

    // 5. PLAIN with keepalive: no keys to store, the restore is refused with its reason.
    {
      const { context, open } = await contextFor(s);
      const base = readies('alice').length;
      const alice = await open('alice', { mech: 'PLAIN' });
      const a1 = await ready('alice', base + 1);
      check(a1.mode === 'connected:no-session' && a1.mechanism === 'PLAIN', `${tag} PLAIN with keepalive: logged in (${a1.mode}, ${a1.mechanism})`);
      noPassword(await storedValues(alice), 'after a PLAIN login');
      await alice.reload({ waitUntil: 'commit' });
      const a2 = await ready('alice', base + 2);
      check(a2.mode === 'connected:no-scram-keys', `${tag} PLAIN: the reload's restore() is refused with SessionError reason no-scram-keys, and the page logs in again (${a2.mode})`);
      noPassword(await storedValues(alice), 'after a PLAIN login, a reload and a second login');
      await alice.evaluate(() => window.conn.disconnect());
      await context.close();
    }

    // 8. pagehide/pageshow (persisted), dispatched by hand as the back-forward cache does them:
    // the socket is closed at pagehide, a message bob sends meanwhile waits at the server, and
    // pageshow resumes the stream (RECONNECTING → ATTACHED "resumed"): the message arrives once.
    {
      const { context, open } = await contextFor(s);
      const base = { alice: readies('alice').length, bob: readies('bob').length };
      const from = events.length;
      const alice = await open('alice');
      const a1 = await ready('alice', base.alice + 1);
      const bob = await open('bob');
      await ready('bob', base.bob + 1);
      await alice.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true })));
      const away = await alice.evaluate(() => JSON.parse(sessionStorage.getItem('xmpp-wasm:session')).released);
      await bob.evaluate((to) => window.conn.send(`<message to='${to}' type='chat'><body>away-1</body></message>`), a1.jid);
      await sleep(500);
      const whileAway = events.slice(from).filter((e) => e.role === 'alice' && e.kind === 'msg' && e.data === 'away-1').length;
      await alice.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
      await until(() => events.slice(from).some((e) => e.role === 'alice' && e.kind === 'msg' && e.data === 'away-1'), 20000, 'away-1').catch(() => {});
      await sleep(300);
      const got = events.slice(from).filter((e) => e.role === 'alice' && e.kind === 'msg' && e.data === 'away-1').length;
      const st = events.slice(from).filter((e) => e.role === 'alice' && e.kind === 'status').map((e) => [e.data.s, e.data.c]);
      const pong = await alice.evaluate(() => window.ping().then((p) => p.getAttribute('type')));
      check(away === true && whileAway === 0 && got === 1 && pong === 'result'
        && st.some(([x]) => x === 13) && st.some(([x, c]) => x === 8 && c === 'resumed'),
        `${tag} back-forward cache (pagehide/pageshow persisted): released at pagehide (${away}), nothing read while away (${whileAway}), bob's message once after pageshow (${got}), resumed (statuses ${JSON.stringify(st.map(([x]) => x))}), ping ${pong}`);
      await alice.evaluate(() => window.conn.disconnect());
      await bob.evaluate(() => window.conn.disconnect());
      await context.close();
    }
  }
} catch (e) {
  failed++;
  console.log(`FAIL ${e?.stack ?? e}`);
} finally {
  await browser.close();
  for (const s of servers) s.stop?.();
}
console.log(failed ? `websocket.test: ${failed} failed` : 'websocket.test: all passed');
process.exit(failed ? 1 : 0);
