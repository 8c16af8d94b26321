//! Chunking: splits a plain-text or Markdown benefits document into pieces that each
//! fit the embedding model's window, so that every piece is embedded whole.
//!
//! This module owns the document's outline (front matter, `#`..`######` headings,
//! paragraphs, lists, tables and fenced code), the rules for cutting it up, and the
//! [`Chunk`] records that carry each piece with its policy, source and heading path.
//! It never guesses sizes: every chunk is measured with the caller's
//! [`TokenCounter`] (the real tokenizer in production), joined text included, because
//! token counts are not additive.
//!
//! # Rules
//!
//! * A heading starts a section. A chunk never mixes two sections, and a heading
//!   without text of its own is never a chunk (its title still appears in the paths of
//!   its subsections).
//! * The heading path is the chain of headings above a section. A document's single
//!   `#` title is left out of the paths of its `##` (and deeper) sections to keep them
//!   short; it is the path of the text between the title and the first `##`. With
//!   [`ChunkOptions::include_heading_path`] every chunk's text starts with the path
//!   joined by ` — `, then a newline, then the body; [`Chunk::section`] joins it with
//!   ` > `.
//! * A section that fits is one chunk. A longer one is cut at paragraph boundaries
//!   first, then between list items and table rows (each piece of a table starts with
//!   the table's header row and separator), then between sentences, lines and
//!   `;`-clauses, then between words; a word longer than the window is cut by
//!   characters. Neighbouring small pieces of the same section are packed together up
//!   to the limit.
//! * When a section is cut, each piece after the first starts with the tail of the
//!   previous one (about [`ChunkOptions::overlap_tokens`]: whole sentences when they
//!   give at least half of that, whole words otherwise; after a list item or table row,
//!   only whole items, sentences or rows). A piece that starts inside a table gets the
//!   repeated header instead. Overlap is dropped for a piece when it would not fit.
//! * The heading line is cut (with `…`) if it would take more than half the window;
//!   [`Chunk::section`] always keeps the full path. A table header that would leave
//!   less than a quarter of the window for rows is not repeated.
//! * Horizontal rules (`---`) separate blocks and are dropped; `#` lines inside fenced
//!   code are not headings. Setext (underlined) headings are not recognised.
//!
//! # Cost
//!
//! The counter is called a few times per chunk (galloping and binary searches over
//! candidate cut points, logarithmic in the pieces a chunk holds, not one call per
//! added sentence); calls measure about one or two windows of text, except that a
//! block too big for the window is measured whole a few times before it is cut.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod layout;
mod outline;
mod pack;
mod text;

pub use layout::{chunk_layout, row_body, row_title, Layout, LayoutBlock};

use outline::*;
use pack::*;
use text::*;

/// The smallest window [`ChunkOptions::max_tokens`] may be: room for `[CLS]`, `[SEP]`,
/// a short heading line and some text.
const MIN_MAX_TOKENS: usize = 16;

/// Measures text in model tokens, `[CLS]` and `[SEP]` included, without truncation.
///
/// The crate's embedder implements it with its tokenizer. Any
/// `Fn(&str) -> Result<usize>` closure is a counter too.
pub trait TokenCounter {
    /// Number of tokens `text` encodes to, special tokens included.
    fn count_tokens(&self, text: &str) -> Result<usize>;
}

impl<F> TokenCounter for F
where
    F: Fn(&str) -> Result<usize>,
{
    fn count_tokens(&self, text: &str) -> Result<usize> {
        self(text)
    }
}

/// How documents are cut into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChunkOptions {
    /// Most tokens a chunk's text may have, `[CLS]` and `[SEP]` included (default 256,
    /// the model's window). At least 16.
    pub max_tokens: usize,
    /// About how many tokens of the previous piece are repeated at the start of the
    /// next piece when a long section must be cut (default 32; 0 disables overlap).
    /// Must be less than `max_tokens / 2`.
    pub overlap_tokens: usize,
    /// Whether each chunk's text starts with its heading path line (default true).
    pub include_heading_path: bool,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        Self {
            max_tokens: 256,
            overlap_tokens: 32,
            include_heading_path: true,
        }
    }
}

impl ChunkOptions {
    /// Checks the options; [`chunk_document`] calls it first.
    ///
    /// Errors with [`Error::InvalidInput`] naming the field and its value when
    /// `max_tokens` is below 16 or `overlap_tokens` is not below `max_tokens / 2`.
    pub fn validate(&self) -> Result<()> {
        if self.max_tokens < MIN_MAX_TOKENS {
            return Err(Error::InvalidInput(format!(
                "chunk option max_tokens is {}, but it must be at least {MIN_MAX_TOKENS} \
                 to leave room for [CLS], [SEP], a heading and some text",
                self.max_tokens
            )));
        }
        let bound = self.max_tokens / 2;
        if self.overlap_tokens >= bound {
            return Err(Error::InvalidInput(format!(
                "chunk option overlap_tokens is {}, but it must be less than max_tokens / 2 \
                 ({bound} for max_tokens {}); use 0 to disable overlap",
                self.overlap_tokens, self.max_tokens
            )));
        }
        Ok(())
    }
}

