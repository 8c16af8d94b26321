//! The JavaScript boundary: the only module that knows about `JsValue`. It wraps core
//! types in newtypes, converts arguments and results, and turns every [`Error`] into a
//! JS `Error` carrying a stable `code` property (wasm-bindgen's `JsError` keeps only the
//! message, so the code is set here, once).

use js_sys::{Float32Array, Reflect};
use wasm_bindgen::prelude::*;

use crate::{Embedder, Error, ModelFiles};

/// Reports panics to the console instead of "unreachable executed"; none should happen
/// on any input, but if one does the message must say where.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Converts a core error into a JS `Error` with `code` and `message`.
fn js_error(error: Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("BenefindError");
    // Reflect::set on a fresh Error object cannot fail; ignore the impossible case.
    let _ = Reflect::set(&js, &"code".into(), &error.code().into());
    js.into()
}

/// The MiniLM embedder, for JavaScript.
#[wasm_bindgen(js_name = Embedder)]
pub struct JsEmbedder {
    inner: Embedder,
}

#[wasm_bindgen(js_class = Embedder)]
impl JsEmbedder {
    /// Loads the model from the bytes of `model.safetensors`, `tokenizer.json` and `config.json`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        weights: Vec<u8>,
        tokenizer: Vec<u8>,
        config: Vec<u8>,
    ) -> Result<JsEmbedder, JsValue> {
        let inner = Embedder::from_files(ModelFiles {
            weights,
            tokenizer,
            config,
        })
        .map_err(js_error)?;
        Ok(Self { inner })
    }

    /// "sentence-transformers/all-MiniLM-L6-v2".
    #[wasm_bindgen(getter, js_name = modelId)]
    pub fn model_id(&self) -> String {
        self.inner.model_id().to_string()
    }

    /// Vector length (384).
    #[wasm_bindgen(getter)]
    pub fn dims(&self) -> usize {
        self.inner.dims()
    }

    /// Embeds one text into a unit-length `Float32Array`.
    #[wasm_bindgen(js_name = embedOne)]
    pub fn embed_one(&self, text: &str) -> Result<Float32Array, JsValue> {
        let v = self.inner.embed_one(text).map_err(js_error)?;
        Ok(Float32Array::from(v.as_slice()))
    }

    /// Embeds many texts; returns one flat `Float32Array` of `texts.length × dims` values.
    pub fn embed(&self, texts: Vec<String>) -> Result<Float32Array, JsValue> {
        let vectors = self.inner.embed(&texts).map_err(js_error)?;
        let flat: Vec<f32> = vectors.into_iter().flatten().collect();
        Ok(Float32Array::from(flat.as_slice()))
    }

    /// Tokens in `text` before truncation, special tokens included.
    #[wasm_bindgen(js_name = countTokens)]
    pub fn count_tokens(&self, text: &str) -> Result<usize, JsValue> {
        self.inner.count_tokens(text).map_err(js_error)
    }
}
