//! Signed webhooks for the CRA clocks: a team registers receivers (URL,
//! shared secret, events); Kensa raises `cra.case_opened` when a case
//! opens and `cra.deadline_near` when a stage report of an open case is
//! due within 12 hours, each once per receiver, and delivers it as a job
//! that is retried with doubling delays until the receiver answers 2xx.
//! Every attempt is logged.
//!
//! A delivery is an HTTP POST of the event's JSON with
//! `X-Kensa-Signature-256: sha256=HEX`, HEX being HMAC-SHA256 of the exact
//! body under the receiver's secret (the receiver recomputes it and
//! compares in constant time), `X-Kensa-Event` (the event's name) and
//! `X-Kensa-Delivery` (the event's id, the same on every retry, so a
//! receiver can drop duplicates). The body's `raised_at` lets a receiver
//! refuse replays of old events.
//!
//! Events are raised by looking at the cases ([`raise_due_events`], which
//! a server's leader runs periodically), not by the code paths that open
//! cases: a case opened by the command line, by another node, or while no
//! server ran is announced all the same, and nothing is lost if a process
//! stops between opening a case and raising its event.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use kensa_store::Store;
use kensa_store::team::{Attempt, ClaimedJob, DeliveryRow, WebhookRow};
use serde::Serialize;
use serde_json::json;
use sha2::Sha256;

use crate::access::{self, Actor};
use crate::{AppError, Result};

pub const CASE_OPENED: &str = "cra.case_opened";
pub const DEADLINE_NEAR: &str = "cra.deadline_near";
/// Every event a receiver may subscribe to.
pub const EVENTS: [&str; 2] = [CASE_OPENED, DEADLINE_NEAR];
/// How long before a deadline `cra.deadline_near` is raised.
pub const WARN_BEFORE: chrono::Duration = chrono::Duration::hours(12);
/// Attempts per event: retries wait 2 s, 4 s, … about 8.5 minutes in all.
pub const ATTEMPTS: i64 = 9;
/// How long a receiver may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
const MIN_SECRET_CHARS: usize = 16;

/// A receiver just registered, with its secret (shown this once).
#[derive(Debug, Serialize)]
pub struct Created {
    #[serde(flatten)]
    pub webhook: WebhookRow,
    pub secret: String,
}

/// Registers a receiver; a secret is made when none is given.
pub fn add(
    store: &mut Store,
    actor: &Actor,
    url: &str,
    events: &[String],
    secret: Option<String>,
) -> Result<Created> {
    access::require_global_admin(actor, "registering a webhook")?;
    check_url(url)?;
    let events = check_events(events)?;
    let secret = match secret {
        Some(s) if s.chars().count() < MIN_SECRET_CHARS => {
            return Err(AppError::invalid(
                "secret",
                format!("too short; use at least {MIN_SECRET_CHARS} characters"),
            ));
        }
        Some(s) => s,
        None => crate::secret::new_secret()?,
    };
    let webhook = store.add_webhook(url, &secret, &events, actor.entry("webhook.add", url))?;
    Ok(Created { webhook, secret })
}

fn check_url(s: &str) -> Result<()> {
    let bad = |why: &str| AppError::invalid("url", format!("`{s}` {why}"));
    let u = url::Url::parse(s).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad("is not an http:// or https:// URL"));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("names no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad(
            "carries credentials; the signature authenticates Kensa",
        ));
    }
    Ok(())
}

fn check_events(events: &[String]) -> Result<Vec<&'static str>> {
    if events.is_empty() {
        return Ok(EVENTS.to_vec());
    }
    let mut out = Vec::new();
    for e in events {
        let known = EVENTS.iter().find(|k| **k == e.trim()).ok_or_else(|| {
            AppError::invalid(
                "events",
                format!("`{e}` is not an event; use {}", EVENTS.join(", ")),
            )
        })?;
        if !out.contains(known) {
            out.push(*known);
        }
    }
    Ok(out)
}

pub fn list(store: &Store, actor: &Actor) -> Result<Vec<WebhookRow>> {
    access::require_global_admin(actor, "listing webhooks")?;
    Ok(store.webhooks()?)
}

pub fn remove(store: &mut Store, actor: &Actor, id: i64) -> Result<()> {
    access::require_global_admin(actor, "removing a webhook")?;
    if store.remove_webhook(id, actor.entry("webhook.remove", format!("webhook:{id}")))? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("no webhook {id}")))
    }
}

