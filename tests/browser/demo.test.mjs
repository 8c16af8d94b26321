// The page (www/index.html) end to end in headless Chromium, as a member uses it: first
// visit with progress bars, the seed question per plan (same ranking and scores as the
// native CLI), policy remembered, documents added / found after a reload / deleted,
// offline after one visit (service worker), untrusted text rendered as text, keyboard-only
// use, phone width. Screenshots go to screenshots/ (git-ignored).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT, SHOTS, serverAndBrowser, collectPageErrors } from "./helpers.mjs";

const BIN = process.env.BENEFIND_BIN
  || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, "target"), "release/benefind");
const SEED = "Is my annual checkup free?";

/** The native CLI's answer on the same bundle. */
// The page embeds questions with the int8 weights (its default download); the CLI is
// asked to do the same, so both compute the same numbers (to the browser kernel's 15-bit
// input rounding).
function nativeSearch(question, policy) {
  const out = execFileSync(BIN, ["search", "--bundle", path.join(ROOT, "www/data/default.bundle"),
    "--model-dir", path.join(ROOT, "models/all-MiniLM-L6-v2"), "--weights", "int8", "--policy", policy, question]);
  return JSON.parse(out.toString()).results;
}

const results = (page) => page.$$eval("#results li", (lis) => lis.map((li) => ({
  id: li.dataset.id,
  score: Number(li.dataset.score),
  policy: li.querySelector(".policy")?.textContent,
  section: li.querySelector(".section")?.textContent,
  source: li.querySelector(".source")?.textContent,
  passage: li.querySelector(".passage").textContent,
  marks: [...li.querySelectorAll("mark")].map((m) => m.textContent),
})));

async function ask(page, question, policy) {
  await page.fill("#question", question);
  // Changing the policy searches again by itself; Enter makes sure the question is asked.
  if (policy) await page.selectOption("#policy", policy);
  await page.press("#question", "Enter");
  const expected = `from ${policy ?? ""}`;
  await page.waitForFunction(([q, p]) => {
    const s = document.getElementById("summary").textContent;
    return s.includes(`“${q}”`) && s.includes(p);
  }, [question, expected]);
  return results(page);
}

const ready = (page) => page.waitForSelector("body[data-ready=true]", { timeout: 120_000 });

const env = serverAndBrowser();

test("first visit: progress, the seed question per plan, same answers as the CLI; later visits ready at once", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(env.server.url);
  await page.waitForFunction(() => Number(document.getElementById("progress-model").value) > 0);
  assert.match(await page.textContent("#progress-model-text"), /MB \/ .*MB/);
  await page.screenshot({ path: path.join(SHOTS, "page-progress.png") });
  await ready(page);
  assert.match(await page.textContent("#status"), /Ready: \d+ passages/);
  assert.equal(await page.getAttribute("#question", "placeholder"), SEED);
  assert.deepEqual(await page.$$eval("#policy option", (os) => os.map((o) => o.value)), ["HDHP_SAVER", "HMO_SELECT", "PPO_PLUS"]);

  for (const policy of ["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"]) {
    const got = await ask(page, SEED, policy);
    assert.equal(got[0].section, "Preventive care", `${policy}: ${JSON.stringify(got[0])}`);
    assert.ok(got.every((r) => r.policy === policy), `${policy}: another plan's passage was shown`);
    const native = nativeSearch(SEED, policy);
    assert.deepEqual(got.map((r) => r.id), native.map((r) => r.id), "page and CLI rank alike");
    got.forEach((r, i) => assert.ok(Math.abs(r.score - native[i].score) < 1e-4, `${r.id}: ${r.score} vs ${native[i].score}`));
    assert.ok(got[0].marks.length > 0, "matched words are highlighted");
  }
  await page.screenshot({ path: path.join(SHOTS, "page-results.png"), fullPage: true });

  // Later visit: the policy is remembered, the model and passages come from this browser.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.reload();
  await ready(page);
  assert.equal(await page.inputValue("#policy"), "HDHP_SAVER");
  assert.equal(await page.getAttribute("#loading", "data-warm"), "true");
  assert.equal(await page.isVisible("#loading"), false);
  assert.equal(await page.textContent("#offline"), "Works offline");
  assert.deepEqual(errors, []);
  await context.close();
});

