//! The portfolio's incremental rescan must end where a full scan of the
//! same SBOM against the same database ends, while scanning only the
//! components an import can concern. Built from the demo data: the NVD
//! records arrive in two batches, then one record is revised so that it
//! no longer covers the product.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use kensa_intel::{ImportOptions, import_bytes};
use kensa_matching::portfolio::{add_version, rescan, version_report};
use kensa_matching::{ScanOptions, ScanReport, Scanner};
use kensa_model::Sbom;
use kensa_store::team::AuditEntry;
use kensa_store::{NewVersion, Store};

fn demo(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../demo")
        .join(name)
}

fn nvd_lines() -> Vec<serde_json::Value> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(demo("nvd-demo.api2.jsonl.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn import(store: &mut Store, origin: &str, records: &[serde_json::Value]) {
    let body: String = records.iter().map(|r| format!("{r}\n")).collect();
    import_bytes(store, origin, body.into_bytes(), &ImportOptions::default()).unwrap();
}

/// (bom-ref, vulnerability, matched criterion) of every finding.
fn keys(r: &ScanReport) -> BTreeSet<(String, String, String)> {
    r.findings
        .iter()
        .map(|f| {
            (
                f.component.bom_ref.clone(),
                f.vulnerability.id.clone(),
                f.matched.matched.clone(),
            )
        })
        .collect()
}

fn version<'a>(raw: &'a [u8], version: &'a str) -> NewVersion<'a> {
    NewVersion {
        product: "rtu-gateway",
        version,
        origin: "demo/rtu-gateway.cdx.json",
        format: "cyclonedx-json",
        sbom: raw,
        team: None,
    }
}

fn full_scan(store: &Store, sbom: &Sbom) -> ScanReport {
    Scanner::new(store)
        .unwrap()
        .scan(sbom, &ScanOptions::default())
        .unwrap()
}

fn stored(store: &Store) -> ScanReport {
    version_report(store, "rtu-gateway", None)
        .unwrap()
        .unwrap()
        .1
}

#[test]
fn incremental_rescan_equals_a_full_scan() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("kensa.db")).unwrap();
    let raw = std::fs::read(demo("rtu-gateway.cdx.json")).unwrap();
    let sbom = kensa_sbom::parse(&raw, &kensa_sbom::ParseOptions::default()).unwrap();
    let opts = ScanOptions::default();
    let mut records = nvd_lines();
    let (first, second) = records.split_at(records.len() / 2);
    import(&mut store, "first-half", first);

    let added = add_version(
        &mut store,
        &version(&raw, "2.8.1"),
        &sbom,
        false,
        &opts,
        AuditEntry::default(),
    )
    .unwrap();
    assert_eq!(added.new_components, sbom.components.len());
    assert_eq!(keys(&stored(&store)), keys(&full_scan(&store, &sbom)));
    let before = keys(&stored(&store)).len();

    import(&mut store, "second-half", second);
    let report = rescan(&mut store, &opts).unwrap();
    let after = stored(&store);
    assert_eq!(keys(&after), keys(&full_scan(&store, &sbom)));
    assert!(
        after.findings.len() > before,
        "the second half adds findings"
    );
    assert_eq!(
        report.new_findings.len(),
        after.findings.len() - before,
        "every new finding is reported as new"
    );
    assert!(
        report
            .new_findings
            .iter()
            .all(|c| c.products == ["rtu-gateway 2.8.1"])
    );

    // Nothing imported since: nothing to rescan.
    assert_eq!(rescan(&mut store, &opts).unwrap().rescanned, 0);

    // A revised record that no longer names any product: its finding goes,
    // and only the components it concerned are scanned again.
    let victim = after.findings[0].vulnerability.id.clone();
    let revised = records
        .iter_mut()
        .find(|r| r["id"] == victim.as_str())
        .unwrap();
    revised["lastModified"] = "2030-01-01T00:00:00.000".into();
    revised["configurations"] = serde_json::json!([]);
    let revised = revised.clone();
    import(&mut store, "revision", &[revised]);
    let report = rescan(&mut store, &opts).unwrap();
    assert!(report.rescanned >= 1 && report.rescanned < sbom.components.len());
    assert!(
        report
            .resolved_findings
            .iter()
            .any(|c| c.vulnerability == victim),
        "{:?}",
        report.resolved_findings
    );
    let now = stored(&store);
    assert_eq!(keys(&now), keys(&full_scan(&store, &sbom)));
    assert!(!now.findings.iter().any(|f| f.vulnerability.id == victim));
}

