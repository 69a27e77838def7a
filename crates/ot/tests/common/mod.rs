//! Helpers shared by the integration tests: locating the shared peer data,
//! decoding a capture into JSON events, and reading Zeek logs.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use kensa_ot::{PipelineConfig, Stats, decode_capture};
use serde_json::Value;

/// `../shared/data/ot` from the repository root, if present.
pub fn ot_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ot");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: shared OT data not found at {}", dir.display());
        None
    }
}

pub struct Decoded {
    pub events: Vec<Value>,
    pub stats: Stats,
}

/// Decodes a capture; each event as the JSON object `kensa ot decode` writes.
pub fn decode(path: &Path) -> Decoded {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut events = Vec::new();
    let stats = decode_capture(BufReader::new(file), PipelineConfig::default(), &mut |e| {
        events.push(serde_json::to_value(e).expect("event serialises"));
    })
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Decoded { events, stats }
}

/// The data rows of a Zeek ASCII log, split on tabs.
pub fn zeek_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// Records (as field lists) both sides agree on, as a multiset: each
/// expected record must be matched by one of ours with every field equal.
/// Returns (agreeing, compared) where compared is the larger side's size,
/// and prints the first few disagreements of each side.
pub fn agreement(
    label: &str,
    expected: Vec<Vec<String>>,
    ours: Vec<Vec<String>>,
) -> (usize, usize) {
    let mut pool: BTreeMap<Vec<String>, isize> = BTreeMap::new();
    for r in &ours {
        *pool.entry(r.clone()).or_default() += 1;
    }
    let mut matched = 0;
    let mut missing = Vec::new();
    for r in &expected {
        match pool.get_mut(r) {
            Some(n) if *n > 0 => {
                *n -= 1;
                matched += 1;
            }
            _ => missing.push(r.clone()),
        }
    }
    let extra: Vec<_> = pool
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(r, n)| (r.clone(), *n))
        .collect();
    let compared = expected.len().max(ours.len());
    eprintln!(
        "{label}: {matched}/{compared} records agree (peer {}, kensa {})",
        expected.len(),
        ours.len()
    );
    for r in missing.iter().take(5) {
        eprintln!("  peer only:  {r:?}");
    }
    for (r, n) in extra.iter().take(5) {
        eprintln!("  kensa only: {r:?} x{n}");
    }
    (matched, compared)
}

pub fn assert_agrees(label: &str, (matched, compared): (usize, usize), min: f64) {
    assert!(compared > 0, "{label}: nothing to compare");
    let ratio = matched as f64 / compared as f64;
    assert!(
        ratio >= min,
        "{label}: {matched}/{compared} = {:.2}% agree, need {:.0}%",
        ratio * 100.0,
        min * 100.0
    );
}

pub fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

pub fn hex(v: &Value, width: usize) -> String {
    v.as_u64()
        .map_or("-".to_string(), |n| format!("0x{n:0width$x}"))
}

pub fn of<'a>(events: &'a [Value], protocol: &str) -> impl Iterator<Item = &'a Value> {
    events
        .iter()
        .filter(move |e| e["protocol"] == protocol && e.get(protocol).is_some())
}
