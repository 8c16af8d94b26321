//! The IndexedDB backend (browser only), with `rexie`.
//!
//! Object stores, all with out-of-line keys and `Uint8Array` values:
//! `meta` (`"identity"` → identity JSON), `bundle` (`"base/00000"`, `"base/00001"`, … →
//! the bundle file in parts of [`PART_BYTES`]: Chromium refuses values over 128 MiB),
//! `chunks` (chunk id → encoded chunk), `tombstones` (base chunk id → `1`).
//!
//! When the browser denies IndexedDB (a private window that allows none, storage turned
//! off, an opaque origin), [`BrowserStore::open`] falls back to a [`MemoryStore`]: search
//! and ingest keep working for the page's lifetime, and the reason is reported so the page
//! can tell the member that nothing will be remembered.
//!
//! [`waiting_on`] names the IndexedDB request or event this thread is waiting for, so
//! that a worker can say where an operation is stuck (a browser that never completes a
//! request or a transaction would otherwise leave no trace).
//!
//! Schema changes: the database is opened at its current version; if any of these
//! stores is missing (a new database, an older layout, or a database someone else
//! wrote), it is reopened at the next version, which creates the missing stores and
//! drops unknown ones. Other connections (other tabs) close themselves when that
//! happens (`versionchange`); their next operation reports `DB_CLOSED`.

use std::cell::Cell;
use std::future::Future;

use js_sys::Uint8Array;
use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};

use super::{Commit, MemoryStore, Snapshot, Store};
use crate::error::{Error, Result};

const META: &str = "meta";
const BUNDLE: &str = "bundle";
const CHUNKS: &str = "chunks";
const TOMBSTONES: &str = "tombstones";
const ALL: [&str; 4] = [META, BUNDLE, CHUNKS, TOMBSTONES];
const IDENTITY_KEY: &str = "identity";
/// Size of one stored part of the bundle file.
pub const PART_BYTES: usize = 32 << 20;

thread_local! {
    static WAITING_ON: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// The IndexedDB request or event awaited right now on this thread, if any.
pub fn waiting_on() -> Option<&'static str> {
    WAITING_ON.get()
}

/// Clears [`waiting_on`] when the wait ends, however it ends (a future dropped mid-wait
/// included).
struct Waiting;

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING_ON.set(None);
    }
}

/// Awaits `request`, named `what` for [`waiting_on`] meanwhile.
async fn wait<T>(what: &'static str, request: impl Future<Output = T>) -> T {
    WAITING_ON.set(Some(what));
    let _waiting = Waiting;
    request.await
}

fn part_key(i: usize) -> JsValue {
    format!("base/{i:05}").into()
}

/// Turns an IndexedDB failure into the error a caller can act on.
fn storage_error(context: &str, e: rexie::Error) -> Error {
    let detail = match &e {
        rexie::Error::IdbError(inner) => inner.to_string(),
        other => other.to_string(),
    };
    let message = format!("{context}: {detail}");
    if detail.contains("QuotaExceeded") || detail.contains("quota") {
        Error::QuotaExceeded(message)
    } else if detail.contains("InvalidStateError") || detail.contains("clos") {
        Error::DatabaseClosed(message)
    } else {
        Error::Storage(message)
    }
}

fn bytes_of(value: &JsValue) -> Vec<u8> {
    // Anything but a Uint8Array becomes empty bytes, which fail the record's checks.
    value
        .dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .unwrap_or_default()
}

fn js_bytes(bytes: &[u8]) -> JsValue {
    Uint8Array::from(bytes).into()
}

/// A benefind database in IndexedDB.
#[derive(Debug)]
pub struct IdbStore {
    db: Rexie,
}

impl IdbStore {
    /// Opens (creating or upgrading when needed) the database called `name`.
    pub async fn open(name: &str) -> Result<Self> {
        let db = wait("opening the database", Rexie::builder(name).build())
            .await
            .map_err(|e| storage_error("opening IndexedDB", e))?;
        let names = db.store_names();
        if ALL.iter().all(|s| names.iter().any(|n| n == s)) {
            return Ok(Self { db });
        }
        let version = db.version().unwrap_or(1);
        db.close();
        let mut builder = Rexie::builder(name).version(version + 1);
        for store in ALL {
            builder = builder.add_object_store(ObjectStore::new(store));
        }
        let db = wait("upgrading the database", builder.build())
            .await
            .map_err(|e| storage_error("upgrading the IndexedDB schema", e))?;
        Ok(Self { db })
    }

    fn transaction(&self, stores: &[&str], mode: TransactionMode) -> Result<rexie::Transaction> {
        self.db
            .transaction(stores, mode)
            .map_err(|e| storage_error("starting a transaction", e))
    }
}

async fn finish(tx: rexie::Transaction, what: &str) -> Result<()> {
    match wait("the transaction's completion", tx.done()).await {
        Ok(result) if result.is_committed() => Ok(()),
        // No request failed, yet the browser aborted at commit: that is how Chromium and
        // Firefox report a full origin quota (rexie does not expose `transaction.error`
        // to tell it from a rarer disk error).
        Ok(_) => Err(Error::QuotaExceeded(format!(
            "{what}: the browser aborted the transaction at commit"
        ))),
        Err(e) => Err(storage_error(what, e)),
    }
}

