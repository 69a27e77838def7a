//! Every captured frame as the network sees it, parsed once for the
//! analyses that look beyond the industrial PDUs: Ethernet addresses, ARP,
//! other (non-IP) EtherTypes, and for IP the addresses, transport ports,
//! TCP flags and sizes, ICMP types (with the flow an ICMP error quotes).
//! Conversation tracking, inventory, baselines and detection read this;
//! the decoders keep their own path through [`crate::pipeline`].

use std::net::{IpAddr, Ipv4Addr};

use crate::capture::{Packet, linktype};
use crate::ip::{self, IpSkip, PROTO_TCP, PROTO_UDP};
use crate::link::{self, LinkSkip};
use crate::oui::Mac;

pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const PROTO_ICMP: u8 = 1;
pub const PROTO_ICMPV6: u8 = 58;

#[derive(Debug, Clone, Copy)]
pub struct FrameView<'a> {
    /// 1-based packet number, as [`crate::Event::frame`].
    pub frame: u64,
    pub ts_nanos: i64,
    /// Bytes on the wire (the capture may hold fewer).
    pub wire_len: u32,
    pub src_mac: Option<Mac>,
    pub dst_mac: Option<Mac>,
    pub kind: FrameKind<'a>,
}

#[derive(Debug, Clone, Copy)]
pub enum FrameKind<'a> {
    Arp(Arp),
    Ip(IpView<'a>),
    /// A well-formed frame of another EtherType (LLDP, GOOSE, PROFINET...).
    OtherEthertype(u16),
    /// IP fragments after the first, and frames too short to read.
    Unreadable,
}

/// An Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    /// 1 request, 2 reply.
    pub op: u16,
    pub sender_mac: Mac,
    pub sender_ip: Ipv4Addr,
    pub target_mac: Mac,
    pub target_ip: Ipv4Addr,
}

impl Arp {
    /// A host states its own binding: a reply, or a gratuitous request
    /// (sender and target address equal). Probes from 0.0.0.0 state none.
    pub fn claims_binding(&self) -> bool {
        !self.sender_ip.is_unspecified() && (self.op == 2 || self.sender_ip == self.target_ip)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct IpView<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    /// IP payload bytes on the wire (headers of the transport included).
    pub len: u32,
    pub l4: L4<'a>,
}

#[derive(Debug, Clone, Copy)]
pub enum L4<'a> {
    Tcp {
        src_port: u16,
        dst_port: u16,
        flags: u8,
        payload: &'a [u8],
    },
    Udp {
        src_port: u16,
        dst_port: u16,
        payload: &'a [u8],
    },
    Icmp(Icmp),
    Other,
}

/// The parts of an ICMP/ICMPv6 message conversation tracking needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmp {
    pub icmp_type: u8,
    pub code: u8,
    /// Echo request/reply identifier (to tell ping sessions apart).
    pub echo_id: Option<u16>,
    /// Destination unreachable: the flow of the datagram it quotes
    /// (protocol, source, destination, source port, destination port).
    pub unreachable: Option<Quoted>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoted {
    pub proto: u8,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
}

impl Icmp {
    pub fn is_echo_request(&self, v6: bool) -> bool {
        self.icmp_type == if v6 { 128 } else { 8 }
    }
}

/// Parses one captured packet. Never fails: what cannot be read is
/// [`FrameKind::Unreadable`].
pub fn view<'a>(frame: u64, pkt: &Packet<'a>) -> FrameView<'a> {
    let (src_mac, dst_mac) = if pkt.link_type == linktype::ETHERNET && pkt.data.len() >= 14 {
        let mac = |at: usize| -> Mac { pkt.data[at..at + 6].try_into().expect("6 bytes") };
        (Some(mac(6)), Some(mac(0)))
    } else {
        (None, None)
    };
    FrameView {
        frame,
        ts_nanos: pkt.ts_nanos,
        wire_len: pkt.origlen,
        src_mac,
        dst_mac,
        kind: kind(pkt),
    }
}

