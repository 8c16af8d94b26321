//! The signing proxy (native only): the one place that holds AWS credentials. Browsers
//! and the CLI call four fixed routes with a bearer token; the proxy checks the request
//! strictly, signs its own requests to one configured Bedrock model and one S3 Vectors
//! index, and answers in S3 Vectors' naming. It is not a forwarder: nothing a client
//! sends chooses the upstream host, path, region, index or credentials.
//!
//! Routes: `POST /v1/embed`, `/v1/query` (role `search`), `/v1/upsert`, `/v1/delete`
//! (role `ingest`), `GET /healthz` (no token). Everything else is 404/405 JSON.
//!
//! Layers, outermost first: CORS (exact origin list; a request from another origin is
//! refused, not just left without headers), then per route: bearer token (SHA-256
//! compared in constant time against every configured hash), role, per-token rate limit
//! (GCRA), body cap, strict JSON (`deny_unknown_fields`), limits (topK, filter depth and
//! size, texts, vectors, key length), the token's forced filter AND-ed into every query
//! and checked against every write, and the dimension contract.
//!
//! Upstream calls are signed with SigV4, time out, and are retried with jittered
//! exponential backoff on 429/503 only when idempotent (all four upstream operations
//! are: InvokeModel is pure; PutVectors/DeleteVectors by key and QueryVectors give the
//! same result when repeated). Upstream errors are mapped to stable codes without
//! upstream internals; the details are logged server-side, secrets never.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::stream::{self, StreamExt, TryStreamExt};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::aws::{self, AwsError, VectorData};
use crate::cloud::{
    ApiError, CloudHit, DeleteRequest, DeleteResponse, EmbedRequest, EmbedResponse, QueryRequest,
    QueryResponse, UpsertRequest, UpsertResponse, TEXT_KEY,
};
use crate::Filter;

/// A client's role: `search` may embed and query; `ingest` may also upsert and delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// `/v1/embed`, `/v1/query`.
    Search,
    /// Also `/v1/upsert`, `/v1/delete`.
    Ingest,
}

/// One client token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// Name used in logs and rate limits (never the token).
    pub name: String,
    /// Hex SHA-256 of the token (`benefind-proxy hash-token` prints it).
    pub sha256: String,
    /// What it may do.
    pub role: Role,
    /// A filter AND-ed into every query of this token and required of every vector it
    /// writes or deletes (e.g. `{"tenant": "acme"}` or `{"policy": {"$in": [...]}}`).
    #[serde(default)]
    pub forced_filter: Option<Value>,
}

/// Limits; every one has a safe default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Request body cap in bytes.
    pub max_body_bytes: usize,
    /// topK cap (S3 Vectors answers at most 100).
    pub max_top_k: usize,
    /// Filter nesting cap.
    pub max_filter_depth: usize,
    /// Filter size cap (JSON values).
    pub max_filter_nodes: usize,
    /// Texts per `/v1/embed`.
    pub max_texts: usize,
    /// Characters per text (Titan V2 takes up to 50,000).
    pub max_text_chars: usize,
    /// Vectors per `/v1/upsert` and keys per `/v1/delete` (PutVectors' own cap is 500).
    pub max_vectors: usize,
    /// Requests per minute per token.
    pub requests_per_minute: u32,
    /// Burst allowance per token.
    pub burst: u32,
    /// Per upstream call.
    pub upstream_timeout_ms: u64,
    /// Retries after the first attempt, on 429/503 of idempotent calls.
    pub max_retries: u32,
    /// First backoff; doubles per retry, ×(0.5..1.5) jitter.
    pub retry_base_ms: u64,
    /// Titan calls in flight per request.
    pub embed_concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            max_top_k: aws::MAX_TOP_K,
            max_filter_depth: 6,
            max_filter_nodes: 64,
            max_texts: 32,
            max_text_chars: 50_000,
            max_vectors: aws::MAX_PUT,
            requests_per_minute: 600,
            burst: 60,
            upstream_timeout_ms: 10_000,
            max_retries: 3,
            retry_base_ms: 100,
            embed_concurrency: 4,
        }
    }
}

