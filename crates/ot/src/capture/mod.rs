//! Streaming capture readers: classic pcap and pcapng, told apart by their
//! first four bytes. Both read from any `Read`, reuse one buffer, and bound
//! every length they read from the file before allocating for it.

mod pcap;
mod pcapng;

use std::io::{self, Read};

pub use pcap::PcapReader;
pub use pcapng::PcapngReader;

/// Largest packet record accepted (the largest snaplen tools write is 256 KiB).
pub const MAX_RECORD_BYTES: usize = 256 * 1024;
/// Largest pcapng block accepted; anything larger is taken as corruption.
pub const MAX_BLOCK_BYTES: usize = 16 * 1024 * 1024;

/// Link-layer header types (LINKTYPE_* values of the tcpdump registry).
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const RAW_BSD: u32 = 12;
    pub const RAW_BSD14: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LINUX_SLL: u32 = 113;
    pub const LOOP: u32 = 108;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

/// One captured packet, borrowing the reader's buffer until the next read.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Capture timestamp, nanoseconds since the Unix epoch.
    pub ts_nanos: i64,
    pub link_type: u32,
    /// Bytes present in the file (`data.len()`).
    pub caplen: u32,
    /// Bytes the packet had on the wire; more than `caplen` when snaplen cut it.
    pub origlen: u32,
    /// pcapng interface index (0 for classic pcap).
    pub interface: u32,
    pub data: &'a [u8],
}

impl Packet<'_> {
    pub fn is_truncated(&self) -> bool {
        self.origlen > self.caplen
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("reading capture: {0}")]
    Io(#[from] io::Error),
    #[error("not a pcap or pcapng file (first bytes {0:02x?})")]
    BadMagic([u8; 4]),
    #[error("capture ends inside a record at byte offset {offset}")]
    Truncated { offset: u64 },
    /// Too short to hold its own file header: nothing was read.
    #[error("capture ends inside its {what} (the file is too short to be a capture)")]
    TruncatedHeader { what: &'static str },
    #[error("{what} at byte offset {offset}: {detail}")]
    Corrupt {
        what: &'static str,
        offset: u64,
        detail: String,
    },
}

impl CaptureError {
    /// A file cut off mid-record (e.g. a capture still being written) is
    /// recoverable: every packet before it was read fine.
    pub fn is_truncation(&self) -> bool {
        matches!(self, CaptureError::Truncated { .. })
    }
}

/// Reads either format; the variant is chosen from the file's magic number.
pub enum CaptureReader<R: Read> {
    Pcap(PcapReader<R>),
    Pcapng(PcapngReader<R>),
}

impl<R: Read> CaptureReader<R> {
    pub fn new(mut input: R) -> Result<Self, CaptureError> {
        let mut magic = [0u8; 4];
        let got = read_full(&mut input, &mut magic)?;
        if got < 4 {
            return Err(CaptureError::BadMagic(magic));
        }
        if pcapng::is_magic(magic) {
            Ok(Self::Pcapng(PcapngReader::after_magic(input, magic)?))
        } else if pcap::is_magic(magic) {
            Ok(Self::Pcap(PcapReader::after_magic(input, magic)?))
        } else {
            Err(CaptureError::BadMagic(magic))
        }
    }

    /// The next packet, `None` at a clean end of file.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        match self {
            Self::Pcap(r) => r.next_packet(),
            Self::Pcapng(r) => r.next_packet(),
        }
    }

    /// Blocks of inconsistent framing skipped (pcapng; 0 for pcap).
    pub fn malformed_blocks(&self) -> u64 {
        match self {
            Self::Pcap(_) => 0,
            Self::Pcapng(r) => r.malformed_blocks(),
        }
    }

    /// Bytes consumed from the input so far.
    pub fn offset(&self) -> u64 {
        match self {
            Self::Pcap(r) => r.offset(),
            Self::Pcapng(r) => r.offset(),
        }
    }
}

/// Fills `buf` as far as the input allows; returns how many bytes were read.
pub(crate) fn read_full<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Byte order of a capture file, fixed by its magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    pub(crate) fn u16(self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        match self {
            Endian::Little => u16::from_le_bytes(a),
            Endian::Big => u16::from_be_bytes(a),
        }
    }
    pub(crate) fn u32(self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        match self {
            Endian::Little => u32::from_le_bytes(a),
            Endian::Big => u32::from_be_bytes(a),
        }
    }
}
