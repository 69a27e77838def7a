//! IEC 60870-5-104: the APCI (start byte 0x68, length, four control octets
//! giving an I, S or U format) and, for I-format APDUs, the ASDU header
//! (type id, variable structure qualifier, cause of transmission, common
//! address) and the information object addresses. Uses the standard
//! 104 field sizes: 2-octet cause, 2-octet common address, 3-octet IOA.

use serde::Serialize;

use super::{Frame, Malformed, Reader};

const START: u8 = 0x68;
/// Information object addresses listed per ASDU.
pub const MAX_IOAS: usize = 128;

pub fn frame(data: &[u8]) -> Frame {
    if let Some(&b) = data.first()
        && b != START
    {
        return Frame::Invalid("missing IEC 104 start byte 0x68");
    }
    let Some(&len) = data.get(1) else {
        return Frame::Incomplete;
    };
    if len < 4 {
        return Frame::Invalid("APDU length below 4");
    }
    if data.len() < 2 + len as usize {
        Frame::Incomplete
    } else {
        Frame::Complete(2 + len as usize)
    }
}

/// The start byte and a possible APDU length (4 to 253): where a stream
/// that lost its place picks up again. A length byte still to come counts.
pub fn starts_apdu(data: &[u8]) -> bool {
    data.first() == Some(&START) && data.get(1).is_none_or(|&len| (4..=253).contains(&len))
}

/// A complete APDU of a consistent format: S and U frames are exactly 4
/// control octets long, U frames set exactly one function bit.
pub fn looks_like(data: &[u8]) -> bool {
    let Frame::Complete(n) = frame(data) else {
        return false;
    };
    match data[2] & 0x03 {
        0x01 => n == 6,
        0x03 => n == 6 && (data[2] >> 2).count_ones() == 1,
        _ => n >= 12,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ApciFormat {
    I,
    S,
    U,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Iec104<'a> {
    pub apci: ApciFormat,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_seq: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recv_seq: Option<u16>,
    /// U format function: STARTDT/STOPDT/TESTFR act or con.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub u_function: Option<&'static str>,
    pub type_id: Option<u8>,
    /// Cause of transmission (6 bits; negative and test flags separate).
    pub cot: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator: Option<u8>,
    pub common_address: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_objects: Option<u8>,
    /// Information object addresses (up to [`MAX_IOAS`]).
    #[serde(skip_serializing_if = "<[u32]>::is_empty")]
    pub ioas: &'a [u32],
}

/// Decodes one framed APDU; IOAs are written into `ioas` (cleared first).
pub fn parse<'a>(apdu: &[u8], ioas: &'a mut Vec<u32>) -> Result<Iec104<'a>, Malformed> {
    ioas.clear();
    let mut r = Reader::new(apdu);
    r.take(2, "APCI start and length")?;
    let c = r.take(4, "APCI control field")?;
    let mut out = Iec104 {
        apci: ApciFormat::I,
        send_seq: None,
        recv_seq: None,
        u_function: None,
        type_id: None,
        cot: None,
        negative: None,
        test: None,
        originator: None,
        common_address: None,
        sequence: None,
        num_objects: None,
        ioas: &[],
    };
    match c[0] & 0x03 {
        0x01 => {
            out.apci = ApciFormat::S;
            out.recv_seq = Some(u16::from_le_bytes([c[2], c[3]]) >> 1);
            return Ok(out);
        }
        0x03 => {
            out.apci = ApciFormat::U;
            out.u_function = Some(u_function(c[0]));
            return Ok(out);
        }
        _ => {}
    }
    out.send_seq = Some(u16::from_le_bytes([c[0], c[1]]) >> 1);
    out.recv_seq = Some(u16::from_le_bytes([c[2], c[3]]) >> 1);
    let type_id = r.u8("ASDU type id")?;
    let vsq = r.u8("ASDU variable structure qualifier")?;
    let cot = r.u8("ASDU cause of transmission")?;
    out.type_id = Some(type_id);
    out.cot = Some(cot & 0x3f);
    out.negative = Some(cot & 0x40 != 0);
    out.test = Some(cot & 0x80 != 0);
    out.originator = Some(r.u8("ASDU originator address")?);
    out.common_address = Some(r.le16("ASDU common address")?);
    let sequence = vsq & 0x80 != 0;
    let n = vsq & 0x7f;
    out.sequence = Some(sequence);
    out.num_objects = Some(n);
    read_ioas(&mut r, type_id, sequence, n, ioas);
    out.ioas = ioas;
    Ok(out)
}

