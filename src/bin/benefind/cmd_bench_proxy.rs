//! `benefind bench proxy`: a bounded load test of benefind-proxy (against the local fake
//! AWS), with the same requests sent straight to the fake (signed by the client) as the
//! baseline measured in the same run. Prints throughput, p50/p99 and errors, checks that
//! every upserted key is queryable afterwards, and writes target/bench/proxy.json.

use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use benefind::cloud::aws::test_credentials;
use benefind::cloud::aws::{
    self, IndexRef, PutInputVector, PutVectorsInput, QueryVectorsInput, VectorData,
};
use benefind::testing::synthetic::Rng;

use crate::cmd_bench_abuse;
use serde_json::{json, Value};

const DIMS: usize = 1024;

fn vector(seed: usize) -> Vec<f32> {
    let mut rng = Rng::new(seed as u64 + 7);
    let mut v: Vec<f32> = (0..DIMS).map(|_| rng.normal()).collect();
    benefind::engine::vector::l2_normalize(&mut v);
    v
}

/// One request of the mix: even = upsert one vector, odd = query by vector.
pub enum Target<'a> {
    Proxy {
        url: &'a str,
        search: &'a str,
        ingest: &'a str,
    },
    Direct {
        url: &'a str,
    },
}

async fn request(
    http: &reqwest::Client,
    target: &Target<'_>,
    n: usize,
    prefix: &str,
) -> anyhow::Result<()> {
    let key = format!("{prefix}_{n:06}");
    // The body is serialised once: the direct path signs exactly the bytes it sends.
    let (url, body, auth): (String, Vec<u8>, Vec<(String, String)>) = match target {
        Target::Proxy {
            url,
            search,
            ingest,
        } => {
            if n.is_multiple_of(2) {
                (
                    format!("{url}/v1/upsert"),
                    serde_json::to_vec(
                        &json!({"vectors": [{"key": key, "data": vector(n), "metadata": {"policy": "PPO_PLUS"}}]}),
                    )?,
                    vec![("authorization".into(), format!("Bearer {ingest}"))],
                )
            } else {
                (
                    format!("{url}/v1/query"),
                    serde_json::to_vec(&json!({"vector": vector(n), "topK": 3}))?,
                    vec![("authorization".into(), format!("Bearer {search}"))],
                )
            }
        }
        Target::Direct { url } => {
            let index = IndexRef {
                vector_bucket_name: Some("benefind".into()),
                index_name: Some("baseline".into()),
                index_arn: None,
            };
            let (path, body) = if n.is_multiple_of(2) {
                (
                    "/PutVectors",
                    serde_json::to_vec(&PutVectorsInput {
                        index,
                        vectors: vec![PutInputVector {
                            key,
                            data: VectorData { float32: vector(n) },
                            metadata: Some(serde_json::Map::from_iter([(
                                "policy".to_string(),
                                json!("PPO_PLUS"),
                            )])),
                        }],
                    })?,
                )
            } else {
                (
                    "/QueryVectors",
                    serde_json::to_vec(&QueryVectorsInput {
                        index,
                        top_k: 3,
                        query_vector: VectorData { float32: vector(n) },
                        filter: None,
                        return_metadata: false,
                        return_distance: false,
                    })?,
                )
            };
            let full = format!("{url}{path}");
            let signed = aws::sign(
                &test_credentials(),
                "us-east-1",
                aws::S3VECTORS,
                "POST",
                &full,
                &[("content-type", "application/json")],
                &body,
                SystemTime::now(),
            )?;
            (full, body, signed)
        }
    };
    let mut req = http
        .post(&url)
        .header("content-type", "application/json")
        .body(body);
    for (k, v) in auth {
        req = req.header(k, v);
    }
    let r = req.send().await?;
    anyhow::ensure!(
        r.status().is_success(),
        "{url}: HTTP {} {}",
        r.status(),
        r.text().await.unwrap_or_default()
    );
    Ok(())
}

pub struct Run {
    pub seconds: f64,
    pub latencies: Vec<Duration>,
    pub errors: Vec<String>,
}

impl Run {
    /// Two runs of the same path as one: times added, latencies pooled.
    fn merge(a: Run, b: Run) -> Run {
        let mut latencies = a.latencies;
        latencies.extend(b.latencies);
        latencies.sort();
        let mut errors = a.errors;
        errors.extend(b.errors);
        Run {
            seconds: a.seconds + b.seconds,
            latencies,
            errors,
        }
    }
}

/// `clients` concurrent clients sending `per_client` requests each; request numbers start
/// at `first` (keys and vectors derive from them, so runs with disjoint ranges never
/// write the same key).
pub async fn load(
    target: &Target<'_>,
    clients: usize,
    per_client: usize,
    prefix: &str,
    first: usize,
) -> Run {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let tasks = (0..clients).map(|c| {
        let http = http.clone();
        async move {
            let mut lat = Vec::with_capacity(per_client);
            let mut errors = Vec::new();
            for r in 0..per_client {
                let t = Instant::now();
                if let Err(e) = request(&http, target, first + c * per_client + r, prefix).await {
                    errors.push(e.to_string());
                }
                lat.push(t.elapsed());
            }
            (lat, errors)
        }
    });
    let results = futures::future::join_all(tasks).await;
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for (l, e) in results {
        latencies.extend(l);
        errors.extend(e);
    }
    latencies.sort();
    Run {
        seconds,
        latencies,
        errors,
    }
}

