//! CVE JSON 5 records (CVE Services / cvelistV5 / CISA vulnrichment).
//!
//! One record holds statements from several providers: the CNA container and
//! any number of ADP containers (CISA-ADP with SSVC, KEV and CWE/CVSS/CPE
//! enrichment; the CVE Program container with transferred references). Each
//! container becomes its own [`VulnRecord`] so provenance is never mixed.

use std::collections::BTreeMap;

use kensa_model::time::normalize;
use kensa_model::{
    Configuration, Cve5Affected, Cve5Version, CvssMetric, LangText, Reference, Source, SourceKind,
    Ssvc, VulnRecord, Weakness,
};
use serde::Deserialize;

use crate::error::{RecordError, from_json};

/// Parses one CVE JSON 5 record into one [`VulnRecord`] per container: the
/// CNA's first, then the ADPs' in document order.
pub fn parse(bytes: &[u8]) -> Result<Vec<VulnRecord>, RecordError> {
    let raw: RawRecord = from_json(bytes)?;
    check_format(&raw)?;
    let meta = raw
        .cve_metadata
        .ok_or_else(|| RecordError::missing("cveMetadata"))?;
    let id = meta
        .cve_id
        .clone()
        .ok_or_else(|| RecordError::missing("cveMetadata.cveId"))?;
    if !is_cve_id(&id) {
        return Err(
            RecordError::new(format!("`{id}` is not a CVE id (CVE-YYYY-NNNN)"))
                .field("cveMetadata.cveId")
                .record(id),
        );
    }
    records(&id, &meta, raw.containers).map_err(|e| e.record(&id))
}

fn records(
    id: &str,
    meta: &RawMetadata,
    containers: Option<RawContainers>,
) -> Result<Vec<VulnRecord>, RecordError> {
    let containers = containers.ok_or_else(|| RecordError::missing("containers"))?;
    let cna = containers
        .cna
        .ok_or_else(|| RecordError::missing("containers.cna"))?;
    let shared = Shared::new(id, meta)?;
    let mut records = vec![shared.record(SourceKind::Cve5Cna, "containers.cna", cna)?];
    for (i, adp) in containers.adp.into_iter().enumerate() {
        let path = format!("containers.adp[{i}]");
        records.push(shared.record(SourceKind::Cve5Adp, &path, adp)?);
    }
    Ok(records)
}

/// Rejects documents that are JSON but not CVE 5 (e.g. an NVD `cve` object),
/// while accepting later 5.x minor versions.
fn check_format(raw: &RawRecord) -> Result<(), RecordError> {
    if let Some(t) = raw.data_type.as_deref()
        && t != "CVE_RECORD"
    {
        return Err(
            RecordError::new(format!("expected `CVE_RECORD`, got `{t}`")).field("dataType"),
        );
    }
    if let Some(v) = raw.data_version.as_deref()
        && v != "5"
        && !v.starts_with("5.")
    {
        return Err(
            RecordError::new(format!("unsupported CVE JSON version `{v}` (expected 5.x)"))
                .field("dataVersion"),
        );
    }
    Ok(())
}

/// `CVE-YYYY-NNNN`, with four or more sequence digits.
fn is_cve_id(s: &str) -> bool {
    let Some((year, seq)) = s.strip_prefix("CVE-").and_then(|r| r.split_once('-')) else {
        return false;
    };
    year.len() == 4 && seq.len() >= 4 && year.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit())
}

/// Normalises an optional timestamp; a present but unreadable one is an error
/// because records are replaced by comparing these values.
fn timestamp(value: Option<&str>, field: &str) -> Result<Option<String>, RecordError> {
    value
        .map(|v| {
            normalize(v).ok_or_else(|| {
                RecordError::new(format!("`{v}` is not an ISO 8601 timestamp")).field(field)
            })
        })
        .transpose()
}

/// What every container's record takes from `cveMetadata`.
struct Shared<'a> {
    id: &'a str,
    state: Option<String>,
    published: Option<String>,
    updated: Option<String>,
}

impl<'a> Shared<'a> {
    fn new(id: &'a str, meta: &RawMetadata) -> Result<Self, RecordError> {
        Ok(Shared {
            id,
            state: meta.state.clone(),
            published: timestamp(meta.date_published.as_deref(), "cveMetadata.datePublished")?,
            updated: timestamp(meta.date_updated.as_deref(), "cveMetadata.dateUpdated")?,
        })
    }

