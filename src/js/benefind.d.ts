import type { Answered, Query, SearchHit, IngestDoc, IngestReport, DatabaseStats, AddedDocument } from "./benefind_wasm.js";
export type { Answer, Answered, Query, SearchHit, IngestDoc, IngestReport, EngineStats, DatabaseStats, StoreStats, OpenReport, AddedDocument, Where, SearchMode, Layout } from "./benefind_wasm.js";
export { Engine, Embedder, Database, CloudIndex } from "./benefind_wasm.js";
import type { InitInput, InitOutput } from "./benefind_wasm.js";
/** Initialises the wasm module (once); by default the build for this engine (`wasmUrl()`). */
export function initWasm(input?: { module_or_path: InitInput | Promise<InitInput> }): Promise<InitOutput>;
/** Whether this engine has WebAssembly relaxed SIMD (then the relaxed-SIMD build loads). */
export function hasRelaxedSimd(): boolean;
/** The URL of the wasm build for this engine: benefind_wasm_relaxed_bg.wasm or benefind_wasm_bg.wasm. */
export function wasmUrl(): URL;

/** The default model files (int8 weights) and their pinned SHA-256 sums. */
export declare const MODEL_FILES: Readonly<Record<"model.int8.safetensors" | "tokenizer.json" | "config.json", string>>;
/** The f32 weights' files (`model: {weights: "f32"}`). */
export declare const MODEL_FILES_F32: Readonly<Record<"model.safetensors" | "tokenizer.json" | "config.json", string>>;
/** The IndexedDB database name used when `open()` is given none ("benefind"). */
export declare const DEFAULT_DB_NAME: string;

/**
 * The stable error codes, one list with the Rust `ErrorCode` enum (src/error.rs, where
 * each is documented): the core's, the worker's, the JS layer's and, on the cloud path,
 * the proxy's. tests/error_codes.rs fails when this list and Rust's differ.
 */
export type ErrorCode =
  | "MODEL_MISSING"
  | "MODEL_INVALID"
  | "MODEL_MISMATCH"
  | "MODEL_CHECKSUM"
  | "TOKENIZER"
  | "INFERENCE"
  | "DIMENSION_MISMATCH"
  | "INVALID_INPUT"
  | "BAD_FILTER"
  | "BAD_BUNDLE"
  | "PDF_INVALID"
  | "PDF_ENCRYPTED"
  | "PDF_NO_TEXT"
  | "PDF_TOO_LARGE"
  | "QUOTA_EXCEEDED"
  | "STORE_CORRUPT"
  | "STORAGE"
  | "DB_BLOCKED"
  | "DB_CLOSED"
  | "BUSY"
  | "CLOSED"
  | "CANCELLED"
  | "NOT_OPEN"
  | "NOT_SUPPORTED"
  | "WORKER"
  | "INTERNAL"
  | "NETWORK"
  | "BAD_RESPONSE"
  | "CLOUD"
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "PAYLOAD_TOO_LARGE"
  | "RATE_LIMITED"
  | "REQUEST_TIMEOUT"
  | "OVERLOADED"
  | "UPSTREAM_REJECTED"
  | "UPSTREAM_THROTTLED"
  | "UPSTREAM_UNAVAILABLE"
  | "UPSTREAM_TIMEOUT"
  | "UPSTREAM_ERROR"
  | "UPSTREAM_FORBIDDEN";

/** Every rejected call rejects with this; branch on `code`, which is stable. */
export declare class BenefindError extends Error {
  readonly code: ErrorCode;
  /** Seconds to wait before retrying, when the service said (throttling, rate limits). */
  retryAfter?: number;
}

/** A passage the cloud path retrieved for a written answer (S3 Vectors' naming). */
export interface CloudPassage {
  key: string;
  /** Cosine distance (1 − similarity). */
  distance?: number;
  /** The passage's fields; its text is `chunk`. */
  metadata?: { chunk?: string; policy?: string; source?: string; page?: number; section?: string; [key: string]: unknown };
}

