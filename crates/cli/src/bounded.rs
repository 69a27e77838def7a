//! Reading input files within a limit that is enforced while reading, not
//! by the size on disk: `/dev/zero`, a pipe or a sparse 2 GB file stop at
//! the limit, and the error names it. A UTF-8 byte-order mark (Windows
//! tools write one) is dropped.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// SBOMs (`scan`, `product add`). Real ones stay far below: a 10,000
/// component CycloneDX document is about 10 MiB.
pub const SBOM_BYTES: u64 = 256 << 20;
/// Product manifests (`product add --manifest`): some 100,000 lines.
pub const MANIFEST_BYTES: u64 = 16 << 20;
/// OT baselines (`ot detect --baseline`).
pub const BASELINE_BYTES: u64 = 256 << 20;

/// The bytes of `path`, at most `limit` of them (else an error naming the
/// limit and what the file is), without a UTF-8 byte-order mark.
pub fn read(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("reading {what} {}", path.display()))?;
    // A regular file says its size: refuse it without reading.
    if let Ok(meta) = file.metadata()
        && meta.is_file()
        && meta.len() > limit
    {
        bail!(too_large(path, limit, what, Some(meta.len())));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {what} {}", path.display()))?;
    if bytes.len() as u64 > limit {
        bail!(too_large(path, limit, what, None));
    }
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
    }
    Ok(bytes)
}

/// [`read`] as UTF-8 text.
pub fn read_text(path: &Path, limit: u64, what: &str) -> Result<String> {
    let bytes = read(path, limit, what)?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{what} {}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn too_large(path: &Path, limit: u64, what: &str, size: Option<u64>) -> String {
    format!(
        "{what} {}{}: larger than the limit of {limit} bytes ({}); refusing to read it",
        path.display(),
        size.map(|s| format!(" is {s} bytes")).unwrap_or_default(),
        mib(limit)
    )
}

fn mib(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{} KiB", n >> 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_hold_while_reading_and_marks_go() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        std::fs::write(&p, b"\xEF\xBB\xBF{}").unwrap();
        assert_eq!(read(&p, 10, "SBOM").unwrap(), b"{}");
        std::fs::write(&p, vec![b' '; 11]).unwrap();
        let e = read(&p, 10, "SBOM").unwrap_err().to_string();
        assert!(e.contains("limit of 10 bytes"), "{e}");
        // A device has no size: the limit holds while reading.
        let e = read(Path::new("/dev/zero"), 4096, "answers file")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("answers file /dev/zero") && e.contains("4 KiB"),
            "{e}"
        );
    }
}
