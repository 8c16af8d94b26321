// Driver for `pkg-scripts/bench.sh browser`: the `Benefind` API in headless Chromium,
// end to end from the page's main thread. Prints a table and writes
// target/bench/browser.json:
//   - model cold load: network (empty cache) vs Cache API;
//   - ingest throughput (chunks/s) of a 500-chunk document, with the page's long tasks
//     (> 50 ms) observed meanwhile, and IndexedDB bytes per stored chunk;
//   - at 10k and 100k stored chunks (real MiniLM vectors, bundles made by
//     `benefind bench bundle`): first import, search p50/p95 end to end (question →
//     hits, embedding included) and excluding embedding (query by vector), reopen to first
//     result (warm reload, from IndexedDB, no network for the bundle) vs a rebuild (re-embedding
//     every chunk at the measured ingest rate), JS heap and wasm memory.
//   node tests/browser/bench-browser.mjs BUNDLE_DIR SIZES
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { ROOT, startServer, launchBrowser } from "./helpers.mjs";

const dir = process.argv[2];
const sizes = (process.argv[3] || "10000,100000").split(",").map(Number);
const RUNS = 100;

const server = await startServer([`/tests=${path.join(ROOT, "tests")}`, `/bench=${dir}`]);
const browser = await launchBrowser();
const results = {};
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

async function newPage(context) {
  const page = await context.newPage();
  await page.goto(`${server.url}tests/browser/blank.html`);
  await page.evaluate(async () => {
    window.api = await import("/pkg/benefind.js");
    window.model = { baseUrl: "/models/all-MiniLM-L6-v2/" };
    window.longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); })
      .observe({ type: "longtask", buffered: false });
  });
  return page;
}

