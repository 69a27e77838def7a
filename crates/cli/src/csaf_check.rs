//! `kensa csaf check`: checks a provider's tree (a folder, or over HTTP)
//! against the distribution requirements of CSAF 2.0 section 7.1; the
//! checks are `kensa_report::csaf::provider::check`, this file reads files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use kensa_intel::sync::{Client, HttpConfig, HttpError};
use kensa_report::csaf::provider::check::{self, Level, NOT_CHECKED};
use kensa_report::csaf::provider::{Fetch, parent_url};

use crate::{OutputFormat, outln, print_json, term};

#[derive(Args)]
pub struct CheckArgs {
    /// The tree's folder, the URL of its provider-metadata.json, or a
    /// domain (its /.well-known/csaf/provider-metadata.json)
    #[arg(value_name = "DIR|URL")]
    target: String,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub const LONG_ABOUT: &str = "Check a CSAF 2.0 provider's tree against the distribution \
requirements of section 7.1, offline (a folder written by `kensa csaf publish` or mirrored) \
or over HTTP, and name each requirement not met with the file's URL.\n\n\
Checked: provider-metadata.json reachable and valid (7), at the well-known place (9), \
https (3, the scheme only), every document valid CSAF (1), file names (2), TLP folders \
(4, 5), year folders (11), index.txt and changes.csv listing every document and only \
existing ones, changes.csv newest first (12, 13), ROLIE feeds reachable with entries \
that resolve (15), .sha256/.sha512 matching (18), .asc signatures verifying against a key \
listed in the metadata (19; offline, the key must lie in the tree) and the listed keys' \
fingerprints (20). For a csaf_trusted_provider missing hashes, signatures and keys are \
errors; for other roles warnings.\n\n\
Not checked: TLS and DNS (3, 10), access control (5), redirects (6), security.txt (8), \
directory listings (14), ROLIE service and category documents (16, 17).\n\n\
Quirks seen in real trees (unquoted changes.csv lines, as CISA writes them) are warnings. \
The exit status is 1 when any requirement fails.";

pub const AFTER_HELP: &str = "Examples:\n  \
kensa csaf check site/.well-known/csaf\n  \
kensa csaf check https://psirt.example.com/.well-known/csaf/provider-metadata.json\n  \
kensa csaf check psirt.example.com --format json";

pub fn run(args: CheckArgs) -> Result<ExitCode> {
    let path = Path::new(&args.target);
    let looks_like_path = path.exists() || args.target.contains(['/', '\\']);
    let report = if !args.target.contains("://") && looks_like_path {
        let (mut fetch, url) = DirFetch::open(path);
        check::check(&mut fetch, &url)
    } else {
        let url = metadata_url(&args.target);
        let mut fetch = HttpFetch(Client::new(HttpConfig {
            max_attempts: 2,
            ..HttpConfig::default()
        }));
        check::check(&mut fetch, &url)
    };
    match args.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "target": args.target,
            "metadata_url": report.metadata_url,
            "role": report.role,
            "documents": report.documents,
            "passed": report.passed,
            "problems": report.problems.iter().map(|p| serde_json::json!({
                "requirement": p.requirement,
                "title": p.title,
                "heading": p.heading(),
                "level": p.level,
                "url": p.url,
                "message": p.message,
            })).collect::<Vec<_>>(),
            "not_checked": NOT_CHECKED.iter().map(|(r, why)| serde_json::json!({"requirement": r, "why": why})).collect::<Vec<_>>(),
        }))?,
        OutputFormat::Text => {
            for p in &report.problems {
                let level = match p.level {
                    Level::Error => "error",
                    Level::Warning => "warning",
                };
                outln!(
                    "{level:<7} {}: {}: {}",
                    p.heading(),
                    term::field(&p.url),
                    term::field(&p.message)
                );
            }
            let errors = report
                .problems
                .iter()
                .filter(|p| p.level == Level::Error)
                .count();
            outln!(
                "{}: {} ({}, {} document(s), {errors} error(s), {} warning(s))",
                term::field(&report.metadata_url),
                if report.passed { "passed" } else { "FAILED" },
                report.role.as_deref().unwrap_or("no role"),
                report.documents,
                report.problems.len() - errors,
            );
        }
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A URL of the metadata as given; a site's origin or a bare domain means
/// its well-known metadata (CSAF 2.0 §7.1.9).
fn metadata_url(target: &str) -> String {
    let t = target.trim().trim_end_matches('/');
    if t.ends_with(".json") {
        return kensa_intel::sync::csaf::metadata_url(t);
    }
    let origin = if t.contains("://") {
        t.to_string()
    } else {
        format!("https://{t}")
    };
    format!("{origin}/.well-known/csaf/provider-metadata.json")
}

/// Reads a tree from a folder: URLs under the tree's base URL (from its
/// canonical_url) map to files; others are not available offline.
struct DirFetch {
    root: PathBuf,
    base: String,
}

impl DirFetch {
    /// The fetcher and the metadata's URL.
    fn open(root: &Path) -> (DirFetch, String) {
        let fallback = format!("file://{}/provider-metadata.json", root.display());
        let canonical = std::fs::read(root.join("provider-metadata.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|m| m.get("canonical_url")?.as_str().map(str::to_string))
            .filter(|u| u.ends_with("/provider-metadata.json"))
            .unwrap_or(fallback);
        let fetch = DirFetch {
            root: root.to_path_buf(),
            base: parent_url(&canonical).to_string(),
        };
        (fetch, canonical)
    }

    fn path_of(&self, url: &str) -> Result<PathBuf, String> {
        let rel = url.strip_prefix(&self.base).ok_or_else(|| {
            format!(
                "outside the tree's base URL {}: not available offline",
                self.base
            )
        })?;
        if rel.split('/').any(|s| s == ".." || s.is_empty()) && !rel.is_empty() {
            return Err(format!("`{rel}` leaves the tree"));
        }
        Ok(self.root.join(rel))
    }
}

impl Fetch for DirFetch {
    fn get(&mut self, url: &str) -> Result<Option<Vec<u8>>, String> {
        let path = self.path_of(url)?;
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    fn list(&mut self, url_prefix: &str) -> Option<Vec<String>> {
        let dir = self.path_of(url_prefix.trim_end_matches('/')).ok()?;
        let mut out = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).ok()?.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(rel) = path.strip_prefix(&dir) {
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    out.push(format!("{}/{rel}", url_prefix.trim_end_matches('/')));
                }
            }
        }
        Some(out)
    }
}

/// Reads a tree over HTTP with the sync's client; 404 and 410 are "no
/// such file".
struct HttpFetch(Client);

impl Fetch for HttpFetch {
    fn get(&mut self, url: &str) -> Result<Option<Vec<u8>>, String> {
        match self.0.get(url, &[]) {
            Ok(r) => Ok(Some(r.body)),
            Err(HttpError::Status {
                status: 404 | 410, ..
            }) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}
