//! What the pipeline reports: one [`Event`] per application PDU (or per
//! malformed one), with where and when it was seen.

use std::net::IpAddr;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

pub use crate::decode::Protocol;
use crate::decode::s7comm::{S7comm, S7commPlus};
use crate::decode::{dnp3::Dnp3, enip::Enip, iec104::Iec104, modbus::Modbus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

/// `10.0.0.1:502`, `[fe80::1]:502`.
impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::net::SocketAddr::new(self.ip, self.port).fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Tcp,
    Udp,
}

/// The decoded content. Borrowed parts (DNP3 object headers, IEC 104
/// addresses) live in the pipeline's reusable buffers, so an event is only
/// valid inside the callback that receives it.
#[derive(Debug, Clone, Copy)]
pub enum EventKind<'a> {
    Modbus(Modbus),
    Dnp3(Dnp3<'a>),
    S7comm(S7comm),
    S7commPlus(S7commPlus),
    Enip(Enip<'a>),
    Iec104(Iec104<'a>),
    /// A PDU of `protocol` that could not be framed or decoded.
    Malformed {
        reason: &'static str,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// 1-based number of the packet that completed the PDU.
    pub frame: u64,
    pub ts_nanos: i64,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub transport: Transport,
    /// The PDU travels from the client (connection initiator, or the side
    /// without the protocol's registered port) to the server.
    pub to_server: bool,
    pub protocol: Protocol,
    pub kind: EventKind<'a>,
}

impl Event<'_> {
    pub fn is_malformed(&self) -> bool {
        matches!(self.kind, EventKind::Malformed { .. })
    }

    /// Timestamp in seconds since the epoch.
    pub fn ts_secs(&self) -> f64 {
        self.ts_nanos as f64 / 1e9
    }
}

/// The JSON Lines shape: `frame`, `ts`, `src_ip`, `src_port`, `dst_ip`,
/// `dst_port`, `transport`, `to_server`, `protocol`, then an object under the protocol's
/// name (or under `malformed` with the reason).
impl Serialize for Event<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(10))?;
        m.serialize_entry("frame", &self.frame)?;
        m.serialize_entry("ts", &self.ts_secs())?;
        m.serialize_entry("src_ip", &self.src.ip)?;
        m.serialize_entry("src_port", &self.src.port)?;
        m.serialize_entry("dst_ip", &self.dst.ip)?;
        m.serialize_entry("dst_port", &self.dst.port)?;
        m.serialize_entry("transport", &self.transport)?;
        m.serialize_entry("to_server", &self.to_server)?;
        m.serialize_entry("protocol", &self.protocol)?;
        match &self.kind {
            EventKind::Modbus(v) => m.serialize_entry("modbus", v)?,
            EventKind::Dnp3(v) => m.serialize_entry("dnp3", v)?,
            EventKind::S7comm(v) => m.serialize_entry("s7comm", v)?,
            EventKind::S7commPlus(v) => m.serialize_entry("s7comm-plus", v)?,
            EventKind::Enip(v) => m.serialize_entry("enip", v)?,
            EventKind::Iec104(v) => m.serialize_entry("iec104", v)?,
            EventKind::Malformed { reason } => {
                m.serialize_entry("malformed", &Reason { reason })?
            }
        }
        m.end()
    }
}

#[derive(Serialize)]
struct Reason<'a> {
    reason: &'a str,
}
