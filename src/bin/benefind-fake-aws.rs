//! A local fake of Bedrock (Titan V2) and S3 Vectors for tests and the cloud demo; see
//! `benefind::cloud::fake`. Prints `listening on http://ADDR` on its first stdout line.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use benefind::cloud::aws::check_non_filterable_keys;
use benefind::cloud::fake::{router, IndexSpec};
use benefind::{Embedder, ModelFiles};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Fake Bedrock Titan V2 + S3 Vectors (SigV4-checked) on loopback")]
struct Cli {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// MiniLM model folder (the Titan stand-in's meaning).
    #[arg(long, default_value = "models/all-MiniLM-L6-v2")]
    model_dir: PathBuf,
    /// Indexes to create at start, as BUCKET/INDEX/DIMS, optionally followed by
    /// /KEY,KEY… for the keys declared non-filterable (repeatable).
    #[arg(long = "index")]
    indexes: Vec<String>,
    /// Print the access key id and secret the fake accepts (one line, space-separated)
    /// and exit: the proxy in front of it signs with these.
    #[arg(long)]
    print_credentials: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.print_credentials {
        println!(
            "{} {}",
            benefind::cloud::fake::TEST_ACCESS_KEY,
            benefind::cloud::fake::TEST_SECRET_KEY
        );
        return Ok(());
    }
    anyhow::ensure!(
        cli.listen.starts_with("127.") || cli.listen.starts_with("localhost"),
        "the fake listens on loopback only"
    );
    let indexes = cli
        .indexes
        .iter()
        .map(|s| {
            let parts: Vec<&str> = s.split('/').collect();
            anyhow::ensure!(
                parts.len() == 3 || parts.len() == 4,
                "--index {s}: expected BUCKET/INDEX/DIMS[/NON_FILTERABLE_KEYS]"
            );
            let non_filterable: Vec<String> = parts
                .get(3)
                .map(|k| k.split(',').map(String::from).collect())
                .unwrap_or_default();
            if !non_filterable.is_empty() {
                check_non_filterable_keys(&non_filterable)
                    .map_err(|e| anyhow::anyhow!("--index {s}: {e}"))?;
            }
            Ok(IndexSpec {
                bucket: parts[0].into(),
                index: parts[1].into(),
                dims: parts[2]
                    .parse()
                    .with_context(|| format!("--index {s}: dims"))?,
                non_filterable,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let embedder = Embedder::from_files(ModelFiles::read_dir(&cli.model_dir)?)?;
    let listener = tokio::net::TcpListener::bind(&cli.listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    axum::serve(listener, router(Arc::new(embedder), &indexes)).await?;
    Ok(())
}
