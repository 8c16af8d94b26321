//! The MiniLM (BERT) encoder, run on candle tensors with benefind's kernels.
//!
//! Same network as candle-transformers' `BertModel` (word + position + token-type
//! embeddings, LayerNorm, six post-norm transformer layers with erf GELU), organised
//! for inference on short texts:
//! - texts are packed back to back, one row per real token: no padding is computed
//!   and no mask is needed (each sequence attends only to its own rows);
//! - query, key and value are one fused dense layer (one pass over the input rows);
//! - the dense layers use [`kernels::dense`], everything else works in place.
//!
//! candle loads and owns the weights (safetensors → tensors); the forward pass reads
//! them through [`kernels::with_f32`].

use std::collections::HashMap;

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{Config, HiddenAct};

use super::kernels::{self, add_layer_norm, attention, gelu, layer_norm_row, DenseWeight, Matrix};
use super::quant::{self, Int8Matrix};
use super::Precision;
use crate::error::{Error, Result};

/// Where the weights come from: candle's `VarBuilder` over the f32 tensors, plus the
/// int8 matrices of an int8 file (empty for `model.safetensors`).
struct Source<'a> {
    vb: VarBuilder<'a>,
    int8: HashMap<String, Int8Matrix>,
}

impl Source<'_> {
    fn vector(&self, name: &str, len: usize) -> Result<Vec<f32>> {
        Ok(self.vb.get(len, name)?.to_vec1()?)
    }

    fn matrix(&mut self, name: &str, rows: usize, cols: usize) -> Result<Matrix> {
        match self.int8.remove(name) {
            Some(m) if (m.rows, m.cols) == (rows, cols) => Ok(Matrix::Int8(m)),
            Some(m) => Err(Error::BadModelFile {
                file: quant::INT8_WEIGHTS_FILE,
                reason: format!("{name} is {}x{}, expected {rows}x{cols}", m.rows, m.cols),
            }),
            None => Ok(Matrix::F32(self.vb.get((rows, cols), name)?)),
        }
    }

    fn dense(&mut self, prefix: &str, inputs: usize, outputs: usize) -> Result<Dense> {
        let weight = self.matrix(&format!("{prefix}.weight"), outputs, inputs)?;
        Ok(Dense {
            weight: DenseWeight::new(weight)?,
            bias: self.vector(&format!("{prefix}.bias"), outputs)?,
        })
    }

    fn norm(&self, prefix: &str, width: usize) -> Result<Norm> {
        Ok(Norm {
            gamma: self.vector(&format!("{prefix}.weight"), width)?,
            beta: self.vector(&format!("{prefix}.bias"), width)?,
        })
    }
}

/// A linear layer: weight `out × in` (PyTorch layout), bias of `out` values.
struct Dense {
    weight: DenseWeight,
    bias: Vec<f32>,
}

impl Dense {
    fn forward(&self, x: &[f32]) -> Result<Vec<f32>> {
        kernels::dense(x, &self.weight, &self.bias)
    }
}

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Layer {
    qkv: Dense,
    attention_out: Dense,
    attention_norm: Norm,
    up: Dense,
    down: Dense,
    output_norm: Norm,
}

/// all-MiniLM-L6-v2's encoder: token ids in, one mean-pooled vector per text out.
pub(crate) struct MiniLm {
    /// `vocab_size × hidden`.
    word: Matrix,
    /// `max_position_embeddings × hidden`, flattened.
    position: Vec<f32>,
    /// Token type 0's embedding (single-segment inputs only).
    token_type: Vec<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    eps: f32,
}

