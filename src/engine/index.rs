//! The vector index: cosine search over unit vectors with exact metadata filtering.
//!
//! It owns *which rows are searched how*. Rows are split into segments:
//!
//! - **Graph segments**, built once (natively) with `instant-distance`'s HNSW: one per
//!   policy value when a collection has at most [`MAX_POLICY_SEGMENTS`] policies (a policy
//!   filter then searches only that plan's graph, no post-filtering), otherwise one for
//!   all rows. Graphs are stored in the bundle and loaded without rebuilding.
//! - **Exact segments**: segments too small to be worth a graph, and the *delta* of rows
//!   ingested after the build, which are scanned exactly. [`VectorIndex::compact`] folds
//!   the delta into new graphs when it has grown.
//!
//! - The **overview graph**: when rows are split into two or more per-policy graphs, one
//!   more graph over every base row serves queries not pinned to one policy (an
//!   unfiltered query then walks one graph instead of one per plan). It costs a second
//!   build over the same rows and its links in the bundle; the vectors are shared.
//!
//! Deleted rows are tombstoned and skipped; compaction drops them.
//!
//! Filtered search is exact in the sense users expect: whenever at least k rows match,
//! k are returned, ranked as exact search would. For each graph segment the graph's
//! candidates (nearest first) are filtered; they are trusted only if the k-th match sits
//! in the first half of the candidate list — otherwise matches are too sparse for the
//! graph to have seen the true top k, and that segment is scanned exactly instead.
//! A non-matching row is never returned.
//!
//! The graph encoding: `postcard` of instant-distance's `Hnsw`, whose points serialise
//! as their row number (the vectors live once, in the bundle's own encoding). Before the
//! bytes reach `Hnsw`, they are decoded into a mirror of its layout and every link is
//! checked, so a crafted bundle cannot make a search index out of bounds.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use instant_distance::{Builder, Hnsw, Point, Search};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_big_array::BigArray;

use crate::error::{Error, Result};
use crate::vector::dot;

/// Up to this many distinct policies get one graph each; more share one graph.
pub const MAX_POLICY_SEGMENTS: usize = 16;
/// The metadata field that names a row's plan.
pub const POLICY_FIELD: &str = "policy";

/// instant-distance's fixed `M` (links per node on upper layers; twice that on layer 0).
const M: usize = 32;
/// Marks an empty link slot in instant-distance's layout.
const INVALID: u32 = u32::MAX;

/// How graphs are built.
#[derive(Debug, Clone)]
pub struct IndexParams {
    /// Candidate list size while building (instant-distance's default is 100).
    pub ef_construction: usize,
    /// Candidates a search returns per graph; fixed at build time by instant-distance.
    pub ef_search: usize,
    /// Segments with fewer rows are scanned exactly: a scan of a few thousand vectors
    /// costs less than a graph walk and needs no build.
    pub min_graph_rows: usize,
    /// Seed of the level assignment, so builds are reproducible.
    pub seed: u64,
    /// Up to this many distinct policies get one graph each (a policy filter then walks
    /// only its plan's graph); with more, or with 0, all rows share one graph (faster
    /// unfiltered queries, and a policy filter is applied to that graph's candidates).
    pub max_policy_segments: usize,
    /// With two or more per-policy graphs, also build one graph over all rows for queries
    /// not pinned to a policy.
    pub overview_graph: bool,
    /// Candidates per search of the overview graph (its queries want k ≤ 10 of all
    /// rows, where per-policy graphs also feed hybrid search's larger candidate lists).
    pub overview_ef_search: usize,
}

impl Default for IndexParams {
    fn default() -> Self {
        Self {
            ef_construction: 100,
            ef_search: 64,
            min_graph_rows: 2000,
            seed: 0x5eed_bf1d,
            max_policy_segments: MAX_POLICY_SEGMENTS,
            overview_graph: true,
            overview_ef_search: 40,
        }
    }
}

