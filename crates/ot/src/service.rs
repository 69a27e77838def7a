//! What a conversation carries, recognised by content first and by port
//! second: IT services that intrusions into plants use (file sharing,
//! remote shells and desktops, file transfer, web) and the infrastructure
//! every network has, next to the five industrial protocols. A payload
//! that proves a protocol (an SSH banner, an SMB header, a TLS record, a
//! DNP3 frame with valid CRCs) decides whatever the ports; a port decides
//! only when the content says nothing definite.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Protocol;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    Smb,
    Netbios,
    MsRpc,
    Rdp,
    Vnc,
    Ssh,
    Telnet,
    Ftp,
    FtpData,
    Tftp,
    Http,
    Tls,
    Dns,
    Dhcp,
    Ntp,
    Snmp,
    Printing,
    Icmp,
    Ics(Protocol),
}

/// What a service is for, which says how much it matters near a controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceClass {
    /// Interactive control of a host: SSH, Telnet, RDP, VNC.
    RemoteAccess,
    /// Moving files: SMB, FTP, TFTP.
    FileTransfer,
    Web,
    /// Name, address, time and management services, ICMP.
    Infrastructure,
    Industrial,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Smb => "smb",
            Service::Netbios => "netbios",
            Service::MsRpc => "msrpc",
            Service::Rdp => "rdp",
            Service::Vnc => "vnc",
            Service::Ssh => "ssh",
            Service::Telnet => "telnet",
            Service::Ftp => "ftp",
            Service::FtpData => "ftp-data",
            Service::Tftp => "tftp",
            Service::Http => "http",
            Service::Tls => "tls",
            Service::Dns => "dns",
            Service::Dhcp => "dhcp",
            Service::Ntp => "ntp",
            Service::Snmp => "snmp",
            Service::Printing => "printing",
            Service::Icmp => "icmp",
            Service::Ics(p) => p.name(),
        }
    }

    /// The everyday name, for sentences.
    pub fn label(self) -> &'static str {
        match self {
            Service::Smb => "SMB (Windows file sharing)",
            Service::Netbios => "NetBIOS",
            Service::MsRpc => "Microsoft RPC",
            Service::Rdp => "RDP (remote desktop)",
            Service::Vnc => "VNC (remote desktop)",
            Service::Ssh => "SSH",
            Service::Telnet => "Telnet",
            Service::Ftp => "FTP",
            Service::FtpData => "FTP data transfer",
            Service::Tftp => "TFTP",
            Service::Http => "HTTP",
            Service::Tls => "TLS",
            Service::Dns => "DNS",
            Service::Dhcp => "DHCP",
            Service::Ntp => "NTP",
            Service::Snmp => "SNMP",
            Service::Printing => "printing",
            Service::Icmp => "ICMP",
            Service::Ics(p) => p.label(),
        }
    }

    pub fn class(self) -> ServiceClass {
        match self {
            Service::Ssh | Service::Telnet | Service::Rdp | Service::Vnc => {
                ServiceClass::RemoteAccess
            }
            Service::Smb | Service::Ftp | Service::FtpData | Service::Tftp => {
                ServiceClass::FileTransfer
            }
            Service::Http | Service::Tls => ServiceClass::Web,
            Service::Ics(_) => ServiceClass::Industrial,
            _ => ServiceClass::Infrastructure,
        }
    }

    /// Every service with a name, for parsing.
    const NAMED: [Service; 24] = [
        Service::Smb,
        Service::Netbios,
        Service::MsRpc,
        Service::Rdp,
        Service::Vnc,
        Service::Ssh,
        Service::Telnet,
        Service::Ftp,
        Service::FtpData,
        Service::Tftp,
        Service::Http,
        Service::Tls,
        Service::Dns,
        Service::Dhcp,
        Service::Ntp,
        Service::Snmp,
        Service::Printing,
        Service::Icmp,
        Service::Ics(Protocol::Modbus),
        Service::Ics(Protocol::Dnp3),
        Service::Ics(Protocol::S7comm),
        Service::Ics(Protocol::S7commPlus),
        Service::Ics(Protocol::Enip),
        Service::Ics(Protocol::Iec104),
    ];
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Service {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Service::NAMED
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| format!("unknown service {s:?}"))
    }
}

