//! The JavaScript boundary: the only module that knows about `JsValue`. It wraps core
//! types in newtypes, converts arguments and results, and turns every [`Error`] into a
//! JS `Error` carrying a stable `code` property (wasm-bindgen's `JsError` keeps only the
//! message, so the code is set here, once).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use crate::store::{idb::BrowserStore, Database};
use crate::{Collection, Embedder, Engine, Error, IngestDoc, ModelFiles, Query, SearchHit};

/// Reports panics to the console instead of "unreachable executed"; none should happen
/// on any input, but if one does the message must say where.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Converts a core error into a JS `Error` with `code` and `message`.
fn js_error(error: Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("BenefindError");
    // Reflect::set on a fresh Error object cannot fail; ignore the impossible case.
    let _ = Reflect::set(&js, &"code".into(), &error.code().into());
    js.into()
}

/// The MiniLM embedder, for JavaScript.
#[wasm_bindgen(js_name = Embedder)]
pub struct JsEmbedder {
    inner: Embedder,
}

#[wasm_bindgen(js_class = Embedder)]
impl JsEmbedder {
    /// Loads the model from the bytes of the weights (`model.int8.safetensors` or
    /// `model.safetensors`), `tokenizer.json` and `config.json`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        weights: Vec<u8>,
        tokenizer: Vec<u8>,
        config: Vec<u8>,
    ) -> Result<JsEmbedder, JsValue> {
        let inner = Embedder::from_files(ModelFiles {
            weights,
            tokenizer,
            config,
        })
        .map_err(js_error)?;
        Ok(Self { inner })
    }

    /// "sentence-transformers/all-MiniLM-L6-v2".
    #[wasm_bindgen(getter, js_name = modelId)]
    pub fn model_id(&self) -> String {
        self.inner.model_id().to_string()
    }

    /// Vector length (384).
    #[wasm_bindgen(getter)]
    pub fn dims(&self) -> usize {
        self.inner.dims()
    }

    /// "int8" or "f32": which weights file was loaded.
    #[wasm_bindgen(getter)]
    pub fn weights(&self) -> String {
        self.inner.precision().as_str().to_string()
    }

    /// Embeds one text into a unit-length `Float32Array`.
    #[wasm_bindgen(js_name = embedOne)]
    pub fn embed_one(&self, text: &str) -> Result<Float32Array, JsValue> {
        let v = self.inner.embed_one(text).map_err(js_error)?;
        Ok(Float32Array::from(v.as_slice()))
    }

    /// Embeds many texts; returns one flat `Float32Array` of `texts.length × dims` values.
    pub fn embed(&self, texts: Vec<String>) -> Result<Float32Array, JsValue> {
        let vectors = self.inner.embed(&texts).map_err(js_error)?;
        let flat: Vec<f32> = vectors.into_iter().flatten().collect();
        Ok(Float32Array::from(flat.as_slice()))
    }

    /// Tokens in `text` before truncation, special tokens included.
    #[wasm_bindgen(js_name = countTokens)]
    pub fn count_tokens(&self, text: &str) -> Result<usize, JsValue> {
        self.inner.count_tokens(text).map_err(js_error)
    }
}

/// Converts a core result to a plain JS value (objects, not `Map`s).
fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(Error::InvalidInput(e.to_string())))
}

/// Reads a JS argument into a core type, naming what was expected on failure.
///
/// Goes through `serde_json::Value`: serde-wasm-bindgen reads only the fields a struct
/// names, so a misspelt option (`wher`) would be ignored silently; serde_json sees every
/// key and honours `deny_unknown_fields`.
fn from_js<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    let bad = |e: &dyn std::fmt::Display| js_error(Error::InvalidInput(format!("{what}: {e}")));
    let json: serde_json::Value = serde_wasm_bindgen::from_value(value).map_err(|e| bad(&e))?;
    serde_json::from_value(json).map_err(|e| bad(&e))
}

/// A search hit as JS sees it: highlight ranges in UTF-16 code units (JS string indices)
/// instead of the core's UTF-8 byte offsets.
#[derive(serde::Serialize)]
struct HitDto<'a> {
    id: &'a str,
    score: f32,
    distance: f32,
    text: &'a str,
    metadata: &'a serde_json::Map<String, serde_json::Value>,
    highlights: Vec<[usize; 2]>,
}

