#!/usr/bin/env bash
# The cloud path on this machine, with no AWS account: starts the local fake of Bedrock
# Titan V2 + S3 Vectors (SigV4-checked), benefind-proxy in front of it with fresh random
# tokens, uploads the default bundle through the proxy (re-embedded by "Titan"), and
# serves the demo page in cloud mode at http://127.0.0.1:$PORT/?cloud . Run by
# `pkg-scripts/demo.sh --cloud`. Ctrl-C stops everything.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
PORT="${PORT:-8080}"
PROXY_PORT="${PROXY_PORT:-8787}"
FAKE_PORT="${FAKE_PORT:-8788}"
DIR="$TARGET_DIR/cloud-demo"
mkdir -p "$DIR/www"

cargo build --release --locked --bins
BIN="$TARGET_DIR/release"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

"$BIN/benefind-fake-aws" --listen "127.0.0.1:$FAKE_PORT" --index benefind/benefits/1024 >"$DIR/fake.log" 2>&1 &
PIDS+=($!)
SEARCH_TOKEN="demo-search-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
INGEST_TOKEN="demo-ingest-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$DIR/proxy.toml" <<TOML
listen = "127.0.0.1:$PROXY_PORT"
region = "us-east-1"
bedrock_endpoint = "http://127.0.0.1:$FAKE_PORT"
s3vectors_endpoint = "http://127.0.0.1:$FAKE_PORT"
allow_loopback_http = true
vector_bucket = "benefind"
index = "benefits"
dims = 1024
allowed_origins = ["http://127.0.0.1:$PORT"]

[[tokens]]
name = "demo-page"
sha256 = "$(printf %s "$SEARCH_TOKEN" | "$BIN/benefind-proxy" hash-token)"
role = "search"

[[tokens]]
name = "demo-loader"
sha256 = "$(printf %s "$INGEST_TOKEN" | "$BIN/benefind-proxy" hash-token)"
role = "ingest"
TOML
for _ in $(seq 1 100); do grep -q "listening on" "$DIR/fake.log" && break; sleep 0.1; done
AWS_ACCESS_KEY_ID=AKIDBENEFINDFAKE AWS_SECRET_ACCESS_KEY=benefind-fake-secret-key AWS_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true "$BIN/benefind-proxy" --config "$DIR/proxy.toml" >"$DIR/proxy.out" 2>"$DIR/proxy.log" &
PIDS+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$DIR/proxy.out" && break; sleep 0.1; done
log "uploading the default bundle through the proxy"
BENEFIND_TOKEN="$INGEST_TOKEN" "$BIN/benefind" cloud upload --bundle www/data/default.bundle \
  --proxy "http://127.0.0.1:$PROXY_PORT" --state "$DIR/upload-state.json"
POLICIES="$("$BIN/benefind" bundle inspect www/data/default.bundle | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const m = JSON.parse(s); console.log(JSON.stringify(Object.keys(m.policies ?? {}).sort())); });')"
printf '{"proxyUrl": "http://127.0.0.1:%s", "token": "%s", "policies": %s}\n' \
  "$PROXY_PORT" "$SEARCH_TOKEN" "$POLICIES" >"$DIR/www/config.json"
log "open http://127.0.0.1:$PORT/?cloud (proxy log: $DIR/proxy.log; Ctrl-C to stop)"
node "$ROOT/pkg-scripts/serve.mjs" --port "$PORT" --mount "/pkg=$ROOT/pkg" \
  --mount "/models=$ROOT/models" --mount "/cloud=$DIR/www" "$ROOT/www"
