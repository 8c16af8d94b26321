//! The fake's generation side: Bedrock Runtime's `Converse`, `ConverseStream` (real
//! event-stream framing) and `ApplyGuardrail`, every request checked against botocore's
//! model ([`shapes`](super::shapes)) as AWS checks it.
//!
//! **The model** is deterministic and grounded by construction: it reads the passages
//! block the proxy writes ([`grounding::passages_block`]) and the question (the guard
//! content, or the text after the passages), picks the passage sentence that shares the
//! most words with the question, and answers with it and its citation, `… [n].`; with no
//! shared word it answers `NOT_FOUND`. So a test can assert that an answer comes from a
//! given passage.
//!
//! **The guardrail** (one, [`GuardrailSpec`]) blocks its denied topics (phrases) on input
//! and output; blocks US Social Security numbers and member-ID-like numbers on input and
//! masks them on output (`{US_SOCIAL_SECURITY_NUMBER}`, `{MEMBER_ID}`), as a Bedrock
//! guardrail with those sensitive-information filters does. It answers ApplyGuardrail and
//! is applied by Converse when `guardrailConfig` names it (to the guard content only,
//! when the input has any).
//!
//! **Faults** (`/_fake/faults`, with `effect`): `cutStream` ends a ConverseStream answer
//! mid-text without its closing events (the connection is cut); `outputIntervention`
//! makes the guardrail intervene on output after part of the text has streamed;
//! `citeUnretrieved` makes the model cite a passage it was not given;
//! `throttleMidStream` sends part of the answer, then a `throttlingException` event. Status faults
//! (429 → `ThrottlingException`) apply as to every other call.

use std::sync::LazyLock;
use std::time::Instant;

use axum::body::Body;
use futures::{stream, StreamExt};
use regex::Regex;

use super::shapes::bedrock_runtime;
use super::*;
use crate::cloud::aws::converse::{
    encode_event, ApplyGuardrailRequest, ContentBlock, ConverseMetrics, ConverseOutput,
    ConverseRequest, ConverseResponse, Message, StreamEvent, TokenUsage, GUARDRAIL_INTERVENED,
    GUARDRAIL_INTERVENED_STOP,
};
use crate::cloud::grounding::{read_passages_block, NOT_FOUND, PASSAGES_HEADING};
use crate::engine::answer::unit_texts;
use crate::engine::keyword::tokenize;

/// The fake's one guardrail.
#[derive(Debug, Clone)]
pub struct GuardrailSpec {
    /// Its id (`guardrailIdentifier`).
    pub id: String,
    /// Its version.
    pub version: String,
    /// Denied topics: a name and the phrases that raise it.
    pub denied_topics: Vec<(String, Vec<String>)>,
    /// What a blocked input is answered with.
    pub blocked_input: String,
    /// What replaces a blocked output.
    pub blocked_output: String,
}

impl Default for GuardrailSpec {
    fn default() -> Self {
        Self {
            id: "benefindfake01".into(),
            version: "1".into(),
            denied_topics: vec![(
                "Legal advice".into(),
                [
                    "lawsuit",
                    "sue my",
                    "sue the",
                    "lawyer",
                    "attorney",
                    "legal advice",
                ]
                .map(String::from)
                .to_vec(),
            )],
            blocked_input: "Sorry, this assistant can't help with that. For personal or legal \
                            matters, call Member Services."
                .into(),
            blocked_output: "Sorry, the answer to this can't be shown. Call Member Services."
                .into(),
        }
    }
}

/// US Social Security numbers (`123-45-6789`, `123 45 6789`).
static SSN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d{3}[- ]\d{2}[- ]\d{4}\b").expect("regex"));
/// Member-ID-like numbers: 2–3 capital letters then 6–12 digits (`XZH123456789`).
static MEMBER_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z]{2,3}\d{6,12}\b").expect("regex"));

/// What the guardrail found in a text.
struct Findings {
    topics: Vec<String>,
    ssn: Vec<String>,
    member_ids: Vec<String>,
}

