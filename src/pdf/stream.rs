//! Tables drawn without rules (the 2012–2016 SBC template, many insurers' own layouts):
//! columns from the white gutters between text, rows from the column whose cells stand
//! apart, as a [`Grid`] the layout reads like a ruled table.
//!
//! * **Where a table is.** Each line is cut into runs at gaps wider than its text size.
//!   A line with three or more runs seeds a table; lines above and below join while
//!   they leave every gutter open (a paragraph across the page closes them) and no
//!   wider gap than a blank line separates them. A table has at least three columns and
//!   four lines; two columns (a list with page numbers, a form) stay text.
//! * **Spanning cells.** A run right of the first column that crosses a gutter whole
//!   ("Your Cost If You Use a" over both network columns, "$100 copayment/visit" centred
//!   under them) leaves it open and is each spanned column's cell. A line of one run (a
//!   web address in the first column) may narrow a gutter but not close it.
//! * **Columns.** The gutters are the x ranges no glyph of the table covers.
//! * **Header.** In each column, lines at normal spacing form blocks. The header ends
//!   where the first column with header text starts its second block (its first row).
//! * **Rows.** Below the header, the column after the first with the most blocks (in an
//!   SBC, what a member pays in-network: "$10 copay", then "$20 copay") sets the rows,
//!   one per block. A row ends in the widest white band between two such blocks, so a
//!   service's wrapped name stays with its price. Rows set without a gap ("Eye exam",
//!   "Glasses", "Dental check-up") are cut where every column starts a line together.
//! * **Cells.** A line that starts in lower case continues the previous row's cell in its
//!   column (a name wrapped past the row's end). A sentence that runs across a row's
//!   start beside a row with nothing else in its column is that row's. The first
//!   column groups rows (the SBC's "Common Medical Event"): each of its blocks is one
//!   cell, in the row where it starts (or, set in the middle of its rows, in the first
//!   of them), and the rows below it continue it.

use super::assemble::HEADING_RATIO;
use super::grid::Grid;
use super::ink::Glyph;

/// A gap this many times the text size or wider separates columns.
const COLUMN_GAP: f64 = 1.0;
/// Narrowest gutter, in text sizes, that still separates two columns.
const MIN_GUTTER: f64 = 0.6;
/// Lines further apart than this (baseline to baseline, in text sizes) are in
/// different blocks of a column.
const BLOCK_SPACING: f64 = 1.5;
/// A blank line: rows further apart than this (in text sizes) end a table.
const MAX_LINE_GAP: f64 = 4.0;
/// Runs a line needs to start a table.
const SEED_RUNS: usize = 3;
/// Fewest columns and lines a table has.
const MIN_COLUMNS: usize = 3;
const MIN_LINES: usize = 4;
/// Pages with more lines than this (no real page has) are read as text: looking for
/// tables (and lists in columns) costs up to the square of the lines.
pub(super) const MAX_LINES: usize = 2_000;
/// Baselines closer than this (in text sizes) are one line across the columns.
const SAME_BASELINE: f64 = 0.2;
/// Fewest columns beside the first that make lines set on the same baselines rows.
const MIN_ROW_CELLS: usize = 3;
/// Column starts whose steps are all within this ratio are at an even pitch.
const EVEN_PITCH: f64 = 1.3;

/// A line of glyphs (left to right) with its baseline, size and the x extents of its
/// runs.
pub(super) struct Row<'p> {
    pub(super) y: f64,
    pub(super) size: f64,
    pub(super) glyphs: Vec<&'p Glyph>,
    pub(super) runs: Vec<(f64, f64)>,
}

impl Row<'_> {
    pub(super) fn right(&self) -> f64 {
        self.runs.last().map_or(0.0, |r| r.1)
    }
}

/// A text table and the glyphs of each of its cells (ids as in the grid).
pub type TextTable<'p> = (Grid, Vec<Vec<&'p Glyph>>);

