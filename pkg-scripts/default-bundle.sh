#!/usr/bin/env bash
# Builds what the browser loads besides the code, with the native CLI:
# - the int8 weights models/all-MiniLM-L6-v2/model.int8.safetensors (git-ignored), made
#   from model.safetensors by `benefind model quantize` when missing or not the pinned
#   bytes (the conversion is deterministic, so its SHA-256 is pinned like the wheel's);
# - the demo's default bundle, www/data/default.bundle (git-ignored), from the sample
#   corpus in www/data/*.md when it is missing or older than a document or the benefind
#   binary (a new build may write a different bundle).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
BUNDLE="$ROOT/www/data/default.bundle"
native_bins --bin benefind
BIN="$BIN_DIR/benefind"
# Also pinned in src/js/model.js (MODEL_FILES), which the browser checks.
INT8_SHA256="6af0bce37ea2583121b03fe62df502bf5bc4ced065a42d317fcbabb868960c4b"
bash "$ROOT/pkg-scripts/fetch-model.sh"
INT8="$MODEL_DIR/model.int8.safetensors"
if ! echo "$INT8_SHA256  $INT8" | sha256sum --check --status 2>/dev/null; then
  log "converting the weights to int8: $INT8"
  "$BIN" model quantize --model-dir "$MODEL_DIR"
  if ! echo "$INT8_SHA256  $INT8" | sha256sum --check --status; then
    echo "default-bundle.sh: $INT8 has SHA-256 $(sha256sum "$INT8" | cut -d' ' -f1), expected $INT8_SHA256" >&2
    rm -f "$INT8"
    exit 1
  fi
fi
if [ -f "$BUNDLE" ] && [ ! "$BIN" -nt "$BUNDLE" ] \
  && [ -z "$(find "$ROOT/www/data" -name '*.md' -newer "$BUNDLE" -print -quit)" ]; then
  log "default bundle is up to date: $BUNDLE"
  exit 0
fi
log "building the default bundle from www/data"
"$BIN" bundle build --input "$ROOT/www/data" --out "$BUNDLE"
