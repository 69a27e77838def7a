//! The REST API on a real server on loopback: who may do what (every
//! route × every role × in and out of scope), lists that show only what a
//! user may see, the error classes, and concurrent saves.

mod common;

use common::{Fixture, VULN, call, users, written_state};
use kensa_model::team::{Role, Scope};

/// A save of "c2: no", which makes Shellshock not_affected.
const NOT_AFFECTED: &str = r#"{"answers": {"c2": {"answer": "no", "note": "no CGI, no ForceCommand"}}, "note": "checked the image"}"#;

/// The user's role on a product: what the grant gives where it covers it.
fn role_on(grant: &Option<(Role, Scope)>, product: &str) -> Option<Role> {
    let (role, scope) = grant.as_ref()?;
    let covers = match scope {
        Scope::Global => true,
        Scope::Team(t) => product == format!("{t}-gw"),
        Scope::Product(p) => p == product,
    };
    covers.then_some(*role)
}

fn expect(role: Option<Role>, need: Role, ok: u16) -> u16 {
    match role {
        None => 404,
        Some(r) if r < need => 403,
        Some(_) => ok,
    }
}

/// Saves a fresh revision as a global admin, so that an approval has
/// something to approve.
fn fresh_revision(f: &Fixture, product: &str) {
    let r = call(
        f,
        "PUT",
        &format!("/api/v1/products/{product}/assessments/{VULN}"),
        Some(&f.tokens["admin-global"]),
        Some(NOT_AFFECTED),
    );
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn role_matrix_every_route_every_role_in_and_out_of_scope() {
    let f = Fixture::new();
    for product in ["red-gw", "blue-gw", "solo"] {
        fresh_revision(&f, product);
    }
    let mut checked = 0;
    for (user, grant) in users() {
        let token = f.tokens[&user].clone();
        for product in ["red-gw", "blue-gw", "solo"] {
            let role = role_on(&grant, product);
            let base = format!("/api/v1/products/{product}");
            let a = format!("{base}/assessments/{VULN}");
            let cases: Vec<(&str, String, Option<&str>, Role, u16)> = vec![
                ("GET", base.clone(), None, Role::Viewer, 200),
                ("GET", format!("{base}/findings"), None, Role::Viewer, 200),
                ("GET", a.clone(), None, Role::Viewer, 200),
                ("GET", format!("{a}/history"), None, Role::Viewer, 200),
                (
                    "GET",
                    format!("{base}/vex?status=draft"),
                    None,
                    Role::Viewer,
                    200,
                ),
                (
                    "GET",
                    format!("/api/v1/queue?product={product}"),
                    None,
                    Role::Viewer,
                    200,
                ),
                ("PUT", a.clone(), Some(NOT_AFFECTED), Role::Analyst, 200),
                ("POST", format!("{a}/approve"), None, Role::Approver, 200),
                ("GET", format!("{base}/vex"), None, Role::Approver, 200),
                (
                    "GET",
                    format!("/api/v1/audit?product={product}"),
                    None,
                    Role::Admin,
                    200,
                ),
                (
                    "POST",
                    format!("{base}/versions/2.0/sbom?replace=true"),
                    Some("SBOM"),
                    Role::Admin,
                    201,
                ),
            ];
            for (method, path, body, need, ok) in cases {
                if method == "POST" && path.ends_with("/approve") {
                    fresh_revision(&f, product);
                }
                let reply = if body == Some("SBOM") {
                    let sbom = std::fs::read(common::demo().join("rtu-gateway.cdx.json")).unwrap();
                    common::reply(
                        common::agent()
                            .post(&f.url(&path))
                            .header("Authorization", &format!("Bearer {token}"))
                            .content_type("application/json")
                            .send(&sbom[..]),
                    )
                } else {
                    call(&f, method, &path, Some(&token), body)
                };
                let want = expect(role, need, ok);
                assert_eq!(
                    reply.status, want,
                    "{user} {method} {path}: expected {want}, got {} {}",
                    reply.status, reply.text
                );
                if want >= 400 {
                    assert!(
                        reply.content_type.starts_with("application/problem+json"),
                        "{user} {path}: {}",
                        reply.content_type
                    );
                    let p = reply.json();
                    assert_eq!(p["status"], want);
                    if want == 404 {
                        // Out of scope looks exactly like absent.
                        assert!(
                            !p["detail"].as_str().unwrap().contains("role"),
                            "{}",
                            p["detail"]
                        );
                    }
                }
                checked += 1;
            }
        }
        // Routes without a product.
        let global_admin = grant
            .as_ref()
            .is_some_and(|(r, s)| *r == Role::Admin && *s == Scope::Global);
        assert_eq!(
            call(&f, "GET", "/api/v1/audit", Some(&token), None).status,
            if global_admin { 200 } else { 403 },
            "{user}"
        );
        assert_eq!(
            call(&f, "GET", "/api/v1/products", Some(&token), None).status,
            200
        );
        assert_eq!(
            call(&f, "GET", "/api/v1/queue", Some(&token), None).status,
            200
        );
        assert_eq!(
            call(
                &f,
                "GET",
                &format!("/api/v1/vulnerabilities/{VULN}"),
                Some(&token),
                None
            )
            .status,
            200
        );
        assert_eq!(
            call(
                &f,
                "GET",
                &format!("/api/v1/vulnerabilities/{VULN}/checklist?lang=ja"),
                Some(&token),
                None
            )
            .status,
            200
        );
    }
    assert!(checked >= 13 * 3 * 11, "{checked} cases");
}

#[test]
fn two_teams_never_add_up() {
    let f = Fixture::new();
    let t = f.tokens["mixed"].clone();
    // Analyst on red: may save there.
    let r = call(
        &f,
        "PUT",
        &format!("/api/v1/products/red-gw/assessments/{VULN}"),
        Some(&t),
        Some(NOT_AFFECTED),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // Viewer on blue: reads, may not save (Dependency-Track #5295).
    let r = call(
        &f,
        "PUT",
        &format!("/api/v1/products/blue-gw/assessments/{VULN}"),
        Some(&t),
        Some(NOT_AFFECTED),
    );
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        call(
            &f,
            "GET",
            "/api/v1/products/blue-gw/findings",
            Some(&t),
            None
        )
        .status,
        200
    );
    // No grant covers solo: it does not exist.
    assert_eq!(
        call(&f, "GET", "/api/v1/products/solo", Some(&t), None).status,
        404
    );
    let names: Vec<String> = call(&f, "GET", "/api/v1/products", Some(&t), None).json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["blue-gw", "red-gw"]);
}

