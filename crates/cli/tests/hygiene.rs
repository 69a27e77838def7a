//! Issue #18, resource bounds and message hygiene as a user meets them:
//! every input read within a limit enforced while reading, terminal escapes
//! in input never reaching the terminal, byte-order marks accepted, and
//! error messages that say what is wrong and only suggest what can help.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::*;

/// Runs kensa under a 4 GiB address-space limit and a 60 s timeout, so that
/// a build without read limits fails the test instead of the machine.
fn bounded_run(args: &[&std::ffi::OsStr]) -> Output {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("ulimit -v 4194304; exec timeout 60 \"$@\"")
        .arg("sh")
        .arg(bin())
        .args(args)
        .env_remove("KENSA_DB");
    let started = std::time::Instant::now();
    let o = c.output().expect("sh runs");
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}",
        started.elapsed()
    );
    o
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

fn assess_fixture(rel: &str) -> PathBuf {
    repo("crates/cli/tests/fixtures/assess").join(rel)
}

// ---- 8. Unbounded reads ---------------------------------------------------

#[test]
fn every_input_is_read_within_a_limit_that_the_error_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let sbom = demo("rtu-gateway.cdx.json");
    let conditions = assess_fixture("heartbleed.conditions.json");
    let zero = os("/dev/zero");
    let cases: Vec<(Vec<&std::ffi::OsStr>, &str)> = vec![
        (
            vec![os("--db"), db.as_os_str(), os("scan"), zero],
            "SBOM /dev/zero",
        ),
        (
            vec![
                os("--db"),
                db.as_os_str(),
                os("scan"),
                sbom.as_os_str(),
                os("--profile"),
                zero,
            ],
            "/dev/zero",
        ),
        (
            vec![
                os("assess"),
                os("--conditions"),
                conditions.as_os_str(),
                os("--answers"),
                zero,
            ],
            "answers file /dev/zero",
        ),
        (
            vec![
                os("ot"),
                os("detect"),
                os("--baseline"),
                zero,
                demo("ot/s7ident.pcap").into_os_string().leak(),
            ],
            "baseline /dev/zero",
        ),
    ];
    for (args, names) in cases {
        let o = bounded_run(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("limit of"),
            "{args:?}: the limit is named: {err}"
        );
        assert!(err.contains(names), "{args:?}: the file is named: {err}");
    }
}

#[test]
fn a_huge_sparse_sbom_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let big = dir.path().join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let o = bounded_run(&[os("--db"), db.as_os_str(), os("scan"), big.as_os_str()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("limit of 268435456 bytes (256 MiB)"), "{err}");
}

// ---- 11. Terminal escape injection -------------------------------------

/// The demo SBOM with hostile names and versions: clear the screen, set the
/// terminal title, forge a line.
fn hostile_sbom(dir: &Path) -> PathBuf {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo("rtu-gateway.cdx.json")).unwrap()).unwrap();
    let c = &mut doc["components"][0];
    c["name"] = "openssl\u{1b}[2J\u{1b}]0;owned\u{7}".into();
    doc["components"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "type": "library",
            "bom-ref": "evil",
            "name": "evil\r\n0 findings (0 vulnerabilities)\u{9b}",
            "version": "1\u{1b}[31m",
        }));
    let p = dir.join("hostile.cdx.json");
    std::fs::write(&p, serde_json::to_vec(&doc).unwrap()).unwrap();
    p
}

fn assert_no_controls(text: &str, what: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\t'))
        .collect();
    assert!(bad.is_empty(), "{what}: raw controls {bad:?} in\n{text}");
}

#[test]
fn human_output_escapes_terminal_controls_from_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let sbom = hostile_sbom(dir.path());
    let o = ok(kensa_db(&db).arg("scan").arg(&sbom));
    let text = stdout(&o);
    assert_no_controls(&text, "scan table");
    assert_no_controls(&stderr(&o), "scan warnings");
    assert!(text.contains("openssl\\x1b[2J\\x1b]0;owned\\x07"), "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("0 findings (0 vulnerabilities)")),
        "no forged line: {text}"
    );
    assert!(text.contains("evil\\r\\n0 findings"), "{text}");

    // Product names and versions with control characters are refused (they
    // end up in URLs and reports); the SBOM's hostile component names are
    // stored and shown escaped.
    let refused = kensa_db(&db)
        .args([
            "-q",
            "product",
            "add",
            "gw\u{1b}[2J",
            "--version",
            "1\r\n2",
            "--sbom",
        ])
        .arg(&sbom)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let e = stderr(&refused);
    assert!(
        e.contains("without control characters") && e.contains("nothing was stored"),
        "{e}"
    );
    assert_no_controls(&e, "the refusal");
    ok(kensa_db(&db)
        .args(["-q", "product", "add", "gw", "--version", "1", "--sbom"])
        .arg(&sbom));
    for args in [
        &["product", "show", "gw"][..],
        &["product", "list"],
        &["queue"],
    ] {
        let o = ok(kensa_db(&db).args(args));
        assert_no_controls(&stdout(&o), &format!("{args:?}"));
    }
    // JSON keeps the values exactly (escaped by JSON itself).
    let o = ok(kensa_db(&db)
        .arg("scan")
        .arg(&sbom)
        .args(["--format", "json"]));
    let names: Vec<String> = json(&o)["unresolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert!(names.contains(&"evil\r\n0 findings (0 vulnerabilities)\u{9b}".to_string()));
}

