//! `/api/v1/aliases`: the team's aliases over real HTTP on loopback, with
//! the rights, errors, audit and rescans that `kensa alias` and the web
//! UI's "this is the same product" have.

mod common;

use common::{Fixture, agent, call, reply, written_state};
use kensa_app::Actor;
use serde_json::{Value, json};

const ALIASES: &str = "/api/v1/aliases";

/// A product whose only component is a typo of lighttpd: nothing matches
/// it until the team confirms the alias.
fn add_typo_product(f: &Fixture) {
    let sbom = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [{"type": "application", "bom-ref": "web", "name": "lightttpd", "version": "1.4.35"}],
    })
    .to_string();
    let new = kensa_app::products::AddVersion {
        product: "typo-gw",
        version: "1.0",
        sbom: sbom.as_bytes(),
        origin: "test",
        team: None,
        replace: false,
        strict: false,
        parsed: None,
    };
    kensa_app::products::add_version(&mut f.store(), &Actor::operator(), &new, true, &|_| {})
        .unwrap();
}

fn typo_findings(f: &Fixture) -> Vec<String> {
    kensa_app::findings::product_findings(
        &f.store(),
        &Actor::operator(),
        "typo-gw",
        None,
        &Default::default(),
    )
    .unwrap()
    .findings
    .iter()
    .map(|v| v.finding.matched.evidence.clone())
    .collect()
}

fn post(f: &Fixture, user: &str, body: &Value) -> common::Reply {
    call(
        f,
        "POST",
        ALIASES,
        Some(&f.tokens[user]),
        Some(&body.to_string()),
    )
}

/// The problem's status and the field it names.
fn problem(r: &common::Reply) -> (u16, Option<String>) {
    assert_eq!(r.content_type, "application/problem+json", "{}", r.text);
    (r.status, r.json()["field"].as_str().map(str::to_string))
}

