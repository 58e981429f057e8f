// The JavaScript packages as a user gets them, against the local Prosody, in Debian's headless
// Chromium (playwright-core):
//
//   HTTP_ORIGIN=http://127.0.0.1:PORT node tests/js/package.test.mjs
//
// 1. The npm package pkg-bundler/ (scripts/build-npm.sh): package.json fields, its own README,
//    what `npm pack` would publish, and no `any`/`Function` in the public .d.ts.
// 2. The API, imported from the --target web package (/pkg/xmpp_wasm.js) in a page of the
//    Prosody origin, exactly as a <script type="module"> would: connect (status callback and
//    promise), a handler receiving DOM Elements, sendIQ in its callback and Promise forms,
//    Builder escaping of < & and quotes ($msg/Builder → toString() and tree()), send refusing two
//    elements and malformed XML (it throws and nothing reaches rawOutput), disconnect.
// 3. The examples log in as alice@localhost and show CONNECTED: examples/vite/ (built with
//    `vite build`, the npm package bundled), examples/script-tag/module.html (--target web) and
//    examples/script-tag/classic.html (--target no-modules, a global). scripts/test.sh serves
//    examples/ at /examples/ and pkg-no-modules/ at /pkg-no-modules/ on the Prosody origin.
//
// Prints `ok`/`FAIL` lines and a final `package: N passed, M failed`; exits 1 on any failure.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ORIGIN = process.env.HTTP_ORIGIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = Number(process.env.PACKAGE_TIMEOUT_MS || 20000);
const BUNDLER = resolve(ROOT, process.env.PKG_BUNDLER || 'pkg-bundler');
if (!ORIGIN) {
  console.error('package.test: HTTP_ORIGIN is not set (source .state/test/env from scripts/prosody.sh)');
  process.exit(2);
}

let passed = 0;
let failed = 0;
async function check(what, fn) {
  try {
    const detail = await fn();
    passed++;
    console.log(`ok   ${what}${detail ? `: ${detail}` : ''}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${what}: ${String(err?.message ?? err).split('\n').slice(0, 6).join('\n     ')}`);
  }
}
const assert = (cond, msg) => { if (!cond) throw new Error(msg); };

// --- 1. the npm package ------------------------------------------------------------------------
const pkg = JSON.parse(readFileSync(`${BUNDLER}/package.json`, 'utf8'));
await check('npm package.json: name, module, types, files, sideEffects, description, license, repository', () => {
  assert(pkg.name === 'xmpp-wasm', `name ${pkg.name}`);
  for (const k of ['version', 'description', 'license', 'module', 'types', 'files', 'sideEffects', 'repository']) {
    assert(pkg[k] !== undefined && pkg[k] !== '', `no ${k}`);
  }
  assert(pkg.type === 'module' && pkg.module === 'xmpp_wasm.js' && pkg.types === 'xmpp_wasm.d.ts', `type/module/types: ${pkg.type} ${pkg.module} ${pkg.types}`);
  assert(pkg.exports?.['.']?.types === './xmpp_wasm.d.ts' && pkg.exports['.'].default === './xmpp_wasm.js', `exports: ${JSON.stringify(pkg.exports)}`);
  assert(Array.isArray(pkg.sideEffects) && pkg.sideEffects.includes('./xmpp_wasm.js'),
    `sideEffects must keep the entry (it instantiates the wasm): ${JSON.stringify(pkg.sideEffects)}`);
  assert(/github\.com/.test(pkg.repository.url ?? pkg.repository), `repository ${JSON.stringify(pkg.repository)}`);
  return `${pkg.name}@${pkg.version} (${pkg.license})`;
});

await check('npm package README is npm/README.md (install, import, example, API link)', () => {
  const readme = readFileSync(`${BUNDLER}/README.md`, 'utf8');
  assert(readme === readFileSync(`${ROOT}/npm/README.md`, 'utf8'), 'pkg-bundler/README.md differs from npm/README.md');
  for (const s of ['npm install xmpp-wasm', "from 'xmpp-wasm'", 'xmpp_wasm.d.ts']) assert(readme.includes(s), `README lacks ${s}`);
});

await check('npm pack would publish the glue, the wasm, the types and the README', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: BUNDLER, encoding: 'utf8' });
  const files = JSON.parse(out)[0].files.map((f) => f.path).sort();
  for (const f of ['README.md', 'package.json', 'xmpp_wasm.d.ts', 'xmpp_wasm.js', 'xmpp_wasm_bg.js', 'xmpp_wasm_bg.wasm']) {
    assert(files.includes(f), `${f} not packed (packed: ${files.join(' ')})`);
  }
  return files.join(' ');
});