impl Store for IdbStore {
    async fn load(&self) -> Result<Snapshot> {
        let err = |e| storage_error("reading the database", e);
        let tx = self.transaction(&ALL, TransactionMode::ReadOnly)?;
        let store = |name| tx.store(name).map_err(err);
        let identity = wait(
            "reading the identity",
            store(META)?.get(IDENTITY_KEY.into()),
        )
        .await
        .map_err(err)?;
        // Parts come back in key order, which is their order (zero-padded numbers).
        let parts = wait("reading the bundle", store(BUNDLE)?.get_all(None, None))
            .await
            .map_err(err)?;
        let chunks = store(CHUNKS)?;
        let keys = wait("reading the chunk ids", chunks.get_all_keys(None, None))
            .await
            .map_err(err)?;
        let values = wait("reading the chunks", chunks.get_all(None, None))
            .await
            .map_err(err)?;
        let tombstones = wait(
            "reading the tombstones",
            store(TOMBSTONES)?.get_all_keys(None, None),
        )
        .await
        .map_err(err)?;
        finish(tx, "reading the database").await?;
        Ok(Snapshot {
            identity: identity.map(|v| bytes_of(&v)),
            base: (!parts.is_empty()).then(|| parts.iter().flat_map(bytes_of).collect()),
            chunks: keys
                .iter()
                .zip(values.iter())
                .map(|(k, v)| (k.as_string().unwrap_or_default(), bytes_of(v)))
                .collect(),
            tombstones: tombstones.iter().filter_map(JsValue::as_string).collect(),
        })
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        let what = "writing to the database";
        let err = |e| storage_error(what, e);
        let tx = self.transaction(&ALL, TransactionMode::ReadWrite)?;
        let store = |name| tx.store(name).map_err(err);
        if let Some(identity) = &commit.identity {
            let meta = store(META)?;
            wait(
                "writing the identity",
                meta.put(&js_bytes(identity), Some(&IDENTITY_KEY.into())),
            )
            .await
            .map_err(err)?;
        }
        if let Some(base) = &commit.base {
            let parts = store(BUNDLE)?;
            wait("clearing the bundle", parts.clear())
                .await
                .map_err(err)?;
            let all = base
                .chunks(PART_BYTES)
                .enumerate()
                .map(|(i, part)| (js_bytes(part), Some(part_key(i))));
            wait("writing the bundle", parts.put_all(all))
                .await
                .map_err(err)?;
        }
        let tombstones = store(TOMBSTONES)?;
        if commit.clear_tombstones {
            wait("clearing the tombstones", tombstones.clear())
                .await
                .map_err(err)?;
        }
        let chunks = store(CHUNKS)?;
        for id in &commit.remove {
            wait("deleting a chunk", chunks.delete(id.into()))
                .await
                .map_err(err)?;
        }
        for update in &commit.update {
            let key = JsValue::from(update.id.as_str());
            let stored = wait("reading a chunk to update", chunks.get(key.clone()))
                .await
                .map_err(err)?;
            if update.applies_to(stored.map(|v| bytes_of(&v)).as_deref()) {
                wait(
                    "updating a chunk",
                    chunks.put(&js_bytes(&update.blob), Some(&key)),
                )
                .await
                .map_err(err)?;
            }
        }
        let put = commit
            .put
            .iter()
            .map(|(id, blob)| (js_bytes(blob), Some(JsValue::from(id))));
        wait("writing the chunks", chunks.put_all(put))
            .await
            .map_err(err)?;
        let tombstoned = commit
            .tombstone
            .iter()
            .map(|id| (JsValue::from(1), Some(JsValue::from(id))));
        wait("writing the tombstones", tombstones.put_all(tombstoned))
            .await
            .map_err(err)?;
        finish(tx, what).await
    }

    async fn clear(&self) -> Result<()> {
        let what = "clearing the database";
        let tx = self.transaction(&ALL, TransactionMode::ReadWrite)?;
        for name in ALL {
            let store = tx.store(name).map_err(|e| storage_error(what, e))?;
            wait("clearing a store", store.clear())
                .await
                .map_err(|e| storage_error(what, e))?;
        }
        finish(tx, what).await
    }
}

/// Where a browser database lives: IndexedDB, or memory when the browser refused it.
#[derive(Debug)]
pub enum BrowserStore {
    /// Kept across reloads.
    IndexedDb(IdbStore),
    /// Gone when the worker ends; `reason` is why IndexedDB could not be used.
    Memory {
        /// The data.
        store: MemoryStore,
        /// The browser's refusal, as it worded it.
        reason: String,
    },
}

impl BrowserStore {
    /// Opens IndexedDB `name`, or an empty memory store if the browser refuses IndexedDB.
    pub async fn open(name: &str) -> Self {
        match IdbStore::open(name).await {
            Ok(db) => Self::IndexedDb(db),
            Err(e) => Self::Memory {
                store: MemoryStore::new(),
                reason: e.to_string(),
            },
        }
    }

    /// Why the data is kept in memory only (None: it is in IndexedDB).
    pub fn memory_reason(&self) -> Option<&str> {
        match self {
            Self::IndexedDb(_) => None,
            Self::Memory { reason, .. } => Some(reason),
        }
    }
}

impl Store for BrowserStore {
    async fn load(&self) -> Result<Snapshot> {
        match self {
            Self::IndexedDb(s) => s.load().await,
            Self::Memory { store, .. } => store.load().await,
        }
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        match self {
            Self::IndexedDb(s) => s.commit(commit).await,
            Self::Memory { store, .. } => store.commit(commit).await,
        }
    }

    async fn clear(&self) -> Result<()> {
        match self {
            Self::IndexedDb(s) => s.clear().await,
            Self::Memory { store, .. } => store.clear().await,
        }
    }
}
