//! Errors answered to clients: a status, a stable [`ErrorCode`] and a message without
//! upstream internals.

use super::*;

/// An error answered to a client: status, stable code, message without internals.
#[derive(Debug)]
pub struct ProxyError {
    pub(super) status: StatusCode,
    pub(super) code: ErrorCode,
    pub(super) message: String,
    pub(super) retry_after: Option<u64>,
}

impl ProxyError {
    pub(super) fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    pub(super) fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(ApiError {
                code: self.code.as_str().into(),
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
