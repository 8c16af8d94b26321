//! The bundle file: a versioned binary holding a prebuilt vector collection (records,
//! their embeddings and the search index's opaque bytes), so the browser can load a
//! collection without embedding anything.
//!
//! This module owns the file format: writing it ([`Bundle::to_bytes`]), reading and
//! fully validating it ([`Bundle::from_bytes`], [`Bundle::from_bytes_for`]), the
//! vector encodings ([`VectorEncoding`]), the dimension contract (a bundle is only
//! usable with the model that produced its vectors) and the cheap header-only view
//! used by `benefind bundle inspect` ([`inspect`]). It does not interpret the index
//! bytes; the index module does.
//!
//! # Layout (format version 3)
//!
//! All integers are little-endian. `L` is the model-id length, `n` the section count.
//!
//! | offset            | type          | field                                           |
//! |-------------------|---------------|-------------------------------------------------|
//! | 0                 | `[u8; 8]`     | magic, `BENEFIND`                               |
//! | 8                 | `u16`         | format version, 3 (2 is read too)               |
//! | 10                | `u16`         | flags, reserved, must be 0                      |
//! | 12                | `u8`          | metric: 0 = cosine                              |
//! | 13                | `u8`          | encoding: 0 = f32, 1 = f16, 2 = int8            |
//! | 14                | `u32`         | dims, 1..=4096                                  |
//! | 18                | `u32`         | count (records)                                 |
//! | 22                | `u16`         | `L`, model-id length, 1..=256                   |
//! | 24                | `[u8; L]`     | model id, UTF-8                                 |
//! | 24 + L            | `u16`         | `n`, section count (5, or 6 with UNITS)         |
//! | 26 + L            | `n` × 22 B    | section table, one entry per section (below)    |
//! | 26 + L + 22n      | `u32`         | CRC-32 of bytes `0 .. 26 + L + 22n`             |
//! | 30 + L + 22n      | bytes         | the sections, back to back, to the end of file  |
//!
//! A section-table entry (22 bytes):
//!
//! | offset | type  | field                                                  |
//! |--------|-------|--------------------------------------------------------|
//! | 0      | `u16` | kind: 1 = VECTORS, 2 = IDS, 3 = TEXTS, 4 = METADATA, 5 = INDEX, 6 = UNITS |
//! | 2      | `u64` | offset of the section from the start of the file       |
//! | 10     | `u64` | length in bytes                                        |
//! | 18     | `u32` | CRC-32 (IEEE, as `crc32fast`) of the section's bytes   |
//!
//! The sections:
//!
//! * **VECTORS**: `count` vectors of `dims` components, encoded per the header's
//!   encoding; exactly `count × bytes_per_vector(dims)` bytes.
//!   * f32: `dims` × `f32`.
//!   * f16: `dims` × IEEE half (`half::f16`).
//!   * int8: one `f32` scale (`max|x| / 127`, 0 for a zero vector) followed by
//!     `dims` × `i8` components `round(x / scale)`; decoded as `q × scale`.
//! * **IDS**, **TEXTS**, **METADATA**: string tables. `count + 1` `u32` offsets into
//!   the blob that follows them (the first 0, non-decreasing, the last equal to the
//!   blob's length), then the UTF-8 blob; string `i` is `blob[off[i] .. off[i+1]]`.
//!   Metadata strings are JSON objects (written compact).
//! * **INDEX**: opaque bytes owned by the index module; may be empty.
//! * **UNITS** (optional, version 3): the vectors of each record's *units*, the
//!   sentences, list items and table lines an answer is read from (the engine's
//!   `answer::units` cuts them, in text order), embedded when the bundle was built so
//!   that answering a question never embeds them. `count` `u32` unit counts, one per
//!   record, then that many vectors in all, record by record, always int8 whatever the
//!   header's encoding (they are only compared with a threshold, and f32 would make the
//!   demo's bundle four times larger).
//!   The format does not interpret them; a collection uses a record's unit vectors only
//!   when their number is the number of units its text has (else it embeds them when
//!   asked, as for a bundle without the section).
//!
//! Version 3 (this one) added UNITS; version 2 (without it) is read as it always was.
//! Version 1 files are refused with the rebuild hint, never misread.
//!
//! # Validation
//!
//! Every section kind but UNITS appears exactly once, UNITS at most once (and only in
//! version 3), and unknown kinds are rejected. The
//! sections tile the file after the header exactly (no gaps, no overlaps, no trailing
//! bytes), so every byte of a valid file is covered by a checksum. Reading checks, in
//! order: magic, version, that the header and table are present, the header checksum,
//! the header's fields, the section table, each section's checksum, that `count` fits
//! every section, and only then decodes: string offsets, UTF-8, metadata JSON, unique
//! non-empty ids, finite vector values and int8 scales. Sizes are computed with
//! checked arithmetic, and nothing is allocated with a size taken from the file until
//! that size has been proven to fit inside the file.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

mod read;
mod write;

use read::*;
use write::*;

/// The first eight bytes of every bundle.
pub const MAGIC: [u8; 8] = *b"BENEFIND";

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 3;

/// The oldest format version this build reads: version 2 is version 3 without UNITS.
pub const OLDEST_READABLE_VERSION: u16 = 2;

/// Most dimensions a bundle may declare; guards against absurd headers.
pub const MAX_DIMS: usize = 4096;

/// Longest model id, in UTF-8 bytes.
pub const MAX_MODEL_ID_BYTES: usize = 256;

/// How to recover from a damaged or incompatible bundle; appended to messages.
const REBUILD: &str = "rebuild the bundle with `benefind bundle build`";

// Header field offsets (see the layout table in the module docs).
const OFF_VERSION: usize = 8;
const OFF_FLAGS: usize = 10;
const OFF_METRIC: usize = 12;
const OFF_ENCODING: usize = 13;
const OFF_DIMS: usize = 14;
const OFF_COUNT: usize = 18;
const OFF_MODEL_ID_LEN: usize = 22;
const OFF_MODEL_ID: usize = 24;
/// Bytes of one section-table entry: kind u16, offset u64, length u64, crc32 u32.
const ENTRY_LEN: usize = 22;

/// Why a bundle could not be built, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The file does not start with the magic bytes `BENEFIND`.
    #[error("not a benefind bundle: the file starts with b\"{}\" instead of b\"BENEFIND\"; pass a file written by `benefind bundle build`", .found.escape_ascii())]
    BadMagic {
        /// The file's first bytes (up to eight).
        found: Vec<u8>,
    },
    /// The file's format version is not the one this build reads.
    #[error("bundle format version {got} is not supported (this benefind reads versions {OLDEST_READABLE_VERSION} to {supported}); {REBUILD} from this release, or use a benefind that reads version {got}")]
    UnsupportedVersion {
        /// The version in the file.
        got: u16,
        /// The version this build reads (the current format version).
        supported: u16,
    },
    /// The file ends before a header field does.
    #[error("bundle is truncated: the {field} ends at byte {needed} but the file has only {available} bytes; the download or copy is incomplete, fetch it again or {REBUILD}")]
    Truncated {
        /// The header part that does not fit (`magic`, `header`, `model id`, `section table`, ...).
        field: &'static str,
        /// File length the field needs.
        needed: u64,
        /// The file's length.
        available: u64,
    },
    /// A section-table entry points outside the file.
    #[error("bundle section {section} (offset {offset}, length {len}) does not fit in the {file_len}-byte file; the file is truncated or corrupt, fetch it again or {REBUILD}")]
    SectionOutOfBounds {
        /// The section's name (`vectors`, `ids`, `texts`, `metadata`, `index`, `units`).
        section: &'static str,
        /// The section's offset from the table.
        offset: u64,
        /// The section's length from the table.
        len: u64,
        /// The file's length.
        file_len: u64,
    },
    /// The header's record count does not fit a section's size.
    #[error("bundle header says {count} records, which needs {expected} bytes in section {section}, but the section has {got}; the file is corrupt, {REBUILD}")]
    CountMismatch {
        /// The section's name.
        section: &'static str,
        /// The header's record count.
        count: u32,
        /// Bytes the count requires: exactly, for `vectors`; for its offset table, for
        /// the string sections.
        expected: u64,
        /// The section's length.
        got: u64,
    },
    /// Stored and computed CRC-32 differ.
    #[error("bundle checksum mismatch in {section}: stored crc32 {expected:#010x}, computed {got:#010x}; the file is corrupt, fetch it again or {REBUILD}")]
    ChecksumMismatch {
        /// `header` (header plus section table) or a section's name.
        section: &'static str,
        /// The checksum stored in the file.
        expected: u32,
        /// The checksum of the bytes as read.
        got: u32,
    },
    /// The bundle's vectors do not have the embedder's dimension.
    #[error("bundle has {got}-dimensional vectors but the embedder produces {expected}; {REBUILD} with the same model the embedder uses")]
    DimsMismatch {
        /// The embedder's dimension.
        expected: usize,
        /// The bundle's dimension.
        got: usize,
    },
    /// The bundle was built with a different model than the embedder's.
    #[error("bundle was built with model {got:?} but the embedder is {expected:?}; vectors from different models cannot be compared, {REBUILD} with {expected:?}")]
    ModelMismatch {
        /// The embedder's model id.
        expected: String,
        /// The bundle's model id.
        got: String,
    },
    /// The header names a vector encoding this build does not know.
    #[error("bundle uses unknown vector encoding {0} (known: 0 = f32, 1 = f16, 2 = int8); it was written by a newer benefind or is corrupt, {REBUILD}")]
    UnknownEncoding(u8),
    /// The header names a distance metric this build does not know.
    #[error("bundle uses unknown metric {0} (known: 0 = cosine); it was written by a newer benefind or is corrupt, {REBUILD}")]
    UnknownMetric(u8),
    /// A field's value is not allowed.
    #[error("invalid bundle {field}: {reason}")]
    Invalid {
        /// Which field, e.g. `dims`, `section table`, `ids[3]`, `metadata[0]`.
        field: String,
        /// What is wrong with it, and how to recover where that is known.
        reason: String,
    },
}