impl GuardrailSpec {
    fn scan(&self, text: &str) -> Findings {
        let lower = text.to_lowercase();
        Findings {
            topics: self
                .denied_topics
                .iter()
                .filter(|(_, phrases)| phrases.iter().any(|p| lower.contains(&p.to_lowercase())))
                .map(|(name, _)| name.clone())
                .collect(),
            ssn: SSN.find_iter(text).map(|m| m.as_str().to_owned()).collect(),
            member_ids: MEMBER_ID
                .find_iter(text)
                .map(|m| m.as_str().to_owned())
                .collect(),
        }
    }
}

impl Findings {
    fn any(&self) -> bool {
        !self.topics.is_empty() || !self.ssn.is_empty() || !self.member_ids.is_empty()
    }

    /// The assessment in Bedrock's shape (`GuardrailAssessment`); on input sensitive
    /// information is blocked, on output masked.
    fn assessment(&self, input: bool) -> Value {
        let pii_action = if input { "BLOCKED" } else { "ANONYMIZED" };
        let mut a = Map::new();
        if !self.topics.is_empty() {
            a.insert(
                "topicPolicy".into(),
                json!({"topics": self.topics.iter().map(|t| json!({"name": t, "type": "DENY", "action": "BLOCKED", "detected": true})).collect::<Vec<_>>()}),
            );
        }
        if !self.ssn.is_empty() || !self.member_ids.is_empty() {
            a.insert(
                "sensitiveInformationPolicy".into(),
                json!({
                    "piiEntities": self.ssn.iter().map(|m| json!({"match": m, "type": "US_SOCIAL_SECURITY_NUMBER", "action": pii_action, "detected": true})).collect::<Vec<_>>(),
                    "regexes": self.member_ids.iter().map(|m| json!({"name": "MEMBER_ID", "match": m, "regex": MEMBER_ID.as_str(), "action": pii_action, "detected": true})).collect::<Vec<_>>(),
                }),
            );
        }
        Value::Object(a)
    }

    /// Whether the text must be replaced entirely (a denied topic, or sensitive input);
    /// output with only sensitive information is masked instead.
    fn blocks(&self, input: bool) -> bool {
        !self.topics.is_empty() || (input && self.any())
    }
}

fn mask(text: &str) -> String {
    let t = SSN.replace_all(text, "{US_SOCIAL_SECURITY_NUMBER}");
    MEMBER_ID.replace_all(&t, "{MEMBER_ID}").into_owned()
}

fn units_of(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(1000).max(1)
}

fn guardrail_usage(text: &str) -> Value {
    let u = units_of(text);
    json!({"topicPolicyUnits": u, "contentPolicyUnits": 0, "wordPolicyUnits": 0,
           "sensitiveInformationPolicyUnits": u, "sensitiveInformationPolicyFreeUnits": 0,
           "contextualGroundingPolicyUnits": 0})
}

/// Which fake operation a Bedrock path names, with its path members.
pub(super) enum BedrockOp {
    Invoke(String),
    Converse(String),
    ConverseStream(String),
    ApplyGuardrail(String, String),
}

impl BedrockOp {
    pub(super) fn parse(path: &str) -> Option<Self> {
        let decode = |s: &str| s.replace("%3A", ":").replace("%3a", ":");
        if let Some(rest) = path.strip_prefix("/model/") {
            let (model, op) = rest.rsplit_once('/')?;
            let model = decode(model);
            return match op {
                "invoke" => Some(Self::Invoke(model)),
                "converse" => Some(Self::Converse(model)),
                "converse-stream" => Some(Self::ConverseStream(model)),
                _ => None,
            };
        }
        let rest = path.strip_prefix("/guardrail/")?;
        let (id, rest) = rest.split_once("/version/")?;
        let version = rest.strip_suffix("/apply")?;
        Some(Self::ApplyGuardrail(decode(id), decode(version)))
    }

    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::Invoke(_) => "InvokeModel",
            Self::Converse(_) => "Converse",
            Self::ConverseStream(_) => "ConverseStream",
            Self::ApplyGuardrail(..) => "ApplyGuardrail",
        }
    }
}

