//! Reading untrusted bundle bytes: the layout (header, section table, checksums) is
//! checked before anything is decoded, then each section is decoded and validated.

use super::*;

/// A bundle whose header, section table and checksums have been validated.
pub(super) struct Layout<'a> {
    pub(super) header: BundleHeader,
    /// Section bytes, indexed by [`SectionKind::slot`].
    pub(super) sections: [&'a [u8]; 5],
    /// The UNITS section's bytes, when the file has one.
    pub(super) units: Option<&'a [u8]>,
    /// Where the first section starts (= size of header, table and header checksum).
    pub(super) data_start: usize,
}

/// `N` bytes at `at`, or `Truncated` naming `field`.
pub(super) fn read<const N: usize>(
    bytes: &[u8],
    at: usize,
    field: &'static str,
) -> Result<[u8; N], BundleError> {
    let end = at.checked_add(N);
    end.and_then(|end| bytes.get(at..end))
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or(BundleError::Truncated {
            field,
            needed: end.map_or(u64::MAX, |e| e as u64),
            available: bytes.len() as u64,
        })
}

pub(super) fn read_u16(bytes: &[u8], at: usize, field: &'static str) -> Result<u16, BundleError> {
    read(bytes, at, field).map(u16::from_le_bytes)
}

pub(super) fn read_u32(bytes: &[u8], at: usize, field: &'static str) -> Result<u32, BundleError> {
    read(bytes, at, field).map(u32::from_le_bytes)
}

pub(super) fn read_u64(bytes: &[u8], at: usize, field: &'static str) -> Result<u64, BundleError> {
    read(bytes, at, field).map(u64::from_le_bytes)
}

/// A section table entry: where the section is, its length and checksum, and its kind.
type Placed = (u64, u64, u32, SectionKind);

/// Validates everything but the sections' contents, in the order that makes each error
/// the most telling: magic and version, the header checksum (before any field is
/// trusted), the header's fields, the section table, the tiling of the file, and each
/// section's checksum.
pub(super) fn parse_layout(bytes: &[u8]) -> Result<Layout<'_>, BundleError> {
    let version = check_magic_and_version(bytes)?;
    let extent = checked_header(bytes)?;
    let header = header_fields(bytes, version, extent.count_at)?;
    let (placed, units) = section_table(bytes, &extent, version)?;
    let all: Vec<Placed> = placed.iter().copied().chain(units).collect();
    check_tiling(all, extent.data_start as u64, bytes.len() as u64)?;
    let mut sections: [&[u8]; 5] = [&[]; 5];
    for (slot, entry) in sections.iter_mut().zip(placed) {
        *slot = checked_section(bytes, entry)?;
    }
    let units = units
        .map(|entry| checked_section(bytes, entry))
        .transpose()?;
    Ok(Layout {
        header,
        sections,
        units,
        data_start: extent.data_start,
    })
}

/// Magic and version first: a file from a newer format must be reported as such,
/// whatever the rest of its header looks like.
fn check_magic_and_version(bytes: &[u8]) -> Result<u16, BundleError> {
    let head = bytes.get(..MAGIC.len()).unwrap_or(bytes);
    if !MAGIC.starts_with(head) {
        return Err(BundleError::BadMagic {
            found: head.to_vec(),
        });
    }
    read::<8>(bytes, 0, "magic")?;
    let version = read_u16(bytes, OFF_VERSION, "version")?;
    if !(OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(BundleError::UnsupportedVersion {
            got: version,
            supported: FORMAT_VERSION,
        });
    }
    Ok(version)
}

/// Where the header's variable parts are.
struct HeaderExtent {
    /// Offset of the section count (right after the model id).
    count_at: usize,
    section_count: usize,
    /// Offset of the section table.
    table_at: usize,
    /// Where the first section starts.
    data_start: usize,
}

