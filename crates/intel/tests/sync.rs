//! `kensa db sync` against a loopback HTTP server serving recorded real
//! responses (NVD API pages from anchore/vunnel's fixtures, the KEV catalog,
//! CSAF advisories). No test sleeps: the client's sleeper records delays.

mod support;

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use kensa_intel::sync::{
    self, Client, HttpConfig, HttpError, SyncError, SyncOptions, csaf, epss, kev, nvd,
};
use kensa_store::Store;
use serde_json::Value;
use support::{Reply, Request, Server};

// ---------------------------------------------------------------- helpers

fn fixture(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture with `{{BASE}}` replaced by the server's address.
fn template(rel: &str, server_base: &str) -> Vec<u8> {
    String::from_utf8(fixture(rel))
        .unwrap()
        .replace("{{BASE}}", server_base)
        .into_bytes()
}

type Sleeps = Arc<Mutex<Vec<Duration>>>;

fn test_config() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(30),
        max_attempts: 3,
        initial_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(8),
        jitter: false,
        min_interval: Duration::ZERO,
        ..HttpConfig::default()
    }
}

/// A client whose sleeps are recorded, not slept.
fn client_with(config: HttpConfig) -> (Client, Sleeps) {
    let sleeps: Sleeps = Arc::default();
    let recorder = sleeps.clone();
    let client = Client::new(config).with_sleeper(Arc::new(move |d| {
        recorder.lock().unwrap().push(d);
    }));
    (client, sleeps)
}

fn client() -> (Client, Sleeps) {
    client_with(test_config())
}

fn slept(sleeps: &Sleeps) -> Vec<Duration> {
    sleeps.lock().unwrap().clone()
}

fn store() -> Store {
    Store::open_in_memory().unwrap()
}

fn quiet() -> SyncOptions<'static> {
    SyncOptions::default()
}

fn t(s: &str) -> DateTime<Utc> {
    sync::parse_date(s).unwrap()
}

const NVD_PATH: &str = "/rest/json/cves/2.0";

fn nvd_opts(server: &Server, since: Option<&str>, until: &str) -> nvd::NvdOptions {
    nvd::NvdOptions {
        url: server.url(NVD_PATH),
        since: since.map(t),
        until: Some(t(until)),
        page_size: 20,
        ..nvd::NvdOptions::default()
    }
}

fn cursor(store: &Store) -> Option<String> {
    store.meta(nvd::CURSOR_KEY).unwrap()
}

