//! A node of a company's deployment: the team's state on PostgreSQL, the
//! vulnerability intelligence in a local copy (see docs/ARCHITECTURE.md,
//! "Several nodes").
//!
//! The node that imports or syncs publishes its intelligence through the
//! same PostgreSQL database: a consistent snapshot (`VACUUM INTO`), LZ4
//! chunks and a SHA-256 digest, committed in one transaction, so a
//! publication is either all there or not at all. Every node keeps its
//! copies as numbered files in its intelligence directory
//! (`intel-000000000042.db`) and picks up a newer publication by
//! downloading it beside the others, checking its digest and size, and
//! renaming it into place. A file is never changed after it is renamed:
//! connections still reading an older one finish on it, new connections
//! open the newest, so no node ever reads a half-imported state.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::sql::{self, Db};
use crate::{Migrate, Result, Store, StoreError};

/// A snapshot is cut into pieces of this size before compression: large
/// enough for few round trips, small enough to hold a few in memory.
const CHUNK: usize = 8 << 20;

/// Publications kept in the database: nodes still downloading an older
/// one finish it while a newer one is being written.
const KEPT: i64 = 3;

/// The node's intelligence directory and which publication its store reads.
#[derive(Debug, Clone)]
pub(crate) struct IntelCopies {
    dir: PathBuf,
    generation: i64,
}

/// A publication as the database lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Publication {
    pub generation: i64,
    /// The newest import the snapshot holds.
    pub import_id: i64,
    pub bytes: u64,
    pub published_by: String,
    pub published_at: String,
}

impl Store {
    /// Opens a node: the newest local copy of the intelligence in
    /// `intel_dir` (an empty one on a node's first start), the team's
    /// state at `url`, then a newer publication if one exists.
    pub fn open_node(url: &str, intel_dir: &Path, migrate: Migrate) -> Result<Store> {
        // The server first: a wrong address creates nothing locally.
        let team = crate::pg::PgTeam::connect(url, migrate)?;
        std::fs::create_dir_all(intel_dir).map_err(|source| StoreError::CreateDir {
            path: intel_dir.to_path_buf(),
            source,
        })?;
        let generation = newest_copy(intel_dir)?.unwrap_or(0);
        let mut store = Store::open(&copy_path(intel_dir, generation))?;
        store.team = Some(team);
        store.intel_copies = Some(IntelCopies {
            dir: intel_dir.to_path_buf(),
            generation,
        });
        store.pick_up_intel()?;
        Ok(store)
    }

    /// The publication this node's intelligence is (0: its own copy, never
    /// published); `None` for a store that is not a node.
    pub fn intel_generation(&self) -> Option<i64> {
        self.intel_copies.as_ref().map(|c| c.generation)
    }

    /// The newest complete publication, if any.
    pub fn latest_publication(&self) -> Result<Option<Publication>> {
        self.team_conn(|db| {
            db.query_opt(
                "SELECT generation, import_id, bytes, published_by, published_at
                 FROM intel_publications WHERE sha256 IS NOT NULL
                 ORDER BY generation DESC LIMIT 1",
                &[],
            )?
            .map(|r| {
                Ok(Publication {
                    generation: r.get(0)?,
                    import_id: r.get(1)?,
                    bytes: r.get::<i64>(2)? as u64,
                    published_by: r.get(3)?,
                    published_at: r.get(4)?,
                })
            })
            .transpose()
        })
    }

    /// Switches to a newer publication when there is one, downloading it
    /// first if no local copy holds it. Returns the generation switched to.
    pub fn pick_up_intel(&mut self) -> Result<Option<i64>> {
        let Some(copies) = self.intel_copies.clone() else {
            return Ok(None);
        };
        let Some(latest) = self.latest_publication()? else {
            return Ok(None);
        };
        if latest.generation <= copies.generation {
            return Ok(None);
        }
        let target = copy_path(&copies.dir, latest.generation);
        if !target.exists() {
            self.download(&latest, &copies.dir)?;
        }
        self.switch_to(latest.generation)?;
        Ok(Some(latest.generation))
    }

