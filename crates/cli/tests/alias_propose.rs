//! `kensa alias propose` against a loopback OpenAI-compatible server that
//! answers from canned chat completions keyed by the component named in
//! the request (tests/fixtures/llm-propose/NAME.json; any other name gets
//! HTTP 500). A proposal among the database's products is shown with its
//! reasoning and the command that confirms it; a product the database does
//! not hold is rejected; broken answers and failed requests are reported
//! per component; nothing is found until a person confirms.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use support::*;

/// The request bodies the server received, by component name.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

fn serve() -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || answer(stream, &log));
        }
    });
    (url, seen)
}

fn answer(stream: TcpStream, log: &Seen) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("POST /v1/chat/completions "), "{line}");
    let mut length = 0;
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    let prompt = body["messages"][1]["content"].as_str().unwrap_or("");
    let name = prompt
        .lines()
        .find_map(|l| l.strip_prefix("Name: "))
        .unwrap_or("")
        .to_string();
    log.lock().unwrap().push((name.clone(), body));
    let file = fixtures().join(format!("{name}.json"));
    let (status, text) = match std::fs::read_to_string(&file) {
        Ok(t) => (200, t),
        Err(_) => (
            500,
            r#"{"error": {"message": "model overloaded"}}"#.to_string(),
        ),
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/llm-propose")
}

fn sbom(dir: &Path) -> PathBuf {
    let path = dir.join("fw.cdx.json");
    let doc = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [
            {"type": "application", "bom-ref": "ssh", "name": "dropbear", "version": "2014.63",
             "supplier": {"name": "Matt Johnston"}},
            {"type": "library", "bom-ref": "fips", "name": "fips-openssl-provider", "version": "3.0.8"},
            {"type": "application", "bom-ref": "web", "name": "lightttpd", "version": "1.4.35"},
            {"type": "application", "bom-ref": "dl", "name": "curl-minimal", "version": "7.61.1"},
            {"type": "application", "bom-ref": "own", "name": "zzqx-telemetry-agent", "version": "1.0"},
        ],
    });
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

/// `kensa_db` with the model configured through the environment.
fn with_llm(db: &Path, url: &str) -> std::process::Command {
    let mut c = kensa_db(db);
    c.env("KENSA_LLM_BASE_URL", url)
        .env("KENSA_LLM_MODEL", "qwen2.5-7b-instruct")
        .env("KENSA_LLM_TIMEOUT_SECS", "20");
    c
}

fn by_name<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["component"]["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {report}"))
}

