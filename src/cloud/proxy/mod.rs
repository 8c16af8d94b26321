//! The signing proxy (native only): the one place that holds AWS credentials. Browsers
//! and the CLI call four fixed routes with a bearer token; the proxy checks the request
//! strictly, signs its own requests to one configured Bedrock model and one S3 Vectors
//! index, and answers in S3 Vectors' naming. It is not a forwarder: nothing a client
//! sends chooses the upstream host, path, region, index or credentials.
//!
//! Routes: `POST /v1/query` and `/v1/answer` (role `search`), `/v1/embed`, `/v1/upsert`,
//! `/v1/delete` (role `ingest`), `GET /healthz` (no token). Everything else is 404/405 JSON.
//!
//! Layers, outermost first: the accept loop (`serve.rs`: connection cap, header-read
//! timeout), CORS (exact origin list; a request from another origin is refused, not just
//! left without headers), then per route: requests in flight and the request deadline,
//! a per-address rate limit, bearer token (SHA-256 compared in constant time against
//! every configured hash), role, per-token rate limit (GCRA), body cap and body timeout,
//! strict JSON (`deny_unknown_fields`), limits (topK, filter depth and size, texts,
//! vectors, key length, S3 Vectors' metadata types and sizes), the token's scope
//! (`scope.rs`: AND-ed into every query; for writes, fields set by the proxy and a key
//! namespace), Titan calls charged per text (`budget.rs`), and the dimension contract.
//!
//! In code: [`router`] checks the configuration into an `AppState` (a typed
//! [`ConfigError`] names the setting at fault) and `app(state)` lays out the routes. The
//! `authorize` middleware admits a `Caller` (token name and forced filter), which the scoped
//! handlers take as an extractor, so none can run without it; request bodies arrive through
//! the `StrictJson` extractor; every refusal is a [`ProxyError`], which renders as
//! `{code, message}` with its status. The rules are tested in process (the router as a tower
//! service, `oneshot`, against a closed upstream port); signing and the upstream protocol are
//! tested end to end against the fake (`tests/proxy.rs`).
//!
//! Upstream calls are signed with SigV4, time out, and are retried with jittered
//! exponential backoff on 429/503 only when idempotent (all four upstream operations
//! are: InvokeModel is pure; PutVectors/DeleteVectors by key and QueryVectors give the
//! same result when repeated). Upstream errors are mapped to stable codes without
//! upstream internals; the details are logged server-side, secrets never.
//!
//! # The cloud path: configuration, deployment and threat model
//!
//!
//! When a plan's corpus or its users outgrow one browser, the same API searches a managed
//! index: Amazon Bedrock's Titan Text Embeddings V2 and an Amazon S3 Vectors index, reached by
//! `fetch` through **benefind-proxy** (`src/cloud/proxy/`, `src/bin/benefind-proxy.rs`), the only
//! component that holds AWS credentials.
//!
//! ```text
//! page / widget ──fetch, Bearer token──▶ benefind-proxy ──SigV4──▶ bedrock-runtime (InvokeModel, one model)
//!   (wasm CloudIndex in the worker)      fixed routes,      └──SigV4──▶ s3vectors (Query/Put/Get/DeleteVectors, one index)
//!                                         limits, CORS
//! ```
//!
//! **In the browser**: `Benefind.open({ cloud: { proxyUrl, token, expect?: { model, dims } },
//! model?: { baseUrl } })` gives the same `search(question, policy)`, `query({question |
//! vector, k, where})`, `ingest(docs)` and `delete(ids)` (keys), run by the wasm `CloudIndex`
//! (`src/cloud/mod.rs` over `fetch`) in the worker. `ingest` chunks with the same code as the
//! local engine (`chunk_docs`, MiniLM's tokenizer.json only — `model.baseUrl` is needed for
//! it) and upserts in batches of 100 with idempotent keys (`{doc id}_chunk_{i:04}`; a
//! re-sent document overwrites). `documents()` and `clear()` are local only (`NOT_SUPPORTED`).
//!
//! **Hybrid ranking in the cloud.** S3 Vectors searches only by vector, so the proxy asks it
//! for the best [`RERANK_CANDIDATES`] (100) under the member's filter, with their text, and
//! re-ranks them with [`hybrid_rerank`]: their words are indexed on the spot (BM25 with the
//! member vocabulary) and fused with the vector scores exactly as the local hybrid does;
//! a word typed with a slip is read as the candidates spell it ("physcial" → "physical"),
//! as the local engine reads it against the whole collection; and a service the question
//! names ("is acupuncture covered?") that none of the first three mentions is looked for
//! among the other candidates, as the local `ask` looks through the rest of the plan, so
//! that an exclusions list naming it is among the passages the answer reads. A question
//! is ranked so unless `mode: "vector"` asks for S3 Vectors' own order. Measured
//! (`bench.sh quality`, top-1 on held-out / dev / fresh questions, 2026-12-07): local
//! hybrid 0.897 / 0.881 / 0.786 (its vector also reads the member vocabulary's plan words,
//! `Engine::question_vector`; the proxy embeds the question as typed), this re-rank 0.868 /
//! 0.896 / 0.821. Answers read from it (`CloudClient::ask`, by the words alone)
//! are less often right than the local engine's, which also reads MiniLM's cosines:
//! answer accuracy held-out 0.765 against 0.809, dev 0.806 against 0.851 (`bench.sh
//! quality`'s answers, the cloud path simulated with the bundle's vectors). The
//! alternative, shipping each plan's keyword index and texts to the client to
//! fuse there, equals the local hybrid by construction but sends a plan's whole text to
//! every member and needs a second artifact kept in step with the index; the re-rank needs
//! nothing beyond S3 Vectors and its cost does not grow with the corpus (one topK-100 query
//! per question, 100 texts scored in the proxy).
//!
//! **The embedding contract.** Every proxy answer names its `model` and `dims`. The client
//! pins the first answer's (or `expect`'s) pair; a different model or size later, a vector of
//! another length (e.g. a 384-d MiniLM vector against a 1024-d index — refused before it is
//! sent), or opening a local `bundleUrl` together with `cloud` fails with
//! `DIMENSION_MISMATCH` / `MODEL_MISMATCH` naming both models and both sizes. The proxy checks
//! every `vector`/`data` length against its configured `dims` (400 `DIMENSION_MISMATCH`, both
//! numbers) and every Titan answer's length.
//!
//! **Proxy API** (S3 Vectors' naming; strict JSON: unknown fields are 400):
//!
//! | route | role | request | answer |
//! |---|---|---|---|
//! | `POST /v1/query` | search | `{"question": str}` or `{"vector": [f32]}`, `topK` (1–100, default 3), `filter`, `returnMetadata`, `returnDistance` | `{"vectors": [{"key", "distance", "metadata"}], "model", "dims"}` (chunk text in `metadata.chunk`) |
//! | `POST /v1/answer` | search | `{"question": str}` (≤ 2000 characters), `topK` (passages for the model, 1–`answer.max_passages`, default 5), `filter`; `Accept: text/event-stream` streams it | `{"answer", "grounded", "citations": [{"n", "key", "quote"}], "passages": [hits], "guardrail": {"action", "source"}, "usage": {"bedrockCalls", "inputTokens", "outputTokens", "firstTokenMs", "totalMs"}, "model"}` (see `answer.rs`) |
//! | `POST /v1/embed` | ingest | `{"texts": [str]}` (1–32) | `{"embeddings": [[f32]], "model", "dims"}` |
//! | `POST /v1/upsert` | ingest | `{"vectors": [{"key", "text" \| "data", "metadata"}]}` (1–500; text is embedded by the proxy and stored as `metadata.chunk`) | `{"upserted", "model", "dims"}` |
//! | `POST /v1/delete` | ingest | `{"keys": [str]}` (1–500) | `{"deleted"}` |
//! | `GET /healthz` | none | | `{"status": "ok"}` |
//!
//! Errors are `{"code", "message"}` with stable codes: `BAD_REQUEST`, `BAD_FILTER`,
//! `UNAUTHORIZED` (401, `WWW-Authenticate: Bearer`), `FORBIDDEN` (role, origin or scope),
//! `NOT_FOUND`, `METHOD_NOT_ALLOWED`, `PAYLOAD_TOO_LARGE` (413), `RATE_LIMITED` (429 +
//! `Retry-After`: the token's, the address's or the day's budget), `REQUEST_TIMEOUT` (408
//! slow body, 504 past the deadline), `OVERLOADED` (503 + `Retry-After`),
//! `DIMENSION_MISMATCH`, and for AWS failures `UPSTREAM_REJECTED` (AWS 400 →
//! 400), `UPSTREAM_THROTTLED` (429 + `Retry-After`), `UPSTREAM_UNAVAILABLE` (503),
//! `UPSTREAM_TIMEOUT` (504), `UPSTREAM_FORBIDDEN` (AWS refused the proxy's credentials → 502),
//! `UPSTREAM_ERROR` (502). Messages carry no upstream internals (AWS's text is logged, not
//! returned).
//!
//! **Configuration** (`benefind-proxy --config proxy.toml`, or `BENEFIND_PROXY_CONFIG`; nothing
//! else configures it, and no request can change any of it):
//!
//! ```toml
//! listen = "127.0.0.1:9000"                # put TLS in front (load balancer / reverse proxy)
//! region = "us-east-1"
//! # bedrock_endpoint = "https://bedrock-runtime.us-east-1.amazonaws.com"   # default from region
//! # s3vectors_endpoint = "https://s3vectors.us-east-1.api.aws"             # default from region
//! # allow_loopback_http = false            # http:// endpoints only on 127.0.0.1/localhost (the fake)
//! vector_bucket = "benefind"
//! index = "benefits"
//! model_id = "amazon.titan-embed-text-v2:0" # default
//! dims = 1024                              # 256 | 512 | 1024, the index's dimension
//! allowed_origins = ["https://intranet.example.com"]   # exact matches; others get 403
//!
//! [limits]                                 # defaults shown
//! max_body_bytes = 1048576
//! max_top_k = 100                          # ≤ 100 (S3 Vectors' own limit)
//! max_filter_depth = 6
//! max_filter_nodes = 64
//! max_texts = 32
//! max_text_chars = 50000                   # Titan V2's limit
//! max_vectors = 500                        # per upsert/delete (PutVectors' limit)
//! requests_per_minute = 600                # per token (GCRA), with
//! burst = 60
//! client_requests_per_minute = 120         # per client address, checked before the token, with
//! client_burst = 30
//! # client_ip_header = "X-Forwarded-For"   # only behind a balancer that sets it (last entry used)
//! embeddings_per_minute = 600              # Titan calls, charged per text to the token and the address
//! embeddings_burst = 500                   # ≥ max_vectors and max_texts
//! max_embeddings_per_day = 50000           # the whole proxy's Titan ceiling (UTC day)
//! upstream_timeout_ms = 10000
//! max_retries = 3                          # on 429/503 of idempotent calls, jittered exponential backoff
//! retry_base_ms = 100
//! embed_concurrency = 4                    # Titan calls in flight per request
//! max_upstream_bytes = 8388608             # largest AWS answer read
//! header_read_timeout_ms = 10000           # headers, and an idle connection's next request
//! body_timeout_ms = 10000
//! request_timeout_ms = 30000               # the whole request, retries included
//! max_connections = 200                    # keep under `ulimit -n`
//! max_in_flight = 64
//!
//! [answer]                                 # optional: POST /v1/answer (404 without it)
//! model_id = "amazon.nova-micro-v1:0"      # default; or an inference profile, "us.amazon.nova-micro-v1:0"
//! guardrail_id = "abcd1234efgh"            # required: checks every question, then the answer
//! guardrail_version = "1"                  # or "DRAFT" while testing
//! max_passages = 5                         # passages given to the model (a request's topK)
//! max_output_tokens = 400
//! temperature = 0.0
//! max_answers_per_day = 5000               # the whole proxy's generation ceiling (UTC day)
//! blocked_message = "Sorry, this answer can't be shown. Please call Member Services."
//!
//! [[tokens]]
//! name = "intranet-portal"                 # logged and rate-limited by name, never by value; unique
//! sha256 = "…"                             # benefind-proxy hash-token --generate prints a token and this
//! role = "search"                          # search: /v1/query; ingest: also /v1/embed, upsert, delete
//! forced_filter = { tenant = "acme" }      # optional scope; an ingest token's must be exact fields
//! ```
//!
//! The proxy refuses the published demo token's hash unless both endpoints are loopback
//! (the fake), and a token name or hash given twice.
//!
//! AWS credentials come from the standard chain (`aws-config`: environment, shared profile,
//! web identity, ECS container role, EC2 instance role), are cached until five minutes before
//! they expire, and are never logged or echoed. Logs are JSON lines on stderr (`BENEFIND_LOG`
//! sets the level): method, route name, token *name*, status, milliseconds; upstream errors
//! with AWS's error type and message. Never: token values, `Authorization`, signatures, keys,
//! request bodies, or unknown request paths.
//!
//! **Threat model.** Assets: the AWS credentials (can spend money and read/write the index),
//! the index's contents (plan documents), availability, the budget. Adversaries: anyone who
//! can reach the proxy (internet or intranet), a malicious page in a member's browser, a
//! leaked or public client token (a page's search token ships in its config: treat it as
//! public), a tenant's loader that targets another tenant. Each attack and its defence, with
//! the test that shows it (`tests/proxy.rs` unless named):
//!
//! | attack | defence | test |
//! |---|---|---|
//! | Redirect the upstream (Host, absolute URI, `X-Forwarded-*`, `X-Amz-*`, `..`/`%2e`/`//` paths, bucket/index/model fields) | four fixed routes; the upstream request is built from scratch from the config and signed by the proxy; no redirects followed | `clients_cannot_redirect_the_upstream` |
//! | Guess or replay a token | SHA-256 hashes compared in constant time against every token; unknown → 401 | `auth_roles_cors_and_routes` |
//! | Use a search token to write | roles: `search` may only query | `auth_roles_cors_and_routes` |
//! | Overwrite or delete another tenant's vectors by key (keys are predictable) | an ingest token's scope is exact fields; its keys are stored under a namespace of its own (`scope.rs`), so scopes never share a key; deletes also look vectors up first | `scoped_writes_cannot_reach_another_tenant` |
//! | Write a list-valued scope field (`tenant: ["acme", "globex"]`, which `$eq` matches for both) | the proxy sets the scope's fields itself as scalars; a differing client value, lists included, is 403 | `scoped_writes_cannot_reach_another_tenant` |
//! | Read another tenant's vectors | the scope is AND-ed into every query | `forced_filters_scope_tokens` |
//! | Call from a hostile page with a member's network position | exact origin list; another `Origin` is refused, not merely left without CORS headers | `auth_roles_cors_and_routes` |
//! | Use the published demo tokens against real AWS | their hashes are refused unless both endpoints are loopback; no ingest token is published | `config_refuses_demo_tokens_against_aws_and_duplicate_tokens`, `tokens_are_generated_added_and_demo_tokens_stay_local` |
//! | Hold connections open (idle sockets, half-sent headers, slow bodies) | header-read timeout (also for idle keep-alive), body timeout (408), connection cap, accept errors back off | `slow_and_idle_clients_are_cut_off_while_others_are_served` |
//! | Tie the proxy up with slow work | requests in flight capped (503 `OVERLOADED`); every request ends at its deadline (504) | `requests_have_a_deadline_and_a_concurrency_cap` |
//! | Run up the bill with the public search token | per-address request limit before the token; Titan calls charged per text to token and address; the search role has no `/v1/embed` (one Titan call per request at most); a daily ceiling for the whole proxy | `cost_is_capped_per_address_per_token_and_per_day`; `bench.sh proxy` measures the calls per minute one address gets |
//! | Huge or deep input (bodies, filters, texts, metadata, nesting) | body cap (413), topK/filter/text/vector caps, S3 Vectors' metadata types and limits, all checked before any AWS call | `strict_input_and_every_limit_stop_before_aws`, `the_fake_enforces_s3_vectors_metadata_limits_and_the_proxy_checks_them_first` |
//! | A huge or slow AWS answer | upstream timeout, bounded jittered retries, answers read under `max_upstream_bytes` | `upstream_throttling_outage_and_timeouts_are_bounded`, `upstream_answers_are_read_under_a_cap` |
//! | Secrets in logs or caches | logs carry token names, never values, `Authorization`, signatures or bodies; the service worker never caches `cloud/` or no-store requests | `load_50_clients_no_errors_no_lost_upserts_and_no_secrets_in_logs`, `tests/browser/loader.test.mjs` |
//!
//! **The cost ceiling.** Every Titan call embeds one text of at most `max_text_chars`
//! characters, so the proxy's Bedrock spend per UTC day is at most `max_embeddings_per_day`
//! calls of `max_text_chars` characters each: with the defaults 50,000 × 50,000 characters,
//! about 625 M tokens at Titan V2's ~4 characters per token. Real questions are ~15 tokens, so
//! a day of questions costs far less; set `max_embeddings_per_day` from your price per 1,000
//! tokens and your budget (check current Bedrock pricing). One address is held to
//! `client_requests_per_minute` requests and `embeddings_per_minute` Titan calls a minute.
//!
//! *Out of scope*: TLS termination (run it behind a TLS proxy or load balancer, and set
//! `client_ip_header` there), token issuance/rotation (edit the config and restart),
//! per-member authorisation (the scope is per token), distributed attacks from many
//! addresses (the daily ceiling bounds their cost; a WAF or the balancer's limits bound
//! their rate).
//!
//! **The AWS side as code**: `pkg-scripts/aws/benefind.yaml` (CloudFormation, checked by
//! `cfn-lint` in `pkg-scripts/test.sh`) creates the vector bucket, the index (1024
//! dimensions, cosine, `chunk` non-filterable), the guardrail (a denied topic; Social
//! Security and member-ID numbers blocked on input and masked on output) and version, and
//! the proxy's role. Deploy it with
//! `aws cloudformation deploy --template-file pkg-scripts/aws/benefind.yaml --stack-name
//! benefind --capabilities CAPABILITY_IAM` and copy its outputs into the proxy's config
//! (`answer.guardrail_id`, `answer.guardrail_version`). The role's policy is the least
//! the proxy needs (`tests/aws_template_scope.py` fails on anything wider):
//!
//! ```json
//! {
//!   "Version": "2012-10-17",
//!   "Statement": [
//!     { "Effect": "Allow",
//!       "Action": ["s3vectors:QueryVectors", "s3vectors:PutVectors", "s3vectors:DeleteVectors", "s3vectors:GetVectors"],
//!       "Resource": "arn:aws:s3vectors:us-east-1:123456789012:bucket/benefind/index/benefits" },
//!     { "Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
//!       "Resource": ["arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0",
//!                    "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0"] },
//!     { "Effect": "Allow", "Action": "bedrock:ApplyGuardrail",
//!       "Resource": "arn:aws:bedrock:us-east-1:123456789012:guardrail/abcd1234efgh" }
//!   ]
//! }
//! ```
//!
//! (A proxy that only serves `search` tokens needs only `InvokeModel`, `QueryVectors` and, for answers, `InvokeModelWithResponseStream` and `ApplyGuardrail`;
//! `GetVectors` is used to check scoped deletes.) Create the index once, outside the proxy,
//! with `chunk` (where the proxy stores each passage's text) declared non-filterable: S3
//! Vectors allows only 2 KB of filterable metadata per vector (40 KB in all, 50 keys), and
//! the proxy refuses an upsert over those limits before it calls Bedrock:
//!
//! ```sh
//! aws s3vectors create-index --vector-bucket-name benefind --index-name benefits \
//!   --data-type float32 --dimension 1024 --distance-metric cosine \
//!   --metadata-configuration '{"nonFilterableMetadataKeys": ["chunk"]}'
//! ```
//!
//! **The local fake** (`src/cloud/fake.rs`, `benefind-fake-aws`; tests and the demo only) speaks
//! S3 Vectors' REST-JSON API — `POST /CreateIndex`, `/PutVectors`, `/QueryVectors`,
//! `/GetVectors`, `/DeleteVectors`, `/ListVectors` with the request/response shapes of
//! botocore's `s3vectors/2025-07-15` model, its limits and its error shape
//! (`x-amzn-ErrorType` + `{"__type", "message"}`) — with exact cosine search and the full
//! filter grammar, and Bedrock's `POST /model/{modelId}/invoke` for Titan V2
//! (`{inputText, dimensions: 256|512|1024, normalize}` → `{embedding, inputTextTokenCount}`).
//! Its embeddings keep meaning: the MiniLM vector mapped into the requested size by a fixed
//! orthogonal map (cosines are exact at 512 and 1024), so cloud answers can be checked against
//! local exact search. It verifies every SigV4 signature (fixed test credentials
//! `AKIDBENEFINDFAKE`, services `bedrock` and `s3vectors`, 5-minute clock skew) by re-signing
//! with AWS's `aws-sigv4` and comparing in constant time; unsigned or wrongly signed requests
//! get 403; AWS's published SigV4 test vectors check both sides (`tests/sigv4.rs`). It enforces
//! S3 Vectors' metadata limits, with non-filterable keys from `CreateIndex` or
//! `--index BUCKET/INDEX/DIMS/chunk`, and its filters are checked against AWS's documented cases
//! (`tests/s3vectors_filter.rs`). Unsigned `/_fake/faults` (inject 429/503/500 or delays) and `/_fake/stats` serve the
//! tests.
//!
//! **CLI**: `benefind cloud upload --bundle FILE [--proxy URL] [--batch-size 100]` re-embeds a
//! bundle's chunks with the index's model through the proxy (token in `$BENEFIND_TOKEN`, never
//! on the command line), with a progress bar; progress is saved after each batch in
//! `FILE.upload-state.json`, so a re-run after a failure skips the batches already done and a
//! replayed batch overwrites (nothing lost, nothing duplicated). `benefind cloud search
//! [--policy P] [-k 3] QUESTION` prints `{"results": [...]}` like `search`.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use axum::body::{to_bytes, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
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
use crate::engine::{hybrid_rerank, RERANK_CANDIDATES};
use crate::{ErrorCode, Filter, SearchMode};

