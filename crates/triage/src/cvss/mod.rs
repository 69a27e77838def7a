//! CVSS calculators for v2, v3.0, v3.1 and v4.0: parse a vector string,
//! then score it (base; v2/v3 temporal and environmental; v4 threat and
//! environmental, i.e. CVSS-B, -BT, -BE and -BTE).

mod metrics;
mod v2;
mod v3;
mod v4;

use serde::{Deserialize, Serialize};

use metrics::Metrics;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CvssVersion {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "3.0")]
    V3_0,
    #[serde(rename = "3.1")]
    V3_1,
    #[serde(rename = "4.0")]
    V4_0,
}

impl CvssVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V3_0 => "3.0",
            CvssVersion::V3_1 => "3.1",
            CvssVersion::V4_0 => "4.0",
        }
    }

    /// "2.0", "2", "3.0", "3.1", "4.0", "4" (how feeds label versions).
    pub fn parse(s: &str) -> Option<CvssVersion> {
        match s.trim() {
            "2" | "2.0" => Some(CvssVersion::V2),
            "3.0" => Some(CvssVersion::V3_0),
            "3.1" => Some(CvssVersion::V3_1),
            "4" | "4.0" => Some(CvssVersion::V4_0),
            _ => None,
        }
    }
}

impl std::fmt::Display for CvssVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A malformed vector, naming the vector and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CVSS vector `{vector}`: {kind}")]
pub struct CvssError {
    pub vector: String,
    pub kind: CvssErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssErrorKind {
    #[error(
        "unknown version prefix `{0}` (expected CVSS:3.0/, CVSS:3.1/, CVSS:4.0/ or a bare v2 vector)"
    )]
    UnknownVersion(String),
    #[error("the vector says CVSS {found} but the source labels it {declared}")]
    VersionMismatch { declared: String, found: String },
    #[error("{0}")]
    Malformed(String),
    #[error("unknown metric `{metric}`; this version defines {known}")]
    UnknownMetric { metric: String, known: String },
    #[error("metric {metric} ({name}) has no value `{value}`; valid values: {valid}")]
    InvalidValue {
        metric: String,
        name: String,
        value: String,
        valid: String,
    },
    #[error("metric {0} appears twice")]
    Duplicate(String),
    #[error("required metric {metric} ({name}) is missing")]
    Missing { metric: String, name: String },
}

/// The scores of one vector. `temporal` is v2/v3's temporal score and v4's
/// CVSS-BT (threat); `environmental` is v2/v3's environmental score and
/// v4's CVSS-BE/BTE. Each is present only when the vector (or an applied
/// environment) defines a metric of that group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    pub base: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporal: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environmental: Option<f64>,
}

impl Scores {
    /// The most specific score: environmental, else temporal, else base.
    pub fn effective(&self) -> f64 {
        self.environmental.or(self.temporal).unwrap_or(self.base)
    }
}

/// Qualitative rating (v3/v4 table; v2 used the same bands in NVD).
pub fn severity(score: f64) -> &'static str {
    if score <= 0.0 {
        "none"
    } else if score < 4.0 {
        "low"
    } else if score < 7.0 {
        "medium"
    } else if score < 9.0 {
        "high"
    } else {
        "critical"
    }
}

/// A parsed CVSS vector of any supported version.
#[derive(Debug, Clone)]
pub struct CvssVector {
    version: CvssVersion,
    metrics: Metrics,
}

