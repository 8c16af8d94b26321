// Written answers on the cloud path: POST {proxyUrl}/v1/answer with Accept:
// text/event-stream, read as Server-Sent Events (`passages`, `delta`, `guardrail`, then
// `done` or `error`; see the proxy's `answer.rs`). fetch, not EventSource: EventSource
// can neither POST nor send the Authorization header. Runs in the worker.
import { BenefindError } from "./model.js";

/** Longest answer stream read, in bytes (the proxy's own answers are a few KB). */
const MAX_STREAM_BYTES = 1 << 20;

/** A proxy error body ({code, message}) or the status, as a BenefindError with retryAfter. */
async function proxyError(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON */ }
  const err = new BenefindError(body?.code ?? (response.status === 429 ? "RATE_LIMITED" : "CLOUD"),
    body?.message ?? `the answer service answered HTTP ${response.status}`);
  const retry = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
  if (Number.isFinite(retry)) err.retryAfter = retry;
  return err;
}

/**
 * Asks for a written answer; `onEvent({event, data})` gets each event as it arrives.
 * Resolves to the final answer (the `done` event's data); rejects with a BenefindError
 * (`retryAfter` set when the service says when to retry).
 * @param {{proxyUrl: string, token: string}} cloud
 * @param {{question: string, topK?: number, filter?: object}} request
 * @param {(e: {event: string, data: any}) => void} onEvent
 */
export async function streamAnswer(cloud, request, onEvent) {
  let response;
  try {
    response = await fetch(`${cloud.proxyUrl}/v1/answer`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${cloud.token}` },
      body: JSON.stringify(request),
      cache: "no-store",
    });
  } catch (e) {
    throw new BenefindError("NETWORK", `the answer service could not be reached (${e?.message ?? e}); check the connection and try again`);
  }
  if (!response.ok) throw await proxyError(response);
  if (!response.body) throw new BenefindError("CLOUD", "the answer service sent no stream");
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let read = 0;
  const broken = () => new BenefindError("UPSTREAM_ERROR", "the answer stopped before it was complete; ask again");
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      throw broken();
    }
    if (chunk.done) throw broken();
    read += chunk.value.length;
    if (read > MAX_STREAM_BYTES) {
      reader.cancel().catch(() => {});
      throw new BenefindError("CLOUD", "the answer stream is too long");
    }
    buffer += chunk.value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
      }
      let parsed;
      try { parsed = JSON.parse(data.join("\n")); } catch { throw broken(); }
      if (event === "done") {
        reader.cancel().catch(() => {});
        return parsed;
      }
      if (event === "error") {
        reader.cancel().catch(() => {});
        const err = new BenefindError(parsed.code ?? "CLOUD", parsed.message ?? "the answer failed");
        if (Number.isFinite(parsed.retryAfter)) err.retryAfter = parsed.retryAfter;
        throw err;
      }
      onEvent({ event, data: parsed });
    }
  }
}
