//! Assessments: a product's verdict on a vulnerability, its revisions and
//! approvals.
//!
//! Each save makes a new revision; a save or approval that names the
//! revision it was based on fails with [`StoreError::Stale`] when someone
//! saved in between (optimistic concurrency, the `If-Match` of the API).
//! The write itself only applies to the revision that was read, so two
//! nodes saving at once cannot both win even without one of them naming a
//! revision.

use serde::Serialize;
use serde_json::{Value, json};

use super::{AuditEntry, json_text, json_value};
use crate::sql::{self, Db};
use crate::{Result, Store, StoreError};

/// A verdict to store for a product.
pub struct NewAssessment<'a> {
    pub product_id: i64,
    pub vuln_id: &'a str,
    /// `affected`, `not_affected` or `under_investigation`.
    pub status: &'a str,
    pub answers: &'a Value,
    pub note: Option<&'a str>,
    pub verdict: &'a Value,
    pub actor: &'a str,
    /// The revision the writer saw (0: none yet); `None` saves regardless.
    pub expected_revision: Option<i64>,
}

/// The current assessment of a vulnerability in a product.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentRecord {
    #[serde(skip)]
    pub product_id: i64,
    pub vulnerability: String,
    pub revision: i64,
    pub status: String,
    pub answers: Value,
    pub note: Option<String>,
    pub verdict: Value,
    pub saved_by: String,
    pub saved_at: String,
    pub approved_revision: Option<i64>,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
}

impl AssessmentRecord {
    /// Whether the current revision is the approved one.
    pub fn is_approved(&self) -> bool {
        self.approved_revision == Some(self.revision)
    }
}

/// One revision or approval of an assessment.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    pub revision: i64,
    pub action: String,
    pub status: String,
    pub answers: Value,
    pub note: Option<String>,
    pub actor: String,
    pub at: String,
}

const COLUMNS: &str = "product_id, vuln_id, revision, status, answers, note, verdict, saved_by, \
                       saved_at, approved_revision, approved_by, approved_at";

impl Store {
    /// Saves a new revision of the assessment.
    pub fn save_assessment(
        &mut self,
        new: &NewAssessment<'_>,
        entry: AuditEntry,
    ) -> Result<AssessmentRecord> {
        self.team_write(entry, |db, entry| {
            // Saves of one assessment queue on every backend: a save that
            // names no revision is based on whatever the previous one left.
            crate::sql::serialize_on(
                db,
                &format!("assessment:{}:{}", new.product_id, new.vuln_id),
            )?;
            let before = current(db, new.product_id, new.vuln_id)?;
            let revision = before.as_ref().map_or(0, |b| b.revision);
            if let Some(expected) = new.expected_revision
                && expected != revision
            {
                return Err(StoreError::Stale { current: revision });
            }
            let now = crate::write::now();
            let answers = json_text(new.answers, "answers")?;
            let verdict = json_text(new.verdict, "verdict")?;
            let written = db.execute(
                "INSERT INTO assessments (product_id, vuln_id, revision, status, answers, note,
                                          verdict, saved_by, saved_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (product_id, vuln_id) DO UPDATE SET
                    revision = excluded.revision, status = excluded.status,
                    answers = excluded.answers, note = excluded.note, verdict = excluded.verdict,
                    saved_by = excluded.saved_by, saved_at = excluded.saved_at
                 WHERE assessments.revision = ?10",
                &[
                    &new.product_id,
                    &new.vuln_id,
                    &(revision + 1),
                    &new.status,
                    &answers,
                    &new.note,
                    &verdict,
                    &new.actor,
                    &now,
                    &revision,
                ],
            )?;
            if written == 0 {
                return Err(stale(db, new.product_id, new.vuln_id)?);
            }
            history(
                db,
                new.product_id,
                new.vuln_id,
                revision + 1,
                "saved",
                new.actor,
                &now,
            )?;
            entry.product_id = Some(new.product_id);
            entry.change = Some(json!({
                "before": before.as_ref().map(summary),
                "after": {"revision": revision + 1, "status": new.status,
                          "answers": new.answers, "note": new.note},
            }));
            current(db, new.product_id, new.vuln_id)?
                .ok_or_else(|| StoreError::NotFound("the saved assessment".into()))
        })
    }

    /// Approves the current revision (or, with `expected_revision`, only if
    /// it is still that one).
    pub fn approve_assessment(
        &mut self,
        product_id: i64,
        vuln_id: &str,
        expected_revision: Option<i64>,
        actor: &str,
        entry: AuditEntry,
    ) -> Result<AssessmentRecord> {
        self.team_write(entry, |db, entry| {
            crate::sql::serialize_on(db, &format!("assessment:{product_id}:{vuln_id}"))?;
            let record = current(db, product_id, vuln_id)?.ok_or_else(|| {
                StoreError::NotFound(format!("no assessment of {vuln_id} to approve"))
            })?;
            if let Some(expected) = expected_revision
                && expected != record.revision
            {
                return Err(StoreError::Stale {
                    current: record.revision,
                });
            }
            if record.is_approved() {
                return Err(StoreError::Conflict(format!(
                    "revision {} of {vuln_id} is already approved",
                    record.revision
                )));
            }
            let now = crate::write::now();
            let written = db.execute(
                "UPDATE assessments SET approved_revision = revision, approved_by = ?3,
                        approved_at = ?4
                 WHERE product_id = ?1 AND vuln_id = ?2 AND revision = ?5
                   AND (approved_revision IS NULL OR approved_revision <> revision)",
                &[&product_id, &vuln_id, &actor, &now, &record.revision],
            )?;
            if written == 0 {
                return Err(stale(db, product_id, vuln_id)?);
            }
            history(
                db,
                product_id,
                vuln_id,
                record.revision,
                "approved",
                actor,
                &now,
            )?;
            entry.product_id = Some(product_id);
            entry.change = Some(json!({
                "before": {"approved_revision": record.approved_revision},
                "after": {"approved_revision": record.revision, "status": record.status},
            }));
            current(db, product_id, vuln_id)?
                .ok_or_else(|| StoreError::NotFound("the approved assessment".into()))
        })
    }