impl<'a> From<&'a SearchHit> for HitDto<'a> {
    fn from(h: &'a SearchHit) -> Self {
        let utf16 = |byte: usize| h.text.get(..byte).map_or(0, |s| s.encode_utf16().count());
        HitDto {
            id: &h.id,
            score: h.score,
            distance: h.distance,
            text: &h.text,
            metadata: &h.metadata,
            highlights: h
                .highlights
                .iter()
                .map(|&(s, e)| [utf16(s), utf16(e)])
                .collect(),
        }
    }
}

fn hits_to_js(hits: &[SearchHit]) -> Result<JsValue, JsValue> {
    to_js(&hits.iter().map(HitDto::from).collect::<Vec<_>>())
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A where-filter in ChromaDB / S3 Vectors syntax, e.g. `{policy: "PPO_PLUS", chunk_index: {$lt: 5}}`. */
export type Where = { [field: string]: unknown };
/** vector: MiniLM only; keyword: BM25 only; hybrid (default): both, fused by normalised score. */
export type SearchMode = "vector" | "keyword" | "hybrid";
/** A query: exactly one of `question` or `vector` (384 numbers). `k` defaults to 3 (max 100). */
export interface Query { question?: string; vector?: number[]; k?: number; where?: Where; mode?: SearchMode; }
/** One result. `score` is the cosine similarity, `distance` 1 − score, `highlights` JS string ranges of matched words. */
export interface SearchHit { id: string; score: number; distance: number; text: string; metadata: Record<string, unknown>; highlights: [number, number][]; }
/** A document to ingest; extra fields become metadata of every chunk. */
export interface IngestDoc { text: string; policy: string; source?: string; id?: string; [metadata: string]: unknown; }
export interface IngestReport { chunks: number; replaced: number; ids: string[]; }
/** A document the member added, as listed by `documents()`. */
export interface AddedDocument { id: string; policy: string; source: string; chunks: number; }
/** What `Database.open` found: where the base bundle came from, chunks restored from storage, records that failed their checks. */
export interface OpenReport { base: "none" | "stored" | "imported" | "updated"; restored: number; corrupt: string[]; }
/** Storage figures of a persistent database. */
export interface StoreStats { storedBytes: number; journalChunks: number; tombstones: number; textsEmbedded: number; open: OpenReport; }
/** Engine and storage figures. `storage` is "memory" when the browser refused IndexedDB (`storageError` says how): nothing is kept after the page closes. */
export interface DatabaseStats extends EngineStats, StoreStats { storage: "indexedDB" | "memory"; storageError?: string; }
export interface EngineStats { modelId: string; dims: number; chunks: number; policies: Record<string, number>; graphRows: number; exactRows: number; /** Which weights file the embedder runs: model.int8.safetensors or model.safetensors. */ weights: "int8" | "f32"; }
"#;

/// The search engine (embedder + collection), for JavaScript. The Web Worker API is
/// built on this.
#[wasm_bindgen(js_name = Engine)]
pub struct JsEngine {
    inner: Engine,
}

#[wasm_bindgen(js_class = Engine)]
impl JsEngine {
    /// Loads the model from its files' bytes and, when given, a bundle (which must have
    /// been built with the same model and dimension).
    #[wasm_bindgen(constructor)]
    pub fn new(
        weights: Vec<u8>,
        tokenizer: Vec<u8>,
        config: Vec<u8>,
        bundle: Option<Vec<u8>>,
    ) -> Result<JsEngine, JsValue> {
        let embedder = model(weights, tokenizer, config)?;
        let inner = match bundle {
            Some(bytes) => {
                let collection =
                    Collection::from_bundle_bytes(&bytes, embedder.model_id(), embedder.dims())
                        .map_err(js_error)?;
                Engine::new(embedder, collection)
            }
            None => Engine::empty(embedder),
        }
        .map_err(js_error)?;
        Ok(Self { inner })
    }

    /// The top 3 chunks of `policy` for a question: `[{id, score, distance, text, metadata, highlights}]`.
    #[wasm_bindgen(unchecked_return_type = "SearchHit[]")]
    pub fn search(&self, question: &str, policy: &str) -> Result<JsValue, JsValue> {
        hits_to_js(&self.inner.search(question, policy).map_err(js_error)?)
    }

    /// `{question | vector, k?, where?, mode?}` → hits.
    #[wasm_bindgen(unchecked_return_type = "SearchHit[]")]
    pub fn query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Query")] query: JsValue,
    ) -> Result<JsValue, JsValue> {
        let query: Query = from_js(query, "query")?;
        hits_to_js(&self.inner.query(&query).map_err(js_error)?)
    }

    /// Chunks, embeds and adds `[{text, policy, source?, id?, ...metadata}]`, all or nothing.
    #[wasm_bindgen(unchecked_return_type = "IngestReport")]
    /// `onProgress(done, total)`, if given, is called after each embedded batch of chunks.
    pub fn ingest(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "IngestDoc[]")] docs: JsValue,
        on_progress: Option<js_sys::Function>,
    ) -> Result<JsValue, JsValue> {
        let docs: Vec<IngestDoc> = from_js(docs, "documents")?;
        let mut progress = |done: usize, total: usize| {
            if let Some(f) = &on_progress {
                // A throwing progress callback must not abort the ingest half-way.
                let _ = f.call2(&JsValue::NULL, &done.into(), &total.into());
            }
        };
        to_js(
            &self
                .inner
                .ingest_with_progress(&docs, &mut progress)
                .map_err(js_error)?,
        )
    }

    /// Deletes chunks by id (or every chunk of a document id); returns how many.
    pub fn delete(&mut self, ids: Vec<String>) -> usize {
        self.inner.collection_mut().delete(&ids)
    }

    /// `{modelId, dims, chunks, policies: {policy: count}, graphRows, exactRows}`.
    #[wasm_bindgen(unchecked_return_type = "EngineStats")]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        to_js(&engine_stats(&self.inner))
    }
}

