//! The engine API shared by the CLI and the browser facade: a [`Collection`] of chunks
//! (records + vectors + index) and an [`Engine`] that adds the embedder, so callers can
//! `ingest` documents and `search(question, policy)`.
//!
//! Writes are all-or-nothing: every document is chunked and embedded, every record and
//! vector validated, before the collection changes at all.
//!
//! # How retrieval works
//!
//!
//! **Sample corpus** (`www/data/`): benefit summaries of three fictional Northwind plans written
//! for this project — `PPO_PLUS`, `HMO_SELECT`, `HDHP_SAVER` (high deductible with an HSA) —
//! covering preventive care, deductibles, out-of-pocket maximum, ER, urgent care, specialists,
//! prescriptions (tier tables), mental health, maternity, telehealth, out-of-network, prior
//! authorization and more, with different numbers per plan. The demo's default bundle
//! (94 chunks) is built from it.
//!
//! **Chunking** (`src/engine/chunk/`). Markdown and plain text are split by headings; a chunk never
//! mixes two sections, starts with its heading path ("Prescription drugs — Copays by tier"),
//! and is measured with the real tokenizer so it never exceeds the model's 256-token window.
//! Long sections are cut at paragraphs, then list items / table rows (a table keeps its header
//! rows on every piece), then sentences, then words, with ~32 tokens of overlap. Each chunk
//! carries `policy`, `source`, `chunk_index`, `section` and the document's other front-matter
//! keys; its id is `{policy}_chunk_{index:04}` as in the S3 Vectors layout (or
//! `{doc_id}_chunk_{index:04}` for documents ingested with an id).
//!
//! **Filter** (`src/engine/filter.rs`): the `where` ChromaDB and S3 Vectors users already write — bare
//! value = `$eq`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte` (numbers), `$in`, `$nin`, `$exists`,
//! `$and`, `$or`; several keys in one object are AND-ed; a list-valued field matches if any
//! element matches. Parsed into a typed AST; errors carry a path
//! (`$and[1].policy.$gt: expected a number`); depth ≤ 10 and ≤ 1000 conditions.
//!
//! **Index** (`src/engine/index.rs`). Rows are split into *segments*:
//!
//! - one HNSW graph per policy (up to 16 policies; more share one graph), built natively with
//!   `instant-distance` (M = 32, ef_construction 100) and stored in the bundle, so a page load
//!   never rebuilds one. A policy filter searches only its plan's graph — no post-filtering;
//! - with two or more per-policy graphs, an **overview graph** over every row answers queries
//!   not pinned to one policy (unfiltered, or filtered on other fields) with one walk instead
//!   of one per plan. Cost: a second build over the same rows (the 100k build is 65 s instead of
//!   35 s) and its links in the bundle (vectors are shared); `--no-overview-graph` skips it;
//! - segments smaller than 2000 rows are scanned exactly (cheaper than a graph walk);
//! - the **delta**: rows ingested after the build, scanned exactly; deletes are tombstones;
//!   `compact()` (called explicitly; the browser never compacts) rebuilds graphs over the live rows. Cost: ingest is
//!   instant, each query pays an exact scan of the delta (≈ 0.1 ms per 1000 rows natively).
//!
//! Filtered search is exact in the sense users expect: for each graph the candidates are
//! filtered, and trusted only when the k-th match lies in the first half of the candidate
//! list (matches dense enough that the graph saw the true top k); otherwise that segment is
//! scanned exactly under the filter (the overview graph is trusted under the same rule, else
//! the per-segment path runs). So whenever k rows match, k come back, ranked as brute
//! force would, and a non-matching row is never returned (tests at 1 %, 10 %, 50 %
//! selectivity, per policy, list fields and `$or`, against brute force).
//!
//! **Keywords and fusion** (`src/engine/keyword/`). A BM25 inverted index (k1 1.2, b 0.75) over the
//! chunk text — lowercased, stopwords dropped, plurals folded, "$1,500" → `1500` — is built
//! with the bundle, stored beside the graphs, updated by ingest and delete, and scored exactly
//! under the same filter. A question's words are also expanded, at half weight (full weight
//! when no chunk uses the member's word), to the words
//! plan documents use for the same thing (checkup → physical / preventive / wellness, ER →
//! emergency room, OON → out-of-network, meds → prescription drug, shrink → mental /
//! behavioral, deductable → deductible, …: a fixed table in `src/engine/keyword/`, query side
//! only); the vector channel searches by the mean of the question's vector and that of
//! the question with those plan words added ([`Engine::question_vector`]). A word no chunk
//! uses that is one typing slip (two letters swapped, one left out) from exactly one word
//! a chunk uses is read as that word, by every channel ("physcial therapy":
//! `KeywordIndex::respelled`). `mode: hybrid` (the default) takes the top 30 of
//! each channel, normalises each channel's scores to [0, 1] (min–max over its candidates)
//! and adds them with equal weights (`score_fusion`); then, when the question asks a
//! price ("how much", "cost", "copay", …), passages that state no cost (no figure, no
//! "no charge" or "not covered") lose 0.4 of that score (`intent`): "Do you need a
//! referral to see a specialist? No." stops outranking the specialist row's "$50
//! copay"; and an SBC's worked coverage examples (a sample patient having a baby),
//! which name many services and figures, lose 0.3 unless the question asks for an
//! example; a row for inpatient care loses 0.2 to a question about weekly sessions, an
//! outpatient row to one about a hospital stay, a row of professional fees to one about
//! what the hospital charges, a generic drugs row to one about a brand drug, and so on
//! (`intent::Contrast`, `intent::named_drug_kind`). `vector` and `keyword` use one
//! channel.
//!
//! Graphs are stored as `postcard` (varint links) of instant-distance's `Hnsw`, whose points
//! serialise as row numbers: the vectors are stored once, in the bundle's own encoding.
//! Because instant-distance's graph fields are private and its search indexes without bounds
//! checks, a stored graph is first decoded into a mirror of its layout and every link is
//! checked against its layer before the real `Hnsw` is decoded — a crafted bundle gets an
//! error, never a panic.

pub mod answer;
pub mod bundle;
pub mod chunk;
pub mod filter;
pub mod index;
pub mod intent;
pub mod keyword;
pub mod vector;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::bundle::{Bundle, Record, VectorEncoding};
use crate::chunk::{
    chunk_document, chunk_layout, default_id, ChunkOptions, Document, Layout, LayoutBlock,
    TokenCounter,
};
use crate::embed::Embedder;
use crate::error::{Error, Result};
use crate::filter::Filter;
use crate::index::{IndexParams, SearchStats, VectorIndex, POLICY_FIELD};
use crate::keyword::{score_fusion, Bm25Params, KeywordIndex};
use crate::vector::{dot, l2_normalize};

/// Results a search returns unless told otherwise (ChromaDB's `n_results` default).
pub const DEFAULT_K: usize = 3;

/// How many of a question's keyword results are read for a passage that mentions a
/// service it names ([`Collection::bring_named_services`]).
const NAMED_SERVICE_CANDIDATES: usize = 50;
/// The largest document one ingest accepts, in bytes of text: a plan's whole benefits
/// booklet is a few hundred KB; anything far larger is a mistake (a binary file, a
/// database dump) that would tie up the embedder for hours.
pub const MAX_DOCUMENT_BYTES: usize = 2 * 1024 * 1024;

/// The most results one query may ask for (S3 Vectors' `topK` limit).
pub const MAX_K: usize = 100;

/// How a question is matched: by meaning, by words, or both fused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Cosine similarity of MiniLM vectors only.
    Vector,
    /// BM25 over the chunk text only.
    Keyword,
    /// Both rankings, their normalised scores fused with equal weights (the default).
    #[default]
    Hybrid,
}

impl std::str::FromStr for SearchMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "vector" => Ok(Self::Vector),
            "keyword" => Ok(Self::Keyword),
            "hybrid" => Ok(Self::Hybrid),
            other => Err(Error::InvalidInput(format!(
                "mode must be vector, keyword or hybrid, got {other:?}"
            ))),
        }
    }
}

/// Each channel contributes this many candidates (at least k) to the fusion.
const FUSION_CANDIDATES: usize = 30;
/// The vector channel's weight in the fusion (the keyword channel gets the rest): equal
/// weights, chosen on the dev half of the question set (0.4–0.65 were measured).
const VECTOR_WEIGHT: f32 = 0.5;

