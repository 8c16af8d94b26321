//! What a question asks for, read from its words, and whether a passage gives it.
//!
//! A member who asks what something costs ("How much is it to see a specialist?") wants
//! the passage that states the plan's figure for it, not the one that is merely about the
//! same service ("Do you need a referral to see a specialist? No."). Ranking
//! ([`adjust_for_question`]) and the answer span ([`crate::engine::answer`]) both use
//! this reading.

use super::answer;
use super::chunk::row_title;
use super::keyword::{tokenize, words, CHARGE_WORDS};

/// A question as a desktop keyboard types it, in single spaces: the typographic
/// punctuation phone keyboards type ("smart punctuation": `’`, `‘`, `“`, `”`) as `'`
/// and `"`, and every run of white space (no-break spaces, line breaks, a double space
/// after a full stop) as one space, none at the ends. The model embeds `What’s` and
/// `What's` differently; the readings below know the straight apostrophe ("a month's
/// worth") and single spaces ("out of network"). The same question typed on an iPhone,
/// on a laptop or pasted from an e-mail must get the same answer. The engine reads
/// every question through this ([`Query::question`](crate::Query::question)); passages
/// keep their text as written.
pub fn typed_plainly(question: &str) -> std::borrow::Cow<'_, str> {
    const PLAIN: &[(char, char)] = &[
        ('\u{2018}', '\''),
        ('\u{2019}', '\''),
        ('\u{201B}', '\''),
        ('\u{2032}', '\''),
        ('\u{201C}', '"'),
        ('\u{201D}', '"'),
        ('\u{201F}', '"'),
        ('\u{2033}', '"'),
    ];
    let plain = |c: char| {
        PLAIN
            .iter()
            .find(|(typed, _)| *typed == c)
            .map_or(c, |(_, p)| *p)
    };
    let typed = question
        .split_whitespace()
        .map(|w| w.chars().map(plain).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    if typed == question {
        question.into()
    } else {
        typed.into()
    }
}

/// Words that make a question about price: what the member pays. Besides the everyday
/// ones, the SBC Uniform Glossary's cost-sharing terms: copayment, coinsurance,
/// deductible, out-of-pocket limit ("pocket", "oop"), premium.
const PRICE_WORDS: &[&str] = &[
    "cost",
    "pay",
    "paid",
    "price",
    "charge",
    "free",
    "copay",
    "copayment",
    "coinsurance",
    "deductible",
    "much",
    "owe",
    "bill",
    "expensive",
    "cheap",
    "pocket",
    "oop",
    "premium",
];

/// Words that make a question about coverage: whether the plan pays at all.
const COVERAGE_WORDS: &[&str] = &["covered", "cover", "coverage"];

/// Whether a question asks a price.
pub fn asks_price(question: &str) -> bool {
    words(question)
        .iter()
        .any(|w| PRICE_WORDS.contains(&w.as_str()))
}

/// Whether a question asks a price or whether something is covered.
pub fn asks_cost_or_coverage(question: &str) -> bool {
    words(question)
        .iter()
        .any(|w| PRICE_WORDS.contains(&w.as_str()) || COVERAGE_WORDS.contains(&w.as_str()))
}

/// Words that end the name of what a question asks about: prepositions, conjunctions
/// and verbs ("is rehab *for* drinking covered", "cover massage *or* chiropractic").
const PHRASE_ENDS: &[&str] = &[
    "for", "of", "with", "in", "at", "on", "to", "after", "during", "under", "like", "by", "from",
    "if", "when", "or", "and", "but", "so", "because", "since", "while", "until", "as", "than",
    "before", "through", "without", "is", "are", "do", "does", "will", "would", "can", "be", "too",
    "also", "now", "yet", "still", "what", "how", "which", "where", "who", "whats", "what's",
];

/// Articles: one after a name's first word opens another noun phrase ("come to my house
/// a couple of times").
const ARTICLES: &[&str] = &["a", "an", "the"];

/// The verbs that open the name in "is X covered", "are X paid".
const BE: &[&str] = &["is", "are", "was", "were", "be", "been", "get", "gets"];

/// The verbs that open a participle after an auxiliary ("will X *be* covered",
/// "does X *get* paid").
const PASSIVE_AFTER_AUX: &[&str] = &["be", "get"];

/// The auxiliaries that open the name in "will X be covered", "does X get paid".
const AUX: &[&str] = &[
    "will", "would", "can", "could", "should", "might", "may", "do", "does", "did",
];

/// The verbs that open the name in "what do X cost", "how much will X cost".
const DO: &[&str] = &["do", "does", "did", "will", "would"];

/// The verbs whose "to" names where care is had ("go to urgent care", "can a nurse
/// come to my house", "admitted to the hospital").
const PLACE_VERBS: &[&str] = &["go", "goes", "went", "going", "come", "comes", "admitted"];

/// The verbs whose "at" or "in" names where care is had ("stay at a nursing facility").
const STAY_VERBS: &[&str] = &["stay", "stays", "stayed", "staying"];

/// A thing a question asks about ([`asked_services`]), by each name it gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Asked<T> {
    /// Its names ("a flu shot or vaccines": two names of one thing).
    pub names: Vec<T>,
    /// Whether it is where the member goes for care ("if I go to an urgent care
    /// clinic", "can a nurse come to my house") rather than what they ask to be
    /// covered or charged for: the question is about it, and it says which row of a
    /// table answers, but a plan need not name the place to answer.
    pub place: bool,
}

/// What a question asks the plan to cover or charge for, each as its names, as written
/// (lower case): the words between a verb and its participle ("Is a birth doula
/// covered?", "what do the rehab sessions cost?", "will breast reconstruction be
/// covered?"), or after "cover", "pay for", "how much is", a charge's "of", "for" or
/// "on", what a provider "charges for", the "to" of "go to", "come to" or "admitted to"
/// and the "at" or "in" of "stay at" ("does it cover massage therapy?", "copay for an
/// MRI", "if I go to an urgent care clinic", "stay at a nursing facility"), up to a
/// preposition, conjunction, verb or question word (`PHRASE_ENDS`) or an article after
/// its first word, at most four words; or the words right before a charge ("generic
/// drug copay?", "walk-in clinic cost when my doctor's office is closed"), back to such
/// a word, at most four. A name followed by "or" has the name after it as an
/// alternative of the same thing ("do I pay for a flu shot or vaccines" asks about one
/// thing, called "a flu shot" or "vaccines"). A statement of what is covered ("PT is
/// covered") asks nothing, an amount of time is no service ("pay for a month's worth"),
/// and a pronoun names none of its own ("does the plan cover those?": its words are no
/// topic). Where the member goes, stays or has come to them (`PLACE_VERBS`,
/// `STAY_VERBS`) is a place of care, which the question is about but need not ask to
/// be covered ([`Asked::place`]).
pub fn asked_services(question: &str) -> Vec<Asked<String>> {
    let lower = question.to_lowercase();
    // Words, with the end of a clause (`,`, `.`, `?`, `!`, `;`, `:`) as an empty word.
    let mut words: Vec<&str> = Vec::new();
    for raw in lower.split_whitespace() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if !word.is_empty() {
            words.push(word);
        }
        if raw.ends_with([',', '.', '?', '!', ';', ':']) {
            words.push("");
        }
    }
    let ends = |w: &&str| w.is_empty() || PHRASE_ENDS.contains(w);
    // The name that starts at word `from` and ends before word `end` at the latest.
    let name_at = |from: usize, end: usize| -> Vec<&str> {
        words[from.min(end).min(words.len())..end.min(words.len())]
            .iter()
            .enumerate()
            .take_while(|(i, w)| !ends(w) && (*i == 0 || !ARTICLES.contains(w)))
            .map(|(_, w)| *w)
            .collect()
    };
    // Where the name between the nearest of `verbs` (at most six words back) and word
    // `j` starts.
    let opener = |verbs: &[&str], j: usize| -> Option<usize> {
        (j.saturating_sub(6)..j)
            .rev()
            .find(|&i| verbs.contains(&words[i]))
            .map(|i| i + 1)
    };
    let previous = |j: usize| j.checked_sub(1).map_or("", |i| words[i]);
    // Where the name right before word `j` starts ("generic drug" of "generic drug
    // copay?"), at most four words back.
    let name_before = |j: usize| {
        (j.saturating_sub(4)..j)
            .rev()
            .take_while(|&i| !ends(&words[i]))
            .last()
    };
    let is_name = |name: &[&str]| {
        let an_amount_of_time = name
            .iter()
            .any(|w| TIME_UNITS.contains(&w.trim_end_matches("'s")));
        !name.is_empty() && name.len() <= 4 && !an_amount_of_time
    };
    let mut out = Vec::new();
    for (j, w) in words.iter().enumerate() {
        let next = words.get(j + 1).copied().unwrap_or("");
        // Where the name starts, and the word it ends before at the latest.
        let (from, end) = match *w {
            "covered" | "paid" => match opener(BE, j) {
                // "will X be covered", "does X get paid": the name is before the verb
                // that opens the participle, after the auxiliary before that.
                Some(from) if from == j && PASSIVE_AFTER_AUX.contains(&previous(j)) => {
                    match opener(AUX, j - 1) {
                        Some(from) => (from, j - 1),
                        None => continue,
                    }
                }
                Some(from) => (from, j),
                None => continue,
            },
            // "what do X cost", or a name before its charge: "walk-in clinic cost",
            // "generic drug copay?", "PT coinsurance".
            "cost" | "costs" => match opener(DO, j).or_else(|| name_before(j)) {
                Some(from) => (from, j),
                None => continue,
            },
            charge if CHARGE_WORDS.contains(&charge.trim_end_matches('s')) => {
                match name_before(j) {
                    Some(from) => (from, j),
                    None => continue,
                }
            }
            "cover" | "covers" => (j + 1, words.len()),
            "pay" | "pays" if next == "for" => (j + 2, words.len()),
            "much" if previous(j) == "how" && matches!(next, "is" | "are") => (j + 2, words.len()),
            // A charge's "of", "for" or "on" names what it is for ("copay for an MRI"), as
            // does what a provider charges for ("what will the hospital charge for").
            "of" | "for" | "on" if CHARGE_WORDS.contains(&previous(j)) => (j + 1, words.len()),
            "for" if matches!(previous(j), "charge" | "charges") => (j + 1, words.len()),
            "to" if PLACE_VERBS.contains(&previous(j)) => (j + 1, words.len()),
            "at" | "in" if STAY_VERBS.contains(&previous(j)) => (j + 1, words.len()),
            _ => continue,
        };
        let mut names: Vec<String> = Vec::new();
        let mut at = from;
        loop {
            let name = name_at(at, end);
            if is_name(&name) {
                names.push(name.join(" "));
            }
            at += name.len();
            if name.is_empty() || words.get(at) != Some(&"or") || at >= end {
                break;
            }
            at += 1;
        }
        if !names.is_empty() {
            out.push(Asked {
                names,
                place: matches!(*w, "to" | "at" | "in"),
            });
        }
    }
    out
}

