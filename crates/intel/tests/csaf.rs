//! CSAF parsing against real advisories (CISA, OASIS examples) and, when the
//! shared data set is present, against every CISA CSAF document.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use kensa_intel::csaf::parse;
use kensa_model::{CsafDocument, CsafProduct, SourceKind, VulnRecord};
use serde_json::{Value, json};

mod common;
use common::shared;

fn fixture_bytes(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/csaf")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(name: &str) -> CsafDocument {
    parse(&fixture_bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture_bytes(name)).expect("fixture is JSON")
}

fn product<'a>(doc: &'a CsafDocument, id: &str) -> &'a CsafProduct {
    doc.products
        .iter()
        .find(|p| p.product_id == id)
        .unwrap_or_else(|| panic!("{}: no product {id}", doc.tracking_id))
}

fn vuln<'a>(doc: &'a CsafDocument, id: &str) -> &'a VulnRecord {
    doc.vulnerabilities
        .iter()
        .find(|v| v.id == id)
        .unwrap_or_else(|| panic!("{}: no vulnerability {id}", doc.tracking_id))
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn ics_advisory_products_carry_vendor_range_and_model_numbers() {
    let doc = fixture("icsa-21-257-15.json");
    assert_eq!(doc.tracking_id, "ICSA-21-257-15");
    assert_eq!(doc.publisher, "CISA");
    assert_eq!(
        doc.publisher_namespace.as_deref(),
        Some("https://www.cisa.gov/")
    );
    assert_eq!(doc.category, "csaf_security_advisory");
    assert_eq!(doc.version.as_deref(), Some("1"));
    assert_eq!(doc.lang.as_deref(), Some("en-US"));
    assert_eq!(
        doc.current_release_date.as_deref(),
        Some("2021-09-14T00:00:00.000Z")
    );
    assert_eq!(doc.products.len(), 9);

    let cp443 = product(&doc, "CSAFPID-0005");
    assert_eq!(cp443.vendor.as_deref(), Some("Siemens"));
    assert_eq!(
        cp443.product_name.as_deref(),
        Some("SIMATIC CP 443-1 (6GK7443-1EX30-0XE0)")
    );
    assert_eq!(cp443.version_range.as_deref(), Some("vers:all/<V3.3"));
    assert_eq!(cp443.version, None);
    assert_eq!(cp443.model_numbers, strings(&["6GK7443-1EX30-0XE0"]));

    let cp343 = product(&doc, "CSAFPID-0001");
    assert_eq!(cp343.version_range.as_deref(), Some("vers:all/*"));
    assert!(cp343.model_numbers.is_empty());
}

#[test]
fn ics_advisory_vulnerability_has_status_cvss_cwe_and_remediations() {
    let doc = fixture("icsa-21-257-15.json");
    assert_eq!(doc.vulnerabilities.len(), 1);
    let v = vuln(&doc, "CVE-2021-33737");
    assert_eq!(v.source.kind, SourceKind::Csaf);
    assert_eq!(v.source.name, "ICSA-21-257-15");
    assert_eq!(v.last_modified, doc.current_release_date);
    assert_eq!(v.published, doc.initial_release_date);
    assert_eq!(v.title.as_deref(), Some("CVE-2021-33737"));
    assert!(
        v.description("en")
            .unwrap()
            .starts_with("Sending a specially crafted packet to port 102/tcp")
    );
    assert_eq!(v.descriptions[0].lang, "en-US");
    assert_eq!(v.weaknesses.len(), 1);
    assert_eq!(v.weaknesses[0].cwe, "CWE-119");
    assert_eq!(v.weaknesses[0].source, "CISA");

    assert_eq!(v.cvss.len(), 1);
    let cvss = &v.cvss[0];
    assert_eq!(
        cvss.vector,
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H/E:P/RL:U/RC:C"
    );
    assert_eq!(cvss.version, "3.1");
    assert_eq!(cvss.base_score, Some(7.5));
    assert_eq!(cvss.base_severity.as_deref(), Some("HIGH"));
    assert_eq!(cvss.source, "CISA");
    assert_eq!(v.references.len(), 3);
    assert!(v.references.iter().any(|r| r.url
        == "http://web.nvd.nist.gov/view/vuln/detail?vulnId=CVE-2021-33737"
        && r.tags == ["external"]));

    let info = v.csaf.as_ref().unwrap();
    let all: Vec<String> = (1..=9).map(|i| format!("CSAFPID-{i:04}")).collect();
    assert_eq!(info.product_status.len(), 1);
    assert_eq!(info.product_status["known_affected"], all);
    let categories: Vec<&str> = info
        .remediations
        .iter()
        .map(|r| r.category.as_str())
        .collect();
    assert_eq!(
        categories,
        ["mitigation", "no_fix_planned", "vendor_fix", "mitigation"]
    );
    let fix = &info.remediations[2];
    assert_eq!(fix.details, "Update to V3.3 or later version");
    assert_eq!(fix.product_ids, all[4..]);
    assert_eq!(
        fix.url.as_deref(),
        Some("https://support.industry.siemens.com/cs/ww/en/view/109817938/")
    );
    assert!(info.flags.is_empty());
}

