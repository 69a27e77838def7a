//! Signed webhooks: the receivers a team registered, each event raised at
//! most once per receiver (a unique key per event), the job that delivers
//! it, and every delivery attempt. The rules (which events exist, when
//! they are due, how a request is signed) are the callers'.
//!
//! The secret is kept as given: signing with HMAC needs it, so unlike a
//! password or an API token it cannot be stored hashed. Lists never show
//! it and the audit trail does not record it.

use serde::Serialize;
use serde_json::json;

use super::jobs::insert_job;
use super::{AuditEntry, NewJob, json_text, json_value};
use crate::sql::{self, Row};
use crate::{Result, Store};

/// The job kind that delivers one event.
pub const WEBHOOK_JOB: &str = "webhook.delivery";

/// A registered receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub events: Vec<String>,
    pub created_by: String,
    pub created_at: String,
}

/// An event raised for a receiver, with what it carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub key: String,
    pub body: serde_json::Value,
    pub created_at: String,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryRow {
    pub webhook_id: i64,
    pub url: String,
    pub event_id: i64,
    pub event: String,
    pub key: String,
    pub attempt: i64,
    pub at: String,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<i64>,
    pub error: Option<String>,
    pub millis: i64,
}

/// What a delivery attempt came to.
pub struct Attempt<'a> {
    pub event_id: i64,
    pub attempt: i64,
    pub status: Option<i64>,
    pub error: Option<&'a str>,
    pub millis: i64,
}

fn webhook_row(r: &Row) -> Result<WebhookRow> {
    let events: String = r.get(3)?;
    Ok(WebhookRow {
        id: r.get(0)?,
        url: r.get(1)?,
        secret: r.get(2)?,
        events: events.split(',').map(str::to_string).collect(),
        created_by: r.get(4)?,
        created_at: r.get(5)?,
    })
}

const WEBHOOK_COLUMNS: &str = "id, url, secret, events, created_by, created_at";

