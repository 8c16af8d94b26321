//! Argument parsing and dispatch; error reporting for every subcommand.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use benefind::engine::bundle::VectorEncoding;
use benefind::engine::index::IndexParams;
use benefind::{Embedder, ModelFiles, Precision, SearchMode, DEFAULT_K};
use clap::{Parser, Subcommand};

use crate::cmd_bundle::BuildOptions;
use crate::cmd_search::SearchArgs;
use crate::{
    cmd_bench, cmd_bench_answer, cmd_bench_answers, cmd_bench_pdf, cmd_bench_proxy,
    cmd_bench_quality, cmd_bench_sbc, cmd_bench_search, cmd_bundle, cmd_cloud, cmd_embed,
    cmd_search,
};

/// Default model folder, as written by pkg-scripts/fetch-model.sh.
pub const DEFAULT_MODEL_DIR: &str = "models/all-MiniLM-L6-v2";

#[derive(Parser)]
#[command(
    name = "benefind",
    version,
    about = "Search health-plan benefits documents by meaning"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Embed JSON lines {"text": ...} from stdin into JSON lines {"embedding": [...]} on stdout.
    Embed {
        #[command(flatten)]
        model: ModelArgs,
    },
    /// Build, inspect, export and import vector bundles.
    Bundle {
        #[command(subcommand)]
        which: BundleCommand,
    },
    /// Search a bundle: prints {"results": [...]} (or one line per query with --queries).
    Search {
        #[command(flatten)]
        model: ModelArgs,
        /// The bundle file.
        #[arg(long)]
        bundle: PathBuf,
        /// Only this plan's chunks.
        #[arg(long)]
        policy: Option<String>,
        /// A where-filter as JSON (ChromaDB / S3 Vectors syntax), AND-ed with --policy.
        #[arg(long = "where")]
        filter: Option<String>,
        /// Results per query.
        #[arg(short = 'k', default_value_t = DEFAULT_K)]
        k: usize,
        /// vector (MiniLM only), keyword (BM25 only) or hybrid (both, fused).
        #[arg(long, default_value = "hybrid")]
        mode: SearchMode,
        /// JSON lines {"question", "policy"?, "where"?, "k"?, "mode"?}; one result line each.
        #[arg(long, conflicts_with = "question")]
        queries: Option<PathBuf>,
        /// The member's question.
        question: Option<String>,
    },
    /// Model files: `model quantize` writes the int8 weights the browser downloads.
    Model {
        #[command(subcommand)]
        which: ModelCommand,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
    /// The cloud path (Titan V2 + S3 Vectors) through benefind-proxy.
    Cloud {
        #[command(subcommand)]
        which: CloudCommand,
    },
}

/// Where the proxy is and which environment variable holds the token.
#[derive(clap::Args)]
struct ProxyArgs {
    /// The proxy's origin.
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    proxy: String,
    /// Environment variable holding the bearer token.
    #[arg(long, default_value = "BENEFIND_TOKEN")]
    token_env: String,
}

