//! One vulnerability's records from a single-record file, whatever its
//! format. For commands that take one record (`kensa logic extract
//! --record`, `kensa checklist --record`) and need no database.

use kensa_model::VulnRecord;

use crate::detect::{Format, detect_json, detect_text};
use crate::error::RecordError;
use crate::{csaf, cve5, nvd, osv};

/// The records of one vulnerability from a single-record file, whatever
/// its format (detected from content): an NVD CVE API 2.0 `cve` object
/// (bare, wrapped as `{"cve": …}`, or a page holding one), a CVE JSON 5
/// record (one record per container, CNA first), an OSV record (JSON or
/// YAML), or a CSAF advisory with one vulnerability. Errors name the JSON
/// path of the offending field.
pub fn parse_record(bytes: &[u8]) -> Result<Vec<VulnRecord>, RecordError> {
    let prefix = &bytes[..bytes.len().min(64 << 10)];
    let format = detect_json(prefix).or_else(|| detect_text(prefix).map(|f| (f, false)));
    let one = |mut v: Vec<VulnRecord>, what: &str| match v.len() {
        1 => Ok(v.remove(0)),
        n => Err(RecordError::new(format!(
            "the {what} holds {n} vulnerabilities; give a file with exactly one"
        ))),
    };
    match format {
        Some((Format::NvdCve, wrapped)) => nvd::parse_cve(bytes, wrapped).map(|r| vec![r]),
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
            "expected one vulnerability record (NVD API 2.0 `cve` object, CVE JSON 5, OSV or CSAF), found {}",
            other.name()
        ))),
        None => Err(match serde_json::from_slice::<serde_json::Value>(bytes) {
            Err(e) if bytes.trim_ascii_start().starts_with(b"{") => {
                RecordError::new(format!("invalid JSON ({e})"))
            }
            _ => RecordError::new(
                "expected an NVD API 2.0 `cve` object (with `id` and `descriptions`), a CVE JSON 5 record (with `cveMetadata`), an OSV record or a CSAF advisory",
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvd_cve5_and_others() {
        let nvd = br#"{"id":"CVE-2020-0001","sourceIdentifier":"x","descriptions":[{"lang":"en","value":"d"}]}"#;
        assert_eq!(parse_record(nvd).unwrap()[0].id, "CVE-2020-0001");
        let wrapped = br#"{"cve":{"id":"CVE-2020-0002","descriptions":[]}}"#;
        assert_eq!(parse_record(wrapped).unwrap()[0].id, "CVE-2020-0002");
        let e = parse_record(br#"{"id":"CVE-2020-0001","vulnStatus":"x","metrics":{"cvssMetricV2":[{"source":"s"}]}}"#).unwrap_err();
        assert!(e.to_string().contains("metrics.cvssMetricV2[0]"), "{e}");
        let e = parse_record(b"{\"hello\": 1}").unwrap_err();
        assert!(e.to_string().contains("expected an NVD"), "{e}");
        let e = parse_record(b"{\"id\": ").unwrap_err();
        assert!(e.to_string().contains("invalid JSON"), "{e}");
    }
}
