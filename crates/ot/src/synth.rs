//! Synthetic captures: a classic pcap of Modbus/TCP and DNP3 sessions with
//! known PDU counts, for benchmarks and for end-to-end tests of framing
//! and reassembly (PDUs are sometimes split over two segments, sometimes
//! two to a segment).

use std::io::{self, Write};
use std::net::Ipv4Addr;

use crate::decode::dnp3::build_link_frame;

/// A minimal classic-pcap writer (microsecond timestamps, Ethernet).
pub struct PcapWriter<W: Write> {
    out: W,
    pub packets: u64,
    pub bytes: u64,
}

impl<W: Write> PcapWriter<W> {
    pub fn new(mut out: W, link_type: u32) -> io::Result<Self> {
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        out.write_all(&2u16.to_le_bytes())?;
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&[0; 8])?;
        out.write_all(&65535u32.to_le_bytes())?;
        out.write_all(&link_type.to_le_bytes())?;
        Ok(Self {
            out,
            packets: 0,
            bytes: 24,
        })
    }

    pub fn write_packet(&mut self, ts_micros: u64, data: &[u8]) -> io::Result<()> {
        self.out
            .write_all(&((ts_micros / 1_000_000) as u32).to_le_bytes())?;
        self.out
            .write_all(&((ts_micros % 1_000_000) as u32).to_le_bytes())?;
        self.out.write_all(&(data.len() as u32).to_le_bytes())?;
        self.out.write_all(&(data.len() as u32).to_le_bytes())?;
        self.out.write_all(data)?;
        self.packets += 1;
        self.bytes += 16 + data.len() as u64;
        Ok(())
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// Ethernet + IPv4 + TCP (flags PSH|ACK) around `payload`. Checksums are
/// left zero: decoders do not verify them.
pub fn tcp_packet(
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    seq: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = Vec::with_capacity(54 + payload.len());
    p.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
    let total = (40 + payload.len()) as u16;
    p.extend_from_slice(&[0x45, 0]);
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    p.extend_from_slice(&src.0.octets());
    p.extend_from_slice(&dst.0.octets());
    p.extend_from_slice(&src.1.to_be_bytes());
    p.extend_from_slice(&dst.1.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(payload);
    p
}

#[derive(Debug, Clone, Copy)]
pub struct SynthConfig {
    /// Stop once the capture reaches about this many bytes.
    pub target_bytes: u64,
    /// Concurrent sessions (half Modbus, half DNP3).
    pub sessions: u16,
}

/// What was written: the decoder should report exactly `pdus` PDUs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SynthSummary {
    pub packets: u64,
    pub bytes: u64,
    pub modbus_pdus: u64,
    pub dnp3_pdus: u64,
}

struct Session {
    client: (Ipv4Addr, u16),
    server: (Ipv4Addr, u16),
    client_seq: u32,
    server_seq: u32,
    dnp3: bool,
    round: u32,
}

pub fn write_synthetic<W: Write>(out: W, cfg: SynthConfig) -> io::Result<SynthSummary> {
    let mut w = PcapWriter::new(out, crate::capture::linktype::ETHERNET)?;
    let mut summary = SynthSummary::default();
    let mut sessions: Vec<Session> = (0..cfg.sessions.max(1))
        .map(|i| {
            let dnp3 = i % 2 == 1;
            Session {
                client: (Ipv4Addr::new(10, 0, (i >> 8) as u8, i as u8), 40000 + i),
                server: (
                    Ipv4Addr::new(10, 1, 0, (i % 50) as u8 + 1),
                    if dnp3 { 20000 } else { 502 },
                ),
                client_seq: 1000 + i as u32 * 7919,
                server_seq: 5000 + i as u32 * 104_729,
                dnp3,
                round: 0,
            }
        })
        .collect();
    let mut ts = 1_700_000_000_000_000u64;
    'outer: loop {
        for s in sessions.iter_mut() {
            if w.bytes >= cfg.target_bytes {
                break 'outer;
            }
            ts += 250;
            let (request, response, n) = if s.dnp3 {
                dnp3_exchange(s.round)
            } else {
                modbus_exchange(s.round)
            };
            send(
                &mut w,
                ts,
                s.client,
                s.server,
                &mut s.client_seq,
                &request,
                s.round,
            )?;
            send(
                &mut w,
                ts + 100,
                s.server,
                s.client,
                &mut s.server_seq,
                &response,
                s.round,
            )?;
            if s.dnp3 {
                summary.dnp3_pdus += n;
            } else {
                summary.modbus_pdus += n;
            }
            s.round += 1;
        }
    }
    summary.packets = w.packets;
    summary.bytes = w.bytes;
    w.into_inner().flush()?;
    Ok(summary)
}