#[test]
fn cisa_vex_uses_release_date_and_defaults_lang() {
    let doc = fixture("va-24-262-01.json");
    assert_eq!(doc.category, "csaf_vex");
    assert_eq!(doc.lang, None);
    let range = product(&doc, "CSAFPID-0001");
    assert_eq!(range.vendor.as_deref(), Some("Planet Fitness"));
    assert_eq!(
        range.product_name.as_deref(),
        Some("Planet Fitness Workouts")
    );
    assert_eq!(range.version_range.as_deref(), Some("0 < 9.8.12"));
    let fixed = product(&doc, "CSAFPID-0002");
    assert_eq!(fixed.version.as_deref(), Some("9.8.12"));
    assert_eq!(fixed.version_range, None);

    let v = vuln(&doc, "CVE-2024-43201");
    // The vulnerability's own release date wins over the document's.
    assert_eq!(v.published.as_deref(), Some("2024-07-25T16:00:00.000Z"));
    assert_eq!(
        doc.initial_release_date.as_deref(),
        Some("2024-09-18T15:26:00.000Z")
    );
    assert_eq!(v.descriptions.len(), 1);
    assert_eq!(v.descriptions[0].lang, "en");
    assert_eq!(
        v.notes,
        ["SSVC: SSVCv2/E:P/A:N/T:P/2024-09-18T19:25:28.300313+00:00/"]
    );
    let info = v.csaf.as_ref().unwrap();
    assert_eq!(info.product_status["known_affected"], ["CSAFPID-0001"]);
    assert_eq!(info.product_status["fixed"], ["CSAFPID-0002"]);
    assert_eq!(info.remediations.len(), 2);
    assert!(info.remediations.iter().all(|r| r.category == "vendor_fix"));
}

#[test]
fn vex_flags_map_labels_to_products() {
    let doc = fixture("sec-vex-2022-0001.json");
    let p = product(&doc, "CSAFPID-0001");
    assert_eq!(p.vendor.as_deref(), Some("Secvisogram"));
    assert_eq!(p.version_range.as_deref(), Some("<=1.14.0"));
    let ids: Vec<&str> = doc.vulnerabilities.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2021-44228", "CVE-2021-45046", "CVE-2021-45105"]);
    for v in &doc.vulnerabilities {
        let info = v.csaf.as_ref().unwrap();
        assert_eq!(info.flags.len(), 1, "{}", v.id);
        assert_eq!(info.flags["component_not_present"], ["CSAFPID-0001"]);
        assert_eq!(info.product_status["known_not_affected"], ["CSAFPID-0001"]);
        assert!(!info.product_status.contains_key("known_affected"));
        assert!(v.cvss.is_empty());
    }
}

