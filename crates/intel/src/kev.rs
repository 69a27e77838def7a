//! TEMPORARY STUB: replaced by the real parser on merge.
use crate::RecordError;
use kensa_model::KevEntry;
pub fn parse_entry(_bytes: &[u8]) -> Result<KevEntry, RecordError> {
    Err(RecordError::new("KEV import is not built yet"))
}
pub fn csv_rows<R: std::io::Read>(
    _r: R,
) -> Result<impl Iterator<Item = (u64, Result<KevEntry, RecordError>)>, RecordError> {
    Err::<std::iter::Empty<_>, _>(RecordError::new("KEV import is not built yet"))
}
