//! Every command on a PostgreSQL database, as a company's nodes run them:
//! the same results as on the SQLite file, an import on one node seen by
//! another, and clear errors when the server cannot be used.

mod support;

use std::path::Path;
use std::process::Command;

use kensa_testpg::Cluster;
use serde_json::Value;
use support::*;

/// `kensa --db URL --intel DIR`: one node.
fn node(url: &str, intel: &Path) -> Command {
    let mut c = kensa();
    c.env_remove("KENSA_INTEL")
        .arg("--db")
        .arg(url)
        .arg("--intel")
        .arg(intel);
    c
}

fn json(cmd: &mut Command) -> Value {
    serde_json::from_slice(&ok(cmd).stdout).expect("JSON output")
}

/// The demo flow on any backend: import, a product, its queue, a stored
/// verdict; returns what a reader sees.
fn demo_flow(k: &dyn Fn() -> Command, dir: &Path) -> (Value, Value, Value) {
    ok(k()
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz"))
        .arg(repo("demo/kev-demo.json")));
    ok(k()
        .args(["-q", "product", "add", "gw", "--version", "1.0", "--sbom"])
        .arg(repo("demo/rtu-gateway.cdx.json")));
    let answers = dir.join("shellshock.yaml");
    std::fs::write(
        &answers,
        "answers:\n  c2:\n    answer: no\n    note: no CGI\n",
    )
    .unwrap();
    ok(k()
        .args(["assess", "CVE-2014-6271", "--product", "gw", "--answers"])
        .arg(&answers));
    let queue = json(k().args(["queue", "--format", "json"]));
    let products = json(k().args(["product", "list", "--format", "json"]));
    let shown = json(k().args(["product", "show", "gw", "--format", "json"]));
    (queue, products, shown)
}

/// Fields that differ between any two runs (times, generated ids).
fn stable(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for key in [
                    "added_at",
                    "timestamp",
                    "last_updated",
                    "@id",
                    "saved_at",
                    "database",
                    "path",
                    "generated_at",
                ] {
                    map.remove(key);
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn the_demo_flow_gives_the_same_answers_on_postgres_as_on_sqlite() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let url = cluster.database();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let on_sqlite = demo_flow(&|| kensa_db(&db), dir.path());
    let intel_a = dir.path().join("node-a");
    let on_postgres = demo_flow(&|| node(&url, &intel_a), dir.path());
    assert!(
        on_postgres.0.as_array().is_some_and(|a| !a.is_empty()),
        "{}",
        on_postgres.0
    );
    assert_eq!(stable(on_postgres.0.clone()), stable(on_sqlite.0), "queue");
    assert_eq!(
        stable(on_postgres.1.clone()),
        stable(on_sqlite.1),
        "products"
    );
    assert_eq!(
        stable(on_postgres.2.clone()),
        stable(on_sqlite.2),
        "product show"
    );

    // Another node sees the team's state and the published intelligence.
    let intel_b = dir.path().join("node-b");
    let queue_b = json(node(&url, &intel_b).args(["queue", "--format", "json"]));
    assert_eq!(stable(queue_b), stable(on_postgres.0));
    let shown = stdout(&ok(node(&url, &intel_b).args([
        "vuln",
        "show",
        "CVE-2014-6271",
    ])));
    assert!(shown.contains("CVE-2014-6271"), "{shown}");
}

#[test]
fn accounts_grants_tokens_and_the_audit_trail_live_in_postgres() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let url = cluster.database();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    ok(node(&url, &a).args(["team", "add", "red"]));
    ok(node(&url, &a).args(["user", "add", "ci-bot", "--no-password"]));
    ok(node(&url, &b)
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
    ok(node(&url, &b).args(["grant", "ci-bot", "analyst", "--team", "red"]));
    ok(node(&url, &a).args(["token", "create", "ci-bot", "--label", "ci"]));
    let users = json(node(&url, &b).args(["user", "list", "--format", "json"]));
    assert!(users.to_string().contains("ci-bot"), "{users}");
    let audit = json(node(&url, &a).args(["audit", "--format", "json"]));
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "team.add",
        "user.add",
        "product.version.add",
        "grant.add",
        "token.create",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    // The rows are in PostgreSQL, not in the nodes' local files.
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let n: i64 = raw
        .query_one("SELECT count(*) FROM audit", &[])
        .unwrap()
        .get(0);
    assert_eq!(n as usize, actions.len());
}

#[test]
fn an_unreachable_or_outdated_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = fails(node("postgres://kensa:secret@127.0.0.1:1/none", dir.path()).args(["queue"]));
    let e = stderr(&o);
    assert!(
        e.contains("cannot connect to postgres://kensa:***@127.0.0.1:1/none"),
        "{e}"
    );
    assert!(!e.contains("secret"), "{e}");

    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let url = cluster.database();
    let o = ok(node(&url, dir.path()).args(["db", "migrate", "--format", "json"]));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        report["postgres_schema_version"].as_i64().unwrap() >= 3,
        "{report}"
    );
    // A database a newer release set up is refused, and never written.
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    raw.batch_execute("UPDATE kensa_schema SET version = version + 1")
        .unwrap();
    let e = stderr(&fails(node(&url, dir.path()).args(["user", "list"])));
    assert!(e.contains("newer than this kensa"), "{e}");
}

