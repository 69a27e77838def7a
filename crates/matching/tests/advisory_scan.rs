//! Industrial devices in an SBOM matched to the products of real CISA CSAF
//! advisories (the demo set) by name, maker and version statement.

use std::path::Path;

use kensa_intel::{ImportOptions, import_path};
use kensa_matching::{Method, ScanOptions, ScanReport, Scanner};
use kensa_model::{Component, Sbom, SbomFormat};
use kensa_store::Store;

fn device(bom_ref: &str, name: &str, maker: &str, version: &str) -> Component {
    Component {
        bom_ref: bom_ref.into(),
        name: name.into(),
        version: Some(version.into()),
        kind: Some("device".into()),
        supplier: Some(maker.into()),
        ..Default::default()
    }
}

fn scan(components: Vec<Component>) -> ScanReport {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("kensa.db")).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/csaf-demo.jsonl.gz");
    import_path(&mut store, &demo, &ImportOptions::default()).unwrap();
    let sbom = Sbom {
        format: SbomFormat::CyclonedxJson,
        spec_version: "1.6".into(),
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

fn count(r: &ScanReport, bom_ref: &str) -> usize {
    r.findings
        .iter()
        .filter(|f| f.component.bom_ref == bom_ref)
        .count()
}

#[test]
fn devices_match_advisory_products_by_name_maker_and_version() {
    let r = scan(vec![
        // ICSA-19-192-04: "All versions < V3.2.1", three CVEs.
        device("rf615r-old", "SIMATIC RF615R", "Siemens AG", "V3.1"),
        device("rf615r-fixed", "SIMATIC RF615R", "Siemens AG", "V3.2.1"),
        device(
            "rf615r-other-maker",
            "SIMATIC RF615R",
            "Rockwell Automation",
            "V3.1",
        ),
        // ICSA-22-349-21 names "SCALANCE X204RNA (HSR) (6GK5204-0BA00-2MB2)".
        device("x204rna", "SCALANCE X204RNA", "Siemens", "V3.2.6"),
        device(
            "x204rna-by-order-number",
            "6GK5204-0BA00-2MB2",
            "Siemens",
            "V3.2.6",
        ),
        // ICSA-21-336-06 lists exact versions 1.0, 2.0 and 3.0.
        device("apm-listed", "APM Edge", "Hitachi Energy", "2.0"),
        device("apm-unlisted", "APM Edge", "Hitachi Energy", "4.0"),
        // ICSA-22-160-01: "<= 7.97".
        device(
            "ae200a",
            "AE-200A",
            "Mitsubishi Electric Corporation",
            "7.97",
        ),
    ]);
    assert_eq!(count(&r, "rf615r-old"), 3);
    assert_eq!(count(&r, "rf615r-fixed"), 0);
    assert_eq!(count(&r, "rf615r-other-maker"), 0);
    assert!(count(&r, "x204rna") > 0);
    assert_eq!(count(&r, "x204rna"), count(&r, "x204rna-by-order-number"));
    assert!(count(&r, "apm-listed") > 0);
    assert_eq!(count(&r, "apm-unlisted"), 0);
    assert_eq!(count(&r, "ae200a"), 5);
    let f = r
        .findings
        .iter()
        .find(|f| f.component.bom_ref == "rf615r-old")
        .unwrap();
    assert_eq!(f.matched.method, Method::Advisory);
    assert!(
        f.matched
            .matched
            .starts_with("ICSA-19-192-04 SIMATIC RF615R"),
        "{}",
        f.matched.matched
    );
    assert!(
        f.matched
            .evidence
            .contains("V3.1 is within `All versions < V3.2.1`"),
        "{}",
        f.matched.evidence
    );
    assert_eq!(f.sources, ["csaf:ICSA-19-192-04"]);
    assert!(
        r.unresolved
            .iter()
            .any(|u| u.component.bom_ref == "rf615r-other-maker")
    );
}

#[test]
fn an_unversioned_device_lists_its_advisories_apart() {
    let mut c = device("rf615r", "SIMATIC RF615R", "Siemens", "");
    c.version = None;
    let r = scan(vec![c]);
    assert!(r.findings.is_empty());
    assert_eq!(r.unversioned.len(), 1);
    assert_eq!(r.unversioned[0].candidates.len(), 3);
    assert!(r.unversioned[0].products[0].starts_with("ICSA-19-192-04"));
}

/// CVE 5 `affected` entries (here CISA-ADP's enrichment, which names the
/// product by CPE) cover versions NVD's configurations do not.
#[test]
fn cve5_affected_entries_match_through_their_cpes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("kensa.db")).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
    import_path(
        &mut store,
        &demo.join("vulnrichment-demo.cve5.jsonl.gz"),
        &ImportOptions::default(),
    )
    .unwrap();
    let raw = std::fs::read(demo.join("rtu-gateway.cdx.json")).unwrap();
    let sbom = kensa_sbom::parse(&raw, &kensa_sbom::ParseOptions::default()).unwrap();
    let r = Scanner::new(&store)
        .unwrap()
        .scan(&sbom, &ScanOptions::default())
        .unwrap();
    let libmodbus: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.component.name == "libmodbus")
        .map(|f| f.vulnerability.id.as_str())
        .collect();
    // "version 3.1.6 affected" in CISA-ADP's entry.
    assert!(libmodbus.contains(&"CVE-2024-36843"), "{libmodbus:?}");
    // CISA-ADP names `libmodbus:3.1.10` with defaultStatus affected: a
    // statement about 3.1.10, not about every version.
    assert!(!libmodbus.contains(&"CVE-2024-34244"), "{libmodbus:?}");
    let f = r
        .findings
        .iter()
        .find(|f| f.vulnerability.id == "CVE-2024-36843")
        .unwrap();
    assert!(
        f.matched.matched.contains("(CVE 5 affected)"),
        "{}",
        f.matched.matched
    );
    assert!(
        f.sources.iter().any(|s| s.starts_with("cve5-adp:")),
        "{:?}",
        f.sources
    );
}

