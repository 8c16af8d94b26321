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
 * result when there is one).
 */
export function renderHit(doc, hit, answered = null) {
  const li = doc.createElement("li");
  li.className = "hit";
  li.dataset.id = hit.id;
  li.dataset.score = String(hit.score);
  const meta = origin(doc, hit.metadata);
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
  rel.textContent = why(hit, answered);
  li.append(meta, passage, rel);
  return li;
}

/** Human-readable bytes. */
export function megabytes(n) {
  return `${(n / 1e6).toFixed(1)} MB`;
}
