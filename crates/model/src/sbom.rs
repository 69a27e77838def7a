//! A product's software bill of materials, reduced to what matching needs.

use serde::{Deserialize, Serialize};

/// The SBOM standards Kensa reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SbomFormat {
    CyclonedxJson,
    CyclonedxXml,
    SpdxJson,
    SpdxTagValue,
}

/// One SBOM document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sbom {
    pub format: SbomFormat,
    /// "1.5", "SPDX-2.3", ...
    pub spec_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// The product the SBOM describes (CycloneDX `metadata.component`, SPDX
    /// `documentDescribes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Component>,
    /// Every component, nested ones flattened (their `parent` says where
    /// they sat).
    pub components: Vec<Component>,
    /// `ref` depends on each of `depends_on`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
    /// Deviations tolerated in lenient mode, each with its place.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One component (CycloneDX component, SPDX package).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Component {
    /// CycloneDX `bom-ref` or SPDX `SPDXID`; synthesised when absent.
    pub bom_ref: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// CycloneDX `group` (Maven groupId, npm scope, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// library, application, firmware, operating-system, device, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// CPE 2.3 names (CycloneDX has one, SPDX may list several).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// bom-ref of the component this one is nested in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// name → value (CycloneDX properties, SPDX annotations of that form).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub r#ref: String,
    pub depends_on: Vec<String>,
}