/// The text tables among `rows` (lines with their runs, top to bottom, as
/// [`super::columns::split`] leaves them), and the glyphs outside them.
pub fn find<'p>(rows: Vec<Row<'p>>, body: f64) -> (Vec<&'p Glyph>, Vec<TextTable<'p>>) {
    if rows.len() > MAX_LINES {
        return (
            rows.into_iter().flat_map(|r| r.glyphs).collect(),
            Vec::new(),
        );
    }
    let mut taken = vec![false; rows.len()];
    let mut tables = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        if taken[i] || rows[i].runs.len() < SEED_RUNS || rows[i].size > body * HEADING_RATIO {
            i += 1;
            continue;
        }
        let spacing = Spacing {
            gutter: MIN_GUTTER,
            line: MAX_LINE_GAP,
            spans: true,
        };
        let (start, end, open) = grow(&rows, &taken, i, &spacing, body);
        let table = build(&rows[start..end], &open);
        match table {
            Some(t) => {
                taken[start..end].iter_mut().for_each(|t| *t = true);
                tables.push(t);
                i = end;
            }
            None => i += 1,
        }
    }
    let outside = rows
        .into_iter()
        .zip(taken)
        .filter(|(_, t)| !t)
        .flat_map(|(r, _)| r.glyphs)
        .collect();
    (outside, tables)
}

/// A glyph line with its runs; `None` for a line of blanks.
pub(super) fn row(glyphs: Vec<&Glyph>) -> Option<Row<'_>> {
    let ink: Vec<&&Glyph> = glyphs.iter().filter(|g| !g.is_blank()).collect();
    let size = ink.iter().map(|g| g.size).fold(0.0, f64::max);
    let y = ink.first()?.y;
    let mut runs: Vec<(f64, f64)> = Vec::new();
    for g in &ink {
        let (from, to) = (g.x, g.x + g.width.max(0.0));
        match runs.last_mut() {
            Some(last) if from - last.1 < COLUMN_GAP * size => last.1 = last.1.max(to),
            _ => runs.push((from, to)),
        }
    }
    Some(Row {
        y,
        size,
        glyphs,
        runs,
    })
}

/// The x ranges `runs` cover, merged, left to right: `cover` with more runs added.
pub(super) fn covered(cover: &[(f64, f64)], runs: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut all: Vec<(f64, f64)> = cover.iter().chain(runs).copied().collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(all.len());
    for (from, to) in all {
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => out.push((from, to)),
        }
    }
    out
}

/// The open ranges (gutters) at least `min` wide between covered ranges.
pub(super) fn gutters(cover: &[(f64, f64)], min: f64) -> Vec<(f64, f64)> {
    cover
        .windows(2)
        .filter(|w| w[1].0 - w[0].1 >= min)
        .map(|w| (w[0].1, w[1].0))
        .collect()
}

/// How far apart, in text sizes, gutters and lines may be for [`grow`].
pub(super) struct Spacing {
    /// Narrowest gutter that still separates two columns.
    pub(super) gutter: f64,
    /// Widest step from one line to the next (more is a blank line).
    pub(super) line: f64,
    /// Whether a cell may span columns (see [`spanning`]) and a line of one cell may
    /// narrow a gutter the table has to [`NARROW_GUTTER`].
    pub(super) spans: bool,
}

/// Narrowest a gutter the table already has may become, in text sizes (a long web
/// address in the first column reaching towards the second).
const NARROW_GUTTER: f64 = 0.3;

/// Whether `run` is a cell spanning columns: it crosses one of the `open` gutters
/// whole and starts right of the first (a price centred under two network columns,
/// "Your Cost If You Use a" over them). A line of prose starts at the left edge.
fn spanning(run: (f64, f64), open: &[(f64, f64)]) -> bool {
    open.first().is_some_and(|first| run.0 >= first.1)
        && open.iter().any(|g| run.0 < g.0 && run.1 > g.1)
}

