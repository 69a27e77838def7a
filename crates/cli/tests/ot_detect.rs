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
    assert!(text.contains("\"schema\": \"kensa.ot-baseline/v1\""));
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
    assert!(alerts.iter().any(|a| a["rule"] == "new_talker"));
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
        stderr(&o).contains("kensa.ot-baseline/v1"),
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
