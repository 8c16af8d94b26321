// benefind's service worker: after one visit the page, its wasm and the default bundle load
// without a network. Strategy: network first for everything of this origin (so an online
// visit always gets the current app and bundle, and replaces the cached copies), the
// cached copy when the network fails. The model files are not handled here: benefind's
// worker keeps them, SHA-256-verified, in its own Cache API store.
const VERSION = "benefind-app-v1";
const SHELL = [
  "./", "index.html", "app.js", "render.js", "style.css", "favicon.svg",
  "benefind-widget.js", "embed-example.html", "portal.css", "portal.js",
  "pkg/benefind.js", "pkg/worker.js", "pkg/model.js", "pkg/benefind_wasm.js", "pkg/benefind_wasm_bg.wasm",
  "data/default.bundle",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  // Caches of older versions of this worker go: no mix of old and new files.
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("benefind-app-") && k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.includes("/models/")) return;
  event.respondWith((async () => {
    const cache = await caches.open(VERSION);
    try {
      const response = await fetch(event.request);
      if (response.ok && response.status === 200) await cache.put(event.request, response.clone());
      return response;
    } catch (error) {
      const cached = await cache.match(event.request, { ignoreSearch: true });
      if (cached) return cached;
      throw error;
    }
  })());
});
