//! The engine with the real model: ingest (all-or-nothing, replace by document id),
//! search(question, policy), delete, the dimension contract, and the answer's second look.

mod common;

use benefind::engine::bundle::VectorEncoding;
use benefind::engine::index::IndexParams;
use benefind::{Collection, Embedder, Engine, Error, IngestDoc, Query, MODEL_ID};
use serde_json::{json, Map};

fn engine() -> Engine {
    let embedder = Embedder::from_files(common::model_files()).expect("model");
    Engine::empty(embedder).expect("engine")
}

fn doc(text: &str, policy: &str, id: Option<&str>) -> IngestDoc {
    IngestDoc {
        layout: None,
        text: text.into(),
        policy: policy.into(),
        source: None,
        id: id.map(Into::into),
        metadata: Map::new(),
    }
}

const DENTAL: &str =
    "## Dental\nTwo dental cleanings a year are covered at no cost. Fillings cost a $40 copay.";
const VISION: &str = "## Vision\nOne eye exam every 12 months with a $10 copay; frames up to $150.";

#[test]
fn ingest_then_search_within_policy() {
    let mut e = engine();
    let report = e
        .ingest(&[
            doc(DENTAL, "PPO_PLUS", Some("dental")),
            doc(VISION, "HMO_SELECT", None),
        ])
        .expect("ingest");
    assert_eq!(report.chunks, 2);
    assert_eq!(report.ids, ["dental_chunk_0000", "HMO_SELECT_chunk_0000"]);
    let hits = e
        .search("How often can I get my teeth cleaned?", "PPO_PLUS")
        .expect("search");
    assert_eq!(hits.len(), 1, "only one PPO_PLUS chunk exists");
    assert_eq!(hits[0].id, "dental_chunk_0000");
    assert_eq!(hits[0].metadata["section"], "Dental");
    // The other plan's chunk is never returned for PPO_PLUS, however relevant.
    let hits = e
        .search("eye exam and glasses", "PPO_PLUS")
        .expect("search");
    assert!(hits.iter().all(|h| h.metadata["policy"] == "PPO_PLUS"));
    // Default ids continue per policy.
    let more = e
        .ingest(&[doc(DENTAL, "HMO_SELECT", None)])
        .expect("ingest");
    assert_eq!(more.ids, ["HMO_SELECT_chunk_0001"]);
}

#[test]
fn bad_batch_adds_nothing() {
    let mut e = engine();
    e.ingest(&[doc(DENTAL, "PPO_PLUS", Some("dental"))])
        .expect("ingest");
    let before = e.collection().len();
    for bad in [
        vec![doc(VISION, "PPO_PLUS", None), doc("text", "  ", None)], // empty policy
        vec![
            doc(VISION, "PPO_PLUS", None),
            doc("   \n", "PPO_PLUS", None),
        ], // no text
        vec![
            doc(VISION, "PPO_PLUS", Some("x")),
            doc(DENTAL, "PPO_PLUS", Some("x")),
        ], // repeated id
    ] {
        assert!(e.ingest(&bad).is_err());
        assert_eq!(
            e.collection().len(),
            before,
            "a failed ingest changed the collection"
        );
    }
    let hits = e.search("dental cleaning", "PPO_PLUS").expect("search");
    assert_eq!(
        hits[0].id, "dental_chunk_0000",
        "stored data survives failures"
    );
}

#[test]
fn reingest_replaces_and_delete_by_document() {
    let mut e = engine();
    let long = format!(
        "{DENTAL}\n\n## Orthodontics\n{}",
        "Braces are covered for children under 19 at 50%. ".repeat(40)
    );
    let first = e
        .ingest(&[doc(&long, "PPO_PLUS", Some("dental"))])
        .expect("ingest");
    assert!(first.chunks >= 2);
    let second = e
        .ingest(&[doc(DENTAL, "PPO_PLUS", Some("dental"))])
        .expect("re-ingest");
    assert_eq!(second.chunks, 1);
    assert_eq!(
        second.replaced, first.chunks,
        "every old chunk of the document is replaced"
    );
    assert_eq!(e.collection().len(), 1);
    assert_eq!(
        e.collection_mut().delete(&["dental".to_string()]),
        1,
        "delete by document id"
    );
    assert!(e.collection().is_empty());
    assert!(e.search("dental", "PPO_PLUS").expect("search").is_empty());
}