    /// The current assessment of a vulnerability in a product.
    pub fn assessment(&self, product_id: i64, vuln_id: &str) -> Result<Option<AssessmentRecord>> {
        self.team_conn(|db| current(db, product_id, vuln_id))
    }

    /// Every current assessment of a product, by vulnerability.
    pub fn assessments_of(&self, product_id: i64) -> Result<Vec<AssessmentRecord>> {
        self.team_conn(|db| {
            db.query(
                &format!(
                    "SELECT {COLUMNS} FROM assessments WHERE product_id = ?1 ORDER BY vuln_id"
                ),
                &[&product_id],
            )?
            .iter()
            .map(record)
            .collect()
        })
    }

    /// The approved verdict of each assessment of a product that has one
    /// (the approved revision, even when a later one is saved), by
    /// vulnerability.
    pub fn approved_verdicts(&self, product_id: i64) -> Result<Vec<(String, Value)>> {
        self.team_conn(|db| {
            db.query(
                "SELECT h.vuln_id, h.verdict FROM assessments a JOIN assessment_history h
                   ON h.product_id = a.product_id AND h.vuln_id = a.vuln_id
                  AND h.revision = a.approved_revision AND h.action = 'approved'
                 WHERE a.product_id = ?1 ORDER BY a.vuln_id",
                &[&product_id],
            )?
            .iter()
            .map(|r| {
                let verdict: String = r.get(1)?;
                Ok((r.get(0)?, json_value(&verdict, "approved verdict")?))
            })
            .collect()
        })
    }

    /// Every revision and approval of an assessment, newest first.
    pub fn assessment_history(&self, product_id: i64, vuln_id: &str) -> Result<Vec<HistoryRow>> {
        self.team_conn(|db| {
            db.query(
                "SELECT revision, action, status, answers, note, actor, at FROM assessment_history
                 WHERE product_id = ?1 AND vuln_id = ?2
                 ORDER BY at DESC, revision DESC, action DESC",
                &[&product_id, &vuln_id],
            )?
            .iter()
            .map(|r| {
                let answers: String = r.get(3)?;
                Ok(HistoryRow {
                    revision: r.get(0)?,
                    action: r.get(1)?,
                    status: r.get(2)?,
                    answers: json_value(&answers, "assessment history answers")?,
                    note: r.get(4)?,
                    actor: r.get(5)?,
                    at: r.get(6)?,
                })
            })
            .collect()
        })
    }
}

fn current(db: &mut dyn Db, product_id: i64, vuln_id: &str) -> Result<Option<AssessmentRecord>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM assessments WHERE product_id = ?1 AND vuln_id = ?2"),
        &[&product_id, &vuln_id],
    )?
    .as_ref()
    .map(record)
    .transpose()
}

/// Why a write that applies only to the revision read changed nothing:
/// another writer got there first.
fn stale(db: &mut dyn Db, product_id: i64, vuln_id: &str) -> Result<StoreError> {
    let current: Option<i64> = sql::first(
        db,
        "SELECT revision FROM assessments WHERE product_id = ?1 AND vuln_id = ?2",
        &[&product_id, &vuln_id],
    )?;
    Ok(StoreError::Stale {
        current: current.unwrap_or(0),
    })
}

fn record(r: &sql::Row) -> Result<AssessmentRecord> {
    let answers: String = r.get(4)?;
    let verdict: String = r.get(6)?;
    Ok(AssessmentRecord {
        product_id: r.get(0)?,
        vulnerability: r.get(1)?,
        revision: r.get(2)?,
        status: r.get(3)?,
        answers: json_value(&answers, "assessment answers")?,
        note: r.get(5)?,
        verdict: json_value(&verdict, "assessment verdict")?,
        saved_by: r.get(7)?,
        saved_at: r.get(8)?,
        approved_revision: r.get(9)?,
        approved_by: r.get(10)?,
        approved_at: r.get(11)?,
    })
}

fn summary(r: &AssessmentRecord) -> Value {
    json!({"revision": r.revision, "status": r.status, "answers": r.answers, "note": r.note})
}

fn history(
    db: &mut dyn Db,
    product_id: i64,
    vuln_id: &str,
    revision: i64,
    action: &str,
    actor: &str,
    at: &str,
) -> Result<()> {
    db.execute(
        "INSERT INTO assessment_history (product_id, vuln_id, revision, action, status, answers,
                                         note, verdict, actor, at)
         SELECT product_id, vuln_id, ?3, ?4, status, answers, note, verdict, ?5, ?6
         FROM assessments WHERE product_id = ?1 AND vuln_id = ?2",
        &[&product_id, &vuln_id, &revision, &action, &actor, &at],
    )?;
    Ok(())
}
