//! `kensa db …`: import, sync, statistics.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use anyhow::{Result, anyhow};
use clap::{Args, Subcommand};
use kensa_intel::{FileReport, ImportOptions};
use kensa_store::{CheckDepth, Store, StoreError};

use crate::{Ctx, OutputFormat, print_json, progress, sync, thousands};

#[derive(Subcommand)]
pub enum DbCommand {
    /// Import vulnerability-intelligence files (format detected from content)
    #[command(long_about = IMPORT_ABOUT)]
    Import(ImportArgs),
    /// Fetch what changed upstream (NVD, CISA KEV, FIRST EPSS, CSAF providers) and import it
    #[command(long_about = SYNC_ABOUT, after_help = SYNC_EXAMPLES)]
    Sync(sync::SyncArgs),
    /// Count what the database holds, per record type and per source
    Stats(StatsArgs),
    /// Check the database file for damage (exit status 1 when damaged)
    #[command(long_about = CHECK_ABOUT)]
    Check(CheckArgs),
    /// Bring the database's schema up to this release's (PostgreSQL: once, when every node runs it)
    #[command(long_about = MIGRATE_ABOUT)]
    Migrate(MigrateArgs),
}

const MIGRATE_ABOUT: &str = "Bring the database's schema up to this release's.\n\n\
An SQLite file is upgraded by any command that opens it; this only says so. A PostgreSQL \
database shared by several `kensa serve` nodes is never upgraded behind their backs: a node \
of a newer release refuses to start on an older schema until this command has run once. \
Run it when every node runs the new release (nodes of the older release then refuse to \
start, with a message saying so).\n\n\
Examples:\n  kensa --db postgres://kensa@db.example:5432/kensa db migrate\n  \
KENSA_DB=postgres://kensa@db/kensa kensa db migrate --format json";

#[derive(Args)]
pub struct MigrateArgs {
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

const CHECK_ABOUT: &str = "Check the database file for damage: every page and record is read \
and its structure verified (SQLite's quick_check); --full also checks that every index matches \
its table (integrity_check), which takes longer. Exit status 1 when damaged.\n\n\
The quick check also runs by itself before `db import` and `db sync` write, and when a \
database is opened after a process died while writing to it.";

#[derive(Args)]
pub struct CheckArgs {
    /// Also check every index against its table
    #[arg(long)]
    full: bool,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

const IMPORT_ABOUT: &str = "Import vulnerability-intelligence files into the database.\n\n\
The format of each file is detected from its content, never its name; gzip, xz and zstd \
compression are read transparently. Supported:\n  \
- NVD CVE API 2.0: `cve` records as JSON Lines, API response pages, 2.0 yearly feeds\n  \
- NVD-format configuration overrides (e.g. Anchore's nvd-data-overrides)\n  \
- CVE JSON 5: one record, JSON Lines, or a cvelistV5 directory (with CISA ADP / vulnrichment)\n  \
- OSV: JSON or YAML records; a file, a directory or a tar archive\n  \
- CISA KEV: the catalog as JSON or CSV\n  \
- FIRST EPSS: the daily CSV\n  \
- CSAF 2.0: one advisory, JSON Lines, or a directory\n\n\
Each FILE (a directory or archive counts as one) is imported in one transaction: if anything \
in it is bad, nothing of it is stored. In a directory or archive, a damaged member (an empty \
.json/.yaml/.csv file, JSON or YAML that does not parse: a half-finished download) is bad too; \
files in other formats (README, LICENSE) are listed as ignored. --keep-going skips bad records \
and damaged members, naming each. Importing the same data again changes nothing; a record \
with a newer modification time replaces the stored one from the same source.\n\n\
Before anything is written, the database file is checked for damage (as `kensa db check`; \
about 1 s per 400 MB), and nothing is written into a damaged file. A failed import is rolled \
back before the command ends, so a full disk gets its space back.\n\n\
When products are stored (`kensa product add`), their findings are brought up to date \
afterwards, scanning only the components the new records can concern (--no-rescan skips it).";

const SYNC_ABOUT: &str = "Fetch what changed upstream and import it. Needs network access \
(HTTPS) to the sources, or to a local mirror named with the --*-url options.\n\n\
Sources:\n  \
- nvd: the NVD CVE API 2.0, CVEs modified since the last sync. NVD allows 5 requests per \
rolling 30 s without an API key and 50 with one (free, https://nvd.nist.gov/developers/request-an-api-key); \
kensa waits 6 s (0.6 s with a key) between requests. The first NVD sync needs --since: for \
the whole history, import NVD's yearly JSON 2.0 feeds with `kensa db import`, then sync from \
their date.\n  \
- kev: the CISA Known Exploited Vulnerabilities catalog (one small JSON file).\n  \
- epss: FIRST's EPSS scores of the day (one gzip-compressed CSV, about 300,000 rows).\n  \
- csaf: the advisories of each --csaf-provider (CSAF 2.0 provider metadata, ROLIE feeds and \
directories with changes.csv). Signatures and hashes are not verified.\n\n\
Each sync remembers how far it got (a cursor per source, stored in the database), so the \
next sync fetches only what changed since: NVD continues at the end of the last fully \
imported time window, CSAF at the newest document imported, KEV and EPSS are skipped when \
the server says they have not changed or their catalog version / score date is already \
stored. Every NVD page and every document is imported in its own transaction: a sync that \
fails part-way keeps what it stored, leaves the cursor before the missing part, and the \
next run resumes there.\n\n\
Default sources: kev and epss; nvd too once it has a cursor or with --since; csaf when \
--csaf-provider is given. Requests are retried with exponential backoff on connection \
errors, 429 and 5xx, honouring Retry-After.";

const SYNC_EXAMPLES: &str = "Examples:\n  \
kensa db sync --since 2025-01-01                 first sync: KEV, EPSS, NVD changes since January\n  \
kensa db sync                                    later syncs continue where the last one ended\n  \
kensa db sync --source nvd --nvd-api-key KEY     (or NVD_API_KEY=KEY kensa db sync --source nvd)\n  \
kensa db sync --csaf-provider psirt.example.com     adds that provider's CSAF advisories\n  \
kensa db sync --kev-url http://mirror.local/kev.json --epss-url http://mirror.local/epss.csv.gz";

#[derive(Args)]
pub struct ImportArgs {
    /// Files, directories or archives to import
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,

