//! A local fake of the AWS services the cloud path uses, for tests and the demo
//! (native only; never deployed). It speaks:
//!
//! - **S3 Vectors**' REST-JSON API: `POST /CreateIndex`, `/PutVectors`, `/QueryVectors`,
//!   `/GetVectors`, `/DeleteVectors`, `/ListVectors` with their request and response
//!   shapes, limits and error shapes (`x-amzn-ErrorType` + `{"message"}`), exact cosine
//!   search and the full filter grammar (benefind's filter module, checked against a
//!   table of AWS's documented cases in `tests/s3vectors_filter.rs`). Metadata limits are
//!   AWS's ([`aws::check_metadata`]): 40 KB per vector, 2 KB of it filterable, 50 keys,
//!   with the non-filterable keys declared at `CreateIndex` (`metadataConfiguration`) or
//!   with `--index BUCKET/INDEX/DIMS/KEY,…`;
//! - **Bedrock Runtime**'s `POST /model/{modelId}/invoke` for Titan Text Embeddings V2:
//!   `{inputText, dimensions: 256|512|1024, normalize}` → `{embedding,
//!   inputTextTokenCount}`. The embedding *keeps meaning*: it is the MiniLM vector of
//!   the text mapped into the requested size by a fixed orthogonal map (exact cosines at
//!   512 and 1024; a projection at 256), so answers through the cloud path can be
//!   checked, not just their shapes.
//!
//! - **Bedrock Runtime**'s generation side (`bedrock.rs`): `Converse`, `ConverseStream`
//!   (AWS event-stream framing) and `ApplyGuardrail`, every request checked against
//!   botocore's model of the service (`shapes.rs`), with a deterministic model that
//!   answers only from the passages it is given and cites them, a guardrail (a denied
//!   topic; Social Security and member-ID numbers blocked on input, masked on output),
//!   and generation faults (a stream cut mid-answer, an output intervention after text
//!   has streamed, a citation of a passage that was not given).
//!
//! Every service request must carry a valid SigV4 signature for the fake's fixed test
//! credentials and the right service name (`s3vectors`, `bedrock`); anything else gets
//! 403, so the proxy's signing is really tested. Unsigned `/_fake/*` routes let tests
//! inject faults (status codes, delays) and read counters.

// Handlers return ready `Response`s as errors (S3 Vectors' error shapes); boxing them
// would buy nothing in a test fake.
#![allow(clippy::result_large_err)]

mod bedrock;
pub mod shapes;

use bedrock::BedrockOp;
pub use bedrock::GuardrailSpec;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::cloud::aws::{
    self, AwsError, VectorData, MAX_GET, MAX_PUT, MAX_TOP_K, TITAN_DIMS, TITAN_V2,
};
use crate::testing::synthetic::Rng;
use crate::vector::{dot, l2_normalize};
use crate::{Embedder, Filter};
use aws_credential_types::Credentials;

pub use crate::cloud::aws::{test_credentials, TEST_ACCESS_KEY, TEST_REGION, TEST_SECRET_KEY};

/// An index to create at start.
#[derive(Debug, Clone)]
pub struct IndexSpec {
    /// Vector bucket.
    pub bucket: String,
    /// Index name.
    pub index: String,
    /// Dimension.
    pub dims: usize,
    /// Metadata keys declared non-filterable (as `CreateIndex`'s
    /// `metadataConfiguration.nonFilterableMetadataKeys`).
    pub non_filterable: Vec<String>,
}

/// One injected fault: the next `times` service calls (of `service`, or any) answer
/// `status` (after `delay_ms`), or are only delayed when `status` is absent.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fault {
    /// `s3vectors` or `bedrock`; any when absent.
    #[serde(default)]
    pub service: Option<String>,
    /// HTTP status to answer (429 → ThrottlingException/TooManyRequestsException, 503 →
    /// ServiceUnavailableException, others → InternalServerException).
    #[serde(default)]
    pub status: Option<u16>,
    /// Delay before answering.
    #[serde(default)]
    pub delay_ms: u64,
    /// How many calls this fault applies to.
    #[serde(default = "one")]
    pub times: usize,
    /// Only calls of this operation (`ConverseStream`, `QueryVectors`, …); any when absent.
    #[serde(default)]
    pub operation: Option<String>,
    /// A generation fault instead of a status (see [`FaultEffect`]).
    #[serde(default)]
    pub effect: Option<FaultEffect>,
}

