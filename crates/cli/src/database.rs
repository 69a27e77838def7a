//! The database as commands see it: opened only when it is a Kensa
//! database, named in every error, and never a silent clean result: a scan
//! states what data it was matched against and warns when that data is old;
//! stored findings are completed (an interrupted `product add`) and flagged
//! when they predate the data.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use kensa_matching::ScanOptions;
use kensa_matching::portfolio;
use kensa_store::{DataSummary, Location, Migrate, Store, StoreError};
use serde::Serialize;

/// Vulnerability data whose newest modification is older than this many
/// days is called old: NVD alone changes hundreds of records a day.
pub const MAX_DATA_AGE_DAYS: i64 = 7;

/// Opens (creating if needed) the database at `path`.
pub fn open(path: &Path) -> Result<Store> {
    Store::open(path).map_err(|e| named(e, path))
}

/// Opens the store where `location` says; a node's PostgreSQL schema must
/// be this release's (`kensa db migrate` upgrades it).
pub fn open_at(location: &Location) -> Result<Store> {
    match location {
        Location::File(path) => open(path),
        node => node
            .open(Migrate::IfEmpty)
            .with_context(|| format!("cannot open {}", node.shown())),
    }
}

/// On a node, publishes what an import or sync stored so that every node
/// reads it; elsewhere nothing to do.
pub fn publish_if_node(store: &mut Store, quiet: bool) -> Result<()> {
    if store.intel_generation().is_none() {
        return Ok(());
    }
    let by = kensa_app::access::Actor::operator().name;
    let generation = store
        .publish_intel(&by)
        .context("publishing the intelligence for the other nodes")?;
    if !quiet {
        eprintln!("published the intelligence as publication {generation}: every node picks it up");
    }
    Ok(())
}

/// Opens a database that must already exist and hold something; a missing
/// or zero-length file is an error that says how to fill it, and nothing is
/// written into it.
pub fn open_existing(path: &Path) -> Result<Store> {
    let Ok(meta) = std::fs::metadata(path) else {
        bail!(
            "no database at {}\n  hint: import data first (`kensa db import FILE`), or point --db / KENSA_DB at a database",
            path.display()
        );
    };
    if meta.is_file() && meta.len() == 0 {
        bail!(
            "database {} is empty: no vulnerability data was ever imported into it\n  \
             hint: `kensa --db {} db import FILE` imports some",
            path.display(),
            path.display()
        );
    }
    open(path)
}

/// A store error with the database named first (when it does not already
/// name it), the store's own words kept as the cause.
pub fn named(e: StoreError, db: &Path) -> anyhow::Error {
    let described = e.describe(db);
    anyhow::Error::new(e).context(described)
}

