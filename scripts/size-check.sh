#!/usr/bin/env bash
# The download-size budget (issue 10): the gzip -9 bytes of pkg/xmpp_wasm_bg.wasm followed by
# pkg/xmpp_wasm.js (the --target web release build, as scripts/assemble.mjs wrote it), which is what a page
# fetches, must not exceed the figure in size-budget.txt. Fails and prints both numbers when the
# build grew past it. Run by scripts/test.sh right after build_pkg; `scripts/size-check.sh [pkgdir]`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PKG=${1:-$ROOT/pkg}
budget=$(sed -n 's/^\([0-9][0-9]*\).*/\1/p' "$ROOT/size-budget.txt" | head -n 1)
[ -n "$budget" ] || { echo "size-check: no number on the first line of size-budget.txt" >&2; exit 2; }
wasm=$(gzip -9 -n <"$PKG/xmpp_wasm_bg.wasm" | wc -c)
js=$(gzip -9 -n <"$PKG/xmpp_wasm.js" | wc -c)
size=$(cat "$PKG/xmpp_wasm_bg.wasm" "$PKG/xmpp_wasm.js" | gzip -9 -n | wc -c)
if [ "$size" -gt "$budget" ]; then
  echo "size-check: FAILED: wasm + JS glue is $size B gzip -9 (wasm $wasm, glue $js), over the budget of $budget B in size-budget.txt" >&2
  exit 1
fi
echo "size-check: wasm + JS glue $size B gzip -9 (wasm $wasm, glue $js) <= budget $budget B"
