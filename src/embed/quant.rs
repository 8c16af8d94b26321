//! Int8 weights: all-MiniLM-L6-v2 with its big matrices stored as 8-bit integers, a
//! quarter of the f32 download (the browser's first visit) and of the memory the
//! embedder streams per question.
//!
//! The scheme is symmetric per-row int8 (weights only; activations stay f32): every
//! row `r` of a matrix keeps `q[r][c] = round(w[r][c] / s[r])` with `s[r] =
//! max|w[r]| / 127`, and is read back as `q · s` in f32. Rows are what both users of
//! a matrix read: a dense layer computes one output per weight row, and an embedding
//! lookup reads one row per token.
//!
//! The file is safetensors: each quantized matrix `NAME` is an `I8` tensor `NAME`
//! plus an `F32` tensor `NAME.scale` (one per row); everything else (biases,
//! LayerNorm, position and token-type embeddings) stays `F32`. The conversion is
//! deterministic, so the scripts pin the result's SHA-256 like the original files.

use std::collections::HashMap;

use candle_core::{Device, Tensor};
use safetensors::{tensor::TensorView, Dtype, SafeTensors};

use crate::error::{Error, Result};

/// The converted file's name, next to `model.safetensors` in the model folder.
pub const INT8_WEIGHTS_FILE: &str = "model.int8.safetensors";

/// Suffix of the per-row scale tensor of a quantized matrix.
const SCALE_SUFFIX: &str = ".scale";

/// Metadata key and value that mark a file as this conversion.
const FORMAT_KEY: &str = "benefind_format";
const FORMAT_VALUE: &str = "int8-per-row-symmetric-v1";

/// A row-quantized matrix: `rows × cols` int8 values and one f32 scale per row.
#[derive(Debug, Clone)]
pub(crate) struct Int8Matrix {
    pub q: Vec<i8>,
    pub scale: Vec<f32>,
    pub rows: usize,
    pub cols: usize,
}

impl Int8Matrix {
    /// Quantizes a row-major f32 matrix, row by row.
    pub fn quantize(data: &[f32], rows: usize, cols: usize) -> Self {
        assert_eq!(data.len(), rows * cols);
        let mut q = Vec::with_capacity(data.len());
        let scale = data
            .chunks_exact(cols)
            .map(|row| crate::vector::quantize_i8(row, &mut q))
            .collect();
        Self {
            q,
            scale,
            rows,
            cols,
        }
    }

    /// Row `r` as f32 (`q · s`), into `out` (`cols` long).
    pub fn row_into(&self, r: usize, out: &mut [f32]) {
        let s = self.scale[r];
        for (o, &q) in out
            .iter_mut()
            .zip(&self.q[r * self.cols..(r + 1) * self.cols])
        {
            *o = q as f32 * s;
        }
    }

    /// The whole matrix as f32, row-major.
    pub fn dequantize(&self) -> Vec<f32> {
        let mut out = vec![0.0; self.rows * self.cols];
        for (r, row) in out.chunks_exact_mut(self.cols).enumerate() {
            self.row_into(r, row);
        }
        out
    }

    /// Stacks matrices of equal width row-wise (fusing Q, K and V into one layer).
    pub fn stack(parts: &[&Int8Matrix]) -> Self {
        let cols = parts[0].cols;
        assert!(parts.iter().all(|p| p.cols == cols));
        Self {
            q: parts.iter().flat_map(|p| p.q.iter().copied()).collect(),
            scale: parts.iter().flat_map(|p| p.scale.iter().copied()).collect(),
            rows: parts.iter().map(|p| p.rows).sum(),
            cols,
        }
    }
}

/// Which matrices the conversion quantizes: the word embeddings and every dense
/// layer's weight (≈ 98 % of the parameters). The pooler is not part of a sentence
/// embedding and `position_ids` is a constant; both are left out of the file.
fn quantized(name: &str) -> bool {
    name == "embeddings.word_embeddings.weight"
        || (name.starts_with("encoder.layer.")
            && name.ends_with(".weight")
            && !name.contains("LayerNorm"))
}

fn dropped(name: &str) -> bool {
    name.starts_with("pooler.") || name == "embeddings.position_ids"
}

fn bad(file: &'static str, reason: impl std::fmt::Display) -> Error {
    Error::BadModelFile {
        file,
        reason: reason.to_string(),
    }
}

