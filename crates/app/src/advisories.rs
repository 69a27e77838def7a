//! A customer advisory (CSAF 2.0 `csaf_security_advisory`) for a product
//! version, from its findings and the product's stored verdicts.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use kensa_logic::verdict::Verdict;
use kensa_matching::portfolio;
use kensa_model::team::Role;
use kensa_report::csaf::advisory::{
    self, Product, Publisher, Request, State, TrackingStatus, Vulnerability,
};
use kensa_store::Store;
use serde_json::Value;

use crate::access::{self, Actor};
use crate::findings::{FindingFilter, FindingView, product_findings};
use crate::{AppError, Result};

/// What to write.
#[derive(Debug, Clone)]
pub struct AdvisoryRequest<'a> {
    pub product: &'a str,
    /// The newest stored version unless given.
    pub version: Option<&'a str>,
    /// Only these vulnerabilities (ids or aliases); empty: every finding.
    pub vulnerabilities: &'a [String],
    pub status: TrackingStatus,
    pub publisher: &'a Publisher,
    /// The advisory this one updates.
    pub previous: Option<&'a Value>,
    pub now: DateTime<Utc>,
}

/// The advisory and what the caller should know about it.
#[derive(Debug, Clone)]
pub struct Advisory {
    pub document: Value,
    pub version: String,
    /// Vulnerabilities stated as under investigation because their
    /// verdict is not approved (interim and final advisories state only
    /// approved verdicts).
    pub unapproved: Vec<String>,
}

/// The status names `--status` takes.
pub fn status(name: &str) -> Result<TrackingStatus> {
    match name {
        "draft" => Ok(TrackingStatus::Draft),
        "interim" => Ok(TrackingStatus::Interim),
        "final" => Ok(TrackingStatus::Final),
        other => Err(AppError::invalid(
            "status",
            format!("`{other}` is not a status; use draft, interim or final"),
        )),
    }
}

/// The product's own purl and CPE, as its stored SBOM names the product it
/// describes (CycloneDX `metadata.component`, SPDX `documentDescribes`).
fn identifiers(
    store: &Store,
    product: &str,
    version: &str,
) -> Result<(Option<String>, Option<String>)> {
    let Some(bytes) = store.version_sbom(product, version)? else {
        return Ok((None, None));
    };
    // Stored SBOMs were parsed when they were added; one that no longer
    // parses (a stricter release) just names no identifiers.
    let Ok(sbom) = kensa_sbom::parse(&bytes, &kensa_sbom::ParseOptions::default()) else {
        return Ok((None, None));
    };
    Ok(sbom
        .subject
        .map(|s| (s.purl, s.cpes.into_iter().next()))
        .unwrap_or_default())
}

/// Writes the advisory. A draft states every current verdict and any
/// reader may write one; interim and final advisories state only approved
/// verdicts and need the approver role.
pub fn security_advisory(store: &Store, actor: &Actor, req: &AdvisoryRequest) -> Result<Advisory> {
    let published = req.status != TrackingStatus::Draft;
    let need = if published {
        Role::Approver
    } else {
        Role::Viewer
    };
    let (p, _) = access::product(store, actor, req.product, need)?;
    let all = product_findings(
        store,
        actor,
        req.product,
        req.version,
        &FindingFilter::default(),
    )?;
    let by_vuln = group_by_vulnerability(&all.findings);
    let chosen = choose(&by_vuln, req.vulnerabilities, req.product, &all.version)?;
    let verdicts: HashMap<String, Value> = if published {
        store.approved_verdicts(p.id)?.into_iter().collect()
    } else {
        store
            .assessments_of(p.id)?
            .into_iter()
            .map(|a| (a.vulnerability, a.verdict))
            .collect()
    };
    let later = later_versions(store, req.product, &all.version)?;
    let mut unapproved = Vec::new();
    let mut vulnerabilities = Vec::with_capacity(chosen.len());
    for id in chosen {
        let findings = &by_vuln[id];
        let state = match verdicts.get(id) {
            Some(v) => state_of(id, v)?,
            None => {
                if published && store.assessment(p.id, id)?.is_some() {
                    unapproved.push(id.to_string());
                }
                State::UnderInvestigation
            }
        };
        vulnerabilities.push(vulnerability(store, id, findings, state, &later)?);
    }
    let (purl, cpe) = identifiers(store, &p.name, &all.version)?;
    let product = Product {
        name: p.name.clone(),
        version: all.version.clone(),
        purl,
        cpe,
    };
    let request = Request {
        publisher: req.publisher,
        product: &product,
        status: req.status,
        vulnerabilities: &vulnerabilities,
        now: req.now,
        previous: req.previous,
        tracking_id: None,
        title: None,
        tool_version: env!("CARGO_PKG_VERSION"),
    };
    let document = advisory::security_advisory(&request).map_err(|e| match e {
        advisory::AdvisoryError::Invalid { field, message } => AppError::invalid(field, message),
        other => AppError::Conflict(other.to_string()),
    })?;
    Ok(Advisory {
        document,
        version: all.version,
        unapproved,
    })
}