/// Serves a generation-side operation (after the signature and fault checks).
pub(super) async fn serve(
    s: &Shared,
    op: BedrockOp,
    json: Value,
    effect: Option<FaultEffect>,
) -> Answer {
    let model = bedrock_runtime();
    let streaming = matches!(op, BedrockOp::ConverseStream(_));
    match op {
        BedrockOp::Invoke(model_id) => invoke_model(s, &model_id, json).await,
        BedrockOp::ApplyGuardrail(id, version) => {
            model
                .check_input(
                    "ApplyGuardrail",
                    &[("guardrailIdentifier", &id), ("guardrailVersion", &version)],
                    &json,
                )
                .map_err(validation)?;
            check_guardrail(s, &id, &version)?;
            let req: ApplyGuardrailRequest = parse(json)?;
            let text: Vec<&str> = req.content.iter().map(|c| c.text.text.as_str()).collect();
            let text = text.join("\n");
            Ok(Json(apply_guardrail(&s.guardrail, &req.source, &text)).into_response())
        }
        BedrockOp::Converse(model_id) | BedrockOp::ConverseStream(model_id) => {
            let operation = if streaming {
                "ConverseStream"
            } else {
                "Converse"
            };
            model
                .check_input(operation, &[("modelId", &model_id)], &json)
                .map_err(validation)?;
            let req: ConverseRequest = parse(json)?;
            if let Some(g) = &req.guardrail_config {
                check_guardrail(s, &g.guardrail_identifier, &g.guardrail_version)?;
            }
            let started = Instant::now();
            let turn = converse(s, &req, effect).await?;
            if streaming {
                Ok(stream_answer(turn, effect, started))
            } else {
                let response = ConverseResponse {
                    output: ConverseOutput {
                        message: Message {
                            role: "assistant".into(),
                            content: vec![ContentBlock::text(turn.text.clone())],
                        },
                    },
                    stop_reason: turn.stop_reason.clone(),
                    usage: turn.usage,
                    metrics: ConverseMetrics {
                        latency_ms: started.elapsed().as_millis() as u64,
                    },
                    trace: turn.trace.clone(),
                };
                Ok(Json(response).into_response())
            }
        }
    }
}

fn check_guardrail(s: &Inner, id: &str, version: &str) -> Result<(), Response> {
    let g = &s.guardrail;
    let named = id == g.id || id.ends_with(&format!(":guardrail/{}", g.id));
    if named && (version == g.version || version == "DRAFT") {
        return Ok(());
    }
    Err(aws_error(
        404,
        "ResourceNotFoundException",
        format!("The guardrail {id} version {version} was not found"),
    ))
}

/// ApplyGuardrail's answer for `text` from `source` (`INPUT` or `OUTPUT`).
fn apply_guardrail(g: &GuardrailSpec, source: &str, text: &str) -> Value {
    let input = source == "INPUT";
    let found = g.scan(text);
    let (action, outputs, reason) = if !found.any() {
        ("NONE", vec![], None)
    } else if found.blocks(input) {
        let message = if input {
            &g.blocked_input
        } else {
            &g.blocked_output
        };
        (
            GUARDRAIL_INTERVENED,
            vec![json!({"text": message})],
            Some("Guardrail blocked."),
        )
    } else {
        (
            GUARDRAIL_INTERVENED,
            vec![json!({"text": mask(text)})],
            Some("Guardrail masked."),
        )
    };
    let mut out = json!({
        "usage": guardrail_usage(text),
        "action": action,
        "outputs": outputs,
        "assessments": if found.any() { vec![found.assessment(input)] } else { vec![] },
        "guardrailCoverage": {"textCharacters": {"guarded": text.chars().count(), "total": text.chars().count()}},
    });
    if let Some(r) = reason {
        out["actionReason"] = json!(r);
    }
    out
}

/// One model turn, before it is sent whole or streamed.
struct Turn {
    text: String,
    stop_reason: String,
    usage: TokenUsage,
    trace: Option<Value>,
    /// The part of the model's text that streamed before the guardrail intervened on
    /// output (`outputIntervention`); `text` is then the guardrail's message.
    streamed_before_intervention: Option<String>,
}