/// The hybrid fusion of a vector ranking and a word ranking (rows with scores, best
/// first) for `question`: each list min-max normalised, weighted [`VECTOR_WEIGHT`] and
/// the rest, summed ([`score_fusion`]); then adjusted for what the question asks
/// ([`intent::adjust_for_question`], `text` gives a row's passage). The best `k` rows.
fn fuse_channels<'a>(
    question: &str,
    near: &[(u32, f32)],
    words: &[(u32, f32)],
    k: usize,
    text: impl Fn(u32) -> Option<&'a str>,
) -> Vec<u32> {
    let mut fused = score_fusion(&[(near, VECTOR_WEIGHT), (words, 1.0 - VECTOR_WEIGHT)]);
    intent::adjust_for_question(question, &mut fused, text);
    fused.into_iter().take(k).map(|(row, _)| row).collect()
}

/// Vector candidates a cloud search re-ranks: S3 Vectors' largest topK.
pub const RERANK_CANDIDATES: usize = 100;

/// The hybrid ranking for an index that searches only by vector (S3 Vectors, on the cloud
/// path). `candidates` are that search's best (text, cosine similarity), best first,
/// under the member's filter; their words are indexed on the spot (BM25, the member
/// vocabulary on) and the two channels fused exactly as [`Collection::query_text`] fuses
/// them: the best 30 of each, normalised and weighted. Returns the
/// best `k` candidates' positions, best first.
///
/// A word typed with a slip is read as the candidates spell it
/// ([`KeywordIndex::respelled`], as locally), by the word channel and the adjustments.
/// A service the question names (`answer`'s list: "acupuncture", "LASIK") that none of
/// the first [`answer::PASSAGES`] mentions is looked for among the other candidates, and
/// the one mentioning it that its words rank first takes the last of those places, as
/// [`Collection::bring_named_services`] looks through the rest of the plan: the cloud's
/// answer reads these passages, and an exclusions list naming the service answers "no".
///
/// What it cannot do is find words outside the candidates, and BM25's statistics are the
/// candidates' rather than the corpus's: with [`RERANK_CANDIDATES`] candidates per plan
/// this stays within a few hundredths of the local hybrid (`bench.sh quality` measures
/// it), without any index beyond S3 Vectors, so it scales with the cloud index.
pub fn hybrid_rerank(question: &str, candidates: &[(&str, f32)], k: usize) -> Vec<usize> {
    let index = words_of(candidates.iter().map(|c| c.0));
    let question = index.respelled(question);
    let question = question.as_ref();
    let n = k.max(FUSION_CANDIDATES);
    let near: Vec<(u32, f32)> = candidates
        .iter()
        .enumerate()
        .take(n)
        .map(|(row, &(_, similarity))| (row as u32, similarity))
        .collect();
    let words = index.search(question, n, &|_| true);
    let text_of = |row: u32| candidates.get(row as usize).map(|c| c.0);
    let mut order: Vec<u32> = fuse_channels(question, &near, &words, k, text_of);
    let read = order.len().min(answer::PASSAGES);
    let brought = rows_naming_services(
        question,
        order.iter().filter_map(|&row| text_of(row)),
        read,
        &index,
        &|_| true,
        candidates.len(),
        text_of,
    );
    into_last_places(&mut order, brought, read, |a, b| a == b);
    order.into_iter().map(|row| row as usize).collect()
}

/// For each service `question` names that none of the first `read` passages of `ranked`
/// mentions (at most `read` services: a question pasted with a long list of services
/// costs a few searches, not one for each), the row that mentions it which the
/// question's words and the service's names rank first in `words` among the best
/// `candidates` rows `accept`ed; each row once. `text_of` gives a row's text.
fn rows_naming_services<'t>(
    question: &str,
    ranked: impl IntoIterator<Item = &'t str>,
    read: usize,
    words: &KeywordIndex,
    accept: &dyn Fn(u32) -> bool,
    candidates: usize,
    text_of: impl Fn(u32) -> Option<&'t str>,
) -> Vec<u32> {
    let mut found: Vec<u32> = Vec::new();
    for (names, mentions) in answer::unmentioned_services(question, ranked)
        .into_iter()
        .take(read)
    {
        let first = words
            .search_with(&format!("{question} {names}"), candidates, accept, false)
            .into_iter()
            .map(|(row, _)| row)
            .find(|&row| text_of(row).is_some_and(&mentions));
        if let Some(row) = first.filter(|row| !found.contains(row)) {
            found.push(row);
        }
    }
    found
}

/// Puts `brought` (at most `read`) into the last of the first `read` places of `ranked`,
/// in their order: the items they displace move down, the last items make room, and an
/// item brought from further down leaves its old place.
fn into_last_places<T>(
    ranked: &mut Vec<T>,
    brought: Vec<T>,
    read: usize,
    same: impl Fn(&T, &T) -> bool,
) {
    if brought.is_empty() {
        return;
    }
    let k = ranked.len();
    ranked.retain(|r| !brought.iter().any(|b| same(r, b)));
    let at = read.saturating_sub(brought.len()).min(ranked.len());
    ranked.splice(at..at, brought);
    ranked.truncate(k);
}

/// A word index of `texts` (BM25, rows in order), for ranking or respelling a question
/// against passages that have no index of their own (the cloud path's).
pub fn words_of<'a>(texts: impl Iterator<Item = &'a str>) -> KeywordIndex {
    let mut words = KeywordIndex::new(Bm25Params::default());
    for (row, text) in texts.enumerate() {
        words.add(row as u32, text);
    }
    words
}

/// Stored form of the collection's indexes in the bundle's INDEX section.
#[derive(Serialize, Deserialize)]
struct StoredIndexes {
    vector: Vec<u8>,
    keyword: Vec<u8>,
}

/// One result: the chunk, how close it is, and its metadata.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchHit {
    /// Chunk id.
    pub id: String,
    /// Cosine similarity to the question (1 = same direction).
    pub score: f32,
    /// 1 − score, as vector stores report it.
    pub distance: f32,
    /// The chunk's text.
    pub text: String,
    /// `policy`, `source`, `chunk_index`, `section`, and any other metadata.
    pub metadata: Map<String, Value>,
    /// Byte ranges of `text` that match the question's words, for highlighting.
    pub highlights: Vec<(usize, usize)>,
}

/// A document to ingest: text plus metadata (`policy` required).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct IngestDoc {
    /// Plain text or Markdown (empty when `layout` is given).
    #[serde(default)]
    pub text: String,
    /// A document read with its pages and structure (a PDF, see [`crate::pdf`]): chunked
    /// by [`chunk_layout`], each chunk's metadata gets `page`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
    /// The plan the document belongs to.
    pub policy: String,
    /// Where it came from (file name); defaults to the id or "ingested".
    #[serde(default)]
    pub source: Option<String>,
    /// Document id; its chunks are `{id}_chunk_{i:04}` and re-ingesting the same id
    /// replaces them. Without one, chunks continue the policy's `{policy}_chunk_{n:04}`.
    #[serde(default)]
    pub id: Option<String>,
    /// Any other metadata, copied to every chunk.
    #[serde(flatten)]
    pub metadata: Map<String, Value>,
}

impl IngestDoc {
    /// The document's words: its text, or its layout's blocks joined (for size limits
    /// and content ids).
    pub fn content(&self) -> Cow<'_, str> {
        let Some(layout) = &self.layout else {
            return Cow::Borrowed(&self.text);
        };
        let mut out = String::new();
        for block in &layout.blocks {
            match block {
                LayoutBlock::Heading { text, .. } | LayoutBlock::Paragraph { text, .. } => {
                    out.push_str(text);
                }
                LayoutBlock::Row { cells, .. } => {
                    for (header, value) in cells {
                        out.push_str(header);
                        out.push_str(value);
                    }
                }
            }
            out.push('\n');
        }
        Cow::Owned(out)
    }
}

/// What an ingest did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct IngestReport {
    /// Chunks added.
    pub chunks: usize,
    /// Chunks replaced (same document id ingested again).
    pub replaced: usize,
    /// Ids of the added chunks.
    pub ids: Vec<String>,
}

