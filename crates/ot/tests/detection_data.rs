//! Inventory, baselines and detection on the shared public captures
//! (skipped with a message when ../shared/data/ot is absent).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use kensa_ot::baseline::{Baseline, FrameWindow, learn_capture};
use kensa_ot::detect::{Severity, detect_capture};
use kensa_ot::inventory::{Inventory, InventoryBuilder, Role, firmware_cpe};

fn ot_data() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/ot");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: shared OT data not found at {}", dir.display());
        None
    }
}

fn open(p: &Path) -> BufReader<File> {
    BufReader::new(File::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

fn inventory(paths: &[PathBuf]) -> Inventory {
    let mut b = InventoryBuilder::default();
    for p in paths {
        b.add_capture(&p.display().to_string(), open(p)).unwrap();
    }
    b.finish()
}

fn learn(paths: &[PathBuf]) -> Baseline {
    let parts = paths
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            learn_capture(&name, open(p), FrameWindow::default()).unwrap()
        })
        .collect();
    Baseline::merge_all(parts)
}

#[test]
fn inventory_reads_cip_s7_and_modbus_identity() {
    let Some(d) = ot_data() else { return };
    let inv = inventory(&[
        d.join("ITI-ICS-Security-Tools/pcaps/openics/EIP-FirmwareChange.pcap"),
        d.join("gymgit-s7-pcaps/tia_s300_goOnline.pcapng"),
        d.join("icsnpp-modbus/testing/traces/modbus_example.pcap"),
    ]);
    let dev = |ip: &str| {
        inv.devices
            .iter()
            .find(|x| x.ip == ip)
            .unwrap_or_else(|| panic!("{ip} in {:#?}", inv.devices))
    };

    let plc = dev("192.168.10.120");
    assert_eq!(plc.mac_vendor, Some("Rockwell Automation (Allen-Bradley)"));
    assert!(plc.roles.contains(&Role::Controller));
    let cip = &plc.identity[0];
    assert_eq!(cip.source, "cip-identity");
    assert_eq!(cip.vendor_id, Some(1));
    assert_eq!(cip.product_name.as_deref(), Some("1756-ENBT/A"));
    assert_eq!(cip.revision.as_deref(), Some("4.003"));
    // The workstation reset the PLC (CIP Reset): an engineering workstation.
    assert!(
        dev("192.168.10.105")
            .roles
            .contains(&Role::EngineeringWorkstation)
    );

    let s7 = dev("134.217.61.211");
    assert_eq!(s7.mac_vendor, Some("Siemens"));
    let szl = &s7.identity[0];
    assert_eq!(szl.order_number.as_deref(), Some("6ES7 315-2EH14-0AB0"));
    assert_eq!(szl.revision.as_deref(), Some("3.2.7"));
    assert_eq!(szl.product_name.as_deref(), Some("CPU 315-2 PN/DP"));
    assert_eq!(
        firmware_cpe(szl).as_deref(),
        Some("cpe:2.3:o:siemens:simatic_s7-300_cpu_firmware:3.2.7:*:*:*:*:*:*:*")
    );

    let mb = inv
        .devices
        .iter()
        .flat_map(|d| &d.identity)
        .find(|i| i.source == "modbus-mei")
        .expect("a Modbus device identification reply");
    assert_eq!(mb.vendor.as_deref(), Some("Zeek Modbus Test"));
    assert_eq!(mb.revision.as_deref(), Some("1.2.3.6"));

    let bom = inv.to_cyclonedx();
    let comps = bom["components"].as_array().unwrap();
    assert_eq!(comps.len(), inv.devices.len());
    let s7c = comps
        .iter()
        .find(|c| c["bom-ref"] == "device:134.217.61.211")
        .unwrap();
    assert_eq!(s7c["type"], "device");
    assert_eq!(s7c["components"][0]["type"], "firmware");
    assert_eq!(s7c["components"][0]["version"], "3.2.7");
}

#[test]
fn learning_is_deterministic_and_independent_of_order() {
    let Some(d) = ot_data() else { return };
    let a = d.join("gymgit-s7-pcaps/wincc_s300_setup-alarm-read_2.pcapng");
    let b = d.join("ITI-ICS-Security-Tools/pcaps/ModbusTCP/modbus_test_data_part1.pcap");
    let c = d.join("suricata-verify/tests/dnp3/dnp3-select-operate/input.pcap");
    let one = learn(&[a.clone(), b.clone(), c.clone()]).to_json();
    assert_eq!(one, learn(&[a.clone(), b.clone(), c.clone()]).to_json());
    assert_eq!(one, learn(&[c.clone(), a.clone(), b.clone()]).to_json());
    assert_eq!(one, learn(&[b, c, a]).to_json());
    let back = Baseline::from_json(&one, "mem").unwrap();
    assert_eq!(back.to_json(), one, "the file round-trips");
    assert_eq!(back.pairs.len(), 5, "{one}");
    assert!(!back.values.is_empty(), "{one}");
}

/// Learning a capture and checking the same capture raises nothing: every
/// flow, operation, address, value, rate and interval is in the baseline.
#[test]
fn detection_on_the_learning_capture_is_silent() {
    let Some(d) = ot_data() else { return };
    for rel in [
        "gymgit-s7-pcaps/wincc_s400_production.pcapng",
        "ITI-ICS-Security-Tools/pcaps/ModbusTCP/modbus_test_data_part2.pcap",
        "ITI-ICS-Security-Tools/pcaps/EthernetIP/EthernetIP-CIP.pcap",
        "suricata-verify/tests/modbus/modbus.pcap",
        "suricata-verify/tests/dnp3/dnp3-max-points/test.pcap",
    ] {
        let p = d.join(rel);
        let b = learn(std::slice::from_ref(&p));
        let r = detect_capture(&b, open(&p), FrameWindow::default()).unwrap();
        assert!(r.alerts.is_empty(), "{rel}: {:#?}", r.alerts);
    }
}

#[test]
fn attacks_in_shared_captures_are_raised() {
    let Some(d) = ot_data() else { return };
    let g = d.join("gymgit-s7-pcaps");
    let b = learn(&[
        g.join("snap7_s300_readVar.pcapng"),
        g.join("snap7_s300_setupCommunication.pcapng"),
    ]);
    let r = detect_capture(
        &b,
        open(&g.join("snap7_s300_stop.pcapng")),
        FrameWindow::default(),
    )
    .unwrap();
    let stop = r
        .alerts
        .iter()
        .find(|a| a.rule == "new_operation" && a.severity == Severity::Critical)
        .expect("PLC Stop raised");
    assert!(
        stop.explanation.contains("'PLC Stop'"),
        "{}",
        stop.explanation
    );

    let s = d.join("suricata-verify/tests/dnp3");
    let b = learn(&[s.join("dnp3-max-points/test.pcap")]);
    let r = detect_capture(
        &b,
        open(&s.join("dnp3-too-long-reassembly-request/input.pcap")),
        FrameWindow::default(),
    )
    .unwrap();
    assert!(
        r.alerts.iter().any(|a| a.rule == "oversized_pdu"),
        "{:#?}",
        r.alerts
    );
}
