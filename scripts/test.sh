#!/usr/bin/env bash
# make test: native unit/integration tests, then the browser tests against a local Prosody:
#   1. cargo test                               (native)
#      then scripts/size-check.sh: pkg/'s wasm + JS glue, gzip -9, within size-budget.txt
#   2. wasm-pack test --headless --chrome       (tests/web.rs: the wasm boundary in Chromium; they
#                                                read the BOSH URL at compile time from
#                                                XMPP_WASM_TEST_BOSH)
#      wasm-pack test --headless --firefox      (the same tests in Debian's firefox-esr, geckodriver
#                                                from deps.sh)
#   3. node tests/js/api.test.mjs               (the public API against Prosody, in Chromium and,
#                                                over WebDriver (geckodriver), in firefox-esr; then
#                                                www.test.mjs, the demo page www/ served as make demo
#                                                serves it (scripts/demo-server.mjs, gzip), driven by
#                                                Playwright; bosh, keepalive, restore and
#                                                errors.test.mjs: argument checks and error classes,
#                                                in both browsers too; faults and faults-ws (through the
#                                                fault-injecting proxy tests/js/faultproxy.mjs, BOSH and
#                                                WebSocket); discover.test.mjs: XEP-0156
#                                                host-meta in both formats, bad files, and a login
#                                                through new Connection({ domain }))
#   4. the JavaScript packages (scripts/build-npm.sh: pkg-bundler/ = the npm package,
#      pkg-no-modules/): tsc --strict --noEmit on examples/ts/, and node tests/js/package.test.mjs
#      (the API imported as a user would, and examples/vite/ (built with `vite build`) and
#      examples/script-tag/ logging in; served on the Prosody origin under /examples/)
#   4b. the release tarball (scripts/package.sh --no-build: dist/xmpp-wasm-<version>.tgz from the
#      three packages above): node tests/js/release.test.mjs installs it into a blank app in a
#      temp dir (npm install of the .tgz, vite@8, vite-plugin-wasm, esbuild; --prefer-offline),
#      builds it with Vite 8 (both entries) and esbuild, and logs in from each build and from two
#      static pages that load the unpacked tarball (module and classic script); then
#      node tests/js/strophe.test.mjs: the Strophe.js drop-in (xmpp-wasm/strophe) from the tarball
#      with the npm plugins strophejs-plugin-disco and -roster (Vite 8 and esbuild apps aliasing
#      strophe.js to it) and a static page on Strophe.js's documented API; and `make docs`
#      (scripts/docs.sh --no-build: TypeDoc of its .d.ts, cargo doc -D missing_docs)
#   3b. node tests/js/websocket.test.mjs: WebSocket (RFC 7395) against two Prosodys it starts itself
#      (PROSODY_WS=1 and PROSODY_WS=sasl2): logins with frames counted (CDP), a socket killed
#      mid-stream and resumed (XEP-0198), fallback of a service list to BOSH, zero-loss reloads,
#      no password in sessionStorage
#   5. against ejabberd too (EJABBERD_WS=1 scripts/ejabberd.sh: WebSocket and mod_stream_mgmt on
#      beside BOSH): tests/js/ejabberd.test.mjs (SCRAM logins), WS_SERVER=ejabberd websocket.test.mjs, and
#      BOSH_SERVER=ejabberd tests/js/keepalive.test.mjs / restore.test.mjs / bfcache.test.mjs
#      (zero-loss reloads, the restore's shape, the back-forward cache; the pages stay on the
#      Prosody origin and use ejabberd cross-origin)
# Prosody is always stopped at the end, also when a step fails or the run is interrupted.
# Exits non-zero if any step failed; a failing test suite does not stop the later ones (a failing
# install or build does).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
STATE=$ROOT/.state/test
EJ_STATE=$ROOT/.state/test-ejabberd

step() { echo; echo "==> $*"; }

passed=0 failed=0 failures=() timings=()
run() {  # run <name> <command...>: record the outcome and the time, keep going
  local name=$1 start=$SECONDS outcome; shift
  step "$name"
  if "$@"; then passed=$((passed + 1)); outcome=ok; else failed=$((failed + 1)); failures+=("$name"); outcome=FAILED; fi
  timings+=("$(printf '%4ds %-6s %s' $((SECONDS - start)) "$outcome" "$name")")
}
built() {  # built <name> <start>: the time of a build step (they stop the run when they fail)
  timings+=("$(printf '%4ds %-6s %s' $((SECONDS - $2)) build "$1")")
}

step "dependencies"
t=$SECONDS; scripts/deps.sh; built "scripts/deps.sh" "$t"

run "cargo test (native)" cargo test

step "wasm-pack build --target web --release"   # no package, no browser tests: stop here
t=$SECONDS; build_pkg; built "pkg/ (--target web)" "$t"
run "download size: wasm + JS glue, gzip -9, within size-budget.txt (scripts/size-check.sh)" \
  scripts/size-check.sh