/// Finds the end of the header and table (all bounded by u16 lengths, so no overflow,
/// but checked anyway) and verifies the header checksum.
fn checked_header(bytes: &[u8]) -> Result<HeaderExtent, BundleError> {
    let model_id_len = usize::from(read_u16(bytes, OFF_MODEL_ID_LEN, "header")?);
    let count_at = OFF_MODEL_ID + model_id_len;
    read::<0>(bytes, count_at, "model id")?;
    let section_count = usize::from(read_u16(bytes, count_at, "section count")?);
    let table_at = count_at + 2;
    let crc_at = section_count
        .checked_mul(ENTRY_LEN)
        .and_then(|t| t.checked_add(table_at))
        .ok_or(BundleError::Truncated {
            field: "section table",
            needed: u64::MAX,
            available: bytes.len() as u64,
        })?;
    read::<0>(bytes, crc_at, "section table")?;
    let stored_crc = read_u32(bytes, crc_at, "header checksum")?;
    let covered = bytes.get(..crc_at).unwrap_or_default();
    let computed = crc32fast::hash(covered);
    if computed != stored_crc {
        return Err(BundleError::ChecksumMismatch {
            section: "header",
            expected: stored_crc,
            got: computed,
        });
    }
    Ok(HeaderExtent {
        count_at,
        section_count,
        table_at,
        data_start: crc_at + 4,
    })
}

/// The header's fixed fields and model id, each checked.
fn header_fields(bytes: &[u8], version: u16, count_at: usize) -> Result<BundleHeader, BundleError> {
    let flags = read_u16(bytes, OFF_FLAGS, "header")?;
    if flags != 0 {
        return Err(BundleError::invalid(
            "flags",
            format!("{flags:#06x} is set, but format version {version} reserves the flags and they must be 0; the file is corrupt or from a newer benefind, {REBUILD}"),
        ));
    }
    let [metric] = read::<1>(bytes, OFF_METRIC, "header")?;
    let metric = Metric::from_code(metric)?;
    let [encoding] = read::<1>(bytes, OFF_ENCODING, "header")?;
    let encoding = VectorEncoding::from_code(encoding)?;
    let dims = read_u32(bytes, OFF_DIMS, "header")?;
    check_dims(usize::try_from(dims).unwrap_or(usize::MAX))?;
    let count = read_u32(bytes, OFF_COUNT, "header")?;
    let model_id = bytes.get(OFF_MODEL_ID..count_at).unwrap_or_default();
    let model_id = std::str::from_utf8(model_id).map_err(|e| {
        BundleError::invalid("model id", format!("not valid UTF-8 ({e}); {REBUILD}"))
    })?;
    check_model_id(model_id)?;
    Ok(BundleHeader {
        version,
        model_id: model_id.to_owned(),
        dims,
        metric,
        encoding,
        count,
    })
}

/// The section table: each required kind exactly once and UNITS at most once, inside
/// the file; the required ones returned in slot order.
fn section_table(
    bytes: &[u8],
    extent: &HeaderExtent,
    version: u16,
) -> Result<([Placed; 5], Option<Placed>), BundleError> {
    let file_len = bytes.len() as u64;
    let mut entries: [Option<(u64, u64, u32)>; 6] = [None; 6];
    for i in 0..extent.section_count {
        let at = extent.table_at + i * ENTRY_LEN;
        let code = read_u16(bytes, at, "section table")?;
        let offset = read_u64(bytes, at + 2, "section table")?;
        let len = read_u64(bytes, at + 10, "section table")?;
        let crc = read_u32(bytes, at + 18, "section table")?;
        let kind = SectionKind::from_code(code, version).ok_or_else(|| {
            let known = if version >= 3 {
                "1 to 6 (vectors, ids, texts, metadata, index, units)"
            } else {
                "1 to 5 (vectors, ids, texts, metadata, index)"
            };
            BundleError::invalid(
                "section table",
                format!("entry {i} has unknown section kind {code}; format version {version} has kinds {known}, {REBUILD}"),
            )
        })?;
        let fits = matches!(offset.checked_add(len), Some(end) if end <= file_len);
        if !fits {
            return Err(BundleError::SectionOutOfBounds {
                section: kind.name(),
                offset,
                len,
                file_len,
            });
        }
        let slot = entries.get_mut(kind.slot()).ok_or_else(|| {
            BundleError::invalid(
                "section table",
                format!("no slot for section {}", kind.name()),
            )
        })?;
        if slot.is_some() {
            return Err(BundleError::invalid(
                "section table",
                format!("section {} appears more than once; {REBUILD}", kind.name()),
            ));
        }
        *slot = Some((offset, len, crc));
    }
    let units = entries[SectionKind::Units.slot()]
        .map(|(offset, len, crc)| (offset, len, crc, SectionKind::Units));
    let mut placed = [(0u64, 0u64, 0u32, SectionKind::Vectors); 5];
    for ((place, entry), kind) in placed.iter_mut().zip(entries).zip(SectionKind::REQUIRED) {
        let (offset, len, crc) = entry.ok_or_else(|| {
            BundleError::invalid(
                "section table",
                format!("required section {} is missing; {REBUILD}", kind.name()),
            )
        })?;
        *place = (offset, len, crc, kind);
    }
    Ok((placed, units))
}

