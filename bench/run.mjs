// The project's own benchmark, side by side: xmpp-wasm (the built pkg/, --target
// web) and Strophe.js 5.0.0 (npm, its UMD build) in the same headless Chromium,
// against the same local Prosody, on the same origin. Prints a markdown table and
// writes bench/results/<date>.md and .json (medians over the runs, and every sample).
// Asserts nothing. Run it through scripts/bench.sh, which starts and stops Prosody:
//
//   scripts/bench.sh [--runs N] [--echo N] [--traffic N] [--reloads N] [--only init]
//   HTTP_ORIGIN=http://127.0.0.1:PORT node bench/run.mjs [same options]   (a running Prosody)
//
// --only init measures the start-up figures alone (seconds instead of minutes) and writes
// bench/results/<date>-init.md and .json.
//
// Each run opens a fresh browser context per library (cold HTTP cache, empty
// sessionStorage) and measures, in this order (libraries alternate which goes first):
//   init        start-up on page load (see bench/pages/bench.js): a first visit (cold HTTP
//               cache), split for xmpp-wasm into the module and init(), and a repeat visit (the
//               same page loaded again in the same context: HTTP cache, and Chromium's wasm code
//               cache for a streamed compile). Served by Prosody's http_files (as everything else
//               here) and, in fresh contexts, by scripts/demo-server.mjs (static files only, from a
//               temporary site of links: gzip, Node's TCP_NODELAY; Prosody's http_files often
//               stalls a response body ~40 ms, Nagle against delayed ACK, once per file), also
//               with 50 ms added to each request (CDP); there xmpp-wasm also runs with preload
//               links (at +0 and +50 ms) and with the .wasm not served as application/wasm
//               (wasm-bindgen's fallback)
//   login       connect() → CONNECTED, PLAIN and SCRAM-SHA-1, +0 and +100 ms per request
//               (CDP Network.emulateNetworkConditions), after one warm-up login
//   echo        N messages to the own full JID sent in one JS task → the last one received
//   attach      to a session prebound in node (bench/prebind.mjs) → result of an IQ ping
//   restore     reload a keepalive page; restore() → result of an IQ ping, idle
//   traffic     bob (always xmpp-wasm, the same sender for both) sends N messages at 20/s to
//               alice's full JID while alice's page reloads R times and restores; restore
//               times as above, and every message B1…BN counted lost or duplicated at alice
// Requests: /http-bind requests the page makes from the call until the result (fetch and
// XMLHttpRequest are counted by an init script); for restore also those the unloading page
// made after reload() (CDP, by loader id).
//
// --ws 1 (scripts/bench.sh --ws 1 starts Prosody with PROSODY_WS=1: websocket + smacks; or
// WS_URL=ws://…/xmpp-websocket with a running one) measures the WebSocket column set instead,
// both libraries over WebSocket (RFC 7395) to Prosody's /xmpp-websocket:
//   login       PLAIN and SCRAM-SHA-1 → CONNECTED: ms, round trips (a "turn" is a frame sent
//               after one was received since the previous send) and frames sent
//   echo        N messages to the own full JID, stream management (XEP-0198) off and on
//               (xmpp-wasm's option streamManagement; Strophe.js 5 has no SM of its own, and
//               the npm plugin strophejs-plugin-stream-management 1.0.3 counts no stanza over
//               WebSocket and cannot resume, so its cell stays empty)
//   restore     a keepalive page (SCRAM-SHA-1 login, so that xmpp-wasm has keys to resume with)
//               reloads; xmpp-wasm: restore() → resumed → ping result; Strophe.js: log in again
//               with the password kept in sessionStorage → ping result (its restore() is BOSH only)
// xmpp-wasm's half needs the shell's WebSocket driver; without it its cells show the error.
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zc, gzipSync } from 'node:zlib';
import { launchChromium, median, sleep } from '../tests/js/harness.mjs';
import { prebind } from './prebind.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const ORIGIN = process.env.HTTP_ORIGIN;
const BOSH_URL = process.env.BOSH_URL || `${ORIGIN}/http-bind`;
if (!ORIGIN) {
  console.error('bench/run.mjs: HTTP_ORIGIN is not set (run scripts/bench.sh)');
  process.exit(2);
}
const opt = { runs: 7, echo: 2000, traffic: 100, reloads: 2, ws: 0, only: '' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const k = argv[i].replace(/^--/, '');
  const ok = k === 'only' ? argv[i + 1] === 'init' : k in opt && /^\d+$/.test(argv[i + 1] ?? '');
  if (!ok) {
    console.error(`usage: run.mjs [--runs N] [--echo N] [--traffic N] [--reloads N] [--ws 0|1] [--only init] (got ${argv[i]})`);
    process.exit(2);
  }
  opt[k] = k === 'only' ? argv[++i] : Number(argv[++i]);
}
const ONLY_INIT = opt.only === 'init';
if (ONLY_INIT && opt.ws) {
  console.error('bench/run.mjs: --only init measures the page load, which --ws 1 does not');
  process.exit(2);
}
const LIBS = ['xmpp-wasm', 'strophe'];
const WS_URL = process.env.WS_URL || '';
if (opt.ws && !WS_URL) {
  console.error('bench/run.mjs --ws 1: WS_URL is not set (scripts/bench.sh --ws 1 starts Prosody with WebSocket)');
  process.exit(2);
}
const debug = process.env.BENCH_DEBUG ? (...a) => console.error('  ·', ...a) : () => {};
const NAMES = { 'xmpp-wasm': 'xmpp-wasm', strophe: 'Strophe.js 5.0.0' };

