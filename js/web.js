// The entry of --target web (pkg/): `await init()` (or `initSync`) loads the wasm, then the API
// works. `#glue` is wasm-bindgen's glue for this target (scripts/assemble.mjs bundles it in).
import glueInit, { initSync as glueInitSync, Core, util } from '#glue';
import { useWasm } from './wasm.js';

export * from './api.js';

/** Loads and instantiates the wasm (by default `xmpp_wasm_bg.wasm` next to this file). */
export default async function init(arg) {
  const out = await glueInit(arg ?? { module_or_path: new URL('xmpp_wasm_bg.wasm', import.meta.url) });
  useWasm({ Core, util });
  return out;
}

/** Instantiates the wasm synchronously from its bytes or a compiled module. */
export function initSync(arg) {
  const out = glueInitSync(arg);
  useWasm({ Core, util });
  return out;
}
