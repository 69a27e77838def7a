//! Issue #18 at the store: another application's SQLite file is refused,
//! damage is found, concurrent creation of one database is serialised,
//! and the data summary a scan reports is kept by every import.

use std::path::Path;

use kensa_model::{EpssScore, KevEntry, Source, SourceKind, VulnRecord};
use kensa_store::{CheckDepth, IntelSink, PreparedVuln, Store, StoreError};

fn record(id: &str, kind: SourceKind, modified: &str) -> VulnRecord {
    let mut r = VulnRecord::new(id, Source::new(kind, "test"));
    r.last_modified = Some(modified.to_string());
    r
}

#[test]
fn a_foreign_sqlite_database_is_refused_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);")
        .unwrap();
    drop(conn);
    let before = std::fs::read(&path).unwrap();
    match Store::open(&path) {
        Err(e @ StoreError::Foreign { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("not a Kensa database") && msg.contains("notes"),
                "{msg}"
            );
            assert!(msg.contains(&path.display().to_string()), "{msg}");
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a foreign database was adopted"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // Another application's id, even with no tables, is not Kensa's.
    let path = dir.path().join("app.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "application_id", 0x1234).unwrap();
    drop(conn);
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::Foreign { .. })
    ));
}

#[test]
fn new_and_older_kensa_databases_are_recognised() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    drop(Store::open(&path).unwrap());
    let app_id = |p: &Path| -> i32 {
        rusqlite::Connection::open(p)
            .unwrap()
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap()
    };
    assert_eq!(app_id(&path), 0x4b4e_5341, "marked as Kensa's");
    // A database from before the mark (schema 6, no application id) is
    // migrated, not refused.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA application_id = 0; PRAGMA user_version = 6; DROP TABLE source_summary;
         DROP TABLE ot_alerts; DROP TABLE cra_submissions; DROP TABLE cra_cases;
         DROP TABLE product_market; DROP TABLE version_inputs; DROP TABLE leases; DROP INDEX jobs_by_state;
         DROP TABLE webhook_deliveries; DROP TABLE webhook_events; DROP TABLE webhooks;
         ALTER TABLE jobs DROP COLUMN payload; ALTER TABLE jobs DROP COLUMN input;
         ALTER TABLE jobs DROP COLUMN attempts; ALTER TABLE jobs DROP COLUMN max_attempts;
         ALTER TABLE jobs DROP COLUMN run_after; ALTER TABLE jobs DROP COLUMN owner;
         ALTER TABLE jobs DROP COLUMN lease_until;",
    )
    .unwrap();
    drop(conn);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.data_summary().unwrap().records, 0);
    assert_eq!(app_id(&path), 0x4b4e_5341);
}

#[test]
fn concurrent_opens_of_a_new_database_both_succeed() {
    for round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let barrier = std::sync::Barrier::new(4);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        Store::open(&path).map(|_| ())
                    })
                })
                .collect();
            for h in handles {
                h.join()
                    .unwrap()
                    .unwrap_or_else(|e| panic!("round {round}: {e}"));
            }
        });
    }
}

#[test]
fn damage_is_found_by_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let mut store = Store::open(&path).unwrap();
    let mut import = store.import("test", "test").unwrap();
    for i in 0..2000 {
        let mut r = record(&format!("CVE-2020-{i:05}"), SourceKind::Nvd, "2020-01-01");
        r.descriptions.push(kensa_model::LangText {
            lang: "en".into(),
            value: "x".repeat(300),
        });
        import.put_vuln(PreparedVuln::new(r).unwrap()).unwrap();
    }
    import.commit().unwrap();
    assert!(store.check(CheckDepth::Quick).unwrap().is_empty());
    assert!(store.check(CheckDepth::Full).unwrap().is_empty());
    drop(store);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2 / 16384 * 16384;
    bytes[mid..mid + 4096].fill(0x5a);
    std::fs::write(&path, bytes).unwrap();
    let store = Store::open(&path).unwrap();
    let problems = store.check(CheckDepth::Quick).unwrap();
    assert!(!problems.is_empty());
    match store.ensure_sound() {
        Err(e @ StoreError::Damaged { .. }) => {
            assert!(e.to_string().contains(&path.display().to_string()), "{e}");
        }
        other => panic!("expected Damaged, got {other:?}", other = other.err()),
    }
}

