//! Persistence: what a database stores, how every stored record is checked, and how a
//! database is opened, changed and cleared — over any [`Store`] backend (IndexedDB in
//! the browser, [`MemoryStore`] natively and in tests).
//!
//! # What is stored
//!
//! - **identity**: JSON `{format, modelId, dims, bundle: {fingerprint, bytes} | null}`.
//!   Every open checks it against the embedder: vectors of another model or dimension
//!   are never mixed in (a clear error names both).
//! - **base**: the bundle file's bytes exactly as fetched, graphs included, so a reopen
//!   neither re-embeds nor rebuilds an HNSW graph.
//! - **chunks** (the journal): each chunk ingested after the bundle, one record per id,
//!   encoded by [`encode_chunk`] (magic, CRC-32, postcard body with its vector).
//! - **tombstones**: ids of base chunks deleted or replaced by an ingest.
//!
//! Opening loads the base, deletes the tombstoned ids and adds the journal's chunks to
//! the exact-scan delta segment. Every change is one [`Commit`], which a backend applies
//! atomically (one IndexedDB transaction); memory changes only after the commit
//! succeeded, so a failure leaves both the stored and the searchable state as they were.

#[cfg(target_arch = "wasm32")]
pub mod idb;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::bundle::Record;
use crate::embed::Embedder;
use crate::engine::{ChunkedIngest, Collection, Engine, IngestDoc, IngestReport, PreparedIngest};
use crate::error::{Error, Result};

/// The stored layout's version; bumped when the meaning of stored records changes.
pub const FORMAT: u32 = 1;
/// Magic prefix of an encoded chunk record.
const CHUNK_MAGIC: &[u8; 4] = b"BFC1";

/// Which model (and which base bundle) the stored vectors belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Identity {
    /// [`FORMAT`] of the writer.
    pub format: u32,
    /// The embedding model's id.
    pub model_id: String,
    /// The vectors' dimension.
    pub dims: usize,
    /// The stored base bundle, if any.
    pub bundle: Option<BundleStamp>,
}

/// Names a base bundle's exact bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleStamp {
    /// See [`fingerprint`].
    pub fingerprint: String,
    /// Its length in bytes.
    pub bytes: usize,
}

/// CRC-32 and length of a bundle's bytes: a new version of the bundle file (any changed
/// byte) gets a new fingerprint.
pub fn fingerprint(bytes: &[u8]) -> String {
    format!("{:08x}-{}", crc32fast::hash(bytes), bytes.len())
}

#[derive(Serialize, Deserialize)]
struct ChunkBody {
    id: String,
    text: String,
    /// JSON text: postcard cannot carry serde_json values.
    metadata: String,
    vector: Vec<f32>,
}

/// One chunk with its vector as stored: `BFC1`, CRC-32 (LE) of the rest, postcard body.
pub fn encode_chunk(record: &Record, vector: &[f32]) -> Vec<u8> {
    let body = ChunkBody {
        id: record.id.clone(),
        text: record.text.clone(),
        metadata: Value::Object(record.metadata.clone()).to_string(),
        vector: vector.to_vec(),
    };
    // Serialising plain strings and floats into a Vec cannot fail.
    let payload = postcard::to_allocvec(&body).unwrap_or_default();
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(CHUNK_MAGIC);
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Reads a stored chunk back, checking magic, checksum, that it is stored under its own
/// id, its dimension and that its vector is finite.
pub fn decode_chunk(key: &str, bytes: &[u8], dims: usize) -> Result<(Record, Vec<f32>)> {
    let bad = |why: String| Error::StoreCorrupt(format!("chunk {key:?}: {why}"));
    if bytes.len() < 8 || &bytes[..4] != CHUNK_MAGIC {
        return Err(bad("not a benefind chunk record (wrong magic)".into()));
    }
    let stored = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    let payload = &bytes[8..];
    let actual = crc32fast::hash(payload);
    if stored != actual {
        return Err(bad(format!(
            "checksum mismatch (stored {stored:08x}, computed {actual:08x})"
        )));
    }
    let body: ChunkBody =
        postcard::from_bytes(payload).map_err(|e| bad(format!("undecodable: {e}")))?;
    if body.id != key {
        return Err(bad(format!("holds chunk {:?}", body.id)));
    }
    if body.vector.len() != dims {
        return Err(bad(format!(
            "vector has {} dimensions, the database has {dims}",
            body.vector.len()
        )));
    }
    if body.vector.iter().any(|x| !x.is_finite()) {
        return Err(bad("vector has a non-finite value".into()));
    }
    let metadata: Map<String, Value> =
        serde_json::from_str(&body.metadata).map_err(|e| bad(format!("metadata: {e}")))?;
    Ok((
        Record {
            id: body.id,
            text: body.text,
            metadata,
        },
        body.vector,
    ))
}

/// Everything a store holds, as read at open.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The identity record's bytes (JSON), if any.
    pub identity: Option<Vec<u8>>,
    /// The base bundle's bytes, if any.
    pub base: Option<Vec<u8>>,
    /// Journal records: id → encoded chunk.
    pub chunks: BTreeMap<String, Vec<u8>>,
    /// Tombstoned base ids.
    pub tombstones: BTreeSet<String>,
}

