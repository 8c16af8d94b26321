//! The persistent database over the in-memory store, with the real model: reopen
//! restores without re-embedding or rebuilding graphs, ingest/delete are all-or-nothing
//! against storage failures, bundle updates keep ingested documents, mismatched models
//! and corrupt records are caught. (The same `Database` runs over IndexedDB in the
//! browser tests.)

mod common;

use benefind::engine::bundle::{Record, VectorEncoding};
use benefind::engine::index::IndexParams;
use benefind::store::{encode_chunk, BaseSource, Database, MemoryStore};
use benefind::{Collection, Embedder, Error, IngestDoc, MODEL_ID};
use pollster::block_on;
use serde_json::{json, Map, Value};

fn embedder() -> Embedder {
    Embedder::from_files(common::model_files()).expect("model")
}

fn doc(text: &str, policy: &str, id: Option<&str>) -> IngestDoc {
    IngestDoc {
        layout: None,
        text: text.into(),
        policy: policy.into(),
        source: Some("member-notes.md".into()),
        id: id.map(Into::into),
        metadata: Map::new(),
    }
}

const BASE_TEXTS: [(&str, &str); 6] = [
    (
        "PPO_PLUS",
        "Preventive care: your annual checkup is covered at no cost in network.",
    ),
    (
        "PPO_PLUS",
        "Emergency room visits cost a $250 copay, waived if you are admitted.",
    ),
    (
        "PPO_PLUS",
        "Specialist visits cost a $50 copay; no referral is needed.",
    ),
    (
        "HMO_SELECT",
        "Preventive care: annual physical covered in full with your PCP.",
    ),
    (
        "HMO_SELECT",
        "Emergency room: $300 copay. Urgent care: $40 copay.",
    ),
    (
        "HMO_SELECT",
        "Specialists need a referral from your primary care physician.",
    ),
];

/// A small bundle whose per-policy segments get real HNSW graphs (min_graph_rows 2).
fn bundle_bytes(extra: &str) -> Vec<u8> {
    let e = common::embedder();
    let mut records = Vec::new();
    let mut vectors = Vec::new();
    for (i, (policy, text)) in BASE_TEXTS.iter().enumerate() {
        let text = format!("{text}{extra}");
        vectors.extend(e.embed_one(&text).expect("embed"));
        let mut metadata = Map::new();
        metadata.insert("policy".into(), json!(policy));
        metadata.insert("source".into(), json!("base.md"));
        metadata.insert("chunk_index".into(), json!(i));
        records.push(Record {
            id: format!("{policy}_chunk_{i:04}"),
            text,
            metadata,
        });
    }
    let params = IndexParams {
        min_graph_rows: 2,
        ..IndexParams::default()
    };
    let c = Collection::build(MODEL_ID, 384, records, vectors, params).expect("build");
    c.to_bundle(VectorEncoding::F32).expect("bundle").to_bytes()
}

fn open(store: &MemoryStore, bundle: Option<Vec<u8>>) -> benefind::Result<Database<MemoryStore>> {
    block_on(Database::open(store.clone(), embedder(), bundle))
}

fn top_id(db: &Database<MemoryStore>, question: &str, policy: &str) -> String {
    db.engine().search(question, policy).expect("search")[0]
        .id
        .clone()
}

const DENTAL: &str = "## Dental\nTwo dental cleanings a year are covered at no cost.";

