//! The informative tests of section 6.3 that need no network nor a
//! dictionary: 6.3.1–6.3.5, 6.3.9–6.3.11.

use regex::Regex;
use serde_json::Value;

use super::doc::{self, items, text};
use super::{Finding, Group, finding, metrics};

pub const TESTS: &[&str] = &[
    "6.3.1", "6.3.2", "6.3.3", "6.3.4", "6.3.5", "6.3.9", "6.3.10", "6.3.11",
];

fn info(test: &str, path: impl Into<String>, message: impl Into<String>) -> Finding {
    finding(test, Group::Informative, path, message)
}

pub fn run(doc: &Value, out: &mut Vec<Finding>) {
    metrics::informative(doc, out);
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        if v.get("cve").is_none() {
            out.push(info(
                "6.3.3",
                format!("/vulnerabilities/{vi}"),
                "the vulnerability has no CVE",
            ));
        }
        if v.get("cwe").is_none() {
            out.push(info(
                "6.3.4",
                format!("/vulnerabilities/{vi}"),
                "the vulnerability has no CWE",
            ));
        }
    }
    for (path, hashes) in doc::file_hash_lists(doc) {
        for (i, h) in hashes.iter().enumerate() {
            if let Some(v) = text(h, "value")
                && v.len() < 64
            {
                out.push(info(
                    "6.3.5",
                    format!("{path}/{i}/value"),
                    format!(
                        "the hash is {} characters long; use one of at least 64",
                        v.len()
                    ),
                ));
            }
        }
    }
    let v_prefix = Regex::new(r"^[vV][0-9].*$").expect("a valid regex");
    for b in doc::branches(doc) {
        let category = text(b.value, "category");
        if category == Some("product_version_range") {
            out.push(info(
                "6.3.10",
                format!("{}/category", b.path),
                "a version range: enumerate versions where possible",
            ));
        }
        if category == Some("product_version")
            && let Some(name) = text(b.value, "name")
            && v_prefix.is_match(name)
        {
            out.push(info(
                "6.3.11",
                format!("{}/name", b.path),
                format!("`{name}` starts with v; give the version alone"),
            ));
        }
        if b.value.get("product").is_some() {
            let mut chain = b.ancestors.clone();
            chain.push(category.unwrap_or(""));
            let mut want = ["vendor", "product_name", "product_version"]
                .iter()
                .peekable();
            for c in chain {
                if want.peek().is_some_and(|w| **w == c) {
                    want.next();
                }
            }
            if want.peek().is_some() {
                out.push(info(
                    "6.3.9",
                    format!("{}/product", b.path),
                    "the product lacks a vendor → product_name → product_version path of branches",
                ));
            }
        }
    }
}