/// The real 38-result page split into two pages of the real shape:
/// 20 results from startIndex 0, then 18 from startIndex 20.
fn nvd_pages() -> (Value, Value) {
    let full: Value = serde_json::from_slice(&fixture("sync/nvd-full-page.json")).unwrap();
    let vulns = full["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 38);
    let page = |start: usize, items: &[Value]| {
        let mut p = full.clone();
        p["resultsPerPage"] = items.len().into();
        p["startIndex"] = start.into();
        p["totalResults"] = 38.into();
        p["vulnerabilities"] = Value::Array(items.to_vec());
        p
    };
    (page(0, &vulns[..20]), page(20, &vulns[20..]))
}

fn nvd_ids(page: &Value) -> Vec<String> {
    page["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["cve"]["id"].as_str().unwrap().to_string())
        .collect()
}

fn empty_nvd_page() -> Vec<u8> {
    br#"{"resultsPerPage":0,"startIndex":0,"totalResults":0,"format":"NVD_CVE","version":"2.0","timestamp":"2024-10-27T10:00:00.000","vulnerabilities":[]}"#.to_vec()
}

fn json(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// Serves the two pages by `startIndex`.
fn paging_server() -> Server {
    let (p1, p2) = nvd_pages();
    Server::start(move |r: &Request| match r.param("startIndex") {
        Some("0") => Reply::ok(json(&p1)),
        Some("20") => Reply::ok(json(&p2)),
        _ => Reply::status(404),
    })
}

fn start_indexes(server: &Server) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| r.param("startIndex").unwrap_or("-").to_string())
        .collect()
}

// ---------------------------------------------------------------- NVD

#[test]
fn nvd_pages_until_total_and_stores_all_38_cves() {
    let server = paging_server();
    let mut store = store();
    let (mut client, _) = client();
    let opts = nvd_opts(&server, Some("2023-10-17"), "2023-10-19");
    let report = nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap();

    let requests = server.requests();
    assert_eq!(start_indexes(&server), ["0", "20"]);
    for r in &requests {
        assert_eq!(r.path, NVD_PATH);
        assert_eq!(r.param("resultsPerPage"), Some("20"));
        assert_eq!(
            r.param("lastModStartDate"),
            Some("2023-10-17T00:00:00.000%2B00:00")
        );
        assert_eq!(
            r.param("lastModEndDate"),
            Some("2023-10-19T00:00:00.000%2B00:00")
        );
    }
    let (p1, p2) = nvd_pages();
    for id in nvd_ids(&p1).iter().chain(&nvd_ids(&p2)) {
        let v = store.vuln(id).unwrap();
        assert!(v.is_some(), "{id} not stored");
    }
    assert_eq!(report.requests, 2);
    assert_eq!(report.imported, 2, "one import per page");
    assert_eq!(report.counts.inserted, 38);
    assert_eq!(report.cursor_before, None);
    assert_eq!(
        report.cursor_after.as_deref(),
        Some("2023-10-19T00:00:00.000+00:00")
    );
    assert_eq!(cursor(&store), report.cursor_after);
    // Each page is logged as its own import, named by its URL.
    let origin = &store.vuln("CVE-2023-27314").unwrap().unwrap().records[0].imported_from;
    assert!(
        origin.starts_with(&server.url(NVD_PATH)) && origin.ends_with("startIndex=0"),
        "{origin}"
    );
}

#[test]
fn nvd_300_days_are_fetched_in_three_windows_of_at_most_120_days() {
    let single = fixture("sync/nvd-single-entry.json");
    let server = Server::start(move |r: &Request| {
        // Only the middle window has a change.
        if r.param("lastModStartDate") == Some("2024-04-30T00:00:00.000%2B00:00") {
            Reply::ok(single.clone())
        } else {
            Reply::ok(empty_nvd_page())
        }
    });
    let mut store = store();
    let (mut client, _) = client();
    let opts = nvd_opts(&server, Some("2024-01-01"), "2024-10-27");
    let report = nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap();

    let ranges: Vec<(String, String)> = server
        .requests()
        .iter()
        .map(|r| {
            (
                r.param("lastModStartDate").unwrap().to_string(),
                r.param("lastModEndDate").unwrap().to_string(),
            )
        })
        .collect();
    let expect = |a: &str, b: &str| {
        (
            format!("{a}T00:00:00.000%2B00:00"),
            format!("{b}T00:00:00.000%2B00:00"),
        )
    };
    assert_eq!(
        ranges,
        [
            expect("2024-01-01", "2024-04-30"),
            expect("2024-04-30", "2024-08-28"),
            expect("2024-08-28", "2024-10-27"),
        ]
    );
    assert_eq!(report.imported, 1, "empty windows import nothing");
    assert!(store.vuln("CVE-2022-1576").unwrap().is_some());
    assert_eq!(
        cursor(&store).as_deref(),
        Some("2024-10-27T00:00:00.000+00:00")
    );
}

#[test]
fn nvd_api_key_goes_in_a_header_never_in_the_url() {
    let server = Server::start(|_: &Request| Reply::ok(empty_nvd_page()));
    let mut store = store();
    let (mut client, _) = client();
    let opts = nvd::NvdOptions {
        api_key: Some("test-key-1234".into()),
        ..nvd_opts(&server, Some("2024-10-01"), "2024-10-02")
    };
    nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("apiKey"), Some("test-key-1234"));
    assert!(!r.query.contains("test-key"), "{}", r.query);
    let ua = r.header("user-agent").unwrap();
    assert_eq!(ua, format!("kensa/{}", env!("CARGO_PKG_VERSION")));

    // And none without a key.
    let server = Server::start(|_: &Request| Reply::ok(empty_nvd_page()));
    let opts = nvd_opts(&server, Some("2024-10-01"), "2024-10-02");
    nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap();
    assert_eq!(server.requests()[0].header("apiKey"), None);
}

#[test]
fn nvd_rate_limit_defaults_follow_the_documented_limits() {
    // 5 requests per rolling 30 s without a key, 50 with one.
    assert_eq!(nvd::http_config(false).min_interval, Duration::from_secs(6));
    assert_eq!(
        nvd::http_config(true).min_interval,
        Duration::from_millis(600)
    );
    assert!(nvd::http_config(false).extra_retry_statuses.contains(&403));
}

