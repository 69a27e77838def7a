//! `kensa product …` and `kensa portfolio …`: products' SBOMs kept in the
//! database, their findings kept current as intelligence is imported.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use kensa_app::products;
use kensa_app::{Actor, AppError};
use kensa_matching::portfolio::{self, RescanReport};
use kensa_store::Store;

use crate::scan::{ScanFormat, render_table};
use crate::{Ctx, OutputFormat, outln, print_json};

#[derive(Subcommand)]
pub enum ProductCommand {
    /// Store a product version's SBOM and match its components
    #[command(after_help = ADD_EXAMPLES)]
    Add(AddArgs),
    /// List the products and versions stored
    List(ListArgs),
    /// Show a product version's findings (the newest version unless --version)
    Show(ShowArgs),
    /// Remove a product version, or the whole product
    Remove(RemoveArgs),
    /// Keep a product version's facts file and build configurations (.config)
    /// for automatic answers, remove them, or list them
    #[command(after_help = crate::auto::FILES_EXAMPLES)]
    Files(crate::auto::FilesArgs),
}

const ADD_EXAMPLES: &str = "Examples:\n  \
kensa product add rtu-gateway --version 2.8.1 --sbom rtu-gateway-2.8.1.cdx.json\n  \
kensa product add --manifest products.tsv        one `NAME<TAB>VERSION<TAB>SBOM` per line";

#[derive(Subcommand)]
pub enum PortfolioCommand {
    /// Bring every product's findings up to date with the database; scans only the
    /// components that imports since the last rescan can have changed
    Rescan(RescanArgs),
}

