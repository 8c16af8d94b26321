//! The four routes' handlers and the checks they share.

use super::*;

/// Depth and value count of a JSON filter.
pub(super) fn filter_shape(v: &Value) -> (usize, usize) {
    match v {
        Value::Object(m) => m
            .values()
            .map(filter_shape)
            .fold((1, 1), |(d, n), (cd, cn)| (d.max(cd + 1), n + cn)),
        Value::Array(a) => a
            .iter()
            .map(filter_shape)
            .fold((1, 1), |(d, n), (cd, cn)| (d.max(cd + 1), n + cn)),
        _ => (0, 1),
    }
}

pub(super) fn check_text(s: &AppState, what: &str, text: &str) -> Result<(), ProxyError> {
    let chars = text.chars().count();
    if text.trim().is_empty() || chars > s.config.limits.max_text_chars {
        return Err(ProxyError::bad(format!(
            "{what} has {chars} characters; it must be non-blank and at most {}",
            s.config.limits.max_text_chars
        )));
    }
    Ok(())
}

pub(super) fn check_dims(s: &AppState, what: &str, v: &[f32]) -> Result<(), ProxyError> {
    if v.len() != s.config.dims {
        return Err(ProxyError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::DimensionMismatch,
            format!(
                "{what} has {} dimensions, but the index holds {} vectors of {} dimensions; vectors of different models cannot be compared",
                v.len(), s.config.model_id, s.config.dims
            ),
        ));
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(ProxyError::bad(format!("{what} has a non-finite value")));
    }
    Ok(())
}

pub(super) fn index_ref(s: &AppState) -> aws::IndexRef {
    aws::IndexRef {
        vector_bucket_name: Some(s.config.vector_bucket.clone()),
        index_name: Some(s.config.index.clone()),
        index_arn: None,
    }
}

pub(super) async fn embed_all(
    s: &AppState,
    texts: Vec<String>,
) -> Result<Vec<Vec<f32>>, ProxyError> {
    stream::iter(texts)
        .map(|t| async move {
            s.upstream
                .embed(&s.config.model_id, s.config.dims, &t)
                .await
        })
        .buffered(s.config.limits.embed_concurrency)
        .try_collect()
        .await
}

pub(super) async fn embed(
    State(s): State<Shared>,
    who: Caller,
    StrictJson(req): StrictJson<EmbedRequest>,
) -> Result<Json<EmbedResponse>, ProxyError> {
    if req.texts.is_empty() || req.texts.len() > s.config.limits.max_texts {
        return Err(ProxyError::bad(format!(
            "texts has {} items; send 1 to {}",
            req.texts.len(),
            s.config.limits.max_texts
        )));
    }
    for (i, t) in req.texts.iter().enumerate() {
        check_text(&s, &format!("texts[{i}]"), t)?;
    }
    s.budget.charge(&s, &who, req.texts.len())?;
    let embeddings = embed_all(&s, req.texts).await?;
    Ok(Json(EmbedResponse {
        embeddings,
        model: s.config.model_id.clone(),
        dims: s.config.dims,
    }))
}

pub(super) async fn query(
    State(s): State<Shared>,
    who: Caller,
    StrictJson(req): StrictJson<QueryRequest>,
) -> Result<Json<QueryResponse>, ProxyError> {
    let limits = &s.config.limits;
    if req.top_k == 0 || req.top_k > limits.max_top_k {
        return Err(ProxyError::bad(format!(
            "topK is {}; it must be 1 to {}",
            req.top_k, limits.max_top_k
        )));
    }
    check_filter(&s, req.filter.as_ref())?;
    if req.mode == Some(SearchMode::Keyword) {
        return Err(ProxyError::bad(
            "mode keyword: S3 Vectors has no word search; use hybrid or vector",
        ));
    }
    // A question is ranked hybrid unless vector is asked for: its words re-rank S3
    // Vectors' best candidates (engine::hybrid_rerank, the local fusion).
    let rerank = match (&req.question, req.mode) {
        (Some(q), None | Some(SearchMode::Hybrid)) => Some(q.clone()),
        _ => None,
    };
    let vector = match (req.question, req.vector) {
        (Some(q), None) => {
            check_text(&s, "question", &q)?;
            s.budget.charge(&s, &who, 1)?;
            s.upstream
                .embed(&s.config.model_id, s.config.dims, &q)
                .await?
        }
        (None, Some(v)) => {
            check_dims(&s, "vector", &v)?;
            v
        }
        _ => return Err(ProxyError::bad("send exactly one of question or vector")),
    };
    let found = search_index(
        &s,
        &who,
        vector,
        req.filter,
        req.top_k,
        rerank.as_deref(),
        req.return_metadata,
        req.return_distance,
    )
    .await?;
    Ok(Json(QueryResponse {
        vectors: found
            .into_iter()
            .map(|v| CloudHit {
                key: who.client_key(v.key),
                distance: v.distance.filter(|_| req.return_distance),
                metadata: v.metadata.filter(|_| req.return_metadata),
            })
            .collect(),
        model: s.config.model_id.clone(),
        dims: s.config.dims,
    }))
}

