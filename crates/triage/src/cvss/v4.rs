//! CVSS v4.0: MacroVector scoring (specification section 8). A vector
//! falls into one MacroVector (six equivalence classes EQ1–EQ6) whose score
//! the specification publishes; the vector's distance to the MacroVector's
//! highest-severity vectors, relative to the next lower MacroVectors,
//! interpolates the final score.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::Scores;
use super::metrics::{MetricDef, Metrics, opt, req};

pub(crate) static DEFS: &[MetricDef] = &[
    req("AV", "Attack Vector", &["N", "A", "L", "P"]),
    req("AC", "Attack Complexity", &["L", "H"]),
    req("AT", "Attack Requirements", &["N", "P"]),
    req("PR", "Privileges Required", &["N", "L", "H"]),
    req("UI", "User Interaction", &["N", "P", "A"]),
    req("VC", "Vulnerable System Confidentiality", &["H", "L", "N"]),
    req("VI", "Vulnerable System Integrity", &["H", "L", "N"]),
    req("VA", "Vulnerable System Availability", &["H", "L", "N"]),
    req("SC", "Subsequent System Confidentiality", &["H", "L", "N"]),
    req("SI", "Subsequent System Integrity", &["H", "L", "N"]),
    req("SA", "Subsequent System Availability", &["H", "L", "N"]),
    opt("E", "Exploit Maturity", &["X", "A", "P", "U"]),
    opt("CR", "Confidentiality Requirement", &["X", "H", "M", "L"]),
    opt("IR", "Integrity Requirement", &["X", "H", "M", "L"]),
    opt("AR", "Availability Requirement", &["X", "H", "M", "L"]),
    opt("MAV", "Modified Attack Vector", &["X", "N", "A", "L", "P"]),
    opt("MAC", "Modified Attack Complexity", &["X", "L", "H"]),
    opt("MAT", "Modified Attack Requirements", &["X", "N", "P"]),
    opt("MPR", "Modified Privileges Required", &["X", "N", "L", "H"]),
    opt("MUI", "Modified User Interaction", &["X", "N", "P", "A"]),
    opt(
        "MVC",
        "Modified Vulnerable System Confidentiality",
        &["X", "H", "L", "N"],
    ),
    opt(
        "MVI",
        "Modified Vulnerable System Integrity",
        &["X", "H", "L", "N"],
    ),
    opt(
        "MVA",
        "Modified Vulnerable System Availability",
        &["X", "H", "L", "N"],
    ),
    opt(
        "MSC",
        "Modified Subsequent System Confidentiality",
        &["X", "H", "L", "N"],
    ),
    opt(
        "MSI",
        "Modified Subsequent System Integrity",
        &["X", "S", "H", "L", "N"],
    ),
    opt(
        "MSA",
        "Modified Subsequent System Availability",
        &["X", "S", "H", "L", "N"],
    ),
    opt("S", "Safety", &["X", "N", "P"]),
    opt("AU", "Automatable", &["X", "N", "Y"]),
    opt("R", "Recovery", &["X", "A", "U", "I"]),
    opt("V", "Value Density", &["X", "D", "C"]),
    opt("RE", "Vulnerability Response Effort", &["X", "L", "M", "H"]),
    opt(
        "U",
        "Provider Urgency",
        &["X", "Clear", "Green", "Amber", "Red"],
    ),
];

const THREAT: &[&str] = &["E"];
const ENVIRONMENTAL: &[&str] = &[
    "CR", "IR", "AR", "MAV", "MAC", "MAT", "MPR", "MUI", "MVC", "MVI", "MVA", "MSC", "MSI", "MSA",
];

pub(crate) fn scores(m: &Metrics) -> Scores {
    let mut base_only = m.clone();
    base_only.clear(THREAT);
    base_only.clear(ENVIRONMENTAL);
    let threat_defined = THREAT.iter().any(|k| m.is_defined(k));
    let environmental_defined = ENVIRONMENTAL.iter().any(|k| m.is_defined(k));
    let temporal = threat_defined.then(|| {
        let mut bt = m.clone();
        bt.clear(ENVIRONMENTAL);
        score(&bt)
    });
    Scores {
        base: score(&base_only),
        temporal,
        environmental: environmental_defined.then(|| score(m)),
    }
}

