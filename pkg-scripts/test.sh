#!/usr/bin/env bash
# Runs every test: the quality gates (rustfmt, shellcheck, clippy natively and for
# wasm32, rustdoc; warnings denied; tsc --checkJs over the shipped JS), native (unit, integration, CLI, doctests), the wasm
# tests in headless Chromium and Firefox, and the browser end-to-end tests in Chromium,
# Firefox and WebKit (BENEFIND_BROWSERS=chromium,firefox,webkit picks engines). Installs
# what is missing first (setup.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
trap stop_servers EXIT

bash "$ROOT/pkg-scripts/setup.sh"

log "quality gates: rustfmt, shellcheck"
cargo fmt --check
shellcheck -x -P SCRIPTDIR pkg-scripts/*.sh .ci/run

log "the AWS template: cfn-lint, and the proxy role's policy grants nothing more"
"$TARGET_DIR/tools/cfn-lint/bin/cfn-lint" pkg-scripts/aws/benefind.yaml
"$TARGET_DIR/tools/cfn-lint/bin/python" tests/aws_template_scope.py

log "native tests (the ci profile: optimised, without release's LTO; see Cargo.toml)"
cargo test --profile ci --locked --features full
# The binaries that build just made serve the rest of the run (bundles, the cloud stack).
export BENEFIND_BIN_DIR="$TARGET_DIR/ci"
export BENEFIND_BIN="$BENEFIND_BIN_DIR/benefind"

log "quality gates: clippy (native, every target) and rustdoc, warnings denied"
cargo clippy --profile ci --locked --features full --all-targets -- -D warnings
log "rustdoc"
RUSTDOCFLAGS="-D warnings" cargo doc --profile ci --locked --no-deps --features full

log "wasm tests in headless Chromium, then Firefox"
bash "$ROOT/pkg-scripts/default-bundle.sh"
mkdir -p "$TARGET_DIR"
start_server "$TARGET_DIR/test-model-server.log" --mount /models=models www
export BENEFIND_TEST_MODEL_URL="${SERVER_URL}models/all-MiniLM-L6-v2/"
export BENEFIND_TEST_DATA_URL="${SERVER_URL}data/"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT=600
# Only the browser test targets (tests/web_*.rs); the native ones compile to empty wasm.
web_tests=()
for f in "$ROOT"/tests/web_*.rs; do web_tests+=(--test "$(basename "$f" .rs)"); done
# wasm-bindgen-test-runner takes GECKODRIVER before CHROMEDRIVER: one driver per run.
env -u GECKODRIVER cargo test --release --locked --target wasm32-unknown-unknown "${web_tests[@]}"
log "wasm tests in headless Firefox"
GECKODRIVER="$(command -v geckodriver)" \
  cargo test --release --locked --target wasm32-unknown-unknown "${web_tests[@]}"
log "quality gate: clippy for wasm32 (the library and its browser tests), warnings denied"
cargo clippy --release --locked --target wasm32-unknown-unknown --lib "${web_tests[@]}" -- -D warnings
# The relaxed-SIMD build's kernel compiles only with that target feature (build.sh).
cargo clippy --release --locked --target wasm32-unknown-unknown --lib -- -D warnings \
  -C target-feature=+simd128,+relaxed-simd
# The PDF module (build.sh builds it from the same crate with this feature).
cargo clippy --release --locked --target wasm32-unknown-unknown --lib --features pdf-module -- -D warnings

log "browser end-to-end tests in ${BENEFIND_BROWSERS:-chromium,firefox,webkit} (WebDriver; WebKit under Xvfb)"
bash "$ROOT/pkg-scripts/build.sh"
log "TypeScript: the package's typings describe the documented API; the shipped JS type-checks"
npx --no-install tsc --noEmit --strict --target es2022 --module es2022 \
  --moduleResolution bundler --lib esnext,dom tests/browser/types-check.ts
npx --no-install tsc -p tests/browser/tsconfig.checkjs.json
# The service worker has its own global scope (the webworker library, not the DOM's).
npx --no-install tsc --noEmit --allowJs --checkJs --skipLibCheck --target es2022 \
  --module es2022 --lib esnext,webworker www/sw.js
export GECKODRIVER="${GECKODRIVER:-$(command -v geckodriver)}"
xvfb-run -a -s "-screen 0 1280x1024x24" node --test --test-concurrency=1 tests/browser/
