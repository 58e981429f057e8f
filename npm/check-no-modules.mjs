// Smoke test of a `wasm-pack build --target no-modules` package (like scripts/check-pkg.mjs for
// pkg/): the classic script defines the global `wasm_bindgen`, which instantiates and exports
// Connection and Status.
//   node npm/check-no-modules.mjs [dir]      (default: pkg-no-modules)
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import vm from 'node:vm';

const dir = resolve(process.argv[2] || 'pkg-no-modules');
const ctx = vm.createContext({ console, WebAssembly, TextDecoder, TextEncoder, bytes: readFileSync(`${dir}/xmpp_wasm_bg.wasm`) });
// `let wasm_bindgen` is a global binding of the script, not a property of the global object: use
// it from code run in the same realm, as a page's next classic <script> does.
const r = vm.runInContext(`${readFileSync(`${dir}/xmpp_wasm.js`, 'utf8')}
;wasm_bindgen.initSync({ module: bytes });
({
  ok: wasm_bindgen.Status.CONNECTED === 5 && typeof wasm_bindgen.Connection === 'function',
  dollars: ['$build', '$msg', '$iq', '$pres'].filter((n) => typeof wasm_bindgen[n] === 'function'),
})`, ctx);
if (!r.ok) throw new Error(`${dir}: no global wasm_bindgen with Status and Connection`);
console.log(`check-no-modules: ${dir} instantiates (global wasm_bindgen, Status.CONNECTED = 5${r.dollars.length ? `, ${r.dollars.join(' ')}` : ', no $-builders'})`);
