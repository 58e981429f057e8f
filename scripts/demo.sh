#!/usr/bin/env bash
# make demo: build pkg/, serve www/ + pkg/ and BOSH from one local Prosody, wait for Ctrl-C.
# PROSODY_HTTP_PORT=8080 make demo   picks the port (default: a free one).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
STATE=$ROOT/.state/demo

scripts/deps.sh
build_pkg
populate_site "$STATE"

# shellcheck disable=SC2317  # called by the trap
cleanup() { trap - EXIT INT TERM; scripts/prosody.sh stop "$STATE"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
scripts/prosody.sh start "$STATE"
# shellcheck disable=SC1091
. "$STATE/env"

cat <<MSG

  xmpp-wasm demo:   $HTTP_ORIGIN/
  BOSH endpoint:    $BOSH_URL
  Accounts:         alice@localhost / alice-pass,  bob@localhost / bob-pass
  Anonymous login:  JID anon.localhost, no password (SASL ANONYMOUS)
  Prosody log:      $STATE/prosody.log

  Ctrl-C stops the server.
MSG

while scripts/prosody.sh status "$STATE"; do sleep 1; done
echo "demo: Prosody exited on its own; see $STATE/prosody.log" >&2
exit 1