#[test]
fn lists_counts_and_queues_show_only_what_a_user_may_see() {
    let f = Fixture::new();
    let viewer = f.tokens["viewer-team"].clone();
    let products = call(&f, "GET", "/api/v1/products", Some(&viewer), None).json();
    let items = products["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "red-gw");
    assert_eq!(items[0]["counts"]["findings"], 119, "{}", items[0]);
    // The queue: only red-gw's findings, most urgent first, a page at a time.
    let mut seen = 0;
    let mut cursor: Option<String> = None;
    let mut last_priority = u64::MAX;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/queue?limit=50&cursor={c}"),
            None => "/api/v1/queue?limit=50".to_string(),
        };
        let page = call(&f, "GET", &path, Some(&viewer), None).json();
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["product"], "red-gw");
            let p = item["priority"].as_u64().unwrap();
            assert!(p <= last_priority, "sorted by priority");
            last_priority = p;
            seen += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, 119);
    // Someone with no grant sees nothing at all.
    let nobody = f.tokens["nobody"].clone();
    assert_eq!(
        call(&f, "GET", "/api/v1/products", Some(&nobody), None).json()["items"],
        serde_json::json!([])
    );
    assert_eq!(
        call(&f, "GET", "/api/v1/queue", Some(&nobody), None).json()["items"],
        serde_json::json!([])
    );
    // The global viewer's queue holds all three products.
    let all = call(
        &f,
        "GET",
        "/api/v1/queue?limit=1000",
        Some(&f.tokens["viewer-global"]),
        None,
    )
    .json();
    assert_eq!(all["items"].as_array().unwrap().len(), 3 * 119);
}