/// The rows `start..end` around seed `i` that share its gutters, none of them `taken`,
/// and the gutters they leave open. The covered ranges are kept merged, so each
/// candidate line costs its runs plus the gutters, not the table. Spanning cells (when
/// `spacing.spans`) cover nothing.
pub(super) fn grow(
    rows: &[Row<'_>],
    taken: &[bool],
    i: usize,
    spacing: &Spacing,
    body: f64,
) -> (usize, usize, Vec<(f64, f64)>) {
    let min = spacing.gutter * rows[i].size;
    let narrow = if spacing.spans {
        NARROW_GUTTER * rows[i].size
    } else {
        min
    };
    let mut cover = covered(&[], &rows[i].runs);
    let mut open = gutters(&cover, min);
    // The merged cover and its gutters with `r` added, if `r` belongs to the table.
    let fits = |cover: &[(f64, f64)], open: &[(f64, f64)], r: &Row<'_>, neighbour: &Row<'_>| {
        if r.size > body * HEADING_RATIO
            || (neighbour.y - r.y).abs() > spacing.line * r.size.max(neighbour.size)
        {
            return None;
        }
        let runs: Vec<(f64, f64)> = r
            .runs
            .iter()
            .copied()
            .filter(|&run| !(spacing.spans && spanning(run, open)))
            .collect();
        let (left, right) = (runs.first()?.0, runs.last()?.1);
        let after_cover = covered(cover, &runs);
        // A gutter the table has may narrow; a new one must be as wide as any.
        let after: Vec<(f64, f64)> = gutters(&after_cover, narrow)
            .into_iter()
            .filter(|a| a.1 - a.0 >= min || open.iter().any(|g| a.0 < g.1 && a.1 > g.0))
            .collect();
        // Every gutter inside the new line's reach stays open, as wide as the table
        // needs; only a line of one cell (a long word poking out of its column) may
        // narrow one below that.
        let one_cell = r.runs.len() == 1;
        open.iter()
            .filter(|g| g.1 > left && g.0 < right)
            .all(|g| {
                let least = if one_cell { narrow } else { min.min(g.1 - g.0) };
                after
                    .iter()
                    .any(|a| a.0 < g.1 && a.1 > g.0 && a.1 - a.0 >= least)
            })
            .then_some((after_cover, after))
    };
    let mut start = i;
    while start > 0 && !taken[start - 1] {
        match fits(&cover, &open, &rows[start - 1], &rows[start]) {
            Some((c, g)) => (cover, open, start) = (c, g, start - 1),
            None => break,
        }
    }
    let mut end = i + 1;
    while end < rows.len() && !taken[end] {
        match fits(&cover, &open, &rows[end], &rows[end - 1]) {
            Some((c, g)) => (cover, open, end) = (c, g, end + 1),
            None => break,
        }
    }
    (start, end, open)
}

/// One column's line: its baseline, size and glyphs.
#[derive(Clone)]
struct ColumnLine<'p> {
    y: f64,
    size: f64,
    glyphs: Vec<&'p Glyph>,
    /// Part of a cell spanning columns.
    spans: bool,
}

impl ColumnLine<'_> {
    fn top(&self) -> f64 {
        self.y + 0.85 * self.size
    }

    fn bottom(&self) -> f64 {
        self.y - 0.25 * self.size
    }

    fn starts_lower_case(&self) -> bool {
        self.glyphs
            .iter()
            .flat_map(|g| g.text.chars())
            .find(|c| !c.is_whitespace())
            .is_some_and(char::is_lowercase)
    }

    fn ends_sentence(&self) -> bool {
        self.glyphs
            .iter()
            .rev()
            .flat_map(|g| g.text.chars().rev())
            .find(|c| !c.is_whitespace())
            == Some('.')
    }

    /// Whether this line sits on baseline `y`.
    fn on(&self, y: f64) -> bool {
        (self.y - y).abs() < SAME_BASELINE * self.size
    }
}

