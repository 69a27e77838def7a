//! The store on a real SQLite file: migrations, transactions, replacement
//! rules, and the derived tables that follow each record.

use std::collections::BTreeMap;

use kensa_model::{
    CsafDocument, CsafProduct, CsafVulnInfo, EpssScore, KevEntry, LangText, Source, SourceKind,
    VulnRecord,
};
use kensa_store::{IntelSink, Outcome, PreparedVuln, Store, StoreError};

fn record(id: &str, modified: &str, text: &str) -> VulnRecord {
    let mut r = VulnRecord::new(id, Source::new(SourceKind::Nvd, "nvd@nist.gov"));
    r.last_modified = Some(modified.to_string());
    r.descriptions.push(LangText {
        lang: "en".into(),
        value: text.into(),
    });
    r
}

fn put(store: &mut Store, rec: VulnRecord) -> Outcome {
    let mut import = store.import("test", "test").unwrap();
    let outcome = import.put_vuln(PreparedVuln::new(rec).unwrap()).unwrap();
    import.commit().unwrap();
    outcome
}

#[test]
fn new_file_gets_the_current_schema_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/kensa.db");
    let mut store = Store::open(&path).unwrap();
    put(
        &mut store,
        record("CVE-2020-0001", "2020-01-01T00:00:00.000Z", "alpha"),
    );
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.stats().unwrap().vulnerabilities, 1);
    assert_eq!(
        store.stats().unwrap().schema_version,
        Store::schema_version()
    );
}

#[test]
fn database_from_a_newer_kensa_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kensa.db");
    drop(Store::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", Store::schema_version() + 1)
        .unwrap();
    drop(conn);
    match Store::open(&path) {
        Err(StoreError::TooNew { found, known, .. }) => {
            assert_eq!(found, known + 1);
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a newer schema must be refused"),
    }
}

#[test]
fn dropped_import_rolls_back() {
    let mut store = Store::open_in_memory().unwrap();
    {
        let mut import = store.import("test", "test").unwrap();
        import
            .put_vuln(
                PreparedVuln::new(record("CVE-2020-0002", "2020-01-01T00:00:00.000Z", "x"))
                    .unwrap(),
            )
            .unwrap();
        // No commit.
    }
    let stats = store.stats().unwrap();
    assert_eq!(stats.vulnerabilities, 0);
    assert_eq!(stats.imports, 0);
}

#[test]
fn replacement_rules_follow_modification_time() {
    let mut store = Store::open_in_memory().unwrap();
    let id = "CVE-2020-0003";
    assert_eq!(
        put(&mut store, record(id, "2020-01-01T00:00:00.000Z", "first")),
        Outcome::Inserted
    );
    assert_eq!(
        put(&mut store, record(id, "2020-01-01T00:00:00.000Z", "first")),
        Outcome::Unchanged
    );
    assert_eq!(
        put(&mut store, record(id, "2019-01-01T00:00:00.000Z", "older")),
        Outcome::Stale
    );
    assert_eq!(
        put(&mut store, record(id, "2021-01-01T00:00:00.000Z", "second")),
        Outcome::Updated
    );
    let v = store.vuln(id).unwrap().unwrap();
    assert_eq!(v.records[0].record.descriptions[0].value, "second");
    assert_eq!(v.last_modified.as_deref(), Some("2021-01-01T00:00:00.000Z"));
    assert!(store.search("first", false, 5).unwrap().is_empty());
    assert_eq!(store.search("second", false, 5).unwrap()[0].id, id);
}

#[test]
fn a_second_source_adds_a_record_without_touching_the_first() {
    let mut store = Store::open_in_memory().unwrap();
    let id = "CVE-2020-0004";
    put(
        &mut store,
        record(id, "2020-01-01T00:00:00.000Z", "from nvd"),
    );
    let mut adp = record(id, "2019-01-01T00:00:00.000Z", "from cisa");
    adp.source = Source::new(SourceKind::Cve5Adp, "CISA-ADP");
    adp.aliases.push("GHSA-xxxx-yyyy-zzzz".into());
    assert_eq!(put(&mut store, adp), Outcome::Inserted);
    let v = store.vuln(id).unwrap().unwrap();
    let sources: Vec<&str> = v.records.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(sources, ["cve5-adp:CISA-ADP", "nvd:nvd@nist.gov"]);
    assert_eq!(store.resolve("GHSA-xxxx-yyyy-zzzz").unwrap(), vec![id]);
    assert_eq!(v.published, None);
}

#[test]
fn meta_values_persist() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.meta("sync.nvd").unwrap(), None);
    store.set_meta("sync.nvd", "2024-01-01").unwrap();
    store.set_meta("sync.nvd", "2024-02-01").unwrap();
    assert_eq!(
        store.meta("sync.nvd").unwrap().as_deref(),
        Some("2024-02-01")
    );
}

