//! The accept loop: hyper's HTTP/1 server under explicit limits, where `axum::serve`
//! has none. A connection over `limits.max_connections` is closed at once; a client
//! that does not finish its headers (or sends no next request on a kept-alive
//! connection) within `limits.header_read_timeout_ms` is disconnected. Bodies and
//! whole requests have their own timeouts in the router (`StrictJson`,
//! `in_flight_and_deadline`). Each request carries its peer address (`ConnectInfo`) for
//! the per-address limits.

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;
use tower::Service;

use super::*;

/// Serves until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: ProxyConfig,
    credentials: CredentialSource,
) -> std::io::Result<()> {
    let limits = config.limits.clone();
    let state = Arc::new(AppState::new(config, credentials).map_err(std::io::Error::other)?);
    let app = app(state.clone());
    // Rate-limit state is kept per token and per client address: forget the addresses
    // that have been quiet for a while, so many addresses cannot grow memory without end.
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            state.forget_quiet_clients();
        }
    });
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let header_timeout = Duration::from_millis(limits.header_read_timeout_ms);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait for connections to close
                // rather than spin or exit.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tracing::warn!(
                cap = limits.max_connections,
                "connection refused at the cap"
            );
            drop(stream);
            continue;
        };
        let app = app.clone();
        tokio::spawn(async move {
            let _permit = permit; // released when the connection ends
            let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
                let mut request = request.map(axum::body::Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                app.clone().call(request)
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
}