#[test]
fn reopen_restores_without_reembedding_or_rebuilding() {
    let store = MemoryStore::new();
    let bundle = bundle_bytes("");
    let mut db = open(&store, Some(bundle.clone())).expect("open");
    assert_eq!(db.store_stats().open.base, BaseSource::Imported);
    let report = block_on(db.ingest(&[doc(DENTAL, "PPO_PLUS", Some("dental"))], &mut |_, _| {}))
        .expect("ingest");
    assert_eq!(report.ids, ["dental_chunk_0000"]);
    assert_eq!(
        top_id(&db, "teeth cleaning", "PPO_PLUS"),
        "dental_chunk_0000"
    );
    drop(db);

    // Same bundle again (as a page reload fetches it): nothing rewritten, nothing embedded.
    let db = open(&store, Some(bundle)).expect("reopen");
    let stats = db.store_stats();
    assert_eq!(stats.open.base, BaseSource::Stored);
    assert_eq!(stats.open.restored, 1);
    assert_eq!(stats.texts_embedded, 0, "reopen must not re-embed");
    let (graph_rows, exact_rows) = db.engine().collection().segment_sizes();
    assert_eq!(
        (graph_rows, exact_rows),
        (6, 1),
        "stored graphs serve the base"
    );
    assert_eq!(
        top_id(&db, "teeth cleaning", "PPO_PLUS"),
        "dental_chunk_0000"
    );
    // Only the question: as typed and with the plan words "teeth cleaning" stands for.
    assert!(benefind::engine::keyword::with_plan_words("teeth cleaning").is_some());
    assert_eq!(
        db.engine().embedder().texts_embedded(),
        2,
        "only the question"
    );
    assert_eq!(db.documents().len(), 1);
    assert_eq!(db.documents()[0].id, "dental");

    // Offline (no bundle passed): the stored base is used.
    let db = open(&store, None).expect("reopen offline");
    assert_eq!(db.engine().collection().len(), 7);
    assert_eq!(
        top_id(&db, "Is my annual checkup free?", "PPO_PLUS"),
        "PPO_PLUS_chunk_0000"
    );
}

#[test]
fn failed_commit_changes_nothing() {
    let store = MemoryStore::new();
    let mut db = open(&store, Some(bundle_bytes(""))).expect("open");
    block_on(db.ingest(&[doc(DENTAL, "PPO_PLUS", Some("dental"))], &mut |_, _| {}))
        .expect("ingest");
    let before = store.data().chunks.clone();

    store.fail_commits(Some("disk full"));
    let err = block_on(db.ingest(
        &[doc(
            "## Vision\nEye exams every year, $10.",
            "PPO_PLUS",
            Some("vision"),
        )],
        &mut |_, _| {},
    ))
    .expect_err("quota");
    assert_eq!(err.code(), "QUOTA_EXCEEDED");
    assert_eq!(db.engine().collection().len(), 7, "memory unchanged");
    let err = block_on(db.delete(&["dental".into()])).expect_err("quota");
    assert_eq!(err.code(), "QUOTA_EXCEEDED");
    assert_eq!(
        top_id(&db, "teeth cleaning", "PPO_PLUS"),
        "dental_chunk_0000"
    );
    assert_eq!(store.data().chunks, before, "storage unchanged");

    // A bad document fails before anything is written, even with storage working.
    store.fail_commits(None);
    let err = block_on(db.ingest(
        &[
            doc("fine text", "PPO_PLUS", Some("a")),
            doc("  ", "PPO_PLUS", Some("b")),
        ],
        &mut |_, _| {},
    ))
    .expect_err("empty document");
    assert_eq!(err.code(), "INVALID_INPUT");
    assert_eq!(store.data().chunks, before);
    drop(db);
    let db = open(&store, None).expect("reopen");
    assert_eq!(db.engine().collection().len(), 7);
}

#[test]
fn delete_and_replace_survive_reopen() {
    let store = MemoryStore::new();
    let mut db = open(&store, Some(bundle_bytes(""))).expect("open");
    let two_sections = "## Dental\nCleanings twice a year.\n\n## Vision\nEye exam yearly.";
    block_on(db.ingest(
        &[doc(two_sections, "PPO_PLUS", Some("extras"))],
        &mut |_, _| {},
    ))
    .expect("ingest");
    // Replacing the document with a shorter one drops its old extra chunks.
    block_on(db.ingest(&[doc(DENTAL, "PPO_PLUS", Some("extras"))], &mut |_, _| {}))
        .expect("replace");
    // Deleting a base chunk tombstones it.
    assert_eq!(
        block_on(db.delete(&["PPO_PLUS_chunk_0001".into()])).expect("delete"),
        1
    );
    let ids = |db: &Database<MemoryStore>| {
        let mut ids: Vec<String> = db
            .engine()
            .collection()
            .records()
            .map(|r| r.id.clone())
            .collect();
        ids.sort();
        ids
    };
    let expected = ids(&db);
    assert!(!expected.contains(&"PPO_PLUS_chunk_0001".to_string()));
    drop(db);
    let mut db = open(&store, None).expect("reopen");
    assert_eq!(ids(&db), expected);
    // A document without id gets a stable one, so it can be listed and deleted.
    let r = block_on(db.ingest(
        &[doc(
            "## Gym\nGym membership $20 a month back.",
            "HMO_SELECT",
            None,
        )],
        &mut |_, _| {},
    ))
    .expect("ingest");
    assert!(r.ids[0].starts_with("doc-"), "{:?}", r.ids);
    let doc_id = db
        .documents()
        .iter()
        .find(|d| d.policy == "HMO_SELECT")
        .expect("listed")
        .id
        .clone();
    assert_eq!(block_on(db.delete(&[doc_id])).expect("delete"), 1);
    drop(db);
    let db = open(&store, None).expect("reopen");
    assert_eq!(ids(&db), expected);
}