    /// Builds the record of one container; `path` is its JSON path, used to
    /// name fields in errors.
    fn record(
        &self,
        kind: SourceKind,
        path: &str,
        c: RawContainer,
    ) -> Result<VulnRecord, RecordError> {
        let pm = c.provider_metadata.unwrap_or_default();
        let name = provider_name(&pm)
            .ok_or_else(|| RecordError::missing(&format!("{path}.providerMetadata.orgId")))?;
        let container_updated = timestamp(
            pm.date_updated.as_deref(),
            &format!("{path}.providerMetadata.dateUpdated"),
        )?;

        let mut r = VulnRecord::new(self.id, Source::new(kind, name.clone()));
        r.published = self.published.clone();
        r.last_modified = container_updated.or_else(|| self.updated.clone());
        r.status = self.state.clone();
        r.title = c.title;
        // A REJECTED record has no descriptions, only the reasons it was
        // rejected; those are what a reader needs to see.
        r.descriptions = c.descriptions;
        r.descriptions.extend(c.rejected_reasons);
        r.references = c.references.into_iter().map(Reference::from).collect();
        r.weaknesses = weaknesses(&c.problem_types, &name);
        r.cpes = plain_cpes(&c.affected);
        r.affected = c.affected.into_iter().map(Cve5Affected::from).collect();
        r.configurations = c.cpe_applicability;
        for (j, metric) in c.metrics.into_iter().enumerate() {
            let metric_path = format!("{path}.metrics[{j}]");
            add_metric(&mut r, metric, &name, &metric_path)?;
        }
        Ok(r)
    }
}

/// The provider's short name, else its org UUID (a few CNAs omit the name).
fn provider_name(pm: &RawProviderMetadata) -> Option<String> {
    [&pm.short_name, &pm.org_id]
        .into_iter()
        .flatten()
        .find(|s| !s.trim().is_empty())
        .cloned()
}

fn weaknesses(problem_types: &[RawProblemType], source: &str) -> Vec<Weakness> {
    let mut out: Vec<Weakness> = Vec::new();
    for cwe in problem_types
        .iter()
        .flat_map(|p| &p.descriptions)
        .filter_map(|d| d.cwe_id.as_deref())
    {
        if !out.iter().any(|w| w.cwe == cwe) {
            out.push(Weakness {
                source: source.to_string(),
                cwe: cwe.to_string(),
            });
        }
    }
    out
}

/// All `affected[].cpes`, deduplicated, so CPE lookups need not walk the
/// affected entries.
fn plain_cpes(affected: &[RawAffected]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for cpe in affected.iter().flat_map(|a| &a.cpes) {
        if !out.contains(cpe) {
            out.push(cpe.clone());
        }
    }
    out
}

fn add_metric(
    r: &mut VulnRecord,
    m: RawMetric,
    source: &str,
    path: &str,
) -> Result<(), RecordError> {
    let scores = [
        ("2.0", m.cvss_v2_0),
        ("3.0", m.cvss_v3_0),
        ("3.1", m.cvss_v3_1),
        ("4.0", m.cvss_v4_0),
    ];
    for (version, cvss) in scores {
        if let Some(c) = cvss {
            r.cvss.push(CvssMetric {
                source: source.to_string(),
                version: c.version.unwrap_or_else(|| version.to_string()),
                vector: c.vector_string,
                base_score: c.base_score,
                base_severity: c.base_severity,
                kind: None,
            });
        }
    }
    let Some(other) = m.other else {
        return Ok(());
    };
    let content_path = format!("{path}.other.content");
    match other.kind.as_deref() {
        Some("ssvc") if r.ssvc.is_none() => r.ssvc = Some(ssvc(other.content, &content_path)?),
        Some("kev") => r.notes.push(kev_note(other.content, &content_path)?),
        // Other types (CNA severity ratings, ...) carry nothing we model.
        _ => {}
    }
    Ok(())
}

/// CISA writes decision points as single-key objects:
/// `[{"Exploitation": "none"}, {"Automatable": "no"}, {"Technical Impact": "partial"}]`.
fn ssvc(content: serde_json::Value, path: &str) -> Result<Ssvc, RecordError> {
    let c: RawSsvc =
        serde_json::from_value(content).map_err(|e| RecordError::new(e.to_string()).field(path))?;
    let mut s = Ssvc {
        role: c.role,
        version: c.version,
        timestamp: c.timestamp.map(|t| normalize(&t).unwrap_or(t)),
        ..Ssvc::default()
    };
    for (key, value) in c.options.into_iter().flatten() {
        // Match keys ignoring case and spacing: "Technical Impact".
        let key: String = key
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match key.as_str() {
            "exploitation" => s.exploitation = Some(value),
            "automatable" => s.automatable = Some(value),
            "technicalimpact" => s.technical_impact = Some(value),
            _ => {}
        }
    }
    Ok(s)
}