/// Words that open a yes/no question ("Do my copays count toward the out-of-pocket
/// maximum?", "Is there a flat copay for the ER?").
const YES_NO_OPENERS: &[&str] = &[
    "do", "does", "did", "is", "are", "was", "were", "will", "would", "can", "could", "should",
    "am", "has", "have", "may",
];

/// Whether a question asks yes or no (it opens with an auxiliary verb) rather than for
/// a figure ("How much is the ER?", "ER copay?").
pub fn asks_yes_no(question: &str) -> bool {
    let first = question
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_lowercase();
    YES_NO_OPENERS.contains(&first.as_str())
}

/// Whether a text states a cost or coverage: a dollar figure, a percentage, or the
/// words plans use for one (not a bare "covered": "covered services" states nothing).
/// Naming the kind of cost sharing ("copay", "coinsurance") counts: in a passage it
/// goes with the figure ("Specialist visit: copay applies" in a table whose header
/// gives it).
pub fn states_cost(text: &str) -> bool {
    states_figure(text) || {
        let lower = text.to_lowercase();
        ["copay", "coinsurance"].iter().any(|w| lower.contains(w))
    }
}

/// Whether a text states what a member pays or whether a service is covered, not just
/// the kind of charge: a dollar figure, a percentage, "no charge", "free", "not
/// covered", "excluded". "$250 copay" does; "The deductible does not apply to the ER
/// copay" does not.
pub fn states_figure(text: &str) -> bool {
    let lower = text.to_lowercase();
    let digit_after = |mark: char| {
        lower
            .match_indices(mark)
            .any(|(i, _)| lower[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
    };
    let digit_before_percent = lower.match_indices('%').any(|(i, _)| {
        lower[..i]
            .trim_end()
            .ends_with(|c: char| c.is_ascii_digit())
    });
    digit_after('$')
        || digit_before_percent
        || [
            "no charge",
            "not covered",
            "not cover",
            "free",
            "no cost",
            "excluded",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// How questions ask for a length of time: "how long do I have to appeal", "how many
/// days in a skilled nursing facility", "deadline to file a claim".
const DURATION_ASKS: &[&str] = &[
    "how long",
    "how soon",
    "how many days",
    "how many weeks",
    "how many months",
    "how many years",
    "how many hours",
    "deadline",
    "time limit",
    "within how",
];

/// Units of time a plan states limits in.
const TIME_UNITS: &[&str] = &[
    "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year", "years",
];

/// Numbers plans write in words ("within four months", "sixty days").
const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "fifteen", "twenty", "thirty", "forty", "sixty", "ninety", "hundred",
];

/// Whether a question asks for a length of time (a deadline, a limit in days).
pub fn asks_duration(question: &str) -> bool {
    let lower = question
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    DURATION_ASKS.iter().any(|p| has_phrase(&lower, p))
}

/// Whether `phrase` occurs in `lower` (lower-cased text) as whole words: "oon" is not in
/// "soon" or "noon", "how long" is not in "somehow longer".
fn has_phrase(lower: &str, phrase: &str) -> bool {
    phrase_ends(lower, phrase).next().is_some()
}

/// Where each whole-word occurrence of `phrase` in `lower` ends ([`has_phrase`]).
fn phrase_ends<'a>(lower: &'a str, phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    lower.match_indices(phrase).filter_map(move |(i, _)| {
        let end = i + phrase.len();
        let before = lower[..i].chars().next_back();
        let after = lower[end..].chars().next();
        (!before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric))
            .then_some(end)
    })
}

/// Whether a text states a length of time: a number, in digits or words, then a unit of
/// time, perhaps with "calendar" or "business" between ("180 days", "90-day",
/// "four months", "72 hours", "30 calendar days").
pub fn states_duration(text: &str) -> bool {
    let lower = text.to_lowercase().replace('-', " ");
    let tokens: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == ','))
        .map(|t| t.trim_matches(','))
        .filter(|t| !t.is_empty())
        .collect();
    let is_number = |t: &str| {
        (t.chars().all(|c| c.is_ascii_digit() || c == ',')
            && t.starts_with(|c: char| c.is_ascii_digit()))
            || NUMBER_WORDS.contains(&t)
    };
    tokens.iter().enumerate().any(|(i, t)| {
        TIME_UNITS.contains(t) && {
            let before = |k: usize| i.checked_sub(k).map(|j| tokens[j]);
            before(1).is_some_and(is_number)
                || (matches!(before(1), Some("calendar" | "business" | "working"))
                    && before(2).is_some_and(is_number))
        }
    })
}

/// Ways plans and members name the out-of-network side of a benefit (SBC column
/// headers: "Out-of-Network Provider", "Non-Preferred Provider", "Non-Plan Provider").
const OUT_OF_NETWORK: &[&str] = &[
    "out of network",
    "out-of-network",
    "outofnetwork",
    "oon",
    "non-network",
    "non network",
    "nonnetwork",
    "non-preferred",
    "non preferred",
    "non-plan",
    "non plan",
    "non-participating",
    "not in network",
    "not in-network",
    "isn't in network",
    "isnt in network",
    "not in the network",
    "not in your network",
    "not in my network",
];

/// Words after "non-preferred" that make it a drug tier ("non-preferred brand drugs",
/// "my inhaler is non preferred brand now"), not the network side.
const DRUG_TIER_WORDS: &[&str] = &[
    "brand",
    "brands",
    "brand-name",
    "generic",
    "generics",
    "drug",
    "drugs",
    "medication",
    "medications",
    "med",
    "meds",
    "medicine",
    "medicines",
    "prescription",
    "prescriptions",
    "rx",
    "tier",
    "specialty",
];

/// `text` in lower case with every kind of dash a hyphen ("Out–of–Network" →
/// "out-of-network").
fn lower_with_hyphens(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| {
            if matches!(c, '–' | '—' | '‐' | '‑') {
                '-'
            } else {
                c
            }
        })
        .collect()
}

/// Whether a text names the out-of-network side ("what do I pay at an out-of-network
/// urgent care", "Out–of–Network Provider: 50% coinsurance"). Dashes of any kind count.
/// "Non-preferred" before a drug word is a drug tier ("non-preferred brand drugs").
pub fn names_out_of_network(text: &str) -> bool {
    let lower = lower_with_hyphens(text);
    OUT_OF_NETWORK.iter().any(|w| {
        phrase_ends(&lower, w).any(|end| !(w.starts_with("non") && before_drug_word(&lower, end)))
    })
}

