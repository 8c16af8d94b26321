//! The embedder against the sentence-transformers reference, and its own edge cases.

mod common;

use benefind::embed::{quantize_safetensors, MAX_TOKENS};
use benefind::engine::vector::cosine;
use benefind::{Embedder, Error, ModelFiles, Precision, MODEL_ID};
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
        let norm = benefind::engine::vector::dot(&v, &v).sqrt();
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
    // The encoder's kernels are sized for MiniLM's feed-forward width: a wider one is
    // refused up front (never an overflow or a panic later).
    let mut files = model_files();
    files.config = config
        .replace("\"intermediate_size\": 1536", "\"intermediate_size\": 4096")
        .into_bytes();
    let err = Embedder::from_files(files).expect_err("4096 is not MiniLM");
    let msg = err.to_string();
    assert!(
        msg.contains("intermediate_size") && msg.contains("1536") && msg.contains("4096"),
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

/// The int8 conversion of the weights (what the browser downloads by default).
fn int8_files() -> ModelFiles {
    let files = model_files();
    let weights = quantize_safetensors(&files.weights).expect("quantizes");
    ModelFiles { weights, ..files }
}

#[test]
fn int8_weights_are_a_quarter_of_the_bytes_and_deterministic() {
    let f32_bytes = model_files().weights.len();
    let a = int8_files().weights;
    assert!(
        a.len() * 100 <= f32_bytes * 27,
        "int8 file {} bytes vs f32 {f32_bytes}",
        a.len()
    );
    // The scripts pin the file's SHA-256: the conversion must not depend on anything
    // but its input.
    assert!(a == int8_files().weights, "two conversions differ");
    // Converting twice is refused, naming the file, instead of double-quantizing.
    let err = quantize_safetensors(&a).expect_err("already int8");
    assert!(err.to_string().contains("model.safetensors"), "{err}");
}

#[test]
fn int8_weights_match_the_reference_within_the_quantized_bar() {
    let int8 = Embedder::from_files(int8_files()).expect("int8 model loads");
    assert_eq!(int8.precision(), Precision::Int8);
    assert_eq!(embedder().precision(), Precision::F32);
    let rows = parity::rows();
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let got = int8.embed(&texts).expect("embeds");
    let failures = parity::int8_failures(&rows, &got);
    assert!(
        failures.is_empty(),
        "int8 parity failures:\n{}",
        failures.join("\n")
    );
    // Quantized for real: not bit-identical to f32 (which would mean f32 weights ran).
    let f32_vectors = embedder().embed(&texts).expect("embeds");
    let min = got
        .iter()
        .zip(&f32_vectors)
        .map(|(a, b)| cosine(a, b))
        .fold(1.0f32, f32::min);
    assert!(min < 0.999_999, "int8 equals f32 (min cosine {min})");
    // And on every benefit question of the retrieval fixture, against f32.
    let questions: Vec<String> = [
        include_str!("fixtures/questions-dev.jsonl"),
        include_str!("fixtures/questions-heldout.jsonl"),
    ]
    .iter()
    .flat_map(|f| f.lines())
    .map(|l| {
        serde_json::from_str::<serde_json::Value>(l).expect("json")["question"]
            .as_str()
            .expect("question")
            .to_string()
    })
    .collect();
    let (a, b) = (
        int8.embed(&questions).expect("embeds"),
        embedder().embed(&questions).expect("embeds"),
    );
    for ((q, a), b) in questions.iter().zip(&a).zip(&b) {
        let c = cosine(a, b);
        assert!(
            c >= parity::MIN_COSINE_INT8,
            "{q:?}: int8 vs f32 cosine {c}"
        );
    }
}

#[test]
fn broken_int8_files_are_refused_naming_the_file() {
    let good = int8_files();
    // Drop one scale tensor by renaming it in the header (same length, so offsets hold).
    let mut weights = good.weights.clone();
    let header_len = u64::from_le_bytes(weights[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8(weights[8..8 + header_len].to_vec()).unwrap();
    let renamed = header.replacen(
        "intermediate.dense.weight.scale",
        "intermediate.dense.weight.sca1e",
        1,
    );
    assert_ne!(header, renamed);
    weights[8..8 + header_len].copy_from_slice(renamed.as_bytes());
    let err = Embedder::from_files(ModelFiles {
        weights,
        ..good.clone()
    })
    .expect_err("refused");
    assert_eq!(err.code(), "MODEL_INVALID");
    assert!(err.to_string().contains("model.int8.safetensors"), "{err}");
    assert!(err.to_string().contains(".scale"), "{err}");
}
