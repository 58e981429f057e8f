#!/usr/bin/env bash
# Local throw-away ejabberd for the SCRAM-SHA-256/-512 login tests (Prosody 0.12 offers only
# SCRAM-SHA-1 and PLAIN; ejabberd stores SCRAM credentials with the hash named by
# auth_scram_hash, one hash per host).
#
#   scripts/ejabberd.sh start <statedir>   generate <statedir>/ejabberd.yml and a private
#                                          ejabberdctl config, start ejabberd on free loopback
#                                          ports, wait until BOSH answers, register the users,
#                                          write <statedir>/env
#   scripts/ejabberd.sh stop <statedir>    stop it (TERM to the VM: a graceful stop; KILL of its
#                                          process group after 15 s), wait until no process is left
#   scripts/ejabberd.sh status <statedir>  exit 0 if it is running
#
# Hosts: sha256.localhost (auth_scram_hash: sha256) and sha512.localhost (sha512), both with
# auth_password_format: scram, so each offers only its own SCRAM mechanism (plus PLAIN and
# X-OAUTH2, which the library ignores).
# Users on both: alice/alice-pass, bob/bob-pass. The spool (Mnesia) is wiped on every start.
#
# Isolation from Debian's system ejabberd (which we never start; deps.sh disables it):
#   * own node name xmppwasm-<hash of statedir>@localhost, own cookie (<statedir>/.erlang.cookie,
#     found through HOME=<statedir>; never on a command line);
#   * no epmd: Erlang distribution on a fixed free loopback port (ejabberdctl's ERL_DIST_PORT:
#     -erl_epmd_port P -start_epmd false), so no epmd daemon outlives us or is shared;
#   * own config dir, spool, logs, pid file, contrib-modules dir, all in <statedir>;
#   * HTTP listener (BOSH at /bosh and /http-bind) on a free 127.0.0.1 port, nothing else
#     listens (no c2s, s2s, TLS, STUN, MQTT).
# ejabberdctl only runs as root or as the ejabberd user and, as root, su's to ejabberd; our ctl
# config sets EXEC_CMD=as_current_user so the node runs as root (like scripts/prosody.sh with
# run_as_root) and can use <statedir> under the checkout. Hence: run this as root.
#
# CORS: mod_bosh itself answers every request, OPTIONS preflights included, with
# Access-Control-Allow-Origin: * (no credentials are sent by the library by default), so a page
# on any origin may use BOSH. (No custom_headers: adding an Allow-Origin there would send the
# header twice, which browsers reject.)
#
# <statedir>/env (sourceable; names do not clash with prosody.sh's):
#   EJABBERD_BOSH_URL=http://127.0.0.1:PORT/bosh
#   EJABBERD_HTTP_ORIGIN=http://127.0.0.1:PORT
#   EJABBERD_SHA256_DOMAIN=sha256.localhost
#   EJABBERD_SHA512_DOMAIN=sha512.localhost
#   EJABBERD_PID=...            (process group of the node)
#
# Opt-in (unset: the configuration above, unchanged): EJABBERD_WS=1 adds WebSocket (RFC 7395,
# ejabberd_http_ws) at /xmpp-websocket on the same port and XEP-0198 (mod_stream_mgmt);
# <statedir>/env gets EJABBERD_WS_URL=ws://127.0.0.1:PORT/xmpp-websocket.
# More opt-in knobs, in seconds (unset: ejabberd's defaults, and mod_bosh's 60 s above);
# tests/js/background.test.mjs sets them to 10:
#   EJABBERD_BOSH_INACTIVITY=N  mod_bosh max_inactivity (a session without a request for N s ends)
#   EJABBERD_ACK_TIMEOUT=N      mod_stream_mgmt ack_timeout (with EJABBERD_WS): the server sends
#                               <r/> after the stanzas it sends and closes the connection when
#                               no <a/> came back within N s (default 60)
#   EJABBERD_WS_TIMEOUT=N       websocket_timeout = N and websocket_ping_interval = N/2 (with
#                               EJABBERD_WS): a socket that neither sends data nor answers the
#                               ping frames for N s is closed (defaults 300 and 60)
#
# Environment: EJABBERD_HTTP_PORT (default: a free port), EJABBERD_LOG_LEVEL (default: info),
# EJABBERD_START_TIMEOUT (seconds, default 60), EJABBERDCTL (default: ejabberdctl on PATH, else
# /usr/sbin/ejabberdctl).
set -euo pipefail