pub fn pct(v: &[Duration], p: f64) -> f64 {
    v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1)))
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

/// What `bench proxy` measures besides the load test.
pub struct Hostile<'a> {
    /// A proxy with the default limits, and its fake (the cost-abuse test).
    pub guarded: &'a str,
    pub guarded_fake: &'a str,
    /// Hostile connections held open during the slow-client test.
    pub idle: usize,
    /// Seconds of each cost-abuse run.
    pub abuse_seconds: u64,
}

/// Runs the load test, then the slow-client and cost-abuse tests; tokens come from the
/// environment (never the command line).
pub fn run(
    proxy: &str,
    fake: &str,
    clients: usize,
    per_client: usize,
    hostile: &Hostile,
) -> anyhow::Result<()> {
    let search = std::env::var("BENEFIND_SEARCH_TOKEN").context("set BENEFIND_SEARCH_TOKEN")?;
    let ingest = std::env::var("BENEFIND_INGEST_TOKEN").context("set BENEFIND_INGEST_TOKEN")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let via_proxy = Target::Proxy {
        url: proxy,
        search: &search,
        ingest: &ingest,
    };
    let direct = Target::Direct { url: fake };
    // Warm both paths (connections, first allocations), then measure in two halves,
    // direct → proxy then proxy → direct, so neither side always runs on the warmer or
    // the fuller fake.
    rt.block_on(load(&direct, 4, 5, "warm_direct", 0));
    rt.block_on(load(&via_proxy, 4, 5, "warm_proxy", 0));
    let first_half = per_client / 2;
    let second_half = per_client - first_half;
    let split = clients * first_half;
    let d1 = rt.block_on(load(&direct, clients, first_half, "direct", 0));
    let p1 = rt.block_on(load(&via_proxy, clients, first_half, "proxy", 0));
    let p2 = rt.block_on(load(&via_proxy, clients, second_half, "proxy", split));
    let d2 = rt.block_on(load(&direct, clients, second_half, "direct", split));
    let base = Run::merge(d1, d2);
    let prox = Run::merge(p1, p2);
    // Every key upserted through the proxy is its own nearest neighbour afterwards.
    let http = reqwest::Client::new();
    let mut missing = 0;
    for n in (0..clients * per_client).step_by(2) {
        let body = json!({"vector": vector(n), "topK": 1});
        let v: Value = rt.block_on(async {
            http.post(format!("{proxy}/v1/query"))
                .bearer_auth(&search)
                .json(&body)
                .send()
                .await?
                .json::<Value>()
                .await
        })?;
        if v["vectors"][0]["key"] != format!("proxy_{n:06}") {
            missing += 1;
        }
    }
    let total = clients * per_client;
    let summary = |r: &Run| json!({"requests": total, "seconds": r.seconds, "throughput_rps": total as f64 / r.seconds, "p50_ms": pct(&r.latencies, 0.5), "p99_ms": pct(&r.latencies, 0.99), "errors": r.errors.len()});
    let out = json!({"clients": clients, "requests_per_client": per_client, "mix": "half PutVectors of one 1024-d vector, half QueryVectors topK 3 by vector",
        "proxy": summary(&prox), "direct_to_fake": summary(&base), "upserts_not_found_after": missing,
        "p99_ratio_proxy_over_direct": pct(&prox.latencies, 0.99) / pct(&base.latencies, 0.99),
        "throughput_ratio_proxy_over_direct": base.seconds / prox.seconds});
    println!("proxy load test: {clients} clients x {per_client} requests (half upserts, half queries by vector)");
    for (name, r) in [
        ("direct to fake (client-signed)", &base),
        ("through benefind-proxy", &prox),
    ] {
        println!(
            "  {name:<31} {:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}",
            total as f64 / r.seconds,
            pct(&r.latencies, 0.5),
            pct(&r.latencies, 0.99),
            r.errors.len()
        );
    }
    println!("  proxy / direct: throughput {:.2}x, p99 {:.2}x; upserts not queryable afterwards: {missing}", base.seconds / prox.seconds, pct(&prox.latencies, 0.99) / pct(&base.latencies, 0.99));
    anyhow::ensure!(
        prox.errors.is_empty() && base.errors.is_empty() && missing == 0,
        "errors: {:?} {:?}, missing {missing}",
        prox.errors.first(),
        base.errors.first()
    );
    let addr = proxy.trim_start_matches("http://").trim_end_matches('/');
    let slow = rt.block_on(cmd_bench_abuse::slow_clients(
        &via_proxy,
        addr,
        hostile.idle,
    ))?;
    let cost = rt.block_on(cmd_bench_abuse::cost_abuse(
        hostile.guarded,
        hostile.guarded_fake,
        &search,
        &ingest,
        hostile.abuse_seconds,
    ))?;
    let mut out = out;
    out["slow_clients"] = slow;
    out["cost_abuse"] = cost;
    std::fs::create_dir_all("target/bench")?;
    std::fs::write("target/bench/proxy.json", serde_json::to_vec_pretty(&out)?)?;
    Ok(())
}
