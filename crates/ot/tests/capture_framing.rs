//! Issue #18: pcapng blocks whose framing is inconsistent (a trailing
//! length that differs from the leading one, options that overrun the
//! block) are counted as malformed and not decoded, and a file too short
//! for its own header says so.

use std::io::Cursor;

use kensa_ot::{CaptureReader, PipelineConfig, decode_capture};

fn block(kind: u32, body: &[u8], trailer: Option<u32>) -> Vec<u8> {
    let total = (12 + body.len()) as u32;
    let mut b = Vec::new();
    b.extend(kind.to_le_bytes());
    b.extend(total.to_le_bytes());
    b.extend(body);
    b.extend(trailer.unwrap_or(total).to_le_bytes());
    b
}

fn shb() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(0x1a2b_3c4du32.to_le_bytes());
    body.extend(1u16.to_le_bytes());
    body.extend(0u16.to_le_bytes());
    body.extend((-1i64).to_le_bytes());
    block(0x0a0d_0d0a, &body, None)
}

fn idb(options: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(1u16.to_le_bytes()); // Ethernet
    body.extend(0u16.to_le_bytes());
    body.extend(65535u32.to_le_bytes());
    body.extend(options);
    block(1, &body, None)
}

/// An Enhanced Packet Block with a 60-byte Ethernet frame.
fn epb(options: &[u8], trailer: Option<u32>) -> Vec<u8> {
    let frame = [0u8; 60];
    let mut body = Vec::new();
    body.extend(0u32.to_le_bytes());
    body.extend(0u32.to_le_bytes());
    body.extend(0u32.to_le_bytes());
    body.extend((frame.len() as u32).to_le_bytes());
    body.extend((frame.len() as u32).to_le_bytes());
    body.extend(frame);
    body.extend(options);
    block(6, &body, trailer)
}

/// An option that claims 64 bytes of value where 4 remain.
const OVERRUN: [u8; 8] = [1, 0, 64, 0, b'a', b'b', b'c', b'd'];

#[test]
fn inconsistent_pcapng_blocks_are_counted_as_malformed() {
    let mut capture = shb();
    capture.extend(idb(&[]));
    capture.extend(epb(&[], None));
    capture.extend(epb(&[], Some(999_996)));
    capture.extend(epb(&OVERRUN, None));
    capture.extend(epb(&[], None));
    let stats =
        decode_capture(Cursor::new(capture), PipelineConfig::default(), &mut |_| {}).unwrap();
    assert_eq!(stats.packets, 2, "the two sound packets only");
    assert_eq!(stats.malformed_blocks, 2);
}

#[test]
fn an_interface_with_overrunning_options_is_kept_and_counted() {
    let mut capture = shb();
    capture.extend(idb(&OVERRUN));
    capture.extend(epb(&[], None));
    let stats =
        decode_capture(Cursor::new(capture), PipelineConfig::default(), &mut |_| {}).unwrap();
    // Interface numbers stay right: the packet on interface 0 is read.
    assert_eq!(stats.packets, 1);
    assert_eq!(stats.malformed_blocks, 1);
}

#[test]
fn a_file_shorter_than_its_header_says_so() {
    for bytes in [
        &b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00"[..],
        &b"\x0a\x0d\x0d\x0a\x1c\x00"[..],
    ] {
        let err = match CaptureReader::new(Cursor::new(bytes.to_vec())) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("a truncated header was accepted"),
        };
        assert!(err.contains("header"), "{err}");
        assert!(!err.contains("inside a record"), "{err}");
    }
}
