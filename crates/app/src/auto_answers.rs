//! Automatic answers for one product version (issue #17): the
//! vulnerability's condition tree, and what the product's stored SBOM and
//! findings, its profile, a facts file and build configurations answer.
//! The CLI (`kensa checklist … --product`, `kensa assess … --auto`) and the
//! server share this.

use std::collections::BTreeMap;

use kensa_logic::Conditions;
use kensa_logic::auto::{self, AutoAnswer, Detection, Facts, KernelConfig, ProductData, SbomEntry};
use kensa_matching::Finding;
use kensa_model::Component;
use kensa_model::team::Role;
use kensa_store::Store;
use serde::Serialize;

use crate::access::{self, Actor};
use crate::{AppError, Result};

/// What a caller brings besides the stored data.
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
        facts: inputs.facts,
        configs: inputs.configs,
    };
    let auto = auto::answer_all(&tree, &data);
    Ok(AutoAnswers {
        product: p.name,
        version,
        vulnerability: id,
        tree,
        auto,
    })
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