#[test]
fn assessment_save_verdict_etag_approval_and_vex() {
    let f = Fixture::new();
    let analyst = f.tokens["analyst-product"].clone();
    let path = format!("/api/v1/products/red-gw/assessments/{VULN}");
    let r = call(&f, "PUT", &path, Some(&analyst), Some(NOT_AFFECTED));
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.etag.as_deref(), Some("\"1\""));
    let v = r.json();
    assert_eq!(v["verdict"], "not_affected");
    assert_eq!(v["version"], 1);
    assert!(
        v["basis"].as_str().unwrap().contains("c2"),
        "{}",
        v["basis"]
    );
    // The findings list carries the stored verdict.
    let findings = call(
        &f,
        "GET",
        "/api/v1/products/red-gw/findings?verdict=not_affected",
        Some(&analyst),
        None,
    )
    .json();
    let items = findings["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|i| i["vulnerability"]["id"] == VULN && i["verdict"]["status"] == "not_affected")
    );
    assert!(items[0]["match"]["method"].is_string() && items[0]["triage"]["priority"].is_number());
    // No approved verdict yet: a final VEX has nothing to state.
    let approver = f.tokens["approver-product"].clone();
    assert_eq!(
        call(
            &f,
            "GET",
            "/api/v1/products/red-gw/vex",
            Some(&approver),
            None
        )
        .status,
        409
    );
    let r = call(
        &f,
        "POST",
        &format!("{path}/approve"),
        Some(&approver),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["approved"], true);
    for (format, check) in [
        ("openvex", "statements"),
        ("cyclonedx", "vulnerabilities"),
        ("csaf", "vulnerabilities"),
    ] {
        let r = call(
            &f,
            "GET",
            &format!("/api/v1/products/red-gw/vex?format={format}"),
            Some(&approver),
            None,
        );
        assert_eq!(r.status, 200, "{format}: {}", r.text);
        let doc = r.json();
        assert_eq!(doc[check].as_array().unwrap().len(), 1, "{format}");
    }
    let openvex = call(
        &f,
        "GET",
        "/api/v1/products/red-gw/vex",
        Some(&approver),
        None,
    )
    .json();
    assert_eq!(openvex["statements"][0]["status"], "not_affected");
    // A stale If-Match is refused; the current one saves revision 2.
    let stale = common::reply(
        common::agent()
            .put(&f.url(&path))
            .header("Authorization", &format!("Bearer {analyst}"))
            .header("If-Match", "\"7\"")
            .content_type("application/json")
            .send(NOT_AFFECTED),
    );
    assert_eq!(stale.status, 412, "{}", stale.text);
    // Every condition holds: affected.
    let ids = call(
        &f,
        "GET",
        &format!("/api/v1/vulnerabilities/{VULN}/checklist"),
        Some(&analyst),
        None,
    )
    .json()["ids"]
        .clone();
    let all_yes: serde_json::Map<String, serde_json::Value> = ids
        .as_array()
        .unwrap()
        .iter()
        .map(|id| (id.as_str().unwrap().to_string(), serde_json::json!("yes")))
        .collect();
    let ok = common::reply(
        common::agent()
            .put(&f.url(&path))
            .header("Authorization", &format!("Bearer {analyst}"))
            .header("If-Match", "\"1\"")
            .content_type("application/json")
            .send(&serde_json::json!({"answers": all_yes}).to_string()),
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json()["verdict"], "affected");
    assert_eq!(ok.json()["approved"], false);
    // The final VEX still states the approved revision.
    let openvex = call(
        &f,
        "GET",
        "/api/v1/products/red-gw/vex",
        Some(&approver),
        None,
    )
    .json();
    assert_eq!(openvex["statements"][0]["status"], "not_affected");
    // History and audit hold both saves and the approval, with before → after.
    let history = call(&f, "GET", &format!("{path}/history"), Some(&analyst), None).json();
    assert_eq!(history.as_array().unwrap().len(), 3);
    let audit = call(
        &f,
        "GET",
        "/api/v1/audit?product=red-gw",
        Some(&f.tokens["admin-product"]),
        None,
    )
    .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        &actions[..3],
        ["assessment.save", "assessment.approve", "assessment.save"]
    );
    let last = &audit["items"][0];
    assert_eq!(last["actor"], "analyst-product");
    assert!(last["via"].as_str().unwrap().starts_with("token:"));
    assert_eq!(last["client"], "127.0.0.1");
    assert_eq!(last["change"]["before"]["status"], "not_affected");
    assert_eq!(last["change"]["after"]["revision"], 2);
}

