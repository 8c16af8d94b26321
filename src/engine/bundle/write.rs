//! Writing a bundle: the header, the section table and each section's bytes.

use super::*;

/// Header fields as raw values, so tests can write headers `Bundle` would not.
pub(super) struct RawHeader<'a> {
    pub(super) version: u16,
    pub(super) flags: u16,
    pub(super) metric: u8,
    pub(super) encoding: u8,
    pub(super) dims: u32,
    pub(super) count: u32,
    pub(super) model_id: &'a [u8],
}

/// Lays out header, section table (with checksums) and sections back to back.
pub(super) fn assemble(header: &RawHeader<'_>, sections: &[(u16, &[u8])]) -> Vec<u8> {
    // Saturating lengths make an oversized model id or table disagree with the bytes
    // written, which reading rejects; `Bundle` values never get there.
    let model_id_len = u16::try_from(header.model_id.len()).unwrap_or(u16::MAX);
    let model_id = header
        .model_id
        .get(..usize::from(model_id_len))
        .unwrap_or_default();
    let section_count = u16::try_from(sections.len()).unwrap_or(u16::MAX);
    let sections = sections
        .get(..usize::from(section_count))
        .unwrap_or_default();
    let data_start = OFF_MODEL_ID + model_id.len() + 2 + sections.len() * ENTRY_LEN + 4;
    let total = data_start + sections.iter().map(|(_, s)| s.len()).sum::<usize>();

    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&header.version.to_le_bytes());
    out.extend_from_slice(&header.flags.to_le_bytes());
    out.push(header.metric);
    out.push(header.encoding);
    out.extend_from_slice(&header.dims.to_le_bytes());
    out.extend_from_slice(&header.count.to_le_bytes());
    out.extend_from_slice(&model_id_len.to_le_bytes());
    out.extend_from_slice(model_id);
    out.extend_from_slice(&section_count.to_le_bytes());
    let mut offset = data_start as u64;
    for (kind, bytes) in sections {
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
        offset += bytes.len() as u64;
    }
    let header_crc = crc32fast::hash(&out);
    out.extend_from_slice(&header_crc.to_le_bytes());
    for (_, bytes) in sections {
        out.extend_from_slice(bytes);
    }
    out
}

pub(super) fn encode_vectors(vectors: &[f32], dims: usize, encoding: VectorEncoding) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        (vectors.len() / dims.max(1)).saturating_mul(encoding.bytes_per_vector(dims)),
    );
    match encoding {
        VectorEncoding::F32 => vectors
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
        VectorEncoding::F16 => vectors
            .iter()
            .for_each(|&x| out.extend_from_slice(&half::f16::from_f32(x).to_le_bytes())),
        VectorEncoding::Int8 => {
            // `max(1)`: a zero `dims` only arises from edited fields; write something
            // rather than panic, and let reading reject it.
            let mut components = Vec::with_capacity(dims);
            for vector in vectors.chunks(dims.max(1)) {
                components.clear();
                let scale = crate::vector::quantize_i8(vector, &mut components);
                out.extend_from_slice(&scale.to_le_bytes());
                out.extend(components.iter().map(|&q| q as u8));
            }
        }
    }
    out
}

/// The UNITS section: each record's unit count (u32), then all unit vectors as int8. A
/// count past `u32::MAX` saturates, which reading rejects.
pub(super) fn units_section(units: &[Vec<f32>], dims: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(units.len() * 4);
    for vectors in units {
        let n = u32::try_from(vectors.len() / dims.max(1)).unwrap_or(u32::MAX);
        out.extend_from_slice(&n.to_le_bytes());
    }
    for vectors in units {
        out.extend(encode_vectors(vectors, dims, VectorEncoding::Int8));
    }
    out
}

/// `count + 1` u32 offsets, then the blob. An offset past `u32::MAX` saturates, which
/// makes the last offset disagree with the blob and reading reject the table.
pub(super) fn string_table<'a>(strings: impl ExactSizeIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut table = StringTable::new(strings.len());
    for s in strings {
        table.blob.extend_from_slice(s);
        table.end_entry();
    }
    table.finish()
}

pub(super) fn metadata_table(records: &[Record]) -> Vec<u8> {
    let mut table = StringTable::new(records.len());
    for record in records {
        let start = table.blob.len();
        // Cannot fail: map keys are strings and the writer is a Vec. Should it ever,
        // an empty object keeps the file readable instead of panicking.
        if serde_json::to_writer(&mut table.blob, &record.metadata).is_err() {
            table.blob.truncate(start);
            table.blob.extend_from_slice(b"{}");
        }
        table.end_entry();
    }
    table.finish()
}

pub(super) struct StringTable {
    pub(super) offsets: Vec<u8>,
    pub(super) blob: Vec<u8>,
}

impl StringTable {
    pub(super) fn new(count: usize) -> StringTable {
        let mut offsets = Vec::with_capacity(count.saturating_add(1).saturating_mul(4));
        offsets.extend_from_slice(&0u32.to_le_bytes());
        StringTable {
            offsets,
            blob: Vec::new(),
        }
    }

    pub(super) fn end_entry(&mut self) {
        let end = u32::try_from(self.blob.len()).unwrap_or(u32::MAX);
        self.offsets.extend_from_slice(&end.to_le_bytes());
    }

    pub(super) fn finish(mut self) -> Vec<u8> {
        self.offsets.append(&mut self.blob);
        self.offsets
    }
}

// ---- reading ----------------------------------------------------------------------
