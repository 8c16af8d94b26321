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
//!   encoded by [`encode_chunk`] (magic, CRC-32, postcard body with its vector). Ingest
//!   writes `BFC1` records; once the vectors of a chunk's answer units are embedded
//!   (after the ingest, in the background: [`Database::pending_units`]), its record is
//!   rewritten as `BFC2`, with them as int8, only if it is still the one read
//!   ([`Update`]).
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
use crate::engine::vector::quantize_i8;
use crate::engine::{
    answer, ChunkedIngest, Collection, Engine, IngestDoc, IngestReport, PreparedIngest,
};
use crate::error::{Error, Result};

/// The stored layout's version; bumped when the meaning of stored records changes. 2:
/// chunk records may be `BFC2` (with their answer units' vectors), which a reader of
/// format 1 would take for corrupt records; it says to reload the page instead.
pub const FORMAT: u32 = 2;
/// Magic prefix of an encoded chunk record.
const CHUNK_MAGIC: &[u8; 4] = b"BFC1";
/// Magic prefix of a chunk record that also holds its answer units' vectors.
const CHUNK_MAGIC_UNITS: &[u8; 4] = b"BFC2";

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

/// A `BFC2` record's body: [`ChunkBody`] and its answer units' vectors as int8, as a
/// bundle's UNITS section holds them (a quarter of f32's size: a long PDF has thousands
/// of units): one scale per unit, and `dims` components per unit, flat (a component is
/// `value × scale`).
#[derive(Serialize, Deserialize)]
struct ChunkBodyWithUnits {
    id: String,
    text: String,
    metadata: String,
    vector: Vec<f32>,
    unit_scales: Vec<f32>,
    unit_values: Vec<i8>,
}

/// A stored chunk, decoded: its record, its vector and, when it was stored with them,
/// the vectors of its answer units (flat).
pub type StoredChunk = (Record, Vec<f32>, Option<Vec<f32>>);

