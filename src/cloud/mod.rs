//! The cloud path's client: the same `search(question, policy)` and `query` as the local
//! engine, answered by a managed index (Titan V2 embeddings + S3 Vectors) through
//! benefind's signing proxy. Plain Rust over a [`Transport`] (one JSON POST), so the
//! native CLI (reqwest) and the browser (fetch, in the wasm facade) share it.
//!
//! It also owns the proxy's request/response shapes (the proxy deserialises the same
//! types, strictly) and the **embedding contract**: every proxy answer names its model
//! and dimension; a client that expects another model, or meets a second one, or is
//! handed a vector of another length, fails with an error naming both sides — vectors
//! of different models are never compared.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "fake-aws")]
pub mod fake;
pub mod grounding;
#[cfg(feature = "proxy")]
pub mod proxy;

use std::future::Future;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::bundle::Record;
use crate::engine::{Query, SearchHit, SearchMode, DEFAULT_K, MAX_K};
use crate::error::{Error, Result};

/// Most vectors one `/v1/upsert` call carries (the proxy embeds each text with Titan,
/// so batches stay small enough to answer within its upstream timeouts).
pub const UPSERT_BATCH: usize = 100;
/// Most keys one `/v1/delete` call carries (DeleteVectors' own limit).
pub const DELETE_BATCH: usize = 500;
/// Metadata key under which the chunk's text is stored (the seed's S3 Vectors layout).
pub const TEXT_KEY: &str = "chunk";

/// A question as a request brings it, read as a keyboard types it
/// ([`typed_plainly`](crate::engine::intent::typed_plainly)): a phone's curly quotes and
/// stray spaces ask what straight ones do, in every handler, as locally.
mod plain {
    use serde::{Deserialize, Deserializer};

    use crate::engine::intent::typed_plainly;

    pub(super) fn question<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let text = String::deserialize(d)?;
        Ok(typed_plainly(&text).into_owned())
    }

    pub(super) fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map(|text| typed_plainly(&text).into_owned()))
    }
}

/// `POST /v1/query`: a question (embedded by the proxy) or a ready vector.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QueryRequest {
    /// Text to embed with the index's model, read as typed plainly
    /// ([`typed_plainly`](crate::engine::intent::typed_plainly)).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "plain::optional"
    )]
    pub question: Option<String>,
    /// A vector of the index's dimension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<Vec<f32>>,
    /// Results wanted (1..=100).
    #[serde(default = "default_top_k")]
    pub top_k: usize,
    /// S3 Vectors filter (the same grammar as benefind's `where`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
    /// Return metadata (and so the chunk text).
    #[serde(default)]
    pub return_metadata: bool,
    /// Return distances.
    #[serde(default)]
    pub return_distance: bool,
    /// How a question is ranked: `hybrid` (the default, as locally: S3 Vectors' best
    /// [`RERANK_CANDIDATES`](crate::engine::RERANK_CANDIDATES) re-ranked with their words
    /// by the proxy) or `vector` (S3 Vectors' order). A vector query is always `vector`;
    /// `keyword` is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<SearchMode>,
}

fn default_top_k() -> usize {
    DEFAULT_K
}

/// One query result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudHit {
    /// Vector key (the chunk id).
    pub key: String,
    /// Cosine distance (1 − similarity), when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<f32>,
    /// Metadata, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// `/v1/query`'s answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryResponse {
    /// Nearest first.
    pub vectors: Vec<CloudHit>,
    /// The index's embedding model.
    pub model: String,
    /// Its dimension.
    pub dims: usize,
}

/// `POST /v1/answer`: a question answered in writing by the generation model from the
/// passages retrieved for it (role `search`; the same strict rules as `/v1/query`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AnswerRequest {
    /// The member's question, read as typed plainly.
    #[serde(deserialize_with = "plain::question")]
    pub question: String,
    /// Passages retrieved and given to the model (1 to the proxy's `answer.max_passages`).
    #[serde(default = "default_answer_top_k")]
    pub top_k: usize,
    /// S3 Vectors filter, as for `/v1/query` (e.g. `{"policy": "PPO_PLUS"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
}

fn default_answer_top_k() -> usize {
    5
}

/// A citation of a written answer: the `[n]` it uses, the passage's key and the
/// passage's sentence closest to what the answer says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerCitation {
    /// The number in the answer's text (`[n]`); passage `n` of `passages`.
    pub n: usize,
    /// The passage's key.
    pub key: String,
    /// Its sentence closest to the claim.
    pub quote: String,
}

