//! Every VEX document Kensa writes validates against the official schema
//! of its format (CycloneDX 1.6, OpenVEX 0.2.0, CSAF 2.0), for each verdict.
//! The schemas come from ../shared/data/vuln; the test is skipped, saying
//! why, where that folder is absent.

use std::path::{Path, PathBuf};

use kensa_logic::answers;
use kensa_logic::verdict::{Status, Verdict, evaluate};
use kensa_logic::vex::write::{Issuer, Subject, VexFormat, write};
use serde_json::Value;

fn vuln_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/vuln");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} is absent (the official VEX schemas live there)",
            dir.display()
        );
        None
    }
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compiles `main` with the other files registered under the URLs their
/// referrers use.
fn compile(main: (&str, Value), extra: Vec<(&str, Value)>) -> (boon::Schemas, boon::SchemaIndex) {
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    for (url, mut value) in extra {
        // Some files state a versioned $id (`…cvss-v3.1.json?20211103`);
        // register them under the URL the referring schema uses.
        if let Some(obj) = value.as_object_mut() {
            obj.insert("$id".into(), Value::String(url.into()));
        }
        compiler.add_resource(url, value).expect("resource added");
    }
    compiler.add_resource(main.0, main.1).expect("schema added");
    let mut schemas = boon::Schemas::new();
    let index = compiler
        .compile(main.0, &mut schemas)
        .unwrap_or_else(|e| panic!("compiling {}: {e:#}", main.0));
    (schemas, index)
}

fn verdicts() -> Vec<Verdict> {
    let tree =
        serde_json::from_str(include_str!("fixtures/cve-2007-2447.conditions.json")).unwrap();
    let out: Vec<Verdict> = [
        "answers: {c1: yes, c2: no}",
        "answers: {c1: yes, c2: yes, c3: yes}",
        "answers: {c1: yes}",
    ]
    .iter()
    .map(|a| evaluate(&tree, &answers::parse(a.as_bytes()).unwrap()).unwrap())
    .collect();
    let statuses: Vec<Status> = out.iter().map(|v| v.status).collect();
    assert_eq!(
        statuses,
        [
            Status::NotAffected,
            Status::Affected,
            Status::UnderInvestigation
        ]
    );
    out
}

fn subjects() -> Vec<Subject> {
    vec![
        Subject {
            name: "Acme PLC-200 firmware".into(),
            version: Some("4.2.1".into()),
            purl: None,
        },
        Subject {
            name: "samba".into(),
            version: None,
            purl: Some("pkg:deb/debian/samba".into()),
        },
    ]
}

fn issuer() -> Issuer {
    Issuer {
        timestamp: "2026-11-22T09:00:00Z".into(),
        author: "Acme PSIRT".into(),
        namespace: "https://psirt.acme.example".into(),
        tool_version: "0.1.0".into(),
        action: None,
    }
}

/// `kensa vex`'s defaults when no author or namespace is given.
fn default_issuer() -> Issuer {
    Issuer {
        author: "Unknown author".into(),
        namespace: "urn:x-kensa:unconfigured".into(),
        ..issuer()
    }
}

fn check_all(format: VexFormat, schemas: &boon::Schemas, index: boon::SchemaIndex) {
    for v in verdicts() {
        for (s, i) in subjects().into_iter().zip([issuer(), default_issuer()]) {
            let doc = write(format, &v, &s, &i);
            if let Err(e) = schemas.validate(&doc, index) {
                panic!(
                    "{format:?} for {} / {} is invalid: {e:#}\n{}",
                    v.status.as_str(),
                    s.name,
                    serde_json::to_string_pretty(&doc).unwrap()
                );
            }
        }
    }
}