try {
  const context = await browser.newContext();
  // Model load: the first open downloads (empty Cache API), the second reads the cache.
  let page = await newPage(context);
  results.model = await page.evaluate(async () => {
    const t0 = performance.now();
    const a = await api.Benefind.open({ model, dbName: "model-cold" });
    const network = performance.now() - t0;
    a.close();
    const t1 = performance.now();
    const b = await api.Benefind.open({ model, dbName: "model-cold" });
    const cache = performance.now() - t1;
    const sources = [a.opened.modelSource, b.opened.modelSource];
    b.close();
    return { open_network_ms: network, open_cache_ms: cache, sources };
  });

  // Ingest: one 500-section document → 500 chunks, timed from the main thread, which
  // only waits; its long tasks are recorded meanwhile.
  results.ingest = await page.evaluate(async () => {
    const db = await api.Benefind.open({ model, dbName: "ingest" });
    const words = "copay coinsurance deductible network provider referral prior authorization covered excluded plan member visit".split(" ");
    const text = Array.from({ length: 500 }, (_, i) =>
      `## Benefit ${i}\n` + Array.from({ length: 45 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(" ") + ` pays ${i} dollars.`,
    ).join("\n\n");
    const before = await db.stats();
    longTasks.length = 0;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 100);
    const t0 = performance.now();
    const report = await db.ingest([{ text, policy: "PPO_PLUS", id: "big" }]);
    const ms = performance.now() - t0;
    clearInterval(timer);
    const after = await db.stats();
    db.close();
    return {
      chunks: report.chunks, ms, chunks_per_s: report.chunks / (ms / 1000),
      main_thread_long_tasks: longTasks.length, main_thread_longest_task_ms: Math.max(0, ...longTasks),
      main_thread_timer_ticks: ticks, expected_ticks: Math.floor(ms / 100),
      idb_bytes_per_chunk: (after.storedBytes - before.storedBytes) / report.chunks,
    };
  });
  await page.close();

  for (const n of sizes) {
    const bundleUrl = `/bench/bench-${n}.bundle`;
    const queries = `/bench/bench-${n}.queries.json`;
    page = await newPage(context);
    const first = await page.evaluate(async ({ bundleUrl, queries, n, RUNS }) => {
      const t0 = performance.now();
      const db = await api.Benefind.open({ model, bundleUrl, dbName: `bench-${n}` });
      const import_ms = performance.now() - t0;
      const qs = (await (await fetch(queries)).json()).slice(0, RUNS);
      await db.search(qs[0].question, qs[0].policy); // warm-up
      const e2e = [];
      for (const q of qs) { const s = performance.now(); await db.search(q.question, q.policy); e2e.push(performance.now() - s); }
      const byVector = [], unfiltered = [], policyIds = [], unfilteredIds = [];
      for (const q of qs) {
        let s = performance.now();
        let hits = await db.query({ vector: q.vector, k: 3, where: { policy: q.policy } });
        byVector.push(performance.now() - s);
        policyIds.push(hits.map((h) => h.id));
        s = performance.now();
        hits = await db.query({ vector: q.vector, k: 10 });
        unfiltered.push(performance.now() - s);
        unfilteredIds.push(hits.map((h) => h.id));
      }
      const stats = await db.stats();
      const heap = performance.memory?.usedJSHeapSize;
      db.close();
      // Recall of those timed answers against exact search of the same queries, here.
      const exact = await import("/tests/browser/bench-exact.js");
      const recall = {
        policy_at_3: exact.meanRecall(policyIds, await exact.exactIds(bundleUrl, qs, 3, true)),
        unfiltered_at_10: exact.meanRecall(unfilteredIds, await exact.exactIds(bundleUrl, qs, 10)),
      };
      return { import_ms, e2e, byVector, unfiltered, recall, stats, heap };
    }, { bundleUrl, queries, n, RUNS });
    await page.close();

    // Warm reload: a new page, model from the Cache API, everything else from IndexedDB
    // (no bundle URL: what an offline reload does).
    page = await newPage(context);
    const reopen = await page.evaluate(async ({ queries, n }) => {
      const q = (await (await fetch(queries)).json())[0];
      const t0 = performance.now();
      const db = await api.Benefind.open({ model, dbName: `bench-${n}` });
      const opened = performance.now() - t0;
      const hits = await db.search(q.question, q.policy);
      const first_result_ms = performance.now() - t0;
      const stats = await db.stats();
      db.close();
      return { open_ms: opened, first_result_ms, hits: hits.length, textsEmbedded: stats.textsEmbedded, base: stats.open.base, graphRows: stats.graphRows };
    }, { queries, n });
    await page.close();

    const rebuild_ms_estimate = (n / results.ingest.chunks_per_s) * 1000;
    results[n] = {
      import_ms: first.import_ms,
      search_e2e_p50_ms: pct(first.e2e, 0.5), search_e2e_p95_ms: pct(first.e2e, 0.95),
      search_vector_policy_p50_ms: pct(first.byVector, 0.5), search_vector_policy_p95_ms: pct(first.byVector, 0.95),
      search_vector_unfiltered_p50_ms: pct(first.unfiltered, 0.5), search_vector_unfiltered_p95_ms: pct(first.unfiltered, 0.95),
      recall_policy_at_3: first.recall.policy_at_3, recall_unfiltered_at_10: first.recall.unfiltered_at_10,
      reopen_open_ms: reopen.open_ms, reopen_first_result_ms: reopen.first_result_ms,
      reopen_texts_embedded: reopen.textsEmbedded, reopen_base: reopen.base, reopen_graph_rows: reopen.graphRows,
      rebuild_ms_estimate, reopen_vs_rebuild: reopen.first_result_ms / rebuild_ms_estimate,
      idb_stored_bytes: first.stats.storedBytes, idb_bytes_per_chunk: first.stats.storedBytes / n,
      wasm_memory_bytes: first.stats.wasmMemoryBytes, page_js_heap_bytes: first.heap,
    };
    await page.close().catch(() => {});
  }
  await context.close();
} finally {
  await browser.close();
  server.close();
}

const f = (x, d = 1) => (typeof x === "number" ? x.toFixed(d) : String(x));
const m = results.model, g = results.ingest;
console.log(`\nmodel open (wasm init + model), network ${f(m.open_network_ms, 0)} ms, Cache API ${f(m.open_cache_ms, 0)} ms (${f(m.open_network_ms / m.open_cache_ms, 2)}x) [${m.sources}]`);
console.log(`ingest ${g.chunks} chunks: ${f(g.ms / 1000)} s = ${f(g.chunks_per_s)} chunks/s; IndexedDB ${f(g.idb_bytes_per_chunk, 0)} bytes/chunk`);
console.log(`main thread during ingest: ${g.main_thread_long_tasks} long tasks (> 50 ms), longest ${f(g.main_thread_longest_task_ms, 0)} ms; 100 ms timer fired ${g.main_thread_timer_ticks}/${g.expected_ticks}`);
for (const n of sizes) {
  const r = results[n];
  console.log(`\n${n} chunks (real MiniLM vectors, 3 policies): first import ${f(r.import_ms, 0)} ms; IndexedDB ${f(r.idb_stored_bytes / 1e6)} MB (${f(r.idb_bytes_per_chunk, 0)} bytes/chunk); wasm memory ${f(r.wasm_memory_bytes / 1e6)} MB, page JS heap ${f((r.page_js_heap_bytes ?? 0) / 1e6)} MB`);
  console.log(`  search(question, policy) end to end  p50 ${f(r.search_e2e_p50_ms, 2)} ms  p95 ${f(r.search_e2e_p95_ms, 2)} ms`);
  console.log(`  query by vector, policy filter       p50 ${f(r.search_vector_policy_p50_ms, 2)} ms  p95 ${f(r.search_vector_policy_p95_ms, 2)} ms (excluding embedding)`);
  console.log(`  query by vector, unfiltered k=10     p50 ${f(r.search_vector_unfiltered_p50_ms, 2)} ms  p95 ${f(r.search_vector_unfiltered_p95_ms, 2)} ms`);
  console.log(`  recall of those answers vs exact search in the page: policy k=3 ${f(r.recall_policy_at_3, 4)}, unfiltered k=10 ${f(r.recall_unfiltered_at_10, 4)}`);
  console.log(`  warm reopen → first result ${f(r.reopen_first_result_ms, 0)} ms (open ${f(r.reopen_open_ms, 0)} ms; ${r.reopen_texts_embedded} text embedded, base ${r.reopen_base}, ${r.reopen_graph_rows} rows in stored graphs)`);
  console.log(`  rebuild (re-embed ${n} chunks at the measured ingest rate) ≈ ${f(r.rebuild_ms_estimate / 1000, 0)} s → reopen/rebuild ${f(r.reopen_vs_rebuild, 4)} (1/${f(1 / r.reopen_vs_rebuild, 0)})`);
}
mkdirSync(path.join(ROOT, "target/bench"), { recursive: true });
writeFileSync(path.join(ROOT, "target/bench/browser.json"), JSON.stringify(results, null, 2) + "\n");
console.log("\nwrote target/bench/browser.json");
