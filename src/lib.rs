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
//! The crate root holds what most callers use: [`Engine`] and [`Collection`] with their
//! [`Query`], [`SearchHit`] and [`IngestDoc`] / [`IngestReport`], the [`Embedder`], a
//! [`Bundle`], a [`Document`] to chunk, a [`Filter`], and [`Error`] with its stable
//! [`ErrorCode`]. Everything else lives in its layer's module.
//!
//! # Layers
//!
//! - [`engine`]: the search engine in plain Rust, testable natively — [`engine::vector`],
//!   metadata filters ([`engine::filter`]), BM25 keywords ([`engine::keyword`]), chunking
//!   ([`engine::chunk`]), the HNSW index ([`engine::index`]), bundles ([`engine::bundle`]),
//!   and the [`Collection`] / [`Engine`] on top (`src/engine/`);
//! - [`embed`]: MiniLM on candle, f32 and int8 weights (`src/embed/`);
//! - [`store`]: persistence of a collection (IndexedDB in the browser, memory in tests)
//!   (`src/store/`);
//! - [`cloud`]: the same API over AWS — the client, and behind features the AWS wire
//!   shapes and SigV4 (`aws`), the signing proxy (`proxy`) and a local fake of the AWS
//!   services (`fake-aws`) (`src/cloud/`);
//! - `wasm`: the one layer that knows JavaScript, built only for `wasm32` (`src/wasm/`);
//! - `testing` (feature `testing`): synthetic data for tests and benchmarks.
#![deny(missing_docs)]

pub mod embed;
pub mod engine;
mod error;

pub mod cloud;
pub mod pdf;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

#[cfg(target_arch = "wasm32")]
mod wasm;

// Short paths inside the crate (`crate::bundle`, `crate::filter`, …).
use engine::{bundle, chunk, filter, index, keyword, vector};

pub use bundle::Bundle;
pub use chunk::Document;
pub use embed::{Embedder, ModelFiles, Precision, MODEL_ID};
pub use engine::answer::{Answer, Answered};
pub use engine::{
    Collection, Engine, IngestDoc, IngestReport, Query, SearchHit, SearchMode, DEFAULT_K,
};
pub use error::{Error, ErrorCode, Result};
pub use filter::Filter;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