populate_site "$STATE"

step "npm packages (scripts/build-npm.sh: pkg-bundler/, pkg-no-modules/) and the Vite example"
t=$SECONDS; scripts/build-npm.sh bundler no-modules; built "pkg-bundler/, pkg-no-modules/" "$t"
t=$SECONDS; (cd examples/vite && node_modules/.bin/vite build --logLevel warn); built "examples/vite: vite build" "$t"
step "the release tarball (scripts/package.sh --no-build)"
t=$SECONDS; scripts/package.sh --no-build; built "dist/xmpp-wasm-*.tgz (npm pack)" "$t"
# The examples on the Prosody origin, next to /pkg/ (populate_site) and /http-bind:
# /examples/script-tag/*.html, /examples/vite/dist/ (the built app), /pkg-no-modules/.
ln -sfn "$ROOT/examples" "$STATE/site/examples"
ln -sfn "$ROOT/pkg-no-modules" "$STATE/site/pkg-no-modules"

step "Prosody"
trap 'scripts/prosody.sh stop "$STATE"; scripts/ejabberd.sh stop "$EJ_STATE"' EXIT
trap 'exit 130' INT TERM
scripts/prosody.sh start "$STATE"
# shellcheck disable=SC1091
. "$STATE/env"
export BOSH_URL HTTP_ORIGIN XMPP_DOMAIN XMPP_ANON_DOMAIN
export WS_URL=${WS_URL:-}   # set when Prosody runs with PROSODY_WS (WebSocket)
export XMPP_WASM_TEST_BOSH=$BOSH_URL

run "wasm-pack test --headless --chrome (BOSH $XMPP_WASM_TEST_BOSH)" \
  wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver
run "wasm-pack test --headless --firefox (BOSH $XMPP_WASM_TEST_BOSH)" \
  wasm-pack test --headless --firefox --geckodriver "$(command -v geckodriver)"
run "the public API against Prosody, Chromium (tests/js/api.test.mjs)" \
  node tests/js/api.test.mjs
run "the public API against Prosody, firefox-esr via geckodriver (api.test.mjs --firefox)" \
  node tests/js/api.test.mjs --firefox
run "www end-to-end (the demo page as make demo serves it: scripts/demo-server.mjs, gzip, BOSH $BOSH_URL)" \
  node tests/js/www.test.mjs
run "XEP-0156 discovery: host-meta.json/host-meta, bad files, login and restore through { domain } (tests/js/discover.test.mjs)" \
  node tests/js/discover.test.mjs
run "BOSH end-to-end: pause/resume, delayed response resent (tests/js/bosh.test.mjs)" \
  node tests/js/bosh.test.mjs
run "attach/restore/keepalive end-to-end, zero-loss reloads 200/20 s⁻¹/3 and 1000/100 s⁻¹/20 (tests/js/keepalive.test.mjs)" \
  node tests/js/keepalive.test.mjs
run "restore in one round trip: one new request carries the ping, nothing waits (tests/js/restore.test.mjs)" \
  node tests/js/restore.test.mjs
run "back-forward cache: away and back, a message at once (tests/js/bfcache.test.mjs)" \
  node tests/js/bfcache.test.mjs
run "faults survived: 300 messages each way at 30/s through a proxy dropping answers, 503 bursts, resets, truncated and stalled bodies; 0 lost, 0 duplicated, request-rate ceiling (tests/js/faults.test.mjs)" \
  node tests/js/faults.test.mjs
run "faults survived over WebSocket + XEP-0198, reconnect: true: latency, resets, sockets closed mid-frame, half-open sockets; 0 lost, 0 duplicated, ≤ 1 socket per session per second (tests/js/faults-ws.test.mjs, its own Prosody)" \
  node tests/js/faults-ws.test.mjs
run "background tabs on Prosody: hidden 45 s with intensive timer throttling, BOSH inactivity and WebSocket read timeout 10 s; stays CONNECTED, 15/15 messages while hidden, over BOSH and WebSocket (BG_SERVERS=prosody tests/js/background.test.mjs, its own Prosody)" \
  env BG_SERVERS=prosody node tests/js/background.test.mjs
run "proxied BOSH and WebSocket: nginx serves the page, /http-bind and /xmpp-websocket on one origin over two Prosody nodes; a new login fails over, a live WebSocket session whose node is killed reconnects on the other (resumption <failed/>, new binding) (tests/js/nginx.test.mjs)" \
  node tests/js/nginx.test.mjs
run "WebSocket against Prosody with and without SASL2 (its own instances): logins with frames counted, a killed socket resumed, fallback to BOSH, zero-loss reloads 200/20 s⁻¹/3 and 1000/100 s⁻¹/20, no password stored (tests/js/websocket.test.mjs)" \
  node tests/js/websocket.test.mjs
