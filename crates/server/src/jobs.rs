//! The node's job runner: an upload's job is run at once by the node that
//! took the upload; every node also claims jobs whose node died (lease
//! ran out) or that wait for a retry, and runs them. While a job runs its
//! lease is renewed, so only a dead node's jobs are taken over. Webhook
//! deliveries are jobs too, run without waiting for a scan.

use std::sync::Arc;
use std::time::Duration;

use kensa_app::jobs;
use kensa_app::products::Added;
use kensa_app::sync::SYNC_JOB;
use kensa_app::webhooks::{self, Delivery};
use kensa_store::team::{ClaimedJob, JobOutcome, JobState, WEBHOOK_JOB};
use serde_json::json;

use crate::problem::ApiError;
use crate::state::AppState;

/// This process's name in job leases: unique per process and start.
pub fn node_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    format!("{host}:{}:{started}", std::process::id())
}

/// Claims and runs due jobs until the server stops.
pub async fn work(state: Arc<AppState>) {
    loop {
        let (node, lease) = (state.node.clone(), state.config.job_lease);
        let syncs = state.config.sync.is_some();
        let claimed = state
            .pool
            .run(move |store| {
                // A node runs scheduled syncs only if it was told their sources.
                let sync = syncs.then_some(SYNC_JOB);
                let kinds: Vec<&str> = jobs::KINDS
                    .iter()
                    .copied()
                    .chain([WEBHOOK_JOB])
                    .chain(sync)
                    .collect();
                store.claim_job(&kinds, None, &node, lease)
            })
            .await;
        match claimed {
            Ok(Ok(Some(job))) if job.job.kind == WEBHOOK_JOB => deliver(&state, job).await,
            Ok(Ok(Some(job))) if job.job.kind == SYNC_JOB => sync(&state, job).await,
            Ok(Ok(Some(job))) => {
                let _ = run(&state, job).await;
            }
            Ok(Err(e)) => {
                eprintln!("kensa serve: claiming jobs: {e}");
                tokio::time::sleep(state.config.job_poll).await;
            }
            _ => tokio::time::sleep(state.config.job_poll).await,
        }
    }
}

/// Periodic work one node at a time (a leader lease): when the portfolio's
/// findings are behind the intelligence (an import published with
/// `--no-rescan`, or by a node that stopped before rescanning), the
/// leader brings them up to date.
pub async fn keep_findings_current(state: Arc<AppState>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (node, ttl) = (state.node.clone(), every * 3);
        let due = state
            .pool
            .run(move |store| -> Result<bool, kensa_store::StoreError> {
                if !store.try_lease("portfolio-rescan", &node, ttl)? {
                    return Ok(false);
                }
                Ok(store.component_count()? > 0
                    && store.portfolio_cursor()?.unwrap_or(0) < store.latest_import()?)
            })
            .await;
        if !matches!(due, Ok(Ok(true))) {
            continue;
        }
        let _one_at_a_time = state.scan_lock.lock().await;
        let done = state.pool.run(kensa_app::products::rescan_portfolio).await;
        if let Ok(Err(e)) = done {
            eprintln!("kensa serve: bringing findings up to date: {e}");
        }
    }
}

/// Periodic work one node at a time: raises the webhook events that are
/// due (cases opened, deadlines near); their deliveries are jobs any node
/// runs.
pub async fn raise_webhook_events(state: Arc<AppState>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (node, ttl) = (state.node.clone(), every * 3);
        let raised = state
            .pool
            .run(move |store| -> Result<usize, kensa_app::AppError> {
                if !store.try_lease("webhook-events", &node, ttl)? {
                    return Ok(0);
                }
                webhooks::raise_due_events(store, chrono::Utc::now())
            })
            .await;
        if let Ok(Err(e)) = raised {
            eprintln!("kensa serve: raising webhook events: {e}");
        }
    }
}

/// Periodic work one node at a time: queues a scheduled sync when the
/// last one is `every` old (checked a few times per period).
pub async fn schedule_syncs(state: Arc<AppState>, every: Duration) {
    let look = (every / 4).clamp(Duration::from_millis(200), Duration::from_secs(60));
    let mut tick = tokio::time::interval(look);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (node, ttl) = (state.node.clone(), look * 3);
        let queued = state
            .pool
            .run(move |store| -> Result<bool, kensa_app::AppError> {
                if !store.try_lease("intel-sync", &node, ttl)?
                    || !kensa_app::sync::scheduled_sync_due(store, every, chrono::Utc::now())?
                {
                    return Ok(false);
                }
                kensa_app::sync::enqueue_scheduled_sync(store)?;
                Ok(true)
            })
            .await;
        if let Ok(Err(e)) = queued {
            eprintln!("kensa serve: scheduling a sync: {e}");
        }
    }
}

