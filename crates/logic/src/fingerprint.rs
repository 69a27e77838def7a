//! A fingerprint of what a condition tree says, so that a VEX decision made
//! on one tree can be recognised as still valid (or not) later.
//!
//! Only the meaning counts: the AND/OR structure, each condition's kind and
//! its text (case and spacing folded). Ids, questions, evidence, sources and
//! the order of siblings do not: renumbering or rewording a question keeps
//! the decision; a new, removed or changed condition does not.

use crate::conditions::{Conditions, Node};

/// The prefix that marks the fingerprint's algorithm, so it can change.
pub const PREFIX: &str = "kc1-";

/// `kc1-` and 16 hex digits.
pub fn fingerprint(tree: &Conditions) -> String {
    format!(
        "{PREFIX}{:016x}",
        fnv1a64(canonical(&tree.logic).as_bytes())
    )
}

/// Where a tree came from, as far as re-checking a decision is concerned:
/// `rules` trees (the offline extractor, deterministic) can be rebuilt and
/// compared later; `llm` and `analyst` trees cannot.
pub fn origin(tree: &Conditions) -> &'static str {
    match tree.extractor.as_deref() {
        None => "rules",
        Some(e) if e.starts_with("rules") => "rules",
        Some(e) if e.starts_with("llm") => "llm",
        Some(_) => "analyst",
    }
}

/// Whether `s` has the shape of a fingerprint this module makes.
pub fn is_fingerprint(s: &str) -> bool {
    s.strip_prefix(PREFIX)
        .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn canonical(node: &Node) -> String {
    match node {
        Node::Condition(c) => {
            let text: Vec<String> = c.text.split_whitespace().map(str::to_lowercase).collect();
            format!("{}:{}", kind_name(c.kind), text.join(" "))
        }
        Node::Group(g) => {
            let mut children: Vec<String> = g.children.iter().map(canonical).collect();
            children.sort();
            let op = match g.op {
                crate::GroupOp::All => "all",
                crate::GroupOp::Any => "any",
            };
            // Lengths make the encoding unambiguous whatever the texts hold.
            let body: String = children
                .iter()
                .map(|c| format!("{}#{c}", c.len()))
                .collect();
            format!("{op}({body})")
        }
    }
}

fn kind_name(kind: crate::ConditionKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// FNV-1a, 64 bits: stable across platforms and releases, which is all a
/// change detector needs (this is not a security boundary).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conditions::{Condition, ConditionKind, ConditionSource, Group, GroupOp};

    fn cond(id: &str, kind: ConditionKind, text: &str) -> Node {
        Node::Condition(Condition {
            id: id.into(),
            kind,
            class: None,
            text: text.into(),
            question: format!("Q {id}?"),
            question_ja: None,
            source: ConditionSource::Description,
            evidence: None,
        })
    }

    fn tree(children: Vec<Node>) -> Conditions {
        Conditions::new(
            "CVE-1",
            Node::Group(Group {
                op: GroupOp::All,
                children,
            }),
        )
    }

    #[test]
    fn meaning_changes_the_fingerprint_wording_of_ids_does_not() {
        let a = tree(vec![
            cond("c1", ConditionKind::Configuration, "Option X is enabled"),
            cond("c2", ConditionKind::Network, "Port 445 reachable"),
        ]);
        let renumbered = tree(vec![
            cond("c9", ConditionKind::Network, "port 445  reachable"),
            cond("c8", ConditionKind::Configuration, "Option X is enabled"),
        ]);
        assert_eq!(fingerprint(&a), fingerprint(&renumbered));
        assert!(is_fingerprint(&fingerprint(&a)));

        let changed = tree(vec![
            cond("c1", ConditionKind::Configuration, "Option Y is enabled"),
            cond("c2", ConditionKind::Network, "Port 445 reachable"),
        ]);
        assert_ne!(fingerprint(&a), fingerprint(&changed));
        let mut any = a.clone();
        if let Node::Group(g) = &mut any.logic {
            g.op = GroupOp::Any;
        }
        assert_ne!(fingerprint(&a), fingerprint(&any));
        let kind = tree(vec![
            cond("c1", ConditionKind::Platform, "Option X is enabled"),
            cond("c2", ConditionKind::Network, "Port 445 reachable"),
        ]);
        assert_ne!(fingerprint(&a), fingerprint(&kind));
    }
}