usage() { echo "usage: $0 start|stop|status <statedir>" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
STATE=$(cd "$2" && pwd)
case $STATE in *[[:space:]]*)   # ejabberdctl word-splits the spool path into the erl command line
  echo "ejabberd.sh: the state dir must not contain white space: $STATE" >&2; exit 2 ;;
esac
CFG=$STATE/ejabberd.yml
CTLCFG=$STATE/ejabberdctl.cfg
PIDFILE=$STATE/ejabberd.run.pid     # our ejabberdctl foreground process = process group leader
BEAMPID=$STATE/ejabberd.pid         # written by ejabberd itself (EJABBERD_PID_PATH): the VM
LOGDIR=$STATE/logs
LOG=$LOGDIR/ejabberd.log
OUT=$STATE/ejabberd.out             # stdout/stderr of ejabberdctl foreground-quiet
SPOOL=$STATE/spool
ENVFILE=$STATE/env

DOMAINS=(sha256.localhost sha512.localhost)   # auth_scram_hash = the part before the first dot
USERS=("alice:alice-pass" "bob:bob-pass")
START_TIMEOUT=${EJABBERD_START_TIMEOUT:-60}
LOG_LEVEL=${EJABBERD_LOG_LEVEL:-info}          # debug logs every stanza
secs() {  # secs <name> <value>: a positive number of seconds, or empty
  [ -z "$2" ] || [[ $2 =~ ^[1-9][0-9]{0,5}$ ]] || { echo "ejabberd.sh: $1 must be a number of seconds, got '$2'" >&2; exit 2; }
  echo "$2"
}
BOSH_INACTIVITY=$(secs EJABBERD_BOSH_INACTIVITY "${EJABBERD_BOSH_INACTIVITY:-60}")
ACK_TIMEOUT=$(secs EJABBERD_ACK_TIMEOUT "${EJABBERD_ACK_TIMEOUT:-}")
WS_TIMEOUT=$(secs EJABBERD_WS_TIMEOUT "${EJABBERD_WS_TIMEOUT:-}")
NODE=xmppwasm-$(printf '%s' "$STATE" | cksum | cut -d' ' -f1)@localhost

log() { echo "ejabberd.sh: $*" >&2; }
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"   # free_port

EJABBERDCTL=${EJABBERDCTL:-$(command -v ejabberdctl || echo /usr/sbin/ejabberdctl)}   # /usr/sbin is not on every PATH

# ejabberdctl for our node: private config dir, ctl config, spool, logs; HOME for the cookie.
CTL=(env HOME="$STATE" "$EJABBERDCTL" --config-dir "$STATE" --config "$CFG" --ctl-config "$CTLCFG"
     --spool "$SPOOL" --logs "$LOGDIR")
ctl() { "${CTL[@]}" "$@" </dev/null; }

