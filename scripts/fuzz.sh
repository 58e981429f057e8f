#!/usr/bin/env bash
# scripts/fuzz.sh [seconds] [target...]: runs each cargo-fuzz target in fuzz/ for the given time
# (default 60 s; every target when none is named) and prints executions, crashes and slow units per
# target. Not part of `make test`. Needs the nightly toolchain; installs cargo-fuzz if missing.
#
# Inputs: the committed seeds in fuzz/corpus/<target>/ (read only) and what earlier runs found in
# fuzz/work/<target>/ (git-ignored; new inputs go there). Findings: fuzz/artifacts/<target>/
# (crash-*, timeout-*, oom-*), logs in fuzz/logs/<target>.log (both git-ignored). Reproduce one with
# `cd fuzz && cargo +nightly fuzz run <target> <artifact>`; each becomes a regression test in
# `cargo test` and a fix at its root.
#
# Limits: -timeout=1 (an input taking a second or more is a failure: slow units are defects) and
# -max_len=65536 (a 64 KiB body holds hundreds of stanzas, enough for any superlinear cost to pass
# the timeout, while small inputs keep executions fast; the 4 MiB body cap of the product is
# exercised by examples/bench_bosh.rs instead). -rss_limit_mb=2048.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(xml_roundtrip bosh_response sasl_challenges snapshot_restore ws_frames)

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "==> cargo install cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

echo "==> cargo +nightly fuzz build (release, debug assertions, AddressSanitizer)"
cargo +nightly fuzz build

mkdir -p logs
summary=()
status=0
for t in "${targets[@]}"; do
  mkdir -p "work/$t" "artifacts/$t"
  dict=()
  case $t in xml_roundtrip|bosh_response) dict=(-dict=xml.dict) ;; esac
  before=$(ls "artifacts/$t" | wc -l)
  echo "==> $t for ${seconds}s"
  rc=0
  cargo +nightly fuzz run "$t" "work/$t" "corpus/$t" -- \
    -max_total_time="$seconds" -timeout=1 -max_len=65536 -rss_limit_mb=2048 \
    -print_final_stats=1 "${dict[@]}" >"logs/$t.log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
  if [ -z "$execs" ]; then  # stopped by a finding: the last status line says how far it got
    execs=$(grep -o '^#[0-9]*' "logs/$t.log" | tail -1 | tr -d '#')
  fi
  new=$(ls -t "artifacts/$t" | head -n $(( $(ls "artifacts/$t" | wc -l) - before )))
  crashes=$(printf '%s\n' "$new" | grep -c -E '^(crash|oom|leak)-' || true)
  slow=$(printf '%s\n' "$new" | grep -c -E '^(timeout|slow-unit)-' || true)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && [ "$slow" -eq 0 ]; then
    crashes="? (exit $rc, see fuzz/logs/$t.log)"
  fi
  [ "$rc" -eq 0 ] || status=1
  line=$(printf '%-18s %12s execs  crashes: %s  slow units: %s' "$t" "${execs:-0}" "$crashes" "$slow")
  [ -z "$new" ] || line+="  -> $(printf 'fuzz/artifacts/%s/%s ' "$t" $new)"
  echo "$line"
  summary+=("$line")
done

echo
echo "==> summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
