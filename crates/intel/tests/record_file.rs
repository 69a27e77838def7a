//! `parse_record`: one vulnerability's records from a file of any format.

use std::path::Path;

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel),
    )
    .unwrap()
}

#[test]
fn single_records_of_each_format() {
    let cve5 = kensa_intel::parse_record(&fixture("cve5/CVE-2024-2957.json")).unwrap();
    assert!(cve5.iter().all(|r| r.id == "CVE-2024-2957"));
    let line = fixture("nvd/sample.api2.jsonl");
    let first = line.split(|b| *b == b'\n').next().unwrap();
    let nvd = kensa_intel::parse_record(first).unwrap();
    assert_eq!(nvd.len(), 1);
    assert!(nvd[0].id.starts_with("CVE-"));
}

#[test]
fn files_that_are_not_one_record_are_refused() {
    let e = kensa_intel::parse_record(&fixture("nvd/api-page.json"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("38 vulnerabilities"), "{e}");
    let e = kensa_intel::parse_record(b"{\"hello\": 1}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected an NVD API 2.0"), "{e}");
}
