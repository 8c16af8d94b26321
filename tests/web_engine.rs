//! The retrieval engine in headless Chromium: the default bundle (graphs and BM25 index
//! included) loads without rebuilding, searches by policy, ingests, and refuses corrupt
//! or mismatched bundles with errors, not panics — the same code as natively.
#![cfg(target_arch = "wasm32")]

#[path = "common/web.rs"]
mod web;

use benefind::{Collection, Engine, IngestDoc, SearchMode};
use serde_json::Map;
use wasm_bindgen_test::*;
use web::{embedder, fetch_bytes, DATA_URL};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn default_bundle_searches_ingests_and_refuses_bad_bundles() {
    let embedder = embedder().await;
    let bytes = fetch_bytes(&format!("{DATA_URL}default.bundle")).await;

    // Corrupt and mismatched bundles: clear errors, never a panic.
    let mut corrupt = bytes.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0x55;
    let err = Collection::from_bundle_bytes(&corrupt, embedder.model_id(), embedder.dims())
        .expect_err("corrupt");
    assert_eq!(err.code(), "BAD_BUNDLE", "{err}");
    let err = Collection::from_bundle_bytes(&bytes, embedder.model_id(), 1024).expect_err("dims");
    assert_eq!(err.code(), "DIMENSION_MISMATCH");
    assert!(
        err.to_string().contains("1024") && err.to_string().contains("384"),
        "{err}"
    );
    let err = Collection::from_bundle_bytes(&bytes[..bytes.len() / 3], embedder.model_id(), 384)
        .expect_err("truncated");
    assert_eq!(err.code(), "BAD_BUNDLE");

    let collection = Collection::from_bundle_bytes(&bytes, embedder.model_id(), embedder.dims())
        .expect("bundle loads");
    let mut engine = Engine::new(embedder, collection).expect("engine");
    for policy in ["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"] {
        let hits = engine
            .search("Is my annual checkup free?", policy)
            .expect("search");
        assert_eq!(hits.len(), 3);
        assert_eq!(hits[0].metadata["section"], "Preventive care", "{policy}");
        assert!(hits.iter().all(|h| h.metadata["policy"] == policy));
    }

    let doc = IngestDoc {
        layout: None,
        text: "## Acupuncture\nUp to 12 acupuncture visits a year, $15 copay each.".into(),
        policy: "PPO_PLUS".into(),
        source: Some("rider.md".into()),
        id: Some("rider".into()),
        metadata: Map::new(),
    };
    engine.ingest(&[doc]).expect("ingest in the browser");
    let hits = engine
        .query(&benefind::Query {
            question: Some("how many acupuncture sessions".into()),
            k: Some(1),
            filter: Some(serde_json::json!({"policy": "PPO_PLUS"})),
            mode: Some(SearchMode::Hybrid),
            vector: None,
        })
        .expect("query");
    assert_eq!(hits[0].id, "rider_chunk_0000");
}
