//! Errors that name the place in the document: a JSON pointer, an XML
//! element with its line and column, or a tag-value line.

use std::fmt;

/// Where in an SBOM document a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The document as a whole (its format, its first bytes).
    Document,
    /// A JSON pointer (RFC 6901) into a JSON document: `/components/3/version`.
    Pointer(String),
    /// 1-based line and column (characters) of a JSON or XML document.
    LineColumn { line: u64, column: u64 },
    /// An XML element: its 1-based line and column and its path from the
    /// root, `/bom/components/component[4]/version` (XPath-style 1-based
    /// indexes among same-named siblings).
    Element {
        line: u64,
        column: u64,
        path: String,
    },
    /// 1-based line of an SPDX tag-value document.
    Line(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Document => f.write_str("document"),
            Location::Pointer(p) if p.is_empty() => f.write_str("/"),
            Location::Pointer(p) => f.write_str(p),
            Location::LineColumn { line, column } => write!(f, "line {line}, column {column}"),
            Location::Element { line, column, path } => {
                write!(f, "{path} (line {line}, column {column})")
            }
            Location::Line(n) => write!(f, "line {n}"),
        }
    }
}

/// Why a document could not be read. Every variant but [`SbomError::NotAnSbom`]
/// names the place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SbomError {
    /// The content is none of the formats this crate reads.
    #[error(
        "not an SBOM: expected CycloneDX (JSON/XML) or SPDX (JSON/tag-value){}{reason}",
        if reason.is_empty() { "" } else { "; " }
    )]
    NotAnSbom { reason: String },
    /// The bytes are not well-formed JSON or XML, or not UTF-8, or a
    /// tag-value `<text>` block is not closed.
    #[error("malformed {syntax} at {at}: {message}")]
    Syntax {
        /// "JSON", "XML" or "SPDX tag-value".
        syntax: &'static str,
        at: Location,
        message: String,
    },
    /// Nesting deeper than [`crate::ParseOptions::max_depth`].
    #[error("{at}: nesting deeper than the limit of {limit} levels")]
    TooDeep { at: Location, limit: usize },
    /// More components than [`crate::ParseOptions::max_components`].
    #[error("{at}: more than the limit of {limit} components")]
    TooManyComponents { at: Location, limit: usize },
    /// A specification version this crate does not read: any unknown one in
    /// strict mode, SPDX 3 always (its model is a different one).
    #[error("{at}: unsupported {format} version `{version}`{}{detail}", if detail.is_empty() { "" } else { ": " })]
    UnsupportedVersion {
        at: Location,
        format: &'static str,
        version: String,
        detail: String,
    },
    /// A deviation from the specification that strict mode refuses: a
    /// missing required field, a wrong type, an unknown field or value.
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
}

impl SbomError {
    /// The place the error names, if any.
    pub fn location(&self) -> Option<&Location> {
        match self {
            SbomError::NotAnSbom { .. } => None,
            SbomError::Syntax { at, .. }
            | SbomError::TooDeep { at, .. }
            | SbomError::TooManyComponents { at, .. }
            | SbomError::UnsupportedVersion { at, .. }
            | SbomError::Invalid { at, .. } => Some(at),
        }
    }
}

/// Maps byte offsets of a text to 1-based line and column (in characters).
pub(crate) struct LineIndex<'a> {
    text: &'a [u8],
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    pub(crate) fn line_column(&self, offset: usize) -> (u64, u64) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = String::from_utf8_lossy(&self.text[start..offset])
            .chars()
            .count()
            + 1;
        (line as u64, column as u64)
    }

    pub(crate) fn location(&self, offset: usize) -> Location {
        let (line, column) = self.line_column(offset);
        Location::LineColumn { line, column }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_characters() {
        let idx = LineIndex::new("ab\nçd\n\nx".as_bytes());
        assert_eq!(idx.line_column(0), (1, 1));
        assert_eq!(idx.line_column(3), (2, 1));
        // After the two-byte `ç`.
        assert_eq!(idx.line_column(5), (2, 2));
        assert_eq!(idx.line_column(8), (4, 1));
        assert_eq!(idx.line_column(100), (4, 2));
    }

    #[test]
    fn messages_name_the_place() {
        let e = SbomError::Invalid {
            at: Location::Pointer("/components/3/name".into()),
            message: "missing required field `name`".into(),
        };
        assert_eq!(
            e.to_string(),
            "/components/3/name: missing required field `name`"
        );
        let e = SbomError::NotAnSbom {
            reason: String::new(),
        };
        assert_eq!(
            e.to_string(),
            "not an SBOM: expected CycloneDX (JSON/XML) or SPDX (JSON/tag-value)"
        );
    }
}
