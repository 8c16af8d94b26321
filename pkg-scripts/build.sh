#!/usr/bin/env bash
# Builds the browser package into pkg/ (ES module + .wasm + .d.ts + package.json): cargo
# builds the wasm32 library, the wasm-bindgen CLI that setup.sh installed (Cargo.lock's
# version) writes the JS glue and typings, and package.json is written here. That is all
# wasm-pack did in its no-install mode, so it is not needed. No wasm-opt (see the
# Toolchain notes in the wasm module's docs: Debian's binaryen breaks wasm-bindgen's output).
# The default package holds two builds behind one JS glue: SIMD128, and SIMD128 + relaxed
# SIMD (src/js/loader.js picks per engine). The second compiles only benefind itself
# again: `cargo rustc` passes the extra target feature to the last crate alone, so every
# dependency's build is shared.
#   pkg-scripts/build.sh                 → pkg/, SIMD128 and relaxed-SIMD builds (the default)
#   pkg-scripts/build.sh --no-simd DIR   → DIR, SIMD128 off (for the benchmark)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

out="pkg"
relaxed=1
if [ "${1:-}" = "--no-simd" ]; then
  out="${2:?usage: build.sh --no-simd OUT_DIR}"
  # RUSTFLAGS replaces .cargo/config.toml's target rustflags; a separate target dir
  # keeps the two builds from invalidating each other's cache.
  export RUSTFLAGS="-C target-feature=-simd128"
  export CARGO_TARGET_DIR="$TARGET_DIR/nosimd"
  relaxed=0
fi
log "building the wasm package into $out/"
rm -rf "${ROOT:?}/$out"
wasm="${CARGO_TARGET_DIR:-$TARGET_DIR}/wasm32-unknown-unknown/release/benefind.wasm"
cargo build --quiet --release --locked --lib --target wasm32-unknown-unknown
mkdir -p "$ROOT/$out"
wasm-bindgen --target web --out-dir "$ROOT/$out" --out-name benefind_wasm "$wasm"
if [ "$relaxed" = 1 ]; then
  log "building the relaxed-SIMD variant"
  cargo rustc --quiet --release --locked --lib --target wasm32-unknown-unknown \
    -- -C target-feature=+simd128,+relaxed-simd
  tmp="$(mktemp -d)"
  wasm-bindgen --target web --out-dir "$tmp" --out-name benefind_wasm "$wasm"
  # One glue serves both modules only if wasm-bindgen wrote the same one.
  if ! cmp -s "$tmp/benefind_wasm.js" "$ROOT/$out/benefind_wasm.js"; then
    log "the relaxed-SIMD build's JS glue differs from the SIMD128 build's"
    exit 1
  fi
  mv "$tmp/benefind_wasm_bg.wasm" "$ROOT/$out/benefind_wasm_relaxed_bg.wasm"
  rm -rf "$tmp"
fi
if [ "$relaxed" = 1 ]; then
  # The PDF module: the same crate built as the PDF reader only (feature pdf-module), a
  # separate .wasm the worker imports when a member first adds a PDF.
  log "building the PDF module"
  cargo build --quiet --release --locked --lib --target wasm32-unknown-unknown --features pdf-module
  wasm-bindgen --target web --out-dir "$ROOT/$out" --out-name benefind_pdf "$wasm"
fi
# The package's entry is the Web Worker API (src/js), which wraps wasm-bindgen's module.
cp "$ROOT"/src/js/*.js "$ROOT"/src/js/*.d.ts "$ROOT/$out/"
node - "$ROOT/Cargo.toml" "$ROOT/$out/package.json" <<'JS'
const fs = require("fs");
const [cargo, file] = process.argv.slice(2);
const field = (name) => fs.readFileSync(cargo, "utf8").match(new RegExp(`^${name} = "(.*)"$`, "m"))[1];
const pkg = {
  name: field("name"), type: "module", description: field("description"), version: field("version"),
  license: field("license"),
  files: ["benefind.js", "benefind.d.ts", "loader.js", "model.js", "worker.js", "embedder-worker.js", "batches.js", "answer-stream.js", "benefind_wasm.js", "benefind_wasm.d.ts", "benefind_wasm_bg.wasm", "benefind_wasm_relaxed_bg.wasm", "benefind_wasm_bg.wasm.d.ts", "benefind_pdf.js", "benefind_pdf.d.ts", "benefind_pdf_bg.wasm", "benefind_pdf_bg.wasm.d.ts"],
  main: "benefind.js", module: "benefind.js", types: "benefind.d.ts", sideEffects: ["./snippets/*"],
  exports: { ".": { types: "./benefind.d.ts", default: "./benefind.js" }, "./wasm": { types: "./benefind_wasm.d.ts", default: "./benefind_wasm.js" } },
};
fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
JS
cp "$ROOT/README.md" "$ROOT/$out/README.md"
log "built $out/ (entry benefind.js; $(cd "$ROOT/$out" && stat -c '%n %s bytes' ./*.wasm | paste -sd ';'))"