/// Whether the word after byte `end` of `lower` is a drug word ([`DRUG_TIER_WORDS`]):
/// "non-preferred" before it names a drug tier.
fn before_drug_word(lower: &str, end: usize) -> bool {
    lower[end..]
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .find(|t| !t.is_empty())
        .is_some_and(|next| DRUG_TIER_WORDS.contains(&next))
}

/// Whether a text speaks of the out-of-network side alone: it names that side
/// ([`names_out_of_network`]) and, with those names taken out, no network or preferred,
/// plan or participating provider ("limited to $150/day for non-network", not "For
/// preferred providers $250 person. For non-preferred providers $500 person").
pub fn names_only_out_of_network(text: &str) -> bool {
    if !names_out_of_network(text) {
        return false;
    }
    let mut rest = lower_with_hyphens(text);
    for name in OUT_OF_NETWORK {
        rest = rest.replace(name, " ");
    }
    ![
        "network",
        "preferred provider",
        "plan provider",
        "participating provider",
    ]
    .iter()
    .any(|w| rest.contains(w))
}

/// Whether a `Header: value` line is the out-of-network side's figure: its header (up to
/// the first colon) names that side and a provider or network ("What You Will Pay —
/// Out-of-Network Provider (You will pay the most): 40% coinsurance", "Your Cost If You
/// Use a Non-Plan Provider: Not covered", "OON coinsurance: 40%"), not a drug tier
/// ("Non-preferred brand drugs: $60 copay").
pub fn is_out_of_network_line(line: &str) -> bool {
    let Some((header, _)) = line.split_once(':') else {
        return false;
    };
    let lower = header.to_lowercase();
    names_out_of_network(header)
        && ["provider", "network", "oon"]
            .iter()
            .any(|w| lower.contains(w))
}

/// Whether a text speaks of a penalty ("a $250 penalty will apply", "Penalty of $400
/// … for failure to obtain pre-authorization", "what are the penalties if …").
pub fn names_penalty(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["penalty", "penalties"]
        .iter()
        .any(|w| has_phrase(&lower, w))
}

/// How much of the fused score (0–1) a passage that states no cost loses when the
/// question asks a price. Bounded, so a passage about the question's service that gives
/// no figure still ranks above one about something else that does; measured on the dev
/// halves (`pkg-scripts/bench.sh quality`): real-SBC dev top-1 0.573 at 0, 0.573 at
/// 0.1–0.15, 0.583 at 0.25, 0.594 at 0.4, 0.615 from 0.6 on (where it becomes a
/// partition: any figure first); the sample set's dev top-1 stays 0.851 throughout.
/// 0.4 is the largest bounded value.
pub const NO_PRICE_PENALTY: f32 = 0.4;

/// Phrases of the federal SBC template's "Coverage Examples" section (both the 2012 and
/// the 2020 editions): "These examples show how this plan might cover medical care",
/// "Sample care costs", "Total Example Cost", "This is not a cost estimator", …
const WORKED_EXAMPLE_MARKS: &[&str] = &[
    "coverage example",
    "these examples show",
    "sample care costs",
    "total example cost",
    "not a cost estimator",
    "in this example",
    "example covered services",
    "amount owed to providers",
    "patient pays",
];

/// Whether a passage is one of an SBC's worked coverage examples (a sample patient's
/// costs for having a baby, managing diabetes or a fracture). They name many services
/// and dollar figures, but they illustrate; the benefit rows state the plan's terms.
pub fn is_worked_example(text: &str) -> bool {
    let lower = text.to_lowercase();
    WORKED_EXAMPLE_MARKS.iter().any(|mark| lower.contains(mark))
}

/// Whether a question asks for an example ("show me the coverage examples"), which a
/// worked coverage example answers.
pub fn asks_for_example(question: &str) -> bool {
    words(question).iter().any(|w| w.starts_with("example"))
}

/// How much of the fused score (0–1) a worked coverage example loses, unless the
/// question asks for an example. Bounded like [`NO_PRICE_PENALTY`], so an example still
/// answers when nothing else is on topic. Real-SBC top-1 (`pkg-scripts/bench.sh
/// quality`, int8) at 0 / 0.1 / 0.2 / 0.3 / 0.5 / 0.8: dev 0.625 / 0.635 / 0.646 / 0.646 /
/// 0.646 / 0.646 (MRR rising to 0.748); then measured once at 0.3: held-out 0.552 → 0.542,
/// fresh questions 0.396 → 0.417.
pub const WORKED_EXAMPLE_PENALTY: f32 = 0.3;

/// Headings of the SBC template's list of excluded services, in both of its editions
/// ("Services Your Plan Generally Does NOT Cover", "Services Your Plan Does NOT Cover").
const EXCLUSION_LIST_MARKS: &[&str] = &[
    "your plan generally does not cover",
    "your plan does not cover",
];

/// The heading of its list of other covered services.
const OTHER_SERVICES_MARK: &str = "other covered services";

