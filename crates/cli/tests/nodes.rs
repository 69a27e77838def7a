//! Two `kensa serve` processes on one PostgreSQL database, as a company
//! runs them behind a load balancer: a write on one is read on the other,
//! and the job of a node killed in the middle of it is finished by the
//! other node, once.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kensa_testpg::Cluster;
use serde_json::Value;
use support::*;

fn node(url: &str, intel: &Path) -> Command {
    let mut c = kensa();
    c.env_remove("KENSA_INTEL")
        .arg("--db")
        .arg(url)
        .arg("--intel")
        .arg(intel);
    c
}

/// A server process and its address; killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(url: &str, intel: &Path, pause_ms: Option<u64>) -> Server {
    serve_with(url, intel, pause_ms, &[])
}

fn serve_with(url: &str, intel: &Path, pause_ms: Option<u64>, extra: &[&str]) -> Server {
    let mut cmd = node(url, intel);
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--job-lease",
        "2",
        "--upload-wait",
        "1",
    ])
    .args(extra)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    if let Some(ms) = pause_ms {
        cmd.env("KENSA_TEST_JOB_PAUSE_MS", ms.to_string());
    }
    let mut child = cmd.spawn().expect("kensa serve starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let ready = lines
        .next()
        .expect("a line on stderr")
        .expect("readable stderr");
    let base = ready
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {ready:?}"))
        .trim_end_matches('/')
        .to_string();
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, base }
}

