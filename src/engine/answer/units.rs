//! What a passage says, cut into the units an answer is chosen among: lines,
//! sentences and table cells ([`units`]), with the row label, column header or section
//! subject each is read with.

use crate::engine::chunk::row_body;
use crate::engine::keyword::tokenize;

/// The units of a passage: byte ranges of its lines and sentences, without the
/// section line it starts with when it has more lines, and without bullets or
/// surrounding space. Their order is the order of the unit vectors a bundle stores for
/// the passage.
pub fn units(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut lines: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        lines.push((at, line));
        at += line.len();
    }
    let skip = usize::from(lines.len() > 1);
    for &(offset, line) in &lines[skip..] {
        for (s, e) in sentences(line) {
            let piece = &line[s..e];
            let lead = piece.len()
                - piece
                    .trim_start_matches(|c: char| {
                        c.is_whitespace() || matches!(c, '-' | '*' | '•' | '#' | '>')
                    })
                    .len();
            let piece = piece[lead..].trim_end();
            if !piece.is_empty() {
                let start = offset + s + lead;
                out.push((start, start + piece.len()));
            }
        }
    }
    out
}

/// The text of each of `text`'s [`units`], in order.
pub fn unit_texts(text: &str) -> Vec<&str> {
    units(text).into_iter().map(|(s, e)| &text[s..e]).collect()
}

/// The label line of a table row's passage ([`row_body`]), when the unit starting at
/// `start` is a later cell of the row.
pub(crate) fn row_label(text: &str, start: usize) -> Option<&str> {
    let (cells_at, label) = row_cells(text)?;
    (start >= cells_at).then_some(label)
}

/// Where a table row's passage's cells start (after its label line), and that label
/// line; `None` when the passage is not a table row.
pub(super) fn row_cells(text: &str) -> Option<(usize, &str)> {
    let (body_at, first) = row_body(text)?;
    Some((body_at + first.len(), first.trim()))
}

/// The header line of the Markdown table whose body row holds byte `start` of `text`
/// (`| Tier | Retail (up to 30-day supply) | Mail order (up to 90-day supply) |` for the
/// `| Tier 1 — generic | $10 copay | $20 copay |` row): a table row's cells mean what
/// its column headers say, as an SBC row's `Header: value` lines do. `None` outside a
/// table, for the header and separator lines themselves, and for a table without a
/// separator under its first line.
pub(super) fn table_header(text: &str, start: usize) -> Option<&str> {
    let is_table = |line: &str| line.trim_start().starts_with('|');
    let is_separator = |line: &str| {
        is_table(line)
            && line.contains('-')
            && line
                .trim()
                .chars()
                .all(|c| matches!(c, '|' | '-' | ':' | ' '))
    };
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    if !is_table(&text[line_start..line_end]) {
        return None;
    }
    // The table's lines up to this one, last first.
    let above: Vec<&str> = text[..line_start]
        .lines()
        .rev()
        .take_while(|l| is_table(l))
        .collect();
    let (header, separator) = match above.as_slice() {
        [.., separator, header] => (*header, *separator),
        _ => return None,
    };
    is_separator(separator).then_some(header)
}

/// The words of a passage's section subject: the last heading of its section line
/// ("Preventive care" of "Benefits — Preventive care"), the line a multi-line passage
/// starts with; none for a one-line passage.
pub(super) fn section_subject(text: &str) -> Vec<String> {
    text.split_once('\n')
        .and_then(|(section, _)| section.rsplit(" — ").next())
        .map(tokenize)
        .unwrap_or_default()
}

/// The openings of a worked illustration ("Example: an OON specialist charges $1,000",
/// "For example, if an out-of-network hospital charges $1,500"), in lower case.
const ILLUSTRATION_OPENINGS: &[&str] = &["example:", "for example,", "for instance,"];

/// Whether the unit starting at byte `start` of `text` illustrates with made-up
/// figures rather than states the plan's: it opens with an illustration's opening, or
/// its line (a paragraph, a list item) does. An example's "$1,500" is a sample bill's,
/// not what the member pays.
pub(super) fn illustrates(text: &str, start: usize) -> bool {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let opens = |at: usize| {
        let piece = text[at..]
            .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '-' | '*' | '•'));
        ILLUSTRATION_OPENINGS.iter().any(|o| {
            piece
                .get(..o.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(o))
        })
    };
    opens(start) || opens(line_start)
}

/// Whether `text` states any of `figures` (tokens, as [`tokenize`] reads "$1,500").
pub(super) fn states_any(text: &str, figures: &[String]) -> bool {
    !figures.is_empty() && {
        let tokens = tokenize(text);
        figures.iter().any(|f| tokens.contains(f))
    }
}

/// Sentence ranges of a line: cut after `.`, `!` or `?` followed by a space and a
/// capital letter, digit or `$` (so "e.g. the" and "$12.50" stay whole).
pub(crate) fn sentences(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for w in chars.windows(3) {
        let [(_, a), (_, b), (k, c)] = [w[0], w[1], w[2]];
        if matches!(a, '.' | '!' | '?')
            && b == ' '
            && (c.is_uppercase() || c.is_ascii_digit() || c == '$')
        {
            out.push((start, k));
            start = k;
        }
    }
    out.push((start, line.len()));
    out
}