/// Runs a scheduled sync (its sources, the rescan, on a node the
/// publication), one scan at a time on this node. A source that failed
/// makes the job run again later; what the others stored stays.
async fn sync(state: &Arc<AppState>, claimed: ClaimedJob) {
    let Some(schedule) = state.config.sync.clone() else {
        // This node has no sources configured: give the job back at once.
        let node = state.node.clone();
        let _ = state
            .pool
            .run(move |store| {
                store.end_job_run(
                    &claimed,
                    &node,
                    JobOutcome::Retry("the node has no sync configured"),
                )
            })
            .await;
        return;
    };
    let _one_at_a_time = state.scan_lock.lock().await;
    let heartbeat = tokio::spawn(renew_lease(state.clone(), claimed.job.id));
    let node = state.node.clone();
    let ran = state
        .pool
        .run(move |store| {
            let result =
                kensa_app::sync::scheduled(store, &schedule.plan, kensa_app::access::AUTOMATIC);
            let ended = match &result {
                Ok(done) => match done.failures() {
                    Some(failed) => store.end_job_run(&claimed, &node, JobOutcome::Retry(&failed)),
                    None => store.end_job_run(
                        &claimed,
                        &node,
                        JobOutcome::Done(&serde_json::to_value(done).unwrap_or_default()),
                    ),
                },
                Err(e) => store.end_job_run(&claimed, &node, JobOutcome::Retry(&e.to_string())),
            };
            if let Err(e) = ended {
                eprintln!("kensa serve: ending a sync job: {e}");
            }
            result.ok().and_then(|d| d.published)
        })
        .await;
    heartbeat.abort();
    match ran {
        Ok(Some(generation)) => state.pool.follow(generation),
        Ok(None) => {}
        Err(e) => eprintln!("kensa serve: a sync job: {e:?}"),
    }
}

/// Delivers one webhook event (one attempt) and ends the job's run: done
/// on a 2xx answer, else back in the queue after a doubling delay.
async fn deliver(state: &Arc<AppState>, claimed: ClaimedJob) {
    let node = state.node.clone();
    let ended = state
        .pool
        .run(move |store| {
            let end = |outcome| store.end_job_run(&claimed, &node, outcome);
            match webhooks::deliver(store, &claimed) {
                Ok(Delivery::Delivered(code)) => end(JobOutcome::Done(&json!({"status": code}))),
                Ok(Delivery::Gone) => end(JobOutcome::Done(&json!({"webhook": "removed"}))),
                Ok(Delivery::Failed { error, .. }) => end(JobOutcome::Retry(&error)),
                // A job that names no event will never deliver one.
                Err(e @ kensa_app::AppError::Invalid { .. }) => {
                    end(JobOutcome::Failed(&e.to_string()))
                }
                Err(e) => end(JobOutcome::Retry(&e.to_string())),
            }
        })
        .await;
    if let Ok(Err(e)) = ended {
        eprintln!("kensa serve: ending a webhook delivery: {e}");
    }
}

/// Runs a claimed job (one scan at a time on this node), renewing its
/// lease meanwhile, and ends its run.
pub async fn run(state: &Arc<AppState>, claimed: ClaimedJob) -> Result<Added, ApiError> {
    let _one_at_a_time = state.scan_lock.lock().await;
    let heartbeat = tokio::spawn(renew_lease(state.clone(), claimed.job.id));
    if let Some(pause) = test_pause() {
        tokio::time::sleep(pause).await;
    }
    let (pool, node) = (state.pool.clone(), state.node.clone());
    let outcome = state
        .pool
        .run(move |store| {
            let job = claimed.job.id;
            // Progress goes through a connection of its own: the scan holds this one.
            let progress_store = std::sync::Mutex::new(pool.open_extra().ok());
            let progress = |p: kensa_app::products::Progress| {
                if let Ok(guard) = progress_store.lock()
                    && let Some(s) = guard.as_ref()
                {
                    let _ = s.update_job(job, JobState::Running, Some(&json!(p)));
                }
            };
            let result = jobs::run_upload(store, &claimed, &progress);
            if let Err(e) = jobs::end_run(store, &claimed, &node, &result) {
                eprintln!("kensa serve: ending job {job}: {e}");
            }
            result
        })
        .await;
    heartbeat.abort();
    outcome.and_then(|r| r.map_err(ApiError::from))
}

/// Renews this node's lease on a job a few times per lease period.
async fn renew_lease(state: Arc<AppState>, job: i64) {
    let lease = state.config.job_lease;
    loop {
        tokio::time::sleep(lease / 3).await;
        let node = state.node.clone();
        let renewed = state
            .pool
            .run(move |store| store.renew_job_lease(job, &node, lease))
            .await;
        if let Ok(Ok(false)) = renewed {
            eprintln!("kensa serve: job {job} was taken over by another node");
            return;
        }
    }
}

/// Fault injection for the tests that kill a node in the middle of a job:
/// `KENSA_TEST_JOB_PAUSE_MS` holds every claimed job that long first.
fn test_pause() -> Option<Duration> {
    std::env::var("KENSA_TEST_JOB_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
}