mod answer;
mod auth;
mod budget;
mod config;
mod error;
mod handlers;
mod scope;
mod serve;
mod upstream;

use auth::*;
use budget::*;
pub use config::*;
pub use error::ProxyError;
use handlers::*;
use scope::Scope;
pub use serve::serve;
use upstream::*;

/// A configured token, hashed.
struct Token {
    name: String,
    hash: [u8; 32],
    role: Role,
    forced: Option<Scope>,
}

struct AppState {
    config: ProxyConfig,
    tokens: Vec<Token>,
    upstream: Upstream,
    limiter: DefaultKeyedRateLimiter<String>,
    budget: Budget,
    origins: Vec<HeaderValue>,
}

type Shared = Arc<AppState>;

/// Who is calling (set by the auth layer for the handlers).
#[derive(Clone)]
struct Caller {
    name: String,
    forced: Option<Scope>,
    /// The client's address (see `limits.client_ip_header`).
    client: std::net::IpAddr,
}

impl AppState {
    /// Checks `config` and prepares what the handlers share: token hashes and forced
    /// filters, the origin list, the rate limiter and the upstream client.
    fn new(config: ProxyConfig, credentials: CredentialSource) -> Result<Self, ConfigError> {
        config.validate()?;
        let tokens = config
            .tokens
            .iter()
            .map(|t| {
                let setting = || format!("token {}", t.name);
                let mut hash = [0u8; 32];
                hex::decode_to_slice(&t.sha256, &mut hash)
                    .map_err(|e| ConfigError::invalid(format!("{} sha256", setting()), e))?;
                let forced = t
                    .forced_filter
                    .as_ref()
                    .map(|v| Scope::new(v, t.role))
                    .transpose()
                    .map_err(|e| ConfigError::invalid(format!("{} forced_filter", setting()), e))?;
                Ok(Token {
                    name: t.name.clone(),
                    hash,
                    role: t.role,
                    forced,
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        let origins = config
            .allowed_origins
            .iter()
            .map(|o| {
                HeaderValue::from_str(o)
                    .map_err(|e| ConfigError::invalid(format!("allowed_origins {o}"), e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let positive = |setting: &str, n: u32| {
            NonZeroU32::new(n).ok_or_else(|| ConfigError::invalid(setting, "must be positive"))
        };
        let quota = Quota::per_minute(positive(
            "limits.requests_per_minute",
            config.limits.requests_per_minute,
        )?)
        .allow_burst(positive("limits.burst", config.limits.burst)?);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ConfigError::Client)?;
        let upstream = Upstream {
            http,
            credentials,
            region: config.region.clone(),
            bedrock: config.bedrock_endpoint(),
            s3vectors: config.s3vectors_endpoint(),
            limits: config.limits.clone(),
        };
        Ok(Self {
            limiter: RateLimiter::keyed(quota),
            budget: Budget::new(&config.limits)?,
            tokens,
            upstream,
            origins,
            config,
        })
    }

    /// See [`Budget::forget_quiet`].
    fn forget_quiet_clients(&self) {
        self.budget.forget_quiet();
        self.limiter.retain_recent();
    }
}

impl Caller {
    /// A client's key as stored upstream: in the scope's namespace, if it has one.
    fn stored_key(&self, key: String) -> String {
        match &self.forced {
            Some(scope) => scope.stored_key(&key),
            None => key,
        }
    }

    /// A stored key as the client knows it.
    fn client_key(&self, key: String) -> String {
        match &self.forced {
            Some(scope) => scope.client_key(key),
            None => key,
        }
    }
}

/// Builds the proxy's router from a configuration and the credentials it signs with.
pub fn router(config: ProxyConfig, credentials: CredentialSource) -> Result<Router, ConfigError> {
    Ok(app(Arc::new(AppState::new(config, credentials)?)))
}

/// The routes and their layers over a prepared state.
fn app(state: Shared) -> Router {
    let guard = middleware::from_fn_with_state(state.clone(), in_flight_and_deadline);
    let search = Router::new()
        .route("/v1/query", post(query))
        .route("/v1/answer", post(answer::answer))
        .route_layer(middleware::from_fn_with_state(
            (state.clone(), Role::Search),
            authorize,
        ))
        .route_layer(guard.clone());
    // /v1/embed is the ingest role's: a page's (public) search token costs one Titan call
    // per request at most.
    let ingest = Router::new()
        .route("/v1/embed", post(embed))
        .route("/v1/upsert", post(upsert))
        .route("/v1/delete", post(delete))
        .route_layer(middleware::from_fn_with_state(
            (state.clone(), Role::Ingest),
            authorize,
        ))
        .route_layer(guard);
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.origins.clone()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        // A page must be able to read how long to wait after a 429.
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    Router::new()
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
        .with_state(state)
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn not_found() -> ProxyError {
    ProxyError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no such route; see /v1/query, /v1/answer, /v1/embed, /v1/upsert, /v1/delete",
    )
}

async fn method_not_allowed() -> ProxyError {
    ProxyError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "use POST (GET for /healthz)",
    )
}

/// The auth, role, limit and shape rules, in process: the router is called as a tower
/// service (`oneshot`), without a socket. Its upstream is a closed loopback port, so a
/// request that got past every rule ends in an upstream error, never in a 200.
#[cfg(test)]
mod in_process {
    use super::*;
    use axum::body::Body;
    use axum::http::HeaderMap;
    use tower::ServiceExt;

    const READ: &str = "read-token";
    const WRITE: &str = "write-token";
    const PORTAL: &str = "https://portal.example";

    /// The state of a proxy with a reader and a writer token, `limits` in its [limits].
    fn state_with(limits: &str) -> Shared {
        let toml = format!(
            "region = \"us-east-1\"\nvector_bucket = \"b\"\nindex = \"i\"\n\
             allow_loopback_http = true\nbedrock_endpoint = \"http://127.0.0.1:9\"\n\
             s3vectors_endpoint = \"http://127.0.0.1:9\"\nallowed_origins = [\"{PORTAL}\"]\n\
             [limits]\n{limits}\n\
             [[tokens]]\nname = \"reader\"\nsha256 = \"{}\"\nrole = \"search\"\n\
             [[tokens]]\nname = \"writer\"\nsha256 = \"{}\"\nrole = \"ingest\"\n",
            hash_token(READ),
            hash_token(WRITE)
        );
        let config = ProxyConfig::from_toml(&toml).expect("test config");
        let credentials =
            CredentialSource::Static(Credentials::new("AKIDTEST", "secret", None, None, "test"));
        Arc::new(AppState::new(config, credentials).expect("state"))
    }

    fn app_with(limits: &str) -> Router {
        app(state_with(limits))
    }

    struct Sent<'a> {
        method: Method,
        path: &'a str,
        token: Option<&'a str>,
        content_type: Option<&'a str>,
        origin: Option<&'a str>,
        /// The Authorization scheme sent with `token`.
        scheme: &'a str,
        /// An `X-Forwarded-For` header.
        forwarded: Option<&'a str>,
        body: String,
    }

    fn post(path: &'static str, token: Option<&'static str>, body: Value) -> Sent<'static> {
        Sent {
            method: Method::POST,
            path,
            token,
            content_type: Some("application/json"),
            origin: None,
            scheme: "Bearer",
            forwarded: None,
            body: body.to_string(),
        }
    }

    /// Sends one request; returns the status, the headers and the JSON body.
    async fn send(app: &Router, sent: Sent<'_>) -> (StatusCode, HeaderMap, Value) {
        let mut request = Request::builder().method(sent.method).uri(sent.path);
        if let Some(t) = sent.token {
            request = request.header(header::AUTHORIZATION, format!("{} {t}", sent.scheme));
        }
        if let Some(c) = sent.content_type {
            request = request.header(header::CONTENT_TYPE, c);
        }
        if let Some(o) = sent.origin {
            request = request.header(header::ORIGIN, o);
        }
        if let Some(f) = sent.forwarded {
            request = request.header("x-forwarded-for", f);
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::from(sent.body)).expect("request"))
            .await
            .expect("infallible");
        let (parts, body) = response.into_parts();
        let bytes = to_bytes(body, 1 << 20).await.expect("body");
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (parts.status, parts.headers, json)
    }

    fn code(body: &Value) -> &str {
        body["code"].as_str().unwrap_or("")
    }

    #[tokio::test]
    async fn tokens_and_roles() {
        let app = app_with("");
        let query = || json!({"question": "is a checkup free?", "topK": 3});
        let (status, headers, body) = send(&app, post("/v1/query", None, query())).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
        );
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
        let (status, _, body) = send(&app, post("/v1/query", Some("guess"), query())).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
        );
        let upsert = json!({"vectors": [{"key": "k", "text": "t", "metadata": {}}]});
        let (status, _, body) = send(&app, post("/v1/upsert", Some(READ), upsert)).await;
        assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "FORBIDDEN"));
        assert!(body["message"].as_str().unwrap().contains("only search"));
        // The ingest token may search; past every rule, the closed upstream answers. The
        // scheme is case-insensitive (review finding 6); another scheme is no token.
        for scheme in ["Bearer", "bearer", "BEARER"] {
            let sent = Sent {
                scheme,
                ..post("/v1/query", Some(WRITE), query())
            };
            let (status, _, body) = send(&app, sent).await;
            assert!(
                status.is_server_error() && code(&body).starts_with("UPSTREAM"),
                "{scheme}: {status} {body}"
            );
        }
        let sent = Sent {
            scheme: "Basic",
            ..post("/v1/query", Some(WRITE), query())
        };
        assert_eq!(send(&app, sent).await.0, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn bodies_are_strict_json_under_the_cap() {
        let app = app_with("max_body_bytes = 200\nmax_top_k = 10\nmax_filter_depth = 2");
        let mut text = post("/v1/query", Some(READ), json!({"question": "q"}));
        text.content_type = Some("text/plain");
        let (status, _, body) = send(&app, text).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "BAD_REQUEST")
        );
        let long = json!({"question": "x".repeat(300)});
        let (status, _, body) = send(&app, post("/v1/query", Some(READ), long)).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE")
        );
        let unknown = json!({"question": "q", "policy": "PPO"});
        let (status, _, body) = send(&app, post("/v1/query", Some(READ), unknown)).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "BAD_REQUEST")
        );
        assert!(
            body["message"].as_str().unwrap().contains("policy"),
            "{body}"
        );
        let mut broken = post("/v1/query", Some(READ), json!({}));
        broken.body = "{\"question\": ".into();
        let (status, _, body) = send(&app, broken).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "BAD_REQUEST")
        );
        for top_k in [0, 11] {
            let q = json!({"question": "q", "topK": top_k});
            let (status, _, body) = send(&app, post("/v1/query", Some(READ), q)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert!(body["message"].as_str().unwrap().contains("topK"), "{body}");
        }
        let deep = json!({"question": "q", "filter": {"$and": [{"$or": [{"$and": [{"$or": [{"$and": [{"a": 1}]}]}]}]}]}});
        let (status, _, _) = send(&app, post("/v1/query", Some(READ), deep)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let dims = json!({"vector": [0.5, 0.5], "topK": 1});
        let (status, _, body) = send(&app, post("/v1/query", Some(READ), dims)).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "DIMENSION_MISMATCH")
        );
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains('2') && message.contains("1024"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn each_token_has_its_own_rate_limit() {
        let app = app_with("requests_per_minute = 1\nburst = 2");
        let q = || json!({"question": "q", "topK": 0});
        for _ in 0..2 {
            let (status, _, _) = send(&app, post("/v1/query", Some(READ), q())).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "under the limit, the body is judged"
            );
        }
        let from_portal = Sent {
            origin: Some(PORTAL),
            ..post("/v1/query", Some(READ), q())
        };
        let (status, headers, body) = send(&app, from_portal).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED")
        );
        // The page may read Retry-After (review finding 6).
        assert_eq!(
            headers[header::ACCESS_CONTROL_EXPOSE_HEADERS]
                .to_str()
                .unwrap()
                .to_ascii_lowercase(),
            "retry-after"
        );
        let wait: u64 = headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        let (status, _, _) = send(&app, post("/v1/query", Some(WRITE), q())).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "another token is not limited"
        );
    }

    /// Behind a balancer, the address is the last `X-Forwarded-For` entry (the one the
    /// balancer added; earlier ones are the client's to choose).
    #[tokio::test]
    async fn client_addresses_come_from_the_configured_header() {
        let app = app_with(
            "client_requests_per_minute = 1\nclient_burst = 1\nclient_ip_header = \"X-Forwarded-For\"",
        );
        let q = || json!({"question": "q", "topK": 0});
        let from = |forwarded| Sent {
            forwarded: Some(forwarded),
            ..post("/v1/query", Some(READ), q())
        };
        let status = |r: (StatusCode, HeaderMap, Value)| (r.0, code(&r.2).to_string());
        let judged = (StatusCode::BAD_REQUEST, "BAD_REQUEST".to_string());
        let limited = (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED".to_string());
        assert_eq!(status(send(&app, from("203.0.113.7")).await), judged);
        assert_eq!(
            status(send(&app, from("198.51.100.1, 203.0.113.8")).await),
            judged
        );
        // A spoofed first entry does not make a new client.
        assert_eq!(
            status(send(&app, from("192.0.2.99, 203.0.113.7")).await),
            limited
        );
    }

    #[tokio::test]
    async fn origins_routes_and_methods() {
        let app = app_with("");
        let mut foreign = post("/v1/query", Some(READ), json!({"question": "q"}));
        foreign.origin = Some("https://evil.example");
        let (status, _, body) = send(&app, foreign).await;
        assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "FORBIDDEN"));
        let mut portal = post("/v1/query", Some(READ), json!({"question": "q", "topK": 0}));
        portal.origin = Some(PORTAL);
        let (status, headers, _) = send(&app, portal).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], PORTAL);
        let (status, _, body) = send(&app, post("/v1/forward", Some(READ), json!({}))).await;
        assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, "NOT_FOUND"));
        let mut get = post("/v1/query", Some(READ), json!({}));
        get.method = Method::GET;
        let (status, _, body) = send(&app, get).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED")
        );
        let mut health = post("/healthz", None, json!({}));
        health.method = Method::GET;
        let (status, _, body) = send(&app, health).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (StatusCode::OK, Some("ok"))
        );
    }

    /// A handler that needs the caller cannot run unscoped: routed without `authorize`
    /// (a wiring mistake), it refuses instead of querying without the token's filter.
    #[tokio::test]
    async fn a_scoped_handler_without_authorize_refuses() {
        let unguarded = Router::new()
            .route("/v1/query", axum::routing::post(query))
            .with_state(state_with(""));
        let (status, _, body) = send(
            &unguarded,
            post("/v1/query", None, json!({"question": "q"})),
        )
        .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL")
        );
    }

    #[test]
    fn config_errors_name_the_setting() {
        let err = |limits: &str| {
            let toml = format!(
                "region = \"us-east-1\"\nvector_bucket = \"b\"\nindex = \"i\"\n[limits]\n{limits}\n\
                 [[tokens]]\nname = \"t\"\nsha256 = \"{}\"\nrole = \"search\"\n",
                hash_token(READ)
            );
            ProxyConfig::from_toml(&toml).expect_err(limits)
        };
        match err("max_top_k = 0") {
            ConfigError::Invalid { setting, problem } => {
                assert_eq!(setting, "limits.max_top_k");
                assert!(problem.contains("1 to 100"), "{problem}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(err("burst = 0"), ConfigError::Invalid { setting, .. } if setting == "limits.burst")
        );
        assert!(matches!(err("surprise = 1"), ConfigError::Parse(_)));
    }

    /// Review finding 3: the published demo token only in front of the fake, no token
    /// name or hash twice, and an ingest token's scope only as exact fields.
    #[test]
    fn config_refuses_demo_tokens_against_aws_and_duplicate_tokens() {
        let config = |endpoints: &str, tokens: &str| {
            ProxyConfig::from_toml(&format!(
                "region = \"us-east-1\"\nvector_bucket = \"b\"\nindex = \"i\"\n{endpoints}\n{tokens}"
            ))
        };
        let token = |name: &str, sha: &str, role: &str| {
            format!("[[tokens]]\nname = \"{name}\"\nsha256 = \"{sha}\"\nrole = \"{role}\"\n")
        };
        let loopback = "allow_loopback_http = true\nbedrock_endpoint = \"http://127.0.0.1:9\"\n\
                        s3vectors_endpoint = \"http://127.0.0.1:9\"";
        let half = "allow_loopback_http = true\nbedrock_endpoint = \"http://127.0.0.1:9\"";
        let demo = hash_token("benefind-demo-search-token");
        assert_eq!(demo, PUBLISHED_DEMO_TOKEN_HASHES[0]);
        let old_ingest = hash_token("benefind-demo-ingest-token");
        assert_eq!(old_ingest, PUBLISHED_DEMO_TOKEN_HASHES[1]);
        config(loopback, &token("demo", &demo, "search")).expect("demo token on loopback");
        for endpoints in ["", half] {
            for sha in [&demo, &old_ingest, &demo.to_uppercase()] {
                let e = config(endpoints, &token("demo", sha, "ingest")).expect_err("real AWS");
                assert!(e.to_string().contains("published demo token"), "{e}");
            }
        }
        let e = config(
            loopback,
            &(token("a", &hash_token(READ), "search") + &token("a", &hash_token(WRITE), "ingest")),
        )
        .expect_err("a name twice");
        assert!(e.to_string().contains("token a:"), "{e}");
        let e = config(
            loopback,
            &(token("a", &hash_token(READ), "search") + &token("b", &hash_token(READ), "ingest")),
        )
        .expect_err("a hash twice");
        assert!(e.to_string().contains("token b sha256"), "{e}");
        let scoped = token("w", &hash_token(WRITE), "ingest")
            + "forced_filter = { policy = { \"$in\" = [\"A\", \"B\"] } }\n";
        let e = config(loopback, &scoped).expect_err("a writer's scope must be exact");
        assert!(e.to_string().contains("token w forced_filter"), "{e}");
    }
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
