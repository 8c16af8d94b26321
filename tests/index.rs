//! The index and collection without the model: filtered exactness against brute force,
//! bundle round trips with stored graphs, ingest/delete/compaction, all-or-nothing
//! writes and the dimension contract.

use benefind::engine::bundle::{Record, VectorEncoding};
use benefind::engine::index::IndexParams;
use benefind::testing::synthetic::{brute_force, centres, clustered, metadata, Rng};
use benefind::{Bundle, Collection, Error, Filter};
use serde_json::{json, Map, Value};

const SEED: u64 = 20261128;
const DIMS: usize = 48;
const MODEL: &str = "test/synthetic-48";

fn params() -> IndexParams {
    IndexParams {
        min_graph_rows: 500,
        ..IndexParams::default()
    }
}

fn records(meta: &[Map<String, Value>]) -> Vec<Record> {
    meta.iter()
        .enumerate()
        .map(|(i, m)| Record {
            id: format!("row_{i:05}"),
            text: format!("text {i}"),
            metadata: m.clone(),
        })
        .collect()
}

/// One record of the given policy.
fn record(id: &str, text: &str, policy: &str) -> Record {
    let mut metadata = Map::new();
    metadata.insert("policy".into(), policy.into());
    Record {
        id: id.into(),
        text: text.into(),
        metadata,
    }
}

struct Fixture {
    vectors: Vec<f32>,
    meta: Vec<Map<String, Value>>,
    collection: Collection,
    queries: Vec<Vec<f32>>,
}

fn fixture(n: usize, policies: &[&str]) -> Fixture {
    fixture_with(n, policies, params())
}

fn fixture_with(n: usize, policies: &[&str], params: IndexParams) -> Fixture {
    println!("seed {SEED}");
    let mut rng = Rng::new(SEED);
    let centres = centres(&mut rng, 40, DIMS);
    let vectors = clustered(&mut rng, &centres, n, 0.35);
    let meta = metadata(&mut rng, n, policies);
    let collection =
        Collection::build(MODEL, DIMS, records(&meta), vectors.clone(), params).expect("builds");
    // Queries come from the same topics (clusters) as the rows, as questions do.
    let queries = clustered(&mut rng, &centres, 60, 0.35)
        .chunks(DIMS)
        .map(<[f32]>::to_vec)
        .collect();
    Fixture {
        vectors,
        meta,
        collection,
        queries,
    }
}

/// Mean recall@k of the collection against brute force under `filter`, and checks that
/// every result matches the filter and that k results come back whenever k match. A
/// query answered by exact scans alone (no graph walked) must return exactly brute
/// force's ids: the approximate tolerance the callers allow is for graph walks only.
fn recall(f: &Fixture, k: usize, filter: Option<&Filter>) -> f64 {
    let matches = |i: usize| filter.is_none_or(|flt| flt.matches(&f.meta[i]));
    let mut found = 0usize;
    let mut wanted = 0usize;
    for q in &f.queries {
        let (hits, stats) = f
            .collection
            .query_vector_with_stats(q, k, filter)
            .expect("query");
        let exact = brute_force(&f.vectors, DIMS, q, k, matches);
        if stats.graph_segments == 0 && !stats.overview {
            let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
            let want: Vec<String> = exact.iter().map(|(i, _)| format!("row_{i:05}")).collect();
            assert_eq!(
                ids, want,
                "an exact scan ({stats:?}) differs from brute force"
            );
        }
        assert_eq!(hits.len(), exact.len(), "k results whenever k rows match");
        for h in &hits {
            let row: usize = h.id["row_".len()..].parse().expect("row id");
            assert!(matches(row), "{} does not match the filter", h.id);
            assert!((h.distance - (1.0 - h.score)).abs() < 1e-6);
        }
        let exact_ids: Vec<String> = exact.iter().map(|(i, _)| format!("row_{i:05}")).collect();
        found += hits.iter().filter(|h| exact_ids.contains(&h.id)).count();
        wanted += exact.len();
    }
    found as f64 / wanted.max(1) as f64
}

