//! Devices named as their maker's catalogue names them, with versions as
//! makers write them (`V1.1.1`), matched against the real NVD records of
//! industrial vendors (../shared/data/vuln/ics-subset; skipped when absent).

use std::path::Path;

use kensa_intel::{ImportOptions, import_path};
use kensa_matching::{ScanOptions, Scanner};
use kensa_store::Store;

#[test]
fn catalogue_names_and_v_versions_reach_the_firmware_family() {
    let nvd = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/vuln/ics-subset/nvd-api2-ics-vendors.jsonl.gz");
    if !nvd.exists() {
        eprintln!("skipped: {} is absent", nvd.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("k.db")).unwrap();
    import_path(&mut store, &nvd, &ImportOptions::default()).unwrap();
    let device = |bom_ref: &str, name: &str, version: &str| {
        serde_json::json!({
            "type": "firmware", "bom-ref": bom_ref, "name": name, "version": version,
            "supplier": {"name": "Siemens AG"},
        })
    };
    let doc = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [
            device("old", "SIMATIC S7-1500 CPU 1516-3 PN/DP", "V1.1.1"),
            device("new", "SIMATIC S7-1500 CPU 1516-3 PN/DP", "V2.9.2 (Build 1234)"),
            device("other", "SIMATIC S7-300 CPU 315-2 DP", "V1.1.1"),
        ],
    });
    let sbom = kensa_sbom::parse(
        doc.to_string().as_bytes(),
        &kensa_sbom::ParseOptions::default(),
    )
    .unwrap();
    let report = Scanner::new(&store)
        .unwrap()
        .scan(&sbom, &ScanOptions::default())
        .unwrap();
    let of = |bom_ref: &str| {
        report
            .findings
            .iter()
            .filter(|f| f.component.bom_ref == bom_ref)
            .collect::<Vec<_>>()
    };
    // CVE-2014-2246: S7-1500 CPU firmware through 1.1.2.
    let old = of("old");
    let hit = old
        .iter()
        .find(|f| f.vulnerability.id == "CVE-2014-2246")
        .unwrap_or_else(|| panic!("V1.1.1 is within `<= 1.1.2`: {old:#?}"));
    assert!(
        hit.matched
            .evidence
            .contains("family `simatic_s7-1500_cpu_firmware`"),
        "{}",
        hit.matched.evidence
    );
    assert!(
        report
            .unresolved
            .iter()
            .all(|u| u.component.bom_ref != "new"),
        "the newer device resolves too"
    );
    assert!(
        of("new")
            .iter()
            .all(|f| f.vulnerability.id != "CVE-2014-2246"),
        "V2.9.2 is past the fix"
    );
    // An S7-300 is never an S7-1500.
    assert!(
        of("other")
            .iter()
            .all(|f| !f.matched.matched.contains("s7-1500")),
        "{:#?}",
        of("other")
    );
}
