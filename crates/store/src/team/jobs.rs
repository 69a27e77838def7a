//! Jobs: work that outlives a request (scanning a large uploaded SBOM),
//! with its progress and result for the client that polls it.
//!
//! A job that carries what it needs (`payload`, `input`) can be run by any
//! node: a node claims it with a lease (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so nodes never wait on each other's claims; SQLite's write
//! lock on one machine) and renews the lease while it works. When a node
//! dies, its lease runs out and another node claims the job again, so the
//! handlers must be safe to run twice. A failure worth retrying puts the
//! job back with a delay that doubles with each attempt.

use serde::Serialize;

use super::{json_text, json_value};
use crate::sql::{self, Db};
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<JobState> {
        Ok(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            other => {
                return Err(StoreError::Corrupt {
                    what: "job".into(),
                    message: format!("unknown state {other}"),
                });
            }
        })
    }
}

/// A job to queue.
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub product_id: Option<i64>,
    pub created_by: &'a str,
    /// What the handler needs (JSON); a job without one is run only by the
    /// process that created it and never claimed by another.
    pub payload: Option<&'a serde_json::Value>,
    /// Bytes the handler needs besides (an uploaded SBOM).
    pub input: Option<&'a [u8]>,
    pub max_attempts: i64,
}

/// A job a node claimed, with what its handler needs.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub job: JobRow,
    pub payload: Option<serde_json::Value>,
    pub input: Option<Vec<u8>>,
    /// 1 for the first run; more when a failed or abandoned run is retried.
    pub attempt: i64,
}

/// How a run ended.
pub enum JobOutcome<'a> {
    Done(&'a serde_json::Value),
    /// Worth trying again later (a database or server failure).
    Retry(&'a str),
    /// Will not succeed however often it runs (bad input, no rights).
    Failed(&'a str),
}

#[derive(Debug, Clone, Serialize)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub state: JobState,
    #[serde(skip)]
    pub product_id: Option<i64>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub progress: Option<serde_json::Value>,
    pub result: Option<serde_json::Value>,
    pub error: Option<String>,
    pub attempts: i64,
}

const JOB_COLUMNS: &str = "id, kind, state, product_id, created_by, created_at, updated_at, \
     progress, result, error, attempts";

/// The first retry waits this long; each further one twice as long.
const FIRST_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// Queues a job in the caller's transaction (a webhook event and its
/// delivery job are stored together or not at all).
pub(super) fn insert_job(db: &mut dyn Db, new: &NewJob<'_>) -> Result<i64> {
    let payload = new
        .payload
        .map(|p| json_text(p, "job payload"))
        .transpose()?;
    let input = new.input.map(crate::blob::compress);
    sql::one(
        db,
        "INSERT INTO jobs (kind, state, product_id, created_by, created_at, updated_at,
                           payload, input, max_attempts)
         VALUES (?1, 'queued', ?2, ?3, ?4, ?4, ?5, ?6, ?7) RETURNING id",
        &[
            &new.kind,
            &new.product_id,
            &new.created_by,
            &crate::write::now(),
            &payload,
            &input,
            &new.max_attempts.max(1),
        ],
    )
}

impl Store {
    /// Queues a job that only this process runs (no payload).
    pub fn create_job(&self, kind: &str, product_id: Option<i64>, created_by: &str) -> Result<i64> {
        self.enqueue_job(&NewJob {
            kind,
            product_id,
            created_by,
            payload: None,
            input: None,
            max_attempts: 1,
        })
    }

    /// Queues a job.
    pub fn enqueue_job(&self, new: &NewJob<'_>) -> Result<i64> {
        self.team_conn(|db| insert_job(db, new))
    }

    /// Queues a job already claimed by `owner` (its creator runs it at
    /// once; another node takes it over if the lease runs out).
    pub fn enqueue_claimed_job(
        &mut self,
        new: &NewJob<'_>,
        owner: &str,
        lease: std::time::Duration,
    ) -> Result<ClaimedJob> {
        let id = self.enqueue_job(new)?;
        let claimed = self.claim_job(&[new.kind], Some(id), owner, lease)?;
        claimed.ok_or_else(|| StoreError::NotFound(format!("job {id} was claimed by another node")))
    }

