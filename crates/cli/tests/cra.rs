//! `kensa cra` as a user runs it: market metadata, cases opened from KEV
//! evidence or a person's, clocks that never start before the version was
//! registered, submissions in order, stage report drafts, and the queue
//! showing the case's next deadline. (Month ends and daylight-saving
//! changes of the clocks themselves: kensa-report's `cra` unit tests.)

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use support::{json, ok, repo};

fn kensa(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kensa"));
    c.env_remove("KENSA_DB")
        .env("TZ", "UTC")
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

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

/// The demo database with product gw 1.0; with CISA KEV's demo excerpt
/// (evidence of active exploitation for four of gw's findings) or without.
fn setup(dir: &Path, with_kev: bool) -> PathBuf {
    let db = dir.join("k.db");
    let mut import = kensa(&db);
    import
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz"));
    if with_kev {
        import.arg(repo("demo/kev-demo.json"));
    }
    ok(&mut import);
    ok(kensa(&db)
        .args(["-q", "product", "add", "gw", "--version", "1.0", "--sbom"])
        .arg(repo("demo/rtu-gateway.cdx.json")));
    db
}

/// gw's findings that CISA KEV's demo excerpt lists.
const KEV_FINDINGS: [&str; 4] = [
    "CVE-2014-6271",
    "CVE-2014-7169",
    "CVE-2014-0160",
    "CVE-2016-5195",
];

fn cases(db: &Path) -> Vec<Value> {
    json(&ok(kensa(db).args(["cra", "list", "--format", "json"])))
        .as_array()
        .unwrap()
        .clone()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn registered(db: &Path) -> DateTime<Utc> {
    let products = json(&ok(kensa(db).args(["product", "list", "--format", "json"])));
    let gw = products
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "gw")
        .unwrap();
    time(&gw["versions"][0]["added_at"])
}

#[test]
fn marking_a_product_on_the_market_opens_its_kev_cases_with_clocks_from_registration() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path(), true);
    let e = fails(kensa(&db).args(["cra", "open", "--vuln", "CVE-2014-0160", "--product", "gw"]));
    assert!(e.contains("not marked as on the EU market"), "{e}");
    let e = fails(kensa(&db).args([
        "cra",
        "market",
        "gw",
        "--on-market",
        "--member-states",
        "DE,XX",
    ]));
    assert!(e.contains("member_states") && e.contains("XX"), "{e}");
    assert!(cases(&db).is_empty(), "not on the market: no obligation");
    let marked = ok(kensa(&db).args([
        "cra",
        "market",
        "gw",
        "--on-market",
        "--member-states",
        "de,FR",
        "--support-end",
        "2031-12-31",
    ]));
    // Kensa holds KEV's evidence for four findings: their cases open now.
    let told = stderr(&marked);
    let opened = cases(&db);
    assert_eq!(opened.len(), KEV_FINDINGS.len(), "{opened:?}");
    for c in &opened {
        assert!(
            KEV_FINDINGS.contains(&c["vulnerability"].as_str().unwrap()),
            "{c}"
        );
        assert_eq!(c["opened_by"], "kensa");
        assert!(
            told.contains(&format!(
                "CRA: opened {} for gw 1.0",
                c["id"].as_str().unwrap()
            )),
            "{told}"
        );
    }
    let case = opened
        .iter()
        .find(|c| c["vulnerability"] == "CVE-2014-0160")
        .unwrap()
        .clone();
    let id = case["id"].as_str().unwrap().to_string();
    assert!(
        case["source"].as_str().unwrap().starts_with("CISA KEV"),
        "{case}"
    );
    // CISA listed Heartbleed in 2022; the version was registered today.
    assert_eq!(
        time(&case["evidence_at"]).format("%Y-%m-%d").to_string(),
        "2022-05-04"
    );
    let awareness = time(&case["awareness_at"]);
    assert_eq!(awareness, registered(&db));
    assert_eq!(
        time(&case["deadlines"][0]["due"]),
        awareness + Duration::hours(24)
    );
    assert_eq!(
        time(&case["deadlines"][1]["due"]),
        awareness + Duration::hours(72)
    );
    assert!(case["deadlines"][2]["due"].is_null());
    assert_eq!(case["next"]["stage"], "early-warning");

    let e = fails(kensa(&db).args(["cra", "open", "--vuln", "CVE-2014-0160", "--product", "gw"]));
    assert!(e.contains("already has a case") && e.contains(&id), "{e}");
    // Marking it again, or a rescan, opens nothing twice.
    ok(kensa(&db).args([
        "cra",
        "market",
        "gw",
        "--on-market",
        "--member-states",
        "DE",
    ]));
    ok(kensa(&db).args(["portfolio", "rescan"]));
    assert_eq!(cases(&db).len(), KEV_FINDINGS.len());
    let e = fails(kensa(&db).args(["cra", "open", "--vuln", "CVE-1999-0001", "--product", "gw"]));
    assert!(
        e.contains("CVE-1999-0001 is not a finding of gw 1.0"),
        "{e}"
    );

    // The queue shows the case's deadline, and only for that finding.
    let rows = json(&ok(kensa(&db).args(["queue", "--format", "json"])));
    for r in rows.as_array().unwrap() {
        if r["vulnerability"] == "CVE-2014-0160" {
            assert_eq!(r["cra"]["case"], id.as_str(), "{r}");
            assert_eq!(time(&r["cra"]["due"]), awareness + Duration::hours(24));
        } else if !KEV_FINDINGS.contains(&r["vulnerability"].as_str().unwrap()) {
            assert!(r.get("cra").is_none(), "{r}");
        }
    }
    let table = String::from_utf8_lossy(&ok(kensa(&db).arg("queue")).stdout).into_owned();
    assert!(table.contains(&format!("{id} ")), "{table}");

    // A person's earlier evidence is still not before registration.
    let e = fails(kensa(&db).args([
        "cra",
        "open",
        "--vuln",
        "CVE-2014-6277",
        "--product",
        "gw",
        "--aware-at",
        "2026-10-01T08:00:00Z",
    ]));
    assert!(e.contains("source"), "{e}");
    let case = json(&ok(kensa(&db).args([
        "cra",
        "open",
        "--vuln",
        "CVE-2014-6277",
        "--product",
        "gw",
        "--aware-at",
        "2026-10-01T10:00:00+02:00",
        "--source",
        "customer report",
        "--format",
        "json",
    ])));
    assert_eq!(case["evidence_at"], "2026-10-01T08:00:00Z");
    assert_eq!(time(&case["awareness_at"]), registered(&db));
    assert!(
        case["opened_by"].as_str().unwrap().starts_with("cli:"),
        "{case}"
    );
}

