//! CSAF 2.0 advisories, reduced to what matching and VEX need.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::vuln::VulnRecord;

/// One CSAF document: its header, its flattened product tree, and one
/// [`VulnRecord`] per entry of `vulnerabilities`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsafDocument {
    /// `document.tracking.id`, unique per publisher.
    pub tracking_id: String,
    pub publisher: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher_namespace: Option<String>,
    pub title: String,
    /// csaf_security_advisory, csaf_vex, csaf_base, ...
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_release_date: Option<String>,
    /// Normalised; a newer value replaces the stored document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_release_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    pub products: Vec<CsafProduct>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<CsafRelationship>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerabilities: Vec<VulnRecord>,
}

/// A product of the product tree, with the branch path that led to it
/// flattened into vendor / product name / version fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CsafProduct {
    pub product_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_family: Option<String>,
    /// An exact version (`product_version` branch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// A `product_version_range` branch: a vers string (`vers:generic/<1.2`)
    /// or free text such as "all versions" / "<=V2.8".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_range: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serial_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsafRelationship {
    /// default_component_of, installed_on, ...
    pub category: String,
    pub product_reference: String,
    pub relates_to_product_reference: String,
    pub product_id: String,
    pub name: String,
}

/// CSAF-specific parts of one vulnerability entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CsafVulnInfo {
    /// `known_affected` → product ids, etc.
    pub product_status: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remediations: Vec<Remediation>,
    /// VEX flags: label → product ids.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flags: BTreeMap<String, Vec<String>>,
    /// `threats` of category `exploit_status`: what the publisher says of
    /// the vulnerability's exploitation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exploit_status: Vec<ExploitStatus>,
}

/// A CSAF `threats` entry of category `exploit_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploitStatus {
    pub details: String,
    /// When the publisher stated it (RFC 3339), if it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remediation {
    /// vendor_fix, mitigation, workaround, none_available, no_fix_planned
    pub category: String,
    pub details: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}
