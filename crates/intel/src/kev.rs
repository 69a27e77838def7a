//! CISA's Known Exploited Vulnerabilities catalog, as JSON entries or CSV.
//!
//! Both forms carry the same fields under the same names; both go through one
//! validation so that they yield identical [`KevEntry`]s. Errors name the
//! catalog's field (`dueDate`), which is also the CSV column.

use std::io::Read;

use csv::StringRecord;
use kensa_model::KevEntry;
use serde::Deserialize;

use crate::error::{RecordError, from_json};

/// Parses one element of the JSON catalog's `vulnerabilities` array.
pub fn parse_entry(bytes: &[u8]) -> Result<KevEntry, RecordError> {
    entry(from_json(bytes)?)
}

/// Streams the CSV catalog as (1-based line, entry). A header that lacks a
/// required column fails up front; a bad row only fails its own item.
pub fn csv_rows<R: Read>(
    r: R,
) -> Result<impl Iterator<Item = (u64, Result<KevEntry, RecordError>)>, RecordError> {
    let mut reader = csv::Reader::from_reader(r);
    let columns = Columns::find(&csv_header(&mut reader)?)?;
    Ok(csv_records(reader, 0)
        .map(move |(line, row)| (line, row.and_then(|row| entry(columns.raw(&row))))))
}

/// The catalog's fields, all optional so that validation can name what is
/// missing in either form.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: Option<String>,
    vendor_project: Option<String>,
    product: Option<String>,
    vulnerability_name: Option<String>,
    date_added: Option<String>,
    short_description: Option<String>,
    required_action: Option<String>,
    due_date: Option<String>,
    known_ransomware_campaign_use: Option<String>,
    notes: Option<String>,
    cwes: Option<Vec<String>>,
}

fn entry(raw: RawEntry) -> Result<KevEntry, RecordError> {
    let cve_id = required(raw.cve_id, "cveID")?;
    if !is_cve_id(&cve_id) {
        return Err(RecordError::new(format!("not a CVE id: `{cve_id}`")).field("cveID"));
    }
    let fields = || -> Result<KevEntry, RecordError> {
        Ok(KevEntry {
            vendor_project: required(raw.vendor_project, "vendorProject")?,
            product: required(raw.product, "product")?,
            vulnerability_name: required(raw.vulnerability_name, "vulnerabilityName")?,
            date_added: date(raw.date_added, "dateAdded")?,
            short_description: required(raw.short_description, "shortDescription")?,
            required_action: required(raw.required_action, "requiredAction")?,
            due_date: date(raw.due_date, "dueDate")?,
            known_ransomware_campaign_use: ransomware(raw.known_ransomware_campaign_use)?,
            notes: raw.notes.unwrap_or_default(),
            cwes: cwes(raw.cwes.unwrap_or_default())?,
            cve_id: cve_id.clone(),
        })
    };
    fields().map_err(|e| e.record(&cve_id))
}

fn required(value: Option<String>, field: &str) -> Result<String, RecordError> {
    value
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| RecordError::missing(field))
}

fn date(value: Option<String>, field: &str) -> Result<String, RecordError> {
    let value = required(value, field)?;
    if is_date(&value) {
        Ok(value)
    } else {
        Err(RecordError::new(format!("not a YYYY-MM-DD date: `{value}`")).field(field))
    }
}

/// The schema does not require the field; older catalogs lack it. CISA's
/// meaning of an unconfirmed use is "Unknown", so absence is read as that.
fn ransomware(value: Option<String>) -> Result<String, RecordError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok("Unknown".to_string()),
        Some(v @ ("Known" | "Unknown")) => Ok(v.to_string()),
        Some(v) => Err(
            RecordError::new(format!("expected `Known` or `Unknown`, found `{v}`"))
                .field("knownRansomwareCampaignUse"),
        ),
    }
}

fn cwes(values: Vec<String>) -> Result<Vec<String>, RecordError> {
    for (i, cwe) in values.iter().enumerate() {
        let digits = cwe.strip_prefix("CWE-").unwrap_or_default();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(
                RecordError::new(format!("not a CWE id: `{cwe}`")).field(format!("cwes[{i}]"))
            );
        }
    }
    Ok(values)
}

