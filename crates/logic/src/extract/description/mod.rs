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

mod actors;
mod clauses;
mod input;
mod platform;
mod subject;

use super::text::{clean, first_stop, sentence_end};
use super::{Facts, Item};
use crate::conditions::ConditionKind;

use actors::actors;
use clauses::{condition_clauses, with_clauses};
use input::{demonstrated_alternatives, inputs_by, inputs_parsed, inputs_sent, inputs_via};
use platform::{platform_for, platforms_on};
use subject::subject_components;

/// The description and its ASCII-lowercased twin (same byte offsets).
pub(super) struct Doc<'a> {
    pub(super) text: &'a str,
    pub(super) lc: &'a str,
}

impl Doc<'_> {
    pub(super) fn slice(&self, from: usize, to: usize) -> &str {
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
        if is_negated_state(&item) {
            continue;
        }
        if let Some(shorter) = contained_input(&facts.items, &item) {
            facts.items[shorter] = item;
        } else if !is_duplicate(&facts.items, &item) {
            facts.items.push(item);
        }
    }
}

/// A configuration stated in the negative ("if CodeMeter is not configured
/// as a server, the adversary would need local access") names the path
/// where the flaw is harder to reach, not a condition for it.
fn is_negated_state(item: &Item) -> bool {
    let Item::One(f) = item else {
        return false;
    };
    let lc = f.text.to_ascii_lowercase();
    f.kind == ConditionKind::Configuration
        && [" is not ", " are not ", " isn't ", " aren't "]
            .iter()
            .any(|n| lc.contains(n))
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

/// Where the grammatical subject ("<flaw> in <component> in <product>
/// <versions>") ends: at the first condition clause or main verb.
pub(super) fn subject_end(d: &Doc) -> usize {
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