/// Blocks of consecutive lines at normal spacing (indices into `lines`).
fn blocks(lines: &[ColumnLine<'_>]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match out.last_mut() {
            Some(b)
                if lines[i - 1].y - line.y <= BLOCK_SPACING * line.size.max(lines[i - 1].size) =>
            {
                b.end = i + 1
            }
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// The table the rows make with the `gutters` they leave open, if they make one.
fn build<'p>(rows: &[Row<'p>], gutters: &[(f64, f64)]) -> Option<TextTable<'p>> {
    if rows.len() < MIN_LINES || gutters.len() + 1 < MIN_COLUMNS {
        return None;
    }
    let size = rows.iter().map(|r| r.size).fold(0.0, f64::max);
    let cover = rows.iter().fold(Vec::new(), |c, r| covered(&c, &r.runs));
    // The table's extent is its cover's (non-empty: every row has a run).
    let left = cover.first()?.0 - 1.0;
    let right = cover.last()?.1 + 1.0;
    let mut xs = vec![left];
    xs.extend(gutters.iter().map(|g| (g.0 + g.1) / 2.0));
    xs.push(right);
    let cols = xs.len() - 1;

    // Each column's lines, top to bottom.
    let mut columns: Vec<Vec<ColumnLine<'p>>> = (0..cols).map(|_| Vec::new()).collect();
    let column_of = |x: f64| xs.windows(2).position(|w| x < w[1]).unwrap_or(cols - 1);
    for r in rows {
        let mut parts: Vec<Vec<&'p Glyph>> = vec![Vec::new(); cols];
        let mut spans = vec![false; cols];
        let spanned: Vec<(f64, f64)> = r
            .runs
            .iter()
            .copied()
            .filter(|&run| spanning(run, gutters))
            .collect();
        for &g in &r.glyphs {
            let x = g.center().0;
            // A spanning cell is each column's it spans (a price centred under both
            // networks is what either costs).
            match spanned.iter().find(|run| x >= run.0 && x <= run.1) {
                Some(run) => {
                    for col in column_of(run.0)..=column_of(run.1) {
                        parts[col].push(g);
                        spans[col] = true;
                    }
                }
                None => parts[column_of(x)].push(g),
            }
        }
        for (col, glyphs) in parts.into_iter().enumerate() {
            if glyphs.iter().any(|g| !g.is_blank()) {
                let size = glyphs.iter().map(|g| g.size).fold(0.0, f64::max);
                columns[col].push(ColumnLine {
                    y: r.y,
                    size,
                    glyphs,
                    spans: spans[col],
                });
            }
        }
    }

    // The header: down to the highest second block of a column whose first block is
    // at the top (below it a column has moved on to its first row). A spanning cell
    // ("Your Cost If You Use a") heads columns of its own and does not count.
    let head_top = rows[0].y - 2.0 * size;
    let header_end = columns
        .iter()
        .map(|lines| {
            lines
                .iter()
                .filter(|l| !l.spans)
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|lines| lines.first().is_some_and(|l| l.y >= head_top))
        .filter_map(|lines| blocks(&lines).get(1).map(|b| lines[b.start].y))
        .fold(f64::NEG_INFINITY, f64::max);
    if !header_end.is_finite() {
        return None;
    }
    let above = rows.iter().rev().find(|r| r.y > header_end)?;
    let header_cut = (above.y - 0.25 * above.size + header_end + 0.85 * size) / 2.0;

    // The rows below it: one per block of the anchor column.
    let body: Vec<Vec<ColumnLine<'p>>> = columns
        .iter()
        .map(|lines| lines.iter().filter(|l| l.y < header_cut).cloned().collect())
        .collect();
    let anchor = (1..cols).max_by_key(|&c| (blocks(&body[c]).len(), std::cmp::Reverse(c)))?;
    if blocks(&body[anchor]).len() < 2 {
        return None;
    }
    let (anchor_blocks, row_starts) = aligned_rows(&body, anchor);
    let others: Vec<&ColumnLine<'_>> = body[1..].iter().flatten().collect();
    let top = rows[0].y + size;
    let bottom = rows[rows.len() - 1].y - size;
    let mut ys = vec![top, header_cut];
    for pair in anchor_blocks.windows(2) {
        let upper = body[anchor][pair[0].end - 1].bottom();
        let lower = body[anchor][pair[1].start].top();
        ys.push(cut(&others, lower, upper));
    }
    ys.push(bottom);
    let bands = ys.len() - 1;
    let band_of = |y: f64| ys.windows(2).position(|w| y > w[1]).unwrap_or(bands - 1);

    // Each band's first baseline in the column beside the first (what the row names).
    let mut row_tops = vec![f64::NEG_INFINITY; bands];
    for line in &columns[1] {
        let top = &mut row_tops[band_of(line.y)];
        *top = top.max(line.y);
    }

    // Cells: band × column, row-major.
    let mut cells: Vec<Vec<&'p Glyph>> = vec![Vec::new(); bands * cols];
    for (col, lines) in columns.iter().enumerate() {
        if col == 0 {
            for (band, glyphs) in group_cells(lines, &ys, &row_tops, band_of) {
                cells[band * cols].extend(glyphs);
            }
            continue;
        }
        let across = if col == anchor {
            vec![None; lines.len()]
        } else {
            across_rows(lines, band_of)
        };
        let mut prev: Option<(usize, f64, f64)> = None;
        for (line, across) in lines.iter().zip(across) {
            if let Some(band) = across {
                cells[band * cols + col].extend(&line.glyphs);
                prev = Some((band, line.y, line.size));
                continue;
            }
            let mut band = band_of(line.y);
            if let Some((b, y, s)) = prev {
                // Not on a line found to start a row ("Imaging | none").
                let wrapped = b + 1 == band
                    && b > 0
                    && line.starts_lower_case()
                    && y - line.y <= BLOCK_SPACING * s.max(line.size)
                    && !row_starts.iter().any(|&r| line.on(r));
                if wrapped {
                    band = b;
                }
            }
            cells[band * cols + col].extend(&line.glyphs);
            prev = Some((band, line.y, line.size));
        }
    }
    let cell_of = (0..bands)
        .map(|b| (0..cols).map(|c| b * cols + c).collect())
        .collect();
    Some((
        Grid {
            xs,
            ys,
            cell_of,
            header_bands: 1,
            ruled: false,
            even: even_pitch(&columns, right),
        },
        cells,
    ))
}

