//! `benefind bench answer`: written answers through benefind-proxy (`POST /v1/answer`,
//! streamed) against the local fake, next to the same Bedrock and S3 Vectors calls
//! signed by this client and sent straight to the fake (the baseline, measured in the
//! same run, alternating question by question). Prints time to first token and total time
//! (p50/p95), Bedrock calls and tokens per answer, the share of grounded answers, and the
//! proxy's overhead; writes target/bench/answer.json.
//!
//! The baseline makes the proxy's upstream calls in the proxy's order (ApplyGuardrail,
//! Titan InvokeModel, QueryVectors topK 100 with metadata, ConverseStream with the same
//! prompt over the best passages) but none of its own work (token and limit checks, the
//! hybrid re-rank, the grounding check, SSE framing), so the difference is what the proxy
//! adds. The fake paces its stream (5 ms between frames) like a model writing, the same
//! for both paths.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context};
use benefind::cloud::aws::converse::{
    ApplyGuardrailRequest, ConverseRequest, EventStreamReader, GuardText, GuardrailContent,
    InferenceConfig, NOVA_MICRO,
};
use benefind::cloud::aws::{
    self, test_credentials, IndexRef, QueryVectorsInput, QueryVectorsOutput, TitanRequest,
    TitanResponse, VectorData,
};
use benefind::cloud::grounding::Passage;
use serde::Serialize;
use serde_json::{json, Value};

use crate::cmd_bench_proxy::pct;

/// What one answer took.
#[derive(Default)]
struct Timing {
    first_token: Vec<Duration>,
    total: Vec<Duration>,
    calls: u64,
    input_tokens: u64,
    output_tokens: u64,
    grounded: usize,
}

/// The fake's guardrail (see `cloud::fake`).
const GUARDRAIL: (&str, &str) = ("benefindfake01", "1");
const PASSAGES: usize = 5;

async fn signed<T: Serialize>(
    http: &reqwest::Client,
    fake: &str,
    service: &str,
    path: &str,
    body: &T,
) -> anyhow::Result<reqwest::Response> {
    let url = format!("{fake}{path}");
    let bytes = serde_json::to_vec(body)?;
    let headers = aws::sign(
        &test_credentials(),
        aws::TEST_REGION,
        service,
        "POST",
        &url,
        &[("content-type", "application/json")],
        &bytes,
        SystemTime::now(),
    )?;
    let mut req = http
        .post(&url)
        .header("content-type", "application/json")
        .body(bytes);
    for (n, v) in headers {
        req = req.header(n, v);
    }
    let r = req.send().await?;
    if !r.status().is_success() {
        bail!("{path}: HTTP {} {}", r.status(), r.text().await?);
    }
    Ok(r)
}