#[derive(Subcommand)]
enum CloudCommand {
    /// Re-embed a bundle's chunks with the index's model and upsert them (resumable).
    Upload {
        /// The bundle whose chunks (ids, texts, metadata) to upload.
        #[arg(long)]
        bundle: PathBuf,
        /// Progress file (default FILE.upload-state.json); a re-run skips done batches.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Chunks per upsert call (1 to 100; the proxy embeds each with Titan).
        #[arg(long, default_value_t = benefind::cloud::UPSERT_BATCH)]
        batch_size: usize,
        #[command(flatten)]
        proxy: ProxyArgs,
    },
    /// Ask the cloud index a question; prints {"results": [...]}.
    Search {
        /// Only this plan's chunks.
        #[arg(long)]
        policy: Option<String>,
        /// Results.
        #[arg(short = 'k', default_value_t = DEFAULT_K)]
        k: usize,
        /// hybrid (S3 Vectors' best 100 re-ranked with their words by the proxy) or vector.
        #[arg(long, default_value = "hybrid")]
        mode: SearchMode,
        #[command(flatten)]
        proxy: ProxyArgs,
        /// The member's question.
        question: String,
    },
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Build a bundle from .pdf/.md/.txt documents (a file or a folder) or a JSONL file of
    /// ready chunks.
    Build {
        #[command(flatten)]
        model: ModelArgs,
        /// A document (.pdf, .md, .txt), a folder of them, or chunks.jsonl. A document's
        /// policy comes from its front matter, else --policy, else its file name
        /// ("Healthfirst Gold (2025 SBC).pdf" → HEALTHFIRST_GOLD__2025_SBC_).
        #[arg(long)]
        input: PathBuf,
        /// The policy of every document without front matter (every PDF).
        #[arg(long)]
        policy: Option<String>,
        /// Bundle file to write.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        build: BuildArgs,
    },
    /// Print a bundle's header, counts, policies and section sizes as JSON.
    Inspect {
        /// The bundle file.
        file: PathBuf,
    },
    /// Write a bundle as S3 Vectors PutVectors request bodies (≤ 500 vectors each).
    Export {
        /// The bundle file.
        #[arg(long)]
        bundle: PathBuf,
        /// Output format (only s3vectors).
        #[arg(long, value_parser = ["s3vectors"])]
        format: String,
        /// Folder for put-vectors-NNNN.json.
        #[arg(long)]
        out: PathBuf,
        /// vectorBucketName in the bodies.
        #[arg(long, default_value = "benefind")]
        bucket: String,
        /// indexName in the bodies.
        #[arg(long, default_value = "benefits")]
        index: String,
    },
    /// Build a bundle from S3 Vectors PutVectors bodies (as written by export).
    Import {
        /// Input format (only s3vectors).
        #[arg(long, value_parser = ["s3vectors"])]
        format: String,
        /// put-vectors-*.json files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Bundle file to write.
        #[arg(long)]
        out: PathBuf,
        /// The model the vectors came from (S3 Vectors does not record it).
        #[arg(long, default_value = benefind::MODEL_ID)]
        model_id: String,
        /// Its dimension.
        #[arg(long, default_value_t = 384)]
        dims: usize,
        #[command(flatten)]
        build: BuildArgs,
    },
}

/// Encoding and graph parameters of a bundle build.
#[derive(clap::Args)]
struct BuildArgs {
    /// Vector encoding: f32, f16 (½ the bytes) or int8 (≈ ¼).
    #[arg(long, default_value = "f32")]
    encoding: VectorEncoding,
    /// HNSW candidate list while building.
    #[arg(long, default_value_t = IndexParams::default().ef_construction)]
    ef_construction: usize,
    /// HNSW candidates per search (fixed at build time).
    #[arg(long, default_value_t = IndexParams::default().ef_search)]
    ef_search: usize,
    /// Segments smaller than this are scanned exactly instead of getting a graph.
    #[arg(long, default_value_t = IndexParams::default().min_graph_rows)]
    min_graph_rows: usize,
    /// Up to this many policies get a graph each; more (or 0) share one graph.
    #[arg(long, default_value_t = IndexParams::default().max_policy_segments)]
    max_policy_segments: usize,
    /// Skip the overview graph (one graph over all rows, built besides per-policy graphs
    /// for queries not pinned to a policy): halves the build, slows such queries.
    #[arg(long)]
    no_overview_graph: bool,
    /// HNSW candidates per search of the overview graph (fixed at build time).
    #[arg(long, default_value_t = IndexParams::default().overview_ef_search)]
    overview_ef_search: usize,
}