fn get(base: &str, path: &str, token: &str) -> Value {
    ureq::get(&format!("{base}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
        .body_mut()
        .read_to_string()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap()
}

/// A fresh database with the demo intelligence imported (and published)
/// on node a, and an admin's API token.
fn deployment(dir: &Path) -> Option<(String, String)> {
    let url = Cluster::shared()?.database();
    ok(node(&url, &dir.join("a"))
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz"))
        .arg(repo("demo/kev-demo.json")));
    ok(node(&url, &dir.join("a")).args(["user", "add", "alice", "--admin", "--no-password"]));
    let created = stdout(&ok(
        node(&url, &dir.join("a")).args(["token", "create", "alice"])
    ));
    Some((url, created.lines().last().unwrap().to_string()))
}

fn put(base: &str, path: &str, token: &str, etag: Option<&str>, body: &str) -> u16 {
    let mut request = ureq::put(&format!("{base}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json");
    if let Some(etag) = etag {
        request = request.header("If-Match", etag);
    }
    match request.send(body) {
        Ok(r) => r.status().as_u16(),
        Err(ureq::Error::StatusCode(code)) => code,
        Err(e) => panic!("PUT {path}: {e}"),
    }
}

#[test]
fn a_killed_nodes_upload_is_finished_by_the_other_node_once() {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, token)) = deployment(dir.path()) else {
        return;
    };
    let (intel_a, intel_b) = (dir.path().join("a"), dir.path().join("b"));

    // Node A holds every job 4 s before working on it; node B does not.
    let a = serve(&url, &intel_a, Some(4000));
    let b = serve(&url, &intel_b, None);
    let sbom = std::fs::read(repo("demo/rtu-gateway.cdx.json")).unwrap();
    let mut response = ureq::post(&format!("{}/api/v1/products/gw/versions/1.0/sbom", a.base))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(&sbom[..])
        .expect("upload accepted");
    assert_eq!(
        response.status(),
        202,
        "still paused: answered with the job"
    );
    let accepted: Value =
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
    let job = accepted["job"].as_i64().unwrap();

    // Node B reads what node A wrote at once.
    let seen = get(&b.base, &format!("/api/v1/jobs/{job}"), &token);
    assert_eq!(seen["state"], "running", "{seen}");
    drop(a); // killed in the middle of the job

    let deadline = Instant::now() + Duration::from_secs(40);
    let finished = loop {
        let j = get(&b.base, &format!("/api/v1/jobs/{job}"), &token);
        if j["state"] == "done" || j["state"] == "failed" {
            break j;
        }
        assert!(Instant::now() < deadline, "job not taken over: {j}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(finished["state"], "done", "{finished}");
    assert_eq!(finished["attempts"], 2, "{finished}");
    assert_eq!(finished["result"]["product"], "gw");

    let product = get(&b.base, "/api/v1/products/gw", &token);
    assert_eq!(
        product["versions"].as_array().map(Vec::len),
        Some(1),
        "{product}"
    );
    let findings = get(&b.base, "/api/v1/products/gw/findings", &token);
    assert!(
        findings["items"].as_array().is_some_and(|i| !i.is_empty()),
        "{findings}"
    );
    // Stored once: one audited add however many nodes ran the job.
    let audit = stdout(&ok(node(&url, &intel_b).args(["audit", "--format", "json"])));
    let adds = serde_json::from_str::<Value>(&audit)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "product.version.add")
        .count();
    assert_eq!(adds, 1, "{audit}");

    // An import published without a rescan: the nodes pick it up and one
    // of them (the lease holder) brings the findings up to date.
    ok(node(&url, &intel_a)
        .args(["-q", "db", "import", "--no-rescan"])
        .arg(repo("demo/csaf-demo.jsonl.gz")));
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let published: i64 = raw
        .query_one(
            "SELECT import_id FROM intel_publications ORDER BY generation DESC LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let cursor: Option<String> = raw
            .query_opt(
                "SELECT value FROM meta WHERE key = 'portfolio.scanned_through_import'",
                &[],
            )
            .unwrap()
            .map(|r| r.get(0));
        if cursor.as_deref() == Some(published.to_string().as_str()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "findings not brought up to date: {cursor:?} < {published}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(b);
}

const ANSWER: &str =
    r#"{"answers": {"c2": {"answer": "no", "note": "no CGI"}}, "note": "checked"}"#;

/// Eight clients spread over two nodes saving one assessment: every save
/// a revision of its own, each audited once; eight writers based on the
/// same revision: one wins, seven are told it moved on (412).
#[test]
fn eight_clients_over_two_nodes_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, token)) = deployment(dir.path()) else {
        return;
    };
    ok(node(&url, &dir.path().join("a"))
        .args(["-q", "product", "add", "gw", "--version", "1.0", "--sbom"])
        .arg(repo("demo/rtu-gateway.cdx.json")));
    let nodes = [
        serve(&url, &dir.path().join("a"), None),
        serve(&url, &dir.path().join("b"), None),
    ];
    let path = "/api/v1/products/gw/assessments/CVE-2014-6271";
    std::thread::scope(|s| {
        for i in 0..8 {
            let (base, token) = (&nodes[i % 2].base, &token);
            s.spawn(move || {
                for _ in 0..5 {
                    assert_eq!(put(base, path, token, None, ANSWER), 200);
                }
            });
        }
    });
    let stored = get(&nodes[1].base, path, &token);
    assert_eq!(stored["version"], 40, "{stored}");
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let count =
        |raw: &mut postgres::Client, sql: &str| -> i64 { raw.query_one(sql, &[]).unwrap().get(0) };
    assert_eq!(
        count(&mut raw, "SELECT count(*) FROM assessment_history"),
        40
    );
    assert_eq!(
        count(
            &mut raw,
            "SELECT count(*) FROM audit WHERE action = 'assessment.save'"
        ),
        40
    );

    let etag = "\"40\"";
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let (base, token) = (&nodes[i % 2].base, &token);
                s.spawn(move || put(base, path, token, Some(etag), ANSWER))
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&c| c == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&c| c == 412).count(),
        7,
        "{statuses:?}"
    );
}

