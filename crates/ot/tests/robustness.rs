//! Capture formats, TCP reassembly and bad input, end to end through the
//! pipeline: captures are built here byte by byte so that each case is
//! exact, then decoded as `kensa ot decode` would.

mod common;

use std::io::Cursor;
use std::net::Ipv4Addr;

use kensa_ot::capture::linktype;
use kensa_ot::decode::dnp3::build_link_frame;
use kensa_ot::synth::{PcapWriter, SynthConfig, tcp_packet, write_synthetic};
use kensa_ot::{
    CaptureError, Event, EventKind, Pipeline, PipelineConfig, Protocol, Stats, decode_capture,
};

/// What a test needs from each event.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    frame: u64,
    ts_nanos: i64,
    protocol: Protocol,
    /// Modbus transaction id, DNP3 source address; `None` for malformed.
    id: Option<u32>,
}

fn seen(e: &Event<'_>) -> Seen {
    let id = match &e.kind {
        EventKind::Modbus(m) => Some(m.transaction_id as u32),
        EventKind::Dnp3(d) => Some(d.src as u32),
        EventKind::Iec104(i) => i.common_address.map(u32::from),
        EventKind::Enip(n) => n.session_handle,
        EventKind::S7comm(s) => Some(s.pdu_reference as u32),
        EventKind::S7commPlus(s) => s.function_code.map(u32::from),
        EventKind::Malformed { .. } => None,
    };
    Seen {
        frame: e.frame,
        ts_nanos: e.ts_nanos,
        protocol: e.protocol,
        id,
    }
}

fn run(capture: &[u8]) -> (Vec<Seen>, Stats) {
    let mut events = Vec::new();
    let stats = decode_capture(Cursor::new(capture), PipelineConfig::default(), &mut |e| {
        events.push(seen(e))
    })
    .expect("capture decodes");
    (events, stats)
}

const CLIENT: (Ipv4Addr, u16) = (Ipv4Addr::new(10, 0, 0, 1), 40001);
const SERVER: (Ipv4Addr, u16) = (Ipv4Addr::new(10, 0, 0, 2), 502);

fn modbus_request(tid: u16) -> Vec<u8> {
    let mut p = tid.to_be_bytes().to_vec();
    p.extend_from_slice(&[0, 0, 0, 6, 1, 3, 0, 0, 0, 1]);
    p
}

fn pcap(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut w = PcapWriter::new(Vec::new(), linktype::ETHERNET).unwrap();
    for (i, p) in packets.iter().enumerate() {
        w.write_packet(1_000_000 + i as u64, p).unwrap();
    }
    w.into_inner()
}

#[test]
fn synthetic_capture_decodes_every_pdu() {
    let mut buf = Vec::new();
    let summary = write_synthetic(
        &mut buf,
        SynthConfig {
            target_bytes: 2_000_000,
            sessions: 16,
        },
    )
    .unwrap();
    let (events, stats) = run(&buf);
    let count = |p| {
        events
            .iter()
            .filter(|e| e.protocol == p && e.id.is_some())
            .count() as u64
    };
    assert_eq!(count(Protocol::Modbus), summary.modbus_pdus);
    assert_eq!(count(Protocol::Dnp3), summary.dnp3_pdus);
    assert_eq!(stats.total_malformed(), 0);
    assert_eq!(stats.packets, summary.packets);
}

#[test]
fn reassembles_out_of_order_retransmitted_split_and_coalesced_pdus_mid_stream() {
    let seg = |seq: u32, data: &[u8]| tcp_packet(CLIENT, SERVER, seq, 0x18, data);
    let (a, b, c, d, e) = (
        modbus_request(1),
        modbus_request(2),
        modbus_request(3),
        modbus_request(4),
        modbus_request(5),
    );
    let bc = [b.clone(), c.clone()].concat();
    let base = 7000u32;
    // The capture starts mid-connection with the tail of an earlier PDU.
    let tail = [0x00, 0x01, 0x00, 0x03];
    let s_a = base + tail.len() as u32;
    let s_bc = s_a + a.len() as u32;
    let s_d = s_bc + bc.len() as u32;
    let s_e = s_d + d.len() as u32;
    let packets = vec![
        seg(base, &tail),      // 1: tail of a PDU whose start was not captured
        seg(s_a, &a),          // 2: PDU 1
        seg(s_bc, &bc),        // 3: PDUs 2 and 3 in one segment
        seg(s_d + 5, &d[5..]), // 4: second half of PDU 4, ahead of a hole
        seg(s_bc, &bc),        // 5: retransmission of PDUs 2 and 3
        seg(s_d, &d[..5]),     // 6: first half of PDU 4 fills the hole
        seg(s_e, &e),          // 7: PDU 5
    ];
    let (events, stats) = run(&pcap(&packets));
    let got: Vec<(u64, Option<u32>)> = events.iter().map(|e| (e.frame, e.id)).collect();
    assert_eq!(
        got,
        vec![
            (2, Some(1)),
            (3, Some(2)),
            (3, Some(3)),
            (6, Some(4)),
            (7, Some(5))
        ]
    );
    assert_eq!(stats.retransmitted_bytes, bc.len() as u64);
    assert_eq!(stats.out_of_order_segments, 1);
    assert_eq!(stats.total_malformed(), 0);
}

