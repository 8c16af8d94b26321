//! `benefind bench sbc --questions FILE PDF…`: retrieval on real SBCs, before and after
//! row-aware chunking. "Before" is what a plain pipeline does: pdf-extract's plain text,
//! cut by the text chunker (900-character-like chunks that mix table rows); "after" is
//! `benefind::pdf`'s layout, one chunk per table row, with pages. Each question is asked
//! of each file (hybrid ranking, k = 10); a hit is relevant when its text contains one of
//! the question's `answers` (case and spacing ignored: a row label such as "Specialist
//! visit" — lenient towards "before", whose chunks hold many rows). Prints top-1 and
//! MRR@10 per half (dev, heldout, …) and file, and, after row-aware chunking, what the
//! member is shown first: the share of questions whose answer (the highlighted line,
//! [`benefind::engine::answer`]) comes from a relevant row, the share answered
//! "the documents don't say" (each question is answered by a row of every SBC), and the
//! share whose answer is the out-of-network column's figure (or a line about that side
//! alone) though the question does not ask about that side ("OON aft": the member is
//! shown the wrong price), or a penalty though it does not ask about one ("pen aft").
//! The passages' answer units are embedded and stored first, as a bundle stores them
//! and as the browser does after an ingest. Writes target/bench/sbc.json.
//!
//! A file may also be a PDF's reading saved by `--save` (`NAME.json`: its name, the plain
//! text and the layout), so that real SBC wording can be measured where the PDFs cannot be
//! shipped: `tests/fixtures/sbc/` holds six (`pkg-scripts/bench.sh quality` runs them).

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{ensure, Context};
use benefind::engine::chunk::Layout;
use benefind::engine::intent;
use benefind::pdf::{read_pdf, PdfLimits};
use benefind::{Engine, IngestDoc, Query, SearchMode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};

use crate::cli::ModelArgs;

#[derive(Deserialize)]
struct Question {
    half: String,
    question: String,
    answers: Vec<String>,
}

/// Lower case without whitespace: "Preventive care /screening" ~ "preventive care/screening".
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn read_questions(path: &Path) -> anyhow::Result<Vec<Question>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line)
                .with_context(|| format!("{} line {}", path.display(), n + 1))?,
        );
    }
    ensure!(!out.is_empty(), "{} has no questions", path.display());
    Ok(out)
}

/// What the bench reads of one SBC: its plain text (the "before" pipeline's) and its
/// layout (`benefind::pdf`'s), as `--save` writes it.
#[derive(Serialize, Deserialize)]
struct Reading {
    name: String,
    plain: String,
    layout: Layout,
}

/// Reads a PDF both ways, or loads a saved reading (`.json`).
fn reading(path: &Path) -> anyhow::Result<Reading> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        return serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not a saved SBC reading", path.display()));
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("sbc.pdf")
        .to_string();
    let plain = pdf_extract::extract_text_from_mem(&bytes)
        .map_err(|e| anyhow::anyhow!("{name}: pdf-extract: {e:?}"))?;
    let layout = read_pdf(&bytes, &name, PdfLimits::default())?;
    Ok(Reading {
        name,
        plain,
        layout,
    })
}

/// An engine holding one document, chunked one of the two ways, with its passages'
/// answer units embedded and stored, as a bundle stores them and as the browser stores
/// them in the background after an ingest: the answer is measured as a member gets it
/// once the document has settled.
fn engine_for(model: &ModelArgs, doc: IngestDoc) -> anyhow::Result<Engine> {
    let mut engine = Engine::empty(model.load()?)?;
    engine.ingest(&[doc])?;
    let records: Vec<_> = engine.collection().records().cloned().collect();
    let units = engine.embed_units(&records, &mut |_, _| {})?;
    for (record, units) in records.iter().zip(units) {
        engine
            .collection_mut()
            .set_unit_vectors(&record.id, units)?;
    }
    Ok(engine)
}

/// What a member is shown for one question: where the first relevant passage ranks,
/// and what the answer does.
struct Asked {
    /// The 1-based rank of the first relevant hit in the top 10, if any.
    rank: Option<usize>,
    /// The answer's text, and whether it comes from a relevant hit; `None` when it
    /// abstains.
    answer: Option<(String, bool)>,
    /// The first hit's text.
    first: String,
    /// The answer is the out-of-network column's figure, or a line about that side
    /// alone, and the question does not ask about that side: a member asking what a
    /// visit costs is shown what they would pay at a provider outside the network.
    other_side: bool,
    /// The answer speaks of a penalty (for a missed pre-authorization), and the question
    /// does not ask about one: the member is shown a penalty as the price.
    penalty: bool,
}

