// PDFs in the page, as a member adds them, in every engine: a real SBC (pages 1–3 of
// CMS's 2025 example) read by the lazily loaded PDF module, its table rows cited with
// their page; bad PDFs (password, scan, not a PDF, truncated) refused with a plain
// message and nothing added; a 300-page file shows page progress and can be cancelled,
// after which the page still searches. The PDF module is not fetched before a PDF is added.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, SHOTS, startServer } from "./helpers.mjs";
import { ENGINES, sessionsFor } from "./engines.mjs";
import { pdfFromPages } from "./make-pdf.mjs";

const FIXTURES = path.join(ROOT, "tests/fixtures/pdf");
const SBC = "sbc-cms-example-2025-p1-3.pdf";

/** A plain PDF of `pages` pages, eight lines of text each (a long handbook stand-in). */
const longPdf = (pages) => pdfFromPages(Array.from({ length: pages }, (_, p) => Array.from({ length: 8 }, (_, i) => ({
  text: `Section ${p + 1}.${i + 1}: members pay a $${p + 1} copay for service number ${p + 1} in this part of the handbook.`, size: 11,
}))));

const ready = (tab) => tab.waitFor(() => document.body.dataset.ready === "true" || document.body.dataset.ready === "error")
  .then(async () => assert.equal(await tab.evaluate(() => document.body.dataset.ready), "true",
    `the page failed to start: ${await tab.text("#status")}`));

const status = (tab) => tab.text("#add-status");
const documents = (tab) => tab.evaluate(() => [...document.querySelectorAll("#documents li span")].map((x) => x.textContent));

/** Adds files with a policy in the page's form and waits until it settles. */
async function addFiles(tab, files, policy) {
  // WebDriver adds to a multiple file input's selection: start from an empty one.
  await tab.evaluate(() => {
    document.getElementById("add-status").textContent = "";
    /** @type {HTMLInputElement} */ (document.getElementById("doc-files")).value = "";
  });
  await tab.setFiles("#doc-files", files);
  await tab.fill("#doc-policy", policy);
  // The last add may still be refreshing the list after its status was set: its button
  // is disabled until then, and a click on it would do nothing.
  await tab.waitFor(() => !(/** @type {HTMLButtonElement} */ (document.getElementById("add-go")).disabled));
  await tab.click("#add-go");
  // Stuck: the error names the form's status and per-file progress; a screenshot shows it.
  await tab.waitForStatus(/^(Added|Nothing was added|Cancelled)/).catch(async (e) => {
    await tab.screenshot("pdf-add-stuck").catch(() => {});
    throw e;
  });
  return status(tab);
}