#[test]
fn nvd_first_sync_needs_since_and_says_where_full_downloads_are() {
    let server = Server::start(|_: &Request| Reply::ok(empty_nvd_page()));
    let mut store = store();
    let (mut client, _) = client();
    let opts = nvd_opts(&server, None, "2024-10-02");
    let failure = nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap_err();
    assert!(matches!(failure.error, SyncError::NoCursor));
    let msg = failure.to_string();
    assert!(msg.contains("--since"), "{msg}");
    assert!(msg.contains("kensa db import"), "{msg}");
    assert!(server.requests().is_empty());
    assert_eq!(cursor(&store), None);
}

#[test]
fn nvd_second_sync_continues_at_the_cursor_and_finds_nothing_new() {
    let server = paging_server();
    let mut store = store();
    let (mut client, _) = client();
    let opts = nvd_opts(&server, Some("2023-10-17"), "2023-10-19");
    nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap();

    let quiet_server = Server::start(|_: &Request| Reply::ok(empty_nvd_page()));
    let opts = nvd_opts(&quiet_server, None, "2023-10-20T06:00:00Z");
    let report = nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap();
    let r = &quiet_server.requests()[0];
    assert_eq!(quiet_server.requests().len(), 1);
    assert_eq!(
        r.param("lastModStartDate"),
        Some("2023-10-19T00:00:00.000%2B00:00"),
        "starts at the cursor"
    );
    assert_eq!(
        r.param("lastModEndDate"),
        Some("2023-10-20T06:00:00.000%2B00:00")
    );
    assert_eq!(report.imported, 0);
    assert_eq!(report.counts.total(), 0);
    assert_eq!(
        report.cursor_before.as_deref(),
        Some("2023-10-19T00:00:00.000+00:00")
    );
    assert_eq!(
        cursor(&store).as_deref(),
        Some("2023-10-20T06:00:00.000+00:00")
    );
}

#[test]
fn nvd_failing_second_page_keeps_the_first_page_and_the_cursor() {
    let (p1, p2) = nvd_pages();
    let broken = Arc::new(AtomicBool::new(true));
    let server = {
        let (p1, p2, broken) = (json(&p1), json(&p2), broken.clone());
        Server::start(move |r: &Request| match r.param("startIndex") {
            Some("0") => Reply::ok(p1.clone()),
            Some("20") if broken.load(Ordering::SeqCst) => Reply::status(500),
            Some("20") => Reply::ok(p2.clone()),
            _ => Reply::status(404),
        })
    };
    let mut store = store();
    store
        .set_meta(nvd::CURSOR_KEY, "2023-10-17T00:00:00.000+00:00")
        .unwrap();
    let (mut client, _) = client();
    let opts = nvd_opts(&server, None, "2023-10-19");
    let failure = nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap_err();

    let msg = failure.to_string();
    assert!(
        msg.contains("HTTP 500") && msg.contains("startIndex=20"),
        "{msg}"
    );
    assert_eq!(failure.report.imported, 1);
    assert_eq!(
        failure.report.requests, 4,
        "page 1, then page 2 three times"
    );
    // Page 1 was its own transaction and stays; page 2 never arrived.
    for id in nvd_ids(&p1) {
        assert!(store.vuln(&id).unwrap().is_some(), "{id}");
    }
    for id in nvd_ids(&p2) {
        assert!(store.vuln(&id).unwrap().is_none(), "{id}");
    }
    assert_eq!(
        cursor(&store).as_deref(),
        Some("2023-10-17T00:00:00.000+00:00"),
        "the cursor stays until the whole window is stored"
    );

    // The next sync redoes the window; page 1 comes back unchanged.
    broken.store(false, Ordering::SeqCst);
    let report = nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap();
    assert_eq!(report.counts.unchanged, 20);
    assert_eq!(report.counts.inserted, 18);
    assert_eq!(
        cursor(&store).as_deref(),
        Some("2023-10-19T00:00:00.000+00:00")
    );
}

