//! `kensa advisory create` and `render` as a user runs them: from the demo
//! data, a stored product and stored verdicts to a CSAF advisory that
//! passes `kensa csaf validate`, an update, and the customer's page.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{ok, repo};

fn kensa(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kensa"));
    c.env_remove("KENSA_DB")
        .env_remove("KENSA_PUBLISHER")
        .arg("--db")
        .arg(db);
    c
}

fn fails(cmd: &mut Command) -> String {
    let o = cmd.output().expect("kensa runs");
    assert!(
        !o.status.success(),
        "succeeded: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The vulnerability entry for `cve` in an advisory.
fn vuln<'a>(doc: &'a Value, cve: &str) -> &'a Value {
    doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["cve"] == cve)
        .unwrap_or_else(|| panic!("{cve} not in the advisory"))
}

/// The demo's data; the gateway 1.0 as shipped and 2.0 with OpenSSL
/// 1.0.1g (past Heartbleed); Shellshock assessed not affected, Heartbleed
/// affected.
fn setup(dir: &Path) -> PathBuf {
    let db = dir.join("k.db");
    ok(kensa(&db)
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz"))
        .arg(repo("demo/kev-demo.json")));
    let sbom = repo("demo/rtu-gateway.cdx.json");
    ok(kensa(&db)
        .args(["-q", "product", "add", "gw", "--version", "1.0", "--sbom"])
        .arg(&sbom));
    let upgraded = dir.join("gw-2.0.cdx.json");
    let text = std::fs::read_to_string(&sbom).unwrap();
    std::fs::write(
        &upgraded,
        text.replace("openssl@1.0.1f", "openssl@1.0.1g")
            .replace("\"version\": \"1.0.1f\"", "\"version\": \"1.0.1g\"")
            .replace("openssl:1.0.1f", "openssl:1.0.1g"),
    )
    .unwrap();
    ok(kensa(&db)
        .args(["-q", "product", "add", "gw", "--version", "2.0", "--sbom"])
        .arg(&upgraded));
    let answers = dir.join("shellshock.yaml");
    std::fs::write(
        &answers,
        "answers:\n  c2:\n    answer: no\n    note: no CGI\n",
    )
    .unwrap();
    ok(kensa(&db)
        .args(["assess", "CVE-2014-6271", "--product", "gw", "--answers"])
        .arg(&answers));
    // Every trigger condition of Heartbleed holds.
    let checklist = ok(kensa(&db).args(["checklist", "CVE-2014-0160", "--format", "json"]));
    let ids: Value = serde_json::from_slice(&checklist.stdout).unwrap();
    let yes: String = ids["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| format!("  {}: yes\n", id.as_str().unwrap()))
        .collect();
    let answers = dir.join("heartbleed.yaml");
    std::fs::write(&answers, format!("answers:\n{yes}")).unwrap();
    ok(kensa(&db)
        .args(["assess", "CVE-2014-0160", "--product", "gw", "--answers"])
        .arg(&answers));
    db
}

fn publisher(dir: &Path) -> PathBuf {
    let p = dir.join("psirt.yaml");
    std::fs::write(
        &p,
        "name: Example Industrial\nnamespace: https://psirt.example.com\ncontact_details: psirt@example.com\n",
    )
    .unwrap();
    p
}

fn validate(db: &Path, file: &Path) -> Value {
    let o = ok(kensa(db)
        .args(["csaf", "validate", "--format", "json"])
        .arg(file));
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    out[0].clone()
}

#[test]
fn a_draft_states_the_stored_verdicts_and_passes_the_validator() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let adv = dir.path().join("adv.json");
    let o = ok(kensa(&db)
        .args([
            "advisory",
            "create",
            "--product",
            "gw",
            "--version",
            "1.0",
            "--publisher",
        ])
        .arg(publisher(dir.path()))
        .arg("-o")
        .arg(&adv));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("KENSA-GW-1.0 version 1 (draft)"), "{said}");
    let doc = read(&adv);
    let result = validate(&db, &adv);
    assert_eq!(result["valid"], true, "{result:#}");
    let warnings: Vec<&Value> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["group"] != "informative")
        .collect();
    assert!(warnings.is_empty(), "{warnings:#?}");

    let shellshock = vuln(&doc, "CVE-2014-6271");
    assert_eq!(
        shellshock["product_status"]["known_not_affected"][0],
        "CSAFPID-0001"
    );
    let impact = shellshock["threats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["category"] == "impact")
        .expect("an impact statement");
    assert!(
        impact["details"].as_str().unwrap().contains("c2"),
        "{impact}"
    );
    let heartbleed = vuln(&doc, "CVE-2014-0160");
    assert_eq!(
        heartbleed["product_status"]["known_affected"][0],
        "CSAFPID-0001"
    );
    // 2.0 carries OpenSSL 1.0.1g: the fixed version.
    assert_eq!(heartbleed["product_status"]["fixed"][0], "CSAFPID-0002");
    assert_eq!(heartbleed["remediations"][0]["category"], "vendor_fix");
    assert!(
        heartbleed["remediations"][0]["details"]
            .as_str()
            .unwrap()
            .contains("2.0")
    );
    assert_eq!(
        heartbleed["threats"][0]["category"], "exploit_status",
        "KEV lists Heartbleed"
    );
    let open = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["product_status"]["under_investigation"].is_array())
        .count();
    assert_eq!(open + 2, doc["vulnerabilities"].as_array().unwrap().len());
    assert_eq!(doc["document"]["publisher"]["name"], "Example Industrial");
}