// Counts this page's requests to /http-bind (fetch, XMLHttpRequest, sendBeacon).
function countRequests() {
  let n = 0;
  const bosh = (u) => String(u).includes('/http-bind');
  const f = window.fetch;
  window.fetch = function (input, init) {
    if (bosh(typeof input === 'string' || input instanceof URL ? input : input && input.url)) n++;
    return f.call(this, input, init);
  };
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    this.__bosh = bosh(url);
    return open.call(this, method, url, ...rest);
  };
  XMLHttpRequest.prototype.send = function (body) {
    if (this.__bosh) n++;
    return send.call(this, body);
  };
  const beacon = navigator.sendBeacon?.bind(navigator);
  if (beacon) navigator.sendBeacon = (url, data) => { if (bosh(url)) n++; return beacon(url, data); };
  window.__reqs = () => n;
}

// ---- sizes ----
function sizes(files) {
  const row = { raw: 0, gzip9: 0, brotli: 0, files: {} };
  for (const f of files) {
    const buf = readFileSync(f);
    const s = {
      raw: buf.length,
      gzip9: gzipSync(buf, { level: 9 }).length,
      brotli: brotliCompressSync(buf, { params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_SIZE_HINT]: buf.length } }).length,
    };
    row.files[f.slice(ROOT.length + 1)] = s;
    for (const k of ['raw', 'gzip9', 'brotli']) row[k] += s[k];
  }
  return row;
}
const download = {
  'xmpp-wasm': sizes([`${ROOT}/pkg/xmpp_wasm_bg.wasm`, `${ROOT}/pkg/xmpp_wasm.js`]),
  strophe: sizes([`${HERE}/node_modules/strophe.js/dist/strophe.umd.min.js`]),
};

// ---- start-up ----
/** `{ initMs, importMs, wasmMs }` of the bench page as loaded now (see bench/pages/bench.js). */
async function loadInit(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.__loaded, null, { timeout: 30000 });
  return page.evaluate(() => ({ initMs: window.B.initMs, importMs: window.B.importMs, wasmMs: window.B.wasmMs }));
}

/**
 * The start-up of `lib` from the demo server (`query`: a variant of bench.html) in a fresh context:
 * first and repeat visit, the first split as bench.html reports it, and the console's warnings;
 * `latency` ms added to each request (CDP) when given.
 */
async function initVariant(browser, lib, query = '', latency = 0) {
  const context = await browser.newContext();
  const warnings = [];
  try {
    const page = await context.newPage();
    if (latency) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency, downloadThroughput: -1, uploadThroughput: -1 });
    }
    page.on('console', (m) => { if (m.type() === 'warning') warnings.push(m.text().slice(0, 80)); });
    const url = `${demo.origin}/bench/bench.html?lib=${lib}${query && `&${query}`}`;
    const first = await loadInit(page, url);
    const repeat = await loadInit(page, url);
    return { first: first.initMs, importMs: first.importMs, wasmMs: first.wasmMs, repeat: repeat.initMs, warnings };
  } finally {
    await context.close();
  }
}

/**
 * scripts/demo-server.mjs in its own process (not sharing this one's event loop with playwright)
 * over a temporary site: /pkg/, /bench/ and /strophe/, each file compressed once ahead.
 */
