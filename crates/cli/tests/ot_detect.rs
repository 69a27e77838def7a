//! `kensa ot inventory`, `kensa ot baseline learn` and `kensa ot detect` as
//! a user runs them (captures from ../shared/data/ot; skipped when absent).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kensa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kensa"));
    c.env_remove("KENSA_DB");
    c
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn ot_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ot");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: shared OT data not found at {}", dir.display());
        None
    }
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("kensa runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn cyclonedx_inventory_is_scanned_like_any_sbom() {
    let Some(d) = ot_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bom = dir.path().join("plant.cdx.json");
    let o = run(kensa()
        .args(["ot", "inventory", "--format", "cyclonedx"])
        .arg(d.join("gymgit-s7-pcaps/tia_s300_goOnline.pcapng")));
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(&bom, &o.stdout).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cpe = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|c| c["components"][0]["cpe"].as_str())
        .expect("the S7-300 firmware has a CPE");
    assert!(cpe.starts_with("cpe:2.3:o:siemens:simatic_s7-300_cpu_firmware:3.2.7"));

    let db = dir.path().join("k.db");
    let o = run(kensa()
        .arg("--db")
        .arg(&db)
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz")));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(kensa()
        .arg("--db")
        .arg(&db)
        .arg("scan")
        .arg(&bom)
        .args(["--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Two hosts and the PLC's firmware.
    assert_eq!(report["summary"]["components"], 3, "{report}");
}

#[test]
fn learn_then_detect_writes_alert_lines() {
    let Some(d) = ot_data() else { return };
    let g = d.join("gymgit-s7-pcaps");
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("baseline.json");
    let o = run(kensa()
        .args(["ot", "baseline", "learn", "-o"])
        .arg(&b)
        .arg(g.join("snap7_s300_readVar.pcapng"))
        .arg(g.join("snap7_s300_setupCommunication.pcapng")));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&b).unwrap();
    assert!(text.contains("\"schema\": \"kensa.ot-baseline/v2\""));
    let o = run(kensa()
        .args(["-q", "ot", "detect", "--format", "jsonl", "--baseline"])
        .arg(&b)
        .arg(g.join("step7_s300_stop.pcapng")));
    assert!(o.status.success(), "{}", stderr(&o));
    let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let stop = alerts
        .iter()
        .find(|a| a["severity"] == "critical")
        .expect("a critical alert");
    for field in [
        "frame",
        "ts",
        "severity",
        "rule",
        "src",
        "dst",
        "protocol",
        "explanation",
        "evidence",
    ] {
        assert!(!stop[field].is_null(), "{field} in {stop}");
    }
    assert_eq!(stop["rule"], "new_operation");
    assert_eq!(stop["protocol"], "s7comm");
    assert_eq!(
        stop["explanation"],
        "134.249.62.199 sent S7comm 'PLC Stop' (stop/run) to 134.249.61.163, which it never did during learning."
    );
    // With the network learned, the engineering station is a new host
    // reaching the PLC (the v1 rule new_talker gives way to new_host).
    let new_host = alerts
        .iter()
        .find(|a| a["rule"] == "new_host")
        .expect("new_host");
    assert_eq!(new_host["src"], "134.249.62.199");
    assert_eq!(new_host["severity"], "high");
}

#[test]
fn a_bad_baseline_is_refused_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("b.json");
    let capture = dir.path().join("none.pcap");
    std::fs::write(
        &b,
        "{\"schema\": \"kensa.ot-baseline/v1\", \"captures\": 7}",
    )
    .unwrap();
    let o = run(kensa()
        .args(["ot", "detect", "--baseline"])
        .arg(&b)
        .arg(&capture));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("b.json") && err.contains("captures") && err.contains("line 1"),
        "{err}"
    );
    std::fs::write(&b, "{\"schema\": \"other/v2\"}").unwrap();
    let o = run(kensa()
        .args(["ot", "detect", "--baseline"])
        .arg(&b)
        .arg(&capture));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("kensa.ot-baseline/v2"),
        "{}",
        stderr(&o)
    );
    let o = run(kensa()
        .args(["ot", "detect", "--baseline"])
        .arg(dir.path().join("missing.json"))
        .arg(&capture));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing.json"), "{}", stderr(&o));
}

/// With a database, an alert names the asset it concerns (from the
/// identity the baseline's captures revealed), the known vulnerabilities of
/// its firmware with their triage priority, and which is reachable through
/// the alert's protocol.
#[test]
fn alerts_lead_to_the_vulnerable_asset_with_a_database() {
    let Some(d) = ot_data() else { return };
    let g = d.join("gymgit-s7-pcaps");
    let dir = tempfile::tempdir().unwrap();
    let (b, db) = (dir.path().join("b.json"), dir.path().join("k.db"));
    let o = run(kensa()
        .args(["-q", "ot", "baseline", "learn", "-o"])
        .arg(&b)
        .arg(g.join("tia_s300_goOnline.pcapng")));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(kensa()
        .arg("--db")
        .arg(&db)
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz")));
    assert!(o.status.success(), "{}", stderr(&o));
    let detect = |with_db: bool| {
        let mut c = kensa();
        if with_db {
            c.arg("--db").arg(&db);
        }
        let o = run(c
            .args(["-q", "ot", "detect", "--baseline"])
            .arg(&b)
            .arg(g.join("tia_s300_downloadOb1.pcapng")));
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    assert!(detect(false).iter().all(|a| a.get("asset").is_none()));
    let alerts = detect(true);
    let download = alerts
        .iter()
        .find(|a| a["evidence"]["name"] == "Request Download")
        .expect("the download is raised");
    let asset = &download["asset"];
    assert_eq!(asset["ip"], "134.217.61.211");
    assert_eq!(asset["vendor"], "Siemens");
    assert_eq!(asset["product"], "CPU 315-2 PN/DP");
    assert_eq!(asset["firmware"], "3.2.7");
    let cve = &asset["vulnerabilities"][0];
    assert_eq!(cve["id"], "CVE-2015-2177");
    assert!(cve["priority"].as_u64().is_some_and(|p| p > 0), "{cve}");
    assert_eq!(cve["attack_vector"], "network");
    // Its description names TCP port 102, the port of the alert's S7comm.
    assert_eq!(cve["reachable_via"], "S7comm", "{cve}");
    assert_eq!(asset["reachable_via_alert"], true);
    let summary = asset["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("134.217.61.211, a Siemens CPU 315-2 PN/DP with firmware 3.2.7, which has CVE-2015-2177 (priority ")
            && summary.ends_with(", remote, via S7comm)"),
        "{summary}"
    );
}