    /// Publishes this node's intelligence for every node (after an import
    /// or a sync) and switches to the published copy. Returns its
    /// generation; `NotFound` on a store that is not a node.
    pub fn publish_intel(&mut self, by: &str) -> Result<i64> {
        let Some(copies) = self.intel_copies.clone() else {
            return Err(StoreError::NotFound(
                "this database is not a node of a PostgreSQL deployment: nothing to publish to"
                    .into(),
            ));
        };
        let import_id = self.latest_import()?;
        let snapshot = copies
            .dir
            .join(format!("publishing-{}.part", std::process::id()));
        let _ = std::fs::remove_file(&snapshot);
        let cleanup = Removed(&snapshot);
        // A consistent copy: an import committing meanwhile waits for it.
        self.conn
            .execute("VACUUM INTO ?1", [snapshot.to_string_lossy().as_ref()])?;
        let based_on = copies.generation;
        let published = self.team_transaction(|db| upload(db, &snapshot, import_id, by, based_on));
        let generation = match published {
            Err(StoreError::Conflict(message)) => {
                // This copy is behind: what it adds would drop what the other
                // node published. Take theirs; the import must run again on it.
                drop(cleanup);
                self.pick_up_intel()?;
                return Err(StoreError::Conflict(message));
            }
            other => other?,
        };
        let target = copy_path(&copies.dir, generation);
        std::fs::rename(&snapshot, &target).map_err(|e| io_error(&target, e))?;
        drop(cleanup);
        self.switch_to(generation)?;
        Ok(generation)
    }

    /// Downloads a publication into `dir` under its final name.
    fn download(&self, publication: &Publication, dir: &Path) -> Result<()> {
        let generation = publication.generation;
        let part = dir.join(format!(
            "intel-{generation:012}.{}.part",
            std::process::id()
        ));
        let cleanup = Removed(&part);
        let file = File::create(&part).map_err(|e| io_error(&part, e))?;
        let mut out = BufWriter::new(file);
        let mut digest = Sha256::new();
        let mut written = 0u64;
        let (chunks, expected): (i64, String) = self.team_conn(|db| {
            let r = db
                .query_opt(
                    "SELECT chunks, sha256 FROM intel_publications WHERE generation = ?1",
                    &[&generation],
                )?
                .ok_or_else(|| replaced(generation))?;
            Ok((r.get(0)?, r.get(1)?))
        })?;
        for seq in 0..chunks {
            let blob: Vec<u8> = self
                .team_conn(|db| {
                    sql::first(
                        db,
                        "SELECT data FROM intel_chunks WHERE generation = ?1 AND seq = ?2",
                        &[&generation, &seq],
                    )
                })?
                .ok_or_else(|| replaced(generation))?;
            let bytes = lz4_flex::block::decompress_size_prepended(&blob).map_err(|e| {
                StoreError::Corrupt {
                    what: format!("intelligence publication {generation}, chunk {seq}"),
                    message: e.to_string(),
                }
            })?;
            digest.update(&bytes);
            written += bytes.len() as u64;
            out.write_all(&bytes).map_err(|e| io_error(&part, e))?;
        }
        let file = out
            .into_inner()
            .map_err(|e| io_error(&part, e.into_error()))?;
        let actual = hex(&digest.finalize());
        if actual != expected || written != publication.bytes {
            return Err(StoreError::Corrupt {
                what: format!("intelligence publication {generation}"),
                message: format!(
                    "downloaded {written} bytes with SHA-256 {actual}; the publication has {} bytes with {expected}",
                    publication.bytes
                ),
            });
        }
        file.sync_all().map_err(|e| io_error(&part, e))?;
        let target = copy_path(dir, generation);
        std::fs::rename(&part, &target).map_err(|e| io_error(&target, e))?;
        drop(cleanup);
        Ok(())
    }

