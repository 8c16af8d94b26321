//! The library's one error type, and the one list of stable error codes.
//!
//! Every [`Error`] message is complete on its own: it says what was wrong and, where there
//! is one, how to recover. [`Error::code`] gives its [`ErrorCode`], the code programs
//! branch on. [`ErrorCode`] is the single list of codes for everything benefind answers
//! with: the core's errors, the signing proxy's JSON errors, the wasm facade's and the JS
//! layer's `BenefindError.code` (TypeScript's `ErrorCode` union in `src/js/benefind.d.ts`
//! must equal it, and every code the JS files throw must be in it: `tests/error_codes.rs`).

use thiserror::Error;

use crate::pdf::PdfError;

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
    /// A PDF could not be read (see [`crate::pdf::PdfError`]).
    #[error(transparent)]
    Pdf(#[from] crate::pdf::PdfError),
}

impl Error {
    /// A stable code for programs (and the JS API) to branch on; the message may change,
    /// the code does not.
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            Error::ModelMissing { .. } => C::ModelMissing,
            Error::BadModelFile { .. } => C::ModelInvalid,
            Error::ModelMismatch { .. } => C::ModelMismatch,
            Error::DimensionMismatch { .. } => C::DimensionMismatch,
            Error::Tokenizer(_) => C::Tokenizer,
            Error::Inference(_) => C::Inference,
            Error::InvalidInput(_) => C::InvalidInput,
            Error::BadIndex(_) => C::BadBundle,
            Error::Bundle(crate::bundle::BundleError::DimsMismatch { .. }) => C::DimensionMismatch,
            Error::Bundle(crate::bundle::BundleError::ModelMismatch { .. }) => C::ModelMismatch,
            Error::Bundle(_) => C::BadBundle,
            Error::Filter(_) => C::BadFilter,
            Error::StoredModelMismatch { .. } => C::ModelMismatch,
            Error::QuotaExceeded(_) => C::QuotaExceeded,
            Error::StoreCorrupt(_) => C::StoreCorrupt,
            Error::DatabaseClosed(_) => C::DbClosed,
            Error::Storage(_) => C::Storage,
            // A proxy code this build does not know is still a cloud failure.
            Error::Cloud { code, .. } => ErrorCode::from_name(code).unwrap_or(C::Cloud),
            Error::CloudMismatch {
                local_dims,
                cloud_dims,
                ..
            } if local_dims != cloud_dims => C::DimensionMismatch,
            Error::CloudMismatch { .. } => C::ModelMismatch,
            Error::Network(_) => C::Network,
            Error::Pdf(e) => match e {
                PdfError::Encrypted { .. } => C::PdfEncrypted,
                PdfError::NoText { .. } => C::PdfNoText,
                PdfError::TooLarge { .. } => C::PdfTooLarge,
                _ => C::PdfInvalid,
            },
        }
    }
}

