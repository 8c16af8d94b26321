#!/usr/bin/env bash
# Builds the demo's default bundle, www/data/default.bundle (git-ignored), from the sample
# corpus in www/data/*.md when it is missing or older than a document or the benefind
# binary (a new build may write a different bundle).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
BUNDLE="$ROOT/www/data/default.bundle"
BIN="$TARGET_DIR/release/benefind"
cargo build --release --locked --bin benefind
if [ -f "$BUNDLE" ] && [ ! "$BIN" -nt "$BUNDLE" ] \
  && [ -z "$(find "$ROOT/www/data" -name '*.md' -newer "$BUNDLE" -print -quit)" ]; then
  log "default bundle is up to date: $BUNDLE"
  exit 0
fi
log "building the default bundle from www/data"
"$BIN" bundle build --input "$ROOT/www/data" --out "$BUNDLE"
