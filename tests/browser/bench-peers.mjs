// Driver for `pkg-scripts/bench.sh peers`: benefind against its peers in one headless
// Chromium — transformers.js running the same all-MiniLM-L6-v2 (dtype "q8": the fp32 ONNX
// dynamically quantised as transformers.js makes its q8 files; and dtype "fp32") and a brute-force JS cosine scan
// over the same vectors. The page (bench-peers.js) runs one phase per page load, all in
// one browser context so the warm reloads find what the cold loads stored:
//   embed → benefind → benefind-warm → peer → peer-warm
// Prints a table with both sides and benefind ÷ peer, and writes target/bench/peers.json.
//   node tests/browser/bench-peers.mjs [BUNDLE_DIR [SIZES]]   (target/bench-cache, 10000,100000)
// BENCH_PEERS_PHASES=embed runs only the embedding phase and prints its medians (a quick
// check while tuning the embedder; no table, no peers.json).
// Needs pkg/ (build.sh), models/ (fetch-model.sh), target/peers/ (fetch-peers.sh),
// www/data/default.bundle (default-bundle.sh) and BUNDLE_DIR/bench-10000.bundle with its
// .queries.json (`benefind bench bundle`, as bench.sh browser/peers run it); 100000 is
// skipped when its files are missing.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { ROOT, startServer, launchBrowser } from "./helpers.mjs";
import { meanRecall } from "./bench-exact.js";

const PEERS = path.join(ROOT, "target/peers");
const PEER_MODEL_DIR = path.join(PEERS, "models/sentence-transformers/all-MiniLM-L6-v2");
const dir = path.resolve(process.argv[2] || path.join(ROOT, "target/bench-cache"));
const have = (n) => existsSync(path.join(dir, `bench-${n}.bundle`)) && existsSync(path.join(dir, `bench-${n}.queries.json`));
const sizes = (process.argv[3] || "10000,100000").split(",").map(Number).filter(have);
for (const [file, hint] of [
  [path.join(ROOT, "pkg/benefind.js"), "pkg-scripts/build.sh"],
  [path.join(ROOT, "www/data/default.bundle"), "pkg-scripts/default-bundle.sh"],
  [path.join(PEER_MODEL_DIR, "onnx/model_quantized.onnx"), "pkg-scripts/fetch-peers.sh"],
]) if (!existsSync(file)) { console.error(`missing ${file}: run ${hint}`); process.exit(1); }
if (!sizes.includes(10000)) {
  console.error(`missing ${dir}/bench-10000.bundle or .queries.json: run pkg-scripts/bench.sh browser 10000`);
  process.exit(1);
}
if (!sizes.includes(100000)) console.log("note: 100k skipped (not asked for, or bench-100000.bundle / .queries.json missing): 10k only");
for (const f of ["onnx/model.onnx", "precision.json"]) {
  if (!existsSync(path.join(PEER_MODEL_DIR, f))) { console.error(`missing ${PEER_MODEL_DIR}/${f}: run pkg-scripts/fetch-peers.sh`); process.exit(1); }
}
/**
 * Each side's precision, read from its model files rather than stated: the peer's from
 * the operator counts fetch-peers.sh took from each ONNX graph (precision.json), and
 * benefind's from the tensor dtypes in its safetensors headers.
 */
const peerPrecision = JSON.parse(readFileSync(path.join(PEER_MODEL_DIR, "precision.json"), "utf8"));
function safetensorsDtypes(file) {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  const counts = {};
  for (const [name, t] of Object.entries(header)) if (name !== "__metadata__") counts[t.dtype] = (counts[t.dtype] || 0) + 1;
  return counts;
}
function benefindPrecision(file) {
  const d = safetensorsDtypes(path.join(ROOT, "models/all-MiniLM-L6-v2", file));
  const list = Object.entries(d).sort().map(([k, v]) => `${v} ${k}`).join(", ");
  // benefind's embedder runs integer kernels exactly when the file holds I8 matrices
  // (src/embed/quant.rs): 14-bit per-row activations, on i32x4.dot_i16x8_s or (relaxed
  // SIMD, where faster) 8-bit dot products.
  return d.I8 ? `int8 weights, integer matmuls on 14-bit per-row activations (${file}: ${list} tensors)`
    : `f32 (${file}: ${list} tensors)`;
}
const PRECISION = {
  benefind: benefindPrecision("model.int8.safetensors"),
  benefind_f32: benefindPrecision("model.safetensors"),
  transformers_js: peerPrecision["model_quantized.onnx"].label,
  transformers_js_fp32: peerPrecision["model.onnx"].label,
};

