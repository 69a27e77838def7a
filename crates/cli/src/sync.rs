//! `kensa db sync`: runs the library's sync sources and reports on them.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use kensa_intel::sync::{
    self, Client, HttpConfig, SyncFailure, SyncOptions, SyncReport, csaf, epss, kev, nvd,
};
use kensa_store::Store;
use serde::Serialize;

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

#[derive(Args)]
pub struct SyncArgs {
    /// Source to sync; repeatable [default: kev, epss, nvd once it has a cursor or with --since,
    /// csaf with --csaf-provider]
    #[arg(long = "source", value_enum, value_name = "SOURCE")]
    sources: Vec<Source>,

    /// NVD: fetch changes since DATE (YYYY-MM-DD or RFC 3339) instead of since the last sync;
    /// required for the first NVD sync
    #[arg(long, value_name = "DATE")]
    since: Option<String>,

    /// NVD: fetch changes up to DATE [default: now]
    #[arg(long, value_name = "DATE")]
    until: Option<String>,

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

    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// One source's outcome, for the JSON output.
#[derive(Serialize)]
struct Outcome {
    #[serde(flatten)]
    report: SyncReport,
    error: Option<String>,
}

pub fn run(ctx: &Ctx, args: SyncArgs) -> Result<ExitCode> {
    let since = args.since.as_deref().map(sync::parse_date).transpose()?;
    let until = args.until.as_deref().map(sync::parse_date).transpose()?;
    if let Some(i) = args.nvd_interval
        && !(i.is_finite() && i >= 0.0)
    {
        bail!("--nvd-interval must be a number of seconds, 0 or more");
    }
    let mut store = ctx.open_store()?;
    // Never write into a damaged file (checked unless untouched since
    // Kensa last found it sound).
    store
        .ensure_sound_since_last_check()
        .map_err(|e| crate::database::named(e, store.path()))?;
    let sources = chosen_sources(&store, &args, since.is_some(), ctx.quiet)?;
    let log = |line: &str| {
        if !ctx.quiet {
            eprintln!("{line}");
        }
    };
    let opts = SyncOptions {
        keep_going: args.keep_going,
        log: Some(&log),
    };
    let mut outcomes = Vec::new();
    for source in sources {
        for result in run_source(&mut store, &args, source, since, until, &opts) {
            let outcome = match result {
                Ok(report) => Outcome {
                    report,
                    error: None,
                },
                Err(SyncFailure { report, error }) => {
                    eprintln!("error: {}: {error}", report.source);
                    Outcome {
                        report: *report,
                        error: Some(error.to_string()),
                    }
                }
            };
            if args.format == OutputFormat::Text && !ctx.quiet {
                print_summary(&outcome);
            }
            outcomes.push(outcome);
        }
    }
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

/// The sources asked for, or the defaults: KEV and EPSS always, NVD once it
/// has somewhere to start, CSAF when providers are named.
fn chosen_sources(
    store: &Store,
    args: &SyncArgs,
    has_since: bool,
    quiet: bool,
) -> Result<Vec<Source>> {
    if args.sources.contains(&Source::Csaf) && args.csaf_providers.is_empty() {
        bail!("--source csaf needs at least one --csaf-provider URL or domain");
    }
    if !args.sources.is_empty() {
        let mut s: Vec<Source> = Vec::new();
        for source in &args.sources {
            if !s.contains(source) {
                s.push(*source);
            }
        }
        return Ok(s);
    }
    let mut s = vec![Source::Kev, Source::Epss];
    let nvd_cursor = store
        .meta(nvd::CURSOR_KEY)
        .context("reading the NVD sync cursor")?;
    if nvd_cursor.is_some() || has_since {
        s.push(Source::Nvd);
    } else if !quiet {
        eprintln!(
            "note: skipping nvd: it has not been synced into this database yet; \
             pass --since DATE to start (see `kensa db sync --help`)"
        );
    }
    if !args.csaf_providers.is_empty() {
        s.push(Source::Csaf);
    }
    Ok(s)
}

fn run_source(
    store: &mut Store,
    args: &SyncArgs,
    source: Source,
    since: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
    opts: &SyncOptions<'_>,
) -> Vec<Result<SyncReport, SyncFailure>> {
    let base = HttpConfig {
        max_attempts: args.max_attempts,
        ..HttpConfig::default()
    };
    match source {
        Source::Nvd => {
            let mut config = nvd::http_config(args.nvd_api_key.is_some());
            config.max_attempts = args.max_attempts;
            if let Some(secs) = args.nvd_interval {
                config.min_interval = Duration::from_secs_f64(secs);
            }
            let nvd_opts = nvd::NvdOptions {
                url: args.nvd_url.clone(),
                api_key: args.nvd_api_key.clone(),
                since,
                until,
                ..nvd::NvdOptions::default()
            };
            vec![nvd::sync(store, &mut Client::new(config), &nvd_opts, opts)]
        }
        Source::Kev => vec![kev::sync(
            store,
            &mut Client::new(base),
            &args.kev_url,
            opts,
        )],
        Source::Epss => vec![epss::sync(
            store,
            &mut Client::new(base),
            &args.epss_url,
            opts,
        )],
        Source::Csaf => {
            let mut client = Client::new(base);
            args.csaf_providers
                .iter()
                .map(|p| csaf::sync(store, &mut client, p, opts))
                .collect()
        }
    }
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