fn group_by_vulnerability(findings: &[FindingView]) -> BTreeMap<String, Vec<&FindingView>> {
    let mut out: BTreeMap<String, Vec<&FindingView>> = BTreeMap::new();
    for f in findings {
        out.entry(f.finding.vulnerability.id.clone())
            .or_default()
            .push(f);
    }
    out
}

/// The vulnerabilities asked for, each a finding of the version.
fn choose<'a>(
    by_vuln: &'a BTreeMap<String, Vec<&FindingView>>,
    wanted: &[String],
    product: &str,
    version: &str,
) -> Result<Vec<&'a str>> {
    if by_vuln.is_empty() {
        return Err(AppError::Conflict(format!(
            "{product} {version} has no findings: there is nothing to advise on"
        )));
    }
    if wanted.is_empty() {
        return Ok(by_vuln.keys().map(String::as_str).collect());
    }
    let mut out = Vec::new();
    for w in wanted {
        let hit = by_vuln.iter().find(|(id, fs)| {
            id.eq_ignore_ascii_case(w)
                || fs[0]
                    .finding
                    .vulnerability
                    .aliases
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(w))
        });
        match hit {
            Some((id, _)) if !out.contains(&id.as_str()) => out.push(id.as_str()),
            Some(_) => {}
            None => {
                return Err(AppError::invalid(
                    "vuln",
                    format!("{w} is not a finding of {product} {version}"),
                ));
            }
        }
    }
    Ok(out)
}

fn state_of(id: &str, stored: &Value) -> Result<State> {
    let v: Verdict = serde_json::from_value(stored.clone()).map_err(|e| {
        AppError::Store(kensa_store::StoreError::Corrupt {
            what: format!("verdict on {id}"),
            message: e.to_string(),
        })
    })?;
    Ok(match v.status.as_str() {
        "affected" => State::Affected,
        "not_affected" => State::NotAffected {
            justification: v.justification.map(|j| j.csaf().to_string()),
            impact: v.basis,
        },
        _ => State::UnderInvestigation,
    })
}

/// The versions stored after `version`, oldest first, each with the
/// vulnerabilities it has.
fn later_versions(
    store: &Store,
    product: &str,
    version: &str,
) -> Result<Vec<(String, Vec<String>)>> {
    let versions = store
        .portfolio_products(Some(&[product]))?
        .into_iter()
        .next()
        .map(|p| p.versions)
        .unwrap_or_default();
    let Some(at) = versions.iter().position(|v| v.version == version) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for v in &versions[at + 1..] {
        if let Some((name, report)) = portfolio::version_report(store, product, Some(&v.version))? {
            let ids = report
                .findings
                .into_iter()
                .map(|f| f.vulnerability.id)
                .collect();
            out.push((name, ids));
        }
    }
    Ok(out)
}

fn vulnerability(
    store: &Store,
    id: &str,
    findings: &[&FindingView],
    state: State,
    later: &[(String, Vec<String>)],
) -> Result<Vulnerability> {
    let triage = findings.iter().find_map(|f| f.triage.as_ref());
    let description = store.vuln(id)?.and_then(|view| {
        view.records
            .iter()
            .find_map(|r| r.record.description("en").map(str::to_string))
    });
    let mut components: Vec<String> = findings
        .iter()
        .map(|f| {
            let c = &f.finding.component;
            match &c.version {
                Some(v) => format!("{} {v}", c.name),
                None => c.name.clone(),
            }
        })
        .collect();
    components.dedup();
    let fixed_in = later
        .iter()
        .find(|(_, ids)| !ids.iter().any(|i| i == id))
        .map(|(v, _)| v.clone());
    Ok(Vulnerability {
        id: id.to_string(),
        description,
        cwe: triage.and_then(|t| t.cwe.first().cloned()),
        cvss: triage
            .and_then(|t| t.cvss.as_ref())
            .map(|c| c.vector.clone()),
        kev_added: triage
            .and_then(|t| t.kev.as_ref())
            .map(|k| k.date_added.clone()),
        state,
        components,
        mitigation: None,
        fixed_in,
    })
}
