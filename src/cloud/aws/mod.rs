//! What the signing proxy and the fake AWS services share (native only): the wire shapes
//! of the two AWS APIs benefind uses — S3 Vectors (REST-JSON, signing name `s3vectors`)
//! and Bedrock Runtime's `InvokeModel` for Titan Text Embeddings V2 (signing name
//! `bedrock`) — and SigV4 signing and verification, both by AWS's own `aws-sigv4` crate.
//!
//! Field names follow botocore's `s3vectors/2025-07-15/service-2.json` and Bedrock's
//! Titan V2 request/response documentation.

pub mod converse;

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign as sigv4_sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;
use thiserror::Error;

/// Signing name of Amazon S3 Vectors.
pub const S3VECTORS: &str = "s3vectors";
/// Signing name of Bedrock Runtime.
pub const BEDROCK: &str = "bedrock";
/// The Titan model this project's cloud path is built for.
pub const TITAN_V2: &str = "amazon.titan-embed-text-v2:0";
/// Output sizes Titan V2 offers.
pub const TITAN_DIMS: [usize; 3] = [256, 512, 1024];
/// S3 Vectors' limits: vectors per PutVectors / keys per DeleteVectors, keys per
/// GetVectors, and results per QueryVectors.
pub const MAX_PUT: usize = 500;
/// Keys per GetVectors call.
pub const MAX_GET: usize = 100;
/// Largest topK S3 Vectors answers.
pub const MAX_TOP_K: usize = 100;
/// S3 Vectors' metadata limits per vector ("Limitations and restrictions" in the S3 user
/// guide): 40 KB in all, of which at most 2 KB filterable, and at most 50 keys. An index
/// declares up to 10 non-filterable keys (1 to 63 characters) when it is created.
pub const MAX_METADATA_BYTES: usize = 40 * 1024;
/// Filterable metadata per vector (every key the index did not declare non-filterable).
pub const MAX_FILTERABLE_METADATA_BYTES: usize = 2 * 1024;
/// Metadata keys per vector.
pub const MAX_METADATA_KEYS: usize = 50;
/// Non-filterable keys an index may declare.
pub const MAX_NON_FILTERABLE_KEYS: usize = 10;

/// A vector's metadata, or an index's declared keys, break one of S3 Vectors' limits.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MetadataError {
    /// More than [`MAX_METADATA_KEYS`] keys.
    #[error("metadata has {0} keys; at most {MAX_METADATA_KEYS} are allowed")]
    TooManyKeys(usize),
    /// More than [`MAX_METADATA_BYTES`] in all.
    #[error("metadata is {0} bytes; at most {MAX_METADATA_BYTES} are allowed")]
    TooLarge(usize),
    /// More than [`MAX_FILTERABLE_METADATA_BYTES`] in filterable keys.
    #[error("filterable metadata is {0} bytes; at most {MAX_FILTERABLE_METADATA_BYTES} are allowed (declare large keys non-filterable when creating the index)")]
    FilterableTooLarge(usize),
    /// A value that is not a string, number, boolean or list of them (S3 Vectors'
    /// metadata types): objects and nested lists.
    #[error("metadata {0:?} is not a string, number, boolean or list of them")]
    Nested(String),
    /// `CreateIndex` declared no or too many non-filterable keys.
    #[error(
        "nonFilterableMetadataKeys has {0} items; it must have 1 to {MAX_NON_FILTERABLE_KEYS}"
    )]
    NonFilterableCount(usize),
    /// A declared non-filterable key is empty or longer than 63 characters.
    #[error("nonFilterableMetadataKeys[{0}] must have 1 to 63 characters")]
    NonFilterableLength(usize),
    /// A declared non-filterable key repeats an earlier one.
    #[error("nonFilterableMetadataKeys[{0}] repeats {1:?}")]
    NonFilterableRepeated(usize, String),
}

