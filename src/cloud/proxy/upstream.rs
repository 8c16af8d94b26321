//! Calls to AWS: built from scratch, signed with SigV4, timed out, retried with
//! jittered backoff when idempotent, and mapped to stable codes.

use super::*;
use crate::cloud::aws::converse;

pub(super) struct Upstream {
    pub(super) http: reqwest::Client,
    pub(super) credentials: CredentialSource,
    pub(super) region: String,
    pub(super) bedrock: String,
    pub(super) s3vectors: String,
    pub(super) limits: Limits,
}

impl Upstream {
    /// One signed call with bounded retries; returns the body of a 2xx answer.
    pub(super) async fn call(
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
        let credentials = self.credentials().await?;
        let mut attempt = 0;
        loop {
            let started = Instant::now();
            let (status, e) = match self
                .attempt(service, path, &url, &credentials, &body)
                .await?
            {
                Ok(bytes) => return Ok(bytes),
                Err(failure) => failure,
            };
            tracing::warn!(
                service, path, attempt, status, error_type = %e.error_type,
                aws_message = %e.message, ms = started.elapsed().as_millis() as u64,
                "upstream error"
            );
            let retryable = matches!(status, 429 | 503) && idempotent;
            if retryable && attempt < self.limits.max_retries {
                self.back_off(attempt).await;
                attempt += 1;
                continue;
            }
            return Err(map_upstream(service, &e, attempt));
        }
    }

    /// One signed request: the body of a 2xx answer, or AWS's status and error (which
    /// the caller may retry). Timeouts, unreachable hosts and cut-off answers are final.
    async fn attempt(
        &self,
        service: &'static str,
        path: &str,
        url: &str,
        credentials: &Credentials,
        body: &Bytes,
    ) -> Result<Result<Bytes, (u16, AwsError)>, ProxyError> {
        let timeout = Duration::from_millis(self.limits.upstream_timeout_ms);
        let response = self
            .send(
                service,
                path,
                url,
                credentials,
                body,
                "application/json",
                timeout,
            )
            .await?;
        if response.status().is_success() {
            return Ok(Ok(self.read_capped(service, path, response).await?));
        }
        Ok(Err(self.aws_error(service, path, response).await?))
    }

    /// A non-2xx answer read as AWS's error (status, `x-amzn-ErrorType`, body).
    async fn aws_error(
        &self,
        service: &'static str,
        path: &str,
        response: reqwest::Response,
    ) -> Result<(u16, AwsError), ProxyError> {
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = self.read_capped(service, path, response).await?;
        Ok((
            status,
            AwsError::parse(status, error_type.as_deref(), &bytes),
        ))
    }

