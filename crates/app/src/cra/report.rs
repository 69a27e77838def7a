//! A stage report's draft: the reporting platform's fields for the stage
//! (kensa-report's versioned field list), filled from the case, the
//! product's market metadata and its findings.

use std::collections::BTreeMap;

use kensa_model::team::Role;
use kensa_report::cra::{self, Stage, StageReport};
use kensa_store::Store;
use kensa_store::team::CaseRow;

use super::{CaseView, case_for, kind_of, view};
use crate::Result;
use crate::access::Actor;
use crate::findings::{FindingFilter, product_findings};

/// A stage report's draft: the platform's fields for the stage, filled
/// from the case, the product's market metadata and the findings.
pub fn report(
    store: &Store,
    actor: &Actor,
    case: &str,
    stage: Stage,
) -> Result<(CaseView, StageReport)> {
    let c = case_for(store, actor, case, Role::Viewer)?;
    let market = store.market(c.product_id)?;
    let mut known: BTreeMap<String, String> = BTreeMap::new();
    known.insert("product".into(), format!("{} {}", c.product, c.version));
    if let Some(m) = &market {
        known.insert("member_states".into(), m.member_states.join(", "));
    }
    known.insert("awareness".into(), c.awareness_at.clone());
    if let Some(s) = &c.summary {
        known.insert("summary".into(), s.clone());
    }
    if let Some(m) = &c.measure {
        known.insert("measures".into(), m.clone());
        known.insert("user_measures".into(), m.clone());
        known.insert("security_update".into(), m.clone());
    }
    if let Some(v) = &c.vulnerability {
        known.insert("vulnerability".into(), v.clone());
        known.insert(
            "exploitation".into(),
            format!("Actively exploited; evidence: {}.", c.source),
        );
        vulnerability_facts(store, actor, &c, v, &mut known)?;
    }
    let kind = kind_of(&c.kind)?;
    let draft = cra::draft(cra::fields(), stage, kind, &known);
    Ok((view(c)?, draft))
}

/// The weakness, description, severity and impact from the finding.
fn vulnerability_facts(
    store: &Store,
    actor: &Actor,
    c: &CaseRow,
    vuln: &str,
    known: &mut BTreeMap<String, String>,
) -> Result<()> {
    let all = product_findings(
        store,
        actor,
        &c.product,
        Some(&c.version),
        &FindingFilter::default(),
    )?;
    let Some(f) = all
        .findings
        .iter()
        .find(|f| f.finding.vulnerability.id == vuln)
    else {
        return Ok(());
    };
    let components: Vec<String> = all
        .findings
        .iter()
        .filter(|g| g.finding.vulnerability.id == vuln)
        .map(|g| {
            format!(
                "{} {}",
                g.finding.component.name,
                g.finding.component.version.as_deref().unwrap_or("")
            )
            .trim()
            .to_string()
        })
        .collect();
    let mut description = store
        .vuln(vuln)?
        .and_then(|v| {
            v.records
                .iter()
                .find_map(|r| r.record.description("en").map(str::to_string))
        })
        .unwrap_or_default();
    if let Some(t) = &f.triage {
        if !t.cwe.is_empty() {
            let names: Vec<String> = t
                .cwe
                .iter()
                .map(|c| match kensa_report::csaf::cwe_name(c) {
                    Some(n) => format!("{c} {n}"),
                    None => c.clone(),
                })
                .collect();
            known.insert("weakness".into(), names.join("; "));
        }
        if let Some(cvss) = &t.cvss {
            description.push_str(&format!(
                " Severity: CVSS {} base score {:.1} ({}).",
                serde_json::to_value(cvss.version)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                cvss.base,
                cvss.vector
            ));
        }
    }
    description.push_str(&format!(" Affected components: {}.", components.join(", ")));
    known.insert("description".into(), description.trim().to_string());
    Ok(())
}
