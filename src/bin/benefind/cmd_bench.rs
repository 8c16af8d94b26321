//! `benefind bench embed`: native embedding latency and throughput, as JSON on stdout,
//! so pkg-scripts/bench.sh can put it beside the browser's figures.

use std::time::Instant;

use serde::Deserialize;
use serde_json::json;

use crate::cli::ModelArgs;

/// The texts both benchmarks time, shared with the browser bench page.
const BENCH_TEXTS: &str = include_str!("../../../tests/fixtures/bench-embed.json");

#[derive(Deserialize)]
struct BenchTexts {
    /// A 10-word member question.
    question: String,
    /// 32 chunk-length texts of varied length, so padding is realistic.
    batch: Vec<String>,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

pub fn embed(model: &ModelArgs, runs: usize) -> anyhow::Result<()> {
    anyhow::ensure!(runs >= 1, "--runs must be at least 1");
    let BenchTexts {
        question,
        batch: texts,
    } = serde_json::from_str(BENCH_TEXTS)?;
    let load_start = Instant::now();
    let embedder = model.load()?;
    let load_ms = load_start.elapsed().as_secs_f64() * 1e3;

    for _ in 0..5 {
        embedder.embed_one(&question)?;
    }
    let mut single = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        embedder.embed_one(&question)?;
        single.push(t.elapsed().as_secs_f64() * 1e3);
    }
    single.sort_by(f64::total_cmp);

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
