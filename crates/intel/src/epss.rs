//! TEMPORARY STUB: replaced by the real parser on merge.
use crate::RecordError;
use kensa_model::EpssScore;
pub fn csv_rows<R: std::io::Read>(
    _r: R,
) -> Result<impl Iterator<Item = (u64, Result<EpssScore, RecordError>)>, RecordError> {
    Err::<std::iter::Empty<_>, _>(RecordError::new("EPSS import is not built yet"))
}
