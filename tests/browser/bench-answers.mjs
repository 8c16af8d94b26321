// Driver for `pkg-scripts/bench.sh quality`'s browser row: what the answer span costs a
// query in headless Chromium. The default bundle is opened through the `Benefind` API
// (int8 weights, the page's default), then every question of tests/fixtures/answers.jsonl
// is asked twice per round, as `search` (passages only) and as `ask` (passages plus the
// answer span), in alternating order so that neither always runs on a warm cache. Prints
// the median and 95th percentile of each, their difference, and the share of asks more
// than 10 ms slower than their search; writes target/bench/answers-browser.json.
//   node tests/browser/bench-answers.mjs [ROUNDS]
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { ROOT, startServer, launchBrowser } from "./helpers.mjs";

const rounds = Number(process.argv[2] ?? 3);
const questions = readFileSync(path.join(ROOT, "tests/fixtures/answers.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l))
  .map(({ question, policy }) => ({ question, policy }));

const server = await startServer([`/tests=${path.join(ROOT, "tests")}`]);
const browser = await launchBrowser();
let result;
try {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${server.url}tests/browser/blank.html`);
  result = await page.evaluate(async ({ questions, rounds }) => {
    const { Benefind } = await import("/pkg/benefind.js");
    const db = await Benefind.open({ model: { baseUrl: "/models/all-MiniLM-L6-v2/" }, bundleUrl: "/data/default.bundle", dbName: "bench-answers" });
    const time = async (f) => {
      const start = performance.now();
      await f();
      return performance.now() - start;
    };
    // Warm-up: the first queries compile and fill caches.
    for (const { question, policy } of questions.slice(0, 5)) {
      await db.search(question, policy);
      await db.ask(question, policy);
    }
    const search = [];
    const ask = [];
    let answered = 0;
    for (let round = 0; round < rounds; round++) {
      for (const [i, { question, policy }] of questions.entries()) {
        const askFirst = (i + round) % 2 === 0;
        if (askFirst) ask.push(await time(async () => { answered += (await db.ask(question, policy)).answer ? 1 : 0; }));
        search.push(await time(() => db.search(question, policy)));
        if (!askFirst) ask.push(await time(async () => { answered += (await db.ask(question, policy)).answer ? 1 : 0; }));
      }
    }
    db.close();
    return { search, ask, answered: answered / rounds };
  }, { questions, rounds });
} finally {
  await browser.close();
  await server.close();
}

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const summary = (xs) => ({ medianMs: quantile(xs, 0.5), p95Ms: quantile(xs, 0.95), meanMs: xs.reduce((a, b) => a + b, 0) / xs.length });
const search = summary(result.search);
const ask = summary(result.ask);
const out = {
  questions: questions.length, rounds, answeredPerRound: result.answered, search, ask,
  addedMedianMs: ask.medianMs - search.medianMs, addedMeanMs: ask.meanMs - search.meanMs, ratioMedian: ask.medianMs / search.medianMs,
  // Each ask beside the search of the same question in the same round: the share the
  // answer slows by more than the 10 ms (the ones that take the second look).
  overTenMsShare: result.ask.filter((a, i) => a - result.search[i] > 10).length / result.ask.length,
};
console.log(`Chromium, ${questions.length} questions × ${rounds} rounds (default bundle, int8 weights, in the database worker)`);
console.log(`  search (passages only)   median ${search.medianMs.toFixed(1)} ms   p95 ${search.p95Ms.toFixed(1)} ms   mean ${search.meanMs.toFixed(1)} ms`);
console.log(`  ask (passages + answer)  median ${ask.medianMs.toFixed(1)} ms   p95 ${ask.p95Ms.toFixed(1)} ms   mean ${ask.meanMs.toFixed(1)} ms`);
console.log(`  the answer adds ${out.addedMedianMs.toFixed(2)} ms at the median (${out.ratioMedian.toFixed(3)}× search), ${out.addedMeanMs.toFixed(2)} ms on average; ${result.answered} of ${questions.length} answered`);
console.log(`  asks over 10 ms slower than their question's search: ${(100 * out.overTenMsShare).toFixed(1)} %`);
mkdirSync(path.join(ROOT, "target/bench"), { recursive: true });
writeFileSync(path.join(ROOT, "target/bench/answers-browser.json"), JSON.stringify(out, null, 2) + "\n");