#[test]
fn assess_text_escapes_notes_from_a_shared_answers_file() {
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("a.yaml");
    std::fs::write(
        &answers,
        "answers:\n  c2:\n    answer: no\n    note: \"built without it\\e[2J\\e]0;owned\\a\\r\\nCVE-2014-0160: affected\"\n",
    )
    .unwrap();
    let o = ok(kensa()
        .arg("assess")
        .arg("--conditions")
        .arg(assess_fixture("heartbleed.conditions.json"))
        .arg("--answers")
        .arg(&answers));
    let text = stdout(&o);
    assert_no_controls(&text, "assess");
    assert!(text.contains("\\x1b[2J"), "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("CVE-2014-0160: affected")),
        "no forged verdict line: {text}"
    );
}

// ---- 12. Byte-order marks ------------------------------------------------

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn with_bom(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, [BOM, bytes].concat()).unwrap();
    p
}

#[test]
fn inputs_starting_with_a_byte_order_mark_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let fixture = |rel: &str| std::fs::read(repo("crates/intel/tests/fixtures").join(rel)).unwrap();
    let kev_csv = with_bom(
        dir.path(),
        "kev.csv",
        &fixture("kev/known_exploited_vulnerabilities.csv"),
    );
    let kev_json = with_bom(
        dir.path(),
        "kev.json",
        &fixture("kev/known_exploited_vulnerabilities.json"),
    );
    let osv = with_bom(
        dir.path(),
        "osv.json",
        &fixture("osv/GHSA-6f9g-cxwr-q5jr.json"),
    );
    let o = ok(kensa_db(&db)
        .args(["db", "import", "--format", "json"])
        .args([&kev_csv, &kev_json, &osv]));
    let reports = json(&o);
    assert_eq!(reports[0]["formats"][0], "kev-csv", "{reports}");
    assert_eq!(reports[0]["counts"]["inserted"], 6, "{reports}");
    assert_eq!(reports[1]["formats"][0], "kev-json", "{reports}");
    assert_eq!(reports[2]["formats"][0], "osv-json", "{reports}");

    // The command-line inputs: an answers file in JSON, a conditions
    // document, a product profile, a manifest.
    let answers = with_bom(dir.path(), "a.json", br#"{"answers": {"c2": "no"}}"#);
    let conditions = with_bom(
        dir.path(),
        "c.json",
        &std::fs::read(assess_fixture("heartbleed.conditions.json")).unwrap(),
    );
    let o = ok(kensa()
        .args(["assess", "--conditions"])
        .arg(&conditions)
        .arg("--answers")
        .arg(&answers));
    assert!(stdout(&o).contains("not_affected"), "{}", stdout(&o));
    let db = demo_db(dir.path());
    let profile = with_bom(
        dir.path(),
        "p.yaml",
        &std::fs::read(demo("rtu-gateway.profile.yaml")).unwrap(),
    );
    ok(kensa_db(&db)
        .arg("scan")
        .arg(demo("rtu-gateway.cdx.json"))
        .arg("--profile")
        .arg(&profile));
    let manifest = with_bom(
        dir.path(),
        "m.tsv",
        format!("gw\t1\t{}\n", demo("rtu-gateway.cdx.json").display()).as_bytes(),
    );
    ok(kensa_db(&db)
        .args(["-q", "product", "add", "--manifest"])
        .arg(&manifest));
    ok(kensa_db(&db).args(["product", "show", "gw"]));
}

// ---- 14. Messages ---------------------------------------------------------