await check('the public .d.ts has no `any` and no `Function`', () => {
  const dts = readFileSync(`${BUNDLER}/xmpp_wasm.d.ts`, 'utf8');
  const loose = [];
  dts.split('\n').forEach((line, i) => {
    const code = line.replace(/\/\/.*$|^\s*\*.*$|\/\*.*?\*\//g, ''); // not in comments
    if (/\bany\b|\bFunction\b/.test(code)) loose.push(`xmpp_wasm.d.ts:${i + 1}: ${line.trim()}`);
  });
  assert(loose.length === 0, loose.join('\n'));
});

// --- 2. and 3. in the browser ---------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
});
const seen = [];
async function newPage() {
  const page = await browser.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') seen.push(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  return page;
}

try {
  // An empty page of the Prosody origin (answered by Playwright, so it depends on no file), in
  // which the test imports /pkg/ as a module script would.
  const page = await newPage();
  const blank = `${ORIGIN}/__package-test-blank.html`;
  await page.route(blank, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>package test</title>' }));
  await page.goto(blank);
  await page.evaluate(async () => {
    const m = await import('/pkg/xmpp_wasm.js');
    await m.default();
    window.x = m;
    window.outs = [];
  });

  await check('connect: status callback CONNECTING → AUTHENTICATING → CONNECTED, promise resolves CONNECTED', async () => {
    const r = await page.evaluate(async () => {
      const { Connection, Status } = window.x;
      const conn = new Connection('/http-bind', { wait: 30 });
      window.conn = conn;
      conn.rawOutput = (b) => window.outs.push(b);
      const seen = [];
      const resolved = await conn.connect('alice@localhost/package-test', 'alice-pass', (s, c) => seen.push(Status[s] + (c ? `:${c}` : '')));
      return { resolved, seen, jid: conn.jid, connected: conn.connected, authenticated: conn.authenticated, status: conn.status, CONNECTED: Status.CONNECTED };
    });
    assert(r.resolved === r.CONNECTED && r.status === r.CONNECTED, `resolved ${r.resolved}, status ${r.status}`);
    assert(r.seen.join(' ') === 'CONNECTING AUTHENTICATING CONNECTED', `callback saw ${r.seen.join(' ')}`);
    assert(r.connected && r.authenticated && r.jid === 'alice@localhost/package-test', `jid ${r.jid} connected ${r.connected}`);
    return `${r.seen.join(' → ')} as ${r.jid}`;
  });

  const tricky = `a < b & c "d" 'e' ]]> é`;
  await check('a handler gets a DOM Element: a message to itself, with < & and quotes, round-trips', async () => {
    const r = await page.evaluate(async (text) => {
      const { $msg, Builder } = window.x;
      const conn = window.conn;
      const got = new Promise((res) => {
        conn.addHandler((m) => { res(m); return false; }, 'jabber:client', 'message', 'chat', null, conn.jid, undefined);
      });
      const stanza = $msg ? $msg({ to: conn.jid, type: 'chat' }) : new Builder('message', { to: conn.jid, type: 'chat', xmlns: 'jabber:client' });
      conn.send(stanza.c('body', { note: text }).t(text));
      const m = await got;
      const body = m.getElementsByTagName('body')[0];
      return { isElement: m instanceof Element, name: m.localName, ns: m.namespaceURI, text: body?.textContent, attr: body?.getAttribute('note') };
    }, tricky);
    assert(r.isElement && r.name === 'message' && r.ns === 'jabber:client', `got ${JSON.stringify(r)}`);
    assert(r.text === tricky && r.attr === tricky, `body text ${JSON.stringify(r.text)}, attribute ${JSON.stringify(r.attr)}`);
    return `<${r.name} xmlns='${r.ns}'> body ${JSON.stringify(r.text)}`;
  });

  await check('deleteHandler: a removed handler is not called', async () => {
    const r = await page.evaluate(async () => {
      const conn = window.conn;
      let calls = 0;
      const ref = conn.addHandler(() => { calls++; return true; }, null, 'message', null, null, null, undefined);
      const deleted = conn.deleteHandler(ref);
      const done = new Promise((res) => conn.addHandler(() => { res(); return false; }, null, 'message', null, null, null, undefined));
      conn.send(`<message to='${conn.jid}' type='chat'><body>x</body></message>`);
      await done;
      return { deleted, calls, again: conn.deleteHandler(ref) };
    });
    assert(r.deleted === true && r.calls === 0 && r.again === false, JSON.stringify(r));
  });

  await check('sendIQ, Promise form: result → Element; error answer → StanzaError with condition and stanza', async () => {
    const r = await page.evaluate(async () => {
      const conn = window.conn;
      const pong = await conn.sendIQAsync("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>", 10000);
      let err;
      try {
        await conn.sendIQAsync("<iq type='get' to='localhost'><nothing xmlns='urn:example:nothing'/></iq>", 10000);
      } catch (e) {
        err = { name: e.name, condition: e.condition, stanzaType: e.stanza?.getAttribute('type'), isError: e instanceof Error };
      }
      return { pong: pong instanceof Element && pong.getAttribute('type'), id: pong.getAttribute('id'), err };
    });
    assert(r.pong === 'result' && r.id, `ping answered ${JSON.stringify(r)}`);
    assert(r.err?.isError && r.err.name === 'StanzaError' && r.err.condition && r.err.stanzaType === 'error', `error answer: ${JSON.stringify(r.err)}`);
    return `ping → result (id ${r.id}); unknown query → ${r.err.name} ${r.err.condition}`;
  });

  await check('sendIQ, callback form: returns the id; callback(Element) with that id', async () => {
    const r = await page.evaluate(() => new Promise((res) => {
      const conn = window.conn;
      let id;
      const timer = setTimeout(() => res({ timeout: true }), 10000);
      id = conn.sendIQ("<iq type='get' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>",
        (el) => { clearTimeout(timer); res({ id, got: el.getAttribute('id'), type: el.getAttribute('type') }); },
        (el) => { clearTimeout(timer); res({ id, errback: el && el.outerHTML }); }, 10000);
    }));
    assert(r.type === 'result' && r.id && r.got === r.id, JSON.stringify(r));
    return `id ${r.id}`;
  });

  // $msg, $iq, $pres and $build are exports of the JavaScript layer (js/builder.js) in every build,
  // declared in the hand-written .d.ts.
  const dollars = await page.evaluate(() => ({
    types: ['$msg', '$iq', '$pres', '$build'].map((n) => `${n}:${typeof window.x[n]}`),
    exports: Object.keys(window.x).join(' '),
  }));
  const bundlerJs = readFileSync(`${BUNDLER}/xmpp_wasm.js`, 'utf8');
  const bundlerDts = readFileSync(`${BUNDLER}/xmpp_wasm.d.ts`, 'utf8');
  const bundlerMissing = ['$msg', '$iq', '$pres', '$build'].filter((n) => !bundlerJs.includes(` as ${n}`) || !bundlerDts.includes(`export const ${n}:`));
  await check('$msg, $iq, $pres and $build are exported (pkg/ and the npm package, JS and .d.ts)', () => {
    assert(dollars.types.every((s) => s.endsWith(':function')), `pkg/: ${dollars.types.join(' ')}; the module exports: ${dollars.exports}`);
    assert(bundlerMissing.length === 0, `the npm package lacks ${bundlerMissing.join(' ')}`);
  });

  await check('Builder escaping: toString() escapes < & and quotes, tree() round-trips them', async () => {
    const r = await page.evaluate((text) => {
      const { $msg, Builder } = window.x;
      const b = ($msg ? $msg({ to: 'bob@localhost', type: 'chat' })
        : new Builder('message', { to: 'bob@localhost', type: 'chat', xmlns: 'jabber:client' }))
        .c('body', { title: text }).t(text).up().c('thread', null, 'T&1');
      const xml = b.toString();
      const tree = b.tree();
      const parsed = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
      return {
        xml,
        treeIsElement: tree instanceof Element,
        treeText: tree.getElementsByTagName('body')[0].textContent,
        treeAttr: tree.getElementsByTagName('body')[0].getAttribute('title'),
        thread: tree.getElementsByTagName('thread')[0]?.textContent,
        parsedText: parsed.getElementsByTagName('body')[0]?.textContent,
        parsedAttr: parsed.getElementsByTagName('body')[0]?.getAttribute('title'),
        parseError: parsed.getElementsByTagName('parsererror').length > 0,
        usedDollar: !!$msg,
      };
    }, tricky);
    assert(!r.parseError, `toString() is not well-formed: ${r.xml}`);
    assert(!/<[^>]*< b/.test(r.xml) && r.xml.includes('&lt;') && r.xml.includes('&amp;') && !r.xml.includes('& c'), `not escaped: ${r.xml}`);
    assert(r.parsedText === tricky && r.parsedAttr === tricky, `toString() does not round-trip: ${r.xml}`);
    assert(r.treeIsElement && r.treeText === tricky && r.treeAttr === tricky && r.thread === 'T&1', `tree(): ${JSON.stringify(r)}`);
    return `${r.usedDollar ? '$msg' : 'new Builder (no $msg export)'}: ${r.xml}`;
  });

  await check('send refuses two elements, malformed XML and non-stanzas: throws, nothing sent (rawOutput)', async () => {
    const r = await page.evaluate(async () => {
      const conn = window.conn;
      const bad = [
        "<message to='bob@localhost'><body>BAD-1</body></message><message><body>BAD-2</body></message>",
        "<message to='bob@localhost'><body>BAD-3</message>",
        "<message to='bob@localhost'><body>BAD-4</body></message> trailing BAD-4",
        'BAD-5 just text',
        '',
        42,
        { toString: () => '<message><body>BAD-6</body></message>' },
      ];
      const threw = [];
      for (const s of bad) {
        try { conn.send(s); threw.push('sent!'); } catch (e) { threw.push(e.name); }
      }
      // A good stanza afterwards; once it has left, nothing bad may have left before or with it.
      const before = window.outs.length;
      conn.send("<message to='bob@localhost' type='chat'><body>GOOD-7</body></message>");
      const end = Date.now() + 10000;
      while (!window.outs.slice(before).some((b) => b.includes('GOOD-7')) && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
      return { threw, goodLeft: window.outs.some((b) => b.includes('GOOD-7')), badLeft: window.outs.filter((b) => b.includes('BAD-')) };
    });
    assert(r.threw.every((t) => t !== 'sent!'), `send accepted some: ${r.threw.join(' ')}`);
    assert(r.goodLeft, 'the good stanza never left (rawOutput)');
    assert(r.badLeft.length === 0, `sent anyway: ${r.badLeft.join('\n')}`);
    return `threw ${r.threw.join(' ')}`;
  });

  await check('disconnect resolves; status DISCONNECTED', async () => {
    const r = await page.evaluate(async () => {
      await window.conn.disconnect(null);
      return { status: window.x.Status[window.conn.status], connected: window.conn.connected };
    });
    assert(r.status === 'DISCONNECTED' && !r.connected, JSON.stringify(r));
  });
  await page.close();

  // The examples: fill nothing (the defaults are alice@localhost / alice-pass), log in.
  const examples = [
    ['Vite example (examples/vite, npm package bundled by `vite build`)', '/examples/vite/dist/index.html', '#connect'],
    ['script type=module example (examples/script-tag/module.html, --target web)', '/examples/script-tag/module.html', 'button'],
    ['classic script example (examples/script-tag/classic.html, --target no-modules global)', '/examples/script-tag/classic.html', 'button'],
  ];
  for (const [name, path, button] of examples) {
    await check(`${name} logs in: CONNECTED`, async () => {
      const p = await newPage();
      try {
        const res = await p.goto(`${ORIGIN}${path}`);
        assert(res.ok(), `GET ${path}: HTTP ${res.status()}`);
        if (path.includes('script-tag')) {
          await p.waitForFunction(() => document.getElementById('status').textContent === 'ready')
            .catch(async () => { throw new Error(`the package did not load: #status=${await p.locator('#status').innerText()}`); });
        }
        await p.click(button);
        await p.waitForFunction(() => document.getElementById('status').textContent === 'CONNECTED')
          .catch(async () => { throw new Error(`#status=${await p.locator('#status').innerText()} #log=${await p.locator('#log').innerText()}`); });
        await p.waitForFunction(() => document.getElementById('jid').textContent.startsWith('alice@localhost/'));
        const jid = await p.locator('#jid').innerText();
        await p.evaluate(() => window.conn?.disconnect());
        return jid;
      } finally {
        await p.close();
      }
    });
  }
} catch (e) {
  failed++;
  console.log(`FAIL ${e?.message ?? e}`);
} finally {
  await browser.close();
}
if (failed && seen.length) console.log(`browser console:\n  ${seen.slice(-20).join('\n  ')}`);
console.log(`package: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
