//! `kensa alias`: the team's confirmations, applied to later scans and to
//! the stored products' rescans, audited; and the nearest products an
//! unresolved component is shown with.

mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::*;

fn sbom(dir: &Path, file: &str, components: Value) -> std::path::PathBuf {
    let path = dir.join(file);
    let doc = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": components,
    });
    std::fs::write(&path, doc.to_string()).unwrap();
    path
}

fn component(bom_ref: &str, name: &str, version: &str, purl_type: &str) -> Value {
    json!({
        "type": "application", "bom-ref": bom_ref, "name": name, "version": version,
        "purl": format!("pkg:{purl_type}/{name}@{version}"),
    })
}

/// The findings of one component in a scan-shaped report, with their methods.
fn of(report: &Value, bom_ref: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["component"]["bom_ref"] == bom_ref)
        .map(|f| {
            (
                f["vulnerability"]["id"].as_str().unwrap().to_string(),
                f["match"]["method"].as_str().unwrap().to_string(),
                f["match"]["evidence"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn ids(found: &[(String, String, String)]) -> Vec<String> {
    found.iter().map(|f| f.0.clone()).collect()
}

#[test]
fn a_confirmed_alias_resolves_later_scans_and_rescans_until_removed() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let typo = sbom(
        dir.path(),
        "typo.cdx.json",
        json!([
            component("web", "lightttpd", "1.4.35", "generic"),
            component("other", "acme-httpd", "1.4.35", "generic"),
        ]),
    );
    let right = sbom(
        dir.path(),
        "right.cdx.json",
        json!([component("web", "lighttpd", "1.4.35", "generic")]),
    );
    let scan = |path: &Path| {
        json(&ok(kensa_db(&db)
            .arg("scan")
            .arg(path)
            .args(["--format", "json"])))
    };
    let expected = ids(&of(&scan(&right), "web"));
    assert!(
        !expected.is_empty(),
        "the demo data has lighttpd 1.4.35 findings"
    );

    // Unresolved, with the product it is among its nearest, and why.
    let before = scan(&typo);
    assert!(of(&before, "web").is_empty());
    let unresolved = before["unresolved"].as_array().unwrap();
    let web = unresolved
        .iter()
        .find(|u| u["bom_ref"] == "web")
        .expect("web unresolved");
    let first = &web["nearest"][0];
    assert_eq!(
        (first["vendor"].as_str(), first["product"].as_str()),
        (Some("lighttpd"), Some("lighttpd"))
    );
    assert!(
        first["reason"].as_str().unwrap().contains("spelt like"),
        "{first}"
    );
    let text = stdout(&ok(kensa_db(&db).arg("scan").arg(&typo)));
    assert!(text.contains("lighttpd:lighttpd"), "{text}");

    ok(kensa_db(&db)
        .args(["-q", "product", "add", "gw", "--version", "1", "--sbom"])
        .arg(&typo));
    let show = || {
        json(&ok(
            kensa_db(&db).args(["product", "show", "gw", "--format", "json"])
        ))
    };
    assert!(of(&show(), "web").is_empty());

    // Bad requests are refused, naming what is wrong; nothing is stored.
    let e = stderr(&fails(kensa_db(&db).args([
        "alias",
        "add",
        "lightttpd",
        "lighttpd",
    ])));
    assert!(e.contains("VENDOR:PRODUCT"), "{e}");
    let e = stderr(&fails(kensa_db(&db).args([
        "alias",
        "add",
        "lightttpd",
        "lighttpd:lighttpdd",
    ])));
    assert!(
        e.contains("no record in the database names lighttpd:lighttpdd"),
        "{e}"
    );
    assert!(
        e.contains("lighttpd:lighttpd"),
        "the nearest product is named: {e}"
    );

    // Confirmed: the stored product is rescanned, and finds what the right
    // name finds, citing the confirmation.
    let out = ok(kensa_db(&db).args([
        "alias",
        "add",
        "lightttpd",
        "lighttpd:lighttpd",
        "--note",
        "vendor typo",
    ]));
    let text = stdout(&out);
    assert!(
        text.contains("added:") && text.contains("portfolio: rescanned"),
        "{text}"
    );
    let after = of(&show(), "web");
    assert_eq!(ids(&after), expected);
    for (_, method, evidence) in &after {
        assert_eq!(method, "confirmed");
        assert!(
            evidence.contains("the team confirmed that `lightttpd` is lighttpd:lighttpd"),
            "{evidence}"
        );
        assert!(evidence.contains("vendor typo"), "{evidence}");
    }
    assert_eq!(
        ids(&of(&scan(&typo), "web")),
        expected,
        "ad-hoc scans use it too"
    );

    // An alias for deb packages leaves a generic package alone.
    ok(kensa_db(&db).args([
        "-q",
        "alias",
        "add",
        "acme-httpd",
        "lighttpd:lighttpd",
        "--purl-type",
        "deb",
    ]));
    assert!(of(&scan(&typo), "other").is_empty());

    let list = json(&ok(
        kensa_db(&db).args(["alias", "list", "--format", "json"])
    ));
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let web_alias = list.iter().find(|a| a["component"] == "lightttpd").unwrap();
    assert_eq!(web_alias["note"], "vendor typo");
    assert!(
        web_alias["created_by"]
            .as_str()
            .unwrap()
            .starts_with("cli:")
    );

    let audit = json(&ok(kensa_db(&db).args(["audit", "--format", "json"])));
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "alias.add").count(),
        2,
        "{actions:?}"
    );

    // Removed: the next rescan takes the findings back.
    let id = web_alias["id"].as_i64().unwrap().to_string();
    ok(kensa_db(&db).args(["-q", "alias", "remove", &id]));
    assert!(of(&show(), "web").is_empty());
    let e = stderr(&fails(kensa_db(&db).args(["alias", "remove", &id])));
    assert!(e.contains(&format!("no alias {id}")), "{e}");
    let audit = json(&ok(kensa_db(&db).args(["audit", "--format", "json"])));
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "alias.remove")
    );
}

