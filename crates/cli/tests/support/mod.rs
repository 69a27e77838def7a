//! Running `kensa` as a user does, for the reliability tests. Setting
//! `KENSA_TEST_BIN` runs another build (an older one, to see a test fail
//! where the defect it guards against is still present).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> PathBuf {
    std::env::var_os("KENSA_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kensa")))
}

pub fn kensa() -> Command {
    let mut c = Command::new(bin());
    c.env_remove("KENSA_DB");
    c
}

/// `kensa --db DB`.
pub fn kensa_db(db: &Path) -> Command {
    let mut c = kensa();
    c.arg("--db").arg(db);
    c
}

pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

pub fn demo(rel: &str) -> PathBuf {
    repo("demo").join(rel)
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("kensa runs")
}

pub fn ok(cmd: &mut Command) -> Output {
    let o = run(cmd);
    assert!(
        o.status.success(),
        "expected success: {}{}",
        stdout(&o),
        stderr(&o)
    );
    o
}

/// Runs a command that must fail (exit status 1, not a crash).
pub fn fails(cmd: &mut Command) -> Output {
    let o = run(cmd);
    assert_eq!(
        o.status.code(),
        Some(1),
        "expected exit status 1: {}{}",
        stdout(&o),
        stderr(&o)
    );
    o
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// A database holding the demo data (NVD, CVE 5, KEV, CSAF).
pub fn demo_db(dir: &Path) -> PathBuf {
    let db = dir.join("k.db");
    ok(kensa_db(&db).args(["-q", "db", "import"]).args([
        demo("nvd-demo.api2.jsonl.gz"),
        demo("vulnrichment-demo.cve5.jsonl.gz"),
        demo("kev-demo.json"),
        demo("csaf-demo.jsonl.gz"),
    ]));
    db
}

/// `component vulnerability` of every finding of a scan-shaped report.
pub fn finding_ids(report: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| format!("{} {}", f["component"]["bom_ref"], f["vulnerability"]["id"]))
        .collect();
    ids.sort();
    ids
}

/// The demo gateway's findings from an ad-hoc scan.
pub fn scanned_ids(db: &Path) -> Vec<String> {
    let o = ok(kensa_db(db)
        .arg("scan")
        .arg(demo("rtu-gateway.cdx.json"))
        .args(["--format", "json"]));
    finding_ids(&json(&o))
}
