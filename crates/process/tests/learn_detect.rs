//! Learning on a slice of BATADAL's normal data and detecting an attack in a
//! slice of its attack data (fixtures: see tests/fixtures/README.md).

use std::path::{Path, PathBuf};

use kensa_process::model::TagKind;
use kensa_process::read::{self, ReadOptions, Record};
use kensa_process::{Detector, LearnOptions, Model, RowResult, learn};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn learned() -> Model {
    learn(&[fixture("batadal-normal.csv")], &LearnOptions::default())
        .unwrap()
        .model
}

fn detect(model: &Model, path: &Path) -> Vec<(RowResult, f64)> {
    let mut source = read::open(path, &ReadOptions::default()).unwrap();
    let label = source.columns().iter().position(|c| c == "ATT_FLAG");
    let mut detector = Detector::new(model);
    detector.start_source(source.columns(), "fixture").unwrap();
    let mut record = Record::default();
    let mut out = Vec::new();
    while source.next_row(&mut record).unwrap() {
        let flag = label.map(|l| record.values[l]).unwrap_or(0.0);
        out.push((detector.process(&record), flag));
    }
    out
}

#[test]
fn learns_tag_kinds_and_leaves_the_label_column_out() {
    let learned = learn(&[fixture("batadal-normal.csv")], &LearnOptions::default()).unwrap();
    let model = learned.model;
    let kind = |name: &str| model.tags.iter().find(|t| t.name == name).map(|t| t.kind);
    assert_eq!(kind("L_T1"), Some(TagKind::Continuous));
    assert_eq!(kind("S_PU2"), Some(TagKind::State));
    assert_eq!(kind("S_PU3"), Some(TagKind::Constant));
    assert_eq!(kind("ATT_FLAG"), None);
    assert_eq!(model.excluded, ["ATT_FLAG"]);
    assert!(learned.notes.iter().any(|n| n.contains("ATT_FLAG")));
    assert!(model.threshold > 0.0);
    assert!(!model.params.regressions.is_empty());
    // PU2's flow depends on whether PU2 runs: a gated regression.
    let f_pu2 = model
        .channels
        .iter()
        .position(|c| !c.rate && model.tags[c.tag].name == "F_PU2")
        .unwrap();
    let regression = model
        .params
        .regressions
        .iter()
        .find(|r| r.target == f_pu2)
        .unwrap();
    assert_eq!(
        regression.gate.map(|g| model.tags[g].name.as_str()),
        Some("S_PU2")
    );
}

