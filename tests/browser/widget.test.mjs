// The <benefind-search> widget in Chromium, Firefox and WebKit:
// - inside the mock portal (www/embed-example.html) under a strict Content-Security-Policy:
//   both widgets answer with one shared worker, host-page styles do not change them and
//   theirs do not leak out, ::part and custom-property theming work, opening a result
//   fires benefind-result, and nothing violates the CSP;
// - loaded by one script tag from another origin (a CDN, the vendor's domain): the portal
//   and the widget on two loopback origins, under the CSP the README documents.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { riders, startServer } from "./helpers.mjs";
import { ENGINES, Key, sessionsFor } from "./engines.mjs";

const SEED = "Is my annual checkup free?";

/** Types a question into a widget's shadow-DOM search box and presses Enter. */
async function askWidget(tab, hostId, question) {
  const input = await tab.driver.executeScript(`return document.getElementById(arguments[0]).shadowRoot.querySelector("input[type=search]")`, hostId);
  await input.clear();
  await input.sendKeys(question, Key.ENTER);
  return tab.waitFor((id) => {
    const lis = [...document.getElementById(id).shadowRoot.querySelectorAll("li[part=result]")];
    return lis.length && lis.map((li) => ({ policy: li.querySelector(".policy")?.textContent, section: li.querySelector(".section")?.textContent }));
  }, [hostId]);
}

const widgetReady = (tab, id) => tab.waitFor((i) => {
  const el = document.getElementById(i);
  return ["ready", "error"].includes(el?.dataset.state) && el.dataset.state;
}, [id]).then(async (state) => assert.equal(state, "ready",
  await tab.evaluate((i) => document.getElementById(i).shadowRoot.querySelector(".status").textContent, id)));

/**
 * A portal on its own origin that loads the widget from `widgetOrigin` with one script
 * tag, under the CSP the README documents for that case.
 */
