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
mod cra;
mod jobs;
mod version_inputs;
mod webhooks;

use rusqlite::TransactionBehavior;
use serde::Serialize;

use crate::sql::{self, Db, SqliteDb};
use crate::{Result, Store, StoreError};

pub use accounts::{
    GrantRow, NewToken, SessionOwner, TeamRow, TokenOwner, TokenRow, UserAuth, UserRow,
};
pub use alerts::{AlertFilter, AlertRow, NewAlert};
pub use aliases::{AliasRow, NewAlias};
pub use assessments::{AssessmentRecord, HistoryRow, NewAssessment};
pub(crate) use audit::append as append_audit;
pub use audit::{AuditFilter, AuditRow};
pub use cra::{CaseRow, MarketRow, NewCase, SubmissionRow};
pub use jobs::{ClaimedJob, JobOutcome, JobRow, JobState, NewJob};
pub use version_inputs::{InputKind, VersionInput};
pub use webhooks::{Attempt, DeliveryRow, EventRow, WEBHOOK_JOB, WebhookRow};

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
    /// Runs `write` in one transaction on whichever backend holds the
    /// team's state and appends `entry` (which `write` may complete: the
    /// product concerned, the change) before committing. SQLite takes its
    /// write lock when the transaction begins (`BEGIN IMMEDIATE`), so
    /// concurrent writers queue on the busy timeout instead of failing on
    /// a lock upgrade.
    pub(crate) fn team_write<T>(
        &mut self,
        mut entry: AuditEntry,
        write: impl FnOnce(&mut dyn Db, &mut AuditEntry) -> Result<T>,
    ) -> Result<T> {
        #[cfg(feature = "postgres")]
        if let Some(pg) = &self.team {
            return pg.write(|db| {
                let out = write(db, &mut entry)?;
                audit::append(db, &entry)?;
                Ok(out)
            });
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut db = SqliteDb(&tx);
        let out = write(&mut db, &mut entry)?;
        audit::append(&mut db, &entry)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `write` in one transaction on the team's backend, unaudited:
    /// for derived state (scan results, stored triage, cursors) that no
    /// person decided.
    pub(crate) fn team_transaction<T>(
        &mut self,
        write: impl FnOnce(&mut dyn Db) -> Result<T>,
    ) -> Result<T> {
        #[cfg(feature = "postgres")]
        if let Some(pg) = &self.team {
            return pg.write(write);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = write(&mut SqliteDb(&tx))?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on the connection holding the team's state, outside a
    /// transaction: reads, and writes that are one statement and not audited.
    pub(crate) fn team_conn<T>(&self, read: impl FnOnce(&mut dyn Db) -> Result<T>) -> Result<T> {
        #[cfg(feature = "postgres")]
        if let Some(pg) = &self.team {
            return pg.run(read);
        }
        read(&mut SqliteDb(&self.conn))
    }

    /// Keeps the team's state in PostgreSQL at `url` from now on (the
    /// vulnerability intelligence stays in this store's file).
    #[cfg(feature = "postgres")]
    pub fn attach_postgres(&mut self, url: &str, migrate: crate::Migrate) -> Result<()> {
        self.team = Some(crate::pg::PgTeam::connect(url, migrate)?);
        Ok(())
    }

    /// Whether this store can still serve: false once its PostgreSQL
    /// connection was lost (a pool opens a new one instead).
    pub fn is_usable(&self) -> bool {
        #[cfg(feature = "postgres")]
        if let Some(pg) = &self.team {
            return pg.is_open();
        }
        true
    }

    /// Asks the database server whether this store's connection still
    /// works (a round trip); true for the embedded file.
    pub fn is_alive(&self) -> bool {
        #[cfg(feature = "postgres")]
        if let Some(pg) = &self.team {
            return pg.is_alive();
        }
        true
    }

    /// Where the team's state lives: the PostgreSQL address (password
    /// hidden), or `None` for this store's own file.
    pub fn team_backend(&self) -> Option<&str> {
        #[cfg(feature = "postgres")]
        if let Some(pg) = &self.team {
            return Some(&pg.shown);
        }
        None
    }

    /// Every product with its team, by name.
    pub fn product_refs(&self) -> Result<Vec<ProductRef>> {
        self.team_conn(|db| {
            db.query(
                "SELECT p.id, p.name, p.team_id, t.name FROM products p
                 LEFT JOIN teams t ON t.id = p.team_id ORDER BY p.name",
                &[],
            )?
            .iter()
            .map(product_ref)
            .collect()
        })
    }

    /// One product with its team.
    pub fn product_ref(&self, name: &str) -> Result<Option<ProductRef>> {
        self.team_conn(|db| {
            db.query_opt(
                "SELECT p.id, p.name, p.team_id, t.name FROM products p
                 LEFT JOIN teams t ON t.id = p.team_id WHERE p.name = ?1",
                &[&name],
            )?
            .as_ref()
            .map(product_ref)
            .transpose()
        })
    }

    /// The id of a named team.
    pub fn team_id(&self, name: &str) -> Result<i64> {
        self.team_conn(|db| team_id(db, name))
    }

    /// Creates a team.
    pub fn create_team(&mut self, name: &str, entry: AuditEntry) -> Result<i64> {
        self.team_write(entry, |db, _| {
            let exists: bool = sql::one(
                db,
                "SELECT EXISTS (SELECT 1 FROM teams WHERE name = ?1)",
                &[&name],
            )?;
            if exists {
                return Err(StoreError::Conflict(format!("team {name} already exists")));
            }
            sql::one(
                db,
                "INSERT INTO teams (name, created_at) VALUES (?1, ?2) RETURNING id",
                &[&name, &crate::write::now()],
            )
        })
    }
}

fn product_ref(r: &sql::Row) -> Result<ProductRef> {
    Ok(ProductRef {
        id: r.get(0)?,
        name: r.get(1)?,
        team_id: r.get(2)?,
        team: r.get(3)?,
    })
}

/// The id of a named team, or `NotFound`.
pub(crate) fn team_id(db: &mut dyn Db, name: &str) -> Result<i64> {
    sql::first(db, "SELECT id FROM teams WHERE name = ?1", &[&name])?
        .ok_or_else(|| StoreError::NotFound(format!("no team {name}")))
}

/// The id of a named product, or `NotFound`.
pub(crate) fn product_id(db: &mut dyn Db, name: &str) -> Result<i64> {
    sql::first(db, "SELECT id FROM products WHERE name = ?1", &[&name])?
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
