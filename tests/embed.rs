//! The embedder against the sentence-transformers reference, and its own edge cases.

mod common;

use benefind::{cosine, Embedder, Error, ModelFiles, MAX_TOKENS, MODEL_ID};
use common::{embedder, model_files, parity};

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn matches_reference_one_by_one() {
    let rows = parity::rows();
    assert!(rows.len() >= 10, "fixture has {} rows", rows.len());
    let got: Vec<Vec<f32>> = rows
        .iter()
        .map(|r| embedder().embed_one(&r.text).expect("embeds"))
        .collect();
    let failures = parity::failures(&rows, &got);
    assert!(
        failures.is_empty(),
        "parity failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn batch_equals_one_by_one() {
    let rows = parity::rows();
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let batch = embedder().embed(&texts).expect("batch embeds");
    assert_eq!(batch.len(), texts.len());
    for (text, v) in texts.iter().zip(&batch) {
        let single = embedder().embed_one(text).expect("embeds");
        let diff = max_abs_diff(v, &single);
        assert!(
            diff <= 1e-5,
            "{text:?}: batch differs from single by {diff:e}"
        );
    }
    // The batched result also holds the reference (catches order mix-ups).
    let failures = parity::failures(&rows, &batch);
    assert!(
        failures.is_empty(),
        "batched parity failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn large_batches_keep_input_order() {
    // More texts than one internal batch, in lengths that the length sort reorders.
    let texts: Vec<String> = (0..70)
        .map(|i| format!("plan rule {i} {}", "word ".repeat(i % 13)))
        .collect();
    let batch = embedder().embed(&texts).expect("embeds");
    for i in [0, 31, 32, 33, 69] {
        let single = embedder().embed_one(&texts[i]).expect("embeds");
        assert!(
            max_abs_diff(&batch[i], &single) <= 1e-5,
            "text {i} out of place"
        );
    }
}

#[test]
fn token_counts_match_reference() {
    for row in parity::rows() {
        let count = embedder().count_tokens(&row.text).expect("counts");
        assert_eq!(count.min(MAX_TOKENS), row.n_tokens, "{:?}", row.text);
    }
}

#[test]
fn truncates_at_256_tokens() {
    let long = "The deductible applies to hospital stays and imaging. ".repeat(60);
    assert!(embedder().count_tokens(&long).expect("counts") > 2 * MAX_TOKENS);
    let longer = format!("{long} Dental cleanings are free twice a year at any dentist.");
    let a = embedder().embed_one(&long).expect("embeds");
    let b = embedder().embed_one(&longer).expect("embeds");
    // Only the first 256 tokens count, so text past them cannot change the vector...
    assert!(
        max_abs_diff(&a, &b) <= 1e-6,
        "text past the window changed the vector"
    );
    // ...while text inside the window does.
    let shorter: String = "Dental cleanings are free. ".to_string() + &long;
    let c = embedder().embed_one(&shorter).expect("embeds");
    assert!(
        max_abs_diff(&a, &c) > 1e-3,
        "text inside the window did not change the vector"
    );
}

#[test]
fn normalises_case_and_accents_like_the_reference_tokenizer() {
    let a = embedder()
        .embed_one("CAFÉ RÉSUMÉ in ZÜRICH")
        .expect("embeds");
    let b = embedder()
        .embed_one("cafe resume in zurich")
        .expect("embeds");
    assert!(
        cosine(&a, &b) > 0.99999,
        "lowercasing and accent stripping differ"
    );
}

#[test]
fn every_vector_is_unit_length_and_model_reports_contract() {
    let e = embedder();
    assert_eq!(e.model_id(), MODEL_ID);
    assert_eq!(e.dims(), 384);
    for text in ["", " \n\t", "🦷", "医疗", "a"] {
        let v = e.embed_one(text).expect("embeds");
        assert_eq!(v.len(), 384);
        let norm = benefind::dot(&v, &v).sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "{text:?} has norm {norm}");
    }
    let empty: [&str; 0] = [];
    assert!(e.embed(&empty).expect("empty batch").is_empty());
}

#[test]
fn wrong_model_config_is_refused_with_both_numbers() {
    let mut files = model_files();
    let config = String::from_utf8(files.config.clone()).expect("utf8");
    files.config = config
        .replace("\"hidden_size\": 384", "\"hidden_size\": 768")
        .into_bytes();
    let err = Embedder::from_files(files).expect_err("768 is not MiniLM");
    assert!(
        matches!(
            err,
            Error::ModelMismatch {
                expected: 384,
                got: 768,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("384") && msg.contains("768") && msg.contains("hidden_size"),
        "{msg}"
    );
}

#[test]
fn broken_model_files_give_errors_naming_the_file() {
    let good = model_files();
    type Corrupt = fn(&mut ModelFiles);
    let cases: [(&str, Corrupt); 3] = [
        ("config.json", |f| f.config = b"{not json".to_vec()),
        ("tokenizer.json", |f| f.tokenizer = b"[]".to_vec()),
        ("model.safetensors", |f| f.weights.truncate(1000)),
    ];
    for (file, corrupt) in cases {
        let mut files = good.clone();
        corrupt(&mut files);
        let err = Embedder::from_files(files).expect_err("corrupt file refused");
        assert!(err.to_string().contains(file), "{file}: {err}");
        assert_eq!(err.code(), "MODEL_INVALID");
    }
}

#[test]
fn missing_model_dir_says_how_to_fetch() {
    let err = ModelFiles::read_dir(std::path::Path::new("/nonexistent/benefind-model"))
        .expect_err("missing");
    assert_eq!(err.code(), "MODEL_MISSING");
    assert!(
        err.to_string().contains("pkg-scripts/fetch-model.sh"),
        "{err}"
    );
}