/// An ingest that has been chunked, embedded and validated but not yet applied.
#[derive(Debug, Clone)]
pub struct PreparedIngest {
    /// The new chunks.
    pub records: Vec<Record>,
    /// Their vectors, `records.len() × dims` values.
    pub vectors: Vec<f32>,
    /// Ids of older chunks of the same documents that the new ones replace.
    pub stale: Vec<String>,
    /// What the ingest will report.
    pub report: IngestReport,
}

/// Documents chunked for an ingest whose vectors are embedded elsewhere (the browser
/// embeds in several workers): [`Engine::chunk_for_ingest`] makes it,
/// [`Engine::prepare_ingest_chunked`] takes it with the vectors of its
/// [`texts`](Self::texts), so the documents are chunked once.
#[derive(Debug, Clone)]
pub struct ChunkedIngest {
    /// The ids of the documents that have one (their older chunks are replaced).
    doc_ids: Vec<String>,
    records: Vec<Record>,
    /// For documents without an id: the first chunk number each policy's ids were
    /// given, which is only right while the collection has not changed.
    first_indexes: Vec<(String, usize)>,
}

impl ChunkedIngest {
    /// The texts to embed, in order.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.records.iter().map(|r| r.text.as_str())
    }

    /// How many chunks.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are none (never, for documents that chunked without error).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// Records, vectors and their index, under one dimension contract.
pub struct Collection {
    model_id: String,
    dims: usize,
    /// Row → record; deleted rows keep their slot (the index tombstones them).
    records: Vec<Record>,
    ids: HashMap<String, u32>,
    index: VectorIndex,
    keywords: KeywordIndex,
    params: IndexParams,
    /// Row → the vectors of its answer units ([`answer::units`], in order), when they
    /// were embedded with the row (bundle build) and match its text's units.
    unit_vectors: Vec<Option<Vec<f32>>>,
}

impl std::fmt::Debug for Collection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collection")
            .field("model_id", &self.model_id)
            .field("dims", &self.dims)
            .field("live", &self.ids.len())
            .finish()
    }
}

fn metadata_of(records: &[Record]) -> Vec<Map<String, Value>> {
    records.iter().map(|r| r.metadata.clone()).collect()
}

/// Checks that `units` holds, for each of `records`, one finite vector of `dims` values
/// per unit of its text ([`answer::units`]); the error names the record and both counts.
fn check_unit_vectors(records: &[Record], units: &[Vec<f32>], dims: usize) -> Result<()> {
    if units.len() != records.len() {
        return Err(Error::InvalidInput(format!(
            "unit vectors were given for {} chunks, but there are {} chunks",
            units.len(),
            records.len()
        )));
    }
    for (record, vectors) in records.iter().zip(units) {
        let wanted = answer::units(&record.text).len() * dims;
        if vectors.len() != wanted {
            return Err(Error::InvalidInput(format!(
                "chunk {:?} has {} unit vector values, but its {} units of {dims} dimensions need {wanted}",
                record.id,
                vectors.len(),
                wanted / dims.max(1)
            )));
        }
        if vectors.iter().any(|x| !x.is_finite()) {
            return Err(Error::InvalidInput(format!(
                "chunk {:?} has a non-finite unit vector value",
                record.id
            )));
        }
    }
    Ok(())
}

fn check_dims(context: &str, got: usize, dims: usize, model: &str) -> Result<()> {
    if got != dims {
        return Err(Error::DimensionMismatch {
            context: context.to_string(),
            expected: dims,
            got,
            model: model.to_string(),
        });
    }
    Ok(())
}

impl Collection {
    /// A new collection; builds the index graphs (natively this is the bundle build).
    pub fn build(
        model_id: &str,
        dims: usize,
        records: Vec<Record>,
        vectors: Vec<f32>,
        params: IndexParams,
    ) -> Result<Self> {
        // Bundle::new validates ids, lengths and values; reuse it rather than repeat it.
        let bundle = Bundle::new(
            model_id,
            dims,
            VectorEncoding::F32,
            records,
            vectors,
            Vec::new(),
        )?;
        let index =
            VectorIndex::build(dims, bundle.vectors, &metadata_of(&bundle.records), &params)?;
        Self::assemble(model_id, dims, bundle.records, index, None, params)
    }