/// Checks one vector's metadata against S3 Vectors' types (string, number, boolean and
/// lists of them: no objects, no nesting) and per-vector limits, given the keys its index
/// declared non-filterable. Sizes are the UTF-8 bytes of the compact JSON of
/// the keys and values concerned (AWS does not publish its exact measure; this one is
/// what a client can compute and errs on the large side). The error names the sizes.
pub fn check_metadata(
    metadata: &Map<String, Value>,
    non_filterable: &[String],
) -> Result<(), MetadataError> {
    if metadata.len() > MAX_METADATA_KEYS {
        return Err(MetadataError::TooManyKeys(metadata.len()));
    }
    if let Some((key, _)) = metadata.iter().find(|(_, v)| match v {
        Value::Array(items) => !items.iter().all(is_scalar),
        v => !is_scalar(v),
    }) {
        return Err(MetadataError::Nested(key.clone()));
    }
    let size = |filterable: Option<bool>| {
        let part: Map<String, Value> = metadata
            .iter()
            .filter(|(k, _)| filterable.is_none_or(|f| f != non_filterable.contains(k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        serde_json::to_vec(&part).map_or(usize::MAX, |b| b.len())
    };
    let total = size(None);
    if total > MAX_METADATA_BYTES {
        return Err(MetadataError::TooLarge(total));
    }
    let filterable = size(Some(true));
    if filterable > MAX_FILTERABLE_METADATA_BYTES {
        return Err(MetadataError::FilterableTooLarge(filterable));
    }
    Ok(())
}

/// A string, number or boolean: S3 Vectors' scalar metadata types.
pub fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// Checks `CreateIndex`'s non-filterable keys: 1 to [`MAX_NON_FILTERABLE_KEYS`] distinct
/// keys of 1 to 63 characters.
pub fn check_non_filterable_keys(keys: &[String]) -> Result<(), MetadataError> {
    if keys.is_empty() || keys.len() > MAX_NON_FILTERABLE_KEYS {
        return Err(MetadataError::NonFilterableCount(keys.len()));
    }
    for (i, k) in keys.iter().enumerate() {
        if !(1..=63).contains(&k.chars().count()) {
            return Err(MetadataError::NonFilterableLength(i));
        }
        if keys[..i].contains(k) {
            return Err(MetadataError::NonFilterableRepeated(i, k.clone()));
        }
    }
    Ok(())
}

/// The local fake's fixed test credentials (`cloud::fake`; the proxy's tests, the demo and
/// the proxy benchmark sign with them). Never valid on AWS.
pub const TEST_ACCESS_KEY: &str = "AKIDBENEFINDFAKE";
/// Secret of [`TEST_ACCESS_KEY`].
pub const TEST_SECRET_KEY: &str = "benefind-fake-secret-key";
/// Region the fake answers for.
pub const TEST_REGION: &str = "us-east-1";

/// The fake's test credentials.
pub fn test_credentials() -> Credentials {
    Credentials::new(
        TEST_ACCESS_KEY,
        TEST_SECRET_KEY,
        None,
        None,
        "benefind-fake",
    )
}

/// S3 Vectors' vector payload: `{"float32": [...]}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VectorData {
    /// The components.
    pub float32: Vec<f32>,
}

/// Which index a request addresses (by bucket and name; ARNs are not used here).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexRef {
    /// Vector bucket name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_bucket_name: Option<String>,
    /// Index name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_name: Option<String>,
    /// Index ARN (accepted by the fake only as an alternative spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_arn: Option<String>,
}

/// `POST /CreateIndex`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateIndexInput {
    /// Vector bucket name.
    pub vector_bucket_name: String,
    /// Index name.
    pub index_name: String,
    /// `float32`.
    pub data_type: String,
    /// Vector length.
    pub dimension: usize,
    /// `cosine` or `euclidean`.
    pub distance_metric: String,
    /// Which metadata keys are stored but not filterable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_configuration: Option<MetadataConfiguration>,
}

/// `CreateIndex`'s `metadataConfiguration`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataConfiguration {
    /// 1 to 10 keys, each 1 to 63 characters.
    pub non_filterable_metadata_keys: Vec<String>,
}

/// One vector of `POST /PutVectors`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutInputVector {
    /// Key (1..=1024 characters).
    pub key: String,
    /// The vector.
    pub data: VectorData,
    /// Filterable metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// `POST /PutVectors`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PutVectorsInput {
    /// The index.
    #[serde(flatten)]
    pub index: IndexRef,
    /// 1..=500 vectors.
    pub vectors: Vec<PutInputVector>,
}

/// `POST /QueryVectors`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryVectorsInput {
    /// The index.
    #[serde(flatten)]
    pub index: IndexRef,
    /// Results wanted.
    pub top_k: usize,
    /// The query.
    pub query_vector: VectorData,
    /// Metadata filter (S3 Vectors' grammar, which benefind's filter module implements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
    /// Return each result's metadata.
    #[serde(default)]
    pub return_metadata: bool,
    /// Return each result's distance.
    #[serde(default)]
    pub return_distance: bool,
}