async function startStatic() {
  const site = mkdtempSync(`${os.tmpdir()}/xmpp-wasm-bench-site-`);
  symlinkSync(`${ROOT}/pkg`, `${site}/pkg`);
  symlinkSync(`${HERE}/pages`, `${site}/bench`);
  symlinkSync(`${HERE}/node_modules/strophe.js/dist`, `${site}/strophe`);
  const child = spawn(process.execPath, [`${ROOT}/scripts/demo-server.mjs`, '--site', site, '--bosh', BOSH_URL], { stdio: ['ignore', 'pipe', 'inherit'] });
  const origin = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (http:\/\/[^/\s]+)/.exec(out);
      if (m) ok(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`demo-server.mjs exited (${code}) before listening`)));
  });
  for (const f of ['pkg/xmpp_wasm.js', 'pkg/xmpp_wasm_bg.wasm', 'bench/bench.html', 'bench/bench.js', 'strophe/strophe.umd.min.js']) {
    await (await fetch(`${origin}/${f}`, { headers: { 'accept-encoding': 'gzip' } })).arrayBuffer();
  }
  return {
    origin,
    close: async () => {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill();
      await exited;
      rmSync(site, { recursive: true, force: true });
    },
  };
}
let demo;

// ---- one run of one library ----
async function runLib(browser, lib, run) {
  const out = { login: {}, restoreTraffic: [] };
  const context = await browser.newContext();
  await context.addInitScript(countRequests);
  const pageErrors = [];
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const cdp = await context.newCDPSession(page);
  const bosh = [];
  let loader = null;
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.type === 'Document') loader = e.loaderId;
    if (e.request.url.includes('/http-bind')) bosh.push({ loader: e.loaderId, wall: e.wallTime * 1000 });
  });
  await cdp.send('Network.enable');
  const url = `${ORIGIN}/bench/bench.html?lib=${lib}&role=alice`;
  try {
    debug(lib, 'goto', url);
    await page.goto(url);
    await page.waitForFunction(() => window.__loaded, null, { timeout: 30000 });
    Object.assign(out, await page.evaluate(() => ({ initMs: window.B.initMs, importMs: window.B.importMs, wasmMs: window.B.wasmMs })));
    const first = await page.evaluate(() => window.__restore);
    if (first.tried) throw new Error(`a fresh tab restored something: ${JSON.stringify(first)}`);
    // A repeat visit: the same page again in this context (nothing to restore yet).
    debug(lib, 'init, repeat visit');
    out.initRepeatMs = (await loadInit(page, url)).initMs;
    out.initDemo = await initVariant(browser, lib);
    out.initDemo50 = await initVariant(browser, lib, '', 50);
    if (lib === 'xmpp-wasm') {
      out.initPreload = await initVariant(browser, lib, 'preload=1');
      out.initPreload50 = await initVariant(browser, lib, 'preload=1', 50);
      out.initOctet = await initVariant(browser, lib, 'wasmtype=octet');
    }
    if (ONLY_INIT) return out;

    // login
    debug(lib, 'login');
    const login = (mech) => page.evaluate(async (mech) => {
      const w = window.B.newConn({ mech });
      const r0 = window.__reqs();
      const t0 = performance.now();
      await w.connect('alice@localhost/bench', 'alice-pass');
      const ms = performance.now() - t0;
      const requests = window.__reqs() - r0;
      await w.disconnect();
      return { ms, requests };
    }, mech);
    await login('PLAIN'); // warm-up
    for (const latency of [0, 100]) {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency, downloadThroughput: -1, uploadThroughput: -1 });
      for (const mech of ['PLAIN', 'SCRAM-SHA-1']) out.login[`${mech}+${latency}`] = await login(mech);
    }
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

    // echo
    debug(lib, 'echo');
    out.echo = await page.evaluate(async (n) => {
      const w = window.B.newConn();
      await w.connect('alice@localhost/echo', 'alice-pass');
      const me = w.jid;
      let got = 0, done;
      const all = new Promise((r) => { done = r; });
      w.onMessage((b) => { if (b.startsWith('e') && ++got === n) done(); });
      const t0 = performance.now();
      for (let i = 0; i < n; i++) w.send(me, `e${i}`);
      await Promise.race([all, new Promise((r) => setTimeout(r, 120000))]);
      const ms = performance.now() - t0;
      await w.disconnect();
      return { ms, got, perSecond: (got / ms) * 1000 };
    }, opt.echo);

    // attach
    debug(lib, 'attach');
    const pre = await prebind(BOSH_URL, { user: 'alice', domain: 'localhost', password: 'alice-pass', resource: `attach${run}` });
    out.attach = await page.evaluate(async ({ jid, sid, rid }) => {
      const w = window.B.newConn();
      const r0 = window.__reqs();
      const t0 = performance.now();
      let pinged;
      await w.attach(jid, sid, rid, () => { pinged = w.ping(); });
      await pinged;
      const ms = performance.now() - t0;
      const requests = window.__reqs() - r0;
      await w.disconnect();
      return { ms, requests };
    }, pre);

    // restore, idle
    debug(lib, 'restore idle');
    const connectAlice = () => page.evaluate(async () => {
      sessionStorage.removeItem('bench:got');
      const w = window.B.newConn({ keepalive: true });
      window.B.record(w);
      await w.connect('alice@localhost/restore', 'alice-pass');
      window.alice = w;
      return w.jid;
    });
    const reload = async () => {
      const old = loader;
      const t = Date.now();
      await page.reload({ waitUntil: 'commit' });
      await page.waitForFunction(() => window.__loaded, null, { timeout: 30000 });
      const r = await page.evaluate(() => window.__restore);
      r.unloadRequests = bosh.filter((b) => b.loader === old && b.wall >= t).length;
      return r;
    };
    await connectAlice();
    await sleep(500);
    out.restoreIdle = await reload();
    await page.evaluate(() => window.alice?.disconnect());

    // restore while messages arrive
    debug(lib, 'restore traffic');
    const aliceJid = await connectAlice();
    const bob = await context.newPage();
    bob.on('pageerror', (e) => pageErrors.push(`bob: ${e}`));
    await bob.goto(`${ORIGIN}/bench/bench.html?lib=xmpp-wasm`);
    await bob.waitForFunction(() => window.__loaded, null, { timeout: 30000 });
    await bob.evaluate(async () => {
      window.bob = window.B.newConn();
      await window.bob.connect('bob@localhost/sender', 'bob-pass');
    });
    const gap = 50;
    const sending = bob.evaluate(async ({ to, n, gap }) => {
      for (let i = 1; i <= n; i++) {
        window.bob.send(to, `B${i}`);
        await new Promise((r) => setTimeout(r, gap));
      }
    }, { to: aliceJid, n: opt.traffic, gap });
    for (let k = 1; k <= opt.reloads; k++) {
      await sleep((opt.traffic * gap) / (opt.reloads + 1));
      out.restoreTraffic.push(await reload());
    }
    await sending;
    const received = async () => JSON.parse(await page.evaluate(() => sessionStorage.getItem('bench:got') || '[]'));
    for (let i = 0; i < 100 && new Set(await received()).size < opt.traffic; i++) await sleep(50);
    const got = await received();
    const counts = new Map();
    for (const m of got) counts.set(m, (counts.get(m) || 0) + 1);
    out.traffic = { sent: opt.traffic, lost: 0, duplicated: 0 };
    for (let i = 1; i <= opt.traffic; i++) {
      const c = counts.get(`B${i}`) || 0;
      if (c === 0) out.traffic.lost++;
      if (c > 1) out.traffic.duplicated += c - 1;
    }
    await page.evaluate(() => window.alice?.disconnect());
    await bob.evaluate(() => window.bob.disconnect());
  } catch (e) {
    out.error = String(e?.message ?? e);
  } finally {
    if (pageErrors.length) out.pageErrors = pageErrors;
    await context.close();
  }
  return out;
}