#[test]
fn the_data_summary_follows_imports() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("k.db")).unwrap();
    let empty = store.data_summary().unwrap();
    assert!(!empty.has_vulnerability_data());
    assert_eq!(empty.sources, vec![]);

    let mut import = store.import("a", "test").unwrap();
    for (id, kind, modified) in [
        ("CVE-2020-0001", SourceKind::Nvd, "2024-01-01T00:00:00.000Z"),
        ("CVE-2020-0002", SourceKind::Nvd, "2024-03-01T00:00:00.000Z"),
        (
            "CVE-2020-0001",
            SourceKind::Cve5Cna,
            "2024-02-01T00:00:00.000Z",
        ),
    ] {
        import
            .put_vuln(PreparedVuln::new(record(id, kind, modified)).unwrap())
            .unwrap();
    }
    import
        .put_kev(&KevEntry {
            cve_id: "CVE-2020-0001".into(),
            vendor_project: "v".into(),
            product: "p".into(),
            vulnerability_name: "n".into(),
            date_added: "2024-05-01".into(),
            short_description: String::new(),
            required_action: String::new(),
            due_date: "2024-05-22".into(),
            known_ransomware_campaign_use: "Unknown".into(),
            notes: String::new(),
            cwes: Vec::new(),
        })
        .unwrap();
    import
        .put_epss(&EpssScore {
            cve_id: "CVE-2020-0001".into(),
            epss: 0.5,
            percentile: 0.9,
            model_version: None,
            score_date: Some("2024-06-01".into()),
        })
        .unwrap();
    import.commit().unwrap();
    // An older copy changes nothing, the newest stays.
    let mut import = store.import("b", "test").unwrap();
    import
        .put_vuln(
            PreparedVuln::new(record(
                "CVE-2020-0003",
                SourceKind::Nvd,
                "2023-01-01T00:00:00.000Z",
            ))
            .unwrap(),
        )
        .unwrap();
    import.commit().unwrap();

    let s = store.data_summary().unwrap();
    assert!(s.has_vulnerability_data());
    assert_eq!(s.records, 4);
    assert_eq!(s.kev_entries, 1);
    assert_eq!(s.epss_scores, 1);
    assert_eq!(
        s.newest_modified.as_deref(),
        Some("2024-03-01T00:00:00.000Z")
    );
    let by: Vec<(&str, u64, Option<&str>)> = s
        .sources
        .iter()
        .map(|x| (x.source.as_str(), x.records, x.newest_modified.as_deref()))
        .collect();
    assert_eq!(
        by,
        vec![
            ("cve5-cna", 1, Some("2024-02-01T00:00:00.000Z")),
            ("nvd", 3, Some("2024-03-01T00:00:00.000Z")),
            ("epss", 1, Some("2024-06-01")),
            ("kev", 1, Some("2024-05-01")),
        ]
    );
    assert!(s.last_import.is_some());
    let now = chrono::DateTime::parse_from_rfc3339("2024-03-11T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(s.age_days(now), Some(10));
}

#[test]
fn database_errors_are_described_with_the_database_named() {
    use rusqlite::ffi;
    let db = Path::new("/data/team.db");
    let sql = |code, extended| {
        StoreError::Sql(rusqlite::Error::SqliteFailure(
            ffi::Error {
                code,
                extended_code: extended,
            },
            None,
        ))
    };
    let ro = sql(rusqlite::ErrorCode::ReadOnly, ffi::SQLITE_READONLY);
    assert!(ro.is_read_only() && ro.is_database_fault());
    let text = ro.describe(db);
    assert!(
        text.contains("/data/team.db") && text.contains("read-only"),
        "{text}"
    );
    let busy = sql(rusqlite::ErrorCode::DatabaseBusy, ffi::SQLITE_BUSY).describe(db);
    assert!(
        busy.contains("/data/team.db") && busy.contains("locked"),
        "{busy}"
    );
    let full = sql(rusqlite::ErrorCode::DiskFull, ffi::SQLITE_FULL).describe(db);
    assert!(
        full.contains("/data/team.db") && full.contains("disk is full"),
        "{full}"
    );
    let other = sql(rusqlite::ErrorCode::ConstraintViolation, 19).describe(db);
    assert!(other.starts_with("database /data/team.db: "), "{other}");
}

#[test]
fn a_file_changed_since_it_was_sealed_is_checked_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let mut store = Store::open(&path).unwrap();
    let mut import = store.import("test", "test").unwrap();
    for i in 0..2000 {
        let mut r = record(&format!("CVE-2020-{i:05}"), SourceKind::Nvd, "2020-01-01");
        r.descriptions.push(kensa_model::LangText {
            lang: "en".into(),
            value: "x".repeat(300),
        });
        import.put_vuln(PreparedVuln::new(r).unwrap()).unwrap();
    }
    import.commit().unwrap();
    store.ensure_sound_since_last_check().unwrap();
    assert!(
        dir.path().join("k.db-checked").exists(),
        "a sound check is noted"
    );
    // Untouched since: no second check is needed, and none fails.
    store.ensure_sound_since_last_check().unwrap();
    drop(store);
    // Damaged behind Kensa's back: the stamp no longer matches, so the
    // next check runs and finds it.
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2 / 16384 * 16384;
    bytes[mid..mid + 4096].fill(0x5a);
    std::fs::write(&path, bytes).unwrap();
    let store = Store::open(&path).unwrap();
    assert!(matches!(
        store.ensure_sound_since_last_check(),
        Err(StoreError::Damaged { .. })
    ));
}
