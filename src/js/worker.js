// The dedicated Web Worker behind `Benefind`: all model and index work runs here so the
// page's main thread stays responsive. Messages: {id, op, args} in; {id, ok, result} or
// {id, ok: false, error: {code, message}} out; {type: "progress", ...} while opening.
import init, { Engine } from "./benefind_wasm.js";
import { loadModel, BenefindError } from "./model.js";

let engine = null;
let info = {};

function need() {
  if (!engine) throw new BenefindError("NOT_OPEN", "the database is not open");
  return engine;
}

const ops = {
  async open({ model, bundleUrl }) {
    await init();
    const progress = (p) => self.postMessage({ type: "progress", ...p });
    let files, modelSource;
    if (model && model.files) {
      files = [model.files.weights, model.files.tokenizer, model.files.config].map((f) => new Uint8Array(f));
      modelSource = "files";
    } else if (model && model.baseUrl) {
      ({ files, source: modelSource } = await loadModel(model.baseUrl, model.sha256, progress));
    } else {
      throw new BenefindError("MODEL_MISSING", "open() needs model: {baseUrl} or {files: {weights, tokenizer, config}}");
    }
    let bundle;
    if (bundleUrl) {
      const r = await fetch(bundleUrl).catch((e) => { throw new BenefindError("BAD_BUNDLE", `could not fetch ${bundleUrl}: ${e.message}`); });
      if (!r.ok) throw new BenefindError("BAD_BUNDLE", `could not fetch ${bundleUrl}: HTTP ${r.status}`);
      bundle = new Uint8Array(await r.arrayBuffer());
    }
    progress({ phase: "index" });
    engine = new Engine(files[0], files[1], files[2], bundle);
    info = { modelSource };
    return { ...engine.stats(), modelSource };
  },
  search: (question, policy) => need().search(question, policy),
  query: (q) => need().query(q),
  ingest: (docs) => need().ingest(docs, (done, total) => self.postMessage({ type: "progress", phase: "ingest", done, total })),
  delete: (ids) => need().delete(ids),
  stats: () => ({ ...need().stats(), ...info }),
};

self.onmessage = async ({ data: { id, op, args } }) => {
  try {
    if (!Object.hasOwn(ops, op)) throw new BenefindError("INVALID_INPUT", `unknown operation ${op}`);
    const result = await ops[op](...(args ?? []));
    self.postMessage({ id, ok: true, result });
  } catch (e) {
    self.postMessage({ id, ok: false, error: { code: e.code ?? "INTERNAL", message: e.message ?? String(e) } });
  }
};