/// One atomic change to a store.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    /// Replaces the identity record.
    pub identity: Option<Vec<u8>>,
    /// Replaces the base bundle.
    pub base: Option<Vec<u8>>,
    /// Drops every tombstone first (a new base has none of the old ids' meaning).
    pub clear_tombstones: bool,
    /// Journal records to write (id → encoded chunk).
    pub put: Vec<(String, Vec<u8>)>,
    /// Journal records to remove.
    pub remove: Vec<String>,
    /// Base ids to tombstone.
    pub tombstone: Vec<String>,
}

impl Commit {
    /// The bytes this commit writes (for reporting storage use).
    pub fn bytes(&self) -> usize {
        self.identity.as_ref().map_or(0, Vec::len)
            + self.base.as_ref().map_or(0, Vec::len)
            + self
                .put
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }
}

/// A persistent backend. Implementations apply each [`Commit`] atomically: all of it or,
/// on error, none of it.
///
/// The futures are not `Send`: the browser backend lives on one thread (a Web Worker).
#[allow(async_fn_in_trait)]
pub trait Store {
    /// Reads everything stored.
    async fn load(&self) -> Result<Snapshot>;
    /// Applies one change atomically.
    async fn commit(&self, commit: Commit) -> Result<()>;
    /// Deletes everything stored.
    async fn clear(&self) -> Result<()>;
}

/// A store in memory: the native and test backend. Clones share the same data (a clone
/// stands for the same database opened again). With the `testing` feature,
/// `fail_commits` makes commits fail, as a full disk or a closed tab would.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    data: Rc<RefCell<Snapshot>>,
    failing: Rc<RefCell<Option<String>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// From now on every commit fails with a quota error naming `why` (None: succeed).
    #[cfg(any(test, feature = "testing"))]
    pub fn fail_commits(&self, why: Option<&str>) {
        *self.failing.borrow_mut() = why.map(str::to_string);
    }

    /// Direct access to the stored data (to inspect it, or corrupt it in tests).
    pub fn data(&self) -> std::cell::RefMut<'_, Snapshot> {
        self.data.borrow_mut()
    }
}

impl Store for MemoryStore {
    async fn load(&self) -> Result<Snapshot> {
        Ok(self.data.borrow().clone())
    }

    async fn commit(&self, commit: Commit) -> Result<()> {
        if let Some(why) = self.failing.borrow().as_ref() {
            return Err(Error::QuotaExceeded(why.clone()));
        }
        let mut data = self.data.borrow_mut();
        if let Some(identity) = commit.identity {
            data.identity = Some(identity);
        }
        if let Some(base) = commit.base {
            data.base = Some(base);
        }
        if commit.clear_tombstones {
            data.tombstones.clear();
        }
        for id in commit.remove {
            data.chunks.remove(&id);
        }
        data.chunks.extend(commit.put);
        data.tombstones.extend(commit.tombstone);
        Ok(())
    }

