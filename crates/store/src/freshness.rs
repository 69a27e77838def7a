//! What intelligence a database holds and how recent it is: the sources,
//! their record counts and their newest modification, so that every scan
//! can state what it was matched against, and an empty or old database is
//! never mistaken for a clean result.
//!
//! Counts come from indexes; the newest modification of each source is kept
//! in `source_newest` by every import (see [`NewestTracker`]), since finding
//! it in the records would read the whole table.

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
        let newest: BTreeMap<String, String> = {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT source, newest FROM source_newest")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut summary = DataSummary::default();
        {
            // Counted on the records_by_source index, not the table.
            let mut stmt = self.conn.prepare_cached(
                "SELECT source_kind, count(*) FROM records INDEXED BY records_by_source
                 GROUP BY source_kind ORDER BY source_kind",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (source, n) = row?;
                summary.records += n as u64;
                let newest_modified = newest.get(&source).cloned();
                if let Some(m) = &newest_modified
                    && summary.newest_modified.as_ref().is_none_or(|n| m > n)
                {
                    summary.newest_modified = Some(m.clone());
                }
                summary.sources.push(SourceData {
                    source,
                    records: n as u64,
                    newest_modified,
                });
            }
        }
        let count = |sql: &str| -> Result<u64> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        summary.csaf_advisories = count("SELECT count(*) FROM csaf_documents")?;
        summary.kev_entries = count("SELECT count(*) FROM kev")?;
        summary.epss_scores = count("SELECT count(*) FROM epss")?;
        for (source, n) in [("kev", summary.kev_entries), ("epss", summary.epss_scores)] {
            if n > 0 {
                summary.sources.push(SourceData {
                    source: source.to_string(),
                    records: n,
                    newest_modified: newest.get(source).cloned(),
                });
            }
        }
        summary.last_import = self.conn.query_row(
            "SELECT max(finished_at) FROM imports WHERE finished_at IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(summary)
    }
}

/// The newest modification an import wrote, per source; saved with the
/// import's commit.
#[derive(Debug, Default)]
pub(crate) struct NewestTracker(BTreeMap<&'static str, String>);

impl NewestTracker {
    pub(crate) fn note(&mut self, source: &'static str, modified: Option<&str>) {
        let Some(m) = modified.filter(|m| !m.is_empty()) else {
            return;
        };
        match self.0.get_mut(source) {
            Some(have) if have.as_str() >= m => {}
            Some(have) => *have = m.to_string(),
            None => {
                self.0.insert(source, m.to_string());
            }
        }
    }

    pub(crate) fn save(&self, tx: &Transaction<'_>) -> Result<()> {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO source_newest (source, newest) VALUES (?1, ?2)
             ON CONFLICT (source) DO UPDATE SET newest = max(newest, excluded.newest)",
        )?;
        for (source, newest) in &self.0 {
            stmt.execute(params![source, newest])?;
        }
        Ok(())
    }
}