/// Faults of the generation side that are not a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultEffect {
    /// ConverseStream's answer stops mid-text: the connection is cut.
    CutStream,
    /// The guardrail intervenes on output after part of the answer has streamed.
    OutputIntervention,
    /// The model cites a passage it was not given.
    CiteUnretrieved,
    /// ConverseStream sends part of the answer, then a `throttlingException` event.
    ThrottleMidStream,
}

fn one() -> usize {
    1
}

/// Counters for tests.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FakeStats {
    /// Calls per operation (`PutVectors`, `InvokeModel`, …) that passed the signature check.
    pub calls: BTreeMap<String, usize>,
    /// Requests refused for their signature.
    pub rejected_signatures: usize,
    /// Why the last one was refused.
    pub last_rejection: Option<String>,
    /// Faults served.
    pub faults_served: usize,
    /// Vectors stored per `bucket/index`.
    pub vectors: BTreeMap<String, usize>,
}

/// A stored vector and its metadata.
type Stored = (Vec<f32>, Option<Map<String, Value>>);

struct FakeIndex {
    dims: usize,
    metric: String,
    non_filterable: Vec<String>,
    vectors: BTreeMap<String, Stored>,
}

struct Inner {
    credentials: Credentials,
    region: String,
    embedder: Arc<Embedder>,
    projections: Mutex<HashMap<usize, Arc<Vec<f32>>>>,
    indexes: Mutex<HashMap<(String, String), FakeIndex>>,
    faults: Mutex<VecDeque<Fault>>,
    stats: Mutex<FakeStats>,
    guardrail: GuardrailSpec,
}

type Shared = Arc<Inner>;
/// An operation's answer; errors are ready S3 Vectors / Bedrock error responses.
type Answer = Result<Response, Response>;

/// The fake's router. `embedder` is MiniLM (the Titan stand-in's meaning, and the
/// token counter of the model stand-in); the guardrail is [`GuardrailSpec::default`].
pub fn router(embedder: Arc<Embedder>, indexes: &[IndexSpec]) -> Router {
    router_with(embedder, indexes, GuardrailSpec::default())
}

/// [`router`] with its guardrail.
pub fn router_with(
    embedder: Arc<Embedder>,
    indexes: &[IndexSpec],
    guardrail: GuardrailSpec,
) -> Router {
    let inner = Inner {
        credentials: test_credentials(),
        region: TEST_REGION.into(),
        embedder,
        projections: Mutex::new(HashMap::new()),
        indexes: Mutex::new(
            indexes
                .iter()
                .map(|s| {
                    (
                        (s.bucket.clone(), s.index.clone()),
                        FakeIndex {
                            dims: s.dims,
                            metric: "cosine".into(),
                            non_filterable: s.non_filterable.clone(),
                            vectors: BTreeMap::new(),
                        },
                    )
                })
                .collect(),
        ),
        faults: Mutex::new(VecDeque::new()),
        stats: Mutex::new(FakeStats::default()),
        guardrail,
    };
    Router::new()
        .route("/_fake/faults", post(add_faults))
        .route("/_fake/stats", get(stats))
        .fallback(service_call)
        .with_state(Arc::new(inner))
}

async fn add_faults(State(s): State<Shared>, Json(faults): Json<Vec<Fault>>) -> StatusCode {
    s.faults.lock().expect("lock").extend(faults);
    StatusCode::NO_CONTENT
}

async fn stats(State(s): State<Shared>) -> Json<FakeStats> {
    let mut stats = s.stats.lock().expect("lock").clone();
    stats.vectors = s
        .indexes
        .lock()
        .expect("lock")
        .iter()
        .map(|((b, i), idx)| (format!("{b}/{i}"), idx.vectors.len()))
        .collect();
    Json(stats)
}