fn kind<'a>(pkt: &Packet<'a>) -> FrameKind<'a> {
    let net = match link::parse(pkt.link_type, pkt.data) {
        Ok(n) => n,
        Err(LinkSkip::NotIp(ETHERTYPE_ARP)) => {
            return arp(link_payload(pkt)).map_or(FrameKind::Unreadable, FrameKind::Arp);
        }
        Err(LinkSkip::NotIp(t)) if t != 0 => return FrameKind::OtherEthertype(t),
        Err(_) => return FrameKind::Unreadable,
    };
    match ip::parse(net.ethertype, net.payload) {
        Ok(p) => FrameKind::Ip(ip_view(&p)),
        Err(IpSkip::Fragment | IpSkip::Truncated | IpSkip::Malformed) => FrameKind::Unreadable,
    }
}

/// The ARP payload of a frame (after any VLAN tags).
fn link_payload<'a>(pkt: &Packet<'a>) -> &'a [u8] {
    match pkt.link_type {
        linktype::LINUX_SLL => return pkt.data.get(16..).unwrap_or(&[]),
        linktype::LINUX_SLL2 => return pkt.data.get(20..).unwrap_or(&[]),
        _ => {}
    }
    let mut at = 12;
    while let Some(t) = pkt.data.get(at..at + 2) {
        if matches!(u16::from_be_bytes([t[0], t[1]]), 0x8100 | 0x88a8 | 0x9100) {
            at += 4;
        } else {
            break;
        }
    }
    pkt.data.get(at + 2..).unwrap_or(&[])
}

fn arp(b: &[u8]) -> Option<Arp> {
    // Ethernet hardware (1), IPv4 protocol, 6- and 4-byte addresses.
    if b.len() < 28 || b[0..2] != [0, 1] || b[2..4] != [8, 0] || b[4] != 6 || b[5] != 4 {
        return None;
    }
    let ip4 = |at: usize| Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3]);
    Some(Arp {
        op: u16::from_be_bytes([b[6], b[7]]),
        sender_mac: b[8..14].try_into().ok()?,
        sender_ip: ip4(14),
        target_mac: b[18..24].try_into().ok()?,
        target_ip: ip4(24),
    })
}

fn ip_view<'a>(p: &ip::IpPacket<'a>) -> IpView<'a> {
    let l4 = match p.proto {
        PROTO_TCP => ip::tcp(p.payload).map_or(L4::Other, |s| L4::Tcp {
            src_port: s.src_port,
            dst_port: s.dst_port,
            flags: s.flags,
            payload: s.payload,
        }),
        PROTO_UDP => ip::udp(p.payload).map_or(L4::Other, |d| L4::Udp {
            src_port: d.src_port,
            dst_port: d.dst_port,
            payload: d.payload,
        }),
        PROTO_ICMP | PROTO_ICMPV6 => {
            icmp(p.payload, p.proto == PROTO_ICMPV6).map_or(L4::Other, L4::Icmp)
        }
        _ => L4::Other,
    };
    IpView {
        src: p.src,
        dst: p.dst,
        proto: p.proto,
        len: p.wire_len as u32,
        l4,
    }
}

fn icmp(b: &[u8], v6: bool) -> Option<Icmp> {
    let (&icmp_type, &code) = (b.first()?, b.get(1)?);
    let echo = if v6 {
        matches!(icmp_type, 128 | 129)
    } else {
        matches!(icmp_type, 0 | 8)
    };
    let echo_id = echo
        .then(|| b.get(4..6).map(|i| u16::from_be_bytes([i[0], i[1]])))
        .flatten();
    let unreachable_type = if v6 { 1 } else { 3 };
    let unreachable = (icmp_type == unreachable_type)
        .then(|| quoted(b.get(8..)?, v6))
        .flatten();
    Some(Icmp {
        icmp_type,
        code,
        echo_id,
        unreachable,
    })
}

