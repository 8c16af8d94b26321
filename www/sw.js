// benefind's service worker: after one visit the page, its wasm and the default bundle load
// without a network. Strategy: network first for everything of this origin (so an online
// visit always gets the current app and bundle, and replaces the cached copies), the
// cached copy when the network fails. The model files are not handled here: benefind's
// worker keeps them, SHA-256-verified, in its own Cache API store. Nor is cloud/config.json,
// which holds the proxy's bearer token: secrets never go into a cache.
const VERSION = "benefind-app-v4";
/** This worker's global scope, typed (for tsc --checkJs). @type {ServiceWorkerGlobalScope} */
const sw = /** @type {any} */ (self);
// pkg/loader.js's RELAXED_SIMD_PROBE (a test keeps the two equal): the worker loads the
// relaxed-SIMD wasm build exactly where this validates, so only that build is kept.
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0,
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 147, 2, 11,
]);
const relaxedSimd = (() => {
  try { return WebAssembly.validate(RELAXED_SIMD_PROBE); } catch { return false; }
})();
const SHELL = [
  "./", "index.html", "app.js", "render.js", "style.css", "favicon.svg",
  "benefind-widget.js", "embed-example.html", "portal.css", "portal.js",
  "pkg/benefind.js", "pkg/worker.js", "pkg/loader.js", "pkg/model.js", "pkg/benefind_wasm.js",
  // The ingest helpers' script, so that adding documents offline still uses every core.
  "pkg/embedder-worker.js", "pkg/answer-stream.js", "pkg/batches.js",
  relaxedSimd ? "pkg/benefind_wasm_relaxed_bg.wasm" : "pkg/benefind_wasm_bg.wasm",
  "data/default.bundle",
];

sw.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => sw.skipWaiting()));
});

sw.addEventListener("activate", (event) => {
  // Caches of older versions of this worker go: no mix of old and new files.
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("benefind-app-") && k !== VERSION).map((k) => caches.delete(k))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  // Not handled (so never cached): other origins, the model files, and the cloud path's
  // config and anything asked for with `cache: "no-store"`, which may carry a bearer token.
  const skip = url.pathname.includes("/models/") || url.pathname.includes("/cloud/") || event.request.cache === "no-store";
  if (event.request.method !== "GET" || url.origin !== sw.location.origin || skip) return;
  // The network's response goes to the page at once; its copy is written to the cache
  // alongside, under waitUntil (taken now, while the event is dispatched). Awaiting the
  // write first held every answer until its copy had been read to the end; a Firefox run
  // stalled for good where the PDF module's 1.6 MB wasm is fetched (not proven to be why).
  /** @type {(value?: unknown) => void} */
  let written = () => {};
  event.waitUntil(new Promise((resolve) => { written = resolve; }));
  event.respondWith((async () => {
    try {
      const response = await fetch(event.request);
      if (response.ok && response.status === 200) {
        const copy = response.clone();
        caches.open(VERSION).then((cache) => cache.put(event.request, copy)).catch(() => {}).finally(written);
      } else {
        written();
      }
      return response;
    } catch (error) {
      written();
      const cached = await caches.match(event.request, { ignoreSearch: true, cacheName: VERSION });
      if (cached) return cached;
      throw error;
    }
  })());
});