fn aws_error(status: u16, error_type: &str, message: impl Into<String>) -> Response {
    let e = AwsError {
        status,
        error_type: error_type.into(),
        message: message.into(),
    };
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Json(e.body()),
    )
        .into_response();
    if let Ok(v) = error_type.parse() {
        response.headers_mut().insert("x-amzn-errortype", v);
    }
    response
}

fn validation(message: impl Into<String>) -> Response {
    aws_error(400, "ValidationException", message)
}

async fn service_call(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let bedrock_op = if path.starts_with("/model/") || path.starts_with("/guardrail/") {
        match BedrockOp::parse(&path) {
            Some(op) => Some(op),
            None => return aws_error(404, "UnknownOperationException", "unknown operation"),
        }
    } else {
        None
    };
    let (service, op_name) = match &bedrock_op {
        Some(op) => (aws::BEDROCK, op.name().to_string()),
        None => (aws::S3VECTORS, path.trim_start_matches('/').to_string()),
    };
    if let Err(refused) = check_signature(&s, service, &method, &uri, &headers, &body) {
        return refused;
    }
    if method != Method::POST {
        return aws_error(405, "MethodNotAllowedException", "only POST is served");
    }
    let fault = take_fault(&s, service, &op_name);
    let effect = fault.as_ref().and_then(|f| f.effect);
    *s.stats
        .lock()
        .expect("lock")
        .calls
        .entry(op_name.clone())
        .or_default() += 1;
    if let Some(f) = fault {
        if let Some(refused) = serve_fault(&s, service, f).await {
            return refused;
        }
    }
    let json: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return aws_error(400, "SerializationException", e.to_string()),
    };
    let answer = if let Some(op) = bedrock_op {
        bedrock::serve(&s, op, json, effect).await
    } else {
        match op_name.as_str() {
            "CreateIndex" => create_index(&s, json),
            "PutVectors" => put_vectors(&s, json),
            "QueryVectors" => query_vectors(&s, json),
            "GetVectors" => get_vectors(&s, json),
            "DeleteVectors" => delete_vectors(&s, json),
            "ListVectors" => list_vectors(&s, json),
            _ => Err(aws_error(
                404,
                "UnknownOperationException",
                "unknown operation",
            )),
        }
    };
    answer.unwrap_or_else(|error| error)
}