fn model(weights: Vec<u8>, tokenizer: Vec<u8>, config: Vec<u8>) -> Result<Embedder, JsValue> {
    Embedder::from_files(ModelFiles {
        weights,
        tokenizer,
        config,
    })
    .map_err(js_error)
}

fn engine_stats(engine: &Engine) -> serde_json::Value {
    let c = engine.collection();
    let (graph_rows, exact_rows) = c.segment_sizes();
    serde_json::json!({
        "modelId": c.model_id(),
        "dims": c.dims(),
        "chunks": c.len(),
        "policies": c.counts_by_policy(),
        "graphRows": graph_rows,
        "exactRows": exact_rows,
        "weights": engine.embedder().precision().as_str(),
    })
}

/// The database, or why it is not there: an async operation has it out (it is never
/// borrowed across an await), or `close()` dropped it.
enum Slot {
    Ready(Box<Database<BrowserStore>>),
    Busy,
    Closed,
}

type Shared = Rc<RefCell<Slot>>;

/// Takes the database out for an async operation; others get `BUSY` meanwhile.
fn take(inner: &Shared) -> Result<Database<BrowserStore>, JsValue> {
    let mut slot = inner.borrow_mut();
    match std::mem::replace(&mut *slot, Slot::Busy) {
        Slot::Ready(db) => Ok(*db),
        Slot::Busy => Err(busy()),
        Slot::Closed => {
            *slot = Slot::Closed;
            Err(closed())
        }
    }
}

/// Puts the database back, unless `close()` was called meanwhile.
fn put_back(inner: &Shared, db: Database<BrowserStore>) {
    let mut slot = inner.borrow_mut();
    if !matches!(*slot, Slot::Closed) {
        *slot = Slot::Ready(Box::new(db));
    }
}

/// A persistent engine: the collection lives in IndexedDB and survives reloads. Every
/// change is committed to storage before it becomes searchable; a failure changes
/// neither. One operation at a time (the worker queues them); overlapping calls get a
/// `BUSY` error rather than interleaving.
#[wasm_bindgen(js_name = Database)]
pub struct JsDatabase {
    inner: Shared,
}

fn busy() -> JsValue {
    let js = js_sys::Error::new("another database operation is still running");
    js.set_name("BenefindError");
    let _ = Reflect::set(&js, &"code".into(), &"BUSY".into());
    js.into()
}

