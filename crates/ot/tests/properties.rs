//! Property tests by deterministic pseudo-random generation and mutation
//! (no extra dependencies, reproducible): no decoder panics on any input,
//! framing never claims more bytes than it was given, encoders round-trip,
//! and the whole pipeline survives corrupted captures.

use std::io::Cursor;

use kensa_ot::decode::{Frame, Protocol, dnp3, enip, iec104, modbus, s7comm};
use kensa_ot::synth::{SynthConfig, write_synthetic};
use kensa_ot::{PipelineConfig, decode_capture};

/// xorshift64*: small, fast and good enough to spread test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
    /// Overwrites a few bytes, sometimes truncates or extends.
    fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        let mut v = seed.to_vec();
        for _ in 0..1 + self.below(4) {
            if !v.is_empty() {
                let i = self.below(v.len());
                v[i] = self.next() as u8;
            }
        }
        match self.below(4) {
            0 => v.truncate(self.below(v.len() + 1)),
            1 => {
                let n = self.below(8);
                v.extend(self.bytes(n));
            }
            _ => {}
        }
        v
    }
}

/// Valid PDUs of every protocol, as mutation seeds.
fn seeds() -> Vec<(Protocol, Vec<u8>)> {
    let dnp3_read = dnp3::build_link_frame(
        0xc4,
        10,
        1,
        &[
            0xc0, 0xc0, 0x01, 60, 2, 0x06, 60, 3, 0x06, 30, 2, 0x00, 0, 3,
        ],
    );
    let mut dnp3_resp = vec![0xc0, 0xc0, 0x81, 0, 0, 30, 2, 0x00, 0, 2];
    dnp3_resp.extend_from_slice(&[1, 0, 0, 1, 0, 0, 1, 0, 0, 70, 3, 0x5b, 1, 4, 0, 1, 2, 3, 4]);
    let dnp3_resp = dnp3::build_link_frame(0x44, 1, 10, &dnp3_resp);
    let s7 = vec![
        3, 0, 0, 25, 2, 0xf0, 0x80, 0x32, 1, 0, 0, 0, 0, 0, 8, 0, 0, 0xf0, 0, 0, 1, 0, 1, 1, 0xe0,
    ];
    let s7plus = vec![
        3, 0, 0, 18, 2, 0xf0, 0x80, 0x72, 3, 0, 7, 0x31, 0, 0, 0x04, 0xf2, 0, 0,
    ];
    let mut enip = vec![
        0x6f, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let cpf = [
        0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0xb2, 0, 14, 0, 0x0a, 2, 0x20, 2, 0x24, 1, 2, 0, 6, 0,
        0x0e, 1, 0x20, 1,
    ];
    enip.extend_from_slice(&cpf);
    let len = (enip.len() - 24) as u16;
    enip[2..4].copy_from_slice(&len.to_le_bytes());
    let iec = vec![
        0x68, 26, 2, 0, 4, 0, 13, 2, 3, 0, 1, 0, 1, 0, 0, 0, 0, 0x80, 0x3f, 0, 2, 0, 0, 0, 0, 0x80,
        0x3f, 0,
    ];
    let modbus = vec![0, 7, 0, 0, 0, 13, 1, 23, 0, 1, 0, 2, 0, 3, 0, 1, 2, 0, 9];
    vec![
        (Protocol::Dnp3, dnp3_read),
        (Protocol::Dnp3, dnp3_resp),
        (Protocol::S7comm, s7),
        (Protocol::S7commPlus, s7plus),
        (Protocol::Enip, enip),
        (Protocol::Iec104, iec),
        (Protocol::Modbus, modbus),
    ]
}

/// Runs every entry point of one protocol's decoder on `data`.
fn exercise(protocol: Protocol, data: &[u8]) {
    if let Frame::Complete(n) = protocol.frame(data) {
        assert!(
            n <= data.len(),
            "{protocol} framed {n} bytes of {}",
            data.len()
        );
    }
    let _ = Protocol::probe(data);
    match protocol {
        Protocol::Modbus => {
            let _ = modbus::parse(data, false);
            let _ = modbus::parse(data, true);
        }
        Protocol::Dnp3 => {
            if let Ok(link) = dnp3::parse_link(data) {
                let mut r = dnp3::Reassembler::default();
                if let dnp3::Reassembled::Fragment(f) = r.push(link.user_data()) {
                    let mut objects = Vec::new();
                    let _ = dnp3::parse_app(f, &mut objects);
                }
            }
            let mut objects = Vec::new();
            let _ = dnp3::parse_app(data, &mut objects);
        }
        Protocol::S7comm | Protocol::S7commPlus => {
            if let Ok(c) = s7comm::parse_cotp(data) {
                let _ = s7comm::parse(c.payload);
            }
            let _ = s7comm::parse(data);
        }
        Protocol::Enip => {
            let _ = enip::parse(data, &mut Vec::new());
            let _ = enip::parse_io(data);
        }
        Protocol::Iec104 => {
            let _ = iec104::parse(data, &mut Vec::new());
        }
    }
}

#[test]
fn decoders_never_panic_or_overread_on_random_bytes() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let len = rng.below(300);
        let data = rng.bytes(len);
        for p in Protocol::ALL {
            exercise(p, &data);
        }
    }
}