const MOUNTS = {
  "/pkg": path.join(ROOT, "pkg"), "/models": path.join(ROOT, "models"), "/tests": path.join(ROOT, "tests"),
  "/bench": dir, "/peers": PEERS, "": path.join(ROOT, "www"),
};
/**
 * Renderer processes of the browser (Linux /proc) → their peak resident set (VmHWM,
 * bytes). A page, its workers and its wasm memories live in one renderer, so the peak
 * of the renderer a phase's page got is that page's peak memory.
 */
function processParents() {
  const parent = new Map();
  for (const d of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch { /* exited */ }
  }
  return parent;
}
function rendererPeaks(browserPid) {
  const parent = processParents();
  const under = (pid) => { for (let p = parent.get(pid); p; p = parent.get(p)) if (p === browserPid) return true; return false; };
  const peaks = new Map();
  for (const pid of parent.keys()) {
    try {
      if (!under(pid) || !readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--type=renderer")) continue;
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) peaks.set(pid, Number(m[1]) * 1024);
    } catch { /* exited */ }
  }
  return peaks;
}

const server = await startServer(["/tests", "/bench", "/peers"].map((m) => `${m}=${MOUNTS[m]}`));
// No spare renderer kept warm: each phase's page then gets a renderer of its own, started
// after the phase begins, so its peak memory is the page's alone.
const browser = await launchBrowser(["--disable-features=SpareRendererForSitePerProcess"]);
// The browser process: the chromium child of this script (the static server is a child too).
const browserPid = [...processParents()].map(([pid, ppid]) => ppid === process.pid && pid)
  .find((pid) => { try { return pid && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("chrom"); } catch { return false; } });
