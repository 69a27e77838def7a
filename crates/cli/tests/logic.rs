//! `kensa logic extract` as a user runs it: from a record file (NVD and
//! CVE 5), from the database by id, for the whole database, and the errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kensa() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kensa"));
    c.env_remove("KENSA_DB");
    c
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../logic/tests/fixtures")
        .join(name)
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("kensa runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "kensa failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

/// Every condition of a document: (kind, text).
fn conditions(doc: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(n: &serde_json::Value, out: &mut Vec<(String, String)>) {
        if let Some(children) = n.get("children").and_then(|c| c.as_array()) {
            children.iter().for_each(|c| walk(c, out));
        } else {
            out.push((
                n["kind"].as_str().unwrap_or_default().to_string(),
                n["text"].as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    let mut out = Vec::new();
    walk(&doc["logic"], &mut out);
    out
}

fn has(doc: &serde_json::Value, kind: &str, word: &str) -> bool {
    conditions(doc)
        .iter()
        .any(|(k, t)| k == kind && t.to_lowercase().contains(word))
}

#[test]
fn nvd_record_file_gives_one_conditions_document() {
    let o = run(kensa()
        .args(["logic", "extract", "--format", "json", "--record"])
        .arg(fixture("CVE-2012-2373.json")));
    let doc = json(&o);
    assert_eq!(doc["schema"], "kensa.conditions/v1");
    assert_eq!(doc["vulnerability"], "CVE-2012-2373");
    assert_eq!(doc["logic"]["op"], "all");
    assert!(has(&doc, "platform", "x86"), "{doc:#}");
    assert!(
        has(&doc, "configuration", "physical address extension"),
        "{doc:#}"
    );
    assert!(has(&doc, "privileges", "local"), "{doc:#}");
    assert!(has(&doc, "input", "crafted application"), "{doc:#}");
    // AV:L: no network condition.
    assert!(
        !conditions(&doc).iter().any(|(k, _)| k == "network"),
        "{doc:#}"
    );
}

#[test]
fn cve5_record_file_is_read_too() {
    let o = run(kensa()
        .args(["logic", "extract", "--format", "json", "--record"])
        .arg(fixture("CVE-2024-32061.cve5.json")));
    let doc = json(&o);
    assert_eq!(doc["vulnerability"], "CVE-2024-32061");
    assert!(has(&doc, "input", "igs files"), "{doc:#}");
    assert!(has(&doc, "user_interaction", "user"), "{doc:#}");
}

#[test]
fn markdown_is_a_checklist_for_people() {
    let o = run(kensa()
        .args(["logic", "extract", "--record"])
        .arg(fixture("CVE-2012-2373.json")));
    assert!(o.status.success(), "{}", stderr(&o));
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(
        md.starts_with("# CVE-2012-2373: trigger conditions"),
        "{md}"
    );
    assert!(md.contains("**all** of:"), "{md}");
    assert!(md.contains("- [ ] `c2`"), "{md}");
    assert!(
        md.contains("Is Physical Address Extension (PAE) enabled?"),
        "{md}"
    );
}

#[test]
fn bad_record_names_the_file_and_the_json_path() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"id":"CVE-2020-0001","vulnStatus":"x","metrics":{"cvssMetricV2":[{"source":"s"}]}}"#,
    )
    .unwrap();
    let o = run(kensa().args(["logic", "extract", "--record"]).arg(&bad));
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("bad.json") && e.contains("metrics.cvssMetricV2[0]"),
        "{e}"
    );

    // A KEV catalog is intelligence, but not one vulnerability's record.
    let kev = dir.path().join("kev.json");
    std::fs::write(
        &kev,
        r#"{"title":"CISA Catalog of Known Exploited Vulnerabilities","catalogVersion":"2024.01.01","vulnerabilities":[]}"#,
    )
    .unwrap();
    let o = run(kensa().args(["logic", "extract", "--record"]).arg(&kev));
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("expected one vulnerability record")
            && stderr(&o).contains("found CISA KEV catalog"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn record_without_english_description_falls_back_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let es = dir.path().join("es.json");
    std::fs::write(
        &es,
        r#"{"id":"CVE-2020-0002","vulnStatus":"Analyzed",
            "descriptions":[{"lang":"es","value":"Desbordamiento de búfer cuando la opción X está activada."}],
            "metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H","baseScore":8.8}}]}}"#,
    )
    .unwrap();
    let o = run(kensa()
        .args(["logic", "extract", "--format", "json", "--record"])
        .arg(&es));
    let doc = json(&o);
    assert!(
        stderr(&o).contains("no English description"),
        "{}",
        stderr(&o)
    );
    let kinds: Vec<String> = conditions(&doc).into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["network", "privileges"], "{doc:#}");
}

