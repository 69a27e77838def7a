//! Matching components against the products of CSAF advisories.
//!
//! Industrial vendors publish their products in CSAF product trees by
//! name, not by CPE: `Siemens / SIMATIC RF615R / All versions < V3.2.1`.
//! A component matches an advisory product when its name (or purl name)
//! equals the product name after normalisation and its supplier,
//! manufacturer or purl namespace agrees with the advisory's vendor; the
//! version must satisfy the product's version or range, which vendors
//! write as vers strings (`vers:intdot/<3.2.1`) or in prose (`<= 3.0`,
//! `All versions < V3.2.1`, `2015 | 2016`, `7.2.x`). A range Kensa cannot
//! read is never taken as a match.

use std::cmp::Ordering;
use std::collections::HashMap;

use kensa_model::Component;
use kensa_version::compare_generic;

use crate::resolve::{Purl, normalize};

/// An advisory product as the store holds it.
#[derive(Debug, Clone)]
pub struct AdvisoryProduct {
    pub document_id: i64,
    pub tracking_id: String,
    pub product_id: String,
    pub vendor: Option<String>,
    pub product_name: String,
    pub version: Option<String>,
    pub version_range: Option<String>,
}

/// The advisory products by normalised product name.
#[derive(Default)]
pub struct AdvisoryIndex {
    by_name: HashMap<String, Vec<AdvisoryProduct>>,
}

/// An advisory product a component is, with how sure and why.
#[derive(Debug, Clone)]
pub struct AdvisoryHit<'a> {
    pub product: &'a AdvisoryProduct,
    pub confidence: f64,
    pub evidence: String,
    /// The version statement that covers the component.
    pub covered_by: String,
}

impl AdvisoryIndex {
    pub fn new(products: impl IntoIterator<Item = AdvisoryProduct>) -> AdvisoryIndex {
        let mut by_name: HashMap<String, Vec<AdvisoryProduct>> = HashMap::new();
        for p in products {
            for key in product_keys(&p.product_name) {
                by_name.entry(key).or_default().push(p.clone());
            }
        }
        AdvisoryIndex { by_name }
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The advisory products this component names, version aside: for a
    /// rescan's change detection and for unversioned components.
    pub fn named(&self, c: &Component) -> Vec<&AdvisoryProduct> {
        let parties = Parties::of(c);
        let mut out: Vec<&AdvisoryProduct> = names(c)
            .iter()
            .filter_map(|n| self.by_name.get(n))
            .flatten()
            .filter(|p| parties.agree(p.vendor.as_deref()).is_some())
            .collect();
        dedup_products(&mut out);
        out
    }

    /// The advisory products that name this component and whose version
    /// statement covers `version`.
    pub fn matches(&self, c: &Component, version: &str) -> Vec<AdvisoryHit<'_>> {
        let parties = Parties::of(c);
        let mut out: Vec<AdvisoryHit<'_>> = Vec::new();
        for name in names(c) {
            for p in self.by_name.get(&name).into_iter().flatten() {
                if out.iter().any(|h| same(h.product, p)) {
                    continue;
                }
                let Some((confidence, why)) = parties.agree(p.vendor.as_deref()) else {
                    continue;
                };
                let statement = p
                    .version_range
                    .as_deref()
                    .or(p.version.as_deref())
                    .unwrap_or("");
                if VersionSpec::parse(statement).contains(version) != Some(true) {
                    continue;
                }
                out.push(AdvisoryHit {
                    product: p,
                    confidence,
                    evidence: format!(
                        "the component `{}` is the product `{}`{} of advisory {}; {why}; version {version} is within `{statement}`",
                        c.name,
                        p.product_name,
                        p.vendor
                            .as_deref()
                            .map(|v| format!(" by {v}"))
                            .unwrap_or_default(),
                        p.tracking_id,
                    ),
                    covered_by: statement.to_string(),
                });
            }
        }
        out
    }
}