#[test]
fn evidence_imported_after_the_product_is_on_the_market_opens_its_cases() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path(), false);
    ok(kensa(&db).args([
        "cra",
        "market",
        "gw",
        "--on-market",
        "--member-states",
        "IT",
    ]));
    assert!(cases(&db).is_empty(), "no evidence of exploitation yet");
    let e = fails(kensa(&db).args(["cra", "open", "--vuln", "CVE-2014-0160", "--product", "gw"]));
    assert!(e.contains("no evidence"), "{e}");

    let imported = ok(kensa(&db)
        .args(["db", "import"])
        .arg(repo("demo/kev-demo.json")));
    let opened = cases(&db);
    assert_eq!(opened.len(), KEV_FINDINGS.len(), "{opened:?}");
    let told = stderr(&imported);
    assert!(told.contains("CRA: opened"), "{told}");
    for c in &opened {
        assert_eq!(time(&c["awareness_at"]), registered(&db), "{c}");
        assert_eq!(c["next"]["stage"], "early-warning");
    }
    // A new version of the product opens no second case for the same vulnerability.
    ok(kensa(&db)
        .args(["-q", "product", "add", "gw", "--version", "1.1", "--sbom"])
        .arg(repo("demo/rtu-gateway.cdx.json")));
    assert_eq!(cases(&db).len(), KEV_FINDINGS.len());
    let trail = String::from_utf8_lossy(
        &ok(kensa(&db).args(["audit", "--product", "gw", "--format", "json"])).stdout,
    )
    .into_owned();
    assert_eq!(
        trail.matches("\"cra.open\"").count(),
        KEV_FINDINGS.len(),
        "{trail}"
    );
}