// ---- WebSocket: frames and round trips, counted by an init script ----
function countFrames() {
  const Native = window.WebSocket;
  const c = { sent: 0, turns: 0, received: true };
  window.__frames = c;
  window.__resetFrames = () => { c.sent = 0; c.turns = 0; c.received = true; };
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => { c.received = true; });
    }
    send(data) {
      c.sent++;
      if (c.received) {
        c.turns++;
        c.received = false;
      }
      return super.send(data);
    }
  };
}

async function runLibWs(browser, lib) {
  const out = { login: {}, echo: {} };
  const context = await browser.newContext();
  await context.addInitScript(countRequests);
  await context.addInitScript(countFrames);
  const pageErrors = [];
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const url = `${ORIGIN}/bench/bench.html?lib=${lib}&role=alice&ws=${encodeURIComponent(WS_URL)}`;
  const step = async (name, f) => {
    try {
      return await f();
    } catch (e) {
      (out.errors ??= {})[name] = String(e?.message ?? e).split('\n')[0];
      return undefined;
    }
  };
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__loaded, null, { timeout: 30000 });
    const login = (mech) => page.evaluate(async (mech) => {
      const w = window.B.newConn({ mech });
      window.__resetFrames();
      const t0 = performance.now();
      await w.connect('alice@localhost/bench', 'alice-pass');
      const ms = performance.now() - t0;
      const { turns, sent } = window.__frames;
      await w.disconnect();
      return { ms, turns, frames: sent };
    }, mech);
    await step('login', () => login('PLAIN')); // warm-up
    for (const mech of ['PLAIN', 'SCRAM-SHA-1']) out.login[mech] = await step(`login ${mech}`, () => login(mech));
    for (const sm of [false, true]) {
      if (sm && lib === 'strophe') continue;
      out.echo[sm ? 'on' : 'off'] = await step(`echo sm ${sm}`, () => page.evaluate(async ({ n, sm }) => {
        const w = window.B.newConn({ sm });
        await w.connect('alice@localhost/echo', 'alice-pass');
        const me = w.jid;
        let got = 0, done;
        const all = new Promise((r) => { done = r; });
        w.onMessage((b) => { if (b.startsWith('e') && ++got === n) done(); });
        const t0 = performance.now();
        for (let i = 0; i < n; i++) w.send(me, `e${i}`);
        await Promise.race([all, new Promise((r) => setTimeout(r, 120000))]);
        const ms = performance.now() - t0;
        await w.disconnect();
        return { ms, got, perSecond: (got / ms) * 1000 };
      }, { n: opt.echo, sm }));
    }
    out.restore = await step('restore', async () => {
      await page.evaluate(async (lib) => {
        sessionStorage.removeItem('bench:got');
        const w = window.B.newConn({ keepalive: true, mech: 'SCRAM-SHA-1' });
        await w.connect('alice@localhost/restore', 'alice-pass');
        // Strophe.js can only log in again after a reload: the application keeps the password.
        if (lib === 'strophe') sessionStorage.setItem('bench:creds', JSON.stringify({ jid: 'alice@localhost/restore', password: 'alice-pass' }));
        window.alice = w;
      }, lib);
      await sleep(500);
      await page.reload({ waitUntil: 'commit' });
      await page.waitForFunction(() => window.__loaded, null, { timeout: 30000 });
      const r = await page.evaluate(() => ({ ...window.__restore, turns: window.__frames.turns, frames: window.__frames.sent }));
      await page.evaluate(() => window.alice?.disconnect());
      if (!r.ok) throw new Error(r.error);
      return r;
    });
  } catch (e) {
    out.error = String(e?.message ?? e);
  } finally {
    if (pageErrors.length) out.pageErrors = pageErrors;
    await context.close();
  }
  return out;
}

