//! IPv4 and IPv6 (with extension headers), then the UDP or TCP header.
//! Fragments are counted and skipped: industrial PDUs fit one packet, and
//! reassembling IP fragments would be a second, unbounded buffer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::link::{ETHERTYPE_IPV4, ETHERTYPE_IPV6};

pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;
/// IPv6 extension headers walked before giving up.
const MAX_EXT_HEADERS: usize = 8;

#[derive(Debug, Clone, Copy)]
pub struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub payload: &'a [u8],
    /// The header promised more bytes than were captured (snaplen).
    pub truncated: bool,
    /// Payload length the header declares (what was on the wire).
    pub wire_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpSkip {
    Truncated,
    Malformed,
    Fragment,
}

pub fn parse(ethertype: u16, b: &[u8]) -> Result<IpPacket<'_>, IpSkip> {
    match ethertype {
        ETHERTYPE_IPV4 => ipv4(b),
        ETHERTYPE_IPV6 => ipv6(b),
        _ => Err(IpSkip::Malformed),
    }
}

fn ipv4(b: &[u8]) -> Result<IpPacket<'_>, IpSkip> {
    if b.len() < 20 {
        return Err(IpSkip::Truncated);
    }
    if b[0] >> 4 != 4 {
        return Err(IpSkip::Malformed);
    }
    let ihl = (b[0] & 0x0f) as usize * 4;
    let total = u16::from_be_bytes([b[2], b[3]]) as usize;
    if ihl < 20 || total < ihl {
        return Err(IpSkip::Malformed);
    }
    if b.len() < ihl {
        return Err(IpSkip::Truncated);
    }
    let flags_frag = u16::from_be_bytes([b[6], b[7]]);
    let more_fragments = flags_frag & 0x2000 != 0;
    if more_fragments || flags_frag & 0x1fff != 0 {
        return Err(IpSkip::Fragment);
    }
    // Trim Ethernet padding; keep what was captured when snaplen cut it.
    let end = total.min(b.len());
    Ok(IpPacket {
        src: IpAddr::V4(Ipv4Addr::new(b[12], b[13], b[14], b[15])),
        dst: IpAddr::V4(Ipv4Addr::new(b[16], b[17], b[18], b[19])),
        proto: b[9],
        payload: &b[ihl..end],
        truncated: total > b.len(),
        wire_len: total - ihl,
    })
}

fn ipv6(b: &[u8]) -> Result<IpPacket<'_>, IpSkip> {
    if b.len() < 40 {
        return Err(IpSkip::Truncated);
    }
    if b[0] >> 4 != 6 {
        return Err(IpSkip::Malformed);
    }
    let payload_len = u16::from_be_bytes([b[4], b[5]]) as usize;
    let mut next = b[6];
    let src: [u8; 16] = b[8..24].try_into().map_err(|_| IpSkip::Truncated)?;
    let dst: [u8; 16] = b[24..40].try_into().map_err(|_| IpSkip::Truncated)?;
    let end = (40 + payload_len).min(b.len());
    let truncated = 40 + payload_len > b.len();
    let mut at = 40;
    for _ in 0..MAX_EXT_HEADERS {
        let len = match next {
            // Hop-by-hop, routing, destination options: (len + 1) * 8 bytes.
            0 | 43 | 60 => (*b.get(at + 1).ok_or(IpSkip::Truncated)? as usize + 1) * 8,
            44 => {
                let frag = b.get(at + 2..at + 4).ok_or(IpSkip::Truncated)?;
                let offset_and_more = u16::from_be_bytes([frag[0], frag[1]]);
                if offset_and_more & 0xfff9 != 0 {
                    return Err(IpSkip::Fragment);
                }
                8
            }
            // Authentication header: (len + 2) * 4 bytes.
            51 => (*b.get(at + 1).ok_or(IpSkip::Truncated)? as usize + 2) * 4,
            _ => break,
        };
        next = *b.get(at).ok_or(IpSkip::Truncated)?;
        at += len;
    }
    if at > end {
        return Err(IpSkip::Truncated);
    }
    Ok(IpPacket {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        proto: next,
        payload: &b[at..end],
        truncated,
        wire_len: (40 + payload_len).saturating_sub(at),
    })
}

#[derive(Debug, Clone, Copy)]
pub struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: &'a [u8],
    /// Header length, to compute the on-the-wire payload of a cut packet.
    pub header_len: usize,
}

pub const TCP_FIN: u8 = 0x01;
pub const TCP_SYN: u8 = 0x02;
pub const TCP_RST: u8 = 0x04;
pub const TCP_ACK: u8 = 0x10;

pub fn tcp(b: &[u8]) -> Result<TcpSegment<'_>, IpSkip> {
    if b.len() < 20 {
        return Err(IpSkip::Truncated);
    }
    let data_offset = (b[12] >> 4) as usize * 4;
    if data_offset < 20 {
        return Err(IpSkip::Malformed);
    }
    let payload = b.get(data_offset..).ok_or(IpSkip::Truncated)?;
    Ok(TcpSegment {
        src_port: u16::from_be_bytes([b[0], b[1]]),
        dst_port: u16::from_be_bytes([b[2], b[3]]),
        seq: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        ack: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        flags: b[13],
        payload,
        header_len: data_offset,
    })
}

#[derive(Debug, Clone, Copy)]
pub struct UdpDatagram<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
}

pub fn udp(b: &[u8]) -> Result<UdpDatagram<'_>, IpSkip> {
    if b.len() < 8 {
        return Err(IpSkip::Truncated);
    }
    let len = u16::from_be_bytes([b[4], b[5]]) as usize;
    // Length 0 is legal for jumbograms; otherwise trust it, bounded by capture.
    let end = if len >= 8 { len.min(b.len()) } else { b.len() };
    Ok(UdpDatagram {
        src_port: u16::from_be_bytes([b[0], b[1]]),
        dst_port: u16::from_be_bytes([b[2], b[3]]),
        payload: &b[8..end],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_fragments_are_skipped_and_padding_trimmed() {
        let mut p = vec![
            0x45, 0, 0, 21, 0, 0, 0x20, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0xaa, 0, 0,
        ];
        assert_eq!(ipv4(&p).unwrap_err(), IpSkip::Fragment);
        p[6] = 0x40; // DF only
        let ip = ipv4(&p).unwrap();
        assert_eq!(ip.payload, &[0xaa]);
        assert!(!ip.truncated);
    }

    #[test]
    fn ipv6_walks_extension_headers() {
        let mut p = vec![0x60, 0, 0, 0, 0, 10, 0 /* hop-by-hop */, 64];
        p.extend_from_slice(&[0; 32]);
        p.extend_from_slice(&[PROTO_UDP, 0, 0, 0, 0, 0, 0, 0, 0xbb, 0xcc]);
        let ip = ipv6(&p).unwrap();
        assert_eq!(ip.proto, PROTO_UDP);
        assert_eq!(ip.payload, &[0xbb, 0xcc]);
    }
}
