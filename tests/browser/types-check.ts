// Compiled with `tsc --noEmit` by pkg-scripts/test.sh: the package's typings must describe
// the API as documented (this file is type-checked, never run).
import init, { Engine, Embedder, type Query, type SearchHit, type IngestReport, type EngineStats } from "../../pkg/benefind_wasm.js";

import { Benefind, BenefindError, type Stats, type CloudStats, type AddedDocument, type GeneratedAnswer, type AnswerEvent } from "../../pkg/benefind.js";

export async function viaWorker(): Promise<number> {
  const db = await Benefind.open({ model: { baseUrl: "/models/all-MiniLM-L6-v2/" }, bundleUrl: "/data/default.bundle", dbName: "benefind", onProgress: (p) => void p.loaded });
  const hits = await db.search("Is my annual checkup free?", "PPO_PLUS");
  // The answer (or null) with its span in the cited passage; also for a general query.
  const asked = await db.ask("Is my annual checkup free?", "PPO_PLUS");
  const span: string | undefined = asked.answer ? asked.results.find((h) => h.id === asked.answer!.id)?.text.slice(asked.answer.start, asked.answer.end) : asked.missing[0];
  const wide: number = (await db.ask({ question: "MRI cost", k: 5, where: { policy: "HMO_SELECT" } })).results.length;
  void span; void wide;
  // @ts-expect-error: ask needs the plan
  await db.ask("Is my annual checkup free?");
  try { await db.query({ question: "q", where: { policy: { $gt: "x" } } }); } catch (e) { if (e instanceof BenefindError) return e.code.length; }
  const added: AddedDocument[] = await db.documents();
  await db.ingest([{ text: "## Gym\nGym $20.", policy: "PPO_PLUS" }], (p) => void p.done);
  // A PDF as bytes, with page progress and cancel; its chunks carry `page`.
  const controller = new AbortController();
  const pdf: IngestReport = await db.ingest([{ pdf: new Uint8Array(8), name: "sbc.pdf", policy: "PPO_PLUS" }],
    (p) => void (p.phase === "pdf" ? p.page! / p.pages! : p.done), { signal: controller.signal });
  const workers: number | undefined = pdf.workers;
  // @ts-expect-error: a PDF is bytes, not a URL
  await db.ingest([{ pdf: "sbc.pdf", policy: "PPO_PLUS" }]);
  await Benefind.open({ model: { baseUrl: "/m/" }, ingestWorkers: 1 });
  const any = await db.stats();
  if ("mode" in any) return 0;
  const stats: Stats = any;
  const restored: number = db.opened.open.restored + stats.storedBytes + stats.textsEmbedded + stats.unitsPending;
  const kept: boolean = stats.persisted || (await db.persist());
  const where: "indexedDB" | "memory" = stats.storage;
  if (!kept && where === "memory") return stats.storageError?.length ?? 0;
  await db.clear();
  db.close();
  await Benefind.deleteDatabase("benefind");
  // @ts-expect-error: dbName is a string
  await Benefind.open({ model: { baseUrl: "/m/" }, dbName: 7 });
  return hits.length + db.opened.dims + added.length + restored + (workers ?? 0);
}

export async function viaCloud(): Promise<string> {
  const db = await Benefind.open({ cloud: { proxyUrl: "https://proxy.example", token: "t", expect: { model: "amazon.titan-embed-text-v2:0", dims: 1024 } } });
  const hits = await db.search("Is my annual checkup free?", "PPO_PLUS");
  const report: IngestReport = await db.ingest([{ text: "## Gym\nGym $20.", policy: "PPO_PLUS" }]);
  const stats = (await db.stats()) as CloudStats;
  // @ts-expect-error: expect needs dims
  await Benefind.open({ cloud: { proxyUrl: "https://p", token: "t", expect: { model: "m" } } });
  let streamed = "";
  const written: GeneratedAnswer = await db.generate("Is my annual checkup free?", "PPO_PLUS", {
    k: 3,
    onEvent: (e: AnswerEvent) => { if (e.event === "delta") streamed += e.data.text; },
  });
  const firstKey: string = written.citations[0]?.key ?? written.passages[0]?.key ?? "";
  const blocked: boolean = written.guardrail.action === "GUARDRAIL_INTERVENED";
  try { await db.generate("q", "PPO_PLUS"); } catch (e) { if (e instanceof BenefindError) streamed += e.retryAfter ?? 0; }
  return `${hits.length} ${report.chunks} ${stats.contract?.dims} ${streamed} ${firstKey} ${blocked} ${written.usage.firstTokenMs}`;
}

export async function example(files: [Uint8Array, Uint8Array, Uint8Array], bundle: Uint8Array): Promise<string> {
  await init();
  const embedder = new Embedder(...files);
  const v: Float32Array = embedder.embedOne("Is my annual checkup free?");
  const engine = new Engine(...files, bundle);
  const q: Query = { question: "MRI cost", k: 5, where: { policy: "HMO_SELECT" }, mode: "hybrid" };
  const hits: SearchHit[] = engine.query(q);
  const byVector: SearchHit[] = engine.query({ vector: Array.from(v), k: 3 });
  const report: IngestReport = engine.ingest([{ text: "## Dental\nTwo cleanings.", policy: "PPO_PLUS", id: "d", plan_year: 2026 }]);
  const stats: EngineStats = engine.stats();
  const deleted: number = engine.delete(report.ids);
  const first = engine.search("Is my annual checkup free?", "PPO_PLUS")[0];
  const [start, end] = first.highlights[0] ?? [0, 0];
  // The typings are not `any`: these misuses must be rejected (tsc fails if they are not).
  // @ts-expect-error: question must be a string
  engine.query({ question: 42 });
  // @ts-expect-error: mode is vector, keyword or hybrid
  engine.query({ question: "q", mode: "fuzzy" });
  // @ts-expect-error: a document needs a policy
  engine.ingest([{ text: "no policy" }]);
  return `${hits.length} ${byVector.length} ${stats.dims} ${deleted} ${first.text.slice(start, end)} ${first.score}`;
}
