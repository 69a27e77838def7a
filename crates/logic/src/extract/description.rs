//! Clause rules over an English vulnerability description.
//!
//! NVD-style descriptions follow a house style: "<flaw> in <component> in
//! <product> <versions> [on <platform>], when <condition>, allows <actor> to
//! <impact> via <input>". Each rule below reads one slot of that pattern:
//!
//! - condition clauses: "when/if X is enabled|configured|used", "with X
//!   enabled", "when running on X", "when configured to …";
//! - the named component in the subject: "The RSVP feature in …", "in the
//!   mod_dav_svn module in …", "(1) TLS and (2) DTLS implementations";
//! - platforms: "on the x86 platform", "on Linux, UNIX, and Windows", "1.7.4
//!   for Apache 2.x";
//! - input: "via a crafted …", "by sending …"; alternatives "as demonstrated
//!   by vectors involving A, B, and C";
//! - actors: "remote authenticated users", "local users", "man-in-the-middle
//!   attackers", "user-assisted" → access cues merged with the CVSS vector.
//!
//! Enumerations become `any` groups. Concessive cues ("even when X is
//! enabled") and purpose clauses ("to determine if …") are not conditions.

use super::phrase;
use super::text::{
    clean, enumeration, find_all, first_stop, has_word, sentence_end, strip_article, trim_clause,
    trim_joiners,
};
use super::{Access, Cue, Facts, Item};
use crate::conditions::{ConditionKind, ConditionSource};

/// The description and its ASCII-lowercased twin (same byte offsets).
struct Doc<'a> {
    text: &'a str,
    lc: &'a str,
}

impl Doc<'_> {
    fn slice(&self, from: usize, to: usize) -> &str {
        &self.text[from..to]
    }
}

/// Reads `description` into `facts`: items in text order, access cues.
pub(crate) fn read(description: &str, facts: &mut Facts) {
    let text = clean(description);
    let lc = text.to_ascii_lowercase();
    let d = Doc {
        text: &text,
        lc: &lc,
    };
    let mut found: Vec<(usize, Item)> = Vec::new();
    subject_components(&d, &mut found);
    platform_for(&d, &mut found);
    platforms_on(&d, &mut found);
    condition_clauses(&d, &mut found, &mut facts.cues);
    with_clauses(&d, &mut found);
    inputs_via(&d, &mut found, &mut facts.cues);
    inputs_by(&d, &mut found, &mut facts.cues);
    inputs_sent(&d, &mut found);
    inputs_parsed(&d, &mut found);
    demonstrated_alternatives(&d, &mut found);
    actors(&d, &mut facts.cues);
    found.sort_by_key(|(at, _)| *at);
    for (_, item) in found {
        if let Some(shorter) = contained_input(&facts.items, &item) {
            facts.items[shorter] = item;
        } else if !is_duplicate(&facts.items, &item) {
            facts.items.push(item);
        }
    }
}

/// The index of an input that `item`, a longer input, contains ("a crafted
/// certificate" after "certificate"): the longer wording replaces it.
fn contained_input(items: &[Item], item: &Item) -> Option<usize> {
    let Item::One(new) = item else {
        return None;
    };
    if !matches!(new.kind, ConditionKind::Input | ConditionKind::Platform) {
        return None;
    }
    let new_lc = new.text.to_lowercase();
    items.iter().position(|i| {
        matches!(i, Item::One(old) if old.kind == new.kind
            && old.text.len() < new.text.len()
            && new_lc.contains(statement_core(&old.text.to_lowercase())))
    })
}

/// The part of an input or platform statement that names the thing.
fn statement_core(lc: &str) -> &str {
    lc.trim_start_matches("attacker-controlled input: ")
        .trim_start_matches("the product runs on ")
}

/// The same statement found by two rules (or twice in the text) is one fact;
/// an input contained in a longer input is the same input.
fn is_duplicate(items: &[Item], item: &Item) -> bool {
    let Item::One(new) = item else {
        return items.contains(item);
    };
    let new_lc = new.text.to_lowercase();
    items.iter().any(|i| match i {
        Item::One(old) => {
            let old_lc = old.text.to_lowercase();
            old_lc == new_lc
                || (old.kind == new.kind
                    && matches!(new.kind, ConditionKind::Input | ConditionKind::Platform)
                    && old_lc.contains(statement_core(&new_lc)))
        }
        Item::Any(_) => false,
    })
}

// ---------------------------------------------------------------- subject

/// Where the grammatical subject ("<flaw> in <component> in <product>
/// <versions>") ends: at the first condition clause or main verb.
fn subject_end(d: &Doc) -> usize {
    const MAIN: &[&str] = &[
        ", when",
        " when ",
        ", with ",
        ", if ",
        " if ",
        " allows",
        " allow ",
        " does not",
        " do not",
        " did not",
        " might ",
        " could ",
        " can ",
        " may ",
        " has ",
        " have ",
        " uses ",
        " fails",
        ", which",
        " which ",
        " is ",
        " are ",
        " lets ",
        " permits",
        " contains",
        " processes",
        " trusts",
        " mishandles",
        " transmits",
        " stores",
        " sends",
        " creates",
        " logs ",
        " relies",
        " places",
        " includes",
        " exposes",
    ];
    first_stop(d.lc, 0, sentence_end(d.text, 0), MAIN)
}