/// The sections must tile the rest of the file, so no byte escapes a checksum. Sorting
/// by (offset, len) puts an empty section before a non-empty one at the same offset, so
/// both tile.
fn check_tiling(placed: Vec<Placed>, data_start: u64, file_len: u64) -> Result<(), BundleError> {
    let mut by_offset = placed;
    by_offset.sort_unstable_by_key(|&(offset, len, _, _)| (offset, len));
    let mut expected_at = data_start;
    for (offset, len, _, kind) in by_offset {
        if offset != expected_at {
            return Err(BundleError::invalid(
                "section table",
                format!(
                    "section {} starts at byte {offset}, but the header or previous section ends at byte {expected_at}; sections must follow the header back to back, {REBUILD}",
                    kind.name()
                ),
            ));
        }
        // Cannot overflow: offset + len <= file_len was checked with the table.
        expected_at = offset + len;
    }
    if expected_at != file_len {
        return Err(BundleError::invalid(
            "file length",
            format!(
                "{} bytes follow the last section (which ends at byte {expected_at}); the file is corrupt, {REBUILD}",
                file_len - expected_at
            ),
        ));
    }
    Ok(())
}

/// One section's bytes, after its checksum matched.
fn checked_section(bytes: &[u8], (offset, len, crc, kind): Placed) -> Result<&[u8], BundleError> {
    let out_of_bounds = || BundleError::SectionOutOfBounds {
        section: kind.name(),
        offset,
        len,
        file_len: bytes.len() as u64,
    };
    let start = usize::try_from(offset).map_err(|_| out_of_bounds())?;
    let end = usize::try_from(offset + len).map_err(|_| out_of_bounds())?;
    let section = bytes.get(start..end).ok_or_else(out_of_bounds)?;
    let computed = crc32fast::hash(section);
    if computed != crc {
        return Err(BundleError::ChecksumMismatch {
            section: kind.name(),
            expected: crc,
            got: computed,
        });
    }
    Ok(section)
}

/// Decodes validated sections into a `Bundle`, validating their contents.
pub(super) fn decode(layout: Layout<'_>) -> Result<Bundle, BundleError> {
    let header = layout.header;
    let [vectors, ids, texts, metadata, index] = layout.sections;

    // Prove `count` fits every section before allocating anything sized by it.
    let count = header.count;
    let dims = usize::try_from(header.dims).unwrap_or(usize::MAX);
    let per_vector = header.encoding.bytes_per_vector(dims) as u64;
    let vectors_needed = u64::from(count).checked_mul(per_vector);
    if vectors_needed != Some(vectors.len() as u64) {
        return Err(BundleError::CountMismatch {
            section: SectionKind::Vectors.name(),
            count,
            expected: vectors_needed.unwrap_or(u64::MAX),
            got: vectors.len() as u64,
        });
    }
    let ids = StringSection::split(SectionKind::Ids, ids, count)?;
    let texts = StringSection::split(SectionKind::Texts, texts, count)?;
    let metadata = StringSection::split(SectionKind::Metadata, metadata, count)?;
    // From here on `count` entries fit in each section (at least 4 bytes each), and
    // `count × dims` values in the vectors section (at least 1 byte each).
    let count = ids.len();

    let ids = ids.strings()?;
    check_ids(ids.iter().copied())?;
    let texts = texts.strings()?;
    let metadata = metadata.strings()?;
    let mut records = Vec::with_capacity(count);
    for (i, ((id, text), meta)) in ids.into_iter().zip(texts).zip(metadata).enumerate() {
        let value: Value = serde_json::from_str(meta).map_err(|e| {
            BundleError::invalid(
                format!("metadata[{i}]"),
                format!("not valid JSON ({e}); {REBUILD}"),
            )
        })?;
        let Value::Object(metadata) = value else {
            return Err(BundleError::invalid(
                format!("metadata[{i}]"),
                format!(
                    "expected a JSON object, got {}; {REBUILD}",
                    json_kind(&value)
                ),
            ));
        };
        records.push(Record {
            id: id.to_owned(),
            text: text.to_owned(),
            metadata,
        });
    }

    let vectors = decode_vectors(vectors, dims, header.encoding)?;
    let units = layout
        .units
        .map(|units| decode_units(units, count, dims))
        .transpose()?;
    Ok(Bundle {
        header,
        records,
        vectors,
        index: index.to_vec(),
        units,
    })
}