/// The anchor column's blocks, each cut above a line that starts a whole row: every
/// column but the first has a line on its baseline and a line above it since the last
/// cut, and the row's name (the second column) does not continue a sentence there
/// ("Eye exam | No charge | Not covered", then "Glasses | Not covered | Not covered",
/// set without a gap between them; "Emergency room services | $100 copayment/visit |
/// After deductible" under a wrapped row). A row names something and says at least two
/// things about it; two columns beside the first may be two panels side by side (the
/// coverage examples' lists), whose lines are not rows. Also the baselines cut above.
fn aligned_rows(
    body: &[Vec<ColumnLine<'_>>],
    anchor: usize,
) -> (Vec<std::ops::Range<usize>>, Vec<f64>) {
    let lines = &body[anchor];
    if body.len() < 1 + MIN_ROW_CELLS {
        return (blocks(lines), Vec::new());
    }
    let at = |col: &[ColumnLine<'_>], y: f64| {
        col.iter().find(|l| l.on(y)).map(|l| !l.starts_lower_case())
    };
    // Whether the line at `y` starts a row, the last cut (or the block's top) at `top`.
    let starts_row = |top: f64, y: f64| {
        at(&body[1], y) == Some(true)
            && body[1..].iter().all(|col| {
                at(col, y).is_some()
                    && col
                        .iter()
                        .any(|l| l.y > y + SAME_BASELINE * l.size && l.y <= top)
            })
    };
    let (mut out, mut cuts) = (Vec::new(), Vec::new());
    for block in blocks(lines) {
        let mut start = block.start;
        let mut top = lines[start].y + BLOCK_SPACING * lines[start].size;
        for (i, line) in lines
            .iter()
            .enumerate()
            .take(block.end)
            .skip(block.start + 1)
        {
            if starts_row(top, line.y) {
                out.push(start..i);
                cuts.push(line.y);
                start = i;
                top = line.y + SAME_BASELINE * line.size;
            }
        }
        out.push(start..block.end);
    }
    (out, cuts)
}

/// For each of a column's `lines`, the row it goes to when it is part of a sentence
/// that runs across a row boundary beside a row with nothing else in the column
/// (`None` otherwise): Kaiser's durable medical equipment limitation, set right under
/// skilled nursing's with no gap, beside its own row's price. A sentence is the lines of
/// a block from one ending in a full stop back to the line it starts on (lines in lower
/// case run on). A sentence running on beside a row that has its own text stays where
/// it starts (a long limitation running past its row's end).
fn across_rows(lines: &[ColumnLine<'_>], band_of: impl Fn(f64) -> usize) -> Vec<Option<usize>> {
    let mut out = vec![None; lines.len()];
    for block in blocks(lines) {
        for i in block.clone() {
            if !lines[i].ends_sentence() {
                continue;
            }
            let mut start = i;
            while start > block.start && lines[start].starts_lower_case() {
                start -= 1;
            }
            let (first, last) = (&lines[start], &lines[i]);
            let (top, bottom) = (band_of(first.y), band_of(last.y));
            if top == 0 || top == bottom || first.starts_lower_case() {
                continue;
            }
            let beside = band_of((first.top() + last.bottom()) / 2.0);
            let piece = start..i + 1;
            let taken = (0..lines.len())
                .filter(|j| !piece.contains(j))
                .any(|j| band_of(lines[j].y) == beside);
            if !taken {
                out[piece].iter_mut().for_each(|slot| *slot = Some(beside));
            }
        }
    }
    out
}

/// The first column's cells, each in the band where the rows it groups start. The
/// header's lines are the first band's. Below, each block of lines is one cell. Set at
/// the top of its group (the first block starts on the first baseline of the first
/// row's name), a block starts where its first line is; set in the middle, its group
/// is the run of rows, from where the previous group ended, whose middle is nearest the
/// block's, or, for a later block set on the first line of a row's name, from that row.
/// `row_tops` are each band's first baseline in the names' column.
fn group_cells<'l, 'p>(
    lines: &'l [ColumnLine<'p>],
    ys: &[f64],
    row_tops: &[f64],
    band_of: impl Fn(f64) -> usize,
) -> Vec<(usize, &'l [&'p Glyph])> {
    let mut out: Vec<(usize, &'l [&'p Glyph])> = Vec::new();
    let split = lines
        .iter()
        .position(|l| band_of(l.y) > 0)
        .unwrap_or(lines.len());
    out.extend(lines[..split].iter().map(|l| (0, l.glyphs.as_slice())));
    let body = &lines[split..];
    let groups = blocks(body);
    let on_row_top = |block: &std::ops::Range<usize>| {
        let line = &body[block.start];
        line.on(row_tops[band_of(line.y)])
    };
    let centred = groups
        .first()
        .is_some_and(|b| band_of(body[b.start].y) > 1 || !on_row_top(b));
    let mut start = ys.get(1).copied().unwrap_or_default();
    for (i, block) in groups.iter().enumerate() {
        let band = if centred {
            // A later label on the first line of a row's name starts its group there.
            let own = band_of(body[block.start].y);
            if i > 0 && on_row_top(block) && own >= band_of(start - 0.01) {
                start = ys[own];
            }
            let middle = (body[block.start].top() + body[block.end - 1].bottom()) / 2.0;
            let next = groups.get(i + 1).map_or(f64::NEG_INFINITY, |b| {
                (body[b.start].top() + body[b.end - 1].bottom()) / 2.0
            });
            let first = band_of(start - 0.01);
            // The group's end: a row boundary between this middle and the next.
            let end = ys
                .iter()
                .copied()
                .filter(|&y| y < middle && y >= next)
                .min_by(|a, b| {
                    ((start + a) / 2.0 - middle)
                        .abs()
                        .total_cmp(&((start + b) / 2.0 - middle).abs())
                });
            if let Some(end) = end {
                start = end;
            }
            first
        } else {
            band_of(body[block.start].y)
        };
        out.extend(
            body[block.clone()]
                .iter()
                .map(|l| (band, l.glyphs.as_slice())),
        );
    }
    out
}