/// "The RSVP feature in Cisco IOS", "in the mod_dav_svn module in Apache
/// Subversion", "The (1) TLS and (2) DTLS implementations in OpenSSL": the
/// component that must be enabled or in use.
fn subject_components(d: &Doc, found: &mut Vec<(usize, Item)>) {
    const NOUNS: &[(&str, &str, ConditionKind)] = &[
        (" feature", "feature", ConditionKind::Configuration),
        (" features", "feature", ConditionKind::Configuration),
        (" module", "module", ConditionKind::Configuration),
        (" modules", "module", ConditionKind::Configuration),
        (" extension", "extension", ConditionKind::Configuration),
        (" plugin", "plugin", ConditionKind::Configuration),
        (" plug-in", "plug-in", ConditionKind::Configuration),
        (" service", "service", ConditionKind::Configuration),
        (" subsystem", "subsystem", ConditionKind::Configuration),
        (" option", "option", ConditionKind::Configuration),
        (
            " implementation",
            "implementation",
            ConditionKind::FunctionUse,
        ),
        (
            " implementations",
            "implementation",
            ConditionKind::FunctionUse,
        ),
    ];
    let end = subject_end(d);
    let subject = &d.lc[..end];
    for &(needle, noun, kind) in NOUNS {
        for at in find_all(subject, needle) {
            let after = &subject[at + needle.len()..];
            if !(after.starts_with(" in ") || after.starts_with(" of ")) {
                continue;
            }
            let Some(start) = noun_phrase_start(subject, at) else {
                continue;
            };
            let name = trim_clause(d.slice(start, at));
            let evidence = d.slice(start, at + needle.len());
            let make = |name: &str| {
                let verb = if kind == ConditionKind::FunctionUse {
                    "is used"
                } else {
                    "is enabled"
                };
                phrase::statement(
                    kind,
                    &format!("the {name} {noun} {verb}"),
                    ConditionSource::Description,
                    evidence,
                )
            };
            let item = match enumeration(name, true) {
                Some(names) if name.contains("(1)") => {
                    Item::Any(names.iter().map(|n| make(n)).collect())
                }
                _ => Item::One(make(name)),
            };
            found.push((start, item));
        }
    }
}

/// Start of the name before a component noun: right after "the " (or the
/// text's start), when that name is short and holds no other phrase.
fn noun_phrase_start(lc: &str, noun_at: usize) -> Option<usize> {
    let before = &lc[..noun_at];
    let start = match before.rfind("the ") {
        Some(i) if i == 0 || before.as_bytes()[i - 1] == b' ' => i + 4,
        _ => return None,
    };
    let name = &lc[start..noun_at];
    let words = name.split(' ').count();
    let plausible = !name.trim().is_empty()
        && words <= 6
        && !name.contains(" in ")
        && !name.contains(" of ")
        && !name.contains(", ")
        && !name.contains(".c ")
        && !name.ends_with(".c");
    plausible.then_some(start)
}

// --------------------------------------------------------------- platform

/// First words that name an operating system, architecture or runtime
/// platform ("on Linux", "on 64-bit platforms").
const PLATFORM_WORDS: &[&str] = &[
    "windows",
    "linux",
    "unix",
    "solaris",
    "mac",
    "macos",
    "os x",
    "aix",
    "hp-ux",
    "freebsd",
    "openbsd",
    "netbsd",
    "bsd",
    "android",
    "ios",
    "x86",
    "x86-64",
    "x86_64",
    "x64",
    "amd64",
    "arm",
    "arm64",
    "aarch64",
    "64-bit",
    "32-bit",
    "itanium",
    "ia64",
    "sparc",
    "powerpc",
    "ppc",
    "z/os",
    "irix",
    "tru64",
    "debian",
    "ubuntu",
    "red hat",
    "fedora",
    "suse",
    "centos",
    "gentoo",
    "big-endian",
    "little-endian",
    "mips",
    "microsoft windows",
    "apple",
    "chrome os",
    "openvms",
    "sco",
    "qnx",
    "vxworks",
];

/// Nouns that make "on the X <noun>" a platform statement.
const PLATFORM_NOUNS: &[&str] = &[
    "platform",
    "platforms",
    "chipset",
    "chipsets",
    "architecture",
    "architectures",
    "processor",
    "processors",
    "cpu",
    "cpus",
    "hardware",
];

fn starts_with_platform_word(lc: &str) -> bool {
    let lc = strip_article(lc);
    PLATFORM_WORDS.iter().any(|w| {
        lc.starts_with(w)
            && !lc[w.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric())
    })
}

/// "on the x86 platform", "on the Marvell 88W8361P-BEM1 chipset", "on
/// Linux, UNIX, and Windows" (one condition: any of the listed systems).
fn platforms_on(d: &Doc, found: &mut Vec<(usize, Item)>) {
    const STOPS: &[&str] = &[
        ", ",
        " when",
        " allows",
        " allow ",
        " via ",
        " does",
        " do ",
        " before ",
        " through ",
        "; ",
        " and earlier",
        " is ",
        " are ",
        " could",
        " might",
        " which",
        " if ",
        " with ",
        " to ",
        " by ",
        " in ",
        " using ",
        " as ",
    ];
    for at in find_all(d.lc, " on ") {
        let start = at + 4;
        let end_sentence = sentence_end(d.text, start);
        let end = first_stop(d.lc, start, end_sentence, STOPS);
        let lc_np = &d.lc[start..end];
        if lc_np.split(' ').count() > 7 {
            continue;
        }
        if let Some(host) = [
            "systems running ",
            "hosts running ",
            "servers running ",
            "machines running ",
            "devices running ",
        ]
        .iter()
        .find_map(|h| lc_np.strip_prefix(h))
        .filter(|h| !h.is_empty())
        {
            let name = d.slice(end - host.len(), end);
            found.push((
                at,
                Item::One(phrase::platform(
                    name,
                    ConditionSource::Description,
                    d.slice(at + 1, end),
                )),
            ));
        } else if starts_with_platform_word(lc_np) {
            let list_end = platform_list_end(d, start, end, end_sentence);
            let names = trim_joiners(d.slice(start, list_end));
            let name = or_list(names);
            let evidence = d.slice(at + 1, list_end);
            found.push((
                at,
                Item::One(phrase::platform(
                    &name,
                    ConditionSource::Description,
                    evidence,
                )),
            ));
        } else if PLATFORM_NOUNS
            .iter()
            .any(|n| lc_np.ends_with(&format!(" {n}")))
        {
            let name = d.slice(start, end);
            found.push((
                at,
                Item::One(phrase::platform(
                    name,
                    ConditionSource::Description,
                    d.slice(at + 1, end),
                )),
            ));
        }
    }
}

