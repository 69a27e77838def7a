//! Jobs: work that outlives a request (scanning a large uploaded SBOM),
//! with its progress and result for the client that polls it.

use serde::Serialize;

use super::{json_text, json_value};
use crate::sql;
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
}

impl Store {
    /// Queues a job.
    pub fn create_job(&self, kind: &str, product_id: Option<i64>, created_by: &str) -> Result<i64> {
        let now = crate::write::now();
        self.team_conn(|db| {
            sql::one(
                db,
                "INSERT INTO jobs (kind, state, product_id, created_by, created_at, updated_at)
                 VALUES (?1, 'queued', ?2, ?3, ?4, ?4) RETURNING id",
                &[&kind, &product_id, &created_by, &now],
            )
        })
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
                "SELECT id, kind, state, product_id, created_by, created_at, updated_at, progress,
                        result, error FROM jobs WHERE id = ?1",
                &[&id],
            )
        })?;
        row.map(|r| job_row(&r)).transpose()
    }

    /// Marks jobs a previous process left running as failed: nothing will
    /// finish them (the work itself is transactional, so nothing is half
    /// stored).
    pub fn fail_abandoned_jobs(&self) -> Result<usize> {
        let n = self.team_conn(|db| {
            db.execute(
                "UPDATE jobs SET state = 'failed', error = 'the server stopped before the job finished; nothing of it was stored', updated_at = ?1
                 WHERE state IN ('queued', 'running')",
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
    })
}
