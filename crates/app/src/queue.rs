//! The portfolio's backlog: every finding of every product's newest
//! version that the actor may see, most urgent first, with KEV and CRA
//! due dates.

use chrono::{DateTime, NaiveDate, Utc};
use kensa_matching::Finding;
use kensa_model::Component;
use kensa_model::team::Role;
use kensa_store::{QueueKey, QueueQuery, Store};
use kensa_triage::{Triage, Triager};
use serde::Serialize;

use crate::access::{self, Actor};
use crate::page::{self, Page};
use crate::{AppError, Result};

/// One finding of one product in the backlog.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub product: String,
    pub version: String,
    pub component: String,
    pub vulnerability: String,
    pub priority: u8,
    pub decision: String,
    /// CISA KEV remediation due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kev_due: Option<String>,
    /// CRA early warning and notification deadlines, counted from the day
    /// CISA listed the exploitation (the latest a maker can claim to have
    /// become aware of it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cra_early_warning_due: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cra_notification_due: Option<String>,
    pub triage: Triage,
}

impl QueueItem {
    pub fn new(
        product: &str,
        version: &str,
        component: String,
        vuln: &str,
        t: &Triage,
    ) -> QueueItem {
        let (early, notification) = match (&t.cra, &t.kev) {
            (Some(cra), Some(kev)) => match kev_day(&kev.date_added) {
                Some(aware) => {
                    let (e, n) = cra.deadlines(aware);
                    (Some(e.to_rfc3339()), Some(n.to_rfc3339()))
                }
                None => (None, None),
            },
            _ => (None, None),
        };
        QueueItem {
            product: product.to_string(),
            version: version.to_string(),
            component,
            vulnerability: vuln.to_string(),
            priority: t.priority,
            decision: t.ssvc.decision.clone(),
            kev_due: t.kev.as_ref().map(|k| k.due_date.clone()),
            cra_early_warning_due: early,
            cra_notification_due: notification,
            triage: t.clone(),
        }
    }
}

fn kev_day(date: &str) -> Option<DateTime<Utc>> {
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

fn component_label(name: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("{name} {v}"),
        None => name.to_string(),
    }
}

/// Which findings a queue keeps.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Only these products; empty: every product the actor may see.
    pub products: Vec<String>,
    pub min_priority: u8,
    /// SSVC decisions (any case); empty: all.
    pub decisions: Vec<String>,
    pub kev_only: bool,
    pub vulnerability: Option<String>,
}

/// One page of the backlog, ranked by the stored triage (default profile).
pub fn page(
    store: &Store,
    actor: &Actor,
    filter: &QueueFilter,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<Page<QueueItem>> {
    let limit = page::limit(limit)?;
    let products = if !filter.products.is_empty() {
        let mut ids = Vec::new();
        for name in &filter.products {
            ids.push(access::product(store, actor, name, Role::Viewer)?.0.id);
        }
        Some(ids)
    } else if actor.global_role().is_some() {
        None
    } else {
        Some(
            access::visible_products(store, actor)?
                .into_iter()
                .map(|(p, _)| p.id)
                .collect(),
        )
    };
    if products.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    }
    let after = cursor.map(decode_key).transpose()?;
    let rows = store.queue_page::<Component, Triage>(&QueueQuery {
        products,
        min_priority: filter.min_priority,
        decisions: filter.decisions.clone(),
        kev_only: filter.kev_only,
        vuln: filter.vulnerability.clone(),
        after,
        limit: limit + 1,
    })?;
    let more = rows.len() > limit;
    let items: Vec<QueueItem> = rows
        .iter()
        .take(limit)
        .map(|r| {
            QueueItem::new(
                &r.key.product,
                &r.version,
                component_label(&r.component.name, r.component.version.as_deref()),
                &r.key.vuln_id,
                &r.triage,
            )
        })
        .collect();
    let next_cursor = more.then(|| encode_key(&rows[limit - 1].key));
    Ok(Page { items, next_cursor })
}

fn encode_key(k: &QueueKey) -> String {
    page::encode_cursor(&[
        &k.priority.to_string(),
        &k.vuln_id,
        &k.product,
        &k.component_id.to_string(),
    ])
}

fn decode_key(cursor: &str) -> Result<QueueKey> {
    let p = page::decode_cursor(cursor, 4)?;
    let bad = || AppError::invalid("cursor", "not a cursor this list returned");
    Ok(QueueKey {
        priority: p[0].parse().map_err(|_| bad())?,
        vuln_id: p[1].clone(),
        product: p[2].clone(),
        component_id: p[3].parse().map_err(|_| bad())?,
    })
}

/// The whole backlog of some products triaged live with a product profile
/// (the command line's `kensa queue --profile`): every finding of each
/// product's newest version, most urgent first.
pub fn live_backlog(
    store: &Store,
    products: &[String],
    triager: &Triager,
    filter: &QueueFilter,
) -> Result<Vec<QueueItem>> {
    let mut reports = Vec::new();
    for product in products {
        if let Some((version, report)) =
            kensa_matching::portfolio::version_report(store, product, None)?
        {
            reports.push((product, version, report));
        }
    }
    // Products share vulnerabilities: each distinct one is triaged once.
    let all: Vec<&Finding> = reports.iter().flat_map(|(_, _, r)| &r.findings).collect();
    let triages = crate::triage::triage_findings(store, all, triager)?;
    let decisions: Vec<String> = filter.decisions.iter().map(|d| d.to_lowercase()).collect();
    let mut rows = Vec::new();
    for (product, version, report) in &reports {
        for f in &report.findings {
            let Some(t) = triages.get(&f.vulnerability.id) else {
                continue;
            };
            if t.priority < filter.min_priority
                || (!decisions.is_empty() && !decisions.contains(&t.ssvc.decision.to_lowercase()))
                || (filter.kev_only && t.kev.is_none())
            {
                continue;
            }
            let component = component_label(&f.component.name, f.component.version.as_deref());
            rows.push(QueueItem::new(
                product,
                version,
                component,
                &f.vulnerability.id,
                t,
            ));
        }
    }
    // The stored queue's order: priority, vulnerability, product.
    rows.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then_with(|| a.vulnerability.cmp(&b.vulnerability))
            .then_with(|| a.product.cmp(&b.product))
    });
    Ok(rows)
}