fn kev_note(content: serde_json::Value, path: &str) -> Result<String, RecordError> {
    let c: RawKev =
        serde_json::from_value(content).map_err(|e| RecordError::new(e.to_string()).field(path))?;
    let added = c
        .date_added
        .ok_or_else(|| RecordError::missing(&format!("{path}.dateAdded")))?;
    Ok(match c.reference {
        Some(reference) => format!("CISA KEV: added {added}, {reference}"),
        None => format!("CISA KEV: added {added}"),
    })
}

impl From<RawReference> for Reference {
    fn from(r: RawReference) -> Self {
        Reference {
            url: r.url,
            source: None,
            tags: r.tags,
        }
    }
}

impl From<RawAffected> for Cve5Affected {
    fn from(a: RawAffected) -> Self {
        Cve5Affected {
            vendor: a.vendor,
            product: a.product,
            package_name: a.package_name,
            collection_url: a.collection_url,
            cpes: a.cpes,
            platforms: a.platforms,
            modules: a.modules,
            program_files: a.program_files,
            program_routines: a
                .program_routines
                .into_iter()
                .filter_map(|r| r.name)
                .filter(|n| !n.trim().is_empty())
                .collect(),
            default_status: a.default_status,
            versions: a.versions.into_iter().map(Cve5Version::from).collect(),
        }
    }
}

impl From<RawVersion> for Cve5Version {
    fn from(v: RawVersion) -> Self {
        Cve5Version {
            version: v.version,
            status: v.status,
            version_type: v.version_type,
            less_than: v.less_than,
            less_than_or_equal: v.less_than_or_equal,
        }
    }
}

// The subset of the CVE JSON 5 schema Kensa reads. Unknown fields are ignored
// so newer schema minors keep parsing.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRecord {
    data_type: Option<String>,
    data_version: Option<String>,
    cve_metadata: Option<RawMetadata>,
    containers: Option<RawContainers>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetadata {
    cve_id: Option<String>,
    state: Option<String>,
    date_published: Option<String>,
    date_updated: Option<String>,
}

