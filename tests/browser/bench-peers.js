// Page module of `pkg-scripts/bench.sh peers` (driven by bench-peers.mjs): benefind and
// transformers.js running the same all-MiniLM-L6-v2 in one headless Chromium, plus a
// brute-force JS cosine scan. One phase per page load, chosen by ?phase=; the raw
// timings go to window.__bench and the driver turns them into percentiles:
//   embed          both embedders in this page, timed interleaved on the same questions;
//                  top-3 agreement of their rankings of the default bundle's chunks; the
//                  peer's ingest (embedding those chunk texts in batches into its store)
//   benefind       Benefind.open (cold) with the bench bundles, query by vector, search
//                  end to end, ingest
//   benefind-warm  a second open in a new page (model from the Cache API, bundle from
//                  IndexedDB) up to the first answer
//   peer           what a transformers.js page does instead: a JS store of the same
//                  bundle's vectors and brute-force top-10 scans
//   peer-warm      pipeline load (model from transformers.js' Cache API store) + store
//                  rebuild (bundle from the Cache API) + embedding, up to the first answer
// Served with the peers mounted at /peers (fetch-peers.sh), the bench bundles at /bench,
// the repo's tests at /tests, pkg/ at /pkg and the model at /models.
import { parseBundle, topK } from "./bench-exact.js";

const params = new URLSearchParams(location.search);
const phase = params.get("phase");
const sizes = (params.get("sizes") || "").split(",").filter(Boolean).map(Number);
const useFp32 = params.get("fp32") === "1";
const QUESTIONS = Number(params.get("questions") || 30); // embedding latency sample
const AGREEMENT = Number(params.get("agreement") || 20); // questions for top-3 agreement
const QUERIES = Number(params.get("queries") || 50); // vector searches per size
const ROUNDS = Number(params.get("rounds") || 2); // passes over the questions

const MODEL = { baseUrl: "/models/all-MiniLM-L6-v2/" };
const PEER_MODEL = "sentence-transformers/all-MiniLM-L6-v2";
const TRANSFORMERS_JS = "/peers/npm/node_modules/@huggingface/transformers/dist/transformers.min.js";
const ORT_DIST = "/peers/npm/node_modules/onnxruntime-web/dist/";
const DEFAULT_BUNDLE = "/data/default.bundle";
/** Cache API store where the peer page keeps its copy of the bundle for warm reloads. */
const PEER_CACHE = "peer-bench-bundles";
const BATCH = 32; // benefind's embedding batch size, used for the peer's ingest too

const now = () => performance.now();
const bundleUrl = (n) => `/bench/bench-${n}.bundle`;
const queriesUrl = (n) => `/bench/bench-${n}.queries.json`;

async function fetchOk(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
}
const bytes = async (url) => new Uint8Array(await (await fetchOk(url)).arrayBuffer());
const json = async (url) => (await fetchOk(url)).json();

/** The member questions with their policy (both halves of the quality set). */
async function fixtureQuestions() {
  const files = ["questions-dev.jsonl", "questions-heldout.jsonl"];
  const texts = await Promise.all(files.map(async (f) => (await fetchOk(`/tests/fixtures/${f}`)).text()));
  return texts.join("\n").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}
/** `n` questions spread evenly over the file (it is grouped by plan and topic). */
function spread(items, n) {
  const step = items.length / Math.min(n, items.length);
  return Array.from({ length: Math.min(n, items.length) }, (_, i) => items[Math.floor(i * step)]);
}

/** transformers.js set up for local files only: no hub, onnxruntime-web from /peers. */
async function loadTransformers() {
  const { pipeline, env } = await import(TRANSFORMERS_JS);
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = "/peers/models/";
  env.backends.onnx.wasm.wasmPaths = ORT_DIST;
  // Not cross-origin isolated, so onnxruntime-web could only use one thread anyway;
  // benefind's wasm is single-threaded too.
  env.backends.onnx.wasm.numThreads = 1;
  return { pipeline, env };
}
async function peerPipeline(dtype) {
  const { pipeline } = await loadTransformers();
  const extractor = await pipeline("feature-extraction", PEER_MODEL, { dtype, device: "wasm" });
  // Mean pooling over the attention mask and L2 normalisation, as sentence-transformers.
  const embed = async (text) => (await extractor(text, { pooling: "mean", normalize: true })).data;
  return { extractor, embed };
}

