//! The web UI's security on a real server: logging in (and failing to),
//! session cookies, CSRF on every form, redirects that stay on the server,
//! admin pages for admins only, logging out.

mod common;

use common::{Fixture, PASSWORD};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

struct Page {
    status: u16,
    location: String,
    cookies: Vec<String>,
    body: String,
}

fn page(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Page {
    let mut r = r.expect("answered");
    let header = |n: &str| {
        r.headers()
            .get_all(n)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect::<Vec<_>>()
    };
    Page {
        status: r.status().as_u16(),
        location: header("location").pop().unwrap_or_default(),
        cookies: header("set-cookie"),
        body: r.body_mut().read_to_string().unwrap_or_default(),
    }
}

fn cookie<'a>(p: &'a Page, name: &str) -> Option<&'a str> {
    p.cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap())
}

fn hidden(body: &str, name: &str) -> String {
    let at = body
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} field"));
    let rest = &body[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// Logs in and returns the session cookie (`kensa_session=…`).
fn login(f: &Fixture, user: &str, password: &str, next: &str) -> Page {
    let form = page(agent().get(&f.url("/login")).call());
    let csrf = hidden(&form.body, "csrf");
    let login_cookie = cookie(&form, "kensa_login_csrf").unwrap().to_string();
    page(
        agent()
            .post(&f.url("/login"))
            .header("Cookie", &login_cookie)
            .send_form([
                ("username", user),
                ("password", password),
                ("csrf", &csrf),
                ("next", next),
            ]),
    )
}

#[test]
fn login_sessions_csrf_and_admin_pages() {
    let f = Fixture::new();
    // A page without a session goes to the login page, remembering where.
    let r = page(agent().get(&f.url("/queue")).call());
    assert_eq!((r.status, r.location.as_str()), (303, "/login?next=/queue"));

    // A wrong password: refused, said without telling which part was wrong,
    // and audited.
    let audit_before = f.store().audit_count().unwrap();
    let r = login(&f, "admin-global", "not the password", "/");
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Wrong user name or password"));
    assert!(cookie(&r, "kensa_session").is_none());
    let r = login(&f, "no-such-user", "not the password", "/");
    assert_eq!(r.status, 401);
    let trail = f
        .store()
        .audit_log(&kensa_store::team::AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(f.store().audit_count().unwrap() - audit_before, 2);
    assert!(trail.iter().take(2).all(|r| r.action == "login.failed"));

    // Without the login form's token, no login at all.
    let r = page(
        agent()
            .post(&f.url("/login"))
            .send_form([("username", "admin-global"), ("password", PASSWORD)]),
    );
    assert_eq!(r.status, 403);

    // A good login: an HttpOnly, SameSite=Strict session, and a redirect
    // that never leaves the server.
    let r = login(&f, "admin-global", PASSWORD, "//evil.example/steal");
    assert_eq!((r.status, r.location.as_str()), (303, "/"));
    let set = r
        .cookies
        .iter()
        .find(|c| c.starts_with("kensa_session="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let session = cookie(&r, "kensa_session").unwrap().to_string();

    // Admin forms need the CSRF token of the session.
    let admin = page(
        agent()
            .get(&f.url("/admin"))
            .header("Cookie", &session)
            .call(),
    );
    assert_eq!(admin.status, 200);
    let csrf = hidden(&admin.body, "csrf");
    let before = f.store().users().unwrap().len();
    let forged = page(
        agent()
            .post(&f.url("/admin/users"))
            .header("Cookie", &session)
            .send_form([("name", "mallory"), ("password", "long enough pw")]),
    );
    assert_eq!(forged.status, 403);
    let wrong = page(
        agent()
            .post(&f.url("/admin/users"))
            .header("Cookie", &session)
            .send_form([
                ("name", "mallory"),
                ("password", "long enough pw"),
                ("csrf", "0000"),
            ]),
    );
    assert_eq!(wrong.status, 403);
    assert_eq!(f.store().users().unwrap().len(), before, "nothing stored");
    let ok = page(
        agent()
            .post(&f.url("/admin/users"))
            .header("Cookie", &session)
            .send_form([
                ("name", "erin"),
                ("password", "long enough pw"),
                ("csrf", &csrf),
            ]),
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    let shown = page(
        agent()
            .get(&f.url(&ok.location))
            .header("Cookie", &session)
            .call(),
    );
    assert!(shown.body.contains("user erin added"));
    let last = &f
        .store()
        .audit_log(&kensa_store::team::AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .unwrap()[0];
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("user.add", "admin-global")
    );
    assert!(last.via.starts_with("session:"));
    // An invalid value is shown on the page, not stored.
    let bad = page(
        agent()
            .post(&f.url("/admin/users"))
            .header("Cookie", &session)
            .send_form([("name", "frank"), ("password", "short"), ("csrf", &csrf)]),
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("at least 8"), "{}", bad.body);

    // Logging out ends the session for good.
    let out = page(
        agent()
            .post(&f.url("/logout"))
            .header("Cookie", &session)
            .send_form([("csrf", csrf.as_str())]),
    );
    assert_eq!(out.status, 303);
    let after = page(agent().get(&f.url("/")).header("Cookie", &session).call());
    assert_eq!(after.status, 303, "the old cookie no longer opens a page");

    // Someone without a global admin grant sees no admin page.
    let r = login(&f, "admin-team", PASSWORD, "/");
    let team_admin = cookie(&r, "kensa_session").unwrap().to_string();
    let denied = page(
        agent()
            .get(&f.url("/admin"))
            .header("Cookie", &team_admin)
            .call(),
    );
    assert_eq!(denied.status, 403);
    // Every page carries the security headers.
    let mut r = agent()
        .get(&f.url("/"))
        .header("Cookie", &team_admin)
        .call()
        .unwrap();
    let csp = r
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(r.body_mut().read_to_string().unwrap().contains("red-gw"));
}

/// "This is the same product": an unresolved component's nearest products
/// on the product page; confirming one (an analyst with a global grant,
/// with the session's CSRF token) stores the alias, audited, and the
/// product's findings follow it.
#[test]
fn an_unmatched_component_is_confirmed_from_the_product_page() {
    let f = Fixture::new();
    let sbom = serde_json::json!({
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
    let op = kensa_app::Actor::operator();
    kensa_app::products::add_version(&mut f.store(), &op, &new, true, &|_| {}).unwrap();
    let findings = |f: &Fixture| {
        kensa_app::findings::product_findings(&f.store(), &op, "typo-gw", None, &Default::default())
            .unwrap()
            .findings
    };
    assert!(findings(&f).is_empty());
    let show = |session: &str| {
        page(
            agent()
                .get(&f.url("/products/typo-gw"))
                .header("Cookie", session)
                .call(),
        )
    };

    // A global viewer sees the suggestion, without the action.
    let viewer = login(&f, "viewer-global", PASSWORD, "/");
    let viewer = cookie(&viewer, "kensa_session").unwrap().to_string();
    let p = show(&viewer);
    assert!(p.body.contains("lighttpd:lighttpd"), "{}", p.body);
    assert!(!p.body.contains("This is the same product"));

    let analyst = login(&f, "analyst-global", PASSWORD, "/");
    let analyst = cookie(&analyst, "kensa_session").unwrap().to_string();
    let p = show(&analyst);
    assert!(p.body.contains("This is the same product"), "{}", p.body);
    let csrf = hidden(&p.body, "csrf");
    let confirm = |session: &str, csrf: &str| {
        page(
            agent()
                .post(&f.url("/products/typo-gw/aliases"))
                .header("Cookie", session)
                .send_form([
                    ("csrf", csrf),
                    ("component", "lightttpd"),
                    ("target", "lighttpd:lighttpd"),
                ]),
        )
    };
    assert_eq!(confirm(&analyst, "forged").status, 403);
    assert!(f.store().aliases().unwrap().is_empty());
    let r = confirm(&analyst, &csrf);
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/products/typo-gw#unmatched")
    );
    let aliases = f.store().aliases().unwrap();
    assert_eq!(aliases.len(), 1);
    assert_eq!(aliases[0].created_by, "analyst-global");
    let found = findings(&f);
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|v| v.finding.matched.evidence.contains("the team confirmed"))
    );
    let trail = f
        .store()
        .audit_log(&kensa_store::team::AuditFilter {
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert!(
        trail
            .iter()
            .any(|r| r.action == "alias.add" && r.actor == "analyst-global")
    );
    assert!(
        !show(&analyst).body.contains("This is the same product"),
        "resolved now"
    );
}
