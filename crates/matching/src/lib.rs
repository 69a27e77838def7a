//! Detection: which vulnerabilities apply to a component, and why.
//!
//! Built so far: CPE applicability ([`applicability`]). Name resolution
//! (component → CPE vendor/product candidates), purl → OSV ranges and the
//! `kensa scan` engine follow (issue #3).

pub mod applicability;

pub use applicability::{Applicability, Target, evaluate};
