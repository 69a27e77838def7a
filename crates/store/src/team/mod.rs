//! The team's state: accounts, grants, sessions and tokens, assessments,
//! jobs and the audit trail.
//!
//! Every method that changes what people decided or may do takes an
//! [`AuditEntry`] and appends it in the transaction of the change, so the
//! trail can never miss a write nor record one that did not happen. Writes
//! take the database's write lock when they begin (`BEGIN IMMEDIATE`), so
//! concurrent writers queue on the busy timeout instead of failing on a
//! lock upgrade.

mod accounts;
mod alerts;
mod aliases;
mod assessments;
mod audit;
mod jobs;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};
use serde::Serialize;

use crate::{Result, Store, StoreError};

pub use accounts::{
    GrantRow, NewToken, SessionOwner, TeamRow, TokenOwner, TokenRow, UserAuth, UserRow,
};
pub use alerts::{AlertFilter, AlertRow, NewAlert};
pub use aliases::{AliasRow, NewAlias};
pub use assessments::{AssessmentRecord, HistoryRow, NewAssessment};
pub(crate) use audit::append as append_audit;
pub use audit::{AuditFilter, AuditRow};
pub use jobs::{JobRow, JobState};

/// One write, as the audit trail records it. The store adds the time.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    /// Who: a user name, or `cli:OSUSER` for the command line.
    pub actor: String,
    /// Through what: `session:N`, `token:N`, `cli`, `login`.
    pub via: String,
    /// The client's address, for requests.
    pub client: Option<String>,
    /// What was done, dotted: `assessment.save`, `grant.add`, …
    pub action: String,
    /// What it was done to: `product:NAME`, `user:NAME`, …
    pub object: String,
    /// The product concerned, so a product's admin can read its trail.
    pub product_id: Option<i64>,
    /// Before → after, where the change has a before.
    pub change: Option<serde_json::Value>,
}

/// A product as access control sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductRef {
    #[serde(skip)]
    pub id: i64,
    pub name: String,
    #[serde(skip)]
    pub team_id: Option<i64>,
    pub team: Option<String>,
}

impl Store {
    /// Runs `write` in an immediate transaction and appends `entry` (which
    /// `write` may complete: the product concerned, the change) before
    /// committing.
    pub(crate) fn audited<T>(
        &mut self,
        mut entry: AuditEntry,
        write: impl FnOnce(&Transaction<'_>, &mut AuditEntry) -> Result<T>,
    ) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = write(&tx, &mut entry)?;
        audit::append(&tx, &entry)?;
        tx.commit()?;
        Ok(out)
    }

    /// Every product with its team, by name.
    pub fn product_refs(&self) -> Result<Vec<ProductRef>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.name, p.team_id, t.name FROM products p
             LEFT JOIN teams t ON t.id = p.team_id ORDER BY p.name",
        )?;
        let rows = stmt.query_map([], product_ref)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One product with its team.
    pub fn product_ref(&self, name: &str) -> Result<Option<ProductRef>> {
        Ok(self
            .conn
            .query_row(
                "SELECT p.id, p.name, p.team_id, t.name FROM products p
                 LEFT JOIN teams t ON t.id = p.team_id WHERE p.name = ?1",
                [name],
                product_ref,
            )
            .optional()?)
    }

    /// The id of a named team.
    pub fn team_id(&self, name: &str) -> Result<i64> {
        team_id(&self.conn, name)
    }

    /// Creates a team.
    pub fn create_team(&mut self, name: &str, entry: AuditEntry) -> Result<i64> {
        self.audited(entry, |tx, _| {
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM teams WHERE name = ?1)",
                [name],
                |r| r.get(0),
            )?;
            if exists {
                return Err(StoreError::Conflict(format!("team {name} already exists")));
            }
            tx.execute(
                "INSERT INTO teams (name, created_at) VALUES (?1, ?2)",
                params![name, crate::write::now()],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }
}

fn product_ref(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProductRef> {
    Ok(ProductRef {
        id: r.get(0)?,
        name: r.get(1)?,
        team_id: r.get(2)?,
        team: r.get(3)?,
    })
}

/// The id of a named team, or `NotFound`.
pub(crate) fn team_id(tx: &rusqlite::Connection, name: &str) -> Result<i64> {
    tx.query_row("SELECT id FROM teams WHERE name = ?1", [name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("no team {name}")))
}

/// The id of a named product, or `NotFound`.
pub(crate) fn product_id(tx: &rusqlite::Connection, name: &str) -> Result<i64> {
    tx.query_row("SELECT id FROM products WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("no product {name}")))
}

/// JSON text for a TEXT column.
pub(crate) fn json_text<T: Serialize>(value: &T, what: &str) -> Result<String> {
    serde_json::to_string(value).map_err(|source| StoreError::Encode {
        what: what.to_string(),
        source,
    })
}

/// A TEXT column holding JSON, back as a value.
pub(crate) fn json_value(text: &str, what: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what: what.to_string(),
        message: e.to_string(),
    })
}
