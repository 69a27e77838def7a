//! Syncing the intelligence from its publishers (`kensa db sync`, and a
//! server's scheduled sync): which sources run, each one's settings, and
//! what follows a sync (the portfolio rescanned, and on a node the new
//! intelligence published for every node).

use std::time::Duration;

use chrono::{DateTime, Utc};
use kensa_intel::sync::{
    Client, HttpConfig, SyncFailure, SyncOptions, SyncReport, csaf, epss, kev, nvd,
};
use kensa_store::Store;
use serde::Serialize;

use crate::{AppError, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Nvd,
    Kev,
    Epss,
    Csaf,
}

/// Where each source is fetched from and how.
#[derive(Debug, Clone)]
pub struct SyncPlan {
    /// Empty: the defaults ([`choose_sources`]).
    pub sources: Vec<Source>,
    pub nvd_url: String,
    pub nvd_api_key: Option<String>,
    /// Seconds between NVD requests; `None`: NVD's published limits.
    pub nvd_interval: Option<f64>,
    pub kev_url: String,
    pub epss_url: String,
    pub csaf_providers: Vec<String>,
    pub max_attempts: u32,
    pub keep_going: bool,
}

impl Default for SyncPlan {
    fn default() -> SyncPlan {
        SyncPlan {
            sources: Vec::new(),
            nvd_url: nvd::DEFAULT_URL.into(),
            nvd_api_key: None,
            nvd_interval: None,
            kev_url: kev::DEFAULT_URL.into(),
            epss_url: epss::DEFAULT_URL.into(),
            csaf_providers: Vec::new(),
            max_attempts: 5,
            keep_going: false,
        }
    }
}

/// The job kind of a server's scheduled sync.
pub const SYNC_JOB: &str = "intel.sync";
/// Attempts per scheduled sync (a source that failed is tried again).
pub const SYNC_ATTEMPTS: i64 = 3;

/// Whether a scheduled sync is due: none ran yet, or the newest one
/// ended and was created `every` or longer before `now`. One that is
/// queued or running is never doubled.
pub fn scheduled_sync_due(store: &Store, every: Duration, now: DateTime<Utc>) -> Result<bool> {
    use kensa_store::team::JobState;
    let Some(last) = store.newest_job(SYNC_JOB)? else {
        return Ok(true);
    };
    if matches!(last.state, JobState::Queued | JobState::Running) {
        return Ok(false);
    }
    let created = DateTime::parse_from_rfc3339(&last.created_at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    Ok(now - created >= chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX))
}

/// Queues a scheduled sync for any node to run.
pub fn enqueue_scheduled_sync(store: &Store) -> Result<i64> {
    Ok(store.enqueue_job(&kensa_store::team::NewJob {
        kind: SYNC_JOB,
        product_id: None,
        created_by: crate::access::AUTOMATIC,
        payload: Some(&serde_json::json!({"scheduled": true})),
        input: None,
        max_attempts: SYNC_ATTEMPTS,
    })?)
}

/// One source's outcome.
#[derive(Debug, Serialize)]
pub struct Outcome {
    #[serde(flatten)]
    pub report: SyncReport,
    pub error: Option<String>,
}

/// The sources asked for (each once), or the defaults: KEV and EPSS
/// always, NVD once it has somewhere to start (a cursor, or `since`), CSAF
/// when providers are named. The second value says what was left out and
/// why.
pub fn choose_sources(
    store: &Store,
    plan: &SyncPlan,
    has_since: bool,
) -> Result<(Vec<Source>, Option<String>)> {
    if plan.sources.contains(&Source::Csaf) && plan.csaf_providers.is_empty() {
        return Err(AppError::invalid(
            "source",
            "--source csaf needs at least one --csaf-provider URL or domain",
        ));
    }
    if let Some(i) = plan.nvd_interval
        && !(i.is_finite() && i >= 0.0)
    {
        return Err(AppError::invalid(
            "nvd_interval",
            "--nvd-interval must be a number of seconds, 0 or more",
        ));
    }
    if !plan.sources.is_empty() {
        let mut s: Vec<Source> = Vec::new();
        for source in &plan.sources {
            if !s.contains(source) {
                s.push(*source);
            }
        }
        return Ok((s, None));
    }
    let mut s = vec![Source::Kev, Source::Epss];
    let mut note = None;
    if store.meta(nvd::CURSOR_KEY)?.is_some() || has_since {
        s.push(Source::Nvd);
    } else {
        note = Some(
            "skipping nvd: it has not been synced into this database yet; \
             pass --since DATE to start (see `kensa db sync --help`)"
                .to_string(),
        );
    }
    if !plan.csaf_providers.is_empty() {
        s.push(Source::Csaf);
    }
    Ok((s, note))
}

