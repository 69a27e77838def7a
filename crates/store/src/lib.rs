//! Kensa's embedded store.
//!
//! All SQL lives in this crate. Callers see [`Store`] (open, migrate, query)
//! and [`IntelSink`] (the write interface importers use), so another backend
//! (PostgreSQL for team servers) can implement the same interface later.
//!
//! Writes happen inside an [`Import`]: one SQLite transaction per imported
//! file. Dropping an `Import` without calling [`Import::commit`] rolls it back,
//! so a failing file leaves the database exactly as it was.

mod blob;
mod freshness;
mod health;
mod mappings;
mod names;
#[cfg(feature = "postgres")]
mod node;
#[cfg(feature = "postgres")]
mod pg;
#[cfg(feature = "postgres")]
mod pg_tls;
mod portfolio;
mod queue;
mod read;
mod schema;
mod screen;
mod sql;
pub mod team;
mod write;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use freshness::{DataSummary, SourceData};
pub use health::{CheckDepth, Filesystem, filesystem_of, journal_path};
pub use mappings::{MappingSource, NameMappingRow};
#[cfg(feature = "postgres")]
pub use node::Publication;
#[cfg(feature = "postgres")]
pub use pg::{Migrate, schema_version as postgres_schema_version};
pub use portfolio::{
    ChangeSet, ComponentResult, NewComponent, NewVersion, ProductSummary, StoredComponent,
    VersionComponent, VersionSummary,
};
pub use queue::{FindingCounts, QueueKey, QueueQuery, QueueRow, TriageRow};
pub use read::{
    ApplicabilityRecord, CpeProduct, CsafMention, CsafProductRow, RecordFacts, SearchHit,
    SourceCount, Stats, StoredRecord, VulnView, decode_record,
};
pub use screen::{Screen, ScreenCriterion};
pub use write::{Import, ImportCounts, IntelSink, Outcome, PreparedVuln};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "database {path} has schema version {found}, newer than this kensa understands ({known}); upgrade kensa"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "{path} is not a Kensa database: it is an SQLite database of another application ({what}); \
         refusing to change it\n  hint: point --db (or KENSA_DB) at a new file or an existing Kensa database"
    )]
    Foreign { path: PathBuf, what: String },
    #[error(
        "database {path} is damaged: {}{}\n  hint: `kensa db check` lists the problems; restore a copy, \
         or import the data again into a new database",
        problems.first().map(String::as_str).unwrap_or("integrity check failed"),
        if problems.len() > 1 { format!(" (and {} more problems)", problems.len() - 1) } else { String::new() }
    )]
    Damaged {
        path: PathBuf,
        problems: Vec<String>,
    },
    /// Another error, about the database at `path` (see [`StoreError::at`]).
    #[error("{}", inner.describe(path))]
    At {
        path: PathBuf,
        inner: Box<StoreError>,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// A write based on a revision that is no longer the current one.
    #[error("the stored revision is {current}; the change was based on an older one")]
    Stale { current: i64 },
    #[error("stored data for {what} is not valid: {message}")]
    Corrupt { what: String, message: String },
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[cfg(feature = "postgres")]
    #[error("PostgreSQL error: {0}")]
    Pg(#[source] postgres::Error),
    #[error("cannot connect to {url}: {message}")]
    Connect { url: String, message: String },
    #[error(
        "database {url} has schema version {found}, older than this kensa's ({known}); \
         nodes of the older release may still use it\n  hint: when every node runs this release, \
         run `kensa db migrate` once"
    )]
    Outdated { url: String, found: i64, known: i64 },
    #[error("cannot upgrade {url} to schema version {number}: {message}")]
    Migration {
        url: String,
        number: usize,
        message: String,
    },
}

impl StoreError {
    /// The database is busy or locked by another writer, or cannot be
    /// opened: worth retrying later.
    pub fn is_transient(&self) -> bool {
        #[cfg(feature = "postgres")]
        match self {
            StoreError::Connect { .. } => return true,
            StoreError::Pg(e) => return pg::is_transient(e),
            _ => {}
        }
        matches!(self, StoreError::Open { .. })
            || matches!(
                self.sqlite_code(),
                Some(
                    rusqlite::ErrorCode::DatabaseBusy
                        | rusqlite::ErrorCode::DatabaseLocked
                        | rusqlite::ErrorCode::CannotOpen
                )
            )
    }

    /// The database file (or its directory) cannot be written.
    pub fn is_read_only(&self) -> bool {
        self.sqlite_code() == Some(rusqlite::ErrorCode::ReadOnly)
    }

    /// This error, naming the database it is about in its message.
    pub fn at(self, db: &Path) -> StoreError {
        match self {
            e @ StoreError::At { .. } => e,
            e => StoreError::At {
                path: db.to_path_buf(),
                inner: Box::new(e),
            },
        }
    }

    fn sqlite_code(&self) -> Option<rusqlite::ErrorCode> {
        match self {
            StoreError::At { inner, .. } => inner.sqlite_code(),
            StoreError::Sql(rusqlite::Error::SqliteFailure(e, _))
            | StoreError::Open {
                source: rusqlite::Error::SqliteFailure(e, _),
                ..
            } => Some(e.code),
            _ => None,
        }
    }