/// Extends "Linux" over ", UNIX, and Windows": list items that are platform
/// words themselves.
fn platform_list_end(d: &Doc, start: usize, end: usize, limit: usize) -> usize {
    let mut end = end;
    loop {
        let rest = &d.lc[end..limit];
        let next = ["and ", "or ", ", and ", ", or ", ", "]
            .iter()
            .find_map(|sep| {
                rest.strip_prefix(sep)
                    .or(rest.strip_prefix(&format!(" {sep}")[..]))
            })
            .filter(|r| starts_with_platform_word(r));
        let Some(next) = next else {
            return end;
        };
        let item_start = limit - next.len();
        let item_end = first_stop(
            d.lc,
            item_start,
            limit,
            &[
                ", ", " and ", " or ", " when", " allows", " via ", ". ", " before ",
            ],
        );
        if item_end <= item_start || item_start <= start {
            return end;
        }
        end = item_end;
    }
}

/// "Linux, UNIX, and Windows" → "Linux, UNIX, or Windows": the product runs
/// on one of them.
fn or_list(names: &str) -> String {
    let names = trim_clause(names);
    match names.rfind(" and ") {
        Some(i) if starts_with_platform_word(&names[i + 5..].to_ascii_lowercase()) => {
            format!("{} or {}", &names[..i], &names[i + 5..])
        }
        _ => names.to_string(),
    }
}

/// "ModSecurity 1.7.4 for Apache 2.x", "the Foo plugin for WordPress": the
/// host the product is built for, named in the subject.
fn platform_for(d: &Doc, found: &mut Vec<(usize, Item)>) {
    const HOSTED: &[&str] = &[
        "plugin",
        "plug-in",
        "module",
        "extension",
        "add-on",
        "addon",
        "theme",
        "component",
        "port",
        "edition",
        "client",
        "agent",
    ];
    let end = subject_end(d);
    for at in find_all(&d.lc[..end], " for ") {
        let prev = d.lc[..at].rsplit(' ').next().unwrap_or("");
        let hosted = prev.bytes().any(|b| b.is_ascii_digit()) || HOSTED.contains(&prev);
        let start = at + 5;
        let starts_capital = d.text[start..].starts_with(|c: char| c.is_uppercase());
        if !hosted || !starts_capital {
            continue;
        }
        let stop = first_stop(
            d.lc,
            start,
            end,
            &[
                ", ",
                " before ",
                " through ",
                " and earlier",
                " when ",
                " on ",
                " in ",
                " (",
                ";",
            ],
        );
        let name = d.slice(start, stop);
        if name.split(' ').count() > 6 || name.trim().is_empty() {
            continue;
        }
        found.push((
            at,
            Item::One(phrase::platform(
                name,
                ConditionSource::Description,
                d.slice(at + 1, stop),
            )),
        ));
    }
}

// ------------------------------------------------------- condition clauses

/// Words after which "when"/"if" is no condition of the flaw: concessive
/// ("even when X is enabled" – the flaw exists regardless) and
/// complement clauses ("to determine if a file exists").
const NOT_A_CONDITION_BEFORE: &[&str] = &[
    "even",
    "except",
    "than",
    "as",
    "determine",
    "determining",
    "check",
    "checking",
    "verify",
    "verifying",
    "know",
    "knowing",
    "discover",
    "see",
    "test",
    "testing",
    "identify",
    "detect",
    "decide",
    "deciding",
    "whether",
    "and",
    "or",
    "but",
];

/// Where a condition clause ends at the latest, whatever its commas.
const CLAUSE_STOPS: &[&str] = &[
    ", which",
    " which ",
    " allows",
    ", allow ",
    " allow remote",
    " allow local",
    " allow attackers",
    " allow authenticated",
    " allow context",
    " allow physically",
    " allow man-in",
    " allow user",
    " allow unauthenticated",
    " allow an ",
    " allow a ",
    ", allowing",
    " does not",
    " do not ",
    " might ",
    " could ",
    " can ",
    " may ",
    ", has ",
    ", have ",
    " via ",
    " because ",
    "; ",
    ", aka",
    " aka ",
    " leading to",
    " resulting in",
    " and allows",
    " to cause ",
    " to execute ",
    " to obtain ",
    " to gain ",
    " to bypass ",
    " to inject ",
    " to conduct ",
    ", then ",
    ", the ",
    ", a ",
    ", an ",
];

