//! The calculator against the base scores publishers state beside their
//! vectors: every `{vectorString, baseScore}` object in the staged public
//! data (`../shared/data/vuln/**/*.jsonl.gz`: NVD API 2.0 `cvssData`, CVE 5
//! `cvssV2_0`/`cvssV3_x`/`cvssV4_0`, CSAF `cvss_v2`/`cvss_v3`). Walks every
//! line (about 140,000 vectors, a few seconds). Skips when the data is
//! absent.
//!
//! NVD's scores must all be reproduced exactly. Other publishers (CNAs and
//! ADPs in CVE 5 records, CSAF advisories) make mistakes of their own —
//! a temporal score filed as the base score, a 3.0 calculator for a 3.1
//! vector — so their disagreements are listed and must stay rare.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use kensa_triage::cvss::{CvssVector, CvssVersion};
use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/vuln")
}

fn jsonl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            jsonl_files(&p, out);
        } else if p.to_string_lossy().ends_with(".jsonl.gz") {
            out.push(p);
        }
    }
}

/// Every object that carries both a vector string and a base score.
fn scored_vectors<'v>(v: &'v Value, out: &mut Vec<(&'v str, f64, Option<&'v str>)>) {
    match v {
        Value::Object(map) => {
            if let (Some(Value::String(vector)), Some(score)) = (
                map.get("vectorString"),
                map.get("baseScore").and_then(Value::as_f64),
            ) {
                out.push((vector, score, map.get("version").and_then(Value::as_str)));
            }
            for child in map.values() {
                scored_vectors(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| scored_vectors(i, out)),
        _ => {}
    }
}

#[derive(Default)]
struct Tally {
    /// "file vX.Y" → vectors checked
    checked: BTreeMap<String, u64>,
    /// "file vX.Y" → disagreements
    mismatched: BTreeMap<String, u64>,
    /// The publisher's "base" score is the vector's temporal score.
    temporal_as_base: u64,
    mismatches: Vec<String>,
    unparsable: Vec<String>,
}

fn check_file(path: &Path, tally: &mut Tally) {
    let file = std::fs::File::open(path).unwrap();
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let label = path
        .strip_prefix(data_dir())
        .unwrap_or(path)
        .display()
        .to_string();
    for (n, line) in reader.lines().enumerate() {
        let line = line.unwrap();
        let Ok(doc) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let mut found = Vec::new();
        scored_vectors(&doc, &mut found);
        for (vector, published, declared) in found {
            let parsed = match declared {
                Some(d) => CvssVector::parse_labelled(d, vector),
                None => CvssVector::parse(vector),
            };
            let parsed = match parsed {
                Ok(p) => p,
                Err(e) => {
                    tally
                        .unparsable
                        .push(format!("{label} line {}: {e}", n + 1));
                    continue;
                }
            };
            // v4 names its score by the metrics the vector holds (CVSS-BT when
            // it carries E): publishers' `baseScore` is the full vector's.
            let scores = parsed.scores();
            let computed = if parsed.version() == CvssVersion::V4_0 {
                scores.effective()
            } else {
                scores.base
            };
            let key = format!("{label} v{}", parsed.version());
            *tally.checked.entry(key.clone()).or_default() += 1;
            if (computed - published).abs() > 1e-9 {
                *tally.mismatched.entry(key).or_default() += 1;
                if scores.temporal == Some(published) {
                    tally.temporal_as_base += 1;
                }
                tally.mismatches.push(format!(
                    "{label} line {}: {vector}: published {published}, computed {computed}",
                    n + 1
                ));
            }
        }
    }
}

#[test]
fn computed_base_scores_equal_the_published_ones() {
    let dir = data_dir();
    let mut files = Vec::new();
    jsonl_files(&dir, &mut files);
    if files.is_empty() {
        eprintln!("SKIP: no staged data under {}", dir.display());
        return;
    }
    let mut tally = Tally::default();
    for f in &files {
        check_file(f, &mut tally);
    }
    let total: u64 = tally.checked.values().sum();
    eprintln!("checked {total} published base scores:");
    for (k, n) in &tally.checked {
        let bad = tally.mismatched.get(k).copied().unwrap_or(0);
        eprintln!("  {k}: {n} checked, {bad} differ");
    }
    for u in &tally.unparsable {
        eprintln!("unparsable: {u}");
    }
    let nvd: Vec<&String> = tally
        .mismatches
        .iter()
        .filter(|m| m.contains("nvd-api2"))
        .collect();
    for m in &nvd {
        eprintln!("NVD MISMATCH {m}");
    }
    let others = tally.mismatches.len() - nvd.len();
    eprintln!(
        "other publishers: {others} disagreements, {} of them the temporal score filed as base",
        tally.temporal_as_base
    );
    for m in tally
        .mismatches
        .iter()
        .filter(|m| !m.contains("nvd-api2"))
        .take(20)
    {
        eprintln!("  {m}");
    }

    let nvd_checked: u64 = tally
        .checked
        .iter()
        .filter(|(k, _)| k.contains("nvd-api2"))
        .map(|(_, n)| n)
        .sum();
    assert!(
        nvd_checked > 80_000,
        "too few NVD vectors found: {nvd_checked}"
    );
    assert!(
        nvd.is_empty(),
        "{} of {nvd_checked} NVD base scores differ",
        nvd.len()
    );
    let other_checked = total - nvd_checked;
    assert!(
        (others as f64) < 0.01 * other_checked as f64,
        "{others} of {other_checked} other publishers' scores differ: more than publisher error explains"
    );
}
