// The Strophe.js drop-in (`xmpp-wasm/strophe`, npm/strophe.js) from the release tarball, against the
// local Prosody, in Debian's headless Chromium:
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT BOSH_URL=…/http-bind node tests/js/strophe.test.mjs [TGZ]
//
// 1. Two real Strophe.js plugins from npm, strophejs-plugin-disco and strophejs-plugin-roster, in a
//    blank app outside the repository that aliases `strophe.js` to `xmpp-wasm/strophe` (no copy of
//    Strophe.js is installed: --legacy-peer-deps, and the test checks). The app imports the plugins
//    as published (their `main`, UMD built by Rollup, `require('strophe.js')`), built with Vite 8 and
//    with esbuild. Alice and Bob log in; disco: Alice's disco#info query to the server gets its
//    identity and features, and Bob's query to Alice's full JID is answered by Alice's plugin (its
//    addHandler + send) with the identity/feature the app added; roster: get, add a contact → the
//    server's push is handled by the plugin (its handler, Strophe.forEachChild, getText) → the
//    callback sees the item with its group, remove → the push of `subscription='remove'`.
// 2. A static page written against Strophe.js's documented API (tests/js/pages/strophe-api.html),
//    loading the unpacked tarball's strophe.js with <script type="module">: connect with a callback,
//    addHandler, send, sendIQ (result and error), Builder chains c/t/up/attrs, getText, serialize,
//    xmlescape, JID helpers (results compared with the real Strophe.js 5.0.0's), addConnectionPlugin
//    (init per connection, statusChanged), Strophe.log, disconnect, reconnect (handlers dropped at
//    DISCONNECTED, as Strophe.js does), reset(), restore()'s StropheSessionError, anonymous login.
//
// Prints `ok`/`FAIL` lines and `strophe: N passed, M failed`; exits 1 on any failure.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launchChromium } from './harness.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const ORIGIN = process.env.HTTP_ORIGIN;
const BOSH_URL = process.env.BOSH_URL || `${ORIGIN}/http-bind`;
const TIMEOUT = Number(process.env.STROPHE_TIMEOUT_MS || 20000);
if (!ORIGIN) {
  console.error('strophe.test: HTTP_ORIGIN is not set (source .state/test/env from scripts/prosody.sh)');
  process.exit(2);
}
const version = JSON.parse(readFileSync(join(ROOT, 'pkg-bundler/package.json'), 'utf8')).version;
const TGZ = resolve(process.argv[2] || join(ROOT, `dist/xmpp-wasm-${version}.tgz`));

