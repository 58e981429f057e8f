#!/usr/bin/env bash
# make package: the release artifact dist/xmpp-wasm-<version>.tgz (`npm pack`), one package for
# bundlers and script tags alike:
#
#   import { Connection } from 'xmpp-wasm'           bundlers (webpack 5, Vite + vite-plugin-wasm,
#                                                     Rollup + a wasm plugin): --target bundler
#   import init, { Connection } from 'xmpp-wasm/web'  <script type="module">, esbuild, Vite without
#                                                     a plugin: --target web, `await init()` first
#   <script src=".../xmpp-wasm/classic/xmpp_wasm.js">  a classic script: the global `wasm_bindgen`
#                                                     (--target no-modules), `await wasm_bindgen()`;
#                                                     a file to serve, not an import (no "./classic"
#                                                     entry: it is not an ES module)
#   import { Strophe, $iq } from 'xmpp-wasm/strophe'  the Strophe.js 5 drop-in (npm/strophe.js): an ES
#                                                     module over the './web' entry (its sibling
#                                                     ./web/xmpp_wasm.js), for bundlers and script tags
#
# plus the types of each (npm/strophe.d.ts for the drop-in), README.md (the repository's: it is written for the web developer),
# LICENSE-MIT and LICENSE-APACHE. Only local tools: wasm-pack and wasm-bindgen from deps.sh,
# binaryen 132 and esbuild from tools/node_modules (npm), `npm pack`; nothing is downloaded.
#
#   scripts/package.sh            build pkg/, pkg-bundler/, pkg-no-modules/ first, then pack
#   scripts/package.sh --no-build pack what those three dirs hold now (scripts/test.sh has just
#                                 built them)
#
# Prints the tarball's path as its last line. The staging dir is .state/package/xmpp-wasm/.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

build=1
case ${1:-} in
  --no-build) build=0 ;;
  "") ;;
  *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
esac

if [ "$build" = 1 ]; then
  scripts/deps.sh
  build_pkg                              # pkg/            (--target web)
  scripts/build-npm.sh bundler no-modules  # pkg-bundler/, pkg-no-modules/
fi

# ================================================================================================
# THE LAYOUT OF THE BUILD OUTPUTS this script consumes (the web shell's build owns them: if the
# glue's files change, change this table and the `exports` below, nothing else).
#   <source dir>    <file>                 <where it goes in the package>
LAYOUT=(
  "pkg-bundler    package.json            -"                          # name, version, metadata
  "pkg-bundler    xmpp_wasm.js            xmpp_wasm.js"               # '.': the bundler entry
  "pkg-bundler    xmpp_wasm_bg.js         xmpp_wasm_bg.js"
  "pkg-bundler    xmpp_wasm_bg.wasm       xmpp_wasm_bg.wasm"
  "pkg-bundler    xmpp_wasm.d.ts          xmpp_wasm.d.ts"
  "pkg            xmpp_wasm.js            web/xmpp_wasm.js"           # './web': init() + the API
  "pkg            xmpp_wasm_bg.wasm       web/xmpp_wasm_bg.wasm"
  "pkg            xmpp_wasm.d.ts          web/xmpp_wasm.d.ts"
  "pkg-no-modules xmpp_wasm.js            classic/xmpp_wasm.js"       # classic script: global wasm_bindgen
  "pkg-no-modules xmpp_wasm_bg.wasm       classic/xmpp_wasm_bg.wasm"  # (found next to the script)
  "pkg-no-modules xmpp_wasm.d.ts          classic/xmpp_wasm.d.ts"
  "npm            strophe.js              strophe.js"             # './strophe': the Strophe.js drop-in
  "npm            strophe.d.ts            strophe.d.ts"           # (imports ./web/xmpp_wasm.js)
  ".              README.md               README.md"
  ".              LICENSE-MIT             LICENSE-MIT"
  ".              LICENSE-APACHE          LICENSE-APACHE"
)
# The entry points, as package.json `exports` (types first, as TypeScript requires).
EXPORTS='{
  ".": { "types": "./xmpp_wasm.d.ts", "default": "./xmpp_wasm.js" },
  "./web": { "types": "./web/xmpp_wasm.d.ts", "default": "./web/xmpp_wasm.js" },
  "./strophe": { "types": "./strophe.d.ts", "default": "./strophe.js" },
  "./xmpp_wasm_bg.wasm": "./xmpp_wasm_bg.wasm",
  "./web/xmpp_wasm_bg.wasm": "./web/xmpp_wasm_bg.wasm",
  "./classic/xmpp_wasm.js": "./classic/xmpp_wasm.js",
  "./classic/xmpp_wasm_bg.wasm": "./classic/xmpp_wasm_bg.wasm",
  "./package.json": "./package.json"
}'
# Files whose import runs code (the bundler entry instantiates the wasm; the classic script sets
# a global): bundlers must not drop them as unused.
SIDE_EFFECTS='["./xmpp_wasm.js", "./classic/xmpp_wasm.js", "./strophe.js", "./snippets/*"]'
# ================================================================================================