/// Whether the columns start at an even pitch (each step, and the last column's width,
/// within [`EVEN_PITCH`] of the others).
fn even_pitch(columns: &[Vec<ColumnLine<'_>>], right: f64) -> bool {
    let starts: Vec<f64> = columns
        .iter()
        .map(|lines| {
            lines
                .iter()
                .flat_map(|l| &l.glyphs)
                .filter(|g| !g.is_blank())
                .map(|g| g.x)
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    let mut steps: Vec<f64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    let (min, max) = steps.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &w| {
        (lo.min(w), hi.max(w))
    });
    steps.push(right - starts.last().copied().unwrap_or(right));
    min.is_finite()
        && min > 0.0
        && max <= EVEN_PITCH * min
        && steps.last().is_some_and(|&w| w <= EVEN_PITCH * max)
}

/// Where a row ends between `upper` (the bottom of one anchor block) and `lower` (the
/// top of the next): the middle of the widest white band there between `lines`, or
/// halfway when text fills it.
fn cut(lines: &[&ColumnLine<'_>], lower: f64, upper: f64) -> f64 {
    let (lo, hi) = (lower.min(upper), lower.max(upper));
    let mut ink: Vec<(f64, f64)> = lines
        .iter()
        .map(|l| (l.bottom().max(lo), l.top().min(hi)))
        .filter(|(b, t)| t > b)
        .collect();
    ink.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best = (0.0, (lo + hi) / 2.0);
    let mut reach = lo;
    for (b, t) in ink {
        if b - reach > best.0 {
            best = (b - reach, (b + reach) / 2.0);
        }
        reach = reach.max(t);
    }
    if hi - reach > best.0 {
        best = (hi - reach, (hi + reach) / 2.0);
    }
    best.1
}
