//! The shapes JavaScript sees, and their TypeScript declarations.
//!
//! The declarations are written here by hand, beside the code that builds the objects,
//! and held to them by test: the engine-api and benefind-api browser tests compare the
//! keys of real results, reports and stats in each engine with the interfaces in the
//! generated `benefind_wasm.d.ts` (`tests/browser/dto-shapes.mjs`), and fail on a field
//! returned but not declared or declared but not returned. (`tsify` would generate them,
//! but from the serde types, while several shapes are JSON built in `engine_stats` and the
//! store; a second derive stack for the same answer.)

use wasm_bindgen::prelude::*;

use super::to_js;
use crate::{Answered, Engine, SearchHit};

/// A search hit as JS sees it: highlight ranges in UTF-16 code units (JS string indices)
/// instead of the core's UTF-8 byte offsets.
#[derive(serde::Serialize)]
struct HitDto<'a> {
    id: &'a str,
    score: f32,
    distance: f32,
    text: &'a str,
    metadata: &'a serde_json::Map<String, serde_json::Value>,
    highlights: Vec<[usize; 2]>,
}

impl<'a> From<&'a SearchHit> for HitDto<'a> {
    fn from(h: &'a SearchHit) -> Self {
        let utf16 = |byte: usize| utf16_index(&h.text, byte);
        HitDto {
            id: &h.id,
            score: h.score,
            distance: h.distance,
            text: &h.text,
            metadata: &h.metadata,
            highlights: h
                .highlights
                .iter()
                .map(|&(s, e)| [utf16(s), utf16(e)])
                .collect(),
        }
    }
}

/// The JS string index (UTF-16 code units) of byte offset `byte` of `text`.
fn utf16_index(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |s| s.encode_utf16().count())
}

pub(crate) fn hits_to_js(hits: &[SearchHit]) -> Result<JsValue, JsValue> {
    to_js(&hits.iter().map(HitDto::from).collect::<Vec<_>>())
}

/// The answer's span in UTF-16 code units of its passage's text (JS string indices).
#[derive(serde::Serialize)]
struct AnswerDto<'a> {
    text: &'a str,
    id: &'a str,
    start: usize,
    end: usize,
    label: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct AnsweredDto<'a> {
    answer: Option<AnswerDto<'a>>,
    missing: &'a [String],
    results: Vec<HitDto<'a>>,
}

