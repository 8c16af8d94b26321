#!/usr/bin/env bash
# The main job: installs what is missing, builds the wasm package, and serves the demo
# page on http://127.0.0.1:$PORT/ (default 8080) until interrupted.
# `demo.sh --cloud` serves the same page over the cloud path instead: a local fake of
# Bedrock (Titan V2, Nova Micro, a guardrail) + S3 Vectors behind benefind-proxy, with written,
# cited answers streamed to the page (pkg-scripts/cloud-demo.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
PORT="${PORT:-8080}"

bash "$ROOT/pkg-scripts/setup.sh"
bash "$ROOT/pkg-scripts/build.sh"
bash "$ROOT/pkg-scripts/default-bundle.sh"
if [ "${1:-}" = "--cloud" ]; then exec bash "$ROOT/pkg-scripts/cloud-demo.sh"; fi
log "open http://127.0.0.1:$PORT/ (the portal widget example: http://127.0.0.1:$PORT/embed-example.html; Ctrl-C to stop)"
exec node "$ROOT/pkg-scripts/serve.mjs" --port "$PORT" \
  --mount "/pkg=$ROOT/pkg" --mount "/models=$ROOT/models" "$ROOT/www"
