//! EU CRA Article 14 case records: a product's market metadata, one case
//! per reporting obligation (an actively exploited vulnerability in a
//! product version on the EU market, or a severe incident), its clocks,
//! the stage reports' drafts ([`report`]) and their recorded submissions.

mod evidence;
mod report;

pub use evidence::{open_from_evidence, opened_automatically_since};
pub use report::report;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use kensa_model::team::Role;
use kensa_report::cra::{self, Clocks, Deadline, Kind, Stage};
use kensa_store::Store;
use kensa_store::team::{CaseRow, MarketRow, NewCase, SubmissionRow};
use serde::Serialize;

use crate::access::{self, Actor};
use crate::findings::{FindingFilter, product_findings};
use crate::{AppError, Result};

/// The Member States (ISO 3166 alpha-2; Greece as `GR` or the EU's `EL`).
pub const MEMBER_STATES: [&str; 28] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// A product's market metadata to set.
#[derive(Debug, Clone)]
pub struct Market {
    pub on_market: bool,
    pub member_states: Vec<String>,
    /// YYYY-MM-DD.
    pub support_end: Option<String>,
}

/// Sets whether a product is on the EU market, and where.
pub fn set_market(
    store: &mut Store,
    actor: &Actor,
    product: &str,
    m: &Market,
) -> Result<MarketRow> {
    let (p, _) = access::product(store, actor, product, Role::Analyst)?;
    let mut states = Vec::new();
    for s in &m.member_states {
        let code = s.trim().to_uppercase();
        if !MEMBER_STATES.contains(&code.as_str()) {
            return Err(AppError::invalid(
                "member_states",
                format!("`{s}` is not an EU Member State code (AT, BE, …, SE)"),
            ));
        }
        if !states.contains(&code) {
            states.push(code);
        }
    }
    if m.on_market && states.is_empty() {
        return Err(AppError::invalid(
            "member_states",
            "a product on the EU market is made available in at least one Member State",
        ));
    }
    if let Some(d) = &m.support_end
        && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err()
    {
        return Err(AppError::invalid(
            "support_end",
            format!("`{d}` is not a date (YYYY-MM-DD)"),
        ));
    }
    let row = store.set_market(
        p.id,
        m.on_market,
        &states,
        m.support_end.as_deref(),
        actor.entry("cra.market", format!("product:{}", p.name)),
    )?;
    // Evidence Kensa already holds now opens this product's cases.
    open_from_evidence(store, Some(&p.name), Utc::now())?;
    Ok(row)
}

/// What a person (or Kensa) records to open a case.
#[derive(Debug, Clone, Default)]
pub struct OpenCase<'a> {
    pub product: &'a str,
    /// The newest stored version unless given.
    pub version: Option<&'a str>,
    /// An exploited vulnerability's id; `None` for an incident.
    pub vulnerability: Option<&'a str>,
    /// A severe incident's summary.
    pub incident: Option<&'a str>,
    /// When the evidence was had; without it, CISA KEV's listing is the
    /// evidence (vulnerabilities only).
    pub aware_at: Option<DateTime<Utc>>,
    pub source: Option<&'a str>,
}

/// A case as callers show it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    /// `CRA-12`.
    pub id: String,
    pub product: String,
    pub version: String,
    pub kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerability: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub source: String,
    pub evidence_at: String,
    pub awareness_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measure: Option<String>,
    pub deadlines: Vec<Deadline>,
    /// The first stage not yet submitted whose clock runs.
    pub next: Option<NextDeadline>,
    pub submissions: Vec<SubmissionRow>,
    pub opened_by: String,
    pub opened_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NextDeadline {
    pub stage: Stage,
    pub due: DateTime<Utc>,
}

fn instant(field: &str, s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| AppError::invalid(field, format!("`{s}` is not an RFC 3339 time: {e}")))
}