pub(crate) fn answered_to_js(a: &Answered) -> Result<JsValue, JsValue> {
    let answer = a.answer.as_ref().map(|ans| {
        let text = a
            .results
            .iter()
            .find(|h| h.id == ans.id)
            .map_or("", |h| h.text.as_str());
        let utf16 = |byte: usize| utf16_index(text, byte);
        AnswerDto {
            text: &ans.text,
            id: &ans.id,
            start: utf16(ans.start),
            end: utf16(ans.end),
            label: ans.label.as_deref(),
        }
    });
    to_js(&AnsweredDto {
        answer,
        missing: &a.missing,
        results: a.results.iter().map(HitDto::from).collect(),
    })
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A where-filter in ChromaDB / S3 Vectors syntax, e.g. `{policy: "PPO_PLUS", chunk_index: {$lt: 5}}`. */
export type Where = { [field: string]: unknown };
/** vector: MiniLM only; keyword: BM25 only; hybrid (default): both, fused by normalised score. */
export type SearchMode = "vector" | "keyword" | "hybrid";
/** A query: exactly one of `question` or `vector` (384 numbers). `k` defaults to 3 (max 100). */
export interface Query { question?: string; vector?: number[]; k?: number; where?: Where; mode?: SearchMode; }
/** One result. `score` is the cosine similarity, `distance` 1 − score, `highlights` JS string ranges of matched words. */
export interface SearchHit { id: string; score: number; distance: number; text: string; metadata: Record<string, unknown>; highlights: [number, number][]; }
/** The sentence, list item or table line that answers a question: `text` is `results[i].text.slice(start, end)` for the result whose `id` it names. */
export interface Answer { text: string; id: string; start: number; end: number; /** When `text` is one cell of a table row ("What You Will Pay — Network Provider: No charge"): the row's label line, which says what the cell is for ("Services You May Need: Preventive care/screening/immunization"); when it is a row of a Markdown table: the table's header line ("| Tier | Retail | Mail order |"); null otherwise. */ label: string | null; }
/** `answer` is null when the plan's documents do not answer; `missing` then names the question's topic words no result mentions. `results` are the passages, best first (when abstaining: the closest topics found). */
export interface Answered { answer: Answer | null; missing: string[]; results: SearchHit[]; }
/** A document to ingest: `text` (plain or Markdown) or `layout` (a read PDF); extra fields become metadata of every chunk. */
export type IngestDoc = ({ text: string; layout?: undefined } | { layout: Layout; text?: undefined }) & { policy: string; source?: string; id?: string; [metadata: string]: unknown };
/** A document read with its pages: headings, paragraphs and table rows (`[header, value]` cells). */
export interface Layout { pages: number; blocks: ({ kind: "heading"; level: number; text: string; page: number } | { kind: "paragraph"; text: string; page: number } | { kind: "row"; cells: [string, string][]; page: number })[]; }
export interface IngestReport { chunks: number; replaced: number; ids: string[]; /** How many workers embedded the chunks (the database's worker plus helpers, one per further core); local databases in the worker only. */ workers?: number; /** The helper workers' wasm memory at its largest during this ingest, summed (0 without helpers). */ helperMemoryBytes?: number; }
/** A document the member added, as listed by `documents()`. */
export interface AddedDocument { id: string; policy: string; source: string; chunks: number; }
/** What `Database.open` found: where the base bundle came from, chunks restored from storage, records that failed their checks. */
export interface OpenReport { base: "none" | "stored" | "imported" | "updated"; restored: number; corrupt: string[]; }
/** Storage figures of a persistent database. */
export interface StoreStats { storedBytes: number; journalChunks: number; tombstones: number; textsEmbedded: number; /** Ingested chunks whose sentences' vectors the worker is still embedding in the background (answers to them embed a passage's sentences when asked until then). */ unitsPending: number; open: OpenReport; }
/** Engine and storage figures. `storage` is "memory" when the browser refused IndexedDB (`storageError` says how): nothing is kept after the page closes. */
export interface DatabaseStats extends EngineStats, StoreStats { storage: "indexedDB" | "memory"; storageError?: string; }
export interface EngineStats { modelId: string; dims: number; chunks: number; policies: Record<string, number>; graphRows: number; exactRows: number; /** Which weights file the embedder runs: model.int8.safetensors or model.safetensors. */ weights: "int8" | "f32"; /** The wasm build's SIMD level: "relaxed-simd" (where the engine has relaxed SIMD; `denseKernel` says whether its 8-bit dot products run), "simd128", or "none". */ simd: "relaxed-simd" | "simd128" | "none"; /** The dense layers' kernel: "i8-relaxed-dot" or "i16-dot" with int8 weights (the relaxed build times both at load and keeps the faster on this CPU), "scalar" in the no-SIMD build, "f32" with f32 weights. */ denseKernel: "i8-relaxed-dot" | "i16-dot" | "scalar" | "f32"; }
"#;

pub(crate) fn engine_stats(engine: &Engine) -> serde_json::Value {
    let c = engine.collection();
    let (graph_rows, exact_rows) = c.segment_sizes();
    serde_json::json!({
        "modelId": c.model_id(),
        "dims": c.dims(),
        "chunks": c.len(),
        "policies": c.counts_by_policy(),
        "graphRows": graph_rows,
        "exactRows": exact_rows,
        "weights": engine.embedder().precision().as_str(),
        "simd": super::simd_level(),
        "denseKernel": engine.embedder().dense_kernel(),
    })
}
