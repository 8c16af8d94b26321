//! What one page draws that the layout needs: glyphs with their positions and sizes, and
//! the thin lines and bars that rule tables. Collected through pdf-extract's `OutputDev`.

use pdf_extract::{ColorSpace, MediaBox, OutputDev, OutputError, Path, PathOp, Transform};
use serde::{Deserialize, Serialize};

/// A glyph: its text, the left end of its baseline, its advance and its size, in page
/// units with y growing upwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Glyph {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub size: f64,
    pub text: String,
}

impl Glyph {
    /// Whether it leaves no ink (a space): it separates words but is no text.
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// The point that decides which cell or line the glyph belongs to.
    pub fn center(&self) -> (f64, f64) {
        (self.x + self.width / 2.0, self.y + self.size * 0.3)
    }
}

/// A horizontal (`y`, `from..to` in x) or vertical (`x`, `from..to` in y) rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub at: f64,
    pub from: f64,
    pub to: f64,
}

/// One page's ink, in the page's upright frame: the page's `/Rotate` applied, so a
/// landscape page stored as a portrait media box with rotated text reads left to right.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageInk {
    /// 1-based page number.
    pub page: u32,
    /// Page height as displayed (the media box, turned by `/Rotate`), for telling
    /// margins from body.
    pub height: f64,
    pub glyphs: Vec<Glyph>,
    pub horizontal: Vec<Rule>,
    pub vertical: Vec<Rule>,
}

/// Thickest bar still taken as a rule rather than a shaded area, in page units.
const RULE_THICKNESS: f64 = 2.5;
/// Shortest rule kept.
const RULE_MIN_LENGTH: f64 = 3.0;

/// Most glyphs kept per page: a page drawing more is pathological (or hostile), and the
/// rest is dropped so layout time and memory stay bounded.
pub const MAX_GLYPHS_PER_PAGE: usize = 200_000;
/// Most rules kept per page, for the same reason.
pub const MAX_RULES_PER_PAGE: usize = 20_000;

/// Collects a page's ink.
pub struct Collector {
    pub ink: PageInk,
    /// The page's `/Rotate`: 0, 90, 180 or 270 (degrees clockwise when displayed).
    rotation: u16,
    media_box: MediaBox,
}

impl Collector {
    /// A collector for page `page` whose `/Rotate` is `rotation` (see [`rotation`]).
    pub fn new(page: u32, rotation: u16) -> Self {
        Self {
            ink: PageInk {
                page,
                ..PageInk::default()
            },
            rotation,
            media_box: MediaBox {
                llx: 0.0,
                lly: 0.0,
                urx: 0.0,
                ury: 0.0,
            },
        }
    }

    /// A point in user space (after the CTM) in the upright page frame: the page's
    /// rotation applied, y growing upwards from the bottom of the displayed page.
    fn upright(&self, x: f64, y: f64) -> (f64, f64) {
        let MediaBox { llx, lly, urx, ury } = self.media_box;
        match self.rotation {
            90 => (y - lly, urx - x),
            180 => (urx - x, ury - y),
            270 => (ury - y, x - llx),
            _ => (x, y - lly),
        }
    }

    fn add_rule(&mut self, from: (f64, f64), to: (f64, f64)) {
        if self.ink.horizontal.len() + self.ink.vertical.len() >= MAX_RULES_PER_PAGE {
            return;
        }
        let ((x0, y0), (x1, y1)) = (self.upright(from.0, from.1), self.upright(to.0, to.1));
        let (w, h) = ((x1 - x0).abs(), (y1 - y0).abs());
        if !(w.is_finite() && h.is_finite()) {
            return;
        }
        if h <= RULE_THICKNESS && w >= RULE_MIN_LENGTH {
            self.ink.horizontal.push(Rule {
                at: (y0 + y1) / 2.0,
                from: x0.min(x1),
                to: x0.max(x1),
            });
        } else if w <= RULE_THICKNESS && h >= RULE_MIN_LENGTH {
            self.ink.vertical.push(Rule {
                at: (x0 + x1) / 2.0,
                from: y0.min(y1),
                to: y0.max(y1),
            });
        }
    }

