//! Alerts from network sensors (`kensa ot monitor --server`): stored once
//! per sensor and alert id, updated as the alert repeats.

use rusqlite::params;
use serde::Serialize;
use serde_json::json;

use super::{AuditEntry, json_text, json_value};
use crate::{Result, Store};

/// One alert as a sensor sent it, checked by the caller.
pub struct NewAlert {
    pub alert_id: String,
    pub severity: String,
    pub rank: u8,
    pub rule: String,
    pub src: String,
    pub dst: String,
    pub explanation: String,
    pub count: u64,
    pub body: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertRow {
    #[serde(skip)]
    pub row_id: i64,
    pub sensor: String,
    pub id: String,
    pub severity: String,
    pub rule: String,
    pub src: String,
    pub dst: String,
    pub explanation: String,
    pub count: u64,
    pub received_at: String,
    pub updated_at: String,
    /// The alert as sent: evidence, the asset and its vulnerabilities.
    pub alert: serde_json::Value,
}

/// Which alerts to list, newest activity first.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub min_rank: u8,
    pub sensor: Option<String>,
    /// Continue after this row: (updated_at, row id).
    pub after: Option<(String, i64)>,
    pub limit: usize,
}

impl Store {
    /// Stores a sensor's alerts (new ones inserted, known ones updated) and
    /// audits the delivery. Returns (new, updated).
    pub fn store_alerts(
        &mut self,
        sensor: &str,
        alerts: &[NewAlert],
        entry: AuditEntry,
    ) -> Result<(usize, usize)> {
        self.audited(entry, |tx, entry| {
            let now = crate::write::now();
            let (mut new, mut updated) = (0, 0);
            let mut upsert = tx.prepare_cached(
                "INSERT INTO ot_alerts (sensor, alert_id, severity, rank, rule, src, dst,
                                        explanation, count, received_at, updated_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)
                 ON CONFLICT (sensor, alert_id) DO UPDATE SET
                    severity = excluded.severity, rank = excluded.rank,
                    explanation = excluded.explanation, count = excluded.count,
                    updated_at = excluded.updated_at, body = excluded.body
                 RETURNING received_at = updated_at",
            )?;
            for a in alerts {
                let inserted: bool = upsert.query_row(
                    params![
                        sensor,
                        a.alert_id,
                        a.severity,
                        a.rank,
                        a.rule,
                        a.src,
                        a.dst,
                        a.explanation,
                        a.count as i64,
                        now,
                        json_text(&a.body, "alert")?
                    ],
                    |r| r.get(0),
                )?;
                if inserted {
                    new += 1;
                } else {
                    updated += 1;
                }
            }
            entry.change =
                Some(json!({"after": {"alerts": alerts.len(), "new": new, "updated": updated}}));
            Ok((new, updated))
        })
    }

    /// Alerts, most recently active first.
    pub fn alerts(&self, f: &AlertFilter) -> Result<Vec<AlertRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, sensor, alert_id, severity, rule, src, dst, explanation, count,
                    received_at, updated_at, body
             FROM ot_alerts
             WHERE rank >= ?1 AND (?2 IS NULL OR sensor = ?2)
               AND (?3 IS NULL OR updated_at < ?3 OR (updated_at = ?3 AND id < ?4))
             ORDER BY updated_at DESC, id DESC LIMIT ?5",
        )?;
        let after = f.after.as_ref();
        let mut rows = stmt.query(params![
            f.min_rank,
            f.sensor,
            after.map(|a| a.0.as_str()),
            after.map(|a| a.1),
            f.limit as i64
        ])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let body: String = r.get(11)?;
            out.push(AlertRow {
                row_id: r.get(0)?,
                sensor: r.get(1)?,
                id: r.get(2)?,
                severity: r.get(3)?,
                rule: r.get(4)?,
                src: r.get(5)?,
                dst: r.get(6)?,
                explanation: r.get(7)?,
                count: r.get::<_, i64>(8)? as u64,
                received_at: r.get(9)?,
                updated_at: r.get(10)?,
                alert: json_value(&body, "alert")?,
            });
        }
        Ok(out)
    }
}
