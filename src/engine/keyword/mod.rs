//! The keyword channel: a BM25 inverted index over chunk text, next to the vector index.
//!
//! It owns *what a word is* ([`tokenize`]), the index from words to rows
//! ([`KeywordIndex`]: add, remove, exact filtered search, its stored form), the spans a
//! highlighter marks ([`KeywordIndex::matched_spans`]), and the fusion of keyword and
//! vector rankings ([`score_fusion`]).
//!
//! Exact words matter in benefits documents where embeddings are weakest: plan codes,
//! dollar amounts, drug tiers, CPT codes. So tokens keep numbers intact (`$1,500` and
//! `1500` are the same token) and stemming is deliberately light (a plural `s`), so a
//! query word matches the same word in the text rather than a loose relative. A table
//! row's passage counts its title's words more ([`ROW_TITLE_REPEATS`]), as BM25F weighs
//! a title field.
//!
//! # Layout
//!
//! A term dictionary (term → id), one postings list per term of `(row, term frequency)`
//! sorted by row, and one length per row. Statistics (live rows, total length, document
//! frequency = postings length) are always those of the rows currently in the index:
//! [`KeywordIndex::remove`] takes the row out of every postings list, so scores after
//! any sequence of adds and removes equal those of an index built afresh from the
//! live rows.
//!
//! # Stored form
//!
//! [`KeywordIndex::to_bytes`] writes a version byte, then `postcard` of: the BM25
//! parameters, the live row count and total length (redundant, checked on load), the
//! row lengths (`length + 1` per row, 0 for an absent row, trailing absent rows
//! trimmed), and the terms in byte order, each with its postings as gaps between
//! rows (small numbers, so postcard's varints stay short). The bytes depend only on
//! the live rows and their text, never on the history of adds and removes.
//! [`KeywordIndex::from_bytes`] checks everything a search relies on before use.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use super::chunk::row_title;

mod stored;
mod tokens;
mod vocab;

#[cfg(test)]
use stored::*;
use tokens::*;
pub use tokens::{tokenize, tokenize_as_written, words};
pub(crate) use vocab::CHARGE_WORDS;
use vocab::*;

/// The term dictionary's hasher: FxHash (as in rustc), several times faster than the
/// default SipHash on short words, and dictionary lookups dominate indexing. Its keys
/// come from the member's own documents and queries, so hash flooding is not a threat
/// worth SipHash's cost here.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`FxHasher`].
type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// BM25 parameters (k1 = 1.2, b = 0.75 by default).
///
/// Expected ranges: `k1 >= 0` (term-frequency saturation) and `0 <= b <= 1` (length
/// normalisation). Other values give meaningless scores, never a panic; a stored index
/// with such values is rejected by [`KeywordIndex::from_bytes`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Params {
    /// How quickly repeated occurrences of a term stop adding to the score.
    pub k1: f32,
    /// How strongly long rows are penalised (0 = not at all, 1 = fully).
    pub b: f32,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Self { k1: 1.2, b: 0.75 }
    }
}

impl Bm25Params {
    fn is_valid(&self) -> bool {
        self.k1.is_finite() && self.k1 >= 0.0 && self.b.is_finite() && (0.0..=1.0).contains(&self.b)
    }
}

/// Why stored keyword-index bytes were rejected. Each message names what is wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeywordError {
    /// There were no bytes at all.
    #[error("keyword index is empty (not even a version byte)")]
    Empty,
    /// The bytes were written by another version of the format.
    #[error("keyword index format version {found} is not supported (this build reads version {expected})")]
    Version {
        /// The version byte found.
        found: u8,
        /// The version this build reads and writes.
        expected: u8,
    },
    /// The bytes are not a postcard encoding of the stored layout (truncated, corrupt).
    #[error("keyword index could not be decoded: {0}")]
    Decode(String),
    /// Bytes follow the encoded index.
    #[error("keyword index has {0} unexpected trailing bytes")]
    TrailingBytes(usize),
    /// The stored BM25 parameters are out of range.
    #[error("keyword index has invalid BM25 parameters k1 = {k1}, b = {b} (need finite k1 >= 0 and 0 <= b <= 1)")]
    Params {
        /// Stored k1.
        k1: f32,
        /// Stored b.
        b: f32,
    },
    /// A statistic stored for checking differs from the one the rows give.
    #[error("keyword index stores {what} = {stored}, but its rows give {actual}")]
    Stats {
        /// Which statistic (`live rows`, `total length`).
        what: &'static str,
        /// The stored value.
        stored: u64,
        /// The value computed from the row lengths.
        actual: u64,
    },
    /// A term is empty, or not after the previous term in byte order (so repeated or
    /// unsorted).
    #[error("keyword index term #{position} ({term:?}) is empty or not after the previous term {previous:?} in byte order")]
    TermOrder {
        /// Position in the stored dictionary.
        position: usize,
        /// The term.
        term: String,
        /// The term before it.
        previous: String,
    },
    /// A term has no postings (dead terms are never stored).
    #[error("keyword index term {term:?} has no postings")]
    EmptyPostings {
        /// The term.
        term: String,
    },
    /// A posting names a row the index has no length for.
    #[error("keyword index term {term:?} lists row {row}, which is not in the index")]
    MissingRow {
        /// The term.
        term: String,
        /// The row (saturated at `u32::MAX` when the gaps overflow).
        row: u64,
    },
    /// A row appears twice in one postings list (a zero gap).
    #[error("keyword index term {term:?} lists row {row} twice")]
    DuplicatePosting {
        /// The term.
        term: String,
        /// The repeated row.
        row: u32,
    },
    /// A posting has term frequency 0.
    #[error("keyword index term {term:?} has term frequency 0 for row {row}")]
    ZeroFrequency {
        /// The term.
        term: String,
        /// The row.
        row: u32,
    },
    /// A row's postings do not add up to its length.
    #[error("keyword index row {row} has length {length}, but its postings add up to {postings}")]
    RowLength {
        /// The row.
        row: u32,
        /// The stored length.
        length: u32,
        /// The sum of its term frequencies.
        postings: u64,
    },
}

impl KeywordError {
    /// Whether the bytes are an index of an older format version: well formed, but
    /// weighing words as this build no longer does, so a reader that has the rows' text
    /// rebuilds the index from it rather than refusing the bundle.
    pub fn is_older_version(&self) -> bool {
        matches!(self, Self::Version { found, expected } if found < expected)
    }
}

/// How many more times a table row's title words count ([`KeywordIndex::add`]): chosen
/// on the dev half of the real-SBC questions (`benefind bench sbc`; 2 and 3 measured,
/// and 1 and 4 with a looser test of what a row is), where 2 raised top-1 on every
/// half (dev 0.766 → 0.771, held-out 0.708 → 0.740, and on the blind sets 0.646 →
/// 0.667 and 0.609 → 0.620). Counting the label alone, without the section, did better
/// on dev (0.823 against 0.812 with the second vocabulary batch) but would weigh a
/// generic table's price cell instead of its service: the section line holds a row's
/// first cell, the SBC's event and another table's service name. The sample corpus has
/// no table rows, so its figures do not move.
pub const ROW_TITLE_REPEATS: usize = 2;

