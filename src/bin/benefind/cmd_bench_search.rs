//! `benefind bench search`: build time, load time with stored graphs, query latency and
//! recall@10 (unfiltered and at 1 %, 10 %, 50 % selectivity) against brute force measured
//! in the same run, bytes per vector per encoding; on real MiniLM embeddings (cached) and
//! on a synthetic set calibrated to their nearest-neighbour similarity.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use benefind::engine::bundle::{Record, VectorEncoding};
use benefind::engine::index::IndexParams;
use benefind::testing::synthetic::{
    benefit_sentences, brute_force, centres, clustered, mean_nearest_cosine, metadata, Rng,
};
use benefind::{Collection, Filter, SearchMode};
use serde_json::{json, Map, Value};

use crate::cli::ModelArgs;
use crate::cmd_bench::{percentile, timed_ms};

const SEED: u64 = 0xbe4e_f14d;
const DIMS: usize = 384;
const K: usize = 10;
const POLICIES: [&str; 3] = ["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"];

/// Peak resident memory of this process so far (Linux), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Real MiniLM embeddings of generated benefit sentences, cached as raw f32 (the first
/// run embeds; later runs read the cache).
fn real_vectors(model: &ModelArgs, n: usize, cache: &Path) -> anyhow::Result<Vec<f32>> {
    let path = cache.join(format!("minilm-benefit-sentences-{n}-{SEED:x}.f32"));
    if let Ok(bytes) = std::fs::read(&path) {
        if bytes.len() == n * DIMS * 4 {
            return Ok(bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect());
        }
    }
    eprintln!(
        "embedding {n} sentences for the real-embedding set (cached in {})",
        cache.display()
    );
    let embedder = model.load()?;
    let sentences = benefit_sentences(&mut Rng::new(SEED), n);
    let started = Instant::now();
    let mut out = Vec::with_capacity(n * DIMS);
    for batch in sentences.chunks(256) {
        for v in embedder.embed(batch)? {
            out.extend(v);
        }
    }
    eprintln!("embedded in {:.0} s", started.elapsed().as_secs_f64());
    std::fs::create_dir_all(cache)?;
    let bytes: Vec<u8> = out.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    Ok(out)
}

/// The spread whose clustered set has the mean nearest-neighbour cosine closest to `target`.
fn calibrate(target: f32) -> (f32, f32) {
    let mut best = (0.0, 0.0, f32::INFINITY);
    for spread in [0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.10, 0.12] {
        let mut rng = Rng::new(SEED);
        let c = centres(&mut rng, 100, DIMS);
        let sample = clustered(&mut rng, &c, 10_000, spread);
        let nn = mean_nearest_cosine(&sample, DIMS, 200);
        if (nn - target).abs() < best.2 {
            best = (spread, nn, (nn - target).abs());
        }
    }
    (best.0, best.1)
}

struct Dataset {
    name: String,
    vectors: Vec<f32>,
    queries: Vec<Vec<f32>>,
    meta: Vec<Map<String, Value>>,
    /// The sentences behind the rows and the queries (real set only; empty otherwise):
    /// with them the keyword index is real and hybrid latency is measured.
    texts: Vec<String>,
    query_texts: Vec<String>,
}

/// Figures by label (encoding or filter), as they go into the JSON report.
type Figures = Map<String, Value>;

