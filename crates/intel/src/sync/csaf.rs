//! A CSAF 2.0 provider's advisories (CSAF 2.0 §7: provider metadata, ROLIE
//! feeds, directories with `changes.csv`).
//!
//! The provider's `provider-metadata.json` lists distributions: ROLIE feeds
//! (whose entries link each document and give its `updated` time) and
//! directories (whose `changes.csv` lists `"path","time"` per document). A
//! sync fetches the documents updated after the provider's cursor, oldest
//! first, and imports each in its own transaction.
//!
//! Failures are split by whether trying again could help. A network or
//! server failure stops the sync, and the cursor stays before the first
//! document not fetched. A document that is gone (404/410) or not valid CSAF
//! is reported and skipped: fetching it again would give the same result,
//! and when the provider fixes it its time changes and the next sync picks
//! it up.
//!
//! Not done: the OpenPGP signatures and SHA-2 hashes a provider publishes
//! next to each document are not fetched or verified, and providers are not
//! discovered through `security.txt` or aggregators; TLP:GREEN and stricter
//! feeds (which need credentials) are skipped, and so are directories whose
//! distribution lists only such feeds.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kensa_store::Store;
use serde::Deserialize;

use super::{
    Client, HttpError, SyncError, SyncFailure, SyncOptions, SyncReport, format_time,
    import_document, join_url, parse_date, run_source,
};
use crate::detect::{self, Format};
use crate::error::ImportError;

/// The meta key of a provider's cursor (newest document time imported).
pub fn cursor_key(metadata_url: &str) -> String {
    format!("sync.csaf.{metadata_url}")
}

/// A provider given as the URL of its metadata, or as a domain whose
/// metadata is at the well-known place (CSAF 2.0 §7.1.8).
pub fn metadata_url(provider: &str) -> String {
    let p = provider.trim();
    if p.contains("://") {
        p.to_string()
    } else {
        format!(
            "https://{}/.well-known/csaf/provider-metadata.json",
            p.trim_end_matches('/')
        )
    }
}

#[derive(Deserialize)]
struct ProviderMetadata {
    #[serde(default)]
    distributions: Vec<Distribution>,
}

#[derive(Deserialize)]
struct Distribution {
    directory_url: Option<String>,
    rolie: Option<Rolie>,
}

#[derive(Deserialize)]
struct Rolie {
    #[serde(default)]
    feeds: Vec<FeedRef>,
}

#[derive(Deserialize)]
struct FeedRef {
    url: String,
    tlp_label: Option<String>,
}

#[derive(Deserialize)]
struct RolieFeed {
    feed: FeedBody,
}

#[derive(Deserialize)]
struct FeedBody {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    link: Vec<Link>,
    updated: String,
}

#[derive(Deserialize)]
struct Link {
    rel: String,
    href: String,
}

/// Every document the provider lists: URL → newest time listed for it
/// (a document may be in a feed and a directory both).
type Listing = BTreeMap<String, DateTime<Utc>>;

/// Syncs one provider.
pub fn sync(
    store: &mut Store,
    client: &mut Client,
    provider: &str,
    sync: &SyncOptions<'_>,
) -> Result<SyncReport, SyncFailure> {
    let url = metadata_url(provider);
    run_source(format!("csaf:{url}"), client, |client, report| {
        sync_provider(store, client, &url, sync, report)
    })
}

fn sync_provider(
    store: &mut Store,
    client: &mut Client,
    metadata_url: &str,
    sync: &SyncOptions<'_>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let key = cursor_key(metadata_url);
    let cursor = match store.meta(&key)? {
        Some(v) => Some(parse_date(&v).map_err(|_| {
            SyncError::Invalid(format!(
                "the stored CSAF cursor `{v}` ({key}) is not a time"
            ))
        })?),
        None => None,
    };
    report.cursor_before = cursor.map(format_time);
    report.cursor_after = report.cursor_before.clone();
    let metadata: ProviderMetadata = fetch_json(client, metadata_url, "CSAF provider metadata")?;
    if metadata.distributions.is_empty() {
        return Err(malformed(
            metadata_url,
            "the provider lists no distributions",
        ));
    }
    let mut listing = Listing::new();
    for d in &metadata.distributions {
        for feed in d.rolie.iter().flat_map(|r| &r.feeds) {
            if is_restricted(feed.tlp_label.as_deref()) {
                report.notes.push(format!(
                    "skipped feed {} (TLP:{}: needs credentials)",
                    feed.url,
                    feed.tlp_label.as_deref().unwrap_or_default()
                ));
                continue;
            }
            let url = join_url(metadata_url, &feed.url);
            list_rolie(client, &url, &mut listing)?;
        }
        if let Some(dir) = &d.directory_url {
            // A directory whose distribution's feeds are all restricted
            // (as `kensa csaf publish` writes green/ and amber/) is too.
            let feeds = d.rolie.iter().flat_map(|r| &r.feeds);
            let restricted = feeds.clone().count() > 0
                && feeds.clone().all(|f| is_restricted(f.tlp_label.as_deref()));
            if restricted {
                report.notes.push(format!(
                    "skipped directory {dir} (its feeds are restricted TLP)"
                ));
            } else {
                list_directory(client, &join_url(metadata_url, dir), &mut listing)?;
            }
        }
    }
    let mut new: Vec<(DateTime<Utc>, String)> = listing
        .into_iter()
        .filter(|(_, t)| cursor.is_none_or(|c| *t > c))
        .map(|(u, t)| (t, u))
        .collect();
    new.sort();
    sync.log(&format!(
        "csaf: {metadata_url}: {} document(s) newer than {}",
        new.len(),
        report.cursor_before.as_deref().unwrap_or("the first sync")
    ));
    import_in_order(store, client, &key, &new, sync, report)
}

