//! The tests about scores: 6.1.7 (one score per CVSS version and
//! product), 6.1.8 (FIRST's schema), 6.1.9 (scores computed right, with
//! kensa-triage's calculators), 6.1.10 (properties agree with the
//! vector), 6.2.19 (fixed products score 0), 6.3.1 and 6.3.2.

use std::collections::BTreeSet;

use kensa_triage::cvss::{CvssVector, Scores, severity};
use serde_json::Value;

use super::doc::{self, items, text};
use super::{Finding, Group, finding, schema};

/// Each score object of each vulnerability: (path, the score item).
fn scores(doc: &Value) -> impl Iterator<Item = (usize, usize, &Value)> {
    items(doc, "vulnerabilities")
        .iter()
        .enumerate()
        .flat_map(|(vi, v)| {
            items(v, "scores")
                .iter()
                .enumerate()
                .map(move |(si, s)| (vi, si, s))
        })
}

/// The version a `cvss_v3` object states: its `version`, else the
/// vector's prefix.
fn v3_version(cvss: &Value) -> Option<&str> {
    text(cvss, "version").or_else(|| {
        let v = text(cvss, "vectorString")?;
        ["3.0", "3.1"]
            .into_iter()
            .find(|m| v.starts_with(&format!("CVSS:{m}/")))
    })
}

pub fn mandatory(doc: &Value, out: &mut Vec<Finding>) {
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        let mut seen: BTreeSet<(&str, &str)> = BTreeSet::new();
        let mut reported: BTreeSet<(&str, &str)> = BTreeSet::new();
        for (si, s) in items(v, "scores").iter().enumerate() {
            let mut versions = Vec::new();
            if s.get("cvss_v2").is_some() {
                versions.push("2.0");
            }
            if let Some(c) = s.get("cvss_v3") {
                versions.push(v3_version(c).unwrap_or("3.x"));
            }
            for id in items(s, "products").iter().filter_map(Value::as_str) {
                for ver in &versions {
                    if !seen.insert((id, ver)) && reported.insert((id, ver)) {
                        out.push(finding(
                            "6.1.7",
                            Group::Mandatory,
                            format!("/vulnerabilities/{vi}/scores/{si}"),
                            format!("product `{id}` has more than one CVSS v{ver} score"),
                        ));
                    }
                }
            }
        }
    }
    for (vi, si, s) in scores(doc) {
        for key in ["cvss_v2", "cvss_v3"] {
            let Some(cvss) = s.get(key) else { continue };
            let path = format!("/vulnerabilities/{vi}/scores/{si}/{key}");
            let version = if key == "cvss_v2" {
                Some("2.0")
            } else {
                v3_version(cvss)
            };
            match version {
                Some(ver) => out.extend(schema::validate_cvss(cvss, ver, &path)),
                None => out.push(finding(
                    "6.1.8",
                    Group::Mandatory,
                    &path,
                    "states no CVSS version (neither `version` nor a `CVSS:3.x/` vector)",
                )),
            }
            let Some(vector) = text(cvss, "vectorString").and_then(|v| CvssVector::parse(v).ok())
            else {
                continue;
            };
            computation(cvss, &vector, &path, out);
            consistency(cvss, &vector, key, &path, out);
        }
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.05
}

