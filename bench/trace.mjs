// Where the echo and login time goes: timestamps in the page (performance.now() at the
// rawOutput/rawInput hooks, which both libraries call when a <body/> leaves and when one arrives),
// xmpp-wasm and Strophe.js 5.0.0 measured the same way in the same Chromium. Prints figures;
// asserts nothing. Needs a running Prosody serving bench/pages and Strophe's dist/ as
// scripts/bench.sh sets them up (/bench/, /strophe/, /pkg/):
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT node bench/trace.mjs [--runs N] [--echo N] [--pkg /pkg]
//     [--login 0] [--libs xmpp-wasm] [--chunk K]   (K: send K messages per task, not all in one)
//
// echo (N messages to the own full JID, sent in one task right after `await connect()`):
//   first out   ms from the first send() to the first request carrying messages (rawOutput)
//   reqs        requests that carried messages, and their sizes (KiB)
//   first in    ms to the first response carrying echoed messages (rawInput)
//   resps       responses that carried echoed messages
//   last in     ms to the last of them
//   done        ms to the N-th message handled (the benchmark's figure)
//   page        ms the page spent in send() calls and in the message handlers
// login at +100 ms per request (CDP Network.emulateNetworkConditions), PLAIN and SCRAM-SHA-1:
//   total, requests, and per request: ms on the wire (out → in) and ms in the page (in → next out);
//   floor: N sequential fetch() round trips to /http-bind (an empty POST, answered at once) from
//   the same page under the same emulation.
import { chromium } from 'playwright-core';
import { launchChromium, median } from '../tests/js/harness.mjs';

const ORIGIN = process.env.HTTP_ORIGIN;
if (!ORIGIN) {
  console.error('bench/trace.mjs: HTTP_ORIGIN is not set');
  process.exit(2);
}
const opt = { runs: 5, echo: 2000, pkg: '/pkg', login: 1, chunk: 0, libs: 'xmpp-wasm,strophe' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = /^\d+$/.test(argv[i + 1]) ? Number(argv[i + 1]) : argv[i + 1];

const browser = await launchChromium(chromium);
const r1 = (x) => Math.round(x * 10) / 10;

async function page(lib) {
  const context = await browser.newContext();
  const p = await context.newPage();
  p.on('pageerror', (e) => console.error(lib, 'page error', String(e)));
  await p.goto(`${ORIGIN}/bench/bench.html`); // no lib: loads nothing itself
  const cdp = await context.newCDPSession(p);
  await cdp.send('Network.enable');
  await p.evaluate(async ({ lib, pkg }) => {
    if (lib === 'xmpp-wasm') {
      const m = await import(`${pkg}/xmpp_wasm.js`);
      await m.default();
      window.L = { Connection: m.Connection, $msg: m.$msg, connect: (c, jid, pw) => c.connect(jid, pw) };
    } else {
      await new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = '/strophe/strophe.umd.min.js';
        s.onload = resolve;
        s.onerror = reject;
        document.head.append(s);
      });
      const { Strophe, $msg } = window;
      window.L = {
        Connection: Strophe.Connection,
        $msg,
        connect: (c, jid, pw) => new Promise((resolve, reject) => c.connect(jid, pw, (s) => {
          if (s === Strophe.Status.CONNECTED) resolve();
          else if (s === Strophe.Status.CONNFAIL || s === Strophe.Status.AUTHFAIL) reject(new Error(`status ${s}`));
        })),
      };
    }
  }, { lib, pkg: opt.pkg });
  return { p, cdp, context };
}

async function echo(p, n, chunk = 0) {
  return p.evaluate(async ([n, chunk]) => {
    const { Connection, $msg, connect } = window.L;
    const c = new Connection('/http-bind');
    const out = [], inn = [];
    const count = (t) => (t.match(/<message/g) || []).length;
    c.rawOutput = (t) => out.push([performance.now(), t.length, count(t)]);
    c.rawInput = (t) => inn.push([performance.now(), t.length, count(t)]);
    await connect(c, 'alice@localhost/trace', 'alice-pass');
    const me = c.jid;
    let got = 0, handled = 0, done;
    const all = new Promise((r) => { done = r; });
    c.addHandler((m) => {
      const h0 = performance.now();
      const b = m.getElementsByTagName('body')[0]?.textContent ?? '';
      if (b.startsWith('e') && ++got === n) done();
      handled += performance.now() - h0;
      return true;
    }, null, 'message');
    const o0 = out.length, i0 = inn.length;
    const t0 = performance.now();
    let sendMs = 0, s0 = t0;
    for (let i = 0; i < n; i++) {
      if (chunk && i && i % chunk === 0) {
        sendMs += performance.now() - s0;
        await new Promise((r) => setTimeout(r, 0));
        s0 = performance.now();
      }
      c.send($msg({ to: me, type: 'chat' }).c('body').t(`e${i}`));
    }
    sendMs += performance.now() - s0;
    await Promise.race([all, new Promise((r) => setTimeout(r, 60000))]);
    const doneMs = performance.now() - t0;
    const o = out.slice(o0).filter((x) => x[2] > 0), i = inn.slice(i0).filter((x) => x[2] > 0);
    c.disconnect();
    return {
      firstOut: o.length ? o[0][0] - t0 : NaN,
      reqs: o.map((x) => `${x[2]}/${Math.round(x[1] / 1024)}K`).join(' '),
      nreqs: o.length,
      firstIn: i.length ? i[0][0] - t0 : NaN,
      resps: i.length,
      lastIn: i.length ? i[i.length - 1][0] - t0 : NaN,
      done: doneMs,
      page: sendMs + handled,
      got,
    };
  }, [n, chunk]);
}