test("add documents (pasted and files), find them after a reload, delete them; offline after one visit", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(env.server.url);
  await ready(page);
  await page.fill("#doc-text", "## Acupuncture rider\nTwelve acupuncture visits a year are covered with a $15 copay.");
  await page.setInputFiles("#doc-files", [{ name: "gym.md", mimeType: "text/markdown", buffer: Buffer.from("## Gym benefit\nThe plan pays back $20 of your gym membership each month.") }]);
  await page.fill("#doc-policy", "PPO_PLUS");
  await page.click("#add-go");
  await page.waitForFunction(() => /Added 2 passages/.test(document.getElementById("add-status").textContent));
  assert.deepEqual(await page.$$eval("#documents li span", (s) => s.map((x) => x.textContent)).then((t) => t.sort()),
    ["gym.md — PPO_PLUS, 1 passage", "pasted text — PPO_PLUS, 1 passage"]);

  await page.reload();
  await ready(page);
  let got = await ask(page, "how many acupuncture sessions do I get", "PPO_PLUS");
  assert.equal(got[0].source, "pasted text");
  got = await ask(page, "gym membership reimbursement", "PPO_PLUS");
  assert.equal(got[0].source, "gym.md");
  await page.screenshot({ path: path.join(SHOTS, "page-added-document.png"), fullPage: true });

  // Offline: the network is gone; the page, wasm, model and passages load from this browser.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await context.setOffline(true);
  await page.reload();
  await ready(page);
  assert.equal(await page.getAttribute("#offline", "data-state"), "offline");
  got = await ask(page, SEED, "PPO_PLUS");
  assert.equal(got[0].section, "Preventive care");
  got = await ask(page, "gym membership reimbursement", "PPO_PLUS");
  assert.equal(got[0].source, "gym.md", "added documents are there offline too");
  await page.screenshot({ path: path.join(SHOTS, "page-offline.png"), fullPage: true });
  await context.setOffline(false);

  await page.click("button[aria-label='Delete gym.md']");
  await page.waitForFunction(() => /Deleted gym.md/.test(document.getElementById("add-status").textContent));
  await page.reload();
  await ready(page);
  got = await ask(page, "gym membership reimbursement", "PPO_PLUS");
  assert.ok(got.every((r) => r.source !== "gym.md"), "the deleted document is gone after a reload");
  assert.deepEqual(await page.$$eval("#documents li span", (s) => s.map((x) => x.textContent)), ["pasted text — PPO_PLUS, 1 passage"]);
  // Offline reloads log failed network fetches (handled); nothing else may error.
  assert.deepEqual(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(e)), []);
  await context.close();
});

test("document text is shown as text: markup in an added document never runs", async () => {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  let dialogs = 0;
  page.on("dialog", (d) => { dialogs++; d.dismiss(); });
  await page.goto(env.server.url);
  await ready(page);
  const evil = "## Pet insurance\nPet insurance covers <b>dogs</b> and cats. <img src=x onerror=\"window.__pwned=1;alert(1)\"> <script>window.__pwned=2</script> <a href=\"javascript:alert(3)\">claim</a>";
  await page.fill("#doc-text", evil);
  await page.fill("#doc-policy", "PPO_PLUS");
  await page.click("#add-go");
  await page.waitForFunction(() => /Added 1 passage/.test(document.getElementById("add-status").textContent));
  const got = await ask(page, "pet insurance dogs cats", "PPO_PLUS");
  assert.match(got[0].passage, /<img src=x onerror=/);
  assert.match(got[0].passage, /<script>window.__pwned=2<\/script>/);
  const injected = await page.$$eval("#results img, #results script, #results b, #results a, #documents img", (els) => els.length);
  assert.equal(injected, 0, "no element was created from document text");
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(dialogs, 0);
  await page.screenshot({ path: path.join(SHOTS, "page-xss-as-text.png"), fullPage: true });
  await context.close();
});

test("keyboard only, and readable at phone width", async () => {
  const context = await env.browser.newContext({ viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(env.server.url);
  await ready(page);
  // Tab from the top of the page to the question box, type, Enter.
  for (let i = 0; i < 10 && (await page.evaluate(() => document.activeElement?.id)) !== "question"; i++) await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "question");
  await page.keyboard.type("what does the emergency room cost");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "policy");
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#results li");
  const got = await results(page);
  assert.match(got[0].section, /Emergency/i, JSON.stringify(got[0]));
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: innerWidth }));
  assert.ok(scroll <= width, `no sideways scrolling at 375 px (${scroll} > ${width})`);
  await page.screenshot({ path: path.join(SHOTS, "page-phone.png"), fullPage: true });
  await context.close();
});