fn closed() -> JsValue {
    js_error(Error::DatabaseClosed("close() was called".into()))
}

#[wasm_bindgen(js_class = Database)]
impl JsDatabase {
    /// Opens the IndexedDB database `name` with the model's file bytes. `bundle`, if
    /// given, is the current bundle file: imported on first use, replacing the stored
    /// one when its bytes differ (ingested documents are kept). Without it the stored
    /// bundle is used, so a reload works offline.
    pub async fn open(
        name: String,
        weights: Vec<u8>,
        tokenizer: Vec<u8>,
        config: Vec<u8>,
        bundle: Option<Vec<u8>>,
    ) -> Result<JsDatabase, JsValue> {
        let embedder = model(weights, tokenizer, config)?;
        // A browser that refuses IndexedDB (private window, storage off) still gets a
        // working database, in memory; stats() says so.
        let store = BrowserStore::open(&name).await;
        let db = Database::open(store, embedder, bundle)
            .await
            .map_err(js_error)?;
        Ok(Self {
            inner: Rc::new(RefCell::new(Slot::Ready(Box::new(db)))),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Database<BrowserStore>) -> Result<T, JsValue>,
    ) -> Result<T, JsValue> {
        match &*self.inner.borrow() {
            Slot::Ready(db) => f(db),
            Slot::Busy => Err(busy()),
            Slot::Closed => Err(closed()),
        }
    }

    /// The top 3 chunks of `policy` for a question.
    #[wasm_bindgen(unchecked_return_type = "SearchHit[]")]
    pub fn search(&self, question: &str, policy: &str) -> Result<JsValue, JsValue> {
        self.with(|db| hits_to_js(&db.engine().search(question, policy).map_err(js_error)?))
    }

    /// `{question | vector, k?, where?, mode?}` → hits.
    #[wasm_bindgen(unchecked_return_type = "SearchHit[]")]
    pub fn query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Query")] query: JsValue,
    ) -> Result<JsValue, JsValue> {
        let query: Query = from_js(query, "query")?;
        self.with(|db| hits_to_js(&db.engine().query(&query).map_err(js_error)?))
    }

    /// Chunks, embeds, stores and indexes documents, all or nothing. A document without
    /// `id` gets a stable `doc-…` id. `onProgress(done, total)` after each batch.
    #[wasm_bindgen(unchecked_return_type = "Promise<IngestReport>")]
    pub fn ingest(
        &self,
        #[wasm_bindgen(unchecked_param_type = "IngestDoc[]")] docs: JsValue,
        on_progress: Option<js_sys::Function>,
    ) -> Promise {
        let inner = self.inner.clone();
        let docs: Result<Vec<IngestDoc>, JsValue> = from_js(docs, "documents");
        future_to_promise(async move {
            let docs = docs?;
            let mut db = take(&inner)?;
            let mut progress = progress_callback(on_progress);
            let report = db.ingest(&docs, &mut progress).await;
            put_back(&inner, db);
            to_js(&report.map_err(js_error)?)
        })
    }

    /// Deletes chunks or whole documents by id; resolves to how many chunks.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn delete(&self, ids: Vec<String>) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let mut db = take(&inner)?;
            let n = db.delete(&ids).await;
            put_back(&inner, db);
            Ok(JsValue::from(n.map_err(js_error)?))
        })
    }

    /// Deletes everything stored and searchable.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn clear(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let mut db = take(&inner)?;
            let cleared = db.clear().await;
            put_back(&inner, db);
            cleared.map_err(js_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Reads the stored state again (another tab changed it), keeping the loaded model.
    #[wasm_bindgen(unchecked_return_type = "Promise<OpenReport>")]
    pub fn reload(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            // On failure the model goes with the old state: the database is closed.
            let db = take(&inner)?.reload().await.map_err(|e| {
                *inner.borrow_mut() = Slot::Closed;
                js_error(e)
            })?;
            let report = to_js(&db.store_stats().open);
            put_back(&inner, db);
            report
        })
    }

    /// Documents the member added: `[{id, policy, source, chunks}]`.
    #[wasm_bindgen(unchecked_return_type = "AddedDocument[]")]
    pub fn documents(&self) -> Result<JsValue, JsValue> {
        self.with(|db| to_js(&db.documents()))
    }

    /// Engine and storage figures together.
    #[wasm_bindgen(unchecked_return_type = "DatabaseStats")]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        self.with(|db| {
            let mut stats = engine_stats(db.engine());
            let store = serde_json::to_value(db.store_stats()).unwrap_or_default();
            if let (Some(a), serde_json::Value::Object(b)) = (stats.as_object_mut(), store) {
                a.extend(b);
                let reason = db.store().memory_reason();
                let kind = if reason.is_some() { "memory" } else { "indexedDB" };
                a.insert("storage".into(), kind.into());
                if let Some(reason) = reason {
                    a.insert("storageError".into(), reason.into());
                }
            }
            to_js(&stats)
        })
    }

    /// Drops the database connection and the model; later calls fail with `DB_CLOSED`.
    pub fn close(&self) {
        *self.inner.borrow_mut() = Slot::Closed;
    }
}

