//! Jobs any node runs: an uploaded SBOM is stored as a job carrying the
//! upload, so that when the node that took it dies another node finishes
//! it. Handlers are safe to run twice: a retry finds what an interrupted
//! run stored and completes it instead of storing it again.

use kensa_store::Store;
use kensa_store::team::{ClaimedJob, JobOutcome, NewJob};
use serde::{Deserialize, Serialize};

use crate::access::Actor;
use crate::products::{self, AddVersion, Added, Progress};
use crate::{AppError, Result};

/// The kind of an SBOM upload's job.
pub const SBOM_UPLOAD: &str = "sbom-upload";

/// Every kind a node's worker runs.
pub const KINDS: &[&str] = &[SBOM_UPLOAD];

/// How often a job is tried before it is given up.
const ATTEMPTS: i64 = 3;

/// An SBOM upload, as its job carries it (the SBOM is the job's input).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Upload {
    pub product: String,
    pub version: String,
    pub team: Option<String>,
    pub replace: bool,
    pub strict: bool,
    pub origin: String,
    /// Who uploaded it: the job runs with their grants at the time it runs.
    pub user_id: i64,
    pub user: String,
    pub via: String,
    pub client: Option<String>,
}

/// Checks what can be checked before the SBOM is read (names, the right
/// to add) and queues the upload, claimed by `owner` (the node that runs
/// it at once) for `lease`.
pub fn enqueue_upload(
    store: &mut Store,
    actor: &Actor,
    upload: &Upload,
    sbom: &[u8],
    owner: &str,
    lease: std::time::Duration,
) -> Result<ClaimedJob> {
    products::check_label("product", &upload.product)?;
    products::check_label("version", &upload.version)?;
    products::authorise_add(store, actor, &upload.product, upload.team.as_deref())?;
    let product_id = store.product_ref(&upload.product)?.map(|p| p.id);
    let payload = serde_json::to_value(upload)
        .map_err(|e| AppError::BadInput(format!("the upload cannot be queued: {e}")))?;
    let new = NewJob {
        kind: SBOM_UPLOAD,
        product_id,
        created_by: &actor.name,
        payload: Some(&payload),
        input: Some(sbom),
        max_attempts: ATTEMPTS,
    };
    Ok(store.enqueue_claimed_job(&new, owner, lease)?)
}

/// Runs a claimed upload: stores the version and matches it. A retry
/// (the node of an earlier attempt died) that finds the same SBOM already
/// stored only completes the matching the earlier attempt began.
pub fn run_upload(
    store: &mut Store,
    claimed: &ClaimedJob,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Added> {
    let id = claimed.job.id;
    let upload: Upload = claimed
        .payload
        .clone()
        .ok_or_else(|| AppError::BadInput(format!("job {id} carries no upload")))
        .and_then(|p| {
            serde_json::from_value(p)
                .map_err(|e| AppError::BadInput(format!("job {id}'s upload: {e}")))
        })?;
    let sbom = claimed
        .input
        .as_deref()
        .ok_or_else(|| AppError::BadInput(format!("job {id} carries no SBOM")))?;
    let actor = Actor::user(
        store,
        upload.user_id,
        &upload.user,
        upload.via.clone(),
        upload.client.clone(),
    )?;
    let new = AddVersion {
        product: &upload.product,
        version: &upload.version,
        sbom,
        origin: &upload.origin,
        team: upload.team.as_deref(),
        replace: upload.replace,
        strict: upload.strict,
        parsed: None,
    };
    if claimed.attempt > 1
        && store
            .version_sbom(&upload.product, &upload.version)?
            .as_deref()
            == Some(sbom)
    {
        return products::resume_add(store, &actor, &new);
    }
    products::add_version(store, &actor, &new, true, progress)
}

/// What a run's result means for its job: transient failures of the
/// database are retried, everything else is final.
pub fn outcome(result: &Result<Added>) -> (std::result::Result<serde_json::Value, String>, bool) {
    match result {
        Ok(added) => (Ok(summary(added)), false),
        Err(AppError::Store(e)) if e.is_transient() => (Err(e.to_string()), true),
        Err(e) => (Err(e.to_string()), false),
    }
}

/// Ends `owner`'s run with `result`; `false` when the run was no longer
/// theirs (another node took the job over).
pub fn end_run(
    store: &Store,
    claimed: &ClaimedJob,
    owner: &str,
    result: &Result<Added>,
) -> Result<bool> {
    let ended = match outcome(result) {
        (Ok(summary), _) => store.end_job_run(claimed, owner, JobOutcome::Done(&summary))?,
        (Err(e), true) => store.end_job_run(claimed, owner, JobOutcome::Retry(&e))?,
        (Err(e), false) => store.end_job_run(claimed, owner, JobOutcome::Failed(&e))?,
    };
    Ok(ended)
}

/// A job's result as its poller reads it.
pub fn summary(added: &Added) -> serde_json::Value {
    serde_json::json!({"product": added.product, "version": added.version,
        "components": added.components, "new_components": added.new_components,
        "warnings": added.warnings})
}