/// The database lost while serving: requests get 503 with a problem
/// document, and the node serves again once the database is back.
#[test]
fn a_lost_database_is_503_until_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, token)) = deployment(dir.path()) else {
        return;
    };
    let server = serve(&url, &dir.path().join("a"), None);
    assert_eq!(
        get(&server.base, "/api/v1/products", &token)["items"],
        serde_json::json!([])
    );
    let name = url.rsplit('/').next().unwrap().to_string();
    let admin_url = url.rsplit_once('/').unwrap().0.to_string() + "/postgres";
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .unwrap();
    let response = ureq::get(&format!("{}/api/v1/products", server.base))
        .header("Authorization", &format!("Bearer {token}"))
        .config()
        .http_status_as_error(false)
        .build()
        .call()
        .unwrap();
    assert_eq!(response.status(), 503);
    let kind = response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(kind, "application/problem+json");

    admin
        .batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .unwrap();
    // A connection the outage killed is found out when it is used: at most
    // a request or two more may get 503 before every one is replaced.
    let served = (0..5).any(|_| {
        let status = ureq::get(&format!("{}/api/v1/products", server.base))
            .header("Authorization", &format!("Bearer {token}"))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap()
            .status();
        std::thread::sleep(Duration::from_millis(200));
        status == 200
    });
    assert!(served, "still 503 after the database came back");
}

/// Serves `body` on loopback to every request; returns its URL.
fn serve_file(body: Vec<u8>) -> String {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/kev.json", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    url
}

/// A scheduled sync on one node: the other node serves what it imported
/// (the publication), and the CRA case the new evidence calls for is
/// opened once, in the shared team state.
#[test]
fn a_scheduled_sync_on_one_node_is_seen_by_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, token)) = deployment(dir.path()) else {
        return;
    };
    let intel_a = dir.path().join("a");
    ok(node(&url, &intel_a)
        .args(["-q", "product", "add", "gw", "--version", "1.0", "--sbom"])
        .arg(repo("demo/rtu-gateway.cdx.json")));
    ok(node(&url, &intel_a).args([
        "-q",
        "cra",
        "market",
        "gw",
        "--on-market",
        "--member-states",
        "DE",
    ]));
    let mut kev: Value =
        serde_json::from_slice(&std::fs::read(repo("demo/kev-demo.json")).unwrap()).unwrap();
    kev["vulnerabilities"].as_array_mut().unwrap().push(serde_json::json!({
        "cveID": "CVE-2014-6277", "vendorProject": "GNU", "product": "Bash",
        "vulnerabilityName": "GNU Bash Remote Code Execution Vulnerability",
        "dateAdded": "2026-11-30", "shortDescription": "Bash parses function definitions badly.",
        "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2026-12-21",
        "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []
    }));
    let kev_url = serve_file(serde_json::to_vec(&kev).unwrap());

    let _a = serve_with(
        &url,
        &intel_a,
        None,
        &[
            "--sync-every",
            "3s",
            "--source",
            "kev",
            "--kev-url",
            &kev_url,
            "--max-attempts",
            "1",
        ],
    );
    let b = serve_with(&url, &dir.path().join("b"), None, &["--intel-poll", "1"]);
    let listed_on_b =
        || {
            let findings = get(&b.base, "/api/v1/products/gw/findings?limit=500", &token);
            findings["items"].as_array().into_iter().flatten().any(|f| {
                f["vulnerability"]["id"] == "CVE-2014-6277" && !f["triage"]["kev"].is_null()
            })
        };
    let deadline = Instant::now() + Duration::from_secs(90);
    while !listed_on_b() {
        assert!(
            Instant::now() < deadline,
            "node b never served the synced KEV entry: {}",
            get(&b.base, "/api/v1/products/gw/findings?limit=500", &token)
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    let cases = json(&ok(
        node(&url, &dir.path().join("b")).args(["cra", "list", "--format", "json"])
    ));
    let opened: Vec<&Value> = cases
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["vulnerability"] == "CVE-2014-6277")
        .collect();
    assert_eq!(opened.len(), 1, "{cases}");
    assert_eq!(opened[0]["opened_by"], "kensa");
}
