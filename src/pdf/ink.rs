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

/// One page's ink.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageInk {
    /// 1-based page number.
    pub page: u32,
    /// Page height (the media box), for telling margins from body.
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
    origin_y: f64,
}

impl Collector {
    pub fn new(page: u32) -> Self {
        Self {
            ink: PageInk {
                page,
                ..PageInk::default()
            },
            origin_y: 0.0,
        }
    }

    fn add_rule(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64)) {
        if self.ink.horizontal.len() + self.ink.vertical.len() >= MAX_RULES_PER_PAGE {
            return;
        }
        let (y0, y1) = (y0 - self.origin_y, y1 - self.origin_y);
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
        self.origin_y = media_box.lly;
        self.ink.height = (media_box.ury - media_box.lly).abs();
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
        let (x, y) = (trm.m31, trm.m32 - self.origin_y);
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
