//! OSV records (<https://ossf.github.io/osv-schema/>): GitHub advisories
//! (GHSA), the PyPA advisory database (PYSEC, YAML), Go, RustSec, ...

use kensa_model::time::normalize;
use kensa_model::{
    CvssMetric, LangText, OsvAffected, OsvEvent, OsvRange, Reference, Source, SourceKind,
    VulnRecord, Weakness,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{RecordError, from_json};

/// Parses one OSV record in JSON.
pub fn parse_json(bytes: &[u8]) -> Result<VulnRecord, RecordError> {
    build(from_json(bytes)?)
}

/// Parses one OSV record in YAML (as the PyPA advisory database stores them).
pub fn parse_yaml(bytes: &[u8]) -> Result<VulnRecord, RecordError> {
    build(from_yaml(bytes)?)
}

/// Deserialises YAML with field-path tracking. The YAML error itself carries
/// the line and column, which the message keeps.
fn from_yaml<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, RecordError> {
    let de = serde_norway::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        // A syntax error inside a value ends the path in `?` (no field
        // could be read there); the line and column say where it is.
        let path = known_path(&e.path().to_string());
        let message = e.into_inner().to_string();
        // serde_norway prefixes the path itself; it already goes in `field`.
        let message = message
            .strip_prefix(&format!("{path}: "))
            .map_or_else(|| message.clone(), str::to_string);
        let field = (path != "." && !path.is_empty()).then_some(path);
        RecordError {
            record: None,
            field,
            message,
        }
    })
}

/// A serde path without its unknown (`?`) segments.
pub(crate) fn known_path(path: &str) -> String {
    path.split('.')
        .filter(|seg| *seg != "?")
        .collect::<Vec<_>>()
        .join(".")
}

/// The database an OSV id belongs to, from its prefix (`GHSA-...` → GitHub).
pub fn database_name(id: &str) -> &str {
    let prefix = id.split_once('-').map_or(id, |(p, _)| p);
    match prefix {
        "GHSA" => "GitHub",
        "PYSEC" => "PyPA",
        other => other,
    }
}

fn build(raw: RawOsv) -> Result<VulnRecord, RecordError> {
    let id = raw
        .id
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| RecordError::missing("id"))?;
    let with_id = |e: RecordError| e.record(&id);
    let db = database_name(&id).to_string();

    let mut r = VulnRecord::new(&id, Source::new(SourceKind::Osv, db.clone()));
    for alias in raw.aliases.into_iter().chain(raw.upstream) {
        if alias != id && !r.aliases.contains(&alias) {
            r.aliases.push(alias);
        }
    }
    r.published = timestamp(raw.published.as_deref(), "published").map_err(with_id)?;
    r.last_modified = timestamp(raw.modified.as_deref(), "modified").map_err(with_id)?;
    if let Some(withdrawn) = timestamp(raw.withdrawn.as_deref(), "withdrawn").map_err(with_id)? {
        r.status = Some("WITHDRAWN".into());
        r.notes.push(format!("OSV: withdrawn {withdrawn}"));
    }
    r.title = raw.summary.filter(|s| !s.trim().is_empty());
    r.descriptions = raw
        .details
        .filter(|d| !d.trim().is_empty())
        .map(|value| LangText {
            lang: "en".into(),
            value,
        })
        .into_iter()
        .collect();
    r.cvss = raw
        .severity
        .into_iter()
        .filter_map(|s| cvss(s, &db))
        .collect();
    r.weaknesses = weaknesses(raw.database_specific, &db);
    r.references = raw.references.into_iter().map(Reference::from).collect();
    r.osv_affected = raw.affected.into_iter().map(OsvAffected::from).collect();
    Ok(r)
}

fn timestamp(value: Option<&str>, field: &str) -> Result<Option<String>, RecordError> {
    value
        .map(|v| {
            normalize(v).ok_or_else(|| {
                RecordError::new(format!("`{v}` is not an RFC 3339 timestamp")).field(field)
            })
        })
        .transpose()
}

/// OSV gives only the vector; the score is left for a CVSS calculator.
/// Severity types other than CVSS (e.g. `Ubuntu`) are skipped.
fn cvss(s: RawSeverity, source: &str) -> Option<CvssMetric> {
    let fallback = match s.kind.as_str() {
        "CVSS_V2" => "2.0",
        "CVSS_V3" => "3.0",
        "CVSS_V4" => "4.0",
        _ => return None,
    };
    Some(CvssMetric {
        source: source.to_string(),
        version: cvss_version(&s.score).unwrap_or(fallback).to_string(),
        vector: s.score,
        base_score: None,
        base_severity: None,
        kind: None,
    })
}

