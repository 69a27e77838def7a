//! Product and vendor names as matching compares them.

/// Lower case, and `-`, `.`, spaces and `_` all as `_`: NVD writes
/// `node.js`, package managers `node-js`, people `Node JS`.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.trim().chars() {
        let ch = ch.to_ascii_lowercase();
        if ch.is_ascii_alphanumeric() || !ch.is_ascii() {
            out.push(ch);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}