/// Row vectors, shared by the graphs' points.
#[derive(Debug)]
struct Rows {
    dims: usize,
    values: Vec<f32>,
}

impl Rows {
    fn row(&self, i: u32) -> &[f32] {
        let start = i as usize * self.dims;
        &self.values[start..start + self.dims]
    }
    fn len(&self) -> usize {
        self.values.len() / self.dims
    }
}

/// A graph point: a row of the shared vectors. Serialises as the row number only.
#[derive(Clone, Debug)]
struct RowPoint {
    rows: Arc<Rows>,
    row: u32,
}

impl Point for RowPoint {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - dot(self.rows.row(self.row), other.rows.row(other.row))
    }
}

impl Serialize for RowPoint {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.row.serialize(s)
    }
}

thread_local! {
    /// The vectors that points being deserialised refer to (serde has no context argument).
    static LOADING: RefCell<Option<Arc<Rows>>> = const { RefCell::new(None) };
}

impl<'de> Deserialize<'de> for RowPoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let row = u32::deserialize(d)?;
        let rows = LOADING.with(|l| l.borrow().clone()).ok_or_else(|| {
            serde::de::Error::custom("graph points decoded without their vectors")
        })?;
        if row as usize >= rows.len() {
            return Err(serde::de::Error::custom(format!(
                "graph point {row} is past the {} stored vectors",
                rows.len()
            )));
        }
        Ok(RowPoint { rows, row })
    }
}

/// Mirror of `instant_distance::Hnsw`'s serialised layout, decoded first to check links.
#[derive(Deserialize)]
struct HnswLayout {
    #[allow(dead_code)]
    ef_search: usize,
    points: Vec<u32>,
    zero: Vec<ZeroLayout>,
    layers: Vec<Vec<UpperLayout>>,
}
#[derive(Deserialize)]
struct ZeroLayout(#[serde(with = "BigArray")] [u32; M * 2]);
#[derive(Deserialize)]
struct UpperLayout(#[serde(with = "BigArray")] [u32; M]);

impl HnswLayout {
    /// Checks what `Hnsw::search` relies on: layer 0 has a node per point, upper layers
    /// shrink and hold the lowest point ids, and every link points inside its layer.
    fn check(&self) -> std::result::Result<(), String> {
        let n = self.points.len();
        if self.zero.len() != n {
            return Err(format!(
                "layer 0 has {} nodes for {n} points",
                self.zero.len()
            ));
        }
        let links_ok =
            |links: &[u32], len: usize| links.iter().all(|&l| l == INVALID || (l as usize) < len);
        if !self.zero.iter().all(|node| links_ok(&node.0, n)) {
            return Err("a layer-0 link points past the graph".into());
        }
        let mut below = n;
        for (i, layer) in self.layers.iter().enumerate() {
            if layer.is_empty() || layer.len() > below {
                return Err(format!(
                    "layer {} has {} nodes (layer below: {below})",
                    i + 1,
                    layer.len()
                ));
            }
            if !layer.iter().all(|node| links_ok(&node.0, layer.len())) {
                return Err(format!("a layer-{} link points past its layer", i + 1));
            }
            below = layer.len();
        }
        Ok(())
    }
}

/// Which rows a segment covers and how they are searched.
struct Segment {
    /// The policy every row has, when the segment is per policy.
    policy: Option<String>,
    /// Row numbers (ascending).
    rows: Vec<u32>,
    graph: Option<Hnsw<RowPoint>>,
}

/// Stored form of a segment (graph as postcard bytes).
#[derive(Serialize, Deserialize)]
struct SegmentRecord {
    policy: Option<String>,
    rows: Vec<u32>,
    graph: Option<Vec<u8>>,
}

#[derive(Serialize, Deserialize)]
struct IndexRecord {
    segments: Vec<SegmentRecord>,
    /// The overview graph over every row (postcard bytes), when there is one.
    overview: Option<Vec<u8>>,
}

/// One search hit: a row and its cosine similarity to the query.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    /// Row number in the collection.
    pub row: u32,
    /// Cosine similarity (vectors are unit length, so this is the dot product).
    pub score: f32,
}

/// What a search did, for tests and benchmarks.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SearchStats {
    /// Graph segments searched through the graph.
    pub graph_segments: usize,
    /// Segments scanned exactly (small, delta, or filter too selective for the graph).
    pub exact_segments: usize,
    /// Rows whose vectors were compared during exact scans.
    pub exact_rows: usize,
    /// True when the overview graph answered (no per-segment walk was needed).
    pub overview: bool,
}

