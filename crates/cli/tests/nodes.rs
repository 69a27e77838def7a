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

#[test]
fn a_killed_nodes_upload_is_finished_by_the_other_node_once() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let url = cluster.database();
    let dir = tempfile::tempdir().unwrap();
    let (intel_a, intel_b) = (dir.path().join("a"), dir.path().join("b"));
    ok(node(&url, &intel_a)
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz"))
        .arg(repo("demo/kev-demo.json")));
    ok(node(&url, &intel_a).args(["user", "add", "alice", "--admin", "--no-password"]));
    let created = stdout(&ok(node(&url, &intel_a).args(["token", "create", "alice"])));
    let token = created.lines().last().unwrap().to_string();

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