fn measure(ds: &Dataset, params: &IndexParams) -> anyhow::Result<Value> {
    let n = ds.meta.len();
    let records: Vec<Record> = ds
        .meta
        .iter()
        .enumerate()
        .map(|(i, m)| Record {
            id: format!("row_{i:06}"),
            text: ds.texts.get(i).cloned().unwrap_or_default(),
            metadata: m.clone(),
        })
        .collect();
    let started = Instant::now();
    let collection = Collection::build("bench", DIMS, records, ds.vectors.clone(), params.clone())?;
    let build_s = started.elapsed().as_secs_f64();

    let (bytes_per_vector, recall_by_encoding, load_ms) = by_encoding(&collection, ds)?;
    let (recall, p50, p99) = run_queries(&collection, ds, None)?;
    let mut queries = ds.queries.iter().cycle();
    let brute = timed_ms(ds.queries.len(), || -> anyhow::Result<()> {
        let q = queries.next().context("no queries")?;
        std::hint::black_box(brute_force(&ds.vectors, DIMS, q, K, |_| true));
        Ok(())
    })?;
    let brute_p50 = percentile(&brute, 0.5);

    let (filtered, filtered_p50, non_matching) = by_filter(&collection, ds)?;
    let vector_p50 = filtered_p50["policy"].as_f64().unwrap_or(f64::NAN);
    let hybrid = hybrid_vs_vector(&collection, ds, vector_p50)?;
    let (graph_rows, exact_rows) = collection.segment_sizes();
    Ok(json!({
        "hybrid_vs_vector": hybrid,
        "dataset": ds.name,
        "n": n,
        "build_s": build_s,
        "graph_rows": graph_rows,
        "exact_rows": exact_rows,
        "load_ms_with_graph": load_ms,
        "load_vs_rebuild": load_ms / (build_s * 1e3),
        "recall_at_10": recall,
        "p50_ms": p50,
        "p99_ms": p99,
        "brute_p50_ms": brute_p50,
        "speedup_vs_brute": brute_p50 / p50,
        "recall_at_10_filtered": filtered,
        "filtered_p50_ms": filtered_p50,
        "non_matching_returned": non_matching,
        "bytes_per_vector": bytes_per_vector,
        "recall_at_10_by_encoding": recall_by_encoding,
        "peak_rss_mb": peak_rss_mb(),
    }))
}

/// Per vector encoding: bytes per vector and recall@10 after a round trip through the
/// bundle, and the f32 bundle's load time in ms.
fn by_encoding(collection: &Collection, ds: &Dataset) -> anyhow::Result<(Figures, Figures, f64)> {
    let mut bytes_per_vector = Map::new();
    let mut recall_by_encoding = Map::new();
    let mut load_ms = 0.0;
    for encoding in [
        VectorEncoding::F32,
        VectorEncoding::F16,
        VectorEncoding::Int8,
    ] {
        let bytes = collection.to_bundle(encoding)?.to_bytes();
        let started = Instant::now();
        let loaded = Collection::from_bundle_bytes(&bytes, "bench", DIMS)?;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        if encoding == VectorEncoding::F32 {
            load_ms = ms;
        }
        bytes_per_vector.insert(encoding.to_string(), json!(encoding.bytes_per_vector(DIMS)));
        let (recall, _, _) = run_queries(&loaded, ds, None)?;
        recall_by_encoding.insert(encoding.to_string(), json!(recall));
    }

    Ok((bytes_per_vector, recall_by_encoding, load_ms))
}

/// Per filter (selectivity 1 %, 10 %, 50 % and a policy): recall@10 and p50, and the
/// number of returned hits that do not match their filter (must be 0).
fn by_filter(collection: &Collection, ds: &Dataset) -> anyhow::Result<(Figures, Figures, usize)> {
    let mut filtered = Map::new();
    let mut filtered_p50 = Map::new();
    let mut non_matching = 0usize;
    for (label, filter) in [
        ("0.01", json!({"bucket": {"$lt": 1}})),
        ("0.1", json!({"bucket": {"$lt": 10}})),
        ("0.5", json!({"bucket": {"$lt": 50}})),
        ("policy", json!({"policy": "HMO_SELECT"})),
    ] {
        let f = Filter::parse(&filter)?;
        let (r, p50f, _) = run_queries(collection, ds, Some(&f))?;
        for q in &ds.queries {
            non_matching += collection
                .query_vector(q, K, Some(&f))?
                .iter()
                .filter(|h| !f.matches(&h.metadata))
                .count();
        }
        filtered.insert(label.into(), json!(r));
        filtered_p50.insert(label.into(), json!(p50f));
    }
    Ok((filtered, filtered_p50, non_matching))
}

