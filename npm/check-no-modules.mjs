// Smoke test of a `wasm-pack build --target no-modules` package (like scripts/check-pkg.mjs for
// pkg/): the classic script defines the global `wasm_bindgen`, which instantiates and exports
// Connection and Status; used before init, the API throws the sentence that says to call it.
//   node npm/check-no-modules.mjs [dir]      (default: pkg-no-modules)
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import vm from 'node:vm';

const dir = resolve(process.argv[2] || 'pkg-no-modules');
const ctx = vm.createContext({ console, WebAssembly, TextDecoder, TextEncoder, bytes: readFileSync(`${dir}/xmpp_wasm_bg.wasm`) });
// `let wasm_bindgen` is a global binding of the script, not a property of the global object: use
// it from code run in the same realm, as a page's next classic <script> does.
// Before init, the API throws one sentence that says to call it (js/wasm.js).
const r = vm.runInContext(`${readFileSync(`${dir}/xmpp_wasm.js`, 'utf8')}
;let early = 'no throw';
try { new wasm_bindgen.Connection('http://127.0.0.1/http-bind'); } catch (e) { early = e.message; }
wasm_bindgen.initSync({ module: bytes });
({
  early,
  ok: wasm_bindgen.Status.CONNECTED === 5 && typeof wasm_bindgen.Connection === 'function',
  dollars: ['$build', '$msg', '$iq', '$pres'].filter((n) => typeof wasm_bindgen[n] === 'function'),
})`, ctx);
if (!r.ok) throw new Error(`${dir}: no global wasm_bindgen with Status and Connection`);
if (!/not initialised: call `await wasm_bindgen\(\)`/.test(r.early)) {
  throw new Error(`${dir}: before init, new Connection() threw ${JSON.stringify(r.early)}, not the init sentence`);
}
console.log(`check-no-modules: ${dir} instantiates (global wasm_bindgen, Status.CONNECTED = 5${r.dollars.length ? `, ${r.dollars.join(' ')}` : ', no $-builders'})`);