#[derive(Deserialize)]
struct RawContainers {
    cna: Option<RawContainer>,
    #[serde(default)]
    adp: Vec<RawContainer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawContainer {
    provider_metadata: Option<RawProviderMetadata>,
    title: Option<String>,
    #[serde(default)]
    descriptions: Vec<LangText>,
    #[serde(default)]
    rejected_reasons: Vec<LangText>,
    #[serde(default)]
    metrics: Vec<RawMetric>,
    #[serde(default)]
    problem_types: Vec<RawProblemType>,
    #[serde(default)]
    references: Vec<RawReference>,
    #[serde(default)]
    affected: Vec<RawAffected>,
    /// CVE 5.1: NVD-style applicability nodes, same field names as NVD.
    #[serde(default)]
    cpe_applicability: Vec<Configuration>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawProviderMetadata {
    org_id: Option<String>,
    short_name: Option<String>,
    date_updated: Option<String>,
}

#[derive(Deserialize)]
struct RawMetric {
    #[serde(rename = "cvssV2_0")]
    cvss_v2_0: Option<RawCvss>,
    #[serde(rename = "cvssV3_0")]
    cvss_v3_0: Option<RawCvss>,
    #[serde(rename = "cvssV3_1")]
    cvss_v3_1: Option<RawCvss>,
    #[serde(rename = "cvssV4_0")]
    cvss_v4_0: Option<RawCvss>,
    other: Option<RawOther>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCvss {
    version: Option<String>,
    vector_string: String,
    base_score: Option<f64>,
    base_severity: Option<String>,
}

/// `metrics[].other`: its content's shape depends on `type`, so it is read
/// generically and interpreted only for the types Kensa knows.
#[derive(Deserialize)]
struct RawOther {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    content: serde_json::Value,
}

#[derive(Deserialize)]
struct RawSsvc {
    role: Option<String>,
    version: Option<String>,
    timestamp: Option<String>,
    #[serde(default)]
    options: Vec<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKev {
    date_added: Option<String>,
    reference: Option<String>,
}

#[derive(Deserialize)]
struct RawProblemType {
    #[serde(default)]
    descriptions: Vec<RawProblemDescription>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProblemDescription {
    cwe_id: Option<String>,
}

#[derive(Deserialize)]
struct RawReference {
    url: String,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAffected {
    vendor: Option<String>,
    product: Option<String>,
    package_name: Option<String>,
    #[serde(rename = "collectionURL")]
    collection_url: Option<String>,
    #[serde(default)]
    cpes: Vec<String>,
    #[serde(default)]
    platforms: Vec<String>,
    #[serde(default)]
    modules: Vec<String>,
    #[serde(default)]
    program_files: Vec<String>,
    #[serde(default)]
    program_routines: Vec<RawRoutine>,
    default_status: Option<String>,
    #[serde(default)]
    versions: Vec<RawVersion>,
}

/// `programRoutines[]`: `{"name": "..."}`.
#[derive(Deserialize)]
struct RawRoutine {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawVersion {
    version: String,
    status: String,
    version_type: Option<String>,
    less_than: Option<String>,
    less_than_or_equal: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest document the parser accepts, for error-path tests.
    const MINIMAL: &str = r#"{"dataType":"CVE_RECORD","dataVersion":"5.1",
        "cveMetadata":{"cveId":"CVE-2024-0001","state":"PUBLISHED"},
        "containers":{"cna":{"providerMetadata":{"orgId":"o-1","shortName":"acme"}}}}"#;

    #[test]
    fn minimal_record_parses() {
        let r = parse(MINIMAL.as_bytes()).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].source.key(), "cve5-cna:acme");
    }

    #[test]
    fn program_files_and_routines_are_kept() {
        let doc = MINIMAL.replace(
            r#""shortName":"acme"}"#,
            r#""shortName":"acme"},"affected":[{"vendor":"Linux","product":"Linux",
               "programFiles":["net/can/j1939/transport.c"],
               "programRoutines":[{"name":"j1939_session_tx_dat"},{"name":""}],
               "modules":["j1939"]}]"#,
        );
        let r = parse(doc.as_bytes()).unwrap();
        let a = &r[0].affected[0];
        assert_eq!(a.program_files, ["net/can/j1939/transport.c"]);
        assert_eq!(a.program_routines, ["j1939_session_tx_dat"]);
        assert_eq!(a.modules, ["j1939"]);
    }

    #[test]
    fn cve_id_shape_is_checked() {
        assert!(is_cve_id("CVE-2024-0001"));
        assert!(is_cve_id("CVE-2021-1234567"));
        for bad in [
            "CVE-24-0001",
            "CVE-2024-001",
            "cve-2024-0001",
            "CVE-2024-00a1",
            "GHSA-x",
        ] {
            assert!(!is_cve_id(bad), "{bad}");
        }
        let e = parse(MINIMAL.replace("CVE-2024-0001", "CVE-2024-1").as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("cveMetadata.cveId"), "{e}");
    }

    #[test]
    fn missing_sections_are_named() {
        let e = parse(br#"{"dataType":"CVE_RECORD","containers":{}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("cveMetadata"), "{e}");
        let e = parse(br#"{"cveMetadata":{"cveId":"CVE-2024-0001"},"containers":{"adp":[]}}"#)
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("containers.cna"), "{e}");
        assert_eq!(e.record.as_deref(), Some("CVE-2024-0001"));
        let e = parse(br#"{"cveMetadata":{"state":"PUBLISHED"},"containers":{}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("cveMetadata.cveId"), "{e}");
    }

    #[test]
    fn wrong_types_and_formats_name_the_field() {
        let doc = MINIMAL.replace(
            r#""shortName":"acme"}"#,
            r#""shortName":"acme"},"affected":[{"versions":[{"version":"1","status":7}]}]"#,
        );
        let e = parse(doc.as_bytes()).unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("containers.cna.affected[0].versions[0].status"),
            "{e}"
        );
        let e = parse(MINIMAL.replace("CVE_RECORD", "NVD_CVE").as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("dataType"), "{e}");
        let e = parse(MINIMAL.replace("\"5.1\"", "\"4.0\"").as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("dataVersion"), "{e}");
    }

    #[test]
    fn bad_timestamp_and_ssvc_content_name_the_field() {
        let doc = MINIMAL.replace(r#""state""#, r#""datePublished":"soon","state""#);
        let e = parse(doc.as_bytes()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("cveMetadata.datePublished"), "{e}");

        let doc = MINIMAL.replace(
            r#""shortName":"acme"}"#,
            r#""shortName":"acme"},"metrics":[{"other":{"type":"ssvc","content":{"options":"none"}}}]"#,
        );
        let e = parse(doc.as_bytes()).unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("containers.cna.metrics[0].other.content"),
            "{e}"
        );
    }

    #[test]
    fn provider_without_names_is_an_error() {
        let doc = MINIMAL.replace(r#""orgId":"o-1","shortName":"acme""#, "");
        let e = parse(doc.as_bytes()).unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("containers.cna.providerMetadata.orgId"),
            "{e}"
        );
    }
}