    /// Signs and sends one request; the response as it starts (status and headers).
    /// `timeout` bounds the whole exchange, body included.
    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        service: &'static str,
        path: &str,
        url: &str,
        credentials: &Credentials,
        body: &Bytes,
        accept: &str,
        timeout: Duration,
    ) -> Result<reqwest::Response, ProxyError> {
        let signed = aws::sign(
            credentials,
            &self.region,
            service,
            "POST",
            url,
            &[("content-type", "application/json")],
            body,
            SystemTime::now(),
        )
        .map_err(|e| {
            tracing::error!(error = %e, "signing");
            ProxyError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::UpstreamError,
                "signing failed",
            )
        })?;
        let mut request = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("accept", accept)
            .timeout(timeout)
            .body(body.clone()); // Bytes: a reference count, not a copy
        for (name, value) in &signed {
            request = request.header(name.as_str(), value.as_str());
        }
        match request.send().await {
            Ok(r) => Ok(r),
            Err(e) if e.is_timeout() => {
                tracing::warn!(service, path, "upstream timeout");
                Err(ProxyError::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    ErrorCode::UpstreamTimeout,
                    format!(
                        "the {service} service did not answer in {} ms",
                        timeout.as_millis()
                    ),
                ))
            }
            Err(e) => {
                // The causes say why ("connection closed before message completed").
                let mut causes = String::new();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    causes.push_str(&format!(": {c}"));
                    cause = c.source();
                }
                tracing::warn!(service, path, error = %e.without_url(), causes, "upstream unreachable");
                Err(ProxyError::new(
                    StatusCode::BAD_GATEWAY,
                    ErrorCode::UpstreamUnavailable,
                    format!("the {service} service could not be reached"),
                ))
            }
        }
    }

    /// Opens a ConverseStream answer: a 2xx response whose body is the event stream
    /// (read it with [`aws::converse::EventStreamReader`]). Refusals before the stream
    /// starts (429/503) are retried like any call; `timeout` bounds the whole stream.
    pub(super) async fn open_stream(
        &self,
        path: &str,
        body: Bytes,
        timeout: Duration,
    ) -> Result<reqwest::Response, ProxyError> {
        let url = format!("{}{}", self.bedrock, path.trim_start_matches('/'));
        let credentials = self.credentials().await?;
        let mut attempt = 0;
        loop {
            let response = self
                .send(
                    aws::BEDROCK,
                    path,
                    &url,
                    &credentials,
                    &body,
                    "application/vnd.amazon.eventstream",
                    timeout,
                )
                .await?;
            if response.status().is_success() {
                return Ok(response);
            }
            let (status, e) = self.aws_error(aws::BEDROCK, path, response).await?;
            tracing::warn!(path, attempt, status, error_type = %e.error_type, aws_message = %e.message, "upstream error");
            if matches!(status, 429 | 503) && attempt < self.limits.max_retries {
                self.back_off(attempt).await;
                attempt += 1;
                continue;
            }
            return Err(map_upstream(aws::BEDROCK, &e, attempt));
        }
    }

    async fn back_off(&self, attempt: u32) {
        let backoff = self.limits.retry_base_ms * (1u64 << attempt.min(10));
        let jitter = 0.5 + fastrand::f64();
        tokio::time::sleep(Duration::from_millis((backoff as f64 * jitter) as u64)).await;
    }

    async fn credentials(&self) -> Result<Credentials, ProxyError> {
        self.credentials.get().await.map_err(|e| {
            tracing::error!(error = %e, "credentials");
            ProxyError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::UpstreamForbidden,
                "the proxy has no usable AWS credentials",
            )
        })
    }

    /// The answer's body, refused once it passes `limits.max_upstream_bytes` (an upstream
    /// cannot make the proxy buffer without bound).
    async fn read_capped(
        &self,
        service: &'static str,
        path: &str,
        mut response: reqwest::Response,
    ) -> Result<Bytes, ProxyError> {
        let cap = self.limits.max_upstream_bytes;
        let cut_off = || {
            ProxyError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::UpstreamError,
                format!("the {service} answer was cut off"),
            )
        };
        let too_large = |size: u64| {
            tracing::warn!(service, path, size, cap, "upstream answer over the cap");
            ProxyError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::UpstreamError,
                format!("the {service} answer is over {cap} bytes"),
            )
        };
        if let Some(length) = response.content_length().filter(|&l| l > cap as u64) {
            return Err(too_large(length));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|_| cut_off())? {
            if body.len() + chunk.len() > cap {
                return Err(too_large((body.len() + chunk.len()) as u64));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }

    /// One upstream operation, JSON in and out: `request` is sent (with retries: every
    /// operation the proxy uses is idempotent) and the answer read as `Resp`; `what`
    /// names it when the answer cannot be read.
    pub(super) async fn call_json<Req: Serialize, Resp: DeserializeOwned>(
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
                ErrorCode::UpstreamError,
                format!("unexpected {what} answer"),
            )
        })
    }

    pub(super) async fn embed(
        &self,
        model: &str,
        dims: usize,
        text: &str,
    ) -> Result<Vec<f32>, ProxyError> {
        let request = aws::TitanRequest {
            input_text: text.into(),
            dimensions: Some(dims),
            normalize: Some(true),
        };
        // The model id is a path segment: ':' is percent-encoded as the AWS SDKs do.
        let path = format!("/model/{}/invoke", path_segment(model));
        let response: aws::TitanResponse = self
            .call_json(aws::BEDROCK, &path, &request, "embedding")
            .await?;
        if response.embedding.len() != dims {
            tracing::error!(got = response.embedding.len(), dims, "embedding size");
            return Err(ProxyError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::UpstreamError,
                format!(
                    "the model answered {} dimensions, the index holds {dims}",
                    response.embedding.len()
                ),
            ));
        }
        Ok(response.embedding)
    }

    /// ApplyGuardrail on `text` from `source` (`INPUT` or `OUTPUT`).
    pub(super) async fn apply_guardrail(
        &self,
        answer: &AnswerConfig,
        source: &str,
        text: &str,
    ) -> Result<converse::ApplyGuardrailResponse, ProxyError> {
        let request = converse::ApplyGuardrailRequest {
            source: source.into(),
            content: vec![converse::GuardrailContent {
                text: converse::GuardText { text: text.into() },
            }],
        };
        let path = format!(
            "/guardrail/{}/version/{}/apply",
            path_segment(&answer.guardrail_id),
            path_segment(&answer.guardrail_version)
        );
        self.call_json(aws::BEDROCK, &path, &request, "guardrail")
            .await
    }

    /// Converse with the answer model.
    pub(super) async fn converse(
        &self,
        answer: &AnswerConfig,
        request: &converse::ConverseRequest,
    ) -> Result<converse::ConverseResponse, ProxyError> {
        let path = format!("/model/{}/converse", path_segment(&answer.model_id));
        self.call_json(aws::BEDROCK, &path, request, "generation")
            .await
    }
}

/// A model id, inference profile or guardrail ARN as one path segment, percent-encoded as
/// the AWS SDKs do (`:` and `/` included).
pub(super) fn path_segment(id: &str) -> String {
    id.chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '~' => c.to_string(),
            c => {
                let mut buf = [0u8; 4];
                c.encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect()
            }
        })
        .collect()
}

pub(super) fn map_upstream(service: &str, e: &AwsError, retries: u32) -> ProxyError {
    let what = if service == aws::BEDROCK {
        "model (Bedrock)"
    } else {
        "vector index"
    };
    match e.status {
        429 => ProxyError {
            retry_after: Some(1),
            ..ProxyError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::UpstreamThrottled,
                format!("the {what} service is throttling requests (after {retries} retries); retry later"),
            )
        },
        503 => ProxyError {
            retry_after: Some(1),
            ..ProxyError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::UpstreamUnavailable,
                format!("the {what} service is unavailable (after {retries} retries); retry later"),
            )
        },
        400 | 413 => ProxyError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::UpstreamRejected,
            format!("the {what} service rejected the request ({})", e.error_type),
        ),
        401 | 403 => ProxyError::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamForbidden,
            format!("the {what} service refused the proxy's credentials"),
        ),
        _ => ProxyError::new(
            StatusCode::BAD_GATEWAY,
            ErrorCode::UpstreamError,
            format!("the {what} service failed ({})", e.error_type),
        ),
    }
}
