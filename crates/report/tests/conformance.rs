//! Conformance with the OASIS CSAF 2.0 validator test corpus
//! (`csaf_2.0/test/validator/data`, its `testcases.json`): for each
//! (document, test) pair the corpus lists, the test fails on the document
//! exactly when the corpus says it should. The tests this validator does
//! not run (`NOT_RUN`: network, spell check) are counted apart.

use std::path::Path;

use kensa_report::csaf;
use serde_json::Value;

fn corpus() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/vuln/oasis-csaf/csaf_2.0/test/validator/data");
    dir.join("testcases.json").exists().then_some(dir)
}

#[test]
fn agrees_with_the_oasis_test_corpus() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: the OASIS CSAF corpus is not in ../shared");
        return;
    };
    let cases: Value =
        serde_json::from_slice(&std::fs::read(dir.join("testcases.json")).unwrap()).unwrap();
    let (mut agree, mut total, mut not_run) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for t in cases["tests"].as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        if csaf::NOT_RUN.iter().any(|(n, _)| *n == id) {
            not_run += t["failures"].as_array().map_or(0, Vec::len)
                + t["valid"].as_array().map_or(0, Vec::len);
            continue;
        }
        for (key, should_fail) in [("failures", true), ("valid", false)] {
            for case in t[key].as_array().map_or(&[][..], Vec::as_slice) {
                let name = case["name"].as_str().unwrap();
                let bytes = std::fs::read(dir.join(name)).unwrap();
                let result = csaf::validate_bytes(&bytes);
                total += 1;
                if result.failed(id) == should_fail {
                    agree += 1;
                } else {
                    let found: Vec<String> = result
                        .findings
                        .iter()
                        .filter(|f| f.test == id)
                        .map(|f| format!("{} {}", f.path, f.message))
                        .collect();
                    disagreements.push(format!(
                        "{id} {name}: expected {}, got {found:?}",
                        if should_fail { "a failure" } else { "a pass" }
                    ));
                }
            }
        }
    }
    let rate = agree as f64 / total as f64;
    eprintln!(
        "CSAF 2.0 corpus: {agree} of {total} (document, test) pairs agree ({:.1} %); {not_run} pairs of tests not run",
        rate * 100.0
    );
    for d in &disagreements {
        eprintln!("  {d}");
    }
    assert!(rate >= 0.99, "{} disagreements", disagreements.len());
}

#[test]
fn every_valid_example_of_the_corpus_passes_schema_and_mandatory_tests() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: the OASIS CSAF corpus is not in ../shared");
        return;
    };
    let examples = dir.join("../../../examples/csaf");
    let mut checked = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let v = csaf::validate_bytes(&std::fs::read(&path).unwrap());
            let errors: Vec<_> = v.errors().collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 5, "only {checked} examples");
}
