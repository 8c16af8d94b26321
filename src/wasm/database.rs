//! `Database` for JavaScript: the engine persisted in IndexedDB (or memory when the
//! browser refuses storage), one async operation at a time.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::dto::{answered_to_js, engine_stats, hits_to_js};
use super::engine::model;
use super::{from_js, js_error, to_js};
use crate::engine::ChunkedIngest;
use crate::store::idb::{self, BrowserStore};
use crate::store::{Database, PendingUnits};
use crate::{Error, ErrorCode, IngestDoc, Query};

/// Documents chunked for an ingest whose vectors are embedded elsewhere
/// (`Database.chunkForIngest`): `texts()` to embed, then `Database.ingestChunked`, which
/// takes it, so the documents are chunked once.
#[wasm_bindgen(js_name = ChunkedDocs)]
pub struct JsChunkedDocs(ChunkedIngest);

#[wasm_bindgen(js_class = ChunkedDocs)]
impl JsChunkedDocs {
    /// The texts to embed, in order.
    pub fn texts(&self) -> Vec<String> {
        self.0.texts().map(str::to_owned).collect()
    }
}

/// Ingested chunks' answer units still to embed (`Database.pendingUnits`): embed their
/// `texts()`, then give the vectors to `Database.storeUnits`, which takes it.
#[wasm_bindgen(js_name = PendingUnits)]
pub struct JsPendingUnits(PendingUnits);

#[wasm_bindgen(js_class = PendingUnits)]
impl JsPendingUnits {
    /// The units' texts, in order.
    pub fn texts(&self) -> Vec<String> {
        self.0.texts().to_vec()
    }
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
/// The IndexedDB request or event the database is waiting for right now, or `undefined`:
/// what a watchdog reports when an operation takes far too long.
#[wasm_bindgen(js_name = storageWaitingOn)]
pub fn storage_waiting_on() -> Option<String> {
    idb::waiting_on().map(Into::into)
}

#[wasm_bindgen(js_name = Database)]
pub struct JsDatabase {
    inner: Shared,
}

fn busy() -> JsValue {
    let js = js_sys::Error::new("another database operation is still running");
    js.set_name("BenefindError");
    let _ = Reflect::set(&js, &"code".into(), &ErrorCode::Busy.as_str().into());
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

    /// The top 3 chunks of `policy` for a question with the answer read from them, or
    /// `answer: null` when they do not answer it.
    #[wasm_bindgen(unchecked_return_type = "Answered")]
    pub fn ask(&self, question: &str, policy: &str) -> Result<JsValue, JsValue> {
        self.with(|db| answered_to_js(&db.engine().ask(question, policy).map_err(js_error)?))
    }

    /// [`ask`](Self::ask) for a general query (`{question, k?, where?, mode?}`).
    #[wasm_bindgen(js_name = askQuery, unchecked_return_type = "Answered")]
    pub fn ask_query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Query")] query: JsValue,
    ) -> Result<JsValue, JsValue> {
        let query: Query = from_js(query, "query")?;
        self.with(|db| answered_to_js(&db.engine().ask_query(&query).map_err(js_error)?))
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

    /// Chunks documents for an ingest, all or nothing: embed their `texts()` (here with
    /// `embed`, and in helper workers), then store them with `ingestChunked`. A document
    /// without `id` gets a stable `doc-…` id.
    #[wasm_bindgen(js_name = chunkForIngest)]
    pub fn chunk_for_ingest(
        &self,
        #[wasm_bindgen(unchecked_param_type = "IngestDoc[]")] docs: JsValue,
    ) -> Result<JsChunkedDocs, JsValue> {
        let docs: Vec<IngestDoc> = from_js(docs, "documents")?;
        self.with(|db| {
            db.chunk_for_ingest(&docs)
                .map(JsChunkedDocs)
                .map_err(js_error)
        })
    }

    /// Embeds texts with this database's embedder: one flat `Float32Array`.
    pub fn embed(&self, texts: Vec<String>) -> Result<Float32Array, JsValue> {
        self.with(|db| {
            let vectors = db.engine().embedder().embed(&texts).map_err(js_error)?;
            let flat: Vec<f32> = vectors.into_iter().flatten().collect();
            Ok(Float32Array::from(flat.as_slice()))
        })
    }

    /// Stores and indexes chunked documents with the vectors of their `texts()` (flat,
    /// in order), all or nothing, checked as if embedded here. Takes `chunked` (it cannot
    /// be used again).
    #[wasm_bindgen(js_name = ingestChunked, unchecked_return_type = "Promise<IngestReport>")]
    pub fn ingest_chunked(&self, chunked: JsChunkedDocs, vectors: Vec<f32>) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let mut db = take(&inner)?;
            let report = db.ingest_chunked(chunked.0, vectors).await;
            put_back(&inner, db);
            to_js(&report.map_err(js_error)?)
        })
    }

    /// The next ingested chunks whose answer units (sentences, list items, table lines)
    /// have no stored vectors, as many whole chunks as fit in `maxTexts` texts; undefined
    /// when none are left (`stats().unitsPending`). Ingest embeds the passages only, so
    /// a document is searchable sooner; the worker embeds these afterwards, when idle,
    /// and stores them with `storeUnits`, so that answering never embeds them.
    #[wasm_bindgen(js_name = pendingUnits)]
    pub fn pending_units(&self, max_texts: usize) -> Result<Option<JsPendingUnits>, JsValue> {
        self.with(|db| Ok(db.pending_units(max_texts).map(JsPendingUnits)))
    }

    /// Stores the vectors of `pending`'s texts (flat, in order) with their chunks, in one
    /// transaction; resolves to how many chunks got them (a chunk deleted or replaced
    /// meanwhile, here or in another tab, is left as it is). Takes `pending`.
    #[wasm_bindgen(js_name = storeUnits, unchecked_return_type = "Promise<number>")]
    pub fn store_units(&self, pending: JsPendingUnits, vectors: Vec<f32>) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let mut db = take(&inner)?;
            let stored = db.store_units(pending.0, vectors).await;
            put_back(&inner, db);
            Ok(JsValue::from(stored.map_err(js_error)?))
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
                let kind = if reason.is_some() {
                    "memory"
                } else {
                    "indexedDB"
                };
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
