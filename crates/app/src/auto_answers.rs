//! Automatic answers for one product version (issue #17): the
//! vulnerability's condition tree, and what the product's stored SBOM and
//! findings, its profile, a facts file and build configurations answer.
//! The CLI (`kensa checklist … --product`, `kensa assess … --auto`) and the
//! server share this, and the files stored with a product version
//! ([`attach`]), which every later answer reads unless the caller brings
//! its own.

use std::collections::BTreeMap;

use kensa_logic::Conditions;
use kensa_logic::answers::AnswerValue;
use kensa_logic::auto::{self, AutoAnswer, Detection, Facts, KernelConfig, ProductData, SbomEntry};
use kensa_matching::Finding;
use kensa_model::Component;
use kensa_model::team::Role;
use kensa_store::Store;
use kensa_store::team::{InputKind, VersionInput};
use serde::Serialize;

use crate::access::{self, Actor};
use crate::assessments::{AssessmentView, SaveAssessment};
use crate::{AppError, Result};

/// Largest facts file or build configuration stored with a version (a
/// kernel `.config` is ~200 kB).
pub const MAX_INPUT_BYTES: usize = 4 * 1024 * 1024;

/// What a caller brings besides the stored data: a facts file given here
/// replaces the version's stored one, build configurations given here
/// replace its stored ones.
#[derive(Debug, Clone, Default)]
pub struct AutoInputs {
    pub facts: Option<Facts>,
    pub configs: Vec<KernelConfig>,
    /// The product profile's `environment.attack_vector`.
    pub attack_vector: Option<String>,
}

/// The tree and its automatic answers for one product version.
#[derive(Debug, Clone, Serialize)]
pub struct AutoAnswers {
    pub product: String,
    pub version: String,
    pub vulnerability: String,
    #[serde(skip)]
    pub tree: Conditions,
    pub auto: BTreeMap<String, AutoAnswer>,
    /// The files the answers read: given ones by path, stored ones as
    /// `stored: NAME`.
    pub inputs: Vec<String>,
}

/// Answers the vulnerability's conditions for `product` (its newest
/// version unless `version`). Needs the viewer role on the product.
pub fn answer(
    store: &Store,
    actor: &Actor,
    product: &str,
    version: Option<&str>,
    vuln: &str,
    inputs: AutoInputs,
) -> Result<AutoAnswers> {
    let (p, _) = access::product(store, actor, product, Role::Viewer)?;
    if let Some(f) = &inputs.facts {
        check_facts_subject(f, &p.name, version)?;
    }
    let (id, records) = crate::assessments::records(store, vuln)?;
    let tree = kensa_logic::extract::rules(&records);
    let (version, rows) = store
        .version_components::<Component, serde_json::Value, Finding>(&p.name, version)?
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "no version {} of product {}",
                version.unwrap_or(""),
                p.name
            ))
        })?;
    let (facts, configs, used) = inputs_for(store, p.id, &version, &inputs)?;
    let aliases: Vec<&str> = records
        .iter()
        .flat_map(|r| r.aliases.iter().map(String::as_str))
        .chain([id.as_str()])
        .collect();
    let detection = rows
        .iter()
        .flat_map(|r| &r.findings)
        .find(|f: &&Finding| {
            aliases.contains(&f.vulnerability.id.as_str())
                || f.vulnerability
                    .aliases
                    .iter()
                    .any(|a| aliases.contains(&a.as_str()))
        })
        .map(|f| Detection::Found {
            component: f.component.name.clone(),
            version: f.component.version.clone().unwrap_or_default(),
            matched: f.matched.matched.clone(),
        })
        .unwrap_or(Detection::NotFound);
    let components = rows
        .iter()
        .map(|r| SbomEntry {
            name: r.body.name.clone(),
            version: r.body.version.clone(),
            purl: r.body.purl.clone(),
        })
        .collect();
    let data = ProductData {
        label: format!("{} {version}", p.name),
        components: Some(components),
        detection: Some(detection),
        attack_vector: inputs.attack_vector,
        facts,
        configs,
    };
    let auto = auto::answer_all(&tree, &data);
    Ok(AutoAnswers {
        product: p.name,
        version,
        vulnerability: id,
        tree,
        auto,
        inputs: used,
    })
}