function startPortal(widgetOrigin) {
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${widgetOrigin} 'wasm-unsafe-eval'`,
    // A module worker's imports are fetched as "worker" requests: worker-src names the
    // widget's origin as well as the blob: shim.
    `worker-src blob: ${widgetOrigin}`,
    `connect-src ${widgetOrigin}`,
    "style-src 'self'", "img-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'",
  ].join("; ");
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Another origin's portal</title>
<script type="module" src="/violations.js"></script>
<script type="module" src="${widgetOrigin}/benefind-widget.js"></script>
</head><body><h1>Benefits</h1><benefind-search id="cdn" policy="PPO_PLUS"></benefind-search></body></html>`;
  const violations = `window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));`;
  const server = createServer((req, res) => {
    const headers = { "Content-Security-Policy": csp, "Cache-Control": "no-cache" };
    if (req.url === "/") res.writeHead(200, { ...headers, "Content-Type": "text/html; charset=utf-8" }).end(page);
    else if (req.url === "/violations.js") res.writeHead(200, { ...headers, "Content-Type": "text/javascript" }).end(violations);
    else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`, csp, close: () => server.close(),
  })));
}

for (const engine of ENGINES) {
  describe(engine, () => {
    let server;
    const sessions = sessionsFor(engine);
    before(async () => { server = await startServer(); });
    after(() => server?.close());

    test("two widgets in a portal under strict CSP: results, isolation, theming, events, one worker", async () => {
      const { tab, errors } = await sessions.session({ width: 1200, height: 1000 });
      await tab.goto(`${server.url}embed-example.html`);
      await widgetReady(tab, "member-plan");
      await widgetReady(tab, "other-plan");
      assert.equal(await tab.evaluate(() => customElements.get("benefind-search").sharedInstances()), 1,
        "both widgets share one worker (and one model)");

      const first = await askWidget(tab, "member-plan", SEED);
      assert.equal(first.length, 3, "k=3");
      const answer = await tab.evaluate(() => {
        const box = document.getElementById("member-plan").shadowRoot.querySelector("[part=answer]");
        return box && { none: box.classList.contains("none"), marked: box.querySelector("mark")?.textContent, section: box.querySelector(".section")?.textContent };
      });
      assert.equal(answer.none, false, "the answer comes first");
      assert.match(answer.marked, /100%/);
      assert.equal(answer.section, "Preventive care");
      assert.equal(first[0].section, "Preventive care");
      assert.ok(first.every((r) => r.policy === "PPO_PLUS"), "the widget's policy attribute is enforced");
      const other = await askWidget(tab, "other-plan", "How much is urgent care?");
      assert.ok(other.length > 0 && other.every((r) => r.policy === "HMO_SELECT"));

      // The portal's greedy rules (li red uppercase, button hotpink, mark black, Georgia) stay out.
      const inside = await tab.evaluate(() => {
        const host = document.getElementById("member-plan");
        const li = host.shadowRoot.querySelector("li.hit");
        const s = getComputedStyle(li);
        const b = getComputedStyle(host.shadowRoot.querySelector("button"));
        const m = host.shadowRoot.querySelector("mark");
        return {
          color: s.color, transform: s.textTransform, font: getComputedStyle(host).fontFamily,
          button: b.backgroundColor, buttonBorder: b.borderTopStyle,
          mark: m && getComputedStyle(m).backgroundColor, partBorder: s.borderLeftWidth,
        };
      });
      assert.notEqual(inside.color, "rgb(176, 0, 32)");
      assert.equal(inside.transform, "none");
      assert.doesNotMatch(inside.font, /Georgia/);
      assert.equal(inside.button, "rgb(36, 86, 199)", "default accent, not the portal's hotpink");
      assert.notEqual(inside.buttonBorder, "dashed");
      if (inside.mark) assert.notEqual(inside.mark, "rgb(0, 0, 0)");
      assert.equal(inside.partBorder, "4px", "the host styles results through ::part(result)");
      const themed = await tab.evaluate(() => getComputedStyle(document.getElementById("other-plan").shadowRoot.querySelector("button")).backgroundColor);
      assert.equal(themed, "rgb(11, 122, 83)", "--benefind-accent themes the widget");
      // …and the widget's styles stay in: the portal's own list keeps its look.
      const portalLi = await tab.evaluate(() => {
        const li = document.querySelector(".portal-sidebar li");
        return { color: getComputedStyle(li).color, t: getComputedStyle(li).textTransform };
      });
      assert.deepEqual(portalLi, { color: "rgb(176, 0, 32)", t: "uppercase" });

      // Opening a result (keyboard) fires benefind-result, which the portal shows as text.
      await tab.evaluate(() => document.getElementById("member-plan").shadowRoot.querySelector("li[part=result]").focus());
      await tab.keys(Key.ENTER);
      await tab.waitFor(() => document.getElementById("opened").textContent.startsWith("PPO_PLUS · Preventive care"));

      assert.deepEqual(await tab.evaluate(() => window.__violations), [], "no Content-Security-Policy violation");
      assert.deepEqual(errors, []);
      await tab.screenshot("widget-portal");
    });

    test("one script tag from another origin: the widget answers on the portal's origin under the documented CSP", async () => {
      const portal = await startPortal(new URL(server.url).origin);
      try {
        const { tab, errors } = await sessions.session({ width: 900, height: 700 });
        await tab.goto(portal.url);
        await widgetReady(tab, "cdn");
        const hits = await askWidget(tab, "cdn", SEED);
        assert.equal(hits[0].section, "Preventive care");
        assert.ok(hits.every((r) => r.policy === "PPO_PLUS"));
        // The data lives on the portal's origin (its IndexedDB), the code came from the widget's.
        const where = await tab.evaluate(async () => ({
          origin: location.origin,
          databases: indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : null,
        }));
        assert.notEqual(where.origin, new URL(server.url).origin);
        if (where.databases) assert.ok(where.databases.some((n) => n.startsWith("benefind-widget:")), JSON.stringify(where.databases));
        // The package from the widget's origin ingests with helper workers too: the page
        // starts them through the same blob: shim as the database worker.
        const ingest = await tab.evaluate(async (origin, doc) => {
          const { Benefind } = await import(`${origin}/pkg/benefind.js`);
          const db = await Benefind.open({ model: { baseUrl: `${origin}/models/all-MiniLM-L6-v2/` }, dbName: "cdn-ingest" });
          const report = await db.ingest([{ text: doc, policy: "PPO_PLUS", id: "rider" }]);
          const found = (await db.search("Benefit 7 pays how much", "PPO_PLUS")).length;
          await db.clear();
          db.close();
          return { chunks: report.chunks, workers: report.workers, found, cores: navigator.hardwareConcurrency };
        }, new URL(server.url).origin, riders(40));
        assert.equal(ingest.chunks, 40);
        assert.equal(ingest.workers, Math.min(Math.max(ingest.cores, 1), 4), JSON.stringify(ingest));
        assert.ok(ingest.found > 0);
        assert.deepEqual(await tab.evaluate(() => window.__violations), [], `no violation of ${portal.csp}`);
        assert.deepEqual(errors, []);
        await tab.screenshot("widget-cross-origin");
      } finally {
        portal.close();
      }
    });
  });
}
