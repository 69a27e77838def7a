//! `kensa queue`: the backlog of the stored products, most urgent first.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;
use kensa_app::Actor;
use kensa_app::page::MAX_LIMIT;
use kensa_app::queue::{self, QueueFilter, QueueItem};
use kensa_store::Store;

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
    /// Product profile (YAML) for triage, computed live [default: the stored
    /// triage, with conservative defaults]
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Only findings with this SSVC decision (repeatable; case-insensitive), e.g. immediate
    #[arg(long, value_name = "DECISION")]
    decision: Vec<String>,
    /// Only findings with at least this priority (0-100)
    #[arg(long, value_name = "N", default_value_t = 0)]
    min_priority: u8,
    /// Only known-exploited vulnerabilities (CISA KEV)
    #[arg(long)]
    kev: bool,
    /// Show at most this many rows (0: all)
    #[arg(long, value_name = "N", default_value_t = 0)]
    limit: usize,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub fn run(ctx: &Ctx, args: QueueArgs) -> Result<ExitCode> {
    let mut store = ctx.open_existing()?;
    crate::database::prepare_findings(&mut store)?.require_vulnerability_data("a queue")?;
    let stored: Vec<String> = store.products()?.into_iter().map(|p| p.name).collect();
    if stored.is_empty() {
        bail!(
            "no products stored\n  hint: `kensa product add NAME --version V --sbom FILE` stores one; \
             `kensa scan SBOM` triages an SBOM without storing it"
        );
    }
    for p in &args.product {
        if !stored.contains(p) {
            bail!("no product {p} is stored\n  hint: `kensa product list` shows what is");
        }
    }
    let filter = QueueFilter {
        products: args.product.clone(),
        min_priority: args.min_priority,
        decisions: args.decision.clone(),
        kev_only: args.kev,
        vulnerability: None,
    };
    let limit = (args.limit > 0).then_some(args.limit);
    let rows = match &args.profile {
        Some(profile) => {
            let triager = crate::triage::load_triager(Some(profile))?;
            let products = if args.product.is_empty() {
                stored
            } else {
                args.product.clone()
            };
            let mut rows = queue::live_backlog(&store, &products, &triager, &filter)?;
            rows.truncate(limit.unwrap_or(usize::MAX));
            rows
        }
        None => stored_backlog(&mut store, &filter, limit)?,
    };
    match args.format {
        OutputFormat::Json => print_json(&rows)?,
        OutputFormat::Text => print_table(&rows),
    }
    Ok(ExitCode::SUCCESS)
}

/// The backlog ranked by the stored triage (default profile), brought up
/// to date first when the database can be written.
pub fn stored_backlog(
    store: &mut Store,
    filter: &QueueFilter,
    limit: Option<usize>,
) -> Result<Vec<QueueItem>> {
    if let Err(e) = kensa_app::triage::refresh_stored_triage(store) {
        match e {
            kensa_app::AppError::Store(s) if s.is_read_only() => {}
            e => return Err(e.into()),
        }
    }
    let actor = Actor::operator();
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let want = limit.map_or(MAX_LIMIT, |l| (l - rows.len()).min(MAX_LIMIT));
        let page = queue::page(store, &actor, filter, cursor.as_deref(), Some(want))?;
        rows.extend(page.items);
        match page.next_cursor {
            Some(c) if limit.is_none_or(|l| rows.len() < l) => cursor = Some(c),
            _ => return Ok(rows),
        }
    }
}

pub fn print_table(rows: &[QueueItem]) {
    if rows.is_empty() {
        outln!("nothing in the queue matches");
        return;
    }
    outln!(
        "{:>4}  {:<13} {:<16} {:<24} {:<24} {:<18} why",
        "PRIO",
        "DECISION",
        "VULNERABILITY",
        "PRODUCT",
        "COMPONENT",
        "DUE"
    );
    for r in rows {
        // A CRA case's next deadline, in the user's zone; else KEV's date.
        let due = r
            .cra
            .as_ref()
            .map(|c| {
                let local = c.due.with_timezone(&chrono::Local);
                format!("{} {}", c.case, local.format("%m-%d %H:%M"))
            })
            .or_else(|| r.kev_due.clone())
            .unwrap_or_default();
        use crate::term::field;
        outln!(
            "{:>4}  {:<13} {:<16} {:<24} {:<24} {:<18} {}",
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
