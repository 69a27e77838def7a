//! DNP3 (IEEE 1815): link-layer frames with CRC-16/DNP every 16 bytes, the
//! transport function that splits application fragments over frames, and
//! the application header with its object headers.

use serde::Serialize;

use super::{Frame, Malformed, Reader};

const START: [u8; 2] = [0x05, 0x64];
const LINK_HEADER_LEN: usize = 10;
/// Most user data one link frame carries (length field 255 minus 5).
pub const MAX_USER_DATA: usize = 250;
/// Largest application fragment reassembled from transport segments: the
/// 6-bit transport sequence space of maximum-sized segments (63 * 255),
/// the bound Suricata applies too. Longer fragments are dropped.
pub const MAX_FRAGMENT: usize = 63 * 255;
/// Object headers listed per fragment.
const MAX_OBJECT_HEADERS: usize = 256;

/// CRC-16/DNP: polynomial 0x3D65, reflected (0xA6BC), init 0, inverted.
const CRC_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u16;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xa6bc
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

pub fn crc(data: &[u8]) -> u16 {
    let crc = data.iter().fold(0u16, |crc, &b| {
        (crc >> 8) ^ CRC_TABLE[((crc ^ b as u16) & 0xff) as usize]
    });
    !crc
}

/// Bytes a link frame occupies for a given length field.
fn frame_len(length_field: u8) -> usize {
    let user = length_field as usize - 5;
    LINK_HEADER_LEN + user + 2 * user.div_ceil(16)
}

pub fn frame(data: &[u8]) -> Frame {
    if data.len() >= 2 && data[..2] != START {
        return Frame::Invalid("missing DNP3 start bytes 0x05 0x64");
    }
    let Some(&len) = data.get(2) else {
        return Frame::Incomplete;
    };
    if len < 5 {
        return Frame::Invalid("DNP3 link length below 5");
    }
    let total = frame_len(len);
    if data.len() < total {
        Frame::Incomplete
    } else {
        Frame::Complete(total)
    }
}

/// Start bytes, a plausible length and a valid header CRC.
pub fn looks_like(data: &[u8]) -> bool {
    data.len() >= LINK_HEADER_LEN
        && data[..2] == START
        && data[2] >= 5
        && crc(&data[..8]) == u16::from_le_bytes([data[8], data[9]])
}

/// A link-layer frame with its user data, CRCs removed.
#[derive(Debug, Clone, Copy)]
pub struct LinkFrame {
    pub control: u8,
    pub dst: u16,
    pub src: u16,
    user: [u8; MAX_USER_DATA],
    user_len: u8,
}

impl LinkFrame {
    /// DIR bit: set on frames from the master.
    pub fn from_master(&self) -> bool {
        self.control & 0x80 != 0
    }
    /// PRM bit: set on frames from the primary (initiating) station.
    pub fn primary(&self) -> bool {
        self.control & 0x40 != 0
    }
    pub fn function(&self) -> u8 {
        self.control & 0x0f
    }
    pub fn user_data(&self) -> &[u8] {
        &self.user[..self.user_len as usize]
    }
    /// Confirmed or unconfirmed user data from a primary station: the frames
    /// that carry a transport segment.
    pub fn carries_transport(&self) -> bool {
        self.primary() && matches!(self.function(), 3 | 4) && self.user_len > 0
    }
}

/// Checks the CRCs of one framed link frame and strips them.
pub fn parse_link(frame: &[u8]) -> Result<LinkFrame, Malformed> {
    let header = frame
        .get(..LINK_HEADER_LEN)
        .ok_or(Malformed("link header truncated"))?;
    if header[..2] != START || header[2] < 5 {
        return Err(Malformed("bad link header"));
    }
    if crc(&header[..8]) != u16::from_le_bytes([header[8], header[9]]) {
        return Err(Malformed("link header CRC mismatch"));
    }
    let user_len = header[2] as usize - 5;
    let mut out = LinkFrame {
        control: header[3],
        dst: u16::from_le_bytes([header[4], header[5]]),
        src: u16::from_le_bytes([header[6], header[7]]),
        user: [0; MAX_USER_DATA],
        user_len: user_len as u8,
    };
    let mut blocks = frame
        .get(LINK_HEADER_LEN..frame_len(header[2]))
        .ok_or(Malformed("link frame truncated"))?;
    let mut filled = 0;
    while filled < user_len {
        let n = (user_len - filled).min(16);
        let (data, rest) = blocks.split_at(n);
        let (sum, rest) = rest.split_at(2);
        if crc(data) != u16::from_le_bytes([sum[0], sum[1]]) {
            return Err(Malformed("link data block CRC mismatch"));
        }
        out.user[filled..filled + n].copy_from_slice(data);
        filled += n;
        blocks = rest;
    }
    Ok(out)
}