async fn converse(
    s: &Shared,
    req: &ConverseRequest,
    effect: Option<FaultEffect>,
) -> Result<Turn, Response> {
    let user = req
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .ok_or_else(|| validation("A conversation must start with a user message."))?;
    let guarded: Vec<&str> = user
        .content
        .iter()
        .filter_map(|b| b.guard_content.as_ref().map(|g| g.text.text.as_str()))
        .collect();
    let all: Vec<&str> = user
        .content
        .iter()
        .filter_map(ContentBlock::as_text)
        .collect();
    let prompt: String = req
        .system
        .iter()
        .map(|b| b.text.as_str())
        .chain(all.iter().copied())
        .collect::<Vec<_>>()
        .join("\n");
    let prompt_tokens = count_tokens(s, prompt).await?;
    let trace_on = req
        .guardrail_config
        .as_ref()
        .is_some_and(|g| g.trace.as_deref().is_some_and(|t| t != "disabled"));
    let guardrail = req.guardrail_config.is_some().then_some(&s.guardrail);
    // The guardrail on input: the guard content when there is any, else everything.
    if let Some(g) = guardrail {
        let checked = if guarded.is_empty() {
            all.join("\n")
        } else {
            guarded.join("\n")
        };
        let found = g.scan(&checked);
        if found.blocks(true) {
            return Ok(Turn {
                text: g.blocked_input.clone(),
                stop_reason: GUARDRAIL_INTERVENED_STOP.into(),
                usage: TokenUsage {
                    input_tokens: prompt_tokens as u64,
                    output_tokens: 0,
                    total_tokens: prompt_tokens as u64,
                },
                trace: trace_on.then(|| json!({"guardrail": {"inputAssessment": {g.id.clone(): found.assessment(true)}}})),
                streamed_before_intervention: None,
            });
        }
    }
    let question = guarded
        .last()
        .map(|q| (*q).to_owned())
        .or_else(|| {
            all.iter()
                .find_map(|t| t.split_once("Question:").map(|(_, q)| q.trim().to_owned()))
        })
        .unwrap_or_default();
    let passages = all
        .iter()
        .find(|t| t.starts_with(PASSAGES_HEADING))
        .map(|t| read_passages_block(t))
        .unwrap_or_default();
    let mut text = compose(&question, &passages);
    if effect == Some(FaultEffect::CiteUnretrieved) && text != NOT_FOUND {
        text = format!(
            "{} [{}]",
            text.trim_end_matches(|c: char| c == '.'
                || c.is_ascii_digit()
                || c == '['
                || c == ']'
                || c == ' '),
            passages.len() + 7
        );
    }
    let output_tokens = count_tokens(s, text.clone()).await? as u64;
    let usage = TokenUsage {
        input_tokens: prompt_tokens as u64,
        output_tokens,
        total_tokens: prompt_tokens as u64 + output_tokens,
    };
    let mut turn = Turn {
        text,
        stop_reason: "end_turn".into(),
        usage,
        trace: None,
        streamed_before_intervention: None,
    };
    if let Some(g) = guardrail {
        let found = g.scan(&turn.text);
        let forced = effect == Some(FaultEffect::OutputIntervention);
        if found.any() || forced {
            if forced {
                let words: Vec<&str> = turn.text.split_inclusive(' ').collect();
                turn.streamed_before_intervention = Some(words[..words.len().div_ceil(2)].concat());
            }
            turn.trace = trace_on.then(|| {
                let mut a = found.assessment(false);
                if forced {
                    a = json!({"topicPolicy": {"topics": [{"name": "Injected", "type": "DENY", "action": "BLOCKED", "detected": true}]}});
                }
                json!({"guardrail": {"outputAssessments": {g.id.clone(): [a]}}})
            });
            turn.stop_reason = GUARDRAIL_INTERVENED_STOP.into();
            turn.text = if forced || found.blocks(false) {
                g.blocked_output.clone()
            } else {
                mask(&turn.text)
            };
        }
    }
    Ok(turn)
}

/// Tokens of `text` by the model stand-in's tokenizer (off the async threads).
async fn count_tokens(s: &Shared, text: String) -> Result<usize, Response> {
    let s = s.clone();
    let fail = |e: String| aws_error(500, "InternalServerException", e);
    tokio::task::spawn_blocking(move || s.embedder.count_tokens(&text))
        .await
        .map_err(|e| fail(e.to_string()))?
        .map_err(|e| fail(e.to_string()))
}

