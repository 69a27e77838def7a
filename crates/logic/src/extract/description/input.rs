//! What the attacker sends or does: "via …", "by sending …", "could send …",
//! "while parsing crafted …", and the ways in of "as demonstrated by vectors
//! involving A, B, and C".

use super::Doc;
use crate::conditions::ConditionSource;
use crate::extract::phrase;
use crate::extract::text::{
    enumeration, find_all, first_stop, has_word, sentence_end, strip_article, trim_clause,
};
use crate::extract::{Access, Cue, Item};

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
pub(super) fn inputs_via(d: &Doc, found: &mut Vec<(usize, Item)>, cues: &mut Vec<Cue>) {
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
pub(super) fn inputs_by(d: &Doc, found: &mut Vec<(usize, Item)>, cues: &mut Vec<Cue>) {
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
pub(super) fn inputs_sent(d: &Doc, found: &mut Vec<(usize, Item)>) {
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
pub(super) fn inputs_parsed(d: &Doc, found: &mut Vec<(usize, Item)>) {
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
pub(super) fn demonstrated_alternatives(d: &Doc, found: &mut Vec<(usize, Item)>) {
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
