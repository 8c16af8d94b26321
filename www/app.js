// The benefind page: search your plan's passages, add your own documents. All model and
// index work runs in benefind's Web Worker; this module only handles the page. Text from
// documents is rendered as text (render.js), never as HTML.
import { Benefind } from "./pkg/benefind.js";
import { renderAnswer, renderHit, megabytes, writeAnswer } from "./render.js";

const MODEL = { baseUrl: "./models/all-MiniLM-L6-v2/" };
const BUNDLE = "./data/default.bundle";
const DB_NAME = "benefind-demo";
const POLICY_KEY = "benefind.policy";
/** @param {string} id */
const $ = (id) => document.getElementById(id);
/** The page's form controls by id, with their element types (index.html). */
const CONTROLS = /** @type {const} */ ({
  "progress-model": "progress", "progress-ingest": "progress", "progress-index": "progress",
  policy: "select", "doc-policy": "input", question: "input", "doc-files": "input",
  "doc-text": "textarea", "add-go": "button", "add-cancel": "button", keep: "button", go: "button",
});
/**
 * A form control, typed by its tag.
 * @template {keyof typeof CONTROLS} K
 * @param {K} id
 * @returns {HTMLElementTagNameMap[(typeof CONTROLS)[K]]}
 */
const control = (id) => /** @type {any} */ ($(id));

let db = null;

/** localStorage, or nothing where the browser refuses it (storage off, opaque origins). */
const remembered = {
  get(key) { try { return localStorage.getItem(key); } catch { return null; } },
  set(key, value) { try { localStorage.setItem(key, value); } catch { /* not remembered */ } },
};
// Cloud mode (`?cloud`, served by `pkg-scripts/demo.sh --cloud`): {proxyUrl, token, policies}.
let cloud = null;

function setOfflineBadge() {
  const badge = $("offline");
  let controlled = false;
  try { controlled = Boolean(navigator.serviceWorker?.controller); } catch { /* refused */ }
  if (cloud) {
    // The cloud index is searched over the network: no offline copy to promise.
    badge.textContent = "Offline — the plan search service needs a connection";
    badge.hidden = navigator.onLine;
  } else if (!navigator.onLine) {
    badge.textContent = "Offline — searching the copy saved in this browser";
    badge.hidden = false;
  } else if (controlled && db) {
    badge.textContent = "Works offline";
    badge.hidden = false;
  } else {
    badge.hidden = true;
  }
  badge.dataset.state = !navigator.onLine ? "offline" : controlled ? "ready" : "online";
}

/** Model download progress: bytes of all three files together. */
function progressHandler() {
  const files = new Map();
  return (p) => {
    if (p.phase === "model") {
      files.set(p.file, p);
      let loaded = 0, total = 0;
      for (const f of files.values()) { loaded += f.loaded ?? 0; total += f.total || f.loaded || 0; }
      const bar = control("progress-model");
      bar.max = Math.max(total, 1);
      bar.value = loaded;
      $("progress-model-text").textContent = `${megabytes(loaded)} / ${megabytes(total)}`;
      $("status").textContent = `Loading the language model (${p.file})…`;
    } else if (p.phase === "index") {
      control("progress-model").value = control("progress-model").max;
      control("progress-index").removeAttribute("value");
      $("progress-index-text").textContent = "loading";
      $("status").textContent = "Loading your plan's passages…";
    }
  };
}

function fillPolicies(policies) {
  const select = control("policy");
  const current = select.value || remembered.get(POLICY_KEY);
  select.replaceChildren(...policies.map((p) => new Option(p, p)));
  if (policies.includes(current)) select.value = current;
  $("policy-list").replaceChildren(...policies.map((p) => new Option(p)));
  if (!control("doc-policy").value && select.value) control("doc-policy").value = select.value;
}

async function refresh() {
  const stats = await db.stats();
  if (cloud) {
    fillPolicies(cloud.policies);
    return stats;
  }
  fillPolicies(Object.keys(stats.policies).sort());
  const docs = await db.documents();
  $("documents").replaceChildren(...docs.map((d) => {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = `${d.source} — ${d.policy}, ${d.chunks} passage${d.chunks === 1 ? "" : "s"}`;
    const del = document.createElement("button");
    del.type = "button";
    del.textContent = "Delete";
    del.setAttribute("aria-label", `Delete ${d.source}`);
    del.addEventListener("click", async () => {
      del.disabled = true;
      try {
        await db.delete([d.id]);
        $("add-status").textContent = `Deleted ${d.source}.`;
      } catch (e) {
        $("add-status").textContent = `Could not delete ${d.source}: ${e.message}`;
      }
      await refresh();
    });
    li.append(label, document.createTextNode(" "), del);
    return li;
  }));
  return stats;
}

