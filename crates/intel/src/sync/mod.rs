//! `kensa db sync`: fetch what changed upstream and import it.
//!
//! Every source downloads documents with [`http::Client`] and imports each
//! with [`crate::import_bytes`], so each page or document is one
//! transaction and a failure never leaves half a document stored. Where a
//! source can be synced incrementally, a cursor in the store's `meta` table
//! records how far the last successful sync got; it only moves once the data
//! up to it is committed.
//!
//! | source | fetches | cursor (`meta` key) |
//! |---|---|---|
//! | [`nvd`] | CVE API 2.0 pages changed in a time range | `sync.nvd.last_mod_end` |
//! | [`kev`] | the whole KEV catalog | `sync.kev.catalog_version` (+ `sync.http.<URL>.etag`, `.last_modified`) |
//! | [`epss`] | today's EPSS scores | `sync.epss.score_date` (+ the same per-URL validators) |
//! | [`csaf`] | a CSAF provider's documents newer than the cursor | `sync.csaf.<provider-metadata URL>` |

pub mod csaf;
pub mod epss;
pub mod http;
pub mod kev;
pub mod nvd;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use kensa_store::{ImportCounts, Store, StoreError};
use serde::Serialize;

use crate::error::ImportError;
use crate::import::{FileReport, ImportOptions, import_bytes};
pub use http::{Client, HttpConfig, HttpError, Sleeper};

/// What one source's sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    /// `nvd`, `kev`, `epss`, or `csaf:<provider-metadata URL>`.
    pub source: String,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Pages or documents imported (each one transaction).
    pub imported: u64,
    /// Sum of the imports' counts.
    pub counts: ImportCounts,
    pub cursor_before: Option<String>,
    pub cursor_after: Option<String>,
    /// Things worth knowing that are not errors (not modified, skipped feeds).
    pub notes: Vec<String>,
    /// Documents that could not be imported and were skipped (CSAF only),
    /// and records skipped under `keep_going`.
    pub skipped: Vec<String>,
}

impl SyncReport {
    fn new(source: impl Into<String>) -> SyncReport {
        SyncReport {
            source: source.into(),
            ..SyncReport::default()
        }
    }

    fn add(&mut self, file: FileReport) {
        self.imported += 1;
        self.counts.merge(&file.counts);
        self.skipped.extend(file.skipped);
    }
}

/// Why a sync failed. Every variant that concerns a download names its URL.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{url}: {message}")]
    Malformed { url: String, message: String },
    /// Boxed: import errors are large and sync errors travel far.
    #[error(transparent)]
    Import(Box<ImportError>),
    #[error("sync cursor: {0}")]
    Store(#[from] StoreError),
    #[error(
        "NVD has not been synced into this database yet, so there is no point to continue from; \
         pass --since DATE for the first sync (at most a few months back: the API is rate-limited). \
         A full download is a different job: fetch NVD's yearly JSON 2.0 feeds \
         (https://nvd.nist.gov/vuln/data-feeds) and load them with `kensa db import`, then sync with --since"
    )]
    NoCursor,
    #[error(
        "invalid date `{value}`: expected YYYY-MM-DD or an RFC 3339 time (2024-10-25T00:00:00Z)"
    )]
    Date { value: String },
    #[error("{0}")]
    Invalid(String),
}

impl From<Box<ImportError>> for SyncError {
    fn from(e: Box<ImportError>) -> Self {
        SyncError::Import(e)
    }
}

/// A failed sync and what it did before failing (earlier pages and
/// documents stay imported).
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct SyncFailure {
    pub report: Box<SyncReport>,
    #[source]
    pub error: SyncError,
}

/// Runs `body` on a fresh report for `source`, counting the client's
/// requests, and pairs any error with the partial report.
fn run_source(
    source: impl Into<String>,
    client: &mut Client,
    body: impl FnOnce(&mut Client, &mut SyncReport) -> Result<(), SyncError>,
) -> Result<SyncReport, SyncFailure> {
    let mut report = SyncReport::new(source);
    let before = client.requests();
    let result = body(client, &mut report);
    report.requests = client.requests() - before;
    match result {
        Ok(()) => Ok(report),
        Err(error) => Err(SyncFailure {
            report: Box::new(report),
            error,
        }),
    }
}

/// Options shared by all sources.
#[derive(Clone, Copy, Default)]
pub struct SyncOptions<'a> {
    /// Skip bad records inside a page or document instead of failing it.
    pub keep_going: bool,
    /// Receives one line per page or document, for progress output.
    pub log: Option<&'a dyn Fn(&str)>,
}

impl SyncOptions<'_> {
    fn log(&self, line: &str) {
        if let Some(log) = self.log {
            log(line);
        }
    }

    fn import_options(&self) -> ImportOptions<'static> {
        ImportOptions {
            keep_going: self.keep_going,
            ..ImportOptions::default()
        }
    }
}

/// Imports a fetched document in one transaction; `origin` (its URL) is
/// what the import log and error messages name.
fn import_document(
    store: &mut Store,
    origin: &str,
    body: Vec<u8>,
    opts: &SyncOptions<'_>,
) -> Result<FileReport, Box<ImportError>> {
    import_bytes(store, origin, body, &opts.import_options()).map_err(Box::new)
}

/// A whole-file download (KEV, EPSS) sent with the validators of the last
/// one from the same URL, so an unchanged file costs a 304 and no transfer.
fn conditional_get(
    store: &Store,
    client: &mut Client,
    url: &str,
) -> Result<http::Response, SyncError> {
    let key = validators_key(url);
    let etag = store.meta(&format!("{key}.etag"))?;
    let modified = store.meta(&format!("{key}.last_modified"))?;
    let mut headers = Vec::new();
    if let Some(e) = &etag {
        headers.push(("If-None-Match", e.as_str()));
    }
    if let Some(m) = &modified {
        headers.push(("If-Modified-Since", m.as_str()));
    }
    Ok(client.get(url, &headers)?)
}

