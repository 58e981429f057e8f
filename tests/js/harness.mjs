// Helpers shared by the browser suites (tests/js/*.test.mjs) and the benchmarks
// (tests/js/bench-login.mjs, bench/run.mjs). No imports: a caller passes its own
// playwright-core `chromium` (bench/ installs its own copy of the package).
import { createServer } from 'node:net';

/** Debian's Chromium, or $CHROMIUM. */
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/**
 * Headless Chromium as the suites run it (as root: --no-sandbox). `args` are appended to the
 * common flags; any other option (e.g. `ignoreDefaultArgs`) is passed on to `chromium.launch`.
 */
export function launchChromium(chromium, { args = [], ...options } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', ...args],
    ...options,
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` every 25 ms; throw after `ms` naming `what`. */
export async function until(fn, ms, what) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return true;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

/** The median (the upper one of an even count), or NaN for none. */
export const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
