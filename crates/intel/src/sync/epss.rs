//! FIRST's daily EPSS scores.
//!
//! The current scores are one gzip-compressed CSV, replaced daily. Like the
//! KEV catalog it is requested with the last download's validators, and a
//! file whose `score_date` (from its comment line) is already stored is not
//! imported again.

use std::io::{BufRead, BufReader, Read};

use kensa_store::Store;

use super::{Client, SyncFailure, SyncOptions, SyncReport, WholeFile, sync_whole_file};

/// FIRST's current download location (epss.cyentia.com redirects here).
pub const DEFAULT_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";
/// The `score_date` of the last imported file.
pub const CURSOR_KEY: &str = "sync.epss.score_date";

/// Downloads the current scores from `url` and imports them if they are new.
pub fn sync(
    store: &mut Store,
    client: &mut Client,
    url: &str,
    sync: &SyncOptions<'_>,
) -> Result<SyncReport, SyncFailure> {
    let feed = WholeFile {
        name: "epss",
        cursor_key: CURSOR_KEY,
        version_label: "scores of",
    };
    sync_whole_file(&feed, store, client, url, sync, score_date)
}

/// The `score_date` of the comment line
/// (`#model_version:v2025.03.14,score_date:2025-03-14T00:00:00Z`); `None`
/// for older files without one. Gzip is undone here only to read that line.
fn score_date(body: &[u8]) -> Result<Option<String>, String> {
    let reader: Box<dyn Read + '_> = if body.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(body))
    } else {
        Box::new(body)
    };
    let mut first = String::new();
    BufReader::new(reader.take(4096))
        .read_line(&mut first)
        .map_err(|e| format!("not an EPSS CSV file (gzip or UTF-8 expected): {e}"))?;
    let first = first.trim().trim_start_matches('\u{feff}');
    let Some(comment) = first.strip_prefix('#') else {
        // Older files start with the header; anything else is no EPSS file
        // (and must not reach import_bytes, which would take any format).
        return if first.replace(' ', "").starts_with("cve,epss,percentile") {
            Ok(None)
        } else {
            Err(format!(
                "not an EPSS CSV file: it starts with `{}`",
                short(first)
            ))
        };
    };
    Ok(comment
        .split(',')
        .filter_map(|kv| kv.split_once(':'))
        .find(|(k, _)| k.trim() == "score_date")
        .map(|(_, v)| v.trim().to_string()))
}

fn short(line: &str) -> String {
    match line.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_date_comes_from_the_comment_line() {
        let csv =
            b"#model_version:v2025.03.14,score_date:2025-03-14T00:00:00Z\ncve,epss,percentile\n";
        assert_eq!(
            score_date(csv).unwrap().as_deref(),
            Some("2025-03-14T00:00:00Z")
        );
        assert_eq!(score_date(b"cve,epss,percentile\n").unwrap(), None);
        assert!(score_date(&[0x1f, 0x8b, 0, 1, 2]).is_err());
        let e = score_date(b"<html><body>Moved</body></html>").unwrap_err();
        assert!(e.contains("<html>"), "{e}");
    }
}