/// The proxy's configuration (TOML). The only source of upstream hosts and names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// AWS region, e.g. `us-east-1`.
    pub region: String,
    /// Bedrock Runtime endpoint; default `https://bedrock-runtime.{region}.amazonaws.com`.
    #[serde(default)]
    pub bedrock_endpoint: Option<String>,
    /// S3 Vectors endpoint; default `https://s3vectors.{region}.api.aws`.
    #[serde(default)]
    pub s3vectors_endpoint: Option<String>,
    /// Allow `http://` endpoints, only on loopback (the local fake).
    #[serde(default)]
    pub allow_loopback_http: bool,
    /// Vector bucket name.
    pub vector_bucket: String,
    /// Index name.
    pub index: String,
    /// Embedding model id.
    #[serde(default = "default_model")]
    pub model_id: String,
    /// Embedding size: 256, 512 or 1024 (the index's dimension).
    #[serde(default = "default_dims")]
    pub dims: usize,
    /// Exact origins allowed to call from a browser.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Limits.
    #[serde(default)]
    pub limits: Limits,
    /// Client tokens.
    pub tokens: Vec<TokenConfig>,
}

fn default_listen() -> String {
    "127.0.0.1:9000".into()
}
fn default_model() -> String {
    aws::TITAN_V2.into()
}
fn default_dims() -> usize {
    1024
}

impl ProxyConfig {
    /// Parses and validates a TOML config.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|e| format!("config: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        if !aws::TITAN_DIMS.contains(&self.dims) {
            return Err(format!(
                "config: dims is {}; Titan V2 makes 256, 512 or 1024",
                self.dims
            ));
        }
        for (name, url) in [
            ("bedrock_endpoint", self.bedrock_endpoint()),
            ("s3vectors_endpoint", self.s3vectors_endpoint()),
        ] {
            let parsed = reqwest::Url::parse(&url).map_err(|e| format!("config: {name}: {e}"))?;
            let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            let ok_scheme = parsed.scheme() == "https"
                || (parsed.scheme() == "http" && self.allow_loopback_http && loopback);
            if !ok_scheme || parsed.path() != "/" || parsed.query().is_some() {
                return Err(format!("config: {name} must be an https origin (http only on loopback with allow_loopback_http), without path or query: {url}"));
            }
        }
        if self.tokens.is_empty() {
            return Err("config: no tokens; every route but /healthz needs one".into());
        }
        for t in &self.tokens {
            if t.sha256.len() != 64 || hex::decode(&t.sha256).is_err() {
                return Err(format!(
                    "config: token {} sha256 must be 64 hex digits",
                    t.name
                ));
            }
            if let Some(f) = &t.forced_filter {
                Filter::parse(f)
                    .map_err(|e| format!("config: token {} forced_filter: {e}", t.name))?;
            }
        }
        let l = &self.limits;
        if l.max_top_k == 0 || l.max_top_k > aws::MAX_TOP_K {
            return Err(format!(
                "config: limits.max_top_k must be 1 to {}",
                aws::MAX_TOP_K
            ));
        }
        if l.max_vectors == 0 || l.max_vectors > aws::MAX_PUT {
            return Err(format!(
                "config: limits.max_vectors must be 1 to {}",
                aws::MAX_PUT
            ));
        }
        if l.requests_per_minute == 0 || l.burst == 0 || l.embed_concurrency == 0 {
            return Err("config: rate limits and embed_concurrency must be positive".into());
        }
        if l.max_text_chars > 50_000 {
            return Err("config: limits.max_text_chars must be at most 50000 (Titan V2)".into());
        }
        Ok(())
    }

    /// Bedrock Runtime's origin.
    pub fn bedrock_endpoint(&self) -> String {
        self.bedrock_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://bedrock-runtime.{}.amazonaws.com", self.region))
            .trim_end_matches('/')
            .to_string()
            + "/"
    }

    /// S3 Vectors' origin.
    pub fn s3vectors_endpoint(&self) -> String {
        self.s3vectors_endpoint
            .clone()
            .unwrap_or_else(|| format!("https://s3vectors.{}.api.aws", self.region))
            .trim_end_matches('/')
            .to_string()
            + "/"
    }
}

/// Hex SHA-256 of a token, as the config stores it.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Where the proxy's AWS credentials come from.
#[derive(Clone)]
pub enum CredentialSource {
    /// Fixed credentials (tests against the fake).
    Static(Credentials),
    /// A provider (the standard chain: env, profile, container and instance roles),
    /// with the last credentials kept until five minutes before they expire (the
    /// provider itself does not cache).
    Provider(
        SharedCredentialsProvider,
        Arc<std::sync::Mutex<Option<Credentials>>>,
    ),
}

