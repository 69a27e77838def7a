//! `kensa`: vulnerability intelligence, matching and assessment for
//! industrial and IoT products, offline.

mod advisory;
mod alias;
mod alias_propose;
mod assess;
mod auto;
mod bounded;
mod cra;
mod csaf;
mod csaf_check;
mod csaf_publish;
mod database;
mod db;
mod demo;
mod logic;
mod manifest;
mod ot;
mod ot_assets;
mod ot_conversations;
mod ot_detect;
mod ot_evaluate;
mod ot_forward;
mod ot_live;
mod ot_monitor;
mod ot_output;
mod ot_process;
mod product;
mod progress;
mod queue;
mod scan;
mod serve;
mod sync;
mod team;
mod term;
mod triage;
mod units;
mod vuln;
mod webhook;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use kensa_store::{Location, Store};

// Imports allocate and free millions of small strings across threads;
// mimalloc handles that pattern markedly better than glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "kensa",
    version,
    about = "Kensa (検査): explainable vulnerability management for industrial and IoT products",
    long_about = "Kensa imports vulnerability intelligence (NVD, CVE JSON 5, OSV, CISA KEV, FIRST EPSS, \
CSAF 2.0) into an embedded database and answers questions about it, fully offline.\n\n\
Start with `kensa demo`, which needs no network and no setup.",
    after_help = "Examples:\n  kensa demo\n  kensa db import nvd-cve-2002-2016.api2.jsonl.gz known_exploited_vulnerabilities.json\n  \
kensa vuln show CVE-2014-0160\n  kensa vuln search heap overflow modbus\n  kensa scan product.cdx.json --format json\n  kensa --db team.db db stats --format json"
)]
struct Cli {
    /// Database file, or a PostgreSQL address (`postgres://user@host:port/dbname`) for a
    /// company's shared team server [default: $KENSA_DB, else the platform data directory]
    #[arg(long, global = true, value_name = "PATH|URL")]
    db: Option<PathBuf>,

    /// With a PostgreSQL --db: this machine's directory of vulnerability-intelligence copies
    /// [default: $KENSA_INTEL, else the platform data directory]
    #[arg(long, global = true, value_name = "DIR")]
    intel: Option<PathBuf>,

    /// Print only errors
    #[arg(long, short, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import the bundled demo data into a temporary database and show what Kensa knows
    Demo(demo::DemoArgs),
    /// Manage the vulnerability database: import files, sync feeds, show statistics
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Look up vulnerabilities
    #[command(subcommand)]
    Vuln(vuln::VulnCommand),
    /// Match an SBOM's components against the database and explain each finding
    #[command(long_about = scan::SCAN_ABOUT)]
    Scan(scan::ScanArgs),
    /// Keep products' SBOMs in the database; their findings follow every import
    #[command(subcommand)]
    Product(product::ProductCommand),
    /// Work on all stored products at once
    #[command(subcommand)]
    Portfolio(product::PortfolioCommand),
    /// The backlog of the stored products, most urgent first, with KEV and CRA due dates
    Queue(queue::QueueArgs),
    /// A vulnerability's trigger conditions as a checklist of questions (English or Japanese)
    Checklist(assess::ChecklistArgs),
    /// Evaluate checklist answers into a verdict: affected, not_affected or under_investigation
    Assess(assess::AssessArgs),
    /// Turn checklist answers into a VEX document (CycloneDX, OpenVEX or CSAF)
    Vex(assess::VexArgs),
    /// Decode industrial network traffic from capture files
    #[command(subcommand)]
    Ot(ot::OtCommand),
    /// Assess trigger conditions: the AND/OR logic under which a vulnerability can be triggered
    #[command(subcommand)]
    Logic(logic::LogicCommand),
    /// Run the team server: web UI and REST API on this database
    Serve(serve::ServeArgs),
    /// Manage the team server's users
    #[command(subcommand)]
    User(team::UserCommand),
    /// Manage API tokens (they act with their user's grants)
    #[command(subcommand)]
    Token(team::TokenCommand),
    /// Manage teams (groups of products)
    #[command(subcommand)]
    Team(team::TeamCommand),
    /// Give a user a role on a product, a team, or everything
    Grant(team::GrantArgs),
    /// Take a user's grant away
    Revoke(team::RevokeArgs),
    /// Read the audit trail: every write, who made it, when, from where
    Audit(team::AuditArgs),
    /// CSAF 2.0: validate documents (section 6); publish and check provider trees (section 7)
    #[command(subcommand)]
    Csaf(csaf::CsafCommand),
    /// CSAF security advisories for customers, from the stored verdicts
    #[command(subcommand)]
    Advisory(advisory::AdvisoryCommand),
    /// EU Cyber Resilience Act Article 14: case records, their clocks and stage reports
    #[command(subcommand)]
    Cra(cra::CraCommand),
    /// Confirm that components of a name are a product: every later scan and rescan uses it
    #[command(subcommand)]
    Alias(alias::AliasCommand),
    /// Signed webhooks that `kensa serve` sends when a CRA case opens or a deadline nears
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
}

/// Human-readable text or JSON for scripts.
#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// Global settings every command sees.
pub struct Ctx {
    pub db: Option<PathBuf>,
    pub intel: Option<PathBuf>,
    pub quiet: bool,
}