/**
 * Loads the benefind wasm module and an Embedder in this page (no worker), from bytes:
 * `weights` is "model.int8.safetensors" (what Benefind.open downloads by default) or
 * "model.safetensors" (f32). `build` "auto" loads the build Benefind.open picks for this
 * engine (pkg/loader.js); "simd128" loads the SIMD128-only build into a second instance of
 * the JS glue, the baseline of the relaxed-SIMD kernel in the same run.
 */
async function benefindEmbedder(weights, build = "auto") {
  // The baseline's files carry "?baseline" (its own instance of the glue, and left out
  // of the download figures).
  const wasm = await import(build === "auto" ? "/pkg/benefind_wasm.js" : "/pkg/benefind_wasm.js?baseline");
  if (build === "auto") await (await import("/pkg/loader.js")).initWasm();
  else await wasm.default({ module_or_path: "/pkg/benefind_wasm_bg.wasm?baseline" });
  const [w, t, c] = await Promise.all(
    [weights, "tokenizer.json", "config.json"].map((f) => bytes(MODEL.baseUrl + f)));
  const t0 = now();
  const embedder = new wasm.Embedder(w, t, c);
  return { embedder, fromBytesMs: now() - t0 };
}

const cosine = (a, b) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

async function phaseEmbed() {
  const out = { load_ms: {} };
  let t0 = now();
  const b = await benefindEmbedder("model.int8.safetensors");
  out.load_ms.benefind = now() - t0;
  out.load_ms.benefind_from_bytes = b.fromBytesMs;
  t0 = now();
  const bf = await benefindEmbedder("model.safetensors");
  out.load_ms.benefind_f32 = now() - t0;
  out.load_ms.benefind_f32_from_bytes = bf.fromBytesMs;
  out.weights = { benefind: b.embedder.weights, benefind_f32: bf.embedder.weights };
  out.simd = b.embedder.simd;
  // Where the engine runs the relaxed-SIMD build, the int8 embedder on the SIMD128 build too.
  const b128 = out.simd === "relaxed-simd" ? (await benefindEmbedder("model.int8.safetensors", "simd128")).embedder : null;
  t0 = now();
  const q8 = await peerPipeline("q8");
  out.load_ms.transformers_js = now() - t0;
  let fp32 = null;
  if (useFp32) {
    t0 = now();
    fp32 = await peerPipeline("fp32");
    out.load_ms.transformers_js_fp32 = now() - t0;
  }
  const all = await fixtureQuestions();
  const questions = spread(all, QUESTIONS);
  // Warm-up, then each question through each embedder in turn (the first of the pair
  // alternates), so both see the same machine state.
  for (const q of questions.slice(0, 3)) {
    b.embedder.embedOne(q.question); b128?.embedOne(q.question); bf.embedder.embedOne(q.question); await q8.embed(q.question); await fp32?.embed(q.question);
  }
  const times = { benefind: [], benefind_simd128: [], benefind_f32: [], transformers_js: [], transformers_js_fp32: [] };
  const timeOne = async (name, f) => { const s = now(); await f(); times[name].push(now() - s); };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, { question }] of questions.entries()) {
      const pair = [["benefind", () => b.embedder.embedOne(question)], ["transformers_js", () => q8.embed(question)],
        ["benefind_f32", () => bf.embedder.embedOne(question)]];
      if (fp32) pair.push(["transformers_js_fp32", () => fp32.embed(question)]);
      if (b128) pair.push(["benefind_simd128", () => b128.embedOne(question)]);
      if ((i + r) % 2) pair.reverse();
      for (const [name, f] of pair) await timeOne(name, f);
    }
  }
  out.embed_ms = times;
  out.questions = questions.length;
  out.rounds = ROUNDS;

  // Top-3 agreement on the default bundle: benefind ranks by the bundle's stored vectors
  // (benefind's embeddings of the chunk texts), transformers.js by its own embeddings of
  // the same texts; both vector-only cosine, filtered to the question's policy.
  const bundle = parseBundle(await (await fetchOk(DEFAULT_BUNDLE)).arrayBuffer());
  const texts = Array.from({ length: bundle.count }, (_, i) => bundle.text(i));
  // Embedding them in batches of 32 into a store's Float32Array is also the peer's
  // ingest (benefind's is timed in the benefind phase on the same texts).
  const peerVectors = async (peer) => {
    const vectors = new Float32Array(bundle.count * bundle.dims);
    for (let i = 0; i < texts.length; i += BATCH) {
      const t = await peer.extractor(texts.slice(i, i + BATCH), { pooling: "mean", normalize: true });
      vectors.set(t.data, i * bundle.dims);
    }
    return vectors;
  };
  t0 = now();
  const sides = { transformers_js: { peer: q8, vectors: await peerVectors(q8) } };
  out.peer_ingest = { chunks: bundle.count, ms: now() - t0 };
  if (fp32) sides.transformers_js_fp32 = { peer: fp32, vectors: await peerVectors(fp32) };
  const agreeQuestions = spread(all, AGREEMENT);
  out.agreement = { questions: agreeQuestions.length, chunks: bundle.count };
  for (const [name, { peer, vectors }] of Object.entries(sides)) {
    let top3 = 0, top1 = 0;
    const examples = [];
    for (const q of agreeQuestions) {
      const accept = (row) => bundle.policies[row] === q.policy;
      const ours = topK(bundle.vectors, bundle.dims, b.embedder.embedOne(q.question), 3, accept).map((h) => bundle.ids[h.row]);
      const theirs = topK(vectors, bundle.dims, await peer.embed(q.question), 3, accept).map((h) => bundle.ids[h.row]);
      const same = ours.length === theirs.length && ours.every((id) => theirs.includes(id));
      top3 += same;
      top1 += ours[0] === theirs[0];
      if (!same && examples.length < 5) examples.push({ question: q.question, benefind: ours, peer: theirs });
    }
    // How close the two embeddings of each chunk text are (1 = identical direction).
    const cos = Array.from({ length: bundle.count }, (_, i) => cosine(
      bundle.vectors.subarray(i * bundle.dims, (i + 1) * bundle.dims), vectors.subarray(i * bundle.dims, (i + 1) * bundle.dims)));
    out.agreement[name] = {
      top3_equal: top3 / agreeQuestions.length, top1_equal: top1 / agreeQuestions.length,
      chunk_cosine_mean: cos.reduce((a, c) => a + c, 0) / cos.length, chunk_cosine_min: Math.min(...cos),
      disagreements: examples,
    };
  }
  // What the int8 weights change: questions embedded with int8 vs f32, both ranked
  // against the bundle's (f32) chunk vectors; and how close the two question vectors are.
  let top3 = 0;
  const qcos = [];
  for (const q of all) {
    const accept = (row) => bundle.policies[row] === q.policy;
    const [vi, vf] = [b.embedder.embedOne(q.question), bf.embedder.embedOne(q.question)];
    qcos.push(cosine(vi, vf));
    const [a, c] = [vi, vf].map((v) => topK(bundle.vectors, bundle.dims, v, 3, accept).map((h) => bundle.ids[h.row]));
    top3 += a.every((id, i) => id === c[i]);
  }
  out.agreement.int8_vs_f32 = {
    questions: all.length, top3_equal: top3 / all.length,
    question_cosine_mean: qcos.reduce((x, y) => x + y, 0) / qcos.length, question_cosine_min: Math.min(...qcos),
  };
  return out;
}

