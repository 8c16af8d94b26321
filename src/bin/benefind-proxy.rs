//! benefind's signing proxy: see `benefind::cloud::proxy` (configuration, threat model).
//!
//! `benefind-proxy --config proxy.toml` serves; `benefind-proxy hash-token` reads a
//! token on stdin and prints the SHA-256 the config stores. AWS credentials come from
//! the standard chain (environment, profile, container or instance role).

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use benefind::cloud::proxy::{hash_token, serve, CredentialSource, ProxyConfig};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    version,
    about = "benefind's signing proxy for Bedrock Titan V2 and S3 Vectors"
)]
struct Cli {
    /// Config file (TOML); also BENEFIND_PROXY_CONFIG.
    #[arg(long, env = "BENEFIND_PROXY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Reads a client token on stdin and prints its SHA-256 for the config's tokens.
    HashToken,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::HashToken) = cli.command {
        let mut token = String::new();
        std::io::stdin().read_to_string(&mut token)?;
        let token = token.trim();
        anyhow::ensure!(token.len() >= 16, "use a token of at least 16 characters");
        println!("{}", hash_token(token));
        return Ok(());
    }
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BENEFIND_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let path = cli
        .config
        .context("give --config FILE (or BENEFIND_PROXY_CONFIG)")?;
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let config = ProxyConfig::from_toml(&text)?;
    let credentials = CredentialSource::default_chain().await?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, region = %config.region, index = %config.index, model = %config.model_id, dims = config.dims, "listening");
    println!("benefind-proxy listening on http://{addr}");
    std::io::stdout().flush()?;
    serve(listener, config, credentials).await?;
    Ok(())
}
