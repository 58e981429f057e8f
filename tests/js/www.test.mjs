// End-to-end test of the demo page (www/) in Debian's headless Chromium, driven by playwright-core.
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT node tests/js/www.test.mjs
//
// HTTP_ORIGIN is the local Prosody started by scripts/prosody.sh (BOSH at /http-bind). The page is
// served as `make demo` serves it: by scripts/demo-server.mjs (started here on a free port), from
// the site dir scripts/test.sh populates ($WWW_SITE, default .state/test/site: www/ + pkg/),
// gzip-compressed, with /http-bind forwarded to Prosody. Steps:
//   0. the server sends the wasm, the JS glue and the page gzip-compressed (and the same bytes);
//   1. open the page: restore() finds no session, the login form shows, and the log does not
//      mention it (a fresh load is not news);
//   2. log in as alice@localhost with PLAIN: CONNECTED, and the page reports 4 HTTP requests;
//   3. the XML console shows both directions; the roster loads; alice adds bob@localhost
//      (removed first if an earlier run left him there);
//   4. bob logs in on a second page with the default mechanism (SCRAM-SHA-1: 5 HTTP requests),
//      accepts alice's request and asks for hers; alice sees him online and accepts;
//   5. a message from alice to herself and one from bob arrive on alice's page;
//   6. reload: the session is restored (ATTACHED, same JID, no login form, messages and bob's
//      presence kept, the To field as it was) and works (a second message to herself arrives);
//   7. screenshot (.state/test/www.png, or $WWW_SCREENSHOT) and a check of what it shows;
//   8. log out (DISCONNECTED; a reload then shows the login form again);
//   9. a wrong password (the pill stays AUTHFAIL after the DISCONNECTED that follows, with an
//      explanation); an anonymous login on anon.localhost;
//  9b. the transport choice, on a second demo server whose host-meta lists a refusing WebSocket
//      endpoint first: auto logs in over BOSH (discovery; past the WebSocket once the driver has
//      fallback), WebSocket alone shows an error, BOSH chosen is shown, kept and restored after a
//      reload (steps 2 and 6 check the display too: auto → bosh on the first server);
//  10. prebind: an unreachable service shows a clear error (pill PREBIND FAILED, not ATTACHFAIL:
//      no session was ever attached); then examples/prebind.rs (started
//      here with cargo, as bob@localhost) hands a session over: ATTACHED, roster loads.
//      WWW_PREBIND=0 skips the part that needs cargo.
// Exits non-zero on failure and always closes the browser and the prebind service.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, freePort, launchChromium } from './harness.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PROSODY_ORIGIN = process.env.HTTP_ORIGIN;
const BOSH_URL = process.env.BOSH_URL || `${PROSODY_ORIGIN}/http-bind`;
const SITE = resolve(ROOT, process.env.WWW_SITE || '.state/test/site');
const SCREENSHOT = process.env.WWW_SCREENSHOT || resolve(ROOT, '.state/test/www.png');
const TIMEOUT = Number(process.env.WWW_TIMEOUT_MS || 20000);
const PREBIND = process.env.WWW_PREBIND !== '0';
const ALICE = 'alice@localhost';
const BOB = 'bob@localhost';

if (!PROSODY_ORIGIN) {
  console.error('www.test: HTTP_ORIGIN is not set (source .state/test/env from scripts/prosody.sh)');
  process.exit(2);
}

const FAIL_SHOT = SCREENSHOT.replace(/\.png$/, '-failed.png');
for (const f of [SCREENSHOT, FAIL_SHOT]) rmSync(f, { force: true }); // no stale pictures

let passed = 0;
let failed = 0;
const seen = []; // browser console lines and page errors, printed when something fails

async function check(what, fn) {
  try {
    const detail = await fn();
    passed++;
    console.log(`ok   ${detail ? `${what}: ${detail}` : what}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${what}: ${err?.message?.split('\n')[0] ?? err}`);
    throw err;
  }
}

