//! Reading members' PDFs (SBCs, handbooks, riders) into a [`Layout`](crate::engine::chunk::Layout) the chunker cuts
//! the same way natively (`benefind bundle build`) and in the browser (the lazily
//! loaded PDF module, see `pkg-scripts/build.sh`).
//!
//! # How a PDF is read
//!
//! [pdf-extract](https://crates.io/crates/pdf-extract) (over lopdf) decodes each page's
//! content: every glyph with its position and size, and every path. The layout is this
//! module's own:
//!
//! * glyphs become lines (by baseline) and words (by gaps); ligatures are spelled out;
//! * lines in the top and bottom tenth of the page that repeat on at least two pages
//!   and a third of them ("Page 3 of 8", form numbers, a running title) are dropped,
//!   and so are page numbers;
//! * lines clearly larger than the body text are headings, levels by size;
//! * other lines form paragraphs (a paragraph cut by a page break continues);
//! * thin filled bars and stroked lines rule tables: each table's cells (merged where a
//!   rule is missing) give rows, and each row becomes a [`LayoutBlock::Row`](crate::engine::chunk::LayoutBlock::Row) carrying its
//!   column headers. A table that continues on the next page (same columns, at the top of
//!   the page) keeps its header, repeated or not, and an empty first cell continues the
//!   cell above. The SBC template's table ("Common Medical Event | Services You May Need
//!   | What You Will Pay | Limitations…") comes out one row per service.
//!
//! * tables drawn without rules (the 2012–2016 SBC template, schedules of benefits,
//!   the coverage examples set side by side) are found from their white gutters, their
//!   rows from the column whose cells stand apart, and read the same way; a group label
//!   ("Common Medical Event") set in the middle of its rows labels all of them. Two
//!   columns (a contents list) and prose stay text. See `stream.rs` for the rules.
//! * lists set in side-by-side columns (the SBC's "Services Your Plan Generally Does NOT
//!   Cover" and "Other Covered Services" box) are read column by column, each item a
//!   paragraph of its own, so that "• Acupuncture - 10 visits/calendar year for disease,
//!   injury & chronic pain." stays whole instead of interleaving with the item beside it;
//!   a form or table without bullets is not a list. See `columns.rs`.
//!
//! # Limits and failures
//!
//! Files over [`PdfLimits::max_bytes`] or [`PdfLimits::max_pages`] are refused before
//! any page is read, and each page keeps at most `MAX_GLYPHS_PER_PAGE` glyphs and
//! `MAX_RULES_PER_PAGE` rules, so time and memory per page are bounded. Every refusal
//! is a [`PdfError`]: not a PDF, damaged (truncated, unparsable), password-protected,
//! no text layer (a scan: OCR is not supported), too large. Bytes before the `%PDF-`
//! header (seen in files saved from mail and portals) are skipped. A parser panic on a
//! malformed file is caught natively and reported as damaged; in wasm it traps, and the
//! worker reports the same error and drops that module instance.
//!
//! Read page by page with [`PdfReader`] (progress and cancel between pages), or at once
//! with [`read_pdf`].

mod error;

pub use error::PdfError;

#[cfg(feature = "pdf")]
mod assemble;
#[cfg(feature = "pdf")]
mod columns;
#[cfg(feature = "pdf")]
mod grid;
#[cfg(feature = "pdf")]
mod ink;
#[cfg(feature = "pdf")]
mod reader;
#[cfg(feature = "pdf")]
mod stream;

#[cfg(feature = "pdf")]
pub use reader::{read_pdf, PdfLimits, PdfReader};
