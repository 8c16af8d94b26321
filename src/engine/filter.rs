//! Metadata `where` filters: the small query language that ChromaDB and AWS S3
//! Vectors users already write to restrict a search to documents whose metadata
//! matches (`{"policy": "PPO_PLUS", "year": {"$gte": 2024}}`).
//!
//! This module owns the filter's grammar (parsing and validation of untrusted JSON,
//! with typed errors that point at the offending spot), its evaluation against one
//! document's metadata, its canonical JSON form, and the one piece of query
//! analysis the index needs ([`Filter::pinned_value`]).
//!
//! # Grammar
//!
//! A filter is a non-empty JSON object. Each key is either
//! * `$and` / `$or`, whose value is a non-empty array of filters, or
//! * a field name (not empty, not starting with `$`), whose value is a string,
//!   number or bool (shorthand for `$eq`) or an object of operators: `$eq`, `$ne`
//!   (string, number or bool), `$gt`, `$gte`, `$lt`, `$lte` (number), `$in`, `$nin`
//!   (non-empty array of strings, numbers or bools), `$exists` (bool).
//!
//! Several keys in one object are AND-ed, and so are several operators on one field
//! (`{"year": {"$gte": 2020, "$lt": 2025}}`). `null` is rejected everywhere. Field
//! names are literal metadata keys: a dot is not a path into nested objects.
//!
//! # Matching
//!
//! * Numbers compare as `f64` (`1 == 1.0`); a string never equals a number and a
//!   bool never equals a number. `$gt`/`$gte`/`$lt`/`$lte` only ever match numbers.
//! * A list-valued field matches `$eq`, `$in`, `$gt`, ... when **any** element
//!   matches. `$ne` and `$nin` are the exact negations of `$eq` and `$in`: on a list
//!   they match when **no** element equals the operand / is in the set (so
//!   `{"tags": {"$ne": "x"}}` rejects `["x", "y"]`).
//! * A missing field (or a field whose value is JSON `null`) matches `$ne`, `$nin`
//!   and `$exists: false`, and nothing else.
//!
//! # Limits
//!
//! Parsing rejects filters nested more than [`MAX_DEPTH`] levels of `$and`/`$or` or
//! with more than [`MAX_NODES`] nodes, before doing unbounded work: it never recurses
//! deeper than [`MAX_DEPTH`], whatever the input. Both limits are measured on the
//! parsed [`Filter`] tree, so [`Filter::to_json`] output always parses back.

use serde_json::{Map, Number, Value};

/// Deepest nesting of logical nodes (`$and`, `$or`, and the implicit AND of an object
/// with several keys or a field with several operators) that [`Filter::parse`] accepts.
/// A single field condition has depth 0; `{"$and": [{"a": 1}]}` has depth 1.
pub const MAX_DEPTH: usize = 10;

/// Most nodes a parsed filter may have. Every [`Filter`] node counts one: each field
/// condition (a bare value is one `$eq`), each `$and`/`$or`, and each implicit AND.
pub const MAX_NODES: usize = 1000;

/// Why a filter was rejected, and where.
///
/// Displayed as `"{path}: {message}"`, e.g. `$and[1].policy.$gt: expected a number`.
/// The path is `(root)` for the top-level object (and for JSON syntax errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FilterError {
    /// Where the problem is: keys joined with `.`, array positions as `[i]`.
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

/// A parsed metadata filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Matches when every sub-filter matches.
    And(Vec<Filter>),
    /// Matches when at least one sub-filter matches.
    Or(Vec<Filter>),
    /// A condition on one metadata field.
    Field {
        /// The metadata key, taken literally.
        field: String,
        /// What the field's value must satisfy.
        cond: Condition,
    },
}

/// One operator applied to a field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `$eq`: equal (for a list: some element is equal).
    Eq(Scalar),
    /// `$ne`: not `$eq` (for a list: no element is equal; a missing field matches).
    Ne(Scalar),
    /// `$gt`: a number greater than this (for a list: some element is).
    Gt(f64),
    /// `$gte`: a number greater than or equal to this.
    Gte(f64),
    /// `$lt`: a number less than this.
    Lt(f64),
    /// `$lte`: a number less than or equal to this.
    Lte(f64),
    /// `$in`: equal to one of these (for a list: some element is).
    In(Vec<Scalar>),
    /// `$nin`: not `$in` (for a list: no element is in the set; a missing field matches).
    Nin(Vec<Scalar>),
    /// `$exists`: `true` when the field must be present (and not `null`), `false` when
    /// it must be absent.
    Exists(bool),
}

/// A filter operand: one string, number or bool.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// A string; equals only an identical string.
    Str(String),
    /// A number, compared as `f64`.
    Num(f64),
    /// A bool; equals only the same bool.
    Bool(bool),
}

impl Filter {
    /// Parses and validates a filter from a JSON value.
    ///
    /// Safe on any input, including arbitrarily deep values: it stops descending at
    /// [`MAX_DEPTH`] and after [`MAX_NODES`] nodes.
    pub fn parse(value: &Value) -> Result<Filter, FilterError> {
        Parser { nodes: 0 }.filter(value, "", 0)
    }