let passed = 0;
let failed = 0;
async function check(what, fn) {
  try {
    const detail = await fn();
    passed++;
    console.log(`ok   ${what}${detail ? `: ${detail}` : ''}`);
    return true;
  } catch (err) {
    failed++;
    console.log(`FAIL ${what}: ${String(err?.message ?? err).split('\n').slice(0, 12).join('\n     ')}`);
    return false;
  }
}
const assert = (cond, msg) => { if (!cond) throw new Error(msg); };
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// The app using the two plugins, written as for Strophe.js: only the alias makes it xmpp-wasm.
// Each step records [name, ok, detail] in window.results; data-done is set at the end.
const PLUGIN_APP = `
import { Strophe, $pres } from 'strophe.js';
import 'strophejs-plugin-disco';
import 'strophejs-plugin-roster';

const results = (window.results = []);
const record = (name, ok, detail) => results.push([name, !!ok, String(detail ?? '')]);
const finish = () => { document.body.dataset.done = '1'; };
const timer = setTimeout(() => { record('finished in time', false, 'timed out'); finish(); }, ${TIMEOUT - 3000});
const login = (jid, pass) => new Promise((resolve, reject) => {
  const conn = new Strophe.Connection('/http-bind');
  const seen = [];
  conn.connect(jid, pass, (status, condition) => {
    seen.push(status);
    if (status === Strophe.Status.CONNECTED) resolve(conn);
    else if ([Strophe.Status.CONNFAIL, Strophe.Status.AUTHFAIL, Strophe.Status.DISCONNECTED].includes(status)) {
      reject(new Error(jid + ': status ' + status + ' ' + condition + ' after ' + seen.join(',')));
    }
  });
  return conn;
});
const iq = (f) => new Promise((ok, err) => f(ok, (e) => err(new Error(e ? Strophe.serialize(e) : 'timeout'))));
const attrsOf = (el, tag, name) => Array.from(el.getElementsByTagName(tag), (e) => e.getAttribute(name));

try {
  const stamp = Date.now().toString(36);
  const [alice, bob] = await Promise.all([login('alice@localhost/disco-' + stamp, 'alice-pass'), login('bob@localhost/disco-' + stamp, 'bob-pass')]);
  record('plugins attached to each connection', alice.disco && alice.roster && bob.disco, Object.keys(alice).filter((k) => k === 'disco' || k === 'roster').join(' '));

  // --- disco ---
  const server = await iq((ok, err) => alice.disco.info('localhost', null, ok, err, 5000));
  const ids = attrsOf(server, 'identity', 'category');
  const feats = attrsOf(server, 'feature', 'var');
  record('disco: info query to the server answered', server.getAttribute('type') === 'result' && ids.includes('server') && feats.includes(Strophe.NS.DISCO_INFO),
    'identities ' + ids.join(',') + '; ' + feats.length + ' features');
  alice.disco.addIdentity('client', 'web', 'xmpp-wasm drop-in ' + stamp);
  alice.disco.addFeature('urn:x-xmpp-wasm:test');
  alice.disco.addItem('localhost', 'the server');
  const answer = await iq((ok, err) => bob.disco.info(alice.jid, null, ok, err, 5000));
  const ident = answer.getElementsByTagName('identity')[0];
  record("disco: Alice's plugin answers Bob's disco#info with what the app added",
    answer.getAttribute('from') === alice.jid && ident?.getAttribute('name') === 'xmpp-wasm drop-in ' + stamp
      && ident?.getAttribute('category') === 'client' && attrsOf(answer, 'feature', 'var').includes('urn:x-xmpp-wasm:test'),
    Strophe.serialize(answer));
  const items = await iq((ok, err) => bob.disco.items(alice.jid, null, ok, err, 5000));
  record("disco: Alice's plugin answers disco#items", attrsOf(items, 'item', 'jid').join() === 'localhost', Strophe.serialize(items));

  // --- roster ---
  const first = await new Promise((ok) => alice.roster.get(ok));
  const carol = 'carol-' + stamp + '@localhost';
  record('roster: get returns the items (an array, without the new contact)', Array.isArray(first) && !first.some((i) => i.jid === carol), first.length + ' items');
  const pushed = new Promise((ok) => alice.roster.registerCallback((list, item) => { if (item && item.jid === carol) ok([item, list.length]); }));
  const added = new Promise((ok) => alice.roster.add(carol, 'Carol', ['Friends'], ok));
  const [[item, count], addResult] = await Promise.all([pushed, added]);
  record('roster: add → the server pushes the item, the plugin handles the push',
    addResult.getAttribute('type') === 'result' && item.name === 'Carol' && item.groups.join() === 'Friends' && item.subscription === 'none'
      && alice.roster.findItem(carol) === item,
    JSON.stringify({ name: item.name, groups: item.groups, subscription: item.subscription, count }));
  const again = await new Promise((ok) => alice.roster.get(ok));
  record('roster: a new get lists the contact', again.some((i) => i.jid === carol && i.groups.join() === 'Friends'), again.length + ' items');
  const removed = new Promise((ok) => alice.roster.registerCallback((list, it) => { if (it && it.jid === carol && it.subscription === 'remove') ok(list); }));
  alice.roster.remove(carol, () => {});
  const after = await removed;
  record('roster: remove → the push of subscription=remove drops it', !after.some((i) => i.jid === carol) && !alice.roster.findItem(carol), after.length + ' items');

  // presence through the roster plugin's presence handler does not break anything
  alice.send($pres());
  await new Promise((ok) => {
    let n = 0;
    for (const c of [alice, bob]) c.connect_callback = ((prev) => (s, cond) => { prev(s, cond); if (s === Strophe.Status.DISCONNECTED && ++n === 2) ok(); })(c.connect_callback);
    alice.disconnect();
    bob.disconnect();
  });
  record('both disconnect', !alice.connected && !bob.connected, '');
} catch (e) {
  record('no exception', false, e?.stack ?? e);
}
clearTimeout(timer);
finish();
`;

const HTML = (script) => `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>xmpp-wasm strophe drop-in test</title></head>
<body>${script}</body></html>
`;

/** Opens `path`, waits for data-done, returns window.results; page errors fail the check. */
async function runPage(browser, origin, path) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console.error: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  try {
    const resp = await page.goto(`${origin}${path}`);
    assert(resp.ok(), `HTTP ${resp.status()}`);
    await page.waitForFunction(() => document.body.dataset.done, null, { timeout: TIMEOUT }).catch(() => {});
    const results = await page.evaluate(() => window.results ?? null);
    assert(results, `no results; ${errors.join('; ')}`);
    return { results, errors };
  } finally {
    await page.close();
  }
}

