//! One vulnerability as one source describes it.

use serde::{Deserialize, Serialize};

use crate::advisory::CsafVulnInfo;
use crate::cpe::Configuration;

/// The family of feed a record came from. Stored as its `as_str` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// NVD CVE API 2.0 (`cve` objects, API pages, yearly feeds).
    Nvd,
    /// NVD-format configurations curated by a third party (e.g. Anchore).
    NvdOverride,
    /// The CNA container of a CVE JSON 5 record.
    Cve5Cna,
    /// An ADP container of a CVE JSON 5 record (e.g. CISA-ADP vulnrichment).
    Cve5Adp,
    /// An OSV record (GHSA, PYSEC, ...).
    Osv,
    /// A vulnerability inside a CSAF 2.0 advisory.
    Csaf,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Nvd => "nvd",
            SourceKind::NvdOverride => "nvd-override",
            SourceKind::Cve5Cna => "cve5-cna",
            SourceKind::Cve5Adp => "cve5-adp",
            SourceKind::Osv => "osv",
            SourceKind::Csaf => "csaf",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "nvd" => SourceKind::Nvd,
            "nvd-override" => SourceKind::NvdOverride,
            "cve5-cna" => SourceKind::Cve5Cna,
            "cve5-adp" => SourceKind::Cve5Adp,
            "osv" => SourceKind::Osv,
            "csaf" => SourceKind::Csaf,
            _ => return None,
        })
    }
}

/// Who said it: the feed family plus the organisation or document inside it
/// (`nvd@nist.gov`, `CISA-ADP`, `ICSA-24-200-01`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Source {
    pub kind: SourceKind,
    pub name: String,
}

impl Source {
    pub fn new(kind: SourceKind, name: impl Into<String>) -> Self {
        Source {
            kind,
            name: name.into(),
        }
    }

    /// The stable key the store uses: `kind:name`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.name)
    }
}

/// A vulnerability as described by one source. Sections a source does not
/// provide stay empty; the store merges nothing, so every statement keeps its
/// provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnRecord {
    pub id: String,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Normalised RFC 3339 UTC (see [`crate::time::normalize`]); a newer value
    /// replaces an older record from the same source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub descriptions: Vec<LangText>,
    /// Remarks of the source about its own statement (an override's reason,
    /// a CSAF note), kept apart from the descriptions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<CvssMetric>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weaknesses: Vec<Weakness>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// CPE applicability statements (NVD, overrides).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub configurations: Vec<Configuration>,
    /// Plain CPE names a source attaches without a tree (CVE 5 `cpes`, CISA-ADP).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpes: Vec<String>,
    /// CVE JSON 5 `affected` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Cve5Affected>,
    /// OSV `affected` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub osv_affected: Vec<OsvAffected>,
    /// CISA ADP SSVC decision points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssvc: Option<Ssvc>,
    /// CSAF product status, remediations and scores, when the source is CSAF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csaf: Option<CsafVulnInfo>,
}

impl VulnRecord {
    pub fn new(id: impl Into<String>, source: Source) -> Self {
        VulnRecord {
            id: id.into(),
            source,
            aliases: Vec::new(),
            published: None,
            last_modified: None,
            status: None,
            title: None,
            descriptions: Vec::new(),
            notes: Vec::new(),
            cvss: Vec::new(),
            weaknesses: Vec::new(),
            references: Vec::new(),
            configurations: Vec::new(),
            cpes: Vec::new(),
            affected: Vec::new(),
            osv_affected: Vec::new(),
            ssvc: None,
            csaf: None,
        }
    }

    /// The English description, falling back to the first one given.
    pub fn description(&self, lang: &str) -> Option<&str> {
        self.descriptions
            .iter()
            .find(|d| d.lang == lang || d.lang.starts_with(&format!("{lang}-")))
            .or_else(|| self.descriptions.first())
            .map(|d| d.value.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LangText {
    pub lang: String,
    pub value: String,
}

/// A CVSS vector exactly as a source gave it, with the score it published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssMetric {
    /// Who scored it (`nvd@nist.gov`, a CNA, `CISA-ADP`, ...).
    pub source: String,
    /// "2.0", "3.0", "3.1" or "4.0".
    pub version: String,
    pub vector: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_severity: Option<String>,
    /// NVD's Primary/Secondary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weakness {
    pub source: String,
    /// `CWE-79`, or NVD's `NVD-CWE-Other` / `NVD-CWE-noinfo`.
    pub cwe: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A CVE JSON 5 `affected` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Cve5Affected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
    /// Source files the flaw is in (`programFiles`; the Linux kernel CNA
    /// lists the files its fix touches).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub program_files: Vec<String>,
    /// Functions or methods the flaw is in (`programRoutines[].name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub program_routines: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<Cve5Version>,
}

/// A CVE JSON 5 version entry: a single version or a range with
/// `lessThan` / `lessThanOrEqual`, and its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Cve5Version {
    pub version: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub less_than: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub less_than_or_equal: Option<String>,
}

/// An OSV `affected` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OsvAffected {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<OsvRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OsvRange {
    /// SEMVER, ECOSYSTEM or GIT.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    pub events: Vec<OsvEvent>,
}

/// One OSV range event; exactly one of the fields is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OsvEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// SSVC decision points as CISA's ADP publishes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Ssvc {
    /// none / poc / active
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploitation: Option<String>,
    /// yes / no
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automatable: Option<String>,
    /// partial / total
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technical_impact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
}
