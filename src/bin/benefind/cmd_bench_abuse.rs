//! `benefind bench proxy`'s hostile clients: slow clients (idle and half-sent
//! connections held open while real clients keep being served) and cost abuse (one
//! address hammering with the page's public search token, and with an ingest token's
//! 32-text embeds), measured in upstream Titan calls per minute.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::cmd_bench_proxy::{load, pct, Run, Target};

/// The same load with and without `idle` hostile connections (half idle sockets, half
/// half-sent headers); then how long the proxy took to close them.
pub async fn slow_clients(target: &Target<'_>, addr: &str, idle: usize) -> anyhow::Result<Value> {
    let (clients, per_client) = (10, 40);
    let calm = load(target, clients, per_client, "calm", 2_000_000).await;
    let started = Instant::now();
    let mut hostile = Vec::with_capacity(idle);
    for i in 0..idle {
        let mut s = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connection {i} of {idle}"))?;
        if i % 2 == 1 {
            s.write_all(b"POST /v1/query HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer ")
                .await?;
        }
        hostile.push(s);
    }
    let besieged = load(target, clients, per_client, "besieged", 3_000_000).await;
    // Each hostile connection: seconds from its opening until the proxy closed it.
    let closes = futures::future::join_all(hostile.into_iter().map(|mut s| async move {
        let mut buf = [0u8; 256];
        let until = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
        until.ok().map(|()| started.elapsed().as_secs_f64())
    }))
    .await;
    let closed: Vec<f64> = closes.iter().flatten().copied().collect();
    let summary = |r: &Run| {
        json!({"requests": clients * per_client, "throughput_rps": (clients * per_client) as f64 / r.seconds,
               "p50_ms": pct(&r.latencies, 0.5), "p99_ms": pct(&r.latencies, 0.99), "errors": r.errors.len()})
    };
    let out = json!({
        "hostile_connections": idle,
        "without": summary(&calm),
        "with": summary(&besieged),
        "p99_ratio_with_over_without": pct(&besieged.latencies, 0.99) / pct(&calm.latencies, 0.99),
        "hostile_closed": closed.len(),
        "hostile_closed_after_s_max": closed.iter().copied().fold(0.0, f64::max),
    });
    println!(
        "slow clients: {idle} hostile connections (idle or half-sent headers) held open during {clients} x {per_client} requests"
    );
    println!(
        "  served with them: {:.0} req/s, p99 {:.2} ms, errors {} (without: {:.0} req/s, p99 {:.2} ms): p99 {:.2}x",
        (clients * per_client) as f64 / besieged.seconds,
        pct(&besieged.latencies, 0.99),
        besieged.errors.len(),
        (clients * per_client) as f64 / calm.seconds,
        pct(&calm.latencies, 0.99),
        out["p99_ratio_with_over_without"].as_f64().unwrap_or(f64::NAN)
    );
    println!(
        "  closed by the proxy: {} of {idle}, the last {:.1} s after it opened (limits.header_read_timeout_ms)",
        closed.len(),
        out["hostile_closed_after_s_max"].as_f64().unwrap_or(f64::NAN)
    );
    anyhow::ensure!(
        besieged.errors.is_empty() && calm.errors.is_empty() && closed.len() == idle,
        "slow clients: errors {:?}, {} of {idle} hostile connections closed",
        besieged.errors.first(),
        closed.len()
    );
    Ok(out)
}

/// One address spends `seconds` sending `body` to `path` with `token` as fast as 4
/// connections allow; returns (requests sent, answered 200, Titan calls made upstream).
async fn hammer(
    proxy: &str,
    fake: &str,
    path: &str,
    token: &str,
    body: &Value,
    seconds: u64,
) -> anyhow::Result<(usize, usize, u64)> {
    let http = reqwest::Client::new();
    let before = titan_calls(&http, fake).await?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks = (0..4).map(|_| {
        let http = http.clone();
        async move {
            let (mut sent, mut ok) = (0, 0);
            while Instant::now() < deadline {
                sent += 1;
                let r = http
                    .post(format!("{proxy}{path}"))
                    .bearer_auth(token)
                    .json(body)
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status().is_success()) {
                    ok += 1;
                }
            }
            (sent, ok)
        }
    });
    let counts = futures::future::join_all(tasks).await;
    let after = titan_calls(&http, fake).await?;
    let (sent, ok) = counts
        .iter()
        .fold((0, 0), |(s, o), (s1, o1)| (s + s1, o + o1));
    Ok((sent, ok, after - before))
}

async fn titan_calls(http: &reqwest::Client, fake: &str) -> anyhow::Result<u64> {
    let stats: Value = http
        .get(format!("{fake}/_fake/stats"))
        .send()
        .await?
        .json()
        .await?;
    Ok(stats["calls"]["InvokeModel"].as_u64().unwrap_or(0))
}

/// Cost abuse against a proxy with the default limits: Titan calls one address can
/// cause per minute with the search token, and with an ingest token's largest embeds.
pub async fn cost_abuse(
    proxy: &str,
    fake: &str,
    search: &str,
    ingest: &str,
    seconds: u64,
) -> anyhow::Result<Value> {
    let question = json!({"question": "Is my annual checkup free?", "topK": 3});
    let (sent, ok, calls) = hammer(proxy, fake, "/v1/query", search, &question, seconds).await?;
    let embed_by_search = reqwest::Client::new()
        .post(format!("{proxy}/v1/embed"))
        .bearer_auth(search)
        .json(&json!({"texts": ["x"]}))
        .send()
        .await?
        .status()
        .as_u16();
    // Let the address's allowance refill before the second client.
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    // Short texts: the fake's Titan is MiniLM on this CPU, and long ones would make it, not
    // the limits, the bottleneck.
    let texts = json!({"texts": vec!["Preventive care is covered in full."; 32]});
    let (isent, iok, icalls) = hammer(proxy, fake, "/v1/embed", ingest, &texts, seconds).await?;
    // Over a short window the burst counts in full: the sustained rate is the limit.
    let per_minute = |calls: u64| calls as f64 * 60.0 / seconds as f64;
    let out = json!({
        "seconds": seconds,
        "search_token_questions": {"sent": sent, "answered": ok, "titan_calls": calls, "titan_calls_per_minute": per_minute(calls)},
        "search_token_embed_status": embed_by_search,
        "ingest_token_32_text_embeds": {"sent": isent, "answered": iok, "titan_calls": icalls, "titan_calls_per_minute": per_minute(icalls)},
    });
    println!("cost abuse: one address, {seconds} s as fast as 4 connections go, default limits");
    println!(
        "  public search token, questions: {sent} sent, {ok} answered, {calls} Titan calls = {:.0}/min (limits: 120 requests/min per address, burst 30)",
        per_minute(calls)
    );
    println!("  /v1/embed with the search token: HTTP {embed_by_search}");
    println!(
        "  ingest token, 32-text embeds: {isent} sent, {iok} answered, {icalls} Titan calls = {:.0}/min (limits: 600 embeddings/min per token and address, burst 500)",
        per_minute(icalls)
    );
    Ok(out)
}
