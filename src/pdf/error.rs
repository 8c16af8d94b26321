//! Why a PDF could not be read. Always compiled (the crate's [`Error`](crate::Error)
//! wraps it), also where the reader itself (feature `pdf`) is not.

use thiserror::Error;

/// A PDF the reader refused, with a message a member can act on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PdfError {
    /// The bytes do not start like a PDF (no `%PDF-` header in the first KiB).
    #[error("{name} is not a PDF file (it does not start with %PDF-); save the document as PDF, or add it as a .txt or .md file")]
    NotPdf {
        /// The file name.
        name: String,
    },
    /// The file is damaged: truncated, or its structure cannot be parsed.
    #[error("{name} could not be read as a PDF ({reason}); the file may be truncated or damaged: download it again, or paste its text")]
    Corrupt {
        /// The file name.
        name: String,
        /// What the parser reported.
        reason: String,
    },
    /// The file needs a password to open.
    #[error("{name} is password-protected; open it, save a copy without a password, and add that copy (or paste its text)")]
    Encrypted {
        /// The file name.
        name: String,
    },
    /// The file has pages but no text layer (a scan or photos of pages).
    #[error("{name} has {pages} page(s) but no text layer: it looks like a scan, and reading scanned pages (OCR) is not supported; paste the document's text instead, or ask your plan for a text PDF")]
    NoText {
        /// The file name.
        name: String,
        /// Pages in the file.
        pages: u32,
    },
    /// The file is over a size limit.
    #[error("{name} is too large: {what} is {got}, and the limit is {limit}; split the document, or add only the parts you need")]
    TooLarge {
        /// The file name.
        name: String,
        /// What was measured (`"size in bytes"`, `"page count"`).
        what: &'static str,
        /// The file's figure.
        got: u64,
        /// The limit.
        limit: u64,
    },
}