/// One document to chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Document<'a> {
    /// The whole file: optional front matter, then plain text or Markdown.
    pub text: &'a str,
    /// The plan's id, stored with every chunk and used in chunk ids (e.g. `PPO_PLUS`).
    pub policy: &'a str,
    /// Where the document came from (e.g. a file name), stored with every chunk.
    pub source: &'a str,
}

/// One piece of a document, ready to embed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// `{policy}_chunk_{index:04}`, see [`default_id`].
    pub id: String,
    /// The text to embed and show: the heading path line (when
    /// [`ChunkOptions::include_heading_path`] is set and the section has one), a
    /// newline, and the body.
    pub text: String,
    /// The document's policy.
    pub policy: String,
    /// The document's source.
    pub source: String,
    /// Position of the chunk in its document, from 0.
    pub chunk_index: usize,
    /// The heading path joined with ` > `, e.g. `Prescription drugs > Copays by tier`;
    /// empty for text outside any heading.
    pub section: String,
    /// The page the chunk starts on (1-based), for documents with pages (PDFs, see
    /// [`chunk_layout`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
}

/// The id of a document's `index`-th chunk: `{policy}_chunk_{index:04}`, the key
/// layout of the S3 Vectors index (`PPO_PLUS_chunk_0007`).
pub fn default_id(policy: &str, index: usize) -> String {
    format!("{policy}_chunk_{index:04}")
}

/// Splits off a document's front matter: `---` on the first line, then `key: value`
/// lines, then a closing `---` (or `...`) line.
///
/// Returns the keys with their values (trimmed, one pair of matching quotes removed)
/// and the body after the closing line. Only flat `key: value` pairs are read:
/// indented lines, `- item` lines, blank lines and `#` comments inside the block are
/// skipped. A document without a well-formed block (no closing line, a line that is
/// not `key: value`, or only comments and list items, as when a document merely starts
/// with a `---` rule) is returned whole with an empty map; an empty block is removed. A leading byte-order mark is ignored; a repeated key keeps
/// its last value.
pub fn split_front_matter(text: &str) -> (BTreeMap<String, String>, &str) {
    let not_front_matter = (BTreeMap::new(), text);
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let mut offset = match lines.next() {
        Some(first) if first.trim_end() == "---" => first.len(),
        _ => return not_front_matter,
    };
    let mut map = BTreeMap::new();
    // Comments and nested values without a single key are more likely Markdown (a
    // heading or list between two rules) than metadata.
    let mut skipped = false;
    for line in lines {
        offset += line.len();
        let content = line.trim_end();
        if content == "---" || content == "..." {
            if map.is_empty() && skipped {
                return not_front_matter;
            }
            return (map, &text[offset..]);
        }
        if content.is_empty() {
            continue;
        }
        // Nested YAML (indented values, list items) is not part of the flat map.
        if content.starts_with([' ', '\t'])
            || content.starts_with('#')
            || content == "-"
            || content.starts_with("- ")
        {
            skipped = true;
            continue;
        }
        let Some((key, value)) = content.split_once(':') else {
            return not_front_matter;
        };
        let key = key.trim();
        if key.is_empty() {
            return not_front_matter;
        }
        map.insert(key.to_owned(), unquote(value.trim()).to_owned());
    }
    not_front_matter
}

/// Cuts a document into chunks, in document order (see the module docs for the rules).
///
/// Front matter is removed first (read it with [`split_front_matter`]; `policy` and
/// `source` come from `doc`, not from the front matter). An empty or whitespace-only
/// body gives no chunks. Every chunk's text satisfies
/// `counter.count_tokens(text)? <= opts.max_tokens`.
///
/// Errors: [`Error::InvalidInput`] for invalid options (see [`ChunkOptions::validate`])
/// or when the counter leaves no room for even one character after a heading line;
/// any error from the counter is returned as is.
pub fn chunk_document(
    doc: &Document<'_>,
    counter: &dyn TokenCounter,
    opts: &ChunkOptions,
) -> Result<Vec<Chunk>> {
    opts.validate()?;
    let (_, body) = split_front_matter(doc.text);
    // One line ending, so that blank-line detection and the chunk texts see only `\n`.
    let body: Cow<'_, str> = if body.contains('\r') {
        Cow::Owned(body.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(body)
    };
    let sections = parse_sections(&body);
    Ok(chunk_sections(&sections, doc, counter, opts)?
        .into_iter()
        .map(|(_, chunk)| chunk)
        .collect())
}

