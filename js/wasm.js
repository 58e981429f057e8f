// The wasm core, once initialised: the exports of the wasm-bindgen glue (`Core`, `util`), handed
// over by the entry of each build target (web.js, bundler.js, no-modules.js) through `useWasm`.
// Until then every entry point of the API throws one sentence that says to call init.

let wasm = null;
let initCall = 'init()';

/** The entry's init function, as the sentence names it (`init()` or `wasm_bindgen()`). */
export function setInitCall(call) {
  initCall = call;
}

/** Called by the entry once the glue is initialised: `{ Core, util }`. */
export function useWasm(exports) {
  wasm = exports;
}

/** The glue's exports; throws the init sentence before init. */
export function core() {
  if (!wasm) throw new Error(`xmpp-wasm is not initialised: call \`await ${initCall}\` once before using the API`);
  return wasm;
}

/** `util(what, a)` of the core (src/web/driver.rs). */
export const util = (what, a) => core().util(what, a);