#[test]
fn nvd_malformed_response_names_the_url_and_stores_nothing() {
    let server = Server::start(|_: &Request| {
        Reply::ok("<html><body>Service temporarily unavailable</body></html>")
    });
    let mut store = store();
    let (mut client, _) = client();
    let opts = nvd_opts(&server, Some("2024-10-01"), "2024-10-02");
    let failure = nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap_err();
    let msg = failure.to_string();
    assert!(
        matches!(failure.error, SyncError::Malformed { .. }),
        "{msg}"
    );
    assert!(msg.contains(&server.url(NVD_PATH)), "{msg}");
    assert!(msg.contains("not an NVD CVE API 2.0 response"), "{msg}");
    assert_eq!(cursor(&store), None);
    assert_eq!(store.stats().unwrap().vulnerabilities, 0);
}

#[test]
fn nvd_window_is_paged_again_when_its_total_changes_midway() {
    let (p1, p2) = nvd_pages();
    let mut shifted = p2.clone();
    shifted["totalResults"] = 37.into(); // one CVE left the window meanwhile
    let calls = Arc::new(AtomicUsize::new(0));
    let server = {
        let (p1, p2, shifted, calls) = (json(&p1), json(&p2), json(&shifted), calls.clone());
        Server::start(move |r: &Request| match r.param("startIndex") {
            Some("0") => Reply::ok(p1.clone()),
            Some("20") if calls.fetch_add(1, Ordering::SeqCst) == 0 => Reply::ok(shifted.clone()),
            Some("20") => Reply::ok(p2.clone()),
            _ => Reply::status(404),
        })
    };
    let mut store = store();
    let (mut client, _) = client();
    let opts = nvd_opts(&server, Some("2023-10-17"), "2023-10-19");
    let report = nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap();
    assert_eq!(start_indexes(&server), ["0", "20", "0", "20"]);
    assert_eq!(report.counts.inserted, 38);
    assert_eq!(store.stats().unwrap().vulnerabilities, 38);
}

// ---------------------------------------------------------------- HTTP

#[test]
fn retries_after_503_with_exponential_backoff() {
    let calls = Arc::new(AtomicUsize::new(0));
    let server = {
        let calls = calls.clone();
        Server::start(move |_: &Request| {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Reply::status(503)
            } else {
                Reply::ok(empty_nvd_page())
            }
        })
    };
    let mut store = store();
    let (mut client, sleeps) = client();
    let opts = nvd_opts(&server, Some("2024-10-01"), "2024-10-02");
    let report = nvd::sync(&mut store, &mut client, &opts, &quiet()).unwrap();
    assert_eq!(report.requests, 3);
    assert_eq!(
        slept(&sleeps),
        [Duration::from_secs(1), Duration::from_secs(2)]
    );
    assert!(cursor(&store).is_some());
}

#[test]
fn retries_after_429_waiting_as_long_as_retry_after_says() {
    let calls = Arc::new(AtomicUsize::new(0));
    let server = {
        let calls = calls.clone();
        Server::start(move |_: &Request| {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::status(429).header("Retry-After", "7")
            } else {
                Reply::ok(fixture("kev/known_exploited_vulnerabilities.json"))
            }
        })
    };
    let mut store = store();
    let (mut client, sleeps) = client();
    let report = kev::sync(&mut store, &mut client, &server.url("/kev.json"), &quiet()).unwrap();
    assert_eq!(slept(&sleeps), [Duration::from_secs(7)]);
    assert_eq!(report.requests, 2);
    assert_eq!(report.counts.inserted, 6);
}

#[test]
fn gives_up_after_max_attempts_naming_url_and_status() {
    let server = Server::start(|_: &Request| Reply::status(503));
    let (mut client, sleeps) = client();
    let url = server.url("/feed.json");
    let e = client.get(&url, &[]).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(&url), "{msg}");
    assert!(msg.contains("HTTP 503"), "{msg}");
    assert!(msg.contains("after 3 attempts"), "{msg}");
    assert!(msg.contains("status 503 from the test server"), "{msg}");
    assert_eq!(server.requests().len(), 3);
    assert_eq!(client.requests(), 3);
    assert_eq!(slept(&sleeps).len(), 2);
}

#[test]
fn client_errors_are_not_retried() {
    let server = Server::start(|_: &Request| Reply::status(404));
    let (mut client, sleeps) = client();
    let url = server.url("/missing.json");
    let e = client.get(&url, &[]).unwrap_err();
    assert!(matches!(e, HttpError::Status { status: 404, .. }), "{e}");
    assert!(e.to_string().contains(&url));
    assert_eq!(server.requests().len(), 1);
    assert!(slept(&sleeps).is_empty());
}