/// A passage's text in lower case with single spaces, for finding a heading in it.
fn as_heading_text(text: &str) -> String {
    text.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a passage is (part of) an SBC's lists of excluded and other covered services.
pub fn is_service_list(text: &str) -> bool {
    let lower = as_heading_text(text);
    EXCLUSION_LIST_MARKS
        .iter()
        .chain([&OTHER_SERVICES_MARK])
        .any(|mark| lower.contains(mark))
}

/// The words that negate "cover" or "pay" ("what isn't covered", "what won't the plan
/// pay for"), as [`words`] reads them (apostrophes dropped).
const NEGATIONS: &[&str] = &[
    "not", "isnt", "arent", "doesnt", "dont", "didnt", "wont", "cant", "never", "no",
];

/// Words of excluding, as [`words`] reads them ("excludes" → "exclude").
const EXCLUSION_WORDS: &[&str] = &["exclude", "excluded", "exclusion"];

/// Whether a question asks what the plan does not cover ("what services aren't covered
/// at all", "what does my plan exclude?"): the SBC's list of excluded services answers.
pub fn asks_not_covered(question: &str) -> bool {
    let w = words(question);
    w.iter().any(|t| EXCLUSION_WORDS.contains(&t.as_str()))
        || w.iter().enumerate().any(|(i, t)| {
            NEGATIONS.contains(&t.as_str())
                && w[i + 1..(i + 4).min(w.len())]
                    .iter()
                    .any(|c| matches!(c.as_str(), "cover" | "covered" | "pay" | "paid"))
        })
}

/// Whether a passage is (part of) an SBC's list of excluded services.
pub fn is_exclusion_list(text: &str) -> bool {
    let lower = as_heading_text(text);
    EXCLUSION_LIST_MARKS.iter().any(|mark| lower.contains(mark))
}

/// How much of the fused score (0–1) a list of services loses when it names none of the
/// question's topic words: a list answers for the services it names ("Is acupuncture
/// covered?" → "• Acupuncture"), not for every question about coverage, which its
/// headings' "cover" and "covered" otherwise match. Bounded like
/// [`WORKED_EXAMPLE_PENALTY`].
pub const UNNAMED_LIST_PENALTY: f32 = 0.3;

/// How much of the fused score (0–1) a table row gains when its label says the whole
/// name of what the question asks to be covered or charged for ([`asked_services`]:
/// "how much is urgent care" → "Services You May Need: Urgent care"): that row is the
/// plan's line for it, where rows whose limitations mention it in passing ("referral
/// needed, except for urgent care") are not. Bounded like [`NO_PRICE_PENALTY`].
/// Real-SBC top-1 (`benefind bench sbc --weights int8`) at 0 / 0.05 / 0.1 / 0.2 / 0.3:
/// dev 0.812 / 0.812 / 0.812 / 0.812 / 0.818 (chosen by it: the only value that moves
/// dev); held-out 0.750 / 0.771 / 0.781 / 0.781 / 0.781; fresh 0.694 and fresh3 0.651
/// throughout. The sample set (no SBC rows) and the answers are unchanged.
pub const NAMED_ROW_BONUS: f32 = 0.3;

/// Whether `text` is a table row whose label says the whole of a name of what a
/// question asks about (`asked`, [`answer::asked_names`]): the plan's line for it
/// ("Services You May Need: Urgent care" for "how much is urgent care").
pub(crate) fn is_named_row(text: &str, asked: &[Asked<answer::Name>]) -> bool {
    !asked.is_empty()
        && row_title(text).is_some_and(|[_, label]| {
            let label = tokenize(label);
            asked
                .iter()
                .flat_map(|asked| &asked.names)
                .any(|name| answer::says_whole(name, &label))
        })
}

/// Two kinds of care that SBCs price on separate rows, each with the words that name it
/// in a question or in a row's title.
#[derive(Debug, Clone, Copy)]
pub struct Contrast {
    /// Each kind's name and its words (whole words, lower case).
    pub kinds: [(&'static str, &'static [&'static str]); 2],
}

impl Contrast {
    /// The kind `text` (a question, a row's event and label) names, when it names one and
    /// not the other.
    pub fn named(&self, text: &str) -> Option<&'static str> {
        self.named_in(&lower_with_hyphens(text))
    }

    /// [`Contrast::named`] for text already lowered by [`lower_with_hyphens`].
    fn named_in(&self, lower: &str) -> Option<&'static str> {
        let [first, second] = self
            .kinds
            .map(|(_, words)| words.iter().any(|w| has_phrase(lower, w)));
        match (first, second) {
            (true, false) => Some(self.kinds[0].0),
            (false, true) => Some(self.kinds[1].0),
            _ => None,
        }
    }
}

/// Where care is given: admitted (glossary "Hospitalization": "admission as an
/// inpatient ... usually an overnight stay"; SBC event "If you have a hospital stay"), or
/// coming and going (SBC rows "…outpatient services", "Office visits"; members speak of
/// sessions and weekly appointments; the emergency room is a visit too).
pub const SETTING: Contrast = Contrast {
    kinds: [
        (
            "inpatient",
            &[
                "inpatient",
                "admitted",
                "admission",
                "hospitalized",
                "overnight",
                "nights",
                "residential",
                "hospital stay",
                "stay in the hospital",
            ],
        ),
        (
            "outpatient",
            &[
                "outpatient",
                "office",
                "session",
                "sessions",
                "appointment",
                "appointments",
                "appt",
                "appts",
                "weekly",
                "a week",
                "per week",
                "every week",
                "each week",
                "emergency room",
            ],
        ),
    ],
};

/// Who bills: the facility (SBC rows "Facility fee (e.g., hospital room)",
/// "Childbirth/delivery facility services"; members speak of what "the hospital
/// charges"), or the professionals (rows "Physician/surgeon fees", "Childbirth/delivery
/// professional services").
pub const BILLER: Contrast = Contrast {
    kinds: [
        (
            "facility",
            &[
                "facility",
                "hospital charge",
                "hospital charges",
                "hospital bill",
                "hospital bills",
                "hospital fee",
                "hospital fees",
                "hospital's bill",
                "hospital's charges",
                "hospital room",
                "room and board",
            ],
        ),
        (
            "professional",
            &[
                "professional",
                "physician",
                "physicians",
                "surgeon",
                "surgeons",
                "anesthesia",
                "anesthesiologist",
                "doctor's fee",
                "doctor's bill",
                "doctor bill",
                "doctor fee",
            ],
        ),
    ],
};

/// Why a member sees the doctor: to prevent (glossary "Preventive Care": "routine
/// health care, including screenings, check-ups"; SBC row "Preventive
/// care/screening/immunization"), or because they are sick or hurt (row "Primary care
/// visit to treat an injury or illness").
pub const PURPOSE: Contrast = Contrast {
    kinds: [
        (
            "preventive",
            &[
                "preventive",
                "preventative",
                "prevention",
                "checkup",
                "checkups",
                "check-up",
                "check-ups",
                "check up",
                "annual",
                "yearly",
                "screening",
                "screenings",
                "wellness",
                "well visit",
                "well-child",
                "well child",
                "well-baby",
                "immunization",
                "immunizations",
                "vaccine",
                "vaccines",
                "vaccination",
                "vaccinations",
            ],
        ),
        (
            "sick",
            &[
                "sick",
                "ill",
                "illness",
                "injury",
                "injured",
                "hurt",
                "sore",
                "infection",
                "fever",
            ],
        ),
    ],
};

/// Which part of a pregnancy: the visits before and after (SBC rows "Office visits",
/// "Prenatal and postnatal care" under "If you are pregnant"), or the birth itself (rows
/// "Childbirth/delivery professional services", "…facility services").
pub const MATERNITY: Contrast = Contrast {
    kinds: [
        (
            "visits",
            &[
                "prenatal",
                "pre-natal",
                "postnatal",
                "post-natal",
                "postpartum",
                "visits",
                "checkups",
                "check-ups",
                "appointments",
            ],
        ),
        (
            "birth",
            &[
                "childbirth",
                "delivery",
                "deliver",
                "delivering",
                "labor",
                "labour",
                "give birth",
                "giving birth",
                "gave birth",
                "having the baby",
                "having a baby",
                "have the baby",
                "have a baby",
                "c-section",
                "cesarean",
                "caesarean",
            ],
        ),
    ],
};

/// What "rehab" is for: drinking or drugs (glossary "Substance Use Disorder Services";
/// SBC event "If you have mental health, behavioral health, or substance abuse needs"),
/// or the body's recovery (glossary "Rehabilitation Services": physical and
/// occupational therapy; SBC row "Rehabilitation services").
pub const RECOVERY: Contrast = Contrast {
    kinds: [
        (
            "substance use",
            &[
                "substance",
                "alcohol",
                "alcoholism",
                "drinking",
                "addiction",
                "addicted",
                "detox",
                "sober",
                "sobriety",
                "drug use",
                "opioid",
                "opioids",
            ],
        ),
        (
            "rehabilitation",
            &[
                "rehabilitation",
                "physical therapy",
                "occupational therapy",
                "physiotherapy",
                "physio",
            ],
        ),
    ],
};

/// Whose care: a child's (SBC event "If your child needs dental or eye care", rows
/// "Children's eye exam", "Children's glasses"), or the member's own as an adult (the
/// exclusion lists' "Dental care (Adult)", "Routine eye care (Adult)"; members say
/// "for myself", "my own"). An age in digits names neither: reading "my 8 year old" and
/// "I'm 35" as well moved no question of any half.
pub const AGE: Contrast = Contrast {
    kinds: [
        (
            "child",
            &[
                "child",
                "children",
                "childs",
                "kid",
                "kids",
                "son",
                "daughter",
                "pediatric",
                "toddler",
                "infant",
                "teen",
                "teenager",
            ],
        ),
        (
            "adult",
            &[
                "adult", "adults", "myself", "my own", "for me", "husband", "wife", "spouse",
            ],
        ),
    ],
};

/// The contrasts [`adjust_for_question`] reads.
const CONTRASTS: [Contrast; 6] = [SETTING, BILLER, PURPOSE, MATERNITY, RECOVERY, AGE];

/// Kinds of drug that SBCs price on separate rows (tiers: "Generic drugs", "Preferred
/// brand drugs", "Non-preferred brand drugs", "Specialty drugs"; "Tier 2 – Typically
/// Preferred/Formulary Brand"), most specific first, each with the words that name it
/// ("non-…" before a drug word only: a "non-preferred provider" is the network side).
const DRUG_KINDS: &[(&str, &[&str])] = &[
    ("specialty", &["specialty", "biologic", "biologics"]),
    (
        "non-preferred",
        &[
            "non-preferred",
            "non preferred",
            "nonpreferred",
            "non-formulary",
            "non formulary",
            "nonformulary",
        ],
    ),
    ("brand", &["brand", "brands", "brand-name"]),
    ("generic", &["generic", "generics"]),
];

/// The kind of drug `text` (a question, a row's event and label) names: the most
/// specific it names ("a brand name with no generic yet" is a brand drug, "non-preferred
/// generic/brand drugs" non-preferred ones).
pub fn named_drug_kind(text: &str) -> Option<&'static str> {
    drug_kind_in(&lower_with_hyphens(text))
}

/// [`named_drug_kind`] for text already lowered by [`lower_with_hyphens`].
fn drug_kind_in(lower: &str) -> Option<&'static str> {
    DRUG_KINDS
        .iter()
        .find(|(kind, words)| {
            words.iter().any(|w| {
                phrase_ends(lower, w)
                    .any(|end| !w.starts_with("non") || before_drug_word(lower, end))
            }) || (*kind == "non-preferred" && negates_preferred(lower))
        })
        .map(|(kind, _)| *kind)
}

/// Words after "preferred" that make it the network side ("not a preferred provider"),
/// as [`words`] reads them (plurals stemmed: "pharmacies" → "pharmacie").
const PROVIDER_WORDS: &[&str] = &[
    "provider",
    "doctor",
    "network",
    "pharmacy",
    "pharmacie",
    "hospital",
    "facility",
];