/** The WebSocket run: prints its own table and writes bench/results/<date>-ws.md and .json. */
async function mainWs() {
  const started = new Date();
  const browser = await launchChromium(chromium);
  const samples = { 'xmpp-wasm': [], strophe: [] };
  let chromiumVersion;
  try {
    chromiumVersion = browser.version();
    for (let run = 1; run <= opt.runs; run++) {
      for (const lib of run % 2 ? LIBS : [...LIBS].reverse()) {
        const t = Date.now();
        const s = await runLibWs(browser, lib);
        samples[lib].push(s);
        const errs = Object.entries(s.errors ?? {}).map(([k, v]) => `${k}: ${v}`);
        console.error(`ws run ${run}/${opt.runs} ${lib}: ${((Date.now() - t) / 1000).toFixed(1)} s${s.error ? ` ERROR ${s.error}` : ''}${errs.length ? ` (${errs.join('; ')})` : ''}`);
      }
    }
  } finally {
    await browser.close();
  }
  const n = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
  const med = (lib, f) => median(samples[lib].map(f).filter((x) => typeof x === 'number' && !Number.isNaN(x)));
  const firstError = (lib, key) => samples[lib].map((s) => s.errors?.[key] ?? s.error).find(Boolean);
  const cell = (lib, key, f) => {
    const v = f(lib);
    if (v !== '') return v;
    const e = (firstError(lib, key) ?? 'no sample').replace(/^page\.evaluate: /, '');
    return `error: ${e.length > 90 ? `${e.slice(0, 90)}…` : e}`;
  };
  const rows = [];
  const row = (figure, key, f) => rows.push(`| ${figure} | ${LIBS.map((l) => cell(l, key, f)).join(' | ')} |`);
  for (const mech of ['PLAIN', 'SCRAM-SHA-1']) {
    row(`login ${mech} over WebSocket`, `login ${mech}`, (l) => {
      const ms = med(l, (s) => s.login[mech]?.ms);
      return Number.isNaN(ms) ? '' : `${n(ms, 1)} ms, ${n(med(l, (s) => s.login[mech]?.turns))} round trips, ${n(med(l, (s) => s.login[mech]?.frames))} frames`;
    });
  }
  for (const sm of ['off', 'on']) {
    row(`echo ${opt.echo} messages to self, SM ${sm}`, `echo sm ${sm === 'on'}`, (l) => {
      if (l === 'strophe' && sm === 'on') return '– (no XEP-0198)';
      const v = med(l, (s) => s.echo[sm]?.perSecond);
      return Number.isNaN(v) ? '' : `${n(v)} msg/s`;
    });
  }
  row('restore after reload → first IQ result', 'restore', (l) => {
    const v = med(l, (s) => s.restore?.ms);
    if (Number.isNaN(v)) return '';
    return `${n(v, 1)} ms, ${n(med(l, (s) => s.restore?.turns))} round trips${l === 'strophe' ? ' (logs in again: password kept)' : ' (resumed; no password kept)'}`;
  });
  let commit;
  try { commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).toString().trim(); } catch {}
  const md = [
    `WebSocket benchmark ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, medians of ${opt.runs} runs (commit ${commit ?? '?'}): ` +
      `${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; Chromium ${chromiumVersion} headless; Prosody with websocket + smacks at ${WS_URL}.`,
    '',
    `| figure | ${LIBS.map((l) => NAMES[l]).join(' | ')} |`,
    `|---|${LIBS.map(() => '---').join('|')}|`,
    ...rows,
    '',
    'Round trips: frames sent after a frame was received since the previous send, from connect() (or the new page\'s script) to the result.',
  ].join('\n');
  mkdirSync(`${HERE}/results`, { recursive: true });
  const stamp = `${started.toISOString().slice(0, 16).replace(':', '')}-ws`;
  writeFileSync(`${HERE}/results/${stamp}.json`, `${JSON.stringify({ date: started.toISOString(), options: opt, wsUrl: WS_URL, samples }, null, 1)}\n`);
  writeFileSync(`${HERE}/results/${stamp}.md`, `${md}\n`);
  console.log(md);
  console.error(`\nwrote bench/results/${stamp}.md and .json`);
}
if (opt.ws) {
  await mainWs();
  process.exit(0);
}

