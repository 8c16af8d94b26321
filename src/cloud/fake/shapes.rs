//! Requests and answers checked against AWS's own service model: botocore's
//! `bedrock-runtime/2023-09-30/service-2.json`, the machine-readable description every AWS
//! SDK is generated from, as the fake's Bedrock side checks what the proxy sends and the
//! tests check what the fake answers.
//!
//! `bedrock-runtime-2023-09-30.json` beside this file is an excerpt of it (botocore 1.44.8,
//! Apache-2.0): the operations `Converse`, `ConverseStream` and `ApplyGuardrail` and every
//! shape they reach, documentation removed. Regenerate it from a newer botocore wheel with
//! `pip download --no-deps botocore` and a walk over `operations[op].input/output/errors`
//! and each shape's `members`, `member`, `key` and `value` (the `_source` field says which).
//!
//! The rules are Smithy's, as AWS applies them server-side: structures have `required`
//! members and no others (Bedrock refuses an extraneous key); a `union` sets exactly one
//! member; lists and maps have `min`/`max` sizes; strings have `min`/`max` lengths, `enum`
//! values and a `pattern` (a regular expression that must match somewhere in the value,
//! as Smithy's are not anchored); numbers have `min`/`max`; `document` shapes take any
//! JSON. Members bound to the URI or headers are not in the body.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::Regex;
use serde_json::{Map, Value};

/// A service model (an excerpt of botocore's `service-2.json`).
pub struct ServiceModel {
    operations: Map<String, Value>,
    shapes: Map<String, Value>,
    patterns: Mutex<HashMap<String, Option<Regex>>>,
}

/// The Bedrock Runtime model the fake serves.
pub fn bedrock_runtime() -> &'static ServiceModel {
    static MODEL: OnceLock<ServiceModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        ServiceModel::parse(include_str!("bedrock-runtime-2023-09-30.json"))
            .expect("the bundled bedrock-runtime model parses")
    })
}

impl ServiceModel {
    /// Reads a model; `None` when it is not botocore's layout.
    pub fn parse(json: &str) -> Option<Self> {
        let mut doc: Map<String, Value> = serde_json::from_str(json).ok()?;
        let Value::Object(operations) = doc.remove("operations")? else {
            return None;
        };
        let Value::Object(shapes) = doc.remove("shapes")? else {
            return None;
        };
        Some(Self {
            operations,
            shapes,
            patterns: Mutex::new(HashMap::new()),
        })
    }

    fn operation_shape(&self, operation: &str, which: &str) -> Result<&str, String> {
        self.operations
            .get(operation)
            .and_then(|op| op[which]["shape"].as_str())
            .ok_or_else(|| format!("the model has no {which} for {operation}"))
    }

