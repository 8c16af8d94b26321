// benefind's JS API: `const db = await Benefind.open({...})`, then search / query / ingest
// / delete / documents / stats / clear / close. Every call is forwarded to a dedicated Web
// Worker (worker.js) that runs the wasm engine and its IndexedDB store, so the page never
// blocks on the model, the index or storage.
import { BenefindError, MODEL_FILES, MODEL_FILES_F32 } from "./model.js";

export { BenefindError, MODEL_FILES, MODEL_FILES_F32 };
export { Engine, Embedder, Database, CloudIndex } from "./benefind_wasm.js";
export { initWasm, hasRelaxedSimd, wasmUrl } from "./loader.js";

/** The IndexedDB database name used when `open()` is given none. */
export const DEFAULT_DB_NAME = "benefind";

/**
 * Starts benefind's worker. A worker's script must have the page's origin, so when this
 * module is loaded from another origin (a CDN, the vendor's domain) the worker is a
 * same-origin `blob:` module that imports worker.js from there with CORS (the page's CSP
 * then needs `worker-src blob: <that origin>`: a module worker's imports are worker
 * requests). Returns the worker and the blob URL to revoke. Its ingest helpers
 * (embedder-worker.js) are started the same way, here, when the worker asks for them.
 */
function startWorker(file = "./worker.js") {
  const url = new URL(file, import.meta.url);
  if (url.origin === location.origin) return { worker: new Worker(url, { type: "module" }) };
  const shim = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};\n`], { type: "text/javascript" }));
  return { worker: new Worker(shim, { type: "module" }), shim };
}

// The progress phases of an ingest, which go to its `onProgress` (the others, while
// opening, to `open`'s).
const INGEST_PHASES = new Set(["pdf", "ingest", "store"]);
// The watchdog's default period (open({slowOperationMs})); the worker is given the period
// in use with `open`.
const SLOW_MS = 30000;

export class Benefind {
  #worker;
  /** What open() found (`stats()` at open). @type {import("./benefind.d.ts").OpenInfo | import("./benefind.d.ts").CloudStats} */
  opened;
  #pending = new Map();
  #next = 1;
  #onProgress;
  #ingestProgress;
  /** Listeners of written answers being streamed, by stream number. */
  #streams = new Map();
  #nextStream = 1;

  #openArgs;
  /** When the worker last posted anything (the watchdog's). */
  #lastHeard = performance.now();
  /** The worker's ingest helpers, by ticket. @type {Map<number, {end: () => void}>} */
  #helpers = new Map();
  /** The last step the worker named (the watchdog's). */
  #lastStep = "none";

  constructor(worker, onProgress) {
    this.#worker = worker;
    this.#onProgress = onProgress;
    this.#listen(worker);
  }

  #listen(worker) {
    worker.onmessage = ({ data }) => {
      this.#lastHeard = performance.now();
      if (data.type === "answer") {
        this.#streams.get(data.stream)?.({ event: data.event, data: data.data });
        return;
      }
      if (data.type === "helper" || data.type === "helper-end") {
        this.#helper(data);
        return;
      }
      if (data.type === "step") {
        this.#lastStep = `${data.op}: ${data.step}`;
        return;
      }
      if (data.type === "slow") {
        // The worker's watchdog: an operation still running after 30 s, and where it waits.
        const storage = data.storage ? `; IndexedDB: ${data.storage}` : "";
        console.warn(`benefind: ${data.op} has run for ${data.seconds} s (at: ${data.step}${storage})`);
        return;
      }
      if (data.type === "progress") {
        if (INGEST_PHASES.has(data.phase) && this.#ingestProgress) this.#ingestProgress(data);
        else this.#onProgress?.(data);
        return;
      }
      const call = this.#pending.get(data.id);
      if (!call) return;
      this.#pending.delete(data.id);
      if (data.ok) call.resolve(data.result);
      else {
        const err = new BenefindError(data.error.code, data.error.message);
        if (Number.isFinite(data.error.retryAfter)) err.retryAfter = data.error.retryAfter;
        call.reject(err);
      }
    };
    worker.onerror = (e) => {
      const err = new BenefindError("WORKER", e.message || "the benefind worker failed");
      for (const call of this.#pending.values()) call.reject(err);
      this.#pending.clear();
    };
  }

  /**
   * Starts an ingest helper for the worker, joined to it by a MessagePort (`{type:
   * "helper", ticket}` → `{type: "helper", ticket, port}`, or `port: null` where none can
   * start), forwards the helper's errors, and ends it when the worker is done with it.
   * Workers are started here, not by the worker: Firefox now and then freezes a worker
   * that constructs one (see worker.js, PageHelper).
   */
  #helper({ type, ticket }) {
    const worker = this.#worker;
    if (!worker) return;
    if (type === "helper-end") {
      this.#helpers.get(ticket)?.end();
      return;
    }
    let started;
    try {
      started = startWorker("./embedder-worker.js");
    } catch {
      worker.postMessage({ type: "helper", ticket, port: null });
      return;
    }
    const { worker: helper, shim } = started;
    const end = () => {
      helper.terminate();
      if (shim) URL.revokeObjectURL(shim);
      this.#helpers.delete(ticket);
    };
    this.#helpers.set(ticket, { end });
    helper.onerror = (e) => worker.postMessage({ type: "helper-error", ticket, message: e.message || "the helper worker failed" });
    const { port1, port2 } = new MessageChannel();
    helper.postMessage({ op: "connect" }, [port1]);
    worker.postMessage({ type: "helper", ticket, port: port2 }, [port2]);
  }

  /** Ends every helper (the worker is gone). */
  #endHelpers() {
    for (const { end } of [...this.#helpers.values()]) end();
  }

  #call(op, ...args) {
    if (!this.#worker) return Promise.reject(new BenefindError("CLOSED", "the database is closed"));
    const id = this.#next++;
    const started = performance.now();
    // The page's side of the watchdog: a worker that has said nothing at all (no result,
    // progress or watchdog report of its own) while a call waits is frozen or gone.
    const every = this.#openArgs?.slowOperationMs ?? SLOW_MS;
    const timer = setInterval(() => {
      const silent = performance.now() - this.#lastHeard;
      if (silent < every) return;
      const s = (ms) => Math.round(ms / 1000);
      console.warn(`benefind: ${op} has waited ${s(performance.now() - started)} s for the worker, which has said nothing for ${s(silent)} s (its last step: ${this.#lastStep})`);
    }, every);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, args });
    }).finally(() => clearInterval(timer));
  }

  /**
   * Starts the worker, loads the model (cached after the first visit), opens the
   * IndexedDB database `dbName` and the bundle (stored on first use; a reload without
   * network uses the stored copy). Nothing here waits for a permission or a prompt: when
   * the browser refuses IndexedDB (a private window, storage turned off) the database
   * works from memory and `stats().storage` is "memory". `persist: true` also asks the
   * browser to keep the data (`navigator.storage.persist()`) without waiting for the
   * answer; `db.persist()` asks on demand, e.g. from a button.
   *
   * With `cloud: {proxyUrl, token, expect?: {model, dims}}` the same API is answered by
   * benefind-proxy (Titan V2 + S3 Vectors) instead; `model: {baseUrl}` is then optional
   * and only its tokenizer is fetched (to chunk documents for `ingest`). A cloud index
   * cannot be opened together with a local `bundleUrl` (different models).
   */
  /** @param {import("./benefind.d.ts").OpenOptions} [options] */
  static async open({ model, bundleUrl, dbName = DEFAULT_DB_NAME, onProgress, persist = false, blockedTimeoutMs = 15000, cloud, ingestWorkers, slowOperationMs } = {}) {
    if (slowOperationMs !== undefined && !(slowOperationMs > 0 && slowOperationMs < 2 ** 31)) {
      throw new BenefindError("INVALID_INPUT", `slowOperationMs must be a positive number of milliseconds below 2^31, not ${slowOperationMs}`);
    }
    const { worker, shim } = startWorker();
    const db = new Benefind(worker, onProgress);
    try {
      db.#openArgs = {
        // Relative URLs mean relative to the page, not to the worker's script.
        model: model && "baseUrl" in model && model.baseUrl ? { ...model, baseUrl: new URL(model.baseUrl, location.href).href } : model,
        bundleUrl: bundleUrl && new URL(bundleUrl, location.href).href,
        dbName,
        blockedTimeoutMs,
        ingestWorkers,
        slowOperationMs: slowOperationMs ?? SLOW_MS,
        cloud: cloud && { ...cloud, proxyUrl: new URL(cloud.proxyUrl, location.href).origin },
      };
      db.opened = await db.#call("open", db.#openArgs);
    } catch (e) {
      db.close();
      throw e;
    } finally {
      if (shim) URL.revokeObjectURL(shim);
    }
    // Never awaited: Firefox settles persist() only when the member answers its prompt.
    if (persist && !cloud) db.persist();
    return db;
  }

  /**
   * Asks the browser to keep this origin's data under storage pressure. Resolves to
   * whether it is persistent; may show the browser's own prompt (Firefox) and then
   * settles only when the member answers, so never make other work wait for it.
   * Resolves to false where the browser offers no such request.
   */
  persist() {
    const storage = globalThis.navigator?.storage;
    if (!storage?.persist) return Promise.resolve(false);
    return storage.persist().then(Boolean, () => false);
  }

  search(question, policy) { return this.#call("search", question, policy); }
  ask(question, policy) {
    return typeof question === "object" && question !== null
      ? this.#call("askQuery", question)
      : this.#call("ask", question, policy);
  }
  query(q) { return this.#call("query", q); }
  /**
   * Cloud only: a written answer to `question` from `policy`'s passages, generated by the
   * proxy's model behind its guardrail and checked to cite only retrieved passages.
   * `onEvent` gets `{event: "passages", data: {passages}}`, then `{event: "delta", data:
   * {text}}` as the answer is written, and `{event: "guardrail", data: {action, source,
   * message}}` when the guardrail stops it (drop the text shown). Resolves to the final
   * `{answer, grounded, citations: [{n, key, quote}], passages, guardrail, usage, model}`;
   * a throttled service rejects with `UPSTREAM_THROTTLED` or `RATE_LIMITED` and
   * `retryAfter` (seconds). Offline, `ask()` gives the answering sentence instead.
   */
  /** @param {string} question @param {string} policy @param {{onEvent?: (e: any) => void, k?: number}} [options] */
  async generate(question, policy, { onEvent, k } = {}) {
    const stream = this.#nextStream++;
    if (onEvent) this.#streams.set(stream, onEvent);
    try {
      return await this.#call("generate", stream, question, policy, k);
    } finally {
      this.#streams.delete(stream);
    }
  }
  /**
   * Adds documents, all or nothing. A document is `{text, policy, …}` or, for a PDF,
   * `{pdf: File | Blob | ArrayBuffer | Uint8Array, name?, policy, …}` (read in the worker
   * by the PDF module, loaded on first use). `onProgress` gets `{phase: "pdf", file, page,
   * pages}` while a PDF is read, `{phase: "ingest", done, total}` after each embedded
   * batch and `{phase: "store", total}` when the `total` passages are being written.
   * Resolves once they are searchable; the sentences `ask` reads answers from are
   * embedded after that, in the background while the worker has no other request
   * (`stats().unitsPending` counts the chunks left). Aborting `signal` rejects with
   * `CANCELLED` and nothing is added: the worker is stopped (its write is one
   * transaction, so stored data is as before) and the next call opens the database again.
   */
  /** @param {any[]} docs @param {(p: any) => void} [onProgress] @param {{signal?: AbortSignal}} [options] */
  async ingest(docs, onProgress, { signal } = {}) {
    if (signal?.aborted) throw new BenefindError("CANCELLED", "the ingest was cancelled; nothing was added");
    const prepared = await Promise.all((Array.isArray(docs) ? docs : []).map(async (doc) => {
      if (!doc || doc.pdf === undefined) return doc;
      const pdf = doc.pdf;
      const bytes = pdf instanceof Blob ? await pdf.arrayBuffer()
        : pdf instanceof Uint8Array ? pdf.slice().buffer
        : pdf instanceof ArrayBuffer ? pdf.slice(0) : pdf;
      const name = doc.name ?? (typeof File !== "undefined" && pdf instanceof File ? pdf.name : undefined);
      return { ...doc, pdf: bytes, name };
    }));
    this.#ingestProgress = onProgress;
    const cancel = () => this.#restart(new BenefindError("CANCELLED", "the ingest was cancelled; nothing was added"));
    signal?.addEventListener("abort", cancel, { once: true });
    try {
      return await this.#call("ingest", Array.isArray(docs) ? prepared : docs);
    } finally {
      signal?.removeEventListener("abort", cancel);
      this.#ingestProgress = undefined;
    }
  }

  /**
   * Stops the worker mid-operation (pending calls reject with `error`) and starts a new
   * one that opens the database again with the same options.
   */
  #restart(error) {
    this.#worker?.terminate();
    this.#endHelpers();
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
    const { worker } = startWorker();
    this.#worker = worker;
    this.#listen(worker);
    // Queued first in the new worker, so later calls run on the reopened database.
    this.#call("open", this.#openArgs).catch(() => {});
  }
  delete(ids) { return this.#call("delete", ids); }
  documents() { return this.#call("documents"); }
  stats() { return this.#call("stats"); }
  /** Deletes every stored chunk and the stored bundle (the next open imports it again). */
  clear() { return this.#call("clear"); }

  /**
   * Deletes a database without opening it: the way out when `open()` fails on stored
   * data (another model's vectors, unreadable records). Waits until other tabs close it.
   */
  static deleteDatabase(dbName = DEFAULT_DB_NAME) {
    return new Promise(/** @param {(value?: void) => void} resolve */ (resolve, reject) => {
      const request = indexedDB.deleteDatabase(dbName);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(new BenefindError("STORAGE", String(request.error)));
    });
  }

  close() {
    // The worker's database connection closes with it.
    this.#worker?.terminate();
    this.#endHelpers();
    this.#worker = null;
    for (const call of this.#pending.values()) call.reject(new BenefindError("CLOSED", "the database was closed"));
    this.#pending.clear();
  }
}
