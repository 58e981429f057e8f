#!/usr/bin/env bash
# Local throw-away Prosody for the demo and the browser tests.
#
#   scripts/prosody.sh start <statedir>   generate <statedir>/prosody.cfg.lua, register the demo
#                                         users, start Prosody on a free loopback port, wait until
#                                         BOSH answers, write <statedir>/env
#   scripts/prosody.sh stop <statedir>    stop it (pidfile, then TERM/KILL), wait until it is gone
#   scripts/prosody.sh status <statedir>  exit 0 if it is running
#
# One HTTP port carries both BOSH (/http-bind) and the static site <statedir>/site (at "/"),
# so a page served from the site talks to BOSH same-origin. Everything (config, data,
# pidfile, log) lives in <statedir>; nothing outside it is touched.
#
# <statedir>/env (sourceable):
#   BOSH_URL=http://127.0.0.1:PORT/http-bind
#   HTTP_ORIGIN=http://127.0.0.1:PORT
#   XMPP_DOMAIN=localhost
#   XMPP_ANON_DOMAIN=anon.localhost
#   PROSODY_PID=...
#
# Environment: PROSODY_HTTP_PORT (default: a free port), PROSODY_LOG_LEVEL (default: debug),
# PROSODY_START_TIMEOUT (seconds, default 20), PROSODY_BOSH_INACTIVITY (seconds, default 60;
# tests/js/background.test.mjs uses 10).
# Opt-in (unset: the configuration above, unchanged):
#   PROSODY_WS=1       also WebSocket (RFC 7395) at /xmpp-websocket on the same port and
#                      XEP-0198 (mod_smacks); <statedir>/env gets WS_URL=ws://127.0.0.1:PORT/xmpp-websocket
#   PROSODY_WS=sasl2   as 1, plus SASL2 and Bind2 (mod_sasl2, mod_sasl2_bind2 of Debian's
#                      prosody-modules package, which must be installed)
#   PROSODY_READ_TIMEOUT=N  network_settings.read_timeout = N seconds (Prosody's default: 840):
#                      after N s without a byte from a c2s connection (WebSocket included),
#                      mod_smacks sends <r/>, and when the next N s bring no byte either it
#                      closes the connection (mod_smacks handle_read_timeout; without smacks,
#                      mod_websocket sends a ping frame instead). Idle HTTP connections also close
#                      after N s. tests/js/background.test.mjs uses 10.
set -euo pipefail

usage() { echo "usage: $0 start|stop|status <statedir>" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
STATE=$(cd "$2" && pwd)
CFG=$STATE/prosody.cfg.lua
PIDFILE=$STATE/prosody.pid
LOG=$STATE/prosody.log
ENVFILE=$STATE/env

DOMAIN=localhost
ANON_DOMAIN=anon.localhost
USERS=("alice:alice-pass" "bob:bob-pass")
START_TIMEOUT=${PROSODY_START_TIMEOUT:-20}   # seconds until BOSH must answer
LOG_LEVEL=${PROSODY_LOG_LEVEL:-debug}        # debug logs every stanza: handy when a test fails
WS=${PROSODY_WS:-}
case $WS in
  ''|1|sasl2) ;;
  *) echo "prosody.sh: PROSODY_WS must be unset, 1 or sasl2, got '$WS'" >&2; exit 2 ;;
esac
EXTRA_MODULES=""
EXTRA_CFG=""
if [ -n "$WS" ]; then
  EXTRA_MODULES='"websocket"; "smacks";'
  EXTRA_CFG='consider_websocket_secure = true
cross_domain_websocket = true'
fi
if [ "$WS" = sasl2 ]; then
  [ -e /usr/lib/prosody/modules/mod_sasl2/mod_sasl2.lua ] || {
    echo "prosody.sh: PROSODY_WS=sasl2 needs Debian's prosody-modules (apt-get install prosody-modules)" >&2; exit 2; }
  EXTRA_MODULES="$EXTRA_MODULES \"sasl2\"; \"sasl2_bind2\";"
fi
BOSH_INACTIVITY=${PROSODY_BOSH_INACTIVITY:-60}  # seconds without a request before a BOSH session ends
READ_TIMEOUT=${PROSODY_READ_TIMEOUT:-}
if [ -n "$READ_TIMEOUT" ]; then
  [[ $READ_TIMEOUT =~ ^[1-9][0-9]{0,5}$ ]] || {
    echo "prosody.sh: PROSODY_READ_TIMEOUT must be a number of seconds, got '$READ_TIMEOUT'" >&2; exit 2; }
  EXTRA_CFG="$EXTRA_CFG
network_settings = { read_timeout = $READ_TIMEOUT }"
fi

log() { echo "prosody.sh: $*" >&2; }
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # free_port