    async fn clear(&self) -> Result<()> {
        *self.data.borrow_mut() = Snapshot::default();
        Ok(())
    }
}

/// Where the searchable base came from at open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BaseSource {
    /// No bundle: only ingested documents.
    None,
    /// The stored bundle (the fetched one, if any, was the same bytes).
    Stored,
    /// A bundle fetched for the first time, now stored.
    Imported,
    /// A fetched bundle that differs from the stored one replaced it; ingested
    /// documents were kept.
    Updated,
}

/// What opening a database found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenReport {
    /// Where the base came from.
    pub base: BaseSource,
    /// Ingested chunks restored from the journal (not re-embedded).
    pub restored: usize,
    /// Stored records that failed their checks and were left out (ids, or "bundle");
    /// `clear()` removes them.
    pub corrupt: Vec<String>,
}

/// A document added by the member (chunks grouped by `doc_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddedDocument {
    /// The document id (pass it to `delete` to remove all its chunks).
    pub id: String,
    /// Its policy.
    pub policy: String,
    /// Its source (file name or label).
    pub source: String,
    /// How many chunks it has.
    pub chunks: usize,
}

/// Storage figures for `stats()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreStats {
    /// Bytes of the stored records (identity, base bundle, journal).
    pub stored_bytes: usize,
    /// Chunks stored in the journal.
    pub journal_chunks: usize,
    /// Tombstoned base ids.
    pub tombstones: usize,
    /// Texts the embedder has run since open (a reload restores vectors: this stays
    /// at the number of questions asked).
    pub texts_embedded: u64,
    /// What the open found.
    pub open: OpenReport,
}

/// An [`Engine`] whose collection lives in a [`Store`].
pub struct Database<S: Store> {
    store: S,
    engine: Engine,
    /// Journal ids → their encoded size.
    journal: BTreeMap<String, usize>,
    tombstones: BTreeSet<String>,
    base: Option<BundleStamp>,
    corrupt: BTreeSet<String>,
    identity_bytes: usize,
    report: OpenReport,
}

impl<S: Store> std::fmt::Debug for Database<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("engine", &self.engine)
            .field("journal", &self.journal.len())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// The identity of data written now for `embedder`, with base bundle `bundle`.
    fn of(embedder: &Embedder, bundle: Option<BundleStamp>) -> Self {
        Self {
            format: FORMAT,
            model_id: embedder.model_id().to_string(),
            dims: embedder.dims(),
            bundle,
        }
    }
}

/// Reads and checks the identity record against the embedder.
fn check_identity(bytes: &[u8], embedder: &Embedder) -> Result<Identity> {
    let identity: Identity = serde_json::from_slice(bytes)
        .map_err(|e| Error::StoreCorrupt(format!("identity record: {e}")))?;
    if identity.format > FORMAT {
        return Err(Error::StoreCorrupt(format!(
            "the data was written by a newer benefind (format {} > {FORMAT}); reload the page to get the new version",
            identity.format
        )));
    }
    if identity.model_id != embedder.model_id() {
        return Err(Error::StoredModelMismatch {
            stored: identity.model_id,
            model: embedder.model_id().to_string(),
        });
    }
    if identity.dims != embedder.dims() {
        return Err(Error::DimensionMismatch {
            context: "the stored database".into(),
            expected: embedder.dims(),
            got: identity.dims,
            model: embedder.model_id().to_string(),
        });
    }
    Ok(identity)
}

fn empty_collection(embedder: &Embedder) -> Result<Collection> {
    Collection::build(
        embedder.model_id(),
        embedder.dims(),
        Vec::new(),
        Vec::new(),
        crate::index::IndexParams::default(),
    )
}

