//! EU CRA Article 14: products' market metadata and the case records with
//! their submitted stage reports. The rules (clocks, order of stages) are
//! the callers'; this keeps the rows, each write audited.

use serde::Serialize;
use serde_json::json;

use super::AuditEntry;
use crate::sql::{self, Db, Row};
use crate::{Result, Store};

/// Whether a product is made available on the EU market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MarketRow {
    pub on_market: bool,
    /// ISO 3166 alpha-2 codes.
    pub member_states: Vec<String>,
    /// YYYY-MM-DD.
    pub support_end: Option<String>,
    pub updated_at: String,
}

/// A case to open.
pub struct NewCase<'a> {
    pub product_id: i64,
    pub version: &'a str,
    pub kind: &'a str,
    pub vuln_id: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub source: &'a str,
    pub evidence_at: &'a str,
    pub awareness_at: &'a str,
    pub opened_by: &'a str,
}

/// A submitted stage report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionRow {
    pub stage: String,
    pub submitted_at: String,
    pub reference: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

/// A case as stored, with its submissions in stage order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRow {
    pub id: i64,
    #[serde(skip)]
    pub product_id: i64,
    pub product: String,
    pub version: String,
    pub kind: String,
    pub vulnerability: Option<String>,
    pub summary: Option<String>,
    pub source: String,
    pub evidence_at: String,
    pub awareness_at: String,
    pub measure_at: Option<String>,
    pub measure: Option<String>,
    pub opened_by: String,
    pub opened_at: String,
    pub submissions: Vec<SubmissionRow>,
}

const CASE_COLUMNS: &str =
    "c.id, c.product_id, p.name, c.version, c.kind, c.vuln_id, c.summary, c.source,
    c.evidence_at, c.awareness_at, c.measure_at, c.measure, c.opened_by, c.opened_at";

fn case_row(r: &Row) -> Result<CaseRow> {
    Ok(CaseRow {
        id: r.get(0)?,
        product_id: r.get(1)?,
        product: r.get(2)?,
        version: r.get(3)?,
        kind: r.get(4)?,
        vulnerability: r.get(5)?,
        summary: r.get(6)?,
        source: r.get(7)?,
        evidence_at: r.get(8)?,
        awareness_at: r.get(9)?,
        measure_at: r.get(10)?,
        measure: r.get(11)?,
        opened_by: r.get(12)?,
        opened_at: r.get(13)?,
        submissions: Vec::new(),
    })
}

impl Store {
    /// Sets a product's market metadata (replacing what was there).
    pub fn set_market(
        &mut self,
        product_id: i64,
        on_market: bool,
        member_states: &[String],
        support_end: Option<&str>,
        entry: AuditEntry,
    ) -> Result<MarketRow> {
        let before = self.market(product_id)?;
        self.team_write(entry, |db, entry| {
            let now = crate::write::now();
            db.execute(
                "INSERT INTO product_market (product_id, on_market, member_states, support_end, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (product_id) DO UPDATE SET on_market = excluded.on_market,
                    member_states = excluded.member_states, support_end = excluded.support_end,
                    updated_at = excluded.updated_at",
                &[&product_id, &on_market, &member_states.join(","), &support_end, &now],
            )?;
            let after = MarketRow {
                on_market,
                member_states: member_states.to_vec(),
                support_end: support_end.map(str::to_string),
                updated_at: now,
            };
            entry.product_id = Some(product_id);
            entry.change = Some(json!({"before": before, "after": after}));
            Ok(after)
        })
    }

    /// A product's market metadata, if set.
    pub fn market(&self, product_id: i64) -> Result<Option<MarketRow>> {
        self.team_conn(|db| {
            let Some(r) = db.query_opt(
                "SELECT on_market, member_states, support_end, updated_at FROM product_market
                 WHERE product_id = ?1",
                &[&product_id],
            )?
            else {
                return Ok(None);
            };
            let states: String = r.get(1)?;
            Ok(Some(MarketRow {
                on_market: r.get(0)?,
                member_states: states
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
                support_end: r.get(2)?,
                updated_at: r.get(3)?,
            }))
        })
    }