/// Words that make a clause a statement of state.
const PREDICATES: &[&str] = &[
    " is ",
    " are ",
    " was ",
    " were ",
    " has been ",
    " have been ",
    "enabled",
    "disabled",
    "configured",
    " used",
    " installed",
    " running",
    " compiled",
    " built",
    " loaded",
    "activated",
    " turned on",
    " in use",
    " mounted",
    " present",
    " set to ",
];

fn has_predicate(lc: &str) -> bool {
    PREDICATES.iter().any(|p| lc.contains(p)) || lc.ends_with(" set")
}

/// "when …", "if …", "only when …", "whenever …".
fn condition_clauses(d: &Doc, found: &mut Vec<(usize, Item)>, cues: &mut Vec<Cue>) {
    for trigger in ["when ", "if ", "whenever "] {
        for at in find_all(d.lc, trigger) {
            if at > 0 && !matches!(d.lc.as_bytes()[at - 1], b' ' | b'(' | b',') {
                continue;
            }
            let prev = d.lc[..at]
                .trim_end_matches([' ', ','])
                .rsplit(' ')
                .next()
                .unwrap_or("");
            if NOT_A_CONDITION_BEFORE.contains(&prev) {
                continue;
            }
            let start = at + trigger.len();
            let end = clause_end(d, start);
            if end <= start || end - start > 220 {
                continue;
            }
            let evidence = d.slice(at, end);
            let clause = trim_clause(d.slice(start, end));
            interpret_clause(clause, evidence, at, found, cues);
        }
    }
}

/// A condition clause runs to the first hard stop, or to the first comma
/// after it has said something ("is enabled"); commas before that separate
/// the items of an enumeration ("when A, B, or C is used").
fn clause_end(d: &Doc, start: usize) -> usize {
    let limit = sentence_end(d.text, start);
    let hard = first_stop(d.lc, start, limit, CLAUSE_STOPS);
    let mut pos = start;
    while let Some(i) = d.lc[pos..hard].find(", ") {
        let comma = pos + i;
        // The leading space lets an elliptical clause ("running on X, …")
        // count as having said something.
        if has_predicate(&format!(" {}", &d.lc[start..comma])) {
            return comma;
        }
        pos = comma + 2;
    }
    hard
}

/// Verbs that make "a user <verb>s …" an interaction.
const INTERACTION_VERBS: &[&str] = &[
    "open", "visit", "view", "click", "follow", "load", "brows", "navigat", "download", "import",
    "print", "preview", "read", "connect", "run", "execut", "install", "enter", "select", "drag",
    "access", "use",
];

const USER_SUBJECTS: &[&str] = &[
    "a user ",
    "the user ",
    "users ",
    "a victim ",
    "the victim ",
    "victims ",
    "a local user ",
    "an administrator ",
    "the administrator ",
    "an admin ",
];

fn interpret_clause(
    clause: &str,
    evidence: &str,
    at: usize,
    found: &mut Vec<(usize, Item)>,
    cues: &mut Vec<Cue>,
) {
    let lc = clause.to_ascii_lowercase();
    let first = lc.split(' ').next().unwrap_or("");
    let rest_after_first = clause.get(first.len()..).unwrap_or("").trim();
    let rest_lc = rest_after_first.to_ascii_lowercase();

    if let Some(subject) = USER_SUBJECTS.iter().find(|s| lc.starts_with(*s)) {
        let verb = &lc[subject.len()..];
        if INTERACTION_VERBS.iter().any(|v| verb.starts_with(v)) {
            cues.push(Cue {
                access: Access::UserInteraction,
                source: ConditionSource::Description,
                evidence: evidence.to_string(),
            });
        }
        return;
    }
    // Elliptical clauses without a subject: "when running on X", "when
    // using X", "when configured to allow X", "if compiled with X".
    match first {
        "running" | "run" | "installed" | "deployed" | "hosted" if rest_lc.starts_with("on ") => {
            // "on Windows with IME installed": the "with" part is its own
            // condition (see `with_clauses`).
            let host = &rest_after_first[3..];
            let host = host.split(" with ").next().unwrap_or(host);
            let host = host.split(" and ").next().unwrap_or(host);
            let host_lc = host.to_ascii_lowercase();
            let host_lc = strip_article(&host_lc);
            let host_lc = ["certain ", "some ", "other ", "multiple "]
                .iter()
                .fold(host_lc, |h, w| h.strip_prefix(w).unwrap_or(h));
            let generic = matches!(
                host_lc,
                "system"
                    | "systems"
                    | "host"
                    | "hosts"
                    | "machine"
                    | "machines"
                    | "server"
                    | "servers"
                    | "device"
                    | "devices"
            );
            if !generic {
                let item = phrase::platform(host, ConditionSource::Description, evidence);
                found.push((at, Item::One(item)));
            }
            return;
        }
        "using" => {
            let item = phrase::statement(
                ConditionKind::FunctionUse,
                &format!("{rest_after_first} is used"),
                ConditionSource::Description,
                evidence,
            );
            found.push((at, Item::One(item)));
            return;
        }
        "configured" | "compiled" | "built" | "deployed" | "installed" | "enabled" | "set"
        | "started" | "run" | "running" | "used" | "operating" | "acting" => {
            let item = phrase::statement(
                ConditionKind::Configuration,
                &format!("the product is {clause}"),
                ConditionSource::Description,
                evidence,
            );
            found.push((at, Item::One(item)));
            return;
        }
        _ => {}
    }
    // Other gerunds describe the vulnerable operation ("when processing
    // …"), not a condition to check.
    // A gerund followed soon by "is/are" is a subject ("salting for
    // password hashing is disabled"), not the vulnerable operation.
    let head: String = lc.split(' ').take(7).collect::<Vec<_>>().join(" ");
    let gerund = first.ends_with("ing")
        && first.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        && !has_verb(&format!("{head} "))
        && !["mode ", "support "].iter().any(|v| rest_lc.starts_with(v));
    if gerund || !has_predicate(&lc) {
        return;
    }
    for conjunct in conjuncts(clause) {
        found.extend(
            simple_clause(conjunct, evidence)
                .into_iter()
                .map(|i| (at, i)),
        );
    }
}