impl Store {
    /// Registers a receiver of `events`.
    pub fn add_webhook(
        &mut self,
        url: &str,
        secret: &str,
        events: &[&str],
        entry: AuditEntry,
    ) -> Result<WebhookRow> {
        let created_by = entry.actor.clone();
        let id = self.team_write(entry, |db, entry| {
            let id: i64 = sql::one(
                db,
                "INSERT INTO webhooks (url, secret, events, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                &[
                    &url,
                    &secret,
                    &events.join(","),
                    &created_by,
                    &crate::write::now(),
                ],
            )?;
            entry.object = format!("webhook:{id}");
            entry.change = Some(json!({"after": {"url": url, "events": events}}));
            Ok(id)
        })?;
        self.webhook(id)?
            .ok_or_else(|| crate::StoreError::NotFound(format!("no webhook {id}")))
    }

    pub fn webhook(&self, id: i64) -> Result<Option<WebhookRow>> {
        self.team_conn(|db| {
            db.query_opt(
                &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?1"),
                &[&id],
            )?
            .map(|r| webhook_row(&r))
            .transpose()
        })
    }

    /// Every receiver, oldest first.
    pub fn webhooks(&self) -> Result<Vec<WebhookRow>> {
        self.team_conn(|db| {
            db.query(
                &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY id"),
                &[],
            )?
            .iter()
            .map(webhook_row)
            .collect()
        })
    }

    /// Removes a receiver with its events and their delivery log; its
    /// queued deliveries find no event and end. `false` when there is none.
    pub fn remove_webhook(&mut self, id: i64, entry: AuditEntry) -> Result<bool> {
        let Some(before) = self.webhook(id)? else {
            return Ok(false);
        };
        self.team_write(entry, |db, entry| {
            db.execute(
                "DELETE FROM webhook_deliveries WHERE event_id IN
                     (SELECT id FROM webhook_events WHERE webhook_id = ?1)",
                &[&id],
            )?;
            db.execute("DELETE FROM webhook_events WHERE webhook_id = ?1", &[&id])?;
            db.execute("DELETE FROM webhooks WHERE id = ?1", &[&id])?;
            entry.object = format!("webhook:{id}");
            entry.change = Some(json!({"before": {"url": before.url, "events": before.events}}));
            Ok(true)
        })
    }

    /// Raises `event` (identified by `key`) for a receiver and queues its
    /// delivery, both in one transaction; `None` when it was raised before.
    pub fn raise_webhook_event(
        &mut self,
        webhook_id: i64,
        event: &str,
        key: &str,
        body: &serde_json::Value,
        max_attempts: i64,
    ) -> Result<Option<i64>> {
        let body = json_text(body, "webhook event")?;
        self.team_transaction(|db| {
            let id: Option<i64> = sql::first(
                db,
                "INSERT INTO webhook_events (webhook_id, event, event_key, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (webhook_id, event, event_key) DO NOTHING RETURNING id",
                &[&webhook_id, &event, &key, &body, &crate::write::now()],
            )?;
            let Some(id) = id else {
                return Ok(None);
            };
            let job = insert_job(
                db,
                &NewJob {
                    kind: WEBHOOK_JOB,
                    product_id: None,
                    created_by: "kensa",
                    payload: Some(&json!({"event": id})),
                    input: None,
                    max_attempts,
                },
            )?;
            db.execute(
                "UPDATE webhook_events SET job_id = ?2 WHERE id = ?1",
                &[&id, &job],
            )?;
            Ok(Some(id))
        })
    }

    /// An event with its receiver; `None` when the receiver was removed.
    pub fn webhook_event(&self, id: i64) -> Result<Option<(WebhookRow, EventRow)>> {
        let event = self.team_conn(|db| {
            db.query_opt(
                "SELECT id, webhook_id, event, event_key, body, created_at FROM webhook_events
                 WHERE id = ?1",
                &[&id],
            )?
            .map(|r| -> Result<EventRow> {
                let body: String = r.get(4)?;
                Ok(EventRow {
                    id: r.get(0)?,
                    webhook_id: r.get(1)?,
                    event: r.get(2)?,
                    key: r.get(3)?,
                    body: json_value(&body, "webhook event")?,
                    created_at: r.get(5)?,
                })
            })
            .transpose()
        })?;
        let Some(event) = event else {
            return Ok(None);
        };
        Ok(self.webhook(event.webhook_id)?.map(|w| (w, event)))
    }

    /// Logs a delivery attempt.
    pub fn record_delivery(&self, a: &Attempt<'_>) -> Result<()> {
        self.team_conn(|db| {
            db.execute(
                "INSERT INTO webhook_deliveries (event_id, attempt, at, status, error, millis)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &[
                    &a.event_id,
                    &a.attempt,
                    &crate::write::now(),
                    &a.status,
                    &a.error,
                    &a.millis,
                ],
            )
        })?;
        Ok(())
    }

    /// The newest delivery attempts (of one receiver, or all), newest first.
    pub fn webhook_deliveries(&self, webhook: Option<i64>, limit: i64) -> Result<Vec<DeliveryRow>> {
        self.team_conn(|db| {
            db.query(
                "SELECT w.id, w.url, e.id, e.event, e.event_key, d.attempt, d.at, d.status,
                        d.error, d.millis
                 FROM webhook_deliveries d
                 JOIN webhook_events e ON e.id = d.event_id
                 JOIN webhooks w ON w.id = e.webhook_id
                 WHERE CAST(?1 AS BIGINT) IS NULL OR w.id = ?1
                 ORDER BY d.id DESC LIMIT ?2",
                &[&webhook, &limit],
            )?
            .iter()
            .map(|r| {
                Ok(DeliveryRow {
                    webhook_id: r.get(0)?,
                    url: r.get(1)?,
                    event_id: r.get(2)?,
                    event: r.get(3)?,
                    key: r.get(4)?,
                    attempt: r.get(5)?,
                    at: r.get(6)?,
                    status: r.get(7)?,
                    error: r.get(8)?,
                    millis: r.get(9)?,
                })
            })
            .collect()
        })
    }
}