/// The filter's shape within the limits, and a filter S3 Vectors understands.
pub(super) fn check_filter(s: &AppState, filter: Option<&Value>) -> Result<(), ProxyError> {
    let Some(f) = filter else {
        return Ok(());
    };
    let limits = &s.config.limits;
    let (depth, nodes) = filter_shape(f);
    if depth > limits.max_filter_depth || nodes > limits.max_filter_nodes {
        return Err(ProxyError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadFilter,
            format!(
                "the filter is {depth} levels deep with {nodes} values; the limits are {} and {}",
                limits.max_filter_depth, limits.max_filter_nodes
            ),
        ));
    }
    Filter::parse(f).map_err(|e| {
        ProxyError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadFilter,
            format!("invalid filter: {e}"),
        )
    })?;
    Ok(())
}

/// QueryVectors under the caller's filter AND its scope: the best `top_k`, re-ranked
/// hybrid with `rerank`'s words when given (from S3 Vectors' best
/// [`RERANK_CANDIDATES`]).
#[allow(clippy::too_many_arguments)]
pub(super) async fn search_index(
    s: &AppState,
    who: &Caller,
    vector: Vec<f32>,
    filter: Option<Value>,
    top_k: usize,
    rerank: Option<&str>,
    return_metadata: bool,
    return_distance: bool,
) -> Result<Vec<aws::QueryOutputVector>, ProxyError> {
    let filter = match (filter, &who.forced) {
        (Some(f), Some(scope)) => Some(json!({"$and": [f, scope.filter]})),
        (f, scope) => f.or(scope.as_ref().map(|s| s.filter.clone())),
    };
    let upstream = aws::QueryVectorsInput {
        index: index_ref(s),
        top_k: if rerank.is_some() {
            RERANK_CANDIDATES.max(top_k).min(aws::MAX_TOP_K)
        } else {
            top_k
        },
        query_vector: VectorData { float32: vector },
        filter,
        return_metadata: return_metadata || rerank.is_some(),
        return_distance: return_distance || rerank.is_some(),
    };
    let out: aws::QueryVectorsOutput = s
        .upstream
        .call_json(aws::S3VECTORS, "/QueryVectors", &upstream, "query")
        .await?;
    Ok(match rerank {
        Some(question) => reranked(question, out.vectors, top_k),
        None => out.vectors,
    })
}