    /// The rules a path draws: thin rectangles, and the straight segments of a stroke.
    fn add_path(&mut self, ctm: &Transform, path: &Path, stroked: bool) {
        let at = |x: f64, y: f64| apply(ctm, x, y);
        let mut current = None;
        let mut start = None;
        for op in &path.ops {
            match *op {
                PathOp::Rect(x, y, w, h) => {
                    let (a, b, c) = (at(x, y), at(x + w, y), at(x, y + h));
                    let d = at(x + w, y + h);
                    if stroked {
                        for (p, q) in [(a, b), (b, d), (d, c), (c, a)] {
                            self.add_rule(p, q);
                        }
                    } else {
                        let xs = [a.0, b.0, c.0, d.0];
                        let ys = [a.1, b.1, c.1, d.1];
                        let min = |v: [f64; 4]| v.iter().copied().fold(f64::INFINITY, f64::min);
                        let max = |v: [f64; 4]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        self.add_rule_box(min(xs), min(ys), max(xs), max(ys));
                    }
                }
                PathOp::MoveTo(x, y) => {
                    current = Some(at(x, y));
                    start = current;
                }
                PathOp::LineTo(x, y) => {
                    let to = at(x, y);
                    if let (Some(from), true) = (current, stroked) {
                        self.add_rule(from, to);
                    }
                    current = Some(to);
                }
                PathOp::CurveTo(_, _, _, _, x, y) => current = Some(at(x, y)),
                PathOp::Close => {
                    if let (Some(from), Some(to), true) = (current, start, stroked) {
                        self.add_rule(from, to);
                    }
                    current = start;
                }
            }
        }
    }

    /// A filled box is a rule when it is thin in one direction.
    fn add_rule_box(&mut self, x0: f64, y0: f64, x1: f64, y1: f64) {
        let (w, h) = (x1 - x0, y1 - y0);
        if h <= RULE_THICKNESS {
            let y = (y0 + y1) / 2.0;
            self.add_rule((x0, y), (x1, y));
        } else if w <= RULE_THICKNESS {
            let x = (x0 + x1) / 2.0;
            self.add_rule((x, y0), (x, y1));
        }
    }
}

/// A page's `/Rotate` value as 0, 90, 180 or 270; a value that is not a multiple of 90
/// (invalid) counts as 0.
pub fn rotation(rotate: i64) -> u16 {
    if rotate % 90 == 0 {
        rotate.rem_euclid(360) as u16
    } else {
        0
    }
}

