// Rendering of search results, shared by the page (app.js) and the widget
// (benefind-widget.js). Document text is untrusted: it only ever becomes text nodes
// (textContent / createTextNode), never HTML.

/** Appends `text` to `parent` with the [start, end) ranges wrapped in <mark>. */
export function appendHighlighted(doc, parent, text, ranges) {
  let at = 0;
  const sorted = [...(ranges ?? [])].sort((a, b) => a[0] - b[0]);
  for (const [start, end] of sorted) {
    if (start < at || end <= start || end > text.length) continue;
    if (start > at) parent.append(doc.createTextNode(text.slice(at, start)));
    const mark = doc.createElement("mark");
    mark.textContent = text.slice(start, end);
    parent.append(mark);
    at = end;
  }
  if (at < text.length) parent.append(doc.createTextNode(text.slice(at)));
}

function span(doc, cls, text) {
  const el = doc.createElement("span");
  el.className = cls;
  el.textContent = text;
  return el;
}

/** The origin line of a passage: policy · source · page N · section. */
function origin(doc, metadata) {
  const meta = doc.createElement("p");
  meta.className = "where";
  const m = metadata ?? {};
  // Each field keeps its own class: a hit without a policy must not have its source
  // styled as the policy.
  const page = Number.isInteger(m.page) ? `page ${m.page}` : undefined;
  const parts = [["policy", m.policy], ["source", m.source], ["page", page], ["section", m.section]]
    .filter(([, x]) => typeof x === "string" && x.length);
  parts.forEach(([field, text], i) => {
    if (i) meta.append(doc.createTextNode(" · "));
    meta.append(span(doc, field, text));
  });
  return meta;
}

/**
 * The answer block shown before the passages (`ask()`'s result): the answering sentence,
 * highlighted, with its citation; or, when the documents do not answer, a plain sentence
 * saying so that names what they never mention and the closest topics they do cover.
 */
export function renderAnswer(doc, answered) {
  const box = doc.createElement("section");
  box.className = "answer";
  box.setAttribute("aria-label", "Answer");
  const a = answered.answer;
  if (a) {
    const hit = answered.results.find((h) => h.id === a.id);
    // One cell of a table row ("…: No charge") comes with the row's label line, which
    // says what the cell is for ("Services You May Need: Preventive care…").
    if (a.label) {
      const label = doc.createElement("p");
      label.className = "answer-label";
      label.textContent = a.label;
      box.append(label);
    }
    const text = doc.createElement("p");
    text.className = "answer-text";
    const mark = doc.createElement("mark");
    mark.textContent = a.text;
    text.append(mark);
    box.dataset.id = a.id;
    box.append(text, origin(doc, hit?.metadata));
    return box;
  }
  box.classList.add("none");
  const said = doc.createElement("p");
  said.className = "answer-text";
  const missing = answered.missing ?? [];
  said.textContent = missing.length
    ? `Your plan's documents don't mention ${listed(missing)}.`
    : "Your plan's documents don't answer this clearly.";
  box.append(said);
  const topics = [...new Set(answered.results.map((h) => h.metadata?.section).filter((s) => typeof s === "string" && s))];
  if (topics.length) {
    const near = doc.createElement("p");
    near.className = "closest";
    near.textContent = `Closest topics they cover: ${listed(topics)}.`;
    box.append(near);
  }
  return box;
}