    /// Whether this error is about the database file itself (it cannot be
    /// written, is locked, full or damaged) rather than about the data.
    pub fn is_database_fault(&self) -> bool {
        use rusqlite::ErrorCode as C;
        if let StoreError::At { inner, .. } = self {
            return inner.is_database_fault();
        }
        matches!(
            self,
            StoreError::Damaged { .. } | StoreError::Foreign { .. }
        ) || matches!(
            self.sqlite_code(),
            Some(
                C::ReadOnly
                    | C::DatabaseBusy
                    | C::DatabaseLocked
                    | C::DiskFull
                    | C::DatabaseCorrupt
                    | C::NotADatabase
                    | C::SystemIoFailure
                    | C::CannotOpen
                    | C::PermissionDenied
            )
        )
    }

    /// What went wrong with the database at `db`, in words that name it and,
    /// for a full disk, its filesystem.
    pub fn describe(&self, db: &Path) -> String {
        use rusqlite::ErrorCode as C;
        if let StoreError::At { path, inner } = self {
            return inner.describe(path);
        }
        let name = db.display();
        match self.sqlite_code() {
            Some(C::DiskFull) => match health::filesystem_of(db) {
                Some(fs) => format!("database {name}: the disk is full ({fs})"),
                None => format!("database {name}: the disk is full"),
            },
            Some(C::ReadOnly) => {
                format!("database {name} cannot be written: the file or its directory is read-only")
            }
            Some(C::DatabaseBusy | C::DatabaseLocked) => {
                format!("database {name} is locked by another process (waited 30 s for it)")
            }
            Some(C::DatabaseCorrupt | C::NotADatabase) => format!(
                "database {name} is damaged or not a database: {self}\n  hint: `kensa db check` looks at it"
            ),
            _ => match self {
                StoreError::Sql(e) => format!("database {name}: {e}"),
                other => {
                    let text = other.to_string();
                    if text.contains(&name.to_string()) {
                        text
                    } else {
                        format!("database {name}: {text}")
                    }
                }
            },
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Where a store's data lives: one SQLite file (the default, for one
/// machine), or a node of a company's deployment: the team's state on a
/// PostgreSQL server, the intelligence in local copies (see [`Store::open_node`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Node {
        /// `postgres://user@host:port/dbname`.
        url: String,
        /// The directory of this node's intelligence copies.
        intel: PathBuf,
    },
}

impl Location {
    /// Whether `db` (as given to `--db`) is a PostgreSQL address.
    pub fn is_postgres_url(db: &str) -> bool {
        db.starts_with("postgres://") || db.starts_with("postgresql://")
    }

    /// Opens the store; a PostgreSQL schema older than this release's is
    /// upgraded only with [`Migrate::Upgrade`].
    #[cfg(feature = "postgres")]
    pub fn open(&self, migrate: Migrate) -> Result<Store> {
        match self {
            Location::File(path) => Store::open(path),
            Location::Node { url, intel } => Store::open_node(url, intel, migrate),
        }
    }

    /// The local path: the database file, or the intelligence directory.
    pub fn local_path(&self) -> &Path {
        match self {
            Location::File(path) => path,
            Location::Node { intel, .. } => intel,
        }
    }

    /// How messages name it (a PostgreSQL password hidden).
    pub fn shown(&self) -> String {
        match self {
            Location::File(path) => path.display().to_string(),
            #[cfg(feature = "postgres")]
            Location::Node { url, intel } => format!(
                "{} (intelligence in {})",
                pg::without_password(url),
                intel.display()
            ),
            #[cfg(not(feature = "postgres"))]
            Location::Node { intel, .. } => intel.display().to_string(),
        }
    }
}

/// An open Kensa database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Where the team's state lives when it is not in `conn`'s file.
    #[cfg(feature = "postgres")]
    team: Option<pg::PgTeam>,
    /// On a node: its copies of the intelligence, and which one `conn` reads.
    #[cfg(feature = "postgres")]
    intel_copies: Option<node::IntelCopies>,
}