/// A failed import on a node stores nothing and publishes nothing: the
/// other nodes never see a half-import.
#[test]
fn a_failed_import_on_a_node_publishes_nothing() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let url = cluster.database();
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(repo("demo/nvd-demo.api2.jsonl.gz")).unwrap();
    let truncated = dir.path().join("truncated.jsonl.gz");
    std::fs::write(&truncated, &good[..good.len() / 2]).unwrap();
    let intel = dir.path().join("a");
    let e = stderr(&fails(
        node(&url, &intel)
            .args(["-q", "db", "import"])
            .arg(&truncated),
    ));
    assert!(e.contains("truncated.jsonl.gz"), "{e}");
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let published = |raw: &mut postgres::Client| -> i64 {
        raw.query_one("SELECT count(*) FROM intel_publications", &[])
            .unwrap()
            .get(0)
    };
    assert_eq!(published(&mut raw), 0);
    let stats = json(node(&url, &dir.path().join("b")).args(["db", "stats", "--format", "json"]));
    assert_eq!(stats["vulnerabilities"], 0, "{stats}");

    ok(node(&url, &intel)
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz")));
    assert_eq!(published(&mut raw), 1);
    let stats = json(node(&url, &dir.path().join("b")).args(["db", "stats", "--format", "json"]));
    assert!(stats["vulnerabilities"].as_u64().unwrap() > 0, "{stats}");
}

/// A database on an older schema: commands refuse it with the way out,
/// `kensa db migrate` upgrades it, and then they work.
#[test]
fn an_older_schema_is_refused_until_db_migrate() {
    let Some(cluster) = Cluster::shared() else {
        return;
    };
    let url = cluster.database();
    let dir = tempfile::tempdir().unwrap();
    ok(node(&url, dir.path()).args(["user", "add", "ci-bot", "--no-password"]));
    // Back to schema version 1, as the first release left it.
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    raw.batch_execute(
        "DROP TABLE meta, product_components, component_findings, vuln_triage, cra_submissions,
                    cra_cases, product_market, component_aliases, intel_chunks,
                    intel_publications, leases, version_inputs, components, product_versions,
                    webhook_deliveries, webhook_events, webhooks;
         DROP INDEX jobs_by_state;
         ALTER TABLE jobs DROP COLUMN payload, DROP COLUMN input, DROP COLUMN attempts,
             DROP COLUMN max_attempts, DROP COLUMN run_after, DROP COLUMN owner,
             DROP COLUMN lease_until;
         UPDATE kensa_schema SET version = 1",
    )
    .unwrap();
    let e = stderr(&fails(node(&url, dir.path()).args(["user", "list"])));
    assert!(
        e.contains("older than this kensa") && e.contains("kensa db migrate"),
        "{e}"
    );
    let out = stdout(&ok(node(&url, dir.path()).args(["db", "migrate"])));
    assert!(out.contains("up to date"), "{out}");
    let users = json(node(&url, dir.path()).args(["user", "list", "--format", "json"]));
    assert!(
        users.to_string().contains("ci-bot"),
        "kept across the upgrade: {users}"
    );
    ok(node(&url, dir.path())
        .args(["-q", "product", "add", "gw", "--version", "1.0", "--sbom"])
        .arg(repo("demo/rtu-gateway.cdx.json")));
}
