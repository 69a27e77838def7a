//! A [`ScanReport`] in the formats other tools read: SARIF 2.1.0 for
//! code-scanning dashboards, and a CycloneDX 1.5 vulnerability disclosure
//! report (VDR) that carries the SBOM's affected components with a
//! `vulnerabilities` section. Neither says whether a finding is exploitable:
//! that is VEX (`analysis`), which is not set here.

use std::collections::HashMap;

use kensa_model::{Component, Sbom};
use serde_json::{Map, Value, json};

use crate::scan::{Finding, ScanReport};

const TOOL: &str = "kensa";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Below this confidence a SARIF result is a `note` rather than a `warning`.
pub const NOTE_BELOW: f64 = 0.7;

/// The component types CycloneDX 1.5 allows; any other kind becomes `library`.
pub const CDX15_COMPONENT_TYPES: &[&str] = &[
    "application",
    "framework",
    "library",
    "container",
    "platform",
    "operating-system",
    "device",
    "device-driver",
    "firmware",
    "file",
    "machine-learning-model",
    "data",
];

fn is_cve(id: &str) -> bool {
    id.starts_with("CVE-")
}

fn nvd_url(id: &str) -> String {
    format!("https://nvd.nist.gov/vuln/detail/{id}")
}

fn method_name(f: &Finding) -> Value {
    serde_json::to_value(f.matched.method).unwrap_or(Value::Null)
}

/// Distinct vulnerability ids in order of first appearance, each with the
/// findings that name it.
fn by_vulnerability(report: &ScanReport) -> Vec<(&str, Vec<&Finding>)> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for f in &report.findings {
        let id = f.vulnerability.id.as_str();
        let i = *index.entry(id).or_insert_with(|| {
            out.push((id, Vec::new()));
            out.len() - 1
        });
        out[i].1.push(f);
    }
    out
}

fn message(f: &Finding) -> String {
    let mut m = f.component.name.clone();
    if let Some(v) = &f.component.version {
        m.push(' ');
        m.push_str(v);
    }
    m.push_str(&format!(
        " is affected by {}: {}",
        f.vulnerability.id, f.matched.evidence
    ));
    if !f.platform_conditions.is_empty() {
        m.push_str(&format!(
            "; only if {}",
            f.platform_conditions.join(" and ")
        ));
    }
    m
}

/// The report as a SARIF 2.1.0 log: one rule per distinct vulnerability, one
/// result per finding, located at the SBOM (`sbom_path`) and, logically, at
/// the component (name and bom-ref).
pub fn sarif(report: &ScanReport, sbom_path: &str) -> Value {
    let groups = by_vulnerability(report);
    let rule_index: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let rules: Vec<Value> = groups
        .iter()
        .map(|(id, _)| {
            let mut r = json!({
                "id": id,
                "shortDescription": {"text": id},
            });
            if is_cve(id) {
                r["helpUri"] = json!(nvd_url(id));
            }
            r
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let level = if f.matched.confidence < NOTE_BELOW {
                "note"
            } else {
                "warning"
            };
            json!({
                "ruleId": f.vulnerability.id,
                "ruleIndex": rule_index[f.vulnerability.id.as_str()],
                "level": level,
                "message": {"text": message(f)},
                "locations": [{
                    "physicalLocation": {"artifactLocation": {"uri": sbom_path}},
                    "logicalLocations": [{
                        "name": f.component.name,
                        "fullyQualifiedName": f.component.bom_ref,
                    }],
                }],
                "properties": {
                    "confidence": f.matched.confidence,
                    "method": method_name(f),
                    "matched": f.matched.matched,
                    "platform_conditions": f.platform_conditions,
                    "sources": f.sources,
                },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL, "version": VERSION, "rules": rules}},
            "results": results,
        }],
    })
}

/// A CycloneDX component object (1.5) for one of the SBOM's components.
fn cdx_component(c: &Component) -> Value {
    let kind = c
        .kind
        .as_deref()
        .filter(|k| CDX15_COMPONENT_TYPES.contains(k))
        .unwrap_or("library");
    let mut o = Map::new();
    o.insert("type".into(), json!(kind));
    o.insert("bom-ref".into(), json!(c.bom_ref));
    if let Some(g) = &c.group {
        o.insert("group".into(), json!(g));
    }
    o.insert("name".into(), json!(c.name));
    if let Some(v) = &c.version {
        o.insert("version".into(), json!(v));
    }
    if let Some(p) = &c.purl {
        o.insert("purl".into(), json!(p));
    }
    if let Some(cpe) = c.cpes.first() {
        o.insert("cpe".into(), json!(cpe));
    }
    Value::Object(o)
}

