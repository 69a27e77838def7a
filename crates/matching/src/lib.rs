//! Detection: which vulnerabilities apply to a component, and why.
//!
//! [`resolve`] turns a component into CPE vendor/product candidates,
//! [`applicability`] decides whether a record's configurations cover the
//! component's version, and [`scan`] runs an SBOM through both. Still to come
//! (issue #3): purl → OSV ranges, CSAF product status and CVE 5 `affected`
//! matching, distribution package mapping.

pub mod applicability;
pub mod output;
pub mod resolve;
pub mod scan;

pub use applicability::{Applicability, Target, evaluate};
pub use resolve::{Candidate, Dictionary, Entry, Method, Purl};
pub use scan::{Finding, ScanOptions, ScanReport, Scanner};
