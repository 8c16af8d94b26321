# shellcheck shell=bash
# Shared by the pkg-scripts: paths and small helpers. Source it; do not run it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export MODEL_DIR="$ROOT/models/all-MiniLM-L6-v2"
# Debian's chromium + chromedriver (installed by setup.sh):
# wasm-bindgen-test-runner finds the driver through these, so nothing is downloaded.
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROME_BIN="${CHROME_BIN:-/usr/bin/chromium}"

# Log lines carry the seconds since the first script of this run started, so a CI log
# shows where its time goes.
export BENEFIND_T0="${BENEFIND_T0:-$(date +%s)}"
log() { printf '\033[1m[benefind +%ss]\033[0m %s\n' "$(($(date +%s) - BENEFIND_T0))" "$*" >&2; }

# native_bins [CARGO_BUILD_ARGS...] : sets BIN_DIR to the folder of the native binaries
# (benefind, benefind-proxy, benefind-fake-aws). When $BENEFIND_BIN_DIR is set the caller
# has built them there (test.sh: the `ci` profile its tests built); otherwise they are
# built here in release (default: all binaries).
native_bins() {
  if [ -n "${BENEFIND_BIN_DIR:-}" ]; then
    BIN_DIR="$BENEFIND_BIN_DIR"
  else
    cargo build --release --locked --features full "${@:---bins}"
    BIN_DIR="$TARGET_DIR/release"
  fi
}

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
  for pid in "${SERVER_PIDS[@]:-}"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  done
}

# start_cloud_stack DIR FAKE_PORT PROXY_PORT ORIGIN [--set KEY=VALUE …] : starts
# benefind-fake-aws (indexes benefind/benefits and, for benchmarks, benefind/baseline, of
# 1024 dimensions) and benefind-proxy in front of it, configured from
# pkg-scripts/example.toml with these ports and origin and the tokens in
# $BENEFIND_SEARCH_TOKEN (default: the demo's published one, printed) and
# $BENEFIND_INGEST_TOKEN (default: a random one made for this run, never published);
# `benefind-proxy config` edits the settings as TOML values, and further --set
# arguments (e.g. limits.burst=1000) go to it too. The proxy signs with the credentials
# the fake prints. SEARCH_TOKEN and INGEST_TOKEN are set. Logs and the config go to DIR.
# stop_cloud_stack stops both.
CLOUD_PIDS=()
start_cloud_stack() {
  local dir="$1" fake_port="$2" proxy_port="$3" origin="$4" bin="${BIN_DIR:-$TARGET_DIR/release}"
  shift 4
  mkdir -p "$dir"
  SEARCH_TOKEN="${BENEFIND_SEARCH_TOKEN:-benefind-demo-search-token}"
  [ -n "${BENEFIND_SEARCH_TOKEN:-}" ] || log "search token (role search): $SEARCH_TOKEN (set \$BENEFIND_SEARCH_TOKEN for another)"
  if [ -n "${BENEFIND_INGEST_TOKEN:-}" ]; then
    INGEST_TOKEN="$BENEFIND_INGEST_TOKEN"
  else
    read -r INGEST_TOKEN _ < <("$bin/benefind-proxy" hash-token --generate)
    log "ingest token (role ingest): made for this run (set \$BENEFIND_INGEST_TOKEN to choose one)"
  fi
  "$bin/benefind-fake-aws" --listen "127.0.0.1:$fake_port" --index benefind/benefits/1024/chunk \
    --index benefind/baseline/1024 >"$dir/fake.log" 2>&1 &
  CLOUD_PIDS+=($!)
  local search_hash ingest_hash
  search_hash="$(printf %s "$SEARCH_TOKEN" | "$bin/benefind-proxy" hash-token)"
  ingest_hash="$(printf %s "$INGEST_TOKEN" | "$bin/benefind-proxy" hash-token)"
  "$bin/benefind-proxy" --config "$ROOT/pkg-scripts/example.toml" config \
    --set "listen=\"127.0.0.1:$proxy_port\"" \
    --set "bedrock_endpoint=\"http://127.0.0.1:$fake_port\"" \
    --set "s3vectors_endpoint=\"http://127.0.0.1:$fake_port\"" \
    --set "allowed_origins=[\"$origin\"]" \
    --token-hash "demo-page=$search_hash" --token "demo-loader:ingest=$ingest_hash" \
    "$@" >"$dir/proxy.toml"
  local key secret
  read -r key secret < <("$bin/benefind-fake-aws" --print-credentials)
  for _ in $(seq 1 100); do grep -q "listening on" "$dir/fake.log" && break; sleep 0.1; done
  AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true "$bin/benefind-proxy" --config "$dir/proxy.toml" >"$dir/proxy.out" 2>"$dir/proxy.log" &
  CLOUD_PIDS+=($!)
  for _ in $(seq 1 100); do grep -q "listening on" "$dir/proxy.out" && break; sleep 0.1; done
  grep -q "listening on" "$dir/proxy.out" || { cat "$dir/proxy.log" >&2; return 1; }
}
stop_cloud_stack() {
  local pid
  for pid in "${CLOUD_PIDS[@]:-}"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  done
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