/// Sends a stream chunk; every fifth round splits it over two segments.
fn send<W: Write>(
    w: &mut PcapWriter<W>,
    ts: u64,
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    seq: &mut u32,
    bytes: &[u8],
    round: u32,
) -> io::Result<()> {
    let cut = if round % 5 == 4 {
        bytes.len() / 2
    } else {
        bytes.len()
    };
    for part in [&bytes[..cut], &bytes[cut..]] {
        if part.is_empty() {
            continue;
        }
        w.write_packet(ts, &tcp_packet(src, dst, *seq, 0x18, part))?;
        *seq = seq.wrapping_add(part.len() as u32);
    }
    Ok(())
}

/// A Read Holding Registers request/response; every third round two
/// transactions share each segment. Returns (request bytes, response
/// bytes, PDUs in both).
fn modbus_exchange(round: u32) -> (Vec<u8>, Vec<u8>, u64) {
    let per_segment = if round % 3 == 2 { 2 } else { 1 };
    let (mut req, mut resp) = (Vec::new(), Vec::new());
    for k in 0..per_segment {
        let tid = (round * 2 + k) as u16;
        let quantity: u16 = 10;
        req.extend_from_slice(&tid.to_be_bytes());
        req.extend_from_slice(&[0, 0, 0, 6, 1, 3, 0, 100]);
        req.extend_from_slice(&quantity.to_be_bytes());
        resp.extend_from_slice(&tid.to_be_bytes());
        resp.extend_from_slice(&[0, 0, 0, 3 + 2 * quantity as u8, 1, 3, 2 * quantity as u8]);
        resp.extend((0..quantity).flat_map(|v| (v + round as u16).to_be_bytes()));
    }
    (req, resp, 2 * per_segment as u64)
}

/// A class 0 READ and a response of analog and binary inputs that spans
/// two link frames (two transport segments). Returns link-frame counts.
fn dnp3_exchange(round: u32) -> (Vec<u8>, Vec<u8>, u64) {
    let seq = (round & 0x0f) as u8;
    let tseq = (round & 0x3f) as u8;
    let req = build_link_frame(0xc4, 10, 1, &[0xc0 | tseq, 0xc0 | seq, 0x01, 60, 1, 0x06]);
    // Response: g30v2 points 0..=79 (3 bytes each) then g1v2 points 0..=19:
    // 274 bytes, more than one transport segment (249) holds.
    let mut app = vec![0xc0 | seq, 0x81, 0, 0, 30, 2, 0x00, 0, 79];
    app.extend((0..80u8).flat_map(|v| [0x01, v, round as u8]));
    app.extend_from_slice(&[1, 2, 0x00, 0, 19]);
    app.extend(std::iter::repeat_n(0x81, 20));
    let (first, second) = app.split_at(249);
    let mut resp = build_link_frame(0x44, 1, 10, &[[0x40 | tseq].as_slice(), first].concat());
    resp.extend(build_link_frame(
        0x44,
        1,
        10,
        &[[0x80 | ((tseq + 1) & 0x3f)].as_slice(), second].concat(),
    ));
    (req, resp, 3)
}
