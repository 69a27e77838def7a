//! `kensa ot process` as a user runs it: the exact JSON Lines shape, the
//! episode table, evaluation beside the baselines, and clear errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kensa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kensa"))
        .args(args)
        .env_remove("KENSA_DB")
        .output()
        .expect("kensa runs")
}

fn fixture(name: &str) -> String {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../process/tests/fixtures")
        .join(name);
    path.to_str().unwrap().to_string()
}

fn learn(dir: &Path) -> String {
    let model = dir.join("model.json").to_str().unwrap().to_string();
    let o = kensa(&[
        "ot",
        "process",
        "learn",
        &fixture("batadal-normal.csv"),
        "-o",
        &model,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("ATT_FLAG looks like a label column"),
        "{stderr}"
    );
    model
}

#[test]
fn detect_jsonl_has_one_object_per_row_with_exactly_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let model = learn(dir.path());
    let o = kensa(&[
        "ot",
        "process",
        "detect",
        "--model",
        &model,
        &fixture("batadal-attack.csv"),
        "--format",
        "jsonl",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).unwrap();
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 121);
    for (i, row) in rows.iter().enumerate() {
        let keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            [
                "alarm",
                "evidence",
                "explanation",
                "row",
                "score",
                "tags",
                "time"
            ]
        );
        assert_eq!(row["row"], i + 1);
        assert!(row["time"].is_string() && row["score"].is_f64() && row["alarm"].is_boolean());
        assert!(
            row["tags"].is_array() && row["explanation"].is_string() && row["evidence"].is_object()
        );
        let score = row["score"].as_f64().unwrap();
        if row["alarm"].as_bool().unwrap() {
            // Under 1 only while a clear finding holds the alarm up.
            let held = row["evidence"]["checks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["rows_ago"].is_u64());
            assert!(score >= 1.0 || held, "{row}");
        }
        if score >= 2.0 {
            assert_eq!(row["alarm"], true);
        }
    }
    assert_eq!(rows[0]["time"], "07/10/16 18");
    let alarm = rows
        .iter()
        .find(|r| r["alarm"] == true)
        .expect("the attack alarms");
    assert!(!alarm["tags"].as_array().unwrap().is_empty());
    assert!(!alarm["explanation"].as_str().unwrap().is_empty());
}

#[test]
fn detect_table_lists_alarm_episodes() {
    let dir = tempfile::tempdir().unwrap();
    let model = learn(dir.path());
    let o = kensa(&[
        "ot",
        "process",
        "detect",
        "--model",
        &model,
        &fixture("batadal-attack.csv"),
        "--format",
        "table",
    ]);
    assert!(o.status.success());
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(stdout.starts_with("start"), "{stdout}");
    assert!(stdout.contains("alarm episodes"), "{stdout}");
    assert!(
        stdout.lines().nth(1).is_some_and(|l| l.contains("/10/16")),
        "{stdout}"
    );
}

#[test]
fn evaluate_reports_kensa_beside_always_alarm_and_random() {
    let dir = tempfile::tempdir().unwrap();
    let model = learn(dir.path());
    let data = fixture("batadal-attack.csv");
    let o = kensa(&[
        "ot", "process", "evaluate", "--model", &model, &data, "--labels", "ATT_FLAG", "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["kensa"]["attacks"], 1);
    assert_eq!(v["kensa"]["attacks_detected"], 1);
    assert_eq!(v["always_alarm"]["point"]["recall"], 1.0);
    assert!((v["always_alarm"]["batadal"]["s"].as_f64().unwrap() - 0.75).abs() < 1e-9);
    assert!(v["random"]["etapr"]["f1"].is_f64());
    let table = kensa(&[
        "ot", "process", "evaluate", "--model", &model, &data, "--labels", "ATT_FLAG",
    ]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("always-alarm") && text.contains("eTaPR F1") && text.contains("attack  1"),
        "{text}"
    );
}

#[test]
fn errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let model = learn(dir.path());
    let o = kensa(&[
        "ot",
        "process",
        "evaluate",
        "--model",
        &model,
        &fixture("batadal-attack.csv"),
        "--labels",
        "LABEL",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no label column LABEL"));

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "time,a,b\n2024-01-01 00:00,1,2\n2024-01-01 01:00,1,x\n",
    )
    .unwrap();
    let o = kensa(&[
        "ot",
        "process",
        "learn",
        bad.to_str().unwrap(),
        "-o",
        dir.path().join("m.json").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("bad.csv line 3") && stderr.contains("column b"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("m.json").exists(),
        "no model is written on failure"
    );

    let o = kensa(&[
        "ot",
        "process",
        "detect",
        "--model",
        &fixture("batadal-attack.csv"),
        &fixture("batadal-attack.csv"),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("loading model"));
}
