//! The rules extractor against the hand-labelled development set
//! (`../shared/eval/logic-dev`), scored by the set's own `score_logic.py`.
//! Targets (issue #5): recall ≥ 0.85, precision ≥ 0.75, structure ≥ 0.90.
//!
//! Set `KENSA_LOGIC_OUT=DIR` to keep the extracted documents for reading
//! (`python3 score_logic.py gold.jsonl DIR -v` shows what was missed).

use std::path::{Path, PathBuf};
use std::process::Command;

fn dev_set() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/logic-dev")
}

/// `recall=… precision=… f1=… structure=… cves=…` → the named numbers.
fn metric(line: &str, name: &str) -> f64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in `{line}`"))
}

#[test]
fn dev_set_meets_the_targets() {
    let dev = dev_set();
    if !dev.join("gold.jsonl").exists() {
        eprintln!(
            "SKIP: {} not found (shared evaluation data absent)",
            dev.display()
        );
        return;
    }
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("SKIP: python3 not available to run score_logic.py");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = std::env::var_os("KENSA_LOGIC_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&out).unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(dev.join("records")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let records =
            kensa_intel::parse_record(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc = kensa_logic::extract::rules(&records);
        let name = format!("{}.json", doc.vulnerability);
        std::fs::write(out.join(name), serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        n += 1;
    }
    assert_eq!(n, 32, "the development set has 32 records");
    let score = Command::new("python3")
        .arg(dev.join("score_logic.py"))
        .arg(dev.join("gold.jsonl"))
        .arg(&out)
        .arg("-v")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&score.stdout);
    assert!(
        score.status.success(),
        "score_logic.py failed: {stdout}{}",
        String::from_utf8_lossy(&score.stderr)
    );
    eprintln!("{stdout}");
    let last = stdout.lines().last().unwrap_or_default();
    let (recall, precision, structure) = (
        metric(last, "recall"),
        metric(last, "precision"),
        metric(last, "structure"),
    );
    assert!(recall >= 0.85, "recall {recall} < 0.85: {last}");
    assert!(precision >= 0.75, "precision {precision} < 0.75: {last}");
    assert!(structure >= 0.90, "structure {structure} < 0.90: {last}");
}