    /// Puts the parts together; the keyword index is built from the texts when not given.
    fn assemble(
        model_id: &str,
        dims: usize,
        records: Vec<Record>,
        index: VectorIndex,
        keywords: Option<KeywordIndex>,
        params: IndexParams,
    ) -> Result<Self> {
        let keywords = keywords.unwrap_or_else(|| {
            let mut k = KeywordIndex::new(Bm25Params::default());
            for (row, r) in records.iter().enumerate() {
                k.add(row as u32, &r.text);
            }
            k
        });
        let covered = (0..records.len() as u32).all(|row| keywords.contains(row));
        if keywords.len() != records.len() || !covered {
            return Err(Error::BadIndex(format!(
                "keyword index covers {} rows, the bundle has {}",
                keywords.len(),
                records.len()
            )));
        }
        let ids = records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i as u32))
            .collect();
        Ok(Self {
            model_id: model_id.to_string(),
            dims,
            unit_vectors: vec![None; records.len()],
            records,
            ids,
            index,
            keywords,
            params,
        })
    }

    /// Stores the vectors of each row's answer units (one entry per row, in row order;
    /// see [`answer::units`]), so that answering never embeds them (a bundle keeps them).
    /// Errors, changing nothing, when an entry does not hold one vector per unit.
    pub fn with_unit_vectors(mut self, units: Vec<Vec<f32>>) -> Result<Self> {
        check_unit_vectors(&self.records, &units, self.dims)?;
        self.unit_vectors = units.into_iter().map(Some).collect();
        Ok(self)
    }

    /// Stores the vectors of the live chunk `id`'s answer units (flat, one per unit of
    /// its text, in order), as [`with_unit_vectors`](Self::with_unit_vectors) does for
    /// every row: for chunks whose units were embedded after them. `Ok(false)` when no
    /// live chunk has that id; an error, changing nothing, when they are not one finite
    /// vector per unit.
    pub fn set_unit_vectors(&mut self, id: &str, units: Vec<f32>) -> Result<bool> {
        let Some(&row) = self.ids.get(id) else {
            return Ok(false);
        };
        let row = row as usize;
        check_unit_vectors(
            std::slice::from_ref(&self.records[row]),
            std::slice::from_ref(&units),
            self.dims,
        )?;
        self.unit_vectors[row] = Some(units);
        Ok(true)
    }

    /// The vector of the live chunk `id`.
    pub fn vector_of(&self, id: &str) -> Option<&[f32]> {
        self.index.vector(*self.ids.get(id)?)
    }

    /// The stored vectors of the answer units of the live chunk `id` (flat, one per
    /// unit of its text, in order), if they were embedded with it.
    pub fn unit_vectors(&self, id: &str) -> Option<&[f32]> {
        let row = *self.ids.get(id)? as usize;
        self.unit_vectors.get(row)?.as_deref()
    }

    /// Opens a bundle's contents without rebuilding its graphs (a bundle without an
    /// index section gets one built, which only small hand-made bundles lack).
    pub fn from_bundle(bundle: Bundle) -> Result<Self> {
        let dims = bundle.header.dims as usize;
        let metadata = metadata_of(&bundle.records);
        let params = IndexParams::default();
        let (index, keywords) = if bundle.index.is_empty() {
            (
                VectorIndex::build(dims, bundle.vectors, &metadata, &params)?,
                None,
            )
        } else {
            let stored: StoredIndexes = postcard::from_bytes(&bundle.index)
                .map_err(|e| Error::BadIndex(format!("index table: {e}")))?;
            let keywords = match KeywordIndex::from_bytes(&stored.keyword) {
                Ok(keywords) => Some(keywords),
                // An older benefind's word index: rebuilt from the rows' text.
                Err(e) if e.is_older_version() => None,
                Err(e) => return Err(Error::BadIndex(e.to_string())),
            };
            (
                VectorIndex::from_parts(dims, bundle.vectors, &metadata, &stored.vector)?,
                keywords,
            )
        };
        let mut collection = Self::assemble(
            &bundle.header.model_id,
            dims,
            bundle.records,
            index,
            keywords,
            params,
        )?;
        // A row's unit vectors are used only when they are one per unit of its text: a
        // bundle from a benefind that cut units otherwise has them embedded when asked.
        if let Some(units) = bundle.units {
            for ((slot, record), vectors) in collection
                .unit_vectors
                .iter_mut()
                .zip(&collection.records)
                .zip(units)
            {
                if vectors.len() == answer::units(&record.text).len() * dims {
                    *slot = Some(vectors);
                }
            }
        }
        Ok(collection)
    }

    /// Reads a bundle file's bytes, holding it to the embedder's model and dimension.
    pub fn from_bundle_bytes(bytes: &[u8], model_id: &str, dims: usize) -> Result<Self> {
        Self::from_bundle(Bundle::from_bytes_for(bytes, model_id, dims)?)
    }

    /// A bundle of the live rows, graphs included (compacting first if rows were added
    /// or deleted since the build).
    pub fn to_bundle(&self, encoding: VectorEncoding) -> Result<Bundle> {
        let compacted;
        let this = if !self.index.is_pristine() {
            compacted = self.compacted()?;
            &compacted
        } else {
            self
        };
        let mut vectors = Vec::with_capacity(this.records.len() * this.dims);
        for row in 0..this.records.len() as u32 {
            vectors.extend_from_slice(this.index.vector(row).unwrap_or(&[]));
        }
        // Written when every row has them; a bundle's UNITS section covers all records.
        let units: Option<Vec<Vec<f32>>> = this.unit_vectors.iter().cloned().collect();
        let bundle = Bundle::new(
            &this.model_id,
            this.dims,
            encoding,
            this.records.clone(),
            vectors,
            postcard::to_allocvec(&StoredIndexes {
                vector: this.index.graph_bytes()?,
                keyword: this.keywords.to_bytes(),
            })
            .map_err(|e| Error::InvalidInput(e.to_string()))?,
        )?;
        Ok(match units {
            Some(units) if !units.is_empty() => bundle.with_units(units)?,
            _ => bundle,
        })
    }

    /// The model whose vectors these are.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// Vector length.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Live chunks.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no live chunk is held.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Live chunks per policy.
    pub fn counts_by_policy(&self) -> std::collections::BTreeMap<String, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for &row in self.ids.values() {
            let policy = self.records[row as usize]
                .metadata
                .get(POLICY_FIELD)
                .and_then(Value::as_str);
            *counts.entry(policy.unwrap_or("").to_string()).or_insert(0) += 1;
        }
        counts
    }

    /// The record with this id, if live.
    pub fn get(&self, id: &str) -> Option<&Record> {
        self.ids.get(id).map(|&row| &self.records[row as usize])
    }

    /// Live records (any order).
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.ids.values().map(|&row| &self.records[row as usize])
    }

    /// Rows searched through graphs and rows scanned exactly.
    pub fn segment_sizes(&self) -> (usize, usize) {
        self.index.segment_sizes()
    }

    /// Adds records with their vectors; an id that exists is replaced. All-or-nothing:
    /// any invalid record or vector and nothing changes.
    /// Their answer units have no stored vectors: the second look embeds them when asked.
    pub fn upsert(&mut self, records: Vec<Record>, vectors: Vec<f32>) -> Result<usize> {
        if !records.is_empty() && vectors.len().is_multiple_of(records.len()) {
            check_dims(
                "ingested vectors",
                vectors.len() / records.len(),
                self.dims,
                &self.model_id,
            )?;
        }
        // Validates ids (unique, non-empty), lengths and values without touching self.
        let checked = Bundle::new(
            &self.model_id,
            self.dims,
            VectorEncoding::F32,
            records,
            vectors,
            Vec::new(),
        )?;
        let replaced: Vec<u32> = checked
            .records
            .iter()
            .filter_map(|r| self.ids.get(&r.id).copied())
            .collect();
        let first = self.index.append(&checked.vectors);
        self.index.delete(replaced.iter().copied());
        self.keywords.remove_rows(replaced.iter().copied());
        for (i, record) in checked.records.into_iter().enumerate() {
            let row = first + i as u32;
            self.keywords.add(row, &record.text);
            self.ids.insert(record.id.clone(), row);
            self.records.push(record);
            self.unit_vectors.push(None);
        }
        Ok(replaced.len())
    }

    /// Ids of the live chunks that `ids` name: a chunk id, or a document id (`doc_id`)
    /// standing for all its chunks. Unknown ids match nothing.
    pub fn matching_ids(&self, ids: &[String]) -> Vec<String> {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut found: Vec<String> = self
            .ids
            .iter()
            .filter(|(id, &row)| {
                wanted.contains(id.as_str())
                    || self.records[row as usize]
                        .metadata
                        .get("doc_id")
                        .and_then(Value::as_str)
                        .is_some_and(|d| wanted.contains(d))
            })
            .map(|(id, _)| id.clone())
            .collect();
        found.sort();
        found
    }

    /// Deletes chunks by id, and every chunk of a document whose `doc_id` is given.
    /// Returns how many chunks were deleted; unknown ids are ignored.
    pub fn delete(&mut self, ids: &[String]) -> usize {
        let rows: Vec<u32> = self
            .matching_ids(ids)
            .iter()
            .filter_map(|id| self.ids.remove(id))
            .collect();
        self.index.delete(rows.iter().copied());
        self.keywords.remove_rows(rows.iter().copied());
        rows.len()
    }

    /// Rebuilds graphs over the live rows (drops tombstones, folds the delta in).
    pub fn compact(&mut self) -> Result<()> {
        *self = self.compacted()?;
        Ok(())
    }

    fn compacted(&self) -> Result<Self> {
        let (index, mapping) = self
            .index
            .compact(&metadata_of(&self.records), &self.params)?;
        let mut records = Vec::with_capacity(self.ids.len());
        let mut unit_vectors = Vec::with_capacity(self.ids.len());
        for (row, new) in mapping.iter().enumerate() {
            if new.is_some() {
                records.push(self.records[row].clone());
                unit_vectors.push(self.unit_vectors[row].clone());
            }
        }
        let mut compacted = Self::assemble(
            &self.model_id,
            self.dims,
            records,
            index,
            None,
            self.params.clone(),
        )?;
        compacted.unit_vectors = unit_vectors;
        Ok(compacted)
    }

    /// The k chunks nearest to `vector` that match `filter`, best first.
    pub fn query_vector(
        &self,
        vector: &[f32],
        k: usize,
        filter: Option<&Filter>,
    ) -> Result<Vec<SearchHit>> {
        Ok(self.query_vector_with_stats(vector, k, filter)?.0)
    }

    /// [`query_vector`](Self::query_vector) plus what the index did.
    pub fn query_vector_with_stats(
        &self,
        vector: &[f32],
        k: usize,
        filter: Option<&Filter>,
    ) -> Result<(Vec<SearchHit>, SearchStats)> {
        self.check_query(vector, k)?;
        let policy = filter.and_then(|f| f.pinned_value(POLICY_FIELD));
        let accept = self.acceptor(filter);
        let (hits, stats) = self.index.search(vector, k, policy, &accept);
        let hits = hits
            .into_iter()
            .filter_map(|n| self.hit(n.row, n.score))
            .collect();
        Ok((hits, stats))
    }

    /// The k best chunks for a question under `filter`: by its vector, its words (BM25),
    /// or both fused by normalised score. `score` is always the cosine similarity to the
    /// question's vector; the order is the mode's ranking.
    pub fn query_text(
        &self,
        question: &str,
        vector: &[f32],
        k: usize,
        filter: Option<&Filter>,
        mode: SearchMode,
    ) -> Result<Vec<SearchHit>> {
        self.query_text_with(question, vector, k, filter, mode, true)
    }

    /// [`query_text`](Self::query_text) with the keyword channel's member-vocabulary
    /// expansion on or off (off: plain BM25 of the typed words). Only the quality
    /// benchmark turns it off, to measure what the expansion table does.
    pub fn query_text_with(
        &self,
        question: &str,
        vector: &[f32],
        k: usize,
        filter: Option<&Filter>,
        mode: SearchMode,
        expand: bool,
    ) -> Result<Vec<SearchHit>> {
        let mut hits = match mode {
            SearchMode::Vector => self.query_vector(vector, k, filter)?,
            SearchMode::Keyword | SearchMode::Hybrid => {
                self.check_query(vector, k)?;
                let accept = self.acceptor(filter);
                let n = k.max(FUSION_CANDIDATES);
                let policy = filter.and_then(|f| f.pinned_value(POLICY_FIELD));
                let words = self.keywords.search_with(question, n, &accept, expand);
                let rows: Vec<u32> = if mode == SearchMode::Keyword {
                    words.into_iter().take(k).map(|(row, _)| row).collect()
                } else {
                    let (near, _) = self.index.search(vector, n, policy, &accept);
                    let near: Vec<(u32, f32)> =
                        near.into_iter().map(|h| (h.row, h.score)).collect();
                    fuse_channels(question, &near, &words, k, |row| {
                        self.records.get(row as usize).map(|r| r.text.as_str())
                    })
                };
                rows.into_iter()
                    .filter_map(|row| self.hit_near(row, vector))
                    .collect()
            }
        };
        for h in &mut hits {
            h.highlights = KeywordIndex::matched_spans(question, &h.text);
        }
        Ok(hits)
    }

    /// The answer to `question` among `hits` (this collection's ranked results for it),
    /// or an abstention: see [`answer`](mod@answer). Word rarity is this collection's;
    /// `closeness` measures sentences against the question with the model that ranked
    /// `hits` (the [`Engine`] passes its embedder's).
    pub fn answer(
        &self,
        question: &str,
        hits: Vec<SearchHit>,
        closeness: Option<&answer::Closeness<'_>>,
    ) -> Result<answer::Answered> {
        answer::answer(
            question,
            hits,
            &|word| self.keywords.idf(word),
            answer::AbstainPolicy::default(),
            closeness,
        )
    }

    /// Brings into the passages an answer reads (the first [`answer::PASSAGES`] of
    /// `hits`, ranked for `question` under `filter`) a passage that mentions a service
    /// the question names where none of them does: a careful reader looks through the
    /// rest of the plan's documents for "telehealth" before saying they don't mention
    /// it. The passage, the one the question's words and the service's names rank first
    /// among those under `filter` that mention it, takes the place of the last passage
    /// read, which moves down a place (the last hit of `hits` makes room: there are as
    /// many); several take the last places read, in the order found. At most as many
    /// services as places read are looked for.
    pub fn bring_named_services(
        &self,
        question: &str,
        vector: &[f32],
        hits: &mut Vec<SearchHit>,
        filter: Option<&Filter>,
    ) {
        let read = hits.len().min(answer::PASSAGES);
        let accept = self.acceptor(filter);
        let rows = rows_naming_services(
            question,
            hits.iter().map(|h| h.text.as_str()),
            read,
            &self.keywords,
            &accept,
            NAMED_SERVICE_CANDIDATES,
            |row| self.records.get(row as usize).map(|r| r.text.as_str()),
        );
        let brought: Vec<SearchHit> = rows
            .into_iter()
            .filter_map(|row| {
                let mut hit = self.hit_near(row, vector)?;
                hit.highlights = KeywordIndex::matched_spans(question, &hit.text);
                Some(hit)
            })
            .collect();
        into_last_places(hits, brought, read, |a, b| a.id == b.id);
    }

    fn check_query(&self, vector: &[f32], k: usize) -> Result<()> {
        check_dims("query vector", vector.len(), self.dims, &self.model_id)?;
        if k == 0 || k > MAX_K {
            return Err(Error::InvalidInput(format!(
                "k must be between 1 and {MAX_K}, got {k}"
            )));
        }
        if vector.iter().any(|x| !x.is_finite()) {
            return Err(Error::InvalidInput(
                "query vector has a non-finite value".into(),
            ));
        }
        Ok(())
    }

    /// Row predicate for a filter (the indexes only ever offer live rows).
    fn acceptor<'a>(&'a self, filter: Option<&'a Filter>) -> impl Fn(u32) -> bool + 'a {
        move |row: u32| match filter {
            None => true,
            Some(f) => self
                .records
                .get(row as usize)
                .is_some_and(|r| f.matches(&r.metadata)),
        }
    }

    /// Row `row`'s hit scored by its cosine similarity to `vector`.
    fn hit_near(&self, row: u32, vector: &[f32]) -> Option<SearchHit> {
        self.hit(row, dot(vector, self.index.vector(row)?))
    }

    fn hit(&self, row: u32, score: f32) -> Option<SearchHit> {
        let r = self.records.get(row as usize)?;
        Some(SearchHit {
            id: r.id.clone(),
            score,
            distance: 1.0 - score,
            text: r.text.clone(),
            metadata: r.metadata.clone(),
            highlights: Vec::new(),
        })
    }

    /// The next free `chunk_index` for default ids of `policy`.
    fn next_chunk_index(&self, policy: &str) -> usize {
        let prefix = format!("{policy}_chunk_");
        self.ids
            .keys()
            .filter_map(|id| id.strip_prefix(&prefix)?.parse::<usize>().ok())
            .max()
            .map_or(0, |m| m + 1)
    }
}