/// 128 bits from two FNV-1a passes with different offsets: stable across
/// builds and platforms, unlike `std`'s hasher.
fn hash128(bytes: &[u8]) -> u128 {
    let fnv = |basis: u64| {
        bytes.iter().fold(basis, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    (u128::from(fnv(0xcbf2_9ce4_8422_2325)) << 64) | u128::from(fnv(0x6c62_272e_07bb_0142))
}

/// `urn:uuid:` of an RFC 4122-shaped UUID (version 8, custom) derived from
/// the report and the SBOM's own serial number: the same scan gives the
/// same serial.
fn serial_number(report: &ScanReport, sbom: &Sbom) -> String {
    let mut input = serde_json::to_vec(report).unwrap_or_default();
    if let Some(s) = &sbom.serial_number {
        input.extend_from_slice(s.as_bytes());
    }
    let mut b = hash128(&input).to_be_bytes();
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The report as a CycloneDX 1.5 VDR: the SBOM's subject as
/// `metadata.component`, the components with findings, and one
/// vulnerability per distinct id whose `affects` refer to them. No
/// `metadata.timestamp` (the caller may add one) and no `analysis`.
pub fn cyclonedx_vdr(report: &ScanReport, sbom: &Sbom) -> Value {
    let affected: std::collections::HashSet<&str> = report
        .findings
        .iter()
        .map(|f| f.component.bom_ref.as_str())
        .collect();
    let mut components: Vec<Value> = Vec::new();
    let mut present: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for c in &sbom.components {
        if affected.contains(c.bom_ref.as_str()) && present.insert(c.bom_ref.as_str()) {
            components.push(cdx_component(c));
        }
    }
    if let Some(s) = &sbom.subject {
        present.insert(s.bom_ref.as_str());
    }
    // A finding whose component the SBOM does not list (should not happen):
    // described from the finding, so that every `affects` ref resolves.
    for f in &report.findings {
        let r = f.component.bom_ref.as_str();
        if present.insert(r) {
            components.push(cdx_component(&Component {
                bom_ref: f.component.bom_ref.clone(),
                name: f.component.name.clone(),
                version: f.component.version.clone(),
                purl: f.component.purl.clone(),
                ..Component::default()
            }));
        }
    }

    let vulnerabilities: Vec<Value> = by_vulnerability(report)
        .into_iter()
        .map(|(id, findings)| {
            let mut v = Map::new();
            v.insert("bom-ref".into(), json!(id));
            v.insert("id".into(), json!(id));
            if is_cve(id) {
                v.insert("source".into(), json!({"name": "NVD", "url": nvd_url(id)}));
            }
            let mut seen = std::collections::HashSet::new();
            let affects: Vec<Value> = findings
                .iter()
                .filter(|f| seen.insert(f.component.bom_ref.as_str()))
                .map(|f| match &f.component.version {
                    Some(ver) => json!({
                        "ref": f.component.bom_ref,
                        "versions": [{"version": ver, "status": "affected"}],
                    }),
                    None => json!({"ref": f.component.bom_ref}),
                })
                .collect();
            v.insert("affects".into(), json!(affects));
            let mut props: Vec<Value> = Vec::new();
            for f in &findings {
                let r = &f.component.bom_ref;
                props.push(json!({"name": format!("kensa:match:{r}"), "value": f.matched.matched}));
                props.push(json!({
                    "name": format!("kensa:confidence:{r}"),
                    "value": format!("{:.2}", f.matched.confidence),
                }));
                for p in &f.platform_conditions {
                    props.push(json!({"name": format!("kensa:platform:{r}"), "value": p}));
                }
            }
            v.insert("properties".into(), json!(props));
            Value::Object(v)
        })
        .collect();

    let mut metadata = Map::new();
    metadata.insert(
        "tools".into(),
        json!({"components": [{"type": "application", "name": TOOL, "version": VERSION}]}),
    );
    if let Some(s) = &sbom.subject {
        metadata.insert("component".into(), cdx_component(s));
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": serial_number(report, sbom),
        "version": 1,
        "metadata": metadata,
        "components": components,
        "vulnerabilities": vulnerabilities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::Method;
    use crate::scan::{ComponentRef, MatchInfo, Summary, VulnRef};
    use kensa_model::SbomFormat;

    fn finding(bom_ref: &str, version: &str, id: &str, confidence: f64) -> Finding {
        Finding {
            component: ComponentRef {
                bom_ref: bom_ref.into(),
                name: bom_ref.into(),
                version: Some(version.into()),
                purl: None,
            },
            vulnerability: VulnRef {
                id: id.into(),
                aliases: vec![],
            },
            matched: MatchInfo {
                method: Method::Cpe,
                confidence,
                matched: format!("cpe:2.3:a:x:{bom_ref}:*:*:*:*:*:*:*:* < 9"),
                evidence: format!("{version} < 9"),
            },
            platform_conditions: vec![],
            sources: vec!["nvd:nvd@nist.gov".into()],
        }
    }

    fn report() -> ScanReport {
        let mut busybox = finding("busybox", "1.30.0", "CVE-2022-0001", 0.5);
        busybox.platform_conditions = vec!["cpe:2.3:o:linux:linux_kernel:*".into()];
        let findings = vec![
            finding("openssl", "1.0.1f", "CVE-2014-0160", 0.99),
            finding("openssl", "1.0.1f", "CVE-2022-0001", 0.99),
            busybox,
            finding("zlib", "1.2.11", "GHSA-xxxx-yyyy-zzzz", 0.8),
        ];
        ScanReport {
            summary: Summary {
                findings: findings.len(),
                ..Summary::default()
            },
            findings,
            unversioned: vec![],
            unresolved: vec![],
        }
    }

    fn sbom() -> Sbom {
        let c = |r: &str, kind: Option<&str>| Component {
            bom_ref: r.into(),
            name: r.into(),
            version: Some("1".into()),
            kind: kind.map(str::to_string),
            cpes: vec![format!("cpe:2.3:a:x:{r}:1:*:*:*:*:*:*:*")],
            ..Component::default()
        };
        Sbom {
            format: SbomFormat::CyclonedxJson,
            spec_version: "1.5".into(),
            serial_number: None,
            subject: Some(c("gateway", Some("device"))),
            components: vec![
                c("openssl", Some("library")),
                c("busybox", Some("odd-kind")),
                c("unaffected", None),
                c("zlib", None),
            ],
            dependencies: vec![],
            warnings: vec![],
        }
    }

    #[test]
    fn sarif_has_one_rule_per_vulnerability_and_one_result_per_finding() {
        let s = sarif(&report(), "fw.cdx.json");
        assert_eq!(s["version"], "2.1.0");
        let run = &s["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "kensa");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            ["CVE-2014-0160", "CVE-2022-0001", "GHSA-xxxx-yyyy-zzzz"]
        );
        assert_eq!(
            rules[0]["helpUri"],
            "https://nvd.nist.gov/vuln/detail/CVE-2014-0160"
        );
        assert!(rules[2].get("helpUri").is_none());
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 4);
        let levels: Vec<&str> = results
            .iter()
            .map(|r| r["level"].as_str().unwrap())
            .collect();
        assert_eq!(levels, ["warning", "warning", "note", "warning"]);
        assert_eq!(results[2]["ruleIndex"], 1);
        let msg = results[2]["message"]["text"].as_str().unwrap();
        assert!(msg.starts_with("busybox 1.30.0 is affected by CVE-2022-0001: 1.30.0 < 9"));
        assert!(
            msg.contains("only if cpe:2.3:o:linux:linux_kernel"),
            "{msg}"
        );
        let loc = &results[0]["locations"][0];
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "fw.cdx.json"
        );
        assert_eq!(loc["logicalLocations"][0]["fullyQualifiedName"], "openssl");
        assert_eq!(results[0]["properties"]["method"], "cpe");
        assert_eq!(results[0]["properties"]["sources"][0], "nvd:nvd@nist.gov");
    }

    #[test]
    fn vdr_lists_affected_components_and_refers_only_to_them() {
        let v = cyclonedx_vdr(&report(), &sbom());
        assert_eq!(v["bomFormat"], "CycloneDX");
        assert_eq!(v["specVersion"], "1.5");
        assert_eq!(v["version"], 1);
        assert_eq!(v["metadata"]["component"]["bom-ref"], "gateway");
        assert_eq!(v["metadata"]["component"]["type"], "device");
        assert_eq!(v["metadata"]["tools"]["components"][0]["name"], "kensa");
        let comps = v["components"].as_array().unwrap();
        let refs: Vec<&str> = comps
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .collect();
        assert_eq!(refs, ["openssl", "busybox", "zlib"]);
        assert_eq!(comps[1]["type"], "library", "unknown kinds map to library");
        assert_eq!(comps[0]["cpe"], "cpe:2.3:a:x:openssl:1:*:*:*:*:*:*:*");
        for c in comps {
            assert!(CDX15_COMPONENT_TYPES.contains(&c["type"].as_str().unwrap()));
        }
        let vulns = v["vulnerabilities"].as_array().unwrap();
        assert_eq!(vulns.len(), 3);
        for vuln in vulns {
            assert!(vuln.get("analysis").is_none());
            for a in vuln["affects"].as_array().unwrap() {
                assert!(refs.contains(&a["ref"].as_str().unwrap()), "{a}");
            }
        }
        let shared = &vulns[1];
        assert_eq!(shared["id"], "CVE-2022-0001");
        assert_eq!(shared["source"]["name"], "NVD");
        assert_eq!(shared["affects"].as_array().unwrap().len(), 2);
        let props = shared["properties"].as_array().unwrap();
        assert!(props.iter().any(|p| p["name"] == "kensa:match:busybox"
            && p["value"].as_str().unwrap().contains("busybox")));
        assert!(props.iter().all(|p| p["value"].is_string()));
        assert!(vulns[2].get("source").is_none());
    }

    #[test]
    fn vdr_serial_number_is_a_stable_uuid() {
        let a = cyclonedx_vdr(&report(), &sbom())["serialNumber"].clone();
        let b = cyclonedx_vdr(&report(), &sbom())["serialNumber"].clone();
        assert_eq!(a, b);
        let s = a.as_str().unwrap();
        let uuid = s.strip_prefix("urn:uuid:").unwrap();
        let parts: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(
            uuid.chars()
                .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        let mut other = report();
        other.findings.pop();
        assert_ne!(cyclonedx_vdr(&other, &sbom())["serialNumber"], a);
    }
}
