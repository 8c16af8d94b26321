// The JS-facing engine (pkg/benefind_wasm.js `Engine`) in Chromium, Firefox and WebKit: results are plain
// objects with the documented fields, highlights index the JS string, errors are JS
// Errors with stable codes, and a failed ingest leaves stored chunks searchable. The
// engine loads the wasm build pkg/loader.js picks for it (relaxed SIMD where validated),
// and that build's int8 embeddings meet the reference.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, startServer } from "./helpers.mjs";
import { shapeProblems } from "./dto-shapes.mjs";
import { ENGINES, sessionsFor } from "./engines.mjs";

for (const engine of ENGINES) {
  describe(engine, () => {
    let server, page, errors;
    const sessions = sessionsFor(engine);
    before(async () => {
      server = await startServer([`/tests=${path.join(ROOT, "tests")}`]);
      const session = await sessions.session();
      page = session.tab;
      errors = session.errors;
      await page.goto(`${server.url}tests/browser/blank.html`);
      await page.evaluate(async () => {
        const { Engine } = await import("/pkg/benefind_wasm.js");
        await (await import("/pkg/loader.js")).initWasm();
        const get = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
        const base = "/models/all-MiniLM-L6-v2/";
        window.files = await Promise.all(["model.safetensors", "tokenizer.json", "config.json"].map((f) => get(base + f)));
        window.bundle = await get("/data/default.bundle");
        window.Engine = Engine;
        window.engine = new Engine(...window.files, window.bundle);
        // Runs fn and returns the thrown error's name/code/message (or null).
        window.caught = (fn) => { try { fn(); return null; } catch (e) { return { name: e.name, code: e.code, message: e.message, isError: e instanceof Error }; } };
      });
    });
    after(() => server?.close());

    test("search returns plain objects, best passage first, highlights index the JS string", async () => {
      const hits = await page.evaluate(() => engine.search("Is my annual checkup free?", "PPO_PLUS"));
      assert.equal(hits.length, 3);
      assert.equal(hits[0].metadata.section, "Preventive care");
      for (const h of hits) {
        assert.equal(h.metadata.policy, "PPO_PLUS");
        assert.ok(Math.abs(h.score + h.distance - 1) < 1e-6);
        for (const [s, e] of h.highlights) assert.equal(h.text.slice(s, e).toLowerCase(), "annual");
      }
      const stats = await page.evaluate(() => engine.stats());
      assert.equal(stats.modelId, "sentence-transformers/all-MiniLM-L6-v2");
      assert.equal(stats.dims, 384);
      assert.deepEqual(Object.keys(stats.policies).sort(), ["HDHP_SAVER", "HMO_SELECT", "PPO_PLUS"]);
    });

    test("bad input gives JS Errors with stable codes, never a panic", async () => {
      const results = await page.evaluate(() => ({
        filter: caught(() => engine.query({ question: "q", where: { policy: { $gt: "x" } } })),
        dims: caught(() => engine.query({ vector: new Array(1024).fill(0.1) })),
        empty: caught(() => engine.search("   ", "PPO_PLUS")),
        unknown: caught(() => engine.query({ question: "q", wher: {} })),
        bundle: caught(() => new Engine(...files, bundle.slice(0, 1000))),
        model: caught(() => new Engine(files[0], files[1], new TextEncoder().encode("{}"))),
      }));
      assert.equal(results.filter.code, "BAD_FILTER");
      assert.match(results.filter.message, /policy\.\$gt: expected a number/);
      assert.equal(results.dims.code, "DIMENSION_MISMATCH");
      assert.match(results.dims.message, /1024.*384|384.*1024/);
      assert.equal(results.empty.code, "INVALID_INPUT");
      assert.equal(results.unknown.code, "INVALID_INPUT");
      assert.equal(results.bundle.code, "BAD_BUNDLE");
      assert.equal(results.model.code, "MODEL_INVALID");
      for (const r of Object.values(results)) {
        assert.equal(r.isError, true);
        assert.equal(r.name, "BenefindError");
      }
      // The engine still works after all of that (no poisoned instance).
      const hits = await page.evaluate(() => engine.search("ER copay", "HMO_SELECT"));
      assert.equal(hits.length, 3);
      assert.deepEqual(errors, []);
    });

    test("the engine runs the wasm build loader.js picks, and its int8 vectors meet the reference", async (t) => {
      const out = await page.evaluate(async () => {
        // (Firefox may hand each script evaluation its own module instances: init again.)
        const { hasRelaxedSimd, initWasm } = await import("/pkg/loader.js");
        await initWasm();
        const { Embedder } = await import("/pkg/benefind_wasm.js");
        // The SIMD128-only build in a second instance of the glue, for comparison.
        const simd128 = await import("/pkg/benefind_wasm.js?simd128");
        await simd128.default({ module_or_path: "/pkg/benefind_wasm_bg.wasm" });
        const int8 = await (await fetch("/models/all-MiniLM-L6-v2/model.int8.safetensors")).arrayBuffer();
        const args = [new Uint8Array(int8), window.files[1], window.files[2]];
        const [picked, baseline] = [new Embedder(...args), new simd128.Embedder(...args)];
        const rows = (await (await fetch("/tests/fixtures/minilm-parity.jsonl")).text())
          .split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
        const cos = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0) /
          Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
        const toReference = [];
        let betweenBuilds = 0;
        for (const r of rows) {
          const v = picked.embedOne(r.text);
          toReference.push(cos(v, r.embedding));
          const w = baseline.embedOne(r.text);
          betweenBuilds = Math.max(betweenBuilds, ...v.map((x, i) => Math.abs(x - w[i])));
        }
        return {
          relaxed: hasRelaxedSimd(), simd: picked.simd, baselineSimd: baseline.simd, stats: engine.stats().simd,
          rows: rows.length, minToReference: Math.min(...toReference), maxBetweenBuilds: betweenBuilds,
        };
      });
      t.diagnostic(`${engine} runs the ${out.simd} build`);
      assert.equal(out.simd, out.relaxed ? "relaxed-simd" : "simd128");
      assert.equal(out.stats, out.simd, "stats() reports the build that runs");
      assert.equal(out.baselineSimd, "simd128");
      // Chromium has shipped relaxed SIMD since version 114: the probe must find it there.
      if (engine === "chromium") assert.equal(out.simd, "relaxed-simd");
      assert.ok(out.rows >= 10);
      // The int8 bar of tests/common/parity.rs (MIN_COSINE_INT8), in this engine's build.
      assert.ok(out.minToReference >= 0.995, `int8 cosine to the reference ${out.minToReference}`);
      // Both builds quantize to 14-bit integers, sum them exactly (whichever int8 kernel
      // the relaxed build timed as faster) and scale back alike; only attention's f32
      // products round differently (fused multiply-adds in the relaxed build), and a
      // changed last bit can move a later layer's 14-bit rounding by one step, so the
      // vectors agree to well within int8's own error (≈ 2·10⁻⁴ seen; a wrong integer
      // sum is off by far more).
      t.diagnostic(`largest difference between the two builds' vectors: ${out.maxBetweenBuilds}`);
      assert.ok(out.maxBetweenBuilds <= 1e-3, `largest difference between the two builds' vectors ${out.maxBetweenBuilds}`);
    });

    test("hits, reports and stats have the fields benefind_wasm.d.ts declares", async () => {
      const out = await page.evaluate(() => {
        const hit = engine.search("Is my annual checkup free?", "PPO_PLUS")[0];
        const report = engine.ingest([{ text: "## Dental\nTwo cleanings a year.", policy: "PPO_PLUS", id: "shape" }]);
        engine.delete(["shape"]);
        return { hit, report, stats: engine.stats() };
      });
      const dts = readFileSync(path.join(ROOT, "pkg/benefind_wasm.d.ts"), "utf8");
      assert.deepEqual([
        ...shapeProblems(dts, "SearchHit", out.hit), ...shapeProblems(dts, "IngestReport", out.report),
        ...shapeProblems(dts, "EngineStats", out.stats),
      ], []);
    });

    test("ingest is all-or-nothing and delete removes a document", async () => {
      const out = await page.evaluate(() => {
        const before = engine.stats().chunks;
        const failed = caught(() => engine.ingest([
          { text: "## Acupuncture\nTwelve visits a year, $15 copay.", policy: "PPO_PLUS", id: "rider" },
          { text: "no policy here", policy: "" },
        ]));
        const afterFailed = engine.stats().chunks;
        const report = engine.ingest([{ text: "## Acupuncture\nTwelve visits a year, $15 copay.", policy: "PPO_PLUS", id: "rider", source: "rider.md" }]);
        const found = engine.search("how many acupuncture sessions", "PPO_PLUS")[0];
        const deleted = engine.delete(["rider"]);
        const gone = engine.search("how many acupuncture sessions", "PPO_PLUS").some((h) => h.id.startsWith("rider"));
        return { before, failed, afterFailed, report, found, deleted, gone };
      });
      assert.equal(out.failed.code, "INVALID_INPUT");
      assert.equal(out.afterFailed, out.before, "a failed ingest added nothing");
      assert.deepEqual(out.report.ids, ["rider_chunk_0000"]);
      assert.equal(out.found.id, "rider_chunk_0000");
      assert.equal(out.found.metadata.source, "rider.md");
      assert.equal(out.deleted, 1);
      assert.equal(out.gone, false);
    });
  });
}
