#!/usr/bin/env bash
# make docs: the API reference, in target/api-docs/ (open target/api-docs/index.html):
#   js/    TypeDoc (tools/typedoc, from npm) of the npm package's types: 'xmpp-wasm' (the bundler
#          entry's .d.ts), 'xmpp-wasm/web' (the same API plus init()/initSync()) and
#          'xmpp-wasm/strophe' (the Strophe.js drop-in, npm/strophe.d.ts, every item documented)
#   rust/  rustdoc of the crate (cargo doc --no-deps): the sans-IO core; the wasm web shell is
#          compiled for wasm32 only, its JS API is what js/ shows
# Undocumented public items: rustdoc fails on one (-D missing_docs; src/lib.rs warns on them in
# every build anyway). TypeDoc fails on one too (its notDocumented validation, as errors):
# every item of the hand-written .d.ts and of the drop-in's is documented, and scripts/assemble.mjs
# documents wasm-bindgen's init declarations. DOCS_STRICT=0 lists them as warnings instead.
#
#   scripts/docs.sh              build the .d.ts first (scripts/package.sh), then the docs
#   scripts/docs.sh --no-build   use the staged package of the last scripts/package.sh run
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

STAGE=$ROOT/.state/package/xmpp-wasm   # written by scripts/package.sh (its layout table)
OUT=$ROOT/target/api-docs
case ${1:-} in
  --no-build) [ -f "$STAGE/package.json" ] || { echo "docs: no $STAGE; run scripts/package.sh" >&2; exit 1; } ;;
  "") scripts/package.sh >/dev/null ;;
  *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
esac
[ -x tools/typedoc/node_modules/.bin/typedoc ] || scripts/deps.sh

rm -rf "$OUT"
mkdir -p "$OUT"

# TypeDoc reads the .d.ts through a tsconfig: the lib settings of a Vite/TS template (the
# hand-written .d.ts declares no [Symbol.dispose](), so no ESNext.Disposable).
cat >"$STAGE/tsconfig.typedoc.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022", "DOM", "DOM.Iterable"],
    "module": "ESNext",
    "moduleResolution": "bundler",
    "strict": true,
    "skipLibCheck": false,
    "noEmit": true
  },
  "files": ["xmpp_wasm.d.ts", "web/xmpp_wasm.d.ts", "strophe.d.ts"]
}
JSON
version=$(node -p 'require(process.argv[1]).version' "$STAGE/package.json")
strict=()
[ "${DOCS_STRICT:-1}" = 0 ] || strict=(--treatValidationWarningsAsErrors)
set +e
tools/typedoc/node_modules/.bin/typedoc \
  --tsconfig "$STAGE/tsconfig.typedoc.json" \
  --entryPoints "$STAGE/xmpp_wasm.d.ts" --entryPoints "$STAGE/web/xmpp_wasm.d.ts" --entryPoints "$STAGE/strophe.d.ts" \
  --entryPointStrategy resolve \
  --name "xmpp-wasm $version" \
  --readme none \
  --out "$OUT/js" \
  --validation.notDocumented true \
  --disableSources \
  "${strict[@]}" >"$ROOT/.state/typedoc.log" 2>&1
rc=$?
set -e
undocumented=$(grep -c 'does not have any documentation' "$ROOT/.state/typedoc.log" || true)
if [ "$rc" != 0 ]; then
  sed 's/\x1b\[[0-9;]*m//g' "$ROOT/.state/typedoc.log" | tail -20 >&2
  echo "docs: TypeDoc failed (log: .state/typedoc.log)" >&2
  exit 1
fi
echo "docs: TypeDoc: $undocumented public items of the .d.ts have no doc comment (listed in .state/typedoc.log)"

RUSTDOCFLAGS="-D missing_docs -D rustdoc::broken_intra_doc_links" cargo doc --no-deps --lib --quiet
rm -rf "$OUT/rust"
cp -r target/doc "$OUT/rust"

cat >"$OUT/index.html" <<HTML
<!doctype html>
<meta charset="utf-8">
<title>xmpp-wasm $version: API reference</title>
<style>body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; }</style>
<h1>xmpp-wasm $version: API reference</h1>
<ul>
  <li><a href="js/index.html">JavaScript / TypeScript</a>: the npm package
      (<code>xmpp-wasm</code>, <code>xmpp-wasm/web</code>), from its <code>.d.ts</code></li>
  <li><a href="rust/xmpp_wasm/index.html">Rust</a>: the sans-IO core (rustdoc)</li>
</ul>
HTML
echo "docs: $OUT/index.html (js/: TypeDoc, rust/: rustdoc)"
