//! The CSAF 2.0 `csaf_security_advisory` Kensa writes for customers: one
//! product version, each vulnerability with the product's status from its
//! stored verdict, the scores, the CWE, the known exploitation, and the
//! remediation. Updating an advisory keeps its tracking id and initial
//! release date, bumps its version and adds a revision saying what changed.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use kensa_triage::cvss::{CvssVector, CvssVersion, severity};
use serde_json::{Value, json};

use super::cwe_name;

mod tracking;

use tracking::tracking;

/// Who issues the advisory (`/document/publisher`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Publisher {
    pub name: String,
    /// The publisher's URL (`https://psirt.example.com`).
    pub namespace: String,
    /// `vendor` unless stated (`coordinator`, `discoverer`, `other`, `translator`, `user`).
    #[serde(default = "vendor")]
    pub category: String,
    #[serde(default)]
    pub contact_details: Option<String>,
    /// The TLP label of what this publisher writes: `WHITE` unless stated.
    #[serde(default = "white")]
    pub tlp: String,
}

fn vendor() -> String {
    "vendor".into()
}

fn white() -> String {
    "WHITE".into()
}

/// `/document/tracking/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingStatus {
    Draft,
    Interim,
    Final,
}

impl TrackingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TrackingStatus::Draft => "draft",
            TrackingStatus::Interim => "interim",
            TrackingStatus::Final => "final",
        }
    }
}

/// The product version the advisory is about.
#[derive(Debug, Clone)]
pub struct Product {
    pub name: String,
    pub version: String,
    pub purl: Option<String>,
    pub cpe: Option<String>,
}

/// What the product's verdict says about one vulnerability.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Affected,
    /// `justification`: a CSAF flag label (`vulnerable_code_not_present`, …);
    /// `impact`: why, in words (the verdict's logical basis).
    NotAffected {
        justification: Option<String>,
        impact: String,
    },
    /// No verdict yet.
    UnderInvestigation,
}

impl State {
    fn status_key(&self) -> &'static str {
        match self {
            State::Affected => "known_affected",
            State::NotAffected { .. } => "known_not_affected",
            State::UnderInvestigation => "under_investigation",
        }
    }
}

/// One vulnerability of the product, as Kensa knows it.
#[derive(Debug, Clone)]
pub struct Vulnerability {
    pub id: String,
    pub description: Option<String>,
    /// `CWE-79`; the name comes from the CWE list.
    pub cwe: Option<String>,
    /// A CVSS v2 or v3.x vector.
    pub cvss: Option<String>,
    /// The date CISA added it to the KEV catalogue.
    pub kev_added: Option<String>,
    pub state: State,
    /// The components that carry it (`openssl 1.0.1f`).
    pub components: Vec<String>,
    /// A mitigation or workaround from the assessment, in words.
    pub mitigation: Option<String>,
    /// A later product version without the vulnerability.
    pub fixed_in: Option<String>,
}

/// Everything the advisory is made from.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub publisher: &'a Publisher,
    pub product: &'a Product,
    pub status: TrackingStatus,
    pub vulnerabilities: &'a [Vulnerability],
    pub now: DateTime<Utc>,
    /// The advisory this one updates, as written before.
    pub previous: Option<&'a Value>,
    pub tracking_id: Option<&'a str>,
    pub title: Option<&'a str>,
    pub tool_version: &'a str,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdvisoryError {
    #[error("no vulnerabilities to state: a security advisory needs at least one")]
    Empty,
    #[error("the previous advisory {0}")]
    Previous(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
}

/// The advisory's product id; a fixed version gets the next ones.
const PRODUCT_ID: &str = "CSAFPID-0001";

/// Writes the advisory.
pub fn security_advisory(req: &Request) -> Result<Value, AdvisoryError> {
    if req.vulnerabilities.is_empty() {
        return Err(AdvisoryError::Empty);
    }
    check_publisher(req.publisher)?;
    let now = req.now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let fixed_ids = fixed_versions(req.vulnerabilities);
    let vulnerabilities: Vec<Value> = req
        .vulnerabilities
        .iter()
        .map(|v| vulnerability(v, req.product, &fixed_ids))
        .collect();
    let tracking = tracking(req, &now, &vulnerabilities)?;
    let id = tracking["id"].as_str().unwrap_or_default().to_string();
    let mut document = json!({
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "distribution": {"tlp": {"label": req.publisher.tlp, "url": "https://www.first.org/tlp/"}},
        "lang": "en",
        "notes": [
            {"category": "summary", "title": "Summary", "text": summary(req)},
            {"category": "general", "title": "How this advisory was made",
             "text": "The status of each vulnerability comes from the publisher's assessment of its trigger conditions in this product (recorded in Kensa). Vulnerabilities not yet assessed are listed as under investigation."},
        ],
        "publisher": publisher(req.publisher),
        "title": req.title.map_or_else(|| default_title(req), str::to_string),
        "tracking": tracking,
    });
    if let Some(severity) = aggregate_severity(req.vulnerabilities) {
        document["aggregate_severity"] = json!({"text": severity});
    }
    if req.publisher.namespace.starts_with("https://") {
        document["references"] = json!([{
            "category": "self",
            "summary": "This advisory",
            "url": format!("{}/{}", req.publisher.namespace.trim_end_matches('/'), file_name(&id)),
        }]);
    }
    Ok(json!({
        "document": document,
        "product_tree": product_tree(req.publisher, req.product, &fixed_ids),
        "vulnerabilities": vulnerabilities,
    }))
}