#[test]
fn cpe_helpers_ids_and_fixed_status() {
    let doc = fixture("bsi-2022-0001.json");
    assert_eq!(doc.products.len(), 6);
    let rc2 = product(&doc, "CSAFPID-0006");
    assert_eq!(rc2.vendor.as_deref(), Some("CSAF Tools"));
    assert_eq!(rc2.product_name.as_deref(), Some("CVRF-CSAF-Converter"));
    assert_eq!(rc2.version.as_deref(), Some("1.0.0-rc2"));
    assert_eq!(
        rc2.cpe.as_deref(),
        Some("cpe:/a:csaf-tools:cvrf-csaf-converter:1.0.0-rc2")
    );

    let v = vuln(&doc, "CVE-2022-27193");
    assert_eq!(v.aliases, ["csaf-tools/CVRF-CSAF-Converter#78"]);
    assert!(
        v.description("en")
            .unwrap()
            .contains("XML External Entities")
    );
    let publisher = "Bundesamt für Sicherheit in der Informationstechnik";
    assert_eq!(v.cvss[0].source, publisher);
    assert_eq!(v.weaknesses[0].source, publisher);
    let info = v.csaf.as_ref().unwrap();
    assert_eq!(info.product_status["first_fixed"], ["CSAFPID-0006"]);
    assert_eq!(info.product_status["fixed"], ["CSAFPID-0006"]);
    assert_eq!(info.product_status["known_affected"].len(), 5);
    assert_eq!(
        info.remediations[0].url.as_deref(),
        Some("https://github.com/csaf-tools/CVRF-CSAF-Converter/releases/tag/1.0.0-rc2")
    );
}

#[test]
fn relationship_products_resolve() {
    let doc = fixture("rhsa-2021_5186.json");
    assert_eq!(doc.relationships.len(), 3);
    let platform = product(&doc, "8Base-RHOSE-4.6");
    assert_eq!(platform.vendor.as_deref(), Some("Red Hat"));
    assert_eq!(
        platform.product_family.as_deref(),
        Some("Red Hat OpenShift Enterprise")
    );
    assert_eq!(
        platform.product_name.as_deref(),
        Some("Red Hat OpenShift Container Platform 4.6")
    );
    assert_eq!(
        platform.cpe.as_deref(),
        Some("cpe:/a:redhat:openshift:4.6::el8")
    );

    let rel = &doc.relationships[2];
    assert_eq!(rel.category, "default_component_of");
    assert_eq!(rel.relates_to_product_reference, "8Base-RHOSE-4.6");
    assert_eq!(
        rel.product_reference,
        "openshift4/ose-metering-hive:v4.6.0-202112160147.p0.gf139e12.assembly.stream"
    );
    assert_eq!(product(&doc, &rel.product_id).name, rel.name);

    let known: HashSet<&str> = doc.products.iter().map(|p| p.product_id.as_str()).collect();
    let v = vuln(&doc, "CVE-2021-4104");
    let info = v.csaf.as_ref().unwrap();
    assert_eq!(
        info.product_status["fixed"],
        std::slice::from_ref(&rel.product_id)
    );
    assert_eq!(info.product_status["known_not_affected"].len(), 2);
    for id in info.product_status.values().flatten() {
        assert!(known.contains(id.as_str()), "{id} does not resolve");
    }
    assert_eq!(
        v.aliases,
        ["https://bugzilla.redhat.com/show_bug.cgi?id=2031667"]
    );
    assert_eq!(v.published.as_deref(), Some("2021-12-10T00:00:00.000Z"));
    // A "general" note is no description.
    assert!(v.descriptions.is_empty());
    assert_eq!(
        v.notes,
        [
            "Vulnerability Description: log4j: Remote code execution in Log4j 1.x when application is configured to use JMSAppender"
        ]
    );
}

#[test]
fn csaf_2_1_metrics_and_cwes_read_like_2_0_scores_and_cwe() {
    let v20 = fixture("bsi-2022-0001.json");
    let v21 = fixture("bsi-2022-0001-csaf-2.1.json");
    let (a, b) = (&v20.vulnerabilities[0], &v21.vulnerabilities[0]);
    assert_eq!(b.cvss.len(), 1);
    assert_eq!(
        b.cvss[0].vector,
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:N/A:L/E:F/RL:O/RC:C"
    );
    assert_eq!(a.cvss, b.cvss);
    assert_eq!(a.weaknesses, b.weaknesses);
    assert_eq!(a.csaf, b.csaf);
    assert_eq!(v20.products, v21.products);
}

#[test]
fn vulnerability_without_cve_or_ids_is_known_by_its_place() {
    // Valid CSAF: an identifier is optional. The document must still import.
    let doc = parse(&fixture_bytes("oasis_csaf_tc-csaf_2_0-2021-6-2-19-03.json")).unwrap();
    let id = "OASIS_CSAF_TC-CSAF_2.0-2021-6-2-19-03/vulnerabilities[0]";
    let v = vuln(&doc, id);
    assert!(v.notes[0].contains("no CVE or other id"), "{:?}", v.notes);
}

