// The entry of --target no-modules (pkg-no-modules/, a classic <script>): replaces the global
// `wasm_bindgen` of wasm-bindgen's glue (which scripts/assemble.mjs puts before this) with the
// init function carrying the API: `await wasm_bindgen()`, then `wasm_bindgen.Connection`…
import * as api from './api.js';
import { setInitCall, useWasm } from './wasm.js';

/* global wasm_bindgen */
const glue = wasm_bindgen;
const ready = (out) => {
  useWasm({ Core: glue.Core, util: glue.util });
  return out;
};
setInitCall('wasm_bindgen()');
async function init(arg) {
  return ready(await glue(arg));
}
init.initSync = (arg) => ready(glue.initSync(arg));
// eslint-disable-next-line no-global-assign
wasm_bindgen = Object.assign(init, api);