#[test]
fn a_retry_after_beyond_the_limit_fails_at_once() {
    let server = Server::start(|_: &Request| Reply::status(429).header("Retry-After", "3600"));
    let (mut client, sleeps) = client_with(HttpConfig {
        max_retry_after: Duration::from_secs(120),
        ..test_config()
    });
    let url = server.url("/x");
    let e = client.get(&url, &[]).unwrap_err();
    assert!(matches!(e, HttpError::RetryAfterTooLong { .. }), "{e}");
    assert!(e.to_string().contains("3600"), "{e}");
    assert_eq!(server.requests().len(), 1);
    assert!(slept(&sleeps).is_empty());
}

#[test]
fn connection_refused_is_retried_then_reported_with_the_url() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }; // closed again: nothing listens there now
    let (mut client, sleeps) = client();
    let url = format!("http://127.0.0.1:{port}/kev.json");
    let e = client.get(&url, &[]).unwrap_err();
    assert!(matches!(e, HttpError::Transport { attempts: 3, .. }), "{e}");
    assert!(e.to_string().contains(&url), "{e}");
    assert_eq!(client.requests(), 3);
    assert_eq!(
        slept(&sleeps),
        [Duration::from_secs(1), Duration::from_secs(2)]
    );
}

#[test]
fn rate_limit_spaces_requests_by_the_minimum_interval() {
    let server = Server::start(|_: &Request| Reply::ok("{}"));
    let (mut client, sleeps) = client_with(HttpConfig {
        min_interval: Duration::from_secs(6),
        ..test_config()
    });
    client.get(&server.url("/a"), &[]).unwrap();
    assert!(slept(&sleeps).is_empty(), "the first request does not wait");
    client.get(&server.url("/b"), &[]).unwrap();
    let waits = slept(&sleeps);
    assert_eq!(waits.len(), 1);
    assert!(
        waits[0] > Duration::from_secs(5) && waits[0] <= Duration::from_secs(6),
        "{waits:?}"
    );
}

// ---------------------------------------------------------------- KEV

#[test]
fn kev_sync_imports_the_catalog_then_uses_the_etag() {
    let catalog = fixture("kev/known_exploited_vulnerabilities.json");
    let server = Server::start(move |r: &Request| {
        if r.header("if-none-match") == Some("\"kev-2025.08.25\"") {
            Reply::status(304)
        } else {
            Reply::ok(catalog.clone()).header("ETag", "\"kev-2025.08.25\"")
        }
    });
    let mut store = store();
    let (mut client, _) = client();
    let url = server.url("/sites/default/files/feeds/known_exploited_vulnerabilities.json");
    let report = kev::sync(&mut store, &mut client, &url, &quiet()).unwrap();
    assert_eq!(report.counts.inserted, 6);
    assert_eq!(report.cursor_after.as_deref(), Some("2025.08.25"));
    let entry = store.kev("CVE-2021-44228").unwrap().expect("KEV entry");
    assert_eq!(entry.vendor_project, "Apache");
    assert_eq!(
        store.meta(kev::CURSOR_KEY).unwrap().as_deref(),
        Some("2025.08.25")
    );

    let again = kev::sync(&mut store, &mut client, &url, &quiet()).unwrap();
    assert_eq!(
        server.requests()[1].header("if-none-match"),
        Some("\"kev-2025.08.25\"")
    );
    assert_eq!(again.imported, 0);
    assert!(again.notes[0].contains("not modified"), "{:?}", again.notes);

    // Validators belong to their URL: a mirror gets an unconditional request.
    let mirror = server.url("/mirror/known_exploited_vulnerabilities.json");
    let from_mirror = kev::sync(&mut store, &mut client, &mirror, &quiet()).unwrap();
    assert_eq!(server.requests()[2].header("if-none-match"), None);
    assert_eq!(from_mirror.imported, 0, "same catalog version");
}

#[test]
fn kev_same_catalog_version_is_not_imported_again() {
    let catalog = fixture("kev/known_exploited_vulnerabilities.json");
    let server = Server::start(move |_: &Request| Reply::ok(catalog.clone()));
    let mut store = store();
    let (mut client, _) = client();
    let url = server.url("/kev.json");
    kev::sync(&mut store, &mut client, &url, &quiet()).unwrap();
    let again = kev::sync(&mut store, &mut client, &url, &quiet()).unwrap();
    assert_eq!(server.requests().len(), 2);
    assert_eq!(again.imported, 0);
    assert!(again.notes[0].contains("2025.08.25"), "{:?}", again.notes);
    assert_eq!(store.stats().unwrap().imports, 1);
}

