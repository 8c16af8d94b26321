// A helper Web Worker for ingest: its own wasm instance and MiniLM embedder, embedding the
// batches benefind's worker hands it, so an ingest uses more than one core without
// SharedArrayBuffer (no COOP/COEP headers needed). The page starts it and hands it a
// MessagePort to benefind's worker ({op: "connect"}, the port transferred); everything
// else comes over that port. Messages in: {op: "init", files: [weights, tokenizer,
// config]} then {op: "embed", start, texts}; out: {ok: true, start?, vectors?,
// memoryBytes?} (the batch's `start` echoed, a flat Float32Array, transferred, and this
// helper's wasm memory) or {ok: false, error: {code, message}}.
import { Embedder } from "./benefind_wasm.js";
import { initWasm } from "./loader.js";

/** @type {Embedder | null} */
let embedder = null;
/** This helper's wasm memory (reported with each batch: the ingest's peak memory counts it). */
let memory = null;

/** Answers one message of benefind's worker on `port`. */
async function answer(port, data) {
  try {
    if (data.op === "init") {
      memory = (await initWasm()).memory;
      embedder = new Embedder(data.files[0], data.files[1], data.files[2]);
      port.postMessage({ ok: true });
    } else if (data.op === "embed" && embedder) {
      const vectors = embedder.embed(data.texts);
      port.postMessage({ ok: true, start: data.start, vectors, memoryBytes: memory?.buffer.byteLength }, [vectors.buffer]);
    } else {
      throw new Error(`unknown or early operation ${data.op}`);
    }
  } catch (e) {
    port.postMessage({ ok: false, error: { code: e?.code ?? "INTERNAL", message: e?.message ?? String(e) } });
  }
}

self.onmessage = ({ data, ports }) => {
  if (data?.op !== "connect" || !ports[0]) return;
  const port = ports[0];
  port.onmessage = (e) => answer(port, e.data);
};
