//! `benefind search`: one question, or a file of queries, against a bundle.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use benefind::{Collection, Engine, Query, SearchMode};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::cli::ModelArgs;

/// One line of `--queries`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryLine {
    question: String,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default, rename = "where")]
    filter: Option<Value>,
    #[serde(default)]
    k: Option<usize>,
    #[serde(default)]
    mode: Option<SearchMode>,
}

/// The policy and the where-filter AND-ed into one filter value.
fn combined_filter(policy: Option<&str>, filter: Option<Value>) -> Option<Value> {
    let policy =
        policy.map(|p| Value::Object(Map::from_iter([("policy".to_string(), Value::from(p))])));
    match (policy, filter) {
        (Some(p), Some(f)) => Some(json!({ "$and": [p, f] })),
        (p, f) => p.or(f),
    }
}

/// Opens a bundle for searching with the model's embedder.
pub fn open(model: &ModelArgs, bundle: &Path) -> anyhow::Result<Engine> {
    let embedder = model.load()?;
    let bytes = std::fs::read(bundle).with_context(|| format!("reading {}", bundle.display()))?;
    let collection = Collection::from_bundle_bytes(&bytes, embedder.model_id(), embedder.dims())
        .with_context(|| format!("opening {}", bundle.display()))?;
    Ok(Engine::new(embedder, collection)?)
}

pub struct SearchArgs<'a> {
    pub question: Option<&'a str>,
    pub queries: Option<&'a Path>,
    pub policy: Option<&'a str>,
    pub filter: Option<&'a str>,
    pub k: usize,
    pub mode: SearchMode,
}

pub fn run(model: &ModelArgs, bundle: &Path, args: SearchArgs) -> anyhow::Result<()> {
    let engine = open(model, bundle)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    if let Some(path) = args.queries {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        // Parse every line before searching, so a bad line fails before any output.
        let mut lines = Vec::new();
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let q: QueryLine = serde_json::from_str(&line).with_context(|| {
                format!(
                    "{} line {}: expected {{\"question\", \"policy\"?, \"where\"?, \"k\"?}}",
                    path.display(),
                    n + 1
                )
            })?;
            lines.push((n + 1, q));
        }
        for (line_no, q) in lines {
            let query = Query {
                question: Some(q.question),
                k: Some(q.k.unwrap_or(args.k)),
                filter: combined_filter(q.policy.as_deref(), q.filter),
                vector: None,
                mode: Some(q.mode.unwrap_or(args.mode)),
            };
            let answered = engine
                .ask_query(&query)
                .with_context(|| format!("query on line {line_no}"))?;
            serde_json::to_writer(&mut out, &answered)?;
            out.write_all(b"\n")?;
        }
    } else {
        let question = args.question.context("give a QUESTION or --queries FILE")?;
        let filter = args
            .filter
            .map(|f| serde_json::from_str::<Value>(f).context("--where is not JSON"))
            .transpose()?;
        let query = Query {
            question: Some(question.to_string()),
            k: Some(args.k),
            filter: combined_filter(args.policy, filter),
            vector: None,
            mode: Some(args.mode),
        };
        let answered = engine.ask_query(&query)?;
        serde_json::to_writer_pretty(&mut out, &answered)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