#[test]
fn learning_is_deterministic() {
    let a = serde_json::to_string(&learned()).unwrap();
    let b = serde_json::to_string(&learned()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn finds_the_attack_and_explains_it_in_words() {
    let model = learned();
    let results = detect(&model, &fixture("batadal-attack.csv"));
    assert_eq!(results.len(), 121);
    assert!(
        results
            .iter()
            .enumerate()
            .all(|(i, (r, _))| r.row == i as u64 + 1)
    );
    let in_attack = results.iter().filter(|(_, flag)| *flag > 0.0);
    let alarmed = in_attack.clone().filter(|(r, _)| r.alarm).count();
    assert!(
        alarmed * 2 > in_attack.count(),
        "most attack rows alarm ({alarmed})"
    );
    let first = results
        .iter()
        .find(|(r, flag)| r.alarm && *flag > 0.0)
        .map(|(r, _)| r)
        .unwrap();
    assert!(!first.tags.is_empty() && first.tags.len() <= 3);
    assert!(!first.explanation.is_empty());
    assert!(
        first.evidence["checks"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    for (r, _) in &results {
        if !r.alarm {
            assert!(r.tags.is_empty() && r.explanation.is_empty());
        }
    }
}

#[test]
fn normal_data_raises_few_alarms() {
    let model = learned();
    let results = detect(&model, &fixture("batadal-normal.csv"));
    let alarms = results.iter().filter(|(r, _)| r.alarm).count();
    assert!(alarms <= 8, "{alarms} alarms on the data learned from");
}

#[test]
fn a_pump_that_should_never_run_alarms_with_its_name() {
    let model = learned();
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("batadal-normal.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().take(61).map(String::from).collect();
    // Row 60: pump PU3, off throughout normal operation, reported running.
    let header: Vec<&str> = lines[0].split(',').collect();
    let s_pu3 = header.iter().position(|h| *h == "S_PU3").unwrap();
    let mut cells: Vec<String> = lines[60].split(',').map(String::from).collect();
    cells[s_pu3] = "1".into();
    lines[60] = cells.join(",");
    let path = dir.path().join("tampered.csv");
    std::fs::write(&path, lines.join("\n")).unwrap();
    let results = detect(&model, &path);
    let row = &results[59].0;
    assert!(row.alarm);
    assert_eq!(row.tags.first().map(String::as_str), Some("S_PU3"));
    assert!(row.explanation.contains("always 0"), "{}", row.explanation);
}

/// The normal fixture's first `rows` data rows with pump PU3 (off
/// throughout normal operation) reported running in data row `tampered`.
fn with_pu3_running(dir: &Path, rows: usize, tampered: usize) -> PathBuf {
    let text = std::fs::read_to_string(fixture("batadal-normal.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().take(rows + 1).map(String::from).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let s_pu3 = header.iter().position(|h| *h == "S_PU3").unwrap();
    let mut cells: Vec<String> = lines[tampered].split(',').map(String::from).collect();
    cells[s_pu3] = "1".into();
    lines[tampered] = cells.join(",");
    let path = dir.join("tampered.csv");
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

#[test]
fn a_clear_finding_holds_the_alarm_up_for_the_learned_hold_then_releases() {
    let mut model = learned();
    assert_eq!(model.hold_rows, 6);
    let dir = tempfile::tempdir().unwrap();
    let path = with_pu3_running(dir.path(), 120, 60);
    let untampered = detect(&model, &fixture("batadal-normal.csv"));
    assert!(
        untampered[59..75].iter().all(|(r, _)| !r.alarm),
        "the untampered rows around it are quiet"
    );
    let results = detect(&model, &path);
    assert!(results[59].0.alarm);
    for (age, (row, _)) in results[60..66].iter().enumerate() {
        let age = age + 1;
        assert!(row.alarm, "held {age} rows after the broken rule");
        assert!(row.score < 1.0, "held rows keep their own score");
        assert_eq!(row.tags.first().map(String::as_str), Some("S_PU3"));
        let ago = format!("{age} row{} ago: S_PU3", if age == 1 { "" } else { "s" });
        assert!(row.explanation.starts_with(&ago), "{}", row.explanation);
        assert_eq!(row.evidence["checks"][0]["rows_ago"], age);
    }
    assert!(
        results[66..].iter().all(|(r, _)| !r.alarm),
        "released after the hold"
    );
    // Without a hold only the row itself alarms.
    model.hold_rows = 0;
    let results = detect(&model, &path);
    let alarmed: Vec<u64> = results
        .iter()
        .filter(|(r, _)| r.alarm)
        .map(|(r, _)| r.row)
        .collect();
    assert_eq!(alarmed, [60]);
}

#[test]
fn held_findings_are_at_most_the_hold_old() {
    let model = learned();
    let results = detect(&model, &fixture("batadal-attack.csv"));
    let mut held = 0;
    for (r, _) in results.iter().filter(|(r, _)| r.alarm) {
        let ages: Vec<u64> = r.evidence["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["rows_ago"].as_u64())
            .collect();
        held += usize::from(!ages.is_empty());
        assert!(
            ages.iter()
                .all(|&a| a >= 1 && a <= u64::from(model.hold_rows)),
            "row {}: {:?}",
            r.row,
            r.evidence
        );
        // A row under the threshold alarms only while something holds it.
        assert!(r.score >= 1.0 || !ages.is_empty(), "row {}", r.row);
    }
    assert!(held > 0, "no finding of the attack slice was held");
}

#[test]
fn a_model_naming_an_absent_tag_is_refused() {
    let model = learned();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("few.csv");
    std::fs::write(&path, "time,L_T1\n2024-01-01T00:00:00Z,1\n").unwrap();
    let source = read::open(&path, &ReadOptions::default()).unwrap();
    let e = Detector::new(&model)
        .start_source(source.columns(), "few.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("L_T2") && e.contains("few.csv"), "{e}");
}

#[test]
fn counters_are_told_from_levels_and_checked_by_their_increase() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("counter.csv");
    let mut text = String::from("time,energy_kwh,level,mode\n");
    let mut energy = 0.0;
    for i in 0..400u32 {
        // A meter that resets once, a level that wanders, a constant mode.
        energy = if i == 200 {
            0.0
        } else {
            energy + 2.0 + f64::from(i % 3) * 0.1
        };
        let level = 3.0 + (f64::from(i) / 10.0).sin();
        text.push_str(
            &format!("2024-01-01T00:00:00Z,{energy:.1},{level:.3},7\n").replacen(
                "00:00:00",
                &format!("{:02}:{:02}:00", i / 60, i % 60),
                1,
            ),
        );
    }
    std::fs::write(&path, &text).unwrap();
    let model = learn(std::slice::from_ref(&path), &LearnOptions::default())
        .unwrap()
        .model;
    let kind = |name: &str| model.tags.iter().find(|t| t.name == name).map(|t| t.kind);
    assert_eq!(kind("energy_kwh"), Some(TagKind::Counter));
    assert_eq!(kind("level"), Some(TagKind::Continuous));
    assert_eq!(kind("mode"), Some(TagKind::Constant));
    let counter = model.tags.iter().find(|t| t.name == "energy_kwh").unwrap();
    assert!(
        (counter.mean - 2.1).abs() < 0.1,
        "checked by its increase per row: {}",
        counter.mean
    );
    // The same data again raises no alarm at the reset.
    let results = detect(&model, &path);
    assert!(!results[200].0.alarm);
}
