//! The optional tests of section 6.2 (6.2.4–6.2.6 live with the revision
//! tests, 6.2.14–6.2.15 with the language tests, 6.2.19 with the scores).

use std::collections::BTreeSet;

use regex::Regex;
use serde_json::Value;

use super::doc::{self, items, text};
use super::{Finding, Group, finding, lang, metrics, revision, schema, sorting};

pub const TESTS: &[&str] = &[
    "6.2.1", "6.2.2", "6.2.3", "6.2.4", "6.2.5", "6.2.6", "6.2.7", "6.2.8", "6.2.9", "6.2.10",
    "6.2.11", "6.2.12", "6.2.13", "6.2.14", "6.2.15", "6.2.16", "6.2.17", "6.2.18", "6.2.19",
    "6.2.20",
];

fn warn(test: &str, path: impl Into<String>, message: impl Into<String>) -> Finding {
    finding(test, Group::Optional, path, message)
}

/// `bytes`: the document as written, for the key-order test (skipped
/// without them).
pub fn run(doc: &Value, bytes: Option<&[u8]>, out: &mut Vec<Finding>) {
    unused_products(doc, out);
    coverage(doc, out);
    revision::optional(doc, out);
    involvements(doc, out);
    weak_hashes(doc, out);
    document_fields(doc, out);
    if let Some(b) = bytes
        && let Some((path, key)) = sorting::first_unsorted(b)
    {
        out.push(warn(
            "6.2.13",
            path,
            format!("key `{key}` is not in alphabetical order"),
        ));
    }
    lang::optional(doc, out);
    products(doc, out);
    metrics::fixed_products(doc, out);
    out.extend(schema::validate_strict(doc));
}

/// 6.2.1: every defined product is used (not for informational advisories).
fn unused_products(doc: &Value, out: &mut Vec<Finding>) {
    if doc::category(doc) == "csaf_informational_advisory" {
        return;
    }
    let used: BTreeSet<&str> = doc::product_refs(doc).into_iter().map(|r| r.id).collect();
    for p in doc::full_products(doc) {
        if let Some(id) = text(p.value, "product_id")
            && !used.contains(id)
        {
            out.push(warn(
                "6.2.1",
                format!("{}/product_id", p.path),
                format!("product `{id}` is defined but never referenced"),
            ));
        }
    }
}

/// 6.2.2 (affected and under investigation products have a remediation)
/// and 6.2.3 (affected products have a score).
fn coverage(doc: &Value, out: &mut Vec<Finding>) {
    let groups = doc::groups(doc);
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        let remedied: BTreeSet<&str> = items(v, "remediations")
            .iter()
            .flat_map(|r| doc::covered(r, &groups))
            .collect();
        let scored: BTreeSet<&str> = items(v, "scores")
            .iter()
            .flat_map(|s| items(s, "products").iter().filter_map(Value::as_str))
            .collect();
        for list in [
            "first_affected",
            "known_affected",
            "last_affected",
            "under_investigation",
        ] {
            for (i, id) in doc::status(v, list).into_iter().enumerate() {
                let path = format!("/vulnerabilities/{vi}/product_status/{list}/{i}");
                if !remedied.contains(id) {
                    out.push(warn(
                        "6.2.2",
                        &path,
                        format!("product `{id}` ({list}) has no remediation"),
                    ));
                }
                if list != "under_investigation" && !scored.contains(id) {
                    out.push(warn(
                        "6.2.3",
                        &path,
                        format!("product `{id}` ({list}) has no score"),
                    ));
                }
            }
        }
    }
}

/// 6.2.7: every involvement has a date.
fn involvements(doc: &Value, out: &mut Vec<Finding>) {
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        for (i, inv) in items(v, "involvements").iter().enumerate() {
            if inv.get("date").is_none() {
                out.push(warn(
                    "6.2.7",
                    format!("/vulnerabilities/{vi}/involvements/{i}"),
                    "the involvement has no date",
                ));
            }
        }
    }
}

