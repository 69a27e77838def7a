//! What is known about a product version besides its SBOM: its facts file
//! and its kernel/BusyBox `.config` files, kept as given so that automatic
//! answers (the web checklist, `kensa assess --auto`) use them without the
//! files being passed again. Parsing and validation are the callers'; this
//! keeps the texts, each write audited (the audit records the file's name
//! and size, not its text).

use serde::Serialize;
use serde_json::json;

use super::AuditEntry;
use crate::sql::Db;
use crate::{Result, Store, StoreError};

/// Which kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// The facts file: a version has at most one.
    Facts,
    /// A build configuration (`.config`): one per origin.
    Config,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Facts => "facts",
            InputKind::Config => "config",
        }
    }

    fn parse(s: &str) -> Result<InputKind> {
        match s {
            "facts" => Ok(InputKind::Facts),
            "config" => Ok(InputKind::Config),
            other => Err(StoreError::Corrupt {
                what: "version_inputs.kind".into(),
                message: format!("unknown kind `{other}`"),
            }),
        }
    }
}

/// One stored file of a product version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionInput {
    pub kind: InputKind,
    /// The file's name as given.
    pub origin: String,
    #[serde(skip)]
    pub body: String,
    pub bytes: usize,
    pub stored_by: String,
    pub stored_at: String,
}

impl Store {
    /// Keeps `body` as the version's facts file (replacing the one it had)
    /// or as its build configuration named `origin` (replacing one of that
    /// name).
    pub fn store_version_input(
        &mut self,
        product_id: i64,
        version: &str,
        kind: InputKind,
        origin: &str,
        body: &str,
        entry: AuditEntry,
    ) -> Result<()> {
        self.team_write(entry, |db, entry| {
            let before = names(db, product_id, version, kind)?;
            if kind == InputKind::Facts {
                db.execute(
                    "DELETE FROM version_inputs
                     WHERE product_id = ?1 AND version = ?2 AND kind = 'facts'",
                    &[&product_id, &version],
                )?;
            }
            db.execute(
                "INSERT INTO version_inputs
                     (product_id, version, kind, origin, body, stored_by, stored_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (product_id, version, kind, origin) DO UPDATE SET
                     body = excluded.body, stored_by = excluded.stored_by,
                     stored_at = excluded.stored_at",
                &[
                    &product_id,
                    &version,
                    &kind.as_str(),
                    &origin,
                    &body,
                    &entry.actor,
                    &crate::write::now(),
                ],
            )?;
            entry.product_id = Some(product_id);
            entry.change = Some(json!({
                "before": {"version": version, "kind": kind, "files": before},
                "after": {"version": version, "kind": kind, "origin": origin, "bytes": body.len()},
            }));
            Ok(())
        })
    }

    /// Removes the version's files of `kind` (only the one named `origin`
    /// when given). `NotFound` when there was none.
    pub fn remove_version_input(
        &mut self,
        product_id: i64,
        version: &str,
        kind: InputKind,
        origin: Option<&str>,
        entry: AuditEntry,
    ) -> Result<usize> {
        self.team_write(entry, |db, entry| {
            let n = db.execute(
                "DELETE FROM version_inputs
                 WHERE product_id = ?1 AND version = ?2 AND kind = ?3
                   AND (CAST(?4 AS TEXT) IS NULL OR origin = ?4)",
                &[&product_id, &version, &kind.as_str(), &origin],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!(
                    "version {version} has no {} file{}",
                    kind.as_str(),
                    origin.map(|o| format!(" named {o}")).unwrap_or_default()
                )));
            }
            entry.product_id = Some(product_id);
            entry.change = Some(json!({
                "before": {"version": version, "kind": kind, "origin": origin, "files": n},
            }));
            Ok(n as usize)
        })
    }

    /// The version's stored files: the facts file first, then the build
    /// configurations by name.
    pub fn version_inputs(&self, product_id: i64, version: &str) -> Result<Vec<VersionInput>> {
        self.team_conn(|db| {
            db.query(
                "SELECT kind, origin, body, stored_by, stored_at FROM version_inputs
                 WHERE product_id = ?1 AND version = ?2 ORDER BY kind DESC, origin",
                &[&product_id, &version],
            )?
            .iter()
            .map(|r| {
                let body: String = r.get(2)?;
                Ok(VersionInput {
                    kind: InputKind::parse(&r.get::<String>(0)?)?,
                    origin: r.get(1)?,
                    bytes: body.len(),
                    body,
                    stored_by: r.get(3)?,
                    stored_at: r.get(4)?,
                })
            })
            .collect()
        })
    }
}

/// The names of the version's files of `kind`, for the audit's "before".
fn names(db: &mut dyn Db, product_id: i64, version: &str, kind: InputKind) -> Result<Vec<String>> {
    db.query(
        "SELECT origin FROM version_inputs
         WHERE product_id = ?1 AND version = ?2 AND kind = ?3 ORDER BY origin",
        &[&product_id, &version, &kind.as_str()],
    )?
    .iter()
    .map(|r| r.get(0))
    .collect()
}
