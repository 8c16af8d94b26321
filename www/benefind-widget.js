// <benefind-search>: benefind as a custom element for portals. One script tag:
//   <script type="module" src="https://…/benefind-widget.js"></script>
//   <benefind-search policy="PPO_PLUS"></benefind-search>
// Attributes: policy (omit to let the member choose), bundle, model-base, k (1–10),
// placeholder. Cloud mode (written, cited answers from benefind-proxy's /v1/answer, streamed):
// proxy-url and token (the portal's search token, which is public), and policies (the
// choices, comma-separated, when policy is not fixed); the proxy must list the portal's
// origin, and the page's CSP must allow connect-src to it. Theme with CSS custom properties on the element: --benefind-accent,
// --benefind-bg, --benefind-fg, --benefind-muted, --benefind-radius, --benefind-font.
// The answer comes first (part="answer": the sentence that answers, highlighted and cited,
// or a plain "your plan's documents don't mention …"), then the passages.
// Each result carries part="result" (style it with ::part(result)); opening one (click,
// Enter or Space) fires a `benefind-result` event ({id, text, score, metadata}) that
// bubbles out of the shadow root. Widgets on one page share one worker and model per
// bundle. Works under a strict CSP (no inline script or style; 'wasm-unsafe-eval').
import { Benefind } from "./pkg/benefind.js";
import { renderAnswer, renderHit, writeAnswer } from "./render.js";

const DEFAULT_MODEL = new URL("./models/all-MiniLM-L6-v2/", import.meta.url).href;
const DEFAULT_BUNDLE = new URL("./data/default.bundle", import.meta.url).href;

/** One Benefind (worker + model + database) per model and bundle, shared by all widgets. */
const instances = new Map();
const listeners = new Map();
function shared(modelBase, bundle) {
  const key = `${modelBase}\n${bundle}`;
  if (!instances.has(key)) {
    listeners.set(key, new Set());
    const progress = (p) => { for (const f of listeners.get(key)) f(p); };
    const opening = Benefind.open({
      model: { baseUrl: modelBase },
      bundleUrl: bundle,
      dbName: `benefind-widget:${bundle}`,
      onProgress: progress,
    });
    opening.catch(() => instances.delete(key));
    instances.set(key, opening);
  }
  return { db: instances.get(key), listeners: listeners.get(key) };
}

/** One cloud-mode Benefind per proxy and token, shared by all widgets. */
function sharedCloud(proxyUrl, token) {
  const key = `cloud\n${proxyUrl}\n${token}`;
  if (!instances.has(key)) {
    const opening = Benefind.open({ cloud: { proxyUrl, token } });
    opening.catch(() => instances.delete(key));
    instances.set(key, opening);
  }
  return instances.get(key);
}

/** How many Benefind instances the widgets on this page use (for tests and diagnostics). */
export function sharedInstances() {
  return instances.size;
}

