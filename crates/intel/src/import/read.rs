//! The reader stage: decompress, detect, and split the input into units.

use std::io::{BufRead, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{
    BATCH_BYTES, BATCH_UNITS, Batch, Parsed, Prepared, Seen, Source, ToParser, Unit, UnitFormat,
};
use crate::detect::{self, Format, Layout};
use crate::error::{ImportError, Location, RecordError};
use crate::{epss, input, kev};

/// Splits the input into units. Failures travel down the pipeline in order.
pub(super) fn read_stage(
    path: &Path,
    source: Source,
    out: &SyncSender<ToParser>,
    bytes: &AtomicU64,
    limit: usize,
) -> Seen {
    let mut seen = Seen::default();
    let mut batcher = Batcher {
        out,
        limit,
        batch: Batch::default(),
        parsed: Vec::new(),
    };
    let result = match source {
        Source::Stream(reader) => read_stream(path, reader, &mut batcher, &mut seen, true),
        Source::Dir(files) => read_dir(path, files, &mut batcher, &mut seen, bytes),
    };
    let result = result.and_then(|()| batcher.flush());
    match result {
        Ok(()) => {
            let _ = out.send(ToParser::Done);
        }
        Err(Stop::Failed(e)) => {
            let _ = out.send(ToParser::Fail(e));
        }
        Err(Stop::Closed) => {}
    }
    seen
}

/// Why the reader stopped early.
enum Stop {
    /// The input is bad: report it.
    Failed(ImportError),
    /// The writer hung up (it failed first): just stop.
    Closed,
}

impl From<ImportError> for Stop {
    fn from(e: ImportError) -> Self {
        Stop::Failed(e)
    }
}

struct Batcher<'a> {
    out: &'a SyncSender<ToParser>,
    /// Largest unit accepted.
    limit: usize,
    batch: Batch,
    parsed: Vec<Parsed>,
}

impl Batcher<'_> {
    fn push(&mut self, location: Location, format: UnitFormat, bytes: &[u8]) -> Result<(), Stop> {
        let start = self.batch.data.len();
        self.batch.data.extend_from_slice(bytes);
        self.push_range(location, format, start..self.batch.data.len())
    }

    /// Registers bytes the caller already appended to `batch.data`.
    fn push_range(
        &mut self,
        location: Location,
        format: UnitFormat,
        range: Range<usize>,
    ) -> Result<(), Stop> {
        self.batch.units.push(Unit {
            location,
            format,
            range,
        });
        if self.batch.data.len() >= BATCH_BYTES || self.batch.units.len() >= BATCH_UNITS {
            self.flush()?;
        }
        Ok(())
    }

    /// Queues a row the reader parsed itself (CSV feeds).
    fn push_parsed(
        &mut self,
        location: Location,
        row: Result<Vec<Prepared>, RecordError>,
    ) -> Result<(), Stop> {
        self.parsed.push((location, row));
        if self.parsed.len() >= 4 * BATCH_UNITS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Stop> {
        if !self.batch.units.is_empty() {
            let batch = std::mem::take(&mut self.batch);
            self.out
                .send(ToParser::Batch(batch))
                .map_err(|_| Stop::Closed)?;
        }
        if !self.parsed.is_empty() {
            let parsed = std::mem::take(&mut self.parsed);
            self.out
                .send(ToParser::Parsed(parsed))
                .map_err(|_| Stop::Closed)?;
        }
        Ok(())
    }
}

