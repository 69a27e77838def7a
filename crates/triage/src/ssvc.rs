//! SSVC decisions as data: a decision table maps every combination of its
//! decision points' values to an outcome. The CISA coordinator, CERT/CC
//! deployer and CERT/CC supplier trees ship as CSV files (`data/ssvc/`);
//! a team can load its own table in their place.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Which stakeholder's tree decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TreeKind {
    /// CISA's coordinator tree: Track / Track* / Attend / Act.
    #[serde(rename = "cisa-coordinator", alias = "coordinator")]
    Coordinator,
    /// Patch application priority: Defer / Scheduled / Out-of-Cycle / Immediate.
    Deployer,
    /// Patch development priority: Defer / Scheduled / Out-of-Cycle / Immediate.
    #[default]
    Supplier,
}

impl TreeKind {
    pub const ALL: [TreeKind; 3] = [
        TreeKind::Coordinator,
        TreeKind::Deployer,
        TreeKind::Supplier,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TreeKind::Coordinator => "cisa-coordinator",
            TreeKind::Deployer => "deployer",
            TreeKind::Supplier => "supplier",
        }
    }

    /// The outcomes, least urgent first.
    pub fn outcomes(self) -> &'static [&'static str] {
        match self {
            TreeKind::Coordinator => &["Track", "Track*", "Attend", "Act"],
            _ => &["Defer", "Scheduled", "Out-of-Cycle", "Immediate"],
        }
    }

    /// 0 for the least urgent outcome, up to 3.
    pub fn urgency(self, outcome: &str) -> Option<usize> {
        self.outcomes().iter().position(|o| *o == outcome)
    }

    fn builtin_csv(self) -> (&'static str, &'static str) {
        match self {
            TreeKind::Coordinator => (
                "built-in data/ssvc/cisa-coordinator.csv",
                include_str!("../data/ssvc/cisa-coordinator.csv"),
            ),
            TreeKind::Deployer => (
                "built-in data/ssvc/deployer.csv",
                include_str!("../data/ssvc/deployer.csv"),
            ),
            TreeKind::Supplier => (
                "built-in data/ssvc/supplier.csv",
                include_str!("../data/ssvc/supplier.csv"),
            ),
        }
    }
}

/// A decision point a table may use as a column, with its values from
/// least to most severe.
#[derive(Debug)]
pub struct DecisionPoint {
    pub key: &'static str,
    pub values: &'static [&'static str],
}

pub const EXPLOITATION: DecisionPoint = DecisionPoint {
    key: "exploitation",
    values: &["none", "poc", "active"],
};
pub const AUTOMATABLE: DecisionPoint = DecisionPoint {
    key: "automatable",
    values: &["no", "yes"],
};
pub const TECHNICAL_IMPACT: DecisionPoint = DecisionPoint {
    key: "technical_impact",
    values: &["partial", "total"],
};
pub const MISSION_WELLBEING: DecisionPoint = DecisionPoint {
    key: "mission_wellbeing",
    values: &["low", "medium", "high"],
};
pub const SYSTEM_EXPOSURE: DecisionPoint = DecisionPoint {
    key: "system_exposure",
    values: &["small", "controlled", "open"],
};
pub const HUMAN_IMPACT: DecisionPoint = DecisionPoint {
    key: "human_impact",
    values: &["low", "medium", "high", "very high"],
};
pub const UTILITY: DecisionPoint = DecisionPoint {
    key: "utility",
    values: &["laborious", "efficient", "super effective"],
};
pub const PUBLIC_SAFETY_IMPACT: DecisionPoint = DecisionPoint {
    key: "public_safety_impact",
    values: &["minimal", "significant"],
};

pub const DECISION_POINTS: &[&DecisionPoint] = &[
    &EXPLOITATION,
    &AUTOMATABLE,
    &TECHNICAL_IMPACT,
    &MISSION_WELLBEING,
    &SYSTEM_EXPOSURE,
    &HUMAN_IMPACT,
    &UTILITY,
    &PUBLIC_SAFETY_IMPACT,
];

