//! `kensa vuln …`: show one vulnerability, search descriptions.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use kensa_store::{Store, VulnView};

use crate::{Ctx, OutputFormat, print_json};

#[derive(Subcommand)]
pub enum VulnCommand {
    /// Everything known about one vulnerability, and which source said what
    Show(ShowArgs),
    /// Full-text search over descriptions, best matches first
    Search(SearchArgs),
}

#[derive(Args)]
pub struct ShowArgs {
    /// A CVE id, or an alias such as GHSA-… or PYSEC-…
    id: String,
    /// Show every CPE criterion and reference instead of the first few
    #[arg(long)]
    full: bool,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

#[derive(Args)]
pub struct SearchArgs {
    /// Words that must all occur (stemmed: "overflows" finds "overflow")
    #[arg(required = true, value_name = "TEXT")]
    text: Vec<String>,
    /// Treat TEXT as an FTS5 query (OR, NOT, "phrases", prefix*)
    #[arg(long)]
    raw: bool,
    #[arg(long, default_value_t = 20)]
    limit: usize,
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

pub fn run(ctx: &Ctx, cmd: VulnCommand) -> Result<ExitCode> {
    let store = ctx.open_existing()?;
    match cmd {
        VulnCommand::Show(args) => show(&store, args),
        VulnCommand::Search(args) => search(&store, args),
    }
}

fn show(store: &Store, args: ShowArgs) -> Result<ExitCode> {
    let ids = store.resolve(args.id.trim())?;
    let views = ids
        .iter()
        .filter_map(|id| store.vuln(id).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    if views.is_empty() {
        bail!(
            "{} is not in the database {}\n  hint: `kensa vuln search WORDS` finds vulnerabilities by description",
            args.id,
            store.path().display()
        );
    }
    if args.format == OutputFormat::Json {
        if views.len() == 1 {
            print_json(&views[0])?;
        } else {
            print_json(&views)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    for (i, v) in views.iter().enumerate() {
        if i > 0 {
            crate::outln!();
        }
        crate::out!("{}", render(v, args.full));
    }
    Ok(ExitCode::SUCCESS)
}

/// The human view: signals first, then each source's statements.
pub fn render(v: &VulnView, full: bool) -> String {
    let limit = if full { 0 } else { 8 };
    let mut o = String::new();
    let _ = writeln!(o, "{}", v.id);
    let day = |t: &Option<String>| t.as_deref().map(|t| t.get(..10).unwrap_or(t).to_string());
    let _ = writeln!(
        o,
        "  published {}   last modified {}",
        day(&v.published).unwrap_or_else(|| "?".into()),
        day(&v.last_modified).unwrap_or_else(|| "?".into())
    );
    if !v.aliases.is_empty() {
        let _ = writeln!(o, "  aliases: {}", v.aliases.join(", "));
    }
    if let Some(k) = &v.kev {
        let _ = writeln!(
            o,
            "  KNOWN EXPLOITED (CISA KEV): added {}, due {}, ransomware use: {}\n    {}",
            k.date_added, k.due_date, k.known_ransomware_campaign_use, k.vulnerability_name
        );
    }
    if let Some(e) = &v.epss {
        let _ = writeln!(
            o,
            "  EPSS: {:.5} (percentile {:.3}){}",
            e.epss,
            e.percentile,
            e.score_date
                .as_deref()
                .map(|d| format!(" on {d}"))
                .unwrap_or_default()
        );
    }
    for s in &v.records {
        let r = &s.record;
        let _ = writeln!(
            o,
            "\n── {}  (modified {}, imported {} from {})",
            s.source,
            day(&s.last_modified).unwrap_or_else(|| "?".into()),
            s.imported_at.get(..10).unwrap_or(&s.imported_at),
            s.imported_from
        );
        if let Some(t) = &r.title {
            let _ = writeln!(o, "  title: {t}");
        }
        if let Some(st) = &r.status {
            let _ = writeln!(o, "  status: {st}");
        }
        for d in r
            .descriptions
            .iter()
            .filter(|d| full || d.lang.starts_with("en"))
        {
            let _ = writeln!(o, "  description [{}]: {}", d.lang, d.value);
        }
        for n in &r.notes {
            let _ = writeln!(o, "  note: {n}");
        }
        for m in &r.cvss {
            let _ = writeln!(
                o,
                "  CVSS {} {} {}  {}  (scored by {})",
                m.version,
                m.base_score
                    .map(|s| format!("{s:.1}"))
                    .unwrap_or_else(|| "-".into()),
                m.base_severity.as_deref().unwrap_or(""),
                m.vector,
                m.source
            );
        }
        if !r.weaknesses.is_empty() {
            let cwes: Vec<&str> = r.weaknesses.iter().map(|w| w.cwe.as_str()).collect();
            let _ = writeln!(o, "  weaknesses: {}", cwes.join(", "));
        }
        if let Some(s) = &r.ssvc {
            let _ = writeln!(
                o,
                "  SSVC: exploitation={} automatable={} technical impact={}",
                s.exploitation.as_deref().unwrap_or("?"),
                s.automatable.as_deref().unwrap_or("?"),
                s.technical_impact.as_deref().unwrap_or("?")
            );
        }
        for (i, c) in r.configurations.iter().enumerate() {
            let _ = write!(o, "  configuration {}: ", i + 1);
            let mut tree = String::new();
            c.render_tree(&mut tree, "  ", limit);
            o.push_str(tree.trim_start());
        }
        for a in &r.affected {
            let versions: Vec<String> = a
                .versions
                .iter()
                .map(|v| {
                    let upper = v
                        .less_than
                        .as_deref()
                        .map(|x| format!(" < {x}"))
                        .or_else(|| v.less_than_or_equal.as_deref().map(|x| format!(" <= {x}")))
                        .unwrap_or_default();
                    format!("{}{upper} ({})", v.version, v.status)
                })
                .collect();
            let _ = writeln!(
                o,
                "  affected: {} {}: {}",
                a.vendor.as_deref().unwrap_or("?"),
                a.product
                    .as_deref()
                    .or(a.package_name.as_deref())
                    .unwrap_or("?"),
                versions.join("; ")
            );
        }
        for a in &r.osv_affected {
            let _ = writeln!(
                o,
                "  affected package: {}/{} ({} range(s), {} version(s))",
                a.ecosystem.as_deref().unwrap_or("?"),
                a.name.as_deref().unwrap_or("?"),
                a.ranges.len(),
                a.versions.len()
            );
        }
        if !r.cpes.is_empty() {
            let _ = writeln!(o, "  CPEs: {}", r.cpes.join(", "));
        }
        let shown = if full {
            r.references.len()
        } else {
            r.references.len().min(3)
        };
        for re in &r.references[..shown] {
            let _ = writeln!(o, "  ref: {}", re.url);
        }
        if shown < r.references.len() {
            let _ = writeln!(
                o,
                "  … {} more references (--full)",
                r.references.len() - shown
            );
        }
    }
    for a in &v.advisories {
        let _ = writeln!(
            o,
            "\n── advisory {} ({}): {}",
            a.tracking_id, a.publisher, a.title
        );
        for (status, products) in &a.product_status {
            let _ = writeln!(o, "  {status}: {}", products.join("; "));
        }
    }
    o
}

fn search(store: &Store, args: SearchArgs) -> Result<ExitCode> {
    let text = args.text.join(" ");
    let hits = store.search(&text, args.raw, args.limit)?;
    if args.format == OutputFormat::Json {
        print_json(&hits)?;
        return Ok(ExitCode::SUCCESS);
    }
    if hits.is_empty() {
        eprintln!("no description matches `{text}`");
        return Ok(ExitCode::from(1));
    }
    for h in hits {
        crate::outln!(
            "{:<18} {}",
            crate::term::field(&h.id),
            crate::term::field(&h.snippet.replace('\n', " "))
        );
    }
    Ok(ExitCode::SUCCESS)
}