/// "A is enabled and B is disabled" → both; a single clause stays whole.
fn conjuncts(clause: &str) -> Vec<&str> {
    let lc = clause.to_ascii_lowercase();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut joints: Vec<(usize, usize)> = find_all(&lc, " and ")
        .map(|i| (i, 5))
        .chain(find_all(&lc, " but ").map(|i| (i, 5)))
        .collect();
    joints.sort_unstable();
    for (at, len) in joints {
        if at < start {
            continue;
        }
        let left = &lc[start..at];
        let right = &lc[at + len..];
        let right_until_next = right.split(" and ").next().unwrap_or(right);
        if has_verb(left) && has_verb(right_until_next) {
            parts.push(&clause[start..at]);
            start = at + len;
        }
    }
    parts.push(&clause[start..]);
    parts
}

fn has_verb(lc: &str) -> bool {
    [" is ", " are ", " was ", " were "]
        .iter()
        .any(|v| lc.contains(v))
}

/// Subjects that make a clause about the attack or the flaw itself.
const NON_SUBJECTS: &[&str] = &[
    "it",
    "this",
    "they",
    "there",
    "that",
    "an attacker",
    "the attacker",
    "attackers",
    "the vulnerability",
    "the issue",
    "the flaw",
    "the bug",
    "exploited",
    "successful",
];

/// "X is enabled", "the broker is configured to allow plaintext passwords",
/// "Clientless SSL VPN, AnyConnect SSL VPN, or AnyConnect IKEv2 VPN is used".
fn simple_clause(clause: &str, evidence: &str) -> Vec<Item> {
    let clause = trim_clause(clause);
    let lc = clause.to_ascii_lowercase();
    let verb_at = [
        " is ",
        " are ",
        " was ",
        " were ",
        " has been ",
        " have been ",
    ]
    .iter()
    .filter_map(|v| lc.find(v))
    .min();
    let Some(verb_at) = verb_at else {
        return Vec::new();
    };
    let subject = &clause[..verb_at];
    let subject_lc = &lc[..verb_at];
    let predicate = &clause[verb_at..];
    if subject.trim().is_empty()
        || subject.split(' ').count() > 12
        || NON_SUBJECTS
            .iter()
            .any(|s| subject_lc == *s || subject_lc.starts_with(&format!("{s} ")))
    {
        return Vec::new();
    }
    let kind = clause_kind(subject_lc, &lc[verb_at..]);
    let singular = singular_predicate(predicate);
    let subject = subject
        .strip_prefix("both ")
        .or_else(|| subject.strip_prefix("Both "))
        .unwrap_or(subject);
    let subject_lc = subject_lc.strip_prefix("both ").unwrap_or(subject_lc);
    // "A and B are enabled": both must hold.
    if predicate.starts_with(" are ")
        && !subject.contains(", ")
        && let Some((a, b)) = subject.split_once(" and ")
    {
        let fact = |name: &str| {
            phrase::statement(
                kind,
                &format!("{name}{singular}"),
                ConditionSource::Description,
                evidence,
            )
        };
        let names = shared_head_noun(&[a.to_string(), b.to_string()]);
        return names.iter().map(|n| Item::One(fact(n))).collect();
    }
    if (subject.contains(", ") || subject_lc.contains(" or "))
        && let Some(items) = enumeration(subject, false)
    {
        let items = shared_head_noun(&items);
        let facts = items
            .iter()
            .map(|it| {
                phrase::statement(
                    kind,
                    &format!("{it}{singular}"),
                    ConditionSource::Description,
                    evidence,
                )
            })
            .collect();
        return vec![Item::Any(facts)];
    }
    vec![Item::One(phrase::statement(
        kind,
        clause,
        ConditionSource::Description,
        evidence,
    ))]
}

/// "the VERPPrefix and VERPDomain options" → "the VERPPrefix option",
/// "VERPDomain option": a plural head noun after the last item belongs to
/// every item.
fn shared_head_noun(items: &[String]) -> Vec<String> {
    const PLURALS: &[(&str, &str)] = &[
        (" options", " option"),
        (" settings", " setting"),
        (" features", " feature"),
        (" modules", " module"),
        (" parameters", " parameter"),
        (" extensions", " extension"),
        (" plugins", " plugin"),
        (" modes", " mode"),
        (" services", " service"),
        (" functions", " function"),
    ];
    let Some(last) = items.last() else {
        return Vec::new();
    };
    let Some(&(plural, singular)) = PLURALS
        .iter()
        .find(|(p, _)| last.to_ascii_lowercase().ends_with(p))
    else {
        return items.to_vec();
    };
    items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            if i + 1 == items.len() {
                format!("{}{singular}", &it[..it.len() - plural.len()])
            } else if it.to_ascii_lowercase().ends_with(singular) {
                it.clone()
            } else {
                format!("{it}{singular}")
            }
        })
        .collect()
}

