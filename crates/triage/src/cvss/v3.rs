//! CVSS v3.0 and v3.1 (specification section 7 equations). The versions
//! differ in Roundup and in the changed-scope modified impact.

use super::Scores;
use super::metrics::{MetricDef, Metrics, opt, req};

pub(crate) static DEFS: &[MetricDef] = &[
    req("AV", "Attack Vector", &["N", "A", "L", "P"]),
    req("AC", "Attack Complexity", &["L", "H"]),
    req("PR", "Privileges Required", &["N", "L", "H"]),
    req("UI", "User Interaction", &["N", "R"]),
    req("S", "Scope", &["U", "C"]),
    req("C", "Confidentiality", &["H", "L", "N"]),
    req("I", "Integrity", &["H", "L", "N"]),
    req("A", "Availability", &["H", "L", "N"]),
    opt("E", "Exploit Code Maturity", &["X", "U", "P", "F", "H"]),
    opt("RL", "Remediation Level", &["X", "O", "T", "W", "U"]),
    opt("RC", "Report Confidence", &["X", "U", "R", "C"]),
    opt("CR", "Confidentiality Requirement", &["X", "L", "M", "H"]),
    opt("IR", "Integrity Requirement", &["X", "L", "M", "H"]),
    opt("AR", "Availability Requirement", &["X", "L", "M", "H"]),
    opt("MAV", "Modified Attack Vector", &["X", "N", "A", "L", "P"]),
    opt("MAC", "Modified Attack Complexity", &["X", "L", "H"]),
    opt("MPR", "Modified Privileges Required", &["X", "N", "L", "H"]),
    opt("MUI", "Modified User Interaction", &["X", "N", "R"]),
    opt("MS", "Modified Scope", &["X", "U", "C"]),
    opt("MC", "Modified Confidentiality", &["X", "H", "L", "N"]),
    opt("MI", "Modified Integrity", &["X", "H", "L", "N"]),
    opt("MA", "Modified Availability", &["X", "H", "L", "N"]),
];

const TEMPORAL: &[&str] = &["E", "RL", "RC"];
const ENVIRONMENTAL: &[&str] = &[
    "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
];

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Minor {
    V30,
    V31,
}

pub(crate) fn scores(m: &Metrics, minor: Minor) -> Scores {
    let base = base_score(m, minor);
    let temporal = TEMPORAL
        .iter()
        .any(|k| m.is_defined(k))
        .then(|| roundup(base * temporal_multiplier(m), minor));
    let environmental = ENVIRONMENTAL
        .iter()
        .any(|k| m.is_defined(k))
        .then(|| environmental_score(m, minor));
    Scores {
        base,
        temporal,
        environmental,
    }
}

fn base_score(m: &Metrics, minor: Minor) -> f64 {
    let changed = m.get("S") == "C";
    let iss = 1.0 - (1.0 - cia(m.get("C"))) * (1.0 - cia(m.get("I"))) * (1.0 - cia(m.get("A")));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22
        * attack_vector(m.get("AV"))
        * attack_complexity(m.get("AC"))
        * privileges(m.get("PR"), changed)
        * user_interaction(m.get("UI"));
    if impact <= 0.0 {
        0.0
    } else if changed {
        roundup((1.08 * (impact + exploitability)).min(10.0), minor)
    } else {
        roundup((impact + exploitability).min(10.0), minor)
    }
}

fn environmental_score(m: &Metrics, minor: Minor) -> f64 {
    // A modified metric left Not Defined takes the base value.
    let pick = |modified: &str, base: &str| {
        let v = m.get(modified);
        if v == "X" { m.get(base) } else { v }
    };
    let changed = pick("MS", "S") == "C";
    let miss = (1.0
        - (1.0 - requirement(m.get("CR")) * cia(pick("MC", "C")))
            * (1.0 - requirement(m.get("IR")) * cia(pick("MI", "I")))
            * (1.0 - requirement(m.get("AR")) * cia(pick("MA", "A"))))
    .min(0.915);
    let impact = if changed {
        match minor {
            Minor::V30 => 7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powi(15),
            Minor::V31 => 7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powi(13),
        }
    } else {
        6.42 * miss
    };
    let exploitability = 8.22
        * attack_vector(pick("MAV", "AV"))
        * attack_complexity(pick("MAC", "AC"))
        * privileges(pick("MPR", "PR"), changed)
        * user_interaction(pick("MUI", "UI"));
    if impact <= 0.0 {
        return 0.0;
    }
    let combined = if changed {
        roundup((1.08 * (impact + exploitability)).min(10.0), minor)
    } else {
        roundup((impact + exploitability).min(10.0), minor)
    };
    roundup(combined * temporal_multiplier(m), minor)
}

fn temporal_multiplier(m: &Metrics) -> f64 {
    let e = match m.get("E") {
        "U" => 0.91,
        "P" => 0.94,
        "F" => 0.97,
        _ => 1.0,
    };
    let rl = match m.get("RL") {
        "O" => 0.95,
        "T" => 0.96,
        "W" => 0.97,
        _ => 1.0,
    };
    let rc = match m.get("RC") {
        "U" => 0.92,
        "R" => 0.96,
        _ => 1.0,
    };
    e * rl * rc
}

fn attack_vector(v: &str) -> f64 {
    match v {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2,
    }
}

fn attack_complexity(v: &str) -> f64 {
    if v == "L" { 0.77 } else { 0.44 }
}

fn privileges(v: &str, changed: bool) -> f64 {
    match (v, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    }
}

fn user_interaction(v: &str) -> f64 {
    if v == "N" { 0.85 } else { 0.62 }
}

fn cia(v: &str) -> f64 {
    match v {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0,
    }
}

fn requirement(v: &str) -> f64 {
    match v {
        "L" => 0.5,
        "H" => 1.5,
        _ => 1.0,
    }
}

/// The smallest one-decimal number not below `x`. v3.1 specifies an
/// integer-based Roundup (Appendix A) so that 4.000000000000001 is 4.0;
/// v3.0 specified a plain ceiling.
fn roundup(x: f64, minor: Minor) -> f64 {
    match minor {
        Minor::V31 => {
            let int_input = (x * 100_000.0).round() as i64;
            if int_input % 10_000 == 0 {
                int_input as f64 / 100_000.0
            } else {
                ((int_input / 10_000) + 1) as f64 / 10.0
            }
        }
        Minor::V30 => (x * 10.0).ceil() / 10.0,
    }
}