fn clocks(c: &CaseRow) -> Result<Clocks> {
    let kind = kind_of(&c.kind)?;
    let mut submitted = Vec::new();
    for s in &c.submissions {
        let stage = Stage::parse(&s.stage).ok_or_else(|| corrupt(c.id, &s.stage))?;
        submitted.push((stage, instant("submitted_at", &s.submitted_at)?));
    }
    Ok(Clocks {
        kind,
        awareness: instant("awareness_at", &c.awareness_at)?,
        measure_available_at: c
            .measure_at
            .as_deref()
            .map(|m| instant("measure_at", m))
            .transpose()?,
        submitted,
    })
}

pub(crate) fn kind_of(s: &str) -> Result<Kind> {
    match s {
        "exploited_vulnerability" => Ok(Kind::ExploitedVulnerability),
        "severe_incident" => Ok(Kind::SevereIncident),
        other => Err(corrupt(0, other)),
    }
}

fn corrupt(id: i64, what: &str) -> AppError {
    AppError::Store(kensa_store::StoreError::Corrupt {
        what: format!("CRA case {id}"),
        message: format!("unknown value `{what}`"),
    })
}

pub(crate) fn view(c: CaseRow) -> Result<CaseView> {
    let clocks = clocks(&c)?;
    Ok(CaseView {
        id: format!("CRA-{}", c.id),
        product: c.product,
        version: c.version,
        kind: clocks.kind,
        vulnerability: c.vulnerability,
        summary: c.summary,
        source: c.source,
        evidence_at: c.evidence_at,
        awareness_at: c.awareness_at,
        measure_at: c.measure_at,
        measure: c.measure,
        next: clocks
            .next_deadline()
            .map(|(stage, due)| NextDeadline { stage, due }),
        deadlines: clocks.deadlines(),
        submissions: c.submissions,
        opened_by: c.opened_by,
        opened_at: c.opened_at,
    })
}

/// `CRA-12` or `12`.
pub fn parse_case_id(s: &str) -> Result<i64> {
    let digits = s
        .strip_prefix("CRA-")
        .or_else(|| s.strip_prefix("cra-"))
        .unwrap_or(s);
    digits
        .parse()
        .map_err(|_| AppError::invalid("case", format!("`{s}` is not a case id (CRA-12)")))
}

/// Opens a case after checking every rule of Article 14 that applies.
pub fn open(
    store: &mut Store,
    actor: &Actor,
    req: &OpenCase,
    now: DateTime<Utc>,
) -> Result<CaseView> {
    let (p, _) = access::product(store, actor, req.product, Role::Analyst)?;
    let market = store.market(p.id)?;
    if !market.as_ref().is_some_and(|m| m.on_market) {
        return Err(AppError::Conflict(format!(
            "{} is not marked as on the EU market, so Article 14 does not apply\n  hint: `kensa cra market {} --on-market --member-states DE,FR` records where it is made available",
            p.name, p.name
        )));
    }
    let (version, registered) = registered_version(store, &p.name, req.version)?;
    if let Some(t) = req.aware_at
        && t > now
    {
        return Err(AppError::invalid(
            "aware_at",
            format!("{} is in the future", t.to_rfc3339()),
        ));
    }
    let (kind, vuln, evidence, source) = match (req.vulnerability, req.incident) {
        (Some(v), None) => {
            let (id, evidence) = exploited_finding(store, actor, &p.name, &version, v, now)?;
            match (req.aware_at, evidence) {
                (Some(t), _) => (
                    Kind::ExploitedVulnerability,
                    Some(id),
                    t,
                    source_text(req.source)?,
                ),
                (None, Some((at, source))) => (Kind::ExploitedVulnerability, Some(id), at, source),
                (None, None) => {
                    return Err(AppError::invalid(
                        "aware_at",
                        format!(
                            "Kensa has no evidence that {id} is actively exploited (neither CISA KEV nor CISA ADP says so); record yours with --aware-at TIME --source TEXT"
                        ),
                    ));
                }
            }
        }
        (None, Some(_)) => {
            let t = req.aware_at.ok_or_else(|| {
                AppError::invalid("aware_at", "an incident needs the time of awareness")
            })?;
            (Kind::SevereIncident, None, t, source_text(req.source)?)
        }
        _ => {
            return Err(AppError::invalid(
                "vuln",
                "a case is about one vulnerability or one incident",
            ));
        }
    };
    let case = Evidence {
        kind,
        vulnerability: vuln.as_deref(),
        summary: req.incident,
        at: evidence,
        source: &source,
    };
    match store_case(store, actor, &p, &version, registered, &case)? {
        Some(c) => view(c),
        None => {
            let existing = store.case_of(p.id, &version, vuln.as_deref().unwrap_or(""))?;
            Err(AppError::Conflict(format!(
                "{} {} already has a case for {}: {}",
                p.name,
                version,
                vuln.unwrap_or_default(),
                existing.map_or_else(String::new, |c| format!("CRA-{}", c.id))
            )))
        }
    }
}

