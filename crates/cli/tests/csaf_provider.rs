//! `kensa csaf publish` and `kensa csaf check` as a PSIRT runs them:
//! advisories Kensa wrote from the demo data, published into a signed
//! trusted-provider tree, checked offline and over loopback HTTP, synced
//! back with `kensa db sync`; tampered documents and signatures fail the
//! requirement they break; updates replace documents.

mod support;

// The sync tests' loopback HTTP server.
#[path = "../../intel/tests/support/mod.rs"]
mod http;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use http::{Reply, Request, Server};
use kensa_report::csaf::provider::sign::generate_key;
use serde_json::Value;
use support::{ok, repo};

const PASSPHRASE: &str = "correct horse";

fn kensa(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kensa"));
    c.env_remove("KENSA_DB")
        .env_remove("KENSA_PUBLISHER")
        .env_remove("KENSA_SIGN_PASSPHRASE")
        .arg("--db")
        .arg(db);
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("kensa runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The demo's NVD data and KEV catalog, and the gateway 1.0 and 2.0.
fn setup(dir: &Path) -> PathBuf {
    let db = dir.join("k.db");
    ok(kensa(&db)
        .args(["-q", "db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz"))
        .arg(repo("demo/kev-demo.json")));
    for version in ["1.0", "2.0"] {
        ok(kensa(&db)
            .args(["-q", "product", "add", "gw", "--version", version, "--sbom"])
            .arg(repo("demo/rtu-gateway.cdx.json")));
    }
    std::fs::write(
        dir.join("psirt.yaml"),
        "name: Example Industrial\nnamespace: https://psirt.example.com\ncontact_details: psirt@example.com\n",
    )
    .unwrap();
    db
}

/// `kensa advisory create` for one version of the gateway.
fn advisory(db: &Path, dir: &Path, version: &str) -> PathBuf {
    let out = dir.join(format!("adv-{version}.json"));
    ok(kensa(db)
        .args([
            "-q",
            "advisory",
            "create",
            "--product",
            "gw",
            "--version",
            version,
        ])
        .arg("--publisher")
        .arg(dir.join("psirt.yaml"))
        .arg("-o")
        .arg(&out));
    out
}

/// A passphrase-protected key made by the OpenPGP crate, in a file.
fn key(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let armored = generate_key("Example PSIRT <psirt@example.com>", Some(PASSPHRASE)).unwrap();
    std::fs::write(&path, armored).unwrap();
    path
}

/// Serves `root` under /.well-known/csaf/ on loopback.
fn serve(root: &Path) -> Server {
    let root = root.to_path_buf();
    Server::start(move |r: &Request| {
        let Some(rel) = r.path.strip_prefix("/.well-known/csaf/") else {
            return Reply::status(404);
        };
        if rel.split('/').any(|s| s == "..") {
            return Reply::status(403);
        }
        match std::fs::read(root.join(rel)) {
            Ok(body) => Reply::ok(body),
            Err(_) => Reply::status(404),
        }
    })
}

fn publish(db: &Path, tree: &Path, base: &str, files: &[&Path], key: Option<&Path>) -> Output {
    let mut cmd = kensa(db);
    cmd.args(["csaf", "publish"])
        .args(files)
        .arg("--dir")
        .arg(tree)
        .args(["--base-url", base, "--format", "json"]);
    if let Some(k) = key {
        cmd.arg("--sign")
            .arg(k)
            .env("KENSA_SIGN_PASSPHRASE", PASSPHRASE);
    }
    run(&mut cmd)
}

fn check(db: &Path, target: &str) -> (bool, Value) {
    let o = run(kensa(db).args(["csaf", "check", target, "--format", "json"]));
    let report: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&o)));
    assert_eq!(o.status.success(), report["passed"] == true, "{report:#}");
    (o.status.success(), report)
}

fn errors(report: &Value) -> Vec<(String, String, String)> {
    report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["level"] == "error")
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap().to_string();
            (s("requirement"), s("url"), s("heading"))
        })
        .collect()
}

