//! CISA's Known Exploited Vulnerabilities catalog.
//!
//! The catalog is one small JSON file, replaced whole on every release. It
//! is requested with the validators of the last download (a 304 costs
//! nothing), and a catalog whose `catalogVersion` is already stored is not
//! imported again.

use kensa_store::Store;
use serde::Deserialize;

use super::{Client, SyncFailure, SyncOptions, SyncReport, WholeFile, sync_whole_file};

pub const DEFAULT_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// The `catalogVersion` of the last imported catalog.
pub const CURSOR_KEY: &str = "sync.kev.catalog_version";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CatalogHead {
    catalog_version: String,
}

/// Downloads the catalog from `url` and imports it if it is new.
pub fn sync(
    store: &mut Store,
    client: &mut Client,
    url: &str,
    sync: &SyncOptions<'_>,
) -> Result<SyncReport, SyncFailure> {
    let feed = WholeFile {
        name: "kev",
        cursor_key: CURSOR_KEY,
        version_label: "catalog version",
    };
    sync_whole_file(&feed, store, client, url, sync, |body| {
        serde_json::from_slice::<CatalogHead>(body)
            .map(|head| Some(head.catalog_version))
            .map_err(|e| format!("not a KEV catalog: {e}"))
    })
}