/// The value a metric takes in scoring: the modified metric when the
/// environment defines it, and the specification's worst-case defaults
/// for Not Defined threat and requirement metrics.
fn effective(m: &Metrics, key: &'static str) -> &'static str {
    match key {
        "E" => match m.get("E") {
            "X" => "A",
            v => v,
        },
        "CR" | "IR" | "AR" => match m.get(key) {
            "X" => "H",
            v => v,
        },
        _ => {
            let modified = match key {
                "AV" => "MAV",
                "AC" => "MAC",
                "AT" => "MAT",
                "PR" => "MPR",
                "UI" => "MUI",
                "VC" => "MVC",
                "VI" => "MVI",
                "VA" => "MVA",
                "SC" => "MSC",
                "SI" => "MSI",
                "SA" => "MSA",
                _ => return m.get(key),
            };
            match m.get(modified) {
                "X" => m.get(key),
                v => v,
            }
        }
    }
}

type Eqs = [u8; 6];

fn macrovector(v: &impl Fn(&'static str) -> &'static str) -> Eqs {
    let (av, pr, ui) = (v("AV"), v("PR"), v("UI"));
    let eq1 = if av == "N" && pr == "N" && ui == "N" {
        0
    } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
        1
    } else {
        2
    };
    let eq2 = if v("AC") == "L" && v("AT") == "N" {
        0
    } else {
        1
    };
    let (vc, vi, va) = (v("VC"), v("VI"), v("VA"));
    let eq3 = if vc == "H" && vi == "H" {
        0
    } else if vc == "H" || vi == "H" || va == "H" {
        1
    } else {
        2
    };
    let eq4 = if v("SI") == "S" || v("SA") == "S" {
        0
    } else if v("SC") == "H" || v("SI") == "H" || v("SA") == "H" {
        1
    } else {
        2
    };
    let eq5 = match v("E") {
        "A" => 0,
        "P" => 1,
        _ => 2,
    };
    let eq6 = if (v("CR") == "H" && vc == "H")
        || (v("IR") == "H" && vi == "H")
        || (v("AR") == "H" && va == "H")
    {
        0
    } else {
        1
    };
    [eq1, eq2, eq3, eq4, eq5, eq6]
}

/// The published MacroVector scores, keyed by the six EQ digits.
fn lookup(eqs: Eqs) -> Option<f64> {
    static TABLE: OnceLock<HashMap<Eqs, f64>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            let text = include_str!("../../data/cvss4_macrovector_scores.txt");
            let words: Vec<&str> = text
                .lines()
                .filter(|l| !l.starts_with('#'))
                .flat_map(str::split_whitespace)
                .collect();
            words
                .chunks(2)
                .map(|pair| {
                    let digits: Vec<u8> = pair[0].bytes().map(|b| b - b'0').collect();
                    let key: Eqs = digits.try_into().expect("six EQ digits");
                    (key, pair[1].parse().expect("a score"))
                })
                .collect()
        })
        .get(&eqs)
        .copied()
}

/// Severity level of a value within its metric, in steps of 0.1 (0 is the
/// most severe), used to measure distances inside a MacroVector. Kept in
/// floating point like the specification's reference calculator, so that
/// halves round the same way.
fn level(key: &str, value: &str) -> f64 {
    let order: &[&str] = match key {
        "AV" => &["N", "A", "L", "P"],
        "PR" => &["N", "L", "H"],
        "UI" => &["N", "P", "A"],
        "AC" => &["L", "H"],
        "AT" => &["N", "P"],
        "VC" | "VI" | "VA" => &["H", "L", "N"],
        // Safety (S) exists only for SI and SA; SC starts one step lower.
        "SC" => &["-", "H", "L", "N"],
        "SI" | "SA" => &["S", "H", "L", "N"],
        "CR" | "IR" | "AR" => &["H", "M", "L"],
        _ => &[],
    };
    order.iter().position(|o| *o == value).unwrap_or(0) as f64 * STEP
}

const STEP: f64 = 0.1;

/// The highest-severity vectors of each EQ level (spec table 24–29), as
/// `KEY:VALUE` lists.
fn max_composed_eq1(eq: u8) -> &'static [&'static str] {
    match eq {
        0 => &["AV:N/PR:N/UI:N"],
        1 => &["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"],
        _ => &["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"],
    }
}

fn max_composed_eq2(eq: u8) -> &'static [&'static str] {
    match eq {
        0 => &["AC:L/AT:N"],
        _ => &["AC:H/AT:N", "AC:L/AT:P"],
    }
}

fn max_composed_eq3_eq6(eq3: u8, eq6: u8) -> &'static [&'static str] {
    match (eq3, eq6) {
        (0, 0) => &["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"],
        (0, _) => &[
            "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H",
            "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M",
        ],
        (1, 0) => &[
            "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H",
            "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H",
        ],
        (1, _) => &[
            "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H",
            "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
            "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
            "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
            "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M",
        ],
        _ => &["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"],
    }
}