/// The file name CSAF 2.0 section 5.1 gives a tracking id.
pub fn file_name(tracking_id: &str) -> String {
    let stem: String = tracking_id
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '+' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}.json")
}

fn check_publisher(p: &Publisher) -> Result<(), AdvisoryError> {
    let invalid = |field: &str, message: String| AdvisoryError::Invalid {
        field: format!("publisher.{field}"),
        message,
    };
    if p.name.trim().is_empty() {
        return Err(invalid("name", "is empty".into()));
    }
    if !p.namespace.contains(':') {
        return Err(invalid(
            "namespace",
            format!("`{}` is not a URL", p.namespace),
        ));
    }
    const CATEGORIES: [&str; 6] = [
        "coordinator",
        "discoverer",
        "other",
        "translator",
        "user",
        "vendor",
    ];
    if !CATEGORIES.contains(&p.category.as_str()) {
        return Err(invalid(
            "category",
            format!("`{}` is not one of {}", p.category, CATEGORIES.join(", ")),
        ));
    }
    const TLP: [&str; 4] = ["WHITE", "GREEN", "AMBER", "RED"];
    if !TLP.contains(&p.tlp.as_str()) {
        return Err(invalid(
            "tlp",
            format!("`{}` is not one of {}", p.tlp, TLP.join(", ")),
        ));
    }
    Ok(())
}

fn publisher(p: &Publisher) -> Value {
    let mut v = json!({"category": p.category, "name": p.name, "namespace": p.namespace});
    if let Some(c) = &p.contact_details {
        v["contact_details"] = json!(c);
    }
    v
}

fn default_title(req: &Request) -> String {
    format!(
        "Vulnerabilities in {} {}",
        req.product.name, req.product.version
    )
}

fn summary(req: &Request) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in req.vulnerabilities {
        *counts.entry(v.state.status_key()).or_default() += 1;
    }
    let words = [
        ("known_affected", "affect it"),
        ("known_not_affected", "do not affect it"),
        ("under_investigation", "are under investigation"),
    ];
    let parts: Vec<String> = words
        .iter()
        .filter_map(|(k, w)| counts.get(k).map(|n| format!("{n} {w}")))
        .collect();
    format!(
        "{} of {} {}: {} vulnerabilities in its components; {}.",
        req.publisher.name,
        req.product.name,
        req.product.version,
        req.vulnerabilities.len(),
        parts.join(", ")
    )
}

/// Each distinct fixed version and its product id, in order of mention.
fn fixed_versions(vulns: &[Vulnerability]) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    for v in vulns.iter().filter(|v| v.state == State::Affected) {
        if let Some(f) = &v.fixed_in {
            let next = format!("CSAFPID-{:04}", ids.len() + 2);
            ids.entry(f.clone()).or_insert(next);
        }
    }
    ids
}

fn product_tree(publisher: &Publisher, p: &Product, fixed: &BTreeMap<String, String>) -> Value {
    let full = |version: &str, id: &str| {
        json!({"name": format!("{} {} {version}", publisher.name, p.name), "product_id": id,
            "product_identification_helper": helper(publisher, p, version)})
    };
    let mut versions = vec![
        json!({"category": "product_version", "name": p.version, "product": full(&p.version, PRODUCT_ID)}),
    ];
    for (version, id) in fixed {
        versions.push(
            json!({"category": "product_version", "name": version, "product": full(version, id)}),
        );
    }
    json!({"branches": [{
        "category": "vendor",
        "name": publisher.name,
        "branches": [{"category": "product_name", "name": p.name, "branches": versions}],
    }]})
}

