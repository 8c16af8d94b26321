// The dedicated Web Worker behind `Benefind`: all model, index and storage work runs here
// so the page's main thread stays responsive. Messages: {id, op, args} in; {id, ok, result}
// or {id, ok: false, error: {code, message}} out; {type: "progress", ...} while opening
// and ingesting; {type: "step" | "slow", ...} for the watchdog; {type: "helper", ticket}
// out and {type: "helper" | "helper-error", ticket, ...} in for the ingest helpers the
// page starts (PageHelper). Operations run one at a time, in arrival order; while none is
// waiting, the worker embeds added documents' sentences in the background
// (embedPendingUnits).
import { Database, CloudIndex, storageWaitingOn } from "./benefind_wasm.js";
import { initWasm } from "./loader.js";
import { loadModel, modelSums, BenefindError } from "./model.js";
import { streamAnswer } from "./answer-stream.js";
import { shareBatches, earlyHelpers } from "./batches.js";


let db = null;
// The model files the database was opened with, for the ingest helpers.
let modelFiles = null;
// Cloud mode: the same operations answered by benefind-proxy (Titan V2 + S3 Vectors).
let cloud = null;
// Its {proxyUrl, token}, for written answers (answer-stream.js).
let cloudOptions = null;
let info = {};
let wasmMemory = null;
let channel = null;
// Set when another tab changed the stored data: the next operation reloads it first.
let stale = false;

const progress = (p) => self.postMessage({ type: "progress", ...p });

// The PDF module (benefind_pdf.js + its wasm): imported on the first PDF, never before.
let pdfModule = null;
// Bumped when the module traps: a new URL is a new module instance with a fresh wasm
// instance (the same URL would give back the cached, trapped one).
let pdfGeneration = 0;

async function loadPdfModule() {
  if (!pdfModule) {
    const url = pdfGeneration ? `./benefind_pdf.js?instance=${pdfGeneration}` : "./benefind_pdf.js";
    pdfModule = import(url).then(async (m) => {
      await m.default({ module_or_path: new URL("./benefind_pdf_bg.wasm", import.meta.url) });
      return m;
    });
    pdfModule.catch(() => { pdfModule = null; });
  }
  return pdfModule;
}

/**
 * Gives the worker's other events (another tab's change notice, helpers'
 * results) a turn: a message to itself, queued behind them. Not `setTimeout(0)`, which
 * engines clamp to 4 ms once calls nest, as they do here (reading an 83-page PDF spent
 * 0.3 s of its 0.44 s waiting on those clamps). A timer backs the message up, so a
 * message that never arrives (a collected port) costs 50 ms, not the ingest; it also
 * holds the port until then.
 */
const yieldToEvents = () => /** @type {Promise<void>} */ (new Promise((resolve) => {
  const { port1, port2 } = new MessageChannel();
  const done = () => {
    clearTimeout(timer);
    port1.close();
    resolve();
  };
  const timer = setTimeout(done, 50);
  port1.onmessage = done;
  port2.postMessage(null);
}));

/**
 * Reads a PDF into the layout `ingest` takes, page by page with progress. A parser trap
 * (malformed file) leaves that wasm instance unusable: it is dropped and reported as a
 * damaged file.
 */
async function readPdf(bytes, name, onPages) {
  let m;
  step("loading the PDF reader");
  try {
    m = await loadPdfModule();
  } catch (e) {
    throw new BenefindError("NETWORK", `Reading PDFs needs the network the first time: the PDF reader is downloaded when a PDF is first added. Connect once, or paste the document's text instead. (${e?.message ?? e})`);
  }
  let file;
  try {
    step(`reading ${name}`);
    file = new m.PdfFile(new Uint8Array(bytes), name);
    const pages = file.pages;
    onPages(pages);
    progress({ phase: "pdf", file: name, page: 0, pages });
    let page = 0;
    while (file.readNextPage()) {
      page += 1;
      progress({ phase: "pdf", file: name, page, pages });
      await yieldToEvents();
    }
    return file.finish();
  } catch (e) {
    if (e?.code) throw e;
    pdfModule = null;
    pdfGeneration += 1;
    throw new BenefindError("PDF_INVALID", `${name} could not be read as a PDF (${e?.message ?? e}); the file may be truncated or damaged: download it again, or paste its text`);
  } finally {
    try { file?.free(); } catch { /* a trapped instance */ }
  }
}