/// A feed that is one whole file, replaced on every release (KEV, EPSS).
struct WholeFile<'a> {
    /// Source name in reports and log lines.
    name: &'a str,
    /// Meta key holding the version of the last imported file.
    cursor_key: &'a str,
    /// What a version is, in notes: "catalog version", "scores of".
    version_label: &'a str,
}

/// Downloads a whole-file feed with the last download's validators and
/// imports it unless the server says it has not changed or its version
/// (read from the body by `version_of`; `None` when the file has none) is
/// already stored. A body `version_of` rejects is not imported at all:
/// `import_bytes` would take any supported format.
fn sync_whole_file(
    feed: &WholeFile<'_>,
    store: &mut Store,
    client: &mut Client,
    url: &str,
    sync: &SyncOptions<'_>,
    version_of: impl FnOnce(&[u8]) -> Result<Option<String>, String>,
) -> Result<SyncReport, SyncFailure> {
    run_source(feed.name, client, |client, report| {
        report.cursor_before = store.meta(feed.cursor_key)?;
        report.cursor_after = report.cursor_before.clone();
        let response = conditional_get(store, client, url)?;
        if response.not_modified() {
            report
                .notes
                .push(format!("{url}: not modified since the last sync"));
            sync.log(&format!("{}: {url}: not modified", feed.name));
            return Ok(());
        }
        let http::Response {
            body,
            etag,
            last_modified,
            ..
        } = response;
        let version = version_of(&body).map_err(|message| SyncError::Malformed {
            url: url.to_string(),
            message,
        })?;
        let label = version.as_deref().unwrap_or("an undated file");
        if version.is_some() && version == report.cursor_before {
            report
                .notes
                .push(format!("{} {label}: already imported", feed.version_label));
        } else {
            let file = import_document(store, url, body, sync)?;
            sync.log(&format!(
                "{}: {} {label}: {} new, {} updated",
                feed.name, feed.version_label, file.counts.inserted, file.counts.updated
            ));
            report.add(file);
            if let Some(v) = version {
                store.set_meta(feed.cursor_key, &v)?;
                report.cursor_after = Some(v);
            }
        }
        save_validators(store, url, etag.as_deref(), last_modified.as_deref())?;
        Ok(())
    })
}

/// Remembers a response's validators for the next [`conditional_get`].
/// Called only after the download was imported: a failed import must not
/// turn the next request into a 304.
fn save_validators(
    store: &Store,
    url: &str,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> Result<(), StoreError> {
    let key = validators_key(url);
    if let Some(e) = etag {
        store.set_meta(&format!("{key}.etag"), e)?;
    }
    if let Some(m) = last_modified {
        store.set_meta(&format!("{key}.last_modified"), m)?;
    }
    Ok(())
}

/// Validators are kept per URL: a mirror's ETag means nothing to the origin.
fn validators_key(url: &str) -> String {
    format!("sync.http.{url}")
}

/// Parses a command-line date: `YYYY-MM-DD` (midnight UTC), an RFC 3339
/// time, or NVD's own format without offset (UTC).
pub fn parse_date(value: &str) -> Result<DateTime<Utc>, SyncError> {
    let v = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(t.and_utc());
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    Err(SyncError::Date {
        value: value.to_string(),
    })
}

/// How cursors are written: RFC 3339, UTC, milliseconds.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// Resolves `reference` against `base` the way the feeds need it: absolute
/// URLs stay, `/path` keeps the base's scheme and host, anything else is
/// relative to the base's directory.
pub fn join_url(base: &str, reference: &str) -> String {
    let reference = reference.trim();
    if reference.starts_with("http://") || reference.starts_with("https://") {
        return reference.to_string();
    }
    let origin_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|i| start + i))
        .unwrap_or(base.len());
    if reference.starts_with('/') {
        return format!("{}{reference}", &base[..origin_end]);
    }
    let path = &base[origin_end..];
    let path = path.split(['?', '#']).next().unwrap_or("");
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    format!("{}{dir}{reference}", &base[..origin_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_accepted_forms() {
        let midnight = "2024-10-25T00:00:00.000+00:00";
        for v in [
            "2024-10-25",
            "2024-10-25T00:00:00Z",
            "2024-10-25T02:00:00+02:00",
            "2024-10-25T00:00:00.000",
        ] {
            assert_eq!(format_time(parse_date(v).unwrap()), midnight, "{v}");
        }
        let e = parse_date("25/10/2024").unwrap_err();
        assert!(e.to_string().contains("25/10/2024"), "{e}");
    }

    #[test]
    fn urls_join_like_a_browser_for_the_cases_feeds_use() {
        let base = "https://example.com/.well-known/csaf/white/changes.csv";
        assert_eq!(
            join_url(base, "2024/a.json"),
            "https://example.com/.well-known/csaf/white/2024/a.json"
        );
        assert_eq!(join_url(base, "/x.json"), "https://example.com/x.json");
        assert_eq!(
            join_url(base, "https://other/y.json"),
            "https://other/y.json"
        );
        assert_eq!(
            join_url("http://127.0.0.1:8080", "a.json"),
            "http://127.0.0.1:8080/a.json"
        );
        assert_eq!(
            join_url("http://h/dir/", "changes.csv"),
            "http://h/dir/changes.csv"
        );
    }
}
