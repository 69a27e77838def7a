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
    print_candidates(&store, &data.join(SBOM))?;
    if let Some(v) = store.vuln(SHOWCASE)? {
        println!("\n$ kensa vuln show {SHOWCASE}\n");
        print!("{}", vuln::render(&v, false));
    }
    println!("\n$ kensa vuln search denial of service modbus\n");
    for h in store.search("denial of service modbus", false, 5)? {
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

/// For each component of the demo SBOM, the stored vulnerabilities that name
/// its CPE vendor and product. These are candidates: deciding which versions
/// are affected is the matcher's job (`kensa scan`, issue #3), not this list's.
fn print_candidates(store: &kensa_store::Store, sbom: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(sbom).with_context(|| format!("reading {}", sbom.display()))?;
    let bom: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", sbom.display()))?;
    let product = bom
        .pointer("/metadata/component/name")
        .and_then(|v| v.as_str());
    println!(
        "\nComponents of {} ({}) and the vulnerabilities that name them:",
        product.unwrap_or("the demo product"),
        sbom.display()
    );
    let components = bom["components"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for c in components {
        let (Some(name), Some(cpe)) = (c["name"].as_str(), c["cpe"].as_str()) else {
            continue;
        };
        let version = c["version"].as_str().unwrap_or("?");
        let Some((_, vendor, prod)) = kensa_model::cpe::vendor_product(cpe) else {
            continue;
        };
        let ids = store.candidates_by_cpe(vendor, prod)?;
        let kev: Vec<&String> = ids
            .iter()
            .filter(|id| store.kev(id).ok().flatten().is_some())
            .collect();
        let known = if kev.is_empty() {
            String::new()
        } else {
            format!(
                "; known exploited: {}",
                kev.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        println!(
            "  {name:<10} {version:<10} {:>3} candidate(s){known}",
            ids.len()
        );
    }
    println!(
        "  (candidates name the product; which versions are affected is decided by `kensa scan`)"
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
