//! Opening a PDF and reading it page by page.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pdf_extract::content::{Content, Operation};
use pdf_extract::{output_doc_page, Dictionary, Document, Object, ObjectId};

use super::assemble::layout;
use super::ink::{rotation, Collector, PageInk};
use super::PdfError;
use crate::chunk::Layout;

/// Rewrites a page's `'` and `"` text operators (ISO 32000-1, 9.4.3: move to the next
/// line and show a string; `"` also sets word and character spacing) as the `Tw`, `Tc`,
/// `T*` and `Tj` they stand for. pdf-extract 0.12 skips both, so every line a PDF
/// writes with them was lost: Anthem's 2013 SBC sets each cell's second line so
/// ("Primary care visit to treat an" | "injury or illness"). Pages without them are
/// left alone; so are form XObjects.
fn spell_out_next_line_show(doc: &mut Document, page: ObjectId) -> Option<()> {
    let raw = doc.get_page_content(page).ok()?;
    if !raw.iter().any(|&b| b == b'\'' || b == b'"') {
        return None;
    }
    let content = Content::decode(&raw).ok()?;
    if !content
        .operations
        .iter()
        .any(|op| op.operator == "'" || op.operator == "\"")
    {
        return None;
    }
    let mut operations = Vec::with_capacity(content.operations.len() + 8);
    for op in content.operations {
        match (op.operator.as_str(), op.operands.as_slice()) {
            ("'", [text]) => {
                operations.push(Operation::new("T*", Vec::new()));
                operations.push(Operation::new("Tj", vec![text.clone()]));
            }
            ("\"", [word, char, text]) => {
                operations.push(Operation::new("Tw", vec![word.clone()]));
                operations.push(Operation::new("Tc", vec![char.clone()]));
                operations.push(Operation::new("T*", Vec::new()));
                operations.push(Operation::new("Tj", vec![text.clone()]));
            }
            _ => operations.push(op),
        }
    }
    doc.change_page_content(page, encode(&operations)?).ok()
}

/// Encodes content operations as lopdf's `Content::encode` does, except inline images,
/// which it writes as a stream object (and so cuts the page short where one stands):
/// they are written back as `BI` … `ID` data `EI`. An inline image lopdf could not
/// parse (no operand) is left out: it shows no text.
fn encode(operations: &[Operation]) -> Option<Vec<u8>> {
    let one = |op: Operation| {
        Content {
            operations: vec![op],
        }
        .encode()
        .ok()
    };
    let mut out = Vec::new();
    for op in operations {
        match (op.operator.as_str(), op.operands.as_slice()) {
            ("BI", [Object::Stream(image)]) => {
                let header: Vec<Object> = image
                    .dict
                    .iter()
                    .flat_map(|(key, value)| [Object::Name(key.clone()), value.clone()])
                    .collect();
                out.extend_from_slice(b"BI ");
                out.extend(one(Operation::new("ID", header))?);
                out.push(b' ');
                out.extend_from_slice(&image.content);
                out.extend_from_slice(b"\nEI");
            }
            ("BI", _) => continue,
            _ => out.extend(one(op.clone())?),
        }
        out.push(b'\n');
    }
    Some(out)
}

/// Size limits for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdfLimits {
    /// Largest file, in bytes (default 64 MiB).
    pub max_bytes: usize,
    /// Most pages (default 1000: a long evidence of coverage has 200–300).
    pub max_pages: u32,
}

impl Default for PdfLimits {
    fn default() -> Self {
        Self {
            max_bytes: 64 << 20,
            max_pages: 1000,
        }
    }
}

/// How far into the file the `%PDF-` header may start.
const HEADER_WINDOW: usize = 1024;

/// A PDF being read, one page at a time.
pub struct PdfReader {
    name: String,
    doc: Document,
    /// Page numbers and their page objects, in order.
    pages: Vec<(u32, ObjectId)>,
    ink: Vec<PageInk>,
}

impl std::fmt::Debug for PdfReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfReader")
            .field("name", &self.name)
            .field("pages", &self.pages.len())
            .field("read", &self.ink.len())
            .finish()
    }
}

/// The parser's message for a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the parser failed".into())
}

