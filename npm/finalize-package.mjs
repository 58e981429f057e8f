// Finalises a package written by `wasm-pack build` for publishing on npm:
//
//   node npm/finalize-package.mjs <pkgdir>
//
// wasm-pack (0.15) takes name, version, description, license, repository and keywords from
// Cargo.toml and writes `main`, `types`, `files` and `sideEffects`; it writes no `module` (which
// bundlers read for the ES module entry), no `exports`, no `homepage`/`bugs`, and it copies the
// crate's README (the repository's, about building the crate). This script:
//   - adds `module` (= main, an ES module for --target bundler/web), `exports` (types first),
//     `homepage`, `bugs` and the package keywords,
//   - puts npm/README.md (install, import, example, API link) in place of the copied README,
//   - lists README.md in `files` (npm packs it anyway; listed so the intent is visible),
//   - checks that every field the package needs is present and every listed file exists,
// and fails (exit 1) if something is missing. Idempotent: running it twice gives the same file.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(process.argv[2] || 'pkg-bundler');
const file = join(dir, 'package.json');
const pkg = JSON.parse(readFileSync(file, 'utf8'));

const fail = (msg) => {
  console.error(`finalize-package: ${dir}: ${msg}`);
  process.exit(1);
};

if (pkg.name !== 'xmpp-wasm') fail(`name is ${JSON.stringify(pkg.name)}, expected "xmpp-wasm"`);
const entry = pkg.module || pkg.main;
if (!entry || !pkg.types) fail('wasm-pack wrote no main/types');
if (pkg.type !== 'module') fail('not an ES module package: build it with --target bundler (or web)');

pkg.module = entry;
// Types first, as TypeScript's resolution (bundler/node16) requires; the .wasm stays importable
// for tools that want its URL.
const wasmFile = (pkg.files || []).find((f) => f.endsWith('.wasm'));
pkg.exports = {
  '.': { types: `./${pkg.types}`, default: `./${entry}` },
  ...(wasmFile ? { [`./${wasmFile}`]: `./${wasmFile}` } : {}),
  './package.json': './package.json',
};
const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
if (repo && /^https:\/\/github\.com\//.test(repo)) {
  pkg.homepage ??= `${repo}#readme`;
  pkg.bugs ??= { url: `${repo}/issues` };
}
pkg.keywords = [...new Set([...(pkg.keywords || []), 'strophe', 'webassembly'])];
pkg.files = [...new Set([...(pkg.files || []), 'README.md'])];
// The bundler target's entry runs __wbg_set_wasm/__wbindgen_start on import: wasm-pack lists it
// in sideEffects; keep whatever it wrote, and make sure the field is there at all.
pkg.sideEffects ??= false;

copyFileSync(join(here, 'README.md'), join(dir, 'README.md'));

for (const k of ['name', 'version', 'description', 'license', 'repository', 'module', 'types', 'files', 'sideEffects']) {
  if (pkg[k] === undefined || pkg[k] === '') fail(`package.json has no ${k}`);
}
for (const f of pkg.files) if (!existsSync(join(dir, f))) fail(`listed file ${f} is missing`);

// A stable field order: the npm conventions first, the rest as wasm-pack wrote them.
const order = ['name', 'version', 'description', 'license', 'repository', 'homepage', 'bugs', 'keywords',
  'type', 'main', 'module', 'types', 'exports', 'files', 'sideEffects'];
const out = {};
for (const k of order) if (k in pkg) out[k] = pkg[k];
for (const k of Object.keys(pkg)) if (!(k in out)) out[k] = pkg[k];
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`finalize-package: ${dir}/package.json: ${out.name}@${out.version}, module ${out.module}, types ${out.types}, files ${out.files.join(' ')}`);
