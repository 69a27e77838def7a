//! The detection evaluation of issue #3, end to end through the binary:
//! import NVD 2002-2016, scan `../shared/eval/matching-dev/dev-sbom.cdx.json`,
//! score with the set's own `score.py`. Skips when ../shared or python3 is absent.

use std::path::Path;
use std::process::Command;

#[test]
fn matching_dev_precision_and_recall() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let eval = shared.join("eval/matching-dev");
    let nvd = shared.join("data/vuln/nvd-api2-2002-2016/nvd-cve-2002-2016.api2.jsonl.gz");
    if !eval.exists() || !nvd.exists() {
        eprintln!("skipped: {} or {} is absent", eval.display(), nvd.display());
        return;
    }
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("skipped: python3 (for score.py) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("eval.db");
    let kensa = env!("CARGO_BIN_EXE_kensa");
    let o = Command::new(kensa)
        .arg("--db")
        .arg(&db)
        .args(["-q", "db", "import"])
        .arg(&nvd)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new(kensa)
        .arg("--db")
        .arg(&db)
        .arg("scan")
        .arg(eval.join("dev-sbom.cdx.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let findings = dir.path().join("findings.json");
    std::fs::write(&findings, &o.stdout).unwrap();
    let o = Command::new("python3")
        .arg(eval.join("score.py"))
        .arg(eval.join("dev-sbom.cdx.json"))
        .arg(eval.join("dev-truth.json"))
        .arg(&findings)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    eprintln!("{out}");
    let last = out.lines().last().unwrap_or_default();
    let value = |key: &str| -> f64 {
        last.split_whitespace()
            .find_map(|kv| kv.strip_prefix(key))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in `{last}`"))
    };
    // Issue #3 asks for >= 0.95 on both; this build scores 1.000 / 1.000, so
    // a drop below 0.99 is a regression worth a look.
    assert!(value("precision=") >= 0.99, "{last}");
    assert!(value("recall=") >= 0.99, "{last}");
}
