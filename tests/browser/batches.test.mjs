// How an ingest shares its embedding batches with helper workers (src/js/batches.js), with
// stand-in helpers in Node: every batch is embedded exactly once and lands in its place,
// and a helper that fails or goes silent costs time, never the ingest.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ROOT } from "./helpers.mjs";

const { shareBatches } = await import(path.join(ROOT, "src/js/batches.js"));

/** A "vector" per text: its index, so the result says which text went where. */
const vectorsOf = (start, end) => Float32Array.from({ length: end - start }, (_, i) => start + i);

/**
 * A stand-in helper: answers each batch after `delayMs` as embedder-worker.js does, until
 * its `behaviour` says otherwise for the n-th batch it gets ("ok", "silent", "error",
 * "not-ok", "unreadable", "wrong-batch": an answer naming a batch it was not given).
 */
function helper(behaviour = () => "ok", delayMs = 1) {
  const h = {
    received: 0, terminated: false, onmessage: null, onerror: null, onmessageerror: null,
    postMessage({ start, end }) {
      const n = h.received++;
      const what = behaviour(n);
      setTimeout(() => {
        if (h.terminated || what === "silent") return;
        if (what === "error") h.onerror?.({ message: "worker crashed" });
        else if (what === "unreadable") h.onmessageerror?.({});
        else if (what === "not-ok") h.onmessage?.({ data: { ok: false, error: { code: "INTERNAL" } } });
        else if (what === "wrong-batch") h.onmessage?.({ data: { ok: true, start: -1, vectors: vectorsOf(start, end) } });
        else h.onmessage?.({ data: { ok: true, start, vectors: vectorsOf(start, end), memoryBytes: 1 } });
      }, delayMs);
    },
    terminate() { h.terminated = true; },
  };
  return h;
}

/** Runs shareBatches over `count` texts; what landed where, and who embedded it. */
async function share(count, helpers, { stallMs = 200 } = {}) {
  const out = new Float32Array(count).fill(-1);
  const seen = [];
  const by = new Map();
  await shareBatches({
    count, batch: 8, helpers,
    embedHere: (start, end) => vectorsOf(start, end),
    message: (start, end) => ({ start, end }),
    onBatch: (start, vectors, from) => {
      seen.push(start);
      out.set(vectors, start);
      by.set(from ?? "here", (by.get(from ?? "here") ?? 0) + 1);
    },
    // This worker is slower than its helpers, as when it also keeps the store.
    yieldToEvents: () => new Promise((resolve) => setTimeout(resolve, 5)),
    stallMs,
  });
  assert.deepEqual([...out], Array.from({ length: count }, (_, i) => i), "every text's vector in its place");
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: Math.ceil(count / 8) }, (_, i) => 8 * i),
    "each batch embedded exactly once");
  return by;
}

test("batches are shared between this worker and its helpers, each once", { timeout: 10000 }, async () => {
  const a = helper(), b = helper();
  const by = await share(203, [a, b]);
  assert.ok(by.get(a) > 0 && by.get(b) > 0 && by.get("here") > 0, JSON.stringify([...by.values()]));
  assert.ok(a.terminated && b.terminated, "helpers are let go at the end");
  // No helpers, or fewer texts than a batch: this worker does it all.
  assert.deepEqual([...(await share(20, [])).keys()], ["here"]);
  await share(3, [helper()]);
});

test("a helper that fails hands its batches back and this worker finishes them", { timeout: 10000 }, async () => {
  for (const failure of ["error", "not-ok", "unreadable", "wrong-batch"]) {
    const bad = helper((n) => (n === 2 ? failure : "ok"));
    const good = helper();
    const by = await share(120, [bad, good]);
    assert.ok(bad.terminated, failure);
    assert.equal(by.get(bad), 2, `${failure}: the batches before the failure count, the rest went elsewhere`);
  }
});

test("a helper that goes silent is given up on after the stall time, and the ingest ends", { timeout: 10000 }, async () => {
  // Stuck from its second batch on, as a worker busy forever would be.
  const silent = helper((n) => (n >= 1 ? "silent" : "ok"));
  const t0 = Date.now();
  const by = await share(64, [silent, helper()], { stallMs: 150 });
  assert.ok(silent.terminated, "the silent helper is terminated");
  assert.equal(by.get(silent), 1, "its one answered batch counts; the silent one was redone");
  assert.ok(Date.now() - t0 >= 150, "it was waited for the stall time first");
  // A slow helper that still answers within the stall time is not given up on.
  const slow = helper(() => "ok", 60);
  const bySlow = await share(64, [slow], { stallMs: 150 });
  assert.ok(bySlow.get(slow) > 0);
  assert.equal(bySlow.get(slow), slow.received, "every batch it was sent was answered and kept");
  // Silent on one batch but answering the next (out of order): answers are matched by
  // the batch they name, so nothing lands in the wrong place.
  const skips = helper((n) => (n === 1 ? "silent" : "ok"));
  await share(64, [skips, helper()], { stallMs: 150 });
});

test("helpers started on a guess are handed over, topped up or let go by the real count", { timeout: 10000 }, async () => {
  const { earlyHelpers } = await import(path.join(ROOT, "src/js/batches.js"));
  // As worker.js counts them: one helper per 8 chunks beyond the first batch, at most 3.
  const countFor = (chunks) => Math.max(0, Math.min(3, Math.floor(chunks / 8) - 1));
  const made = [];
  const start = () => { const h = helper(); made.push(h); return Promise.resolve(h); };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

  // A guess of 20 chunks starts one; the real 100 keep it and start two more.
  let early = earlyHelpers(start, countFor);
  early.expect(20);
  early.expect(20);
  assert.equal(made.length, 1, "a repeated guess starts nobody new");
  let kept = await Promise.all(early.take(100));
  assert.equal(kept.length, 3);
  assert.equal(kept[0], made[0], "the helper started early is the first one used");
  early.release();
  await settle();
  assert.ok(made.every((h) => !h.terminated), "release() lets go only helpers not taken");

  // A guess of 100 starts three; the real 20 keep one and the other two are let go.
  made.length = 0;
  early = earlyHelpers(start, countFor);
  early.expect(100);
  kept = await Promise.all(early.take(20));
  await settle();
  assert.deepEqual([kept.length, made.length], [1, 3]);
  assert.deepEqual(made.map((h) => h.terminated), [false, true, true]);

  // An ingest that fails after the guess: every helper it started is let go.
  made.length = 0;
  early = earlyHelpers(start, countFor);
  early.expect(40);
  early.release();
  await settle();
  assert.ok(made.length === 3 && made.every((h) => h.terminated));
  // A helper that could not start (null) is nothing to let go.
  early = earlyHelpers(() => Promise.resolve(null), countFor);
  early.expect(40);
  assert.deepEqual(await Promise.all(early.take(40)), [null, null, null]);
});

test("helpers take their first batches before this worker blocks on its first one", { timeout: 10000 }, async () => {
  const a = helper(), b = helper();
  let helpersHadWork = false;
  await shareBatches({
    count: 64, batch: 8, helpers: [a, b],
    embedHere: (start, end) => { helpersHadWork ||= a.received === 2 && b.received === 2; return vectorsOf(start, end); },
    message: (start, end) => ({ start, end }),
    onBatch: () => {},
    yieldToEvents: () => new Promise((resolve) => setTimeout(resolve, 5)),
    stallMs: 200,
  });
  assert.ok(helpersHadWork, "each helper held two batches when this worker started its first");
});