/// `CVSS:3.1/AV:N/...` → `3.1`; v2 vectors have no prefix and are `2.0`.
fn cvss_version(vector: &str) -> Option<&str> {
    match vector.strip_prefix("CVSS:") {
        Some(rest) => rest.split_once('/').map(|(v, _)| v),
        None if vector.starts_with("AV:") => Some("2.0"),
        None => None,
    }
}

fn weaknesses(db: Option<RawDatabaseSpecific>, source: &str) -> Vec<Weakness> {
    let mut out: Vec<Weakness> = Vec::new();
    for cwe in db.into_iter().flat_map(|d| d.cwe_ids) {
        if !out.iter().any(|w| w.cwe == cwe) {
            out.push(Weakness {
                source: source.to_string(),
                cwe,
            });
        }
    }
    out
}

impl From<RawReference> for Reference {
    fn from(r: RawReference) -> Self {
        Reference {
            url: r.url,
            source: None,
            tags: r.kind.into_iter().collect(),
        }
    }
}

impl From<RawAffected> for OsvAffected {
    fn from(a: RawAffected) -> Self {
        let package = a.package.unwrap_or_default();
        OsvAffected {
            ecosystem: package.ecosystem,
            name: package.name,
            purl: package.purl,
            ranges: a
                .ranges
                .into_iter()
                .map(|r| OsvRange {
                    kind: r.kind,
                    repo: r.repo,
                    events: r.events,
                })
                .collect(),
            versions: a.versions,
        }
    }
}

// The subset of the OSV schema Kensa reads; unknown fields are ignored.

#[derive(Deserialize)]
struct RawOsv {
    id: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    upstream: Vec<String>,
    published: Option<String>,
    modified: Option<String>,
    withdrawn: Option<String>,
    summary: Option<String>,
    details: Option<String>,
    #[serde(default)]
    severity: Vec<RawSeverity>,
    #[serde(default)]
    affected: Vec<RawAffected>,
    #[serde(default)]
    references: Vec<RawReference>,
    database_specific: Option<RawDatabaseSpecific>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct RawReference {
    #[serde(rename = "type")]
    kind: Option<String>,
    url: String,
}

/// GitHub's convention; other databases put other things here.
#[derive(Deserialize)]
struct RawDatabaseSpecific {
    #[serde(default)]
    cwe_ids: Vec<String>,
}

#[derive(Deserialize)]
struct RawAffected {
    package: Option<RawPackage>,
    #[serde(default)]
    ranges: Vec<RawRange>,
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize, Default)]
struct RawPackage {
    ecosystem: Option<String>,
    name: Option<String>,
    purl: Option<String>,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    repo: Option<String>,
    #[serde(default)]
    events: Vec<OsvEvent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_from_id_prefix() {
        assert_eq!(database_name("GHSA-6f9g-cxwr-q5jr"), "GitHub");
        assert_eq!(database_name("PYSEC-2020-342"), "PyPA");
        assert_eq!(database_name("RUSTSEC-2024-0001"), "RUSTSEC");
        assert_eq!(database_name("GO-2024-2687"), "GO");
        assert_eq!(database_name("OSV-2020-111"), "OSV");
    }

    #[test]
    fn cvss_version_from_vector() {
        assert_eq!(cvss_version("CVSS:3.1/AV:N/AC:L"), Some("3.1"));
        assert_eq!(cvss_version("CVSS:4.0/AV:N/AC:L/AT:N"), Some("4.0"));
        assert_eq!(cvss_version("AV:N/AC:L/Au:N/C:P/I:P/A:P"), Some("2.0"));
        assert_eq!(cvss_version("garbage"), None);
    }

    #[test]
    fn missing_id_is_named_in_both_encodings() {
        let e = parse_json(br#"{"modified":"2024-01-01T00:00:00Z"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("id"), "{e}");
        let e = parse_yaml(b"modified: 2024-01-01T00:00:00Z\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("id"), "{e}");
    }

    #[test]
    fn wrong_type_is_named_in_both_encodings() {
        let e = parse_json(br#"{"id":"GO-1","affected":[{"ranges":"none"}]}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("affected[0].ranges"), "{e}");
        let e = parse_yaml(b"id: GO-1\naffected:\n- ranges: none\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("affected[0].ranges"), "{e}");
        assert!(e.message.contains("line 3"), "{e}");
    }

    #[test]
    fn yaml_syntax_error_gives_line_and_column() {
        let e = parse_yaml(b"id: GO-1\naffected: [\n  - x: 1\n").unwrap_err();
        assert!(
            e.message.contains("line") && e.message.contains("column"),
            "{e}"
        );
    }

    #[test]
    fn bad_timestamp_is_named() {
        let e = parse_json(br#"{"id":"GO-1","modified":"last week"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("modified"), "{e}");
        assert_eq!(e.record.as_deref(), Some("GO-1"));
    }
}