// Parallel ingest: batches of chunk texts go to this worker's embedder and to helper
// workers (embedder-worker.js), one per further core (at most 3), each with its own wasm
// instance; this worker keeps the store and writes everything in one transaction.
const BATCH = 8;
const MAX_HELPERS = 3;
const HELPER_START_MS = 30000;
// A helper with a batch in flight that has said nothing for this long is given up on (a
// batch of 8 chunks takes about a second here; a slow phone may take ten).
const HELPER_STALL_MS = 60000;

// open({ingestWorkers}): how many workers may embed (default: one per core, at most 4).
let ingestWorkers = undefined;

/** How many helpers an ingest of `chunks` chunks gets. */
function helperCount(chunks) {
  const workers = ingestWorkers ?? navigator.hardwareConcurrency ?? 1;
  return Math.max(0, Math.min(workers - 1, MAX_HELPERS, Math.floor(chunks / BATCH) - 1));
}

/**
 * A helper worker the page started for this one (`{type: "helper"}` asks for one), spoken
 * to over a MessagePort with the Worker calls batches.js uses; `terminate()` asks the page
 * to end it. Helpers are not started here: headless Firefox 153.8 ESR freezes, for good, a
 * worker that starts and ends workers — its own timers stop and it answers nothing more.
 * A module worker that started a module worker, exchanged one message with it and ended
 * it, in a loop, froze within 29, 3 and 11 rounds; started by the page and joined by a
 * MessagePort, 200 of 200 rounds, twice. This worker froze so in 3 of 16 loops of the
 * Firefox PDF and persistence tests, at an ingest or the background sentences.
 */
class PageHelper {
  /** @param {number} ticket @param {MessagePort} port */
  constructor(ticket, port) {
    this.ticket = ticket;
    this.port = port;
    /** @type {((e: {message?: string}) => void) | null} */
    this.onerror = null;
  }
  get onmessage() { return this.port.onmessage; }
  set onmessage(f) { this.port.onmessage = f; }
  get onmessageerror() { return this.port.onmessageerror; }
  set onmessageerror(f) { this.port.onmessageerror = f; }
  /** @param {any} message @param {Transferable[]} [transfer] */
  postMessage(message, transfer = []) { this.port.postMessage(message, transfer); }
  terminate() {
    if (!pageHelpers.delete(this.ticket)) return;
    this.port.close();
    self.postMessage({ type: "helper-end", ticket: this.ticket });
  }
}

/** Helpers asked of the page, by ticket: a resolver while asked, then the helper. */
const pageHelpers = new Map();
let nextTicket = 1;

/** The page's answer to `{type: "helper"}`: a port to the new helper, an error, or a helper's error. */
function onPageHelperMessage(data) {
  const entry = pageHelpers.get(data.ticket);
  if (data.type === "helper") {
    if (typeof entry !== "function") return;
    if (data.port) {
      const helper = new PageHelper(data.ticket, data.port);
      pageHelpers.set(data.ticket, helper);
      entry(helper);
    } else {
      pageHelpers.delete(data.ticket);
      entry(null);
    }
  } else if (data.type === "helper-error" && entry instanceof PageHelper) {
    entry.onerror?.({ message: data.message });
  }
}

/** A ready helper, or null where one cannot start (no workers, offline, no memory). */
async function startHelper() {
  const ticket = nextTicket++;
  /** @type {PageHelper | null} */
  const helper = await new Promise((resolve) => {
    pageHelpers.set(ticket, resolve);
    self.postMessage({ type: "helper", ticket });
  });
  if (!helper) return null;
  return new Promise((resolve) => {
    const fail = () => { clearTimeout(timer); helper.terminate(); resolve(null); };
    const timer = setTimeout(fail, HELPER_START_MS);
    helper.onerror = fail;
    helper.onmessageerror = fail;
    helper.onmessage = ({ data }) => {
      if (!data.ok) return fail();
      clearTimeout(timer);
      resolve(helper);
    };
    helper.postMessage({ op: "init", files: modelFiles.map((f) => f.slice()) });
  });
}