/// Chunks documents into records: ids (`{doc id}_chunk_{i:04}`, or for documents
/// without an id `{policy}_chunk_{n:04}` continuing at `first_index(policy)`) and
/// metadata (`policy`, `source`, `chunk_index`, `section`, `doc_id`) assigned, nothing
/// embedded. Shared by the local engine and the cloud path.
pub fn chunk_docs(
    docs: &[IngestDoc],
    counter: &dyn TokenCounter,
    chunking: &ChunkOptions,
    first_index: &mut dyn FnMut(&str) -> usize,
) -> Result<Vec<Record>> {
    let mut next_index: HashMap<String, usize> = HashMap::new();
    let mut records = Vec::new();
    let mut seen_docs = HashSet::new();
    for (n, doc) in docs.iter().enumerate() {
        let policy = doc.policy.trim();
        let size = doc.content().len();
        if size > MAX_DOCUMENT_BYTES {
            return Err(Error::InvalidInput(format!(
                "document {n} has {size} bytes of text; the limit is {MAX_DOCUMENT_BYTES} (split it into smaller documents)"
            )));
        }
        if doc.layout.is_some() && !doc.text.trim().is_empty() {
            return Err(Error::InvalidInput(format!(
                "document {n} has both text and a layout; give one"
            )));
        }
        if policy.is_empty() {
            return Err(Error::InvalidInput(format!(
                "document {n}: policy is empty"
            )));
        }
        if let Some(id) = &doc.id {
            if id.trim().is_empty() || !seen_docs.insert(id.clone()) {
                return Err(Error::InvalidInput(format!(
                    "document {n}: id {id:?} is empty or repeated"
                )));
            }
        }
        let source = doc
            .source
            .clone()
            .or_else(|| doc.id.clone())
            .unwrap_or_else(|| "ingested".into());
        let document = Document {
            text: &doc.text,
            policy,
            source: &source,
        };
        let chunks = match &doc.layout {
            Some(layout) => chunk_layout(layout, &document, counter, chunking)?,
            None => chunk_document(&document, counter, chunking)?,
        };
        if chunks.is_empty() {
            return Err(Error::InvalidInput(format!(
                "document {n} ({source}) has no text"
            )));
        }
        for chunk in chunks {
            let id = match &doc.id {
                Some(doc_id) => format!("{doc_id}_chunk_{:04}", chunk.chunk_index),
                None => {
                    let next = next_index
                        .entry(policy.to_string())
                        .or_insert_with(|| first_index(policy));
                    let id = default_id(policy, *next);
                    *next += 1;
                    id
                }
            };
            let mut metadata = doc.metadata.clone();
            metadata.insert(POLICY_FIELD.into(), policy.into());
            metadata.insert("source".into(), source.clone().into());
            metadata.insert("chunk_index".into(), chunk.chunk_index.into());
            metadata.insert("section".into(), chunk.section.into());
            if let Some(page) = chunk.page {
                metadata.insert("page".into(), page.into());
            }
            if let Some(doc_id) = &doc.id {
                metadata.insert("doc_id".into(), doc_id.clone().into());
            }
            records.push(Record {
                id,
                text: chunk.text,
                metadata,
            });
        }
    }
    Ok(records)
}

