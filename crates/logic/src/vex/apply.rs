//! Applying VEX statements to scan findings.
//!
//! A statement applies to a finding when
//! 1. its vulnerability id or one of its aliases is the finding's id or one
//!    of the finding's aliases (case-insensitive), and
//! 2. one of its products names the finding's component: the same purl
//!    type/namespace/name (qualifiers and subpath ignored), the same CPE
//!    part:vendor:product, the same name, or the same SBOM bom-ref, and
//! 3. the statement's version scope covers the component's version: no
//!    version (covers every version, so the decision survives upgrades), the
//!    exact version, or a `vers:` range that contains it.
//!
//! A decision is not carried over when the vulnerability id differs (a new
//! CVE is a new question), when the statement pins a version the component
//! no longer has, or when the statement records a condition tree
//! fingerprint and the current tree's differs (the facts the decision rested
//! on have changed): then the finding is annotated, not suppressed.

use std::cmp::Ordering;

use kensa_version::{Scheme, compare};
use serde::Serialize;

use super::VexStatus;
use super::read::{ProductId, Statement, VersionScope, percent_decode, split_purl};

/// What the scanner knows about a finding's component and vulnerability.
#[derive(Debug, Clone, Default)]
pub struct FindingKey<'a> {
    pub vulnerability: &'a str,
    pub aliases: &'a [String],
    pub bom_ref: &'a str,
    pub name: &'a str,
    pub version: Option<&'a str>,
    pub purl: Option<&'a str>,
    pub cpes: &'a [String],
}

/// How the current condition tree compares with the one the decision was
/// made on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConditionsCheck {
    /// The statement recorded no fingerprint (not made by Kensa).
    NotRecorded,
    /// No current tree to compare with, or the decision rested on an LLM
    /// or analyst tree, which cannot be rebuilt to compare.
    NotChecked {
        recorded: String,
        origin: String,
    },
    Same {
        fingerprint: String,
    },
    Changed {
        recorded: String,
        current: String,
    },
}

/// The statement that applies to a finding, and what follows from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub status: VexStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Where the statement is: file, format and JSON pointer.
    pub source: String,
    /// How the statement names the component (`purl, any version`, …).
    pub matched_by: String,
    pub conditions: ConditionsCheck,
    /// Whether the finding is left out of the table: not_affected or a
    /// version-specific fixed, and the conditions have not changed.
    pub suppressed: bool,
    /// Why the decision does not suppress the finding, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// How specifically a product names a component; more specific statements
/// win over general ones, later ones over earlier ones of equal rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Specificity {
    AnyVersion,
    Range,
    Exact,
}

/// The decision for one finding, if any statement applies. `current`
/// gives the fingerprint of the vulnerability's current rules-extractor
/// tree, when one can be computed; only decisions made on a rules tree are
/// compared with it.
pub fn decide(
    statements: &[Statement],
    key: &FindingKey,
    current: impl Fn(&str) -> Option<String>,
) -> Option<Decision> {
    let mut best: Option<(Specificity, &Statement, String)> = None;
    for s in statements.iter().filter(|s| same_vulnerability(s, key)) {
        for p in &s.products {
            let Some((spec, how)) = covers(p, key) else {
                continue;
            };
            if best.as_ref().is_none_or(|(b, _, _)| spec >= *b) {
                best = Some((spec, s, how));
            }
        }
    }
    let (spec, s, matched_by) = best?;
    let conditions = match &s.fingerprint {
        None => ConditionsCheck::NotRecorded,
        Some(r) => match (r.origin == "rules")
            .then(|| current(key.vulnerability))
            .flatten()
        {
            None => ConditionsCheck::NotChecked {
                recorded: r.fingerprint.clone(),
                origin: r.origin.clone(),
            },
            Some(cur) if cur == r.fingerprint => ConditionsCheck::Same { fingerprint: cur },
            Some(cur) => ConditionsCheck::Changed {
                recorded: r.fingerprint.clone(),
                current: cur,
            },
        },
    };
    let note = match (&conditions, s.status) {
        (ConditionsCheck::Changed { .. }, _) => Some(
            "the trigger conditions changed since this decision; re-assess before relying on it"
                .to_string(),
        ),
        (_, VexStatus::Fixed) if spec == Specificity::AnyVersion => Some(
            "a `fixed` statement without a version cannot say which versions carry the fix"
                .to_string(),
        ),
        _ => None,
    };
    let suppressed =
        note.is_none() && matches!(s.status, VexStatus::NotAffected | VexStatus::Fixed);
    Some(Decision {
        status: s.status,
        justification: s.justification.clone(),
        detail: s.detail.clone(),
        source: s.source.clone(),
        matched_by,
        conditions,
        suppressed,
        note,
    })
}