/// 6.2.8 (MD5 alone) and 6.2.9 (SHA-1 alone).
fn weak_hashes(doc: &Value, out: &mut Vec<Finding>) {
    for (path, hashes) in doc::file_hash_lists(doc) {
        let algos: BTreeSet<String> = hashes
            .iter()
            .filter_map(|h| text(h, "algorithm"))
            .map(str::to_lowercase)
            .collect();
        if algos.len() == 1 {
            match algos.first().map(String::as_str) {
                Some("md5") => out.push(warn(
                    "6.2.8",
                    &path,
                    "MD5 is the only hash; add a stronger one (SHA-256 or better)",
                )),
                Some("sha1") => out.push(warn(
                    "6.2.9",
                    &path,
                    "SHA-1 is the only hash; add a stronger one (SHA-256 or better)",
                )),
                _ => {}
            }
        }
    }
}

/// The file name section 5.1 gives a document with this tracking id.
pub fn file_name(tracking_id: &str) -> String {
    let lower = tracking_id.to_lowercase();
    let mut name = String::new();
    let mut in_run = false;
    for c in lower.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '+' || c == '-' {
            name.push(c);
            in_run = false;
        } else if !in_run {
            name.push('_');
            in_run = true;
        }
    }
    name + ".json"
}

/// 6.2.10 (TLP label), 6.2.11 (canonical URL), 6.2.12 (language).
fn document_fields(doc: &Value, out: &mut Vec<Finding>) {
    if doc::at(doc, "/document/distribution/tlp/label").is_none() {
        out.push(warn(
            "6.2.10",
            "/document/distribution/tlp/label",
            "the document has no TLP label",
        ));
    }
    let name = doc::at(doc, "/document/tracking/id").map(file_name);
    let refs = doc
        .pointer("/document/references")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let canonical = refs.iter().any(|r| {
        text(r, "category") == Some("self")
            && text(r, "url").is_some_and(|u| {
                u.starts_with("https://")
                    && name.as_ref().is_some_and(|n| u.ends_with(&format!("/{n}")))
            })
    });
    if !canonical {
        out.push(warn(
            "6.2.11",
            "/document/references",
            format!(
                "no self reference is an https:// URL ending in the document's file name ({})",
                name.unwrap_or_default()
            ),
        ));
    }
    if doc::at(doc, "/document/lang").is_none() {
        out.push(warn(
            "6.2.12",
            "/document/lang",
            "the document language is not given",
        ));
    }
}

/// 6.2.16 (identification helpers), 6.2.17 (CVE in ids), 6.2.18 (vers).
fn products(doc: &Value, out: &mut Vec<Finding>) {
    for p in doc::full_products(doc) {
        if p.value.get("product_identification_helper").is_none() {
            let id = text(p.value, "product_id").unwrap_or("?");
            out.push(warn(
                "6.2.16",
                &p.path,
                format!(
                    "product `{id}` has no product identification helper (cpe, purl, hashes, …)"
                ),
            ));
        }
    }
    let cve = Regex::new(r"^CVE-[0-9]{4}-[0-9]{4,}$").expect("a valid regex");
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        for (i, id) in items(v, "ids").iter().enumerate() {
            if let Some(t) = text(id, "text")
                && cve.is_match(t)
            {
                out.push(warn(
                    "6.2.17",
                    format!("/vulnerabilities/{vi}/ids/{i}"),
                    format!("{t} is a CVE id; put it in `cve`"),
                ));
            }
        }
    }
    let vers = Regex::new(r"^vers:[a-z\.\-\+][a-z0-9\.\-\+]*/.+").expect("a valid regex");
    for b in doc::branches(doc) {
        if text(b.value, "category") == Some("product_version_range")
            && let Some(name) = text(b.value, "name")
            && !vers.is_match(name)
        {
            out.push(warn(
                "6.2.18",
                format!("{}/name", b.path),
                format!("`{name}` is not a vers range (vers:TYPE/…)"),
            ));
        }
    }
}