/// What a case is opened on.
struct Evidence<'a> {
    kind: Kind,
    vulnerability: Option<&'a str>,
    summary: Option<&'a str>,
    /// When the evidence was had (KEV: the listing day).
    at: DateTime<Utc>,
    source: &'a str,
}

/// Stores a case whose clocks start at the evidence, never before the
/// version was registered nor before Article 14 applies; `None` when the
/// version already has a case for that vulnerability.
fn store_case(
    store: &mut Store,
    actor: &Actor,
    product: &kensa_store::team::ProductRef,
    version: &str,
    registered: DateTime<Utc>,
    e: &Evidence,
) -> Result<Option<CaseRow>> {
    let awareness = cra::awareness(e.at, registered);
    let fmt = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    Ok(store.open_case(
        &NewCase {
            product_id: product.id,
            version,
            kind: e.kind.as_str(),
            vuln_id: e.vulnerability,
            summary: e.summary,
            source: e.source,
            evidence_at: &fmt(e.at),
            awareness_at: &fmt(awareness),
            opened_by: &actor.name,
        },
        actor.entry("cra.open", format!("product:{}", product.name)),
    )?)
}

/// A product's version (the newest unless given) and when it was registered.
fn registered_version(
    store: &Store,
    product: &str,
    version: Option<&str>,
) -> Result<(String, DateTime<Utc>)> {
    let versions = store
        .portfolio_products(Some(&[product]))?
        .into_iter()
        .next()
        .map(|x| x.versions)
        .unwrap_or_default();
    let found = match version {
        Some(v) => versions.iter().find(|x| x.version == v),
        None => versions.last(),
    }
    .ok_or_else(|| {
        AppError::NotFound(format!(
            "no version {} of product {product}",
            version.unwrap_or("")
        ))
    })?;
    Ok((
        found.version.clone(),
        instant("registered", &found.added_at)?,
    ))
}

fn source_text(s: Option<&str>) -> Result<String> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() <= 500 => Ok(s.to_string()),
        Some(_) => Err(AppError::invalid("source", "longer than 500 characters")),
        None => Err(AppError::invalid(
            "source",
            "say where the evidence comes from (--source TEXT)",
        )),
    }
}

/// When Kensa's evidence of exploitation was had, and where it comes from.
type Exploited = (DateTime<Utc>, String);

/// The vulnerability's id as the finding names it, and Kensa's evidence
/// that it is actively exploited (when and from where), if any.
fn exploited_finding(
    store: &Store,
    actor: &Actor,
    product: &str,
    version: &str,
    vuln: &str,
    now: DateTime<Utc>,
) -> Result<(String, Option<Exploited>)> {
    let all = product_findings(
        store,
        actor,
        product,
        Some(version),
        &FindingFilter::default(),
    )?;
    let f = all
        .findings
        .iter()
        .find(|f| {
            f.finding.vulnerability.id.eq_ignore_ascii_case(vuln)
                || f.finding
                    .vulnerability
                    .aliases
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(vuln))
        })
        .ok_or_else(|| {
            AppError::invalid(
                "vuln",
                format!("{vuln} is not a finding of {product} {version}"),
            )
        })?;
    let evidence = f
        .triage
        .as_ref()
        .and_then(|t| evidence::of_exploitation(t, now));
    Ok((f.finding.vulnerability.id.clone(), evidence))
}

