//! One finding's signals and the product profile → a [`Triage`]: the SSVC
//! decision, the CVSS in use, the 0–100 priority with its breakdown, the
//! reasons in words, and the clocks a queue needs (KEV due date, CRA).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kensa_model::CvssMetric;
use serde::{Deserialize, Serialize};

use crate::cvss::{CvssVector, CvssVersion, severity};
use crate::priority::{Contribution, PriorityInputs, priority};
use crate::profile::{
    AttackVector, Complexity, Environment, MissionImpact, MissionPrevalence, Privileges, Profile,
    ProfileError, PublicSafetyImpact, Requirement, SafetyImpact, SystemExposure, UserInteraction,
    ValueDensity,
};
use crate::signals::Signals;
use crate::ssvc::{
    AUTOMATABLE, DecisionTable, EXPLOITATION, Points, SsvcError, TECHNICAL_IMPACT, TreeKind,
    normalize_value,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    /// 0–100; see `breakdown` for how each signal moved it.
    pub priority: u8,
    pub ssvc: SsvcDecision,
    /// The CVSS score in use; null when no source gives a vector.
    #[serde(default)]
    pub cvss: Option<CvssSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<EpssSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<KevSummary>,
    /// Cyber Resilience Act reporting clocks: present for actively
    /// exploited vulnerabilities in products on the EU market.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cra: Option<CraClocks>,
    /// The CSAF statement of exploitation that made `exploitation` active
    /// (when KEV does not list the vulnerability).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploit_statement: Option<crate::exploit::ExploitStatement>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe: Vec<String>,
    /// What moved the priority, in words, most important first.
    pub reasons: Vec<String>,
    pub breakdown: Vec<Contribution>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsvcDecision {
    pub tree: TreeKind,
    pub decision: String,
    /// Every decision point's value (the tree reads some of them).
    pub points: BTreeMap<String, String>,
    /// Where each of exploitation, automatable and technical_impact came
    /// from: `cisa-adp`, `kev`, `csaf`, `cvss` or `assumed`.
    pub evidence: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssSummary {
    pub version: CvssVersion,
    pub source: String,
    /// The vector as the source published it.
    pub vector: String,
    pub base: f64,
    /// v2/v3 temporal, v4 threat (CVSS-BT), from the vector's own metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temporal: Option<f64>,
    /// With the profile's environment (v4: CVSS-BE/BTE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environmental: Option<f64>,
    /// The vector with the profile's environment applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environmental_vector: Option<String>,
    /// The score the priority uses: environmental, else temporal, else base.
    pub score: f64,
    pub severity: String,
    /// Every vector from every source, scored.
    pub sources: Vec<CvssSourceScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssSourceScore {
    pub source: String,
    pub version: String,
    pub vector: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_base: Option<f64>,
    /// Why the vector could not be scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssSummary {
    pub probability: f64,
    pub percentile: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KevSummary {
    /// YYYY-MM-DD
    pub date_added: String,
    /// YYYY-MM-DD: the remediation deadline for US federal agencies.
    pub due_date: String,
    pub known_ransomware_use: bool,
    pub required_action: String,
}

/// The Cyber Resilience Act (Art. 14) reporting deadlines for an actively
/// exploited vulnerability, counted from when the manufacturer becomes
/// aware of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CraClocks {
    pub early_warning_hours: u32,
    pub notification_hours: u32,
    pub final_report_days_after_fix: u32,
}

impl CraClocks {
    pub const ART_14: CraClocks = CraClocks {
        early_warning_hours: 24,
        notification_hours: 72,
        final_report_days_after_fix: 14,
    };

    /// (early warning due, notification due) for awareness at `aware_at`.
    pub fn deadlines(&self, aware_at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            aware_at + Duration::hours(i64::from(self.early_warning_hours)),
            aware_at + Duration::hours(i64::from(self.notification_hours)),
        )
    }
}

impl Triage {
    /// The KEV due date, when the vulnerability is in KEV.
    pub fn kev_due_date(&self) -> Option<NaiveDate> {
        self.kev
            .as_ref()
            .and_then(|k| NaiveDate::parse_from_str(&k.due_date, "%Y-%m-%d").ok())
    }

    pub fn actively_exploited(&self) -> bool {
        self.ssvc.points.get("exploitation").map(String::as_str) == Some("active")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Ssvc(#[from] SsvcError),
}

/// Triages findings for one product: its profile and the SSVC table of the
/// tree it chose.
#[derive(Debug, Clone)]
pub struct Triager {
    profile: Profile,
    table: DecisionTable,
}

impl Default for Triager {
    /// No profile: conservative defaults, the built-in supplier tree.
    fn default() -> Self {
        Triager::with_table(
            Profile::default(),
            DecisionTable::builtin(TreeKind::Supplier),
        )
    }
}

impl Triager {
    /// Loads the team's table when the profile names one, else the built-in
    /// table of the profile's tree.
    pub fn new(profile: Profile) -> Result<Triager, TriageError> {
        let kind = profile.ssvc.tree;
        let table = match &profile.ssvc.table {
            Some(path) => DecisionTable::load(kind, path)?,
            None => DecisionTable::builtin(kind),
        };
        Ok(Triager { profile, table })
    }

    pub fn with_table(profile: Profile, table: DecisionTable) -> Triager {
        Triager { profile, table }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn table(&self) -> &DecisionTable {
        &self.table
    }

    pub fn triage(&self, s: &Signals) -> Triage {
        let p = &self.profile;
        let cvss = summarize_cvss(&s.cvss, p.environment.as_ref());
        let chosen = cvss.as_ref().and_then(|(_, v)| v.as_ref());
        let exploitation = exploitation(s);
        let automatable = automatable(s, chosen);
        let technical_impact = technical_impact(s, chosen);
        let points = decision_points(p, exploitation.0, automatable.0, technical_impact.0);
        let decision = self
            .table
            .decide(&points)
            .expect("every decision point a table may use is derived");
        let urgency = self.table.kind().urgency(decision).unwrap_or(0);
        let cvss = cvss.map(|(summary, _)| summary);
        let kev = s.kev.as_ref().map(|k| KevSummary {
            date_added: k.date_added.clone(),
            due_date: k.due_date.clone(),
            known_ransomware_use: k
                .known_ransomware_campaign_use
                .eq_ignore_ascii_case("known"),
            required_action: k.required_action.clone(),
        });
        let epss = s.epss.as_ref().map(|e| EpssSummary {
            probability: e.epss,
            percentile: e.percentile,
            date: e.score_date.clone(),
        });
        let inputs = PriorityInputs {
            cvss: cvss.as_ref().map(|c| c.score),
            exploitation: exploitation.0,
            exploitation_from: exploitation.1,
            in_kev: kev.is_some(),
            ransomware: kev.as_ref().is_some_and(|k| k.known_ransomware_use),
            automatable: automatable.0 == "yes",
            epss: epss.as_ref().map(|e| (e.probability, e.percentile)),
            total_impact: technical_impact.0 == "total",
            decision_urgency: urgency,
            decision: decision.to_string(),
            exposure: p.system_exposure(),
            safety: p.safety_impact(),
            field_patchable: p.field_patchable(),
        };
        let (priority, breakdown) = priority(&inputs);
        let cra = (exploitation.0 == "active" && p.eu_market()).then_some(CraClocks::ART_14);
        let evidence = [
            ("exploitation", exploitation.1),
            ("automatable", automatable.1),
            ("technical_impact", technical_impact.1),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut triage = Triage {
            priority,
            ssvc: SsvcDecision {
                tree: self.table.kind(),
                decision: decision.to_string(),
                points: points
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                evidence,
            },
            cvss,
            epss,
            kev,
            cra,
            exploit_statement: (exploitation.1 == "csaf")
                .then(|| exploited_per_csaf(s).cloned())
                .flatten(),
            cwe: s.cwes.clone(),
            reasons: Vec::new(),
            breakdown,
        };
        triage.reasons = reasons(&triage, p);
        triage
    }
}

/// Scores every vector; picks the newest CVSS version, and within it the
/// highest base score (the conservative reading when sources disagree),
/// then applies the profile's environment to it.
fn summarize_cvss(
    metrics: &[CvssMetric],
    environment: Option<&Environment>,
) -> Option<(CvssSummary, Option<CvssVector>)> {
    let mut sources = Vec::new();
    let mut best: Option<(CvssVector, &CvssMetric, f64)> = None;
    for m in metrics {
        match CvssVector::parse_labelled(&m.version, &m.vector) {
            Ok(v) => {
                let base = v.base_score();
                sources.push(CvssSourceScore {
                    source: m.source.clone(),
                    version: v.version().to_string(),
                    vector: m.vector.clone(),
                    base: Some(base),
                    published_base: m.base_score,
                    error: None,
                });
                let better = match &best {
                    None => true,
                    Some((b, _, b_base)) => (v.version(), base) > (b.version(), *b_base),
                };
                if better {
                    best = Some((v, m, base));
                }
            }
            Err(e) => sources.push(CvssSourceScore {
                source: m.source.clone(),
                version: m.version.clone(),
                vector: m.vector.clone(),
                base: None,
                published_base: m.base_score,
                error: Some(e.to_string()),
            }),
        }
    }
    let (mut vector, metric, _) = best?;
    let mut environmental_vector = None;
    if let Some(env) = environment
        && apply_environment(&mut vector, env)
    {
        environmental_vector = Some(vector.to_string());
    }
    let scores = vector.scores();
    let score = scores.effective();
    Some((
        CvssSummary {
            version: vector.version(),
            source: metric.source.clone(),
            vector: metric.vector.clone(),
            base: scores.base,
            temporal: scores.temporal,
            environmental: scores.environmental,
            environmental_vector,
            score,
            severity: severity(score).to_string(),
            sources,
        },
        Some(vector),
    ))
}

/// Sets the profile's environmental metrics on the vector; false when the
/// version has none of them (v2 has only the requirements).
fn apply_environment(v: &mut CvssVector, env: &Environment) -> bool {
    let v4 = v.version() == CvssVersion::V4_0;
    let v2 = v.version() == CvssVersion::V2;
    let req = |r: Requirement| match r {
        Requirement::Low => "L",
        Requirement::Medium => "M",
        Requirement::High => "H",
    };
    let mut set: Vec<(&str, &str)> = Vec::new();
    if let Some(r) = env.confidentiality_requirement {
        set.push(("CR", req(r)));
    }
    if let Some(r) = env.integrity_requirement {
        set.push(("IR", req(r)));
    }
    if let Some(r) = env.availability_requirement {
        set.push(("AR", req(r)));
    }
    if !v2 {
        if let Some(av) = env.attack_vector {
            set.push((
                "MAV",
                match av {
                    AttackVector::Network => "N",
                    AttackVector::Adjacent => "A",
                    AttackVector::Local => "L",
                    AttackVector::Physical => "P",
                },
            ));
        }
        if let Some(ac) = env.attack_complexity {
            set.push(("MAC", if ac == Complexity::Low { "L" } else { "H" }));
        }
        if let Some(pr) = env.privileges_required {
            set.push((
                "MPR",
                match pr {
                    Privileges::None => "N",
                    Privileges::Low => "L",
                    Privileges::High => "H",
                },
            ));
        }
        if let Some(ui) = env.user_interaction {
            set.push((
                "MUI",
                match (ui, v4) {
                    (UserInteraction::None, _) => "N",
                    (_, false) => "R",
                    (UserInteraction::Active, true) => "A",
                    (_, true) => "P",
                },
            ));
        }
    }
    let applied = !set.is_empty();
    for (key, value) in set {
        // Every value above is valid for the version: a failure here is a
        // mapping bug, and leaving the metric unset is the safe outcome.
        let _ = v.set(key, value);
    }
    applied
}

fn adp_point(s: &Signals, point: &crate::ssvc::DecisionPoint) -> Option<&'static str> {
    let ssvc = s.ssvc.as_ref()?;
    let raw = match point.key {
        "exploitation" => ssvc.exploitation.as_deref(),
        "automatable" => ssvc.automatable.as_deref(),
        _ => ssvc.technical_impact.as_deref(),
    }?;
    normalize_value(point, raw)
}

/// KEV listing is evidence of active exploitation; so is a CSAF
/// advisory's plain statement of it; otherwise CISA ADP's point; otherwise
/// none.
fn exploitation(s: &Signals) -> (&'static str, &'static str) {
    if s.kev.is_some() {
        return ("active", "kev");
    }
    if exploited_per_csaf(s).is_some() {
        return ("active", "csaf");
    }
    match adp_point(s, &EXPLOITATION) {
        Some(v) => (v, "cisa-adp"),
        None => ("none", "assumed"),
    }
}

/// The first CSAF statement that the vulnerability is exploited.
fn exploited_per_csaf(s: &Signals) -> Option<&crate::exploit::ExploitStatement> {
    s.exploit_statements
        .iter()
        .find(|e| crate::exploit::claim(&e.details) == "active")
}

/// CISA ADP's point; else from the vector (network, low complexity, no
/// privileges, no user interaction: kill-chain steps 1–4 automatable);
/// else assumed yes.
fn automatable(s: &Signals, v: Option<&CvssVector>) -> (&'static str, &'static str) {
    if let Some(a) = adp_point(s, &AUTOMATABLE) {
        return (a, "cisa-adp");
    }
    let Some(v) = v else {
        return ("yes", "assumed");
    };
    let yes = match v.version() {
        CvssVersion::V2 => {
            v.get("AV") == Some("N") && v.get("AC") == Some("L") && v.get("Au") == Some("N")
        }
        CvssVersion::V4_0 => {
            v.get("AV") == Some("N")
                && v.get("AC") == Some("L")
                && v.get("AT") == Some("N")
                && v.get("PR") == Some("N")
                && v.get("UI") == Some("N")
        }
        _ => {
            v.get("AV") == Some("N")
                && v.get("AC") == Some("L")
                && v.get("PR") == Some("N")
                && v.get("UI") == Some("N")
        }
    };
    (if yes { "yes" } else { "no" }, "cvss")
}

/// CISA ADP's point; else total when the vector gives high confidentiality
/// and integrity impact (complete in v2); else assumed total.
fn technical_impact(s: &Signals, v: Option<&CvssVector>) -> (&'static str, &'static str) {
    if let Some(t) = adp_point(s, &TECHNICAL_IMPACT) {
        return (t, "cisa-adp");
    }
    let Some(v) = v else {
        return ("total", "assumed");
    };
    let total = match v.version() {
        CvssVersion::V2 => v.get("C") == Some("C") && v.get("I") == Some("C"),
        CvssVersion::V4_0 => v.get("VC") == Some("H") && v.get("VI") == Some("H"),
        _ => v.get("C") == Some("H") && v.get("I") == Some("H"),
    };
    (if total { "total" } else { "partial" }, "cvss")
}

/// All eight decision points: the finding's three and the profile's,
/// combined through SSVC's child trees.
fn decision_points(
    p: &Profile,
    exploitation: &'static str,
    automatable: &'static str,
    technical_impact: &'static str,
) -> Points {
    let mut points = Points::new();
    points.insert("exploitation", exploitation);
    points.insert("automatable", automatable);
    points.insert("technical_impact", technical_impact);
    points.insert(
        "system_exposure",
        match p.system_exposure() {
            SystemExposure::Small => "small",
            SystemExposure::Controlled => "controlled",
            SystemExposure::Open => "open",
        },
    );
    points.insert(
        "utility",
        match (automatable == "yes", p.value_density()) {
            (false, ValueDensity::Diffuse) => "laborious",
            (true, ValueDensity::Concentrated) => "super effective",
            _ => "efficient",
        },
    );
    points.insert(
        "public_safety_impact",
        match p.public_safety_impact() {
            PublicSafetyImpact::Minimal => "minimal",
            PublicSafetyImpact::Significant => "significant",
        },
    );
    points.insert(
        "human_impact",
        human_impact(p.safety_impact(), p.mission_impact()),
    );
    points.insert(
        "mission_wellbeing",
        mission_wellbeing(p.mission_prevalence(), p.safety_impact()),
    );
    points
}

/// SSVC Human Impact (Situated Safety Impact × Mission Impact). SSVC 2
/// merges none/minor into "negligible" and names major "marginal"; both
/// rows decide alike.
pub fn human_impact(safety: SafetyImpact, mission: MissionImpact) -> &'static str {
    match (safety, mission) {
        (SafetyImpact::Catastrophic, _) | (_, MissionImpact::MissionFailure) => "very high",
        (SafetyImpact::Hazardous, MissionImpact::Degraded) => "medium",
        (SafetyImpact::Hazardous, _) => "high",
        (_, MissionImpact::MefFailure) => "medium",
        _ => "low",
    }
}

/// CISA Mission & Well-being: Mission Prevalence × Public Well-being
/// Impact, the latter read from the safety impact (major: material;
/// hazardous or catastrophic: irreversible).
pub fn mission_wellbeing(prevalence: MissionPrevalence, safety: SafetyImpact) -> &'static str {
    let wellbeing = match safety {
        SafetyImpact::None | SafetyImpact::Minor => 0,
        SafetyImpact::Major => 1,
        _ => 2,
    };
    match (prevalence, wellbeing) {
        (MissionPrevalence::Essential, _) | (_, 2) => "high",
        (MissionPrevalence::Minimal, 0) => "low",
        _ => "medium",
    }
}

fn reasons(t: &Triage, p: &Profile) -> Vec<String> {
    let mut r = Vec::new();
    let points = &t.ssvc.points;
    let evidence = &t.ssvc.evidence;
    if let Some(k) = &t.kev {
        r.push(format!(
            "actively exploited: in CISA KEV since {} (due {})",
            k.date_added, k.due_date
        ));
        if k.known_ransomware_use {
            r.push("known ransomware campaign use (CISA KEV)".into());
        }
    } else {
        match (
            points["exploitation"].as_str(),
            evidence["exploitation"].as_str(),
        ) {
            ("active", "csaf") => r.push(match &t.exploit_statement {
                Some(e) => format!("actively exploited: {} says \"{}\"", e.source, e.details),
                None => "actively exploited (CSAF exploit status)".into(),
            }),
            ("active", _) => r.push("actively exploited: CISA ADP SSVC exploitation active".into()),
            ("poc", _) => r.push("public proof of concept: CISA ADP SSVC exploitation poc".into()),
            (_, "cisa-adp") => r.push("no known exploitation (CISA ADP SSVC)".into()),
            _ => r.push("no exploitation evidence (not in KEV, no CISA ADP SSVC)".into()),
        }
    }
    if let Some(c) = &t.cra {
        r.push(format!(
            "EU market: CRA early warning within {} h, notification within {} h of awareness",
            c.early_warning_hours, c.notification_hours
        ));
    }
    r.push(
        match (
            points["automatable"].as_str(),
            evidence["automatable"].as_str(),
        ) {
            (v, "cisa-adp") => format!("automatable {v} (CISA ADP SSVC)"),
            (v, "cvss") => format!("automatable {v} (from the CVSS vector)"),
            (v, _) => format!("automatable {v} (assumed: no ADP point, no CVSS vector)"),
        },
    );
    if let Some(e) = &t.epss {
        r.push(format!(
            "EPSS {:.3} ({:.1}th percentile)",
            e.probability,
            e.percentile * 100.0
        ));
    }
    match &t.cvss {
        Some(c) => {
            let mut s = format!(
                "CVSS {} {:.1} {} ({})",
                c.version, c.base, c.severity, c.source
            );
            if let Some(env) = c.environmental
                && c.environmental_vector.is_some()
            {
                s = format!(
                    "CVSS {} {:.1} ({}), environmental {:.1} {} with the profile",
                    c.version, c.base, c.source, env, c.severity
                );
            }
            let scored = c.sources.iter().filter(|s| s.base.is_some()).count();
            if scored > 1 {
                s.push_str(&format!("; highest of {scored} vectors"));
            }
            r.push(s);
            for bad in c.sources.iter().filter(|s| s.error.is_some()) {
                r.push(format!(
                    "ignored a malformed CVSS vector from {}: {}",
                    bad.source,
                    bad.error.as_deref().unwrap_or("")
                ));
            }
        }
        None => r.push("no CVSS vector from any source".into()),
    }
    r.push(format!(
        "technical impact {} ({})",
        points["technical_impact"], evidence["technical_impact"]
    ));
    r.push(
        format!(
            "product: safety impact {:?}, system exposure {:?}, {}",
            p.safety_impact(),
            p.system_exposure(),
            if p.field_patchable() {
                "field-patchable"
            } else {
                "not field-patchable"
            }
        )
        .to_lowercase(),
    );
    let defaulted = p.defaulted();
    if !defaulted.is_empty() {
        r.push(format!(
            "profile defaults (conservative) for: {}",
            defaulted.join(", ")
        ));
    }
    r.push(format!(
        "SSVC {} decision: {}",
        t.ssvc.tree.as_str(),
        t.ssvc.decision
    ));
    r
}

#[cfg(test)]
mod tests;
