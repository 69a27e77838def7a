//! Product pages: the dashboard of the products a user may see, a product
//! with its findings table, and the findings as CSV.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Form, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kensa_app::findings::{FindingFilter, FindingView};
use kensa_model::team::Role;

use super::{Nav, Tr, WebError, WebUser, band, html};
use crate::api::products::finding_filter;
use crate::extract::Params;
use crate::state::AppState;

/// Products on one dashboard page.
const PRODUCTS_PER_PAGE: usize = 50;
/// Findings on one product page.
const FINDINGS_PER_PAGE: usize = 200;

pub struct ProductRow {
    name: String,
    team: String,
    version: String,
    critical: u64,
    high: u64,
    medium: u64,
    low: u64,
    kev: u64,
    decisions: String,
    verdicts: String,
    role: &'static str,
}

/// An open CRA case's next clock, as the dashboard shows it.
pub struct CaseClock {
    id: String,
    product: String,
    version: String,
    subject: String,
    stage: &'static str,
    /// UTC, to the minute.
    due: String,
    /// Negative when overdue.
    hours_left: i64,
}

impl CaseClock {
    fn of(
        t: &Tr,
        c: kensa_app::cra::CaseView,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<CaseClock> {
        let next = c.next?;
        Some(CaseClock {
            stage: match next.stage.as_str() {
                "early-warning" => t.s("Early warning"),
                "notification" if c.kind.as_str() == "severe_incident" => {
                    t.s("Incident notification")
                }
                "notification" => t.s("Vulnerability notification"),
                _ => t.s("Final report"),
            },
            due: next.due.format("%Y-%m-%d %H:%M").to_string(),
            hours_left: (next.due - now).num_hours(),
            subject: c.vulnerability.or(c.summary).unwrap_or_default(),
            id: c.id,
            product: c.product,
            version: c.version,
        })
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    t: Tr,
    nav: Nav,
    products: Vec<ProductRow>,
    /// Open CRA cases, the soonest deadline first.
    cases: Vec<CaseClock>,
    stale: bool,
    can_create: bool,
    teams: Vec<String>,
    next: Option<String>,
}

fn counts_text(map: &BTreeMap<String, u64>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn dashboard(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let p = Params::from_query(query.as_deref(), &["after"]).map_err(|e| user.fail(e, "/"))?;
    let after = p.get("after").map(str::to_string);
    let actor = user.actor.clone();
    let (products, stale, teams, cases) = state
        .pool
        .run(move |store| -> kensa_app::Result<_> {
            let products = kensa_app::products::list(
                store,
                &actor,
                after.as_deref(),
                Some(PRODUCTS_PER_PAGE),
            )?;
            let stale = kensa_app::findings::findings_are_stale(store)?;
            let teams = kensa_app::accounts::list_teams(store, &actor)?;
            let cases = kensa_app::cra::list(store, &actor, None, chrono::Utc::now())?;
            Ok((products, stale, teams, cases))
        })
        .await
        .map_err(|e| user.fail(e, "/"))?
        .map_err(|e| user.fail(e, "/"))?;
    let can_create =
        user.actor.is_global_admin()
            || user.actor.grants().iter().any(|g| {
                g.role == Role::Admin && matches!(g.scope, kensa_model::team::Scope::Team(_))
            });
    let next = products
        .next_cursor
        .as_ref()
        .and(products.items.last().map(|p| p.name.clone()));
    let rows = products
        .items
        .into_iter()
        .map(|p| ProductRow {
            version: p
                .versions
                .last()
                .map(|v| v.version.clone())
                .unwrap_or_default(),
            team: p.team.unwrap_or_default(),
            critical: p.counts.critical,
            high: p.counts.high,
            medium: p.counts.medium,
            low: p.counts.low,
            kev: p.counts.kev,
            decisions: counts_text(&p.counts.decisions),
            verdicts: counts_text(&p.counts.verdicts),
            role: p.role.as_str(),
            name: p.name,
        })
        .collect();
    let now = chrono::Utc::now();
    let mut cases: Vec<CaseClock> = cases
        .into_iter()
        .filter_map(|c| CaseClock::of(&user.t, c, now))
        .collect();
    cases.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.id.cmp(&b.id)));
    let page = Dashboard {
        t: user.t,
        nav: user.nav("products"),
        products: rows,
        cases,
        stale,
        can_create,
        teams: teams.into_iter().map(|t| t.name).collect(),
        next,
    };
    Ok(html(StatusCode::OK, &page))
}

pub struct FindingRow {
    priority: u8,
    band: &'static str,
    decision: String,
    vuln: String,
    kev: bool,
    component: String,
    method: String,
    confidence: String,
    verdict: String,
    approved: bool,
}

impl FindingRow {
    fn of(v: &FindingView) -> FindingRow {
        let t = v.triage.as_ref();
        let c = &v.finding.component;
        FindingRow {
            priority: v.priority(),
            band: band(v.priority()),
            decision: t.map(|t| t.ssvc.decision.clone()).unwrap_or_default(),
            vuln: v.finding.vulnerability.id.clone(),
            kev: t.is_some_and(|t| t.kev.is_some()),
            component: format!("{} {}", c.name, c.version.as_deref().unwrap_or("")),
            method: method_name(&v.finding),
            confidence: format!("{:.2}", v.finding.matched.confidence),
            verdict: v
                .verdict
                .as_ref()
                .map(|v| v.status.clone())
                .unwrap_or_default(),
            approved: v.verdict.as_ref().is_some_and(|v| v.approved),
        }
    }
}

pub fn method_name(f: &kensa_matching::Finding) -> String {
    serde_json::to_value(f.matched.method)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "product.html")]
