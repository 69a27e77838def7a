//! The 0–100 priority: a sum of documented contributions, one per signal,
//! clamped and rounded. The weights make active exploitation dominate:
//! an exploited finding (45 points) outranks any finding that is neither
//! exploited nor automatable with an equal or lower CVSS score, whose other
//! signals together add at most 33.5 (PoC 6, EPSS 8, total impact 3,
//! SSVC decision 4.5, context 12) — whatever the two products' profiles.

use serde::{Deserialize, Serialize};

use crate::profile::{SafetyImpact, SystemExposure};

/// Points per CVSS score point (0–30 in all).
pub const PER_CVSS_POINT: f64 = 3.0;
/// The score assumed when no source gives a vector.
pub const ASSUMED_CVSS: f64 = 5.0;
pub const ACTIVE_EXPLOITATION: f64 = 45.0;
pub const PUBLIC_POC: f64 = 6.0;
pub const RANSOMWARE: f64 = 3.0;
pub const AUTOMATABLE: f64 = 8.0;
/// EPSS: this many points × percentile, plus [`EPSS_PROBABILITY`] × probability.
pub const EPSS_PERCENTILE: f64 = 3.0;
pub const EPSS_PROBABILITY: f64 = 5.0;
pub const TOTAL_IMPACT: f64 = 3.0;
/// Per step of SSVC urgency (0–3).
pub const PER_DECISION_STEP: f64 = 1.5;
pub const NOT_FIELD_PATCHABLE: f64 = 2.0;

/// The most a finding that is neither exploited nor automatable can gain
/// beyond its CVSS points; [`ACTIVE_EXPLOITATION`] exceeds it.
pub const MAX_WITHOUT_EXPLOITATION: f64 = PUBLIC_POC
    + EPSS_PERCENTILE
    + EPSS_PROBABILITY
    + TOTAL_IMPACT
    + 3.0 * PER_DECISION_STEP
    + 4.0
    + 6.0
    + NOT_FIELD_PATCHABLE;

// The dominance the weights promise, checked when the crate compiles.
const _: () = assert!(ACTIVE_EXPLOITATION > MAX_WITHOUT_EXPLOITATION + 1.0);

pub fn exposure_points(e: SystemExposure) -> f64 {
    match e {
        SystemExposure::Small => 0.0,
        SystemExposure::Controlled => 2.0,
        SystemExposure::Open => 4.0,
    }
}

pub fn safety_points(s: SafetyImpact) -> f64 {
    match s {
        SafetyImpact::None => 0.0,
        SafetyImpact::Minor => 1.0,
        SafetyImpact::Major => 3.0,
        SafetyImpact::Hazardous => 5.0,
        SafetyImpact::Catastrophic => 6.0,
    }
}

/// What the priority is computed from, already interpreted.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorityInputs {
    /// The CVSS score in use (environmental when the profile sets one).
    pub cvss: Option<f64>,
    /// SSVC exploitation: "none", "poc" or "active".
    pub exploitation: &'static str,
    /// Where it came from: `kev`, `csaf`, `cisa-adp` or `assumed`.
    pub exploitation_from: &'static str,
    pub in_kev: bool,
    pub ransomware: bool,
    pub automatable: bool,
    /// (probability, percentile)
    pub epss: Option<(f64, f64)>,
    pub total_impact: bool,
    /// The SSVC outcome's urgency, 0 (Defer/Track) to 3 (Immediate/Act).
    pub decision_urgency: usize,
    pub decision: String,
    pub exposure: SystemExposure,
    pub safety: SafetyImpact,
    pub field_patchable: bool,
}

/// How one signal moved the priority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub signal: String,
    pub points: f64,
    pub why: String,
}

fn c(signal: &str, points: f64, why: String) -> Contribution {
    Contribution {
        signal: signal.to_string(),
        points: (points * 100.0).round() / 100.0,
        why,
    }
}

/// The priority and its breakdown (every signal, also those that added 0).
pub fn priority(i: &PriorityInputs) -> (u8, Vec<Contribution>) {
    let mut parts = Vec::new();
    parts.push(match i.cvss {
        Some(score) => c(
            "cvss",
            PER_CVSS_POINT * score,
            format!("{PER_CVSS_POINT} × CVSS {score:.1}"),
        ),
        None => c(
            "cvss",
            PER_CVSS_POINT * ASSUMED_CVSS,
            format!("no CVSS vector from any source: {ASSUMED_CVSS} assumed"),
        ),
    });
    parts.push(match i.exploitation {
        "active" => c(
            "exploitation",
            ACTIVE_EXPLOITATION,
            match (i.in_kev, i.exploitation_from) {
                (true, _) => "actively exploited (CISA KEV)".into(),
                (false, "csaf") => "actively exploited (a CSAF advisory's exploit status)".into(),
                _ => "actively exploited (CISA ADP SSVC)".into(),
            },
        ),
        "poc" => c("exploitation", PUBLIC_POC, "public proof of concept".into()),
        _ => c("exploitation", 0.0, "no evidence of exploitation".into()),
    });
    if i.ransomware {
        parts.push(c(
            "ransomware",
            RANSOMWARE,
            "known ransomware campaign use (CISA KEV)".into(),
        ));
    }
    parts.push(if i.automatable {
        c(
            "automatable",
            AUTOMATABLE,
            "exploitation can be automated".into(),
        )
    } else {
        c("automatable", 0.0, "not automatable".into())
    });
    parts.push(match i.epss {
        Some((p, pct)) => c(
            "epss",
            EPSS_PERCENTILE * pct + EPSS_PROBABILITY * p,
            format!("{EPSS_PERCENTILE} × percentile {pct} + {EPSS_PROBABILITY} × probability {p}"),
        ),
        None => c("epss", 0.0, "no EPSS score".into()),
    });
    parts.push(if i.total_impact {
        c(
            "technical_impact",
            TOTAL_IMPACT,
            "total technical impact".into(),
        )
    } else {
        c("technical_impact", 0.0, "partial technical impact".into())
    });
    parts.push(c(
        "ssvc",
        PER_DECISION_STEP * i.decision_urgency as f64,
        format!("SSVC decision {}", i.decision),
    ));
    parts.push(c(
        "exposure",
        exposure_points(i.exposure),
        format!("system exposure {:?}", i.exposure).to_lowercase(),
    ));
    parts.push(c(
        "safety",
        safety_points(i.safety),
        format!("safety impact {:?}", i.safety).to_lowercase(),
    ));
    parts.push(if i.field_patchable {
        c(
            "field_patchable",
            0.0,
            "fixes can be installed in the field".into(),
        )
    } else {
        c(
            "field_patchable",
            NOT_FIELD_PATCHABLE,
            "fixes cannot be installed in the field".into(),
        )
    });
    let total: f64 = parts.iter().map(|p| p.points).sum();
    (total.round().clamp(0.0, 100.0) as u8, parts)
}

#[cfg(test)]
mod tests;
