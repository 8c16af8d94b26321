//! The metadata filter against the cases AWS documents for S3 Vectors ("Metadata
//! filtering" in the Amazon S3 user guide: the operator table, "Valid filterable metadata
//! examples", and the `$eq`-on-an-array example). The expected answers are written from
//! that page, not computed with `filter.rs`, so a difference between benefind's filters
//! (which the fake AWS evaluates too) and AWS's shows here. Where the page is silent
//! (e.g. `$ne` on a list, or on a missing field) there is no case: those are benefind's
//! own documented choices, tested in `src/filter.rs`.

use benefind::Filter;
use serde_json::{json, Map, Value};

/// The page's example documents: movies with `genre` and `year`, one with a list-valued
/// `category`, and one with neither field.
fn docs() -> Vec<(&'static str, Map<String, Value>)> {
    let obj = |v: Value| v.as_object().expect("object").clone();
    vec![
        (
            "documentary-2020",
            obj(json!({"genre": "documentary", "year": 2020})),
        ),
        ("drama-2019", obj(json!({"genre": "drama", "year": 2019}))),
        ("comedy-2021", obj(json!({"genre": "comedy", "year": 2021}))),
        (
            "listed",
            obj(json!({"category": ["documentary", "romance"]})),
        ),
        ("bare", obj(json!({"title": "untitled"}))),
    ]
}

/// (what the page says, filter, documents that match). Every document not listed must
/// not match.
fn cases() -> Vec<(&'static str, Value, Vec<&'static str>)> {
    vec![
        (
            "no operator means $eq",
            json!({"genre": "documentary"}),
            vec!["documentary-2020"],
        ),
        (
            "$eq: exact match",
            json!({"genre": {"$eq": "documentary"}}),
            vec!["documentary-2020"],
        ),
        (
            "$gt: greater than (numbers)",
            json!({"year": {"$gt": 2019}}),
            vec!["documentary-2020", "comedy-2021"],
        ),
        (
            "$gte: greater than or equal",
            json!({"year": {"$gte": 2020}}),
            vec!["documentary-2020", "comedy-2021"],
        ),
        (
            "$lt: less than",
            json!({"year": {"$lt": 2020}}),
            vec!["drama-2019"],
        ),
        (
            "$lte: less than or equal",
            json!({"year": {"$lte": 2020}}),
            vec!["documentary-2020", "drama-2019"],
        ),
        (
            "$in: any value in the array",
            json!({"genre": {"$in": ["comedy", "documentary"]}}),
            vec!["documentary-2020", "comedy-2021"],
        ),
        (
            "$exists true: the field is present",
            json!({"genre": {"$exists": true}}),
            vec!["documentary-2020", "drama-2019", "comedy-2021"],
        ),
        (
            "$exists false: the field is absent",
            json!({"genre": {"$exists": false}}),
            vec!["listed", "bare"],
        ),
        (
            "$eq on a list matches when any element matches",
            json!({"category": {"$eq": "documentary"}}),
            vec!["listed"],
        ),
        (
            "$eq on a list, no element matches",
            json!({"category": {"$eq": "drama"}}),
            vec![],
        ),
        (
            "$and: logical AND",
            json!({"$and": [{"genre": {"$eq": "drama"}}, {"year": {"$gte": 2019}}]}),
            vec!["drama-2019"],
        ),
        (
            "$and: logical AND, nothing satisfies both",
            json!({"$and": [{"genre": "drama"}, {"year": {"$gte": 2020}}]}),
            vec![],
        ),
        (
            "$or: logical OR",
            json!({"$or": [{"genre": "drama"}, {"genre": "comedy"}]}),
            vec!["drama-2019", "comedy-2021"],
        ),
        (
            "numeric range on one field",
            json!({"year": {"$gte": 2020, "$lte": 2020}}),
            vec!["documentary-2020"],
        ),
    ]
}

#[test]
fn filters_match_what_aws_documents() {
    let docs = docs();
    for (what, filter, want) in cases() {
        let f = Filter::parse(&filter).unwrap_or_else(|e| panic!("{what}: {filter} refused: {e}"));
        for (name, metadata) in &docs {
            assert_eq!(
                f.matches(metadata),
                want.contains(name),
                "{what}: {filter} on {name} ({})",
                Value::Object(metadata.clone())
            );
        }
    }
}

/// Input types from the page's operator table: `$gt`…`$lte` take numbers, `$in`/`$nin` a
/// non-empty array of primitives, `$exists` a boolean, `$and`/`$or` a non-empty array of
/// filters, `$eq`/`$ne` a string, number or boolean.
#[test]
fn filters_aws_would_refuse_are_refused() {
    for bad in [
        json!({"year": {"$gt": "2019"}}),
        json!({"year": {"$lte": true}}),
        json!({"genre": {"$in": []}}),
        json!({"genre": {"$in": "comedy"}}),
        json!({"genre": {"$nin": [["comedy"]]}}),
        json!({"genre": {"$exists": "yes"}}),
        json!({"$and": []}),
        json!({"$or": {"genre": "drama"}}),
        json!({"genre": {"$eq": ["drama"]}}),
        json!({"genre": {"$ne": {"x": 1}}}),
        json!({"genre": {"$regex": "dra.*"}}),
    ] {
        assert!(Filter::parse(&bad).is_err(), "{bad} was accepted");
    }
}

/// `$ne` ("not equal") and `$nin` ("matches none of the values") from the operator
/// table, on the documents whose field is a scalar: the page defines nothing else.
#[test]
fn ne_and_nin_on_scalars() {
    let docs = docs();
    let scalars = &docs[..3];
    let ne = Filter::parse(&json!({"genre": {"$ne": "drama"}})).unwrap();
    let nin = Filter::parse(&json!({"genre": {"$nin": ["comedy", "documentary"]}})).unwrap();
    for (name, m) in scalars {
        assert_eq!(ne.matches(m), *name != "drama-2019", "$ne on {name}");
        assert_eq!(nin.matches(m), *name == "drama-2019", "$nin on {name}");
    }
}
