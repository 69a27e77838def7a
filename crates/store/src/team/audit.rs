//! The audit trail: one row per write, appended in the write's own
//! transaction. Triggers refuse any update or delete of a row.

use rusqlite::params;
use serde::Serialize;

use super::{AuditEntry, json_text, json_value};
use crate::{Result, Store};

/// Which audit rows to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only rows about this product.
    pub product_id: Option<i64>,
    /// Only rows older than this id (the cursor of the previous page).
    pub before_id: Option<i64>,
    pub limit: usize,
}

/// One audited write.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub via: String,
    pub action: String,
    pub object: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

pub(crate) fn append(tx: &rusqlite::Connection, e: &AuditEntry) -> Result<()> {
    let change = e
        .change
        .as_ref()
        .map(|c| json_text(c, "audit change"))
        .transpose()?;
    tx.prepare_cached(
        "INSERT INTO audit (at, actor, via, action, object, product_id, change, client)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        crate::write::now(),
        e.actor,
        e.via,
        e.action,
        e.object,
        e.product_id,
        change,
        e.client
    ])?;
    Ok(())
}

impl Store {
    /// Audit rows, newest first.
    pub fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.id, a.at, a.actor, a.via, a.action, a.object, p.name, a.change, a.client
             FROM audit a LEFT JOIN products p ON p.id = a.product_id
             WHERE (?1 IS NULL OR a.product_id = ?1) AND (?2 IS NULL OR a.id < ?2)
             ORDER BY a.id DESC LIMIT ?3",
        )?;
        let mut rows = stmt.query(params![
            filter.product_id,
            filter.before_id,
            filter.limit as i64
        ])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let change: Option<String> = r.get(7)?;
            out.push(AuditRow {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                via: r.get(3)?,
                action: r.get(4)?,
                object: r.get(5)?,
                product: r.get(6)?,
                change: change.map(|c| json_value(&c, "audit change")).transpose()?,
                client: r.get(8)?,
            });
        }
        Ok(out)
    }

    /// How many audit rows there are (for tests and statistics).
    pub fn audit_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))?;
        Ok(n as u64)
    }
}