#[test]
fn decoders_never_panic_on_mutated_valid_pdus() {
    let mut rng = Rng(42);
    let seeds = seeds();
    for (protocol, seed) in &seeds {
        // Every seed decodes cleanly before mutation.
        assert_eq!(
            protocol.frame(seed),
            Frame::Complete(seed.len()),
            "{protocol} seed"
        );
        assert!(
            Protocol::probe(seed).is_some(),
            "{protocol} seed not recognised"
        );
    }
    for _ in 0..20_000 {
        let (protocol, seed) = &seeds[rng.below(seeds.len())];
        exercise(*protocol, &rng.mutate(seed));
    }
}

#[test]
fn dnp3_link_frames_round_trip_through_crc_blocks() {
    let mut rng = Rng(7);
    for len in 0..=250 {
        let user = rng.bytes(len);
        let (dst, src) = (rng.next() as u16, rng.next() as u16);
        let frame = dnp3::build_link_frame(0x44, dst, src, &user);
        assert_eq!(dnp3::frame(&frame), Frame::Complete(frame.len()));
        let link = dnp3::parse_link(&frame).unwrap();
        assert_eq!(
            (link.user_data(), link.dst, link.src),
            (user.as_slice(), dst, src)
        );
        // Any single flipped bit is caught by a CRC (or the header checks).
        let mut bad = frame.clone();
        let i = rng.below(bad.len());
        bad[i] ^= 1 << rng.below(8);
        assert!(
            dnp3::parse_link(&bad).is_err() || dnp3::frame(&bad) != Frame::Complete(frame.len())
        );
    }
}

#[test]
fn pipeline_survives_corrupted_captures() {
    let mut capture = Vec::new();
    write_synthetic(
        &mut capture,
        SynthConfig {
            target_bytes: 150_000,
            sessions: 8,
        },
    )
    .unwrap();
    let mut rng = Rng(1234);
    for round in 0..40 {
        let mut bad = capture.clone();
        // Leave the file header mostly intact so packets are reached.
        for _ in 0..1 + rng.below(200) {
            let i = 24 + rng.below(bad.len() - 24);
            bad[i] = rng.next() as u8;
        }
        if round % 4 == 0 {
            bad.truncate(24 + rng.below(bad.len() - 24));
        }
        let mut events = 0u64;
        if let Ok(stats) = decode_capture(Cursor::new(&bad), PipelineConfig::default(), &mut |_| {
            events += 1
        }) {
            assert_eq!(events, stats.total_pdus() + stats.total_malformed());
        }
    }
}