/// Decodes the UNITS section of a bundle of `count` records (already proven to fit
/// the file): their unit counts, then that many int8 vectors.
fn decode_units(bytes: &[u8], count: usize, dims: usize) -> Result<Vec<Vec<f32>>, BundleError> {
    let encoding = VectorEncoding::Int8;
    let name = SectionKind::Units.name();
    let table =
        count
            .checked_mul(4)
            .filter(|&n| n <= bytes.len())
            .ok_or(BundleError::CountMismatch {
                section: name,
                count: u32::try_from(count).unwrap_or(u32::MAX),
                expected: (count as u64).saturating_mul(4),
                got: bytes.len() as u64,
            })?;
    let (counts, body) = bytes.split_at(table);
    let counts: Vec<usize> = counts
        .chunks_exact(4)
        .map(|c| c.try_into().map_or(u32::MAX, u32::from_le_bytes) as usize)
        .collect();
    let per_vector = encoding.bytes_per_vector(dims) as u64;
    let total: u64 = counts.iter().map(|&n| n as u64).sum();
    if total.checked_mul(per_vector) != Some(body.len() as u64) {
        return Err(BundleError::invalid(
            name,
            format!(
                "its unit counts add up to {total} vectors, which need {} bytes, but {} follow them; the file is corrupt, {REBUILD}",
                total.saturating_mul(per_vector),
                body.len()
            ),
        ));
    }
    // Every vector is proven to be in the section: decoding allocates no more than it.
    let values = decode_vectors(body, dims, encoding).map_err(|e| match e {
        BundleError::Invalid { field, reason } => BundleError::Invalid {
            field: field.replacen("vectors", name, 1),
            reason,
        },
        other => other,
    })?;
    let mut out = Vec::with_capacity(count);
    let mut at = 0;
    for n in counts {
        let end = at + n * dims;
        out.push(values.get(at..end).unwrap_or_default().to_vec());
        at = end;
    }
    Ok(out)
}

/// A string-table section whose offset table is known to fit.
pub(super) struct StringSection<'a> {
    pub(super) kind: SectionKind,
    /// `count + 1` little-endian u32 offsets.
    pub(super) offsets: &'a [u8],
    pub(super) blob: &'a [u8],
}

impl<'a> StringSection<'a> {
    pub(super) fn split(
        kind: SectionKind,
        bytes: &'a [u8],
        count: u32,
    ) -> Result<StringSection<'a>, BundleError> {
        let needed = (u64::from(count) + 1) * 4;
        let mismatch = || BundleError::CountMismatch {
            section: kind.name(),
            count,
            expected: needed,
            got: bytes.len() as u64,
        };
        let split = usize::try_from(needed).map_err(|_| mismatch())?;
        if split > bytes.len() {
            return Err(mismatch());
        }
        let (offsets, blob) = bytes.split_at(split);
        Ok(StringSection {
            kind,
            offsets,
            blob,
        })
    }

    /// Number of strings.
    pub(super) fn len(&self) -> usize {
        (self.offsets.len() / 4).saturating_sub(1)
    }

    pub(super) fn strings(&self) -> Result<Vec<&'a str>, BundleError> {
        let name = self.kind.name();
        let bad_offsets = |reason: String| {
            BundleError::invalid(
                format!("{name} string table"),
                format!("{reason}; {REBUILD}"),
            )
        };
        let mut offsets = self
            .offsets
            .chunks_exact(4)
            .map(|c| c.try_into().map_or(u32::MAX, u32::from_le_bytes) as u64);
        let mut start = offsets.next().unwrap_or(u64::MAX);
        if start != 0 {
            return Err(bad_offsets(format!("the first offset is {start}, not 0")));
        }
        let blob_len = self.blob.len() as u64;
        let mut strings = Vec::with_capacity(self.len());
        for (i, end) in offsets.enumerate() {
            if end < start || end > blob_len {
                return Err(bad_offsets(format!(
                    "entry {i} spans bytes {start}..{end} of a {blob_len}-byte blob"
                )));
            }
            // In range: start <= end <= blob length, which is a usize.
            let raw = self
                .blob
                .get(start as usize..end as usize)
                .ok_or_else(|| bad_offsets(format!("entry {i} is out of bounds")))?;
            let s = std::str::from_utf8(raw).map_err(|e| {
                BundleError::invalid(
                    format!("{name}[{i}]"),
                    format!("not valid UTF-8 ({e}); {REBUILD}"),
                )
            })?;
            strings.push(s);
            start = end;
        }
        if start != blob_len {
            return Err(bad_offsets(format!(
                "the last offset is {start}, but the blob has {blob_len} bytes"
            )));
        }
        Ok(strings)
    }
}