impl Ctx {
    /// Where the data lives: `--db`, else `KENSA_DB`, else the data
    /// directory's file; a PostgreSQL address makes this machine a node,
    /// with its intelligence copies in `--intel` (else `KENSA_INTEL`, else
    /// the data directory).
    pub fn location(&self) -> Result<Location> {
        let db = match &self.db {
            Some(p) => p.clone(),
            None => match std::env::var_os("KENSA_DB").filter(|p| !p.is_empty()) {
                Some(p) => PathBuf::from(p),
                None => data_dir()?.join("kensa.db"),
            },
        };
        let text = db.to_string_lossy();
        if !Location::is_postgres_url(&text) {
            return Ok(Location::File(db));
        }
        let intel = match &self.intel {
            Some(dir) => dir.clone(),
            None => match std::env::var_os("KENSA_INTEL").filter(|p| !p.is_empty()) {
                Some(dir) => PathBuf::from(dir),
                None => data_dir()?.join("intel"),
            },
        };
        Ok(Location::Node {
            url: text.into_owned(),
            intel,
        })
    }

    /// The local database path (on a node, its intelligence directory).
    pub fn db_path(&self) -> Result<PathBuf> {
        Ok(self.location()?.local_path().to_path_buf())
    }

    pub fn open_store(&self) -> Result<Store> {
        database::open_at(&self.location()?)
    }

    /// Opens the database for reading; a missing or empty file is an error
    /// that says how to fill it, rather than a silently empty database.
    pub fn open_existing(&self) -> Result<Store> {
        match self.location()? {
            Location::File(path) => database::open_existing(&path),
            node => database::open_at(&node),
        }
    }
}

fn data_dir() -> Result<PathBuf> {
    Ok(dirs::data_dir()
        .context("no platform data directory; pass --db PATH or set KENSA_DB")?
        .join("kensa"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = Ctx {
        db: cli.db,
        intel: cli.intel,
        quiet: cli.quiet,
    };
    let result = match cli.command {
        Command::Demo(args) => demo::run(&ctx, args),
        Command::Db(cmd) => db::run(&ctx, cmd),
        Command::Vuln(cmd) => vuln::run(&ctx, cmd),
        Command::Scan(args) => scan::run(&ctx, args),
        Command::Product(cmd) => product::run_product(&ctx, cmd),
        Command::Portfolio(cmd) => product::run_portfolio(&ctx, cmd),
        Command::Queue(args) => queue::run(&ctx, args),
        Command::Checklist(args) => assess::run_checklist(&ctx, args),
        Command::Assess(args) => assess::run_assess(&ctx, args),
        Command::Vex(args) => assess::run_vex(&ctx, args),
        Command::Ot(cmd) => ot::run(&ctx, cmd),
        Command::Logic(cmd) => logic::run(&ctx, cmd),
        Command::Serve(args) => serve::run(&ctx, args),
        Command::User(cmd) => team::run_user(&ctx, cmd),
        Command::Token(cmd) => team::run_token(&ctx, cmd),
        Command::Team(cmd) => team::run_team(&ctx, cmd),
        Command::Grant(args) => team::run_grant(&ctx, args),
        Command::Revoke(args) => team::run_revoke(&ctx, args),
        Command::Audit(args) => team::run_audit(&ctx, args),
        Command::Csaf(cmd) => csaf::run(cmd),
        Command::Advisory(cmd) => advisory::run(&ctx, cmd),
        Command::Cra(cmd) => cra::run(&ctx, cmd),
        Command::Alias(cmd) => alias::run(&ctx, cmd),
        Command::Webhook(cmd) => webhook::run(&ctx, cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // A store error names the database it is about; messages may
            // quote input, so terminal controls are escaped.
            let db = ctx.db_path().ok();
            let mut causes = e.chain().map(|c| database::render_cause(c, db.as_deref()));
            let first = causes.next().unwrap_or_default();
            eprintln!("error: {}", term::line(&first));
            let mut last = first;
            for cause in causes {
                // A context that already says what its cause says.
                if !last.contains(&cause) {
                    eprintln!("  caused by: {}", term::line(&cause));
                }
                last = cause;
            }
            ExitCode::FAILURE
        }
    }
}

/// `println!` for command output: when stdout is closed early (`kensa … |
/// head`), end quietly instead of panicking on the broken pipe.
#[macro_export]
macro_rules! outln {
    () => { $crate::emit("\n") };
    ($($arg:tt)*) => { $crate::emit(&format!("{}\n", format_args!($($arg)*))) };
}

/// `print!` for command output; see [`outln!`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::emit(&format!($($arg)*)) };
}

pub fn emit(text: &str) {
    use std::io::Write;
    // The last line of defence: whatever a command forgot to escape
    // cannot drive the terminal (values are escaped where they are
    // formatted, line breaks included; see `term`).
    let text = term::line(text);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing output: {e}");
        std::process::exit(1);
    }
}

/// Prints `value` as pretty JSON on stdout.
/// Streamed: a 10,000-component scan writes tens of megabytes, which need
/// not exist twice in memory.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut out, value)
        .map_err(|e| match e.io_error_kind() {
            Some(kind) => std::io::Error::from(kind),
            None => std::io::Error::other(e),
        })
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(e).context("writing JSON output"),
    }
}

/// Thousands separators for counts in human output.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
