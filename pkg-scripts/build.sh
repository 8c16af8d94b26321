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
rm -rf "${ROOT:?}/$out"
wasm-pack --quiet build --mode no-install --target web --release \
  --out-dir "$ROOT/$out" --out-name benefind_wasm
# The package's entry is the Web Worker API (src/js), which wraps wasm-bindgen's module.
cp "$ROOT"/src/js/*.js "$ROOT"/src/js/*.d.ts "$ROOT/$out/"
node - "$ROOT/$out/package.json" <<'JS'
const fs = require("fs");
const file = process.argv[2];
const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
pkg.main = pkg.module = "benefind.js";
pkg.types = "benefind.d.ts";
pkg.files = ["benefind.js", "benefind.d.ts", "model.js", "worker.js", "benefind_wasm.js", "benefind_wasm.d.ts", "benefind_wasm_bg.wasm", "benefind_wasm_bg.wasm.d.ts"];
pkg.exports = { ".": { types: "./benefind.d.ts", default: "./benefind.js" }, "./wasm": { types: "./benefind_wasm.d.ts", default: "./benefind_wasm.js" } };
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
JS
log "built $out/ (entry benefind.js; benefind_wasm_bg.wasm $(stat -c %s "$ROOT/$out/benefind_wasm_bg.wasm") bytes)"
