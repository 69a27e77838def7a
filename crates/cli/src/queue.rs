//! `kensa queue`: the backlog of the stored products, most urgent first.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use kensa_matching::portfolio;
use kensa_triage::Triage;
use serde::Serialize;

use crate::{Ctx, OutputFormat, outln, print_json};

#[derive(Args)]
#[command(after_help = "Examples:\n  \
kensa queue                                       every stored product's newest version\n  \
kensa queue --product rtu-gateway --min-priority 60\n  \
kensa queue --decision immediate --decision out-of-cycle --format json\n  \
kensa queue --profile rtu-gateway.profile.yaml    the product's safety, exposure and environment")]
pub struct QueueArgs {
    /// Only these products (repeatable) [default: all stored products]
    #[arg(long, value_name = "NAME")]
    product: Vec<String>,
    /// Product profile (YAML) for triage [default: conservative defaults]
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Only findings with this SSVC decision (repeatable; case-insensitive), e.g. immediate
    #[arg(long, value_name = "DECISION")]
    decision: Vec<String>,
    /// Only findings with at least this priority (0-100)
    #[arg(long, value_name = "N", default_value_t = 0)]
    min_priority: u8,
    /// Show at most this many rows (0: all)
    #[arg(long, value_name = "N", default_value_t = 0)]
    limit: usize,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// One finding of one product in the backlog.
#[derive(Serialize)]
pub struct Row {
    product: String,
    version: String,
    component: String,
    vulnerability: String,
    priority: u8,
    decision: String,
    /// CISA KEV remediation due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    kev_due: Option<String>,
    /// CRA early warning and notification deadlines, counted from the day
    /// CISA listed the exploitation (the latest a maker can claim to have
    /// become aware of it).
    #[serde(skip_serializing_if = "Option::is_none")]
    cra_early_warning_due: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cra_notification_due: Option<String>,
    triage: Triage,
}

pub fn run(ctx: &Ctx, args: QueueArgs) -> Result<ExitCode> {
    let mut store = ctx.open_existing()?;
    crate::database::prepare_findings(&mut store)?.require_vulnerability_data("a queue")?;
    let triager = crate::triage::load_triager(args.profile.as_deref())?;
    let stored: Vec<String> = store.products()?.into_iter().map(|p| p.name).collect();
    if stored.is_empty() {
        bail!(
            "no products stored\n  hint: `kensa product add NAME --version V --sbom FILE` stores one; \
             `kensa scan SBOM` triages an SBOM without storing it"
        );
    }
    let products: Vec<String> = if args.product.is_empty() {
        stored
    } else {
        for p in &args.product {
            if !stored.contains(p) {
                bail!("no product {p} is stored\n  hint: `kensa product list` shows what is");
            }
        }
        args.product.clone()
    };
    let filter = Filter {
        decisions: args.decision.iter().map(|d| d.to_lowercase()).collect(),
        min_priority: args.min_priority,
    };
    let mut rows = backlog(&store, &products, &triager, &filter)?;
    if args.limit > 0 {
        rows.truncate(args.limit);
    }
    match args.format {
        OutputFormat::Json => print_json(&rows)?,
        OutputFormat::Text => print_table(&rows),
    }
    Ok(ExitCode::SUCCESS)
}

/// Which findings a queue keeps.
#[derive(Default)]
pub struct Filter {
    /// Lower-case SSVC decisions; empty keeps all.
    pub decisions: Vec<String>,
    pub min_priority: u8,
}

/// The newest version of each product, its findings triaged, most urgent
/// first.
pub fn backlog(
    store: &kensa_store::Store,
    products: &[String],
    triager: &kensa_triage::Triager,
    filter: &Filter,
) -> Result<Vec<Row>> {
    let mut reports = Vec::new();
    for product in products {
        if let Some((version, report)) = portfolio::version_report(store, product, None)? {
            reports.push((product, version, report));
        }
    }
    // Products share vulnerabilities: each distinct one is triaged once,
    // from one report holding every product's findings.
    let mut all = kensa_matching::ScanReport::of(std::iter::empty(), 0);
    all.findings = reports
        .iter()
        .flat_map(|(_, _, r)| r.findings.iter().cloned())
        .collect();
    let triages = crate::triage::triage_findings(store, &all, triager)?;
    let mut rows = Vec::new();
    for (product, version, report) in &reports {
        for f in &report.findings {
            let Some(t) = triages.get(&f.vulnerability.id) else {
                continue;
            };
            if t.priority < filter.min_priority
                || (!filter.decisions.is_empty()
                    && !filter.decisions.contains(&t.ssvc.decision.to_lowercase()))
            {
                continue;
            }
            rows.push(row(product, version, f, t));
        }
    }
    rows.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then_with(|| a.kev_due.cmp(&b.kev_due))
            .then_with(|| a.vulnerability.cmp(&b.vulnerability))
            .then_with(|| a.product.cmp(&b.product))
    });
    Ok(rows)
}

fn row(product: &str, version: &str, f: &kensa_matching::Finding, t: &Triage) -> Row {
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
    Row {
        product: product.to_string(),
        version: version.to_string(),
        component: match &f.component.version {
            Some(v) => format!("{} {v}", f.component.name),
            None => f.component.name.clone(),
        },
        vulnerability: f.vulnerability.id.clone(),
        priority: t.priority,
        decision: t.ssvc.decision.clone(),
        kev_due: t.kev.as_ref().map(|k| k.due_date.clone()),
        cra_early_warning_due: early,
        cra_notification_due: notification,
        triage: t.clone(),
    }
}

fn kev_day(date: &str) -> Option<DateTime<Utc>> {
    let day = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

pub fn print_table(rows: &[Row]) {
    if rows.is_empty() {
        outln!("nothing in the queue matches");
        return;
    }
    outln!(
        "{:>4}  {:<13} {:<16} {:<24} {:<24} {:<14} why",
        "PRIO",
        "DECISION",
        "VULNERABILITY",
        "PRODUCT",
        "COMPONENT",
        "DUE"
    );
    for r in rows {
        let due = r
            .cra_early_warning_due
            .as_deref()
            .map(|d| format!("CRA {}", &d[..10]))
            .or_else(|| r.kev_due.clone())
            .unwrap_or_default();
        use crate::term::field;
        outln!(
            "{:>4}  {:<13} {:<16} {:<24} {:<24} {:<14} {}",
            r.priority,
            r.decision,
            field(&r.vulnerability),
            field(&format!("{} {}", r.product, r.version)),
            field(&r.component),
            due,
            field(r.triage.reasons.first().map(String::as_str).unwrap_or(""))
        );
    }
    outln!("{} findings", rows.len());
}