/// The proxy's upstream calls, made and signed here.
async fn direct(
    http: &reqwest::Client,
    fake: &str,
    question: &str,
    policy: &str,
    t: &mut Timing,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let g = ApplyGuardrailRequest {
        source: "INPUT".into(),
        content: vec![GuardrailContent {
            text: GuardText {
                text: question.into(),
            },
        }],
    };
    let path = format!("/guardrail/{}/version/{}/apply", GUARDRAIL.0, GUARDRAIL.1);
    signed(http, fake, aws::BEDROCK, &path, &g).await?;
    let titan = TitanRequest {
        input_text: question.into(),
        dimensions: Some(1024),
        normalize: Some(true),
    };
    let path = format!("/model/{}/invoke", aws::TITAN_V2.replace(':', "%3A"));
    let embedding: TitanResponse = signed(http, fake, aws::BEDROCK, &path, &titan)
        .await?
        .json()
        .await?;
    let query = QueryVectorsInput {
        index: IndexRef {
            vector_bucket_name: Some("benefind".into()),
            index_name: Some("benefits".into()),
            index_arn: None,
        },
        top_k: 100,
        query_vector: VectorData {
            float32: embedding.embedding,
        },
        filter: Some(json!({"policy": policy})),
        return_metadata: true,
        return_distance: true,
    };
    let found: QueryVectorsOutput = signed(http, fake, aws::S3VECTORS, "/QueryVectors", &query)
        .await?
        .json()
        .await?;
    let passages: Vec<Passage> = found
        .vectors
        .iter()
        .take(PASSAGES)
        .map(|v| Passage {
            key: v.key.clone(),
            label: None,
            text: v
                .metadata
                .as_ref()
                .and_then(|m| m.get("chunk"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .into(),
        })
        .collect();
    let inference = InferenceConfig {
        max_tokens: Some(400),
        temperature: Some(0.0),
    };
    let converse = ConverseRequest::grounded(question, &passages, inference, GUARDRAIL, true);
    let path = format!("/model/{}/converse-stream", NOVA_MICRO.replace(':', "%3A"));
    let mut response = signed(http, fake, aws::BEDROCK, &path, &converse).await?;
    let mut reader = EventStreamReader::new();
    let mut first = None;
    loop {
        while let Some(e) = reader.next_event().map_err(anyhow::Error::msg)? {
            if e.delta_text().is_some() {
                first.get_or_insert_with(|| started.elapsed());
            }
            if e.kind == "metadata" {
                t.first_token.push(first.context("no text streamed")?);
                t.total.push(started.elapsed());
                t.calls += 3;
                t.input_tokens += e.payload["usage"]["inputTokens"].as_u64().unwrap_or(0);
                t.output_tokens += e.payload["usage"]["outputTokens"].as_u64().unwrap_or(0);
                return Ok(());
            }
        }
        let chunk = response.chunk().await?.context("the stream ended early")?;
        reader.push(&chunk);
    }
}

/// `/v1/answer` through the proxy, streamed.
async fn proxied(
    http: &reqwest::Client,
    proxy: &str,
    token: &str,
    question: &str,
    policy: &str,
    t: &mut Timing,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut response = http
        .post(format!("{proxy}/v1/answer"))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .json(&json!({"question": question, "filter": {"policy": policy}, "topK": PASSAGES}))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!(
            "/v1/answer: HTTP {} {}",
            response.status(),
            response.text().await?
        );
    }
    let mut buffer = String::new();
    let mut first = None;
    while let Some(chunk) = response.chunk().await? {
        buffer.push_str(std::str::from_utf8(&chunk)?);
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let event = block
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or("");
            let data: Value = block
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .map(serde_json::from_str)
                .transpose()?
                .unwrap_or(Value::Null);
            match event {
                "delta" => {
                    first.get_or_insert_with(|| started.elapsed());
                }
                "done" => {
                    t.first_token.push(first.context("no text streamed")?);
                    t.total.push(started.elapsed());
                    let u = &data["usage"];
                    t.calls += u["bedrockCalls"].as_u64().unwrap_or(0);
                    t.input_tokens += u["inputTokens"].as_u64().unwrap_or(0);
                    t.output_tokens += u["outputTokens"].as_u64().unwrap_or(0);
                    t.grounded += usize::from(data["grounded"] == true);
                    return Ok(());
                }
                "error" => bail!("/v1/answer: {data}"),
                _ => {}
            }
        }
    }
    bail!("/v1/answer: the stream ended without done")
}

/// The `p` quantile of `v`, in ms.
fn ms(v: &[Duration], p: f64) -> f64 {
    let mut sorted = v.to_vec();
    sorted.sort();
    pct(&sorted, p)
}

