// The demo page in headless Chromium: the model loads from the served files, the page's
// ranking and scores equal the native CLI's (same vectors in the browser as natively),
// keyboard-only search works, and nothing logs an error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ROOT, startServer, launchBrowser, collectPageErrors } from "./helpers.mjs";

const BIN = process.env.BENEFIND_BIN
  || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, "target"), "release/benefind");

/** Cosine of the question to each passage, computed by the native CLI. */
function nativeScores(question, passages) {
  const input = [question, ...passages].map((text) => JSON.stringify({ text })).join("\n") + "\n";
  const out = execFileSync(BIN, ["embed", "--model-dir", path.join(ROOT, "models/all-MiniLM-L6-v2")], { input });
  const [q, ...vs] = out.toString().trim().split("\n").map((l) => JSON.parse(l).embedding);
  return vs.map((v) => v.reduce((s, x, i) => s + x * q[i], 0));
}

async function pageResults(page) {
  return page.$$eval("#results li", (lis) =>
    lis.map((li) => ({ text: li.lastChild.textContent, score: Number(li.dataset.score) })));
}

async function assertMatchesNative(page) {
  const question = await page.inputValue("#question");
  const passages = (await page.inputValue("#passages")).split("\n").map((p) => p.trim()).filter(Boolean);
  const expected = nativeScores(question, passages)
    .map((score, i) => ({ text: passages[i], score }))
    .sort((a, b) => b.score - a.score);
  const got = await pageResults(page);
  assert.deepEqual(got.map((r) => r.text), expected.map((r) => r.text), "browser ranking differs from native");
  got.forEach((r, i) => assert.ok(Math.abs(r.score - expected[i].score) < 1e-4,
    `${r.text}: browser ${r.score} vs native ${expected[i].score}`));
  return got;
}

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.close(); });

test("demo ranks passages exactly as the native embedder does, keyboard only", async () => {
  const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
  const errors = collectPageErrors(page);
  await page.goto(server.url);
  await page.waitForSelector("#results li", { timeout: 120_000 });
  const first = await assertMatchesNative(page);
  assert.equal(first.length, 4);

  // Keyboard only: focus the question, type, press Enter.
  await page.focus("#question");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("How much do I pay for the emergency room?");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#status").textContent.includes("Embedded")
    && !document.querySelector("#results li")?.textContent.includes("Deductible"));
  const second = await assertMatchesNative(page);
  assert.match(second[0].text, /^Emergency room/);

  mkdirSync(path.join(ROOT, "screenshots"), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, "screenshots/demo.png"), fullPage: true });
  assert.deepEqual(errors, []);
});
