//! What a word is: the tokenizer shared by indexing, querying and highlighting.

/// Tokens for indexing and querying.
///
/// - Lowercase; split on anything that is not alphanumeric (Unicode-aware: `Zürich` is
///   one token, `zürich`). Combining marks continue a word, so a decomposed `Zu\u{308}rich`
///   is one token too (though not the same token as the composed form: no normalisation).
/// - Money and percentages stay useful: a comma between a digit and exactly three digits
///   is a thousands separator and is dropped (`$1,500` → `1500`; `1,2` stays two tokens);
///   a point between digits is kept (`$12.50` → `12.50`), and an all-zero fraction is
///   dropped (`$1,500.00` → `1500`); `$` and `%` are separators (`20%` → `20`).
/// - An apostrophe between letters is dropped (`member's` → `members` → `member`,
///   `don't` → `dont`), so possessives do not leave a stray `s` token.
/// - English stopwords are dropped (a small fixed list, checked before and after
///   stemming so `what's` goes too).
/// - Light stemming: a trailing `s` is stripped from words longer than 3 letters unless
///   they end in `ss` (`copays` → `copay`, `visits` → `visit`, `class` stays).
/// - Digits are tokens like words (`tier 2` → `tier`, `2`).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = String::new();
    for_each_token(text, &mut buf, |token, _, _| out.push(token.to_owned()));
    out
}

/// [`tokenize`], each token with the word as the text writes it (lower-cased): what to
/// show a reader, where the token may be stemmed (`dialysis` → `dialysi`).
pub fn tokenize_as_written(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut buf = String::new();
    for_each_token(text, &mut buf, |token, start, end| {
        out.push((token.to_owned(), text[start..end].to_lowercase()));
    });
    out
}

/// [`tokenize`] with the stopwords kept: for reading what a question asks, where a
/// word too common to search for still counts ("how *much*", "*not* covered").
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = String::new();
    for_each_word(text, &mut buf, true, |token, _, _| {
        out.push(token.to_owned())
    });
    out
}

/// Calls `f(token, start, end)` for each token of `text`, where `start..end` is the byte
/// span of the word in `text`. `buf` is scratch space, reused to avoid an allocation per
/// token. Runs of ASCII letters and digits are copied and lowercased in bulk, and a
/// `char` is decoded only for other bytes: indexing time is mostly this loop.
#[inline]
pub(super) fn for_each_token(text: &str, buf: &mut String, f: impl FnMut(&str, usize, usize)) {
    for_each_word(text, buf, false, f);
}

/// [`for_each_token`], with the stopwords kept when `keep_stopwords`.
#[inline(always)]
fn for_each_word(
    text: &str,
    buf: &mut String,
    keep_stopwords: bool,
    mut f: impl FnMut(&str, usize, usize),
) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some((c, len)) = char_at(text, i) {
        if !is_alphanumeric(c) {
            i += len;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut prev = c;
        let mut decimal = false;
        buf.clear();
        while let Some((next, len)) = char_at(text, i) {
            if next.is_ascii_alphanumeric() {
                let run = bytes[i..]
                    .iter()
                    .position(|b| !b.is_ascii_alphanumeric())
                    .unwrap_or(bytes.len() - i);
                let from = buf.len();
                buf.push_str(&text[i..i + run]);
                buf[from..].make_ascii_lowercase();
                i += run;
                end = i;
                prev = char::from(bytes[i - 1]);
                continue;
            }
            if is_alphanumeric(next) || (!next.is_ascii() && is_combining_mark(next)) {
                buf.extend(next.to_lowercase());
                end = i + len;
            } else {
                let rest = bytes.get(i + len..).unwrap_or_default();
                let joins = match next {
                    ',' => prev.is_ascii_digit() && thousands_group(rest),
                    '.' => prev.is_ascii_digit() && rest.first().is_some_and(u8::is_ascii_digit),
                    '\'' | '\u{2019}' => {
                        prev.is_alphabetic()
                            && char_at(text, i + len).is_some_and(|(a, _)| a.is_alphabetic())
                    }
                    _ => false,
                };
                if !joins {
                    break;
                }
                if next == '.' {
                    buf.push('.');
                    decimal = true;
                }
            }
            prev = next;
            i += len;
        }
        if decimal {
            if let Some(dot) = buf.rfind('.') {
                if buf[dot + 1..].bytes().all(|b| b == b'0') {
                    buf.truncate(dot);
                }
            }
        }
        if !keep_stopwords && is_stopword(buf) {
            continue;
        }
        if buf.ends_with('s') && !buf.ends_with("ss") && buf.chars().nth(3).is_some() {
            buf.pop();
            if !keep_stopwords && is_stopword(buf) {
                continue;
            }
        }
        f(buf, start, end);
    }
}

/// The char starting at byte `i` of `text` and its length; `None` at the end. `i` is
/// always a char boundary here (it only advances by whole chars).
pub(super) fn char_at(text: &str, i: usize) -> Option<(char, usize)> {
    match *text.as_bytes().get(i)? {
        b if b.is_ascii() => Some((b as char, 1)),
        _ => text.get(i..)?.chars().next().map(|c| (c, c.len_utf8())),
    }
}

pub(super) fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        c.is_alphanumeric()
    }
}

/// Whether the bytes after a comma are exactly three ASCII digits (then not a digit).
pub(super) fn thousands_group(after_comma: &[u8]) -> bool {
    after_comma.len() >= 3
        && after_comma[..3].iter().all(u8::is_ascii_digit)
        && !after_comma.get(3).is_some_and(u8::is_ascii_digit)
}

/// The combining-mark blocks (not alphanumeric in Unicode, but part of the letter before).
pub(super) fn is_combining_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}')
}

pub(super) fn is_stopword(word: &str) -> bool {
    // Every stopword is 1 to 4 bytes: most words are rejected by length alone.
    word.len() <= 4
        && matches!(
            word,
            "the"
                | "a"
                | "an"
                | "is"
                | "my"
                | "i"
                | "do"
                | "does"
                | "for"
                | "of"
                | "to"
                | "in"
                | "on"
                | "at"
                | "and"
                | "or"
                | "what"
                | "how"
                | "much"
                | "can"
                | "be"
                | "are"
                | "it"
                | "this"
                | "that"
                | "with"
                | "if"
                | "you"
                | "your"
                | "me"
                | "will"
                | "am"
                | "get"
                | "any"
        )
}
