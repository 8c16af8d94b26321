#!/usr/bin/env bash
# Benchmarks; each prints its numbers and ratios against a baseline measured in the
# same run, and writes target/bench/<name>.json.
#   pkg-scripts/bench.sh embed [RUNS]   native vs headless-Chromium embedding, SIMD128 vs not
#   pkg-scripts/bench.sh search [ARGS]  index build/load/latency/recall vs brute force (10k, 100k)
#   pkg-scripts/bench.sh quality        top-1 / MRR@10 / nDCG@10 per mode on the held-out, dev and fresh
#                                       question sets, locally and through benefind-proxy to the fake;
#                                       then real SBC wording (tests/fixtures/sbc: top-1, MRR@10, answers);
#                                       then the answer span: abstention recall/precision, answer
#                                       accuracy (locally, and as the cloud path answers from its
#                                       re-rank, simulated), query latency with and without the
#                                       answer (natively, and in headless Chromium)
#   pkg-scripts/bench.sh browser [SIZES] the Benefind API in headless Chromium: model load, ingest
#                                       chunks/s and main-thread long tasks, search at 10k/100k,
#                                       reopen vs rebuild, IndexedDB bytes, memory
#   pkg-scripts/bench.sh proxy [--clients N --requests M --idle N --abuse-seconds S]
#                                       benefind-proxy under load (default 50 x 200) vs the same
#                                       calls straight to the fake AWS; the same load with 150
#                                       slow clients holding connections open; and the Titan
#                                       calls per minute one address can cause (default limits)
#   pkg-scripts/bench.sh answer [--rounds N] written answers (/v1/answer, streamed) through the proxy
#                                       to the fake vs the same calls signed straight to it: time to
#                                       first token, total, Bedrock calls and tokens per answer
#   pkg-scripts/bench.sh peers [SIZES]  benefind vs transformers.js (same MiniLM) and a JS cosine scan, in Chromium
#   pkg-scripts/bench.sh pdf [FILE.pdf…] PDFs to searchable, natively and in Chromium: extraction, pages,
#                                       chunks/s, time to searchable, memory; 1 worker vs one per core;
#                                       then the sentences embedded in the background, and what the
#                                       answer adds to a query while they are and after
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

usage() { sed -n '2,25p' "$0" >&2; exit 2; }

bench_embed() {
  local runs="${1:-50}"
  bash "$ROOT/pkg-scripts/setup.sh"
  cargo build --release --locked --features full --bin benefind
  mkdir -p "$ROOT/target/bench"
  log "native embedding ($runs runs)"
  "$TARGET_DIR/release/benefind" bench embed --runs "$runs" >"$ROOT/target/bench/embed-native.json"
  bash "$ROOT/pkg-scripts/build.sh"
  bash "$ROOT/pkg-scripts/build.sh" --no-simd pkg-nosimd
  log "browser embedding in headless Chromium"
  node "$ROOT/tests/browser/bench-embed.mjs" "$ROOT/target/bench/embed-native.json" "$runs"
}

bench_search() {
  bash "$ROOT/pkg-scripts/setup.sh"
  cargo build --release --locked --features full --bin benefind
  "$TARGET_DIR/release/benefind" bench search "$@"
}

# sample_cloud DIR FAKE_PORT PROXY_PORT : the fake AWS and a proxy (example.toml, whose
# [answer] names the fake's guardrail) with the per-token and per-address limits raised
# for a benchmark from one address, and the sample corpus (the default bundle) uploaded
# through it, re-embedded by "Titan". Uses $BIN_DIR's binaries.
sample_cloud() {
  local dir="$1" fake="$2" proxy="$3"
  rm -rf "$dir"
  start_cloud_stack "$dir" "$fake" "$proxy" "http://127.0.0.1" \
    --set limits.requests_per_minute=100000 --set limits.burst=10000 \
    --set limits.client_requests_per_minute=100000 --set limits.client_burst=10000 \
    --set limits.embeddings_per_minute=100000
  BENEFIND_TOKEN="$INGEST_TOKEN" "$BIN_DIR/benefind" cloud upload \
    --bundle www/data/default.bundle --proxy "http://127.0.0.1:$proxy" --state "$dir/upload-state.json"
}