#[test]
fn new_bundle_version_keeps_ingested_documents() {
    let store = MemoryStore::new();
    let mut db = open(&store, Some(bundle_bytes(""))).expect("open");
    block_on(db.ingest(&[doc(DENTAL, "PPO_PLUS", Some("dental"))], &mut |_, _| {}))
        .expect("ingest");
    block_on(db.delete(&["HMO_SELECT_chunk_0005".into()])).expect("delete");
    drop(db);
    let db = open(&store, Some(bundle_bytes(" (2027 plan year)"))).expect("update");
    assert_eq!(db.store_stats().open.base, BaseSource::Updated);
    assert_eq!(
        db.store_stats().tombstones,
        0,
        "old tombstones do not apply to a new base"
    );
    let hit = &db
        .engine()
        .search("annual checkup", "PPO_PLUS")
        .expect("search")[0];
    assert!(hit.text.ends_with("(2027 plan year)"), "{}", hit.text);
    assert_eq!(
        top_id(&db, "teeth cleaning", "PPO_PLUS"),
        "dental_chunk_0000"
    );
    assert_eq!(db.engine().collection().len(), 7);
}

#[test]
fn bad_bundles_and_other_models_are_refused_and_leave_data_intact() {
    let store = MemoryStore::new();
    let mut db = open(&store, Some(bundle_bytes(""))).expect("open");
    block_on(db.ingest(&[doc(DENTAL, "PPO_PLUS", Some("dental"))], &mut |_, _| {}))
        .expect("ingest");
    drop(db);
    let stored = |store: &MemoryStore| {
        let data = store.data();
        (data.base.clone(), data.chunks.clone())
    };
    let before = stored(&store);

    let mut truncated = bundle_bytes(" v2");
    truncated.truncate(truncated.len() / 2);
    let err = open(&store, Some(truncated)).expect_err("truncated bundle");
    assert_eq!(err.code(), "BAD_BUNDLE", "{err}");

    // Stored data of another dimension: a clear error with both numbers.
    let identity = store.data().identity.clone().expect("identity");
    let mut other: Value = serde_json::from_slice(&identity).expect("json");
    other["dims"] = json!(1024);
    store.data().identity = Some(serde_json::to_vec(&other).expect("json"));
    let err = open(&store, None).expect_err("dims");
    assert_eq!(err.code(), "DIMENSION_MISMATCH");
    assert!(
        err.to_string().contains("1024") && err.to_string().contains("384"),
        "{err}"
    );
    other["dims"] = json!(384);
    other["modelId"] = json!("amazon.titan-embed-text-v2:0");
    store.data().identity = Some(serde_json::to_vec(&other).expect("json"));
    let err = open(&store, None).expect_err("model");
    assert_eq!(err.code(), "MODEL_MISMATCH");
    assert!(err.to_string().contains("titan"), "{err}");

    store.data().identity = Some(identity);
    assert_eq!(stored(&store), before);
    let db = open(&store, None).expect("still opens");
    assert_eq!(db.engine().collection().len(), 7);
}