/// Asks one question of an engine (k = 10), as the page does.
fn ask(engine: &Engine, q: &Question, mode: SearchMode) -> anyhow::Result<Asked> {
    let answered = engine.ask_query(&Query {
        question: Some(q.question.clone()),
        k: Some(10),
        mode: Some(mode),
        ..Query::default()
    })?;
    let answers: Vec<String> = q.answers.iter().map(|a| squash(a)).collect();
    let relevant = |text: &str| {
        let text = squash(text);
        answers.iter().any(|a| text.contains(a.as_str()))
    };
    let hits = &answered.results;
    let rank = hits.iter().position(|h| relevant(&h.text)).map(|i| i + 1);
    let other_side = answered.answer.as_ref().is_some_and(|a| {
        (intent::is_out_of_network_line(&a.text) || intent::names_only_out_of_network(&a.text))
            && !intent::names_out_of_network(&q.question)
    });
    let penalty = answered
        .answer
        .as_ref()
        .is_some_and(|a| intent::names_penalty(&a.text) && !intent::names_penalty(&q.question));
    let answer = answered.answer.map(|a| {
        let from_relevant = hits
            .iter()
            .find(|h| h.id == a.id)
            .is_some_and(|h| relevant(&h.text));
        (a.text, from_relevant)
    });
    Ok(Asked {
        rank,
        answer,
        first: hits.first().map(|h| h.text.clone()).unwrap_or_default(),
        other_side,
        penalty,
    })
}

#[derive(Default, Clone, Copy)]
struct Score {
    n: usize,
    top1: usize,
    rr: f64,
    /// Answers read from a relevant passage.
    answered_right: usize,
    abstained: usize,
    /// Answers from the out-of-network column to a question not about that side.
    other_side: usize,
    /// Answers that are a penalty to a question not about one.
    penalty: usize,
}

impl Score {
    fn add(&mut self, asked: &Asked) {
        self.n += 1;
        if asked.rank == Some(1) {
            self.top1 += 1;
        }
        self.rr += asked.rank.map_or(0.0, |r| 1.0 / r as f64);
        self.other_side += usize::from(asked.other_side);
        self.penalty += usize::from(asked.penalty);
        match asked.answer {
            Some((_, true)) => self.answered_right += 1,
            Some((_, false)) => {}
            None => self.abstained += 1,
        }
    }

    fn json(self) -> serde_json::Value {
        let share = |count: usize| count as f64 / self.n.max(1) as f64;
        json!({
            "questions": self.n,
            "top1": share(self.top1),
            "mrr10": self.rr / self.n.max(1) as f64,
            "answer_right": share(self.answered_right),
            "abstained": share(self.abstained),
            "other_side": share(self.other_side),
            "penalty": share(self.penalty),
        })
    }
}

