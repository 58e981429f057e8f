#!/usr/bin/env bash
# The side-by-side benchmark (bench/run.mjs): xmpp-wasm and Strophe.js 5.0.0 in the same headless
# Chromium against a throw-away Prosody on loopback. Not part of `make test`; asserts nothing.
#
#   scripts/bench.sh [--runs N] [--echo N] [--traffic N] [--reloads N]
#   scripts/bench.sh --ws 1 [--runs N] [--echo N]     the WebSocket column set (bench/run.mjs):
#                                                      Prosody with PROSODY_WS=1 (websocket + smacks)
#
# Installs the npm packages of bench/ (playwright-core, strophe.js 5.0.0) and tools/ (wasm-opt) when
# their lock changed, builds pkg/ (build_pkg) when it is missing or older than the sources, starts
# Prosody in .state/bench (always stopped again), serves bench/pages at /bench/ and Strophe's
# dist/ at /strophe/ beside /pkg/ and /http-bind, and writes bench/results/<date>.md and .json.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
STATE=$ROOT/.state/bench

# npm packages: bench/ (playwright-core, strophe.js) and tools/ (binaryen's wasm-opt for build_pkg),
# with the same stamps as scripts/deps.sh: npm ci only when package.json or the lock changed.
for dir in tools bench; do
  stamp=$dir/node_modules/.deps-stamp
  want=$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
    echo "$want" > "$stamp"
  fi
done

# pkg/ is stale when any input of the build (the sources, the build scripts, the wasm-opt install)
# is newer than the wasm.
if [ ! -e pkg/xmpp_wasm_bg.wasm ] || [ ! -e pkg/xmpp_wasm.js ] ||
   [ -n "$(find src js Cargo.toml Cargo.lock scripts/lib.sh scripts/assemble.mjs tools/node_modules/.deps-stamp \
             -newer pkg/xmpp_wasm_bg.wasm -print -quit)" ]; then
  echo "bench: building pkg/ (build_pkg)" >&2
  build_pkg
fi

trap 'scripts/prosody.sh stop "$STATE"' EXIT
trap 'exit 130' INT TERM
ws=
prev=
for a in "$@"; do [ "$prev" = --ws ] && [ "$a" != 0 ] && ws=1; prev=$a; done
PROSODY_WS=${ws:+${PROSODY_WS:-1}} PROSODY_LOG_LEVEL=${PROSODY_LOG_LEVEL:-warn} scripts/prosody.sh start "$STATE"
populate_site "$STATE"
ln -sfn "$ROOT/bench/pages" "$STATE/site/bench"
ln -sfn "$ROOT/bench/node_modules/strophe.js/dist" "$STATE/site/strophe"
# shellcheck disable=SC1091
. "$STATE/env"
export BOSH_URL HTTP_ORIGIN
export WS_URL=${WS_URL:-}
node bench/run.mjs "$@"
