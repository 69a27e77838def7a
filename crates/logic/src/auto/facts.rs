//! The facts file of a product version: what it has on or off, in YAML.
//!
//! ```yaml
//! # kensa facts: rtu-gateway 2.8.1
//! product: rtu-gateway     # optional, checked against --product
//! version: 2.8.1           # optional, checked against --version
//! services:                # network services and protocols that run
//!   web server: on
//!   modbus: on
//!   telnet: off
//! interfaces:              # interfaces an attacker could reach
//!   management interface: on
//!   uart console: off
//! features:                # configuration features and components in use
//!   dhcp client: on
//! protocols:               # protocol versions and ciphers offered
//!   tls 1.0: off
//! file_types:              # files the product or its users open
//!   project file: on
//! roles:                   # roles of the product's user model
//!   operator: on
//! ```
//!
//! Values: `on`/`off`, `yes`/`no`, `true`/`false`, `enabled`/`disabled`.
//! A name answers a condition whose statement contains it (whole words, any
//! case, a plural `s` allowed): `on` → yes, `off` → no. Errors name the
//! line.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{AutoAnswer, AutoSource, has_phrase};
use crate::answers::AnswerValue;
use crate::conditions::{Condition, ConditionKind};

/// A parsed, checked facts file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Where it came from, for evidence texts.
    pub origin: String,
    pub product: Option<String>,
    pub version: Option<String>,
    pub entries: Vec<FactEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactEntry {
    pub section: &'static str,
    pub name: String,
    pub on: bool,
    /// 1-based line of the entry in the file.
    pub line: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("{origin}: {message}")]
    Yaml { origin: String, message: String },
    #[error(
        "{origin}: line {line}: {section}.{name}: `{value}` is not on/off (use on, off, yes, no, true, false, enabled or disabled)"
    )]
    Value {
        origin: String,
        line: usize,
        section: String,
        name: String,
        value: String,
    },
    #[error("{origin}: line {line}: an empty name in {section}")]
    EmptyName {
        origin: String,
        line: usize,
        section: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    product: Option<String>,
    version: Option<String>,
    #[serde(default)]
    services: BTreeMap<String, serde_norway::Value>,
    #[serde(default)]
    interfaces: BTreeMap<String, serde_norway::Value>,
    #[serde(default)]
    features: BTreeMap<String, serde_norway::Value>,
    #[serde(default)]
    protocols: BTreeMap<String, serde_norway::Value>,
    #[serde(default)]
    file_types: BTreeMap<String, serde_norway::Value>,
    #[serde(default)]
    roles: BTreeMap<String, serde_norway::Value>,
}

/// Which condition kinds each section can answer.
fn section_kinds(section: &str) -> &'static [ConditionKind] {
    use ConditionKind::*;
    match section {
        "services" | "features" => &[Configuration, FunctionUse, Platform, Input, Other],
        "interfaces" => &[Configuration, FunctionUse, Network],
        "protocols" => &[Configuration, FunctionUse, Input],
        "file_types" => &[Input, UserInteraction, Configuration],
        "roles" => &[Privileges],
        _ => &[],
    }
}