    /// The products marked as on the EU market: (id, name), by name.
    pub fn products_on_market(&self) -> Result<Vec<(i64, String)>> {
        self.team_conn(|db| {
            db.query(
                "SELECT p.id, p.name FROM product_market m JOIN products p ON p.id = m.product_id
                 WHERE m.on_market ORDER BY p.name",
                &[],
            )?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?)))
            .collect()
        })
    }

    /// Opens a case; `None` when the product version already has a case
    /// for that vulnerability (the existing one is returned by `case`).
    pub fn open_case(&mut self, c: &NewCase, entry: AuditEntry) -> Result<Option<CaseRow>> {
        let id = self.team_write(entry, |db, entry| {
            let id: Option<i64> = sql::first(
                db,
                "INSERT INTO cra_cases (product_id, version, kind, vuln_id, summary, source,
                        evidence_at, awareness_at, opened_by, opened_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT DO NOTHING RETURNING id",
                &[
                    &c.product_id,
                    &c.version,
                    &c.kind,
                    &c.vuln_id,
                    &c.summary,
                    &c.source,
                    &c.evidence_at,
                    &c.awareness_at,
                    &c.opened_by,
                    &crate::write::now(),
                ],
            )?;
            entry.product_id = Some(c.product_id);
            if let Some(id) = id {
                entry.object = format!("{} case:{id}", entry.object);
                entry.change = Some(json!({"after": {"kind": c.kind, "vulnerability": c.vuln_id,
                    "awareness_at": c.awareness_at, "source": c.source}}));
            }
            Ok(id)
        })?;
        match id {
            Some(id) => self.case(id),
            None => Ok(None),
        }
    }

    /// The case of a product version's vulnerability, if any.
    pub fn case_of(
        &self,
        product_id: i64,
        version: &str,
        vuln_id: &str,
    ) -> Result<Option<CaseRow>> {
        let id: Option<i64> = self.team_conn(|db| {
            sql::first(
                db,
                "SELECT id FROM cra_cases WHERE product_id = ?1 AND version = ?2 AND vuln_id = ?3",
                &[&product_id, &version, &vuln_id],
            )
        })?;
        match id {
            Some(id) => self.case(id),
            None => Ok(None),
        }
    }

    /// One case with its submissions.
    pub fn case(&self, id: i64) -> Result<Option<CaseRow>> {
        self.team_conn(|db| {
            let sql = format!(
                "SELECT {CASE_COLUMNS} FROM cra_cases c JOIN products p ON p.id = c.product_id
                 WHERE c.id = ?1"
            );
            let Some(row) = db.query_opt(&sql, &[&id])? else {
                return Ok(None);
            };
            let mut case = case_row(&row)?;
            case.submissions = submissions(db, id)?;
            Ok(Some(case))
        })
    }

    /// Every case of these products (all products when `None`), oldest first.
    pub fn cases(&self, product_ids: Option<&[i64]>) -> Result<Vec<CaseRow>> {
        self.team_conn(|db| {
            let sql = format!(
                "SELECT {CASE_COLUMNS} FROM cra_cases c JOIN products p ON p.id = c.product_id
                 ORDER BY c.id"
            );
            let mut out = Vec::new();
            for row in db.query(&sql, &[])? {
                let mut case = case_row(&row)?;
                if product_ids.is_some_and(|ids| !ids.contains(&case.product_id)) {
                    continue;
                }
                case.submissions = submissions(db, case.id)?;
                out.push(case);
            }
            Ok(out)
        })
    }

    /// Records a submitted stage report (checked by the caller).
    pub fn record_submission(
        &mut self,
        case: &CaseRow,
        stage: &str,
        submitted_at: &str,
        reference: &str,
        entry: AuditEntry,
    ) -> Result<()> {
        self.team_write(entry, |db, entry| {
            db.execute(
                "INSERT INTO cra_submissions (case_id, stage, submitted_at, reference, recorded_by, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &[&case.id, &stage, &submitted_at, &reference, &entry.actor, &crate::write::now()],
            )?;
            entry.product_id = Some(case.product_id);
            entry.change = Some(json!({"after": {"stage": stage, "submitted_at": submitted_at, "reference": reference}}));
            Ok(())
        })
    }

    /// Records that a corrective or mitigating measure is available.
    pub fn record_measure(
        &mut self,
        case: &CaseRow,
        at: &str,
        measure: &str,
        entry: AuditEntry,
    ) -> Result<()> {
        self.team_write(entry, |db, entry| {
            db.execute(
                "UPDATE cra_cases SET measure_at = ?2, measure = ?3 WHERE id = ?1",
                &[&case.id, &at, &measure],
            )?;
            entry.product_id = Some(case.product_id);
            entry.change = Some(
                json!({"before": {"measure_at": case.measure_at, "measure": case.measure},
                "after": {"measure_at": at, "measure": measure}}),
            );
            Ok(())
        })
    }
}

fn submissions(db: &mut dyn Db, case_id: i64) -> Result<Vec<SubmissionRow>> {
    db.query(
        "SELECT stage, submitted_at, reference, recorded_by, recorded_at FROM cra_submissions
         WHERE case_id = ?1 ORDER BY submitted_at",
        &[&case_id],
    )?
    .iter()
    .map(|r| {
        Ok(SubmissionRow {
            stage: r.get(0)?,
            submitted_at: r.get(1)?,
            reference: r.get(2)?,
            recorded_by: r.get(3)?,
            recorded_at: r.get(4)?,
        })
    })
    .collect()
}
