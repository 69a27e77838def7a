//! Issue #18, "never a silent clean result": the states in which Kensa
//! used to report nothing to do while the truth was unknown, and the races
//! and faults around the database. Each test reproduces a defect the issue
//! found (it fails on the build before the fix) and holds the guarantee
//! docs/RELIABILITY.md states.

mod support;

use std::path::Path;
use std::time::Duration;

use support::*;

fn sql(db: &Path, statements: &str) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(statements).unwrap();
}

fn product_show(db: &Path, name: &str) -> std::process::Output {
    run(kensa_db(db).args(["product", "show", name, "--format", "json"]))
}

// ---- 1. A product stored but never matched ---------------------------

#[test]
fn a_manifest_with_a_bad_line_stores_nothing_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let sbom = std::fs::read(demo("rtu-gateway.cdx.json")).unwrap();
    std::fs::write(dir.path().join("trunc.json"), &sbom[..1444]).unwrap();
    let manifest = dir.path().join("m.tsv");
    std::fs::write(
        &manifest,
        format!(
            "gw\t1.0\t{}\ngw2\t1.0\ttrunc.json\n",
            demo("rtu-gateway.cdx.json").display()
        ),
    )
    .unwrap();
    let o = fails(
        kensa_db(&db)
            .args(["product", "add", "--manifest"])
            .arg(&manifest),
    );
    let err = stderr(&o);
    assert!(err.contains("m.tsv:2"), "names the manifest line: {err}");
    assert!(err.contains("trunc.json"), "names the SBOM: {err}");
    assert!(err.contains("nothing"), "says nothing was stored: {err}");
    // All or nothing: line 1's product is not left behind unmatched.
    let list = json(&ok(
        kensa_db(&db).args(["product", "list", "--format", "json"])
    ));
    assert_eq!(list, serde_json::json!([]), "nothing stored");
    fails(kensa_db(&db).args(["product", "show", "gw"]));
}

#[test]
fn a_match_interrupted_after_the_store_is_completed_by_the_next_reader() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    ok(kensa_db(&db)
        .args(["product", "add", "gw", "--version", "1.0", "--sbom"])
        .arg(demo("rtu-gateway.cdx.json")));
    // What a kill -9 between storing the SBOM and committing its match
    // leaves: components stored, never matched.
    sql(
        &db,
        "DELETE FROM component_findings;
         UPDATE components SET resolution = NULL, outcome = NULL, detail = NULL;",
    );
    let o = product_show(&db, "gw");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("interrupted"), "{}", stderr(&o));
    let scanned = scanned_ids(&db);
    assert!(scanned.len() > 100, "the demo gateway has findings");
    assert_eq!(finding_ids(&json(&o)), scanned);

    // The queue completes them too.
    sql(
        &db,
        "DELETE FROM component_findings;
         UPDATE components SET resolution = NULL, outcome = NULL, detail = NULL;",
    );
    let q = json(&ok(kensa_db(&db).args(["queue", "--format", "json"])));
    assert_eq!(q.as_array().unwrap().len(), scanned.len());
}

#[test]
fn a_killed_product_add_leaves_nothing_or_complete_findings() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let scanned = scanned_ids(&db);
    // Kill at a spread of moments: before, during and after the store and
    // the match. Whatever the moment, the product is either absent or
    // shown with all its findings.
    for delay_ms in [0u64, 5, 10, 20, 40, 80, 160] {
        let name = format!("gw{delay_ms}");
        let mut child = kensa_db(&db)
            .args(["-q", "product", "add", &name, "--version", "1.0", "--sbom"])
            .arg(demo("rtu-gateway.cdx.json"))
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let o = product_show(&db, &name);
        if o.status.success() {
            assert_eq!(
                finding_ids(&json(&o)),
                scanned,
                "killed after {delay_ms} ms"
            );
        } else {
            assert!(stderr(&o).contains("no product"), "{}", stderr(&o));
        }
    }
}

// ---- 2. A database with no vulnerability data ------------------------

