import type { Query, SearchHit, IngestDoc, IngestReport, EngineStats } from "./benefind_wasm.js";
export type { Query, SearchHit, IngestDoc, IngestReport, EngineStats, Where, SearchMode } from "./benefind_wasm.js";
export { Engine, Embedder, default as initWasm } from "./benefind_wasm.js";

/** Pinned SHA-256 sums of the model files, by file name. */
export declare const MODEL_FILES: Readonly<Record<"model.safetensors" | "tokenizer.json" | "config.json", string>>;

/** Every rejected call rejects with this: `code` is stable (BAD_FILTER, DIMENSION_MISMATCH, BAD_BUNDLE, MODEL_CHECKSUM, …). */
export declare class BenefindError extends Error {
  readonly code: string;
}

export interface ModelFromUrl { baseUrl: string; sha256?: Record<string, string>; }
export interface ModelFromFiles { files: { weights: Uint8Array | ArrayBuffer; tokenizer: Uint8Array | ArrayBuffer; config: Uint8Array | ArrayBuffer }; }
/** Progress while opening (model download, index load) and while ingesting (chunks embedded). */
export interface Progress { phase: "model" | "index" | "ingest"; file?: string; loaded?: number; total?: number; done?: number; }
export interface OpenOptions { model: ModelFromUrl | ModelFromFiles; bundleUrl?: string; onProgress?: (p: Progress) => void; }
export interface OpenInfo extends EngineStats { modelSource: "cache" | "network" | "files"; }

/** A benefits search database running in a dedicated Web Worker. */
export declare class Benefind {
  static open(options: OpenOptions): Promise<Benefind>;
  readonly opened: OpenInfo;
  search(question: string, policy: string): Promise<SearchHit[]>;
  query(query: Query): Promise<SearchHit[]>;
  ingest(docs: IngestDoc[]): Promise<IngestReport>;
  delete(ids: string[]): Promise<number>;
  stats(): Promise<OpenInfo>;
  close(): void;
}