/// What the guardrail did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GuardrailOutcome {
    /// `NONE` or `GUARDRAIL_INTERVENED`.
    pub action: String,
    /// Where it intervened: `input` (the question, before anything else was paid for)
    /// or `output` (the answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What an answer cost and how long it took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AnswerUsage {
    /// Calls to Bedrock (ApplyGuardrail, InvokeModel for the embedding, Converse).
    pub bedrock_calls: u32,
    /// Prompt tokens of the generation.
    pub input_tokens: u64,
    /// Generated tokens.
    pub output_tokens: u64,
    /// From the request to the first generated text (streamed answers), in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u64>,
    /// The whole answer, in ms.
    pub total_ms: u64,
}

/// `/v1/answer`'s answer (and, streamed, the final `done` event's data).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerResponse {
    /// The written answer with its `[n]` citations; [`grounding::FALLBACK`] when the
    /// model's answer was not grounded; the guardrail's message when it intervened.
    pub answer: String,
    /// Whether `answer` is the model's, checked ([`grounding::check`]).
    pub grounded: bool,
    /// The citations, in order of first use (empty unless grounded).
    pub citations: Vec<AnswerCitation>,
    /// The passages retrieved, best first, with their text in `metadata.chunk` (none
    /// when the guardrail intervened).
    pub passages: Vec<CloudHit>,
    /// What the guardrail did.
    pub guardrail: GuardrailOutcome,
    /// Calls, tokens and times.
    pub usage: AnswerUsage,
    /// The generation model.
    pub model: String,
}

/// `POST /v1/embed`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedRequest {
    /// Texts to embed.
    pub texts: Vec<String>,
}

/// `/v1/embed`'s answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbedResponse {
    /// One vector per text.
    pub embeddings: Vec<Vec<f32>>,
    /// The model.
    pub model: String,
    /// Its dimension.
    pub dims: usize,
}

/// One vector to store: its text (embedded by the proxy) or a ready vector.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpsertVector {
    /// Key, e.g. `PPO_PLUS_chunk_0007`.
    pub key: String,
    /// Chunk text; stored in the metadata as `chunk`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A vector of the index's dimension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<f32>>,
    /// `policy`, `source`, `chunk_index`, …
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

/// `POST /v1/upsert`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpsertRequest {
    /// 1..=500 vectors.
    pub vectors: Vec<UpsertVector>,
}

/// `/v1/upsert`'s answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpsertResponse {
    /// Vectors written.
    pub upserted: usize,
    /// The index's model.
    pub model: String,
    /// Its dimension.
    pub dims: usize,
}

/// `POST /v1/delete`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    /// 1..=500 keys.
    pub keys: Vec<String>,
}

/// `/v1/delete`'s answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteResponse {
    /// Keys asked to delete (S3 Vectors does not say which existed).
    pub deleted: usize,
}

/// Every proxy error body: a stable code and a message without upstream internals.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    /// e.g. `UNAUTHORIZED`, `DIMENSION_MISMATCH`, `UPSTREAM_THROTTLED`.
    pub code: String,
    /// What was wrong.
    pub message: String,
}

/// An embedding model and its dimension: what vectors must share to be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contract {
    /// Model id, e.g. `amazon.titan-embed-text-v2:0`.
    pub model: String,
    /// Vector length.
    pub dims: usize,
}

/// One JSON POST to the proxy: `(status, body)`, or a network error.
pub trait Transport {
    /// Sends `body` to `path` (e.g. `/v1/query`) with the client's token.
    fn post(&self, path: &str, body: String) -> impl Future<Output = Result<(u16, String)>>;
}

/// The cloud backend: the local engine's search API over the proxy.
pub struct CloudClient<T> {
    transport: T,
    expected: Option<Contract>,
    seen: Mutex<Option<Contract>>,
}

impl<T: Transport> CloudClient<T> {
    /// A client; `expected` pins the model and dimension the caller was built for (e.g.
    /// a page configured for Titan V2 at 1024), otherwise the first answer sets them.
    pub fn new(transport: T, expected: Option<Contract>) -> Self {
        Self {
            transport,
            expected,
            seen: Mutex::new(None),
        }
    }

    /// The model and dimension the index answered with so far (or was expected to).
    pub fn contract(&self) -> Option<Contract> {
        self.seen
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .or_else(|| self.expected.clone())
    }

