//! `kensa alias add|list|remove`: the team's confirmations that components
//! of a name are a CPE product, applied to every later scan and rescan.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use kensa_app::Actor;
use kensa_app::aliases::{self, AliasRequest};
use kensa_store::team::AliasRow;

use crate::term::field;
use crate::{Ctx, OutputFormat, outln, print_json};

#[derive(Subcommand)]
pub enum AliasCommand {
    /// Confirm that components of this name are this product (stored products are rescanned)
    #[command(after_help = ADD_EXAMPLES)]
    Add(AddArgs),
    /// List the confirmed aliases
    List(ListArgs),
    /// Remove an alias by its id (stored products are rescanned)
    Remove(RemoveArgs),
    /// Ask a language model which database product each unresolved component is (nothing is stored)
    #[command(after_help = crate::alias_propose::PROPOSE_EXAMPLES)]
    Propose(crate::alias_propose::ProposeArgs),
}

const ADD_EXAMPLES: &str = "Examples:\n  \
kensa alias add lightttpd lighttpd:lighttpd --note 'vendor typo in the SBOM'\n  \
kensa alias add ssh-server openbsd:openssh --purl-type deb\n\n\
A component is matched by its name or its purl's name, compared as Kensa normalises names \
(case, `-`, `_` and `.` do not matter). `kensa scan` lists the nearest products of each \
component it cannot resolve, `kensa alias propose` asks a language model among a wider \
shortlist; `kensa alias list` shows the ids `remove` takes.";

#[derive(Args)]
pub struct AddArgs {
    /// The component's name as SBOMs write it
    component: String,
    /// The CPE vendor and product it is, `VENDOR:PRODUCT` (as in `cpe:2.3:a:VENDOR:PRODUCT:…`)
    target: String,
    /// Only components whose purl has this type (`deb`, `rpm`, `generic`, …)
    #[arg(long, value_name = "T")]
    purl_type: Option<String>,
    /// Why: shown in every finding the alias produces
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Do not rescan the stored products (`kensa portfolio rescan` does it later)
    #[arg(long)]
    no_rescan: bool,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct RemoveArgs {
    /// The alias's id (`kensa alias list`)
    id: i64,
    /// Do not rescan the stored products (`kensa portfolio rescan` does it later)
    #[arg(long)]
    no_rescan: bool,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub fn run(ctx: &Ctx, cmd: AliasCommand) -> Result<ExitCode> {
    let actor = Actor::operator();
    match cmd {
        AliasCommand::Add(a) => {
            let mut store = ctx.open_existing()?;
            let row = aliases::add(
                &mut store,
                &actor,
                &AliasRequest {
                    component: &a.component,
                    target: &a.target,
                    purl_type: a.purl_type.as_deref(),
                    note: a.note.as_deref(),
                },
            )?;
            report(ctx, "added", &row, a.format)?;
            if !a.no_rescan {
                crate::product::rescan_after_import(&mut store, ctx.quiet, a.format)?;
            }
        }
        AliasCommand::List(a) => {
            let store = ctx.open_existing()?;
            let rows = aliases::list(&store, &actor)?;
            if a.format == OutputFormat::Json {
                print_json(&rows)?;
            } else if rows.is_empty() {
                if !ctx.quiet {
                    outln!("no aliases (add one with `kensa alias add NAME VENDOR:PRODUCT`)");
                }
            } else {
                for r in &rows {
                    outln!("{}", line(r));
                }
            }
        }
        AliasCommand::Propose(a) => return crate::alias_propose::run(ctx, a),
        AliasCommand::Remove(a) => {
            let mut store = ctx.open_existing()?;
            let row = aliases::remove(&mut store, &actor, a.id)?;
            report(ctx, "removed", &row, a.format)?;
            if !a.no_rescan {
                crate::product::rescan_after_import(&mut store, ctx.quiet, a.format)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn report(ctx: &Ctx, what: &str, row: &AliasRow, format: OutputFormat) -> Result<()> {
    if format == OutputFormat::Json {
        print_json(row)?;
    } else if !ctx.quiet {
        outln!("{what}: {}", line(row));
    }
    Ok(())
}

/// `  3  lightttpd → lighttpd:lighttpd  (deb only) by cli:alice 2026-12-03: note`
fn line(r: &AliasRow) -> String {
    let mut s = format!(
        "{:>4}  {} → {}:{}",
        r.id,
        field(&r.component),
        field(&r.vendor),
        field(&r.product)
    );
    if let Some(t) = &r.purl_type {
        s.push_str(&format!("  ({} packages only)", field(t)));
    }
    s.push_str(&format!(
        "  by {} {}",
        field(&r.created_by),
        r.created_at.get(..10).unwrap_or(&r.created_at)
    ));
    if let Some(n) = &r.note {
        s.push_str(&format!(": {}", field(n)));
    }
    s
}
