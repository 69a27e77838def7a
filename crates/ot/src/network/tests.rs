use super::*;
use crate::capture::{Packet, linktype};
use crate::wire;

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];

/// An Ethernet/IPv4 frame with a TCP or UDP header.
fn frame(
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    tcp_flags: Option<u8>,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = vec![0, 0, 0, 0, 0, dst.0[3], 0, 0, 0, 0, 0, src.0[3], 8, 0];
    let l4_len = if tcp_flags.is_some() { 20 } else { 8 };
    let total = (20 + l4_len + payload.len()) as u16;
    let proto = if tcp_flags.is_some() { 6 } else { 17 };
    f.extend_from_slice(&[0x45, 0]);
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 0, 64, proto, 0, 0]);
    f.extend_from_slice(&src.0);
    f.extend_from_slice(&dst.0);
    f.extend_from_slice(&src.1.to_be_bytes());
    f.extend_from_slice(&dst.1.to_be_bytes());
    match tcp_flags {
        Some(flags) => {
            f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0])
        }
        None => {
            f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
            f.extend_from_slice(&[0, 0]);
        }
    }
    f.extend_from_slice(payload);
    f
}

/// What the tracker reported, as short strings.
#[derive(Default)]
struct Log(Vec<String>);

fn run(tracker: &mut Tracker, frames: &[(i64, Vec<u8>)]) -> Log {
    let mut log = Log::default();
    for (i, (ms, data)) in frames.iter().enumerate() {
        let pkt = Packet {
            ts_nanos: ms * 1_000_000,
            link_type: linktype::ETHERNET,
            caplen: data.len() as u32,
            origlen: data.len() as u32,
            interface: 0,
            data,
        };
        let view = wire::view(i as u64 + 1, &pkt);
        tracker.process(&view, &mut |e| log.0.push(describe(&e)));
    }
    let end = frames.last().map_or(0, |(ms, _)| ms * 1_000_000);
    tracker.finish(end, &mut |e| log.0.push(describe(&e)));
    log
}

fn describe(e: &NetEvent<'_>) -> String {
    match e {
        NetEvent::Packet { conv, opened, .. } => {
            format!(
                "packet{} {}>{}",
                if *opened { " opened" } else { "" },
                conv.client.ip,
                conv.server
            )
        }
        NetEvent::Service { conv, .. } => {
            format!("service {} {:?}", conv.service_key(), conv.evidence)
        }
        NetEvent::Failed { conv, .. } => format!("failed {:?} {}", conv.state, conv.server),
        NetEvent::Ended { conv, reason, .. } => format!(
            "ended {reason:?} {:?} {} pkts={:?} bytes={:?}",
            conv.state,
            conv.service_key(),
            conv.packets,
            conv.payload_bytes
        ),
        NetEvent::Arp { .. } => "arp".into(),
        NetEvent::NonIp { ethertype, .. } => format!("non-ip {ethertype:#x}"),
    }
}

const SYN: Option<u8> = Some(0x02);
const SYN_ACK: Option<u8> = Some(0x12);
const ACK: Option<u8> = Some(0x10);
const PSH_ACK: Option<u8> = Some(0x18);
const FIN_ACK: Option<u8> = Some(0x11);
const RST_ACK: Option<u8> = Some(0x14);

#[test]
fn a_tcp_connection_on_an_odd_port_is_recognised_by_content() {
    let mut t = Tracker::new(TrackerConfig::default());
    let (c, s) = ((A, 50000), (B, 8443));
    let log = run(
        &mut t,
        &[
            (0, frame(c, s, SYN, b"")),
            (1, frame(s, c, SYN_ACK, b"")),
            (2, frame(c, s, ACK, b"")),
            (3, frame(s, c, PSH_ACK, b"SSH-2.0-OpenSSH_9.2\r\n")),
            (4, frame(c, s, PSH_ACK, b"SSH-2.0-PuTTY\r\n")),
            (5, frame(c, s, FIN_ACK, b"")),
            (6, frame(s, c, FIN_ACK, b"")),
        ],
    );
    assert_eq!(log.0[0], "packet opened 10.0.0.1>10.0.0.2:8443");
    assert!(
        log.0.contains(&"service ssh Some(Content)".to_string()),
        "{:?}",
        log.0
    );
    let last = log.0.last().unwrap();
    assert_eq!(last, "ended Closed Closed ssh pkts=[4, 3] bytes=[15, 21]");
    assert_eq!(t.open_conversations(), 0);
}

