//! The portfolio's backlog: every finding of every product's newest
//! version that the actor may see, most urgent first, with KEV due dates
//! and the next deadline of each finding's CRA case.

use chrono::{DateTime, Utc};
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
    /// The next deadline of the finding's CRA case (`kensa cra open`):
    /// counted from the case's awareness, never from before the version was
    /// registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cra: Option<CraDue>,
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
        QueueItem {
            product: product.to_string(),
            version: version.to_string(),
            component,
            vulnerability: vuln.to_string(),
            priority: t.priority,
            decision: t.ssvc.decision.clone(),
            kev_due: t.kev.as_ref().map(|k| k.due_date.clone()),
            cra: None,
            triage: t.clone(),
        }
    }
}

/// A CRA case's next deadline.
#[derive(Debug, Clone, Serialize)]
pub struct CraDue {
    /// `CRA-12`.
    pub case: String,
    pub stage: kensa_report::cra::Stage,
    pub due: DateTime<Utc>,
}

/// Sets each item's CRA deadline from its case, if it has one.
fn with_cases(store: &Store, items: &mut [QueueItem]) -> Result<()> {
    let cases = crate::cra::next_deadlines(store)?;
    if cases.is_empty() {
        return Ok(());
    }
    for item in items {
        let key = (
            item.product.clone(),
            item.version.clone(),
            item.vulnerability.clone(),
        );
        if let Some((case, next)) = cases.get(&key) {
            item.cra = Some(CraDue {
                case: case.clone(),
                stage: next.stage,
                due: next.due,
            });
        }
    }
    Ok(())
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
    let mut items: Vec<QueueItem> = rows
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
    with_cases(store, &mut items)?;
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
    with_cases(store, &mut rows)?;
    Ok(rows)
}
