//! `kensa demo`: the bundled demo data, end to end, with no network and no setup.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::{Ctx, OutputFormat, db, thousands, vuln};

#[derive(Args)]
pub struct DemoArgs {
    /// Folder with the demo data [default: demo/ of the Kensa source tree]
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Keep the demo database at this path instead of a temporary file
    #[arg(long, value_name = "PATH")]
    keep: Option<PathBuf>,
}

/// The feeds in import order: vulnerabilities first, then the signals.
const FEEDS: &[&str] = &[
    "nvd-demo.api2.jsonl.gz",
    "vulnrichment-demo.cve5.jsonl.gz",
    "kev-demo.json",
    "csaf-demo.jsonl.gz",
];

/// The example product SBOM (CycloneDX) the demo data was chosen for.
const SBOM: &str = "rtu-gateway.cdx.json";

/// A vulnerability the demo shows in full: Heartbleed, in the gateway's
/// OpenSSL, known exploited, with ICS advisories of its own.
const SHOWCASE: &str = "CVE-2014-0160";

pub fn run(ctx: &Ctx, args: DemoArgs) -> Result<ExitCode> {
    let data = match args.data {
        Some(d) => d,
        None => default_data_dir()?,
    };
    let tmp;
    let db_path = match &args.keep {
        Some(p) => p.clone(),
        None => {
            tmp = tempfile::tempdir().context("creating a temporary directory")?;
            tmp.path().join("demo.db")
        }
    };
    crate::outln!(
        "Kensa demo: importing the bundled demo data into {}\n",
        db_path.display()
    );
    let mut store = kensa_store::Store::open(&db_path)?;
    let files: Vec<PathBuf> = FEEDS
        .iter()
        .map(|f| data.join(f))
        .filter(|p| p.exists())
        .collect();
    if files.is_empty() {
        bail!("no demo data in {}", data.display());
    }
    db::import_files(&mut store, &files, false, ctx.quiet, OutputFormat::Text)?;
    let s = store.stats()?;
    crate::outln!(
        "\nThe database now holds {} vulnerabilities from {} sources, {} KEV entries, {} EPSS scores and {} CSAF advisories.",
        thousands(s.vulnerabilities),
        s.records_by_kind.len(),
        thousands(s.kev),
        thousands(s.epss),
        thousands(s.csaf_documents)
    );
    print_scan(&store, &data.join(SBOM))?;
    if let Some(v) = store.vuln(SHOWCASE)? {
        crate::outln!("\n$ kensa vuln show {SHOWCASE}\n");
        crate::out!("{}", vuln::render(&v, false));
    }
    crate::outln!("\n$ kensa vuln search denial of service modbus\n");
    for h in store.search("denial of service modbus", false, 5)? {
        crate::outln!("{:<18} {}", h.id, h.snippet);
    }
    if args.keep.is_some() {
        crate::outln!(
            "\nExplore further: kensa --db {} vuln search WORDS",
            db_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Scans the demo SBOM and prints, per component, how many vulnerabilities
/// affect its version and which of them are known to be exploited.
fn print_scan(store: &kensa_store::Store, sbom: &Path) -> Result<()> {
    let report = crate::scan::scan_file(store, sbom, false, 0.0, true)?;
    crate::outln!("\n$ kensa scan {}\n", sbom.display());
    let mut rows: Vec<(String, Vec<&str>, Vec<&str>)> = Vec::new();
    for f in &report.findings {
        let label = format!(
            "{} {}",
            f.component.name,
            f.component.version.as_deref().unwrap_or("")
        );
        if rows.last().is_none_or(|r| r.0 != label) {
            rows.push((label, Vec::new(), Vec::new()));
        }
        if let Some(row) = rows.last_mut() {
            row.1.push(&f.vulnerability.id);
            if store.kev(&f.vulnerability.id)?.is_some() {
                row.2.push(&f.vulnerability.id);
            }
        }
    }
    for (label, ids, kev) in &rows {
        let known = if kev.is_empty() {
            String::new()
        } else {
            format!("; known exploited: {}", kev.join(", "))
        };
        crate::outln!("  {label:<22} {:>3} vulnerabilities{known}", ids.len());
    }
    let s = &report.summary;
    crate::outln!(
        "  {} findings in {} of {} components (the demo data holds a selection of CVEs;\n  `kensa scan --format json` explains each match: criterion, version range, confidence)",
        s.findings,
        s.components_with_findings,
        s.components
    );
    Ok(())
}

/// `demo/` next to the workspace (when run from the source tree via cargo),
/// else next to the executable.
fn default_data_dir() -> Result<PathBuf> {
    let candidates = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo"),
        std::env::current_dir()?.join("demo"),
    ];
    let dir = candidates
        .into_iter()
        .find(|p| p.join(FEEDS[0]).exists())
        .context("demo data not found; pass --data DIR (the demo/ folder of the Kensa sources)")?;
    Ok(dir.canonicalize().unwrap_or(dir))
}
