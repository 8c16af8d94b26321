//! The retrieval engine in headless Chromium: the default bundle (graphs and BM25 index
//! included) loads without rebuilding, searches by policy, ingests, and refuses corrupt
//! or mismatched bundles with errors, not panics — the same code as natively.
#![cfg(target_arch = "wasm32")]

use benefind::{Collection, Embedder, Engine, IngestDoc, ModelFiles, SearchMode};
use js_sys::Uint8Array;
use serde_json::Map;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Set by pkg-scripts/test.sh (the folders served by its static server).
const MODEL_URL: &str = match option_env!("BENEFIND_TEST_MODEL_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8089/models/all-MiniLM-L6-v2/",
};
const DATA_URL: &str = match option_env!("BENEFIND_TEST_DATA_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8089/data/",
};

async fn fetch_bytes(url: &str) -> Vec<u8> {
    let window = web_sys::window().expect("a window");
    let response = JsFuture::from(window.fetch_with_str(url))
        .await
        .unwrap_or_else(|e| {
            panic!("fetching {url} failed ({e:?}); pkg-scripts/test.sh starts the server")
        });
    let response: web_sys::Response = response.dyn_into().expect("a Response");
    assert!(
        response.ok(),
        "fetching {url}: HTTP {} (pkg-scripts/default-bundle.sh builds the bundle)",
        response.status()
    );
    let buffer = JsFuture::from(response.array_buffer().expect("arrayBuffer"))
        .await
        .expect("body");
    Uint8Array::new(&buffer).to_vec()
}

async fn embedder() -> Embedder {
    let files = ModelFiles {
        weights: fetch_bytes(&format!("{MODEL_URL}model.safetensors")).await,
        tokenizer: fetch_bytes(&format!("{MODEL_URL}tokenizer.json")).await,
        config: fetch_bytes(&format!("{MODEL_URL}config.json")).await,
    };
    Embedder::from_files(files).expect("model loads")
}

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
