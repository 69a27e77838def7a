//! Historian exports as rows of tag values, streamed.
//!
//! Wide CSV (one column per tag, a timestamp column found by name or by
//! content, `,` `;` tab or `|` separated, decimal commas) and long form
//! (`time, tag, value` as CSV or JSON Lines), each plain or gzip-compressed
//! (detected by magic bytes). Memory does not grow with the number of rows:
//! a long-form file is read twice, once for its tag names.

mod long;
pub mod time;
mod value;
mod wide;

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

pub use time::{DateOrder, format_time, parse_time};
pub use value::parse_value;

use crate::Error;

/// One row of tag values. `values[i]` belongs to `columns()[i]`; a missing
/// value is NaN.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// 1-based line of the file the row ends on.
    pub line: u64,
    /// The timestamp as written (empty when the data has no time column).
    pub time_text: String,
    /// Seconds since the Unix epoch, when the timestamp could be read.
    pub time: Option<f64>,
    pub values: Vec<f64>,
}

/// Rows from one file.
pub trait RowSource {
    /// The tag columns, without the time column.
    fn columns(&self) -> &[String];
    /// Fills `record` with the next row; `false` at the end.
    fn next_row(&mut self, record: &mut Record) -> Result<bool, Error>;
    /// The file, for messages.
    fn path(&self) -> &Path;
}

/// How to read a file; defaults find everything from the content.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// The timestamp column's name (wide CSV) or key (long form).
    pub time_column: Option<String>,
    /// Day/month order for dates such as `04/07/16`; detected when `None`.
    pub date_order: Option<DateOrder>,
}

/// Opens `path` (plain or gzip) and detects its layout.
pub fn open(path: &Path, options: &ReadOptions) -> Result<Box<dyn RowSource>, Error> {
    let mut input = open_bytes(path)?;
    let head = input.fill_buf().map_err(|e| Error::io(path, e))?;
    let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match first {
        None => Err(Error::format(path, "the file is empty")),
        Some(b'{') => Ok(Box::new(long::LongSource::json_lines(path, options)?)),
        Some(_) => {
            let delimiter = sniff_delimiter(head);
            let header = wide::read_header(path, delimiter)?;
            if long::is_long_header(&header) {
                Ok(Box::new(long::LongSource::csv(
                    path, delimiter, &header, options,
                )?))
            } else {
                Ok(Box::new(wide::WideSource::new(
                    path, input, delimiter, options,
                )?))
            }
        }
    }
}

/// The file's bytes, decompressed when they start with gzip's magic.
pub(crate) fn open_bytes(path: &Path) -> Result<Box<dyn BufRead>, Error> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut magic = [0u8; 2];
    let n = read_fully(&mut file, &mut magic).map_err(|e| Error::io(path, e))?;
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(if n == 2 && magic == [0x1f, 0x8b] {
        Box::new(BufReader::with_capacity(
            1 << 20,
            MultiGzDecoder::new(BufReader::new(file)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 20, file))
    })
}

fn read_fully(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The separator of the first line: the most frequent of `,` `;` tab `|`.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| line.iter().filter(|b| *b == d).count())
        .filter(|d| line.contains(d))
        .unwrap_or(b',')
}

/// Header names that mark a timestamp column, lower-cased.
pub(crate) const TIME_NAMES: &[&str] = &[
    "time",
    "timestamp",
    "datetime",
    "date_time",
    "date time",
    "date",
    "ts",
    "t",
    "_time",
    "@timestamp",
    "time_stamp",
    "zeit",
    "zeitstempel",
    "local time",
    "utc",
];

pub(crate) fn is_time_name(name: &str) -> bool {
    let lower = name.trim().to_ascii_lowercase();
    TIME_NAMES.contains(&lower.as_str())
}

/// A sample of files' paths as given on the command line, for a model's record.
pub fn display_paths(paths: &[PathBuf]) -> Vec<String> {
    paths.iter().map(|p| p.display().to_string()).collect()
}