impl CredentialSource {
    /// The standard AWS chain, as the AWS SDKs resolve it.
    pub async fn default_chain() -> Result<Self, String> {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        config
            .credentials_provider()
            .map(|p| Self::Provider(p, Arc::default()))
            .ok_or_else(|| "no AWS credentials provider is configured".into())
    }

    async fn get(&self) -> Result<Credentials, String> {
        match self {
            Self::Static(c) => Ok(c.clone()),
            Self::Provider(p, cache) => {
                let fresh_until = SystemTime::now() + Duration::from_secs(300);
                if let Some(c) = cache.lock().ok().and_then(|c| c.clone()) {
                    if c.expiry().is_none_or(|e| e > fresh_until) {
                        return Ok(c);
                    }
                }
                let c = p
                    .provide_credentials()
                    .await
                    .map_err(|e| format!("AWS credentials unavailable: {e}"))?;
                if let Ok(mut slot) = cache.lock() {
                    *slot = Some(c.clone());
                }
                Ok(c)
            }
        }
    }
}

/// An error answered to a client: status, stable code, message without internals.
#[derive(Debug)]
pub struct ProxyError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ProxyError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(ApiError {
                code: self.code.into(),
                message: self.message,
            }),
        )
            .into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

struct Upstream {
    http: reqwest::Client,
    credentials: CredentialSource,
    region: String,
    bedrock: String,
    s3vectors: String,
    limits: Limits,
}

impl Upstream {
    /// One signed call with bounded retries; returns the body of a 2xx answer.
    async fn call(
        &self,
        service: &'static str,
        path: &str,
        body: Bytes,
        idempotent: bool,
    ) -> Result<Bytes, ProxyError> {
        let base = if service == aws::BEDROCK {
            &self.bedrock
        } else {
            &self.s3vectors
        };
        let url = format!("{}{}", base, path.trim_start_matches('/'));
        let credentials = self.credentials.get().await.map_err(|e| {
            tracing::error!(error = %e, "credentials");
            ProxyError::new(
                StatusCode::BAD_GATEWAY,
                "UPSTREAM_FORBIDDEN",
                "the proxy has no usable AWS credentials",
            )
        })?;
        let mut attempt = 0;
        loop {
            let signed = aws::sign(
                &credentials,
                &self.region,
                service,
                "POST",
                &url,
                &[("content-type", "application/json")],
                &body,
                SystemTime::now(),
            )
            .map_err(|e| {
                tracing::error!(error = %e, "signing");
                ProxyError::new(StatusCode::BAD_GATEWAY, "UPSTREAM_ERROR", "signing failed")
            })?;
            let mut request = self
                .http
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .timeout(Duration::from_millis(self.limits.upstream_timeout_ms))
                .body(body.clone()); // Bytes: a reference count, not a copy
            for (name, value) in &signed {
                request = request.header(name.as_str(), value.as_str());
            }
            let started = Instant::now();
            let outcome = request.send().await;
            let response = match outcome {
                Ok(r) => r,
                Err(e) if e.is_timeout() => {
                    tracing::warn!(service, path, attempt, "upstream timeout");
                    return Err(ProxyError::new(
                        StatusCode::GATEWAY_TIMEOUT,
                        "UPSTREAM_TIMEOUT",
                        format!(
                            "the {service} service did not answer in {} ms",
                            self.limits.upstream_timeout_ms
                        ),
                    ));
                }
                Err(e) => {
                    tracing::warn!(service, path, error = %e.without_url(), "upstream unreachable");
                    return Err(ProxyError::new(
                        StatusCode::BAD_GATEWAY,
                        "UPSTREAM_UNAVAILABLE",
                        format!("the {service} service could not be reached"),
                    ));
                }
            };
            let status = response.status().as_u16();
            let error_type = response
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let bytes = response.bytes().await.map_err(|_| {
                ProxyError::new(
                    StatusCode::BAD_GATEWAY,
                    "UPSTREAM_ERROR",
                    format!("the {service} answer was cut off"),
                )
            })?;
            if (200..300).contains(&status) {
                return Ok(bytes);
            }
            let e = AwsError::parse(status, error_type.as_deref(), &bytes);
            tracing::warn!(
                service, path, attempt, status, error_type = %e.error_type,
                aws_message = %e.message, ms = started.elapsed().as_millis() as u64,
                "upstream error"
            );
            let retryable = matches!(status, 429 | 503) && idempotent;
            if retryable && attempt < self.limits.max_retries {
                let backoff = self.limits.retry_base_ms * (1u64 << attempt.min(10));
                let jitter = 0.5 + fastrand::f64();
                tokio::time::sleep(Duration::from_millis((backoff as f64 * jitter) as u64)).await;
                attempt += 1;
                continue;
            }
            return Err(map_upstream(service, &e, attempt));
        }
    }