/// Whether a text about drugs says one is not preferred, in the member's words rather
/// than the tier's: "a brand medication that isn't on the preferred list", "my meds
/// are not on the formulary", "my med is no longer preferred". A negation within the three
/// words before "preferred" or "formulary" ([`NEGATIONS`], or "off": "taken off the
/// formulary"), a drug word anywhere, and no provider after ("not a preferred
/// pharmacy" is the network side). Read by [`words`], as [`asks_not_covered`] reads
/// its negations.
fn negates_preferred(lower: &str) -> bool {
    if !(lower.contains("preferred") || lower.contains("formulary")) {
        return false;
    }
    let words = words(lower);
    words.iter().any(|w| DRUG_TIER_WORDS.contains(&w.as_str()))
        && words.iter().enumerate().any(|(i, w)| {
            (w == "preferred" || w == "formulary")
                && words[i.saturating_sub(3)..i]
                    .iter()
                    .any(|n| n == "off" || NEGATIONS.contains(&n.as_str()))
                && !words
                    .get(i + 1)
                    .is_some_and(|next| PROVIDER_WORDS.contains(&next.as_str()))
        })
}

/// What kind of care `lower` (lowered by [`lower_with_hyphens`]) names for each
/// [`Contrast`] of [`CONTRASTS`], then the kind of drug: one reading per place, so that a
/// question's and a row title's can be compared place by place.
fn kinds_named(lower: &str) -> impl Iterator<Item = Option<&'static str>> + '_ {
    CONTRASTS
        .iter()
        .map(move |contrast| contrast.named_in(lower))
        .chain(std::iter::once_with(move || drug_kind_in(lower)))
}

/// How much of the fused score (0–1) a table row loses for each [`Contrast`] whose other
/// kind it is for than the one the question names ("a counselor once a week, each
/// session": the inpatient row yields to the outpatient one; "what will the hospital
/// charge for the delivery": the professional services row yields to the facility's).
/// Bounded like [`NO_PRICE_PENALTY`]. Real-SBC top-1 (`benefind bench sbc --weights
/// int8`), [`SETTING`] alone at 0 / 0.1 / 0.2 / 0.3: dev5 0.943 / 0.953 / 0.953 / 0.953,
/// the other dev halves unchanged (dev4's answers from a relevant row 0.906 / 0.906 /
/// 0.906 / 0.901: chosen 0.2); held-out 0.812 throughout; blind halves, measured only:
/// fresh5 0.760 / 0.781 / 0.797 / 0.802, fresh6 0.740 / 0.766 / 0.771 / 0.771, fresh and
/// fresh3 unchanged. [`BILLER`] added at 0.2: dev4 0.906 → 0.911, dev5 0.953 → 0.958;
/// held-out unchanged; fresh6 0.771 → 0.797. The kind of drug ([`named_drug_kind`])
/// added at 0.2: dev4 0.911 → 0.932, dev5 0.958 → 0.964; dev and held-out unchanged;
/// fresh 0.701 → 0.722, fresh3 0.745 → 0.740, fresh5 0.797 → 0.807, fresh6 0.797 → 0.792.
/// [`PURPOSE`] added: the dev halves and held-out unchanged, fresh3 0.740 → 0.745;
/// [`MATERNITY`] then: dev5 0.964 → 0.969, fresh5 0.807 → 0.812, the rest unchanged;
/// [`RECOVERY`] then: dev 0.943 → 0.948 (its answers from a relevant row 0.922 → 0.932),
/// the rest unchanged. A row of another kind then losing [`NAMED_ROW_BONUS`] too: dev
/// 0.948 → 0.953 (answers from a relevant row 0.932 → 0.938), the rest unchanged; two
/// dev4 answers move from another row's line to the right row's out-of-network "Not
/// covered" (its in-network cell states no figure: "Applicable cost as noted above").
/// The sample set's ranking and answers are unchanged (its passages are not SBC rows).
/// A drug said not to be preferred in the member's words ("isn't on the preferred
/// list") then read as non-preferred: dev7 0.630 → 0.651, fresh5 0.812 → 0.818, fresh6
/// 0.792 → 0.812, the rest unchanged. [`AGE`] then: fresh 0.722 → 0.729, the rest
/// unchanged (dev7's MRR 0.747 → 0.751). "Every week" and "each week" read as
/// outpatient too: dev7 0.651 → 0.667, the rest unchanged; and "emergency room" (a
/// visit the member comes and goes from, unless admitted: "admitted for 3 nights, what
/// do I pay for the room" ranked the ER row first for its "room"): dev7 0.667 → 0.677,
/// fresh5 0.818 → 0.828, the rest unchanged.
pub const OTHER_KIND_PENALTY: f32 = 0.2;