/// Calls `onProgress(done, total)` when given; a throwing callback must not abort the
/// work half-way, so its exceptions are dropped.
fn progress_callback(on_progress: Option<js_sys::Function>) -> impl FnMut(usize, usize) {
    move |done, total| {
        if let Some(f) = &on_progress {
            let _ = f.call2(&JsValue::NULL, &done.into(), &total.into());
        }
    }
}

/// The proxy, reached with the global `fetch` (window or worker).
struct FetchTransport {
    base: String,
    token: String,
}

impl FetchTransport {
    async fn send(&self, path: &str, body: String) -> Result<(u16, String), JsValue> {
        let global = js_sys::global();
        let fetch: js_sys::Function = Reflect::get(&global, &"fetch".into())?.dyn_into()?;
        let headers = js_sys::Object::new();
        Reflect::set(
            &headers,
            &"authorization".into(),
            &format!("Bearer {}", self.token).into(),
        )?;
        Reflect::set(&headers, &"content-type".into(), &"application/json".into())?;
        let init = js_sys::Object::new();
        Reflect::set(&init, &"method".into(), &"POST".into())?;
        Reflect::set(&init, &"headers".into(), &headers)?;
        Reflect::set(&init, &"body".into(), &body.into())?;
        let url = format!("{}{path}", self.base);
        let response = wasm_bindgen_futures::JsFuture::from(Promise::from(fetch.call2(
            &global,
            &url.into(),
            &init,
        )?))
        .await?;
        let status = Reflect::get(&response, &"status".into())?
            .as_f64()
            .unwrap_or(0.0) as u16;
        let text_fn: js_sys::Function = Reflect::get(&response, &"text".into())?.dyn_into()?;
        let text = wasm_bindgen_futures::JsFuture::from(Promise::from(text_fn.call0(&response)?))
            .await?
            .as_string()
            .unwrap_or_default();
        Ok((status, text))
    }
}

impl crate::cloud::Transport for FetchTransport {
    async fn post(&self, path: &str, body: String) -> crate::Result<(u16, String)> {
        self.send(path, body).await.map_err(|e| {
            let what = Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| format!("{e:?}"));
            Error::Network(format!("{}: {what}", self.base))
        })
    }
}

/// The cloud backend: the same search API over benefind-proxy (Titan V2 + S3 Vectors).
#[wasm_bindgen(js_name = CloudIndex)]
pub struct JsCloudIndex {
    client: Rc<crate::cloud::CloudClient<FetchTransport>>,
    tokens: Option<Rc<crate::TokenLength>>,
}