const CSS = `
:host {
  all: initial;
  display: block;
  font-family: var(--benefind-font, system-ui, sans-serif);
  font-size: 16px;
  line-height: 1.45;
  color: var(--benefind-fg, #1d2433);
  background: var(--benefind-bg, #ffffff);
  border: 1px solid var(--benefind-border, #d5d9e3);
  border-radius: var(--benefind-radius, 10px);
  padding: 0.75rem;
  box-sizing: border-box;
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
form { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: end; margin: 0; }
.field { display: flex; flex-direction: column; flex: 1 1 12rem; }
label { font-weight: 600; font-size: 0.85rem; margin-bottom: 0.2rem; }
input, select, button { font: inherit; color: inherit; padding: 0.45rem 0.6rem; border-radius: 6px; border: 1px solid var(--benefind-border, #c4c9d6); background: #fff; }
button { background: var(--benefind-accent, #2456c7); color: #fff; border-color: transparent; cursor: pointer; font-weight: 600; }
button:disabled { opacity: 0.6; cursor: progress; }
:focus-visible { outline: 3px solid var(--benefind-accent, #2456c7); outline-offset: 2px; }
.answer { margin: 0.6rem 0 0; padding: 0.5rem 0.65rem; border-radius: 8px; border-left: 4px solid var(--benefind-accent, #2456c7); background: var(--benefind-answer-bg, #f4f7fd); }
.answer.none { border-left-color: var(--benefind-muted, #5b6478); }
.answer-text { margin: 0 0 0.25rem; }
.answer-label { margin: 0 0 0.15rem; font-weight: 600; }
.answer .closest { margin: 0; font-size: 0.85rem; color: var(--benefind-muted, #5b6478); }
.answer .cite { font: inherit; font-size: 0.85em; padding: 0 0.15em; margin: 0 0.1em; border: 0; background: none; color: var(--benefind-accent, #2456c7); text-decoration: underline; cursor: pointer; font-weight: 400; }
.answer .where { margin: 0; font-size: 0.8rem; color: var(--benefind-muted, #5b6478); }
.where .num { font-weight: 700; }
.status { margin: 0.5rem 0 0; color: var(--benefind-muted, #5b6478); font-size: 0.9rem; }
ol { list-style: none; margin: 0.5rem 0 0; padding: 0; }
li.hit { margin: 0.5rem 0 0; padding: 0.5rem 0.65rem; border-radius: 8px; border: 1px solid var(--benefind-border, #e1e4ec); cursor: pointer; color: var(--benefind-fg, #1d2433); text-transform: none; background: transparent; }
li.hit:hover { border-color: var(--benefind-accent, #2456c7); }
.where { margin: 0; font-size: 0.8rem; color: var(--benefind-muted, #5b6478); }
.policy { font-weight: 700; }
.passage { margin: 0.25rem 0; white-space: pre-line; }
mark { background: var(--benefind-mark, #fff1a8); color: inherit; padding: 0 0.1em; border-radius: 2px; }
.relevance { margin: 0; font-size: 0.8rem; color: var(--benefind-muted, #5b6478); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;

let sheet = null;
function styles() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}

let uid = 0;

class BenefindSearch extends HTMLElement {
  /** How many Benefind instances the widgets on this page use (as `sharedInstances()`). */
  static sharedInstances() {
    return sharedInstances();
  }

  #root;
  #db = null;
  #cloud = false;
  #els = {};

  connectedCallback() {
    if (this.#root) return;
    this.#root = this.attachShadow({ mode: "open" });
    this.#root.adoptedStyleSheets = [styles()];
    const id = `bf${++uid}`;
    const el = (tag, props = {}, ...children) => {
      const node = document.createElement(tag);
      for (const [k, v] of Object.entries(props)) {
        if (k === "text") node.textContent = v;
        else if (k in node && typeof v !== "string") node[k] = v;
        else node.setAttribute(k, v);
      }
      node.append(...children);
      return node;
    };
    const input = el("input", { id: `${id}-q`, type: "search", autocomplete: "off", required: "" });
    input.placeholder = this.getAttribute("placeholder") || "Is my annual checkup free?";
    const fixedPolicy = this.getAttribute("policy");
    const select = el("select", { id: `${id}-p` });
    const button = el("button", { type: "submit", text: "Search" });
    button.disabled = true;
    const status = el("p", { class: "status", role: "status", text: "Loading…" });
    const answer = el("div", { class: "answer-slot" });
    const results = el("ol", { "aria-label": "Results", part: "results" });
    const form = el("form", { role: "search" },
      el("div", { class: "field" }, el("label", { for: `${id}-q`, text: "Question" }), input),
      ...(fixedPolicy ? [] : [el("div", { class: "field" }, el("label", { for: `${id}-p`, text: "Policy" }), select)]),
      button);
    this.#root.append(form, el("div", { "aria-live": "polite" }, answer, status, results));
    this.#els = { input, select, button, status, answer, results };
    form.addEventListener("submit", (e) => { e.preventDefault(); this.search(); });
    this.#start().catch((e) => { status.textContent = `Search is unavailable: ${e.message}`; this.dataset.state = "error"; });
  }

  async #start() {
    const proxy = this.getAttribute("proxy-url");
    if (proxy) {
      this.#cloud = true;
      this.#db = await sharedCloud(new URL(proxy, document.baseURI).origin, this.getAttribute("token") || "");
      const policies = (this.getAttribute("policies") || "").split(",").map((p) => p.trim()).filter(Boolean);
      this.#els.select.replaceChildren(...policies.map((p) => new Option(p, p)));
      this.#els.status.textContent = "Ready: your plan's answer service writes the answer, citing its documents.";
      this.#els.button.disabled = false;
      this.dataset.state = "ready";
      return;
    }
    const modelBase = new URL(this.getAttribute("model-base") || DEFAULT_MODEL, document.baseURI).href;
    const bundle = new URL(this.getAttribute("bundle") || DEFAULT_BUNDLE, document.baseURI).href;
    const { db, listeners } = shared(modelBase, bundle);
    const onProgress = (p) => {
      if (p.phase === "model" && p.total) this.#els.status.textContent = `Loading the language model… ${Math.round((100 * p.loaded) / p.total)}% (${p.file})`;
      if (p.phase === "index") this.#els.status.textContent = "Loading the plan's passages…";
    };
    listeners.add(onProgress);
    try {
      this.#db = await db;
    } finally {
      listeners.delete(onProgress);
    }
    const stats = await this.#db.stats();
    const policies = Object.keys(stats.policies).sort();
    this.#els.select.replaceChildren(...policies.map((p) => new Option(p, p)));
    this.#els.status.textContent = `Ready: ask about ${this.getAttribute("policy") || "your plan"}.`;
    this.#els.button.disabled = false;
    this.dataset.state = "ready";
  }

  /** Runs the search in the box (also what pressing Enter does). */
  async search() {
    const question = this.#els.input.value.trim();
    const policy = this.getAttribute("policy") || this.#els.select.value;
    if (!this.#db || !question || !policy) return;
    const k = Math.min(10, Math.max(1, Number.parseInt(this.getAttribute("k") || "3", 10) || 3));
    if (this.#cloud) {
      const slots = {
        answer: this.#els.answer, results: this.#els.results,
        decorate: (li) => this.#wire(li, li.dataset.id, li.querySelector(".passage")?.textContent ?? "", Number(li.dataset.score), {}),
        status: (text) => { this.#els.status.textContent = text; },
      };
      const done = await writeAnswer(document, this.#db, question, policy, slots, { k: Math.min(k, 5), retry: () => this.search() });
      const box = this.#els.answer.firstElementChild;
      box?.setAttribute("part", "answer");
      if (done) this.#wireMetadata(done.passages);
      this.dispatchEvent(new CustomEvent("benefind-search", { detail: { question, policy }, bubbles: true, composed: true }));
      return;
    }
    try {
      const answered = await this.#db.ask({ question, k, where: { policy } });
      const hits = answered.results;
      const box = renderAnswer(document, answered);
      box.setAttribute("part", "answer");
      this.#els.answer.replaceChildren(box);
      this.#els.results.replaceChildren(...hits.map((hit) => this.#result(hit, answered)));
      const what = answered.answer ? "passages" : "closest passages";
      this.#els.status.textContent = hits.length ? `${hits.length} ${what} from ${policy}.` : `Nothing found in ${policy}.`;
    } catch (e) {
      this.#els.answer.replaceChildren();
      this.#els.results.replaceChildren();
      this.#els.status.textContent = `Search failed: ${e.message}`;
    }
    this.dispatchEvent(new CustomEvent("benefind-search", { detail: { question, policy }, bubbles: true, composed: true }));
  }

  #result(hit, answered) {
    return this.#wire(renderHit(document, hit, answered), hit.id, hit.text, hit.score, hit.metadata);
  }

  /** Cloud passages' metadata, for their benefind-result events. */
  #metadata = new Map();
  #wireMetadata(passages) {
    this.#metadata = new Map(passages.map((p) => [p.key, p.metadata ?? {}]));
  }

  /** Makes a result a part that opens (benefind-result) on click, Enter or Space. */
  #wire(li, id, text, score, metadata) {
    li.setAttribute("part", "result");
    li.tabIndex = 0;
    const open = () => this.dispatchEvent(new CustomEvent("benefind-result", {
      detail: { id, text, score, metadata: this.#cloud ? this.#metadata.get(id) ?? metadata : metadata },
      bubbles: true,
      composed: true,
    }));
    li.addEventListener("click", open);
    li.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); }
    });
    return li;
  }
}

if (!customElements.get("benefind-search")) customElements.define("benefind-search", BenefindSearch);
