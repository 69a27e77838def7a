//! `kensa ot evaluate` on a capture built here: an HMI polls a PLC over
//! Modbus/TCP every second; later a new host sweeps the PLC's ports (the
//! labelled attack episode) while polling goes on.

use std::process::Command;

const HMI: [u8; 4] = [10, 0, 0, 1];
const PLC: [u8; 4] = [10, 0, 0, 2];
const INTRUDER: [u8; 4] = [10, 0, 0, 66];

struct Pcap(Vec<u8>);

impl Pcap {
    fn new() -> Pcap {
        let mut b = Vec::new();
        for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
            match v {
                0x0004_0002 => b.extend_from_slice(&[2, 0, 4, 0]),
                _ => b.extend_from_slice(&v.to_le_bytes()),
            }
        }
        b.truncate(24);
        Pcap(b)
    }

    fn tcp(
        &mut self,
        ms: u64,
        src: ([u8; 4], u16),
        dst: ([u8; 4], u16),
        flags: u8,
        payload: &[u8],
    ) {
        let mut f = vec![0, 0, 0, 0, 0, dst.0[3], 0, 0, 0, 0, 0, src.0[3], 8, 0];
        let total = (40 + payload.len()) as u16;
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src.0);
        f.extend_from_slice(&dst.0);
        f.extend_from_slice(&src.1.to_be_bytes());
        f.extend_from_slice(&dst.1.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        f.extend_from_slice(payload);
        let (sec, usec) = (
            (ms / 1000) as u32 + 1_700_000_000,
            ((ms % 1000) * 1000) as u32,
        );
        for v in [sec, usec, f.len() as u32, f.len() as u32] {
            self.0.extend_from_slice(&v.to_le_bytes());
        }
        self.0.extend_from_slice(&f);
    }
}

#[test]
fn a_labelled_port_sweep_is_one_episode_found_without_false_alarms() {
    let mut p = Pcap::new();
    let mut labels = String::from("pkt;label\n");
    let mut n = 0;
    let mut label = |attack: bool, labels: &mut String| {
        n += 1;
        labels.push_str(&format!("{n};{}\n", u8::from(attack)));
    };
    let (hmi, plc) = ((HMI, 40000), (PLC, 502));
    for second in 0..600u64 {
        let ms = second * 1000;
        let txid = (second as u16).to_be_bytes();
        let req = [txid[0], txid[1], 0, 0, 0, 6, 1, 3, 0, 0, 0, 2];
        let rsp = [txid[0], txid[1], 0, 0, 0, 7, 1, 3, 4, 0, 1, 0, 2];
        p.tcp(ms, hmi, plc, 0x18, &req);
        label(false, &mut labels);
        p.tcp(ms + 5, plc, hmi, 0x18, &rsp);
        label(false, &mut labels);
        // The sweep: SYNs to 100 ports, each refused, from second 400.
        if (400..450).contains(&second) {
            for port in [second as u16 * 2, second as u16 * 2 + 1] {
                p.tcp(ms + 100, (INTRUDER, 55000), (PLC, port), 0x02, &[]);
                label(true, &mut labels);
                p.tcp(ms + 101, (PLC, port), (INTRUDER, 55000), 0x14, &[]);
                label(true, &mut labels);
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (cap, lab) = (
        dir.path().join("plant.pcap"),
        dir.path().join("plant_labeled.csv"),
    );
    std::fs::write(&cap, &p.0).unwrap();
    std::fs::write(&lab, &labels).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_kensa"))
        .args(["ot", "evaluate", "--format", "json", "--labels"])
        .arg(&lab)
        .arg(&cap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Learned on the clean polling before the first attack packet.
    assert_eq!(e["learned_frames"], serde_json::json!([1, 802]));
    assert_eq!(e["episodes"].as_array().unwrap().len(), 1, "{e:#}");
    assert_eq!(e["episodes_found"], 1, "{e:#}");
    let rules: Vec<&str> = e["episodes"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"new_host") && rules.contains(&"scan"),
        "{rules:?}"
    );
    assert_eq!(e["false_alarms"], 0, "{e:#}");
    assert_eq!(e["attack_packets"], 200);

    // A label that is neither normal nor attack is refused with its line.
    std::fs::write(&lab, "1;0\n2;maybe\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_kensa"))
        .args(["ot", "evaluate", "--labels"])
        .arg(&lab)
        .arg(&cap)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("line 2") && err.contains("maybe"),
        "{err}"
    );
}
