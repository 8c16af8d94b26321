//! The proxy's configuration (TOML), its validation, client tokens and where AWS
//! credentials come from.

use super::*;

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
    /// The token's scope: a filter AND-ed into every query (e.g. `{"tenant": "acme"}`, or
    /// for a search token any filter, `{"policy": {"$in": [...]}}`). An ingest token's must
    /// be exact fields, which the proxy sets on every vector it writes, in a key namespace
    /// of their own (see `scope.rs`).
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
    /// Largest upstream answer read, in bytes (a QueryVectors answer of 100 vectors with
    /// 40 KB of metadata each is about 4 MB).
    pub max_upstream_bytes: usize,
    /// Reading a request's headers, and an idle connection's wait for its next request.
    pub header_read_timeout_ms: u64,
    /// Reading a request's body (408 `REQUEST_TIMEOUT`).
    pub body_timeout_ms: u64,
    /// A whole request, upstream calls and retries included (504 `REQUEST_TIMEOUT`).
    pub request_timeout_ms: u64,
    /// Open connections; one more is closed at once. Keep it under the process's
    /// open-file limit (`ulimit -n`) with room for upstream connections.
    pub max_connections: usize,
    /// Requests handled at once; one more gets 503 `OVERLOADED`.
    pub max_in_flight: usize,
    /// Requests per minute per client address (GCRA), checked before the token: a
    /// visitor who holds the public search token is still one visitor.
    pub client_requests_per_minute: u32,
    /// Burst allowance per client address.
    pub client_burst: u32,
    /// Titan calls per minute, charged per text to the token and to the client address.
    pub embeddings_per_minute: u32,
    /// Titan calls a token or address may spend at once (at least `max_vectors`, so one
    /// full upsert fits).
    pub embeddings_burst: u32,
    /// Titan calls per UTC day for the whole proxy: the cost ceiling (see the threat
    /// model). Past it every call that would embed gets 429 until midnight UTC.
    pub max_embeddings_per_day: u64,
    /// A header your load balancer sets to the client's address (`X-Forwarded-For`: its
    /// last entry is used). Unset: the TCP peer. Set it only behind such a balancer, or
    /// clients choose their own address.
    pub client_ip_header: Option<String>,
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
            max_upstream_bytes: 8 << 20,
            header_read_timeout_ms: 10_000,
            body_timeout_ms: 10_000,
            request_timeout_ms: 30_000,
            max_connections: 200,
            max_in_flight: 64,
            client_requests_per_minute: 120,
            client_burst: 30,
            embeddings_per_minute: 600,
            embeddings_burst: 500,
            max_embeddings_per_day: 50_000,
            client_ip_header: None,
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
    /// Written answers (`POST /v1/answer`); the route answers 404 without this section.
    #[serde(default)]
    pub answer: Option<AnswerConfig>,
}

/// `[answer]`: generated, cited answers by a Bedrock model behind a guardrail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerConfig {
    /// The Converse model: a model id or an inference profile id
    /// (`us.amazon.nova-micro-v1:0` where Nova Micro is served cross-region).
    #[serde(default = "default_answer_model")]
    pub model_id: String,
    /// The guardrail's id (or ARN), applied to every question before anything is paid
    /// for, and by Converse to the question and the answer.
    pub guardrail_id: String,
    /// Its version (a number, or `DRAFT` while testing).
    pub guardrail_version: String,
    /// Passages retrieved and given to the model, at most (a request's `topK`, default 5).
    #[serde(default = "default_answer_passages")]
    pub max_passages: usize,
    /// Most tokens the model may write per answer.
    #[serde(default = "default_answer_tokens")]
    pub max_output_tokens: u32,
    /// Sampling temperature (0: the most likely words, the most repeatable answers).
    #[serde(default)]
    pub temperature: f32,
    /// Answers per UTC day for the whole proxy: the generation cost ceiling. Past it
    /// `/v1/answer` gets 429 until midnight UTC.
    #[serde(default = "default_answers_per_day")]
    pub max_answers_per_day: u64,
    /// What a member sees when the guardrail stops an answer that had started to stream
    /// (ConverseStream does not carry the guardrail's message).
    #[serde(default = "default_blocked_message")]
    pub blocked_message: String,
}

pub(super) fn default_answer_model() -> String {
    aws::converse::NOVA_MICRO.into()
}
pub(super) fn default_answer_passages() -> usize {
    5
}
pub(super) fn default_answer_tokens() -> u32 {
    400
}
pub(super) fn default_answers_per_day() -> u64 {
    5_000
}
pub(super) fn default_blocked_message() -> String {
    "Sorry, this answer can't be shown. Please call Member Services.".into()
}

pub(super) fn default_listen() -> String {
    "127.0.0.1:9000".into()
}
pub(super) fn default_model() -> String {
    aws::TITAN_V2.into()
}
pub(super) fn default_dims() -> usize {
    1024
}

