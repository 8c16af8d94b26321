// Driver for `pkg-scripts/bench.sh pdf`: PDFs added through the `Benefind` API in
// headless Chromium, from bytes to searchable, with the ingest embedded by the database's
// worker alone (`ingestWorkers: 1`, the sequential baseline) and by one worker per core
// (the default), each run in a fresh page and database. After the default run it also
// times the background step that embeds the chunks' sentences once the ingest has
// returned, and what the answer adds to a query (ask against search, the questions of
// tests/fixtures/answers.jsonl asked of the PDF) while that step runs and after it.
// Prints tables and writes target/bench/pdf-browser.json.
//   node tests/browser/bench-pdf.mjs FILE.pdf...
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { ROOT, startServer, launchBrowser } from "./helpers.mjs";

const files = process.argv.slice(2).map((f) => path.resolve(f));
const mounts = [...new Set(files.map((f) => path.dirname(f)))].map((d, i) => [`/bench${i}`, d]);
const server = await startServer([`/tests=${path.join(ROOT, "tests")}`, ...mounts.map(([p, d]) => `${p}=${d}`)]);
const browser = await launchBrowser();
const questions = readFileSync(path.join(ROOT, "tests/fixtures/answers.jsonl"), "utf8")
  .split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l).question).slice(0, 40);
const urlOf = (f) => `${mounts.find(([, d]) => d === path.dirname(f))[0]}/${path.basename(f)}`;

