//! The audit trail: one row per write, appended in the write's own
//! transaction. Triggers refuse any update or delete of a row.

use serde::Serialize;

use super::{AuditEntry, json_text, json_value};
use crate::sql::{self, Db};
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

pub(crate) fn append(db: &mut dyn Db, e: &AuditEntry) -> Result<()> {
    let change = e
        .change
        .as_ref()
        .map(|c| json_text(c, "audit change"))
        .transpose()?;
    db.execute(
        "INSERT INTO audit (at, actor, via, action, object, product_id, change, client)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &[
            &crate::write::now(),
            &e.actor,
            &e.via,
            &e.action,
            &e.object,
            &e.product_id,
            &change,
            &e.client,
        ],
    )?;
    Ok(())
}

impl Store {
    /// Audit rows, newest first.
    pub fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>> {
        let limit = filter.limit as i64;
        self.team_conn(|db| {
            db.query(
                "SELECT a.id, a.at, a.actor, a.via, a.action, a.object, p.name, a.change, a.client
                 FROM audit a LEFT JOIN products p ON p.id = a.product_id
                 WHERE (CAST(?1 AS BIGINT) IS NULL OR a.product_id = ?1)
                   AND (CAST(?2 AS BIGINT) IS NULL OR a.id < ?2)
                 ORDER BY a.id DESC LIMIT ?3",
                &[&filter.product_id, &filter.before_id, &limit],
            )?
            .iter()
            .map(audit_row)
            .collect()
        })
    }

    /// How many audit rows there are (for tests and statistics).
    pub fn audit_count(&self) -> Result<u64> {
        let n: i64 = self.team_conn(|db| sql::one(db, "SELECT count(*) FROM audit", &[]))?;
        Ok(n as u64)
    }
}

fn audit_row(r: &sql::Row) -> Result<AuditRow> {
    let change: Option<String> = r.get(7)?;
    Ok(AuditRow {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        via: r.get(3)?,
        action: r.get(4)?,
        object: r.get(5)?,
        product: r.get(6)?,
        change: change.map(|c| json_value(&c, "audit change")).transpose()?,
        client: r.get(8)?,
    })
}