/// One chunk with its vector as stored: `BFC1`, CRC-32 (LE) of the rest, postcard body.
/// With the vectors of its answer units (flat, `vector.len()` values each, stored as
/// int8), `BFC2`: the background step that embeds them after an ingest rewrites the
/// record so.
pub fn encode_chunk(record: &Record, vector: &[f32], units: Option<&[f32]>) -> Vec<u8> {
    let (id, text) = (record.id.clone(), record.text.clone());
    let metadata = Value::Object(record.metadata.clone()).to_string();
    let vector = vector.to_vec();
    // Serialising plain strings and numbers into a Vec cannot fail.
    let (magic, payload) = match units {
        None => {
            let body = ChunkBody {
                id,
                text,
                metadata,
                vector,
            };
            (
                CHUNK_MAGIC,
                postcard::to_allocvec(&body).unwrap_or_default(),
            )
        }
        Some(units) => {
            let mut unit_values = Vec::with_capacity(units.len());
            let unit_scales = units
                .chunks(vector.len().max(1))
                .map(|unit| quantize_i8(unit, &mut unit_values))
                .collect();
            let body = ChunkBodyWithUnits {
                id,
                text,
                metadata,
                vector,
                unit_scales,
                unit_values,
            };
            (
                CHUNK_MAGIC_UNITS,
                postcard::to_allocvec(&body).unwrap_or_default(),
            )
        }
    };
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

/// Reads a stored chunk back, checking magic, checksum, that it is stored under its own
/// id, its dimension and that its vectors are finite.
pub fn decode_chunk(key: &str, bytes: &[u8], dims: usize) -> Result<StoredChunk> {
    let bad = |why: String| Error::StoreCorrupt(format!("chunk {key:?}: {why}"));
    let magic = bytes.get(..4);
    if bytes.len() < 8 || (magic != Some(CHUNK_MAGIC) && magic != Some(CHUNK_MAGIC_UNITS)) {
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
    let undecodable = |e: postcard::Error| bad(format!("undecodable: {e}"));
    let (body, int8_units) = if magic == Some(CHUNK_MAGIC) {
        let body: ChunkBody = postcard::from_bytes(payload).map_err(undecodable)?;
        (body, None)
    } else {
        let b: ChunkBodyWithUnits = postcard::from_bytes(payload).map_err(undecodable)?;
        let body = ChunkBody {
            id: b.id,
            text: b.text,
            metadata: b.metadata,
            vector: b.vector,
        };
        (body, Some((b.unit_scales, b.unit_values)))
    };
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
    let units = match int8_units {
        None => None,
        Some((scales, values)) => {
            if scales.len().checked_mul(dims) != Some(values.len()) {
                return Err(bad(format!(
                    "unit vectors hold {} values for {} units of {dims} dimensions",
                    values.len(),
                    scales.len()
                )));
            }
            // `!(x >= 0.0)` also rejects NaN.
            if scales.iter().any(|&x| !(x.is_finite() && x >= 0.0)) {
                return Err(bad(
                    "a unit vector has a non-finite or negative scale".into()
                ));
            }
            Some(
                values
                    .chunks(dims.max(1))
                    .zip(&scales)
                    .flat_map(|(unit, &scale)| unit.iter().map(move |&q| f32::from(q) * scale))
                    .collect(),
            )
        }
    };
    let metadata: Map<String, Value> =
        serde_json::from_str(&body.metadata).map_err(|e| bad(format!("metadata: {e}")))?;
    Ok((
        Record {
            id: body.id,
            text: body.text,
            metadata,
        },
        body.vector,
        units,
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
    /// Journal records to replace, each only if the stored one is still the one read
    /// (see [`Update`]).
    pub update: Vec<Update>,
    /// Journal records to remove.
    pub remove: Vec<String>,
    /// Base ids to tombstone.
    pub tombstone: Vec<String>,
}

/// A journal record rewritten in place (a chunk stored again with its answer units'
/// vectors): written only if the stored record's checksum (its bytes 4..8) is still
/// `checksum`, so that a chunk another tab deleted or replaced meanwhile is neither
/// brought back nor overwritten.
#[derive(Debug, Clone)]
pub struct Update {
    /// The chunk id.
    pub id: String,
    /// The checksum of the record it replaces.
    pub checksum: [u8; 4],
    /// The new record.
    pub blob: Vec<u8>,
}

impl Update {
    /// Whether it applies over `stored` (the record stored under its id now).
    pub fn applies_to(&self, stored: Option<&[u8]>) -> bool {
        stored.and_then(record_checksum) == Some(self.checksum)
    }
}

/// A chunk record's stored checksum (its bytes 4..8, see [`encode_chunk`]).
fn record_checksum(blob: &[u8]) -> Option<[u8; 4]> {
    blob.get(4..8)?.try_into().ok()
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
            + self
                .update
                .iter()
                .map(|u| u.id.len() + u.blob.len())
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
        for update in commit.update {
            if update.applies_to(data.chunks.get(&update.id).map(Vec::as_slice)) {
                data.chunks.insert(update.id, update.blob);
            }
        }
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
    /// Ingested chunks whose answer units' vectors are not stored yet (see
    /// [`Database::pending_units`]).
    pub units_pending: usize,
    /// What the open found.
    pub open: OpenReport,
}

/// An [`Engine`] whose collection lives in a [`Store`].
pub struct Database<S: Store> {
    store: S,
    engine: Engine,
    /// Journal ids → their stored records' size and checksum.
    journal: BTreeMap<String, Journaled>,
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

/// The journal's chunks, decoded (see [`restore_chunks`]).
#[derive(Default)]
struct Restored {
    records: Vec<Record>,
    /// Row-major.
    vectors: Vec<f32>,
    /// Chunks stored with their answer units' vectors: id → the vectors (flat).
    units: Vec<(String, Vec<f32>)>,
    /// Journal entries by key.
    journal: BTreeMap<String, Journaled>,
}

/// What the database remembers of a journal record: its size (key and value) and its
/// checksum (to rewrite it only if it is still the one read, see [`Update`]).
#[derive(Debug, Clone, Copy)]
struct Journaled {
    bytes: usize,
    checksum: [u8; 4],
}

impl Journaled {
    fn of(key: &str, blob: &[u8]) -> Self {
        Self {
            bytes: key.len() + blob.len(),
            checksum: record_checksum(blob).unwrap_or_default(),
        }
    }
}

/// Decodes the journal's chunks. A chunk that fails to decode is named in `corrupt` and
/// left out.
fn restore_chunks(
    chunks: &BTreeMap<String, Vec<u8>>,
    dims: usize,
    corrupt: &mut BTreeSet<String>,
) -> Restored {
    let mut out = Restored::default();
    for (key, blob) in chunks {
        match decode_chunk(key, blob, dims) {
            Ok((record, vector, units)) => {
                if let Some(units) = units {
                    out.units.push((record.id.clone(), units));
                }
                out.records.push(record);
                out.vectors.extend_from_slice(&vector);
                out.journal.insert(key.clone(), Journaled::of(key, blob));
            }
            Err(_) => {
                corrupt.insert(key.clone());
            }
        }
    }
    out
}

/// Ingested chunks whose answer units ([`answer::units`]) have no stored vectors yet,
/// with those units' texts to embed ([`Database::pending_units`]); give their vectors
/// to [`Database::store_units`].
#[derive(Debug, Clone)]
pub struct PendingUnits {
    /// Chunk id, its record's checksum when read (to tell a chunk replaced or rewritten
    /// meanwhile, here or in another tab: see [`Update`]), its number of units.
    chunks: Vec<(String, [u8; 4], usize)>,
    texts: Vec<String>,
}

impl PendingUnits {
    /// The units' texts, chunk after chunk, in order.
    pub fn texts(&self) -> &[String] {
        &self.texts
    }

    /// How many chunks they cover.
    pub fn chunks(&self) -> usize {
        self.chunks.len()
    }
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
        let Restored {
            records,
            vectors,
            units,
            journal,
        } = restore_chunks(&snapshot.chunks, dims, &mut corrupt);
        let restored = records.len();
        let collection = engine.collection_mut();
        collection.upsert(records, vectors)?;
        for (id, units) in units {
            // Units cut by another benefind's splitter do not fit: they are embedded
            // again in the background, as for a chunk stored without them.
            let _ = collection.set_unit_vectors(&id, units);
        }
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
            .map(|(r, v)| (r.id.clone(), encode_chunk(r, v, None)))
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
        let written: Vec<(String, Journaled)> = commit
            .put
            .iter()
            .map(|(k, v)| (k.clone(), Journaled::of(k, v)))
            .collect();
        let (remove, tombstone) = (commit.remove.clone(), commit.tombstone.clone());
        self.store.commit(commit).await?;
        let report = self.engine.apply_ingest(prepared)?;
        self.after_commit(&remove, &tombstone);
        self.journal.extend(written);
        Ok(report)
    }

    /// Ingested chunks without stored unit vectors, with their records' checksums.
    fn without_units(&self) -> impl Iterator<Item = (&String, [u8; 4], &Record)> {
        let collection = self.engine.collection();
        self.journal.iter().filter_map(move |(id, journaled)| {
            let record = collection.get(id)?;
            let pending = collection.unit_vectors(id).is_none();
            pending.then_some((id, journaled.checksum, record))
        })
    }

    /// How many ingested chunks have no stored vectors for their answer units yet.
    pub fn units_pending(&self) -> usize {
        self.without_units().count()
    }

    /// The next ingested chunks whose answer units have no stored vectors, with the
    /// units' texts: whole chunks, as many as fit in `max_texts` texts (at least one
    /// chunk). `None` when every ingested chunk has them.
    ///
    /// Ingest embeds only the passages, so that a document is searchable as soon as
    /// they are; until its units' vectors are stored, answering embeds one passage's
    /// units when it needs them. The browser's worker embeds these after the ingest, in
    /// the background, and stores them with [`store_units`](Self::store_units).
    pub fn pending_units(&self, max_texts: usize) -> Option<PendingUnits> {
        let mut pending = PendingUnits {
            chunks: Vec::new(),
            texts: Vec::new(),
        };
        for (id, checksum, record) in self.without_units() {
            let units = answer::unit_texts(&record.text);
            if !pending.chunks.is_empty() && pending.texts.len() + units.len() > max_texts {
                break;
            }
            pending.chunks.push((id.clone(), checksum, units.len()));
            pending.texts.extend(units.into_iter().map(str::to_owned));
        }
        (!pending.chunks.is_empty()).then_some(pending)
    }

    /// Stores the vectors of `pending`'s texts (flat, in order) with their chunks, in
    /// one transaction, and answers with them from then on; returns how many chunks got
    /// them. A chunk deleted or replaced since [`pending_units`](Self::pending_units) is
    /// skipped. All or nothing: a wrong number of vectors, or a failed write, changes
    /// neither the stored nor the searchable state.
    pub async fn store_units(&mut self, pending: PendingUnits, vectors: Vec<f32>) -> Result<usize> {
        let dims = self.engine.embedder().dims();
        if vectors.len() != pending.texts.len() * dims {
            return Err(Error::InvalidInput(format!(
                "{} vector values were given for {} answer units of {dims} dimensions; {} were expected",
                vectors.len(),
                pending.texts.len(),
                pending.texts.len() * dims
            )));
        }
        if let Some(x) = vectors.iter().find(|x| !x.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "answer unit vectors hold a non-finite value ({x})"
            )));
        }
        let collection = self.engine.collection();
        let mut update = Vec::new();
        let mut units = Vec::new();
        let mut at = 0;
        for (id, checksum, count) in pending.chunks {
            let own = vectors[at..at + count * dims].to_vec();
            at += count * dims;
            let unchanged = self
                .journal
                .get(&id)
                .is_some_and(|j| j.checksum == checksum);
            let (true, Some(record), Some(vector)) =
                (unchanged, collection.get(&id), collection.vector_of(&id))
            else {
                continue;
            };
            update.push(Update {
                blob: encode_chunk(record, vector, Some(&own)),
                checksum,
                id: id.clone(),
            });
            units.push((id, own));
        }
        if update.is_empty() {
            return Ok(0);
        }
        let written: Vec<(String, Journaled)> = update
            .iter()
            .map(|u| (u.id.clone(), Journaled::of(&u.id, &u.blob)))
            .collect();
        self.store
            .commit(Commit {
                update,
                ..Commit::default()
            })
            .await?;
        let collection = self.engine.collection_mut();
        for (id, own) in &units {
            // The same record as when its units were cut: this cannot fail.
            collection.set_unit_vectors(id, own.clone())?;
        }
        // (Another tab's change, which the update then skipped, is read at the next
        // reload, which that tab's notice triggers.)
        self.journal.extend(written);
        Ok(units.len())
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
                + self.journal.values().map(|j| j.bytes).sum::<usize>(),
            journal_chunks: self.journal.len(),
            tombstones: self.tombstones.len(),
            texts_embedded: self.engine.embedder().texts_embedded(),
            units_pending: self.units_pending(),
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
