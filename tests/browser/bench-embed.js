// Times the wasm embedder in this page: model load from bytes, one question (median and
// p95 over many runs after warm-up), and a batch of 32 chunk-length texts. The package
// to load comes from ?pkg=/pkg/ (SIMD128) or ?pkg=/pkg-nosimd/; results go to
// window.__bench for the Playwright driver.
const params = new URLSearchParams(location.search);
const pkg = params.get("pkg") || "/pkg/";
const runs = Number(params.get("runs") || 50);

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * p))];

async function bytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function main() {
  const { default: init, Embedder } = await import(`${pkg}benefind_wasm.js`);
  await init();
  const texts = await (await fetch("/tests/fixtures/bench-embed.json")).json();
  const base = "/models/all-MiniLM-L6-v2/";
  const [w, t, c] = await Promise.all(
    ["model.safetensors", "tokenizer.json", "config.json"].map((f) => bytes(base + f)));
  const t0 = performance.now();
  const embedder = new Embedder(w, t, c);
  const loadMs = performance.now() - t0;

  for (let i = 0; i < 5; i++) embedder.embedOne(texts.question);
  const single = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    embedder.embedOne(texts.question);
    single.push(performance.now() - s);
  }
  single.sort((a, b) => a - b);

  embedder.embed(texts.batch);
  const batchRuns = Math.max(3, Math.floor(runs / 10));
  const batch = [];
  for (let i = 0; i < batchRuns; i++) {
    const s = performance.now();
    embedder.embed(texts.batch);
    batch.push(performance.now() - s);
  }
  batch.sort((a, b) => a - b);
  const batchP50 = pct(batch, 0.5);
  return {
    target: `wasm ${pkg}`,
    load_ms: loadMs,
    single_runs: runs,
    single_p50_ms: pct(single, 0.5),
    single_p95_ms: pct(single, 0.95),
    batch32_runs: batchRuns,
    batch32_p50_ms: batchP50,
    batch32_texts_per_s: 32 / (batchP50 / 1000),
  };
}

main().then(
  (r) => { window.__bench = r; document.getElementById("status").textContent = "done"; },
  (e) => { window.__bench = { error: String(e && e.stack || e) }; });