/// Values as sources spell them, reduced to the table vocabulary: CISA
/// writes "Total", "PoC"; CERT/CC's tables write "public poc".
pub fn normalize_value(point: &DecisionPoint, value: &str) -> Option<&'static str> {
    let v = value.trim().to_ascii_lowercase().replace(['_', '-'], " ");
    let v = match (point.key, v.as_str()) {
        ("exploitation", "public poc") => "poc",
        _ => v.as_str(),
    };
    point.values.iter().find(|x| **x == v).copied()
}

/// The decision points of one finding: point key → value.
pub type Points = BTreeMap<&'static str, &'static str>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsvcError {
    #[error("{origin}: {message}")]
    Read { origin: String, message: String },
    #[error("{origin} line {line}: {message}")]
    Csv {
        origin: String,
        line: u64,
        message: String,
    },
    #[error(
        "{origin}: unknown decision point column `{column}`; known: {known}, and `decision` last"
    )]
    UnknownColumn {
        origin: String,
        column: String,
        known: String,
    },
    #[error("{origin}: the last column must be `decision`, found `{found}`")]
    NoDecisionColumn { origin: String, found: String },
    #[error(
        "{origin} line {line}, column {column}: unknown value `{value}`; valid values: {valid}"
    )]
    UnknownValue {
        origin: String,
        line: u64,
        column: String,
        value: String,
        valid: String,
    },
    #[error("{origin} line {line}: duplicate combination, already decided on line {first}")]
    Duplicate {
        origin: String,
        line: u64,
        first: u64,
    },
    #[error("{origin}: {count} combinations have no row, e.g. {examples}")]
    Incomplete {
        origin: String,
        count: usize,
        examples: String,
    },
    #[error("the {tree} table needs the decision point `{point}`, which was not given")]
    MissingPoint { tree: &'static str, point: String },
}

/// A validated decision table: every combination of its columns' values
/// has exactly one outcome.
#[derive(Debug, Clone)]
pub struct DecisionTable {
    kind: TreeKind,
    origin: String,
    columns: Vec<&'static DecisionPoint>,
    /// value indexes per column → outcome
    rows: HashMap<Vec<usize>, &'static str>,
}

impl DecisionTable {
    /// The table shipped with Kensa for this tree.
    pub fn builtin(kind: TreeKind) -> DecisionTable {
        static TABLES: std::sync::OnceLock<Vec<DecisionTable>> = std::sync::OnceLock::new();
        let tables = TABLES.get_or_init(|| {
            TreeKind::ALL
                .iter()
                .map(|k| {
                    let (origin, text) = k.builtin_csv();
                    DecisionTable::parse(*k, text, origin).expect("built-in SSVC tables are valid")
                })
                .collect()
        });
        tables
            .iter()
            .find(|t| t.kind == kind)
            .expect("a built-in table per tree")
            .clone()
    }

    /// Loads a team's own table for `kind` from a CSV file.
    pub fn load(kind: TreeKind, path: &Path) -> Result<DecisionTable, SsvcError> {
        let text =
            crate::profile::read_text(path, crate::profile::MAX_FILE_BYTES).map_err(|e| {
                SsvcError::Read {
                    origin: path.display().to_string(),
                    message: e.to_string(),
                }
            })?;
        DecisionTable::parse(kind, &text, &path.display().to_string())
    }