/// The findings of one bom-ref in a scan-shaped report: (id, method).
fn findings_of(report: &Value, bom_ref: &str) -> Vec<(String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["component"]["bom_ref"] == bom_ref)
        .map(|f| {
            (
                f["vulnerability"]["id"].as_str().unwrap().to_string(),
                f["match"]["method"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A POSIX shell's words of a command that quotes with `'` and `\`.
fn shell_words(s: &str) -> Vec<String> {
    let (mut words, mut word, mut any) = (Vec::new(), String::new(), false);
    let (mut quoted, mut escaped) = (false, false);
    for c in s.chars() {
        if escaped {
            word.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\'' => (quoted, any) = (!quoted, true),
            '\\' if !quoted => escaped = true,
            c if c.is_whitespace() && !quoted => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => word.push(c),
        }
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    words
}

#[test]
fn proposals_are_suggestions_until_a_person_confirms_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let fw = sbom(dir.path());
    let (url, seen) = serve();
    let scan = || {
        json(&ok(kensa_db(&db)
            .args(["-q", "scan"])
            .arg(&fw)
            .args(["--format", "json"])))
    };
    assert!(
        findings_of(&scan(), "ssh").is_empty(),
        "unresolved at first"
    );

    let o = run(with_llm(&db, &url)
        .args(["alias", "propose", "--sbom"])
        .arg(&fw)
        .args(["--format", "json", "--jobs", "3"]));
    // One request failed (HTTP 500), one answer was not JSON: exit 1, and
    // every other component is still reported.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let report = json(&o);
    assert_eq!(report["model"], "llm:qwen2.5-7b-instruct");

    let ssh = by_name(&report, "dropbear");
    assert_eq!(ssh["outcome"], "proposed", "{ssh}");
    assert_eq!(ssh["vendor"], "dropbear_ssh_project");
    assert_eq!(ssh["product"], "dropbear_ssh");
    assert_eq!(ssh["on_shortlist"], true);
    assert!(
        ssh["reasoning"]
            .as_str()
            .unwrap()
            .contains("year.release numbering"),
        "{ssh}"
    );
    let confirm = ssh["confirm"].as_str().unwrap();
    assert!(
        confirm.starts_with("kensa alias add dropbear dropbear_ssh_project:dropbear_ssh --note "),
        "{confirm}"
    );

    let fips = by_name(&report, "fips-openssl-provider");
    assert_eq!(fips["outcome"], "rejected", "{fips}");
    assert!(
        fips["why"]
            .as_str()
            .unwrap()
            .contains("openssl:fips_provider, which no record in the database names"),
        "{fips}"
    );
    assert!(fips.get("confirm").is_none(), "{fips}");
    // Its only candidate came from the wider search: a word of the name.
    assert!(
        fips["shortlist"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["vendor"] == "openssl"
                && c["why"]
                    .as_str()
                    .unwrap()
                    .contains("a word of the component's name")),
        "{fips}"
    );
    assert!(
        stderr(&o).contains("warning: fips-openssl-provider: rejected"),
        "{}",
        stderr(&o)
    );

    let web = by_name(&report, "lightttpd");
    assert_eq!(web["outcome"], "failed", "{web}");
    assert!(web["error"].as_str().unwrap().contains("not JSON"), "{web}");
    let dl = by_name(&report, "curl-minimal");
    assert_eq!(dl["outcome"], "failed", "{dl}");
    assert!(dl["error"].as_str().unwrap().contains("HTTP 500"), "{dl}");
    let own = by_name(&report, "zzqx-telemetry-agent");
    assert_eq!(own["outcome"], "no_candidates", "{own}");

    // What the model was sent: the facts, the shortlist, the strict format;
    // nothing for a component without candidates.
    let seen = seen.lock().unwrap().clone();
    let mut names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "curl-minimal",
            "dropbear",
            "fips-openssl-provider",
            "lightttpd"
        ]
    );
    let (_, body) = seen.iter().find(|(n, _)| n == "dropbear").unwrap();
    assert_eq!(body["model"], "qwen2.5-7b-instruct");
    let prompt = body["messages"][1]["content"].as_str().unwrap();
    assert!(prompt.contains("Supplier: Matt Johnston"), "{prompt}");
    assert!(
        prompt.contains("dropbear_ssh_project:dropbear_ssh ("),
        "{prompt}"
    );
    assert_eq!(
        body["response_format"]["json_schema"]["schema"]["required"],
        json!(["vendor", "product", "confidence", "reasoning"])
    );

    // Nothing was stored, nothing was found.
    let aliases = json(&ok(
        kensa_db(&db).args(["alias", "list", "--format", "json"])
    ));
    assert_eq!(aliases, json!([]));
    assert!(findings_of(&scan(), "ssh").is_empty());

    // A stored product: the same proposals, for people.
    ok(kensa_db(&db)
        .args(["-q", "product", "add", "gw", "--version", "1", "--sbom"])
        .arg(&fw));
    let o = run(with_llm(&db, &url).args(["alias", "propose", "--product", "gw"]));
    let text = stdout(&o);
    assert!(
        text.contains("proposed: dropbear_ssh_project:dropbear_ssh (confidence 0.86)"),
        "{text}"
    );
    assert!(
        text.contains("reasoning: Dropbear is the SSH server"),
        "{text}"
    );
    assert!(text.contains(&format!("confirm: {confirm}")), "{text}");
    assert!(
        text.contains("1 proposed") && text.contains("2 failed"),
        "{text}"
    );
    assert!(text.contains("a proposal is not a finding"), "{text}");
    let product_findings = || {
        json(&ok(
            kensa_db(&db).args(["product", "show", "gw", "--format", "json"])
        ))
    };
    assert!(findings_of(&product_findings(), "ssh").is_empty());

    // A person confirms with the command shown: the rescan finds.
    let words = shell_words(confirm);
    assert_eq!(words[0], "kensa");
    ok(kensa_db(&db).arg("-q").args(&words[1..]));
    let found = findings_of(&product_findings(), "ssh");
    assert!(!found.is_empty(), "the confirmed alias produces findings");
    assert!(found.iter().all(|(_, m)| m == "confirmed"), "{found:?}");
    assert_eq!(findings_of(&scan(), "ssh"), found, "ad-hoc scans too");
    let aliases = json(&ok(
        kensa_db(&db).args(["alias", "list", "--format", "json"])
    ));
    assert!(
        aliases[0]["note"]
            .as_str()
            .unwrap()
            .contains("proposed by llm:qwen2.5-7b-instruct"),
        "{aliases}"
    );
}

#[test]
fn without_a_model_the_error_says_how_to_configure_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let e = stderr(&fails(
        kensa_db(&db)
            .env_remove("KENSA_LLM_BASE_URL")
            .env_remove("KENSA_LLM_MODEL")
            .args(["alias", "propose", "--product", "gw"]),
    ));
    assert!(
        e.contains("--llm-config FILE") && e.contains("KENSA_LLM_BASE_URL and KENSA_LLM_MODEL"),
        "{e}"
    );
    let e = stderr(&fails(
        kensa_db(&db)
            .env("KENSA_LLM_BASE_URL", "http://127.0.0.1:9/v1")
            .env_remove("KENSA_LLM_MODEL")
            .args(["alias", "propose", "--product", "gw"]),
    ));
    assert!(e.contains("KENSA_LLM_MODEL is not"), "{e}");
}

#[test]
fn the_shell_words_of_a_confirm_command() {
    assert_eq!(
        shell_words(r"kensa alias add 'it'\''s x' a:b --note 'p q'"),
        ["kensa", "alias", "add", "it's x", "a:b", "--note", "p q"]
    );
}
