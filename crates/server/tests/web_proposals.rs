//! "Ask the model" on the product page, against a loopback
//! OpenAI-compatible server with a canned answer: the proposal is shown
//! with its reasoning and the candidates, nothing is stored until the
//! analyst confirms it, and the confirmation carries the model's name.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::{Fixture, PASSWORD};
use kensa_logic::llm::LlmConfig;

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

fn cookie(p: &Page, name: &str) -> String {
    p.cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

fn hidden(body: &str, name: &str) -> String {
    let at = body
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} field"));
    let rest = &body[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn session(f: &Fixture, user: &str) -> String {
    let form = page(agent().get(&f.url("/login")).call());
    let csrf = hidden(&form.body, "csrf");
    let p = page(
        agent()
            .post(&f.url("/login"))
            .header("Cookie", &cookie(&form, "kensa_login_csrf"))
            .send_form([
                ("username", user),
                ("password", PASSWORD),
                ("csrf", &csrf),
                ("next", "/"),
            ]),
    );
    cookie(&p, "kensa_session")
}

/// A chat-completions server whose every answer says the component is
/// dropbear_ssh; counts the requests.
fn model() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                if h.trim_end().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let content = serde_json::json!({
                "vendor": "dropbear_ssh_project", "product": "dropbear_ssh", "confidence": 0.86,
                "reasoning": "Dropbear is the SSH server NVD names dropbear_ssh."
            })
            .to_string();
            let text = serde_json::json!({
                "object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]
            })
            .to_string();
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    (url, count)
}

#[test]
fn the_model_proposes_and_only_the_analyst_confirms() {
    let (url, requests) = model();
    let f = Fixture::with(|c| {
        c.llm = Some(LlmConfig {
            base_url: url,
            model: "qwen2.5-7b-instruct".into(),
            api_key: None,
            timeout: Duration::from_secs(20),
        })
    });
    let sbom = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [{"type": "application", "bom-ref": "ssh", "name": "dropbear", "version": "2014.63"}],
    })
    .to_string();
    let op = kensa_app::Actor::operator();
    let new = kensa_app::products::AddVersion {
        product: "ssh-gw",
        version: "1.0",
        sbom: sbom.as_bytes(),
        origin: "test",
        team: None,
        replace: false,
        strict: false,
        parsed: None,
    };
    kensa_app::products::add_version(&mut f.store(), &op, &new, true, &|_| {}).unwrap();
    let findings = || {
        kensa_app::findings::product_findings(&f.store(), &op, "ssh-gw", None, &Default::default())
            .unwrap()
            .findings
    };
    assert!(findings().is_empty());
    let show = |s: &str| {
        page(
            agent()
                .get(&f.url("/products/ssh-gw"))
                .header("Cookie", s)
                .call(),
        )
    };
    let ask = |s: &str, csrf: &str| {
        page(
            agent()
                .post(&f.url("/products/ssh-gw/proposals"))
                .header("Cookie", s)
                .send_form([("csrf", csrf), ("component", "dropbear")]),
        )
    };

    // A viewer sees no button, and may not ask.
    let viewer = session(&f, "viewer-global");
    let p = show(&viewer);
    assert!(!p.body.contains("Ask the model"), "{}", p.body);
    assert_eq!(ask(&viewer, &hidden(&p.body, "csrf")).status, 403);
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 0);

    let analyst = session(&f, "analyst-global");
    let p = show(&analyst);
    assert!(p.body.contains("Ask the model"), "{}", p.body);
    let csrf = hidden(&p.body, "csrf");
    assert_eq!(ask(&analyst, "forged").status, 403);
    let r = ask(&analyst, &csrf);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("dropbear_ssh_project:dropbear_ssh"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("Dropbear is the SSH server NVD names dropbear_ssh."),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Candidates the model was shown"),
        "{}",
        r.body
    );
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Asking stored nothing.
    assert!(f.store().aliases().unwrap().is_empty());
    assert!(findings().is_empty());

    // An unknown component is a 404, and costs no request.
    let r = page(
        agent()
            .post(&f.url("/products/ssh-gw/proposals"))
            .header("Cookie", &analyst)
            .send_form([("csrf", csrf.as_str()), ("component", "nothing-here")]),
    );
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 1);

    // The confirm form on the proposal page stores the alias with the
    // model's name; the findings follow.
    let ask_page = ask(&analyst, &csrf);
    let target = hidden(&ask_page.body, "target");
    let note = hidden(&ask_page.body, "note");
    assert_eq!(target, "dropbear_ssh_project:dropbear_ssh");
    let r = page(
        agent()
            .post(&f.url("/products/ssh-gw/aliases"))
            .header("Cookie", &analyst)
            .send_form([
                ("csrf", csrf.as_str()),
                ("component", "dropbear"),
                ("target", target.as_str()),
                ("note", note.as_str()),
            ]),
    );
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/products/ssh-gw#unmatched")
    );
    let aliases = f.store().aliases().unwrap();
    assert_eq!(aliases.len(), 1);
    assert_eq!(
        aliases[0].note.as_deref(),
        Some("proposed by llm:qwen2.5-7b-instruct, confirmed by a person")
    );
    assert!(
        !findings().is_empty(),
        "the confirmation brings the findings"
    );
}