impl Facts {
    /// Parses and checks a facts file; `origin` (its path) names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Facts, FactsError> {
        let raw: Raw = serde_norway::from_str(text).map_err(|e| FactsError::Yaml {
            origin: origin.to_string(),
            message: e.to_string(),
        })?;
        let mut entries = Vec::new();
        for (section, map) in [
            ("services", &raw.services),
            ("interfaces", &raw.interfaces),
            ("features", &raw.features),
            ("protocols", &raw.protocols),
            ("file_types", &raw.file_types),
            ("roles", &raw.roles),
        ] {
            for (name, value) in map {
                let line = line_of(text, section, name);
                if name.trim().is_empty() {
                    return Err(FactsError::EmptyName {
                        origin: origin.to_string(),
                        line,
                        section: section.to_string(),
                    });
                }
                let on = switch(value).ok_or_else(|| FactsError::Value {
                    origin: origin.to_string(),
                    line,
                    section: section.to_string(),
                    name: name.clone(),
                    value: serde_norway::to_string(value)
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                })?;
                entries.push(FactEntry {
                    section,
                    name: name.trim().to_ascii_lowercase(),
                    on,
                    line,
                });
            }
        }
        entries.sort_by_key(|e| e.line);
        Ok(Facts {
            origin: origin.to_string(),
            product: raw.product,
            version: raw.version,
            entries,
        })
    }

    /// The answer of the longest entry whose name the condition states.
    pub(crate) fn answer(&self, c: &Condition) -> Option<AutoAnswer> {
        let text = c.text.to_ascii_lowercase();
        let e = self
            .entries
            .iter()
            .filter(|e| section_kinds(e.section).contains(&c.kind))
            .filter(|e| has_phrase(&text, &e.name) || has_phrase(&text, &format!("{}s", e.name)))
            .max_by_key(|e| e.name.len())?;
        // "SSLv3 or a TLS connection to a numerical IP address": one
        // alternative off does not make the condition false.
        let alternatives = has_phrase(&text, "or");
        Some(AutoAnswer {
            answer: match (e.on, alternatives) {
                (true, _) => AnswerValue::Yes,
                (false, false) => AnswerValue::No,
                (false, true) => AnswerValue::Unknown,
            },
            source: AutoSource::Facts,
            evidence: format!(
                "{} line {}: {}.{}: {}",
                self.origin,
                e.line,
                e.section,
                e.name,
                if e.on { "on" } else { "off" }
            ),
        })
    }
}

fn switch(v: &serde_norway::Value) -> Option<bool> {
    match v {
        serde_norway::Value::Bool(b) => Some(*b),
        serde_norway::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "on" | "yes" | "true" | "enabled" | "y" => Some(true),
            "off" | "no" | "false" | "disabled" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The 1-based line of `name:` under the top-level `section:` (0 when not
/// found, which the parser's own checks make rare).
fn line_of(text: &str, section: &str, name: &str) -> usize {
    let mut inside = false;
    for (i, line) in text.lines().enumerate() {
        let body = line.split(" #").next().unwrap_or(line);
        if !line.starts_with([' ', '\t']) && !body.trim().is_empty() && !body.starts_with('#') {
            inside = body.trim_end().trim_end_matches(':') == section;
            continue;
        }
        let key = body.trim().split(':').next().unwrap_or_default().trim();
        let key = key.trim_matches(['"', '\'']);
        if inside && key == name {
            return i + 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conditions::ConditionSource;

    fn cond(kind: ConditionKind, text: &str) -> Condition {
        Condition {
            id: "c1".into(),
            kind,
            class: None,
            text: text.into(),
            question: "q".into(),
            question_ja: None,
            source: ConditionSource::Description,
            evidence: None,
        }
    }

    const SAMPLE: &str = "# facts\nproduct: gw\nservices:\n  web server: off\n  modbus: on\nfeatures:\n  dhcp client: yes\n";

    #[test]
    fn names_answer_conditions_that_state_them() {
        let f = Facts::parse(SAMPLE, "gw.facts.yaml").unwrap();
        let a = f
            .answer(&cond(
                ConditionKind::Configuration,
                "The web server is enabled",
            ))
            .unwrap();
        assert_eq!(a.answer, AnswerValue::No);
        assert_eq!(a.evidence, "gw.facts.yaml line 4: services.web server: off");
        let a = f
            .answer(&cond(
                ConditionKind::FunctionUse,
                "The flaw is reachable through scripts executed by unspecified DHCP clients",
            ))
            .unwrap();
        assert_eq!(a.answer, AnswerValue::Yes);
        assert!(a.evidence.contains("line 7"));
        // One alternative off leaves the condition open.
        let a = f
            .answer(&cond(
                ConditionKind::Configuration,
                "The web server or the FTP server is enabled",
            ))
            .unwrap();
        assert_eq!(a.answer, AnswerValue::Unknown);
        // A privileges condition is not a service's business.
        assert!(
            f.answer(&cond(ConditionKind::Privileges, "modbus"))
                .is_none()
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = Facts::parse("services:\n  web server: maybe\n", "f.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.yaml: line 2: services.web server: `maybe` is not on/off (use on, off, yes, no, true, false, enabled or disabled)"
        );
        let e = Facts::parse("product: x\nservice:\n  a: on\n", "f.yaml").unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(e.to_string().contains("service"), "{e}");
    }
}
