//! The index's stored form: written deterministically, and checked before use when read
//! back from untrusted bytes (see the module docs of `keyword`).

use super::*;

/// Version byte at the start of [`KeywordIndex::to_bytes`]'s output. Version 2 indexes a
/// table row's title words [`ROW_TITLE_REPEATS`] more times; version 1 did not, so a
/// version-1 index (in an older bundle) no longer says what [`KeywordIndex::add`] would,
/// and its reader rebuilds it from the text instead ([`KeywordError::is_older_version`]).
pub(super) const FORMAT_VERSION: u8 = 2;

/// A stored postings list: `(gap from the previous row, or the row for the first, tf)`.
pub(super) type StoredPostings = Vec<(u32, u16)>;

/// Stored form; see the module docs. `Cow` lets [`KeywordIndex::to_bytes`] borrow.
#[derive(Serialize, Deserialize)]
pub(super) struct Stored<'a> {
    pub(super) k1: f32,
    pub(super) b: f32,
    pub(super) live: u64,
    pub(super) total_len: u64,
    /// Per row: length + 1, 0 = absent.
    pub(super) doc_lens: Cow<'a, [u32]>,
    /// Sorted by term, each with its postings.
    pub(super) terms: Vec<(Cow<'a, str>, StoredPostings)>,
}

impl KeywordIndex {
    /// The stored form (see the module docs): deterministic, the same live rows and text
    /// always give the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut terms: Vec<(&str, &Vec<(u32, u16)>)> = self
            .terms
            .iter()
            .filter_map(|(term, &id)| {
                let list = self.postings.get(id as usize)?;
                (!list.is_empty()).then_some((term.as_str(), list))
            })
            .collect();
        terms.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let terms = terms
            .into_iter()
            .map(|(term, list)| {
                let mut prev = 0;
                let gaps = list
                    .iter()
                    .map(|&(row, tf)| {
                        let gap = row - prev;
                        prev = row;
                        (gap, tf)
                    })
                    .collect();
                (Cow::Borrowed(term), gaps)
            })
            .collect();
        let used = self
            .doc_lens
            .iter()
            .rposition(|&l| l != 0)
            .map_or(0, |i| i + 1);
        let stored = Stored {
            k1: self.params.k1,
            b: self.params.b,
            live: self.live as u64,
            total_len: self.total_len,
            doc_lens: Cow::Borrowed(&self.doc_lens[..used]),
            terms,
        };
        let mut bytes = vec![FORMAT_VERSION];
        // Serialising plain integers, strings and sequences into a Vec cannot fail.
        if let Ok(body) = postcard::to_allocvec(&stored) {
            bytes.extend_from_slice(&body);
        }
        bytes
    }

    /// Restores an index from [`to_bytes`](Self::to_bytes) output, checking everything a
    /// search relies on: parameters in range, terms sorted and unique, every posting's
    /// row present, no row twice in a list, term frequencies above 0, each row's term
    /// frequencies adding up to its length, and the stored statistics matching the rows.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeywordError> {
        let (&version, body) = bytes.split_first().ok_or(KeywordError::Empty)?;
        if version != FORMAT_VERSION {
            return Err(KeywordError::Version {
                found: version,
                expected: FORMAT_VERSION,
            });
        }
        let (stored, rest): (Stored, _) =
            postcard::take_from_bytes(body).map_err(|e| KeywordError::Decode(e.to_string()))?;
        if !rest.is_empty() {
            return Err(KeywordError::TrailingBytes(rest.len()));
        }
        let params = Bm25Params {
            k1: stored.k1,
            b: stored.b,
        };
        if !params.is_valid() {
            return Err(KeywordError::Params {
                k1: stored.k1,
                b: stored.b,
            });
        }
        let doc_lens = stored.doc_lens.into_owned();
        let (live, total_len) = check_stats(&doc_lens, stored.live, stored.total_len)?;

        // Per row: sum of term frequencies, and whether one saturated at u16::MAX.
        let mut tf_sums = vec![(0u64, false); doc_lens.len()];
        let mut terms = FxMap::with_capacity_and_hasher(stored.terms.len(), Default::default());
        let mut postings = Vec::with_capacity(stored.terms.len());
        let mut previous: Option<String> = None;
        for (position, (term, gaps)) in stored.terms.into_iter().enumerate() {
            let term = term.into_owned();
            let ordered = match &previous {
                Some(p) => p.as_str() < term.as_str(),
                None => true,
            };
            if term.is_empty() || !ordered {
                return Err(KeywordError::TermOrder {
                    position,
                    term,
                    previous: previous.unwrap_or_default(),
                });
            }
            let list = decode_postings(&term, gaps, &doc_lens, &mut tf_sums)?;
            terms.insert(term.clone(), postings.len() as u32);
            postings.push(list);
            previous = Some(term);
        }
        check_row_lengths(&doc_lens, &tf_sums)?;
        Ok(Self {
            params,
            terms,
            postings,
            doc_lens,
            live: live as usize,
            total_len,
        })
    }
}

