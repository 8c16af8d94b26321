//! The library's one error type. Every message is complete on its own: it says what
//! was wrong and, where there is one, how to recover. The wasm facade adds a stable
//! machine-readable code (see [`Error::code`]) when it turns these into JS errors.

use thiserror::Error;

/// Result alias used throughout benefind.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in benefind's core.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The model files are not where they were looked for.
    #[error("model file {path} could not be read ({reason}); fetch the model with pkg-scripts/fetch-model.sh")]
    ModelMissing {
        /// The path that was tried.
        path: String,
        /// Why reading failed.
        reason: String,
    },
    /// One of the model files could not be used.
    #[error("model file {file} is invalid: {reason}")]
    BadModelFile {
        /// Which file (`model.safetensors`, `tokenizer.json`, `config.json`).
        file: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// The model files describe a different model than the one benefind implements.
    #[error("model mismatch: {field} is {got}, but {expected_model} needs {expected}")]
    ModelMismatch {
        /// The config field that differs.
        field: &'static str,
        /// The value benefind needs.
        expected: usize,
        /// The value the files have.
        got: usize,
        /// The model benefind implements.
        expected_model: &'static str,
    },
    /// A vector's length does not match the embedding model's dimension.
    #[error("dimension mismatch: {context} has {got} dimensions, but the model {model} produces {expected}")]
    DimensionMismatch {
        /// What carried the vector (e.g. "query vector").
        context: String,
        /// The model's dimension.
        expected: usize,
        /// The vector's length.
        got: usize,
        /// The model id the dimension belongs to.
        model: String,
    },
    /// Tokenization failed.
    #[error("tokenizer failed: {0}")]
    Tokenizer(String),
    /// The tensor runtime failed while running the model.
    #[error("model inference failed: {0}")]
    Inference(#[from] candle_core::Error),
    /// The bundle's stored index (segments, graphs) is inconsistent.
    #[error(
        "bundle index section is invalid: {0}; rebuild the bundle with `benefind bundle build`"
    )]
    BadIndex(String),
    /// The bundle file could not be used.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// A where-filter was malformed.
    #[error("invalid filter: {0}")]
    Filter(#[from] crate::filter::FilterError),
    /// Input from the caller was invalid.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The stored vectors were made by another embedding model.
    #[error("the stored database holds vectors of model {stored:?}, but the embedder is {model:?}; vectors of different models cannot be compared: clear the database to start over with this model")]
    StoredModelMismatch {
        /// The model the stored vectors came from.
        stored: String,
        /// The embedder's model.
        model: String,
    },
    /// The browser refused to store more data (IndexedDB quota); nothing was written.
    #[error("storage quota exceeded: {0}; nothing was written, the stored data is unchanged")]
    QuotaExceeded(String),
    /// A stored record failed its checks (checksum, format), or the store holds data of
    /// a format this version cannot read.
    #[error("stored data is corrupt: {0}; call clear() to start over")]
    StoreCorrupt(String),
    /// The database connection is gone (closed, upgraded or deleted by another tab).
    #[error("the database is closed: {0}; open it again")]
    DatabaseClosed(String),
    /// Any other storage failure (IndexedDB unavailable, transaction aborted).
    #[error("storage failed: {0}")]
    Storage(String),
    /// The cloud proxy refused or failed a request; `code` is the proxy's stable code.
    #[error("cloud proxy answered HTTP {status} {code}: {message}")]
    Cloud {
        /// HTTP status.
        status: u16,
        /// The proxy's code (e.g. `UNAUTHORIZED`, `UPSTREAM_THROTTLED`).
        code: String,
        /// The proxy's message.
        message: String,
    },
    /// The cloud index's embedding model or dimension is not the one expected.
    #[error("embedding contract broken: the cloud index answered with {cloud_model} ({cloud_dims} dimensions), but {detail} {local_model} ({local_dims} dimensions); vectors of different models cannot be compared")]
    CloudMismatch {
        /// The model expected (configured, or seen first).
        local_model: String,
        /// Its dimension.
        local_dims: usize,
        /// The model the index answered with.
        cloud_model: String,
        /// Its dimension.
        cloud_dims: usize,
        /// Where the expectation came from.
        detail: String,
    },
    /// The proxy could not be reached.
    #[error("network error: {0}")]
    Network(String),
}

impl Error {
    /// A stable code for programs (and the JS API) to branch on; the message may change,
    /// the code does not.
    pub fn code(&self) -> &'static str {
        match self {
            Error::ModelMissing { .. } => "MODEL_MISSING",
            Error::BadModelFile { .. } => "MODEL_INVALID",
            Error::ModelMismatch { .. } => "MODEL_MISMATCH",
            Error::DimensionMismatch { .. } => "DIMENSION_MISMATCH",
            Error::Tokenizer(_) => "TOKENIZER",
            Error::Inference(_) => "INFERENCE",
            Error::InvalidInput(_) => "INVALID_INPUT",
            Error::BadIndex(_) => "BAD_BUNDLE",
            Error::Bundle(crate::bundle::BundleError::DimsMismatch { .. }) => "DIMENSION_MISMATCH",
            Error::Bundle(crate::bundle::BundleError::ModelMismatch { .. }) => "MODEL_MISMATCH",
            Error::Bundle(_) => "BAD_BUNDLE",
            Error::Filter(_) => "BAD_FILTER",
            Error::StoredModelMismatch { .. } => "MODEL_MISMATCH",
            Error::QuotaExceeded(_) => "QUOTA_EXCEEDED",
            Error::StoreCorrupt(_) => "STORE_CORRUPT",
            Error::DatabaseClosed(_) => "DB_CLOSED",
            Error::Storage(_) => "STORAGE",
            Error::Cloud { code, .. } => cloud_code(code),
            Error::CloudMismatch {
                local_dims,
                cloud_dims,
                ..
            } if local_dims != cloud_dims => "DIMENSION_MISMATCH",
            Error::CloudMismatch { .. } => "MODEL_MISMATCH",
            Error::Network(_) => "NETWORK",
        }
    }
}

/// The proxy's error codes, as `&'static str` (anything else is `CLOUD`).
pub const CLOUD_CODES: [&str; 16] = [
    "BAD_REQUEST",
    "BAD_FILTER",
    "UNAUTHORIZED",
    "FORBIDDEN",
    "NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "PAYLOAD_TOO_LARGE",
    "RATE_LIMITED",
    "DIMENSION_MISMATCH",
    "UPSTREAM_REJECTED",
    "UPSTREAM_THROTTLED",
    "UPSTREAM_UNAVAILABLE",
    "UPSTREAM_TIMEOUT",
    "UPSTREAM_ERROR",
    "UPSTREAM_FORBIDDEN",
    "BAD_RESPONSE",
];

fn cloud_code(code: &str) -> &'static str {
    CLOUD_CODES
        .iter()
        .find(|c| **c == code)
        .copied()
        .unwrap_or("CLOUD")
}
