//! Detection: which vulnerabilities apply to a component, and why.
//!
//! [`resolve`] turns a component into CPE vendor/product candidates (with
//! [`fuzzy`] as its fenced last resort),
//! [`applicability`] decides whether a record's configurations cover the
//! component's version, [`osv`] matches package URLs against OSV ranges,
//! [`advisory`] matches components to CSAF advisory products by name, maker
//! and version statement, and [`scan`] runs an SBOM through all of them;
//! [`output`] writes the findings as SARIF or a CycloneDX VDR; [`portfolio`]
//! keeps stored products' findings current.

pub mod advisory;
pub mod applicability;
pub mod curated;
pub mod cve5;
pub mod family;
pub mod fuzzy;
pub mod nearest;
pub mod osv;
pub mod output;
mod packaging;
pub mod portfolio;
mod purl;
pub mod resolve;
pub mod scan;
pub mod shortlist;
pub mod versions;

pub use applicability::{Applicability, Target, evaluate};
pub use osv::{OsvPackage, affected_by, package_of, pep503};
pub use resolve::{Candidate, Dictionary, Entry, Method, Purl};
pub use scan::{ComponentOutcome, Finding, Resolution, ScanOptions, ScanReport, Scanner};