/// The searchable set of rows: base segments (graphs), a delta, tombstones.
pub struct VectorIndex {
    rows: Arc<Rows>,
    /// Rows appended after the graphs were built (their vectors follow `rows`).
    delta: Vec<f32>,
    segments: Vec<Segment>,
    /// Graph over every base row, for queries not pinned to one policy.
    overview: Option<Hnsw<RowPoint>>,
    deleted: HashSet<u32>,
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("dims", &self.rows.dims)
            .field("rows", &self.len())
            .field("segments", &self.segments.len())
            .field("deleted", &self.deleted.len())
            .finish()
    }
}

/// Row → policy value (or None) lookups the index needs while building.
fn policy_of(metadata: &serde_json::Map<String, serde_json::Value>) -> Option<&str> {
    metadata.get(POLICY_FIELD).and_then(|v| v.as_str())
}

impl VectorIndex {
    /// Builds graphs over `vectors` (row-major, `dims` each). `metadata[i]` is row i's.
    pub fn build(
        dims: usize,
        vectors: Vec<f32>,
        metadata: &[serde_json::Map<String, serde_json::Value>],
        params: &IndexParams,
    ) -> Result<Self> {
        if dims == 0 || vectors.len() != metadata.len() * dims {
            return Err(Error::InvalidInput(format!(
                "{} vector values for {} rows of {dims} dimensions",
                vectors.len(),
                metadata.len()
            )));
        }
        let rows = Arc::new(Rows {
            dims,
            values: vectors,
        });
        let mut by_policy: BTreeMap<Option<&str>, Vec<u32>> = BTreeMap::new();
        for (i, m) in metadata.iter().enumerate() {
            by_policy.entry(policy_of(m)).or_default().push(i as u32);
        }
        let groups: Vec<(Option<String>, Vec<u32>)> =
            if by_policy.len() <= params.max_policy_segments {
                by_policy
                    .into_iter()
                    .map(|(p, r)| (p.map(str::to_owned), r))
                    .collect()
            } else {
                vec![(None, (0..metadata.len() as u32).collect())]
            };
        let build_graph = |graph_rows: &[u32], ef_search: usize| {
            let points = graph_rows
                .iter()
                .map(|&row| RowPoint {
                    rows: rows.clone(),
                    row,
                })
                .collect();
            Builder::default()
                .ef_construction(params.ef_construction)
                .ef_search(ef_search)
                .seed(params.seed)
                .build_hnsw(points)
                .0
        };
        let segments: Vec<Segment> = groups
            .into_iter()
            .map(|(policy, seg_rows)| Segment {
                graph: (seg_rows.len() >= params.min_graph_rows)
                    .then(|| build_graph(&seg_rows, params.ef_search)),
                policy,
                rows: seg_rows,
            })
            .collect();
        let graphs = segments.iter().filter(|s| s.graph.is_some()).count();
        let overview = (params.overview_graph && graphs >= 2).then(|| {
            build_graph(
                &(0..metadata.len() as u32).collect::<Vec<_>>(),
                params.overview_ef_search,
            )
        });
        Ok(Self {
            rows,
            delta: Vec::new(),
            segments,
            overview,
            deleted: HashSet::new(),
        })
    }