/// The IP header and first transport bytes an ICMP error quotes.
fn quoted(b: &[u8], v6: bool) -> Option<Quoted> {
    let ethertype = if v6 {
        link::ETHERTYPE_IPV6
    } else {
        link::ETHERTYPE_IPV4
    };
    // The quote is usually cut short: read the header, not the lengths.
    let (src, dst, proto, rest) = if v6 {
        let h = b.get(..40)?;
        let src: [u8; 16] = h[8..24].try_into().ok()?;
        let dst: [u8; 16] = h[24..40].try_into().ok()?;
        (IpAddr::from(src), IpAddr::from(dst), h[6], &b[40..])
    } else {
        let p = ip::parse(ethertype, b).ok().filter(|_| b.len() >= 20)?;
        let ihl = (b[0] & 0x0f) as usize * 4;
        (p.src, p.dst, p.proto, b.get(ihl..)?)
    };
    let ports = rest.get(..4).map(|r| {
        (
            u16::from_be_bytes([r[0], r[1]]),
            u16::from_be_bytes([r[2], r[3]]),
        )
    });
    let (src_port, dst_port) = ports.unwrap_or((0, 0));
    Some(Quoted {
        proto,
        src,
        dst,
        src_port,
        dst_port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&[0, 0x0e, 0x8c, 1, 2, 3]);
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn packet(data: &[u8]) -> Packet<'_> {
        Packet {
            ts_nanos: 0,
            link_type: linktype::ETHERNET,
            caplen: data.len() as u32,
            origlen: data.len() as u32,
            interface: 0,
            data,
        }
    }

    #[test]
    fn arp_replies_and_gratuitous_requests_claim_bindings() {
        let mut a = vec![0, 1, 8, 0, 6, 4, 0, 2];
        a.extend_from_slice(&[0, 0x0e, 0x8c, 1, 2, 3, 10, 0, 0, 1]);
        a.extend_from_slice(&[0, 0, 0, 0, 0, 0, 10, 0, 0, 9]);
        let f = eth(ETHERTYPE_ARP, &a);
        let FrameKind::Arp(arp) = view(1, &packet(&f)).kind else {
            panic!("ARP")
        };
        assert_eq!(arp.sender_ip, Ipv4Addr::new(10, 0, 0, 1));
        assert!(arp.claims_binding());
        a[7] = 1; // a request for another address claims nothing
        let FrameKind::Arp(arp) = view(1, &packet(&eth(ETHERTYPE_ARP, &a))).kind else {
            panic!("ARP")
        };
        assert!(!arp.claims_binding());
        let lldp = eth(0x88cc, &[1, 2, 3]);
        assert!(matches!(
            view(1, &packet(&lldp)).kind,
            FrameKind::OtherEthertype(0x88cc)
        ));
    }

    #[test]
    fn icmp_port_unreachable_names_the_quoted_flow() {
        // IPv4 ICMP type 3 code 3 quoting UDP 10.0.0.5:40000 -> 10.0.0.9:161.
        let quoted = [
            0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 5, 10, 0, 0, 9, 0x9c, 0x40, 0, 161,
            0, 20, 0, 0,
        ];
        let mut icmp_msg = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp_msg.extend_from_slice(&quoted);
        let mut ip4 = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 9, 10, 0, 0, 5,
        ];
        let total = (ip4.len() + icmp_msg.len()) as u16;
        ip4[2..4].copy_from_slice(&total.to_be_bytes());
        ip4.extend_from_slice(&icmp_msg);
        let f = eth(0x0800, &ip4);
        let FrameKind::Ip(ipv) = view(1, &packet(&f)).kind else {
            panic!("IP")
        };
        let L4::Icmp(icmp) = ipv.l4 else {
            panic!("ICMP")
        };
        let q = icmp.unreachable.unwrap();
        assert_eq!((q.proto, q.src_port, q.dst_port), (17, 40000, 161));
        assert_eq!(q.dst, IpAddr::from([10, 0, 0, 9]));
    }
}
