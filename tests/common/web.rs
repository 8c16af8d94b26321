//! Fetching test data in the browser tests. wasm-bindgen-test-runner serves only the
//! test's own JS and wasm, so the model and the default bundle come from a second
//! static server that pkg-scripts/test.sh starts; its URLs are baked in at compile time.
// Each browser test uses part of this module.
#![allow(dead_code)]

use benefind::{Embedder, ModelFiles, Precision};
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The model folder (default: `node pkg-scripts/serve.mjs --port 8089 --mount /models=models www`).
pub const MODEL_URL: &str = match option_env!("BENEFIND_TEST_MODEL_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8089/models/all-MiniLM-L6-v2/",
};
/// www/data, where pkg-scripts/default-bundle.sh writes default.bundle.
pub const DATA_URL: &str = match option_env!("BENEFIND_TEST_DATA_URL") {
    Some(url) => url,
    None => "http://127.0.0.1:8089/data/",
};

/// The bytes at `url`; panics with a hint when the server is not there.
pub async fn fetch_bytes(url: &str) -> Vec<u8> {
    let window = web_sys::window().expect("a window");
    let response = JsFuture::from(window.fetch_with_str(url)).await.unwrap_or_else(|e| {
        panic!("fetching {url} failed ({e:?}); is the test server running? (pkg-scripts/test.sh starts it)")
    });
    let response: web_sys::Response = response.dyn_into().expect("a Response");
    assert!(response.ok(), "fetching {url}: HTTP {}", response.status());
    let buffer = JsFuture::from(response.array_buffer().expect("arrayBuffer"))
        .await
        .expect("body read");
    Uint8Array::new(&buffer).to_vec()
}

/// The real model with its f32 weights, fetched from [`MODEL_URL`].
pub async fn embedder() -> Embedder {
    embedder_with(Precision::F32).await
}

/// The real model with the given weights file (the int8 one is made by
/// pkg-scripts/default-bundle.sh, which test.sh runs first).
pub async fn embedder_with(precision: Precision) -> Embedder {
    let file = |name: &str| format!("{MODEL_URL}{name}");
    let files = ModelFiles {
        weights: fetch_bytes(&file(precision.weights_file())).await,
        tokenizer: fetch_bytes(&file("tokenizer.json")).await,
        config: fetch_bytes(&file("config.json")).await,
    };
    Embedder::from_files(files).expect("model loads in the browser")
}
