//! The team's confirmed aliases: "components named X are the CPE product
//! V:P". Each change is audited and bumps the aliases' revision, which the
//! portfolio's rescan compares with the one its findings reflect.

use serde::Serialize;

use super::AuditEntry;
use crate::sql::{self, Db, Row};
use crate::{Result, Store, StoreError};

/// `meta` key: bumped by every alias change.
const REVISION: &str = "aliases.revision";
/// `meta` key: the alias revision the portfolio's findings reflect.
const PORTFOLIO_REVISION: &str = "portfolio.alias_revision";

/// One confirmed alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AliasRow {
    pub id: i64,
    /// The component name as it was confirmed.
    pub component: String,
    /// Normalised (`kensa_model::names::normalize`): what scans look up.
    #[serde(skip)]
    pub name: String,
    /// Only components with a purl of this type; `None`: any component.
    pub purl_type: Option<String>,
    pub vendor: String,
    pub product: String,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

/// An alias to store.
#[derive(Debug, Clone)]
pub struct NewAlias<'a> {
    pub component: &'a str,
    pub purl_type: Option<&'a str>,
    pub vendor: &'a str,
    pub product: &'a str,
    pub note: Option<&'a str>,
}

const COLUMNS: &str =
    "id, component, name, purl_type, vendor, product, note, created_by, created_at";

fn alias_row(r: &Row) -> Result<AliasRow> {
    let purl_type: String = r.get(3)?;
    Ok(AliasRow {
        id: r.get(0)?,
        component: r.get(1)?,
        name: r.get(2)?,
        purl_type: (!purl_type.is_empty()).then_some(purl_type),
        vendor: r.get(4)?,
        product: r.get(5)?,
        note: r.get(6)?,
        created_by: r.get(7)?,
        created_at: r.get(8)?,
    })
}

fn bump_revision(db: &mut dyn Db) -> Result<()> {
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?1, '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
        &[&REVISION],
    )?;
    Ok(())
}

fn alias_by_id(db: &mut dyn Db, id: i64) -> Result<Option<AliasRow>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM component_aliases WHERE id = ?1"),
        &[&id],
    )?
    .as_ref()
    .map(alias_row)
    .transpose()
}

impl Store {
    /// Stores an alias; a `Conflict` when the same one exists.
    pub fn add_alias(&mut self, new: &NewAlias<'_>, entry: AuditEntry) -> Result<AliasRow> {
        let name = kensa_model::names::normalize(new.component);
        self.team_write(entry, |db, entry| {
            let purl_type = new.purl_type.unwrap_or("");
            let exists: bool = sql::one(
                db,
                "SELECT EXISTS (SELECT 1 FROM component_aliases
                 WHERE name = ?1 AND purl_type = ?2 AND vendor = ?3 AND product = ?4)",
                &[&name, &purl_type, &new.vendor, &new.product],
            )?;
            if exists {
                return Err(StoreError::Conflict(format!(
                    "`{}` is already an alias of {}:{}",
                    new.component, new.vendor, new.product
                )));
            }
            let id: i64 = sql::one(
                db,
                "INSERT INTO component_aliases
                     (name, component, purl_type, vendor, product, note, created_by, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
                &[
                    &name,
                    &new.component,
                    &purl_type,
                    &new.vendor,
                    &new.product,
                    &new.note,
                    &entry.actor,
                    &crate::write::now(),
                ],
            )?;
            bump_revision(db)?;
            let row = alias_by_id(db, id)?
                .ok_or_else(|| StoreError::NotFound(format!("no alias {id}")))?;
            entry.change = Some(serde_json::json!({"after": row}));
            Ok(row)
        })
    }

    /// Removes an alias by id; `NotFound` when there is none.
    pub fn remove_alias(&mut self, id: i64, entry: AuditEntry) -> Result<AliasRow> {
        self.team_write(entry, |db, entry| {
            let row = alias_by_id(db, id)?
                .ok_or_else(|| StoreError::NotFound(format!("no alias {id}")))?;
            db.execute("DELETE FROM component_aliases WHERE id = ?1", &[&id])?;
            bump_revision(db)?;
            entry.change = Some(serde_json::json!({"before": row}));
            Ok(row)
        })
    }

    /// Every alias, by component name.
    pub fn aliases(&self) -> Result<Vec<AliasRow>> {
        self.team_conn(|db| {
            db.query(
                &format!(
                    "SELECT {COLUMNS} FROM component_aliases
                     ORDER BY name, vendor, product, purl_type"
                ),
                &[],
            )?
            .iter()
            .map(alias_row)
            .collect()
        })
    }

    /// One alias by id.
    pub fn alias(&self, id: i64) -> Result<Option<AliasRow>> {
        self.team_conn(|db| alias_by_id(db, id))
    }

    /// Bumped by every alias change (0 before the first).
    pub fn alias_revision(&self) -> Result<i64> {
        Ok(self
            .team_conn(|db| sql::meta(db, REVISION))?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The alias revision the portfolio's findings reflect.
    pub fn portfolio_alias_revision(&self) -> Result<i64> {
        Ok(self
            .team_conn(|db| sql::meta(db, PORTFOLIO_REVISION))?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    pub fn set_portfolio_alias_revision(&self, revision: i64) -> Result<()> {
        self.team_conn(|db| sql::set_meta(db, PORTFOLIO_REVISION, &revision.to_string()))
    }
}