/// SHA-256 of the tokens published with the local demo (`benefind-demo-search-token`,
/// and `benefind-demo-ingest-token` of earlier versions): accepted only when every
/// upstream endpoint is loopback (the fake), never in front of real AWS.
pub const PUBLISHED_DEMO_TOKEN_HASHES: [&str; 2] = [
    "b1f95e54125f9caeaf3d781e63d352c13e0e57ca17dbd037088e59eeb4b6cbf6",
    "7e1ead2f90cfc2ffec4aa371737f17d8d2bebdec0042a216856d5205a4b1d770",
];

/// Why the proxy refuses a configuration; each names the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML, an unknown setting, or a value of the wrong type.
    #[error("config: {0}")]
    Parse(#[from] toml::de::Error),
    /// A setting outside what the proxy accepts.
    #[error("config: {setting}: {problem}")]
    Invalid {
        /// The setting, as written in the TOML file (`limits.max_top_k`, `token NAME sha256`).
        setting: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The upstream HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The standard AWS chain found no credentials provider.
    #[error("no AWS credentials provider is configured")]
    NoCredentials,
}

impl ConfigError {
    pub(super) fn invalid(setting: impl Into<String>, problem: impl ToString) -> Self {
        Self::Invalid {
            setting: setting.into(),
            problem: problem.to_string(),
        }
    }
}

impl ProxyConfig {
    /// Parses and validates a TOML config.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        use ConfigError as E;
        if !aws::TITAN_DIMS.contains(&self.dims) {
            return Err(E::invalid(
                "dims",
                format!("{}; Titan V2 makes 256, 512 or 1024", self.dims),
            ));
        }
        let all_loopback = self.validate_endpoints()?;
        self.validate_tokens(all_loopback)?;
        self.validate_limits()?;
        self.validate_answer()
    }

    fn validate_answer(&self) -> Result<(), ConfigError> {
        use ConfigError as E;
        let Some(a) = &self.answer else {
            return Ok(());
        };
        let id_like = |s: &str| {
            !s.is_empty()
                && s.len() <= 2048
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._:/".contains(c))
        };
        if !id_like(&a.model_id) {
            return Err(E::invalid(
                "answer.model_id",
                "must be a Bedrock model or inference profile id",
            ));
        }
        if !id_like(&a.guardrail_id) {
            return Err(E::invalid(
                "answer.guardrail_id",
                "must be a guardrail id or ARN",
            ));
        }
        let version_ok = a.guardrail_version == "DRAFT"
            || (a.guardrail_version.len() <= 8
                && a.guardrail_version.parse::<u32>().is_ok_and(|v| v > 0));
        if !version_ok {
            return Err(E::invalid(
                "answer.guardrail_version",
                "must be a version number or DRAFT",
            ));
        }
        if !(1..=20).contains(&a.max_passages) {
            return Err(E::invalid("answer.max_passages", "must be 1 to 20"));
        }
        if !(1..=4096).contains(&a.max_output_tokens) {
            return Err(E::invalid("answer.max_output_tokens", "must be 1 to 4096"));
        }
        if !(0.0..=1.0).contains(&a.temperature) {
            return Err(E::invalid("answer.temperature", "must be 0 to 1"));
        }
        if a.max_answers_per_day == 0 {
            return Err(E::invalid("answer.max_answers_per_day", "must be positive"));
        }
        if a.blocked_message.trim().is_empty() || a.blocked_message.len() > 1000 {
            return Err(E::invalid(
                "answer.blocked_message",
                "must be 1 to 1000 bytes",
            ));
        }
        Ok(())
    }

    /// Both endpoints https origins (http only on loopback with `allow_loopback_http`);
    /// returns whether both are loopback (the fake).
    fn validate_endpoints(&self) -> Result<bool, ConfigError> {
        use ConfigError as E;
        let mut all_loopback = true;
        for (name, url) in [
            ("bedrock_endpoint", self.bedrock_endpoint()),
            ("s3vectors_endpoint", self.s3vectors_endpoint()),
        ] {
            let parsed = reqwest::Url::parse(&url).map_err(|e| E::invalid(name, e))?;
            let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            all_loopback &= loopback;
            let ok_scheme = parsed.scheme() == "https"
                || (parsed.scheme() == "http" && self.allow_loopback_http && loopback);
            if !ok_scheme || parsed.path() != "/" || parsed.query().is_some() {
                return Err(E::invalid(name, format!("must be an https origin (http only on loopback with allow_loopback_http), without path or query: {url}")));
            }
        }
        Ok(all_loopback)
    }

    /// Tokens: some, each hash 64 hex digits, no name or hash twice, no published demo
    /// token in front of real AWS, scopes that parse (exact fields for ingest tokens).
    fn validate_tokens(&self, all_loopback: bool) -> Result<(), ConfigError> {
        use ConfigError as E;
        if self.tokens.is_empty() {
            return Err(E::invalid(
                "tokens",
                "none configured; every route but /healthz needs one",
            ));
        }
        for (i, t) in self.tokens.iter().enumerate() {
            let setting = || format!("token {} sha256", t.name);
            if t.sha256.len() != 64 || hex::decode(&t.sha256).is_err() {
                return Err(E::invalid(setting(), "must be 64 hex digits"));
            }
            let earlier = &self.tokens[..i];
            if earlier.iter().any(|e| e.name == t.name) {
                return Err(E::invalid(
                    format!("token {}", t.name),
                    "the name is used twice; names key the logs and rate limits",
                ));
            }
            if earlier
                .iter()
                .any(|e| e.sha256.eq_ignore_ascii_case(&t.sha256))
            {
                return Err(E::invalid(
                    setting(),
                    "the same hash is given to two tokens",
                ));
            }
            let published = PUBLISHED_DEMO_TOKEN_HASHES
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&t.sha256));
            if published && !all_loopback {
                return Err(E::invalid(
                    setting(),
                    "this is a published demo token, accepted only in front of the local fake (loopback endpoints); make one with benefind-proxy hash-token --generate",
                ));
            }
            if let Some(f) = &t.forced_filter {
                Scope::new(f, t.role)
                    .map_err(|e| E::invalid(format!("token {} forced_filter", t.name), e))?;
            }
        }
        Ok(())
    }

    /// Every limit in range.
    fn validate_limits(&self) -> Result<(), ConfigError> {
        use ConfigError as E;
        let l = &self.limits;
        if l.max_top_k == 0 || l.max_top_k > aws::MAX_TOP_K {
            return Err(E::invalid(
                "limits.max_top_k",
                format!("{}; it must be 1 to {}", l.max_top_k, aws::MAX_TOP_K),
            ));
        }
        if l.max_vectors == 0 || l.max_vectors > aws::MAX_PUT {
            return Err(E::invalid(
                "limits.max_vectors",
                format!("{}; it must be 1 to {}", l.max_vectors, aws::MAX_PUT),
            ));
        }
        for (setting, n) in [
            ("limits.requests_per_minute", l.requests_per_minute as usize),
            ("limits.burst", l.burst as usize),
            ("limits.embed_concurrency", l.embed_concurrency),
            ("limits.max_upstream_bytes", l.max_upstream_bytes),
            (
                "limits.header_read_timeout_ms",
                l.header_read_timeout_ms as usize,
            ),
            ("limits.body_timeout_ms", l.body_timeout_ms as usize),
            ("limits.request_timeout_ms", l.request_timeout_ms as usize),
            ("limits.max_connections", l.max_connections),
            ("limits.max_in_flight", l.max_in_flight),
            (
                "limits.client_requests_per_minute",
                l.client_requests_per_minute as usize,
            ),
            ("limits.client_burst", l.client_burst as usize),
            (
                "limits.embeddings_per_minute",
                l.embeddings_per_minute as usize,
            ),
            (
                "limits.max_embeddings_per_day",
                l.max_embeddings_per_day as usize,
            ),
        ] {
            if n == 0 {
                return Err(E::invalid(setting, "must be positive"));
            }
        }
        if (l.embeddings_burst as usize) < l.max_vectors.max(l.max_texts) {
            return Err(E::invalid(
                "limits.embeddings_burst",
                format!(
                    "{}; at least max_vectors and max_texts ({}), or a full request could never pass",
                    l.embeddings_burst,
                    l.max_vectors.max(l.max_texts)
                ),
            ));
        }
        if let Some(h) = &l.client_ip_header {
            axum::http::HeaderName::try_from(h.as_str())
                .map_err(|e| E::invalid("limits.client_ip_header", e))?;
        }
        if l.max_text_chars > 50_000 {
            return Err(E::invalid(
                "limits.max_text_chars",
                format!("{}; at most 50000 (Titan V2)", l.max_text_chars),
            ));
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
    pub async fn default_chain() -> Result<Self, ConfigError> {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        config
            .credentials_provider()
            .map(|p| Self::Provider(p, Arc::default()))
            .ok_or(ConfigError::NoCredentials)
    }

    pub(super) async fn get(&self) -> Result<Credentials, CredentialsError> {
        match self {
            Self::Static(c) => Ok(c.clone()),
            Self::Provider(p, cache) => {
                let fresh_until = SystemTime::now() + Duration::from_secs(300);
                if let Some(c) = cache.lock().ok().and_then(|c| c.clone()) {
                    if c.expiry().is_none_or(|e| e > fresh_until) {
                        return Ok(c);
                    }
                }
                let c = p.provide_credentials().await?;
                if let Ok(mut slot) = cache.lock() {
                    *slot = Some(c.clone());
                }
                Ok(c)
            }
        }
    }
}