struct ProductPage {
    t: Tr,
    nav: Nav,
    name: String,
    version: String,
    team: String,
    role: &'static str,
    versions: String,
    components: usize,
    unresolved: usize,
    unversioned: usize,
    stale: bool,
    rows: Vec<FindingRow>,
    shown: usize,
    total: usize,
    next: Option<usize>,
    query: String,
    f_min: String,
    f_kev: String,
    f_decision: String,
    f_verdict: String,
    f_sort: String,
    decisions: Vec<(&'static str, String)>,
    verdict_choices: Vec<&'static str>,
    sorts: Vec<&'static str>,
    can_upload: bool,
    can_approve: bool,
    unmatched: Vec<Unmatched>,
    can_alias: bool,
    /// A language model is configured and the user may confirm.
    can_ask: bool,
    /// The version's files for automatic answers: kind, name, bytes, who, when.
    files: Vec<(String, String, usize, String, String)>,
    can_files: bool,
}

/// A component no product resolved, with its nearest products
/// (`vendor:product`, why).
struct Unmatched {
    component: String,
    version: String,
    nearest: Vec<(String, String)>,
}

/// Unresolved components shown with their nearest products, at most.
const UNMATCHED_SHOWN: usize = 50;

pub const DECISIONS: [&str; 6] = [
    "Immediate",
    "Out-of-Cycle",
    "Scheduled",
    "Defer",
    "Act",
    "Track",
];
const FILTERS: [&str; 6] = [
    "min_priority",
    "kev",
    "decision",
    "verdict",
    "sort",
    "offset",
];

pub async fn product(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let p = Params::from_query(query.as_deref(), &FILTERS).map_err(|e| user.fail(e, "/"))?;
    let filter = finding_filter(&p).map_err(|e| user.fail(e, "/"))?;
    let offset: usize = p
        .parse("offset", "a number")
        .map_err(|e| user.fail(e, "/"))?
        .unwrap_or(0);
    let actor = user.actor.clone();
    let n = name.clone();
    let (overview, findings, files) = state
        .pool
        .run(move |store| -> kensa_app::Result<_> {
            let overview = kensa_app::products::get(store, &actor, &n)?;
            let mut findings =
                kensa_app::findings::product_findings(store, &actor, &n, None, &filter)?;
            kensa_app::aliases::suggest(store, &mut findings.unresolved, UNMATCHED_SHOWN)?;
            let files =
                kensa_app::auto_answers::stored(store, &actor, &n, Some(&findings.version))?;
            Ok((overview, findings, files))
        })
        .await
        .map_err(|e| user.fail(e, "/"))?
        .map_err(|e| user.fail(e, "/"))?;
    let total = findings.findings.len();
    let rows: Vec<FindingRow> = findings
        .findings
        .iter()
        .skip(offset)
        .take(FINDINGS_PER_PAGE)
        .map(FindingRow::of)
        .collect();
    let page = ProductPage {
        t: user.t,
        nav: user.nav("products"),
        version: findings.version.clone(),
        team: overview.team.clone().unwrap_or_default(),
        role: overview.role.as_str(),
        versions: overview
            .versions
            .iter()
            .map(|v| v.version.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        components: findings.summary.components,
        unresolved: findings.summary.unresolved,
        unversioned: findings.summary.unversioned,
        stale: findings.stale,
        shown: rows.len(),
        total,
        next: (offset + FINDINGS_PER_PAGE < total).then_some(offset + FINDINGS_PER_PAGE),
        rows,
        query: p.kept(&FILTERS[..5]),
        f_min: p.get("min_priority").unwrap_or("").to_string(),
        f_kev: p.get("kev").unwrap_or("").to_string(),
        f_decision: p.get("decision").unwrap_or("").to_lowercase(),
        f_verdict: p.get("verdict").unwrap_or("").to_string(),
        f_sort: p.get("sort").unwrap_or("priority").to_string(),
        decisions: DECISIONS.iter().map(|d| (*d, d.to_lowercase())).collect(),
        verdict_choices: kensa_app::findings::VERDICTS.to_vec(),
        sorts: vec!["priority", "vulnerability", "component"],
        can_upload: overview.role >= Role::Admin,
        can_files: overview.role >= Role::Analyst,
        files: files
            .files
            .into_iter()
            .map(|f| {
                (
                    f.kind.as_str().to_string(),
                    f.origin,
                    f.bytes,
                    f.stored_by,
                    f.stored_at.chars().take(19).collect(),
                )
            })
            .collect(),
        can_approve: overview.role >= Role::Approver,
        unmatched: findings
            .unresolved
            .iter()
            .take(UNMATCHED_SHOWN)
            .map(|u| Unmatched {
                component: u.component.name.clone(),
                version: u.component.version.clone().unwrap_or_default(),
                nearest: u
                    .nearest
                    .iter()
                    .map(|n| (format!("{}:{}", n.vendor, n.product), n.reason.clone()))
                    .collect(),
            })
            .collect(),
        can_alias: kensa_app::aliases::may_change(&user.actor),
        can_ask: state.config.llm.is_some() && kensa_app::aliases::may_change(&user.actor),
        name: overview.name,
    };
    Ok(html(StatusCode::OK, &page))
}

/// "This is the same product": confirms that components of a name are a
/// product (an alias for every later scan), rescans, and shows the
/// product again.
pub async fn confirm_alias(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(name): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, WebError> {
    user.check_csrf(f.get("csrf").map(String::as_str))?;
    let back = format!("/products/{}", super::session::urlencode(&name));
    let actor = user.actor.clone();
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let (component, target, note) = (field("component"), field("target"), field("note"));
    state
        .pool
        .run(move |store| {
            let req = kensa_app::aliases::AliasRequest {
                component: &component,
                target: &target,
                purl_type: None,
                note: (!note.is_empty()).then_some(note.as_str()),
            };
            kensa_app::aliases::confirm(store, &actor, &req)
        })
        .await
        .map_err(|e| user.fail(e, &back))?
        .map_err(|e| user.fail(e, &back))?;
    Ok(Redirect::to(&format!("{back}#unmatched")).into_response())
}

/// The filtered findings as CSV, for spreadsheets and tickets.
pub async fn findings_csv(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let p = Params::from_query(query.as_deref(), &FILTERS).map_err(|e| user.fail(e, "/"))?;
    let filter: FindingFilter = finding_filter(&p).map_err(|e| user.fail(e, "/"))?;
    let actor = user.actor.clone();
    let n = name.clone();
    let findings = state
        .pool
        .run(move |store| kensa_app::findings::product_findings(store, &actor, &n, None, &filter))
        .await
        .map_err(|e| user.fail(e, "/"))?
        .map_err(|e| user.fail(e, "/"))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "priority",
        "decision",
        "kev",
        "vulnerability",
        "component",
        "version",
        "purl",
        "method",
        "confidence",
        "matched",
        "verdict",
        "approved",
        "reasons",
    ]);
    for v in &findings.findings {
        let f = &v.finding;
        let t = v.triage.as_ref();
        let _ = w.write_record([
            v.priority().to_string(),
            t.map(|t| t.ssvc.decision.clone()).unwrap_or_default(),
            t.is_some_and(|t| t.kev.is_some()).to_string(),
            f.vulnerability.id.clone(),
            f.component.name.clone(),
            f.component.version.clone().unwrap_or_default(),
            f.component.purl.clone().unwrap_or_default(),
            method_name(f),
            format!("{:.2}", f.matched.confidence),
            f.matched.matched.clone(),
            v.verdict
                .as_ref()
                .map(|v| v.status.clone())
                .unwrap_or_default(),
            v.verdict.as_ref().is_some_and(|v| v.approved).to_string(),
            t.map(|t| t.reasons.join("; ")).unwrap_or_default(),
        ]);
    }
    let body = w.into_inner().unwrap_or_default();
    let file: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}-findings.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}
