//! EtherNet/IP: the 24-byte encapsulation header, the Common Packet Format
//! (CPF) items of SendRRData/SendUnitData, and the CIP message inside them
//! (service, and the class/instance/attribute of the request path). Class
//! 0/1 I/O on UDP 2222 is CPF without the encapsulation header.

use serde::Serialize;

use super::{Frame, Malformed, Reader};

const HEADER_LEN: usize = 24;
pub const CMD_SEND_RR_DATA: u16 = 0x6f;
pub const CMD_SEND_UNIT_DATA: u16 = 0x70;
/// Encapsulation commands of the CIP specification, volume 2.
const COMMANDS: [u16; 10] = [0x00, 0x04, 0x63, 0x64, 0x65, 0x66, 0x6f, 0x70, 0x72, 0x73];
const ITEM_CONNECTED_ADDRESS: u16 = 0x00a1;
const ITEM_SEQUENCED_ADDRESS: u16 = 0x8002;
const ITEM_CONNECTED_DATA: u16 = 0x00b1;
const ITEM_UNCONNECTED_DATA: u16 = 0x00b2;
/// CPF items read per message; real messages have two to four.
const MAX_ITEMS: u16 = 16;

pub fn frame(data: &[u8]) -> Frame {
    if data.len() < HEADER_LEN {
        return Frame::Incomplete;
    }
    let command = u16::from_le_bytes([data[0], data[1]]);
    if !COMMANDS.contains(&command) {
        return Frame::Invalid("unknown EtherNet/IP encapsulation command");
    }
    let len = HEADER_LEN + u16::from_le_bytes([data[2], data[3]]) as usize;
    if data.len() < len {
        Frame::Incomplete
    } else {
        Frame::Complete(len)
    }
}

/// A whole message with a known command and zero options.
pub fn looks_like(data: &[u8]) -> bool {
    matches!(frame(data), Frame::Complete(_)) && data[20..24] == [0, 0, 0, 0]
}

/// Services a Multiple Service Packet may bundle (listed, not the cap on parsing).
pub const MAX_EMBEDDED: usize = 64;
const SERVICE_MULTIPLE: u8 = 0x0a;

/// One CIP request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct CipMessage {
    /// Service code with the response bit cleared.
    pub service: u8,
    pub is_response: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Enip<'a> {
    /// Encapsulation command; `None` for class 0/1 I/O datagrams.
    pub command: Option<u16>,
    /// Encapsulation data length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u16>,
    pub session_handle: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u32>,
    /// CIP service code with the response bit (0x80) cleared.
    pub cip_service: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cip_is_response: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cip_class: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cip_instance: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cip_attribute: Option<u32>,
    /// General status of a CIP response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cip_status: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<u32>,
    /// Connected data sequence count, or the I/O sequenced-address sequence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u32>,
    /// I/O data length (class 0/1 datagrams).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub io_data_length: Option<u16>,
    /// The services inside a Multiple Service Packet.
    #[serde(skip_serializing_if = "<[CipMessage]>::is_empty")]
    pub embedded: &'a [CipMessage],
}

/// Decodes one encapsulated message (TCP, or UDP 44818). The services of a
/// Multiple Service Packet are written into `embedded` (cleared first).
pub fn parse<'a>(msg: &[u8], embedded: &'a mut Vec<CipMessage>) -> Result<Enip<'a>, Malformed> {
    embedded.clear();
    let mut r = Reader::new(msg);
    let command = r.le16("encapsulation command")?;
    let length = r.le16("encapsulation length")? as usize;
    let session_handle = r.le32("session handle")?;
    let status = r.le32("encapsulation status")?;
    r.take(12, "sender context and options")?;
    let body = r.take(length, "encapsulation data")?;
    let mut e = Enip {
        command: Some(command),
        length: Some(length as u16),
        session_handle: Some(session_handle),
        status: Some(status),
        ..Enip::default()
    };
    if matches!(command, CMD_SEND_RR_DATA | CMD_SEND_UNIT_DATA) && !body.is_empty() {
        let mut b = Reader::new(body);
        b.take(6, "interface handle and timeout")?;
        parse_cpf(&mut b, &mut e, Some(embedded))?;
    }
    e.embedded = embedded;
    Ok(e)
}

/// Decodes a class 0/1 I/O datagram (UDP 2222): CPF items only.
pub fn parse_io(datagram: &[u8]) -> Result<Enip<'static>, Malformed> {
    let mut e = Enip::default();
    parse_cpf(&mut Reader::new(datagram), &mut e, None)?;
    Ok(e)
}

