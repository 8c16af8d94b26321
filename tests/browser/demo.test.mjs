// The page (www/index.html) end to end, as a member uses it, in Chromium, Firefox and
// WebKit: first visit with progress bars, the seed question per plan (same ranking and
// scores as the native CLI), policy remembered, documents added / found after a reload /
// deleted, offline after one visit (service worker; the server is really gone), untrusted
// text rendered as text, keyboard-only use, phone width. Screenshots go to screenshots/
// (git-ignored), one per engine.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, SHOTS, startServer } from "./helpers.mjs";
import { ENGINES, Key, sessionsFor, unexpectedErrors } from "./engines.mjs";

const BIN = process.env.BENEFIND_BIN
  || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, "target"), "release/benefind");
const SEED = "Is my annual checkup free?";

/** The native CLI's answer on the same bundle. */
// The page embeds questions with the int8 weights (its default download); the CLI is
// asked to do the same, so both compute the same numbers (to the browser kernel's 14-bit
// input rounding).
const native = new Map();
function nativeSearch(question, policy) {
  const key = `${policy}\n${question}`;
  if (!native.has(key)) {
    const out = execFileSync(BIN, ["search", "--bundle", path.join(ROOT, "www/data/default.bundle"),
      "--model-dir", path.join(ROOT, "models/all-MiniLM-L6-v2"), "--weights", "int8", "--policy", policy, question]);
    native.set(key, JSON.parse(out.toString()));
  }
  return native.get(key).results;
}
/** The CLI's answer (or null) for a question it was asked by nativeSearch. */
const nativeAnswer = (question, policy) => native.get(`${policy}\n${question}`).answer;

/** The page's answer block: the highlighted sentence and its citation, or the plain "don't mention". */
const answerShown = (tab) => tab.evaluate(() => {
  const box = document.querySelector("#answer .answer");
  return box && { none: box.classList.contains("none"), text: box.querySelector(".answer-text").textContent,
    marked: box.querySelector(".answer-text mark")?.textContent ?? null, id: box.dataset.id ?? null,
    section: box.querySelector(".where .section")?.textContent ?? null, closest: box.querySelector(".closest")?.textContent ?? null };
});

const results = (tab) => tab.evaluate(() => [...document.querySelectorAll("#results li")].map((li) => ({
  id: li.dataset.id,
  score: Number(li.dataset.score),
  policy: li.querySelector(".policy")?.textContent,
  section: li.querySelector(".section")?.textContent,
  source: li.querySelector(".source")?.textContent,
  why: li.querySelector(".relevance")?.textContent,
  passage: li.querySelector(".passage").textContent,
  marks: [...li.querySelectorAll("mark")].map((m) => m.textContent),
})));

/** Asks a question for a plan as a member does (type, pick the plan, Enter); the results. */
async function ask(tab, question, policy) {
  await tab.evaluate(() => { document.getElementById("summary").textContent = ""; });
  await tab.fill("#question", question);
  // Changing the policy searches again by itself; Enter makes sure the question is asked.
  if (policy) await tab.select("#policy", policy);
  await tab.press("#question", "Enter");
  await tab.waitFor((q, p) => {
    const s = document.getElementById("summary").textContent;
    return s.includes(`“${q}”`) && s.includes(`from ${p}`);
  }, [question, policy ?? ""]);
  return results(tab);
}

const ready = (tab) => tab.waitFor(() => document.body.dataset.ready === "true" || document.body.dataset.ready === "error")
  .then(async () => assert.equal(await tab.evaluate(() => document.body.dataset.ready), "true",
    `the page failed to start: ${await tab.text("#status")}`));

