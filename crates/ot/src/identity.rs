//! Device identity that industrial protocols reveal, read from the bytes of
//! one TCP segment or UDP datagram (identity replies are small and in
//! practice never split): Modbus Read Device Identification (function 43,
//! MEI 14), the CIP Identity object (EtherNet/IP ListIdentity replies and
//! Get_Attributes_All on class 1), and S7comm SZL reads (module
//! identification 0x0011, component identification 0x001C).

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::event::Transport;
use crate::observe::PacketView;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// "modbus-mei", "cip-identity", "s7-szl".
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_type: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Order number (S7 MLFB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    /// Firmware or major.minor revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
}

/// Identities read from packets as they pass, per host: replies of one
/// source (several SZL reads) complete each other; at most 8 per host.
#[derive(Debug, Default)]
pub struct IdentityReader {
    pub identities: BTreeMap<IpAddr, Vec<Identity>>,
    /// CIP identity requests awaiting their reply: (client, port, server).
    cip_pending: HashSet<(IpAddr, u16, IpAddr)>,
}

/// Hosts whose identity is kept.
const MAX_IDENTIFIED: usize = 50_000;

impl IdentityReader {
    /// Reads an identity reply in one segment or datagram, if it is one.
    pub fn packet(&mut self, p: &PacketView<'_>) {
        if p.payload.is_empty() {
            return;
        }
        let found = match (p.transport, p.src.port, p.dst.port) {
            (Transport::Tcp, 502, _) => modbus_device_id(p.payload),
            (Transport::Tcp, 102, _) => s7_szl(p.payload),
            (_, 44818, _) => enip_list_identity(p.payload).or_else(|| {
                let key = (p.dst.ip, p.dst.port, p.src.ip);
                if self.cip_pending.remove(&key) {
                    cip_identity_reply(p.payload)
                } else {
                    None
                }
            }),
            (Transport::Tcp, _, 44818) => {
                if is_cip_identity_request(p.payload) && self.cip_pending.len() < 4096 {
                    self.cip_pending.insert((p.src.ip, p.src.port, p.dst.ip));
                }
                None
            }
            _ => None,
        };
        if let Some(id) = found {
            self.add(p.src.ip, id);
        }
    }

    pub fn add(&mut self, ip: IpAddr, id: Identity) {
        if !self.identities.contains_key(&ip) && self.identities.len() >= MAX_IDENTIFIED {
            return;
        }
        let list = self.identities.entry(ip).or_default();
        if let Some(same) = list.iter_mut().find(|i| i.source == id.source) {
            merge(same, id);
        } else if list.len() < 8 {
            list.push(id);
        }
    }

    /// A new capture: requests of the last one get no replies here.
    pub fn new_capture(&mut self) {
        self.cip_pending.clear();
    }
}

