// Faults survived over WebSocket (RFC 7395) with XEP-0198 and `reconnect: true`: headless Chromium
// opens its sockets through the fault-injecting proxy (tests/js/faultproxy.mjs, which passes the
// upgrade on and cuts the server→client bytes into frames), which also serves the page. Two
// sessions in one page (alice and bob) each send 300 numbered messages to the other at 30/s while
// the proxy injects one kind of fault:
//
//   latency  every frame (and every client chunk) held back 200 ms, in order
//   reset    5 times, instead of the 60th server frame: both TCP connections reset (RST)
//   cut      5 times, the 60th server frame cut: its first half sent, then both sockets closed
//   silent   both sockets go silent both ways and stay open (half-open), alice's between two frames,
//            bob's after half a frame: only the client's XEP-0198 rule notices (an <r/> unanswered
//            for sm::ACK_TIMEOUT, 30 s); one run for both, so the 30 s are waited once
//
// Asserted, for each fault: each direction 0 lost and 0 duplicated (the library sends nothing
// twice: a message the app resent from onUnacknowledged is not counted as a duplicate, and the
// number resent is printed); the status sequence of each session after its first CONNECTED is
// (RECONNECTING, then ATTACHED "resumed" or CONNECTED)*, never CONNFAIL or DISCONNECTED; and the
// attempt ceiling of ARCHITECTURE.md's reconnect section: at most one WebSocket opened per session
// per second (no two of one session within 950 ms, timed in the page when it creates the socket,
// which allows for the timers' jitter around the core's 1 s MIN_ATTEMPT_GAP). Printed, never asserted: faults injected, sockets
// opened, the closest two opens of a session, the time from each loss to the session back (RECONNECTING →
// resumed/CONNECTED), the last message's delay after the last send (traffic back to normal), the
// slowest message.
// FAULTS=none,latency,reset,cut,silent picks runs (default all; against ejabberd all but cut, see below); FAULTS_DEBUG=1 prints the last <r/> and <a/> times.
//
//   node tests/js/faults-ws.test.mjs
//       starts its own Prosody (scripts/prosody.sh with PROSODY_WS=1: mod_websocket + mod_smacks)
//   WS_SERVER=ejabberd EJABBERD_WS_URL=ws://… EJABBERD_SHA256_DOMAIN=… HTTP_ORIGIN=http://… node tests/js/faults-ws.test.mjs
//       against ejabberd (EJABBERD_WS=1 scripts/ejabberd.sh), the page from the Prosody origin
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, sleep } from './harness.mjs';
import { startFaultProxy } from './faultproxy.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EJ = process.env.WS_SERVER === 'ejabberd';
const TAG = EJ ? 'faults-ws.test (ejabberd)' : 'faults-ws.test';
if (EJ && !(process.env.EJABBERD_WS_URL && process.env.HTTP_ORIGIN)) {
  console.error('faults-ws.test: WS_SERVER=ejabberd needs EJABBERD_WS_URL and HTTP_ORIGIN');
  process.exit(2);
}
const COUNT = 300;
const RATE = 30; // messages per second, per direction
const GAP = 950; // ms: no two sockets of one session closer than this (the 1 s ceiling, less jitter)

let failed = 0;
function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond) failed++;
}

