// Adds Strophe's names $build, $msg, $iq and $pres to a wasm-pack output
// directory, as aliases of build, msg, iq and pres (wasm-bindgen 0.2.130
// drops exports whose JS name starts with `$`), and, for --target web and
// no-modules, a guard that makes any use of the API before init() throw one
// clear sentence (instead of "Cannot read properties of undefined (reading
// '__wbindgen_malloc')"). The bundler target initialises itself on import
// and needs no guard. Idempotent.
//
//   node scripts/dollar-exports.mjs <pkgdir>
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: dollar-exports.mjs <pkgdir>');
  process.exit(2);
}
const MARK = '/* xmpp-wasm: Strophe-style builder names */';
const names = [['build', '$build'], ['msg', '$msg'], ['iq', '$iq'], ['pres', '$pres']];
const list = names.map(([a, b]) => `${a} as ${b}`).join(', ');

function append(file, text) {
  const path = join(dir, file);
  if (!existsSync(path)) return false;
  const src = readFileSync(path, 'utf8');
  if (!src.includes(MARK)) writeFileSync(path, `${src.trimEnd()}\n${MARK}\n${text}\n`);
  return true;
}

// The guard: until init() has run, `wasm` is a Proxy whose every property
// read throws; init()'s "already initialised?" test compares with it.
const GUARD = '/* xmpp-wasm: init guard */';
function guard(file, initName) {
  const path = join(dir, file);
  let src = readFileSync(path, 'utf8');
  if (src.includes(GUARD)) return;
  const decl = /let wasmModule, wasmInstance, wasm;/;
  const check = /if \(wasm !== undefined\) return wasm;/g;
  const checks = src.match(check)?.length ?? 0;
  if (!decl.test(src) || checks !== 2) {
    console.error(`dollar-exports: ${path}: the wasm-bindgen glue changed (no \`let wasm\` or not 2 init checks); update the init guard`);
    process.exit(1);
  }
  const message = `xmpp-wasm is not initialised: call \`await ${initName}\` once before using the API`;
  src = src
    .replace(decl, `${GUARD}\nconst __xmppUninit = new Proxy({}, { get() { throw new Error(${JSON.stringify(message)}); } });\nlet wasmModule, wasmInstance, wasm = __xmppUninit;`)
    .replace(check, 'if (wasm !== __xmppUninit) return wasm;');
  writeFileSync(path, src);
}

const js = readFileSync(join(dir, 'xmpp_wasm.js'), 'utf8');
if (js.includes('let wasm_bindgen')) guard('xmpp_wasm.js', 'wasm_bindgen()');
else if (!existsSync(join(dir, 'xmpp_wasm_bg.js'))) guard('xmpp_wasm.js', 'init()');
if (js.includes('let wasm_bindgen')) {
  // --target no-modules: a global object.
  append('xmpp_wasm.js', names.map(([a, b]) => `wasm_bindgen.${b} = wasm_bindgen.${a};`).join('\n'));
} else if (existsSync(join(dir, 'xmpp_wasm_bg.js'))) {
  // --target bundler: the functions live in xmpp_wasm_bg.js.
  append('xmpp_wasm.js', `export { ${list} } from "./xmpp_wasm_bg.js";`);
} else {
  // --target web: the functions are defined in xmpp_wasm.js itself.
  append('xmpp_wasm.js', `export { ${list} };`);
}
if (js.includes('let wasm_bindgen')) {
  append('xmpp_wasm.d.ts',
    `declare namespace wasm_bindgen {\n${names.map(([a, b]) => `  export const ${b}: typeof ${a};`).join('\n')}\n}`);
} else {
  append('xmpp_wasm.d.ts', `export { ${list} };`);
}
console.log(`dollar-exports: ${dir}: ${names.map(([, b]) => b).join(' ')}`);
