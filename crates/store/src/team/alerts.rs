//! Alerts from network sensors (`kensa ot monitor --server`): stored once
//! per sensor and alert id, updated as the alert repeats.

use serde::Serialize;
use serde_json::json;

use super::{AuditEntry, json_text, json_value};
use crate::sql;
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
        self.team_write(entry, |db, entry| {
            let now = crate::write::now();
            let (mut new, mut updated) = (0, 0);
            for a in alerts {
                let body = json_text(&a.body, "alert")?;
                // Asked, not inferred from the timestamps: a repeat within
                // the clock's resolution has equal ones too.
                let known = sql::first::<i64>(
                    db,
                    "SELECT id FROM ot_alerts WHERE sensor = ?1 AND alert_id = ?2",
                    &[&sensor, &a.alert_id],
                )?
                .is_some();
                db.execute(
                    "INSERT INTO ot_alerts (sensor, alert_id, severity, rank, rule, src, dst,
                                            explanation, count, received_at, updated_at, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11)
                     ON CONFLICT (sensor, alert_id) DO UPDATE SET
                        severity = excluded.severity, rank = excluded.rank,
                        explanation = excluded.explanation, count = excluded.count,
                        updated_at = excluded.updated_at, body = excluded.body",
                    &[
                        &sensor,
                        &a.alert_id,
                        &a.severity,
                        &i64::from(a.rank),
                        &a.rule,
                        &a.src,
                        &a.dst,
                        &a.explanation,
                        &(a.count as i64),
                        &now,
                        &body,
                    ],
                )?;
                if known {
                    updated += 1;
                } else {
                    new += 1;
                }
            }
            entry.change =
                Some(json!({"after": {"alerts": alerts.len(), "new": new, "updated": updated}}));
            Ok((new, updated))
        })
    }

    /// Alerts, most recently active first.
    pub fn alerts(&self, f: &AlertFilter) -> Result<Vec<AlertRow>> {
        let after = f.after.as_ref();
        let (after_at, after_id) = (after.map(|a| a.0.as_str()), after.map(|a| a.1));
        let limit = f.limit as i64;
        self.team_conn(|db| {
            db.query(
                "SELECT id, sensor, alert_id, severity, rule, src, dst, explanation, count,
                        received_at, updated_at, body
                 FROM ot_alerts
                 WHERE rank >= ?1 AND (CAST(?2 AS TEXT) IS NULL OR sensor = ?2)
                   AND (CAST(?3 AS TEXT) IS NULL OR updated_at < ?3
                        OR (updated_at = ?3 AND id < ?4))
                 ORDER BY updated_at DESC, id DESC LIMIT ?5",
                &[
                    &i64::from(f.min_rank),
                    &f.sensor,
                    &after_at,
                    &after_id,
                    &limit,
                ],
            )?
            .iter()
            .map(alert_row)
            .collect()
        })
    }
}

fn alert_row(r: &sql::Row) -> Result<AlertRow> {
    let body: String = r.get(11)?;
    Ok(AlertRow {
        row_id: r.get(0)?,
        sensor: r.get(1)?,
        id: r.get(2)?,
        severity: r.get(3)?,
        rule: r.get(4)?,
        src: r.get(5)?,
        dst: r.get(6)?,
        explanation: r.get(7)?,
        count: r.get::<i64>(8)? as u64,
        received_at: r.get(9)?,
        updated_at: r.get(10)?,
        alert: json_value(&body, "alert")?,
    })
}
