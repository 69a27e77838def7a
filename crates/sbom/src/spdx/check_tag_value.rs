//! Strict mode's checks of an SPDX 2.2 / 2.3 tag-value document by the
//! specification (there is no official schema for tag-value): required
//! document creation tags, the data licence and document SPDXID, identifier
//! syntax and uniqueness, date forms, checksums, enumerated values, and
//! relationships and annotations naming elements that exist. Each error
//! names the line.
//!
//! The reader checks package `SPDXID` and `PackageDownloadLocation`
//! presence itself; these checks run before its end-of-document checks.

use std::collections::{HashMap, HashSet};

use super::rules::{self, Version};
use super::tag_value::Entry;
use crate::error::{Location, SbomError};

fn invalid(line: u64, message: String) -> SbomError {
    SbomError::Invalid {
        at: Location::Line(line),
        message,
    }
}

/// Which element the tags that follow describe.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Document,
    Package,
    File,
    Snippet,
    License,
}

/// An element's block as read: where it starts and what it had.
struct Open {
    kind: Block,
    line: u64,
    id: bool,
    checksums: usize,
    snippet_file: bool,
    snippet_range: bool,
}

impl Open {
    fn new(kind: Block, line: u64) -> Self {
        Open {
            kind,
            line,
            id: false,
            checksums: 0,
            snippet_file: false,
            snippet_range: false,
        }
    }

    /// What the specification requires of a file or snippet, once its block
    /// ends. (Packages are checked by the reader.)
    fn close(&self) -> Result<(), SbomError> {
        let missing = |what: &str, tag: &str| {
            Err(invalid(
                self.line,
                format!("{what} has no `{tag}`, which is required"),
            ))
        };
        match self.kind {
            Block::File if !self.id => missing("the file", "SPDXID"),
            Block::File if self.checksums == 0 => missing("the file", "FileChecksum"),
            Block::Snippet if !self.snippet_file => missing("the snippet", "SnippetFromFileSPDXID"),
            Block::Snippet if !self.snippet_range => missing("the snippet", "SnippetByteRange"),
            _ => Ok(()),
        }
    }
}

/// Document creation tags that must be there exactly once (§6); `Creator`
/// must be there at least once.
const DOCUMENT_ONCE: &[&str] = &[
    "SPDXVersion",
    "DataLicense",
    "DocumentName",
    "DocumentNamespace",
    "Created",
];

/// A reference to check once every element is known.
struct Reference<'e> {
    line: u64,
    id: &'e str,
    related_side: bool,
}

struct Checker<'e> {
    version: Version,
    block: Open,
    /// SPDXID of each element and the line that declared it.
    elements: HashMap<&'e str, u64>,
    external_docs: HashSet<&'e str>,
    references: Vec<Reference<'e>>,
    /// First line of each single-valued document tag, and the creators.
    document_tags: HashMap<&'e str, u64>,
    document_id: Option<u64>,
    creators: usize,
    /// Line where the document creation information ends (exclusive).
    document_end: Option<u64>,
}