    /// Encodes the segments and graphs (not the vectors) for the bundle's INDEX section.
    pub fn graph_bytes(&self) -> Result<Vec<u8>> {
        if !self.delta.is_empty() || !self.deleted.is_empty() {
            return Err(Error::InvalidInput(
                "the index has ingested or deleted rows; compact it before saving its graphs"
                    .into(),
            ));
        }
        let encode = |g: &Hnsw<RowPoint>| {
            postcard::to_allocvec(g).map_err(|e| Error::InvalidInput(e.to_string()))
        };
        let mut segments = Vec::with_capacity(self.segments.len());
        for s in &self.segments {
            segments.push(SegmentRecord {
                policy: s.policy.clone(),
                rows: s.rows.clone(),
                graph: s.graph.as_ref().map(encode).transpose()?,
            });
        }
        let overview = self.overview.as_ref().map(encode).transpose()?;
        postcard::to_allocvec(&IndexRecord { segments, overview })
            .map_err(|e| Error::InvalidInput(e.to_string()))
    }

    /// Restores an index from the bundle's vectors, metadata and INDEX bytes, without
    /// rebuilding any graph. Every row must be in exactly one segment.
    pub fn from_parts(
        dims: usize,
        vectors: Vec<f32>,
        metadata: &[serde_json::Map<String, serde_json::Value>],
        graph_bytes: &[u8],
    ) -> Result<Self> {
        let bad = |reason: String| Error::BadIndex(reason);
        if dims == 0 || vectors.len() != metadata.len() * dims {
            return Err(bad(format!(
                "{} vector values for {} rows",
                vectors.len(),
                metadata.len()
            )));
        }
        let n = metadata.len();
        let rows = Arc::new(Rows {
            dims,
            values: vectors,
        });
        let record: IndexRecord =
            postcard::from_bytes(graph_bytes).map_err(|e| bad(format!("segment table: {e}")))?;
        let mut seen = vec![false; n];
        let mut segments = Vec::with_capacity(record.segments.len());
        for (si, seg) in record.segments.into_iter().enumerate() {
            for &r in &seg.rows {
                let slot = seen.get_mut(r as usize).ok_or_else(|| {
                    bad(format!(
                        "segment {si} lists row {r}, but the bundle has {n} rows"
                    ))
                })?;
                if std::mem::replace(slot, true) {
                    return Err(bad(format!("row {r} is in more than one segment")));
                }
                if let Some(p) = &seg.policy {
                    if policy_of(&metadata[r as usize]) != Some(p.as_str()) {
                        return Err(bad(format!(
                            "row {r} is in the {p} segment but has another policy"
                        )));
                    }
                }
            }
            let graph = match seg.graph {
                None => None,
                Some(bytes) => Some(
                    decode_graph(&bytes, &rows, &seg.rows)
                        .map_err(|e| bad(format!("segment {si} graph: {e}")))?,
                ),
            };
            segments.push(Segment {
                policy: seg.policy,
                rows: seg.rows,
                graph,
            });
        }
        if let Some(r) = seen.iter().position(|s| !s) {
            return Err(bad(format!("row {r} is in no segment")));
        }
        let overview = match record.overview {
            None => None,
            Some(bytes) => Some(
                decode_graph(&bytes, &rows, &(0..n as u32).collect::<Vec<_>>())
                    .map_err(|e| bad(format!("overview graph: {e}")))?,
            ),
        };
        Ok(Self {
            rows,
            delta: Vec::new(),
            segments,
            overview,
            deleted: HashSet::new(),
        })
    }

    /// Vector length.
    pub fn dims(&self) -> usize {
        self.rows.dims
    }

    /// Rows held, deleted ones included (row numbers are never reused).
    pub fn len(&self) -> usize {
        self.rows.len() + self.delta.len() / self.rows.dims
    }