async function search(event) {
  event?.preventDefault();
  const question = control("question").value.trim();
  const policy = control("policy").value;
  if (!question || !policy) return;
  remembered.set(POLICY_KEY, policy);
  if (cloud) {
    // The cloud path writes the answer (streamed, cited, behind the service's guardrail).
    await writeAnswer(document, db, question, policy, {
      answer: $("answer"), results: $("results"), decorate: (li) => li,
      status: (text) => { $("summary").textContent = text; },
    }, { retry: () => search() });
    return;
  }
  const t0 = performance.now();
  try {
    const answered = await db.ask(question, policy);
    const hits = answered.results;
    const ms = performance.now() - t0;
    $("answer").replaceChildren(renderAnswer(document, answered));
    $("results").replaceChildren(...hits.map((h) => renderHit(document, h, answered)));
    const what = answered.answer ? "passage" : "closest passage";
    $("summary").textContent = hits.length
      ? `${hits.length} ${what}${hits.length === 1 ? "" : "s"} from ${policy} for “${question}” (${ms.toFixed(0)} ms).`
      : `Nothing found in ${policy} for “${question}”.`;
  } catch (e) {
    $("answer").replaceChildren();
    $("results").replaceChildren();
    $("summary").textContent = `Search failed: ${e.message}`;
  }
}

const isPdf = (file) => file.type === "application/pdf" || /\.pdf$/i.test(file.name);

async function readDocuments() {
  const policy = control("doc-policy").value.trim();
  const docs = [];
  const pasted = control("doc-text").value;
  if (pasted.trim()) docs.push({ text: pasted, policy, source: "pasted text" });
  for (const file of control("doc-files").files) {
    const id = `file:${policy}:${file.name}`;
    docs.push(isPdf(file)
      ? { pdf: file, name: file.name, policy, id }
      : { text: await file.text(), policy, source: file.name, id });
  }
  return docs;
}

/** One line per file being added: its name and what happened to it (text only). */
function fileLines(docs) {
  const lines = new Map();
  $("add-files").replaceChildren(...docs.filter((d) => d.id).map((d) => {
    const li = document.createElement("li");
    li.textContent = `${d.name ?? d.source}: waiting`;
    lines.set(d.name ?? d.source, li);
    return li;
  }));
  return lines;
}

let adding = null;

async function add(event) {
  event.preventDefault();
  const docs = await readDocuments();
  if (!docs.length) {
    $("add-status").textContent = "Paste some text or choose a file first.";
    return;
  }
  const bar = control("progress-ingest");
  bar.hidden = false;
  bar.removeAttribute("value");
  control("add-go").disabled = true;
  control("add-cancel").hidden = false;
  adding = new AbortController();
  const lines = fileLines(docs);
  const pages = new Map();
  $("add-status").textContent = "Reading and embedding…";
  try {
    const report = await db.ingest(docs, (p) => {
      if (p.phase === "pdf") {
        pages.set(p.file, p.pages);
        bar.max = p.pages || 1;
        bar.value = p.page;
        const line = lines.get(p.file);
        if (line) line.textContent = `${p.file}: reading page ${p.page} of ${p.pages}`;
        $("add-status").textContent = `Reading ${p.file}: page ${p.page} of ${p.pages}…`;
        return;
      }
      if (p.phase === "store") {
        $("add-status").textContent = `Saving ${p.total} passage${p.total === 1 ? "" : "s"} in this browser…`;
        return;
      }
      bar.max = p.total;
      bar.value = p.done;
      $("add-status").textContent = `Embedded ${p.done} of ${p.total} passages…`;
    }, { signal: adding.signal });
    $("add-status").textContent = "Saved; updating the list of documents…";
    const added = new Map((await db.documents()).map((d) => [d.id, d.chunks]));
    for (const doc of docs) {
      const line = lines.get(doc.name ?? doc.source);
      if (!line) continue;
      const n = added.get(doc.id) ?? 0;
      const read = pages.has(doc.name) ? `${pages.get(doc.name)} page${pages.get(doc.name) === 1 ? "" : "s"}, ` : "";
      line.textContent = `${doc.name ?? doc.source}: ${read}${n} passage${n === 1 ? "" : "s"}`;
    }
    // The list shows the new documents before the status says they were added.
    await refresh();
    $("add-status").textContent = `Added ${report.chunks} passage${report.chunks === 1 ? "" : "s"}; they are saved in this browser.`;
    control("doc-text").value = "";
    control("doc-files").value = "";
  } catch (e) {
    $("add-status").textContent = e.code === "CANCELLED"
      ? "Cancelled: nothing was added."
      : `Nothing was added: ${e.message}`;
    for (const line of lines.values()) if (!/passage/.test(line.textContent ?? "")) line.textContent = `${line.textContent?.split(":")[0]}: not added`;
    await refresh();
  } finally {
    bar.hidden = true;
    control("add-go").disabled = false;
    control("add-cancel").hidden = true;
    adding = null;
  }
}

