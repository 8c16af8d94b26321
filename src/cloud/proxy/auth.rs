//! The layers in front of the handlers: origin check and request log, bearer token,
//! role and rate limit, and strict JSON bodies.

use super::*;

/// Refuses requests from origins not on the list (browsers send `Origin`; CORS headers
/// alone would still let the request reach the upstream), and logs every request.
pub(super) async fn log_and_check_origin(
    State(s): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let origin = request.headers().get(header::ORIGIN).cloned();
    let response = match &origin {
        Some(o) if !s.origins.contains(o) => ProxyError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
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
pub(super) struct CallerName(String);

/// Bearer token → caller; role and rate limit.
pub(super) async fn authorize(
    State((s, needed)): State<(Shared, Role)>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = client_address(&s, &request);
    if let Err(e) = s.budget.admit_client(client) {
        return e.into_response();
    }
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim_start().split_once(' '))
        // The scheme is case-insensitive (RFC 9110 §11.1).
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let Some(presented) = presented.filter(|t| !t.is_empty()) else {
        return ProxyError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
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
            ErrorCode::Unauthorized,
            "unknown bearer token",
        )
        .into_response();
    };
    if needed == Role::Ingest && token.role != Role::Ingest {
        let mut r = ProxyError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "this token may only search",
        )
        .into_response();
        r.extensions_mut().insert(CallerName(token.name.clone()));
        return r;
    }
    if let Err(not_until) = s.limiter.check_key(&token.name) {
        let mut r =
            limited(&not_until, "too many requests for this token; retry later").into_response();
        r.extensions_mut().insert(CallerName(token.name.clone()));
        return r;
    }
    request.extensions_mut().insert(Caller {
        name: token.name.clone(),
        forced: token.forced.clone(),
        client,
    });
    let mut response = next.run(request).await;
    response
        .extensions_mut()
        .insert(CallerName(token.name.clone()));
    response
}

/// A JSON request body, read under the body cap and parsed strictly (the request types
/// deny unknown fields): 415 without `Content-Type: application/json`, 413 over the cap,
/// 400 naming what is wrong.
pub(super) struct StrictJson<T>(pub(super) T);

impl<T: DeserializeOwned> FromRequest<Shared> for StrictJson<T> {
    type Rejection = ProxyError;

    async fn from_request(request: Request, s: &Shared) -> Result<Self, ProxyError> {
        let json_type = request
            .headers()
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
                ErrorCode::BadRequest,
                "send Content-Type: application/json",
            ));
        }
        let limit = s.config.limits.max_body_bytes;
        let timeout = s.config.limits.body_timeout_ms;
        let read = to_bytes(request.into_body(), limit);
        let bytes = tokio::time::timeout(Duration::from_millis(timeout), read)
            .await
            .map_err(|_| {
                ProxyError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    ErrorCode::RequestTimeout,
                    format!("the body did not arrive within {timeout} ms"),
                )
            })?
            .map_err(|_| {
                ProxyError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorCode::PayloadTooLarge,
                    format!("the body is over {limit} bytes"),
                )
            })?;
        serde_json::from_slice(&bytes)
            .map(StrictJson)
            .map_err(|e| ProxyError::bad(format!("invalid request: {e}")))
    }
}

/// The caller [`authorize`] admitted: token name and forced filter. A handler that
/// takes it can only be reached through `authorize`; were it ever routed without, the
/// request fails with 500 `INTERNAL` instead of running unscoped.
impl FromRequestParts<Shared> for Caller {
    type Rejection = ProxyError;

    async fn from_request_parts(parts: &mut Parts, _: &Shared) -> Result<Self, ProxyError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            tracing::error!("a route that needs a caller was reached without authorize");
            ProxyError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal error",
            )
        })
    }
}
