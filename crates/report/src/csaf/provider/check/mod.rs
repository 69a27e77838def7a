//! Checking a provider's tree against the distribution requirements of
//! CSAF 2.0 section 7.1, through [`Fetch`] (a directory or HTTP).
//!
//! Checked: 1 (every document valid), 2 (file names), 3 (only that URLs
//! are https), 4 and 5 (each document's TLP against its folder and feed),
//! 7 (metadata reachable and valid), 9 (the well-known place, when a URL
//! is checked), 11 (year folders), 12 and 13 (`index.txt`, `changes.csv`:
//! complete, only existing documents, newest first), 15 (feeds reachable,
//! entries resolve), 18 (hashes match), 19 (signatures verify against a
//! listed key) and 20 (keys reachable, fingerprints match). What needs DNS,
//! TLS inspection, credentials or redirects is listed in [`NOT_CHECKED`].

mod document;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::{Fetch, Tlp, last_segment, parent_url, parse_changes, sign};
use crate::csaf::schema;

/// The requirements of section 7.1 by number.
pub const REQUIREMENTS: [&str; 20] = [
    "Valid CSAF document",
    "Filename",
    "TLS",
    "TLP:WHITE",
    "TLP:AMBER and TLP:RED",
    "No redirects",
    "provider-metadata.json",
    "security.txt",
    "Well-known URL for provider-metadata.json",
    "DNS path",
    "One folder per year",
    "index.txt",
    "changes.csv",
    "Directory listings",
    "ROLIE feed",
    "ROLIE service document",
    "ROLIE category document",
    "Integrity",
    "Signatures",
    "Public OpenPGP Key",
];

