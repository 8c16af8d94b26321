//! Lists set in side-by-side columns outside tables, read column by column.
//!
//! Every SBC ends with a box of two or three columns of bullets ("Services Your Plan
//! Generally Does NOT Cover: • Cosmetic surgery • Long-term care …", then "Other Covered
//! Services: • Acupuncture - 10 visits/calendar year …"), and handbooks set lists the
//! same way. Read line by line across the page, the columns interleave and a wrapped
//! item is cut in two ("• Acupuncture - 10 visits/calendar year for disease, •
//! Infertility treatment - For more … injury & chronic pain."). Here:
//!
//! * **Where.** Lines are cut into runs at gaps wider than their text size, and also
//!   before a bullet half a text size or more after the ink before it when a line near
//!   it starts a run with a bullet at the same place (a column that runs close to the
//!   next one's item); a run that is only a bullet joins the text after it. A line
//!   with bullets in two or more of its runs seeds a block; lines above and below join
//!   while they leave every gutter open (a line across the page closes them, as in
//!   `stream.rs`) and no blank line separates them.
//! * **Which.** The block is kept when its gutters cut it into at least two columns of
//!   which at least two start items with a bullet: a form or a table without rules
//!   ("Deductible   $500") has no bullets and stays as it was read.
//! * **Order.** Each run goes to the column under its middle; the block is read column
//!   by column, top to bottom, within the vertical space it took on the page, so that
//!   what comes before and after it keeps its place.

use super::assemble::HEADING_RATIO;
use super::ink::Glyph;
use super::stream::{covered, grow, gutters, Row, Spacing, MAX_LINES};

/// Characters that start a list item.
const BULLETS: &[char] = &[
    '•', '●', '▪', '◦', '■', '○', '·', '◆', '►', '➢', '✓',
    // Symbol-font bullets, as PDFs without a Unicode map for them give them.
    '\u{f0b7}', '\u{f0a7}',
];
/// Narrowest gutter between columns, in text sizes.
const MIN_GUTTER: f64 = 0.85;
/// A bullet this far (in text sizes) after the ink before it on its line starts a run
/// of its own: an item of the next column, where the column before runs close to it
/// (UHC's "● Non-emergency care when travelling outside -   ● Routine Foot Care"). A
/// word space is about a quarter of the text size.
const ITEM_GAP: f64 = 0.5;
/// Lines further apart than this (baseline to baseline, in text sizes) are not in the
/// same block.
const MAX_LINE_GAP: f64 = 2.5;

/// Whether a text starts a list item (a bullet, after any space).
pub(super) fn starts_item(text: &str) -> bool {
    text.trim_start().starts_with(BULLETS)
}

/// A glyph line in reading order: its sort key (the baseline, or for a line of a
/// column block a key inside the block's vertical span that orders it column by
/// column) and its glyphs, left to right.
pub(super) type Ordered<'p> = (f64, Vec<&'p Glyph>);

/// Takes the column blocks out of a page's glyph lines (top to bottom, each left to
/// right): the lines outside them, in order and cut into runs for the text-table finder
/// ([`super::stream::find`]), and the blocks' pieces, one line per column run, keyed
/// column by column. Blank lines are dropped.
pub(super) fn split<'p>(lines: Vec<Vec<&'p Glyph>>, body: f64) -> (Vec<Row<'p>>, Vec<Ordered<'p>>) {
    // A bullet set apart from its item ("•      Cosmetic surgery") is not a column, for
    // lists and text tables alike.
    let mut rows: Vec<Row<'p>> = lines
        .into_iter()
        .filter_map(super::stream::row)
        .map(|mut row| {
            join_bullets(&mut row);
            row
        })
        .collect();
    cut_at_bullets(&mut rows);
    if rows.len() > MAX_LINES {
        return (rows, Vec::new());
    }
    let spacing = Spacing {
        gutter: MIN_GUTTER,
        line: MAX_LINE_GAP,
        spans: false,
    };
    let mut taken = vec![false; rows.len()];
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let seed = &rows[i];
        if !taken[i] && seed.size <= body * HEADING_RATIO && bullets(seed) >= 2 {
            let (start, end, _) = grow(&rows, &taken, i, &spacing, body);
            if let Some(ordered) = read_block(&rows[start..end]) {
                taken[start..end].iter_mut().for_each(|t| *t = true);
                pieces.extend(ordered);
                i = end;
                continue;
            }
        }
        i += 1;
    }
    let rest = rows
        .into_iter()
        .zip(taken)
        .filter(|(_, t)| !t)
        .map(|(r, _)| r)
        .collect();
    (rest, pieces)
}

/// How many of a line's runs start a list item.
fn bullets(r: &Row<'_>) -> usize {
    r.runs
        .iter()
        .filter(|&&run| starts_item(&run_text(r, run)))
        .count()
}