/** One ingest of `url` with `workers` (undefined: the default), in a fresh page. */
async function run(url, workers, n, questions = null) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}tests/browser/blank.html`);
  const result = await page.evaluate(async ({ url, workers, n, questions }) => {
    const { Benefind } = await import("/pkg/benefind.js");
    const db = await Benefind.open({ model: { baseUrl: "/models/all-MiniLM-L6-v2/" }, dbName: `bench-pdf-${n}`, ingestWorkers: workers });
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    let pages = 0;
    let extracted = 0;
    let opened = 0;
    let read = 0;
    const start = performance.now();
    const report = await db.ingest([{ pdf: bytes, name: url.split("/").pop(), policy: "BENCH" }], (p) => {
      if (p.phase === "pdf") {
        pages = p.pages;
        if (!opened) opened = performance.now();
        if (p.page === p.pages) read = performance.now();
      }
      if (p.phase === "ingest" && !extracted) extracted = performance.now();
    });
    const searchable = performance.now();
    const hits = await db.search("Is my annual checkup free?", "BENCH");
    const stats = await db.stats();
    // What the answer adds to a query (each question asked as search and as ask, in
    // alternating order), while the sentences are embedded in the background and after.
    const latency = async () => {
      const added = [];
      for (const [i, q] of questions.entries()) {
        const time = async (f) => { const t = performance.now(); await f(); return performance.now() - t; };
        const pair = i % 2 ? [await time(() => db.search(q, "BENCH")), await time(() => db.ask(q, "BENCH"))]
          : [await time(() => db.ask(q, "BENCH")), await time(() => db.search(q, "BENCH"))].reverse();
        added.push(pair[1] - pair[0]);
      }
      added.sort((a, b) => a - b);
      return { medianMs: added[added.length >> 1], meanMs: added.reduce((a, b) => a + b, 0) / added.length, overTenMsShare: added.filter((x) => x > 10).length / added.length };
    };
    let units = null;
    if (questions) {
      const during = await latency();
      const pendingAfter = (await db.stats()).unitsPending;
      let pending = pendingAfter;
      while (pending > 0 && performance.now() - searchable < 600000) {
        await new Promise((r) => setTimeout(r, 250));
        pending = (await db.stats()).unitsPending;
      }
      const unitsS = (performance.now() - searchable) / 1000;
      units = { pending, pendingAfter, unitsS, during, after: await latency() };
    }
    db.close();
    return {
      pages, chunks: report.chunks, workers: report.workers, hits: hits.length, helperMemoryBytes: report.helperMemoryBytes,
      extractS: (extracted - start) / 1000, moduleS: (opened - start) / 1000, readS: (read - opened) / 1000, firstBatchS: (extracted - read) / 1000, embedS: (searchable - extracted) / 1000, searchableS: (searchable - start) / 1000,
      wasmMemoryBytes: stats.wasmMemoryBytes, units,
      // @ts-ignore Chromium's non-standard heap figure
      jsHeapBytes: performance.memory?.usedJSHeapSize,
    };
  }, { url, workers, n, questions });
  await context.close();
  return result;
}

const results = [];
let n = 0;
try {
  for (const file of files) {
    const sequential = await run(urlOf(file), 1, n++);
    const parallel = await run(urlOf(file), undefined, n++, questions);
    results.push({ file: path.basename(file), sequential, parallel, speedup: sequential.searchableS / parallel.searchableS });
  }
} finally {
  await browser.close();
  await server.close();
}
const pad = (s, w) => String(s).padStart(w);
console.log(`${"file".padEnd(40)} ${pad("pages", 5)} ${pad("chunks", 6)} ${pad("extract", 8)} ${pad("seq ch/s", 9)} ${pad("par ch/s", 9)} ${pad("workers", 7)} ${pad("seq search.", 11)} ${pad("par search.", 11)} ${pad("ratio", 6)} ${pad("wasm MB", 8)} ${pad("helpers MB", 10)}`);
for (const r of results) {
  const { sequential: s, parallel: p } = r;
  console.log(`${r.file.padEnd(40)} ${pad(p.pages, 5)} ${pad(p.chunks, 6)} ${pad((p.moduleS + p.readS).toFixed(2) + "s", 8)} ${pad((s.chunks / s.embedS).toFixed(1), 9)} ${pad((p.chunks / p.embedS).toFixed(1), 9)} ${pad(p.workers, 7)} ${pad(s.searchableS.toFixed(2) + "s", 11)} ${pad(p.searchableS.toFixed(2) + "s", 11)} ${pad(r.speedup.toFixed(2) + "×", 6)} ${pad((p.wasmMemoryBytes / 1e6).toFixed(0), 8)} ${pad(((p.helperMemoryBytes ?? 0) / 1e6).toFixed(0), 10)}`);
}
console.log(`\nthe sentences' vectors, embedded in the background after the default run's ingest; what the answer adds to a query (ask − search, ${questions.length} questions of tests/fixtures/answers.jsonl asked of the PDF)`);
for (const r of results) {
  const u = r.parallel.units;
  const added = (x) => `median ${x.medianMs.toFixed(2)} ms, mean ${x.meanMs.toFixed(2)} ms, ${(100 * x.overTenMsShare).toFixed(0)} % over 10 ms`;
  console.log(`${r.file}: all stored ${u.unitsS.toFixed(1)} s after searchable (${u.pending} chunks left)`);
  console.log(`  while they are embedded: ${added(u.during)}`);
  console.log(`  after:                   ${added(u.after)}`);
}
for (const r of results) console.log(`${r.file}: extraction = PDF module load ${r.parallel.moduleS.toFixed(2)} s + pages read ${r.parallel.readS.toFixed(2)} s; then chunking + helper start + first batch of 8 ${r.parallel.firstBatchS.toFixed(2)} s`);
console.log("ch/s = chunks / (chunking + embedding + storing, after the pages are read); ratio = sequential / parallel time to searchable");
console.log("searchable = PDF bytes in the worker → pages read → chunks embedded → stored and indexed (PDF module load and helper start included); wasm MB = the database worker's wasm memory, helpers MB = the helper workers' (each its own model copy), both at the end of the ingest (wasm memory never shrinks: its peak)");
mkdirSync(path.join(ROOT, "target/bench"), { recursive: true });
writeFileSync(path.join(ROOT, "target/bench/pdf-browser.json"), JSON.stringify(results, null, 2) + "\n");
