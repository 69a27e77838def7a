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

/// A classic S7comm PDU (protocol id 0x32). As in Wireshark's dissector,
/// `function_code` is the parameter's function for Job and Ack_Data PDUs
/// only; Ack PDUs carry none, and Userdata PDUs name their function by
/// `function_group` and `subfunction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct S7comm {
    /// Message type: 1 job, 2 ack, 3 ack-data, 7 user data.
    pub rosctr: u8,
    /// Job/Ack_Data: the parameter's function code (0x04 read variable,
    /// 0x29 PLC stop...). Null for Ack and Userdata PDUs.
    pub function_code: Option<u8>,
    /// Userdata: the type nibble of the type/group byte (0 push,
    /// 4 request, 8 response).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userdata_type: Option<u8>,
    /// Userdata: the function group (low nibble: 1 programmer commands,
    /// 4 CPU functions, 5 security, 7 time...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_group: Option<u8>,
    /// Userdata: the sub-function within the group (e.g. 1 read SZL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subfunction: Option<u8>,
    /// Userdata of the mode-transition group (0), pushed by the CPU: the
    /// mode it entered (0 STOP, 1 warm restart, 2 cold restart, 3 hot
    /// restart, 8 RUN...), where other groups have a sub-function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_mode: Option<u8>,
    pub pdu_reference: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_class: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u8>,
}

impl S7comm {
    /// The user-data type/group byte as one value (e.g. 0x44: request, CPU
    /// functions), the form ICSNPP logs as the function.
    pub fn userdata_type_group(&self) -> Option<u8> {
        Some(self.userdata_type? << 4 | self.function_group?)
    }
}

/// An S7comm-plus PDU (protocol id 0x72, S7-1200/1500): its own protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct S7commPlus {
    /// Protocol version (1, 2, 3; 0xfe for keep-alive).
    pub version: u8,
    /// 0x31 request, 0x32 response, 0x33 notification...
    pub opcode: Option<u8>,
    /// The 16-bit function of requests and responses (0x054c GetMultiVariables...).
    pub function_code: Option<u16>,
}

/// What a COTP data unit carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S7Pdu {
    Classic(S7comm),
    Plus(S7commPlus),
}

/// Decodes an S7comm or S7comm-plus PDU (the COTP user data, reassembled
/// when it spanned several data TPDUs). `None` for other payloads.
pub fn parse(payload: &[u8]) -> Result<Option<S7Pdu>, Malformed> {
    match payload.first() {
        Some(&S7COMM_ID) => parse_classic(payload).map(|p| Some(S7Pdu::Classic(p))),
        Some(&S7COMM_PLUS_ID) => parse_plus(payload).map(|p| Some(S7Pdu::Plus(p))),
        _ => Ok(None),
    }
}

const ROSCTR_JOB: u8 = 1;
const ROSCTR_ACK_DATA: u8 = 3;
const ROSCTR_USERDATA: u8 = 7;
/// The user-data function group a CPU pushes its mode changes in.
const MODE_TRANSITION: u8 = 0;

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
    let mut pdu = S7comm {
        rosctr,
        function_code: None,
        userdata_type: None,
        function_group: None,
        subfunction: None,
        cpu_mode: None,
        pdu_reference,
        error_class,
        error_code,
    };
    match rosctr {
        ROSCTR_JOB | ROSCTR_ACK_DATA => pdu.function_code = params.first().copied(),
        ROSCTR_USERDATA => {
            // Parameter head: 00 01 12, length, method, type|group, sub-function.
            if let Some(&tg) = params.get(5) {
                pdu.userdata_type = Some(tg >> 4);
                pdu.function_group = Some(tg & 0x0f);
            }
            if pdu.function_group == Some(MODE_TRANSITION) {
                pdu.cpu_mode = params.get(6).copied();
            } else {
                pdu.subfunction = params.get(6).copied();
            }
        }
        _ => {}
    }
    Ok(pdu)
}

fn parse_plus(p: &[u8]) -> Result<S7commPlus, Malformed> {
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
    Ok(S7commPlus {
        version,
        opcode,
        function_code,
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
        let Some(S7Pdu::Classic(s7)) = parse(cotp.payload).unwrap() else {
            panic!("classic S7comm")
        };
        assert_eq!((s7.rosctr, s7.function_code), (1, Some(0xf0)));
    }

    #[test]
    fn user_data_reports_group_and_subfunction_not_a_function_code() {
        let p = [
            0x32, 7, 0, 0, 0, 1, 0, 8, 0, 0, 0, 1, 0x12, 4, 0x11, 0x44, 0x01, 0,
        ];
        let Some(S7Pdu::Classic(s7)) = parse(&p).unwrap() else {
            panic!("classic S7comm")
        };
        assert_eq!(s7.function_code, None);
        assert_eq!(
            (s7.userdata_type, s7.function_group, s7.subfunction),
            (Some(4), Some(4), Some(1))
        );
        assert_eq!(s7.userdata_type_group(), Some(0x44));
    }

    #[test]
    fn ack_pdus_carry_no_function_code() {
        // ROSCTR 2 (Ack) with a parameter byte that is not a function.
        let p = [0x32, 2, 0, 0, 0, 5, 0, 1, 0, 0, 0, 0, 0x04];
        let Some(S7Pdu::Classic(s7)) = parse(&p).unwrap() else {
            panic!("classic S7comm")
        };
        assert_eq!((s7.rosctr, s7.function_code), (2, None));
        // Ack_Data with the same parameter: read variable.
        let p = [0x32, 3, 0, 0, 0, 5, 0, 2, 0, 0, 0, 0, 0x04, 1];
        let Some(S7Pdu::Classic(s7)) = parse(&p).unwrap() else {
            panic!("classic S7comm")
        };
        assert_eq!(s7.function_code, Some(0x04));
    }
}