    /// Parses a filter from JSON text. Syntax errors are reported at path `(root)`
    /// with a message starting `invalid JSON:` (serde_json itself refuses text nested
    /// deeper than 128).
    pub fn parse_str(json: &str) -> Result<Filter, FilterError> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| error("", format!("invalid JSON: {e}")))?;
        Filter::parse(&value)
    }

    /// Whether a document with this metadata passes the filter.
    pub fn matches(&self, metadata: &Map<String, Value>) -> bool {
        match self {
            Filter::And(filters) => filters.iter().all(|f| f.matches(metadata)),
            Filter::Or(filters) => filters.iter().any(|f| f.matches(metadata)),
            Filter::Field { field, cond } => cond.matches(metadata.get(field)),
        }
    }

    /// Both filters must match. Used to AND a policy filter into a user's filter.
    ///
    /// Flattens: if either side is already an [`Filter::And`], its children are
    /// spliced in rather than nested. So ANDing a field condition into a parsed filter
    /// adds no `$and`/`$or` level unless the filter's root is an `$or` (or a single
    /// field condition), and then exactly one: a result built from a filter at the
    /// [`MAX_DEPTH`] limit can be one level over it. That does not affect
    /// [`Filter::matches`], only re-parsing of [`Filter::to_json`]'s output.
    pub fn and(self, other: Filter) -> Filter {
        let mut children = match self {
            Filter::And(children) => children,
            single => vec![single],
        };
        match other {
            Filter::And(more) => children.extend(more),
            single => children.push(single),
        }
        Filter::And(children)
    }

    /// `{field: {"$eq": value}}`, e.g. `Filter::field_eq("policy", "PPO_PLUS")`.
    pub fn field_eq(field: &str, value: &str) -> Filter {
        Filter::Field {
            field: field.to_owned(),
            cond: Condition::Eq(Scalar::Str(value.to_owned())),
        }
    }

    /// If the filter pins `field` to one string value, returns it. Used by the index
    /// to pick a per-policy graph.
    ///
    /// Exact (never widens): `Some(v)` guarantees that every document the filter
    /// matches has `field == v` (or, for a list-valued field, a list containing `v`).
    /// A field is pinned by `{"$eq": v}` or a `$in` whose only value is `v`, AND-ed in
    /// at any depth of `$and`. An `$or` pins only when every branch pins the same
    /// value. `$ne`, `$nin`, numbers, bools and anything under an `$or` with a
    /// dissenting branch give `None`. If AND-ed conditions pin two different values
    /// (which only a list field can satisfy), the first in document order is returned;
    /// both guarantees hold, and the full filter must be applied anyway.
    pub fn pinned_value(&self, field: &str) -> Option<&str> {
        match self {
            Filter::Field { field: f, cond } if f == field => match cond {
                Condition::Eq(Scalar::Str(v)) => Some(v),
                Condition::In(set) => {
                    let first = match set.first()? {
                        Scalar::Str(v) => v.as_str(),
                        _ => return None,
                    };
                    set.iter()
                        .all(|s| matches!(s, Scalar::Str(v) if v == first))
                        .then_some(first)
                }
                _ => None,
            },
            Filter::Field { .. } => None,
            Filter::And(filters) => filters.iter().find_map(|f| f.pinned_value(field)),
            Filter::Or(filters) => {
                let mut branches = filters.iter();
                let first = branches.next()?.pinned_value(field)?;
                branches
                    .all(|f| f.pinned_value(field) == Some(first))
                    .then_some(first)
            }
        }
    }

    /// The canonical JSON form: `{"$and": [...]}`, `{"$or": [...]}` and
    /// `{field: {"$op": operand}}` (always an explicit operator). Integral numbers
    /// below 2^53 are written as integers.
    ///
    /// `Filter::parse(&f.to_json()) == Ok(f)` for every filter `parse` returns (and
    /// for anything built from such filters and [`Filter::field_eq`] with valid names
    /// that stays within the limits). Filters built by hand may not parse back: an
    /// empty `And`/`Or`, a field name that is empty or starts with `$`, or a
    /// non-finite number (written as `null`) are all rejected by `parse`.
    pub fn to_json(&self) -> Value {
        let (key, value) = match self {
            Filter::And(filters) => (
                "$and".to_owned(),
                Value::Array(filters.iter().map(Filter::to_json).collect()),
            ),
            Filter::Or(filters) => (
                "$or".to_owned(),
                Value::Array(filters.iter().map(Filter::to_json).collect()),
            ),
            Filter::Field { field, cond } => (field.clone(), cond.to_json()),
        };
        let mut object = Map::new();
        object.insert(key, value);
        Value::Object(object)
    }
}

impl Condition {
    /// Evaluates the condition against a field's value (`None` when it is missing).
    fn matches(&self, value: Option<&Value>) -> bool {
        let value = value.filter(|v| !v.is_null());
        match self {
            Condition::Eq(s) => any_element(value, |v| s.equals(v)),
            Condition::Ne(s) => !any_element(value, |v| s.equals(v)),
            Condition::Gt(x) => any_element(value, |v| v.as_f64().is_some_and(|n| n > *x)),
            Condition::Gte(x) => any_element(value, |v| v.as_f64().is_some_and(|n| n >= *x)),
            Condition::Lt(x) => any_element(value, |v| v.as_f64().is_some_and(|n| n < *x)),
            Condition::Lte(x) => any_element(value, |v| v.as_f64().is_some_and(|n| n <= *x)),
            Condition::In(set) => any_element(value, |v| set.iter().any(|s| s.equals(v))),
            Condition::Nin(set) => !any_element(value, |v| set.iter().any(|s| s.equals(v))),
            Condition::Exists(want) => value.is_some() == *want,
        }
    }

    /// `{"$op": operand}`.
    fn to_json(&self) -> Value {
        let (op, operand) = match self {
            Condition::Eq(s) => ("$eq", s.to_json()),
            Condition::Ne(s) => ("$ne", s.to_json()),
            Condition::Gt(x) => ("$gt", number_to_json(*x)),
            Condition::Gte(x) => ("$gte", number_to_json(*x)),
            Condition::Lt(x) => ("$lt", number_to_json(*x)),
            Condition::Lte(x) => ("$lte", number_to_json(*x)),
            Condition::In(set) => (
                "$in",
                Value::Array(set.iter().map(Scalar::to_json).collect()),
            ),
            Condition::Nin(set) => (
                "$nin",
                Value::Array(set.iter().map(Scalar::to_json).collect()),
            ),
            Condition::Exists(b) => ("$exists", Value::Bool(*b)),
        };
        let mut object = Map::new();
        object.insert(op.to_owned(), operand);
        Value::Object(object)
    }
}