    /// One upstream operation, JSON in and out: `request` is sent (with retries: every
    /// operation the proxy uses is idempotent) and the answer read as `Resp`; `what`
    /// names it when the answer cannot be read.
    async fn call_json<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        service: &'static str,
        path: &str,
        request: &Req,
        what: &str,
    ) -> Result<Resp, ProxyError> {
        let body = serde_json::to_vec(request).expect("request types serialise");
        let bytes = self.call(service, path, body.into(), true).await?;
        serde_json::from_slice(&bytes).map_err(|_| {
            ProxyError::new(
                StatusCode::BAD_GATEWAY,
                "UPSTREAM_ERROR",
                format!("unexpected {what} answer"),
            )
        })
    }

    async fn embed(&self, model: &str, dims: usize, text: &str) -> Result<Vec<f32>, ProxyError> {
        let request = aws::TitanRequest {
            input_text: text.into(),
            dimensions: Some(dims),
            normalize: Some(true),
        };
        // The model id is a path segment: ':' is percent-encoded as the AWS SDKs do.
        let path = format!("/model/{}/invoke", model.replace(':', "%3A"));
        let response: aws::TitanResponse = self
            .call_json(aws::BEDROCK, &path, &request, "embedding")
            .await?;
        if response.embedding.len() != dims {
            tracing::error!(got = response.embedding.len(), dims, "embedding size");
            return Err(ProxyError::new(
                StatusCode::BAD_GATEWAY,
                "UPSTREAM_ERROR",
                format!(
                    "the model answered {} dimensions, the index holds {dims}",
                    response.embedding.len()
                ),
            ));
        }
        Ok(response.embedding)
    }
}

fn map_upstream(service: &str, e: &AwsError, retries: u32) -> ProxyError {
    let what = if service == aws::BEDROCK {
        "embedding"
    } else {
        "vector index"
    };
    match e.status {
        429 => ProxyError {
            retry_after: Some(1),
            ..ProxyError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "UPSTREAM_THROTTLED",
                format!("the {what} service is throttling requests (after {retries} retries); retry later"),
            )
        },
        503 => ProxyError {
            retry_after: Some(1),
            ..ProxyError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "UPSTREAM_UNAVAILABLE",
                format!("the {what} service is unavailable (after {retries} retries); retry later"),
            )
        },
        400 | 413 => ProxyError::new(
            StatusCode::BAD_REQUEST,
            "UPSTREAM_REJECTED",
            format!("the {what} service rejected the request ({})", e.error_type),
        ),
        401 | 403 => ProxyError::new(
            StatusCode::BAD_GATEWAY,
            "UPSTREAM_FORBIDDEN",
            format!("the {what} service refused the proxy's credentials"),
        ),
        _ => ProxyError::new(
            StatusCode::BAD_GATEWAY,
            "UPSTREAM_ERROR",
            format!("the {what} service failed ({})", e.error_type),
        ),
    }
}

/// A configured token, hashed.
struct Token {
    name: String,
    hash: [u8; 32],
    role: Role,
    forced: Option<(Value, Filter)>,
}

struct AppState {
    config: ProxyConfig,
    tokens: Vec<Token>,
    upstream: Upstream,
    limiter: DefaultKeyedRateLimiter<String>,
    origins: Vec<HeaderValue>,
}

type Shared = Arc<AppState>;

/// Who is calling (set by the auth layer for the handlers).
#[derive(Clone)]
struct Caller {
    name: String,
    forced: Option<(Value, Filter)>,
}

