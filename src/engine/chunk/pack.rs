//! Packing a section into chunks: atoms kept whole when they fit, cut coarsest first,
//! neighbours packed up to the window, overlap and repeated table headers.

use super::*;

// Packing

/// A piece of a section's text that is kept whole unless it does not fit.
#[derive(Clone, Copy)]
pub(super) struct Atom<'a> {
    /// Trimmed, never empty.
    pub(super) text: &'a str,
    /// What joins it to the atom before it in a chunk.
    pub(super) sep: &'static str,
    /// How to cut it further.
    pub(super) kind: Kind,
    /// The table (index into [`Packer::headers`]) whose row this is, once the table
    /// has been cut into rows: each run of its rows in a chunk gets the header first.
    pub(super) table: Option<usize>,
}

impl<'a> Atom<'a> {
    /// The trimmed byte range `range` of this atom as an atom of its own: the first part
    /// keeps this atom's separator, later ones are joined by `sep`.
    fn part(
        &self,
        range: (usize, usize),
        first: bool,
        sep: &'static str,
        kind: Kind,
        table: Option<usize>,
    ) -> Atom<'a> {
        Atom {
            text: self.text[range.0..range.1].trim(),
            sep: if first { self.sep } else { sep },
            kind,
            table,
        }
    }
}

/// A code block's non-blank lines; one line is cut into words.
fn code_parts(atom: Atom<'_>) -> Option<Vec<Atom<'_>>> {
    let lines: Vec<&str> = atom
        .text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    if lines.len() < 2 {
        return text_parts(atom, Level::Words);
    }
    Some(
        lines
            .into_iter()
            .enumerate()
            .map(|(i, line)| Atom {
                text: line,
                sep: if i == 0 { atom.sep } else { "\n" },
                kind: Kind::Text(Level::Words),
                table: atom.table,
            })
            .collect(),
    )
}

/// How an atom is cut when it does not fit.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    /// A block of a section: into paragraphs, list items and table rows.
    Block,
    /// A fenced code block: into lines.
    Code,
    /// A lead-in paragraph and the first list item after it (`head` bytes of lead-in),
    /// kept together so a list's introduction does not end a chunk on its own.
    Glued { head: usize },
    /// Running text: into pieces at this level or a finer one.
    Text(Level),
}

/// Where running text is cut, coarsest first.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Level {
    Sentences,
    Lines,
    Clauses,
    Words,
}

impl Level {
    pub(super) const ALL: [Level; 4] =
        [Level::Sentences, Level::Lines, Level::Clauses, Level::Words];

    pub(super) fn finer(self) -> Level {
        match self {
            Level::Sentences => Level::Lines,
            Level::Lines => Level::Clauses,
            Level::Clauses | Level::Words => Level::Words,
        }
    }
}

/// One block segment: byte ranges within the block's text.
pub(super) enum Seg {
    Prose(usize, usize),
    Item(usize, usize),
    Table {
        header: (usize, usize),
        rows: Vec<(usize, usize)>,
    },
}

/// Cuts one section into chunk bodies.
pub(super) struct Packer<'c, 'a> {
    pub(super) counter: &'c dyn TokenCounter,
    pub(super) max: usize,
    pub(super) overlap: usize,
    pub(super) special: usize,
    /// The heading line every chunk of the section starts with ("" for none).
    pub(super) heading: String,
    /// Header rows (header + separator line) of the tables cut into rows.
    pub(super) headers: Vec<&'a str>,
}

