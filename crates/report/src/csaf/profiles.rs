//! The profile tests: 6.1.26 (a base document's category names no other
//! profile) and 6.1.27.1 to 6.1.27.11.

use std::collections::BTreeSet;

use serde_json::Value;

use super::doc::{self, items, text};
use super::{Finding, Group, finding};

pub const PROFILES: [&str; 5] = [
    "csaf_base",
    "csaf_security_incident_response",
    "csaf_informational_advisory",
    "csaf_security_advisory",
    "csaf_vex",
];

fn fail(test: &str, path: impl Into<String>, message: impl Into<String>) -> Finding {
    finding(test, Group::Mandatory, path, message)
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_') && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

pub fn mandatory(doc: &Value, out: &mut Vec<Finding>) {
    let category = doc::category(doc);
    prohibited_category(category, out);
    let has_vulns = doc.get("vulnerabilities").is_some();
    let vulns = items(doc, "vulnerabilities");
    let notes_or_refs = matches!(
        category,
        "csaf_informational_advisory" | "csaf_security_incident_response"
    );
    if notes_or_refs {
        let notes = doc
            .pointer("/document/notes")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        if !notes.iter().any(|n| {
            matches!(
                text(n, "category"),
                Some("description" | "details" | "general" | "summary")
            )
        }) {
            out.push(fail(
                "6.1.27.1",
                "/document/notes",
                "no note of category description, details, general or summary",
            ));
        }
        let refs = doc
            .pointer("/document/references")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        if !refs
            .iter()
            .any(|r| text(r, "category").unwrap_or("external") == "external")
        {
            out.push(fail(
                "6.1.27.2",
                "/document/references",
                "no reference to an external source",
            ));
        }
    }
    if category == "csaf_informational_advisory" && has_vulns {
        out.push(fail(
            "6.1.27.3",
            "/vulnerabilities",
            "an informational advisory has no vulnerabilities",
        ));
    }
    let advisory_or_vex = matches!(category, "csaf_security_advisory" | "csaf_vex");
    if advisory_or_vex {
        if doc.get("product_tree").is_none() {
            out.push(fail(
                "6.1.27.4",
                "/product_tree",
                format!("a {category} document needs a product tree"),
            ));
        }
        if !has_vulns {
            out.push(fail(
                "6.1.27.11",
                "/vulnerabilities",
                format!("a {category} document needs vulnerabilities"),
            ));
        }
        for (vi, v) in vulns.iter().enumerate() {
            if v.get("notes").is_none() {
                out.push(fail(
                    "6.1.27.5",
                    format!("/vulnerabilities/{vi}"),
                    "the vulnerability has no notes",
                ));
            }
        }
    }
    if category == "csaf_security_advisory" {
        for (vi, v) in vulns.iter().enumerate() {
            if v.get("product_status").is_none() {
                out.push(fail(
                    "6.1.27.6",
                    format!("/vulnerabilities/{vi}"),
                    "the vulnerability has no product status",
                ));
            }
        }
    }
    if category == "csaf_vex" {
        vex(doc, vulns, out);
    }
}

/// 6.1.26: only base documents may choose their category, and not one
/// that names another profile.
fn prohibited_category(category: &str, out: &mut Vec<Finding>) {
    if PROFILES.contains(&category) {
        return;
    }
    let path = "/document/category";
    if category.to_lowercase().starts_with("csaf_") {
        out.push(fail(
            "6.1.26",
            path,
            format!("`{category}` starts with the reserved prefix csaf_"),
        ));
        return;
    }
    const NAMES: [&str; 4] = [
        "Security incident response",
        "Informational Advisory",
        "Security Advisory",
        "VEX",
    ];
    let squashed = squash(category);
    let clash = PROFILES[1..]
        .iter()
        .flat_map(|v| [squash(v), squash(v.trim_start_matches("csaf_"))])
        .chain(NAMES.iter().map(|n| squash(n)))
        .any(|p| p == squashed);
    if clash {
        out.push(fail("6.1.26", path, format!("`{category}` is the name of another profile; use its value (csaf_…) or another category")));
    }
}

/// 6.1.27.7 to 6.1.27.10.
fn vex(doc: &Value, vulns: &[Value], out: &mut Vec<Finding>) {
    let groups = doc::groups(doc);
    for (vi, v) in vulns.iter().enumerate() {
        let path = format!("/vulnerabilities/{vi}");
        let ps = v.get("product_status");
        if ![
            "fixed",
            "known_affected",
            "known_not_affected",
            "under_investigation",
        ]
        .iter()
        .any(|k| ps.and_then(|p| p.get(k)).is_some())
        {
            out.push(fail(
                "6.1.27.7",
                format!("{path}/product_status"),
                "none of fixed, known_affected, known_not_affected, under_investigation is given",
            ));
        }
        if v.get("cve").is_none() && v.get("ids").is_none() {
            out.push(fail(
                "6.1.27.8",
                &path,
                "the vulnerability has neither a cve nor ids",
            ));
        }
        let impact: BTreeSet<&str> = items(v, "flags")
            .iter()
            .chain(
                items(v, "threats")
                    .iter()
                    .filter(|t| text(t, "category") == Some("impact")),
            )
            .flat_map(|i| doc::covered(i, &groups))
            .collect();
        for id in doc::status(v, "known_not_affected") {
            if !impact.contains(id) {
                out.push(fail("6.1.27.9", &path, format!("product `{id}` is known not affected, but no flag or impact threat says why")));
            }
        }
        let action: BTreeSet<&str> = items(v, "remediations")
            .iter()
            .flat_map(|r| doc::covered(r, &groups))
            .collect();
        for id in doc::status(v, "known_affected") {
            if !action.contains(id) {
                out.push(fail(
                    "6.1.27.10",
                    &path,
                    format!("product `{id}` is known affected, but no remediation says what to do"),
                ));
            }
        }
    }
}
