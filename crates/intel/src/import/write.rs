//! The writer stage: everything into one transaction.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;

use kensa_store::IntelSink;

use super::{ImportOptions, Prepared, ToWriter};
use crate::error::ImportError;

pub(super) fn write_stage(
    path: &Path,
    database: &Path,
    sink: &mut dyn IntelSink,
    from_parser: Receiver<ToWriter>,
    opts: &ImportOptions<'_>,
    counter: &AtomicU64,
    skipped: &mut Vec<String>,
) -> Result<(), ImportError> {
    for msg in from_parser {
        let parsed = match msg {
            ToWriter::Fail(e) => return Err(e),
            ToWriter::Done => return Ok(()),
            ToWriter::Parsed(p) => p,
        };
        for (location, result) in parsed {
            match result {
                Ok(items) => write_items(path, database, sink, items)?,
                Err(error) => {
                    let e = ImportError::Record {
                        path: path.to_path_buf(),
                        location,
                        error: Box::new(error),
                    };
                    if !opts.keep_going {
                        return Err(e);
                    }
                    sink.skipped();
                    if skipped.len() < opts.max_reported_errors {
                        skipped.push(e.to_string());
                    }
                }
            }
        }
        if let Some(p) = opts.progress {
            p.set(counter.load(Ordering::Relaxed));
        }
    }
    // The channel closed without `Done`: a stage died part-way. Never commit
    // a partial input.
    Err(ImportError::Internal {
        path: path.to_path_buf(),
        message: "the import pipeline stopped before the end of the input; nothing was stored"
            .into(),
    })
}

fn write_items(
    path: &Path,
    database: &Path,
    sink: &mut dyn IntelSink,
    items: Vec<Prepared>,
) -> Result<(), ImportError> {
    let store_err = |source: kensa_store::StoreError| ImportError::Store {
        path: path.to_path_buf(),
        source: source.at(database),
    };
    for item in items {
        match item {
            Prepared::Vuln(v) => sink.put_vuln(*v),
            Prepared::Kev(k) => sink.put_kev(&k),
            Prepared::Epss(s) => sink.put_epss(&s),
            Prepared::Csaf(d) => sink.put_csaf(&d),
            Prepared::NameMappings(m) => sink.put_name_mappings(&m),
        }
        .map_err(store_err)?;
    }
    Ok(())
}
