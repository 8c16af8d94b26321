//! # benefind
//!
//! Search a health-plan member's own benefits documents by meaning, in the browser
//! and natively, with the same code: sentence-transformers `all-MiniLM-L6-v2` run by
//! candle, compiled to WebAssembly.
//!
//! The core is plain Rust; `wasm` (built only for `wasm32`) is the one layer that
//! knows about JavaScript.
//!
//! ```
//! // Run from the crate root after pkg-scripts/fetch-model.sh (test.sh fetches it).
//! use benefind::{Embedder, ModelFiles};
//! let dir = std::path::Path::new("models/all-MiniLM-L6-v2");
//! let files = ModelFiles::read_dir(dir)?;
//! let embedder = Embedder::from_files(files)?;
//! let vectors = embedder.embed(&["Is my annual checkup free?"])?;
//! assert_eq!(vectors[0].len(), embedder.dims());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layers
//!
//! - `engine`: the search engine in plain Rust, testable natively —
//!   vectors, metadata filters, BM25 keywords, chunking, the HNSW index, bundles, and
//!   the [`Collection`] / [`Engine`] on top (`src/engine/`);
//! - `embed`: MiniLM on candle, f32 and int8 weights (`src/embed/`);
//! - [`store`]: persistence of a collection (IndexedDB in the browser, memory in tests)
//!   (`src/store/`);
//! - [`cloud`]: the same API over AWS — the client, and behind features the AWS wire
//!   shapes and SigV4 (`aws`), the signing proxy (`proxy`) and a local fake of the AWS
//!   services (`fake-aws`) (`src/cloud/`);
//! - `wasm`: the one layer that knows JavaScript, built only for `wasm32` (`src/wasm/`);
//! - `testing` (feature `testing`): synthetic data for tests and benchmarks.
#![deny(missing_docs)]

mod embed;
mod engine;
mod error;

pub mod cloud;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(target_arch = "wasm32")]
mod wasm;

// The engine's parts keep their short crate paths (`crate::bundle`, `crate::filter`, …).
use engine::{bundle, chunk, filter, index, keyword, vector};

pub use bundle::{
    inspect as inspect_bundle, Bundle, BundleError, BundleHeader, BundleInfo, Metric, Record,
    SectionInfo, VectorEncoding,
};
pub use chunk::{
    chunk_document, default_id, split_front_matter, Chunk, ChunkOptions, Document, TokenCounter,
};
pub use embed::{
    quantize_safetensors, Embedder, ModelFiles, Precision, TokenLength, INT8_WEIGHTS_FILE,
    MAX_TOKENS, MODEL_ID,
};
pub use engine::{
    chunk_docs, Collection, Engine, IngestDoc, IngestReport, PreparedIngest, Query, SearchHit,
    SearchMode, DEFAULT_K, MAX_K,
};
pub use error::{Error, ErrorCode, Result};
pub use filter::{
    Condition, Filter, FilterError, Scalar, MAX_DEPTH as FILTER_MAX_DEPTH,
    MAX_NODES as FILTER_MAX_NODES,
};
pub use index::{IndexParams, Neighbor, SearchStats, VectorIndex};
pub use keyword::{score_fusion, tokenize, Bm25Params, KeywordError, KeywordIndex};
pub use vector::{cosine, dot, l2_normalize};

/// The README's code blocks: its Rust example runs as a doctest (the others are shell,
/// HTML and tables, which rustdoc does not compile).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
