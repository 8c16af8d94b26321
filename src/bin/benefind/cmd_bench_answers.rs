//! `benefind bench answers`: the answer span and abstention on a labelled set of
//! answerable and unanswerable questions (tests/fixtures/answers.jsonl; the fixture
//! README says how it was made), per split (dev, dev2, dev3, heldout, and the blind fresh,
//! fresh2 and fresh4):
//! - abstention recall: unanswerable questions that abstain (target ≥ 0.90);
//! - answerable questions that abstain (target ≤ 0.05), and abstention precision;
//! - answer accuracy: answerable questions whose answer comes from their relevant
//!   chunk and, where the set names them, contains the figure asked for (target ≥ 0.85);
//! - the time a query takes with the answer read and without (native; the browser's
//!   figure is `pkg-scripts/bench.sh browser`'s).
//!
//! Every question is asked as `Engine::ask` asks it: hybrid, k = 3, filtered to its plan;
//! and again as the cloud path asks it, simulated with the bundle's vectors: the vector
//! search's best [`RERANK_CANDIDATES`] under the plan (what S3 Vectors answers the proxy),
//! re-ranked by the proxy's `hybrid_rerank` (`reranked_as_the_cloud`), answered by
//! [`answer_from_passages`] (`CloudClient::ask`'s: words only).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use benefind::engine::answer::{answer_from_passages, Answered};
use benefind::engine::RERANK_CANDIDATES;
use benefind::{Engine, Filter, DEFAULT_K};
use serde::Deserialize;

use crate::cli::ModelArgs;
use crate::cmd_bench_quality::{read_json_lines, reranked_as_the_cloud};
use crate::cmd_search;

#[derive(Deserialize)]
struct Labelled {
    question: String,
    policy: String,
    answerable: bool,
    /// The chunk that answers it (answerable questions).
    relevant: Option<String>,
    /// Any of these in the answer's text makes it right (optional).
    #[serde(default)]
    contains: Vec<String>,
    split: String,
}

#[derive(Default)]
struct Tally {
    unanswerable: usize,
    unanswerable_abstained: usize,
    answerable: usize,
    answerable_abstained: usize,
    right: usize,
    /// Answered from the relevant passage, by a unit without the figure.
    span_missed: usize,
    /// Answered from another passage.
    passage_missed: usize,
}

/// Each split's tally of `questions` answered by `ask`, printing the misses of `show`'s.
fn tally<'q>(
    questions: &'q [Labelled],
    show: Option<&str>,
    ask: impl Fn(&Labelled) -> anyhow::Result<Answered>,
) -> anyhow::Result<BTreeMap<&'q str, Tally>> {
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for q in questions {
        let a = ask(q)?;
        let t = tallies.entry(&q.split).or_default();
        let shown = show == Some(q.split.as_str());
        if q.answerable {
            t.answerable += 1;
            match &a.answer {
                None => {
                    t.answerable_abstained += 1;
                    if shown {
                        println!(
                            "  abstained: {} [{}] missing {:?}",
                            q.question, q.policy, a.missing
                        );
                    }
                }
                Some(ans) => {
                    let figure = q.contains.is_empty()
                        || q.contains
                            .iter()
                            .any(|c| ans.text.to_lowercase().contains(&c.to_lowercase()));
                    let right_passage = q.relevant.as_deref() == Some(ans.id.as_str());
                    if right_passage && figure {
                        t.right += 1;
                    } else {
                        // Which step failed: the span within the right passage, or the
                        // ranking (and where the relevant passage was).
                        let why = if right_passage {
                            t.span_missed += 1;
                            "right passage, unit lacks the figure".to_string()
                        } else {
                            t.passage_missed += 1;
                            let rank = a
                                .results
                                .iter()
                                .position(|h| q.relevant.as_deref() == Some(h.id.as_str()));
                            match rank {
                                Some(r) => format!("relevant passage ranked {}", r + 1),
                                None => "relevant passage not in the results".to_string(),
                            }
                        };
                        if shown {
                            println!(
                                "  wrong ({why}): {} [{}] → {} {:?}",
                                q.question, q.policy, ans.id, ans.text
                            );
                        }
                    }
                }
            }
        } else {
            t.unanswerable += 1;
            if a.answer.is_none() {
                t.unanswerable_abstained += 1;
            } else if shown {
                println!(
                    "  answered: {} [{}] → {:?}",
                    q.question,
                    q.policy,
                    a.answer.map(|x| x.text)
                );
            }
        }
    }
    Ok(tallies)
}

