//! `POST /v1/answer`: a written, cited answer. In order, each step paid for only when the
//! one before allows it:
//!
//! 1. the request is checked like `/v1/query`'s (strict JSON, question length, `topK`
//!    within `answer.max_passages`, filter shape) and charged to the day's answer ceiling;
//! 2. **ApplyGuardrail** on the question (`INPUT`): if the guardrail intervenes, its
//!    message is the answer, with no passages, and nothing else is called;
//! 3. retrieval exactly as `/v1/query` does it (Titan embedding, S3 Vectors under the
//!    member's filter and the token's scope, hybrid re-rank);
//! 4. **Converse** (or **ConverseStream**) with the answer model, the system prompt and
//!    numbered passages of [`grounding`], the question as guard content, and
//!    `guardrailConfig` so the guardrail also checks the answer;
//! 5. the answer is held to [`grounding::check`]: every citation names a retrieved passage,
//!    and its figures are the cited passages'. One that fails becomes
//!    [`grounding::FALLBACK`] with the passages. An output intervention returns the
//!    guardrail's message and no passages.
//!
//! `Accept: text/event-stream` gets Server-Sent Events: `passages` (the retrieved
//! passages, `{"passages": [...]}`), then `delta` (`{"text"}`) as the model writes, then
//! either `guardrail` (`{"action", "source", "message"}`: drop the text shown so far) or
//! nothing, and last `done` (the whole [`AnswerResponse`]) or `error` (`{"code",
//! "message"}`: the model's stream broke or timed out). Anything else gets the JSON body.
//! The guardrail checks a stream asynchronously (`streamProcessingMode: async`), so text
//! reaches the member as it is written and an intervention arrives after some of it.

use std::convert::Infallible;

use axum::body::Body;
use tokio::sync::mpsc;

use super::*;
use crate::cloud::aws::converse::{
    ConverseRequest, EventStreamReader, InferenceConfig, GUARDRAIL_INTERVENED,
    GUARDRAIL_INTERVENED_STOP,
};
use crate::cloud::grounding::{self, Grounding, Passage};
use crate::cloud::{AnswerCitation, AnswerRequest, AnswerResponse, AnswerUsage, GuardrailOutcome};

/// Longest question answered, in characters.
pub const MAX_QUESTION_CHARS: usize = 2000;

/// What one answer needs from the request and the configuration.
struct Job {
    started: Instant,
    question: String,
    usage: AnswerUsage,
    model: String,
}

pub(super) async fn answer(
    State(s): State<Shared>,
    who: Caller,
    headers: axum::http::HeaderMap,
    StrictJson(req): StrictJson<AnswerRequest>,
) -> Result<Response, ProxyError> {
    let Some(cfg) = s.config.answer.clone() else {
        return Err(ProxyError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "this proxy does not write answers (no [answer] section in its config)",
        ));
    };
    let chars = req.question.chars().count();
    if req.question.trim().is_empty() || chars > MAX_QUESTION_CHARS {
        return Err(ProxyError::bad(format!(
            "question has {chars} characters; it must be non-blank and at most {MAX_QUESTION_CHARS}"
        )));
    }
    if req.top_k == 0 || req.top_k > cfg.max_passages {
        return Err(ProxyError::bad(format!(
            "topK is {}; it must be 1 to {}",
            req.top_k, cfg.max_passages
        )));
    }
    check_filter(&s, req.filter.as_ref())?;
    let streaming = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    s.budget.charge_answer(cfg.max_answers_per_day)?;
    let mut job = Job {
        started: Instant::now(),
        question: req.question.clone(),
        usage: AnswerUsage::default(),
        model: cfg.model_id.clone(),
    };
    // 2. The guardrail on the question, before anything else is paid for.
    let checked = s
        .upstream
        .apply_guardrail(&cfg, "INPUT", &req.question)
        .await?;
    job.usage.bedrock_calls += 1;
    if checked.action == GUARDRAIL_INTERVENED {
        let message = checked
            .outputs
            .iter()
            .find_map(|o| o.text.clone())
            .unwrap_or_else(|| cfg.blocked_message.clone());
        tracing::info!(token = %who.name, "guardrail intervened on input");
        let done = job.finish_intervened(message, "input");
        return Ok(if streaming {
            sse_response(vec![sse("done", &done)])
        } else {
            Json(done).into_response()
        });
    }
    // 3. Retrieval, as /v1/query.
    s.budget.charge(&s, &who, 1)?;
    let vector = s
        .upstream
        .embed(&s.config.model_id, s.config.dims, &req.question)
        .await?;
    job.usage.bedrock_calls += 1;
    let found = search_index(
        &s,
        &who,
        vector,
        req.filter,
        req.top_k,
        Some(&req.question),
        true,
        true,
    )
    .await?;
    let passages: Vec<Passage> = found.iter().map(passage_of).collect();
    let hits: Vec<CloudHit> = found
        .into_iter()
        .map(|v| CloudHit {
            key: who.client_key(v.key),
            distance: v.distance,
            metadata: v.metadata,
        })
        .collect();
    if passages.is_empty() {
        let done = job.finish(grounding::FALLBACK.into(), &passages, hits, None);
        return Ok(if streaming {
            sse_response(vec![sse("done", &done)])
        } else {
            Json(done).into_response()
        });
    }
    // 4. Generation.
    let request = converse_request(&cfg, &req.question, &passages, streaming);
    if streaming {
        // Opened before the response starts, so a refusal (throttling after the
        // retries) is an HTTP status the page can act on, not an event.
        let deadline = Duration::from_millis(s.config.limits.request_timeout_ms);
        let path = format!("/model/{}/converse-stream", path_segment(&cfg.model_id));
        let body = Bytes::from(serde_json::to_vec(&request).expect("request serialises"));
        let upstream = s.upstream.open_stream(&path, body, deadline).await?;
        job.usage.bedrock_calls += 1;
        return Ok(stream(s.clone(), cfg, job, upstream, passages, hits));
    }
    let response = s.upstream.converse(&cfg, &request).await?;
    job.usage.bedrock_calls += 1;
    job.usage.input_tokens = response.usage.input_tokens;
    job.usage.output_tokens = response.usage.output_tokens;
    if response.stop_reason == GUARDRAIL_INTERVENED_STOP {
        tracing::info!(token = %who.name, "guardrail intervened on output");
        return Ok(Json(job.finish_intervened(response.text(), "output")).into_response());
    }
    Ok(Json(job.finish(response.text(), &passages, hits, None)).into_response())
}