impl BundleError {
    fn invalid(field: impl Into<String>, reason: impl Into<String>) -> BundleError {
        BundleError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The similarity the vectors are meant to be compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Cosine similarity (the vectors are usually unit length, making it a dot product).
    Cosine,
}

impl Metric {
    /// The byte stored in the header.
    fn code(self) -> u8 {
        match self {
            Metric::Cosine => 0,
        }
    }

    fn from_code(code: u8) -> Result<Metric, BundleError> {
        match code {
            0 => Ok(Metric::Cosine),
            other => Err(BundleError::UnknownMetric(other)),
        }
    }

    /// The metric's name: `cosine`.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How vectors are stored in the VECTORS section. Reading always decodes to `f32`.
///
/// Int8: per-vector `f32` scale = `max|x| / 127`, components `round(x / scale)` as
/// `i8` (symmetric, so zero stays exactly zero). F16 via the `half` crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorEncoding {
    /// 4 bytes per component, exact.
    F32,
    /// 2 bytes per component (IEEE half); about 3 significant digits.
    F16,
    /// 1 byte per component plus a 4-byte scale per vector.
    Int8,
}

impl VectorEncoding {
    /// Bytes one `dims`-dimensional vector takes in the VECTORS section. Saturates at
    /// `usize::MAX` for absurd `dims` (bundles allow at most 4096).
    pub fn bytes_per_vector(self, dims: usize) -> usize {
        match self {
            VectorEncoding::F32 => dims.saturating_mul(4),
            VectorEncoding::F16 => dims.saturating_mul(2),
            VectorEncoding::Int8 => dims.saturating_add(4),
        }
    }

    /// The byte stored in the header.
    fn code(self) -> u8 {
        match self {
            VectorEncoding::F32 => 0,
            VectorEncoding::F16 => 1,
            VectorEncoding::Int8 => 2,
        }
    }

    fn from_code(code: u8) -> Result<VectorEncoding, BundleError> {
        match code {
            0 => Ok(VectorEncoding::F32),
            1 => Ok(VectorEncoding::F16),
            2 => Ok(VectorEncoding::Int8),
            other => Err(BundleError::UnknownEncoding(other)),
        }
    }

    /// The encoding's name: `f32`, `f16` or `int8`.
    pub fn as_str(self) -> &'static str {
        match self {
            VectorEncoding::F32 => "f32",
            VectorEncoding::F16 => "f16",
            VectorEncoding::Int8 => "int8",
        }
    }
}

impl fmt::Display for VectorEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VectorEncoding {
    type Err = BundleError;

    /// Parses `f32`, `f16` or `int8` (as written by [`VectorEncoding::as_str`]).
    fn from_str(s: &str) -> Result<VectorEncoding, BundleError> {
        match s {
            "f32" => Ok(VectorEncoding::F32),
            "f16" => Ok(VectorEncoding::F16),
            "int8" => Ok(VectorEncoding::Int8),
            other => Err(BundleError::invalid(
                "encoding",
                format!("unknown encoding {other:?}; expected f32, f16 or int8"),
            )),
        }
    }
}

/// The header of a bundle: what the vectors are and how many there are.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleHeader {
    /// Format version (the current one for every bundle this build reads or makes).
    pub version: u16,
    /// The embedding model that produced the vectors (the dimension contract).
    pub model_id: String,
    /// Components per vector.
    pub dims: u32,
    /// How the vectors are compared.
    pub metric: Metric,
    /// How the vectors are stored in the file.
    pub encoding: VectorEncoding,
    /// Number of records (and vectors).
    pub count: u32,
}

/// One document chunk in the collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Unique, non-empty identifier.
    pub id: String,
    /// The text that was embedded (shown in search results).
    pub text: String,
    /// Metadata that `where` filters match against.
    pub metadata: Map<String, Value>,
}

/// A vector collection: records, their vectors and the index's bytes.
///
/// [`Bundle::new`] and [`Bundle::from_bytes`] guarantee that `records.len() ==
/// header.count`, `vectors.len() == count × dims`, ids are unique and non-empty and
/// every value is finite. The fields are public for reading; a bundle whose fields
/// were edited out of those invariants still serialises, but [`Bundle::from_bytes`]
/// rejects the result.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// What the vectors are.
    pub header: BundleHeader,
    /// The records, in vector order.
    pub records: Vec<Record>,
    /// `count × dims` values, record `i`'s vector at `i × dims ..`, decoded to `f32`
    /// (quantised encodings decode lossy).
    pub vectors: Vec<f32>,
    /// Opaque bytes owned by the index module (HNSW graphs); may be empty.
    pub index: Vec<u8>,
    /// Per record, the vectors of its units (see the module docs), `dims` values each,
    /// flat; `None` when the bundle has no UNITS section.
    pub units: Option<Vec<Vec<f32>>>,
}

impl Bundle {
    /// Builds a bundle; checks `records.len() × dims == vectors.len()`, unique
    /// non-empty ids, finite values (within f16 range for [`VectorEncoding::F16`]),
    /// `1 ≤ dims ≤ 4096`, a non-empty model id of at most 256 bytes, and that the
    /// records fit the format (at most `u32::MAX`, ids and texts each under 4 GiB in
    /// total).
    pub fn new(
        model_id: &str,
        dims: usize,
        encoding: VectorEncoding,
        records: Vec<Record>,
        vectors: Vec<f32>,
        index: Vec<u8>,
    ) -> Result<Bundle, BundleError> {
        check_model_id(model_id)?;
        let dims_u32 = check_dims(dims)?;
        let count = u32::try_from(records.len()).map_err(|_| {
            BundleError::invalid(
                "records",
                format!(
                    "{} records is more than a bundle holds ({}); split the collection",
                    records.len(),
                    u32::MAX
                ),
            )
        })?;
        let expected = records.len().checked_mul(dims);
        if expected != Some(vectors.len()) {
            return Err(BundleError::invalid(
                "vectors",
                format!(
                    "{} values given, but {} records × {dims} dims needs {}",
                    vectors.len(),
                    records.len(),
                    expected
                        .map_or_else(|| "more than fit in memory".to_owned(), |n| n.to_string()),
                ),
            ));
        }
        check_values("vectors", &vectors, dims, value_limit(encoding))?;
        check_ids(records.iter().map(|r| r.id.as_str()))?;
        // String-table offsets are u32; refuse tables they cannot address.
        for (field, total) in [
            (
                "ids",
                records.iter().map(|r| r.id.len() as u64).sum::<u64>(),
            ),
            (
                "texts",
                records.iter().map(|r| r.text.len() as u64).sum::<u64>(),
            ),
        ] {
            if total > u64::from(u32::MAX) {
                return Err(BundleError::invalid(
                    field,
                    format!("{total} bytes in total; a bundle's string table holds at most {} bytes, split the collection", u32::MAX),
                ));
            }
        }
        Ok(Bundle {
            header: BundleHeader {
                version: FORMAT_VERSION,
                model_id: model_id.to_owned(),
                dims: dims_u32,
                metric: Metric::Cosine,
                encoding,
                count,
            },
            records,
            vectors,
            index,
            units: None,
        })
    }

