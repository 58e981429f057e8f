// Login benchmark: time and HTTP requests from connect() to CONNECTED, in
// Debian's headless Chromium against the local Prosody, for PLAIN and
// SCRAM-SHA-1, on loopback and with 100 ms of added latency (CDP
// Network.emulateNetworkConditions). Prints figures; asserts nothing.
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT node tests/js/bench-login.mjs [runs]
import { chromium } from 'playwright-core';
import { launchChromium, median } from './harness.mjs';

const ORIGIN = process.env.HTTP_ORIGIN;
const RUNS = Number(process.argv[2] || 7);
if (!ORIGIN) {
  console.error('bench-login: HTTP_ORIGIN is not set');
  process.exit(2);
}
const browser = await launchChromium(chromium);
try {
  const page = await browser.newPage();
  await page.goto(`${ORIGIN}/index.html`);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  console.log(`login to CONNECTED, median of ${RUNS} runs (after one warm-up):`);
  for (const latency of [0, 100]) {
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency, downloadThroughput: -1, uploadThroughput: -1,
    });
    for (const mech of ['PLAIN', 'SCRAM-SHA-1']) {
      const results = [];
      for (let i = 0; i <= RUNS; i++) {
        const r = await page.evaluate(async (mech) => {
          const { default: init, Connection } = await import('/pkg/xmpp_wasm.js');
          await init();
          const conn = new Connection('/http-bind', { mechanisms: [mech] });
          let requests = 0, atConnected = 0;
          conn.rawOutput = () => { requests++; };
          const t0 = performance.now();
          await conn.connect('alice@localhost/bench', 'alice-pass', (s) => { if (s === 5) atConnected = requests; });
          const ms = performance.now() - t0;
          await conn.disconnect();
          return { ms, requests: atConnected };
        }, mech);
        if (i > 0) results.push(r);
      }
      const ms = median(results.map((r) => r.ms));
      const reqs = [...new Set(results.map((r) => r.requests))].join('/');
      console.log(`  ${mech.padEnd(12)} +${String(latency).padStart(3)} ms latency: ${ms.toFixed(1).padStart(7)} ms, ${reqs} requests`);
    }
  }
} finally {
  await browser.close();
}