#[test]
fn aliases_are_listed_added_refused_and_removed_with_audit_and_rescans() {
    let f = Fixture::new();
    add_typo_product(&f);
    assert!(typo_findings(&f).is_empty(), "nothing matches the typo yet");

    // Reading: any grant; none, or no token, is refused.
    let r = call(&f, "GET", ALIASES, Some(&f.tokens["viewer-product"]), None);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"items": [], "next_cursor": null}));
    assert_eq!(
        call(&f, "GET", ALIASES, Some(&f.tokens["nobody"]), None).status,
        403
    );
    assert_eq!(call(&f, "GET", ALIASES, None, None).status, 401);

    let alias = json!({"component": "lightttpd", "vendor": "lighttpd", "product": "lighttpd",
                       "note": "vendor typo in the SBOM"});
    // Writing: a global analyst grant; a viewer, or an admin of one
    // product, is refused and changes nothing.
    let before = written_state(&f.store());
    for user in ["viewer-global", "admin-product", "admin-team"] {
        assert_eq!(problem(&post(&f, user, &alias)), (403, None), "{user}");
    }
    assert_eq!(written_state(&f.store()), before);
    assert!(f.store().aliases().unwrap().is_empty());

    // Created: 201, the stored alias, its URL; the findings follow it.
    let r = post(&f, "analyst-global", &alias);
    assert_eq!(r.status, 201, "{}", r.text);
    let row = r.json();
    let id = row["id"].as_i64().unwrap();
    assert_eq!(
        (&row["component"], &row["vendor"], &row["product"]),
        (&json!("lightttpd"), &json!("lighttpd"), &json!("lighttpd"))
    );
    assert_eq!(row["note"], "vendor typo in the SBOM");
    assert_eq!(row["purl_type"], Value::Null);
    assert_eq!(row["created_by"], "analyst-global");
    let location = r.location.clone().expect("a Location header");
    assert_eq!(location, format!("{ALIASES}/{id}"));
    let one = call(&f, "GET", &location, Some(&f.tokens["viewer-team"]), None);
    assert_eq!((one.status, one.json()), (200, row.clone()));
    let found = typo_findings(&f);
    assert!(!found.is_empty(), "the rescan applied the alias");
    assert!(found.iter().all(|e| e.contains("the team confirmed")));
    let listed = call(&f, "GET", ALIASES, Some(&f.tokens["viewer-global"]), None).json();
    assert_eq!(listed["items"], json!([row]));

    // The same alias again: a conflict, nothing stored.
    let before = written_state(&f.store());
    assert_eq!(problem(&post(&f, "admin-global", &alias)), (409, None));

    // Bad bodies: 422 naming the field, 400 for what is not JSON, 415 for
    // what is not said to be JSON; none stores anything.
    let bad = [
        (json!({"component": "sshd", "product": "openssh"}), "vendor"),
        (
            json!({"vendor": "openbsd", "product": "openssh"}),
            "component",
        ),
        (
            json!({"component": "sshd", "vendor": "openbsd", "product": "openssh", "colour": "red"}),
            "colour",
        ),
        (
            json!({"component": "sshd", "vendor": "open bsd", "product": "openssh"}),
            "vendor",
        ),
        (
            json!({"component": "sshd", "vendor": "openbsd", "product": "a:b"}),
            "product",
        ),
        (
            json!({"component": "sshd", "vendor": "nosuchvendor", "product": "nosuchproduct"}),
            "product",
        ),
        (
            json!({"component": "sshd", "vendor": "lighttpd", "product": "lighttpd", "purl_type": "a/b"}),
            "purl_type",
        ),
        (
            json!({"component": "  ", "vendor": "lighttpd", "product": "lighttpd"}),
            "component",
        ),
        (
            json!({"component": 7, "vendor": "lighttpd", "product": "lighttpd"}),
            "component",
        ),
    ];
    for (body, field) in bad {
        let r = post(&f, "analyst-global", &body);
        assert_eq!(problem(&r), (422, Some(field.into())), "{body}: {}", r.text);
    }
    let r = call(
        &f,
        "POST",
        ALIASES,
        Some(&f.tokens["analyst-global"]),
        Some("{\"component\": "),
    );
    assert_eq!(problem(&r), (400, None));
    let r = reply(
        agent()
            .post(&f.url(ALIASES))
            .header(
                "Authorization",
                format!("Bearer {}", f.tokens["analyst-global"]),
            )
            .content_type("text/plain")
            .send(alias.to_string()),
    );
    assert_eq!(problem(&r), (415, Some("Content-Type".into())));
    assert_eq!(written_state(&f.store()), before);
    assert_eq!(f.store().aliases().unwrap().len(), 1);

    // Removing: refused to a viewer; 204; then absent.
    let path = format!("{ALIASES}/{id}");
    assert_eq!(
        call(&f, "DELETE", &path, Some(&f.tokens["viewer-global"]), None).status,
        403
    );
    let r = call(&f, "DELETE", &path, Some(&f.tokens["analyst-global"]), None);
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    assert!(f.store().aliases().unwrap().is_empty());
    assert!(
        typo_findings(&f).is_empty(),
        "the rescan dropped the alias's findings"
    );
    for p in [path.as_str(), "/api/v1/aliases/not-a-number"] {
        let r = call(&f, "DELETE", p, Some(&f.tokens["analyst-global"]), None);
        assert_eq!(problem(&r), (404, None), "{p}");
        let r = call(&f, "GET", p, Some(&f.tokens["analyst-global"]), None);
        assert_eq!(problem(&r), (404, None), "{p}");
    }

    // Audited: the add and the removal, by whom, with the alias.
    let trail = f
        .store()
        .audit_log(&kensa_store::team::AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let alias_rows: Vec<_> = trail
        .iter()
        .filter(|r| r.action.starts_with("alias."))
        .collect();
    assert_eq!(alias_rows.len(), 2, "{trail:?}");
    assert_eq!(alias_rows[0].action, "alias.remove");
    assert_eq!(alias_rows[0].object, format!("alias:{id}"));
    assert_eq!(alias_rows[0].change.as_ref().unwrap()["before"], row);
    assert_eq!(alias_rows[1].action, "alias.add");
    assert_eq!(alias_rows[1].object, "alias:lightttpd");
    assert_eq!(alias_rows[1].change.as_ref().unwrap()["after"], row);
    assert!(alias_rows.iter().all(|r| r.actor == "analyst-global"));
}

/// `?rescan=false` stores the alias and leaves the findings as they were.
#[test]
fn rescan_false_leaves_findings_to_a_later_rescan() {
    let f = Fixture::new();
    add_typo_product(&f);
    let r = call(
        &f,
        "POST",
        &format!("{ALIASES}?rescan=false"),
        Some(&f.tokens["admin-global"]),
        Some(r#"{"component": "lightttpd", "vendor": "lighttpd", "product": "lighttpd"}"#),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(f.store().aliases().unwrap().len(), 1);
    assert!(typo_findings(&f).is_empty());
    kensa_app::products::rescan_portfolio(&mut f.store()).unwrap();
    assert!(!typo_findings(&f).is_empty());
    let r = call(
        &f,
        "POST",
        &format!("{ALIASES}?rescan=maybe"),
        Some(&f.tokens["admin-global"]),
        Some(r#"{"component": "x", "vendor": "lighttpd", "product": "lighttpd"}"#),
    );
    assert_eq!(problem(&r), (422, Some("rescan".into())));
}

#[test]
fn the_openapi_document_lists_the_alias_routes() {
    let f = Fixture::new();
    let doc = call(&f, "GET", "/api/v1/openapi.json", None, None).json();
    let paths = &doc["paths"];
    for method in ["get", "post"] {
        assert!(paths[ALIASES][method].is_object(), "{method} {ALIASES}");
    }
    for method in ["get", "delete"] {
        assert!(
            paths["/api/v1/aliases/{id}"][method].is_object(),
            "{method}"
        );
    }
    let body = &doc["components"]["schemas"]["AliasBody"];
    let required: Vec<&str> = body["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(required, ["component", "vendor", "product"]);
    assert!(
        paths[ALIASES]["post"]["responses"]["409"].is_object(),
        "the conflict is documented"
    );
}
