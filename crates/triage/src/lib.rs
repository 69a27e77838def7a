//! Kensa triage: which finding to work on first, and why.

pub mod cvss;
pub mod ssvc;
