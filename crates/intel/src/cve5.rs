//! TEMPORARY STUB: replaced by the real parser on merge.
use crate::RecordError;
use kensa_model::VulnRecord;
pub fn parse(_bytes: &[u8]) -> Result<Vec<VulnRecord>, RecordError> {
    Err(RecordError::new("CVE JSON 5 import is not built yet"))
}
