//! Documents that arrive with pages and structure (a PDF, read by `crate::pdf`): headings,
//! paragraphs and table rows, each with its page, chunked with the same packer as text.
//!
//! * Headings open sections as Markdown headings do; paragraphs under a heading are
//!   packed together by the module's rules. A heading that opens the document is its
//!   title: like a Markdown title it is the path of the text before the next heading
//!   only, never of rows or later sections. A heading that opens every page it is on,
//!   two or more, is a running header (the plan's name atop some pages) and opens
//!   nothing; the same heading text set within pages ("Deductible" in each plan's part)
//!   is structure.
//! * Every table row is a section of its own, so it becomes one chunk (more only if it
//!   is longer than the window): its path is the headings above the table plus
//!   `first column header: first cell` (an SBC row's "Common Medical Event"), and its
//!   body is one `header: value` line per other non-empty cell. A row is a
//!   self-contained passage that names what each figure means.
//! * A chunk's `page` is the page of the block its text starts in.

use std::collections::{HashMap, HashSet};

use super::*;

/// A document as a reader of paged files lays it out: blocks in reading order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Pages the file has (including pages without text).
    pub pages: u32,
    /// Headings, paragraphs and table rows, in reading order.
    pub blocks: Vec<LayoutBlock>,
}

/// One block of a [`Layout`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LayoutBlock {
    /// A heading; `level` 1 is the largest.
    Heading {
        /// 1..=6.
        level: u8,
        /// The heading's text.
        text: String,
        /// The page it is on, from 1.
        page: u32,
    },
    /// A paragraph of running text.
    Paragraph {
        /// The paragraph's text, lines joined with spaces.
        text: String,
        /// The page it starts on, from 1.
        page: u32,
    },
    /// One row of a table, each cell with its column's header.
    Row {
        /// `(column header, cell text)` pairs, left to right.
        cells: Vec<(String, String)>,
        /// The page the row is on, from 1.
        page: u32,
    },
}

impl LayoutBlock {
    /// The page the block starts on.
    pub fn page(&self) -> u32 {
        match self {
            Self::Heading { page, .. } | Self::Paragraph { page, .. } | Self::Row { page, .. } => {
                *page
            }
        }
    }
}

/// An owned section: its path and its blocks' texts with their pages.
struct OwnedSection {
    path: Vec<String>,
    blocks: Vec<(String, u32)>,
}

/// Cuts a laid-out document into chunks (see the module docs for rows and pages).
/// `doc.text` is not read; `policy` and `source` are.
///
/// Errors as [`chunk_document`].
pub fn chunk_layout(
    layout: &Layout,
    doc: &Document<'_>,
    counter: &dyn TokenCounter,
    opts: &ChunkOptions,
) -> Result<Vec<Chunk>> {
    opts.validate()?;
    let owned = sections_of(layout);
    let sections: Vec<Section<'_>> = owned
        .iter()
        .map(|s| Section {
            path: s.path.iter().map(String::as_str).collect(),
            blocks: s
                .blocks
                .iter()
                .map(|(text, _)| Block { text, code: false })
                .collect(),
        })
        .collect();
    let chunks = chunk_sections(&sections, doc, counter, opts)?;
    Ok(with_pages(&owned, chunks))
}

/// Headings that are not structure: the same text as a heading on two or more pages,
/// each time the first thing on its page (a running header the page-header filter kept,
/// such as the plan name atop some pages of an SBC). The same heading text set within
/// pages is structure ("Limitations" in each chapter of a handbook, "Deductible" in each
/// plan's part) and stays a section heading everywhere.
fn running_headings(layout: &Layout) -> HashSet<&str> {
    // Per heading text: its pages, and whether it opened every one of them.
    let mut seen: HashMap<&str, (HashSet<u32>, bool)> = HashMap::new();
    let mut previous_page = None;
    for block in &layout.blocks {
        let opens_page = previous_page != Some(block.page());
        previous_page = Some(block.page());
        if let LayoutBlock::Heading { text, page, .. } = block {
            let (pages, always_first) = seen.entry(text.trim()).or_insert((HashSet::new(), true));
            pages.insert(*page);
            *always_first &= opens_page;
        }
    }
    seen.into_iter()
        .filter(|(_, (pages, always_first))| pages.len() > 1 && *always_first)
        .map(|(text, _)| text)
        .collect()
}