#[test]
fn corrupt_records_are_reported_and_cleared() {
    let store = MemoryStore::new();
    let mut db = open(&store, Some(bundle_bytes(""))).expect("open");
    block_on(db.ingest(
        &[
            doc(DENTAL, "PPO_PLUS", Some("dental")),
            doc("## Vision\nEye exam yearly.", "PPO_PLUS", Some("vision")),
        ],
        &mut |_, _| {},
    ))
    .expect("ingest");
    drop(db);
    // Flip one byte of one record; store another under the wrong key.
    {
        let mut data = store.data();
        let blob = data.chunks.get_mut("dental_chunk_0000").expect("stored");
        let last = blob.len() - 1;
        blob[last] ^= 0x55;
        let vision = data.chunks["vision_chunk_0000"].clone();
        data.chunks.insert("stray".into(), vision);
    }
    let db = open(&store, None).expect("opens despite corruption");
    let report = db.store_stats().open;
    assert_eq!(report.corrupt, ["dental_chunk_0000", "stray"]);
    assert_eq!(report.restored, 1);
    assert_eq!(top_id(&db, "eye exam", "PPO_PLUS"), "vision_chunk_0000");

    // A corrupt base bundle: the member's own documents stay searchable.
    drop(db);
    store.data().base.as_mut().expect("base")[100] ^= 0xff;
    let mut db = open(&store, None).expect("opens");
    assert!(db
        .store_stats()
        .open
        .corrupt
        .contains(&"bundle".to_string()));
    assert_eq!(top_id(&db, "eye exam", "PPO_PLUS"), "vision_chunk_0000");

    block_on(db.clear()).expect("clear");
    assert_eq!(db.engine().collection().len(), 0);
    assert!(db.store_stats().open.corrupt.is_empty());
    drop(db);
    let db = open(&store, Some(bundle_bytes(""))).expect("fresh import");
    assert_eq!(db.store_stats().open.base, BaseSource::Imported);
    assert_eq!(db.engine().collection().len(), 6);
    assert!(db.store_stats().open.corrupt.is_empty());
}

#[test]
fn chunk_records_check_what_they_hold() {
    let record = Record {
        id: "a".into(),
        text: "t".into(),
        metadata: Map::new(),
    };
    let blob = encode_chunk(&record, &[0.5; 384], None);
    let (_, vector, units) = benefind::store::decode_chunk("a", &blob, 384).expect("decodes");
    assert_eq!((vector, units), (vec![0.5; 384], None));
    let err = benefind::store::decode_chunk("a", &blob, 256).expect_err("dims");
    assert!(
        matches!(err, Error::StoreCorrupt(_)) && err.to_string().contains("384"),
        "{err}"
    );
    let err = benefind::store::decode_chunk("a", &blob[..20], 384).expect_err("short");
    assert_eq!(err.code(), "STORE_CORRUPT");
    let nan = encode_chunk(&record, &[f32::NAN; 384], None);
    assert!(benefind::store::decode_chunk("a", &nan, 384).is_err());

    // With its answer units' vectors (BFC2): stored as int8, within half a step of
    // 0.5 / 127, a byte per value.
    let unit: Vec<f32> = (0..2 * 384).map(|i| (i as f32 / 767.0) - 0.5).collect();
    let blob = encode_chunk(&record, &[0.5; 384], Some(&unit));
    assert_eq!(&blob[..4], b"BFC2");
    let (_, vector, units) = benefind::store::decode_chunk("a", &blob, 384).expect("decodes");
    assert_eq!(vector, vec![0.5; 384]);
    let units = units.expect("stored with units");
    assert_eq!(units.len(), 2 * 384);
    assert!(unit
        .iter()
        .zip(&units)
        .all(|(a, b)| (a - b).abs() <= 0.5 / 127.0 + 1e-6));
    assert!(blob.len() < 2 * 384 * 4 + 100, "{} bytes", blob.len());
    let err = benefind::store::decode_chunk("a", &blob, 256).expect_err("dims");
    assert!(err.to_string().contains("384"), "{err}");
    // Damaged unit vectors (checksummed, so written that way): a scale that is not a
    // finite non-negative number, or values that are not a whole number of units.
    let damaged = |scales: &[f32], values: &[i8]| {
        let metadata = Value::Object(record.metadata.clone()).to_string();
        let body = (
            &record.id,
            &record.text,
            metadata,
            vec![0.5f32; 384],
            scales,
            values,
        );
        let payload = postcard::to_allocvec(&body).expect("serialises");
        let mut out = b"BFC2".to_vec();
        out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    };
    let err = benefind::store::decode_chunk("a", &damaged(&[f32::NAN], &[1; 384]), 384)
        .expect_err("NaN scale");
    assert!(err.to_string().contains("scale"), "{err}");
    let err =
        benefind::store::decode_chunk("a", &damaged(&[0.1], &[1; 100]), 384).expect_err("ragged");
    assert!(err.to_string().contains("100 values for 1 units"), "{err}");
    assert!(benefind::store::decode_chunk("a", &damaged(&[0.1], &[1; 384]), 384).is_ok());
}