#[test]
fn filtered_search_keeps_recall_at_every_selectivity() {
    let f = fixture(6000, &["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"]);
    assert!(f.collection.segment_sizes().0 > 0, "graphs were built");
    let unfiltered = recall(&f, 10, None);
    assert!(unfiltered >= 0.99, "unfiltered recall@10 {unfiltered}");
    for (selectivity, filter) in [
        ("1%", json!({"bucket": {"$lt": 1}})),
        ("10%", json!({"bucket": {"$lt": 10}})),
        ("50%", json!({"bucket": {"$lt": 50}})),
        ("policy", json!({"policy": "HMO_SELECT"})),
        (
            "policy+10%",
            json!({"policy": "PPO_PLUS", "bucket": {"$gte": 90}}),
        ),
        ("list any", json!({"tags": "dental"})),
        (
            "or",
            json!({"$or": [{"policy": "PPO_PLUS"}, {"bucket": {"$lt": 5}}]}),
        ),
    ] {
        let filter = Filter::parse(&filter).expect("valid filter");
        if selectivity == "1%" {
            // Too selective for a graph walk: an exact scan, so recall() checks it is exact.
            let (_, stats) = f
                .collection
                .query_vector_with_stats(&f.queries[0], 10, Some(&filter))
                .expect("query");
            assert_eq!(stats.graph_segments, 0, "1% took a graph walk: {stats:?}");
        }
        let r = recall(&f, 10, Some(&filter));
        println!("recall@10 under {selectivity}: {r:.4}");
        assert!(r >= 0.99, "recall@10 under {selectivity} filter is {r}");
    }
}

#[test]
fn one_shared_graph_keeps_recall_under_filters_too() {
    // max_policy_segments 0: all plans in one graph, a policy filter applied to its
    // candidates (or an exact scan when they are too sparse).
    let f = fixture_with(
        6000,
        &["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"],
        IndexParams {
            max_policy_segments: 0,
            ..params()
        },
    );
    assert_eq!(
        f.collection.segment_sizes(),
        (6000, 0),
        "one graph over every row"
    );
    assert!(recall(&f, 10, None) >= 0.99);
    for filter in [
        json!({"policy": "HMO_SELECT"}),
        json!({"bucket": {"$lt": 1}}),
    ] {
        let filter = Filter::parse(&filter).expect("valid filter");
        let r = recall(&f, 10, Some(&filter));
        assert!(r >= 0.99, "recall@10 {r}");
    }
}

#[test]
fn overview_graph_answers_queries_not_pinned_to_a_policy() {
    // Per-policy graphs plus one over every row: unfiltered and non-policy filters walk
    // the overview graph; a policy filter walks its plan's graph. Both stay exact, and the
    // overview survives the bundle round trip.
    let policies = ["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"];
    let f = fixture(4500, &policies);
    let (_, stats) = f
        .collection
        .query_vector_with_stats(&f.queries[0], 10, None)
        .expect("query");
    assert!(
        stats.overview,
        "unfiltered query used the overview graph: {stats:?}"
    );
    assert_eq!((stats.graph_segments, stats.exact_segments), (1, 0));
    assert!(recall(&f, 10, None) >= 0.99);
    let pinned = Filter::parse(&json!({"policy": "HMO_SELECT"})).expect("filter");
    let (_, stats) = f
        .collection
        .query_vector_with_stats(&f.queries[0], 10, Some(&pinned))
        .expect("query");
    assert!(
        !stats.overview,
        "a policy filter walks its plan's graph: {stats:?}"
    );
    assert!(recall(&f, 10, Some(&pinned)) >= 0.99);
    let half = Filter::parse(&json!({"bucket": {"$lt": 50}})).expect("filter");
    assert!(recall(&f, 10, Some(&half)) >= 0.99);

    let bytes = f
        .collection
        .to_bundle(VectorEncoding::F32)
        .expect("bundle")
        .to_bytes();
    let loaded = Collection::from_bundle_bytes(&bytes, MODEL, DIMS).expect("loads");
    for q in &f.queries[..20] {
        let (hits, stats) = loaded.query_vector_with_stats(q, 10, None).expect("q");
        assert!(stats.overview, "the loaded overview graph is used");
        assert_eq!(hits, f.collection.query_vector(q, 10, None).expect("q"));
    }

    let without = fixture_with(
        4500,
        &policies,
        IndexParams {
            overview_graph: false,
            ..params()
        },
    );
    let (_, stats) = without
        .collection
        .query_vector_with_stats(&without.queries[0], 10, None)
        .expect("query");
    assert_eq!((stats.overview, stats.graph_segments), (false, 3));
    let smaller = without
        .collection
        .to_bundle(VectorEncoding::F32)
        .expect("bundle")
        .to_bytes();
    assert!(
        smaller.len() < bytes.len(),
        "the overview's links are stored"
    );
}

#[test]
fn fewer_matches_than_k_returns_all_matches() {
    let f = fixture(3000, &["A", "B"]);
    let filter = Filter::parse(&json!({"chunk_index": {"$in": [5, 17, 2999]}})).expect("filter");
    let hits = f
        .collection
        .query_vector(&f.queries[0], 10, Some(&filter))
        .expect("query");
    let mut ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["row_00005", "row_00017", "row_02999"]);
    let none = Filter::parse(&json!({"policy": "NOPE"})).expect("filter");
    assert!(f
        .collection
        .query_vector(&f.queries[0], 10, Some(&none))
        .expect("query")
        .is_empty());
}