// Chunks per PDF page to expect before the pages are read: fewer than most documents
// have (an 83-page handbook: 2.8; a dense SBC: 13), so a guess never starts a helper the
// real count would not get.
const CHUNKS_PER_PAGE_GUESS = 2;

/**
 * Embeds `texts` on this worker and the `starting` helpers (batches.js shares the batches
 * out); one flat Float32Array in order. A helper that fails or stalls gives its batches
 * back and stops; this worker finishes whatever is left.
 */
async function embedParallel(texts, dims, onProgress, starting) {
  step("starting helper workers");
  const helpers = (await Promise.all(starting)).filter(Boolean);
  step("embedding");
  const out = new Float32Array(texts.length * dims);
  let done = 0;
  // Each helper's largest wasm memory seen, for the report.
  const helperMemory = new Map();
  await shareBatches({
    count: texts.length,
    batch: BATCH,
    helpers,
    embedHere: (start, end) => need().embed(texts.slice(start, end)),
    message: (start, end) => ({ op: "embed", start, texts: texts.slice(start, end) }),
    onBatch: (start, vectors, helper, data) => {
      if (helper) helperMemory.set(helper, Math.max(helperMemory.get(helper) ?? 0, data?.memoryBytes ?? 0));
      out.set(vectors, start * dims);
      done += vectors.length / dims;
      onProgress(done, texts.length);
    },
    yieldToEvents,
    stallMs: HELPER_STALL_MS,
  });
  let helperMemoryBytes = 0;
  for (const bytes of helperMemory.values()) helperMemoryBytes += bytes;
  return { vectors: out, workers: helpers.length + 1, helperMemoryBytes };
}

/**
 * Documents with `pdf` bytes become documents with `layout`; others pass through.
 * `onPages(n)` hears each PDF's page count before its pages are read.
 */
async function readDocuments(docs, onPages) {
  if (!Array.isArray(docs)) return docs;
  const out = [];
  for (const doc of docs) {
    if (doc && doc.pdf !== undefined) {
      const { pdf, name, ...rest } = doc;
      const fileName = name ?? rest.source ?? "document.pdf";
      out.push({ ...rest, source: rest.source ?? fileName, layout: await readPdf(pdf, fileName, onPages) });
    } else {
      out.push(doc);
    }
  }
  return out;
}

/**
 * `promise`'s value, or `fallback` if it fails or has not settled within `ms`: storage
 * queries must never hold up an answer (some browsers leave them pending).
 */
function within(promise, ms, fallback) {
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve(fallback), ms); });
  return Promise.race([Promise.resolve(promise).catch(() => fallback), late]).finally(() => clearTimeout(timer));
}

function need() {
  if (!db) throw new BenefindError("NOT_OPEN", "the database is not open");
  return db;
}

function localOnly(what) {
  if (cloud) throw new BenefindError("NOT_SUPPORTED", `${what} is not available on a cloud index`);
}

async function openCloud({ model, bundleUrl, cloud: opts }) {
  if (bundleUrl) {
    throw new BenefindError("MODEL_MISMATCH",
      "a local bundle (sentence-transformers/all-MiniLM-L6-v2, 384 dimensions) cannot be mixed into a cloud index " +
      `(${opts.expect ? `${opts.expect.model}, ${opts.expect.dims} dimensions` : "Titan V2"}): vectors of different models cannot be compared; open with either bundleUrl or cloud`);
  }
  if (!opts.proxyUrl || !opts.token) throw new BenefindError("INVALID_INPUT", "cloud needs {proxyUrl, token}");
  wasmMemory = (await initWasm()).memory;
  // Only tokenizer.json (to chunk documents for ingest), checked and cached like the model.
  const sums = modelSums(model);
  const tokenizer = model?.baseUrl
    ? (await loadModel(model.baseUrl, { "tokenizer.json": sums["tokenizer.json"] }, progress)).files[0]
    : undefined;
  cloud = new CloudIndex(opts.proxyUrl, opts.token, tokenizer, opts.expect?.model, opts.expect?.dims);
  cloudOptions = { proxyUrl: opts.proxyUrl, token: opts.token };
  info = { mode: "cloud", proxyUrl: opts.proxyUrl };
  return ops.stats();
}

