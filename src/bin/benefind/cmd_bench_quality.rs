//! `benefind bench quality`: answer quality per search mode on labelled question sets
//! (each question has its policy and its one relevant chunk), every query filtered to its
//! policy, k = 10: top-1 accuracy, MRR@10 and nDCG@10.
//!
//! The sets (tests/fixtures/README.md says how they were made):
//! - **held-out** (the headline): topics never looked at while tuning anything;
//! - **dev**: the other topics, the only questions looked at while choosing parameters;
//! - **fresh** (a `--later` set): questions written after the expansion table was frozen.
//!
//! The two halves (`--set`) share no topic, no relevant chunk and no question text; a
//! later set may ask about any chunk, but with question texts of its own. Keyword and
//! hybrid also run with the expansion table off (for the words and for the question's
//! vector), so its effect is measured on each set.
//! Writes target/bench/quality.json (quality-int8.json with `--weights int8`: questions
//! embedded with the int8 weights against the bundle's f32 vectors, as the browser does
//! by default).

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::Context;
use benefind::cloud::CloudClient;
use benefind::engine::{hybrid_rerank, RERANK_CANDIDATES};
use benefind::{Engine, Filter, Query, SearchHit, SearchMode};
use serde::Deserialize;
use serde_json::json;

use crate::cli::ModelArgs;
use crate::cmd_cloud::{self, HttpTransport};
use crate::cmd_search;

#[derive(Deserialize)]
struct Labelled {
    question: String,
    policy: String,
    relevant: String,
}

#[derive(Default, Clone, Copy)]
struct Scores {
    n: usize,
    top1: f64,
    mrr: f64,
    ndcg: f64,
}

impl Scores {
    fn add(&mut self, rank: Option<usize>) {
        self.n += 1;
        if let Some(r) = rank {
            self.top1 += f64::from(r == 1);
            self.mrr += 1.0 / r as f64;
            // One relevant chunk: ideal DCG is 1, so nDCG = 1 / log2(rank + 1).
            self.ndcg += 1.0 / ((r + 1) as f64).log2();
        }
    }

    fn mean(&self) -> [f64; 3] {
        let n = self.n.max(1) as f64;
        [self.top1 / n, self.mrr / n, self.ndcg / n]
    }

    fn json(&self) -> serde_json::Value {
        let [top1, mrr, ndcg] = self.mean();
        json!({"questions": self.n, "top1": top1, "mrr_at_10": mrr, "ndcg_at_10": ndcg})
    }
}

/// A named question set, read and checked against the bundle.
struct Set {
    name: String,
    questions: Vec<Labelled>,
    /// One of the split halves (`--set`), as opposed to a set written later (`--later`).
    split: bool,
}

/// The objects of a JSON-lines file with their 1-based line numbers (blank lines
/// skipped); a line that is not a `T` fails with its number.
pub fn read_json_lines<T: serde::de::DeserializeOwned>(
    path: &Path,
) -> anyhow::Result<Vec<(usize, T)>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}", path.display(), n + 1))?;
        out.push((n + 1, value));
    }
    Ok(out)
}

fn read_set(spec: &str, split: bool, engine: &benefind::Engine) -> anyhow::Result<Set> {
    let (name, path) = spec
        .split_once('=')
        .with_context(|| format!("--set {spec}: expected NAME=PATH"))?;
    let path = PathBuf::from(path);
    let mut questions = Vec::new();
    for (n, q) in read_json_lines::<Labelled>(&path)? {
        anyhow::ensure!(
            engine.collection().get(&q.relevant).is_some(),
            "{} line {}: relevant chunk {} is not in the bundle (was the corpus or the chunker changed?)",
            path.display(),
            n,
            q.relevant
        );
        questions.push(q);
    }
    Ok(Set {
        name: name.to_string(),
        questions,
        split,
    })
}