/// The facts and configurations to answer from: the caller's, else the
/// version's stored ones; and their names.
fn inputs_for(
    store: &Store,
    product_id: i64,
    version: &str,
    given: &AutoInputs,
) -> Result<(Option<Facts>, Vec<KernelConfig>, Vec<String>)> {
    let stored = store.version_inputs(product_id, version)?;
    let mut used = Vec::new();
    let facts = match &given.facts {
        Some(f) => Some(f.clone()),
        None => stored
            .iter()
            .find(|i| i.kind == InputKind::Facts)
            .map(stored_facts)
            .transpose()?,
    };
    let configs = if given.configs.is_empty() {
        stored
            .iter()
            .filter(|i| i.kind == InputKind::Config)
            .map(stored_config)
            .collect::<Result<Vec<_>>>()?
    } else {
        given.configs.clone()
    };
    if let Some(f) = &facts {
        used.push(f.origin.clone());
    }
    used.extend(configs.iter().map(|c| c.origin.clone()));
    Ok((facts, configs, used))
}

/// A stored file's origin in evidence texts.
fn stored_origin(i: &VersionInput) -> String {
    format!("stored: {}", i.origin)
}

fn corrupt(i: &VersionInput, message: String) -> AppError {
    AppError::Store(kensa_store::StoreError::Corrupt {
        what: format!("stored {} file {}", i.kind.as_str(), i.origin),
        message,
    })
}

fn stored_facts(i: &VersionInput) -> Result<Facts> {
    Facts::parse(&i.body, &stored_origin(i)).map_err(|e| corrupt(i, e.to_string()))
}

fn stored_config(i: &VersionInput) -> Result<KernelConfig> {
    KernelConfig::parse(&i.body, &stored_origin(i)).map_err(|e| corrupt(i, e.to_string()))
}

/// A facts file that names another product or version is refused: its
/// answers would be about something else.
fn check_facts_subject(f: &Facts, product: &str, version: Option<&str>) -> Result<()> {
    if let Some(fp) = &f.product
        && fp != product
    {
        return Err(AppError::invalid(
            "facts",
            format!("{} is about product {fp}, not {product}", f.origin),
        ));
    }
    if let (Some(fv), Some(v)) = (&f.version, version)
        && fv != v
    {
        return Err(AppError::invalid(
            "facts",
            format!("{} is about version {fv}, not {v}", f.origin),
        ));
    }
    Ok(())
}

/// A product version's stored files, as callers list them.
#[derive(Debug, Clone, Serialize)]
pub struct StoredInputs {
    pub product: String,
    pub version: String,
    pub files: Vec<VersionInput>,
}

/// The product version (its newest unless `version`) the actor may see
/// with `need`: the product's id and name and the version.
fn version_of(
    store: &Store,
    actor: &Actor,
    product: &str,
    version: Option<&str>,
    need: Role,
) -> Result<(i64, String, String)> {
    let (p, _) = access::product(store, actor, product, need)?;
    let versions = store
        .portfolio_products(Some(&[p.name.as_str()]))?
        .into_iter()
        .next()
        .map(|s| s.versions)
        .unwrap_or_default();
    let found = match version {
        Some(v) => versions.into_iter().find(|s| s.version == v),
        None => versions.into_iter().last(),
    };
    let v = found.ok_or_else(|| {
        AppError::NotFound(match version {
            Some(v) => format!("no version {v} of product {}", p.name),
            None => format!("product {} has no version", p.name),
        })
    })?;
    Ok((p.id, p.name, v.version))
}

/// Stores a facts file (replacing the version's one) or a build
/// configuration (replacing one of the same name) with a product version,
/// once it parses; a facts file about another product or version is
/// refused. Needs the analyst role on the product.
pub fn attach(
    store: &mut Store,
    actor: &Actor,
    product: &str,
    version: Option<&str>,
    kind: InputKind,
    origin: &str,
    text: &str,
) -> Result<StoredInputs> {
    let (id, name, version) = version_of(store, actor, product, version, Role::Analyst)?;
    if text.len() > MAX_INPUT_BYTES {
        return Err(AppError::invalid(
            origin,
            format!(
                "{} bytes; the largest accepted is {MAX_INPUT_BYTES}",
                text.len()
            ),
        ));
    }
    let origin = origin.trim();
    if origin.is_empty() || origin.chars().count() > 200 {
        return Err(AppError::invalid(
            "origin",
            "the file's name must be 1 to 200 characters",
        ));
    }
    match kind {
        InputKind::Facts => {
            let facts = Facts::parse(text, origin)
                .map_err(|e| AppError::invalid("facts", e.to_string()))?;
            check_facts_subject(&facts, &name, Some(&version))?;
        }
        InputKind::Config => {
            KernelConfig::parse(text, origin)
                .map_err(|e| AppError::invalid("build_config", e.to_string()))?;
        }
    }
    store.store_version_input(
        id,
        &version,
        kind,
        origin,
        text,
        actor.entry("version.input.store", format!("product:{name}@{version}")),
    )?;
    stored(store, actor, &name, Some(&version))
}

