// pkg/loader.js and the service worker choose the wasm build with the same probe: if the
// two byte lists drifted apart, an engine could run one build and keep the other offline.
// (The engine-api tests check the choice itself in each engine.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./helpers.mjs";

test("the service worker's relaxed-SIMD probe is loader.js's", async () => {
  const { RELAXED_SIMD_PROBE } = await import(path.join(ROOT, "pkg/loader.js"));
  const sw = readFileSync(path.join(ROOT, "www/sw.js"), "utf8");
  const list = sw.match(/const RELAXED_SIMD_PROBE = new Uint8Array\(\[([^\]]*)\]\)/);
  assert.ok(list, "www/sw.js declares RELAXED_SIMD_PROBE");
  const bytes = list[1].replace(/\/\/[^\n]*/g, "").split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  assert.deepEqual(bytes, [...RELAXED_SIMD_PROBE]);
  // With a SIMD128 instruction of the same shape (v128.bitselect: three v128 in, one out)
  // in place of the relaxed one, the module validates in any SIMD engine, Node's
  // included: the probe is well-formed, and only relaxed SIMD decides its validity.
  const control = [...RELAXED_SIMD_PROBE];
  assert.deepEqual(control.slice(-4), [253, 147, 2, 11]);
  control.splice(-4, 3, 253, 82); // one byte shorter: shrink the code section and the body
  control[control.indexOf(10, 8) + 1] -= 1;
  control[control.indexOf(10, 8) + 3] -= 1;
  assert.ok(WebAssembly.validate(new Uint8Array(control)), "the control module validates");
});

const origin = "http://127.0.0.1:8080";

/**
 * Runs www/sw.js in a stand-in global with `globals` (its `caches`, `fetch`) and returns
 * the listeners it added, by event type.
 */
async function serviceWorker(globals) {
  const { runInNewContext } = await import("node:vm");
  const listeners = {};
  const scope = {
    self: null,
    location: new URL(`${origin}/sw.js`),
    addEventListener: (type, fn) => { listeners[type] = fn; },
    WebAssembly,
    URL,
    Uint8Array,
    ...globals,
  };
  scope.self = scope;
  runInNewContext(readFileSync(path.join(ROOT, "www/sw.js"), "utf8"), scope);
  return listeners;
}

// The service worker runs in a stand-in global: which fetches it answers (and so caches).
test("the service worker never handles the cloud config or no-store requests", async () => {
  const listeners = await serviceWorker({ caches: {} });
  const handled = (pathname, cache = "default") => {
    let responded = false;
    listeners.fetch({ request: { url: `${origin}${pathname}`, method: "GET", cache }, respondWith: (answer) => { responded = true; answer.catch(() => {}); }, waitUntil: () => {} });
    return responded;
  };
  assert.equal(handled("/index.html"), true, "the shell is handled (and cached)");
  assert.equal(handled("/data/default.bundle"), true);
  assert.equal(handled("/cloud/config.json"), false, "the bearer token's file is never cached");
  assert.equal(handled("/app/cloud/config.json"), false);
  assert.equal(handled("/index.html", "no-store"), false);
  assert.equal(handled("/models/all-MiniLM-L6-v2/model.int8.safetensors"), false);
});

// The network's answer reaches the page without waiting for its cached copy to be
// written: a write that never finishes (a large file, a slow disk) must not hold a fetch.
test("the service worker answers before its cache write finishes, and keeps the event alive for it", async () => {
  const response = { ok: true, status: 200, clone: () => ({ copy: true }) };
  const puts = [];
  const listeners = await serviceWorker({
    // A write that never settles.
    caches: { open: async () => ({ put: (request, copy) => { puts.push(copy); return new Promise(() => {}); } }) },
    fetch: async () => response,
  });
  let answer;
  const kept = [];
  listeners.fetch({
    request: { url: `${origin}/pkg/benefind_pdf_bg.wasm`, method: "GET", cache: "default" },
    respondWith: (p) => { answer = p; },
    waitUntil: (p) => { kept.push(p); },
  });
  const late = new Promise((resolve) => setTimeout(() => resolve("still waiting"), 1000));
  assert.equal(await Promise.race([answer, late]), response, "the answer does not wait for the cache write");
  assert.deepEqual(puts, [{ copy: true }], "a copy of the answer is written to the cache");
  assert.equal(kept.length, 1, "the write is held under waitUntil, so the worker is not stopped mid-write");
  assert.equal(await Promise.race([kept[0].then(() => "settled"), late]), "still waiting", "the event lives as long as the write");
});