/// Decodes the vectors section, whose length is known to be `count × bytes_per_vector`.
pub(super) fn decode_vectors(
    bytes: &[u8],
    dims: usize,
    encoding: VectorEncoding,
) -> Result<Vec<f32>, BundleError> {
    let per_vector = encoding.bytes_per_vector(dims);
    let count = bytes.len() / per_vector.max(1);
    // Sized by the section: count × dims values from count × per_vector >= count × dims bytes.
    let mut out = Vec::with_capacity(count.saturating_mul(dims));
    for (i, vector) in bytes.chunks_exact(per_vector.max(1)).enumerate() {
        let start = out.len();
        match encoding {
            VectorEncoding::F32 => out.extend(
                vector
                    .chunks_exact(4)
                    .map(|c| c.try_into().map_or(f32::NAN, f32::from_le_bytes)),
            ),
            VectorEncoding::F16 => out.extend(vector.chunks_exact(2).map(|c| {
                c.try_into()
                    .map_or(f32::NAN, |b| half::f16::from_le_bytes(b).to_f32())
            })),
            VectorEncoding::Int8 => {
                let (scale, components) = vector.split_at(4.min(vector.len()));
                let scale = scale.try_into().map_or(f32::NAN, f32::from_le_bytes);
                // `!(scale >= 0.0)` also rejects NaN.
                if !(scale.is_finite() && scale >= 0.0) {
                    return Err(BundleError::invalid(
                        format!("vectors[{i}]"),
                        format!("int8 scale is {scale}; scales must be finite and not negative, {REBUILD}"),
                    ));
                }
                out.extend(
                    components
                        .iter()
                        .map(|&q| f32::from(i8::from_le_bytes([q])) * scale),
                );
            }
        }
        if let Some((j, x)) = out
            .get(start..)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .find(|(_, x)| !x.is_finite())
        {
            return Err(BundleError::invalid(
                format!("vectors[{i}]"),
                format!("component {j} is {x}; vector values must be finite, {REBUILD}"),
            ));
        }
    }
    Ok(out)
}

// ---- shared checks ----------------------------------------------------------------

pub(super) fn check_dims(dims: usize) -> Result<u32, BundleError> {
    if !(1..=MAX_DIMS).contains(&dims) {
        return Err(BundleError::invalid(
            "dims",
            format!("{dims} dimensions; a bundle has 1 to {MAX_DIMS}"),
        ));
    }
    // In range, so it fits.
    Ok(dims as u32)
}

pub(super) fn check_model_id(model_id: &str) -> Result<(), BundleError> {
    if model_id.is_empty() || model_id.len() > MAX_MODEL_ID_BYTES {
        return Err(BundleError::invalid(
            "model id",
            format!(
                "{} bytes long; it must be 1 to {MAX_MODEL_ID_BYTES} bytes (e.g. sentence-transformers/all-MiniLM-L6-v2)",
                model_id.len()
            ),
        ));
    }
    Ok(())
}

pub(super) fn check_ids<'a>(
    ids: impl ExactSizeIterator<Item = &'a str>,
) -> Result<(), BundleError> {
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (i, id) in ids.enumerate() {
        if id.is_empty() {
            return Err(BundleError::invalid(
                format!("ids[{i}]"),
                "the id is empty; every record needs a non-empty id",
            ));
        }
        if let Some(first) = seen.insert(id, i) {
            return Err(BundleError::invalid(
                format!("ids[{i}]"),
                format!("duplicate id {id:?} (also ids[{first}]); ids must be unique"),
            ));
        }
    }
    Ok(())
}

pub(super) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