/// The transport header byte: FIN, FIR and a 6-bit sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TransportHeader {
    pub fin: bool,
    pub fir: bool,
    pub seq: u8,
}

impl TransportHeader {
    pub fn from_byte(b: u8) -> Self {
        Self {
            fin: b & 0x80 != 0,
            fir: b & 0x40 != 0,
            seq: b & 0x3f,
        }
    }
}

/// What feeding one transport segment produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Reassembled<'a> {
    /// The segment completed an application fragment.
    Fragment(&'a [u8]),
    /// More segments are needed (or the segment was a duplicate / orphan).
    Pending,
    /// The fragment grew beyond [`MAX_FRAGMENT`] and was dropped.
    TooLong,
}

/// Transport-function reassembly for one direction of one association.
#[derive(Debug, Default)]
pub struct Reassembler {
    buf: Vec<u8>,
    active: bool,
    last_seq: u8,
}

impl Reassembler {
    /// Feeds the user data of one link frame (transport byte first).
    pub fn push(&mut self, user_data: &[u8]) -> Reassembled<'_> {
        let Some((&th, payload)) = user_data.split_first() else {
            return Reassembled::Pending;
        };
        let th = TransportHeader::from_byte(th);
        if th.fir {
            self.buf.clear();
            self.active = true;
        } else if !self.active {
            // A continuation whose first segment we never saw.
            return Reassembled::Pending;
        } else if th.seq == self.last_seq {
            // A link-layer retransmission of the previous segment.
            return Reassembled::Pending;
        }
        self.last_seq = th.seq;
        if self.buf.len() + payload.len() > MAX_FRAGMENT {
            self.buf = Vec::new();
            self.active = false;
            return Reassembled::TooLong;
        }
        self.buf.extend_from_slice(payload);
        if th.fin {
            self.active = false;
            Reassembled::Fragment(&self.buf)
        } else {
            Reassembled::Pending
        }
    }
}

/// One object header of an application fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ObjectHeader {
    pub group: u8,
    pub variation: u8,
    pub qualifier: u8,
    /// Objects the header covers (0 for "all objects" qualifiers).
    pub count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<u32>,
}

/// The application header of a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AppHeader {
    pub function_code: u8,
    /// Application control: FIR, FIN, CON, UNS and the 4-bit sequence.
    pub control: u8,
    /// Internal indications, on responses only.
    pub iin: Option<u16>,
    /// False when object parsing stopped early (an object whose size is not
    /// known, or data running past the fragment).
    pub objects_complete: bool,
}

impl AppHeader {
    pub fn is_response(&self) -> bool {
        matches!(self.function_code, 129..=131)
    }
}

/// Decodes an application fragment's header and object headers; the object
/// headers are written into `objects` (cleared first) so callers can reuse it.
pub fn parse_app(fragment: &[u8], objects: &mut Vec<ObjectHeader>) -> Result<AppHeader, Malformed> {
    objects.clear();
    let mut r = Reader::new(fragment);
    let control = r.u8("application control")?;
    let function_code = r.u8("application function code")?;
    let mut app = AppHeader {
        function_code,
        control,
        iin: None,
        objects_complete: true,
    };
    if app.is_response() {
        app.iin = Some(r.be16("internal indications")?);
    }
    let has_data = !request_without_object_data(function_code);
    while r.remaining() > 0 {
        if objects.len() >= MAX_OBJECT_HEADERS || parse_object(&mut r, has_data, objects).is_err() {
            app.objects_complete = false;
            break;
        }
    }
    Ok(app)
}

/// Requests whose object headers carry no object values (they name points).
fn request_without_object_data(fc: u8) -> bool {
    matches!(fc, 0 | 1 | 7..=12 | 13 | 14 | 20..=24)
}