if (!browserPid) console.log("note: the browser process was not found: no peak memory figures");
const raw = {};
const requested = new Set(); // URL paths the pages (and benefind's worker) fetched
const errors = [];
try {
  const context = await browser.newContext();
  // "?baseline" marks what the page loads only to compare with (the SIMD128 build beside
  // the relaxed one): not part of what a member downloads.
  context.on("request", (r) => {
    const u = new URL(r.url());
    if (u.origin === new URL(server.url).origin && !u.searchParams.has("baseline")) requested.add(u.pathname);
  });
  const query = new URLSearchParams({ sizes: sizes.join(","), fp32: "1" });
  const phases = (process.env.BENCH_PEERS_PHASES || "embed,benefind,benefind-warm,peer,peer-warm").split(",");
  for (const phase of phases) {
    const before = new Set(rendererPeaks(browserPid).keys());
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(`${phase}: pageerror: ${e.message}`));
    page.on("console", (m) => {
      // The browser's own favicon request 404s; anything else is reported.
      if (m.type() === "error" && !m.location().url?.endsWith("/favicon.ico")) errors.push(`${phase}: console: ${m.text()}`);
    });
    const t0 = Date.now();
    await page.goto(`${server.url}tests/browser/bench-peers.html?phase=${phase}&${query}`);
    await page.waitForFunction(() => window.__bench, null, { timeout: 900_000 });
    const r = await page.evaluate(() => window.__bench);
    if (r.error) throw new Error(`phase ${phase}: ${r.error}`);
    const mine = [...rendererPeaks(browserPid)].filter(([pid]) => !before.has(pid));
    // The renderers started for this page (the blank tab's and the site's); null when
    // the page reused an older one (then the peak would not be this page's alone).
    r.peak_rss_bytes = mine.length ? Math.max(...mine.map(([, peak]) => peak)) : null;
    raw[phase] = r;
    console.log(`phase ${phase} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await page.close(); // ends benefind's worker: the next phase reopens from storage
  }
  await context.close();
} finally {
  await browser.close();
  server.close();
}

if (!raw.benefind) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [side, ms] of Object.entries(raw.embed?.embed_ms ?? {})) if (ms.length) console.log(`${side}: query embedding p50 ${median(ms).toFixed(2)} ms`);
  console.log(`wasm build: ${raw.embed?.simd}; int8 vs f32: ${JSON.stringify(raw.embed?.agreement?.int8_vs_f32)}`);
  process.exit(errors.length ? 1 : 0);
}

// Download size: every code file each side fetched (JS + wasm), and the model files,
// gzipped here at level 9 (what a static server with precompressed files sends).
const fileOf = (p) => {
  const prefix = Object.keys(MOUNTS).find((m) => m && (p === m || p.startsWith(m + "/"))) ?? "";
  return path.join(MOUNTS[prefix], decodeURIComponent(p.slice(prefix.length)));
};
const gz = (files) => files.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
const isCode = (p) => /\.(m?js|wasm)$/.test(p);
const codeOf = (prefix) => [...requested].filter((p) => p.startsWith(prefix) && isCode(p)).sort();
const modelFiles = {
  benefind: ["/models/all-MiniLM-L6-v2/model.int8.safetensors"],
  transformers_js: ["/peers/models/sentence-transformers/all-MiniLM-L6-v2/onnx/model_quantized.onnx"],
};
const tokenizerFiles = {
  benefind: ["tokenizer.json", "config.json"].map((f) => `/models/all-MiniLM-L6-v2/${f}`),
  transformers_js: ["tokenizer.json", "tokenizer_config.json", "config.json"].map((f) => `/peers/models/sentence-transformers/all-MiniLM-L6-v2/${f}`),
};
const code = { benefind: codeOf("/pkg/"), transformers_js: codeOf("/peers/npm/") };
for (const side of ["benefind", "transformers_js"]) {
  for (const p of [...modelFiles[side], ...tokenizerFiles[side]]) if (!requested.has(p)) throw new Error(`${side} never fetched ${p}`);
  if (!code[side].length) throw new Error(`${side}: no code file was fetched`);
}
// The first visit of the demo page also fetches the default bundle (benefind's data; a
// transformers.js page would have to embed the documents itself, so it has none).
const firstVisitData = { benefind: [path.join(ROOT, "www/data/default.bundle")], transformers_js: [] };
const sideBytes = (side) => {
  const code_ = gz(code[side].map(fileOf)), weights = gz(modelFiles[side].map(fileOf)), tok = gz(tokenizerFiles[side].map(fileOf));
  const data = gz(firstVisitData[side]);
  return { code: code_, weights, tokenizer_config: tok, bundle: data, total: code_ + weights + tok + data };
};
const bytes = { benefind: sideBytes("benefind"), transformers_js: sideBytes("transformers_js") };

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const both = (b, t) => ({ benefind: b, transformers_js: t });
const e = raw.embed, bf = raw.benefind, pr = raw.peer;
const agreement = e.agreement.transformers_js;
const version = (pkg) => JSON.parse(readFileSync(path.join(PEERS, "npm/node_modules", pkg, "package.json"), "utf8")).version;
const results = {
  embed_p50_ms: both(pct(e.embed_ms.benefind, 0.5), pct(e.embed_ms.transformers_js, 0.5)),
  embed_p95_ms: both(pct(e.embed_ms.benefind, 0.95), pct(e.embed_ms.transformers_js, 0.95)),
  // Which wasm build the engine loaded; with relaxed SIMD, the SIMD128 build as a baseline.
  simd: e.simd,
  embed_p50_ms_simd128: e.embed_ms.benefind_simd128?.length
    ? both(pct(e.embed_ms.benefind_simd128, 0.5), pct(e.embed_ms.transformers_js, 0.5)) : undefined,
};
// Recall@10 of benefind's timed answers against the exact scan of the same queries.
for (const n of sizes) {
  results[`search_p50_ms_${n / 1000}k`] = {
    benefind: pct(bf.query_ms[n], 0.5), js_scan: pct(pr.scan_ms[n], 0.5),
    benefind_recall_at_10: meanRecall(bf.query_ids[n], pr.scan_ids[n]), queries: pr.scan_ids[n].length,
  };
}
Object.assign(results, {
  warm_first_answer_ms: both(raw["benefind-warm"].first_answer_ms, raw["peer-warm"].first_answer_ms),
  // The page's renderer process at its peak (Linux VmHWM) on the warm reload: model,
  // 10k chunks, one answer. benefind's includes its Web Worker.
  peak_memory_bytes: both(raw["benefind-warm"].peak_rss_bytes, raw["peer-warm"].peak_rss_bytes),
  ingest_chunks_per_s: both(bf.ingest.chunks / (bf.ingest.ms / 1000), e.peer_ingest.chunks / (e.peer_ingest.ms / 1000)),
  download_gzip_bytes: {
    code: both(bytes.benefind.code, bytes.transformers_js.code),
    weights: both(bytes.benefind.weights, bytes.transformers_js.weights),
    tokenizer_config: both(bytes.benefind.tokenizer_config, bytes.transformers_js.tokenizer_config),
    default_bundle: both(bytes.benefind.bundle, bytes.transformers_js.bundle),
    total: both(bytes.benefind.total, bytes.transformers_js.total),
  },
  top3_agreement: agreement.top3_equal,
  precision: { benefind: PRECISION.benefind, transformers_js: PRECISION.transformers_js },
  details: {
    versions: { transformers_js: version("@huggingface/transformers"), onnxruntime_web: version("onnxruntime-web") },
    sizes, questions: e.questions, rounds: e.rounds, threads: { benefind: 1, transformers_js: 1 },
    peak_rss_bytes_by_phase: Object.fromEntries(Object.entries(raw).map(([phase, r]) => [phase, r.peak_rss_bytes])),
    search_e2e_p50_ms: pct(bf.search_e2e_ms, 0.5), search_e2e_p95_ms: pct(bf.search_e2e_ms, 0.95),
    search_p95_ms: Object.fromEntries(sizes.map((n) => [n, { benefind: pct(bf.query_ms[n], 0.95), js_scan: pct(pr.scan_ms[n], 0.95) }])),
    open_cold_ms: bf.open_cold_ms, js_store_build_ms: pr.store_build_ms,
    model_load_cold_ms: e.load_ms,
    warm: { benefind: raw["benefind-warm"], transformers_js: raw["peer-warm"] },
    ingest: { benefind: bf.ingest, transformers_js: e.peer_ingest },
    agreement: e.agreement,
    code_files: code,
    bytes_raw: Object.fromEntries(Object.entries(code).map(([side, files]) => [side, files.reduce((s, p) => s + readFileSync(fileOf(p)).length, 0)])),
  },
});
results.f32 = {
  precision: { benefind: PRECISION.benefind_f32, transformers_js: PRECISION.transformers_js_fp32 },
  embed_p50_ms: both(pct(e.embed_ms.benefind_f32, 0.5), pct(e.embed_ms.transformers_js_fp32, 0.5)),
  embed_p95_ms: both(pct(e.embed_ms.benefind_f32, 0.95), pct(e.embed_ms.transformers_js_fp32, 0.95)),
  int8_vs_f32: e.agreement.int8_vs_f32,
};
results.fp32_peer = {
  precision: PRECISION.transformers_js_fp32,
  embed_p50_ms: pct(e.embed_ms.transformers_js_fp32, 0.5), embed_p95_ms: pct(e.embed_ms.transformers_js_fp32, 0.95),
  top3_agreement: e.agreement.transformers_js_fp32.top3_equal,
  weights_gzip_bytes: gz([path.join(PEER_MODEL_DIR, "onnx/model.onnx")]),
};

// The table: benefind, the peer, benefind ÷ peer (below 1: benefind is smaller/faster,
// except for the throughput row, where above 1 is better).
const f = (x, d = 1) => (typeof x === "number" ? x.toFixed(d) : "-");
const mb = (x) => `${(x / 1e6).toFixed(2)} MB`;
const rows = [["", "benefind", "peer", "benefind ÷ peer"]];
const row = (label, b, p, fmt = (x) => f(x, 2)) => rows.push([label, fmt(b), fmt(p), typeof b === "number" && typeof p === "number" ? `${(b / p).toFixed(2)}x` : "-"]);
row("query embedding p50 ms, int8 (vs transformers.js q8)", results.embed_p50_ms.benefind, results.embed_p50_ms.transformers_js);
row("query embedding p95 ms, int8 (vs q8)", results.embed_p95_ms.benefind, results.embed_p95_ms.transformers_js);
if (e.embed_ms.benefind_simd128?.length) row("  the same, int8 on the SIMD128-only build (vs q8)", results.embed_p50_ms_simd128.benefind, results.embed_p50_ms_simd128.transformers_js);
row("query embedding p50 ms, f32 (vs transformers.js fp32)", results.f32.embed_p50_ms.benefind, results.f32.embed_p50_ms.transformers_js);
row("query embedding p95 ms, f32 (vs fp32)", results.f32.embed_p95_ms.benefind, results.f32.embed_p95_ms.transformers_js);
row("search(question) end to end p50 / p95 ms", results.details.search_e2e_p50_ms, undefined, (x) => (x === undefined ? "-" : `${f(x, 2)} / ${f(results.details.search_e2e_p95_ms, 2)}`));
for (const n of sizes) row(`search by vector k=10, ${n / 1000}k, p50 ms (vs JS scan)`, results[`search_p50_ms_${n / 1000}k`].benefind, results[`search_p50_ms_${n / 1000}k`].js_scan);
for (const n of sizes) row(`  recall@10 of those answers vs the exact scan, ${n / 1000}k`, results[`search_p50_ms_${n / 1000}k`].benefind_recall_at_10, 1, (x) => f(x, 4));
row(`warm reload → first answer ms (${sizes[0] / 1000}k chunks)`, results.warm_first_answer_ms.benefind, results.warm_first_answer_ms.transformers_js, (x) => f(x, 0));
row("model load, cold (network) ms", e.load_ms.benefind, e.load_ms.transformers_js, (x) => f(x, 0));
row(`peak memory, warm reload (${sizes[0] / 1000}k chunks, one answer)`, results.peak_memory_bytes.benefind, results.peak_memory_bytes.transformers_js,
  (x) => (typeof x === "number" ? `${(x / 1e6).toFixed(0)} MB` : "n/a"));
row("ingest chunks/s", results.ingest_chunks_per_s.benefind, results.ingest_chunks_per_s.transformers_js);
row("download gzip: wasm + JS", bytes.benefind.code, bytes.transformers_js.code, mb);
row("download gzip: weights", bytes.benefind.weights, bytes.transformers_js.weights, mb);
row("download gzip: default bundle (94 chunks)", bytes.benefind.bundle, undefined, (x) => (typeof x === "number" ? mb(x) : "-"));
row("download gzip: first visit total (+ tokenizer, config)", bytes.benefind.total, bytes.transformers_js.total, mb);
const width = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log("");
for (const r of rows) console.log(r.map((c, i) => (i ? c.padStart(width[i]) : c.padEnd(width[i]))).join("  "));
console.log(`\npeer: transformers.js ${results.details.versions.transformers_js} (onnxruntime-web ${results.details.versions.onnxruntime_web}); both one thread. Precision, read from the model files:`);
console.log(`  benefind int8:        ${PRECISION.benefind}; wasm build: ${results.simd}`);
console.log(`  transformers.js q8:   ${PRECISION.transformers_js}`);
console.log(`  benefind f32:         ${PRECISION.benefind_f32}`);
console.log(`  transformers.js fp32: ${PRECISION.transformers_js_fp32}`);
const iv = e.agreement.int8_vs_f32;
console.log(`benefind int8 vs f32 weights (${iv.questions} questions vs the bundle's f32 vectors): same top-3 in order ${f(iv.top3_equal, 3)}; question cosine mean ${f(iv.question_cosine_mean, 5)}, min ${f(iv.question_cosine_min, 5)}`);
console.log(`top-3 agreement (${e.agreement.questions} questions, ${e.agreement.chunks} chunks of the default bundle, vector-only, policy filter): ` +
  `q8 ${f(agreement.top3_equal, 2)} (top-1 ${f(agreement.top1_equal, 2)}; chunk cosine mean ${f(agreement.chunk_cosine_mean, 4)}, min ${f(agreement.chunk_cosine_min, 4)})` +
  `; fp32 ${f(e.agreement.transformers_js_fp32.top3_equal, 2)} (chunk cosine mean ${f(e.agreement.transformers_js_fp32.chunk_cosine_mean, 6)})`);
console.log(`warm reload: benefind ${f(raw["benefind-warm"].first_answer_ms, 0)} ms (open ${f(raw["benefind-warm"].open_ms, 0)} ms, model from ${raw["benefind-warm"].model_source}, base ${raw["benefind-warm"].base}); ` +
  `transformers.js ${f(raw["peer-warm"].first_answer_ms, 0)} ms (pipeline ${f(raw["peer-warm"].pipeline_ms, 0)} ms with ${raw["peer-warm"].cached_model_files.length} files in its Cache API store, store rebuild ${f(raw["peer-warm"].store_ms, 0)} ms, concurrently)`);
console.log(`ingest: the default bundle's ${bf.ingest.docs} chunk texts; benefind: Benefind.ingest (chunking, embedding in the worker, IndexedDB) → ${bf.ingest.chunks} chunks; transformers.js: embedding in batches of 32 into a Float32Array store`);
for (const side of ["benefind", "transformers_js"]) console.log(`${side} code fetched: ${code[side].map((p) => path.basename(p)).join(", ")}`);
if (errors.length) console.log(`page errors:\n  ${errors.join("\n  ")}`);
mkdirSync(path.join(ROOT, "target/bench"), { recursive: true });
// Timings to 0.1 µs: the browser's clock is coarsened to 0.1 ms anyway.
const round = (k, v) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toFixed(4)) : v);
writeFileSync(path.join(ROOT, "target/bench/peers.json"), JSON.stringify(results, round, 2) + "\n");
console.log("\nwrote target/bench/peers.json");
