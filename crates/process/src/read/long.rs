//! Long form: one `time, tag, value` per line (CSV or JSON Lines), as
//! historians export report-by-exception data. Consecutive lines with the
//! same time make one row; a tag absent from a row is missing there (and
//! carried forward by the detector, since it did not change).

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use csv::{ByteRecord, ReaderBuilder};
use serde_json::Value;

use super::time::{DateOrder, detect_order, parse_time};
use super::wide::csv_error;
use super::{ReadOptions, Record, RowSource, is_time_name, open_bytes, parse_value};
use crate::Error;

const TAG_NAMES: &[&str] = &[
    "tag", "tagname", "tag_name", "name", "variable", "signal", "point", "sensor", "item", "metric",
];
const VALUE_NAMES: &[&str] = &["value", "val", "v", "reading", "pv"];

fn position(names: &[String], wanted: &[&str]) -> Option<usize> {
    names
        .iter()
        .position(|n| wanted.contains(&n.trim().to_ascii_lowercase().as_str()))
}

/// A header with a tag column, a value column and at most five columns.
pub(crate) fn is_long_header(names: &[String]) -> bool {
    names.len() <= 5
        && position(names, TAG_NAMES).is_some()
        && position(names, VALUE_NAMES).is_some()
}

/// One `time, tag, value` line.
struct Item {
    line: u64,
    time: String,
    tag: String,
    value: f64,
}

enum Items {
    Csv {
        reader: csv::Reader<Box<dyn BufRead>>,
        time: usize,
        tag: usize,
        value: usize,
        raw: ByteRecord,
    },
    Json {
        input: Box<dyn BufRead>,
        line: u64,
        keys: JsonKeys,
        buf: String,
    },
}

#[derive(Clone)]
struct JsonKeys {
    time: Option<String>,
}

impl Items {
    fn open(path: &Path, layout: &Layout) -> Result<Self, Error> {
        let input = open_bytes(path)?;
        Ok(match layout {
            Layout::Csv {
                delimiter,
                time,
                tag,
                value,
            } => {
                let mut reader = ReaderBuilder::new()
                    .delimiter(*delimiter)
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(input);
                let mut header = ByteRecord::new();
                reader
                    .read_byte_record(&mut header)
                    .map_err(|e| csv_error(path, e))?;
                Items::Csv {
                    reader,
                    time: *time,
                    tag: *tag,
                    value: *value,
                    raw: ByteRecord::new(),
                }
            }
            Layout::Json(keys) => Items::Json {
                input,
                line: 0,
                keys: keys.clone(),
                buf: String::new(),
            },
        })
    }

    fn next(&mut self, path: &Path) -> Result<Option<Item>, Error> {
        match self {
            Items::Csv {
                reader,
                time,
                tag,
                value,
                raw,
            } => {
                if !reader
                    .read_byte_record(raw)
                    .map_err(|e| csv_error(path, e))?
                {
                    return Ok(None);
                }
                let line = raw.position().map(|p| p.line()).unwrap_or(0);
                let cell = |i: usize| -> Result<String, Error> {
                    raw.get(i)
                        .map(|f| String::from_utf8_lossy(f).trim().to_string())
                        .ok_or_else(|| {
                            Error::data(
                                path,
                                line,
                                &format!("{} fields, expected at least {}", raw.len(), i + 1),
                            )
                        })
                };
                let text = cell(*value)?;
                let value = parse_value(&text).ok_or_else(|| {
                    Error::data(
                        path,
                        line,
                        &format!("cannot read value {text:?} as a number or state"),
                    )
                })?;
                Ok(Some(Item {
                    line,
                    time: cell(*time)?,
                    tag: cell(*tag)?,
                    value,
                }))
            }
            Items::Json {
                input,
                line,
                keys,
                buf,
            } => loop {
                buf.clear();
                *line += 1;
                if input.read_line(buf).map_err(|e| Error::io(path, e))? == 0 {
                    return Ok(None);
                }
                if buf.trim().is_empty() {
                    continue;
                }
                return json_item(path, *line, buf, keys).map(Some);
            },
        }
    }
}