/// `(x, y)` mapped by a PDF matrix (row vectors: `[x y 1] × M`).
fn apply(m: &Transform, x: f64, y: f64) -> (f64, f64) {
    (x * m.m11 + y * m.m21 + m.m31, x * m.m12 + y * m.m22 + m.m32)
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _page: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        // Normalized, so a box given by other corners still maps the page onto itself.
        self.media_box = MediaBox {
            llx: media_box.llx.min(media_box.urx),
            lly: media_box.lly.min(media_box.ury),
            urx: media_box.llx.max(media_box.urx),
            ury: media_box.lly.max(media_box.ury),
        };
        self.ink.height = if self.rotation % 180 == 90 {
            (media_box.urx - media_box.llx).abs()
        } else {
            (media_box.ury - media_box.lly).abs()
        };
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        if self.ink.glyphs.len() >= MAX_GLYPHS_PER_PAGE {
            return Ok(());
        }
        // The side of the square with the area of the scaled em box (as pdf-extract's
        // own text output measures it).
        let (sx, sy) = (
            font_size * (trm.m11 + trm.m21),
            font_size * (trm.m12 + trm.m22),
        );
        let size = (sx * sy).abs().sqrt();
        let (x, y) = self.upright(trm.m31, trm.m32);
        if !(x.is_finite() && y.is_finite() && size.is_finite() && width.is_finite()) {
            return Ok(());
        }
        self.ink.glyphs.push(Glyph {
            x,
            y,
            width: width * size,
            size,
            text: text.to_owned(),
        });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn stroke(
        &mut self,
        ctm: &Transform,
        _colorspace: &ColorSpace,
        _color: &[f64],
        path: &Path,
    ) -> Result<(), OutputError> {
        self.add_path(ctm, path, true);
        Ok(())
    }

    fn fill(
        &mut self,
        ctm: &Transform,
        _colorspace: &ColorSpace,
        _color: &[f64],
        path: &Path,
    ) -> Result<(), OutputError> {
        self.add_path(ctm, path, false);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::LayoutBlock;
    use crate::pdf::assemble::layout;

    /// A letter-size page (portrait media box) whose `/Rotate` is `rotation`.
    fn letter(rotation: u16) -> Collector {
        let mut c = Collector::new(1, rotation);
        let media_box = MediaBox {
            llx: 0.0,
            lly: 0.0,
            urx: 612.0,
            ury: 792.0,
        };
        c.begin_page(1, &media_box, None).unwrap();
        c
    }

    /// Draws `text` at 10 units, 0.5 em per character, from `(x, y)` in user space
    /// along `(dx, dy)` (a unit vector: the text matrix's direction).
    fn draw(c: &mut Collector, text: &str, (x, y): (f64, f64), (dx, dy): (f64, f64)) {
        for (i, ch) in text.chars().enumerate() {
            let at = i as f64 * 5.0;
            let trm = Transform::row_major(
                10.0 * dx,
                10.0 * dy,
                -10.0 * dy,
                10.0 * dx,
                x + at * dx,
                y + at * dy,
            );
            c.output_character(&trm, 0.5, 0.0, 1.0, &ch.to_string())
                .unwrap();
        }
    }

    #[test]
    fn a_rotated_page_is_read_upright() {
        // A landscape page stored the way Word → PostScript → Distiller stores it: a
        // portrait media box, `/Rotate 90`, and every line drawn running up the page.
        let mut c = letter(90);
        draw(&mut c, "Specialist visit", (100.0, 200.0), (0.0, 1.0));
        draw(&mut c, "No charge", (112.0, 200.0), (0.0, 1.0));
        let line = Path {
            ops: vec![PathOp::MoveTo(50.0, 100.0), PathOp::LineTo(50.0, 700.0)],
        };
        c.add_path(&Transform::identity(), &line, true);
        let ink = c.ink;
        assert_eq!(ink.height, 612.0, "the displayed page is landscape");
        let first = &ink.glyphs[..16];
        assert!(first.iter().all(|g| g.y == 512.0 && g.size == 10.0));
        assert!(
            first.windows(2).all(|w| w[1].x - w[0].x == 5.0),
            "left to right"
        );
        assert_eq!((first[0].x, first[0].width), (200.0, 5.0));
        assert_eq!(ink.glyphs[16].y, 500.0, "the next line is below");
        assert_eq!(
            ink.horizontal,
            [Rule {
                at: 562.0,
                from: 100.0,
                to: 700.0
            }]
        );
        assert!(ink.vertical.is_empty());
        let read = layout(&[ink]);
        let texts: Vec<&str> = read
            .blocks
            .iter()
            .map(|b| match b {
                LayoutBlock::Paragraph { text, .. } | LayoutBlock::Heading { text, .. } => {
                    text.as_str()
                }
                LayoutBlock::Row { .. } => "row",
            })
            .collect();
        assert_eq!(texts, ["Specialist visit No charge"]);
    }

    #[test]
    fn every_rotation_maps_the_page_onto_itself() {
        // The displayed page's top left corner, and a line's direction there.
        for (rotation, corner, direction) in [
            (0, (0.0, 792.0), (1.0, 0.0)),
            (90, (0.0, 0.0), (0.0, 1.0)),
            (180, (612.0, 0.0), (-1.0, 0.0)),
            (270, (612.0, 792.0), (0.0, -1.0)),
        ] {
            let mut c = letter(rotation);
            draw(&mut c, "ab", corner, direction);
            let g = &c.ink.glyphs;
            let height = if rotation % 180 == 90 { 612.0 } else { 792.0 };
            assert_eq!((g[0].x, g[0].y), (0.0, height), "{rotation}");
            assert_eq!((g[1].x, g[1].y), (5.0, height), "{rotation}");
            assert_eq!(c.ink.height, height);
        }
        assert_eq!(rotation(-90), 270);
        assert_eq!(rotation(450), 90);
        assert_eq!(rotation(45), 0, "not a multiple of 90: ignored");
    }
}
