//! `kensa db import`: detect, stream, parse and store, one transaction per input.
//!
//! The work runs as a three-stage pipeline so that decompression, JSON parsing
//! and SQLite writes overlap on separate cores:
//!
//! ```text
//! reader thread            parser thread                 caller's thread
//! decompress, split  --->  parse, normalise, serialise -->  write in one transaction
//! into units (lines,       (kensa-model types)            (rolls back on any error
//! array elements, files)                                   unless --keep-going)
//! ```
//!
//! Memory stays bounded by the channel depth times the batch size, whatever the
//! input size.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use kensa_model::{CsafDocument, EpssScore, KevEntry, NameMappingSet};
use kensa_store::{ImportCounts, PreparedVuln, Store};
use serde::Serialize;

mod parse;
mod read;
mod write;

use crate::detect::{self, Format, Layout};
use crate::error::{ImportError, Location, RecordError};
use crate::input::{self, CountingReader, DynRead, MAX_UNIT_BYTES};

/// How an import behaves.
#[derive(Clone, Copy)]
pub struct ImportOptions<'a> {
    /// Skip bad records (reporting each) instead of failing the file.
    pub keep_going: bool,
    /// At most this many skipped-record errors are kept per file; the rest are counted.
    pub max_reported_errors: usize,
    /// Largest line or document accepted (hostile-size guard).
    pub max_unit_bytes: usize,
    pub progress: Option<&'a dyn Progress>,
}

impl Default for ImportOptions<'_> {
    fn default() -> Self {
        ImportOptions {
            keep_going: false,
            max_reported_errors: 100,
            max_unit_bytes: MAX_UNIT_BYTES,
            progress: None,
        }
    }
}

/// Receives progress as bytes of the input file consumed.
pub trait Progress: Sync {
    fn begin(&self, label: &str, total_bytes: Option<u64>);
    fn set(&self, bytes: u64);
    fn end(&self);
}

/// What one input did to the database.
#[derive(Debug, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    /// Format ids found (`nvd-cve`, `cve5`, …); several for directories and archives.
    pub formats: Vec<&'static str>,
    pub layout: &'static str,
    pub compression: &'static str,
    pub counts: ImportCounts,
    /// Records skipped under `--keep-going`, as messages naming file, place and field.
    pub skipped: Vec<String>,
    /// Members of a directory or archive that are not in a supported format.
    pub ignored: Vec<String>,
    pub ignored_count: u64,
    pub seconds: f64,
}

/// Imports a file, a directory tree, or an archive. Each call is one
/// transaction: on error nothing of it is stored.
pub fn import_path(
    store: &mut Store,
    path: &Path,
    opts: &ImportOptions<'_>,
) -> Result<FileReport, ImportError> {
    let io_err = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    let counter = Arc::new(AtomicU64::new(0));
    let (source, compression, total) = if meta.is_dir() {
        let files = list_files(path).map_err(io_err)?;
        let total = files.iter().map(|(_, len)| len).sum();
        (
            Source::Dir(files.into_iter().map(|(p, _)| p).collect()),
            input::Compression::None,
            total,
        )
    } else {
        let file = std::fs::File::open(path).map_err(io_err)?;
        let counting = CountingReader::new(file, counter.clone());
        let (reader, compression) = input::decompress(Box::new(counting)).map_err(io_err)?;
        (Source::Stream(reader), compression, meta.len())
    };
    run(store, path, source, compression, Some(total), counter, opts)
}

/// Imports an in-memory document (a response fetched by `kensa db sync`).
pub fn import_bytes(
    store: &mut Store,
    origin: &str,
    bytes: Vec<u8>,
    opts: &ImportOptions<'_>,
) -> Result<FileReport, ImportError> {
    let path = PathBuf::from(origin);
    let total = bytes.len() as u64;
    let counter = Arc::new(AtomicU64::new(0));
    let counting = CountingReader::new(std::io::Cursor::new(bytes), counter.clone());
    let (reader, compression) =
        input::decompress(Box::new(counting)).map_err(|source| ImportError::Io {
            path: path.clone(),
            source,
        })?;
    run(
        store,
        &path,
        Source::Stream(reader),
        compression,
        Some(total),
        counter,
        opts,
    )
}

enum Source {
    Stream(DynRead),
    Dir(Vec<PathBuf>),
}