// ---- main ----
const started = new Date();
const machine = {
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()}`,
  node: process.version,
  loadavgAtStart: os.loadavg().map((x) => +x.toFixed(2)),
};
try { machine.commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).toString().trim(); } catch {}
try { machine.prosody = `Prosody ${execFileSync('dpkg-query', ['-W', '-f=${Version}', 'prosody']).toString().trim()}`; } catch {}

machine.strophe = JSON.parse(readFileSync(`${HERE}/node_modules/strophe.js/package.json`, 'utf8')).version;
const browser = await launchChromium(chromium);
machine.chromium = browser.version();
const samples = { 'xmpp-wasm': [], strophe: [] };
demo = await startStatic();
try {
  for (let run = 1; run <= opt.runs; run++) {
    const order = run % 2 ? LIBS : [...LIBS].reverse();
    for (const lib of order) {
      const t = Date.now();
      const s = await runLib(browser, lib, run);
      samples[lib].push(s);
      console.error(`run ${run}/${opt.runs} ${lib}: ${((Date.now() - t) / 1000).toFixed(1)} s${s.error ? ` ERROR ${s.error}` : ''}`);
    }
  }
} finally {
  await browser.close();
  await demo.close();
}
machine.loadavgAtEnd = os.loadavg().map((x) => +x.toFixed(2));

// ---- medians ----
const ok = (xs) => xs.filter((x) => x !== undefined && x !== null && !Number.isNaN(x));
function summary(lib) {
  const ss = samples[lib].filter((s) => !s.error);
  const m = (f) => median(ok(ss.map(f)));
  const allTraffic = ss.flatMap((s) => s.restoreTraffic);
  const okTraffic = allTraffic.filter((r) => r.ok);
  const sum = { runs: ss.length, failedRuns: samples[lib].length - ss.length, initMs: m((s) => s.initMs), login: {} };
  Object.assign(sum, {
    importMs: m((s) => s.importMs), wasmMs: m((s) => s.wasmMs), initRepeatMs: m((s) => s.initRepeatMs),
    initDemo: {
      first: m((s) => s.initDemo?.first), repeat: m((s) => s.initDemo?.repeat),
      importMs: m((s) => s.initDemo?.importMs), wasmMs: m((s) => s.initDemo?.wasmMs),
    },
    initDemo50: { first: m((s) => s.initDemo50?.first), repeat: m((s) => s.initDemo50?.repeat) },
    initPreload: { first: m((s) => s.initPreload?.first), repeat: m((s) => s.initPreload?.repeat) },
    initPreload50: { first: m((s) => s.initPreload50?.first), repeat: m((s) => s.initPreload50?.repeat) },
    initOctet: {
      first: m((s) => s.initOctet?.first), repeat: m((s) => s.initOctet?.repeat),
      warned: ss.filter((s) => s.initOctet?.warnings.length).length,
    },
  });
  if (ONLY_INIT) return sum;
  for (const k of ['PLAIN+0', 'SCRAM-SHA-1+0', 'PLAIN+100', 'SCRAM-SHA-1+100']) {
    sum.login[k] = { ms: m((s) => s.login[k]?.ms), requests: m((s) => s.login[k]?.requests) };
  }
  sum.echo = { perSecond: m((s) => s.echo?.perSecond), ms: m((s) => s.echo?.ms), incomplete: ss.filter((s) => s.echo && s.echo.got < opt.echo).length };
  sum.attach = { ms: m((s) => s.attach?.ms), requests: m((s) => s.attach?.requests) };
  const idle = ss.map((s) => s.restoreIdle).filter((r) => r?.ok);
  sum.restoreIdle = {
    ms: median(idle.map((r) => r.ms)), sinceNavigation: median(idle.map((r) => r.sinceNavigation)),
    requests: median(idle.map((r) => r.requests)), unloadRequests: median(idle.map((r) => r.unloadRequests)),
    failed: ss.length - idle.length,
  };
  sum.restoreTraffic = {
    ms: median(okTraffic.map((r) => r.ms)), sinceNavigation: median(okTraffic.map((r) => r.sinceNavigation)),
    requests: median(okTraffic.map((r) => r.requests)), unloadRequests: median(okTraffic.map((r) => r.unloadRequests)),
    reloads: allTraffic.length, failed: allTraffic.length - okTraffic.length,
    sent: ss.reduce((a, s) => a + (s.traffic?.sent ?? 0), 0),
    lost: ss.reduce((a, s) => a + (s.traffic?.lost ?? 0), 0),
    duplicated: ss.reduce((a, s) => a + (s.traffic?.duplicated ?? 0), 0),
  };
  return sum;
}
const result = { date: started.toISOString(), options: opt, machine, download, medians: {}, samples };
for (const lib of LIBS) result.medians[lib] = summary(lib);

// ---- table ----
const n = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '–' : x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));
const req = (x) => (Number.isNaN(x) ? '' : `, ${n(x)} req`);
const rows = [];
const row = (figure, f) => rows.push(`| ${figure} | ${LIBS.map(f).join(' | ')} |`);
const M = result.medians;
row('download raw, B', (l) => n(download[l].raw));
row('download gzip -9, B', (l) => n(download[l].gzip9));
row('download brotli -q 11, B', (l) => n(download[l].brotli));
row('init on page load (Prosody\'s http_files)', (l) => `${n(M[l].initMs, 1)} ms`);
const xw = (f) => (l) => (l === 'xmpp-wasm' ? f(M[l]) : '–');
const split = (i, w) => `${n(i, 1)} / ${n(w, 1)} ms`;
row('… of which the JS module / init() (.wasm fetched, compiled, instantiated)', xw((x) => split(x.importMs, x.wasmMs)));
row('… repeat visit (HTTP cache)', (l) => `${n(M[l].initRepeatMs, 1)} ms`);
row('init served by scripts/demo-server.mjs (gzip, TCP_NODELAY), first / repeat visit', (l) => `${n(M[l].initDemo.first, 1)} / ${n(M[l].initDemo.repeat, 1)} ms`);
row('… of which the JS module / init(), first visit', xw((x) => split(x.initDemo.importMs, x.initDemo.wasmMs)));
row('… with preload links for the module and the .wasm, first / repeat visit', xw((x) => `${n(x.initPreload.first, 1)} / ${n(x.initPreload.repeat, 1)} ms`));
row('… .wasm not served as application/wasm (fallback), first / repeat visit', xw((x) => `${n(x.initOctet.first, 1)} / ${n(x.initOctet.repeat, 1)} ms`));
row('… +50 ms per request, first / repeat visit', (l) => `${n(M[l].initDemo50.first, 1)} / ${n(M[l].initDemo50.repeat, 1)} ms`);
row('… +50 ms per request, with the preload links, first / repeat visit', xw((x) => `${n(x.initPreload50.first, 1)} / ${n(x.initPreload50.repeat, 1)} ms`));
if (!ONLY_INIT) for (const [k, label] of [['PLAIN+0', 'login PLAIN, loopback'], ['SCRAM-SHA-1+0', 'login SCRAM-SHA-1, loopback'],
  ['PLAIN+100', 'login PLAIN, +100 ms/request'], ['SCRAM-SHA-1+100', 'login SCRAM-SHA-1, +100 ms/request']]) {
  row(label, (l) => `${n(M[l].login[k].ms, 1)} ms${req(M[l].login[k].requests)}`);
}
if (!ONLY_INIT) {
  row(`echo ${opt.echo} messages to self`, (l) => `${n(M[l].echo.perSecond)} msg/s${M[l].echo.incomplete ? ` (${M[l].echo.incomplete} runs incomplete)` : ''}`);
  row('attach → first IQ result', (l) => `${n(M[l].attach.ms, 1)} ms${req(M[l].attach.requests)}`);
  const restoreCell = (r) => `${n(r.ms, 1)} ms${req(r.requests)}${r.unloadRequests ? ` (+${n(r.unloadRequests)} at unload)` : ''}${r.failed ? `, ${r.failed} failed` : ''}`;
  row('restore after reload → first IQ result, idle', (l) => restoreCell(M[l].restoreIdle));
  row('… the same, from navigation start', (l) => `${n(M[l].restoreIdle.sinceNavigation, 1)} ms`);
  row(`restore while ${opt.traffic} msgs arrive at 20/s (${opt.reloads} reloads/run)`, (l) => restoreCell(M[l].restoreTraffic));
  row('… messages lost / duplicated', (l) => `${M[l].restoreTraffic.lost} / ${M[l].restoreTraffic.duplicated} of ${M[l].restoreTraffic.sent}`);
}
const md = [
  `Benchmark ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, medians of ${opt.runs} runs (commit ${machine.commit ?? '?'}): ` +
    `${machine.cpus} cores (${machine.cpu}), ${machine.os}, load average ${machine.loadavgAtStart.join(' ')} at start; ` +
    `Chromium ${machine.chromium} headless; ${machine.prosody ?? 'Prosody'} on loopback; node ${machine.node}; strophe.js ${machine.strophe} from npm.`,
  '',
  `| figure | ${LIBS.map((l) => NAMES[l]).join(' | ')} |`,
  `|---|${LIBS.map(() => '---').join('|')}|`,
  ...rows,
  '',
  'Download: xmpp-wasm = pkg/xmpp_wasm_bg.wasm + pkg/xmpp_wasm.js; Strophe = dist/strophe.umd.min.js. ' +
    'req = HTTP requests to /http-bind from the call to the result; "at unload" = requests the reloaded page sent after reload(). ' +
    'init: from the start of the import (Strophe: of its <script>) until init() resolved; repeat visit = the page loaded again in the same browser context; ' +
    'demo-server.mjs sends Cache-Control: no-cache (a repeat visit revalidates each file, 304), Prosody no Cache-Control (a repeat visit within seconds uses the cache as it is); ' +
    'preload = <link rel=modulepreload> + <link rel=preload as=fetch crossorigin> added at the start; fallback = the .wasm\'s response relabelled application/octet-stream ' +
    `(wasm-bindgen warned in ${M['xmpp-wasm'].initOctet.warned} of ${M['xmpp-wasm'].runs} runs).`,
  ...LIBS.filter((l) => M[l].failedRuns).map((l) => `${NAMES[l]}: ${M[l].failedRuns} run(s) failed (see the JSON).`),
].join('\n');
mkdirSync(`${HERE}/results`, { recursive: true });
const stamp = `${started.toISOString().slice(0, 16).replace(':', '')}${ONLY_INIT ? '-init' : ''}`;
writeFileSync(`${HERE}/results/${stamp}.json`, `${JSON.stringify(result, null, 1)}\n`);
writeFileSync(`${HERE}/results/${stamp}.md`, `${md}\n`);
console.log(md);
console.error(`\nwrote bench/results/${stamp}.md and .json`);