impl Serialize for Service {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Service {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How sure the recognition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// Only the server's port says so (no payload yet, or nothing definite).
    Port,
    /// The payload proves it.
    Content,
}

/// A payload that proves its protocol, whatever the port. `from_server`:
/// the payload travels from the conversation's server side.
pub fn by_content(tcp: bool, payload: &[u8], from_server: bool) -> Option<Service> {
    if payload.is_empty() {
        return None;
    }
    if let Some(p) = Protocol::probe(payload) {
        // TPKT/COTP is also RDP's framing: its connection request says which.
        return Some(if p.framing() == Protocol::S7comm && is_rdp(payload) {
            Service::Rdp
        } else {
            Service::Ics(p)
        });
    }
    if tcp {
        tcp_content(payload, from_server)
    } else {
        udp_content(payload)
    }
}

fn tcp_content(p: &[u8], from_server: bool) -> Option<Service> {
    if p.starts_with(b"SSH-") {
        return Some(Service::Ssh);
    }
    if p.starts_with(b"RFB 0") {
        return Some(Service::Vnc);
    }
    if is_smb(p) {
        return Some(Service::Smb);
    }
    if is_tls(p) {
        return Some(Service::Tls);
    }
    if is_http(p) {
        return Some(Service::Http);
    }
    if is_telnet(p) {
        return Some(Service::Telnet);
    }
    if is_rdp(p) {
        return Some(Service::Rdp);
    }
    if is_dcerpc(p) {
        return Some(Service::MsRpc);
    }
    if is_netbios_session(p) {
        return Some(Service::Netbios);
    }
    if from_server && is_ftp_banner(p) {
        return Some(Service::Ftp);
    }
    None
}

fn udp_content(p: &[u8]) -> Option<Service> {
    if is_dhcp(p) {
        return Some(Service::Dhcp);
    }
    if is_tftp_request(p) {
        return Some(Service::Tftp);
    }
    None
}

/// The service registered on a server port. Well-known ports of services
/// not listed here give `None` (the conversation is keyed by its port).
pub fn by_port(tcp: bool, port: u16) -> Option<Service> {
    let ics = if tcp {
        Protocol::by_tcp_port(port)
    } else {
        Protocol::by_udp_port(port)
    };
    if let Some(p) = ics {
        return Some(Service::Ics(p));
    }
    Some(match (tcp, port) {
        (true, 445) => Service::Smb,
        (true, 139) | (false, 137 | 138) => Service::Netbios,
        (true, 135) => Service::MsRpc,
        (true, 3389) => Service::Rdp,
        (true, 5900..=5903) => Service::Vnc,
        (true, 22) => Service::Ssh,
        (true, 23) => Service::Telnet,
        (true, 21) => Service::Ftp,
        (true, 20) => Service::FtpData,
        (false, 69) => Service::Tftp,
        (true, 80 | 8080 | 8000) => Service::Http,
        (true, 443 | 8443) => Service::Tls,
        (_, 53) | (false, 5353 | 5355) => Service::Dns,
        (false, 67 | 68 | 546 | 547) => Service::Dhcp,
        (false, 123) => Service::Ntp,
        (false, 161 | 162) => Service::Snmp,
        (true, 515 | 631 | 9100) => Service::Printing,
        _ => return None,
    })
}

/// A sanity check for services known by port only: a payload that plainly
/// is not the port's protocol should not be called by its name.
pub fn port_payload_plausible(service: Service, p: &[u8]) -> bool {
    match service {
        Service::Dns => p.len() >= 12,
        // Time packets are 48 bytes or more; control (6) and private (7)
        // mode messages are shorter.
        Service::Ntp => {
            !p.is_empty() && matches!((p[0] >> 3) & 7, 1..=4) && (p.len() >= 48 || p[0] & 7 >= 6)
        }
        Service::Snmp => p.first() == Some(&0x30),
        _ => true,
    }
}

/// NetBIOS session header (or direct-hosted SMB's) + an SMB1/2/3 header.
fn is_smb(p: &[u8]) -> bool {
    p.len() >= 8 && p[0] == 0 && matches!(&p[4..8], b"\xffSMB" | b"\xfeSMB" | b"\xfdSMB")
}

/// NetBIOS session service: session request, positive/negative response,
/// retarget, keep-alive, with a consistent length.
fn is_netbios_session(p: &[u8]) -> bool {
    if p.len() < 4 || !matches!(p[0], 0x81..=0x85) || p[1] & 0xfe != 0 {
        return false;
    }
    let len = ((p[1] as usize & 1) << 16) | (p[2] as usize) << 8 | p[3] as usize;
    len + 4 == p.len()
}

/// A TLS (or SSL 3) handshake or alert record.
fn is_tls(p: &[u8]) -> bool {
    p.len() >= 6
        && matches!(p[0], 0x15 | 0x16)
        && p[1] == 3
        && p[2] <= 4
        && u16::from_be_bytes([p[3], p[4]]) > 0
}

fn is_http(p: &[u8]) -> bool {
    const METHODS: [&[u8]; 9] = [
        b"GET ",
        b"POST ",
        b"HEAD ",
        b"PUT ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
        b"CONNECT ",
        b"TRACE ",
    ];
    if p.starts_with(b"HTTP/1.") {
        return true;
    }
    if !METHODS.iter().any(|m| p.starts_with(m)) {
        return false;
    }
    let line_end = p
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(p.len().min(2048));
    p[..line_end].windows(7).any(|w| w == b"HTTP/1.")
}

/// Telnet option negotiation: IAC followed by WILL/WONT/DO/DONT.
fn is_telnet(p: &[u8]) -> bool {
    p.len() >= 3 && p[0] == 0xff && matches!(p[1], 0xfb..=0xfe)
}

/// An RDP X.224 connection request or confirm: a routing cookie
/// (`Cookie: mstshash=`), or the RDP negotiation structure that ends the
/// TPDU where S7's connection request ends with its TSAP parameters.
fn is_rdp(p: &[u8]) -> bool {
    if p.len() < 11 || p[0] != 3 || p[1] != 0 || !matches!(p[5] & 0xf0, 0xe0 | 0xd0) {
        return false;
    }
    let cookie = p.windows(7).any(|w| w == b"Cookie:");
    // RDP_NEG_REQ (1), RDP_NEG_RSP (2), RDP_NEG_FAILURE (3): type, flags,
    // length 8 (little-endian), 4 bytes of protocols or failure code.
    let neg = &p[p.len() - 8..];
    let negotiation = p.len() >= 19 && matches!(neg[0], 1..=3) && neg[2..4] == [8, 0];
    cookie || negotiation
}

/// A DCE/RPC connection-oriented PDU header: version 5.0/5.1, a known
/// packet type, little- or big-endian data representation, and a fragment
/// length equal to the payload.
fn is_dcerpc(p: &[u8]) -> bool {
    if p.len() < 16 || p[0] != 5 || p[1] > 1 || p[2] > 20 || !matches!(p[4], 0x10 | 0x00) {
        return false;
    }
    let frag = if p[4] == 0x10 {
        u16::from_le_bytes([p[8], p[9]])
    } else {
        u16::from_be_bytes([p[8], p[9]])
    };
    frag as usize == p.len()
}

/// An FTP server greeting (SMTP and others greet with 220 too).
fn is_ftp_banner(p: &[u8]) -> bool {
    let line = &p[..p
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(p.len())
        .min(256)];
    (line.starts_with(b"220 ") || line.starts_with(b"220-"))
        && line.windows(3).any(|w| w.eq_ignore_ascii_case(b"ftp"))
}

/// BOOTP/DHCP: op 1/2, Ethernet hardware, the magic cookie at 236.
fn is_dhcp(p: &[u8]) -> bool {
    p.len() >= 240 && matches!(p[0], 1 | 2) && p[1] == 1 && p[236..240] == [99, 130, 83, 99]
}

/// A TFTP read or write request: opcode, file name, NUL, mode, NUL.
fn is_tftp_request(p: &[u8]) -> bool {
    if p.len() < 9 || p[0] != 0 || !matches!(p[1], 1 | 2) {
        return false;
    }
    let mut parts = p[2..].split(|&b| b == 0);
    let (Some(name), Some(mode)) = (parts.next(), parts.next()) else {
        return false;
    };
    !name.is_empty()
        && name.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
        && ["octet", "netascii", "mail"]
            .iter()
            .any(|m| mode.eq_ignore_ascii_case(m.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_over_port() {
        assert_eq!(
            by_content(true, b"SSH-2.0-OpenSSH_9.2\r\n", true),
            Some(Service::Ssh)
        );
        let smb = [0, 0, 0, 0x45, 0xff, b'S', b'M', b'B', 0x72, 0];
        assert_eq!(by_content(true, &smb, false), Some(Service::Smb));
        let get = b"GET /index.html HTTP/1.1\r\nHost: plc\r\n\r\n";
        assert_eq!(by_content(true, get, false), Some(Service::Http));
        assert_eq!(by_content(true, b"GET me a coffee", false), None);
        let hello = [0x16, 3, 1, 0, 0x2f, 1];
        assert_eq!(by_content(true, &hello, false), Some(Service::Tls));
        assert_eq!(
            by_content(true, &[0xff, 0xfd, 0x18], true),
            Some(Service::Telnet)
        );
        assert_eq!(
            by_content(true, b"220 ProFTPD Server ready.\r\n", true),
            Some(Service::Ftp)
        );
        assert_eq!(by_content(true, b"220 mail ESMTP Postfix\r\n", true), None);
    }

    #[test]
    fn rdp_and_s7_share_tpkt_but_not_their_connection_requests() {
        // X.224 CR with a routing cookie and an RDP negotiation request.
        let mut rdp = vec![3, 0, 0, 0, 0, 0xe0, 0, 0, 0, 0, 0];
        rdp.extend_from_slice(b"Cookie: mstshash=eltons\r\n");
        rdp.extend_from_slice(&[1, 0, 8, 0, 3, 0, 0, 0]);
        let n = rdp.len();
        rdp[2..4].copy_from_slice(&(n as u16).to_be_bytes());
        rdp[4] = (n - 5) as u8;
        assert_eq!(by_content(true, &rdp, false), Some(Service::Rdp));
        // Without the cookie, the negotiation request alone.
        let bare = [3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0];
        assert_eq!(by_content(true, &bare, false), Some(Service::Rdp));
        // S7's CR: TSAP parameters 0xc1/0xc2, no cookie.
        let s7 = [
            3, 0, 0, 22, 17, 0xe0, 0, 0, 0, 1, 0, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2, 0xc0, 1, 0x0a,
        ];
        assert_eq!(
            by_content(true, &s7, false),
            Some(Service::Ics(Protocol::S7comm))
        );
    }

    #[test]
    fn names_round_trip_and_ports_fall_back() {
        for s in Service::NAMED {
            assert_eq!(s.name().parse::<Service>(), Ok(s));
        }
        assert_eq!(by_port(true, 445), Some(Service::Smb));
        assert_eq!(by_port(true, 502), Some(Service::Ics(Protocol::Modbus)));
        assert_eq!(by_port(false, 161), Some(Service::Snmp));
        assert_eq!(by_port(true, 4444), None);
        assert_eq!(Service::Rdp.class(), ServiceClass::RemoteAccess);
        assert_eq!(Service::Smb.class(), ServiceClass::FileTransfer);
    }
}
