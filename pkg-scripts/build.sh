#!/usr/bin/env bash
# Builds the browser package into pkg/ (ES module + .wasm + .d.ts + package.json): cargo
# builds the wasm32 library, the wasm-bindgen CLI that setup.sh installed (Cargo.lock's
# version) writes the JS glue and typings, and package.json is written here. That is all
# wasm-pack did in its no-install mode, so it is not needed. No wasm-opt (see the
# Toolchain notes in the wasm module's docs: Debian's binaryen breaks wasm-bindgen's output).
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
cargo build --quiet --release --locked --lib --target wasm32-unknown-unknown
mkdir -p "$ROOT/$out"
wasm-bindgen --target web --out-dir "$ROOT/$out" --out-name benefind_wasm \
  "${CARGO_TARGET_DIR:-$TARGET_DIR}/wasm32-unknown-unknown/release/benefind.wasm"
# The package's entry is the Web Worker API (src/js), which wraps wasm-bindgen's module.
cp "$ROOT"/src/js/*.js "$ROOT"/src/js/*.d.ts "$ROOT/$out/"
node - "$ROOT/Cargo.toml" "$ROOT/$out/package.json" <<'JS'
const fs = require("fs");
const [cargo, file] = process.argv.slice(2);
const field = (name) => fs.readFileSync(cargo, "utf8").match(new RegExp(`^${name} = "(.*)"$`, "m"))[1];
const pkg = {
  name: field("name"), type: "module", description: field("description"), version: field("version"),
  license: field("license"),
  files: ["benefind.js", "benefind.d.ts", "model.js", "worker.js", "benefind_wasm.js", "benefind_wasm.d.ts", "benefind_wasm_bg.wasm", "benefind_wasm_bg.wasm.d.ts"],
  main: "benefind.js", module: "benefind.js", types: "benefind.d.ts", sideEffects: ["./snippets/*"],
  exports: { ".": { types: "./benefind.d.ts", default: "./benefind.js" }, "./wasm": { types: "./benefind_wasm.d.ts", default: "./benefind_wasm.js" } },
};
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
JS
cp "$ROOT/README.md" "$ROOT/$out/README.md"
log "built $out/ (entry benefind.js; benefind_wasm_bg.wasm $(stat -c %s "$ROOT/$out/benefind_wasm_bg.wasm") bytes)"