    /// Checks an answer's model and dimension against what this client expects or saw.
    fn check_contract(&self, model: &str, dims: usize) -> Result<()> {
        let got = Contract {
            model: model.to_string(),
            dims,
        };
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| Error::InvalidInput("cloud client state poisoned".into()))?;
        let (reference, context) = match (&self.expected, seen.as_ref()) {
            (Some(e), _) => (e.clone(), "this client was configured for"),
            (None, Some(s)) => (s.clone(), "earlier answers came from"),
            (None, None) => {
                *seen = Some(got);
                return Ok(());
            }
        };
        if reference != got {
            return Err(Error::CloudMismatch {
                local_model: reference.model,
                local_dims: reference.dims,
                cloud_model: got.model,
                cloud_dims: got.dims,
                detail: context.into(),
            });
        }
        *seen = Some(got);
        Ok(())
    }

    async fn call<Req: Serialize, Resp: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        request: &Req,
    ) -> Result<Resp> {
        let body = serde_json::to_string(request)
            .map_err(|e| Error::InvalidInput(format!("request for {path}: {e}")))?;
        let (status, text) = self.transport.post(path, body).await?;
        if !(200..300).contains(&status) {
            let api: ApiError = serde_json::from_str(&text).unwrap_or(ApiError {
                code: "CLOUD".into(),
                message: format!("{path} answered HTTP {status} without an error body"),
            });
            return Err(Error::Cloud {
                status,
                code: api.code,
                message: api.message,
            });
        }
        serde_json::from_str(&text).map_err(|e| Error::Cloud {
            status,
            code: "BAD_RESPONSE".into(),
            message: format!("{path} answered with an unexpected body: {e}"),
        })
    }

    /// The best `k` chunks of one plan for a question (k = 3, like the local engine).
    pub async fn search(&self, question: &str, policy: &str) -> Result<Vec<SearchHit>> {
        self.query(&Query {
            question: Some(question.into()),
            filter: Some(serde_json::json!({ "policy": policy })),
            ..Query::default()
        })
        .await
    }

    /// [`search`](Self::search) with the answer read from the results
    /// ([`answer_from_passages`](crate::engine::answer::answer_from_passages): abstention
    /// reads word evidence only, as the cosine thresholds are MiniLM's, not Titan's).
    pub async fn ask(&self, question: &str, policy: &str) -> Result<crate::Answered> {
        self.ask_query(&Query::for_policy(question, policy)).await
    }

    /// [`ask`](Self::ask) for a general query; a vector query's answer is `None`.
    pub async fn ask_query(&self, query: &Query) -> Result<crate::Answered> {
        let (hits, question) = self.run(query).await?;
        Ok(match question {
            Some(q) => crate::engine::answer::answer_from_passages(&q, hits)?,
            None => crate::Answered::unanswered(hits),
        })
    }

    /// A general query: question or vector, k, where-filter, mode. A question is ranked
    /// hybrid by default, as locally: the proxy re-ranks S3 Vectors' best candidates with
    /// their words ([`hybrid_rerank`](crate::engine::hybrid_rerank)). S3 Vectors has no
    /// keyword search, so `mode: keyword` is refused.
    pub async fn query(&self, query: &Query) -> Result<Vec<SearchHit>> {
        Ok(self.run(query).await?.0)
    }

    /// [`query`](Self::query), with the question as read ([`Query::question`]) when it
    /// asked one, so that the answer reads exactly what was searched.
    async fn run<'q>(
        &self,
        query: &'q Query,
    ) -> Result<(Vec<SearchHit>, Option<std::borrow::Cow<'q, str>>)> {
        let k = query.k.unwrap_or(DEFAULT_K);
        if k == 0 || k > MAX_K {
            return Err(Error::InvalidInput(format!(
                "k is {k}; it must be 1 to {MAX_K}"
            )));
        }
        if query.mode == Some(SearchMode::Keyword) {
            return Err(Error::InvalidInput(
                "the cloud index has no keyword channel; use mode vector or hybrid".into(),
            ));
        }
        if let Some(filter) = &query.filter {
            crate::filter::Filter::parse(filter)?;
        }
        let question = query.question();
        let request = match (&question, &query.vector) {
            (Some(q), None) if !q.trim().is_empty() => QueryRequest {
                question: Some(q.to_string()),
                ..QueryRequest::default()
            },
            (None, Some(v)) => {
                if let Some(c) = self.contract() {
                    if v.len() != c.dims {
                        return Err(Error::DimensionMismatch {
                            context: "query vector".into(),
                            expected: c.dims,
                            got: v.len(),
                            model: c.model,
                        });
                    }
                }
                QueryRequest {
                    vector: Some(v.clone()),
                    ..QueryRequest::default()
                }
            }
            _ => {
                return Err(Error::InvalidInput(
                    "give exactly one of question (non-empty) or vector".into(),
                ))
            }
        };
        let request = QueryRequest {
            top_k: k,
            filter: query.filter.clone(),
            mode: query.mode,
            return_metadata: true,
            return_distance: true,
            ..request
        };
        let response: QueryResponse = self.call("/v1/query", &request).await?;
        self.check_contract(&response.model, response.dims)?;
        let hits = response.vectors.into_iter().map(to_hit).collect();
        Ok((hits, question))
    }

    /// Embeds texts with the index's model.
    pub async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let response: EmbedResponse = self
            .call(
                "/v1/embed",
                &EmbedRequest {
                    texts: texts.to_vec(),
                },
            )
            .await?;
        self.check_contract(&response.model, response.dims)?;
        Ok(response.embeddings)
    }

    /// Stores records (re-embedded by the proxy from their text) in batches of
    /// [`UPSERT_BATCH`], calling `progress(done, total)` after each. Keys are the record
    /// ids, so re-sending a batch overwrites instead of duplicating.
    pub async fn upsert(
        &self,
        records: &[Record],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize> {
        let mut done = 0;
        for batch in records.chunks(UPSERT_BATCH) {
            let request = UpsertRequest {
                vectors: batch.iter().map(upsert_vector).collect(),
            };
            let response: UpsertResponse = self.call("/v1/upsert", &request).await?;
            self.check_contract(&response.model, response.dims)?;
            done += response.upserted;
            progress(done, records.len());
        }
        Ok(done)
    }

    /// Deletes vectors by key.
    pub async fn delete(&self, keys: &[String]) -> Result<usize> {
        let mut deleted = 0;
        for batch in keys.chunks(DELETE_BATCH) {
            let response: DeleteResponse = self
                .call(
                    "/v1/delete",
                    &DeleteRequest {
                        keys: batch.to_vec(),
                    },
                )
                .await?;
            deleted += response.deleted;
        }
        Ok(deleted)
    }
}