impl TokenCounter for crate::embed::TokenLength {
    fn count_tokens(&self, text: &str) -> Result<usize> {
        self.count(text)
    }
}

impl TokenCounter for Embedder {
    fn count_tokens(&self, text: &str) -> Result<usize> {
        Embedder::count_tokens(self, text)
    }
}

/// A query: a question (embedded) or a vector, how many results, and a where-filter.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    /// Text to embed.
    #[serde(default)]
    pub question: Option<String>,
    /// A ready vector (must have the model's dimension).
    #[serde(default)]
    pub vector: Option<Vec<f32>>,
    /// Results wanted (default 3, at most 100).
    #[serde(default)]
    pub k: Option<usize>,
    /// Chroma/S3-Vectors-style filter, as JSON.
    #[serde(default, rename = "where")]
    pub filter: Option<Value>,
    /// vector, keyword or hybrid (default); a vector query is always vector-only.
    #[serde(default)]
    pub mode: Option<SearchMode>,
}

impl Query {
    /// The question as the engine reads it: typed plainly ([`intent::typed_plainly`]),
    /// so that curly quotes from a phone keyboard, or stray spaces, ask what the same
    /// question typed plainly asks.
    pub fn question(&self) -> Option<Cow<'_, str>> {
        self.question.as_deref().map(intent::typed_plainly)
    }

    /// `question` over one plan's chunks, k = [`DEFAULT_K`], the default (hybrid) mode:
    /// what [`Engine::search`] and [`Engine::ask`] run.
    pub fn for_policy(question: &str, policy: &str) -> Self {
        Self {
            question: Some(question.to_string()),
            k: Some(DEFAULT_K),
            filter: Some(Value::Object(Map::from_iter([(
                POLICY_FIELD.to_string(),
                Value::from(policy),
            )]))),
            ..Self::default()
        }
    }
}

/// A question as the engine read it ([`Query::question`]) and its vector.
type Asked<'q> = (Cow<'q, str>, Vec<f32>);

/// The embedder and a collection: what `ingest` and `search` need.
pub struct Engine {
    embedder: Embedder,
    collection: Collection,
    chunking: ChunkOptions,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("collection", &self.collection)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Pairs an embedder with a collection of the same model and dimension.
    pub fn new(embedder: Embedder, collection: Collection) -> Result<Self> {
        check_dims(
            "collection",
            collection.dims(),
            embedder.dims(),
            embedder.model_id(),
        )?;
        if collection.model_id() != embedder.model_id() {
            return Err(Error::Bundle(crate::bundle::BundleError::ModelMismatch {
                expected: embedder.model_id().to_string(),
                got: collection.model_id().to_string(),
            }));
        }
        Ok(Self {
            embedder,
            collection,
            chunking: ChunkOptions::default(),
        })
    }

    /// An engine with an empty collection.
    pub fn empty(embedder: Embedder) -> Result<Self> {
        let collection = Collection::build(
            embedder.model_id(),
            embedder.dims(),
            Vec::new(),
            Vec::new(),
            IndexParams::default(),
        )?;
        Self::new(embedder, collection)
    }

    /// The embedder.
    pub fn embedder(&self) -> &Embedder {
        &self.embedder
    }

    /// Gives the embedder back (to reopen a collection without reloading the model).
    pub fn into_embedder(self) -> Embedder {
        self.embedder
    }

    /// The collection.
    pub fn collection(&self) -> &Collection {
        &self.collection
    }

    /// Mutable collection (delete, compact).
    pub fn collection_mut(&mut self) -> &mut Collection {
        &mut self.collection
    }

    /// Chunks documents into records (ids and metadata assigned), without embedding.
    pub fn chunk(&self, docs: &[IngestDoc]) -> Result<Vec<Record>> {
        Ok(self.chunk_for_ingest(docs)?.records)
    }

    /// Chunks documents for [`prepare_ingest_chunked`](Self::prepare_ingest_chunked),
    /// which takes them with vectors embedded elsewhere.
    pub fn chunk_for_ingest(&self, docs: &[IngestDoc]) -> Result<ChunkedIngest> {
        let mut first_indexes = Vec::new();
        let records = chunk_docs(docs, &self.embedder, &self.chunking, &mut |policy| {
            let first = self.collection.next_chunk_index(policy);
            first_indexes.push((policy.to_owned(), first));
            first
        })?;
        Ok(ChunkedIngest {
            doc_ids: docs.iter().filter_map(|d| d.id.clone()).collect(),
            records,
            first_indexes,
        })
    }

    /// Chunks, embeds and adds documents. All-or-nothing: a bad document, a failed
    /// embedding or an invalid record leaves the collection as it was.
    pub fn ingest(&mut self, docs: &[IngestDoc]) -> Result<IngestReport> {
        self.ingest_with_progress(docs, &mut |_, _| {})
    }