/// The sets must stay apart: no question text in two sets, and no relevant chunk in two
/// split halves.
fn check_disjoint(sets: &[Set]) -> anyhow::Result<()> {
    for (i, a) in sets.iter().enumerate() {
        let texts: HashSet<String> = a
            .questions
            .iter()
            .map(|q| q.question.to_lowercase())
            .collect();
        let chunks: HashSet<&str> = a.questions.iter().map(|q| q.relevant.as_str()).collect();
        for b in &sets[i + 1..] {
            if let Some(q) = b
                .questions
                .iter()
                .find(|q| texts.contains(&q.question.to_lowercase()))
            {
                anyhow::bail!("{:?} is in both {} and {}", q.question, a.name, b.name);
            }
            if a.split && b.split {
                if let Some(q) = b
                    .questions
                    .iter()
                    .find(|q| chunks.contains(q.relevant.as_str()))
                {
                    anyhow::bail!(
                        "chunk {} is relevant in both {} and {}",
                        q.relevant,
                        a.name,
                        b.name
                    );
                }
            }
        }
    }
    Ok(())
}

/// How a row of the table ranks.
#[derive(Clone, Copy)]
enum Ranker {
    /// The local collection in this mode, the expansion table on or off (off: for the
    /// keyword channel and for the question's vector, asked as typed).
    Local(SearchMode, bool),
    /// The cloud path's ranking simulated locally: the vector search's best
    /// [`RERANK_CANDIDATES`] under the plan (what S3 Vectors answers the proxy) re-ranked
    /// by [`hybrid_rerank`].
    Rerank,
    /// A real benefind-proxy (`--cloud`) in this mode.
    Cloud(SearchMode),
}

const VARIANTS: [(&str, Ranker); 8] = [
    ("vector", Ranker::Local(SearchMode::Vector, true)),
    ("keyword", Ranker::Local(SearchMode::Keyword, true)),
    (
        "keyword, no expansion",
        Ranker::Local(SearchMode::Keyword, false),
    ),
    ("hybrid (default)", Ranker::Local(SearchMode::Hybrid, true)),
    (
        "hybrid, no expansion",
        Ranker::Local(SearchMode::Hybrid, false),
    ),
    ("re-rank, simulated", Ranker::Rerank),
    ("cloud, vector", Ranker::Cloud(SearchMode::Vector)),
    ("cloud, hybrid", Ranker::Cloud(SearchMode::Hybrid)),
];

/// The ids `ranker` gives `q` (asked as the vector `v`), best first, at most 10.
fn rank(
    ranker: Ranker,
    engine: &Engine,
    cloud: Option<&(CloudClient<HttpTransport>, tokio::runtime::Runtime)>,
    q: &Labelled,
    v: &[f32],
) -> anyhow::Result<Vec<String>> {
    let filter = Filter::field_eq("policy", &q.policy);
    Ok(match ranker {
        Ranker::Local(mode, expand) => engine
            .collection()
            .query_text_with(&q.question, v, 10, Some(&filter), mode, expand)?
            .into_iter()
            .map(|h| h.id)
            .collect(),
        Ranker::Cloud(mode) => {
            let (client, rt) = cloud.context("--cloud")?;
            let query = Query {
                question: Some(q.question.clone()),
                k: Some(10),
                filter: Some(json!({ "policy": q.policy })),
                mode: Some(mode),
                ..Query::default()
            };
            rt.block_on(client.query(&query))?
                .into_iter()
                .map(|h| h.id)
                .collect()
        }
        Ranker::Rerank => reranked_as_the_cloud(engine, &q.question, v, &filter, 10)?
            .into_iter()
            .map(|h| h.id)
            .collect(),
    })
}

