//! `kensa product …` and `kensa portfolio …`: products' SBOMs kept in the
//! database, their findings kept current as intelligence is imported.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
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
    }
}

pub fn run_portfolio(ctx: &Ctx, cmd: PortfolioCommand) -> Result<ExitCode> {
    match cmd {
        PortfolioCommand::Rescan(args) => {
            let mut store = ctx.open_existing()?;
            let report = products::rescan_portfolio(&mut store)?;
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
        Some(path) => read_manifest(path)?,
        None => vec![(
            args.name.clone().unwrap_or_default(),
            args.version.clone().unwrap_or_default(),
            args.sbom.clone().unwrap_or_default(),
        )],
    };
    let actor = Actor::operator();
    // Store every version first, then scan what is new in one pass.
    let mut reports = Vec::new();
    for (name, version, sbom) in &entries {
        let added = store_one(&mut store, &actor, name, version, sbom, &args, ctx.quiet)?;
        if args.format == OutputFormat::Text && !ctx.quiet {
            outln!(
                "{name} {version}: {} components ({} new to the portfolio)",
                added.components,
                added.new_components
            );
        }
        reports.push(added);
    }
    let rescan = products::rescan_portfolio(&mut store)?;
    match args.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "added": reports,
            "rescan": rescan,
        }))?,
        OutputFormat::Text if !ctx.quiet => {
            let last = &entries.last().expect("at least one entry").0;
            if let Some((_, r)) = portfolio::version_report(&store, last, None)?
                && entries.len() == 1
            {
                let s = &r.summary;
                outln!(
                    "{} findings ({} vulnerabilities) in {} of {} components; `kensa product show {last}` lists them",
                    s.findings,
                    s.vulnerabilities,
                    s.components_with_findings,
                    s.components
                );
            }
        }
        OutputFormat::Text => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads and stores one version without scanning it.
fn store_one(
    store: &mut Store,
    actor: &Actor,
    name: &str,
    version: &str,
    path: &Path,
    args: &AddArgs,
    quiet: bool,
) -> Result<products::Added> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let origin = path.to_string_lossy();
    let new = products::AddVersion {
        product: name,
        version,
        sbom: &bytes,
        origin: &origin,
        team: args.team.as_deref(),
        replace: args.replace,
        strict: args.strict,
    };
    let added = products::add_version(store, actor, &new, false, &|_| {}).map_err(|e| match e {
        AppError::Conflict(msg) => {
            anyhow::anyhow!("{msg}\n  hint: --replace stores the new SBOM in its place")
        }
        AppError::BadInput(msg) => anyhow::anyhow!("{}: {msg}", path.display()),
        AppError::Invalid { field, message } if field == "sbom" => {
            anyhow::anyhow!("{}: {message}", path.display())
        }
        e => e.into(),
    })?;
    if !quiet {
        for w in &added.warnings {
            eprintln!("warning: {}: {w}", path.display());
        }
    }
    Ok(added)
}

/// `NAME<TAB>VERSION<TAB>SBOM` lines; SBOM paths relative to the manifest.
fn read_manifest(path: &Path) -> Result<Vec<(String, String, PathBuf)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new(""));
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, version, sbom] = fields[..] else {
            bail!(
                "{}:{}: expected NAME<TAB>VERSION<TAB>SBOM, found {} field(s)",
                path.display(),
                i + 1,
                fields.len()
            );
        };
        out.push((
            name.trim().to_string(),
            version.trim().to_string(),
            base.join(sbom.trim()),
        ));
    }
    if out.is_empty() {
        bail!("{}: no products listed", path.display());
    }
    Ok(out)
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
                p.name,
                v.version,
                v.components,
                &v.added_at[..v.added_at.len().min(10)],
                v.sbom_origin
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(ctx: &Ctx, args: ShowArgs) -> Result<ExitCode> {
    let store = ctx.open_existing()?;
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
    if let Some(cursor) = store.portfolio_cursor()?
        && cursor < store.latest_import()?
        && !ctx.quiet
    {
        eprintln!(
            "note: data was imported since the last rescan; `kensa portfolio rescan` brings these findings up to date"
        );
    }
    match args.format {
        ScanFormat::Json => print_json(&report)?,
        ScanFormat::Table => {
            outln!("{} {version}", args.name);
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
        outln!("removed {n} version(s) of {}", args.name);
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
    let report = products::rescan_portfolio(store)?;
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
                "  {sign} {:<16} {:<28} {products}\n",
                c.vulnerability, c.component,
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