    /// Parses and validates CSV: a header naming decision points and then
    /// `decision`, one row per combination; `#` starts a comment line.
    pub fn parse(kind: TreeKind, text: &str, origin: &str) -> Result<DecisionTable, SsvcError> {
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let csv_err = |e: csv::Error| SsvcError::Csv {
            origin: origin.to_string(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        };
        let header = reader.headers().map_err(csv_err)?.clone();
        let columns = header_columns(&header, origin)?;
        let outcomes = kind.outcomes();
        let mut rows: HashMap<Vec<usize>, &'static str> = HashMap::new();
        let mut first_line: HashMap<Vec<usize>, u64> = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(csv_err)?;
            let line = record.position().map_or(0, |p| p.line());
            let mut key = Vec::with_capacity(columns.len());
            for (point, raw) in columns.iter().zip(record.iter()) {
                let Some(v) = normalize_value(point, raw) else {
                    return Err(SsvcError::UnknownValue {
                        origin: origin.to_string(),
                        line,
                        column: point.key.to_string(),
                        value: raw.to_string(),
                        valid: point.values.join(", "),
                    });
                };
                key.push(point.values.iter().position(|x| *x == v).unwrap_or(0));
            }
            let raw_outcome = record.get(columns.len()).unwrap_or("");
            let Some(outcome) = outcomes
                .iter()
                .find(|o| o.eq_ignore_ascii_case(raw_outcome))
            else {
                return Err(SsvcError::UnknownValue {
                    origin: origin.to_string(),
                    line,
                    column: "decision".into(),
                    value: raw_outcome.to_string(),
                    valid: outcomes.join(", "),
                });
            };
            if let Some(first) = first_line.get(&key) {
                return Err(SsvcError::Duplicate {
                    origin: origin.to_string(),
                    line,
                    first: *first,
                });
            }
            first_line.insert(key.clone(), line);
            rows.insert(key, outcome);
        }
        let table = DecisionTable {
            kind,
            origin: origin.to_string(),
            columns,
            rows,
        };
        table.check_complete()?;
        Ok(table)
    }

    fn check_complete(&self) -> Result<(), SsvcError> {
        let missing: Vec<Vec<usize>> = self
            .combinations()
            .into_iter()
            .filter(|c| !self.rows.contains_key(c))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let examples = missing
            .iter()
            .take(3)
            .map(|c| self.describe(c))
            .collect::<Vec<_>>()
            .join("; ");
        Err(SsvcError::Incomplete {
            origin: self.origin.clone(),
            count: missing.len(),
            examples,
        })
    }

    /// Every combination of the columns' values (as value indexes).
    pub fn combinations(&self) -> Vec<Vec<usize>> {
        let mut out: Vec<Vec<usize>> = vec![vec![]];
        for point in &self.columns {
            out = out
                .into_iter()
                .flat_map(|prefix| {
                    (0..point.values.len()).map(move |i| {
                        let mut next = prefix.clone();
                        next.push(i);
                        next
                    })
                })
                .collect();
        }
        out
    }

    fn describe(&self, combination: &[usize]) -> String {
        self.columns
            .iter()
            .zip(combination)
            .map(|(p, i)| format!("{}={}", p.key, p.values[*i]))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn kind(&self) -> TreeKind {
        self.kind
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn columns(&self) -> &[&'static DecisionPoint] {
        &self.columns
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The outcome for a finding's points (extra points are ignored).
    pub fn decide(&self, points: &Points) -> Result<&'static str, SsvcError> {
        let mut key = Vec::with_capacity(self.columns.len());
        for point in &self.columns {
            let value = points
                .get(point.key)
                .and_then(|v| point.values.iter().position(|x| x == v))
                .ok_or_else(|| SsvcError::MissingPoint {
                    tree: self.kind.as_str(),
                    point: point.key.to_string(),
                })?;
            key.push(value);
        }
        Ok(self.rows[&key])
    }
}

fn header_columns(
    header: &csv::StringRecord,
    origin: &str,
) -> Result<Vec<&'static DecisionPoint>, SsvcError> {
    let names: Vec<&str> = header.iter().collect();
    let Some((last, points)) = names.split_last() else {
        return Err(SsvcError::NoDecisionColumn {
            origin: origin.to_string(),
            found: String::new(),
        });
    };
    if !last.eq_ignore_ascii_case("decision") {
        return Err(SsvcError::NoDecisionColumn {
            origin: origin.to_string(),
            found: last.to_string(),
        });
    }
    points
        .iter()
        .map(|name| {
            let key = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
            DECISION_POINTS
                .iter()
                .find(|p| p.key == key)
                .copied()
                .ok_or_else(|| SsvcError::UnknownColumn {
                    origin: origin.to_string(),
                    column: name.to_string(),
                    known: DECISION_POINTS
                        .iter()
                        .map(|p| p.key)
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests;
