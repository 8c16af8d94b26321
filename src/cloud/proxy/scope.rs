//! A token's scope (its `forced_filter`): AND-ed into every query, and for writes the
//! fields the proxy itself sets and the key namespace it writes in.
//!
//! A scope of exact fields (`{tenant = "acme"}`, values string, number or boolean) is
//! *set*, not checked: every vector a scoped token writes gets those fields as scalars
//! from the proxy (a client value that differs is refused, and a list such as
//! `["acme", "globex"]` differs), and its key is stored under a prefix derived from the
//! fields (`{16 hex digits}/{key}`), which query answers strip again. Two scopes never
//! share a key, so a scoped token cannot overwrite or delete another scope's vectors
//! whatever key it sends. Ingest tokens must have such a scope or none; search tokens may
//! have any filter, since they only read.

use super::*;

/// A parsed `forced_filter`.
#[derive(Clone, Debug)]
pub(super) struct Scope {
    /// The filter as configured, AND-ed into queries.
    pub(super) filter: Value,
    /// The same, parsed, for checking stored metadata.
    pub(super) parsed: Filter,
    /// The exact fields, when the filter is only `field = scalar` pairs (or `$eq`).
    pub(super) fields: Option<Map<String, Value>>,
    /// The key namespace of `fields` (empty without them).
    pub(super) prefix: String,
}

impl Scope {
    /// Parses a token's forced filter; `role` decides whether it must be exact fields.
    pub(super) fn new(filter: &Value, role: Role) -> Result<Self, String> {
        let parsed = Filter::parse(filter).map_err(|e| e.to_string())?;
        let fields = exact_fields(filter);
        if role == Role::Ingest && fields.is_none() {
            return Err(
                "an ingest token's scope must be exact fields (e.g. { tenant = \"acme\" }, values string, number or boolean), which the proxy sets on every vector it writes"
                    .into(),
            );
        }
        let prefix = fields.as_ref().map_or_else(String::new, |f| {
            // serde_json's Map is sorted by key, so equal scopes give equal prefixes.
            let canonical = serde_json::to_string(f).unwrap_or_default();
            format!(
                "{}/",
                &hex::encode(Sha256::digest(canonical.as_bytes()))[..16]
            )
        });
        Ok(Self {
            filter: filter.clone(),
            parsed,
            fields,
            prefix,
        })
    }

    /// The key as stored upstream.
    pub(super) fn stored_key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// The key as the client knows it (keys outside the namespace, written by an unscoped
    /// token, are returned as they are).
    pub(super) fn client_key(&self, key: String) -> String {
        match key.strip_prefix(&self.prefix) {
            Some(k) if !self.prefix.is_empty() => k.to_string(),
            _ => key,
        }
    }

    /// Sets the scope's fields in `metadata`; a client value that differs is an error
    /// naming the field.
    pub(super) fn stamp(&self, metadata: &mut Map<String, Value>) -> Result<(), String> {
        for (field, value) in self.fields.iter().flatten() {
            match metadata.get(field) {
                Some(sent) if sent != value => {
                    return Err(format!(
                        "{field} is {sent}, but this token writes {field} = {value}"
                    ))
                }
                _ => {
                    metadata.insert(field.clone(), value.clone());
                }
            }
        }
        Ok(())
    }
}

/// `{field: scalar}` or `{field: {"$eq": scalar}}` pairs as `field → scalar`; `None` for
/// any other filter.
fn exact_fields(filter: &Value) -> Option<Map<String, Value>> {
    let object = filter.as_object().filter(|o| !o.is_empty())?;
    object
        .iter()
        .map(|(field, v)| {
            if field.starts_with('$') {
                return None;
            }
            let value = match v {
                Value::Object(op) if op.len() == 1 => op.get("$eq")?,
                v => v,
            };
            aws::is_scalar(value).then(|| (field.clone(), value.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_scopes_set_fields_and_namespace_keys() {
        let acme = Scope::new(&json!({"tenant": "acme"}), Role::Ingest).expect("exact");
        let same = Scope::new(&json!({"tenant": {"$eq": "acme"}}), Role::Search).expect("exact");
        let globex = Scope::new(&json!({"tenant": "globex"}), Role::Ingest).expect("exact");
        assert_eq!(acme.prefix, same.prefix);
        assert_ne!(acme.prefix, globex.prefix);
        assert_eq!(acme.prefix.len(), 17);
        let key = "GLOBEX_PPO_chunk_0000";
        assert_ne!(acme.stored_key(key), globex.stored_key(key));
        assert_eq!(acme.client_key(acme.stored_key(key)), key);
        assert_eq!(acme.client_key("plain".into()), "plain");

        let mut m = Map::new();
        acme.stamp(&mut m).expect("absent is set");
        assert_eq!(Value::Object(m), json!({"tenant": "acme"}));
        for sent in [
            json!("globex"),
            json!(["acme", "globex"]),
            json!(["acme"]),
            json!(1),
        ] {
            let mut m = json!({"tenant": sent})
                .as_object()
                .cloned()
                .expect("object");
            assert!(acme.stamp(&mut m).is_err(), "{sent} passed");
        }
    }

    #[test]
    fn ingest_scopes_must_be_exact_fields() {
        for f in [
            json!({"policy": {"$in": ["A", "B"]}}),
            json!({"tenant": ["acme"]}),
            json!({"$and": [{"tenant": "acme"}]}),
            json!({"tenant": {"$ne": "globex"}}),
            json!({}),
        ] {
            assert!(Scope::new(&f, Role::Ingest).is_err(), "{f}");
        }
        let reader = Scope::new(&json!({"policy": {"$in": ["A", "B"]}}), Role::Search)
            .expect("a search token may read through any filter");
        assert!(reader.fields.is_none() && reader.prefix.is_empty());
    }
}