fn advisory(date: &str, product_name: &str, status: &str) -> CsafDocument {
    let mut v = VulnRecord::new(
        "CVE-2020-0005",
        Source::new(SourceKind::Csaf, "ICSA-20-001-01"),
    );
    v.last_modified = Some(date.to_string());
    let mut product_status = BTreeMap::new();
    product_status.insert(status.to_string(), vec!["CSAFPID-0001".to_string()]);
    v.csaf = Some(CsafVulnInfo {
        product_status,
        ..Default::default()
    });
    CsafDocument {
        tracking_id: "ICSA-20-001-01".into(),
        publisher: "CISA".into(),
        publisher_namespace: None,
        title: "Example PLC".into(),
        category: "csaf_security_advisory".into(),
        version: None,
        initial_release_date: None,
        current_release_date: Some(date.to_string()),
        lang: None,
        products: vec![CsafProduct {
            product_id: "CSAFPID-0001".into(),
            name: product_name.into(),
            ..Default::default()
        }],
        relationships: vec![],
        vulnerabilities: vec![v],
    }
}

#[test]
fn newer_csaf_revision_replaces_products_and_status() {
    let mut store = Store::open_in_memory().unwrap();
    let mut import = store.import("a", "csaf").unwrap();
    let first = advisory("2020-01-01T00:00:00.000Z", "PLC v1", "known_affected");
    assert_eq!(import.put_csaf(&first).unwrap(), Outcome::Inserted);
    assert_eq!(import.put_csaf(&first).unwrap(), Outcome::Unchanged);
    let second = advisory("2020-06-01T00:00:00.000Z", "PLC v1 (all)", "fixed");
    assert_eq!(import.put_csaf(&second).unwrap(), Outcome::Updated);
    assert_eq!(import.put_csaf(&first).unwrap(), Outcome::Stale);
    import.commit().unwrap();
    let v = store.vuln("CVE-2020-0005").unwrap().unwrap();
    assert_eq!(v.advisories.len(), 1);
    let statuses: Vec<(&String, &Vec<String>)> = v.advisories[0].product_status.iter().collect();
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].0, "fixed");
    assert_eq!(statuses[0].1, &vec!["PLC v1 (all)".to_string()]);
    assert_eq!(store.stats().unwrap().csaf_products, 1);
}

#[test]
fn kev_and_epss_outcomes() {
    let mut store = Store::open_in_memory().unwrap();
    let kev = KevEntry {
        cve_id: "CVE-2014-0160".into(),
        vendor_project: "OpenSSL".into(),
        product: "OpenSSL".into(),
        vulnerability_name: "OpenSSL Information Disclosure Vulnerability".into(),
        date_added: "2022-05-04".into(),
        short_description: "x".into(),
        required_action: "patch".into(),
        due_date: "2022-05-25".into(),
        known_ransomware_campaign_use: "Unknown".into(),
        notes: String::new(),
        cwes: vec!["CWE-125".into()],
    };
    let score = |date: &str, epss: f64| EpssScore {
        cve_id: "CVE-2014-0160".into(),
        epss,
        percentile: 0.99,
        model_version: Some("v2025.03.14".into()),
        score_date: Some(date.into()),
    };
    let mut import = store.import("feeds", "test").unwrap();
    assert_eq!(import.put_kev(&kev).unwrap(), Outcome::Inserted);
    assert_eq!(import.put_kev(&kev).unwrap(), Outcome::Unchanged);
    let mut changed = kev.clone();
    changed.known_ransomware_campaign_use = "Known".into();
    assert_eq!(import.put_kev(&changed).unwrap(), Outcome::Updated);
    assert_eq!(
        import.put_epss(&score("2025-11-20", 0.9)).unwrap(),
        Outcome::Inserted
    );
    assert_eq!(
        import.put_epss(&score("2025-11-19", 0.5)).unwrap(),
        Outcome::Stale
    );
    assert_eq!(
        import.put_epss(&score("2025-11-21", 0.8)).unwrap(),
        Outcome::Updated
    );
    import.commit().unwrap();
    assert_eq!(
        store
            .kev("CVE-2014-0160")
            .unwrap()
            .unwrap()
            .known_ransomware_campaign_use,
        "Known"
    );
    assert_eq!(store.epss("CVE-2014-0160").unwrap().unwrap().epss, 0.8);
}

