// The npm package is wasm-pack's `bundler` build: its entry does `import * as wasm from
// './xmpp_wasm_bg.wasm'` (the ES module integration of WebAssembly), which Vite does not support
// by itself; vite-plugin-wasm does. Vite 8's default build target (baseline-widely-available)
// has top-level await, so vite-plugin-top-level-await is not needed.
import { defineConfig } from 'vite';
import wasm from 'vite-plugin-wasm';

export default defineConfig({
  // Relative asset URLs: dist/ works from any path (the tests serve it at /vite/).
  base: './',
  plugins: [wasm()],
  server: {
    // `npm run dev`: forward BOSH to a local Prosody (make demo prints its port) so the page and
    // /http-bind share an origin, as in production behind one web server.
    proxy: process.env.BOSH_URL ? { '/http-bind': { target: new URL(process.env.BOSH_URL).origin } } : undefined,
  },
});
