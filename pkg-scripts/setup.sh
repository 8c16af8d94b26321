#!/usr/bin/env bash
# Installs everything benefind needs on a fresh Debian machine (run as root), and
# nothing that is already there: re-running it is quick and changes nothing.
#   - Rust target wasm32-unknown-unknown
#   - wasm-bindgen-cli at exactly Cargo.lock's wasm-bindgen version (crates.io): build.sh
#     and the wasm tests use it
#   - the three browser engines the tests drive over WebDriver: Debian chromium +
#     chromium-driver, firefox-esr + geckodriver (cargo install; no download elsewhere),
#     webkit2gtk-driver (WebKitWebDriver + MiniBrowser) + xvfb to give WebKit a display
#   - Node.js/npm and python3/pip if missing (Debian), npm dev packages from package-lock.json
#   - the quality gates' tools: rustfmt and clippy (rustup), shellcheck (Debian)
#   - the model weights (fetch-model.sh)
#   - cfn-lint (PyPI, pinned) in a venv under target/tools/, for the AWS template
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

GECKODRIVER_VERSION="0.37.1"

apt_missing=()
command -v node >/dev/null || apt_missing+=(nodejs)
command -v npm >/dev/null || apt_missing+=(npm)
command -v python3 >/dev/null || apt_missing+=(python3)
python3 -m pip --version >/dev/null 2>&1 || apt_missing+=(python3-pip)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || apt_missing+=(python3-venv)
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
[ -x /usr/bin/chromedriver ] || apt_missing+=(chromium-driver)
[ -x /usr/bin/firefox-esr ] || apt_missing+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || apt_missing+=(webkit2gtk-driver)
command -v xvfb-run >/dev/null || apt_missing+=(xvfb xauth)
command -v gzip >/dev/null || apt_missing+=(gzip)
command -v shellcheck >/dev/null || apt_missing+=(shellcheck)
if [ ${#apt_missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${apt_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi

for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    log "adding Rust component $component"
    rustup component add "$component"
  fi
done
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The CLI must match the wasm-bindgen crate exactly, or the generated JS glue breaks.
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)"
[ -n "$WB_VERSION" ] || { echo "setup.sh: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
# The two tools below are built with parallel codegen, no LTO and opt-level 1: they only
# rewrite one .wasm or drive a browser, so this halves their build (wasm-bindgen-cli
# 299 → 160 s cold on 2 cores) without changing what they write (same glue, ~0.2 s).
quick_install() {
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false \
    cargo install --quiet --force "$@"
}
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  log "installing wasm-bindgen-cli $WB_VERSION (cargo install; a few minutes)"
  # Not --locked: its lockfile pins a webpki-roots version that is no longer available.
  quick_install wasm-bindgen-cli --version "$WB_VERSION"
fi

if [ "$(geckodriver --version 2>/dev/null | awk 'NR==1 {print $2}')" != "$GECKODRIVER_VERSION" ]; then
  log "installing geckodriver $GECKODRIVER_VERSION (cargo install; a few minutes)"
  quick_install --locked geckodriver --version "$GECKODRIVER_VERSION"
fi

# npm dev packages (selenium-webdriver: the WebDriver client for all three engines, and
# playwright-core for the Chromium benchmarks; neither downloads a browser or driver here).
STAMP="node_modules/.benefind-lock.sha256"
LOCK_SUM="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$LOCK_SUM" ]; then
  log "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$LOCK_SUM" >"$STAMP"
fi

# cfn-lint (PyPI, pinned) checks the AWS template in pkg-scripts/aws/; its Python also
# runs tests/aws_template_scope.py, which reads the template with cfn-lint's decoder.
CFN_LINT_VERSION="1.51.0"
CFN_VENV="$TARGET_DIR/tools/cfn-lint"
if [ "$("$CFN_VENV/bin/cfn-lint" --version 2>/dev/null | awk '{print $2}')" != "$CFN_LINT_VERSION" ]; then
  log "installing cfn-lint $CFN_LINT_VERSION from PyPI into $CFN_VENV"
  python3 -m venv "$CFN_VENV"
  "$CFN_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "cfn-lint==$CFN_LINT_VERSION"
fi

bash "$ROOT/pkg-scripts/fetch-model.sh"
log "setup complete"
