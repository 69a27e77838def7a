//! One hand-written decoder per industrial protocol. Each module offers
//! `frame`, which finds the length of the next PDU at the head of a TCP
//! byte stream from its header alone, and `parse`, which decodes one PDU's
//! bytes into a small typed struct without copying them. Every read is
//! bounds-checked; malformed input yields [`Malformed`], never a panic.

pub mod dnp3;
pub mod enip;
pub mod iec104;
pub mod modbus;
pub mod s7comm;

use serde::Serialize;

/// The application protocols Kensa decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Modbus,
    Dnp3,
    S7comm,
    /// S7comm-plus (S7-1200/1500): framed like S7comm (TPKT, COTP) on the
    /// same port, told apart by its protocol id (0x72).
    #[serde(rename = "s7comm-plus")]
    S7commPlus,
    Enip,
    Iec104,
}

impl Protocol {
    pub const ALL: [Protocol; 6] = [
        Protocol::Modbus,
        Protocol::Dnp3,
        Protocol::S7comm,
        Protocol::S7commPlus,
        Protocol::Enip,
        Protocol::Iec104,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Modbus => "modbus",
            Protocol::Dnp3 => "dnp3",
            Protocol::S7comm => "s7comm",
            Protocol::S7commPlus => "s7comm-plus",
            Protocol::Enip => "enip",
            Protocol::Iec104 => "iec104",
        }
    }

    /// The everyday name, for sentences.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Modbus => "Modbus/TCP",
            Protocol::Dnp3 => "DNP3",
            Protocol::S7comm => "S7comm",
            Protocol::S7commPlus => "S7comm-plus",
            Protocol::Enip => "EtherNet/IP",
            Protocol::Iec104 => "IEC 60870-5-104",
        }
    }

    /// The framing a flow of this protocol uses: S7comm-plus PDUs travel in
    /// the same TPKT/COTP stream as S7comm.
    pub fn framing(self) -> Protocol {
        match self {
            Protocol::S7commPlus => Protocol::S7comm,
            p => p,
        }
    }

    /// The protocol's registered TCP port.
    pub fn registered_tcp_port(self) -> u16 {
        match self {
            Protocol::Modbus => 502,
            Protocol::Dnp3 => 20000,
            Protocol::S7comm | Protocol::S7commPlus => 102,
            Protocol::Enip => 44818,
            Protocol::Iec104 => 2404,
        }
    }

    /// The protocol registered on a TCP port.
    pub fn by_tcp_port(port: u16) -> Option<Protocol> {
        match port {
            502 => Some(Protocol::Modbus),
            20000 => Some(Protocol::Dnp3),
            102 => Some(Protocol::S7comm),
            44818 => Some(Protocol::Enip),
            2404 => Some(Protocol::Iec104),
            _ => None,
        }
    }

    /// The protocol registered on a UDP port (2222 is CIP class 0/1 I/O).
    pub fn by_udp_port(port: u16) -> Option<Protocol> {
        match port {
            502 => Some(Protocol::Modbus),
            20000 => Some(Protocol::Dnp3),
            44818 | 2222 => Some(Protocol::Enip),
            _ => None,
        }
    }

    /// Recognises a protocol from the first payload of a flow on an
    /// unregistered port. Each candidate must pass its header check and
    /// frame the payload exactly (whole PDUs, no bytes left over), so that
    /// arbitrary traffic is rarely mistaken for OT.
    pub fn probe(data: &[u8]) -> Option<Protocol> {
        let candidates: [(Protocol, HeaderCheck); 5] = [
            (Protocol::Dnp3, dnp3::looks_like),
            (Protocol::S7comm, s7comm::looks_like),
            (Protocol::Iec104, iec104::looks_like),
            (Protocol::Enip, enip::looks_like),
            (Protocol::Modbus, modbus::looks_like),
        ];
        candidates
            .into_iter()
            .find(|(p, looks_like)| looks_like(data) && p.frames_exactly(data))
            .map(|(p, _)| p)
    }

    /// Whether a PDU of this protocol plausibly starts at the head of
    /// `data` (a full header check; used to find PDU boundaries again after
    /// a capture starts mid-stream or bytes were lost).
    pub fn starts_pdu(self, data: &[u8]) -> bool {
        match self {
            Protocol::Modbus => modbus::looks_like(data),
            Protocol::Dnp3 => dnp3::looks_like(data),
            Protocol::S7comm | Protocol::S7commPlus => s7comm::looks_like(data),
            Protocol::Enip => enip::looks_like(data),
            Protocol::Iec104 => iec104::looks_like(data),
        }
    }

    /// Whether `data` is a sequence of whole PDUs of this protocol.
    pub(crate) fn frames_exactly(self, data: &[u8]) -> bool {
        let mut at = 0;
        while at < data.len() {
            match self.frame(&data[at..]) {
                Frame::Complete(n) => at += n,
                _ => return false,
            }
        }
        !data.is_empty()
    }

    /// Length of the next PDU at the head of a TCP stream.
    pub fn frame(self, data: &[u8]) -> Frame {
        match self {
            Protocol::Modbus => modbus::frame(data),
            Protocol::Dnp3 => dnp3::frame(data),
            Protocol::S7comm | Protocol::S7commPlus => s7comm::frame(data),
            Protocol::Enip => enip::frame(data),
            Protocol::Iec104 => iec104::frame(data),
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A protocol's quick header plausibility check.
type HeaderCheck = fn(&[u8]) -> bool;

/// The outcome of looking for a PDU at the head of a byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// A whole PDU of this many bytes is present.
    Complete(usize),
    /// The header is plausible but more bytes are needed.
    Incomplete,
    /// The bytes cannot start a PDU of this protocol.
    Invalid(&'static str),
}

/// Why a PDU could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub &'static str);

/// A bounds-checked little cursor over a PDU's bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
    pub fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Malformed> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or(Malformed(what))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    pub fn u8(&mut self, what: &'static str) -> Result<u8, Malformed> {
        Ok(self.take(1, what)?[0])
    }
    pub fn be16(&mut self, what: &'static str) -> Result<u16, Malformed> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub fn le16(&mut self, what: &'static str) -> Result<u16, Malformed> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    pub fn le32(&mut self, what: &'static str) -> Result<u32, Malformed> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// Little-endian unsigned integer of 1, 2, 3 or 4 bytes.
    pub fn le_uint(&mut self, size: usize, what: &'static str) -> Result<u32, Malformed> {
        let b = self.take(size, what)?;
        Ok(b.iter().rev().fold(0u32, |acc, &x| (acc << 8) | x as u32))
    }
}