// A page of the demo, with the steps the test takes on it.
async function openPage(browser, who) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('console', (msg) => seen.push(`[${who}] console.${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (err) => seen.push(`[${who}] pageerror: ${err.message}`));
  page.on('requestfailed', (req) => seen.push(`[${who}] requestfailed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`));

  const text = (sel) => page.locator(sel).innerText();
  const log = async () => (await text('#log')).replace(/\n/g, ' | ').slice(-400);
  const p = {
    page,
    text,
    log,
    // The status log since the page was last (re)loaded.
    logSinceLoad: async () => (await text('#log')).split('— page loaded —').pop(),
    statusIs: (name) => page.waitForFunction(
      (n) => document.getElementById('status')?.textContent === n, name, { timeout: TIMEOUT })
      .catch(async () => { throw new Error(`[${who}] #status is ${await text('#status')}, not ${name}; #log: ${await log()}`); }),
    loginEnabled: () => page.waitForFunction(
      () => !document.getElementById('login').disabled && !document.getElementById('account').hidden, null, { timeout: TIMEOUT })
      .catch(async () => { throw new Error(`[${who}] no usable login form; #status=${await text('#status')}; #log: ${await log()}`); }),
    requestCount: () => page.locator('#login-requests').getAttribute('data-count').then(Number),
    // The transport chosen in the form, the one shown in the status bar, and the service in the footer.
    transportShown: () => page.evaluate(() => ({
      choice: document.getElementById('transport-choice').value,
      transport: document.getElementById('transport').hidden ? null : document.getElementById('transport').textContent,
      service: document.getElementById('service').textContent,
    })),
    stats: async () => `${await text('#login-how')}, ${await text('#login-time')}, ${await text('#login-requests')}`,
    async logIn(mode, fill) {
      await page.click(`label.tab:has(#mode-${mode})`); // the radio itself is visually hidden
      if (!(await page.isChecked(`#mode-${mode}`))) throw new Error(`the ${mode} tab is not selected`);
      for (const [sel, value] of Object.entries(fill)) {
        if (sel === '#mechanism' || sel === '#transport-choice') await page.selectOption(sel, value);
        else await page.fill(sel, value);
      }
      await page.click('#login');
    },
    async logOut() {
      await page.click('#logout');
      await p.statusIs('DISCONNECTED');
      await p.loginEnabled();
    },
    async rosterLoaded() {
      await page.locator('#roster').waitFor();
      await page.waitForFunction(() => !/Loading/.test(document.getElementById('roster-list').textContent));
    },
    contact: (jid) => page.locator(`#roster-list li[data-jid="${jid}"]`),
    async send(to, body) {
      await page.fill('#to', to);
      await page.fill('#body', body);
      await page.click('#send');
    },
    async received(body) {
      const item = page.locator('#messages li.in', { hasText: body }).first();
      await item.waitFor({ timeout: TIMEOUT });
      return (await item.innerText()).replace(/\n/g, ' ');
    },
  };
  return p;
}

let browser;
let server;
try {
  server = await startDemoServer({ site: SITE, bosh: BOSH_URL });
  browser = await launchChromium(chromium);
} catch (err) {
  console.log(`FAIL start the demo server (${SITE}) or launch ${CHROMIUM}: ${err?.message?.split('\n')[0] ?? err}`);
  console.log('www: 0 passed, 1 failed');
  await server?.close();
  process.exit(1);
}
const ORIGIN = server.origin;

