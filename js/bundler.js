// The entry of --target bundler (pkg-bundler/, the npm package): the bundler instantiates the wasm
// on import (wasm-bindgen's glue, `#glue`), so the API works at once.
import { Core, util } from '#glue';
import { useWasm } from './wasm.js';

export * from './api.js';

useWasm({ Core, util });
