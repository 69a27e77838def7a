//! Vulnerability-intelligence importers and online sync.
//!
//! Each source format has a module that turns one record (or one row) into
//! kensa-model types and reports problems as [`RecordError`]s that name the
//! field. The [`import`] module detects formats, streams files, and writes
//! through the store's transactional [`kensa_store::IntelSink`].

pub mod csaf;
pub mod cve5;
pub mod detect;
pub mod epss;
pub mod error;
pub mod import;
pub mod input;
pub mod kev;
pub mod nvd;
pub mod osv;
pub mod sync;

pub use error::{ImportError, Location, RecordError};
pub use import::{FileReport, ImportOptions, Progress, import_bytes, import_path};

/// The records of one vulnerability from a single-record file, whatever
/// its format (detected from content): an NVD CVE API 2.0 record or a page
/// holding one, a CVE JSON 5 record (one record per container), an OSV
/// record (JSON or YAML), or a CSAF advisory with one vulnerability.
pub fn parse_record_file(bytes: &[u8]) -> Result<Vec<kensa_model::VulnRecord>, RecordError> {
    use detect::Format;
    let format =
        detect::detect_json(bytes).or_else(|| detect::detect_text(bytes).map(|f| (f, false)));
    let one = |mut v: Vec<kensa_model::VulnRecord>, what: &str| match v.len() {
        1 => Ok(v.remove(0)),
        n => Err(RecordError::new(format!(
            "the {what} holds {n} vulnerabilities; give a file with exactly one"
        ))),
    };
    match format {
        Some((Format::NvdCve, wrapped)) => Ok(vec![nvd::parse_cve(bytes, wrapped)?]),
        Some((Format::NvdApiPage, _)) => {
            #[derive(serde::Deserialize)]
            struct Page<'a> {
                #[serde(borrow)]
                vulnerabilities: Vec<&'a serde_json::value::RawValue>,
            }
            let page: Page = serde_json::from_slice(bytes)
                .map_err(|e| RecordError::new(e.to_string()).field("vulnerabilities"))?;
            let records = page
                .vulnerabilities
                .iter()
                .map(|v| nvd::parse_cve(v.get().as_bytes(), true))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(vec![one(records, "NVD page")?])
        }
        Some((Format::Cve5, _)) => cve5::parse(bytes),
        Some((Format::OsvJson, _)) => Ok(vec![osv::parse_json(bytes)?]),
        Some((Format::OsvYaml, _)) => Ok(vec![osv::parse_yaml(bytes)?]),
        Some((Format::Csaf, _)) => Ok(vec![one(
            csaf::parse(bytes)?.vulnerabilities,
            "CSAF advisory",
        )?]),
        Some((other, _)) => Err(RecordError::new(format!(
            "{} is not a vulnerability record",
            other.name()
        ))),
        None => Err(RecordError::new(format!(
            "not a vulnerability record Kensa recognises ({})",
            detect::SUPPORTED
        ))),
    }
}
