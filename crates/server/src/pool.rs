//! Database connections for the server's handlers.
//!
//! A connection serves one thread at a time and SQLite calls block, so
//! each use case runs on tokio's blocking pool with a connection taken
//! from here and given back after. The number of connections bounds the
//! concurrent database calls; further callers wait for one (a semaphore)
//! instead of opening more. Kept by hand rather than with r2d2: the pool
//! holds kensa's own `Store` (opened with its pragmas and schema check),
//! needs async waiting, and is thirty lines.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kensa_store::{Location, Migrate, Store, StoreError};
use tokio::sync::Semaphore;

use crate::problem::ApiError;

/// Idle longer than this, a connection is checked before it is used.
const RECHECK_AFTER: Duration = Duration::from_secs(1);

pub struct Pool {
    location: Location,
    /// Connections not in use, with when they were last given back.
    idle: Mutex<Vec<(Store, Instant)>>,
    permits: Arc<Semaphore>,
    /// On a node: the newest intelligence publication a connection has
    /// switched to; idle connections on an older one are reopened.
    generation: AtomicI64,
}

impl Pool {
    /// Opens the database once (creating or upgrading an SQLite schema; a
    /// PostgreSQL schema must be current, see `kensa db migrate`) and
    /// keeps that connection as the first of `size`.
    pub fn open(location: Location, size: usize) -> Result<Pool, StoreError> {
        let first = location.open(Migrate::IfEmpty)?;
        Ok(Pool {
            generation: AtomicI64::new(first.intel_generation().unwrap_or(0)),
            location,
            idle: Mutex::new(vec![(first, Instant::now())]),
            permits: Arc::new(Semaphore::new(size.max(1))),
        })
    }

    /// A connection of its own, outside the pool (for progress reports
    /// while a pooled one is busy).
    pub fn open_extra(&self) -> Result<Store, StoreError> {
        self.location.open(Migrate::IfEmpty)
    }

    /// On a node: switches to a newer intelligence publication if there
    /// is one; every connection follows when it is next taken.
    pub async fn pick_up_intel(self: &Arc<Self>) -> Result<Option<i64>, ApiError> {
        let picked = self
            .run(|store| store.pick_up_intel())
            .await?
            .map_err(|e| ApiError::unavailable(format!("intelligence publication: {e}")))?;
        if let Some(generation) = picked {
            self.generation.fetch_max(generation, Ordering::SeqCst);
        }
        Ok(picked)
    }

    /// On a node: a connection published `generation`; the others
    /// reopen on it when next taken.
    pub fn follow(&self, generation: i64) {
        self.generation.fetch_max(generation, Ordering::SeqCst);
    }

    /// Runs `f` with a connection on the blocking pool.
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::unavailable("the server is shutting down"))?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let current = pool.generation.load(Ordering::SeqCst);
            let taken = pool
                .idle
                .lock()
                .map(|mut v| v.pop())
                .unwrap_or(None)
                .filter(|(s, since)| {
                    s.intel_generation().unwrap_or(0) >= current
                        && s.is_usable()
                        // A connection idle a while may have been dropped by
                        // the database server: asked before it is used.
                        && (since.elapsed() < RECHECK_AFTER || s.is_alive())
                })
                .map(|(s, _)| s);
            let mut store = match taken {
                Some(s) => s,
                None => pool.location.open(Migrate::IfEmpty).map_err(|e| {
                    ApiError::unavailable(format!("the database cannot be opened: {e}"))
                })?,
            };
            let out = f(&mut store);
            // A connection the database server dropped is not kept, nor
            // are the idle ones: a restart or failover drops them all.
            if let Ok(mut idle) = pool.idle.lock() {
                if store.is_usable() {
                    idle.push((store, Instant::now()));
                } else {
                    idle.clear();
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| ApiError::internal(format!("a database task failed: {e}")))?
    }
}
