#!/usr/bin/env bash
# Builds the demo's default bundle, www/data/default.bundle (git-ignored), from the sample
# corpus in www/data/*.md when it is missing or older than any document.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
BUNDLE="$ROOT/www/data/default.bundle"
if [ -f "$BUNDLE" ] && [ -z "$(find "$ROOT/www/data" -name '*.md' -newer "$BUNDLE" -print -quit)" ]; then
  log "default bundle is up to date: $BUNDLE"
  exit 0
fi
cargo build --release --locked --bin benefind
log "building the default bundle from www/data"
"$TARGET_DIR/release/benefind" bundle build --input "$ROOT/www/data" --out "$BUNDLE"