/// Lists the objects' addresses. With SQ set, one address is followed by
/// `n` consecutive elements; otherwise each element has its own address.
/// Stops quietly where an element size is unknown or data runs out.
fn read_ioas(r: &mut Reader<'_>, type_id: u8, sequence: bool, n: u8, ioas: &mut Vec<u32>) {
    let Ok(first) = r.le_uint(3, "IOA") else {
        return;
    };
    if sequence {
        ioas.extend(
            (0..n as u32)
                .map(|i| first.wrapping_add(i) & 0xff_ffff)
                .take(MAX_IOAS),
        );
        return;
    }
    ioas.push(first);
    let Some(size) = element_size(type_id) else {
        return;
    };
    for _ in 1..n {
        if ioas.len() >= MAX_IOAS || r.take(size, "information element").is_err() {
            return;
        }
        let Ok(ioa) = r.le_uint(3, "IOA") else { return };
        ioas.push(ioa);
    }
}

fn u_function(control: u8) -> &'static str {
    match control & 0xfc {
        0x04 => "STARTDT_ACT",
        0x08 => "STARTDT_CON",
        0x10 => "STOPDT_ACT",
        0x20 => "STOPDT_CON",
        0x40 => "TESTFR_ACT",
        0x80 => "TESTFR_CON",
        _ => "UNKNOWN",
    }
}

/// Size of one information element (without its IOA), per IEC 60870-5-101/104.
fn element_size(type_id: u8) -> Option<usize> {
    Some(match type_id {
        1 | 3 | 45 | 46 | 47 | 70 | 100 | 101 | 105 | 113 => 1,
        5 | 21 | 104 | 106 => 2,
        9 | 11 | 48 | 49 | 110 | 111 => 3,
        2 | 4 | 51 | 122 | 124 => 4,
        7 | 13 | 15 | 20 | 50 | 112 | 123 => 5,
        6 | 10 | 12 | 17 | 120 => 6,
        18 | 19 | 103 | 121 => 7,
        8 | 14 | 16 | 30 | 31 | 58 | 59 | 60 => 8,
        32 | 107 => 9,
        34 | 35 | 38 | 61 | 62 => 10,
        39 | 40 | 64 => 11,
        33 | 36 | 37 | 63 => 12,
        126 => 13,
        102 => 0,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_u_s_and_i_formats() {
        let mut ioas = Vec::new();
        let startdt = [0x68, 4, 0x07, 0, 0, 0];
        assert!(looks_like(&startdt));
        let u = parse(&startdt, &mut ioas).unwrap();
        assert_eq!((u.apci, u.u_function), (ApciFormat::U, Some("STARTDT_ACT")));
        let s = parse(&[0x68, 4, 0x01, 0, 0x0a, 0], &mut ioas).unwrap();
        assert_eq!((s.apci, s.recv_seq), (ApciFormat::S, Some(5)));
        // I: M_ME_NC_1 (13), 2 objects, cause 3 (spontaneous), CA 1.
        let i = [
            0x68, 26, 2, 0, 4, 0, 13, 2, 3, 0, 1, 0, 1, 0, 0, 0, 0, 0x80, 0x3f, 0, 2, 0, 0, 0, 0,
            0x80, 0x3f, 0,
        ];
        assert_eq!(frame(&i), Frame::Complete(28));
        let i = parse(&i, &mut ioas).unwrap();
        assert_eq!(
            (i.apci, i.type_id, i.cot, i.common_address),
            (ApciFormat::I, Some(13), Some(3), Some(1))
        );
        assert_eq!((i.send_seq, i.recv_seq), (Some(1), Some(2)));
        assert_eq!(i.ioas, &[1, 2]);
    }
}