#[derive(Args)]
pub struct AddArgs {
    /// Product name
    #[arg(value_name = "NAME", required_unless_present = "manifest")]
    name: Option<String>,
    /// Product version the SBOM describes
    #[arg(long, value_name = "V", required_unless_present = "manifest")]
    version: Option<String>,
    /// The SBOM: CycloneDX (JSON or XML) or SPDX 2.x (JSON or tag-value)
    #[arg(long, value_name = "FILE", required_unless_present = "manifest")]
    sbom: Option<PathBuf>,
    /// Add many products: a file with one `NAME<TAB>VERSION<TAB>SBOM` line per product
    /// version (paths relative to the file; `#` starts a comment)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["name", "version", "sbom"])]
    manifest: Option<PathBuf>,
    /// Replace a version that is already stored
    #[arg(long)]
    replace: bool,
    /// Put the product in this team (`kensa team add` creates teams); a
    /// product belongs to at most one team
    #[arg(long, value_name = "TEAM")]
    team: Option<String>,
    /// Reject SBOMs that deviate from their specification instead of warning:
    /// CycloneDX is validated against its official JSON schema or XSD, SPDX
    /// against its JSON schema and the specification's rules
    #[arg(long)]
    strict: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct ShowArgs {
    /// Product name
    name: String,
    /// Product version [default: the newest stored]
    #[arg(long, value_name = "V")]
    version: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: ScanFormat,
}

#[derive(Args)]
pub struct RemoveArgs {
    name: String,
    /// Remove only this version
    #[arg(long, value_name = "V")]
    version: Option<String>,
}

#[derive(Args)]
pub struct RescanArgs {
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub fn run_product(ctx: &Ctx, cmd: ProductCommand) -> Result<ExitCode> {
    match cmd {
        ProductCommand::Add(args) => add(ctx, args),
        ProductCommand::List(args) => list(ctx, args),
        ProductCommand::Show(args) => show(ctx, args),
        ProductCommand::Remove(args) => remove(ctx, args),
        ProductCommand::Files(args) => crate::auto::run_files(ctx, args),
    }
}

pub fn run_portfolio(ctx: &Ctx, cmd: PortfolioCommand) -> Result<ExitCode> {
    match cmd {
        PortfolioCommand::Rescan(args) => {
            let mut store = ctx.open_existing()?;
            crate::database::DatabaseInfo::of(&store)?.warn_if_stale();
            let since = chrono::Utc::now();
            let report = products::rescan_portfolio(&mut store)?;
            crate::cra::announce_opened(&store, since, ctx.quiet);
            match args.format {
                OutputFormat::Json => print_json(&report)?,
                OutputFormat::Text => print_rescan(&report, true),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn add(ctx: &Ctx, args: AddArgs) -> Result<ExitCode> {
    let mut store = ctx.open_existing()?;
    let entries = match &args.manifest {
        Some(path) => crate::manifest::read(path)?,
        None => vec![crate::manifest::Entry {
            name: args.name.clone().unwrap_or_default(),
            version: args.version.clone().unwrap_or_default(),
            sbom: args.sbom.clone().unwrap_or_default(),
            listed_at: None,
        }],
    };
    // Every SBOM is read before anything is stored; all versions are then
    // stored in one transaction and matched in one pass. A match that is
    // interrupted leaves its components pending, and the next command that
    // reads the portfolio matches them.
    let loaded = crate::manifest::load_all(entries, args.strict, ctx.quiet)?;
    let added = store_all(&mut store, &loaded, &args)?;
    let mut reports = Vec::new();
    for a in added {
        if args.format == OutputFormat::Text && !ctx.quiet {
            outln!(
                "{} {}: {} components ({} new to the portfolio)",
                crate::term::field(&a.product),
                crate::term::field(&a.version),
                a.components,
                a.new_components
            );
        }
        reports.push(a);
    }
    let since = chrono::Utc::now();
    let rescan = products::rescan_portfolio(&mut store)?;
    crate::cra::announce_opened(&store, since, ctx.quiet);
    let info = crate::database::DatabaseInfo::of(&store)?;
    if !info.data.has_vulnerability_data() {
        eprintln!(
            "warning: database {} holds no vulnerability records yet, so nothing was found; \
             findings follow the next `kensa db import`",
            store.path().display()
        );
    }
    match args.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "added": reports,
            "rescan": rescan,
        }))?,
        OutputFormat::Text if !ctx.quiet => {
            let last = &loaded.last().expect("at least one entry").entry.name;
            if let Some((_, r)) = portfolio::version_report(&store, last, None)?
                && loaded.len() == 1
            {
                let s = &r.summary;
                outln!(
                    "{} findings ({} vulnerabilities) in {} of {} components; `kensa product show {}` lists them",
                    s.findings,
                    s.vulnerabilities,
                    s.components_with_findings,
                    s.components,
                    crate::term::field(last)
                );
            }
        }
        OutputFormat::Text => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// Stores every loaded version in one transaction, all or none, each
/// audited as the operator's write.
fn store_all(
    store: &mut Store,
    loaded: &[crate::manifest::Loaded],
    args: &AddArgs,
) -> Result<Vec<products::Added>> {
    let origins: Vec<String> = loaded
        .iter()
        .map(|l| l.entry.sbom.to_string_lossy().into_owned())
        .collect();
    let batch: Vec<products::AddVersion<'_>> = loaded
        .iter()
        .zip(&origins)
        .map(|(l, origin)| products::AddVersion {
            product: &l.entry.name,
            version: &l.entry.version,
            sbom: &l.bytes,
            origin,
            team: args.team.as_deref(),
            replace: args.replace,
            strict: args.strict,
            parsed: Some(&l.sbom),
        })
        .collect();
    products::add_versions(store, &Actor::operator(), &batch, false, &|_| {}).map_err(|e| {
        let at = e
            .index
            .and_then(|i| loaded[i].entry.listed_at.clone())
            .map(|a| format!("{a}: "))
            .unwrap_or_default();
        match e.error {
            AppError::Conflict(msg) => anyhow::anyhow!(
                "{at}{msg}\n  nothing was stored\n  hint: --replace stores the new SBOM in its place"
            ),
            AppError::Store(s) => crate::database::named(s, store.path()),
            other => anyhow::anyhow!("{at}{other}\n  nothing was stored"),
        }
    })
}

fn list(ctx: &Ctx, args: ListArgs) -> Result<ExitCode> {
    let store = ctx.open_existing()?;
    let products = store.products()?;
    if args.format == OutputFormat::Json {
        print_json(&products)?;
        return Ok(ExitCode::SUCCESS);
    }
    if products.is_empty() {
        outln!("no products stored; add one with `kensa product add NAME --version V --sbom FILE`");
    }
    for p in &products {
        for v in &p.versions {
            outln!(
                "{:<24} {:<12} {:>6} components  {}  {}",
                crate::term::field(&p.name),
                crate::term::field(&v.version),
                v.components,
                &v.added_at[..v.added_at.len().min(10)],
                crate::term::field(&v.sbom_origin)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(ctx: &Ctx, args: ShowArgs) -> Result<ExitCode> {
    let mut store = ctx.open_existing()?;
    let database = crate::database::prepare_findings(&mut store)?;
    let Some((version, report)) =
        portfolio::version_report(&store, &args.name, args.version.as_deref())?
    else {
        match &args.version {
            Some(v) => bail!(
                "no version {v} of product {} is stored\n  hint: `kensa product list` shows what is",
                args.name
            ),
            None => bail!(
                "no product {} is stored\n  hint: `kensa product list` shows what is",
                args.name
            ),
        }
    };
    match args.format {
        ScanFormat::Json => print_json(&crate::database::WithDatabase {
            report: &report,
            database: &database,
        })?,
        ScanFormat::Table => {
            outln!(
                "{} {}",
                crate::term::field(&args.name),
                crate::term::field(&version)
            );
            outln!("{}", database.header());
            crate::out!("{}", render_table(&report))
        }
        ScanFormat::Sarif => print_json(&kensa_matching::output::sarif(
            &report,
            &format!("{} {version}", args.name),
        ))?,
        ScanFormat::Cyclonedx => {
            bail!(
                "--format cyclonedx needs the SBOM itself; use `kensa scan SBOM --format cyclonedx`"
            )
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn remove(ctx: &Ctx, args: RemoveArgs) -> Result<ExitCode> {
    let mut store = ctx.open_existing()?;
    let n = products::remove(
        &mut store,
        &Actor::operator(),
        &args.name,
        args.version.as_deref(),
    )?;
    if !ctx.quiet {
        outln!(
            "removed {n} version(s) of {}",
            crate::term::field(&args.name)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Rescans the portfolio after an import, when there is one.
pub fn rescan_after_import(
    store: &mut Store,
    quiet: bool,
    format: OutputFormat,
) -> Result<Option<RescanReport>> {
    if store.component_count()? == 0 {
        return Ok(None);
    }
    let since = chrono::Utc::now();
    let report = products::rescan_portfolio(store)?;
    crate::cra::announce_opened(store, since, quiet);
    if !quiet {
        print_rescan(&report, format == OutputFormat::Text);
    }
    Ok(Some(report))
}

fn print_rescan(r: &RescanReport, to_stdout: bool) {
    let mut text = format!(
        "portfolio: rescanned {} of {} components ({} vulnerabilities changed): {} new findings, {} resolved\n",
        r.rescanned,
        r.components,
        r.changed_vulnerabilities,
        r.new_findings.len(),
        r.resolved_findings.len()
    );
    for (sign, list) in [("+", &r.new_findings), ("-", &r.resolved_findings)] {
        for c in list.iter().take(20) {
            let mut products = c.products[..c.products.len().min(4)].join(", ");
            if c.products.len() > 4 {
                products.push_str(&format!(" and {} more", c.products.len() - 4));
            }
            text.push_str(&format!(
                "  {sign} {:<16} {:<28} {}\n",
                crate::term::field(&c.vulnerability),
                crate::term::field(&c.component),
                crate::term::field(&products),
            ));
        }
        if list.len() > 20 {
            text.push_str(&format!("  {sign} … and {} more\n", list.len() - 20));
        }
    }
    if to_stdout {
        crate::out!("{text}");
    } else {
        eprint!("{text}");
    }
}
