//! The JavaScript boundary: the only module that knows about `JsValue`. It wraps core
//! types in newtypes, converts arguments and results, and turns every [`Error`] into a
//! JS `Error` carrying a stable `code` property (wasm-bindgen's `JsError` keeps only the
//! message, so the code is set here, once).
//!
//! - `engine`: `Embedder` and `Engine` (embed, search, ingest in memory);
//! - `database`: `Database` (the engine persisted in IndexedDB, one operation at a time);
//! - `cloud`: `CloudIndex` (the same search over the signing proxy, with `fetch`);
//! - `dto`: the shapes JS sees (hits with UTF-16 highlight ranges, stats) and their
//!   TypeScript declarations.

mod cloud;
mod database;
mod dto;
mod engine;

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::Error;

/// Reports panics to the console instead of "unreachable executed"; none should happen
/// on any input, but if one does the message must say where.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Converts a core error into a JS `Error` with `code` and `message`.
pub(crate) fn js_error(error: Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("BenefindError");
    // Reflect::set on a fresh Error object cannot fail; ignore the impossible case.
    let _ = Reflect::set(&js, &"code".into(), &error.code().as_str().into());
    js.into()
}

/// Converts a core result to a plain JS value (objects, not `Map`s).
pub(crate) fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(Error::InvalidInput(e.to_string())))
}

/// Reads a JS argument into a core type, naming what was expected on failure.
///
/// Goes through `serde_json::Value`: serde-wasm-bindgen reads only the fields a struct
/// names, so a misspelt option (`wher`) would be ignored silently; serde_json sees every
/// key and honours `deny_unknown_fields`.
pub(crate) fn from_js<T: serde::de::DeserializeOwned>(
    value: JsValue,
    what: &str,
) -> Result<T, JsValue> {
    let bad = |e: &dyn std::fmt::Display| js_error(Error::InvalidInput(format!("{what}: {e}")));
    let json: serde_json::Value = serde_wasm_bindgen::from_value(value).map_err(|e| bad(&e))?;
    serde_json::from_value(json).map_err(|e| bad(&e))
}

/// Calls `onProgress(done, total)` when given; a throwing callback must not abort the
/// work half-way, so its exceptions are dropped.
pub(crate) fn progress_callback(on_progress: Option<js_sys::Function>) -> impl FnMut(usize, usize) {
    move |done, total| {
        if let Some(f) = &on_progress {
            let _ = f.call2(&JsValue::NULL, &done.into(), &total.into());
        }
    }
}
