//! The embedder in headless Chromium: the same parity rule as natively, on the real
//! weights fetched over HTTP (never skipped).
//!
//! wasm-bindgen-test-runner serves only the test's own JS and wasm, so the model files
//! come from a second static server that pkg-scripts/test.sh starts; its URL is baked in
//! at compile time through `BENEFIND_TEST_MODEL_URL`.
#![cfg(target_arch = "wasm32")]

#[path = "common/parity.rs"]
mod parity;

use benefind::{cosine, Embedder, ModelFiles, MAX_TOKENS};
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Where the model folder is served (pkg-scripts/test.sh sets it; this default matches
/// `pkg-scripts/serve.mjs --port 8089` run from the repository root).
const MODEL_URL: &str = match option_env!("BENEFIND_TEST_MODEL_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8089/models/all-MiniLM-L6-v2/",
};

async fn fetch_bytes(name: &str) -> Vec<u8> {
    let url = format!("{MODEL_URL}{name}");
    let window = web_sys::window().expect("a window");
    let response = JsFuture::from(window.fetch_with_str(&url))
        .await
        .unwrap_or_else(|e| panic!("fetching {url} failed ({e:?}); is the model server running? (pkg-scripts/test.sh starts it)"));
    let response: web_sys::Response = response.dyn_into().expect("a Response");
    assert!(response.ok(), "fetching {url}: HTTP {}", response.status());
    let buffer = JsFuture::from(response.array_buffer().expect("arrayBuffer"))
        .await
        .expect("body read");
    Uint8Array::new(&buffer).to_vec()
}

async fn load() -> Embedder {
    let files = ModelFiles {
        weights: fetch_bytes("model.safetensors").await,
        tokenizer: fetch_bytes("tokenizer.json").await,
        config: fetch_bytes("config.json").await,
    };
    Embedder::from_files(files).expect("model loads in the browser")
}

#[wasm_bindgen_test]
async fn browser_embeddings_match_reference() {
    let embedder = load().await;
    let rows = parity::rows();

    let single: Vec<Vec<f32>> = rows
        .iter()
        .map(|r| embedder.embed_one(&r.text).expect("embeds"))
        .collect();
    let failures = parity::failures(&rows, &single);
    assert!(
        failures.is_empty(),
        "browser parity failures:\n{}",
        failures.join("\n")
    );

    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let batch = embedder.embed(&texts).expect("batch embeds");
    let failures = parity::failures(&rows, &batch);
    assert!(
        failures.is_empty(),
        "browser batch parity failures:\n{}",
        failures.join("\n")
    );

    for row in &rows {
        let count = embedder.count_tokens(&row.text).expect("counts");
        assert_eq!(count.min(MAX_TOKENS), row.n_tokens, "{:?}", row.text);
    }

    // Truncation: text past the 256-token window does not change the vector.
    let long = "The deductible applies to hospital stays and imaging. ".repeat(60);
    let a = embedder.embed_one(&long).expect("embeds");
    let b = embedder
        .embed_one(&format!("{long} Dental is free."))
        .expect("embeds");
    assert!(cosine(&a, &b) > 0.999999);
}