#[test]
fn curated_name_mappings_are_imported_and_cited() {
    let table = repo("../shared/data/vuln/name-mappings/openembedded-cve-product.tsv");
    if !table.exists() {
        eprintln!("skipped: {} is absent", table.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let o = ok(kensa_db(&db).args(["db", "import"]).arg(&table));
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        said.contains("oe-cve-product") && said.contains(" new"),
        "{said}"
    );
    // The OpenEmbedded recipe `sqlite3` is NVD's `sqlite`; `dropbear` is
    // `dropbear_ssh`; `expat` is `expat` and `libexpat`.
    let path = sbom(
        dir.path(),
        "oe.cdx.json",
        json!([
            {"type": "library", "bom-ref": "db", "name": "sqlite3", "version": "3.8.2"},
            {"type": "application", "bom-ref": "ssh", "name": "dropbear", "version": "2014.63"},
        ]),
    );
    let report = json(&ok(kensa_db(&db)
        .arg("scan")
        .arg(&path)
        .args(["--format", "json"])));
    for bom_ref in ["db", "ssh"] {
        let found = of(&report, bom_ref);
        assert!(!found.is_empty(), "{bom_ref}: {report}");
        for (_, method, evidence) in &found {
            assert_eq!(method, "mapping", "{evidence}");
            assert!(
                evidence.contains("name-mapping feed `openembedded`"),
                "{evidence}"
            );
            assert!(evidence.contains("MIT"), "the licence is cited: {evidence}");
        }
    }
    // A damaged table is refused with its line; the stored set stays.
    let bad = dir.path().join("bad.tsv");
    std::fs::write(
        &bad,
        "recipe\tcve_product\tlayer\tpath\nfoo\t\tmeta\tx.bb\n",
    )
    .unwrap();
    let e = stderr(&fails(kensa_db(&db).args(["db", "import"]).arg(&bad)));
    assert!(e.contains("line 2"), "{e}");
    let again = json(&ok(kensa_db(&db)
        .arg("scan")
        .arg(&path)
        .args(["--format", "json"])));
    assert_eq!(of(&again, "ssh"), of(&report, "ssh"));
}