/// Prints `tallies` as a table and returns them as the report's JSON.
fn report(tallies: &BTreeMap<&str, Tally>) -> serde_json::Map<String, serde_json::Value> {
    println!("half      unanswerable  abstained (recall)  answerable  abstained  precision  answer accuracy  wrong passage  wrong unit");
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let mut report = serde_json::Map::new();
    for (half, t) in tallies {
        let abstained = t.unanswerable_abstained + t.answerable_abstained;
        let (recall, false_rate, precision, accuracy) = (
            ratio(t.unanswerable_abstained, t.unanswerable),
            ratio(t.answerable_abstained, t.answerable),
            ratio(t.unanswerable_abstained, abstained),
            ratio(t.right, t.answerable),
        );
        println!(
            "{half:<9} {:>12}  {:>18.3}  {:>10}  {:>9.3}  {:>9.3}  {:>15.3}  {:>13.3}  {:>10.3}",
            t.unanswerable,
            recall,
            t.answerable,
            false_rate,
            precision,
            accuracy,
            ratio(t.passage_missed, t.answerable),
            ratio(t.span_missed, t.answerable)
        );
        report.insert(
            half.to_string(),
            serde_json::json!({"unanswerable": t.unanswerable, "abstention_recall": recall,
                "answerable": t.answerable, "answerable_abstained": false_rate,
                "abstention_precision": precision, "answer_accuracy": accuracy,
                "wrong_passage": ratio(t.passage_missed, t.answerable),
                "wrong_unit": ratio(t.span_missed, t.answerable)}),
        );
    }
    report
}

/// The cloud path's answer, simulated with the bundle's vectors (module docs).
fn ask_as_the_cloud(engine: &Engine, q: &Labelled) -> anyhow::Result<Answered> {
    let vector = engine.embedder().embed_one(&q.question)?;
    let filter = Filter::field_eq("policy", &q.policy);
    let hits = reranked_as_the_cloud(engine, &q.question, &vector, &filter, DEFAULT_K)?;
    Ok(answer_from_passages(&q.question, hits)?)
}

pub fn run(model: &ModelArgs, bundle: &Path, set: &Path, show: Option<&str>) -> anyhow::Result<()> {
    let engine = cmd_search::open(model, bundle)?;
    let mut questions = Vec::new();
    for (n, q) in read_json_lines::<Labelled>(set)? {
        anyhow::ensure!(
            !q.answerable || q.relevant.is_some(),
            "{} line {n}: an answerable question needs its relevant chunk",
            set.display(),
        );
        questions.push(q);
    }
    let tallies = tally(
        &questions,
        show,
        |q| Ok(engine.ask(&q.question, &q.policy)?),
    )?;
    let mut report = report(&tallies);
    println!("the cloud path (simulated: the vector search's best {RERANK_CANDIDATES} re-ranked as the proxy re-ranks them, answered by the words alone)");
    let cloud = tally(
        &questions,
        show.and_then(|s| s.strip_prefix("cloud:")),
        |q| ask_as_the_cloud(&engine, q),
    )?;
    report.insert(
        "cloud_rerank".into(),
        serde_json::Value::Object(self::report(&cloud)),
    );
    // Latency: the same questions with and without the answer, alternating, twice over.
    let (mut plain, mut answered) = (0.0f64, 0.0f64);
    for _ in 0..2 {
        for q in &questions {
            let s = Instant::now();
            engine.search(&q.question, &q.policy)?;
            plain += s.elapsed().as_secs_f64();
            let s = Instant::now();
            engine.ask(&q.question, &q.policy)?;
            answered += s.elapsed().as_secs_f64();
        }
    }
    let n = 2.0 * questions.len() as f64;
    let (plain, answered) = (plain / n * 1e3, answered / n * 1e3);
    println!(
        "query latency (native, {} weights): {plain:.2} ms without the answer, {answered:.2} ms with ({:+.2} ms, {:.2}×)",
        model.precision().as_str(),
        answered - plain,
        answered / plain
    );
    report.insert(
        "latency_ms".into(),
        serde_json::json!({"without_answer": plain, "with_answer": answered}),
    );
    std::fs::create_dir_all("target/bench")?;
    std::fs::write(
        "target/bench/answers.json",
        serde_json::to_vec_pretty(&report)?,
    )?;
    eprintln!("wrote target/bench/answers.json");
    Ok(())
}
