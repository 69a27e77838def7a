//! The mandatory tests of section 6.1 (those about versions, CVSS,
//! languages, purls and profiles live in their own modules).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use serde_json::Value;

use super::doc::{self, items, text};
use super::{Finding, Group, finding, lang, metrics, profiles, purl, revision};

pub const TESTS: &[&str] = &[
    "6.1.1",
    "6.1.2",
    "6.1.3",
    "6.1.4",
    "6.1.5",
    "6.1.6",
    "6.1.7",
    "6.1.8",
    "6.1.9",
    "6.1.10",
    "6.1.11",
    "6.1.12",
    "6.1.13",
    "6.1.14",
    "6.1.15",
    "6.1.16",
    "6.1.17",
    "6.1.18",
    "6.1.19",
    "6.1.20",
    "6.1.21",
    "6.1.22",
    "6.1.23",
    "6.1.24",
    "6.1.25",
    "6.1.26",
    "6.1.27.1",
    "6.1.27.2",
    "6.1.27.3",
    "6.1.27.4",
    "6.1.27.5",
    "6.1.27.6",
    "6.1.27.7",
    "6.1.27.8",
    "6.1.27.9",
    "6.1.27.10",
    "6.1.27.11",
    "6.1.28",
    "6.1.29",
    "6.1.30",
    "6.1.31",
    "6.1.32",
    "6.1.33",
];

fn fail(test: &str, path: impl Into<String>, message: impl Into<String>) -> Finding {
    finding(test, Group::Mandatory, path, message)
}

pub fn run(doc: &Value, out: &mut Vec<Finding>) {
    product_ids(doc, out);
    circular(doc, out);
    group_ids(doc, out);
    contradicting_status(doc, out);
    metrics::mandatory(doc, out);
    cwe(doc, out);
    lang::mandatory(doc, out);
    purls(doc, out);
    revision::mandatory(doc, out);
    translator(doc, out);
    duplicates(doc, out);
    profiles::mandatory(doc, out);
    references_products(doc, out);
    version_ranges(doc, out);
    vex_flags(doc, out);
}

/// 6.1.1 (every reference is defined) and 6.1.2 (no id defined twice).
fn product_ids(doc: &Value, out: &mut Vec<Finding>) {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for p in doc::full_products(doc) {
        if let Some(id) = text(p.value, "product_id")
            && !seen.insert(id)
        {
            out.push(fail(
                "6.1.2",
                format!("{}/product_id", p.path),
                format!("product id `{id}` is defined more than once"),
            ));
        }
    }
    for r in doc::product_refs(doc) {
        if !seen.contains(r.id) {
            out.push(fail(
                "6.1.1",
                r.path,
                format!("product id `{}` is not defined in the product tree", r.id),
            ));
        }
    }
}

/// 6.1.3: a product a relationship defines must not be built from itself.
fn circular(doc: &Value, out: &mut Vec<Finding>) {
    let rels = doc
        .get("product_tree")
        .map(|t| items(t, "relationships"))
        .unwrap_or(&[]);
    let mut parts: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in rels {
        if let Some(id) = r
            .get("full_product_name")
            .and_then(|p| text(p, "product_id"))
        {
            let e = parts.entry(id).or_default();
            e.extend(
                ["product_reference", "relates_to_product_reference"]
                    .iter()
                    .filter_map(|k| text(r, k)),
            );
        }
    }
    for (i, r) in rels.iter().enumerate() {
        let Some(id) = r
            .get("full_product_name")
            .and_then(|p| text(p, "product_id"))
        else {
            continue;
        };
        let mut stack: Vec<&str> = parts.get(id).cloned().unwrap_or_default();
        let mut visited: BTreeSet<&str> = BTreeSet::new();
        while let Some(next) = stack.pop() {
            if next == id {
                out.push(fail(
                    "6.1.3",
                    format!("/product_tree/relationships/{i}/full_product_name/product_id"),
                    format!(
                        "product id `{id}` is defined through itself (a circular relationship)"
                    ),
                ));
                break;
            }
            if visited.insert(next)
                && let Some(more) = parts.get(next)
            {
                stack.extend(more.iter().copied());
            }
        }
    }
}