/// The names an advisory product goes by: as written; without the
/// parenthesised variant notes vendors append (`SCALANCE X204RNA (HSR)
/// (6GK5204-0BA00-2MB2)`, `TIM 4R-IE (incl. SIPLUS NET variants)`); and
/// the order numbers among those notes, which device inventories record.
fn product_keys(name: &str) -> Vec<String> {
    let mut keys = vec![normalize(name)];
    let mut bare = String::new();
    let mut depth = 0usize;
    let mut note = String::new();
    for ch in name.chars() {
        match ch {
            '(' => depth += 1,
            ')' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let n = note.trim();
                    let order_number = n.len() >= 6
                        && n.contains('-')
                        && n.chars().any(|c| c.is_ascii_digit())
                        && !n.contains(' ');
                    if order_number {
                        keys.push(normalize(n));
                    }
                    note.clear();
                }
            }
            _ if depth > 0 => note.push(ch),
            _ => bare.push(ch),
        }
    }
    keys.push(normalize(&bare));
    keys.retain(|k| !k.is_empty());
    keys.sort();
    keys.dedup();
    keys
}

/// The names a component may go by: its own and its purl's.
pub(crate) fn names(c: &Component) -> Vec<String> {
    let mut out = vec![normalize(&c.name)];
    if let Some(p) = c.purl.as_deref().and_then(Purl::parse) {
        let n = normalize(&p.name);
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out.retain(|n| !n.is_empty());
    out
}

fn same(a: &AdvisoryProduct, b: &AdvisoryProduct) -> bool {
    a.document_id == b.document_id && a.product_id == b.product_id
}

fn dedup_products(v: &mut Vec<&AdvisoryProduct>) {
    let mut seen: Vec<(i64, &str)> = Vec::new();
    v.retain(|p| {
        let key = (p.document_id, p.product_id.as_str());
        let fresh = !seen.contains(&key);
        seen.push(key);
        fresh
    });
}

/// Who made or supplied the component, normalised.
pub(crate) struct Parties(Vec<String>);

impl Parties {
    pub(crate) fn of(c: &Component) -> Parties {
        let mut v: Vec<String> = [&c.supplier, &c.manufacturer, &c.author, &c.group]
            .into_iter()
            .flatten()
            .map(|s| normalize(s))
            .collect();
        if let Some(ns) = c
            .purl
            .as_deref()
            .and_then(Purl::parse)
            .and_then(|p| p.namespace)
        {
            v.push(normalize(&ns));
        }
        v.retain(|s| !s.is_empty());
        Parties(v)
    }

    /// Whether the advisory's vendor is the component's maker: the same
    /// first word (`Siemens` and `Siemens AG`; `Schneider Electric` and
    /// `schneider_electric_se`). An SBOM that names no maker cannot
    /// disagree, but matches with less confidence.
    pub(crate) fn agree(&self, vendor: Option<&str>) -> Option<(f64, &'static str)> {
        let Some(vendor) = vendor.map(normalize).filter(|v| !v.is_empty()) else {
            return Some((0.8, "the advisory names no vendor"));
        };
        if self.0.is_empty() {
            return Some((0.8, "the SBOM names no supplier to compare"));
        }
        let first = |s: &str| s.split('_').next().unwrap_or("").to_string();
        let vendor_first = first(&vendor);
        self.0
            .iter()
            .any(|p| *p == vendor || first(p) == vendor_first)
            .then_some((0.95, "the supplier is the advisory's vendor"))
    }
}

/// A product's version statement, as far as Kensa can read it.
#[derive(Debug, Clone, PartialEq)]
pub enum VersionSpec {
    /// All versions.
    Any,
    /// Any of these alternatives.
    OneOf(Vec<Alternative>),
    /// Prose Kensa cannot read: never a match.
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Alternative {
    /// Exactly this version.
    Exact(String),
    /// Versions starting with this prefix (`7.2.x`).
    Prefix(String),
    /// Within bounds (each inclusive or not).
    Range {
        lower: Option<(String, bool)>,
        upper: Option<(String, bool)>,
    },
}

impl VersionSpec {
    pub fn parse(text: &str) -> VersionSpec {
        let t = text.trim();
        if t.is_empty() {
            return VersionSpec::Unknown;
        }
        if let Some(rest) = t.strip_prefix("vers:") {
            return parse_vers(rest);
        }
        let lower = t.to_ascii_lowercase();
        let body = lower
            .strip_prefix("all versions")
            .map(str::trim)
            .unwrap_or(&lower);
        if body.is_empty() || body == "*" {
            return VersionSpec::Any;
        }
        let mut alternatives = Vec::new();
        let mut pending_lower: Option<(String, bool)> = None;
        for part in body
            .split(['|', ','])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let Some(constraint) = parse_constraint(part) else {
                return VersionSpec::Unknown;
            };
            match constraint {
                Constraint::Lower(v, inc) => pending_lower = Some((v, inc)),
                Constraint::Upper(v, inc) => alternatives.push(Alternative::Range {
                    lower: pending_lower.take(),
                    upper: Some((v, inc)),
                }),
                Constraint::Alt(a) => alternatives.push(a),
            }
        }
        if let Some(l) = pending_lower {
            alternatives.push(Alternative::Range {
                lower: Some(l),
                upper: None,
            });
        }
        if alternatives.is_empty() {
            VersionSpec::Unknown
        } else {
            VersionSpec::OneOf(alternatives)
        }
    }

    /// Whether `version` satisfies the statement; `None` when either
    /// cannot be compared.
    pub fn contains(&self, version: &str) -> Option<bool> {
        match self {
            VersionSpec::Any => Some(true),
            VersionSpec::Unknown => None,
            VersionSpec::OneOf(alts) => {
                let mut undecided = false;
                for a in alts {
                    match a.contains(version) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => undecided = true,
                    }
                }
                if undecided { None } else { Some(false) }
            }
        }
    }
}