/// One result of QueryVectors.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QueryOutputVector {
    /// Key.
    pub key: String,
    /// Distance (cosine: 1 − cosine similarity), when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<f32>,
    /// Metadata, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// QueryVectors' answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryVectorsOutput {
    /// Nearest first.
    pub vectors: Vec<QueryOutputVector>,
    /// The index's metric.
    pub distance_metric: String,
}

/// `POST /GetVectors`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetVectorsInput {
    /// The index.
    #[serde(flatten)]
    pub index: IndexRef,
    /// 1..=100 keys.
    pub keys: Vec<String>,
    /// Return the vectors.
    #[serde(default)]
    pub return_data: bool,
    /// Return the metadata.
    #[serde(default)]
    pub return_metadata: bool,
}

/// One vector of GetVectors / ListVectors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputVector {
    /// Key.
    pub key: String,
    /// The vector, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<VectorData>,
    /// Metadata, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// GetVectors' and ListVectors' answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VectorsOutput {
    /// The vectors found (missing keys are left out).
    pub vectors: Vec<OutputVector>,
    /// ListVectors: where the next page starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `POST /DeleteVectors`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeleteVectorsInput {
    /// The index.
    #[serde(flatten)]
    pub index: IndexRef,
    /// 1..=500 keys.
    pub keys: Vec<String>,
}

/// `POST /ListVectors`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListVectorsInput {
    /// The index.
    #[serde(flatten)]
    pub index: IndexRef,
    /// Page size (1..=1000).
    #[serde(default)]
    pub max_results: Option<usize>,
    /// From a previous page.
    #[serde(default)]
    pub next_token: Option<String>,
    /// Return the vectors.
    #[serde(default)]
    pub return_data: bool,
    /// Return the metadata.
    #[serde(default)]
    pub return_metadata: bool,
}

/// Titan Text Embeddings V2 request body (`POST /model/{modelId}/invoke`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanRequest {
    /// The text (up to 50,000 characters / 8,192 tokens).
    pub input_text: String,
    /// 256, 512 or 1024 (default 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<usize>,
    /// Unit length output (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
}

/// Titan Text Embeddings V2 response body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanResponse {
    /// The embedding.
    pub embedding: Vec<f32>,
    /// Tokens the input counted.
    pub input_text_token_count: usize,
}

/// An AWS error response: REST-JSON services put the type in `x-amzn-ErrorType` (and
/// older ones in the body's `__type`), the text in `message` (or `Message`).
#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    /// HTTP status.
    pub status: u16,
    /// e.g. `ValidationException`.
    pub error_type: String,
    /// AWS's message.
    pub message: String,
}