#[test]
fn error_classes_are_problems_and_change_nothing() {
    let f = Fixture::with(|c| c.max_body = 1 << 20);
    let t = f.tokens["admin-global"].clone();
    let path = format!("/api/v1/products/red-gw/assessments/{VULN}");
    let before = written_state(&f.store());
    let cases: Vec<(u16, common::Reply)> = vec![
        (401, call(&f, "GET", "/api/v1/products", None, None)),
        (
            401,
            call(
                &f,
                "GET",
                "/api/v1/products",
                Some("kensa_not-a-real-token"),
                None,
            ),
        ),
        (
            400,
            call(
                &f,
                "PUT",
                &path,
                Some(&t),
                Some(r#"{"answers": {"c2": "no""#),
            ),
        ),
        (
            422,
            call(
                &f,
                "PUT",
                &path,
                Some(&t),
                Some(r#"{"answers": {"c99": "no"}}"#),
            ),
        ),
        (
            422,
            call(
                &f,
                "PUT",
                &path,
                Some(&t),
                Some(r#"{"answers": {"c2": "maybe"}}"#),
            ),
        ),
        (
            422,
            call(
                &f,
                "PUT",
                &path,
                Some(&t),
                Some(r#"{"answers": {}, "colour": "red"}"#),
            ),
        ),
        (
            422,
            call(&f, "PUT", &path, Some(&t), Some(r#"{"answers": ["c2"]}"#)),
        ),
        (
            422,
            call(&f, "GET", "/api/v1/queue?limit=5000", Some(&t), None),
        ),
        (
            422,
            call(&f, "GET", "/api/v1/queue?sort=up", Some(&t), None),
        ),
        (
            404,
            call(
                &f,
                "GET",
                "/api/v1/products/no-such/findings",
                Some(&t),
                None,
            ),
        ),
        (
            404,
            call(
                &f,
                "PUT",
                "/api/v1/products/red-gw/assessments/CVE-1999-99999",
                Some(&t),
                Some(NOT_AFFECTED),
            ),
        ),
        (
            415,
            common::reply(
                common::agent()
                    .put(&f.url(&path))
                    .header("Authorization", &format!("Bearer {t}"))
                    .content_type("text/plain")
                    .send(NOT_AFFECTED),
            ),
        ),
        (
            415,
            common::reply(
                common::agent()
                    .post(&f.url("/api/v1/products/red-gw/versions/9/sbom"))
                    .header("Authorization", &format!("Bearer {t}"))
                    .content_type("image/png")
                    .send(&b"x"[..]),
            ),
        ),
        (
            400,
            common::reply(
                common::agent()
                    .post(&f.url("/api/v1/products/red-gw/versions/9/sbom"))
                    .header("Authorization", &format!("Bearer {t}"))
                    .content_type("application/json")
                    .send(&b"{\"bomFormat\": \"CycloneDX\", "[..]),
            ),
        ),
        (
            422,
            common::reply(
                common::agent()
                    .post(&f.url("/api/v1/products/red-gw/versions/9/sbom"))
                    .header("Authorization", &format!("Bearer {t}"))
                    .content_type("application/json")
                    .send(&b"{\"hello\": \"world\"}"[..]),
            ),
        ),
        (
            409,
            common::reply(
                common::agent()
                    .post(&f.url("/api/v1/products/red-gw/versions/1.0/sbom"))
                    .header("Authorization", &format!("Bearer {t}"))
                    .content_type("application/json")
                    .send(&std::fs::read(common::demo().join("rtu-gateway.cdx.json")).unwrap()[..]),
            ),
        ),
    ];
    for (i, (want, r)) in cases.iter().enumerate() {
        assert_eq!(r.status, *want, "case {i}: {}", r.text);
        assert!(
            r.content_type.starts_with("application/problem+json"),
            "case {i}: {}",
            r.content_type
        );
        let p = r.json();
        assert_eq!(p["status"], *want, "case {i}");
        assert!(
            p["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "case {i}"
        );
    }
    // A body over the limit is refused from its declared length, before
    // the client has sent any of it.
    let raw = refused_before_body(&f, &t, 2 << 20);
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert!(raw.contains("application/problem+json"), "{raw}");
    // The field is named where there is one.
    assert_eq!(cases[3].1.json()["field"], "answers.c99");
    assert_eq!(cases[4].1.json()["field"], "answers.c2");
    assert_eq!(cases[5].1.json()["field"], "colour");
    assert_eq!(cases[7].1.json()["field"], "limit");
    assert_eq!(cases[11].1.json()["field"], "Content-Type");
    // Nothing was written by any of them.
    assert_eq!(written_state(&f.store()), before);
}

#[test]
fn eight_clients_saving_at_once_lose_nothing() {
    let f = Fixture::new();
    let path = format!("/api/v1/products/red-gw/assessments/{VULN}");
    let audit_before = f.store().audit_count().unwrap();
    let per_client = 5;
    std::thread::scope(|s| {
        for i in 0..8 {
            let (f, path) = (&f, &path);
            let token = f.tokens[if i % 2 == 0 {
                "analyst-team"
            } else {
                "approver-global"
            }]
            .clone();
            s.spawn(move || {
                for _ in 0..per_client {
                    let r = call(f, "PUT", path, Some(&token), Some(NOT_AFFECTED));
                    assert_eq!(r.status, 200, "{}", r.text);
                }
            });
        }
    });
    let store = f.store();
    let p = store.product_ref("red-gw").unwrap().unwrap();
    let a = store.assessment(p.id, VULN).unwrap().unwrap();
    assert_eq!(
        a.revision,
        8 * per_client,
        "every accepted write is a revision"
    );
    assert_eq!(
        store.assessment_history(p.id, VULN).unwrap().len() as i64,
        8 * per_client
    );
    assert_eq!(
        store.audit_count().unwrap() - audit_before,
        8 * per_client as u64,
        "each audited once"
    );
    // Eight writers all based on the same revision: one wins, seven get 412.
    let etag = format!("\"{}\"", a.revision);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (f, path, etag) = (&f, &path, &etag);
                let token = f.tokens["analyst-global"].clone();
                s.spawn(move || {
                    common::reply(
                        common::agent()
                            .put(&f.url(path))
                            .header("Authorization", &format!("Bearer {token}"))
                            .header("If-Match", etag)
                            .content_type("application/json")
                            .send(NOT_AFFECTED),
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 412).count(),
        7,
        "{statuses:?}"
    );
}

#[test]
fn health_metrics_openapi_and_revoked_tokens() {
    let f = Fixture::new();
    let r = call(&f, "GET", "/healthz", None, None);
    assert_eq!(r.status, 200);
    assert_eq!(
        call(&f, "GET", "/readyz", None, None).json()["status"],
        "ready"
    );
    let doc = call(&f, "GET", "/api/v1/openapi.json", None, None).json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for route in [
        "/api/v1/products",
        "/api/v1/products/{name}",
        "/api/v1/products/{name}/versions/{version}/sbom",
        "/api/v1/products/{name}/findings",
        "/api/v1/queue",
        "/api/v1/vulnerabilities/{id}",
        "/api/v1/vulnerabilities/{id}/checklist",
        "/api/v1/products/{name}/assessments/{vuln}",
        "/api/v1/products/{name}/assessments/{vuln}/approve",
        "/api/v1/products/{name}/vex",
        "/api/v1/audit",
        "/healthz",
        "/readyz",
    ] {
        assert!(
            doc["paths"][route].is_object(),
            "openapi.json lacks {route}"
        );
    }
    let t = f.tokens["viewer-global"].clone();
    assert_eq!(
        call(&f, "GET", "/api/v1/products", Some(&t), None).status,
        200
    );
    let metrics = call(&f, "GET", "/metrics", None, None).text;
    assert!(
        metrics.contains(
            "kensa_http_requests_total{method=\"GET\",route=\"/api/v1/products\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    // A revoked token, and a disabled user's, stop working at once.
    let mut store = f.store();
    let op = kensa_app::Actor::operator();
    let id = store.tokens(Some("viewer-global")).unwrap()[0].id;
    kensa_app::accounts::revoke_token(&mut store, &op, id).unwrap();
    assert_eq!(
        call(&f, "GET", "/api/v1/products", Some(&t), None).status,
        401
    );
    kensa_app::accounts::set_user_disabled(&mut store, &op, "viewer-team", true).unwrap();
    assert_eq!(
        call(
            &f,
            "GET",
            "/api/v1/products",
            Some(&f.tokens["viewer-team"]),
            None
        )
        .status,
        401
    );
}

/// Sends only the headers of an upload declaring `length` bytes and reads
/// what the server answers.
fn refused_before_body(f: &Fixture, token: &str, length: usize) -> String {
    use std::io::{Read, Write};
    let addr = f.server.as_ref().unwrap().addr;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "POST /api/v1/products/red-gw/versions/9/sbom HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    )
    .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn sensors_deliver_alerts_that_global_readers_see() {
    let f = Fixture::new();
    let alert = |id: &str, severity: &str, count: u64| {
        serde_json::json!({"id": id, "rule": "new_host", "severity": severity, "src": "10.0.0.9",
            "dst": "10.0.0.2", "explanation": "10.0.0.9 was never seen before", "count": count,
            "asset": {"summary": "10.0.0.2: Siemens S7-300, firmware 3.2.6"}})
    };
    let post = |token: &str, body: &serde_json::Value| {
        call(
            &f,
            "POST",
            "/api/v1/alerts?sensor=cell-7",
            Some(token),
            Some(&body.to_string()),
        )
    };
    let batch = serde_json::json!([alert("a1", "high", 1), alert("a2", "low", 1)]);
    // Alerts concern the plant's network: global grants only.
    assert_eq!(post(&f.tokens["analyst-team"], &batch).status, 403);
    assert_eq!(post(&f.tokens["viewer-global"], &batch).status, 403);
    let r = post(&f.tokens["analyst-global"], &batch);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["new"], 2);
    // A repeat updates its alert instead of adding one.
    let r = post(
        &f.tokens["analyst-global"],
        &serde_json::json!([alert("a1", "critical", 5)]),
    );
    assert_eq!(
        (r.json()["new"].clone(), r.json()["updated"].clone()),
        (0.into(), 1.into())
    );
    let page = call(
        &f,
        "GET",
        "/api/v1/alerts?severity=high",
        Some(&f.tokens["viewer-global"]),
        None,
    )
    .json();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["id"].as_str(), items[0]["count"].as_u64()),
        (Some("a1"), Some(5))
    );
    assert_eq!(items[0]["severity"], "critical");
    assert_eq!(
        items[0]["alert"]["asset"]["summary"],
        "10.0.0.2: Siemens S7-300, firmware 3.2.6"
    );
    assert_eq!(
        call(
            &f,
            "GET",
            "/api/v1/alerts",
            Some(&f.tokens["viewer-team"]),
            None
        )
        .status,
        403
    );
    // A bad alert refuses the whole delivery, naming the field.
    let before = written_state(&f.store());
    let r = post(
        &f.tokens["analyst-global"],
        &serde_json::json!([alert("a3", "low", 1), alert("a4", "dire", 1)]),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["field"], "alerts[1].severity");
    let r = call(
        &f,
        "POST",
        "/api/v1/alerts?sensor=bad%20name",
        Some(&f.tokens["analyst-global"]),
        Some("[]"),
    );
    assert_eq!(
        (r.status, r.json()["field"].as_str()),
        (422, Some("sensor"))
    );
    assert_eq!(written_state(&f.store()), before);
    let trail = f
        .store()
        .audit_log(&kensa_store::team::AuditFilter {
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(trail[0].action, "alerts.receive");
    assert_eq!(trail[0].object, "sensor:cell-7");
}