for (const engine of ENGINES) {
  describe(engine, () => {
    let server;
    const sessions = sessionsFor(engine);
    before(async () => {
      fs.mkdirSync(SHOTS, { recursive: true });
      server = await startServer([`/tests=${path.join(ROOT, "tests")}`]);
    });
    after(() => server?.close());

    test("first visit: progress, the seed question per plan, same answers as the CLI; later visits ready at once", async (t) => {
      const { tab, errors } = await sessions.session();
      const start = Date.now();
      await tab.goto(server.url);
      await tab.waitFor(() => Number(document.getElementById("progress-model").value) > 0);
      assert.match(await tab.text("#progress-model-text"), /MB \/ .*MB/);
      await tab.screenshot("page-progress");
      await ready(tab);
      assert.match(await tab.text("#status"), /Ready: \d+ passages/);
      assert.equal(await tab.attr("#question", "placeholder"), SEED);
      assert.deepEqual(await tab.evaluate(() => [...document.querySelectorAll("#policy option")].map((o) => o.value)),
        ["HDHP_SAVER", "HMO_SELECT", "PPO_PLUS"]);

      let cold = null;
      for (const policy of ["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"]) {
        const got = await ask(tab, SEED, policy);
        cold ??= Date.now() - start;
        assert.equal(got[0].section, "Preventive care", `${policy}: ${JSON.stringify(got[0])}`);
        assert.ok(got.every((r) => r.policy === policy), `${policy}: another plan's passage was shown`);
        const cli = nativeSearch(SEED, policy);
        assert.deepEqual(got.map((r) => r.id), cli.map((r) => r.id), "page and CLI rank alike");
        // Same int8 weights; the CLI multiplies in f32, the page on 14-bit integer
        // activations: scores agree to a few 1e-4 (1.2e-4 seen), rankings exactly.
        got.forEach((r, i) => assert.ok(Math.abs(r.score - cli[i].score) < 5e-4, `${r.id}: ${r.score} vs ${cli[i].score}`));
        assert.ok(got[0].marks.length > 0, "matched words are highlighted");
        // The answer comes first: the CLI's answering sentence, highlighted, cited.
        const shown = await answerShown(tab);
        const cliAnswer = nativeAnswer(SEED, policy);
        assert.ok(cliAnswer, `${policy}: the CLI answers the seed question`);
        assert.deepEqual([shown.none, shown.marked, shown.id, shown.section], [false, cliAnswer.text, cliAnswer.id, "Preventive care"]);
        // No similarity score on show: each passage says why it is there, in words.
        const why = got.map((r) => r.why);
        assert.equal(why[got.findIndex((r) => r.id === cliAnswer.id)], "The answer above is from this passage.");
        assert.ok(why.every((w) => /^(The answer above is from this passage\.|Mentions “.+” from your question\.|Close in meaning to your question, without its words\.)$/.test(w)), why.join(" | "));
      }
      await tab.screenshot("page-results");
      // A question about something no plan document mentions is answered plainly.
      await ask(tab, "Is acupuncture covered?", "HDHP_SAVER");
      const none = await answerShown(tab);
      assert.equal(none.none, true);
      assert.equal(none.text, "Your plan's documents don't mention acupuncture.");
      assert.match(none.closest, /^Closest topics they cover: /);
      const closest = await results(tab);
      assert.ok(closest.length > 0 && closest.every((r) => r.why === "Closest passage found; it doesn't mention “acupuncture”."), JSON.stringify(closest.map((r) => r.why)));
      await tab.screenshot("page-no-answer");

      // Later visit: the policy is remembered, the model and passages come from this browser.
      await tab.waitFor(() => navigator.serviceWorker.controller !== null);
      const warmStart = Date.now();
      await tab.reload();
      await ready(tab);
      assert.equal(await tab.value("#policy"), "HDHP_SAVER");
      assert.equal(await tab.attr("#loading", "data-warm"), "true");
      assert.equal(await tab.visible("#loading"), false);
      assert.equal(await tab.text("#offline"), "Works offline");
      assert.equal((await ask(tab, SEED, "PPO_PLUS"))[0].section, "Preventive care");
      const warm = Date.now() - warmStart;
      // The closing note's figures: navigation to the seed question's first answer.
      t.diagnostic(`time to first answer (${engine}): cold ${cold} ms, warm ${warm} ms`);
      assert.deepEqual(errors, []);
    });

    test("add documents (pasted and files), find them after a reload, delete them; offline after one visit", async () => {
      const { tab, errors } = await sessions.session();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "benefind-docs-"));
      const gym = path.join(dir, "gym.md");
      fs.writeFileSync(gym, "## Gym benefit\nThe plan pays back $20 of your gym membership each month.");
      await tab.goto(server.url);
      await ready(tab);
      await tab.fill("#doc-text", "## Acupuncture rider\nTwelve acupuncture visits a year are covered with a $15 copay.");
      await tab.setFiles("#doc-files", [gym]);
      await tab.fill("#doc-policy", "PPO_PLUS");
      await tab.click("#add-go");
      await tab.waitForStatus(/Added 2 passages/);
      fs.rmSync(dir, { recursive: true, force: true });
      assert.deepEqual((await tab.evaluate(() => [...document.querySelectorAll("#documents li span")].map((x) => x.textContent))).sort(),
        ["gym.md — PPO_PLUS, 1 passage", "pasted text — PPO_PLUS, 1 passage"]);

      await tab.reload();
      await ready(tab);
      let got = await ask(tab, "how many acupuncture sessions do I get", "PPO_PLUS");
      assert.equal(got[0].source, "pasted text");
      got = await ask(tab, "gym membership reimbursement", "PPO_PLUS");
      assert.equal(got[0].source, "gym.md");
      await tab.screenshot("page-added-document");

      // Offline: the server is gone. A navigation (not the driver's Refresh, which
      // geckodriver sends past the service worker) loads the page, wasm, model and
      // passages from this browser.
      await tab.waitFor(() => navigator.serviceWorker.controller !== null);
      const port = new URL(server.url).port;
      await server.close();
      try {
        await tab.reload();
        await ready(tab);
        // A file the service worker has not cached must fail: the network is really gone.
        assert.equal(await tab.evaluate(async () => fetch(`/not-cached-${Date.now()}`).then(() => "reached", () => "unreachable")),
          "unreachable", "the server is really down");
        assert.ok(await tab.evaluate(async () => !!(await caches.match("/pkg/embedder-worker.js"))),
          "the ingest helpers' script is cached, so adding documents offline uses every core");
        got = await ask(tab, SEED, "PPO_PLUS");
        assert.equal(got[0].section, "Preventive care");
        got = await ask(tab, "gym membership reimbursement", "PPO_PLUS");
        assert.equal(got[0].source, "gym.md", "added documents are there offline too");
        await tab.screenshot("page-offline");
      } finally {
        server = await startServer([`/tests=${path.join(ROOT, "tests")}`], { port: Number(port) });
      }

      await tab.click("button[aria-label='Delete gym.md']");
      await tab.waitForStatus(/Deleted gym.md/);
      await tab.reload();
      await ready(tab);
      got = await ask(tab, "gym membership reimbursement", "PPO_PLUS");
      assert.ok(got.every((r) => r.source !== "gym.md"), "the deleted document is gone after a reload");
      assert.deepEqual(await tab.evaluate(() => [...document.querySelectorAll("#documents li span")].map((x) => x.textContent)),
        ["pasted text — PPO_PLUS, 1 passage"]);
      // Offline reloads log failed network fetches (handled); nothing else may error.
      assert.deepEqual(unexpectedErrors(errors), []);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test("document text is shown as text: markup in an added document never runs", async () => {
      const { tab } = await sessions.session();
      await tab.goto(server.url);
      await ready(tab);
      await tab.evaluate(() => {
        window.alert = () => { window.__alerts = (window.__alerts ?? 0) + 1; };
        // Every HTML-parsing sink records what it is given: document text reaching one
        // (even on a detached element, whose <img onerror> would fire later) fails the test
        // deterministically, with no wait for a handler that might run.
        window.__sinks = [];
        const trap = (proto, prop) => {
          const d = Object.getOwnPropertyDescriptor(proto, prop);
          if (!d?.set) throw new Error(`no ${prop} setter to trap`);
          Object.defineProperty(proto, prop, { ...d, set(v) { if (/onerror|<script/.test(String(v))) __sinks.push(prop); return d.set.call(this, v); } });
        };
        trap(Element.prototype, "innerHTML");
        trap(Element.prototype, "outerHTML");
        trap(ShadowRoot.prototype, "innerHTML");
        const insert = Element.prototype.insertAdjacentHTML;
        Element.prototype.insertAdjacentHTML = function (where, html) {
          if (/onerror|<script/.test(String(html))) __sinks.push("insertAdjacentHTML");
          return insert.call(this, where, html);
        };
        const parse = DOMParser.prototype.parseFromString;
        DOMParser.prototype.parseFromString = function (text, type) {
          if (/onerror|<script/.test(String(text))) __sinks.push("DOMParser");
          return parse.call(this, text, type);
        };
        const fragment = Range.prototype.createContextualFragment;
        Range.prototype.createContextualFragment = function (html) {
          if (/onerror|<script/.test(String(html))) __sinks.push("createContextualFragment");
          return fragment.call(this, html);
        };
      });
      const evil = "## Pet insurance\nPet insurance covers <b>dogs</b> and cats. <img src=x onerror=\"window.__pwned=1;alert(1)\"> <script>window.__pwned=2</script> <a href=\"javascript:alert(3)\">claim</a>";
      await tab.fill("#doc-text", evil);
      await tab.fill("#doc-policy", "PPO_PLUS");
      await tab.click("#add-go");
      await tab.waitForStatus(/Added 1 passage/);
      const got = await ask(tab, "pet insurance dogs cats", "PPO_PLUS");
      assert.match(got[0].passage, /<img src=x onerror=/);
      assert.match(got[0].passage, /<script>window.__pwned=2<\/script>/);
      const injected = await tab.evaluate(() => document.querySelectorAll("#results img, #results script, #results b, #results a, #documents img").length);
      assert.equal(injected, 0, "no element was created from document text");
      assert.deepEqual(await tab.evaluate(() => window.__sinks), [], "document text never reached an HTML parser");
      assert.equal(await tab.evaluate(() => window.__pwned ?? null), null);
      assert.equal(await tab.evaluate(() => window.__alerts ?? 0), 0);
      await tab.screenshot("page-xss-as-text");
    });

    test("a result's origin line styles each field as what it is, whichever fields are missing", async () => {
      const { tab } = await sessions.session();
      await tab.goto(server.url);
      const spans = await tab.evaluate(async () => {
        const { renderHit } = await import("/render.js");
        const li = renderHit(document, { id: "x", score: 0.5, text: "t", metadata: { source: "rider.md", section: "Acupuncture" } });
        return [...li.querySelectorAll(".where span")].map((s) => [s.className, s.textContent]);
      });
      assert.deepEqual(spans, [["source", "rider.md"], ["section", "Acupuncture"]]);
    });

    test("why a passage is shown: the answer's passage, the words it shares (one form each), or only meaning", async () => {
      const { tab } = await sessions.session();
      await tab.goto(server.url);
      const said = await tab.evaluate(async () => {
        const { why } = await import("/render.js");
        const text = "Specialist visits: each visit costs $50.";
        const hit = { id: "a", text, highlights: [[0, 10], [11, 17], [24, 29]] };
        return [
          why(hit, { answer: { id: "a" }, missing: [] }),
          why(hit, { answer: { id: "b" }, missing: [] }),
          why({ ...hit, highlights: [] }, null),
          why(hit, { answer: null, missing: ["massages", "neck"] }),
        ];
      });
      assert.deepEqual(said, [
        "The answer above is from this passage.",
        "Mentions “specialist” and “visits” from your question.",
        "Close in meaning to your question, without its words.",
        "Closest passage found; it doesn't mention “massages” and “neck”.",
      ]);
    });

    test("a passage that starts with its section's line (a PDF row) is shown from the line after it", async () => {
      const { tab } = await sessions.session();
      await tab.goto(server.url);
      const shown = await tab.evaluate(async () => {
        const { renderHit } = await import("/render.js");
        const section = "Common Medical Event: If you visit a provider’s office";
        const text = `${section}\nServices You May Need: Specialist visit — $50 copay`;
        const at = (w) => [text.indexOf(w), text.indexOf(w) + w.length];
        const hit = { id: "r", score: 0.5, text, metadata: { section }, highlights: [at("office"), at("Specialist"), at("copay")] };
        const passage = renderHit(document, hit).querySelector(".passage");
        const other = renderHit(document, { ...hit, metadata: { section: "Preventive care" } }).querySelector(".passage");
        return [passage.textContent, [...passage.querySelectorAll("mark")].map((m) => m.textContent), other.textContent === text];
      });
      assert.deepEqual(shown, ["Services You May Need: Specialist visit — $50 copay", ["Specialist", "copay"], true]);
    });

    test("keyboard only, and readable at phone width", async () => {
      const { tab } = await sessions.session({ width: 800, height: 1000 });
      await tab.goto(`${server.url}tests/browser/phone.html`);
      await tab.frame("#phone");
      await ready(tab);
      assert.equal(await tab.evaluate(() => innerWidth), 375, "the page's viewport is phone-sized");
      await tab.evaluate(() => document.activeElement?.blur());
      // Tab from the top of the page to the question box, type, Enter.
      for (let i = 0; i < 12 && (await tab.evaluate(() => document.activeElement?.id)) !== "question"; i++) await tab.keys(Key.TAB);
      assert.equal(await tab.evaluate(() => document.activeElement.id), "question");
      await tab.keys("what does the emergency room cost");
      await tab.keys(Key.TAB);
      assert.equal(await tab.evaluate(() => document.activeElement.id), "policy");
      await tab.chord(Key.SHIFT, Key.TAB);
      await tab.keys(Key.ENTER);
      await tab.waitFor(() => document.querySelectorAll("#results li").length > 0);
      const got = await results(tab);
      assert.match(got[0].section, /Emergency/i, JSON.stringify(got[0]));
      const { scroll, inner } = await tab.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: innerWidth }));
      assert.ok(scroll <= inner, `no sideways scrolling at ${inner} px (${scroll} > ${inner})`);
      // Typed on a phone ("smart punctuation" curly quotes): what straight ones get.
      const asked = async (question) => ({ got: await ask(tab, question, "PPO_PLUS"), answer: await answerShown(tab) });
      const straight = await asked("What's my copay if I'm sick?");
      assert.ok(straight.answer && !straight.answer.none, JSON.stringify(straight.answer));
      assert.deepEqual(await asked("What\u2019s my copay if I\u2019m sick?"), straight);
      await tab.frame(null);
      await tab.screenshot("page-phone");
    });
  });
}
