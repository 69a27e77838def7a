//! A scheduled `db sync` on a team server: the leader queues it as a job,
//! a worker fetches the sources (a KEV catalogue served on loopback),
//! rescans the portfolio, and Kensa opens the CRA case the new evidence
//! calls for; the schedule repeats, never two syncs at once.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{Fixture, demo};
use kensa_app::Actor;
use kensa_app::cra::{self, Market};
use kensa_app::sync::{SYNC_JOB, Source, SyncPlan};
use kensa_store::team::JobState;
use serde_json::{Value, json};

/// Serves `body` to every GET, counting requests.
fn serve(body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/kev.json", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    (url, count)
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_scheduled_sync_imports_rescans_and_opens_the_case_its_evidence_calls_for() {
    // The demo catalogue, and CISA listing one more of the gateway's findings.
    let mut kev: Value =
        serde_json::from_slice(&std::fs::read(demo().join("kev-demo.json")).unwrap()).unwrap();
    let listed = json!({
        "cveID": "CVE-2014-6277", "vendorProject": "GNU", "product": "Bash",
        "vulnerabilityName": "GNU Bash Remote Code Execution Vulnerability",
        "dateAdded": "2026-11-30", "shortDescription": "Bash parses function definitions badly.",
        "requiredAction": "Apply updates per vendor instructions.", "dueDate": "2026-12-21",
        "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []
    });
    kev["vulnerabilities"].as_array_mut().unwrap().push(listed);
    kev["count"] = json!(kev["vulnerabilities"].as_array().unwrap().len());
    let (url, requests) = serve(serde_json::to_vec(&kev).unwrap());

    let f = Fixture::with(|c| {
        c.job_poll = Duration::from_millis(100);
        c.sync = Some(kensa_server::SyncSchedule {
            every: Duration::from_secs(2),
            plan: SyncPlan {
                sources: vec![Source::Kev],
                kev_url: url.clone(),
                max_attempts: 1,
                ..SyncPlan::default()
            },
        })
    });
    let op = Actor::operator();
    let market = Market {
        on_market: true,
        member_states: vec!["DE".into()],
        support_end: None,
    };
    cra::set_market(&mut f.store(), &op, "red-gw", &market).unwrap();
    let vulns = |f: &Fixture| -> Vec<String> {
        cra::list(&f.store(), &op, None, Utc::now())
            .unwrap()
            .into_iter()
            .filter_map(|c| c.vulnerability)
            .collect()
    };
    assert!(!vulns(&f).contains(&"CVE-2014-6277".to_string()));

    wait_until("the synced KEV entry to open its case", || {
        vulns(&f).contains(&"CVE-2014-6277".to_string())
    });
    let case = cra::list(&f.store(), &op, None, Utc::now())
        .unwrap()
        .into_iter()
        .find(|c| c.vulnerability.as_deref() == Some("CVE-2014-6277"))
        .unwrap();
    assert_eq!(case.opened_by, "kensa");
    assert_eq!(case.source, "CISA KEV (listed 2026-11-30)");

    // The schedule repeats: a second sync, never two at once.
    wait_until("a second sync", || requests.load(Ordering::SeqCst) >= 2);
    wait_until("a finished sync job", || {
        let job = f.store().newest_job(SYNC_JOB).unwrap().unwrap();
        job.id >= 2 && job.state == JobState::Done
    });
    let job = f.store().newest_job(SYNC_JOB).unwrap().unwrap();
    let result = job.result.unwrap();
    assert_eq!(result["outcomes"][0]["source"], "kev", "{result}");
    assert!(result["outcomes"][0]["error"].is_null(), "{result}");
    assert_eq!(result["rescanned"], true);
    assert_eq!(
        vulns(&f).iter().filter(|v| *v == "CVE-2014-6277").count(),
        1
    );
}
