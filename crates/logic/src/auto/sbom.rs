//! Answers from the SBOM: the version condition from detection's finding,
//! and software a condition names that the SBOM does not list.

use std::sync::OnceLock;

use super::{AutoAnswer, AutoSource, Detection, ProductData, SbomEntry, has_phrase};
use crate::answers::AnswerValue;
use crate::conditions::{Condition, ConditionKind};

/// `data/software-names.tsv`: a phrase a condition uses → component names.
struct Software {
    phrase: String,
    components: Vec<String>,
}

fn software() -> &'static [Software] {
    static TABLE: OnceLock<Vec<Software>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../../data/software-names.tsv")
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let (phrase, names) = l.split_once('\t')?;
                Some(Software {
                    phrase: phrase.trim().to_ascii_lowercase(),
                    components: names
                        .split(',')
                        .map(|n| n.trim().to_ascii_lowercase())
                        .filter(|n| !n.is_empty())
                        .collect(),
                })
            })
            .collect()
    })
}

pub(super) fn answer(c: &Condition, data: &ProductData) -> Option<AutoAnswer> {
    match c.kind {
        ConditionKind::Version => version(data),
        ConditionKind::Network | ConditionKind::Privileges | ConditionKind::UserInteraction => None,
        _ => named_software(c, data),
    }
}

fn version(data: &ProductData) -> Option<AutoAnswer> {
    let (answer, evidence) = match data.detection.as_ref()? {
        Detection::Found {
            component,
            version,
            matched,
        } => (
            AnswerValue::Yes,
            format!(
                "the SBOM of {} lists {component} {version}, in the affected range ({matched})",
                data.label
            ),
        ),
        Detection::NotFound => (
            AnswerValue::No,
            format!(
                "the scan of {}'s SBOM ({} components) has no finding for this vulnerability: \
no listed component is in the affected range (relies on the SBOM being complete)",
                data.label,
                data.components.as_ref().map_or(0, Vec::len)
            ),
        ),
    };
    Some(AutoAnswer {
        answer,
        source: AutoSource::Sbom,
        evidence,
    })
}

/// The component names an entry goes by: its name and its purl's name.
fn names_of(e: &SbomEntry) -> Vec<String> {
    let mut names = vec![e.name.to_ascii_lowercase()];
    if let Some(purl) = &e.purl {
        let path = purl.split(['@', '?', '#']).next().unwrap_or_default();
        if let Some(name) = path.rsplit('/').next() {
            names.push(name.to_ascii_lowercase());
        }
    }
    names
}

fn named_software(c: &Condition, data: &ProductData) -> Option<AutoAnswer> {
    let components = data.components.as_ref()?;
    let text = c.text.to_ascii_lowercase();
    let named: Vec<&Software> = software()
        .iter()
        .filter(|s| has_phrase(&text, &s.phrase))
        .collect();
    if named.is_empty() {
        return None;
    }
    for s in &named {
        if let Some(e) = components
            .iter()
            .find(|e| names_of(e).iter().any(|n| s.components.contains(n)))
        {
            let version = e.version.as_deref().unwrap_or("(no version)");
            return Some(AutoAnswer {
                answer: AnswerValue::Unknown,
                source: AutoSource::Sbom,
                evidence: format!(
                    "the SBOM of {} lists {} {version}: present, whether the condition holds needs a person",
                    data.label, e.name
                ),
            });
        }
    }
    // "X or Y" where Y is no software Kensa knows: X's absence leaves Y.
    if has_phrase(&text, "or") {
        return None;
    }
    let phrases: Vec<&str> = named.iter().map(|s| s.phrase.as_str()).collect();
    let mut looked: Vec<&str> = named
        .iter()
        .flat_map(|s| s.components.iter().map(String::as_str))
        .collect();
    looked.sort_unstable();
    looked.dedup();
    Some(AutoAnswer {
        answer: AnswerValue::No,
        source: AutoSource::Sbom,
        evidence: format!(
            "the SBOM of {} ({} components) lists no {} (looked for {}); this relies on the SBOM being complete",
            data.label,
            components.len(),
            phrases.join(" / "),
            looked.join(", ")
        ),
    })
}