    /// Claims the oldest job of these kinds that is due, or whose node's
    /// lease ran out, for `owner` until `lease` from now. `only` claims
    /// that job alone (its creator running it at once).
    pub fn claim_job(
        &mut self,
        kinds: &[&str],
        only: Option<i64>,
        owner: &str,
        lease: std::time::Duration,
    ) -> Result<Option<ClaimedJob>> {
        let kinds = json_text(&kinds, "job kinds")?;
        let now = crate::write::now();
        let until = crate::write::after(lease);
        self.team_transaction(|db| {
            // A job whose runs keep dying is given up, and the next one looked at.
            loop {
                let sql = format!(
                    "SELECT id, state, attempts, max_attempts FROM jobs
                     WHERE kind IN ({}) AND payload IS NOT NULL
                       AND (CAST(?3 AS BIGINT) IS NULL OR id = ?3)
                       AND ((state = 'queued' AND (run_after IS NULL OR run_after <= ?2))
                         OR (state = 'running' AND lease_until < ?2))
                     ORDER BY id LIMIT 1{}",
                    sql::text_list(db, 1),
                    sql::skip_locked(db)
                );
                let Some(row) = db.query_opt(&sql, &[&kinds, &now, &only])? else {
                    return Ok(None);
                };
                let (id, attempts, max): (i64, i64, i64) = (row.get(0)?, row.get(2)?, row.get(3)?);
                if attempts >= max {
                    db.execute(
                        "UPDATE jobs SET state = 'failed', owner = NULL, lease_until = NULL,
                             updated_at = ?2,
                             error = coalesce(error, 'the node running it stopped before it finished')
                                     || ' (gave up after ' || CAST(attempts AS TEXT) || ' attempts)'
                         WHERE id = ?1",
                        &[&id, &now],
                    )?;
                    continue;
                }
                db.execute(
                    "UPDATE jobs SET state = 'running', owner = ?2, lease_until = ?3,
                         attempts = attempts + 1, updated_at = ?4 WHERE id = ?1",
                    &[&id, &owner, &until, &now],
                )?;
                let row = db
                    .query_opt(
                        &format!("SELECT {JOB_COLUMNS}, payload, input FROM jobs WHERE id = ?1"),
                        &[&id],
                    )?
                    .ok_or_else(|| StoreError::NotFound(format!("no job {id}")))?;
                let payload: Option<String> = row.get(11)?;
                let input: Option<Vec<u8>> = row.get(12)?;
                return Ok(Some(ClaimedJob {
                    job: job_row(&row)?,
                    payload: payload.map(|p| json_value(&p, "job payload")).transpose()?,
                    input: input
                        .map(|b| crate::blob::decompress(&b, || format!("input of job {id}")))
                        .transpose()?,
                    attempt: attempts + 1,
                }));
            }
        })
    }

    /// Extends `owner`'s lease on a running job; `false` when it is no
    /// longer theirs (it ran out and another node claimed the job).
    pub fn renew_job_lease(
        &self,
        id: i64,
        owner: &str,
        lease: std::time::Duration,
    ) -> Result<bool> {
        let until = crate::write::after(lease);
        let n = self.team_conn(|db| {
            db.execute(
                "UPDATE jobs SET lease_until = ?3 WHERE id = ?1 AND owner = ?2 AND state = 'running'",
                &[&id, &owner, &until],
            )
        })?;
        Ok(n == 1)
    }

    /// Ends `owner`'s run of a job: done, back in the queue after a delay
    /// that doubles with each attempt, or failed (also when its attempts
    /// are used up). `false` when the run was no longer `owner`'s.
    pub fn end_job_run(
        &self,
        claimed: &ClaimedJob,
        owner: &str,
        outcome: JobOutcome<'_>,
    ) -> Result<bool> {
        let id = claimed.job.id;
        let now = crate::write::now();
        let n = self.team_conn(|db| match outcome {
            JobOutcome::Done(result) => db.execute(
                "UPDATE jobs SET state = 'done', result = ?3, error = NULL, owner = NULL,
                     lease_until = NULL, updated_at = ?4
                 WHERE id = ?1 AND owner = ?2 AND state = 'running'",
                &[&id, &owner, &json_text(result, "job result")?, &now],
            ),
            JobOutcome::Retry(error) => {
                let delay = FIRST_RETRY * 2u32.saturating_pow((claimed.attempt - 1).clamp(0, 16) as u32);
                db.execute(
                    "UPDATE jobs SET state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
                         error = ?3, owner = NULL, lease_until = NULL, run_after = ?4, updated_at = ?5
                     WHERE id = ?1 AND owner = ?2 AND state = 'running'",
                    &[&id, &owner, &error, &crate::write::after(delay), &now],
                )
            }
            JobOutcome::Failed(error) => db.execute(
                "UPDATE jobs SET state = 'failed', error = ?3, owner = NULL, lease_until = NULL,
                     updated_at = ?4
                 WHERE id = ?1 AND owner = ?2 AND state = 'running'",
                &[&id, &owner, &error, &now],
            ),
        })?;
        Ok(n == 1)
    }

