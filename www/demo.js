// The demo page at the foundation stage: load the MiniLM embedder (wasm), embed the
// question and each passage, rank passages by cosine similarity. Text is rendered with
// textContent only.
import init, { Embedder } from "./pkg/benefind_wasm.js";

const MODEL_BASE = "./models/all-MiniLM-L6-v2/";
const $ = (id) => document.getElementById(id);

async function fetchBytes(name) {
  const response = await fetch(MODEL_BASE + name);
  if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function rank(embedder) {
  const question = $("question").value;
  const passages = $("passages").value.split("\n").map((p) => p.trim()).filter(Boolean);
  const t0 = performance.now();
  const q = embedder.embedOne(question);
  const flat = embedder.embed(passages);
  const ms = performance.now() - t0;
  const dims = embedder.dims;
  // Vectors are unit length, so the dot product is the cosine similarity.
  const scored = passages
    .map((text, i) => ({ text, score: dot(q, flat.subarray(i * dims, (i + 1) * dims)) }))
    .sort((a, b) => b.score - a.score);
  const list = $("results");
  list.replaceChildren(...scored.map(({ text, score }) => {
    const li = document.createElement("li");
    const s = document.createElement("span");
    s.className = "score";
    s.textContent = score.toFixed(3);
    li.append(s, document.createTextNode(text));
    li.dataset.score = String(score);
    return li;
  }));
  $("status").textContent = `Embedded ${passages.length + 1} texts in ${ms.toFixed(0)} ms.`;
}

async function main() {
  await init();
  const [weights, tokenizer, config] = await Promise.all(
    ["model.safetensors", "tokenizer.json", "config.json"].map(fetchBytes));
  const embedder = new Embedder(weights, tokenizer, config);
  $("status").textContent = `Model ready: ${embedder.modelId} (${embedder.dims} dimensions).`;
  $("ask").addEventListener("submit", (e) => { e.preventDefault(); rank(embedder); });
  $("go").disabled = false;
  rank(embedder);
}

main().catch((e) => { $("status").textContent = `Could not start: ${e.message}`; });