/// `CVE-YYYY-NNNN`, with 4 to 19 digits in the number as the KEV schema allows.
pub(crate) fn is_cve_id(s: &str) -> bool {
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    s.strip_prefix("CVE-")
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(year, num)| {
            year.len() == 4 && digits(year) && (4..=19).contains(&num.len()) && digits(num)
        })
}

/// A real calendar date written exactly `YYYY-MM-DD`.
pub(crate) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

// --- CSV -------------------------------------------------------------------

/// Column positions; the first eight are required by the KEV schema, the
/// rest were added to the catalog over time.
#[derive(Clone, Copy)]
struct Columns {
    cve_id: usize,
    vendor_project: usize,
    product: usize,
    vulnerability_name: usize,
    date_added: usize,
    short_description: usize,
    required_action: usize,
    due_date: usize,
    known_ransomware_campaign_use: Option<usize>,
    notes: Option<usize>,
    cwes: Option<usize>,
}

impl Columns {
    fn find(header: &StringRecord) -> Result<Self, RecordError> {
        let req = |name| required_column(header, name);
        Ok(Columns {
            cve_id: req("cveID")?,
            vendor_project: req("vendorProject")?,
            product: req("product")?,
            vulnerability_name: req("vulnerabilityName")?,
            date_added: req("dateAdded")?,
            short_description: req("shortDescription")?,
            required_action: req("requiredAction")?,
            due_date: req("dueDate")?,
            known_ransomware_campaign_use: column(header, "knownRansomwareCampaignUse"),
            notes: column(header, "notes"),
            cwes: column(header, "cwes"),
        })
    }

    fn raw(&self, row: &StringRecord) -> RawEntry {
        let cell = |i: usize| row.get(i).map(str::to_string);
        let optional = |i: Option<usize>| i.and_then(cell);
        RawEntry {
            cve_id: cell(self.cve_id),
            vendor_project: cell(self.vendor_project),
            product: cell(self.product),
            vulnerability_name: cell(self.vulnerability_name),
            date_added: cell(self.date_added),
            short_description: cell(self.short_description),
            required_action: cell(self.required_action),
            due_date: cell(self.due_date),
            known_ransomware_campaign_use: optional(self.known_ransomware_campaign_use),
            notes: optional(self.notes),
            // "CWE-59, CWE-436"
            cwes: optional(self.cwes).map(|c| {
                c.split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect()
            }),
        }
    }
}

// CSV plumbing shared with the EPSS reader.

pub(crate) fn csv_header<R: Read>(
    reader: &mut csv::Reader<R>,
) -> Result<StringRecord, RecordError> {
    reader
        .headers()
        .cloned()
        .map_err(|e| RecordError::new(format!("unreadable CSV header: {e}")))
}

pub(crate) fn column(header: &StringRecord, name: &str) -> Option<usize> {
    header.iter().position(|h| h.trim() == name)
}

pub(crate) fn required_column(header: &StringRecord, name: &str) -> Result<usize, RecordError> {
    column(header, name).ok_or_else(|| {
        RecordError::new(format!("CSV header lacks the `{name}` column")).field(name)
    })
}

/// The data rows as (1-based line in the file, row). `lines_before` counts
/// lines consumed before the CSV header. Ends after an I/O error, which
/// would otherwise repeat forever.
pub(crate) fn csv_records<R: Read>(
    reader: csv::Reader<R>,
    lines_before: u64,
) -> impl Iterator<Item = (u64, Result<StringRecord, RecordError>)> {
    let mut records = reader.into_records();
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let item = match records.next()? {
            Ok(row) => (row.position().map_or(0, |p| p.line()), Ok(row)),
            Err(e) => {
                failed = matches!(e.kind(), csv::ErrorKind::Io(_));
                let line = e
                    .position()
                    .map_or_else(|| records.reader().position().line(), |p| p.line());
                (line, Err(RecordError::new(format!("bad CSV row: {e}"))))
            }
        };
        Some((item.0 + lines_before, item.1))
    })
}