/// Hybrid (the default mode) against vector-only, both under the policy filter a
/// member's search carries, the question already embedded (`null` without texts).
fn hybrid_vs_vector(
    collection: &Collection,
    ds: &Dataset,
    vector_p50: f64,
) -> anyhow::Result<Value> {
    if ds.query_texts.is_empty() {
        return Ok(Value::Null);
    }
    let f = Filter::parse(&json!({"policy": "HMO_SELECT"}))?;
    let mut texts = ds.query_texts.iter().zip(&ds.queries).cycle();
    let times = timed_ms(ds.queries.len(), || -> anyhow::Result<()> {
        let (text, q) = texts.next().context("no queries")?;
        std::hint::black_box(collection.query_text(text, q, K, Some(&f), SearchMode::Hybrid)?);
        Ok(())
    })?;
    let hybrid_p50 = percentile(&times, 0.5);
    Ok(
        json!({"hybrid_policy_p50_ms": hybrid_p50, "vector_policy_p50_ms": vector_p50, "ratio": hybrid_p50 / vector_p50}),
    )
}

/// Recall@K against brute force on the f32 vectors, and latency p50/p99 in ms.
fn run_queries(
    c: &Collection,
    ds: &Dataset,
    filter: Option<&Filter>,
) -> anyhow::Result<(f64, f64, f64)> {
    let mut times = Vec::with_capacity(ds.queries.len());
    let (mut found, mut wanted) = (0usize, 0usize);
    for q in &ds.queries {
        let t = Instant::now();
        let hits = c.query_vector(q, K, filter)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        let exact = brute_force(&ds.vectors, DIMS, q, K, |i| {
            filter.is_none_or(|f| f.matches(&ds.meta[i]))
        });
        let exact: std::collections::HashSet<String> =
            exact.iter().map(|(i, _)| format!("row_{i:06}")).collect();
        found += hits.iter().filter(|h| exact.contains(&h.id)).count();
        wanted += exact.len();
    }
    times.sort_by(f64::total_cmp);
    Ok((
        found as f64 / wanted.max(1) as f64,
        percentile(&times, 0.5),
        percentile(&times, 0.99),
    ))
}

pub fn run(
    model: &ModelArgs,
    sizes: &[usize],
    queries: usize,
    cache: &Path,
    params: IndexParams,
) -> anyhow::Result<()> {
    let mut report = Map::new();
    // Real embeddings: the smallest size (plus held-out sentences as queries).
    let real_n = sizes.iter().copied().min().unwrap_or(10_000);
    let all = real_vectors(model, real_n + queries, cache)?;
    let mut sentences = benefit_sentences(&mut Rng::new(SEED), real_n + queries);
    let query_texts = sentences.split_off(real_n);
    let real = Dataset {
        texts: sentences,
        query_texts,
        name: "real MiniLM benefit sentences".into(),
        vectors: all[..real_n * DIMS].to_vec(),
        queries: all[real_n * DIMS..]
            .chunks(DIMS)
            .map(<[f32]>::to_vec)
            .collect(),
        meta: metadata(&mut Rng::new(SEED), real_n, &POLICIES),
    };
    let target = mean_nearest_cosine(&real.vectors, DIMS, 200);
    let (spread, achieved) = calibrate(target);
    eprintln!("real set: mean nearest-neighbour cosine {target:.3}; synthetic spread {spread} gives {achieved:.3}");
    report.insert("calibration".into(), json!({"real_nn_cosine": target, "synthetic_spread": spread, "synthetic_nn_cosine": achieved}));

    eprintln!("measuring {} (n = {real_n})", real.name);
    let real_report = measure(&real, &params)?;
    print_row(&real_report);
    report.insert(format!("real_{real_n}"), real_report.clone());
    report.insert(real_n.to_string(), real_report);
    drop(real);

    for &n in sizes {
        let mut rng = Rng::new(SEED ^ n as u64);
        let c = centres(&mut rng, (n / 100).max(100), DIMS);
        let ds = Dataset {
            name: "synthetic (calibrated)".into(),
            vectors: clustered(&mut rng, &c, n, spread),
            queries: clustered(&mut rng, &c, queries, spread)
                .chunks(DIMS)
                .map(<[f32]>::to_vec)
                .collect(),
            meta: metadata(&mut rng, n, &POLICIES),
            texts: Vec::new(),
            query_texts: Vec::new(),
        };
        eprintln!("measuring {} (n = {n})", ds.name);
        let r = measure(&ds, &params)?;
        print_row(&r);
        report.insert(format!("synthetic_{n}"), r.clone());
        if n != real_n {
            report.insert(n.to_string(), r);
        }
    }
    let out = Path::new("target/bench");
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("search.json"), serde_json::to_vec_pretty(&report)?)?;
    eprintln!("wrote target/bench/search.json");
    Ok(())
}