#[test]
fn an_empty_database_file_is_an_error_and_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    std::fs::write(&db, b"").unwrap();
    let o = fails(kensa_db(&db).arg("scan").arg(demo("rtu-gateway.cdx.json")));
    assert!(stderr(&o).contains("empty"), "{}", stderr(&o));
    assert_eq!(
        std::fs::metadata(&db).unwrap().len(),
        0,
        "no schema written"
    );
}

#[test]
fn scanning_or_queueing_without_vulnerability_records_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    // KEV alone: a schema, some data, nothing a finding can come from (as
    // after a first NVD import killed before its commit).
    ok(kensa_db(&db)
        .args(["-q", "db", "import"])
        .arg(demo("kev-demo.json")));
    let o = fails(kensa_db(&db).arg("scan").arg(demo("rtu-gateway.cdx.json")));
    let err = stderr(&o);
    assert!(err.contains("no vulnerability records"), "{err}");
    assert!(err.contains("k.db"), "names the database: {err}");
    ok(kensa_db(&db)
        .args(["-q", "product", "add", "gw", "--version", "1", "--sbom"])
        .arg(demo("rtu-gateway.cdx.json")));
    let o = fails(kensa_db(&db).arg("queue"));
    assert!(
        stderr(&o).contains("no vulnerability records"),
        "{}",
        stderr(&o)
    );
    let o = fails(kensa_db(&db).args(["assess", "CVE-2014-0160", "--answers", "/dev/null"]));
    assert!(
        stderr(&o).contains("no vulnerability records"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_scan_states_what_it_was_matched_against_and_warns_when_it_is_old() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let o = ok(kensa_db(&db)
        .arg("scan")
        .arg(demo("rtu-gateway.cdx.json"))
        .args(["--format", "json"]));
    let report = json(&o);
    let d = &report["database"];
    assert_eq!(d["records"], 598, "{d}");
    assert_eq!(d["csaf_advisories"], 12, "{d}");
    assert_eq!(d["kev_entries"], 4, "{d}");
    let nvd = d["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "nvd")
        .expect("nvd listed");
    assert_eq!(nvd["records"], 217);
    assert_eq!(nvd["newest_modified"], "2024-07-24T16:47:57.690Z");
    assert_eq!(d["newest_modified"], "2024-10-23T18:03:12.574Z");
    // The demo data is from 2024: old.
    assert_eq!(d["stale"], true, "{d}");
    assert!(stderr(&o).contains("days old"), "{}", stderr(&o));
    // Existing fields are unchanged.
    assert!(report["findings"].is_array() && report["summary"].is_object());

    let o = ok(kensa_db(&db).arg("scan").arg(demo("rtu-gateway.cdx.json")));
    let first = stdout(&o).lines().next().unwrap_or("").to_string();
    assert!(
        first.starts_with("matched against") && first.contains("598 records"),
        "{first}"
    );

    // A record modified today makes the data current.
    let now = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string();
    let fresh = format!(
        r#"{{"id":"CVE-2099-0001","sourceIdentifier":"test","published":"{now}","lastModified":"{now}","vulnStatus":"Analyzed","descriptions":[{{"lang":"en","value":"test"}}]}}"#
    );
    let file = dir.path().join("fresh.jsonl");
    std::fs::write(&file, fresh).unwrap();
    ok(kensa_db(&db).args(["-q", "db", "import"]).arg(&file));
    let o = ok(kensa_db(&db)
        .arg("scan")
        .arg(demo("rtu-gateway.cdx.json"))
        .args(["--format", "json"]));
    assert_eq!(json(&o)["database"]["stale"], false);
    assert_eq!(json(&o)["database"]["age_days"], 0);
    assert!(!stderr(&o).contains("days old"), "{}", stderr(&o));
}

// ---- 3. A stale queue ------------------------------------------------

#[test]
fn every_view_of_findings_says_when_they_predate_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    ok(kensa_db(&db)
        .args(["-q", "db", "import"])
        .arg(demo("nvd-demo.api2.jsonl.gz")));
    ok(kensa_db(&db)
        .args(["-q", "product", "add", "gw", "--version", "1", "--sbom"])
        .arg(demo("rtu-gateway.cdx.json")));
    ok(kensa_db(&db)
        .args(["-q", "db", "import", "--no-rescan"])
        .arg(demo("vulnrichment-demo.cve5.jsonl.gz")));
    for args in [
        &["queue"][..],
        &["queue", "--format", "json"],
        &["product", "show", "gw"],
        &["product", "show", "gw", "--format", "json"],
    ] {
        let o = ok(kensa_db(&db).args(args));
        assert!(
            stderr(&o).contains("predate") && stderr(&o).contains("kensa portfolio rescan"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    ok(kensa_db(&db).args(["-q", "portfolio", "rescan"]));
    let o = ok(kensa_db(&db).arg("queue"));
    assert!(!stderr(&o).contains("predate"), "{}", stderr(&o));
}

// ---- 5. Another application's database -------------------------------

#[test]
fn a_foreign_sqlite_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("other.db");
    sql(
        &db,
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
         INSERT INTO customers (name) VALUES ('ACME');",
    );
    let before = std::fs::read(&db).unwrap();
    for args in [&["db", "stats"][..], &["db", "import"]] {
        let mut cmd = kensa_db(&db);
        cmd.args(args);
        if args[1] == "import" {
            cmd.arg(demo("kev-demo.json"));
        }
        let o = fails(&mut cmd);
        let err = stderr(&o);
        assert!(err.contains("not a Kensa database"), "{err}");
        assert!(err.contains("customers"), "says what it holds: {err}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), before, "not a byte changed");
    // A file that is not SQLite at all names itself too.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 8192]).unwrap();
    let o = fails(kensa_db(&junk).args(["db", "stats"]));
    assert!(stderr(&o).contains("junk.db"), "{}", stderr(&o));
}

// ---- 6. A corrupted database ------------------------------------------

/// Overwrites 4 KiB at the start of the `records` table's root page.
fn corrupt_records(db: &Path) {
    let (page_size, root): (i64, i64) = {
        let conn = rusqlite::Connection::open(db).unwrap();
        (
            conn.pragma_query_value(None, "page_size", |r| r.get(0))
                .unwrap(),
            conn.query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'records'",
                [],
                |r| r.get(0),
            )
            .unwrap(),
        )
    };
    let mut bytes = std::fs::read(db).unwrap();
    let at = ((root - 1) * page_size) as usize;
    bytes[at..at + 4096].fill(0xa5);
    std::fs::write(db, bytes).unwrap();
}

#[test]
fn a_corrupted_database_is_found_before_an_import_writes_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    corrupt_records(&db);
    let before = std::fs::read(&db).unwrap();
    let o = fails(
        kensa_db(&db)
            .args(["db", "import"])
            .arg(demo("kev-demo.json")),
    );
    let err = stderr(&o);
    assert!(err.contains("damaged") && err.contains("k.db"), "{err}");
    assert!(!err.contains("--keep-going"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing written");

    let o = fails(kensa_db(&db).args(["db", "check"]));
    assert!(stdout(&o).contains("damaged") || stderr(&o).contains("damaged"));
    let o = fails(kensa_db(&db).args(["db", "check", "--format", "json"]));
    let report = json(&o);
    assert_eq!(report["ok"], false);
    assert!(!report["problems"].as_array().unwrap().is_empty());

    let o = fails(kensa_db(&db).arg("scan").arg(demo("rtu-gateway.cdx.json")));
    assert!(
        stderr(&o).contains("k.db"),
        "scan names the database: {}",
        stderr(&o)
    );
}

#[test]
fn db_check_passes_a_sound_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let o = ok(kensa_db(&db).args(["db", "check", "--format", "json"]));
    assert_eq!(json(&o)["ok"], true);
    let o = ok(kensa_db(&db).args(["db", "check"]));
    assert!(stdout(&o).contains("no problems"), "{}", stdout(&o));
}

#[test]
fn a_database_left_with_a_hot_journal_is_checked_when_next_opened() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    // A process died mid-write and left its journal (here one SQLite
    // cannot use, so the damage stays): the next open checks the file.
    corrupt_records(&db);
    std::fs::write(dir.path().join("k.db-journal"), vec![0xffu8; 512]).unwrap();
    let o = fails(kensa_db(&db).args(["db", "stats"]));
    assert!(stderr(&o).contains("damaged"), "{}", stderr(&o));
}

// ---- 9. Two commands creating the same new database ------------------

#[test]
fn concurrent_first_imports_into_a_new_database_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..6 {
        let db = dir.path().join(format!("new{round}.db"));
        let children: Vec<_> = [demo("kev-demo.json"), demo("nvd-demo.api2.jsonl.gz")]
            .iter()
            .map(|f| {
                kensa_db(&db)
                    .args(["-q", "db", "import"])
                    .arg(f)
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "round {round}: {}", stderr(&o));
        }
        let stats = json(&ok(kensa_db(&db).args(["db", "stats", "--format", "json"])));
        assert_eq!(stats["imports"], 2, "round {round}: both imports stored");
        assert_eq!(stats["kev"], 4);
        assert_eq!(stats["records_by_kind"]["nvd"], 217);
    }
}

// ---- 10. A full disk ----------------------------------------------------

/// Runs `script` as root in a private mount namespace (`unshare -rm`), or
/// `None` where that is not allowed.
fn in_mount_namespace(script: &str) -> Option<std::process::Output> {
    let probe = std::process::Command::new("unshare")
        .args(["-rm", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: cannot create a mount namespace (unshare -rm) to mount a small tmpfs");
        return None;
    }
    Some(
        std::process::Command::new("unshare")
            .args(["-rm", "sh", "-c", script])
            .env_remove("KENSA_DB")
            .output()
            .unwrap(),
    )
}

#[test]
fn a_full_disk_rolls_back_and_releases_the_space_before_exiting() {
    // Enough data that SQLite spills pages into the file before the
    // commit (its cache holds 64 MiB): the case where a failed import used
    // to stay grown, with its journal, until the next open.
    let Some(big) = shared_vulnrichment() else {
        return;
    };
    let mnt = tempfile::tempdir().unwrap();
    let script = format!(
        r#"set -e
mount -t tmpfs -o size=40m tmpfs {mnt}
K={bin}
$K --db {mnt}/k.db -q db import {kev}
before=$(stat -c %s {mnt}/k.db)
set +e
$K --db {mnt}/k.db -q db import {big} 2> {mnt}/err
echo "rc=$?"
set -e
echo "before=$before after=$(stat -c %s {mnt}/k.db)"
if [ -e {mnt}/k.db-journal ]; then echo journal=left; else echo journal=gone; fi
cat {mnt}/err
"#,
        mnt = mnt.path().display(),
        bin = bin().display(),
        kev = demo("kev-demo.json").display(),
        big = big.display(),
    );
    let Some(o) = in_mount_namespace(&script) else {
        return;
    };
    let out = stdout(&o);
    assert!(out.contains("rc=1"), "{out}{}", stderr(&o));
    assert!(out.contains("journal=gone"), "{out}");
    let sizes = out
        .lines()
        .find(|l| l.starts_with("before="))
        .expect("sizes");
    let (before, after) = sizes.split_once(' ').unwrap();
    assert_eq!(
        before.trim_start_matches("before="),
        after.trim_start_matches("after="),
        "the file is back to its size: {out}"
    );
    assert!(out.contains("disk is full"), "{out}");
    assert!(out.contains("k.db"), "names the database: {out}");
    assert!(
        out.contains(&format!("filesystem {}", mnt.path().display())),
        "names its filesystem: {out}"
    );
    assert!(!out.contains("--keep-going"), "{out}");
}

fn shared_vulnrichment() -> Option<std::path::PathBuf> {
    let p = repo("../shared/data/vuln/cisa-vulnrichment/vulnrichment-cve5.jsonl.gz");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}
