// A helper Web Worker for ingest: its own wasm instance and MiniLM embedder, embedding the
// batches benefind's worker hands it, so an ingest uses more than one core without
// SharedArrayBuffer (no COOP/COEP headers needed). Messages in: {op: "init", files:
// [weights, tokenizer, config]} then {op: "embed", start, texts}; out: {ok: true, start?,
// vectors?, memoryBytes?} (the batch's `start` echoed, a flat Float32Array, transferred,
// and this helper's wasm memory) or {ok: false, error: {code, message}}.
import { Embedder } from "./benefind_wasm.js";
import { initWasm } from "./loader.js";

/** @type {Embedder | null} */
let embedder = null;
/** This helper's wasm memory (reported with each batch: the ingest's peak memory counts it). */
let memory = null;

self.onmessage = async ({ data }) => {
  try {
    if (data.op === "init") {
      memory = (await initWasm()).memory;
      embedder = new Embedder(data.files[0], data.files[1], data.files[2]);
      self.postMessage({ ok: true });
    } else if (data.op === "embed" && embedder) {
      const vectors = embedder.embed(data.texts);
      self.postMessage({ ok: true, start: data.start, vectors, memoryBytes: memory?.buffer.byteLength }, [vectors.buffer]);
    } else {
      throw new Error(`unknown or early operation ${data.op}`);
    }
  } catch (e) {
    self.postMessage({ ok: false, error: { code: e?.code ?? "INTERNAL", message: e?.message ?? String(e) } });
  }
};