/// Imports documents sorted by time. The cursor moves past a time only
/// once every document of that time is done, so a sync stopped part-way
/// resumes exactly where it stopped.
fn import_in_order(
    store: &mut Store,
    client: &mut Client,
    key: &str,
    docs: &[(DateTime<Utc>, String)],
    sync: &SyncOptions<'_>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    for (i, (time, url)) in docs.iter().enumerate() {
        import_one(store, client, url, sync, report)?;
        let group_done = docs.get(i + 1).is_none_or(|(next, _)| next != time);
        if group_done {
            store.set_meta(key, &format_time(*time))?;
            report.cursor_after = Some(format_time(*time));
        }
    }
    Ok(())
}

fn import_one(
    store: &mut Store,
    client: &mut Client,
    url: &str,
    sync: &SyncOptions<'_>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    let body = match client.get(url, &[]) {
        Ok(r) => r.body,
        Err(
            e @ HttpError::Status {
                status: 404 | 410, ..
            },
        ) => {
            sync.log(&format!("csaf: skipped {e}"));
            report.skipped.push(e.to_string());
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    // import_bytes takes any supported format; a provider's URL serving
    // something else (an HTML error page, another feed) is no advisory.
    if !is_csaf(&body) {
        let e = format!("{url}: not a CSAF document");
        sync.log(&format!("csaf: skipped {e}"));
        report.skipped.push(e);
        return Ok(());
    }
    match import_document(store, url, body, sync) {
        Ok(file) => {
            sync.log(&format!(
                "csaf: {url}: {} new, {} updated, {} unchanged",
                file.counts.inserted,
                file.counts.updated,
                file.counts.unchanged + file.counts.stale
            ));
            report.add(file);
            Ok(())
        }
        // The database failing is no property of the document.
        Err(e) if matches!(*e, ImportError::Store { .. }) => Err(e.into()),
        Err(e) => {
            sync.log(&format!("csaf: skipped {e}"));
            report.skipped.push(e.to_string());
            Ok(())
        }
    }
}

fn is_csaf(body: &[u8]) -> bool {
    let prefix = &body[..body.len().min(1 << 20)];
    matches!(detect::detect_json(prefix), Some((Format::Csaf, _)))
}

/// TLP:GREEN, AMBER and RED feeds are for a provider's registered
/// recipients; WHITE/CLEAR and unlabelled ones are public.
fn is_restricted(tlp: Option<&str>) -> bool {
    tlp.is_some_and(|t| {
        let t = t.trim().to_ascii_uppercase();
        !(t == "WHITE" || t == "CLEAR" || t == "UNLABELED")
    })
}

/// Adds a ROLIE feed's entries (their `self` link and `updated` time).
fn list_rolie(client: &mut Client, url: &str, listing: &mut Listing) -> Result<(), SyncError> {
    let feed: RolieFeed = fetch_json(client, url, "ROLIE feed")?;
    for (i, entry) in feed.feed.entry.iter().enumerate() {
        let Some(link) = entry.link.iter().find(|l| l.rel == "self") else {
            return Err(malformed(
                url,
                format!("feed.entry[{i}] has no `self` link"),
            ));
        };
        let time = parse_date(&entry.updated).map_err(|_| {
            malformed(
                url,
                format!("feed.entry[{i}].updated `{}` is not a time", entry.updated),
            )
        })?;
        list(listing, join_url(url, &link.href), time);
    }
    Ok(())
}

/// Adds a directory's `changes.csv` lines (`"2024/x.json","2024-01-02T03:04:05Z"`).
fn list_directory(
    client: &mut Client,
    directory: &str,
    listing: &mut Listing,
) -> Result<(), SyncError> {
    let base = if directory.ends_with('/') {
        directory.to_string()
    } else {
        format!("{directory}/")
    };
    let url = format!("{base}changes.csv");
    let body = client.get(&url, &[])?.body;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_slice());
    for (i, row) in reader.records().enumerate() {
        let line = i + 1;
        let row = row.map_err(|e| malformed(&url, format!("line {line}: {e}")))?;
        let (Some(path), Some(time)) = (row.get(0), row.get(1)) else {
            return Err(malformed(
                &url,
                format!("line {line}: expected \"path\",\"time\""),
            ));
        };
        let time = parse_date(time)
            .map_err(|_| malformed(&url, format!("line {line}: `{time}` is not a time")))?;
        list(listing, join_url(&base, path), time);
    }
    Ok(())
}

fn list(listing: &mut Listing, url: String, time: DateTime<Utc>) {
    let slot = listing.entry(url).or_insert(time);
    *slot = (*slot).max(time);
}

fn fetch_json<T: serde::de::DeserializeOwned>(
    client: &mut Client,
    url: &str,
    what: &str,
) -> Result<T, SyncError> {
    let body = client.get(url, &[])?.body;
    serde_json::from_slice(&body).map_err(|e| malformed(url, format!("not a valid {what}: {e}")))
}

fn malformed(url: &str, message: impl Into<String>) -> SyncError {
    SyncError::Malformed {
        url: url.to_string(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_means_the_well_known_metadata() {
        assert_eq!(
            metadata_url("example.com"),
            "https://example.com/.well-known/csaf/provider-metadata.json"
        );
        assert_eq!(
            metadata_url("http://127.0.0.1:1/p.json"),
            "http://127.0.0.1:1/p.json"
        );
    }

    #[test]
    fn only_public_feeds_are_fetched() {
        assert!(!is_restricted(None));
        assert!(!is_restricted(Some("WHITE")));
        assert!(!is_restricted(Some("clear")));
        assert!(is_restricted(Some("GREEN")));
        assert!(is_restricted(Some("AMBER")));
    }
}