/// Re-orders fused candidates (row, score in 0–1, best first) for a question:
/// * a table row whose label names what it asks about gains [`NAMED_ROW_BONUS`], unless
///   it is of another kind (below) than the question names: "rehab for drinking" is not
///   the "Rehabilitation services" row's rehab;
/// * a table row for another kind of care than the one it names, for each [`Contrast`]
///   (admitted or coming and going, the facility or the professionals, to prevent or to
///   treat, a pregnancy's visits or the birth, rehab for substance use or the body),
///   and a row for
///   another kind of drug ([`named_drug_kind`]) drop by [`OTHER_KIND_PENALTY`] each;
/// * when it asks a price, passages that state no cost drop by [`NO_PRICE_PENALTY`];
/// * unless it asks for an example, worked coverage examples drop by
///   [`WORKED_EXAMPLE_PENALTY`];
/// * lists of services that name none of its topic words drop by
///   [`UNNAMED_LIST_PENALTY`];
/// * when it asks what the plan does not cover ([`asks_not_covered`]), the list of
///   excluded services gains [`NAMED_ROW_BONUS`], where it names what else the question
///   does ("is acupuncture excluded?").
///
/// Passages no rule touches keep their order.
pub fn adjust_for_question<'a>(
    question: &str,
    scored: &mut [(u32, f32)],
    text: impl Fn(u32) -> Option<&'a str>,
) {
    let price = asks_price(question);
    let examples = !asks_for_example(question);
    let topics = answer::topic_words(question);
    let names = answer::asked_names(question, &[]);
    let not_covered = asks_not_covered(question);
    // What a question about exclusions names besides excluding ("is acupuncture
    // excluded?": acupuncture).
    let excluded: Vec<answer::TopicWord> = topics
        .iter()
        .filter(|t| !EXCLUSION_WORDS.contains(&t.word.as_str()))
        .cloned()
        .collect();
    let asked_kinds: Vec<_> = kinds_named(&lower_with_hyphens(question)).collect();
    for (row, score) in scored.iter_mut() {
        let text = text(*row).unwrap_or("");
        // How many of the kinds the question names the row's title names otherwise.
        let other_kinds = row_title(text).map_or(0, |[event, label]| {
            let title = lower_with_hyphens(&format!("{event} {label}"));
            kinds_named(&title)
                .zip(&asked_kinds)
                .filter(|(row, asked)| asked.is_some_and(|a| row.is_some_and(|r| r != a)))
                .count()
        });
        *score -= OTHER_KIND_PENALTY * other_kinds as f32;
        if other_kinds == 0 && is_named_row(text, &names) {
            *score += NAMED_ROW_BONUS;
        }
        if price && !states_cost(text) {
            *score -= NO_PRICE_PENALTY;
        }
        if examples && is_worked_example(text) {
            *score -= WORKED_EXAMPLE_PENALTY;
        }
        if is_service_list(text) && !answer::mentions_topic(&topics, &tokenize(text)) {
            *score -= UNNAMED_LIST_PENALTY;
        }
        if not_covered
            && is_exclusion_list(text)
            && answer::mentions_topic(&excluded, &tokenize(text))
        {
            *score += NAMED_ROW_BONUS;
        }
    }
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_punctuation_reads_as_a_keyboard_types_it() {
        assert_eq!(
            typed_plainly(
                "What\u{2019}s my copay for a \u{201C}specialist\u{201D}?\u{00A0}I\u{2018}m asking"
            ),
            "What's my copay for a \"specialist\"? I'm asking"
        );
        // White space as one space: "out  of network" is read as "out of network".
        assert_eq!(
            typed_plainly("  my out  of\tnetwork\n\nphysio? "),
            "my out of network physio?"
        );
        assert!(names_out_of_network(&typed_plainly(
            "my out  of network physio"
        )));
        // Nothing to change: the question itself, not a copy; other text untouched.
        let plain = "Zürich — $1,500 for 20% of “";
        assert!(matches!(
            typed_plainly("How much is it?"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(typed_plainly(plain), "Zürich — $1,500 for 20% of \"");
        // A month’s worth typed on a phone is an amount of time, as typed on a laptop.
        assert_eq!(
            asked_services(&typed_plainly("will it pay for a month\u{2019}s worth")),
            asked_services("will it pay for a month's worth")
        );
    }

    #[test]
    fn what_a_question_asks_to_be_covered_or_charged_for_is_read_from_its_verbs() {
        // Each thing asked, its names (alternatives) joined by " | ".
        let objects = |q: &str| -> Vec<String> {
            asked_services(q)
                .into_iter()
                .map(|asked| asked.names.join(" | "))
                .collect()
        };
        // A statement of what is covered ("PT is covered") asks for nothing.
        assert_eq!(
            objects("does it cover massage therapy? PT is covered for 30 visits"),
            ["massage therapy"]
        );
        assert_eq!(objects("Is a birth doula covered?"), ["a birth doula"]);
        // After an auxiliary, before the "be" or "get" of the participle.
        assert_eq!(
            objects("Will breast reconstruction afterward be covered?"),
            ["breast reconstruction afterward"]
        );
        assert_eq!(objects("does acupuncture get paid"), ["acupuncture"]);
        assert!(objects("it would be covered").is_empty());
        // Up to a preposition: the service, not what it is for.
        assert_eq!(objects("Is rehab for drinking covered?"), ["rehab"]);
        // "Or" gives another name of the thing asked; "and" another thing.
        assert_eq!(
            objects("will the plan pay for acupuncture or chiropractic"),
            ["acupuncture | chiropractic"]
        );
        assert_eq!(
            objects("Is a flu shot or vaccine covered at the pharmacy?"),
            ["a flu shot | vaccine"]
        );
        assert_eq!(objects("does it cover glasses and contacts"), ["glasses"]);
        // A pronoun's phrase is kept (its words are function words, no topic); an
        // amount of time is no service; no verb of coverage, nothing.
        assert_eq!(objects("does the plan cover those"), ["those"]);
        assert!(objects("what do I pay for a month's worth of insulin").is_empty());
        // Asked a price: what is charged for.
        assert_eq!(objects("How much is an MRI?"), ["an mri"]);
        assert_eq!(
            objects("I know the visit is $50 but what do the rehab sessions cost?"),
            ["the rehab sessions"]
        );
        assert_eq!(objects("copay for a CT scan at a hospital"), ["a ct scan"]);
        assert!(objects("How much will I pay?").is_empty());
        // The words before a charge name what it is for, back to a question word or
        // preposition; what a provider charges for, likewise.
        assert_eq!(objects("generic drug copay?"), ["generic drug"]);
        assert_eq!(
            objects("walk-in clinic cost when my doctor's office is closed"),
            ["walk-in clinic"]
        );
        assert_eq!(objects("whats the PT coinsurance"), ["the pt"]);
        assert_eq!(
            objects("what will the hospital charge for labor and delivery"),
            ["labor"]
        );
        // A charge with no name before it names nothing ("what's" ends the name).
        assert!(objects("what's copay?").is_empty());
        // Where the member goes for care, up to a question word: a place.
        let q = "my doctor's office is closed. If I go to an urgent care clinic what do I pay?";
        assert_eq!(objects(q), ["an urgent care clinic"]);
        assert!(asked_services(q)[0].place);
        let q = "Can a nurse come to my house after I get out of the hospital?";
        assert_eq!(objects(q), ["my house"]);
        assert!(asked_services(q)[0].place);
        // An article after the name's first word opens another phrase.
        let q = "a nurse is supposed to come to my house a couple of times a week";
        assert_eq!(objects(q), ["my house"]);
        assert!(!asked_services("Is a birth doula covered?")[0].place);
        // Where the member stays or is admitted: a place too.
        let q = "After I leave the hospital I might need to stay at a nursing facility for a \
                 couple of weeks. How is that covered?";
        // (The pronoun's "that" is kept, as above.)
        assert_eq!(objects(q), ["a nursing facility", "that"]);
        assert!(asked_services(q)[0].place);
        let q = "what do I pay if I get admitted to the hospital";
        assert_eq!(objects(q), ["the hospital"]);
        assert!(asked_services(q)[0].place);
        assert!(objects("I stay home when I'm sick").is_empty());
    }

    #[test]
    fn price_questions_are_read_with_their_stopwords_and_plurals() {
        // "much" is a stopword of the keyword tokenizer: it still makes a price question.
        assert!(asks_price("How much is it to see a specialist?"));
        assert!(asks_price("what do specialists COSTS"));
        assert!(asks_price("Is my annual checkup free?"));
        assert!(asks_price("max out-of-pocket per year"));
        assert!(asks_price("what's the OOP limit"));
        assert!(asks_price("when is my premium due"));
        assert!(!asks_price("Do I need a referral to see a specialist?"));
        assert!(!asks_price("Is acupuncture covered?"));
        assert!(asks_cost_or_coverage("Is acupuncture covered?"));
        assert!(!asks_cost_or_coverage("Who do I call about a claim?"));
    }

    #[test]
    fn costs_are_figures_or_the_words_plans_use() {
        for yes in [
            "Specialist visit: $50 copay",
            "20 % coinsurance after deductible",
            "50%",
            "No charge",
            "Acupuncture: not covered",
            "Services your plan does not cover",
            "Cosmetic surgery is excluded",
        ] {
            assert!(states_cost(yes), "{yes}");
        }
        for no in [
            "Do you need a referral to see a specialist? No.",
            "Call 1-800-555-0100 for covered services",
            "$ amounts vary",
        ] {
            assert!(!states_cost(no), "{no}");
        }
        // Naming the kind of charge states a cost, but not a figure.
        for kind in [
            "The deductible does not apply to the ER copay.",
            "Coinsurance applies after the deductible",
        ] {
            assert!(states_cost(kind) && !states_figure(kind), "{kind}");
        }
        assert!(states_figure("ER visit: $250 copay"));
    }

    #[test]
    fn yes_no_questions_open_with_an_auxiliary_verb() {
        for yes in [
            "Do my copays count toward the out-of-pocket maximum?",
            "is there a flat copay for the ER",
            "  Can I see a chiropractor?",
        ] {
            assert!(asks_yes_no(yes), "{yes}");
        }
        for no in [
            "ER copay?",
            "How much is urgent care?",
            "doctor visit cost",
            "",
        ] {
            assert!(!asks_yes_no(no), "{no}");
        }
    }

    #[test]
    fn questions_about_time_and_the_text_that_states_a_length_of_time() {
        for yes in [
            "How long do I have to appeal a denied claim?",
            "how many days in a skilled nursing facility are covered",
            "Deadline to appeal a denied referral",
            "how soon will they approve it",
        ] {
            assert!(asks_duration(yes), "{yes}");
        }
        for no in [
            "How much is a specialist?",
            "how many visits of physical therapy",
            "Do I need a referral?",
            "is my long-term care covered",
        ] {
            assert!(!asks_duration(no), "{no}");
        }
        for yes in [
            "You must file an appeal within 180 days of the denial.",
            "A referral is good for 90-day periods",
            "within four months of the final decision",
            "Decisions within 72 hours for urgent requests",
            "Submit claims within 1,095 calendar days",
        ] {
            assert!(states_duration(yes), "{yes}");
        }
        for no in [
            "Specialist visit: $50 copay",
            "Coverage for the plan year",
            "Days of the week: Monday to Friday",
            "Limited to 20 visits",
        ] {
            assert!(!states_duration(no), "{no}");
        }
    }

    #[test]
    fn the_out_of_network_side_is_named_many_ways_and_only_as_whole_words() {
        for yes in [
            "what do I pay at an out-of-network urgent care",
            "OON lab work",
            "Out–of–Network Provider (You will pay the most)",
            "Your Cost If You Use a Non-Preferred Provider",
            "I saw a doctor who isn't in network",
        ] {
            assert!(names_out_of_network(yes), "{yes}");
        }
        for no in [
            "In-network urgent care center: $60 copay",
            "see you soon at noon",
            "Network Provider (You will pay the least)",
            "pharmacist said my inhaler is non preferred brand now",
            "Non-preferred brand drugs: $60 copay",
            "what do non-preferred drugs cost",
        ] {
            assert!(!names_out_of_network(no), "{no}");
        }
    }

    #[test]
    fn a_text_may_speak_of_the_out_of_network_side_alone_or_of_both() {
        for alone in [
            "Coverage is limited to 100 days per year; limited to $150/day for non-network.",
            "If service provided by a non-preferred provider, you pay up to $350 per day",
            "For out-of-network providers $8,000 member / $16,000 family per calendar year.",
        ] {
            assert!(names_only_out_of_network(alone), "{alone}");
        }
        for both in [
            "For preferred providers $250 person / $500 family For non-preferred providers \
             $500 person / $1,000 family",
            "Coverage is limited to a total of 30 days, In-Network Provider and Non-Network \
             Provider combined",
            "Your in-network doctor may use an out-of-network provider for some services.",
            "Preferred generic drugs: $10 copay",
        ] {
            assert!(!names_only_out_of_network(both), "{both}");
        }
    }

    #[test]
    fn an_out_of_network_line_is_a_header_naming_that_side_before_a_figure() {
        for yes in [
            "What You Will Pay — Out–of–Network Provider (You will pay the most): Not covered",
            "Your Cost If You Use a Non-Plan Provider: $75 copayment/trip",
            "Your Cost If You Use a Non-Preferred Provider: 25% coinsurance",
            "OON coinsurance: 40% after the OON deductible",
        ] {
            assert!(is_out_of_network_line(yes), "{yes}");
        }
        for no in [
            "What You Will Pay — In-Network Provider (You will pay the least): No charge",
            "Non-preferred brand drugs: $60 copay",
            "Out-of-network care is not covered",
            "Limitations: out-of-network providers may bill you the difference",
        ] {
            assert!(!is_out_of_network_line(no), "{no}");
        }
    }

    #[test]
    fn worked_examples_yield_to_benefit_rows_unless_asked_for() {
        let texts = [
            "These examples show how this plan might cover medical care. Having a baby: \
             Sample care costs: Hospital charges (mother) $2,700",
            "Childbirth/delivery facility services: 20% coinsurance",
            "Peg is Having a Baby. Total Example Cost $12,700. In this example, Peg would pay \
             $1,560",
        ];
        assert!(is_worked_example(texts[0]) && is_worked_example(texts[2]));
        assert!(!is_worked_example(texts[1]));
        let text = |row: u32| texts.get(row as usize).copied();
        let mut scored = vec![(0, 1.0), (1, 0.8), (2, 0.75)];
        adjust_for_question("What does having a baby cost?", &mut scored, text);
        assert_eq!(scored[0].0, 1);
        // Bounded: an example far ahead of anything else stays ahead.
        let mut scored = vec![(0, 1.0), (1, 0.2)];
        adjust_for_question("Is childbirth covered?", &mut scored, text);
        assert_eq!(scored[0].0, 0);
        // Asked for, examples keep their place.
        let mut scored = vec![(0, 1.0), (1, 0.8)];
        adjust_for_question("Show me the coverage examples", &mut scored, text);
        assert_eq!(scored, [(0, 1.0), (1, 0.8)]);
    }

    #[test]
    fn a_list_of_services_answers_only_for_the_services_it_names() {
        let texts = [
            "Services Your Plan Generally Does NOT Cover (Check your policy or plan \
             document)\n• Acupuncture\n• Cosmetic surgery\n• Long-term care",
            "Services You May Need: Hospice services\nIn-network: 20% coinsurance",
            "Other Covered   Services (Limitations may apply)\n• Infertility treatment",
        ];
        assert!(is_service_list(texts[0]) && is_service_list(texts[2]));
        assert!(!is_service_list(texts[1]));
        let text = |row: u32| texts.get(row as usize).copied();
        // The list names neither "hospice" nor a word the vocabulary maps "dying" to.
        let mut scored = vec![(0, 1.0), (1, 0.8)];
        adjust_for_question("Is hospice covered for my dying dad?", &mut scored, text);
        assert_eq!(scored[0].0, 1);
        // It names acupuncture: it answers, and keeps its place.
        let mut scored = vec![(0, 1.0), (1, 0.8)];
        adjust_for_question("Is acupuncture covered?", &mut scored, text);
        assert_eq!(scored, [(0, 1.0), (1, 0.8)]);
        // By a vocabulary equivalent: "IVF" is infertility treatment.
        let mut scored = vec![(2, 1.0), (1, 0.8)];
        adjust_for_question("is IVF covered", &mut scored, text);
        assert_eq!(scored, [(2, 1.0), (1, 0.8)]);
    }

    #[test]
    fn asked_what_is_not_covered_the_list_of_exclusions_answers() {
        for yes in [
            "what services arent covered at all",
            "What isn't covered?",
            "what won't the plan pay for",
            "does my plan exclude anything",
            "is acupuncture excluded?",
        ] {
            assert!(asks_not_covered(yes), "{yes}");
        }
        for no in [
            "what services are covered",
            "Is acupuncture covered?",
            "not sure if urgent care is covered",
            "I have no idea what I pay",
        ] {
            assert!(!asks_not_covered(no), "{no}");
        }
        let texts = [
            "Services You May Need: Dental check-up\nIn-network: Not covered",
            "Services Your Plan Generally Does NOT Cover (Check your policy or plan \
             document)\n• Acupuncture\n• Cosmetic surgery\n• Long-term care",
            "Other Covered Services (Limitations may apply)\n• Chiropractic care",
        ];
        assert!(is_exclusion_list(texts[1]));
        assert!(!is_exclusion_list(texts[0]) && !is_exclusion_list(texts[2]));
        let text = |row: u32| texts.get(row as usize).copied();
        let first = |question: &str| {
            let mut scored = vec![(0, 1.0), (2, 0.9), (1, 0.8)];
            adjust_for_question(question, &mut scored, text);
            scored[0].0
        };
        assert_eq!(first("what services arent covered at all"), 1);
        assert_eq!(first("is acupuncture excluded?"), 1);
        // Asked about something the list does not name, it gains nothing.
        assert_eq!(first("is dental excluded?"), 0);
        // Nor when the question asks what is covered.
        assert_eq!(first("what services are covered"), 0);
    }

    #[test]
    fn a_price_question_prefers_passages_that_state_a_cost_within_a_bound() {
        let texts = [
            "Do you need a referral to see a specialist? No.",
            "Specialist visit: $50 copay",
            "Hearing aids are covered once every three years",
            "Imaging: $150 copay",
        ];
        let text = |row: u32| texts.get(row as usize).copied();
        // The referral row leads by less than the penalty: the priced row passes it.
        let mut scored = vec![(0, 1.0), (1, 0.7)];
        adjust_for_question("How much is a specialist?", &mut scored, text);
        assert_eq!(scored[0].0, 1);
        // An on-topic passage without a figure far ahead of an off-topic priced one
        // stays ahead: the penalty is bounded.
        let mut scored = vec![(2, 1.0), (3, 0.3)];
        adjust_for_question("How much are hearing aids?", &mut scored, text);
        assert_eq!(scored[0].0, 2);
        // A question that asks no price keeps the fused order.
        let mut scored = vec![(0, 1.0), (1, 0.7)];
        adjust_for_question("Do I need a referral?", &mut scored, text);
        assert_eq!(scored, [(0, 1.0), (1, 0.7)]);
    }

    #[test]
    fn a_drug_tier_is_named_by_the_word_that_says_which_drugs() {
        let tier = |label: &str, price: &str, limits: &str| {
            format!(
                "Common Medical Event: If you need drugs to treat your illness or condition\n\
                 Services You May Need: {label}\n\
                 In-Network Provider: {price}\n\
                 Limitations: {limits}"
            )
        };
        let texts = [
            tier(
                "Tier 2 – Typically Preferred Brand",
                "$30 copay",
                "A brand drug chosen where a generic drug is available costs the generic \
                 copay plus the difference",
            ),
            tier("Tier 1 – Typically Generic", "$10 copay", "None"),
        ];
        let mut scored = vec![(0, 1.0), (1, 0.95)];
        adjust_for_question("generic drug copay?", &mut scored, |row| {
            texts.get(row as usize).map(String::as_str)
        });
        // "drug" says what kind of thing, as "therapy" does: "Typically Generic" names it.
        assert_eq!(scored[0].0, 1);
    }

    #[test]
    fn each_contrast_reads_the_kind_a_text_names_and_not_the_other() {
        // Per contrast: texts (questions, row titles) that name its first kind, its
        // second, and neither or both.
        let cases: [(Contrast, [&[&str]; 3]); 6] = [
            (
                SETTING,
                [
                    &[
                        "how much is a hospital stay if i get admitted",
                        "I'll be in for 3 nights after surgery, what's the cost",
                        "is residential rehab covered",
                    ],
                    &[
                        "counselor for my anxiety once a week, what does each session cost",
                        "how much is an office visit",
                        "is outpatient rehab covered",
                        "how much to see a therapist every week",
                        "If you need immediate medical attention Emergency room care",
                    ],
                    &[
                        "Is rehab for drinking covered?",
                        "after my hospital stay, are the follow-up office visits covered",
                        // Whole words: "nightstand", "officer" are not "nights", "office".
                        "my nightstand officer",
                    ],
                ],
            ),
            (
                BILLER,
                [
                    &[
                        "How much will the hospital charge me for having the baby?",
                        "is the facility fee at the surgery center covered",
                    ],
                    &[
                        "what does the surgeon's fee come to",
                        "will I owe for the anesthesiologist",
                    ],
                    // A hospital that does not bill says nothing of who bills.
                    &[
                        "after I leave the hospital can a nurse come to my house",
                        "hospital charges and the surgeon's bill, what do I pay",
                    ],
                ],
            ),
            (
                PURPOSE,
                [
                    &[
                        "Is my annual checkup free?",
                        "do I pay for my kid's vaccines",
                        "Preventive care/screening/immunization",
                    ],
                    &[
                        "copay for my regular doctor when I'm sick?",
                        "Primary care visit to treat an injury or illness",
                    ],
                    &["my screening found an infection, what now"],
                ],
            ),
            (
                MATERNITY,
                [
                    &[
                        "how much are my prenatal checkups",
                        "If you are pregnant Office visits",
                    ],
                    &[
                        "what will the hospital charge for labor",
                        "Childbirth/delivery facility services",
                    ],
                    &["Is my annual physical free?"],
                ],
            ),
            (
                RECOVERY,
                [
                    &["Is rehab for drinking covered?"],
                    &[
                        "rehab after my knee surgery, physical therapy",
                        "Rehabilitation services",
                    ],
                    &["is rehab covered"],
                ],
            ),
            (
                AGE,
                [
                    &[
                        "are my kid's glasses covered",
                        "If your child needs dental or eye care Children's eye exam",
                    ],
                    &[
                        "does this cover my own fillings",
                        "Routine eye care (Adult)",
                        "an eye exam for myself",
                    ],
                    &["is an eye exam covered", "my son's and my own eye exams"],
                ],
            ),
        ];
        for (contrast, texts) in cases {
            let kinds = [Some(contrast.kinds[0].0), Some(contrast.kinds[1].0), None];
            for (texts, kind) in texts.into_iter().zip(kinds) {
                for text in texts {
                    assert_eq!(contrast.named(text), kind, "{text}");
                }
            }
        }
    }

    #[test]
    fn the_kind_of_drug_is_the_most_specific_one_named() {
        for (text, kind) in [
            ("how much r generic meds", Some("generic")),
            (
                "My blood pressure med is a brand name with no generic yet, its on the \
                 preferred list",
                Some("brand"),
            ),
            (
                "my inhaler is non preferred brand now",
                Some("non-preferred"),
            ),
            ("Non-preferred generic/brand drugs", Some("non-preferred")),
            (
                "Tier 3 – Typically Non-preferred/ non-Formulary Drugs",
                Some("non-preferred"),
            ),
            (
                "Tier 2 – Typically Preferred/Formulary Brand",
                Some("brand"),
            ),
            (
                "Tier 4 – Typically Specialty Drugs (brand and generic)",
                Some("specialty"),
            ),
            // Tiers by number alone, services and the network side name no kind.
            ("Tier 1", None),
            ("what if I see a non-preferred provider", None),
            // Said in the member's words, not the tier's.
            (
                "my doc put me on a brand medication that isn't on the preferred list",
                Some("non-preferred"),
            ),
            (
                "are my meds not on the formulary anymore?",
                Some("non-preferred"),
            ),
            ("is my brand drug preferred?", Some("brand")),
            ("my med is no longer preferred", Some("non-preferred")),
            (
                "what if my drug's pharmacy is not a preferred pharmacy",
                None,
            ),
            ("Specialist visit", None),
        ] {
            assert_eq!(named_drug_kind(text), kind, "{text}");
        }
        let tier = |label: &str| {
            format!(
                "Common Medical Event: If you need drugs to treat your illness or condition\n\
                 Services You May Need: {label}\n\
                 In-Network Provider: $30 copay"
            )
        };
        let texts = [
            tier("Preferred brand drugs"),
            tier("Non-preferred brand drugs"),
        ];
        let first = |question: &str| {
            let mut scored = vec![(0, 1.0), (1, 0.9)];
            adjust_for_question(question, &mut scored, |row| {
                texts.get(row as usize).map(String::as_str)
            });
            scored[0].0
        };
        assert_eq!(first("my inhaler is non preferred brand now, how much?"), 1);
        assert_eq!(first("how much is a brand name drug"), 0);
    }

    #[test]
    fn a_row_for_the_other_kind_of_care_than_the_one_asked_about_yields() {
        let row = |label: &str, price: &str| {
            format!(
                "Common Medical Event: If you need mental health, behavioral health, or \
                 substance abuse services\n\
                 Services You May Need: {label}\n\
                 In-Network Provider: {price}\n\
                 Limitations: None"
            )
        };
        let texts = [
            row("Inpatient services", "$500 copay per day"),
            row("Outpatient services", "$30 copay per visit"),
        ];
        let order = |question: &str| {
            let mut scored = vec![(0, 1.0), (1, 0.9)];
            adjust_for_question(question, &mut scored, |row| {
                texts.get(row as usize).map(String::as_str)
            });
            scored.iter().map(|s| s.0).collect::<Vec<_>>()
        };
        // Weekly sessions are outpatient care: the inpatient row, a little closer, yields.
        assert_eq!(
            order("my daughter wants a counselor once a week, what does each session cost"),
            [1, 0]
        );
        // Asked about a stay, the inpatient row keeps its place; asked neither, too.
        assert_eq!(order("if she is admitted, what does each day cost"), [0, 1]);
        assert_eq!(order("what does a counselor cost"), [0, 1]);
        // Who bills, likewise: the facility's row passes the professionals'.
        let childbirth = |label: &str| {
            format!(
                "Common Medical Event: If you are pregnant\n\
                 Services You May Need: {label}\n\
                 In-Network Provider: 20% coinsurance"
            )
        };
        let texts = [
            childbirth("Childbirth/delivery professional services"),
            childbirth("Childbirth/delivery facility services"),
        ];
        let first = |question: &str, texts: &[String]| {
            let mut scored = vec![(0, 1.0), (1, 0.9)];
            adjust_for_question(question, &mut scored, |row| {
                texts.get(row as usize).map(String::as_str)
            });
            scored[0].0
        };
        assert_eq!(
            first("what will the hospital charge for the delivery", &texts),
            1
        );
        // A pregnancy's visits, likewise, and why a member sees the doctor.
        let texts = [
            childbirth("Childbirth/delivery professional services"),
            childbirth("Office visits"),
        ];
        assert_eq!(first("how much are my prenatal checkups", &texts), 1);
        let visit = |label: &str| {
            format!(
                "Common Medical Event: If you visit a health care provider's office or clinic\n\
                 Services You May Need: {label}\n\
                 In-Network Provider: $25 copay"
            )
        };
        let texts = [
            visit("Primary care visit to treat an injury or illness"),
            visit("Preventive care/screening/immunization"),
        ];
        assert_eq!(first("is my yearly checkup free", &texts), 1);
        // What "rehab" is for.
        let needs = |event: &str, label: &str| {
            format!(
                "Common Medical Event: {event}\n\
                 Services You May Need: {label}\n\
                 In-Network Provider: 30% coinsurance"
            )
        };
        let texts = [
            needs("If you need help recovering", "Rehabilitation services"),
            needs(
                "If you have mental health, behavioral health, or substance abuse needs",
                "Outpatient services",
            ),
        ];
        assert_eq!(first("is treatment for my drinking covered?", &texts), 1);
        // Where the label says the name asked ("rehab": "Rehabilitation services") in
        // the other sense, the name gains nothing.
        assert_eq!(first("Is rehab for drinking covered?", &texts), 1);
        // Whose care: a child's row yields to a question about the member's own.
        let texts = [
            needs("If your child needs dental or eye care", "Eye exam"),
            visit("Preventive care/screening/immunization"),
        ];
        assert_eq!(first("can I get a vision checkup for myself", &texts), 1);
        assert_eq!(first("can my kid get a vision checkup", &texts), 0);
    }

    #[test]
    fn the_row_whose_label_names_what_is_asked_about_gains() {
        let row = |label: &str, limits: &str| {
            format!(
                "Common Medical Event: If you visit a health care provider's office\n\
                 Services You May Need: {label}\n\
                 In-Network Provider: $40 copay\n\
                 Limitations: {limits}"
            )
        };
        let texts = [
            row(
                "Specialist visit",
                "Referral needed, except for urgent care",
            ),
            row("Urgent care", "None"),
        ];
        // The row first after the adjustment, row 1 scored `second` to row 0's 1.0.
        let first = |question: &str, second: f32| {
            let mut scored = vec![(0, 1.0), (1, second)];
            adjust_for_question(question, &mut scored, |row| {
                texts.get(row as usize).map(String::as_str)
            });
            scored[0].0
        };
        // Both state a cost and mention urgent care; the label decides.
        assert_eq!(first("How much is urgent care?", 0.95), 1);
        // Within a bound: a row far ahead keeps its place.
        assert_eq!(first("How much is urgent care?", 0.6), 0);
        // Not asked by name ("urgent" alone is not the label's "urgent care"), no gain.
        assert_eq!(first("is it urgent? how much is a visit", 0.95), 0);
        // Named as where the member goes: a clinic is the kind of place, not which.
        assert_eq!(
            first("Fever, my doctor's office is closed. If I go to an urgent care clinic what do I pay?", 0.95),
            1
        );
    }
}
