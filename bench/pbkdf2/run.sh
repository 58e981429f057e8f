#!/usr/bin/env bash
# PBKDF2 of the library's SASL code in Chromium (not part of make test; asserts nothing):
#   bench/pbkdf2/run.sh [rounds]      default 10000, Prosody's iteration count
# Builds bench/pbkdf2 (the library's sha.rs + mac.rs behind one export, the library's profile),
# runs wasm-opt -Oz -Oz like build_pkg, and prints min and median of 15 first calls per hash.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT/bench/pbkdf2"
cargo build --quiet --release --target wasm32-unknown-unknown
"$ROOT/tools/node_modules/.bin/wasm-opt" -Oz -Oz target/wasm32-unknown-unknown/release/pbkdf2_bench.wasm -o target/pbkdf2.wasm
node run.mjs target/pbkdf2.wasm "${1:-10000}"
