//! `benefind bench embed`: native embedding latency and throughput, as JSON on stdout,
//! so pkg-scripts/bench.sh can put it beside the browser's figures.

use std::time::Instant;

use serde_json::json;

use crate::cli::ModelArgs;

/// A 10-word member question.
pub const QUESTION: &str = "Is my annual checkup free if I stay in network?";

/// 32 chunk-length texts (≈ 60–120 tokens each), varied so padding is realistic.
pub fn chunk_texts() -> Vec<String> {
    let topics = [
        "preventive care visits, immunizations and cancer screenings",
        "the emergency room copay and when it is waived on admission",
        "specialist visits with and without a referral from your primary care doctor",
        "Tier 2 preferred brand prescriptions filled at retail or by mail order",
    ];
    (0..32)
        .map(|i| {
            let topic = topics[i % topics.len()];
            let repeat = 2 + i % 4;
            let mut text = format!("Section {i}: what the plan pays for {topic}. ");
            for r in 0..repeat {
                text.push_str(&format!(
                    "In-network you pay a ${} copay after the deductible, and out-of-network \
                     care is covered at {}% coinsurance once you meet the separate deductible. ",
                    20 + 5 * r,
                    30 + 10 * r
                ));
            }
            text
        })
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

pub fn embed(model: &ModelArgs, runs: usize) -> anyhow::Result<()> {
    anyhow::ensure!(runs >= 1, "--runs must be at least 1");
    let load_start = Instant::now();
    let embedder = model.load()?;
    let load_ms = load_start.elapsed().as_secs_f64() * 1e3;

    for _ in 0..5 {
        embedder.embed_one(QUESTION)?;
    }
    let mut single = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        embedder.embed_one(QUESTION)?;
        single.push(t.elapsed().as_secs_f64() * 1e3);
    }
    single.sort_by(f64::total_cmp);

    let texts = chunk_texts();
    embedder.embed(&texts)?;
    let batch_runs = (runs / 10).max(3);
    let mut batch = Vec::with_capacity(batch_runs);
    for _ in 0..batch_runs {
        let t = Instant::now();
        embedder.embed(&texts)?;
        batch.push(t.elapsed().as_secs_f64() * 1e3);
    }
    batch.sort_by(f64::total_cmp);
    let batch_p50 = percentile(&batch, 0.5);

    let report = json!({
        "target": "native",
        "threads": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "load_ms": load_ms,
        "single_runs": runs,
        "single_p50_ms": percentile(&single, 0.5),
        "single_p95_ms": percentile(&single, 0.95),
        "batch32_runs": batch_runs,
        "batch32_p50_ms": batch_p50,
        "batch32_texts_per_s": 32.0 / (batch_p50 / 1e3),
    });
    println!("{report}");
    Ok(())
}