#[test]
fn the_product_is_identified_by_the_purl_and_cpe_its_sbom_gives_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let sbom = std::fs::read_to_string(repo("demo/rtu-gateway.cdx.json")).unwrap();
    let named = sbom.replacen(
        "\"bom-ref\": \"rtu-gw-fw\",",
        "\"bom-ref\": \"rtu-gw-fw\", \"purl\": \"pkg:generic/example/rtu-200-firmware@3.0\", \
         \"cpe\": \"cpe:2.3:o:example:rtu-200_firmware:3.0:*:*:*:*:*:*:*\",",
        1,
    );
    assert_ne!(
        named, sbom,
        "the demo SBOM names its product by bom-ref rtu-gw-fw"
    );
    let path = dir.path().join("gw-3.0.cdx.json");
    std::fs::write(&path, named).unwrap();
    ok(kensa(&db)
        .args(["-q", "product", "add", "gw", "--version", "3.0", "--sbom"])
        .arg(&path));
    let adv = dir.path().join("adv.json");
    ok(kensa(&db)
        .args([
            "advisory",
            "create",
            "--product",
            "gw",
            "--version",
            "3.0",
            "--publisher",
        ])
        .arg(publisher(dir.path()))
        .arg("-o")
        .arg(&adv));
    let doc = read(&adv);
    let text = doc["product_tree"].to_string();
    assert!(
        text.contains("\"purl\":\"pkg:generic/example/rtu-200-firmware@3.0\""),
        "{text}"
    );
    assert!(
        text.contains("\"cpe\":\"cpe:2.3:o:example:rtu-200_firmware:3.0:*:*:*:*:*:*:*\""),
        "{text}"
    );
    assert!(!text.contains("x_generic_uris"), "{text}");
    assert_eq!(validate(&db, &adv)["valid"], true);
}

#[test]
fn a_final_advisory_states_only_approved_verdicts_and_an_update_bumps_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let adv = dir.path().join("adv.json");
    let create = |extra: &[&str]| {
        let mut c = kensa(&db);
        c.args(["advisory", "create", "--product", "gw", "--version", "1.0"])
            .args(["--vuln", "CVE-2014-0160", "--vuln", "CVE-2014-6271"])
            .args(extra);
        c
    };
    let e = fails(create(&["--status", "final"]).arg("-o").arg(&adv));
    assert!(e.contains("needs its publisher"), "{e}");
    assert!(!adv.exists(), "nothing written");

    let o = ok(create(&["--status", "final", "--publisher"])
        .arg(publisher(dir.path()))
        .arg("-o")
        .arg(&adv));
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(
        said.contains("CVE-2014-0160 is stated as under investigation"),
        "{said}"
    );
    let first = read(&adv);
    assert_eq!(first["vulnerabilities"].as_array().unwrap().len(), 2);
    assert!(vuln(&first, "CVE-2014-0160")["product_status"]["under_investigation"].is_array());

    // Approval is the team server's (an approver's click); the same use case.
    let mut store = kensa_store::Store::open(&db).unwrap();
    kensa_app::assessments::approve(
        &mut store,
        &kensa_app::Actor::operator(),
        "gw",
        "CVE-2014-0160",
        None,
    )
    .unwrap();
    drop(store);
    ok(create(&["--status", "final", "--publisher"])
        .arg(publisher(dir.path()))
        .arg("-o")
        .arg(&adv));
    let second = read(&adv);
    let t = &second["document"]["tracking"];
    assert_eq!(t["id"], first["document"]["tracking"]["id"]);
    assert_eq!(t["version"], "2");
    assert_eq!(
        t["initial_release_date"],
        first["document"]["tracking"]["initial_release_date"]
    );
    let summary = t["revision_history"][1]["summary"].as_str().unwrap();
    assert!(
        summary.contains("CVE-2014-0160: under_investigation → known_affected"),
        "{summary}"
    );
    assert_eq!(validate(&db, &adv)["valid"], true);
}