impl Alternative {
    fn contains(&self, version: &str) -> Option<bool> {
        match self {
            Alternative::Exact(v) => Some(compare_generic(version, v)? == Ordering::Equal),
            Alternative::Prefix(p) => {
                let v = version.trim().trim_start_matches(['v', 'V']);
                Some(v == p.trim_end_matches('.') || v.starts_with(p.as_str()))
            }
            Alternative::Range { lower, upper } => {
                if let Some((l, inclusive)) = lower {
                    let o = compare_generic(version, l)?;
                    if o == Ordering::Less || (o == Ordering::Equal && !inclusive) {
                        return Some(false);
                    }
                }
                if let Some((u, inclusive)) = upper {
                    let o = compare_generic(version, u)?;
                    if o == Ordering::Greater || (o == Ordering::Equal && !inclusive) {
                        return Some(false);
                    }
                }
                Some(true)
            }
        }
    }
}

enum Constraint {
    Lower(String, bool),
    Upper(String, bool),
    Alt(Alternative),
}

/// One constraint in prose or vers syntax: `< V3.2.1`, `<=8.0x`,
/// `prior to 4.2`, `3.0 and later`, `7.2.x`, `8.0 (Standard Edition)`.
fn parse_constraint(part: &str) -> Option<Constraint> {
    let part = part.trim();
    for (op, lower, inclusive) in [
        ("<=", false, true),
        (">=", true, true),
        ("<", false, false),
        (">", true, false),
        ("prior to ", false, false),
        ("before ", false, false),
        ("up to ", false, true),
        ("from ", true, true),
    ] {
        if let Some(v) = part.strip_prefix(op) {
            let v = version_token(v)?;
            return Some(if lower {
                Constraint::Lower(v, inclusive)
            } else {
                Constraint::Upper(v, inclusive)
            });
        }
    }
    for suffix in [" and later", " and above", " or later", " and newer"] {
        if let Some(v) = part.strip_suffix(suffix) {
            return Some(Constraint::Lower(version_token(v)?, true));
        }
    }
    let v = version_token(part.strip_prefix('=').unwrap_or(part))?;
    if let Some(prefix) = v.strip_suffix(".x").or_else(|| v.strip_suffix(".*")) {
        return Some(Constraint::Alt(Alternative::Prefix(format!("{prefix}."))));
    }
    // A version followed by words in parentheses (an edition) is that
    // version; other trailing words make the statement unreadable.
    Some(Constraint::Alt(Alternative::Exact(v)))
}

/// The version at the start of `s`, allowing an edition in parentheses
/// after it; `None` when `s` is prose.
fn version_token(s: &str) -> Option<String> {
    let s = s.trim();
    let (head, tail) = match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, ""),
    };
    let head = head.trim_start_matches(['v', 'V']);
    let looks_like_version = head.chars().next().is_some_and(|c| c.is_ascii_digit())
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '*'));
    if !looks_like_version || !(tail.is_empty() || tail.starts_with('(')) {
        return None;
    }
    Some(head.to_string())
}

