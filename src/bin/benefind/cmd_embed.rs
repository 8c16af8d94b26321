//! `benefind embed`: JSON lines of text in, JSON lines of vectors out, same order.

use std::io::{BufRead, BufWriter, Write};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::cli::ModelArgs;

/// Lines embedded together: large enough to batch well, small enough to stream.
const LINES_PER_ROUND: usize = 256;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    text: String,
}

#[derive(Serialize)]
struct Output<'a> {
    embedding: &'a [f32],
}

pub fn run(model: &ModelArgs) -> anyhow::Result<()> {
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    // Parse everything first: a bad line fails the run before anything is written.
    let mut texts = Vec::new();
    for (n, line) in stdin.lines().enumerate() {
        let line_no = n + 1;
        let line = line.with_context(|| format!("reading stdin line {line_no}"))?;
        if line.trim().is_empty() {
            bail!("line {line_no}: empty line; expected a JSON object {{\"text\": \"...\"}}");
        }
        let input: Input = serde_json::from_str(&line).with_context(|| {
            format!("line {line_no}: expected a JSON object {{\"text\": \"...\"}}")
        })?;
        texts.push(input.text);
    }
    let embedder = model.load()?;
    for round in texts.chunks(LINES_PER_ROUND) {
        for vector in embedder.embed(round)? {
            serde_json::to_writer(&mut out, &Output { embedding: &vector })?;
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}