#[test]
fn bad_requests_are_refused_with_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let e = fails(kensa(&db).args([
        "advisory",
        "create",
        "--product",
        "gw",
        "--vuln",
        "CVE-1999-0001",
    ]));
    assert!(
        e.contains("CVE-1999-0001 is not a finding of gw 2.0"),
        "{e}"
    );
    let e = fails(kensa(&db).args(["advisory", "create", "--product", "nope"]));
    assert!(e.contains("no product nope"), "{e}");
    let not_json = dir.path().join("old.json");
    std::fs::write(&not_json, "{\n  \"document\": oops\n}\n").unwrap();
    let e = fails(
        kensa(&db)
            .args(["advisory", "create", "--product", "gw", "-o"])
            .arg(&not_json),
    );
    assert!(e.contains("old.json") && e.contains("line 2"), "{e}");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "name: X\nnamespace: https://x.example\ntlp: BLUE\n").unwrap();
    let e = fails(
        kensa(&db)
            .args(["advisory", "create", "--product", "gw", "--publisher"])
            .arg(&bad),
    );
    assert!(e.contains("publisher.tlp"), "{e}");
    // A product whose SBOM has no vulnerable component.
    let sbom = dir.path().join("clean.cdx.json");
    std::fs::write(
        &sbom,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[{"type":"library","name":"left-pad-nobody-has","version":"1.0.0","bom-ref":"x"}]}"#,
    )
    .unwrap();
    ok(kensa(&db)
        .args(["-q", "product", "add", "clean", "--version", "1", "--sbom"])
        .arg(&sbom));
    let e = fails(kensa(&db).args(["advisory", "create", "--product", "clean"]));
    assert!(e.contains("clean 1 has no findings"), "{e}");
}

#[test]
fn render_gives_a_page_a_customer_reads() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let adv = dir.path().join("adv.json");
    ok(kensa(&db)
        .args([
            "advisory",
            "create",
            "--product",
            "gw",
            "--version",
            "1.0",
            "-o",
        ])
        .arg(&adv));
    let md = ok(kensa(&db)
        .args(["advisory", "render", "--format", "markdown"])
        .arg(&adv));
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.starts_with("# Vulnerabilities in gw 1.0"), "{md}");
    assert!(md.contains("## CVE-2014-0160"), "{md}");
    assert!(md.contains("| Not affected |"), "{md}");
    assert!(md.contains("vendor fix"), "{md}");
    let page = dir.path().join("adv.html");
    ok(kensa(&db)
        .args(["advisory", "render", "--format", "html", "-o"])
        .arg(&page)
        .arg(&adv));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<h2>CVE-2014-6271</h2>"), "{html}");
    // Text from the document is escaped.
    let mut doc = read(&adv);
    doc["document"]["title"] = Value::from("<script>alert(1)</script>");
    std::fs::write(&adv, serde_json::to_vec(&doc).unwrap()).unwrap();
    let o = ok(kensa(&db)
        .args(["advisory", "render", "--format", "html"])
        .arg(&adv));
    let html = String::from_utf8_lossy(&o.stdout);
    assert!(
        !html.contains("<script>") && html.contains("&lt;script&gt;"),
        "{html}"
    );
}
