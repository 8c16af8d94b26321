// The dedicated Web Worker behind `Benefind`: all model, index and storage work runs here
// so the page's main thread stays responsive. Messages: {id, op, args} in; {id, ok, result}
// or {id, ok: false, error: {code, message}} out; {type: "progress", ...} while opening
// and ingesting. Operations run one at a time, in arrival order.
import init, { Database } from "./benefind_wasm.js";
import { loadModel, BenefindError } from "./model.js";


let db = null;
let info = {};
let wasmMemory = null;
let channel = null;
// Set when another tab changed the stored data: the next operation reloads it first.
let stale = false;

const progress = (p) => self.postMessage({ type: "progress", ...p });

function need() {
  if (!db) throw new BenefindError("NOT_OPEN", "the database is not open");
  return db;
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
  await need().reload();
}

function changed() {
  channel?.postMessage({ changed: true });
}

const ops = {
  async open({ model, bundleUrl, dbName, blockedTimeoutMs }) {
    wasmMemory = (await init()).memory;
    let files, modelSource;
    if (model && model.files) {
      files = [model.files.weights, model.files.tokenizer, model.files.config].map((f) => new Uint8Array(f));
      modelSource = "files";
    } else if (model && model.baseUrl) {
      ({ files, source: modelSource } = await loadModel(model.baseUrl, model.sha256, progress));
    } else {
      throw new BenefindError("MODEL_MISSING", "open() needs model: {baseUrl} or {files: {weights, tokenizer, config}}");
    }
    info = { modelSource, dbName };
    const bundle = bundleUrl ? await fetchBundle(bundleUrl) : undefined;
    progress({ phase: "index" });
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
    channel = new BroadcastChannel(`benefind:${dbName}`);
    channel.onmessage = () => { stale = true; };
    return ops.stats();
  },
  search: async (question, policy) => { await sync(); return need().search(question, policy); },
  query: async (q) => { await sync(); return need().query(q); },
  async ingest(docs) {
    await sync();
    const report = await need().ingest(docs, (done, total) => progress({ phase: "ingest", done, total }));
    changed();
    return report;
  },
  async delete(ids) {
    await sync();
    const n = await need().delete(ids);
    changed();
    return n;
  },
  async clear() {
    await need().clear();
    stale = false;
    changed();
  },
  documents: async () => { await sync(); return need().documents(); },
  async stats() {
    await sync();
    const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
    return {
      ...need().stats(), ...info, usage: estimate?.usage, quota: estimate?.quota,
      wasmMemoryBytes: wasmMemory?.buffer.byteLength,
    };
  },
  close() {
    db?.close();
    db = null;
    channel?.close();
    channel = null;
  },
};

let queue = Promise.resolve();
self.onmessage = ({ data: { id, op, args } }) => {
  queue = queue.then(async () => {
    try {
      if (!Object.hasOwn(ops, op)) throw new BenefindError("INVALID_INPUT", `unknown operation ${op}`);
      const result = await ops[op](...(args ?? []));
      self.postMessage({ id, ok: true, result });
    } catch (e) {
      self.postMessage({ id, ok: false, error: { code: e.code ?? "INTERNAL", message: e.message ?? String(e) } });
    }
  });
};