/** Chunk texts of the default bundle, as documents of one chunk each (for ingest). */
async function ingestDocs() {
  const bundle = parseBundle(await (await fetchOk(DEFAULT_BUNDLE)).arrayBuffer());
  return Array.from({ length: bundle.count }, (_, i) => ({ text: bundle.text(i), policy: bundle.policies[i], id: `ingest-${i}` }));
}

async function phaseBenefind() {
  const api = await import("/pkg/benefind.js");
  const out = { open_cold_ms: {}, query_ms: {} };
  const questions = spread(await fixtureQuestions(), QUESTIONS);
  for (const n of sizes) {
    const t0 = now();
    const db = await api.Benefind.open({ model: MODEL, bundleUrl: bundleUrl(n), dbName: `peers-${n}` });
    out.open_cold_ms[n] = now() - t0;
    out.model_source = out.model_source ?? db.opened.modelSource;
    const qs = (await json(queriesUrl(n))).slice(0, QUERIES);
    await db.query({ vector: qs[0].vector, k: 10 }); // warm-up
    const ms = [], ids = [];
    for (const q of qs) {
      const s = now();
      const hits = await db.query({ vector: q.vector, k: 10 });
      ms.push(now() - s);
      ids.push(hits.map((h) => h.id));
    }
    out.query_ms[n] = ms;
    // The answers of the timed queries; the driver scores them against the peer phase's
    // exact scan of the same queries (recall@10).
    (out.query_ids ??= {})[n] = ids;
    if (n === sizes[0]) {
      // Questions end to end (embedding in the worker + hybrid search + postMessage).
      await db.search(questions[0].question, questions[0].policy);
      out.search_e2e_ms = [];
      for (let r = 0; r < ROUNDS; r++) {
        for (const q of questions) { const s = now(); await db.search(q.question, q.policy); out.search_e2e_ms.push(now() - s); }
      }
    }
    db.close();
  }
  // Ingest: the default bundle's chunk texts, one document each, through the API
  // (chunking, embedding in batches, one IndexedDB transaction).
  const docs = await ingestDocs();
  const db = await api.Benefind.open({ model: MODEL, dbName: "peers-ingest" });
  const t0 = now();
  const report = await db.ingest(docs);
  out.ingest = { docs: docs.length, chunks: report.chunks, ms: now() - t0 };
  db.close();
  return out;
}

