//! `kensa scan SBOM`: which vulnerabilities affect the SBOM's components, and why.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use kensa_matching::{ScanOptions, ScanReport, Scanner};
use kensa_model::Sbom;
use kensa_store::Store;

use crate::{Ctx, print_json};

pub const SCAN_ABOUT: &str = "Match an SBOM's components against the database and explain each \
finding.\n\n\
Every scan states what it was matched against: the table starts with a `matched against` line \
(the database, each source's record count, the newest modification), the JSON has a `database` \
object (the same, with `age_days` and `stale`). When the newest modification is more than 7 \
days old, a warning says that later vulnerabilities are missing. A database without \
vulnerability records is an error, never a clean result.";

#[derive(Args)]
#[command(after_help = "Examples:\n  \
kensa scan product.cdx.json\n  \
kensa scan product.spdx.json --format json --profile product.profile.yaml\n  \
kensa scan product.cdx.json --vex vendor.openvex.json --min-confidence 0.75")]
pub struct ScanArgs {
    /// The SBOM: CycloneDX (JSON or XML) or SPDX 2.x (JSON or tag-value)
    #[arg(value_name = "SBOM")]
    sbom: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: ScanFormat,
    /// Leave out matches whose name resolution is less certain than this (0 to 1).
    ///
    /// SBOM CPEs give 0.99, OSV packages 0.97, exact names up to 0.95,
    /// packaging aliases 0.65-0.85, fuzzy spellings 0.45-0.70; a criterion
    /// that names every version lowers its finding by 0.8x. 0.75 keeps exact
    /// and most alias matches and drops the fuzzy ones (docs/MATCHING.md).
    #[arg(long, default_value_t = 0.0, value_name = "X")]
    min_confidence: f64,
    /// Reject SBOMs that deviate from their specification instead of warning:
    /// CycloneDX is validated against its official JSON schema or XSD, SPDX
    /// against its JSON schema and the specification's rules
    #[arg(long)]
    strict: bool,
    /// Product profile (YAML) for triage: safety and mission impact, exposure,
    /// field patchability, CVSS environment, SSVC tree [default: conservative
    /// defaults, supplier tree]
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// A VEX document to apply (CycloneDX, OpenVEX, CSAF; repeatable):
    /// not_affected findings leave the table and are counted; JSON keeps
    /// them with a `vex` field
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum ScanFormat {
    /// One line per finding, for people
    #[default]
    Table,
    /// `{"findings": [{..., "triage": {...}}], "unversioned": [...], "unresolved": [...], "summary": {...}, "triage": {...}, "database": {...}}`
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards
    Sarif,
    /// CycloneDX 1.5 VDR: the SBOM's affected components with a vulnerabilities section
    Cyclonedx,
}

pub fn run(ctx: &Ctx, args: ScanArgs) -> Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.min_confidence) {
        anyhow::bail!(
            "--min-confidence must be between 0 and 1, got {}",
            args.min_confidence
        );
    }
    let triager = crate::triage::load_triager(args.profile.as_deref())?;
    let store = ctx.open_existing()?;
    // What the findings are matched against; nothing to match is an error,
    // never a clean result.
    let database = crate::database::DatabaseInfo::of(&store)?;
    database.require_vulnerability_data("scanning")?;
    database.warn_if_stale();
    let (sbom, mut report) = scan_sbom(
        &store,
        &args.sbom,
        args.strict,
        args.min_confidence,
        ctx.quiet,
    )?;
    let triages = kensa_app::triage::triage_findings(&store, &report.findings, &triager)?;
    crate::triage::sort_by_priority(&mut report, &triages);
    if !args.vex.is_empty() {
        let triage = crate::assess::TriageContext {
            triages: &triages,
            triager: &triager,
            profile: args.profile.as_deref(),
            database: &database,
        };
        crate::assess::print_scan_with_vex(
            &store,
            &sbom,
            report,
            &args.vex,
            args.format,
            &args.sbom,
            &triage,
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    match args.format {
        ScanFormat::Json => print_json(&crate::database::WithDatabase {
            report: crate::triage::triaged_report(
                &report,
                &triages,
                &triager,
                args.profile.as_deref(),
            ),
            database: &database,
        })?,
        ScanFormat::Table => {
            crate::outln!("{}", database.header());
            crate::out!("{}", crate::triage::render_triaged_table(&report, &triages))
        }
        ScanFormat::Sarif => print_json(&kensa_matching::output::sarif(
            &report,
            &args.sbom.to_string_lossy(),
        ))?,
        ScanFormat::Cyclonedx => {
            let mut vdr = kensa_matching::output::cyclonedx_vdr(&report, &sbom);
            vdr["metadata"]["timestamp"] = serde_json::json!(
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            print_json(&vdr)?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses the SBOM (warnings to stderr unless quiet) and scans it.
pub fn scan_file(
    store: &Store,
    path: &Path,
    strict: bool,
    min_confidence: f64,
    quiet: bool,
) -> Result<ScanReport> {
    Ok(scan_sbom(store, path, strict, min_confidence, quiet)?.1)
}

/// [`scan_file`], keeping the parsed SBOM for outputs that reuse it.
pub fn scan_sbom(
    store: &Store,
    path: &Path,
    strict: bool,
    min_confidence: f64,
    quiet: bool,
) -> Result<(Sbom, ScanReport)> {
    let (_, sbom) = read_sbom(path, strict, quiet)?;
    let scanner = Scanner::new(store)?;
    let report = scanner.scan(
        &sbom,
        &ScanOptions {
            min_confidence,
            ..ScanOptions::default()
        },
    )?;
    Ok((sbom, report))
}

/// Reads and parses an SBOM file (warnings to stderr unless quiet); the
/// bytes come back too, for callers that store them.
pub fn read_sbom(path: &Path, strict: bool, quiet: bool) -> Result<(Vec<u8>, Sbom)> {
    let bytes = crate::bounded::read(path, crate::bounded::SBOM_BYTES, "SBOM")?;
    let opts = if strict {
        kensa_sbom::ParseOptions::strict()
    } else {
        kensa_sbom::ParseOptions::default()
    };
    let sbom =
        kensa_sbom::parse(&bytes, &opts).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if !quiet {
        for w in &sbom.warnings {
            eprintln!(
                "warning: {}: {}",
                crate::term::field(&path.display().to_string()),
                crate::term::field(&w.to_string())
            );
        }
    }
    Ok((bytes, sbom))
}

/// Findings grouped by component, then what could not be matched.
pub fn render_table(r: &ScanReport) -> String {
    use crate::term::field;
    use std::fmt::Write as _;
    let mut o = String::new();
    let mut last = "";
    for f in &r.findings {
        if f.component.bom_ref != last {
            last = &f.component.bom_ref;
            let _ = writeln!(
                o,
                "{} {}",
                field(&f.component.name),
                field(f.component.version.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(
            o,
            "  {:<16} {:.2} {:<6} {}",
            field(&f.vulnerability.id),
            f.matched.confidence,
            serde_json::to_value(f.matched.method)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            field(&f.matched.matched)
        );
        for p in &f.platform_conditions {
            let _ = writeln!(o, "  {:<16}      only if {}", "", field(&p.to_string()));
        }
    }
    for u in &r.unversioned {
        let _ = writeln!(
            o,
            "{}: no version in the SBOM; {} candidate vulnerabilities for {} (not reported as findings)",
            field(&u.component.name),
            u.candidates.len(),
            field(&u.products.join(", "))
        );
    }
    let (suggested, bare): (Vec<_>, Vec<_>) =
        r.unresolved.iter().partition(|u| !u.nearest.is_empty());
    if !bare.is_empty() {
        let names: Vec<String> = bare
            .iter()
            .map(|u| field(&u.component.name).into_owned())
            .collect();
        let _ = writeln!(
            o,
            "no known product for: {} (a CPE or purl in the SBOM would help)",
            names.join(", ")
        );
    }
    for u in suggested {
        let _ = writeln!(
            o,
            "{}: no known product; nearest (confirm with `kensa alias add NAME VENDOR:PRODUCT`):",
            field(&u.component.name)
        );
        for n in &u.nearest {
            let _ = writeln!(
                o,
                "    {}:{}  {} records; {}",
                field(&n.vendor),
                field(&n.product),
                n.records,
                field(&n.reason)
            );
        }
    }
    let s = &r.summary;
    let _ = writeln!(
        o,
        "{} findings ({} vulnerabilities) in {} of {} components; {} unversioned, {} unresolved",
        s.findings,
        s.vulnerabilities,
        s.components_with_findings,
        s.components,
        s.unversioned,
        s.unresolved
    );
    o
}