/// Builds the proxy's router.
pub fn router(config: ProxyConfig, credentials: CredentialSource) -> Result<Router, String> {
    config.validate()?;
    let tokens = config
        .tokens
        .iter()
        .map(|t| {
            let mut hash = [0u8; 32];
            hex::decode_to_slice(&t.sha256, &mut hash)
                .map_err(|e| format!("token {}: {e}", t.name))?;
            let forced = match &t.forced_filter {
                Some(v) => Some((v.clone(), Filter::parse(v).map_err(|e| e.to_string())?)),
                None => None,
            };
            Ok(Token {
                name: t.name.clone(),
                hash,
                role: t.role,
                forced,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let origins = config
        .allowed_origins
        .iter()
        .map(|o| HeaderValue::from_str(o).map_err(|e| format!("allowed_origins {o}: {e}")))
        .collect::<Result<Vec<_>, String>>()?;
    let quota =
        Quota::per_minute(NonZeroU32::new(config.limits.requests_per_minute).expect("validated"))
            .allow_burst(NonZeroU32::new(config.limits.burst).expect("validated"));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let upstream = Upstream {
        http,
        credentials,
        region: config.region.clone(),
        bedrock: config.bedrock_endpoint(),
        s3vectors: config.s3vectors_endpoint(),
        limits: config.limits.clone(),
    };
    let state = Arc::new(AppState {
        limiter: RateLimiter::keyed(quota),
        tokens,
        upstream,
        origins: origins.clone(),
        config,
    });
    let search = Router::new()
        .route("/v1/embed", post(embed))
        .route("/v1/query", post(query))
        .route_layer(middleware::from_fn_with_state(
            (state.clone(), Role::Search),
            authorize,
        ));
    let ingest = Router::new()
        .route("/v1/upsert", post(upsert))
        .route("/v1/delete", post(delete))
        .route_layer(middleware::from_fn_with_state(
            (state.clone(), Role::Ingest),
            authorize,
        ));
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    Ok(Router::new()
        .route("/healthz", get(healthz))
        .merge(search)
        .merge(ingest)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            log_and_check_origin,
        ))
        .layer(cors)
        .with_state(state))
}

/// Serves until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: ProxyConfig,
    credentials: CredentialSource,
) -> std::io::Result<()> {
    let app = router(config, credentials).map_err(std::io::Error::other)?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn not_found() -> ProxyError {
    ProxyError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "no such route; see /v1/query, /v1/embed, /v1/upsert, /v1/delete",
    )
}

async fn method_not_allowed() -> ProxyError {
    ProxyError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "use POST (GET for /healthz)",
    )
}

/// Refuses requests from origins not on the list (browsers send `Origin`; CORS headers
/// alone would still let the request reach the upstream), and logs every request.
async fn log_and_check_origin(State(s): State<Shared>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let origin = request.headers().get(header::ORIGIN).cloned();
    let response = match &origin {
        Some(o) if !s.origins.contains(o) => ProxyError::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "this origin is not allowed to call the proxy",
        )
        .into_response(),
        _ => next.run(request).await,
    };
    let caller = response
        .extensions()
        .get::<CallerName>()
        .map_or("-", |c| c.0.as_str())
        .to_string();
    // Route names only: client paths are logged only when they are one of ours.
    let route = match path.as_str() {
        "/v1/embed" | "/v1/query" | "/v1/upsert" | "/v1/delete" | "/healthz" => path.as_str(),
        _ => "(other)",
    };
    tracing::info!(
        method = %method, route, caller = %caller, status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64, "request"
    );
    response
}

#[derive(Clone)]
struct CallerName(String);

/// Bearer token → caller; role and rate limit.
async fn authorize(
    State((s, needed)): State<(Shared, Role)>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(presented) = presented.filter(|t| !t.is_empty()) else {
        return ProxyError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "missing bearer token",
        )
        .into_response();
    };
    let digest = Sha256::digest(presented.as_bytes());
    // Compare against every token without stopping early.
    let mut found: Option<&Token> = None;
    for t in &s.tokens {
        if bool::from(t.hash.ct_eq(digest.as_slice())) {
            found = Some(t);
        }
    }
    let Some(token) = found else {
        return ProxyError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "unknown bearer token",
        )
        .into_response();
    };
    if needed == Role::Ingest && token.role != Role::Ingest {
        let mut r = ProxyError::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "this token may only search",
        )
        .into_response();
        r.extensions_mut().insert(CallerName(token.name.clone()));
        return r;
    }
    if let Err(not_until) = s.limiter.check_key(&token.name) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(
            &governor::clock::DefaultClock::default(),
        ));
        let mut r = ProxyError {
            retry_after: Some(wait.as_secs().max(1)),
            ..ProxyError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                "too many requests for this token; retry later",
            )
        }
        .into_response();
        r.extensions_mut().insert(CallerName(token.name.clone()));
        return r;
    }
    request.extensions_mut().insert(Caller {
        name: token.name.clone(),
        forced: token.forced.clone(),
    });
    let mut response = next.run(request).await;
    response
        .extensions_mut()
        .insert(CallerName(token.name.clone()));
    response
}

