//! FIRST's daily EPSS scores (`epss_scores-YYYY-MM-DD.csv`).
//!
//! Current files start with a comment line naming the model and the scoring
//! time, then a `cve,epss,percentile` header:
//!
//! ```text
//! #model_version:v2025.03.14,score_date:2025-11-20T12:55:00Z
//! cve,epss,percentile
//! CVE-2024-0001,0.00043,0.11283
//! ```
//!
//! Older files lack the comment line; their scores carry no model or date.

use std::io::{BufRead, BufReader, Cursor, Read};

use csv::StringRecord;
use kensa_model::EpssScore;

use crate::error::RecordError;
use crate::kev::{csv_header, csv_records, is_cve_id, is_date, required_column};

/// Streams the scores as (1-based line in the file, score). An unreadable
/// comment line or a header without `cve`, `epss` and `percentile` fails up
/// front; a bad row only fails its own item.
pub fn csv_rows<R: Read>(
    r: R,
) -> Result<impl Iterator<Item = (u64, Result<EpssScore, RecordError>)>, RecordError> {
    let mut input = BufReader::new(r);
    let mut first = Vec::new();
    input
        .read_until(b'\n', &mut first)
        .map_err(|e| RecordError::new(format!("cannot read EPSS file: {e}")))?;
    let meta = Meta::from_comment(&first)?;
    if meta.is_some() {
        first.clear();
    }
    // The first line goes back in front of the rest unless it was the comment.
    let mut reader = csv::Reader::from_reader(Cursor::new(first).chain(input));
    let header = csv_header(&mut reader)?;
    let columns = Columns {
        cve: required_column(&header, "cve")?,
        epss: required_column(&header, "epss")?,
        percentile: required_column(&header, "percentile")?,
    };
    let lines_before = u64::from(meta.is_some());
    let meta = meta.unwrap_or_default();
    Ok(csv_records(reader, lines_before)
        .map(move |(line, row)| (line, row.and_then(|row| score(&row, columns, &meta)))))
}

/// What the comment line says about every score in the file.
#[derive(Default)]
struct Meta {
    model_version: Option<String>,
    score_date: Option<String>,
}

impl Meta {
    /// `#model_version:v2025.03.14,score_date:2025-11-20T12:55:00Z`; `None`
    /// when the line is no comment. Unknown keys are ignored.
    fn from_comment(line: &[u8]) -> Result<Option<Meta>, RecordError> {
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        let Some(body) = line.strip_prefix(b"#") else {
            return Ok(None);
        };
        let body = std::str::from_utf8(body)
            .map_err(|_| RecordError::new("comment line is not UTF-8"))?
            .trim();
        let mut meta = Meta::default();
        for (key, value) in body.split(',').filter_map(|kv| kv.split_once(':')) {
            match key.trim() {
                "model_version" => meta.model_version = Some(value.trim().to_string()),
                "score_date" => meta.score_date = Some(score_date(value.trim())?),
                _ => {}
            }
        }
        Ok(Some(meta))
    }
}

/// The date part of the scoring timestamp.
fn score_date(value: &str) -> Result<String, RecordError> {
    match value.get(..10) {
        Some(date) if is_date(date) => Ok(date.to_string()),
        _ => Err(
            RecordError::new(format!("comment line: not a date or timestamp: `{value}`"))
                .field("score_date"),
        ),
    }
}

#[derive(Clone, Copy)]
struct Columns {
    cve: usize,
    epss: usize,
    percentile: usize,
}

fn score(row: &StringRecord, columns: Columns, meta: &Meta) -> Result<EpssScore, RecordError> {
    let cve_id = row.get(columns.cve).unwrap_or_default().trim();
    if !is_cve_id(cve_id) {
        return Err(RecordError::new(format!("not a CVE id: `{cve_id}`")).field("cve"));
    }
    let fields = || -> Result<EpssScore, RecordError> {
        Ok(EpssScore {
            cve_id: cve_id.to_string(),
            epss: probability(row.get(columns.epss), "epss")?,
            percentile: probability(row.get(columns.percentile), "percentile")?,
            model_version: meta.model_version.clone(),
            score_date: meta.score_date.clone(),
        })
    };
    fields().map_err(|e| e.record(cve_id))
}

/// A float in [0, 1]; NaN fails the range check too.
fn probability(cell: Option<&str>, column: &str) -> Result<f64, RecordError> {
    let text = cell.unwrap_or_default().trim();
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(RecordError::new(format!("not a number in [0, 1]: `{text}`")).field(column)),
    }
}
