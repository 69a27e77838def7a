//! Signed webhooks over loopback: a team server raises `cra.case_opened`
//! when Kensa opens cases and `cra.deadline_near` 12 hours before a
//! deadline, signs each body with HMAC-SHA256, retries a receiver that
//! failed, and logs every attempt.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::Fixture;
use hmac::{Hmac, KeyInit, Mac};
use kensa_app::Actor;
use kensa_app::cra::{self, Market};
use kensa_app::webhooks;
use serde_json::Value;
use sha2::Sha256;

const SECRET: &str = "receiver-shared-secret-0123";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
    answered: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

/// An HTTP receiver on loopback that answers 500 to its first `failures`
/// requests and 204 after.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(failures: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks/kensa", listener.local_addr().unwrap());
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = BTreeMap::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                loop {
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    let Some((k, v)) = line.trim_end().split_once(':') else {
                        break;
                    };
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
                let len: usize = headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let mut log = log.lock().unwrap();
                let answered = if log.len() < failures { 500 } else { 204 };
                log.push(Received {
                    headers,
                    body,
                    answered,
                });
                drop(log);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {answered} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Receiver { url, got }
    }

    /// Waits until `n` requests were answered 2xx.
    fn wait_for_delivered(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.got.lock().unwrap().clone();
            if got.iter().filter(|r| r.answered < 300).count() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "delivered so far: {got:#?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn signed_by(secret: &str, r: &Received) -> bool {
    let Some(hex) = r.header("x-kensa-signature-256").strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&r.body);
    mac.verify_slice(&sig).is_ok()
}

#[test]
fn cases_and_near_deadlines_are_delivered_signed_and_retried() {
    let f = Fixture::with(|c| c.webhook_poll = Duration::from_millis(200));
    let receiver = Receiver::start(1);
    let op = Actor::operator();
    let mut store = f.store();
    let hook = webhooks::add(&mut store, &op, &receiver.url, &[], Some(SECRET.into())).unwrap();
    assert_eq!(hook.webhook.events, webhooks::EVENTS);

    // red-gw goes on the market: Kensa opens its four KEV cases.
    let market = Market {
        on_market: true,
        member_states: vec!["DE".into()],
        support_end: None,
    };
    cra::set_market(&mut store, &op, "red-gw", &market).unwrap();
    let cases: BTreeSet<String> = cra::list(&store, &op, None, Utc::now())
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(cases.len(), 4, "{cases:?}");

    // The first attempt fails (500) and is retried; each case arrives once.
    let got = receiver.wait_for_delivered(cases.len());
    let delivered: Vec<&Received> = got.iter().filter(|r| r.answered < 300).collect();
    assert_eq!(delivered.len(), cases.len(), "{got:#?}");
    let announced: BTreeSet<String> = delivered
        .iter()
        .map(|r| r.json()["case"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(announced, cases);
    for r in &got {
        assert!(signed_by(SECRET, r), "{r:?}");
        assert!(!signed_by("another-secret-entirely", r));
        assert_eq!(r.header("x-kensa-event"), webhooks::CASE_OPENED);
        assert_eq!(r.json()["event"], webhooks::CASE_OPENED);
        assert_eq!(r.json()["case"]["product"], "red-gw");
    }
    let failed = got.iter().find(|r| r.answered == 500).unwrap();
    let retried = got
        .iter()
        .filter(|r| r.header("x-kensa-delivery") == failed.header("x-kensa-delivery"))
        .count();
    assert_eq!(retried, 2, "the failed delivery was tried again: {got:#?}");

    // The delivery log has every attempt.
    let log = webhooks::deliveries(&store, &op, Some(hook.webhook.id), 100).unwrap();
    assert_eq!(log.len(), cases.len() + 1, "{log:#?}");
    let first = log.iter().find(|d| d.status == Some(500)).unwrap();
    assert_eq!(first.attempt, 1);
    assert!(
        log.iter()
            .any(|d| d.event_id == first.event_id && d.attempt == 2 && d.status == Some(204)),
        "{log:#?}"
    );

    // Thirteen hours on, each early warning is due within 12 h: announced once.
    let later = Utc::now() + chrono::Duration::hours(13);
    assert_eq!(webhooks::raise_due_events(&mut store, later).unwrap(), 4);
    assert_eq!(webhooks::raise_due_events(&mut store, later).unwrap(), 0);
    let got = receiver.wait_for_delivered(cases.len() * 2);
    let near: Vec<Value> = got
        .iter()
        .filter(|r| r.header("x-kensa-event") == webhooks::DEADLINE_NEAR)
        .map(Received::json)
        .collect();
    assert_eq!(near.len(), cases.len(), "{near:#?}");
    for n in &near {
        assert_eq!(n["deadline"]["stage"], "early-warning", "{n}");
        let left = n["deadline"]["hours_left"].as_f64().unwrap();
        assert!((10.9..=11.1).contains(&left), "{n}");
    }
}

#[test]
fn receivers_are_checked_and_only_global_admins_manage_them() {
    let f = Fixture::new();
    let mut store = f.store();
    let op = Actor::operator();
    let bad = |url: &str, events: &[&str], secret: Option<&str>| {
        let events: Vec<String> = events.iter().map(|e| e.to_string()).collect();
        webhooks::add(
            &mut f.store(),
            &op,
            url,
            &events,
            secret.map(str::to_string),
        )
        .unwrap_err()
        .to_string()
    };
    assert!(bad("ftp://example.com/x", &[], None).contains("http"));
    assert!(bad("not a url", &[], None).contains("not a URL"));
    assert!(bad("https://u:p@example.com/", &[], None).contains("credentials"));
    assert!(bad("https://example.com/", &["cra.case_closed"], None).contains("cra.case_opened"));
    assert!(bad("https://example.com/", &[], Some("short")).contains("too short"));

    let made = webhooks::add(&mut store, &op, "https://example.com/in", &[], None).unwrap();
    assert!(made.secret.len() >= 32, "a generated secret");
    let user = |name: &str| {
        let id = store.user_auth(name).unwrap().unwrap().id;
        Actor::user(&store, id, name, "test".into(), None).unwrap()
    };
    let analyst = user("analyst-global");
    let e = webhooks::list(&store, &analyst).unwrap_err().to_string();
    assert!(e.contains("global admin"), "{e}");
    let admin = user("admin-global");
    assert_eq!(webhooks::list(&store, &admin).unwrap().len(), 1);
    webhooks::remove(&mut store, &admin, made.webhook.id).unwrap();
    let e = webhooks::remove(&mut store, &admin, made.webhook.id).unwrap_err();
    assert!(e.to_string().contains("no webhook"), "{e}");
    let trail = kensa_app::audit::read(&store, &op, None, None, Some(10)).unwrap();
    assert!(
        trail
            .items
            .iter()
            .any(|a| a.action == "webhook.remove" && a.actor == "admin-global"),
        "audited"
    );
}
