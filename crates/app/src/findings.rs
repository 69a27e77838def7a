//! A product's findings: each as `kensa scan --format json` gives it, with
//! the triage of its vulnerability and the product's stored verdict.

use std::collections::{BTreeMap, HashMap};

use kensa_matching::{Finding, portfolio};
use kensa_model::team::Role;
use kensa_store::Store;
use kensa_store::team::{AssessmentRecord, HistoryRow};
use kensa_triage::{Triage, Triager};
use serde::Serialize;

use crate::access::{self, Actor};
use crate::page::{self, Page};
use crate::{AppError, Result};

/// Which findings to list, and in what order.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub min_priority: Option<u8>,
    /// Only known-exploited (true) or only not known-exploited (false).
    pub kev: Option<bool>,
    /// SSVC decisions, lower-case; empty: all.
    pub decisions: Vec<String>,
    /// Verdicts (`affected`, `not_affected`, `under_investigation`, or
    /// `none` for unassessed); empty: all.
    pub verdicts: Vec<String>,
    pub sort: FindingSort,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FindingSort {
    /// Highest priority first.
    #[default]
    Priority,
    Vulnerability,
    Component,
}

impl std::str::FromStr for FindingSort {
    type Err = AppError;
    fn from_str(s: &str) -> Result<FindingSort> {
        match s {
            "priority" => Ok(FindingSort::Priority),
            "vulnerability" => Ok(FindingSort::Vulnerability),
            "component" => Ok(FindingSort::Component),
            other => Err(AppError::invalid(
                "sort",
                format!("`{other}` is not a sort order; use priority, vulnerability or component"),
            )),
        }
    }
}

pub const VERDICTS: [&str; 4] = ["affected", "not_affected", "under_investigation", "none"];

/// The stored verdict on a finding's vulnerability in the product.
#[derive(Debug, Clone, Serialize)]
pub struct VerdictSummary {
    pub status: String,
    pub revision: i64,
    pub approved: bool,
    pub saved_by: String,
    pub saved_at: String,
}

impl VerdictSummary {
    pub fn of(a: &AssessmentRecord) -> VerdictSummary {
        VerdictSummary {
            status: a.status.clone(),
            revision: a.revision,
            approved: a.is_approved(),
            saved_by: a.saved_by.clone(),
            saved_at: a.saved_at.clone(),
        }
    }
}

/// One finding with its triage and verdict.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    #[serde(flatten)]
    pub finding: Finding,
    pub triage: Option<Triage>,
    pub verdict: Option<VerdictSummary>,
}

impl FindingView {
    pub fn priority(&self) -> u8 {
        self.triage.as_ref().map_or(0, |t| t.priority)
    }
}

/// A product version's findings.
#[derive(Debug, Clone, Serialize)]
pub struct ProductFindings {
    pub product: String,
    pub version: String,
    pub role: Role,
    /// Data was imported after these findings were computed: a rescan is
    /// due (it runs after every import unless deferred).
    pub stale: bool,
    pub summary: kensa_matching::scan::Summary,
    pub findings: Vec<FindingView>,
    pub unversioned: Vec<kensa_matching::scan::Unversioned>,
    pub unresolved: Vec<kensa_matching::scan::Unresolved>,
}

/// Whether findings predate the newest import.
pub fn findings_are_stale(store: &Store) -> Result<bool> {
    let latest = store.latest_import()?;
    Ok(store.portfolio_cursor()?.is_some_and(|c| c < latest))
}

/// The findings of a product's version (the newest unless `version`),
/// filtered and sorted.
pub fn product_findings(
    store: &Store,
    actor: &Actor,
    product: &str,
    version: Option<&str>,
    filter: &FindingFilter,
) -> Result<ProductFindings> {
    for d in &filter.verdicts {
        if !VERDICTS.contains(&d.as_str()) {
            return Err(AppError::invalid(
                "verdict",
                format!("`{d}` is not a verdict; use {}", VERDICTS.join(", ")),
            ));
        }
    }
    let (p, role) = access::product(store, actor, product, Role::Viewer)?;
    let (version, report) =
        portfolio::version_report(store, product, version)?.ok_or_else(|| {
            AppError::NotFound(format!(
                "no version {} of product {product}",
                version.unwrap_or("")
            ))
        })?;
    let triages = triage_of(store, &report.findings)?;
    let verdicts: HashMap<String, AssessmentRecord> = store
        .assessments_of(p.id)?
        .into_iter()
        .map(|a| (a.vulnerability.clone(), a))
        .collect();
    let mut findings: Vec<FindingView> = report
        .findings
        .into_iter()
        .map(|f| FindingView {
            triage: triages.get(&f.vulnerability.id).cloned(),
            verdict: verdicts.get(&f.vulnerability.id).map(VerdictSummary::of),
            finding: f,
        })
        .filter(|v| keep(v, filter))
        .collect();
    sort(&mut findings, filter.sort);
    Ok(ProductFindings {
        product: p.name,
        version,
        role,
        stale: findings_are_stale(store)?,
        summary: report.summary,
        findings,
        unversioned: report.unversioned,
        unresolved: report.unresolved,
    })
}