/// The deterministic model: the passage sentence sharing the most distinct words with
/// the question, with its citation; `NOT_FOUND` when none shares a word.
fn compose(question: &str, passages: &[(usize, String)]) -> String {
    let mut asked = tokenize(question);
    asked.sort();
    asked.dedup();
    let mut best: Option<(usize, usize, &str)> = None;
    for (n, text) in passages {
        for sentence in unit_texts(text) {
            let mut words = tokenize(sentence);
            words.sort();
            words.dedup();
            let shared = words.iter().filter(|w| asked.contains(w)).count();
            if shared > 0 && best.is_none_or(|(b, _, _)| shared > b) {
                best = Some((shared, *n, sentence));
            }
        }
    }
    match best {
        Some((_, n, sentence)) => {
            let sentence = sentence.trim_end_matches(['.', ' ']);
            format!("Your plan's documents say: {sentence} [{n}].")
        }
        None => NOT_FOUND.into(),
    }
}

/// Pieces of an answer as a model streams them: a few words at a time.
fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, word) in text.split_inclusive(' ').enumerate() {
        current.push_str(word);
        if i % 3 == 2 {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn event(kind: &str, payload: Value) -> Result<Bytes, std::io::Error> {
    Ok(encode_event(&StreamEvent {
        kind: kind.into(),
        exception: false,
        payload,
    }))
}

/// A ConverseStream answer: `messageStart`, text deltas, `contentBlockStop`,
/// `messageStop`, `metadata`, framed as AWS frames them (`application/vnd.amazon.eventstream`).
fn stream_answer(turn: Turn, effect: Option<FaultEffect>, started: Instant) -> Response {
    let mut frames: Vec<Result<Bytes, std::io::Error>> =
        vec![event("messageStart", json!({"role": "assistant"}))];
    // After an output intervention only the part that streamed before it is sent: the
    // stream then stops with `guardrail_intervened` (the proxy shows its own message).
    let streamed = pieces(
        turn.streamed_before_intervention
            .as_deref()
            .unwrap_or(&turn.text),
    );
    let total = streamed.len();
    for (i, piece) in streamed.into_iter().enumerate() {
        frames.push(event(
            "contentBlockDelta",
            json!({"delta": {"text": piece}, "contentBlockIndex": 0}),
        ));
        if i + 1 < total.div_ceil(2) {
            continue;
        }
        match effect {
            Some(FaultEffect::CutStream) => {
                frames.push(Err(std::io::Error::other("the fake cut the stream")));
                return stream_response(frames);
            }
            Some(FaultEffect::ThrottleMidStream) => {
                frames.push(Ok(encode_event(&StreamEvent {
                    kind: "throttlingException".into(),
                    exception: true,
                    payload: json!({"message": "Too many tokens, please wait before trying again."}),
                })));
                return stream_response(frames);
            }
            _ => {}
        }
    }
    frames.push(event("contentBlockStop", json!({"contentBlockIndex": 0})));
    frames.push(event(
        "messageStop",
        json!({"stopReason": turn.stop_reason}),
    ));
    let mut metadata = json!({"usage": turn.usage, "metrics": {"latencyMs": started.elapsed().as_millis() as u64}});
    if let Some(trace) = turn.trace {
        metadata["trace"] = trace;
    }
    frames.push(event("metadata", metadata));
    stream_response(frames)
}

/// Pause between streamed frames, as a model writes: it also lets the frames before a
/// cut reach the client before the connection is cut.
const FRAME_GAP: Duration = Duration::from_millis(5);

fn stream_response(frames: Vec<Result<Bytes, std::io::Error>>) -> Response {
    let body = Body::from_stream(stream::iter(frames).then(|frame| async move {
        let gap = if frame.is_err() {
            FRAME_GAP * 10
        } else {
            FRAME_GAP
        };
        tokio::time::sleep(gap).await;
        frame
    }));
    let mut response = Response::new(body);
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/vnd.amazon.eventstream"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_answers_from_the_passage_that_shares_the_question_s_words() {
        let passages = vec![
            (1, "Hospital stay: 20% coinsurance.".to_owned()),
            (
                2,
                "Preventive care\nAnnual physical: no charge in-network.".to_owned(),
            ),
        ];
        assert_eq!(
            compose("Is my annual physical free?", &passages),
            "Your plan's documents say: Annual physical: no charge in-network [2]."
        );
        assert_eq!(compose("Is acupuncture covered?", &passages), NOT_FOUND);
    }

    #[test]
    fn the_guardrail_blocks_input_and_masks_output() {
        let g = GuardrailSpec::default();
        let input = apply_guardrail(&g, "INPUT", "My SSN is 123-45-6789, is a checkup free?");
        assert_eq!(input["action"], GUARDRAIL_INTERVENED);
        assert_eq!(input["outputs"][0]["text"], g.blocked_input.as_str());
        bedrock_runtime()
            .check_output("ApplyGuardrail", &input)
            .expect("AWS's shape");
        let output = apply_guardrail(&g, "OUTPUT", "Member XZH123456789 pays $20.");
        assert_eq!(output["outputs"][0]["text"], "Member {MEMBER_ID} pays $20.");
        let topic = apply_guardrail(&g, "INPUT", "Can I sue my insurer?");
        assert_eq!(
            topic["assessments"][0]["topicPolicy"]["topics"][0]["name"],
            "Legal advice"
        );
        let clean = apply_guardrail(&g, "INPUT", "Is a checkup free?");
        assert_eq!(clean["action"], "NONE");
        bedrock_runtime()
            .check_output("ApplyGuardrail", &clean)
            .expect("AWS's shape");
    }

    fn turn(text: &str) -> Turn {
        Turn {
            text: text.into(),
            stop_reason: "end_turn".into(),
            usage: TokenUsage {
                input_tokens: 120,
                output_tokens: 14,
                total_tokens: 134,
            },
            trace: None,
            streamed_before_intervention: None,
        }
    }

    /// Every frame of a streamed answer, decoded.
    async fn frames(response: Response) -> Vec<StreamEvent> {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("a whole stream");
        let mut reader = crate::cloud::aws::converse::EventStreamReader::new();
        reader.push(&bytes);
        std::iter::from_fn(|| reader.next_event().expect("valid frames")).collect()
    }

    #[tokio::test]
    async fn what_the_fake_answers_is_in_aws_s_shapes() {
        let model = bedrock_runtime();
        let t = turn("Your plan's documents say: Specialist visit: $50 copay [2].");
        let whole = ConverseResponse {
            output: ConverseOutput {
                message: Message {
                    role: "assistant".into(),
                    content: vec![ContentBlock::text(t.text.clone())],
                },
            },
            stop_reason: t.stop_reason.clone(),
            usage: t.usage,
            metrics: ConverseMetrics { latency_ms: 3 },
            trace: None,
        };
        model
            .check_output("Converse", &serde_json::to_value(&whole).expect("json"))
            .expect("Converse's shape");
        let events = frames(stream_answer(t, None, Instant::now())).await;
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds.first(), Some(&"messageStart"));
        assert_eq!(
            &kinds[kinds.len() - 3..],
            ["contentBlockStop", "messageStop", "metadata"]
        );
        let text: String = events.iter().filter_map(StreamEvent::delta_text).collect();
        assert_eq!(
            text,
            "Your plan's documents say: Specialist visit: $50 copay [2]."
        );
        for e in &events {
            model
                .check_event("ConverseStream", &e.kind, &e.payload)
                .unwrap_or_else(|why| panic!("{}: {why}", e.kind));
        }
    }

    #[test]
    fn paths_name_their_operations() {
        assert!(
            matches!(BedrockOp::parse("/model/amazon.nova-micro-v1%3A0/converse-stream"), Some(BedrockOp::ConverseStream(m)) if m == "amazon.nova-micro-v1:0")
        );
        assert!(
            matches!(BedrockOp::parse("/guardrail/abc/version/1/apply"), Some(BedrockOp::ApplyGuardrail(i, v)) if i == "abc" && v == "1")
        );
        assert!(BedrockOp::parse("/model/x/delete").is_none());
        assert!(BedrockOp::parse("/guardrail/abc/apply").is_none());
    }
}