/// The delivery log, newest first.
pub fn deliveries(
    store: &Store,
    actor: &Actor,
    webhook: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    access::require_global_admin(actor, "reading webhook deliveries")?;
    if let Some(id) = webhook
        && store.webhook(id)?.is_none()
    {
        return Err(AppError::NotFound(format!("no webhook {id}")));
    }
    Ok(store.webhook_deliveries(webhook, limit.clamp(1, 10_000))?)
}

/// Raises every event that is due and not raised yet, for every receiver
/// (cases opened since the receiver was registered; deadlines within
/// [`WARN_BEFORE`] of `now` that are not yet met). Returns how many.
pub fn raise_due_events(store: &mut Store, now: DateTime<Utc>) -> Result<usize> {
    let hooks = store.webhooks()?;
    if hooks.is_empty() {
        return Ok(0);
    }
    let cases = crate::cra::list(store, &Actor::automatic(), None, now)?;
    let mut raised = 0;
    for hook in &hooks {
        let registered = parse_time(&hook.created_at);
        let wants = |e: &str| hook.events.iter().any(|x| x == e);
        for case in &cases {
            if wants(CASE_OPENED) && parse_time(&case.opened_at) >= registered {
                let body = json!({"event": CASE_OPENED, "raised_at": now, "case": case});
                raised += usize::from(raise(store, hook, CASE_OPENED, &case.id, &body)?);
            }
            if !wants(DEADLINE_NEAR) {
                continue;
            }
            for d in &case.deadlines {
                let Some(due) = d.due else { continue };
                if d.submitted_at.is_some() || due - now > WARN_BEFORE || due < registered {
                    continue;
                }
                let key = format!("{}:{}", case.id, d.stage.as_str());
                let body = json!({
                    "event": DEADLINE_NEAR,
                    "raised_at": now,
                    "deadline": {"stage": d.stage, "due": due,
                                 "hours_left": (due - now).num_minutes() as f64 / 60.0},
                    "case": case,
                });
                raised += usize::from(raise(store, hook, DEADLINE_NEAR, &key, &body)?);
            }
        }
    }
    Ok(raised)
}

fn raise(
    store: &mut Store,
    hook: &WebhookRow,
    event: &str,
    key: &str,
    body: &serde_json::Value,
) -> Result<bool> {
    Ok(store
        .raise_webhook_event(hook.id, event, key, body, ATTEMPTS)?
        .is_some())
}

fn parse_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
}

/// `sha256=HEX`: HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// What a delivery job's run came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// The receiver answered 2xx.
    Delivered(u16),
    /// Try again later: the receiver failed (its status, when it
    /// answered) or could not be reached.
    Failed { status: Option<u16>, error: String },
    /// Nothing to deliver: the receiver (and its events) was removed.
    Gone,
}

/// Delivers a claimed delivery job's event once, and logs the attempt.
pub fn deliver(store: &Store, job: &ClaimedJob) -> Result<Delivery> {
    let event_id = job
        .payload
        .as_ref()
        .and_then(|p| p.get("event"))
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| AppError::invalid("payload", "a delivery job names no event"))?;
    let Some((hook, event)) = store.webhook_event(event_id)? else {
        return Ok(Delivery::Gone);
    };
    let body =
        serde_json::to_vec(&event.body).map_err(|e| AppError::invalid("event", e.to_string()))?;
    let started = Instant::now();
    let outcome = post(&hook, &event.event, event.id, &body);
    let (status, error) = match &outcome {
        Delivery::Delivered(code) => (Some(i64::from(*code)), None),
        Delivery::Failed { status, error } => (status.map(i64::from), Some(error.as_str())),
        Delivery::Gone => (None, None),
    };
    store.record_delivery(&Attempt {
        event_id,
        attempt: job.attempt,
        status,
        error,
        millis: started.elapsed().as_millis().min(i64::MAX as u128) as i64,
    })?;
    Ok(outcome)
}

fn post(hook: &WebhookRow, event: &str, id: i64, body: &[u8]) -> Delivery {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(concat!("kensa/", env!("CARGO_PKG_VERSION")))
        .timeout_global(Some(TIMEOUT))
        .max_redirects(0)
        .build()
        .into();
    let sent = agent
        .post(&hook.url)
        .header("content-type", "application/json")
        .header("x-kensa-event", event)
        .header("x-kensa-delivery", &id.to_string())
        .header("x-kensa-signature-256", &signature(&hook.secret, body))
        .send(body);
    match sent {
        Ok(r) if r.status().is_success() => Delivery::Delivered(r.status().as_u16()),
        Ok(r) => Delivery::Failed {
            status: Some(r.status().as_u16()),
            error: format!("HTTP {}", r.status()),
        },
        Err(e) => Delivery::Failed {
            status: None,
            error: e.to_string(),
        },
    }
}
