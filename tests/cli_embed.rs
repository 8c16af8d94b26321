//! `benefind embed` end to end: the binary's output holds parity too, and bad input
//! fails with the line number.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::parity;

fn run_embed(input: &str, extra: &[&str]) -> Output {
    common::model_files(); // fetches the model when absent
    let mut child = Command::new(env!("CARGO_BIN_EXE_benefind"))
        .arg("embed")
        .arg("--model-dir")
        .arg(common::model_dir())
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("benefind runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("benefind finishes")
}

#[test]
fn cli_output_matches_reference_in_order() {
    let rows = parity::rows();
    let input: String = rows
        .iter()
        .map(|r| serde_json::json!({ "text": r.text }).to_string() + "\n")
        .collect();
    let out = run_embed(&input, &[]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<Vec<f32>> = String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            serde_json::from_value(v["embedding"].clone()).expect("embedding array")
        })
        .collect();
    let failures = parity::failures(&rows, &got);
    assert!(
        failures.is_empty(),
        "CLI parity failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn bad_line_names_its_number_and_writes_nothing() {
    let out = run_embed("{\"text\": \"ok\"}\n{\"txt\": \"typo\"}\n", &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2"), "stderr: {stderr}");
    assert!(out.stdout.is_empty(), "partial output written");
}

#[test]
fn missing_model_says_how_to_fetch_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_benefind"))
        .args(["embed", "--model-dir", "/nonexistent/model"])
        .stdin(Stdio::null())
        .output()
        .expect("benefind runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fetch-model.sh"), "stderr: {stderr}");
}
