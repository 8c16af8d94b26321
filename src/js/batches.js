// How an ingest's embedding batches are shared between benefind's worker and its helper
// workers (embedder-worker.js): plain scheduling, with no wasm in it, so that Node tests
// it with stand-in helpers (tests/browser/batches.test.mjs).

/**
 * The part of a Worker this needs.
 * @typedef {{
 *   postMessage(message: any): void,
 *   terminate(): void,
 *   onmessage: ((event: {data: any}) => void) | null,
 *   onerror: ((event: any) => void) | null,
 *   onmessageerror: ((event: any) => void) | null,
 * }} Helper
 */

/**
 * Embeds batches `[start, start + batch)` of `count` texts, each exactly once: this
 * worker takes them one at a time (`embedHere`, yielding to its other events between
 * batches), and each helper keeps two queued, from the start, so it never waits for
 * this worker (busy with its own batch) to hand it the next one. A helper that fails
 * (an error, a message that cannot be read, `{ok: false}`) or stalls — batches in
 * flight and no answer for `stallMs` — is terminated and its batches go back to the
 * queue; this worker finishes whatever is left, so a helper can slow an ingest down but
 * never hang it. `onBatch` hears of each batch once, with the helper that embedded it
 * and its answer (none for this worker's own).
 * @param {{
 *   count: number,
 *   batch: number,
 *   helpers: Helper[],
 *   embedHere: (start: number, end: number) => Float32Array,
 *   message: (start: number, end: number) => any,   // must carry `start`, echoed back
 *   onBatch: (start: number, vectors: Float32Array, helper?: Helper, data?: any) => void,
 *   yieldToEvents: () => Promise<void>,
 *   stallMs: number,
 * }} options
 */
export async function shareBatches({ count, batch, helpers, embedHere, message, onBatch, yieldToEvents, stallMs }) {
  /** @type {number[]} */
  const queue = [];
  for (let start = 0; start < count; start += batch) queue.push(start);
  const end = (start) => Math.min(start + batch, count);

  const runHelper = (/** @type {Helper} */ helper) => new Promise((resolve) => {
    /** @type {number[]} */
    const inFlight = [];
    let stall = undefined;
    let done = false;
    const finish = () => {
      done = true;
      clearTimeout(stall);
      resolve(undefined);
    };
    const giveBack = () => {
      if (done) return;
      queue.unshift(...inFlight.splice(0));
      helper.terminate();
      finish();
    };
    // Restarted on every answer: a helper is stalled when it has work and says nothing.
    const watch = () => {
      clearTimeout(stall);
      stall = inFlight.length ? setTimeout(giveBack, stallMs) : undefined;
    };
    const send = () => {
      const start = queue.shift();
      if (start === undefined) return;
      inFlight.push(start);
      helper.postMessage(message(start, end(start)));
    };
    helper.onerror = giveBack;
    helper.onmessageerror = giveBack;
    helper.onmessage = ({ data }) => {
      if (done) return;
      // Answers name their batch (embedder-worker.js echoes `start`): one for a batch
      // this helper does not hold is a fault like any other.
      const at = inFlight.indexOf(data?.start);
      if (!data?.ok || at < 0) return giveBack();
      inFlight.splice(at, 1);
      onBatch(data.start, data.vectors, helper, data);
      send();
      watch();
      if (!inFlight.length) finish();
    };
    send();
    send();
    watch();
    if (!inFlight.length) finish();
  });

  const runHere = async () => {
    // A turn first, so that the helpers take their first batches (runHelper below)
    // before this worker blocks on one of its own for as long as it embeds.
    await null;
    for (let start = queue.shift(); start !== undefined; start = queue.shift()) {
      onBatch(start, embedHere(start, end(start)));
      await yieldToEvents();
    }
  };
  try {
    await Promise.all([runHere(), ...helpers.map(runHelper)]);
    // Batches given back after this worker ran dry.
    await runHere();
  } finally {
    for (const helper of helpers) helper.terminate();
  }
}

/**
 * The helpers of one ingest, started as early as their number can be guessed: a PDF's
 * page count is known before its pages are read, so its helpers load their model on the
 * other cores while this worker reads and chunks the pages. `expect(chunks)` starts
 * (`start()`) as many as `countFor(chunks)` says that many chunks get; `take(chunks)`
 * hands over what the real count gets, starting more if the guess was short and
 * terminating the rest; `release()` terminates every one not taken (an ingest that
 * failed). A helper start resolves to the helper, or null where none could start.
 * @param {() => Promise<Helper | null>} start
 * @param {(chunks: number) => number} countFor
 */
export function earlyHelpers(start, countFor) {
  /** @type {Promise<Helper | null>[]} */
  let started = [];
  const letGo = (/** @type {Promise<Helper | null>[]} */ list) => {
    for (const p of list) p.then((h) => h?.terminate());
  };
  return {
    /** @param {number} chunks */
    expect(chunks) {
      while (started.length < countFor(chunks)) started.push(start());
    },
    /** @param {number} chunks */
    take(chunks) {
      const want = countFor(chunks);
      const kept = started.slice(0, want);
      letGo(started.slice(want));
      started = [];
      while (kept.length < want) kept.push(start());
      return kept;
    },
    release() {
      letGo(started);
      started = [];
    },
  };
}
