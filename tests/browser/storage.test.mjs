// Storage the member's browser restricts, in Chromium, Firefox and WebKit: the page never
// waits for a permission prompt, answers in a private window, and answers from memory when
// the browser blocks site data — telling the member in plain words that nothing will be
// remembered, never showing a raw error code.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./helpers.mjs";
import { ENGINES, sessionsFor, unexpectedErrors } from "./engines.mjs";

const SEED = "Is my annual checkup free?";
/** A storage error's code or exception name, which the member must never be shown. */
const RAW = /\b(STORAGE|QUOTA_EXCEEDED|DB_BLOCKED|DB_CLOSED|STORE_CORRUPT|INTERNAL|WORKER|NOT_OPEN)\b|SecurityError|InvalidStateError|NotAllowedError|UnknownError|DOMException/;

async function ready(tab) {
  const state = await tab.waitFor(() => ["true", "error"].includes(document.body.dataset.ready) && document.body.dataset.ready);
  assert.equal(state, "true", `the page failed to start: ${await tab.text("#status")}`);
}

async function askSeed(tab) {
  await tab.fill("#question", SEED);
  await tab.select("#policy", "PPO_PLUS");
  await tab.press("#question", "Enter");
  return tab.waitFor(() => {
    const li = document.querySelector("#results li .section");
    return /from PPO_PLUS/.test(document.getElementById("summary").textContent) && li?.textContent;
  });
}

/** Adds a pasted document and finds it again; the member-facing texts. */
async function addAndFind(tab) {
  await tab.fill("#doc-text", "## Acupuncture rider\nTwelve acupuncture visits a year are covered with a $15 copay.");
  await tab.fill("#doc-policy", "PPO_PLUS");
  await tab.click("#add-go");
  await tab.waitForStatus(/Added 1 passage|Nothing was added/);
  const added = await tab.text("#add-status");
  await tab.fill("#question", "how many acupuncture sessions");
  await tab.press("#question", "Enter");
  const source = await tab.waitFor(() => /acupuncture sessions/.test(document.getElementById("summary").textContent)
    && (document.querySelector("#results li .source")?.textContent ?? "none"));
  return { added, source };
}

const texts = (tab) => tab.evaluate(() => ({
  status: document.getElementById("status").textContent,
  note: document.getElementById("storage-note").textContent,
  state: document.getElementById("storage-note").dataset.state,
  summary: document.getElementById("summary").textContent,
}));

for (const engine of ENGINES) {
  describe(engine, () => {
    let server;
    const sessions = sessionsFor(engine);
    before(async () => { server = await startServer(); });
    after(() => server?.close());

    /**
     * What every member needs from a restricted browser (`variant` of engines.mjs): the
     * page starts, answers the seed question, adds a document and finds it, and shows no
     * raw error. Returns the member-facing texts and the page errors; saves a screenshot.
     */
    async function memberVisit(variant) {
      const { tab, errors } = await sessions.session({ variant });
      await tab.goto(server.url);
      await ready(tab);
      assert.equal(await askSeed(tab), "Preventive care");
      const { added, source } = await addAndFind(tab);
      assert.match(added, /Added 1 passage/);
      assert.equal(source, "pasted text");
      const t = await texts(tab);
      for (const text of Object.values(t)) assert.doesNotMatch(text, RAW);
      await tab.screenshot(variant === "private" ? "private-window" : variant);
      return { t, errors };
    }

    test("a private window: ready, the seed question answered, added documents found, storage explained", async () => {
      const { t, errors } = await memberVisit("private");
      assert.ok(["memory", "best-effort", "persistent"].includes(t.state), JSON.stringify(t));
      assert.ok(t.note.length > 20, "the member is told where their documents are kept");
      assert.deepEqual(unexpectedErrors(errors), []);
    });

    test("site data blocked: answers from memory and says the browser will not remember", async () => {
      const { t, errors } = await memberVisit("no-storage");
      assert.equal(t.state, "memory", JSON.stringify(t));
      assert.match(t.note, /won't remember your documents/);
      assert.match(t.status, /keeps nothing after you close the page/);
      assert.deepEqual(unexpectedErrors(errors), []);
    });

    test("asking to keep the documents never blocks: the prompt may stay unanswered while search answers", async () => {
      const { tab } = await sessions.session();
      await tab.goto(server.url);
      await ready(tab);
      const t = await texts(tab);
      // Firefox grants nothing unasked, so its prompt path is always the one tested.
      if (engine === "firefox") assert.equal(t.state, "best-effort");
      if (t.state === "best-effort") {
        assert.equal(await tab.visible("#keep"), true, "the page offers to keep the documents");
        await tab.click("#keep");
        if (engine === "firefox") {
          // Firefox asks the member; nobody answers. The page says it waits, and works.
          await new Promise((r) => setTimeout(r, 1500));
          assert.equal(await tab.text("#storage-note"), "Waiting for your browser's answer…");
        } else {
          await tab.waitFor(() => !/Waiting/.test(document.getElementById("storage-note").textContent));
        }
      } else {
        assert.equal(t.state, "persistent", JSON.stringify(t));
      }
      assert.equal(await askSeed(tab), "Preventive care");
      await tab.screenshot("keep-documents");
    });
  });
}