/// `benefind bench bundle`: real embeddings of `n` benefit sentences as a bundle (graphs
/// built), and `queries` held-out sentences with their vectors as `OUT.queries.json`.
pub fn bundle(
    model: &ModelArgs,
    n: usize,
    queries: usize,
    cache: &Path,
    out: &Path,
    options: crate::cmd_bundle::BuildOptions,
) -> anyhow::Result<()> {
    let all = real_vectors(model, n + queries, cache)?;
    let texts = benefit_sentences(&mut Rng::new(SEED), n + queries);
    let meta = metadata(&mut Rng::new(SEED), n + queries, &POLICIES);
    let records: Vec<Record> = (0..n)
        .map(|i| Record {
            id: format!("s{i:06}"),
            text: texts[i].clone(),
            metadata: meta[i].clone(),
        })
        .collect();
    let started = Instant::now();
    let collection = Collection::build(
        benefind::MODEL_ID,
        DIMS,
        records,
        all[..n * DIMS].to_vec(),
        options.params,
    )?;
    let bytes = collection.to_bundle(options.encoding)?.to_bytes();
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    let questions: Vec<Value> = (n..n + queries)
        .map(|i| {
            json!({
                "question": texts[i],
                "policy": meta[i]["policy"],
                "vector": &all[i * DIMS..(i + 1) * DIMS],
            })
        })
        .collect();
    let qpath = out.with_extension("queries.json");
    std::fs::write(&qpath, serde_json::to_vec(&questions)?)?;
    eprintln!(
        "wrote {} ({n} chunks, {} bytes, built in {:.1} s) and {}",
        out.display(),
        bytes.len(),
        started.elapsed().as_secs_f64(),
        qpath.display()
    );
    Ok(())
}

fn print_row(r: &Value) {
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    let h = &r["hybrid_vs_vector"];
    if !h.is_null() {
        println!(
            "  policy-filtered query, question embedded: hybrid p50 {:.3} ms vs vector-only {:.3} ms ({:.2}x)",
            f(&h["hybrid_policy_p50_ms"]),
            f(&h["vector_policy_p50_ms"]),
            f(&h["ratio"])
        );
    }
    println!(
        "{:<32} n={:<7} build {:>6.1}s  load {:>7.1}ms ({:.3}x rebuild)  p50 {:.3}ms p99 {:.3}ms  brute p50 {:.3}ms ({:.1}x)  recall@10 {:.4}  filtered 1%/10%/50%/policy {:.4}/{:.4}/{:.4}/{:.4}  non-matching {}  f16 {:.4} int8 {:.4}  bytes/vec f32/f16/int8 {}/{}/{}  peak RSS {:.0} MB",
        r["dataset"].as_str().unwrap_or(""),
        r["n"],
        f(&r["build_s"]),
        f(&r["load_ms_with_graph"]),
        f(&r["load_vs_rebuild"]),
        f(&r["p50_ms"]),
        f(&r["p99_ms"]),
        f(&r["brute_p50_ms"]),
        f(&r["speedup_vs_brute"]),
        f(&r["recall_at_10"]),
        f(&r["recall_at_10_filtered"]["0.01"]),
        f(&r["recall_at_10_filtered"]["0.1"]),
        f(&r["recall_at_10_filtered"]["0.5"]),
        f(&r["recall_at_10_filtered"]["policy"]),
        r["non_matching_returned"],
        f(&r["recall_at_10_by_encoding"]["f16"]),
        f(&r["recall_at_10_by_encoding"]["int8"]),
        r["bytes_per_vector"]["f32"],
        r["bytes_per_vector"]["f16"],
        r["bytes_per_vector"]["int8"],
        f(&r["peak_rss_mb"]),
    );
}