# The process group we started, if a process of it is alive. Zombies do not count: the group
# leader is reparented to the container's pid 1 once `start` returns, and that may reap late.
running_pgid() {
  local pid
  [ -s "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  ps -eo pgid=,stat= | awk -v g="$pid" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }' || return 1
  echo "$pid"
}

# The Erlang VM of our node (beam.smp with our node name on its command line), if alive.
running_beam() {
  local pid
  [ -s "$BEAMPID" ] || return 1
  pid=$(cat "$BEAMPID" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "${NODE%@*}" || return 1
  echo "$pid"
}

session_body() {  # BOSH session creation request (XEP-0124/0206)
  printf "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' content='text/xml; charset=utf-8' hold='1' rid='%s' to='%s' ver='1.6' wait='1' xmpp:version='1.0'/>" \
    "$((RANDOM * 1000 + 1))" "${DOMAINS[0]}"
}

wait_gone() {  # wait_gone <tenths of a second>: until neither the group nor the VM is alive
  local i
  for ((i = 0; i <= $1; i++)); do
    running_pgid >/dev/null || running_beam >/dev/null || return 0
    [ "$i" -lt "$1" ] && sleep 0.1
  done
  return 1
}

signal() {  # signal <SIG> <pgid or ""> <VM pid or "">
  if [ -n "$2" ]; then kill "-$1" -- "-$2" 2>/dev/null || true; fi
  if [ -n "$3" ]; then kill "-$1" "$3" 2>/dev/null || true; fi
}

stop() {
  local pgid beam had=
  pgid=$(running_pgid) && had=1 || pgid=
  beam=$(running_beam) && had=1 || beam=
  if [ -n "$had" ]; then
    # Graceful first: on SIGTERM the Erlang VM runs init:stop(), so ejabberd stops its
    # listeners, sessions and Mnesia as with 'ejabberdctl stop' (which would boot another VM and
    # needs our node name and cookie); ~1.2 s. Then KILL whatever is left after 15 s.
    if [ -n "$beam" ]; then signal TERM "" "$beam"; else signal TERM "$pgid" ""; fi
    if ! wait_gone 150; then
      log "ejabberd did not stop within 15 s of TERM; killing it"
      signal KILL "$pgid" "$beam"
      wait_gone 50 || { log "processes of $NODE survived KILL"; return 1; }
    fi
    log "stopped (${pgid:+process group $pgid}${pgid:+${beam:+, }}${beam:+VM pid $beam})"
  fi
  rm -f "$PIDFILE" "$BEAMPID" "$ENVFILE"
}

write_config() {
  local http_port=$1 dist_port=$2 d
  # ejabberdctl config (sourced by /usr/sbin/ejabberdctl after its option parsing).
  cat > "$CTLCFG" <<EOF
# Generated by scripts/ejabberd.sh; overwritten on every start.
ERLANG_NODE=$NODE
# No epmd: the node listens for distribution on this port only, on loopback.
ERL_DIST_PORT=$dist_port
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -kernel inet_dist_use_interface {127,0,0,1}"
EJABBERD_PID_PATH=$BEAMPID
CONTRIB_MODULES_PATH=$STATE/modules
CONTRIB_MODULES_CONF_DIR=$STATE/modules.d
EJABBERD_BYPASS_WARNINGS=true
# Run the node and the ctl clients as the calling user (root), not su ejabberd.
EXEC_CMD=as_current_user
EOF
  # Like Debian's /etc/ejabberd/inetrc (ERL_INETRC points into our config dir).
  cat > "$STATE/inetrc" <<'EOF'
{lookup,["file","native"]}.
{host,{127,0,0,1}, ["localhost","hostalias"]}.
{file, resolv, "/etc/resolv.conf"}.
EOF
  {
    cat <<EOF
# Generated by scripts/ejabberd.sh; overwritten on every start.
hosts:
$(for d in "${DOMAINS[@]}"; do echo "  - $d"; done)

loglevel: $LOG_LEVEL
log_rotate_count: 0
hide_sensitive_log_data: false

# No TLS anywhere: no certificates, no ACME.
certfiles: []
acme:
  auto: false

listen:
  -
    port: $http_port
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /bosh: mod_bosh
      /http-bind: mod_bosh
$( [ -z "${EJABBERD_WS:-}" ] || echo "      /xmpp-websocket: ejabberd_http_ws" )

auth_method: internal
auth_password_format: scram
host_config:
EOF
    for d in "${DOMAINS[@]}"; do
      printf '  %s:\n    auth_scram_hash: %s\n' "$d" "${d%%.*}"
    done
    cat <<'EOF'

# Loopback test server: no traffic shaping (BOSH has none by default; c2s would), no s2s.
shaper_rules: {}
s2s_access: none
EOF
    if [ -n "${EJABBERD_WS:-}" ] && [ -n "$WS_TIMEOUT" ]; then
      printf 'websocket_timeout: %s\nwebsocket_ping_interval: %s\n' "$WS_TIMEOUT" "$(( (WS_TIMEOUT + 1) / 2 ))"
    fi
    cat <<EOF

modules:
  mod_bosh:
    max_inactivity: $BOSH_INACTIVITY
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
EOF
    if [ -n "${EJABBERD_WS:-}" ]; then
      printf '  mod_stream_mgmt:\n    resume_timeout: 300\n'
      [ -z "$ACK_TIMEOUT" ] || printf '    ack_timeout: %s\n' "$ACK_TIMEOUT"
    fi
  } > "$CFG"
}

start() {
  local pid http_port dist_port out sid u d i
  if [ "$(id -u)" != 0 ]; then
    log "must run as root (ejabberdctl refuses other users than root and ejabberd)"; return 1
  fi
  [ -x "$EJABBERDCTL" ] || { log "ejabberdctl not found (apt-get install ejabberd)"; return 1; }
  stop   # a leftover from an earlier run (crashed test, Ctrl-C) is replaced
  rm -rf "$SPOOL" "$LOGDIR"
  mkdir -p "$SPOOL" "$LOGDIR" "$STATE/modules" "$STATE/modules.d"
  http_port=${EJABBERD_HTTP_PORT:-$(free_port)}
  dist_port=$(free_port)
  while [ "$dist_port" = "$http_port" ]; do dist_port=$(free_port); done
  write_config "$http_port" "$dist_port"
  # Our own cookie, found by erl through HOME=$STATE (ctl); never on a command line.
  if [ ! -s "$STATE/.erlang.cookie" ]; then
    (umask 077; head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$STATE/.erlang.cookie")
  fi
  chmod 400 "$STATE/.erlang.cookie"
  : > "$OUT"

  # foreground + setsid: we know the process group, and Ctrl-C in a terminal reaches our
  # caller's trap, not the node. -quiet: only critical messages on stdout; the log is $LOG.
  setsid "${CTL[@]}" foreground-quiet </dev/null >>"$OUT" 2>&1 &
  pid=$!
  echo "$pid" > "$PIDFILE"

  sid=
  for _ in $(seq 1 $((START_TIMEOUT * 10))); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "ejabberd exited during startup; last lines of $OUT and $LOG:"
      tail -n 20 "$OUT" >&2; tail -n 30 "$LOG" >&2 2>/dev/null || true
      stop; return 1
    fi
    out=$(curl -sS --max-time 3 -X POST -H 'Content-Type: text/xml; charset=utf-8' \
          --data-binary "$(session_body)" "http://127.0.0.1:$http_port/bosh" 2>/dev/null || true)
    sid=$(sed -n "s/.*[[:space:]]sid=[\"']\([^\"']*\)[\"'].*/\1/p" <<<"$out")
    [ -n "$sid" ] && break
    sleep 0.2
  done
  if [ -z "$sid" ]; then
    log "BOSH did not answer with a sid within ${START_TIMEOUT}s; last log lines:"
    tail -n 20 "$OUT" >&2; tail -n 30 "$LOG" >&2 2>/dev/null || true
    stop; return 1
  fi

  # The node is up (listeners start last). Register the users; the spool is fresh, so
  # 'register' cannot find them already there. Each ejabberdctl call boots a small VM (~1 s).
  for d in "${DOMAINS[@]}"; do
    for u in "${USERS[@]}"; do
      for i in 1 2 3; do
        if out=$(ctl register "${u%%:*}" "$d" "${u#*:}" 2>&1); then break; fi
        [ "$i" = 3 ] && { log "registering ${u%%:*}@$d failed: $out"; stop; return 1; }
        sleep 1
      done
    done
  done

  cat > "$ENVFILE" <<EOF
EJABBERD_BOSH_URL=http://127.0.0.1:$http_port/bosh
EJABBERD_HTTP_ORIGIN=http://127.0.0.1:$http_port
EJABBERD_SHA256_DOMAIN=${DOMAINS[0]}
EJABBERD_SHA512_DOMAIN=${DOMAINS[1]}
EJABBERD_PID=$pid
EOF
  [ -z "${EJABBERD_WS:-}" ] || echo "EJABBERD_WS_URL=ws://127.0.0.1:$http_port/xmpp-websocket" >> "$ENVFILE"
  log "running (node $NODE, process group $pid) at http://127.0.0.1:$http_port/bosh" \
      "(hosts ${DOMAINS[*]}; dist port $dist_port); log: $LOG"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  status) running_pgid >/dev/null || running_beam >/dev/null ;;
  *) usage ;;
esac
