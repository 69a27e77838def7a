//! `kensa advisory`: CSAF 2.0 security advisories for customers, from the
//! stored verdicts, and their rendering as a readable page.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use kensa_app::Actor;
use kensa_app::advisories::{self, AdvisoryRequest};
use kensa_report::csaf::{self, advisory::Publisher, render};
use serde_json::Value;

use crate::Ctx;

#[derive(Subcommand)]
pub enum AdvisoryCommand {
    /// Write a CSAF 2.0 security advisory for a stored product version
    #[command(
        long_about = "Write a CSAF 2.0 csaf_security_advisory for a stored product version: \
each finding's vulnerability with the product's status from its stored verdict \
(`kensa assess ID --answers F --product P`): known_affected, known_not_affected (with the \
VEX justification flag and the verdict's logical basis as the impact statement), or \
under_investigation when not assessed yet; a later stored version without the finding \
becomes the fixed version with a vendor_fix remediation. Scores (CVSS v2/v3), the CWE, \
and known exploitation (CISA KEV) come from the database.\n\n\
A draft states every current verdict; interim and final advisories state only approved \
verdicts (`kensa` assessments approved by an approver). Every advisory is checked with \
`kensa csaf validate`'s tests before it is written.\n\n\
When -o names an existing advisory, the new one updates it: same tracking id and initial \
release date, the version bumped, and a revision saying what changed.\n\n\
The publisher comes from --publisher FILE (or $KENSA_PUBLISHER), YAML or JSON:\n  \
name: Example Industrial\n  namespace: https://psirt.example.com\n  \
category: vendor            # optional\n  contact_details: psirt@example.com   # optional\n  \
tlp: WHITE                  # optional: WHITE, GREEN, AMBER or RED",
        after_help = "Examples:\n  \
kensa advisory create --product rtu-gateway --publisher psirt.yaml -o rtu-gateway-2.1.json\n  \
kensa advisory create --product rtu-gateway --version 2.1 --vuln CVE-2014-0160 --status final -o adv.json\n  \
kensa advisory render adv.json --format html -o adv.html"
    )]
    Create(CreateArgs),
    /// Render a CSAF document as a page a customer can read (HTML or Markdown)
    #[command(after_help = "Examples:\n  \
kensa advisory render adv.json --format markdown\n  \
kensa advisory render adv.json --format html -o adv.html")]
    Render(RenderArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    /// The stored product
    #[arg(long, value_name = "NAME")]
    product: String,
    /// Its version [default: the newest stored]
    #[arg(long, value_name = "V")]
    version: Option<String>,
    /// Only these vulnerabilities (repeatable) [default: every finding]
    #[arg(long = "vuln", value_name = "ID")]
    vulns: Vec<String>,
    /// The advisory's tracking status
    #[arg(long, value_name = "STATUS", default_value = "draft", value_parser = ["draft", "interim", "final"])]
    status: String,
    /// The publisher profile (YAML or JSON) [default: $KENSA_PUBLISHER]
    #[arg(long, value_name = "FILE")]
    publisher: Option<PathBuf>,
    /// Write here (updating the advisory already there) [default: standard output]
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// With -o: start a new advisory instead of updating the one there
    #[arg(long, requires = "output")]
    replace: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum PageFormat {
    Html,
    Markdown,
}

#[derive(Args)]
pub struct RenderArgs {
    /// A CSAF 2.0 document
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[arg(long, value_enum)]
    format: PageFormat,
    /// Write here [default: standard output]
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(ctx: &Ctx, cmd: AdvisoryCommand) -> Result<ExitCode> {
    match cmd {
        AdvisoryCommand::Create(args) => create(ctx, args),
        AdvisoryCommand::Render(args) => render_page(args),
    }
}

fn create(ctx: &Ctx, args: CreateArgs) -> Result<ExitCode> {
    let status = advisories::status(&args.status)?;
    let publisher = load_publisher(args.publisher.as_deref(), &args.status)?;
    let previous = match &args.output {
        Some(path) if path.exists() && !args.replace => {
            Some(read_json(path).with_context(|| {
                format!(
                    "{} exists and is read as the advisory to update (--replace starts anew)",
                    path.display()
                )
            })?)
        }
        _ => None,
    };
    let store = ctx.open_existing()?;
    let req = AdvisoryRequest {
        product: &args.product,
        version: args.version.as_deref(),
        vulnerabilities: &args.vulns,
        status,
        publisher: &publisher,
        previous: previous.as_ref(),
        now: chrono::Utc::now(),
    };
    let advisory = advisories::security_advisory(&store, &Actor::operator(), &req)?;
    let bytes = serde_json::to_vec_pretty(&advisory.document)?;
    let check = csaf::validate_bytes(&bytes);
    if let Some(e) = check.errors().next() {
        bail!(
            "the advisory Kensa wrote fails CSAF test {} at {}: {} (a bug in Kensa; nothing was written)",
            e.test,
            e.path,
            e.message
        );
    }
    for id in &advisory.unapproved {
        eprintln!("note: {id} is stated as under investigation: its verdict is not approved");
    }
    let t = &advisory.document["document"]["tracking"];
    let summary = format!(
        "{} version {} ({}) for {} {}: {} vulnerabilities",
        t["id"].as_str().unwrap_or(""),
        t["version"].as_str().unwrap_or(""),
        args.status,
        args.product,
        advisory.version,
        advisory.document["vulnerabilities"]
            .as_array()
            .map_or(0, Vec::len)
    );
    match &args.output {
        Some(path) => {
            write_atomically(path, &bytes)?;
            if !ctx.quiet {
                eprintln!("wrote {}: {summary}", path.display());
            }
        }
        None => {
            crate::emit(&String::from_utf8_lossy(&bytes));
            crate::emit("\n");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn load_publisher(path: Option<&Path>, status: &str) -> Result<Publisher> {
    let from_env = std::env::var_os("KENSA_PUBLISHER")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let Some(path) = path.map(Path::to_path_buf).or(from_env) else {
        if status != "draft" {
            bail!(
                "a {status} advisory needs its publisher\n  hint: --publisher FILE (or $KENSA_PUBLISHER) with name and namespace; see `kensa advisory create --help`"
            );
        }
        eprintln!(
            "note: no publisher profile (--publisher FILE); the draft names an unconfigured publisher"
        );
        return Ok(Publisher {
            name: "Unconfigured publisher".into(),
            namespace: "urn:x-kensa:unconfigured".into(),
            category: "vendor".into(),
            contact_details: None,
            tlp: "WHITE".into(),
        });
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the publisher profile {}", path.display()))?;
    serde_norway::from_str(&text).with_context(|| format!("publisher profile {}", path.display()))
}

fn read_json(path: &Path) -> Result<Value> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not JSON: line {}, column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

/// Writes through a temporary file in the same directory, so that a
/// failure never leaves half an advisory.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.write_all(b"\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn render_page(args: RenderArgs) -> Result<ExitCode> {
    let doc = read_json(&args.file)?;
    if !doc["document"].is_object() {
        bail!(
            "{}: not a CSAF document (no /document object)",
            args.file.display()
        );
    }
    let page = match args.format {
        PageFormat::Html => render::html(&doc),
        PageFormat::Markdown => render::markdown(&doc),
    };
    match &args.output {
        Some(path) => write_atomically(path, page.as_bytes())?,
        // Rendered text is escaped for its format, not for the terminal:
        // write it as is.
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(page.as_bytes()).and_then(|()| out.flush())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(e).context("writing the page");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
