//! Per-CVE signal feeds: CISA KEV and FIRST EPSS.

use serde::{Deserialize, Serialize};

/// One entry of CISA's Known Exploited Vulnerabilities catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    pub cve_id: String,
    pub vendor_project: String,
    pub product: String,
    pub vulnerability_name: String,
    /// YYYY-MM-DD
    pub date_added: String,
    pub short_description: String,
    pub required_action: String,
    /// YYYY-MM-DD
    pub due_date: String,
    /// "Known" or "Unknown".
    pub known_ransomware_campaign_use: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
}

/// One row of FIRST's daily EPSS file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    pub cve_id: String,
    /// Probability of exploitation activity in the next 30 days, 0..=1.
    pub epss: f64,
    pub percentile: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    /// YYYY-MM-DD
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_date: Option<String>,
}