async function login(p, mech) {
  return p.evaluate(async (mech) => {
    const { Connection, connect } = window.L;
    const isWasm = !window.Strophe;
    const c = isWasm ? new Connection('/http-bind', { mechanisms: [mech] }) : new Connection('/http-bind', { mechanisms: [window.Strophe[mech === 'PLAIN' ? 'SASLPlain' : 'SASLSHA1']] });
    const ev = [];
    c.rawOutput = () => ev.push(['o', performance.now()]);
    c.rawInput = () => ev.push(['i', performance.now()]);
    const t0 = performance.now();
    await connect(c, 'alice@localhost/trace', 'alice-pass');
    const total = performance.now() - t0;
    const at = ev.length;
    await c.disconnect();
    // Pair each request with the next response (one request at a time during a login).
    const steps = [];
    let prevIn = t0, lastOut = null;
    for (const [k, t] of ev.slice(0, at)) {
      if (k === 'o') { steps.push({ page: t - prevIn }); lastOut = t; } else if (lastOut !== null) { steps[steps.length - 1].wire = t - lastOut; prevIn = t; }
    }
    return { total, steps, tail: t0 + total - prevIn };
  }, mech);
}

async function floor(p, n) {
  return p.evaluate(async (n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await (await fetch('/http-bind', { method: 'POST', body: '' })).text();
    return performance.now() - t0;
  }, n);
}

const libs = String(opt.libs).split(',');
const res = Object.fromEntries(libs.map((l) => [l, { echo: [], login: {}, floor: [] }]));
for (let run = 0; run < opt.runs; run++) {
  for (const lib of run % 2 ? [...libs].reverse() : libs) {
    const { p, cdp, context } = await page(lib);
    await echo(p, 50); // warm-up
    res[lib].echo.push(await echo(p, opt.echo, opt.chunk));
    if (opt.login) {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 100, downloadThroughput: -1, uploadThroughput: -1 });
      await floor(p, 1);
      for (const mech of ['PLAIN', 'SCRAM-SHA-1']) (res[lib].login[mech] ??= []).push(await login(p, mech));
      res[lib].floor.push(await floor(p, 4));
    }
    await context.close();
  }
}
await browser.close();

for (const lib of libs) {
  console.log(`\n## ${lib}, echo of ${opt.echo} (per run)`);
  console.log('| done ms | msg/s | first out | reqs (msgs/size) | first in | resps | last in | page ms |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const e of res[lib].echo) {
    console.log(`| ${r1(e.done)} | ${Math.round((e.got / e.done) * 1000)} | ${r1(e.firstOut)} | ${e.reqs} | ${r1(e.firstIn)} | ${e.resps} | ${r1(e.lastIn)} | ${r1(e.page)} |`);
  }
  const d = res[lib].echo.map((e) => e.done);
  console.log(`median done ${r1(median(d))} ms = ${Math.round((opt.echo / median(d)) * 1000)} msg/s`);
  if (!opt.login) continue;
  for (const mech of ['PLAIN', 'SCRAM-SHA-1']) {
    const ls = res[lib].login[mech];
    console.log(`${lib} login ${mech} +100: median ${r1(median(ls.map((l) => l.total)))} ms; runs:`);
    for (const l of ls) {
      console.log(`  ${r1(l.total)} ms, ${l.steps.length} req: ${l.steps.map((s) => `page ${r1(s.page)} + wire ${r1(s.wire)}`).join(' | ')} | tail ${r1(l.tail)}`);
    }
  }
  console.log(`${lib} floor: 4 sequential fetch() round trips at +100: median ${r1(median(res[lib].floor))} ms (${res[lib].floor.map(r1).join(', ')})`);
}