async function phaseBenefindWarm() {
  const api = await import("/pkg/benefind.js");
  const n = sizes[0];
  const q = (await json(queriesUrl(n)))[0];
  // What an offline reload does: no bundle URL, everything from IndexedDB.
  const t0 = now();
  const db = await api.Benefind.open({ model: MODEL, dbName: `peers-${n}` });
  const open = now() - t0;
  const hits = await db.search(q.question, q.policy);
  const first = now() - t0;
  const result = { size: n, open_ms: open, first_answer_ms: first, hits: hits.length, model_source: db.opened.modelSource, base: db.opened.open?.base };
  db.close();
  return result;
}

async function phasePeer() {
  const out = { store_build_ms: {}, scan_ms: {} };
  const cache = await caches.open(PEER_CACHE);
  for (const n of sizes) {
    const t0 = now();
    const response = await fetchOk(bundleUrl(n));
    // The first size is the one the warm reload reopens: keep a copy, as such a page would.
    if (n === sizes[0]) await cache.put(bundleUrl(n), response.clone());
    let store = parseBundle(await response.arrayBuffer());
    out.store_build_ms[n] = now() - t0;
    const qs = (await json(queriesUrl(n))).slice(0, QUERIES).map((q) => Float32Array.from(q.vector));
    topK(store.vectors, store.dims, qs[0], 10); // warm-up (JIT)
    const ms = [], ids = [];
    for (const q of qs) {
      const s = now();
      const best = topK(store.vectors, store.dims, q, 10);
      ms.push(now() - s);
      ids.push(best.map((h) => store.ids[h.row]));
    }
    out.scan_ms[n] = ms;
    (out.scan_ids ??= {})[n] = ids;
    store = null;
  }
  return out;
}

async function phasePeerWarm() {
  const n = sizes[0];
  const q = (await json(queriesUrl(n)))[0];
  const cachedModelFiles = (await (await caches.open("transformers-cache")).keys()).map((r) => new URL(r.url).pathname);
  const t0 = now();
  let pipelineMs, storeMs;
  const [peer, store] = await Promise.all([
    peerPipeline("q8").then((p) => { pipelineMs = now() - t0; return p; }),
    (async () => {
      const response = await (await caches.open(PEER_CACHE)).match(bundleUrl(n));
      if (!response) throw new Error("the peer phase did not cache the bundle");
      const s = parseBundle(await response.arrayBuffer());
      storeMs = now() - t0;
      return s;
    })(),
  ]);
  const hits = topK(store.vectors, store.dims, await peer.embed(q.question), 3, (row) => store.policies[row] === q.policy)
    .map((h) => ({ id: store.ids[h.row], score: h.score, text: store.text(h.row) }));
  const first = now() - t0;
  return { size: n, first_answer_ms: first, pipeline_ms: pipelineMs, store_ms: storeMs, hits: hits.length, cached_model_files: cachedModelFiles };
}

const PHASES = { embed: phaseEmbed, benefind: phaseBenefind, "benefind-warm": phaseBenefindWarm, peer: phasePeer, "peer-warm": phasePeerWarm };

(PHASES[phase] ?? (() => Promise.reject(new Error(`unknown phase ${phase}`))))().then(
  (r) => { window.__bench = r; document.getElementById("status").textContent = "done"; },
  (e) => { window.__bench = { error: String(e && e.stack || e) }; });
