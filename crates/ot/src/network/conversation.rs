//! One conversation: a TCP connection, a UDP flow or an ICMP exchange
//! between two endpoints, with who started it, what service it carries,
//! how much went each way and when, and how a TCP connection fared.

use std::net::IpAddr;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::Endpoint;
use crate::oui::{Mac, format_mac};
use crate::service::{self, Evidence, Service};
use crate::window::Volume;

/// The transport of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetProto {
    Tcp,
    Udp,
    Icmp,
    /// Another IP protocol (IGMP, OSPF, VRRP, GRE, ESP...), by number.
    Ip(u8),
}

impl NetProto {
    pub fn of(proto: u8) -> NetProto {
        match proto {
            6 => NetProto::Tcp,
            17 => NetProto::Udp,
            1 | 58 => NetProto::Icmp,
            p => NetProto::Ip(p),
        }
    }

    pub fn name(self) -> String {
        match self {
            NetProto::Tcp => "tcp".into(),
            NetProto::Udp => "udp".into(),
            NetProto::Icmp => "icmp".into(),
            NetProto::Ip(p) => format!("ip-{p}"),
        }
    }
}

/// How a TCP connection went (UDP and ICMP conversations are `Exchange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnState {
    /// SYN sent, no answer yet.
    Attempt,
    /// The server answered the SYN with a reset, or an ICMP error came back.
    Rejected,
    /// No answer within the attempt timeout.
    Unanswered,
    /// The handshake completed.
    Established,
    /// The capture began after the handshake.
    Midstream,
    /// Closed by FIN or RST after it was established.
    Closed,
    /// A datagram exchange (UDP, ICMP, other IP).
    Exchange,
}

impl ConnState {
    /// A connection attempt that did not succeed.
    pub fn failed(self) -> bool {
        matches!(self, ConnState::Rejected | ConnState::Unanswered)
    }
}

#[derive(Debug, Clone)]
pub struct Conversation {
    pub proto: NetProto,
    /// The side that started it (SYN sender, first sender, echo requester).
    pub client: Endpoint,
    pub server: Endpoint,
    pub client_mac: Option<Mac>,
    pub server_mac: Option<Mac>,
    pub service: Option<Service>,
    pub evidence: Option<Evidence>,
    pub state: ConnState,
    pub first_frame: u64,
    pub first_ts: i64,
    pub last_frame: u64,
    pub last_ts: i64,
    /// [client to server, server to client].
    pub packets: [u64; 2],
    /// IP bytes on the wire, per direction.
    pub bytes: [u64; 2],
    /// Transport payload bytes, per direction.
    pub payload_bytes: [u64; 2],
    /// The destination is a broadcast or multicast address.
    pub to_group: bool,
    /// Bytes (both ways) in the last ten seconds, and the most seen.
    pub recent: Volume,
    pub recent_bytes: u64,
    pub peak_bytes_10s: u64,
    /// The service was settled (first payload seen, or the conversation ended).
    pub(crate) settled: bool,
    pub(crate) probes_left: u8,
    /// FIN seen from [client, server].
    pub(crate) fins: [bool; 2],
}

impl Conversation {
    pub fn new(proto: NetProto, client: Endpoint, server: Endpoint, frame: u64, ts: i64) -> Self {
        let tcp = proto == NetProto::Tcp;
        let service = match proto {
            NetProto::Tcp | NetProto::Udp => service::by_port(tcp, server.port),
            NetProto::Icmp => Some(Service::Icmp),
            NetProto::Ip(_) => None,
        };
        Conversation {
            proto,
            client,
            server,
            client_mac: None,
            server_mac: None,
            evidence: service.map(|_| Evidence::Port),
            service,
            state: if tcp {
                ConnState::Midstream
            } else {
                ConnState::Exchange
            },
            first_frame: frame,
            first_ts: ts,
            last_frame: frame,
            last_ts: ts,
            packets: [0; 2],
            bytes: [0; 2],
            payload_bytes: [0; 2],
            to_group: is_group(server.ip),
            recent: Volume::default(),
            recent_bytes: 0,
            peak_bytes_10s: 0,
            settled: !matches!(proto, NetProto::Tcp | NetProto::Udp),
            probes_left: 4,
            fins: [false; 2],
        }
    }

    pub fn total_bytes(&self) -> u64 {
        self.bytes[0] + self.bytes[1]
    }

    pub fn total_packets(&self) -> u64 {
        self.packets[0] + self.packets[1]
    }

    /// The service's name, or `tcp/4444` for one not recognised.
    pub fn service_key(&self) -> String {
        service_key(self.service, self.proto, self.server.port)
    }

    /// The server answered at least once.
    pub fn answered(&self) -> bool {
        self.packets[1] > 0
    }
}

/// Where operating systems pick ephemeral ports (Linux from 32768, IANA
/// and Windows from 49152): a server there is most likely an application's
/// dynamic data channel, not a service of its own.
pub const EPHEMERAL_PORTS: u16 = 32768;

/// A service's name, or `transport/port` when none was recognised
/// (`tcp/ephemeral` for an unrecognised server in the ephemeral range).
pub fn service_key(service: Option<Service>, proto: NetProto, port: u16) -> String {
    match (service, proto) {
        (Some(s), _) => s.name().to_string(),
        (None, NetProto::Tcp | NetProto::Udp) if port >= EPHEMERAL_PORTS => {
            format!("{}/ephemeral", proto.name())
        }
        (None, NetProto::Tcp | NetProto::Udp) => format!("{}/{port}", proto.name()),
        (None, p) => p.name(),
    }
}

/// Broadcast (limited, or a /24's .255), multicast, or unspecified.
pub fn is_group(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_broadcast() || v4.is_multicast() || v4.is_unspecified() || v4.octets()[3] == 255
        }
        IpAddr::V6(v6) => v6.is_multicast() || v6.is_unspecified(),
    }
}

/// The JSON of a conversation record (`kensa ot conversations`).
impl Serialize for Conversation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("first_frame", &self.first_frame)?;
        m.serialize_entry("first_ts", &(self.first_ts as f64 / 1e9))?;
        m.serialize_entry("last_ts", &(self.last_ts as f64 / 1e9))?;
        m.serialize_entry("transport", &self.proto.name())?;
        m.serialize_entry("client_ip", &self.client.ip)?;
        m.serialize_entry("client_port", &self.client.port)?;
        m.serialize_entry("server_ip", &self.server.ip)?;
        m.serialize_entry("server_port", &self.server.port)?;
        if let Some(mac) = &self.client_mac {
            m.serialize_entry("client_mac", &format_mac(mac))?;
        }
        if let Some(mac) = &self.server_mac {
            m.serialize_entry("server_mac", &format_mac(mac))?;
        }
        m.serialize_entry("service", &self.service)?;
        m.serialize_entry("recognised_by", &self.evidence)?;
        m.serialize_entry("state", &self.state)?;
        m.serialize_entry("packets_to_server", &self.packets[0])?;
        m.serialize_entry("packets_to_client", &self.packets[1])?;
        m.serialize_entry("bytes_to_server", &self.bytes[0])?;
        m.serialize_entry("bytes_to_client", &self.bytes[1])?;
        m.serialize_entry("duration_s", &((self.last_ts - self.first_ts) as f64 / 1e9))?;
        m.serialize_entry("peak_bytes_10s", &self.peak_bytes_10s)?;
        if self.to_group {
            m.serialize_entry("to_group", &true)?;
        }
        m.end()
    }
}
