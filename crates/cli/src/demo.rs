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
    /// Then start the team server on the demo data, with a demo admin whose
    /// password is printed, and keep serving until Ctrl-C
    #[arg(long)]
    serve: bool,
    /// Where --serve listens
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8080",
        requires = "serve"
    )]
    listen: std::net::SocketAddr,
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

/// The gateway's product profile, for triage.
const PROFILE: &str = "rtu-gateway.profile.yaml";

/// The vulnerability whose trigger conditions the demo shows as a checklist.
const CHECKLIST: &str = "CVE-2014-6271";

/// A capture of an engineering station reading a Siemens S7-300's identity
/// (from CISA's ICSNPP S7comm tests).
const CAPTURE: &str = "ot/s7ident.pcap";

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
    print_queue(&mut store, &data)?;
    print_checklist(&store)?;
    print_ot(&store, &data)?;
    if args.serve {
        return serve(ctx, store, &db_path, args.listen);
    }
    if args.keep.is_some() {
        crate::outln!(
            "\nExplore further: kensa --db {} queue, kensa --db {} vuln search WORDS",
            db_path.display(),
            db_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Triage: the gateway stored as a product, its backlog by priority under
/// its product profile (safety impact, exposure, field patchability).
fn print_queue(store: &mut kensa_store::Store, data: &Path) -> Result<()> {
    let sbom_path = data.join(SBOM);
    let raw =
        std::fs::read(&sbom_path).with_context(|| format!("reading {}", sbom_path.display()))?;
    let origin = sbom_path.to_string_lossy();
    let new = kensa_app::products::AddVersion {
        product: "rtu-gateway",
        version: "2.8.1",
        sbom: &raw,
        origin: &origin,
        team: None,
        replace: true,
        strict: false,
        parsed: None,
    };
    kensa_app::products::add_version(store, &kensa_app::Actor::operator(), &new, true, &|_| {})?;
    let profile = data.join(PROFILE);
    let triager = crate::triage::load_triager(Some(&profile))?;
    let mut rows = kensa_app::queue::live_backlog(
        store,
        &["rtu-gateway".to_string()],
        &triager,
        &kensa_app::queue::QueueFilter::default(),
    )?;
    let total = rows.len();
    rows.truncate(8);
    crate::outln!(
        "\n$ kensa product add rtu-gateway --version 2.8.1 --sbom {}\n$ kensa queue --profile {} --limit 8\n",
        sbom_path.display(),
        profile.display()
    );
    crate::queue::print_table(&rows);
    crate::outln!(
        "  (of {total}; each finding's JSON carries its SSVC decision points, CVSS, EPSS, KEV and the score breakdown)"
    );
    Ok(())
}

/// Assessment: Shellshock's trigger conditions as a checklist.
fn print_checklist(store: &kensa_store::Store) -> Result<()> {
    let records = store
        .vuln(CHECKLIST)?
        .map(|v| v.records)
        .unwrap_or_default();
    if records.is_empty() {
        return Ok(());
    }
    let records: Vec<kensa_model::VulnRecord> = records.into_iter().map(|r| r.record).collect();
    let tree = kensa_logic::extract::rules(&records);
    crate::outln!(
        "\n$ kensa checklist {CHECKLIST}   (Markdown with how-to-check hints; --lang ja for Japanese)\n"
    );
    let mut lines = Vec::new();
    outline(&tree.logic, 1, &mut lines);
    for line in lines {
        crate::outln!("{line}");
    }
    crate::outln!(
        "\nAnswer the questions in a file, then `kensa assess {CHECKLIST} --answers FILE` gives the verdict\nand `kensa vex … --format openvex|cyclonedx|csaf` states it for your customers."
    );
    Ok(())
}

/// The tree as an indented outline: groups say how their children combine,
/// conditions show their question.
fn outline(node: &kensa_logic::Node, depth: usize, out: &mut Vec<String>) {
    let pad = "  ".repeat(depth);
    match node {
        kensa_logic::Node::Group(g) => {
            let how = match g.op {
                kensa_logic::GroupOp::All => "ALL of the following hold:",
                kensa_logic::GroupOp::Any => "ANY of the following holds:",
            };
            out.push(format!("{pad}{how}"));
            for c in &g.children {
                outline(c, depth + 1, out);
            }
        }
        kensa_logic::Node::Condition(c) => out.push(format!("{pad}[{}] {}", c.id, c.question)),
    }
}

/// Monitoring: the PLC in a capture, identified from its own S7 replies,
/// and its firmware matched like any SBOM component.
fn print_ot(store: &kensa_store::Store, data: &Path) -> Result<()> {
    let pcap = data.join(CAPTURE);
    let Ok(file) = std::fs::File::open(&pcap) else {
        return Ok(());
    };
    let mut b = kensa_ot::inventory::InventoryBuilder::default();
    b.add_capture(CAPTURE, std::io::BufReader::new(file))
        .with_context(|| format!("reading capture {}", pcap.display()))?;
    let inventory = b.finish();
    crate::outln!(
        "\n$ kensa ot inventory {} --format cyclonedx > plant.cdx.json\n",
        pcap.display()
    );
    for d in &inventory.devices {
        let roles: Vec<String> = d
            .roles
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok()?.as_str().map(str::to_string))
            .collect();
        crate::outln!("  {:<15} {}", d.ip, roles.join(", "));
        // Identities are strings the devices sent.
        use crate::term::field;
        for id in &d.identity {
            crate::outln!(
                "  {:<15} {} {} ({}), firmware {}",
                "",
                field(id.vendor.as_deref().unwrap_or("?")),
                field(id.product_name.as_deref().unwrap_or("?")),
                field(id.order_number.as_deref().unwrap_or("no order number")),
                field(id.revision.as_deref().unwrap_or("?"))
            );
        }
    }
    let bom = serde_json::to_vec(&inventory.to_cyclonedx())?;
    let sbom = kensa_sbom::parse(&bom, &kensa_sbom::ParseOptions::default())
        .map_err(|e| anyhow::anyhow!("the inventory's CycloneDX: {e}"))?;
    let report = kensa_matching::Scanner::new(store)?
        .scan(&sbom, &kensa_matching::ScanOptions::default())?;
    crate::outln!("\n$ kensa scan plant.cdx.json\n");
    crate::out!("{}", crate::scan::render_table(&report));
    Ok(())
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

/// The team server on the demo database: a demo admin with a fresh
/// password, printed with the address to open.
fn serve(
    ctx: &Ctx,
    mut store: kensa_store::Store,
    db_path: &Path,
    listen: std::net::SocketAddr,
) -> Result<ExitCode> {
    let actor = kensa_app::Actor::operator();
    let password = kensa_app::secret::new_secret()?[..16].to_string();
    let user = "demo";
    match kensa_app::accounts::add_user(&mut store, &actor, user, Some(&password), true) {
        Ok(()) => {}
        Err(kensa_app::AppError::Conflict(_)) => {
            kensa_app::accounts::set_password(&mut store, &actor, user, &password)?
        }
        Err(e) => return Err(e.into()),
    }
    drop(store);
    let mut config = kensa_server::Config::new(db_path.to_path_buf());
    config.listen = listen;
    let quiet = ctx.quiet;
    kensa_server::serve(config, move |addr| {
        crate::outln!(
            "\nThe team server is running on the demo data: open http://{addr}/ and log in as\n  user:     {user}\n  password: {password}\n(Ctrl-C stops it.)"
        );
        if !quiet {
            eprintln!("kensa serve: http://{addr}/");
        }
    })?;
    Ok(ExitCode::SUCCESS)
}
