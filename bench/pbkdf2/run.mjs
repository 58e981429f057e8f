// Times bench/pbkdf2's wasm in headless Chromium: for each hash, PBKDF2 with the given rounds as the
// first call on 15 fresh instances (what a login does: the code has not warmed up), min and median.
//   node bench/pbkdf2/run.mjs <file.wasm> [rounds]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const { chromium } = createRequire(new URL('../package.json', import.meta.url))('playwright-core');
const [file, rounds = '10000'] = process.argv.slice(2);
const b64 = readFileSync(file).toString('base64');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  console.log(`${await browser.version()}, ${rounds} rounds, ${file}`);
  console.log(await page.evaluate(async ([b64, rounds]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const out = [];
    for (const hash of [1, 256, 512]) {
      const t = [];
      for (let i = 0; i < 15; i++) {
        const { instance } = await WebAssembly.instantiate(bytes.slice());
        const s = performance.now();
        instance.exports.bench(hash, rounds);
        t.push(performance.now() - s);
      }
      t.sort((a, b) => a - b);
      out.push(`SHA-${hash}: min ${t[0].toFixed(1)} ms, median ${t[7].toFixed(1)} ms`);
    }
    return out.join('\n');
  }, [b64, Number(rounds)]));
} finally {
  await browser.close();
}
