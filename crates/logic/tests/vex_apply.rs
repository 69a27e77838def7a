//! VEX in: Kensa's own documents read back, others' documents (Grype's
//! OpenVEX and CSAF fixtures, CycloneDX's VEX examples) read, and the
//! statements applied to findings, including across a component upgrade.

use std::path::{Path, PathBuf};

use kensa_logic::answers;
use kensa_logic::fingerprint::fingerprint;
use kensa_logic::verdict::{Verdict, evaluate};
use kensa_logic::vex::VexStatus;
use kensa_logic::vex::apply::{ConditionsCheck, Decision, FindingKey, decide};
use kensa_logic::vex::read::{Statement, VersionScope, parse};
use kensa_logic::vex::write::{Issuer, Subject, VexFormat, write};
use kensa_logic::{Conditions, Node};

const CVE: &str = "CVE-2007-2447";

/// The fixture as if the rules extractor had made it: such trees can be
/// rebuilt at scan time, so decisions on them are re-checked.
fn tree() -> Conditions {
    let mut t: Conditions =
        serde_json::from_str(include_str!("fixtures/cve-2007-2447.conditions.json")).unwrap();
    t.extractor = Some("rules@test".into());
    t
}

fn not_affected() -> Verdict {
    evaluate(&tree(), &answers::parse(b"answers: {c2: no}").unwrap()).unwrap()
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

fn round_trip(format: VexFormat, subject: &Subject) -> Vec<Statement> {
    let doc = write(format, &not_affected(), subject, &issuer());
    parse(doc.to_string().as_bytes(), "ours.json").expect("our own VEX reads back")
}

fn samba_finding<'a>(purl: &'a str, version: &'a str) -> FindingKey<'a> {
    FindingKey {
        vulnerability: CVE,
        aliases: &[],
        bom_ref: "samba-ref",
        name: "samba",
        version: Some(version),
        purl: Some(purl),
        cpes: &[],
    }
}

fn current_is(fp: String) -> impl Fn(&str) -> Option<String> {
    move |_| Some(fp.clone())
}

const FORMATS: [VexFormat; 3] = [VexFormat::CycloneDx, VexFormat::OpenVex, VexFormat::Csaf];

#[test]
fn a_versionless_purl_decision_survives_an_upgrade() {
    let subject = Subject {
        name: "samba".into(),
        version: None,
        purl: Some("pkg:deb/debian/samba".into()),
    };
    let fp = fingerprint(&tree());
    for format in FORMATS {
        let statements = round_trip(format, &subject);
        assert_eq!(statements.len(), 1, "{format:?}");
        let s = &statements[0];
        assert_eq!(s.status, VexStatus::NotAffected, "{format:?}");
        let recorded = s.fingerprint.as_ref().expect("fingerprint recorded");
        assert_eq!(recorded.fingerprint, fp, "{format:?}");
        assert_eq!(recorded.origin, "rules", "{format:?}");
        assert!(s.detail.as_deref().unwrap().contains("c2"), "{format:?}");

        for version in ["2:3.0.24-6", "2:3.0.25-1+deb9u1"] {
            let purl = format!("pkg:deb/debian/samba@{version}?arch=amd64");
            let d = decide(
                &statements,
                &samba_finding(&purl, version),
                current_is(fp.clone()),
            )
            .unwrap_or_else(|| panic!("{format:?} {version}: no decision"));
            assert!(d.suppressed, "{format:?} {version}: {d:?}");
            assert_eq!(
                d.conditions,
                ConditionsCheck::Same {
                    fingerprint: fp.clone()
                }
            );
            assert!(d.matched_by.contains("any version"), "{}", d.matched_by);
        }
    }
}

#[test]
fn changed_conditions_or_another_cve_are_not_carried_over() {
    let subject = Subject {
        name: "samba".into(),
        version: None,
        purl: Some("pkg:deb/debian/samba".into()),
    };
    // The tree gained a condition since the decision.
    let mut changed = tree();
    if let Node::Group(g) = &mut changed.logic {
        g.children.push(g.children[0].clone());
        if let Node::Condition(c) = g.children.last_mut().unwrap() {
            c.id = "c5".into();
            c.text = "smbd runs as root".into();
        }
    }
    assert_ne!(fingerprint(&changed), fingerprint(&tree()));
    for format in FORMATS {
        let statements = round_trip(format, &subject);
        let finding = samba_finding("pkg:deb/debian/samba@2:3.0.24-6", "2:3.0.24-6");
        let d: Decision = decide(&statements, &finding, current_is(fingerprint(&changed))).unwrap();
        assert!(!d.suppressed, "{format:?}");
        assert!(
            matches!(d.conditions, ConditionsCheck::Changed { .. }),
            "{format:?}"
        );
        assert!(d.note.as_deref().unwrap().contains("changed"), "{format:?}");

        // Without a current tree the decision holds, marked as unchecked.
        let d = decide(&statements, &finding, |_| None).unwrap();
        assert!(d.suppressed);
        assert!(matches!(d.conditions, ConditionsCheck::NotChecked { .. }));

        let other = FindingKey {
            vulnerability: "CVE-2007-6015",
            ..finding.clone()
        };
        assert!(
            decide(&statements, &other, |_| None).is_none(),
            "{format:?}"
        );
        let other_package = samba_finding("pkg:deb/debian/samba-common@2:3.0.24-6", "2:3.0.24-6");
        assert!(
            decide(&statements, &other_package, |_| None).is_none(),
            "{format:?}"
        );
    }
}

#[test]
fn a_pinned_version_is_not_carried_over() {
    let subject = Subject {
        name: "Acme PLC-200 firmware".into(),
        version: Some("4.2.1".into()),
        purl: None,
    };
    for format in FORMATS {
        let statements = round_trip(format, &subject);
        let key = |version| FindingKey {
            vulnerability: CVE,
            aliases: &[],
            bom_ref: "fw",
            name: "Acme PLC-200 firmware",
            version: Some(version),
            purl: None,
            cpes: &[],
        };
        let same = decide(&statements, &key("4.2.1"), |_| None)
            .unwrap_or_else(|| panic!("{format:?}: {statements:?}"));
        assert!(same.suppressed, "{format:?}");
        assert!(
            decide(&statements, &key("4.3.0"), |_| None).is_none(),
            "{format:?}"
        );
    }
}

#[test]
fn aliases_connect_statements_and_findings() {
    let subject = Subject {
        name: "samba".into(),
        version: None,
        purl: Some("pkg:deb/debian/samba".into()),
    };
    let statements = round_trip(VexFormat::OpenVex, &subject);
    let aliases = vec![CVE.to_string()];
    let finding = FindingKey {
        vulnerability: "DSA-1291-1",
        aliases: &aliases,
        ..samba_finding("pkg:deb/debian/samba@2:3.0.24-6", "2:3.0.24-6")
    };
    assert!(decide(&statements, &finding, |_| None).is_some());
}

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/vuln")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

fn read(path: &Path) -> Vec<Statement> {
    let bytes = std::fs::read(path).unwrap();
    parse(&bytes, &path.display().to_string()).unwrap_or_else(|e| panic!("{e}"))
}

fn libcrypto(version: &str) -> String {
    format!("pkg:apk/alpine/libcrypto3@{version}?arch=x86_64&distro=alpine-3.17.3")
}

#[test]
fn grype_openvex_and_csaf_fixtures_apply_to_the_pinned_version_only() {
    let Some(dir) = shared("peer-fixtures/grype/grype/vex/testdata/vex-docs") else {
        return;
    };
    for file in [
        "openvex-package-product.json",
        "openvex-demo1.json",
        "csaf-demo1.json",
    ] {
        let statements = read(&dir.join(file));
        assert!(!statements.is_empty(), "{file}");
        let hit = libcrypto("3.0.8-r3");
        let key = |purl: &'static str| FindingKey {
            vulnerability: "CVE-2023-1255",
            aliases: &[],
            bom_ref: "libcrypto3",
            name: "libcrypto3",
            version: None,
            purl: Some(purl),
            cpes: &[],
        };
        let hit: &'static str = Box::leak(hit.into_boxed_str());
        let d = decide(&statements, &key(hit), |_| None)
            .unwrap_or_else(|| panic!("{file}: no decision for {hit}"));
        assert_eq!(d.status, VexStatus::Fixed, "{file}");
        assert!(d.suppressed, "{file}");
        assert_eq!(d.conditions, ConditionsCheck::NotRecorded);
        assert!(d.source.contains(file), "{}", d.source);
        // A fixed statement for r3 says nothing about r4.
        let next: &'static str = Box::leak(libcrypto("3.0.8-r4").into_boxed_str());
        assert!(
            decide(&statements, &key(next), |_| None).is_none(),
            "{file}"
        );
    }
    // An image without subcomponents does not name the package.
    let statements = read(&dir.join("openvex-image-no-subcomponents.json"));
    let purl = libcrypto("3.0.8-r3");
    let key = FindingKey {
        vulnerability: "CVE-2023-1255",
        purl: Some(&purl),
        name: "libcrypto3",
        ..FindingKey::default()
    };
    assert!(decide(&statements, &key, |_| None).is_none());
    // CSAF flags become the justification.
    let statements = read(&dir.join("csaf-demo2.json"));
    assert_eq!(statements[0].status, VexStatus::NotAffected);
    assert_eq!(
        statements[0].justification.as_deref(),
        Some("vulnerable_code_not_present")
    );
}

