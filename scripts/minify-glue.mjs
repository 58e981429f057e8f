// Minifies the wasm-bindgen JavaScript glue of a wasm-pack output directory in place, with
// esbuild from tools/ (scripts/deps.sh installs it): whitespace, comments (the JSDoc lives in
// the .d.ts) and local names. Exported names stay; the error classes set their `name` themselves.
// Runs last, after scripts/dollar-exports.mjs and npm/finalize-package.mjs, which patch the
// unminified glue (they look for wasm-bindgen's own text). Minified files begin with MARK and
// are left alone, so a second run changes nothing; so is a file minifying would not shrink.
//
//   node scripts/minify-glue.mjs <pkgdir>
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: minify-glue.mjs <pkgdir>');
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { transformSync } = createRequire(join(root, 'tools', 'package.json'))('esbuild-wasm');
const MARK = '/* xmpp-wasm (minified glue) */';

const done = [];
for (const file of ['xmpp_wasm.js', 'xmpp_wasm_bg.js']) {
  const path = join(dir, file);
  if (!existsSync(path)) continue;
  const src = readFileSync(path, 'utf8');
  if (src.slice(0, 200).includes(MARK)) continue;
  // --target no-modules is a classic script defining the global `wasm_bindgen`: no format, so
  // esbuild keeps its top-level names. The other targets are ES modules.
  const script = src.includes('let wasm_bindgen');
  const { code } = transformSync(src, {
    minify: true,
    target: 'es2020',
    ...(script ? {} : { format: 'esm' }),
  });
  // wasm-bindgen's first line tells Deno and TypeScript where the types are: it stays.
  const types = src.match(/^\/\* @ts-self-types="[^"]*" \*\/\n/)?.[0] ?? '';
  const out = `${types}${MARK}\n${code}`;
  if (out.length >= src.length) continue; // the bundler's 600-byte entry
  writeFileSync(path, out);
  done.push(`${file} ${src.length} -> ${out.length} B`);
}
console.log(`minify-glue: ${dir}: ${done.join(', ') || 'nothing to do'}`);