#[test]
fn kev_malformed_catalog_names_the_url() {
    let server = Server::start(|_: &Request| Reply::ok(r#"{"title":"CISA Catalog","#));
    let mut store = store();
    let (mut client, _) = client();
    let url = server.url("/kev.json");
    let failure = kev::sync(&mut store, &mut client, &url, &quiet()).unwrap_err();
    assert!(failure.to_string().starts_with(&url), "{failure}");
    assert_eq!(store.meta(kev::CURSOR_KEY).unwrap(), None);
}

// ---------------------------------------------------------------- EPSS

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn epss_sync_imports_the_gzipped_scores_once_per_score_date() {
    let day1 = fixture("sync/epss_scores-2025-03-14.csv");
    let day2 = String::from_utf8(day1.clone())
        .unwrap()
        .replace("2025-03-14T00:00:00Z", "2025-03-15T00:00:00Z")
        .replace("CVE-2021-44228,0.94358", "CVE-2021-44228,0.94400")
        .into_bytes();
    let current = Arc::new(Mutex::new(gzip(&day1)));
    let server = {
        let current = current.clone();
        Server::start(move |_: &Request| {
            Reply::ok(current.lock().unwrap().clone()).header("Content-Type", "application/gzip")
        })
    };
    let mut store = store();
    let (mut client, _) = client();
    let url = server.url("/epss_scores-current.csv.gz");

    let report = epss::sync(&mut store, &mut client, &url, &quiet()).unwrap();
    assert_eq!(report.counts.inserted, 4);
    assert_eq!(report.cursor_after.as_deref(), Some("2025-03-14T00:00:00Z"));
    let score = store.epss("CVE-2021-44228").unwrap().expect("score");
    assert_eq!(score.epss, 0.94358);
    assert_eq!(score.model_version.as_deref(), Some("v2025.03.14"));

    let same = epss::sync(&mut store, &mut client, &url, &quiet()).unwrap();
    assert_eq!(same.imported, 0);
    assert!(
        same.notes[0].contains("already imported"),
        "{:?}",
        same.notes
    );

    *current.lock().unwrap() = gzip(&day2);
    let next = epss::sync(&mut store, &mut client, &url, &quiet()).unwrap();
    assert_eq!(next.imported, 1);
    assert_eq!(next.cursor_before.as_deref(), Some("2025-03-14T00:00:00Z"));
    assert_eq!(next.cursor_after.as_deref(), Some("2025-03-15T00:00:00Z"));
    assert_eq!(store.epss("CVE-2021-44228").unwrap().unwrap().epss, 0.944);
}

#[test]
fn epss_url_serving_something_else_is_refused() {
    // A JSON feed at the EPSS URL must not be imported as whatever it is.
    let server =
        Server::start(|_: &Request| Reply::ok(fixture("kev/known_exploited_vulnerabilities.json")));
    let mut store = store();
    let (mut client, _) = client();
    let url = server.url("/epss.csv.gz");
    let failure = epss::sync(&mut store, &mut client, &url, &quiet()).unwrap_err();
    assert!(
        failure.to_string().contains("not an EPSS CSV file"),
        "{failure}"
    );
    assert!(failure.to_string().contains(&url), "{failure}");
    assert_eq!(store.stats().unwrap().kev, 0);
}

// ---------------------------------------------------------------- CSAF

const WELL_KNOWN: &str = "/.well-known/csaf";

/// A provider serving `metadata` (a template), the ROLIE feed, `changes`
/// for its directory, and the fixtures' advisories under `white/`.
fn csaf_server(metadata: &'static str, changes: Arc<Mutex<String>>) -> Server {
    let base: Arc<Mutex<String>> = Arc::default();
    let server = {
        let base = base.clone();
        Server::start(move |r: &Request| {
            let base = base.lock().unwrap().clone();
            let doc = |name: &str| Reply::ok(fixture(&format!("csaf/{name}")));
            match r.path.strip_prefix(WELL_KNOWN).unwrap_or("") {
                "/provider-metadata.json" => Reply::ok(template(metadata, &base)),
                "/feed-tlp-white.json" => {
                    Reply::ok(template("sync/csaf-provider/feed-tlp-white.json", &base))
                }
                "/white/changes.csv" => Reply::ok(changes.lock().unwrap().clone()),
                "/white/2021/icsa-21-257-15.json" => doc("icsa-21-257-15.json"),
                "/white/2024/va-24-262-01.json" => doc("va-24-262-01.json"),
                "/white/2021/rhsa-2021_5186.json" => doc("rhsa-2021_5186.json"),
                "/white/2022/sec-vex-2022-0001.json" => doc("sec-vex-2022-0001.json"),
                "/white/2022/bsi-2022-0001.json" => doc("bsi-2022-0001.json"),
                "/white/2022/not-csaf.json" => Reply::ok("<html><body>Please log in</body></html>"),
                "/white/2022/broken.json" => Reply::status(500),
                _ => Reply::status(404),
            }
        })
    };
    *base.lock().unwrap() = server.url("");
    server
}

fn provider(server: &Server) -> String {
    server.url(&format!("{WELL_KNOWN}/provider-metadata.json"))
}

fn csaf_cursor(store: &Store, server: &Server) -> Option<String> {
    store.meta(&csaf::cursor_key(&provider(server))).unwrap()
}

#[test]
fn csaf_rolie_feed_documents_are_imported_then_nothing_is_refetched() {
    let server = csaf_server(
        "sync/csaf-provider/provider-metadata-rolie.json",
        Arc::default(),
    );
    let mut store = store();
    let (mut client, _) = client();
    let report = csaf::sync(&mut store, &mut client, &provider(&server), &quiet()).unwrap();

    assert_eq!(report.source, format!("csaf:{}", provider(&server)));
    assert_eq!(report.imported, 2);
    assert_eq!(store.stats().unwrap().csaf_documents, 2);
    let view = store
        .vuln("CVE-2021-33737")
        .unwrap()
        .expect("from ICSA-21-257-15");
    assert!(
        view.advisories
            .iter()
            .any(|a| a.tracking_id == "ICSA-21-257-15")
    );
    assert_eq!(
        report.cursor_after.as_deref(),
        Some("2024-09-18T16:56:00.000+00:00")
    );
    assert_eq!(csaf_cursor(&store, &server), report.cursor_after);
    // The TLP:GREEN feed needs credentials: noted, never requested.
    assert!(
        report.notes.iter().any(|n| n.contains("TLP:GREEN")),
        "{:?}",
        report.notes
    );
    assert!(!server.paths().iter().any(|p| p.contains("green")));
    // Hashes and signatures are not fetched (verification is not done).
    assert!(
        !server
            .paths()
            .iter()
            .any(|p| p.ends_with(".asc") || p.ends_with(".sha512"))
    );

    server.clear();
    let again = csaf::sync(&mut store, &mut client, &provider(&server), &quiet()).unwrap();
    assert_eq!(again.imported, 0);
    assert_eq!(
        server.paths(),
        [
            format!("{WELL_KNOWN}/provider-metadata.json"),
            format!("{WELL_KNOWN}/feed-tlp-white.json")
        ],
        "the second sync reads the listing only"
    );
}

#[test]
fn csaf_directory_changes_csv_fetches_only_newer_documents() {
    let changes = Arc::new(Mutex::new(
        String::from_utf8(fixture("sync/csaf-provider/changes.csv")).unwrap(),
    ));
    let server = csaf_server(
        "sync/csaf-provider/provider-metadata-directory.json",
        changes.clone(),
    );
    let mut store = store();
    let (mut client, _) = client();
    let report = csaf::sync(&mut store, &mut client, &provider(&server), &quiet()).unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(store.stats().unwrap().csaf_documents, 2);
    assert_eq!(
        report.cursor_after.as_deref(),
        Some("2022-05-27T10:00:00.000+00:00")
    );
    let docs: Vec<String> = server
        .paths()
        .into_iter()
        .filter(|p| p.ends_with(".json") && p.contains("/white/"))
        .collect();
    assert_eq!(
        docs,
        [
            format!("{WELL_KNOWN}/white/2021/rhsa-2021_5186.json"),
            format!("{WELL_KNOWN}/white/2022/sec-vex-2022-0001.json"),
        ],
        "oldest first"
    );

    // The provider publishes one more advisory (changes.csv is newest first).
    changes
        .lock()
        .unwrap()
        .insert_str(0, "\"2022/bsi-2022-0001.json\",\"2022-06-01T08:00:00Z\"\n");
    server.clear();
    let next = csaf::sync(&mut store, &mut client, &provider(&server), &quiet()).unwrap();
    assert_eq!(next.imported, 1);
    assert_eq!(
        server.paths(),
        [
            format!("{WELL_KNOWN}/provider-metadata.json"),
            format!("{WELL_KNOWN}/white/changes.csv"),
            format!("{WELL_KNOWN}/white/2022/bsi-2022-0001.json"),
        ]
    );
    assert_eq!(store.stats().unwrap().csaf_documents, 3);
    assert_eq!(
        next.cursor_after.as_deref(),
        Some("2022-06-01T08:00:00.000+00:00")
    );
}

#[test]
fn csaf_missing_and_non_csaf_documents_are_skipped_and_reported() {
    let changes = Arc::new(Mutex::new(
        [
            r#""2022/gone.json","2022-07-01T00:00:00Z""#,
            r#""2022/not-csaf.json","2022-06-01T00:00:00Z""#,
            r#""2022/sec-vex-2022-0001.json","2022-05-27T10:00:00Z""#,
        ]
        .join("\n"),
    ));
    let server = csaf_server(
        "sync/csaf-provider/provider-metadata-directory.json",
        changes,
    );
    let mut store = store();
    let (mut client, _) = client();
    let report = csaf::sync(&mut store, &mut client, &provider(&server), &quiet()).unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(report.skipped.len(), 2, "{:?}", report.skipped);
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.contains("gone.json") && s.contains("404"))
    );
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.contains("not-csaf.json") && s.contains("not a CSAF document"))
    );
    assert_eq!(
        report.cursor_after.as_deref(),
        Some("2022-07-01T00:00:00.000+00:00")
    );
}