#[test]
fn cyclonedx_vex_examples_read() {
    let Some(dir) = shared("cyclonedx-bom-examples/VEX") else {
        return;
    };
    let statements = read(&dir.join("vex.json"));
    assert_eq!(statements.len(), 1);
    let s = &statements[0];
    assert_eq!(s.vulnerability, "CVE-2020-25649");
    assert_eq!(s.aliases, ["SNYK-JAVA-COMFASTERXMLJACKSONCORE-1048302"]);
    assert_eq!(s.justification.as_deref(), Some("code_not_reachable"));
    // The BOM-Link fragment is a purl with a version: pinned.
    assert_eq!(
        s.products[0].purl.as_deref(),
        Some("pkg:maven/com.fasterxml.jackson.core/jackson-databind?type=jar")
    );
    assert_eq!(s.products[0].version, VersionScope::Exact("2.10.0".into()));
    let key = |purl: &'static str, version: &'static str| FindingKey {
        vulnerability: "CVE-2020-25649",
        name: "jackson-databind",
        version: Some(version),
        purl: Some(purl),
        ..FindingKey::default()
    };
    let d = decide(
        &statements,
        &key(
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0",
            "2.10.0",
        ),
        |_| None,
    )
    .unwrap();
    assert!(d.suppressed);
    assert!(
        decide(
            &statements,
            &key(
                "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.1",
                "2.10.1"
            ),
            |_| None
        )
        .is_none()
    );

    // Every use case of the CycloneDX VEX guide reads without error.
    let cases = dir.join("Use-Cases");
    let mut read_files = 0;
    for entry in std::fs::read_dir(&cases).unwrap() {
        let path = entry.unwrap().path().join("vex.json");
        if path.exists() {
            let statements = read(&path);
            assert!(
                statements.iter().all(|s| !s.vulnerability.is_empty()),
                "{}",
                path.display()
            );
            read_files += 1;
        }
    }
    assert!(read_files >= 10, "only {read_files} use cases found");
}