    /// Adds the vectors of each record's units (one entry per record, in record order,
    /// each a whole number of finite vectors); they are written as int8.
    pub fn with_units(mut self, units: Vec<Vec<f32>>) -> Result<Bundle, BundleError> {
        if units.len() != self.records.len() {
            return Err(BundleError::invalid(
                "units",
                format!(
                    "unit vectors were given for {} records, the bundle has {}",
                    units.len(),
                    self.records.len()
                ),
            ));
        }
        let dims = self.header.dims as usize;
        let mut total: u64 = 0;
        for (i, vectors) in units.iter().enumerate() {
            if !vectors.len().is_multiple_of(dims) {
                return Err(BundleError::invalid(
                    format!("units[{i}]"),
                    format!(
                        "{} values are not a whole number of {dims}-dimensional vectors",
                        vectors.len()
                    ),
                ));
            }
            check_values(&format!("units[{i}]"), vectors, dims, f32::MAX)?;
            total += (vectors.len() / dims) as u64;
        }
        if total > u64::from(u32::MAX) {
            return Err(BundleError::invalid(
                "units",
                format!(
                    "{total} unit vectors is more than a bundle holds ({})",
                    u32::MAX
                ),
            ));
        }
        self.units = Some(units);
        Ok(self)
    }

    /// Record `i`'s vector, or `None` when there is no record `i`.
    pub fn vector(&self, i: usize) -> Option<&[f32]> {
        let dims = usize::try_from(self.header.dims).ok().filter(|&d| d > 0)?;
        let start = i.checked_mul(dims)?;
        self.vectors.get(start..start.checked_add(dims)?)
    }

    /// Writes the bundle file, encoding the vectors with `header.encoding`.
    ///
    /// Always writes the current format version and `records.len()` as the count. The output
    /// of a bundle from [`Bundle::new`] or [`Bundle::from_bytes`] always reads back.
    pub fn to_bytes(&self) -> Vec<u8> {
        let dims = usize::try_from(self.header.dims).unwrap_or(usize::MAX);
        let vectors = encode_vectors(&self.vectors, dims, self.header.encoding);
        let ids = string_table(self.records.iter().map(|r| r.id.as_bytes()));
        let texts = string_table(self.records.iter().map(|r| r.text.as_bytes()));
        let metadata = metadata_table(&self.records);
        let header = RawHeader {
            version: FORMAT_VERSION,
            flags: 0,
            metric: self.header.metric.code(),
            encoding: self.header.encoding.code(),
            dims: self.header.dims,
            // Saturating: a count that does not fit makes the sections disagree with it,
            // which reading rejects, rather than silently dropping records.
            count: u32::try_from(self.records.len()).unwrap_or(u32::MAX),
            model_id: self.header.model_id.as_bytes(),
        };
        let units = self.units.as_ref().map(|units| units_section(units, dims));
        let mut sections: Vec<(u16, &[u8])> = vec![
            (SectionKind::Vectors.code(), &vectors),
            (SectionKind::Ids.code(), &ids),
            (SectionKind::Texts.code(), &texts),
            (SectionKind::Metadata.code(), &metadata),
            (SectionKind::Index.code(), &self.index),
        ];
        if let Some(units) = &units {
            sections.push((SectionKind::Units.code(), units));
        }
        assemble(&header, &sections)
    }

    /// Reads a bundle file, validating everything (see the module docs) before any
    /// of it is used.
    pub fn from_bytes(bytes: &[u8]) -> Result<Bundle, BundleError> {
        decode(parse_layout(bytes)?)
    }

    /// [`Bundle::from_bytes`] plus the dimension contract: the bundle's dims and model
    /// id must equal the embedder's, or its vectors cannot be compared with queries.
    /// Checked after the header and checksums, before the sections are decoded.
    pub fn from_bytes_for(
        bytes: &[u8],
        model_id: &str,
        dims: usize,
    ) -> Result<Bundle, BundleError> {
        let layout = parse_layout(bytes)?;
        let got_dims = usize::try_from(layout.header.dims).unwrap_or(usize::MAX);
        if got_dims != dims {
            return Err(BundleError::DimsMismatch {
                expected: dims,
                got: got_dims,
            });
        }
        if layout.header.model_id != model_id {
            return Err(BundleError::ModelMismatch {
                expected: model_id.to_owned(),
                got: layout.header.model_id,
            });
        }
        decode(layout)
    }
}

/// The largest magnitude a vector value may have in `encoding`: f16 turns anything
/// above its range into infinity, which reading rejects, so writing refuses it where
/// the caller can still do something about it.
fn value_limit(encoding: VectorEncoding) -> f32 {
    match encoding {
        VectorEncoding::F16 => half::f16::MAX.to_f32(),
        VectorEncoding::F32 | VectorEncoding::Int8 => f32::MAX,
    }
}

/// Every value of `vectors` (`dims` per vector, `field[i]` names vector `i`) is
/// finite and within `limit`.
fn check_values(field: &str, vectors: &[f32], dims: usize, limit: f32) -> Result<(), BundleError> {
    for (i, vector) in vectors.chunks(dims.max(1)).enumerate() {
        if let Some((j, x)) = vector
            .iter()
            .enumerate()
            .find(|(_, x)| !x.is_finite() || x.abs() > limit)
        {
            let reason = if x.is_finite() {
                format!(
                    "component {j} is {x}, outside the f16 range (±{limit}); use the f32 encoding"
                )
            } else {
                format!("component {j} is {x}; vector values must be finite")
            };
            return Err(BundleError::invalid(format!("{field}[{i}]"), reason));
        }
    }
    Ok(())
}

/// Header and section sizes of a bundle, read without decoding the sections (for
/// `benefind bundle inspect`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct BundleInfo {
    /// Format version.
    pub version: u16,
    /// The model that produced the vectors.
    pub model_id: String,
    /// Components per vector.
    pub dims: u32,
    /// The metric's name (`cosine`).
    pub metric: String,
    /// The encoding's name (`f32`, `f16`, `int8`).
    pub encoding: String,
    /// Number of records.
    pub count: u32,
    /// The file's length.
    pub file_bytes: u64,
    /// `header` (header, section table and its checksum) first, then `vectors`,
    /// `ids`, `texts`, `metadata`, `index` and, when present, `units`; their sizes add
    /// up to `file_bytes`.
    pub sections: Vec<SectionInfo>,
}

/// One part of a bundle file and its size.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SectionInfo {
    /// The part's name.
    pub name: String,
    /// Its length in bytes.
    pub bytes: u64,
}

/// Describes a bundle after validating its header, section table and every checksum,
/// without decoding the sections (so it is cheap, but a bundle it accepts may still
/// fail [`Bundle::from_bytes`], e.g. on bad UTF-8 that a checksum faithfully covers).
pub fn inspect(bytes: &[u8]) -> Result<BundleInfo, BundleError> {
    let layout = parse_layout(bytes)?;
    let mut sections = Vec::with_capacity(SectionKind::REQUIRED.len() + 2);
    sections.push(SectionInfo {
        name: "header".to_owned(),
        bytes: layout.data_start as u64,
    });
    for (kind, section) in SectionKind::REQUIRED.iter().zip(&layout.sections) {
        sections.push(SectionInfo {
            name: kind.name().to_owned(),
            bytes: section.len() as u64,
        });
    }
    if let Some(units) = layout.units {
        sections.push(SectionInfo {
            name: SectionKind::Units.name().to_owned(),
            bytes: units.len() as u64,
        });
    }
    Ok(BundleInfo {
        version: layout.header.version,
        model_id: layout.header.model_id,
        dims: layout.header.dims,
        metric: layout.header.metric.as_str().to_owned(),
        encoding: layout.header.encoding.as_str().to_owned(),
        count: layout.header.count,
        file_bytes: bytes.len() as u64,
        sections,
    })
}

