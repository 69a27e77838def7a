//! Jobs: work that outlives a request (scanning a large uploaded SBOM),
//! with its progress and result for the client that polls it.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{json_text, json_value};
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
        self.conn.execute(
            "INSERT INTO jobs (kind, state, product_id, created_by, created_at, updated_at)
             VALUES (?1, 'queued', ?2, ?3, ?4, ?4)",
            params![kind, product_id, created_by, now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Moves a job on: its state, and what it reports so far.
    pub fn update_job(
        &self,
        id: i64,
        state: JobState,
        progress: Option<&serde_json::Value>,
    ) -> Result<()> {
        let progress = progress.map(|p| json_text(p, "job progress")).transpose()?;
        self.conn.execute(
            "UPDATE jobs SET state = ?2, progress = coalesce(?3, progress), updated_at = ?4
             WHERE id = ?1",
            params![id, state.as_str(), progress, crate::write::now()],
        )?;
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
        self.conn.execute(
            "UPDATE jobs SET state = ?2, result = ?3, error = ?4, updated_at = ?5 WHERE id = ?1",
            params![id, state.as_str(), result, error, crate::write::now()],
        )?;
        Ok(())
    }

    pub fn job(&self, id: i64) -> Result<Option<JobRow>> {
        let row = self
            .conn
            .query_row(
                "SELECT id, kind, state, product_id, created_by, created_at, updated_at, progress,
                        result, error FROM jobs WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, Option<String>>(8)?,
                        r.get::<_, Option<String>>(9)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, kind, state, product_id, created_by, created_at, updated_at, p, res, error)) =
            row
        else {
            return Ok(None);
        };
        Ok(Some(JobRow {
            id,
            kind,
            state: JobState::parse(&state)?,
            product_id,
            created_by,
            created_at,
            updated_at,
            progress: p.map(|p| json_value(&p, "job progress")).transpose()?,
            result: res.map(|r| json_value(&r, "job result")).transpose()?,
            error,
        }))
    }

    /// Marks jobs a previous process left running as failed: nothing will
    /// finish them (the work itself is transactional, so nothing is half
    /// stored).
    pub fn fail_abandoned_jobs(&self) -> Result<usize> {
        Ok(self.conn.execute(
            "UPDATE jobs SET state = 'failed', error = 'the server stopped before the job finished; nothing of it was stored', updated_at = ?1
             WHERE state IN ('queued', 'running')",
            [crate::write::now()],
        )?)
    }
}
