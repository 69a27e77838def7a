//! pcapng: a sequence of typed blocks. A Section Header Block fixes the byte
//! order and starts a fresh list of interfaces; Interface Description Blocks
//! give each interface its link type and timestamp resolution; Enhanced,
//! Simple and (obsolete) Packet Blocks carry packets. Other blocks are skipped.

use std::io::Read;

use super::{CaptureError, Endian, MAX_BLOCK_BYTES, Packet, read_full};

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const PB_OBSOLETE: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
const OPT_END: u16 = 0;
const OPT_IF_TSRESOL: u16 = 9;
const OPT_IF_TSOFFSET: u16 = 14;
/// Interfaces per section; real files have a handful.
const MAX_INTERFACES: usize = 4096;

pub(super) fn is_magic(m: [u8; 4]) -> bool {
    u32::from_le_bytes(m) == SHB
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link_type: u32,
    snaplen: u32,
    /// Timestamp units per second are 10^exp (or 2^exp when `binary`).
    resol_exp: u8,
    binary: bool,
    offset_secs: i64,
}

impl Interface {
    fn to_nanos(self, ticks: u64) -> i64 {
        let ticks = ticks as u128;
        let nanos = if self.binary {
            (ticks * 1_000_000_000) >> self.resol_exp.min(127)
        } else if self.resol_exp <= 9 {
            ticks * 10u128.pow(9 - self.resol_exp as u32)
        } else {
            ticks / 10u128.pow((self.resol_exp as u32 - 9).min(38))
        };
        (nanos as i64).saturating_add(self.offset_secs.saturating_mul(1_000_000_000))
    }
}

pub struct PcapngReader<R: Read> {
    input: R,
    endian: Endian,
    interfaces: Vec<Interface>,
    offset: u64,
    /// The current block's body (after type and length, before the trailer).
    body: Vec<u8>,
    /// The magic bytes format detection already consumed.
    pending_magic: Option<[u8; 4]>,
    /// The block just read is inconsistent: its trailing length differs
    /// from the leading one, or its options overrun it.
    bad_block: bool,
    malformed_blocks: u64,
}

