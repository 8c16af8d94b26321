#!/usr/bin/env bash
# Builds the browser package into pkg/ (ES module + .wasm + .d.ts + package.json) with
# wasm-pack in no-install mode: it uses the wasm-bindgen CLI that setup.sh installed and
# never downloads anything; wasm-opt is off (Cargo.toml explains why).
#   pkg-scripts/build.sh                 → pkg/, SIMD128 on (the default build)
#   pkg-scripts/build.sh --no-simd DIR   → DIR, SIMD128 off (for the benchmark)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

out="pkg"
if [ "${1:-}" = "--no-simd" ]; then
  out="${2:?usage: build.sh --no-simd OUT_DIR}"
  # RUSTFLAGS replaces .cargo/config.toml's target rustflags; a separate target dir
  # keeps the two builds from invalidating each other's cache.
  export RUSTFLAGS="-C target-feature=-simd128"
  export CARGO_TARGET_DIR="$TARGET_DIR/nosimd"
fi
log "building the wasm package into $out/"
wasm-pack --quiet build --mode no-install --target web --release \
  --out-dir "$ROOT/$out" --out-name benefind
log "built $out/benefind_bg.wasm ($(stat -c %s "$ROOT/$out/benefind_bg.wasm") bytes)"