/// 6.1.9: every score and severity present is the one the vector gives.
fn computation(cvss: &Value, vector: &CvssVector, path: &str, out: &mut Vec<Finding>) {
    let s: Scores = vector.scores();
    let temporal = s.temporal.unwrap_or(s.base);
    let environmental = s.environmental.unwrap_or(temporal);
    let checks = [
        ("baseScore", "baseSeverity", s.base),
        ("temporalScore", "temporalSeverity", temporal),
        ("environmentalScore", "environmentalSeverity", environmental),
    ];
    let is_v3 = text(cvss, "vectorString").is_some_and(|v| v.starts_with("CVSS:3"));
    for (score_key, severity_key, expected) in checks {
        if let Some(given) = cvss.get(score_key).and_then(Value::as_f64)
            && !close(given, expected)
        {
            out.push(finding(
                "6.1.9",
                Group::Mandatory,
                format!("{path}/{score_key}"),
                format!("{score_key} is {given}, but the vector gives {expected:.1}"),
            ));
        }
        if is_v3 && let Some(given) = text(cvss, severity_key) {
            let want = severity(expected).to_uppercase();
            if given != want {
                out.push(finding(
                    "6.1.9",
                    Group::Mandatory,
                    format!("{path}/{severity_key}"),
                    format!("{severity_key} is {given}, but a score of {expected:.1} is {want}"),
                ));
            }
        }
    }
}

