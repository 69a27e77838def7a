//! What every handler shares: the configuration, the database pool, the
//! metrics, and the lock that makes SBOM scans run one at a time.

use std::sync::Arc;

use crate::Config;
use crate::metrics::Metrics;
use crate::pool::Pool;

pub struct AppState {
    pub config: Config,
    pub pool: Arc<Pool>,
    pub metrics: Metrics,
    /// Portfolio rescans write every component's findings: one at a time.
    pub scan_lock: tokio::sync::Mutex<()>,
    /// This process's name in job leases.
    pub node: String,
}

impl AppState {
    /// Opens the database, marks jobs a previous process left unfinished as
    /// failed, and brings the stored triage up to date (a database from
    /// before the team server has none).
    pub async fn open(config: Config) -> Result<AppState, crate::ServerError> {
        let location = config.location.clone();
        let size = config.pool_size;
        let pool = tokio::task::spawn_blocking(move || -> Result<Pool, crate::ServerError> {
            let pool = Pool::open(location, size)?;
            let mut store = pool.open_extra()?;
            store.fail_abandoned_jobs()?;
            kensa_app::triage::refresh_stored_triage(&mut store)?;
            Ok(pool)
        })
        .await
        .map_err(|e| crate::ServerError::Serve(std::io::Error::other(e.to_string())))??;
        Ok(AppState {
            config,
            pool: Arc::new(pool),
            metrics: Metrics::default(),
            scan_lock: tokio::sync::Mutex::new(()),
            node: crate::jobs::node_id(),
        })
    }
}