fn json_item(path: &Path, line: u64, text: &str, keys: &JsonKeys) -> Result<Item, Error> {
    let bad = |m: &str| Error::data(path, line, m);
    let value: Value = serde_json::from_str(text).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(bad("expected a JSON object with time, tag and value"));
    };
    let find = |names: &[&str]| {
        map.iter()
            .find(|(k, _)| names.contains(&k.to_ascii_lowercase().as_str()))
            .map(|(_, v)| v)
    };
    let time = match &keys.time {
        Some(key) => map.get(key),
        None => find(super::TIME_NAMES),
    };
    let time = match time {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(bad("no time (a \"time\" or \"timestamp\" key)")),
    };
    let tag = match find(TAG_NAMES) {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(bad("no tag name (a \"tag\" key holding a string)")),
    };
    let value = match find(VALUE_NAMES) {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(Value::Null) => f64::NAN,
        Some(Value::String(s)) => parse_value(s)
            .ok_or_else(|| bad(&format!("cannot read value {s:?} as a number or state")))?,
        _ => return Err(bad("no value (a \"value\" key)")),
    };
    Ok(Item {
        line,
        time,
        tag,
        value,
    })
}

#[derive(Clone)]
enum Layout {
    Csv {
        delimiter: u8,
        time: usize,
        tag: usize,
        value: usize,
    },
    Json(JsonKeys),
}

pub(crate) struct LongSource {
    path: PathBuf,
    items: Items,
    columns: Vec<String>,
    index: HashMap<String, usize>,
    order: DateOrder,
    pending: Option<Item>,
}

impl LongSource {
    pub(crate) fn csv(
        path: &Path,
        delimiter: u8,
        header: &[String],
        options: &ReadOptions,
    ) -> Result<Self, Error> {
        let time = match &options.time_column {
            Some(name) => header.iter().position(|n| n == name),
            None => header.iter().position(|n| is_time_name(n)),
        }
        .ok_or_else(|| {
            Error::format(
                path,
                &format!(
                    "long-form data needs a time column; the header has {}",
                    header.join(", ")
                ),
            )
        })?;
        let tag = position(header, TAG_NAMES).unwrap_or_default();
        let value = position(header, VALUE_NAMES).unwrap_or_default();
        Self::new(
            path,
            Layout::Csv {
                delimiter,
                time,
                tag,
                value,
            },
            options,
        )
    }

    pub(crate) fn json_lines(path: &Path, options: &ReadOptions) -> Result<Self, Error> {
        Self::new(
            path,
            Layout::Json(JsonKeys {
                time: options.time_column.clone(),
            }),
            options,
        )
    }

    /// Reads the whole file once for its tag names (in order of first
    /// appearance) and a sample of times, then opens it again for rows.
    fn new(path: &Path, layout: Layout, options: &ReadOptions) -> Result<Self, Error> {
        let mut items = Items::open(path, &layout)?;
        let mut columns = Vec::new();
        let mut index = HashMap::new();
        let mut samples = Vec::new();
        while let Some(item) = items.next(path)? {
            if samples.len() < 500 && samples.last() != Some(&item.time) {
                samples.push(item.time.clone());
            }
            if !index.contains_key(&item.tag) {
                index.insert(item.tag.clone(), columns.len());
                columns.push(item.tag);
            }
        }
        if columns.is_empty() {
            return Err(Error::format(path, "no data lines"));
        }
        let order = options
            .date_order
            .or_else(|| detect_order(samples.iter().map(String::as_str)))
            .unwrap_or(DateOrder::Dmy);
        Ok(Self {
            path: path.to_path_buf(),
            items: Items::open(path, &layout)?,
            columns,
            index,
            order,
            pending: None,
        })
    }
}

impl RowSource for LongSource {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn next_row(&mut self, record: &mut Record) -> Result<bool, Error> {
        let first = match self.pending.take() {
            Some(item) => item,
            None => match self.items.next(&self.path)? {
                Some(item) => item,
                None => return Ok(false),
            },
        };
        record.values.clear();
        record.values.resize(self.columns.len(), f64::NAN);
        record.time = Some(parse_time(&first.time, self.order).ok_or_else(|| {
            Error::data(
                &self.path,
                first.line,
                &format!(
                    "cannot read time {:?} ({:?} date order)",
                    first.time, self.order
                ),
            )
        })?);
        record.time_text.clear();
        record.time_text.push_str(&first.time);
        let mut item = first;
        loop {
            let column = self.index.get(&item.tag).copied().ok_or_else(|| {
                Error::data(
                    &self.path,
                    item.line,
                    &format!(
                        "tag {:?} was not in the file when it was first read",
                        item.tag
                    ),
                )
            })?;
            record.values[column] = item.value;
            record.line = item.line;
            match self.items.next(&self.path)? {
                Some(next) if next.time == record.time_text => item = next,
                Some(next) => {
                    self.pending = Some(next);
                    break;
                }
                None => break,
            }
        }
        Ok(true)
    }

    fn path(&self) -> &Path {
        &self.path
    }
}