fn parse_object(
    r: &mut Reader<'_>,
    has_data: bool,
    out: &mut Vec<ObjectHeader>,
) -> Result<(), Malformed> {
    let group = r.u8("object group")?;
    let variation = r.u8("object variation")?;
    let qualifier = r.u8("object qualifier")?;
    let prefix_code = (qualifier >> 4) & 0x07;
    let range_code = qualifier & 0x0f;
    let (count, start, stop) = match range_code {
        0..=5 => {
            let size = [1, 2, 4][(range_code % 3) as usize];
            let start = r.le_uint(size, "range start")?;
            let stop = r.le_uint(size, "range stop")?;
            if stop < start {
                return Err(Malformed("range stop below start"));
            }
            (stop - start + 1, Some(start), Some(stop))
        }
        6 => (0, None, None),
        7 | 0xb => (r.u8("object count")? as u32, None, None),
        8 => (r.le16("object count")? as u32, None, None),
        9 => (r.le32("object count")?, None, None),
        _ => return Err(Malformed("reserved range code")),
    };
    out.push(ObjectHeader {
        group,
        variation,
        qualifier,
        count,
        start,
        stop,
    });
    skip_objects(
        r,
        group,
        variation,
        prefix_code,
        count,
        has_data && group != 60,
    )
}

/// Steps over the prefixes and values of `count` objects.
fn skip_objects(
    r: &mut Reader<'_>,
    group: u8,
    variation: u8,
    prefix_code: u8,
    count: u32,
    has_data: bool,
) -> Result<(), Malformed> {
    let count = count as usize;
    if count > r.remaining() * 8 {
        return Err(Malformed("object count exceeds the fragment"));
    }
    match prefix_code {
        // Index prefixes of 1, 2 or 4 bytes, then the value.
        0..=3 => {
            let index = [0, 1, 2, 4][prefix_code as usize];
            let value = if has_data {
                match object_size(group, variation) {
                    ObjectSize::Bytes(n) => n,
                    ObjectSize::Bits(bits) if index == 0 => {
                        r.take((count * bits).div_ceil(8), "packed object values")?;
                        return Ok(());
                    }
                    _ => return Err(Malformed("object size unknown")),
                }
            } else {
                0
            };
            r.take(count * (index + value), "object values")?;
        }
        // Object-size prefixes of 1, 2 or 4 bytes: each object says its
        // size, and carries its value even in requests (file-transfer
        // objects in a READ, for instance).
        4..=6 => {
            let size_len = [1, 2, 4][(prefix_code - 4) as usize];
            for _ in 0..count {
                let size = r.le_uint(size_len, "object size prefix")? as usize;
                r.take(size, "sized object value")?;
            }
        }
        _ => return Err(Malformed("reserved prefix code")),
    }
    Ok(())
}

enum ObjectSize {
    Bytes(usize),
    Bits(usize),
    Unknown,
}

/// Encoded size of one object's value, for the fixed-size objects of the
/// IEEE 1815 object library.
fn object_size(group: u8, variation: u8) -> ObjectSize {
    use ObjectSize::{Bits, Bytes, Unknown};
    let v = variation;
    match (group, v) {
        (1 | 10 | 80, 1) | (12, 3) => Bits(1),
        (3, 1) => Bits(2),
        (1 | 10 | 3, 2) | (2 | 4 | 11 | 13, 1) => Bytes(1),
        (2 | 4 | 11 | 13, 2) => Bytes(7),
        (2 | 4, 3) => Bytes(3),
        (12, 1 | 2) => Bytes(11),
        (20 | 22 | 23, 1 | 3) | (21, 1 | 3) => Bytes(5),
        (20 | 22 | 23, 2 | 4) | (21, 2 | 4) => Bytes(3),
        (20, 5 | 7) | (21, 9 | 11) => Bytes(4),
        (20, 6 | 8) | (21, 10 | 12) => Bytes(2),
        (21..=23, 5 | 7) => Bytes(11),
        (21..=23, 6 | 8) => Bytes(9),
        (30, 1) | (30, 5) => Bytes(5),
        (30, 2) => Bytes(3),
        (30, 3) => Bytes(4),
        (30, 4) => Bytes(2),
        (30, 6) => Bytes(9),
        (31, 1 | 7) => Bytes(5),
        (31, 2) => Bytes(3),
        (31, 3) => Bytes(11),
        (31, 4 | 8) => Bytes(9),
        (31, 5) => Bytes(4),
        (31, 6) => Bytes(2),
        (32 | 33 | 42 | 43, 1 | 5) => Bytes(5),
        (32 | 33 | 42 | 43, 2) => Bytes(3),
        (32 | 33 | 42 | 43, 3 | 7) => Bytes(11),
        (32 | 33 | 42 | 43, 4) => Bytes(9),
        (32 | 33 | 42 | 43, 6) => Bytes(9),
        (32 | 33 | 42 | 43, 8) => Bytes(15),
        (34, 1) => Bytes(2),
        (34, 2 | 3) => Bytes(4),
        (40 | 41, 1 | 3) => Bytes(5),
        (40 | 41, 2) => Bytes(3),
        (40 | 41, 4) => Bytes(9),
        (50, 1 | 3) | (51, 1 | 2) => Bytes(6),
        (50, 2) => Bytes(10),
        (50, 4) => Bytes(11),
        (52, 1 | 2) => Bytes(2),
        (60, _) => Bytes(0),
        // Octet strings and virtual terminal data: the variation is the length.
        (110..=113, n) => Bytes(n as usize),
        _ => Unknown,
    }
}