/// A loopback OpenAI-compatible server: answers each of `replies`
/// connections with a recorded chat completion, then stops.
fn llm_server(replies: usize) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let answers = [
        std::fs::read_to_string(fixture("llm/attacker.json")).unwrap(),
        std::fs::read_to_string(fixture("llm/reachability.json")).unwrap(),
    ];
    std::thread::spawn(move || {
        for i in 0..replies {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let text = &answers[i % 2];
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    url
}

#[test]
fn llm_extractor_over_an_openai_compatible_api_and_its_fallback() {
    let record = fixture("CVE-2012-2373.json");
    let o = run(kensa()
        .args([
            "logic",
            "extract",
            "--extractor",
            "llm",
            "--format",
            "json",
            "--record",
        ])
        .arg(&record)
        .env("KENSA_LLM_BASE_URL", llm_server(2))
        .env("KENSA_LLM_MODEL", "local-test"));
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = json(&o);
    assert_eq!(doc["extractor"], "llm:local-test", "{doc}");
    assert!(!conditions(&doc).is_empty());

    // Nothing listening: the offline rules, with a warning saying why.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    let o = run(kensa()
        .args([
            "logic",
            "extract",
            "--extractor",
            "llm",
            "--format",
            "json",
            "--record",
        ])
        .arg(&record)
        .env("KENSA_LLM_BASE_URL", url)
        .env("KENSA_LLM_MODEL", "local-test"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning:"), "{}", stderr(&o));
    assert!(json(&o)["extractor"].as_str().unwrap().starts_with("rules"));

    // No endpoint configured: a clear error.
    let o = run(kensa()
        .args(["logic", "extract", "--extractor", "llm", "--record"])
        .arg(&record)
        .env_remove("KENSA_LLM_BASE_URL")
        .env_remove("KENSA_LLM_MODEL"));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("KENSA_LLM_BASE_URL"), "{}", stderr(&o));
}

#[test]
fn by_id_from_the_database_and_all_into_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let o = run(kensa()
        .arg("--db")
        .arg(&db)
        .args(["db", "import"])
        .arg(fixture("CVE-2012-2373.json"))
        .arg(fixture("CVE-2024-32061.cve5.json")));
    assert!(o.status.success(), "import: {}", stderr(&o));

    let by_id = json(&run(kensa().arg("--db").arg(&db).args([
        "logic",
        "extract",
        "CVE-2012-2373",
        "--format",
        "json",
    ])));
    let by_file = json(&run(kensa()
        .args(["logic", "extract", "--format", "json", "--record"])
        .arg(fixture("CVE-2012-2373.json"))));
    assert_eq!(by_id, by_file, "the database holds the same record");

    let missing = run(kensa()
        .arg("--db")
        .arg(&db)
        .args(["logic", "extract", "CVE-1999-0001"]));
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("not in the database"),
        "{}",
        stderr(&missing)
    );

    let out = dir.path().join("out");
    let o = run(kensa()
        .arg("--db")
        .arg(&db)
        .args(["logic", "extract", "--all", "--out"])
        .arg(&out));
    assert!(o.status.success(), "{}", stderr(&o));
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["CVE-2012-2373.json", "CVE-2024-32061.json"]);
    let all_doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("CVE-2012-2373.json")).unwrap()).unwrap();
    assert_eq!(all_doc, by_file);
    assert!(
        stderr(&o).contains("extracted 2 vulnerabilities"),
        "{}",
        stderr(&o)
    );

    // The same documents as JSON Lines, in id order.
    let lines = dir.path().join("all.jsonl");
    let o = run(kensa()
        .arg("--db")
        .arg(&db)
        .args(["logic", "extract", "--all", "--out"])
        .arg(&lines));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&lines).unwrap();
    let docs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0], by_file);
    assert_eq!(docs[1]["vulnerability"], "CVE-2024-32061");
}
