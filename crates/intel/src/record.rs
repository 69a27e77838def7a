//! One vulnerability record from a file, whatever its format: an NVD API 2.0
//! `cve` object (bare or wrapped as `{"cve": …}`) or a CVE JSON 5 record.
//! For commands that take a single record (`kensa logic extract --record`)
//! and need no database.

use kensa_model::VulnRecord;

use crate::detect::{Format, detect_json};
use crate::error::RecordError;
use crate::{cve5, nvd};

/// Parses one record: NVD gives one [`VulnRecord`], CVE 5 one per container
/// (CNA first). Errors name the JSON path of the offending field.
pub fn parse_record(bytes: &[u8]) -> Result<Vec<VulnRecord>, RecordError> {
    let prefix = &bytes[..bytes.len().min(64 << 10)];
    match detect_json(prefix) {
        Some((Format::NvdCve, wrapped)) => nvd::parse_cve(bytes, wrapped).map(|r| vec![r]),
        Some((Format::Cve5, _)) => cve5::parse(bytes),
        Some((other, _)) => Err(RecordError::new(format!(
            "expected an NVD API 2.0 `cve` object or a CVE JSON 5 record, found {}",
            other.name()
        ))),
        None => Err(match serde_json::from_slice::<serde_json::Value>(bytes) {
            Err(e) => RecordError::new(format!("invalid JSON ({e})")),
            Ok(_) => RecordError::new(
                "expected an NVD API 2.0 `cve` object (with `id` and `descriptions`) or a CVE JSON 5 record (with `cveMetadata`)",
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