#[test]
fn ids_stand_in_for_cve_and_full_product_names_resolve() {
    let mut doc = fixture_json("oasis_csaf_tc-csaf_2_0-2021-6-2-19-03.json");
    doc["vulnerabilities"][0]["ids"] = json!([
        {"system_name": "Tracker", "text": "TRACK-1"},
        {"system_name": "Other", "text": "OTHER-2"}
    ]);
    let doc = parse(doc.to_string().as_bytes()).unwrap();
    assert_eq!(doc.category, "csaf_base");
    let v = vuln(&doc, "TRACK-1");
    assert_eq!(v.aliases, ["OTHER-2"]);
    assert_eq!(v.cvss.len(), 1);
    assert_eq!(v.cvss[0].version, "2.0");
    assert_eq!(v.cvss[0].vector, "AV:A/AC:L/Au:N/C:P/I:N/A:C");
    assert_eq!(v.cvss[0].base_score, Some(6.8));
    assert_eq!(v.cvss[0].base_severity, None);
    let p = product(&doc, "CSAFPID-9080700");
    assert_eq!(p.name, "Product A");
    assert_eq!(p.vendor, None);
    assert_eq!(
        v.csaf.as_ref().unwrap().product_status["fixed"],
        ["CSAFPID-9080700"]
    );
}

#[test]
fn missing_required_fields_are_named() {
    let base = fixture_json("bsi-2022-0001.json");
    let cases: [(&[&str], &str); 5] = [
        (&["document", "category"], "document.category"),
        (&["document", "csaf_version"], "document.csaf_version"),
        (
            &["document", "publisher", "name"],
            "document.publisher.name",
        ),
        (&["document", "title"], "document.title"),
        (&["document", "tracking", "id"], "document.tracking.id"),
    ];
    for (path, field) in cases {
        let mut doc = base.clone();
        let (last, parents) = path.split_last().unwrap();
        let parent = parents.iter().fold(&mut doc, |v, k| &mut v[*k]);
        parent.as_object_mut().unwrap().remove(*last);
        let e = parse(doc.to_string().as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{e}");
        assert!(e.message.contains("missing"), "{e}");
    }
}

#[test]
fn bad_values_are_named() {
    let base = fixture_json("bsi-2022-0001.json");

    let mut doc = base.clone();
    doc["document"]["csaf_version"] = json!("1.2");
    let e = parse(doc.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("document.csaf_version"), "{e}");

    let mut doc = base.clone();
    doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]["baseScore"] = json!("high");
    let e = parse(doc.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("vulnerabilities[0].scores[0].cvss_v3.baseScore"),
        "{e}"
    );

    let mut doc = base.clone();
    let branch = &mut doc["product_tree"]["branches"][0]["branches"][0]["branches"][2];
    branch["product"]
        .as_object_mut()
        .unwrap()
        .remove("product_id");
    let e = parse(doc.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("product_tree.branches[0].branches[0].branches[2].product.product_id"),
        "{e}"
    );
    assert_eq!(e.record.as_deref(), Some("BSI-2022-0001"));

    let mut doc = base;
    doc["document"]["tracking"]["current_release_date"] = json!("last week");
    let e = parse(doc.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("document.tracking.current_release_date"),
        "{e}"
    );

    for garbage in [&b""[..], b"[]", b"{\"document\": {\"category\": "] {
        assert!(parse(garbage).is_err());
    }
}