/**
 * Tells the member whether this browser keeps their documents, and offers to ask it to
 * (never on load: Firefox shows a prompt, and nothing may wait for the answer).
 */
function showStorage(stats) {
  const note = $("storage-note");
  const keep = control("keep");
  note.dataset.state = stats.storage === "memory" ? "memory" : stats.persisted ? "persistent" : "best-effort";
  keep.hidden = true;
  if (stats.storage === "memory") {
    note.textContent = "This browser won't remember your documents: it does not let this page store data "
      + "(for example in a private window). You can still search and add documents; they are gone when you close the page.";
  } else if (stats.persisted) {
    note.textContent = "Your documents are saved in this browser and kept until you delete them.";
  } else {
    note.textContent = "Your documents are saved in this browser, which may clear them if it runs low on space "
      + "(a private window clears them when it closes).";
    keep.hidden = false;
  }
}

async function keepDocuments() {
  control("keep").disabled = true;
  $("storage-note").textContent = "Waiting for your browser's answer…";
  const kept = await db.persist();
  control("keep").disabled = false;
  showStorage({ ...(await db.stats()), persisted: kept });
  if (!kept) $("storage-note").textContent = "Your browser did not agree to keep them for good; they are saved for now, and it may clear them if it runs low on space.";
}

function registerServiceWorker() {
  // Absent or refused in some private windows: the page then simply needs the network.
  try {
    if (!navigator.serviceWorker) return;
    navigator.serviceWorker.register("./sw.js").catch(() => {});
    navigator.serviceWorker.addEventListener("controllerchange", setOfflineBadge);
  } catch { /* no offline copy */ }
}

async function main() {
  addEventListener("online", setOfflineBadge);
  addEventListener("offline", setOfflineBadge);
  if (new URLSearchParams(location.search).has("cloud")) {
    registerServiceWorker();
    return mainCloud();
  }
  db = await Benefind.open({ model: MODEL, bundleUrl: BUNDLE, dbName: DB_NAME, onProgress: progressHandler() });
  const stats = await refresh();
  // The offline copy needs storage: where the browser refuses it, do not ask.
  if (stats.storage !== "memory") registerServiceWorker();
  control("progress-index").max = 1;
  control("progress-index").value = 1;
  $("progress-index-text").textContent = `${stats.chunks} passages`;
  const warm = db.opened.modelSource === "cache" && db.opened.open.base === "stored";
  $("status").textContent = warm
    ? `Ready: ${stats.chunks} passages, loaded from this browser.`
    : stats.storage === "memory"
      ? `Ready: ${stats.chunks} passages indexed (this browser keeps nothing after you close the page).`
      : `Ready: ${stats.chunks} passages indexed (${megabytes(db.opened.storedBytes)} saved in this browser).`;
  showStorage(stats);
  control("keep").addEventListener("click", keepDocuments);
  // Later visits are ready at once: the loading panel is not worth showing.
  $("loading").hidden = warm;
  $("loading").dataset.warm = String(warm);
  $("ask").addEventListener("submit", search);
  control("policy").addEventListener("change", () => { remembered.set(POLICY_KEY, control("policy").value); if (control("question").value.trim()) search(); });
  $("add").addEventListener("submit", add);
  control("add-cancel").addEventListener("click", () => adding?.abort());
  control("go").disabled = false;
  control("add-go").disabled = false;
  setOfflineBadge();
  document.body.dataset.ready = "true";
}

/** The same page over the cloud path: search only (the page's token has the search role). */
async function mainCloud() {
  const response = await fetch("./cloud/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error("no cloud configuration here; start the page with pkg-scripts/demo.sh --cloud");
  cloud = await response.json();
  // Say where questions go: in this mode they leave the device, to the plan's search service.
  $("tagline").textContent = `Ask about your plan. Your questions are sent to your plan's search service (${new URL(cloud.proxyUrl).host}) and answered from its documents.`;
  $("engine").textContent = "Titan Text Embeddings V2 and S3 Vectors, through benefind-proxy";
  for (const bar of document.querySelectorAll("#loading .bar")) /** @type {HTMLElement} */ (bar).hidden = true;
  db = await Benefind.open({ cloud: { proxyUrl: cloud.proxyUrl, token: cloud.token } });
  await refresh();
  $("add-section").hidden = true;
  $("status").textContent = `Ready: searching the cloud index through ${cloud.proxyUrl}.`;
  $("loading").hidden = false;
  $("ask").addEventListener("submit", search);
  control("policy").addEventListener("change", () => { remembered.set(POLICY_KEY, control("policy").value); if (control("question").value.trim()) search(); });
  control("go").disabled = false;
  setOfflineBadge();
  document.body.dataset.ready = "true";
  document.body.dataset.mode = "cloud";
}

main().catch((e) => {
  $("status").textContent = `Could not start: ${e.message}`;
  document.body.dataset.ready = "error";
});
