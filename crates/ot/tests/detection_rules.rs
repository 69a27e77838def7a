//! Each detection rule on constructed event sequences: it fires on the
//! anomaly it is for, and a baseline learned from the normal sequence
//! raises nothing when the same sequence is checked again.

use std::net::{IpAddr, Ipv4Addr};

use kensa_ot::baseline::{Baseline, FrameWindow, Learner};
use kensa_ot::decode::modbus::Modbus;
use kensa_ot::decode::s7comm::S7comm;
use kensa_ot::detect::{Alert, Detector, Severity};
use kensa_ot::event::Transport;
use kensa_ot::observe::{Observer, PacketView};
use kensa_ot::{Endpoint, Event, EventKind, Protocol};

const HMI: [u8; 4] = [10, 0, 0, 5];
const PLC: [u8; 4] = [10, 0, 0, 10];
const PLC2: [u8; 4] = [10, 0, 0, 11];
const INTRUDER: [u8; 4] = [10, 0, 0, 66];

fn ep(ip: [u8; 4], port: u16) -> Endpoint {
    Endpoint {
        ip: IpAddr::V4(Ipv4Addr::from(ip)),
        port,
    }
}

/// One step of a scenario: an event at `ms` milliseconds.
#[derive(Clone, Copy)]
struct Step {
    ms: i64,
    src: Endpoint,
    dst: Endpoint,
    to_server: bool,
    protocol: Protocol,
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Kind {
    Modbus(Modbus),
    S7(S7comm),
    Malformed(&'static str),
}

fn read(ms: i64, client: [u8; 4], server: [u8; 4], addr: u16) -> Step {
    Step {
        ms,
        src: ep(client, 40000),
        dst: ep(server, 502),
        to_server: true,
        protocol: Protocol::Modbus,
        kind: Kind::Modbus(Modbus {
            unit_id: 1,
            function_code: 3,
            address: Some(addr),
            quantity: Some(10),
            ..Modbus::default()
        }),
    }
}

fn write_single(ms: i64, value: u16) -> Step {
    Step {
        kind: Kind::Modbus(Modbus {
            unit_id: 1,
            function_code: 6,
            address: Some(100),
            value: Some(value),
            ..Modbus::default()
        }),
        ..read(ms, HMI, PLC, 0)
    }
}

fn s7(ms: i64, function: u8) -> Step {
    Step {
        ms,
        src: ep(HMI, 40001),
        dst: ep(PLC, 102),
        to_server: true,
        protocol: Protocol::S7comm,
        kind: Kind::S7(S7comm {
            rosctr: 1,
            function_code: Some(function),
            userdata_type: None,
            function_group: None,
            subfunction: None,
            cpu_mode: None,
            pdu_reference: 1,
            error_class: None,
            error_code: None,
        }),
    }
}

fn feed(o: &mut dyn Observer, steps: &[Step], first_frame: u64) {
    for (i, s) in steps.iter().enumerate() {
        let kind = match s.kind {
            Kind::Modbus(m) => EventKind::Modbus(m),
            Kind::S7(x) => EventKind::S7comm(x),
            Kind::Malformed(reason) => EventKind::Malformed { reason },
        };
        o.event(&Event {
            frame: first_frame + i as u64,
            ts_nanos: s.ms * 1_000_000,
            src: s.src,
            dst: s.dst,
            transport: Transport::Tcp,
            to_server: s.to_server,
            protocol: s.protocol,
            kind,
        });
    }
}

/// Normal traffic: the HMI polls both PLCs once a second (registers 0..9),
/// writes register 100 with values 10..=20, and reads the S7 PLC variables.
fn normal() -> Vec<Step> {
    let mut v = Vec::new();
    for i in 0..20 {
        let ms = 1_000_000 + i * 1000;
        v.push(read(ms, HMI, PLC, 0));
        v.push(read(ms + 10, HMI, PLC2, 0));
        v.push(write_single(ms + 20, 10 + (i % 11) as u16));
        v.push(s7(ms + 30, 0x04));
    }
    v
}

fn learn(steps: &[Step]) -> Baseline {
    let mut l = Learner::new("normal", FrameWindow::default());
    feed(&mut l, steps, 1);
    l.finish()
}

fn detect(b: &Baseline, steps: &[Step]) -> Vec<Alert> {
    let mut d = Detector::new(b, FrameWindow::default());
    feed(&mut d, steps, 1);
    d.finish().alerts
}

fn only(alerts: &[Alert], rule: &str) -> Alert {
    let hits: Vec<&Alert> = alerts.iter().filter(|a| a.rule == rule).collect();
    assert_eq!(hits.len(), 1, "{rule} in {alerts:#?}");
    hits[0].clone()
}

/// After the normal traffic, so that timing and rate state are warm.
fn after_normal(extra: &[Step]) -> Vec<Alert> {
    let b = learn(&normal());
    let mut steps = normal();
    let shift = 100_000;
    for s in &mut steps {
        s.ms += shift;
    }
    steps.extend_from_slice(extra);
    detect(&b, &steps)
}

const LATER: i64 = 2_000_000;

#[test]
fn the_learning_data_itself_raises_nothing() {
    let b = learn(&normal());
    assert!(detect(&b, &normal()).is_empty());
    assert!(after_normal(&[]).is_empty());
}

#[test]
fn new_talker_to_a_plc_is_high() {
    let a = only(
        &after_normal(&[read(LATER, INTRUDER, PLC, 0)]),
        "new_talker",
    );
    assert_eq!(a.severity, Severity::High);
    assert_eq!(a.src, "10.0.0.66");
    assert!(a.explanation.contains("10.0.0.66") && a.explanation.contains("never appeared"));
}

#[test]
fn new_flow_between_known_hosts() {
    // PLC2 was only ever polled; now it polls PLC.
    let alerts = after_normal(&[read(LATER, PLC2, PLC, 0)]);
    let a = only(&alerts, "new_flow");
    assert_eq!(a.severity, Severity::Medium);
    assert!(alerts.iter().all(|a| a.rule != "new_talker"));
}

#[test]
fn new_operations_are_graded_by_what_they_do() {
    let alerts = after_normal(&[s7(LATER, 0x29)]);
    let a = only(&alerts, "new_operation");
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(
        a.explanation,
        "10.0.0.5 sent S7comm 'PLC Stop' (stop/run) to 10.0.0.10, which it never did during learning."
    );
    let mut diag = read(LATER, HMI, PLC, 0);
    diag.kind = Kind::Modbus(Modbus {
        unit_id: 1,
        function_code: 8,
        subfunction: Some(1),
        ..Modbus::default()
    });
    assert_eq!(
        only(&after_normal(&[diag]), "new_operation").severity,
        Severity::High
    );
    let mut id = diag;
    id.kind = Kind::Modbus(Modbus {
        unit_id: 1,
        function_code: 43,
        subfunction: Some(14),
        ..Modbus::default()
    });
    assert_eq!(
        only(&after_normal(&[id]), "new_operation").severity,
        Severity::Low
    );
}

#[test]
fn addresses_outside_the_learned_ranges() {
    let a = only(
        &after_normal(&[read(LATER, HMI, PLC, 500)]),
        "address_range",
    );
    assert_eq!(a.severity, Severity::Medium);
    assert_eq!(a.evidence["lo"], 500);
    assert_eq!(
        a.evidence["learned"],
        serde_json::json!([[0, 9], [100, 100]])
    );
    // Inside the learned range: nothing.
    assert!(after_normal(&[read(LATER, HMI, PLC, 0)]).is_empty());
}

#[test]
fn reads_of_several_new_windows_in_one_space_are_one_alert() {
    let alerts = after_normal(&[
        read(LATER, HMI, PLC, 500),
        read(LATER + 300, HMI, PLC, 700),
        read(LATER + 600, HMI, PLC, 650),
    ]);
    let a = only(&alerts, "address_range");
    assert_eq!(a.count, 3);
    assert_eq!(a.evidence["lo"], 500);
}

#[test]
fn a_new_operation_on_new_addresses_is_one_alert() {
    let mut write_many = read(LATER, HMI, PLC, 0);
    write_many.kind = Kind::Modbus(Modbus {
        unit_id: 1,
        function_code: 16,
        address: Some(500),
        quantity: Some(4),
        ..Modbus::default()
    });
    let alerts = after_normal(&[write_many]);
    let a = only(&alerts, "new_operation");
    assert_eq!(a.severity, Severity::High);
    assert_eq!(
        a.evidence["addresses"],
        serde_json::json!([{"space": "unit 1 holding registers", "lo": 500, "hi": 503}])
    );
    assert!(
        alerts.iter().all(|a| a.rule != "address_range"),
        "{alerts:#?}"
    );
}

#[test]
fn written_values_outside_the_learned_range() {
    let a = only(&after_normal(&[write_single(LATER, 5000)]), "value_range");
    assert_eq!(a.severity, Severity::High);
    assert_eq!(a.evidence["learned_min"], 10);
    assert_eq!(a.evidence["learned_max"], 20);
    assert!(after_normal(&[write_single(LATER, 15)]).is_empty());
}

fn packet<'a>(
    frame: u64,
    ms: i64,
    src: Endpoint,
    dst: Endpoint,
    payload: &'a [u8],
) -> PacketView<'a> {
    PacketView {
        frame,
        ts_nanos: ms * 1_000_000,
        src_mac: None,
        dst_mac: None,
        src,
        dst,
        transport: Transport::Tcp,
        syn: false,
        payload,
    }
}