    /// Checks an operation's request: `uri` gives the members bound to the path (name,
    /// value), `body` the JSON body. The error names the member at fault.
    pub fn check_input(
        &self,
        operation: &str,
        uri: &[(&str, &str)],
        body: &Value,
    ) -> Result<(), String> {
        let shape = self.operation_shape(operation, "input")?;
        let def = self.shape(shape)?;
        let members = def["members"].as_object().cloned().unwrap_or_default();
        let Value::Object(fields) = body else {
            return Err("the request body must be a JSON object".into());
        };
        for (name, member) in &members {
            if member.get("location").and_then(Value::as_str) == Some("uri") {
                let value = uri
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| Value::String((*v).into()))
                    .ok_or_else(|| format!("{name} is missing from the path"))?;
                self.check(member["shape"].as_str().unwrap_or(""), &value, name)?;
            }
        }
        self.check_structure(def, fields, "", true)
    }

    /// Checks an operation's (non-streaming) answer body.
    pub fn check_output(&self, operation: &str, body: &Value) -> Result<(), String> {
        let shape = self.operation_shape(operation, "output")?;
        self.check(shape, body, "")
    }

    /// Checks one event of an operation's event stream: `event_type` is the event's
    /// `:event-type` (or `:exception-type`) header, `payload` its JSON.
    pub fn check_event(
        &self,
        operation: &str,
        event_type: &str,
        payload: &Value,
    ) -> Result<(), String> {
        let output = self.shape(self.operation_shape(operation, "output")?)?;
        let stream_member = output["payload"]
            .as_str()
            .ok_or_else(|| format!("{operation} does not answer with a stream"))?;
        let stream = self.shape(
            output["members"][stream_member]["shape"]
                .as_str()
                .unwrap_or(""),
        )?;
        let event = stream["members"][event_type]["shape"]
            .as_str()
            .ok_or_else(|| format!("{event_type} is not an event of {operation}'s stream"))?;
        self.check(event, payload, event_type)
    }

    fn shape(&self, name: &str) -> Result<&Value, String> {
        self.shapes
            .get(name)
            .ok_or_else(|| format!("the model has no shape {name}"))
    }

    fn pattern_matches(&self, pattern: &str, value: &str) -> bool {
        let mut cache = self.patterns.lock().expect("lock");
        let compiled = cache
            .entry(pattern.to_owned())
            .or_insert_with(|| Regex::new(pattern).ok());
        // A pattern Rust's regex cannot compile is not checked (none in this excerpt).
        compiled.as_ref().is_none_or(|r| r.is_match(value))
    }

    fn check_structure(
        &self,
        def: &Value,
        fields: &Map<String, Value>,
        path: &str,
        top: bool,
    ) -> Result<(), String> {
        let at = |name: &str| {
            if path.is_empty() {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            }
        };
        let empty = Map::new();
        let members = def["members"].as_object().unwrap_or(&empty);
        for (name, value) in fields {
            let member = members
                .get(name)
                .filter(|m| !top || m.get("location").is_none())
                .ok_or_else(|| format!("extraneous key [{}] is not permitted", at(name)))?;
            if value.is_null() {
                continue;
            }
            self.check(member["shape"].as_str().unwrap_or(""), value, &at(name))?;
        }
        for required in def["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap_or("");
            let bound = members[name].get("location").is_some();
            if !(top && bound) && fields.get(name).is_none_or(Value::is_null) {
                return Err(format!("{} is required", at(name)));
            }
        }
        if def["union"].as_bool() == Some(true) {
            let set = fields.values().filter(|v| !v.is_null()).count();
            if set != 1 {
                return Err(format!(
                    "{} must set exactly one member, not {set}",
                    if path.is_empty() { "the union" } else { path }
                ));
            }
        }
        Ok(())
    }

    fn check(&self, shape: &str, v: &Value, path: &str) -> Result<(), String> {
        let def = self.shape(shape)?;
        let kind = def["type"].as_str().unwrap_or("");
        let bound = |n: usize, what: &str| {
            if let Some(min) = def["min"].as_f64() {
                if (n as f64) < min {
                    return Err(format!("{path} has {n} {what}; the minimum is {min}"));
                }
            }
            if let Some(max) = def["max"].as_f64() {
                if (n as f64) > max {
                    return Err(format!("{path} has {n} {what}; the maximum is {max}"));
                }
            }
            Ok(())
        };
        let wrong = |expected: &str| Err(format!("{path} must be {expected}, not {v}"));
        if def["document"].as_bool() == Some(true) {
            return Ok(());
        }
        match kind {
            "structure" => match v {
                Value::Object(fields) => self.check_structure(def, fields, path, false),
                _ => wrong("an object"),
            },
            "list" => {
                let Value::Array(items) = v else {
                    return wrong("a list");
                };
                bound(items.len(), "items")?;
                let member = def["member"]["shape"].as_str().unwrap_or("");
                items
                    .iter()
                    .enumerate()
                    .try_for_each(|(i, item)| self.check(member, item, &format!("{path}[{i}]")))
            }
            "map" => {
                let Value::Object(entries) = v else {
                    return wrong("an object");
                };
                bound(entries.len(), "entries")?;
                let key = def["key"]["shape"].as_str().unwrap_or("");
                let value = def["value"]["shape"].as_str().unwrap_or("");
                entries.iter().try_for_each(|(k, item)| {
                    self.check(key, &Value::String(k.clone()), &format!("{path} key"))?;
                    self.check(value, item, &format!("{path}.{k}"))
                })
            }
            "string" => {
                let Value::String(s) = v else {
                    return wrong("a string");
                };
                bound(s.chars().count(), "characters")?;
                if let Some(values) = def["enum"].as_array() {
                    if !values.iter().any(|e| e.as_str() == Some(s)) {
                        return Err(format!("{path} must be one of {}, not {s:?}", def["enum"]));
                    }
                }
                if let Some(p) = def["pattern"].as_str() {
                    if !self.pattern_matches(p, s) {
                        return Err(format!("{path} {s:?} does not match the pattern {p}"));
                    }
                }
                Ok(())
            }
            "integer" | "long" | "float" | "double" => {
                let whole = matches!(kind, "integer" | "long");
                let Some(n) = (if whole {
                    v.as_i64().map(|n| n as f64)
                } else {
                    v.as_f64()
                }) else {
                    return wrong(if whole { "an integer" } else { "a number" });
                };
                if def["min"].as_f64().is_some_and(|m| n < m)
                    || def["max"].as_f64().is_some_and(|m| n > m)
                {
                    return Err(format!(
                        "{path} is {v}; it must be within [{}, {}]",
                        def["min"], def["max"]
                    ));
                }
                Ok(())
            }
            "boolean" => match v {
                Value::Bool(_) => Ok(()),
                _ => wrong("a boolean"),
            },
            // Blobs travel as base64 strings in JSON; timestamps as epoch seconds.
            "blob" => match v {
                Value::String(s)
                    if s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) =>
                {
                    Ok(())
                }
                _ => wrong("a base64 string"),
            },
            "timestamp" => match v {
                Value::Number(_) | Value::String(_) => Ok(()),
                _ => wrong("a timestamp"),
            },
            other => Err(format!("{path}: the model's type {other} is not known")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_pattern_in_the_excerpt_compiles() {
        let model = bedrock_runtime();
        for (name, shape) in &model.shapes {
            if let Some(p) = shape["pattern"].as_str() {
                assert!(Regex::new(p).is_ok(), "{name}: {p}");
            }
        }
    }

    #[test]
    fn converse_requests_are_held_to_the_model() {
        let m = bedrock_runtime();
        let uri = [("modelId", "amazon.nova-micro-v1:0")];
        let good = json!({
            "messages": [{"role": "user", "content": [{"text": "hi"}]}],
            "system": [{"text": "be brief"}],
            "inferenceConfig": {"maxTokens": 300, "temperature": 0.0},
            "guardrailConfig": {"guardrailIdentifier": "abc123", "guardrailVersion": "1"}
        });
        m.check_input("Converse", &uri, &good).expect("valid");
        let cases = [
            (
                json!({"messages": [{"role": "robot", "content": [{"text": "hi"}]}]}),
                "role",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"text": "a", "guardContent": {"text": {"text": "b"}}}]}]}),
                "exactly one",
            ),
            (
                json!({"messages": [{"role": "user"}]}),
                "content is required",
            ),
            (
                json!({"messages": [], "temperature": 1}),
                "extraneous key [temperature]",
            ),
            (json!({"inferenceConfig": {"maxTokens": 0}}), "maxTokens"),
            (json!({"modelId": "x"}), "extraneous key [modelId]"),
        ];
        for (body, expected) in cases {
            let e = m.check_input("Converse", &uri, &body).expect_err("invalid");
            assert!(e.contains(expected), "{body}: {e}");
        }
        let e = m
            .check_input("Converse", &[], &good)
            .expect_err("no model id");
        assert!(e.contains("modelId"), "{e}");
    }

    #[test]
    fn answers_and_stream_events_are_held_to_the_model() {
        let m = bedrock_runtime();
        m.check_event(
            "ConverseStream",
            "contentBlockDelta",
            &json!({"delta": {"text": "Hi"}, "contentBlockIndex": 0}),
        )
        .expect("valid delta");
        assert!(m
            .check_event(
                "ConverseStream",
                "contentBlockDelta",
                &json!({"delta": {"text": "Hi"}})
            )
            .is_err());
        assert!(m
            .check_event("ConverseStream", "bogus", &json!({}))
            .is_err());
        let e = m
            .check_output(
                "ApplyGuardrail",
                &json!({"action": "NONE", "outputs": [], "assessments": []}),
            )
            .expect_err("usage is required");
        assert!(e.contains("usage"), "{e}");
    }
}
