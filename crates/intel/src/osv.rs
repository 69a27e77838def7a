//! TEMPORARY STUB: replaced by the real parser on merge.
use crate::RecordError;
use kensa_model::VulnRecord;
pub fn parse_json(_bytes: &[u8]) -> Result<VulnRecord, RecordError> {
    Err(RecordError::new("OSV import is not built yet"))
}
pub fn parse_yaml(_bytes: &[u8]) -> Result<VulnRecord, RecordError> {
    Err(RecordError::new("OSV import is not built yet"))
}