impl<'a> Packer<'_, 'a> {
    /// The chunk bodies of a section, in order.
    pub(super) fn pack(&mut self, blocks: &[Block<'a>]) -> Result<Vec<String>> {
        // A stack with the next atom last, so cutting the next atom is a pop and pushes.
        let mut stack: Vec<Atom<'a>> = blocks
            .iter()
            .rev()
            .map(|b| Atom {
                text: b.text,
                sep: "\n\n",
                kind: if b.code { Kind::Code } else { Kind::Block },
                table: None,
            })
            .collect();
        // Most sections fit whole: one call settles them.
        let whole = self.render(stack.iter().rev(), None);
        if self.fits(&whole)? {
            return Ok(vec![whole]);
        }

        let mut pieces = Vec::new();
        let mut tail: Option<String> = None;
        while !stack.is_empty() {
            let n = stack.len();
            let mut taken = 0;
            let mut overlap = None;
            // A piece that starts inside a table gets the table header instead.
            if let (Some(ov), Some(false)) =
                (tail.as_deref(), stack.last().map(|a| a.table.is_some()))
            {
                taken = largest_fitting(n, |k| {
                    self.fits(&self.render(stack[n - k..].iter().rev(), Some(ov)))
                })?;
                if taken > 0 {
                    overlap = Some(ov);
                }
            }
            if taken == 0 {
                taken = largest_fitting(n, |k| {
                    self.fits(&self.render(stack[n - k..].iter().rev(), None))
                })?;
            }
            if taken == 0 {
                // The next atom alone is too big: cut it and try again.
                if let Some(front) = stack.pop() {
                    self.cut(front, &mut stack)?;
                }
                continue;
            }
            let piece = self.render(stack[n - taken..].iter().rev(), overlap);
            stack.truncate(n - taken);
            tail = if self.overlap > 0 && !stack.is_empty() {
                self.tail(&piece)?
            } else {
                None
            };
            pieces.push(piece);
        }
        Ok(pieces)
    }

    /// Whether a chunk with this body fits the window, measured on the full chunk text.
    pub(super) fn fits(&self, body: &str) -> Result<bool> {
        Ok(self.counter.count_tokens(&compose(&self.heading, body))? <= self.max)
    }

    /// The body made of `atoms` (in order), after the overlap text if any.
    pub(super) fn render<'x>(
        &self,
        atoms: impl Iterator<Item = &'x Atom<'a>>,
        overlap: Option<&str>,
    ) -> String
    where
        'a: 'x,
    {
        let mut out = String::from(overlap.unwrap_or_default());
        let mut table = None;
        for atom in atoms {
            if !out.is_empty() {
                out.push_str(atom.sep);
            }
            if atom.table.is_some() && atom.table != table {
                if let Some(header) = atom.table.and_then(|t| self.headers.get(t)) {
                    out.push_str(header);
                    out.push('\n');
                }
            }
            table = atom.table;
            out.push_str(atom.text);
        }
        out
    }

    /// Replaces an atom that does not fit by its parts (pushed so the first is next).
    pub(super) fn cut(&mut self, atom: Atom<'a>, stack: &mut Vec<Atom<'a>>) -> Result<()> {
        if let Some(parts) = self.parts(atom)? {
            stack.extend(parts.into_iter().rev());
            return Ok(());
        }
        // One word over the window: cut it all now into the longest character prefixes
        // that fit. Doing it in one go matters: leaving the remainder on the stack would
        // measure it whole again for every piece, quadratic in the word's length.
        let mut pieces = Vec::new();
        let mut rest = atom.text;
        while !rest.is_empty() {
            let part = |text| Atom {
                text,
                sep: if pieces.is_empty() { atom.sep } else { "" },
                kind: Kind::Text(Level::Words),
                table: atom.table,
            };
            let c = largest_fitting(rest.len(), |c| {
                self.fits(&self.render(std::iter::once(&part(char_prefix(rest, c))), None))
            })?;
            let head = char_prefix(rest, c);
            if head.is_empty() {
                if atom.table.is_none() {
                    return Err(Error::InvalidInput(format!(
                        "max_tokens {} leaves no room for text: the heading line plus one \
                         character is already over it",
                        self.max
                    )));
                }
                // The table header leaves no room: go on without it for the rest.
                pieces.push(Atom {
                    table: None,
                    ..part(rest)
                });
                break;
            }
            pieces.push(part(head));
            rest = &rest[head.len()..];
        }
        stack.extend(pieces.into_iter().rev());
        Ok(())
    }

    /// The parts an atom is cut into, or `None` when it is a single word.
    pub(super) fn parts(&mut self, atom: Atom<'a>) -> Result<Option<Vec<Atom<'a>>>> {
        match atom.kind {
            Kind::Text(level) => Ok(text_parts(atom, level)),
            Kind::Glued { head } => Ok(Some(vec![
                atom.part(
                    (0, head),
                    true,
                    "",
                    Kind::Text(Level::Sentences),
                    atom.table,
                ),
                atom.part(
                    (head, atom.text.len()),
                    false,
                    "\n",
                    Kind::Text(Level::Sentences),
                    atom.table,
                ),
            ])),
            Kind::Code => Ok(code_parts(atom)),
            Kind::Block => self.block_parts(atom),
        }
    }

    /// A block's parts: its paragraphs, list items (a lead-in glued to the item after
    /// it) and table rows; a block of one paragraph or item is cut into sentences.
    fn block_parts(&mut self, atom: Atom<'a>) -> Result<Option<Vec<Atom<'a>>>> {
        let text = atom.text;
        let segs = segments(text);
        if let [Seg::Prose(..) | Seg::Item(..)] = segs.as_slice() {
            return Ok(text_parts(atom, Level::Sentences));
        }
        let sentences = Kind::Text(Level::Sentences);
        let mut parts = Vec::new();
        let mut iter = segs.into_iter().peekable();
        while let Some(seg) = iter.next() {
            let first = parts.is_empty();
            match seg {
                Seg::Prose(start, end) => {
                    if let Some(&Seg::Item(_, item_end)) = iter.peek() {
                        iter.next();
                        // Both slices are trimmed from the same first character, so
                        // the lead-in's trimmed length is where the item starts.
                        let glued = Kind::Glued {
                            head: text[start..end].trim().len(),
                        };
                        parts.push(atom.part((start, item_end), first, "\n", glued, atom.table));
                    } else {
                        parts.push(atom.part((start, end), first, "\n", sentences, atom.table));
                    }
                }
                Seg::Item(start, end) => {
                    parts.push(atom.part((start, end), first, "\n", sentences, atom.table));
                }
                Seg::Table { header, rows } => self.table_parts(atom, header, rows, &mut parts)?,
            }
        }
        Ok(Some(parts))
    }

    /// Appends a table's rows to `parts`, each tagged with the table's header so that
    /// every run of rows in a chunk repeats it. A header that would leave less than a
    /// quarter of the window for rows is not repeated; it stays as plain lines before
    /// them.
    fn table_parts(
        &mut self,
        atom: Atom<'a>,
        header: (usize, usize),
        rows: Vec<(usize, usize)>,
        parts: &mut Vec<Atom<'a>>,
    ) -> Result<()> {
        let header_text = atom.text[header.0..header.1].trim();
        let table = if !rows.is_empty()
            && self
                .counter
                .count_tokens(&compose(&self.heading, header_text))?
                <= self.max - self.max / 4
        {
            self.headers.push(header_text);
            Some(self.headers.len() - 1)
        } else {
            let first = parts.is_empty();
            parts.push(atom.part(header, first, "\n", Kind::Text(Level::Lines), atom.table));
            None
        };
        for row in rows {
            let first = parts.is_empty();
            parts.push(atom.part(row, first, "\n", Kind::Text(Level::Sentences), table));
        }
        Ok(())
    }

    /// The start of the next piece: the tail of `piece` worth about `overlap` tokens,
    /// whole sentences (or lines) when they give at least half of that, else whole words.
    /// After a table row only whole rows are repeated, and after a list item only whole
    /// items or sentences: half a row or item reads as noise, not context.
    pub(super) fn tail(&self, piece: &str) -> Result<Option<String>> {
        let budget = self.overlap + self.special;
        let fits = |start: usize| -> Result<bool> {
            Ok(self.counter.count_tokens(&piece[start..])? <= budget)
        };
        let last_line = piece.rsplit('\n').next().unwrap_or_default();
        let in_table = last_line.trim_start().starts_with('|');
        let in_list = is_list_item(last_line);

        let mut starts: Vec<usize> = if in_table {
            Vec::new()
        } else {
            sentence_breaks(piece)
        };
        starts.extend(
            piece
                .match_indices('\n')
                .map(|(i, _)| i + 1)
                .filter(|&i| i < piece.len()),
        );
        starts.sort_unstable();
        starts.dedup();
        let k = largest_fitting(starts.len(), |k| fits(starts[starts.len() - k]))?;
        let by_sentence = (k > 0).then(|| starts[starts.len() - k]);

        // Never the whole piece: word 0 is not a candidate.
        let words: Vec<usize> = if in_table || in_list {
            Vec::new()
        } else {
            word_starts(piece).into_iter().skip(1).collect()
        };
        let w = largest_fitting(words.len(), |k| fits(words[words.len() - k]))?;
        let sentence_words = by_sentence.map_or(0, |s| piece[s..].split_whitespace().count());
        let start = if by_sentence.is_some() && sentence_words * 2 >= w {
            by_sentence
        } else if w > 0 {
            Some(words[words.len() - w])
        } else {
            None
        };
        Ok(start
            .map(|s| piece[s..].trim())
            .filter(|t| !t.is_empty())
            .map(str::to_owned))
    }
}

/// The largest `k` in `0..=max_k` with `fits(k)`, for `fits` true up to some `k` and
/// false after. Gallops from 1, so the number of calls grows with the answer, not with
/// `max_k`; every `k > 0` returned was checked, so a non-monotone `fits` can only make
/// the answer smaller than the best, never wrong.
pub(super) fn largest_fitting(
    max_k: usize,
    mut fits: impl FnMut(usize) -> Result<bool>,
) -> Result<usize> {
    if max_k == 0 || !fits(1)? {
        return Ok(0);
    }
    let mut good = 1;
    let mut bad = loop {
        if good == max_k {
            return Ok(good);
        }
        let probe = good.saturating_mul(2).min(max_k);
        if fits(probe)? {
            good = probe;
        } else {
            break probe;
        }
    };
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if fits(mid)? {
            good = mid;
        } else {
            bad = mid;
        }
    }
    Ok(good)
}