/// Embeds `pending`'s texts as the browser's background step does.
fn embed_pending(pending: &benefind::store::PendingUnits) -> Vec<f32> {
    let e = common::embedder();
    e.embed(pending.texts())
        .expect("embed")
        .into_iter()
        .flatten()
        .collect()
}

#[test]
fn answer_units_embedded_after_the_ingest_are_stored_and_restored() {
    let store = MemoryStore::new();
    let mut db = open(&store, Some(bundle_bytes(""))).expect("open");
    let docs = [
        doc(common::OFFICE, "P", Some("office")),
        doc(common::HOSPITAL, "P", Some("hospital")),
    ];
    block_on(db.ingest(&docs, &mut |_, _| {})).expect("ingest");
    // Until they are stored, the second look embeds the office passage's five units.
    let answer = |db: &Database<MemoryStore>| {
        let before = db.engine().embedder().texts_embedded();
        let answered = db.engine().ask(common::SNEEZING, "P").expect("ask");
        let text = answered.answer.map(|a| a.text);
        assert_eq!(
            text.as_deref(),
            Some("Allergy shots given in the office are a $5 copay.")
        );
        db.engine().embedder().texts_embedded() - before
    };
    // The question (as typed and with the plan word its "shot" stands for), then the units.
    assert_eq!(answer(&db), 2 + 5);
    // Ingest embedded the passages only; the bundle's rows are not the journal's.
    assert_eq!(db.store_stats().units_pending, 2);
    assert!(store.data().chunks.values().all(|b| &b[..4] == b"BFC1"));

    // One whole chunk at least, however small the batch.
    let first = db.pending_units(1).expect("pending");
    assert_eq!(first.chunks(), 1);
    assert!(first.texts().len() > 1, "{:?}", first.texts());
    let vectors = embed_pending(&first);

    // A wrong number of vectors, or a failed write, changes nothing.
    let err = block_on(db.store_units(first.clone(), vectors[..384].to_vec())).expect_err("count");
    assert_eq!(err.code(), "INVALID_INPUT");
    let (given, expected) = (384.to_string(), vectors.len().to_string());
    assert!(
        err.to_string().contains(&given) && err.to_string().contains(&expected),
        "{err}"
    );
    let before = store.data().chunks.clone();
    store.fail_commits(Some("disk full"));
    let err = block_on(db.store_units(first.clone(), vectors.clone())).expect_err("quota");
    assert_eq!(err.code(), "QUOTA_EXCEEDED");
    store.fail_commits(None);
    assert_eq!(store.data().chunks, before);
    assert_eq!(db.store_stats().units_pending, 2);

    assert_eq!(block_on(db.store_units(first, vectors)).expect("stored"), 1);
    assert_eq!(db.store_stats().units_pending, 1);
    let rest = db.pending_units(64).expect("the other chunk");
    let vectors = embed_pending(&rest);
    assert_eq!(
        block_on(db.store_units(rest, vectors.clone())).expect("stored"),
        1
    );
    assert!(db.pending_units(64).is_none());
    assert!(store.data().chunks.values().all(|b| &b[..4] == b"BFC2"));

    // A reopen restores them (int8): nothing embedded, nothing pending.
    drop(db);
    let db = open(&store, None).expect("reopen");
    let stats = db.store_stats();
    assert_eq!((stats.texts_embedded, stats.units_pending), (0, 0));
    let office = db.engine().collection().unit_vectors("office_chunk_0000");
    assert_eq!(office.map(<[f32]>::len), Some(5 * 384));
    assert_eq!(answer(&db), 2, "only the question: the units are read");
}