/** A throw-away Prosody with WebSocket and mod_smacks, serving pkg/ (as websocket.test.mjs). */
function startProsody() {
  const dir = mkdtempSync(join(tmpdir(), 'xmpp-wasm-faults-ws-'));
  mkdirSync(join(dir, 'site'));
  symlinkSync(join(ROOT, 'pkg'), join(dir, 'site/pkg'));
  symlinkSync(join(ROOT, 'www/index.html'), join(dir, 'site/index.html'));
  execFileSync(join(ROOT, 'scripts/prosody.sh'), ['start', dir], { env: { ...process.env, PROSODY_WS: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
  const env = Object.fromEntries(readFileSync(join(dir, 'env'), 'utf8').split('\n').filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return {
    origin: env.HTTP_ORIGIN, ws: env.WS_URL, bosh: env.BOSH_URL,
    stop() {
      try {
        execFileSync(join(ROOT, 'scripts/prosody.sh'), ['stop', dir], { stdio: 'ignore' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const prosody = EJ ? null : startProsody();
const ORIGIN = EJ ? process.env.HTTP_ORIGIN : prosody.origin;
const WS = EJ ? process.env.EJABBERD_WS_URL : prosody.ws;
const DOMAIN = EJ ? (process.env.EJABBERD_SHA256_DOMAIN || 'sha256.localhost') : 'localhost';
let proxy, browser;

/** One run: both sessions log in, the fault is armed by `inject` while the messages flow. */
async function run(name, inject) {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) console.log(`  [console] ${m.text()}`); });
  await page.goto(`${proxy.origin}/index.html`);
  if (process.env.FAULTS_DEBUG) await page.evaluate(() => { window.FAULTS_DEBUG = true; });
  await page.evaluate(async ({ domain, ws }) => {
    const { default: init, Connection } = await import('/pkg/xmpp_wasm.js');
    await init();
    // Each socket the library opens, when it opens it (the attempt ceiling is the page's, not the
    // proxy's: the proxy sees a connection only after its TCP handshake, late by a loaded
    // machine's scheduling).
    window.opens = [];
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(url, protocols) { super(url, protocols); window.opens.push([new URL(url).searchParams.get('u'), performance.now()]); }
    };
    const mk = async (user) => {
      const conn = new Connection(`${ws}?u=${user}`, { reconnect: true });
      const s = { conn, statuses: [], got: new Map(), resent: new Set(), sm: [] };
      // The XEP-0198 requests and answers, for FAULTS_DEBUG.
      conn.rawOutput = (b) => { if (b.startsWith('<r ')) s.sm.push(`${Math.round(performance.now())}>r`); };
      conn.rawInput = (b) => { if (b.startsWith('<a ')) s.sm.push(`${Math.round(performance.now())}<a`); };
      conn.addHandler((m) => {
        const n = m.getElementsByTagName('body')[0]?.textContent;
        if (n) s.got.set(n, (s.got.get(n) ?? []).concat(performance.now()));
        return true;
      }, null, 'message');
      // What may not have arrived (a stream not resumed): the app sends it again; the receiver
      // counts each number once, and a copy of a resent one is not the library's duplicate.
      conn.onUnacknowledged = (stanzas) => {
        for (const st of stanzas) {
          const n = st.getElementsByTagName('body')[0]?.textContent;
          if (n) s.resent.add(n);
          conn.send(st);
        }
      };
      await conn.connect(`${user}@${domain}/faults`, `${user}-pass`, (st, c) => {
        // A resumption that fails ends in a new session (CONNECTED after RECONNECTING), which
        // starts without presence, as any login: the app sends its initial presence again (else
        // the server keeps chats to the bare JID offline), as a real app does on CONNECTED.
        if (st === 5 && s.statuses.at(-1)?.[0] === 13) conn.send('<presence/>');
        s.statuses.push([st, c ?? null, performance.now()]);
      });
      conn.send('<presence/>');
      return s;
    };
    window.sessions = { alice: await mk('alice'), bob: await mk('bob') };
  }, { domain: DOMAIN, ws: proxy.wsUrl });
  await sleep(300);
  const opensBefore = proxy.stats.wsOpens;
  const injecting = inject();
  const r = await page.evaluate(async ({ count, rate, domain, tag }) => {
    const { alice, bob } = window.sessions;
    const t0 = performance.now();
    const sentAt = [];
    for (let i = 1; i <= count; i++) {
      const due = t0 + (i - 1) * (1000 / rate);
      while (performance.now() < due) await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      sentAt[i] = performance.now();
      alice.conn.send(`<message to='bob@${domain}' type='chat'><body>${tag}a${i}</body></message>`);
      bob.conn.send(`<message to='alice@${domain}' type='chat'><body>${tag}b${i}</body></message>`);
    }
    const lastSend = performance.now();
    const done = () => [...Array(count).keys()].every((i) => bob.got.has(`${tag}a${i + 1}`) && alice.got.has(`${tag}b${i + 1}`));
    while (!done() && performance.now() - lastSend < 60000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 1000)); // late duplicates
    const side = (s, prefix, sender) => {
      let lost = 0, dup = 0, resent = 0, last = 0, worst = 0;
      for (let i = 1; i <= count; i++) {
        const at = s.got.get(`${prefix}${i}`);
        const again = sender.resent.has(`${prefix}${i}`);
        if (again) resent++;
        if (!at) lost++;
        else {
          if (at.length > 1 && !(again && at.length === 2)) dup += at.length - 1;
          last = Math.max(last, at[0]);
          worst = Math.max(worst, at[0] - sentAt[i]);
        }
      }
      return { lost, dup, resent, tail: Math.round(last - lastSend), worst: Math.round(worst) };
    };
    // Statuses from the first CONNECTED on, with each loss's time back (RECONNECTING → up).
    const seq = (s) => {
      const st = s.statuses.slice(s.statuses.findIndex(([x]) => x === 5));
      const back = [];
      for (let i = 0; i < st.length; i++) {
        if (st[i][0] === 13 && st[i + 1]) back.push(Math.round(st[i + 1][2] - st[i][2]));
      }
      return { codes: st.map(([x, c]) => (x === 8 ? `8:${c}` : `${x}`)), back, status: s.conn.status };
    };
    if (window.FAULTS_DEBUG) console.error(`alice ${alice.sm.slice(-12).join(' ')} | bob ${bob.sm.slice(-12).join(' ')} | now ${Math.round(performance.now())}`);
    const out = { toBob: side(bob, `${tag}a`, alice), toAlice: side(alice, `${tag}b`, bob), alice: seq(alice), bob: seq(bob),
      opens: window.opens.filter(([, at]) => at >= t0 - 2000) };
    await alice.conn.disconnect();
    await bob.conn.disconnect();
    return out;
  }, { count: COUNT, rate: RATE, domain: DOMAIN, tag: `${Date.now().toString(36)}-` });
  await injecting;
  const hits = proxy.wsHits;
  proxy.armWs(null);
  for (const [dir, s] of [['alice→bob', r.toBob], ['bob→alice', r.toAlice]]) {
    check(s.lost === 0 && s.dup === 0,
      `${name}: ${dir} ${COUNT} sent, ${COUNT - s.lost} received, ${s.dup} duplicated by the library (${s.resent} resent by the app from onUnacknowledged)`);
  }
  for (const who of ['alice', 'bob']) {
    const { codes, status } = r[who];
    const ok = /^5(,13,(8:resumed|5))*$/.test(codes.join(',')) && (status === 5 || status === 8);
    check(ok, `${name}: ${who}'s statuses CONNECTED (→ RECONNECTING → resumed/CONNECTED)*, no CONNFAIL: ${JSON.stringify(codes)}`);
  }
  const opens = proxy.stats.wsOpens - opensBefore;
  const gaps = ['alice', 'bob'].flatMap((who) => {
    const ts = r.opens.filter(([tag]) => tag === who).map(([, at]) => at);
    return ts.slice(1).map((t, i) => t - ts[i]);
  });
  const minGap = gaps.length ? Math.round(Math.min(...gaps)) : null;
  check(gaps.every((g) => g >= GAP), `${name}: no two sockets of one session within ${GAP} ms (${opens} opened in the run, closest ${minGap ?? '-'} ms apart)`);
  console.log(`     ${name}: ${hits} faults; back after ${JSON.stringify([...r.alice.back, ...r.bob.back])} ms; last message ${r.toBob.tail} ms (→bob) / ${r.toAlice.tail} ms (→alice) after the last send, `
    + `slowest ${r.toBob.worst} / ${r.toAlice.worst} ms; proxy ${JSON.stringify({ opens: proxy.stats.wsOpens, frames: proxy.stats.wsFrames, reset: proxy.stats.wsReset, cut: proxy.stats.wsCut, silent: proxy.stats.wsSilent })}`);
  await page.close();
  return { name, hits, minGap };
}

// Against ejabberd 23.01 `cut` is left out by default (FAULTS=cut runs it): a socket closed while
// the server writes to it makes ejabberd_http_ws:route_text/2 wait for its socket process with no
// timeout, the c2s process blocks in send_xml for 15 s, and the <resume/> waits for it; in about
// one run in three the resumption then fails ("Session state copying timed out") and the server
// routes the next chats to the bare JID into the blocked session: 60-235 of 300 lost, the library's
// side as with Prosody (the same fault passes there). ARCHITECTURE.md, "Faults survived".
const only = process.env.FAULTS?.split(',') ?? (EJ ? ['none', 'latency', 'reset', 'silent'] : null);
const want = (key) => !only || only.includes(key);
const results = [];
try {
  proxy = await startFaultProxy({ site: ORIGIN, bosh: `${ORIGIN}/http-bind`, ws: WS });
  browser = await launchChromium(chromium);
  if (want('none')) results.push(await run('no fault', async () => {}));
  if (want('latency')) results.push(await run('200 ms latency each way', async () => {
    proxy.armWs({ latency: 200 });
    await sleep(COUNT / RATE * 1000 - 1000);
    proxy.armWs(null);
  }));
  if (want('reset')) results.push(await run('reset 5 sockets (RST)', async () => {
    proxy.armWs({ reset: 5, every: 60 });
  }));
  if (want('cut')) results.push(await run('close 5 sockets mid-frame', async () => {
    proxy.armWs({ cut: 5, every: 60 });
  }));
  if (want('silent')) results.push(await run('two half-open sockets: alice\'s silent between frames, bob\'s after half a frame', async () => {
    await sleep(1000);
    proxy.armWs([{ silent: 1, tag: 'alice' }, { cut: 1, hang: true, tag: 'bob' }]);
  }));
} catch (e) {
  failed++;
  console.log(`FAIL ${e?.stack ?? e}`);
} finally {
  await browser?.close();
  await proxy?.close();
  prosody?.stop();
}
if (results.length) console.log(`${TAG}: ${results.reduce((n, r) => n + r.hits, 0)} faults injected; closest two sockets of one session ${Math.min(...results.map((r) => r.minGap ?? Infinity))} ms apart (ceiling: 1 per second)`);
console.log(failed ? `${TAG}: ${failed} failed` : `${TAG}: all passed`);
process.exit(failed ? 1 : 0);
