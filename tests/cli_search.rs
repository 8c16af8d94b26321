//! `benefind bundle build | inspect | export | import` and `benefind search` on the sample
//! corpus in www/data, end to end through the binary.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

fn benefind(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_benefind"))
        .args(args)
        .arg("--model-dir")
        .arg(common::model_dir())
        .output()
        .expect("benefind runs")
}

fn benefind_plain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_benefind"))
        .args(args)
        .output()
        .expect("benefind runs")
}

fn ok_json(out: Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// `benefind bundle import --format s3vectors BODY --out OUT EXTRA...`.
fn import(body: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["bundle", "import", "--format", "s3vectors"];
    args.extend([
        body.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
    ]);
    args.extend_from_slice(extra);
    benefind_plain(&args)
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("benefind-cli-search-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The sample corpus built once per test binary.
fn sample_bundle() -> &'static Path {
    static BUNDLE: OnceLock<PathBuf> = OnceLock::new();
    BUNDLE.get_or_init(|| {
        common::model_files();
        let out = scratch().join("sample.bundle");
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/data");
        let o = benefind(&[
            "bundle",
            "build",
            "--input",
            data.to_str().expect("utf8"),
            "--out",
            out.to_str().expect("utf8"),
        ]);
        assert!(
            o.status.success(),
            "build failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        out
    })
}

fn search(extra: &[&str]) -> Vec<Value> {
    let bundle = sample_bundle().to_str().expect("utf8").to_string();
    let mut args = vec!["search", "--bundle", bundle.as_str()];
    args.extend_from_slice(extra);
    ok_json(benefind(&args))["results"]
        .as_array()
        .expect("results array")
        .clone()
}

#[test]
fn inspect_lists_three_policies() {
    let info = ok_json(benefind_plain(&[
        "bundle",
        "inspect",
        sample_bundle().to_str().expect("utf8"),
    ]));
    let policies = info["policies"].as_object().expect("policies");
    assert_eq!(
        policies.keys().collect::<Vec<_>>(),
        ["HDHP_SAVER", "HMO_SELECT", "PPO_PLUS"]
    );
    assert_eq!(info["header"]["dims"], 384);
    assert_eq!(
        info["header"]["model_id"],
        "sentence-transformers/all-MiniLM-L6-v2"
    );
}

#[test]
fn policy_filter_never_returns_another_plan() {
    for policy in ["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"] {
        for question in [
            "Do I need a referral to see a specialist?",
            "What is the ER copay?",
            "How much is the deductible?",
        ] {
            let results = search(&["--policy", policy, "-k", "10", question]);
            assert_eq!(results.len(), 10);
            for r in &results {
                assert_eq!(r["metadata"]["policy"], policy, "{question}: {}", r["id"]);
                assert!(r["id"]
                    .as_str()
                    .expect("id")
                    .starts_with(&format!("{policy}_chunk_")));
            }
            // Vector mode ranks by cosine; the default (hybrid) ranks by fused rank.
            let results = search(&["--mode", "vector", "--policy", policy, "-k", "10", question]);
            let scores: Vec<f64> = results
                .iter()
                .map(|r| r["score"].as_f64().expect("score"))
                .collect();
            assert!(
                scores.windows(2).all(|w| w[0] >= w[1]),
                "vector results sorted best first"
            );
            assert!(results.iter().all(|r| r["metadata"]["policy"] == policy));
        }
    }
}

#[test]
fn results_carry_the_documented_fields() {
    let results = search(&["--policy", "HDHP_SAVER", "How much can I put in my HSA?"]);
    assert_eq!(results.len(), 3, "default k is 3");
    for r in &results {
        let score = r["score"].as_f64().expect("score");
        let distance = r["distance"].as_f64().expect("distance");
        assert!((score + distance - 1.0).abs() < 1e-6);
        for key in ["policy", "source", "chunk_index", "section"] {
            assert!(
                r["metadata"].get(key).is_some(),
                "metadata.{key} missing in {r}"
            );
        }
        assert!(!r["text"].as_str().expect("text").is_empty());
    }
    // A specific question reaches its section: the HSA question finds the HSA section.
    assert!(
        results.iter().any(|r| r["metadata"]["section"]
            .as_str()
            .expect("section")
            .contains("HSA")),
        "{results:?}"
    );
}

#[test]
fn where_filter_and_batch_queries() {
    let results = search(&[
        "--where",
        r#"{"chunk_index": {"$lt": 3}}"#,
        "-k",
        "20",
        "coverage",
    ]);
    assert!(!results.is_empty());
    for r in &results {
        assert!(r["metadata"]["chunk_index"].as_u64().expect("index") < 3);
    }
    let bad = benefind(&[
        "search",
        "--bundle",
        sample_bundle().to_str().expect("utf8"),
        "--where",
        r#"{"chunk_index": {"$gt": "x"}}"#,
        "q",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("chunk_index.$gt: expected a number"));

    let queries = scratch().join("queries.jsonl");
    std::fs::write(
        &queries,
        "{\"question\": \"ER copay\", \"policy\": \"HMO_SELECT\"}\n{\"question\": \"HSA limits\", \"policy\": \"HDHP_SAVER\", \"k\": 1}\n",
    )
    .expect("write queries");
    let out = benefind(&[
        "search",
        "--bundle",
        sample_bundle().to_str().expect("utf8"),
        "--queries",
        queries.to_str().expect("utf8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .expect("utf8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert!(
            line.get("answer").is_some(),
            "every line has an answer (or null): {line}"
        );
    }
    assert_eq!(lines[0]["results"][0]["metadata"]["policy"], "HMO_SELECT");
    assert_eq!(lines[1]["results"].as_array().expect("arr").len(), 1);
    assert_eq!(lines[1]["results"][0]["metadata"]["policy"], "HDHP_SAVER");
}

#[test]
fn s3vectors_export_import_round_trip() {
    let dir = scratch().join("s3v");
    let out = benefind_plain(&[
        "bundle",
        "export",
        "--bundle",
        sample_bundle().to_str().expect("utf8"),
        "--format",
        "s3vectors",
        "--out",
        dir.to_str().expect("utf8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: Value =
        serde_json::from_slice(&std::fs::read(dir.join("put-vectors-0000.json")).expect("body"))
            .expect("json");
    let v = &body["vectors"][0];
    assert_eq!(v["data"]["float32"].as_array().expect("floats").len(), 384);
    assert!(v["metadata"]["chunk"].is_string() && v["metadata"]["policy"].is_string());

    let back = scratch().join("imported.bundle");
    let out = import(&dir.join("put-vectors-0000.json"), &back, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let q = [
        "--policy",
        "PPO_PLUS",
        "-k",
        "5",
        "What does the plan pay for an MRI?",
    ];
    let original = search(&q);
    let mut args = vec!["search", "--bundle", back.to_str().expect("utf8")];
    args.extend_from_slice(&q);
    let imported = ok_json(benefind(&args))["results"].clone();
    assert_eq!(Value::Array(original), imported);

    // Vectors of another dimension are refused with both numbers.
    let out = import(
        &dir.join("put-vectors-0000.json"),
        &back,
        &["--dims", "1024"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("384") && stderr.contains("1024"),
        "{stderr}"
    );
}

#[test]
fn seed_question_finds_each_plans_preventive_care_first() {
    for policy in ["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"] {
        let results = search(&["--policy", policy, "Is my annual checkup free?"]);
        assert_eq!(
            results[0]["metadata"]["section"], "Preventive care",
            "{policy}: {results:?}"
        );
        assert_eq!(results[0]["metadata"]["policy"], policy);
        // The matched words are reported for highlighting, as byte ranges of the text.
        let text = results[0]["text"].as_str().expect("text");
        let spans = results[0]["highlights"].as_array().expect("highlights");
        assert!(!spans.is_empty());
        for span in spans {
            let (s, e) = (
                span[0].as_u64().expect("start") as usize,
                span[1].as_u64().expect("end") as usize,
            );
            assert!(
                text[s..e].eq_ignore_ascii_case("annual"),
                "highlighted {:?}",
                &text[s..e]
            );
        }
    }
}

#[test]
fn modes_are_selectable_and_differ() {
    let q = [
        "--policy",
        "PPO_PLUS",
        "-k",
        "5",
        "Is my annual checkup free?",
    ];
    let with = |mode: &str| {
        let mut args = vec!["--mode", mode];
        args.extend_from_slice(&q);
        search(&args)
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_string())
            .collect::<Vec<_>>()
    };
    let (vector, keyword, hybrid) = (with("vector"), with("keyword"), with("hybrid"));
    assert_eq!(hybrid, with("hybrid"), "deterministic");
    assert_ne!(vector, keyword);
    // Fusion draws on both channels: its top 5 share results with each.
    assert!(
        hybrid.iter().any(|id| vector.contains(id)) && hybrid.iter().any(|id| keyword.contains(id))
    );
    let bad = benefind(&[
        "search",
        "--bundle",
        sample_bundle().to_str().expect("utf8"),
        "--mode",
        "fuzzy",
        "q",
    ]);
    assert!(!bad.status.success());
}

/// A real SBC PDF (pages 1–3 of CMS's 2025 example) goes in with `--policy`; its table
/// rows are chunks with pages, and the seed question finds the preventive care row.
#[test]
fn pdf_sbc_builds_with_policy_and_answers_from_its_row_with_page() {
    common::model_files();
    let pdf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pdf/sbc-cms-example-2025-p1-3.pdf");
    let out = scratch().join("sbc.bundle");
    let o = benefind(&[
        "bundle",
        "build",
        "--input",
        pdf.to_str().expect("utf8"),
        "--policy",
        "CMS_EXAMPLE",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bundle = out.to_str().expect("utf8");
    let hits = ok_json(benefind(&[
        "search",
        "--bundle",
        bundle,
        "--policy",
        "CMS_EXAMPLE",
        "Is my annual checkup free?",
    ]))["results"]
        .as_array()
        .expect("results")
        .clone();
    let top = &hits[0];
    let text = top["text"].as_str().expect("text");
    assert!(
        text.contains("Services You May Need: Preventive care/screening/ immunization"),
        "{text}"
    );
    assert!(
        text.contains("Network Provider (You will pay the least): No charge"),
        "{text}"
    );
    assert!(
        !text.contains("Specialist visit"),
        "one row per chunk: {text}"
    );
    assert_eq!(top["metadata"]["page"], 2);
    assert_eq!(top["metadata"]["source"], "sbc-cms-example-2025-p1-3.pdf");
    assert_eq!(top["metadata"]["policy"], "CMS_EXAMPLE");

    // A PDF that is not one fails the build with the reader's message, and no bundle.
    let fake = scratch().join("letter.pdf");
    std::fs::write(&fake, "Dear member, your plan changes on January 1.").expect("write");
    let bad_out = scratch().join("bad.bundle");
    let o = benefind(&[
        "bundle",
        "build",
        "--input",
        fake.to_str().expect("utf8"),
        "--out",
        bad_out.to_str().expect("utf8"),
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("letter.pdf is not a PDF file"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!bad_out.exists());
}

/// The seed question of each plan is answered by a sentence stating its figure, cited by
/// its chunk, with offsets into that chunk's text; a question about a service no plan
/// document mentions gets `"answer": null` and names the service.
#[test]
fn answers_the_seed_question_and_abstains_on_an_absent_service() {
    let bundle = sample_bundle().to_str().expect("utf8").to_string();
    for policy in ["PPO_PLUS", "HMO_SELECT", "HDHP_SAVER"] {
        let out = ok_json(benefind(&[
            "search",
            "--bundle",
            &bundle,
            "--policy",
            policy,
            "Is my annual checkup free?",
        ]));
        let answer = &out["answer"];
        let id = answer["id"].as_str().expect("an answer id");
        let hit = out["results"]
            .as_array()
            .expect("results")
            .iter()
            .find(|h| h["id"] == id)
            .expect("the answer cites one of the results");
        let text = hit["text"].as_str().expect("text");
        let (start, end) = (
            answer["start"].as_u64().expect("start") as usize,
            answer["end"].as_u64().expect("end") as usize,
        );
        assert_eq!(
            &text[start..end],
            answer["text"].as_str().expect("answer text")
        );
        let said = answer["text"].as_str().expect("text").to_lowercase();
        assert!(
            said.contains("100%")
                || said.contains("$0")
                || said.contains("no cost")
                || said.contains("no charge"),
            "{policy}: the answer should state the cost: {said}"
        );
        assert_eq!(
            hit["metadata"]["section"]
                .as_str()
                .map(|s| s.contains("Preventive")),
            Some(true),
            "{policy}: {hit}"
        );
    }
    let out = ok_json(benefind(&[
        "search",
        "--bundle",
        &bundle,
        "--policy",
        "PPO_PLUS",
        "Is acupuncture covered?",
    ]));
    assert!(out["answer"].is_null(), "{out}");
    assert_eq!(out["missing"], serde_json::json!(["acupuncture"]));
    assert_eq!(
        out["results"].as_array().map(Vec::len),
        Some(3),
        "the closest topics stay"
    );
}

/// `bench sbc --save` writes what it read of a PDF, and the bench reads that file back as
/// the PDF itself: the same table from the saved reading as from the PDF (what
/// tests/fixtures/sbc relies on). A JSON file that is not a reading is refused by name.
#[test]
fn bench_sbc_reads_a_saved_reading_as_its_pdf() {
    common::model_files();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pdf = root.join("tests/fixtures/pdf/sbc-cms-example-2025-p1-3.pdf");
    let questions = root.join("tests/fixtures/questions-sbc.jsonl");
    let questions = questions.to_str().expect("utf8");
    let dir = scratch().join("sbc-readings");
    let run = |file: &Path, save: Option<&Path>| {
        let mut args = vec!["bench", "sbc", "--questions", questions];
        if let Some(dir) = save {
            args.extend(["--save", dir.to_str().expect("utf8")]);
        }
        args.push(file.to_str().expect("utf8"));
        benefind(&args)
    };
    let from_pdf = run(&pdf, Some(&dir));
    assert!(
        from_pdf.status.success(),
        "{}",
        String::from_utf8_lossy(&from_pdf.stderr)
    );
    let saved = dir.join("sbc-cms-example-2025-p1-3.json");
    let from_saved = run(&saved, None);
    assert!(
        from_saved.status.success(),
        "{}",
        String::from_utf8_lossy(&from_saved.stderr)
    );
    let table = String::from_utf8_lossy(&from_pdf.stdout).to_string();
    assert!(table.contains("sbc-cms-example-2025-p1-3.pdf"), "{table}");
    assert!(
        table.contains("answer aft")
            && table.contains("abstain aft")
            && table.contains("OON aft")
            && table.contains("pen aft"),
        "{table}"
    );
    assert_eq!(String::from_utf8_lossy(&from_saved.stdout), table);

    let not_a_reading = scratch().join("notes.json");
    std::fs::write(&not_a_reading, r#"{"name": "x.pdf"}"#).expect("write");
    let o = run(&not_a_reading, None);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("notes.json: not a saved SBC reading"), "{err}");
}
