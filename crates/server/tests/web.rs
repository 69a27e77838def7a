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
    assert!(
        !p.body.contains("Ask the model"),
        "no button without a language model"
    );
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

/// The web checklist pre-fills what the product's data answers (issue #17),
/// with source and evidence; a facts file stored with the version answers
/// too; saving keeps unchanged proposals as automatic (in the stored
/// answers and the audit trail) and a person's changes as theirs.
#[test]
fn the_checklist_proposes_automatic_answers_and_saving_records_them() {
    use common::VULN;
    let f = Fixture::new();
    let session = login(&f, "analyst-product", PASSWORD, "/");
    let session = cookie(&session, "kensa_session").unwrap().to_string();
    let here = format!("/products/red-gw/findings/{VULN}");
    let show = || page(agent().get(&f.url(&here)).header("Cookie", &session).call());

    // Shellshock on the demo gateway: bash 4.3 (yes), no OpenSSH and no
    // Apache (no, on the SBOM's word), pre-filled with their evidence.
    let p = show();
    assert_eq!(p.status, 200);
    for (id, answer) in [("c1", "yes"), ("c3", "no"), ("c4", "no")] {
        assert_eq!(hidden(&p.body, &format!("auto.{id}")), answer, "{id}");
        assert!(
            p.body
                .contains(&format!("name=\"answer.{id}\" value=\"{answer}\" checked")),
            "{id} is pre-filled: {}",
            p.body
        );
    }
    assert!(p.body.contains("bash 4.3"), "{}", p.body);
    assert!(p.body.contains("relies on the SBOM being complete"));
    assert!(p.body.contains("from the SBOM"));
    // Nothing answers the DHCP path yet.
    assert!(!p.body.contains("name=\"auto.c5\""));

    // A facts file uploaded on the product page is stored with the version
    // and answers it from then on; a bad one is refused with its line.
    let facts = std::fs::read_to_string(common::demo().join("rtu-gateway.facts.yaml")).unwrap();
    let facts = facts.replace("product: rtu-gateway", "product: red-gw");
    let facts = facts
        .lines()
        .filter(|l| !l.starts_with("version:"))
        .collect::<Vec<_>>()
        .join("\n");
    let csrf = hidden(&p.body, "csrf");
    let upload = |file_name: &str, text: &str| {
        let boundary = "kensa-test-boundary";
        let mut body = String::new();
        for (n, v) in [
            ("csrf", csrf.as_str()),
            ("version", "1.0"),
            ("kind", "facts"),
        ] {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n"
            ));
        }
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/yaml\r\n\r\n{text}\r\n--{boundary}--\r\n"
        ));
        page(
            agent()
                .post(&f.url("/products/red-gw/files"))
                .header("Cookie", &session)
                .content_type(format!("multipart/form-data; boundary={boundary}"))
                .send(body),
        )
    };
    let r = upload(
        "bad.yaml",
        "services:\n  web server: on\n  modbus: sometimes\n",
    );
    assert!(r.status >= 400, "{} {}", r.status, r.body);
    assert!(r.body.contains("line 3"), "{}", r.body);
    let r = upload("gw.facts.yaml", &facts);
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/products/red-gw#files"),
        "{}",
        r.body
    );
    let product = page(
        agent()
            .get(&f.url("/products/red-gw"))
            .header("Cookie", &session)
            .call(),
    );
    assert!(product.body.contains("gw.facts.yaml"), "{}", product.body);
    assert!(!product.body.contains("bad.yaml"));
    let p = show();
    assert_eq!(hidden(&p.body, "auto.c5"), "yes", "{}", p.body);
    assert!(p.body.contains("stored: gw.facts.yaml"), "{}", p.body);

    let save = |extra: &[(&str, &str)]| {
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("checklist", "en"),
            ("revision", "0"),
            ("version", "1.0"),
        ];
        form.extend_from_slice(extra);
        page(
            agent()
                .post(&f.url(&format!("{here}/assessment")))
                .header("Cookie", &session)
                .send_form(form),
        )
    };
    // A proposal the data no longer gives is refused, nothing stored.
    let r = save(&[
        ("answer.c2", "yes"),
        ("answer.c6", "yes"),
        ("auto.c6", "yes"),
    ]);
    assert!(r.status >= 400, "{} {}", r.status, r.body);
    assert!(r.body.contains("reload the page"), "{}", r.body);
    let op = kensa_app::Actor::operator();
    assert!(kensa_app::assessments::get(&f.store(), &op, "red-gw", VULN).is_err());

    // Kept: c1 and c5. Changed: c3 (no → unknown). Same answer with the
    // person's own note: c4. Answered by the person alone: c2.
    let r = save(&[
        ("answer.c1", "yes"),
        ("auto.c1", "yes"),
        ("answer.c2", "yes"),
        ("answer.c3", "unknown"),
        ("auto.c3", "no"),
        ("answer.c4", "no"),
        ("auto.c4", "no"),
        ("note.c4", "checked the image: no httpd"),
        ("answer.c5", "yes"),
        ("auto.c5", "yes"),
    ]);
    assert_eq!(r.status, 303, "{}", r.body);
    let saved = kensa_app::assessments::get(&f.store(), &op, "red-gw", VULN).unwrap();
    let a = &saved.answers;
    assert_eq!(a["c1"]["note"], "automatic (sbom)", "{a}");
    assert!(a["c1"]["evidence"].as_str().unwrap().contains("bash 4.3"));
    assert_eq!(a["c5"]["note"], "automatic (facts)", "{a}");
    assert!(
        a["c5"]["evidence"]
            .as_str()
            .unwrap()
            .contains("stored: gw.facts.yaml")
    );
    assert_eq!(a["c3"]["answer"], "unknown");
    assert!(a["c3"]["note"].is_null(), "{a}");
    assert_eq!(a["c4"]["note"], "checked the image: no httpd");
    assert_eq!(a["c2"]["answer"], "yes");
    assert!(a["c2"]["note"].is_null());
    // The audit trail shows which answers were automatic.
    let trail = f
        .store()
        .audit_log(&kensa_store::team::AuditFilter {
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    let saved_entry = trail
        .iter()
        .find(|r| r.action == "assessment.save")
        .expect("the save is audited");
    let change = serde_json::to_string(&saved_entry.change).unwrap();
    assert!(change.contains("automatic (sbom)") && change.contains("automatic (facts)"));
    assert_eq!(saved_entry.actor, "analyst-product");

    // Shown again: the kept proposals say so, and their note field stays
    // the person's (empty), not "automatic (…)".
    let p = show();
    assert!(
        p.body.contains("kept in the saved assessment"),
        "{}",
        p.body
    );
    assert!(
        p.body.contains("name=\"note.c1\" ></textarea>"),
        "{}",
        p.body
    );
    assert!(!p.body.contains(">automatic (sbom)</textarea>"));
    // The person's unknown stays checked, not the proposal.
    assert!(
        p.body
            .contains("name=\"answer.c3\" value=\"unknown\" checked")
    );
}

#[test]
fn the_dashboard_shows_open_cra_cases_with_their_clocks_to_those_who_see_the_product() {
    let f = Fixture::new();
    let op = kensa_app::Actor::operator();
    let market = kensa_app::cra::Market {
        on_market: true,
        member_states: vec!["FR".into()],
        support_end: None,
    };
    kensa_app::cra::set_market(&mut f.store(), &op, "red-gw", &market).unwrap();
    let dashboard = |user: &str, lang: &str| {
        let session = login(&f, user, PASSWORD, "/");
        let cookie = cookie(&session, "kensa_session").unwrap().to_string();
        page(
            agent()
                .get(&f.url("/"))
                .header("Cookie", &cookie)
                .header("Accept-Language", lang)
                .call(),
        )
        .body
    };
    let red = dashboard("viewer-team", "en");
    assert!(red.contains("CRA reporting clocks"), "{red}");
    for vuln in [
        "CVE-2014-0160",
        "CVE-2014-6271",
        "CVE-2014-7169",
        "CVE-2016-5195",
    ] {
        assert!(red.contains(vuln), "{vuln}: {red}");
    }
    assert!(
        red.contains("Early warning") && red.contains(">23<"),
        "{red}"
    );
    assert!(!red.contains("overdue"), "{red}");
    // Nobody outside red-gw's grants learns of its cases.
    let nobody = dashboard("nobody", "en");
    assert!(!nobody.contains("CRA reporting clocks"), "{nobody}");
    assert!(dashboard("viewer-team", "ja").contains("早期警告"));
}