/// Fills what `into` lacks from `from`.
pub fn merge(into: &mut Identity, from: Identity) {
    macro_rules! fill {
        ($($f:ident),*) => { $( if into.$f.is_none() { into.$f = from.$f; } )* };
    }
    fill!(
        vendor,
        vendor_id,
        device_type,
        product_code,
        product_name,
        model,
        order_number,
        revision,
        serial
    );
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Printable text of a fixed or counted field, trimmed; `None` when empty.
fn text(b: &[u8]) -> Option<String> {
    let s: String = b
        .iter()
        .map(|&c| {
            if c.is_ascii_graphic() || c == b' ' {
                c as char
            } else {
                ' '
            }
        })
        .collect();
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// A Modbus/TCP Read Device Identification response (function 0x2B, MEI
/// type 0x0E) in `segment`, which must start with the MBAP header.
pub fn modbus_device_id(segment: &[u8]) -> Option<Identity> {
    let len = be16(segment, 4)? as usize;
    let adu = segment.get(..6 + len)?;
    if be16(adu, 2)? != 0 || *adu.get(7)? != 0x2b || *adu.get(8)? != 0x0e {
        return None;
    }
    // read code, conformity, more follows, next object id, object count
    let count = *adu.get(13)? as usize;
    let mut at = 14;
    let mut id = Identity {
        source: "modbus-mei".into(),
        ..Identity::default()
    };
    for _ in 0..count {
        let obj = *adu.get(at)?;
        let n = *adu.get(at + 1)? as usize;
        let value = text(adu.get(at + 2..at + 2 + n)?);
        at += 2 + n;
        match obj {
            0 => id.vendor = value,
            1 => id.product_code = value,
            2 => id.revision = value,
            4 => id.product_name = value,
            5 => id.model = value,
            _ => {}
        }
    }
    (id.vendor.is_some() || id.product_code.is_some()).then_some(id)
}

/// The CIP Identity attributes 1-7 laid out as in Get_Attributes_All and
/// the ListIdentity item: vendor, device type, product code, revision,
/// status, serial, product name (short string).
fn cip_identity_attributes(b: &[u8]) -> Option<Identity> {
    let vendor_id = le16(b, 0)?;
    let device_type = le16(b, 2)?;
    let product_code = le16(b, 4)?;
    let (major, minor) = (*b.get(6)?, *b.get(7)?);
    let serial = le32(b, 10)?;
    let name_len = *b.get(14)? as usize;
    let product_name = b.get(15..15 + name_len).and_then(text);
    Some(Identity {
        source: "cip-identity".into(),
        vendor: cip_vendor_name(vendor_id).map(str::to_string),
        vendor_id: Some(vendor_id),
        device_type: Some(device_type),
        product_code: Some(product_code.to_string()),
        product_name,
        revision: Some(format!("{major}.{minor:03}")),
        serial: Some(format!("{serial:#010x}")),
        ..Identity::default()
    })
}

/// Names of a few ODVA vendor ids (partial, for readability only).
pub fn cip_vendor_name(id: u16) -> Option<&'static str> {
    Some(match id {
        1 => "Rockwell Automation/Allen-Bradley",
        26 => "Festo",
        40 => "WAGO",
        44 => "Phoenix Contact",
        47 => "Omron",
        50 => "Hirschmann",
        58 => "Parker Hannifin",
        90 => "HMS Industrial Networks",
        108 => "Beckhoff Automation",
        161 => "Mitsubishi Electric",
        243 => "Schneider Electric",
        283 => "Hilscher",
        _ => return None,
    })
}

/// An EtherNet/IP ListIdentity reply (command 0x63) at the head of `msg`.
pub fn enip_list_identity(msg: &[u8]) -> Option<Identity> {
    if le16(msg, 0)? != 0x63 || le16(msg, 2)? == 0 {
        return None;
    }
    let body = msg.get(24..24 + le16(msg, 2)? as usize)?;
    let count = le16(body, 0)?;
    if count == 0 || le16(body, 2)? != 0x0c {
        return None;
    }
    let item_len = le16(body, 4)? as usize;
    let item = body.get(6..6 + item_len)?;
    // encapsulation version (2) and socket address (16) precede the attributes
    cip_identity_attributes(item.get(18..)?)
}

/// The CIP reply data of a SendRRData message at the head of `msg`, with
/// the reply's service code, when its general status is success.
fn cip_reply(msg: &[u8]) -> Option<(u8, &[u8])> {
    if le16(msg, 0)? != 0x6f {
        return None;
    }
    let body = msg.get(24..24 + le16(msg, 2)? as usize)?;
    let count = le16(body, 6)?;
    let mut at = 8;
    for _ in 0..count.min(8) {
        let ty = le16(body, at)?;
        let n = le16(body, at + 2)? as usize;
        let data = body.get(at + 4..at + 4 + n)?;
        at += 4 + n;
        if ty == 0xb2 && data.len() >= 4 && data[0] & 0x80 != 0 && data[2] == 0 {
            let extra = data[3] as usize * 2;
            return Some((data[0] & 0x7f, data.get(4 + extra..)?));
        }
    }
    None
}

/// Whether `msg` is a SendRRData request for Get_Attributes_All of
/// Identity instance 1 (path 20 01 24 01).
pub fn is_cip_identity_request(msg: &[u8]) -> bool {
    cip_request(msg).is_some_and(|(svc, path)| svc == 0x01 && path.starts_with(&[0x20, 0x01]))
}

fn cip_request(msg: &[u8]) -> Option<(u8, &[u8])> {
    if le16(msg, 0)? != 0x6f {
        return None;
    }
    let body = msg.get(24..24 + le16(msg, 2)? as usize)?;
    let count = le16(body, 6)?;
    let mut at = 8;
    for _ in 0..count.min(8) {
        let ty = le16(body, at)?;
        let n = le16(body, at + 2)? as usize;
        let data = body.get(at + 4..at + 4 + n)?;
        at += 4 + n;
        if ty == 0xb2 && data.len() >= 2 && data[0] & 0x80 == 0 {
            let words = data[1] as usize;
            return Some((data[0], data.get(2..2 + words * 2)?));
        }
    }
    None
}

/// A Get_Attributes_All reply carrying Identity attributes; the caller
/// pairs it with an [`is_cip_identity_request`] on the same connection.
pub fn cip_identity_reply(msg: &[u8]) -> Option<Identity> {
    let (service, data) = cip_reply(msg)?;
    (service == 0x01).then(|| cip_identity_attributes(data))?
}

/// An S7comm user-data reply to Read SZL (CPU functions, sub-function 1)
/// in `segment` (TPKT + COTP + S7). Reads module identification (SZL id
/// 0x0011/0x0111: order number and firmware) and component identification
/// (0x001C/0x011C: module type name, serial number).
pub fn s7_szl(segment: &[u8]) -> Option<Identity> {
    if *segment.first()? != 3 {
        return None;
    }
    let cotp_len = *segment.get(4)? as usize;
    let s7 = segment.get(5 + cotp_len..)?;
    if *s7.first()? != 0x32 || *s7.get(1)? != 7 {
        return None;
    }
    let param_len = be16(s7, 6)? as usize;
    let params = s7.get(10..10 + param_len)?;
    // type/group 0x84 = response, CPU functions; sub-function 1 = read SZL
    if *params.get(5)? != 0x84 || *params.get(6)? != 0x01 {
        return None;
    }
    let data = s7.get(10 + param_len..)?;
    if *data.first()? != 0xff {
        return None;
    }
    let szl_id = be16(data, 4)? & 0x00ff;
    let rec_len = be16(data, 8)? as usize;
    let count = be16(data, 10)? as usize;
    let mut id = Identity {
        source: "s7-szl".into(),
        vendor: Some("Siemens".into()),
        ..Identity::default()
    };
    for i in 0..count.min(64) {
        let Some(rec) = data.get(12 + i * rec_len..12 + (i + 1) * rec_len) else {
            break;
        };
        let index = be16(rec, 0)?;
        match (szl_id, rec_len, index) {
            (0x11, 28, 1) => id.order_number = text(&rec[2..22]),
            // Firmware record: "V" then major, minor, patch in the version bytes.
            (0x11, 28, 7) if rec[24] == b'V' => {
                id.revision = Some(format!("{}.{}.{}", rec[25], rec[26], rec[27]))
            }
            (0x1c, 34, 2) => id.model = text(&rec[2..26]),
            (0x1c, 34, 5) => id.serial = text(&rec[2..26]),
            (0x1c, 34, 7) => id.product_name = text(&rec[2..34]),
            _ => {}
        }
    }
    (id.order_number.is_some() || id.model.is_some() || id.serial.is_some()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_modbus_device_identification() {
        let mut adu = vec![0, 1, 0, 0, 0, 0, 1, 0x2b, 0x0e, 1, 1, 0, 0, 3];
        for (obj, v) in [(0u8, "Schneider"), (1, "BMX P34"), (2, "v2.8")] {
            adu.push(obj);
            adu.push(v.len() as u8);
            adu.extend_from_slice(v.as_bytes());
        }
        let len = (adu.len() - 6) as u16;
        adu[4..6].copy_from_slice(&len.to_be_bytes());
        let id = modbus_device_id(&adu).unwrap();
        assert_eq!(id.vendor.as_deref(), Some("Schneider"));
        assert_eq!(id.product_code.as_deref(), Some("BMX P34"));
        assert_eq!(id.revision.as_deref(), Some("v2.8"));
        assert!(modbus_device_id(&adu[..adu.len() - 2]).is_none());
    }

    #[test]
    fn reads_cip_identity_attributes() {
        let mut b = vec![1, 0, 14, 0, 0x36, 0, 20, 11, 0x60, 0x30];
        b.extend_from_slice(&0x00c0ffeeu32.to_le_bytes());
        b.push(5);
        b.extend_from_slice(b"1756X");
        let id = cip_identity_attributes(&b).unwrap();
        assert_eq!(id.vendor_id, Some(1));
        assert_eq!(id.product_code.as_deref(), Some("54"));
        assert_eq!(id.revision.as_deref(), Some("20.011"));
        assert_eq!(id.product_name.as_deref(), Some("1756X"));
        assert_eq!(id.serial.as_deref(), Some("0x00c0ffee"));
    }
}
