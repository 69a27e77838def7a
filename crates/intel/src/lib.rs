//! Vulnerability-intelligence importers and online sync.
//!
//! Each source format has a module that turns one record (or one row) into
//! kensa-model types and reports problems as [`RecordError`]s that name the
//! field. The [`import`] module detects formats, streams files, and writes
//! through the store's transactional [`kensa_store::IntelSink`].

pub mod cve5;
pub mod error;
pub mod osv;

pub use error::{ImportError, Location, RecordError};

use kensa_model::{CsafDocument, EpssScore, KevEntry, VulnRecord};

/// One parsed item, ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Vuln(VulnRecord),
    Kev(KevEntry),
    Epss(EpssScore),
    Csaf(CsafDocument),
}
