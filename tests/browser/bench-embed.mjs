// Driver for `pkg-scripts/bench.sh embed`: runs the browser embedding benchmark for the
// SIMD128 build (pkg/) and the plain build (pkg-nosimd/) in one headless Chromium, puts
// the native figures beside them, prints a table with ratios and writes
// target/bench/embed.json.
//   node tests/browser/bench-embed.mjs NATIVE_JSON_FILE [RUNS]
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import path from "node:path";
import { ROOT, startServer, launchBrowser } from "./helpers.mjs";

const native = JSON.parse(readFileSync(process.argv[2], "utf8"));
const runs = Number(process.argv[3] || 50);
const variants = [
  { name: "wasm+simd128", pkg: "/pkg/", dir: "pkg" },
  { name: "wasm", pkg: "/pkg-nosimd/", dir: "pkg-nosimd" },
];

const server = await startServer([
  `/pkg-nosimd=${path.join(ROOT, "pkg-nosimd")}`,
  `/tests=${path.join(ROOT, "tests")}`,
]);
const browser = await launchBrowser();
const results = { native };
try {
  for (const v of variants) {
    const page = await browser.newPage();
    await page.goto(`${server.url}tests/browser/bench-embed.html?pkg=${v.pkg}&runs=${runs}`);
    await page.waitForFunction(() => window.__bench, null, { timeout: 600_000 });
    const r = await page.evaluate(() => window.__bench);
    if (r.error) throw new Error(`${v.name}: ${r.error}`);
    const wasm = readFileSync(path.join(ROOT, v.dir, "benefind_wasm_bg.wasm"));
    const js = readFileSync(path.join(ROOT, v.dir, "benefind_wasm.js"));
    r.wasm_bytes = wasm.length;
    r.wasm_gzip_bytes = gzipSync(wasm, { level: 9 }).length;
    r.js_gzip_bytes = gzipSync(js, { level: 9 }).length;
    results[v.name] = r;
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}

const rows = [["", "native", ...variants.map((v) => v.name)]];
const f = (x) => (typeof x === "number" ? x.toFixed(x >= 100 ? 0 : 2) : "-");
for (const [label, key] of [
  ["model load ms", "load_ms"], ["1 question p50 ms", "single_p50_ms"],
  ["1 question p95 ms", "single_p95_ms"], ["batch of 32 p50 ms", "batch32_p50_ms"],
  ["batch texts/s", "batch32_texts_per_s"],
]) rows.push([label, f(native[key]), ...variants.map((v) => f(results[v.name][key]))]);
const simd = results["wasm+simd128"], plain = results.wasm;
const ratios = {
  single_wasm_simd_over_native: simd.single_p50_ms / native.single_p50_ms,
  batch_wasm_simd_over_native: simd.batch32_p50_ms / native.batch32_p50_ms,
  single_simd_over_plain: simd.single_p50_ms / plain.single_p50_ms,
  batch_simd_over_plain: simd.batch32_p50_ms / plain.batch32_p50_ms,
};
const width = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => c.padStart(width[i])).join("  "));
console.log(`native threads: ${native.threads}; wasm runs on one thread`);
console.log(`ratio wasm+simd128 / native: 1 question ${ratios.single_wasm_simd_over_native.toFixed(2)}x, batch ${ratios.batch_wasm_simd_over_native.toFixed(2)}x`);
console.log(`ratio simd128 / plain wasm:  1 question ${ratios.single_simd_over_plain.toFixed(2)}x, batch ${ratios.batch_simd_over_plain.toFixed(2)}x`);
for (const v of variants) {
  const r = results[v.name];
  console.log(`${v.name}: .wasm ${(r.wasm_bytes / 1e6).toFixed(2)} MB raw, ${(r.wasm_gzip_bytes / 1e6).toFixed(2)} MB gzipped; JS glue ${(r.js_gzip_bytes / 1e3).toFixed(1)} kB gzipped`);
}
results.ratios = ratios;
mkdirSync(path.join(ROOT, "target/bench"), { recursive: true });
writeFileSync(path.join(ROOT, "target/bench/embed.json"), JSON.stringify(results, null, 2));
console.log("wrote target/bench/embed.json");