/// 6.1.4 (every group reference is defined) and 6.1.5 (no group defined twice).
fn group_ids(doc: &Value, out: &mut Vec<Finding>) {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    if let Some(tree) = doc.get("product_tree") {
        for (i, g) in items(tree, "product_groups").iter().enumerate() {
            if let Some(id) = text(g, "group_id")
                && !seen.insert(id)
            {
                out.push(fail(
                    "6.1.5",
                    format!("/product_tree/product_groups/{i}/group_id"),
                    format!("product group id `{id}` is defined more than once"),
                ));
            }
        }
    }
    for r in doc::group_refs(doc) {
        if !seen.contains(r.id) {
            out.push(fail(
                "6.1.4",
                r.path,
                format!(
                    "product group id `{}` is not defined in the product tree",
                    r.id
                ),
            ));
        }
    }
}

/// 6.1.6: affected, not affected, fixed and under investigation are
/// pairwise disjoint within a vulnerability.
fn contradicting_status(doc: &Value, out: &mut Vec<Finding>) {
    const CLASSES: [(&str, &[&str]); 4] = [
        (
            "affected",
            &["first_affected", "known_affected", "last_affected"],
        ),
        ("not affected", &["known_not_affected"]),
        ("fixed", &["first_fixed", "fixed"]),
        ("under investigation", &["under_investigation"]),
    ];
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        let mut class_of: BTreeMap<&str, &str> = BTreeMap::new();
        let mut reported: BTreeSet<&str> = BTreeSet::new();
        for (class, lists) in CLASSES {
            let members: BTreeSet<&str> = lists.iter().flat_map(|l| doc::status(v, l)).collect();
            for id in members {
                if let Some(other) = class_of.insert(id, class)
                    && reported.insert(id)
                {
                    out.push(fail(
                        "6.1.6",
                        format!("/vulnerabilities/{vi}/product_status"),
                        format!("product `{id}` is both {other} and {class}"),
                    ));
                }
            }
        }
    }
}

/// The CWE list (id → name), version 4.14.
fn cwe_names() -> &'static HashMap<u32, &'static str> {
    static NAMES: OnceLock<HashMap<u32, &'static str>> = OnceLock::new();
    NAMES.get_or_init(|| {
        include_str!("../../data/cwe-4.14.tsv")
            .lines()
            .filter_map(|l| {
                let mut f = l.splitn(3, '\t');
                Some((f.next()?.parse().ok()?, {
                    f.next()?;
                    f.next()?
                }))
            })
            .collect()
    })
}

/// The name of a CWE, by id (`CWE-79`), from the CWE list 4.14.
pub fn cwe_name(id: &str) -> Option<&'static str> {
    let n: u32 = id.strip_prefix("CWE-")?.parse().ok()?;
    cwe_names().get(&n).copied()
}

/// 6.1.11: the CWE exists and has its name.
fn cwe(doc: &Value, out: &mut Vec<Finding>) {
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        let Some(c) = v.get("cwe") else { continue };
        let path = format!("/vulnerabilities/{vi}/cwe");
        let (Some(id), Some(name)) = (text(c, "id"), text(c, "name")) else {
            continue;
        };
        match cwe_name(id) {
            None => out.push(fail(
                "6.1.11",
                format!("{path}/id"),
                format!("{id} is not in the CWE list (version 4.14)"),
            )),
            Some(real) if real != name => out.push(fail(
                "6.1.11",
                format!("{path}/name"),
                format!("the name of {id} is `{real}`, not `{name}`"),
            )),
            Some(_) => {}
        }
    }
}

/// 6.1.13: every purl is valid.
fn purls(doc: &Value, out: &mut Vec<Finding>) {
    for p in doc::full_products(doc) {
        let Some(v) = p
            .value
            .get("product_identification_helper")
            .and_then(|h| text(h, "purl"))
        else {
            continue;
        };
        if let Err(e) = purl::check(v) {
            out.push(fail(
                "6.1.13",
                format!("{}/product_identification_helper/purl", p.path),
                format!("`{v}` is not a valid purl: {e}"),
            ));
        }
    }
}

/// 6.1.15: a translator's document names its source language.
fn translator(doc: &Value, out: &mut Vec<Finding>) {
    if doc::at(doc, "/document/publisher/category") == Some("translator")
        && doc::at(doc, "/document/source_lang").is_none()
    {
        out.push(fail(
            "6.1.15",
            "/document/source_lang",
            "the publisher is a translator, so the source language must be given",
        ));
    }
}

