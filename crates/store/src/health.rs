//! Whether a file is a sound Kensa database: another application's SQLite
//! file is refused rather than adopted, damage is found where finding it is
//! cheap, and a write that failed (a full disk) is rolled back before the
//! command ends, not at the next open.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::{Result, Store, StoreError};

/// `PRAGMA application_id` of a Kensa database ("KNSA"), set by every
/// migration. Databases created before it existed are recognised by their
/// tables.
pub(crate) const APPLICATION_ID: i32 = 0x4b4e_5341;

/// What an opened SQLite file holds.
pub(crate) enum Identity {
    /// No schema at all: a new (or zero-length) file.
    Empty,
    Kensa,
    /// Another application's database: what it holds, for the message.
    Foreign(String),
}

/// Tables every Kensa database has had since its first schema.
const KENSA_TABLES: [&str; 3] = ["imports", "meta", "records"];

pub(crate) fn identify(conn: &Connection) -> rusqlite::Result<Identity> {
    let app_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    if app_id == APPLICATION_ID {
        return Ok(Identity::Kensa);
    }
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         ORDER BY name",
    )?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    if app_id != 0 {
        return Ok(Identity::Foreign(format!(
            "application id {app_id:#010x}, {} tables",
            tables.len()
        )));
    }
    if objects == 0 {
        return Ok(Identity::Empty);
    }
    if KENSA_TABLES
        .iter()
        .all(|t| tables.iter().any(|have| have == t))
    {
        return Ok(Identity::Kensa);
    }
    let mut shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
    if tables.len() > shown.len() {
        shown.push("…");
    }
    Ok(Identity::Foreign(if tables.is_empty() {
        format!("{objects} schema objects and no tables")
    } else {
        format!("tables {}", shown.join(", "))
    }))
}

/// The rollback journal SQLite keeps beside the database while a write
/// transaction is open (journal mode DELETE).
pub fn journal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-journal");
    PathBuf::from(name)
}

/// A journal left behind by a process that died (or failed) inside a write
/// transaction: the last shutdown was not clean.
pub(crate) fn has_hot_journal(db: &Path) -> bool {
    std::fs::metadata(journal_path(db)).is_ok_and(|m| m.len() > 0)
}

/// At most this many problems are reported by an integrity check.
const MAX_PROBLEMS: usize = 20;

/// How thoroughly [`Store::check`] looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckDepth {
    /// `PRAGMA quick_check`: every page and record is read and its structure
    /// verified; indexes are not compared with their tables. Linear in the
    /// file size.
    Quick,
    /// `PRAGMA integrity_check`: also that every index matches its table.
    Full,
}