/// The id given to an ingested document that has none: stable for the same text and
/// `docs` with an id each: a document without one gets [`document_id`] (and a source).
fn with_ids(docs: &[IngestDoc]) -> Vec<IngestDoc> {
    docs.iter()
        .map(|d| {
            let mut d = d.clone();
            if d.id.is_none() {
                d.id = Some(document_id(d.policy.trim(), &d.content()));
                d.source.get_or_insert_with(|| "added document".into());
            }
            d
        })
        .collect()
}

/// policy, so adding a document twice replaces it instead of duplicating it.
pub fn document_id(policy: &str, text: &str) -> String {
    let mut h = crc32fast::Hasher::new();
    h.update(policy.as_bytes());
    h.update(&[0]);
    h.update(text.as_bytes());
    format!("doc-{:08x}", h.finalize())
}

/// The base collection to open with, its stamp and where it came from. A bundle passed
/// in replaces a stored one whose bytes differ (recorded in `commit`); without one the
/// stored bundle is used, and a stored bundle that no longer decodes or matches its
/// stamp is set aside (recorded in `corrupt`) so that ingested documents stay searchable.
fn choose_base(
    bundle: Option<Vec<u8>>,
    snapshot: &Snapshot,
    stored_stamp: Option<BundleStamp>,
    embedder: &Embedder,
    commit: &mut Commit,
    corrupt: &mut BTreeSet<String>,
) -> Result<(Collection, Option<BundleStamp>, BaseSource)> {
    Ok(match bundle {
        Some(bytes) => {
            let stamp = BundleStamp {
                fingerprint: fingerprint(&bytes),
                bytes: bytes.len(),
            };
            let collection =
                Collection::from_bundle_bytes(&bytes, embedder.model_id(), embedder.dims())?;
            let same = stored_stamp.as_ref() == Some(&stamp) && snapshot.base.is_some();
            let source = if same {
                BaseSource::Stored
            } else {
                commit.clear_tombstones = stored_stamp.is_some();
                commit.base = Some(bytes);
                if stored_stamp.is_some() {
                    BaseSource::Updated
                } else {
                    BaseSource::Imported
                }
            };
            (collection, Some(stamp), source)
        }
        None => match (&snapshot.base, &stored_stamp) {
            (Some(bytes), Some(stamp)) => {
                match Collection::from_bundle_bytes(bytes, embedder.model_id(), embedder.dims()) {
                    Ok(c) if fingerprint(bytes) == stamp.fingerprint => {
                        (c, Some(stamp.clone()), BaseSource::Stored)
                    }
                    _ => {
                        // Keep the member's own documents searchable; the bundle comes
                        // back with the next open that passes its URL.
                        corrupt.insert("bundle".to_string());
                        (empty_collection(embedder)?, None, BaseSource::None)
                    }
                }
            }
            _ => (empty_collection(embedder)?, None, BaseSource::None),
        },
    })
}

/// Decodes the journal's chunks: their records, vectors (row-major) and journal sizes.
/// A chunk that fails to decode is named in `corrupt` and left out.
fn restore_chunks(
    chunks: &BTreeMap<String, Vec<u8>>,
    dims: usize,
    corrupt: &mut BTreeSet<String>,
) -> (Vec<Record>, Vec<f32>, BTreeMap<String, usize>) {
    let mut journal = BTreeMap::new();
    let mut records = Vec::new();
    let mut vectors = Vec::new();
    for (key, blob) in chunks {
        match decode_chunk(key, blob, dims) {
            Ok((record, vector)) => {
                records.push(record);
                vectors.extend_from_slice(&vector);
                journal.insert(key.clone(), key.len() + blob.len());
            }
            Err(_) => {
                corrupt.insert(key.clone());
            }
        }
    }
    (records, vectors, journal)
}