#[test]
fn cyclonedx_version_ranges_cover_upgrades_inside_the_range() {
    let doc = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"bom-ref": "zlib", "type": "library", "name": "zlib", "purl": "pkg:generic/zlib"}],
        "vulnerabilities": [{
            "id": "CVE-2022-37434",
            "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
            "affects": [{"ref": "zlib", "versions": [{"range": "vers:generic/>=1.2.0|<1.3", "status": "unaffected"}]}]
        }]
    });
    let statements = parse(doc.to_string().as_bytes(), "range.json").unwrap();
    let key = |purl: &'static str| FindingKey {
        vulnerability: "CVE-2022-37434",
        name: "zlib",
        purl: Some(purl),
        ..FindingKey::default()
    };
    let d = decide(&statements, &key("pkg:generic/zlib@1.2.12"), |_| None).unwrap();
    assert!(d.suppressed);
    assert!(d.matched_by.contains("vers:generic"), "{}", d.matched_by);
    assert!(decide(&statements, &key("pkg:generic/zlib@1.3.1"), |_| None).is_none());
}

#[test]
fn decisions_on_analyst_trees_are_kept_but_not_rechecked() {
    // The fixture as written: extractor `analyst`, a tree no scan can rebuild.
    let analyst: Conditions =
        serde_json::from_str(include_str!("fixtures/cve-2007-2447.conditions.json")).unwrap();
    let v = evaluate(&analyst, &answers::parse(b"answers: {c2: no}").unwrap()).unwrap();
    assert_eq!(v.conditions_origin, "analyst");
    let subject = Subject {
        name: "samba".into(),
        version: None,
        purl: Some("pkg:deb/debian/samba".into()),
    };
    for format in FORMATS {
        let doc = write(format, &v, &subject, &issuer());
        let statements = parse(doc.to_string().as_bytes(), "analyst.json").unwrap();
        assert_eq!(
            statements[0].fingerprint.as_ref().unwrap().origin,
            "analyst"
        );
        let finding = samba_finding("pkg:deb/debian/samba@2:3.0.24-6", "2:3.0.24-6");
        // A different rules tree today does not overrule the analyst's decision.
        let d = decide(
            &statements,
            &finding,
            current_is("kc1-0000000000000000".into()),
        )
        .unwrap();
        assert!(d.suppressed, "{format:?}");
        assert!(
            matches!(&d.conditions, ConditionsCheck::NotChecked { origin, .. } if origin == "analyst"),
            "{format:?}: {:?}",
            d.conditions
        );
    }
}
