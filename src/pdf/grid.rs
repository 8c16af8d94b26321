//! Ruled tables: the grid a page's rules draw, its cells (merged where a rule is
//! missing), and the header rows.
//!
//! Rules are snapped together (a double line, where two boxes drawn apart meet, is one
//! rule touching what either stroke touches), grouped into tables (rules that touch),
//! and each table's distinct x and y positions cut it into grid units. Two neighbouring
//! units belong to one cell unless a rule separates them, so a "Common Medical Event"
//! spanning five service rows, or "What You Will Pay" spanning two columns, is one
//! cell. The header is the bands the top-left cell spans.

use super::ink::{Glyph, Rule};

/// Positions closer than this are the same line (page units).
const SNAP: f64 = 2.0;

/// A ruled table on a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Column boundaries, left to right.
    pub xs: Vec<f64>,
    /// Row boundaries, top to bottom (descending y).
    pub ys: Vec<f64>,
    /// For each band (row of units) and column, the cell id.
    pub cell_of: Vec<Vec<usize>>,
    /// Bands at the top that form the header.
    pub header_bands: usize,
    /// Drawn with rules (exact column boundaries), or read from text alone
    /// (boundaries in the gutters, which move a little from page to page).
    pub ruled: bool,
    /// Drawn without rules, in columns set at an even pitch: side-by-side panels (the
    /// SBC's coverage examples) look like this; most tables' columns differ (a narrow
    /// label, a wide note).
    pub even: bool,
}

impl Grid {
    /// Whether a point lies inside the table.
    pub fn contains(&self, (x, y): (f64, f64)) -> bool {
        self.locate((x, y)).is_some()
    }

    /// The `(band, column)` of a point inside the table.
    pub fn locate(&self, (x, y): (f64, f64)) -> Option<(usize, usize)> {
        let col = self.xs.windows(2).position(|w| x >= w[0] && x < w[1])?;
        let band = self.ys.windows(2).position(|w| y <= w[0] && y > w[1])?;
        Some((band, col))
    }

    /// The top edge.
    pub fn top(&self) -> f64 {
        self.ys.first().copied().unwrap_or_default()
    }

    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.cell_of
            .iter()
            .flatten()
            .max()
            .map_or(0, |&max| max + 1)
    }
}

/// A rule after merging, with the span of positions its strokes were drawn at. A double
/// line (each box's own edge, a point or so apart: tables drawn one group of rows at a
/// time) is one rule, and it touches whatever either of its strokes touches.
#[derive(Debug, Clone, Copy)]
struct Merged {
    rule: Rule,
    /// Lowest and highest stroke position.
    lo: f64,
    hi: f64,
}

/// Joins nearly collinear, overlapping or touching rules.
fn merge(mut rules: Vec<Rule>) -> Vec<Merged> {
    rules.sort_by(|a, b| a.at.total_cmp(&b.at).then(a.from.total_cmp(&b.from)));
    let mut out: Vec<Merged> = Vec::new();
    for rule in rules {
        match out
            .iter_mut()
            .rev()
            .take_while(|m| (rule.at - m.rule.at).abs() <= SNAP)
            .find(|m| rule.from <= m.rule.to + SNAP && rule.to >= m.rule.from - SNAP)
        {
            Some(m) => {
                m.rule.from = m.rule.from.min(rule.from);
                m.rule.to = m.rule.to.max(rule.to);
                m.lo = m.lo.min(rule.at);
                m.hi = m.hi.max(rule.at);
            }
            None => out.push(Merged {
                rule,
                lo: rule.at,
                hi: rule.at,
            }),
        }
    }
    out
}

/// Whether a horizontal and a vertical rule touch (either stroke of a double line).
fn touch(h: &Merged, v: &Merged) -> bool {
    v.hi >= h.rule.from - SNAP
        && v.lo <= h.rule.to + SNAP
        && h.hi >= v.rule.from - SNAP
        && h.lo <= v.rule.to + SNAP
}

/// Distinct positions, snapped: the mean of each run of close values.
fn distinct(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let mut groups: Vec<Vec<f64>> = Vec::new();
    for v in values {
        match groups.last_mut() {
            Some(g) if g.last().is_some_and(|&last| v - last <= SNAP) => g.push(v),
            _ => groups.push(vec![v]),
        }
    }
    groups
        .iter()
        .map(|g| g.iter().sum::<f64>() / g.len() as f64)
        .collect()
}

/// Whether some rule at `at` covers the point `along` (within the snap distance).
fn covered(rules: &[&Rule], at: f64, along: f64) -> bool {
    rules
        .iter()
        .any(|r| (r.at - at).abs() <= SNAP && along >= r.from - SNAP && along <= r.to + SNAP)
}

