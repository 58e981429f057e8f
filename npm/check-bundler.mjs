// Smoke test of the npm package (wasm-pack --target bundler, finalised): import its entry the way
// a bundler resolves it. Node 20 loads the `import * as wasm from './xmpp_wasm_bg.wasm'` of the
// entry with --experimental-wasm-modules, so this re-runs itself with that flag.
//   node npm/check-bundler.mjs [dir]      (default: pkg-bundler)
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = resolve(process.argv[2] || 'pkg-bundler');
if (!process.execArgv.includes('--experimental-wasm-modules')) {
  execFileSync(process.execPath, ['--experimental-wasm-modules', '--no-warnings', fileURLToPath(import.meta.url), dir], { stdio: 'inherit' });
  process.exit(0);
}
const m = await import(pathToFileURL(`${dir}/xmpp_wasm.js`).href);
const missing = ['Connection', 'Status', 'Builder', 'getBareJidFromJid'].filter((n) => !(n in m));
if (missing.length || m.Status.CONNECTED !== 5) throw new Error(`${dir}: missing exports ${missing.join(' ')}`);
if (m.getBareJidFromJid('a@b/c') !== 'a@b') throw new Error(`${dir}: getBareJidFromJid does not work`);
const dollars = ['$build', '$msg', '$iq', '$pres'].filter((n) => typeof m[n] === 'function');
if (m.$msg && !m.$msg({ to: 'a@b' }).c('body', null).t('<&>').toString().includes('&lt;&amp;&gt;')) {
  throw new Error(`${dir}: $msg(...).toString() does not escape`);
}
console.log(`check-bundler: ${dir} imports and instantiates (${Object.keys(m).length} exports${dollars.length ? `, ${dollars.join(' ')}` : ', no $-builders'})`);
