//! `kensa ot decode` as a user runs it: JSON Lines keys, the JSON document,
//! the summary, statistics on stderr, and errors that name the file.

use std::path::Path;
use std::process::{Command, Output};

fn kensa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kensa"))
        .args(args)
        .env_remove("KENSA_DB")
        .output()
        .expect("kensa runs")
}

fn synth(dir: &Path) -> String {
    let path = dir.join("synth.pcap");
    let path = path.to_str().unwrap().to_string();
    let o = kensa(&[
        "-q",
        "ot",
        "synth",
        &path,
        "--megabytes",
        "1",
        "--sessions",
        "4",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    path
}

#[test]
fn decode_writes_one_json_object_per_pdu_with_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let capture = synth(dir.path());
    let o = kensa(&["ot", "decode", &capture, "--format", "jsonl"]);
    assert!(o.status.success());
    let stdout = String::from_utf8(o.stdout).unwrap();
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(events.len() > 1000);
    for e in &events {
        for key in [
            "frame", "ts", "src_ip", "src_port", "dst_ip", "dst_port", "protocol",
        ] {
            assert!(e.get(key).is_some(), "{key} missing in {e}");
        }
        let protocol = e["protocol"].as_str().unwrap();
        assert!(e.get(protocol).is_some(), "no {protocol} object in {e}");
    }
    let modbus = events.iter().find(|e| e["protocol"] == "modbus").unwrap();
    for key in [
        "transaction_id",
        "unit_id",
        "function_code",
        "exception_code",
        "is_response",
    ] {
        assert!(modbus["modbus"].get(key).is_some(), "modbus.{key} missing");
    }
    let dnp3 = events.iter().find(|e| e["protocol"] == "dnp3").unwrap();
    for key in ["src", "dst", "function_code", "objects"] {
        assert!(dnp3["dnp3"].get(key).is_some(), "dnp3.{key} missing");
    }
    // Statistics go to stderr.
    assert!(String::from_utf8_lossy(&o.stderr).contains("application PDUs"));

    let o = kensa(&["-q", "ot", "decode", &capture, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["events"].as_array().unwrap().len(), events.len());
    assert_eq!(
        doc["stats"]["pdus"]["modbus"].as_u64().unwrap()
            + doc["stats"]["pdus"]["dnp3"].as_u64().unwrap(),
        events.len() as u64
    );
    assert!(o.stderr.is_empty(), "--quiet keeps stderr empty");

    let o = kensa(&["ot", "decode", &capture, "--format", "summary"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("dnp3"));
}

#[test]
fn decode_rejects_non_captures_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "not a capture").unwrap();
    let o = kensa(&["ot", "decode", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("notes.txt") && err.contains("not a pcap or pcapng"),
        "{err}"
    );
    let o = kensa(&["ot", "decode", "/nonexistent/x.pcap"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/x.pcap"));
}
