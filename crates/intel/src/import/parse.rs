//! The parser stage: units into model records, serialised and ready to write.

use std::sync::mpsc::{Receiver, SyncSender};

use kensa_store::PreparedVuln;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Prepared, ToParser, ToWriter, UnitFormat};
use crate::detect::Format;
use crate::error::RecordError;
use crate::{csaf, cve5, kev, mappings, nvd, osv};

pub(super) fn parse_stage(from_reader: Receiver<ToParser>, to_writer: SyncSender<ToWriter>) {
    for msg in from_reader {
        let out = match msg {
            ToParser::Fail(e) => ToWriter::Fail(e),
            ToParser::Parsed(p) => ToWriter::Parsed(p),
            ToParser::Done => ToWriter::Done,
            ToParser::Batch(batch) => ToWriter::Parsed(
                batch
                    .units
                    .into_iter()
                    .map(|u| {
                        let result = parse_unit(u.format, &batch.data[u.range]);
                        (u.location, result)
                    })
                    .collect(),
            ),
        };
        if to_writer.send(out).is_err() {
            return;
        }
    }
}

fn parse_unit(format: UnitFormat, bytes: &[u8]) -> Result<Vec<Prepared>, RecordError> {
    match format {
        UnitFormat::NvdCve => vulns([nvd::parse_cve(bytes, false)?], bytes.len()),
        UnitFormat::NvdWrapped => vulns([nvd::parse_cve(bytes, true)?], bytes.len()),
        UnitFormat::NvdOverride => vulns([nvd::parse_override(bytes)?], bytes.len()),
        UnitFormat::NvdPage => {
            let page: Page = crate::error::from_json(bytes)?;
            let recs = page
                .vulnerabilities
                .iter()
                .enumerate()
                .map(|(i, raw)| {
                    nvd::parse_cve(raw.get().as_bytes(), true).map_err(|e| in_array(e, i))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let hint = bytes.len() / recs.len().max(1);
            vulns(recs, hint)
        }
        UnitFormat::Cve5 => vulns(cve5::parse(bytes)?, bytes.len()),
        UnitFormat::OsvJson => vulns([osv::parse_json(bytes)?], bytes.len()),
        UnitFormat::OsvYaml => vulns([osv::parse_yaml(bytes)?], bytes.len()),
        UnitFormat::KevEntry => Ok(vec![Prepared::Kev(kev::parse_entry(bytes)?)]),
        UnitFormat::KevCatalog => {
            let page: Page = crate::error::from_json(bytes)?;
            page.vulnerabilities
                .iter()
                .enumerate()
                .map(|(i, raw)| {
                    kev::parse_entry(raw.get().as_bytes())
                        .map(Prepared::Kev)
                        .map_err(|e| in_array(e, i))
                })
                .collect()
        }
        UnitFormat::Csaf => Ok(vec![Prepared::Csaf(Box::new(csaf::parse(bytes)?))]),
        UnitFormat::NameMappings(format) => {
            let set = match format {
                Format::BuildrootShowInfo => mappings::parse_buildroot_show_info(bytes)?,
                Format::BuildrootPkgStats => mappings::parse_buildroot_pkg_stats(bytes)?,
                _ => mappings::parse_openembedded(bytes)?,
            };
            Ok(vec![Prepared::NameMappings(Box::new(set))])
        }
    }
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    vulnerabilities: Vec<&'a RawValue>,
}

fn in_array(mut e: RecordError, index: usize) -> RecordError {
    e.field = Some(match e.field {
        Some(f) => format!("vulnerabilities[{index}].{f}"),
        None => format!("vulnerabilities[{index}]"),
    });
    e
}

/// Prepares records for the writer; `size_hint` is the expected JSON size
/// of one record (its source text's length is close).
fn vulns(
    records: impl IntoIterator<Item = kensa_model::VulnRecord>,
    size_hint: usize,
) -> Result<Vec<Prepared>, RecordError> {
    records
        .into_iter()
        .map(|r| {
            PreparedVuln::with_size_hint(r, size_hint)
                .map(|v| Prepared::Vuln(Box::new(v)))
                .map_err(|e| RecordError::new(e.to_string()))
        })
        .collect()
}