/// The cloud path's ranking simulated with the bundle's vectors: the vector search's best
/// [`RERANK_CANDIDATES`] under `filter` (what S3 Vectors answers the proxy), re-ranked by
/// [`hybrid_rerank`] (the proxy's); the best `k`.
pub fn reranked_as_the_cloud(
    engine: &Engine,
    question: &str,
    vector: &[f32],
    filter: &Filter,
    k: usize,
) -> anyhow::Result<Vec<SearchHit>> {
    let near = engine
        .collection()
        .query_vector(vector, RERANK_CANDIDATES, Some(filter))?;
    let candidates: Vec<(&str, f32)> = near.iter().map(|h| (h.text.as_str(), h.score)).collect();
    Ok(hybrid_rerank(question, &candidates, k)
        .into_iter()
        .map(|i| near[i].clone())
        .collect())
}

pub fn run(
    model: &ModelArgs,
    bundle: &Path,
    split: &[String],
    later: &[String],
    cloud: Option<&str>,
) -> anyhow::Result<()> {
    let engine = cmd_search::open(model, bundle)?;
    let cloud = match cloud {
        Some(url) => Some((
            CloudClient::new(
                HttpTransport::new(url, cmd_cloud::token("BENEFIND_TOKEN")?)?,
                None,
            ),
            cmd_cloud::runtime()?,
        )),
        None => None,
    };
    let sets = split
        .iter()
        .map(|s| read_set(s, true, &engine))
        .chain(later.iter().map(|s| read_set(s, false, &engine)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    check_disjoint(&sets)?;
    let precision = model.precision().as_str();
    println!("questions embedded with {precision} weights; k = 10, each filtered to its plan; top-1 / MRR@10 / nDCG@10");
    let mut header = format!("{:<22}", "mode");
    for s in &sets {
        header += &format!(" | {:^22}", format!("{} ({})", s.name, s.questions.len()));
    }
    println!("{header}");
    let mut report = BTreeMap::new();
    // Each question's vectors, computed once: as the local engine reads it (with the
    // member vocabulary's plan words, `Engine::question_vector`) and as typed, which the
    // rows without the vocabulary and the cloud's simulated re-rank (the proxy embeds
    // the question as typed) rank with.
    let vectors: Vec<Vec<[Vec<f32>; 2]>> = sets
        .iter()
        .map(|s| {
            s.questions
                .iter()
                .map(|q| {
                    Ok([
                        engine.question_vector(&q.question)?,
                        engine.embedder().embed_one(&q.question)?,
                    ])
                })
                .collect::<benefind::Result<Vec<_>>>()
        })
        .collect::<benefind::Result<Vec<_>>>()?;
    for (label, ranker) in VARIANTS {
        if matches!(ranker, Ranker::Cloud(_)) && cloud.is_none() {
            continue;
        }
        let mut line = format!("{label:<22}");
        let mut per_set = BTreeMap::new();
        for (set, vecs) in sets.iter().zip(&vectors) {
            let mut all = Scores::default();
            let mut per_policy: BTreeMap<&str, Scores> = BTreeMap::new();
            for (q, [read, typed]) in set.questions.iter().zip(vecs) {
                let v = match ranker {
                    Ranker::Local(_, true) => read,
                    _ => typed,
                };
                let ids = rank(ranker, &engine, cloud.as_ref(), q, v)?;
                let rank = ids.iter().position(|id| *id == q.relevant).map(|i| i + 1);
                all.add(rank);
                per_policy.entry(&q.policy).or_default().add(rank);
            }
            let [t, m, n] = all.mean();
            line += &format!(" | {t:>6.3} {m:>6.3} {n:>6.3}  ");
            let policies: BTreeMap<&str, serde_json::Value> =
                per_policy.iter().map(|(p, s)| (*p, s.json())).collect();
            per_set.insert(
                set.name.clone(),
                json!({"all": all.json(), "per_policy": policies}),
            );
        }
        println!("{line}");
        report.insert(label, per_set);
    }
    let out = Path::new("target/bench");
    std::fs::create_dir_all(out)?;
    let name = match model.precision() {
        benefind::Precision::F32 => "quality.json".to_string(),
        other => format!("quality-{}.json", other.as_str()),
    };
    std::fs::write(out.join(&name), serde_json::to_vec_pretty(&report)?)?;
    eprintln!("wrote target/bench/{name}");
    Ok(())
}
