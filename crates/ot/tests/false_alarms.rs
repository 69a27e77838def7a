//! False alarms on normal shared captures, the way `bench/ot-eval.sh`
//! measures them: learn the first half of a capture, check the second half.
//! Each test pins down one cause of false alarms that was fixed (see
//! docs/OT-DETECTION.md, "Where the false alarms came from"), so
//! that it fails if the fix breaks. Skipped with a message when
//! ../shared/data/ot is absent.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use kensa_ot::baseline::{FrameWindow, learn_capture};
use kensa_ot::capture::CaptureReader;
use kensa_ot::detect::{Alert, detect_capture};

fn ot_data(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/ot")
        .join(rel);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("SKIP: shared OT capture not found at {}", p.display());
        None
    }
}

fn open(p: &Path) -> BufReader<File> {
    BufReader::new(File::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

/// The alerts of the second half against a baseline of the first half
/// (`--split first-half` / `--split second-half`).
fn second_half_alerts(p: &Path) -> Vec<Alert> {
    let mut reader = CaptureReader::new(open(p)).unwrap();
    let mut n = 0u64;
    while let Ok(Some(_)) = reader.next_packet() {
        n += 1;
    }
    let mid = n / 2 + 1;
    let b = learn_capture("first half", open(p), FrameWindow { from: 1, to: mid }).unwrap();
    let checked = FrameWindow {
        from: mid,
        to: u64::MAX,
    };
    detect_capture(&b, open(p), checked).unwrap().alerts
}

fn of_rule<'a>(alerts: &'a [Alert], rule: &str) -> Vec<&'a Alert> {
    alerts.iter().filter(|a| a.rule == rule).collect()
}

/// IEC 104 keep-alives (TESTFR act/con after t3 idle seconds) first seen
/// in the second half are not new operations.
#[test]
fn iec104_keep_alives_are_not_new_operations() {
    let Some(p) = ot_data("ITI-ICS-Security-Tools/pcaps/IEC60870-5-104/JavaRMI_and_IEC_Misc.pcap")
    else {
        return;
    };
    let alerts = second_half_alerts(&p);
    assert!(alerts.is_empty(), "{alerts:#?}");
}

/// New parameter activations are raised once each; the outstation's
/// confirmations echo them and its S-format acknowledgements are transport.
#[test]
fn iec104_confirmations_and_acks_do_not_repeat_a_new_command() {
    let Some(p) = ot_data("EmreEkin-ICS-Pcaps/IEC60870-104/104deneme2.pcap") else {
        return;
    };
    let alerts = second_half_alerts(&p);
    let ops: Vec<&str> = of_rule(&alerts, "new_operation")
        .iter()
        .map(|a| a.evidence["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        [
            "req type=110 cot=6",
            "req type=111 cot=6",
            "req type=112 cot=6"
        ],
        "{alerts:#?}"
    );
    // The new activations name their addresses; no second alert says so.
    let first = of_rule(&alerts, "new_operation")[0];
    assert_eq!(first.evidence["addresses"][0]["space"], "ca 1");
    assert!(of_rule(&alerts, "address_range").is_empty(), "{alerts:#?}");
    assert_eq!(alerts.len(), 3, "{alerts:#?}");
}

/// A SCADA master polling 13 PLCs (85 s): counters run on, an extra
/// on-demand poll is no timing anomaly, and what did change (.46 came back
/// with other register contents and was read in 24 new windows) is one
/// alert each.
#[test]
fn modbus_polling_counters_extra_polls_and_one_changed_device() {
    let Some(p) = ot_data("ITI-ICS-Security-Tools/pcaps/ModbusTCP/ModbusTCP.pcap") else {
        return;
    };
    let alerts = second_half_alerts(&p);
    assert!(of_rule(&alerts, "timing").is_empty(), "{alerts:#?}");
    let values = of_rule(&alerts, "value_range");
    // Totalisers of .24 and .26 rise past their learned maximum: no alert.
    assert!(
        values
            .iter()
            .all(|a| !["141.81.0.24", "141.81.0.26"].contains(&a.src.as_str())),
        "{values:#?}"
    );
    let changed: Vec<&&Alert> = values.iter().filter(|a| a.src == "141.81.0.46").collect();
    assert_eq!(changed.len(), 1, "{values:#?}");
    assert_eq!(changed[0].evidence["also_count"], 8);
    let reads = of_rule(&alerts, "address_range");
    assert_eq!(reads.len(), 1, "{reads:#?}");
    assert_eq!(reads[0].dst, "141.81.0.46");
    assert_eq!(reads[0].count, 24);
    assert_eq!(alerts.len(), 4, "{alerts:#?}");
}