/// The inverted index. Rows can be added and removed at any time; scores are BM25 over
/// live rows.
///
/// Row numbers are the collection's (dense, from 0, never reused): row lengths and each
/// search's score accumulator are arrays indexed by row, 4 bytes per row up to the
/// largest row ever added, which is what makes a search a few tens of microseconds.
#[derive(Clone, Default)]
pub struct KeywordIndex {
    params: Bm25Params,
    /// Term → index into `postings`. Terms whose postings empty out keep their id (it is
    /// reused if the term comes back); they are dropped when stored.
    terms: FxMap<String, u32>,
    /// Per term id: `(row, term frequency)`, sorted by row, no row twice.
    postings: Vec<Vec<(u32, u16)>>,
    /// Per row: token count + 1, 0 = absent. The offset lets a row with no tokens (all
    /// stopwords) be present: it counts in N and avgdl like any other row.
    doc_lens: Vec<u32>,
    /// Rows present.
    live: usize,
    /// Sum of the lengths of rows present.
    total_len: u64,
}

impl std::fmt::Debug for KeywordIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeywordIndex")
            .field("params", &self.params)
            .field("rows", &self.live)
            .field(
                "terms",
                &self.postings.iter().filter(|p| !p.is_empty()).count(),
            )
            .field(
                "postings",
                &self.postings.iter().map(Vec::len).sum::<usize>(),
            )
            .field("total_len", &self.total_len)
            .finish()
    }
}

impl KeywordIndex {
    /// An empty index.
    pub fn new(params: Bm25Params) -> Self {
        Self {
            params,
            ..Self::default()
        }
    }

    /// The BM25 parameters searches use.
    pub fn params(&self) -> Bm25Params {
        self.params
    }

    /// Indexes `text` as `row`. Re-adding a row replaces its text.
    ///
    /// When `text` is a table row's passage, its title's words ([`row_title`]: the row's
    /// section and label without their column headers) are indexed
    /// [`ROW_TITLE_REPEATS`] more times, as BM25F weights a title field: the row is
    /// about what its label names, not about each service its limitations mention.
    ///
    /// A term occurring more than 65535 times in one row counts 65535 times (the
    /// saturation of BM25 makes the difference invisible); the row's length is exact.
    pub fn add(&mut self, row: u32, text: &str) {
        self.remove(row);
        let mut ids: Vec<u32> = Vec::new();
        let mut buf = String::new();
        let terms = &mut self.terms;
        let postings = &mut self.postings;
        let mut index = |token: &str, _, _| {
            // Look up by &str first: allocating only for new terms keeps indexing fast.
            let id = match terms.get(token) {
                Some(&id) => id,
                None => {
                    let id = postings.len() as u32;
                    terms.insert(token.to_owned(), id);
                    postings.push(Vec::new());
                    id
                }
            };
            ids.push(id);
        };
        for_each_token(text, &mut buf, &mut index);
        if let Some(title) = row_title(text) {
            for part in std::iter::repeat_n(title, ROW_TITLE_REPEATS).flatten() {
                for_each_token(part, &mut buf, &mut index);
            }
        }
        let length = ids.len();
        ids.sort_unstable();
        let mut i = 0;
        while i < ids.len() {
            let id = ids[i];
            let run = ids[i..].iter().take_while(|&&t| t == id).count();
            i += run;
            let tf = u16::try_from(run).unwrap_or(u16::MAX);
            let Some(list) = self.postings.get_mut(id as usize) else {
                continue;
            };
            // Rows usually arrive in ascending order: append. Otherwise insert in place.
            match list.last() {
                Some(&(last, _)) if last > row => {
                    let at = list.partition_point(|&(r, _)| r < row);
                    list.insert(at, (row, tf));
                }
                _ => list.push((row, tf)),
            }
        }
        let index = row as usize;
        if self.doc_lens.len() <= index {
            self.doc_lens.resize(index.saturating_add(1), 0);
        }
        // u32::MAX - 1 tokens would need a text of several GiB; saturate rather than wrap.
        let length = u32::try_from(length)
            .unwrap_or(u32::MAX - 1)
            .min(u32::MAX - 1);
        self.doc_lens[index] = length + 1;
        self.live += 1;
        self.total_len += u64::from(length);
    }

    /// Removes a row: it leaves every postings list, and N, avgdl and document
    /// frequencies no longer count it. Removing an absent row does nothing.
    ///
    /// Costs one binary search per term in the dictionary (stopping once the row's
    /// occurrences are all found); for many rows at once use
    /// [`remove_rows`](Self::remove_rows).
    pub fn remove(&mut self, row: u32) {
        let Some(length) = self.doc_len(row) else {
            return;
        };
        // The row's term frequencies add up to its length unless one saturated at
        // u16::MAX; then `remaining` never reaches 0 and every list is searched.
        let mut remaining = u64::from(length);
        for list in &mut self.postings {
            if remaining == 0 {
                break;
            }
            if let Ok(at) = list.binary_search_by_key(&row, |&(r, _)| r) {
                remaining = remaining.saturating_sub(u64::from(list[at].1));
                list.remove(at);
            }
        }
        self.forget(row, length);
    }

    /// Removes several rows in one pass over all postings (absent rows are ignored).
    pub fn remove_rows(&mut self, rows: impl IntoIterator<Item = u32>) {
        let mut gone = vec![false; self.doc_lens.len()];
        let mut any = false;
        for row in rows {
            if let Some(length) = self.doc_len(row) {
                gone[row as usize] = true;
                any = true;
                self.forget(row, length);
            }
        }
        if any {
            for list in &mut self.postings {
                list.retain(|&(r, _)| !gone.get(r as usize).copied().unwrap_or(false));
            }
        }
    }

    /// Rows present.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when no row is present.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Whether `row` is present.
    pub fn contains(&self, row: u32) -> bool {
        self.doc_len(row).is_some()
    }

    /// Top k rows by BM25 among rows for which `accept(row)` is true, best first; rows
    /// with score 0 are never returned.
    ///
    /// Exact: every posting of every query term is scored (no early termination), and
    /// `accept` is asked of rows with a positive score in score order until k are
    /// accepted (or none are left), so whenever k accepted rows score above 0, k are
    /// returned. Ties are broken by lower row. A query term
    /// repeated n times counts n times.
    ///
    /// IDF is Lucene's `ln(1 + (N - df + 0.5) / (df + 0.5))`, always positive, so every
    /// row containing a query term scores above 0.
    ///
    /// Member words are expanded to plan words (the frozen table in `keyword/vocab.rs`) at
    /// half weight, or full weight when no row uses the member's word.
    pub fn search(&self, query: &str, k: usize, accept: &dyn Fn(u32) -> bool) -> Vec<(u32, f32)> {
        self.search_with(query, k, accept, true)
    }