/// " are used" → " is used", for one item of an enumerated subject.
fn singular_predicate(predicate: &str) -> String {
    match predicate.strip_prefix(" are ") {
        Some(rest) => format!(" is {rest}"),
        None => predicate.replacen(" were ", " was ", 1),
    }
}

fn clause_kind(subject_lc: &str, predicate_lc: &str) -> ConditionKind {
    let set_state = ["enabled", "disabled", "configured", " set", "turned"]
        .iter()
        .any(|w| predicate_lc.contains(w));
    if starts_with_platform_word(subject_lc) && !set_state && !has_word(subject_lc, "option") {
        ConditionKind::Platform
    } else if has_word(subject_lc, "function")
        || has_word(subject_lc, "method")
        || has_word(subject_lc, "api")
        || subject_lc.contains("()")
        || predicate_lc.starts_with(" is called")
        || predicate_lc.starts_with(" is used to ")
        || predicate_lc.starts_with(" is used in ")
    {
        ConditionKind::FunctionUse
    } else {
        ConditionKind::Configuration
    }
}

/// "with X enabled", "with the X option set": an absolute construction
/// that names a setting and its state.
/// Where a "with" phrase ends: a clause boundary or the main verb ("X
/// with Kerberos V enabled does not …").
const WITH_STOPS: &[&str] = &[
    ", ", " when ", " allows", " allow ", " via ", "; ", " and ", " which ", " if ", " does",
    " do ", " did ", " is ", " are ", " has ", " have ", " could ", " might ", " may ", " can ",
    " creates", " stores", " uses", " sends", " fails", " lets",
];

fn with_clauses(d: &Doc, found: &mut Vec<(usize, Item)>) {
    const STATES: &[&str] = &[
        "enabled",
        "disabled",
        "turned on",
        "turned off",
        "configured",
        "installed",
        "activated",
        "set",
        "active",
        "loaded",
        "in use",
        "on",
    ];
    for at in find_all(d.lc, "with ") {
        if at > 0 && !matches!(d.lc.as_bytes()[at - 1], b' ' | b'(' | b',') {
            continue;
        }
        let prev = d.lc[..at]
            .trim_end_matches([' ', ','])
            .rsplit(' ')
            .next()
            .unwrap_or("");
        if matches!(
            prev,
            "even" | "along" | "together" | "compatible" | "combined"
        ) {
            continue;
        }
        let start = at + 5;
        let limit = sentence_end(d.text, start);
        let end = first_stop(d.lc, start, limit, WITH_STOPS);
        let lc = d.lc[start..end].trim_end();
        // "with IPv6 support" names a build option without a state word.
        let (name_len, state) = match STATES
            .iter()
            .find(|s| lc.ends_with(&format!(" {s}")) && lc.len() > s.len() + 1)
        {
            Some(state) => (lc.len() - state.len(), *state),
            None if lc.ends_with(" support") && lc.len() > 8 => (lc.len(), "enabled"),
            None => continue,
        };
        let name = d.text[start..start + name_len].trim();
        if name.split(' ').count() > 8 || has_verb(&format!(" {lc} ")) {
            continue;
        }
        let item = phrase::statement(
            ConditionKind::Configuration,
            &format!("{name} is {state}"),
            ConditionSource::Description,
            d.slice(at, end),
        );
        found.push((at, Item::One(item)));
    }
}

// ------------------------------------------------------------------ input

/// Where the "via …" phrase ends at the latest.
const INPUT_STOPS: &[&str] = &[
    " via ",
    ", which",
    " which ",
    ", a different",
    ", a similar",
    ", aka",
    " aka ",
    ", as demonstrated",
    " as demonstrated",
    ", as exploited",
    " as exploited",
    ", related to",
    ", leading to",
    " leading to ",
    ", resulting in",
    " resulting in ",
    ", causing",
    ", because",
    " because ",
    ", when",
    " when ",
    ", if ",
    " if ",
    "; ",
    " in order to ",
    ", possibly",
    ", thereby",
    " thereby ",
    ", allowing",
    " allowing ",
    ", and ",
    " and thereby",
    ", or to ",
    " or to ",
    ", a ",
    ", an ",
    ", the ",
    ", then ",
    ", where ",
    ", even ",
    " even ",
    " could ",
    " might ",
    " can ",
    " may ",
    " would ",
    " will ",
    " allows ",
    " to obtain ",
    " to cause ",
    " and possibly ",
    " or possibly ",
];

/// "via a crafted 0x02 opcode to TCP port 46823", "via the (1) a or (2) b
/// parameter" (alternatives).
fn inputs_via(d: &Doc, found: &mut Vec<(usize, Item)>, cues: &mut Vec<Cue>) {
    for at in find_all(d.lc, " via ") {
        let start = at + 5;
        let end = input_end(d, start);
        if end <= start {
            continue;
        }
        let phrase_text = trim_clause(d.slice(start, end));
        if says_nothing(phrase_text) {
            continue;
        }
        let evidence = d.slice(at + 1, end);
        let lc = phrase_text.to_ascii_lowercase();
        if lc.contains("man-in-the-middle") || lc.contains("sniff") {
            cues.push(Cue {
                access: Access::OnPath,
                source: ConditionSource::Description,
                evidence: evidence.to_string(),
            });
            continue;
        }
        found.push((at, input_item(phrase_text, evidence)));
    }
}

