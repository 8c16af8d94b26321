//! From pages of ink to a [`Layout`]: lines, repeated page headers and footers dropped,
//! headings told by size, paragraphs, and ruled tables as rows that carry their headers
//! (across page breaks too).

use std::collections::{HashMap, HashSet};

use super::columns;
use super::grid::{self, Grid};
use super::ink::{Glyph, PageInk};
use super::stream;
use crate::chunk::{Layout, LayoutBlock};

/// A line of text outside tables.
#[derive(Debug, Clone)]
struct Line {
    /// Baseline.
    y: f64,
    /// Where it comes in the page's reading order (higher first): the baseline, except
    /// in a block of side-by-side columns ([`columns`]), which is read column by column.
    key: f64,
    /// Largest glyph size on the line.
    size: f64,
    text: String,
}

/// Share of the page height at the top and at the bottom where running headers and
/// footers live.
const MARGIN: f64 = 0.1;
/// A line this much larger than the body text is a heading (never part of a table or a
/// list in columns).
pub(super) const HEADING_RATIO: f64 = 1.18;
/// Longest heading, in characters; longer large text is a paragraph (a banner, a quote).
const MAX_HEADING_CHARS: usize = 150;
/// Most words in a heading.
const MAX_HEADING_WORDS: usize = 16;
/// Column boundaries within this distance continue a table from the previous page.
const SAME_COLUMNS: f64 = 3.0;
/// The same for tables without rules, whose boundaries are gutters' middles and
/// compared inside the table only (its outer edges follow the text).
const SAME_TEXT_COLUMNS: f64 = 15.0;

/// Builds the document's layout from its pages (in page order).
pub fn layout(pages: &[PageInk]) -> Layout {
    let body = body_size(pages);
    // Each page's tables found and lines built once, for all three passes below.
    let read: Vec<(Vec<Line>, Vec<Table<'_>>)> =
        pages.iter().map(|page| split_page(page, body)).collect();
    let margins = repeated_margin_lines(pages, &read);
    let heading_sizes = heading_sizes(&read, body);
    let mut out = Assembler::default();
    for (page, (lines, tables)) in pages.iter().zip(read) {
        out.page(page, lines, tables, body, &margins, &heading_sizes);
    }
    out.flush_paragraph();
    Layout {
        pages: u32::try_from(pages.len()).unwrap_or(u32::MAX),
        blocks: out.blocks,
    }
}

/// The most common glyph size (rounded to half a point): the body text's.
fn body_size(pages: &[PageInk]) -> f64 {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for g in pages.iter().flat_map(|p| &p.glyphs) {
        if !g.is_blank() {
            *counts.entry((g.size * 2.0).round() as i64).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|&(size, n)| (n, -size))
        .map_or(10.0, |(size, _)| size as f64 / 2.0)
}

/// A table and the glyphs of each of its cells.
type Table<'p> = (Grid, Vec<Vec<&'p Glyph>>);

/// The lines outside every table of its page, and the tables: ruled ones, then tables
/// of text alone among the rest, once lists set in columns are taken out.
fn split_page(page: &PageInk, body: f64) -> (Vec<Line>, Vec<Table<'_>>) {
    let grids = grid::find(&page.horizontal, &page.vertical);
    let mut outside = Vec::new();
    let mut inside: Vec<Vec<&Glyph>> = vec![Vec::new(); grids.len()];
    for g in &page.glyphs {
        match grids.iter().position(|grid| grid.contains(g.center())) {
            Some(i) => inside[i].push(g),
            None => outside.push(g),
        }
    }
    let mut tables: Vec<Table<'_>> = grids
        .into_iter()
        .zip(inside)
        .map(|(grid, glyphs)| {
            let cells = grid::split_cells(&grid, &glyphs);
            (grid, cells)
        })
        .collect();
    let (rest, mut ordered) = columns::split(glyph_rows(&outside), body);
    let (outside, text_tables) = stream::find(rest, body);
    tables.extend(text_tables);
    ordered.extend(
        glyph_rows(&outside)
            .into_iter()
            .filter_map(|row| Some((row.first()?.y, row))),
    );
    (to_lines(ordered), tables)
}

/// Groups glyphs into lines by baseline, top to bottom, each left to right.
fn glyph_rows<'p>(glyphs: &[&'p Glyph]) -> Vec<Vec<&'p Glyph>> {
    let mut sorted: Vec<&Glyph> = glyphs.to_vec();
    sorted.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut rows: Vec<Vec<&Glyph>> = Vec::new();
    for g in sorted {
        match rows.last_mut() {
            Some(row)
                if row.first().is_some_and(|first| {
                    (first.y - g.y).abs() <= 0.45 * first.size.max(g.size)
                }) =>
            {
                row.push(g)
            }
            _ => rows.push(vec![g]),
        }
    }
    for row in &mut rows {
        row.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    rows
}

/// Glyph lines (with their order keys) as text lines, blank ones dropped.
fn to_lines(rows: Vec<columns::Ordered<'_>>) -> Vec<Line> {
    rows.into_iter()
        .filter_map(|(key, row)| {
            let y = row.first()?.y;
            let size = row.iter().map(|g| g.size).fold(0.0, f64::max);
            let text = line_text(&row);
            (!text.is_empty()).then_some(Line { y, key, size, text })
        })
        .collect()
}

/// A line's text: glyphs left to right, a space where a gap or a space glyph is, a
/// glyph drawn twice at the same place (fake bold) once.
pub(super) fn line_text(row: &[&Glyph]) -> String {
    let mut text = String::new();
    let mut end: Option<f64> = None;
    let mut last: Option<&Glyph> = None;
    let mut space = false;
    for &g in row {
        let t = normalize(&g.text);
        if t.trim().is_empty() {
            space = true;
            continue;
        }
        if last.is_some_and(|l| l.text == g.text && (l.x - g.x).abs() < 0.3 * l.width) {
            continue;
        }
        if let Some(e) = end {
            if space || g.x - e > 0.18 * g.size {
                text.push(' ');
            }
        }
        text.push_str(&t);
        end = Some(g.x + g.width);
        last = Some(g);
        space = false;
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Ligatures spelled out, no-break and other spaces made plain, soft hyphens dropped.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{00AD}' | '\u{0000}' => {}
            c if c.is_whitespace() => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The key that makes a running header or footer the same on every page: lower case,
/// each run of digits as one `#` ("Page 9 of 83" and "Page 12 of 83" are one footer).
fn margin_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !key.ends_with('#') {
                key.push('#');
            }
        } else {
            key.push(c.to_ascii_lowercase());
        }
    }
    key
}

