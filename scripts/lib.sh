# shellcheck shell=bash
# Sourced by scripts/demo.sh and scripts/test.sh.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"

# The wasm package for the browser, into $ROOT/pkg. wasm-pack runs the wasm-opt it finds first on
# PATH: ours is binaryen 132 from npm (tools/, installed by deps.sh), because Debian 12's
# binaryen 108 writes a module whose externref table export points at the funcref table, so
# init() throws in every browser. wasm-bindgen comes from deps.sh too; nothing is downloaded.
# scripts/assemble.mjs then bundles the JavaScript layer of js/ (the public API) with the glue into
# one minified xmpp_wasm.js (esbuild from tools/) and writes the hand-written types.
build_pkg() {
  (cd "$ROOT" && PATH="$ROOT/tools/node_modules/.bin:$PATH" wasm-pack build --target web --release --out-dir pkg)
  node "$ROOT/scripts/assemble.mjs" "$ROOT/pkg"
  node "$ROOT/scripts/check-pkg.mjs" "$ROOT/pkg"
}

# <statedir>/site = the files of www/ plus pkg/, as symlinks (Prosody's http_files follows them,
# so a rebuilt pkg/ or an edited page is served without restarting anything).
populate_site() {
  local site=$1/site f
  rm -rf "$site"
  mkdir -p "$site"
  for f in "$ROOT"/www/* "$ROOT/pkg"; do
    [ -e "$f" ] && ln -s "$f" "$site/$(basename "$f")"
  done
  # Pages of the JS-level browser tests, on the same origin as /http-bind.
  ln -s "$ROOT/tests/js/pages" "$site/__test"
  true
}

# A free TCP port on 127.0.0.1 (for the throw-away servers of prosody.sh and ejabberd.sh).
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' && return 0
  fi
  # Fallback: probe random high ports with bash's /dev/tcp (connection refused = free).
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "free_port: no free port found" >&2; return 1
}
