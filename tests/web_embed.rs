//! The embedder in headless Chromium: the same parity rule as natively, on the real
//! weights fetched over HTTP (never skipped).
//!
//! wasm-bindgen-test-runner serves only the test's own JS and wasm, so the model files
//! come from a second static server that pkg-scripts/test.sh starts; its URL is baked in
//! at compile time through `BENEFIND_TEST_MODEL_URL`.
#![cfg(target_arch = "wasm32")]

#[path = "common/parity.rs"]
mod parity;

#[path = "common/web.rs"]
mod web;

use benefind::embed::MAX_TOKENS;
use benefind::engine::vector::cosine;
use benefind::Precision;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn browser_embeddings_match_reference() {
    let embedder = web::embedder().await;
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

/// The int8 weights run a different kernel in the browser (int8 rows expanded in the
/// SIMD128 dense layer): the quantized bar to the reference, batch equal to single, and
/// the same numbers as the f32 weights would give only to within quantization.
#[wasm_bindgen_test]
async fn browser_int8_embeddings_match_reference_within_the_quantized_bar() {
    let int8 = web::embedder_with(Precision::Int8).await;
    assert_eq!(int8.precision(), Precision::Int8);
    let rows = parity::rows();
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let single: Vec<Vec<f32>> = texts
        .iter()
        .map(|t| int8.embed_one(t).expect("embeds"))
        .collect();
    let failures = parity::int8_failures(&rows, &single);
    assert!(
        failures.is_empty(),
        "browser int8 parity failures:\n{}",
        failures.join("\n")
    );
    let batch = int8.embed(&texts).expect("batch embeds");
    for ((text, a), b) in texts.iter().zip(&single).zip(&batch) {
        assert!(
            cosine(a, b) > 0.99999,
            "{text:?}: int8 batch differs from single"
        );
    }
    let f32_model = web::embedder().await;
    let min = texts
        .iter()
        .zip(&single)
        .map(|(t, a)| cosine(a, &f32_model.embed_one(t).expect("embeds")))
        .fold(1.0f32, f32::min);
    assert!(
        min < 0.999_999,
        "int8 equals f32 (min cosine {min}): the int8 kernel did not run"
    );
}