impl BuildArgs {
    fn options(&self) -> BuildOptions {
        BuildOptions {
            encoding: self.encoding,
            params: IndexParams {
                ef_construction: self.ef_construction,
                ef_search: self.ef_search,
                min_graph_rows: self.min_graph_rows,
                max_policy_segments: self.max_policy_segments,
                overview_graph: !self.no_overview_graph,
                overview_ef_search: self.overview_ef_search,
                ..IndexParams::default()
            },
        }
    }
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Answer quality per mode (top-1, MRR@10, nDCG@10) on a labelled question set.
    Quality {
        #[command(flatten)]
        model: ModelArgs,
        /// The bundle built from the sample corpus.
        #[arg(long, default_value = "www/data/default.bundle")]
        bundle: PathBuf,
        /// The split question sets as NAME=PATH (repeatable), each JSON lines {"question",
        /// "policy", "relevant"}; the first is the headline. No two share a question
        /// text or a relevant chunk.
        #[arg(
            long = "set",
            default_values = [
                "held-out=tests/fixtures/questions-heldout.jsonl",
                "dev=tests/fixtures/questions-dev.jsonl",
            ]
        )]
        sets: Vec<String>,
        /// Sets written later, as NAME=PATH (repeatable): new question texts about any
        /// chunk (e.g. written after the expansion table was frozen).
        #[arg(long = "later", default_values = ["fresh=tests/fixtures/questions-fresh.jsonl"])]
        later: Vec<String>,
        /// Also ask every question through this benefind-proxy (the bundle uploaded to its
        /// index; token in $BENEFIND_TOKEN), hybrid and vector.
        #[arg(long)]
        cloud: Option<String>,
    },
    /// Index build/load/query/recall at several sizes, vs brute force; writes target/bench/search.json.
    Search {
        #[command(flatten)]
        model: ModelArgs,
        /// Collection sizes (the smallest also runs on real embeddings).
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        sizes: Vec<usize>,
        /// Queries per measurement.
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// Where real embeddings are cached.
        #[arg(long, default_value = "target/bench-cache")]
        cache: PathBuf,
        #[command(flatten)]
        build: BuildArgs,
    },
    /// Writes a bundle of N real MiniLM embeddings of benefit sentences (cached), plus
    /// held-out questions with their vectors, for the browser benchmark.
    Bundle {
        #[command(flatten)]
        model: ModelArgs,
        /// Chunks in the bundle.
        #[arg(long)]
        size: usize,
        /// Held-out questions written next to it.
        #[arg(long, default_value_t = 200)]
        queries: usize,
        /// Where real embeddings are cached.
        #[arg(long, default_value = "target/bench-cache")]
        cache: PathBuf,
        /// Bundle file to write (questions go to FILE.queries.json).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        build: BuildArgs,
    },
    /// Written answers (`/v1/answer`, streamed) through benefind-proxy against the fake
    /// AWS, next to the same calls signed and sent straight to the fake: time to first
    /// token, total time, Bedrock calls and tokens per answer, the proxy's overhead.
    Answer {
        /// The proxy's origin (its search token in $BENEFIND_SEARCH_TOKEN).
        #[arg(long)]
        proxy: String,
        /// The fake AWS's origin (baseline: the same calls, signed by this client).
        #[arg(long)]
        fake: String,
        /// Questions, JSON lines with `question` and `policy`.
        #[arg(long, default_value = "tests/fixtures/questions-dev.jsonl")]
        questions: PathBuf,
        /// Times each question is asked on each path.
        #[arg(long, default_value_t = 2)]
        rounds: usize,
    },
    /// Load test of benefind-proxy against the fake AWS, with direct calls as baseline.
    Proxy {
        /// The proxy's origin.
        #[arg(long)]
        proxy: String,
        /// The fake AWS's origin (baseline: the same requests, signed by this client).
        #[arg(long)]
        fake: String,
        /// Concurrent clients.
        #[arg(long, default_value_t = 50)]
        clients: usize,
        /// Requests per client.
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// A second proxy, with the default limits, for the cost-abuse test.
        #[arg(long)]
        guarded: String,
        /// The fake behind --guarded (its Titan calls are counted).
        #[arg(long)]
        guarded_fake: String,
        /// Hostile connections (idle, or half-sent headers) in the slow-client test.
        #[arg(long, default_value_t = 150)]
        idle: usize,
        /// Seconds of each cost-abuse run.
        #[arg(long, default_value_t = 15)]
        abuse_seconds: u64,
    },
    /// PDFs from bytes to searchable: extraction, pages, chunks, sequential vs parallel
    /// embedding, time to searchable, peak memory; writes target/bench/pdf-native.json.
    Pdf {
        #[command(flatten)]
        model: ModelArgs,
        /// Threads for the parallel figure, each with its own embedder (default: cores, ≤ 4).
        #[arg(long)]
        threads: Option<usize>,
        /// The PDF files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Retrieval on real SBC PDFs before (plain text chunks) and after (one chunk per
    /// table row) row-aware chunking: top-1 and MRR@10 per half, and the answers' share
    /// from a relevant row and abstaining; writes target/bench/sbc.json.
    Sbc {
        #[command(flatten)]
        model: ModelArgs,
        /// JSON lines {"half", "question", "answers": [row label, …]}.
        #[arg(long)]
        questions: PathBuf,
        /// The SBCs, every question asked of each: PDFs, or readings of PDFs (.json, as
        /// --save writes them; tests/fixtures/sbc holds six).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also write each PDF's reading (its plain text and layout) to DIR/NAME.json.
        #[arg(long)]
        save: Option<PathBuf>,
        /// Print each question's rank for this half (look at dev only: held-out is for
        /// measuring, not tuning).
        #[arg(long)]
        show: Option<String>,
        /// Rank by meaning, by words, or both (the product's default): to see which
        /// channel a miss comes from.
        #[arg(long, default_value = "hybrid")]
        mode: benefind::SearchMode,
    },
    /// The answer span and abstention on labelled answerable and unanswerable questions:
    /// abstention recall and precision, answer accuracy per half, and query latency with
    /// the answer and without; writes target/bench/answers.json.
    Answers {
        #[command(flatten)]
        model: ModelArgs,
        /// The bundle built from the sample corpus.
        #[arg(long, default_value = "www/data/default.bundle")]
        bundle: PathBuf,
        /// JSON lines {"question", "policy", "answerable", "relevant"?, "contains"?, "split"}.
        #[arg(long, default_value = "tests/fixtures/answers.jsonl")]
        set: PathBuf,
        /// Print the misses of this half (look at dev only: held-out is for measuring);
        /// `cloud:HALF` prints the simulated cloud path's.
        #[arg(long)]
        show: Option<String>,
    },
    /// Latency of one question and throughput of 32-text batches; prints JSON.
    Embed {
        #[command(flatten)]
        model: ModelArgs,
        /// Timed runs after warm-up.
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Convert model.safetensors (f32) into model.int8.safetensors: per-row symmetric
    /// int8 for the embedding table and every dense layer, a quarter of the bytes.
    Quantize {
        /// Folder with model.safetensors; the int8 file is written next to it.
        #[arg(long, default_value = DEFAULT_MODEL_DIR)]
        model_dir: PathBuf,
        /// Where to write (default: MODEL_DIR/model.int8.safetensors).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Where the model files are.
#[derive(clap::Args)]
pub struct ModelArgs {
    /// Folder with model.safetensors (and model.int8.safetensors), tokenizer.json and config.json.
    #[arg(long, default_value = DEFAULT_MODEL_DIR)]
    model_dir: PathBuf,
    /// Weights to embed with: f32 (model.safetensors, the reference) or int8
    /// (model.int8.safetensors, what the browser uses by default).
    #[arg(long, default_value = "f32")]
    weights: Precision,
}

impl ModelArgs {
    pub fn precision(&self) -> Precision {
        self.weights
    }

    /// Loads the embedder, with a message that says how to get the model when it is missing.
    pub fn load(&self) -> anyhow::Result<Embedder> {
        let files = ModelFiles::read_dir_with(&self.model_dir, self.precision())?;
        Embedder::from_files(files)
            .with_context(|| format!("loading the model from {}", self.model_dir.display()))
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Embed { model } => cmd_embed::run(&model),
        Command::Bundle { which } => which.run(),
        Command::Search {
            model,
            bundle,
            policy,
            filter,
            k,
            mode,
            queries,
            question,
        } => cmd_search::run(
            &model,
            &bundle,
            SearchArgs {
                question: question.as_deref(),
                queries: queries.as_deref(),
                policy: policy.as_deref(),
                filter: filter.as_deref(),
                k,
                mode,
            },
        ),
        Command::Model {
            which: ModelCommand::Quantize { model_dir, out },
        } => quantize(&model_dir, out),
        Command::Bench { which } => which.run(),
        Command::Cloud { which } => which.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benefind: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

impl BundleCommand {
    fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Build {
                model,
                input,
                policy,
                out,
                build,
            } => cmd_bundle::build(&model, &input, policy.as_deref(), &out, build.options()),
            Self::Inspect { file } => cmd_bundle::inspect(&file),
            Self::Export {
                bundle,
                out,
                bucket,
                index,
                ..
            } => cmd_bundle::export_s3vectors(&bundle, &out, &bucket, &index),
            Self::Import {
                inputs,
                out,
                model_id,
                dims,
                build,
                ..
            } => cmd_bundle::import_s3vectors(&inputs, &out, &model_id, dims, build.options()),
        }
    }
}

impl BenchCommand {
    fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Embed { model, runs } => cmd_bench::embed(&model, runs),
            Self::Pdf {
                model,
                threads,
                files,
            } => cmd_bench_pdf::run(&model, &files, threads),
            Self::Sbc {
                model,
                questions,
                files,
                save,
                show,
                mode,
            } => cmd_bench_sbc::run(
                &model,
                &questions,
                &files,
                save.as_deref(),
                show.as_deref(),
                mode,
            ),
            Self::Answers {
                model,
                bundle,
                set,
                show,
            } => cmd_bench_answers::run(&model, &bundle, &set, show.as_deref()),
            Self::Answer {
                proxy,
                fake,
                questions,
                rounds,
            } => cmd_bench_answer::run(&proxy, &fake, &questions, rounds),
            Self::Proxy {
                proxy,
                fake,
                clients,
                requests,
                guarded,
                guarded_fake,
                idle,
                abuse_seconds,
            } => cmd_bench_proxy::run(
                &proxy,
                &fake,
                clients,
                requests,
                &cmd_bench_proxy::Hostile {
                    guarded: &guarded,
                    guarded_fake: &guarded_fake,
                    idle,
                    abuse_seconds,
                },
            ),
            Self::Quality {
                model,
                bundle,
                sets,
                later,
                cloud,
            } => cmd_bench_quality::run(&model, &bundle, &sets, &later, cloud.as_deref()),
            Self::Search {
                model,
                sizes,
                queries,
                cache,
                build,
            } => cmd_bench_search::run(&model, &sizes, queries, &cache, build.options().params),
            Self::Bundle {
                model,
                size,
                queries,
                cache,
                out,
                build,
            } => cmd_bench_search::bundle(&model, size, queries, &cache, &out, build.options()),
        }
    }
}

impl CloudCommand {
    fn run(self) -> anyhow::Result<()> {
        match self {
            Self::Upload {
                bundle,
                state,
                batch_size,
                proxy,
            } => cmd_cloud::token(&proxy.token_env)
                .and_then(|t| cmd_cloud::upload(&bundle, &proxy.proxy, t, state, batch_size)),
            Self::Search {
                policy,
                k,
                mode,
                proxy,
                question,
            } => cmd_cloud::token(&proxy.token_env).and_then(|t| {
                cmd_cloud::search(&proxy.proxy, t, policy.as_deref(), k, mode, &question)
            }),
        }
    }
}

/// `benefind model quantize`: writes the int8 file through a temporary name, so an
/// interrupted run never leaves a truncated file where the browser would fetch it.
fn quantize(model_dir: &std::path::Path, out: Option<PathBuf>) -> anyhow::Result<()> {
    let source = model_dir.join(Precision::F32.weights_file());
    let bytes = std::fs::read(&source).with_context(|| {
        format!(
            "reading {} (run pkg-scripts/fetch-model.sh)",
            source.display()
        )
    })?;
    let int8 = benefind::embed::quantize_safetensors(&bytes)?;
    let out = out.unwrap_or_else(|| model_dir.join(Precision::Int8.weights_file()));
    let partial = out.with_extension("partial");
    std::fs::write(&partial, &int8).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, &out).with_context(|| format!("renaming to {}", out.display()))?;
    eprintln!(
        "wrote {} ({} bytes, {:.2}x of {})",
        out.display(),
        int8.len(),
        int8.len() as f64 / bytes.len() as f64,
        source.display()
    );
    Ok(())
}