/** The bundle's bytes, or undefined when the network is unreachable (the stored copy is used). */
async function fetchBundle(url) {
  let response;
  try {
    // Revalidate with the server so a new bundle version is picked up, offline falls through.
    response = await fetch(url, { cache: "no-cache" });
  } catch {
    info.bundleFetch = "offline";
    return undefined;
  }
  if (!response.ok) throw new BenefindError("BAD_BUNDLE", `could not fetch ${url}: HTTP ${response.status}`);
  info.bundleFetch = "network";
  return new Uint8Array(await response.arrayBuffer());
}

async function sync() {
  if (!stale) return;
  stale = false;
  step("loading another tab's changes");
  await need().reload();
}

function changed() {
  channel?.postMessage({ changed: true });
}

const ops = {
  async open({ model, bundleUrl, dbName, blockedTimeoutMs, cloud: cloudOpts, ingestWorkers: workers }) {
    ingestWorkers = workers;
    unitsHalted = false;
    if (cloudOpts) return openCloud({ model, bundleUrl, cloud: cloudOpts });
    wasmMemory = (await initWasm()).memory;
    let files, modelSource;
    if (model && model.files) {
      files = [model.files.weights, model.files.tokenizer, model.files.config].map((f) => new Uint8Array(f));
      modelSource = "files";
    } else if (model && model.baseUrl) {
      step("loading the model");
      ({ files, source: modelSource } = await loadModel(model.baseUrl, modelSums(model), progress));
    } else {
      throw new BenefindError("MODEL_MISSING", "open() needs model: {baseUrl} or {files: {weights, tokenizer, config}}");
    }
    modelFiles = files;
    info = { modelSource, dbName };
    step("fetching the bundle");
    const bundle = bundleUrl ? await fetchBundle(bundleUrl) : undefined;
    progress({ phase: "index" });
    step("opening the database");
    let timer;
    const blocked = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new BenefindError("DB_BLOCKED",
        `IndexedDB "${dbName}" is held open by another tab at an older version; close other tabs of this page and retry`)), blockedTimeoutMs);
    });
    try {
      db = await Promise.race([Database.open(dbName, files[0], files[1], files[2], bundle), blocked]);
    } finally {
      clearTimeout(timer);
    }
    // Tabs tell each other about changes. Firefox refuses BroadcastChannel where site data
    // is blocked; such a database is in memory, private to this tab, with nothing to sync.
    try {
      channel = new BroadcastChannel(`benefind:${dbName}`);
      channel.onmessage = () => { stale = true; };
    } catch {
      channel = null;
    }
    return ops.stats();
  },
  async search(question, policy) {
    if (cloud) return cloud.search(question, policy);
    await sync();
    return need().search(question, policy);
  },
  async ask(question, policy) {
    if (cloud) return cloud.ask(question, policy);
    await sync();
    return need().ask(question, policy);
  },
  async askQuery(q) {
    if (cloud) return cloud.askQuery(q);
    await sync();
    return need().askQuery(q);
  },
  /** Cloud only: a written, cited answer, its events posted as {type: "answer", stream, event, data}. */
  async generate(stream, question, policy, k) {
    if (!cloud) throw new BenefindError("NOT_SUPPORTED", "written answers need the cloud path (open with cloud: {proxyUrl, token}); offline, ask() gives the answering sentence");
    if (typeof question !== "string" || !question.trim()) throw new BenefindError("INVALID_INPUT", "the question is empty");
    const request = { question, ...(k ? { topK: k } : {}), ...(policy ? { filter: { policy } } : {}) };
    return streamAnswer(cloudOptions, request, ({ event, data }) => self.postMessage({ type: "answer", stream, event, data }));
  },
  async query(q) {
    if (cloud) return cloud.query(q);
    await sync();
    return need().query(q);
  },
  async ingest(input) {
    unitsHalted = false;
    const helpers = earlyHelpers(startHelper, helperCount);
    let pages = 0;
    const onPages = (n) => {
      pages += n;
      if (!cloud && modelFiles) helpers.expect(pages * CHUNKS_PER_PAGE_GUESS);
    };
    try {
      const docs = await readDocuments(input, onPages);
      if (cloud) return cloud.ingest(docs, (done, total) => progress({ phase: "ingest", done, total }));
      await sync();
      const onProgress = (done, total) => progress({ phase: "ingest", done, total });
      // Chunked once: the texts are embedded here and on the helpers, and the same
      // chunks are stored with their vectors.
      let chunked = need().chunkForIngest(docs);
      try {
        const texts = chunked.texts();
        const { vectors, workers, helperMemoryBytes } = await embedParallel(texts, need().stats().dims, onProgress, helpers.take(texts.length));
        progress({ phase: "store", total: texts.length });
        step("storing");
        const stored = need().ingestChunked(chunked, vectors);
        chunked = null;
        const report = { ...(await stored), workers, helperMemoryBytes };
        changed();
        return report;
      } finally {
        chunked?.free();
      }
    } finally {
      helpers.release();
    }
  },
  async delete(ids) {
    if (cloud) return cloud.delete(ids);
    await sync();
    const n = await need().delete(ids);
    changed();
    return n;
  },
  async clear() {
    localOnly("clear()");
    await need().clear();
    stale = false;
    changed();
  },
  async documents() {
    localOnly("documents()");
    await sync();
    return need().documents();
  },
  async stats() {
    if (cloud) return { ...info, contract: cloud.contract, wasmMemoryBytes: wasmMemory?.buffer.byteLength };
    await sync();
    const stats = need().stats();
    const storage = navigator.storage;
    const [estimate, persisted] = await Promise.all([
      within(storage?.estimate?.(), 2000, undefined),
      // persisted() only reads the state (no prompt); memory is never persistent.
      stats.storage === "memory" ? false : within(storage?.persisted?.(), 2000, false),
    ]);
    return {
      ...stats, ...info, usage: estimate?.usage, quota: estimate?.quota, persisted: Boolean(persisted),
      wasmMemoryBytes: wasmMemory?.buffer.byteLength,
    };
  },
  close() {
    db?.close();
    db = null;
    cloud?.free();
    cloud = null;
    cloudOptions = null;
    channel?.close();
    channel = null;
  },
};