STAGE=$ROOT/.state/package/xmpp-wasm
DIST=$ROOT/dist
rm -rf "$STAGE"
mkdir -p "$STAGE" "$DIST"
meta=
for row in "${LAYOUT[@]}"; do
  read -r dir file dest <<<"$row"
  src=$ROOT/$dir/$file
  if [ ! -f "$src" ]; then
    echo "package: $dir/$file is missing (build it: scripts/package.sh without --no-build)" >&2
    exit 1
  fi
  if [ "$dest" = - ]; then meta=$src; continue; fi
  mkdir -p "$(dirname "$STAGE/$dest")"
  cp "$src" "$STAGE/$dest"
done
# The Strophe.js drop-in without comments and whitespace (esbuild from tools/, as the glue): its
# documentation is strophe.d.ts and the README. Names are not mangled: stack traces stay readable.
ROOT=$ROOT node --input-type=module -e '
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
const { transformSync } = createRequire(process.env.ROOT + "/tools/package.json")("esbuild-wasm");
const file = process.argv[1];
const { code } = transformSync(readFileSync(file, "utf8"), { minifyWhitespace: true, minifySyntax: true, format: "esm", target: "es2022", legalComments: "none" });
writeFileSync(file, code);
' "$STAGE/strophe.js"
# wasm-bindgen's inline JS snippets, if a build ever has some (none today).
for dir in pkg-bundler pkg pkg-no-modules; do
  [ -d "$ROOT/$dir/snippets" ] || continue
  case $dir in pkg-bundler) d=.;; pkg) d=web;; *) d=classic;; esac
  mkdir -p "$STAGE/$d" && cp -r "$ROOT/$dir/snippets" "$STAGE/$d/"
done

# package.json: the metadata wasm-pack and npm/finalize-package.mjs wrote for pkg-bundler/, with
# this package's entry points and file list.
META=$meta STAGE=$STAGE EXPORTS=$EXPORTS SIDE_EFFECTS=$SIDE_EFFECTS node --input-type=module -e '
import { readFileSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
const src = JSON.parse(readFileSync(process.env.META, "utf8"));
const stage = process.env.STAGE;
const walk = (d) => readdirSync(d).flatMap((f) => statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [relative(stage, join(d, f))]);
const files = walk(stage).sort();
const pkg = {};
for (const k of ["name", "version", "description", "license", "repository", "homepage", "bugs", "keywords"]) {
  if (src[k] !== undefined) pkg[k] = src[k];
}
Object.assign(pkg, {
  type: "module",
  main: "xmpp_wasm.js",
  module: "xmpp_wasm.js",
  types: "xmpp_wasm.d.ts",
  exports: JSON.parse(process.env.EXPORTS),
  files,
  sideEffects: JSON.parse(process.env.SIDE_EFFECTS),
});
for (const [k, v] of Object.entries(pkg.exports)) {
  for (const target of typeof v === "string" ? [v] : Object.values(v)) {
    if (target !== "./package.json" && !files.includes(target.replace(/^\.\//, ""))) throw new Error(`exports ${k}: ${target} is not in the package`);
  }
}
if (pkg.name !== "xmpp-wasm" || !pkg.version) throw new Error(`name/version: ${pkg.name}@${pkg.version}`);
writeFileSync(join(stage, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
'

version=$(node -p 'require(process.argv[1]).version' "$STAGE/package.json")
tarball=$DIST/xmpp-wasm-$version.tgz
rm -f "$tarball"
(cd "$STAGE" && npm pack --pack-destination "$DIST" --loglevel=error >/dev/null)
[ -f "$tarball" ] || { echo "package: npm pack wrote no $tarball" >&2; exit 1; }
echo "package: $(tar -tzf "$tarball" | sed 's|^package/||' | sort | tr '\n' ' ')"
echo "package: $(wc -c <"$tarball") bytes"
echo "$tarball"
