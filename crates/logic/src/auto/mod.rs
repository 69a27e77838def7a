//! Answers Kensa gives itself (issue #17): each condition of a tree checked
//! against what is known about one product version — its SBOM and the
//! finding detection made, its product profile, a facts file, kernel and
//! BusyBox `.config` files. Every answer names its source and evidence and
//! is a proposal: a person's answer overrides it ([`merge`]).
//!
//! Order of trust, first answer wins: facts file, build configuration,
//! SBOM, profile. A source that cannot decide gives no answer (or
//! `unknown` with what it saw, so the person starts from it).

pub mod facts;
pub mod kconfig;
mod sbom;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::answers::{Answer, AnswerValue, Answers};
use crate::conditions::{Condition, ConditionKind, Conditions};

pub use facts::{Facts, FactsError};
pub use kconfig::{ConfigError, KernelConfig};

/// Where an automatic answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoSource {
    Sbom,
    Profile,
    Facts,
    Config,
}

impl AutoSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoSource::Sbom => "sbom",
            AutoSource::Profile => "profile",
            AutoSource::Facts => "facts",
            AutoSource::Config => "config",
        }
    }
}

/// `"auto": {"answer": "yes|no|unknown", "source": "sbom|…", "evidence": TEXT}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutoAnswer {
    pub answer: AnswerValue,
    pub source: AutoSource,
    pub evidence: String,
}

/// One SBOM component, as the product version lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomEntry {
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
}

/// What detection said about this vulnerability in this product version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// A finding: the component, its version and the criterion it matched
    /// (a CPE or range with its bounds).
    Found {
        component: String,
        version: String,
        matched: String,
    },
    /// The version was scanned and has no finding for the vulnerability.
    NotFound,
}

/// Everything known about one product version.
#[derive(Debug, Clone, Default)]
pub struct ProductData {
    /// `product version`, for evidence texts.
    pub label: String,
    /// `None` when no SBOM is known (then the SBOM answers nothing).
    pub components: Option<Vec<SbomEntry>>,
    pub detection: Option<Detection>,
    /// The product profile's typical attack vector
    /// (`environment.attack_vector`: network, adjacent, local, physical).
    pub attack_vector: Option<String>,
    pub facts: Option<Facts>,
    pub configs: Vec<KernelConfig>,
}

/// The automatic answer of every condition some source decides or speaks
/// to, by condition id.
pub fn answer_all(tree: &Conditions, data: &ProductData) -> BTreeMap<String, AutoAnswer> {
    tree.conditions()
        .into_iter()
        .filter_map(|c| answer(c, data).map(|a| (c.id.clone(), a)))
        .collect()
}

fn answer(c: &Condition, data: &ProductData) -> Option<AutoAnswer> {
    let decided =
        |a: &Option<AutoAnswer>| a.as_ref().is_some_and(|a| a.answer != AnswerValue::Unknown);
    let mut best: Option<AutoAnswer> = None;
    let candidates = [
        data.facts.as_ref().and_then(|f| f.answer(c)),
        data.configs.iter().find_map(|k| k.answer(c)),
        sbom::answer(c, data),
        profile_answer(c, data),
    ];
    for a in candidates {
        if decided(&a) {
            return a;
        }
        if best.is_none() {
            best = a;
        }
    }
    best
}

/// The profile's attack vector decides the network condition: a product
/// reachable only locally or physically is not reachable over the network.
fn profile_answer(c: &Condition, data: &ProductData) -> Option<AutoAnswer> {
    if c.kind != ConditionKind::Network {
        return None;
    }
    let av = data.attack_vector.as_deref()?;
    let answer = match av {
        "network" | "adjacent" => AnswerValue::Yes,
        "local" | "physical" => AnswerValue::No,
        _ => return None,
    };
    Some(AutoAnswer {
        answer,
        source: AutoSource::Profile,
        evidence: format!(
            "product profile: environment.attack_vector: {av} (typical deployments of {})",
            data.label
        ),
    })
}

/// The answers a verdict evaluates: the automatic ones that decide (yes or
/// no), each noted as automatic with its source, then a person's answers,
/// which replace automatic ones for the same condition.
pub fn merge(auto: &BTreeMap<String, AutoAnswer>, person: Option<&Answers>) -> Answers {
    let mut out = Answers {
        vulnerability: person.and_then(|p| p.vulnerability.clone()),
        entries: Vec::new(),
    };
    let given: Vec<&str> = person
        .map(|p| p.entries.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    for (id, a) in auto {
        if a.answer == AnswerValue::Unknown || given.contains(&id.as_str()) {
            continue;
        }
        out.entries.push((
            id.clone(),
            Answer {
                answer: a.answer,
                note: Some(format!("automatic ({})", a.source.as_str())),
                evidence: Some(a.evidence.clone()),
            },
        ));
    }
    if let Some(p) = person {
        out.entries.extend(p.entries.iter().cloned());
    }
    out
}

/// Whole-word, case-insensitive containment ("web server" in "The web
/// server is enabled", not "ssh" in "openssh").
pub(crate) fn has_phrase(text_lc: &str, phrase_lc: &str) -> bool {
    crate::extract::text::has_word(text_lc, phrase_lc)
}