/// Whether a line is only a page number ("3", "Page 3 of 8", "- 3 -").
fn is_page_number(text: &str) -> bool {
    let rest = text.to_lowercase().replace("page", "").replace("of", "");
    rest.chars().any(|c| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || "-–—|/.".contains(c))
}

fn in_margin(line: &Line, height: f64) -> bool {
    height > 0.0 && (line.y > height * (1.0 - MARGIN) || line.y < height * MARGIN)
}

/// Margin lines that repeat on at least two pages and at least a third of them: running
/// headers and footers, dropped everywhere.
fn repeated_margin_lines(
    pages: &[PageInk],
    read: &[(Vec<Line>, Vec<Table<'_>>)],
) -> HashSet<String> {
    let mut seen: HashMap<String, Vec<u32>> = HashMap::new();
    for (page, (lines, _)) in pages.iter().zip(read) {
        for line in lines {
            if in_margin(line, page.height) {
                let pages = seen.entry(margin_key(&line.text)).or_default();
                if pages.last() != Some(&page.page) {
                    pages.push(page.page);
                }
            }
        }
    }
    let needed = 2.max(pages.len().div_ceil(3));
    seen.into_iter()
        .filter(|(_, on)| on.len() >= needed)
        .map(|(key, _)| key)
        .collect()
}

/// Sizes of heading lines, largest first (index + 1 is the heading level).
fn heading_sizes(read: &[(Vec<Line>, Vec<Table<'_>>)], body: f64) -> Vec<i64> {
    let mut sizes: Vec<i64> = Vec::new();
    for (lines, _) in read {
        for line in lines {
            if is_heading(line, body) {
                sizes.push((line.size * 2.0).round() as i64);
            }
        }
    }
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes.dedup();
    sizes
}

/// A heading: clearly larger than the body, short, starting like a title (a capital or a
/// number, not a sentence's continuation) and not ending like a sentence or a clause.
fn is_heading(line: &Line, body: f64) -> bool {
    let text = line.text.as_str();
    line.size >= body * HEADING_RATIO
        && text.chars().count() <= MAX_HEADING_CHARS
        && text.split_whitespace().count() <= MAX_HEADING_WORDS
        && text.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && text
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        && !text.ends_with(['.', ',', ';'])
}

/// What the previous table was, for a table that continues on the next page.
struct OpenTable {
    page: u32,
    xs: Vec<f64>,
    headers: Vec<String>,
    first: String,
}

/// Builds blocks page by page.
#[derive(Default)]
struct Assembler {
    blocks: Vec<LayoutBlock>,
    /// The paragraph being read.
    paragraph: Option<Paragraph>,
    table: Option<OpenTable>,
}

/// A paragraph being read: its text, first page, and its last line's page, baseline
/// and size.
struct Paragraph {
    text: String,
    page: u32,
    last_page: u32,
    y: f64,
    size: f64,
}

/// A page's content in reading order.
enum Item<'p> {
    Line(Line),
    Table(Grid, Vec<Vec<&'p Glyph>>),
}

impl Assembler {
    fn page<'p>(
        &mut self,
        page: &PageInk,
        lines: Vec<Line>,
        tables: Vec<Table<'p>>,
        body: f64,
        margins: &HashSet<String>,
        heading_sizes: &[i64],
    ) {
        let mut items: Vec<(f64, Item<'p>)> = lines
            .into_iter()
            .filter(|line| {
                !(in_margin(line, page.height)
                    && (is_page_number(&line.text) || margins.contains(&margin_key(&line.text))))
            })
            .map(|line| (line.key, Item::Line(line)))
            .collect();
        items.extend(
            tables
                .into_iter()
                .map(|(g, cells)| (g.top(), Item::Table(g, cells))),
        );
        items.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut first_item = true;
        for (_, item) in items {
            match item {
                Item::Line(line) => {
                    if is_heading(&line, body) {
                        self.flush_paragraph();
                        let size = (line.size * 2.0).round() as i64;
                        let rank = heading_sizes.iter().position(|&s| s == size).unwrap_or(0);
                        let level = u8::try_from(rank + 1).unwrap_or(6).min(6);
                        self.heading(level, line.text, page.page);
                        self.table = None;
                    } else {
                        self.line(line, page.page);
                        self.table = None;
                    }
                }
                Item::Table(grid, cells) => {
                    self.flush_paragraph();
                    let texts: Vec<String> = cells.iter().map(|c| cell_text(c)).collect();
                    if grid.even && parallel(&grid, &texts) {
                        self.panels(&grid, &texts, page.page);
                    } else {
                        self.rows(&grid, &texts, page.page, first_item);
                    }
                }
            }
            first_item = false;
        }
    }

    /// A heading; consecutive lines of the same heading (same level, no text between)
    /// are one heading.
    fn heading(&mut self, level: u8, text: String, page: u32) {
        if let Some(LayoutBlock::Heading {
            level: l,
            text: t,
            page: p,
        }) = self.blocks.last_mut()
        {
            if *l == level && *p == page {
                t.push(' ');
                t.push_str(&text);
                return;
            }
        }
        self.blocks.push(LayoutBlock::Heading { level, text, page });
    }

    /// A body line: continues the open paragraph unless a gap or a size change starts a
    /// new one. A paragraph cut by a page break continues on the next page when it had
    /// not ended a sentence.
    fn line(&mut self, line: Line, page: u32) {
        if let Some(p) = self.paragraph.as_mut() {
            let same_size = (line.size - p.size).abs() <= 0.15 * p.size;
            let continues = if columns::starts_item(&line.text) {
                // A list item starts a paragraph of its own.
                false
            } else if p.last_page == page {
                line.y < p.y && (p.y - line.y) <= 1.7 * p.size.max(line.size) && same_size
            } else {
                // The first line of the next page continues an unfinished sentence in
                // the same size (a larger line is the next section's title). A list
                // item needs no full stop to be finished ("• Weight loss programs"): it
                // continues only into a line that starts in lower case.
                let lower = line.text.trim_start().starts_with(char::is_lowercase);
                p.last_page + 1 == page
                    && !p.text.ends_with(['.', ':', '!', '?'])
                    && same_size
                    && (lower || !columns::starts_item(&p.text))
            };
            if continues {
                join_line(&mut p.text, &line.text);
                (p.last_page, p.y, p.size) = (page, line.y, line.size);
                return;
            }
        }
        self.flush_paragraph();
        self.paragraph = Some(Paragraph {
            text: line.text,
            page,
            last_page: page,
            y: line.y,
            size: line.size,
        });
    }

    fn flush_paragraph(&mut self) {
        if let Some(Paragraph { text, page, .. }) = self.paragraph.take() {
            self.blocks.push(LayoutBlock::Paragraph { text, page });
        }
    }

    /// Side-by-side panels, column by column: each column one block of its own, a
    /// one-cell row headed by the column's header (its title), so that each panel is
    /// one passage and no title carries over to what follows.
    fn panels(&mut self, grid: &Grid, texts: &[String], page: u32) {
        for col in 0..grid.xs.len() - 1 {
            let mut body = String::new();
            let mut last = usize::MAX;
            for band in grid.header_bands..grid.cell_of.len() {
                let cell = grid.cell_of[band][col];
                if cell != last && !texts[cell].is_empty() {
                    join_line(&mut body, &texts[cell]);
                }
                last = cell;
            }
            let mut header = texts[grid.cell_of[0][col]]
                .trim_end_matches(':')
                .trim()
                .to_owned();
            // A header too long for a title (the panel's title was above the table) is
            // the start of its text.
            if header.split_whitespace().count() > MAX_HEADING_WORDS {
                body = format!("{header} {body}");
                header.clear();
            }
            if !body.is_empty() {
                self.blocks.push(LayoutBlock::Row {
                    cells: vec![(header, body)],
                    page,
                });
            }
        }
        self.table = None;
    }

    /// The rows of a table, each with its column headers. A table at the top of a page
    /// with the previous page's columns continues that table: a repeated header row is
    /// dropped, and without one the rows take the previous header.
    fn rows(&mut self, grid: &Grid, texts: &[String], page: u32, first_on_page: bool) {
        let cols = grid.xs.len() - 1;
        let own_headers: Vec<String> = (0..cols)
            .map(|col| {
                let mut parts: Vec<&str> = Vec::new();
                for band in 0..grid.header_bands {
                    let t = texts[grid.cell_of[band][col]].as_str();
                    if !t.is_empty() && parts.last() != Some(&t) {
                        parts.push(t);
                    }
                }
                parts
                    .join(" — ")
                    .trim_end_matches(':')
                    .trim_end()
                    .to_owned()
            })
            .collect();
        let same_columns = |open: &OpenTable| {
            let n = grid.xs.len();
            open.xs.len() == n
                && if grid.ruled {
                    open.xs
                        .iter()
                        .zip(&grid.xs)
                        .all(|(a, b)| (a - b).abs() <= SAME_COLUMNS)
                } else {
                    open.xs[1..n - 1]
                        .iter()
                        .zip(&grid.xs[1..n - 1])
                        .all(|(a, b)| (a - b).abs() <= SAME_TEXT_COLUMNS)
                }
        };
        // The previous page's table at the top of this page, or (text tables) the same
        // page's table right above, cut where a wide gap opened.
        let continued = self.table.as_ref().filter(|open| {
            same_columns(open)
                && ((first_on_page && open.page + 1 == page) || (!grid.ruled && open.page == page))
        });
        // Only the table's first row here can finish the previous page's first cell.
        let mut finishes = continued.is_some();
        let (headers, first_band, mut first) = match continued {
            Some(open) if open.headers == own_headers => {
                (own_headers, grid.header_bands, open.first.clone())
            }
            Some(open) => (open.headers.clone(), 0, open.first.clone()),
            None => (own_headers, grid.header_bands, String::new()),
        };
        for bands in row_bands(grid, texts, first_band) {
            let mut row: Vec<(String, String)> = Vec::new();
            let mut prev_cells: Vec<usize> = Vec::new();
            for (col, header) in headers.iter().enumerate() {
                // The column's cells down the row's bands, each once, in order.
                let mut cells: Vec<usize> = Vec::new();
                for band in bands.clone() {
                    let cell = grid.cell_of[band][col];
                    if !cells.contains(&cell) {
                        cells.push(cell);
                    }
                }
                // A cell spanning columns is read once, under its first column's header.
                if cells == prev_cells {
                    continue;
                }
                let mut text = String::new();
                for &cell in &cells {
                    if !texts[cell].is_empty() {
                        join_line(&mut text, &texts[cell]);
                    }
                }
                row.push((header.clone(), text));
                prev_cells = cells;
            }
            if row.iter().all(|(_, v)| v.is_empty()) {
                continue;
            }
            // An empty first cell continues the cell above (merged across a page break);
            // one that starts in lower case finishes it ("If you have mental" | "health,
            // or substance abuse needs").
            if let Some((_, v)) = row.first_mut() {
                if v.is_empty() {
                    v.clone_from(&first);
                } else if finishes && !first.is_empty() && v.starts_with(char::is_lowercase) {
                    join_line(&mut first, v);
                    v.clone_from(&first);
                } else {
                    first.clone_from(v);
                }
            }
            finishes = false;
            self.blocks.push(LayoutBlock::Row { cells: row, page });
        }
        self.table = Some(OpenTable {
            page,
            xs: grid.xs.clone(),
            headers,
            first,
        });
    }
}

/// The table's rows as runs of bands, from `first` on. A rule that crosses only some
/// cells (a line under each wrapped line of a label, say) cuts a row into bands that
/// share their other cells: a band continues the row above when, past the first column
/// (which groups rows: "Common Medical Event"), it shares at least one cell with the
/// band above and each of its other cells is empty or starts in lower case, finishing a
/// wrapped line ("Emergency medical" | "transportation"). Two services with equal
/// figures in cells of their own stay two rows.
fn row_bands(grid: &Grid, texts: &[String], first: usize) -> Vec<std::ops::Range<usize>> {
    let cols = grid.xs.len() - 1;
    let continues = |above: usize, band: usize| {
        let (a, b) = (&grid.cell_of[above], &grid.cell_of[band]);
        let shared = (1..cols).filter(|&c| a[c] == b[c]).count();
        shared > 0
            && (1..cols).all(|c| {
                a[c] == b[c]
                    || texts[b[c]].is_empty()
                    || texts[b[c]].starts_with(char::is_lowercase)
            })
    };
    let mut out = Vec::new();
    let mut start = first;
    for band in first..grid.cell_of.len() {
        let next = band + 1;
        if next == grid.cell_of.len() || !continues(band, next) {
            out.push(start..next);
            start = next;
        }
    }
    out
}

/// Share of a table's full rows (every cell filled) whose cells all start with the same
/// word, from which its columns are parallel panels: the coverage
/// examples' "Total Example Cost $12,700 | Total Example Cost $5,600 | …". A table's
/// columns hold different things (a label, then its price).
const PARALLEL_ROWS: f64 = 0.4;

/// Whether the columns say the same things about different subjects, row by row.
fn parallel(grid: &Grid, texts: &[String]) -> bool {
    let first_word = |t: &str| {
        t.split_whitespace()
            .find(|w| w.chars().any(char::is_alphanumeric))
            .map(str::to_lowercase)
    };
    let (mut same, mut rows) = (0usize, 0usize);
    for band in grid.header_bands..grid.cell_of.len() {
        let words: Vec<String> = grid.cell_of[band]
            .iter()
            .filter_map(|&c| first_word(&texts[c]))
            .collect();
        if words.len() == grid.cell_of[band].len() {
            rows += 1;
            same += usize::from(words.iter().all(|w| *w == words[0]));
        }
    }
    rows > 0 && same as f64 >= PARALLEL_ROWS * rows as f64
}

/// A cell's text: its lines joined.
fn cell_text(glyphs: &[&Glyph]) -> String {
    let mut out = String::new();
    let rows = glyph_rows(glyphs);
    for line in to_lines(rows.into_iter().map(|r| (0.0, r)).collect()) {
        join_line(&mut out, &line.text);
    }
    out
}

/// Appends a line to text: after a space, or directly after a hyphen that ends a word
/// (kept: in benefits documents it is nearly always a compound's, as in
/// "out-of-network"). A hyphen after a space is a dash ("travelling outside -" / "the
/// U.S."): the next line follows a space.
fn join_line(text: &mut String, line: &str) {
    let mut tail = text.chars().rev();
    let compound = tail.next() == Some('-') && tail.next().is_some_and(char::is_alphanumeric);
    if !text.is_empty() && !compound {
        text.push(' ');
    }
    text.push_str(line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::ink::Rule;

    #[test]
    fn a_line_end_hyphen_joins_a_compound_but_a_spaced_dash_keeps_its_space() {
        let joined = |a: &str, b: &str| {
            let mut text = a.to_string();
            join_line(&mut text, b);
            text
        };
        assert_eq!(
            joined("see an out-of-", "network doctor"),
            "see an out-of-network doctor"
        );
        assert_eq!(
            joined("care when travelling outside -", "the U.S."),
            "care when travelling outside - the U.S."
        );
        assert_eq!(joined("-", "the U.S."), "- the U.S.");
        assert_eq!(joined("", "first"), "first");
        assert_eq!(joined("first", "second"), "first second");
    }

    /// Glyphs for `text` starting at `x` on baseline `y`, 0.5 em per character.
    fn words(text: &str, x: f64, y: f64, size: f64) -> Vec<Glyph> {
        text.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                x: x + i as f64 * size * 0.5,
                y,
                width: size * 0.5,
                size,
                text: c.to_string(),
            })
            .collect()
    }

    fn page(n: u32, glyphs: Vec<Vec<Glyph>>) -> PageInk {
        PageInk {
            page: n,
            height: 800.0,
            glyphs: glyphs.concat(),
            ..PageInk::default()
        }
    }

    /// Each block as "H1@page text", "P@page text" or "row".
    fn outline(got: &Layout) -> Vec<String> {
        got.blocks
            .iter()
            .map(|b| match b {
                LayoutBlock::Heading { level, text, page } => format!("H{level}@{page} {text}"),
                LayoutBlock::Paragraph { text, page } => format!("P@{page} {text}"),
                LayoutBlock::Row { .. } => "row".into(),
            })
            .collect()
    }

    #[test]
    fn headings_paragraphs_and_running_footers() {
        let footer = |n: u32| words(&format!("Plan document {n} Page {n} of 4"), 50.0, 30.0, 8.0);
        let pages = vec![
            page(
                1,
                vec![
                    words("Your Benefits", 50.0, 700.0, 18.0),
                    words("Office visits cost a copay.", 50.0, 660.0, 10.0),
                    words("Specialists need a referral", 50.0, 648.0, 10.0),
                    footer(1),
                ],
            ),
            page(
                2,
                vec![
                    words("and a prior authorization.", 50.0, 700.0, 10.0),
                    words("Appeals", 50.0, 600.0, 18.0),
                    words("Write to us.", 50.0, 570.0, 10.0),
                    footer(2),
                ],
            ),
            page(3, vec![words("Call us at", 50.0, 700.0, 10.0), footer(3)]),
            // Larger than the text, not enough for a heading (Anthem's 13.8 pt "Your
            // Rights to Continue Coverage:" over 11.9 pt text).
            page(
                4,
                vec![
                    words("Your Rights to Continue Coverage:", 50.0, 700.0, 11.6),
                    words("You may keep your coverage.", 50.0, 680.0, 10.0),
                    footer(4),
                ],
            ),
        ];
        let got = layout(&pages);
        assert_eq!(got.pages, 4);
        assert_eq!(
            outline(&got),
            [
                "H1@1 Your Benefits",
                "P@1 Office visits cost a copay. Specialists need a referral and a prior authorization.",
                "H1@2 Appeals",
                "P@2 Write to us.",
                "P@3 Call us at",
                "P@4 Your Rights to Continue Coverage:",
                "P@4 You may keep your coverage.",
            ],
            "the footer goes, a sentence cut by the page break stays whole, a larger line \
             after a page break starts a paragraph of its own"
        );
    }

    #[test]
    fn a_running_footer_whose_page_number_gains_a_digit_is_still_dropped() {
        // Pages 1-9 and 10-12 differ in digit count; none of the footers may stay.
        let pages: Vec<PageInk> = (1..=12)
            .map(|n| {
                page(
                    n,
                    vec![
                        words(&format!("Benefit {n} is covered."), 50.0, 700.0, 10.0),
                        words(
                            &format!("Member Handbook - Page {n} of 12"),
                            50.0,
                            30.0,
                            8.0,
                        ),
                    ],
                )
            })
            .collect();
        let got = outline(&layout(&pages));
        assert_eq!(got.len(), 12, "{got:?}");
        assert!(
            got.iter().all(|b| !b.contains("Handbook")),
            "a footer stayed: {got:?}"
        );
    }

    #[test]
    fn a_list_item_continues_across_a_page_only_into_lower_case() {
        let pages = vec![
            page(
                1,
                vec![
                    words("• Hearing aids", 50.0, 700.0, 10.0),
                    words("• Weight loss programs", 50.0, 686.0, 10.0),
                ],
            ),
            page(
                2,
                vec![
                    words("Other Covered Services", 50.0, 700.0, 10.0),
                    words("• Infertility treatment up to", 50.0, 660.0, 10.0),
                ],
            ),
            page(3, vec![words("a lifetime maximum.", 50.0, 700.0, 10.0)]),
        ];
        assert_eq!(
            outline(&layout(&pages)),
            [
                "P@1 • Hearing aids",
                "P@1 • Weight loss programs",
                "P@2 Other Covered Services",
                "P@2 • Infertility treatment up to a lifetime maximum.",
            ]
        );
    }

    fn rule(at: f64, from: f64, to: f64) -> Rule {
        Rule { at, from, to }
    }

    /// A 3-column ruled table: header band, then `rows` bands of 40 units, top at 700.
    fn table_page(n: u32, header: Option<[&str; 3]>, rows: &[[&str; 3]]) -> PageInk {
        let xs = [50.0, 200.0, 350.0, 500.0];
        let mut ys = vec![700.0];
        let mut glyphs = Vec::new();
        let mut top = 700.0;
        if let Some(h) = header {
            for (c, t) in h.iter().enumerate() {
                glyphs.push(words(t, xs[c] + 5.0, top - 15.0, 9.0));
            }
            top -= 30.0;
            ys.push(top);
        }
        for r in rows {
            for (c, t) in r.iter().enumerate() {
                glyphs.push(words(t, xs[c] + 5.0, top - 15.0, 9.0));
            }
            top -= 40.0;
            ys.push(top);
        }
        PageInk {
            page: n,
            height: 800.0,
            glyphs: glyphs.concat(),
            horizontal: ys.iter().map(|&y| rule(y, 50.0, 500.0)).collect(),
            vertical: xs.iter().map(|&x| rule(x, top, 700.0)).collect(),
        }
    }

    #[test]
    fn a_rule_across_some_cells_cuts_no_row_and_equal_figures_keep_rows_apart() {
        // Event | Service | In | Out. "Emergency medical / transportation" wraps, with a
        // rule under its first line in the Service column only: its figures' cells span
        // both lines. "Diagnostic test" and "Imaging" have equal figures in cells of
        // their own.
        let xs = [50.0, 200.0, 350.0, 450.0, 550.0];
        let mut glyphs = Vec::new();
        let mut text = |t: &str, col: usize, top: f64| {
            glyphs.push(words(t, xs[col] + 5.0, top - 15.0, 9.0));
        };
        for (c, h) in ["Event", "Service", "In", "Out"].iter().enumerate() {
            text(h, c, 700.0);
        }
        text("If you need help", 0, 670.0);
        text("Emergency medical", 1, 670.0);
        text("No Charge", 2, 670.0);
        text("No Charge", 3, 670.0);
        text("transportation", 1, 640.0);
        text("Urgent care", 1, 610.0);
        text("$75 copay", 2, 610.0);
        text("Not covered", 3, 610.0);
        text("If you have a test", 0, 580.0);
        text("Diagnostic test", 1, 580.0);
        text("Imaging", 1, 550.0);
        for top in [580.0, 550.0] {
            text("30%", 2, top);
            text("50%", 3, top);
        }
        let page = PageInk {
            page: 1,
            height: 800.0,
            glyphs: glyphs.concat(),
            horizontal: vec![
                rule(700.0, 50.0, 550.0),
                rule(670.0, 50.0, 550.0),
                rule(640.0, 200.0, 350.0),
                rule(610.0, 200.0, 550.0),
                rule(580.0, 50.0, 550.0),
                rule(550.0, 200.0, 550.0),
                rule(520.0, 50.0, 550.0),
            ],
            vertical: xs.iter().map(|&x| rule(x, 520.0, 700.0)).collect(),
        };
        let got = layout(&[page]);
        let rows: Vec<Vec<&str>> = got
            .blocks
            .iter()
            .filter_map(|b| match b {
                LayoutBlock::Row { cells, .. } => {
                    Some(cells.iter().map(|(_, v)| v.as_str()).collect())
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            rows,
            [
                vec![
                    "If you need help",
                    "Emergency medical transportation",
                    "No Charge",
                    "No Charge"
                ],
                vec![
                    "If you need help",
                    "Urgent care",
                    "$75 copay",
                    "Not covered"
                ],
                vec!["If you have a test", "Diagnostic test", "30%", "50%"],
                vec!["If you have a test", "Imaging", "30%", "50%"],
            ]
        );
    }

    #[test]
    fn table_rows_carry_headers_and_continue_across_pages() {
        let header = ["Event", "Service", "You pay"];
        let pages = vec![
            table_page(
                1,
                Some(header),
                &[["If you visit", "Specialist", "$50 copay"]],
            ),
            // Repeated header on page 2; no header at all on page 3.
            table_page(2, Some(header), &[["", "Preventive care", "No charge"]]),
            table_page(
                3,
                None,
                &[
                    ["If you have a test", "Imaging", "$100"],
                    ["", "Blood work", "$10"],
                ],
            ),
        ];
        let got = layout(&pages);
        let rows: Vec<(u32, Vec<(String, String)>)> = got
            .blocks
            .iter()
            .filter_map(|b| match b {
                LayoutBlock::Row { cells, page } => Some((*page, cells.clone())),
                _ => None,
            })
            .collect();
        let pair = |h: &str, v: &str| (h.to_owned(), v.to_owned());
        assert_eq!(
            rows,
            [
                (
                    1,
                    vec![
                        pair("Event", "If you visit"),
                        pair("Service", "Specialist"),
                        pair("You pay", "$50 copay")
                    ]
                ),
                (
                    2,
                    vec![
                        pair("Event", "If you visit"),
                        pair("Service", "Preventive care"),
                        pair("You pay", "No charge")
                    ]
                ),
                (
                    3,
                    vec![
                        pair("Event", "If you have a test"),
                        pair("Service", "Imaging"),
                        pair("You pay", "$100")
                    ]
                ),
                (
                    3,
                    vec![
                        pair("Event", "If you have a test"),
                        pair("Service", "Blood work"),
                        pair("You pay", "$10")
                    ]
                ),
            ]
        );
    }

    /// Lines of `(x, text)` runs on baseline `y`, 10 pt.
    fn runs(y: f64, parts: &[(f64, &str)]) -> Vec<Glyph> {
        parts
            .iter()
            .flat_map(|&(x, t)| words(t, x, y, 10.0))
            .collect()
    }

    fn rows_of(layout: &Layout) -> Vec<(u32, Vec<(&str, &str)>)> {
        layout
            .blocks
            .iter()
            .filter_map(|b| match b {
                LayoutBlock::Row { cells, page } => Some((
                    *page,
                    cells
                        .iter()
                        .map(|(h, v)| (h.as_str(), v.as_str()))
                        .collect(),
                )),
                _ => None,
            })
            .collect()
    }

    /// The 2012–2016 SBC template's layout without a single rule: four columns, a
    /// two-line header, a wrapped service name with its price set beside its middle, an
    /// event spanning two services, prose above and below.
    #[test]
    fn a_table_without_rules_reads_as_rows_and_continues_across_pages() {
        let header = |y: f64| {
            vec![
                runs(
                    y,
                    &[
                        (40.0, "Common Medical"),
                        (150.0, "Services You May Need"),
                        (330.0, "Your Cost In-Network"),
                        (460.0, "Limitations"),
                    ],
                ),
                runs(y - 13.0, &[(40.0, "Event"), (330.0, "Provider")]),
            ]
        };
        let mut one = vec![runs(740.0, &[(40.0, "This is only a summary. If you want more detail about your coverage and costs, see the plan.")])];
        one.extend(header(700.0));
        one.extend([
            runs(
                660.0,
                &[(40.0, "If you visit a"), (150.0, "Primary care visit to")],
            ),
            runs(653.0, &[(330.0, "$10 copay"), (460.0, "none")]),
            runs(
                647.0,
                &[(40.0, "doctor's office"), (150.0, "treat an illness")],
            ),
            runs(
                625.0,
                &[
                    (150.0, "Specialist visit"),
                    (330.0, "$20 copay"),
                    (460.0, "Referral required"),
                ],
            ),
            runs(
                600.0,
                &[
                    (40.0, "If you need care"),
                    (150.0, "Urgent care"),
                    (330.0, "$50 copay"),
                ],
            ),
        ]);
        let mut two = header(700.0);
        two.extend([
            runs(660.0, &[(40.0, "right away"), (150.0, "Emergency room"), (330.0, "$250 copay"), (460.0, "none")]),
            runs(635.0, &[(150.0, "Ambulance"), (330.0, "$100 copay")]),
            runs(590.0, &[(40.0, "Prices are what you pay after the deductible, for services from network providers.")]),
        ]);
        let layout = layout(&[page(1, one), page(2, two)]);
        let event = "Common Medical Event";
        let service = "Services You May Need";
        let cost = "Your Cost In-Network Provider";
        let limits = "Limitations";
        assert_eq!(
            rows_of(&layout),
            [
                (
                    1,
                    vec![
                        (event, "If you visit a doctor's office"),
                        (service, "Primary care visit to treat an illness"),
                        (cost, "$10 copay"),
                        (limits, "none")
                    ]
                ),
                (
                    1,
                    vec![
                        (event, "If you visit a doctor's office"),
                        (service, "Specialist visit"),
                        (cost, "$20 copay"),
                        (limits, "Referral required")
                    ]
                ),
                (
                    1,
                    vec![
                        (event, "If you need care"),
                        (service, "Urgent care"),
                        (cost, "$50 copay"),
                        (limits, "")
                    ]
                ),
                // The repeated header is dropped; the event cut by the page break is finished.
                (
                    2,
                    vec![
                        (event, "If you need care right away"),
                        (service, "Emergency room"),
                        (cost, "$250 copay"),
                        (limits, "none")
                    ]
                ),
                (
                    2,
                    vec![
                        (event, "If you need care right away"),
                        (service, "Ambulance"),
                        (cost, "$100 copay"),
                        (limits, "")
                    ]
                ),
            ]
        );
        let paragraphs: Vec<&str> = layout
            .blocks
            .iter()
            .filter_map(|b| match b {
                LayoutBlock::Paragraph { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            paragraphs.len(),
            2,
            "the prose around the table stays prose: {paragraphs:?}"
        );
        assert!(
            paragraphs[0].starts_with("This is only a summary")
                && paragraphs[1].starts_with("Prices are")
        );
    }

    /// Some SBCs set each "Common Medical Event" in the middle of the rows it groups, so
    /// its first rows have none beside them.
    #[test]
    fn a_group_label_set_in_the_middle_of_its_rows_labels_all_of_them() {
        let lines = vec![
            runs(
                700.0,
                &[
                    (40.0, "Medical Event"),
                    (150.0, "Services You May Need"),
                    (330.0, "In-Network"),
                    (460.0, "Out-of-Network"),
                ],
            ),
            runs(
                675.0,
                &[
                    (150.0, "Primary care visit"),
                    (330.0, "$10 copay"),
                    (460.0, "40%"),
                ],
            ),
            runs(
                655.0,
                &[
                    (40.0, "If you visit a"),
                    (150.0, "Specialist visit"),
                    (330.0, "$20 copay"),
                    (460.0, "40%"),
                ],
            ),
            runs(642.0, &[(40.0, "doctor's office")]),
            runs(
                622.0,
                &[
                    (150.0, "Preventive care"),
                    (330.0, "No charge"),
                    (460.0, "40%"),
                ],
            ),
            runs(
                602.0,
                &[(150.0, "Blood work"), (330.0, "10%"), (460.0, "40%")],
            ),
            runs(592.0, &[(40.0, "If you have a test")]),
            runs(582.0, &[(150.0, "Imaging"), (330.0, "20%"), (460.0, "40%")]),
        ];
        let got: Vec<(String, String)> = rows_of(&layout(&[page(1, lines)]))
            .into_iter()
            .map(|(_, cells)| (cells[0].1.to_owned(), cells[1].1.to_owned()))
            .collect();
        let office = "If you visit a doctor's office";
        let test = "If you have a test";
        assert_eq!(
            got,
            [
                (office, "Primary care visit"),
                (office, "Specialist visit"),
                (office, "Preventive care"),
                (test, "Blood work"),
                (test, "Imaging")
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }

    /// Kaiser's 2013 SBC: "Your Cost If You Use a" set over both network columns, a
    /// price centred under both ("$100 copay/visit"), rows set without a gap between
    /// them, and a web address in the first column reaching towards the second.
    #[test]
    fn spanning_cells_rows_without_gaps_and_a_long_word_keep_the_table() {
        let lines = vec![
            runs(
                700.0,
                &[(330.0, "Your Cost If You Use a"), (500.0, "Limitations")],
            ),
            runs(
                688.0,
                &[
                    (40.0, "Medical Event"),
                    (150.0, "Services You May Need"),
                    (330.0, "Plan Provider"),
                    (420.0, "Non-Plan"),
                ],
            ),
            runs(
                660.0,
                &[
                    (40.0, "If you have a test"),
                    (150.0, "Diagnostic test"),
                    (330.0, "$10 copay"),
                    (420.0, "Not covered"),
                    (500.0, "none"),
                ],
            ),
            runs(
                648.0,
                &[
                    (150.0, "Imaging"),
                    (330.0, "$50 copay"),
                    (420.0, "Not covered"),
                    (500.0, "none"),
                ],
            ),
            runs(
                620.0,
                &[
                    (40.0, "Drugs: see"),
                    (150.0, "Generic drugs"),
                    (330.0, "$10 copay"),
                    (420.0, "Not covered"),
                    (500.0, "none"),
                ],
            ),
            runs(608.0, &[(40.0, "www.example.com/drugs")]),
            runs(
                580.0,
                &[
                    (40.0, "If you need"),
                    (150.0, "Emergency room"),
                    (350.0, "$100 copay/visit"),
                    (500.0, "After deductible"),
                ],
            ),
            runs(
                568.0,
                &[
                    (40.0, "care right away"),
                    (150.0, "Ambulance"),
                    (352.0, "$75 copay/trip"),
                    (500.0, "After deductible"),
                ],
            ),
            runs(
                545.0,
                &[(
                    40.0,
                    "Questions? Call the number on your card or visit the plan's website.",
                )],
            ),
        ];
        let layout = layout(&[page(1, lines)]);
        let event = "Medical Event";
        let service = "Services You May Need";
        let plan = "Your Cost If You Use a Plan Provider";
        let non_plan = "Your Cost If You Use a Non-Plan";
        let limits = "Limitations";
        let row = |e, s, p, n, l| {
            (
                1,
                vec![
                    (event, e),
                    (service, s),
                    (plan, p),
                    (non_plan, n),
                    (limits, l),
                ],
            )
        };
        let test = "If you have a test";
        let drugs = "Drugs: see www.example.com/drugs";
        let now = "If you need care right away";
        assert_eq!(
            rows_of(&layout),
            [
                row(test, "Diagnostic test", "$10 copay", "Not covered", "none"),
                row(test, "Imaging", "$50 copay", "Not covered", "none"),
                row(drugs, "Generic drugs", "$10 copay", "Not covered", "none"),
                // A price centred under both networks is what either costs.
                row(
                    now,
                    "Emergency room",
                    "$100 copay/visit",
                    "$100 copay/visit",
                    "After deductible"
                ),
                row(
                    now,
                    "Ambulance",
                    "$75 copay/trip",
                    "$75 copay/trip",
                    "After deductible"
                ),
            ]
        );
        assert!(
            layout.blocks.iter().any(|b| matches!(b, LayoutBlock::Paragraph { text, .. } if text.starts_with("Questions?"))),
            "a line of prose across the columns ends the table"
        );
    }

    /// Kaiser's durable medical equipment: its limitation set right under skilled
    /// nursing's, without a gap, beside its own price.
    #[test]
    fn a_sentence_beside_a_row_with_no_other_text_is_that_rows() {
        let lines = vec![
            runs(
                700.0,
                &[
                    (40.0, "Event"),
                    (150.0, "Service"),
                    (330.0, "Plan"),
                    (420.0, "Non-Plan"),
                    (500.0, "Limitations"),
                ],
            ),
            runs(
                670.0,
                &[
                    (40.0, "If you need help"),
                    (150.0, "Skilled nursing"),
                    (330.0, "$50 copay"),
                    (420.0, "Not covered"),
                    (500.0, "After deductible. Up to 60"),
                ],
            ),
            runs(658.0, &[(500.0, "days per year.")]),
            runs(646.0, &[(500.0, "Not subject to deductible. Limited")]),
            runs(634.0, &[(500.0, "to listed items in the")]),
            runs(
                628.0,
                &[
                    (150.0, "Medical equipment"),
                    (330.0, "30% coinsurance"),
                    (420.0, "Not covered"),
                ],
            ),
            runs(622.0, &[(500.0, "formulary.")]),
        ];
        let limits: Vec<(String, String)> = rows_of(&layout(&[page(1, lines)]))
            .into_iter()
            .map(|(_, cells)| (cells[1].1.to_owned(), cells[4].1.to_owned()))
            .collect();
        assert_eq!(
            limits,
            [
                (
                    "Skilled nursing",
                    "After deductible. Up to 60 days per year."
                ),
                (
                    "Medical equipment",
                    "Not subject to deductible. Limited to listed items in the formulary."
                ),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }

    /// Coverage examples: three panels of even width saying the same things about
    /// different cases read panel by panel, one passage each; an even-width table whose columns say
    /// different things (a label, then prices) stays rows.
    #[test]
    fn parallel_panels_read_column_by_column_and_even_tables_stay_rows() {
        let panels = vec![
            runs(760.0, &[(40.0, "Coverage Examples")]),
            runs(
                720.0,
                &[
                    (40.0, "Having a baby"),
                    (240.0, "Managing diabetes"),
                    (440.0, "A simple fracture"),
                ],
            ),
            runs(
                695.0,
                &[
                    (40.0, "Total cost $12,700"),
                    (240.0, "Total cost $5,600"),
                    (440.0, "Total cost $2,800"),
                ],
            ),
            runs(
                670.0,
                &[
                    (40.0, "Deductibles $500"),
                    (240.0, "Deductibles $800"),
                    (440.0, "Deductibles $500"),
                ],
            ),
            runs(
                645.0,
                &[
                    (40.0, "Copayments $200"),
                    (240.0, "Copayments $900"),
                    (440.0, "Copayments $200"),
                ],
            ),
            runs(
                620.0,
                &[
                    (40.0, "You pay $2,560"),
                    (240.0, "You pay $1,820"),
                    (440.0, "You pay $1,100"),
                ],
            ),
        ];
        let mut first = page(1, panels);
        first
            .glyphs
            .extend(words("Coverage Examples", 40.0, 780.0, 16.0));
        first.glyphs.retain(|g| g.y != 760.0);
        let table = vec![
            runs(
                700.0,
                &[
                    (40.0, "Provision"),
                    (240.0, "In-network"),
                    (440.0, "Out-of-network"),
                ],
            ),
            runs(
                675.0,
                &[
                    (40.0, "Claim forms"),
                    (240.0, "None to file"),
                    (440.0, "File a claim"),
                ],
            ),
            runs(
                650.0,
                &[
                    (40.0, "Office visit"),
                    (240.0, "$20 copay"),
                    (440.0, "40% coinsurance"),
                ],
            ),
            runs(
                625.0,
                &[(40.0, "Deductible"), (240.0, "$250"), (440.0, "$1,000")],
            ),
        ];
        let layout = layout(&[first, page(2, table)]);
        let kinds: Vec<String> = layout
            .blocks
            .iter()
            .map(|b| match b {
                LayoutBlock::Heading { level, text, .. } => format!("H{level} {text}"),
                LayoutBlock::Paragraph { text, .. } => format!("P {text}"),
                LayoutBlock::Row { cells, .. } if cells.len() == 1 => {
                    format!("R {}: {}", cells[0].0, cells[0].1)
                }
                LayoutBlock::Row { cells, .. } => format!("R {}", cells[0].1),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "H1 Coverage Examples",
                "R Having a baby: Total cost $12,700 Deductibles $500 Copayments $200 You pay $2,560",
                "R Managing diabetes: Total cost $5,600 Deductibles $800 Copayments $900 You pay $1,820",
                "R A simple fracture: Total cost $2,800 Deductibles $500 Copayments $200 You pay $1,100",
                "R Claim forms",
                "R Office visit",
                "R Deductible",
            ]
        );
    }

    #[test]
    fn two_columns_a_form_line_and_prose_stay_text() {
        let mut lines: Vec<Vec<Glyph>> =
            ["Deductibles", "Copays", "Appeals", "Claims", "Definitions"]
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    runs(
                        700.0 - 14.0 * i as f64,
                        &[(50.0, t), (400.0, &format!("{}", i + 3))],
                    )
                })
                .collect();
        lines.extend([
            runs(
                600.0,
                &[(
                    50.0,
                    "Send the claim form within ninety days of the service, signed and dated.",
                )],
            ),
            runs(
                587.0,
                &[(50.0, "Name:"), (200.0, "Date:"), (350.0, "Signature:")],
            ),
            runs(
                574.0,
                &[(
                    50.0,
                    "We answer within thirty days and tell you why if we do not pay the claim.",
                )],
            ),
        ]);
        let layout = layout(&[page(1, lines)]);
        assert!(rows_of(&layout).is_empty(), "{:?}", layout.blocks);
    }

    /// Random pages of words on a loose grid (so that gutters, blocks and tables form
    /// and break in every way): the layout never panics, and every word is kept in some
    /// block.
    mod props {
        use super::*;
        use proptest::prelude::*;

        fn word() -> impl Strategy<Value = (u8, u8, String, u8)> {
            // Column slot, line slot, the word, size in half points over 6 pt: at most
            // 8 characters of 5 pt, so that words never overlap the next slot.
            (0u8..12, 0u8..50, "[a-z$%0-9]{1,8}", 0u8..8)
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn random_pages_keep_every_word(pages in proptest::collection::vec(proptest::collection::vec(word(), 0..120), 1..4)) {
                let inks: Vec<PageInk> = pages
                    .iter()
                    .enumerate()
                    .map(|(n, ws)| {
                        let mut slots = HashSet::new();
                        let glyphs = ws
                            .iter()
                            .filter(|(col, line, ..)| slots.insert((*col, *line)))
                            .map(|(col, line, w, half)| {
                                words(w, 30.0 + f64::from(*col) * 48.0, 700.0 - f64::from(*line) * 12.0, 6.0 + f64::from(*half) / 2.0)
                            })
                            .collect();
                        page(u32::try_from(n + 1).unwrap(), glyphs)
                    })
                    .collect();
                let layout = layout(&inks);
                let mut text = String::new();
                for b in &layout.blocks {
                    match b {
                        LayoutBlock::Heading { text: t, .. } | LayoutBlock::Paragraph { text: t, .. } => text.push_str(t),
                        LayoutBlock::Row { cells, .. } => cells.iter().for_each(|(h, v)| { text.push_str(h); text.push_str(v) }),
                    }
                    text.push(' ');
                }
                let squashed: String = text.split_whitespace().collect();
                for page in &pages {
                    let mut slots = HashSet::new();
                    for (_, _, w, _) in page.iter().filter(|(col, line, ..)| slots.insert((*col, *line))) {
                        // No line is in a page margin; a word like "page3" is a page number.
                        if !w.contains("page") {
                            prop_assert!(squashed.contains(w.as_str()), "{w} lost from {squashed}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn large_text_that_reads_like_a_sentence_is_not_a_heading() {
        let line = |text: &str| Line {
            y: 0.0,
            key: 0.0,
            size: 14.0,
            text: text.into(),
        };
        assert!(is_heading(&line("Your Rights to Continue Coverage"), 10.0));
        assert!(is_heading(&line("3. Prescription drugs"), 10.0));
        assert!(
            !is_heading(&line("Your Rights to Continue Coverage"), 13.0),
            "not larger"
        );
        for text in [
            "document at www.example.com or by calling (855) 555-1214.",
            "services?",
            "Coinsurance is your share of the costs of a covered service, calculated as a percent of the allowed amount",
            "This is only a summary.",
        ] {
            assert!(!is_heading(&line(text), 10.0), "{text}");
        }
    }

    #[test]
    fn page_numbers_are_recognised() {
        for text in ["3", "Page 3 of 8", "- 3 -", "page 12"] {
            assert!(is_page_number(text), "{text}");
        }
        for text in ["Page two", "3 visits per year", "Of note"] {
            assert!(!is_page_number(text), "{text}");
        }
    }
}
