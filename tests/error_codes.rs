//! One list of error codes: Rust's `ErrorCode` is the source; TypeScript's `ErrorCode`
//! union (src/js/benefind.d.ts) must list exactly the same codes in the same order, and
//! every code the JS layer throws (src/js, www) must be one of them.

use std::path::Path;

use benefind::ErrorCode;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The quoted names between `open` and the next `;`.
fn quoted_after(text: &str, open: &str) -> Vec<String> {
    let start = text.find(open).unwrap_or_else(|| panic!("no {open:?}")) + open.len();
    let end = start + text[start..].find(';').expect("end of the type");
    text[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

#[test]
fn typescript_lists_exactly_the_rust_codes() {
    let ts = quoted_after(&read("src/js/benefind.d.ts"), "export type ErrorCode =");
    let rust: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        ts, rust,
        "src/js/benefind.d.ts's ErrorCode differs from src/error.rs"
    );
    assert!(
        read("src/js/benefind.d.ts").contains("readonly code: ErrorCode;"),
        "BenefindError.code is typed as ErrorCode"
    );
}

#[test]
fn every_code_the_js_layer_throws_is_a_known_code() {
    let mut files = Vec::new();
    for dir in ["src/js", "www"] {
        for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "js") {
                files.push(path);
            }
        }
    }
    let mut seen = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        // new BenefindError("CODE", ...) and a fallback `code ?? "CODE"`.
        for marker in ["BenefindError(\"", "code ?? \""] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let name = &rest[..rest.find('"').expect("closing quote")];
                assert!(
                    ErrorCode::from_name(name).is_some(),
                    "{}: {name} is not in ErrorCode (src/error.rs)",
                    path.display()
                );
                seen += 1;
            }
        }
    }
    assert!(
        seen >= 15,
        "found only {seen} codes thrown in JS: did the pattern change?"
    );
}

#[test]
fn codes_round_trip_through_their_wire_names() {
    for &code in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, format!("\"{}\"", code.as_str()));
        assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
    }
    assert_eq!(ErrorCode::from_name("NO_SUCH_CODE"), None);
}