fn same_vulnerability(s: &Statement, key: &FindingKey) -> bool {
    let ours = std::iter::once(key.vulnerability).chain(key.aliases.iter().map(String::as_str));
    let theirs: Vec<&str> = std::iter::once(s.vulnerability.as_str())
        .chain(s.aliases.iter().map(String::as_str))
        .collect();
    ours.into_iter()
        .any(|a| theirs.iter().any(|b| a.eq_ignore_ascii_case(b)))
}

/// Whether `p` names the finding's component at its version, and how.
fn covers(p: &ProductId, key: &FindingKey) -> Option<(Specificity, String)> {
    let (identity, scheme) = if let Some(purl) = &p.purl {
        let theirs = PurlKey::parse(purl)?;
        let ours = PurlKey::parse(&split_purl(key.purl?).0)?;
        if theirs != ours {
            return None;
        }
        (format!("purl {purl}"), Scheme::for_ecosystem(&ours.kind))
    } else if let Some(cpe) = &p.cpe {
        let want = cpe_product(cpe)?;
        key.cpes
            .iter()
            .find(|c| cpe_product(c).as_deref() == Some(want.as_str()))?;
        (format!("cpe {want}"), Scheme::Generic)
    } else if let Some(r) = p.bom_ref.as_deref().filter(|r| *r == key.bom_ref) {
        (format!("bom-ref {r}"), Scheme::Generic)
    } else if let Some(n) = p
        .name
        .as_deref()
        .filter(|n| n.eq_ignore_ascii_case(key.name))
    {
        (format!("name {n}"), Scheme::Generic)
    } else {
        return None;
    };
    let version = key
        .purl
        .and_then(|p| split_purl(p).1)
        .or_else(|| key.version.map(str::to_string));
    match &p.version {
        VersionScope::Any => Some((Specificity::AnyVersion, format!("{identity}, any version"))),
        VersionScope::Exact(v) => (version.as_deref() == Some(v.as_str()))
            .then(|| (Specificity::Exact, format!("{identity}@{v}"))),
        VersionScope::Range(r) => in_range(scheme, version.as_deref()?, r)
            .then(|| (Specificity::Range, format!("{identity} in {r}"))),
    }
}

/// A purl's identity: type, namespace and name, folded to lower case
/// (most ecosystems' names are case-insensitive; the few that are not
/// rarely have names differing only by case).
#[derive(Debug, PartialEq, Eq)]
struct PurlKey {
    kind: String,
    namespace: String,
    name: String,
}

impl PurlKey {
    fn parse(purl: &str) -> Option<PurlKey> {
        let base = split_purl(purl).0;
        let body = base.strip_prefix("pkg:")?;
        let body = body.split(['?', '#']).next()?.trim_matches('/');
        let (kind, path) = body.split_once('/')?;
        let (namespace, name) = path.rsplit_once('/').unwrap_or(("", path));
        Some(PurlKey {
            kind: kind.to_lowercase(),
            namespace: percent_decode(namespace).to_lowercase(),
            name: percent_decode(name).to_lowercase(),
        })
    }
}