/** `generate()`'s answer: written by the proxy's model, checked before it is returned. */
export interface GeneratedAnswer {
  /** The answer with `[n]` citations (passage n of `passages`); "I couldn't find this in your plan's documents." when the model's answer was not grounded; the guardrail's message when it intervened. */
  answer: string;
  /** Whether `answer` is the model's and every citation names a retrieved passage whose figures it repeats. */
  grounded: boolean;
  /** In order of first use; empty unless grounded. */
  citations: { n: number; key: string; quote: string }[];
  /** Retrieved passages, best first; empty when the guardrail intervened. */
  passages: CloudPassage[];
  guardrail: { action: "NONE" | "GUARDRAIL_INTERVENED"; source?: "input" | "output" };
  usage: { bedrockCalls: number; inputTokens: number; outputTokens: number; firstTokenMs?: number; totalMs: number };
  /** The generation model. */
  model: string;
}

/** What `generate()` reports while the answer is written. */
export type AnswerEvent =
  | { event: "passages"; data: { passages: CloudPassage[] } }
  | { event: "delta"; data: { text: string } }
  | { event: "guardrail"; data: { action: "GUARDRAIL_INTERVENED"; source: "output"; message: string } };

export interface ModelFromUrl {
  baseUrl: string;
  /** "int8" (default: model.int8.safetensors, 23 MB, cosine ≥ 0.995 to f32) or "f32" (model.safetensors, 91 MB). */
  weights?: "int8" | "f32";
  /** Files to fetch and their SHA-256 sums, weights first (overrides `weights`). */
  sha256?: Record<string, string>;
}
export interface ModelFromFiles { files: { weights: Uint8Array | ArrayBuffer; tokenizer: Uint8Array | ArrayBuffer; config: Uint8Array | ArrayBuffer }; }
/** Progress while opening (model download, index load) and while ingesting (PDF pages read, chunks embedded). */
export interface Progress { /** "store": the ingest's `total` passages are being written. */ phase: "model" | "index" | "pdf" | "ingest" | "store"; file?: string; loaded?: number; total?: number; done?: number; /** phase "pdf": pages read so far, of `pages`. */ page?: number; pages?: number; }
/**
 * A PDF to ingest: its bytes, read in the worker by the PDF module (loaded on the first
 * PDF). Chunks carry `page` and `source` (the file name); SBC table rows are chunks of
 * their own. Rejects with PDF_INVALID, PDF_ENCRYPTED, PDF_NO_TEXT or PDF_TOO_LARGE.
 */