pub fn run(
    model: &ModelArgs,
    questions: &Path,
    files: &[PathBuf],
    save: Option<&Path>,
    show: Option<&str>,
    mode: SearchMode,
) -> anyhow::Result<()> {
    let questions = read_questions(questions)?;
    // (half, way) → score, and (file, way) → score.
    let mut by_half: BTreeMap<(String, &str), Score> = BTreeMap::new();
    let mut by_file: BTreeMap<(String, &str), Score> = BTreeMap::new();
    let mut chunks: BTreeMap<(String, &str), usize> = BTreeMap::new();
    // Mean characters per chunk: how much a member reads to find the figure.
    let mut mean_chars: BTreeMap<(String, &str), usize> = BTreeMap::new();
    let mut names = Vec::new();
    for path in files {
        let read = reading(path)?;
        if let Some(dir) = save {
            std::fs::create_dir_all(dir)?;
            let out = dir.join(format!("{}.json", read.name.trim_end_matches(".pdf")));
            std::fs::write(&out, serde_json::to_string(&read)? + "\n")
                .with_context(|| format!("writing {}", out.display()))?;
        }
        let Reading {
            name,
            plain,
            layout,
        } = read;
        names.push(name.clone());
        let doc = |text: String, layout| IngestDoc {
            text,
            layout,
            policy: "SBC".into(),
            source: Some(name.clone()),
            id: Some("sbc".into()),
            metadata: Map::new(),
        };
        for (way, engine) in [
            ("before", engine_for(model, doc(plain.clone(), None))?),
            (
                "after",
                engine_for(model, doc(String::new(), Some(layout.clone())))?,
            ),
        ] {
            chunks.insert((name.clone(), way), engine.collection().len());
            let chars: usize = engine
                .collection()
                .records()
                .map(|r| r.text.chars().count())
                .sum();
            mean_chars.insert(
                (name.clone(), way),
                chars / engine.collection().len().max(1),
            );
            for q in &questions {
                let asked = ask(&engine, q, mode)?;
                if show == Some(q.half.as_str()) {
                    let answer = match asked.answer {
                        Some((_, true)) => "answer from a relevant row",
                        Some((_, false)) => "answer from another row",
                        None => "abstained",
                    };
                    eprintln!("{name} {way}: {:?}, {answer}: {}", asked.rank, q.question);
                    // What outranked the relevant row, and what answered instead of it,
                    // for working on the dev half.
                    let shown = |text: &str| text.chars().take(300).collect::<String>();
                    if way == "after" && asked.rank != Some(1) {
                        eprintln!("    first: {}", shown(&asked.first).replace('\n', " ⏎ "));
                    }
                    if let Some((text, false)) = &asked.answer {
                        eprintln!("    answer: {}", shown(text));
                    }
                }
                by_half
                    .entry((q.half.clone(), way))
                    .or_default()
                    .add(&asked);
                by_file.entry((name.clone(), way)).or_default().add(&asked);
            }
        }
    }
    // "answer aft": the share of questions whose answer (the page's highlighted line)
    // comes from a relevant row; "abstain aft": whose answer is "the documents don't
    // say"; "OON aft": whose answer is the out-of-network column's figure though the
    // question does not ask about that side; "pen aft": whose answer is a penalty though
    // the question does not ask about one. Every question asked of an SBC is answered by
    // one of its rows.
    println!(
        "{:<44} {:>14} {:>9} {:>9} {:>9} {:>9} {:>10} {:>11} {:>7} {:>7}",
        "set",
        "chunks",
        "top-1 bef",
        "top-1 aft",
        "MRR bef",
        "MRR aft",
        "answer aft",
        "abstain aft",
        "OON aft",
        "pen aft"
    );
    let line = |label: &str, chunks: String, before: Score, after: Score| {
        let (b, a) = (before.json(), after.json());
        let f = |v: &serde_json::Value, key: &str| v[key].as_f64().unwrap_or(0.0);
        println!(
            "{label:<44} {chunks:>14} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>10.3} {:>11.3} {:>7.3} {:>7.3}",
            f(&b, "top1"),
            f(&a, "top1"),
            f(&b, "mrr10"),
            f(&a, "mrr10"),
            f(&a, "answer_right"),
            f(&a, "abstained"),
            f(&a, "other_side"),
            f(&a, "penalty"),
        );
    };
    // Each half once, in the order the file first names it.
    let mut halves: Vec<String> = Vec::new();
    for q in &questions {
        if !halves.contains(&q.half) {
            halves.push(q.half.clone());
        }
    }
    let mut report = serde_json::Map::new();
    for half in &halves {
        let (b, a) = (
            by_half[&(half.clone(), "before")],
            by_half[&(half.clone(), "after")],
        );
        line(
            &format!("{half} ({} question × file pairs)", b.n),
            String::new(),
            b,
            a,
        );
        report.insert(half.clone(), json!({"before": b.json(), "after": a.json()}));
    }
    for name in names {
        let (b, a) = (
            by_file[&(name.clone(), "before")],
            by_file[&(name.clone(), "after")],
        );
        let c = format!(
            "{}→{} ({}→{})",
            chunks[&(name.clone(), "before")],
            chunks[&(name.clone(), "after")],
            mean_chars[&(name.clone(), "before")],
            mean_chars[&(name.clone(), "after")]
        );
        line(&name, c, b, a);
        let mean = |way| mean_chars[&(name.clone(), way)];
        report.insert(
            name.clone(),
            json!({"before": b.json(), "after": a.json(),
                   "mean_chars": {"before": mean("before"), "after": mean("after")}}),
        );
    }
    let out = Path::new("target/bench");
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("sbc.json"), serde_json::to_string_pretty(&report)?)?;
    Ok(())
}
