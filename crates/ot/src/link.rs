//! Link-layer headers: Ethernet (with any stack of 802.1Q/802.1ad tags),
//! Linux cooked capture v1 and v2, BSD loopback, and raw IP.

use crate::capture::linktype;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
/// VLAN tags accepted on one frame before giving up.
const MAX_VLAN_TAGS: usize = 8;

/// The network-layer payload of a frame.
#[derive(Debug, Clone, Copy)]
pub struct Network<'a> {
    pub ethertype: u16,
    /// Outermost VLAN id, if the frame was tagged.
    pub vlan: Option<u16>,
    pub payload: &'a [u8],
}

/// Why a frame carries no IP packet we can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSkip {
    UnsupportedLinkType(u32),
    Truncated,
    /// Well-formed, but not IPv4/IPv6 (ARP, LLDP, GOOSE, 802.3 frames...).
    NotIp(u16),
}

pub fn parse(link_type: u32, frame: &[u8]) -> Result<Network<'_>, LinkSkip> {
    let net = match link_type {
        linktype::ETHERNET => ethernet(frame)?,
        linktype::LINUX_SLL => fixed(frame, 16, 14)?,
        linktype::LINUX_SLL2 => fixed(frame, 20, 0)?,
        linktype::NULL | linktype::LOOP => loopback(frame)?,
        linktype::RAW | linktype::RAW_BSD | linktype::RAW_BSD14 => raw(frame)?,
        linktype::IPV4 => with_type(ETHERTYPE_IPV4, frame),
        linktype::IPV6 => with_type(ETHERTYPE_IPV6, frame),
        other => return Err(LinkSkip::UnsupportedLinkType(other)),
    };
    match net.ethertype {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Ok(net),
        other => Err(LinkSkip::NotIp(other)),
    }
}

fn with_type(ethertype: u16, payload: &[u8]) -> Network<'_> {
    Network {
        ethertype,
        vlan: None,
        payload,
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn ethernet(frame: &[u8]) -> Result<Network<'_>, LinkSkip> {
    let mut ethertype = be16(frame, 12).ok_or(LinkSkip::Truncated)?;
    let mut at = 14;
    let mut vlan = None;
    for _ in 0..MAX_VLAN_TAGS {
        if !matches!(
            ethertype,
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD
        ) {
            break;
        }
        let tci = be16(frame, at).ok_or(LinkSkip::Truncated)?;
        vlan.get_or_insert(tci & 0x0fff);
        ethertype = be16(frame, at + 2).ok_or(LinkSkip::Truncated)?;
        at += 4;
    }
    Ok(Network {
        ethertype,
        vlan,
        payload: &frame[at..],
    })
}

/// SLL puts the protocol type at byte 14 of a 16-byte header; SLL2 at byte 0
/// of a 20-byte header.
fn fixed(frame: &[u8], header: usize, type_at: usize) -> Result<Network<'_>, LinkSkip> {
    let ethertype = be16(frame, type_at).ok_or(LinkSkip::Truncated)?;
    let payload = frame.get(header..).ok_or(LinkSkip::Truncated)?;
    Ok(with_type(ethertype, payload))
}

/// BSD loopback: a 4-byte address family in the writer's byte order.
fn loopback(frame: &[u8]) -> Result<Network<'_>, LinkSkip> {
    let payload = frame.get(4..).ok_or(LinkSkip::Truncated)?;
    raw(payload)
}

/// Raw IP: the version nibble says which.
fn raw(packet: &[u8]) -> Result<Network<'_>, LinkSkip> {
    let first = *packet.first().ok_or(LinkSkip::Truncated)?;
    let ethertype = match first >> 4 {
        4 => ETHERTYPE_IPV4,
        6 => ETHERTYPE_IPV6,
        _ => return Err(LinkSkip::NotIp(0)),
    };
    Ok(with_type(ethertype, packet))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_a_double_vlan_stack() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[
            0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x08, 0x00, 0x45,
        ]);
        let n = parse(linktype::ETHERNET, &f).unwrap();
        assert_eq!(n.ethertype, ETHERTYPE_IPV4);
        assert_eq!(n.vlan, Some(10));
        assert_eq!(n.payload, &[0x45]);
    }

    #[test]
    fn sll2_and_sll_find_the_protocol() {
        let mut sll2 = vec![0x86, 0xdd];
        sll2.resize(20, 0);
        sll2.push(0x60);
        assert_eq!(
            parse(linktype::LINUX_SLL2, &sll2).unwrap().ethertype,
            ETHERTYPE_IPV6
        );
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x08, 0x00, 0x45]);
        assert_eq!(parse(linktype::LINUX_SLL, &sll).unwrap().payload, &[0x45]);
    }

    #[test]
    fn arp_and_short_frames_are_skipped_not_panics() {
        let mut arp = vec![0u8; 12];
        arp.extend_from_slice(&[0x08, 0x06]);
        assert_eq!(
            parse(linktype::ETHERNET, &arp).unwrap_err(),
            LinkSkip::NotIp(0x0806)
        );
        assert_eq!(
            parse(linktype::ETHERNET, &[0; 5]).unwrap_err(),
            LinkSkip::Truncated
        );
        assert_eq!(
            parse(999, &[]).unwrap_err(),
            LinkSkip::UnsupportedLinkType(999)
        );
    }
}