/// Requirements this check does not test, and why.
pub const NOT_CHECKED: &[(&str, &str)] = &[
    (
        "7.1.3",
        "TLS configuration: only that URLs use https is checked",
    ),
    (
        "7.1.5",
        "access control of TLP:AMBER/RED folders needs credentials",
    ),
    (
        "7.1.6",
        "redirects are followed by the HTTP client, not reported",
    ),
    ("7.1.8", "security.txt is not fetched"),
    (
        "7.1.10",
        "the csaf.data.security.DOMAIN DNS path is not resolved",
    ),
    ("7.1.14", "directory listings are not read"),
    ("7.1.16", "ROLIE service documents are not read"),
    ("7.1.17", "ROLIE category documents are not read"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// One requirement not met (an error) or a doubt (a warning), at a URL.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// `7.1.11`
    pub requirement: String,
    pub title: &'static str,
    pub level: Level,
    pub url: String,
    pub message: String,
}

impl Problem {
    /// `7.1.11 Requirement 11: One folder per year`
    pub fn heading(&self) -> String {
        let n = self.requirement.rsplit('.').next().unwrap_or_default();
        format!("{} Requirement {n}: {}", self.requirement, self.title)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub metadata_url: String,
    pub role: Option<String>,
    pub documents: usize,
    pub passed: bool,
    pub problems: Vec<Problem>,
}

/// Where a document URL was listed.
#[derive(Default)]
struct Seen {
    index: bool,
    changes: Option<Option<DateTime<Utc>>>,
    feed: bool,
    /// The TLP of the folder or feed that lists it.
    tlp: Option<Tlp>,
}

struct Checker<'a> {
    fetch: &'a mut dyn Fetch,
    problems: Vec<Problem>,
    trusted: bool,
    keys: Vec<(String, String)>,
    docs: BTreeMap<String, Seen>,
}

/// Checks the tree whose metadata is at `metadata_url`.
pub fn check(fetch: &mut dyn Fetch, metadata_url: &str) -> Report {
    let mut c = Checker {
        fetch,
        problems: Vec::new(),
        trusted: false,
        keys: Vec::new(),
        docs: BTreeMap::new(),
    };
    let role = c.run(metadata_url);
    let passed = !c.problems.iter().any(|p| p.level == Level::Error);
    Report {
        metadata_url: metadata_url.to_string(),
        role,
        documents: c.docs.len(),
        passed,
        problems: c.problems,
    }
}

impl Checker<'_> {
    fn report(&mut self, n: usize, level: Level, url: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            requirement: format!("7.1.{n}"),
            title: REQUIREMENTS[n - 1],
            level,
            url: url.to_string(),
            message: message.into(),
        });
    }

    fn error(&mut self, n: usize, url: &str, message: impl Into<String>) {
        self.report(n, Level::Error, url, message);
    }

    fn warn(&mut self, n: usize, url: &str, message: impl Into<String>) {
        self.report(n, Level::Warning, url, message);
    }

    /// Missing files a trusted provider must have are errors; for others
    /// they are warnings.
    fn missing(&mut self, n: usize, url: &str, message: impl Into<String>) {
        let level = if self.trusted {
            Level::Error
        } else {
            Level::Warning
        };
        self.report(n, level, url, message);
    }

    fn get(&mut self, url: &str) -> Result<Option<Vec<u8>>, String> {
        self.fetch.get(url)
    }

    fn run(&mut self, metadata_url: &str) -> Option<String> {
        let meta = match self.get(metadata_url) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                self.error(7, metadata_url, "provider-metadata.json not found");
                return None;
            }
            Err(e) => {
                self.error(7, metadata_url, format!("not reachable: {e}"));
                return None;
            }
        };
        let meta: Value = match serde_json::from_slice(&meta) {
            Ok(v) => v,
            Err(e) => {
                self.error(7, metadata_url, format!("not JSON: {e}"));
                return None;
            }
        };
        for p in schema::validate_provider(&meta) {
            self.error(
                7,
                metadata_url,
                format!("not valid against the provider schema: {p}"),
            );
        }
        self.check_urls(metadata_url, &meta);
        let role = meta.get("role").and_then(Value::as_str).map(str::to_string);
        self.trusted = role.as_deref() == Some("csaf_trusted_provider");
        self.read_keys(metadata_url, &meta);
        self.read_distributions(metadata_url, &meta);
        let docs: Vec<String> = self.docs.keys().cloned().collect();
        for url in docs {
            self.check_document(&url);
        }
        role
    }

    fn check_urls(&mut self, metadata_url: &str, meta: &Value) {
        let canonical = meta
            .get("canonical_url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if metadata_url.starts_with("http") && canonical != metadata_url {
            self.warn(
                7,
                metadata_url,
                format!("canonical_url is {canonical}, not the URL it was read from"),
            );
        }
        let checked = if metadata_url.starts_with("http") {
            metadata_url
        } else {
            canonical
        };
        if !checked.ends_with("/.well-known/csaf/provider-metadata.json") {
            self.warn(9, checked, "not at /.well-known/csaf/provider-metadata.json; requirement 8 or 10 must then be met (not checked)");
        }
        if checked.starts_with("http://") {
            self.warn(3, checked, "served over http, not https");
        }
    }

    fn read_keys(&mut self, metadata_url: &str, meta: &Value) {
        let listed = meta
            .get("public_openpgp_keys")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if listed.is_empty() {
            self.missing(20, metadata_url, "public_openpgp_keys lists no key");
        }
        for key in listed {
            let Some(url) = key.get("url").and_then(Value::as_str) else {
                continue;
            };
            let url = join(metadata_url, url);
            match self.get(&url) {
                Ok(Some(bytes)) => match sign::public_fingerprint(&bytes) {
                    Ok(fpr) => {
                        let listed = key
                            .get("fingerprint")
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        if !listed.is_empty() && !listed.eq_ignore_ascii_case(&fpr) {
                            self.error(20, &url, format!("the key's fingerprint is {fpr}, provider-metadata.json lists {listed}"));
                        }
                        self.keys
                            .push((fpr, String::from_utf8_lossy(&bytes).into_owned()));
                    }
                    Err(e) => self.error(20, &url, e.to_string()),
                },
                Ok(None) => self.error(20, &url, "the listed key is not found"),
                Err(e) => self.warn(
                    20,
                    &url,
                    format!(
                        "the key could not be read ({e}); signatures are not verified against it"
                    ),
                ),
            }
        }
    }

    fn read_distributions(&mut self, metadata_url: &str, meta: &Value) {
        let dists = meta
            .get("distributions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if dists.is_empty() {
            self.error(
                7,
                metadata_url,
                "distributions lists neither a directory nor a ROLIE feed",
            );
        }
        for d in dists {
            let feeds = d
                .pointer("/rolie/feeds")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut feed_tlp = None;
            for f in &feeds {
                let tlp = f
                    .get("tlp_label")
                    .and_then(Value::as_str)
                    .and_then(Tlp::parse);
                feed_tlp = feed_tlp.or(tlp);
                if let Some(url) = f.get("url").and_then(Value::as_str) {
                    self.read_feed(&join(metadata_url, url), tlp);
                }
            }
            if let Some(dir) = d.get("directory_url").and_then(Value::as_str) {
                let mut dir = join(metadata_url, dir);
                if !dir.ends_with('/') {
                    dir.push('/');
                }
                let tlp = feed_tlp.or_else(|| Tlp::parse(last_segment(dir.trim_end_matches('/'))));
                self.read_directory(&dir, tlp);
            }
        }
    }

    /// A restricted folder may answer only with credentials.
    fn unreachable(&mut self, n: usize, url: &str, tlp: Option<Tlp>, e: String) {
        if tlp.is_some_and(|t| t != Tlp::White) {
            self.warn(
                n,
                url,
                format!(
                    "not read ({e}); TLP:{} needs credentials",
                    tlp.map(Tlp::label).unwrap_or_default()
                ),
            );
        } else {
            self.error(n, url, format!("not reachable: {e}"));
        }
    }

    fn read_feed(&mut self, url: &str, tlp: Option<Tlp>) {
        let bytes = match self.get(url) {
            Ok(Some(b)) => b,
            Ok(None) => return self.error(15, url, "the feed is not found"),
            Err(e) => return self.unreachable(15, url, tlp, e),
        };
        let feed: Value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => return self.error(15, url, format!("not JSON: {e}")),
        };
        let Some(entries) = feed.pointer("/feed/entry").and_then(Value::as_array) else {
            return self.error(15, url, "no /feed/entry array");
        };
        for (i, entry) in entries.iter().enumerate() {
            let links = entry
                .get("link")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice);
            let href = links
                .iter()
                .find(|l| l.get("rel").and_then(Value::as_str) == Some("self"))
                .and_then(|l| l.get("href").and_then(Value::as_str));
            let Some(href) = href else {
                self.error(15, url, format!("feed.entry[{i}] has no `self` link"));
                continue;
            };
            let seen = self.docs.entry(join(url, href)).or_default();
            seen.feed = true;
            seen.tlp = seen.tlp.or(tlp);
        }
    }

    fn read_directory(&mut self, dir: &str, tlp: Option<Tlp>) {
        let index_url = format!("{dir}index.txt");
        let mut index = BTreeSet::new();
        match self.get(&index_url) {
            Ok(Some(b)) => {
                for line in String::from_utf8_lossy(&b)
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                {
                    index.insert(join(dir, line));
                }
            }
            Ok(None) => self.error(12, &index_url, "index.txt is not found"),
            Err(e) => self.unreachable(12, &index_url, tlp, e),
        }
        let changes = self.read_changes(dir, tlp);
        for url in &index {
            let seen = self.docs.entry(url.clone()).or_default();
            seen.index = true;
            seen.tlp = seen.tlp.or(tlp);
        }
        for (url, time) in &changes {
            let seen = self.docs.entry(url.clone()).or_default();
            seen.changes = Some(*time);
            seen.tlp = seen.tlp.or(tlp);
        }
        let changes: BTreeSet<&String> = changes.iter().map(|(u, _)| u).collect();
        for url in index.iter().filter(|u| !changes.contains(u)) {
            self.error(
                13,
                &format!("{dir}changes.csv"),
                format!("does not list {url}, which index.txt lists"),
            );
        }
        for url in changes.iter().filter(|u| !index.contains(**u)) {
            self.error(
                12,
                &index_url,
                format!("does not list {url}, which changes.csv lists"),
            );
        }
        if let Some(files) = self.fetch.list(dir) {
            for url in files.iter().filter(|u| is_document_url(dir, u)) {
                if !index.contains(url) {
                    self.error(
                        12,
                        &index_url,
                        format!("does not list {url}, which is in the folder"),
                    );
                    // Served all the same: its content is checked too.
                    self.docs.entry(url.clone()).or_default().tlp = tlp;
                }
            }
        }
    }

    fn read_changes(
        &mut self,
        dir: &str,
        tlp: Option<Tlp>,
    ) -> Vec<(String, Option<DateTime<Utc>>)> {
        let url = format!("{dir}changes.csv");
        let text = match self.get(&url) {
            Ok(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
            Ok(None) => {
                self.error(13, &url, "changes.csv is not found");
                return Vec::new();
            }
            Err(e) => {
                self.unreachable(13, &url, tlp, e);
                return Vec::new();
            }
        };
        let lines = match parse_changes(&text) {
            Ok(l) => l,
            Err(e) => {
                self.error(13, &url, e);
                return Vec::new();
            }
        };
        let unquoted: Vec<usize> = lines.iter().filter(|l| !l.quoted).map(|l| l.line).collect();
        if let Some(first) = unquoted.first() {
            self.warn(
                13,
                &url,
                format!(
                    "{} line(s) not quoted as \"path\",\"time\" (first: line {first}); read anyway",
                    unquoted.len()
                ),
            );
        }
        for l in lines.iter().filter(|l| l.time.is_none()) {
            self.error(
                13,
                &url,
                format!("line {}: `{}` is not a date-time", l.line, l.time_text),
            );
        }
        let timed: Vec<_> = lines
            .iter()
            .filter_map(|l| l.time.map(|t| (l.line, t)))
            .collect();
        if let Some(w) = timed.windows(2).find(|w| w[1].1 > w[0].1) {
            self.error(
                13,
                &url,
                format!(
                    "not sorted newest first: line {} is newer than line {}",
                    w[1].0, w[0].0
                ),
            );
        }
        lines
            .into_iter()
            .map(|l| (join(dir, &l.path), l.time))
            .collect()
    }
}

/// `https://h/a/b/` + `2024/x.json`; absolute references stay.
pub fn join(base: &str, reference: &str) -> String {
    let r = reference.trim();
    if r.contains("://") {
        return r.to_string();
    }
    if let Some(rest) = r.strip_prefix('/') {
        let origin_end = base
            .find("://")
            .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
            .unwrap_or(base.len());
        return format!("{}/{rest}", &base[..origin_end]);
    }
    format!("{}{r}", parent_url(base))
}

/// A CSAF document in a year folder of `dir` (not a feed or a listing).
fn is_document_url(dir: &str, url: &str) -> bool {
    let Some(rel) = url.strip_prefix(dir) else {
        return false;
    };
    let mut parts = rel.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(year), Some(name), None) if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) && name.ends_with(".json")
    )
}
