# Shared by the pkg-scripts: paths and small helpers. Source it; do not run it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
MODEL_DIR="$ROOT/models/all-MiniLM-L6-v2"
# Debian's chromium + chromedriver (installed by setup.sh); wasm-pack and
# wasm-bindgen-test-runner find the driver through these, so nothing is downloaded.
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROME_BIN="${CHROME_BIN:-/usr/bin/chromium}"

log() { printf '\033[1m[benefind]\033[0m %s\n' "$*" >&2; }

# start_server LOGFILE ARGS... : starts pkg-scripts/serve.mjs in the background on a
# free port; sets SERVER_PID and SERVER_URL. The caller kills it (see stop_servers).
SERVER_PIDS=()
start_server() {
  local logfile="$1"; shift
  node "$ROOT/pkg-scripts/serve.mjs" --port 0 "$@" >"$logfile" 2>&1 &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
  for _ in $(seq 1 100); do
    SERVER_URL="$(sed -n 's/^serving .* on \(http[^ ]*\)$/\1/p' "$logfile" | head -n1)"
    [ -n "$SERVER_URL" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$logfile" >&2; return 1; }
    sleep 0.1
  done
  log "server did not start"; cat "$logfile" >&2; return 1
}
stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
}
