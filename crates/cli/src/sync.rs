//! `kensa db sync`: runs the library's sync sources and reports on them.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use kensa_app::sync::{self as app_sync, Outcome, SyncPlan};
use kensa_intel::sync::{self, SyncOptions, epss, kev, nvd};

use crate::{Ctx, OutputFormat, print_json, thousands};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Source {
    /// NVD CVE API 2.0 (incremental by last-modified time)
    Nvd,
    /// CISA Known Exploited Vulnerabilities catalog
    Kev,
    /// FIRST EPSS daily scores
    Epss,
    /// CSAF 2.0 providers given with --csaf-provider
    Csaf,
}

impl From<Source> for app_sync::Source {
    fn from(s: Source) -> app_sync::Source {
        match s {
            Source::Nvd => app_sync::Source::Nvd,
            Source::Kev => app_sync::Source::Kev,
            Source::Epss => app_sync::Source::Epss,
            Source::Csaf => app_sync::Source::Csaf,
        }
    }
}

/// Which sources to sync and where each is fetched from (`kensa db sync`,
/// and `kensa serve --sync-every`).
#[derive(Args, Clone)]
pub struct SourceArgs {
    /// Source to sync; repeatable [default: kev, epss, nvd once it has a cursor or with --since,
    /// csaf with --csaf-provider]
    #[arg(long = "source", value_enum, value_name = "SOURCE")]
    sources: Vec<Source>,

    /// NVD API key, sent as the `apiKey` header; raises NVD's limit from 5 to 50 requests per 30 s
    #[arg(long, env = "NVD_API_KEY", hide_env_values = true, value_name = "KEY")]
    nvd_api_key: Option<String>,

    /// NVD CVE API 2.0 endpoint (a mirror, or a proxy)
    #[arg(long, value_name = "URL", default_value = nvd::DEFAULT_URL)]
    nvd_url: String,

    /// Seconds between NVD requests [default: 6 without an API key, 0.6 with one]
    #[arg(long, value_name = "SECONDS")]
    nvd_interval: Option<f64>,

    /// KEV catalog (JSON) URL
    #[arg(long, value_name = "URL", default_value = kev::DEFAULT_URL)]
    kev_url: String,

    /// EPSS scores (CSV, gzip or plain) URL
    #[arg(long, value_name = "URL", default_value = epss::DEFAULT_URL)]
    epss_url: String,

    /// CSAF provider: the URL of its provider-metadata.json, or a domain (for
    /// https://DOMAIN/.well-known/csaf/provider-metadata.json); repeatable
    #[arg(long = "csaf-provider", value_name = "URL|DOMAIN")]
    csaf_providers: Vec<String>,

    /// Attempts per request before giving up (retries back off exponentially)
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    max_attempts: u32,

    /// Skip bad records inside a page or document instead of failing it
    #[arg(long)]
    keep_going: bool,
}

impl SourceArgs {
    pub fn plan(&self) -> SyncPlan {
        SyncPlan {
            sources: self.sources.iter().map(|&s| s.into()).collect(),
            nvd_url: self.nvd_url.clone(),
            nvd_api_key: self.nvd_api_key.clone(),
            nvd_interval: self.nvd_interval,
            kev_url: self.kev_url.clone(),
            epss_url: self.epss_url.clone(),
            csaf_providers: self.csaf_providers.clone(),
            max_attempts: self.max_attempts,
            keep_going: self.keep_going,
        }
    }
}

#[derive(Args)]
pub struct SyncArgs {
    #[command(flatten)]
    sources: SourceArgs,

    /// NVD: fetch changes since DATE (YYYY-MM-DD or RFC 3339) instead of since the last sync;
    /// required for the first NVD sync
    #[arg(long, value_name = "DATE")]
    since: Option<String>,

    /// NVD: fetch changes up to DATE [default: now]
    #[arg(long, value_name = "DATE")]
    until: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub fn run(ctx: &Ctx, args: SyncArgs) -> Result<ExitCode> {
    let since = args.since.as_deref().map(sync::parse_date).transpose()?;
    let until = args.until.as_deref().map(sync::parse_date).transpose()?;
    let plan = args.sources.plan();
    let mut store = ctx.open_store()?;
    // Never write into a damaged file (checked unless untouched since
    // Kensa last found it sound).
    store
        .ensure_sound_since_last_check()
        .map_err(|e| crate::database::named(e, store.path()))?;
    let (sources, note) = app_sync::choose_sources(&store, &plan, since.is_some())?;
    if let Some(note) = note
        && !ctx.quiet
    {
        eprintln!("note: {note}");
    }
    let log = |line: &str| {
        if !ctx.quiet {
            eprintln!("{line}");
        }
    };
    let opts = SyncOptions {
        keep_going: plan.keep_going,
        log: Some(&log),
    };
    let outcomes = app_sync::run_sources(&mut store, &plan, &sources, since, until, &opts, |o| {
        if let Some(error) = &o.error {
            eprintln!("error: {}: {error}", o.report.source);
        }
        if args.format == OutputFormat::Text && !ctx.quiet {
            print_summary(o);
        }
    });
    if args.format == OutputFormat::Json {
        print_json(&outcomes)?;
    }
    // What was stored counts even when a source failed: products follow it.
    crate::product::rescan_after_import(&mut store, ctx.quiet, args.format)?;
    store.seal();
    crate::database::publish_if_node(&mut store, ctx.quiet)?;
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    if failed > 0 {
        bail!(
            "{failed} of {} source(s) failed (what they imported before failing stays stored; \
             the next sync resumes there)",
            outcomes.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(o: &Outcome) {
    let r = &o.report;
    let c = &r.counts;
    crate::outln!(
        "{}: {}{} request(s), {} imported: {} new, {} updated, {} unchanged, {} older than stored{}",
        r.source,
        if o.error.is_some() {
            "FAILED after "
        } else {
            ""
        },
        thousands(r.requests),
        thousands(r.imported),
        thousands(c.inserted),
        thousands(c.updated),
        thousands(c.unchanged),
        thousands(c.stale),
        match (&r.cursor_before, &r.cursor_after) {
            (b, a) if b == a => a
                .as_ref()
                .map(|a| format!("; cursor {a}"))
                .unwrap_or_default(),
            (b, a) => format!(
                "; cursor {} -> {}",
                b.as_deref().unwrap_or("(none)"),
                a.as_deref().unwrap_or("(none)")
            ),
        }
    );
    for n in &r.notes {
        crate::outln!("  note: {n}");
    }
    for s in &r.skipped {
        crate::outln!("  skipped: {s}");
    }
}
