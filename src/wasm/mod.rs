//! The JavaScript boundary: the only module that knows about `JsValue`. It wraps core
//! types in newtypes, converts arguments and results, and turns every [`Error`] into a
//! JS `Error` carrying a stable `code` property (wasm-bindgen's `JsError` keeps only the
//! message, so the code is set here, once).
//!
//! - `engine`: `Embedder` and `Engine` (embed, search, ingest in memory);
//! - `database`: `Database` (the engine persisted in IndexedDB, one operation at a time);
//! - `cloud`: `CloudIndex` (the same search over the signing proxy, with `fetch`);
//! - `dto`: the shapes JS sees (hits with UTF-16 highlight ranges, stats) and their
//!   TypeScript declarations.
//!
//! # The JavaScript API built on this module (`pkg/`)
//!
//!
//! `pkg-scripts/build.sh` builds `pkg/` with `cargo build --target wasm32-unknown-unknown` and
//! `wasm-bindgen --target web` (module `benefind_wasm.js` + `.wasm`) and adds the entry module `benefind.js`, its Web Worker
//! `worker.js`, `model.js` and typings `benefind.d.ts`; `pkg/package.json`'s entry exports
//! `Benefind`. From a plain page:
//!
//! ```html
//! <script type="module">
//!   import { Benefind } from "./pkg/benefind.js";
//!   const db = await Benefind.open({
//!     model: { baseUrl: "./models/all-MiniLM-L6-v2/" },   // int8 weights; add weights: "f32" for model.safetensors;
//!                                                          // or { files: { weights, tokenizer, config } }
//!     bundleUrl: "./data/default.bundle",                  // optional; stored in IndexedDB on first use
//!     dbName: "benefind",                                  // optional (default "benefind")
//!     onProgress: (p) => console.log(p.phase, p.file ?? "", p.loaded ?? p.done, p.total),  // model / index / ingest
//!   });
//!   const hits = await db.search("Is my annual checkup free?", "PPO_PLUS");
//!   // → [{id, score, distance, text, metadata: {policy, source, chunk_index, section, …}, highlights: [[start, end]]}]
//!   const { answer, missing, results } = await db.ask("Is my annual checkup free?", "PPO_PLUS");
//!   // answer: {text, id, start, end, label} — the answering sentence, list item or table line of
//!   // the result `id` (results[i].text.slice(start, end)); label: for a table row's cell, the
//!   // row's label line (what the cell is for), for a Markdown table's row its header line,
//!   // else null. null when the documents don't answer;
//!   // missing: the question's topic words no result mentions (["acupuncture"]). See engine::answer.
//!   await db.query({ question: "MRI cost", k: 5, where: { policy: "HMO_SELECT" }, mode: "hybrid" });
//!   await db.query({ vector: myVector, k: 10 });        // 384 numbers
//!   await db.ingest([{ text: "## Acupuncture\n12 visits a year…", policy: "PPO_PLUS", id: "rider", source: "rider.md" }],
//!                   ({ done, total }) => console.log(done, "/", total));   // all or nothing, stored
//!   await db.ingest([{ pdf: fileInput.files[0], policy: "PPO_PLUS" }],     // a PDF: File, Blob, ArrayBuffer or Uint8Array
//!                   (p) => console.log(p.phase, p.page ?? p.done, p.pages ?? p.total),
//!                   { signal: controller.signal });                     // abort → CANCELLED, nothing added
//!   await db.documents();         // [{id: "rider", policy, source, chunks}] — what the member added
//!   await db.delete(["rider"]);   // chunk ids or document ids
//!   await db.stats();             // {modelId, dims, weights: "int8", chunks, policies, storedBytes, usage, quota, textsEmbedded, unitsPending, open, …}
//!   await db.clear();             // everything stored goes (the next open with bundleUrl imports it again)
//!   db.close();
//! </script>
//! ```
//!
//! The same calls against a cloud index (Titan V2 + S3 Vectors through `benefind-proxy`; see
//! `cloud::proxy`): `Benefind.open({ cloud: { proxyUrl, token }, model: { baseUrl } })` — then
//! `search`, `query`, `ingest` and `delete` as above (a question ranks hybrid: the proxy
//! re-ranks S3 Vectors' best with their words).
//!
//! An ingest uses every core without cross-origin isolation: the worker chunks (once), then
//! embeds batches itself while helper workers (`embedder-worker.js`, one per further core,
//! each its own wasm instance and model copy, started by the page and joined to the worker
//! by a `MessagePort`) embed others, and writes those chunks with all
//! vectors in one transaction (`Database.chunkForIngest` / `embed` / `ingestChunked`;
//! `open({ingestWorkers: 1})` keeps it to the one worker). A helper that fails, or has a batch and says nothing for a minute,
//! is let go and the worker embeds its batches itself (`batches.js`): a helper can slow an
//! ingest, never hang it.
//!
//! A watchdog names an operation still running after 30 s (`open({slowOperationMs})`) on
//! the console: the worker reports its step and the IndexedDB request it awaits
//! (`storageWaitingOn`); the page reports a worker that has said nothing at all.
//!
//! All model, index and storage work runs in a dedicated Web Worker, one operation at a time;
//! the page's main thread only posts messages (measured: no task over 50 ms on the main thread
//! during a 500-chunk ingest). The model files (`model.int8.safetensors` by default, see the
//! embed module; `MODEL_FILES_F32` with `weights: "f32"`) are fetched with progress, checked against pinned
//! SHA-256 sums (`MODEL_FILES`; a mismatch rejects with `MODEL_CHECKSUM` and is never cached)
//! and kept in the Cache API, so the next open reads them from the cache
//! (`db.opened.modelSource` says `"network"`, `"cache"`, `"files"` or `"network-uncached"`:
//! downloaded but not cached, e.g. storage full). `open` never waits for a permission:
//! `persist: true` asks for persistent storage without waiting, `db.persist()` asks on
//! demand, and `stats().persisted` reports the browser's answer.
//!
//! Rejections are `BenefindError`s with a stable `code` and a message naming what was wrong:
//! `BAD_FILTER`, `DIMENSION_MISMATCH`, `BAD_BUNDLE`, `MODEL_MISMATCH`, `MODEL_INVALID`,
//! `MODEL_MISSING`, `MODEL_CHECKSUM`, `INVALID_INPUT` (also a document over 2 MiB of text),
//! `PDF_INVALID`, `PDF_ENCRYPTED`, `PDF_NO_TEXT`, `PDF_TOO_LARGE` (see the `pdf` module), `CANCELLED`,
//! `QUOTA_EXCEEDED`, `STORE_CORRUPT`, `DB_BLOCKED`, `DB_CLOSED`, `STORAGE`, `BUSY`, `CLOSED`,
//! `NOT_OPEN`, `WORKER`, `TOKENIZER`, `INFERENCE`, `INTERNAL`; a misspelt
//! option (`wher`) is an error, not ignored. `highlights` are JS string indices (UTF-16).
//!
//! ## Persistence (IndexedDB, with `rexie`)
//!
//! One IndexedDB database per `dbName`, four object stores (values are `Uint8Array`s, except the tombstones' `1`):
//!
//! | store | key → value |
//! |---|---|
//! | `meta` | `"identity"` → JSON `{format: 2, modelId, dims, bundle: {fingerprint, bytes} \| null}` |
//! | `bundle` | `"base/00000"`, `"base/00001"`, … → the bundle file as fetched (graphs included), in 32 MiB parts (Chromium refuses single values over 128 MiB) |
//! | `chunks` | chunk id → an ingested chunk: `BFC1`, CRC-32, postcard `{id, text, metadata JSON, vector f32}`; rewritten as `BFC2`, the same plus `{unit scales f32, unit values i8}`, when the worker has embedded its answer units in the background |
//! | `tombstones` | chunk id → `1`: bundle chunks deleted, or replaced by an ingested chunk of the same id |
//!
//! - **Open** loads the stored bundle (its graphs are decoded, never rebuilt), deletes the
//!   tombstoned ids and adds the stored chunks to the exact-scan delta with their stored
//!   vectors (nothing is re-embedded: `stats().textsEmbedded` counts only questions). With
//!   `bundleUrl`, the bundle is fetched with revalidation; identical bytes (CRC-32 + length)
//!   are not rewritten, a **new bundle version** replaces the stored one and keeps the
//!   member's documents (old tombstones are dropped), and an unreachable network falls back
//!   to the stored copy (`stats().bundleFetch === "offline"`).
//! - **Every change is one transaction** (ingest: chunks + tombstones; delete; `clear()`
//!   empties every store in one transaction, then writes a fresh identity record; the
//!   background step's `BFC2` rewrites, each only over the record it read), written
//!   before memory changes: a failure — quota, a bad document (detected before any write),
//!   a closed tab — leaves both the stored and the searchable state as they were.
//! - **Another model's data** (modelId or dims in `meta` ≠ the embedder's) is refused with
//!   `MODEL_MISMATCH` / `DIMENSION_MISMATCH` naming both; vectors are never mixed.
//!   `Benefind.deleteDatabase(dbName)` starts over.
//! - **Corrupt records** (checksum, wrong key, wrong length, non-finite values) are left out
//!   and reported in `db.opened.open.corrupt`; the rest stays searchable; `clear()` (or
//!   `delete` of those ids) removes them. A corrupt stored bundle leaves the member's
//!   documents searchable and is re-imported by the next open with `bundleUrl`.
//! - **Schema**: the database opens at its current version; if any store is missing (new,
//!   older or foreign layout) it is reopened at version + 1, which creates them. Another tab
//!   holding an old version that does not close gives `DB_BLOCKED` after `blockedTimeoutMs`
//!   (default 15 s); benefind's own connections close themselves on `versionchange`.
//! - **Two tabs** on one database: after each change a `BroadcastChannel` message makes the
//!   other workers reload the stored state before their next operation.
//! - A document without `id` gets `doc-<crc32 of policy and text>`, so it is listed by
//!   `documents()` and can be deleted as a whole; adding the same text again replaces it.
//!
//! The lower level is exported too: `Engine` (search, query, ingest, delete, stats;
//! synchronous, in memory only, in the calling thread; its progress callback gets
//! `(done, total)`), `Database` (the persistent engine the worker uses), `initWasm` and `Embedder` (`embedOne`, `embed`, `countTokens`), both taking the model files'
//! bytes. No bad input panics: after every error case the same instance keeps answering
//! (tested in Chromium).
//!
//! # The page and the widget (`www/`)
//!
//!
//! ![The page answering "Is my annual checkup free?" for PPO_PLUS](www/screenshot.png)
//!
//! `pkg-scripts/demo.sh` serves `www/`: ask a question, pick your policy (remembered), read
//! the answer first (the answering sentence, highlighted, cited; or "Your plan's documents
//! don't mention …" with the closest topics), then the passages with their plan, source
//! document and section, the matched words highlighted and why each is shown, in words
//! ("The answer above is from this passage", "Mentions “copay” from your question", "Close in
//! meaning to your question, without its words"), not a similarity score: MiniLM's cosines
//! mean nothing to a member and are low even for the right passage (0.29 for the seed). The
//! first visit shows the model download (bytes) and indexing; later visits are ready at once
//! and say "Works offline". **Add your documents**: paste text or choose PDF/.txt/.md files, pick
//! or type a policy, watch each PDF's pages being read and the embedding progress (Cancel
//! stops it, nothing added), see each file's pages and passages; a refused PDF (password,
//! scan, damaged, not a PDF) says why and adds nothing. A PDF's passages are cited as
//! "plan · file · page N · section"; they are stored in this browser, searchable
//! with the plan's passages, listed with a Delete button, and still there after a reload.
//!
//! Offline: `www/sw.js` caches the page, its modules, the wasm package and the default bundle
//! (network first, so an online visit always gets — and caches — the current files; the cached
//! copy when the network fails; caches of an older service-worker version are deleted on
//! activation). The model files are kept, SHA-256-verified, in benefind's own Cache API store.
//! Document text is only ever rendered as text nodes (`www/render.js`); both pages carry a
//! strict Content-Security-Policy (`script-src 'self' 'wasm-unsafe-eval'`, no inline script or
//! style).
//!
//! **The widget** for a portal — one script tag, then the element:
//!
//! ```html
//! <script type="module" src="/benefind/benefind-widget.js"></script>
//! <benefind-search policy="PPO_PLUS" k="3" placeholder="Is my annual checkup free?"></benefind-search>
//! <style>
//!   benefind-search { --benefind-accent: #0b7a53; --benefind-radius: 4px; }  /* theme */
//!   benefind-search::part(result) { border-left: 4px solid #123a5c; }         /* style results */
//! </style>
//! <script type="module">
//!   document.addEventListener("benefind-result", (e) => console.log(e.detail.id, e.detail.text));
//! </script>
//! ```
//!
//! Serve `www/`, `pkg/` and `models/` together (e.g. under `/benefind/`, with `pkg/` and
//! `models/` next to the script), from the portal's own origin or from another one (a CDN,
//! the vendor's domain). From another origin the widget starts its worker as a same-origin
//! `blob:` module that imports `worker.js` with CORS, so that origin must send
//! `Access-Control-Allow-Origin`, and the portal's CSP needs, for a widget at
//! `https://cdn.example`:
//! `script-src 'self' https://cdn.example 'wasm-unsafe-eval'; worker-src blob: https://cdn.example; connect-src https://cdn.example`
//! (a module worker's own imports are `worker-src` requests)
//! (the data — IndexedDB and the model cache — stays on the portal's origin).
//! Attributes: `policy` (omit it to show a policy selector), `bundle` and `model-base` (default:
//! next to the script), `k` (1–10), `placeholder`. Theme properties: `--benefind-accent`,
//! `--benefind-bg`, `--benefind-fg`, `--benefind-muted`, `--benefind-border`, `--benefind-mark`,
//! `--benefind-radius`, `--benefind-font`. Shadow DOM with a constructed stylesheet: the
//! portal's styles do not reach in (`:host { all: initial }`), the widget's do not leak out,
//! and it needs no `'unsafe-inline'`. All widgets of a page share one worker and model per
//! model-base and bundle. `www/embed-example.html` shows two in a mock intranet portal with deliberately
//! greedy styles under a strict CSP.
//!
//! # Toolchain: what compiles for both native and wasm32
//!
//!
//! | crate | version | features / note |
//! |---|---|---|
//! | candle-core, candle-nn, candle-transformers | 0.11.1 | default features (empty: no BLAS/CUDA); gemm gets `wasm-simd128-enable` from candle |
//! | tokenizers | 0.23.2 | `default-features = false, features = ["unstable_wasm"]`: fancy-regex instead of onig (C); same setting natively so both targets tokenize with identical code. No rayon: texts are encoded one at a time |
//! | wasm-bindgen / js-sys / web-sys / wasm-bindgen-futures | 0.2.130 (exact, matches the CLI) / 0.3.107 / 0.3.107 / 0.4.80 | wasm32 only |
//! | serde-wasm-bindgen, console_error_panic_hook | 0.6.5, 0.1.7 | wasm32 only |
//! | wasm-bindgen-test | 0.3.80 | wasm32 dev-dependency |
//! | clap, anyhow | 4, 1 | native only (the CLI) |
//! | axum, tokio, tower-http, reqwest (rustls), futures | 0.8, 1.54, 0.6, 0.13, 0.3 | native only: the proxy and the fake |
//! | aws-sigv4, aws-credential-types, aws-smithy-runtime-api, aws-config | 1.6.4, 1.3, 1, 1.13 | native only: SigV4 and the standard credential chain (needs Rust ≥ 1.94; aws-lc builds with `cc`, no cmake) |
//! | sha2, subtle, hex, toml, governor, tracing(-subscriber), fastrand | | native only: token hashes and constant-time compare, config, per-token GCRA limits, JSON logs, retry jitter |
//!
//! getrandom: candle's rand 0.9 pulls getrandom 0.3, which gets its `wasm_js` backend from
//! tokenizers' `unstable_wasm`; zip (via candle) pulls 0.4 with its own wasm support. No
//! `--cfg getrandom_backend` is needed. instant-distance's rand 0.8 pulls getrandom 0.2, which gets
//! its JS backend from a wasm32-only `getrandom = { version = "0.2", features = ["js"] }`
//! dependency.
//!
//! `wasm-opt` is not run (`pkg-scripts/build.sh` calls cargo and wasm-bindgen directly): Debian's
//! binaryen 108 produces a module that fails at load (`WebAssembly.Table.set(): Argument 1 is
//! invalid`), and npm's binaryen made embedding slower for a 6 % smaller gzipped file.
//!
//! SIMD128 is on for wasm32 (`.cargo/config.toml`); `pkg-scripts/build.sh --no-simd DIR` builds
//! the comparison package. Release profile: thin LTO, one codegen unit.
//!
//! # Two builds: SIMD128 and relaxed SIMD
//!
//! `pkg/` holds the module twice, behind one JS glue: `benefind_wasm_bg.wasm` (SIMD128) and
//! `benefind_wasm_relaxed_bg.wasm` (SIMD128 + relaxed SIMD: int8 weights may run 8-bit dot
//! products, ≈ 0.8× the SIMD128 build's query time on CPUs with VNNI and ≈ 1.8× without,
//! so the build times them against its 16-bit kernel at load and keeps the faster; see
//! `embed`'s kernels; `denseKernel` in `stats()` says which runs). An engine
//! without relaxed SIMD rejects a module that contains any relaxed instruction, so there is
//! no switching inside one module: `src/js/loader.js` validates a 40-byte probe module and
//! loads the matching file (Chromium and Firefox: relaxed; WebKit: SIMD128), and the service
//! worker keeps that same file for offline use. `Embedder.simd` and `stats().simd` say
//! which build runs. The relaxed build is `cargo rustc … -- -C
//! target-feature=+simd128,+relaxed-simd`: the flag reaches benefind alone, so the second
//! build reuses every dependency's artifacts (about 45 s more per `build.sh`). Relaxed
//! SIMD's dot product is exact integer arithmetic when its second operand fits in 7 bits
//! (which the kernel guarantees), and both builds quantize activations to the same 14-bit
//! integers and scale the exact sums back alike, so they compute the same numbers on every
//! engine and CPU (tested in each engine).

