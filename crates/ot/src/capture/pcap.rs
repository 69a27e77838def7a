//! Classic libpcap files: a 24-byte global header, then 16-byte record
//! headers each followed by the captured bytes.

use std::io::Read;

use super::{CaptureError, Endian, MAX_RECORD_BYTES, Packet, read_full};

const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;

pub(super) fn is_magic(m: [u8; 4]) -> bool {
    let le = u32::from_le_bytes(m);
    let be = u32::from_be_bytes(m);
    [le, be]
        .iter()
        .any(|&v| v == MAGIC_MICROS || v == MAGIC_NANOS)
}

pub struct PcapReader<R: Read> {
    input: R,
    endian: Endian,
    nanos: bool,
    link_type: u32,
    offset: u64,
    buf: Vec<u8>,
}

impl<R: Read> PcapReader<R> {
    pub(super) fn after_magic(mut input: R, magic: [u8; 4]) -> Result<Self, CaptureError> {
        let (endian, value) = if matches!(u32::from_le_bytes(magic), MAGIC_MICROS | MAGIC_NANOS) {
            (Endian::Little, u32::from_le_bytes(magic))
        } else {
            (Endian::Big, u32::from_be_bytes(magic))
        };
        let mut rest = [0u8; 20];
        if read_full(&mut input, &mut rest)? < rest.len() {
            return Err(CaptureError::TruncatedHeader {
                what: "pcap file header (24 bytes)",
            });
        }
        // The FCS/flags bits share the link-type word in newer files.
        let link_type = endian.u32(&rest[16..20]) & 0x0fff_ffff;
        Ok(Self {
            input,
            endian,
            nanos: value == MAGIC_NANOS,
            link_type,
            offset: 24,
            buf: Vec::new(),
        })
    }

    pub fn link_type(&self) -> u32 {
        self.link_type
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        let mut hdr = [0u8; 16];
        let got = read_full(&mut self.input, &mut hdr)?;
        if got == 0 {
            return Ok(None);
        }
        if got < hdr.len() {
            return Err(CaptureError::Truncated {
                offset: self.offset,
            });
        }
        let e = self.endian;
        let secs = e.u32(&hdr[0..4]) as i64;
        let frac = e.u32(&hdr[4..8]) as i64;
        let caplen = e.u32(&hdr[8..12]);
        let origlen = e.u32(&hdr[12..16]);
        if caplen as usize > MAX_RECORD_BYTES {
            return Err(CaptureError::Corrupt {
                what: "pcap record",
                offset: self.offset,
                detail: format!("captured length {caplen} exceeds {MAX_RECORD_BYTES}"),
            });
        }
        let record_offset = self.offset;
        self.offset += 16;
        self.buf.resize(caplen as usize, 0);
        if read_full(&mut self.input, &mut self.buf)? < caplen as usize {
            return Err(CaptureError::Truncated {
                offset: record_offset,
            });
        }
        self.offset += caplen as u64;
        let ts_nanos = secs * 1_000_000_000 + if self.nanos { frac } else { frac * 1000 };
        Ok(Some(Packet {
            ts_nanos,
            link_type: self.link_type,
            caplen,
            origlen: origlen.max(caplen),
            interface: 0,
            data: &self.buf,
        }))
    }
}