impl AwsError {
    /// Reads an error from a response's status, `x-amzn-ErrorType` header and body.
    pub fn parse(status: u16, error_type_header: Option<&str>, body: &[u8]) -> Self {
        let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let from_body = json
            .get("__type")
            .or_else(|| json.get("code"))
            .and_then(Value::as_str);
        let raw = error_type_header.or(from_body).unwrap_or("UnknownError");
        // "ValidationException:http://internal.amazon.com/..." and "aws.foo#Type" forms.
        let error_type = raw
            .split(':')
            .next()
            .unwrap_or(raw)
            .rsplit('#')
            .next()
            .unwrap_or(raw)
            .to_string();
        let message = json
            .get("message")
            .or_else(|| json.get("Message"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        Self {
            status,
            error_type,
            message,
        }
    }

    /// The JSON body a REST-JSON service answers with (used by the fake, which also
    /// sets `x-amzn-ErrorType`).
    pub fn body(&self) -> Value {
        serde_json::json!({ "__type": self.error_type, "message": self.message })
    }
}

/// Why a request could not be signed, or why a received signature is refused (the
/// fake's `MissingAuthenticationTokenException` for [`SignatureError::NotSigned`],
/// `InvalidSignatureException` for the rest).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// `aws-sigv4` refused the parameters or the request.
    #[error("request cannot be signed: {0}")]
    Sign(String),
    /// No `Authorization` header.
    #[error("request is not signed")]
    NotSigned,
    /// The `Authorization` header is not a well-formed SigV4 header.
    #[error("Authorization is malformed: {0}")]
    Malformed(&'static str),
    /// The credential scope does not have five parts ending in `aws4_request`.
    #[error("credential scope {0:?} is malformed")]
    BadScope(String),
    /// The access key is not the one these credentials hold.
    #[error("the access key is not known")]
    UnknownAccessKey,
    /// The scope names another region or service.
    #[error("credential scope is {got}, expected {expected}")]
    WrongScope {
        /// `region/service` the request was signed for.
        got: String,
        /// `region/service` this endpoint serves.
        expected: String,
    },
    /// A header the check needs is absent.
    #[error("{0} is missing")]
    MissingHeader(String),
    /// `X-Amz-Date` is not `yyyymmddThhmmssZ`, or not the scope's date.
    #[error("X-Amz-Date {0:?} is malformed or does not match the credential scope date")]
    BadDate(String),
    /// The signing time is more than 5 minutes from now.
    #[error("signature time {date} is {seconds} s from now")]
    Skewed {
        /// `X-Amz-Date`.
        date: String,
        /// Distance from now.
        seconds: u64,
    },
    /// `host` or `x-amz-date` is not among the signed headers.
    #[error("{0} is not among the signed headers")]
    Unsigned(&'static str),
    /// The signature is not the one these credentials make.
    #[error("the request signature we calculated does not match the signature provided")]
    Mismatch,
}

/// Signs a request; returns the headers to add (`authorization`, `x-amz-date`, and
/// `x-amz-security-token` for temporary credentials). `headers` must be every header
/// that will be sent and should be signed (at least `content-type`); `host` is taken
/// from `url`.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    credentials: &Credentials,
    region: &str,
    service: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    time: SystemTime,
) -> Result<Vec<(String, String)>, SignatureError> {
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| SignatureError::Sign(e.to_string()))?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| SignatureError::Sign(e.to_string()))?;
    let (instructions, _) = sigv4_sign(request, &params)
        .map_err(|e| SignatureError::Sign(e.to_string()))?
        .into_parts();
    let (headers, _) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| (h.name().to_string(), h.value().to_string()))
        .collect())
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, SignatureError> {
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or(SignatureError::Malformed("not AWS4-HMAC-SHA256"))?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let credential = credential.ok_or(SignatureError::Malformed("no Credential"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[4] != "aws4_request" {
        return Err(SignatureError::BadScope(credential.into()));
    }
    Ok(Authorization {
        access_key: scope[0],
        date: scope[1],
        region: scope[2],
        service: scope[3],
        signed_headers: signed
            .ok_or(SignatureError::Malformed("no SignedHeaders"))?
            .split(';')
            .collect(),
        signature: signature.ok_or(SignatureError::Malformed("no Signature"))?,
    })
}

/// Parses `X-Amz-Date` (`20261128T101500Z`).
fn parse_amz_date(value: &str) -> Result<SystemTime, SignatureError> {
    let bad = || SignatureError::BadDate(value.into());
    if value.len() != 16 || &value[8..9] != "T" || !value.ends_with('Z') {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| value[r].parse::<i64>().map_err(|_| bad());
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, s) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (mo + if mo > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + s;
    let secs = u64::try_from(secs).map_err(|_| bad())?;
    Ok(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// Checks a received request's SigV4 signature the way AWS does: the scope names these
/// credentials, this region and this service; the time is within 5 minutes of `now`;
/// and signing the same method, path, signed headers and body with the same key gives
/// the same signature (compared in constant time). `headers` are the request's headers
/// (names in any case); `path_and_query` is what the request line carried.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    credentials: &Credentials,
    region: &str,
    service: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
    now: SystemTime,
) -> Result<(), SignatureError> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let missing = |name: &str| SignatureError::MissingHeader(name.into());
    let auth = parse_authorization(header("authorization").ok_or(SignatureError::NotSigned)?)?;
    if auth.access_key != credentials.access_key_id() {
        return Err(SignatureError::UnknownAccessKey);
    }
    if auth.region != region || auth.service != service {
        return Err(SignatureError::WrongScope {
            got: format!("{}/{}", auth.region, auth.service),
            expected: format!("{region}/{service}"),
        });
    }
    let amz_date = header("x-amz-date").ok_or_else(|| missing("X-Amz-Date"))?;
    if !amz_date.starts_with(auth.date) {
        return Err(SignatureError::BadDate(amz_date.into()));
    }
    let time = parse_amz_date(amz_date)?;
    let skew = now
        .duration_since(time)
        .unwrap_or_else(|e| e.duration())
        .as_secs();
    if skew > 300 {
        return Err(SignatureError::Skewed {
            date: amz_date.into(),
            seconds: skew,
        });
    }
    for required in ["host", "x-amz-date"] {
        if !auth.signed_headers.contains(&required) {
            return Err(SignatureError::Unsigned(required));
        }
    }
    let host = header("host").ok_or_else(|| missing("Host"))?;
    let mut signed: Vec<(&str, &str)> = Vec::new();
    for name in &auth.signed_headers {
        let value = header(name).ok_or_else(|| missing(name))?;
        signed.push((name, value));
    }
    let url = format!("http://{host}{path_and_query}");
    let expected = sign(
        credentials,
        region,
        service,
        method,
        &url,
        &signed,
        body,
        time,
    )?;
    let expected_auth = expected
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str())
        .ok_or(SignatureError::Sign(
            "the signer made no Authorization".into(),
        ))?;
    let expected_sig = parse_authorization(expected_auth)?.signature;
    if expected_sig
        .as_bytes()
        .ct_eq(auth.signature.as_bytes())
        .into()
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new("AKIDTEST", "secret", None, None, "test")
    }

    fn signed(url: &str, body: &[u8], time: SystemTime) -> Vec<(String, String)> {
        let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
        headers.extend(
            sign(
                &creds(),
                "us-east-1",
                S3VECTORS,
                "POST",
                url,
                &[("content-type", "application/json")],
                body,
                time,
            )
            .expect("signs"),
        );
        headers.push(("host".into(), "127.0.0.1:9".into()));
        headers
    }

    #[test]
    fn a_signed_request_verifies_and_any_change_breaks_it() {
        let now = SystemTime::now();
        let body = br#"{"topK":3}"#;
        let headers = signed("http://127.0.0.1:9/QueryVectors", body, now);
        let check = |path: &str, headers: &[(String, String)], body: &[u8], service: &str| {
            verify(
                &creds(),
                "us-east-1",
                service,
                "POST",
                path,
                headers,
                body,
                now,
            )
        };
        check("/QueryVectors", &headers, body, S3VECTORS).expect("valid signature");
        assert!(check("/PutVectors", &headers, body, S3VECTORS).is_err());
        assert!(check("/QueryVectors", &headers, br#"{"topK":4}"#, S3VECTORS).is_err());
        assert!(check("/QueryVectors", &headers, body, BEDROCK).is_err());
        let mut other_host = headers.clone();
        other_host.retain(|(n, _)| n != "host");
        other_host.push(("host".into(), "evil.example".into()));
        assert!(check("/QueryVectors", &other_host, body, S3VECTORS).is_err());
        let unsigned: Vec<(String, String)> = headers
            .iter()
            .filter(|(n, _)| n != "authorization")
            .cloned()
            .collect();
        assert_eq!(
            check("/QueryVectors", &unsigned, body, S3VECTORS),
            Err(SignatureError::NotSigned)
        );
        let at = |credentials: &Credentials, time| {
            verify(
                credentials,
                "us-east-1",
                S3VECTORS,
                "POST",
                "/QueryVectors",
                &headers,
                body,
                time,
            )
        };
        let wrong = Credentials::new("AKIDTEST", "other-secret", None, None, "test");
        assert_eq!(at(&wrong, now), Err(SignatureError::Mismatch));
        let late = now + std::time::Duration::from_secs(600);
        assert!(matches!(
            at(&creds(), late),
            Err(SignatureError::Skewed { seconds: 600, .. })
        ));
    }

    #[test]
    fn amz_dates_parse() {
        let t = parse_amz_date("19700102T000001Z").expect("parses");
        assert_eq!(
            t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs(),
            86_401
        );
        assert!(parse_amz_date("2026-11-28").is_err());
    }

    #[test]
    fn aws_errors_parse_from_header_or_body() {
        let e = AwsError::parse(
            400,
            Some("ValidationException:http://internal.amazon.com/coral/"),
            br#"{"message":"bad topK"}"#,
        );
        assert_eq!(
            (e.error_type.as_str(), e.message.as_str()),
            ("ValidationException", "bad topK")
        );
        let e = AwsError::parse(
            429,
            None,
            br#"{"__type":"com.amazon#ThrottlingException","Message":"slow down"}"#,
        );
        assert_eq!(e.error_type, "ThrottlingException");
        assert_eq!(e.message, "slow down");
    }
}
