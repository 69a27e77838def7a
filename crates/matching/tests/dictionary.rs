//! The product dictionary a scan resolves names with: stored in the
//! database and rebuilt after imports, or, for a read-only database whose
//! stored dictionary is out of date, loaded into memory. Both must give the
//! same findings; and a scan after an import must see the new products.

use std::path::Path;

use kensa_intel::{ImportOptions, import_path};
use kensa_matching::{ScanOptions, ScanReport, Scanner};
use kensa_store::Store;

fn demo(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../demo")
        .join(name)
}

fn scan(store: &Store) -> ScanReport {
    let bytes = std::fs::read(demo("rtu-gateway.cdx.json")).unwrap();
    let sbom = kensa_sbom::parse(&bytes, &kensa_sbom::ParseOptions::default()).unwrap();
    Scanner::new(store)
        .unwrap()
        .scan(&sbom, &ScanOptions::default())
        .unwrap()
}

fn findings(r: &ScanReport) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.component.bom_ref.clone(),
                f.vulnerability.id.clone(),
                f.matched.evidence.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn stored_and_in_memory_dictionaries_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let mut store = Store::open(&path).unwrap();
    import_path(
        &mut store,
        &demo("nvd-demo.api2.jsonl.gz"),
        &ImportOptions::default(),
    )
    .unwrap();
    // A read-only connection cannot rebuild the stale dictionary: it
    // loads the pairs into memory instead.
    let reader = store.reader().unwrap().unwrap();
    assert!(!reader.product_names_fresh().unwrap());
    let in_memory = scan(&reader);
    assert!(!reader.product_names_fresh().unwrap(), "nothing written");
    let stored = scan(&store);
    assert!(store.product_names_fresh().unwrap());
    assert!(!findings(&stored).is_empty());
    assert_eq!(findings(&in_memory), findings(&stored));
}

#[test]
fn a_scan_after_an_import_sees_its_products() {
    let mut store = Store::open_in_memory().unwrap();
    import_path(
        &mut store,
        &demo("kev-demo.json"),
        &ImportOptions::default(),
    )
    .unwrap();
    let before = scan(&store);
    assert!(before.findings.is_empty());
    assert!(store.product_names_fresh().unwrap());
    import_path(
        &mut store,
        &demo("nvd-demo.api2.jsonl.gz"),
        &ImportOptions::default(),
    )
    .unwrap();
    assert!(!store.product_names_fresh().unwrap());
    let after = scan(&store);
    assert!(
        after.findings.len() > 5,
        "{} findings",
        after.findings.len()
    );
}
