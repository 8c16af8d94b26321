//! What a client may cost: requests per client address, Titan calls per token and per
//! address (charged per text, not per request), a daily Titan ceiling for the whole
//! proxy, requests in flight, and each request's deadline.

use std::net::IpAddr;
use std::sync::Mutex;

use axum::extract::ConnectInfo;
use governor::clock::{Clock, DefaultClock};
use governor::NotUntil;
use tokio::sync::Semaphore;

use super::*;

/// The shared counters.
pub(super) struct Budget {
    /// Requests per client address.
    clients: DefaultKeyedRateLimiter<IpAddr>,
    /// Titan calls, keyed `token:NAME` and `client:ADDR`.
    embeddings: DefaultKeyedRateLimiter<String>,
    /// `(UTC day number, Titan calls that day)`.
    today: Mutex<(u64, u64)>,
    /// `(UTC day number, answers generated that day)`.
    answers_today: Mutex<(u64, u64)>,
    /// Permits for requests in flight.
    in_flight: Arc<Semaphore>,
}

impl Budget {
    pub(super) fn new(limits: &Limits) -> Result<Self, ConfigError> {
        let positive = |setting: &str, n: u32| {
            NonZeroU32::new(n).ok_or_else(|| ConfigError::invalid(setting, "must be positive"))
        };
        let clients = Quota::per_minute(positive(
            "limits.client_requests_per_minute",
            limits.client_requests_per_minute,
        )?)
        .allow_burst(positive("limits.client_burst", limits.client_burst)?);
        let embeddings = Quota::per_minute(positive(
            "limits.embeddings_per_minute",
            limits.embeddings_per_minute,
        )?)
        .allow_burst(positive(
            "limits.embeddings_burst",
            limits.embeddings_burst,
        )?);
        Ok(Self {
            clients: RateLimiter::keyed(clients),
            embeddings: RateLimiter::keyed(embeddings),
            today: Mutex::new((0, 0)),
            answers_today: Mutex::new((0, 0)),
            in_flight: Arc::new(Semaphore::new(limits.max_in_flight)),
        })
    }

    /// Drops the rate-limit state of keys whose allowance is full again (governor's
    /// `retain_recent`): they behave as new.
    pub(super) fn forget_quiet(&self) {
        self.clients.retain_recent();
        self.clients.shrink_to_fit();
        self.embeddings.retain_recent();
        self.embeddings.shrink_to_fit();
    }

    /// One more request from `client`.
    pub(super) fn admit_client(&self, client: IpAddr) -> Result<(), ProxyError> {
        self.clients
            .check_key(&client)
            .map_err(|n| limited(&n, "too many requests from this address; retry later"))
    }

    /// Charges one generated answer to the day's ceiling (`answer.max_answers_per_day`),
    /// before anything is paid for.
    pub(super) fn charge_answer(&self, ceiling: u64) -> Result<(), ProxyError> {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut today = self.answers_today.lock().unwrap_or_else(|e| e.into_inner());
        if today.0 != now / 86_400 {
            *today = (now / 86_400, 0);
        }
        if today.1 >= ceiling {
            tracing::warn!(ceiling, "daily answer budget spent");
            return Err(ProxyError {
                retry_after: Some(86_400 - now % 86_400),
                ..ProxyError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::RateLimited,
                    "the proxy's daily answer budget is spent; it renews at 00:00 UTC",
                )
            });
        }
        today.1 += 1;
        Ok(())
    }

    /// Charges `texts` Titan calls to the caller's token and address and to the day's
    /// budget, before they are made; nothing is charged when any of the three refuses.
    pub(super) fn charge(
        &self,
        s: &AppState,
        who: &Caller,
        texts: usize,
    ) -> Result<(), ProxyError> {
        let Some(n) = u32::try_from(texts).ok().and_then(NonZeroU32::new) else {
            return Ok(());
        };
        let token = format!("token:{}", who.name);
        let client = format!("client:{}", who.client);
        // `check_key_n` charges when it admits: a refusal by the address (or the day)
        // leaves the token charged, which errs towards spending less, never more.
        for key in [&token, &client] {
            self.embeddings
                .check_key_n(key, n)
                .map_err(|_| {
                    ProxyError::bad(format!(
                        "{texts} texts at once is over limits.embeddings_burst ({})",
                        s.config.limits.embeddings_burst
                    ))
                })?
                .map_err(|n| {
                    limited(
                        &n,
                        "too many embeddings for this token or address; retry later",
                    )
                })?;
        }
        let day = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut today = self.today.lock().unwrap_or_else(|e| e.into_inner());
        if today.0 != day / 86_400 {
            *today = (day / 86_400, 0);
        }
        let ceiling = s.config.limits.max_embeddings_per_day;
        if today.1 + texts as u64 > ceiling {
            tracing::warn!(ceiling, spent = today.1, "daily embedding budget spent");
            return Err(ProxyError {
                retry_after: Some(86_400 - day % 86_400),
                ..ProxyError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::RateLimited,
                    "the proxy's daily embedding budget is spent; it renews at 00:00 UTC",
                )
            });
        }
        today.1 += texts as u64;
        Ok(())
    }
}

/// 429 `RATE_LIMITED` with the wait in `Retry-After`.
pub(super) fn limited(
    not_until: &NotUntil<governor::clock::QuantaInstant>,
    message: &str,
) -> ProxyError {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    ProxyError {
        retry_after: Some(wait.as_secs().max(1)),
        ..ProxyError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            message,
        )
    }
}

/// The client's address: from `limits.client_ip_header` when configured (its last
/// entry, the one the balancer added), else the TCP peer; unspecified in-process.
pub(super) fn client_address(s: &AppState, request: &Request) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
    let Some(name) = &s.config.limits.client_ip_header else {
        return peer;
    };
    request
        .headers()
        .get_all(name.as_str())
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(peer)
}

/// Admits a request while fewer than `limits.max_in_flight` are running (503
/// `OVERLOADED` otherwise) and ends it at `limits.request_timeout_ms` (504
/// `REQUEST_TIMEOUT`): a 500-text upsert cannot hold the proxy for its ~125 Titan rounds
/// past the deadline. Dropping the handler drops its upstream calls.
pub(super) async fn in_flight_and_deadline(
    State(s): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    let Ok(_permit) = s.budget.in_flight.clone().try_acquire_owned() else {
        return ProxyError {
            retry_after: Some(1),
            ..ProxyError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Overloaded,
                "the proxy is at its limit of requests in flight; retry shortly",
            )
        }
        .into_response();
    };
    let deadline = Duration::from_millis(s.config.limits.request_timeout_ms);
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(ms = deadline.as_millis() as u64, "request deadline passed");
            ProxyError::new(
                StatusCode::GATEWAY_TIMEOUT,
                ErrorCode::RequestTimeout,
                format!("the request took longer than {} ms", deadline.as_millis()),
            )
            .into_response()
        }
    }
}
