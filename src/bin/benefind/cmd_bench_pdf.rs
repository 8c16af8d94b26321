//! `benefind bench pdf FILE…`: a PDF from bytes to searchable, natively — extraction, pages,
//! chunks, embedding by one embedder (the sequential baseline) and by one embedder per core,
//! each on its own thread (as the browser's helper workers do), time to searchable
//! (extract + chunk + embed + index) and the process's peak memory. Prints a table and
//! writes target/bench/pdf-native.json.
//!
//! Natively one embedder's matrix products already run on every core (candle's gemm, see
//! `embed::kernels`), so the native ratio is small; in the browser each worker has one
//! thread, and the ratio is what the helper workers add.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use benefind::pdf::{read_pdf, PdfLimits};
use benefind::{Embedder, Engine, IngestDoc};
use serde_json::{json, Map, Value};

use crate::cli::ModelArgs;

/// The process's peak resident memory (VmHWM), in bytes; 0 where /proc is absent.
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Embeds texts on `threads` threads, each with its own embedder (loaded before
/// the clock starts, as the browser's helpers are warm after their first batch); the
/// flat vectors in order and the seconds taken.
fn embed_on(embedders: &[Embedder], texts: &[&str]) -> anyhow::Result<(Vec<f32>, f64)> {
    let share = texts.len().div_ceil(embedders.len()).max(1);
    let started = Instant::now();
    let parts: Vec<anyhow::Result<Vec<f32>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = texts
            .chunks(share)
            .zip(embedders)
            .map(|(part, embedder)| {
                scope.spawn(move || -> anyhow::Result<Vec<f32>> {
                    let mut out = Vec::new();
                    for batch in part.chunks(8) {
                        for v in embedder.embed(batch)? {
                            out.extend_from_slice(&v);
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("an embedding thread panicked")))
            })
            .collect()
    });
    let mut vectors = Vec::new();
    for part in parts {
        vectors.extend(part?);
    }
    Ok((vectors, started.elapsed().as_secs_f64()))
}

/// One file: extraction, chunking, sequential and parallel embedding, indexing.
fn measure(model: &ModelArgs, path: &Path, threads: usize) -> anyhow::Result<Value> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("document.pdf");
    let mut extract = Vec::new();
    let mut layout = None;
    for _ in 0..3 {
        let started = Instant::now();
        layout = Some(read_pdf(&bytes, name, PdfLimits::default())?);
        extract.push(started.elapsed().as_secs_f64());
    }
    extract.sort_by(f64::total_cmp);
    let extract_s = extract[1];
    let layout = layout.context("no layout")?;
    let doc = IngestDoc {
        text: String::new(),
        layout: Some(layout.clone()),
        policy: "BENCH".into(),
        source: Some(name.into()),
        id: Some("bench".into()),
        metadata: Map::new(),
    };
    let embedders: Vec<Embedder> = (0..threads.max(1))
        .map(|_| model.load())
        .collect::<anyhow::Result<_>>()?;
    let mut engine = Engine::empty(model.load()?)?;
    let started = Instant::now();
    let chunked = engine.chunk_for_ingest(std::slice::from_ref(&doc))?;
    let chunk_s = started.elapsed().as_secs_f64();
    let texts: Vec<&str> = chunked.texts().collect();
    let (_, sequential_s) = embed_on(&embedders[..1], &texts)?;
    let (vectors, parallel_s) = embed_on(&embedders, &texts)?;
    let chunks = texts.len();
    let n = chunks as f64;
    let started = Instant::now();
    let prepared = engine.prepare_ingest_chunked(chunked, vectors)?;
    engine.apply_ingest(prepared)?;
    let index_s = started.elapsed().as_secs_f64();
    let rows = layout
        .blocks
        .iter()
        .filter(|b| matches!(b, benefind::engine::chunk::LayoutBlock::Row { .. }))
        .count();
    Ok(json!({
        "file": name,
        "bytes": bytes.len(),
        "pages": layout.pages,
        "table_rows": rows,
        "chunks": chunks,
        "extract_s": extract_s,
        "chunk_s": chunk_s,
        "threads": embedders.len(),
        "sequential": {
            "embed_s": sequential_s,
            "chunks_per_s": n / sequential_s,
            "searchable_s": extract_s + chunk_s + sequential_s + index_s,
        },
        "parallel": {
            "embed_s": parallel_s,
            "chunks_per_s": n / parallel_s,
            "searchable_s": extract_s + chunk_s + parallel_s + index_s,
        },
        "speedup": sequential_s / parallel_s,
        "index_s": index_s,
    }))
}

pub fn run(model: &ModelArgs, files: &[PathBuf], threads: Option<usize>) -> anyhow::Result<()> {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 4);
    let mut results = Vec::new();
    println!(
        "{:<44} {:>5} {:>6} {:>8} {:>10} {:>10} {:>12} {:>12} {:>7}",
        "file",
        "pages",
        "chunks",
        "extract",
        "seq ch/s",
        "par ch/s",
        "seq search.",
        "par search.",
        "ratio"
    );
    for path in files {
        let r = measure(model, path, threads)?;
        println!(
            "{:<44} {:>5} {:>6} {:>7.2}s {:>10.1} {:>10.1} {:>11.2}s {:>11.2}s {:>6.2}×",
            r["file"].as_str().unwrap_or(""),
            r["pages"],
            r["chunks"],
            r["extract_s"].as_f64().unwrap_or(0.0),
            r["sequential"]["chunks_per_s"].as_f64().unwrap_or(0.0),
            r["parallel"]["chunks_per_s"].as_f64().unwrap_or(0.0),
            r["sequential"]["searchable_s"].as_f64().unwrap_or(0.0),
            r["parallel"]["searchable_s"].as_f64().unwrap_or(0.0),
            r["speedup"].as_f64().unwrap_or(0.0),
        );
        results.push(r);
    }
    let peak = peak_rss();
    println!(
        "embedders: {threads} in parallel against 1 (natively each one's matrix products use every core); peak RSS of this process: {:.0} MB (all files, {threads} + 2 embedders loaded)",
        peak as f64 / 1e6
    );
    let out = Path::new("target/bench");
    std::fs::create_dir_all(out)?;
    std::fs::write(
        out.join("pdf-native.json"),
        serde_json::to_string_pretty(
            &json!({ "threads": threads, "peak_rss_bytes": peak, "files": results }),
        )?,
    )?;
    Ok(())
}