#[test]
fn products_share_components_and_versions_are_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("kensa.db")).unwrap();
    import(&mut store, "all", &nvd_lines());
    let raw = std::fs::read(demo("rtu-gateway.cdx.json")).unwrap();
    let sbom = kensa_sbom::parse(&raw, &kensa_sbom::ParseOptions::default()).unwrap();
    let opts = ScanOptions::default();
    add_version(
        &mut store,
        &version(&raw, "2.8.1"),
        &sbom,
        false,
        &opts,
        AuditEntry::default(),
    )
    .unwrap();
    // The next version drops one component: a new version, same components.
    let mut next = sbom.clone();
    let dropped = next.components.pop().unwrap();
    let added = add_version(
        &mut store,
        &version(&raw, "2.9.0"),
        &next,
        false,
        &opts,
        AuditEntry::default(),
    )
    .unwrap();
    assert_eq!(added.new_components, 0, "components are stored once");
    assert_eq!(added.rescan.rescanned, 0);
    let old = version_report(&store, "rtu-gateway", Some("2.8.1"))
        .unwrap()
        .unwrap()
        .1;
    let new = version_report(&store, "rtu-gateway", None)
        .unwrap()
        .unwrap();
    assert_eq!(new.0, "2.9.0", "the newest version by default");
    assert_eq!(new.1.summary.components, sbom.components.len() - 1);
    assert!(
        !new.1
            .findings
            .iter()
            .any(|f| f.component.bom_ref == dropped.bom_ref)
    );
    assert_eq!(keys(&old), keys(&full_scan(&store, &sbom)));
    // Adding the same version again is refused unless replacing.
    let again = add_version(
        &mut store,
        &version(&raw, "2.9.0"),
        &next,
        false,
        &opts,
        AuditEntry::default(),
    );
    assert!(
        again
            .unwrap_err()
            .to_string()
            .contains("already has version 2.9.0")
    );
    assert_eq!(
        store
            .remove_product("rtu-gateway", Some("2.8.1"), AuditEntry::default())
            .unwrap(),
        1
    );
    assert_eq!(
        store.component_count().unwrap() as usize,
        next.components.len(),
        "the dropped component goes with the last version that had it"
    );
}

/// Issue #18: versions stored but not yet matched (a `product add` killed
/// between its store and its match) are pending; completing them gives the
/// full scan's findings without moving the cursor past imports a rescan
/// has yet to see.
#[test]
fn pending_components_are_completed_without_moving_the_cursor() {
    use kensa_matching::portfolio::{complete_pending, store_versions};
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("kensa.db")).unwrap();
    let raw = std::fs::read(demo("rtu-gateway.cdx.json")).unwrap();
    let sbom = kensa_sbom::parse(&raw, &Default::default()).unwrap();
    let lines = nvd_lines();
    import(&mut store, "first", &lines[..100]);
    add_version(
        &mut store,
        &version(&raw, "1"),
        &sbom,
        false,
        &ScanOptions::default(),
        AuditEntry::default(),
    )
    .unwrap();
    let cursor = store.portfolio_cursor().unwrap();
    import(&mut store, "second", &lines[100..]);

    // Stored both at once, matched not at all: pending.
    let (one, two) = (version(&raw, "2"), version(&raw, "3"));
    let fresh = store_versions(
        &mut store,
        &[
            (&one, &sbom, AuditEntry::default()),
            (&two, &sbom, AuditEntry::default()),
        ],
        false,
    )
    .unwrap();
    assert_eq!(fresh, vec![0, 0], "the same components as version 1");
    assert_eq!(store.unscanned_component_count().unwrap(), 0);
    // A new component never matched is what pending means.
    let mut extra = sbom.clone();
    extra.components.truncate(1);
    extra.components[0].version = Some("1.0.1e".into());
    extra.components[0].bom_ref = "other-openssl".into();
    extra.components[0].cpes = vec!["cpe:2.3:a:openssl:openssl:1.0.1e:*:*:*:*:*:*:*".into()];
    let four = version(&raw, "4");
    store_versions(&mut store, &[(&four, &extra, AuditEntry::default())], false).unwrap();
    assert_eq!(store.unscanned_component_count().unwrap(), 1);

    let report = complete_pending(&mut store, &ScanOptions::default())
        .unwrap()
        .expect("something was pending");
    assert_eq!(report.rescanned, 1);
    assert_eq!(store.unscanned_component_count().unwrap(), 0);
    assert_eq!(
        store.portfolio_cursor().unwrap(),
        cursor,
        "the cursor stays"
    );
    let shown = version_report(&store, "rtu-gateway", Some("4"))
        .unwrap()
        .unwrap()
        .1;
    assert_eq!(keys(&shown), keys(&full_scan(&store, &extra)));
    assert!(
        complete_pending(&mut store, &ScanOptions::default())
            .unwrap()
            .is_none()
    );

    // A duplicate within one batch stores nothing at all.
    let (five, again) = (version(&raw, "5"), version(&raw, "5"));
    assert!(
        store_versions(
            &mut store,
            &[
                (&five, &sbom, AuditEntry::default()),
                (&again, &sbom, AuditEntry::default())
            ],
            false
        )
        .is_err()
    );
    assert!(
        version_report(&store, "rtu-gateway", Some("5"))
            .unwrap()
            .is_none()
    );
}
