//! Distribution packages against OSV advisories of a distribution, which
//! name source packages per release (`Debian:11/openssl`): the purl's
//! `upstream` qualifier (or, without it, the packaging rules) leads from
//! the binary package to its source, and its `distro` qualifier (or a
//! `+debNNuM` version) keeps only that release's ranges.
//!
//! The advisory is synthetic, shaped like Debian's OSV entries: one
//! vulnerability fixed at different versions in Debian 11 and 12.

use kensa_intel::{ImportOptions, import_bytes};
use kensa_matching::{ScanOptions, ScanReport, Scanner};
use kensa_model::{Component, Sbom, SbomFormat};
use kensa_store::Store;
use kensa_store::team::AuditEntry;

const ADVISORY: &str = r#"{"schema_version":"1.6.0","id":"DEBIAN-TEST-0001","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2099-0001"],"summary":"test advisory","affected":[{"package":{"ecosystem":"Debian:11","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1.1w-0+deb11u1"}]}]},{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u1"}]}]}]}"#;

fn import_advisory(store: &mut Store) {
    import_bytes(
        store,
        "debian-test.json",
        ADVISORY.as_bytes().to_vec(),
        &ImportOptions::default(),
    )
    .unwrap();
}

fn scan(purls: &[&str]) -> ScanReport {
    let mut store = Store::open_in_memory().unwrap();
    import_advisory(&mut store);
    let components = purls
        .iter()
        .map(|p| {
            let purl = kensa_matching::Purl::parse(p).unwrap();
            Component {
                bom_ref: p.to_string(),
                name: purl.name.clone(),
                version: purl.version.clone(),
                purl: Some(p.to_string()),
                ..Default::default()
            }
        })
        .collect();
    let sbom = Sbom {
        format: SbomFormat::CyclonedxJson,
        spec_version: "1.5".into(),
        serial_number: None,
        subject: None,
        components,
        dependencies: Vec::new(),
        warnings: Vec::new(),
    };
    Scanner::new(&store)
        .unwrap()
        .scan(&sbom, &ScanOptions::default())
        .unwrap()
}

fn evidence<'r>(r: &'r ScanReport, purl: &str) -> Option<&'r str> {
    r.findings
        .iter()
        .find(|f| f.component.bom_ref == purl)
        .map(|f| f.matched.evidence.as_str())
}

#[test]
fn the_upstream_qualifier_names_the_source_and_distro_the_release() {
    let affected =
        "pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u5?arch=amd64&upstream=openssl&distro=debian-11";
    // Fixed in Debian 11; Debian 12's range (fixed at 3.0.11) must not
    // count for a Debian 11 package.
    let fixed_in_11 =
        "pkg:deb/debian/libssl1.1@1.1.1w-0%2Bdeb11u1?upstream=openssl&distro=bullseye";
    let r = scan(&[affected, fixed_in_11]);
    let why = evidence(&r, affected).expect("the Debian 11 package is affected");
    assert!(why.contains("Debian/openssl"), "{why}");
    assert!(why.contains("source package of libssl1.1"), "{why}");
    assert!(why.contains("release 11"), "{why}");
    assert!(
        evidence(&r, fixed_in_11).is_none(),
        "fixed in its release: {:?}",
        evidence(&r, fixed_in_11)
    );
}

#[test]
fn without_qualifiers_the_version_and_packaging_rules_decide() {
    // No `distro`: `+deb11u1` says Debian 11. No `upstream`: `libssl1.1`
    // has no advisory of its own, its source package `openssl` has.
    let affected = "pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u5";
    let fixed = "pkg:deb/debian/openssl@1.1.1w-0%2Bdeb11u1";
    let r = scan(&[affected, fixed]);
    let why = evidence(&r, affected).expect("affected through its source package");
    assert!(why.contains("source package of libssl1.1"), "{why}");
    assert!(evidence(&r, fixed).is_none());
}

#[test]
fn without_a_release_every_release_counts() {
    // Nothing tells the release: a version below any release's fix is
    // reported, as before.
    let r = scan(&["pkg:deb/debian/openssl@1.1.1w-1"]);
    assert_eq!(r.findings.len(), 1);
}

/// A stored product's binary package is rescanned when an advisory for its
/// source package arrives, though neither its purl nor its name says which
/// source it is built from.
#[test]
fn a_rescan_follows_advisories_for_the_source_package() {
    use kensa_matching::portfolio::{add_version, rescan, version_report};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("k.db")).unwrap();
    // Something imported first, so the portfolio's cursor predates the advisory.
    import_bytes(
        &mut store,
        "kev.json",
        br#"{"title":"t","catalogVersion":"1","dateReleased":"2024-01-01T00:00:00Z","count":0,"vulnerabilities":[]}"#.to_vec(),
        &ImportOptions::default(),
    )
    .unwrap();
    let purl = "pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u5";
    let raw = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{{"type":"library","bom-ref":"ssl","name":"libssl1.1","version":"1.1.1n-0+deb11u5","purl":"{purl}"}}]}}"#
    );
    let sbom = kensa_sbom::parse(raw.as_bytes(), &kensa_sbom::ParseOptions::default()).unwrap();
    let opts = ScanOptions::default();
    let version = kensa_store::NewVersion {
        product: "gateway",
        version: "1.0",
        origin: "gateway.cdx.json",
        format: "cyclonedx-json",
        sbom: raw.as_bytes(),
        team: None,
    };
    add_version(
        &mut store,
        &version,
        &sbom,
        false,
        &opts,
        AuditEntry::default(),
    )
    .unwrap();
    let findings = |store: &Store| {
        version_report(store, "gateway", None)
            .unwrap()
            .unwrap()
            .1
            .findings
    };
    assert!(findings(&store).is_empty());
    import_advisory(&mut store);
    let report = rescan(&mut store, &opts).unwrap();
    assert_eq!(report.rescanned, 1);
    let now = findings(&store);
    assert_eq!(now.len(), 1, "{now:?}");
    assert_eq!(
        now[0].vulnerability.id, "CVE-2099-0001",
        "filed under its CVE alias"
    );
}