/// 6.1.23 (a CVE in one vulnerability only), 6.1.24 (one involvement per
/// party and date), 6.1.25 (one hash per algorithm and file).
fn duplicates(doc: &Value, out: &mut Vec<Finding>) {
    let mut cves: BTreeSet<&str> = BTreeSet::new();
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        if let Some(cve) = text(v, "cve")
            && !cves.insert(cve)
        {
            out.push(fail(
                "6.1.23",
                format!("/vulnerabilities/{vi}/cve"),
                format!("{cve} is stated in more than one vulnerability"),
            ));
        }
        let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
        for (i, inv) in items(v, "involvements").iter().enumerate() {
            let (Some(party), Some(date)) = (text(inv, "party"), text(inv, "date")) else {
                continue;
            };
            let when = revision::instant(date).map_or_else(|| date.to_string(), |t| t.to_rfc3339());
            if !seen.insert((party.to_string(), when)) {
                out.push(fail(
                    "6.1.24",
                    format!("/vulnerabilities/{vi}/involvements/{i}"),
                    format!("party `{party}` has more than one involvement at {date}"),
                ));
            }
        }
    }
    for (path, hashes) in doc::file_hash_lists(doc) {
        let mut algos: BTreeSet<&str> = BTreeSet::new();
        for (i, h) in hashes.iter().enumerate() {
            if let Some(a) = text(h, "algorithm")
                && !algos.insert(a)
            {
                out.push(fail(
                    "6.1.25",
                    format!("{path}/{i}/algorithm"),
                    format!("hash algorithm `{a}` is used more than once for one file"),
                ));
            }
        }
    }
}

/// 6.1.28 (a translation's languages differ), 6.1.29 (a remediation names
/// its products), 6.1.32 (a flag names its products).
fn references_products(doc: &Value, out: &mut Vec<Finding>) {
    if let (Some(l), Some(s)) = (
        doc::at(doc, "/document/lang"),
        doc::at(doc, "/document/source_lang"),
    ) && l.eq_ignore_ascii_case(s)
    {
        out.push(fail(
            "6.1.28",
            "/document/source_lang",
            format!("the document language and the source language are both `{l}`"),
        ));
    }
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        for (key, test) in [("remediations", "6.1.29"), ("flags", "6.1.32")] {
            for (i, item) in items(v, key).iter().enumerate() {
                if item.get("product_ids").is_none() && item.get("group_ids").is_none() {
                    out.push(fail(
                        test,
                        format!("/vulnerabilities/{vi}/{key}/{i}"),
                        "names neither product_ids nor group_ids, so it applies to no product",
                    ));
                }
            }
        }
    }
}

/// 6.1.31: a `product_version` branch names one version, not a range.
fn version_ranges(doc: &Value, out: &mut Vec<Finding>) {
    // Operators anywhere; words only as whole (whitespace-separated) words,
    // as the OASIS corpus reads the specification: `after-eight` names one
    // version.
    const OPERATORS: [&str; 4] = ["<", "<=", ">", ">="];
    const RANGE_WORDS: [&str; 7] = [
        "after", "all", "before", "earlier", "later", "prior", "versions",
    ];
    for b in doc::branches(doc) {
        if text(b.value, "category") != Some("product_version") {
            continue;
        }
        let Some(name) = text(b.value, "name") else {
            continue;
        };
        let lower = name.to_lowercase();
        let operator = OPERATORS.iter().find(|o| lower.contains(*o));
        let word = || {
            RANGE_WORDS
                .iter()
                .find(|w| lower.split_whitespace().any(|word| word == **w))
        };
        if let Some(w) = operator.or_else(word) {
            out.push(fail("6.1.31", format!("{}/name", b.path), format!("`{name}` looks like a version range (`{w}`); use product_version_range for ranges")));
        }
    }
}

/// 6.1.33: at most one VEX justification flag per product and
/// vulnerability, counting products through their groups.
fn vex_flags(doc: &Value, out: &mut Vec<Finding>) {
    let groups = doc::groups(doc);
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        let mut flagged: BTreeSet<&str> = BTreeSet::new();
        let mut reported: BTreeSet<&str> = BTreeSet::new();
        for (fi, f) in items(v, "flags").iter().enumerate() {
            for id in doc::covered(f, &groups) {
                if !flagged.insert(id) && reported.insert(id) {
                    out.push(fail(
                        "6.1.33",
                        format!("/vulnerabilities/{vi}/flags/{fi}"),
                        format!("product `{id}` has more than one VEX justification flag"),
                    ));
                }
            }
        }
    }
}