export interface PdfDoc { pdf: File | Blob | ArrayBuffer | Uint8Array; /** File name (a File's own by default). */ name?: string; policy: string; source?: string; id?: string; [metadata: string]: unknown; }
export interface IngestOptions { /** Aborting rejects with CANCELLED; nothing is added. */ signal?: AbortSignal; }
/** The cloud path: benefind-proxy in front of Bedrock Titan V2 + S3 Vectors. */
export interface CloudOptions {
  /** The proxy's origin, e.g. "https://benefind-proxy.intranet.example". */
  proxyUrl: string;
  /** A bearer token the proxy knows (role search, or ingest to add documents). */
  token: string;
  /** Pin the index's model: answers from another model or size fail with MODEL_MISMATCH / DIMENSION_MISMATCH. */
  expect?: { model: string; dims: number };
}
export interface OpenOptions {
  /** Required for local search; with `cloud`, optional (its tokenizer chunks documents for ingest). */
  model?: ModelFromUrl | ModelFromFiles;
  /** Search a cloud index through benefind-proxy instead of a local one (not together with bundleUrl). */
  cloud?: CloudOptions;
  /** The prebuilt bundle; stored on first use, replaced when its bytes change, used from storage when offline. */
  bundleUrl?: string;
  /** IndexedDB database name (default "benefind"). */
  dbName?: string;
  onProgress?: (p: Progress) => void;
  /**
   * How many workers embed during an ingest: the database's worker plus helper workers,
   * each with its own wasm instance and model copy (about 60 MB each). Default: one per
   * core (`navigator.hardwareConcurrency`), at most 4; 1 embeds in the database's worker only.
   */
  ingestWorkers?: number;
  /**
   * After how long a running operation is reported on the console (a warning naming the
   * operation, its step and the IndexedDB request it waits for), and again as often while
   * it runs (default 30000): what tells a slow browser from a stuck one.
   */
  slowOperationMs?: number;
  /** How long to wait for other tabs to release an old version of the database before failing with DB_BLOCKED (default 15000). */
  blockedTimeoutMs?: number;
  /**
   * Also ask the browser to keep the data under storage pressure, without waiting for
   * its answer (default false; Firefox shows a prompt). `db.persist()` asks on demand.
   */
  persist?: boolean;
}
export interface Stats extends DatabaseStats {
  /** "network-uncached": downloaded but could not be cached (storage full). */
  modelSource: "cache" | "network" | "network-uncached" | "files";
  dbName: string;
  /** "network" when the bundle was fetched, "offline" when the stored copy was used. */
  bundleFetch?: "network" | "offline";
  /** navigator.storage.estimate() of the whole origin, in bytes. */
  usage?: number;
  quota?: number;
  /** Whether the browser keeps the data under storage pressure (`navigator.storage.persisted()`; false for "memory"). */
  persisted: boolean;
  /** The worker's WebAssembly memory (model, vectors, graphs), in bytes. */
  wasmMemoryBytes: number;
}
/** stats() of a cloud-mode database. */
export interface CloudStats {
  mode: "cloud";
  proxyUrl: string;
  /** The index's model and size, once an answer named them. */
  contract: { model: string; dims: number } | null;
  wasmMemoryBytes: number;
}
/** What open() found: the stats at open. */
export type OpenInfo = Stats;

/** A benefits search database running in a dedicated Web Worker, stored in IndexedDB. */
export declare class Benefind {
  static open(options: OpenOptions): Promise<Benefind>;
  /** Deletes a database without opening it (e.g. after open() failed with MODEL_MISMATCH or STORE_CORRUPT). */
  static deleteDatabase(dbName?: string): Promise<void>;
  readonly opened: OpenInfo;
  /**
   * Asks the browser to keep this origin's data (`navigator.storage.persist()`); resolves
   * to whether it will. Firefox asks the member first and settles only when they answer:
   * never make other work wait for it.
   */
  persist(): Promise<boolean>;
  search(question: string, policy: string): Promise<SearchHit[]>;
  /**
   * `search` with the answer read from the results: the sentence, list item or table line
   * that answers, with its passage id and JS string offsets, or `answer: null` when the
   * plan's documents do not answer (`missing` names what they never mention).
   */
  ask(question: string, policy: string): Promise<Answered>;
  /** The same for a general query (`{question, k?, where?, mode?}`). */
  ask(query: Query): Promise<Answered>;
  query(query: Query): Promise<SearchHit[]>;
  /**
   * Cloud only (`NOT_SUPPORTED` offline, where `ask()` answers): a written answer from
   * `policy`'s passages, streamed through `onEvent`, with `k` passages (default 5).
   */
  generate(question: string, policy: string, options?: { onEvent?: (e: AnswerEvent) => void; k?: number }): Promise<GeneratedAnswer>;
  ingest(docs: (IngestDoc | PdfDoc)[], onProgress?: (p: Progress) => void, options?: IngestOptions): Promise<IngestReport>;
  delete(ids: string[]): Promise<number>;
  documents(): Promise<AddedDocument[]>;
  stats(): Promise<Stats | CloudStats>;
  clear(): Promise<void>;
  close(): void;
}