#[test]
fn a_signed_tree_passes_check_offline_and_over_http_and_syncs_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let adv1 = advisory(&db, dir.path(), "1.0");
    let adv2 = advisory(&db, dir.path(), "2.0");
    let key = key(dir.path(), "psirt-secret.asc");
    let tree = dir.path().join("tree");
    let server = serve(&tree);
    let base = server.url("/.well-known/csaf");
    let o = publish(&db, &tree, &base, &[&adv1, &adv2], Some(&key));
    assert!(o.status.success(), "{}", text(&o));

    // The tree's layout and files.
    let meta = read_json(&tree.join("provider-metadata.json"));
    assert_eq!(meta["role"], "csaf_trusted_provider");
    assert_eq!(meta["metadata_version"], "2.0");
    assert_eq!(
        meta["canonical_url"],
        format!("{base}/provider-metadata.json")
    );
    assert_eq!(meta["publisher"]["name"], "Example Industrial");
    let fpr = meta["public_openpgp_keys"][0]["fingerprint"]
        .as_str()
        .unwrap();
    assert_eq!(fpr.len(), 40);
    assert!(tree.join(format!("openpgp/{fpr}.asc")).is_file());
    assert_eq!(
        meta["distributions"][0]["directory_url"],
        format!("{base}/white/")
    );
    let year = read_json(&adv1)["document"]["tracking"]["initial_release_date"]
        .as_str()
        .unwrap()[..4]
        .to_string();
    let doc = tree.join(format!("white/{year}/kensa-gw-1_0.json"));
    assert_eq!(std::fs::read(&doc).unwrap(), std::fs::read(&adv1).unwrap());
    let sha = std::fs::read_to_string(format!("{}.sha512", doc.display())).unwrap();
    let (hex, name) = sha.trim_end().split_once("  ").expect("sha512sum's format");
    assert_eq!((hex.len(), name), (128, "kensa-gw-1_0.json"));
    assert!(
        std::fs::read_to_string(format!("{}.asc", doc.display()))
            .unwrap()
            .starts_with("-----BEGIN PGP SIGNATURE-----")
    );
    let changes = std::fs::read_to_string(tree.join("white/changes.csv")).unwrap();
    assert_eq!(changes.lines().count(), 2, "{changes}");
    assert!(
        changes.starts_with(&format!("\"{year}/kensa-gw-")),
        "{changes}"
    );
    let feed = read_json(&tree.join("white/csaf-feed-tlp-white.json"));
    assert_eq!(feed["feed"]["entry"].as_array().unwrap().len(), 2);

    let (passed, report) = check(&db, tree.to_str().unwrap());
    assert!(passed, "{report:#}");
    assert_eq!(report["documents"], 2);
    let (passed, report) = check(&db, &format!("{base}/provider-metadata.json"));
    assert!(passed, "{report:#}");
    assert_eq!(report["role"], "csaf_trusted_provider");

    // `kensa db sync` reads the published tree.
    let o = run(kensa(&db).args([
        "-q",
        "db",
        "sync",
        "--source",
        "csaf",
        "--csaf-provider",
        &format!("{base}/provider-metadata.json"),
    ]));
    assert!(o.status.success(), "{}", text(&o));
    let stats = ok(kensa(&db).args(["db", "stats", "--format", "json"]));
    let stats: Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats["csaf_documents"], 2, "{stats:#}");

    // A changed byte breaks the hashes (and the signature).
    let original = std::fs::read(&doc).unwrap();
    let mut tampered = original.clone();
    let at = tampered.iter().position(|b| *b == b'G').unwrap();
    tampered[at] = b'H';
    std::fs::write(&doc, &tampered).unwrap();
    let (passed, report) = check(&db, tree.to_str().unwrap());
    assert!(!passed);
    let found = errors(&report);
    assert!(
        found.iter().any(|(r, url, heading)| r == "7.1.18"
            && url.ends_with("kensa-gw-1_0.json.sha256")
            && heading == "7.1.18 Requirement 18: Integrity"),
        "{found:#?}"
    );
    let o = run(kensa(&db).args(["csaf", "check", &format!("{base}/provider-metadata.json")]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("7.1.18 Requirement 18: Integrity"),
        "{}",
        text(&o)
    );
    std::fs::write(&doc, &original).unwrap();

    // A signature by another key fails requirement 19 only.
    let other = tempfile::tempdir().unwrap();
    let other_key = self::key(other.path(), "other.asc");
    let o = publish(
        &db,
        &other.path().join("t"),
        &base,
        &[&adv1],
        Some(&other_key),
    );
    assert!(o.status.success(), "{}", text(&o));
    let foreign = other
        .path()
        .join(format!("t/white/{year}/kensa-gw-1_0.json.asc"));
    let sig = PathBuf::from(format!("{}.asc", doc.display()));
    let own = std::fs::read(&sig).unwrap();
    std::fs::copy(&foreign, &sig).unwrap();
    let (passed, report) = check(&db, tree.to_str().unwrap());
    assert!(!passed);
    let found = errors(&report);
    assert!(found.iter().all(|(r, _, _)| r == "7.1.19"), "{found:#?}");
    assert!(
        found
            .iter()
            .any(|(_, url, _)| url.ends_with("kensa-gw-1_0.json.asc"))
    );
    std::fs::write(&sig, own).unwrap();
    let (passed, report) = check(&db, tree.to_str().unwrap());
    assert!(passed, "{report:#}");
}

