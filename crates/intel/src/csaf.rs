//! TEMPORARY STUB: replaced by the real parser on merge.
use crate::RecordError;
use kensa_model::CsafDocument;
pub fn parse(_bytes: &[u8]) -> Result<CsafDocument, RecordError> {
    Err(RecordError::new("CSAF import is not built yet"))
}