impl<R: Read> PcapngReader<R> {
    pub(super) fn after_magic(input: R, magic: [u8; 4]) -> Result<Self, CaptureError> {
        let mut r = Self {
            input,
            endian: Endian::Little,
            interfaces: Vec::new(),
            offset: 0,
            body: Vec::new(),
            pending_magic: Some(magic),
            bad_block: false,
            malformed_blocks: 0,
        };
        // Read the first section header now so a garbage file fails early.
        let block_type = r.read_block().map_err(|e| match e {
            CaptureError::Truncated { offset: 0 } => CaptureError::TruncatedHeader {
                what: "pcapng section header",
            },
            e => e,
        })?;
        let block_type = block_type.ok_or(CaptureError::TruncatedHeader {
            what: "pcapng section header",
        })?;
        debug_assert_eq!(block_type, SHB);
        r.count_bad_block();
        Ok(r)
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Blocks skipped (packet blocks) or read with doubt (section and
    /// interface blocks, kept so that interface numbers stay right) because
    /// their framing is inconsistent.
    pub fn malformed_blocks(&self) -> u64 {
        self.malformed_blocks
    }

    fn count_bad_block(&mut self) -> bool {
        let bad = std::mem::take(&mut self.bad_block);
        if bad {
            self.malformed_blocks += 1;
        }
        bad
    }

    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        loop {
            let block_offset = self.offset;
            let Some(block_type) = self.read_block()? else {
                return Ok(None);
            };
            if self.count_bad_block() && matches!(block_type, EPB | SPB | PB_OBSOLETE) {
                continue;
            }
            let found = self.packet_in_block(block_type, block_offset)?;
            if self.count_bad_block() {
                continue;
            }
            if let Some((range, meta)) = found {
                return Ok(Some(Packet {
                    data: &self.body[range],
                    ..meta
                }));
            }
        }
    }

    /// Reads one block into `self.body`; handles section and interface
    /// blocks itself. Returns the block type, or `None` at end of file.
    fn read_block(&mut self) -> Result<Option<u32>, CaptureError> {
        let block_offset = self.offset;
        let mut head = [0u8; 8];
        let got = match self.pending_magic.take() {
            Some(m) => {
                head[..4].copy_from_slice(&m);
                4 + read_full(&mut self.input, &mut head[4..])?
            }
            None => read_full(&mut self.input, &mut head)?,
        };
        if got == 0 {
            return Ok(None);
        }
        if got < 8 {
            return Err(CaptureError::Truncated {
                offset: block_offset,
            });
        }
        let raw_type = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if raw_type == SHB {
            // The byte order of a section is only known from its body.
            let mut bom = [0u8; 4];
            if read_full(&mut self.input, &mut bom)? < 4 {
                return Err(CaptureError::Truncated {
                    offset: block_offset,
                });
            }
            self.endian = match u32::from_le_bytes(bom) {
                BYTE_ORDER_MAGIC => Endian::Little,
                _ if u32::from_be_bytes(bom) == BYTE_ORDER_MAGIC => Endian::Big,
                _ => {
                    return Err(CaptureError::Corrupt {
                        what: "pcapng section header",
                        offset: block_offset,
                        detail: format!("bad byte-order magic {bom:02x?}"),
                    });
                }
            };
            self.interfaces.clear();
            let total = self.block_len(&head[4..8], block_offset)?;
            self.offset += 12;
            self.read_body(total - 12, total, block_offset)?;
            // Version (4 bytes) and section length (8), then options.
            if !self.options_fit(12) {
                self.bad_block = true;
            }
            return Ok(Some(SHB));
        }
        let block_type = self.endian.u32(&head[0..4]);
        let total = self.block_len(&head[4..8], block_offset)?;
        self.offset += 8;
        self.read_body(total - 8, total, block_offset)?;
        if block_type == IDB {
            self.add_interface(block_offset)?;
        }
        Ok(Some(block_type))
    }

    fn block_len(&self, raw: &[u8], block_offset: u64) -> Result<usize, CaptureError> {
        let total = self.endian.u32(raw) as usize;
        if !(12..=MAX_BLOCK_BYTES).contains(&total) || !total.is_multiple_of(4) {
            return Err(CaptureError::Corrupt {
                what: "pcapng block",
                offset: block_offset,
                detail: format!(
                    "block length {total} is not a multiple of 4 in 12..={MAX_BLOCK_BYTES}"
                ),
            });
        }
        Ok(total)
    }

    /// Reads the rest of a block (body plus the 4-byte trailing length) and
    /// keeps only the body. A trailing length that is not `total` marks the
    /// block bad.
    fn read_body(
        &mut self,
        rest: usize,
        total: usize,
        block_offset: u64,
    ) -> Result<(), CaptureError> {
        self.body.resize(rest, 0);
        if read_full(&mut self.input, &mut self.body)? < rest {
            return Err(CaptureError::Truncated {
                offset: block_offset,
            });
        }
        self.offset += rest as u64;
        let body_len = rest.saturating_sub(4);
        if self.endian.u32(&self.body[body_len..]) as usize != total {
            self.bad_block = true;
        }
        self.body.truncate(body_len);
        Ok(())
    }

    /// Whether the options from `start` in the body lie inside it: each a
    /// 4-byte header and a value padded to 4 bytes, up to `opt_endofopt` or
    /// the end of the body.
    fn options_fit(&self, start: usize) -> bool {
        let Some(mut opts) = self.body.get(start..) else {
            return false;
        };
        while !opts.is_empty() {
            if opts.len() < 4 {
                return false;
            }
            let code = self.endian.u16(&opts[0..2]);
            let len = self.endian.u16(&opts[2..4]) as usize;
            if code == OPT_END {
                return true;
            }
            let padded = (len + 3) & !3;
            match opts.get(4 + padded..) {
                Some(rest) => opts = rest,
                None => return false,
            }
        }
        true
    }

    fn add_interface(&mut self, block_offset: u64) -> Result<(), CaptureError> {
        let e = self.endian;
        let b = &self.body;
        if b.len() < 8 {
            return Err(corrupt_block(
                "interface description",
                block_offset,
                "body shorter than 8 bytes",
            ));
        }
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(corrupt_block(
                "interface description",
                block_offset,
                "too many interfaces in one section",
            ));
        }
        let mut iface = Interface {
            link_type: e.u16(&b[0..2]) as u32,
            snaplen: e.u32(&b[4..8]),
            resol_exp: 6,
            binary: false,
            offset_secs: 0,
        };
        if !self.options_fit(8) {
            self.bad_block = true;
        }
        let mut opts = &b[8..];
        while opts.len() >= 4 {
            let code = e.u16(&opts[0..2]);
            let len = e.u16(&opts[2..4]) as usize;
            if code == OPT_END {
                break;
            }
            let Some(value) = opts.get(4..4 + len) else {
                break;
            };
            match code {
                OPT_IF_TSRESOL if len >= 1 => {
                    iface.binary = value[0] & 0x80 != 0;
                    iface.resol_exp = value[0] & 0x7f;
                }
                OPT_IF_TSOFFSET if len >= 8 => {
                    let lo = e.u32(&value[0..4]) as u64;
                    let hi = e.u32(&value[4..8]) as u64;
                    let v = match e {
                        Endian::Little => lo | (hi << 32),
                        Endian::Big => (lo << 32) | hi,
                    };
                    iface.offset_secs = v as i64;
                }
                _ => {}
            }
            let padded = (len + 3) & !3;
            opts = opts.get(4 + padded..).unwrap_or(&[]);
        }
        self.interfaces.push(iface);
        Ok(())
    }

