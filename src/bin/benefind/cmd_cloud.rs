//! `benefind cloud upload|search`: the cloud path through the signing proxy, with the
//! same client code the browser uses (`benefind::cloud`) over reqwest.

use std::path::{Path, PathBuf};

use anyhow::Context;
use benefind::cloud::{CloudClient, Contract, Transport, UPSERT_BATCH};
use benefind::{Bundle, Error, Query, SearchMode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cmd_bundle::progress_bar;

/// The proxy over HTTP with a bearer token.
pub struct HttpTransport {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl HttpTransport {
    /// `proxy` is the proxy's origin, e.g. `http://127.0.0.1:9000`.
    pub fn new(proxy: &str, token: String) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()?;
        Ok(Self {
            base: proxy.trim_end_matches('/').to_string(),
            token,
            http,
        })
    }
}

impl Transport for HttpTransport {
    async fn post(&self, path: &str, body: String) -> benefind::Result<(u16, String)> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| Error::Network(format!("{}: {}", self.base, e.without_url())))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| Error::Network(e.to_string()))?;
        Ok((status, text))
    }
}

/// The token from the named environment variable (never from the command line, where
/// other users could read it in the process list).
pub fn token(var: &str) -> anyhow::Result<String> {
    std::env::var(var).with_context(|| format!("set the proxy token in ${var}"))
}

/// What `upload` remembers between runs, so a re-run resumes.
#[derive(Serialize, Deserialize, PartialEq)]
struct UploadState {
    proxy: String,
    bundle_crc32: u32,
    bundle_len: usize,
    batch_size: usize,
    batches_done: usize,
}

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// `cloud upload`: re-embeds a bundle's chunks with the index's model through the proxy
/// and upserts them in batches. Keys are the chunk ids, so a batch sent twice
/// overwrites; progress is saved after each batch in `state` (default
/// `FILE.upload-state.json`), and a re-run skips the batches already done.
pub fn upload(
    bundle_path: &Path,
    proxy: &str,
    token: String,
    state: Option<PathBuf>,
    batch_size: usize,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=UPSERT_BATCH).contains(&batch_size),
        "--batch-size must be 1 to {UPSERT_BATCH}"
    );
    let bytes =
        std::fs::read(bundle_path).with_context(|| format!("reading {}", bundle_path.display()))?;
    let bundle = Bundle::from_bytes(&bytes)?;
    let state_path = state.unwrap_or_else(|| {
        let mut p = bundle_path.as_os_str().to_owned();
        p.push(".upload-state.json");
        PathBuf::from(p)
    });
    let fresh = UploadState {
        proxy: proxy.to_string(),
        bundle_crc32: crc32fast::hash(&bytes),
        bundle_len: bytes.len(),
        batch_size,
        batches_done: 0,
    };
    let mut saved = std::fs::read(&state_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<UploadState>(&b).ok())
        .filter(|s| {
            s.proxy == fresh.proxy
                && s.bundle_crc32 == fresh.bundle_crc32
                && s.bundle_len == fresh.bundle_len
                && s.batch_size == fresh.batch_size
        })
        .unwrap_or(fresh);
    let batches: Vec<_> = bundle.records.chunks(batch_size).collect();
    let skip = saved.batches_done.min(batches.len());
    let bar = progress_bar(bundle.records.len(), "uploading");
    bar.set_position((skip * batch_size).min(bundle.records.len()) as u64);
    if skip > 0 {
        eprintln!(
            "resuming: {skip} of {} batches were uploaded before",
            batches.len()
        );
    }
    let client = CloudClient::new(HttpTransport::new(proxy, token)?, None);
    let rt = runtime()?;
    for (i, batch) in batches.iter().enumerate().skip(skip) {
        rt.block_on(client.upsert(batch, &mut |_, _| {}))
            .with_context(|| format!("batch {} of {}", i + 1, batches.len()))?;
        saved.batches_done = i + 1;
        let tmp = state_path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(&saved)?)?;
        std::fs::rename(&tmp, &state_path)?;
        bar.inc(batch.len() as u64);
    }
    bar.finish();
    let contract = client.contract().map_or_else(
        || "nothing new".to_string(),
        |Contract { model, dims }| format!("{model}, {dims} dimensions"),
    );
    println!(
        "{}",
        json!({"uploaded": bundle.records.len(), "batches": batches.len(), "skipped_batches": skip, "index": contract})
    );
    Ok(())
}

/// `cloud search`: one question through the proxy; prints `{"results": [...]}`.
pub fn search(
    proxy: &str,
    token: String,
    policy: Option<&str>,
    k: usize,
    mode: SearchMode,
    question: &str,
) -> anyhow::Result<()> {
    let client = CloudClient::new(HttpTransport::new(proxy, token)?, None);
    let query = Query {
        question: Some(question.into()),
        k: Some(k),
        mode: Some(mode),
        filter: policy.map(|p| json!({ "policy": p })),
        ..Query::default()
    };
    let hits = runtime()?.block_on(client.query(&query))?;
    println!("{}", json!({ "results": hits }));
    Ok(())
}
