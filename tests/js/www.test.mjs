// End-to-end test of the demo page (www/) in Debian's headless Chromium, driven by playwright-core.
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT node tests/js/www.test.mjs
//
// HTTP_ORIGIN is the local Prosody started by scripts/prosody.sh, which serves the site
// (www/ + pkg/) and BOSH (/http-bind) on one port. Steps: open the page, log in as
// alice@localhost, wait for CONNECTED, send a message to itself and see it arrive, take a
// screenshot (.state/test/www.png, or $WWW_SCREENSHOT), log out and see DISCONNECTED; then a
// wrong password (AUTHFAIL) and an anonymous login on anon.localhost.
// Exits non-zero on failure and always closes the browser.
import { chromium } from 'playwright-core';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ORIGIN = process.env.HTTP_ORIGIN;
const SCREENSHOT = process.env.WWW_SCREENSHOT || resolve(ROOT, '.state/test/www.png');
const TIMEOUT = Number(process.env.WWW_TIMEOUT_MS || 20000);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const JID = 'alice@localhost';

if (!ORIGIN) {
  console.error('www.test: HTTP_ORIGIN is not set (source .state/test/env from scripts/prosody.sh)');
  process.exit(2);
}

const FAIL_SHOT = SCREENSHOT.replace(/\.png$/, '-failed.png');
for (const f of [SCREENSHOT, FAIL_SHOT]) rmSync(f, { force: true }); // no stale pictures

let passed = 0;
let failed = 0;
const seen = []; // browser console lines and page errors, printed when something fails

function ok(what) {
  passed++;
  console.log(`ok   ${what}`);
}

async function check(what, fn) {
  try {
    const detail = await fn();
    ok(detail ? `${what}: ${detail}` : what);
  } catch (err) {
    failed++;
    console.log(`FAIL ${what}: ${err?.message?.split('\n')[0] ?? err}`);
    throw err;
  }
}

let browser;
try {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
    ],
  });
} catch (err) {
  console.log(`FAIL launch ${CHROMIUM}: ${err?.message?.split('\n')[0] ?? err}`);
  console.log('www: 0 passed, 1 failed');
  process.exit(1);
}

let page;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('console', (msg) => seen.push(`console.${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (err) => seen.push(`pageerror: ${err.message}`));
  page.on('requestfailed', (req) => seen.push(`requestfailed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`));

  const text = (sel) => page.locator(sel).innerText();
  const statusIs = (name) => page.waitForFunction(
    (n) => document.getElementById('status')?.textContent === n, name, { timeout: TIMEOUT });

  await check('page loads and the wasm package initialises', async () => {
    const resp = await page.goto(`${ORIGIN}/index.html`);
    if (!resp.ok()) throw new Error(`GET /index.html: HTTP ${resp.status()}`);
    await page.waitForFunction(() => !document.getElementById('login').disabled, null, { timeout: TIMEOUT })
      .catch(async (e) => { throw new Error(`Log in never enabled; #status=${await text('#status')} (${e.message})`); });
    return `#status=${await text('#status')}`;
  });

  await check(`log in as ${JID}`, async () => {
    await page.fill('#user', JID);
    await page.fill('#password', 'alice-pass');
    await page.click('#login');
    await statusIs('CONNECTED').catch(async () => {
      throw new Error(`#status is ${await text('#status')}, not CONNECTED; #log: ${(await text('#log')).replace(/\n/g, ' | ')}`);
    });
    const jid = await text('#jid');
    if (!jid.startsWith(`${JID}/`)) throw new Error(`#jid is "${jid}", expected ${JID}/<resource>`);
    return `#jid=${jid}; status changes: ${(await text('#log')).replace(/\n/g, ' | ')}`;
  });

  await check('raw XML is shown in #console (in and out)', async () => {
    const counts = await page.evaluate(() => ({
      in: document.querySelectorAll('#console .in').length,
      out: document.querySelectorAll('#console .out').length,
    }));
    if (!counts.in || !counts.out) throw new Error(`in=${counts.in} out=${counts.out}`);
    return `${counts.out} out, ${counts.in} in`;
  });

  const body = `ping from www.test ${Date.now()}`;
  await check('a message to itself arrives in #messages', async () => {
    const self = await text('#jid'); // the full JID: delivered to this very session
    await page.fill('#to', self);
    await page.fill('#body', body);
    await page.click('#send');
    await page.locator('#messages li.in', { hasText: body }).first().waitFor({ timeout: TIMEOUT });
    return (await page.locator('#messages li.in', { hasText: body }).first().innerText()).replace(/\n/g, ' ');
  });

  await check('screenshot', async () => {
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    return SCREENSHOT;
  });

  await check('log out', async () => {
    await page.click('#logout');
    await statusIs('DISCONNECTED').catch(async () => {
      throw new Error(`#status is ${await text('#status')}, not DISCONNECTED; #log: ${(await text('#log')).replace(/\n/g, ' | ')}`);
    });
    return `status changes: ${(await text('#log')).replace(/\n/g, ' | ')}`;
  });

  await check('a wrong password shows AUTHFAIL', async () => {
    await page.fill('#password', 'not-the-password');
    await page.click('#login');
    await page.waitForFunction(() => /AUTHFAIL/.test(document.getElementById('log').textContent), null, { timeout: TIMEOUT })
      .catch(async () => { throw new Error(`no AUTHFAIL; #log: ${(await text('#log')).replace(/\n/g, ' | ')}`); });
    await page.waitForFunction(() => !document.getElementById('login').disabled, null, { timeout: TIMEOUT });
    return `#status=${await text('#status')}`;
  });

  await check('anonymous login on anon.localhost, then log out', async () => {
    await page.fill('#user', 'anon.localhost');
    await page.fill('#password', '');
    await page.click('#login');
    await statusIs('CONNECTED').catch(async () => {
      throw new Error(`#status is ${await text('#status')}; #log: ${(await text('#log')).slice(-300).replace(/\n/g, ' | ')}`);
    });
    const jid = await text('#jid');
    if (!/@anon\.localhost\//.test(jid)) throw new Error(`#jid is "${jid}"`);
    await page.click('#logout');
    await statusIs('DISCONNECTED');
    return `#jid=${jid}`;
  });
} catch (err) {
  if (!failed) {
    failed++;
    console.log(`FAIL ${err?.message ?? err}`);
  }
  if (page) {
    const shot = FAIL_SHOT;
    try {
      mkdirSync(dirname(shot), { recursive: true });
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`     screenshot of the failure: ${shot}`);
    } catch { /* the page may be gone */ }
  }
} finally {
  await browser.close().catch(() => {});
}

if (failed && seen.length) {
  console.log('--- browser console / errors:');
  for (const line of seen.slice(-40)) console.log(`     ${line}`);
}
console.log(`www: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
