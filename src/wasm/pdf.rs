//! The PDF module's JS boundary (`pkg/benefind_pdf.js`, built with feature `pdf-module`):
//! `PdfFile` reads a PDF's pages one call at a time, so the worker can report progress
//! and stop between pages, then hands back the layout the main module's `ingest` takes
//! as `IngestDoc.layout`.

use wasm_bindgen::prelude::*;

use super::{js_error, to_js};
use crate::pdf::{PdfLimits, PdfReader};
use crate::Error;

/// A PDF being read.
#[wasm_bindgen]
pub struct PdfFile(Option<PdfReader>);

#[wasm_bindgen]
impl PdfFile {
    /// Opens `bytes` (the file name appears in errors). Rejects with `PDF_INVALID`,
    /// `PDF_ENCRYPTED` or `PDF_TOO_LARGE`.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], name: &str) -> Result<PdfFile, JsValue> {
        PdfReader::open(bytes, name, PdfLimits::default())
            .map(|r| PdfFile(Some(r)))
            .map_err(|e| js_error(e.into()))
    }

    fn reader(&mut self) -> Result<&mut PdfReader, JsValue> {
        self.0
            .as_mut()
            .ok_or_else(|| js_error(Error::InvalidInput("this PDF was already finished".into())))
    }

    /// Pages in the file.
    #[wasm_bindgen(getter)]
    pub fn pages(&self) -> u32 {
        self.0.as_ref().map_or(0, PdfReader::pages)
    }

    /// Reads the next page; `false` once every page is read.
    #[wasm_bindgen(js_name = readNextPage)]
    pub fn read_next_page(&mut self) -> Result<bool, JsValue> {
        self.reader()?
            .read_next_page()
            .map_err(|e| js_error(e.into()))
    }

    /// The document's layout (`{pages, blocks}`); rejects with `PDF_NO_TEXT` for a scan.
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        let reader = self
            .0
            .take()
            .ok_or_else(|| js_error(Error::InvalidInput("this PDF was already finished".into())))?;
        let layout = reader.finish().map_err(|e| js_error(e.into()))?;
        to_js(&layout)
    }
}