#[test]
fn records_by_package_matches_ecosystem_exactly_and_name_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("kensa.db")).unwrap();
    let mut rec = VulnRecord::new("PYSEC-2018-23", Source::new(SourceKind::Osv, "osv"));
    rec.osv_affected.push(kensa_model::OsvAffected {
        ecosystem: Some("PyPI".into()),
        name: Some("pyOpenSSL".into()),
        ..Default::default()
    });
    put(&mut store, rec);
    let mut deb = VulnRecord::new("DSA-2896-1", Source::new(SourceKind::Osv, "osv"));
    deb.osv_affected.push(kensa_model::OsvAffected {
        ecosystem: Some("Debian:7".into()),
        name: Some("openssl".into()),
        ..Default::default()
    });
    put(&mut store, deb);
    let ids = |eco: &str, name: &str| -> Vec<String> {
        store
            .records_by_package(eco, name)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(ids("PyPI", "pyopenssl"), ["PYSEC-2018-23"]);
    assert_eq!(ids("PyPI", "pyOpenSSL"), ["PYSEC-2018-23"]);
    assert!(ids("npm", "pyopenssl").is_empty());
    assert!(ids("PyPI", "openssl").is_empty());
    assert_eq!(ids("Debian", "openssl"), ["DSA-2896-1"]);
    assert!(ids("Deb", "openssl").is_empty());
}

fn naming(id: &str, criteria: &str) -> VulnRecord {
    let mut r = record(id, "2020-01-01T00:00:00.000Z", "x");
    r.configurations = vec![kensa_model::Configuration {
        nodes: vec![kensa_model::Node {
            cpe_match: vec![kensa_model::CpeMatch {
                vulnerable: true,
                criteria: criteria.into(),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }];
    r
}

/// The product dictionary follows imports: stale after one, rebuilt once
/// by the next refresh, looked up by normalised name.
#[test]
fn product_names_are_rebuilt_after_imports() {
    let mut store = Store::open_in_memory().unwrap();
    put(
        &mut store,
        naming(
            "CVE-2020-0001",
            "cpe:2.3:a:nodejs:node\\.js:1.0:*:*:*:*:*:*:*",
        ),
    );
    assert!(!store.product_names_fresh().unwrap());
    assert!(store.refresh_product_names().unwrap());
    assert!(!store.refresh_product_names().unwrap(), "already fresh");
    let named = store.products_named("node_js").unwrap();
    assert_eq!(named.len(), 1);
    assert_eq!(
        (
            named[0].vendor.as_str(),
            named[0].product.as_str(),
            named[0].records
        ),
        ("nodejs", "node\\.js", 1)
    );
    put(
        &mut store,
        naming(
            "CVE-2020-0002",
            "cpe:2.3:a:joyent:node\\.js:2.0:*:*:*:*:*:*:*",
        ),
    );
    put(
        &mut store,
        naming(
            "CVE-2020-0003",
            "cpe:2.3:a:joyent:node\\.js:3.0:*:*:*:*:*:*:*",
        ),
    );
    assert!(!store.product_names_fresh().unwrap());
    assert!(store.refresh_product_names().unwrap());
    let named: Vec<(String, u64)> = store
        .products_named("node_js")
        .unwrap()
        .into_iter()
        .map(|p| (p.vendor, p.records))
        .collect();
    assert_eq!(named, [("joyent".into(), 2), ("nodejs".into(), 1)]);
    assert!(store.products_named("nodejs").unwrap().is_empty());
}