#[test]
fn csaf_server_error_stops_with_the_cursor_before_the_first_missing_document() {
    let changes = Arc::new(Mutex::new(
        [
            r#""2022/bsi-2022-0001.json","2022-06-01T08:00:00Z""#,
            r#""2022/broken.json","2022-05-30T00:00:00Z""#,
            r#""2021/rhsa-2021_5186.json","2021-12-16T22:34:00Z""#,
        ]
        .join("\n"),
    ));
    let server = csaf_server(
        "sync/csaf-provider/provider-metadata-directory.json",
        changes.clone(),
    );
    let mut store = store();
    let (mut client, _) = client();
    let failure = csaf::sync(&mut store, &mut client, &provider(&server), &quiet()).unwrap_err();
    let msg = failure.to_string();
    assert!(
        msg.contains("broken.json") && msg.contains("HTTP 500"),
        "{msg}"
    );
    assert_eq!(failure.report.imported, 1);
    assert_eq!(
        csaf_cursor(&store, &server).as_deref(),
        Some("2021-12-16T22:34:00.000+00:00")
    );
    assert!(!server.paths().iter().any(|p| p.contains("bsi-2022-0001")));

    // Once the provider is fixed, the sync resumes after the cursor.
    {
        let mut listing = changes.lock().unwrap();
        *listing = listing.replace("broken.json", "sec-vex-2022-0001.json");
    }
    server.clear();
    let report = csaf::sync(&mut store, &mut client, &provider(&server), &quiet()).unwrap();
    assert_eq!(report.imported, 2);
    assert!(!server.paths().iter().any(|p| p.contains("rhsa")));
    assert_eq!(
        csaf_cursor(&store, &server).as_deref(),
        Some("2022-06-01T08:00:00.000+00:00")
    );
}

#[test]
fn csaf_malformed_provider_metadata_names_the_url() {
    let server = Server::start(|_: &Request| Reply::ok(r#"{"distributions": {"oops": 1}}"#));
    let mut store = store();
    let (mut client, _) = client();
    let url = server.url("/.well-known/csaf/provider-metadata.json");
    let failure = csaf::sync(&mut store, &mut client, &url, &quiet()).unwrap_err();
    let msg = failure.to_string();
    assert!(msg.starts_with(&url), "{msg}");
    assert!(msg.contains("provider metadata"), "{msg}");
}