    /// [`search`](Self::search), with the member-vocabulary expansion (`keyword/vocab.rs`) on
    /// or off (off: plain BM25 of the typed words).
    pub fn search_with(
        &self,
        query: &str,
        k: usize,
        accept: &dyn Fn(u32) -> bool,
        expand: bool,
    ) -> Vec<(u32, f32)> {
        if k == 0 || self.live == 0 {
            return Vec::new();
        }
        let query_terms = self.query_terms(query, expand);
        if query_terms.is_empty() {
            return Vec::new();
        }
        top_accepted(&self.scores(&query_terms), k, accept)
    }

    /// The query's term ids with their weights (occurrences, a charge word's
    /// [`CHARGE_WEIGHT`] each; [`EXPANSION_WEIGHT`] for plan words added by the member
    /// vocabulary).
    fn query_terms(&self, query: &str, expand: bool) -> Vec<(u32, f32)> {
        // Query terms in order of first occurrence, with counts: the summation order then
        // depends on the query alone, so equal indexes give bit-identical scores however
        // their term ids were assigned.
        let mut query_terms: Vec<(u32, f32)> = Vec::new();
        let mut position: FxMap<u32, usize> = FxMap::default();
        let typed: Vec<String> = tokenize(query);
        // A charge word beside other words says a figure is wanted, not which service.
        let is_charge = |token: &str| CHARGE_WORDS.contains(&token);
        let other_words = typed.iter().any(|t| !is_charge(t));
        let weight_of = |token: &str| {
            if other_words && is_charge(token) {
                CHARGE_WEIGHT
            } else {
                1.0
            }
        };
        for token in &typed {
            if let Some(&id) = self.terms.get(token.as_str()) {
                match position.get(&id) {
                    Some(&p) => query_terms[p].1 += weight_of(token),
                    None => {
                        position.insert(id, query_terms.len());
                        query_terms.push((id, weight_of(token)));
                    }
                }
            }
        }
        if expand {
            for (word, added) in typed.iter().zip(expansions_of(&typed)) {
                let weight = weight_of(word)
                    * if self.idf(word).is_some() {
                        EXPANSION_WEIGHT
                    } else {
                        UNSEEN_EXPANSION_WEIGHT
                    };
                for term in added {
                    if let Some(&id) = self.terms.get(term) {
                        if let std::collections::hash_map::Entry::Vacant(slot) = position.entry(id)
                        {
                            slot.insert(query_terms.len());
                            query_terms.push((id, weight));
                        }
                    }
                }
            }
        }
        query_terms
    }

    /// Every row's BM25 score for these weighted terms (0 for rows matching none).
    fn scores(&self, query_terms: &[(u32, f32)]) -> Vec<f32> {
        let Bm25Params { k1, b } = self.params;
        let n = self.live as f32;
        let avgdl = (self.total_len as f64 / self.live as f64) as f32;
        let avgdl = if avgdl > 0.0 { avgdl } else { 1.0 };
        // norm(dl) = k1 * (1 - b + b * dl / avgdl) = fixed + per_token * dl
        let fixed = k1 * (1.0 - b);
        let per_token = k1 * b / avgdl;

        // A dense accumulator: a few hundred KiB at most, cheaper than hashing per posting.
        let mut scores = vec![0f32; self.doc_lens.len()];
        for &(id, qtf) in query_terms {
            let Some(list) = self.postings.get(id as usize) else {
                continue;
            };
            if list.is_empty() {
                continue;
            }
            let df = list.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            let weight = qtf * idf * (k1 + 1.0);
            for &(row, tf) in list {
                let (Some(score), Some(&len1)) = (
                    scores.get_mut(row as usize),
                    self.doc_lens.get(row as usize),
                ) else {
                    continue;
                };
                let dl = len1.saturating_sub(1) as f32;
                let tf = f32::from(tf);
                *score += weight * tf / (tf + fixed + per_token * dl);
            }
        }
        scores
    }

    /// How rare a token is among the live rows: BM25's inverse document frequency, or
    /// `None` when no live row has it.
    pub fn idf(&self, token: &str) -> Option<f32> {
        let df = self
            .terms
            .get(token)
            .and_then(|&id| self.postings.get(id as usize))
            .map_or(0, Vec::len);
        let (n, df) = (self.live as f32, df as f32);
        (df > 0.0).then(|| (1.0 + (n - df + 0.5) / (df + 0.5)).ln())
    }

    /// `query` with each word of at least `RESPELL_MIN_CHARS` (6) letters that no live
    /// row has, and that is one typing slip from exactly one word some row has, written
    /// as the rows write it ("physcial therapy" → "physical therapy"; see
    /// `one_slip_apart`). Every channel reads the question so: its words, its vector and
    /// the answer's topic words.
    pub fn respelled<'q>(&self, query: &'q str) -> Cow<'q, str> {
        let mut out = String::new();
        let mut last = 0;
        let mut buf = String::new();
        for_each_token(query, &mut buf, |token, start, end| {
            if token.chars().count() < RESPELL_MIN_CHARS || self.idf(token).is_some() {
                return;
            }
            let mut near = self
                .terms
                .iter()
                .filter(|(term, &id)| {
                    one_slip_apart(token, term)
                        && self
                            .postings
                            .get(id as usize)
                            .is_some_and(|p| !p.is_empty())
                })
                .map(|(term, _)| term);
            if let (Some(term), None) = (near.next(), near.next()) {
                out.push_str(&query[last..start]);
                out.push_str(term);
                last = end;
            }
        });
        if last == 0 {
            return Cow::Borrowed(query);
        }
        out.push_str(&query[last..]);
        Cow::Owned(out)
    }

    /// Byte spans of `text` whose token matches a query token (for highlighting);
    /// sorted, non-overlapping.
    ///
    /// A span covers the word as written (`Copays` for the token `copay`, `1,500` for
    /// `1500`), without surrounding `$` or `%`. Stopwords are never highlighted.
    pub fn matched_spans(query: &str, text: &str) -> Vec<(usize, usize)> {
        let wanted: std::collections::HashSet<String> = tokenize(query).into_iter().collect();
        let mut spans = Vec::new();
        if wanted.is_empty() {
            return spans;
        }
        let mut buf = String::new();
        for_each_token(text, &mut buf, |token, start, end| {
            if wanted.contains(token) {
                spans.push((start, end));
            }
        });
        spans
    }

    /// The token count of a present row.
    fn doc_len(&self, row: u32) -> Option<u32> {
        match self.doc_lens.get(row as usize) {
            Some(&l) if l != 0 => Some(l - 1),
            _ => None,
        }
    }

    /// Marks a row absent and takes it out of the statistics (not out of postings).
    fn forget(&mut self, row: u32, length: u32) {
        if let Some(l) = self.doc_lens.get_mut(row as usize) {
            *l = 0;
        }
        self.live -= 1;
        self.total_len -= u64::from(length);
    }
}

/// The shortest word [`KeywordIndex::respelled`] reads as a slip: shorter words are one
/// slip from too many others ("dental", "mental").
const RESPELL_MIN_CHARS: usize = 6;