// The watchdog. An operation that has run for `slowMs` (open({slowOperationMs}), whose
// default benefind.js sets; no reports before the page's open gives it) is reported to
// the page ({type: "slow", op, step, storage, seconds}; benefind.js logs it as a console
// warning), and again as often while it runs: where it waits (the worker's step, and the
// IndexedDB request or event the wasm store awaits) is what tells a slow step from one
// that never ends.
let slowMs = null;
/** The operation running: {op, step}, or null. */
let running = null;

/**
 * Names the step the running operation is at, for the watchdog; the page hears it too, so
 * that its own watchdog can name where a worker that stopped answering stopped.
 */
function step(name) {
  if (running) running.step = name;
  self.postMessage({ type: "step", op: running?.op ?? "background", step: name });
}

/** Runs `fn` as operation `op`, reported every `slowMs` while it runs. */
async function watched(op, fn) {
  const me = { op, step: "starting" };
  running = me;
  const started = performance.now();
  const timer = slowMs && setInterval(() => {
    self.postMessage({
      // Before the wasm module is ready (the first open loading it), nothing waits on
      // storage, and the module's exports cannot be called yet.
      type: "slow", op, step: me.step, storage: (wasmMemory && storageWaitingOn()) ?? null,
      seconds: Math.round((performance.now() - started) / 1000),
    });
  }, slowMs);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    if (running === me) running = null;
  }
}

let queue = Promise.resolve();
// Members' requests queued or running; background work waits for none.
let busy = 0;
let idleWaiters = [];