#[test]
fn import_errors_say_what_is_wrong_and_suggest_only_what_helps() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let packed = std::fs::read(demo("nvd-demo.api2.jsonl.gz")).unwrap();

    // A truncated gzip: --keep-going cannot help.
    let cut = dir.path().join("cut.jsonl.gz");
    std::fs::write(&cut, &packed[..packed.len() / 2]).unwrap();
    let o = fails(kensa_db(&db).args(["db", "import"]).arg(&cut));
    assert!(stderr(&o).contains("truncated gzip"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("--keep-going"), "{}", stderr(&o));

    // Trailing garbage is not a truncation.
    let tail = dir.path().join("tail.jsonl.gz");
    std::fs::write(&tail, [&packed[..], b"garbage!"].concat()).unwrap();
    let o = fails(kensa_db(&db).args(["db", "import"]).arg(&tail));
    assert!(stderr(&o).contains("trailing data"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("truncated"), "{}", stderr(&o));

    // A missing file.
    let o = fails(
        kensa_db(&db)
            .args(["db", "import"])
            .arg(dir.path().join("nope.json")),
    );
    assert!(!stderr(&o).contains("--keep-going"), "{}", stderr(&o));

    // A bad record: there --keep-going helps, and is suggested.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\":\"CVE-1\",\"sourceIdentifier\":\"x\",\"vulnStatus\":3}\n",
    )
    .unwrap();
    let o = fails(kensa_db(&db).args(["db", "import"]).arg(&bad));
    assert!(stderr(&o).contains("--keep-going"), "{}", stderr(&o));
}

#[test]
fn a_truncated_xz_file_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let xz = std::fs::read(repo("crates/intel/tests/fixtures/nvd/sample.api2.jsonl.xz"));
    let Ok(xz) = xz else {
        eprintln!("skipped: no xz fixture");
        return;
    };
    let cut = dir.path().join("cut.jsonl.xz");
    std::fs::write(&cut, &xz[..xz.len() * 2 / 3]).unwrap();
    let o = fails(kensa_db(&db).args(["db", "import"]).arg(&cut));
    assert!(stderr(&o).contains("truncated xz"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("failed to fill"), "{}", stderr(&o));
}

#[test]
fn a_read_only_database_is_named_not_the_input() {
    // Root writes through permission bits: make the directory a read-only
    // mount in a private mount namespace (skipped where not allowed).
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let probe = Command::new("unshare").args(["-rm", "true"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: cannot create a mount namespace (unshare -rm)");
        return;
    }
    let d = dir.path().display();
    let script = format!(
        "mount --bind {d} {d} && mount -o remount,bind,ro {d} && \
         exec {bin} --db {db} db import --no-rescan {kev}",
        bin = bin().display(),
        db = db.display(),
        kev = demo("kev-demo.json").display(),
    );
    let o = Command::new("unshare")
        .args(["-rm", "sh", "-c", &script])
        .env_remove("KENSA_DB")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("read-only"), "{err}");
    let first = err.lines().next().unwrap_or("");
    assert!(
        first.contains(&format!("database {}", db.display())),
        "the database comes first: {err}"
    );
    assert!(!err.contains("--keep-going"), "{err}");
}

#[test]
fn strict_sbom_errors_do_not_use_warning_wording() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo("rtu-gateway.cdx.json")).unwrap()).unwrap();
    doc["components"][0]["version"] = serde_json::json!(["1.0.1f"]);
    let p = dir.path().join("s.json");
    std::fs::write(&p, serde_json::to_vec(&doc).unwrap()).unwrap();
    let o = ok(kensa_db(&db).arg("scan").arg(&p));
    assert!(
        stderr(&o).contains("; ignored"),
        "lenient warns: {}",
        stderr(&o)
    );
    let o = fails(kensa_db(&db).args(["scan", "--strict"]).arg(&p));
    let err = stderr(&o);
    assert!(err.contains("/components/0/version"), "{err}");
    assert!(!err.contains("ignored"), "{err}");
}

#[test]
fn answers_errors_name_the_entry_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let conditions = assess_fixture("heartbleed.conditions.json");
    let cases = [
        // A list where an answer belongs, on line 4.
        (
            "answers:\n  c1: yes\n\n  c2: [no]\n",
            "line 4",
            "answers.c2",
        ),
        ("answers:\n  c1: 5\n", "line 2", "answers.c1"),
        // A syntax error: the place is the line, not a `?` path.
        ("answers:\n  c1: {answer: yes\n", "line 3", "answers.c1"),
        ("{: [\n", "line 1", "key must be a string"),
    ];
    for (text, line, place) in cases {
        let p = dir.path().join("a.yaml");
        std::fs::write(&p, text).unwrap();
        let o = fails(
            kensa()
                .arg("assess")
                .arg("--conditions")
                .arg(&conditions)
                .arg("--answers")
                .arg(&p),
        );
        let err = stderr(&o);
        assert!(err.contains(line) && err.contains(place), "{text:?}: {err}");
        assert!(!err.contains("untagged"), "{text:?}: {err}");
        assert!(
            !err.contains("?:") && !err.contains(".?"),
            "{text:?}: {err}"
        );
    }
}

#[test]
fn a_capture_too_short_for_its_header_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ten.pcap");
    std::fs::write(&p, b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00").unwrap();
    let o = fails(kensa().args(["ot", "decode"]).arg(&p));
    let err = stderr(&o);
    assert!(err.contains("file header"), "{err}");
    assert!(!err.contains("inside a record"), "{err}");
}