/// How one error of a chain is printed: a store error that does not say
/// which database it is about names it.
pub fn render_cause(cause: &(dyn std::error::Error + 'static), db: Option<&Path>) -> String {
    let text = cause.to_string();
    match (cause.downcast_ref::<StoreError>(), db) {
        (Some(e), Some(db)) if !text.contains(&db.display().to_string()) => e.describe(db),
        _ => text,
    }
}

/// What a scan (or a view of stored findings) was matched against.
#[derive(Debug, Serialize)]
pub struct DatabaseInfo {
    pub path: PathBuf,
    #[serde(flatten)]
    pub data: DataSummary,
    /// Days since the newest modification of any vulnerability record.
    pub age_days: Option<i64>,
    /// Older than `max_age_days`: findings published since are missing.
    pub stale: bool,
    pub max_age_days: i64,
}

impl DatabaseInfo {
    pub fn of(store: &Store) -> Result<DatabaseInfo> {
        let data = store.data_summary().map_err(|e| named(e, store.path()))?;
        let age_days = data.age_days(chrono::Utc::now());
        Ok(DatabaseInfo {
            path: store.path().to_path_buf(),
            stale: age_days.is_some_and(|d| d > MAX_DATA_AGE_DAYS),
            age_days,
            max_age_days: MAX_DATA_AGE_DAYS,
            data,
        })
    }

    /// Refuses to match against a database that holds no vulnerability
    /// records: its clean result would mean nothing.
    pub fn require_vulnerability_data(&self, doing: &str) -> Result<()> {
        if self.data.has_vulnerability_data() {
            return Ok(());
        }
        let mut held = Vec::new();
        if self.data.kev_entries > 0 {
            held.push(format!("{} KEV entries", self.data.kev_entries));
        }
        if self.data.epss_scores > 0 {
            held.push(format!("{} EPSS scores", self.data.epss_scores));
        }
        bail!(
            "database {} holds no vulnerability records{}: {doing} against it would find nothing, \
             whatever the input\n  hint: import vulnerability data first, e.g. `kensa --db {} db import \
             nvd.jsonl.gz` (NVD, CVE JSON 5, OSV, CSAF)",
            self.path.display(),
            if held.is_empty() {
                String::new()
            } else {
                format!(" (only {})", held.join(" and "))
            },
            self.path.display()
        )
    }

    /// One line for the top of a table: the data and its age.
    pub fn header(&self) -> String {
        let sources: Vec<String> = self
            .data
            .sources
            .iter()
            .map(|s| format!("{} {}", s.source, crate::thousands(s.records)))
            .collect();
        let newest = match (&self.data.newest_modified, self.age_days) {
            (Some(m), Some(d)) => format!("; newest modification {} ({d} days ago)", day(m)),
            (Some(m), None) => format!("; newest modification {}", day(m)),
            _ => String::new(),
        };
        crate::term::line(&format!(
            "matched against {}: {} records ({}){newest}",
            self.path.display(),
            crate::thousands(self.data.records),
            sources.join(", "),
        ))
        .into_owned()
    }

    /// Warns on stderr when the data is old. Printed even with --quiet: it
    /// says the answer may be wrong.
    pub fn warn_if_stale(&self) {
        if let (true, Some(days), Some(m)) = (self.stale, self.age_days, &self.data.newest_modified)
        {
            eprintln!(
                "warning: the vulnerability data in {} is {days} days old (newest modification {}): \
                 vulnerabilities published or changed since are missing from these findings\n  \
                 hint: `kensa db sync` or `kensa db import` brings it up to date",
                crate::term::line(&self.path.display().to_string()),
                day(m)
            );
        }
    }
}

fn day(timestamp: &str) -> &str {
    timestamp.get(..10).unwrap_or(timestamp)
}

/// A report with the database it was matched against, as one JSON object
/// (the report's own fields unchanged, plus `database`).
#[derive(Serialize)]
pub struct WithDatabase<'a, T: Serialize> {
    #[serde(flatten)]
    pub report: T,
    pub database: &'a DatabaseInfo,
}

/// Before stored findings are shown (`product show`, `queue`): matches the
/// components an interrupted `product add` left unmatched, and warns when
/// the findings predate imports since the last rescan. Returns what the
/// findings are matched against.
pub fn prepare_findings(store: &mut Store) -> Result<DatabaseInfo> {
    let pending = store
        .unscanned_component_count()
        .map_err(|e| named(e, store.path()))?;
    if pending > 0 {
        match portfolio::complete_pending(store, &ScanOptions::default()) {
            Ok(_) => eprintln!(
                "note: matched {pending} stored component(s) that an interrupted `kensa product add` had left unmatched"
            ),
            Err(e) => {
                let db = store.path().to_path_buf();
                return Err(named(e, &db).context(format!(
                    "{pending} stored component(s) were never matched (an interrupted `kensa product add`), \
                     and matching them now failed: their findings would be missing\n  \
                     hint: `kensa portfolio rescan` matches them once the database can be written"
                )));
            }
        }
    }
    let cursor = store
        .portfolio_cursor()
        .map_err(|e| named(e, store.path()))?;
    let latest = store.latest_import().map_err(|e| named(e, store.path()))?;
    if let Some(cursor) = cursor
        && cursor < latest
    {
        eprintln!(
            "warning: these findings predate the data: data was imported since the last rescan \
             (imports {} to {latest}) and is not reflected in them\n  \
             hint: `kensa portfolio rescan` brings these findings up to date",
            cursor + 1
        );
    }
    let info = DatabaseInfo::of(store)?;
    if !info.data.has_vulnerability_data() {
        eprintln!(
            "warning: database {} holds no vulnerability records: no finding below means nothing was \
             matched, not that nothing is affected",
            crate::term::line(&store.path().display().to_string())
        );
    }
    info.warn_if_stale();
    Ok(info)
}
