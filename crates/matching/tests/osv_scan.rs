//! A real store built from the OSV and NVD fixtures, scanned with an SBOM
//! that mixes a Python package (matched through its purl against OSV
//! ranges), a Debian binary package of OpenSSL (matched through its
//! upstream name and version against NVD), and a look-alike that must stay
//! clean.

use std::path::Path;

use kensa_intel::{ImportOptions, import_path};
use kensa_matching::{Method, ScanOptions, ScanReport, Scanner};
use kensa_model::{Component, Sbom, SbomFormat};
use kensa_store::Store;

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../intel/tests/fixtures")
}

fn component(name: &str, version: &str, purl: &str) -> Component {
    Component {
        bom_ref: name.into(),
        name: name.into(),
        version: Some(version.into()),
        purl: Some(purl.into()),
        ..Default::default()
    }
}

fn scan(store: &Store, components: Vec<Component>) -> ScanReport {
    let sbom = Sbom {
        format: SbomFormat::CyclonedxJson,
        spec_version: "1.5".into(),
        serial_number: None,
        subject: None,
        components,
        dependencies: Vec::new(),
        warnings: Vec::new(),
    };
    Scanner::new(store)
        .unwrap()
        .scan(&sbom, &ScanOptions::default())
        .unwrap()
}

fn ids(report: &ScanReport, bom_ref: &str) -> Vec<String> {
    let mut v: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.component.bom_ref == bom_ref)
        .map(|f| f.vulnerability.id.clone())
        .collect();
    v.sort();
    v
}

#[test]
fn purls_match_osv_ranges_and_distro_packages_their_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("kensa.db")).unwrap();
    let opts = ImportOptions::default();
    import_path(&mut store, &fixtures().join("import/osv-dir"), &opts).unwrap();
    import_path(&mut store, &fixtures().join("nvd/sample.api2.jsonl"), &opts).unwrap();

    let report = scan(
        &store,
        vec![
            component("pyOpenSSL", "0.13", "pkg:pypi/pyopenssl@0.13"),
            component(
                "libssl1.0.0",
                "1.0.1f-1ubuntu2",
                "pkg:deb/ubuntu/libssl1.0.0@1.0.1f-1ubuntu2",
            ),
            component(
                "requests-toolbelt",
                "0.6.0",
                "pkg:pypi/requests-toolbelt@0.6.0",
            ),
            component("pyOpenSSL-fixed", "17.5.0", "pkg:pypi/pyOpenSSL@17.5.0"),
        ],
    );

    // pyOpenSSL 0.13: all three PYSEC advisories, under their CVE ids, and
    // nothing of OpenSSL.
    assert_eq!(
        ids(&report, "pyOpenSSL"),
        ["CVE-2013-4314", "CVE-2018-1000807", "CVE-2018-1000808"]
    );
    for f in report
        .findings
        .iter()
        .filter(|f| f.component.bom_ref == "pyOpenSSL")
    {
        assert_eq!(f.matched.method, Method::Purl);
        assert_eq!(f.matched.confidence, 0.97);
        assert!(
            f.vulnerability
                .aliases
                .iter()
                .any(|a| a.starts_with("PYSEC-")),
            "{:?}",
            f.vulnerability
        );
        assert!(
            f.matched
                .evidence
                .starts_with("purl pkg:pypi/pyopenssl@0.13 names the OSV package PyPI/pyopenssl; PyPI/pyopenssl: "),
            "{}",
            f.matched.evidence
        );
    }
    let f = report
        .findings
        .iter()
        .find(|f| f.vulnerability.id == "CVE-2013-4314")
        .unwrap();
    assert_eq!(
        f.matched.matched,
        "PyPI/pyopenssl: introduced 0, fixed 0.13.1"
    );

    // The Debian binary package of OpenSSL 1.0.1f: Heartbleed through
    // openssl:openssl, with the upstream version.
    let libssl = ids(&report, "libssl1.0.0");
    assert!(libssl.contains(&"CVE-2014-0160".to_string()), "{libssl:?}");
    let heartbleed = report
        .findings
        .iter()
        .find(|f| f.component.bom_ref == "libssl1.0.0" && f.vulnerability.id == "CVE-2014-0160")
        .unwrap();
    assert!(
        heartbleed.matched.matched.contains("openssl:openssl"),
        "{}",
        heartbleed.matched.matched
    );

    // Look-alikes and fixed versions stay clean.
    assert!(ids(&report, "requests-toolbelt").is_empty());
    assert!(ids(&report, "pyOpenSSL-fixed").is_empty());
}

#[test]
fn an_osv_record_aliasing_a_cpe_finding_adds_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("kensa.db")).unwrap();
    let opts = ImportOptions::default();
    import_path(&mut store, &fixtures().join("import/osv-dir"), &opts).unwrap();
    // An NVD record for CVE-2018-1000807 naming pyopenssl by CPE.
    let nvd = dir.path().join("nvd.jsonl");
    std::fs::write(
        &nvd,
        r#"{"id":"CVE-2018-1000807","sourceIdentifier":"cve@mitre.org","vulnStatus":"Analyzed","published":"2018-10-08T15:29:00.000","lastModified":"2019-10-03T00:03:26.223","descriptions":[{"lang":"en","value":"pyopenssl use after free"}],"configurations":[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:a:pyopenssl:pyopenssl:*:*:*:*:*:*:*:*","versionEndExcluding":"17.5.0","matchCriteriaId":"00000000-0000-0000-0000-000000000001"}]}]}]}
"#,
    )
    .unwrap();
    import_path(&mut store, &nvd, &opts).unwrap();
    let report = scan(
        &store,
        vec![component("pyOpenSSL", "0.13", "pkg:pypi/pyopenssl@0.13")],
    );
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.vulnerability.id == "CVE-2018-1000807")
        .collect();
    assert_eq!(found.len(), 1, "{:#?}", report.findings);
    let f = found[0];
    // Found by CPE first; the OSV record only adds its source and id.
    assert_ne!(f.matched.method, Method::Purl);
    assert!(f.sources.len() >= 2, "{:?}", f.sources);
    assert!(
        f.vulnerability
            .aliases
            .contains(&"PYSEC-2018-23".to_string())
    );
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.vulnerability.id.starts_with("PYSEC-"))
    );
}