/**
 * Runs `fn` in the operation queue, after what is queued: one operation at a time, named
 * `op` for the watchdog.
 * @template T @param {string} op @param {() => T | Promise<T>} fn @returns {Promise<T>}
 */
function exclusive(op, fn) {
  const run = queue.then(() => watched(op, fn));
  queue = run.then(() => {}, () => {});
  return run;
}

/** Resolves when no request is queued or running. */
function whenIdle() {
  return busy === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
}

// Answer units in the background. Ingest embeds the passages only, so that a document is
// searchable as soon as they are; the sentences, list items and table lines that answers
// are read from are embedded afterwards, while the worker has nothing else to do, and
// stored with their chunks. Until then an answer embeds one passage's sentences when it
// needs them (tens of milliseconds); after, a few dot products. One helper worker embeds
// them, so that this worker stays free for requests; without helpers (none can start, or
// open({ingestWorkers: 1})) this worker embeds small batches between requests.
const UNIT_BATCH = 16;
const UNIT_BATCH_HERE = 4;
/** The running background loop, or null. */
let unitsLoop = null;
// Set when the loop failed (storage full, say): it waits for the next open or ingest
// instead of embedding the same batch again after every request.
let unitsHalted = false;

function scheduleUnits() {
  if (unitsLoop || unitsHalted || cloud || !db) return;
  unitsLoop = embedPendingUnits().catch(() => { unitsHalted = true; }).finally(() => { unitsLoop = null; });
}

/** Embeds `texts` on a helper; rejects when it fails or says nothing for too long. */
function embedOnHelper(helper, texts) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new BenefindError("INTERNAL", "the helper stalled")), HELPER_STALL_MS);
    const settle = (f, v) => { clearTimeout(timer); f(v); };
    helper.onmessage = ({ data }) => data.ok ? settle(resolve, data.vectors) : settle(reject, new BenefindError(data.error.code, data.error.message));
    helper.onerror = (e) => settle(reject, new BenefindError("INTERNAL", e.message ?? "helper error"));
    helper.postMessage({ op: "embed", start: 0, texts });
  });
}

async function embedPendingUnits() {
  /** @type {import("./benefind_wasm.js").Database} */
  const mine = db;
  let helper = (ingestWorkers ?? navigator.hardwareConcurrency ?? 1) > 1 ? undefined : null;
  try {
    for (;;) {
      await whenIdle();
      await yieldToEvents();
      const batch = helper === null ? UNIT_BATCH_HERE : UNIT_BATCH;
      const pending = await exclusive("background: reading the sentences to embed", async () => {
        await sync();
        return db === mine ? mine.pendingUnits(batch) : undefined;
      });
      if (!pending) return;
      let vectors;
      try {
        const texts = pending.texts();
        if (helper === undefined) helper = await startHelper();
        if (helper) {
          try {
            vectors = await embedOnHelper(helper, texts);
          } catch {
            helper.terminate();
            helper = null;
          }
        }
        vectors ??= await exclusive("background: embedding sentences", () => mine.embed(texts));
      } catch (e) {
        pending.free();
        throw e;
      }
      await exclusive("background: storing the sentences' vectors", async () => {
        if (db !== mine) return pending.free();
        await sync();
        return mine.storeUnits(pending, vectors);
      });
    }
  } finally {
    helper?.terminate();
  }
}

self.onmessage = ({ data }) => {
  if (data.type) return onPageHelperMessage(data);
  const { id, op, args } = data;
  // The watchdog's period, for the open itself too.
  if (op === "open") slowMs = args?.[0]?.slowOperationMs ?? slowMs;
  busy += 1;
  exclusive(String(op), async () => {
    try {
      if (!Object.hasOwn(ops, op)) throw new BenefindError("INVALID_INPUT", `unknown operation ${op}`);
      const result = await ops[op](...(args ?? []));
      self.postMessage({ id, ok: true, result });
    } catch (e) {
      self.postMessage({ id, ok: false, error: { code: e.code ?? "INTERNAL", message: e.message ?? String(e), retryAfter: e.retryAfter } });
    }
  }).finally(() => {
    busy -= 1;
    if (busy === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
      scheduleUnits();
    }
  });
};
