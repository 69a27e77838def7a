//! A load generator for `kensa serve` (bench/server.sh): CLIENTS threads
//! send GET requests for the given paths in turn (and, with --put, every
//! Nth request is an assessment save) for SECS seconds or N requests, then
//! print throughput and latency percentiles as JSON. `--base` may be
//! repeated: client N talks to the Nth base in turn (several nodes behind
//! no balancer, as bench/nodes.sh runs them).
//!
//!   cargo run --release -p kensa-server --example load -- \
//!     --base http://127.0.0.1:8080 --token kensa_… --clients 50 --seconds 60 \
//!     --path /api/v1/queue?limit=100 --path /api/v1/products/p1/findings?limit=100

use std::time::{Duration, Instant};

struct Args {
    bases: Vec<String>,
    auth: Option<(String, String)>,
    paths: Vec<String>,
    put: Option<(String, String, usize)>,
    clients: usize,
    seconds: Option<u64>,
    requests: Option<usize>,
}

fn args() -> Args {
    let mut a = Args {
        bases: Vec::new(),
        auth: None,
        paths: Vec::new(),
        put: None,
        clients: 1,
        seconds: None,
        requests: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--base" => a.bases.push(value()),
            "--token" => a.auth = Some(("Authorization".into(), format!("Bearer {}", value()))),
            "--cookie" => a.auth = Some(("Cookie".into(), value())),
            "--path" => a.paths.push(value()),
            "--put" => {
                // PATH BODYFILE EVERY
                let path = value();
                let body = std::fs::read_to_string(value()).expect("the body file");
                let every = value().parse().expect("EVERY is a number");
                a.put = Some((path, body, every));
            }
            "--clients" => a.clients = value().parse().expect("a number"),
            "--seconds" => a.seconds = Some(value().parse().expect("a number")),
            "--requests" => a.requests = Some(value().parse().expect("a number")),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(!a.paths.is_empty(), "give at least one --path");
    if a.bases.is_empty() {
        a.bases.push("http://127.0.0.1:8080".into());
    }
    a
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let a = args();
    let start = Instant::now();
    let deadline = a.seconds.map(|s| start + Duration::from_secs(s));
    let per_client = a.requests.map(|n| n.div_ceil(a.clients));
    let results: Vec<(Vec<f64>, usize, Vec<u16>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..a.clients)
            .map(|c| {
                let a = &a;
                let base = &a.bases[c % a.bases.len()];
                s.spawn(move || {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .build()
                        .into();
                    // Latency of every answered request; transport failures apart.
                    let (mut latencies, mut failures, mut statuses) =
                        (Vec::new(), 0usize, Vec::new());
                    let mut i = c;
                    loop {
                        if deadline.is_some_and(|d| Instant::now() >= d)
                            || per_client.is_some_and(|n| latencies.len() + failures >= n)
                        {
                            break;
                        }
                        let t = Instant::now();
                        let result = match &a.put {
                            Some((path, body, every)) if i % every == every - 1 => {
                                let mut req = agent.put(format!("{base}{path}"));
                                if let Some((k, v)) = &a.auth {
                                    req = req.header(k, v);
                                }
                                req.content_type("application/json").send(body.as_str())
                            }
                            _ => {
                                let path = &a.paths[i % a.paths.len()];
                                let mut req = agent.get(format!("{base}{path}"));
                                if let Some((k, v)) = &a.auth {
                                    req = req.header(k, v);
                                }
                                req.call()
                            }
                        };
                        match result {
                            Ok(mut r) => {
                                let _ = r.body_mut().read_to_vec();
                                statuses.push(r.status().as_u16());
                                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                            }
                            Err(_) => failures += 1,
                        }
                        i += 1;
                    }
                    (latencies, failures, statuses)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let mut all: Vec<f64> = results.iter().flat_map(|r| r.0.iter().copied()).collect();
    all.sort_by(f64::total_cmp);
    let failures: usize = results.iter().map(|r| r.1).sum();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for s in results.iter().flat_map(|r| r.2.iter()) {
        *statuses.entry(*s).or_default() += 1;
    }
    let errors = failures
        + statuses
            .iter()
            .filter(|(s, _)| **s >= 400)
            .map(|(_, n)| n)
            .sum::<usize>();
    println!(
        "{}",
        serde_json::json!({
            "clients": a.clients,
            "seconds": (elapsed * 10.0).round() / 10.0,
            "requests": all.len() + failures,
            "errors": errors,
            "statuses": statuses,
            "throughput_rps": ((all.len() as f64 / elapsed) * 10.0).round() / 10.0,
            "latency_ms": {
                "p50": (percentile(&all, 50.0) * 10.0).round() / 10.0,
                "p95": (percentile(&all, 95.0) * 10.0).round() / 10.0,
                "p99": (percentile(&all, 99.0) * 10.0).round() / 10.0,
                "max": (all.last().copied().unwrap_or(0.0) * 10.0).round() / 10.0,
            },
        })
    );
}
