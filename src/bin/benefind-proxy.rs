//! benefind's signing proxy: see `benefind::cloud::proxy` (configuration, threat model).
//!
//! `benefind-proxy --config proxy.toml` serves; `benefind-proxy hash-token` reads a
//! token on stdin and prints the SHA-256 the config stores (`--generate`: makes a random
//! 256-bit token and prints it and its hash); `benefind-proxy --config FILE config --set
//! KEY=VALUE --token-hash NAME=SHA256 --token NAME:ROLE=SHA256` prints FILE with those
//! settings replaced or tokens added (as TOML values, and checked as a whole), e.g. to
//! give a deployment its ports and tokens without editing the file's text. AWS credentials come from the
//! standard chain (environment, profile, container or instance role).

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
    HashToken {
        /// Instead: make a random 256-bit token (64 hex digits) and print `TOKEN SHA256`.
        #[arg(long)]
        generate: bool,
    },
    /// Prints the --config file with settings replaced, after checking the result.
    Config {
        /// KEY=VALUE, VALUE in TOML syntax: a top-level setting (`listen="127.0.0.1:9000"`)
        /// or one of a table (`limits.burst=100`). Repeatable.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// NAME=SHA256: the hash of the token named NAME. Repeatable.
        #[arg(long = "token-hash", value_name = "NAME=SHA256")]
        token_hash: Vec<String>,
        /// NAME:ROLE=SHA256: adds a token (role search or ingest). Repeatable.
        #[arg(long = "token", value_name = "NAME:ROLE=SHA256")]
        token: Vec<String>,
    },
}

/// The config file's settings with `set` and `token_hash` applied, as TOML text that
/// [`ProxyConfig::from_toml`] accepts.
fn edited_config(
    text: &str,
    set: &[String],
    token_hash: &[String],
    token: &[String],
) -> anyhow::Result<String> {
    let mut config: toml::Table = text.parse().context("the config is not TOML")?;
    for item in set {
        let (key, value) = item
            .split_once('=')
            .with_context(|| format!("--set {item}: use KEY=VALUE"))?;
        // A TOML value parses as the right-hand side of a key.
        let value = format!("v = {value}")
            .parse::<toml::Table>()
            .with_context(|| format!("--set {item}: the value is not TOML"))?
            .remove("v")
            .context("a value")?;
        let mut table = &mut config;
        let mut path: Vec<&str> = key.trim().split('.').collect();
        let last = path.pop().context("a key")?;
        for part in path {
            table = table
                .entry(part)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .with_context(|| format!("--set {item}: {part} is not a table"))?;
        }
        table.insert(last.to_string(), value);
    }
    for item in token_hash {
        let (name, hash) = item
            .split_once('=')
            .with_context(|| format!("--token-hash {item}: use NAME=SHA256"))?;
        let token = config
            .get_mut("tokens")
            .and_then(toml::Value::as_array_mut)
            .and_then(|tokens| {
                tokens
                    .iter_mut()
                    .filter_map(toml::Value::as_table_mut)
                    .find(|t| t.get("name").and_then(toml::Value::as_str) == Some(name))
            })
            .with_context(|| format!("--token-hash: the config has no token named {name}"))?;
        token.insert("sha256".into(), toml::Value::String(hash.into()));
    }
    for item in token {
        let (name_role, hash) = item
            .split_once('=')
            .with_context(|| format!("--token {item}: use NAME:ROLE=SHA256"))?;
        let (name, role) = name_role
            .split_once(':')
            .with_context(|| format!("--token {item}: use NAME:ROLE=SHA256"))?;
        let mut entry = toml::Table::new();
        entry.insert("name".into(), name.into());
        entry.insert("sha256".into(), hash.into());
        entry.insert("role".into(), role.into());
        config
            .entry("tokens")
            .or_insert_with(|| toml::Value::Array(Vec::new()))
            .as_array_mut()
            .context("tokens is not an array")?
            .push(toml::Value::Table(entry));
    }
    let text = toml::to_string(&config)?;
    ProxyConfig::from_toml(&text)?;
    Ok(text)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::HashToken { generate: true }) => {
            let mut secret = [0u8; 32];
            getrandom_os::fill(&mut secret)
                .map_err(|e| anyhow::anyhow!("the OS random source failed: {e}"))?;
            let token = hex::encode(secret);
            println!("{token} {}", hash_token(&token));
            return Ok(());
        }
        Some(Command::HashToken { generate: false }) => {
            let mut token = String::new();
            std::io::stdin().read_to_string(&mut token)?;
            let token = token.trim();
            anyhow::ensure!(token.len() >= 16, "use a token of at least 16 characters");
            println!("{}", hash_token(token));
            return Ok(());
        }
        Some(Command::Config {
            set,
            token_hash,
            token,
        }) => {
            let path = cli
                .config
                .as_ref()
                .context("give --config FILE to start from")?;
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            print!("{}", edited_config(&text, set, token_hash, token)?);
            return Ok(());
        }
        None => {}
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