impl<S: Store> Database<S> {
    /// Opens the database in `store` for `embedder`. `bundle`, if given, is the current
    /// base bundle file (e.g. just fetched): stored once, and replacing the stored base
    /// when its bytes differ (ingested documents are kept). Without it, the stored base
    /// is used. A bundle that fails validation is an error and nothing is written.
    pub async fn open(store: S, embedder: Embedder, bundle: Option<Vec<u8>>) -> Result<Self> {
        let snapshot = store.load().await?;
        let stored = snapshot
            .identity
            .as_deref()
            .map(|b| check_identity(b, &embedder))
            .transpose()?;
        let stored_stamp = stored.as_ref().and_then(|i| i.bundle.clone());
        let mut corrupt = BTreeSet::new();
        let mut commit = Commit::default();

        let (collection, base, source) = choose_base(
            bundle,
            &snapshot,
            stored_stamp,
            &embedder,
            &mut commit,
            &mut corrupt,
        )?;
        let identity = Identity::of(&embedder, base.clone());
        let identity_json = serde_json::to_vec(&identity).unwrap_or_default();
        if stored.as_ref() != Some(&identity) {
            commit.identity = Some(identity_json.clone());
        }
        let tombstones = if commit.clear_tombstones {
            BTreeSet::new()
        } else {
            snapshot.tombstones.clone()
        };
        if commit.identity.is_some() || commit.base.is_some() {
            store.commit(commit).await?;
        }

        let mut engine = Engine::new(embedder, collection)?;
        let dims = engine.embedder().dims();
        let ids: Vec<String> = tombstones.iter().cloned().collect();
        engine.collection_mut().delete(&ids);
        let (records, vectors, journal) = restore_chunks(&snapshot.chunks, dims, &mut corrupt);
        let restored = records.len();
        engine.collection_mut().upsert(records, vectors)?;
        Ok(Self {
            store,
            engine,
            journal,
            tombstones,
            base,
            report: OpenReport {
                base: source,
                restored,
                corrupt: corrupt.iter().cloned().collect(),
            },
            corrupt,
            identity_bytes: identity_json.len(),
        })
    }