/// "by sending multiple RETR commands", "by triggering deletion of …";
/// "by sniffing the network" is a network position, not an input.
fn inputs_by(d: &Doc, found: &mut Vec<(usize, Item)>, cues: &mut Vec<Cue>) {
    const ON_PATH: &[&str] = &[
        "sniffing",
        "intercepting",
        "eavesdropping",
        "monitoring",
        "observing",
        "capturing",
    ];
    for at in find_all(d.lc, " by ") {
        let prev = d.lc[..at].rsplit(' ').next().unwrap_or("");
        if prev.ends_with("ed") || matches!(prev, "as" | "made" | "done" | "run" | "set" | "") {
            continue;
        }
        let start = at + 4;
        let gerund = d.lc[start..].split([' ', ',', '.']).next().unwrap_or("");
        if !gerund.ends_with("ing") || gerund.len() < 5 {
            continue;
        }
        let end = input_end(d, start);
        if end <= start {
            continue;
        }
        let evidence = d.slice(at + 1, end);
        if matches!(
            gerund,
            "tricking" | "convincing" | "enticing" | "persuading"
        ) {
            cues.push(Cue {
                access: Access::UserInteraction,
                source: ConditionSource::Description,
                evidence: evidence.to_string(),
            });
            continue;
        }
        if ON_PATH.contains(&gerund) {
            cues.push(Cue {
                access: Access::OnPath,
                source: ConditionSource::Description,
                evidence: evidence.to_string(),
            });
            continue;
        }
        let phrase_text = trim_clause(d.slice(start, end));
        found.push((at, Item::One(phrase::input(phrase_text, evidence))));
    }
}

/// "an attacker could send a specially crafted packet", "would have to
/// send a maliciously crafted CIP request": the input of advisory prose
/// that has no "via".
fn inputs_sent(d: &Doc, found: &mut Vec<(usize, Item)>) {
    const MODALS: &[&str] = &[
        "to", "can", "could", "may", "might", "would", "must", "will",
    ];
    for verb in [" send ", " submit ", " upload ", " supply "] {
        for at in find_all(d.lc, verb) {
            let prev = d.lc[..at].rsplit(' ').next().unwrap_or("");
            if !MODALS.contains(&prev) {
                continue;
            }
            let start = at + verb.len();
            let end = input_end(d, start);
            let phrase_text = trim_clause(d.slice(start, end));
            if end <= start || says_nothing(phrase_text) || phrase_text.split(' ').count() > 25 {
                continue;
            }
            found.push((
                at,
                Item::One(phrase::input(phrase_text, d.slice(at + 1, end))),
            ));
        }
    }
}

/// "while parsing specially crafted IGS files", "when processing a
/// malformed header": the crafted thing the product reads is the input.
/// Without such an adjective the gerund only names the vulnerable code.
fn inputs_parsed(d: &Doc, found: &mut Vec<(usize, Item)>) {
    const GERUNDS: &[&str] = &[
        "parsing ",
        "processing ",
        "handling ",
        "reading ",
        "decoding ",
        "loading ",
        "opening ",
        "importing ",
        "rendering ",
        "receiving ",
    ];
    const CRAFTED: &[&str] = &[
        "crafted",
        "malformed",
        "malicious",
        "invalid",
        "specially",
        "untrusted",
    ];
    for lead in ["while ", "when "] {
        for at in find_all(d.lc, lead) {
            let start = at + lead.len();
            let Some(g) = GERUNDS.iter().find(|g| d.lc[start..].starts_with(**g)) else {
                continue;
            };
            let obj = start + g.len();
            let end = input_end(d, obj);
            let lc = &d.lc[obj..end];
            if end <= obj || !CRAFTED.iter().any(|c| lc.contains(c)) {
                continue;
            }
            let phrase_text = trim_clause(d.slice(obj, end));
            found.push((at, Item::One(phrase::input(phrase_text, d.slice(at, end)))));
        }
    }
}

/// One input, or alternatives when the phrase enumerates ("the (1) a or (2)
/// b parameter", "a crafted A, B, or C request").
fn input_item(phrase_text: &str, evidence: &str) -> Item {
    match enumeration(phrase_text, phrase_text.contains("(1)")) {
        Some(items) => Item::Any(items.iter().map(|i| phrase::input(i, evidence)).collect()),
        None => Item::One(phrase::input(phrase_text, evidence)),
    }
}

/// "unknown vectors", "unspecified vectors": no checkable input.
fn says_nothing(phrase_text: &str) -> bool {
    let lc = phrase_text.to_ascii_lowercase();
    let lc = strip_article(&lc);
    let rest = [
        "unknown",
        "unspecified",
        "other",
        "different",
        "multiple",
        "various",
    ]
    .iter()
    .fold(lc, |s, w| s.strip_prefix(w).map_or(s, str::trim_start));
    matches!(
        rest,
        "" | "vectors" | "vector" | "attack vectors" | "means" | "methods" | "ways"
    )
}

/// Where an input phrase ends: at the first hard stop, or at a comma that
/// does not continue an enumeration.
fn input_end(d: &Doc, start: usize) -> usize {
    let limit = sentence_end(d.text, start);
    let hard = first_stop(d.lc, start, limit, INPUT_STOPS);
    let mut pos = start;
    while let Some(i) = d.lc[pos..hard].find(", ") {
        let comma = pos + i;
        let next = &d.lc[comma + 2..hard];
        let numbered =
            next.starts_with('(') || next.starts_with("or (") || next.starts_with("and (");
        let list = list_continues(next);
        if !(numbered || list) {
            return comma;
        }
        pos = comma + 2;
    }
    hard
}