    /// Reads the copy of `generation` from now on; older copies are
    /// removed (a connection still reading one keeps its open file).
    fn switch_to(&mut self, generation: i64) -> Result<()> {
        let Some(copies) = self.intel_copies.as_mut() else {
            return Ok(());
        };
        let path = copy_path(&copies.dir, generation);
        let fresh = Store::open(&path)?;
        self.conn = fresh.conn;
        self.path = fresh.path;
        copies.generation = generation;
        for (older, file) in copies_in(&copies.dir)? {
            if older < generation {
                let _ = std::fs::remove_file(&file);
                let _ = std::fs::remove_file(crate::health::journal_path(&file));
                let _ = std::fs::remove_file(crate::health::seal_path(&file));
            }
        }
        Ok(())
    }
}

/// Uploads the snapshot at `path` as a new publication, in `db`'s
/// transaction; drops publications older than the last [`KEPT`].
fn upload(db: &mut dyn Db, path: &Path, import_id: i64, by: &str, based_on: i64) -> Result<i64> {
    // Publishers queue here: generations commit in the order they are numbered.
    db.query("SELECT pg_advisory_xact_lock(4875312002)", &[])?;
    let newest: Option<i64> = sql::one(db, "SELECT max(generation) FROM intel_publications", &[])?;
    if let Some(newest) = newest.filter(|&n| n > based_on) {
        return Err(StoreError::Conflict(format!(
            "another node published intelligence (publication {newest}) after this node's copy \
             (publication {based_on}) was taken; this node now reads publication {newest}: \
             run the import or sync again"
        )));
    }
    let generation: i64 = sql::one(
        db,
        "INSERT INTO intel_publications (import_id, bytes, chunks, published_by, published_at)
         VALUES (?1, 0, 0, ?2, ?3) RETURNING generation",
        &[&import_id, &by, &crate::write::now()],
    )?;
    let mut file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut digest = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let (mut seq, mut bytes) = (0i64, 0i64);
    loop {
        let n = read_full(&mut file, &mut buf).map_err(|e| io_error(path, e))?;
        if n == 0 {
            break;
        }
        digest.update(&buf[..n]);
        let chunk = lz4_flex::block::compress_prepend_size(&buf[..n]);
        db.execute(
            "INSERT INTO intel_chunks (generation, seq, data) VALUES (?1, ?2, ?3)",
            &[&generation, &seq, &chunk],
        )?;
        seq += 1;
        bytes += n as i64;
    }
    db.execute(
        "UPDATE intel_publications SET bytes = ?2, chunks = ?3, sha256 = ?4 WHERE generation = ?1",
        &[&generation, &bytes, &seq, &hex(&digest.finalize())],
    )?;
    db.execute(
        "DELETE FROM intel_chunks WHERE generation <= ?1",
        &[&(generation - KEPT)],
    )?;
    db.execute(
        "DELETE FROM intel_publications WHERE generation <= ?1",
        &[&(generation - KEPT)],
    )?;
    Ok(generation)
}

fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn copy_path(dir: &Path, generation: i64) -> PathBuf {
    dir.join(format!("intel-{generation:012}.db"))
}

/// The copies in `dir` by generation (files named as [`copy_path`] names them).
fn copies_in(dir: &Path) -> Result<Vec<(i64, PathBuf)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let generation = name
            .to_str()
            .and_then(|n| n.strip_prefix("intel-"))
            .and_then(|n| n.strip_suffix(".db"))
            .and_then(|n| n.parse::<i64>().ok());
        if let Some(generation) = generation {
            out.push((generation, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

fn newest_copy(dir: &Path) -> Result<Option<i64>> {
    Ok(copies_in(dir)?.last().map(|(g, _)| *g))
}

fn replaced(generation: i64) -> StoreError {
    StoreError::NotFound(format!(
        "intelligence publication {generation} was replaced while it was read; try again"
    ))
}

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Removes a temporary file when dropped, unless it was renamed away.
struct Removed<'a>(&'a Path);

impl Drop for Removed<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
    }
}
