//! Applicability against the matching-dev truth, with name resolution taken
//! out of the picture: each truth component's canonical CPE vendor:product
//! pairs and upstream version are given, and every NVD 2002-2016 record is
//! evaluated. What remains is the version and update logic alone, which must
//! reproduce the truth's CVE sets exactly. Skips without ../shared.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;

use kensa_matching::{Target, evaluate};
use kensa_model::Configuration;
use serde::Deserialize;

#[derive(Deserialize)]
struct TruthEntry {
    name: String,
    /// None when NVD has no CPE for the software (no CVE expected).
    match_version: Option<String>,
    canonical: Vec<String>,
    cves: BTreeSet<String>,
}

#[derive(Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    configurations: Vec<Configuration>,
}

#[test]
fn version_logic_reproduces_the_truth_exactly() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let truth_path = shared.join("eval/matching-dev/dev-truth.json");
    let nvd = shared.join("data/vuln/nvd-api2-2002-2016/nvd-cve-2002-2016.api2.jsonl.gz");
    if !truth_path.exists() || !nvd.exists() {
        eprintln!(
            "skipped: {} or {} is absent",
            truth_path.display(),
            nvd.display()
        );
        return;
    }
    let truth: BTreeMap<String, TruthEntry> =
        serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();
    let mut found: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let file = std::fs::File::open(&nvd).unwrap();
    for line in BufReader::new(flate2::read::MultiGzDecoder::new(file)).lines() {
        let line = line.unwrap();
        let rec: Record = serde_json::from_str(&line).unwrap();
        for (bom_ref, entry) in &truth {
            let Some(version) = &entry.match_version else {
                continue;
            };
            for pair in &entry.canonical {
                let (vendor, product) = pair.split_once(':').unwrap();
                let target = Target {
                    vendor,
                    product,
                    version,
                };
                if !evaluate(&rec.configurations, &target).is_empty() {
                    found.entry(bom_ref).or_default().insert(rec.id.clone());
                }
            }
        }
    }
    let mut report = Vec::new();
    for (bom_ref, entry) in &truth {
        let got = found.remove(bom_ref.as_str()).unwrap_or_default();
        let missing: Vec<_> = entry.cves.difference(&got).collect();
        let extra: Vec<_> = got.difference(&entry.cves).collect();
        if !missing.is_empty() || !extra.is_empty() {
            report.push(format!(
                "{} {:?}: missing {missing:?}, extra {extra:?}",
                entry.name, entry.match_version
            ));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}