for (const engine of ENGINES) {
  describe(engine, () => {
    let server;
    let dir;
    const sessions = sessionsFor(engine);
    before(async () => {
      fs.mkdirSync(SHOTS, { recursive: true });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "benefind-pdf-"));
      server = await startServer([`/tests=${path.join(ROOT, "tests")}`], { log: true });
    });
    after(() => {
      server?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    test("a real SBC PDF: rows answered and cited with their page; bad PDFs refused, nothing added", async () => {
      const { tab, errors } = await sessions.session();
      await tab.goto(server.url);
      await ready(tab);
      const pdfModule = () => server.requests().filter((r) => r.includes("benefind_pdf"));
      assert.deepEqual(pdfModule(), [], "the PDF module is not fetched before a PDF is added");

      const added = await addFiles(tab, [path.join(FIXTURES, SBC)], "CMS_EXAMPLE");
      assert.match(added, /^Added \d+ passages/, added);
      assert.ok(pdfModule().some((r) => r.includes("benefind_pdf_bg.wasm")), "the PDF module was fetched for the PDF");
      assert.match(await tab.text("#add-files"), new RegExp(`${SBC.replace(/\./g, "\\.")}: 3 pages, \\d+ passages`));
      assert.ok((await documents(tab)).some((d) => d.startsWith(`${SBC} — CMS_EXAMPLE`)), JSON.stringify(await documents(tab)));

      await tab.select("#policy", "CMS_EXAMPLE");
      await tab.fill("#question", "Is my annual checkup free?");
      await tab.press("#question", "Enter");
      await tab.waitFor(() => /from CMS_EXAMPLE/.test(document.getElementById("summary").textContent));
      const top = await tab.evaluate(() => {
        const li = document.querySelector("#results li");
        return { passage: li.querySelector(".passage").textContent, page: li.querySelector(".page")?.textContent, source: li.querySelector(".source")?.textContent };
      });
      assert.match(top.passage, /Preventive care\/screening\/ immunization/, top.passage);
      assert.match(top.passage, /No charge/);
      assert.doesNotMatch(top.passage, /Specialist visit/, "one row per passage");
      assert.equal(top.page, "page 2");
      assert.equal(top.source, SBC);
      // The answer is the row's cell, with the row's label saying what it is for.
      const answer = await tab.evaluate(() => ({
        label: document.querySelector("#answer .answer-label")?.textContent,
        text: document.querySelector("#answer mark")?.textContent,
      }));
      assert.match(answer.label ?? "", /^Services You May Need: Preventive care/, JSON.stringify(answer));
      assert.match(answer.text ?? "", /No charge/, JSON.stringify(answer));
      await tab.screenshot("pdf-sbc-answer");

      const before = await documents(tab);
      const sbc = fs.readFileSync(path.join(FIXTURES, SBC));
      const truncated = path.join(dir, "truncated.pdf");
      fs.writeFileSync(truncated, sbc.subarray(0, Math.floor(sbc.length / 2)));
      const letter = path.join(dir, "letter.pdf");
      fs.writeFileSync(letter, "Dear member, your plan changes on January 1.");
      for (const [file, expected] of [
        [path.join(FIXTURES, "locked.pdf"), /locked\.pdf is password-protected/],
        [path.join(FIXTURES, "scan.pdf"), /no text layer: it looks like a scan, and reading scanned pages \(OCR\) is not supported; paste the document's text/],
        [letter, /letter\.pdf is not a PDF file/],
        [truncated, /truncated\.pdf could not be read as a PDF .*truncated or damaged/],
        // pdf-extract panics on it: the PDF module traps, and is replaced for the next file.
        [path.join(FIXTURES, "bad-operator.pdf"), /bad-operator\.pdf could not be read as a PDF .*truncated or damaged/],
      ]) {
        const got = await addFiles(tab, [file], "CMS_EXAMPLE");
        assert.match(got, /^Nothing was added: /, got);
        assert.match(got, expected, got);
        assert.deepEqual(await documents(tab), before, `${path.basename(file)}: nothing was added`);
      }
      // All or nothing: a good PDF with a bad one adds neither.
      const mixed = await addFiles(tab, [path.join(FIXTURES, "rider.pdf"), path.join(FIXTURES, "locked.pdf")], "CMS_EXAMPLE");
      assert.match(mixed, /^Nothing was added: .*locked\.pdf/, mixed);
      assert.deepEqual(await documents(tab), before);
      // After the trap, a good PDF reads again.
      assert.match(await addFiles(tab, [path.join(FIXTURES, "rider.pdf")], "CMS_EXAMPLE"), /^Added 1 passage/);
      await tab.screenshot("pdf-refused");
      assert.deepEqual(errors.filter((e) => !/PDF|pdf/.test(e)), []);
    });

    test("a 300-page PDF: page progress, cancel, and the page searches afterwards", async () => {
      const { tab } = await sessions.session();
      const long = path.join(dir, "handbook-300.pdf");
      fs.writeFileSync(long, longPdf(300));
      await tab.goto(server.url);
      await ready(tab);
      const before = await documents(tab);
      await tab.setFiles("#doc-files", [long]);
      await tab.fill("#doc-policy", "PPO_PLUS");
      await tab.click("#add-go");
      // Progress, or the add settling (or refusing) without it: then the assertion says what
      // the form showed instead, at once. On a timeout, the error says it.
      const progress = /Reading handbook-300\.pdf: page \d+ of 300|Embedded \d+ of \d+/;
      await tab.waitForStatus(/Reading handbook-300\.pdf: page \d+ of 300|Embedded \d+ of \d+|^(Added|Nothing was added|Cancelled|Paste)/)
        .catch(async (e) => { await tab.screenshot("pdf-300-stuck").catch(() => {}); throw e; });
      assert.match(await status(tab), progress);
      assert.equal(await tab.visible("#add-cancel"), true);
      await tab.click("#add-cancel");
      await tab.waitForStatus(/^Cancelled/);
      assert.equal(await status(tab), "Cancelled: nothing was added.");
      assert.deepEqual(await documents(tab), before);
      // The worker was restarted on the stored data: search still answers.
      await tab.select("#policy", "PPO_PLUS");
      await tab.fill("#question", "Is my annual checkup free?");
      await tab.press("#question", "Enter");
      await tab.waitFor(() => /from PPO_PLUS/.test(document.getElementById("summary").textContent));
      assert.ok((await tab.evaluate(() => document.querySelectorAll("#results li").length)) > 0);
    });
  });
}
