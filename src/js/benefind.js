// benefind's JS API: `const db = await Benefind.open({...})`, then search / query / ingest
// / delete / stats / close. Every call is forwarded to a dedicated Web Worker (worker.js)
// that runs the wasm engine, so the page never blocks on the model or the index.
import { BenefindError, MODEL_FILES } from "./model.js";

export { BenefindError, MODEL_FILES };
export { Engine, Embedder, default as initWasm } from "./benefind_wasm.js";

export class Benefind {
  #worker;
  #pending = new Map();
  #next = 1;
  #onProgress;

  constructor(worker, onProgress) {
    this.#worker = worker;
    this.#onProgress = onProgress;
    worker.onmessage = ({ data }) => {
      if (data.type === "progress") { this.#onProgress?.(data); return; }
      const call = this.#pending.get(data.id);
      if (!call) return;
      this.#pending.delete(data.id);
      if (data.ok) call.resolve(data.result);
      else call.reject(new BenefindError(data.error.code, data.error.message));
    };
    worker.onerror = (e) => {
      const err = new BenefindError("WORKER", e.message || "the benefind worker failed");
      for (const call of this.#pending.values()) call.reject(err);
      this.#pending.clear();
    };
  }

  #call(op, ...args) {
    if (!this.#worker) return Promise.reject(new BenefindError("CLOSED", "the database is closed"));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, args });
    });
  }

  /** Starts the worker, loads the model (cached after the first visit) and the bundle. */
  static async open({ model, bundleUrl, onProgress } = {}) {
    const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    const db = new Benefind(worker, onProgress);
    try {
      db.opened = await db.#call("open", {
        model,
        bundleUrl: bundleUrl && new URL(bundleUrl, location.href).href,
      });
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  }

  search(question, policy) { return this.#call("search", question, policy); }
  query(q) { return this.#call("query", q); }
  ingest(docs) { return this.#call("ingest", docs); }
  delete(ids) { return this.#call("delete", ids); }
  stats() { return this.#call("stats"); }

  close() {
    this.#worker?.terminate();
    this.#worker = null;
    for (const call of this.#pending.values()) call.reject(new BenefindError("CLOSED", "the database was closed"));
    this.#pending.clear();
  }
}
