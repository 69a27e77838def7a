//! Automatic answers (issue #17) on the demo product: `kensa checklist CVE
//! --product NAME --format json` carries "auto" on the questions the
//! product's data decides, and `kensa assess CVE --product NAME --auto`
//! evaluates with them, a person's answers overriding.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::{kensa_db as kensa, ok, repo};

fn demo_db(dir: &Path) -> PathBuf {
    let db = dir.join("demo.db");
    ok(Command::new(env!("CARGO_BIN_EXE_kensa"))
        .env_remove("KENSA_DB")
        .args(["-q", "demo", "--keep"])
        .arg(&db));
    db
}

/// Every question as (condition text, its "auto" object or null).
fn questions(checklist: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    fn walk(s: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
        for e in s["entries"].as_array().unwrap() {
            if e["type"] == "question" {
                let text = e["condition"].as_str().unwrap().to_string();
                out.push((text, e["auto"].clone()));
            } else {
                walk(e, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&checklist["root"], &mut out);
    out
}

#[test]
fn shellshock_on_the_demo_gateway_is_answered_from_its_sbom() {
    let tmp = tempfile::tempdir().unwrap();
    let db = demo_db(tmp.path());
    let o = ok(kensa(&db).args([
        "checklist",
        "CVE-2014-6271",
        "--product",
        "rtu-gateway",
        "--format",
        "json",
    ]));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let questions = questions(&list);
    let by_text = |needle: &str| {
        questions
            .iter()
            .find(|(text, _)| text.contains(needle))
            .unwrap_or_else(|| panic!("no condition with {needle}: {questions:?}"))
            .1
            .clone()
    };
    // The SBOM says bash 4.3, in the range detection matched.
    let bash = by_text("bash");
    assert_eq!(bash["answer"], "yes", "{bash}");
    assert_eq!(bash["source"], "sbom");
    assert!(
        bash["evidence"].as_str().unwrap().contains("bash 4.3"),
        "{bash}"
    );
    // dropbear, not OpenSSH; lighttpd, not Apache: no, on the SBOM's word.
    for needle in ["OpenSSH", "Apache"] {
        let a = by_text(needle);
        assert_eq!(a["answer"], "no", "{needle}: {a}");
        assert!(
            a["evidence"]
                .as_str()
                .unwrap()
                .contains("relies on the SBOM being complete"),
            "{a}"
        );
    }
    // Nothing in the SBOM speaks to the crafted environment.
    assert!(by_text("crafted environment").is_null());
}

#[test]
fn assess_auto_stores_a_verdict_that_names_its_automatic_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let db = demo_db(tmp.path());
    // A person says the DHCP path does not apply and overrides the SBOM's
    // "no" for OpenSSH with "unknown".
    let answers = tmp.path().join("answers.yaml");
    std::fs::write(&answers, "answers:\n  c3: unknown\n").unwrap();
    let o = ok(kensa(&db)
        .args([
            "assess",
            "CVE-2014-6271",
            "--product",
            "rtu-gateway",
            "--auto",
        ])
        .arg("--facts")
        .arg(repo("demo/rtu-gateway.facts.yaml"))
        .arg("--profile")
        .arg(repo("demo/rtu-gateway.profile.yaml"))
        .arg("--answers")
        .arg(&answers)
        .args(["--format", "json"]));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let a = &v["answers"];
    assert_eq!(a["c1"]["note"], "automatic (sbom)", "{v}");
    assert_eq!(a["c4"]["answer"], "no");
    assert_eq!(a["c5"]["note"], "automatic (facts)");
    assert!(
        a["c5"]["evidence"]
            .as_str()
            .unwrap()
            .contains("line 16: features.dhcp client: on"),
        "{}",
        a["c5"]
    );
    assert_eq!(a["c6"]["note"], "automatic (profile)");
    // The person's answer replaced the automatic one.
    assert_eq!(a["c3"]["answer"], "unknown");
    assert!(a["c3"]["note"].is_null());
    assert_eq!(v["verdict"], "under_investigation");
}

#[test]
fn a_bad_facts_file_is_refused_with_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let db = demo_db(tmp.path());
    let facts = tmp.path().join("bad.facts.yaml");
    std::fs::write(&facts, "services:\n  web server: on\n  modbus: sometimes\n").unwrap();
    let o = kensa(&db)
        .args([
            "checklist",
            "CVE-2014-6271",
            "--product",
            "rtu-gateway",
            "--facts",
        ])
        .arg(&facts)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 3: services.modbus: `sometimes` is not on/off"),
        "{err}"
    );
    assert!(err.contains("bad.facts.yaml"), "{err}");
}

/// `kensa product files` keeps the facts file and `.config` with the
/// version; `kensa assess --auto` then answers from them without being
/// given the files, and a bad file is refused without storing anything.
#[test]
fn files_stored_with_the_version_answer_later_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let db = demo_db(tmp.path());
    let bad = tmp.path().join("bad.facts.yaml");
    std::fs::write(&bad, "services:\n  web server: on\n  modbus: sometimes\n").unwrap();
    let o = kensa(&db)
        .args(["product", "files", "rtu-gateway", "--facts"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.facts.yaml") && err.contains("line 3"),
        "{err}"
    );

    let config = tmp.path().join("busybox.config");
    std::fs::write(
        &config,
        "# Busybox version: 1.36.1\nCONFIG_BUSYBOX=y\nCONFIG_UDHCPC=y\n# CONFIG_TELNETD is not set\n",
    )
    .unwrap();
    let o = ok(kensa(&db)
        .args([
            "product",
            "files",
            "rtu-gateway",
            "--version",
            "2.8.1",
            "--facts",
        ])
        .arg(repo("demo/rtu-gateway.facts.yaml"))
        .arg("--build-config")
        .arg(&config)
        .args(["--format", "json"]));
    let listed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<(&str, &str)> = listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["origin"].as_str().unwrap()))
        .collect();
    assert_eq!(
        files,
        [
            ("facts", "rtu-gateway.facts.yaml"),
            ("config", "busybox.config")
        ]
    );

    let o = ok(kensa(&db).args([
        "assess",
        "CVE-2014-6271",
        "--product",
        "rtu-gateway",
        "--auto",
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let c5 = &v["answers"]["c5"];
    assert_eq!(c5["answer"], "yes", "{v}");
    assert_eq!(c5["note"], "automatic (facts)");
    assert!(
        c5["evidence"]
            .as_str()
            .unwrap()
            .contains("stored: rtu-gateway.facts.yaml"),
        "{c5}"
    );

    // Without the facts file, the stored BusyBox .config answers the DHCP
    // path (CONFIG_UDHCPC=y).
    ok(kensa(&db).args(["product", "files", "rtu-gateway", "--remove-facts"]));
    let o = ok(kensa(&db).args([
        "checklist",
        "CVE-2014-6271",
        "--product",
        "rtu-gateway",
        "--format",
        "json",
    ]));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let dhcp = questions(&list)
        .into_iter()
        .find(|(text, _)| text.contains("DHCP"))
        .expect("the DHCP path");
    assert_eq!(dhcp.1["source"], "config", "{}", dhcp.1);
    assert!(
        dhcp.1["evidence"]
            .as_str()
            .unwrap()
            .contains("stored: busybox.config"),
        "{}",
        dhcp.1
    );
}
