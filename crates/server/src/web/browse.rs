//! Pages across products: the portfolio's queue, a vulnerability, and the
//! network sensors' alerts.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use kensa_app::queue::QueueFilter;

use super::products::DECISIONS;
use super::{Nav, Tr, WebError, WebUser, band, html};
use crate::extract::Params;
use crate::state::AppState;

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
    let page = QueuePage {
        t: user.t,
        nav: user.nav("queue"),
        rows,
        stale,
        next: page.next_cursor,
        query: p.kept(&["min_priority", "kev", "decision"]),
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

pub struct AlertView {
    severity: String,
    band: &'static str,
    rule: String,
    src: String,
    dst: String,
    explanation: String,
    asset: String,
    count: u64,
    sensor: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    t: Tr,
    nav: Nav,
    rows: Vec<AlertView>,
    severity: String,
    severities: Vec<&'static str>,
    next: Option<String>,
}

pub async fn alerts(
    State(state): State<Arc<AppState>>,
    user: WebUser,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let p = Params::from_query(query.as_deref(), &["severity", "cursor"])
        .map_err(|e| user.fail(e, "/"))?;
    let severity = p.get("severity").unwrap_or("info").to_string();
    let (actor, sev, cursor) = (
        user.actor.clone(),
        severity.clone(),
        p.get("cursor").map(str::to_string),
    );
    let page = state
        .pool
        .run(move |store| {
            kensa_app::alerts::list(
                store,
                &actor,
                Some(&sev),
                None,
                cursor.as_deref(),
                Some(100),
            )
        })
        .await
        .map_err(|e| user.fail(e, "/"))?
        .map_err(|e| user.fail(e, "/"))?;
    let band = |s: &str| match s {
        "critical" => "critical",
        "high" => "high",
        "medium" => "medium",
        _ => "low",
    };
    let rows = page
        .items
        .into_iter()
        .map(|a| AlertView {
            band: band(&a.severity),
            asset: a.alert["asset"]["summary"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            updated: a.updated_at.chars().take(19).collect(),
            severity: a.severity,
            rule: a.rule,
            src: a.src,
            dst: a.dst,
            explanation: a.explanation,
            count: a.count,
            sensor: a.sensor,
        })
        .collect();
    let page = AlertsPage {
        t: user.t,
        nav: user.nav("alerts"),
        rows,
        severity,
        severities: vec!["info", "low", "medium", "high", "critical"],
        next: page.next_cursor,
    };
    Ok(html(StatusCode::OK, &page))
}