impl MiniLm {
    /// Loads `model.safetensors` (f32) or its int8 conversion ([`quant`]; `precision`
    /// says which the bytes are, see [`Precision::of`]), by the
    /// tensor names of Hugging Face's `BertModel` (no `bert.` prefix, as in
    /// sentence-transformers' export).
    pub(crate) fn load(weights: Vec<u8>, precision: Precision, config: &Config) -> Result<Self> {
        if config.hidden_act != HiddenAct::Gelu {
            return Err(Error::BadModelFile {
                file: "config.json",
                reason: format!("hidden_act must be \"gelu\", got {:?}", config.hidden_act),
            });
        }
        let mut src = if precision == Precision::Int8 {
            let loaded = quant::load_int8(&weights)?;
            Source {
                vb: VarBuilder::from_tensors(loaded.tensors, DType::F32, &Device::Cpu),
                int8: loaded.int8,
            }
        } else {
            let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)?;
            Source {
                vb,
                int8: HashMap::new(),
            }
        };
        let (hidden, inner) = (config.hidden_size, config.intermediate_size);
        let word = src.matrix(
            "embeddings.word_embeddings.weight",
            config.vocab_size,
            hidden,
        )?;
        let position = src
            .vb
            .get(
                (config.max_position_embeddings, hidden),
                "embeddings.position_embeddings.weight",
            )?
            .flatten_all()?
            .to_vec1()?;
        let token_type = src
            .vb
            .get(
                (config.type_vocab_size, hidden),
                "embeddings.token_type_embeddings.weight",
            )?
            .get(0)?
            .to_vec1()?;
        let embedding_norm = src.norm("embeddings.LayerNorm", hidden)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let at = format!("encoder.layer.{i}");
            let part = |src: &mut Source, name: &str| {
                src.matrix(
                    &format!("{at}.attention.self.{name}.weight"),
                    hidden,
                    hidden,
                )
            };
            let qkv_weight = Matrix::stack(vec![
                part(&mut src, "query")?,
                part(&mut src, "key")?,
                part(&mut src, "value")?,
            ])?;
            let mut qkv_bias = Vec::with_capacity(3 * hidden);
            for name in ["query", "key", "value"] {
                qkv_bias.extend(src.vector(&format!("{at}.attention.self.{name}.bias"), hidden)?);
            }
            layers.push(Layer {
                qkv: Dense {
                    weight: DenseWeight::new(qkv_weight)?,
                    bias: qkv_bias,
                },
                attention_out: src.dense(
                    &format!("{at}.attention.output.dense"),
                    hidden,
                    hidden,
                )?,
                attention_norm: src.norm(&format!("{at}.attention.output.LayerNorm"), hidden)?,
                up: src.dense(&format!("{at}.intermediate.dense"), hidden, inner)?,
                down: src.dense(&format!("{at}.output.dense"), inner, hidden)?,
                output_norm: src.norm(&format!("{at}.output.LayerNorm"), hidden)?,
            });
        }
        Ok(Self {
            word,
            position,
            token_type,
            embedding_norm,
            layers,
            hidden,
            heads: config.num_attention_heads,
            eps: config.layer_norm_eps as f32,
        })
    }

    /// Runs the texts (token ids, `[CLS]`/`[SEP]` included, at most
    /// `max_position_embeddings` each) and returns each text's mean over its tokens'
    /// last hidden states (not yet normalised).
    pub(crate) fn mean_pooled(&self, texts: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        let h = self.hidden;
        let mut x = self.embed_tokens(texts)?;
        // Row ranges of each text in the packed rows.
        let mut spans = Vec::with_capacity(texts.len());
        let mut start = 0;
        for ids in texts {
            spans.push(start..start + ids.len());
            start += ids.len();
        }
        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x)?;
            let mut context = vec![0.0f32; x.len()];
            for span in &spans {
                attention(
                    &qkv[span.start * 3 * h..span.end * 3 * h],
                    self.heads,
                    h,
                    &mut context[span.start * h..span.end * h],
                );
            }
            let mut attended = layer.attention_out.forward(&context)?;
            let n = &layer.attention_norm;
            add_layer_norm(&mut attended, &x, &n.gamma, &n.beta, self.eps);
            let mut inner = layer.up.forward(&attended)?;
            gelu(&mut inner);
            x = layer.down.forward(&inner)?;
            let n = &layer.output_norm;
            add_layer_norm(&mut x, &attended, &n.gamma, &n.beta, self.eps);
        }
        Ok(spans
            .iter()
            .map(|span| {
                let mut sum = vec![0.0f32; h];
                for row in x[span.start * h..span.end * h].chunks_exact(h) {
                    for (s, v) in sum.iter_mut().zip(row) {
                        *s += v;
                    }
                }
                let count = span.len().max(1) as f32;
                sum.iter_mut().for_each(|s| *s /= count);
                sum
            })
            .collect())
    }

    /// Word + position + token-type embeddings, LayerNorm-ed, one row per token.
    fn embed_tokens(&self, texts: &[&[u32]]) -> Result<Vec<f32>> {
        let h = self.hidden;
        let rows: usize = texts.iter().map(|t| t.len()).sum();
        let mut x = vec![0.0f32; rows * h];
        let mut at = 0;
        for ids in texts {
            if ids.len() * h > self.position.len() {
                return Err(Error::InvalidInput(format!(
                    "{} tokens is more than the model's {} positions",
                    ids.len(),
                    self.position.len() / h
                )));
            }
            for (pos, &id) in ids.iter().enumerate() {
                let id = id as usize;
                if id >= self.word_rows() {
                    return Err(Error::InvalidInput(format!(
                        "token id {id} is outside the vocabulary"
                    )));
                }
                let row = &mut x[at * h..(at + 1) * h];
                self.word.row_into(id, row)?;
                for ((v, p), t) in row
                    .iter_mut()
                    .zip(&self.position[pos * h..(pos + 1) * h])
                    .zip(&self.token_type)
                {
                    *v += p + t;
                }
                let n = &self.embedding_norm;
                layer_norm_row(row, &n.gamma, &n.beta, self.eps);
                at += 1;
            }
        }
        Ok(x)
    }

    fn word_rows(&self) -> usize {
        match &self.word {
            Matrix::F32(t) => t.dim(0).unwrap_or(0),
            Matrix::Int8(m) => m.rows,
        }
    }
}
