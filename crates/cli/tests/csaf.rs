//! `kensa csaf validate` as a user runs it: the exit status, the text
//! report and the JSON shape the issue fixes.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{json, kensa, run, stdout};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/csaf")
        .join(name)
}

fn tests_failed(file: &Value) -> Vec<&str> {
    file["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["test"].as_str().unwrap())
        .collect()
}

#[test]
fn a_valid_document_exits_0_with_the_json_shape_of_the_issue() {
    let o = run(kensa()
        .args(["csaf", "validate", "--format", "json"])
        .arg(fixture("minimal-valid.json")));
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = json(&o);
    let files = out.as_array().expect("an array, one object per file");
    assert_eq!(files.len(), 1);
    assert!(
        files[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("minimal-valid.json")
    );
    assert_eq!(files[0]["valid"], true);
    for r in files[0]["results"].as_array().unwrap() {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["group", "message", "path", "test"], "{r}");
        let group = r["group"].as_str().unwrap();
        assert!(matches!(group, "optional" | "informative"), "{r}");
    }
}

#[test]
fn a_mandatory_failure_makes_the_file_invalid_and_the_exit_status_1() {
    let o = run(kensa()
        .args(["csaf", "validate", "--format", "json"])
        .arg(fixture("minimal-valid.json"))
        .arg(fixture("invalid-mandatory.json")));
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = json(&o);
    assert_eq!(out[0]["valid"], true);
    assert_eq!(out[1]["valid"], false);
    let failed = tests_failed(&out[1]);
    assert!(failed.contains(&"6.1.1"), "{failed:?}");
    assert!(failed.contains(&"6.1.16"), "{failed:?}");
    let undefined = out[1]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["test"] == "6.1.1")
        .unwrap();
    assert_eq!(undefined["group"], "mandatory");
    assert_eq!(
        undefined["path"],
        "/vulnerabilities/0/product_status/known_affected/0"
    );
}

#[test]
fn the_text_report_counts_and_names_each_failure() {
    let o = run(kensa()
        .args(["csaf", "validate"])
        .arg(fixture("invalid-mandatory.json")));
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("invalid-mandatory.json: INVALID ("), "{text}");
    assert!(text.contains("error   6.1.1"), "{text}");
    let o = run(kensa()
        .args(["csaf", "validate", "--errors-only"])
        .arg(fixture("invalid-mandatory.json")));
    let text = stdout(&o);
    assert!(
        text.contains("(2 errors, 5 warnings, 1 informative)"),
        "{text}"
    );
    let shown: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(shown.len(), 2, "{text}");
    assert!(shown.iter().all(|l| l.starts_with("  error")), "{text}");
}

#[test]
fn malformed_json_is_named_with_its_file_and_line() {
    let o = run(kensa()
        .args(["csaf", "validate", "--format", "json"])
        .arg(fixture("malformed.json")));
    assert_eq!(o.status.code(), Some(1));
    let out = json(&o);
    assert_eq!(out[0]["valid"], false);
    assert!(out[0]["file"].as_str().unwrap().ends_with("malformed.json"));
    let message = out[0]["results"][0]["message"].as_str().unwrap();
    assert!(message.contains("line 5"), "{message}");
    assert_eq!(out[0]["results"][0]["group"], "schema");

    let o = run(kensa().args(["csaf", "validate", "no-such-file.json"]));
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no-such-file.json"), "{err}");
}

#[test]
fn the_csaf_vex_kensa_writes_passes_its_own_validator() {
    let dir = tempfile::tempdir().unwrap();
    let assess = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/assess");
    for version in [None, Some("2.8.1")] {
        let mut cmd = kensa();
        cmd.arg("vex")
            .arg("--conditions")
            .arg(assess.join("heartbleed.conditions.json"))
            .arg("--answers")
            .arg(assess.join("no-heartbeats.answers.yaml"))
            .args([
                "--product",
                "rtu-gateway",
                "--purl",
                "pkg:generic/example/rtu-gateway",
            ])
            .args(["--format", "csaf", "--author", "Example PSIRT"])
            .args(["--namespace", "https://psirt.example.com"]);
        if let Some(v) = version {
            cmd.args(["--product-version", v]);
        }
        let o = run(&mut cmd);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let file = dir.path().join("vex.json");
        std::fs::write(&file, &o.stdout).unwrap();
        let o = run(kensa()
            .args(["csaf", "validate", "--format", "json"])
            .arg(&file));
        let out = json(&o);
        assert_eq!(out[0]["valid"], true, "{out:#}");
        assert_eq!(o.status.code(), Some(0));
    }
}