/// A vendor's CSAF advisory saying Bash's CVE-2014-6277 is exploited in
/// the wild (KEV does not list it).
const EXPLOITED_CSAF: &str = r#"{
 "document": {"category": "csaf_security_advisory", "csaf_version": "2.0",
  "publisher": {"category": "vendor", "name": "Example Automation", "namespace": "https://psirt.example.com"},
  "title": "Bash in the RTU-200 gateway",
  "tracking": {"id": "EXA-2026-001", "status": "final", "version": "1",
   "initial_release_date": "2026-11-30T00:00:00Z", "current_release_date": "2026-11-30T00:00:00Z",
   "revision_history": [{"date": "2026-11-30T00:00:00Z", "number": "1", "summary": "Initial"}]}},
 "product_tree": {"branches": [{"category": "vendor", "name": "Example Automation", "branches": [
  {"category": "product_name", "name": "RTU-200", "branches": [
   {"category": "product_version", "name": "2.8.1",
    "product": {"name": "Example Automation RTU-200 2.8.1", "product_id": "CSAFPID-0001"}}]}]}]},
 "vulnerabilities": [{"cve": "CVE-2014-6277",
  "product_status": {"known_affected": ["CSAFPID-0001"]},
  "threats": [
   {"category": "impact", "details": "Remote code execution."},
   {"category": "exploit_status", "details": "Exploited in the wild", "date": "2026-11-29T12:00:00Z",
    "product_ids": ["CSAFPID-0001"]}]}]
}"#;

#[test]
fn a_csaf_advisorys_exploit_status_opens_a_case() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path(), false);
    ok(kensa(&db).args([
        "-q",
        "cra",
        "market",
        "gw",
        "--on-market",
        "--member-states",
        "PL",
    ]));
    assert!(cases(&db).is_empty());
    // A statement that the vulnerability is not exploited opens nothing.
    let quiet = dir.path().join("quiet.json");
    std::fs::write(
        &quiet,
        EXPLOITED_CSAF
            .replace("EXA-2026-001", "EXA-2026-000")
            .replace(
                "Exploited in the wild",
                "Example Automation is not aware of any exploitation.",
            ),
    )
    .unwrap();
    ok(kensa(&db).args(["-q", "db", "import"]).arg(&quiet));
    assert!(cases(&db).is_empty(), "{:?}", cases(&db));

    let advisory = dir.path().join("exa.json");
    std::fs::write(&advisory, EXPLOITED_CSAF).unwrap();
    ok(kensa(&db).args(["-q", "db", "import"]).arg(&advisory));
    let opened = cases(&db);
    assert_eq!(opened.len(), 1, "{opened:?}");
    let c = &opened[0];
    assert_eq!(c["vulnerability"], "CVE-2014-6277");
    assert_eq!(
        c["source"],
        "CSAF EXA-2026-001 (exploit status: Exploited in the wild)"
    );
    assert_eq!(c["evidence_at"], "2026-11-29T12:00:00Z");
    // Stated before the version was registered: the clocks start at registration.
    assert_eq!(time(&c["awareness_at"]), registered(&db));
    let finding = json(&ok(kensa(&db).args(["queue", "--format", "json"])));
    let row = finding
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["vulnerability"] == "CVE-2014-6277")
        .unwrap()
        .clone();
    assert!(row.to_string().contains("EXA-2026-001"), "{row}");
}

#[test]
fn stages_are_submitted_in_order_and_the_final_clock_waits_for_its_event() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path(), false);
    ok(kensa(&db).args([
        "cra",
        "market",
        "gw",
        "--on-market",
        "--member-states",
        "NL",
    ]));
    let case = json(&ok(kensa(&db).args([
        "cra",
        "open",
        "--vuln",
        "CVE-2014-0160",
        "--product",
        "gw",
        "--aware-at",
        "2026-10-01T00:00:00Z",
        "--source",
        "exploit seen by our honeypot",
        "--format",
        "json",
    ])));
    let awareness = time(&case["awareness_at"]);
    let at = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let submit = |stage: &str, t: DateTime<Utc>| {
        let mut c = kensa(&db);
        c.args([
            "cra",
            "submit",
            "CRA-1",
            "--stage",
            stage,
            "--reference",
            "SRP-42",
            "--format",
            "json",
            "--at",
        ])
        .arg(at(t));
        c
    };
    let e = fails(&mut submit(
        "early-warning",
        awareness - Duration::seconds(1),
    ));
    assert!(e.contains("before awareness"), "{e}");
    let e = fails(&mut submit("notification", awareness));
    assert!(e.contains("comes after the early-warning report"), "{e}");
    let e = fails(&mut submit(
        "early-warning",
        Utc::now() + Duration::hours(1),
    ));
    assert!(e.contains("in the future"), "{e}");
    ok(&mut submit("early-warning", awareness));
    let e = fails(&mut submit("early-warning", awareness));
    assert!(e.contains("already submitted"), "{e}");
    let case = json(&ok(&mut submit("notification", awareness)));
    assert!(
        case["next"].is_null(),
        "the final report waits for a measure: {case}"
    );
    let report = json(&ok(kensa(&db).args([
        "cra", "report", "CRA-1", "--stage", "final", "--format", "json",
    ])));
    let update = report["report"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "security_update")
        .unwrap();
    assert!(update["value"].is_null(), "to be completed: {update}");

    let measured = Utc::now() - Duration::seconds(1);
    let case = json(&ok(kensa(&db)
        .args([
            "cra",
            "measure",
            "CRA-1",
            "--text",
            "Firmware 1.1 ships OpenSSL 1.0.1g",
            "--format",
            "json",
            "--at",
        ])
        .arg(at(measured.max(awareness)))));
    assert_eq!(case["next"]["stage"], "final");
    assert_eq!(
        time(&case["next"]["due"]),
        time(&case["measure_at"]) + Duration::days(14)
    );
    let md = String::from_utf8_lossy(
        &ok(kensa(&db).args(["cra", "report", "CRA-1", "--stage", "final"])).stdout,
    )
    .into_owned();
    assert!(md.contains("Firmware 1.1 ships OpenSSL 1.0.1g"), "{md}");
    assert!(md.contains("NL"), "{md}");
    assert!(
        md.contains("*to be completed*"),
        "the malicious actor: {md}"
    );
    let html = String::from_utf8_lossy(
        &ok(kensa(&db).args([
            "cra", "report", "CRA-1", "--stage", "final", "--format", "html",
        ]))
        .stdout,
    )
    .into_owned();
    assert!(html.contains("<em>to be completed</em>"), "{html}");
}