/// `vers:<scheme>/<constraints>`: `vers:all/*`, `vers:intdot/<3.2.1`,
/// `vers:generic/>=1.0|<2.0|3.1`.
fn parse_vers(rest: &str) -> VersionSpec {
    let Some((_scheme, constraints)) = rest.split_once('/') else {
        return VersionSpec::Unknown;
    };
    if constraints.trim() == "*" {
        return VersionSpec::Any;
    }
    // The vers syntax is the prose syntax without spaces; `!=` is the one
    // operator prose lacks, and excluding a version is never a match here.
    if constraints.contains("!=") {
        return VersionSpec::Unknown;
    }
    VersionSpec::parse(&constraints.replace('|', " | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(spec: &str, v: &str) -> Option<bool> {
        VersionSpec::parse(spec).contains(v)
    }

    #[test]
    fn vendor_prose_and_vers_ranges() {
        assert_eq!(covers("All versions < V3.2.1", "V3.1"), Some(true));
        assert_eq!(covers("All versions < V3.2.1", "3.2.1"), Some(false));
        assert_eq!(covers("<= 3.0", "3.0"), Some(true));
        assert_eq!(covers("<= 3.0", "3.0.1"), Some(false));
        assert_eq!(covers(">= 7.4x | <= 8.0x", "7.6"), Some(true));
        assert_eq!(covers(">= 7.4x | <= 8.0x", "8.1"), Some(false));
        assert_eq!(covers("2015 | 2016", "2016"), Some(true));
        assert_eq!(covers("2015 | 2016", "2017"), Some(false));
        assert_eq!(covers("7.2.x", "7.2.4"), Some(true));
        assert_eq!(covers("7.2.x", "7.20"), Some(false));
        assert_eq!(
            covers("8.0 (Standard DC HC Buildings Editions)", "8.0"),
            Some(true)
        );
        assert_eq!(covers("vers:all/*", "anything"), Some(true));
        assert_eq!(covers("vers:intdot/<3.2.1", "3.2.0"), Some(true));
        assert_eq!(covers("vers:generic/>=1.0|<2.0|3.1", "3.1"), Some(true));
        assert_eq!(covers("vers:generic/>=1.0|<2.0|3.1", "2.5"), Some(false));
        assert_eq!(covers("3.0 and later", "4"), Some(true));
        assert_eq!(covers("prior to 4.2", "4.2"), Some(false));
    }

    #[test]
    fn prose_is_never_a_match() {
        for spec in [
            "Protection from unintended firmware upload",
            "2404267 version 1.x",
            "vers:generic/!=1.0",
            "",
        ] {
            assert_eq!(covers(spec, "1.0"), None, "{spec}");
        }
    }

    fn product(vendor: &str, name: &str, range: &str) -> AdvisoryProduct {
        AdvisoryProduct {
            document_id: 1,
            tracking_id: "ICSA-00-000-00".into(),
            product_id: "CSAFPID-1".into(),
            vendor: Some(vendor.into()),
            product_name: name.into(),
            version: None,
            version_range: Some(range.into()),
        }
    }

    #[test]
    fn variant_notes_and_order_numbers_are_names_too() {
        assert_eq!(
            product_keys("SCALANCE X204RNA (HSR) (6GK5204-0BA00-2MB2)"),
            [
                "6gk5204_0ba00_2mb2",
                "scalance_x204rna",
                "scalance_x204rna_hsr_6gk5204_0ba00_2mb2"
            ]
        );
        assert_eq!(
            product_keys("TIM 4R-IE (incl. SIPLUS NET variants)"),
            ["tim_4r_ie", "tim_4r_ie_incl_siplus_net_variants"]
        );
    }

    #[test]
    fn components_match_by_name_supplier_and_version() {
        let index = AdvisoryIndex::new([
            product("Siemens", "SIMATIC RF615R", "All versions < V3.2.1"),
            product("Advantech", "Spectre RT ERT351", "<= 5.1.3"),
        ]);
        let mut c = Component {
            name: "simatic-rf615r".into(),
            supplier: Some("Siemens AG".into()),
            ..Default::default()
        };
        let hits = index.matches(&c, "V3.1");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].confidence, 0.95);
        assert!(index.matches(&c, "V3.2.1").is_empty(), "fixed version");
        c.supplier = Some("Rockwell Automation".into());
        assert!(
            index.matches(&c, "V3.1").is_empty(),
            "another maker's product"
        );
        c.supplier = None;
        assert_eq!(index.matches(&c, "V3.1")[0].confidence, 0.8);
    }
}
