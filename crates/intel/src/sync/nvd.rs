//! NVD CVE API 2.0: the CVEs modified since the last sync.
//!
//! The API filters by `lastModStartDate`/`lastModEndDate` over at most 120
//! consecutive days, and pages with `startIndex`/`resultsPerPage` (at most
//! 2,000). A sync walks the time from the cursor to now in windows of at
//! most 120 days and each window page by page; every page is imported in its
//! own transaction. The cursor moves to a window's end only once all its
//! pages are stored, so a sync that fails part-way keeps the pages it
//! committed (importing them again changes nothing) and the next sync starts
//! over at the first unfinished window.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use kensa_store::Store;
use serde::Deserialize;

use super::{
    Client, HttpConfig, SyncError, SyncFailure, SyncOptions, SyncReport, format_time,
    import_document, parse_date, run_source,
};

/// The CVE API's URL.
pub const DEFAULT_URL: &str = "https://services.nvd.nist.gov/rest/json/cves/2.0";
/// Where the end of the last fully synced window is kept.
pub const CURSOR_KEY: &str = "sync.nvd.last_mod_end";
/// NVD's documented maximum for any date range.
pub const MAX_WINDOW_DAYS: i64 = 120;
/// NVD's documented maximum `resultsPerPage` for CVEs.
pub const MAX_PAGE_SIZE: u64 = 2000;
/// Without a key NVD allows 5 requests per rolling 30 s and recommends a
/// 6 s pause between requests.
pub const INTERVAL_WITHOUT_KEY: Duration = Duration::from_secs(6);
/// With a key: 50 requests per rolling 30 s.
pub const INTERVAL_WITH_KEY: Duration = Duration::from_millis(600);
/// How often a window is paged again from the start when its result count
/// changes under the sync (see [`sync_window`]).
const MAX_RESTARTS: u32 = 3;

/// What to fetch.
#[derive(Clone, Debug)]
pub struct NvdOptions {
    /// The CVE API endpoint (a mirror or a test server in place of NVD).
    pub url: String,
    /// Sent as the `apiKey` header, never in the URL (which is logged).
    pub api_key: Option<String>,
    /// Start of the range; defaults to the stored cursor.
    pub since: Option<DateTime<Utc>>,
    /// End of the range; defaults to now.
    pub until: Option<DateTime<Utc>>,
    pub page_size: u64,
    pub window_days: i64,
}

impl Default for NvdOptions {
    fn default() -> Self {
        NvdOptions {
            url: DEFAULT_URL.to_string(),
            api_key: None,
            since: None,
            until: None,
            page_size: MAX_PAGE_SIZE,
            window_days: MAX_WINDOW_DAYS,
        }
    }
}

/// Client settings that respect NVD's rate limits. NVD answers 403 when a
/// client exceeds them, so 403 is retried too.
pub fn http_config(with_key: bool) -> HttpConfig {
    HttpConfig {
        min_interval: if with_key {
            INTERVAL_WITH_KEY
        } else {
            INTERVAL_WITHOUT_KEY
        },
        initial_backoff: Duration::from_secs(6),
        extra_retry_statuses: vec![403],
        ..HttpConfig::default()
    }
}

/// The part of a response page that drives paging.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageHead {
    results_per_page: u64,
    total_results: u64,
}

/// Syncs CVEs modified between the cursor (or `since`) and `until`.
pub fn sync(
    store: &mut Store,
    client: &mut Client,
    opts: &NvdOptions,
    sync: &SyncOptions<'_>,
) -> Result<SyncReport, SyncFailure> {
    run_source("nvd", client, |client, report| {
        sync_range(store, client, opts, sync, report)
    })
}

fn sync_range(
    store: &mut Store,
    client: &mut Client,
    opts: &NvdOptions,
    sync: &SyncOptions<'_>,
    report: &mut SyncReport,
) -> Result<(), SyncError> {
    if opts.page_size == 0 || opts.page_size > MAX_PAGE_SIZE || opts.window_days < 1 {
        return Err(SyncError::Invalid(format!(
            "NVD page size must be 1..={MAX_PAGE_SIZE} and windows at least one day"
        )));
    }
    let cursor = stored_cursor(store)?;
    report.cursor_before = cursor.map(format_time);
    report.cursor_after = report.cursor_before.clone();
    let start = opts.since.or(cursor).ok_or(SyncError::NoCursor)?;
    let end = opts.until.unwrap_or_else(Utc::now);
    if let (Some(since), Some(c)) = (opts.since, cursor)
        && since > c
    {
        report.notes.push(format!(
            "--since {} is later than the stored cursor {}: changes in between are not fetched",
            format_time(since),
            format_time(c)
        ));
    }
    if start >= end {
        report.notes.push(format!(
            "nothing to fetch: {} is not before {}",
            format_time(start),
            format_time(end)
        ));
        return Ok(());
    }
    for (from, to) in windows(start, end, opts.window_days) {
        sync_window(store, client, opts, sync, report, from, to)?;
        // Never move the cursor back (a backfill with an old --until).
        let stored = stored_cursor(store)?;
        if stored.is_none_or(|c| c < to) {
            store.set_meta(CURSOR_KEY, &format_time(to))?;
            report.cursor_after = Some(format_time(to));
        }
    }
    Ok(())
}

