#!/usr/bin/env bash
# The cloud path on this machine, with no AWS account: starts the local fake of Bedrock
# Titan V2 + S3 Vectors (SigV4-checked) on 127.0.0.1:$FAKE_PORT (9100) and benefind-proxy
# in front of it on 127.0.0.1:$PROXY_PORT (9000), configured from pkg-scripts/example.toml
# with the tokens in $BENEFIND_SEARCH_TOKEN (default: the demo's published one, printed) and
# $BENEFIND_INGEST_TOKEN (default: one made for the run), uploads the default bundle through the proxy (re-embedded by "Titan"), and
# serves the demo page in cloud mode at http://127.0.0.1:$PORT/?cloud . Run by
# `pkg-scripts/demo.sh --cloud`. Ctrl-C stops everything.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
PORT="${PORT:-8080}"
PROXY_PORT="${PROXY_PORT:-9000}"
FAKE_PORT="${FAKE_PORT:-9100}"
DIR="$TARGET_DIR/cloud-demo"
mkdir -p "$DIR/www"

native_bins --bins
BIN="$BIN_DIR"
trap stop_cloud_stack EXIT

start_cloud_stack "$DIR" "$FAKE_PORT" "$PROXY_PORT" "http://127.0.0.1:$PORT"
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
