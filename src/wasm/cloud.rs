//! `CloudIndex` for JavaScript: the same search over benefind's signing proxy, reached
//! with the global `fetch`.

use std::rc::Rc;

use js_sys::{Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use super::dto::{answered_to_js, hits_to_js};
use super::{from_js, js_error, progress_callback, to_js};
use crate::{Error, IngestDoc, Query};

/// The proxy, reached with the global `fetch` (window or worker).
struct FetchTransport {
    base: String,
    token: String,
}

impl FetchTransport {
    async fn send(&self, path: &str, body: String) -> Result<(u16, String), JsValue> {
        let global = js_sys::global();
        let fetch: js_sys::Function = Reflect::get(&global, &"fetch".into())?.dyn_into()?;
        let headers = js_sys::Object::new();
        Reflect::set(
            &headers,
            &"authorization".into(),
            &format!("Bearer {}", self.token).into(),
        )?;
        Reflect::set(&headers, &"content-type".into(), &"application/json".into())?;
        let init = js_sys::Object::new();
        Reflect::set(&init, &"method".into(), &"POST".into())?;
        Reflect::set(&init, &"headers".into(), &headers)?;
        Reflect::set(&init, &"body".into(), &body.into())?;
        let url = format!("{}{path}", self.base);
        let response = wasm_bindgen_futures::JsFuture::from(Promise::from(fetch.call2(
            &global,
            &url.into(),
            &init,
        )?))
        .await?;
        let status = Reflect::get(&response, &"status".into())?
            .as_f64()
            .unwrap_or(0.0) as u16;
        let text_fn: js_sys::Function = Reflect::get(&response, &"text".into())?.dyn_into()?;
        let text = wasm_bindgen_futures::JsFuture::from(Promise::from(text_fn.call0(&response)?))
            .await?
            .as_string()
            .unwrap_or_default();
        Ok((status, text))
    }
}

impl crate::cloud::Transport for FetchTransport {
    async fn post(&self, path: &str, body: String) -> crate::Result<(u16, String)> {
        self.send(path, body).await.map_err(|e| {
            let what = Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| format!("{e:?}"));
            Error::Network(format!("{}: {what}", self.base))
        })
    }
}

/// The cloud backend: the same search API over benefind-proxy (Titan V2 + S3 Vectors).
#[wasm_bindgen(js_name = CloudIndex)]
pub struct JsCloudIndex {
    client: Rc<crate::cloud::CloudClient<FetchTransport>>,
    tokens: Option<Rc<crate::embed::TokenLength>>,
}

#[wasm_bindgen(js_class = CloudIndex)]
impl JsCloudIndex {
    /// `proxyUrl` (origin), bearer `token`; `tokenizer` (tokenizer.json bytes) is needed
    /// only to chunk documents for `ingest`; `expectModel`/`expectDims` pin the index's
    /// embedding model (answers from another fail with MODEL_MISMATCH/DIMENSION_MISMATCH).
    #[wasm_bindgen(constructor)]
    pub fn new(
        proxy_url: String,
        token: String,
        tokenizer: Option<Vec<u8>>,
        expect_model: Option<String>,
        expect_dims: Option<usize>,
    ) -> Result<JsCloudIndex, JsValue> {
        if !(proxy_url.starts_with("https://") || proxy_url.starts_with("http://")) {
            return Err(js_error(Error::InvalidInput(format!(
                "proxyUrl {proxy_url:?} is not an http(s) URL"
            ))));
        }
        let expected = match (expect_model, expect_dims) {
            (Some(model), Some(dims)) => Some(crate::cloud::Contract { model, dims }),
            (None, None) => None,
            _ => {
                return Err(js_error(Error::InvalidInput(
                    "give both expectModel and expectDims, or neither".into(),
                )))
            }
        };
        let tokens = tokenizer
            .map(|t| crate::embed::TokenLength::from_bytes(&t).map(Rc::new))
            .transpose()
            .map_err(js_error)?;
        let transport = FetchTransport {
            base: proxy_url.trim_end_matches('/').to_string(),
            token,
        };
        Ok(Self {
            client: Rc::new(crate::cloud::CloudClient::new(transport, expected)),
            tokens,
        })
    }

