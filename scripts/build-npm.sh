#!/usr/bin/env bash
# The JavaScript packages besides pkg/ (which scripts/lib.sh's build_pkg builds, --target web):
#
#   scripts/build-npm.sh [bundler] [no-modules]     (default: both)
#
#   bundler     wasm-pack build --target bundler  -> pkg-bundler/     the npm package `xmpp-wasm`,
#               finalised by npm/finalize-package.mjs (module, exports, its own README: npm/README.md).
#               Publish with `cd pkg-bundler && npm publish`.
#   no-modules  wasm-pack build --target no-modules -> pkg-no-modules/  for a classic <script src>
#               (a global `wasm_bindgen`), used by examples/script-tag/classic.html.
#
# Both dirs are git-ignored (/pkg-*). Like build_pkg, this puts tools/'s wasm-opt (binaryen 132)
# first on PATH; Debian's binaryen 108 writes a module that loads in no browser. The Rust build is
# shared with pkg/ (same cargo target dir), so after build_pkg each target costs only
# wasm-bindgen + wasm-opt (~15 s).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

wasm_pack() {  # wasm_pack <target> <out-dir>
  PATH="$ROOT/tools/node_modules/.bin:$PATH" wasm-pack --log-level warn build --target "$1" --release --out-dir "$2"
}

build_bundler() {
  wasm_pack bundler pkg-bundler
  node scripts/assemble.mjs pkg-bundler        # the JavaScript layer of js/ with the glue, minified
  node npm/finalize-package.mjs pkg-bundler
  node npm/check-bundler.mjs pkg-bundler
}

build_no_modules() {
  wasm_pack no-modules pkg-no-modules
  node scripts/assemble.mjs pkg-no-modules     # the JavaScript layer of js/ on the global wasm_bindgen
  node npm/check-no-modules.mjs pkg-no-modules
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(bundler no-modules)
for t in "${targets[@]}"; do
  case $t in
    bundler) build_bundler ;;
    no-modules) build_no_modules ;;
    *) echo "usage: $0 [bundler] [no-modules]" >&2; exit 2 ;;
  esac
done