#[test]
fn incidents_lists_and_the_users_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path(), false);
    ok(kensa(&db).args([
        "cra",
        "market",
        "gw",
        "--on-market",
        "--member-states",
        "AT",
    ]));
    let e = fails(kensa(&db).args([
        "cra",
        "open",
        "--incident",
        "update server breached",
        "--product",
        "gw",
    ]));
    assert!(e.contains("time of awareness"), "{e}");
    let case = json(&ok(kensa(&db).args([
        "cra",
        "open",
        "--incident",
        "update server breached",
        "--product",
        "gw",
        "--aware-at",
        "2026-11-01T00:00:00Z",
        "--source",
        "SOC ticket 7",
        "--format",
        "json",
    ])));
    assert_eq!(case["kind"], "severe_incident");
    assert!(
        case["deadlines"][2]["due"].is_null(),
        "one month after the notification"
    );

    let all = json(&ok(kensa(&db).args(["cra", "list", "--format", "json"])));
    assert_eq!(all.as_array().unwrap().len(), 1);
    let soon = json(&ok(kensa(&db).args([
        "cra",
        "list",
        "--due-within",
        "48h",
        "--format",
        "json",
    ])));
    assert_eq!(soon.as_array().unwrap().len(), 1);
    let now = json(&ok(kensa(&db).args([
        "cra",
        "list",
        "--due-within",
        "1m",
        "--format",
        "json",
    ])));
    assert_eq!(now.as_array().unwrap().len(), 0, "due in about 24 h");
    let e = fails(kensa(&db).args(["cra", "list", "--due-within", "soon"]));
    assert!(e.contains("--due-within"), "{e}");

    // Shown in the user's zone; stored and printed as JSON in UTC.
    let shown = |tz: &str| {
        let o = ok(kensa(&db).env("TZ", tz).args(["cra", "show", "CRA-1"]));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(
        shown("Asia/Tokyo").contains("+09:00"),
        "{}",
        shown("Asia/Tokyo")
    );
    assert!(shown("UTC").contains("+00:00"));
    let e = fails(kensa(&db).args(["cra", "show", "CRA-99"]));
    assert!(e.contains("no case CRA-99"), "{e}");
    ok(kensa(&db).args(["cra", "market", "gw", "--not-on-market"]));
    let e = fails(kensa(&db).args([
        "cra",
        "open",
        "--incident",
        "again",
        "--product",
        "gw",
        "--aware-at",
        "2026-11-02T00:00:00Z",
        "--source",
        "x",
    ]));
    assert!(e.contains("not marked as on the EU market"), "{e}");
    let trail = String::from_utf8_lossy(&ok(kensa(&db).args(["audit", "--product", "gw"])).stdout)
        .into_owned();
    assert!(
        trail.contains("cra.open") && trail.contains("cra.market"),
        "{trail}"
    );
}