fn io_stop(path: &Path) -> impl Fn(std::io::Error) -> Stop + '_ {
    move |source| {
        Stop::Failed(ImportError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

fn record_stop(path: &Path, location: Location, error: RecordError) -> Stop {
    Stop::Failed(ImportError::Record {
        path: path.to_path_buf(),
        location,
        error: Box::new(error),
    })
}

/// One file or stream: an archive, JSON Lines, a JSON document, CSV or YAML.
/// `top` is false for members of a directory, which may be of no supported
/// format (README, LICENSE) and are then listed as ignored.
fn read_stream<'r>(
    path: &Path,
    reader: Box<dyn BufRead + 'r>,
    batcher: &mut Batcher<'_>,
    seen: &mut Seen,
    top: bool,
) -> Result<(), Stop> {
    let mut reader = reader;
    let mut head = input::peek(&mut reader, 512).map_err(io_stop(path))?;
    // Windows tools start text with a UTF-8 byte-order mark.
    if head.starts_with(BOM) {
        head.drain(..BOM.len());
    }
    if head.len() >= 262 && &head[257..262] == b"ustar" {
        let reader = std::io::Cursor::new(head).chain(reader);
        return read_tar(path, reader, batcher, seen);
    }
    let mut reader: Box<dyn BufRead + 'r> = Box::new(std::io::BufReader::new(
        std::io::Cursor::new(head).chain(reader),
    ));
    let (line_buf, line) = input::first_line(&mut reader, batcher.limit).map_err(io_stop(path))?;
    let first = &line_buf[line.clone()];
    if first.len() > batcher.limit {
        return Err(record_stop(
            path,
            Location::Line(1),
            too_large("line", batcher.limit),
        ));
    }
    let is_json = matches!(first.first(), Some(b'{' | b'['));
    let one_line_json = is_json && serde_json::from_slice::<IgnoredAny>(first).is_ok();
    let detected = if one_line_json {
        detect::detect_json(first).map(|(f, w)| (f, w, Layout::JsonLines))
    } else {
        // Multi-line document: look further in for its keys.
        let mut prefix = line_buf.clone();
        reader
            .by_ref()
            .take(1 << 20)
            .read_to_end(&mut prefix)
            .map_err(io_stop(path))?;
        let detected = if is_json {
            detect::detect_json(&prefix).map(|(f, w)| (f, w, Layout::Document))
        } else {
            detect::detect_text(&prefix).map(|f| (f, false, Layout::Document))
        };
        let rest = std::mem::replace(&mut reader, Box::new(std::io::empty()));
        reader = Box::new(std::io::BufReader::new(
            std::io::Cursor::new(prefix).chain(rest),
        ));
        detected
    };
    let Some((format, wrapped, layout)) = detected else {
        if !top {
            let shape = Shape {
                blank: first.is_empty(),
                json: is_json,
                one_line_json,
            };
            // A damaged member of a mirror (a half-finished download) fails
            // the import like a bad record: --keep-going skips it.
            if let Some(damage) = damage(path, shape, reader, batcher.limit) {
                let location = Location::Member(path.display().to_string());
                return batcher.push_parsed(location, Err(RecordError::new(damage)));
            }
            seen.ignore(path.display().to_string());
            return Ok(());
        }
        return Err(Stop::Failed(ImportError::Format {
            path: path.to_path_buf(),
            message: format!(
                "not a supported vulnerability-intelligence format. Supported formats: {}",
                detect::SUPPORTED
            ),
        }));
    };
    seen.format(format);
    seen.layout.get_or_insert(layout);
    let reader: Box<dyn BufRead + 'r> = if one_line_json {
        Box::new(std::io::BufReader::new(
            std::io::Cursor::new(line_buf).chain(reader),
        ))
    } else {
        reader
    };
    let member = (!top).then(|| path.display().to_string());
    match (format, layout) {
        (Format::KevCsv | Format::EpssCsv, _) => read_csv(path, format, reader, batcher),
        (_, Layout::JsonLines) => {
            let unit = UnitFormat::of(format, wrapped).expect("JSON formats have a unit");
            read_lines(path, member, unit, reader, batcher)
        }
        (Format::NvdApiPage, Layout::Document) => {
            read_array(path, reader, UnitFormat::NvdWrapped, batcher)
        }
        (Format::KevJson, Layout::Document) => {
            read_array(path, reader, UnitFormat::KevEntry, batcher)
        }
        (_, Layout::Document) => {
            let unit = UnitFormat::of(format, wrapped).expect("JSON and YAML formats have a unit");
            let location = member.map_or(Location::File, Location::Member);
            read_document(path, location, unit, reader, batcher)
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the start of a member in no recognised format looked like.
#[derive(Clone, Copy)]
struct Shape {
    /// Nothing but blank lines.
    blank: bool,
    /// Starts like JSON.
    json: bool,
    /// Its first line is a whole JSON value.
    one_line_json: bool,
}

/// Why a member in no recognised format is damaged rather than merely
/// something else (a README, a licence, an index such as cvelistV5's
/// `delta.json`): it is empty though named as data, or is JSON or YAML
/// that does not parse. `None` for a member to ignore.
fn damage(path: &Path, shape: Shape, reader: impl Read, limit: usize) -> Option<String> {
    let data_file = data_extension(path);
    if shape.blank {
        return data_file.then(|| {
            "the file is empty: a data file with no records (an interrupted download?)".into()
        });
    }
    let yaml = matches!(extension(path).as_deref(), Some("yaml" | "yml"));
    if shape.one_line_json || !(shape.json || yaml) {
        return None;
    }
    let mut whole = Vec::new();
    if reader
        .take(limit as u64 + 1)
        .read_to_end(&mut whole)
        .is_err()
        || whole.len() > limit
    {
        return None;
    }
    if shape.json {
        let e = serde_json::from_slice::<IgnoredAny>(&whole).err()?;
        return Some(format!(
            "{} (a damaged or partly downloaded file?)",
            json_doc_error(&e).message
        ));
    }
    let e = serde_norway::from_slice::<serde_norway::Value>(&whole).err()?;
    Some(format!("invalid YAML: {}", e))
}

/// The extension, lower-case, looking through a compression suffix.
fn extension(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = ["gz", "xz", "zst", "zstd"]
        .iter()
        .find_map(|c| name.strip_suffix(&format!(".{c}")))
        .unwrap_or(&name);
    Some(name.rsplit_once('.')?.1.to_string())
}

/// Named like a file of records.
fn data_extension(path: &Path) -> bool {
    matches!(
        extension(path).as_deref(),
        Some("json" | "jsonl" | "ndjson" | "yaml" | "yml" | "csv")
    )
}

fn too_large(what: &str, limit: usize) -> RecordError {
    RecordError::new(format!(
        "{what} is larger than the limit of {limit} bytes ({} MiB); refusing to load it",
        limit >> 20
    ))
}

/// JSON Lines: one unit per non-blank line.
fn read_lines(
    path: &Path,
    member: Option<String>,
    format: UnitFormat,
    mut reader: impl BufRead,
    batcher: &mut Batcher<'_>,
) -> Result<(), Stop> {
    let mut line_no = 0u64;
    loop {
        let start = batcher.batch.data.len();
        let n = reader
            .by_ref()
            .take(batcher.limit as u64 + 1)
            .read_until(b'\n', &mut batcher.batch.data)
            .map_err(io_stop(path))?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        let data = &batcher.batch.data;
        let mut end = data.len();
        while end > start && data[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        let location = match &member {
            Some(m) => Location::MemberLine(m.clone(), line_no),
            None => Location::Line(line_no),
        };
        if n > batcher.limit {
            return Err(record_stop(
                path,
                location,
                too_large("line", batcher.limit),
            ));
        }
        if end == start {
            batcher.batch.data.truncate(start);
            continue;
        }
        batcher.push_range(location, format, start..end)?;
    }
}

/// A single document, loaded whole (bounded).
fn read_document(
    path: &Path,
    location: Location,
    format: UnitFormat,
    reader: impl Read,
    batcher: &mut Batcher<'_>,
) -> Result<(), Stop> {
    let mut doc = Vec::new();
    reader
        .take(batcher.limit as u64 + 1)
        .read_to_end(&mut doc)
        .map_err(io_stop(path))?;
    if doc.len() > batcher.limit {
        return Err(record_stop(
            path,
            location,
            too_large("document", batcher.limit),
        ));
    }
    batcher.push(location, format, &doc)
}

/// A document whose `vulnerabilities` array is streamed element by element
/// (NVD API pages and yearly feeds, the KEV catalog), so a feed of any size
/// is read in constant memory.
fn read_array(
    path: &Path,
    reader: impl Read,
    element: UnitFormat,
    batcher: &mut Batcher<'_>,
) -> Result<(), Stop> {
    let mut stop = None;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let seed = TopLevel {
        key: "vulnerabilities",
        on_element: &mut |index, raw: &RawValue| {
            batcher
                .push(Location::Entry(index), element, raw.get().as_bytes())
                .map_err(|s| stop = Some(s))
        },
    };
    let parsed = seed.deserialize(&mut de).and_then(|()| de.end());
    if let Some(s) = stop {
        return Err(s);
    }
    parsed.map_err(|e| record_stop(path, Location::File, json_doc_error(&e)))
}

fn json_doc_error(e: &serde_json::Error) -> RecordError {
    let what = match e.classify() {
        serde_json::error::Category::Eof => "truncated JSON",
        serde_json::error::Category::Syntax => "invalid JSON",
        _ => "unexpected JSON",
    };
    RecordError::new(format!("{what}: {e}"))
}

/// Visits the top-level object, handing each element of the array under
/// `key` to `on_element` and skipping every other member.
struct TopLevel<'f> {
    key: &'static str,
    on_element: &'f mut dyn FnMut(u64, &RawValue) -> Result<(), ()>,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "an object with a `{}` array", self.key)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if k == self.key {
                map.next_value_seed(Elements(&mut *self.on_element))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Elements<'a, 'f>(&'a mut (dyn FnMut(u64, &RawValue) -> Result<(), ()> + 'f));

impl<'de> DeserializeSeed<'de> for Elements<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(raw) = seq.next_element::<Box<RawValue>>()? {
            if (self.0)(index, &raw).is_err() {
                return Err(serde::de::Error::custom("import stopped"));
            }
            index += 1;
        }
        Ok(())
    }
}