/// CNAs such as XINJE or Delta Electronics name products without CPEs:
/// those entries match by product name and maker.
#[test]
fn cve5_affected_entries_match_by_name_and_maker() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("kensa.db")).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
    import_path(
        &mut store,
        &demo.join("vulnrichment-demo.cve5.jsonl.gz"),
        &ImportOptions::default(),
    )
    .unwrap();
    let sbom = Sbom {
        format: SbomFormat::CyclonedxJson,
        spec_version: "1.6".into(),
        serial_number: None,
        subject: None,
        components: vec![
            device("plc", "XD5E-30R-E", "XINJE", "3.5.3b"),
            device("plc-newer", "XD5E-30R-E", "XINJE", "3.5.4"),
            device("plc-other-maker", "XD5E-30R-E", "Siemens", "3.5.3b"),
            device("wplsoft", "WPLSoft", "Delta Electronics, Inc.", "2.51"),
        ],
        dependencies: Vec::new(),
        warnings: Vec::new(),
    };
    let r = Scanner::new(&store)
        .unwrap()
        .scan(&sbom, &ScanOptions::default())
        .unwrap();
    let ids = |bom_ref: &str| -> Vec<&str> {
        r.findings
            .iter()
            .filter(|f| f.component.bom_ref == bom_ref)
            .map(|f| f.vulnerability.id.as_str())
            .collect()
    };
    assert_eq!(ids("plc"), ["CVE-2023-5462"]);
    assert!(ids("plc-newer").is_empty());
    assert!(
        ids("plc-other-maker").is_empty(),
        "{:?}",
        r.findings
            .iter()
            .filter(|f| f.component.bom_ref == "plc-other-maker")
            .map(|f| (&f.matched.method, &f.matched.evidence))
            .collect::<Vec<_>>()
    );
    assert_eq!(ids("wplsoft"), ["CVE-2023-5461"]);
    // The CNA's entry and CISA-ADP's CPE for it agree: one finding, both sources.
    let f = r
        .findings
        .iter()
        .find(|f| f.component.bom_ref == "plc")
        .unwrap();
    assert!(
        f.sources.iter().any(|s| s.starts_with("cve5-cna:")),
        "{:?}",
        f.sources
    );
    let by_name: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.matched.method == Method::Advisory)
        .collect();
    assert!(!by_name.is_empty());
    for f in by_name {
        assert!(
            f.matched.matched.ends_with("(affected) (CVE 5 affected)"),
            "{}",
            f.matched.matched
        );
        assert!(
            f.matched
                .evidence
                .contains("the supplier is the advisory's vendor"),
            "{}",
            f.matched.evidence
        );
    }
}