/// Checks the entries of a document of `spdx_version`; one of another
/// version is left to the reader, which refuses it in strict mode.
pub(crate) fn check(entries: &[Entry<'_>], spdx_version: &str) -> Result<(), SbomError> {
    let Some(version) = Version::from_spdx_version(spdx_version) else {
        return Ok(());
    };
    let first_line = entries.first().map_or(1, |e| e.line);
    let mut c = Checker {
        version,
        block: Open::new(Block::Document, first_line),
        elements: HashMap::new(),
        external_docs: HashSet::new(),
        references: Vec::new(),
        document_tags: HashMap::new(),
        document_id: None,
        creators: 0,
        document_end: None,
    };
    for e in entries {
        c.entry(e)?;
    }
    c.block.close()?;
    c.finish(first_line)
}

impl<'e> Checker<'e> {
    fn entry(&mut self, e: &'e Entry<'_>) -> Result<(), SbomError> {
        let (line, value) = (e.line, e.value.trim());
        let fail = |m: String| invalid(line, m);
        let v = self.version;
        match e.tag {
            "PackageName" => self.open(Block::Package, line)?,
            "FileName" => self.open(Block::File, line)?,
            "SnippetSPDXID" => {
                self.open(Block::Snippet, line)?;
                self.declare(value, line)?;
            }
            "LicenseID" => {
                self.open(Block::License, line)?;
                match value.strip_prefix("LicenseRef-") {
                    Some(rest)
                        if !rest.is_empty()
                            && rest
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') => {}
                    _ => {
                        return Err(fail(format!(
                            "`{value}` is not `LicenseRef-` followed by letters, digits, `.` or `-`"
                        )));
                    }
                }
            }
            "SPDXID" => match self.block.kind {
                Block::Document => {
                    if let Some(first) = self.document_id {
                        return Err(fail(format!(
                            "second document `SPDXID` (the first is on line {first})"
                        )));
                    }
                    self.document_id = Some(line);
                    if value != rules::DOCUMENT_ID {
                        return Err(fail(format!(
                            "the document's SPDXID is `{value}`, not `{}`",
                            rules::DOCUMENT_ID
                        )));
                    }
                    self.elements.insert(rules::DOCUMENT_ID, line);
                }
                Block::Package | Block::File if !self.block.id => {
                    self.block.id = true;
                    self.declare(value, line)?;
                }
                _ => {}
            },
            "SPDXVersion" | "DataLicense" | "DocumentName" | "DocumentNamespace" | "Created" => {
                if let Some(first) = self.document_tags.get(e.tag) {
                    return Err(fail(format!(
                        "second `{}` (the first is on line {first}); the document has one",
                        e.tag
                    )));
                }
                self.document_tags.insert(e.tag, line);
                match e.tag {
                    "DataLicense" if value != rules::DATA_LICENSE => {
                        return Err(fail(format!(
                            "data licence `{value}`; SPDX documents are `{}`",
                            rules::DATA_LICENSE
                        )));
                    }
                    "DocumentNamespace" => rules::namespace(value).map_err(fail)?,
                    "Created" => rules::date_time(value).map_err(fail)?,
                    _ => {}
                }
            }
            "Creator" => {
                self.creators += 1;
                rules::agent(value).map_err(fail)?;
            }
            "ExternalDocumentRef" => self.external_document(value, line)?,
            "PackageChecksum" | "FileChecksum" => {
                self.block.checksums += 1;
                checksum(v, value).map_err(fail)?;
            }
            "PackageVerificationCode" => {
                // The code, then optionally `(excludes: files)`; the spec's
                // own example writes the parenthesis without a space.
                let code = value
                    .split(|c: char| c == '(' || c.is_whitespace())
                    .next()
                    .unwrap_or("");
                rules::verification_code(code).map_err(fail)?;
            }
            "FilesAnalyzed" if !matches!(value, "true" | "false") => {
                return Err(fail(format!(
                    "FilesAnalyzed `{value}` is not true or false"
                )));
            }
            "PrimaryPackagePurpose" | "ReleaseDate" | "BuiltDate" | "ValidUntilDate"
                if v == Version::V2_2 =>
            {
                return Err(fail(format!(
                    "`{}` is new in SPDX 2.3; this document is SPDX-2.2",
                    e.tag
                )));
            }
            "PrimaryPackagePurpose" => {
                rules::one_of("PrimaryPackagePurpose", value, rules::PURPOSES).map_err(fail)?
            }
            "ReleaseDate" | "BuiltDate" | "ValidUntilDate" => {
                rules::date_time(value).map_err(fail)?
            }
            "ExternalRef" => {
                if let Some(category) = value.split_whitespace().next() {
                    rules::reference_category(v, category).map_err(fail)?;
                }
            }
            "FileType" => rules::one_of("FileType", value, rules::FILE_TYPES).map_err(fail)?,
            "SnippetFromFileSPDXID" => {
                self.block.snippet_file = true;
                self.refer(value, false, line);
            }
            "SnippetByteRange" | "SnippetLineRange" => {
                if e.tag == "SnippetByteRange" {
                    self.block.snippet_range = true;
                }
                range(value).map_err(|m| invalid(line, format!("{}: {m}", e.tag)))?;
            }
            "Relationship" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                if let [from, kind, to] = parts[..] {
                    rules::relationship_type(v, kind).map_err(fail)?;
                    self.refer(from, false, line);
                    self.refer(to, true, line);
                }
            }
            "Annotator" | "Reviewer" => rules::agent(value).map_err(fail)?,
            "AnnotationDate" | "ReviewDate" => rules::date_time(value).map_err(fail)?,
            "AnnotationType" => {
                rules::one_of("AnnotationType", value, &["REVIEW", "OTHER"]).map_err(fail)?
            }
            "SPDXREF" => self.refer(value, false, line),
            _ => {}
        }
        Ok(())
    }

    /// Closes the current block and opens one of `kind`.
    fn open(&mut self, kind: Block, line: u64) -> Result<(), SbomError> {
        self.block.close()?;
        if self.document_end.is_none() {
            self.document_end = Some(line);
        }
        self.block = Open::new(kind, line);
        Ok(())
    }

    /// An element's SPDXID: its syntax, and unique in the document.
    fn declare(&mut self, id: &'e str, line: u64) -> Result<(), SbomError> {
        rules::spdx_id(id).map_err(|m| invalid(line, m))?;
        if let Some(first) = self.elements.get(id) {
            return Err(invalid(
                line,
                format!("SPDXID `{id}` is not unique (also on line {first})"),
            ));
        }
        self.elements.insert(id, line);
        Ok(())
    }

    fn refer(&mut self, id: &'e str, related_side: bool, line: u64) {
        self.references.push(Reference {
            line,
            id,
            related_side,
        });
    }

    /// `DocumentRef-id URI ALGORITHM: value` (§6.6).
    fn external_document(&mut self, value: &'e str, line: u64) -> Result<(), SbomError> {
        let parts: Vec<&str> = value.split_whitespace().collect();
        let [id, uri, algorithm, digest] = parts[..] else {
            return Err(invalid(
                line,
                format!("`{value}` is not `DocumentRef-id URI SHA1: checksum`"),
            ));
        };
        rules::document_ref(id).map_err(|m| invalid(line, m))?;
        rules::namespace(uri).map_err(|m| invalid(line, m))?;
        let algorithm = algorithm.strip_suffix(':').unwrap_or(algorithm);
        rules::checksum(self.version, algorithm, digest).map_err(|m| invalid(line, m))?;
        self.external_docs.insert(id);
        Ok(())
    }

    fn finish(self, first_line: u64) -> Result<(), SbomError> {
        let end = self.document_end.map_or(String::new(), |end| {
            format!(
                " (lines {first_line}–{})",
                end.saturating_sub(1).max(first_line)
            )
        });
        let missing = |tag: &str| {
            Err(invalid(
                first_line,
                format!("the document creation information{end} has no `{tag}`, which is required"),
            ))
        };
        for tag in DOCUMENT_ONCE {
            if !self.document_tags.contains_key(tag) {
                return missing(tag);
            }
        }
        if self.document_id.is_none() {
            return missing("SPDXID");
        }
        if self.creators == 0 {
            return missing("Creator");
        }
        let elements: HashSet<&str> = self.elements.keys().copied().collect();
        for r in &self.references {
            rules::element_ref(r.id, r.related_side, &elements, &self.external_docs)
                .map_err(|m| invalid(r.line, m))?;
        }
        Ok(())
    }
}

/// `ALGORITHM: value`.
fn checksum(version: Version, value: &str) -> Result<(), String> {
    let Some((algorithm, digest)) = value.split_once(':') else {
        return Err(format!("`{value}` is not `ALGORITHM: value`"));
    };
    rules::checksum(version, algorithm.trim(), digest.trim())
}

/// `start:end`, two offsets (§9.3, §9.4).
fn range(value: &str) -> Result<(), String> {
    let number = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    match value.split_once(':') {
        Some((start, end)) if number(start.trim()) && number(end.trim()) => Ok(()),
        _ => Err(format!("`{value}` is not `start:end`")),
    }
}