#[test]
fn chunked_once_then_stored_with_vectors_from_elsewhere() {
    let mut e = engine();
    let docs = [
        doc(DENTAL, "PPO_PLUS", None),
        doc(VISION, "PPO_PLUS", Some("vision")),
    ];
    let chunked = e.chunk_for_ingest(&docs).expect("chunk");
    let texts: Vec<&str> = chunked.texts().collect();
    assert_eq!(texts.len(), chunked.len());
    let vectors: Vec<f32> = e.embedder().embed(&texts).expect("embed").concat();

    // Wrong counts are refused, naming both.
    let err = e
        .prepare_ingest_chunked(chunked.clone(), vectors[..384].to_vec())
        .expect_err("one vector for two chunks");
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("384 vector values were given for 2 chunks") && m.contains("768 were expected")),
        "{err}"
    );

    // Chunked, then the policy gained chunks: the id-less document's numbers are stale.
    let mut other = engine();
    let stale = other.chunk_for_ingest(&docs).expect("chunk");
    other
        .ingest(&[doc(VISION, "PPO_PLUS", None)])
        .expect("ingest");
    let err = other
        .prepare_ingest_chunked(stale, vectors.clone())
        .expect_err("numbered before the collection changed");
    assert!(
        matches!(&err, Error::InvalidInput(m) if m.contains("PPO_PLUS") && m.contains("chunk them again")),
        "{err}"
    );
    assert_eq!(other.collection().len(), 1, "nothing was added");

    // The right vectors: stored as ingest would store them, searchable.
    let prepared = e.prepare_ingest_chunked(chunked, vectors).expect("prepare");
    let report = e.apply_ingest(prepared).expect("apply");
    assert_eq!(report.ids, ["PPO_PLUS_chunk_0000", "vision_chunk_0000"]);
    let hits = e.search("dental cleaning", "PPO_PLUS").expect("search");
    assert_eq!(hits[0].id, "PPO_PLUS_chunk_0000");
}

#[test]
fn query_errors_are_clear() {
    let mut e = engine();
    e.ingest(&[doc(DENTAL, "PPO_PLUS", None)]).expect("ingest");
    let err = e
        .query(&Query {
            vector: Some(vec![0.1; 1024]),
            ..Query::default()
        })
        .expect_err("wrong length");
    assert_eq!(err.code(), "DIMENSION_MISMATCH");
    assert!(
        err.to_string().contains("1024") && err.to_string().contains("384"),
        "{err}"
    );
    let err = e
        .query(&Query {
            question: Some("  ".into()),
            ..Query::default()
        })
        .expect_err("empty");
    assert_eq!(err.code(), "INVALID_INPUT");
    let err = e
        .query(&Query {
            question: Some("q".into()),
            filter: Some(json!({"policy": {"$gt": "x"}})),
            ..Query::default()
        })
        .expect_err("bad filter");
    assert_eq!(err.code(), "BAD_FILTER");
    assert!(err.to_string().contains("policy.$gt"), "{err}");
    let err = e
        .query(&Query {
            question: Some("q".into()),
            k: Some(1000),
            ..Query::default()
        })
        .expect_err("k");
    assert!(err.to_string().contains("1000"));
}

#[test]
fn collection_of_another_dimension_is_refused() {
    let embedder = Embedder::from_files(common::model_files()).expect("model");
    let other = Collection::build(
        benefind::MODEL_ID,
        1024,
        vec![],
        vec![],
        IndexParams::default(),
    )
    .expect("empty");
    let err = Engine::new(embedder, other).expect_err("1024 ≠ 384");
    assert!(
        matches!(
            err,
            Error::DimensionMismatch {
                expected: 384,
                got: 1024,
                ..
            }
        ),
        "{err}"
    );
}

/// An engine holding plan "P"'s office-visits and hospital passages ([`common::OFFICE`],
/// [`common::HOSPITAL`]), ingested (so without stored unit vectors).
fn office_and_hospital() -> Engine {
    let mut engine = engine();
    engine
        .ingest(&[
            doc(common::OFFICE, "P", Some("office")),
            doc(common::HOSPITAL, "P", Some("hospital")),
        ])
        .expect("ingest");
    engine
}

#[test]
fn a_question_typed_with_curly_quotes_is_asked_as_with_straight_ones() {
    // Phone keyboards type ’ and “ ”: the model embeds them otherwise than ' and ", so
    // without reading them plainly the scores (and at times the answer) would differ.
    // Stray white space (pasted text) is read as single spaces.
    let engine = office_and_hospital();
    let straight = "What's the copay if I'm sick and see my \"regular\" doctor?";
    let curly =
        " What\u{2019}s the copay  if I\u{2019}m sick\nand see my \u{201C}regular\u{201D} doctor? ";
    let plain = engine.ask(straight, "P").expect("ask");
    assert!(plain.answer.is_some(), "{plain:?}");
    assert_eq!(engine.ask(curly, "P").expect("ask"), plain);
    assert_eq!(
        engine.search(curly, "P").expect("search"),
        engine.search(straight, "P").expect("search")
    );
}

#[test]
fn a_word_typed_with_a_slip_is_asked_as_the_documents_spell_it() {
    // "specilist" is in no passage: read as the passages' "specialist", the question
    // is asked (ranked, embedded and answered) as if typed without the slip.
    let engine = office_and_hospital();
    let slip = engine
        .ask("how much is a specilist visit?", "P")
        .expect("ask");
    let typed = engine
        .ask("how much is a specialist visit?", "P")
        .expect("ask");
    assert!(typed
        .answer
        .as_ref()
        .expect("answered")
        .text
        .contains("$50"));
    assert_eq!(slip, typed);
}