    /// The top 3 chunks of `policy` for a question.
    #[wasm_bindgen(unchecked_return_type = "Promise<SearchHit[]>")]
    pub fn search(&self, question: String, policy: String) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            hits_to_js(&client.search(&question, &policy).await.map_err(js_error)?)
        })
    }

    /// The top 3 chunks of `policy` with the answer read from them (word evidence only:
    /// see `CloudClient::ask`).
    #[wasm_bindgen(unchecked_return_type = "Promise<Answered>")]
    pub fn ask(&self, question: String, policy: String) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            answered_to_js(&client.ask(&question, &policy).await.map_err(js_error)?)
        })
    }

    /// [`ask`](Self::ask) for a general query.
    #[wasm_bindgen(js_name = askQuery, unchecked_return_type = "Promise<Answered>")]
    pub fn ask_query(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Query")] query: JsValue,
    ) -> Promise {
        let client = self.client.clone();
        let query: Result<Query, JsValue> = from_js(query, "query");
        future_to_promise(async move {
            answered_to_js(&client.ask_query(&query?).await.map_err(js_error)?)
        })
    }

    /// `{question | vector, k?, where?, mode?}` → hits: a question ranks hybrid (S3
    /// Vectors' best re-ranked with their words by the proxy) unless `mode: "vector"`.
    #[wasm_bindgen(unchecked_return_type = "Promise<SearchHit[]>")]
    pub fn query(&self, #[wasm_bindgen(unchecked_param_type = "Query")] query: JsValue) -> Promise {
        let client = self.client.clone();
        let query: Result<Query, JsValue> = from_js(query, "query");
        future_to_promise(
            async move { hits_to_js(&client.query(&query?).await.map_err(js_error)?) },
        )
    }

    /// Chunks documents (as the local engine does; a document without `id` gets a stable
    /// `doc-…` id) and upserts the chunks, which the proxy embeds. Resolves to an
    /// IngestReport (`replaced` is 0: S3 Vectors does not say which keys existed).
    /// Re-sending the same documents overwrites, never duplicates.
    #[wasm_bindgen(unchecked_return_type = "Promise<IngestReport>")]
    pub fn ingest(
        &self,
        #[wasm_bindgen(unchecked_param_type = "IngestDoc[]")] docs: JsValue,
        on_progress: Option<js_sys::Function>,
    ) -> Promise {
        let client = self.client.clone();
        let tokens = self.tokens.clone();
        let docs: Result<Vec<IngestDoc>, JsValue> = from_js(docs, "documents");
        future_to_promise(async move {
            let tokens = tokens.ok_or_else(|| {
                js_error(Error::InvalidInput(
                    "cloud ingest chunks documents with the model's tokenizer: open with model: {baseUrl}".into(),
                ))
            })?;
            let mut docs = docs?;
            for d in &mut docs {
                if d.id.is_none() {
                    d.id = Some(crate::store::document_id(d.policy.trim(), &d.text));
                    d.source.get_or_insert_with(|| "added document".into());
                }
            }
            let records = crate::engine::chunk_docs(
                &docs,
                tokens.as_ref(),
                &crate::chunk::ChunkOptions::default(),
                &mut |_| 0,
            )
            .map_err(js_error)?;
            let mut progress = progress_callback(on_progress);
            let n = client
                .upsert(&records, &mut progress)
                .await
                .map_err(js_error)?;
            let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
            to_js(&serde_json::json!({ "chunks": n, "replaced": 0, "ids": ids }))
        })
    }

    /// Deletes chunks by key; resolves to how many keys were sent.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn delete(&self, keys: Vec<String>) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            Ok(JsValue::from(client.delete(&keys).await.map_err(js_error)?))
        })
    }

    /// `{model, dims}` of the index once an answer named them (or as pinned), else null.
    #[wasm_bindgen(getter, unchecked_return_type = "{model: string, dims: number} | null")]
    pub fn contract(&self) -> Result<JsValue, JsValue> {
        match self.client.contract() {
            Some(c) => to_js(&serde_json::json!({"model": c.model, "dims": c.dims})),
            None => Ok(JsValue::NULL),
        }
    }
}