#[test]
fn republishing_replaces_newer_versions_and_refuses_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let adv = advisory(&db, dir.path(), "1.0");
    let tree = dir.path().join("tree");
    let base = "https://psirt.example.com/.well-known/csaf";
    let o = publish(&db, &tree, base, &[&adv], None);
    assert!(o.status.success(), "{}", text(&o));
    let meta = read_json(&tree.join("provider-metadata.json"));
    assert_eq!(
        meta["role"], "csaf_provider",
        "no key: not a trusted provider"
    );

    // The same file again changes nothing.
    let o = publish(&db, &tree, base, &[&adv], None);
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["documents"][0]["action"], "unchanged", "{out:#}");

    // The same tracking id and version with other content is refused.
    let mut changed = read_json(&adv);
    changed["document"]["title"] = Value::from("Another title");
    let changed_path = dir.path().join("changed.json");
    std::fs::write(&changed_path, serde_json::to_vec_pretty(&changed).unwrap()).unwrap();
    let o = publish(&db, &tree, base, &[&changed_path], None);
    assert!(!o.status.success());
    let said = text(&o);
    assert!(
        said.contains("changed.json") && said.contains("KENSA-GW-1.0"),
        "{said}"
    );

    // An update of the advisory (version 2) replaces the published one.
    let updated = dir.path().join("adv-1.0-v2.json");
    std::fs::copy(&adv, &updated).unwrap();
    ok(kensa(&db)
        .args([
            "-q",
            "advisory",
            "create",
            "--product",
            "gw",
            "--version",
            "1.0",
        ])
        .arg("--publisher")
        .arg(dir.path().join("psirt.yaml"))
        .arg("-o")
        .arg(&updated));
    let version = read_json(&updated)["document"]["tracking"]["version"].clone();
    assert_ne!(version, read_json(&adv)["document"]["tracking"]["version"]);
    let o = publish(&db, &tree, base, &[&updated], None);
    assert!(o.status.success(), "{}", text(&o));
    let out: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(out["documents"][0]["action"], "replaced", "{out:#}");
    let changes = std::fs::read_to_string(tree.join("white/changes.csv")).unwrap();
    assert_eq!(changes.lines().count(), 1, "{changes}");
    let feed = read_json(&tree.join("white/csaf-feed-tlp-white.json"));
    assert_eq!(feed["feed"]["entry"].as_array().unwrap().len(), 1);
    let (passed, report) = check(&db, tree.to_str().unwrap());
    assert!(passed, "{report:#}");
    // The older version is now refused.
    let o = publish(&db, &tree, base, &[&adv], None);
    assert!(!o.status.success(), "{}", text(&o));
}

#[test]
fn invalid_and_red_documents_are_refused_and_amber_goes_to_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let adv = advisory(&db, dir.path(), "1.0");
    let tree = dir.path().join("tree");
    let base = "https://psirt.example.com/.well-known/csaf";
    let relabel = |label: &str, id: &str| {
        let mut doc = read_json(&adv);
        doc["document"]["distribution"]["tlp"]["label"] = Value::from(label);
        doc["document"]["tracking"]["id"] = Value::from(id);
        let path = dir.path().join(format!("{id}.json"));
        std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        path
    };
    let red = relabel("RED", "KENSA-RED-1");
    let o = publish(&db, &tree, base, &[&red], None);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("TLP:RED documents are never published"),
        "{}",
        text(&o)
    );
    assert!(
        !tree.join("provider-metadata.json").exists(),
        "nothing written"
    );

    let mut broken = read_json(&adv);
    broken["vulnerabilities"][0]["product_status"]["known_affected"] =
        serde_json::json!(["CSAFPID-9999"]);
    let broken_path = dir.path().join("broken.json");
    std::fs::write(&broken_path, serde_json::to_vec_pretty(&broken).unwrap()).unwrap();
    let o = publish(&db, &tree, base, &[&adv, &broken_path], None);
    assert!(!o.status.success());
    let said = text(&o);
    assert!(
        said.contains("broken.json") && said.contains("test 6.1.1"),
        "{said}"
    );
    assert!(!tree.exists(), "nothing written");

    let amber = relabel("AMBER", "KENSA-AMBER-1");
    let o = publish(&db, &tree, base, &[&adv, &amber], None);
    assert!(o.status.success(), "{}", text(&o));
    let year = read_json(&adv)["document"]["tracking"]["initial_release_date"]
        .as_str()
        .unwrap()[..4]
        .to_string();
    assert!(
        tree.join(format!("amber/{year}/kensa-amber-1.json"))
            .is_file()
    );
    let meta = read_json(&tree.join("provider-metadata.json"));
    let labels: Vec<&Value> = meta["distributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["rolie"]["feeds"][0]["tlp_label"])
        .collect();
    assert_eq!(labels, ["WHITE", "AMBER"]);
    let (passed, report) = check(&db, tree.to_str().unwrap());
    assert!(passed, "{report:#}");

    // An AMBER document moved into the public folder is a leak.
    let leaked = tree.join(format!("white/{year}/kensa-amber-1.json"));
    std::fs::copy(
        tree.join(format!("amber/{year}/kensa-amber-1.json")),
        &leaked,
    )
    .unwrap();
    let (passed, report) = check(&db, tree.to_str().unwrap());
    assert!(!passed);
    let found = errors(&report);
    assert!(
        found
            .iter()
            .any(|(r, url, _)| r == "7.1.12" && url.ends_with("white/index.txt")),
        "the unlisted file: {found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|(r, url, _)| r == "7.1.5"
                && url == &format!("{base}/white/{year}/kensa-amber-1.json")),
        "the leak: {found:#?}"
    );
}