    /// Skip bad records (reporting each with file, line and field) instead of failing the file
    #[arg(long)]
    keep_going: bool,

    /// Do not rescan the stored products afterwards (`kensa portfolio rescan` does it later)
    #[arg(long)]
    no_rescan: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct StatsArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub fn run(ctx: &Ctx, cmd: DbCommand) -> Result<ExitCode> {
    match cmd {
        DbCommand::Import(args) => import(ctx, args),
        DbCommand::Sync(args) => sync::run(ctx, args),
        DbCommand::Stats(args) => stats(ctx, args),
        DbCommand::Check(args) => check(ctx, args),
        DbCommand::Migrate(args) => migrate(ctx, args),
    }
}

fn migrate(ctx: &Ctx, args: MigrateArgs) -> Result<ExitCode> {
    let location = ctx.location()?;
    let store = location
        .open(kensa_store::Migrate::Upgrade)
        .with_context(|| format!("cannot upgrade {}", location.shown()))?;
    let postgres = store
        .team_backend()
        .map(|_| kensa_store::postgres_schema_version());
    if args.format == OutputFormat::Json {
        print_json(&serde_json::json!({
            "database": location.shown(),
            "sqlite_schema_version": Store::schema_version(),
            "postgres_schema_version": postgres,
        }))?;
    } else {
        crate::outln!(
            "{}: up to date (schema version {}{})",
            location.shown(),
            Store::schema_version(),
            postgres
                .map(|v| format!(", PostgreSQL schema version {v}"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn check(ctx: &Ctx, args: CheckArgs) -> Result<ExitCode> {
    let path = ctx.db_path()?;
    if !path.exists() {
        // The same message as any command reading a database.
        ctx.open_existing()?;
    }
    let depth = if args.full {
        CheckDepth::Full
    } else {
        CheckDepth::Quick
    };
    // Opening checks by itself after an unclean shutdown: its findings are
    // the report, not an error.
    let problems = match Store::open(&path) {
        Ok(store) => {
            let problems = store
                .check(depth)
                .map_err(|e| crate::database::named(e, &path))?;
            if problems.is_empty() {
                // Found sound: the next import need not check it again.
                store.seal();
            }
            problems
        }
        Err(StoreError::Damaged { problems, .. }) => problems,
        Err(e) => return Err(crate::database::named(e, &path)),
    };
    let ok = problems.is_empty();
    if args.format == OutputFormat::Json {
        print_json(&serde_json::json!({
            "database": path,
            "check": if args.full { "full" } else { "quick" },
            "ok": ok,
            "problems": problems,
        }))?;
    } else if ok {
        crate::outln!(
            "database {}: no problems found ({} check)",
            path.display(),
            if args.full { "full" } else { "quick" }
        );
    } else {
        crate::outln!(
            "database {} is damaged: {} problem(s) found",
            path.display(),
            problems.len()
        );
        for p in &problems {
            crate::outln!("  {}", crate::term::field(p));
        }
        crate::outln!("  hint: restore a copy, or import the data again into a new database");
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn import(ctx: &Ctx, args: ImportArgs) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    // Never write into a damaged file (checked unless untouched since
    // Kensa last found it sound).
    store
        .ensure_sound_since_last_check()
        .map_err(|e| crate::database::named(e, store.path()))?;
    let reports = import_files(
        &mut store,
        &args.files,
        args.keep_going,
        ctx.quiet,
        args.format,
    )?;
    if args.format == OutputFormat::Json {
        print_json(&reports)?;
    }
    if !args.no_rescan {
        crate::product::rescan_after_import(&mut store, ctx.quiet, args.format)?;
    }
    // The file is as this command left it: the next import need not check it.
    store.seal();
    crate::database::publish_if_node(&mut store, ctx.quiet)?;
    Ok(ExitCode::SUCCESS)
}

/// Imports each file in turn (each in its own transaction) and prints a
/// line per file. Stops at the first file that fails, saying which files
/// were stored before it.
pub fn import_files(
    store: &mut Store,
    files: &[PathBuf],
    keep_going: bool,
    quiet: bool,
    format: OutputFormat,
) -> Result<Vec<FileReport>> {
    let bar = progress::Bar::new(!quiet && std::io::stderr().is_terminal());
    let opts = ImportOptions {
        keep_going,
        progress: Some(&bar),
        ..ImportOptions::default()
    };
    let mut reports = Vec::new();
    for file in files {
        match kensa_intel::import_path(store, file, &opts) {
            Ok(report) => {
                if !quiet && format == OutputFormat::Text {
                    print_report(&report);
                }
                reports.push(report);
            }
            Err(e) => {
                let done = if reports.is_empty() {
                    String::new()
                } else {
                    format!(
                        "\n  the {} file(s) before it were imported and stay stored",
                        reports.len()
                    )
                };
                // Only bad records can be skipped: a damaged stream, a
                // missing file or a database that cannot be written cannot.
                let skippable = matches!(e, kensa_intel::ImportError::Record { .. });
                return Err(anyhow!(
                    "{e}\n  nothing from {} was stored (the import was rolled back){done}{}",
                    file.display(),
                    if keep_going || !skippable {
                        ""
                    } else {
                        "\n  hint: --keep-going skips bad records and imports the rest"
                    }
                ));
            }
        }
    }
    Ok(reports)
}

fn print_report(r: &FileReport) {
    let c = &r.counts;
    eprintln!(
        "{}: {} [{}{}]: {} new, {} updated, {} unchanged, {} older than stored, {} skipped ({:.1}s)",
        r.path.display(),
        r.formats.join(", "),
        r.layout,
        if r.compression == "none" {
            String::new()
        } else {
            format!(", {}", r.compression)
        },
        thousands(c.inserted),
        thousands(c.updated),
        thousands(c.unchanged),
        thousands(c.stale),
        thousands(c.skipped),
        r.seconds
    );
    for s in &r.skipped {
        eprintln!("  skipped: {s}");
    }
    if c.skipped as usize > r.skipped.len() {
        eprintln!(
            "  … and {} more skipped",
            c.skipped as usize - r.skipped.len()
        );
    }
    if r.ignored_count > 0 {
        eprintln!(
            "  ignored {} file(s) in no supported format: {}{}",
            r.ignored_count,
            r.ignored.join(", "),
            if r.ignored_count as usize > r.ignored.len() {
                ", …"
            } else {
                ""
            }
        );
    }
}

fn stats(ctx: &Ctx, args: StatsArgs) -> Result<ExitCode> {
    let store = ctx.open_existing()?;
    let s = store.stats()?;
    if args.format == OutputFormat::Json {
        print_json(&s)?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::outln!("database: {}", store.path().display());
    crate::outln!("vulnerabilities      {:>12}", thousands(s.vulnerabilities));
    for (kind, n) in &s.records_by_kind {
        crate::outln!("  records {kind:<12} {:>12}", thousands(*n));
    }
    crate::outln!(
        "full-text documents  {:>12}",
        thousands(s.indexed_documents)
    );
    crate::outln!("CVSS vectors         {:>12}", thousands(s.cvss_vectors));
    crate::outln!(
        "CPE index entries    {:>12}",
        thousands(s.cpe_index_entries)
    );
    crate::outln!(
        "package index entries{:>12}",
        thousands(s.package_index_entries)
    );
    crate::outln!("SSVC decision points {:>12}", thousands(s.ssvc));
    crate::outln!("KEV entries          {:>12}", thousands(s.kev));
    crate::outln!("EPSS scores          {:>12}", thousands(s.epss));
    crate::outln!("CSAF advisories      {:>12}", thousands(s.csaf_documents));
    crate::outln!("CSAF products        {:>12}", thousands(s.csaf_products));
    crate::outln!("imports              {:>12}", thousands(s.imports));
    if !s.records_by_source.is_empty() {
        crate::outln!("largest sources:");
        for c in &s.records_by_source {
            crate::outln!("  {:<40} {:>10}", c.source, thousands(c.records));
        }
    }
    Ok(ExitCode::SUCCESS)
}