fn max_composed_eq4(eq: u8) -> &'static [&'static str] {
    match eq {
        0 => &["SC:H/SI:S/SA:S"],
        1 => &["SC:H/SI:H/SA:H"],
        _ => &["SC:L/SI:L/SA:L"],
    }
}

/// Depth of each EQ level in severity steps (spec: "MaxSeverity").
fn max_severity(eqs: Eqs) -> [f64; 4] {
    let eq1 = [1, 4, 5][eqs[0] as usize];
    let eq2 = [1, 2][eqs[1] as usize];
    let eq3_eq6 = match (eqs[2], eqs[5]) {
        (0, 0) => 7,
        (0, _) => 6,
        (1, _) => 8,
        _ => 10,
    };
    let eq4 = [6, 5, 4][eqs[3] as usize];
    [eq1, eq2, eq3_eq6, eq4].map(|steps: i32| f64::from(steps) * STEP)
}

fn score(m: &Metrics) -> f64 {
    let v = |k: &'static str| effective(m, k);
    if ["VC", "VI", "VA", "SC", "SI", "SA"]
        .iter()
        .all(|k| v(k) == "N")
    {
        return 0.0;
    }
    let eqs = macrovector(&v);
    let value = lookup(eqs).expect("every reachable MacroVector is in the table");
    let with = |i: usize, delta: u8| {
        let mut e = eqs;
        e[i] += delta;
        e
    };
    // The next lower MacroVector along each equivalence set; EQ3 and EQ6
    // move together because the table joins them.
    let lower_eq1 = lookup(with(0, 1));
    let lower_eq2 = lookup(with(1, 1));
    let lower_eq3_eq6 = match (eqs[2], eqs[5]) {
        (0, 0) => {
            let left = lookup(with(5, 1));
            let right = lookup(with(2, 1));
            match (left, right) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            }
        }
        (1, 0) => lookup(with(5, 1)),
        _ => lookup(with(2, 1)),
    };
    let lower_eq4 = lookup(with(3, 1));
    let lower_eq5 = lookup(with(4, 1));

    let distances = distances_to_max(m, eqs);
    let depth = max_severity(eqs);
    let mut normalized = 0.0;
    let mut lower_count = 0;
    for (i, lower) in [lower_eq1, lower_eq2, lower_eq3_eq6, lower_eq4]
        .into_iter()
        .enumerate()
    {
        if let Some(lower) = lower {
            lower_count += 1;
            normalized += (value - lower) * (distances[i] / depth[i]);
        }
    }
    // EQ5 has a single vector per level: its distance is always zero, but
    // it still counts in the mean.
    if lower_eq5.is_some() {
        lower_count += 1;
    }
    let mean = if lower_count == 0 {
        0.0
    } else {
        normalized / f64::from(lower_count)
    };
    round1((value - mean).clamp(0.0, 10.0))
}

/// Severity distances (in steps) from the first highest-severity vector of
/// the MacroVector that the vector does not exceed, per EQ1, EQ2, EQ3+EQ6
/// and EQ4.
fn distances_to_max(m: &Metrics, eqs: Eqs) -> [f64; 4] {
    let v = |k: &'static str| effective(m, k);
    for a in max_composed_eq1(eqs[0]) {
        for b in max_composed_eq2(eqs[1]) {
            for c in max_composed_eq3_eq6(eqs[2], eqs[5]) {
                for d in max_composed_eq4(eqs[3]) {
                    let mut d_eq = [0.0; 4];
                    let mut all_non_negative = true;
                    for (group, parts) in [a, b, c, d].iter().enumerate() {
                        for part in parts.split('/') {
                            let (key, max_value) = part.split_once(':').expect("KEY:VALUE");
                            let key = static_key(key);
                            let d = level(key, v(key)) - level(key, max_value);
                            all_non_negative &= d >= 0.0;
                            d_eq[group] += d;
                        }
                    }
                    if all_non_negative {
                        return d_eq;
                    }
                }
            }
        }
    }
    [0.0; 4]
}

/// The metric keys of the max-vector tables as `'static` strings.
fn static_key(key: &str) -> &'static str {
    const KEYS: &[&str] = &[
        "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR",
    ];
    KEYS.iter()
        .find(|k| **k == key)
        .expect("a max-vector metric")
}

/// v4 rounds half up to one decimal; like the reference calculator, a
/// small offset absorbs binary error (5.65 computed as 5.6499999…).
fn round1(x: f64) -> f64 {
    ((x + 1e-6) * 10.0).round() / 10.0
}
