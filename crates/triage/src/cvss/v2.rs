//! CVSS v2 (the v2 guide, section 3.2 equations).

use super::Scores;
use super::metrics::{MetricDef, Metrics, opt, req};

pub(crate) static DEFS: &[MetricDef] = &[
    req("AV", "Access Vector", &["L", "A", "N"]),
    req("AC", "Access Complexity", &["H", "M", "L"]),
    req("Au", "Authentication", &["M", "S", "N"]),
    req("C", "Confidentiality Impact", &["N", "P", "C"]),
    req("I", "Integrity Impact", &["N", "P", "C"]),
    req("A", "Availability Impact", &["N", "P", "C"]),
    opt("E", "Exploitability", &["ND", "U", "POC", "F", "H"]),
    opt("RL", "Remediation Level", &["ND", "OF", "TF", "W", "U"]),
    opt("RC", "Report Confidence", &["ND", "UC", "UR", "C"]),
    opt(
        "CDP",
        "Collateral Damage Potential",
        &["ND", "N", "L", "LM", "MH", "H"],
    ),
    opt("TD", "Target Distribution", &["ND", "N", "L", "M", "H"]),
    opt("CR", "Confidentiality Requirement", &["ND", "L", "M", "H"]),
    opt("IR", "Integrity Requirement", &["ND", "L", "M", "H"]),
    opt("AR", "Availability Requirement", &["ND", "L", "M", "H"]),
];

const TEMPORAL: &[&str] = &["E", "RL", "RC"];
const ENVIRONMENTAL: &[&str] = &["CDP", "TD", "CR", "IR", "AR"];

pub(crate) fn scores(m: &Metrics) -> Scores {
    let base = base_score(m, impact(m, false));
    let temporal = TEMPORAL
        .iter()
        .any(|k| m.is_defined(k))
        .then(|| temporal_score(m, base));
    let environmental = ENVIRONMENTAL
        .iter()
        .any(|k| m.is_defined(k))
        .then(|| environmental_score(m));
    Scores {
        base,
        temporal,
        environmental,
    }
}

fn impact(m: &Metrics, adjusted: bool) -> f64 {
    let req = |k| if adjusted { requirement(m.get(k)) } else { 1.0 };
    let c = cia(m.get("C")) * req("CR");
    let i = cia(m.get("I")) * req("IR");
    let a = cia(m.get("A")) * req("AR");
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    // Only the adjusted impact is capped: the base equation lets C:C/I:C/A:C
    // reach 10.0008, and NVD's scores (AV:L/AC:L/Au:N/C:C/I:C/A:C = 7.2) keep it.
    if adjusted { impact.min(10.0) } else { impact }
}

fn base_score(m: &Metrics, impact: f64) -> f64 {
    let exploitability =
        20.0 * match m.get("AV") {
            "L" => 0.395,
            "A" => 0.646,
            _ => 1.0,
        } * match m.get("AC") {
            "H" => 0.35,
            "M" => 0.61,
            _ => 0.71,
        } * match m.get("Au") {
            "M" => 0.45,
            "S" => 0.56,
            _ => 0.704,
        };
    let f = if impact == 0.0 { 0.0 } else { 1.176 };
    round1((0.6 * impact + 0.4 * exploitability - 1.5) * f)
}

fn temporal_score(m: &Metrics, base: f64) -> f64 {
    let e = match m.get("E") {
        "U" => 0.85,
        "POC" => 0.9,
        "F" => 0.95,
        _ => 1.0,
    };
    let rl = match m.get("RL") {
        "OF" => 0.87,
        "TF" => 0.9,
        "W" => 0.95,
        _ => 1.0,
    };
    let rc = match m.get("RC") {
        "UC" => 0.9,
        "UR" => 0.95,
        _ => 1.0,
    };
    round1(base * e * rl * rc)
}

fn environmental_score(m: &Metrics) -> f64 {
    let adjusted_base = base_score(m, impact(m, true));
    let adjusted_temporal = temporal_score(m, adjusted_base);
    let cdp = match m.get("CDP") {
        "L" => 0.1,
        "LM" => 0.3,
        "MH" => 0.4,
        "H" => 0.5,
        _ => 0.0,
    };
    let td = match m.get("TD") {
        "N" => 0.0,
        "L" => 0.25,
        "M" => 0.75,
        _ => 1.0,
    };
    round1((adjusted_temporal + (10.0 - adjusted_temporal) * cdp) * td)
}

fn cia(v: &str) -> f64 {
    match v {
        "P" => 0.275,
        "C" => 0.66,
        _ => 0.0,
    }
}

fn requirement(v: &str) -> f64 {
    match v {
        "L" => 0.5,
        "H" => 1.51,
        _ => 1.0,
    }
}

/// v2 rounds to one decimal, half up. The small offset absorbs binary
/// representation error (6.45 stored as 6.4499999…).
fn round1(x: f64) -> f64 {
    ((x * 10.0) + 1e-9).round() / 10.0
}