// GET `path` from the demo server asking for gzip: {status, encoding, body (decoded)}.
const fetchGzip = (path, origin = ORIGIN) => new Promise((res, rej) => {
  get(`${origin}${path}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } }, (r) => {
    const chunks = [];
    r.on('data', (c) => chunks.push(c));
    r.on('end', () => {
      const wire = Buffer.concat(chunks);
      const encoding = r.headers['content-encoding'];
      res({ status: r.statusCode, encoding, wire: wire.length, body: encoding === 'gzip' ? gunzipSync(wire) : wire });
    });
  }).on('error', rej);
});

let alice;
let bob;
let prebind;
try {
  await check('the demo server sends the wasm, the JS glue and the page gzip-compressed', async () => {
    const sizes = [];
    for (const [path, file] of [['/pkg/xmpp_wasm_bg.wasm', 'pkg/xmpp_wasm_bg.wasm'], ['/pkg/xmpp_wasm.js', 'pkg/xmpp_wasm.js'],
      ['/app.js', 'www/app.js'], ['/index.html', 'www/index.html']]) {
      const r = await fetchGzip(path);
      if (r.status !== 200 || r.encoding !== 'gzip') throw new Error(`GET ${path}: HTTP ${r.status}, content-encoding ${r.encoding}`);
      if (!r.body.equals(readFileSync(resolve(ROOT, file)))) throw new Error(`GET ${path}: the decompressed body differs from ${file}`);
      sizes.push(`${path} ${r.body.length} -> ${r.wire} B`);
    }
    return sizes.join(', ');
  });

  alice = await openPage(browser, 'alice');
  const { page } = alice;

  await check('page loads (wasm gzip), the wasm package initialises, restore() finds nothing: login form, nothing logged about it', async () => {
    const wasm = page.waitForResponse((r) => r.url().endsWith('/xmpp_wasm_bg.wasm'));
    const resp = await page.goto(`${ORIGIN}/index.html`);
    if (!resp.ok()) throw new Error(`GET /index.html: HTTP ${resp.status()}`);
    const enc = (await (await wasm).allHeaders())['content-encoding'];
    if (enc !== 'gzip') throw new Error(`the page's wasm came with content-encoding ${enc}`);
    await alice.loginEnabled();
    await alice.statusIs('READY');
    const log = await alice.logSinceLoad();
    if (/restore/.test(log)) throw new Error(`a fresh load logs about restoring: #log: ${log.replace(/\n/g, ' | ')}`);
    return `#status=${await alice.text('#status')}; #log: ${log.trim().replace(/\n/g, ' | ')}`;
  });

  let jid;
  await check(`log in as ${ALICE} with PLAIN: CONNECTED in 4 HTTP requests`, async () => {
    await alice.logIn('password', { '#user': ALICE, '#password': 'alice-pass', '#mechanism': 'PLAIN' });
    await alice.statusIs('CONNECTED');
    jid = await alice.text('#jid');
    if (!jid.startsWith(`${ALICE}/`)) throw new Error(`#jid is "${jid}", expected ${ALICE}/<resource>`);
    const n = await alice.requestCount();
    if (n !== 4) throw new Error(`the page counted ${n} requests (${await alice.stats()}), expected 4 for PLAIN`);
    if (!(await page.isHidden('#account'))) throw new Error('the login form is still shown');
    // The default choice, auto, discovered this server's host-meta, which lists only BOSH here.
    const shown = await alice.transportShown();
    if (shown.choice !== 'auto' || shown.transport !== 'bosh' || shown.service !== `${ORIGIN}/http-bind`) {
      throw new Error(`transport choice/display: ${JSON.stringify(shown)}, expected auto → bosh at ${ORIGIN}/http-bind`);
    }
    return `#jid=${jid}; ${await alice.stats()}; ${shown.choice} → ${shown.transport} ${shown.service}`;
  });

  await check('raw XML is shown in #console (in and out)', async () => {
    const counts = await page.evaluate(() => ({
      in: document.querySelectorAll('#console .in').length,
      out: document.querySelectorAll('#console .out').length,
    }));
    if (!counts.in || !counts.out) throw new Error(`in=${counts.in} out=${counts.out}`);
    return `${counts.out} out, ${counts.in} in`;
  });

  await check(`the roster loads; alice adds ${BOB}`, async () => {
    await alice.rosterLoaded();
    if (await alice.contact(BOB).count()) { // left by an earlier run: start from scratch
      await page.click(`#roster-list li[data-jid="${BOB}"] .remove`, { force: true });
      await alice.contact(BOB).waitFor({ state: 'detached' });
    }
    await page.fill('#contact-jid', BOB);
    await page.click('#add-contact-btn');
    await alice.contact(BOB).filter({ hasText: 'request sent' }).waitFor();
    return (await alice.contact(BOB).innerText()).replace(/\n/g, ' ');
  });

  await check(`${BOB} logs in on a second page (default: SCRAM-SHA-1 in 5 HTTP requests) and accepts`, async () => {
    bob = await openPage(browser, 'bob');
    await bob.page.goto(`${ORIGIN}/`);
    await bob.loginEnabled();
    await bob.logIn('password', { '#user': BOB, '#password': 'bob-pass', '#mechanism': '' });
    await bob.statusIs('CONNECTED');
    const how = await bob.text('#login-how');
    const n = await bob.requestCount();
    if (!how.includes('SCRAM-SHA-1') || n !== 5) throw new Error(`${await bob.stats()}; expected SCRAM-SHA-1 in 5 requests`);
    const request = bob.page.locator('#requests li', { hasText: `${ALICE} wants to see your presence` });
    await request.waitFor();
    await request.locator('button', { hasText: 'Accept' }).click();
    await bob.contact(ALICE).waitFor(); // the subscription back put alice in bob's roster
    return await bob.stats();
  });

  await check(`alice sees ${BOB} online and accepts his request`, async () => {
    await alice.contact(BOB).and(page.locator('[data-show="available"]')).waitFor();
    const request = page.locator('#requests li', { hasText: `${BOB} wants to see your presence` });
    await request.waitFor();
    await request.locator('button', { hasText: 'Accept' }).click();
    await bob.contact(ALICE).and(bob.page.locator('[data-show="available"]')).waitFor();
    return `alice: ${(await alice.contact(BOB).innerText()).replace(/\n/g, ' ')}; bob: ${(await bob.contact(ALICE).innerText()).replace(/\n/g, ' ')}`;
  });

  const toSelf = `ping from www.test ${Date.now()}`;
  const fromBob = `hi alice, bob here ${Date.now()}`;
  await check('a message to herself and one from bob arrive on alice\'s page', async () => {
    await alice.send(jid, toSelf); // the full JID: delivered to this very session
    const a = await alice.received(toSelf);
    await bob.send(ALICE, fromBob);
    const b = await alice.received(fromBob);
    return `${a} / ${b}`;
  });

  await check('reload: the session is restored (ATTACHED, same JID, no login form, view and To field kept)', async () => {
    const to = await page.inputValue('#to');
    await page.reload();
    await alice.statusIs('ATTACHED');
    const now = await alice.text('#jid');
    if (now !== jid) throw new Error(`#jid is "${now}", was "${jid}"`);
    if (!(await page.isHidden('#account'))) throw new Error('the login form is shown');
    await alice.received(toSelf);
    await alice.received(fromBob);
    await alice.contact(BOB).and(page.locator('[data-show="available"]')).waitFor();
    const toNow = await page.inputValue('#to');
    if (toNow !== to) throw new Error(`the To field was "${to}" before the reload, "${toNow}" after`);
    const shown = await alice.transportShown();
    if (shown.transport !== 'bosh' || shown.service !== `${ORIGIN}/http-bind`) throw new Error(`after the reload the page shows ${JSON.stringify(shown)}`);
    return `#jid=${now}; To=${toNow}; ${await alice.stats()}; since the reload: ${(await alice.logSinceLoad()).trim().replace(/\n/g, ' | ')}`;
  });

  const afterReload = `after the reload ${Date.now()}`;
  await check('the restored session works: a second message to herself arrives', async () => {
    await alice.send(jid, afterReload);
    return alice.received(afterReload);
  });

  await check('screenshot', async () => {
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.locator('#body').blur();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    return SCREENSHOT;
  });

  await check('the screenshot shows the status line, bob online in the roster, the messages, the console', async () => {
    const size = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
    const shown = async (locator, what) => {
      const box = await locator.boundingBox();
      if (!box || !(await locator.isVisible())) throw new Error(`${what} is not visible`);
      if (box.x < 0 || box.y < 0 || box.x + box.width > size.w + 1 || box.y + box.height > size.h + 1) {
        throw new Error(`${what} lies outside the page (${JSON.stringify(box)}, page ${size.w}x${size.h})`);
      }
    };
    await shown(page.locator('#status', { hasText: 'ATTACHED' }), 'the status ATTACHED');
    await shown(page.locator('#jid', { hasText: jid }), 'the JID');
    await shown(page.locator('#roster'), 'the roster section');
    await shown(alice.contact(BOB).and(page.locator('[data-show="available"]')), 'bob, online, in the roster');
    for (const b of [toSelf, fromBob, afterReload]) await shown(page.locator('#messages li.in', { hasText: b }).first(), `the message "${b}"`);
    await shown(page.locator('#console .xml').last(), 'the XML console');
    if (await page.isVisible('#login-form')) throw new Error('the login form is visible');
    return `page ${size.w}x${size.h}`;
  });

  await check('log out: DISCONNECTED, the login form is back; a reload does not restore', async () => {
    await alice.logOut();
    await bob.contact(ALICE).and(bob.page.locator('[data-show="offline"]')).waitFor(); // bob saw her go
    await page.reload();
    await alice.loginEnabled();
    if (/restore/.test(await alice.logSinceLoad())) throw new Error(`#log: ${await alice.log()}`);
    if ((await page.locator('#messages li.in').count()) !== 0) throw new Error('old messages are still shown');
    await bob.logOut();
    return `#status=${await alice.text('#status')}`;
  });

  await check('a wrong password: the pill shows AUTHFAIL (also after the DISCONNECTED that follows) and says why', async () => {
    await alice.logIn('password', { '#user': ALICE, '#password': 'not-the-password' });
    await page.waitForFunction(() => /AUTHFAIL[^]*DISCONNECTED/.test(document.getElementById('log').textContent.split('— page loaded —').pop()),
      null, { timeout: TIMEOUT })
      .catch(async () => { throw new Error(`no AUTHFAIL then DISCONNECTED; #log: ${await alice.log()}`); });
    await alice.loginEnabled();
    const pill = await alice.text('#status');
    if (pill !== 'AUTHFAIL') throw new Error(`the pill shows ${pill}; #log: ${await alice.log()}`);
    const error = await alice.text('#login-error');
    if (!/not-authorized/.test(error)) throw new Error(`#login-error is "${error}"`);
    return `pill ${pill}; #login-error="${error}"`;
  });

  await check('anonymous login on anon.localhost, then log out', async () => {
    await alice.logIn('anonymous', { '#anon-domain': 'anon.localhost' });
    await alice.statusIs('CONNECTED');
    const anon = await alice.text('#jid');
    if (!/@anon\.localhost\//.test(anon)) throw new Error(`#jid is "${anon}"`);
    const shown = await alice.stats();
    await alice.logOut();
    return `#jid=${anon}; ${shown}`;
  });

  // The transport choice, on a second demo server whose host-meta lists a WebSocket endpoint first
  // that refuses (nothing listens on its upstream port), then BOSH.
  await check('transport choice: auto falls back to BOSH past a refusing WebSocket; WebSocket alone fails clearly; BOSH chosen, kept, and restored after a reload', async () => {
    const refused = `ws://127.0.0.1:${await freePort()}/xmpp-websocket`;
    const other = await startDemoServer({ site: SITE, bosh: BOSH_URL, websocket: refused });
    try {
      const meta = JSON.parse((await fetchGzip('/.well-known/host-meta.json', other.origin)).body.toString());
      const rels = meta.links.map((l) => `${l.rel.split(':').pop()} ${l.href}`);
      if (rels.join() !== `websocket ws://${new URL(other.origin).host}/xmpp-websocket,xbosh ${other.origin}/http-bind`) throw new Error(`host-meta.json: ${rels}`);
      await page.goto(`${other.origin}/index.html`);
      await alice.loginEnabled();
      await alice.logIn('password', { '#transport-choice': 'auto', '#user': ALICE, '#password': 'alice-pass' });
      await alice.statusIs('CONNECTED');
      const auto = await alice.transportShown();
      if (auto.transport !== 'bosh' || auto.service !== `${other.origin}/http-bind`) throw new Error(`auto: ${JSON.stringify(auto)}`);
      await alice.logOut();

      await alice.logIn('password', { '#transport-choice': 'websocket', '#user': ALICE, '#password': 'alice-pass' });
      const error = page.locator('#login-error:not([hidden])');
      await error.waitFor();
      await alice.loginEnabled();
      const wsError = await error.innerText();
      if (/^(CONNECTED|ATTACHED)$/.test(await alice.text('#status'))) throw new Error(`WebSocket to a refusing endpoint: ${await alice.text('#status')}`);

      await alice.logIn('password', { '#transport-choice': 'bosh', '#user': ALICE, '#password': 'alice-pass' });
      await alice.statusIs('CONNECTED');
      const bosh = await alice.transportShown();
      if (bosh.transport !== 'bosh' || bosh.service !== `${other.origin}/http-bind`) throw new Error(`bosh: ${JSON.stringify(bosh)}`);
      await page.reload();
      await alice.statusIs('ATTACHED');
      const back = await alice.transportShown();
      if (back.choice !== 'bosh' || back.transport !== 'bosh' || back.service !== `${other.origin}/http-bind`) throw new Error(`after the reload: ${JSON.stringify(back)}`);
      await alice.logOut();
      return `auto → ${auto.transport}; WebSocket: "${wsError}"; bosh → ${bosh.transport}, reload ATTACHED on ${back.service}`;
    } finally {
      await page.goto(`${ORIGIN}/index.html`).catch(() => {});
      await other.close();
    }
  });

  await check('prebind from a service that is not there: a clear error', async () => {
    const port = await freePort(); // nothing listens there
    await alice.logIn('prebind', { '#prebind-url': `http://127.0.0.1:${port}/prebind` });
    const error = page.locator('#login-error', { hasText: 'Prebind failed' });
    await error.waitFor();
    await alice.loginEnabled();
    const pill = await alice.text('#status');
    if (pill !== 'PREBIND FAILED') throw new Error(`the pill shows ${pill}, not PREBIND FAILED; #log: ${await alice.log()}`);
    return `pill ${pill}; #login-error="${await error.innerText()}"; #log: ${(await alice.log()).split(' | ').slice(-3).join(' | ')}`;
  });

  if (PREBIND) {
    await check(`prebind from examples/prebind.rs (${BOB}): ATTACHED, roster loads`, async () => {
      const port = await freePort();
      prebind = spawn('cargo', ['run', '--quiet', '--example', 'prebind', '--', '--listen', `127.0.0.1:${port}`,
        '--bosh', BOSH_URL, '--jid', BOB, '--password', 'bob-pass'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      prebind.stdout.on('data', (d) => { out += d; });
      const exited = new Promise((res) => prebind.on('exit', (code) => res(`exit ${code}`)));
      let poll;
      const listening = new Promise((res) => {
        poll = setInterval(() => { if (out.includes('listening')) res(null); }, 50);
      });
      let timer;
      const late = new Promise((res) => { timer = setTimeout(() => res('timed out'), 300000); });
      const why = await Promise.race([listening, exited, late]);
      clearInterval(poll);
      clearTimeout(timer);
      if (why) throw new Error(`the prebind example did not start (${why})`);
      await alice.logIn('prebind', { '#prebind-url': `http://127.0.0.1:${port}/prebind` });
      await alice.statusIs('ATTACHED');
      const who = await alice.text('#jid');
      if (!who.startsWith(`${BOB}/`)) throw new Error(`#jid is "${who}"`);
      await alice.rosterLoaded();
      await alice.contact(ALICE).waitFor(); // bob's roster, from the first steps
      const shown = await alice.stats();
      await alice.logOut();
      return `#jid=${who}; ${shown}`;
    });
  }
} catch (err) {
  if (!failed) {
    failed++;
    console.log(`FAIL ${err?.message ?? err}`);
  }
  if (alice) {
    try {
      mkdirSync(dirname(FAIL_SHOT), { recursive: true });
      await alice.page.screenshot({ path: FAIL_SHOT, fullPage: true });
      console.log(`     screenshot of the failure: ${FAIL_SHOT}`);
    } catch { /* the page may be gone */ }
  }
} finally {
  if (prebind) prebind.kill('SIGTERM');
  await browser.close().catch(() => {});
  await server.close();
}

if (failed && seen.length) {
  console.log('--- browser console / errors:');
  for (const line of seen.slice(-40)) console.log(`     ${line}`);
}
console.log(`www: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