/// Checks the request's SigV4 signature as AWS would ([`aws::verify`]); a refusal is
/// counted in the stats and answered as AWS answers it.
fn check_signature(
    s: &Inner,
    service: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Response> {
    let header_list: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let Err(why) = aws::verify(
        &s.credentials,
        &s.region,
        service,
        method.as_str(),
        path_and_query,
        &header_list,
        body,
        SystemTime::now(),
    ) else {
        return Ok(());
    };
    let mut stats = s.stats.lock().expect("lock");
    stats.rejected_signatures += 1;
    stats.last_rejection = Some(why.to_string());
    let kind = if why == aws::SignatureError::NotSigned {
        "MissingAuthenticationTokenException"
    } else {
        "InvalidSignatureException"
    };
    Err(aws_error(403, kind, why.to_string()))
}

/// The next queued fault for `service`, if any (a fault with `times` left stays queued).
fn take_fault(s: &Inner, service: &str, operation: &str) -> Option<Fault> {
    let mut faults = s.faults.lock().expect("lock");
    let at = faults.iter().position(|f| {
        f.service.as_deref().is_none_or(|x| x == service)
            && f.operation.as_deref().is_none_or(|x| x == operation)
    });
    at.map(|i| {
        let f = &mut faults[i];
        f.times = f.times.saturating_sub(1);
        let served = f.clone();
        if f.times == 0 {
            faults.remove(i);
        }
        served
    })
}

/// Serves an injected fault: waits its delay, then answers its status as AWS would
/// (`None`: only a delay, the call proceeds).
async fn serve_fault(s: &Inner, service: &str, f: Fault) -> Option<Response> {
    s.stats.lock().expect("lock").faults_served += 1;
    tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
    let status = f.status?;
    let kind = match (status, service) {
        (429, aws::BEDROCK) => "ThrottlingException",
        (429, _) => "TooManyRequestsException",
        (503, _) => "ServiceUnavailableException",
        _ => "InternalServerException",
    };
    Some(aws_error(status, kind, "injected fault"))
}

fn parse<T: for<'de> Deserialize<'de>>(json: Value) -> Result<T, Response> {
    serde_json::from_value(json).map_err(|e| validation(e.to_string()))
}

/// The orthogonal map from MiniLM's 384 dimensions to `dims`, row-major `dims × 384`:
/// orthonormal columns when `dims ≥ 384` (cosines preserved exactly), orthonormal
/// rows otherwise. Fixed seed, so every run embeds alike.
fn projection(s: &Inner, dims: usize) -> Arc<Vec<f32>> {
    let mut cache = s.projections.lock().expect("lock");
    cache
        .entry(dims)
        .or_insert_with(|| {
            let src = s.embedder.dims();
            let mut rng = Rng::new(0x7174_a2b0 + dims as u64);
            // Gram–Schmidt over the shorter side's vectors.
            let (count, len) = if dims >= src {
                (src, dims)
            } else {
                (dims, src)
            };
            let mut basis: Vec<Vec<f32>> = Vec::with_capacity(count);
            while basis.len() < count {
                let mut v: Vec<f32> = (0..len).map(|_| rng.normal()).collect();
                for b in &basis {
                    let d = dot(&v, b);
                    v.iter_mut().zip(b).for_each(|(x, y)| *x -= d * y);
                }
                if dot(&v, &v) > 1e-6 {
                    l2_normalize(&mut v);
                    basis.push(v);
                }
            }
            let mut m = vec![0.0f32; dims * src];
            for (i, b) in basis.iter().enumerate() {
                for (j, x) in b.iter().enumerate() {
                    // dims ≥ src: basis vectors are columns; else rows.
                    let (r, c) = if dims >= src { (j, i) } else { (i, j) };
                    m[r * src + c] = *x;
                }
            }
            Arc::new(m)
        })
        .clone()
}

async fn invoke_model(s: &Shared, model: &str, json: Value) -> Answer {
    if model != TITAN_V2 {
        return Err(validation(format!(
            "The provided model identifier is invalid: {model}"
        )));
    }
    let request: aws::TitanRequest = parse(json)?;
    let dims = request.dimensions.unwrap_or(1024);
    if !TITAN_DIMS.contains(&dims) {
        return Err(validation(format!(
            "dimensions {dims} is not one of 256, 512, 1024"
        )));
    }
    let chars = request.input_text.chars().count();
    if chars == 0 || chars > 50_000 {
        return Err(validation(format!(
            "inputText has {chars} characters; it must have 1 to 50000"
        )));
    }
    let s2 = s.clone();
    let text = request.input_text;
    let embedded = tokio::task::spawn_blocking(move || {
        let v = s2.embedder.embed_one(&text)?;
        let tokens = s2.embedder.count_tokens(&text)?;
        Ok::<_, crate::Error>((v, tokens))
    })
    .await;
    let (source, tokens) = match embedded {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return Err(aws_error(500, "InternalServerException", e.to_string())),
        Err(e) => return Err(aws_error(500, "InternalServerException", e.to_string())),
    };
    let p = projection(s, dims);
    let src = source.len();
    let mut embedding: Vec<f32> = (0..dims)
        .map(|r| dot(&p[r * src..(r + 1) * src], &source))
        .collect();
    if request.normalize.unwrap_or(true) {
        l2_normalize(&mut embedding);
    }
    respond(aws::TitanResponse {
        embedding,
        input_text_token_count: tokens,
    })
}

fn index_key(index: &aws::IndexRef) -> Result<(String, String), Response> {
    if let Some(arn) = &index.index_arn {
        // arn:aws:s3vectors:region:account:bucket/{bucket}/index/{index}
        let parts: Vec<&str> = arn.split('/').collect();
        if parts.len() == 4 && parts[2] == "index" {
            return Ok((parts[1].into(), parts[3].into()));
        }
        return Err(validation(format!("indexArn {arn} is malformed")));
    }
    match (&index.vector_bucket_name, &index.index_name) {
        (Some(b), Some(i)) => Ok((b.clone(), i.clone())),
        _ => Err(validation(
            "vectorBucketName and indexName (or indexArn) are required",
        )),
    }
}

fn with_index<R>(
    s: &Inner,
    index: &aws::IndexRef,
    f: impl FnOnce(&mut FakeIndex) -> Result<R, Response>,
) -> Result<R, Response> {
    let key = index_key(index)?;
    let mut indexes = s.indexes.lock().expect("lock");
    let idx = indexes.get_mut(&key).ok_or_else(|| {
        aws_error(
            404,
            "NotFoundException",
            format!(
                "The specified index could not be found: {}/{}",
                key.0, key.1
            ),
        )
    })?;
    f(idx)
}

fn respond<T: Serialize>(value: T) -> Answer {
    Ok(Json(value).into_response())
}

fn create_index(s: &Inner, json: Value) -> Answer {
    let req: aws::CreateIndexInput = parse(json)?;
    if req.data_type != "float32" || !(1..=4096).contains(&req.dimension) {
        return Err(validation(
            "dataType must be float32 and dimension 1 to 4096",
        ));
    }
    if req.distance_metric != "cosine" && req.distance_metric != "euclidean" {
        return Err(validation("distanceMetric must be cosine or euclidean"));
    }
    let non_filterable = match req.metadata_configuration {
        Some(c) => {
            aws::check_non_filterable_keys(&c.non_filterable_metadata_keys)
                .map_err(|e| validation(e.to_string()))?;
            c.non_filterable_metadata_keys
        }
        None => Vec::new(),
    };
    let mut indexes = s.indexes.lock().expect("lock");
    let key = (req.vector_bucket_name.clone(), req.index_name.clone());
    if indexes.contains_key(&key) {
        return Err(aws_error(
            409,
            "ConflictException",
            "The index already exists",
        ));
    }
    indexes.insert(
        key,
        FakeIndex {
            dims: req.dimension,
            metric: req.distance_metric,
            non_filterable,
            vectors: BTreeMap::new(),
        },
    );
    respond(
        json!({"indexArn": format!("arn:aws:s3vectors:{}:000000000000:bucket/{}/index/{}", s.region, req.vector_bucket_name, req.index_name)}),
    )
}

fn check_key(key: &str) -> Result<(), Response> {
    if key.is_empty() || key.chars().count() > 1024 {
        return Err(validation("keys must have 1 to 1024 characters"));
    }
    Ok(())
}

fn put_vectors(s: &Inner, json: Value) -> Answer {
    let req: aws::PutVectorsInput = parse(json)?;
    if req.vectors.is_empty() || req.vectors.len() > MAX_PUT {
        return Err(validation(format!(
            "vectors has {} items; it must have 1 to {MAX_PUT}",
            req.vectors.len()
        )));
    }
    respond(with_index(s, &req.index, |idx| {
        // Validate all, then write all: one call is all-or-nothing.
        for v in &req.vectors {
            check_key(&v.key)?;
            if v.data.float32.len() != idx.dims {
                return Err(validation(format!(
                    "Invalid record for key '{}': vector dimension {} does not match index dimension {}",
                    v.key,
                    v.data.float32.len(),
                    idx.dims
                )));
            }
            if v.data.float32.iter().any(|x| !x.is_finite()) {
                return Err(validation(format!(
                    "vector {} has a non-finite value",
                    v.key
                )));
            }
            if let Some(m) = &v.metadata {
                aws::check_metadata(m, &idx.non_filterable)
                    .map_err(|e| validation(format!("Invalid record for key '{}': {e}", v.key)))?;
            }
        }
        for v in req.vectors.iter().cloned() {
            idx.vectors.insert(v.key, (v.data.float32, v.metadata));
        }
        Ok(json!({}))
    })?)
}

fn query_vectors(s: &Inner, json: Value) -> Answer {
    let req: aws::QueryVectorsInput = parse(json)?;
    if req.top_k == 0 || req.top_k > MAX_TOP_K {
        return Err(validation(format!(
            "topK is {}; it must be 1 to {MAX_TOP_K}",
            req.top_k
        )));
    }
    let filter = match req.filter.as_ref().map(Filter::parse).transpose() {
        Ok(f) => f,
        Err(e) => return Err(validation(format!("Invalid filter: {e}"))),
    };
    respond(with_index(s, &req.index, |idx| {
        let q = &req.query_vector.float32;
        if q.len() != idx.dims {
            return Err(validation(format!(
                "Query vector dimension {} does not match index dimension {}",
                q.len(),
                idx.dims
            )));
        }
        let qn = dot(q, q).sqrt();
        let empty = Map::new();
        let mut scored: Vec<(f32, &String)> = idx
            .vectors
            .iter()
            .filter(|(_, (_, m))| {
                filter
                    .as_ref()
                    .is_none_or(|f| f.matches(m.as_ref().unwrap_or(&empty)))
            })
            .map(|(k, (v, _))| {
                let d = if idx.metric == "cosine" {
                    let denom = qn * dot(v, v).sqrt();
                    1.0 - if denom > 0.0 { dot(q, v) / denom } else { 0.0 }
                } else {
                    q.iter().zip(v).map(|(a, b)| (a - b) * (a - b)).sum::<f32>()
                };
                (d, k)
            })
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        let vectors = scored
            .into_iter()
            .take(req.top_k)
            .map(|(d, k)| aws::QueryOutputVector {
                key: k.clone(),
                distance: req.return_distance.then_some(d),
                metadata: if req.return_metadata {
                    idx.vectors[k].1.clone()
                } else {
                    None
                },
            })
            .collect();
        Ok(aws::QueryVectorsOutput {
            vectors,
            distance_metric: idx.metric.clone(),
        })
    })?)
}

fn output(key: &str, v: &Stored, data: bool, metadata: bool) -> aws::OutputVector {
    aws::OutputVector {
        key: key.into(),
        data: data.then(|| VectorData {
            float32: v.0.clone(),
        }),
        metadata: if metadata { v.1.clone() } else { None },
    }
}

fn get_vectors(s: &Inner, json: Value) -> Answer {
    let req: aws::GetVectorsInput = parse(json)?;
    if req.keys.is_empty() || req.keys.len() > MAX_GET {
        return Err(validation(format!("keys must have 1 to {MAX_GET} items")));
    }
    respond(with_index(s, &req.index, |idx| {
        let vectors = req
            .keys
            .iter()
            .filter_map(|k| {
                idx.vectors
                    .get(k)
                    .map(|v| output(k, v, req.return_data, req.return_metadata))
            })
            .collect();
        Ok(aws::VectorsOutput {
            vectors,
            next_token: None,
        })
    })?)
}

fn delete_vectors(s: &Inner, json: Value) -> Answer {
    let req: aws::DeleteVectorsInput = parse(json)?;
    if req.keys.is_empty() || req.keys.len() > MAX_PUT {
        return Err(validation(format!("keys must have 1 to {MAX_PUT} items")));
    }
    respond(with_index(s, &req.index, |idx| {
        for k in &req.keys {
            check_key(k)?;
        }
        for k in &req.keys {
            idx.vectors.remove(k);
        }
        Ok(json!({}))
    })?)
}

fn list_vectors(s: &Inner, json: Value) -> Answer {
    let req: aws::ListVectorsInput = parse(json)?;
    let page = req.max_results.unwrap_or(500);
    if !(1..=1000).contains(&page) {
        return Err(validation("maxResults must be 1 to 1000"));
    }
    respond(with_index(s, &req.index, |idx| {
        let start = req.next_token.clone().unwrap_or_default();
        let mut vectors: Vec<aws::OutputVector> = idx
            .vectors
            .range(start..)
            .take(page + 1)
            .map(|(k, v)| output(k, v, req.return_data, req.return_metadata))
            .collect();
        let next_token = (vectors.len() > page).then(|| vectors.pop().expect("page + 1").key);
        Ok(aws::VectorsOutput {
            vectors,
            next_token,
        })
    })?)
}
