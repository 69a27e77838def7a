//! A verdict as a VEX document: CycloneDX 1.6, OpenVEX 0.2.0, CSAF 2.0
//! (`csaf_vex` profile).
//!
//! Each document states one vulnerability for one product. The logical
//! basis goes into the format's free text (CycloneDX `analysis.detail`,
//! OpenVEX `impact_statement` / `status_notes`, CSAF vulnerability note and
//! `threats[impact]`), and the condition tree's fingerprint goes with it
//! (a CycloneDX property; a `[kensa-conditions:…]` marker in the others'
//! text) so that `kensa scan --vex` can tell whether the tree has changed
//! since the decision.

use serde_json::{Value, json};

use super::{FINGERPRINT_PROPERTY, ORIGIN_PROPERTY};
use crate::verdict::{Status, Verdict};

/// What the statement is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
}

impl Subject {
    /// The identifier the statement uses for the product: its purl when
    /// known, which lets others match it, else its name.
    pub fn reference(&self) -> String {
        self.purl.clone().unwrap_or_else(|| match &self.version {
            Some(v) => format!("{} {v}", self.name),
            None => self.name.clone(),
        })
    }
}

/// The prefix of the IRI a product without a purl gets in OpenVEX, whose
/// product `@id` must be an IRI: `urn:x-kensa:product:NAME[:VERSION]`,
/// percent-encoded.
pub const PRODUCT_URN: &str = "urn:x-kensa:product:";

pub fn product_urn(s: &Subject) -> String {
    let mut o = format!("{PRODUCT_URN}{}", urn_escape(&s.name));
    if let Some(v) = &s.version {
        o.push(':');
        o.push_str(&urn_escape(v));
    }
    o
}

fn urn_escape(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// Who issues the document, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    /// RFC 3339.
    pub timestamp: String,
    pub author: String,
    /// The issuer's URI (CSAF `publisher.namespace`, the OpenVEX `@id` base).
    pub namespace: String,
    pub tool_version: String,
    /// What to do when affected (OpenVEX `action_statement`, CSAF remediation).
    pub action: Option<String>,
}

/// The marker that carries a fingerprint in free text, with the tree's
/// origin unless it is `rules`: `[kensa-conditions:kc1-…]`,
/// `[kensa-conditions:kc1-…/analyst]`.
pub fn fingerprint_marker(fingerprint: &str, origin: &str) -> String {
    if origin == "rules" {
        format!("{MARKER_OPEN}{fingerprint}]")
    } else {
        format!("{MARKER_OPEN}{fingerprint}/{origin}]")
    }
}

pub const MARKER_OPEN: &str = "[kensa-conditions:";

fn marker(v: &Verdict) -> String {
    fingerprint_marker(&v.conditions_fingerprint, v.conditions_origin)
}

const DEFAULT_ACTION: &str =
    "Apply the supplier's fix or mitigation; the trigger conditions hold in this product.";

fn action(issuer: &Issuer) -> &str {
    issuer.action.as_deref().unwrap_or(DEFAULT_ACTION)
}

/// A stable id for the document: the same verdict, product and time give
/// the same id.
fn document_hash(v: &Verdict, s: &Subject, i: &Issuer) -> (u64, u64) {
    let key = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        v.vulnerability,
        v.status.as_str(),
        v.conditions_fingerprint,
        s.reference(),
        i.timestamp
    );
    let a = fnv(key.as_bytes(), 0xcbf2_9ce4_8422_2325);
    (a, fnv(key.as_bytes(), a))
}