impl Store {
    /// Checks the file's structure; returns the problems found (empty when
    /// sound), at most 20.
    pub fn check(&self, depth: CheckDepth) -> Result<Vec<String>> {
        let pragma = match depth {
            CheckDepth::Quick => "quick_check",
            CheckDepth::Full => "integrity_check",
        };
        let sql = format!("PRAGMA {pragma}({MAX_PROBLEMS})");
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect()
        };
        match run() {
            Ok(lines) if lines.len() == 1 && lines[0] == "ok" => Ok(Vec::new()),
            Ok(lines) => Ok(lines),
            // So damaged that the check itself cannot run.
            Err(e) if is_corruption(&e) => Ok(vec![e.to_string()]),
            Err(e) => Err(e.into()),
        }
    }

    /// [`Store::check`] (quick) as an error naming the database: what runs
    /// before an import writes, and at open after an unclean shutdown.
    pub fn ensure_sound(&self) -> Result<()> {
        let problems = self.check(CheckDepth::Quick)?;
        if problems.is_empty() {
            return Ok(());
        }
        Err(StoreError::Damaged {
            path: self.path.clone(),
            problems,
        })
    }

    /// [`Store::ensure_sound`], skipped when the file is exactly as Kensa
    /// left it after its last check or its own import (same size and
    /// modification time, kept beside it in `DB-checked`): checking takes
    /// about a second per 400 MB, and a file nothing else has touched
    /// since it was found sound needs no second look. Anything that
    /// changed it (another program, a disk that rewrote it, another Kensa
    /// command) is checked.
    pub fn ensure_sound_since_last_check(&self) -> Result<()> {
        if self.path.as_os_str() == ":memory:" {
            return self.ensure_sound();
        }
        let stamp = file_stamp(&self.path);
        if stamp.is_some() && std::fs::read_to_string(seal_path(&self.path)).ok() == stamp {
            return Ok(());
        }
        self.ensure_sound()?;
        self.seal();
        Ok(())
    }

    /// Notes the file as Kensa leaves it after its own write, for
    /// [`Store::ensure_sound_since_last_check`]. Best effort: a directory
    /// that cannot be written only means the next check is not skipped.
    pub fn seal(&self) {
        if let Some(stamp) = file_stamp(&self.path) {
            let _ = std::fs::write(seal_path(&self.path), stamp);
        }
    }

    /// Settles the file after a write transaction failed (a full disk, an
    /// I/O error): SQLite leaves the journal in place and the file grown
    /// until the next reader rolls it back, so read once now, in this
    /// process, to roll back and give the space back. Returns whether a
    /// journal is still there (the rollback itself failed).
    pub fn recover_after_failed_write(&self) -> bool {
        if self.path.as_os_str() == ":memory:" {
            return false;
        }
        // Any read ends the pager's error state and plays the hot journal back.
        let _ = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            });
        has_hot_journal(&self.path)
    }
}

/// Where the stamp of the last sound state is kept.
pub(crate) fn seal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-checked");
    PathBuf::from(name)
}

/// The file's size and modification time, as text.
fn file_stamp(db: &Path) -> Option<String> {
    let meta = std::fs::metadata(db).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{} {}", meta.len(), modified.as_nanos()))
}

/// Whether SQLite says the file is damaged (or is no database at all).
pub(crate) fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// The filesystem holding a file: its mount point and the bytes still
/// available there, for messages about a full disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filesystem {
    pub mount_point: PathBuf,
    pub available_bytes: Option<u64>,
}

impl std::fmt::Display for Filesystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "filesystem {}", self.mount_point.display())?;
        if let Some(n) = self.available_bytes {
            write!(f, ", {} available now", human_bytes(n))?;
        }
        Ok(())
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The filesystem `path` lives on (Linux: the longest mount point in
/// /proc/self/mounts that contains it).
pub fn filesystem_of(path: &Path) -> Option<Filesystem> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    let dir = std::fs::canonicalize(&dir).ok()?;
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let mount_point = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(unescape_mount)
        .filter(|m| dir.starts_with(m))
        .max_by_key(|m| m.as_os_str().len())
        .unwrap_or_else(|| PathBuf::from("/"));
    Some(Filesystem {
        available_bytes: available_bytes(&dir),
        mount_point,
    })
}

/// /proc/self/mounts writes spaces and the like as octal escapes (`\040`).
fn unescape_mount(field: &str) -> PathBuf {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && let Ok(v) = u8::from_str_radix(&field[i + 1..i + 4], 8)
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    PathBuf::from(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(unix)]
fn available_bytes(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(not(unix))]
fn available_bytes(_dir: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_are_unescaped_and_bytes_shown_in_units() {
        assert_eq!(
            unescape_mount("/mnt/my\\040disk"),
            PathBuf::from("/mnt/my disk")
        );
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(3 << 20), "3.0 MiB");
    }

    #[test]
    fn the_filesystem_of_a_temporary_file_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let fs = filesystem_of(&dir.path().join("k.db")).unwrap();
        assert!(
            dir.path()
                .canonicalize()
                .unwrap()
                .starts_with(&fs.mount_point)
        );
    }
}
