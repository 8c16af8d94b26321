//! Test and benchmark support (feature `testing`): seeded synthetic vector sets,
//! metadata at chosen selectivities, benefit-like sentences, and brute-force search to
//! measure recall against. Not part of the product; the CLI's benchmarks and the
//! integration tests use it.
//!
//! # What pkg-scripts/test.sh runs
//!
//!
//! `pkg-scripts/test.sh` runs:
//!
//! 0. Quality gates: `cargo fmt --check`, and `shellcheck` on `pkg-scripts/` and `.ci/run`.
//! 1. `cargo test --profile ci --locked --features full` — parity with `tests/fixtures/minilm-parity.jsonl` (copied from the
//!    steering repo's shared fixtures: reference embeddings from an independent float32
//!    implementation, checked against sentence-transformers): every row cosine ≥ 0.9999 and max
//!    abs difference ≤ 1e-4, one by one and batched; the int8 weights: cosine ≥ 0.995 to the
//!    reference on every row and to f32 on all 135 benefit questions, a quarter of the bytes,
//!    a deterministic conversion, a second conversion and a file missing a scale refused; the
//!    erf fit within 4·10⁻⁷ everywhere; token counts; truncation past 256 tokens;
//!    case/accent normalisation; unit length for empty, whitespace, emoji and CJK text; wrong or
//!    corrupt model files; the CLI's output on the fixture texts; the where-filter grammar;
//!    chunking; the bundle round trip and every malformed-bundle case (with proptest);
//!    filtered exactness against brute force at 1 %, 10 %, 50 % selectivity; ingest, replace,
//!    delete and compaction; all-or-nothing writes; the dimension contract; the keyword index
//!    and fusion; the CLI's `bundle` and `search` commands on the sample corpus; SigV4 sign →
//!    verify (and every tampering fails); the cloud client's contract checks. `tests/proxy.rs`
//!    runs the real `benefind-proxy` and `benefind-fake-aws` binaries on loopback: no token /
//!    wrong token / search token on ingest routes; CORS (listed origin gets headers and a
//!    preflight, another origin 403); every limit (body, topK 0 and 101, filter depth and bad
//!    operators, texts, 501 vectors, duplicate and empty keys, text + data, spoofed
//!    `metadata.chunk`, 384-d vectors → `DIMENSION_MISMATCH` with both numbers, wrong content
//!    type, malformed JSON, unknown fields) answered 4xx with nothing reaching AWS; the
//!    per-token rate limit; redirect attempts (`Host`, `X-Amz-*`, `X-Forwarded-*`, query
//!    strings, `..`/`%2e`/`//` paths, an absolute-form request line) never forwarded — the
//!    fake saw only signed `QueryVectors` on its one index; 503×2 → retried → 200, 429
//!    persisting → 3 attempts → 429 `UPSTREAM_THROTTLED` + `Retry-After`, 500 → not retried,
//!    a hung upstream → 504 in the timeout; a wrong AWS secret → the fake rejects the signature
//!    → 502 `UPSTREAM_FORBIDDEN`; forced filters scope a tenant's reads, writes and deletes; 50
//!    concurrent clients × 20 requests with zero errors and every upserted key its own nearest
//!    neighbour afterwards; no token, secret, signature or `Authorization` in any (JSON) log
//!    line; `benefind cloud upload` stopped by an injected failure and resumed (state file,
//!    no duplicates), and cloud top-3 = local exact vector top-3 for a question per plan.
//! 2. `cargo test --release --locked --target wasm32-unknown-unknown --test web_embed --test
//!    web_engine` (every `tests/web_*.rs`) with `wasm-bindgen-test-runner` and
//!    Debian's chromedriver, then again in Firefox with geckodriver (`GECKODRIVER`), against a loopback static server the script starts
//!    (wasm-bindgen-test-runner serves only the test's own files): `tests/web_embed.rs` fetches
//!    the real weights and checks the same parity rule in headless Chromium, and the int8
//!    weights (the browser's integer kernel) against the quantized bar, batch = single;
//!    `tests/web_engine.rs` loads the default bundle (built first by
//!    `pkg-scripts/default-bundle.sh`), checks the seed question per policy, ingests a document
//!    in the page, and checks that corrupt, truncated and wrong-dimension bundles give
//!    `BAD_BUNDLE` / `DIMENSION_MISMATCH` errors, not panics. By hand:
//!    `node pkg-scripts/serve.mjs --port 8089 --mount /models=models www &` then
//!    `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner cargo test --release
//!    --target wasm32-unknown-unknown --test web_embed` (URLs default to port
//!    8089; `BENEFIND_TEST_MODEL_URL` / `BENEFIND_TEST_DATA_URL` override them at build time).
//! 3. `pkg-scripts/build.sh`, then `npx tsc --noEmit --strict … tests/browser/types-check.ts`:
//!    the package's typings must accept the documented calls and reject misuse
//!    (`@ts-expect-error` lines).
//! 4. `xvfb-run node --test --test-concurrency=1 tests/browser/` — every suite except the
//!    cloud one runs once per engine (Chromium, Firefox, WebKit; `BENEFIND_BROWSERS` picks
//!    them) over W3C WebDriver with `selenium-webdriver` (`tests/browser/engines.mjs`, each
//!    engine with its default profile; offline means the server is stopped; phone width is a
//!    375 px frame); `storage.test.mjs` covers private windows, blocked site data and an
//!    unanswered persistence prompt; `widget.test.mjs` also loads the widget from a second
//!    origin; `cloud.test.mjs` uses Playwright in Chromium. `engine-api.test.mjs` checks the synchronous `Engine` (plain result
//!    objects, UTF-16 highlights, coded errors, all-or-nothing ingest);
//!    `demo.test.mjs` drives the page as a member: first visit with progress, the seed
//!    question for each plan gives its preventive-care passage first and never another
//!    plan's (and the same ids and scores, within 1e-4, as the native CLI on the same
//!    bundle with the same int8 weights); the policy is remembered; a pasted document and an uploaded file are found
//!    after a reload, work offline (`context.setOffline`), and a deleted one is gone after a
//!    reload; a document with `<img onerror>`, `<script>`, `<b>` and a `javascript:` link is
//!    shown as text and nothing runs; keyboard-only search; no sideways scrolling at 375 px.
//!    `widget.test.mjs` loads the mock portal under its CSP: both widgets answer within their
//!    policy with one worker, the portal's styles do not change them and theirs do not leak,
//!    `::part` and `--benefind-accent` apply, a result opened with Enter fires
//!    `benefind-result`, and no CSP violation or console error occurs. Screenshots go to the
//!    git-ignored `screenshots/`. `benefind-api.test.mjs` drives `Benefind` (worker, progress,
//!    coded errors, the int8 weights by default and `weights: "f32"` on request, model from the
//!    Cache API on the second open, SHA-256 refusal);
//!    `persistence.test.mjs` (fixture bundles made with the CLI) checks: ingest → reload →
//!    search without re-embedding (`textsEmbedded`) and with the stored graphs → delete →
//!    reload → clear; bad filter, empty question, 3 MB document, batch with a bad document,
//!    1024-d (Titan) bundle, truncated and missing bundles give their codes and leave stored
//!    data intact; a quota failure (Chromium's `Storage.overrideQuotaForOrigin`) writes
//!    nothing; corrupt records are reported and cleared; another model's stored data is
//!    refused; two tabs see each other's ingest and delete; a foreign version-3 schema is
//!    upgraded, and a tab blocking the upgrade gives `DB_BLOCKED`. Natively, `tests/store.rs`
//!    checks the same `Database` logic over an in-memory store with failure injection.
//!    `cloud.test.mjs` starts the fake and the proxy, uploads the default bundle with the CLI,
//!    and in Chromium: `Benefind.open({cloud})` → worker → wasm `CloudIndex` → `fetch` →
//!    proxy → fake gives the same top 3 as local exact vector search; a 384-d query vector,
//!    a pinned 384-d contract against the 1024-d index, and a local bundle opened with a cloud
//!    index fail with `DIMENSION_MISMATCH` / `MODEL_MISMATCH` naming both sides; a wrong token
//!    is `UNAUTHORIZED`, a search token cannot ingest, an ingest token adds a document that is
//!    then found and deleted; a page from an origin not on the list is blocked by the
//!    browser's CORS check (`NETWORK`); and `pkg-scripts/cloud-demo.sh` itself (fake, proxy
//!    with `pkg-scripts/example.toml`, upload, page; free ports) serves the page in `?cloud`
//!    mode, which answers a member.
//!
//! What the model alone does with the seed's example: "Is my annual checkup free?" against
//! "Preventive care: Annual physical, immunizations, and screenings covered at 100% in-network,
//! no copay." has cosine **0.281**, while "Deductible: You pay the first $500 of covered
//! in-network services each year before the plan pays." scores **0.316** — raw MiniLM ranks the
//! deductible first. Heading-aware chunks and hybrid keyword + vector retrieval are what put
//! each plan's preventive-care passage first (`--mode vector` shows the difference).

pub mod synthetic;