/// Query plans that do not depend on bound values. Without this, SQLite
/// (built with STAT4) marks statements such as the CPE-index lookup to be
/// recompiled whenever a parameter is rebound: a scan spent a fifth of its
/// instructions re-preparing the same few statements.
fn stable_plans(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map(|_| ())
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        // A journal left by a process that died inside a write: SQLite rolls
        // it back at the first read (opening reads the schema), and the file
        // is then checked once. A journal still there after that belongs to
        // another process's transaction in progress.
        let journal_before = health::has_hot_journal(path);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let store = Self::init(conn, path.to_path_buf())?;
        if journal_before && !health::has_hot_journal(path) {
            store.ensure_sound()?;
        }
        Ok(store)
    }

    /// A second, read-only connection to this store's file, for a worker
    /// thread (a connection serves one thread at a time). `None` for an
    /// in-memory store, which no other connection can see. On a node it
    /// reads the intelligence only: the team's state is on the server.
    pub fn reader(&self) -> Result<Option<Store>> {
        if self.path.as_os_str() == ":memory:" {
            return Ok(None);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(&self.path, flags).map_err(|source| StoreError::Open {
                path: self.path.clone(),
                source,
            })?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        stable_plans(&conn)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        Ok(Some(Store {
            conn,
            path: self.path.clone(),
            #[cfg(feature = "postgres")]
            team: None,
            #[cfg(feature = "postgres")]
            intel_copies: None,
        }))
    }

    /// A private in-memory database, for tests and dry runs.
    pub fn open_in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn init(conn: Connection, path: PathBuf) -> Result<Store> {
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        // First, so that the settings below wait for a process creating or
        // writing the same file instead of failing.
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(open_err)?;
        // A rollback journal, not WAL: an import mostly appends new pages,
        // which a rollback journal writes once and WAL writes twice (log, then
        // checkpoint). Readers wait (busy timeout) while an import commits.
        conn.pragma_update(None, "journal_mode", "DELETE")
            .map_err(open_err)?;
        // Record bodies average a few KB: 16 KiB pages keep most of them in
        // one page instead of chains of overflow pages. Applies to new files.
        conn.pragma_update(None, "page_size", 16_384)
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "cache_size", -65_536)
            .map_err(open_err)?;
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(open_err)?;
        stable_plans(&conn).map_err(open_err)?;
        let mut store = Store {
            conn,
            path,
            #[cfg(feature = "postgres")]
            team: None,
            #[cfg(feature = "postgres")]
            intel_copies: None,
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version this build writes.
    pub fn schema_version() -> i64 {
        schema::MIGRATIONS.len() as i64
    }

    fn migrate(&mut self) -> Result<()> {
        let known = Self::schema_version();
        // One read transaction, so the version and the schema are read from
        // the same state: another process creating this file may commit in
        // between two separate reads, and a new schema with the old version
        // 0 looks like another application's database.
        let current = {
            let read = self.conn.transaction()?;
            let current: i64 = read.pragma_query_value(None, "user_version", |r| r.get(0))?;
            refuse_unless_kensa(&read, &self.path, current, known)?;
            current
        };
        if current == known {
            return Ok(());
        }
        // IMMEDIATE: two processes creating the same new database queue
        // here, and the second finds the schema the first wrote.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        refuse_unless_kensa(&tx, &self.path, current, known)?;
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql)?;
            // A new index over stored records is filled from their bodies.
            if i + 1 == schema::AFFECTED_NAMES_MIGRATION && current > 0 {
                write::backfill_affected_names(&tx)?;
            }
            if i + 1 == schema::SCREEN_MIGRATION && current > 0 {
                screen::backfill(&tx)?;
            }
        }
        tx.pragma_update(None, "application_id", health::APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", known)?;
        tx.commit()?;
        Ok(())
    }

    /// Starts a transactional import of one file (or one sync batch).
    pub fn import(&mut self, origin: &str, format: &str) -> Result<Import<'_>> {
        Import::begin(&mut self.conn, origin, format)
    }

    /// Runs `f` inside one read transaction: a consistent snapshot, and one
    /// lock for many queries instead of one per query.
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, E> {
        self.conn
            .execute_batch("BEGIN DEFERRED")
            .map_err(|e| E::from(StoreError::Sql(e)))?;
        let result = f(self);
        // Nothing was written: ending the transaction cannot lose data.
        let _ = self.conn.execute_batch("COMMIT");
        result
    }

    /// Reads a value set with [`Store::set_meta`] (sync cursors and the like).
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        sql::meta(&mut sql::SqliteDb(&self.conn), key)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sql::set_meta(&mut sql::SqliteDb(&self.conn), key, value)
    }
}

/// Refuses a file that is not a Kensa database (another application's
/// SQLite file) or is one from a newer Kensa.
fn refuse_unless_kensa(conn: &Connection, path: &Path, current: i64, known: i64) -> Result<()> {
    let foreign = |what| {
        Err(StoreError::Foreign {
            path: path.to_path_buf(),
            what,
        })
    };
    match health::identify(conn)? {
        health::Identity::Foreign(what) => return foreign(what),
        health::Identity::Empty if current != 0 => {
            return foreign(format!("schema version {current} and no tables"));
        }
        health::Identity::Empty | health::Identity::Kensa => {}
    }
    if current > known {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: current,
            known,
        });
    }
    Ok(())
}

/// A stable 64-bit content fingerprint, eight bytes per step (std's hasher
/// may change between Rust releases, and fingerprints are stored).
pub fn fingerprint(bytes: &[u8]) -> i64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h: u64 = 0x243f_6a88_85a3_08d3 ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(K).rotate_left(29);
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    (h ^ (h >> 32)) as i64
}

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprint_is_stable_and_sensitive() {
        // Stored fingerprints must not change between builds.
        assert_eq!(fingerprint(b"kensa"), fingerprint(b"kensa"));
        assert_ne!(fingerprint(b"kensa"), fingerprint(b"kensb"));
        assert_ne!(fingerprint(b"abcdefgh1"), fingerprint(b"abcdefgh2"));
        assert_ne!(fingerprint(b""), fingerprint(b"\0"));
    }
}