/// Reads the body under the cap and parses it strictly.
async fn read_json<T: for<'de> Deserialize<'de>>(
    s: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<T, ProxyError> {
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !json_type {
        return Err(ProxyError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            "send Content-Type: application/json",
        ));
    }
    let limit = s.config.limits.max_body_bytes;
    let bytes = to_bytes(body, limit).await.map_err(|_| {
        ProxyError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("the body is over {limit} bytes"),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| ProxyError::bad(format!("invalid request: {e}")))
}

fn caller(request_ext: &axum::http::Extensions) -> Caller {
    request_ext
        .get::<Caller>()
        .cloned()
        .expect("set by authorize")
}

/// Depth and value count of a JSON filter.
fn filter_shape(v: &Value) -> (usize, usize) {
    match v {
        Value::Object(m) => m
            .values()
            .map(filter_shape)
            .fold((1, 1), |(d, n), (cd, cn)| (d.max(cd + 1), n + cn)),
        Value::Array(a) => a
            .iter()
            .map(filter_shape)
            .fold((1, 1), |(d, n), (cd, cn)| (d.max(cd + 1), n + cn)),
        _ => (0, 1),
    }
}

fn check_text(s: &AppState, what: &str, text: &str) -> Result<(), ProxyError> {
    let chars = text.chars().count();
    if text.trim().is_empty() || chars > s.config.limits.max_text_chars {
        return Err(ProxyError::bad(format!(
            "{what} has {chars} characters; it must be non-blank and at most {}",
            s.config.limits.max_text_chars
        )));
    }
    Ok(())
}

fn check_dims(s: &AppState, what: &str, v: &[f32]) -> Result<(), ProxyError> {
    if v.len() != s.config.dims {
        return Err(ProxyError::new(
            StatusCode::BAD_REQUEST,
            "DIMENSION_MISMATCH",
            format!(
                "{what} has {} dimensions, but the index holds {} vectors of {} dimensions; vectors of different models cannot be compared",
                v.len(), s.config.model_id, s.config.dims
            ),
        ));
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(ProxyError::bad(format!("{what} has a non-finite value")));
    }
    Ok(())
}

fn index_ref(s: &AppState) -> aws::IndexRef {
    aws::IndexRef {
        vector_bucket_name: Some(s.config.vector_bucket.clone()),
        index_name: Some(s.config.index.clone()),
        index_arn: None,
    }
}

async fn embed_all(s: &AppState, texts: Vec<String>) -> Result<Vec<Vec<f32>>, ProxyError> {
    stream::iter(texts)
        .map(|t| async move {
            s.upstream
                .embed(&s.config.model_id, s.config.dims, &t)
                .await
        })
        .buffered(s.config.limits.embed_concurrency)
        .try_collect()
        .await
}

async fn embed(
    State(s): State<Shared>,
    request: Request,
) -> Result<Json<EmbedResponse>, ProxyError> {
    let (parts, body) = request.into_parts();
    let req: EmbedRequest = read_json(&s, &parts.headers, body).await?;
    if req.texts.is_empty() || req.texts.len() > s.config.limits.max_texts {
        return Err(ProxyError::bad(format!(
            "texts has {} items; send 1 to {}",
            req.texts.len(),
            s.config.limits.max_texts
        )));
    }
    for (i, t) in req.texts.iter().enumerate() {
        check_text(&s, &format!("texts[{i}]"), t)?;
    }
    let embeddings = embed_all(&s, req.texts).await?;
    Ok(Json(EmbedResponse {
        embeddings,
        model: s.config.model_id.clone(),
        dims: s.config.dims,
    }))
}

async fn query(
    State(s): State<Shared>,
    request: Request,
) -> Result<Json<QueryResponse>, ProxyError> {
    let (parts, body) = request.into_parts();
    let who = caller(&parts.extensions);
    let req: QueryRequest = read_json(&s, &parts.headers, body).await?;
    let limits = &s.config.limits;
    if req.top_k == 0 || req.top_k > limits.max_top_k {
        return Err(ProxyError::bad(format!(
            "topK is {}; it must be 1 to {}",
            req.top_k, limits.max_top_k
        )));
    }
    if let Some(f) = &req.filter {
        let (depth, nodes) = filter_shape(f);
        if depth > limits.max_filter_depth || nodes > limits.max_filter_nodes {
            return Err(ProxyError::new(
                StatusCode::BAD_REQUEST,
                "BAD_FILTER",
                format!(
                "the filter is {depth} levels deep with {nodes} values; the limits are {} and {}",
                limits.max_filter_depth, limits.max_filter_nodes
            ),
            ));
        }
        Filter::parse(f).map_err(|e| {
            ProxyError::new(
                StatusCode::BAD_REQUEST,
                "BAD_FILTER",
                format!("invalid filter: {e}"),
            )
        })?;
    }
    let vector = match (req.question, req.vector) {
        (Some(q), None) => {
            check_text(&s, "question", &q)?;
            s.upstream
                .embed(&s.config.model_id, s.config.dims, &q)
                .await?
        }
        (None, Some(v)) => {
            check_dims(&s, "vector", &v)?;
            v
        }
        _ => return Err(ProxyError::bad("send exactly one of question or vector")),
    };
    let filter = match (req.filter, who.forced) {
        (Some(f), Some((forced, _))) => Some(json!({"$and": [f, forced]})),
        (f, forced) => f.or(forced.map(|(v, _)| v)),
    };
    let upstream = aws::QueryVectorsInput {
        index: index_ref(&s),
        top_k: req.top_k,
        query_vector: VectorData { float32: vector },
        filter,
        return_metadata: req.return_metadata,
        return_distance: req.return_distance,
    };
    let out: aws::QueryVectorsOutput = s
        .upstream
        .call_json(aws::S3VECTORS, "/QueryVectors", &upstream, "query")
        .await?;
    Ok(Json(QueryResponse {
        vectors: out
            .vectors
            .into_iter()
            .map(|v| CloudHit {
                key: v.key,
                distance: v.distance,
                metadata: v.metadata,
            })
            .collect(),
        model: s.config.model_id.clone(),
        dims: s.config.dims,
    }))
}

fn check_keys(s: &AppState, keys: &[&str]) -> Result<(), ProxyError> {
    if keys.is_empty() || keys.len() > s.config.limits.max_vectors {
        return Err(ProxyError::bad(format!(
            "send 1 to {} items, not {}",
            s.config.limits.max_vectors,
            keys.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        if k.is_empty() || k.chars().count() > 1024 {
            return Err(ProxyError::bad("keys must have 1 to 1024 characters"));
        }
        if !seen.insert(*k) {
            return Err(ProxyError::bad(format!("key {k:?} is repeated")));
        }
    }
    Ok(())
}

fn outside_scope(name: &str) -> ProxyError {
    ProxyError::new(
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        format!(
            "vectors outside token {name}'s scope (its forced filter) cannot be written or deleted"
        ),
    )
}

async fn upsert(
    State(s): State<Shared>,
    request: Request,
) -> Result<Json<UpsertResponse>, ProxyError> {
    let (parts, body) = request.into_parts();
    let who = caller(&parts.extensions);
    let req: UpsertRequest = read_json(&s, &parts.headers, body).await?;
    let keys: Vec<&str> = req.vectors.iter().map(|v| v.key.as_str()).collect();
    check_keys(&s, &keys)?;
    let mut texts = Vec::new();
    for (i, v) in req.vectors.iter().enumerate() {
        match (&v.text, &v.data) {
            (Some(t), None) => {
                check_text(&s, &format!("vectors[{i}].text"), t)?;
                if v.metadata.contains_key(TEXT_KEY) {
                    return Err(ProxyError::bad(format!(
                        "vectors[{i}].metadata.{TEXT_KEY} is set from text; do not send both"
                    )));
                }
                texts.push(t.clone());
            }
            (None, Some(d)) => check_dims(&s, &format!("vectors[{i}].data"), d)?,
            _ => {
                return Err(ProxyError::bad(format!(
                    "vectors[{i}]: send exactly one of text or data"
                )))
            }
        }
        // The metadata as stored, checked against S3 Vectors' limits before Bedrock is
        // paid for. The index must declare `chunk` non-filterable (README, "Cloud").
        let mut m = v.metadata.clone();
        if let Some(t) = &v.text {
            m.insert(TEXT_KEY.into(), Value::String(t.clone()));
        }
        aws::check_metadata(&m, &[TEXT_KEY.to_string()])
            .map_err(|e| ProxyError::bad(format!("vectors[{i}]: {e}")))?;
        if let Some((_, forced)) = &who.forced {
            if !forced.matches(&m) {
                return Err(outside_scope(&who.name));
            }
        }
    }
    let mut embedded = embed_all(&s, texts).await?.into_iter();
    let mut vectors = Vec::with_capacity(req.vectors.len());
    for v in req.vectors {
        let mut metadata: Map<String, Value> = v.metadata;
        let data = match (v.text, v.data) {
            (Some(t), _) => {
                metadata.insert(TEXT_KEY.into(), Value::String(t));
                embedded.next().expect("one embedding per text")
            }
            (None, Some(d)) => d,
            (None, None) => unreachable!("checked above"),
        };
        vectors.push(aws::PutInputVector {
            key: v.key,
            data: VectorData { float32: data },
            metadata: Some(metadata),
        });
    }
    let count = vectors.len();
    let put = aws::PutVectorsInput {
        index: index_ref(&s),
        vectors,
    };
    let _: IgnoredAny = s
        .upstream
        .call_json(aws::S3VECTORS, "/PutVectors", &put, "put")
        .await?;
    Ok(Json(UpsertResponse {
        upserted: count,
        model: s.config.model_id.clone(),
        dims: s.config.dims,
    }))
}

async fn delete(
    State(s): State<Shared>,
    request: Request,
) -> Result<Json<DeleteResponse>, ProxyError> {
    let (parts, body) = request.into_parts();
    let who = caller(&parts.extensions);
    let req: DeleteRequest = read_json(&s, &parts.headers, body).await?;
    let keys: Vec<&str> = req.keys.iter().map(String::as_str).collect();
    check_keys(&s, &keys)?;
    if let Some((_, forced)) = &who.forced {
        // A scoped token may delete only vectors inside its scope: look them up first.
        for batch in req.keys.chunks(aws::MAX_GET) {
            let get = aws::GetVectorsInput {
                index: index_ref(&s),
                keys: batch.to_vec(),
                return_data: false,
                return_metadata: true,
            };
            let found: aws::VectorsOutput = s
                .upstream
                .call_json(aws::S3VECTORS, "/GetVectors", &get, "lookup")
                .await?;
            let empty = Map::new();
            if found
                .vectors
                .iter()
                .any(|v| !forced.matches(v.metadata.as_ref().unwrap_or(&empty)))
            {
                return Err(outside_scope(&who.name));
            }
        }
    }
    let count = req.keys.len();
    let del = aws::DeleteVectorsInput {
        index: index_ref(&s),
        keys: req.keys,
    };
    let _: IgnoredAny = s
        .upstream
        .call_json(aws::S3VECTORS, "/DeleteVectors", &del, "delete")
        .await?;
    Ok(Json(DeleteResponse { deleted: count }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_refuses_open_or_odd_upstreams() {
        let base = |extra: &str| {
            format!(
                "region = \"us-east-1\"\nvector_bucket = \"b\"\nindex = \"i\"\n{extra}\n[[tokens]]\nname = \"t\"\nsha256 = \"{}\"\nrole = \"search\"\n",
                hash_token("x")
            )
        };
        assert!(ProxyConfig::from_toml(&base("")).is_ok());
        for bad in [
            "s3vectors_endpoint = \"http://s3vectors.us-east-1.api.aws\"",
            "s3vectors_endpoint = \"http://127.0.0.1:9\"",
            "s3vectors_endpoint = \"https://x.example/path\"",
            "dims = 384",
            "surprise = 1",
        ] {
            assert!(ProxyConfig::from_toml(&base(bad)).is_err(), "{bad}");
        }
        assert!(ProxyConfig::from_toml(&base(
            "allow_loopback_http = true\ns3vectors_endpoint = \"http://127.0.0.1:9\""
        ))
        .is_ok());
        assert!(ProxyConfig::from_toml(&base(
            "allow_loopback_http = true\ns3vectors_endpoint = \"http://10.0.0.1:9\""
        ))
        .is_err());
    }

    #[test]
    fn filter_shape_counts_depth_and_values() {
        assert_eq!(filter_shape(&json!({"policy": "A"})), (1, 2));
        assert_eq!(
            filter_shape(&json!({"$and": [{"a": 1}, {"b": {"$gt": 2}}]})).0,
            4
        );
    }
}