/// A property of the JSON form, the vector metric it states, and each
/// JSON value with the vector's letter.
type Mapping = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const CIA3: &[(&str, &str)] = &[("NONE", "N"), ("LOW", "L"), ("HIGH", "H")];
const MCIA3: &[(&str, &str)] = &[
    ("NONE", "N"),
    ("LOW", "L"),
    ("HIGH", "H"),
    ("NOT_DEFINED", "X"),
];
const REQ3: &[(&str, &str)] = &[
    ("LOW", "L"),
    ("MEDIUM", "M"),
    ("HIGH", "H"),
    ("NOT_DEFINED", "X"),
];
const V3: &[Mapping] = &[
    (
        "attackVector",
        "AV",
        &[
            ("NETWORK", "N"),
            ("ADJACENT_NETWORK", "A"),
            ("LOCAL", "L"),
            ("PHYSICAL", "P"),
        ],
    ),
    ("attackComplexity", "AC", &[("LOW", "L"), ("HIGH", "H")]),
    (
        "privilegesRequired",
        "PR",
        &[("NONE", "N"), ("LOW", "L"), ("HIGH", "H")],
    ),
    ("userInteraction", "UI", &[("NONE", "N"), ("REQUIRED", "R")]),
    ("scope", "S", &[("UNCHANGED", "U"), ("CHANGED", "C")]),
    ("confidentialityImpact", "C", CIA3),
    ("integrityImpact", "I", CIA3),
    ("availabilityImpact", "A", CIA3),
    (
        "exploitCodeMaturity",
        "E",
        &[
            ("UNPROVEN", "U"),
            ("PROOF_OF_CONCEPT", "P"),
            ("FUNCTIONAL", "F"),
            ("HIGH", "H"),
            ("NOT_DEFINED", "X"),
        ],
    ),
    (
        "remediationLevel",
        "RL",
        &[
            ("OFFICIAL_FIX", "O"),
            ("TEMPORARY_FIX", "T"),
            ("WORKAROUND", "W"),
            ("UNAVAILABLE", "U"),
            ("NOT_DEFINED", "X"),
        ],
    ),
    (
        "reportConfidence",
        "RC",
        &[
            ("UNKNOWN", "U"),
            ("REASONABLE", "R"),
            ("CONFIRMED", "C"),
            ("NOT_DEFINED", "X"),
        ],
    ),
    ("confidentialityRequirement", "CR", REQ3),
    ("integrityRequirement", "IR", REQ3),
    ("availabilityRequirement", "AR", REQ3),
    (
        "modifiedAttackVector",
        "MAV",
        &[
            ("NETWORK", "N"),
            ("ADJACENT_NETWORK", "A"),
            ("LOCAL", "L"),
            ("PHYSICAL", "P"),
            ("NOT_DEFINED", "X"),
        ],
    ),
    (
        "modifiedAttackComplexity",
        "MAC",
        &[("LOW", "L"), ("HIGH", "H"), ("NOT_DEFINED", "X")],
    ),
    (
        "modifiedPrivilegesRequired",
        "MPR",
        &[
            ("NONE", "N"),
            ("LOW", "L"),
            ("HIGH", "H"),
            ("NOT_DEFINED", "X"),
        ],
    ),
    (
        "modifiedUserInteraction",
        "MUI",
        &[("NONE", "N"), ("REQUIRED", "R"), ("NOT_DEFINED", "X")],
    ),
    (
        "modifiedScope",
        "MS",
        &[("UNCHANGED", "U"), ("CHANGED", "C"), ("NOT_DEFINED", "X")],
    ),
    ("modifiedConfidentialityImpact", "MC", MCIA3),
    ("modifiedIntegrityImpact", "MI", MCIA3),
    ("modifiedAvailabilityImpact", "MA", MCIA3),
];
const CIA2: &[(&str, &str)] = &[("NONE", "N"), ("PARTIAL", "P"), ("COMPLETE", "C")];
const REQ2: &[(&str, &str)] = &[
    ("LOW", "L"),
    ("MEDIUM", "M"),
    ("HIGH", "H"),
    ("NOT_DEFINED", "ND"),
];
const V2: &[Mapping] = &[
    (
        "accessVector",
        "AV",
        &[("NETWORK", "N"), ("ADJACENT_NETWORK", "A"), ("LOCAL", "L")],
    ),
    (
        "accessComplexity",
        "AC",
        &[("HIGH", "H"), ("MEDIUM", "M"), ("LOW", "L")],
    ),
    (
        "authentication",
        "Au",
        &[("MULTIPLE", "M"), ("SINGLE", "S"), ("NONE", "N")],
    ),
    ("confidentialityImpact", "C", CIA2),
    ("integrityImpact", "I", CIA2),
    ("availabilityImpact", "A", CIA2),
    (
        "exploitability",
        "E",
        &[
            ("UNPROVEN", "U"),
            ("PROOF_OF_CONCEPT", "POC"),
            ("FUNCTIONAL", "F"),
            ("HIGH", "H"),
            ("NOT_DEFINED", "ND"),
        ],
    ),
    (
        "remediationLevel",
        "RL",
        &[
            ("OFFICIAL_FIX", "OF"),
            ("TEMPORARY_FIX", "TF"),
            ("WORKAROUND", "W"),
            ("UNAVAILABLE", "U"),
            ("NOT_DEFINED", "ND"),
        ],
    ),
    (
        "reportConfidence",
        "RC",
        &[
            ("UNCONFIRMED", "UC"),
            ("UNCORROBORATED", "UR"),
            ("CONFIRMED", "C"),
            ("NOT_DEFINED", "ND"),
        ],
    ),
    (
        "collateralDamagePotential",
        "CDP",
        &[
            ("NONE", "N"),
            ("LOW", "L"),
            ("LOW_MEDIUM", "LM"),
            ("MEDIUM_HIGH", "MH"),
            ("HIGH", "H"),
            ("NOT_DEFINED", "ND"),
        ],
    ),
    (
        "targetDistribution",
        "TD",
        &[
            ("NONE", "N"),
            ("LOW", "L"),
            ("MEDIUM", "M"),
            ("HIGH", "H"),
            ("NOT_DEFINED", "ND"),
        ],
    ),
    ("confidentialityRequirement", "CR", REQ2),
    ("integrityRequirement", "IR", REQ2),
    ("availabilityRequirement", "AR", REQ2),
];