#[test]
fn a_corrupt_pdu_is_reported_once_and_framing_resumes() {
    let seg = |seq: u32, data: &[u8]| tcp_packet(CLIENT, SERVER, seq, 0x18, data);
    let mut bad = modbus_request(2);
    bad[2] = 0x77; // protocol id must be 0
    let good = modbus_request(3);
    let mut syn = tcp_packet(CLIENT, SERVER, 99, 0x02, &[]);
    syn.truncate(54);
    let packets = vec![
        syn,
        seg(100, &modbus_request(1)),
        seg(112, &bad),
        seg(124, &good),
    ];
    let (events, stats) = run(&pcap(&packets));
    let got: Vec<(u64, Option<u32>)> = events.iter().map(|e| (e.frame, e.id)).collect();
    assert_eq!(got, vec![(2, Some(1)), (3, None), (4, Some(3))]);
    assert_eq!(stats.malformed.get(&Protocol::Modbus), Some(&1));
}

/// A pcapng block: type, length, body (padded), length.
fn block(little: bool, kind: u32, body: &[u8]) -> Vec<u8> {
    let u32b = |v: u32| {
        if little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    };
    let pad = (4 - body.len() % 4) % 4;
    let total = (12 + body.len() + pad) as u32;
    let mut b = u32b(kind).to_vec();
    b.extend_from_slice(&u32b(total));
    b.extend_from_slice(body);
    b.extend(std::iter::repeat_n(0, pad));
    b.extend_from_slice(&u32b(total));
    b
}

fn shb(little: bool) -> Vec<u8> {
    let mut body = if little {
        0x1a2b3c4du32.to_le_bytes()
    } else {
        0x1a2b3c4du32.to_be_bytes()
    }
    .to_vec();
    body.extend_from_slice(&[0, 1, 0, 0]); // version (byte order irrelevant for the test)
    body.extend_from_slice(&[0xff; 8]); // section length unknown
    block(little, 0x0a0d0d0a, &body)
}

fn idb(little: bool, link: u16, tsresol: Option<u8>) -> Vec<u8> {
    let u16b = |v: u16| {
        if little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    };
    let mut body = u16b(link).to_vec();
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(&if little {
        65535u32.to_le_bytes()
    } else {
        65535u32.to_be_bytes()
    });
    if let Some(r) = tsresol {
        body.extend_from_slice(&u16b(9));
        body.extend_from_slice(&u16b(1));
        body.extend_from_slice(&[r, 0, 0, 0]);
        body.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
    }
    block(little, 1, &body)
}

fn epb(little: bool, iface: u32, ticks: u64, data: &[u8], origlen: u32) -> Vec<u8> {
    let u32b = |v: u32| {
        if little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    };
    let mut body = u32b(iface).to_vec();
    body.extend_from_slice(&u32b((ticks >> 32) as u32));
    body.extend_from_slice(&u32b(ticks as u32));
    body.extend_from_slice(&u32b(data.len() as u32));
    body.extend_from_slice(&u32b(origlen));
    body.extend_from_slice(data);
    block(little, 6, &body)
}

/// Strips the 14-byte Ethernet header from a synthetic packet.
fn ip_only(frame: &[u8]) -> Vec<u8> {
    frame[14..].to_vec()
}