#[test]
fn bundle_round_trip_keeps_graphs_and_answers() {
    let f = fixture(2500, &["PPO_PLUS", "HMO_SELECT"]);
    let bytes = f
        .collection
        .to_bundle(VectorEncoding::F32)
        .expect("bundle")
        .to_bytes();
    let loaded = Collection::from_bundle_bytes(&bytes, MODEL, DIMS).expect("loads");
    assert_eq!(
        loaded.segment_sizes(),
        f.collection.segment_sizes(),
        "graphs restored, not dropped"
    );
    for q in &f.queries[..10] {
        assert_eq!(
            loaded.query_vector(q, 5, None).expect("q"),
            f.collection.query_vector(q, 5, None).expect("q")
        );
    }
}

#[test]
fn compact_encodings_cost_little_recall() {
    let f = fixture(3000, &["PPO_PLUS", "HMO_SELECT"]);
    for (encoding, ratio, min_recall) in [
        (VectorEncoding::F16, 0.5, 0.99),
        (VectorEncoding::Int8, 1.0 / 3.5, 0.98),
    ] {
        let bytes = f.collection.to_bundle(encoding).expect("bundle").to_bytes();
        let loaded = Collection::from_bundle_bytes(&bytes, MODEL, DIMS).expect("loads");
        assert!(
            encoding.bytes_per_vector(384) as f64
                <= ratio * VectorEncoding::F32.bytes_per_vector(384) as f64
        );
        let lossy = Fixture {
            collection: loaded,
            vectors: f.vectors.clone(),
            meta: f.meta.clone(),
            queries: f.queries.clone(),
        };
        let r = recall(&lossy, 10, None);
        println!("{encoding}: recall@10 {r:.4}");
        assert!(r >= min_recall, "{encoding} recall@10 {r}");
    }
}

