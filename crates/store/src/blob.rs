//! Stored record bodies: JSON, LZ4-compressed (JSON of NVD records is ~3.6 KB
//! on average and compresses about fourfold; LZ4 decodes at memory speed).

use serde::de::DeserializeOwned;

use crate::StoreError;

/// Largest body a stored blob may claim to decompress to; guards against a
/// damaged database asking for a huge allocation.
const MAX_BODY: usize = 256 << 20;

pub(crate) fn compress(json: &[u8]) -> Vec<u8> {
    lz4_flex::block::compress_prepend_size(json)
}

/// A compressed blob's bytes (not JSON: an uploaded file).
pub(crate) fn decompress(blob: &[u8], what: impl Fn() -> String) -> Result<Vec<u8>, StoreError> {
    let claimed = claimed_size(blob, &what)?;
    let mut out = vec![0; claimed];
    let n = lz4_flex::block::decompress_into(&blob[4..], &mut out).map_err(|e| {
        StoreError::Corrupt {
            what: what(),
            message: format!("LZ4: {e}"),
        }
    })?;
    out.truncate(n);
    Ok(out)
}

/// The size a blob's header claims, refused beyond [`MAX_BODY`].
fn claimed_size(blob: &[u8], what: impl Fn() -> String) -> Result<usize, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        what: what(),
        message,
    };
    let claimed = blob
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| corrupt("blob shorter than its size header".into()))?;
    if claimed > MAX_BODY {
        return Err(corrupt(format!("blob claims {claimed} bytes")));
    }
    Ok(claimed)
}

pub(crate) fn decode<T: DeserializeOwned>(
    blob: &[u8],
    what: impl Fn() -> String,
) -> Result<T, StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        what: what(),
        message,
    };
    let claimed = claimed_size(blob, &what)?;
    thread_local! {
        // Reused: a fresh zeroed buffer per record showed up in scan profiles.
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with_borrow_mut(|buf| {
        buf.resize(claimed, 0);
        let n = lz4_flex::block::decompress_into(&blob[4..], buf)
            .map_err(|e| corrupt(format!("LZ4: {e}")))?;
        if n != claimed {
            return Err(corrupt(format!("LZ4: {n} bytes, {claimed} claimed")));
        }
        serde_json::from_slice(&buf[..n]).map_err(|e| corrupt(format!("JSON: {e}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_damage() {
        let blob = compress(br#"{"a":[1,2,3]}"#);
        let v: serde_json::Value = decode(&blob, || "t".into()).unwrap();
        assert_eq!(v["a"][2], 3);
        assert!(decode::<serde_json::Value>(&blob[..3], || "t".into()).is_err());
        let mut huge = blob.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = decode::<serde_json::Value>(&huge, || "t".into()).unwrap_err();
        assert!(e.to_string().contains("claims"), "{e}");
    }
}