#[test]
fn pcapng_sections_interfaces_resolutions_and_link_types() {
    let req = |tid| {
        tcp_packet(
            CLIENT,
            SERVER,
            100 + 12 * (tid as u32 - 1),
            0x18,
            &modbus_request(tid),
        )
    };
    // SLL2: protocol type, reserved, interface index, ARPHRD, packet type, address length, address.
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    sll2.extend(ip_only(&req(2)));
    // Ethernet with an 802.1ad + 802.1Q tag stack.
    let plain = req(3);
    let mut vlan = plain[..12].to_vec();
    vlan.extend_from_slice(&[0x88, 0xa8, 0, 5, 0x81, 0, 0, 7]);
    vlan.extend_from_slice(&plain[12..]);
    let cut = req(5);

    let mut file = shb(true);
    file.extend(idb(true, 1, Some(9))); // interface 0: Ethernet, nanoseconds
    file.extend(idb(true, 276, None)); // interface 1: SLL2, microseconds
    file.extend(epb(true, 0, 1_700_000_000_123_456_789, &req(1), 66));
    file.extend(epb(
        true,
        1,
        1_700_000_001_000_001,
        &sll2,
        sll2.len() as u32,
    ));
    // A second, big-endian section with its own interface list.
    file.extend(shb(false));
    file.extend(idb(false, 1, Some(3))); // milliseconds
    file.extend(epb(false, 0, 1_700_000_002_500, &vlan, vlan.len() as u32));
    file.extend(idb(false, 101, None)); // raw IP
    file.extend(epb(false, 1, 1_700_000_003_000_000, &ip_only(&req(4)), 52));
    // Cut by snaplen: counted, not decoded.
    file.extend(epb(
        false,
        0,
        1_700_000_004_000,
        &cut[..60],
        cut.len() as u32,
    ));

    let (events, stats) = run(&file);
    let got: Vec<(u64, i64, Option<u32>)> =
        events.iter().map(|e| (e.frame, e.ts_nanos, e.id)).collect();
    assert_eq!(
        got,
        vec![
            (1, 1_700_000_000_123_456_789, Some(1)),
            (2, 1_700_000_001_000_001_000, Some(2)),
            (3, 1_700_000_002_500_000_000, Some(3)),
            (4, 1_700_000_003_000_000_000, Some(4)),
        ]
    );
    assert_eq!(stats.truncated_packets, 1);
    assert_eq!(stats.packets, 5);
}

#[test]
fn classic_pcap_with_nanoseconds_and_linux_cooked_capture() {
    let frame = tcp_packet(CLIENT, SERVER, 100, 0x18, &modbus_request(9));
    let mut sll = vec![0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
    sll.extend(ip_only(&frame));
    let mut file = 0xa1b23c4du32.to_le_bytes().to_vec();
    file.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0]);
    file.extend_from_slice(&113u32.to_le_bytes());
    file.extend_from_slice(&1_700_000_000u32.to_le_bytes());
    file.extend_from_slice(&999_999_999u32.to_le_bytes());
    file.extend_from_slice(&(sll.len() as u32).to_le_bytes());
    file.extend_from_slice(&(sll.len() as u32).to_le_bytes());
    file.extend_from_slice(&sll);
    let (events, _) = run(&file);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].ts_nanos, 1_700_000_000_999_999_999);
    assert_eq!(events[0].id, Some(9));
}

#[test]
fn truncated_and_garbage_captures_fail_cleanly() {
    let frame = tcp_packet(CLIENT, SERVER, 100, 0x18, &modbus_request(1));
    let whole = pcap(&[frame.clone(), frame]);
    // Cut inside the second record: the first packet still decodes.
    let cut = &whole[..whole.len() - 10];
    let (events, stats) = run(cut);
    assert_eq!(events.len(), 1);
    assert!(stats.truncated_file);

    let err = decode_capture(
        Cursor::new(b"GET / HTTP/1.1\r\n".as_slice()),
        PipelineConfig::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, CaptureError::BadMagic(_)), "{err}");

    // An absurd record length is corruption, reported with its offset.
    let mut absurd = whole.clone();
    absurd[24 + 8..24 + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let err =
        decode_capture(Cursor::new(absurd), PipelineConfig::default(), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("byte offset 24"), "{err}");
}

#[test]
fn dnp3_reassembly_beyond_the_bound_is_dropped_and_reported() {
    let client = (Ipv4Addr::new(10, 0, 0, 1), 40002);
    let server = (Ipv4Addr::new(10, 0, 0, 2), 20000);
    let mut seq = 1000u32;
    let mut packets = Vec::new();
    // 70 maximum-size transport segments of one request, never FIN.
    for i in 0..70u8 {
        let th = if i == 0 { 0x40 } else { i & 0x3f };
        let mut user = vec![th];
        user.extend(std::iter::repeat_n(0xaa, 249));
        let f = build_link_frame(0xc4, 10, 1, &user);
        packets.push(tcp_packet(client, server, seq, 0x18, &f));
        seq += f.len() as u32;
    }
    let (events, stats) = run(&pcap(&packets));
    assert_eq!(stats.dnp3_fragments_too_long, 1);
    assert_eq!(events.iter().filter(|e| e.id.is_none()).count(), 1);
    assert_eq!(
        events.iter().filter(|e| e.id.is_some()).count(),
        70,
        "every link frame is still reported"
    );
}

