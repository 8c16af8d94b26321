// The cloud path end to end in headless Chromium (playwright-core; it runs when the
// engines of this run include chromium — the cloud path's browser side is the same
// fetch-based code in every engine, which the engines' own suites cover): a page opens Benefind in cloud mode →
// its worker's wasm CloudIndex fetches benefind-proxy → the proxy signs calls to the
// local fake of Bedrock Titan V2 + S3 Vectors (which checks the signatures) → answers.
// The fake's Titan is MiniLM under an orthogonal map, so the cloud's answer must equal
// the local exact vector search's answer for the same question.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { ROOT, startServer, launchBrowser, collectPageErrors } from "./helpers.mjs";
import { ENGINES } from "./engines.mjs";

const BIN = process.env.BENEFIND_BIN || path.join(ROOT, "target/release/benefind");
const BIN_DIR = path.dirname(BIN);
const SEARCH = "browser-search-token-6a0f2c91";
const INGEST = "browser-ingest-token-d83b7e44";
const BUNDLE = path.join(ROOT, "www/data/default.bundle");
const sha = (t) => createHash("sha256").update(t).digest("hex");

const children = [];
/** Starts a binary; resolves to the URL its first stdout line announces. */
function startBinary(file, args, env, prefix) {
  assert.ok(existsSync(file), `${file} is missing: pkg-scripts/test.sh builds it (cargo test --profile ci, BENEFIND_BIN)`);
  const child = spawn(file, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    let out = "";
    child.on("exit", (code) => reject(new Error(`${file} exited with ${code}: ${stderr}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve(line.slice(line.indexOf(prefix) + prefix.length).trim());
    });
  });
}

if (ENGINES.includes("chromium")) describe("chromium", () => {
  let server, browser, proxyUrl, fakeUrl, cloudDir;
  before(async () => {
    const dir = path.join(ROOT, "target/browser-cloud");
    mkdirSync(dir, { recursive: true });
    cloudDir = path.join(dir, "www");
    mkdirSync(cloudDir, { recursive: true });
    server = await startServer([`/tests=${path.join(ROOT, "tests")}`, `/cloud=${cloudDir}`]);
    browser = await launchBrowser();
    const fake = await startBinary(path.join(BIN_DIR, "benefind-fake-aws"),
      ["--listen", "127.0.0.1:0", "--index", "benefind/benefits/1024/chunk"], {}, "listening on ");
    fakeUrl = fake;
    const config = path.join(dir, "proxy.toml");
    writeFileSync(config, `listen = "127.0.0.1:0"
  region = "us-east-1"
  bedrock_endpoint = "${fake}"
  s3vectors_endpoint = "${fake}"
  allow_loopback_http = true
  vector_bucket = "benefind"
  index = "benefits"
  dims = 1024
  allowed_origins = ["${new URL(server.url).origin}"]

  [answer]
  guardrail_id = "benefindfake01"
  guardrail_version = "1"

  [[tokens]]
  name = "page"
  sha256 = "${sha(SEARCH)}"
  role = "search"

  [[tokens]]
  name = "loader"
  sha256 = "${sha(INGEST)}"
  role = "ingest"
  `);
    // The proxy signs with the credentials the fake accepts, as the fake reports them.
    const [keyId, secret] = execFileSync(path.join(BIN_DIR, "benefind-fake-aws"), ["--print-credentials"], { encoding: "utf8" }).trim().split(" ");
    proxyUrl = await startBinary(path.join(BIN_DIR, "benefind-proxy"), ["--config", config], {
      AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret,
      AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true",
    }, "listening on ");
    // The sample corpus goes up through the proxy, re-embedded by "Titan".
    execFileSync(BIN, ["cloud", "upload", "--bundle", BUNDLE, "--proxy", proxyUrl, "--state", path.join(dir, "state.json")],
      { cwd: ROOT, env: { ...process.env, BENEFIND_TOKEN: INGEST }, stdio: ["ignore", "pipe", "inherit"] });
  });
  after(async () => {
    await browser?.close();
    server?.close();
    for (const c of children) c.kill();
  });

  function localTop(question, policy, k = 3) {
    const out = execFileSync(BIN, ["search", "--bundle", BUNDLE, "--policy", policy, "--mode", "vector", "-k", String(k), question], { cwd: ROOT });
    return JSON.parse(out).results.map((r) => r.id);
  }

  async function page(origin = server.url) {
    const context = await browser.newContext();
    const p = await context.newPage();
    const errors = collectPageErrors(p);
    await p.goto(`${origin}tests/browser/blank.html`);
    await p.evaluate(() => {
      window.settle = (x) => x.then((v) => ({ ok: v }), (e) => ({ err: { code: e.code, message: e.message } }));
    });
    return { p, errors, context };
  }

  test("a page in cloud mode searches through the proxy and gets the local exact answer", async () => {
    const { p, context } = await page();
    const question = "How much is an emergency room visit?";
    const result = await p.evaluate(async ({ proxyUrl, SEARCH, INGEST, question }) => {
      const { Benefind } = await import("/pkg/benefind.js");
      const db = await Benefind.open({ cloud: { proxyUrl, token: SEARCH } });
      const hits = await db.query({ question, k: 3, mode: "vector", where: { policy: "PPO_PLUS" } });
      // search() ranks hybrid, as locally: the proxy re-ranks S3 Vectors' best by their words.
      const seed = {};
      for (const plan of ["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"]) {
        seed[plan] = (await db.search("Is my annual checkup free?", plan))[0].metadata.section;
      }
      const stats = await db.stats();
      const byVector = await settle(db.query({ vector: new Array(384).fill(0.05) }));
      const documents = await settle(db.documents());
      const noTokenizer = await settle(db.ingest([{ text: "## Gym\nGym $20.", policy: "PPO_PLUS" }]));
      db.close();
      const reader = await Benefind.open({ cloud: { proxyUrl, token: SEARCH }, model: { baseUrl: "/models/all-MiniLM-L6-v2/" } });
      const ingestDenied = await settle(reader.ingest([{ text: "## Gym\nGym $20.", policy: "PPO_PLUS" }]));
      reader.close();
      // An ingest token adds a document (chunked with the tokenizer), then it is found.
      const loader = await Benefind.open({ cloud: { proxyUrl, token: INGEST }, model: { baseUrl: "/models/all-MiniLM-L6-v2/" } });
      const report = await loader.ingest([{ text: "## Acupuncture\nTwelve acupuncture visits a year, $15 copay each.", policy: "PPO_PLUS", id: "rider" }]);
      const found = await loader.search("How many acupuncture sessions are covered?", "PPO_PLUS");
      const deleted = await loader.delete(report.ids);
      const after = await loader.search("How many acupuncture sessions are covered?", "PPO_PLUS");
      loader.close();
      return { hits, seed, stats, byVector, documents, noTokenizer, ingestDenied, report, found: found[0].id, foundText: found[0].text, deleted, after: after.map((h) => h.id) };
    }, { proxyUrl, SEARCH, INGEST, question });
    assert.deepEqual(result.hits.map((h) => h.id), localTop(question, "PPO_PLUS"), "cloud vector top 3 = local exact vector top 3");
    assert.deepEqual(result.seed, { PPO_PLUS: "Preventive care", HMO_SELECT: "Preventive care", HDHP_SAVER: "Preventive care" }, "the seed question's preventive-care chunk first for every plan");
    assert.ok(result.hits.every((h) => h.metadata.policy === "PPO_PLUS" && h.text.length > 0));
    assert.ok(result.hits[0].score > 0 && Math.abs(result.hits[0].score + result.hits[0].distance - 1) < 1e-6);
    assert.deepEqual(result.stats.contract, { model: "amazon.titan-embed-text-v2:0", dims: 1024 });
    assert.equal(result.byVector.err.code, "DIMENSION_MISMATCH");
    assert.match(result.byVector.err.message, /384/);
    assert.match(result.byVector.err.message, /1024/);
    assert.equal(result.documents.err.code, "NOT_SUPPORTED");
    assert.equal(result.noTokenizer.err.code, "INVALID_INPUT");
    assert.match(result.noTokenizer.err.message, /tokenizer/);
    assert.equal(result.ingestDenied.err.code, "FORBIDDEN", "a search token cannot write");
    assert.deepEqual(result.report.ids, ["rider_chunk_0000"]);
    assert.equal(result.found, "rider_chunk_0000");
    assert.match(result.foundText, /Twelve acupuncture visits/);
    assert.equal(result.deleted, 1);
    assert.ok(!result.after.includes("rider_chunk_0000"));
    await context.close();
  });

  test("the page in cloud mode writes a cited answer as it streams; the guardrail and a busy service are said plainly", async () => {
    writeFileSync(path.join(cloudDir, "config.json"), JSON.stringify({ proxyUrl, token: SEARCH, policies: ["HDHP_SAVER", "HMO_SELECT", "PPO_PLUS"] }));
    const context = await browser.newContext({ viewport: { width: 375, height: 812 } });
    const p = await context.newPage();
    const errors = collectPageErrors(p);
    await p.goto(`${server.url}?cloud`);
    await p.waitForSelector("body[data-ready=true][data-mode=cloud]");
    // Every state the answer box passes through, to see that the answer streamed.
    await p.evaluate(() => {
      window.states = [];
      new MutationObserver(() => {
        const s = document.querySelector("#answer .answer")?.getAttribute("data-state");
        if (s && window.states.at(-1) !== s) window.states.push(s);
      }).observe(document.querySelector("#answer"), { childList: true, subtree: true, attributes: true });
    });
    const ask = async (question, state) => {
      await p.fill("#question", question);
      await p.click("#go");
      await p.waitForSelector(`#answer .answer[data-state=${state}]`);
    };
    await p.selectOption("#policy", "PPO_PLUS");
    await ask("Is my annual checkup free?", "grounded");
    const answer = await p.evaluate(() => {
      const box = document.querySelector("#answer .answer");
      const cites = [...box.querySelectorAll("button.cite")].map((b) => b.dataset.n);
      const cited = document.querySelector(`#results li.hit[data-n="${cites[0]}"]`);
      return { text: box.textContent, cites, citedText: cited?.textContent, states: window.states, summary: document.querySelector("#summary").textContent };
    });
    assert.ok(answer.cites.length >= 1, JSON.stringify(answer));
    assert.match(answer.citedText, /Preventive care/, "the seed question is answered from the preventive-care passage, and cited");
    assert.deepEqual(answer.states.slice(0, 1), ["streaming"], JSON.stringify(answer.states));
    assert.match(answer.summary, /3 passages from PPO_PLUS/);
    // A citation brings its passage into view.
    await p.click("#answer button.cite");
    assert.equal(await p.evaluate(() => document.activeElement?.dataset.n), answer.cites[0]);
    mkdirSync(path.join(ROOT, "screenshots"), { recursive: true });
    await p.screenshot({ path: path.join(ROOT, "screenshots/chromium-cloud-written-answer-375.png"), fullPage: true });

    // An SSN in the question: the guardrail's message, and no passages.
    await ask("My SSN is 123-45-6789, is my checkup free?", "guardrail");
    assert.match(await p.textContent("#answer"), /Member Services/);
    assert.equal(await p.locator("#results li").count(), 0);

    // A throttled model: a plain "busy" with a retry that works once the wait is over.
    const r = await fetch(`${fakeUrl}/_fake/faults`, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify([{ service: "bedrock", operation: "ConverseStream", status: 429, times: 4 }]) });
    assert.equal(r.status, 204);
    await ask("Is my annual checkup free?", "busy");
    assert.match(await p.textContent("#answer"), /busy right now\. Try again in 1 second/);
    await p.click("#answer button.retry:not([disabled])");
    await p.waitForSelector("#answer .answer[data-state=grounded]");
    await p.screenshot({ path: path.join(ROOT, "screenshots/chromium-cloud-after-retry-375.png"), fullPage: true });
    assert.deepEqual(errors.filter((e) => !e.includes("favicon") && !e.includes("429")), []);
    await context.close();
  });

  test("the widget in cloud mode writes the cited answer inside its shadow root", async () => {
    const { p, errors, context } = await page();
    const r = await p.evaluate(async ({ proxyUrl, SEARCH }) => {
      await import("/benefind-widget.js");
      const w = document.createElement("benefind-search");
      w.setAttribute("proxy-url", proxyUrl);
      w.setAttribute("token", SEARCH);
      w.setAttribute("policies", "HMO_SELECT,PPO_PLUS");
      document.body.append(w);
      const root = w.shadowRoot;
      const until = async (f) => { for (let i = 0; i < 600 && !f(); i++) await new Promise((ok) => setTimeout(ok, 50)); return f(); };
      await until(() => w.dataset.state === "ready");
      root.querySelector("select").value = "PPO_PLUS";
      root.querySelector("input").value = "Is my annual checkup free?";
      const opened = new Promise((ok) => w.addEventListener("benefind-result", (e) => ok(e.detail), { once: true }));
      await w.search();
      const box = root.querySelector(".answer");
      const n = box?.querySelector("button.cite")?.dataset.n;
      const cited = root.querySelector(`li.hit[data-n="${n}"]`);
      cited?.click();
      const detail = await opened;
      return { state: box?.dataset.state, part: box?.getAttribute("part"), n, cited: cited?.textContent, detail, status: root.querySelector(".status").textContent };
    }, { proxyUrl, SEARCH });
    assert.equal(r.state, "grounded", JSON.stringify(r));
    assert.equal(r.part, "answer");
    assert.match(r.cited, /Preventive care/);
    assert.equal(r.detail.metadata.policy, "PPO_PLUS");
    assert.match(r.status, /passages from PPO_PLUS/);
    assert.deepEqual(errors.filter((e) => !e.includes("favicon")), []);
    await context.close();
  });

  test("the embedding contract, auth and CORS fail clearly in the browser", async () => {
    const { p, context } = await page();
    const r = await p.evaluate(async ({ proxyUrl, SEARCH }) => {
      const { Benefind } = await import("/pkg/benefind.js");
      const mixed = await settle(Benefind.open({ cloud: { proxyUrl, token: SEARCH }, bundleUrl: "/data/default.bundle" }));
      const pinned = await Benefind.open({ cloud: { proxyUrl, token: SEARCH, expect: { model: "sentence-transformers/all-MiniLM-L6-v2", dims: 384 } } });
      const contract = await settle(pinned.search("deductible", "HMO_SELECT"));
      pinned.close();
      const wrong = await Benefind.open({ cloud: { proxyUrl, token: "not-a-valid-token" } });
      const unauthorized = await settle(wrong.search("deductible", "HMO_SELECT"));
      wrong.close();
      return { mixed, contract, unauthorized };
    }, { proxyUrl, SEARCH });
    assert.equal(r.mixed.err.code, "MODEL_MISMATCH");
    assert.match(r.mixed.err.message, /384/);
    assert.equal(r.contract.err.code, "DIMENSION_MISMATCH");
    assert.match(r.contract.err.message, /all-MiniLM-L6-v2 \(384 dimensions\)/);
    assert.match(r.contract.err.message, /titan-embed-text-v2:0 \(1024 dimensions\)/);
    assert.equal(r.unauthorized.err.code, "UNAUTHORIZED");
    await context.close();

    // Another origin (localhost instead of 127.0.0.1) is not on the proxy's list: the
    // browser's CORS check blocks the answer, and the module reports a network error.
    const other = server.url.replace("127.0.0.1", "localhost");
    const { p: p2, context: c2 } = await page(other);
    const blocked = await p2.evaluate(async ({ proxyUrl, SEARCH }) => {
      const { Benefind } = await import("/pkg/benefind.js");
      const db = await Benefind.open({ cloud: { proxyUrl, token: SEARCH } });
      return settle(db.search("deductible", "HMO_SELECT"));
    }, { proxyUrl, SEARCH });
    assert.equal(blocked.err.code, "NETWORK");
    await c2.close();
  });

  test("pkg-scripts/cloud-demo.sh (example.toml, fake, proxy, upload, page) answers a member in ?cloud mode", async () => {
    // The script as a user runs it, on free ports: fake AWS, benefind-proxy with
    // pkg-scripts/example.toml, the default bundle uploaded, the page served.
    const base = 20000 + Math.floor(Math.random() * 20000);
    const [PORT, PROXY_PORT, FAKE_PORT] = [base, base + 1, base + 2].map(String);
    const demo = spawn("bash", [path.join(ROOT, "pkg-scripts/cloud-demo.sh")], {
      cwd: ROOT, env: { ...process.env, PORT, PROXY_PORT, FAKE_PORT }, stdio: ["ignore", "pipe", "pipe"], detached: true,
    });
    let log = "";
    demo.stdout.on("data", (d) => { log += d; });
    demo.stderr.on("data", (d) => { log += d; });
    try {
      await new Promise((resolve, reject) => {
        const timer = setInterval(() => {
          if (log.includes(`serving ${path.join(ROOT, "www")} on`)) { clearInterval(timer); resolve(); }
        }, 100);
        demo.on("exit", (code) => { clearInterval(timer); reject(new Error(`cloud-demo.sh exited with ${code}:\n${log}`)); });
      });
      assert.match(log, /search token \(role search\): benefind-demo-search-token/, "the published demo tokens are printed");
      const context = await browser.newContext();
      const p = await context.newPage();
      const errors = collectPageErrors(p);
      await p.goto(`http://127.0.0.1:${PORT}/?cloud`);
      await p.waitForSelector("body[data-ready=true][data-mode=cloud]");
      assert.equal(await p.isHidden("#add-section"), true, "search only: the page's token cannot write");
      // Honest about where questions go: no on-device or offline promise in this mode.
      assert.doesNotMatch(await p.textContent("#tagline"), /never leave your device/);
      assert.match(await p.textContent("#tagline"), new RegExp(`search service \\(127\\.0\\.0\\.1:${PROXY_PORT}\\)`));
      assert.equal(await p.isHidden("#offline"), true, "no 'Works offline' badge");
      assert.equal(await p.isHidden("#progress-model"), true, "no model download in this mode");
      await p.selectOption("#policy", "PPO_PLUS");
      await p.fill("#question", "How much is an emergency room visit?");
      await p.click("#go");
      await p.waitForFunction(() => /passages from PPO_PLUS/.test(document.querySelector("#answers")?.textContent ?? ""));
      const text = await p.textContent("#answers");
      assert.match(text, /3 passages from PPO_PLUS/);
      assert.match(text, /emergency room visit costs a \$250 copay/i);
      // The seed question, ranked hybrid through the proxy: preventive care first.
      await p.fill("#question", "Is my annual checkup free?");
      await p.click("#go");
      await p.waitForFunction(() => /checkup/.test(document.querySelector("#answers")?.textContent ?? ""));
      assert.match(await p.textContent("#answers li:first-child"), /Preventive care/);
      // Written, streamed and cited: the answer cites the preventive-care passage.
      await p.waitForSelector("#answer .answer[data-state=grounded]");
      const cited = await p.evaluate(() => {
        const n = document.querySelector("#answer button.cite")?.getAttribute("data-n");
        return document.querySelector(`#results li.hit[data-n="${n}"]`)?.textContent ?? "";
      });
      assert.match(cited, /Preventive care/);
      mkdirSync(path.join(ROOT, "screenshots"), { recursive: true });
      await p.screenshot({ path: path.join(ROOT, "screenshots/chromium-cloud-page-results.png"), fullPage: true });
      assert.deepEqual(errors.filter((e) => !e.includes("favicon")), []);
      await context.close();
    } finally {
      try { process.kill(-demo.pid, "SIGTERM"); } catch { /* already gone */ }
    }
  });
});
