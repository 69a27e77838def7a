//! Wide CSV: a header of tag names, one row per time.

use std::collections::VecDeque;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use csv::{ByteRecord, ReaderBuilder};

use super::time::{DateOrder, detect_order, parse_time};
use super::{ReadOptions, Record, RowSource, is_time_name, open_bytes, parse_value};
use crate::Error;

/// Rows read ahead to find the time column and its date order.
const SNIFF_ROWS: usize = 500;

pub(crate) fn read_header(path: &Path, delimiter: u8) -> Result<Vec<String>, Error> {
    let input = open_bytes(path)?;
    let mut reader = builder(delimiter).from_reader(input);
    let mut record = ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => Ok(record
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect()),
        Ok(false) => Err(Error::format(path, "the file is empty")),
        Err(e) => Err(csv_error(path, e)),
    }
}

fn builder(delimiter: u8) -> ReaderBuilder {
    let mut b = ReaderBuilder::new();
    b.delimiter(delimiter).has_headers(false).flexible(true);
    b
}

pub(crate) fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.kind() {
        csv::ErrorKind::Io(_) => Error::format(path, &e.to_string()),
        _ => Error::data(path, line, &e.to_string()),
    }
}

pub(crate) struct WideSource {
    path: PathBuf,
    reader: csv::Reader<Box<dyn BufRead>>,
    columns: Vec<String>,
    /// Index of each tag column in a CSV record.
    tag_fields: Vec<usize>,
    time_field: Option<usize>,
    order: DateOrder,
    width: usize,
    ahead: VecDeque<ByteRecord>,
    scratch: ByteRecord,
}

impl WideSource {
    pub(crate) fn new(
        path: &Path,
        input: Box<dyn BufRead>,
        delimiter: u8,
        options: &ReadOptions,
    ) -> Result<Self, Error> {
        let mut reader = builder(delimiter).from_reader(input);
        let mut header = ByteRecord::new();
        if !reader
            .read_byte_record(&mut header)
            .map_err(|e| csv_error(path, e))?
        {
            return Err(Error::format(path, "the file is empty"));
        }
        let names: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect();
        check_unique(path, &names)?;
        let mut ahead = VecDeque::new();
        for _ in 0..SNIFF_ROWS {
            let mut record = ByteRecord::new();
            if !reader
                .read_byte_record(&mut record)
                .map_err(|e| csv_error(path, e))?
            {
                break;
            }
            ahead.push_back(record);
        }
        let time_field = find_time_column(path, &names, &ahead, options)?;
        let order = match (options.date_order, time_field) {
            (Some(order), _) => order,
            (None, Some(field)) => {
                let samples: Vec<String> = ahead
                    .iter()
                    .filter_map(|r| r.get(field))
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                detect_order(samples.iter().map(String::as_str)).unwrap_or(DateOrder::Dmy)
            }
            (None, None) => DateOrder::Dmy,
        };
        let tag_fields: Vec<usize> = (0..names.len())
            .filter(|&i| Some(i) != time_field)
            .collect();
        let columns = tag_fields.iter().map(|&i| names[i].clone()).collect();
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            columns,
            tag_fields,
            time_field,
            order,
            width: names.len(),
            ahead,
            scratch: ByteRecord::new(),
        })
    }

    fn fill(&self, raw: &ByteRecord, record: &mut Record) -> Result<(), Error> {
        let line = raw.position().map(|p| p.line()).unwrap_or(0);
        record.line = line;
        if raw.len() != self.width {
            return Err(Error::data(
                &self.path,
                line,
                &format!("{} fields, but the header has {}", raw.len(), self.width),
            ));
        }
        record.time_text.clear();
        record.time = None;
        if let Some(field) = self.time_field {
            let text = String::from_utf8_lossy(&raw[field]);
            let text = text.trim();
            record.time = Some(parse_time(text, self.order).ok_or_else(|| {
                Error::data(
                    &self.path,
                    line,
                    &format!("cannot read time {text:?} ({:?} date order)", self.order),
                )
            })?);
            record.time_text.push_str(text);
        }
        record.values.clear();
        for (&field, name) in self.tag_fields.iter().zip(&self.columns) {
            let cell = String::from_utf8_lossy(&raw[field]);
            let value = parse_value(&cell).ok_or_else(|| {
                Error::data(
                    &self.path,
                    line,
                    &format!(
                        "column {name}: cannot read {:?} as a number or state",
                        cell.trim()
                    ),
                )
            })?;
            record.values.push(value);
        }
        Ok(())
    }
}

impl RowSource for WideSource {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn next_row(&mut self, record: &mut Record) -> Result<bool, Error> {
        if let Some(raw) = self.ahead.pop_front() {
            self.fill(&raw, record)?;
            return Ok(true);
        }
        let mut raw = std::mem::take(&mut self.scratch);
        let more = self
            .reader
            .read_byte_record(&mut raw)
            .map_err(|e| csv_error(&self.path, e))?;
        if more {
            self.fill(&raw, record)?;
        }
        self.scratch = raw;
        Ok(more)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

fn check_unique(path: &Path, names: &[String]) -> Result<(), Error> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if name.is_empty() {
            return Err(Error::data(path, 1, "a header column has no name"));
        }
        if !seen.insert(name) {
            return Err(Error::data(
                path,
                1,
                &format!("column {name} appears twice in the header"),
            ));
        }
    }
    Ok(())
}

/// The time column: the one named by the user, else one with a time-like
/// name, else the first whose cells all read as dates.
fn find_time_column(
    path: &Path,
    names: &[String],
    ahead: &VecDeque<ByteRecord>,
    options: &ReadOptions,
) -> Result<Option<usize>, Error> {
    if let Some(wanted) = &options.time_column {
        return names
            .iter()
            .position(|n| n == wanted)
            .map(Some)
            .ok_or_else(|| {
                Error::format(
                    path,
                    &format!(
                        "no column named {wanted:?}; the header has {}",
                        names.join(", ")
                    ),
                )
            });
    }
    if let Some(i) = names.iter().position(|n| is_time_name(n)) {
        return Ok(Some(i));
    }
    Ok((0..names.len()).find(|&i| column_reads_as_dates(ahead, i)))
}

fn column_reads_as_dates(ahead: &VecDeque<ByteRecord>, field: usize) -> bool {
    let cells: Vec<String> = ahead
        .iter()
        .filter_map(|r| r.get(field))
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    // Bare numbers are values, not times, unless the header says so.
    !cells.is_empty()
        && cells.iter().all(|c| c.parse::<f64>().is_err())
        && detect_order(cells.iter().map(String::as_str)).is_some()
}