impl CvssVector {
    /// Parses a vector, taking the version from its prefix (`CVSS:3.1/…`);
    /// a vector without prefix is v2, as NVD writes them (an optional
    /// `(…)` wrapper and `CVSS:2.0/` prefix are accepted too).
    pub fn parse(vector: &str) -> Result<CvssVector, CvssError> {
        let trimmed = vector.trim();
        let err = |kind| CvssError {
            vector: vector.to_string(),
            kind,
        };
        if trimmed.is_empty() {
            return Err(err(CvssErrorKind::Malformed("the vector is empty".into())));
        }
        let (version, body) = if let Some(rest) = trimmed.strip_prefix("CVSS:") {
            let (v, body) = rest.split_once('/').unwrap_or((rest, ""));
            let version = match v {
                "2.0" => CvssVersion::V2,
                "3.0" => CvssVersion::V3_0,
                "3.1" => CvssVersion::V3_1,
                "4.0" => CvssVersion::V4_0,
                _ => return Err(err(CvssErrorKind::UnknownVersion(format!("CVSS:{v}")))),
            };
            (version, body)
        } else {
            let body = trimmed
                .strip_prefix('(')
                .and_then(|b| b.strip_suffix(')'))
                .unwrap_or(trimmed);
            (CvssVersion::V2, body)
        };
        let defs = match version {
            CvssVersion::V2 => v2::DEFS,
            CvssVersion::V3_0 | CvssVersion::V3_1 => v3::DEFS,
            CvssVersion::V4_0 => v4::DEFS,
        };
        Ok(CvssVector {
            version,
            metrics: Metrics::parse(vector, body, defs)?,
        })
    }

    /// Parses a vector that a source labels with `declared` ("3.1", "2.0",
    /// …), and checks that the vector agrees.
    /// A v3/v4 vector that lacks its prefix is read as the labelled version
    /// (some CNAs publish `AV:N/AC:L/PR:N/...` under `cvssV3_1`).
    pub fn parse_labelled(declared: &str, vector: &str) -> Result<CvssVector, CvssError> {
        let label = CvssVersion::parse(declared);
        let trimmed = vector.trim();
        let parsed = match label {
            Some(v) if v != CvssVersion::V2 && !trimmed.starts_with("CVSS:") => {
                let prefixed = format!("CVSS:{v}/{trimmed}");
                CvssVector::parse(&prefixed).map_err(|e| CvssError {
                    vector: vector.to_string(),
                    kind: e.kind,
                })?
            }
            _ => CvssVector::parse(vector)?,
        };
        match label {
            Some(v) if v != parsed.version => Err(CvssError {
                vector: vector.to_string(),
                kind: CvssErrorKind::VersionMismatch {
                    declared: declared.to_string(),
                    found: parsed.version.to_string(),
                },
            }),
            _ => Ok(parsed),
        }
    }

    pub fn version(&self) -> CvssVersion {
        self.version
    }

    /// The value of a metric (`"AV"`, `"E"`, …), if this version defines it.
    pub fn get(&self, key: &str) -> Option<&'static str> {
        let defs = match self.version {
            CvssVersion::V2 => v2::DEFS,
            CvssVersion::V3_0 | CvssVersion::V3_1 => v3::DEFS,
            CvssVersion::V4_0 => v4::DEFS,
        };
        defs.iter()
            .any(|d| d.key == key)
            .then(|| self.metrics.get(key))
    }

    /// Sets a metric (an environmental one, typically), checking the value.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), CvssError> {
        self.metrics.set(key, value).map_err(|kind| CvssError {
            vector: self.to_string(),
            kind,
        })
    }

    pub fn scores(&self) -> Scores {
        match self.version {
            CvssVersion::V2 => v2::scores(&self.metrics),
            CvssVersion::V3_0 => v3::scores(&self.metrics, v3::Minor::V30),
            CvssVersion::V3_1 => v3::scores(&self.metrics, v3::Minor::V31),
            CvssVersion::V4_0 => v4::scores(&self.metrics),
        }
    }

    pub fn base_score(&self) -> f64 {
        self.scores().base
    }
}

impl std::fmt::Display for CvssVector {
    /// The vector in canonical form: specification order, Not Defined
    /// metrics left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.version {
            CvssVersion::V2 => f.write_str(&self.metrics.render(false)),
            v => write!(f, "CVSS:{v}/{}", self.metrics.render(false)),
        }
    }
}

#[cfg(test)]
mod tests;
