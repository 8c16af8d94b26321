//! The PDF reader on a real SBC excerpt and on bad files: rows with their headers and
//! pages, running footers gone, every refusal typed, and no panic, hang or runaway
//! memory on mutated real PDFs (proptest, with a time and a memory bound per file).

use std::alloc::{GlobalAlloc, Layout as AllocLayout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use benefind::engine::chunk::{chunk_layout, ChunkOptions, Document, Layout, LayoutBlock};
use benefind::pdf::{read_pdf, PdfError, PdfLimits, PdfReader};
use benefind::{Error, ErrorCode};
use proptest::prelude::*;

/// Counts live heap bytes and their peak, so a test can bound the memory one file takes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: AllocLayout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: AllocLayout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pdf")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const SBC: &str = "sbc-cms-example-2025-p1-3.pdf";

fn read(bytes: &[u8]) -> Result<Layout, PdfError> {
    read_pdf(bytes, "plan.pdf", PdfLimits::default())
}

fn rows(layout: &Layout) -> Vec<(u32, &[(String, String)])> {
    layout
        .blocks
        .iter()
        .filter_map(|b| match b {
            LayoutBlock::Row { cells, page } => Some((*page, cells.as_slice())),
            _ => None,
        })
        .collect()
}

fn cell<'a>(cells: &'a [(String, String)], header_starts: &str) -> &'a str {
    cells
        .iter()
        .find(|(h, _)| h.starts_with(header_starts))
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no column {header_starts:?} in {cells:?}"))
}

#[test]
fn sbc_rows_keep_their_headers_section_and_page() {
    let layout = read(&fixture(SBC)).expect("the SBC excerpt reads");
    assert_eq!(layout.pages, 3);
    let rows = rows(&layout);
    let services: Vec<_> = rows
        .iter()
        .filter(|(_, cells)| {
            cells
                .first()
                .is_some_and(|(h, _)| h == "Common Medical Event")
        })
        .collect();
    // Page 2 and page 3 of the template's table: one row per service.
    assert!(services.len() >= 25, "{} service rows", services.len());
    let preventive = services
        .iter()
        .find(|(_, cells)| cell(cells, "Services You May Need").starts_with("Preventive care"))
        .expect("the preventive care row");
    assert_eq!(preventive.0, 2);
    assert_eq!(
        cell(preventive.1, "Common Medical Event"),
        "If you visit a health care provider’s office or clinic"
    );
    assert_eq!(
        cell(preventive.1, "What You Will Pay — Network Provider"),
        "No charge"
    );
    assert_eq!(
        cell(preventive.1, "What You Will Pay — Out-of-Network Provider"),
        "40% coinsurance"
    );
    // The table continues on page 3 under the same headers (repeated there, not doubled).
    let hospital = services
        .iter()
        .find(|(_, cells)| {
            cell(cells, "Services You May Need").starts_with("Facility fee (e.g., hospital room)")
        })
        .expect("the hospital stay row");
    assert_eq!(hospital.0, 3);
    assert_eq!(
        cell(hospital.1, "Common Medical Event"),
        "If you have a hospital stay"
    );
    assert!(!services
        .iter()
        .any(|(_, cells)| cell(cells, "Services You May Need") == "Services You May Need"));
    // Page 1's "Important Questions" table is rows too.
    assert!(rows.iter().any(|(page, cells)| *page == 1
        && cell(cells, "Important Questions") == "What is the overall deductible?"
        && cell(cells, "Answers").starts_with("$500")));
    // Running footers ("Page 2 of 5") are gone.
    let all = format!("{:?}", layout.blocks);
    assert!(
        !all.contains("Page 2 of 5") && !all.contains("Page 3 of 5"),
        "{all}"
    );
}

#[test]
fn sbc_chunks_are_rows_with_pages() {
    let layout = read(&fixture(SBC)).expect("reads");
    let words = |t: &str| -> benefind::Result<usize> { Ok(t.split_whitespace().count() * 2 + 2) };
    let doc = Document {
        text: "",
        policy: "CMS_EXAMPLE",
        source: "sbc.pdf",
    };
    let chunks = chunk_layout(&layout, &doc, &words, &ChunkOptions::default()).expect("chunks");
    let preventive = chunks
        .iter()
        .find(|c| c.text.contains("Services You May Need: Preventive care"))
        .expect("a preventive care chunk");
    assert_eq!(preventive.page, Some(2));
    assert!(preventive.text.starts_with(
        "Common Medical Event: If you visit a health care provider’s office or clinic\n"
    ));
    assert!(preventive
        .text
        .contains("Network Provider (You will pay the least): No charge"));
    assert!(
        !preventive.text.contains("Specialist visit"),
        "one row per chunk: {}",
        preventive.text
    );
}

#[test]
fn bytes_before_the_header_are_skipped() {
    let mut bytes = b"From: portal\r\nContent-Type: application/pdf\r\n\r\n".to_vec();
    bytes.extend(fixture("rider.pdf"));
    let layout = read(&bytes).expect("reads after the junk");
    assert!(format!("{:?}", layout.blocks).contains("12 visits a year, $15 copay"));
}