/// Groups the blocks into sections: paragraphs under their heading path, each row alone.
fn sections_of(layout: &Layout) -> Vec<OwnedSection> {
    let running = running_headings(layout);
    // The title: a heading that opens the document. As a Markdown title, it is the path
    // of the text before the next heading only; rows and later sections leave it out.
    let title = match layout.blocks.first() {
        Some(LayoutBlock::Heading { text, .. }) if !running.contains(text.trim()) => {
            Some(text.trim().to_owned())
        }
        _ => None,
    };
    let mut under_title = title.is_some();
    // The title opens no section of its own.
    let blocks = &layout.blocks[usize::from(title.is_some())..];
    let mut stack: Vec<(u8, String)> = Vec::new();
    let mut out: Vec<OwnedSection> = Vec::new();
    // Whether the last section takes more paragraphs (not a row's, not closed by a heading).
    let mut open = false;
    let path = |stack: &[(u8, String)]| stack.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>();
    for block in blocks {
        match block {
            LayoutBlock::Heading { level, text, .. } => {
                let text = text.trim();
                if text.is_empty() || running.contains(text) {
                    continue;
                }
                under_title = false;
                while stack.last().is_some_and(|(l, _)| l >= level) {
                    stack.pop();
                }
                stack.push((*level, text.to_owned()));
                open = false;
            }
            LayoutBlock::Paragraph { text, page } => {
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                if !open {
                    let path = match &title {
                        Some(title) if under_title => vec![title.clone()],
                        _ => path(&stack),
                    };
                    out.push(OwnedSection {
                        path,
                        blocks: Vec::new(),
                    });
                    open = true;
                }
                if let Some(section) = out.last_mut() {
                    section.blocks.push((text.to_owned(), *page));
                }
            }
            LayoutBlock::Row { cells, page } => {
                let cells: Vec<(&str, &str)> = cells
                    .iter()
                    .map(|(h, v)| (h.trim(), v.trim()))
                    .filter(|(_, v)| !v.is_empty())
                    .collect();
                let Some(((head, first), rest)) = cells.split_first() else {
                    continue;
                };
                let mut path = path(&stack);
                let body = if rest.is_empty() {
                    labelled(head, first)
                } else {
                    path.push(labelled(head, first));
                    let lines: Vec<String> = rest.iter().map(|(h, v)| labelled(h, v)).collect();
                    lines.join("\n")
                };
                out.push(OwnedSection {
                    path,
                    blocks: vec![(body, *page)],
                });
                open = false;
            }
        }
    }
    out
}

/// When `text` reads as a table row's passage, as [`chunk_layout`] writes one: where
/// its body starts, and its first body line, the row's label. A row passage is its
/// section line, then one `Header: value` line per remaining cell, the first of which
/// names the row ("Services You May Need: Specialist visit"). A passage counts as a row
/// when it has at least two body lines and each one starts with a short header followed
/// by `: ` (a list of `- Item: value` lines does too); prose paragraphs are single
/// lines.
pub fn row_body(text: &str) -> Option<(usize, &str)> {
    /// Longest header of a cell line ("What You Will Pay — Out-of-Network Provider (You
    /// will pay the most)" is 63 characters).
    const MAX_HEADER: usize = 100;
    let (_, body) = text.split_once('\n')?;
    let body_at = text.len() - body.len();
    let mut lines = body.lines();
    let first = lines.next()?;
    let rest: Vec<&str> = lines.collect();
    let is_row = !rest.is_empty()
        && is_cell(first, MAX_HEADER)
        && rest.iter().all(|l| is_cell(l, MAX_HEADER));
    is_row.then_some((body_at, first))
}

/// Whether `line` is a `Header: value` line with a header of at most `max_header`
/// characters that is not a sentence.
fn is_cell(line: &str, max_header: usize) -> bool {
    line.split_once(": ").is_some_and(|(header, value)| {
        !header.trim().is_empty()
            && header.chars().count() <= max_header
            && !header.contains(['.', '!', '?'])
            && !value.trim().is_empty()
    })
}