/// Reads the CPF items. `embedded` is `None` for I/O datagrams, whose
/// connected data item is application data rather than a CIP message.
fn parse_cpf(
    r: &mut Reader<'_>,
    e: &mut Enip<'_>,
    embedded: Option<&mut Vec<CipMessage>>,
) -> Result<(), Malformed> {
    let mut embedded = embedded;
    let count = r.le16("CPF item count")?;
    if count > MAX_ITEMS {
        return Err(Malformed("CPF item count above 16"));
    }
    for _ in 0..count {
        let item_type = r.le16("CPF item type")?;
        let len = r.le16("CPF item length")? as usize;
        let data = r.take(len, "CPF item data")?;
        let mut d = Reader::new(data);
        match item_type {
            ITEM_CONNECTED_ADDRESS => e.connection_id = Some(d.le32("connection id")?),
            ITEM_SEQUENCED_ADDRESS => {
                e.connection_id = Some(d.le32("connection id")?);
                e.sequence = Some(d.le32("sequence number")?);
            }
            ITEM_CONNECTED_DATA => match embedded.as_deref_mut() {
                Some(list) => {
                    e.sequence = Some(d.le16("connected sequence count")? as u32);
                    set_cip(e, parse_cip(d.rest(), list)?);
                }
                None => e.io_data_length = Some(len as u16),
            },
            ITEM_UNCONNECTED_DATA => {
                if let Some(list) = embedded.as_deref_mut() {
                    set_cip(e, parse_cip(data, list)?);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn set_cip(e: &mut Enip<'_>, m: CipMessage) {
    e.cip_service = Some(m.service);
    e.cip_is_response = Some(m.is_response);
    e.cip_class = m.class;
    e.cip_instance = m.instance;
    e.cip_attribute = m.attribute;
    e.cip_status = m.status;
}

/// Decodes a CIP message; a Multiple Service Packet's services go to `embedded`.
fn parse_cip(msg: &[u8], embedded: &mut Vec<CipMessage>) -> Result<CipMessage, Malformed> {
    let mut r = Reader::new(msg);
    let service = r.u8("CIP service")?;
    let mut m = CipMessage {
        service: service & 0x7f,
        is_response: service & 0x80 != 0,
        ..CipMessage::default()
    };
    if m.is_response {
        r.u8("CIP reserved")?;
        m.status = Some(r.u8("CIP general status")?);
        let extra_words = r.u8("CIP additional status size")? as usize;
        r.take(extra_words * 2, "CIP additional status")?;
    } else {
        let words = r.u8("CIP path size")? as usize;
        let path = r.take(words * 2, "CIP request path")?;
        parse_path(path, &mut m);
    }
    if m.service == SERVICE_MULTIPLE && embedded.is_empty() {
        parse_multiple(r.rest(), embedded);
    }
    Ok(m)
}

/// A Multiple Service Packet's data: a count, that many offsets (from the
/// count field), and the embedded messages. Malformed entries are skipped.
fn parse_multiple(data: &[u8], embedded: &mut Vec<CipMessage>) {
    let mut r = Reader::new(data);
    let Ok(count) = r.le16("service count") else {
        return;
    };
    let mut nested = Vec::new();
    for _ in 0..(count as usize).min(MAX_EMBEDDED) {
        let Ok(offset) = r.le16("service offset") else {
            return;
        };
        let Some(body) = data.get(offset as usize..) else {
            continue;
        };
        // Nested Multiple Service Packets are not expanded further.
        if let Ok(m) = parse_cip(body, &mut nested) {
            embedded.push(m);
        }
    }
}

/// Reads the logical class, instance and attribute segments of an EPATH;
/// stops at the first segment type it does not step over.
fn parse_path(path: &[u8], e: &mut CipMessage) {
    let mut r = Reader::new(path);
    while let Ok(seg) = r.u8("path segment") {
        let value = match seg & 0x03 {
            0 if seg & 0xe0 == 0x20 => r.u8("8-bit segment").map(u32::from),
            1 if seg & 0xe0 == 0x20 => r
                .u8("pad")
                .and_then(|_| r.le16("16-bit segment"))
                .map(u32::from),
            2 if seg & 0xe0 == 0x20 => r.u8("pad").and_then(|_| r.le32("32-bit segment")),
            _ if seg == 0x91 => {
                // ANSI extended symbol: length, name, pad to even.
                let Ok(n) = r.u8("symbol length") else { return };
                if r.take(n as usize + (n as usize & 1), "symbol").is_err() {
                    return;
                }
                continue;
            }
            _ => return,
        };
        let Ok(value) = value else { return };
        match seg & 0x1c {
            0x00 => e.class = Some(value),
            0x04 => e.instance = Some(value),
            0x10 => e.attribute = Some(value),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encap(command: u16, body: &[u8]) -> Vec<u8> {
        let mut m = command.to_le_bytes().to_vec();
        m.extend_from_slice(&(body.len() as u16).to_le_bytes());
        m.extend_from_slice(&0x1102_0100u32.to_le_bytes());
        m.extend_from_slice(&[0; 16]);
        m.extend_from_slice(body);
        m
    }

    #[test]
    fn decodes_a_get_attribute_single_request_path() {
        let cip = [0x0e, 3, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07];
        let mut body = vec![0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0xb2, 0];
        body.push(cip.len() as u8);
        body.push(0);
        body.extend_from_slice(&cip);
        let m = encap(CMD_SEND_RR_DATA, &body);
        assert_eq!(frame(&m), Frame::Complete(m.len()));
        assert!(looks_like(&m));
        let mut embedded = Vec::new();
        let e = parse(&m, &mut embedded).unwrap();
        assert_eq!(e.command, Some(0x6f));
        assert_eq!(e.session_handle, Some(0x1102_0100));
        assert_eq!(
            (e.cip_service, e.cip_class, e.cip_instance, e.cip_attribute),
            (Some(0x0e), Some(1), Some(1), Some(7))
        );
    }

    #[test]
    fn a_response_clears_the_response_bit() {
        let cip = [0x8e, 0, 0, 0, 0x2a];
        let mut body = vec![0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0xb2, 0, 5, 0];
        body.extend_from_slice(&cip);
        let mut embedded = Vec::new();
        let e = parse(&encap(CMD_SEND_RR_DATA, &body), &mut embedded).unwrap();
        assert_eq!(
            (e.cip_service, e.cip_is_response, e.cip_status),
            (Some(0x0e), Some(true), Some(0))
        );
    }
}