impl Scalar {
    /// Whether a (non-list) metadata value equals this operand.
    fn equals(&self, value: &Value) -> bool {
        match (self, value) {
            (Scalar::Str(a), Value::String(b)) => a == b,
            (Scalar::Num(a), Value::Number(b)) => b.as_f64() == Some(*a),
            (Scalar::Bool(a), Value::Bool(b)) => a == b,
            _ => false,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Scalar::Str(s) => Value::String(s.clone()),
            Scalar::Num(x) => number_to_json(*x),
            Scalar::Bool(b) => Value::Bool(*b),
        }
    }
}

/// Applies `pred` to a present value, or to each element when it is a list.
fn any_element(value: Option<&Value>, pred: impl Fn(&Value) -> bool) -> bool {
    match value {
        None => false,
        Some(Value::Array(items)) => items.iter().any(pred),
        Some(v) => pred(v),
    }
}

/// Integral values in the exactly representable range as integers, others as floats;
/// non-finite values (which JSON cannot hold) as `null`.
fn number_to_json(x: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() < EXACT {
        // In range and integral, so the cast is exact.
        Value::from(x as i64)
    } else {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

fn error(path: &str, message: impl Into<String>) -> FilterError {
    FilterError {
        path: if path.is_empty() {
            "(root)".to_owned()
        } else {
            path.to_owned()
        },
        message: message.into(),
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

const SCALAR: &str = "expected a string, number or bool";
const NULL: &str = "null is not allowed";

/// Recursive-descent parser. Recursion only happens through logical nodes, each of
/// which is depth-checked first, so the stack depth is bounded by [`MAX_DEPTH`].
struct Parser {
    nodes: usize,
}

impl Parser {
    /// Counts one node of the result tree.
    fn count(&mut self, path: &str) -> Result<(), FilterError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(error(
                path,
                format!("too many conditions: more than {MAX_NODES} (MAX_NODES)"),
            ));
        }
        Ok(())
    }

    /// Counts one logical node that has `depth` logical ancestors.
    fn logical(&mut self, path: &str, depth: usize) -> Result<(), FilterError> {
        if depth + 1 > MAX_DEPTH {
            return Err(error(
                path,
                format!("nested too deeply: more than {MAX_DEPTH} levels of $and/$or (MAX_DEPTH)"),
            ));
        }
        self.count(path)
    }

    /// A filter object; `depth` is the number of logical nodes above it.
    fn filter(&mut self, value: &Value, path: &str, depth: usize) -> Result<Filter, FilterError> {
        let object = match value {
            Value::Object(object) => object,
            _ => return Err(error(path, "expected an object")),
        };
        let mut entries = object.iter();
        match (entries.next(), object.len()) {
            (None, _) => Err(error(path, "expected a non-empty object")),
            (Some((key, value)), 1) => self.entry(key, value, path, depth),
            (Some(_), _) => {
                self.logical(path, depth)?;
                let mut children = Vec::with_capacity(object.len().min(MAX_NODES));
                for (key, value) in object {
                    children.push(self.entry(key, value, path, depth + 1)?);
                }
                Ok(Filter::And(children))
            }
        }
    }

    /// One key of a filter object.
    fn entry(
        &mut self,
        key: &str,
        value: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Filter, FilterError> {
        let here = join(path, key);
        match key {
            "$and" | "$or" => {
                let items = match value {
                    Value::Array(items) if !items.is_empty() => items,
                    _ => return Err(error(&here, "expected a non-empty array of filters")),
                };
                self.logical(&here, depth)?;
                let mut children = Vec::with_capacity(items.len().min(MAX_NODES));
                for (i, item) in items.iter().enumerate() {
                    children.push(self.filter(item, &format!("{here}[{i}]"), depth + 1)?);
                }
                Ok(if key == "$and" {
                    Filter::And(children)
                } else {
                    Filter::Or(children)
                })
            }
            "" => Err(error(path, "empty field name")),
            _ if key.starts_with('$') => Err(error(
                &here,
                "unknown operator (expected $and, $or or a field name not starting with '$')",
            )),
            _ => self.field(key, value, &here, depth),
        }
    }

    /// A field's condition: a bare scalar or an object of operators.
    fn field(
        &mut self,
        field: &str,
        value: &Value,
        path: &str,
        depth: usize,
    ) -> Result<Filter, FilterError> {
        let make = |cond| Filter::Field {
            field: field.to_owned(),
            cond,
        };
        let ops = match value {
            Value::Object(ops) => ops,
            Value::Null => return Err(error(path, NULL)),
            Value::Array(_) => {
                return Err(error(
                    path,
                    "expected a string, number, bool or an object of operators",
                ))
            }
            scalar => {
                let cond = Condition::Eq(parse_scalar(scalar, path)?);
                self.count(path)?;
                return Ok(make(cond));
            }
        };
        let mut entries = ops.iter();
        match (entries.next(), ops.len()) {
            (None, _) => Err(error(path, "expected at least one operator")),
            (Some((op, operand)), 1) => {
                let here = join(path, op);
                let cond = parse_condition(op, operand, &here)?;
                self.count(&here)?;
                Ok(make(cond))
            }
            (Some(_), _) => {
                self.logical(path, depth)?;
                let mut children = Vec::with_capacity(ops.len().min(MAX_NODES));
                for (op, operand) in ops {
                    let here = join(path, op);
                    let cond = parse_condition(op, operand, &here)?;
                    self.count(&here)?;
                    children.push(make(cond));
                }
                Ok(Filter::And(children))
            }
        }
    }
}

fn parse_condition(op: &str, operand: &Value, path: &str) -> Result<Condition, FilterError> {
    Ok(match op {
        "$eq" => Condition::Eq(parse_scalar(operand, path)?),
        "$ne" => Condition::Ne(parse_scalar(operand, path)?),
        "$gt" => Condition::Gt(parse_number(operand, path)?),
        "$gte" => Condition::Gte(parse_number(operand, path)?),
        "$lt" => Condition::Lt(parse_number(operand, path)?),
        "$lte" => Condition::Lte(parse_number(operand, path)?),
        "$in" => Condition::In(parse_list(operand, path)?),
        "$nin" => Condition::Nin(parse_list(operand, path)?),
        "$exists" => match operand {
            Value::Bool(b) => Condition::Exists(*b),
            _ => return Err(error(path, "expected true or false")),
        },
        _ if op.starts_with('$') => return Err(error(path, "unknown operator")),
        _ => {
            return Err(error(
                path,
                "expected an operator such as $eq (nested metadata objects are not supported)",
            ))
        }
    })
}

fn parse_scalar(value: &Value, path: &str) -> Result<Scalar, FilterError> {
    match value {
        Value::String(s) => Ok(Scalar::Str(s.clone())),
        Value::Number(_) => Ok(Scalar::Num(parse_number(value, path)?)),
        Value::Bool(b) => Ok(Scalar::Bool(*b)),
        Value::Null => Err(error(path, NULL)),
        Value::Array(_) | Value::Object(_) => Err(error(path, SCALAR)),
    }
}

fn parse_number(value: &Value, path: &str) -> Result<f64, FilterError> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| error(path, "number out of range")),
        _ => Err(error(path, "expected a number")),
    }
}

