//! `benefind bench quality`: answer quality per search mode on a labelled question set
//! (each question has its policy and its one relevant chunk), filtered by policy:
//! top-1 accuracy, MRR@10 and nDCG@10, overall, per policy, and on two halves of the set:
//! "dev" (questions on odd lines, the only ones looked at while tuning) and "held-out"
//! (even lines, to see whether a change generalises). Writes target/bench/quality.json
//! (quality-int8.json with `--weights int8`: questions embedded with the int8 weights
//! against the bundle's f32 vectors, as the browser does by default).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use anyhow::Context;
use benefind::{Query, SearchMode};
use serde::Deserialize;
use serde_json::json;

use crate::cli::ModelArgs;
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
    /// One table line: label, count, top-1, MRR@10, nDCG@10.
    fn row(&self, label: &str, count_width: usize) -> String {
        let n = self.n.max(1) as f64;
        format!(
            "{label:<12} {:>count_width$} {:>7.3} {:>8.3} {:>8.3}",
            self.n,
            self.top1 / n,
            self.mrr / n,
            self.ndcg / n
        )
    }

    fn json(&self) -> serde_json::Value {
        let n = self.n.max(1) as f64;
        json!({"questions": self.n, "top1": self.top1 / n, "mrr_at_10": self.mrr / n, "ndcg_at_10": self.ndcg / n})
    }
}

pub fn run(model: &ModelArgs, bundle: &Path, questions: &Path) -> anyhow::Result<()> {
    let engine = cmd_search::open(model, bundle)?;
    let file = std::fs::File::open(questions)
        .with_context(|| format!("opening {}", questions.display()))?;
    let mut set = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let q: Labelled = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}", questions.display(), n + 1))?;
        anyhow::ensure!(
            engine.collection().get(&q.relevant).is_some(),
            "{} line {}: relevant chunk {} is not in the bundle (was the corpus or the chunker changed?)",
            questions.display(),
            n + 1,
            q.relevant
        );
        set.push(q);
    }
    let modes = [
        ("vector", SearchMode::Vector),
        ("keyword", SearchMode::Keyword),
        ("hybrid", SearchMode::Hybrid),
    ];
    let mut report = BTreeMap::new();
    let precision = model.precision().as_str();
    println!("questions embedded with {precision} weights");
    println!(
        "{:<12} {:>9} {:>7} {:>8} {:>8}",
        "mode", "questions", "top-1", "MRR@10", "nDCG@10"
    );
    for (name, mode) in modes {
        let mut all = Scores::default();
        let mut per_policy: BTreeMap<String, Scores> = BTreeMap::new();
        let mut halves = [Scores::default(), Scores::default()];
        for (i, q) in set.iter().enumerate() {
            let results = engine.query(&Query {
                question: Some(q.question.clone()),
                k: Some(10),
                filter: Some(json!({ "policy": q.policy })),
                mode: Some(mode),
                vector: None,
            })?;
            let rank = results
                .iter()
                .position(|h| h.id == q.relevant)
                .map(|i| i + 1);
            all.add(rank);
            per_policy.entry(q.policy.clone()).or_default().add(rank);
            // Line i + 1: odd lines are dev, even lines held out.
            halves[i % 2].add(rank);
        }
        println!("{}", all.row(name, 9));
        for (policy, s) in &per_policy {
            println!("  {}", s.row(policy, 5));
        }
        println!("  {}", halves[0].row("dev", 5));
        println!("  {}", halves[1].row("held-out", 5));
        let a = all.json();
        let policies: BTreeMap<&String, serde_json::Value> =
            per_policy.iter().map(|(p, s)| (p, s.json())).collect();
        report.insert(
            name,
            json!({"all": a, "per_policy": policies, "dev": halves[0].json(), "held_out": halves[1].json()}),
        );
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
