//! Kensa's domain model.
//!
//! Every importer turns its source format into these types, and every later
//! stage (matching, triage, assessment) reads only these types. The store keeps
//! one [`VulnRecord`] per vulnerability *per source*, so that "which feed said
//! what, when" is never lost when feeds disagree.

pub mod advisory;
pub mod cpe;
pub mod feeds;
pub mod mappings;
pub mod names;
pub mod sbom;
pub mod team;
pub mod time;
pub mod vuln;

pub use advisory::{
    CsafDocument, CsafProduct, CsafRelationship, CsafVulnInfo, ExploitStatus, Remediation,
};
pub use cpe::{Configuration, Cpe, CpeError, CpeMatch, Node, Operator};
pub use feeds::{EpssScore, KevEntry};
pub use mappings::{NameMapping, NameMappingSet};
pub use sbom::{Component, Dependency, Sbom, SbomFormat};
pub use vuln::{
    Cve5Affected, Cve5Version, CvssMetric, LangText, OsvAffected, OsvEvent, OsvRange, Reference,
    Source, SourceKind, Ssvc, VulnRecord, Weakness,
};