/// A retrieved vector as the prompt shows it: its text and where it is from.
fn passage_of(v: &aws::QueryOutputVector) -> Passage {
    let meta = v.metadata.clone().unwrap_or_default();
    let text = meta
        .get(TEXT_KEY)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let mut label = Vec::new();
    if let Some(source) = meta.get("source").and_then(Value::as_str) {
        label.push(source.to_owned());
    }
    if let Some(page) = meta.get("page").and_then(Value::as_u64) {
        label.push(format!("page {page}"));
    }
    if let Some(section) = meta.get("section").and_then(Value::as_str) {
        label.push(section.to_owned());
    }
    Passage {
        key: v.key.clone(),
        label: (!label.is_empty()).then(|| label.join(" · ")),
        text,
    }
}

fn converse_request(
    cfg: &AnswerConfig,
    question: &str,
    passages: &[Passage],
    streaming: bool,
) -> ConverseRequest {
    let inference = InferenceConfig {
        max_tokens: Some(cfg.max_output_tokens),
        temperature: Some(cfg.temperature),
    };
    let guardrail = (cfg.guardrail_id.as_str(), cfg.guardrail_version.as_str());
    ConverseRequest::grounded(question, passages, inference, guardrail, streaming)
}

impl Job {
    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// The answer after the grounding check.
    fn finish(
        mut self,
        text: String,
        passages: &[Passage],
        hits: Vec<CloudHit>,
        first_token_ms: Option<u64>,
    ) -> AnswerResponse {
        self.usage.first_token_ms = first_token_ms;
        self.usage.total_ms = self.elapsed_ms();
        let (answer, grounded, citations) = match grounding::check(&text, passages) {
            Grounding::Grounded(citations) => (
                text,
                true,
                citations
                    .into_iter()
                    .map(|c| AnswerCitation {
                        n: c.n,
                        key: hits[c.n - 1].key.clone(),
                        quote: c.quote,
                    })
                    .collect(),
            ),
            Grounding::Ungrounded(why) => {
                if !passages.is_empty() {
                    tracing::warn!(why = %why, chars = self.question.len(), "answer not grounded");
                }
                (grounding::FALLBACK.to_owned(), false, Vec::new())
            }
        };
        AnswerResponse {
            answer,
            grounded,
            citations,
            passages: hits,
            guardrail: GuardrailOutcome {
                action: "NONE".into(),
                source: None,
            },
            usage: self.usage,
            model: self.model,
        }
    }

    /// The guardrail's message instead of an answer, with no passages.
    fn finish_intervened(mut self, message: String, source: &str) -> AnswerResponse {
        self.usage.total_ms = self.elapsed_ms();
        AnswerResponse {
            answer: message,
            grounded: false,
            citations: Vec::new(),
            passages: Vec::new(),
            guardrail: GuardrailOutcome {
                action: GUARDRAIL_INTERVENED.into(),
                source: Some(source.into()),
            },
            usage: self.usage,
            model: self.model,
        }
    }
}

/// One Server-Sent Event.
fn sse<T: Serialize>(event: &str, data: &T) -> Bytes {
    let json = serde_json::to_string(data).expect("answer types serialise");
    Bytes::from(format!("event: {event}\ndata: {json}\n\n"))
}

