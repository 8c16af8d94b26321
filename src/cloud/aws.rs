//! What the signing proxy and the fake AWS services share (native only): the wire shapes
//! of the two AWS APIs benefind uses — S3 Vectors (REST-JSON, signing name `s3vectors`)
//! and Bedrock Runtime's `InvokeModel` for Titan Text Embeddings V2 (signing name
//! `bedrock`) — and SigV4 signing and verification, both by AWS's own `aws-sigv4` crate.
//!
//! Field names follow botocore's `s3vectors/2025-07-15/service-2.json` and Bedrock's
//! Titan V2 request/response documentation.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign as sigv4_sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

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

/// Checks one vector's metadata against S3 Vectors' per-vector limits, given the keys
/// its index declared non-filterable. Sizes are the UTF-8 bytes of the compact JSON of
/// the keys and values concerned (AWS does not publish its exact measure; this one is
/// what a client can compute and errs on the large side). The error names the sizes.
pub fn check_metadata(
    metadata: &Map<String, Value>,
    non_filterable: &[String],
) -> Result<(), String> {
    if metadata.len() > MAX_METADATA_KEYS {
        return Err(format!(
            "metadata has {} keys; at most {MAX_METADATA_KEYS} are allowed",
            metadata.len()
        ));
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
        return Err(format!(
            "metadata is {total} bytes; at most {MAX_METADATA_BYTES} are allowed"
        ));
    }
    let filterable = size(Some(true));
    if filterable > MAX_FILTERABLE_METADATA_BYTES {
        return Err(format!(
            "filterable metadata is {filterable} bytes; at most {MAX_FILTERABLE_METADATA_BYTES} are allowed (declare large keys non-filterable when creating the index)"
        ));
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
) -> Result<Vec<(String, String)>, String> {
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("signing parameters: {e}"))?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| format!("request cannot be signed: {e}"))?;
    let (instructions, _) = sigv4_sign(request, &params)
        .map_err(|e| format!("signing failed: {e}"))?
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

fn parse_authorization(value: &str) -> Result<Authorization<'_>, String> {
    let rest = value
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or("Authorization is not AWS4-HMAC-SHA256")?;
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
    let credential = credential.ok_or("Authorization has no Credential")?;
    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[4] != "aws4_request" {
        return Err(format!("credential scope {credential:?} is malformed"));
    }
    Ok(Authorization {
        access_key: scope[0],
        date: scope[1],
        region: scope[2],
        service: scope[3],
        signed_headers: signed
            .ok_or("Authorization has no SignedHeaders")?
            .split(';')
            .collect(),
        signature: signature.ok_or("Authorization has no Signature")?,
    })
}

/// Parses `X-Amz-Date` (`20261128T101500Z`).
fn parse_amz_date(value: &str) -> Result<SystemTime, String> {
    let bad = || format!("X-Amz-Date {value:?} is not yyyymmddThhmmssZ");
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
) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let auth = parse_authorization(header("authorization").ok_or("request is not signed")?)?;
    if auth.access_key != credentials.access_key_id() {
        return Err("the access key is not known".into());
    }
    if auth.region != region || auth.service != service {
        return Err(format!(
            "credential scope is {}/{}, expected {region}/{service}",
            auth.region, auth.service
        ));
    }
    let amz_date = header("x-amz-date").ok_or("X-Amz-Date is missing")?;
    if !amz_date.starts_with(auth.date) {
        return Err("X-Amz-Date does not match the credential scope date".into());
    }
    let time = parse_amz_date(amz_date)?;
    let skew = now
        .duration_since(time)
        .or_else(|e| Ok::<_, String>(e.duration()))?;
    if skew.as_secs() > 300 {
        return Err(format!(
            "signature time {amz_date} is {} s from now",
            skew.as_secs()
        ));
    }
    for required in ["host", "x-amz-date"] {
        if !auth.signed_headers.contains(&required) {
            return Err(format!("{required} is not among the signed headers"));
        }
    }
    let host = header("host").ok_or("Host is missing")?;
    let mut signed: Vec<(&str, &str)> = Vec::new();
    for name in &auth.signed_headers {
        let value = header(name).ok_or_else(|| format!("signed header {name} is missing"))?;
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
        .ok_or("signer produced no Authorization")?;
    let expected_sig = parse_authorization(expected_auth)?.signature;
    if expected_sig
        .as_bytes()
        .ct_eq(auth.signature.as_bytes())
        .into()
    {
        Ok(())
    } else {
        Err("the request signature we calculated does not match the signature provided".into())
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
            Err("request is not signed".into())
        );
        let wrong = Credentials::new("AKIDTEST", "other-secret", None, None, "test");
        assert!(verify(
            &wrong,
            "us-east-1",
            S3VECTORS,
            "POST",
            "/QueryVectors",
            &headers,
            body,
            now
        )
        .unwrap_err()
        .contains("does not match"));
        let late = now + std::time::Duration::from_secs(600);
        assert!(verify(
            &creds(),
            "us-east-1",
            S3VECTORS,
            "POST",
            "/QueryVectors",
            &headers,
            body,
            late
        )
        .unwrap_err()
        .contains("from now"));
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