/// Whether `typed` is `word` with one typing slip: two neighbouring letters swapped
/// ("physcial") or one left out ("chiropracor"). Other slips are too often another
/// word: a letter typed for another ("massage" and "message", "dental" and "rental"),
/// or one more ("needling" and "needing"; measured: it read one unanswerable question
/// of the sample set's dev3 as answerable).
///
/// Asked of every word of the collection for each unseen word of a question, so it
/// costs no allocation where both are ASCII, nor where the byte lengths already rule a
/// slip out (a swap keeps the length; a left-out letter is 1 to 4 bytes).
fn one_slip_apart(typed: &str, word: &str) -> bool {
    let extra = word.len().wrapping_sub(typed.len());
    if extra > 4 {
        return false;
    }
    if typed.is_ascii() && word.is_ascii() {
        return slip_of(typed.as_bytes(), word.as_bytes());
    }
    let (typed, word): (Vec<char>, Vec<char>) = (typed.chars().collect(), word.chars().collect());
    slip_of(&typed, &word)
}

/// [`one_slip_apart`] over letters (bytes or chars).
fn slip_of<T: PartialEq>(short: &[T], long: &[T]) -> bool {
    let same = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        same + 1 < short.len()
            && short[same] == long[same + 1]
            && short[same + 1] == long[same]
            && short[same + 2..] == long[same + 2..]
    } else {
        short.len() + 1 == long.len() && short[same..] == long[same + 1..]
    }
}

/// The plan words the member vocabulary (`keyword/vocab.rs`) adds for each of a query's
/// `tokens` (as [`tokenize`] gives them, in order): the word's own entry's, and those of
/// a two-word key it makes with the token before or after it ("family doctor" adds
/// "primary care" to both words). Empty for most words.
pub fn expansions_of(tokens: &[String]) -> Vec<Vec<&'static str>> {
    let table = expansions();
    let pair = |i: usize| pair_at(tokens, i);
    (0..tokens.len())
        .map(|i| {
            let own = table.words.get(&tokens[i]).map_or(&[][..], Vec::as_slice);
            let before = i.checked_sub(1).map_or(&[][..], pair);
            let mut added: Vec<&'static str> = Vec::new();
            for term in own.iter().chain(before).chain(pair(i)) {
                if !added.contains(&term.as_str()) {
                    added.push(term);
                }
            }
            added
        })
        .collect()
}

/// `question` followed by the plan words the member vocabulary adds for its words, in
/// brackets, each once ("Is my checkup free?" → "Is my checkup free? (physical
/// preventive wellness 0 no charge)"), as the vector channel reads it beside the question
/// itself (`Engine::question_vector`); `None` when no word of it is in the vocabulary.
/// The words are the table's tokens, as the keyword channel adds them.
pub fn with_plan_words(question: &str) -> Option<String> {
    let mut added: Vec<&str> = Vec::new();
    for term in expansions_of(&tokenize(question)).into_iter().flatten() {
        if !added.contains(&term) {
            added.push(term);
        }
    }
    (!added.is_empty()).then(|| format!("{question} ({})", added.join(" ")))
}

/// The plan words of the two-word key that `tokens[i]` and `tokens[i + 1]` make, if
/// they make one.
fn pair_at(tokens: &[String], i: usize) -> &'static [String] {
    match (tokens.get(i), tokens.get(i + 1)) {
        (Some(a), Some(b)) => expansions().pair(a, b),
        _ => &[],
    }
}

/// Whether `tokens[i]` makes a two-word vocabulary key with the token before or after
/// it ("physical" of "physical therapy"): a text's word that is part of another name.
pub fn in_key(tokens: &[String], i: usize) -> bool {
    key_partner(tokens, i).is_some()
}

/// For each of a query's `tokens`, the other word of the two-word vocabulary key it
/// makes with the token before or after it ("family doctor": `doctor` for `family`,
/// `family` for `doctor`); `None` for most words.
pub fn key_partners(tokens: &[String]) -> Vec<Option<&String>> {
    (0..tokens.len()).map(|i| key_partner(tokens, i)).collect()
}

/// The other word of the two-word vocabulary key `tokens[i]` makes with the token
/// before it or, failing that, after it.
fn key_partner(tokens: &[String], i: usize) -> Option<&String> {
    if i > 0 && !pair_at(tokens, i - 1).is_empty() {
        Some(&tokens[i - 1])
    } else if !pair_at(tokens, i).is_empty() {
        tokens.get(i + 1)
    } else {
        None
    }
}

/// The best `k` rows with a positive score that `accept` takes, best first (ties: lower
/// row first).
fn top_accepted(scores: &[f32], k: usize, accept: &dyn Fn(u32) -> bool) -> Vec<(u32, f32)> {
    // `accept` (a metadata filter) can cost far more than scoring: ask it in score
    // order, best rows first, until k are accepted. The best `block` rows are found
    // in one pass (a buffer cut back to `block` whenever it fills, keeping a floor
    // score), without collecting every row that scored.
    let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    let block = k.saturating_mul(8).max(64).min(scores.len().max(1));
    let mut best: Vec<(u32, f32)> = Vec::with_capacity(block.saturating_mul(2));
    let mut floor = 0.0f32;
    let mut scored = 0usize;
    for (row, &score) in scores.iter().enumerate() {
        if score > 0.0 {
            scored += 1;
        }
        // Rows come in increasing order, so a later row tying the floor ranks below
        // the kept ones: strictly greater is right.
        if score > floor {
            best.push((row as u32, score));
            if best.len() == block.saturating_mul(2) {
                best.select_nth_unstable_by(block - 1, order);
                best.truncate(block);
                floor = best[block - 1].1;
            }
        }
    }
    best.sort_unstable_by(order);
    let mut out = Vec::with_capacity(k.min(best.len()));
    for &hit in best.iter().take(block) {
        if accept(hit.0) {
            out.push(hit);
            if out.len() == k {
                return out;
            }
        }
    }
    if scored <= block {
        return out;
    }
    // Matches are sparse among the best rows: go through all of them in order.
    let mut hits: Vec<(u32, f32)> = scores
        .iter()
        .enumerate()
        .filter(|&(_, &s)| s > 0.0)
        .map(|(row, &s)| (row as u32, s))
        .collect();
    hits.sort_unstable_by(order);
    hits.into_iter()
        .filter(|&(row, _)| accept(row))
        .take(k)
        .collect()
}

