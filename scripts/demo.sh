#!/usr/bin/env bash
# make demo: build pkg/, start a local Prosody (BOSH and WebSocket: PROSODY_WS=1), serve www/ +
# pkg/ gzip-compressed with /http-bind and /xmpp-websocket forwarded to Prosody and both published
# in /.well-known/host-meta(.json) (scripts/demo-server.mjs, one origin), start the prebind
# example (examples/prebind.rs, logged in as bob@localhost) beside it, wait for Ctrl-C (which
# stops everything and exits 0: stopping the demo is not an error).
# DEMO_PORT=8080 make demo            picks the page's port (default: a free one).
# PROSODY_HTTP_PORT=5280 make demo    picks Prosody's (BOSH) port (default: a free one).
# PREBIND_LISTEN=127.0.0.1:5291 make demo   moves the prebind service (default 127.0.0.1:5290,
#                                         the page's default prebind URL).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
STATE=$ROOT/.state/demo
PREBIND_LISTEN=${PREBIND_LISTEN:-127.0.0.1:5290}
PREBIND_LOG=$STATE/prebind.log

scripts/deps.sh
build_pkg
populate_site "$STATE"
# Built now, in the foreground, so that compiler output and errors show up here.
cargo build --release --example prebind

prebind_pid= server_pid=
# shellcheck disable=SC2317  # called by the trap
cleanup() {
  trap - EXIT INT TERM
  local pid
  for pid in "$prebind_pid" "$server_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  scripts/prosody.sh stop "$STATE"
}
trap cleanup EXIT
# Ctrl-C is how the demo is meant to end: a clean exit (0), so make reports no error.
trap 'echo; echo "demo: stopping"; exit 0' INT
trap 'exit 143' TERM
PROSODY_WS=${PROSODY_WS:-1} scripts/prosody.sh start "$STATE"   # PROSODY_WS=sasl2 make demo: with SASL2
# shellcheck disable=SC1091
. "$STATE/env"

# The prebind service logs in over the same BOSH endpoint on the page's behalf. Started as
# the binary (not through `cargo run`), so that $prebind_pid is the service itself.
target/release/examples/prebind --listen "$PREBIND_LISTEN" --bosh "$BOSH_URL" \
  --jid bob@localhost --password bob-pass >"$PREBIND_LOG" 2>&1 &
prebind_pid=$!
for _ in $(seq 1 50); do   # up to 5 s until it listens
  grep -q listening "$PREBIND_LOG" 2>/dev/null && break
  kill -0 "$prebind_pid" 2>/dev/null || break
  sleep 0.1
done
if grep -q listening "$PREBIND_LOG" 2>/dev/null; then
  PREBIND_URL="http://$PREBIND_LISTEN/prebind"
else
  echo "demo: the prebind example did not start (port $PREBIND_LISTEN taken?):" >&2
  cat "$PREBIND_LOG" >&2
  prebind_pid=
  PREBIND_URL="(not running)"
fi
# The page and its wasm, gzip-compressed, with /http-bind forwarded to Prosody (one origin).
SERVER_LOG=$STATE/demo-server.log
node scripts/demo-server.mjs --site "$STATE/site" --bosh "$BOSH_URL" --websocket "$WS_URL" --port "${DEMO_PORT:-0}" >"$SERVER_LOG" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do   # up to 5 s until it listens
  grep -q listening "$SERVER_LOG" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q listening "$SERVER_LOG" 2>/dev/null; then
  echo "demo: the web server did not start (DEMO_PORT ${DEMO_PORT:-0} taken?):" >&2
  cat "$SERVER_LOG" >&2
  exit 1
fi
PAGE_URL=$(sed -n 's/^listening //p' "$SERVER_LOG")
# The page's default prebind URL is http://127.0.0.1:5290/prebind; tell it about another one.
[ "$PREBIND_LISTEN" = 127.0.0.1:5290 ] || PAGE_URL="${PAGE_URL}?prebind=http://$PREBIND_LISTEN/prebind"

cat <<MSG

  xmpp-wasm demo:   $PAGE_URL   (gzip; /http-bind and /xmpp-websocket forwarded to Prosody,
                    both in /.well-known/host-meta for the page's "auto" transport)
  BOSH endpoint:    $BOSH_URL  (Prosody itself)
  WebSocket:        $WS_URL
  Accounts:         alice@localhost / alice-pass,  bob@localhost / bob-pass
  Anonymous login:  domain anon.localhost, no password (SASL ANONYMOUS)
  Prebind service:  $PREBIND_URL  (examples/prebind.rs, logs in as bob@localhost;
                    the page's "Prebind" tab; log: $PREBIND_LOG)
  Prosody log:      $STATE/prosody.log

  Ctrl-C stops everything.
MSG

while scripts/prosody.sh status "$STATE"; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "demo: the web server exited; see $SERVER_LOG" >&2
    exit 1
  fi
  if [ -n "$prebind_pid" ] && ! kill -0 "$prebind_pid" 2>/dev/null; then
    echo "demo: the prebind service exited; see $PREBIND_LOG" >&2
    prebind_pid=
  fi
  sleep 1
done
echo "demo: Prosody exited on its own; see $STATE/prosody.log" >&2
exit 1
