// Helpers shared by the browser suites (tests/js/*.test.mjs) and the benchmarks
// (tests/js/bench-login.mjs, bench/run.mjs). No playwright import: a caller passes its own
// playwright-core `chromium` (bench/ installs its own copy of the package).
import { spawn } from 'node:child_process';
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

/** The same over W3C WebDriver: geckodriver and Debian's firefox-esr, headless. */
export async function openFirefox(url) {
  const port = await freePort();
  const driver = spawn(process.env.GECKODRIVER || 'geckodriver', ['--host', '127.0.0.1', '--port', String(port)],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const r = await fetch(`${base}${path}`, {
      method, headers: { 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
    });
    const j = await r.json();
    if (j.value?.error) throw new Error(`WebDriver ${path}: ${j.value.error}: ${j.value.message}`);
    return j.value;
  };
  for (let i = 0; ; i++) {
    try { await call('GET', '/status'); break; } catch (e) { if (i > 100) throw e; await sleep(100); }
  }
  const { sessionId } = await call('POST', '/session', {
    capabilities: { alwaysMatch: { browserName: 'firefox', 'moz:firefoxOptions': {
      binary: process.env.FIREFOX || '/usr/bin/firefox-esr', args: ['-headless'],
    } } },
  });
  const s = `/session/${sessionId}`;
  await call('POST', `${s}/timeouts`, { script: 120000 });
  await call('POST', `${s}/url`, { url });
  return {
    async evaluate(fn, arg) {
      const script = `const done = arguments[arguments.length - 1];
        Promise.resolve().then(() => (${fn.toString()})(arguments[0]))
          .then((v) => done({ ok: JSON.stringify(v === undefined ? null : v) }), (e) => done({ err: String(e && e.stack || e) }));`;
      const r = await call('POST', `${s}/execute/async`, { script, args: [arg ?? null] });
      if (r.err) throw new Error(`in the page: ${r.err}`);
      return JSON.parse(r.ok);
    },
    async close() {
      await call('DELETE', s).catch(() => {});
      driver.kill();
    },
  };
}
