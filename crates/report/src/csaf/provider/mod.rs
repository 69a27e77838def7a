//! CSAF 2.0 provider trees (section 7): writing a trusted provider's tree
//! ([`publish`]) and checking any provider's tree against the distribution
//! requirements ([`check`]), offline or over HTTP.
//!
//! Both sides are pure: publishing plans the files to write from the
//! documents and the tree already there, and checking reads the tree
//! through [`Fetch`], which the CLI implements for a directory and for
//! HTTP.
//!
//! Layout written (the one the OASIS examples and most providers use),
//! under the base URL `…/.well-known/csaf`:
//!
//! ```text
//! provider-metadata.json
//! openpgp/<FINGERPRINT>.asc              the public key (when signing)
//! white/csaf-feed-tlp-white.json         ROLIE feed
//! white/index.txt, white/changes.csv
//! white/2024/example-sa-2024-001.json    + .sha256 .sha512 .asc
//! green/…, amber/…                       served with access control
//! ```

pub mod check;
mod feed;
pub mod publish;
pub mod sign;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::doc;

pub use feed::{ChangeLine, parse_changes};

/// Reads a provider's files by URL. `Ok(None)`: the file does not exist
/// (404/410, or no such file in a directory).
pub trait Fetch {
    fn get(&mut self, url: &str) -> Result<Option<Vec<u8>>, String>;

    /// Every file under `url_prefix` (a directory's URL ending in `/`),
    /// where the source can list them (a local directory); `None` over HTTP.
    fn list(&mut self, _url_prefix: &str) -> Option<Vec<String>> {
        None
    }
}

/// The TLP labels of CSAF 2.0 (`/document/distribution/tlp/label`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tlp {
    White,
    Green,
    Amber,
    Red,
}

impl Tlp {
    pub const PUBLISHABLE: [Tlp; 3] = [Tlp::White, Tlp::Green, Tlp::Amber];

    pub fn parse(label: &str) -> Option<Tlp> {
        match label.trim().to_ascii_uppercase().as_str() {
            "WHITE" | "CLEAR" => Some(Tlp::White),
            "GREEN" => Some(Tlp::Green),
            "AMBER" | "AMBER+STRICT" => Some(Tlp::Amber),
            "RED" => Some(Tlp::Red),
            _ => None,
        }
    }

    /// As written in provider metadata and documents: `WHITE`.
    pub fn label(self) -> &'static str {
        match self {
            Tlp::White => "WHITE",
            Tlp::Green => "GREEN",
            Tlp::Amber => "AMBER",
            Tlp::Red => "RED",
        }
    }

    /// The folder of its documents: `white`.
    pub fn folder(self) -> &'static str {
        match self {
            Tlp::White => "white",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::Red => "red",
        }
    }

    /// The ROLIE feed's file name: `csaf-feed-tlp-white.json`.
    pub fn feed_file(self) -> String {
        format!("csaf-feed-tlp-{}.json", self.folder())
    }
}

/// What the tree needs to know of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocInfo {
    pub tracking_id: String,
    pub version: String,
    pub title: String,
    pub tlp: Option<Tlp>,
    pub initial: DateTime<Utc>,
    pub current: DateTime<Utc>,
}

impl DocInfo {
    /// Reads the fields from a document; `Err` names the missing or bad one.
    pub fn read(doc: &Value) -> Result<DocInfo, String> {
        let text = |p: &str| doc::at(doc, p).ok_or_else(|| format!("{p} is missing"));
        let time = |p: &str| -> Result<DateTime<Utc>, String> {
            let t = text(p)?;
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| format!("{p} `{t}` is not a date-time: {e}"))
        };
        Ok(DocInfo {
            tracking_id: text("/document/tracking/id")?.to_string(),
            version: text("/document/tracking/version")?.to_string(),
            title: text("/document/title")?.to_string(),
            tlp: doc::at(doc, "/document/distribution/tlp/label").and_then(Tlp::parse),
            initial: time("/document/tracking/initial_release_date")?,
            current: time("/document/tracking/current_release_date")?,
        })
    }

    /// `2024/example-sa-2024-001.json`: the path in its TLP folder
    /// (requirements 2 and 11).
    pub fn path_in_folder(&self) -> String {
        format!(
            "{}/{}",
            self.initial.format("%Y"),
            file_name(&self.tracking_id)
        )
    }
}

/// The file name section 5.1 gives a tracking id.
pub fn file_name(tracking_id: &str) -> String {
    super::optional::file_name(tracking_id)
}

/// `<hex>  <file name>\n`, as `sha256sum` and `sha512sum` write it.
pub fn hash_line(hex: &str, file_name: &str) -> String {
    format!("{hex}  {file_name}\n")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

pub fn sha512_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha512::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Times as the tree writes them: `2024-01-02T03:04:05.000Z`.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The directory a URL is in, ending in `/`.
pub fn parent_url(url: &str) -> &str {
    match url.rfind('/') {
        Some(i) => &url[..=i],
        None => url,
    }
}

/// The last path segment of a URL.
pub fn last_segment(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}
