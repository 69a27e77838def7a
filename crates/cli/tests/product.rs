//! `kensa product …` and `kensa portfolio rescan` as a user runs them: a
//! stored product's findings equal an ad-hoc scan, follow imports, and bad
//! input is refused with a hint.

mod support;

use support::{finding_ids, json, kensa_db as kensa, ok, repo, run};

#[test]
fn stored_products_follow_imports() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let sbom = repo("demo/rtu-gateway.cdx.json");
    ok(kensa(&db)
        .args(["db", "import"])
        .arg(repo("demo/kev-demo.json")));

    // Nothing but KEV yet: the product is stored, with no findings.
    let o = ok(kensa(&db)
        .args([
            "product",
            "add",
            "rtu-gateway",
            "--version",
            "2.8.1",
            "--sbom",
        ])
        .arg(&sbom));
    assert!(String::from_utf8_lossy(&o.stdout).contains("13 components (13 new"));
    let shown = json(&ok(kensa(&db).args([
        "product",
        "show",
        "rtu-gateway",
        "--format",
        "json",
    ])));
    assert_eq!(shown["findings"].as_array().unwrap().len(), 0);

    // Importing NVD rescans the stored product automatically.
    let o = ok(kensa(&db)
        .args(["db", "import"])
        .arg(repo("demo/nvd-demo.api2.jsonl.gz")));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("portfolio: rescanned"), "{text}");
    let shown = json(&ok(kensa(&db).args([
        "product",
        "show",
        "rtu-gateway",
        "--format",
        "json",
    ])));
    let scanned = json(&ok(kensa(&db)
        .arg("scan")
        .arg(&sbom)
        .args(["--format", "json"])));
    assert!(!finding_ids(&shown).is_empty());
    assert_eq!(finding_ids(&shown), finding_ids(&scanned));

    // --no-rescan leaves it to `kensa portfolio rescan`, which then finds
    // nothing left to do the second time.
    ok(kensa(&db)
        .args(["db", "import", "--no-rescan"])
        .arg(repo("demo/vulnrichment-demo.cve5.jsonl.gz")));
    let o = ok(kensa(&db).args(["product", "show", "rtu-gateway"]));
    assert!(String::from_utf8_lossy(&o.stderr).contains("kensa portfolio rescan"));
    let r = json(&ok(kensa(&db).args([
        "portfolio",
        "rescan",
        "--format",
        "json",
    ])));
    assert!(r["rescanned"].as_u64().unwrap() > 0, "{r}");
    let r = json(&ok(kensa(&db).args([
        "portfolio",
        "rescan",
        "--format",
        "json",
    ])));
    assert_eq!(r["rescanned"], 0);

    let list = json(&ok(kensa(&db).args(["product", "list", "--format", "json"])));
    assert_eq!(list[0]["name"], "rtu-gateway");
    assert_eq!(list[0]["versions"][0]["components"], 13);
}

#[test]
fn bad_product_input_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    let sbom = repo("demo/rtu-gateway.cdx.json");
    ok(kensa(&db)
        .args(["db", "import"])
        .arg(repo("demo/kev-demo.json")));
    ok(kensa(&db)
        .args(["product", "add", "gw", "--version", "1", "--sbom"])
        .arg(&sbom));
    let o = run(kensa(&db)
        .args(["product", "add", "gw", "--version", "1", "--sbom"])
        .arg(&sbom));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("already has version 1") && err.contains("--replace"),
        "{err}"
    );

    let manifest = dir.path().join("products.tsv");
    std::fs::write(
        &manifest,
        "# name, version, sbom\nok\t1\tx.json\nbroken line\n",
    )
    .unwrap();
    let o = run(kensa(&db)
        .args(["product", "add", "--manifest"])
        .arg(&manifest));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("products.tsv:3") && err.contains("NAME<TAB>VERSION<TAB>SBOM"),
        "{err}"
    );

    let o = run(kensa(&db).args(["product", "show", "nope"]));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no product nope"));

    ok(kensa(&db).args(["product", "remove", "gw"]));
    let list = json(&ok(kensa(&db).args(["product", "list", "--format", "json"])));
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[test]
fn the_queue_ranks_the_portfolio_backlog() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k.db");
    ok(kensa(&db).args(["db", "import"]).args([
        repo("demo/nvd-demo.api2.jsonl.gz"),
        repo("demo/vulnrichment-demo.cve5.jsonl.gz"),
        repo("demo/kev-demo.json"),
    ]));
    let o = run(kensa(&db).arg("queue"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no products stored"));
    ok(kensa(&db)
        .args([
            "product",
            "add",
            "rtu-gateway",
            "--version",
            "2.8.1",
            "--sbom",
        ])
        .arg(repo("demo/rtu-gateway.cdx.json")));

    let rows = json(&ok(kensa(&db).args(["queue", "--format", "json"])));
    let rows = rows.as_array().unwrap();
    assert!(rows.len() > 10);
    let priorities: Vec<u64> = rows
        .iter()
        .map(|r| r["priority"].as_u64().unwrap())
        .collect();
    assert!(
        priorities.windows(2).all(|w| w[0] >= w[1]),
        "sorted: {priorities:?}"
    );
    // Known-exploited findings come first, with their KEV due date; CRA
    // deadlines come from case records (`kensa cra open`), never from the
    // day CISA listed the exploitation (tests/cra.rs).
    let first = &rows[0];
    assert!(first["kev_due"].is_string(), "{first}");
    assert!(first.get("cra").is_none(), "{first}");
    let last_kev = rows.iter().rposition(|r| r["kev_due"].is_string()).unwrap();
    let first_other = rows.iter().position(|r| r["kev_due"].is_null()).unwrap();
    assert!(
        last_kev < first_other,
        "every KEV finding ranks above the rest"
    );

    // Filters.
    let high = json(&ok(kensa(&db).args([
        "queue",
        "--min-priority",
        "80",
        "--format",
        "json",
    ])));
    assert!(
        high.as_array()
            .unwrap()
            .iter()
            .all(|r| r["priority"].as_u64().unwrap() >= 80)
    );
    assert!(high.as_array().unwrap().len() < rows.len());
    let decision = rows[0]["decision"].as_str().unwrap().to_uppercase();
    let same = json(&ok(kensa(&db).args([
        "queue",
        "--decision",
        &decision,
        "--format",
        "json",
    ])));
    assert!(same.as_array().unwrap().iter().all(|r| {
        r["decision"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case(&decision)
    }));
    let o = run(kensa(&db).args(["queue", "--product", "nope"]));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no product nope"));
}