/// Packs each section into chunks (the rules in the module docs), numbering them in
/// document order; each chunk comes with the index of its section.
fn chunk_sections(
    sections: &[Section<'_>],
    doc: &Document<'_>,
    counter: &dyn TokenCounter,
    opts: &ChunkOptions,
) -> Result<Vec<(usize, Chunk)>> {
    let mut chunks = Vec::new();
    if sections.is_empty() {
        return Ok(chunks);
    }
    // What the counter adds for [CLS]/[SEP]; overlap budgets are in text tokens.
    let special = counter.count_tokens("")?;
    for (n, section) in sections.iter().enumerate() {
        let heading = if opts.include_heading_path && !section.path.is_empty() {
            heading_line(&section.path, counter, opts.max_tokens)?
        } else {
            String::new()
        };
        let mut packer = Packer {
            counter,
            max: opts.max_tokens,
            overlap: opts.overlap_tokens,
            special,
            heading,
            headers: Vec::new(),
        };
        let label = section.path.join(" > ");
        for body in packer.pack(&section.blocks)? {
            let chunk_index = chunks.len();
            chunks.push((
                n,
                Chunk {
                    id: default_id(doc.policy, chunk_index),
                    text: compose(&packer.heading, &body),
                    policy: doc.policy.to_owned(),
                    source: doc.source.to_owned(),
                    chunk_index,
                    section: label.clone(),
                    page: None,
                },
            ));
        }
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// The stand-in tokenizer: one token per whitespace-separated word, plus [CLS]/[SEP].
    pub(super) struct Words;

    impl TokenCounter for Words {
        fn count_tokens(&self, text: &str) -> Result<usize> {
            Ok(text.split_whitespace().count() + 2)
        }
    }

    /// Counts like [`Words`] and records how often it was asked.
    struct Counting(Cell<usize>);

    impl TokenCounter for Counting {
        fn count_tokens(&self, text: &str) -> Result<usize> {
            self.0.set(self.0.get() + 1);
            Words.count_tokens(text)
        }
    }

    fn opts(max_tokens: usize, overlap_tokens: usize) -> ChunkOptions {
        ChunkOptions {
            max_tokens,
            overlap_tokens,
            include_heading_path: true,
        }
    }

    fn chunk_with(text: &str, counter: &dyn TokenCounter, opts: ChunkOptions) -> Vec<Chunk> {
        let doc = Document {
            text,
            policy: "PPO_PLUS",
            source: "test.md",
        };
        match chunk_document(&doc, counter, &opts) {
            Ok(chunks) => chunks,
            Err(e) => panic!("chunking failed: {e}"),
        }
    }

    fn chunk(text: &str, max_tokens: usize, overlap_tokens: usize) -> Vec<Chunk> {
        chunk_with(text, &Words, opts(max_tokens, overlap_tokens))
    }

    fn tokens(text: &str) -> usize {
        text.split_whitespace().count() + 2
    }

    /// The chunk's text without its heading path line.
    fn body(c: &Chunk) -> &str {
        if c.section.is_empty() {
            &c.text
        } else {
            c.text.split_once('\n').map_or("", |(_, b)| b)
        }
    }

    fn assert_within(chunks: &[Chunk], max: usize) {
        for c in chunks {
            assert!(
                tokens(&c.text) <= max,
                "chunk over {max} tokens: {:?}",
                c.text
            );
            assert!(
                !body(c).trim().is_empty(),
                "heading-only chunk: {:?}",
                c.text
            );
        }
    }

    /// `n` numbered sentences of `words` words each.
    fn sentences(n: usize, words: usize) -> String {
        (0..n)
            .map(|i| {
                let mut s = format!("Sentence{i}");
                for w in 1..words {
                    s.push_str(&format!(" w{i}x{w}"));
                }
                s.push('.');
                s
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn headings_stay_with_their_paragraphs() {
        let text = "# Plan\n\nIntro text here.\n\n## Deductible\n\nYou pay $500 first.\n\n\
                    ## Empty heading\n\n## Copays\n\nOffice visits cost $25.\n";
        let chunks = chunk(text, 256, 32);
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Plan\nIntro text here.",
                "Deductible\nYou pay $500 first.",
                "Copays\nOffice visits cost $25.",
            ]
        );
        let sections: Vec<&str> = chunks.iter().map(|c| c.section.as_str()).collect();
        assert_eq!(sections, ["Plan", "Deductible", "Copays"]);
    }

    #[test]
    fn rules_are_dropped_and_code_is_cut_by_lines() {
        let code: Vec<String> = (0..12).map(|i| format!("  step {i} do this")).collect();
        let text = format!(
            "## A\n\nText.\n\n---\n\n* * *\n\n## B\n\n```text\n{}\n```\n",
            code.join("\n")
        );
        let chunks = chunk(&text, 24, 0);
        assert_within(&chunks, 24);
        assert_eq!(chunks[0].text, "A\nText.");
        assert!(chunks
            .iter()
            .all(|c| !c.text.contains("---") && !c.text.contains("* *")));
        for c in &chunks[1..] {
            assert_eq!(c.section, "B");
            assert!(
                body(c)
                    .lines()
                    .all(|l| l.starts_with("```") || l.trim_start().starts_with("step ")),
                "{:?}",
                c.text
            );
        }
    }

    #[test]
    fn paragraph_boundaries_come_before_sentence_cuts() {
        let big = sentences(6, 5);
        let text = format!("## S\n\nSmall first paragraph.\n\n{big}\n\nSmall last one.\n");
        let chunks = chunk(&text, 22, 0);
        assert_within(&chunks, 22);
        assert_eq!(chunks[0].text, "S\nSmall first paragraph.");
        assert!(
            chunks[1].text.starts_with("S\nSentence0 "),
            "{:?}",
            chunks[1].text
        );
        assert!(chunks.last().is_some_and(|c| c
            .text
            .ends_with("Sentence5 w5x1 w5x2 w5x3 w5x4.\n\nSmall last one.")));
    }

    #[test]
    fn lead_in_after_a_table_is_cut_at_the_right_place() {
        // The lead-in is indented and has multi-byte characters: cutting it from its
        // item must use the trimmed text's offsets.
        let text = "| a | b |\n|---|---|\n| 1 | 2 |\n  Üñí lead-in with many more wörds here:\n\
                    - item one is here and there too\n- item two is here and there too\n";
        let chunks = chunk(text, 16, 0);
        assert_within(&chunks, 16);
        let bodies: Vec<&str> = chunks.iter().map(body).collect();
        assert_eq!(
            bodies,
            [
                "| a | b |\n|---|---|\n| 1 | 2 |",
                "Üñí lead-in with many more wörds here:",
                "- item one is here and there too",
                "- item two is here and there too",
            ]
        );
    }

    /// A small deterministic generator (xorshift) for the randomised test.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// A random Markdown-ish document: headings, paragraphs, lists, tables, rules,
    /// long and multi-byte words, CRLF line ends.
    fn random_document(rng: &mut Rng) -> String {
        const WORDS: [&str; 12] = [
            "copay",
            "Deductible.",
            "€25",
            "in-network;",
            "U.S.",
            "naïve",
            "$1,000",
            "(OON)",
            "e.g.",
            "coinsurance!",
            "Tier",
            "x",
        ];
        let mut out = String::new();
        for _ in 0..rng.below(12) + 1 {
            // `least` words plus up to `spread - 1` more.
            let words = |rng: &mut Rng, least: usize, spread: usize| -> String {
                let n = least + rng.below(spread);
                (0..n)
                    .map(|_| match rng.below(40) {
                        0 => "a".repeat(rng.below(300) + 1),
                        _ => WORDS[rng.below(WORDS.len())].to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            match rng.below(7) {
                0 => out.push_str(&format!(
                    "{} {}\n",
                    "#".repeat(rng.below(4) + 1),
                    words(rng, 0, 4)
                )),
                1 => {
                    for _ in 0..rng.below(6) + 1 {
                        out.push_str(&format!("- {}\n", words(rng, 1, 15)));
                    }
                }
                2 => {
                    out.push_str("| A | B |\n|---|:--:|\n");
                    for _ in 0..rng.below(8) {
                        out.push_str(&format!(
                            "| {} | {} |\n",
                            words(rng, 1, 5),
                            words(rng, 2, 1)
                        ));
                    }
                }
                3 => out.push_str("---\n"),
                4 => out.push_str("\r\n"),
                _ => out.push_str(&format!("{}\n", words(rng, 1, 120))),
            }
            if rng.below(2) == 0 {
                out.push('\n');
            }
        }
        out
    }

    #[test]
    fn random_documents_stay_within_limits_and_keep_their_words() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        // Unknown-word style counting, so long words must be cut by characters.
        let pieces = |text: &str| -> Result<usize> {
            Ok(text
                .split_whitespace()
                .map(|w| w.chars().count().div_ceil(12))
                .sum::<usize>()
                + 2)
        };
        for round in 0..400 {
            let text = random_document(&mut rng);
            let max = 16 + rng.below(60);
            let overlap = if round % 2 == 0 {
                0
            } else {
                rng.below(max / 2)
            };
            let o = ChunkOptions {
                max_tokens: max,
                overlap_tokens: overlap,
                include_heading_path: round % 3 != 0,
            };
            for counter in [&Words as &dyn TokenCounter, &pieces] {
                let chunks = chunk_with(&text, counter, o);
                for c in &chunks {
                    let n = counter.count_tokens(&c.text).unwrap_or(usize::MAX);
                    assert!(n <= max, "{n} > {max} in {:?} from {text:?}", c.text);
                    let b = if o.include_heading_path {
                        body(c)
                    } else {
                        &c.text
                    };
                    assert!(!b.trim().is_empty(), "empty body from {text:?}");
                }
                // Without overlap or tables every word of the text is in exactly one chunk.
                if overlap == 0 && !text.contains('|') {
                    let expected: String = text
                        .lines()
                        .filter(|l| !l.starts_with('#') && l.trim() != "---")
                        .flat_map(str::split_whitespace)
                        .collect();
                    let got: String = chunks
                        .iter()
                        .map(|c| {
                            if o.include_heading_path {
                                body(c)
                            } else {
                                c.text.as_str()
                            }
                        })
                        .flat_map(str::split_whitespace)
                        .collect();
                    assert_eq!(got, expected, "words lost or repeated from {text:?}");
                }
            }
        }
    }

    #[test]
    fn heading_only_documents_give_no_chunks() {
        assert!(chunk("# Title\n\n## A\n\n### B\n", 256, 32).is_empty());
    }

    #[test]
    fn section_path_nests_headings_and_drops_a_single_title() {
        let text = "# Northwind PPO Plus\n\n## Prescription drugs\n\nUses the formulary.\n\n\
                    ### Copays by tier\n\nTier 1 costs $10.\n\n## Vision\n\nOne exam a year.\n";
        let chunks = chunk(text, 256, 32);
        let sections: Vec<&str> = chunks.iter().map(|c| c.section.as_str()).collect();
        assert_eq!(
            sections,
            [
                "Prescription drugs",
                "Prescription drugs > Copays by tier",
                "Vision"
            ]
        );
        assert_eq!(
            chunks[1].text,
            "Prescription drugs — Copays by tier\nTier 1 costs $10."
        );

        // Two `#` headings are both real levels.
        let text = "# Medical\n\n## Copays\n\nA.\n\n# Dental\n\n## Copays\n\nB.\n";
        let sections: Vec<String> = chunk(text, 256, 32)
            .into_iter()
            .map(|c| c.section)
            .collect();
        assert_eq!(sections, ["Medical > Copays", "Dental > Copays"]);

        // Closing hashes go; a heading inside a code fence is not a heading.
        let text = "## Rules ##\n\n```\n# not a heading\n```\n\nAfter the code.\n";
        let chunks = chunk(text, 256, 32);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].section, "Rules");
        assert_eq!(
            chunks[0].text,
            "Rules\n```\n# not a heading\n```\n\nAfter the code."
        );
    }

    #[test]
    fn heading_path_line_is_optional() {
        let text = "## Deductible\n\nYou pay $500 first.\n";
        let o = ChunkOptions {
            include_heading_path: false,
            ..ChunkOptions::default()
        };
        let chunks = chunk_with(text, &Words, o);
        assert_eq!(chunks[0].text, "You pay $500 first.");
        assert_eq!(chunks[0].section, "Deductible");
    }

    #[test]
    fn long_heading_line_is_shortened_but_section_kept() {
        let heading = (0..40)
            .map(|i| format!("h{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let text = format!("## {heading}\n\n{}", sentences(10, 5));
        let chunks = chunk(&text, 32, 0);
        assert_within(&chunks, 32);
        for c in &chunks {
            assert_eq!(c.section, heading);
            let line = c.text.lines().next().unwrap_or_default();
            assert!(line.ends_with('…') && tokens(line) <= 16, "{line:?}");
        }
    }

    #[test]
    fn long_paragraph_is_cut_into_whole_sentences() {
        let paragraph = sentences(40, 9);
        let text = format!("## Claims\n\n{paragraph}\n");
        let chunks = chunk(&text, 40, 0);
        assert!(chunks.len() > 5);
        assert_within(&chunks, 40);
        for c in &chunks {
            assert!(c.text.starts_with("Claims\nSentence"), "{:?}", c.text);
            assert!(c.text.ends_with('.'), "{:?}", c.text);
        }
        // Nothing lost, nothing repeated, order kept.
        let joined: Vec<&str> = chunks.iter().map(body).collect();
        assert_eq!(joined.join(" "), paragraph);
    }

    #[test]
    fn sentence_breaks_skip_abbreviations_and_numbers() {
        let text =
            "See the U.S. Department of Labor, e.g. Form 5. Pay $1.50 now. Next one!\n1. Item";
        assert_eq!(
            split_at(text, &sentence_breaks(text)),
            [
                "See the U.S. Department of Labor, e.g. Form 5.",
                "Pay $1.50 now.",
                "Next one!",
                "1. Item"
            ]
        );
        let list = "1. First step. Then more.";
        assert_eq!(
            split_at(list, &sentence_breaks(list)),
            ["1. First step.", "Then more."]
        );
    }

    #[test]
    fn bullet_lists_are_cut_between_items_and_keep_their_lead_in() {
        let items: Vec<String> = (0..12)
            .map(|i| format!("- Item {i}: a $10 copay applies here"))
            .collect();
        let text = format!("## Services\n\nWhat counts:\n{}\n", items.join("\n"));
        let chunks = chunk(&text, 30, 0);
        assert!(chunks.len() >= 3);
        assert_within(&chunks, 30);
        assert!(
            chunks[0]
                .text
                .starts_with("Services\nWhat counts:\n- Item 0:"),
            "{:?}",
            chunks[0].text
        );
        let mut seen = Vec::new();
        for c in &chunks {
            for line in body(c).lines().filter(|l| *l != "What counts:") {
                assert!(line.starts_with("- Item "), "list line cut: {line:?}");
                seen.push(line.to_owned());
            }
        }
        assert_eq!(seen, items);
    }

    #[test]
    fn a_cut_table_repeats_its_header() {
        let header = "| Tier | Retail | Mail order |\n|---|---|---|";
        let rows: Vec<String> = (0..10)
            .map(|i| format!("| Tier {i} | ${i}0 copay | ${i}5 copay |"))
            .collect();
        let text = format!(
            "## Copays by tier\n\nDrug costs:\n\n{header}\n{}\n\nAfter the table.\n",
            rows.join("\n")
        );
        let chunks = chunk(&text, 60, 8);
        assert!(chunks.len() >= 3, "{chunks:#?}");
        assert_within(&chunks, 60);
        let mut seen = Vec::new();
        for c in &chunks {
            let lines: Vec<&str> = body(c).lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if line.starts_with("| Tier ") && !line.starts_with("| Tier |") {
                    // Every row sits under a header + separator (possibly after other rows).
                    let above = lines[..i]
                        .iter()
                        .rposition(|l| !l.starts_with("| Tier ") || l.starts_with("| Tier |"));
                    let at = above.unwrap_or(usize::MAX);
                    assert!(
                        at >= 1
                            && lines[at] == "|---|---|---|"
                            && lines[at - 1] == "| Tier | Retail | Mail order |",
                        "{:?}",
                        c.text
                    );
                    if !seen.iter().any(|s: &String| s == line) {
                        seen.push(line.to_string());
                    }
                }
            }
        }
        assert_eq!(seen, rows);
    }

    #[test]
    fn empty_and_whitespace_documents_give_no_chunks() {
        assert!(chunk("", 256, 32).is_empty());
        assert!(chunk("  \n\t\n\r\n  ", 256, 32).is_empty());
        assert!(chunk("---\npolicy: X\n---\n\n  \n", 256, 32).is_empty());
    }

    #[test]
    fn plain_text_packs_paragraphs() {
        let text = "First paragraph is short.\n\nSecond one too.\r\n\r\nThird paragraph here.\n";
        let chunks = chunk(text, 256, 32);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].section, "");
        assert_eq!(
            chunks[0].text,
            "First paragraph is short.\n\nSecond one too.\n\nThird paragraph here."
        );

        // Smaller window: paragraphs are packed, never cut while whole ones fit.
        let paragraphs: Vec<String> = (0..10)
            .map(|i| format!("Paragraph {i} has five words."))
            .collect();
        let chunks = chunk(&paragraphs.join("\n\n"), 20, 0);
        assert_within(&chunks, 20);
        assert!(chunks.iter().all(|c| c.section.is_empty()));
        let bodies: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(bodies.join("\n\n"), paragraphs.join("\n\n"));
        let full = &chunks[..chunks.len() - 1];
        assert!(
            full.iter().all(|c| tokens(&c.text) > 20 - 6),
            "packed up to the limit"
        );
    }

    #[test]
    fn front_matter_is_parsed_and_removed() {
        let text = "---\npolicy: PPO_PLUS\nplan_name: \"Northwind: PPO\"\n# comment\ntags:\n  - a\nsource: x.md\n---\n\n# Title\n\nBody.\n";
        let (meta, body) = split_front_matter(text);
        assert_eq!(meta.get("policy").map(String::as_str), Some("PPO_PLUS"));
        assert_eq!(
            meta.get("plan_name").map(String::as_str),
            Some("Northwind: PPO")
        );
        assert_eq!(meta.get("source").map(String::as_str), Some("x.md"));
        assert_eq!(meta.get("tags").map(String::as_str), Some(""));
        assert_eq!(meta.len(), 4);
        assert_eq!(body, "\n# Title\n\nBody.\n");
        let chunks = chunk(text, 256, 32);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].text, "Title\nBody.");

        // CRLF and a byte-order mark.
        let (meta, body) = split_front_matter("\u{feff}---\r\npolicy: 'HMO'\r\n---\r\nText");
        assert_eq!(meta.get("policy").map(String::as_str), Some("HMO"));
        assert_eq!(body, "Text");

        // Not front matter: no closing line, a leading rule, text that is not key: value.
        for text in [
            "---\n# Heading between rules\n- item\n---\nText",
            "---\npolicy: X\nno end",
            "Text\n---\na: b\n---\n",
            "---\nJust a rule above prose\n---\n",
        ] {
            let (meta, body) = split_front_matter(text);
            assert!(meta.is_empty(), "{text:?}");
            assert_eq!(body, text);
        }
        // An empty block is front matter all the same.
        assert_eq!(
            split_front_matter("---\n---\nText"),
            (BTreeMap::new(), "Text")
        );
    }

    #[test]
    fn overlap_repeats_the_previous_tail_within_bounds() {
        let paragraph = sentences(30, 6);
        let text = format!("## Claims\n\n{paragraph}\n");
        let chunks = chunk(&text, 40, 12);
        assert!(chunks.len() > 3);
        assert_within(&chunks, 40);
        for pair in chunks.windows(2) {
            let (prev, next) = (body(&pair[0]), body(&pair[1]));
            // The longest tail of `prev` that `next` starts with.
            let prev_words: Vec<&str> = prev.split_whitespace().collect();
            let next_words: Vec<&str> = next.split_whitespace().collect();
            let shared = (1..prev_words.len())
                .rev()
                .find(|&n| next_words.starts_with(&prev_words[prev_words.len() - n..]))
                .unwrap_or(0);
            assert!(shared > 0, "no overlap between {prev:?} and {next:?}");
            assert!(shared <= 12, "overlap of {shared} words is over 12");
            assert!(shared >= 6, "overlap of {shared} words is far under 12");
            assert!(
                next.starts_with("Sentence"),
                "whole sentences when they come close: {next:?}"
            );
        }
        // Overlap 0 repeats nothing.
        let plain: Vec<&str> = Vec::new();
        let chunks = chunk(&text, 40, 0);
        let words: usize = chunks
            .iter()
            .map(|c| body(c).split_whitespace().count())
            .sum();
        assert_eq!(words, paragraph.split_whitespace().count() + plain.len());
    }

    #[test]
    fn overlap_falls_back_to_words_inside_a_long_sentence() {
        let words: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        let text = format!("{}.", words.join(" "));
        let chunks = chunk(&text, 30, 10);
        assert_within(&chunks, 30);
        for pair in chunks.windows(2) {
            let prev: Vec<&str> = pair[0].text.split_whitespace().collect();
            let next: Vec<&str> = pair[1].text.split_whitespace().collect();
            assert_eq!(next[..10], prev[prev.len() - 10..], "10 words of overlap");
        }
    }

    #[test]
    fn ids_and_indexes_count_from_zero() {
        assert_eq!(default_id("PPO_PLUS", 7), "PPO_PLUS_chunk_0007");
        assert_eq!(default_id("HMO", 12345), "HMO_chunk_12345");
        let text = format!("## A\n\n{}\n\n## B\n\nShort.\n", sentences(20, 8));
        let chunks = chunk(&text, 30, 4);
        assert!(chunks.len() > 3);
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.chunk_index, i);
            assert_eq!(c.id, default_id("PPO_PLUS", i));
            assert_eq!(c.policy, "PPO_PLUS");
            assert_eq!(c.source, "test.md");
        }
        assert_eq!(chunks.last().map(|c| c.text.as_str()), Some("B\nShort."));
    }

    #[test]
    fn a_word_longer_than_the_window_is_cut_by_characters() {
        // Like WordPiece on an unknown word: one token per 8 characters.
        let pieces = |text: &str| -> Result<usize> {
            Ok(text
                .split_whitespace()
                .map(|w| w.chars().count().div_ceil(8))
                .sum::<usize>()
                + 2)
        };
        let word: String = (0..500)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .chain("é€".chars())
            .collect();
        let text = format!("## Odd\n\nBefore {word} after.\n");
        let chunks = chunk_with(&text, &pieces, opts(16, 0));
        assert!(chunks.len() > 3);
        for c in &chunks {
            assert!(pieces(&c.text).is_ok_and(|n| n <= 16), "{:?}", c.text);
        }
        let joined: String = chunks.iter().map(body).collect::<Vec<_>>().join("");
        assert_eq!(joined.replace(' ', ""), format!("Before{word}after."));
        assert!(
            chunks.iter().any(|c| body(c).chars().count() > 50),
            "pieces are as long as fits"
        );

        // With the word counter the same word is one token and stays whole.
        let chunks = chunk(&text, 16, 0);
        assert_eq!(chunks.len(), 1);
    }

    #[test]
    fn invalid_options_are_rejected() {
        let doc = Document {
            text: "Some text.",
            policy: "P",
            source: "s",
        };
        let message = |o: ChunkOptions| match chunk_document(&doc, &Words, &o) {
            Err(Error::InvalidInput(m)) => m,
            other => panic!("expected InvalidInput for {o:?}, got {other:?}"),
        };
        let m = message(opts(15, 0));
        assert!(m.contains("max_tokens") && m.contains("15"), "{m}");
        let m = message(opts(256, 128));
        assert!(m.contains("overlap_tokens") && m.contains("128"), "{m}");
        let m = message(opts(16, 8));
        assert!(m.contains("overlap_tokens") && m.contains('8'), "{m}");
        assert!(opts(16, 7).validate().is_ok());
        assert!(opts(256, 127).validate().is_ok());
        assert!(ChunkOptions::default().validate().is_ok());
        assert_eq!(ChunkOptions::default(), opts(256, 32));
    }

    #[test]
    fn counter_errors_are_returned() {
        let failing = |_: &str| -> Result<usize> { Err(Error::Tokenizer("boom".into())) };
        let doc = Document {
            text: "Some text.",
            policy: "P",
            source: "s",
        };
        assert!(
            matches!(chunk_document(&doc, &failing, &ChunkOptions::default()), Err(Error::Tokenizer(m)) if m == "boom")
        );
    }

    #[test]
    fn chunking_is_deterministic() {
        let text = include_str!("../../../www/data/PPO_PLUS.md");
        let first = chunk(text, 48, 8);
        for _ in 0..3 {
            assert_eq!(chunk(text, 48, 8), first);
        }
    }

    #[test]
    fn non_additive_counts_are_checked_on_the_joined_text() {
        // Every line break costs a token and every `$` two: joining pieces adds tokens.
        let odd = |text: &str| -> Result<usize> {
            Ok(text.split_whitespace().count()
                + 2
                + text.matches('\n').count()
                + 2 * text.matches('$').count())
        };
        let text = include_str!("../../../www/data/PPO_PLUS.md");
        for (max, overlap) in [(16, 0), (24, 11), (64, 16), (256, 32)] {
            let chunks = chunk_with(text, &odd, opts(max, overlap));
            for c in &chunks {
                assert!(
                    odd(&c.text).is_ok_and(|n| n <= max),
                    "over {max}: {:?}",
                    c.text
                );
            }
        }
    }

    #[test]
    fn counter_calls_grow_linearly() {
        let paragraphs: Vec<String> = (0..200).map(|_| sentences(8, 7)).collect();
        let text = format!("## Long\n\n{}", paragraphs.join("\n\n"));
        let counting = Counting(Cell::new(0));
        let chunks = chunk_with(&text, &counting, opts(64, 8));
        let calls = counting.0.get();
        assert!(chunks.len() > 100);
        assert!(
            calls <= 25 * chunks.len(),
            "{calls} counter calls for {} chunks",
            chunks.len()
        );
    }

    #[test]
    fn sample_ppo_plus_document() {
        let text = include_str!("../../../www/data/PPO_PLUS.md");
        let (meta, _) = split_front_matter(text);
        let policy = meta.get("policy").map(String::as_str).unwrap_or_default();
        assert_eq!(policy, "PPO_PLUS");
        for o in [ChunkOptions::default(), opts(64, 16), opts(16, 4)] {
            let chunks = chunk_with(text, &Words, o);
            assert!(!chunks.is_empty());
            assert_within(&chunks, o.max_tokens);
            for c in &chunks {
                assert!(!c.text.contains("policy: PPO_PLUS"), "front matter leaked");
                assert!(
                    !body(c).trim_start().starts_with('#'),
                    "heading in body: {:?}",
                    c.text
                );
                let title = "Northwind PPO Plus — Summary of Benefits 2026";
                assert!(
                    c.section == title || !c.section.contains(title),
                    "title in path: {}",
                    c.section
                );
            }
            let preventive: Vec<&Chunk> = chunks
                .iter()
                .filter(|c| c.section == "Preventive care")
                .collect();
            assert!(!preventive.is_empty());
            assert!(preventive
                .iter()
                .all(|c| c.text.starts_with("Preventive care\n")));
            assert!(chunks
                .iter()
                .any(|c| c.section == "Prescription drugs > Copays by tier"));
            assert!(
                chunks[0].section.starts_with("Northwind PPO Plus"),
                "the intro's path is the title"
            );
        }
        // The long claims paragraph (> 350 words) does not fit the default window.
        let chunks = chunk_with(text, &Words, ChunkOptions::default());
        let claims = chunks
            .iter()
            .filter(|c| c.section == "Claims and appeals")
            .count();
        assert!(claims >= 2, "claims paragraph in {claims} chunk(s)");
        // Small windows cut the drug table and repeat its header.
        let chunks = chunk_with(text, &Words, opts(40, 8));
        let tables = chunks
            .iter()
            .filter(|c| c.section == "Prescription drugs > Copays by tier")
            .filter(|c| c.text.contains("| Tier | Retail"))
            .count();
        assert!(tables >= 2, "table header in {tables} chunk(s)");
    }

    #[test]
    fn closures_and_types_are_both_counters() {
        struct Fixed;
        impl TokenCounter for Fixed {
            fn count_tokens(&self, _: &str) -> Result<usize> {
                Ok(3)
            }
        }
        let closure = |t: &str| -> Result<usize> { Words.count_tokens(t) };
        assert_eq!(closure.count_tokens("a b").ok(), Some(4));
        assert_eq!(Fixed.count_tokens("a b").ok(), Some(3));
    }
}
