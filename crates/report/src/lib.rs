//! Kensa's reports to regulators and customers.
//!
//! - [`csaf`]: CSAF 2.0 documents: the validator (the JSON schema and the
//!   tests of section 6 that need no network), the security advisory
//!   writer, the customer-readable rendering, the trusted-provider tree
//!   (section 7) with hashes and OpenPGP signatures, and its checker.
//! - [`cra`]: the EU Cyber Resilience Act's Article 14 reporting clocks
//!   (instants in UTC) and the stage reports' fields, kept as versioned
//!   data.
//!
//! Pure where it can be: nothing here opens a database or the network;
//! the provider checker reads through a [`csaf::check::Source`] its
//! caller implements.

pub mod cra;
pub mod csaf;