#[test]
fn a_sentence_close_in_meaning_answers_on_the_second_look() {
    // "Seasonal sneezing" is not the plan's word and the office-visits passage as a whole is
    // not close to the question; its allergy-shot sentence is.
    let engine = office_and_hospital();
    let q = common::SNEEZING;
    let hits = engine.search(q, "P").expect("search");
    // Without the second look, the words and the passage say no.
    let first = engine
        .collection()
        .answer(q, hits, None)
        .expect("answer without closeness");
    assert_eq!(first.answer, None);
    assert_eq!(
        first.missing,
        vec!["seasonal".to_string(), "sneezing".to_string()]
    );
    let answer = engine.ask(q, "P").expect("ask").answer.expect("answered");
    assert_eq!(
        answer.text,
        "Allergy shots given in the office are a $5 copay."
    );
    assert!(answer.id.starts_with("office"), "{}", answer.id);
    // Hay fever, by name, is an allergy (the vocabulary's), not the illness a fever is:
    // its shot is the allergy shot, not a visit to treat an illness.
    let hay_fever = engine
        .ask("what do I pay if I get a shot for my hay fever", "P")
        .expect("ask");
    assert_eq!(
        hay_fever.answer.map(|a| a.text).as_deref(),
        Some("Allergy shots given in the office are a $5 copay.")
    );
    // A question about what the plan does not mention stays unanswered, and names
    // the benefit it asked about (a gym membership is one by name).
    let a = engine
        .ask("will the plan pay for a personal trainer at my gym", "P")
        .expect("ask");
    assert_eq!(a.answer, None);
    assert!(a.missing.contains(&"gym".to_string()), "{:?}", a.missing);

    // Ingested, the passage has no stored unit vectors: the second look embedded them.
    assert_eq!(engine.collection().unit_vectors(&answer.id), None);
    // A bundle built with them (as `benefind bundle build` builds one, int8 on disk)
    // answers by reading them: only the question is embedded.
    let bundle = engine
        .collection()
        .to_bundle(VectorEncoding::Int8)
        .expect("bundle");
    let units = engine
        .embed_units(&bundle.records, &mut |_, _| {})
        .expect("embed units");
    let mut bundle = bundle.with_units(units).expect("units");
    let reread = Collection::from_bundle_bytes(&bundle.to_bytes(), MODEL_ID, 384).expect("reads");
    assert_eq!(
        reread.unit_vectors(&answer.id).map(<[f32]>::len),
        Some(5 * 384),
        "one vector per sentence of the office passage"
    );
    let bundled = Engine::new(engine.into_embedder(), reread).expect("engine");
    let before = bundled.embedder().texts_embedded();
    let a = bundled.ask(q, "P").expect("ask");
    assert_eq!(a.answer.map(|a| a.text), Some(answer.text.clone()));
    // Only the question: as typed and with the plan word its "shot" stands for.
    assert!(benefind::engine::keyword::with_plan_words(q).is_some());
    assert_eq!(
        bundled.embedder().texts_embedded() - before,
        2,
        "only the question"
    );
    // And they are what it reads: zeroed, no sentence is close and it abstains.
    for (record, units) in bundle
        .records
        .iter()
        .zip(bundle.units.as_mut().expect("units"))
    {
        if record.id == answer.id {
            units.fill(0.0);
        }
    }
    let blind = Engine::new(
        bundled.into_embedder(),
        Collection::from_bundle(bundle).expect("collection"),
    )
    .expect("engine");
    assert_eq!(blind.ask(q, "P").expect("ask").answer, None);
}

#[test]
fn a_member_word_is_searched_by_the_plan_words_it_stands_for_too() {
    let mut e = engine();
    e.ingest(&[
        doc(
            "## Specialist visits\nSeeing a specialist in the network costs a $50 copay per visit.",
            "P",
            Some("specialist"),
        ),
        doc(
            "## Maternity\nPrenatal care: office visits during pregnancy are covered at no charge.",
            "P",
            Some("maternity"),
        ),
    ])
    .expect("ingest");
    let first_by_vector = |v: Vec<f32>| {
        let hits = e
            .query(&Query {
                vector: Some(v),
                k: Some(1),
                ..Query::default()
            })
            .expect("query");
        hits[0].id.clone()
    };
    let q = "What do I pay for doctor visits while I'm expecting?";
    // As typed, the model reads the visits, not the pregnancy "expecting" means…
    let typed = e.embedder().embed_one(q).expect("embed");
    assert!(first_by_vector(typed).starts_with("specialist"));
    // …read with the plan words the vocabulary adds for it, the maternity passage is nearer.
    let read = e.question_vector(q).expect("question vector");
    assert!(first_by_vector(read).starts_with("maternity"));
    // The question's search uses that vector.
    let hits = e
        .query(&Query {
            question: Some(q.into()),
            k: Some(1),
            mode: Some(benefind::SearchMode::Vector),
            ..Query::default()
        })
        .expect("search");
    assert!(hits[0].id.starts_with("maternity"), "{}", hits[0].id);
    // A question with no vocabulary word is embedded once, as typed.
    let plain = "How much does a specialist cost?";
    assert_eq!(
        e.question_vector(plain).expect("question vector"),
        e.embedder().embed_one(plain).expect("embed")
    );
}