/// Branches deeper than vendor / name / version, ignored categories between
/// them, purl / serial / sku helpers, and product groups in remediations.
#[test]
fn deep_branches_helpers_and_product_groups() {
    let doc = json!({
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "publisher": {"category": "vendor", "name": "ACME PSIRT", "namespace": "https://acme.example"},
            "title": "ACME PLC firmware",
            "tracking": {"id": "ACME-2024-001", "version": "3", "current_release_date": "2024-05-01T12:00:00+02:00"}
        },
        "product_tree": {
            "branches": [{"category": "vendor", "name": "ACME", "branches": [
                {"category": "product_family", "name": "PLC", "branches": [
                    {"category": "product_name", "name": "PLC-9", "branches": [
                        {"category": "architecture", "name": "arm", "branches": [
                            {"category": "product_version", "name": "2.8.1", "product": {
                                "name": "ACME PLC-9 2.8.1 (arm)",
                                "product_id": "P1",
                                "product_identification_helper": {
                                    "purl": "pkg:generic/acme/plc-9@2.8.1",
                                    "serial_numbers": ["SN-1*"],
                                    "skus": ["PLC9-ARM"]
                                }
                            }}
                        ]},
                        {"category": "product_version_range", "name": "vers:generic/<=2.8", "product": {
                            "name": "ACME PLC-9 <=2.8", "product_id": "P2"
                        }}
                    ]}
                ]}
            ]}],
            "product_groups": [{"group_id": "G1", "product_ids": ["P1", "P2"]}]
        },
        "vulnerabilities": [{
            "cve": "CVE-2024-99999",
            "product_status": {"known_affected": ["P1", "P2"], "unknown_status": ["P1"]},
            "remediations": [{"category": "vendor_fix", "details": "Update to 2.9", "group_ids": ["G1"]}],
            "flags": [
                {"label": "vulnerable_code_not_in_execute_path", "product_ids": ["P2"]},
                {"label": "vulnerable_code_not_in_execute_path", "group_ids": ["G1"]}
            ]
        }]
    });
    let doc = parse(doc.to_string().as_bytes()).unwrap();
    assert_eq!(
        doc.current_release_date.as_deref(),
        Some("2024-05-01T10:00:00.000Z")
    );
    let p1 = product(&doc, "P1");
    assert_eq!(p1.vendor.as_deref(), Some("ACME"));
    assert_eq!(p1.product_family.as_deref(), Some("PLC"));
    assert_eq!(p1.product_name.as_deref(), Some("PLC-9"));
    assert_eq!(p1.version.as_deref(), Some("2.8.1"));
    assert_eq!(p1.purl.as_deref(), Some("pkg:generic/acme/plc-9@2.8.1"));
    assert_eq!(p1.serial_numbers, ["SN-1*"]);
    assert_eq!(p1.skus, ["PLC9-ARM"]);
    let p2 = product(&doc, "P2");
    assert_eq!(p2.version_range.as_deref(), Some("vers:generic/<=2.8"));
    assert_eq!(p2.version, None);

    let v = vuln(&doc, "CVE-2024-99999");
    assert_eq!(v.published, None);
    let info = v.csaf.as_ref().unwrap();
    assert_eq!(
        info.product_status.keys().collect::<Vec<_>>(),
        ["known_affected"]
    );
    assert_eq!(info.remediations[0].product_ids, ["P1", "P2"]);
    assert_eq!(
        info.flags["vulnerable_code_not_in_execute_path"],
        ["P2", "P1"]
    );
}

#[test]
fn every_cisa_csaf_document_parses() {
    let Some(path) = shared("cisa-csaf/cisa-csaf-advisories.jsonl.gz") else {
        return;
    };
    let file = std::fs::File::open(&path).unwrap();
    let (mut docs, mut vulns, mut vex, mut products) = (0, 0, 0, 0);
    let mut errors = Vec::new();
    for (n, line) in BufReader::new(MultiGzDecoder::new(file))
        .split(b'\n')
        .enumerate()
    {
        let line = line.unwrap();
        if line.is_empty() {
            continue;
        }
        match parse(&line) {
            Ok(doc) => {
                docs += 1;
                vulns += doc.vulnerabilities.len();
                products += doc.products.len();
                vex += usize::from(doc.category == "csaf_vex");
                let known: HashSet<&str> =
                    doc.products.iter().map(|p| p.product_id.as_str()).collect();
                for v in &doc.vulnerabilities {
                    let info = v.csaf.as_ref().unwrap();
                    for id in info.product_status.values().flatten() {
                        assert!(known.contains(id.as_str()), "{}: {id}", doc.tracking_id);
                    }
                }
            }
            Err(e) => errors.push(format!("line {}: {e}", n + 1)),
        }
    }
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert_eq!(docs, 2383);
    assert_eq!(vulns, 7916);
    assert_eq!(vex, 4);
    // 15,889 from branches plus 1,284 from relationships.
    assert_eq!(products, 17_173);
    eprintln!("{docs} CISA CSAF documents, {vulns} vulnerabilities, {products} products");
}