# Is the pid (from the pidfile) alive and a prosody process?
running_pid() {
  local pid
  [ -s "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must be a prosody (lua) process.
  grep -qa prosody "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

session_body() {  # BOSH session creation request (XEP-0124/0206)
  printf "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' content='text/xml; charset=utf-8' hold='1' rid='%s' to='%s' ver='1.6' wait='1' xmpp:version='1.0'/>" \
    "$((RANDOM * 1000 + 1))" "$DOMAIN"
}

stop() {
  local pid
  if pid=$(running_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do   # up to 5 s for a clean shutdown
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid ignored TERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    log "stopped (pid $pid)"
  fi
  rm -f "$PIDFILE" "$ENVFILE"
}

write_config() {
  local http_port=$1 c2s_port=$2
  cat > "$CFG" <<EOF
-- Generated by scripts/prosody.sh; overwritten on every start.
run_as_root = true            -- we run as root on the dev/CI machines; prosodyctl must not switch user
pidfile = "$PIDFILE"
data_path = "$STATE/data"
certificates = "$STATE/certs" -- empty: no TLS anywhere (an absent dir logs an error)
log = { { levels = { min = "$LOG_LEVEL" }, to = "file", filename = "$LOG" } }

-- Listen on loopback only, on the ports picked for this run; no s2s, TLS, components.
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
http_interfaces = { "127.0.0.1" }
http_ports = { $http_port }
https_ports = { }
c2s_interfaces = { "127.0.0.1" }
c2s_ports = { $c2s_port }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
s2s_direct_tls_ports = { }
component_ports = { }
modules_disabled = { "s2s", "s2s_auth_certs" }

-- The HTTP Host header is 127.0.0.1:PORT, which is no VirtualHost: route it to "localhost".
http_default_host = "$DOMAIN"
-- BOSH at /http-bind (its default path), the static site at "/".
http_paths = { bosh = "/http-bind", files = "/", websocket = "/xmpp-websocket" }
http_files_dir = "$STATE/site"
http_index_files = { "index.html" }
-- (http_files caches small files but checks size+mtime on every request: rebuilt pkg/ is seen)
-- CORS: mod_bosh enables it for itself; with access_control_allow_origins unset Prosody
-- echoes the request's Origin (the wasm-bindgen-test runner page is on another port).
consider_bosh_secure = true   -- plain http on loopback counts as secure, so SASL is offered
allow_unencrypted_plain_auth = true
c2s_require_encryption = false
bosh_max_inactivity = $BOSH_INACTIVITY

modules_enabled = {
  "saslauth"; "disco"; "ping"; "roster"; "time"; "version";
  "bosh"; "http_files";
  $EXTRA_MODULES
}
$EXTRA_CFG

storage = "internal"
authentication = "internal_hashed"

VirtualHost "$DOMAIN"
  authentication = "internal_hashed"

VirtualHost "$ANON_DOMAIN"
  authentication = "anonymous"
EOF
}

start() {
  local pid http_port c2s_port out sid u
  stop   # a leftover from an earlier run (crashed test, Ctrl-C) is replaced
  mkdir -p "$STATE/data" "$STATE/site" "$STATE/certs"
  [ -e "$STATE/site/index.html" ] || echo '<!doctype html><title>xmpp-wasm</title><p>site dir is empty' > "$STATE/site/index.html"
  http_port=${PROSODY_HTTP_PORT:-$(free_port)}
  c2s_port=$(free_port)
  while [ "$c2s_port" = "$http_port" ]; do c2s_port=$(free_port); done
  write_config "$http_port" "$c2s_port"
  : > "$LOG"

  for u in "${USERS[@]}"; do
    # internal_hashed storage is plain files: registering while stopped is fine; re-registering
    # just resets the password.
    if ! out=$(prosodyctl --config "$CFG" register "${u%%:*}" "$DOMAIN" "${u#*:}" </dev/null 2>&1); then
      log "registering ${u%%:*}@$DOMAIN failed:"; echo "$out" >&2; return 1
    fi
  done

  # -F: foreground (the 'daemonize' option is deprecated in 0.12); we background it ourselves.
  # setsid: Ctrl-C in the terminal of `make demo` reaches our trap, not Prosody directly.
  setsid prosody -F --config "$CFG" </dev/null >>"$LOG" 2>&1 &
  pid=$!
  echo "$pid" > "$PIDFILE"   # Prosody rewrites it with the same pid once mod_posix loads

  for _ in $(seq 1 $((START_TIMEOUT * 10))); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "Prosody exited during startup; last log lines:"; tail -n 30 "$LOG" >&2; rm -f "$PIDFILE"; return 1
    fi
    out=$(curl -sS --max-time 3 -X POST -H 'Content-Type: text/xml; charset=utf-8' \
          --data-binary "$(session_body)" "http://127.0.0.1:$http_port/http-bind" 2>/dev/null || true)
    sid=$(sed -n "s/.*[[:space:]]sid=[\"']\([^\"']*\)[\"'].*/\1/p" <<<"$out")
    [ -n "$sid" ] && break
    sleep 0.1
  done
  if [ -z "$sid" ]; then
    log "BOSH did not answer with a sid within ${START_TIMEOUT}s; last log lines:"; tail -n 30 "$LOG" >&2
    stop; return 1
  fi

  cat > "$ENVFILE" <<EOF
BOSH_URL=http://127.0.0.1:$http_port/http-bind
HTTP_ORIGIN=http://127.0.0.1:$http_port
XMPP_DOMAIN=$DOMAIN
XMPP_ANON_DOMAIN=$ANON_DOMAIN
PROSODY_PID=$pid
EOF
  [ -z "$WS" ] || echo "WS_URL=ws://127.0.0.1:$http_port/xmpp-websocket" >> "$ENVFILE"
  log "running (pid $pid) at http://127.0.0.1:$http_port/ (BOSH /http-bind, c2s port $c2s_port); log: $LOG"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  status) running_pid >/dev/null ;;
  *) usage ;;
esac