/// Regular files below `dir`, sorted for a deterministic import order.
fn list_files(dir: &Path) -> std::io::Result<Vec<(PathBuf, u64)>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let ft = entry.file_type()?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue; // .git and friends
            }
            if ft.is_dir() {
                stack.push(entry.path());
            } else if ft.is_file() {
                out.push((entry.path(), entry.metadata()?.len()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// How to parse one unit of input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitFormat {
    NvdCve,
    NvdWrapped,
    NvdPage,
    NvdOverride,
    Cve5,
    OsvJson,
    OsvYaml,
    KevEntry,
    KevCatalog,
    Csaf,
    NameMappings(Format),
}

impl UnitFormat {
    fn of(format: Format, wrapped: bool) -> Option<UnitFormat> {
        Some(match format {
            Format::NvdCve if wrapped => UnitFormat::NvdWrapped,
            Format::NvdCve => UnitFormat::NvdCve,
            Format::NvdApiPage => UnitFormat::NvdPage,
            Format::NvdOverride => UnitFormat::NvdOverride,
            Format::Cve5 => UnitFormat::Cve5,
            Format::OsvJson => UnitFormat::OsvJson,
            Format::OsvYaml => UnitFormat::OsvYaml,
            Format::KevJson => UnitFormat::KevCatalog,
            Format::Csaf => UnitFormat::Csaf,
            Format::OeCveProduct | Format::BuildrootShowInfo | Format::BuildrootPkgStats => {
                UnitFormat::NameMappings(format)
            }
            Format::KevCsv | Format::EpssCsv => return None,
        })
    }
}

/// A slice of a batch's buffer holding one record or document.
struct Unit {
    location: Location,
    format: UnitFormat,
    range: Range<usize>,
}

#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    units: Vec<Unit>,
}

const BATCH_BYTES: usize = 1 << 20;
const BATCH_UNITS: usize = 256;
const CHANNEL_DEPTH: usize = 4;

/// An item parsed and (for vulnerabilities) serialised, ready to write.
enum Prepared {
    // Boxed: a prepared record is several times larger than a KEV entry.
    Vuln(Box<PreparedVuln>),
    Kev(KevEntry),
    Epss(EpssScore),
    Csaf(Box<CsafDocument>),
    NameMappings(Box<NameMappingSet>),
}

type Parsed = (Location, Result<Vec<Prepared>, RecordError>);

enum ToParser {
    Batch(Batch),
    /// Rows the reader parsed itself (CSV); passed through.
    Parsed(Vec<Parsed>),
    Fail(ImportError),
    /// The whole input was read. Only after this may the writer commit: a
    /// channel that closes without it means a stage died part-way.
    Done,
}

enum ToWriter {
    Parsed(Vec<Parsed>),
    Fail(ImportError),
    Done,
}

/// What the reader stage learned about the input, for the report.
#[derive(Default)]
struct Seen {
    formats: Vec<&'static str>,
    layout: Option<Layout>,
    ignored: Vec<String>,
    ignored_count: u64,
}

impl Seen {
    fn format(&mut self, f: Format) {
        if !self.formats.contains(&f.id()) {
            self.formats.push(f.id());
        }
    }

    fn ignore(&mut self, name: String) {
        self.ignored_count += 1;
        if self.ignored.len() < 20 {
            self.ignored.push(name);
        }
    }
}

fn run(
    store: &mut Store,
    path: &Path,
    source: Source,
    compression: input::Compression,
    total: Option<u64>,
    counter: Arc<AtomicU64>,
    opts: &ImportOptions<'_>,
) -> Result<FileReport, ImportError> {
    let result = run_in_transaction(store, path, source, compression, total, counter, opts);
    // The transaction is gone; a failed write (a full disk) may still have
    // left the file grown and its journal behind until someone reads it.
    if result.is_err() && store.recover_after_failed_write() {
        return Err(ImportError::Store {
            path: path.to_path_buf(),
            source: kensa_store::StoreError::Conflict(format!(
                "the failed import could not be rolled back yet; its journal {} remains and \
                 is rolled back when the database is next opened",
                kensa_store::journal_path(store.path()).display()
            ))
            .at(store.path()),
        });
    }
    result
}

fn run_in_transaction(
    store: &mut Store,
    path: &Path,
    source: Source,
    compression: input::Compression,
    total: Option<u64>,
    counter: Arc<AtomicU64>,
    opts: &ImportOptions<'_>,
) -> Result<FileReport, ImportError> {
    let started = Instant::now();
    let database = store.path().to_path_buf();
    let store_err = |source: kensa_store::StoreError| ImportError::Store {
        path: path.to_path_buf(),
        source: source.at(&database),
    };
    let origin = path.display().to_string();
    if let Some(p) = opts.progress {
        p.begin(&origin, total);
    }
    let mut import = store.import(&origin, "auto").map_err(store_err)?;
    let mut skipped = Vec::new();
    let (to_parser, from_reader) = sync_channel::<ToParser>(CHANNEL_DEPTH);
    let (to_writer, from_parser) = sync_channel::<ToWriter>(CHANNEL_DEPTH);
    let dir_counter = counter.clone();
    let limit = opts.max_unit_bytes;
    let result = std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("kensa-read".into())
            .spawn_scoped(scope, move || {
                read::read_stage(path, source, &to_parser, &dir_counter, limit)
            })
            .map_err(|source| ImportError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let parser = std::thread::Builder::new()
            .name("kensa-parse".into())
            .spawn_scoped(scope, move || parse::parse_stage(from_reader, to_writer))
            .map_err(|source| ImportError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let written = write::write_stage(
            path,
            &database,
            &mut import,
            from_parser,
            opts,
            &counter,
            &mut skipped,
        );
        // Both stages end once the writer stops listening. A stage that
        // panicked fails the import (and so rolls it back).
        let crashed = |stage: &str| ImportError::Internal {
            path: path.to_path_buf(),
            message: format!("the {stage} stage crashed; nothing was stored"),
        };
        let parsed = parser.join().map_err(|_| crashed("parser"));
        let seen = reader.join().map_err(|_| crashed("reader"));
        // A crash explains a writer that saw the input end early: report it first.
        parsed?;
        let seen = seen?;
        written?;
        Ok(seen)
    });
    if let Some(p) = opts.progress {
        p.end();
    }
    let seen = result?;
    if seen.formats.is_empty() {
        return Err(ImportError::Format {
            path: path.to_path_buf(),
            message: format!(
                "no supported records found{}. Supported formats: {}",
                if seen.ignored_count > 0 {
                    format!(" ({} files in unsupported formats)", seen.ignored_count)
                } else {
                    String::new()
                },
                detect::SUPPORTED
            ),
        });
    }
    let counts = import.commit().map_err(store_err)?;
    Ok(FileReport {
        path: path.to_path_buf(),
        formats: seen.formats,
        layout: match seen.layout {
            Some(Layout::JsonLines) => "json-lines",
            Some(Layout::Document) => "document",
            None => "directory",
        },
        compression: compression.as_str(),
        counts,
        skipped,
        ignored: seen.ignored,
        ignored_count: seen.ignored_count,
        seconds: started.elapsed().as_secs_f64(),
    })
}
