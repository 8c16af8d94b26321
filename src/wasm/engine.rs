//! `Embedder` and `Engine` for JavaScript: embedding, and a collection searched and
//! ingested in memory.

use js_sys::Float32Array;
use wasm_bindgen::prelude::*;

use super::dto::{answered_to_js, engine_stats, hits_to_js};
use super::{from_js, js_error, to_js};
use crate::{Collection, Embedder, Engine, IngestDoc, ModelFiles, Query};

/// The MiniLM embedder, for JavaScript.
#[wasm_bindgen(js_name = Embedder)]
pub struct JsEmbedder {
    inner: Embedder,
}

#[wasm_bindgen(js_class = Embedder)]
impl JsEmbedder {
    /// Loads the model from the bytes of the weights (`model.int8.safetensors` or
    /// `model.safetensors`), `tokenizer.json` and `config.json`.
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

    /// "int8" or "f32": which weights file was loaded.
    #[wasm_bindgen(getter)]
    pub fn weights(&self) -> String {
        self.inner.precision().as_str().to_string()
    }

    /// The SIMD level of the loaded wasm build: "relaxed-simd", "simd128" or "none".
    #[wasm_bindgen(
        getter,
        unchecked_return_type = "\"relaxed-simd\" | \"simd128\" | \"none\""
    )]
    pub fn simd(&self) -> String {
        super::simd_level().to_string()
    }

    /// Which kernel the dense layers run: "i8-relaxed-dot", "i16-dot", "scalar" (int8
    /// weights) or "f32". In the relaxed build the first two are timed at load and the
    /// faster on this CPU kept.
    #[wasm_bindgen(
        getter,
        js_name = denseKernel,
        unchecked_return_type = "\"i8-relaxed-dot\" | \"i16-dot\" | \"scalar\" | \"f32\""
    )]
    pub fn dense_kernel(&self) -> String {
        self.inner.dense_kernel().to_string()
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

/// The search engine (embedder + collection), for JavaScript. The Web Worker API is
/// built on this.
#[wasm_bindgen(js_name = Engine)]
pub struct JsEngine {
    inner: Engine,
}

#[wasm_bindgen(js_class = Engine)]
impl JsEngine {
    /// Loads the model from its files' bytes and, when given, a bundle (which must have
    /// been built with the same model and dimension).
    #[wasm_bindgen(constructor)]
    pub fn new(
        weights: Vec<u8>,
        tokenizer: Vec<u8>,
        config: Vec<u8>,
        bundle: Option<Vec<u8>>,
    ) -> Result<JsEngine, JsValue> {
        let embedder = model(weights, tokenizer, config)?;
        let inner = match bundle {
            Some(bytes) => {
                let collection =
                    Collection::from_bundle_bytes(&bytes, embedder.model_id(), embedder.dims())
                        .map_err(js_error)?;
                Engine::new(embedder, collection)
            }
            None => Engine::empty(embedder),
        }
        .map_err(js_error)?;
        Ok(Self { inner })
    }

    /// The top 3 chunks of `policy` for a question: `[{id, score, distance, text, metadata, highlights}]`.
    #[wasm_bindgen(unchecked_return_type = "SearchHit[]")]
    pub fn search(&self, question: &str, policy: &str) -> Result<JsValue, JsValue> {
        hits_to_js(&self.inner.search(question, policy).map_err(js_error)?)
    }

    /// The top 3 chunks of `policy` with the answer read from them: `{answer, missing, results}`.
    #[wasm_bindgen(unchecked_return_type = "Answered")]
    pub fn ask(&self, question: &str, policy: &str) -> Result<JsValue, JsValue> {
        answered_to_js(&self.inner.ask(question, policy).map_err(js_error)?)
    }

    /// `{question | vector, k?, where?, mode?}` → hits.
    #[wasm_bindgen(unchecked_return_type = "SearchHit[]")]
    pub fn query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Query")] query: JsValue,
    ) -> Result<JsValue, JsValue> {
        let query: Query = from_js(query, "query")?;
        hits_to_js(&self.inner.query(&query).map_err(js_error)?)
    }

    /// Chunks, embeds and adds `[{text, policy, source?, id?, ...metadata}]`, all or nothing.
    #[wasm_bindgen(unchecked_return_type = "IngestReport")]
    /// `onProgress(done, total)`, if given, is called after each embedded batch of chunks.
    pub fn ingest(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "IngestDoc[]")] docs: JsValue,
        on_progress: Option<js_sys::Function>,
    ) -> Result<JsValue, JsValue> {
        let docs: Vec<IngestDoc> = from_js(docs, "documents")?;
        let mut progress = |done: usize, total: usize| {
            if let Some(f) = &on_progress {
                // A throwing progress callback must not abort the ingest half-way.
                let _ = f.call2(&JsValue::NULL, &done.into(), &total.into());
            }
        };
        to_js(
            &self
                .inner
                .ingest_with_progress(&docs, &mut progress)
                .map_err(js_error)?,
        )
    }

    /// Deletes chunks by id (or every chunk of a document id); returns how many.
    pub fn delete(&mut self, ids: Vec<String>) -> usize {
        self.inner.collection_mut().delete(&ids)
    }

    /// `{modelId, dims, chunks, policies: {policy: count}, graphRows, exactRows}`.
    #[wasm_bindgen(unchecked_return_type = "EngineStats")]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        to_js(&engine_stats(&self.inner))
    }
}

pub(crate) fn model(
    weights: Vec<u8>,
    tokenizer: Vec<u8>,
    config: Vec<u8>,
) -> Result<Embedder, JsValue> {
    Embedder::from_files(ModelFiles {
        weights,
        tokenizer,
        config,
    })
    .map_err(js_error)
}
