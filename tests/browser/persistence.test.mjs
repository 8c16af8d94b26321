// Persistence in IndexedDB, in Chromium, Firefox and WebKit, through the package's `Benefind` API:
// a reload restores ingested documents without re-embedding and the bundle's graphs
// without rebuilding; bad input and storage failures (quota) leave stored data intact;
// corrupt records are reported and cleared; another model's data is refused; two tabs
// share one database; an old or foreign schema is upgraded, and a tab that blocks the
// upgrade gives DB_BLOCKED. The quota test runs where the harness can cap an origin's
// quota (Chromium's DevTools protocol, through chromedriver).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, riders, startServer } from "./helpers.mjs";
import { ENGINES, sessionsFor } from "./engines.mjs";

const BIN = process.env.BENEFIND_BIN || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, "target"), "release/benefind");

let server, dir;
before(async () => {
  // Fixtures made with the CLI: the sample corpus with HNSW graphs even for its small
  // per-plan segments, a truncated copy, and a Titan-sized (1024-d) bundle.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "benefind-persist-"));
  execFileSync(BIN, ["bundle", "build", "--input", path.join(ROOT, "www/data"), "--out", path.join(dir, "graphs.bundle"), "--min-graph-rows", "2"], { stdio: "inherit" });
  const bytes = fs.readFileSync(path.join(dir, "graphs.bundle"));
  fs.writeFileSync(path.join(dir, "truncated.bundle"), bytes.subarray(0, bytes.length >> 1));
  const vectors = [0, 1, 2].map((i) => ({
    key: `titan_${i}`,
    data: { float32: Array.from({ length: 1024 }, (_, j) => Math.sin(i + j)) },
    metadata: { chunk: `Titan chunk ${i}`, policy: "PPO_PLUS" },
  }));
  fs.writeFileSync(path.join(dir, "titan.json"), JSON.stringify({ vectors }));
  execFileSync(BIN, ["bundle", "import", "--format", "s3vectors", "--model-id", "amazon.titan-embed-text-v2:0", "--dims", "1024", "--out", path.join(dir, "titan.bundle"), path.join(dir, "titan.json")], { stdio: "inherit" });
  server = await startServer([`/tests=${path.join(ROOT, "tests")}`, `/fixtures=${dir}`]);
});
after(async () => {
  await server?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const RIDER = "## Acupuncture\nTwelve acupuncture visits a year are covered with a $15 copay.";

for (const engine of ENGINES) {
  describe(engine, () => {
    const sessions = sessionsFor(engine);
    // One profile for the tests below: they share the origin's storage, as tabs do.
    let session;
    before(async () => { session = await sessions.session(); });

    /** A page of the test origin with the API loaded and helpers on window. */
    async function openPage(page = null) {
      page ??= await session.newTab();
      const errors = session.errors;
      await page.goto(`${server.url}tests/browser/blank.html`);
      await page.evaluate(() => import("/pkg/benefind.js").then((api) => {
        window.api = api;
        window.opts = (dbName, extra = {}) => ({ model: { baseUrl: "/models/all-MiniLM-L6-v2/" }, bundleUrl: "/fixtures/graphs.bundle", dbName, ...extra });
        window.settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ err: { code: e.code, message: e.message } }));
        // Raw IndexedDB access, to inspect or damage what benefind stored.
        window.rawDb = (name, version, upgrade) => new Promise((resolve, reject) => {
          const r = version ? indexedDB.open(name, version) : indexedDB.open(name);
          if (upgrade) r.onupgradeneeded = () => upgrade(r.result);
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error);
        });
        window.rawPut = async (name, store, key, value) => {
          const db = await rawDb(name);
          await new Promise((resolve, reject) => {
            const tx = db.transaction(store, "readwrite");
            tx.objectStore(store).put(value, key);
            tx.oncomplete = resolve;
            tx.onerror = () => reject(tx.error);
          });
          db.close();
        };
      }));
      return { page, errors };
    }

    test("a reload restores ingested documents without re-embedding, and the bundle's graphs without rebuilding", async () => {
      const { page, errors } = await openPage();
      const first = await page.evaluate(async (text) => {
        const db = await api.Benefind.open(opts("reload"));
        const report = await db.ingest([{ text, policy: "PPO_PLUS", id: "rider" }]);
        const hit = (await db.search("how many acupuncture sessions", "PPO_PLUS"))[0].id;
        const stats = await db.stats();
        db.close();
        // The browser's own answer, read by the page: what stats() must report.
        const browserPersisted = navigator.storage?.persisted ? await navigator.storage.persisted() : false;
        return { opened: db.opened, report, hit, stats, browserPersisted, hasEstimate: Boolean(navigator.storage?.estimate) };
      }, RIDER);
      assert.equal(first.opened.open.base, "imported");
      assert.equal(first.stats.persisted, first.browserPersisted, "stats().persisted is the browser's persisted()");
      assert.equal(first.stats.storage, "indexedDB");
      assert.equal(first.hit, "rider_chunk_0000");
      assert.ok(first.stats.storedBytes > first.stats.journalChunks * 1536, "vectors and texts are stored");
      // WebKitGTK ships the Storage API's estimate() turned off (Safari has it): then unknown.
      if (first.hasEstimate) assert.ok(first.stats.usage > 0 && first.stats.quota > 0, "navigator.storage.estimate() is reported");
      else assert.deepEqual([first.stats.usage ?? null, first.stats.quota ?? null], [null, null]);
      const baseChunks = first.opened.chunks;

      await page.reload();
      await openPage(page);
      const second = await page.evaluate(async () => {
        const db = await api.Benefind.open(opts("reload"));
        const before = await db.stats();
        const hits = await db.search("how many acupuncture sessions", "PPO_PLUS");
        const after = await db.stats();
        const docs = await db.documents();
        const deleted = await db.delete(["rider"]);
        db.close();
        return { opened: db.opened, before, after, hit: hits[0].id, docs, deleted };
      });
      assert.equal(second.opened.open.base, "stored", "same bundle bytes: nothing re-imported");
      assert.equal(second.opened.open.restored, 1);
      assert.equal(second.before.textsEmbedded, 0, "nothing re-embedded on reopen");
      assert.equal(second.after.textsEmbedded, 1, "only the question was embedded");
      assert.equal(second.before.chunks, baseChunks + 1);
      assert.equal(second.before.graphRows, baseChunks, "the stored graphs serve every bundle chunk");
      assert.equal(second.before.exactRows, 1, "the ingested chunk is in the exact delta");
      assert.equal(second.hit, "rider_chunk_0000");
      assert.deepEqual(second.docs, [{ id: "rider", policy: "PPO_PLUS", source: "rider", chunks: 1 }]);
      assert.equal(second.deleted, 1);

      await page.reload();
      await openPage(page);
      const third = await page.evaluate(async () => {
        const db = await api.Benefind.open(opts("reload"));
        const hits = await db.query({ question: "acupuncture", k: 100, where: { policy: "PPO_PLUS" } });
        await db.clear();
        const cleared = await db.stats();
        db.close();
        // Cleared means cleared: even the stored bundle is gone until a bundle URL is given.
        const empty = await api.Benefind.open(opts("reload", { bundleUrl: undefined }));
        const afterClear = await empty.stats();
        empty.close();
        return { ids: hits.map((h) => h.id), cleared: cleared.chunks, afterClear: afterClear.chunks, documents: cleared.journalChunks };
      });
      assert.ok(!third.ids.includes("rider_chunk_0000"), "the deletion was stored");
      assert.equal(third.cleared, 0);
      assert.equal(third.afterClear, 0);
      assert.deepEqual(errors, []);
    });

    test("bad input gives coded errors and leaves stored data intact; a quota failure writes nothing", async () => {
      const { page } = await openPage();
      const out = await page.evaluate(async (text) => {
        const db = await api.Benefind.open(opts("bad"));
        await db.ingest([{ text, policy: "PPO_PLUS", id: "rider" }]);
        const stored = (await db.stats()).chunks;
        const results = {
          badFilter: await settle(db.query({ question: "q", where: { $and: [{ policy: "PPO_PLUS" }, { chunk_index: { $gt: "x" } }] } })),
          emptyQuestion: await settle(db.search("   ", "PPO_PLUS")),
          huge: await settle(db.ingest([{ text: "x ".repeat(1_500_000), policy: "PPO_PLUS", id: "huge" }])),
          mixed: await settle(db.ingest([{ text: "## Gym\nGym $20 back a month.", policy: "PPO_PLUS", id: "gym" }, { text: "no policy" }])),
          noPolicy: await settle(db.ingest([{ text: "## Gym\nGym.", policy: " " }])),
        };
        results.chunksAfter = (await db.stats()).chunks;
        db.close();
        for (const [name, url] of [["wrongDims", "/fixtures/titan.bundle"], ["truncated", "/fixtures/truncated.bundle"], ["missing", "/fixtures/nope.bundle"]]) {
          results[name] = await settle(api.Benefind.open(opts("bad", { bundleUrl: url })));
        }
        const again = await api.Benefind.open(opts("bad", { bundleUrl: undefined }));
        results.reopened = { chunks: (await again.stats()).chunks, hit: (await again.search("acupuncture visits", "PPO_PLUS"))[0].id };
        again.close();
        return { stored, results };
      }, RIDER);
      const r = out.results;
      assert.equal(r.badFilter.err.code, "BAD_FILTER");
      assert.match(r.badFilter.err.message, /\$and\[1\]\.chunk_index\.\$gt/);
      assert.equal(r.emptyQuestion.err.code, "INVALID_INPUT");
      assert.equal(r.huge.err.code, "INVALID_INPUT");
      assert.match(r.huge.err.message, /3000000 bytes.*limit/);
      assert.equal(r.mixed.err.code, "INVALID_INPUT", "a document without policy fails the whole batch");
      assert.equal(r.noPolicy.err.code, "INVALID_INPUT");
      assert.equal(r.chunksAfter, out.stored, "nothing was added by the failed ingests");
      assert.equal(r.wrongDims.err.code, "DIMENSION_MISMATCH");
      assert.match(r.wrongDims.err.message, /1024/);
      assert.match(r.wrongDims.err.message, /384/);
      assert.equal(r.truncated.err.code, "BAD_BUNDLE");
      assert.equal(r.missing.err.code, "BAD_BUNDLE");
      assert.deepEqual(r.reopened, { chunks: out.stored, hit: "rider_chunk_0000" }, "stored data survived every failure");

    });

    test("corrupt records are reported and cleared; another model's data is refused", async () => {
      const { page } = await openPage();
      const out = await page.evaluate(async (text) => {
        let db = await api.Benefind.open(opts("corrupt"));
        await db.ingest([{ text, policy: "PPO_PLUS", id: "rider" }, { text: "## Gym\nGym $20 back a month.", policy: "HMO_SELECT", id: "gym" }]);
        db.close();
        await rawPut("corrupt", "chunks", "rider_chunk_0000", new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
        db = await api.Benefind.open(opts("corrupt"));
        const report = db.opened.open;
        const gym = (await db.search("gym membership", "HMO_SELECT"))[0].id;
        await db.clear();
        const afterClear = (await db.stats()).open.corrupt;
        db.close();
        db = await api.Benefind.open(opts("corrupt"));
        const fresh = { base: db.opened.open.base, corrupt: db.opened.open.corrupt, journal: db.opened.journalChunks };
        db.close();

        // Vectors of another model in the stored data: refused, never mixed.
        const identity = JSON.stringify({ format: 1, modelId: "amazon.titan-embed-text-v2:0", dims: 1024, bundle: null });
        await rawPut("corrupt", "meta", "identity", new TextEncoder().encode(identity));
        const mismatch = await settle(api.Benefind.open(opts("corrupt")));
        await api.Benefind.deleteDatabase("corrupt");
        db = await api.Benefind.open(opts("corrupt"));
        const recovered = db.opened.open.base;
        db.close();
        return { report, gym, afterClear, fresh, mismatch, recovered };
      }, RIDER);
      assert.deepEqual(out.report.corrupt, ["rider_chunk_0000"]);
      assert.equal(out.report.restored, 1);
      assert.equal(out.gym, "gym_chunk_0000", "intact records stay searchable");
      assert.deepEqual(out.afterClear, []);
      assert.deepEqual(out.fresh, { base: "imported", corrupt: [], journal: 0 });
      assert.equal(out.mismatch.err.code, "MODEL_MISMATCH");
      assert.match(out.mismatch.err.message, /titan/);
      assert.equal(out.recovered, "imported");
    });

    test("the bundle's sentence vectors answer the second look without embedding, after a reload too", async () => {
      // The words and the passage do not settle this question; one sentence of the
      // passage is close in meaning: the answer's second look, read from the bundle's
      // stored sentence vectors (in IndexedDB after the reload) instead of embedded.
      const ask = (p) => p.evaluate(async () => {
        const db = await api.Benefind.open(opts("units"));
        const before = (await db.stats()).textsEmbedded;
        const { answer } = await db.ask("I saw a doctor who isn't in network, am I stuck with the whole bill", "HMO_SELECT");
        const after = (await db.stats()).textsEmbedded;
        db.close();
        return { answer: answer?.text ?? null, embedded: after - before };
      });
      const { page } = await openPage();
      const first = await ask(page);
      await page.reload();
      await openPage(page);
      const second = await ask(page);
      for (const [when, out] of [["first visit", first], ["after a reload", second]]) {
        assert.equal(out.answer, "Northwind HMO Select does not cover out-of-network (OON) care.", when);
        assert.equal(out.embedded, 1, `${when}: only the question was embedded`);
      }
    });

    test("an added document's sentences are embedded after its ingest, in the background: then answers embed only the question, after a reload too", async () => {
      // The office passage's allergy-shot sentence answers the hay-fever question on the
      // second look (tests/common/mod.rs has the same texts for the native tests).
      const docs = [
        { id: "office", policy: "CLINIC", text: "## Office visits\nA primary care visit to treat an injury or illness is a $25 copay. Specialist visits are a $50 copay. Lab work done in the office is covered in full. Hearing exams are covered once a year with no copay. Allergy shots given in the office are a $5 copay." },
        { id: "hospital", policy: "CLINIC", text: "## Hospital stays\nInpatient hospital care is covered at 80% after the deductible. A private room is covered only when medically necessary." },
      ];
      const ask = (p, ingest, dbName = "background", extra = {}) => p.evaluate(async ({ docs, ingest, dbName, extra }) => {
        const db = await api.Benefind.open(opts(dbName, extra));
        // Both passages are embedded by the database's worker (too few for a helper).
        const ingested = ingest ? (await db.ingest(docs)).chunks : 0;
        // The worker embeds them when it has nothing else to do; these polls are requests
        // it serves first.
        const deadline = performance.now() + 120000;
        let stats = await db.stats();
        while (stats.unitsPending > 0 && performance.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          stats = await db.stats();
        }
        const { answer } = await db.ask("what do I pay if I get a shot for my seasonal sneezing", "CLINIC");
        const after = (await db.stats()).textsEmbedded;
        db.close();
        return { pending: stats.unitsPending, answer: answer?.text ?? null, embedded: after - stats.textsEmbedded, inBackground: stats.textsEmbedded - ingested };
      }, { docs, ingest, dbName, extra });
      const { page } = await openPage();
      const first = await ask(page, true);
      await page.reload();
      await openPage(page);
      const second = await ask(page, false);
      // With one worker (no helper), the database's worker embeds them itself, between
      // requests: its count then includes the office passage's 5 sentences and the
      // hospital passage's 2.
      const alone = await ask(page, true, "background-alone", { ingestWorkers: 1 });
      for (const [when, out] of [["after the ingest", first], ["after a reload", second], ["with one worker", alone]]) {
        assert.equal(out.pending, 0, `${when}: every chunk's sentences are stored`);
        assert.equal(out.answer, "Allergy shots given in the office are a $5 copay.", when);
        // The question, as typed and with the plan word its "shot" stands for.
        assert.equal(out.embedded, 2, `${when}: only the question was embedded`);
      }
      assert.equal(first.inBackground, 0, "a helper embedded them, not the database's worker");
      assert.equal(alone.inBackground, 5 + 2, "the database's worker embedded every sentence once");
    });

    test("two tabs share one database: each sees the other's changes", async () => {
      const { page: a } = await openPage();
      const { page: b } = await openPage();
      const embedded = (p) => p.evaluate(async () => (await db.stats()).textsEmbedded);
      for (const p of [a, b]) await p.evaluate(async () => { window.db = await api.Benefind.open(opts("tabs")); });
      assert.deepEqual([await embedded(a), await embedded(b)], [0, 0], "opening embedded nothing");
      // The other tab hears of a change by a BroadcastChannel message, which may come a
      // moment after WebDriver switches tabs: each tab waits until its document list
      // shows the change (no embedding), then searches once.
      const lists = (p, has) => p.waitFor(async (want) => (await db.documents()).some((d) => d.id === "rider") === want, [has]);
      await a.evaluate((text) => db.ingest([{ text, policy: "PPO_PLUS", id: "rider" }]), RIDER);
      const afterIngest = await embedded(a);
      await lists(b, true);
      const seen = await b.evaluate(async () => (await db.search("acupuncture visits", "PPO_PLUS"))[0].id);
      assert.equal(seen, "rider_chunk_0000", "tab B sees tab A's ingest without reopening");
      await b.evaluate(() => db.delete(["rider"]));
      await lists(a, false);
      const gone = await a.evaluate(async () => (await db.query({ question: "acupuncture", k: 100, where: { policy: "PPO_PLUS" } })).map((h) => h.id));
      assert.ok(!gone.includes("rider_chunk_0000"), "tab A sees tab B's delete");
      // Seeing the other tab's writes re-embedded nothing: each tab ran only its question.
      assert.equal(await embedded(a) - afterIngest, 1, "tab A embedded only its question after B's delete");
      assert.equal(await embedded(b), 1, "tab B embedded only its question");
      for (const p of [a, b]) await p.evaluate(() => db.close());
    });

    test("an older or foreign schema is upgraded; a tab that blocks the upgrade gives DB_BLOCKED", async () => {
      const { page } = await openPage();
      const out = await page.evaluate(async () => {
        // A database of this name at version 3 with an unknown store, from some older code.
        const legacy = await rawDb("legacy", 3, (db) => db.createObjectStore("old"));
        // It stays open and ignores versionchange: the upgrade must wait for it, then give up.
        const blocked = await settle(api.Benefind.open(opts("legacy", { blockedTimeoutMs: 1500 })));
        legacy.close();
        const db = await api.Benefind.open(opts("legacy"));
        const hit = (await db.search("Is my annual checkup free?", "PPO_PLUS"))[0].metadata.section;
        db.close();
        const raw = await rawDb("legacy");
        const shape = { version: raw.version, stores: [...raw.objectStoreNames].sort() };
        raw.close();
        return { blocked, hit, shape };
      });
      assert.equal(out.blocked.err.code, "DB_BLOCKED");
      assert.equal(out.hit, "Preventive care");
      assert.deepEqual(out.shape, { version: 4, stores: ["bundle", "chunks", "meta", "tombstones"] });
    });
    if (engine === "chromium") test("a storage quota failure writes nothing and keeps what was stored", async () => {
      // Chromium's DevTools protocol caps a fresh origin's storage (it must be set before the
      // origin first uses storage): enough for a few chunks, not for a large document.
      const quotaSession = await sessions.session();
      const page = quotaSession.tab;
      await quotaSession.driver.sendDevToolsCommand("Storage.overrideQuotaForOrigin", { origin: new URL(server.url).origin, quotaSize: 300_000 });
      await openPage(page);
      const out = await page.evaluate(async (text, sections) => {
        const db = await api.Benefind.open(opts("quota", { bundleUrl: undefined }));
        await db.ingest([{ text, policy: "PPO_PLUS", id: "rider" }]);
        // Ten chunks that each carry 40 KB of metadata: 400 KB, over the quota.
        const failed = await settle(db.ingest([{ text: sections, policy: "HMO_SELECT", id: "big", notes: "n".repeat(40_000) }]));
        const stats = await db.stats();
        const docs = (await db.documents()).map((d) => d.id);
        const hit = (await db.search("acupuncture visits", "PPO_PLUS"))[0].id;
        db.close();
        const again = await api.Benefind.open(opts("quota", { bundleUrl: undefined }));
        const stored = { chunks: (await again.stats()).chunks, docs: (await again.documents()).map((d) => d.id) };
        again.close();
        return { modelSource: db.opened.modelSource, failed, chunks: stats.chunks, docs, hit, stored };
      }, RIDER, riders(10));
      assert.equal(out.failed.err?.code, "QUOTA_EXCEEDED", JSON.stringify(out.failed));
      assert.deepEqual(out.docs, ["rider"], "memory unchanged after the failed commit");
      assert.equal(out.chunks, 1);
      assert.equal(out.hit, "rider_chunk_0000");
      assert.deepEqual(out.stored, { chunks: 1, docs: ["rider"] }, "storage unchanged after the failed commit");
    });
  });
}