/// A record as an upsert item: text to embed, metadata without the text.
pub fn upsert_vector(record: &Record) -> UpsertVector {
    UpsertVector {
        key: record.id.clone(),
        text: Some(record.text.clone()),
        data: None,
        metadata: record.metadata.clone(),
    }
}

fn to_hit(hit: CloudHit) -> SearchHit {
    let mut metadata = hit.metadata.unwrap_or_default();
    let text = match metadata.remove(TEXT_KEY) {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let distance = hit.distance.unwrap_or(f32::NAN);
    SearchHit {
        id: hit.key,
        score: 1.0 - distance,
        distance,
        text,
        metadata,
        highlights: Vec::new(),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Answers every call with the next canned `(status, body)` and records requests.
    struct Canned {
        answers: RefCell<Vec<(u16, String)>>,
        sent: RefCell<Vec<(String, Value)>>,
    }

    impl Transport for &Canned {
        async fn post(&self, path: &str, body: String) -> Result<(u16, String)> {
            self.sent.borrow_mut().push((
                path.to_string(),
                serde_json::from_str(&body).expect("client sends JSON"),
            ));
            Ok(self.answers.borrow_mut().remove(0))
        }
    }

    fn canned(answers: &[(u16, Value)]) -> Canned {
        Canned {
            answers: RefCell::new(answers.iter().map(|(s, b)| (*s, b.to_string())).collect()),
            sent: RefCell::new(Vec::new()),
        }
    }

    #[test]
    fn a_slip_is_read_as_the_passages_spell_it() {
        let found = serde_json::json!({"vectors": [
            {"key": "PPO_PLUS_chunk_0007", "distance": 0.4, "metadata": {"policy": "PPO_PLUS",
                "chunk": "Acupuncture: twelve visits a year, $15 copay per visit."}},
            {"key": "PPO_PLUS_chunk_0002", "distance": 0.5, "metadata": {"policy": "PPO_PLUS",
                "chunk": "Hospital stays: 20% coinsurance after the deductible."}}],
            "model": "amazon.titan-embed-text-v2:0", "dims": 1024});
        let t = canned(&[(200, found.clone()), (200, found)]);
        let client = CloudClient::new(&t, None);
        let ask = |q: &str| pollster::block_on(client.ask(q, "PPO_PLUS")).expect("ask");
        let answered = ask("is acupunture covered?");
        assert_eq!(
            answered.answer.map(|a| a.text),
            Some("Acupuncture: twelve visits a year, $15 copay per visit.".into())
        );
        // A word no passage is one slip from is still missing.
        let answered = ask("is reiki covered?");
        assert!(answered.answer.is_none());
        assert_eq!(answered.missing, ["reiki"]);
    }

    #[test]
    fn every_request_reads_its_question_as_typed_plainly() {
        let curly = "What\u{2019}s my  copay?";
        let query: QueryRequest =
            serde_json::from_value(serde_json::json!({"question": curly})).expect("query");
        assert_eq!(query.question.as_deref(), Some("What's my copay?"));
        let vector: QueryRequest =
            serde_json::from_value(serde_json::json!({"vector": [1.0]})).expect("vector");
        assert_eq!(vector.question, None);
        let answer: AnswerRequest =
            serde_json::from_value(serde_json::json!({"question": curly})).expect("answer");
        assert_eq!(answer.question, "What's my copay?");
        // Still strict: a question must be text.
        assert!(
            serde_json::from_value::<AnswerRequest>(serde_json::json!({"question": 1})).is_err()
        );
    }

    fn answer(model: &str, dims: usize) -> Value {
        serde_json::json!({"vectors": [{"key": "PPO_PLUS_chunk_0003", "distance": 0.25,
            "metadata": {"chunk": "Preventive care: $0", "policy": "PPO_PLUS"}}],
            "model": model, "dims": dims})
    }

    #[test]
    fn search_sends_a_policy_filter_and_maps_hits() {
        let t = canned(&[(200, answer("amazon.titan-embed-text-v2:0", 1024))]);
        let client = CloudClient::new(&t, None);
        let hits =
            pollster::block_on(client.search("Is my checkup free?", "PPO_PLUS")).expect("search");
        assert_eq!(hits[0].id, "PPO_PLUS_chunk_0003");
        assert_eq!(hits[0].text, "Preventive care: $0");
        assert!((hits[0].score - 0.75).abs() < 1e-6);
        assert!(!hits[0].metadata.contains_key("chunk"));
        let (path, body) = &t.sent.borrow()[0];
        assert_eq!(path, "/v1/query");
        assert_eq!(body["filter"], serde_json::json!({"policy": "PPO_PLUS"}));
        assert_eq!(body["topK"], 3);
        assert_eq!(
            client.contract(),
            Some(Contract {
                model: "amazon.titan-embed-text-v2:0".into(),
                dims: 1024
            })
        );
    }

    #[test]
    fn another_model_or_dimension_is_refused_naming_both() {
        let t = canned(&[(200, answer("amazon.titan-embed-text-v2:0", 1024))]);
        let client = CloudClient::new(
            &t,
            Some(Contract {
                model: "amazon.titan-embed-text-v2:0".into(),
                dims: 512,
            }),
        );
        let e = pollster::block_on(client.search("q", "PPO_PLUS")).unwrap_err();
        assert_eq!(e.code(), "DIMENSION_MISMATCH");
        let msg = e.to_string();
        assert!(msg.contains("512") && msg.contains("1024"), "{msg}");

        // A 384-d (MiniLM) vector against a 1024-d index never leaves the client.
        let t = canned(&[(200, answer("amazon.titan-embed-text-v2:0", 1024))]);
        let client = CloudClient::new(&t, None);
        pollster::block_on(client.search("q", "P")).expect("learns the contract");
        let e = pollster::block_on(client.query(&Query {
            vector: Some(vec![0.1; 384]),
            ..Query::default()
        }))
        .unwrap_err();
        assert_eq!(e.code(), "DIMENSION_MISMATCH");
        assert!(e.to_string().contains("384") && e.to_string().contains("1024"));
        assert_eq!(t.sent.borrow().len(), 1, "the bad query was not sent");
    }

    #[test]
    fn proxy_errors_keep_their_code() {
        let t = canned(&[(
            401,
            serde_json::json!({"code": "UNAUTHORIZED", "message": "missing bearer token"}),
        )]);
        let client = CloudClient::new(&t, None);
        let e = pollster::block_on(client.search("q", "P")).unwrap_err();
        assert_eq!(e.code(), "UNAUTHORIZED");
        assert!(e.to_string().contains("missing bearer token"));
    }
}