fn f32s(view: &TensorView<'_>) -> Vec<f32> {
    view.data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Converts `model.safetensors` (f32) into the int8 file described above.
pub fn quantize_safetensors(f32_file: &[u8]) -> Result<Vec<u8>> {
    const FILE: &str = "model.safetensors";
    let file = SafeTensors::deserialize(f32_file).map_err(|e| bad(FILE, e))?;
    let mut names = file.names();
    names.sort();
    let mut out: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for name in names.into_iter().filter(|n| !dropped(n)) {
        let view = file.tensor(name).map_err(|e| bad(FILE, e))?;
        if view.dtype() != Dtype::F32 {
            return Err(bad(
                FILE,
                format!(
                    "{name} is {:?}, expected F32 (already converted?)",
                    view.dtype()
                ),
            ));
        }
        let shape = view.shape().to_vec();
        if quantized(name) && shape.len() == 2 {
            let m = Int8Matrix::quantize(&f32s(&view), shape[0], shape[1]);
            out.push((
                name.to_string(),
                Dtype::I8,
                shape.clone(),
                m.q.iter().map(|&q| q as u8).collect(),
            ));
            let scale = m.scale.iter().flat_map(|s| s.to_le_bytes()).collect();
            out.push((
                format!("{name}{SCALE_SUFFIX}"),
                Dtype::F32,
                vec![shape[0]],
                scale,
            ));
        } else {
            out.push((name.to_string(), Dtype::F32, shape, view.data().to_vec()));
        }
    }
    let views = out
        .iter()
        .map(|(name, dtype, shape, data)| {
            Ok((
                name.as_str(),
                TensorView::new(*dtype, shape.clone(), data).map_err(|e| bad(FILE, e))?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let metadata = HashMap::from([(FORMAT_KEY.to_string(), FORMAT_VALUE.to_string())]);
    safetensors::serialize(views, Some(metadata)).map_err(|e| bad(FILE, e))
}

/// A weights file read for the encoder: f32 tensors (for candle's `VarBuilder`) and
/// int8 matrices by name (empty for an f32 file).
pub(crate) struct LoadedWeights {
    pub tensors: HashMap<String, Tensor>,
    pub int8: HashMap<String, Int8Matrix>,
}

/// True when the bytes are this module's int8 conversion (by the metadata mark).
pub(crate) fn is_int8(file: &[u8]) -> bool {
    SafeTensors::read_metadata(file)
        .ok()
        .and_then(|(_, meta)| meta.metadata().as_ref()?.get(FORMAT_KEY).cloned())
        .is_some_and(|v| v == FORMAT_VALUE)
}

/// Reads an int8 file: `I8` + `.scale` pairs become [`Int8Matrix`]es, `F32` tensors
/// become candle tensors.
pub(crate) fn load_int8(file: &[u8]) -> Result<LoadedWeights> {
    const FILE: &str = INT8_WEIGHTS_FILE;
    let st = SafeTensors::deserialize(file).map_err(|e| bad(FILE, e))?;
    let mut tensors = HashMap::new();
    let mut int8 = HashMap::new();
    for (name, view) in st.tensors() {
        match view.dtype() {
            Dtype::I8 => {
                let &[rows, cols] = view.shape() else {
                    return Err(bad(
                        FILE,
                        format!(
                            "{name}: int8 tensors must be matrices, got shape {:?}",
                            view.shape()
                        ),
                    ));
                };
                let scale_name = format!("{name}{SCALE_SUFFIX}");
                let scale = st
                    .tensor(&scale_name)
                    .map_err(|_| bad(FILE, format!("{name} has no {scale_name}")))?;
                if scale.dtype() != Dtype::F32 || scale.shape() != [rows] {
                    return Err(bad(
                        FILE,
                        format!("{scale_name} must be F32 of shape [{rows}]"),
                    ));
                }
                let q = view.data().iter().map(|&b| b as i8).collect();
                int8.insert(
                    name,
                    Int8Matrix {
                        q,
                        scale: f32s(&scale),
                        rows,
                        cols,
                    },
                );
            }
            Dtype::F32 if !name.ends_with(SCALE_SUFFIX) => {
                let t = Tensor::from_vec(f32s(&view), view.shape(), &Device::Cpu)?;
                tensors.insert(name, t);
            }
            Dtype::F32 => {}
            other => return Err(bad(FILE, format!("{name} has unsupported dtype {other:?}"))),
        }
    }
    Ok(LoadedWeights { tensors, int8 })
}