#[test]
fn refused_and_unanswered_attempts_fail() {
    let mut t = Tracker::new(TrackerConfig::default());
    let log = run(
        &mut t,
        &[
            (0, frame((A, 40000), (B, 23), SYN, b"")),
            (1, frame((B, 23), (A, 40000), RST_ACK, b"")),
            (2, frame((A, 40001), (B, 22), SYN, b"")),
            // Ten seconds later something else happens: the SYN timed out.
            (10_000, frame((A, 40002), (B, 53), None, &[0; 12])),
        ],
    );
    let failed: Vec<&String> = log.0.iter().filter(|l| l.starts_with("failed")).collect();
    assert_eq!(
        failed,
        [
            "failed Rejected 10.0.0.2:23",
            "failed Unanswered 10.0.0.2:22"
        ]
    );
    // The unanswered attempt was reported when it timed out, before the DNS packet.
    let at = |s: &str| log.0.iter().position(|l| l.starts_with(s)).unwrap();
    assert!(at("failed Unanswered") < at("packet opened 10.0.0.1>10.0.0.2:53"));
}

#[test]
fn ftp_data_connections_are_known_by_the_announcement() {
    let mut t = Tracker::new(TrackerConfig::default());
    let (c, ctl, data) = ((A, 41000), (B, 21), (B, 5001));
    let log = run(
        &mut t,
        &[
            (0, frame(c, ctl, SYN, b"")),
            (1, frame(ctl, c, SYN_ACK, b"")),
            (2, frame(ctl, c, PSH_ACK, b"220 vsFTPd 3.0.3 FTP ready\r\n")),
            (3, frame(c, ctl, PSH_ACK, b"PASV\r\n")),
            (
                4,
                frame(
                    ctl,
                    c,
                    PSH_ACK,
                    b"227 Entering Passive Mode (10,0,0,2,19,137).\r\n",
                ),
            ),
            (5, frame((A, 41001), data, SYN, b"")),
            (6, frame(data, (A, 41001), SYN_ACK, b"")),
            (7, frame(data, (A, 41001), PSH_ACK, &[0x42; 1000])),
        ],
    );
    assert!(
        log.0
            .iter()
            .any(|l| l.starts_with("ended EndOfInput Established ftp-data")),
        "{:?}",
        log.0
    );
}

#[test]
fn without_a_handshake_the_service_port_marks_the_server() {
    let mut t = Tracker::new(TrackerConfig::default());
    // A reply from the Modbus server is the first packet seen.
    let reply = [0, 1, 0, 0, 0, 5, 1, 3, 2, 0, 7];
    let log = run(&mut t, &[(0, frame((B, 502), (A, 40000), PSH_ACK, &reply))]);
    assert_eq!(log.0[0], "packet opened 10.0.0.1>10.0.0.2:502");
    assert!(
        log.0.contains(&"service modbus Some(Content)".to_string()),
        "{:?}",
        log.0
    );
}

#[test]
fn the_table_is_bounded_and_ends_the_least_recent() {
    let cfg = TrackerConfig {
        max_conversations: 16,
        ..TrackerConfig::default()
    };
    let mut t = Tracker::new(cfg);
    let frames: Vec<(i64, Vec<u8>)> = (0..100)
        .map(|i| {
            (
                i,
                frame((A, 30000 + i as u16), (B, 161), None, &[0x30, 0, 2, 1, 1]),
            )
        })
        .collect();
    let log = run(&mut t, &frames);
    assert!(t.stats().conversations_evicted >= 84);
    assert_eq!(log.0.iter().filter(|l| l.starts_with("ended")).count(), 100);
}
