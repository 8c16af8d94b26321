// The <benefind-search> widget inside the mock portal (www/embed-example.html) under a
// strict Content-Security-Policy: both widgets answer with one shared worker, host-page
// styles do not change them and theirs do not leak out, ::part and custom-property
// theming work, opening a result fires benefind-result, and nothing violates the CSP.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { ROOT, SHOTS, serverAndBrowser, collectPageErrors } from "./helpers.mjs";

const env = serverAndBrowser();

test("two widgets in a portal under strict CSP: results, isolation, theming, events, one worker", async () => {
  const context = await env.browser.newContext({ viewport: { width: 1200, height: 1000 } });
  const page = await context.newPage();
  const errors = collectPageErrors(page);
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(`${env.server.url}embed-example.html`);
  await page.waitForSelector("#member-plan[data-state=ready]", { timeout: 120_000 });
  await page.waitForSelector("#other-plan[data-state=ready]", { timeout: 120_000 });
  assert.equal(page.workers().length, 1, "both widgets share one worker (and one model)");

  // Playwright's CSS selectors pierce shadow roots.
  await page.fill("#member-plan input[type=search]", "Is my annual checkup free?");
  await page.press("#member-plan input[type=search]", "Enter");
  await page.waitForSelector("#member-plan li[part=result]");
  const first = await page.$$eval("#member-plan li[part=result]", (lis) => lis.map((li) => ({
    policy: li.querySelector(".policy").textContent, section: li.querySelector(".section").textContent,
  })));
  assert.equal(first.length, 3, "k=3");
  assert.equal(first[0].section, "Preventive care");
  assert.ok(first.every((r) => r.policy === "PPO_PLUS"), "the widget's policy attribute is enforced");

  await page.fill("#other-plan input[type=search]", "How much is urgent care?");
  await page.press("#other-plan input[type=search]", "Enter");
  await page.waitForSelector("#other-plan li[part=result]");
  const other = await page.$$eval("#other-plan li[part=result] .policy", (ps) => ps.map((p) => p.textContent));
  assert.ok(other.length > 0 && other.every((p) => p === "HMO_SELECT"));

  // The portal's greedy rules (li red uppercase, button hotpink, mark black, Georgia) stay out.
  const inside = await page.$eval("#member-plan", (host) => {
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
  const themed = await page.$eval("#other-plan", (host) => getComputedStyle(host.shadowRoot.querySelector("button")).backgroundColor);
  assert.equal(themed, "rgb(11, 122, 83)", "--benefind-accent themes the widget");
  // …and the widget's styles stay in: the portal's own list keeps its look.
  const portalLi = await page.$eval(".portal-sidebar li", (li) => ({ color: getComputedStyle(li).color, t: getComputedStyle(li).textTransform }));
  assert.deepEqual(portalLi, { color: "rgb(176, 0, 32)", t: "uppercase" });

  // Opening a result (keyboard) fires benefind-result, which the portal shows as text.
  await page.focus("#member-plan li[part=result]");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("opened").textContent.startsWith("PPO_PLUS · Preventive care"));

  assert.deepEqual(await page.evaluate(() => window.__violations), [], "no Content-Security-Policy violation");
  assert.deepEqual(errors, []);
  await page.screenshot({ path: path.join(SHOTS, "widget-portal.png"), fullPage: true });
  await context.close();
});
