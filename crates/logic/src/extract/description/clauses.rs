//! Condition clauses: "when/if/whenever X is enabled|configured|used",
//! elliptical ones ("when running on X", "when configured to …") and
//! absolute "with X enabled" phrases.

use super::Doc;
use super::platform::starts_with_platform_word;
use crate::conditions::{ConditionKind, ConditionSource};
use crate::extract::phrase;
use crate::extract::text::{
    enumeration, find_all, first_stop, has_word, sentence_end, strip_article, trim_clause,
};
use crate::extract::{Access, Cue, Item};

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
pub(super) fn condition_clauses(d: &Doc, found: &mut Vec<(usize, Item)>, cues: &mut Vec<Cue>) {
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

pub(super) fn with_clauses(d: &Doc, found: &mut Vec<(usize, Item)>) {
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