/// `part:vendor:product` of a CPE 2.3 formatted string.
fn cpe_product(cpe: &str) -> Option<String> {
    let f: Vec<&str> = cpe.split(':').collect();
    (f.len() >= 5 && f[0] == "cpe").then(|| format!("{}:{}:{}", f[2], f[3], f[4]).to_lowercase())
}

/// Whether `version` is in a `vers:` range, following the vers
/// specification: equality constraints, then the ordered range constraints
/// read as a sequence of intervals.
pub fn in_range(scheme: Scheme, version: &str, range: &str) -> bool {
    let Some(spec) = range.strip_prefix("vers:") else {
        return false;
    };
    let Some((_, constraints)) = spec.split_once('/') else {
        return false;
    };
    if constraints.trim() == "*" {
        return true;
    }
    let cmp = |a: &str, b: &str| compare(scheme, a, b);
    let mut ranges = Vec::new();
    for c in constraints
        .split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let (op, v) = split_comparator(c);
        let v = percent_decode(v);
        match op {
            "=" if cmp(version, &v) == Some(Ordering::Equal) => return true,
            "!=" if cmp(version, &v) == Some(Ordering::Equal) => return false,
            "=" | "!=" => {}
            _ => ranges.push((op, v)),
        }
    }
    let holds = |op: &str, v: &str| match cmp(version, v) {
        Some(o) => match op {
            "<" => o == Ordering::Less,
            "<=" => o != Ordering::Greater,
            ">" => o == Ordering::Greater,
            ">=" => o != Ordering::Less,
            _ => false,
        },
        None => false,
    };
    let lower = |op: &str| op.starts_with('>');
    if let Some((op, v)) = ranges.first()
        && !lower(op)
        && holds(op, v)
    {
        return true;
    }
    if let Some((op, v)) = ranges.last()
        && lower(op)
        && holds(op, v)
    {
        return true;
    }
    ranges.windows(2).any(|w| {
        lower(w[0].0) && !lower(w[1].0) && holds(w[0].0, &w[0].1) && holds(w[1].0, &w[1].1)
    })
}

fn split_comparator(c: &str) -> (&str, &str) {
    for op in ["<=", ">=", "!=", "<", ">", "="] {
        if let Some(v) = c.strip_prefix(op) {
            return (op, v);
        }
    }
    ("=", c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vers_ranges() {
        let g = Scheme::Generic;
        assert!(in_range(g, "1.5", "vers:generic/>=1.0|<2.0"));
        assert!(!in_range(g, "2.0", "vers:generic/>=1.0|<2.0"));
        assert!(!in_range(g, "0.9", "vers:generic/>=1.0|<2.0"));
        assert!(in_range(g, "0.9", "vers:generic/<1.0"));
        assert!(in_range(g, "3.0", "vers:generic/>=1.0|<2.0|>=3.0"));
        assert!(!in_range(g, "2.5", "vers:generic/>=1.0|<2.0|>=3.0"));
        assert!(in_range(g, "7", "vers:generic/*"));
        assert!(in_range(g, "1.2.3", "vers:generic/1.2.3"));
        assert!(!in_range(g, "1.2.3", "vers:generic/!=1.2.3"));
        assert!(!in_range(g, "1.2.3", "not a range"));
        assert!(in_range(
            Scheme::Debian,
            "1.1.1n-0+deb11u4",
            "vers:deb/>=1.1.1|<1.1.1n-0+deb11u5"
        ));
    }

    #[test]
    fn purl_identity_ignores_version_and_qualifiers() {
        assert_eq!(
            PurlKey::parse("pkg:apk/alpine/libcrypto3@3.0.8-r3?arch=x86_64"),
            PurlKey::parse("pkg:apk/Alpine/libcrypto3")
        );
        assert_ne!(
            PurlKey::parse("pkg:apk/alpine/libcrypto3"),
            PurlKey::parse("pkg:apk/alpine/libssl3")
        );
        assert_eq!(PurlKey::parse("not a purl"), None);
    }
}