/// A one-page PDF (Helvetica) whose page content is `content`.
fn one_page_pdf(content: &[u8]) -> Vec<u8> {
    use pdf_extract::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.5");
    let pages = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let contents = doc.add_object(Stream::new(dictionary! {}, content.to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => contents,
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("writes the PDF");
    bytes
}

#[test]
fn lines_shown_with_the_next_line_operators_are_read() {
    // `'` (next line, show) and `"` (set spacing, next line, show): Anthem's 2013 SBC
    // writes the second line of every cell with `'`.
    // An inline image first (Anthem's page 1 has one): rewriting the page must keep
    // what follows it.
    let mut content = b"q 10 0 0 10 72 750 cm BI /W 2 /H 2 /BPC 1 /IM true ID ".to_vec();
    content.extend_from_slice(&[0xaa, 0x55]);
    content.extend_from_slice(
        b"\nEI Q BT /F1 12 Tf 14 TL 72 700 Td (Primary care visit to treat an) Tj \
          (injury or illness) ' 0 0 (for a $35 copay) \" ET",
    );
    let bytes = one_page_pdf(&content);
    let layout = read(&bytes).expect("reads");
    let text = format!("{:?}", layout.blocks);
    for line in [
        "Primary care visit to treat an",
        "injury or illness",
        "for a $35 copay",
    ] {
        assert!(text.contains(line), "{line:?} missing from {text}");
    }
}

#[test]
fn bad_files_get_typed_errors_and_codes() {
    let code = |e: PdfError| Error::from(e).code();
    let not_pdf = read(b"<html><body>Your SBC</body></html>").unwrap_err();
    assert!(matches!(not_pdf, PdfError::NotPdf { .. }), "{not_pdf}");
    assert!(not_pdf.to_string().contains("plan.pdf is not a PDF file"));
    assert_eq!(code(not_pdf), ErrorCode::PdfInvalid);

    let sbc = fixture(SBC);
    let truncated = read(&sbc[..sbc.len() * 2 / 3]).unwrap_err();
    assert!(matches!(truncated, PdfError::Corrupt { .. }), "{truncated}");
    assert!(truncated.to_string().contains("truncated or damaged"));
    assert_eq!(code(truncated), ErrorCode::PdfInvalid);

    // pdf-extract panics on this operator; the reader reports a damaged file.
    let panicky = read(&fixture("bad-operator.pdf")).unwrap_err();
    assert!(matches!(panicky, PdfError::Corrupt { .. }), "{panicky}");
    assert!(
        panicky.to_string().contains("page 1: assertion failed"),
        "{panicky}"
    );

    let locked = read(&fixture("locked.pdf")).unwrap_err();
    assert!(matches!(locked, PdfError::Encrypted { .. }), "{locked}");
    assert!(locked.to_string().contains("password-protected"));
    assert_eq!(code(locked), ErrorCode::PdfEncrypted);

    let scan = read(&fixture("scan.pdf")).unwrap_err();
    assert_eq!(
        scan,
        PdfError::NoText {
            name: "plan.pdf".into(),
            pages: 1
        }
    );
    assert!(scan
        .to_string()
        .contains("OCR) is not supported; paste the document's text"));
    assert_eq!(code(scan), ErrorCode::PdfNoText);

    let limits = PdfLimits {
        max_pages: 2,
        ..PdfLimits::default()
    };
    let long = read_pdf(&sbc, "handbook.pdf", limits).unwrap_err();
    assert!(
        long.to_string()
            .contains("handbook.pdf is too large: page count is 3, and the limit is 2"),
        "{long}"
    );
    assert_eq!(code(long), ErrorCode::PdfTooLarge);
    let limits = PdfLimits {
        max_bytes: 1000,
        ..PdfLimits::default()
    };
    let big = read_pdf(&sbc, "handbook.pdf", limits).unwrap_err();
    assert!(big.to_string().contains("size in bytes is"), "{big}");
}

#[test]
fn pages_are_read_one_at_a_time() {
    let bytes = fixture(SBC);
    let mut reader = PdfReader::open(&bytes, "sbc.pdf", PdfLimits::default()).expect("opens");
    assert_eq!((reader.pages(), reader.pages_read()), (3, 0));
    let mut seen = Vec::new();
    while reader.read_next_page().expect("page") {
        seen.push(reader.pages_read());
    }
    assert_eq!(seen, [1, 2, 3]);
    assert_eq!(
        reader.finish().expect("layout"),
        read(&bytes).expect("whole")
    );
}

/// A mutation of a real file: flipped bytes, a truncation, or a deleted span.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(Vec<(usize, u8)>),
    Truncate(usize),
    Delete(usize, usize),
}

fn mutate(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match m {
        Mutation::Flip(flips) => {
            for &(at, xor) in flips {
                let i = at % out.len();
                out[i] ^= xor.max(1);
            }
        }
        Mutation::Truncate(at) => out.truncate(at % out.len()),
        Mutation::Delete(at, len) => {
            let start = at % out.len();
            let end = (start + len).min(out.len());
            out.drain(start..end);
        }
    }
    out
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        prop::collection::vec((any::<usize>(), any::<u8>()), 1..20).prop_map(Mutation::Flip),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..65_536).prop_map(|(a, l)| Mutation::Delete(a, l)),
    ]
}

/// Most time one mutated file may take (the real excerpt reads in well under a second).
const TIME_BOUND: Duration = Duration::from_secs(10);
/// Most heap one mutated file may add at its peak.
const MEMORY_BOUND: usize = 256 << 20;

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_real_pdfs_never_panic_hang_or_balloon(which in 0..2usize, m in mutation()) {
        let source = fixture(if which == 0 { SBC } else { "rider.pdf" });
        let bytes = mutate(&source, &m);
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let started = Instant::now();
        // The reader catches the parser's panics itself: any panic here fails the test.
        let outcome = read(&bytes);
        let took = started.elapsed();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
        prop_assert!(took < TIME_BOUND, "{m:?} took {took:?}");
        prop_assert!(peak < MEMORY_BOUND, "{m:?} peaked at {peak} bytes");
        if let Err(e) = outcome {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}
