//! Where running text and blocks may be cut: sentences (with abbreviations), lines,
//! clauses, words, list items and table rows.

use super::*;

/// The first `n` characters of `text` (all of it when shorter).
pub(super) fn char_prefix(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// The parts of running text at the coarsest level from `from` on that cuts it in
/// two or more; `None` for a single word.
pub(super) fn text_parts(atom: Atom<'_>, from: Level) -> Option<Vec<Atom<'_>>> {
    let text = atom.text;
    for level in Level::ALL.into_iter().filter(|&l| l >= from) {
        let (parts, sep): (Vec<&str>, &'static str) = match level {
            Level::Sentences => (split_at(text, &sentence_breaks(text)), " "),
            Level::Lines => (
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect(),
                "\n",
            ),
            Level::Clauses => (split_at(text, &clause_breaks(text)), " "),
            Level::Words => (text.split_whitespace().collect(), " "),
        };
        if parts.len() >= 2 {
            return Some(
                parts
                    .into_iter()
                    .enumerate()
                    .map(|(i, part)| Atom {
                        text: part,
                        sep: if i == 0 { atom.sep } else { sep },
                        kind: Kind::Text(level.finer()),
                        table: atom.table,
                    })
                    .collect(),
            );
        }
    }
    None
}

/// `text` cut at the given byte offsets, each part trimmed, empty parts dropped.
pub(super) fn split_at<'t>(text: &'t str, breaks: &[usize]) -> Vec<&'t str> {
    let mut parts = Vec::with_capacity(breaks.len() + 1);
    let mut start = 0;
    for &b in breaks.iter().chain(std::iter::once(&text.len())) {
        let part = text[start..b].trim();
        if !part.is_empty() {
            parts.push(part);
        }
        start = b;
    }
    parts
}

/// Byte offsets where a new sentence starts (never 0).
///
/// A sentence ends at `.`, `!` or `?` (plus closing quotes, brackets or emphasis)
/// followed by whitespace and a capital, digit, `$`, opening quote or bracket. Dotted
/// abbreviations (`e.g.`, `U.S.`), a few titles (`Dr.`) and list numbers (`1.` at the
/// start of a line) do not end sentences.
pub(super) fn sentence_breaks(text: &str) -> Vec<usize> {
    let mut breaks = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if !matches!(d, '"' | '\'' | ')' | ']' | '”' | '’' | '*' | '_') {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        let rest = &text[end..];
        let gap = rest.len() - rest.trim_start().len();
        let next = rest[gap..].chars().next();
        let starts_sentence = next.is_some_and(|n| {
            n.is_uppercase()
                || n.is_ascii_digit()
                || matches!(n, '"' | '\'' | '“' | '‘' | '(' | '[' | '$' | '*' | '_')
        });
        if gap == 0 || !starts_sentence || (c == '.' && is_abbreviation(&text[..=i])) {
            continue;
        }
        breaks.push(end + gap);
    }
    breaks
}

/// Whether the word ending `before` (which ends with `.`) is an abbreviation or a
/// list number rather than the end of a sentence.
pub(super) fn is_abbreviation(before: &str) -> bool {
    let line = before.rsplit('\n').next().unwrap_or(before);
    let word = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or(before)
        .trim_start_matches(['(', '[', '"', '\'', '“', '‘']);
    // `1.` opening a line is a list number.
    if line.trim_start() == word
        && word.len() > 1
        && word[..word.len() - 1].bytes().all(|b| b.is_ascii_digit())
    {
        return true;
    }
    // Dotted letters: `e.g.`, `i.e.`, `U.S.`, `a.m.`.
    let dotted = word.len() >= 4
        && word.chars().enumerate().all(|(i, ch)| {
            if i % 2 == 1 {
                ch == '.'
            } else {
                ch.is_alphabetic()
            }
        });
    if dotted {
        return true;
    }
    const TITLES: [&str; 10] = [
        "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "jr.", "sr.", "vs.", "approx.",
    ];
    TITLES.contains(&word.to_lowercase().as_str())
}

/// Byte offsets after each `;` that is followed by whitespace.
pub(super) fn clause_breaks(text: &str) -> Vec<usize> {
    text.match_indices(';')
        .map(|(i, _)| i + 1)
        .filter(|&i| text[i..].starts_with(char::is_whitespace))
        .collect()
}

/// Byte offsets where each whitespace-separated word starts.
pub(super) fn word_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut in_word = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            in_word = false;
        } else if !in_word {
            starts.push(i);
            in_word = true;
        }
    }
    starts
}

/// Cuts a block into paragraphs, list items (with their continuation lines) and
/// tables (a `|` line followed by a `---|---` separator line, then `|` rows).
pub(super) fn segments(text: &str) -> Vec<Seg> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end();
        lines.push((offset, offset + content.len(), content));
        offset += line.len();
    }
    let starts_table = |i: usize| {
        lines[i].2.contains('|')
            && lines
                .get(i + 1)
                .is_some_and(|&(_, _, next)| is_table_separator(next))
    };

    let mut segs = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i].0;
        if starts_table(i) {
            let header = (start, lines[i + 1].1);
            i += 2;
            let mut rows = Vec::new();
            while i < lines.len() && lines[i].2.contains('|') {
                rows.push((lines[i].0, lines[i].1));
                i += 1;
            }
            segs.push(Seg::Table { header, rows });
            continue;
        }
        let item = is_list_item(lines[i].2);
        i += 1;
        // Continuation lines (indented or not) belong to the item or paragraph until the
        // next item or table.
        while i < lines.len() && !is_list_item(lines[i].2) && !starts_table(i) {
            i += 1;
        }
        let end = lines[i - 1].1;
        segs.push(if item {
            Seg::Item(start, end)
        } else {
            Seg::Prose(start, end)
        });
    }
    segs
}

/// `- item`, `* item`, `+ item`, `1. item` or `1) item`, at any indentation.
pub(super) fn is_list_item(line: &str) -> bool {
    let rest = line.trim_start();
    if rest.starts_with("- ") || rest.starts_with("* ") || rest.starts_with("+ ") {
        return true;
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (1..=9).contains(&digits)
        && (rest[digits..].starts_with(". ") || rest[digits..].starts_with(") "))
}

/// A table's separator line: cells of dashes with optional alignment colons.
pub(super) fn is_table_separator(line: &str) -> bool {
    let cells = line.trim().trim_matches('|');
    line.contains('|')
        && cells.split('|').all(|cell| {
            let cell = cell.trim().trim_start_matches(':').trim_end_matches(':');
            !cell.is_empty() && cell.bytes().all(|b| b == b'-')
        })
}
