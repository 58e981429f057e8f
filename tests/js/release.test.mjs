// The release tarball (scripts/package.sh → dist/xmpp-wasm-<version>.tgz) as a web developer
// gets it, against the local Prosody, in Debian's headless Chromium:
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT BOSH_URL=…/http-bind node tests/js/release.test.mjs [TGZ]
//
// 0. tsc --strict (TypeScript ~7.0.2) with the tsconfig of the Vite 8 vanilla-ts template compiles a
//    consumer of both entries and catches 6 deliberate mistakes.
// 1. A blank app in a fresh temp dir outside the repository: `npm install` of the tarball,
//    vite@8, vite-plugin-wasm and esbuild from the registry (--prefer-offline: after the first
//    run they come from npm's cache, so a run needs no network), and nothing else of the
//    repository. Checks what `npm install` put there (package.json exports, the files).
// 2. Built three ways, each a page that logs in as alice@localhost and shows CONNECTED:
//      vite-bundler/  Vite 8 + vite-plugin-wasm, `import { Connection } from 'xmpp-wasm'`
//      vite-web/      Vite 8, no plugin, `import init, { … } from 'xmpp-wasm/web'`
//      esbuild/       esbuild, `xmpp-wasm/web` + the .wasm as a file (`--loader:.wasm=file`)
//    and two plain static pages loading the unpacked tarball with no build step:
//      static/module.html   <script type="module"> import init from './package/web/xmpp_wasm.js'
//      static/classic.html  <script src="./package/classic/xmpp_wasm.js"> (global wasm_bindgen)
//    and the README's BOSH example as written (names of the account and server replaced), in a
//    static page.
// 3. All served by scripts/demo-server.mjs from the temp dir, /http-bind forwarded to Prosody.
//
// Prints `ok`/`FAIL` lines and `release: N passed, M failed`; exits 1 on any failure. Removes the
// temp dir unless RELEASE_KEEP=1. Prints how long the install and each build took.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './harness.mjs';
import { startDemoServer } from '../../scripts/demo-server.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ORIGIN = process.env.HTTP_ORIGIN;
const BOSH_URL = process.env.BOSH_URL || `${ORIGIN}/http-bind`;
const TIMEOUT = Number(process.env.RELEASE_TIMEOUT_MS || 20000);
if (!ORIGIN) {
  console.error('release.test: HTTP_ORIGIN is not set (source .state/test/env from scripts/prosody.sh)');
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
    console.log(`FAIL ${what}: ${String(err?.message ?? err).split('\n').slice(0, 8).join('\n     ')}`);
    return false;
  }
}
const assert = (cond, msg) => { if (!cond) throw new Error(msg); };
const timed = (fn) => { const t = Date.now(); fn(); return `${((Date.now() - t) / 1000).toFixed(1)} s`; };
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// The app's code, the same for every build: log in, show the status. `api` is what the entry
// point gives (after init() for the web build).
const LOGIN = `
export async function login(api, label) {
  const { Connection, Status } = api;
  const $ = (id) => document.getElementById(id);
  $('how').textContent = label;
  const conn = new Connection('/http-bind', { wait: 30 });
  try {
    await conn.connect('alice@localhost/release-' + label, 'alice-pass', (s) => { $('status').textContent = Status[s]; });
    $('jid').textContent = conn.jid;
    document.body.dataset.connected = Status[conn.status];
    await conn.disconnect();
  } catch (e) {
    $('status').textContent = 'FAILED ' + e.name + ': ' + e.message;
  }
}
`;
const TS_CONSUMER = `import { Connection, Status, $msg, $iq, ConnectionError, SessionError, TimeoutError, type StatusCallback } from 'xmpp-wasm';
import init, { Connection as WebConnection } from 'xmpp-wasm/web';

const onStatus: StatusCallback = (status, condition) => {
  if (status === Status.AUTHFAIL) console.log('wrong password', condition ?? '');
};

export async function main(): Promise<string> {
  await init();
  const web = new WebConnection('https://example.com/http-bind', { keepalive: true });
  const conn = new Connection('https://example.com/http-bind', { wait: 30, mechanisms: ['SCRAM-SHA-256', 'PLAIN'] });
  conn.addHandler((m: Element) => { console.log(m.getAttribute('from')); return true; }, null, 'message', 'chat');
  try {
    await web.restore(null, onStatus);
  } catch (e) {
    if (e instanceof SessionError) console.log(e.reason);
  }
  try {
    const s: Status = await conn.connect('alice@example.com', 'secret', onStatus);
    conn.send($msg({ to: 'bob@example.com', type: 'chat' }).c('body').t('hi'));
    const result: Element = await conn.sendIQAsync($iq({ type: 'get' }).c('ping', { xmlns: 'urn:xmpp:ping' }), 5000);
    return Status[s] + result.getAttribute('type');
  } catch (e) {
    if (e instanceof ConnectionError) return e.condition + (e.status ?? '') + (e.httpStatus ?? '');
    if (e instanceof TimeoutError) return e.condition;
    throw e;
  }
}

export function mistakes(conn: Connection): void {
  // @ts-expect-error a number is not a JID
  void conn.connect(42, 'secret');
  // @ts-expect-error not an option
  void new Connection('https://example.com/http-bind', { wiat: 30 });
  // @ts-expect-error the status callback gets a Status, not a string
  void conn.connect('a@b', 'p', (s: string) => s);
  // @ts-expect-error handlers return a boolean (keep or drop)
  conn.addHandler(() => 'yes');
  // @ts-expect-error ConnectionError.status may be undefined
  const st: Status = (null as unknown as ConnectionError).status;
  void st;
  // @ts-expect-error Builder.c takes attributes, not a number
  $msg().c('body', 5);
}
`;