/// Whether some rule at `at` runs along a unit's whole side, `from..to`: a rule under
/// one term of a cell's text (a glossary link's underline, starting at the cell's
/// edge) does not divide it.
fn divides(rules: &[&Rule], at: f64, from: f64, to: f64) -> bool {
    [0.1, 0.5, 0.9]
        .iter()
        .all(|t| covered(rules, at, from + t * (to - from)))
}

/// Union-find root.
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The ruled tables a page draws, top to bottom. A table needs at least two columns and
/// two rows of units; rules that frame a single box are not a table.
pub fn find(horizontal: &[Rule], vertical: &[Rule]) -> Vec<Grid> {
    let (hs, vs) = (merge(horizontal.to_vec()), merge(vertical.to_vec()));
    // Group rules that touch: union-find over horizontals then verticals.
    let n = hs.len() + vs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    for (i, h) in hs.iter().enumerate() {
        for (j, v) in vs.iter().enumerate() {
            if touch(h, v) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, hs.len() + j));
                parent[a] = b;
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, (Vec<&Rule>, Vec<&Rule>)> =
        std::collections::BTreeMap::new();
    for i in 0..n {
        let r = root(&mut parent, i);
        let entry = groups.entry(r).or_default();
        if i < hs.len() {
            entry.0.push(&hs[i].rule);
        } else {
            entry.1.push(&vs[i - hs.len()].rule);
        }
    }
    let mut grids: Vec<Grid> = groups.values().filter_map(|(h, v)| grid(h, v)).collect();
    grids.sort_by(|a, b| b.top().total_cmp(&a.top()));
    grids
}

/// The grid of one group of touching rules, if it is a table.
fn grid(hs: &[&Rule], vs: &[&Rule]) -> Option<Grid> {
    if hs.len() < 2 || vs.len() < 2 {
        return None;
    }
    let xs = distinct(vs.iter().map(|r| r.at).collect());
    let mut ys = distinct(hs.iter().map(|r| r.at).collect());
    ys.reverse();
    let (cols, bands) = (xs.len().checked_sub(1)?, ys.len().checked_sub(1)?);
    if cols < 2 || bands < 2 {
        return None;
    }
    let unit = |band: usize, col: usize| band * cols + col;
    let mut parent: Vec<usize> = (0..bands * cols).collect();
    for band in 0..bands {
        for col in 0..cols {
            if col + 1 < cols && !divides(vs, xs[col + 1], ys[band + 1], ys[band]) {
                let (a, b) = (
                    root(&mut parent, unit(band, col)),
                    root(&mut parent, unit(band, col + 1)),
                );
                parent[a] = b;
            }
            if band + 1 < bands && !divides(hs, ys[band + 1], xs[col], xs[col + 1]) {
                let (a, b) = (
                    root(&mut parent, unit(band, col)),
                    root(&mut parent, unit(band + 1, col)),
                );
                parent[a] = b;
            }
        }
    }
    // Number cells in reading order of their first unit.
    let mut ids = vec![usize::MAX; bands * cols];
    let mut next = 0;
    let mut cell_of = vec![vec![0; cols]; bands];
    for (band, row) in cell_of.iter_mut().enumerate() {
        for (col, id) in row.iter_mut().enumerate() {
            let r = root(&mut parent, unit(band, col));
            if ids[r] == usize::MAX {
                ids[r] = next;
                next += 1;
            }
            *id = ids[r];
        }
    }
    // A table whose units all merged into one box is a frame, not a table.
    if next < 4 {
        return None;
    }
    let corner = cell_of[0][0];
    let header_bands = cell_of
        .iter()
        .take_while(|row| row[0] == corner)
        .count()
        .min(bands - 1);
    Some(Grid {
        xs,
        ys,
        cell_of,
        header_bands,
        ruled: true,
        even: false,
    })
}