/// Ingests the dental and office documents, then takes both chunks' pending units and
/// embeds them.
fn ingest_and_take_pending(
    db: &mut Database<MemoryStore>,
) -> (benefind::store::PendingUnits, Vec<f32>) {
    let docs = [
        doc(DENTAL, "P", Some("dental")),
        doc(common::OFFICE, "P", Some("office")),
    ];
    block_on(db.ingest(&docs, &mut |_, _| {})).expect("ingest");
    let pending = db.pending_units(64).expect("pending");
    assert_eq!(pending.chunks(), 2);
    let vectors = embed_pending(&pending);
    (pending, vectors)
}

/// Replaces the dental document with one about fillings and deletes the office one.
fn replace_dental_delete_office(db: &mut Database<MemoryStore>) {
    let replaced = "## Dental\nOne cleaning a year; fillings cost 20% after the deductible.";
    block_on(db.ingest(&[doc(replaced, "P", Some("dental"))], &mut |_, _| {})).expect("replace");
    block_on(db.delete(&["office".into()])).expect("delete");
}

#[test]
fn answer_units_of_a_chunk_replaced_or_deleted_meanwhile_are_not_stored() {
    let store = MemoryStore::new();
    let mut db = open(&store, None).expect("open");
    let (pending, vectors) = ingest_and_take_pending(&mut db);
    // The member replaces one document and deletes the other while they are embedded.
    replace_dental_delete_office(&mut db);
    assert_eq!(
        block_on(db.store_units(pending, vectors)).expect("nothing"),
        0
    );
    // The replacement's units are still to embed, from its own text.
    let pending = db.pending_units(64).expect("the replacement");
    assert_eq!(pending.chunks(), 1);
    assert!(
        pending.texts().iter().any(|t| t.contains("fillings")),
        "{:?}",
        pending.texts()
    );
}

#[test]
fn answer_units_never_bring_back_or_overwrite_another_tabs_change() {
    // Two tabs on one database: tab A embeds units while tab B replaces one document and
    // deletes the other. A's write then leaves B's records as B left them.
    let store = MemoryStore::new();
    let mut a = open(&store, None).expect("tab A");
    let (pending, vectors) = ingest_and_take_pending(&mut a);
    let mut b = open(&store, None).expect("tab B");
    replace_dental_delete_office(&mut b);
    let after_b = store.data().chunks.clone();
    block_on(a.store_units(pending, vectors)).expect("A's write");
    assert_eq!(
        store.data().chunks,
        after_b,
        "B's replacement and deletion stand"
    );
    let reopened = open(&store, None).expect("reopen");
    assert_eq!(reopened.documents().len(), 1);
    let dental = reopened.engine().collection().get("dental_chunk_0000");
    assert!(
        dental.is_some_and(|r| r.text.contains("fillings")),
        "{dental:?}"
    );
}

#[test]
fn data_of_the_previous_format_opens_and_of_a_newer_one_is_refused() {
    let store = MemoryStore::new();
    let mut db = open(&store, None).expect("open");
    block_on(db.ingest(&[doc(DENTAL, "P", Some("dental"))], &mut |_, _| {})).expect("ingest");
    drop(db);
    let identity = |format: u32| {
        serde_json::to_vec(
            &json!({"format": format, "modelId": MODEL_ID, "dims": 384, "bundle": null}),
        )
        .expect("json")
    };
    // Format 1 (before BFC2 chunk records): read as it is, and marked as this format's.
    store.data().identity = Some(identity(1));
    let db = open(&store, None).expect("format 1 opens");
    assert_eq!(db.documents().len(), 1);
    let stored: Value =
        serde_json::from_slice(store.data().identity.as_deref().expect("identity")).expect("json");
    // BFC2 chunk records, which a format-1 reader would call corrupt, came with format 2.
    assert_eq!(stored["format"], json!(2));
    drop(db);
    // A newer writer's data: refused with a message to reload, nothing changed.
    store.data().identity = Some(identity(benefind::store::FORMAT + 1));
    let before = store.data().chunks.clone();
    let err = open(&store, None).expect_err("newer format");
    assert_eq!(err.code(), "STORE_CORRUPT");
    assert!(err.to_string().contains("reload"), "{err}");
    assert_eq!(store.data().chunks, before);
}