    /// True when no row was ever added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows in graphs, and rows scanned exactly (delta and small segments).
    pub fn segment_sizes(&self) -> (usize, usize) {
        let graph: usize = self
            .segments
            .iter()
            .filter(|s| s.graph.is_some())
            .map(|s| s.rows.len())
            .sum();
        (graph, self.len() - graph)
    }

    /// The vector of a row.
    pub fn vector(&self, row: u32) -> Option<&[f32]> {
        let base = self.rows.len();
        let dims = self.rows.dims;
        if (row as usize) < base {
            Some(self.rows.row(row))
        } else {
            let start = (row as usize - base) * dims;
            self.delta.get(start..start + dims)
        }
    }

    /// Appends rows to the delta (searched exactly until [`compact`](Self::compact)).
    /// Returns the first new row number. The caller has checked the dimension.
    pub fn append(&mut self, vectors: &[f32]) -> u32 {
        let first = self.len() as u32;
        self.delta.extend_from_slice(vectors);
        first
    }

    /// Tombstones rows; they are never returned again.
    pub fn delete(&mut self, rows: impl IntoIterator<Item = u32>) {
        self.deleted.extend(rows);
    }

    /// True when nothing was appended or deleted since the graphs were built or loaded.
    pub fn is_pristine(&self) -> bool {
        self.delta.is_empty() && self.deleted.is_empty()
    }

    /// The k rows most similar to `query` among those for which `accept(row)` holds,
    /// best first. `policy` is the policy the filter pins, if any (segments of other
    /// policies are skipped without looking at their rows).
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        policy: Option<&str>,
        accept: &dyn Fn(u32) -> bool,
    ) -> (Vec<Neighbor>, SearchStats) {
        if k == 0 || query.len() != self.rows.dims {
            return (Vec::new(), SearchStats::default());
        }
        let live = |row: u32| !self.deleted.contains(&row) && accept(row);
        let qrows = Arc::new(Rows {
            dims: self.rows.dims,
            values: query.to_vec(),
        });
        let qpoint = RowPoint {
            rows: qrows,
            row: 0,
        };
        self.search_with(&qpoint, &mut Search::default(), query, k, policy, &live)
    }

    fn search_with(
        &self,
        qpoint: &RowPoint,
        search: &mut Search,
        query: &[f32],
        k: usize,
        policy: Option<&str>,
        live: &dyn Fn(u32) -> bool,
    ) -> (Vec<Neighbor>, SearchStats) {
        let mut stats = SearchStats::default();
        let mut hits: Vec<Neighbor> = Vec::new();
        // A query not pinned to one policy walks the overview graph when there is one.
        let overview = match (&self.overview, policy) {
            (Some(graph), None) => {
                trusted_candidates(graph, qpoint, search, self.rows.len(), k, live)
            }
            _ => None,
        };
        if let Some(found) = overview {
            stats.overview = true;
            stats.graph_segments += 1;
            hits = found;
        } else {
            for seg in &self.segments {
                if let (Some(p), Some(sp)) = (policy, seg.policy.as_deref()) {
                    if p != sp {
                        continue;
                    }
                }
                if let Some(graph) = &seg.graph {
                    if let Some(found) =
                        trusted_candidates(graph, qpoint, search, seg.rows.len(), k, live)
                    {
                        stats.graph_segments += 1;
                        hits.extend(found);
                        continue;
                    }
                }
                stats.exact_segments += 1;
                self.scan(
                    seg.rows.iter().copied(),
                    query,
                    k,
                    live,
                    &mut hits,
                    &mut stats,
                );
            }
        }
        let base = self.rows.len() as u32;
        let delta_rows = base..self.len() as u32;
        if !delta_rows.is_empty() {
            stats.exact_segments += 1;
            self.scan(delta_rows, query, k, live, &mut hits, &mut stats);
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
        hits.truncate(k);
        (hits, stats)
    }

    /// Exact top k of `rows` under `live`, appended to `hits`.
    fn scan(
        &self,
        rows: impl Iterator<Item = u32>,
        query: &[f32],
        k: usize,
        live: &dyn Fn(u32) -> bool,
        hits: &mut Vec<Neighbor>,
        stats: &mut SearchStats,
    ) {
        let mut best: Vec<Neighbor> = Vec::with_capacity(k + 1);
        let mut floor = f32::NEG_INFINITY;
        for row in rows.filter(|&r| live(r)) {
            let Some(v) = self.vector(row) else { continue };
            stats.exact_rows += 1;
            let score = dot(query, v);
            if best.len() < k || score > floor {
                let at = best.partition_point(|n| n.score >= score);
                best.insert(at, Neighbor { row, score });
                best.truncate(k);
                if best.len() == k {
                    floor = best[k - 1].score;
                }
            }
        }
        hits.extend(best);
    }

    /// Rebuilds the graphs over every live row (base and delta), dropping tombstones.
    /// Returns the old row → new row mapping (None for deleted rows), for the caller to
    /// reorder its records the same way.
    pub fn compact(
        &self,
        metadata: &[serde_json::Map<String, serde_json::Value>],
        params: &IndexParams,
    ) -> Result<(Self, Vec<Option<u32>>)> {
        let dims = self.rows.dims;
        let mut mapping = Vec::with_capacity(self.len());
        let mut vectors = Vec::new();
        let mut kept = Vec::new();
        for row in 0..self.len() as u32 {
            if self.deleted.contains(&row) {
                mapping.push(None);
                continue;
            }
            let v = self
                .vector(row)
                .ok_or_else(|| Error::InvalidInput(format!("row {row} has no vector")))?;
            let m = metadata.get(row as usize).ok_or_else(|| {
                Error::InvalidInput(format!("no metadata for row {row} of {}", self.len()))
            })?;
            mapping.push(Some(kept.len() as u32));
            vectors.extend_from_slice(v);
            kept.push(m.clone());
        }
        Ok((Self::build(dims, vectors, &kept, params)?, mapping))
    }
}