/** "a", "a and b", "a, b and c". */
function listed(items) {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/**
 * Why a passage is shown, in a member's words rather than a similarity score (a cosine
 * means nothing to a reader, and MiniLM's are low even for the right passage): it holds
 * the answer; or, when nothing answers, it is only the closest passage and does not
 * mention what was asked; or it mentions these words of the question (one form of each:
 * "visit" for "visit" and "visits"); or it is only close in meaning. `answered` is
 * `ask()`'s result, if any.
 */
export function why(hit, answered = null) {
  if (answered?.answer && hit.id === answered.answer.id) return "The answer above is from this passage.";
  const quoted = (words) => listed(words.slice(0, 4).map((w) => `“${w}”`));
  if (answered && !answered.answer && answered.missing?.length) return `Closest passage found; it doesn't mention ${quoted(answered.missing)}.`;
  const stem = (w) => (w.length > 3 && w.endsWith("s") && !w.endsWith("ss") ? w.slice(0, -1) : w);
  const words = new Map();
  for (const [start, end] of hit.highlights ?? []) {
    const w = hit.text.slice(start, end).toLowerCase();
    if (!words.has(stem(w))) words.set(stem(w), w);
  }
  if (words.size) return `Mentions ${quoted([...words.values()])} from your question.`;
  return "Close in meaning to your question, without its words.";
}

/**
 * One result as an <li>: where it comes from (policy · source · page N · section), the
 * passage with matched words highlighted, and why it is shown (`why`, given `ask()`'s
 * result when there is one). For passage `n` of a written answer, `cited` says whether
 * the answer cites it (null while the answer is being written).
 */
export function renderHit(doc, hit, answered = null, n = 0, cited = null) {
  const li = doc.createElement("li");
  li.className = "hit";
  li.dataset.id = hit.id;
  li.dataset.score = String(hit.score);
  const meta = origin(doc, hit.metadata);
  if (n) {
    // A written answer's passage n: its citations [n] point here.
    li.dataset.n = String(n);
    li.tabIndex = -1;
    meta.prepend(span(doc, "num", `[${n}]`), doc.createTextNode(" "));
  }
  const m = hit.metadata ?? {};
  const passage = doc.createElement("p");
  passage.className = "passage";
  // A PDF row or section passage starts with its section's line (kept in the text for
  // search); the origin line above already shows it, so the passage starts after it.
  const lead = typeof m.section === "string" && m.section && hit.text.startsWith(`${m.section}\n`) ? m.section.length + 1 : 0;
  const highlights = (hit.highlights ?? []).filter(([start]) => start >= lead).map(([start, end]) => [start - lead, end - lead]);
  appendHighlighted(doc, passage, hit.text.slice(lead), highlights);
  const rel = doc.createElement("p");
  rel.className = "relevance";
  rel.textContent = n
    ? cited === null ? "Found for your question." : cited ? "The answer above cites this passage." : "Found for your question; the answer does not cite it."
    : why(hit, answered);
  li.append(meta, passage, rel);
  return li;
}

/** A cloud passage (`generate()`'s `passages`) as a hit for `renderHit`. */
export function passageHit(p) {
  const m = p.metadata ?? {};
  return { id: p.key, text: typeof m.chunk === "string" ? m.chunk : "", score: 1 - (p.distance ?? 1), metadata: m, highlights: [] };
}

/**
 * A written answer (the cloud path's `generate()`): its text with each `[n]` citation as a
 * button that brings passage n of the list into view, and where it came from. `a` is the
 * answer so far: `{answer, streaming, grounded, citations, guardrail, model}`.
 */
export function renderGenerated(doc, a) {
  const box = doc.createElement("section");
  box.className = "answer generated";
  box.setAttribute("aria-label", "Answer");
  const stopped = a.guardrail?.action === "GUARDRAIL_INTERVENED";
  box.dataset.state = a.streaming ? "streaming" : stopped ? "guardrail" : a.grounded ? "grounded" : "not-found";
  if (stopped || (!a.streaming && !a.grounded)) box.classList.add("none");
  const text = doc.createElement("p");
  text.className = "answer-text";
  const cited = new Set((a.citations ?? []).map((c) => c.n));
  const marks = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
  const body = a.answer ?? "";
  let at = 0;
  for (const m of stopped ? [] : body.matchAll(marks)) {
    text.append(doc.createTextNode(body.slice(at, m.index)));
    for (const n of m[1].split(",").map((x) => Number.parseInt(x, 10))) {
      if (!a.streaming && !cited.has(n)) continue;
      const b = doc.createElement("button");
      b.type = "button";
      b.className = "cite";
      b.dataset.n = String(n);
      b.textContent = `[${n}]`;
      b.setAttribute("aria-label", `Passage ${n}`);
      text.append(b);
    }
    at = m.index + m[0].length;
  }
  text.append(doc.createTextNode(body.slice(at)));
  const note = doc.createElement("p");
  note.className = "where";
  note.textContent = a.streaming
    ? "Writing from your plan's documents…"
    : stopped
      ? "The answer service's safety check stopped this."
      : a.grounded
        ? `Written by ${a.model} from the passages below; each [n] is where it comes from.`
        : "The passages below are the closest the search found.";
  box.append(text, note);
  box.addEventListener("click", (e) => {
    const cite = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest?.("button.cite"));
    if (!cite) return;
    const root = /** @type {Document | ShadowRoot} */ (box.getRootNode());
    const li = /** @type {HTMLElement | null} */ (root.querySelector(`li.hit[data-n="${cite.dataset.n}"]`));
    li?.scrollIntoView({ block: "nearest" });
    li?.focus();
  });
  return box;
}

