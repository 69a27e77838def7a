//! The `kensa` binary as a user runs it: exit codes, messages, JSON output,
//! database selection, and the demo.

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

fn fixture(rel: &str) -> PathBuf {
    repo("crates/intel/tests/fixtures").join(rel)
}

/// `kensa --db DB`.
fn kensa_db(db: &Path) -> Command {
    let mut c = kensa();
    c.arg("--db").arg(db);
    c
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
fn import_then_query_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let o = run(kensa_db(&db).args(["db", "import"]).args([
        fixture("nvd/sample.api2.jsonl.gz"),
        fixture("kev/known_exploited_vulnerabilities.json"),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("20 new"), "{}", stderr(&o));

    let o = run(kensa_db(&db).args(["db", "stats", "--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let stats = json(&o);
    assert_eq!(stats["vulnerabilities"], 20);
    assert_eq!(stats["kev"], 6);

    let o = run(kensa_db(&db).args(["vuln", "show", "CVE-2014-0160", "--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["id"], "CVE-2014-0160");
    assert_eq!(v["records"][0]["source"], "nvd:nvd@nist.gov");
    let m = &v["records"][0]["record"]["configurations"][0]["nodes"][0]["cpeMatch"][0];
    assert_eq!(m["versionEndExcluding"], "1.0.1g");

    let o = run(kensa_db(&db).args(["vuln", "search", "heartbeat", "--format", "json"]));
    let hits = json(&o);
    assert_eq!(hits[0]["id"], "CVE-2014-0160");
}

#[test]
fn human_show_renders_the_configuration_tree() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let o = run(kensa_db(&db)
        .args(["db", "import"])
        .arg(fixture("nvd/sample.api2.jsonl")));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(kensa_db(&db).args(["vuln", "show", "CVE-2014-0160"]));
    let text = stdout(&o);
    assert!(text.contains("OR (vulnerable):"), "{text}");
    assert!(
        text.contains("* cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*  >= 1.0.1, < 1.0.1g"),
        "{text}"
    );
    assert!(
        text.contains("AND of 2 node(s)") && text.contains("(platform)"),
        "{text}"
    );
}

/// A PostgreSQL address makes the command a node of that server: one that
/// cannot be reached is a clear error that does not echo the password, and
/// nothing is created locally (no SQLite file in a directory called
/// `postgres:`, no intelligence directory).
#[test]
fn a_postgres_address_is_not_taken_for_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let intel = dir.path().join("intel");
    let url = "postgres://kensa:s3cret@127.0.0.1:1/kensa";
    let by_flag = run(kensa()
        .current_dir(dir.path())
        .env("KENSA_INTEL", &intel)
        .args(["--db", url, "user", "list"]));
    let by_env = run(kensa()
        .current_dir(dir.path())
        .env("KENSA_DB", url)
        .env("KENSA_INTEL", &intel)
        .args(["db", "stats"]));
    for o in [by_flag, by_env] {
        assert_eq!(o.status.code(), Some(1));
        let e = stderr(&o);
        assert!(
            e.contains("cannot connect to postgres://kensa:***@127.0.0.1:1/kensa"),
            "{e}"
        );
        assert!(!e.contains("s3cret"), "{e}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing created"
    );
}

#[test]
fn kensa_db_environment_variable_selects_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("env.db");
    let o = run(kensa()
        .env("KENSA_DB", &db)
        .args(["db", "import"])
        .arg(fixture("nvd/overrides.jsonl")));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(db.exists());
    let o = run(kensa()
        .env("KENSA_DB", &db)
        .args(["db", "stats", "--format", "json"]));
    assert_eq!(json(&o)["vulnerabilities"], 5);
}

#[test]
fn bad_file_fails_with_file_line_and_rollback_note() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let good = fixture("nvd/sample.api2.jsonl");
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\":\"CVE-2020-0001\",\"sourceIdentifier\":\"x\"}\n{oops\n",
    )
    .unwrap();
    let o = run(kensa_db(&db).args(["db", "import"]).arg(&good).arg(&bad));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("bad.jsonl: line 2"), "{err}");
    assert!(
        err.contains("nothing from") && err.contains("rolled back"),
        "{err}"
    );
    assert!(err.contains("1 file(s) before it were imported"), "{err}");
    // The good file stays; the bad one left nothing.
    let o = run(kensa_db(&db).args(["vuln", "show", "CVE-2020-0001"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not in the database"), "{}", stderr(&o));
}

#[test]
fn missing_database_is_explained_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nowhere.db");
    let o = run(kensa_db(&db).args(["vuln", "show", "CVE-2014-0160"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no database at"), "{}", stderr(&o));
    assert!(!db.exists());
}

#[test]
fn unknown_input_lists_supported_formats() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let o = run(kensa_db(&db).args(["db", "import"]).arg(repo("Cargo.toml")));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Supported formats"), "{}", stderr(&o));
}

#[test]
fn help_teaches_formats_and_transactions() {
    let o = run(kensa().args(["db", "import", "--help"]));
    let text = stdout(&o);
    assert!(
        text.contains("CSAF 2.0") && text.contains("one transaction"),
        "{text}"
    );
    assert!(text.contains("--keep-going"), "{text}");
}

#[test]
fn demo_runs_offline_on_the_shipped_data() {
    let o = run(kensa().arg("demo"));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("$ kensa scan"), "{text}");
    let openssl = text
        .lines()
        .find(|l| l.trim_start().starts_with("openssl 1.0.1f"))
        .unwrap_or_else(|| panic!("no openssl line: {text}"));
    assert!(
        openssl.contains("known exploited: CVE-2014-0160"),
        "{openssl}"
    );
    assert!(text.contains("KNOWN EXPLOITED (CISA KEV)"), "{text}");
    assert!(text.contains("$ kensa vuln search"), "{text}");
    // Triage: the queue starts with a known-exploited finding and its KEV
    // due date (CRA deadlines come from case records, which the demo does
    // not open).
    let queue = text.split("$ kensa queue").nth(1).expect("a queue section");
    let first = queue
        .lines()
        .find(|l| l.contains("rtu-gateway 2.8.1"))
        .unwrap();
    assert!(
        first.contains("Immediate") && first.contains("2022-07-28"),
        "{first}"
    );
    // Assessment: Shellshock's trigger conditions, with an OR group.
    assert!(text.contains("ANY of the following holds:"), "{text}");
    assert!(text.contains("mod_cgi"), "{text}");
    // Monitoring: the PLC identified from the capture, its firmware matched.
    assert!(
        text.contains("Siemens CPU 315-2 PN/DP (6ES7 315-2EH14-0AB0), firmware 3.2.6"),
        "{text}"
    );
    assert!(text.contains("CVE-2015-2177"), "{text}");
}

/// Serves `body` at every path over plain HTTP on 127.0.0.1 for `requests`
/// requests, then stops. Returns the base URL.
fn serve(body: Vec<u8>, requests: usize) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            // Read the request head up to the blank line.
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    url
}

#[test]
fn sync_fetches_kev_from_a_server_and_skips_an_unchanged_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let catalog = std::fs::read(fixture("kev/known_exploited_vulnerabilities.json")).unwrap();
    let url = format!("{}/kev.json", serve(catalog, 2));
    let sync = |db: &Path| {
        run(kensa_db(db).args([
            "db",
            "sync",
            "--source",
            "kev",
            "--kev-url",
            &url,
            "--format",
            "json",
        ]))
    };
    let o = sync(&db);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(kensa_db(&db).args(["db", "stats", "--format", "json"]));
    assert_eq!(json(&o)["kev"], 6);
    // Same catalog version again: nothing to import.
    let o = sync(&db);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = stdout(&o);
    assert!(report.contains("\"inserted\": 0"), "{report}");
}

#[test]
fn scan_reports_explained_findings_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let o = run(kensa_db(&db)
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz")));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(kensa_db(&db)
        .arg("scan")
        .arg(repo("demo/rtu-gateway.cdx.json"))
        .args(["--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let report = json(&o);
    let findings = report["findings"].as_array().unwrap();
    let heartbleed = findings
        .iter()
        .find(|f| f["vulnerability"]["id"] == "CVE-2014-0160")
        .expect("Heartbleed in OpenSSL 1.0.1f");
    assert_eq!(heartbleed["component"]["bom_ref"], "openssl");
    assert_eq!(heartbleed["component"]["version"], "1.0.1f");
    assert_eq!(heartbleed["match"]["method"], "cpe");
    assert!(heartbleed["match"]["confidence"].as_f64().unwrap() > 0.9);
    let matched = heartbleed["match"]["matched"].as_str().unwrap();
    assert!(
        matched.contains("openssl:openssl") && matched.contains("< 1.0.1g"),
        "{matched}"
    );
    assert!(
        heartbleed["match"]["evidence"]
            .as_str()
            .unwrap()
            .contains("1.0.1f")
    );
    // Heartbleed was fixed in 1.0.1g: no finding may claim a later OpenSSL.
    assert!(findings.iter().all(|f| f["component"]["name"] != "openssl"
        || !f["match"]["matched"].as_str().unwrap().contains("1.0.2")));
    assert_eq!(report["summary"]["components"], 13);

    // --min-confidence filters out what resolution is unsure of.
    let o = run(kensa_db(&db)
        .arg("scan")
        .arg(repo("demo/rtu-gateway.cdx.json"))
        .args(["--format", "json", "--min-confidence", "1.0"]));
    assert_eq!(json(&o)["summary"]["findings"], 0);
}

#[test]
fn scan_rejects_what_is_not_an_sbom() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    run(kensa_db(&db)
        .args(["-q", "db", "import"])
        .arg(fixture("nvd/overrides.jsonl")));
    let o = run(kensa_db(&db)
        .arg("scan")
        .arg(fixture("kev/known_exploited_vulnerabilities.json")));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("known_exploited_vulnerabilities.json: not an SBOM"),
        "{err}"
    );
}

#[test]
fn scan_writes_cyclonedx_vdr_and_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let o = run(kensa_db(&db)
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz")));
    assert!(o.status.success(), "{}", stderr(&o));
    let sbom = repo("demo/rtu-gateway.cdx.json");

    let o = run(kensa_db(&db)
        .arg("scan")
        .arg(&sbom)
        .args(["--format", "cyclonedx"]));
    assert!(o.status.success(), "{}", stderr(&o));
    // The VDR is a CycloneDX document our own reader accepts, strictly.
    let parsed = kensa_sbom::parse(&o.stdout, &kensa_sbom::ParseOptions::strict())
        .unwrap_or_else(|e| panic!("VDR rejected: {e}\n{}", stdout(&o)));
    assert!(parsed.components.iter().any(|c| c.bom_ref == "openssl"));
    let vdr = json(&o);
    assert_eq!(vdr["specVersion"], "1.5");
    let components = vdr["components"].as_array().unwrap();
    let refs: Vec<&str> = components
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let vulns = vdr["vulnerabilities"].as_array().unwrap();
    let heartbleed = vulns
        .iter()
        .find(|v| v["id"] == "CVE-2014-0160")
        .expect("Heartbleed in the VDR");
    assert!(
        heartbleed["affects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["ref"] == "openssl")
    );
    for v in vulns {
        for a in v["affects"].as_array().unwrap() {
            assert!(refs.contains(&a["ref"].as_str().unwrap()), "{a}");
        }
    }

    // A light check against the CycloneDX 1.5 schema, where it is at hand.
    let schema_path =
        repo("../shared/data/vuln/cyclonedx-specification/schema/bom-1.5.schema.json");
    if let Ok(bytes) = std::fs::read(&schema_path) {
        let schema: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        for key in schema["required"].as_array().unwrap() {
            assert!(vdr.get(key.as_str().unwrap()).is_some(), "{key} missing");
        }
        let defs = &schema["definitions"];
        let types = defs["component"]["properties"]["type"]["enum"]
            .as_array()
            .unwrap();
        let required = defs["component"]["required"].as_array().unwrap();
        let all = components
            .iter()
            .chain(vdr["metadata"].get("component"))
            .chain(vdr["metadata"]["tools"]["components"].as_array().unwrap());
        for c in all {
            assert!(types.contains(&c["type"]), "{c}");
            for key in required {
                assert!(
                    c.get(key.as_str().unwrap()).is_some(),
                    "{key} missing in {c}"
                );
            }
        }
        let affects_required = defs["vulnerability"]["properties"]["affects"]["items"]["required"]
            .as_array()
            .unwrap();
        let statuses = &defs["affectedStatus"]["enum"];
        for v in vulns {
            for key in v.as_object().unwrap().keys() {
                assert!(
                    defs["vulnerability"]["properties"].get(key).is_some(),
                    "{key} is no vulnerability field"
                );
            }
            for a in v["affects"].as_array().unwrap() {
                for key in affects_required {
                    assert!(
                        a.get(key.as_str().unwrap()).is_some(),
                        "{key} missing in {a}"
                    );
                }
                for ver in a["versions"].as_array().into_iter().flatten() {
                    assert!(
                        statuses.as_array().unwrap().contains(&ver["status"]),
                        "{ver}"
                    );
                }
            }
        }
        let serial = regex_free_uuid(vdr["serialNumber"].as_str().unwrap());
        assert!(serial, "{}", vdr["serialNumber"]);
    }

    let o = run(kensa_db(&db)
        .arg("scan")
        .arg(&sbom)
        .args(["--format", "sarif"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let sarif = json(&o);
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "CVE-2014-0160")
        .expect("Heartbleed result");
    assert_eq!(
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        "openssl"
    );
}

/// `urn:uuid:` and 8-4-4-4-12 lowercase hex, the schema's serialNumber pattern.
fn regex_free_uuid(s: &str) -> bool {
    let Some(u) = s.strip_prefix("urn:uuid:") else {
        return false;
    };
    let lens: Vec<usize> = u.split('-').map(str::len).collect();
    lens == [8, 4, 4, 4, 12]
        && u.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// The demo database: NVD, vulnrichment (SSVC), KEV and CSAF demo data.
fn demo_db(dir: &Path) -> PathBuf {
    let db = dir.join("k.db");
    let o = run(kensa_db(&db).args(["-q", "db", "import"]).args([
        repo("demo/nvd-demo.api2.jsonl.gz"),
        repo("demo/vulnrichment-demo.cve5.jsonl.gz"),
        repo("demo/kev-demo.json"),
        repo("demo/csaf-demo.jsonl.gz"),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    db
}

fn score(f: &serde_json::Value) -> f64 {
    f["triage"]["cvss"]["score"].as_f64().unwrap_or(5.0)
}

#[test]
fn scan_triages_every_finding_and_ranks_kev_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    for profile in [None, Some(repo("demo/rtu-gateway.profile.yaml"))] {
        let mut cmd = kensa_db(&db);
        cmd.arg("scan")
            .arg(repo("demo/rtu-gateway.cdx.json"))
            .args(["--format", "json"]);
        if let Some(p) = &profile {
            cmd.arg("--profile").arg(p);
        }
        let o = run(&mut cmd);
        assert!(o.status.success(), "{}", stderr(&o));
        let report = json(&o);
        let findings = report["findings"].as_array().unwrap();
        assert!(findings.len() > 10);
        for f in findings {
            let t = &f["triage"];
            let p = t["priority"].as_u64().unwrap();
            assert!(p <= 100);
            assert!(t["ssvc"]["decision"].is_string(), "{t}");
            assert!(t["ssvc"]["points"]["exploitation"].is_string(), "{t}");
            assert!(!t["reasons"].as_array().unwrap().is_empty());
        }
        // Sorted by priority, KEV first.
        let priorities: Vec<u64> = findings
            .iter()
            .map(|f| f["triage"]["priority"].as_u64().unwrap())
            .collect();
        assert!(
            priorities.windows(2).all(|w| w[0] >= w[1]),
            "{priorities:?}"
        );
        let first = &findings[0]["triage"];
        assert!(first["kev"]["due_date"].is_string(), "{first}");
        assert!(
            first["reasons"][0]
                .as_str()
                .unwrap()
                .starts_with("actively exploited: in CISA KEV since"),
            "{first}"
        );
        assert_eq!(first["cra"]["early_warning_hours"], 24);
        assert_eq!(first["cra"]["notification_hours"], 72);
        // The evaluation criterion on real data: every KEV finding above every
        // finding neither exploited nor automatable with no higher CVSS.
        let kev: Vec<&serde_json::Value> = findings
            .iter()
            .filter(|f| f["triage"]["kev"].is_object())
            .collect();
        assert_eq!(kev.len(), 4, "the demo's four KEV CVEs are found");
        let calm: Vec<&serde_json::Value> = findings
            .iter()
            .filter(|f| {
                f["triage"]["ssvc"]["points"]["exploitation"] != "active"
                    && f["triage"]["ssvc"]["points"]["automatable"] == "no"
            })
            .collect();
        assert!(!calm.is_empty());
        for k in &kev {
            for c in calm.iter().filter(|c| score(c) <= score(k)) {
                assert!(
                    k["triage"]["priority"].as_u64() > c["triage"]["priority"].as_u64(),
                    "{} does not outrank {}",
                    k["vulnerability"]["id"],
                    c["vulnerability"]["id"]
                );
            }
        }
        assert_eq!(
            report["triage"]["profile"].is_string(),
            profile.is_some(),
            "{}",
            report["triage"]
        );
    }

    // The profile's environment shows in the CVSS it uses.
    let o = run(kensa_db(&db)
        .arg("scan")
        .arg(repo("demo/rtu-gateway.cdx.json"))
        .args(["--format", "json", "--profile"])
        .arg(repo("demo/rtu-gateway.profile.yaml")));
    let report = json(&o);
    let heartbleed = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vulnerability"]["id"] == "CVE-2014-0160")
        .unwrap();
    let cvss = &heartbleed["triage"]["cvss"];
    assert!(
        cvss["environmental_vector"]
            .as_str()
            .unwrap()
            .contains("MAV:A"),
        "{cvss}"
    );

    // People see priority and decision.
    let o = run(kensa_db(&db)
        .arg("scan")
        .arg(repo("demo/rtu-gateway.cdx.json")));
    let text = stdout(&o);
    // A line saying what the scan was matched against, then the table.
    assert!(text.starts_with("matched against"), "{text}");
    let first = text.lines().nth(2).unwrap();
    assert!(
        text.lines().nth(1).unwrap().starts_with("PRIO  DECISION"),
        "{text}"
    );
    assert!(
        first.contains("Immediate") && first.contains("KEV"),
        "{first}"
    );
}

#[test]
fn a_bad_profile_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let profile = dir.path().join("p.yaml");
    std::fs::write(&profile, "system_exposure: internet\n").unwrap();
    let o = run(kensa_db(&db)
        .arg("scan")
        .arg(repo("demo/rtu-gateway.cdx.json"))
        .arg("--profile")
        .arg(&profile));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("p.yaml: system_exposure: unknown variant `internet`, expected one of `small`, `controlled`, `open`"),
        "{err}"
    );
}