/// The cases the actor may see, oldest first; with `due_within`, only
/// those whose next deadline falls before `now + due_within`.
pub fn list(
    store: &Store,
    actor: &Actor,
    due_within: Option<Duration>,
    now: DateTime<Utc>,
) -> Result<Vec<CaseView>> {
    let ids: Vec<i64> = access::visible_products(store, actor)?
        .into_iter()
        .map(|(p, _)| p.id)
        .collect();
    let mut out = Vec::new();
    for c in store.cases(Some(&ids))? {
        let v = view(c)?;
        let keep = match due_within {
            None => true,
            Some(d) => v.next.as_ref().is_some_and(|n| n.due <= now + d),
        };
        if keep {
            out.push(v);
        }
    }
    Ok(out)
}

pub(crate) fn case_for(store: &Store, actor: &Actor, case: &str, need: Role) -> Result<CaseRow> {
    let id = parse_case_id(case)?;
    let c = store
        .case(id)?
        .ok_or_else(|| AppError::NotFound(format!("no case CRA-{id}")))?;
    // Out of the actor's scope looks the same as absent.
    access::product(store, actor, &c.product, need)
        .map_err(|_| AppError::NotFound(format!("no case CRA-{id}")))?;
    Ok(c)
}

pub fn show(store: &Store, actor: &Actor, case: &str) -> Result<CaseView> {
    view(case_for(store, actor, case, Role::Viewer)?)
}

/// Records that a stage report was submitted at `at` (not in the future,
/// not before awareness, in order, once).
pub fn submit(
    store: &mut Store,
    actor: &Actor,
    case: &str,
    stage: Stage,
    at: DateTime<Utc>,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<CaseView> {
    let c = case_for(store, actor, case, Role::Analyst)?;
    if reference.trim().is_empty() || reference.chars().count() > 200 {
        return Err(AppError::invalid(
            "reference",
            "the platform's reference: 1 to 200 characters",
        ));
    }
    if at > now {
        return Err(AppError::invalid(
            "at",
            format!("{} is in the future", at.to_rfc3339()),
        ));
    }
    clocks(&c)?
        .check_submission(stage, at)
        .map_err(|e| AppError::invalid("stage", e.to_string()))?;
    let at_s = at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    store.record_submission(
        &c,
        stage.as_str(),
        &at_s,
        reference.trim(),
        actor.entry("cra.submit", format!("case:CRA-{}", c.id)),
    )?;
    show(store, actor, case)
}

/// Records that a corrective or mitigating measure is available (the
/// vulnerability final report's clock starts).
pub fn measure(
    store: &mut Store,
    actor: &Actor,
    case: &str,
    at: DateTime<Utc>,
    text: &str,
    now: DateTime<Utc>,
) -> Result<CaseView> {
    let c = case_for(store, actor, case, Role::Analyst)?;
    if text.trim().is_empty() || text.chars().count() > 2000 {
        return Err(AppError::invalid(
            "measure",
            "describe the measure in 1 to 2,000 characters",
        ));
    }
    if at > now {
        return Err(AppError::invalid(
            "at",
            format!("{} is in the future", at.to_rfc3339()),
        ));
    }
    let awareness = instant("awareness_at", &c.awareness_at)?;
    let at = at.max(awareness);
    let at_s = at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    store.record_measure(
        &c,
        &at_s,
        text.trim(),
        actor.entry("cra.measure", format!("case:CRA-{}", c.id)),
    )?;
    show(store, actor, case)
}

/// (product, version, vulnerability) → (case id, its next deadline).
pub type CaseDeadlines = BTreeMap<(String, String, String), (String, NextDeadline)>;

/// Each open case's next deadline by (product, version, vulnerability),
/// for the queue.
pub fn next_deadlines(store: &Store) -> Result<CaseDeadlines> {
    let mut out = BTreeMap::new();
    for c in store.cases(None)? {
        let Some(v) = c.vulnerability.clone() else {
            continue;
        };
        let key = (c.product.clone(), c.version.clone(), v);
        let view = view(c)?;
        if let Some(next) = view.next {
            out.insert(key, (view.id, next));
        }
    }
    Ok(out)
}
