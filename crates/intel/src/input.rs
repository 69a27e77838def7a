//! Opening inputs: transparent decompression by magic bytes, byte counting
//! for progress, and peeking at the start of a stream without consuming it.

use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Largest single JSON Lines line or document held in memory at once.
/// Real records stay far below (the largest NVD record is ~2 MiB); anything
/// bigger is hostile or broken input.
pub const MAX_UNIT_BYTES: usize = 64 << 20;

const BUF_SIZE: usize = 256 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Xz,
    Zstd,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
        }
    }

    fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Counts the bytes read through it into a shared counter (compressed bytes,
/// so progress is measured against the file size on disk).
pub struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R> CountingReader<R> {
    pub fn new(inner: R, count: Arc<AtomicU64>) -> Self {
        CountingReader { inner, count }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

pub type DynRead = Box<dyn BufRead + Send>;

/// Wraps `raw` in the decompressor its magic bytes call for.
pub fn decompress(raw: Box<dyn Read + Send>) -> io::Result<(DynRead, Compression)> {
    let mut raw = BufReader::with_capacity(BUF_SIZE, raw);
    let head = peek(&mut raw, 6)?;
    let compression = Compression::sniff(&head);
    let ended = Arc::new(AtomicBool::new(false));
    let raw = EndFlag {
        inner: Cursor::new(head).chain(raw),
        ended: ended.clone(),
    };
    let explained = |name| Explained {
        inner: (),
        name,
        ended: ended.clone(),
    };
    let reader: DynRead = match compression {
        Compression::None => Box::new(BufReader::with_capacity(BUF_SIZE, raw)),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            BUF_SIZE,
            GzipMembers::new(BufReader::with_capacity(BUF_SIZE, raw)),
        )),
        Compression::Xz => Box::new(BufReader::with_capacity(
            BUF_SIZE,
            explained("xz").wrap(lzma_rust2::XzReader::new(raw, true)),
        )),
        Compression::Zstd => {
            let dec = ruzstd::decoding::StreamingDecoder::new(raw).map_err(|e| {
                let e = io::Error::new(io::ErrorKind::InvalidData, e.to_string());
                explain("zstd", e, ended.load(Ordering::Relaxed))
            })?;
            Box::new(BufReader::with_capacity(
                BUF_SIZE,
                explained("zstd").wrap(dec),
            ))
        }
    };
    Ok((reader, compression))
}

/// Notes when the compressed input has run out: a decoder that fails
/// after that failed because the file was cut short, whatever its own
/// error says.
struct EndFlag<R> {
    inner: R,
    ended: Arc<AtomicBool>,
}

impl<R: Read> Read for EndFlag<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.ended.store(true, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Turns a decompressor's terse errors ("failed to fill whole buffer")
/// into ones a user can act on.
struct Explained<R> {
    inner: R,
    name: &'static str,
    ended: Arc<AtomicBool>,
}

impl Explained<()> {
    fn wrap<R>(self, inner: R) -> Explained<R> {
        Explained {
            inner,
            name: self.name,
            ended: self.ended,
        }
    }
}

impl<R: Read> Read for Explained<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner
            .read(buf)
            .map_err(|e| explain(self.name, e, self.ended.load(Ordering::Relaxed)))
    }
}

fn explain(name: &str, e: io::Error, input_ended: bool) -> io::Error {
    // The decoders' own words for an early end ("failed to fill whole
    // buffer") say nothing more.
    if e.kind() == io::ErrorKind::UnexpectedEof || input_ended {
        return io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("truncated {name} stream (the file ends before its compressed data does)"),
        );
    }
    io::Error::new(e.kind(), format!("corrupt {name} stream: {e}"))
}

/// The members of a gzip file, one after another (as `gzip -d` reads
/// them). What follows the last member must be another member or zero
/// padding: anything else is reported as trailing data, not as a
/// truncation.
struct GzipMembers<R: BufRead> {
    member: Option<flate2::bufread::GzDecoder<R>>,
}

impl<R: BufRead> GzipMembers<R> {
    fn new(inner: R) -> Self {
        GzipMembers {
            member: Some(flate2::bufread::GzDecoder::new(inner)),
        }
    }

    /// After a member: `true` when another one starts, `false` at the end
    /// of the input (zero padding allowed).
    fn next_member(inner: &mut R) -> io::Result<bool> {
        loop {
            let buf = inner.fill_buf()?;
            if buf.is_empty() {
                return Ok(false);
            }
            if buf[0] == 0x1f {
                return Ok(true);
            }
            let zeros = buf.iter().take_while(|&&b| b == 0).count();
            if zeros == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "trailing data after the end of the gzip stream (bytes that are neither a \
                     gzip member nor zero padding follow its last member)",
                ));
            }
            inner.consume(zeros);
        }
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            let n = member.read(buf).map_err(|e| explain("gzip", e, false))?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let mut inner = self
                .member
                .take()
                .expect("a member is being read")
                .into_inner();
            if Self::next_member(&mut inner)? {
                self.member = Some(flate2::bufread::GzDecoder::new(inner));
            }
        }
    }
}

/// Reads up to `n` bytes from the front of `r` and returns them; the caller
/// chains them back in front of the rest.
pub fn peek<R: Read>(r: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Reads the first line (without its newline) after skipping blank lines,
/// reading at most `limit + 1` bytes of it. Returns the bytes read (to chain
/// back) and the range of the line inside them. Blank lines before it count
/// against the same limit: an input of nothing but newlines is refused once
/// it passes `limit`, not held in memory whole.
pub fn first_line<R: BufRead>(
    r: &mut R,
    limit: usize,
) -> io::Result<(Vec<u8>, std::ops::Range<usize>)> {
    let mut buf = Vec::new();
    loop {
        let start = buf.len();
        if start > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "more than {limit} bytes ({} MiB) of blank lines before the first record; refusing to read on",
                    limit >> 20
                ),
            ));
        }
        let n = r
            .by_ref()
            .take(limit as u64 + 1)
            .read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok((buf, start..start));
        }
        let line = &buf[start..];
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut end = buf.len();
        while end > start && matches!(buf[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        return Ok((buf, start..end));
    }
}
