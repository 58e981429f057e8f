// Turns a wasm-pack output directory into the package: the hand-written JavaScript layer of js/
// (the public API) bundled with wasm-bindgen's glue for the core (the `Core` driver and `util` of
// src/web/) into one minified xmpp_wasm.js, with esbuild from tools/ (scripts/deps.sh installs it),
// and the hand-written types js/xmpp_wasm.d.ts plus the init functions of the target as
// xmpp_wasm.d.ts.
//
//   --target web         pkg/xmpp_wasm.js: an ES module; `export default init`, `initSync`, the API
//   --target bundler     pkg-bundler/xmpp_wasm.js: an ES module that imports ./xmpp_wasm_bg.js and
//                        ./xmpp_wasm_bg.wasm (wasm-bindgen's, minified in place) and is ready on import
//   --target no-modules  pkg-no-modules/xmpp_wasm.js: a classic script defining the global
//                        `wasm_bindgen` (the init function, carrying the API)
//
// The target is read from what wasm-pack wrote. Idempotent: an assembled directory (its
// xmpp_wasm.js begins with MARK) is left alone.
//
//   node scripts/assemble.mjs <pkgdir>
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const dir = process.argv[2] && resolve(process.argv[2]);
if (!dir) {
  console.error('usage: assemble.mjs <pkgdir>');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const esbuild = createRequire(join(root, 'tools', 'package.json'))('esbuild-wasm');
const MARK = '/* xmpp-wasm */';
const TYPES = '/* @ts-self-types="./xmpp_wasm.d.ts" */\n';

const entryFile = join(dir, 'xmpp_wasm.js');
const glue = readFileSync(entryFile, 'utf8');
if (glue.slice(0, 200).includes(MARK)) {
  console.log(`assemble: ${dir}: already assembled`);
  process.exit(0);
}
const target = glue.includes('let wasm_bindgen') ? 'no-modules'
  : existsSync(join(dir, 'xmpp_wasm_bg.js')) ? 'bundler' : 'web';
const ours = readFileSync(join(root, 'js', 'xmpp_wasm.d.ts'), 'utf8');
const dts = readFileSync(join(dir, 'xmpp_wasm.d.ts'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'xmpp-wasm-assemble-'));

/** Bundles js/<entry> with `#glue` resolved to `gluePath`, the imports in `external` left as they are. */
async function bundle(entry, gluePath, format, external = []) {
  const r = await esbuild.build({
    entryPoints: [join(root, 'js', entry)],
    bundle: true,
    write: false,
    format,
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    plugins: [{
      name: 'glue',
      setup(b) {
        b.onResolve({ filter: /^#glue$/ }, () => ({ path: gluePath }));
        b.onResolve({ filter: /^\.\/xmpp_wasm_bg\.(js|wasm)$/ }, (a) => (external.includes(a.path) ? { path: a.path, external: true } : undefined));
      },
    }],
  });
  return r.outputFiles[0].text;
}

const minify = (code, format) => esbuild.transform(code, { minify: true, target: 'es2022', legalComments: 'none', ...(format ? { format } : {}) });

/**
 * wasm-bindgen's init declarations with doc comments, and `InitOutput` reduced to what is API (its
 * `memory`): the rest are the boundary's internals, which no application should call.
 */
function documentInit(d) {
  return d
    .replace(/^((?:export|declare) type InitInput\b)/m,
      '/** What `init()` takes: the URL (or request) of `xmpp_wasm_bg.wasm`, its `Response`, its bytes, or a compiled `WebAssembly.Module`. */\n$1')
    .replace(/^((?:export|declare) type SyncInitInput\b)/m,
      '/** What `initSync()` takes: the bytes of `xmpp_wasm_bg.wasm` or a compiled `WebAssembly.Module`. */\n$1')
    .replace(/^((?:export|declare) interface InitOutput) \{[\s\S]*?\n\}/m,
      '/** What `init()` resolves to: the instantiated module; its exports are internal to this package. */\n$1 {\n    /** The module\'s linear memory. */\n    readonly memory: WebAssembly.Memory;\n}');
}

let js;
let types;
try {
  if (target === 'web') {
    const g = join(tmp, 'glue.js');
    writeFileSync(g, glue);
    js = `${TYPES}${MARK}\n${await bundle('web.js', g, 'esm')}`;
    types = `${ours}\n${documentInit(dts.slice(dts.indexOf('export type InitInput')))}`;
  } else if (target === 'bundler') {
    // The glue entry stays beside xmpp_wasm_bg.js (its imports are relative to it).
    const g = join(dir, '.glue-entry.js');
    writeFileSync(g, glue);
    try {
      js = `${TYPES}${MARK}\n${await bundle('bundler.js', g, 'esm', ['./xmpp_wasm_bg.js', './xmpp_wasm_bg.wasm'])}`;
    } finally {
      rmSync(g, { force: true });
    }
    const bg = join(dir, 'xmpp_wasm_bg.js');
    writeFileSync(bg, `${MARK}\n${(await minify(readFileSync(bg, 'utf8'), 'esm')).code}`);
    types = ours;
  } else {
    // A classic script: wasm-bindgen's `let wasm_bindgen = …`, then our layer (an IIFE) replaces it.
    const api = await bundle('no-modules.js', join(tmp, 'none.js'), 'iife');
    js = `${MARK}\n${(await minify(`${glue}\n${api}`)).code}`;
    types = `declare namespace wasm_bindgen {\n${ours}\n}\n${documentInit(dts.slice(dts.indexOf('declare type InitInput')))}`;
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
writeFileSync(entryFile, js);
writeFileSync(join(dir, 'xmpp_wasm.d.ts'), types);
console.log(`assemble: ${dir} (--target ${target}): xmpp_wasm.js ${glue.length} -> ${js.length} B`);