// ---- sections ---------------------------------------------------------------------

/// The section kinds of format version 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SectionKind {
    Vectors,
    Ids,
    Texts,
    Metadata,
    Index,
    Units,
}

impl SectionKind {
    /// The kinds every bundle has, in code order; `Layout::sections` is indexed the
    /// same way.
    const REQUIRED: [SectionKind; 5] = [
        SectionKind::Vectors,
        SectionKind::Ids,
        SectionKind::Texts,
        SectionKind::Metadata,
        SectionKind::Index,
    ];

    fn code(self) -> u16 {
        match self {
            SectionKind::Vectors => 1,
            SectionKind::Ids => 2,
            SectionKind::Texts => 3,
            SectionKind::Metadata => 4,
            SectionKind::Index => 5,
            SectionKind::Units => 6,
        }
    }

    /// Position in [`SectionKind::REQUIRED`] (UNITS comes after them).
    fn slot(self) -> usize {
        usize::from(self.code() - 1)
    }

    /// Every kind a file of `version` may have.
    fn from_code(code: u16, version: u16) -> Option<SectionKind> {
        SectionKind::REQUIRED
            .into_iter()
            .chain((version >= 3).then_some(SectionKind::Units))
            .find(|k| k.code() == code)
    }

    fn name(self) -> &'static str {
        match self {
            SectionKind::Vectors => "vectors",
            SectionKind::Ids => "ids",
            SectionKind::Texts => "texts",
            SectionKind::Metadata => "metadata",
            SectionKind::Index => "index",
            SectionKind::Units => "units",
        }
    }
}