/// Runs one source (a CSAF source runs once per provider).
pub fn run_source(
    store: &mut Store,
    plan: &SyncPlan,
    source: Source,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    opts: &SyncOptions<'_>,
) -> Vec<std::result::Result<SyncReport, SyncFailure>> {
    let base = HttpConfig {
        max_attempts: plan.max_attempts,
        ..HttpConfig::default()
    };
    match source {
        Source::Nvd => {
            let mut config = nvd::http_config(plan.nvd_api_key.is_some());
            config.max_attempts = plan.max_attempts;
            if let Some(secs) = plan.nvd_interval {
                config.min_interval = Duration::from_secs_f64(secs);
            }
            let nvd_opts = nvd::NvdOptions {
                url: plan.nvd_url.clone(),
                api_key: plan.nvd_api_key.clone(),
                since,
                until,
                ..nvd::NvdOptions::default()
            };
            vec![nvd::sync(store, &mut Client::new(config), &nvd_opts, opts)]
        }
        Source::Kev => vec![kev::sync(
            store,
            &mut Client::new(base),
            &plan.kev_url,
            opts,
        )],
        Source::Epss => vec![epss::sync(
            store,
            &mut Client::new(base),
            &plan.epss_url,
            opts,
        )],
        Source::Csaf => {
            let mut client = Client::new(base);
            plan.csaf_providers
                .iter()
                .map(|p| csaf::sync(store, &mut client, p, opts))
                .collect()
        }
    }
}

/// Runs every chosen source in turn; a failed source does not stop the
/// others (what it imported before failing stays stored).
pub fn run_sources(
    store: &mut Store,
    plan: &SyncPlan,
    sources: &[Source],
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    opts: &SyncOptions<'_>,
    mut each: impl FnMut(&Outcome),
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for &source in sources {
        for result in run_source(store, plan, source, since, until, opts) {
            let outcome = match result {
                Ok(report) => Outcome {
                    report,
                    error: None,
                },
                Err(SyncFailure { report, error }) => Outcome {
                    report: *report,
                    error: Some(error.to_string()),
                },
            };
            each(&outcome);
            outcomes.push(outcome);
        }
    }
    outcomes
}

/// What a scheduled sync did.
#[derive(Debug, Serialize)]
pub struct ScheduledSync {
    pub outcomes: Vec<Outcome>,
    /// Findings brought up to date (when products are stored).
    pub rescanned: bool,
    /// On a node: the intelligence publication it made.
    pub published: Option<i64>,
}

impl ScheduledSync {
    /// The sources that failed, in words; `None` when all succeeded.
    pub fn failures(&self) -> Option<String> {
        let failed: Vec<String> = self
            .outcomes
            .iter()
            .filter_map(|o| {
                o.error
                    .as_ref()
                    .map(|e| format!("{}: {e}", o.report.source))
            })
            .collect();
        (!failed.is_empty()).then(|| failed.join("; "))
    }
}

/// A server's scheduled sync: the plan's sources, then the portfolio's
/// rescan, then (on a node) the publication every node picks up. What the
/// sources stored counts even when one failed.
pub fn scheduled(store: &mut Store, plan: &SyncPlan, by: &str) -> Result<ScheduledSync> {
    let (sources, _) = choose_sources(store, plan, false)?;
    let log = |_: &str| {};
    let opts = SyncOptions {
        keep_going: plan.keep_going,
        log: Some(&log),
    };
    let outcomes = run_sources(store, plan, &sources, None, None, &opts, |_| {});
    let rescanned = store.component_count()? > 0;
    if rescanned {
        crate::products::rescan_portfolio(store)?;
    }
    let published = match store.intel_generation() {
        Some(_) => Some(store.publish_intel(by)?),
        None => None,
    };
    Ok(ScheduledSync {
        outcomes,
        rescanned,
        published,
    })
}