bench_quality() {
  bash "$ROOT/pkg-scripts/setup.sh"
  bash "$ROOT/pkg-scripts/default-bundle.sh"
  cargo build --release --locked --features full --bins
  # The cloud rows: the default bundle uploaded through a proxy to the fake (its Titan is
  # MiniLM under an orthogonal map), every question asked through the proxy.
  local dir="$TARGET_DIR/bench-quality-cloud" fake="${FAKE_PORT:-8796}" proxy="${PROXY_PORT:-8797}"
  trap stop_cloud_stack EXIT
  BIN_DIR="$TARGET_DIR/release" sample_cloud "$dir" "$fake" "$proxy"
  BENEFIND_TOKEN="$SEARCH_TOKEN" "$TARGET_DIR/release/benefind" bench quality \
    --cloud "http://127.0.0.1:$proxy" "$@"
  log "real SBC wording: six public SBCs as read (tests/fixtures/sbc), int8 weights"
  "$TARGET_DIR/release/benefind" bench sbc --weights int8 \
    --questions tests/fixtures/questions-sbc.jsonl tests/fixtures/sbc/*.json
  log "answers: abstention and the answer span (tests/fixtures/answers.jsonl, int8 weights)"
  "$TARGET_DIR/release/benefind" bench answers --weights int8
  bash "$ROOT/pkg-scripts/build.sh"
  log "answers in headless Chromium: query latency with the answer span and without"
  node "$ROOT/tests/browser/bench-answers.mjs"
}

bench_browser() {
  local sizes="${1:-10000,100000}"
  bash "$ROOT/pkg-scripts/setup.sh"
  cargo build --release --locked --features full --bin benefind
  bash "$ROOT/pkg-scripts/build.sh"
  local cache="$ROOT/target/bench-cache"
  mkdir -p "$cache"
  for n in ${sizes//,/ }; do
    # Real MiniLM vectors (embedded once, cached) with their HNSW graphs; rebuilt when
    # this benefind cannot read the cached bundle (e.g. an older format version).
    "$TARGET_DIR/release/benefind" bundle inspect "$cache/bench-$n.bundle" >/dev/null 2>&1 ||
      "$TARGET_DIR/release/benefind" bench bundle --size "$n" --cache "$cache" --out "$cache/bench-$n.bundle"
  done
  node "$ROOT/tests/browser/bench-browser.mjs" "$cache" "$sizes"
}

bench_proxy() {
  bash "$ROOT/pkg-scripts/setup.sh"
  cargo build --release --locked --features full --bins
  trap stop_cloud_stack EXIT
  # One ingest token for both stacks, made for this run.
  if [ -z "${BENEFIND_INGEST_TOKEN:-}" ]; then
    read -r BENEFIND_INGEST_TOKEN _ < <("$TARGET_DIR/release/benefind-proxy" hash-token --generate)
    export BENEFIND_INGEST_TOKEN
  fi
  local fake="${FAKE_PORT:-8798}" proxy="${PROXY_PORT:-8799}"
  # The load test's stack: the per-token and per-address rate limits would throttle a
  # load test from one address, so they are raised for this run only (timeouts and caps
  # keep their defaults, for the slow-client test).
  start_cloud_stack "$TARGET_DIR/bench-proxy" "$fake" "$proxy" "http://127.0.0.1" \
    --set limits.requests_per_minute=100000000 --set limits.burst=1000000 \
    --set limits.client_requests_per_minute=100000000 --set limits.client_burst=1000000
  # The cost-abuse test's stack: every limit at its default.
  start_cloud_stack "$TARGET_DIR/bench-proxy-guarded" "$((fake + 2))" "$((proxy + 2))" "http://127.0.0.1"
  BENEFIND_SEARCH_TOKEN="$SEARCH_TOKEN" BENEFIND_INGEST_TOKEN="$INGEST_TOKEN" \
    "$TARGET_DIR/release/benefind" bench proxy --proxy "http://127.0.0.1:$proxy" \
    --fake "http://127.0.0.1:$fake" --guarded "http://127.0.0.1:$((proxy + 2))" \
    --guarded-fake "http://127.0.0.1:$((fake + 2))" "$@"
}

bench_answer() {
  bash "$ROOT/pkg-scripts/setup.sh"
  bash "$ROOT/pkg-scripts/default-bundle.sh"
  native_bins --bins
  local dir="$TARGET_DIR/bench-answer" fake="${FAKE_PORT:-8794}" proxy="${PROXY_PORT:-8795}"
  trap stop_cloud_stack EXIT
  sample_cloud "$dir" "$fake" "$proxy"
  BENEFIND_SEARCH_TOKEN="$SEARCH_TOKEN" "$BIN_DIR/benefind" bench answer \
    --proxy "http://127.0.0.1:$proxy" --fake "http://127.0.0.1:$fake" "$@"
}

# PDFs from bytes to searchable, natively and in headless Chromium: extraction, pages,
# chunks, chunks/s, time to searchable and memory, one embedding worker (the sequential
# baseline) next to one per core. Default files: the committed SBC excerpt and an 83-page
# handbook made from the sample plans (tests/browser/make-pdf.mjs); give your own PDFs
# (e.g. a real handbook) as arguments.
bench_pdf() {
  bash "$ROOT/pkg-scripts/setup.sh"
  cargo build --release --locked --features full --bin benefind
  local files=("$@")
  if [ "${#files[@]}" = 0 ]; then
    mkdir -p "$ROOT/target/bench"
    node "$ROOT/tests/browser/make-pdf.mjs" "$ROOT/target/bench/handbook-83.pdf" 83
    files=("$ROOT/tests/fixtures/pdf/sbc-cms-example-2025-p1-3.pdf" "$ROOT/target/bench/handbook-83.pdf")
  fi
  log "natively (benefind bench pdf)"
  "$TARGET_DIR/release/benefind" bench pdf --weights int8 "${files[@]}"
  bash "$ROOT/pkg-scripts/build.sh"
  log "in headless Chromium (the Benefind API, int8 weights)"
  node "$ROOT/tests/browser/bench-pdf.mjs" "${files[@]}"
}

bench_peers() {
  bash "$ROOT/pkg-scripts/setup.sh"
  bash "$ROOT/pkg-scripts/fetch-peers.sh"
  bash "$ROOT/pkg-scripts/build.sh"
  bash "$ROOT/pkg-scripts/default-bundle.sh"
  local cache="$ROOT/target/bench-cache" sizes="${1:-10000,100000}" n
  mkdir -p "$cache"
  # The bench bundles of `bench.sh browser` (real MiniLM vectors with their graphs),
  # rebuilt when missing or unreadable by this benefind (embeddings are cached; the 100k
  # graphs take about two minutes).
  for n in ${sizes//,/ }; do
    "$TARGET_DIR/release/benefind" bundle inspect "$cache/bench-$n.bundle" >/dev/null 2>&1 ||
      "$TARGET_DIR/release/benefind" bench bundle --size "$n" --cache "$cache" --out "$cache/bench-$n.bundle"
  done
  log "benefind vs transformers.js and a JS cosine scan in headless Chromium"
  node "$ROOT/tests/browser/bench-peers.mjs" "$cache" "$sizes"
}

case "${1:-}" in
  embed) shift; bench_embed "$@" ;;
  search) shift; bench_search "$@" ;;
  quality) shift; bench_quality "$@" ;;
  browser) shift; bench_browser "$@" ;;
  proxy) shift; bench_proxy "$@" ;;
  answer) shift; bench_answer "$@" ;;
  peers) shift; bench_peers "$@" ;;
  pdf) shift; bench_pdf "$@" ;;
  *) usage ;;
esac