const HTML = (script) => `<!doctype html>
<html><head><meta charset="utf-8"><title>xmpp-wasm release test</title></head>
<body><p><b id="how"></b> <b id="status">loading</b> <span id="jid"></span></p>
${script}
</body></html>
`;

if (!existsSync(TGZ)) {
  console.log(`FAIL the release tarball ${TGZ} is missing (make package)`);
  console.log('release: 0 passed, 1 failed');
  process.exit(1);
}

const APP = mkdtempSync(join(tmpdir(), 'xmpp-wasm-app-'));
assert(!APP.startsWith(ROOT), `the temp dir ${APP} is inside the repository`);
let server;
let browser;
try {
  // --- 1. install --------------------------------------------------------------------------------
  writeFileSync(join(APP, 'package.json'), `${JSON.stringify({ name: 'blank-app', private: true, type: 'module' }, null, 2)}\n`);
  const installed = await check(`npm install the tarball, vite@8, vite-plugin-wasm, esbuild into a blank app (${APP})`, () => {
    const took = timed(() => run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error',
      TGZ, 'vite@^8', 'vite-plugin-wasm@^3.6.0', 'esbuild@^0.28', 'typescript@~7.0.2'], APP));
    const v = (name) => JSON.parse(readFileSync(join(APP, 'node_modules', name, 'package.json'), 'utf8')).version;
    assert(v('vite').startsWith('8.'), `vite ${v('vite')}`);
    return `xmpp-wasm ${v('xmpp-wasm')}, vite ${v('vite')}, vite-plugin-wasm ${v('vite-plugin-wasm')}, esbuild ${v('esbuild')} in ${took}`;
  });
  if (!installed) throw new Error('nothing to build');

  await check('the installed package: exports ".", "./web", the classic script, types, README, licences', () => {
    const dir = join(APP, 'node_modules/xmpp-wasm');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    assert(pkg.exports['.'].types === './xmpp_wasm.d.ts' && pkg.exports['./web'].default === './web/xmpp_wasm.js', `exports ${JSON.stringify(pkg.exports)}`);
    for (const f of ['README.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'xmpp_wasm.js', 'xmpp_wasm_bg.wasm', 'xmpp_wasm.d.ts',
      'web/xmpp_wasm.js', 'web/xmpp_wasm_bg.wasm', 'web/xmpp_wasm.d.ts', 'classic/xmpp_wasm.js', 'classic/xmpp_wasm_bg.wasm']) {
      assert(existsSync(join(dir, f)), `${f} is missing`);
    }
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    assert(/npm install/.test(readme) && /xmpp-wasm\/web/.test(readme), 'the README does not say how to install and import it');
    // Minified glue: no line of the web entry longer than… rather, few lines for its size.
    const glue = readFileSync(join(dir, 'web/xmpp_wasm.js'), 'utf8');
    assert(glue.split('\n').length < glue.length / 200, `web/xmpp_wasm.js is not minified (${glue.split('\n').length} lines, ${glue.length} B)`);
    return `${pkg.name}@${pkg.version}: ${Object.keys(pkg.exports).join(' ')}`;
  });

  // --- 2. the apps -----------------------------------------------------------------------------
  const write = (rel, text) => { mkdirSync(dirname(join(APP, rel)), { recursive: true }); writeFileSync(join(APP, rel), text); };

  // TypeScript as a Vite 8 app gets it: the tsconfig.json of create-vite 9.3's vanilla-ts
  // template, word for word, plus "strict"; its TypeScript (~7.0.2). A consumer of both entries,
  // and deliberate mistakes that must each be an error (an unused @ts-expect-error fails tsc).
  write('ts/tsconfig.json', `${JSON.stringify({ compilerOptions: {
    target: 'es2023', module: 'esnext', lib: ['ES2023', 'DOM'], types: ['vite/client'],
    allowArbitraryExtensions: true, skipLibCheck: true, moduleResolution: 'bundler',
    allowImportingTsExtensions: true, verbatimModuleSyntax: true, moduleDetection: 'force',
    noEmit: true, noUnusedLocals: true, noUnusedParameters: true, erasableSyntaxOnly: true,
    noFallthroughCasesInSwitch: true, strict: true }, include: ['src'] }, null, 2)}\n`);
  write('ts/src/main.ts', TS_CONSUMER);
  await check('tsc --strict (TypeScript 7) with the Vite 8 vanilla-ts template\'s tsconfig: a consumer of xmpp-wasm and xmpp-wasm/web, 6 mistakes caught', () => {
    const v = JSON.parse(readFileSync(join(APP, 'node_modules/typescript/package.json'), 'utf8')).version;
    try {
      run(join(APP, 'node_modules/.bin/tsc'), ['-p', 'ts'], APP);
    } catch (e) {
      throw new Error(`tsc ${v}: ${(e.stdout || '') + (e.stderr || '')}`.slice(0, 3000));
    }
    return `typescript ${v}`;
  });
  write('login.js', LOGIN);
  // Vite 8, the bundler entry, vite-plugin-wasm (the ES module integration of WebAssembly).
  write('vite-bundler/index.html', HTML('<script type="module" src="./main.js"></script>'));
  write('vite-bundler/main.js', `import * as api from 'xmpp-wasm';\nimport { login } from '../login.js';\nlogin(api, 'vite-bundler');\n`);
  write('vite-bundler.config.js', `import { defineConfig } from 'vite';\nimport wasm from 'vite-plugin-wasm';\nexport default defineConfig({ root: 'vite-bundler', base: './', plugins: [wasm()], logLevel: 'warn', build: { outDir: '../dist/vite-bundler', emptyOutDir: true } });\n`);
  // Vite 8, the web entry: init() finds the .wasm by new URL(…, import.meta.url), which Vite emits.
  write('vite-web/index.html', HTML('<script type="module" src="./main.js"></script>'));
  write('vite-web/main.js', `import init, * as api from 'xmpp-wasm/web';\nimport { login } from '../login.js';\nawait init();\nlogin(api, 'vite-web');\n`);
  write('vite-web.config.js', `import { defineConfig } from 'vite';\nexport default defineConfig({ root: 'vite-web', base: './', logLevel: 'warn', build: { outDir: '../dist/vite-web', emptyOutDir: true } });\n`);
  // esbuild, the web entry, the .wasm copied as a file whose URL init() gets.
  write('esbuild/main.js', `import init, * as api from 'xmpp-wasm/web';\nimport wasmUrl from 'xmpp-wasm/web/xmpp_wasm_bg.wasm';\nimport { login } from '../login.js';\nawait init({ module_or_path: new URL(wasmUrl, import.meta.url) });\nlogin(api, 'esbuild');\n`);
  write('dist/esbuild/index.html', HTML('<script type="module" src="./main.js"></script>'));

  for (const name of ['vite-bundler', 'vite-web']) {
    await check(`vite build (Vite 8, ${name === 'vite-web' ? "'xmpp-wasm/web', no plugin" : "'xmpp-wasm' + vite-plugin-wasm"})`, () => {
      const took = timed(() => run(join(APP, 'node_modules/.bin/vite'), ['build', '--config', `${name}.config.js`], APP));
      const files = readdirSync(join(APP, 'dist', name, 'assets'));
      assert(files.some((f) => f.endsWith('.wasm')), `no .wasm emitted: ${files.join(' ')}`);
      return `${took}: ${files.join(' ')}`;
    });
  }
  await check('esbuild --bundle --format=esm --minify --loader:.wasm=file', () => {
    const took = timed(() => run(join(APP, 'node_modules/.bin/esbuild'), ['esbuild/main.js', '--bundle', '--format=esm', '--minify',
      '--loader:.wasm=file', '--outdir=dist/esbuild', '--log-level=warning'], APP));
    return `${took}: ${readdirSync(join(APP, 'dist/esbuild')).join(' ')}`;
  });

  // The static pages: the tarball unpacked next to them (tar gives package/).
  mkdirSync(join(APP, 'static'), { recursive: true });
  run('tar', ['-xzf', TGZ, '-C', join(APP, 'static')]);
  write('static/module.html', HTML(`<script type="module">
  import init, * as api from './package/web/xmpp_wasm.js';
  import { login } from '../login.js';
  await init();
  login(api, 'static-module');
</script>`));
  write('static/classic.html', HTML(`<script src="./package/classic/xmpp_wasm.js"></script>
<script>
  wasm_bindgen().then(function () {
    import('../login.js').then(function (m) { m.login(wasm_bindgen, 'static-classic'); });
  }, function (e) { document.getElementById('status').textContent = 'FAILED ' + e; });
</script>`));

  // The README's BOSH example, verbatim from the installed package's README but for the
  // account and server names and the import path (a static page imports the unpacked web entry).
  const readme = readFileSync(join(APP, 'node_modules/xmpp-wasm/README.md'), 'utf8');
  const example = /## Example \(BOSH\)\s*```js\n([^]*?)```/.exec(readme)?.[1];
  write('static/readme-example.html', HTML(`<script type="module">
${(example ?? 'throw new Error("no BOSH example in the README")')
    .replaceAll("'xmpp-wasm/web'", "'./package/web/xmpp_wasm.js'")
    .replaceAll('alice@example.org', 'alice@localhost').replaceAll("'secret'", "'alice-pass'")
    .replaceAll('bob@example.org', 'bob@localhost').replaceAll("to='example.org'", "to='localhost'")}
document.body.dataset.done = pong.getAttribute('type') + ' ' + Status[conn.status];
</script>`));

  // --- 3. log in from each ---------------------------------------------------------------------
  server = await startDemoServer({ site: APP, bosh: BOSH_URL });
  browser = await launchChromium(chromium);
  const pages = [
    ['Vite 8 build, bundler entry', '/dist/vite-bundler/index.html'],
    ['Vite 8 build, web entry', '/dist/vite-web/index.html'],
    ['esbuild build, web entry', '/dist/esbuild/index.html'],
    ['static page, <script type="module"> from the unpacked tarball', '/static/module.html'],
    ['static page, classic <script src> from the unpacked tarball', '/static/classic.html'],
  ];
  await check("the README's BOSH example runs as written (static page; logs CONNECTED, the ping's result, DISCONNECTED)", async () => {
    assert(example, 'the README has no "## Example (BOSH)" js block');
    const page = await browser.newPage();
    const logged = [];
    page.on('console', (m) => logged.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logged.push(`pageerror: ${e.message}`));
    try {
      await page.goto(`${server.origin}/static/readme-example.html`);
      await page.waitForFunction(() => document.body.dataset.done, null, { timeout: TIMEOUT }).catch(() => {});
      const done = await page.locator('body').getAttribute('data-done');
      assert(done === 'result DISCONNECTED', `done: ${done}; console: ${logged.join(' | ')}`);
      assert(logged.some((l) => /CONNECTED/.test(l)), `no CONNECTED logged: ${logged.join(' | ')}`);
      return `${example.trim().split('\n').length} lines; ${logged.join(' | ')}`;
    } finally {
      await page.close();
    }
  });
  for (const [what, path] of pages) {
    await check(`${what} (${path}): logs in, CONNECTED`, async () => {
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(`console.error: ${m.text()}`); });
      try {
        const resp = await page.goto(`${server.origin}${path}`);
        assert(resp.ok(), `HTTP ${resp.status()}`);
        await page.waitForFunction(() => /CONNECTED|DISCONNECT|FAIL/.test(document.getElementById('status').textContent)
          && document.getElementById('jid').textContent, null, { timeout: TIMEOUT })
          .catch(() => {});
        const status = await page.locator('#status').innerText();
        const jid = await page.locator('#jid').innerText();
        const connected = await page.locator('body').getAttribute('data-connected');
        assert(connected === 'CONNECTED' && jid.startsWith('alice@localhost/release-'),
          `status "${status}", after connect() "${connected}", jid "${jid}"; ${errors.join('; ')}`);
        return `${connected} as ${jid}`;
      } finally {
        await page.close();
      }
    });
  }
} catch (err) {
  if (!failed) { failed++; console.log(`FAIL ${err?.message ?? err}`); }
} finally {
  await browser?.close().catch(() => {});
  await server?.close();
  if (process.env.RELEASE_KEEP === '1') console.log(`kept ${APP}`);
  else rmSync(APP, { recursive: true, force: true });
}
console.log(`release: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
