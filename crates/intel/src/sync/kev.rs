//! CISA's Known Exploited Vulnerabilities catalog.
//!
//! The catalog is one small JSON file, replaced whole on every release. It
//! is requested with the validators of the last download (a 304 costs
//! nothing), and a catalog whose `catalogVersion` is already stored is not
//! imported again.

use kensa_store::Store;
use serde::Deserialize;

use super::{
    Client, SyncError, SyncFailure, SyncOptions, SyncReport, conditional_get, http,
    import_document, run_source, save_validators,
};

pub const DEFAULT_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// The `catalogVersion` of the last imported catalog.
pub const CURSOR_KEY: &str = "sync.kev.catalog_version";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CatalogHead {
    catalog_version: String,
    count: Option<u64>,
}

/// Downloads the catalog from `url` and imports it if it is new.
pub fn sync(
    store: &mut Store,
    client: &mut Client,
    url: &str,
    sync: &SyncOptions<'_>,
) -> Result<SyncReport, SyncFailure> {
    run_source("kev", client, |client, report| {
        report.cursor_before = store.meta(CURSOR_KEY)?;
        report.cursor_after = report.cursor_before.clone();
        let response = conditional_get(store, client, url)?;
        if response.not_modified() {
            report
                .notes
                .push(format!("{url}: not modified since the last sync"));
            sync.log(&format!("kev: {url}: not modified"));
            return Ok(());
        }
        let http::Response {
            body,
            etag,
            last_modified: modified,
            ..
        } = response;
        let head: CatalogHead =
            serde_json::from_slice(&body).map_err(|e| SyncError::Malformed {
                url: url.to_string(),
                message: format!("not a KEV catalog: {e}"),
            })?;
        if report.cursor_before.as_deref() == Some(head.catalog_version.as_str()) {
            report.notes.push(format!(
                "catalog version {} is already imported",
                head.catalog_version
            ));
        } else {
            let file = import_document(store, url, body, sync)?;
            sync.log(&format!(
                "kev: catalog {} ({} entries): {} new, {} updated",
                head.catalog_version,
                head.count.unwrap_or(file.counts.total()),
                file.counts.inserted,
                file.counts.updated
            ));
            report.add(file);
            store.set_meta(CURSOR_KEY, &head.catalog_version)?;
            report.cursor_after = Some(head.catalog_version);
        }
        save_validators(store, url, etag.as_deref(), modified.as_deref())?;
        Ok(())
    })
}