/// A Read Holding Registers (address 0, 1 register) exchange carrying `value`.
fn polled_value(o: &mut dyn Observer, frame: u64, txid: u16, value: u16) {
    let t = txid.to_be_bytes();
    let req = [t[0], t[1], 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
    let v = value.to_be_bytes();
    let rsp = [t[0], t[1], 0, 0, 0, 5, 1, 3, 2, v[0], v[1]];
    let (c, s) = (ep(HMI, 40000), ep(PLC, 502));
    o.packet(&packet(frame, frame as i64, c, s, &req));
    o.packet(&packet(frame + 1, frame as i64 + 1, s, c, &rsp));
}

#[test]
fn polled_values_outside_the_learned_range() {
    let mut l = Learner::new("values", FrameWindow::default());
    // A process value that moves both ways within 100..=109.
    for i in 0..10 {
        polled_value(&mut l, 1 + 2 * i as u64, i, 100 + (i * 7) % 10);
    }
    let b = l.finish();
    assert_eq!(b.values["10.0.0.10/1/hr/0"].min, 100);
    assert_eq!(b.values["10.0.0.10/1/hr/0"].max, 109);
    let mut d = Detector::new(&b, FrameWindow::default());
    polled_value(&mut d, 100, 1, 105);
    assert!(d.finish().alerts.is_empty());
    let mut d = Detector::new(&b, FrameWindow::default());
    polled_value(&mut d, 100, 1, 9000);
    let alerts = d.finish().alerts;
    let a = only(&alerts, "value_range");
    assert!(a.explanation.contains("9000"), "{}", a.explanation);
}

fn learned_values(values: impl Iterator<Item = u16>) -> Baseline {
    let mut l = Learner::new("values", FrameWindow::default());
    for (i, v) in values.enumerate() {
        polled_value(&mut l, 1 + 2 * i as u64, i as u16, v);
    }
    l.finish()
}

fn value_alerts(b: &Baseline, value: u16) -> Vec<Alert> {
    let mut d = Detector::new(b, FrameWindow::default());
    polled_value(&mut d, 100, 1, value);
    d.finish().alerts
}

#[test]
fn a_counter_may_run_past_its_learned_maximum_but_not_fall_below_its_minimum() {
    // A totaliser: it only rose while learning (holding some samples).
    let b = learned_values([4072, 4072, 4079, 4087, 4087, 4093, 4100, 4107].into_iter());
    let point = &b.values["10.0.0.10/1/hr/0"];
    assert_eq!((point.rises, point.falls), (5, 0));
    assert!(point.is_counter());
    assert!(value_alerts(&b, 4233).is_empty());
    let a = only(&value_alerts(&b, 12), "value_range");
    assert!(a.explanation.contains("a counter"), "{}", a.explanation);
    assert_eq!(a.evidence["counter"], true);
    // Rising fewer than MIN_SAMPLES times is not enough to call it one.
    let b = learned_values([0, 0, 5, 5, 10, 10, 20, 20].into_iter());
    assert!(!b.values["10.0.0.10/1/hr/0"].is_counter());
    assert_eq!(value_alerts(&b, 30).len(), 1);
    // Nor is a value that fell once.
    let b = learned_values([1, 2, 3, 4, 5, 6, 5, 7].into_iter());
    assert!(!b.values["10.0.0.10/1/hr/0"].is_counter());
    assert_eq!(value_alerts(&b, 90).len(), 1);
}

/// A Read Input Registers exchange of `values` from address 0.
fn polled_block(o: &mut dyn Observer, frame: u64, txid: u16, values: &[u16]) {
    let t = txid.to_be_bytes();
    let n = values.len() as u8;
    let req = [t[0], t[1], 0, 0, 0, 6, 1, 4, 0, 0, 0, n];
    let mut rsp = vec![t[0], t[1], 0, 0, 0, 3 + 2 * n, 1, 4, 2 * n];
    for v in values {
        rsp.extend_from_slice(&v.to_be_bytes());
    }
    let (c, s) = (ep(HMI, 40000), ep(PLC, 502));
    o.packet(&packet(frame, frame as i64, c, s, &req));
    o.packet(&packet(frame + 1, frame as i64 + 1, s, c, &rsp));
}

#[test]
fn registers_out_of_range_in_one_reply_are_one_alert() {
    let mut l = Learner::new("block", FrameWindow::default());
    for i in 0..8u16 {
        polled_block(&mut l, 1 + 2 * i as u64, i, &[1980, 40, 7 + i % 2, 32]);
    }
    let b = l.finish();
    let mut d = Detector::new(&b, FrameWindow::default());
    // The device came back with other contents: three registers changed.
    for i in 0..3u16 {
        polled_block(&mut d, 100 + 2 * i as u64, i, &[0, 0, 8, 12336]);
    }
    let alerts = d.finish().alerts;
    let a = only(&alerts, "value_range");
    assert_eq!(a.count, 3);
    assert_eq!(a.evidence["point"], "10.0.0.10/1/ir/0");
    assert_eq!(a.evidence["also_count"], 2);
    assert_eq!(a.evidence["also"][1]["point"], "10.0.0.10/1/ir/3");
    assert!(
        a.explanation.contains("2 more registers"),
        "{}",
        a.explanation
    );
}

#[test]
fn a_flood_is_one_rate_alert_with_a_count() {
    let flood: Vec<Step> = (0..300).map(|i| read(LATER + i, HMI, PLC, 0)).collect();
    let alerts = after_normal(&flood);
    let a = only(&alerts, "rate");
    assert_eq!(a.severity, Severity::High);
    assert!(a.count > 200, "{}", a.count);
    // The burst also repeats the read far faster than its 1 s period.
    assert_eq!(only(&alerts, "timing").severity, Severity::Medium);
}

#[test]
fn faster_repetition_than_learned_is_a_timing_alert() {
    let alerts = after_normal(&[
        read(LATER, HMI, PLC, 0),
        read(LATER + 50, HMI, PLC, 0),
        read(LATER + 90, HMI, PLC, 0),
    ]);
    let a = only(&alerts, "timing");
    assert!(a.evidence["interval_s"].as_f64().unwrap() < 0.06);
    assert!(a.evidence["previous_interval_s"].as_f64().unwrap() < 0.06);
    assert!(alerts.iter().all(|a| a.rule != "rate"));
}

#[test]
fn one_extra_poll_within_a_cycle_is_not_a_timing_alert() {
    // An HMI's on-demand read 35 ms after the cyclic one, then the cycle
    // goes on (ModbusTCP.pcap shows this between 141.81.0.10 and .86).
    let alerts = after_normal(&[
        read(LATER, HMI, PLC, 0),
        read(LATER + 35, HMI, PLC, 0),
        read(LATER + 1000, HMI, PLC, 0),
        read(LATER + 2000, HMI, PLC, 0),
    ]);
    assert!(alerts.is_empty(), "{alerts:#?}");
}

#[test]
fn malformed_and_oversized_pdus() {
    let mut bad = read(LATER, HMI, PLC, 0);
    bad.kind = Kind::Malformed("MBAP protocol id is not 0");
    assert_eq!(
        only(&after_normal(&[bad]), "malformed_pdu").severity,
        Severity::Medium
    );
    bad.kind = Kind::Malformed("application fragment exceeds the reassembly bound");
    assert_eq!(
        only(&after_normal(&[bad]), "oversized_pdu").severity,
        Severity::High
    );
}

#[test]
fn known_protocol_on_an_unusual_port() {
    let mut odd = read(LATER, HMI, PLC, 0);
    odd.dst.port = 5020;
    let a = only(&after_normal(&[odd]), "unusual_port");
    assert!(a.explanation.contains("port 5020"));
}

#[test]
fn unknown_protocol_on_a_known_ics_port() {
    let b = learn(&normal());
    let mut d = Detector::new(&b, FrameWindow::default());
    let http = b"GET / HTTP/1.1\r\nHost: plc\r\n\r\n";
    let mut syn = packet(0, 0, ep(HMI, 41000), ep(PLC, 502), &[]);
    syn.syn = true;
    d.packet(&syn);
    d.packet(&packet(1, 1, ep(HMI, 41000), ep(PLC, 502), http));
    d.packet(&packet(2, 2, ep(HMI, 41000), ep(PLC, 502), http));
    let alerts = d.finish().alerts;
    let a = only(&alerts, "unknown_protocol_on_ics_port");
    assert_eq!(a.count, 1, "checked once per flow");
    // A real Modbus request on the port is not flagged.
    let mut d = Detector::new(&b, FrameWindow::default());
    let req = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 1];
    syn.src.port = 41001;
    d.packet(&syn);
    d.packet(&packet(1, 1, ep(HMI, 41001), ep(PLC, 502), &req));
    assert!(d.finish().alerts.is_empty());
}
