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

/// Runs `f` `runs` times; returns each run's milliseconds, sorted (for percentiles).
pub fn timed_ms<E>(runs: usize, mut f: impl FnMut() -> Result<(), E>) -> Result<Vec<f64>, E> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(times)
}

/// The value at fraction `p` of sorted samples (NaN when there are none).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
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
    let single = timed_ms(runs, || embedder.embed_one(&question).map(drop))?;
    embedder.embed(&texts)?;
    let batch_runs = (runs / 10).max(3);
    let batch = timed_ms(batch_runs, || embedder.embed(&texts).map(drop))?;
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