/// Fuses rankings by their scores: each list's scores are min-max normalised to [0, 1]
/// (the best of a list gets 1, the worst 0; a list whose scores are all equal gets 1),
/// multiplied by the list's weight and summed per row; a row missing from a list gets
/// nothing from it, and a row repeated within a list counts once. Best first, ties by
/// lower row.
///
/// Unlike reciprocal rank fusion, how *much* better a candidate is counts, not only its
/// place: measured on the question set, this lifted hybrid top-1 from 0.793 to 0.837.
pub fn score_fusion(lists: &[(&[(u32, f32)], f32)]) -> Vec<(u32, f32)> {
    let mut fused: HashMap<u32, f32> = HashMap::new();
    for &(list, weight) in lists {
        let max = list.iter().map(|x| x.1).fold(f32::NEG_INFINITY, f32::max);
        let min = list.iter().map(|x| x.1).fold(f32::INFINITY, f32::min);
        let span = max - min;
        let mut seen = std::collections::HashSet::new();
        for &(row, score) in list {
            if seen.insert(row) {
                let norm = if span > 0.0 {
                    (score - min) / span
                } else {
                    1.0
                };
                *fused.entry(row).or_insert(0.0) += weight * norm;
            }
        }
    }
    let mut out: Vec<(u32, f32)> = fused.into_iter().collect();
    out.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<String> {
        tokenize(text)
    }

    fn all(_: u32) -> bool {
        true
    }

    /// Tiny deterministic RNG (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const WORDS: &[&str] = &[
        "copay",
        "deductible",
        "specialist",
        "visit",
        "tier",
        "2",
        "$1,500",
        "20%",
        "coinsurance",
        "network",
        "emergency",
        "room",
        "preventive",
        "care",
        "the",
        "of",
        "prescription",
        "drug",
        "generic",
        "brand",
        "out-of-pocket",
        "maximum",
        "MRI",
        "physical",
        "therapy",
        "chiropractor",
        "Zürich",
        "$20",
        "annual",
        "checkup",
    ];

    fn random_text(rng: &mut Rng, words: usize) -> String {
        (0..words)
            .map(|_| WORDS[rng.below(WORDS.len())])
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Checks every invariant search and remove rely on.
    fn check_invariants(index: &KeywordIndex) {
        let mut sums = vec![0u64; index.doc_lens.len()];
        for (term, &id) in &index.terms {
            let list = &index.postings[id as usize];
            assert!(!term.is_empty());
            for w in list.windows(2) {
                assert!(w[0].0 < w[1].0, "postings of {term:?} not strictly sorted");
            }
            for &(row, tf) in list {
                assert!(tf > 0);
                assert!(index.contains(row), "{term:?} lists absent row {row}");
                sums[row as usize] += u64::from(tf);
            }
        }
        assert_eq!(index.terms.len(), index.postings.len());
        let live = index.doc_lens.iter().filter(|&&l| l != 0).count();
        assert_eq!(index.len(), live);
        let total: u64 = index
            .doc_lens
            .iter()
            .map(|&l| u64::from(l.saturating_sub(1)))
            .sum();
        assert_eq!(index.total_len, total);
        for (row, &l) in index.doc_lens.iter().enumerate() {
            if l != 0 {
                assert!(sums[row] <= u64::from(l - 1));
            }
        }
    }

    #[test]
    fn tokenize_money_and_percent() {
        assert_eq!(toks("$1,500"), ["1500"]);
        assert_eq!(toks("20%"), ["20"]);
        assert_eq!(
            toks("Deductible: $1,500,000 (20% after)"),
            ["deductible", "1500000", "20", "after"]
        );
        assert_eq!(toks("$1,500.00"), ["1500"]);
        assert_eq!(toks("$12.50 copay."), ["12.50", "copay"]);
        // Not a thousands separator: the group is not exactly three digits.
        assert_eq!(toks("tiers 1,2 and 3"), ["tier", "1", "2", "3"]);
        assert_eq!(toks("1,5000"), ["1", "5000"]);
    }

    #[test]
    fn tokenize_digits_stopwords_and_stemming() {
        assert_eq!(toks("tier 2"), ["tier", "2"]);
        assert_eq!(
            toks("What is my copay for a specialist?"),
            ["copay", "specialist"]
        );
        assert_eq!(
            toks("How much will I get, and can you do it?"),
            Vec::<String>::new()
        );
        assert_eq!(
            toks("copays visits class bus"),
            ["copay", "visit", "class", "bus"]
        );
        assert_eq!(toks("member's plan's"), ["member", "plan"]);
        assert_eq!(toks("what's"), Vec::<String>::new());
        assert_eq!(toks("don’t"), ["dont"]);
    }

    #[test]
    fn tokens_keep_the_word_as_written() {
        let pairs = |text: &str| -> Vec<(String, String)> { tokenize_as_written(text) };
        assert_eq!(
            pairs("Is Dialysis covered? Don’t ask"),
            [
                ("dialysi".to_string(), "dialysis".to_string()),
                ("covered".to_string(), "covered".to_string()),
                ("dont".to_string(), "don’t".to_string()),
                ("ask".to_string(), "ask".to_string()),
            ]
        );
        assert_eq!(
            pairs("ZÜRICH clinics")
                .into_iter()
                .map(|(token, _)| token)
                .collect::<Vec<_>>(),
            tokenize("ZÜRICH clinics")
        );
    }

    #[test]
    fn tokenize_unicode() {
        assert_eq!(toks("Zürich"), ["zürich"]);
        assert_eq!(toks("ZÜRICH clinics"), ["zürich", "clinic"]);
        assert_eq!(toks("Zu\u{308}rich"), ["zu\u{308}rich"]);
        assert_eq!(toks("Ärztin—Straße"), ["ärztin", "straße"]);
        assert_eq!(toks("東京 clinic"), ["東京", "clinic"]);
        assert_eq!(toks(""), Vec::<String>::new());
        assert_eq!(toks("$ , . % '"), Vec::<String>::new());
    }

    #[test]
    fn rare_term_ranks_above_common_terms() {
        let mut index = KeywordIndex::new(Bm25Params::default());
        index.add(0, "copay for office visit");
        index.add(1, "copay chiropractor visit");
        index.add(2, "copay visit");
        index.add(3, "copay visit copay visit");
        let hits = index.search("chiropractor copay visit", 10, &all);
        assert_eq!(hits[0].0, 1);
        assert_eq!(hits.len(), 4);
        assert!(hits[0].1 > hits[1].1 * 1.5, "{hits:?}");
        // Best first, then lower row on ties.
        for w in hits.windows(2) {
            assert!(w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].0 < w[1].0));
        }
    }

    #[test]
    fn a_charge_word_says_a_figure_is_wanted_not_which_service() {
        let mut index = KeywordIndex::new(Bm25Params::default());
        index.add(0, "Specialist visit: $50 copay per visit");
        index.add(
            1,
            "Rehabilitation services: 40% coinsurance, limited to 24 visits a year",
        );
        index.add(2, "Hospital stay: 20% coinsurance");
        index.add(3, "Imaging: 20% coinsurance");
        // "PT" is "physical therapy rehabilitation" to the vocabulary. At full weight the
        // shorter row whose cost is a copay outranks the rehabilitation row, whose cost is
        // coinsurance.
        let hits = index.search("PT copay?", 10, &all);
        assert_eq!(hits[0].0, 1, "{hits:?}");
        // Alone, a charge word is all the query says.
        assert_eq!(index.search("copay", 10, &all)[0].0, 0);
    }

    #[test]
    fn empty_rows_count_but_never_match() {
        let mut index = KeywordIndex::default();
        index.add(0, "the of and");
        index.add(1, "copay");
        assert_eq!(index.len(), 2);
        assert!(index.contains(0));
        assert_eq!(index.search("copay the", 5, &all).len(), 1);
        assert!(index.search("the", 5, &all).is_empty());
        assert!(index.search("copay", 0, &all).is_empty());
        assert!(KeywordIndex::default().search("copay", 5, &all).is_empty());
    }

    #[test]
    fn predicate_is_obeyed_exactly() {
        let mut rng = Rng(0x1234_5678);
        let mut index = KeywordIndex::default();
        for row in 0..400 {
            let n = 3 + rng.below(30);
            index.add(row, &random_text(&mut rng, n));
        }
        let full = index.search("chiropractor MRI therapy $1,500", usize::MAX, &all);
        let predicates: Vec<Box<dyn Fn(u32) -> bool>> = vec![
            Box::new(|r| r % 3 == 0),
            Box::new(|r| r > 390),
            Box::new(|r| r == 17),
            Box::new(|_| false),
            Box::new(|r| r % 2 == 1),
        ];
        for accept in &predicates {
            for k in [1, 5, 10, 50, 1000] {
                let hits = index.search("chiropractor MRI therapy $1,500", k, accept.as_ref());
                assert!(
                    hits.iter().all(|&(r, _)| accept(r)),
                    "returned a rejected row"
                );
                let expected: Vec<_> = full
                    .iter()
                    .copied()
                    .filter(|&(r, _)| accept(r))
                    .take(k)
                    .collect();
                assert_eq!(hits, expected);
                assert!(hits.iter().all(|&(_, s)| s > 0.0));
            }
        }
    }

    /// Builds an index afresh over `rows` in ascending row order.
    fn fresh(rows: &std::collections::BTreeMap<u32, String>) -> KeywordIndex {
        let mut index = KeywordIndex::default();
        for (&row, text) in rows {
            index.add(row, text);
        }
        index
    }

    #[test]
    fn add_remove_readd_match_a_fresh_index() {
        let mut rng = Rng(42);
        let mut live = std::collections::BTreeMap::new();
        let mut index = KeywordIndex::default();
        for step in 0..600 {
            let row = rng.below(150) as u32;
            match rng.below(4) {
                0 => {
                    index.remove(row);
                    live.remove(&row);
                }
                1 if step % 50 == 0 => {
                    let rows: Vec<u32> = (0..5).map(|_| rng.below(150) as u32).collect();
                    index.remove_rows(rows.iter().copied());
                    for r in rows {
                        live.remove(&r);
                    }
                }
                _ => {
                    let n = rng.below(25);
                    let text = random_text(&mut rng, n);
                    index.add(row, &text);
                    live.insert(row, text);
                }
            }
        }
        check_invariants(&index);
        let built = fresh(&live);
        assert_eq!(index.len(), live.len());
        assert_eq!(index.len(), built.len());
        for query in [
            "copay",
            "chiropractor MRI",
            "$1,500 deductible 20%",
            "Zürich care care",
            "nothing",
        ] {
            let a = index.search(query, usize::MAX, &all);
            let b = built.search(query, usize::MAX, &all);
            assert_eq!(a.len(), b.len(), "{query}");
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.0, y.0, "{query}");
                assert!((x.1 - y.1).abs() <= 1e-6, "{query}: {x:?} vs {y:?}");
            }
        }
        // Same live rows, same bytes, whatever the history.
        assert_eq!(index.to_bytes(), built.to_bytes());
    }

    #[test]
    fn removal_updates_statistics() {
        let mut index = KeywordIndex::default();
        index.add(0, "copay visit");
        index.add(1, "copay");
        let before = index.search("copay", 5, &all);
        index.add(2, "deductible deductible deductible");
        let with_third = index.search("copay", 5, &all);
        assert_ne!(
            before, with_third,
            "N and avgdl changed, so must the scores"
        );
        index.remove(2);
        assert_eq!(index.search("copay", 5, &all), before);
        index.remove(2);
        index.remove(99);
        assert_eq!(index.len(), 2);
        // Re-adding replaces the text.
        index.add(1, "deductible");
        assert_eq!(index.search("copay", 5, &all).len(), 1);
        assert_eq!(index.search("deductible", 5, &all)[0].0, 1);
        // Out-of-order rows.
        index.add(7, "copay");
        index.add(3, "copay");
        check_invariants(&index);
        let rows: Vec<u32> = index.search("copay", 5, &all).iter().map(|h| h.0).collect();
        assert_eq!(rows.len(), 3);
    }

    fn corpus() -> KeywordIndex {
        let mut rng = Rng(7);
        let mut index = KeywordIndex::new(Bm25Params { k1: 1.5, b: 0.6 });
        for row in 0..60 {
            if row % 7 != 3 {
                let n = rng.below(20);
                index.add(row, &random_text(&mut rng, n));
            }
        }
        index
    }

    #[test]
    fn bytes_round_trip() {
        let index = corpus();
        let bytes = index.to_bytes();
        let back = KeywordIndex::from_bytes(&bytes).unwrap();
        check_invariants(&back);
        assert_eq!(back.params(), index.params());
        assert_eq!(back.len(), index.len());
        for query in ["copay", "tier 2 drug", "$1,500", "Zürich", "the"] {
            assert_eq!(
                back.search(query, 100, &all),
                index.search(query, 100, &all)
            );
        }
        assert_eq!(back.to_bytes(), bytes);
        // Deterministic across instances (different HashMap seeds).
        assert_eq!(corpus().to_bytes(), bytes);
        let empty = KeywordIndex::default();
        assert_eq!(
            KeywordIndex::from_bytes(&empty.to_bytes()).unwrap().len(),
            0
        );
    }

    fn encode(stored: &Stored) -> Vec<u8> {
        let mut bytes = vec![FORMAT_VERSION];
        bytes.extend(postcard::to_allocvec(stored).unwrap());
        bytes
    }

    fn stored<'a>(doc_lens: &'a [u32], terms: Vec<(&'a str, Vec<(u32, u16)>)>) -> Stored<'a> {
        let live = doc_lens.iter().filter(|&&l| l != 0).count() as u64;
        let total_len = doc_lens
            .iter()
            .map(|&l| u64::from(l.saturating_sub(1)))
            .sum();
        Stored {
            k1: 1.2,
            b: 0.75,
            live,
            total_len,
            doc_lens: Cow::Borrowed(doc_lens),
            terms: terms
                .into_iter()
                .map(|(t, p)| (Cow::Borrowed(t), p))
                .collect(),
        }
    }

    #[test]
    fn from_bytes_names_what_is_wrong() {
        let err = |s: Stored| {
            KeywordIndex::from_bytes(&encode(&s))
                .unwrap_err()
                .to_string()
        };
        // Rows 0 (len 2) and 2 (len 1).
        let lens = [3, 0, 2];
        assert!(KeywordIndex::from_bytes(&encode(&stored(
            &lens,
            vec![("a", vec![(0, 1), (2, 1)]), ("b", vec![(0, 1)])]
        )))
        .is_ok());
        let e = err(stored(
            &lens,
            vec![("a", vec![(0, 1), (1, 1)]), ("b", vec![(0, 1)])],
        ));
        assert!(
            e.contains("lists row 1") && e.contains("not in the index"),
            "{e}"
        );
        let e = err(stored(&lens, vec![("a", vec![(0, 1), (0, 1)])]));
        assert!(e.contains("lists row 0 twice"), "{e}");
        let e = err(stored(&lens, vec![("a", vec![(0, 0), (2, 1)])]));
        assert!(e.contains("term frequency 0"), "{e}");
        let e = err(stored(
            &lens,
            vec![("b", vec![(0, 2)]), ("a", vec![(2, 1)])],
        ));
        assert!(e.contains("byte order"), "{e}");
        let e = err(stored(
            &lens,
            vec![("a", vec![(0, 2)]), ("a", vec![(2, 1)])],
        ));
        assert!(e.contains("byte order"), "{e}");
        let e = err(stored(&lens, vec![("a", vec![(0, 2)]), ("b", vec![])]));
        assert!(e.contains("no postings"), "{e}");
        let e = err(stored(&lens, vec![("a", vec![(0, 1), (2, 1)])]));
        assert!(
            e.contains("row 0 has length 2") && e.contains("add up to 1"),
            "{e}"
        );
        let e = err(stored(&lens, vec![("a", vec![(0, 2), (u32::MAX, 1)])]));
        assert!(e.contains("not in the index"), "{e}");
        let mut s = stored(&lens, vec![("a", vec![(0, 2), (2, 1)])]);
        s.live = 5;
        assert!(err(s).contains("live rows = 5, but its rows give 2"));
        let mut s = stored(&lens, vec![("a", vec![(0, 2), (2, 1)])]);
        s.total_len = 9;
        assert!(err(s).contains("total length"));
        let mut s = stored(&lens, vec![("a", vec![(0, 2), (2, 1)])]);
        s.b = f32::NAN;
        assert!(err(s).contains("BM25 parameters"));

        let good = corpus().to_bytes();
        assert!(matches!(
            KeywordIndex::from_bytes(&[]),
            Err(KeywordError::Empty)
        ));
        let version = |v: u8| {
            let mut bytes = good.clone();
            bytes[0] = v;
            KeywordIndex::from_bytes(&bytes).map(|_| ())
        };
        let newer = version(FORMAT_VERSION + 1).expect_err("newer");
        assert!(
            matches!(newer, KeywordError::Version { found, .. } if found == FORMAT_VERSION + 1)
        );
        assert!(!newer.is_older_version());
        // Version 1 did not weigh table rows' titles: older, for its reader to rebuild.
        assert!(version(1).expect_err("older").is_older_version());
        let mut long = good.clone();
        long.push(0);
        assert!(matches!(
            KeywordIndex::from_bytes(&long),
            Err(KeywordError::TrailingBytes(1))
        ));
    }

    /// Whatever the bytes, loading either fails or gives an index whose invariants hold
    /// and which searches, removes and re-encodes without panicking.
    fn load_never_panics(bytes: &[u8]) {
        if let Ok(mut index) = KeywordIndex::from_bytes(bytes) {
            check_invariants(&index);
            let _ = index.search("copay tier 2 $1,500 zürich", 10, &all);
            let again = index.to_bytes();
            let back = KeywordIndex::from_bytes(&again).unwrap();
            assert_eq!(back.to_bytes(), again);
            index.remove(1);
            index.add(0, "copay");
            check_invariants(&index);
        }
    }

    #[test]
    fn from_bytes_survives_truncation_and_flips() {
        let good = corpus().to_bytes();
        for len in 0..good.len() {
            load_never_panics(&good[..len]);
            assert!(
                KeywordIndex::from_bytes(&good[..len]).is_err(),
                "truncated to {len}"
            );
        }
        let mut rng = Rng(0xdead_beef);
        for _ in 0..500 {
            let mut bytes = good.clone();
            let at = rng.below(bytes.len());
            bytes[at] ^= 1 << rng.below(8);
            load_never_panics(&bytes);
        }
        for _ in 0..500 {
            let mut bytes = good.clone();
            let at = rng.below(bytes.len());
            bytes[at] = rng.next() as u8;
            load_never_panics(&bytes);
        }
    }

    #[test]
    fn matched_spans_mark_the_words_as_written() {
        assert_eq!(
            KeywordIndex::matched_spans("copay", "Copays: $20"),
            [(0, 6)]
        );
        let text = "Deductible $1,500; the copay is 20%";
        let spans = KeywordIndex::matched_spans("what is the $1500 deductible, 20 percent?", text);
        let marked: Vec<&str> = spans.iter().map(|&(s, e)| &text[s..e]).collect();
        assert_eq!(marked, ["Deductible", "1,500", "20"]);
        let text = "Klinik in Zürich: ZÜRICH";
        let marked: Vec<&str> = KeywordIndex::matched_spans("zürich", text)
            .iter()
            .map(|&(s, e)| &text[s..e])
            .collect();
        assert_eq!(marked, ["Zürich", "ZÜRICH"]);
        assert!(KeywordIndex::matched_spans("the", "the copay").is_empty());
    }

    #[test]
    fn score_fusion_arithmetic() {
        let keyword: Vec<(u32, f32)> = vec![(1, 9.0), (2, 5.0), (3, 1.0)];
        let vector: Vec<(u32, f32)> = vec![(3, 0.9), (1, 0.8), (4, 0.1)];
        let fused = score_fusion(&[(&keyword, 0.5), (&vector, 0.5)]);
        // Normalised: keyword 1 → 1, 2 → 0.5, 3 → 0; vector 3 → 1, 1 → 0.875, 4 → 0.
        // 1: 0.5 + 0.4375; 3: 0 + 0.5; 2: 0.25; 4: 0.
        let rows: Vec<u32> = fused.iter().map(|f| f.0).collect();
        assert_eq!(rows, [1, 3, 2, 4]);
        assert!((fused[0].1 - 0.9375).abs() < 1e-6);
        assert!((fused[1].1 - 0.5).abs() < 1e-6);
        assert!((fused[2].1 - 0.25).abs() < 1e-6);
        assert_eq!(fused[3].1, 0.0);
        // Weights matter: all on the vector list gives its order.
        let rows: Vec<u32> = score_fusion(&[(&keyword, 0.0), (&vector, 1.0)])
            .iter()
            .map(|f| f.0)
            .collect();
        assert_eq!(&rows[..2], [3, 1]);
        // Equal scores normalise to 1; ties by lower row; a repeat in one list counts once.
        let a: &[(u32, f32)] = &[(5, 1.0), (5, 1.0)];
        let b: &[(u32, f32)] = &[(2, 3.0)];
        assert_eq!(score_fusion(&[(a, 1.0), (b, 1.0)]), [(2, 1.0), (5, 1.0)]);
        assert!(score_fusion(&[]).is_empty());
    }

    #[test]
    fn sparse_matches_beyond_the_best_block_are_found() {
        // 300 equal rows: the best block (64) holds rows 0..64, none accepted; the search
        // must still go on to the accepted rows, in row order.
        let mut index = KeywordIndex::new(Bm25Params::default());
        for row in 0..300 {
            index.add(row, "copay for a specialist visit");
        }
        let hits = index.search("specialist copay", 5, &|row| row >= 290);
        let rows: Vec<u32> = hits.iter().map(|h| h.0).collect();
        assert_eq!(rows, [290, 291, 292, 293, 294]);
        let none = index.search("specialist", 5, &|_| false);
        assert!(none.is_empty());
    }

    #[test]
    fn a_two_word_key_expands_both_its_words_and_only_together() {
        let added = |question: &str| -> Vec<(String, Vec<&str>)> {
            let tokens = tokenize(question);
            tokens.iter().cloned().zip(expansions_of(&tokens)).collect()
        };
        let doctor = added("How much is a visit to my family doctor?");
        let primary = ["primary", "care", "physician"];
        for (word, terms) in &doctor {
            if word == "family" || word == "doctor" {
                assert_eq!(terms, &primary, "{word}");
            } else {
                assert!(terms.is_empty(), "{word}: {terms:?}");
            }
        }
        // Apart, neither word is the phrase.
        for (word, terms) in added("the family deductible and doctor bills") {
            assert!(!terms.contains(&"primary"), "{word}: {terms:?}");
        }
        // A word with an entry of its own keeps it beside the phrase's.
        let physical = added("physical therapy");
        assert!(physical[0].1.contains(&"preventive"), "{physical:?}");
        assert!(physical[0].1.contains(&"rehabilitation"), "{physical:?}");
    }

    #[test]
    fn a_question_with_member_words_is_written_out_with_their_plan_words_for_its_vector() {
        assert_eq!(
            with_plan_words("Is my checkup free?").as_deref(),
            Some("Is my checkup free? (physical preventive wellness 0 no charge)")
        );
        // Each plan word once, a two-word key's included ("family doctor").
        assert_eq!(
            with_plan_words("is my family doctor visit free, is my checkup free").as_deref(),
            Some(
                "is my family doctor visit free, is my checkup free (primary care physician 0 \
                 no charge physical preventive wellness)"
            )
        );
        assert_eq!(with_plan_words("How much does a specialist cost?"), None);
    }

    #[test]
    fn member_words_expand_to_plan_words() {
        let mut index = KeywordIndex::new(Bm25Params::default());
        index.add(0, "Preventive care: annual physical covered at $0.");
        index.add(1, "Emergency room visits cost a $250 copay.");
        index.add(2, "Prescription drugs: tier 1 generics cost $10.");
        let all = |_: u32| true;
        // Literal BM25 finds nothing for words the documents do not use…
        assert!(index.search_with("checkup", 3, &all, false).is_empty());
        assert!(index.search_with("ER", 3, &all, false).is_empty());
        // …the expansion maps them to the plan's words.
        assert_eq!(index.search("checkup", 3, &all)[0].0, 0);
        assert_eq!(index.search("ER", 3, &all)[0].0, 1);
        assert_eq!(index.search("meds", 3, &all)[0].0, 2);
        // BM25 is linear in query-term weight. No document says "checkup", so its plan
        // words stand in for it at full weight: the same score as typing them.
        let typed = index.search_with("physical preventive wellness", 1, &all, false)[0].1;
        let expanded = index.search("checkup", 1, &all)[0].1;
        assert!((expanded - typed).abs() < 1e-6, "{expanded} vs {typed}");
        // Where the documents also use the member's word, its plan words weigh half: a
        // collection that says "checkup" somewhere scores the preventive row at exactly
        // half of typing its plan words.
        index.add(3, "Checkup reminders are mailed each spring.");
        let typed = index.search_with("physical preventive wellness", 4, &all, false);
        let expanded = index.search("checkup", 4, &all);
        let score = |hits: &[(u32, f32)]| hits.iter().find(|h| h.0 == 0).map(|h| h.1);
        let (typed, expanded) = (score(&typed).unwrap(), score(&expanded).unwrap());
        assert!(
            (expanded - 0.5 * typed).abs() < 1e-6,
            "{expanded} vs {typed}"
        );
        index.remove(3);
        // Every key of the table is one token or two as typed (a longer key would be
        // dropped), a key of several words two tokens (a stopword would leave the other
        // word alone as the key: "in-home" would expand every "home"; "end-of-life"
        // keeps "end life"), and every entry adds something.
        for (key, terms) in EXPANSIONS {
            assert!(
                (1..=2).contains(&tokenize(key).len()),
                "{key} is not one or two tokens: {:?}",
                tokenize(key)
            );
            let words = key
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .count();
            assert!(
                words == 1 || tokenize(key).len() == 2,
                "{key} reads as the one word {:?}",
                tokenize(key)
            );
            assert!(!tokenize(terms).is_empty(), "{key} expands to nothing");
        }
        let table = expansions();
        let pairs: usize = table.pairs.values().map(HashMap::len).sum();
        assert_eq!(
            table.words.len() + pairs,
            EXPANSIONS.len(),
            "a key is repeated"
        );
    }

    #[test]
    fn a_word_no_row_has_is_read_as_the_word_one_slip_from_it() {
        let mut index = KeywordIndex::new(Bm25Params::default());
        index.add(0, "Physical therapy: $35 copay per visit");
        index.add(
            1,
            "Chiropractor visits are not covered. Message your doctor online.",
        );
        index.add(2, "Outpatient surgery center");
        // Two letters swapped, or one left out.
        assert_eq!(
            index.respelled("physcial therapy after surgery"),
            "physical therapy after surgery"
        );
        assert_eq!(index.respelled("my Chiropracor?"), "my chiropractor?");
        // Letters past ASCII are letters too.
        index.add(5, "Behandlung beim Zahnärzte");
        assert_eq!(index.respelled("zahnärtze"), "zahnärzte");
        assert_eq!(index.respelled("zahnrzte"), "zahnärzte");
        // A letter for another, or one more, is another word; a word the rows have
        // stays; so does a short one, and one with two words a slip away.
        for typed in [
            "is massage therapy covered",
            "dry needling",
            "outpatient center",
            "surgery centr",
        ] {
            assert!(
                matches!(index.respelled(typed), Cow::Borrowed(_)),
                "{typed}"
            );
        }
        index.add(3, "Tier wxyzabq");
        index.add(4, "Tier wxyzaqb");
        assert!(matches!(index.respelled("wxyzab"), Cow::Borrowed(_)));
        assert_eq!(index.respelled("wxyzbq"), "wxyzabq");
        // Only the live rows' words count.
        index.remove(0);
        assert!(matches!(index.respelled("physcial"), Cow::Borrowed(_)));
    }
}
