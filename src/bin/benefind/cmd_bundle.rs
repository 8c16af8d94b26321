//! `benefind bundle build|inspect|export|import`: make, look into, and move bundles.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, ensure, Context};
use benefind::engine::bundle::{inspect as inspect_bundle, Record, VectorEncoding};
use benefind::engine::chunk::split_front_matter;
use benefind::engine::index::IndexParams;
use benefind::pdf::{read_pdf, PdfLimits};
use benefind::{Bundle, Collection, Engine, IngestDoc};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Map, Value};

use crate::cli::ModelArgs;

/// S3 Vectors' PutVectors takes at most this many vectors per call.
pub const PUT_VECTORS_MAX: usize = 500;

/// How to build: the bundle's encoding and the graph parameters.
pub struct BuildOptions {
    pub encoding: VectorEncoding,
    pub params: IndexParams,
}

/// The policy of a document file without front matter: its file stem, upper-cased, with
/// anything but letters and digits turned into `_` (`ppo-plus.md` → `PPO_PLUS`).
pub fn policy_from_file_name(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    stem.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The document files an input names: the file itself, or a folder's .pdf/.md/.txt files
/// (README.md left out), sorted by name so builds are reproducible.
fn document_paths(input: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !input.is_dir() {
        return Ok(vec![input.to_path_buf()]);
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(input)
        .with_context(|| format!("reading folder {}", input.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_document(p))
        .filter(|p| p.file_name().and_then(|n| n.to_str()) != Some("README.md"))
        .collect();
    paths.sort();
    ensure!(
        !paths.is_empty(),
        "{} has no .pdf, .md or .txt documents",
        input.display()
    );
    Ok(paths)
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Whether a path names a document file (.pdf, .md, .txt).
pub fn is_document(path: &Path) -> bool {
    matches!(extension(path).as_deref(), Some("pdf" | "md" | "txt"))
}

/// Reads documents (see [`document_paths`]) into ingest documents. PDFs are read with
/// `benefind::pdf` into layouts (pages, headings, table rows). Front matter
/// `policy`/`source` win; other front-matter keys become metadata. A document without a
/// policy in front matter takes `policy`, else its file name's
/// ([`policy_from_file_name`]).
pub fn read_documents(input: &Path, policy: Option<&str>) -> anyhow::Result<Vec<IngestDoc>> {
    document_paths(input)?
        .iter()
        .map(|path| read_document(path, policy))
        .collect()
}

fn read_document(path: &Path, policy: Option<&str>) -> anyhow::Result<IngestDoc> {
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("document")
        .to_string();
    let fallback_policy = || {
        policy
            .map(str::to_owned)
            .unwrap_or_else(|| policy_from_file_name(path))
    };
    if extension(path).as_deref() == Some("pdf") {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let layout = read_pdf(&bytes, &file_name, PdfLimits::default())?;
        return Ok(IngestDoc {
            text: String::new(),
            layout: Some(layout),
            policy: fallback_policy(),
            source: Some(file_name),
            id: None,
            metadata: Map::new(),
        });
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let (front, _) = split_front_matter(&text);
    let mut metadata = Map::new();
    for (k, v) in &front {
        if k != "policy" && k != "source" {
            metadata.insert(k.clone(), Value::from(v.as_str()));
        }
    }
    Ok(IngestDoc {
        layout: None,
        policy: front.get("policy").cloned().unwrap_or_else(fallback_policy),
        source: Some(front.get("source").cloned().unwrap_or(file_name)),
        id: None,
        metadata,
        text,
    })
}

/// Reads ready chunks from JSON lines `{"id", "text", "policy", ...metadata}`.
pub fn read_chunks(path: &Path) -> anyhow::Result<Vec<Record>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut records = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let mut obj: Map<String, Value> = serde_json::from_str(&line).with_context(|| {
            format!("{} line {}: expected a JSON object", path.display(), n + 1)
        })?;
        let mut take = |key: &str| match obj.remove(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s),
            _ => bail!(
                "{} line {}: \"{key}\" must be a non-empty string",
                path.display(),
                n + 1
            ),
        };
        let (id, text) = (take("id")?, take("text")?);
        ensure!(
            obj.get("policy").is_some_and(Value::is_string),
            "{} line {}: \"policy\" must be a string",
            path.display(),
            n + 1
        );
        records.push(Record {
            id,
            text,
            metadata: obj,
        });
    }
    Ok(records)
}

pub fn progress_bar(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// `bundle build`.
pub fn build(
    model: &ModelArgs,
    input: &Path,
    policy: Option<&str>,
    out: &Path,
    opts: BuildOptions,
) -> anyhow::Result<()> {
    let embedder = model.load()?;
    let engine = Engine::empty(embedder)?;
    let records = if input.is_dir() || is_document(input) {
        engine.chunk(&read_documents(input, policy)?)?
    } else {
        read_chunks(input)?
    };
    ensure!(!records.is_empty(), "{} holds no chunks", input.display());
    let bar = progress_bar(records.len(), "embedding");
    let started = Instant::now();
    let vectors = engine.embed_records(&records, &mut |done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let embed_s = started.elapsed().as_secs_f64();
    // The answer's units too, so that answering a question never embeds them.
    let started = Instant::now();
    let bar = progress_bar(0, "embedding answer units");
    let units = engine.embed_units(&records, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    let units_s = started.elapsed().as_secs_f64();
    let dims = engine.embedder().dims();
    let unit_count: usize = units.iter().map(|u| u.len()).sum::<usize>() / dims;
    let model_id = engine.embedder().model_id();
    write_bundle(model_id, dims, records, vectors, Some(units), out, opts)?;
    eprintln!("embedded in {embed_s:.1} s, and {unit_count} answer units in {units_s:.1} s");
    Ok(())
}

/// Builds the index and writes the bundle file atomically (temp file + rename), with
/// the records' answer-unit vectors when given.
pub fn write_bundle(
    model_id: &str,
    dims: usize,
    records: Vec<Record>,
    vectors: Vec<f32>,
    units: Option<Vec<Vec<f32>>>,
    out: &Path,
    opts: BuildOptions,
) -> anyhow::Result<()> {
    let count = records.len();
    let started = Instant::now();
    let mut collection = Collection::build(model_id, dims, records, vectors, opts.params)?;
    if let Some(units) = units {
        collection = collection.with_unit_vectors(units)?;
    }
    let build_s = started.elapsed().as_secs_f64();
    let bytes = collection.to_bundle(opts.encoding)?.to_bytes();
    let tmp = out.with_extension("tmp");
    std::fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("writing {}", out.display()))?;
    let (graph_rows, exact_rows) = collection.segment_sizes();
    eprintln!(
        "wrote {}: {count} chunks, {} bytes, {} encoding; index built in {build_s:.1} s ({graph_rows} rows in graphs, {exact_rows} scanned exactly)",
        out.display(),
        bytes.len(),
        opts.encoding,
    );
    Ok(())
}

/// `bundle inspect`.
pub fn inspect(file: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let info = inspect_bundle(&bytes)?;
    let bundle = Bundle::from_bytes(&bytes)?;
    let mut policies: BTreeMap<String, usize> = BTreeMap::new();
    for r in &bundle.records {
        let p = r
            .metadata
            .get("policy")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        *policies.entry(p).or_default() += 1;
    }
    let report = json!({
        "file": file.display().to_string(),
        "header": info,
        "policies": policies,
        "bytes_per_vector": bundle.header.encoding.bytes_per_vector(bundle.header.dims as usize),
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// `bundle export --format s3vectors`: PutVectors request bodies, ≤ 500 vectors each,
/// written as `put-vectors-0000.json`, … into `out_dir`. The chunk text travels in the
/// metadata as `chunk`, as in benefind's S3 Vectors layout.
pub fn export_s3vectors(
    file: &Path,
    out_dir: &Path,
    bucket: &str,
    index: &str,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let bundle = Bundle::from_bytes(&bytes)?;
    std::fs::create_dir_all(out_dir)?;
    let dims = bundle.header.dims as usize;
    let mut files = 0;
    for (n, (records, vectors)) in bundle
        .records
        .chunks(PUT_VECTORS_MAX)
        .zip(bundle.vectors.chunks(PUT_VECTORS_MAX * dims))
        .enumerate()
    {
        let vectors: Vec<Value> = records
            .iter()
            .zip(vectors.chunks(dims))
            .map(|(r, v)| {
                let mut metadata = r.metadata.clone();
                metadata.insert("chunk".into(), r.text.clone().into());
                json!({ "key": r.id, "data": { "float32": v }, "metadata": metadata })
            })
            .collect();
        let body = json!({ "vectorBucketName": bucket, "indexName": index, "vectors": vectors });
        let path = out_dir.join(format!("put-vectors-{n:04}.json"));
        std::fs::write(&path, serde_json::to_vec(&body)?)?;
        files += 1;
    }
    eprintln!(
        "wrote {files} PutVectors bodies ({} vectors, model {}, {dims} dims) to {}",
        bundle.records.len(),
        bundle.header.model_id,
        out_dir.display()
    );
    std::io::stderr().flush()?;
    Ok(())
}

/// `bundle import --format s3vectors`: the reverse of export; the vectors must have the
/// dimension of `model_id` (given, since S3 Vectors does not record the model).
pub fn import_s3vectors(
    inputs: &[PathBuf],
    out: &Path,
    model_id: &str,
    dims: usize,
    opts: BuildOptions,
) -> anyhow::Result<()> {
    let mut records = Vec::new();
    let mut vectors = Vec::new();
    for path in inputs {
        let body: Value = serde_json::from_slice(
            &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("{}: not JSON", path.display()))?;
        let items = body["vectors"]
            .as_array()
            .with_context(|| format!("{}: no \"vectors\" array", path.display()))?;
        for (i, item) in items.iter().enumerate() {
            let at = || format!("{} vectors[{i}]", path.display());
            let key = item["key"]
                .as_str()
                .with_context(|| format!("{}: no key", at()))?;
            let data: Vec<f32> = serde_json::from_value(item["data"]["float32"].clone())
                .with_context(|| format!("{}: data.float32 must be an array of numbers", at()))?;
            ensure!(
                data.len() == dims,
                "{}: vector has {} dimensions, but {model_id} has {dims}",
                at(),
                data.len()
            );
            let mut metadata: Map<String, Value> =
                serde_json::from_value(item["metadata"].clone()).unwrap_or_default();
            let text = match metadata.remove("chunk") {
                Some(Value::String(s)) => s,
                _ => bail!("{}: metadata.chunk (the text) is missing", at()),
            };
            records.push(Record {
                id: key.to_string(),
                text,
                metadata,
            });
            vectors.extend(data);
        }
    }
    // S3 Vectors holds no vectors of the answer's units: answering embeds them.
    write_bundle(model_id, dims, records, vectors, None, out, opts)
}
