#!/usr/bin/env bash
# Install what building, the demo and the tests need; idempotent, and quick (~1 s) when all is there.
#   Debian:    chromium chromium-driver firefox-esr (browser tests), prosody (XMPP server), prosody-modules (mod_sasl2, mod_sasl2_bind2 for the WebSocket tests), curl
#   rustup:    target wasm32-unknown-unknown
#   cargo:     wasm-bindgen-cli =0.2.130 (must equal the wasm-bindgen pinned in Cargo.toml), wasm-pack,
#              geckodriver =0.37.1 (wasm-pack test --firefox; builds in ~2 min on 2 idle cores, ~6 under load)
#   npm:       tools/ (binaryen 132: wasm-opt for wasm-pack build; Debian's binaryen 108 breaks the
#              package, see scripts/lib.sh; esbuild-wasm: minifies the JS glue), tests/js/ (playwright-core, which drives Debian's
#              Chromium; it downloads no browser), examples/vite/ (vite, vite-plugin-wasm) and
#              examples/ts/ (typescript); both link ../../pkg-bundler, which may not exist yet
# Nothing here downloads a prebuilt binary: everything comes from apt, crates.io or npm.
# Works unattended (no stdin, CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # keep equal to `wasm-bindgen = "=..."` in Cargo.toml
WASM_PACK_VERSION=0.15.1       # installed only when no wasm-pack is on PATH
GECKODRIVER_VERSION=0.37.1     # installed only when no geckodriver is on PATH
APT_PACKAGES=(chromium chromium-driver firefox-esr prosody prosody-modules ejabberd curl)

export PATH="$HOME/.cargo/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive
export CARGO_TERM_PROGRESS_WHEN=never
say() { echo "deps: $*"; }
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo

# --- Debian packages -------------------------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
command -v make >/dev/null || missing+=(make)
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  $SUDO apt-get update -q </dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi
# Debian's prosody package starts a system-wide instance (ports 5222/5269/5280); we only use our
# own instances (scripts/prosody.sh), so keep the system one from being started on fresh installs.
if [[ " ${missing[*]} " == *" prosody "* ]]; then
  (command -v systemctl >/dev/null && $SUDO systemctl disable --now prosody) >/dev/null 2>&1 || true
  (command -v service >/dev/null && $SUDO service prosody stop) >/dev/null 2>&1 || true
fi
# Same for ejabberd (5222/5269/5280/5443, node ejabberd@localhost, epmd): scripts/ejabberd.sh runs
# a private node without epmd; ~30 s to install (43 packages, 32 MB).
if [[ " ${missing[*]} " == *" ejabberd "* ]]; then
  (command -v systemctl >/dev/null && $SUDO systemctl disable --now ejabberd) >/dev/null 2>&1 || true
  (command -v service >/dev/null && $SUDO service ejabberd stop) >/dev/null 2>&1 || true
fi

# --- Rust target -----------------------------------------------------------------------------
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown </dev/null
fi

# --- wasm-bindgen-cli (exact version) --------------------------------------------------------
have_wb=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
have_runner=$(command -v wasm-bindgen-test-runner || true)
if [ "$have_wb" != "$WASM_BINDGEN_VERSION" ] || [ -z "$have_runner" ]; then
  say "cargo install wasm-bindgen-cli =$WASM_BINDGEN_VERSION (found: ${have_wb:-none}); takes a few minutes"
  # --locked first; its Cargo.lock may name a dependency version the registry no longer serves
  # (seen: webpki-roots 1.0.11), then resolve afresh within the same semver ranges.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --locked --force </dev/null ||
    cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force </dev/null
fi

# --- wasm-pack -------------------------------------------------------------------------------
if ! command -v wasm-pack >/dev/null; then
  say "cargo install wasm-pack $WASM_PACK_VERSION; takes a few minutes"
  cargo install wasm-pack --version "=$WASM_PACK_VERSION" --locked </dev/null ||
    cargo install wasm-pack --version "=$WASM_PACK_VERSION" </dev/null
fi

# --- geckodriver (for wasm-pack test --firefox; wasm-pack would otherwise download one) --------
if ! command -v geckodriver >/dev/null; then
  say "cargo install geckodriver $GECKODRIVER_VERSION; takes 2-6 minutes"
  cargo install geckodriver --version "=$GECKODRIVER_VERSION" --locked </dev/null ||
    cargo install geckodriver --version "=$GECKODRIVER_VERSION" </dev/null
fi

# --- npm packages: build tools, browser test, examples ---------------------------------------
# (npm ci of the examples works before pkg-bundler/ exists: the link just dangles until then.)
for dir in tools tools/typedoc tests/js examples/vite examples/ts; do
  stamp=$dir/node_modules/.deps-stamp
  want=$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    say "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
    echo "$want" > "$stamp"
  fi
done

# geckodriver --version prints a dozen lines; piped into `head -n1`, which exits after the first,
# geckodriver panics on the closed pipe ("Broken pipe"). Read it all, keep the first line.
gecko_version=$(geckodriver --version 2>/dev/null || true)
say "ok (wasm-bindgen $(wasm-bindgen --version | awk '{print $2}'), $(wasm-pack --version)," \
  "${gecko_version%%$'\n'*}, $(firefox-esr --version 2>/dev/null | sed 's/Mozilla //')," \
  "binaryen $(sed -n 's/^ *"version": "\(.*\)",$/\1/p' tools/node_modules/binaryen/package.json), node $(node --version))"