/// 6.1.10: each metric property states what the vector states; a v3
/// object's version is its vector's.
fn consistency(cvss: &Value, vector: &CvssVector, key: &str, path: &str, out: &mut Vec<Finding>) {
    let table = if key == "cvss_v2" { V2 } else { V3 };
    if key == "cvss_v3"
        && let (Some(ver), Some(vs)) = (text(cvss, "version"), text(cvss, "vectorString"))
        && !vs.starts_with(&format!("CVSS:{ver}/"))
    {
        out.push(finding(
            "6.1.10",
            Group::Mandatory,
            format!("{path}/version"),
            format!("version {ver} contradicts the vector `{vs}`"),
        ));
    }
    for (prop, metric, values) in table {
        let Some(given) = text(cvss, prop) else {
            continue;
        };
        let Some(letter) = vector.get(metric) else {
            continue;
        };
        let stated = values
            .iter()
            .find(|(name, _)| *name == given)
            .map(|(_, l)| *l);
        if stated != Some(letter) {
            out.push(finding(
                "6.1.10",
                Group::Mandatory,
                format!("{path}/{prop}"),
                format!("{prop} is {given}, but the vector has {metric}:{letter}"),
            ));
        }
    }
}

/// 6.2.19: a score that covers a fixed product has an environmental score
/// of 0.
pub fn fixed_products(doc: &Value, out: &mut Vec<Finding>) {
    for (vi, v) in items(doc, "vulnerabilities").iter().enumerate() {
        let fixed: BTreeSet<&str> = ["first_fixed", "fixed"]
            .iter()
            .flat_map(|l| doc::status(v, l))
            .collect();
        for (si, s) in items(v, "scores").iter().enumerate() {
            let covers: Vec<&str> = items(s, "products")
                .iter()
                .filter_map(Value::as_str)
                .filter(|p| fixed.contains(p))
                .collect();
            if covers.is_empty() {
                continue;
            }
            for key in ["cvss_v2", "cvss_v3"] {
                let Some(cvss) = s.get(key) else { continue };
                let env = text(cvss, "vectorString")
                    .and_then(|v| CvssVector::parse(v).ok())
                    .map(|v| with_stated_metrics(v, cvss, key).scores().environmental)
                    .unwrap_or_else(|| cvss.get("environmentalScore").and_then(Value::as_f64));
                if env != Some(0.0) {
                    out.push(finding(
                        "6.2.19",
                        Group::Optional,
                        format!("/vulnerabilities/{vi}/scores/{si}/{key}"),
                        format!(
                            "covers fixed product `{}` but its environmental score is {}",
                            covers[0],
                            env.map_or("not set".into(), |e| format!("{e:.1}"))
                        ),
                    ));
                }
            }
        }
    }
}

/// The vector with the metrics it leaves undefined taken from the JSON
/// properties that state them (`modifiedIntegrityImpact`,
/// `targetDistribution`, …): a publisher may state environmental metrics
/// only as properties.
fn with_stated_metrics(mut vector: CvssVector, cvss: &Value, key: &str) -> CvssVector {
    let table = if key == "cvss_v2" { V2 } else { V3 };
    for (prop, metric, values) in table {
        let undefined = matches!(vector.get(metric), Some("X" | "ND"));
        let stated =
            text(cvss, prop).and_then(|given| values.iter().find(|(name, _)| *name == given));
        if let (true, Some((_, letter))) = (undefined, stated) {
            // A letter the table maps is one the calculator knows.
            let _ = vector.set(metric, letter);
        }
    }
    vector
}

/// 6.3.1 (CVSS v2 alone) and 6.3.2 (CVSS v3.0).
pub fn informative(doc: &Value, out: &mut Vec<Finding>) {
    for (vi, si, s) in scores(doc) {
        let path = format!("/vulnerabilities/{vi}/scores/{si}");
        if s.get("cvss_v2").is_some() && s.get("cvss_v3").is_none() {
            out.push(finding(
                "6.3.1",
                Group::Informative,
                &path,
                "CVSS v2 is the only score; add CVSS v3.1",
            ));
        }
        if let Some(c) = s.get("cvss_v3")
            && (text(c, "version") == Some("3.0")
                || text(c, "vectorString").is_some_and(|v| v.starts_with("CVSS:3.0/")))
        {
            out.push(finding(
                "6.3.2",
                Group::Informative,
                format!("{path}/cvss_v3"),
                "uses CVSS v3.0; CVSS v3.1 is recommended",
            ));
        }
    }
}
