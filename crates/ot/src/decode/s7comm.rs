//! S7comm over ISO-on-TCP: a TPKT header (RFC 1006: version 3, length), a
//! COTP header (ISO 8073), and for COTP data TPDUs the S7comm header
//! (protocol id 0x32) or an S7comm-plus header (protocol id 0x72).

use serde::Serialize;

use super::{Frame, Malformed, Reader};

const TPKT_VERSION: u8 = 3;
const TPKT_LEN: usize = 4;
const COTP_DT: u8 = 0xf0;
const S7COMM_ID: u8 = 0x32;
const S7COMM_PLUS_ID: u8 = 0x72;

pub fn frame(data: &[u8]) -> Frame {
    if data.len() < TPKT_LEN {
        return Frame::Incomplete;
    }
    if data[0] != TPKT_VERSION || data[1] != 0 {
        return Frame::Invalid("not a TPKT header (version 3)");
    }
    let len = u16::from_be_bytes([data[2], data[3]]) as usize;
    if len < TPKT_LEN + 3 {
        return Frame::Invalid("TPKT length below 7");
    }
    if data.len() < len {
        Frame::Incomplete
    } else {
        Frame::Complete(len)
    }
}

/// TPKT with a COTP header whose length fits and whose PDU type is known.
pub fn looks_like(data: &[u8]) -> bool {
    if !matches!(frame(data), Frame::Complete(_) | Frame::Incomplete) || data.len() < 6 {
        return false;
    }
    let cotp_len = data[4] as usize;
    let total = u16::from_be_bytes([data[2], data[3]]) as usize;
    let pdu_type = data[5] & 0xf0;
    cotp_len + 5 <= total
        && matches!(
            pdu_type,
            0xe0 | 0xd0 | 0x80 | 0xc0 | 0xf0 | 0x70 | 0x50 | 0x60 | 0x10 | 0x20
        )
}

/// The COTP layer of one TPKT: its PDU type and, for data TPDUs, the
/// user data and end-of-transmission flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cotp<'a> {
    pub pdu_type: u8,
    /// Last data unit of a TSDU (data TPDUs only).
    pub eot: bool,
    pub payload: &'a [u8],
}

pub fn parse_cotp(tpkt: &[u8]) -> Result<Cotp<'_>, Malformed> {
    let mut r = Reader::new(tpkt);
    r.take(TPKT_LEN, "TPKT header")?;
    let li = r.u8("COTP length indicator")? as usize;
    let header = r.take(li, "COTP header")?;
    let pdu_type = *header.first().ok_or(Malformed("empty COTP header"))? & 0xf0;
    let eot = pdu_type == COTP_DT && header.get(1).is_some_and(|b| b & 0x80 != 0);
    Ok(Cotp {
        pdu_type,
        eot,
        payload: r.rest(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    S7comm,
    S7commPlus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct S7comm {
    pub variant: Variant,
    /// S7comm message type: 1 job, 2 ack, 3 ack-data, 7 user data.
    pub rosctr: Option<u8>,
    /// Job/ack-data: the parameter's function code. User data: the
    /// type-and-group byte (e.g. 0x44, request + CPU functions).
    /// S7comm-plus: the 16-bit function code.
    pub function_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subfunction: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdu_reference: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_class: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u8>,
    /// S7comm-plus protocol version and opcode (request, response, notification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opcode: Option<u8>,
}

/// Decodes an S7comm or S7comm-plus PDU (the COTP user data, reassembled
/// when it spanned several data TPDUs). `None` for other payloads.
pub fn parse(payload: &[u8]) -> Result<Option<S7comm>, Malformed> {
    match payload.first() {
        Some(&S7COMM_ID) => parse_classic(payload).map(Some),
        Some(&S7COMM_PLUS_ID) => parse_plus(payload).map(Some),
        _ => Ok(None),
    }
}

fn parse_classic(p: &[u8]) -> Result<S7comm, Malformed> {
    let mut r = Reader::new(p);
    r.u8("S7comm protocol id")?;
    let rosctr = r.u8("S7comm ROSCTR")?;
    r.take(2, "S7comm redundancy id")?;
    let pdu_reference = r.be16("S7comm PDU reference")?;
    let param_len = r.be16("S7comm parameter length")? as usize;
    let _data_len = r.be16("S7comm data length")?;
    let (error_class, error_code) = if matches!(rosctr, 2 | 3) {
        (
            Some(r.u8("S7comm error class")?),
            Some(r.u8("S7comm error code")?),
        )
    } else {
        (None, None)
    };
    let params = r.take(param_len.min(r.remaining()), "S7comm parameters")?;
    let (function_code, subfunction) = if rosctr == 7 {
        // User data parameter head: 00 01 12, length, method, type|group, sub-function.
        (params.get(5).map(|&b| b as u16), params.get(6).copied())
    } else {
        (params.first().map(|&b| b as u16), None)
    };
    Ok(S7comm {
        variant: Variant::S7comm,
        rosctr: Some(rosctr),
        function_code,
        subfunction,
        pdu_reference: Some(pdu_reference),
        error_class,
        error_code,
        version: None,
        opcode: None,
    })
}

fn parse_plus(p: &[u8]) -> Result<S7comm, Malformed> {
    let mut r = Reader::new(p);
    r.u8("S7comm-plus protocol id")?;
    let version = r.u8("S7comm-plus version")?;
    let _data_len = r.be16("S7comm-plus data length")?;
    // Version 3 integrity-protected PDUs put a digest before the opcode.
    if version == 3 && r.remaining() > 33 && r.data[r.pos] == 0x20 {
        r.take(33, "S7comm-plus integrity digest")?;
    }
    let opcode = r.u8("S7comm-plus opcode").ok();
    // Requests and responses carry reserved(2) then the function code.
    let function_code = match opcode {
        Some(0x31 | 0x32) => {
            r.take(2, "S7comm-plus reserved").ok();
            r.be16("S7comm-plus function").ok()
        }
        _ => None,
    };
    Ok(S7comm {
        variant: Variant::S7commPlus,
        rosctr: None,
        function_code,
        subfunction: None,
        pdu_reference: None,
        error_class: None,
        error_code: None,
        version: Some(version),
        opcode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_setup_communication_job() {
        let pdu = [
            3, 0, 0, 25, 2, 0xf0, 0x80, // TPKT, COTP DT EOT
            0x32, 1, 0, 0, 0, 0, 0, 8, 0, 0, // S7 header, job, param len 8
            0xf0, 0, 0, 1, 0, 1, 1, 0xe0,
        ];
        assert_eq!(frame(&pdu), Frame::Complete(25));
        assert!(looks_like(&pdu));
        let cotp = parse_cotp(&pdu).unwrap();
        assert!(cotp.eot);
        let s7 = parse(cotp.payload).unwrap().unwrap();
        assert_eq!((s7.rosctr, s7.function_code), (Some(1), Some(0xf0)));
    }

    #[test]
    fn user_data_reports_type_group_and_subfunction() {
        let p = [
            0x32, 7, 0, 0, 0, 1, 0, 8, 0, 0, 0, 1, 0x12, 4, 0x11, 0x44, 0x01, 0,
        ];
        let s7 = parse(&p).unwrap().unwrap();
        assert_eq!((s7.function_code, s7.subfunction), (Some(0x44), Some(1)));
    }
}