    /// Takes the lease `name` (periodic work that one node at a time does)
    /// for `holder` until `ttl` from now, if it is free, ran out, or is
    /// already `holder`'s.
    pub fn try_lease(&self, name: &str, holder: &str, ttl: std::time::Duration) -> Result<bool> {
        let now = crate::write::now();
        let until = crate::write::after(ttl);
        let got = self.team_conn(|db| {
            db.query(
                "INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                 WHERE leases.until < ?4 OR leases.holder = excluded.holder
                 RETURNING holder",
                &[&name, &holder, &until, &now],
            )
        })?;
        Ok(!got.is_empty())
    }

    /// Moves a job on: its state, and what it reports so far.
    pub fn update_job(
        &self,
        id: i64,
        state: JobState,
        progress: Option<&serde_json::Value>,
    ) -> Result<()> {
        let progress = progress.map(|p| json_text(p, "job progress")).transpose()?;
        self.team_conn(|db| {
            db.execute(
                "UPDATE jobs SET state = ?2, progress = coalesce(?3, progress), updated_at = ?4
                 WHERE id = ?1",
                &[&id, &state.as_str(), &progress, &crate::write::now()],
            )
        })?;
        Ok(())
    }

    /// Ends a job with its result or its error.
    pub fn finish_job(
        &self,
        id: i64,
        outcome: std::result::Result<&serde_json::Value, &str>,
    ) -> Result<()> {
        let (state, result, error) = match outcome {
            Ok(r) => (JobState::Done, Some(json_text(r, "job result")?), None),
            Err(e) => (JobState::Failed, None, Some(e)),
        };
        self.team_conn(|db| {
            db.execute(
                "UPDATE jobs SET state = ?2, result = ?3, error = ?4, updated_at = ?5 WHERE id = ?1",
                &[&id, &state.as_str(), &result, &error, &crate::write::now()],
            )
        })?;
        Ok(())
    }

    pub fn job(&self, id: i64) -> Result<Option<JobRow>> {
        let row = self.team_conn(|db| {
            db.query_opt(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"),
                &[&id],
            )
        })?;
        row.map(|r| job_row(&r)).transpose()
    }

    /// The newest job of a kind (periodic work: when it last ran, and
    /// whether it still runs).
    pub fn newest_job(&self, kind: &str) -> Result<Option<JobRow>> {
        let row = self.team_conn(|db| {
            db.query_opt(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE kind = ?1 ORDER BY id DESC LIMIT 1"),
                &[&kind],
            )
        })?;
        row.map(|r| job_row(&r)).transpose()
    }

    /// Marks jobs a previous process left unfinished as failed when no
    /// node can finish them (they carry no payload; the work itself is
    /// transactional, so nothing is half stored). Jobs with a payload are
    /// claimed again when their lease runs out.
    pub fn fail_abandoned_jobs(&self) -> Result<usize> {
        let n = self.team_conn(|db| {
            db.execute(
                "UPDATE jobs SET state = 'failed', error = 'the server stopped before the job finished; nothing of it was stored', updated_at = ?1
                 WHERE state IN ('queued', 'running') AND payload IS NULL",
                &[&crate::write::now()],
            )
        })?;
        Ok(n as usize)
    }
}

fn job_row(r: &sql::Row) -> Result<JobRow> {
    let state: String = r.get(2)?;
    let progress: Option<String> = r.get(7)?;
    let result: Option<String> = r.get(8)?;
    Ok(JobRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        state: JobState::parse(&state)?,
        product_id: r.get(3)?,
        created_by: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
        progress: progress
            .map(|p| json_value(&p, "job progress"))
            .transpose()?,
        result: result.map(|r| json_value(&r, "job result")).transpose()?,
        error: r.get(9)?,
        attempts: r.get(10)?,
    })
}