/// The IEEE 1815 name of an application function code (Zeek's spelling).
pub fn function_name(fc: u8) -> Option<&'static str> {
    const REQUESTS: [&str; 34] = [
        "CONFIRM",
        "READ",
        "WRITE",
        "SELECT",
        "OPERATE",
        "DIRECT_OPERATE",
        "DIRECT_OPERATE_NR",
        "IMMED_FREEZE",
        "IMMED_FREEZE_NR",
        "FREEZE_CLEAR",
        "FREEZE_CLEAR_NR",
        "FREEZE_AT_TIME",
        "FREEZE_AT_TIME_NR",
        "COLD_RESTART",
        "WARM_RESTART",
        "INITIALIZE_DATA",
        "INITIALIZE_APPL",
        "START_APPL",
        "STOP_APPL",
        "SAVE_CONFIG",
        "ENABLE_UNSOLICITED",
        "DISABLE_UNSOLICITED",
        "ASSIGN_CLASS",
        "DELAY_MEASURE",
        "RECORD_CURRENT_TIME",
        "OPEN_FILE",
        "CLOSE_FILE",
        "DELETE_FILE",
        "GET_FILE_INFO",
        "AUTHENTICATE_FILE",
        "ABORT_FILE",
        "ACTIVATE_CONFIG",
        "AUTHENTICATE_REQ",
        "AUTHENTICATE_ERR",
    ];
    match fc {
        129 => Some("RESPONSE"),
        130 => Some("UNSOLICITED_RESPONSE"),
        131 => Some("AUTHENTICATE_RESP"),
        _ => REQUESTS.get(fc as usize).copied(),
    }
}

/// Everything Kensa reports about one link frame.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Dnp3<'a> {
    pub src: u16,
    pub dst: u16,
    /// Link control byte (DIR, PRM, FCB, FCV, function), and its main parts.
    pub link_control: u8,
    pub from_master: bool,
    pub primary: bool,
    pub link_function: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<TransportHeader>,
    /// The application function code, on the frame that completes a fragment.
    pub function_code: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_control: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iin: Option<u16>,
    pub objects: &'a [ObjectHeader],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects_complete: Option<bool>,
}

impl<'a> Dnp3<'a> {
    pub fn from_link(link: &LinkFrame) -> Self {
        Dnp3 {
            src: link.src,
            dst: link.dst,
            link_control: link.control,
            from_master: link.from_master(),
            primary: link.primary(),
            link_function: link.function(),
            transport: link
                .carries_transport()
                .then(|| TransportHeader::from_byte(link.user_data()[0])),
            function_code: None,
            app_control: None,
            iin: None,
            objects: &[],
            objects_complete: None,
        }
    }

    pub fn with_app(self, app: &AppHeader, objects: &'a [ObjectHeader]) -> Self {
        Dnp3 {
            function_code: Some(app.function_code),
            app_control: Some(app.control),
            iin: app.iin,
            objects,
            objects_complete: Some(app.objects_complete),
            ..self
        }
    }
}

