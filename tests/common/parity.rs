//! Parity with the sentence-transformers reference, shared by the native and the
//! browser tests so both targets are held to the same rule.

use serde::Deserialize;

/// The reference file, compiled in so the browser test needs no file access.
pub const FIXTURE: &str = include_str!("../fixtures/minilm-parity.jsonl");
/// Minimum cosine to the reference vector.
pub const MIN_COSINE: f32 = 0.9999;
/// Maximum absolute difference of any component.
pub const MAX_ABS_DIFF: f32 = 1e-4;
/// Minimum cosine to the reference for the int8 weights (`model.int8.safetensors`),
/// the bar the issue sets for any quantized mode that ships.
pub const MIN_COSINE_INT8: f32 = 0.995;

/// One reference row.
#[derive(Deserialize)]
pub struct Row {
    pub text: String,
    pub n_tokens: usize,
    pub embedding: Vec<f32>,
}

/// All rows of the fixture.
pub fn rows() -> Vec<Row> {
    FIXTURE
        .lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("fixture line {} is not a reference row: {e}", i + 1))
        })
        .collect()
}

/// Compares computed vectors with the reference rows; returns one line per failure.
pub fn failures(rows: &[Row], got: &[Vec<f32>]) -> Vec<String> {
    failures_within(rows, got, MIN_COSINE, MAX_ABS_DIFF)
}

/// The int8 weights' rule: cosine only (their components move by up to ~1e-2).
pub fn int8_failures(rows: &[Row], got: &[Vec<f32>]) -> Vec<String> {
    failures_within(rows, got, MIN_COSINE_INT8, f32::INFINITY)
}

fn failures_within(
    rows: &[Row],
    got: &[Vec<f32>],
    min_cosine: f32,
    max_abs_diff: f32,
) -> Vec<String> {
    assert_eq!(rows.len(), got.len(), "one vector per fixture row");
    let mut out = Vec::new();
    for (row, v) in rows.iter().zip(got) {
        if v.len() != row.embedding.len() {
            out.push(format!(
                "{:?}: {} dims, reference has {}",
                row.text,
                v.len(),
                row.embedding.len()
            ));
            continue;
        }
        let cos = benefind::engine::vector::cosine(v, &row.embedding);
        let max_abs = v
            .iter()
            .zip(&row.embedding)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        if !(cos >= min_cosine && max_abs <= max_abs_diff) {
            let preview: String = row.text.chars().take(40).collect();
            out.push(format!(
                "{preview:?}: cosine {cos:.6}, max abs diff {max_abs:.2e}"
            ));
        }
    }
    out
}