/// Removes the version's facts file, or its build configurations (only
/// the one named `origin` when given). Needs the analyst role.
pub fn detach(
    store: &mut Store,
    actor: &Actor,
    product: &str,
    version: Option<&str>,
    kind: InputKind,
    origin: Option<&str>,
) -> Result<StoredInputs> {
    let (id, name, version) = version_of(store, actor, product, version, Role::Analyst)?;
    store.remove_version_input(
        id,
        &version,
        kind,
        origin,
        actor.entry("version.input.remove", format!("product:{name}@{version}")),
    )?;
    stored(store, actor, &name, Some(&version))
}

/// The files stored with a product version (its newest unless `version`).
pub fn stored(
    store: &Store,
    actor: &Actor,
    product: &str,
    version: Option<&str>,
) -> Result<StoredInputs> {
    let (id, name, version) = version_of(store, actor, product, version, Role::Viewer)?;
    let files = store.version_inputs(id, &version)?;
    Ok(StoredInputs {
        product: name,
        version,
        files,
    })
}

/// How a save takes the automatic answers.
#[derive(Debug, Clone, Default)]
pub struct AutoSave {
    /// Which version of the product [default: the newest].
    pub version: Option<String>,
    pub inputs: AutoInputs,
    /// The automatic answers a person was shown pre-filled (condition id →
    /// answer), as the web checklist shows them: an answer the person sent
    /// back unchanged and without a note of their own is stored as
    /// automatic, any other as the person's. `None` (the CLI's `--auto`):
    /// every automatic answer that decides, except where the person
    /// answered.
    pub shown: Option<BTreeMap<String, AnswerValue>>,
}

/// Saves an assessment from the automatic answers and a person's: each
/// automatic answer kept is stored with its source and evidence (note
/// `automatic (SOURCE)`), as `kensa assess --auto` stores it. An answer
/// shown that the product's data no longer gives is refused, so a person
/// never confirms what they did not see.
pub fn save(
    store: &mut Store,
    actor: &Actor,
    product: &str,
    vuln: &str,
    req: &SaveAssessment,
    how: AutoSave,
) -> Result<AssessmentView> {
    let found = answer(
        store,
        actor,
        product,
        how.version.as_deref(),
        vuln,
        how.inputs,
    )?;
    let person_value = if req.answers.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        req.answers.clone()
    };
    let mut person = crate::assessments::parse_answers(&found.vulnerability, &person_value)?;
    let auto = match &how.shown {
        None => found.auto,
        Some(shown) => {
            let kept: Vec<String> = person
                .entries
                .iter()
                .filter(|(id, a)| a.note.is_none() && shown.get(id) == Some(&a.answer))
                .map(|(id, _)| id.clone())
                .collect();
            for id in &kept {
                let now = found.auto.get(id).map(|a| a.answer);
                if now != shown.get(id).copied() {
                    return Err(AppError::invalid(
                        format!("answers.{id}"),
                        format!(
                            "the automatic answer shown ({}) is no longer what the product's data gives ({}); reload the page",
                            shown[id].as_str(),
                            now.map_or("none", AnswerValue::as_str)
                        ),
                    ));
                }
            }
            person.entries.retain(|(id, _)| !kept.contains(id));
            found
                .auto
                .into_iter()
                .filter(|(id, _)| kept.contains(id))
                .collect()
        }
    };
    let merged = auto::merge(&auto, Some(&person));
    if merged.entries.is_empty() {
        return Err(AppError::invalid(
            "answers",
            "no answers: answer at least one question (the product's data decides none)",
        ));
    }
    let req = SaveAssessment {
        answers: crate::assessments::answers_value(&merged),
        note: req.note.clone(),
        expected_revision: req.expected_revision,
    };
    crate::assessments::save(store, actor, product, vuln, &req)
}