/// Builds a link frame around `user` data (at most 250 bytes) with correct
/// CRCs: for tests, fuzz seeds and synthetic captures.
pub fn build_link_frame(control: u8, dst: u16, src: u16, user: &[u8]) -> Vec<u8> {
    let user = &user[..user.len().min(MAX_USER_DATA)];
    let mut f = vec![0x05, 0x64, (user.len() + 5) as u8, control];
    f.extend_from_slice(&dst.to_le_bytes());
    f.extend_from_slice(&src.to_le_bytes());
    let c = crc(&f);
    f.extend_from_slice(&c.to_le_bytes());
    for block in user.chunks(16) {
        f.extend_from_slice(block);
        f.extend_from_slice(&crc(block).to_le_bytes());
    }
    f
}

#[cfg(test)]
mod tests {
    use super::build_link_frame as link_frame;
    use super::*;

    #[test]
    fn crc_matches_the_catalogued_check_value() {
        assert_eq!(crc(b"123456789"), 0xea82);
    }

    #[test]
    fn a_read_request_round_trips_through_link_transport_and_app() {
        // Transport FIR|FIN seq 0; app: control C0, READ, g60v1 qualifier 06.
        let user = [0xc0, 0xc0, 0x01, 60, 1, 0x06, 60, 2, 0x06];
        let f = link_frame(0xc4, 10, 1, &user);
        assert_eq!(frame(&f), Frame::Complete(f.len()));
        assert!(looks_like(&f));
        let link = parse_link(&f).unwrap();
        assert_eq!((link.src, link.dst, link.function()), (1, 10, 4));
        assert!(link.carries_transport());
        let mut r = Reassembler::default();
        let Reassembled::Fragment(frag) = r.push(link.user_data()) else {
            panic!("single-segment fragment not completed")
        };
        let mut objs = Vec::new();
        let app = parse_app(frag, &mut objs).unwrap();
        assert_eq!(app.function_code, 1);
        assert!(app.objects_complete);
        assert_eq!(
            objs.iter()
                .map(|o| (o.group, o.variation))
                .collect::<Vec<_>>(),
            vec![(60, 1), (60, 2)]
        );
    }

    #[test]
    fn corrupt_crcs_are_reported() {
        let mut f = link_frame(0xc4, 10, 1, &[0xc0, 0xc0, 0x01]);
        let last = f.len() - 1;
        f[last] ^= 1;
        assert_eq!(
            parse_link(&f).unwrap_err(),
            Malformed("link data block CRC mismatch")
        );
        f[8] ^= 1;
        assert_eq!(
            parse_link(&f).unwrap_err(),
            Malformed("link header CRC mismatch")
        );
    }

    #[test]
    fn reassembles_segments_and_bounds_the_fragment() {
        let mut r = Reassembler::default();
        assert_eq!(r.push(&[0x40, 1, 2]), Reassembled::Pending);
        assert_eq!(r.push(&[0x01, 3]), Reassembled::Pending);
        assert_eq!(
            r.push(&[0x01, 3]),
            Reassembled::Pending,
            "duplicate ignored"
        );
        assert_eq!(r.push(&[0x82, 4]), Reassembled::Fragment(&[1, 2, 3, 4]));
        let big = [0u8; 250];
        let mut seg = big;
        seg[0] = 0x40;
        let mut too_long = false;
        for i in 0..70u8 {
            if i > 0 {
                seg[0] = i & 0x3f;
            }
            if r.push(&seg) == Reassembled::TooLong {
                too_long = true;
                break;
            }
        }
        assert!(too_long);
    }

    #[test]
    fn response_objects_are_stepped_over_by_size() {
        // RESPONSE, IIN 0, g30v2 (3 bytes) start 0 stop 1, then g1v1 (bits) 0..9.
        let frag = [
            0xc0, 0x81, 0, 0, 30, 2, 0x00, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0x00, 0, 9, 0xff, 0x03,
        ];
        let mut objs = Vec::new();
        let app = parse_app(&frag, &mut objs).unwrap();
        assert!(app.objects_complete, "{objs:?}");
        assert_eq!(objs.len(), 2);
        assert_eq!((objs[1].group, objs[1].count), (1, 10));
    }
}