/// Where a line's runs start with a bullet.
fn bullet_starts(r: &Row<'_>) -> Vec<f64> {
    r.runs
        .iter()
        .filter(|&&run| starts_item(&run_text(r, run)))
        .map(|run| run.0)
        .collect()
}

/// Cuts each row's runs before a bullet set [`ITEM_GAP`] or more after the ink before
/// it, where a line near it (within [`MAX_LINE_GAP`]) starts a run with a bullet at the
/// same place: the next column's item, on a line where the column before runs close to
/// it. A bullet inside a run on every line (a list whose columns are never apart) is
/// left as it is.
fn cut_at_bullets(rows: &mut [Row<'_>]) {
    // Only a bullet after other ink on its line can be cut before: most pages have none,
    // and then nothing below runs.
    let cut_here: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            let mut ink = rows[i].glyphs.iter().filter(|g| !g.is_blank()).skip(1);
            ink.any(|g| g.text.trim().starts_with(BULLETS))
        })
        .collect();
    if cut_here.is_empty() {
        return;
    }
    let starts: Vec<Vec<f64>> = rows.iter().map(bullet_starts).collect();
    for i in cut_here {
        let row = &rows[i];
        // Lines within reach above and below, nearest first (rows go top to bottom).
        let reach = MAX_LINE_GAP * row.size;
        let near = |x: f64| {
            let within = |&j: &usize| (rows[j].y - row.y).abs() <= reach;
            let above = (0..i).rev().take_while(within);
            let below = (i + 1..rows.len()).take_while(within);
            above
                .chain(below)
                .any(|j| starts[j].iter().any(|s| (s - x).abs() <= 0.5 * row.size))
        };
        let gap = ITEM_GAP * row.size;
        let mut runs = Vec::with_capacity(row.runs.len());
        for &(from, to) in &row.runs {
            let mut start = from;
            let mut end: Option<f64> = None;
            for g in row
                .glyphs
                .iter()
                .filter(|g| !g.is_blank() && in_run(g, (from, to)))
            {
                let right = g.x + g.width.max(0.0);
                if let Some(e) = end {
                    if g.x - e >= gap && g.text.trim().starts_with(BULLETS) && near(g.x) {
                        runs.push((start, e));
                        start = g.x;
                    }
                }
                end = Some(end.map_or(right, |e| e.max(right)));
            }
            runs.push((start, to));
        }
        if runs.len() > rows[i].runs.len() {
            // A bullet cut from the run before it may stand apart from its item.
            rows[i].runs = runs;
            join_bullets(&mut rows[i]);
        }
    }
}

/// A row's runs with each bullet-only run joined to the run after it ("●     Acupuncture").
fn join_bullets(row: &mut Row<'_>) {
    let mut runs: Vec<(f64, f64)> = Vec::with_capacity(row.runs.len());
    let mut pending: Option<f64> = None;
    for &(from, to) in &row.runs {
        let text = run_text(row, (from, to));
        if text.chars().all(|c| BULLETS.contains(&c)) && !text.is_empty() {
            pending.get_or_insert(from);
            continue;
        }
        runs.push((pending.take().unwrap_or(from), to));
    }
    if let Some(from) = pending {
        runs.push((from, row.right()));
    }
    row.runs = runs;
}

/// The ink of a run, without spaces.
fn run_text(row: &Row<'_>, (from, to): (f64, f64)) -> String {
    row.glyphs
        .iter()
        .filter(|g| !g.is_blank() && in_run(g, (from, to)))
        .map(|g| g.text.trim())
        .collect()
}

fn in_run(g: &Glyph, (from, to): (f64, f64)) -> bool {
    let mid = g.x + g.width.max(0.0) / 2.0;
    mid >= from - 0.5 && mid <= to + 0.5
}

/// A block of lines (grown around a seed) read column by column, if its gutters cut
/// it into columns of which at least two start items with bullets.
fn read_block<'p>(block: &[Row<'p>]) -> Option<Vec<Ordered<'p>>> {
    let min = MIN_GUTTER * block.iter().map(|r| r.size).fold(0.0, f64::max);
    let cover = block.iter().fold(Vec::new(), |c, r| covered(&c, &r.runs));
    let open = gutters(&cover, min);
    // Columns: the spans between the gutters.
    let edges: Vec<f64> = open.iter().map(|g| (g.0 + g.1) / 2.0).collect();
    let column_of = |x: f64| edges.iter().filter(|&&e| x > e).count();
    let mut with_bullets = vec![false; edges.len() + 1];
    let mut pieces: Vec<(usize, usize, Vec<&'p Glyph>)> = Vec::new();
    for (n, r) in block.iter().enumerate() {
        for &run in &r.runs {
            let col = column_of((run.0 + run.1) / 2.0);
            if starts_item(&run_text(r, run)) {
                with_bullets[col] = true;
            }
            let glyphs: Vec<&'p Glyph> = r
                .glyphs
                .iter()
                .copied()
                .filter(|g| in_run(g, run))
                .collect();
            pieces.push((col, n, glyphs));
        }
    }
    if edges.is_empty() || with_bullets.iter().filter(|&&b| b).count() < 2 {
        return None;
    }
    pieces.sort_by_key(|&(col, n, _)| (col, n));
    let top = block.first().map_or(0.0, |r| r.y);
    let bottom = block.last().map_or(top, |r| r.y);
    let step = if pieces.len() > 1 {
        (top - bottom) / (pieces.len() - 1) as f64
    } else {
        0.0
    };
    let ordered = pieces
        .into_iter()
        .enumerate()
        .map(|(k, (_, _, glyphs))| (top - step * k as f64, glyphs))
        .collect();
    Some(ordered)
}

