//! Modbus/TCP: a 7-byte MBAP header (transaction id, protocol id 0, length,
//! unit id) followed by the PDU (function code and data).

use serde::Serialize;

use super::{Frame, Malformed, Reader};

const MBAP_LEN: usize = 7;
/// MBAP length counts the unit id and the PDU (at most 253 bytes).
const MAX_LENGTH_FIELD: usize = 254;

/// Function codes defined by the Modbus application protocol v1.1b3.
const KNOWN_FUNCTIONS: [u8; 19] = [
    1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43,
];

pub fn frame(data: &[u8]) -> Frame {
    if data.len() < 6 {
        return Frame::Incomplete;
    }
    if data[2] != 0 || data[3] != 0 {
        return Frame::Invalid("MBAP protocol id is not 0");
    }
    let len = u16::from_be_bytes([data[4], data[5]]) as usize;
    if !(2..=MAX_LENGTH_FIELD).contains(&len) {
        return Frame::Invalid("MBAP length outside 2..=254");
    }
    if data.len() < 6 + len {
        Frame::Incomplete
    } else {
        Frame::Complete(6 + len)
    }
}

/// A whole MBAP header with a known function code.
pub fn looks_like(data: &[u8]) -> bool {
    matches!(frame(data), Frame::Complete(_))
        && data.len() > MBAP_LEN
        && KNOWN_FUNCTIONS.contains(&(data[MBAP_LEN] & 0x7f))
}

/// The specification's name of a public function code (Zeek's spelling).
pub fn function_name(fc: u8) -> Option<&'static str> {
    Some(match fc {
        1 => "READ_COILS",
        2 => "READ_DISCRETE_INPUTS",
        3 => "READ_HOLDING_REGISTERS",
        4 => "READ_INPUT_REGISTERS",
        5 => "WRITE_SINGLE_COIL",
        6 => "WRITE_SINGLE_REGISTER",
        7 => "READ_EXCEPTION_STATUS",
        8 => "DIAGNOSTICS",
        11 => "GET_COMM_EVENT_COUNTER",
        12 => "GET_COMM_EVENT_LOG",
        15 => "WRITE_MULTIPLE_COILS",
        16 => "WRITE_MULTIPLE_REGISTERS",
        17 => "REPORT_SLAVE_ID",
        20 => "READ_FILE_RECORD",
        21 => "WRITE_FILE_RECORD",
        22 => "MASK_WRITE_REGISTER",
        23 => "READ_WRITE_MULTIPLE_REGISTERS",
        24 => "READ_FIFO_QUEUE",
        43 => "ENCAP_INTERFACE_TRANSPORT",
        _ => return None,
    })
}

/// The specification's name of an exception code.
pub fn exception_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "ILLEGAL_FUNCTION",
        2 => "ILLEGAL_DATA_ADDRESS",
        3 => "ILLEGAL_DATA_VALUE",
        4 => "SLAVE_DEVICE_FAILURE",
        5 => "ACKNOWLEDGE",
        6 => "SLAVE_DEVICE_BUSY",
        8 => "MEMORY_PARITY_ERROR",
        10 => "GATEWAY_PATH_UNAVAILABLE",
        11 => "GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND",
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Modbus {
    pub transaction_id: u16,
    pub unit_id: u8,
    /// The function code with the exception bit (0x80) cleared.
    pub function_code: u8,
    pub exception_code: Option<u8>,
    pub is_response: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u16>,
    /// Written value of a single coil/register write (echoed in the response).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_count: Option<u8>,
    /// Read-Write Multiple Registers (23): the write half.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_address: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_quantity: Option<u16>,
    /// Mask Write Register (22).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub and_mask: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub or_mask: Option<u16>,
    /// Diagnostics (8) sub-function or Encapsulated Interface (43) MEI type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subfunction: Option<u16>,
}

/// Decodes one framed Modbus/TCP ADU. `is_response` comes from the
/// direction (server to client), since requests and responses share codes.
pub fn parse(adu: &[u8], is_response: bool) -> Result<Modbus, Malformed> {
    let mut r = Reader::new(adu);
    let transaction_id = r.be16("MBAP header")?;
    r.take(4, "MBAP header")?;
    let unit_id = r.u8("MBAP unit id")?;
    let raw_fc = r.u8("function code")?;
    let mut m = Modbus {
        transaction_id,
        unit_id,
        function_code: raw_fc & 0x7f,
        is_response,
        ..Modbus::default()
    };
    if raw_fc & 0x80 != 0 {
        m.exception_code = Some(r.u8("exception code")?);
        return Ok(m);
    }
    // Fields are optional: a short PDU keeps what it had rather than failing,
    // since devices in the field truncate vendor-specific functions.
    let _ = fill_fields(&mut m, &mut r);
    Ok(m)
}

fn fill_fields(m: &mut Modbus, r: &mut Reader<'_>) -> Result<(), Malformed> {
    match (m.function_code, m.is_response) {
        (1..=4, false) => {
            m.address = Some(r.be16("address")?);
            m.quantity = Some(r.be16("quantity")?);
        }
        (1..=4 | 23 | 12 | 17 | 20 | 21, true) => m.byte_count = Some(r.u8("byte count")?),
        (5 | 6, _) => {
            m.address = Some(r.be16("address")?);
            m.value = Some(r.be16("value")?);
        }
        (15 | 16, false) => {
            m.address = Some(r.be16("address")?);
            m.quantity = Some(r.be16("quantity")?);
            m.byte_count = Some(r.u8("byte count")?);
        }
        (15 | 16, true) => {
            m.address = Some(r.be16("address")?);
            m.quantity = Some(r.be16("quantity")?);
        }
        (22, _) => {
            m.address = Some(r.be16("address")?);
            m.and_mask = Some(r.be16("and mask")?);
            m.or_mask = Some(r.be16("or mask")?);
        }
        (23, false) => {
            m.address = Some(r.be16("read address")?);
            m.quantity = Some(r.be16("read quantity")?);
            m.write_address = Some(r.be16("write address")?);
            m.write_quantity = Some(r.be16("write quantity")?);
            m.byte_count = Some(r.u8("byte count")?);
        }
        (8, _) => m.subfunction = Some(r.be16("sub-function")?),
        (43, _) => m.subfunction = Some(r.u8("MEI type")? as u16),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_parses_a_read_holding_registers_exchange() {
        let req = [0, 7, 0, 0, 0, 6, 1, 3, 0, 10, 0, 2];
        assert_eq!(frame(&req), Frame::Complete(12));
        assert_eq!(frame(&req[..9]), Frame::Incomplete);
        let m = parse(&req, false).unwrap();
        assert_eq!((m.transaction_id, m.unit_id, m.function_code), (7, 1, 3));
        assert_eq!(
            (m.address, m.quantity, m.exception_code),
            (Some(10), Some(2), None)
        );
        let exc = [0, 7, 0, 0, 0, 3, 1, 0x83, 2];
        let m = parse(&exc, true).unwrap();
        assert_eq!(
            (m.function_code, m.exception_code, m.is_response),
            (3, Some(2), true)
        );
    }

    #[test]
    fn rejects_foreign_headers() {
        assert_eq!(
            frame(&[0, 1, 0, 1, 0, 6, 1]),
            Frame::Invalid("MBAP protocol id is not 0")
        );
        assert!(matches!(
            frame(&[0, 1, 0, 0, 0x10, 0, 1]),
            Frame::Invalid(_)
        ));
        assert!(!looks_like(&[0, 1, 0, 0, 0, 2, 1, 99]));
    }
}