#[wasm_bindgen(js_class = CloudIndex)]
impl JsCloudIndex {
    /// `proxyUrl` (origin), bearer `token`; `tokenizer` (tokenizer.json bytes) is needed
    /// only to chunk documents for `ingest`; `expectModel`/`expectDims` pin the index's
    /// embedding model (answers from another fail with MODEL_MISMATCH/DIMENSION_MISMATCH).
    #[wasm_bindgen(constructor)]
    pub fn new(
        proxy_url: String,
        token: String,
        tokenizer: Option<Vec<u8>>,
        expect_model: Option<String>,
        expect_dims: Option<usize>,
    ) -> Result<JsCloudIndex, JsValue> {
        if !(proxy_url.starts_with("https://") || proxy_url.starts_with("http://")) {
            return Err(js_error(Error::InvalidInput(format!(
                "proxyUrl {proxy_url:?} is not an http(s) URL"
            ))));
        }
        let expected = match (expect_model, expect_dims) {
            (Some(model), Some(dims)) => Some(crate::cloud::Contract { model, dims }),
            (None, None) => None,
            _ => {
                return Err(js_error(Error::InvalidInput(
                    "give both expectModel and expectDims, or neither".into(),
                )))
            }
        };
        let tokens = tokenizer
            .map(|t| crate::TokenLength::from_bytes(&t).map(Rc::new))
            .transpose()
            .map_err(js_error)?;
        let transport = FetchTransport {
            base: proxy_url.trim_end_matches('/').to_string(),
            token,
        };
        Ok(Self {
            client: Rc::new(crate::cloud::CloudClient::new(transport, expected)),
            tokens,
        })
    }

    /// The top 3 chunks of `policy` for a question.
    #[wasm_bindgen(unchecked_return_type = "Promise<SearchHit[]>")]
    pub fn search(&self, question: String, policy: String) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            hits_to_js(&client.search(&question, &policy).await.map_err(js_error)?)
        })
    }

    /// `{question | vector, k?, where?}` → hits (vector search; no keyword channel).
    #[wasm_bindgen(unchecked_return_type = "Promise<SearchHit[]>")]
    pub fn query(&self, #[wasm_bindgen(unchecked_param_type = "Query")] query: JsValue) -> Promise {
        let client = self.client.clone();
        let query: Result<Query, JsValue> = from_js(query, "query");
        future_to_promise(
            async move { hits_to_js(&client.query(&query?).await.map_err(js_error)?) },
        )
    }

    /// Chunks documents (as the local engine does; a document without `id` gets a stable
    /// `doc-…` id) and upserts the chunks, which the proxy embeds. Resolves to an
    /// IngestReport (`replaced` is 0: S3 Vectors does not say which keys existed).
    /// Re-sending the same documents overwrites, never duplicates.
    #[wasm_bindgen(unchecked_return_type = "Promise<IngestReport>")]
    pub fn ingest(
        &self,
        #[wasm_bindgen(unchecked_param_type = "IngestDoc[]")] docs: JsValue,
        on_progress: Option<js_sys::Function>,
    ) -> Promise {
        let client = self.client.clone();
        let tokens = self.tokens.clone();
        let docs: Result<Vec<IngestDoc>, JsValue> = from_js(docs, "documents");
        future_to_promise(async move {
            let tokens = tokens.ok_or_else(|| {
                js_error(Error::InvalidInput(
                    "cloud ingest chunks documents with the model's tokenizer: open with model: {baseUrl}".into(),
                ))
            })?;
            let mut docs = docs?;
            for d in &mut docs {
                if d.id.is_none() {
                    d.id = Some(crate::store::document_id(d.policy.trim(), &d.text));
                    d.source.get_or_insert_with(|| "added document".into());
                }
            }
            let records = crate::chunk_docs(
                &docs,
                tokens.as_ref(),
                &crate::ChunkOptions::default(),
                &mut |_| 0,
            )
            .map_err(js_error)?;
            let mut progress = progress_callback(on_progress);
            let n = client
                .upsert(&records, &mut progress)
                .await
                .map_err(js_error)?;
            let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
            to_js(&serde_json::json!({ "chunks": n, "replaced": 0, "ids": ids }))
        })
    }

    /// Deletes chunks by key; resolves to how many keys were sent.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn delete(&self, keys: Vec<String>) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            Ok(JsValue::from(client.delete(&keys).await.map_err(js_error)?))
        })
    }

    /// `{model, dims}` of the index once an answer named them (or as pinned), else null.
    #[wasm_bindgen(getter, unchecked_return_type = "{model: string, dims: number} | null")]
    pub fn contract(&self) -> Result<JsValue, JsValue> {
        match self.client.contract() {
            Some(c) => to_js(&serde_json::json!({"model": c.model, "dims": c.dims})),
            None => Ok(JsValue::NULL),
        }
    }
}