/// Recounts live rows and total length from the row lengths; both must match what was
/// stored.
fn check_stats(
    doc_lens: &[u32],
    stored_live: u64,
    stored_total: u64,
) -> Result<(u64, u64), KeywordError> {
    let live = doc_lens.iter().filter(|&&l| l != 0).count() as u64;
    let total_len: u64 = doc_lens
        .iter()
        .map(|&l| u64::from(l.saturating_sub(1)))
        .sum();
    for (what, stored, actual) in [
        ("live rows", stored_live, live),
        ("total length", stored_total, total_len),
    ] {
        if stored != actual {
            return Err(KeywordError::Stats {
                what,
                stored,
                actual,
            });
        }
    }
    Ok((live, total_len))
}

/// One term's gap-coded postings as `(row, tf)`: non-empty, rows strictly increasing and
/// present, frequencies above 0. Adds each frequency to its row's `(sum, saturated)`.
fn decode_postings(
    term: &str,
    gaps: StoredPostings,
    doc_lens: &[u32],
    tf_sums: &mut [(u64, bool)],
) -> Result<Vec<(u32, u16)>, KeywordError> {
    let term = || term.to_string();
    if gaps.is_empty() {
        return Err(KeywordError::EmptyPostings { term: term() });
    }
    let mut list = Vec::with_capacity(gaps.len());
    let mut prev: Option<u32> = None;
    for (gap, tf) in gaps {
        let row = match prev {
            None => gap,
            Some(p) if gap == 0 => {
                return Err(KeywordError::DuplicatePosting {
                    term: term(),
                    row: p,
                })
            }
            Some(p) => p.checked_add(gap).ok_or_else(|| KeywordError::MissingRow {
                term: term(),
                row: u64::from(p) + u64::from(gap),
            })?,
        };
        let Some(sum) = tf_sums
            .get_mut(row as usize)
            .filter(|_| doc_lens[row as usize] != 0)
        else {
            return Err(KeywordError::MissingRow {
                term: term(),
                row: u64::from(row),
            });
        };
        if tf == 0 {
            return Err(KeywordError::ZeroFrequency { term: term(), row });
        }
        sum.0 += u64::from(tf);
        sum.1 |= tf == u16::MAX;
        list.push((row, tf));
        prev = Some(row);
    }
    Ok(list)
}

/// Each live row's term frequencies add up to its length (or to at most it, when one
/// frequency saturated at `u16::MAX`).
fn check_row_lengths(doc_lens: &[u32], tf_sums: &[(u64, bool)]) -> Result<(), KeywordError> {
    for (row, (&len1, &(sum, saturated))) in doc_lens.iter().zip(tf_sums).enumerate() {
        let length = len1.saturating_sub(1);
        let consistent = if saturated {
            sum <= u64::from(length)
        } else {
            sum == u64::from(length)
        };
        if len1 != 0 && !consistent {
            return Err(KeywordError::RowLength {
                row: row as u32,
                length,
                postings: sum,
            });
        }
    }
    Ok(())
}