/// After a comma: "B, or C …" / "or C …" continues a short list.
fn list_continues(next: &str) -> bool {
    let segment = next.split(", ").next().unwrap_or(next);
    if segment.starts_with("or ") || segment.starts_with("and ") {
        return true;
    }
    segment.split(' ').count() <= 4
        && next
            .split(", ")
            .skip(1)
            .any(|s| s.starts_with("or ") || s.starts_with("and "))
}

/// "as demonstrated by vectors involving the ForceCommand feature in
/// OpenSSH sshd, the mod_cgi and mod_cgid modules in the Apache HTTP
/// Server, scripts executed by unspecified DHCP clients, and other
/// situations …": each named vector is one way in; any of them suffices.
fn demonstrated_alternatives(d: &Doc, found: &mut Vec<(usize, Item)>) {
    for at in find_all(d.lc, "as demonstrated by ") {
        let mut start = at + "as demonstrated by ".len();
        for lead in ["vectors involving ", "vectors related to ", "the use of "] {
            if d.lc[start..].starts_with(lead) {
                start += lead.len();
            }
        }
        let limit = sentence_end(d.text, start);
        let end = first_stop(d.lc, start, limit, &[", aka", " aka ", "; ", ", which"]);
        let list = trim_clause(d.slice(start, end));
        let Some(items) = enumeration(list, true) else {
            continue;
        };
        let items: Vec<&String> = items
            .iter()
            .filter(|i| {
                let lc = i.to_ascii_lowercase();
                !(lc.starts_with("other ")
                    || lc.starts_with("and other")
                    || lc.starts_with("possibly"))
            })
            .collect();
        if items.len() < 2 || items.iter().any(|i| i.split(' ').count() > 14) {
            continue;
        }
        // Named components ("the ForceCommand feature in OpenSSH sshd",
        // "scripts executed by DHCP clients") are ways in; data values
        // ("fields to the grant->VERSION function") are inputs, read by
        // `inputs_via`.
        let components = items.iter().filter(|i| names_component(i)).count();
        if components * 2 < items.len() {
            continue;
        }
        let evidence = d.slice(at, end);
        let facts = items
            .iter()
            .map(|i| phrase::attack_path(i, evidence))
            .collect();
        found.push((at, Item::Any(facts)));
    }
}

fn names_component(item: &str) -> bool {
    const NOUNS: &[&str] = &[
        "feature",
        "features",
        "module",
        "modules",
        "client",
        "clients",
        "server",
        "servers",
        "service",
        "services",
        "daemon",
        "plugin",
        "plugins",
        "extension",
        "application",
        "applications",
        "script",
        "scripts",
        "interface",
        "component",
        "program",
        "programs",
        "library",
        "utility",
        "tool",
    ];
    let lc = item.to_ascii_lowercase();
    NOUNS.iter().any(|n| has_word(&lc, n))
}

// ----------------------------------------------------------------- actors

/// Actor phrases and the access they state.
const ACTORS: &[(&str, &[Access])] = &[
    (
        "remote authenticated",
        &[Access::Remote, Access::Authenticated],
    ),
    (
        "authenticated remote",
        &[Access::Remote, Access::Authenticated],
    ),
    ("remote administrators", &[Access::Remote, Access::Admin]),
    ("remote attackers", &[Access::Remote]),
    ("remote attacker", &[Access::Remote]),
    ("remote users", &[Access::Remote]),
    ("remote unauthenticated", &[Access::Remote]),
    ("unauthenticated remote", &[Access::Remote]),
    ("remote servers", &[Access::Remote]),
    ("with network access", &[Access::Remote]),
    ("authenticated users", &[Access::Authenticated]),
    ("authenticated attackers", &[Access::Authenticated]),
    ("authenticated user", &[Access::Authenticated]),
    ("logged-in users", &[Access::Authenticated]),
    ("authenticated administrators", &[Access::Admin]),
    ("administrators to", &[Access::Admin]),
    ("local users", &[Access::Local]),
    ("local user", &[Access::Local]),
    ("local attackers", &[Access::Local]),
    ("local attacker", &[Access::Local]),
    ("physically proximate", &[Access::Physical]),
    ("with physical access", &[Access::Physical]),
    ("physical access to", &[Access::Physical]),
    ("man-in-the-middle", &[Access::OnPath]),
    ("on-path attacker", &[Access::OnPath]),
    ("adjacent network", &[Access::Adjacent]),
    ("same network segment", &[Access::Adjacent]),
    ("user-assisted", &[Access::UserInteraction]),
    ("trick a user", &[Access::UserInteraction]),
    ("tricking a user", &[Access::UserInteraction]),
    ("trick users", &[Access::UserInteraction]),
    ("convince a user", &[Access::UserInteraction]),
    ("entice a user", &[Access::UserInteraction]),
    ("social engineering", &[Access::UserInteraction]),
];

/// The first occurrence of each actor phrase, in one pass over the word
/// starts (a search per phrase cost more than all other rules together).
fn actors(d: &Doc, cues: &mut Vec<Cue>) {
    let b = d.lc.as_bytes();
    let mut seen = [false; ACTORS.len()];
    for i in 0..b.len() {
        if i > 0 && b[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let rest = &b[i..];
        for (k, &(words, access)) in ACTORS.iter().enumerate() {
            if seen[k] || words.as_bytes()[0] != b[i] || !rest.starts_with(words.as_bytes()) {
                continue;
            }
            seen[k] = true;
            let evidence = d.slice(i, i + words.len());
            for &a in access {
                cues.push(Cue {
                    access: a,
                    source: ConditionSource::Description,
                    evidence: evidence.to_string(),
                });
            }
        }
    }
}