/// Runs the bench over the questions of `questions` (JSON lines with `question` and
/// `policy`), `rounds` times each; the search token comes from the environment.
pub fn run(proxy: &str, fake: &str, questions: &Path, rounds: usize) -> anyhow::Result<()> {
    let token = std::env::var("BENEFIND_SEARCH_TOKEN").context("set BENEFIND_SEARCH_TOKEN")?;
    let asked: Vec<(String, String)> = std::fs::read_to_string(questions)
        .with_context(|| format!("reading {}", questions.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l)?;
            Ok((
                v["question"].as_str().context("question")?.to_owned(),
                v["policy"].as_str().context("policy")?.to_owned(),
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let http = reqwest::Client::new();
    let (mut via_proxy, mut baseline) = (Timing::default(), Timing::default());
    rt.block_on(async {
        // Warm both paths once.
        let (q, p) = &asked[0];
        proxied(&http, proxy, &token, q, p, &mut Timing::default()).await?;
        direct(&http, fake, q, p, &mut Timing::default()).await?;
        for round in 0..rounds {
            for (i, (q, p)) in asked.iter().enumerate() {
                // Alternate which path goes first, so neither always meets a warmer fake.
                if (i + round) % 2 == 0 {
                    proxied(&http, proxy, &token, q, p, &mut via_proxy).await?;
                    direct(&http, fake, q, p, &mut baseline).await?;
                } else {
                    direct(&http, fake, q, p, &mut baseline).await?;
                    proxied(&http, proxy, &token, q, p, &mut via_proxy).await?;
                }
            }
        }
        anyhow::Ok(())
    })?;
    let n = via_proxy.total.len();
    let per = |t: &Timing| {
        json!({
            "answers": t.total.len(),
            "first_token_ms": {"p50": ms(&t.first_token, 0.5), "p95": ms(&t.first_token, 0.95)},
            "total_ms": {"p50": ms(&t.total, 0.5), "p95": ms(&t.total, 0.95)},
            "bedrock_calls_per_answer": t.calls as f64 / t.total.len() as f64,
            "input_tokens_per_answer": t.input_tokens as f64 / t.total.len() as f64,
            "output_tokens_per_answer": t.output_tokens as f64 / t.total.len() as f64,
        })
    };
    println!(
        "written answers against the fake: {} questions x {rounds} rounds, {PASSAGES} passages each",
        asked.len()
    );
    for (name, t) in [
        ("direct signed calls (baseline)", &baseline),
        ("through benefind-proxy", &via_proxy),
    ] {
        println!(
            "  {name:<31} first token p50 {:>6.1} ms p95 {:>6.1} | total p50 {:>6.1} ms p95 {:>6.1} | {:.1} Bedrock calls, {:.0} in / {:.0} out tokens per answer",
            ms(&t.first_token, 0.5),
            ms(&t.first_token, 0.95),
            ms(&t.total, 0.5),
            ms(&t.total, 0.95),
            t.calls as f64 / t.total.len() as f64,
            t.input_tokens as f64 / t.total.len() as f64,
            t.output_tokens as f64 / t.total.len() as f64,
        );
    }
    let overhead = ms(&via_proxy.total, 0.5) - ms(&baseline.total, 0.5);
    println!(
        "  proxy / direct: first token {:.2}x, total {:.2}x (+{overhead:.1} ms p50); grounded answers {}/{n}",
        ms(&via_proxy.first_token, 0.5) / ms(&baseline.first_token, 0.5),
        ms(&via_proxy.total, 0.5) / ms(&baseline.total, 0.5),
        via_proxy.grounded
    );
    println!("  (calls: Bedrock's ApplyGuardrail, InvokeModel and ConverseStream; each answer also makes one QueryVectors)");
    let out = json!({
        "questions": asked.len(), "rounds": rounds, "passages": PASSAGES,
        "proxy": per(&via_proxy), "direct": per(&baseline),
        "grounded": via_proxy.grounded,
        "first_token_ratio_proxy_over_direct": ms(&via_proxy.first_token, 0.5) / ms(&baseline.first_token, 0.5),
        "total_ratio_proxy_over_direct": ms(&via_proxy.total, 0.5) / ms(&baseline.total, 0.5),
    });
    std::fs::create_dir_all("target/bench")?;
    std::fs::write("target/bench/answer.json", serde_json::to_vec_pretty(&out)?)?;
    Ok(())
}