#[test]
fn cyclonedx_documents_validate() {
    let Some(data) = vuln_data() else { return };
    let dir = data.join("cyclonedx-specification/schema");
    let (schemas, index) = compile(
        (
            "http://cyclonedx.org/schema/bom-1.6.schema.json",
            load(&dir.join("bom-1.6.schema.json")),
        ),
        vec![
            (
                "http://cyclonedx.org/schema/spdx.schema.json",
                load(&dir.join("spdx.schema.json")),
            ),
            (
                "http://cyclonedx.org/schema/jsf-0.82.schema.json",
                load(&dir.join("jsf-0.82.schema.json")),
            ),
        ],
    );
    check_all(VexFormat::CycloneDx, &schemas, index);
    // The validator is not vacuous: a wrong state is rejected.
    let mut bad = write(
        VexFormat::CycloneDx,
        &verdicts()[0],
        &subjects()[0],
        &issuer(),
    );
    bad["vulnerabilities"][0]["analysis"]["state"] = "probably_fine".into();
    assert!(schemas.validate(&bad, index).is_err());
}

#[test]
fn openvex_documents_validate() {
    let Some(data) = vuln_data() else { return };
    let path = data.join("openvex-spec/openvex_json_schema.json");
    let (schemas, index) = compile(
        (
            "https://github.com/openvex/spec/openvex_json_schema_0.2.0.json",
            load(&path),
        ),
        Vec::new(),
    );
    check_all(VexFormat::OpenVex, &schemas, index);
    let mut bad = write(
        VexFormat::OpenVex,
        &verdicts()[0],
        &subjects()[0],
        &issuer(),
    );
    bad["statements"][0]["justification"] = "it_is_fine".into();
    assert!(schemas.validate(&bad, index).is_err());
}

#[test]
fn csaf_documents_validate() {
    let Some(data) = vuln_data() else { return };
    let dir = data.join("oasis-csaf/csaf_2.0");
    let first = dir.join("referenced_schema/first");
    let (schemas, index) = compile(
        (
            "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
            load(&dir.join("json_schema/csaf_json_schema.json")),
        ),
        vec![
            (
                "https://www.first.org/cvss/cvss-v2.0.json",
                load(&first.join("cvss-v2.0.json")),
            ),
            (
                "https://www.first.org/cvss/cvss-v3.0.json",
                load(&first.join("cvss-v3.0.json")),
            ),
            (
                "https://www.first.org/cvss/cvss-v3.1.json",
                load(&first.join("cvss-v3.1.json")),
            ),
        ],
    );
    check_all(VexFormat::Csaf, &schemas, index);
    let mut bad = write(VexFormat::Csaf, &verdicts()[0], &subjects()[0], &issuer());
    bad["vulnerabilities"][0]["flags"][0]["label"] = "looks_fine".into();
    assert!(schemas.validate(&bad, index).is_err());
}

#[test]
fn csaf_vex_profile_requirements_hold() {
    // What the JSON schema cannot check but the csaf_vex profile demands
    // (CSAF 2.0 section 4.5 and tests 6.1.27.x): a product tree, a
    // product_status per vulnerability, an impact statement for every
    // known_not_affected product and an action statement for every
    // known_affected one.
    for v in verdicts() {
        let doc = write(VexFormat::Csaf, &v, &subjects()[1], &issuer());
        assert_eq!(doc["document"]["category"], "csaf_vex");
        assert!(doc["product_tree"]["full_product_names"][0]["product_id"].is_string());
        let vuln = &doc["vulnerabilities"][0];
        assert_eq!(vuln["cve"], "CVE-2007-2447");
        let status = vuln["product_status"].as_object().unwrap();
        assert_eq!(status.len(), 1);
        match v.status {
            Status::NotAffected => {
                assert_eq!(
                    vuln["flags"][0]["label"],
                    "vulnerable_code_not_in_execute_path"
                );
                assert_eq!(vuln["threats"][0]["category"], "impact");
                assert!(
                    vuln["threats"][0]["details"]
                        .as_str()
                        .unwrap()
                        .contains("c2")
                );
            }
            Status::Affected => assert!(vuln["remediations"][0]["details"].is_string()),
            Status::UnderInvestigation => assert!(status.contains_key("under_investigation")),
        }
        let notes = doc["document"]["notes"].as_array().unwrap();
        assert!(notes.iter().any(|n| n["category"] == "summary"));
    }
}