/// The words that say what a table row's passage is about, when `text` is one that
/// [`chunk_layout`] wrote: the values of its section line and of its label line
/// ([`row_body`]), without their column headers ("If you visit a health care
/// provider's office or clinic", "Specialist visit"). Every row repeats the headers;
/// these values are what tells one row from the next, as a document's title does.
/// `None` for other passages, and for a list of `- Item: value` lines, whose first item
/// names only itself.
pub fn row_title(text: &str) -> Option<[&str; 2]> {
    let (_, label) = row_body(text)?;
    if label.trim_start().starts_with(['-', '*', '•']) {
        return None;
    }
    let section = text.lines().next().unwrap_or_default();
    Some([cell_value(section), cell_value(label)])
}

/// The value of a `Header: value` line (the whole line when it has no header).
fn cell_value(line: &str) -> &str {
    line.split_once(": ")
        .map_or(line, |(_, value)| value)
        .trim()
}

/// `header: value`, or the value alone when the column has no header.
fn labelled(header: &str, value: &str) -> String {
    if header.is_empty() {
        value.to_owned()
    } else {
        format!("{header}: {value}")
    }
}

/// Sets each chunk's page: the page of the block its body starts in, the first block
/// (from the previous chunk's in the same section) that contains the start of its body.
fn with_pages(sections: &[OwnedSection], chunks: Vec<(usize, Chunk)>) -> Vec<Chunk> {
    let squash = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cursor = (usize::MAX, 0);
    chunks
        .into_iter()
        .map(|(n, mut chunk)| {
            let section = &sections[n];
            if cursor.0 != n {
                cursor = (n, 0);
            }
            let body = chunk
                .text
                .strip_prefix(&section.path.join(" — "))
                .unwrap_or(&chunk.text);
            let probe = squash(body)
                .split(' ')
                .take(6)
                .collect::<Vec<_>>()
                .join(" ");
            if let Some(k) = section.blocks[cursor.1..]
                .iter()
                .position(|(text, _)| squash(text).contains(&probe))
            {
                cursor.1 += k;
            }
            chunk.page = section.blocks.get(cursor.1).map(|(_, page)| *page);
            chunk
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::Words;
    use super::*;

    fn row(cells: &[(&str, &str)], page: u32) -> LayoutBlock {
        LayoutBlock::Row {
            cells: cells
                .iter()
                .map(|(h, v)| ((*h).to_owned(), (*v).to_owned()))
                .collect(),
            page,
        }
    }

    fn para(text: &str, page: u32) -> LayoutBlock {
        LayoutBlock::Paragraph {
            text: text.into(),
            page,
        }
    }

    fn chunks(layout: &Layout, max_tokens: usize) -> Vec<Chunk> {
        let doc = Document {
            text: "",
            policy: "SBC",
            source: "sbc.pdf",
        };
        let opts = ChunkOptions {
            max_tokens,
            overlap_tokens: 4,
            include_heading_path: true,
        };
        match chunk_layout(layout, &doc, &Words, &opts) {
            Ok(chunks) => chunks,
            Err(e) => panic!("chunking failed: {e}"),
        }
    }

    #[test]
    fn each_row_is_one_chunk_with_its_headers_and_section() {
        let event = "Common Medical Event";
        let layout = Layout {
            pages: 3,
            blocks: vec![
                LayoutBlock::Heading {
                    level: 1,
                    text: "Summary of Benefits and Coverage".into(),
                    page: 1,
                },
                para("This is only a summary.", 1),
                row(
                    &[
                        (event, "If you visit a health care provider's office"),
                        ("Services You May Need", "Specialist visit"),
                        ("Network Provider", "$50 copay/visit"),
                        ("Out-of-Network Provider", "40% coinsurance"),
                        ("Limitations", ""),
                    ],
                    2,
                ),
                row(
                    &[
                        (event, "If you visit a health care provider's office"),
                        ("Services You May Need", "Preventive care"),
                        ("Network Provider", "No charge"),
                    ],
                    3,
                ),
            ],
        };
        let got = chunks(&layout, 256);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert_eq!(got[0].page, Some(1));
        assert_eq!(
            got[1].text,
            "Common Medical Event: If you visit a health care provider's office\nServices You \
             May Need: Specialist visit\nNetwork Provider: $50 copay/visit\nOut-of-Network Provider: 40% coinsurance"
        );
        assert_eq!(
            got[1].section,
            "Common Medical Event: If you visit a health care provider's office"
        );
        // The title heads the text under it only.
        assert_eq!(got[0].section, "Summary of Benefits and Coverage");
        // Read back: what the row is about, without the headers every row repeats.
        assert_eq!(
            row_title(&got[1].text),
            Some([
                "If you visit a health care provider's office",
                "Specialist visit"
            ])
        );
        assert_eq!(row_title(&got[0].text), None);
        assert_eq!((got[1].page, got[2].page), (Some(2), Some(3)));
        assert_eq!(
            got.iter().map(|c| c.chunk_index).collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }

    #[test]
    fn a_list_of_labelled_items_is_read_as_cells_but_has_no_row_title() {
        let list = "Lab work\n- Lab tests at a network lab: $0\n- Hospital lab: 20% coinsurance";
        assert_eq!(
            row_body(list),
            Some(("Lab work\n".len(), "- Lab tests at a network lab: $0"))
        );
        assert_eq!(row_title(list), None);
        let prose = "Deductible\nYou pay the first $500. Then we share the cost: 20% coinsurance.";
        assert_eq!((row_body(prose), row_title(prose)), (None, None));
    }

    #[test]
    fn a_heading_repeated_on_other_pages_is_not_a_section() {
        let plan = "Kaiser Permanente: 30/1000 Deductible Coverage Period: 2012";
        let heading = |text: &str, page| LayoutBlock::Heading {
            level: 1,
            text: text.into(),
            page,
        };
        let layout = Layout {
            pages: 2,
            blocks: vec![
                row(
                    &[("Common Medical Event", "If you need help"), ("Cost", "$5")],
                    1,
                ),
                heading(plan, 2),
                heading("Coverage Examples", 2),
                para("Having a baby.", 2),
                heading(plan, 3),
                para("Questions and answers.", 3),
            ],
        };
        let got = chunks(&layout, 256);
        let sections: Vec<&str> = got.iter().map(|c| c.section.as_str()).collect();
        assert_eq!(
            sections,
            [
                "Common Medical Event: If you need help",
                "Coverage Examples"
            ],
            "{got:#?}"
        );
        assert!(got.iter().all(|c| !c.text.contains("Kaiser")), "{got:#?}");
    }

    #[test]
    fn a_heading_repeated_within_pages_stays_a_section() {
        // A handbook with a part per plan, each with its own "Deductible": set within
        // the pages, not atop them, so structure, not a running header.
        let heading = |level, text: &str, page| LayoutBlock::Heading {
            level,
            text: text.into(),
            page,
        };
        let layout = Layout {
            pages: 2,
            blocks: vec![
                heading(1, "Member Handbook", 1),
                heading(2, "PPO Plus", 1),
                heading(3, "Deductible", 1),
                para("The PPO deductible is $500.", 1),
                para("Claims are filed for you.", 2),
                heading(2, "HMO Select", 2),
                heading(3, "Deductible", 2),
                para("The HMO has no deductible.", 2),
            ],
        };
        let got = chunks(&layout, 256);
        let sections: Vec<&str> = got.iter().map(|c| c.section.as_str()).collect();
        assert_eq!(
            sections,
            ["PPO Plus > Deductible", "HMO Select > Deductible"],
            "{got:#?}"
        );
    }

    #[test]
    fn long_sections_cut_across_pages_keep_the_page_each_piece_starts_on() {
        let words = |n: usize, w: &str| vec![w; n].join(" ");
        let layout = Layout {
            pages: 2,
            blocks: vec![
                LayoutBlock::Heading {
                    level: 2,
                    text: "Appeals".into(),
                    page: 1,
                },
                para(&format!("{}.", words(36, "alpha")), 1),
                para(&format!("{}.", words(36, "beta")), 2),
            ],
        };
        let got = chunks(&layout, 40);
        assert!(got.len() >= 2, "{got:#?}");
        assert_eq!(got.first().and_then(|c| c.page), Some(1));
        let beta = got
            .iter()
            .find(|c| c.text.starts_with("Appeals\nbeta"))
            .unwrap_or_else(|| panic!("no chunk starts with beta: {got:#?}"));
        assert_eq!(beta.page, Some(2));
        assert!(got.iter().all(|c| c.section == "Appeals"));
    }

    #[test]
    fn empty_cells_and_blocks_are_skipped() {
        let layout = Layout {
            pages: 1,
            blocks: vec![
                para("   ", 1),
                row(&[("A", ""), ("B", "")], 1),
                row(&[("", "only value")], 1),
            ],
        };
        let got = chunks(&layout, 64);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(got[0].text, "only value");
    }
}
