//! The checks of one document a provider lists: its content (1, 2, 4,
//! 5, 11, 13), its hashes (18) and its signature (19).

use serde_json::Value;

use super::{Checker, Seen};
use crate::csaf::provider::{
    DocInfo, Tlp, file_name, format_time, last_segment, parent_url, sha256_hex, sha512_hex, sign,
};
use crate::csaf::validate_bytes;

impl Checker<'_> {
    pub(super) fn check_document(&mut self, url: &str) {
        let seen = self.docs.remove(url).unwrap_or_default();
        let (n, what) = if seen.feed {
            (15, "the feed entry")
        } else if seen.index {
            (12, "index.txt")
        } else {
            (13, "changes.csv")
        };
        let bytes = match self.get(url) {
            Ok(Some(b)) => b,
            Ok(None) => {
                self.error(
                    n,
                    url,
                    format!("{what} lists this document, but it is not found"),
                );
                self.docs.insert(url.to_string(), seen);
                return;
            }
            Err(e) => {
                self.unreachable(n, url, seen.tlp, e);
                self.docs.insert(url.to_string(), seen);
                return;
            }
        };
        self.check_content(url, &bytes, &seen);
        self.check_hashes(url, &bytes);
        self.check_signature(url, &bytes);
        self.docs.insert(url.to_string(), seen);
    }

    fn check_content(&mut self, url: &str, bytes: &[u8], seen: &Seen) {
        let v = validate_bytes(bytes);
        if !v.valid() {
            let tests: Vec<String> = v
                .errors()
                .take(3)
                .map(|f| format!("test {}: {}", f.test, f.message))
                .collect();
            self.error(1, url, format!("not valid CSAF 2.0: {}", tests.join("; ")));
        }
        let Ok(doc) = serde_json::from_slice::<Value>(bytes) else {
            return;
        };
        let info = match DocInfo::read(&doc) {
            Ok(i) => i,
            Err(e) => return self.error(1, url, e),
        };
        let expected = file_name(&info.tracking_id);
        if last_segment(url) != expected {
            self.error(
                2,
                url,
                format!(
                    "the file name for tracking id {} is {expected}",
                    info.tracking_id
                ),
            );
        }
        let year = info.initial.format("%Y").to_string();
        let folder = last_segment(parent_url(url).trim_end_matches('/'));
        if folder != year {
            self.error(
                11,
                url,
                format!("in folder `{folder}`, but initial_release_date is in {year}"),
            );
        }
        self.check_tlp(url, info.tlp, seen.tlp);
        if let Some(Some(t)) = seen.changes
            && t != info.current
        {
            let message = format!(
                "changes.csv gives {}, the document's current_release_date is {}",
                format_time(t),
                format_time(info.current)
            );
            self.warn(13, url, message);
        }
    }

    fn check_tlp(&mut self, url: &str, doc: Option<Tlp>, folder: Option<Tlp>) {
        match (doc, folder) {
            (None, _) => self.warn(4, url, "the document has no TLP label"),
            (Some(d), Some(Tlp::White)) if d != Tlp::White => {
                self.error(
                    5,
                    url,
                    format!(
                        "a TLP:{} document in the public TLP:WHITE folder",
                        d.label()
                    ),
                );
            }
            (Some(d), Some(f)) if d != f => {
                self.error(
                    4,
                    url,
                    format!(
                        "a TLP:{} document in the TLP:{} folder",
                        d.label(),
                        f.label()
                    ),
                );
            }
            _ => {}
        }
    }

    fn check_hashes(&mut self, url: &str, bytes: &[u8]) {
        for (ext, name, hash) in [
            ("sha256", "SHA-256", sha256_hex(bytes)),
            ("sha512", "SHA-512", sha512_hex(bytes)),
        ] {
            let hash_url = format!("{url}.{ext}");
            match self.get(&hash_url) {
                Ok(Some(b)) => {
                    let text = String::from_utf8_lossy(&b);
                    let given = text.split_whitespace().next().unwrap_or_default();
                    if !given.eq_ignore_ascii_case(&hash) {
                        self.error(18, &hash_url, format!("{name} does not match: the file gives {given}, the document hashes to {hash}"));
                    }
                }
                Ok(None) => {
                    self.missing(18, &hash_url, format!("no {name} hash beside the document"))
                }
                Err(e) => self.warn(18, &hash_url, format!("not read: {e}")),
            }
        }
    }

    fn check_signature(&mut self, url: &str, bytes: &[u8]) {
        let sig_url = format!("{url}.asc");
        let sig = match self.get(&sig_url) {
            Ok(Some(s)) => s,
            Ok(None) => {
                return self.missing(19, &sig_url, "no OpenPGP signature beside the document");
            }
            Err(e) => return self.warn(19, &sig_url, format!("not read: {e}")),
        };
        if self.keys.is_empty() {
            return self.warn(
                19,
                &sig_url,
                "not verified: no key listed in provider-metadata.json could be read",
            );
        }
        let mut last = String::new();
        for (_, key) in &self.keys {
            match sign::verify(key, bytes, &sig) {
                Ok(()) => return,
                Err(e) => last = e.to_string(),
            }
        }
        let fprs: Vec<&str> = self.keys.iter().map(|(f, _)| f.as_str()).collect();
        self.error(
            19,
            &sig_url,
            format!(
                "the signature does not verify against {}: {last}",
                fprs.join(", ")
            ),
        );
    }
}
