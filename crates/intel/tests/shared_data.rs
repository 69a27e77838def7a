//! Parses every record of the staged public data sets, when they are present
//! (`../shared/data/vuln` next to the workspace). Skips otherwise.

use std::io::{BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;
use kensa_intel::{cve5, osv};

mod common;
use common::shared;

#[test]
fn all_vulnrichment_records_parse() {
    let Some(path) = shared("cisa-vulnrichment/vulnrichment-cve5.jsonl.gz") else {
        return;
    };
    let file = std::fs::File::open(&path).unwrap();
    let reader = BufReader::with_capacity(1 << 20, MultiGzDecoder::new(file));
    let (mut lines, mut records, mut ssvc, mut kev, mut rejected) = (0, 0, 0, 0, 0);
    let mut errors = Vec::new();
    for (n, line) in reader.split(b'\n').enumerate() {
        let line = line.unwrap();
        if line.is_empty() {
            continue;
        }
        lines += 1;
        match cve5::parse(&line) {
            Ok(rs) => {
                records += rs.len();
                ssvc += usize::from(rs.iter().any(|r| r.ssvc.is_some()));
                kev += usize::from(
                    rs.iter()
                        .any(|r| r.notes.iter().any(|n| n.starts_with("CISA KEV: added "))),
                );
                rejected += usize::from(rs[0].status.as_deref() == Some("REJECTED"));
            }
            Err(e) => errors.push(format!("line {}: {e}", n + 1)),
        }
    }
    eprintln!(
        "vulnrichment: {lines} CVE records -> {records} container records; \
         SSVC {ssvc}, KEV {kev}, REJECTED {rejected}, errors {}",
        errors.len()
    );
    assert!(
        errors.is_empty(),
        "{}",
        errors[..errors.len().min(20)].join("\n")
    );
    // SOURCES.md states the record and SSVC counts of this snapshot; the
    // others were counted independently of this parser.
    assert_eq!(lines, 44_130);
    assert_eq!(ssvc, 44_026);
    assert_eq!((kev, rejected), (224, 104));
}

#[test]
fn all_pypa_yaml_records_parse() {
    let Some(path) = shared("pypa-advisory-db-osv/pypa-advisory-db-osv.tar.gz") else {
        return;
    };
    let file = std::fs::File::open(&path).unwrap();
    let mut archive = tar::Archive::new(MultiGzDecoder::new(file));
    let (mut parsed, mut with_cvss, mut withdrawn) = (0, 0, 0);
    let mut errors = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        if !name.ends_with(".yaml") {
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        match osv::parse_yaml(&bytes) {
            Ok(r) => {
                parsed += 1;
                assert!(r.id.starts_with("PYSEC-"), "{name}: {}", r.id);
                assert_eq!(r.source.key(), "osv:PyPA", "{name}");
                with_cvss += usize::from(!r.cvss.is_empty());
                withdrawn += usize::from(r.status.as_deref() == Some("WITHDRAWN"));
            }
            Err(e) => errors.push(format!("{name}: {e}")),
        }
    }
    eprintln!(
        "pypa: {parsed} YAML records; with CVSS {with_cvss}, withdrawn {withdrawn}, errors {}",
        errors.len()
    );
    assert!(
        errors.is_empty(),
        "{}",
        errors[..errors.len().min(20)].join("\n")
    );
    // Counted independently of this parser in the pinned snapshot.
    assert_eq!((parsed, with_cvss, withdrawn), (2_661, 202, 10));
}