/// S3 Vectors' candidates in hybrid order, the best `k`: each candidate's text is its
/// `chunk` metadata, its similarity 1 − its cosine distance.
fn reranked(
    question: &str,
    found: Vec<aws::QueryOutputVector>,
    k: usize,
) -> Vec<aws::QueryOutputVector> {
    let candidates: Vec<(&str, f32)> = found
        .iter()
        .map(|v| {
            let text = v
                .metadata
                .as_ref()
                .and_then(|m| m.get(TEXT_KEY))
                .and_then(Value::as_str)
                .unwrap_or("");
            (text, 1.0 - v.distance.unwrap_or(1.0))
        })
        .collect();
    let order = hybrid_rerank(question, &candidates, k);
    let mut slots: Vec<Option<aws::QueryOutputVector>> = found.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// 1 to `max_vectors` distinct keys, each short enough for S3 Vectors (1,024 characters)
/// once in the caller's key namespace.
pub(super) fn check_keys(s: &AppState, keys: &[&str], who: &Caller) -> Result<(), ProxyError> {
    let room = 1024 - who.forced.as_ref().map_or(0, |scope| scope.prefix.len());
    if keys.is_empty() || keys.len() > s.config.limits.max_vectors {
        return Err(ProxyError::bad(format!(
            "send 1 to {} items, not {}",
            s.config.limits.max_vectors,
            keys.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        if k.is_empty() || k.chars().count() > room {
            return Err(ProxyError::bad(format!(
                "keys must have 1 to {room} characters"
            )));
        }
        if !seen.insert(*k) {
            return Err(ProxyError::bad(format!("key {k:?} is repeated")));
        }
    }
    Ok(())
}

pub(super) fn outside_scope(name: &str, why: &str) -> ProxyError {
    ProxyError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        format!(
            "vectors outside token {name}'s scope (its forced filter) cannot be written or deleted: {why}"
        ),
    )
}

pub(super) async fn upsert(
    State(s): State<Shared>,
    who: Caller,
    StrictJson(req): StrictJson<UpsertRequest>,
) -> Result<Json<UpsertResponse>, ProxyError> {
    let keys: Vec<&str> = req.vectors.iter().map(|v| v.key.as_str()).collect();
    check_keys(&s, &keys, &who)?;
    let mut texts = Vec::new();
    let mut req = req;
    for (i, v) in req.vectors.iter_mut().enumerate() {
        match (&v.text, &v.data) {
            (Some(t), None) => {
                check_text(&s, &format!("vectors[{i}].text"), t)?;
                if v.metadata.contains_key(TEXT_KEY) {
                    return Err(ProxyError::bad(format!(
                        "vectors[{i}].metadata.{TEXT_KEY} is set from text; do not send both"
                    )));
                }
                texts.push(t.clone());
            }
            (None, Some(d)) => check_dims(&s, &format!("vectors[{i}].data"), d)?,
            _ => {
                return Err(ProxyError::bad(format!(
                    "vectors[{i}]: send exactly one of text or data"
                )))
            }
        }
        // The metadata as stored: the scope's fields set by the proxy, then checked
        // against S3 Vectors' limits before Bedrock is paid for. The index must declare
        // `chunk` non-filterable (see the module docs).
        if let Some(scope) = &who.forced {
            scope
                .stamp(&mut v.metadata)
                .map_err(|e| outside_scope(&who.name, &format!("vectors[{i}].metadata.{e}")))?;
        }
        let mut m = v.metadata.clone();
        if let Some(t) = &v.text {
            m.insert(TEXT_KEY.into(), Value::String(t.clone()));
        }
        aws::check_metadata(&m, &[TEXT_KEY.to_string()])
            .map_err(|e| ProxyError::bad(format!("vectors[{i}]: {e}")))?;
    }
    s.budget.charge(&s, &who, texts.len())?;
    let mut embedded = embed_all(&s, texts).await?.into_iter();
    let mut vectors = Vec::with_capacity(req.vectors.len());
    for v in req.vectors {
        let mut metadata: Map<String, Value> = v.metadata;
        let data = match (v.text, v.data) {
            (Some(t), _) => {
                metadata.insert(TEXT_KEY.into(), Value::String(t));
                embedded.next().expect("one embedding per text")
            }
            (None, Some(d)) => d,
            (None, None) => unreachable!("checked above"),
        };
        vectors.push(aws::PutInputVector {
            key: who.stored_key(v.key),
            data: VectorData { float32: data },
            metadata: Some(metadata),
        });
    }
    let count = vectors.len();
    let put = aws::PutVectorsInput {
        index: index_ref(&s),
        vectors,
    };
    let _: IgnoredAny = s
        .upstream
        .call_json(aws::S3VECTORS, "/PutVectors", &put, "put")
        .await?;
    Ok(Json(UpsertResponse {
        upserted: count,
        model: s.config.model_id.clone(),
        dims: s.config.dims,
    }))
}

pub(super) async fn delete(
    State(s): State<Shared>,
    who: Caller,
    StrictJson(req): StrictJson<DeleteRequest>,
) -> Result<Json<DeleteResponse>, ProxyError> {
    let keys: Vec<&str> = req.keys.iter().map(String::as_str).collect();
    check_keys(&s, &keys, &who)?;
    let keys: Vec<String> = req.keys.into_iter().map(|k| who.stored_key(k)).collect();
    if let Some(scope) = &who.forced {
        // Keys are in the scope's namespace; vectors there that an unscoped token wrote
        // outside the scope are still refused: look them up first.
        for batch in keys.chunks(aws::MAX_GET) {
            let get = aws::GetVectorsInput {
                index: index_ref(&s),
                keys: batch.to_vec(),
                return_data: false,
                return_metadata: true,
            };
            let found: aws::VectorsOutput = s
                .upstream
                .call_json(aws::S3VECTORS, "/GetVectors", &get, "lookup")
                .await?;
            let empty = Map::new();
            if found
                .vectors
                .iter()
                .any(|v| !scope.parsed.matches(v.metadata.as_ref().unwrap_or(&empty)))
            {
                return Err(outside_scope(
                    &who.name,
                    "a vector under these keys is outside it",
                ));
            }
        }
    }
    let count = keys.len();
    let del = aws::DeleteVectorsInput {
        index: index_ref(&s),
        keys,
    };
    let _: IgnoredAny = s
        .upstream
        .call_json(aws::S3VECTORS, "/DeleteVectors", &del, "delete")
        .await?;
    Ok(Json(DeleteResponse { deleted: count }))
}
