//! `benefind`: the native command line, on the same core as the browser module: embed
//! texts, build / inspect / export / import bundles, search them, upload one through the
//! signing proxy (`cloud`), quantise the model, and run the benchmarks behind
//! `pkg-scripts/bench.sh`. `cli` parses the arguments; one `cmd_*` file per subcommand.
//!
//! # Commands
//!
//!
//! ```sh
//! cargo build --release --features full   # the CLI, benefind-proxy and benefind-fake-aws
//! B=target/release/benefind
//! echo '{"text": "Is my annual checkup free?"}' | $B embed [--model-dir DIR] [--weights f32|int8]   # every model command takes these
//! $B model quantize [--model-dir DIR] [--out FILE]     # model.safetensors → model.int8.safetensors (default-bundle.sh runs it)
//! $B bundle build --input www/data --out www/data/default.bundle [--encoding f32|f16|int8]   # or --input chunks.jsonl
//! $B bundle inspect www/data/default.bundle
//! $B search --bundle www/data/default.bundle --policy PPO_PLUS [--where '{"chunk_index": {"$lt": 5}}'] [-k 3] [--mode hybrid|vector|keyword] "Do I need a referral?"
//! $B search --bundle www/data/default.bundle --queries queries.jsonl     # {"question", "policy"?, "where"?, "k"?, "mode"?} per line
//! $B bundle export --bundle www/data/default.bundle --format s3vectors --out put-vectors/ [--bucket B --index I]
//! $B bundle import --format s3vectors put-vectors/*.json --out imported.bundle [--model-id M --dims 384]
//! $B bench embed --runs 50
//! $B bench search [--sizes 10000,100000] [--ef-search N] [--overview-ef-search N] [--no-overview-graph] [--max-policy-segments N]
//! $B bench quality [--bundle www/data/default.bundle] [--set NAME=FILE.jsonl ...] [--weights int8]
//! BENEFIND_TOKEN=… $B cloud upload --bundle www/data/default.bundle --proxy http://127.0.0.1:9000
//! BENEFIND_TOKEN=… $B cloud search --proxy http://127.0.0.1:9000 --policy PPO_PLUS "How much is the ER?"
//! $B bench proxy --proxy URL --fake URL [--clients 50 --requests 200]   # via pkg-scripts/bench.sh proxy
//! ```
//!
//! `bundle build` takes a folder of `.md`/`.txt` documents — `policy` (and `source`, and any
//! other keys, e.g. `plan_name`) from a front-matter block `---\npolicy: PPO_PLUS\n---`, else
//! from the file name (`ppo-plus.md` → `PPO_PLUS`) — or a JSONL file of ready chunks
//! `{"id", "text", "policy", ...metadata}` stored as given. `search` prints
//! `{"answer", "missing", "results": [{id, score, distance, text, metadata, highlights}]}`:
//! `answer` is `{"text", "id", "start", "end", "label"}` (the answering sentence, list item or
//! table line of a result, `start`/`end` byte offsets into that result's text, `label` the
//! row's label line when it is one cell of a table row, else `null`) or `null` when the
//! plan's documents do not answer, `missing` the question's topic words no result mentions
//! (when abstaining), `results` best first (score = cosine similarity to the question,
//! distance = 1 − score, highlights = byte ranges of the words that matched); `--queries`
//! prints one such line per query, in order. The default
//! `--mode hybrid` ranks by the fused order, so scores need not be descending; `--mode vector`
//! ranks by score.
//! `export` writes S3 Vectors `PutVectors` bodies (≤ 500 vectors each; text in
//! `metadata.chunk`), `import` reads them back (vectors of another length are refused with
//! both numbers).
//!
//! `embed` reads JSON lines `{"text": "..."}` and writes `{"embedding": [384 floats]}` lines in
//! the same order, batching internally. The whole input is parsed before anything is embedded:
//! a bad line fails with its line number, exit code 1 and no output. `--model-dir` defaults to
//! `models/all-MiniLM-L6-v2`; a missing model says to run `pkg-scripts/fetch-model.sh`.

mod cli;
mod cmd_bench;
mod cmd_bench_abuse;
mod cmd_bench_answer;
mod cmd_bench_answers;
mod cmd_bench_pdf;
mod cmd_bench_proxy;
mod cmd_bench_quality;
mod cmd_bench_sbc;
mod cmd_bench_search;
mod cmd_bundle;
mod cmd_cloud;
mod cmd_embed;
mod cmd_search;

fn main() -> std::process::ExitCode {
    cli::main()
}