#[test]
fn dimension_contract_names_both_numbers() {
    let f = fixture(600, &["A"]);
    let err = f
        .collection
        .query_vector(&vec![0.1; 384], 3, None)
        .expect_err("wrong dims");
    assert!(
        matches!(
            err,
            Error::DimensionMismatch {
                expected: DIMS,
                got: 384,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("384") && err.to_string().contains(&DIMS.to_string()));

    let bytes = f
        .collection
        .to_bundle(VectorEncoding::F32)
        .expect("bundle")
        .to_bytes();
    let err = Collection::from_bundle_bytes(&bytes, MODEL, 384).expect_err("dims mismatch");
    assert_eq!(err.code(), "DIMENSION_MISMATCH");
    let msg = err.to_string();
    assert!(msg.contains("384") && msg.contains("48"), "{msg}");
    let err =
        Collection::from_bundle_bytes(&bytes, "other/model", DIMS).expect_err("model mismatch");
    assert_eq!(err.code(), "MODEL_MISMATCH");
}

#[test]
fn upsert_delete_and_compact() {
    let mut f = fixture(1500, &["PPO_PLUS", "HMO_SELECT"]);
    let q = f.queries[3].clone();
    // A new row identical to the query is found at once (delta segment, exact scan).
    let new = record("new_chunk_0000", "new", "PPO_PLUS");
    f.collection.upsert(vec![new], q.clone()).expect("upsert");
    let top = f.collection.query_vector(&q, 1, None).expect("q");
    assert_eq!(top[0].id, "new_chunk_0000");
    assert!((top[0].score - 1.0).abs() < 1e-5);
    // Replacing by id keeps one copy.
    let replacement = record("new_chunk_0000", "replaced", "HMO_SELECT");
    assert_eq!(
        f.collection
            .upsert(vec![replacement], q.clone())
            .expect("upsert"),
        1
    );
    let hits = f.collection.query_vector(&q, 5, None).expect("q");
    assert_eq!(hits.iter().filter(|h| h.id == "new_chunk_0000").count(), 1);
    assert_eq!(hits[0].text, "replaced");
    // Deleted rows are never returned, from graphs or the delta.
    let graph_top = f
        .collection
        .query_vector(&f.queries[0], 1, None)
        .expect("q")[0]
        .id
        .clone();
    assert_eq!(
        f.collection
            .delete(&[graph_top.clone(), "new_chunk_0000".into()]),
        2
    );
    for q in &f.queries {
        for h in f.collection.query_vector(q, 10, None).expect("q") {
            assert!(
                h.id != graph_top && h.id != "new_chunk_0000",
                "deleted row returned"
            );
        }
    }
    let live = f.collection.len();
    // Compaction folds everything into graphs and answers the same.
    let before: Vec<_> = f
        .queries
        .iter()
        .map(|q| f.collection.query_vector(q, 5, None).expect("q"))
        .collect();
    f.collection.compact().expect("compact");
    assert_eq!(f.collection.len(), live);
    assert_eq!(
        f.collection.segment_sizes().1,
        0,
        "no exact rows left after compaction"
    );
    let after: Vec<_> = f
        .queries
        .iter()
        .map(|q| f.collection.query_vector(q, 5, None).expect("q"))
        .collect();
    let same = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a[0].id == b[0].id)
        .count();
    assert!(
        same as f64 >= 0.95 * before.len() as f64,
        "compaction changed answers: {same}/{}",
        before.len()
    );
}

#[test]
fn bad_upserts_change_nothing() {
    let mut f = fixture(700, &["A"]);
    let len = f.collection.len();
    let q = f.queries[0].clone();
    let before = f.collection.query_vector(&q, 5, None).expect("q");
    let rec = |id: &str| Record {
        id: id.into(),
        text: "t".into(),
        metadata: Map::new(),
    };
    let cases: Vec<(Vec<Record>, Vec<f32>)> = vec![
        (vec![rec("a"), rec("a")], [q.clone(), q.clone()].concat()), // duplicate id
        (vec![rec("a"), rec("")], [q.clone(), q.clone()].concat()),  // empty id
        (vec![rec("a")], vec![0.5; 384]),                            // wrong dims
        (
            vec![rec("a"), rec("b")],
            [q.clone(), vec![f32::NAN; DIMS]].concat(),
        ), // NaN
    ];
    for (records, vectors) in cases {
        assert!(f.collection.upsert(records, vectors).is_err());
        assert_eq!(f.collection.len(), len);
        assert_eq!(f.collection.query_vector(&q, 5, None).expect("q"), before);
    }
}

#[test]
fn corrupt_index_section_is_an_error_not_a_panic() {
    let f = fixture(1200, &["A", "B"]);
    let bundle = f.collection.to_bundle(VectorEncoding::F32).expect("bundle");
    let mut rng = Rng::new(SEED);
    for _ in 0..200 {
        let mut index = bundle.index.clone();
        let at = rng.below(index.len() as u64) as usize;
        index[at] ^= 1 << rng.below(8);
        let tampered = Bundle {
            index,
            ..bundle.clone()
        };
        // Re-encoding recomputes checksums, so this reaches the index decoder itself.
        let bytes = tampered.to_bytes();
        if let Ok(c) = Collection::from_bundle_bytes(&bytes, MODEL, DIMS) {
            let _ = c
                .query_vector(&f.queries[0], 5, None)
                .expect("a loaded index searches");
        }
    }
}

#[test]
fn keyword_channel_obeys_filters_and_follows_upsert_and_delete() {
    use benefind::SearchMode;
    let mut f = fixture(800, &["PPO_PLUS", "HMO_SELECT"]);
    let q = f.queries[0].clone();
    let rec = record("hsa_note", "HSA contributions up to $4,400", "HMO_SELECT");
    f.collection.upsert(vec![rec], q.clone()).expect("upsert");
    let hsa = |c: &Collection, filter: Option<&Filter>| {
        c.query_text("hsa contribution", &q, 5, filter, SearchMode::Keyword)
            .expect("query")
    };
    assert_eq!(hsa(&f.collection, None)[0].id, "hsa_note");
    let ppo = Filter::parse(&json!({"policy": "PPO_PLUS"})).expect("filter");
    assert!(
        hsa(&f.collection, Some(&ppo)).is_empty(),
        "keyword results obey the filter"
    );
    // Stored with the bundle and restored.
    f.collection.compact().expect("compact");
    let bytes = f
        .collection
        .to_bundle(VectorEncoding::F32)
        .expect("bundle")
        .to_bytes();
    let loaded = Collection::from_bundle_bytes(&bytes, MODEL, DIMS).expect("loads");
    assert_eq!(hsa(&loaded, None)[0].id, "hsa_note");
    // Hybrid fuses both channels: the row is first by words and by vector.
    let fused = loaded
        .query_text("hsa contribution", &q, 3, None, SearchMode::Hybrid)
        .expect("q");
    assert_eq!(fused[0].id, "hsa_note");
    assert_eq!(
        &fused[0].text[fused[0].highlights[0].0..fused[0].highlights[0].1],
        "HSA"
    );
    f.collection.delete(&["hsa_note".to_string()]);
    assert!(
        hsa(&f.collection, None).is_empty(),
        "deleted rows leave the keyword index"
    );
}