/// Declares [`ErrorCode`] with each variant's wire name, once.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// Every stable error code benefind answers with, in Rust, from the proxy, from the
        /// wasm facade and from the JS layer. On the wire (JSON `code`, JS `err.code`) each
        /// is its SCREAMING_SNAKE_CASE name ([`ErrorCode::as_str`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The wire name, e.g. `"BAD_FILTER"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }

            /// The code with this wire name, if there is one.
            pub fn from_name(name: &str) -> Option<ErrorCode> {
                match name {
                    $($name => Some(ErrorCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    // The model.
    /// A model file could not be fetched or read.
    ModelMissing = "MODEL_MISSING",
    /// A model file is not a usable safetensors / tokenizer / config file.
    ModelInvalid = "MODEL_INVALID",
    /// The model (or its size) differs from the one the data was made with.
    ModelMismatch = "MODEL_MISMATCH",
    /// A downloaded model file failed its pinned SHA-256 (JS).
    ModelChecksum = "MODEL_CHECKSUM",
    /// The tokenizer failed on a text.
    Tokenizer = "TOKENIZER",
    /// The encoder failed.
    Inference = "INFERENCE",
    // Input.
    /// A vector's length differs from the index's; the message names both numbers.
    DimensionMismatch = "DIMENSION_MISMATCH",
    /// An argument is out of range or malformed.
    InvalidInput = "INVALID_INPUT",
    /// A metadata filter is malformed; the message points at the offending spot.
    BadFilter = "BAD_FILTER",
    /// A bundle is truncated, corrupt or of another version.
    BadBundle = "BAD_BUNDLE",
    /// A file named .pdf is not a PDF, or the PDF is truncated or damaged.
    PdfInvalid = "PDF_INVALID",
    /// The PDF needs a password.
    PdfEncrypted = "PDF_ENCRYPTED",
    /// The PDF has no text layer (a scan; OCR is not supported).
    PdfNoText = "PDF_NO_TEXT",
    /// The PDF is over the size or page limit.
    PdfTooLarge = "PDF_TOO_LARGE",
    // Browser storage and the worker.
    /// The browser refused to store more (quota).
    QuotaExceeded = "QUOTA_EXCEEDED",
    /// Stored data failed its checks.
    StoreCorrupt = "STORE_CORRUPT",
    /// IndexedDB failed otherwise.
    Storage = "STORAGE",
    /// Another tab holds an older version of the database open (JS).
    DbBlocked = "DB_BLOCKED",
    /// The database connection was closed under the call.
    DbClosed = "DB_CLOSED",
    /// Another call is running on this database; retry when it settles (wasm facade).
    Busy = "BUSY",
    /// The `Benefind` handle was closed (JS).
    Closed = "CLOSED",
    /// The caller cancelled the operation; nothing was changed (JS).
    Cancelled = "CANCELLED",
    /// A call came before `open` (JS worker).
    NotOpen = "NOT_OPEN",
    /// The operation does not exist on this kind of index, e.g. ingest on a cloud index (JS).
    NotSupported = "NOT_SUPPORTED",
    /// The Web Worker failed to start or crashed (JS).
    Worker = "WORKER",
    /// A failure with no code of its own (JS worker).
    Internal = "INTERNAL",
    // The cloud path, as the client sees it.
    /// The proxy could not be reached.
    Network = "NETWORK",
    /// The proxy's answer was not what its API promises.
    BadResponse = "BAD_RESPONSE",
    /// The proxy answered with a code this client does not know.
    Cloud = "CLOUD",
    // The signing proxy's answers.
    /// The request is malformed or breaks a limit (400).
    BadRequest = "BAD_REQUEST",
    /// No or an unknown bearer token (401).
    Unauthorized = "UNAUTHORIZED",
    /// The token's role or scope does not allow this, or the origin is not allowed (403).
    Forbidden = "FORBIDDEN",
    /// No such route (404).
    NotFound = "NOT_FOUND",
    /// Not a POST (405).
    MethodNotAllowed = "METHOD_NOT_ALLOWED",
    /// The body is over the proxy's cap (413).
    PayloadTooLarge = "PAYLOAD_TOO_LARGE",
    /// A rate limit or budget is spent (the token's, the client address's, or the proxy's
    /// daily embedding budget); see Retry-After (429).
    RateLimited = "RATE_LIMITED",
    /// The client sent its body too slowly (408), or the request passed the proxy's
    /// per-request deadline (504).
    RequestTimeout = "REQUEST_TIMEOUT",
    /// The proxy has as many requests in flight as it allows; retry shortly (503).
    Overloaded = "OVERLOADED",
    /// AWS refused the request as invalid (502).
    UpstreamRejected = "UPSTREAM_REJECTED",
    /// AWS throttled the proxy after its retries (503).
    UpstreamThrottled = "UPSTREAM_THROTTLED",
    /// AWS was unavailable after the proxy's retries (503).
    UpstreamUnavailable = "UPSTREAM_UNAVAILABLE",
    /// AWS did not answer within the proxy's timeout (504).
    UpstreamTimeout = "UPSTREAM_TIMEOUT",
    /// AWS failed otherwise, or its answer could not be used (502).
    UpstreamError = "UPSTREAM_ERROR",
    /// AWS refused the proxy's credentials or signature (502).
    UpstreamForbidden = "UPSTREAM_FORBIDDEN",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        ErrorCode::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code {name}")))
    }
}
