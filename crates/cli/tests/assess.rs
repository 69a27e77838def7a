//! `kensa checklist`, `kensa assess`, `kensa vex` and `kensa scan --vex` as
//! a user runs them.

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

fn fixture(name: &str) -> PathBuf {
    repo("crates/cli/tests/fixtures/assess").join(name)
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("kensa runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

#[test]
fn checklist_in_japanese_from_a_conditions_file() {
    let o = run(kensa()
        .arg("checklist")
        .arg("--conditions")
        .arg(fixture("heartbleed.conditions.json"))
        .args(["--lang", "ja"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let md = stdout(&o);
    assert!(md.contains("以下のすべてに該当する場合にのみ"), "{md}");
    assert!(md.contains("-DOPENSSL_NO_HEARTBEATS"));
    let o = run(kensa()
        .arg("checklist")
        .arg("--conditions")
        .arg(fixture("heartbleed.conditions.json"))
        .args(["--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["ids"], serde_json::json!(["c1", "c2", "c3", "c4"]));
}

#[test]
fn checklist_from_a_record_file() {
    let o = run(kensa()
        .arg("checklist")
        .arg("--record")
        .arg(repo("crates/intel/tests/fixtures/cve5/CVE-2024-2957.json"))
        .args(["--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json(&o)["vulnerability"], "CVE-2024-2957");
}

#[test]
fn assess_gives_the_verdict_and_its_basis() {
    let o = run(kensa()
        .arg("assess")
        .arg("--conditions")
        .arg(fixture("heartbleed.conditions.json"))
        .arg("--answers")
        .arg(fixture("no-heartbeats.answers.yaml")));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("CVE-2014-0160: not_affected (CycloneDX code_not_reachable"),
        "{text}"
    );
    assert!(text.contains("-DOPENSSL_NO_HEARTBEATS"), "{text}");

    let o = run(kensa()
        .arg("assess")
        .arg("--conditions")
        .arg(fixture("heartbleed.conditions.json"))
        .arg("--answers")
        .arg(fixture("no-heartbeats.answers.yaml"))
        .args(["--format", "json"]));
    let v = json(&o);
    assert_eq!(v["status"], "not_affected");
    assert_eq!(v["deciding"][0]["id"], "c2");
    assert_eq!(v["justification"], "code_not_reachable");
}

#[test]
fn bad_answers_fail_with_the_file_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown.yaml",
            "answers:\n  c9: yes\n",
            "c9; valid ids: c1, c2, c3, c4",
        ),
        ("empty.yaml", "", "the answers file is empty"),
        ("word.yaml", "answers:\n  c1: perhaps\n", "answers.c1"),
        (
            "dup.json",
            "{\"answers\": {\"c1\": \"yes\", \"c1\": \"no\"}}",
            "given twice",
        ),
    ];
    for (name, content, expect) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let o = run(kensa()
            .arg("assess")
            .arg("--conditions")
            .arg(fixture("heartbleed.conditions.json"))
            .arg("--answers")
            .arg(&path));
        assert!(!o.status.success(), "{name} was accepted");
        let err = stderr(&o);
        assert!(err.contains(name) && err.contains(expect), "{name}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_vex_decision_suppresses_the_finding_across_an_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let o = run(kensa()
        .arg("--db")
        .arg(&db)
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz")));
    assert!(o.status.success(), "{}", stderr(&o));

    let vex = dir.path().join("heartbleed.cdx.json");
    let o = run(kensa()
        .arg("vex")
        .arg("--conditions")
        .arg(fixture("heartbleed.conditions.json"))
        .arg("--answers")
        .arg(fixture("no-heartbeats.answers.yaml"))
        .args(["--product", "openssl", "--purl", "pkg:generic/openssl"])
        .args(["--format", "cyclonedx", "--author", "Acme PSIRT"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        json(&o)["vulnerabilities"][0]["analysis"]["state"],
        "not_affected"
    );
    std::fs::write(&vex, &o.stdout).unwrap();

    // The shipped SBOM, and the same product after an OpenSSL upgrade that
    // is still in Heartbleed's range.
    let sbom = std::fs::read_to_string(repo("demo/rtu-gateway.cdx.json")).unwrap();
    let upgraded = dir.path().join("upgraded.cdx.json");
    std::fs::write(
        &upgraded,
        sbom.replace("openssl@1.0.1f", "openssl@1.0.1e")
            .replace("\"version\": \"1.0.1f\"", "\"version\": \"1.0.1e\"")
            .replace("openssl:1.0.1f", "openssl:1.0.1e"),
    )
    .unwrap();
    for sbom in [repo("demo/rtu-gateway.cdx.json"), upgraded] {
        let o = run(kensa()
            .arg("--db")
            .arg(&db)
            .arg("scan")
            .arg(&sbom)
            .arg("--vex")
            .arg(&vex)
            .args(["--format", "json"]));
        assert!(o.status.success(), "{}", stderr(&o));
        let report = json(&o);
        let heartbleed = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["vulnerability"]["id"] == "CVE-2014-0160")
            .expect("Heartbleed is still found");
        assert_eq!(
            heartbleed["vex"]["status"],
            "not_affected",
            "{}",
            sbom.display()
        );
        assert_eq!(heartbleed["vex"]["suppressed"], true);
        assert_eq!(heartbleed["vex"]["justification"], "code_not_reachable");
        assert_eq!(report["vex"]["suppressed"], 1);
        // Other OpenSSL findings are other vulnerabilities: untouched.
        let others = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["component"]["bom_ref"] == "openssl" && f.get("vex").is_none())
            .count();
        assert!(others > 0);

        let o = run(kensa()
            .arg("--db")
            .arg(&db)
            .arg("scan")
            .arg(&sbom)
            .arg("--vex")
            .arg(&vex));
        let table = stdout(&o);
        assert!(!table.contains("CVE-2014-0160"), "{table}");
        assert!(table.contains("1 findings suppressed by VEX"), "{table}");
    }
}

#[test]
fn an_unreadable_vex_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    run(kensa()
        .arg("--db")
        .arg(&db)
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz"))
        .arg(repo("demo/kev-demo.json")));
    let bad = dir.path().join("not-vex.json");
    std::fs::write(&bad, "{\"hello\": 1}").unwrap();
    let o = run(kensa()
        .arg("--db")
        .arg(&db)
        .arg("scan")
        .arg(repo("demo/rtu-gateway.cdx.json"))
        .arg("--vex")
        .arg(&bad));
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("not-vex.json") && err.contains("not a VEX document"),
        "{err}"
    );
}
