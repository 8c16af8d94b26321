//! Argument parsing and dispatch; error reporting for every subcommand.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use benefind::{Embedder, ModelFiles};
use clap::{Parser, Subcommand};

use crate::{cmd_bench, cmd_embed};

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
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Latency of one question and throughput of 32-text batches; prints JSON.
    Embed {
        #[command(flatten)]
        model: ModelArgs,
        /// Timed runs after warm-up.
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
}

/// Where the model files are.
#[derive(clap::Args)]
pub struct ModelArgs {
    /// Folder with model.safetensors, tokenizer.json and config.json.
    #[arg(long, default_value = DEFAULT_MODEL_DIR)]
    model_dir: PathBuf,
}

impl ModelArgs {
    /// Loads the embedder, with a message that says how to get the model when it is missing.
    pub fn load(&self) -> anyhow::Result<Embedder> {
        let files = ModelFiles::read_dir(&self.model_dir)?;
        Embedder::from_files(files)
            .with_context(|| format!("loading the model from {}", self.model_dir.display()))
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Embed { model } => cmd_embed::run(&model),
        Command::Bench {
            which: BenchCommand::Embed { model, runs },
        } => cmd_bench::embed(&model, runs),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benefind: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
