//! The component the subject names: "The RSVP feature in Cisco IOS", "in the
//! mod_dav_svn module in …", "The (1) TLS and (2) DTLS implementations".

use super::{Doc, subject_end};
use crate::conditions::{ConditionKind, ConditionSource};
use crate::extract::Item;
use crate::extract::phrase;
use crate::extract::text::{enumeration, find_all, trim_clause};

/// "The RSVP feature in Cisco IOS", "in the mod_dav_svn module in Apache
/// Subversion", "The (1) TLS and (2) DTLS implementations in OpenSSL": the
/// component that must be enabled or in use.
pub(super) fn subject_components(d: &Doc, found: &mut Vec<(usize, Item)>) {
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