/// CSV feeds are parsed on the reader thread: rows are tiny and the csv
/// reader already streams.
fn read_csv(
    path: &Path,
    format: Format,
    reader: impl BufRead,
    batcher: &mut Batcher<'_>,
) -> Result<(), Stop> {
    let header_err = |e| record_stop(path, Location::Line(1), e);
    match format {
        Format::KevCsv => {
            for (line, row) in kev::csv_rows(reader).map_err(header_err)? {
                batcher.push_parsed(Location::Line(line), row.map(|e| vec![Prepared::Kev(e)]))?;
            }
        }
        Format::EpssCsv => {
            for (line, row) in epss::csv_rows(reader).map_err(header_err)? {
                batcher.push_parsed(Location::Line(line), row.map(|e| vec![Prepared::Epss(e)]))?;
            }
        }
        _ => unreachable!("read_csv is only called for CSV formats"),
    }
    Ok(())
}

/// A tar archive (OSV exports): every regular member is a document.
fn read_tar(
    path: &Path,
    reader: impl Read,
    batcher: &mut Batcher<'_>,
    seen: &mut Seen,
) -> Result<(), Stop> {
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().map_err(io_stop(path))? {
        let entry = entry.map_err(io_stop(path))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "<unnamed member>".into());
        let member_path = path.join(&name);
        let reader = Box::new(std::io::BufReader::new(entry));
        read_member(&member_path, reader, batcher, seen)?;
    }
    Ok(())
}

fn read_dir(
    root: &Path,
    files: Vec<PathBuf>,
    batcher: &mut Batcher<'_>,
    seen: &mut Seen,
    bytes: &AtomicU64,
) -> Result<(), Stop> {
    for file in files {
        let f = std::fs::File::open(&file).map_err(io_stop(&file))?;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let (reader, _) = input::decompress(Box::new(f)).map_err(io_stop(&file))?;
        let shown = file.strip_prefix(root).unwrap_or(&file);
        read_member(&root.join(shown), reader, batcher, seen)?;
        bytes.fetch_add(len, Ordering::Relaxed);
    }
    Ok(())
}

/// A member of a directory or archive. Members in unsupported formats are
/// listed as ignored rather than failing the import.
fn read_member(
    path: &Path,
    reader: Box<dyn BufRead + '_>,
    batcher: &mut Batcher<'_>,
    seen: &mut Seen,
) -> Result<(), Stop> {
    read_stream(path, reader, batcher, seen, false)
}
