// Smoke test of a built web-target package: instantiate it in Node and read one export.
//   node scripts/check-pkg.mjs [pkgdir]      (default: pkg)
// Catches a wasm that loads in no browser, such as one passed through Debian 12's wasm-opt 108,
// which rewrites the export of wasm-bindgen's externref table to the funcref table
// ("WebAssembly.Table.set(): Argument 1 is invalid for table").
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve(process.argv[2] || 'pkg');
const glue = await import(pathToFileURL(`${dir}/xmpp_wasm.js`).href);
await glue.default({ module_or_path: readFileSync(`${dir}/xmpp_wasm_bg.wasm`) });
if (glue.Status?.CONNECTED !== 5 || typeof glue.Connection !== 'function') {
  throw new Error(`unexpected exports: Status.CONNECTED=${glue.Status?.CONNECTED}, Connection is ${typeof glue.Connection}`);
}
console.log(`check-pkg: ${dir} instantiates (Status.CONNECTED = 5, Connection exported)`);