#[test]
fn suricata_too_long_reassembly_captures_are_flagged() {
    let Some(data) = common::ot_data() else {
        return;
    };
    for case in [
        "dnp3-too-long-reassembly-request",
        "dnp3-too-long-reassembly-response",
    ] {
        let path = data
            .join("suricata-verify/tests/dnp3")
            .join(case)
            .join("input.pcap");
        let decoded = common::decode(&path);
        assert_eq!(decoded.stats.dnp3_fragments_too_long, 1, "{case}");
        assert!(
            decoded.events.iter().any(|e| e.get("malformed").is_some()),
            "{case}"
        );
    }
}

#[test]
fn memory_stays_bounded_with_many_flows_and_unfinished_pdus() {
    let cfg = PipelineConfig {
        max_flows: 256,
        ..PipelineConfig::default()
    };
    let mut pipeline = Pipeline::new(cfg);
    let mut frame = Vec::new();
    // 5,000 connections each leave half a Modbus PDU (and a held
    // out-of-order segment) behind.
    for i in 0..5000u32 {
        let client = (Ipv4Addr::from(0x0a00_0000 + i), 40000);
        let req = modbus_request(1);
        for (seq, part) in [(0u32, &req[..6]), (100, &req[6..])] {
            frame.clear();
            frame.extend(tcp_packet(client, SERVER, seq, 0x18, part));
            let pkt = kensa_ot::Packet {
                ts_nanos: i as i64,
                link_type: linktype::ETHERNET,
                caplen: frame.len() as u32,
                origlen: frame.len() as u32,
                interface: 0,
                data: &frame,
            };
            pipeline.process(&pkt, &mut |_| {});
        }
        assert!(pipeline.live_flows() <= 256);
    }
    assert!(
        pipeline.held_bytes() <= 256 * 12,
        "held {} bytes",
        pipeline.held_bytes()
    );
    assert!(pipeline.stats().flows_evicted >= 4744);
}

/// Ethernet + IPv6 + UDP around `payload`.
fn udp6_packet(src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
    p.extend_from_slice(&[0x60, 0, 0, 0]);
    p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    p.extend_from_slice(&[17, 64]);
    p.extend_from_slice(
        &[0xfe, 0x80]
            .iter()
            .copied()
            .chain(std::iter::repeat_n(0, 13))
            .chain([1])
            .collect::<Vec<u8>>(),
    );
    p.extend_from_slice(
        &[0xfe, 0x80]
            .iter()
            .copied()
            .chain(std::iter::repeat_n(0, 13))
            .chain([2])
            .collect::<Vec<u8>>(),
    );
    p.extend_from_slice(&src_port.to_be_bytes());
    p.extend_from_slice(&dst_port.to_be_bytes());
    p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(payload);
    p
}

#[test]
fn udp_over_ipv6_dnp3_frames_and_cip_io() {
    // Two DNP3 link frames in one datagram: a link status request and a
    // single-segment READ.
    let mut dnp3 = build_link_frame(0xc9, 10, 1, &[]);
    dnp3.extend(build_link_frame(
        0xc4,
        10,
        1,
        &[0xc0, 0xc1, 0x01, 60, 1, 0x06],
    ));
    // A class 1 I/O datagram: sequenced address (connection 0x11223344,
    // sequence 7) and 6 bytes of connected data.
    let mut io = vec![2, 0, 0x02, 0x80, 8, 0];
    io.extend_from_slice(&0x1122_3344u32.to_le_bytes());
    io.extend_from_slice(&7u32.to_le_bytes());
    io.extend_from_slice(&[0xb1, 0, 6, 0, 1, 2, 3, 4, 5, 6]);
    let capture = pcap(&[
        udp6_packet(30000, 20000, &dnp3),
        udp6_packet(2222, 2222, &io),
    ]);
    let mut out = Vec::new();
    decode_capture(Cursor::new(capture), PipelineConfig::default(), &mut |e| {
        out.push(serde_json::to_value(e).unwrap());
    })
    .unwrap();
    assert_eq!(out.len(), 3, "{out:?}");
    assert_eq!(out[0]["dnp3"]["function_code"], serde_json::Value::Null);
    assert_eq!(out[1]["dnp3"]["function_code"], 1);
    assert_eq!(out[1]["src_ip"], "fe80::1");
    assert_eq!(out[1]["transport"], "udp");
    let io = &out[2]["enip"];
    assert_eq!(
        (
            io["connection_id"].as_u64(),
            io["sequence"].as_u64(),
            io["io_data_length"].as_u64()
        ),
        (Some(0x1122_3344), Some(7), Some(6))
    );
    assert!(io["command"].is_null() && io["cip_service"].is_null());
}
