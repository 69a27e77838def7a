//! Errors that name the file, the place in it, and the field.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

/// Where in a file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The whole file.
    File,
    /// 1-based line (JSON Lines, CSV).
    Line(u64),
    /// 0-based entry of an array (`vulnerabilities[12]`).
    Entry(u64),
    /// A member of an archive or directory (`vulns/foo/PYSEC-1.yaml`).
    Member(String),
    /// A member and a line inside it.
    MemberLine(String, u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => Ok(()),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Entry(n) => write!(f, "entry {n}"),
            Location::Member(m) => write!(f, "{m}"),
            Location::MemberLine(m, n) => write!(f, "{m}: line {n}"),
        }
    }
}

/// A problem with one record. The importer adds the file and location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// The record's id, when it could be read.
    pub record: Option<String>,
    /// JSON path of the offending field (`cve.metrics.cvssMetricV31[0].cvssData`).
    pub field: Option<String>,
    pub message: String,
}

impl RecordError {
    pub fn new(message: impl Into<String>) -> Self {
        RecordError {
            record: None,
            field: None,
            message: message.into(),
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn record(mut self, id: impl Into<String>) -> Self {
        self.record = Some(id.into());
        self
    }

    /// A required field that is absent or empty.
    pub fn missing(field: &str) -> Self {
        RecordError::new(format!("missing required field `{field}`")).field(field)
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(r) = &self.record {
            write!(f, "record {r}: ")?;
        }
        if let Some(p) = &self.field {
            write!(f, "field `{p}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why an import failed. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {location}{sep}{error}", sep = if matches!(location, Location::File) { "" } else { ": " })]
    Record {
        path: PathBuf,
        location: Location,
        error: Box<RecordError>,
    },
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    /// A bug in Kensa, not in the input; the import was rolled back.
    #[error("{path}: internal error: {message}")]
    Internal { path: PathBuf, message: String },
    /// The database failed, not the input: `source` names the database
    /// ([`kensa_store::StoreError::at`]), and comes first.
    #[error("{source}\n  while importing {}", path.display())]
    Store {
        path: PathBuf,
        #[source]
        source: kensa_store::StoreError,
    },
}

impl ImportError {
    pub fn path(&self) -> &PathBuf {
        match self {
            ImportError::Io { path, .. }
            | ImportError::Record { path, .. }
            | ImportError::Format { path, .. }
            | ImportError::Internal { path, .. }
            | ImportError::Store { path, .. } => path,
        }
    }
}

/// Parses JSON into `T`. On failure the input is parsed again with path
/// tracking (only then: it costs time) so the error names the field.
pub fn from_json<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, RecordError> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(fast) => {
            let de = &mut serde_json::Deserializer::from_slice(bytes);
            match serde_path_to_error::deserialize::<_, T>(de) {
                Ok(v) => Ok(v),
                Err(e) => Err(json_error(e.path().to_string(), e.inner())),
            }
            .map_err(|mut e| {
                if e.message.is_empty() {
                    e.message = fast.to_string();
                }
                e
            })
        }
    }
}

fn json_error(path: String, e: &serde_json::Error) -> RecordError {
    let message = match e.classify() {
        serde_json::error::Category::Eof => format!("truncated JSON ({e})"),
        serde_json::error::Category::Syntax => format!("invalid JSON ({e})"),
        _ => e.to_string(),
    };
    let field = (path != "." && !path.is_empty()).then_some(path);
    RecordError {
        record: None,
        field,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        id: String,
        inner: Vec<Inner>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        score: f64,
    }

    #[test]
    fn error_names_the_field_path() {
        let e = from_json::<Outer>(br#"{"id":"x","inner":[{"score":1},{"score":"high"}]}"#)
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner[1].score"), "{e}");
    }

    #[test]
    fn missing_and_truncated_are_explained() {
        let e = from_json::<Outer>(br#"{"inner":[]}"#).unwrap_err();
        assert!(e.message.contains("missing field `id`"), "{e}");
        let e = from_json::<Outer>(br#"{"id":"x","inner":[{"sco"#).unwrap_err();
        assert!(e.message.starts_with("truncated JSON"), "{e}");
    }
}