impl PdfReader {
    /// Opens a PDF held in memory: checks the header and the limits, parses the file's
    /// structure and opens an encrypted file that has no user password. `name` (the file
    /// name) appears in every error.
    pub fn open(bytes: &[u8], name: &str, limits: PdfLimits) -> Result<Self, PdfError> {
        let name = name.to_owned();
        if bytes.len() > limits.max_bytes {
            return Err(PdfError::TooLarge {
                name,
                what: "size in bytes",
                got: bytes.len() as u64,
                limit: limits.max_bytes as u64,
            });
        }
        let window = &bytes[..bytes.len().min(HEADER_WINDOW)];
        let Some(start) = window.windows(5).position(|w| w == b"%PDF-") else {
            return Err(PdfError::NotPdf { name });
        };
        let bytes = &bytes[start..];
        let corrupt = |reason: String| PdfError::Corrupt {
            name: name.clone(),
            reason,
        };
        let mut doc = match catch_unwind(|| Document::load_mem(bytes)) {
            Ok(Ok(doc)) => doc,
            Ok(Err(pdf_extract::Error::Decryption(_) | pdf_extract::Error::InvalidPassword)) => {
                return Err(PdfError::Encrypted { name })
            }
            Ok(Err(e)) => return Err(corrupt(e.to_string())),
            Err(panic) => return Err(corrupt(panic_message(panic.as_ref()))),
        };
        if doc.is_encrypted() {
            let opened = catch_unwind(AssertUnwindSafe(|| doc.decrypt("")));
            if !matches!(opened, Ok(Ok(()))) {
                return Err(PdfError::Encrypted { name });
            }
        }
        let pages = catch_unwind(AssertUnwindSafe(|| {
            doc.get_pages()
                .into_iter()
                .collect::<Vec<(u32, ObjectId)>>()
        }))
        .map_err(|panic| corrupt(panic_message(panic.as_ref())))?;
        if pages.is_empty() {
            return Err(corrupt("it has no pages".into()));
        }
        if pages.len() > limits.max_pages as usize {
            return Err(PdfError::TooLarge {
                name,
                what: "page count",
                got: pages.len() as u64,
                limit: u64::from(limits.max_pages),
            });
        }
        Ok(Self {
            name,
            doc,
            pages,
            ink: Vec::new(),
        })
    }

    /// Pages in the file.
    pub fn pages(&self) -> u32 {
        u32::try_from(self.pages.len()).unwrap_or(u32::MAX)
    }

    /// Pages read so far.
    pub fn pages_read(&self) -> u32 {
        u32::try_from(self.ink.len()).unwrap_or(u32::MAX)
    }

    /// Reads the next page; returns `false` when every page has been read. A page the
    /// parser cannot read fails the file as damaged.
    pub fn read_next_page(&mut self) -> Result<bool, PdfError> {
        let Some(&(number, id)) = self.pages.get(self.ink.len()) else {
            return Ok(false);
        };
        let page = self.ink.len() as u32 + 1;
        // Best effort: a page whose content cannot be rewritten is read as it is.
        let _ = catch_unwind(AssertUnwindSafe(|| {
            spell_out_next_line_show(&mut self.doc, id)
        }));
        let doc = &self.doc;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut collector = Collector::new(page, page_rotation(doc, id));
            output_doc_page(doc, &mut collector, number).map(|()| collector.ink)
        }));
        let reason = match outcome {
            Ok(Ok(ink)) => {
                self.ink.push(ink);
                return Ok(true);
            }
            Ok(Err(e)) => format!("page {page}: {e:?}"),
            Err(panic) => format!("page {page}: {}", panic_message(panic.as_ref())),
        };
        Err(PdfError::Corrupt {
            name: self.name.clone(),
            reason,
        })
    }

    /// Lays out the pages read (all of them, normally). Errors with
    /// [`PdfError::NoText`] when no page has any text.
    pub fn finish(self) -> Result<Layout, PdfError> {
        let has_text = self
            .ink
            .iter()
            .flat_map(|p| &p.glyphs)
            .any(|g| g.text.chars().any(char::is_alphanumeric));
        if !has_text {
            let pages = self.pages();
            return Err(PdfError::NoText {
                name: self.name,
                pages,
            });
        }
        Ok(layout(&self.ink))
    }
}

/// Deepest page tree searched for an inherited `/Rotate` (a loop in a damaged file ends
/// here).
const MAX_PAGE_TREE_DEPTH: usize = 64;

/// A page's `/Rotate` (inheritable from the page tree), as 0, 90, 180 or 270; absent or
/// unreadable is 0.
fn page_rotation(doc: &Document, page: ObjectId) -> u16 {
    let mut dict: Option<&Dictionary> = doc.get_dictionary(page).ok();
    for _ in 0..MAX_PAGE_TREE_DEPTH {
        let Some(d) = dict else { break };
        if let Ok(value) = d.get(b"Rotate") {
            return match doc.dereference(value).map(|(_, v)| v) {
                Ok(v) => v
                    .as_i64()
                    .or_else(|_| v.as_float().map(|f| f.round() as i64))
                    .map_or(0, rotation),
                Err(_) => 0,
            };
        }
        dict = d
            .get(b"Parent")
            .and_then(|p| p.as_reference())
            .and_then(|id| doc.get_dictionary(id))
            .ok();
    }
    0
}

/// Reads a whole PDF (see [`PdfReader`]).
pub fn read_pdf(bytes: &[u8], name: &str, limits: PdfLimits) -> Result<Layout, PdfError> {
    let mut reader = PdfReader::open(bytes, name, limits)?;
    while reader.read_next_page()? {}
    reader.finish()
}
