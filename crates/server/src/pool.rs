//! Database connections for the server's handlers.
//!
//! A connection serves one thread at a time and SQLite calls block, so
//! each use case runs on tokio's blocking pool with a connection taken
//! from here and given back after. The number of connections bounds the
//! concurrent database calls; further callers wait for one (a semaphore)
//! instead of opening more. Kept by hand rather than with r2d2: the pool
//! holds kensa's own `Store` (opened with its pragmas and schema check),
//! needs async waiting, and is thirty lines.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use kensa_store::{Store, StoreError};
use tokio::sync::Semaphore;

use crate::problem::ApiError;

pub struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Store>>,
    permits: Arc<Semaphore>,
}

impl Pool {
    /// Opens the database once (creating or upgrading its schema) and
    /// keeps that connection as the first of `size`.
    pub fn open(path: PathBuf, size: usize) -> Result<Pool, StoreError> {
        let first = Store::open(&path)?;
        Ok(Pool {
            path,
            idle: Mutex::new(vec![first]),
            permits: Arc::new(Semaphore::new(size.max(1))),
        })
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
            let taken = pool.idle.lock().map(|mut v| v.pop()).unwrap_or(None);
            let mut store = match taken {
                Some(s) => s,
                None => Store::open(&pool.path).map_err(|e| {
                    ApiError::unavailable(format!("the database cannot be opened: {e}"))
                })?,
            };
            let out = f(&mut store);
            if let Ok(mut idle) = pool.idle.lock() {
                idle.push(store);
            }
            Ok(out)
        })
        .await
        .map_err(|e| ApiError::internal(format!("a database task failed: {e}")))?
    }
}