    /// The engine (search, query, stats).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Chunks, embeds, stores and indexes documents; all or nothing. A document without
    /// an id gets [`document_id`], so it can be listed and deleted as a whole.
    pub async fn ingest(
        &mut self,
        docs: &[IngestDoc],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<IngestReport> {
        let prepared = self.engine.prepare_ingest(&with_ids(docs), progress)?;
        self.commit_ingest(prepared).await
    }

    /// `docs` chunked as [`ingest`](Self::ingest) would chunk them: embed their
    /// [`texts`](ChunkedIngest::texts) elsewhere (several workers) and pass the vectors to
    /// [`ingest_chunked`](Self::ingest_chunked).
    pub fn chunk_for_ingest(&self, docs: &[IngestDoc]) -> Result<ChunkedIngest> {
        self.engine.chunk_for_ingest(&with_ids(docs))
    }

    /// [`ingest`](Self::ingest) with the vectors of `chunked`'s texts (flat, in order);
    /// all or nothing, checked as if embedded here.
    pub async fn ingest_chunked(
        &mut self,
        chunked: ChunkedIngest,
        vectors: Vec<f32>,
    ) -> Result<IngestReport> {
        let prepared = self.engine.prepare_ingest_chunked(chunked, vectors)?;
        self.commit_ingest(prepared).await
    }

    /// Writes a prepared ingest in one transaction, then makes it searchable.
    async fn commit_ingest(&mut self, prepared: PreparedIngest) -> Result<IngestReport> {
        let dims = self.engine.embedder().dims();
        let put: Vec<(String, Vec<u8>)> = prepared
            .records
            .iter()
            .zip(prepared.vectors.chunks_exact(dims))
            .map(|(r, v)| (r.id.clone(), encode_chunk(r, v)))
            .collect();
        let (remove, mut tombstone) = self.split(&prepared.stale);
        // A new chunk with a base chunk's id hides that base chunk for good, even after
        // the new chunk is deleted.
        tombstone.extend(
            prepared
                .records
                .iter()
                .filter(|r| {
                    !self.journal.contains_key(&r.id)
                        && self.engine.collection().get(&r.id).is_some()
                })
                .map(|r| r.id.clone()),
        );
        let commit = Commit {
            put,
            remove,
            tombstone,
            ..Commit::default()
        };
        let written: Vec<(String, usize)> = commit
            .put
            .iter()
            .map(|(k, v)| (k.clone(), k.len() + v.len()))
            .collect();
        let (remove, tombstone) = (commit.remove.clone(), commit.tombstone.clone());
        self.store.commit(commit).await?;
        let report = self.engine.apply_ingest(prepared)?;
        self.after_commit(&remove, &tombstone);
        self.journal.extend(written);
        Ok(report)
    }

    /// Deletes chunks (or whole documents) by id; returns how many chunks.
    pub async fn delete(&mut self, ids: &[String]) -> Result<usize> {
        let matching = self.engine.collection().matching_ids(ids);
        let (mut remove, tombstone) = self.split(&matching);
        remove.extend(ids.iter().filter(|id| self.corrupt.contains(*id)).cloned());
        if remove.is_empty() && tombstone.is_empty() {
            return Ok(0);
        }
        let commit = Commit {
            remove: remove.clone(),
            tombstone: tombstone.clone(),
            ..Commit::default()
        };
        self.store.commit(commit).await?;
        self.after_commit(&remove, &tombstone);
        Ok(self.engine.collection_mut().delete(&matching))
    }

    /// Deletes everything stored and searchable (the next open with a bundle imports it
    /// again).
    pub async fn clear(&mut self) -> Result<()> {
        self.store.clear().await?;
        let embedder = self.engine.embedder();
        let collection = empty_collection(embedder)?;
        let identity = Identity::of(embedder, None);
        let identity_json = serde_json::to_vec(&identity).unwrap_or_default();
        self.identity_bytes = identity_json.len();
        *self.engine.collection_mut() = collection;
        self.journal.clear();
        self.tombstones.clear();
        self.corrupt.clear();
        self.base = None;
        self.report.corrupt.clear();
        self.store
            .commit(Commit {
                identity: Some(identity_json),
                ..Commit::default()
            })
            .await
    }

    /// Reads the store again (another tab changed it), keeping this embedder.
    pub async fn reload(self) -> Result<Self> {
        let Self { store, engine, .. } = self;
        let embedder = engine.into_embedder();
        Self::open(store, embedder, None).await
    }

    /// Documents the member added, by id.
    pub fn documents(&self) -> Vec<AddedDocument> {
        let mut docs: BTreeMap<String, AddedDocument> = BTreeMap::new();
        let collection = self.engine.collection();
        for id in self.journal.keys() {
            let Some(record) = collection.get(id) else {
                continue;
            };
            let field = |name: &str| {
                record
                    .metadata
                    .get(name)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let doc_id = match field("doc_id") {
                d if d.is_empty() => id.clone(),
                d => d,
            };
            docs.entry(doc_id.clone())
                .or_insert_with(|| AddedDocument {
                    id: doc_id,
                    policy: field("policy"),
                    source: field("source"),
                    chunks: 0,
                })
                .chunks += 1;
        }
        docs.into_values().collect()
    }

    /// The backend the data lives in.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Storage figures.
    pub fn store_stats(&self) -> StoreStats {
        StoreStats {
            stored_bytes: self.identity_bytes
                + self.base.as_ref().map_or(0, |s| s.bytes)
                + self.journal.values().sum::<usize>(),
            journal_chunks: self.journal.len(),
            tombstones: self.tombstones.len(),
            texts_embedded: self.engine.embedder().texts_embedded(),
            open: self.report.clone(),
        }
    }

    /// Splits ids to remove into journal records to delete and base ids to tombstone.
    fn split(&self, ids: &[String]) -> (Vec<String>, Vec<String>) {
        ids.iter()
            .cloned()
            .partition(|id| self.journal.contains_key(id))
    }

    /// Mirrors a committed change's removals and tombstones in memory.
    fn after_commit(&mut self, remove: &[String], tombstone: &[String]) {
        for id in remove {
            self.journal.remove(id);
            if self.corrupt.remove(id) {
                self.report.corrupt.retain(|c| c != id);
            }
        }
        self.tombstones.extend(tombstone.iter().cloned());
    }
}
