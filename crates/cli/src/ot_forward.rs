//! Alerts from `kensa ot monitor` to the team server (`--server`): sent in
//! the background as they are raised, in small batches, retried with
//! backoff while the server is unreachable, so a slow or absent server
//! never holds up the capture. What could not be delivered is counted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde::Serialize;
use serde_json::Value;

/// Alerts waiting for delivery at most; beyond, new ones are counted as
/// undelivered rather than held (memory stays bounded over days).
const QUEUE: usize = 10_000;
/// Alerts per delivery (the server takes up to 1,000).
const BATCH: usize = 100;
/// Longest wait between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Where alerts go and as whom.
pub struct Target {
    /// The server's base URL, e.g. `https://kensa.plant.example`.
    pub url: String,
    pub token: String,
    pub sensor: String,
}

/// What the forwarder delivered.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ForwardStats {
    pub sent: u64,
    /// Refused by the server (a 4xx other than 408/429): not retried.
    pub rejected: u64,
    /// Not delivered: the queue was full, or the server was still
    /// unreachable when the monitor stopped.
    pub undelivered: u64,
}

pub struct Forwarder {
    tx: Option<SyncSender<Value>>,
    thread: Option<JoinHandle<ForwardStats>>,
    overflow: Arc<AtomicU64>,
    /// Set when the monitor stops: retries end at this instant.
    give_up_at: Arc<Mutex<Option<Instant>>>,
}

impl Forwarder {
    pub fn start(target: Target) -> Result<Forwarder> {
        let url = target.url.trim_end_matches('/');
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!(
                "--server must be an http:// or https:// URL, not `{}`",
                target.url
            );
        }
        let endpoint = format!("{url}/api/v1/alerts?sensor={}", target.sensor);
        let (tx, rx) = sync_channel(QUEUE);
        let give_up_at = Arc::new(Mutex::new(None));
        let worker = Worker {
            endpoint,
            auth: format!("Bearer {}", target.token),
            give_up_at: give_up_at.clone(),
            stats: ForwardStats::default(),
            warned: false,
        };
        let thread = std::thread::Builder::new()
            .name("kensa-forward".into())
            .spawn(move || worker.run(rx))?;
        Ok(Forwarder {
            tx: Some(tx),
            thread: Some(thread),
            overflow: Arc::new(AtomicU64::new(0)),
            give_up_at,
        })
    }

    /// Queues an alert for delivery without waiting.
    pub fn send(&self, alert: Value) {
        if let Some(tx) = &self.tx
            && let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = tx.try_send(alert)
        {
            self.overflow.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Delivers what is queued, trying for at most `patience`, and says
    /// what was delivered.
    pub fn finish(mut self, patience: Duration) -> ForwardStats {
        if let Ok(mut g) = self.give_up_at.lock() {
            *g = Some(Instant::now() + patience);
        }
        drop(self.tx.take());
        let mut stats = self
            .thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        stats.undelivered += self.overflow.load(Ordering::Relaxed);
        stats
    }
}

struct Worker {
    endpoint: String,
    auth: String,
    give_up_at: Arc<Mutex<Option<Instant>>>,
    stats: ForwardStats,
    warned: bool,
}

enum Delivery {
    Done,
    Refused(String),
    Retry(String),
}

impl Worker {
    fn run(mut self, rx: Receiver<Value>) -> ForwardStats {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        loop {
            let mut batch = Vec::new();
            match rx.recv_timeout(Duration::from_secs(1)) {
                Ok(a) => batch.push(a),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            }
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(a) => batch.push(a),
                    Err(_) => break,
                }
            }
            self.deliver(&agent, &batch);
        }
        self.stats
    }

    fn stopping_past_deadline(&self) -> bool {
        self.give_up_at
            .lock()
            .ok()
            .and_then(|g| *g)
            .is_some_and(|t| Instant::now() >= t)
    }

    fn deliver(&mut self, agent: &ureq::Agent, batch: &[Value]) {
        let n = batch.len() as u64;
        let body = Value::Array(batch.to_vec()).to_string();
        let mut backoff = Duration::from_secs(1);
        loop {
            match self.post(agent, &body) {
                Delivery::Done => {
                    self.stats.sent += n;
                    return;
                }
                Delivery::Refused(why) => {
                    self.stats.rejected += n;
                    self.warn(&format!("the server refused {n} alert(s): {why}"));
                    return;
                }
                Delivery::Retry(why) => {
                    self.warn(&format!("alerts not delivered yet ({why}); retrying"));
                    if self.stopping_past_deadline() {
                        self.stats.undelivered += n;
                        return;
                    }
                    // Sleep in short steps so a stop is noticed.
                    let until = Instant::now() + backoff;
                    while Instant::now() < until && !self.stopping_past_deadline() {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }

    fn post(&self, agent: &ureq::Agent, body: &str) -> Delivery {
        let result = agent
            .post(&self.endpoint)
            .header("Authorization", &self.auth)
            .content_type("application/json")
            .send(body);
        match result {
            Err(e) => Delivery::Retry(e.to_string()),
            Ok(mut r) => {
                let status = r.status().as_u16();
                let text = r.body_mut().read_to_string().unwrap_or_default();
                let detail = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|p| p["detail"].as_str().map(str::to_string))
                    .unwrap_or(text);
                match status {
                    200..=299 => Delivery::Done,
                    408 | 429 | 500.. => Delivery::Retry(format!("HTTP {status}: {detail}")),
                    _ => Delivery::Refused(format!("HTTP {status}: {detail}")),
                }
            }
        }
    }

    /// One warning per kind of trouble is enough on a console that may run
    /// for days.
    fn warn(&mut self, message: &str) {
        if !self.warned {
            self.warned = true;
            eprintln!("warning: --server: {}", crate::term::field(message));
        }
    }
}
