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
pub mod mappings;
pub mod nvd;
pub mod osv;
pub mod record;
pub mod sync;

pub use error::{ImportError, Location, RecordError};
pub use import::{FileReport, ImportOptions, Progress, import_bytes, import_path};
pub use record::parse_record;