    /// [`ingest`](Self::ingest), calling `progress(done, total)` after each embedded batch.
    pub fn ingest_with_progress(
        &mut self,
        docs: &[IngestDoc],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<IngestReport> {
        let prepared = self.prepare_ingest(docs, progress)?;
        self.apply_ingest(prepared)
    }

    /// The expensive, fallible half of an ingest: chunks, embeds and validates, without
    /// changing anything. A store writes the result, then [`apply_ingest`](Self::apply_ingest)
    /// makes it searchable, so memory and storage change together or not at all.
    pub fn prepare_ingest(
        &self,
        docs: &[IngestDoc],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<PreparedIngest> {
        let chunked = self.chunk_for_ingest(docs)?;
        let vectors = self.embed_records(&chunked.records, progress)?;
        self.prepared(&chunked.doc_ids, chunked.records, vectors)
    }

    /// [`prepare_ingest`](Self::prepare_ingest) with the vectors embedded elsewhere (the
    /// browser embeds in several workers): `vectors` holds one vector of this engine's
    /// dimension for each of `chunked`'s texts, in order. Errors with
    /// [`Error::InvalidInput`] naming both counts when the numbers do not match, and when
    /// the collection gained chunks of a policy whose id-less documents were numbered
    /// after them since `chunked` was made.
    pub fn prepare_ingest_chunked(
        &self,
        chunked: ChunkedIngest,
        vectors: Vec<f32>,
    ) -> Result<PreparedIngest> {
        let ChunkedIngest {
            doc_ids,
            records,
            first_indexes,
        } = chunked;
        let dims = self.embedder.dims();
        if vectors.len() != records.len() * dims {
            return Err(Error::InvalidInput(format!(
                "{} vector values were given for {} chunks of {dims} dimensions; {} were expected",
                vectors.len(),
                records.len(),
                records.len() * dims
            )));
        }
        for (policy, first) in &first_indexes {
            let now = self.collection.next_chunk_index(policy);
            if now != *first {
                return Err(Error::InvalidInput(format!(
                    "policy {policy} has chunks up to number {now} now, but these documents \
                     were numbered from {first} when they were chunked: chunk them again"
                )));
            }
        }
        self.prepared(&doc_ids, records, vectors)
    }

    /// Validates chunks and their vectors into a prepared ingest.
    fn prepared(
        &self,
        doc_ids: &[String],
        records: Vec<Record>,
        vectors: Vec<f32>,
    ) -> Result<PreparedIngest> {
        // Replacing a document replaces all its old chunks, not only same-numbered ones.
        let new_ids: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
        let stale: Vec<String> = self
            .collection
            .matching_ids(doc_ids)
            .into_iter()
            .filter(|id| !new_ids.contains(id.as_str()))
            .collect();
        let replaced = records
            .iter()
            .filter(|r| self.collection.get(&r.id).is_some())
            .count();
        // The same checks upsert makes, run now so that apply cannot fail afterwards.
        Bundle::new(
            self.collection.model_id(),
            self.collection.dims(),
            VectorEncoding::F32,
            records.clone(),
            vectors.clone(),
            Vec::new(),
        )?;
        Ok(PreparedIngest {
            report: IngestReport {
                chunks: records.len(),
                replaced: replaced + stale.len(),
                ids: records.iter().map(|r| r.id.clone()).collect(),
            },
            records,
            vectors,
            stale,
        })
    }

    /// Makes a prepared ingest searchable (see [`prepare_ingest`](Self::prepare_ingest)).
    pub fn apply_ingest(&mut self, prepared: PreparedIngest) -> Result<IngestReport> {
        self.collection.upsert(prepared.records, prepared.vectors)?;
        self.collection.delete(&prepared.stale);
        Ok(prepared.report)
    }

    /// Embeds the texts of records in batches, reporting progress.
    pub fn embed_records(
        &self,
        records: &[Record],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<f32>> {
        let texts: Vec<&str> = records.iter().map(|r| r.text.as_str()).collect();
        self.embed_texts(&texts, progress)
    }

    /// The vectors of each record's answer units ([`answer::units`]), for
    /// [`Collection::with_unit_vectors`], embedded in batches, reporting progress.
    pub fn embed_units(
        &self,
        records: &[Record],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<Vec<f32>>> {
        let per_record: Vec<Vec<&str>> = records
            .iter()
            .map(|r| answer::unit_texts(&r.text))
            .collect();
        let texts: Vec<&str> = per_record.iter().flatten().copied().collect();
        let mut all = self.embed_texts(&texts, progress)?.into_iter();
        let dims = self.embedder.dims();
        Ok(per_record
            .iter()
            .map(|units| all.by_ref().take(units.len() * dims).collect())
            .collect())
    }

    /// Embeds texts in batches (flat vectors, in order), reporting progress.
    fn embed_texts(
        &self,
        texts: &[&str],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<f32>> {
        const BATCH: usize = 32;
        let mut vectors = Vec::with_capacity(texts.len() * self.embedder.dims());
        let total = texts.len();
        for (i, batch) in texts.chunks(BATCH).enumerate() {
            for v in self.embedder.embed(batch)? {
                vectors.extend_from_slice(&v);
            }
            progress((i * BATCH + batch.len()).min(total), total);
        }
        Ok(vectors)
    }

    /// The top [`DEFAULT_K`] chunks of `policy` for a member's question.
    pub fn search(&self, question: &str, policy: &str) -> Result<Vec<SearchHit>> {
        self.query(&Query::for_policy(question, policy))
    }

    /// [`search`](Self::search) with the answer read from the results (or `None`
    /// when the plan's documents do not answer; see [`answer`](mod@answer)).
    pub fn ask(&self, question: &str, policy: &str) -> Result<answer::Answered> {
        self.ask_query(&Query::for_policy(question, policy))
    }

    /// [`query`](Self::query) with the answer. A vector query has no words to answer
    /// with: its `answer` is always `None`.
    pub fn ask_query(&self, query: &Query) -> Result<answer::Answered> {
        let filter = query.filter.as_ref().map(Filter::parse).transpose()?;
        let (mut hits, asked) = self.run(query, filter.as_ref())?;
        let Some((question, vector)) = asked else {
            return Ok(answer::Answered::unanswered(hits));
        };
        self.collection
            .bring_named_services(&question, &vector, &mut hits, filter.as_ref());
        // Sentences are measured as the passages were: embedded, against the question;
        // by the vectors stored with the passage when it has them.
        let dims = self.embedder.dims();
        let stored = |hit: &SearchHit| -> Option<Vec<f32>> {
            let units = self.collection.unit_vectors(&hit.id)?;
            Some(units.chunks_exact(dims).map(|u| dot(&vector, u)).collect())
        };
        let embedded = |texts: &[&str]| -> Result<Vec<f32>> {
            Ok(self
                .embedder
                .embed(texts)?
                .iter()
                .map(|t| dot(&vector, t))
                .collect())
        };
        let closeness = answer::Closeness {
            stored: &stored,
            embedded: &embedded,
        };
        self.collection.answer(&question, hits, Some(&closeness))
    }

    /// The vector a question is searched and answered by. A question in a member's
    /// words ("doctor visits while I'm expecting") is embedded twice, as typed and with
    /// the plan words the member vocabulary adds for them ([`keyword::with_plan_words`]:
    /// "… (pregnancy maternity prenatal)"), in one batch, and searched by the normalised
    /// mean of the two: the model alone does not read "expecting" as a pregnancy, and
    /// the typed question keeps the rest of what was asked in view. A question with no
    /// vocabulary word is embedded once, as typed.
    ///
    /// Measured on 2026-12-07 against the question embedded once (`benefind bench sbc
    /// --weights int8`, top-1): chosen on the looked-at halves between the expanded
    /// question alone and the mean (dev 0.875 → 0.911 / 0.906, dev4 0.901 → 0.891 /
    /// 0.901, dev5 0.922 → 0.922 / 0.932); the halves never looked at, with the mean:
    /// held-out 0.812 → 0.823, fresh 0.688 → 0.694, fresh3 0.708 → 0.724, fresh5 0.755
    /// unchanged, fresh6 0.734 → 0.750, and answerable questions abstaining fresh 0.201
    /// → 0.160, fresh3 0.344 → 0.333, fresh6 0.125 → 0.115. The sample set's hybrid
    /// top-1 (`bench quality`) held-out 0.868 → 0.897, dev 0.881 and fresh 0.786
    /// unchanged; its answers (`bench answers`) unchanged but fresh accuracy 0.800 →
    /// 0.833.
    pub fn question_vector(&self, question: &str) -> Result<Vec<f32>> {
        let Some(expanded) = keyword::with_plan_words(question) else {
            return self.embedder.embed_one(question);
        };
        let both = self.embedder.embed(&[question, expanded.as_str()])?;
        let mut mean: Vec<f32> = both[0].iter().zip(&both[1]).map(|(a, b)| a + b).collect();
        l2_normalize(&mut mean);
        Ok(mean)
    }

    /// A general query: question or vector, k, where-filter.
    pub fn query(&self, query: &Query) -> Result<Vec<SearchHit>> {
        let filter = query.filter.as_ref().map(Filter::parse).transpose()?;
        Ok(self.run(query, filter.as_ref())?.0)
    }

    /// [`query`](Self::query), with the question as read ([`Query::question`]) and its
    /// vector when it asked one.
    fn run<'q>(
        &self,
        query: &'q Query,
        filter: Option<&Filter>,
    ) -> Result<(Vec<SearchHit>, Option<Asked<'q>>)> {
        let k = query.k.unwrap_or(DEFAULT_K);
        match (query.question(), &query.vector) {
            (Some(q), None) => {
                if q.trim().is_empty() {
                    return Err(Error::InvalidInput("the question is empty".into()));
                }
                // A word typed with a slip is read as the documents spell it, by every
                // channel (`KeywordIndex::respelled`).
                let q = match self.collection.keywords.respelled(&q) {
                    Cow::Owned(respelled) => Cow::Owned(respelled),
                    Cow::Borrowed(_) => q,
                };
                let vector = self.question_vector(&q)?;
                let mode = query.mode.unwrap_or_default();
                let hits = self.collection.query_text(&q, &vector, k, filter, mode)?;
                Ok((hits, Some((q, vector))))
            }
            (None, Some(v)) => {
                if query.mode.is_some_and(|m| m != SearchMode::Vector) {
                    return Err(Error::InvalidInput(
                        "a vector query has no words: mode must be vector".into(),
                    ));
                }
                Ok((self.collection.query_vector(v, k, filter)?, None))
            }
            _ => Err(Error::InvalidInput(
                "give exactly one of question or vector".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two SBC rows as the chunker writes them (`flat`: as one line each): the
    /// specialist row's limitations name urgent care twice, the urgent-care row names
    /// it once, in its label.
    fn sbc_rows(flat: bool) -> Collection {
        let texts = [
            "Common Medical Event: If you visit a health care provider's office or clinic\n\
             Services You May Need: Specialist visit\n\
             Network Provider: $40 copay\n\
             Limitations: Referral needed, except from urgent care; urgent care referrals count",
            "Common Medical Event: If you need immediate medical attention\n\
             Services You May Need: Urgent care\n\
             Network Provider: $75 copay",
        ];
        let records = texts
            .iter()
            .enumerate()
            .map(|(i, text)| Record {
                id: format!("row{i}"),
                text: if flat {
                    text.replace('\n', " ")
                } else {
                    (*text).to_string()
                },
                metadata: Map::new(),
            })
            .collect();
        Collection::build(
            "m",
            2,
            records,
            vec![1.0, 0.0, 0.0, 1.0],
            IndexParams::default(),
        )
        .expect("collection")
    }

    fn keyword_ids(collection: &Collection, question: &str) -> Vec<String> {
        collection
            .query_text(question, &[1.0, 0.0], 2, None, SearchMode::Keyword)
            .expect("search")
            .into_iter()
            .map(|h| h.id)
            .collect()
    }

    #[test]
    fn a_rows_label_outweighs_the_services_its_limitations_mention() {
        let rows = sbc_rows(false);
        assert_eq!(keyword_ids(&rows, "urgent care"), ["row1", "row0"]);
        // Words are words: the same text as prose has no label to weigh.
        assert_eq!(
            keyword_ids(&sbc_rows(true), "urgent care"),
            ["row0", "row1"]
        );
        assert_eq!(keyword_ids(&rows, "specialist"), ["row0"]);
    }

    #[test]
    fn a_bundles_older_word_index_is_rebuilt_from_its_text() {
        let bundle = sbc_rows(false)
            .to_bundle(VectorEncoding::F32)
            .expect("bundle");
        let index = |bundle: &Bundle| -> StoredIndexes {
            postcard::from_bytes(&bundle.index).expect("index")
        };
        // The word index version 1 wrote weighed a row's label like its other words,
        // as the rows read as prose do: the limitations' two mentions would win.
        let flat = sbc_rows(true)
            .to_bundle(VectorEncoding::F32)
            .expect("bundle");
        let with_words = |keyword: Vec<u8>, version: u8| {
            let mut stored = index(&bundle);
            stored.keyword = keyword;
            stored.keyword[0] = version;
            let mut b = bundle.clone();
            b.index = postcard::to_allocvec(&stored).expect("encodes");
            Collection::from_bundle(b)
        };
        let old = with_words(index(&flat).keyword, 1).expect("an older index");
        assert_eq!(keyword_ids(&old, "urgent care"), ["row1", "row0"]);
        // A newer one is not guessed at.
        let err = with_words(index(&bundle).keyword, 9).expect_err("newer index");
        assert!(err.to_string().contains("version 9"), "{err}");
    }

    #[test]
    fn a_named_service_is_looked_for_in_the_rest_of_the_plan() {
        // Plan P's first three passages are closest to the question by vector; its
        // dialysis row is fourth. Plan Q's dialysis row is another plan's.
        let texts = [
            ("P", "Specialist visit: $40 copay."),
            ("P", "Office visits count toward your deductible."),
            ("P", "Family members may join the family plan."),
            (
                "P",
                "Other covered services: Hemodialysis, $30 copay per treatment.",
            ),
            ("Q", "Dialysis is covered at no charge."),
            ("P", "Chemotherapy: 20% coinsurance."),
        ];
        let records = texts
            .iter()
            .enumerate()
            .map(|(i, (policy, text))| Record {
                id: format!("p{i}"),
                text: (*text).to_string(),
                metadata: Map::from_iter([(POLICY_FIELD.to_string(), Value::from(*policy))]),
            })
            .collect();
        let vectors: [[f32; 2]; 6] = [
            [1.0, 0.0],
            [0.9, 0.1],
            [0.8, 0.2],
            [0.8, 0.5],
            [0.9, 0.1],
            [0.7, 0.7],
        ];
        let collection = Collection::build(
            "m",
            2,
            records,
            vectors
                .iter()
                .flat_map(|[x, y]| [x / x.hypot(*y), y / x.hypot(*y)])
                .collect(),
            IndexParams::default(),
        )
        .expect("collection");
        let q = "Is dialysis covered for my dad?";
        let plan_p = Filter::parse(&serde_json::json!({"policy": "P"})).expect("filter");
        let ids = |hits: &[SearchHit]| hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
        let mut hits = collection
            .query_text(q, &[1.0, 0.0], 3, Some(&plan_p), SearchMode::Vector)
            .expect("search");
        assert_eq!(ids(&hits), ["p0", "p1", "p2"]);
        let unbrought = collection.answer(q, hits.clone(), None).expect("answer");
        assert_eq!(unbrought.answer, None);
        assert_eq!(unbrought.missing, ["dialysis"]);
        // The row that says "dialysis" by another of its names takes the last place
        // read, and answers: it prices what was asked.
        collection.bring_named_services(q, &[1.0, 0.0], &mut hits, Some(&plan_p));
        assert_eq!(ids(&hits), ["p0", "p1", "p3"]);
        let answered = collection.answer(q, hits, None).expect("answer");
        let text = answered.answer.expect("answered").text;
        assert!(text.contains("$30"), "{text}");
        // Two services: each brought takes a place, from the last one read upwards.
        let two = "Are dialysis and chemotherapy covered?";
        let mut hits = collection
            .query_text(two, &[1.0, 0.0], 3, Some(&plan_p), SearchMode::Vector)
            .expect("search");
        collection.bring_named_services(two, &[1.0, 0.0], &mut hits, Some(&plan_p));
        let mut brought = ids(&hits[1..]);
        brought.sort();
        assert_eq!(
            (hits[0].id.as_str(), brought),
            ("p0", vec!["p3".to_string(), "p5".to_string()])
        );
        // Under plan Q's filter its own row is brought, never plan P's.
        let plan_q = Filter::parse(&serde_json::json!({"policy": "Q"})).expect("filter");
        let mut hits = collection
            .query_text(q, &[1.0, 0.0], 3, Some(&plan_p), SearchMode::Vector)
            .expect("search");
        hits.truncate(2);
        collection.bring_named_services(q, &[1.0, 0.0], &mut hits, Some(&plan_q));
        assert_eq!(ids(&hits), ["p0", "p4"]);
        // A plan that never mentions it keeps its passages.
        let plan_r = Filter::parse(&serde_json::json!({"policy": "R"})).expect("filter");
        let mut hits = collection
            .query_text(q, &[1.0, 0.0], 3, Some(&plan_p), SearchMode::Vector)
            .expect("search");
        collection.bring_named_services(q, &[1.0, 0.0], &mut hits, Some(&plan_r));
        assert_eq!(ids(&hits), ["p0", "p1", "p2"]);
    }

    #[test]
    fn hybrid_rerank_lifts_the_passage_whose_words_match() {
        let candidates = [
            ("Summary of benefits for the plan year.", 0.62),
            ("How this plan works with your doctor.", 0.60),
            ("Preventive care: annual physical covered at 100%.", 0.55),
            ("Emergency room visits cost $250.", 0.40),
        ];
        // By vector alone the summary is first; the question's words pick preventive care.
        let order = hybrid_rerank("Is my annual physical covered?", &candidates, 3);
        assert_eq!(order.len(), 3);
        assert_eq!(order[0], 2);
        // A slip is read as the candidates spell it: "physcial" is "physical".
        assert_eq!(
            hybrid_rerank("when is my next physcial", &candidates, 3)[0],
            2
        );
        // No word in common: the vector order stands.
        assert_eq!(hybrid_rerank("zzz", &candidates, 4), vec![0, 1, 2, 3]);
        assert!(hybrid_rerank("anything", &[], 3).is_empty());
    }

    #[test]
    fn hybrid_rerank_brings_a_passage_naming_the_asked_service_into_those_read() {
        let candidates = [
            (
                "Physical therapy visits: $40 copay, 30 visits a year, for back pain.",
                0.70,
            ),
            (
                "Physical therapy after surgery: covered in full for 60 days.",
                0.68,
            ),
            (
                "Back pain: physical therapy and chiropractor visits cost $40.",
                0.66,
            ),
            (
                "Physical therapy for back pain needs a referral from your PCP.",
                0.64,
            ),
            (
                "Services the plan does not cover: acupuncture, cosmetic surgery, hearing \
                 aids, long-term care, private-duty nursing, routine foot care, weight loss \
                 programs, infertility treatment, custodial care and dental care for adults.",
                0.05,
            ),
        ];
        let q = "does the plan pay for acupuncture for my back pain after physical therapy visits?";
        // Fused, the physical therapy passages fill the places the answer reads
        // ([0, 2, 1, 4]); the exclusions list that names acupuncture takes the last of
        // them (the third) and the passage there moves down, as the local `ask` brings it.
        assert_eq!(hybrid_rerank(q, &candidates, 4), vec![0, 2, 4, 1]);
    }
}