// The main module (engine, database, cloud) and the PDF module are two builds of this
// crate: the PDF module (feature `pdf-module`) exports only the reader, so PDF support
// costs nothing until a member adds a PDF.
#[cfg(not(feature = "pdf-module"))]
mod cloud;
#[cfg(not(feature = "pdf-module"))]
mod database;
#[cfg(not(feature = "pdf-module"))]
mod dto;
#[cfg(not(feature = "pdf-module"))]
mod engine;
#[cfg(feature = "pdf-module")]
mod pdf;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::Error;

/// Reports panics to the console instead of "unreachable executed"; none should happen
/// on any input, but if one does the message must say where.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    crate::embed::set_clock(now_ms);
}

/// `performance.now()` of this scope (window or worker), in milliseconds; 0 where there is
/// none, which the kernel timing reads as a clock that does not move. Generic `js_sys`
/// calls (`Reflect.get`, `Function.call`), which both wasm builds import anyway: the
/// relaxed build's use of the clock must not change the JS glue the two builds share.
fn now_ms() -> f64 {
    let performance = Reflect::get(&js_sys::global(), &"performance".into()).ok();
    let now = performance
        .as_ref()
        .and_then(|p| Reflect::get(p, &"now".into()).ok())
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    match (performance, now) {
        (Some(p), Some(now)) => now.call0(&p).ok().and_then(|t| t.as_f64()).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// The SIMD level this module was built with: "relaxed-simd" (int8 weights may run 8-bit
/// dot products; `loader.js` picks this build where the engine validates relaxed SIMD),
/// "simd128" (every other engine) or "none" (the `--no-simd` comparison build).
#[cfg_attr(feature = "pdf-module", allow(dead_code))]
pub(crate) fn simd_level() -> &'static str {
    if cfg!(target_feature = "relaxed-simd") {
        "relaxed-simd"
    } else if cfg!(target_feature = "simd128") {
        "simd128"
    } else {
        "none"
    }
}

/// Converts a core error into a JS `Error` with `code` and `message`.
pub(crate) fn js_error(error: Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("BenefindError");
    // Reflect::set on a fresh Error object cannot fail; ignore the impossible case.
    let _ = Reflect::set(&js, &"code".into(), &error.code().as_str().into());
    js.into()
}

/// Converts a core result to a plain JS value (objects, not `Map`s).
pub(crate) fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(Error::InvalidInput(e.to_string())))
}

#[cfg_attr(feature = "pdf-module", allow(dead_code))]
/// Reads a JS argument into a core type, naming what was expected on failure.
///
/// Goes through `serde_json::Value`: serde-wasm-bindgen reads only the fields a struct
/// names, so a misspelt option (`wher`) would be ignored silently; serde_json sees every
/// key and honours `deny_unknown_fields`.
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
) -> Result<T, JsValue> {
    let bad = |e: &dyn std::fmt::Display| js_error(Error::InvalidInput(format!("{what}: {e}")));
    let json: serde_json::Value = serde_wasm_bindgen::from_value(value).map_err(|e| bad(&e))?;
    serde_json::from_value(json).map_err(|e| bad(&e))
}

#[cfg_attr(feature = "pdf-module", allow(dead_code))]
/// Calls `onProgress(done, total)` when given; a throwing callback must not abort the
/// work half-way, so its exceptions are dropped.
pub(crate) fn progress_callback(on_progress: Option<js_sys::Function>) -> impl FnMut(usize, usize) {
    move |done, total| {
        if let Some(f) = &on_progress {
            let _ = f.call2(&JsValue::NULL, &done.into(), &total.into());
        }
    }
}