const report = async (label, { results, errors }, expected) => {
  for (const [name, ok, detail] of results) {
    await check(`${label}: ${name}`, () => { assert(ok, detail); return detail.length > 160 ? `${detail.slice(0, 160)}…` : detail; });
  }
  await check(`${label}: all ${expected} steps ran, no page error`, () => {
    assert(results.length === expected, `${results.length} of ${expected} steps: ${results.map((r) => r[0]).join(' | ')}`);
    assert(!errors.length, errors.join('; '));
  });
};

if (!existsSync(TGZ)) {
  console.log(`FAIL the release tarball ${TGZ} is missing (make package)`);
  console.log('strophe: 0 passed, 1 failed');
  process.exit(1);
}

const APP = mkdtempSync(join(tmpdir(), 'xmpp-wasm-strophe-'));
let server;
let browser;
try {
  writeFileSync(join(APP, 'package.json'), `${JSON.stringify({ name: 'strophe-app', private: true, type: 'module' }, null, 2)}\n`);
  const installed = await check('npm install the tarball, vite@8, esbuild, strophejs-plugin-disco, strophejs-plugin-roster (no strophe.js)', () => {
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', '--legacy-peer-deps',
      TGZ, 'vite@^8', 'esbuild@^0.28', 'strophejs-plugin-disco@0.0.2', 'strophejs-plugin-roster@1.1.0'], APP);
    assert(!existsSync(join(APP, 'node_modules/strophe.js')), 'a real strophe.js was installed');
    const v = (name) => JSON.parse(readFileSync(join(APP, 'node_modules', name, 'package.json'), 'utf8')).version;
    const pkg = JSON.parse(readFileSync(join(APP, 'node_modules/xmpp-wasm/package.json'), 'utf8'));
    assert(pkg.exports['./strophe']?.default === './strophe.js' && pkg.exports['./strophe']?.types === './strophe.d.ts', `exports ${JSON.stringify(pkg.exports)}`);
    return `vite ${v('vite')}, esbuild ${v('esbuild')}, disco ${v('strophejs-plugin-disco')}, roster ${v('strophejs-plugin-roster')}`;
  });
  if (!installed) throw new Error('nothing to build');

  const write = (rel, text) => { mkdirSync(dirname(join(APP, rel)), { recursive: true }); writeFileSync(join(APP, rel), text); };
  write('vite/index.html', HTML('<script type="module" src="./main.js"></script>'));
  write('vite/main.js', PLUGIN_APP);
  write('vite.config.js', `import { defineConfig } from 'vite';
export default defineConfig({ root: 'vite', base: './', logLevel: 'warn',
  resolve: { alias: { 'strophe.js': 'xmpp-wasm/strophe' } },
  build: { outDir: '../dist/vite', emptyOutDir: true, target: 'es2022' } });
`);
  await check("vite build (Vite 8, alias 'strophe.js' → 'xmpp-wasm/strophe', no wasm plugin)", () => {
    run(join(APP, 'node_modules/.bin/vite'), ['build', '--config', 'vite.config.js'], APP);
  });
  // esbuild leaves `new URL('xmpp_wasm_bg.wasm', import.meta.url)` alone: the app says where the
  // .wasm went (the file loader) with `init()` of the drop-in, before its first connection.
  write('esbuild/wasm.js', `import { init } from 'xmpp-wasm/strophe';\nimport url from 'xmpp-wasm/web/xmpp_wasm_bg.wasm';\ninit(new URL(url, import.meta.url));\n`);
  write('esbuild/main.js', `import './wasm.js';\n${PLUGIN_APP}`);
  write('dist/esbuild/index.html', HTML('<script type="module" src="./main.js"></script>'));
  await check("esbuild --bundle --alias:strophe.js=xmpp-wasm/strophe --loader:.wasm=file", () => {
    run(join(APP, 'node_modules/.bin/esbuild'), ['esbuild/main.js', '--bundle', '--format=esm', '--minify', '--target=es2022',
      '--alias:strophe.js=xmpp-wasm/strophe', '--loader:.wasm=file', '--outdir=dist/esbuild', '--log-level=warning'], APP);
  });

  // The drop-in's types, resolved through the package's exports as a TypeScript app of the Vite
  // template would (strict, lib ES2022 + DOM, moduleResolution bundler), skipLibCheck off so the
  // .d.ts itself is checked; one deliberate mistake must be caught.
  write('ts/tsconfig.json', JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    moduleResolution: 'bundler', strict: true, noEmit: true, noUnusedLocals: true, skipLibCheck: false, types: [] }, include: ['*.ts'] }));
  write('ts/app.ts', `import { Strophe, $iq, $msg, stx } from 'xmpp-wasm/strophe';
Strophe.addConnectionPlugin('p', { init(conn) { conn.addHandler(() => true, Strophe.NS.DISCO_INFO, 'iq', 'get'); } });
const conn = new Strophe.Connection('/http-bind', { keepalive: true, mechanisms: [Strophe.SASLSHA256, 'PLAIN'] });
conn.connect('alice@localhost', 'pw', (status, condition) => { if (status === Strophe.Status.CONNFAIL) console.log(condition); });
const id: string = conn.sendIQ($iq({ type: 'get' }).c('query', { xmlns: Strophe.NS.ROSTER }), (el) => Strophe.getText(el), (el) => el === null, 5000);
conn.send([$msg({ to: 'bob@localhost', type: 'chat' }).c('body').t('hi').up().attrs({ id }), stx\`<presence xmlns="jabber:client"/>\`]);
conn.rawInput = (data) => console.log(data.length);
Strophe.log = (level, msg) => console.log(level, msg);
const s: string | null = Strophe.serialize($msg().tree());
console.log(s, Strophe.xmlescape('<'), Strophe.getBareJidFromJid(conn.jid), conn.p);
// @ts-expect-error: a status callback is not a string
conn.connect('alice@localhost', 'pw', 'callback');
`);
  await check("tsc --strict: an app against xmpp-wasm/strophe's types (lib ES2022+DOM, bundler resolution)", () => {
    run(join(ROOT, 'examples/ts/node_modules/.bin/tsc'), ['-p', 'ts'], APP);
  });

  // The page written against Strophe.js's documented API, on the unpacked tarball.
  mkdirSync(join(APP, 'static'), { recursive: true });
  run('tar', ['-xzf', TGZ, '-C', join(APP, 'static')]);
  copyFileSync(join(HERE, 'pages/strophe-api.html'), join(APP, 'static/strophe-api.html'));
  // The real Strophe.js 5.0.0, in a directory of its own (not the app's node_modules): the page
  // takes the expected results of the helpers from it.
  await check('npm install strophe.js@5.0.0 beside the app, as the reference for the helpers', () => {
    run('npm', ['install', '--prefix', join(APP, 'reference'), '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error',
      'strophe.js@5.0.0'], APP);
    mkdirSync(join(APP, 'static/reference'), { recursive: true });
    copyFileSync(join(APP, 'reference/node_modules/strophe.js/dist/strophe.esm.js'), join(APP, 'static/reference/strophe.esm.js'));
  });

  await check('the drop-in is its own file: gzip size, and the core entries do not import it', () => {
    const drop = readFileSync(join(APP, 'static/package/strophe.js'));
    for (const f of ['xmpp_wasm.js', 'xmpp_wasm_bg.js', 'web/xmpp_wasm.js']) {
      assert(!readFileSync(join(APP, 'static/package', f), 'utf8').includes('strophe.js'), `${f} refers to strophe.js`);
    }
    return `strophe.js ${drop.length} B, ${gzipSync(drop, { level: 9 }).length} B gzip -9`;
  });

  server = await startDemoServer({ site: APP, bosh: BOSH_URL });
  browser = await launchChromium(chromium);
  await report('Vite 8 app, disco + roster plugins', await runPage(browser, server.origin, '/dist/vite/index.html'), 9);
  await report('esbuild app, disco + roster plugins', await runPage(browser, server.origin, '/dist/esbuild/index.html'), 9);
  await report("static page on Strophe.js's documented API", await runPage(browser, server.origin, `/static/strophe-api.html?anon=${encodeURIComponent(process.env.XMPP_ANON_DOMAIN || 'anon.localhost')}`), 30);
} catch (err) {
  if (!failed) { failed++; console.log(`FAIL ${err?.message ?? err}`); }
} finally {
  await browser?.close().catch(() => {});
  await server?.close();
  if (process.env.STROPHE_KEEP === '1') console.log(`kept ${APP}`);
  else rmSync(APP, { recursive: true, force: true });
}
console.log(`strophe: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