/**
 * Asks the cloud path for a written answer and shows it as it is written: `slots.answer`
 * gets the answer, `slots.results` the numbered passages, `slots.status(text)` a summary.
 * When the service is busy (throttled), the answer slot says so with a "Try again" button
 * that calls `retry` once the wait is over. Resolves to the answer, or null.
 * @param {Document} doc @param {any} db @param {string} question @param {string} policy
 * @param {{answer: HTMLElement, results: HTMLElement, decorate: (li: HTMLElement) => HTMLElement, status: (text: string) => void}} slots
 * @param {{k?: number, retry?: () => void}} [options]
 */
export async function writeAnswer(doc, db, question, policy, slots, { k = 3, retry } = {}) {
  const t0 = performance.now();
  const state = { answer: "", streaming: true, grounded: false, citations: [], guardrail: null, model: "" };
  let passages = [];
  const draw = () => slots.answer.replaceChildren(renderGenerated(doc, state));
  const list = () => {
    const cited = state.streaming ? null : new Set(state.citations.map((c) => c.n));
    slots.results.replaceChildren(...passages.map((p, i) => slots.decorate(renderHit(doc, passageHit(p), null, i + 1, cited && cited.has(i + 1)))));
  };
  draw();
  slots.results.replaceChildren();
  slots.status("Writing an answer from your plan's documents…");
  try {
    const done = await db.generate(question, policy, {
      k,
      onEvent: ({ event, data }) => {
        if (event === "passages") { passages = data.passages; list(); }
        if (event === "delta") { state.answer += data.text; draw(); }
        if (event === "guardrail") { Object.assign(state, { answer: data.message, guardrail: data }); passages = []; list(); draw(); }
      },
    });
    Object.assign(state, done, { streaming: false });
    passages = done.passages;
    list();
    draw();
    const ms = performance.now() - t0;
    slots.status(done.guardrail.action === "GUARDRAIL_INTERVENED"
      ? "The answer service's safety check stopped this question; nothing was searched or shown."
      : `${passages.length} passage${passages.length === 1 ? "" : "s"} from ${policy} for “${question}” (${ms.toFixed(0)} ms; first words after ${done.usage.firstTokenMs ?? Math.round(ms)} ms).`);
    return done;
  } catch (e) {
    const busy = ["UPSTREAM_THROTTLED", "RATE_LIMITED", "OVERLOADED", "UPSTREAM_UNAVAILABLE"].includes(e.code);
    const broken = e.code === "UPSTREAM_ERROR" || e.code === "UPSTREAM_TIMEOUT" || e.code === "NETWORK";
    const box = doc.createElement("section");
    box.className = "answer none unavailable";
    box.dataset.state = busy ? "busy" : "failed";
    const said = doc.createElement("p");
    said.className = "answer-text";
    const wait = Math.max(1, Math.min(60, e.retryAfter ?? 1));
    said.textContent = busy
      ? `The plan's answer service is busy right now. Try again in ${wait} second${wait === 1 ? "" : "s"}.`
      : broken
        ? `The answer stopped before it was complete (${e.message}).`
        : `No answer: ${e.message}`;
    box.append(said);
    if ((busy || broken) && retry) {
      const again = doc.createElement("button");
      again.type = "button";
      again.className = "retry";
      again.textContent = "Try again";
      again.disabled = busy;
      if (busy) setTimeout(() => { again.disabled = false; }, wait * 1000);
      again.addEventListener("click", () => retry());
      box.append(again);
    }
    slots.answer.replaceChildren(box);
    if (!broken) slots.results.replaceChildren();
    slots.status(busy ? "Busy: no answer yet." : "No complete answer.");
    return null;
  }
}

/** Human-readable bytes. */
export function megabytes(n) {
  return `${(n / 1e6).toFixed(1)} MB`;
}