fn fnv(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(seed, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A URN UUID shaped as version 5 (name-based), as CycloneDX's pattern
/// requires; derived with FNV rather than SHA-1, which is enough for a
/// document serial.
fn serial_number(v: &Verdict, s: &Subject, i: &Issuer) -> String {
    let (a, b) = document_hash(v, s, i);
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "urn:uuid:{:08x}-{:04x}-5{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn detail(v: &Verdict) -> String {
    format!("{} {}", v.basis, marker(v))
}

fn deciding_ids(v: &Verdict) -> String {
    v.deciding
        .iter()
        .map(|d| d.id.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// CycloneDX 1.6 VEX: the product as `metadata.component`, one
/// vulnerability whose `affects` points at it.
pub fn cyclonedx(v: &Verdict, s: &Subject, i: &Issuer) -> Value {
    let subject_ref = s.reference();
    let mut component = json!({"type": "application", "bom-ref": subject_ref, "name": s.name});
    if let Some(ver) = &s.version {
        component["version"] = json!(ver);
    }
    if let Some(p) = &s.purl {
        component["purl"] = json!(p);
    }
    let state = match v.status {
        Status::Affected => "exploitable",
        Status::NotAffected => "not_affected",
        Status::UnderInvestigation => "in_triage",
    };
    let mut analysis = json!({
        "state": state,
        "detail": detail(v),
        "firstIssued": i.timestamp,
        "lastUpdated": i.timestamp,
    });
    if let Some(j) = v.justification {
        analysis["justification"] = json!(j.cyclonedx());
    }
    let mut vuln = json!({
        "bom-ref": format!("vex-{}", v.vulnerability),
        "id": v.vulnerability,
        "analysis": analysis,
        "affects": [{"ref": subject_ref}],
        "properties": [
            {"name": FINGERPRINT_PROPERTY, "value": v.conditions_fingerprint},
            {"name": ORIGIN_PROPERTY, "value": v.conditions_origin},
            {"name": "kensa:verdict:status", "value": v.status.as_str()},
        ],
    });
    if is_cve(&v.vulnerability) {
        vuln["source"] = json!({
            "name": "NVD",
            "url": format!("https://nvd.nist.gov/vuln/detail/{}", v.vulnerability),
        });
    }
    let ids = deciding_ids(v);
    if !ids.is_empty() {
        vuln["properties"]
            .as_array_mut()
            .expect("properties is an array")
            .push(json!({"name": "kensa:verdict:deciding", "value": ids}));
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial_number(v, s, i),
        "version": 1,
        "metadata": {
            "timestamp": i.timestamp,
            "tools": {"components": [{"type": "application", "name": "kensa", "version": i.tool_version}]},
            "authors": [{"name": i.author}],
            "component": component,
        },
        "vulnerabilities": [vuln],
    })
}

/// OpenVEX 0.2.0: one statement.
pub fn openvex(v: &Verdict, s: &Subject, i: &Issuer) -> Value {
    let (a, b) = document_hash(v, s, i);
    let mut product = json!({"@id": s.purl.clone().unwrap_or_else(|| product_urn(s))});
    if let Some(p) = &s.purl {
        product["identifiers"] = json!({"purl": p});
    }
    let status = match v.status {
        Status::Affected => "affected",
        Status::NotAffected => "not_affected",
        Status::UnderInvestigation => "under_investigation",
    };
    let mut statement = json!({
        "vulnerability": {"name": v.vulnerability},
        "products": [product],
        "status": status,
        "status_notes": format!("Assessed by Kensa from the answers to {} trigger conditions. {}",
            v.conditions, marker(v)),
    });
    match v.status {
        Status::NotAffected => {
            if let Some(j) = v.justification {
                statement["justification"] = json!(j.openvex());
            }
            statement["impact_statement"] = json!(v.basis);
        }
        Status::Affected => {
            statement["action_statement"] = json!(format!("{} {}", action(i), v.basis));
        }
        Status::UnderInvestigation => {
            statement["status_notes"] = json!(detail(v));
        }
    }
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("{}/vex/{a:016x}{b:016x}", i.namespace.trim_end_matches('/')),
        "author": i.author,
        "timestamp": i.timestamp,
        "version": 1,
        "tooling": format!("kensa/{}", i.tool_version),
        "statements": [statement],
    })
}

/// CSAF 2.0 with the `csaf_vex` profile: the product in the product tree,
/// its status, and for not_affected a flag (the justification label) and a
/// threat of category impact (the basis); for affected a remediation.
pub fn csaf(v: &Verdict, s: &Subject, i: &Issuer) -> Value {
    let (a, _) = document_hash(v, s, i);
    let pid = "CSAFPID-0001";
    let mut product = json!({
        "name": match &s.version { Some(ver) => format!("{} {ver}", s.name), None => s.name.clone() },
        "product_id": pid,
    });
    if let Some(p) = &s.purl {
        product["product_identification_helper"] = json!({"purl": p});
    }
    let status_key = match v.status {
        Status::Affected => "known_affected",
        Status::NotAffected => "known_not_affected",
        Status::UnderInvestigation => "under_investigation",
    };
    let mut vuln = json!({
        "notes": [{
            "category": "details",
            "title": "Kensa assessment of the trigger conditions",
            "text": detail(v),
        }],
        "product_status": {status_key: [pid]},
    });
    if is_cve(&v.vulnerability) {
        vuln["cve"] = json!(v.vulnerability);
    } else {
        vuln["ids"] = json!([{"system_name": "Kensa", "text": v.vulnerability}]);
    }
    match v.status {
        Status::NotAffected => {
            if let Some(j) = v.justification {
                vuln["flags"] = json!([{"label": j.csaf(), "product_ids": [pid]}]);
            }
            vuln["threats"] =
                json!([{"category": "impact", "details": v.basis, "product_ids": [pid]}]);
        }
        Status::Affected => {
            vuln["remediations"] =
                json!([{"category": "mitigation", "details": action(i), "product_ids": [pid]}]);
        }
        Status::UnderInvestigation => {}
    }
    let tracking_id = format!("KENSA-{}-{:08x}", v.vulnerability, a >> 32);
    json!({
        "document": {
            "category": "csaf_vex",
            "csaf_version": "2.0",
            "lang": "en",
            "title": format!("{} in {}: {}", v.vulnerability, s.name, v.status.as_str()),
            "publisher": {"category": "vendor", "name": i.author, "namespace": i.namespace},
            "notes": [{
                "category": "summary",
                "title": "Assessment",
                "text": format!("Kensa's assessment of whether {} can be triggered in {}, from the answers to its trigger conditions.", v.vulnerability, s.name),
            }],
            "tracking": {
                "id": tracking_id,
                "status": "final",
                "version": "1",
                "initial_release_date": i.timestamp,
                "current_release_date": i.timestamp,
                "revision_history": [{"date": i.timestamp, "number": "1", "summary": "Initial assessment."}],
                "generator": {"date": i.timestamp, "engine": {"name": "kensa", "version": i.tool_version}},
            },
        },
        "product_tree": product_tree(s, product),
        "vulnerabilities": [vuln],
    })
}

/// With a version, the product sits under product_name / product_version
/// branches, which keeps the version machine-readable; without one it is
/// a full product name.
fn product_tree(s: &Subject, product: Value) -> Value {
    match &s.version {
        Some(v) => json!({"branches": [{
            "category": "product_name",
            "name": s.name,
            "branches": [{"category": "product_version", "name": v, "product": product}],
        }]}),
        None => json!({"full_product_names": [product]}),
    }
}

fn is_cve(id: &str) -> bool {
    let mut parts = id.splitn(3, '-');
    parts.next() == Some("CVE")
        && parts
            .next()
            .is_some_and(|y| y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
        && parts
            .next()
            .is_some_and(|n| n.len() >= 4 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// All three, for callers that pick by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexFormat {
    CycloneDx,
    OpenVex,
    Csaf,
}

pub fn write(format: VexFormat, v: &Verdict, s: &Subject, i: &Issuer) -> Value {
    match format {
        VexFormat::CycloneDx => cyclonedx(v, s, i),
        VexFormat::OpenVex => openvex(v, s, i),
        VexFormat::Csaf => csaf(v, s, i),
    }
}

/// Several verdicts on one product as one document: a product's VEX.
/// Each verdict becomes one vulnerability (CycloneDX, CSAF) or statement
/// (OpenVEX) exactly as [`write`] states it alone; `draft` marks a CSAF
/// document's tracking status (the others have no such field).
pub fn write_product(
    format: VexFormat,
    verdicts: &[Verdict],
    s: &Subject,
    i: &Issuer,
    draft: bool,
) -> Value {
    let Some(first) = verdicts.first() else {
        return Value::Null;
    };
    let key = match format {
        VexFormat::OpenVex => "statements",
        VexFormat::CycloneDx | VexFormat::Csaf => "vulnerabilities",
    };
    let mut doc = write(format, first, s, i);
    let entries: Vec<Value> = verdicts
        .iter()
        .flat_map(
            |v| match write(format, v, s, i).get_mut(key).map(Value::take) {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            },
        )
        .collect();
    doc[key] = Value::Array(entries);
    let (a, b) = product_hash(verdicts, s, i);
    match format {
        VexFormat::CycloneDx => {
            let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
            doc["serialNumber"] = json!(format!(
                "urn:uuid:{:08x}-{:04x}-5{:03x}-{:04x}-{:012x}",
                a >> 32,
                (a >> 16) & 0xffff,
                a & 0x0fff,
                b >> 48,
                b & 0xffff_ffff_ffff
            ));
        }
        VexFormat::OpenVex => {
            doc["@id"] = json!(format!(
                "{}/vex/{a:016x}{b:016x}",
                i.namespace.trim_end_matches('/')
            ));
        }
        VexFormat::Csaf => {
            let d = &mut doc["document"];
            d["title"] = json!(format!("VEX for {}", s.reference()));
            d["tracking"]["id"] = json!(format!("KENSA-VEX-{:016x}", a));
            d["tracking"]["status"] = json!(if draft { "draft" } else { "final" });
            if draft {
                // CSAF 6.1.16: a draft's version is 0 or pre-release.
                d["tracking"]["version"] = json!("0");
                d["tracking"]["revision_history"][0]["number"] = json!("0");
            }
            d["notes"][0]["text"] = json!(format!(
                "Kensa's assessments of whether {} vulnerabilities can be triggered in {}, from the answers to their trigger conditions.",
                verdicts.len(),
                s.name
            ));
        }
    }
    doc
}

/// A stable id for a product document: its verdicts, product and time.
fn product_hash(verdicts: &[Verdict], s: &Subject, i: &Issuer) -> (u64, u64) {
    let mut key = format!("{}\u{0}{}", s.reference(), i.timestamp);
    for v in verdicts {
        key.push('\u{0}');
        key.push_str(&v.vulnerability);
        key.push('\u{0}');
        key.push_str(v.status.as_str());
        key.push('\u{0}');
        key.push_str(&v.conditions_fingerprint);
    }
    let a = fnv(key.as_bytes(), 0xcbf2_9ce4_8422_2325);
    (a, fnv(key.as_bytes(), a))
}
