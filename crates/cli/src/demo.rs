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
    "epss-demo.csv",
    "csaf-demo.jsonl.gz",
    "osv-demo.tar.gz",
];

/// Vulnerabilities the demo shows in full: they affect components of the
/// demo SBOM.
const SHOWCASE: &[&str] = &["CVE-2014-0160"];

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
    println!(
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
    println!(
        "\nThe database now holds {} vulnerabilities from {} sources, {} KEV entries, {} EPSS scores and {} CSAF advisories.",
        thousands(s.vulnerabilities),
        s.records_by_kind.len(),
        thousands(s.kev),
        thousands(s.epss),
        thousands(s.csaf_documents)
    );
    for id in SHOWCASE {
        if let Some(v) = store.vuln(id)? {
            println!("\n$ kensa vuln show {id}\n");
            print!("{}", vuln::render(&v, false));
        }
    }
    println!("\n$ kensa vuln search buffer overflow modbus\n");
    for h in store.search("buffer overflow modbus", false, 5)? {
        println!("{:<18} {}", h.id, h.snippet);
    }
    if args.keep.is_some() {
        println!(
            "\nExplore further: kensa --db {} vuln search WORDS",
            db_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `demo/` next to the workspace (when run from the source tree via cargo),
/// else next to the executable.
fn default_data_dir() -> Result<PathBuf> {
    let candidates = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo"),
        std::env::current_dir()?.join("demo"),
    ];
    candidates
        .into_iter()
        .find(|p| p.join(FEEDS[0]).exists())
        .context("demo data not found; pass --data DIR (the demo/ folder of the Kensa sources)")
}
