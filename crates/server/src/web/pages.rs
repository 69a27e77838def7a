//! Pages: the products dashboard, a product and its findings, the queue,
//! a vulnerability, an SBOM upload and its job.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kensa_app::findings::{FindingFilter, FindingView};
use kensa_app::queue::QueueFilter;
use kensa_model::team::Role;

use super::{Nav, Tr, WebError, WebUser, band, html};
use crate::api::products::{Upload, finding_filter, start_upload};
use crate::extract::Params;
use crate::problem::ApiError;
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

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    t: Tr,
    nav: Nav,
    products: Vec<ProductRow>,
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
    let (products, stale, teams) = state
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
            Ok((products, stale, teams))
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
    let page = Dashboard {
        t: user.t,
        nav: user.nav("products"),
        products: rows,
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
}

const DECISIONS: [&str; 6] = [
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
    let (overview, findings) = state
        .pool
        .run(move |store| -> kensa_app::Result<_> {
            let overview = kensa_app::products::get(store, &actor, &n)?;
            let findings = kensa_app::findings::product_findings(store, &actor, &n, None, &filter)?;
            Ok((overview, findings))
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
    let keep: Vec<String> = FILTERS[..5]
        .iter()
        .filter_map(|k| {
            p.get(k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", super::session::urlencode(v)))
        })
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
        query: keep.join("&"),
        f_min: p.get("min_priority").unwrap_or("").to_string(),
        f_kev: p.get("kev").unwrap_or("").to_string(),
        f_decision: p.get("decision").unwrap_or("").to_lowercase(),
        f_verdict: p.get("verdict").unwrap_or("").to_string(),
        f_sort: p.get("sort").unwrap_or("priority").to_string(),
        decisions: DECISIONS.iter().map(|d| (*d, d.to_lowercase())).collect(),
        verdict_choices: kensa_app::findings::VERDICTS.to_vec(),
        sorts: vec!["priority", "vulnerability", "component"],
        can_upload: overview.role >= Role::Admin,
        can_approve: overview.role >= Role::Approver,
        name: overview.name,
    };
    Ok(html(StatusCode::OK, &page))
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

pub struct QueueRow {
    priority: u8,
    band: &'static str,
    decision: String,
    vuln: String,
    kev: bool,
    product: String,
    version: String,
    component: String,
    due: String,
    why: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    t: Tr,
    nav: Nav,
    rows: Vec<QueueRow>,
    stale: bool,
    next: Option<String>,
    query: String,
    f_min: String,
    f_kev: bool,
    f_decision: String,
    decisions: Vec<(&'static str, String)>,
}

pub async fn queue(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let p = Params::from_query(
        query.as_deref(),
        &["min_priority", "kev", "decision", "cursor"],
    )
    .map_err(|e| user.fail(e, "/queue"))?;
    let filter = QueueFilter {
        products: Vec::new(),
        min_priority: p
            .parse("min_priority", "a priority")
            .map_err(|e| user.fail(e, "/queue"))?
            .unwrap_or(0),
        decisions: p.all("decision"),
        kev_only: p
            .flag("kev")
            .map_err(|e| user.fail(e, "/queue"))?
            .unwrap_or(false),
        vulnerability: None,
    };
    let cursor = p.get("cursor").map(str::to_string);
    let actor = user.actor.clone();
    let f = filter.clone();
    let (page, stale) = state
        .pool
        .run(move |store| -> kensa_app::Result<_> {
            let page = kensa_app::queue::page(store, &actor, &f, cursor.as_deref(), Some(100))?;
            Ok((page, kensa_app::findings::findings_are_stale(store)?))
        })
        .await
        .map_err(|e| user.fail(e, "/queue"))?
        .map_err(|e| user.fail(e, "/queue"))?;
    let rows = page
        .items
        .iter()
        .map(|i| QueueRow {
            priority: i.priority,
            band: band(i.priority),
            decision: i.decision.clone(),
            vuln: i.vulnerability.clone(),
            kev: i.kev_due.is_some(),
            product: i.product.clone(),
            version: i.version.clone(),
            component: i.component.clone(),
            due: i
                .cra_early_warning_due
                .as_deref()
                .map(|d| format!("CRA {}", &d[..d.len().min(10)]))
                .or_else(|| i.kev_due.clone())
                .unwrap_or_default(),
            why: i.triage.reasons.first().cloned().unwrap_or_default(),
        })
        .collect();
    let keep: Vec<String> = ["min_priority", "kev", "decision"]
        .iter()
        .filter_map(|k| {
            p.get(k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", super::session::urlencode(v)))
        })
        .collect();
    let page = QueuePage {
        t: user.t,
        nav: user.nav("queue"),
        rows,
        stale,
        next: page.next_cursor,
        query: keep.join("&"),
        f_min: p.get("min_priority").unwrap_or("").to_string(),
        f_kev: filter.kev_only,
        f_decision: p.get("decision").unwrap_or("").to_lowercase(),
        decisions: DECISIONS.iter().map(|d| (*d, d.to_lowercase())).collect(),
    };
    Ok(html(StatusCode::OK, &page))
}

pub struct SourceView {
    source: String,
    title: String,
    description: String,
    cvss: String,
    cwe: String,
}

#[derive(Template)]
#[template(path = "vulnerability.html")]
struct VulnPage {
    t: Tr,
    nav: Nav,
    id: String,
    published: String,
    modified: String,
    aliases: String,
    kev: String,
    epss: String,
    sources: Vec<SourceView>,
    advisories: Vec<String>,
    products: Vec<String>,
}

pub async fn vulnerability(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let actor = user.actor.clone();
    let (view, products) = state
        .pool
        .run(move |store| -> kensa_app::Result<_> {
            let view = store.vuln(&id)?.ok_or_else(|| {
                kensa_app::AppError::NotFound(format!("{id} is not in the database"))
            })?;
            // The user's products whose queue holds it.
            let filter = QueueFilter {
                vulnerability: Some(view.id.clone()),
                ..QueueFilter::default()
            };
            let page = kensa_app::queue::page(store, &actor, &filter, None, Some(1000))?;
            let mut products: Vec<String> = page.items.into_iter().map(|i| i.product).collect();
            products.dedup();
            Ok((view, products))
        })
        .await
        .map_err(|e| user.fail(e, "/"))?
        .map_err(|e| user.fail(e, "/"))?;
    let sources = view
        .records
        .iter()
        .map(|r| {
            let rec = &r.record;
            SourceView {
                source: format!("{:?} {}", rec.source.kind, rec.source.name),
                title: rec.title.clone().unwrap_or_default(),
                description: rec.description("en").unwrap_or("").to_string(),
                cvss: rec
                    .cvss
                    .iter()
                    .map(|c| c.vector.clone())
                    .collect::<Vec<_>>()
                    .join("  "),
                cwe: rec
                    .weaknesses
                    .iter()
                    .map(|w| w.cwe.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect();
    let page = VulnPage {
        t: user.t,
        nav: user.nav(""),
        published: view.published.clone().unwrap_or_default(),
        modified: view.last_modified.clone().unwrap_or_default(),
        aliases: view.aliases.join(", "),
        kev: view
            .kev
            .as_ref()
            .map(|k| {
                format!(
                    "{} ({}), due {}",
                    k.date_added, k.vulnerability_name, k.due_date
                )
            })
            .unwrap_or_default(),
        epss: view
            .epss
            .as_ref()
            .map(|e| format!("{:.4} (percentile {:.3})", e.epss, e.percentile))
            .unwrap_or_default(),
        sources,
        advisories: view
            .advisories
            .iter()
            .map(|a| format!("{} {}", a.tracking_id, a.title))
            .collect(),
        products,
        id: view.id,
    };
    Ok(html(StatusCode::OK, &page))
}

/// Reads an upload form: the SBOM file and its fields.
async fn read_upload_form(
    user: &WebUser,
    mut form: Multipart,
    back: &str,
) -> Result<(BTreeMap<String, String>, Vec<u8>), WebError> {
    let mut fields = BTreeMap::new();
    let mut sbom = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|e| {
        user.fail(
            ApiError::bad_request(format!("the upload could not be read: {e}")),
            back,
        )
    })? {
        let name = field.name().unwrap_or("").to_string();
        if name == "sbom" {
            sbom = field
                .bytes()
                .await
                .map_err(|e| {
                    user.fail(
                        ApiError::bad_request(format!("the file could not be read: {e}")),
                        back,
                    )
                })?
                .to_vec();
        } else {
            let text = field.text().await.map_err(|e| {
                user.fail(ApiError::bad_request(format!("field {name}: {e}")), back)
            })?;
            fields.insert(name, text);
        }
    }
    user.check_csrf(fields.get("csrf").map(String::as_str))?;
    if sbom.is_empty() {
        return Err(user.fail(
            ApiError::invalid("sbom", "choose an SBOM file to upload"),
            back,
        ));
    }
    Ok((fields, sbom))
}

async fn upload(
    state: &Arc<AppState>,
    user: &WebUser,
    product: String,
    fields: &BTreeMap<String, String>,
    sbom: Vec<u8>,
    back: &str,
) -> Result<Response, WebError> {
    let upload = Upload {
        product,
        version: fields
            .get("version")
            .cloned()
            .unwrap_or_default()
            .trim()
            .to_string(),
        team: fields.get("team").filter(|t| !t.is_empty()).cloned(),
        replace: fields.get("replace").is_some_and(|v| v == "true"),
        strict: false,
        origin: format!("web upload by {}", user.actor.name),
        sbom,
    };
    let (job, _) = start_upload(state, user.actor.clone(), upload)
        .await
        .map_err(|e| user.fail(e, back))?;
    Ok(Redirect::to(&format!("/jobs/{job}")).into_response())
}

pub async fn upload_version(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(name): Path<String>,
    form: Multipart,
) -> Result<Response, WebError> {
    let back = format!("/products/{}", super::session::urlencode(&name));
    let (fields, sbom) = read_upload_form(&user, form, &back).await?;
    upload(&state, &user, name, &fields, sbom, &back).await
}

pub async fn upload_new(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    form: Multipart,
) -> Result<Response, WebError> {
    let (fields, sbom) = read_upload_form(&user, form, "/").await?;
    let product = fields
        .get("product")
        .cloned()
        .unwrap_or_default()
        .trim()
        .to_string();
    upload(&state, &user, product, &fields, sbom, "/").await
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    t: Tr,
    nav: Nav,
    id: i64,
    running: bool,
    failed: bool,
    stage: String,
    done: u64,
    total: u64,
    error: String,
    summary: String,
    warnings: Vec<String>,
    back: String,
}

pub async fn job(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let not_found = || ApiError::not_found(format!("no job {id}"));
    let job_id: i64 = id.parse().map_err(|_| user.fail(not_found(), "/"))?;
    let actor = user.actor.clone();
    let job = state
        .pool
        .run(move |store| store.job(job_id))
        .await
        .map_err(|e| user.fail(e, "/"))?
        .map_err(|e| user.fail(kensa_app::AppError::from(e), "/"))?
        .filter(|j| j.created_by == actor.name || actor.is_global_admin())
        .ok_or_else(|| user.fail(not_found(), "/"))?;
    use kensa_store::team::JobState;
    let progress = job.progress.clone().unwrap_or_default();
    let result = job.result.clone().unwrap_or_default();
    let product = result["product"].as_str().map(str::to_string);
    let back = match &product {
        Some(p) => format!("/products/{}", super::session::urlencode(p)),
        None => "/".to_string(),
    };
    let page = JobPage {
        t: user.t,
        nav: user.nav("products"),
        id: job.id,
        running: matches!(job.state, JobState::Queued | JobState::Running),
        failed: job.state == JobState::Failed,
        stage: progress["stage"]
            .as_str()
            .unwrap_or("waiting for an earlier scan")
            .to_string(),
        done: progress["done"].as_u64().unwrap_or(0),
        total: progress["total"].as_u64().unwrap_or(0),
        error: job.error.clone().unwrap_or_default(),
        summary: format!(
            "{} {}: {} components ({} new)",
            product.as_deref().unwrap_or(""),
            result["version"].as_str().unwrap_or(""),
            result["components"],
            result["new_components"]
        ),
        warnings: result["warnings"]
            .as_array()
            .map(|w| {
                w.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        back,
    };
    Ok(html(StatusCode::OK, &page))
}