#[test]
fn unquoted_changes_csv_as_cisa_writes_it_is_a_warning_and_disorder_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let adv1 = advisory(&db, dir.path(), "1.0");
    let adv2 = advisory(&db, dir.path(), "2.0");
    let tree = dir.path().join("tree");
    let o = publish(
        &db,
        &tree,
        "https://psirt.example.com/.well-known/csaf",
        &[&adv1, &adv2],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let changes_path = tree.join("white/changes.csv");
    let changes = std::fs::read_to_string(&changes_path).unwrap();
    std::fs::write(&changes_path, changes.replace('"', "")).unwrap();
    let (passed, report) = check(&db, tree.to_str().unwrap());
    assert!(passed, "{report:#}");
    let warned = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["requirement"] == "7.1.13" && p["level"] == "warning");
    assert!(warned, "{report:#}");

    // A second line newer than the first: not newest first.
    let mut lines: Vec<String> = changes.lines().map(str::to_string).collect();
    let path = lines[1].split(',').next().unwrap().to_string();
    lines[1] = format!("{path},\"2099-01-01T00:00:00.000Z\"");
    std::fs::write(&changes_path, lines.join("\n") + "\n").unwrap();
    let (passed, report) = check(&db, tree.to_str().unwrap());
    assert!(!passed);
    let found = errors(&report);
    assert!(
        found
            .iter()
            .any(|(r, url, _)| r == "7.1.13" && url.ends_with("white/changes.csv")),
        "{found:#?}"
    );
    let o = run(kensa(&db)
        .args(["csaf", "check"])
        .arg(dir.path().join("no-such-tree")));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn sync_reads_the_public_folder_and_leaves_the_amber_one_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let adv = advisory(&db, dir.path(), "1.0");
    let mut amber = read_json(&adv);
    amber["document"]["distribution"]["tlp"]["label"] = Value::from("AMBER");
    amber["document"]["tracking"]["id"] = Value::from("KENSA-AMBER-1");
    let amber_path = dir.path().join("amber.json");
    std::fs::write(&amber_path, serde_json::to_vec_pretty(&amber).unwrap()).unwrap();
    let tree = dir.path().join("tree");
    // The amber folder answers only with credentials.
    let server = {
        let root = tree.clone();
        Server::start(move |r: &Request| {
            let rel = r.path.strip_prefix("/.well-known/csaf/").unwrap_or("..");
            if rel.starts_with("amber/") {
                return Reply::status(401);
            }
            match std::fs::read(root.join(rel)) {
                Ok(body) if !rel.contains("..") => Reply::ok(body),
                _ => Reply::status(404),
            }
        })
    };
    let base = server.url("/.well-known/csaf");
    let o = publish(&db, &tree, &base, &[&adv, &amber_path], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(kensa(&db).args([
        "-q",
        "db",
        "sync",
        "--source",
        "csaf",
        "--csaf-provider",
        &format!("{base}/provider-metadata.json"),
    ]));
    assert!(o.status.success(), "{}", text(&o));
    let stats = ok(kensa(&db).args(["db", "stats", "--format", "json"]));
    let stats: Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats["csaf_documents"], 1, "{stats:#}");
    let asked = server.paths();
    assert!(!asked.iter().any(|p| p.contains("/amber/")), "{asked:#?}");
    // Over HTTP the check reads the amber folder's 401 as "needs
    // credentials": a warning, not a failure.
    let (passed, report) = check(&db, &format!("{base}/provider-metadata.json"));
    assert!(passed, "{report:#}");
    let credentials = report["problems"].as_array().unwrap().iter().any(|p| {
        p["level"] == "warning" && p["message"].as_str().unwrap().contains("needs credentials")
    });
    assert!(credentials, "{report:#}");
}
