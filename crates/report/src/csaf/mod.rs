//! CSAF 2.0: validation (section 6), advisories, rendering, provider trees
//! (section 7).

pub mod advisory;
pub mod doc;
mod informative;
mod lang;
mod mandatory;
mod metrics;
mod optional;
mod profiles;
pub mod provider;
mod purl;
pub mod render;
mod revision;
pub mod schema;
mod sorting;
pub mod version;

pub use mandatory::cwe_name;

use serde::Serialize;
use serde_json::Value;

/// Which kind of check a result comes from. A schema or mandatory failure
/// makes a document invalid; optional failures are warnings, informative
/// ones information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Schema,
    Mandatory,
    Optional,
    Informative,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Schema => "schema",
            Group::Mandatory => "mandatory",
            Group::Optional => "optional",
            Group::Informative => "informative",
        }
    }
}

/// One failed check: the test's number (`6.1.1`; `schema` for the JSON
/// schema), its group, where (a JSON pointer) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub test: String,
    pub group: Group,
    pub path: String,
    pub message: String,
}

pub(crate) fn finding(
    test: &str,
    group: Group,
    path: impl Into<String>,
    message: impl Into<String>,
) -> Finding {
    Finding {
        test: test.to_string(),
        group,
        path: path.into(),
        message: message.into(),
    }
}

/// The outcome of validating one document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Validation {
    pub findings: Vec<Finding>,
}

impl Validation {
    /// No schema or mandatory test failed.
    pub fn valid(&self) -> bool {
        !self
            .findings
            .iter()
            .any(|f| matches!(f.group, Group::Schema | Group::Mandatory))
    }

    /// Whether the test with this number failed.
    pub fn failed(&self, test: &str) -> bool {
        self.findings.iter().any(|f| f.test == test)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| matches!(f.group, Group::Schema | Group::Mandatory))
    }
}

/// Tests of section 6 that this validator does not run, and why.
pub const NOT_RUN: &[(&str, &str)] = &[
    ("6.3.6", "needs the network: resolves every non-self URL"),
    ("6.3.7", "needs the network: resolves every self URL"),
    (
        "6.3.8",
        "needs a spell checker's dictionary for the document language",
    ),
];

/// Every test this validator runs, by number, in the order of the
/// specification.
pub fn tests() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    all.push("schema");
    all.extend(mandatory::TESTS);
    all.extend(optional::TESTS);
    all.extend(informative::TESTS);
    all
}

/// Validates a parsed document: the JSON schema, every mandatory test
/// (6.1), every optional test (6.2), and the informative tests (6.3) that
/// need no network. Never panics, whatever the document's shape.
pub fn validate(doc: &Value) -> Validation {
    run_all(doc, None)
}

fn run_all(doc: &Value, bytes: Option<&[u8]>) -> Validation {
    let mut findings = schema::validate(doc);
    mandatory::run(doc, &mut findings);
    optional::run(doc, bytes, &mut findings);
    informative::run(doc, &mut findings);
    // Group, then the specification's order of tests; each test's findings
    // stay in document order.
    findings.sort_by_cached_key(|f| (f.group, test_order(&f.test)));
    Validation { findings }
}

/// `6.1.27.10` as [6, 1, 27, 10], so that 6.1.10 sorts after 6.1.9.
fn test_order(test: &str) -> Vec<u32> {
    test.split('.').map(|n| n.parse().unwrap_or(0)).collect()
}

/// Validates a document as bytes: the key-order test (6.2.13) reads the
/// keys as written, which a parsed value no longer knows. A document that
/// is not JSON is one schema finding naming the line and column.
pub fn validate_bytes(bytes: &[u8]) -> Validation {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(doc) => run_all(&doc, Some(bytes)),
        Err(e) => Validation {
            findings: vec![finding("schema", Group::Schema, "", not_json(&e))],
        },
    }
}

/// serde_json's message ends with "at line L column C"; say so first.
fn not_json(e: &serde_json::Error) -> String {
    let what = e.to_string();
    let what = what.split(" at line ").next().unwrap_or(&what).to_string();
    format!("not JSON: line {}, column {}: {what}", e.line(), e.column())
}