/// The glyphs of each cell, in the order given.
pub fn split_cells<'g>(grid: &Grid, glyphs: &[&'g Glyph]) -> Vec<Vec<&'g Glyph>> {
    let mut cells = vec![Vec::new(); grid.cells()];
    for &g in glyphs {
        if let Some((band, col)) = grid.locate(g.center()) {
            cells[grid.cell_of[band][col]].push(g);
        }
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(y: f64, from: f64, to: f64) -> Rule {
        Rule { at: y, from, to }
    }

    #[test]
    fn merged_cells_and_a_two_band_header() {
        // Columns at 0, 100, 200, 300; the header's first cell spans two bands and the
        // last two columns share a "What You Will Pay" cell on the first band.
        let horizontal = vec![
            h(100.0, 0.0, 300.0),
            h(90.0, 100.0, 300.0), // under "What You Will Pay" and beside it
            h(80.0, 0.0, 300.0),   // end of header
            h(60.0, 100.0, 300.0), // the first column's cell spans two rows
            h(40.0, 0.0, 300.0),
        ];
        let vertical = vec![
            h(0.0, 40.0, 100.0),
            h(100.0, 40.0, 100.0),
            h(200.0, 40.0, 90.0), // not through "What You Will Pay"
            h(300.0, 40.0, 100.0),
        ];
        let grids = find(&horizontal, &vertical);
        assert_eq!(grids.len(), 1);
        let g = &grids[0];
        assert_eq!(g.xs, [0.0, 100.0, 200.0, 300.0]);
        assert_eq!(g.ys, [100.0, 90.0, 80.0, 60.0, 40.0]);
        assert_eq!(g.header_bands, 2);
        assert_eq!(g.cell_of[0][1], g.cell_of[0][2], "spanning header cell");
        assert_eq!(g.cell_of[0][0], g.cell_of[1][0]);
        assert_eq!(g.cell_of[2][0], g.cell_of[3][0], "merged first column");
        assert_ne!(g.cell_of[2][1], g.cell_of[3][1]);
        assert_eq!(g.locate((150.0, 70.0)), Some((2, 1)));
        assert_eq!(g.locate((150.0, 30.0)), None);
    }

    #[test]
    fn boxes_drawn_apart_meet_at_a_double_rule() {
        // A header box and a group of rows below, each drawn as its own box: the header's
        // bottom edge (80.2) and the group's top edge (79.0) make a double line, and the
        // header's sides stop 1.2 above it, more than the snap distance from the group's
        // edge. Read apart, the header box has no bottom and the group's first row became
        // the header.
        let horizontal = vec![
            h(100.0, 0.0, 300.0),
            h(80.2, 0.0, 300.0),   // the header box's bottom
            h(79.0, 0.0, 300.0),   // the group's top
            h(60.0, 100.0, 300.0), // the group's first cell spans both rows
            h(40.0, 0.0, 300.0),
        ];
        let vertical = [0.0, 100.0, 200.0, 300.0]
            .iter()
            .flat_map(|&x| [h(x, 81.4, 100.0), h(x, 40.0, 79.0)])
            .collect::<Vec<_>>();
        let grids = find(&horizontal, &vertical);
        assert_eq!(grids.len(), 1);
        let g = &grids[0];
        assert_eq!(
            g.ys,
            [100.0, 79.0, 60.0, 40.0],
            "one table, not the group alone headed by its first row"
        );
        assert_eq!(g.header_bands, 1);
        assert_ne!(
            g.cell_of[0][0], g.cell_of[1][0],
            "the header is its own band"
        );
        assert_eq!(g.cell_of[1][0], g.cell_of[2][0], "the group spans its rows");
        assert_ne!(g.cell_of[1][1], g.cell_of[2][1]);
    }

    #[test]
    fn an_underline_from_a_cells_edge_does_not_divide_it() {
        // UHC's 2025 SBC: "prescription drug coverage" underlined as a glossary link,
        // at the left edge of the first column's cell, which spans both rows.
        let horizontal = vec![
            h(100.0, 0.0, 300.0),
            h(80.0, 0.0, 300.0),
            h(60.0, 100.0, 300.0),
            h(55.0, 0.0, 70.0), // the underline, touching the table's left side
            h(40.0, 0.0, 300.0),
        ];
        let vertical = [0.0, 100.0, 200.0, 300.0]
            .iter()
            .map(|&x| h(x, 40.0, 100.0))
            .collect::<Vec<_>>();
        let grids = find(&horizontal, &vertical);
        assert_eq!(grids.len(), 1);
        let g = &grids[0];
        let first_column: Vec<usize> = g.cell_of.iter().skip(1).map(|row| row[0]).collect();
        assert!(
            first_column.iter().all(|&c| c == first_column[0]),
            "the group's cell spans its rows: {:?}",
            g.cell_of
        );
        assert_ne!(g.locate((150.0, 70.0)), g.locate((150.0, 45.0)));
    }

    #[test]
    fn a_frame_or_lone_lines_are_not_tables() {
        let frame = find(
            &[h(100.0, 0.0, 300.0), h(0.0, 0.0, 300.0)],
            &[h(0.0, 0.0, 100.0), h(300.0, 0.0, 100.0)],
        );
        assert!(frame.is_empty());
        assert!(find(&[h(10.0, 0.0, 100.0)], &[]).is_empty());
    }
}