run "cluster nodes: a closed node left for another, 30 sessions spread over two nodes, restore on the snapshot's node, the node of a live session killed → CONNECTED (and, attached with url, ATTACHED through reconnect.prebind) on another within the stated bound (tests/js/cluster.test.mjs, its own three Prosody)" \
  node tests/js/cluster.test.mjs
run "reconnect: Prosody killed mid-session and restarted, CONNECTED again, every message once (tests/js/reconnect.test.mjs, its own Prosody)" \
  node tests/js/reconnect.test.mjs
run "JavaScript mistakes get clear errors: every entry point, Chromium (tests/js/errors.test.mjs)" \
  node tests/js/errors.test.mjs
run "JavaScript mistakes get clear errors: the same in firefox-esr via geckodriver (errors.test.mjs --firefox)" \
  node tests/js/errors.test.mjs --firefox
run "TypeScript: tsc --strict --noEmit on examples/ts/ against pkg-bundler/xmpp_wasm.d.ts" \
  bash -c 'cd examples/ts && node_modules/.bin/tsc -p . --strict --noEmit'
run "JS packages end-to-end: API, Vite and script-tag examples (tests/js/package.test.mjs)" \
  node tests/js/package.test.mjs
run "the release tarball in a blank app: Vite 8, esbuild, static pages log in (tests/js/release.test.mjs)" \
  node tests/js/release.test.mjs
run "the Strophe.js drop-in from the tarball: disco + roster plugins (Vite 8, esbuild), Strophe's documented API (tests/js/strophe.test.mjs)" \
  node tests/js/strophe.test.mjs
run "the API reference builds: TypeDoc of the package's .d.ts, rustdoc -D missing_docs (scripts/docs.sh --no-build)" \
  scripts/docs.sh --no-build

step "ejabberd (hosts with SCRAM-SHA-256 and SCRAM-SHA-512 credentials; WebSocket and mod_stream_mgmt on)"
if EJABBERD_WS=1 scripts/ejabberd.sh start "$EJ_STATE"; then
  # shellcheck disable=SC1091
  . "$EJ_STATE/env"
  export EJABBERD_BOSH_URL EJABBERD_SHA256_DOMAIN EJABBERD_SHA512_DOMAIN EJABBERD_WS_URL
  run "SCRAM-SHA-256/512 logins against ejabberd (tests/js/ejabberd.test.mjs)" \
    node tests/js/ejabberd.test.mjs
  # The page is served by Prosody (still running) and talks to ejabberd's BOSH cross-origin.
  run "zero-loss reloads against ejabberd (BOSH_SERVER=ejabberd tests/js/keepalive.test.mjs)" \
    env BOSH_SERVER=ejabberd node tests/js/keepalive.test.mjs
  run "restore in one round trip against ejabberd (BOSH_SERVER=ejabberd tests/js/restore.test.mjs)" \
    env BOSH_SERVER=ejabberd node tests/js/restore.test.mjs
  run "back-forward cache against ejabberd (BOSH_SERVER=ejabberd tests/js/bfcache.test.mjs)" \
    env BOSH_SERVER=ejabberd node tests/js/bfcache.test.mjs
  run "faults survived against ejabberd, and one rid's answers all dropped with reconnect: true (BOSH_SERVER=ejabberd tests/js/faults.test.mjs)" \
    env BOSH_SERVER=ejabberd node tests/js/faults.test.mjs
  run "faults survived over WebSocket against ejabberd (WS_SERVER=ejabberd tests/js/faults-ws.test.mjs)" \
    env WS_SERVER=ejabberd node tests/js/faults-ws.test.mjs
  run "WebSocket against ejabberd: logins, a killed socket resumed, fallback, zero-loss reloads, no password stored (WS_SERVER=ejabberd tests/js/websocket.test.mjs)" \
    env WS_SERVER=ejabberd node tests/js/websocket.test.mjs
  run "background tabs on ejabberd: hidden 45 s with intensive timer throttling, BOSH max_inactivity and stream-management ack_timeout 10 s; over BOSH and WebSocket (BG_SERVERS=ejabberd tests/js/background.test.mjs, its own ejabberd)" \
    env BG_SERVERS=ejabberd node tests/js/background.test.mjs
  scripts/ejabberd.sh stop "$EJ_STATE"
else
  failed=$((failed + 1)); failures+=("ejabberd start")
fi

step "stop Prosody"
scripts/prosody.sh stop "$STATE"   # now, so the summary below is the last line of the run

echo
printf '%s\n' "${timings[@]}"
echo "total ${SECONDS}s"
if [ "$failed" -gt 0 ]; then
  echo "FAILED: ${failures[*]} (Prosody log: $STATE/prosody.log; ejabberd log: $EJ_STATE/logs/ejabberd.log)"
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
