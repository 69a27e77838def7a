//! EPSS parsing against hand-written files in FIRST's published format.

use std::path::Path;

use kensa_intel::RecordError;
use kensa_intel::epss::csv_rows;
use kensa_model::EpssScore;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/epss")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rows(bytes: &[u8]) -> Vec<(u64, Result<EpssScore, RecordError>)> {
    match csv_rows(bytes) {
        Ok(rows) => rows.collect(),
        Err(e) => panic!("{e}"),
    }
}

fn scores(bytes: &[u8]) -> Vec<(u64, EpssScore)> {
    rows(bytes)
        .into_iter()
        .map(|(line, r)| (line, r.unwrap_or_else(|e| panic!("line {line}: {e}"))))
        .collect()
}

#[test]
fn comment_line_metadata_is_attached_to_every_score() {
    let scores = scores(&fixture("epss_scores-2025-11-20.csv"));
    assert_eq!(scores.len(), 6);
    let lines: Vec<u64> = scores.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7, 8]);
    for (_, s) in &scores {
        assert_eq!(s.model_version.as_deref(), Some("v2025.03.14"));
        assert_eq!(s.score_date.as_deref(), Some("2025-11-20"));
    }
    let log4shell = &scores[2].1;
    assert_eq!(log4shell.cve_id, "CVE-2021-44228");
    assert_eq!(log4shell.epss, 0.94358);
    assert_eq!(log4shell.percentile, 0.99957);
}

#[test]
fn files_without_comment_line_carry_no_metadata() {
    let scores = scores(&fixture("epss_scores-2022-01-01.csv"));
    assert_eq!(scores.len(), 2);
    assert_eq!(scores[0].0, 2);
    let (_, s) = &scores[1];
    assert_eq!(s.cve_id, "CVE-2021-44228");
    assert_eq!(s.percentile, 1.0);
    assert_eq!(s.model_version, None);
    assert_eq!(s.score_date, None);
}

#[test]
fn bad_rows_name_column_and_value_and_fail_alone() {
    let rows = rows(&fixture("epss_scores-bad-rows.csv"));
    let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7]);
    assert!(rows[0].1.is_ok());
    assert!(rows[4].1.is_ok());

    let expect = [
        (1, "epss", "1.5", Some("CVE-2024-0002")),
        (2, "percentile", "high", Some("CVE-2024-0003")),
        (3, "cve", "CVE-24-0004", None),
    ];
    for (i, field, value, record) in expect {
        let e = rows[i].1.as_ref().unwrap_err();
        assert_eq!(e.field.as_deref(), Some(field), "{e}");
        assert!(e.message.contains(value), "{e}");
        assert_eq!(e.record.as_deref(), record, "{e}");
    }
}

#[test]
fn crlf_line_endings_are_accepted() {
    let text = String::from_utf8(fixture("epss_scores-2025-11-20.csv")).unwrap();
    let crlf = text.replace('\n', "\r\n");
    let scores = scores(crlf.as_bytes());
    assert_eq!(scores.len(), 6);
    assert_eq!(scores[0].1.model_version.as_deref(), Some("v2025.03.14"));
    assert_eq!(scores[5].1.cve_id, "CVE-2025-48384");
}

#[test]
fn bad_header_or_comment_fails_up_front() {
    let e =
        csv_rows(&b"#model_version:v2025.03.14,score_date:2025-11-20T12:55:00Z\ncve,epss\n"[..])
            .err()
            .expect("no percentile column");
    assert_eq!(e.field.as_deref(), Some("percentile"), "{e}");

    let e =
        csv_rows(&b"#model_version:v2025.03.14,score_date:yesterday\ncve,epss,percentile\n"[..])
            .err()
            .expect("bad score date");
    assert_eq!(e.field.as_deref(), Some("score_date"), "{e}");

    let e = csv_rows(&b""[..]).err().expect("empty file");
    assert_eq!(e.field.as_deref(), Some("cve"), "{e}");
}