/// A graph's best k live rows, when they can be trusted to be the exact top k of the
/// graph's rows: the graph returned every row it holds, or k live rows came in the first
/// half of its candidates (matches are dense enough that the true top k cannot lie beyond
/// what it saw). None means the caller must scan exactly.
fn trusted_candidates(
    graph: &Hnsw<RowPoint>,
    query: &RowPoint,
    search: &mut Search,
    graph_rows: usize,
    k: usize,
    live: &dyn Fn(u32) -> bool,
) -> Option<Vec<Neighbor>> {
    let mut total = 0;
    let mut kth_at = 0;
    let mut found = Vec::with_capacity(k);
    for (pos, item) in graph.search(query, search).enumerate() {
        total += 1;
        let row = item.point.row;
        if found.len() < k && live(row) {
            found.push(Neighbor {
                row,
                score: 1.0 - item.distance,
            });
            kth_at = pos;
        }
    }
    let complete = total >= graph_rows;
    (complete || (found.len() == k && kth_at < total / 2)).then_some(found)
}

/// Decodes one graph's bytes after checking its links, binding points to `rows`.
fn decode_graph(
    bytes: &[u8],
    rows: &Arc<Rows>,
    seg_rows: &[u32],
) -> std::result::Result<Hnsw<RowPoint>, String> {
    let layout: HnswLayout = postcard::from_bytes(bytes).map_err(|e| e.to_string())?;
    layout.check()?;
    let mut points: Vec<u32> = layout.points.clone();
    points.sort_unstable();
    let mut expected = seg_rows.to_vec();
    expected.sort_unstable();
    if points != expected {
        return Err("graph points differ from the segment's rows".into());
    }
    LOADING.with(|l| *l.borrow_mut() = Some(rows.clone()));
    let graph = postcard::from_bytes::<Hnsw<RowPoint>>(bytes).map_err(|e| e.to_string());
    LOADING.with(|l| *l.borrow_mut() = None);
    graph
}
