//! EU Cyber Resilience Act (Regulation (EU) 2024/2847), Article 14: the
//! reporting clocks of a case and the fields of its stage reports.
//!
//! Every time is an instant in UTC; callers show it in the user's zone.
//! Deadlines counted in hours are exact durations (a daylight-saving
//! change does not move them); the incident final report's "one month"
//! is a calendar month in UTC, clamped to the month's last day.

mod fields;

pub use fields::{Field, FieldSet, Filled, StageReport, draft, fields};

use chrono::{DateTime, Duration, Months, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Article 14's reporting obligations apply from 11 September 2026
/// (Art. 71(2)): no clock runs from an earlier instant.
pub fn applies_from() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 11, 0, 0, 0).unwrap()
}

/// What a case is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An actively exploited vulnerability (Art. 14(1)).
    ExploitedVulnerability,
    /// A severe incident having an impact on the product's security (Art. 14(3)).
    SevereIncident,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ExploitedVulnerability => "exploited_vulnerability",
            Kind::SevereIncident => "severe_incident",
        }
    }
}

/// The three reports, in the order they are due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    EarlyWarning,
    Notification,
    Final,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::EarlyWarning, Stage::Notification, Stage::Final];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::EarlyWarning => "early-warning",
            Stage::Notification => "notification",
            Stage::Final => "final",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Why a clock or a submission is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CraError {
    #[error("the {stage} report cannot be submitted at {at}, before awareness at {awareness}")]
    BeforeAwareness {
        stage: &'static str,
        at: String,
        awareness: String,
    },
    #[error("the {stage} report comes after the {missing} report, which is not submitted")]
    OutOfOrder {
        stage: &'static str,
        missing: &'static str,
    },
    #[error("the {0} report is already submitted")]
    AlreadySubmitted(&'static str),
    #[error(
        "the {stage} report cannot be submitted at {at}, before the {previous} report at {previous_at}"
    )]
    BeforePrevious {
        stage: &'static str,
        at: String,
        previous: &'static str,
        previous_at: String,
    },
}

/// When the case's clocks start: the first evidence, never before the
/// product version was registered, never before Article 14 applies.
pub fn awareness(
    evidence_at: DateTime<Utc>,
    version_registered_at: DateTime<Utc>,
) -> DateTime<Utc> {
    evidence_at.max(version_registered_at).max(applies_from())
}

/// A case's clocks: what has happened, from which every deadline follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clocks {
    pub kind: Kind,
    pub awareness: DateTime<Utc>,
    /// When a corrective or mitigating measure became available (the
    /// vulnerability final report's clock).
    pub measure_available_at: Option<DateTime<Utc>>,
    /// Submitted reports: stage and instant.
    pub submitted: Vec<(Stage, DateTime<Utc>)>,
}

/// One deadline and whether it is met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub stage: Stage,
    /// None: the clock has not started (no measure yet, no notification).
    pub due: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// Why the clock has not started, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_for: Option<&'static str>,
}

impl Clocks {
    pub fn submitted_at(&self, stage: Stage) -> Option<DateTime<Utc>> {
        self.submitted
            .iter()
            .find(|(s, _)| *s == stage)
            .map(|(_, at)| *at)
    }

    /// The deadline of a stage, if its clock runs.
    pub fn due(&self, stage: Stage) -> Option<DateTime<Utc>> {
        match (stage, self.kind) {
            (Stage::EarlyWarning, _) => Some(self.awareness + Duration::hours(24)),
            (Stage::Notification, _) => Some(self.awareness + Duration::hours(72)),
            (Stage::Final, Kind::ExploitedVulnerability) => self
                .measure_available_at
                .map(|m| m.max(self.awareness) + Duration::days(14)),
            (Stage::Final, Kind::SevereIncident) => self
                .submitted_at(Stage::Notification)
                .and_then(|n| n.checked_add_months(Months::new(1))),
        }
    }

    /// Every stage's deadline, in order.
    pub fn deadlines(&self) -> Vec<Deadline> {
        Stage::ALL
            .into_iter()
            .map(|stage| {
                let due = self.due(stage);
                let waiting_for = (due.is_none()).then_some(match self.kind {
                    Kind::ExploitedVulnerability => {
                        "a corrective or mitigating measure to be recorded"
                    }
                    Kind::SevereIncident => "the notification to be submitted",
                });
                Deadline {
                    stage,
                    due,
                    submitted_at: self.submitted_at(stage),
                    waiting_for,
                }
            })
            .collect()
    }

    /// The first stage not yet submitted whose clock runs.
    pub fn next_deadline(&self) -> Option<(Stage, DateTime<Utc>)> {
        self.deadlines()
            .into_iter()
            .find(|d| d.submitted_at.is_none())
            .and_then(|d| Some((d.stage, d.due?)))
    }

    /// Checks that `stage` may be recorded as submitted at `at`: after
    /// awareness, once, in order, and not before the previous report.
    pub fn check_submission(&self, stage: Stage, at: DateTime<Utc>) -> Result<(), CraError> {
        let fmt = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if self.submitted_at(stage).is_some() {
            return Err(CraError::AlreadySubmitted(stage.as_str()));
        }
        if at < self.awareness {
            return Err(CraError::BeforeAwareness {
                stage: stage.as_str(),
                at: fmt(at),
                awareness: fmt(self.awareness),
            });
        }
        for previous in Stage::ALL.into_iter().filter(|s| *s < stage) {
            match self.submitted_at(previous) {
                None => {
                    return Err(CraError::OutOfOrder {
                        stage: stage.as_str(),
                        missing: previous.as_str(),
                    });
                }
                Some(p) if at < p => {
                    return Err(CraError::BeforePrevious {
                        stage: stage.as_str(),
                        at: fmt(at),
                        previous: previous.as_str(),
                        previous_at: fmt(p),
                    });
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
