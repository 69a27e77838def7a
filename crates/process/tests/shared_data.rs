//! The full BATADAL and Tennessee Eastman data from ../shared, when present:
//! the figures docs/PROCESS-DETECTION.md reports, held to a floor.

use std::path::{Path, PathBuf};

use kensa_process::evaluate::{Truth, Verdicts, measure};
use kensa_process::read::{self, ReadOptions, Record};
use kensa_process::{Detector, LearnOptions, learn};

fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ot/batadal");
    if dir.join("dataset03.csv").exists() && dir.join("dataset04.csv").exists() {
        Some(dir)
    } else {
        eprintln!("skipped: ../shared/data/ot/batadal is absent");
        None
    }
}

#[test]
fn batadal_dataset04_attacks_are_found_with_few_false_alarms() {
    let Some(dir) = shared() else { return };
    let model = learn(&[dir.join("dataset03.csv")], &LearnOptions::default())
        .unwrap()
        .model;
    let mut source = read::open(&dir.join("dataset04.csv"), &ReadOptions::default()).unwrap();
    let label = source
        .columns()
        .iter()
        .position(|c| c == "ATT_FLAG")
        .unwrap();
    let mut detector = Detector::new(&model);
    detector
        .start_source(source.columns(), "dataset04.csv")
        .unwrap();
    let (mut labels, mut alarms, mut times) = (Vec::new(), Vec::new(), Vec::new());
    let mut record = Record::default();
    while source.next_row(&mut record).unwrap() {
        let result = detector.process(&record);
        labels.push(record.values[label] > 0.0);
        alarms.push(result.alarm);
        times.push(result.time);
    }
    let truth = Truth {
        labels: &labels,
        times: &times,
        step_seconds: model.step_seconds,
        attacked_tags: None,
    };
    let m = measure(
        "kensa",
        &truth,
        &Verdicts {
            alarms: &alarms,
            tags: &|_| Vec::new(),
        },
    );
    assert_eq!(model.step_seconds, Some(3600.0));
    assert_eq!((m.attacks, m.attacks_detected), (7, 7));
    assert!(m.batadal.s >= 0.93, "S = {}", m.batadal.s);
    assert!(m.point.f1 >= 0.8, "F1 = {}", m.point.f1);
    assert!(
        m.false_alarm_episodes <= 20,
        "{} false-alarm episodes",
        m.false_alarm_episodes
    );
}