/// How a customer's tools find the product: its purl and CPE when known
/// (a fixed version's purl is the product's with that version); else a
/// URI in the publisher's namespace naming the product and version.
fn helper(publisher: &Publisher, p: &Product, version: &str) -> Value {
    let mut helper = serde_json::Map::new();
    if let Some(purl) = &p.purl {
        let base = purl.split_once('@').map_or(purl.as_str(), |(b, _)| b);
        let purl = if version == p.version {
            purl.clone()
        } else {
            format!("{base}@{}", encode(version))
        };
        helper.insert("purl".into(), json!(purl));
    }
    if let Some(cpe) = p.cpe.as_ref().filter(|_| version == p.version) {
        helper.insert("cpe".into(), json!(cpe));
    }
    if helper.is_empty() {
        let ns = publisher.namespace.trim_end_matches('/');
        helper.insert(
            "x_generic_uris".into(),
            json!([{"namespace": ns, "uri": format!("{ns}/product/{}/{}", encode(&p.name), encode(version))}]),
        );
    }
    Value::Object(helper)
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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

fn vulnerability(v: &Vulnerability, product: &Product, fixed: &BTreeMap<String, String>) -> Value {
    let pid = json!([PRODUCT_ID]);
    let mut out = json!({
        "notes": [{
            "category": "description",
            "title": "Description",
            "text": v.description.clone().unwrap_or_else(|| "No description has been published yet.".into()),
        }],
        "product_status": {v.state.status_key(): [PRODUCT_ID]},
    });
    if is_cve(&v.id) {
        out["cve"] = json!(v.id);
    } else {
        out["ids"] = json!([{"system_name": "Kensa", "text": v.id}]);
    }
    if !v.components.is_empty() {
        out["notes"].as_array_mut().unwrap().push(json!({
            "category": "details",
            "title": "Affected components",
            "text": format!("Found in: {}.", v.components.join(", ")),
        }));
    }
    if let Some(name) = v.cwe.as_deref().and_then(|c| cwe_name(c).map(|n| (c, n))) {
        out["cwe"] = json!({"id": name.0, "name": name.1});
    }
    let mut threats = Vec::new();
    if let Some(date) = &v.kev_added {
        threats.push(json!({"category": "exploit_status",
            "details": format!("Known to be exploited: listed in CISA's Known Exploited Vulnerabilities catalogue since {date}."),
            "product_ids": pid}));
    }
    match &v.state {
        State::NotAffected {
            justification,
            impact,
        } => {
            if let Some(label) = justification {
                out["flags"] = json!([{"label": label, "product_ids": pid}]);
            }
            threats.push(json!({"category": "impact", "details": impact, "product_ids": pid}));
        }
        State::Affected => {
            out["remediations"] = json!(remediations(v, product, fixed));
            if let Some(fixed_id) = v.fixed_in.as_ref().and_then(|f| fixed.get(f)) {
                out["product_status"]["fixed"] = json!([fixed_id]);
            }
        }
        State::UnderInvestigation => {
            out["remediations"] = json!([{"category": "none_available",
                "details": "No remediation is available yet: whether the product is affected is under investigation.",
                "product_ids": pid}]);
        }
    }
    if !threats.is_empty() {
        out["threats"] = json!(threats);
    }
    // Scores for the products the vulnerability may affect, not for those
    // it does not (6.2.19 would ask their environmental score be 0).
    if !matches!(v.state, State::NotAffected { .. })
        && let Some(score) = v.cvss.as_deref().and_then(cvss_json)
    {
        out["scores"] = json!([{score.0: score.1, "products": pid}]);
    }
    out
}

fn remediations(
    v: &Vulnerability,
    product: &Product,
    fixed: &BTreeMap<String, String>,
) -> Vec<Value> {
    let pid = json!([PRODUCT_ID]);
    let mut out = Vec::new();
    if let Some(version) = &v.fixed_in
        && fixed.contains_key(version)
    {
        out.push(json!({"category": "vendor_fix",
            "details": format!("Update {} to version {version}, which does not contain the vulnerable component.", product.name),
            "product_ids": pid}));
    }
    if let Some(m) = &v.mitigation {
        out.push(json!({"category": "mitigation", "details": m, "product_ids": pid}));
    }
    if out.is_empty() {
        out.push(json!({"category": "none_available",
            "details": "No fix is available yet; this advisory will be updated when one is.",
            "product_ids": pid}));
    }
    out
}

/// `("cvss_v3", {...})` from a vector, with the base score computed.
fn cvss_json(vector: &str) -> Option<(&'static str, Value)> {
    let parsed = CvssVector::parse(vector).ok()?;
    let base = parsed.scores().base;
    match parsed.version() {
        CvssVersion::V2 => Some((
            "cvss_v2",
            json!({"version": "2.0", "vectorString": vector, "baseScore": base}),
        )),
        CvssVersion::V3_0 | CvssVersion::V3_1 => {
            let version = if parsed.version() == CvssVersion::V3_0 {
                "3.0"
            } else {
                "3.1"
            };
            Some((
                "cvss_v3",
                json!({"version": version, "vectorString": vector, "baseScore": base,
                "baseSeverity": severity(base).to_uppercase()}),
            ))
        }
        // CSAF 2.0 has no place for CVSS v4.
        CvssVersion::V4_0 => None,
    }
}

/// The highest CVSS severity among the vulnerabilities that affect the
/// product.
fn aggregate_severity(vulns: &[Vulnerability]) -> Option<String> {
    vulns
        .iter()
        .filter(|v| v.state == State::Affected)
        .filter_map(|v| CvssVector::parse(v.cvss.as_deref()?).ok())
        .map(|c| c.scores().base)
        .max_by(f64::total_cmp)
        .map(|s| {
            let mut word = severity(s).to_string();
            if let Some(first) = word.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            word
        })
}
