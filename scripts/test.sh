#!/usr/bin/env bash
# make test: native unit/integration tests, then the browser tests against a local Prosody:
#   1. cargo test                               (native)
#   2. wasm-pack test --headless --chrome       (wasm tests in Chromium; they read the BOSH URL
#                                                at compile time from XMPP_WASM_TEST_BOSH)
#   3. node tests/js/www.test.mjs               (the demo page www/ driven by Playwright)
# Prosody is always stopped at the end, also when a step fails or the run is interrupted.
# Exits non-zero if any step failed; a failing test suite does not stop the later ones (a failing
# install or build does).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
STATE=$ROOT/.state/test

step() { echo; echo "==> $*"; }

passed=0 failed=0 failures=()
run() {  # run <name> <command...>: record the outcome, keep going
  local name=$1; shift
  step "$name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

step "dependencies"
scripts/deps.sh

run "cargo test (native)" cargo test

step "wasm-pack build --target web --release"   # no package, no browser tests: stop here
build_pkg
populate_site "$STATE"

step "Prosody"
trap 'scripts/prosody.sh stop "$STATE"' EXIT
trap 'exit 130' INT TERM
scripts/prosody.sh start "$STATE"
# shellcheck disable=SC1091
. "$STATE/env"
export BOSH_URL HTTP_ORIGIN XMPP_DOMAIN XMPP_ANON_DOMAIN
export XMPP_WASM_TEST_BOSH=$BOSH_URL

run "wasm-pack test --headless --chrome (BOSH $XMPP_WASM_TEST_BOSH)" \
  wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver
run "www end-to-end ($HTTP_ORIGIN/index.html)" \
  node tests/js/www.test.mjs
run "BOSH end-to-end: pause/resume, delayed response resent (tests/js/bosh.test.mjs)" \
  node tests/js/bosh.test.mjs
run "attach/restore/keepalive end-to-end (tests/js/keepalive.test.mjs)" \
  node tests/js/keepalive.test.mjs

step "stop Prosody"
scripts/prosody.sh stop "$STATE"   # now, so the summary below is the last line of the run

echo
if [ "$failed" -gt 0 ]; then
  echo "FAILED: ${failures[*]} (Prosody log: $STATE/prosody.log)"
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