// ---- writing ----------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DIMS: usize = 8;
    const MODEL: &str = "sentence-transformers/all-MiniLM-L6-v2";

    /// Deterministic uniform values in [-1, 1) (splitmix64), so tests need no RNG crate.
    fn uniform(seed: u64) -> impl FnMut() -> f32 {
        let mut state = seed;
        move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        }
    }

    fn unit_vectors(count: usize, dims: usize, seed: u64) -> Vec<f32> {
        let mut next = uniform(seed);
        let mut out = Vec::with_capacity(count * dims);
        for _ in 0..count {
            let v: Vec<f32> = (0..dims).map(|_| next()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            out.extend(v.iter().map(|x| x / norm));
        }
        out
    }

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
        dot / (na * nb)
    }

    fn meta(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(m) => m,
            other => panic!("test metadata must be an object, got {other}"),
        }
    }

    fn records(count: usize) -> Vec<Record> {
        (0..count)
            .map(|i| Record {
                id: format!("doc-{i}"),
                text: format!("Chunk {i}: préventive care is covered at 100% (naïve café ✓)"),
                metadata: meta(
                    json!({"policy": "PPO_PLUS", "page": i, "tags": ["dental", i % 2 == 0]}),
                ),
            })
            .collect()
    }

    fn sample(encoding: VectorEncoding) -> Bundle {
        let bundle = Bundle::new(
            MODEL,
            DIMS,
            encoding,
            records(3),
            unit_vectors(3, DIMS, 7),
            vec![1, 2, 3, 4, 5],
        );
        match bundle {
            Ok(b) => b,
            Err(e) => panic!("sample bundle should build: {e}"),
        }
    }

    /// [`sample`] with unit vectors: two for the first record, none for the second,
    /// one for the third.
    fn sample_with_units(encoding: VectorEncoding) -> Bundle {
        let units = vec![
            unit_vectors(2, DIMS, 11),
            Vec::new(),
            unit_vectors(1, DIMS, 13),
        ];
        match sample(encoding).with_units(units) {
            Ok(b) => b,
            Err(e) => panic!("sample units should fit: {e}"),
        }
    }

    fn sample_bytes() -> Vec<u8> {
        sample(VectorEncoding::F32).to_bytes()
    }

    fn read_ok(bytes: &[u8]) -> Bundle {
        match Bundle::from_bytes(bytes) {
            Ok(b) => b,
            Err(e) => panic!("bundle should read: {e}"),
        }
    }

    fn read_err(bytes: &[u8]) -> BundleError {
        match Bundle::from_bytes(bytes) {
            Ok(b) => panic!("bundle should be rejected, read {:?}", b.header),
            Err(e) => e,
        }
    }

    /// The five sections of a bundle as `to_bytes` writes them, for tampering.
    fn sections_of(b: &Bundle) -> [Vec<u8>; 5] {
        [
            encode_vectors(&b.vectors, b.header.dims as usize, b.header.encoding),
            string_table(b.records.iter().map(|r| r.id.as_bytes())),
            string_table(b.records.iter().map(|r| r.text.as_bytes())),
            metadata_table(&b.records),
            b.index.clone(),
        ]
    }

    /// A correctly checksummed file with `b`'s header (count overridable) and the
    /// given section bodies, in kind order.
    fn assemble_with(b: &Bundle, count: u32, sections: &[Vec<u8>; 5]) -> Vec<u8> {
        assemble_file(b, FORMAT_VERSION, count, sections, None)
    }

    /// A correctly checksummed file of format `version` with `b`'s header (`count`
    /// overridable), the given section bodies in kind order, and `units` as a UNITS
    /// section when given.
    fn assemble_file(
        b: &Bundle,
        version: u16,
        count: u32,
        sections: &[Vec<u8>; 5],
        units: Option<&[u8]>,
    ) -> Vec<u8> {
        let header = RawHeader {
            version,
            flags: 0,
            metric: b.header.metric.code(),
            encoding: b.header.encoding.code(),
            dims: b.header.dims,
            count,
            model_id: b.header.model_id.as_bytes(),
        };
        let mut table: Vec<(u16, &[u8])> = SectionKind::REQUIRED
            .iter()
            .zip(sections)
            .map(|(k, s)| (k.code(), s.as_slice()))
            .collect();
        table.extend(units.map(|u| (SectionKind::Units.code(), u)));
        assemble(&header, &table)
    }

    /// `b` written with one section replaced (checksums made to match).
    fn with_section(b: &Bundle, kind: SectionKind, body: Vec<u8>) -> Vec<u8> {
        let mut sections = sections_of(b);
        sections[kind.slot()] = body;
        assemble_with(b, b.header.count, &sections)
    }

    fn le_u16(bytes: &[u8], at: usize) -> Option<usize> {
        Some(usize::from(u16::from_le_bytes(
            bytes.get(at..at + 2)?.try_into().ok()?,
        )))
    }

    fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
        Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
    }

    /// (table start, section count) read from a possibly damaged file.
    fn table_of(bytes: &[u8]) -> Option<(usize, usize)> {
        let count_at = OFF_MODEL_ID + le_u16(bytes, OFF_MODEL_ID_LEN)?;
        Some((count_at + 2, le_u16(bytes, count_at)?))
    }

    /// Offset of the table entry for `kind`.
    fn entry_of(bytes: &[u8], kind: SectionKind) -> usize {
        let (table_at, n) = table_of(bytes).unwrap_or_default();
        (0..n)
            .map(|i| table_at + i * ENTRY_LEN)
            .find(|&at| le_u16(bytes, at) == Some(usize::from(kind.code())))
            .unwrap_or_else(|| panic!("no table entry for {}", kind.name()))
    }

    /// Recomputes every checksum a (tampered) file has room for, so that reading gets
    /// past them to the check under test. Never panics, whatever the bytes.
    fn reseal(bytes: &mut [u8]) {
        let Some((table_at, n)) = table_of(bytes) else {
            return;
        };
        for i in 0..n {
            let at = table_at + i * ENTRY_LEN;
            let (Some(offset), Some(len)) = (le_u64(bytes, at + 2), le_u64(bytes, at + 10)) else {
                return;
            };
            let section = usize::try_from(offset)
                .ok()
                .zip(
                    offset
                        .checked_add(len)
                        .and_then(|e| usize::try_from(e).ok()),
                )
                .and_then(|(s, e)| bytes.get(s..e));
            if let Some(section) = section {
                let crc = crc32fast::hash(section).to_le_bytes();
                if let Some(slot) = bytes.get_mut(at + 18..at + 22) {
                    slot.copy_from_slice(&crc);
                }
            }
        }
        let crc_at = table_at + n * ENTRY_LEN;
        if let Some(covered) = bytes.get(..crc_at) {
            let crc = crc32fast::hash(covered).to_le_bytes();
            if let Some(slot) = bytes.get_mut(crc_at..crc_at + 4) {
                slot.copy_from_slice(&crc);
            }
        }
    }

    fn put(bytes: &mut [u8], at: usize, value: &[u8]) {
        bytes[at..at + value.len()].copy_from_slice(value);
    }

    /// The field an `Invalid` error names.
    fn invalid_field(e: &BundleError) -> &str {
        match e {
            BundleError::Invalid { field, .. } => field,
            other => panic!("expected Invalid, got {other:?}: {other}"),
        }
    }

    // ---- round trips -------------------------------------------------------------

    #[test]
    fn f32_round_trip_is_exact() {
        let b = sample(VectorEncoding::F32);
        let bytes = b.to_bytes();
        let back = read_ok(&bytes);
        assert_eq!(back.header, b.header);
        assert_eq!(back.records, b.records);
        assert_eq!(back.vectors, b.vectors);
        assert_eq!(back.index, b.index);
        assert_eq!(back.to_bytes(), bytes, "re-encoding is byte-identical");
        assert_structurally_valid(&back);
    }

    #[test]
    fn f16_round_trip_within_1e3() {
        let b = Bundle::new(
            MODEL,
            384,
            VectorEncoding::F16,
            records(20),
            unit_vectors(20, 384, 1),
            vec![],
        )
        .expect("valid bundle");
        let back = read_ok(&b.to_bytes());
        assert_eq!(back.header, b.header);
        assert_eq!(back.records, b.records);
        let max_err = b
            .vectors
            .iter()
            .zip(&back.vectors)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(max_err <= 1e-3, "max abs error {max_err}");
        assert_eq!(
            back.to_bytes(),
            b.to_bytes(),
            "decoded f16 re-encodes identically"
        );
    }

    #[test]
    fn int8_round_trip_keeps_cosine() {
        let b = Bundle::new(
            MODEL,
            384,
            VectorEncoding::Int8,
            records(50),
            unit_vectors(50, 384, 2),
            vec![9; 10],
        )
        .expect("valid bundle");
        let back = read_ok(&b.to_bytes());
        assert_eq!(back.header, b.header);
        assert_eq!(back.records, b.records);
        assert_eq!(back.index, b.index);
        for i in 0..50 {
            let (orig, got) = (
                b.vector(i).expect("vector"),
                back.vector(i).expect("vector"),
            );
            let c = cosine(orig, got);
            assert!(c >= 0.999, "vector {i}: cosine {c}");
        }
    }

    #[test]
    fn int8_zero_vector_stays_zero() {
        let mut vectors = unit_vectors(2, DIMS, 3);
        vectors[..DIMS].fill(0.0);
        let b = Bundle::new(
            MODEL,
            DIMS,
            VectorEncoding::Int8,
            records(2),
            vectors,
            vec![],
        )
        .expect("valid");
        let back = read_ok(&b.to_bytes());
        assert_eq!(back.vector(0), Some(&[0.0f32; DIMS][..]));
    }

    #[test]
    fn empty_bundle_round_trips() {
        let b =
            Bundle::new(MODEL, 384, VectorEncoding::Int8, vec![], vec![], vec![]).expect("valid");
        let back = read_ok(&b.to_bytes());
        assert_eq!(back.header.count, 0);
        assert!(back.records.is_empty() && back.vectors.is_empty() && back.index.is_empty());
        assert_eq!(back.vector(0), None);
    }

    #[test]
    fn vector_accessor() {
        let b = sample(VectorEncoding::F32);
        assert_eq!(b.vector(1), Some(&b.vectors[DIMS..2 * DIMS]));
        assert_eq!(b.vector(3), None);
        assert_eq!(b.vector(usize::MAX), None);
    }

    #[test]
    fn from_bytes_for_accepts_matching_model() {
        let bytes = sample_bytes();
        let b = Bundle::from_bytes_for(&bytes, MODEL, DIMS).expect("matching contract");
        assert_eq!(b.header.model_id, MODEL);
    }

    #[test]
    fn bytes_per_vector_ratios() {
        let f32_bytes = VectorEncoding::F32.bytes_per_vector(384);
        assert_eq!(f32_bytes, 1536);
        assert_eq!(VectorEncoding::F16.bytes_per_vector(384) * 2, f32_bytes);
        let int8 = VectorEncoding::Int8.bytes_per_vector(384);
        assert_eq!(int8, 388);
        assert!(int8 as f64 <= f32_bytes as f64 / 3.5);
        assert_eq!(VectorEncoding::F32.bytes_per_vector(usize::MAX), usize::MAX);
    }

    #[test]
    fn encoding_names_round_trip() {
        for e in [
            VectorEncoding::F32,
            VectorEncoding::F16,
            VectorEncoding::Int8,
        ] {
            assert_eq!(e.to_string().parse::<VectorEncoding>().ok(), Some(e));
        }
        let e = "q4"
            .parse::<VectorEncoding>()
            .expect_err("unknown encoding");
        assert_eq!(invalid_field(&e), "encoding");
        assert!(e.to_string().contains("\"q4\""), "{e}");
        assert_eq!(Metric::Cosine.to_string(), "cosine");
    }

    // ---- Bundle::new -------------------------------------------------------------

    #[test]
    fn new_rejects_bad_input() {
        let new = |model: &str, dims: usize, recs: Vec<Record>, vectors: Vec<f32>| {
            Bundle::new(model, dims, VectorEncoding::F32, recs, vectors, vec![])
                .expect_err("should be rejected")
        };
        let e = new(MODEL, DIMS, records(3), vec![0.0; DIMS * 3 - 1]);
        assert_eq!(invalid_field(&e), "vectors");
        assert!(e.to_string().contains(&format!("{}", DIMS * 3)), "{e}");
        assert_eq!(invalid_field(&new(MODEL, 0, vec![], vec![])), "dims");
        assert_eq!(invalid_field(&new(MODEL, 4097, vec![], vec![])), "dims");
        assert_eq!(invalid_field(&new("", DIMS, vec![], vec![])), "model id");
        assert_eq!(
            invalid_field(&new(&"m".repeat(257), DIMS, vec![], vec![])),
            "model id"
        );
        let mut nan = unit_vectors(3, DIMS, 1);
        nan[DIMS + 2] = f32::NAN;
        assert_eq!(
            invalid_field(&new(MODEL, DIMS, records(3), nan)),
            "vectors[1]"
        );
        let mut dup = records(3);
        dup[2].id = "doc-0".to_owned();
        let e = new(MODEL, DIMS, dup, unit_vectors(3, DIMS, 1));
        assert_eq!(invalid_field(&e), "ids[2]");
        assert!(e.to_string().contains("duplicate id \"doc-0\""), "{e}");
        let mut empty = records(3);
        empty[1].id.clear();
        assert_eq!(
            invalid_field(&new(MODEL, DIMS, empty, unit_vectors(3, DIMS, 1))),
            "ids[1]"
        );

        let mut big = unit_vectors(1, DIMS, 1);
        big[0] = 70_000.0;
        let e = Bundle::new(
            MODEL,
            DIMS,
            VectorEncoding::F16,
            records(1),
            big.clone(),
            vec![],
        )
        .expect_err("outside f16 range");
        assert_eq!(invalid_field(&e), "vectors[0]");
        assert!(Bundle::new(MODEL, DIMS, VectorEncoding::F32, records(1), big, vec![]).is_ok());
        assert!(Bundle::new(
            &"m".repeat(256),
            4096,
            VectorEncoding::F32,
            vec![],
            vec![],
            vec![]
        )
        .is_ok());
    }

    // ---- malformed files ---------------------------------------------------------

    #[test]
    fn wrong_magic() {
        let mut bytes = sample_bytes();
        bytes[0] = b'X';
        let e = read_err(&bytes);
        assert!(
            matches!(&e, BundleError::BadMagic { found } if found.as_slice() == b"XENEFIND"),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("XENEFIND") && e.to_string().contains("BENEFIND"),
            "{e}"
        );
        assert!(matches!(
            read_err(b"PK\x03\x04"),
            BundleError::BadMagic { .. }
        ));
        assert!(matches!(
            read_err(b""),
            BundleError::Truncated { field: "magic", .. }
        ));
    }

    #[test]
    fn unknown_version() {
        let mut bytes = sample_bytes();
        put(&mut bytes, OFF_VERSION, &7u16.to_le_bytes());
        let e = read_err(&bytes);
        assert!(
            matches!(
                e,
                BundleError::UnsupportedVersion {
                    got: 7,
                    supported: FORMAT_VERSION
                }
            ),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains("version 7")
                && msg.contains(&format!(
                    "versions {OLDEST_READABLE_VERSION} to {FORMAT_VERSION}"
                ))
                && msg.contains("benefind bundle build"),
            "{msg}"
        );
        // Version 1 is older than any this build reads.
        put(&mut bytes, OFF_VERSION, &1u16.to_le_bytes());
        assert!(matches!(
            read_err(&bytes),
            BundleError::UnsupportedVersion { got: 1, .. }
        ));
    }

    #[test]
    fn every_truncation_is_rejected() {
        let bytes = sample_bytes();
        for len in 0..bytes.len() {
            let prefix = &bytes[..len];
            let e = read_err(prefix);
            assert!(
                matches!(
                    e,
                    BundleError::Truncated { .. } | BundleError::SectionOutOfBounds { .. }
                ),
                "prefix of {len} bytes: {e:?}"
            );
            assert!(inspect(prefix).is_err(), "inspect of a {len}-byte prefix");
        }
        let e = read_err(&bytes[..20]);
        assert!(
            matches!(
                e,
                BundleError::Truncated {
                    field: "header",
                    needed: 24,
                    available: 20
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("header"), "{e}");
    }

    #[test]
    fn section_beyond_file() {
        let bytes = sample_bytes();
        let file_len = bytes.len() as u64;
        for (field, value) in [
            (2usize, file_len + 1),
            (10, file_len),
            (10, u64::MAX),
            (2, u64::MAX),
        ] {
            let mut bad = bytes.clone();
            let at = entry_of(&bad, SectionKind::Texts);
            put(&mut bad, at + field, &value.to_le_bytes());
            reseal(&mut bad);
            let e = read_err(&bad);
            assert!(
                matches!(e, BundleError::SectionOutOfBounds { section: "texts", file_len: f, .. } if f == file_len),
                "{e:?}"
            );
            assert!(e.to_string().contains("texts"), "{e}");
            assert!(inspect(&bad).is_err());
        }
    }

    #[test]
    fn sections_must_tile_the_file() {
        let bytes = sample_bytes();
        // Trailing bytes after the last section.
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(invalid_field(&read_err(&longer)), "file length");
        // Two sections overlapping: point ids at the vectors.
        let mut overlap = bytes.clone();
        let vectors_at = entry_of(&overlap, SectionKind::Vectors);
        let ids_at = entry_of(&overlap, SectionKind::Ids);
        let vectors_offset = overlap[vectors_at + 2..vectors_at + 10].to_vec();
        put(&mut overlap, ids_at + 2, &vectors_offset);
        reseal(&mut overlap);
        let e = read_err(&overlap);
        assert_eq!(invalid_field(&e), "section table");
        assert!(e.to_string().contains("back to back"), "{e}");
    }

    #[test]
    fn section_table_kinds() {
        let bytes = sample_bytes();
        // Unknown kind.
        let mut unknown = bytes.clone();
        let at = entry_of(&unknown, SectionKind::Index);
        put(&mut unknown, at, &9u16.to_le_bytes());
        reseal(&mut unknown);
        let e = read_err(&unknown);
        assert_eq!(invalid_field(&e), "section table");
        assert!(e.to_string().contains("unknown section kind 9"), "{e}");
        // Duplicate kind.
        let mut dup = bytes.clone();
        let at = entry_of(&dup, SectionKind::Index);
        put(&mut dup, at, &SectionKind::Texts.code().to_le_bytes());
        reseal(&mut dup);
        let e = read_err(&dup);
        assert!(
            e.to_string().contains("texts appears more than once"),
            "{e}"
        );
        // Missing kind: a table of four sections.
        let b = sample(VectorEncoding::F32);
        let sections = sections_of(&b);
        let header = RawHeader {
            version: FORMAT_VERSION,
            flags: 0,
            metric: 0,
            encoding: 0,
            dims: DIMS as u32,
            count: 3,
            model_id: MODEL.as_bytes(),
        };
        let four: Vec<(u16, &[u8])> = (0..4)
            .map(|i| (SectionKind::REQUIRED[i].code(), sections[i].as_slice()))
            .collect();
        let e = read_err(&assemble(&header, &four));
        assert!(
            e.to_string().contains("required section index is missing"),
            "{e}"
        );
    }

    #[test]
    fn header_fields_are_checked() {
        let bytes = sample_bytes();
        let tamper = |at: usize, value: &[u8]| {
            let mut bad = bytes.clone();
            put(&mut bad, at, value);
            reseal(&mut bad);
            read_err(&bad)
        };
        assert!(matches!(
            tamper(OFF_METRIC, &[3]),
            BundleError::UnknownMetric(3)
        ));
        let e = tamper(OFF_ENCODING, &[4]);
        assert!(matches!(e, BundleError::UnknownEncoding(4)), "{e:?}");
        assert!(e.to_string().contains("encoding 4"), "{e}");
        assert_eq!(
            invalid_field(&tamper(OFF_FLAGS, &1u16.to_le_bytes())),
            "flags"
        );
        assert_eq!(
            invalid_field(&tamper(OFF_DIMS, &0u32.to_le_bytes())),
            "dims"
        );
        let e = tamper(OFF_DIMS, &5000u32.to_le_bytes());
        assert!(
            e.to_string().contains("dims") && e.to_string().contains("5000"),
            "{e}"
        );
        let e = tamper(OFF_MODEL_ID, &[0xFF]);
        assert_eq!(invalid_field(&e), "model id");
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }

    #[test]
    fn count_that_does_not_fit() {
        let b = sample(VectorEncoding::F32);
        let sections = sections_of(&b);
        for count in [4, u32::MAX] {
            let e = read_err(&assemble_with(&b, count, &sections));
            match &e {
                BundleError::CountMismatch {
                    section,
                    count: c,
                    expected,
                    got,
                } => {
                    assert_eq!((*section, *c), ("vectors", count));
                    assert_eq!(*expected, u64::from(count) * 32);
                    assert_eq!(*got, 3 * 32);
                }
                other => panic!("expected CountMismatch, got {other:?}"),
            }
            assert!(
                e.to_string().contains("vectors") && e.to_string().contains(&count.to_string()),
                "{e}"
            );
        }
        // Vectors consistent with a huge count, but the string tables are not.
        let big = Bundle::new(
            MODEL,
            DIMS,
            VectorEncoding::F32,
            records(40),
            unit_vectors(40, DIMS, 5),
            vec![],
        )
        .expect("valid");
        let mut sections = sections_of(&big);
        sections[SectionKind::Ids.slot()] = string_table(["a".as_bytes()].into_iter());
        let e = read_err(&assemble_with(&big, 40, &sections));
        assert!(
            matches!(
                e,
                BundleError::CountMismatch {
                    section: "ids",
                    count: 40,
                    expected: 164,
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn checksum_mismatch_in_every_section() {
        let bytes = sample_bytes();
        let mut kinds: Vec<(&str, usize)> = vec![("header", OFF_DIMS)];
        for kind in SectionKind::REQUIRED {
            let at = entry_of(&bytes, kind);
            let offset = le_u64(&bytes, at + 2).expect("offset") as usize;
            assert!(
                le_u64(&bytes, at + 10).expect("len") > 0,
                "{} is empty",
                kind.name()
            );
            kinds.push((kind.name(), offset));
        }
        for (name, at) in kinds {
            let mut bad = bytes.clone();
            bad[at] ^= 0x40;
            let e = read_err(&bad);
            assert!(
                matches!(e, BundleError::ChecksumMismatch { section, .. } if section == name),
                "{name}: {e:?}"
            );
            assert!(e.to_string().contains(name), "{e}");
            assert!(matches!(
                inspect(&bad),
                Err(BundleError::ChecksumMismatch { .. })
            ));
        }
    }

    #[test]
    fn dims_mismatch_names_both() {
        let b = Bundle::new(
            MODEL,
            768,
            VectorEncoding::F16,
            records(2),
            unit_vectors(2, 768, 4),
            vec![],
        )
        .expect("valid");
        let e = Bundle::from_bytes_for(&b.to_bytes(), MODEL, 384).expect_err("wrong dims");
        assert!(
            matches!(
                e,
                BundleError::DimsMismatch {
                    expected: 384,
                    got: 768
                }
            ),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains("bundle has 768-dimensional vectors but the embedder produces 384"),
            "{msg}"
        );
        assert!(msg.contains("benefind bundle build"), "{msg}");
    }

    #[test]
    fn model_mismatch_names_both() {
        let e = Bundle::from_bytes_for(&sample_bytes(), "BAAI/bge-small-en-v1.5", DIMS)
            .expect_err("wrong model");
        assert!(
            matches!(&e, BundleError::ModelMismatch { expected, got } if expected == "BAAI/bge-small-en-v1.5" && got == MODEL),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(msg.contains(MODEL) && msg.contains("bge-small"), "{msg}");
    }

    #[test]
    fn bad_utf8() {
        let b = sample(VectorEncoding::F32);
        for kind in [SectionKind::Ids, SectionKind::Texts] {
            let body = string_table([&b"ok"[..], b"fine", b"\xC3\x28"].into_iter());
            let e = read_err(&with_section(&b, kind, body));
            assert_eq!(invalid_field(&e), format!("{}[2]", kind.name()));
            assert!(e.to_string().contains("UTF-8"), "{e}");
        }
        // An offset that splits a multi-byte character.
        let body = string_table([&b"doc-0"[..], b"\xC3", b"\xA9"].into_iter());
        let e = read_err(&with_section(&b, SectionKind::Ids, body));
        assert_eq!(invalid_field(&e), "ids[1]");
    }

    #[test]
    fn bad_string_offsets() {
        let b = sample(VectorEncoding::F32);
        let good = string_table(b.records.iter().map(|r| r.id.as_bytes()));
        // Swap the middle offsets so they decrease.
        let mut decreasing = good.clone();
        let (o1, o2) = (decreasing[4..8].to_vec(), decreasing[8..12].to_vec());
        put(&mut decreasing, 4, &o2);
        put(&mut decreasing, 8, &o1);
        // First offset not 0, last offset short of the blob.
        let mut first = good.clone();
        put(&mut first, 0, &1u32.to_le_bytes());
        let mut last = good.clone();
        last.push(b'x');
        for body in [decreasing, first, last] {
            let e = read_err(&with_section(&b, SectionKind::Ids, body));
            assert_eq!(invalid_field(&e), "ids string table");
        }
    }

    #[test]
    fn bad_metadata_json() {
        let b = sample(VectorEncoding::F32);
        for (doc, reason) in [
            ("{\"a\": ", "not valid JSON"),
            ("[1, 2]", "expected a JSON object, got an array"),
            ("", "not valid JSON"),
        ] {
            let body = string_table([&b"{}"[..], doc.as_bytes(), b"{}"].into_iter());
            let e = read_err(&with_section(&b, SectionKind::Metadata, body));
            assert_eq!(invalid_field(&e), "metadata[1]");
            assert!(e.to_string().contains(reason), "{e}");
        }
        // Any JSON object is accepted, not only the compact form the writer produces.
        let body = string_table([&b"{}"[..], b" { \"k\" : [ 1 ] } ", b"{}"].into_iter());
        let back = read_ok(&with_section(&b, SectionKind::Metadata, body));
        assert_eq!(back.records[1].metadata, meta(json!({"k": [1]})));
    }

    #[test]
    fn duplicate_and_empty_ids_in_file() {
        let b = sample(VectorEncoding::F32);
        let body = string_table([&b"a"[..], b"b", b"a"].into_iter());
        let e = read_err(&with_section(&b, SectionKind::Ids, body));
        assert_eq!(invalid_field(&e), "ids[2]");
        assert!(
            e.to_string().contains("duplicate id \"a\" (also ids[0])"),
            "{e}"
        );
        let body = string_table([&b"a"[..], b"", b"c"].into_iter());
        assert_eq!(
            invalid_field(&read_err(&with_section(&b, SectionKind::Ids, body))),
            "ids[1]"
        );
    }

    #[test]
    fn non_finite_vectors_in_file() {
        let b = sample(VectorEncoding::F32);
        let mut vectors = sections_of(&b)[0].clone();
        put(&mut vectors, (DIMS + 3) * 4, &f32::INFINITY.to_le_bytes());
        let e = read_err(&with_section(&b, SectionKind::Vectors, vectors));
        assert_eq!(invalid_field(&e), "vectors[1]");
        assert!(e.to_string().contains("component 3 is inf"), "{e}");

        let h = sample(VectorEncoding::F16);
        let mut vectors = sections_of(&h)[0].clone();
        put(&mut vectors, 0, &half::f16::NAN.to_le_bytes());
        assert_eq!(
            invalid_field(&read_err(&with_section(&h, SectionKind::Vectors, vectors))),
            "vectors[0]"
        );

        let q = sample(VectorEncoding::Int8);
        let per = VectorEncoding::Int8.bytes_per_vector(DIMS);
        for scale in [-1.0f32, f32::NAN, f32::INFINITY] {
            let mut vectors = sections_of(&q)[0].clone();
            put(&mut vectors, 2 * per, &scale.to_le_bytes());
            let e = read_err(&with_section(&q, SectionKind::Vectors, vectors));
            assert_eq!(invalid_field(&e), "vectors[2]");
            assert!(e.to_string().contains("scale"), "{e}");
        }
        // A finite scale whose product overflows.
        let mut vectors = sections_of(&q)[0].clone();
        put(&mut vectors, 0, &f32::MAX.to_le_bytes());
        assert_eq!(
            invalid_field(&read_err(&with_section(&q, SectionKind::Vectors, vectors))),
            "vectors[0]"
        );
    }

    // ---- inspect -----------------------------------------------------------------

    #[test]
    fn inspect_lists_sizes() {
        let b = sample(VectorEncoding::Int8);
        let bytes = b.to_bytes();
        let info = inspect(&bytes).expect("valid bundle");
        assert_eq!(info.version, FORMAT_VERSION);
        assert_eq!(info.model_id, MODEL);
        assert_eq!((info.dims, info.count), (DIMS as u32, 3));
        assert_eq!(
            (info.metric.as_str(), info.encoding.as_str()),
            ("cosine", "int8")
        );
        assert_eq!(info.file_bytes, bytes.len() as u64);
        let names: Vec<&str> = info.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["header", "vectors", "ids", "texts", "metadata", "index"]
        );
        assert_eq!(
            info.sections.iter().map(|s| s.bytes).sum::<u64>(),
            info.file_bytes
        );
        assert_eq!(
            info.sections[0].bytes,
            (30 + MODEL.len() + 5 * ENTRY_LEN) as u64
        );
        assert_eq!(info.sections[1].bytes, 3 * (DIMS as u64 + 4));
        assert_eq!(info.sections[5].bytes, 5);
        let json = serde_json::to_value(&info).expect("serialises");
        assert_eq!(json["sections"][1], json!({"name": "vectors", "bytes": 36}));
        assert_eq!(json["encoding"], "int8");
    }

    // ---- fuzzing -----------------------------------------------------------------

    /// What every bundle `from_bytes` returns must satisfy.
    fn assert_structurally_valid(b: &Bundle) {
        let dims = b.header.dims as usize;
        assert!((OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&b.header.version));
        assert_eq!(b.records.len(), b.header.count as usize);
        if let Some(units) = &b.units {
            assert_eq!(units.len(), b.records.len());
            assert!(units.iter().all(|u| u.len() % dims == 0));
            assert!(units.iter().flatten().all(|x| x.is_finite()));
        }
        assert_eq!(b.vectors.len(), b.records.len() * dims);
        for i in 0..b.records.len() {
            assert_eq!(b.vector(i).map(<[f32]>::len), Some(dims));
        }
        let rebuilt = Bundle::new(
            &b.header.model_id,
            dims,
            b.header.encoding,
            b.records.clone(),
            b.vectors.clone(),
            b.index.clone(),
        )
        .and_then(|rebuilt| match &b.units {
            Some(units) => rebuilt.with_units(units.clone()),
            None => Ok(rebuilt),
        });
        if let Err(e) = rebuilt {
            panic!("a bundle from_bytes accepted fails Bundle::new or with_units: {e}");
        }
        if let Err(e) = Bundle::from_bytes(&b.to_bytes()) {
            panic!("a bundle from_bytes accepted does not read back after to_bytes: {e}");
        }
    }

    #[test]
    fn unit_vectors_round_trip_per_record_in_each_encoding() {
        for enc in [
            VectorEncoding::F32,
            VectorEncoding::F16,
            VectorEncoding::Int8,
        ] {
            let b = sample_with_units(enc);
            let bytes = b.to_bytes();
            let back = read_ok(&bytes);
            assert_eq!(back.header.version, FORMAT_VERSION);
            let (sent, read) = (b.units.expect("given"), back.units.expect("read"));
            assert_eq!(
                read.iter().map(Vec::len).collect::<Vec<_>>(),
                [2 * DIMS, 0, DIMS]
            );
            for (x, y) in sent.iter().flatten().zip(read.iter().flatten()) {
                assert!((x - y).abs() <= 1.0 / 127.0, "{enc}: {x} vs {y}");
            }
            let names: Vec<String> = inspect(&bytes)
                .expect("inspects")
                .sections
                .into_iter()
                .map(|s| s.name)
                .collect();
            assert_eq!(names.last().map(String::as_str), Some("units"));
        }
        // Without them, no section is written and none is read.
        assert!(read_ok(&sample_bytes()).units.is_none());
    }

    #[test]
    fn unit_vectors_must_be_whole_finite_vectors_one_entry_per_record() {
        let e = sample(VectorEncoding::F32)
            .with_units(vec![Vec::new(); 2])
            .expect_err("two entries for three records");
        assert!(e.to_string().contains("2 records, the bundle has 3"), "{e}");
        let e = sample(VectorEncoding::F32)
            .with_units(vec![Vec::new(), vec![0.5; DIMS + 1], Vec::new()])
            .expect_err("ragged");
        assert_eq!(invalid_field(&e), "units[1]");
        let e = sample(VectorEncoding::F16)
            .with_units(vec![Vec::new(), Vec::new(), vec![f32::INFINITY; DIMS]])
            .expect_err("not finite");
        assert_eq!(invalid_field(&e), "units[2][0]");
    }

    #[test]
    fn a_version_2_file_reads_and_may_not_hold_unit_vectors() {
        let b = sample(VectorEncoding::Int8);
        let v2 = |units| assemble_file(&b, 2, b.header.count, &sections_of(&b), units);
        let back = read_ok(&v2(None));
        assert_eq!((back.header.version, back.records), (2, b.records.clone()));
        assert!(back.units.is_none());
        let units = units_section(&[Vec::new(), Vec::new(), Vec::new()], DIMS);
        let e = read_err(&v2(Some(&units)));
        assert!(e.to_string().contains("unknown section kind 6"), "{e}");
    }

    #[test]
    fn a_units_section_that_disagrees_with_itself_is_refused() {
        let b = sample_with_units(VectorEncoding::F32);
        let good = units_section(b.units.as_ref().expect("units"), DIMS);
        let with_units = |body: &[u8]| {
            assemble_file(
                &b,
                FORMAT_VERSION,
                b.header.count,
                &sections_of(&b),
                Some(body),
            )
        };
        assert!(read_ok(&with_units(&good)).units.is_some());
        // Counts that promise more vectors than follow.
        let mut more = good.clone();
        more[..4].copy_from_slice(&3u32.to_le_bytes());
        let e = read_err(&with_units(&more));
        assert!(e.to_string().contains("add up to 4 vectors"), "{e}");
        // A huge count cannot make reading allocate.
        let mut huge = good.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(invalid_field(&read_err(&with_units(&huge))), "units");
        // Too short for its count table.
        let e = read_err(&with_units(&good[..8]));
        assert!(
            matches!(
                e,
                BundleError::CountMismatch {
                    section: "units",
                    ..
                }
            ),
            "{e}"
        );
        // A non-finite int8 scale is named in the units.
        let mut nan = good.clone();
        nan[12..16].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(invalid_field(&read_err(&with_units(&nan))), "units[0]");
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod props {
        use super::*;
        use proptest::prelude::*;
        use proptest::sample::Index;

        fn encoding() -> impl Strategy<Value = VectorEncoding> {
            prop_oneof![
                Just(VectorEncoding::F32),
                Just(VectorEncoding::F16),
                Just(VectorEncoding::Int8)
            ]
        }

        fn check(bytes: &[u8]) {
            let _ = inspect(bytes);
            if let Ok(b) = Bundle::from_bytes(bytes) {
                assert_structurally_valid(&b);
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
                check(&bytes);
            }

            #[test]
            fn random_bytes_after_a_good_prefix_never_panic(
                tail in proptest::collection::vec(any::<u8>(), 0..600),
                keep in 0usize..200,
            ) {
                // Keep a real header's first bytes so reading gets past magic and version.
                let mut bytes = sample_bytes();
                bytes.truncate(keep.max(10));
                bytes.extend_from_slice(&tail);
                check(&bytes);
                reseal(&mut bytes);
                check(&bytes);
            }

            #[test]
            fn single_byte_mutation_never_panics(enc in encoding(), at in any::<Index>(), byte in any::<u8>()) {
                let mut bytes = sample_with_units(enc).to_bytes();
                let i = at.index(bytes.len());
                bytes[i] = byte;
                check(&bytes);
                // Again with checksums fixed up, to reach the decoders.
                reseal(&mut bytes);
                check(&bytes);
            }

            #[test]
            fn multi_byte_mutation_never_panics(
                enc in encoding(),
                edits in proptest::collection::vec((any::<Index>(), any::<u8>()), 1..24),
            ) {
                let mut bytes = sample_with_units(enc).to_bytes();
                for (at, byte) in &edits {
                    let i = at.index(bytes.len());
                    bytes[i] = *byte;
                }
                check(&bytes);
                reseal(&mut bytes);
                check(&bytes);
            }

            #[test]
            fn random_bundles_round_trip(
                enc in encoding(),
                dims in 1usize..40,
                count in 0usize..12,
                seed in any::<u64>(),
                index in proptest::collection::vec(any::<u8>(), 0..64),
                unit_counts in proptest::option::of(proptest::collection::vec(0usize..4, 12)),
            ) {
                let vectors = unit_vectors(count, dims, seed);
                let mut b = Bundle::new(MODEL, dims, enc, records(count), vectors, index)
                    .expect("valid bundle");
                if let Some(counts) = &unit_counts {
                    let units = counts[..count]
                        .iter()
                        .zip(seed..)
                        .map(|(&n, s)| unit_vectors(n, dims, s))
                        .collect();
                    b = b.with_units(units).expect("valid units");
                }
                let back = Bundle::from_bytes_for(&b.to_bytes(), MODEL, dims).expect("reads back");
                prop_assert_eq!(&back.header, &b.header);
                prop_assert_eq!(&back.records, &b.records);
                prop_assert_eq!(&back.index, &b.index);
                prop_assert_eq!(back.units.is_some(), b.units.is_some());
                let tolerance = match enc {
                    VectorEncoding::F32 => 0.0,
                    VectorEncoding::F16 => 1e-3,
                    VectorEncoding::Int8 => 1.0 / 127.0,
                };
                let units = |b: &Bundle| b.units.iter().flatten().flatten().copied().collect::<Vec<f32>>();
                let (sent, read) = (units(&b), units(&back));
                prop_assert_eq!(sent.len(), read.len());
                for (x, y) in b.vectors.iter().zip(&back.vectors) {
                    prop_assert!((x - y).abs() <= tolerance, "{} vs {}", x, y);
                }
                // Unit vectors are int8 whatever the encoding.
                for (x, y) in sent.iter().zip(&read) {
                    prop_assert!((x - y).abs() <= 1.0 / 127.0, "{} vs {}", x, y);
                }
                if let (Some(sent), Some(read)) = (&b.units, &back.units) {
                    let lens = |u: &Vec<Vec<f32>>| u.iter().map(Vec::len).collect::<Vec<_>>();
                    prop_assert_eq!(lens(sent), lens(read));
                }
                assert_structurally_valid(&back);
            }
        }
    }
}