fn stored_cursor(store: &Store) -> Result<Option<DateTime<Utc>>, SyncError> {
    match store.meta(CURSOR_KEY)? {
        None => Ok(None),
        Some(v) => parse_date(&v).map(Some).map_err(|_| {
            SyncError::Invalid(format!(
                "the stored NVD cursor `{v}` ({CURSOR_KEY}) is not a time; pass --since DATE to replace it"
            ))
        }),
    }
}

/// Splits `[start, end)` into consecutive windows of at most `days` days.
/// Neighbouring windows share their boundary instant: NVD's range is
/// inclusive, and a record fetched twice is imported as unchanged.
pub fn windows(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    days: i64,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let step = TimeDelta::days(days.max(1));
    let mut out = Vec::new();
    let mut from = start;
    while from < end {
        let to = (from + step).min(end);
        out.push((from, to));
        from = to;
    }
    out
}

/// NVD wants extended ISO 8601 with milliseconds and an offset; the `+` of
/// the offset must be sent as `%2B`, or the server reads it as a space.
pub fn format_param(t: DateTime<Utc>) -> String {
    format!("{}%2B00:00", t.format("%Y-%m-%dT%H:%M:%S%.3f"))
}

pub fn page_url(
    base: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    start_index: u64,
    page_size: u64,
) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{sep}lastModStartDate={}&lastModEndDate={}&resultsPerPage={page_size}&startIndex={start_index}",
        format_param(from),
        format_param(to)
    )
}

/// Fetches and imports every page of one window.
///
/// Results are ordered by NVD, not by us: if a CVE is modified while we page,
/// it leaves the window (its new time is after `to`) and every later result
/// shifts one place forward, so one result would be skipped unseen. A change
/// of `totalResults` between pages betrays that; the window is then paged
/// again from the start (already imported pages come back unchanged).
fn sync_window(
    store: &mut Store,
    client: &mut Client,
    opts: &NvdOptions,
    sync: &SyncOptions<'_>,
    report: &mut SyncReport,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(), SyncError> {
    let mut restarts = 0;
    'window: loop {
        let mut start_index = 0;
        let mut expected_total = None;
        loop {
            let url = page_url(&opts.url, from, to, start_index, opts.page_size);
            let (head, body) = fetch_page(client, opts, &url)?;
            if *expected_total.get_or_insert(head.total_results) != head.total_results {
                restarts += 1;
                if restarts > MAX_RESTARTS {
                    return Err(SyncError::Malformed {
                        url,
                        message: format!(
                            "totalResults keeps changing while paging ({} then {}); try again later",
                            expected_total.unwrap_or(0),
                            head.total_results
                        ),
                    });
                }
                sync.log(&format!(
                    "nvd: {url}: totalResults changed from {} to {} while paging; paging the window again",
                    expected_total.unwrap_or(0),
                    head.total_results
                ));
                continue 'window;
            }
            if head.results_per_page > 0 {
                let file = import_document(store, &url, body, sync)?;
                sync.log(&format!(
                    "nvd: {} .. {}: {} of {} from startIndex {start_index}: {} new, {} updated, {} unchanged",
                    format_time(from),
                    format_time(to),
                    head.results_per_page,
                    head.total_results,
                    file.counts.inserted,
                    file.counts.updated,
                    file.counts.unchanged + file.counts.stale,
                ));
                report.add(file);
            }
            let next = start_index + head.results_per_page;
            if next >= head.total_results {
                return Ok(());
            }
            if head.results_per_page == 0 {
                return Err(SyncError::Malformed {
                    url,
                    message: format!(
                        "an empty page at startIndex {start_index} of {} results",
                        head.total_results
                    ),
                });
            }
            start_index = next;
        }
    }
}

fn fetch_page(
    client: &mut Client,
    opts: &NvdOptions,
    url: &str,
) -> Result<(PageHead, Vec<u8>), SyncError> {
    let headers: Vec<(&str, &str)> = opts
        .api_key
        .as_deref()
        .map(|k| ("apiKey", k))
        .into_iter()
        .collect();
    let body = client.get(url, &headers)?.body;
    let head = serde_json::from_slice::<PageHead>(&body).map_err(|e| SyncError::Malformed {
        url: url.to_string(),
        message: format!("not an NVD CVE API 2.0 response: {e}"),
    })?;
    Ok((head, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_date(s).unwrap()
    }

    #[test]
    fn windows_cover_the_range_in_steps_of_at_most_120_days() {
        let w = windows(t("2024-01-01"), t("2024-10-27"), 120);
        let shown: Vec<_> = w
            .iter()
            .map(|(a, b)| (a.date_naive().to_string(), b.date_naive().to_string()))
            .collect();
        assert_eq!(
            shown,
            [
                ("2024-01-01".to_string(), "2024-04-30".to_string()),
                ("2024-04-30".to_string(), "2024-08-28".to_string()),
                ("2024-08-28".to_string(), "2024-10-27".to_string()),
            ]
        );
        assert!(windows(t("2024-01-02"), t("2024-01-01"), 120).is_empty());
    }

    #[test]
    fn dates_are_sent_with_an_encoded_offset() {
        let url = page_url(
            DEFAULT_URL,
            t("2024-10-25"),
            t("2024-10-26T12:30:00Z"),
            2000,
            2000,
        );
        assert_eq!(
            url,
            "https://services.nvd.nist.gov/rest/json/cves/2.0?lastModStartDate=2024-10-25T00:00:00.000%2B00:00\
             &lastModEndDate=2024-10-26T12:30:00.000%2B00:00&resultsPerPage=2000&startIndex=2000"
        );
    }
}