/// The same findings a page at a time: `cursor` is an offset into the
/// sorted list.
pub fn findings_page(
    store: &Store,
    actor: &Actor,
    product: &str,
    filter: &FindingFilter,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<Page<FindingView>> {
    let limit = page::limit(limit)?;
    let start = match cursor {
        Some(c) => page::decode_cursor(c, 1)?[0]
            .parse::<usize>()
            .map_err(|_| AppError::invalid("cursor", "not a cursor this list returned"))?,
        None => 0,
    };
    let all = product_findings(store, actor, product, None, filter)?.findings;
    let end = (start + limit).min(all.len());
    let next_cursor = (end < all.len()).then(|| page::encode_cursor(&[&end.to_string()]));
    Ok(Page {
        items: all.into_iter().skip(start).take(limit).collect(),
        next_cursor,
    })
}

/// The stored triage of the findings' vulnerabilities; any the store does
/// not hold yet (a rescan not followed by a refresh) is computed.
fn triage_of(store: &Store, findings: &[Finding]) -> Result<BTreeMap<String, Triage>> {
    let ids: Vec<&str> = findings
        .iter()
        .map(|f| f.vulnerability.id.as_str())
        .collect();
    let mut out: BTreeMap<String, Triage> = store.stored_triage(&ids)?.into_iter().collect();
    let missing: Vec<&Finding> = findings
        .iter()
        .filter(|f| !out.contains_key(&f.vulnerability.id))
        .collect();
    if !missing.is_empty() {
        out.extend(crate::triage::triage_findings(
            store,
            missing,
            &Triager::default(),
        )?);
    }
    Ok(out)
}

fn keep(v: &FindingView, f: &FindingFilter) -> bool {
    let t = v.triage.as_ref();
    if let Some(min) = f.min_priority
        && v.priority() < min
    {
        return false;
    }
    if let Some(kev) = f.kev
        && t.is_some_and(|t| t.kev.is_some()) != kev
    {
        return false;
    }
    if !f.decisions.is_empty()
        && !t.is_some_and(|t| f.decisions.contains(&t.ssvc.decision.to_lowercase()))
    {
        return false;
    }
    if !f.verdicts.is_empty() {
        let status = v.verdict.as_ref().map_or("none", |v| v.status.as_str());
        if !f.verdicts.iter().any(|d| d == status) {
            return false;
        }
    }
    true
}

fn sort(findings: &mut [FindingView], by: FindingSort) {
    let vuln = |v: &FindingView| v.finding.vulnerability.id.clone();
    let comp = |v: &FindingView| {
        (
            v.finding.component.name.clone(),
            v.finding.component.bom_ref.clone(),
        )
    };
    match by {
        FindingSort::Priority => findings.sort_by(|a, b| {
            b.priority()
                .cmp(&a.priority())
                .then_with(|| vuln(a).cmp(&vuln(b)))
                .then_with(|| comp(a).cmp(&comp(b)))
        }),
        FindingSort::Vulnerability => {
            findings.sort_by(|a, b| vuln(a).cmp(&vuln(b)).then_with(|| comp(a).cmp(&comp(b))))
        }
        FindingSort::Component => findings.sort_by(|a, b| {
            comp(a)
                .cmp(&comp(b))
                .then_with(|| b.priority().cmp(&a.priority()))
        }),
    }
}

/// Everything about one vulnerability in one product: which components
/// have it and why, its triage, the product's assessment and its history.
#[derive(Debug, Clone, Serialize)]
pub struct FindingDetail {
    pub product: String,
    pub version: String,
    pub role: Role,
    pub vulnerability: String,
    pub description: Option<String>,
    pub published: Option<String>,
    /// One per component with this vulnerability.
    pub findings: Vec<FindingView>,
    pub triage: Option<Triage>,
    pub assessment: Option<AssessmentRecord>,
    pub history: Vec<HistoryRow>,
}

pub fn finding_detail(
    store: &Store,
    actor: &Actor,
    product: &str,
    vuln: &str,
) -> Result<FindingDetail> {
    let filter = FindingFilter::default();
    let all = product_findings(store, actor, product, None, &filter)?;
    let (p, _) = access::product(store, actor, product, Role::Viewer)?;
    let findings: Vec<FindingView> = all
        .findings
        .into_iter()
        .filter(|f| f.finding.vulnerability.id.eq_ignore_ascii_case(vuln))
        .collect();
    if findings.is_empty() {
        return Err(AppError::NotFound(format!(
            "{product} {} has no finding on {vuln}",
            all.version
        )));
    }
    let id = findings[0].finding.vulnerability.id.clone();
    let view = store.vuln(&id)?;
    let description = view.as_ref().and_then(|v| {
        v.records
            .iter()
            .find_map(|r| r.record.description("en").map(str::to_string))
    });
    Ok(FindingDetail {
        product: all.product,
        version: all.version,
        role: all.role,
        published: view.and_then(|v| v.published),
        description,
        triage: findings[0].triage.clone(),
        assessment: store.assessment(p.id, &id)?,
        history: store.assessment_history(p.id, &id)?,
        vulnerability: id,
        findings,
    })
}