fn parse_list(value: &Value, path: &str) -> Result<Vec<Scalar>, FilterError> {
    match value {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_scalar(item, &format!("{path}[{i}]")))
            .collect(),
        _ => Err(error(
            path,
            "expected a non-empty array of strings, numbers or bools",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(m) => m,
            other => panic!("test metadata must be an object, got {other}"),
        }
    }

    fn doc() -> Map<String, Value> {
        meta(json!({
            "policy": "PPO_PLUS",
            "year": 2024,
            "copay": 25.5,
            "active": true,
            "tags": ["dental", "vision", 7],
            "nothing": null,
            "empty": []
        }))
    }

    fn f(value: Value) -> Filter {
        match Filter::parse(&value) {
            Ok(filter) => filter,
            Err(e) => panic!("{value} should parse: {e}"),
        }
    }

    fn m(value: Value) -> bool {
        f(value).matches(&doc())
    }

    fn err(value: Value) -> (String, String) {
        match Filter::parse(&value) {
            Ok(filter) => panic!("{value} should be rejected, parsed as {filter:?}"),
            Err(e) => (e.path, e.message),
        }
    }

    fn err_is(value: Value, path: &str, message: &str) {
        assert_eq!(err(value), (path.to_owned(), message.to_owned()));
    }

    /// Drops a deep value without recursing (serde_json's drop is recursive).
    fn drop_deep(mut value: Value) {
        loop {
            let next = match &mut value {
                Value::Object(m) => m.values_mut().next().map(Value::take),
                Value::Array(a) => a.pop(),
                _ => None,
            };
            match next {
                Some(inner) => value = inner,
                None => break,
            }
        }
    }

    /// `{"$and": [v]}`, built without `json!` (which deep-copies interpolated values
    /// recursively through `to_value`).
    fn wrap(key: &str, v: Value) -> Value {
        let mut object = Map::new();
        object.insert(key.to_owned(), Value::Array(vec![v]));
        Value::Object(object)
    }

    fn nested_and(levels: usize, leaf: Value) -> Value {
        let mut v = leaf;
        for _ in 0..levels {
            v = wrap("$and", v);
        }
        v
    }

    // ---- operators ---------------------------------------------------------------

    #[test]
    fn eq_bare_and_explicit() {
        assert!(m(json!({"policy": "PPO_PLUS"})));
        assert!(m(json!({"policy": {"$eq": "PPO_PLUS"}})));
        assert!(!m(json!({"policy": "HMO"})));
        assert!(m(json!({"active": true})));
        assert!(!m(json!({"active": false})));
        assert!(m(json!({"year": 2024})));
        assert!(!m(json!({"year": 2023})));
    }

    #[test]
    fn numbers_compare_as_f64() {
        assert!(m(json!({"year": 2024.0})));
        assert!(m(json!({"copay": 25.5})));
        let ints = meta(json!({"n": 1}));
        assert!(f(json!({"n": 1.0})).matches(&ints));
        let floats = meta(json!({"n": 1.0}));
        assert!(f(json!({"n": 1})).matches(&floats));
    }

    #[test]
    fn types_never_cross() {
        assert!(!m(json!({"year": "2024"})));
        let strings = meta(json!({"n": "1", "b": "true", "one": 1}));
        assert!(!f(json!({"n": 1})).matches(&strings));
        assert!(!f(json!({"b": true})).matches(&strings));
        assert!(!f(json!({"one": true})).matches(&strings));
        assert!(!f(json!({"n": {"$gt": 0}})).matches(&strings));
        assert!(!m(json!({"active": {"$gte": 0}})));
    }

    #[test]
    fn ne() {
        assert!(m(json!({"policy": {"$ne": "HMO"}})));
        assert!(!m(json!({"policy": {"$ne": "PPO_PLUS"}})));
        assert!(
            m(json!({"year": {"$ne": "2024"}})),
            "different type is not equal"
        );
        assert!(!m(json!({"year": {"$ne": 2024.0}})));
        assert!(m(json!({"active": {"$ne": false}})));
    }

    #[test]
    fn ordering_operators() {
        assert!(m(json!({"year": {"$gt": 2023}})));
        assert!(!m(json!({"year": {"$gt": 2024}})));
        assert!(m(json!({"year": {"$gte": 2024}})));
        assert!(!m(json!({"year": {"$gte": 2024.5}})));
        assert!(m(json!({"copay": {"$lt": 26}})));
        assert!(!m(json!({"copay": {"$lt": 25.5}})));
        assert!(m(json!({"copay": {"$lte": 25.5}})));
        assert!(!m(json!({"copay": {"$lte": 25}})));
        assert!(!m(json!({"policy": {"$gt": 0}})), "strings never compare");
    }

    #[test]
    fn in_and_nin() {
        assert!(m(json!({"policy": {"$in": ["HMO", "PPO_PLUS"]}})));
        assert!(!m(json!({"policy": {"$in": ["HMO", "EPO"]}})));
        assert!(m(json!({"year": {"$in": [2023, 2024.0]}})));
        assert!(!m(json!({"year": {"$in": ["2024"]}})));
        assert!(m(json!({"policy": {"$nin": ["HMO", "EPO"]}})));
        assert!(!m(json!({"policy": {"$nin": ["HMO", "PPO_PLUS"]}})));
        assert!(m(json!({"active": {"$in": [true]}})));
        assert!(!m(json!({"active": {"$nin": [true, 3]}})));
    }

    #[test]
    fn exists() {
        assert!(m(json!({"policy": {"$exists": true}})));
        assert!(!m(json!({"policy": {"$exists": false}})));
        assert!(!m(json!({"missing": {"$exists": true}})));
        assert!(m(json!({"missing": {"$exists": false}})));
        assert!(
            m(json!({"empty": {"$exists": true}})),
            "an empty list is present"
        );
        assert!(
            !m(json!({"nothing": {"$exists": true}})),
            "null counts as missing"
        );
        assert!(m(json!({"nothing": {"$exists": false}})));
    }

    #[test]
    fn list_valued_metadata_matches_any_element() {
        assert!(m(json!({"tags": "dental"})));
        assert!(m(json!({"tags": "vision"})));
        assert!(!m(json!({"tags": "hearing"})));
        assert!(m(json!({"tags": 7})));
        assert!(m(json!({"tags": {"$gt": 6}})));
        assert!(!m(json!({"tags": {"$gt": 7}})));
        assert!(m(json!({"tags": {"$lte": 7}})));
        assert!(m(json!({"tags": {"$in": ["hearing", "vision"]}})));
        assert!(!m(json!({"tags": {"$in": ["hearing"]}})));
        assert!(!m(json!({"empty": "x"})));
        assert!(!m(json!({"empty": {"$gt": 0}})));
    }

    #[test]
    fn list_valued_negations_match_when_no_element_does() {
        assert!(!m(json!({"tags": {"$ne": "dental"}})));
        assert!(m(json!({"tags": {"$ne": "hearing"}})));
        assert!(!m(json!({"tags": {"$nin": ["hearing", "vision"]}})));
        assert!(m(json!({"tags": {"$nin": ["hearing", "braces"]}})));
        assert!(m(json!({"empty": {"$ne": "x"}})));
        assert!(m(json!({"empty": {"$nin": ["x"]}})));
    }

    #[test]
    fn nested_values_in_lists_or_objects_never_match() {
        let odd = meta(json!({"l": [["a"], {"a": 1}, null], "o": {"a": 1}}));
        assert!(!f(json!({"l": "a"})).matches(&odd));
        assert!(!f(json!({"o": 1})).matches(&odd));
        assert!(f(json!({"o": {"$exists": true}})).matches(&odd));
        assert!(f(json!({"o": {"$ne": 1}})).matches(&odd));
    }

    #[test]
    fn missing_fields() {
        for cond in [
            json!("x"),
            json!({"$eq": 1}),
            json!({"$gt": 0}),
            json!({"$gte": 0}),
            json!({"$lt": 0}),
            json!({"$lte": 0}),
            json!({"$in": ["x"]}),
            json!({"$exists": true}),
        ] {
            assert!(
                !m(json!({ "missing": cond.clone() })),
                "missing with {cond}"
            );
            assert!(!m(json!({ "nothing": cond.clone() })), "null with {cond}");
        }
        for cond in [
            json!({"$ne": "x"}),
            json!({"$nin": ["x"]}),
            json!({"$exists": false}),
        ] {
            assert!(m(json!({ "missing": cond.clone() })), "missing with {cond}");
            assert!(m(json!({ "nothing": cond.clone() })), "null with {cond}");
        }
    }

    // ---- logic -------------------------------------------------------------------

    #[test]
    fn several_keys_are_anded() {
        assert!(m(json!({"policy": "PPO_PLUS", "year": 2024})));
        assert!(!m(json!({"policy": "PPO_PLUS", "year": 2023})));
        assert_eq!(
            f(json!({"policy": "PPO_PLUS", "year": 2024})),
            Filter::And(vec![
                Filter::field_eq("policy", "PPO_PLUS"),
                Filter::Field {
                    field: "year".into(),
                    cond: Condition::Eq(Scalar::Num(2024.0))
                },
            ])
        );
    }

    #[test]
    fn several_operators_on_one_field_are_anded() {
        assert!(m(json!({"year": {"$gt": 2020, "$lt": 2025}})));
        assert!(!m(json!({"year": {"$gt": 2020, "$lt": 2024}})));
        assert_eq!(
            f(json!({"year": {"$gt": 1, "$lt": 5}})),
            Filter::And(vec![
                Filter::Field {
                    field: "year".into(),
                    cond: Condition::Gt(1.0)
                },
                Filter::Field {
                    field: "year".into(),
                    cond: Condition::Lt(5.0)
                },
            ])
        );
    }

    #[test]
    fn and_or_nested() {
        assert!(m(json!({"$and": [{"policy": "PPO_PLUS"}, {"year": 2024}]})));
        assert!(!m(
            json!({"$and": [{"policy": "PPO_PLUS"}, {"year": 2023}]})
        ));
        assert!(m(json!({"$or": [{"policy": "HMO"}, {"year": 2024}]})));
        assert!(!m(json!({"$or": [{"policy": "HMO"}, {"year": 2023}]})));
        let nested = json!({"$and": [
            {"$or": [{"policy": "HMO"}, {"tags": "vision"}]},
            {"$or": [{"year": {"$lt": 2000}}, {"$and": [{"active": true}, {"copay": {"$lte": 30}}]}]}
        ]});
        assert!(m(nested.clone()));
        let mut other = doc();
        other.insert("active".into(), json!(false));
        assert!(!f(nested).matches(&other));
        // $and/$or beside a field in one object are AND-ed with it.
        assert!(m(
            json!({"policy": "PPO_PLUS", "$or": [{"year": 1}, {"active": true}]})
        ));
        assert!(!m(
            json!({"policy": "HMO", "$or": [{"year": 1}, {"active": true}]})
        ));
    }

    #[test]
    fn and_combinator_flattens() {
        let user = f(json!({"year": {"$gte": 2020}, "tags": "dental"}));
        let combined = user.clone().and(Filter::field_eq("policy", "PPO_PLUS"));
        assert!(combined.matches(&doc()));
        assert!(!user
            .clone()
            .and(Filter::field_eq("policy", "HMO"))
            .matches(&doc()));
        match &combined {
            Filter::And(children) => assert_eq!(children.len(), 3),
            other => panic!("expected a flat And, got {other:?}"),
        }
        let single = Filter::field_eq("a", "1").and(Filter::field_eq("b", "2"));
        assert_eq!(
            single,
            Filter::And(vec![Filter::field_eq("a", "1"), Filter::field_eq("b", "2")])
        );
        let right = Filter::field_eq("p", "x").and(f(json!({"a": 1, "b": 2})));
        match &right {
            Filter::And(children) => assert_eq!(children.len(), 3),
            other => panic!("expected a flat And, got {other:?}"),
        }
        let or = f(json!({"$or": [{"a": 1}, {"b": 2}]}));
        let wrapped = or.clone().and(Filter::field_eq("p", "x"));
        assert_eq!(wrapped, Filter::And(vec![or, Filter::field_eq("p", "x")]));
    }

    // ---- errors ------------------------------------------------------------------

    #[test]
    fn error_paths_and_messages() {
        err_is(json!([1]), "(root)", "expected an object");
        err_is(json!(null), "(root)", "expected an object");
        err_is(json!({}), "(root)", "expected a non-empty object");
        err_is(
            json!({"$and": [{"a": 1}, {"policy": {"$gt": "x"}}]}),
            "$and[1].policy.$gt",
            "expected a number",
        );
        err_is(
            json!({"policy": {"$foo": 1}}),
            "policy.$foo",
            "unknown operator",
        );
        err_is(
            json!({"policy": {"$and": [{"a": 1}]}}),
            "policy.$and",
            "unknown operator",
        );
        err_is(
            json!({"$or": []}),
            "$or",
            "expected a non-empty array of filters",
        );
        err_is(
            json!({"$or": {"a": 1}}),
            "$or",
            "expected a non-empty array of filters",
        );
        err_is(
            json!({"$and": null}),
            "$and",
            "expected a non-empty array of filters",
        );
        err_is(json!({"$and": [1]}), "$and[0]", "expected an object");
        err_is(
            json!({"$or": [{"a": 1}, {}]}),
            "$or[1]",
            "expected a non-empty object",
        );
        err_is(
            json!({"$not": {"a": 1}}),
            "$not",
            "unknown operator (expected $and, $or or a field name not starting with '$')",
        );
        err_is(
            json!({"$and": [{"$eq": 1}]}),
            "$and[0].$eq",
            "unknown operator (expected $and, $or or a field name not starting with '$')",
        );
        err_is(json!({"": 1}), "(root)", "empty field name");
        err_is(json!({"$or": [{"": 1}]}), "$or[0]", "empty field name");
        err_is(json!({"a": null}), "a", "null is not allowed");
        err_is(json!({"a": {"$eq": null}}), "a.$eq", "null is not allowed");
        err_is(
            json!({"a": {"$ne": [1]}}),
            "a.$ne",
            "expected a string, number or bool",
        );
        err_is(
            json!({"a": {"$eq": {"b": 1}}}),
            "a.$eq",
            "expected a string, number or bool",
        );
        err_is(
            json!({"a": [1, 2]}),
            "a",
            "expected a string, number, bool or an object of operators",
        );
        err_is(json!({"a": {}}), "a", "expected at least one operator");
        err_is(
            json!({"a": {"b": 1}}),
            "a.b",
            "expected an operator such as $eq (nested metadata objects are not supported)",
        );
        err_is(json!({"a": {"$lte": true}}), "a.$lte", "expected a number");
        err_is(json!({"a": {"$gte": null}}), "a.$gte", "expected a number");
        err_is(json!({"a": {"$lt": "5"}}), "a.$lt", "expected a number");
        err_is(
            json!({"a": {"$in": []}}),
            "a.$in",
            "expected a non-empty array of strings, numbers or bools",
        );
        err_is(
            json!({"a": {"$nin": "x"}}),
            "a.$nin",
            "expected a non-empty array of strings, numbers or bools",
        );
        err_is(
            json!({"a": {"$in": ["x", null]}}),
            "a.$in[1]",
            "null is not allowed",
        );
        err_is(
            json!({"a": {"$nin": [1, [2]]}}),
            "a.$nin[1]",
            "expected a string, number or bool",
        );
        err_is(
            json!({"a": {"$exists": 1}}),
            "a.$exists",
            "expected true or false",
        );
        // An unknown operator is rejected even beside valid ones.
        err_is(
            json!({"a": {"$gt": 1, "$foo": 5}}),
            "a.$foo",
            "unknown operator",
        );
        err_is(
            json!({"$or": [{"$and": [{"x": 1}, {"y": {"$in": [1, {}]}}]}]}),
            "$or[0].$and[1].y.$in[1]",
            "expected a string, number or bool",
        );
    }

    #[test]
    fn error_display() {
        let e = Filter::parse(&json!({"$and": [{"a": 1}, {"policy": {"$gt": "x"}}]}));
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("$and[1].policy.$gt: expected a number".to_owned())
        );
    }

    #[test]
    fn parse_str_reports_syntax_errors_at_root() {
        assert_eq!(
            Filter::parse_str(r#"{"policy": "HMO"}"#),
            Ok(Filter::field_eq("policy", "HMO"))
        );
        let e = Filter::parse_str(r#"{"policy": "#).err();
        let e = e.unwrap_or_else(|| panic!("truncated JSON must fail"));
        assert_eq!(e.path, "(root)");
        assert!(e.message.starts_with("invalid JSON: "), "{}", e.message);
        assert_eq!(
            Filter::parse_str(r#"{"a": {"$gt": "x"}}"#),
            Err(FilterError {
                path: "a.$gt".into(),
                message: "expected a number".into()
            })
        );
    }

    // ---- limits ------------------------------------------------------------------

    const DEPTH_MSG: &str = "nested too deeply: more than 10 levels of $and/$or (MAX_DEPTH)";

    #[test]
    fn depth_limit_boundary() {
        let ok = nested_and(MAX_DEPTH, json!({"a": 1}));
        assert!(f(ok).matches(&meta(json!({"a": 1}))));
        let deep = nested_and(MAX_DEPTH + 1, json!({"a": 1}));
        let path = format!("{}$and", "$and[0].".repeat(MAX_DEPTH));
        err_is(deep, &path, DEPTH_MSG);
    }

    #[test]
    fn implicit_ands_count_as_levels() {
        // Nine $and levels, then an object with two keys: ten levels, accepted.
        let ok = nested_and(MAX_DEPTH - 1, json!({"a": 1, "b": 2}));
        assert!(Filter::parse(&ok).is_ok());
        let ok = nested_and(MAX_DEPTH - 1, json!({"a": {"$gt": 0, "$lt": 2}}));
        assert!(Filter::parse(&ok).is_ok());
        // Ten $and levels, then a field with two operators: eleven.
        let deep = nested_and(MAX_DEPTH, json!({"a": {"$gt": 0, "$lt": 2}}));
        let path = format!("{}a", "$and[0].".repeat(MAX_DEPTH));
        err_is(deep, &path, DEPTH_MSG);
        let deep = nested_and(MAX_DEPTH, json!({"a": 1, "b": 2}));
        let path = "$and[0].".repeat(MAX_DEPTH);
        err_is(deep, path.trim_end_matches('.'), DEPTH_MSG);
    }

    #[test]
    fn very_deep_value_is_an_error_not_a_stack_overflow() {
        let deep = nested_and(100_000, json!({"a": 1}));
        let result = Filter::parse(&deep);
        drop_deep(deep);
        let e = result.err().unwrap_or_else(|| panic!("must be rejected"));
        assert_eq!(e.message, DEPTH_MSG);

        // Deep in an operand: never descended into.
        let mut operand = json!(1);
        for _ in 0..100_000 {
            operand = Value::Array(vec![operand]);
        }
        let mut ops = Map::new();
        ops.insert("$in".to_owned(), operand);
        let mut object = Map::new();
        object.insert("a".to_owned(), Value::Object(ops));
        let deep = Value::Object(object);
        let result = Filter::parse(&deep);
        drop_deep(deep);
        assert_eq!(
            result,
            Err(FilterError {
                path: "a.$in[0]".into(),
                message: "expected a string, number or bool".into()
            })
        );
    }

    #[test]
    fn deep_json_text() {
        let text = format!("{}{{\"a\":1}}{}", "{\"$or\":[".repeat(50), "]}".repeat(50));
        let e = Filter::parse_str(&text)
            .err()
            .unwrap_or_else(|| panic!("too deep"));
        assert_eq!(e.message, DEPTH_MSG);
        let text = format!(
            "{}{{\"a\":1}}{}",
            "{\"$or\":[".repeat(100_000),
            "]}".repeat(100_000)
        );
        let e = Filter::parse_str(&text)
            .err()
            .unwrap_or_else(|| panic!("too deep"));
        assert_eq!(e.path, "(root)");
        assert!(
            e.message.starts_with("invalid JSON: recursion limit"),
            "{}",
            e.message
        );
    }

    #[test]
    fn node_limit_boundary() {
        // One $and plus 999 fields: 1000 nodes, accepted.
        let fields: Vec<Value> = (0..MAX_NODES - 1).map(|i| json!({ "n": i })).collect();
        let ok =
            Filter::parse(&json!({ "$or": fields })).map(|f| f.matches(&meta(json!({"n": 998}))));
        assert_eq!(ok, Ok(true));
        let fields: Vec<Value> = (0..MAX_NODES).map(|i| json!({ "n": i })).collect();
        err_is(
            json!({ "$or": fields }),
            "$or[999].n",
            "too many conditions: more than 1000 (MAX_NODES)",
        );
        // Stops early on huge inputs; implicit ANDs and multi-operator fields count.
        let huge: Map<String, Value> = (0..100_000)
            .map(|i| (format!("f{i:06}"), json!(i)))
            .collect();
        let (_, message) = err(Value::Object(huge));
        assert_eq!(message, "too many conditions: more than 1000 (MAX_NODES)");
        let pairs: Vec<Value> = (0..500)
            .map(|i| json!({ "n": {"$gt": i, "$lt": i + 2} }))
            .collect();
        let (_, message) = err(json!({ "$or": pairs }));
        assert_eq!(message, "too many conditions: more than 1000 (MAX_NODES)");
    }

    // ---- round trip --------------------------------------------------------------

    #[test]
    fn round_trip() {
        let filters = [
            json!({"policy": "PPO_PLUS"}),
            json!({"year": 2024, "copay": {"$lte": 25.5}, "active": false}),
            json!({"a": {"$ne": -0.0}}),
            json!({"a": {"$gt": 1e300, "$gte": -3, "$lt": 0.1, "$lte": 18446744073709551615u64}}),
            json!({"a": {"$in": ["x", 1, true, 2.5]}, "b": {"$nin": [false]}}),
            json!({"a": {"$exists": true}, "b": {"$exists": false}}),
            json!({"$or": [{"a": 1, "b": 2}, {"$and": [{"c": "x"}, {"$or": [{"d": 9007199254740993u64}]}]}]}),
            nested_and(MAX_DEPTH - 1, json!({"a": {"$gt": 0, "$lt": 2}})),
            json!({"$and": (0..MAX_NODES - 1).map(|i| json!({ "n": i })).collect::<Vec<_>>()}),
        ];
        for value in filters {
            let parsed = f(value.clone());
            let back = parsed.to_json();
            assert_eq!(
                Filter::parse(&back),
                Ok(parsed.clone()),
                "{value} -> {back}"
            );
            // And through text.
            assert_eq!(Filter::parse_str(&back.to_string()), Ok(parsed), "{value}");
        }
    }

    #[test]
    fn canonical_json() {
        assert_eq!(
            f(json!({"p": "x", "y": {"$gt": 2020, "$lt": 2.5}})).to_json(),
            json!({"$and": [
                {"p": {"$eq": "x"}},
                {"$and": [{"y": {"$gt": 2020}}, {"y": {"$lt": 2.5}}]}
            ]})
        );
        assert_eq!(
            Filter::field_eq("policy", "HMO").to_json(),
            json!({"policy": {"$eq": "HMO"}})
        );
        assert_eq!(
            Filter::Field {
                field: "a".into(),
                cond: Condition::Gt(f64::NAN)
            }
            .to_json(),
            json!({"a": {"$gt": null}})
        );
    }

    // ---- pinned_value -------------------------------------------------------------

    fn pin(value: Value) -> Option<String> {
        f(value).pinned_value("policy").map(str::to_owned)
    }

    #[test]
    fn pinned_value_cases() {
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(pin(json!({"policy": "PPO"})), some("PPO"));
        assert_eq!(pin(json!({"policy": {"$eq": "PPO"}})), some("PPO"));
        assert_eq!(pin(json!({"policy": "PPO", "year": 2024})), some("PPO"));
        assert_eq!(
            pin(json!({"$and": [{"year": 1}, {"$and": [{"policy": "PPO"}]}]})),
            some("PPO")
        );
        assert_eq!(pin(json!({"policy": {"$in": ["PPO"]}})), some("PPO"));
        assert_eq!(pin(json!({"policy": {"$in": ["PPO", "PPO"]}})), some("PPO"));
        assert_eq!(
            pin(json!({"$or": [{"policy": "PPO", "a": 1}, {"policy": "PPO"}]})),
            some("PPO")
        );
        assert_eq!(
            pin(json!({"policy": {"$eq": "PPO", "$ne": "HMO"}})),
            some("PPO")
        );
        assert_eq!(pin(json!({"$or": [{"policy": "PPO"}, {"a": 1}]})), None);
        assert_eq!(
            pin(json!({"$or": [{"policy": "PPO"}, {"policy": "HMO"}]})),
            None
        );
        assert_eq!(pin(json!({"$or": [{"a": 1}, {"policy": "PPO"}]})), None);
        assert_eq!(pin(json!({"policy": {"$ne": "PPO"}})), None);
        assert_eq!(pin(json!({"policy": {"$nin": ["PPO"]}})), None);
        assert_eq!(pin(json!({"policy": {"$in": ["PPO", "HMO"]}})), None);
        assert_eq!(pin(json!({"policy": {"$exists": true}})), None);
        assert_eq!(pin(json!({"policy": 5})), None);
        assert_eq!(pin(json!({"policy": {"$in": [5]}})), None);
        assert_eq!(pin(json!({"other": "PPO"})), None);
        assert_eq!(pin(json!({"policyx": "PPO"})), None);
        // Two pins AND-ed: the first, in document order.
        assert_eq!(
            pin(json!({"$and": [{"policy": "A"}, {"policy": "B"}]})),
            some("A")
        );
        // The policy filter ANDed into a user's $or pins it.
        let user = f(json!({"$or": [{"a": 1}, {"b": 2}]}));
        assert_eq!(user.pinned_value("policy"), None);
        let combined = user.and(Filter::field_eq("policy", "PPO_PLUS"));
        assert_eq!(combined.pinned_value("policy"), Some("PPO_PLUS"));
        assert_eq!(Filter::And(vec![]).pinned_value("policy"), None);
        assert_eq!(Filter::Or(vec![]).pinned_value("policy"), None);
    }
}