    /// For a packet-carrying block: where its bytes lie in `body`, and the
    /// packet's metadata. Other block types yield `None`.
    fn packet_in_block(
        &mut self,
        block_type: u32,
        block_offset: u64,
    ) -> Result<Option<(std::ops::Range<usize>, Packet<'static>)>, CaptureError> {
        let e = self.endian;
        let b = &self.body;
        let (iface_id, ticks, caplen, origlen, start) = match block_type {
            EPB | PB_OBSOLETE => {
                if b.len() < 20 {
                    return Err(corrupt_block(
                        "pcapng packet block",
                        block_offset,
                        "body shorter than 20 bytes",
                    ));
                }
                let iface_id = if block_type == EPB {
                    e.u32(&b[0..4])
                } else {
                    e.u16(&b[0..2]) as u32
                };
                let ticks = ((e.u32(&b[4..8]) as u64) << 32) | e.u32(&b[8..12]) as u64;
                (
                    iface_id,
                    Some(ticks),
                    e.u32(&b[12..16]),
                    e.u32(&b[16..20]),
                    20,
                )
            }
            SPB => {
                if b.len() < 4 {
                    return Err(corrupt_block(
                        "pcapng simple packet block",
                        block_offset,
                        "body shorter than 4 bytes",
                    ));
                }
                let origlen = e.u32(&b[0..4]);
                let snap = self.interfaces.first().map_or(u32::MAX, |i| i.snaplen);
                let avail = (b.len() - 4) as u32;
                let caplen = origlen
                    .min(avail)
                    .min(if snap == 0 { u32::MAX } else { snap });
                (0, None, caplen, origlen, 4)
            }
            _ => return Ok(None),
        };
        let Some(iface) = self.interfaces.get(iface_id as usize) else {
            return Err(corrupt_block(
                "pcapng packet block",
                block_offset,
                &format!("interface {iface_id} was not described"),
            ));
        };
        let end = start + caplen as usize;
        if end > b.len() {
            return Err(corrupt_block(
                "pcapng packet block",
                block_offset,
                &format!("captured length {caplen} overruns the block"),
            ));
        }
        // Enhanced and obsolete packet blocks carry options after the
        // padded packet data.
        if block_type != SPB && !self.options_fit(start + ((caplen as usize + 3) & !3)) {
            self.bad_block = true;
            return Ok(None);
        }
        let meta = Packet {
            ts_nanos: ticks.map_or(0, |t| iface.to_nanos(t)),
            link_type: iface.link_type,
            caplen,
            origlen: origlen.max(caplen),
            interface: iface_id,
            data: &[],
        };
        Ok(Some((start..end, meta)))
    }
}

fn corrupt_block(what: &'static str, offset: u64, detail: &str) -> CaptureError {
    CaptureError::Corrupt {
        what,
        offset,
        detail: detail.to_string(),
    }
}