#[cfg(test)]
mod tests {
    use super::super::assemble::line_text;
    use super::*;

    /// Glyphs of `text` from `x`, one per character, 5 wide, with spaces as blanks.
    fn words(text: &str, x: f64, y: f64) -> Vec<Glyph> {
        text.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                x: x + 5.0 * i as f64,
                y,
                width: 5.0,
                size: 10.0,
                text: c.to_string(),
            })
            .collect()
    }

    fn line(parts: &[(f64, &str)], y: f64) -> Vec<Glyph> {
        parts.iter().flat_map(|&(x, t)| words(t, x, y)).collect()
    }

    fn read(lines: &[Vec<Glyph>]) -> Vec<String> {
        let rows: Vec<Vec<&Glyph>> = lines.iter().map(|l| l.iter().collect()).collect();
        let (rest, mut ordered) = split(rows, 10.0);
        ordered.extend(rest.into_iter().map(|r| (r.y, r.glyphs)));
        ordered.sort_by(|a, b| b.0.total_cmp(&a.0));
        ordered.iter().map(|(_, g)| line_text(g)).collect()
    }

    #[test]
    fn bulleted_columns_read_column_by_column() {
        let lines = vec![
            line(
                &[(0.0, "Other Covered Services (this is not a complete list)")],
                500.0,
            ),
            line(
                &[
                    (0.0, "• Acupuncture - 10 visits"),
                    (200.0, "●     Infertility - see"),
                ],
                488.0,
            ),
            line(
                &[(8.0, "for chronic pain."), (208.0, "your policy.")],
                476.0,
            ),
            line(
                &[
                    (0.0, "• Bariatric surgery"),
                    (200.0, "• Private-duty nursing"),
                ],
                464.0,
            ),
            line(
                &[(
                    0.0,
                    "Your Rights to Continue Coverage: agencies can help you continue",
                )],
                440.0,
            ),
        ];
        assert_eq!(
            read(&lines),
            [
                "Other Covered Services (this is not a complete list)",
                "• Acupuncture - 10 visits",
                "for chronic pain.",
                "• Bariatric surgery",
                "● Infertility - see",
                "your policy.",
                "• Private-duty nursing",
                "Your Rights to Continue Coverage: agencies can help you continue",
            ]
        );
    }

    #[test]
    fn a_column_that_runs_close_to_the_next_bullet_stays_apart() {
        // UHC's exclusions box: one item of the left column ends 9 (0.9 text sizes)
        // before the right column's bullet, closer than lines are cut into runs.
        let lines = vec![
            line(
                &[(0.0, "• Cosmetic surgery"), (149.0, "• Dental care")],
                500.0,
            ),
            line(
                &[
                    (0.0, "• Non-emergency care outside"),
                    (149.0, "• Routine foot care"),
                ],
                488.0,
            ),
            line(&[(8.0, "the U.S."), (149.0, "• Weight loss")], 476.0),
        ];
        assert_eq!(
            read(&lines),
            [
                "• Cosmetic surgery",
                "• Non-emergency care outside",
                "the U.S.",
                "• Dental care",
                "• Routine foot care",
                "• Weight loss",
            ]
        );
    }

    #[test]
    fn forms_and_single_bullets_keep_their_lines() {
        // Two columns without bullets: a label and its value stay on one line.
        let form = vec![
            line(&[(0.0, "Deductible"), (200.0, "$500 individual")], 500.0),
            line(
                &[(0.0, "Out-of-pocket limit"), (200.0, "$3,000 individual")],
                488.0,
            ),
            line(&[(0.0, "Network"), (200.0, "Yes")], 476.0),
        ];
        assert_eq!(
            read(&form),
            [
                "Deductible $500 individual",
                "Out-of-pocket limit $3,000 individual",
                "Network Yes"
            ]
        );
        // One bulleted column beside plain text is not a column block either.
        let list = vec![
            line(&[(0.0, "• Cosmetic surgery"), (200.0, "Call us")], 500.0),
            line(&[(0.0, "• Long-term care"), (200.0, "any day")], 488.0),
        ];
        assert_eq!(
            read(&list),
            ["• Cosmetic surgery Call us", "• Long-term care any day"]
        );
    }
}
