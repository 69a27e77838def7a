//! What intelligence a database holds and how recent it is: the sources,
//! their record counts and their newest modification, so that every scan
//! can state what it was matched against, and an empty or old database is
//! never mistaken for a clean result.
//!
//! Each source's record count and newest modification are kept in
//! `source_summary` by every import's commit (see [`NewestTracker`]):
//! counting the records at every scan cost a tenth of a small scan's
//! instructions, and finding the newest in them would read the whole table.

use std::collections::BTreeMap;

use rusqlite::{Transaction, params};
use serde::Serialize;

use crate::{Result, Store};

/// One source of intelligence in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceData {
    /// The source kind (`nvd`, `cve5-cna`, `cve5-adp`, `osv`, `csaf`), or
    /// `kev` / `epss`.
    pub source: String,
    /// Records (KEV entries, EPSS scores) it holds.
    pub records: u64,
    /// The newest modification time among them (KEV: date added; EPSS:
    /// score date), as the source states it.
    pub newest_modified: Option<String>,
}

/// What a database holds to match against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DataSummary {
    pub sources: Vec<SourceData>,
    /// Vulnerability records of every source (what findings come from).
    pub records: u64,
    pub csaf_advisories: u64,
    pub kev_entries: u64,
    pub epss_scores: u64,
    /// The newest modification of any vulnerability record.
    pub newest_modified: Option<String>,
    /// When the last import finished.
    pub last_import: Option<String>,
}

impl DataSummary {
    /// Whether anything can produce a finding: vulnerability records (KEV
    /// entries and EPSS scores only annotate them).
    pub fn has_vulnerability_data(&self) -> bool {
        self.records > 0
    }

    /// Whole days from the newest modification to `now`; `None` without
    /// records or with an unreadable date.
    pub fn age_days(&self, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
        let newest = self.newest_modified.as_deref()?;
        let at = match chrono::DateTime::parse_from_rfc3339(newest) {
            Ok(d) => d.with_timezone(&chrono::Utc),
            // KEV and EPSS give days.
            Err(_) => chrono::NaiveDate::parse_from_str(newest.get(..10)?, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)?
                .and_utc(),
        };
        Some((now - at).num_days())
    }
}

impl Store {
    /// The sources the database holds, with counts and newest modification.
    pub fn data_summary(&self) -> Result<DataSummary> {
        let mut summary = DataSummary::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT source, records, newest FROM source_summary WHERE records > 0
             ORDER BY source IN ('kev', 'epss'), source",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SourceData {
                source: r.get(0)?,
                records: r.get::<_, i64>(1)? as u64,
                newest_modified: r.get(2)?,
            })
        })?;
        for row in rows {
            let s = row?;
            match s.source.as_str() {
                "kev" => summary.kev_entries = s.records,
                "epss" => summary.epss_scores = s.records,
                _ => {
                    summary.records += s.records;
                    if let Some(m) = &s.newest_modified
                        && summary.newest_modified.as_ref().is_none_or(|n| m > n)
                    {
                        summary.newest_modified = Some(m.clone());
                    }
                }
            }
            summary.sources.push(s);
        }
        summary.csaf_advisories =
            self.conn
                .query_row("SELECT count(*) FROM csaf_documents", [], |r| {
                    r.get::<_, i64>(0)
                })? as u64;
        summary.last_import = self.conn.query_row(
            "SELECT max(finished_at) FROM imports WHERE finished_at IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(summary)
    }
}

/// The sources an import wrote, with the newest modification among what it
/// wrote; saved (with each source's new record count) at its commit.
#[derive(Debug, Default)]
pub(crate) struct NewestTracker(BTreeMap<&'static str, Option<String>>);

impl NewestTracker {
    pub(crate) fn note(&mut self, source: &'static str, modified: Option<&str>) {
        let newest = self.0.entry(source).or_default();
        if let Some(m) = modified.filter(|m| !m.is_empty())
            && newest.as_deref().is_none_or(|n| m > n)
        {
            *newest = Some(m.to_string());
        }
    }

    pub(crate) fn save(&self, tx: &Transaction<'_>) -> Result<()> {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO source_summary (source, records, newest) VALUES (?1, ?2, ?3)
             ON CONFLICT (source) DO UPDATE SET records = excluded.records,
                 newest = CASE WHEN newest IS NULL OR excluded.newest > newest
                               THEN excluded.newest ELSE newest END",
        )?;
        for (source, newest) in &self.0 {
            // Counted on an index, once per source per import.
            let records: i64 = match *source {
                "kev" => tx.query_row("SELECT count(*) FROM kev", [], |r| r.get(0))?,
                "epss" => tx.query_row("SELECT count(*) FROM epss", [], |r| r.get(0))?,
                kind => tx.query_row(
                    "SELECT count(*) FROM records INDEXED BY records_by_source
                     WHERE source_kind = ?1",
                    [kind],
                    |r| r.get(0),
                )?,
            };
            upsert.execute(params![source, records, newest])?;
        }
        Ok(())
    }
}
