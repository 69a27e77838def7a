//! The team commands as an operator runs them: users, teams, grants,
//! tokens, the audit trail, and `kensa serve` answering with what they set.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn kensa(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kensa"));
    c.env_remove("KENSA_DB")
        .env("USER", "ops")
        .arg("--db")
        .arg(db);
    c
}

fn run_with_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn ok(cmd: &mut Command) -> Output {
    let o = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn fails(cmd: &mut Command) -> String {
    let o = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        !o.status.success(),
        "expected a failure: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A database with the demo's NVD and KEV data and the gateway in team red.
fn setup(dir: &Path) -> PathBuf {
    let db = dir.join("team.db");
    ok(kensa(&db)
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz"))
        .arg(repo("demo/kev-demo.json")));
    ok(kensa(&db).args(["team", "add", "red"]));
    ok(kensa(&db)
        .args([
            "-q",
            "product",
            "add",
            "gw",
            "--version",
            "1.0",
            "--team",
            "red",
            "--sbom",
        ])
        .arg(repo("demo/rtu-gateway.cdx.json")));
    db
}

#[test]
fn users_grants_tokens_and_the_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let o = run_with_stdin(
        kensa(&db).args(["user", "add", "alice", "--password-stdin"]),
        "a long password\n",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ok(kensa(&db).args(["user", "add", "ci-bot", "--no-password"]));
    // No terminal and no --password-stdin: say how instead of hanging.
    let e = fails(kensa(&db).args(["user", "add", "carol"]));
    assert!(
        e.contains("--password-stdin") && e.contains("--no-password"),
        "{e}"
    );
    let e = fails(&mut run_cmd(
        &db,
        &["user", "add", "alice", "--no-password"],
    ));
    assert!(e.contains("already exists"), "{e}");
    let o = run_with_stdin(
        kensa(&db).args(["user", "add", "dave", "--password-stdin"]),
        "short\n",
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("at least 8"),
        "a short password is refused"
    );

    ok(kensa(&db).args(["grant", "alice", "analyst", "--team", "red"]));
    ok(kensa(&db).args(["grant", "ci-bot", "admin", "--product", "gw"]));
    let e = fails(kensa(&db).args(["grant", "alice", "owner", "--team", "red"]));
    assert!(e.contains("viewer, analyst, approver, admin"), "{e}");
    let e = fails(kensa(&db).args(["grant", "alice", "viewer", "--product", "nope"]));
    assert!(e.contains("no product nope"), "{e}");
    let e = fails(kensa(&db).args(["grant", "alice", "viewer"]));
    assert!(
        e.contains("--product") || e.contains("required"),
        "a scope is required: {e}"
    );

    // The token is the last line of stdout, shown once; lists never show it.
    let o = ok(kensa(&db).args([
        "token",
        "create",
        "alice",
        "--label",
        "laptop",
        "--expires",
        "30",
    ]));
    let out = stdout(&o);
    let token = out.lines().last().unwrap().to_string();
    assert!(token.starts_with("kensa_") && token.len() > 40, "{out}");
    let list = stdout(&ok(kensa(&db).args(["token", "list", "--format", "json"])));
    assert!(list.contains("laptop") && !list.contains(&token));
    let users: serde_json::Value =
        serde_json::from_slice(&ok(kensa(&db).args(["user", "list", "--format", "json"])).stdout)
            .unwrap();
    let alice = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "alice")
        .unwrap();
    assert_eq!(alice["grants"][0]["role"], "analyst");
    assert_eq!(alice["grants"][0]["scope"], "team");
    assert_eq!(alice["has_password"], true);

    ok(kensa(&db).args(["revoke", "alice", "analyst", "--team", "red"]));
    let e = fails(kensa(&db).args(["revoke", "alice", "--team", "red"]));
    assert!(e.contains("holds no grant"), "{e}");

    // Every write above is in the trail, newest first, as CSV and JSON.
    let csv = stdout(&ok(kensa(&db).args(["audit", "--format", "csv"])));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,at,actor,via,action,object,product,client,change"
    );
    let actions: Vec<&str> = lines.map(|l| l.split(',').nth(4).unwrap()).collect();
    for a in [
        "team.add",
        "product.version.add",
        "user.add",
        "grant.add",
        "token.create",
        "grant.remove",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert_eq!(actions[0], "grant.remove");
    let json: serde_json::Value = serde_json::from_slice(
        &ok(kensa(&db).args(["audit", "--product", "gw", "--format", "json"])).stdout,
    )
    .unwrap();
    let rows = json.as_array().unwrap();
    assert!(rows.iter().all(|r| r["product"] == "gw"));
    assert!(
        rows.iter()
            .any(|r| r["action"] == "grant.add" && r["change"]["after"] == "admin")
    );
    assert_eq!(rows[0]["actor"], "cli:ops");
}

fn run_cmd(db: &Path, args: &[&str]) -> Command {
    let mut c = kensa(db);
    c.args(args);
    c
}

#[test]
fn serve_answers_with_what_the_cli_set_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let o = run_with_stdin(
        kensa(&db).args(["user", "add", "vera", "--password-stdin"]),
        "a long password\n",
    );
    assert!(o.status.success());
    ok(kensa(&db).args(["grant", "vera", "viewer", "--team", "red"]));
    let token = stdout(&ok(kensa(&db).args(["token", "create", "vera"])))
        .lines()
        .last()
        .unwrap()
        .to_string();
    let mut server = kensa(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .get(&format!("http://{addr}/api/v1/products"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value =
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(body["items"][0]["name"], "gw");
    assert_eq!(body["items"][0]["role"], "viewer");
    Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    let status = server.wait().unwrap();
    assert!(
        status.success(),
        "kensa serve exits cleanly on SIGTERM: {status}"
    );
}

#[test]
fn serve_refuses_bad_options_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let e = fails(kensa(&db).args(["serve", "--max-body", "lots"]));
    assert!(e.contains("not a size"), "{e}");
    let e = fails(kensa(&db).args([
        "serve",
        "--tls-cert",
        "/nonexistent.pem",
        "--tls-key",
        "/nonexistent.key",
        "--listen",
        "127.0.0.1:0",
    ]));
    assert!(e.contains("/nonexistent.pem"), "{e}");
}

#[test]
fn serve_over_tls_marks_cookies_secure() {
    let (Ok(_), Ok(_)) = (
        Command::new("openssl").arg("version").output(),
        Command::new("curl").arg("--version").output(),
    ) else {
        eprintln!("skipping the TLS test: openssl or curl is missing");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut server = kensa(&db)
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .split("https://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    let out = Command::new("curl")
        .args(["-s", "-i", "--cacert"])
        .arg(&cert)
        .arg(format!("https://localhost:{port}/login"))
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout);
    assert!(head.starts_with("HTTP/"), "{head}");
    let cookie = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie"))
        .unwrap_or("");
    assert!(
        cookie.contains("Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn assess_with_product_stores_the_verdict_with_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let answers = dir.path().join("answers.yaml");
    std::fs::write(
        &answers,
        "answers:\n  c2:\n    answer: no\n    note: no CGI\n",
    )
    .unwrap();
    let run = |note: &str| {
        let o = ok(kensa(&db)
            .args([
                "assess",
                "CVE-2014-6271",
                "--product",
                "gw",
                "--format",
                "json",
                "--note",
                note,
                "--answers",
            ])
            .arg(&answers));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let first = run("first look");
    assert_eq!(first["verdict"], "not_affected");
    assert_eq!(first["version"], 1);
    assert_eq!(first["saved_by"], "cli:ops");
    assert_eq!(
        run("second look")["version"],
        2,
        "each save is a new revision"
    );
    let trail = stdout(&ok(kensa(&db).args(["audit", "--product", "gw"])));
    assert_eq!(trail.matches("assessment.save").count(), 2, "{trail}");
    // Without the product, nothing is stored; with an unknown one, an error.
    let e = fails(
        kensa(&db)
            .args(["assess", "CVE-2014-6271", "--product", "nope", "--answers"])
            .arg(&answers),
    );
    assert!(e.contains("no product nope"), "{e}");
    std::fs::write(&answers, "answers:\n  c99: no\n").unwrap();
    let e = fails(
        kensa(&db)
            .args(["assess", "CVE-2014-6271", "--product", "gw", "--answers"])
            .arg(&answers),
    );
    assert!(e.contains("c99") && e.contains("answers file"), "{e}");
}
