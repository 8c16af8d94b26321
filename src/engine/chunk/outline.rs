//! The document's outline: front matter, Markdown headings, blocks (paragraphs, lists,
//! tables, fenced code) and the heading line each chunk starts with.

use super::*;

// Outline: sections and blocks

/// A run of text under one heading path.
pub(super) struct Section<'a> {
    /// Heading titles from outermost to innermost, empty titles and a lone title left out.
    pub(super) path: Vec<&'a str>,
    /// The section's blocks (paragraphs, lists, tables, code), in order.
    pub(super) blocks: Vec<Block<'a>>,
}

/// Text between blank lines (or one whole fenced code block), trimmed.
#[derive(Clone, Copy)]
pub(super) struct Block<'a> {
    pub(super) text: &'a str,
    pub(super) code: bool,
}

/// A section while the outline is read: the heading stack above it.
pub(super) struct RawSection<'a> {
    pub(super) stack: Vec<(usize, &'a str)>,
    pub(super) blocks: Vec<Block<'a>>,
}

/// Reads the body's outline. Sections without text are dropped, so a heading on its
/// own never becomes a chunk.
pub(super) fn parse_sections(body: &str) -> Vec<Section<'_>> {
    let mut raw = vec![RawSection {
        stack: Vec::new(),
        blocks: Vec::new(),
    }];
    let mut stack: Vec<(usize, &str)> = Vec::new();
    // The block being read: byte range in `body` and whether it is fenced code.
    let mut open: Option<(usize, usize, bool)> = None;
    let mut fence: Option<(char, usize)> = None;
    let mut offset = 0;

    pub(super) fn close<'a>(
        body: &'a str,
        open: &mut Option<(usize, usize, bool)>,
        raw: &mut [RawSection<'a>],
    ) {
        if let Some((start, end, code)) = open.take() {
            let text = body[start..end].trim();
            match raw.last_mut() {
                Some(section) if !text.is_empty() => section.blocks.push(Block { text, code }),
                _ => {}
            }
        }
    }

    for line in body.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches('\n');
        let end = start + content.len();
        if let Some((ch, len)) = fence {
            if let Some(block) = open.as_mut() {
                block.1 = end;
            }
            if is_fence_close(content, ch, len) {
                fence = None;
                close(body, &mut open, &mut raw);
            }
            continue;
        }
        if let Some(marker) = fence_open(content) {
            close(body, &mut open, &mut raw);
            fence = Some(marker);
            open = Some((start, end, true));
            continue;
        }
        // A `---` / `***` rule separates like a blank line; alone it would be a chunk
        // with nothing to say.
        if content.trim().is_empty() || is_thematic_break(content) {
            close(body, &mut open, &mut raw);
            continue;
        }
        if let Some((level, title)) = atx_heading(content) {
            close(body, &mut open, &mut raw);
            while stack.last().is_some_and(|&(l, _)| l >= level) {
                stack.pop();
            }
            stack.push((level, title));
            raw.push(RawSection {
                stack: stack.clone(),
                blocks: Vec::new(),
            });
            continue;
        }
        match open.as_mut() {
            Some(block) => block.1 = end,
            None => open = Some((start, end, false)),
        }
    }
    close(body, &mut open, &mut raw);

    // A single `#` title that comes first and has subsections is left out of their
    // paths: it is the same for every chunk and would only use up the window.
    let headings: Vec<usize> = raw
        .iter()
        .filter_map(|s| s.stack.last().map(|&(level, _)| level))
        .collect();
    let drop_title = headings.first() == Some(&1)
        && headings.iter().filter(|&&l| l == 1).count() == 1
        && headings.iter().any(|&l| l > 1);

    raw.into_iter()
        .filter(|s| !s.blocks.is_empty())
        .map(|s| {
            let skip = usize::from(drop_title && s.stack.len() > 1);
            Section {
                path: s.stack[skip..]
                    .iter()
                    .map(|&(_, title)| title)
                    .filter(|title| !title.is_empty())
                    .collect(),
                blocks: s.blocks,
            }
        })
        .collect()
}

/// `(level, title)` of an ATX heading line (`## Title`, optional closing `#`s).
pub(super) fn atx_heading(line: &str) -> Option<(usize, &str)> {
    let rest = strip_indent(line)?;
    let level = rest.bytes().take_while(|&b| b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let after = &rest[level..];
    if !after.is_empty() && !after.starts_with([' ', '\t']) {
        return None; // `#hashtag`, not a heading
    }
    let title = after.trim();
    let without_closing = title.trim_end_matches('#');
    let title = if without_closing.is_empty() {
        ""
    } else if without_closing.ends_with([' ', '\t']) {
        without_closing.trim_end()
    } else {
        title // `C#` keeps its `#`
    };
    Some((level, title))
}

/// A horizontal rule: three or more `-`, `*` or `_` (spaces allowed between).
pub(super) fn is_thematic_break(line: &str) -> bool {
    let Some(rest) = strip_indent(line) else {
        return false;
    };
    let mut marks = rest.chars().filter(|c| !matches!(c, ' ' | '\t'));
    let Some(first) = marks.next().filter(|c| matches!(c, '-' | '*' | '_')) else {
        return false;
    };
    let mut count = 1;
    for c in marks {
        if c != first {
            return false;
        }
        count += 1;
    }
    count >= 3
}

/// The line without up to three leading spaces; `None` when indented further (code).
pub(super) fn strip_indent(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches(' ');
    (line.len() - rest.len() <= 3).then_some(rest)
}

/// The fence character and length of a line opening a fenced code block.
pub(super) fn fence_open(line: &str) -> Option<(char, usize)> {
    let rest = strip_indent(line)?;
    let ch = rest.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let len = rest.chars().take_while(|&c| c == ch).count();
    // A backtick fence's info string cannot contain backticks (that is inline code).
    let valid = len >= 3 && !(ch == '`' && rest[len..].contains('`'));
    valid.then_some((ch, len))
}

/// Whether a line closes a fence opened with `len` times `ch`.
pub(super) fn is_fence_close(line: &str, ch: char, len: usize) -> bool {
    let Some(rest) = strip_indent(line) else {
        return false;
    };
    let run = rest.chars().take_while(|&c| c == ch).count();
    run >= len && rest[run..].trim().is_empty()
}

/// Removes one pair of matching quotes around a front matter value.
pub(super) fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

/// The heading path line, shortened with `…` to at most half the window so that a
/// runaway heading cannot crowd out the text it labels.
pub(super) fn heading_line(
    path: &[&str],
    counter: &dyn TokenCounter,
    max: usize,
) -> Result<String> {
    let line = path.join(" — ");
    let budget = max / 2;
    if counter.count_tokens(&line)? <= budget {
        return Ok(line);
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let fits =
        |candidate: String| -> Result<bool> { Ok(counter.count_tokens(&candidate)? <= budget) };
    let k = largest_fitting(words.len(), |k| fits(format!("{} …", words[..k].join(" "))))?;
    if k > 0 {
        return Ok(format!("{} …", words[..k].join(" ")));
    }
    let first = words.first().copied().unwrap_or_default();
    let c = largest_fitting(first.len(), |c| fits(format!("{}…", char_prefix(first, c))))?;
    Ok(if c > 0 {
        format!("{}…", char_prefix(first, c))
    } else {
        String::new()
    })
}

/// `heading`, a newline and `body`; just `body` when there is no heading line.
pub(super) fn compose(heading: &str, body: &str) -> String {
    if heading.is_empty() {
        body.to_owned()
    } else {
        format!("{heading}\n{body}")
    }
}