fn sse_response(events: Vec<Bytes>) -> Response {
    sse_body(Body::from_stream(futures::stream::iter(
        events.into_iter().map(Ok::<_, Infallible>),
    )))
}

fn sse_body(body: Body) -> Response {
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn stream_error(e: &ProxyError) -> Value {
    json!({"code": e.code.as_str(), "message": e.message, "retryAfter": e.retry_after})
}

/// Streams an answer: a task reads ConverseStream and sends events down a channel that
/// is the response body; when the member goes away the send fails and the task ends,
/// dropping the upstream stream. The whole stream is bounded by
/// `limits.request_timeout_ms`, each wait for upstream bytes by `upstream_timeout_ms`, and
/// the bytes read by `max_upstream_bytes`.
fn stream(
    s: Shared,
    cfg: AnswerConfig,
    job: Job,
    upstream: reqwest::Response,
    passages: Vec<Passage>,
    hits: Vec<CloudHit>,
) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(32);
    tokio::spawn(async move {
        let _ = tx.send(sse("passages", &json!({"passages": hits}))).await;
        let done = relay(&s, &cfg, job, upstream, &passages, hits, &tx).await;
        let last = match done {
            Ok(done) => sse("done", &done),
            Err(e) => sse("error", &stream_error(&e)),
        };
        let _ = tx.send(last).await;
    });
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    sse_body(Body::from_stream(body))
}

/// Reads the model's stream, relays its text, and returns the checked answer.
async fn relay(
    s: &AppState,
    cfg: &AnswerConfig,
    mut job: Job,
    mut response: reqwest::Response,
    passages: &[Passage],
    hits: Vec<CloudHit>,
    tx: &mpsc::Sender<Bytes>,
) -> Result<AnswerResponse, ProxyError> {
    let limits = &s.config.limits;
    let idle = Duration::from_millis(limits.upstream_timeout_ms);
    let broken = |what: &str| {
        tracing::warn!(what, "answer stream broke");
        ProxyError::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamError,
            format!("the model's answer stopped before it was complete ({what}); ask again"),
        )
    };
    let mut reader = EventStreamReader::new();
    let mut text = String::new();
    let mut first_token_ms = None;
    let mut stop_reason = None;
    let mut read = 0usize;
    loop {
        while let Some(event) = reader.next_event().map_err(|e| broken(&e))? {
            if event.exception {
                tracing::warn!(kind = %event.kind, "model stream exception");
                return Err(if event.kind == "throttlingException" {
                    ProxyError {
                        retry_after: Some(1),
                        ..ProxyError::new(
                            StatusCode::TOO_MANY_REQUESTS,
                            ErrorCode::UpstreamThrottled,
                            "the model (Bedrock) is throttling requests; retry later",
                        )
                    }
                } else {
                    broken(&event.kind)
                });
            }
            match event.kind.as_str() {
                "contentBlockDelta" => {
                    if let Some(delta) = event.delta_text() {
                        first_token_ms.get_or_insert_with(|| job.elapsed_ms());
                        text.push_str(delta);
                        if tx
                            .send(sse("delta", &json!({"text": delta})))
                            .await
                            .is_err()
                        {
                            return Err(broken("the member went away"));
                        }
                    }
                }
                "messageStop" => {
                    stop_reason = event.payload["stopReason"].as_str().map(str::to_owned);
                }
                "metadata" => {
                    job.usage.input_tokens =
                        event.payload["usage"]["inputTokens"].as_u64().unwrap_or(0);
                    job.usage.output_tokens =
                        event.payload["usage"]["outputTokens"].as_u64().unwrap_or(0);
                    let Some(reason) = stop_reason else {
                        return Err(broken("no stop reason"));
                    };
                    job.usage.first_token_ms = first_token_ms;
                    if reason == GUARDRAIL_INTERVENED_STOP {
                        let _ = tx
                            .send(sse(
                                "guardrail",
                                &json!({"action": GUARDRAIL_INTERVENED, "source": "output", "message": cfg.blocked_message}),
                            ))
                            .await;
                        return Ok(job.finish_intervened(cfg.blocked_message.clone(), "output"));
                    }
                    return Ok(job.finish(text, passages, hits, first_token_ms));
                }
                _ => {}
            }
        }
        let chunk = match tokio::time::timeout(idle, response.chunk()).await {
            Err(_) => return Err(broken("timed out")),
            Ok(Err(_)) => return Err(broken("the connection was cut")),
            Ok(Ok(None)) => return Err(broken("it ended early")),
            Ok(Ok(Some(chunk))) => chunk,
        };
        read += chunk.len();
        if read > limits.max_upstream_bytes {
            return Err(broken("over the size cap"));
        }
        reader.push(&chunk);
    }
}
