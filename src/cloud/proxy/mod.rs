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

use crate::cloud::aws::{self, AwsError, VectorData};
use crate::cloud::{
    ApiError, CloudHit, DeleteRequest, DeleteResponse, EmbedRequest, EmbedResponse, QueryRequest,
    QueryResponse, UpsertRequest, UpsertResponse, TEXT_KEY,
};
use crate::{ErrorCode, Filter};

mod auth;
mod config;
mod error;
mod handlers;
mod upstream;

use auth::*;
pub use config::*;
pub use error::ProxyError;
use handlers::*;
use upstream::*;

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
        ErrorCode::NotFound,
        "no such route; see /v1/query, /v1/embed, /v1/upsert, /v1/delete",
    )
}

async fn method_not_allowed() -> ProxyError {
    ProxyError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "use POST (GET for /healthz)",
    )
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
