//! `kensa ot inventory`, `kensa ot baseline learn` and `kensa ot detect`:
//! asset inventory, learned baselines and anomaly detection on captures.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use kensa_ot::CaptureReader;
use kensa_ot::baseline::{Baseline, FrameWindow, learn_capture};
use kensa_ot::detect::{Alert, Detector, Report, Severity};
use kensa_ot::inventory::InventoryBuilder;
use kensa_ot::observe::observe_capture;
use kensa_ot::pipeline::PipelineConfig;

use crate::ot_assets::{Annotation, Enricher};
use crate::{Ctx, outln, print_json, thousands};

#[derive(Args)]
pub struct InventoryArgs {
    /// Captures (pcap or pcapng)
    #[arg(value_name = "PCAP", required = true)]
    captures: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: InventoryFormat,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum InventoryFormat {
    /// `{"captures": [...], "devices": [...]}`
    #[default]
    Json,
    /// CycloneDX 1.6 hardware/firmware BOM, for `kensa scan`
    Cyclonedx,
}

#[derive(Subcommand)]
pub enum BaselineCommand {
    /// Learn normal behaviour from captures into a baseline JSON file
    Learn(LearnArgs),
}

/// Which packets of each capture to use.
#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum Split {
    /// Every packet
    #[default]
    All,
    /// The first half of the packets (for evaluation: learn on it)
    FirstHalf,
    /// The second half of the packets (for evaluation: detect on it)
    SecondHalf,
}

#[derive(Args)]
pub struct LearnArgs {
    /// Captures of normal operation (pcap or pcapng)
    #[arg(value_name = "PCAP", required = true)]
    captures: Vec<PathBuf>,
    /// Where to write the baseline
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Use only part of each capture's packets (for evaluation)
    #[arg(long, value_enum, default_value_t)]
    split: Split,
}

#[derive(Args)]
pub struct DetectArgs {
    /// Baseline written by `kensa ot baseline learn`
    #[arg(long, value_name = "FILE")]
    baseline: PathBuf,
    /// Captures to check (pcap or pcapng)
    #[arg(value_name = "PCAP", required = true)]
    captures: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: DetectFormat,
    /// Use only part of each capture's packets (for evaluation)
    #[arg(long, value_enum, default_value_t)]
    split: Split,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum DetectFormat {
    /// One alert per line
    #[default]
    Jsonl,
    /// `{"alerts": [...], "dropped_alerts": N}`
    Json,
    /// Alert counts per rule and severity, then one line per alert
    Summary,
}

pub(crate) fn open(path: &Path) -> Result<BufReader<File>> {
    let f = File::open(path).with_context(|| format!("opening capture {}", path.display()))?;
    Ok(BufReader::with_capacity(1 << 20, f))
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The frame window for `split`, counting the capture's packets if needed.
fn window(path: &Path, split: Split) -> Result<FrameWindow> {
    if split == Split::All {
        return Ok(FrameWindow::default());
    }
    let mut reader = CaptureReader::new(open(path)?)
        .with_context(|| format!("reading capture {}", path.display()))?;
    let mut n = 0u64;
    while let Ok(Some(_)) = reader.next_packet() {
        n += 1;
    }
    let mid = n / 2 + 1;
    Ok(match split {
        Split::FirstHalf => FrameWindow { from: 1, to: mid },
        _ => FrameWindow {
            from: mid,
            to: u64::MAX,
        },
    })
}

pub fn inventory(_ctx: &Ctx, args: InventoryArgs) -> Result<ExitCode> {
    let mut b = InventoryBuilder::default();
    for path in &args.captures {
        b.add_capture(&name_of(path), open(path)?)
            .with_context(|| format!("reading capture {}", path.display()))?;
    }
    let inv = b.finish();
    match args.format {
        InventoryFormat::Json => print_json(&inv)?,
        InventoryFormat::Cyclonedx => print_json(&inv.to_cyclonedx())?,
    }
    Ok(ExitCode::SUCCESS)
}

pub fn baseline(ctx: &Ctx, cmd: BaselineCommand) -> Result<ExitCode> {
    let BaselineCommand::Learn(args) = cmd;
    let mut parts = Vec::new();
    for path in &args.captures {
        let w = window(path, args.split)?;
        let b = learn_capture(&name_of(path), open(path)?, w)
            .with_context(|| format!("reading capture {}", path.display()))?;
        parts.push(b);
    }
    let b = Baseline::merge_all(parts);
    std::fs::write(&args.output, b.to_json())
        .with_context(|| format!("writing {}", args.output.display()))?;
    if !ctx.quiet {
        eprintln!(
            "learned {} PDUs: {} hosts, {} flows, {} pairs, {} value points -> {}",
            thousands(b.events),
            b.hosts.len(),
            b.flows.len(),
            b.pairs.len(),
            b.values.len(),
            args.output.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn detect(ctx: &Ctx, args: DetectArgs) -> Result<ExitCode> {
    let path = &args.baseline;
    let text = crate::bounded::read_text(path, crate::bounded::BASELINE_BYTES, "baseline")?;
    let baseline = Baseline::from_json(&text, &path.display().to_string())?;
    if baseline.network.is_none() && !ctx.quiet {
        eprintln!(
            "warning: {} was learned before the network rules (schema v1); relearn it to check hosts, conversations and services",
            path.display()
        );
    }
    let mut enricher = Enricher::from_ctx(ctx, &baseline)?;
    let mut all = Report {
        alerts: Vec::new(),
        dropped_alerts: 0,
    };
    for capture in &args.captures {
        let w = window(capture, args.split)?;
        let mut d = Detector::new(&baseline, w);
        observe_capture(open(capture)?, PipelineConfig::default(), &mut d)
            .with_context(|| format!("reading capture {}", capture.display()))?;
        if let Some(e) = &mut enricher {
            e.learn_all(d.identities());
        }
        let r = d.finish();
        all.alerts.extend(r.alerts);
        all.dropped_alerts += r.dropped_alerts;
    }
    let assets: Vec<Option<Annotation>> = all
        .alerts
        .iter()
        .map(|a| enricher.as_mut().and_then(|e| e.annotate(a)))
        .collect();
    match args.format {
        DetectFormat::Jsonl => {
            for (a, asset) in all.alerts.iter().zip(&assets) {
                outln!("{}", serde_json::to_string(&with_asset(a, asset)?)?);
            }
        }
        DetectFormat::Json => {
            let alerts: Vec<serde_json::Value> = all
                .alerts
                .iter()
                .zip(&assets)
                .map(|(a, asset)| with_asset(a, asset))
                .collect::<Result<_>>()?;
            print_json(
                &serde_json::json!({"alerts": alerts, "dropped_alerts": all.dropped_alerts}),
            )?
        }
        DetectFormat::Summary => outln!("{}", render_summary(&all, &assets)),
    }
    if !ctx.quiet && args.format != DetectFormat::Summary {
        eprintln!("{} alerts", all.alerts.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// An alert's JSON, with the asset it concerns when a database named it.
fn with_asset(a: &Alert, asset: &Option<Annotation>) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(a)?;
    if let Some(asset) = asset {
        v["asset"] = asset.json.clone();
    }
    Ok(v)
}

fn render_summary(r: &Report, assets: &[Option<Annotation>]) -> String {
    use std::collections::BTreeMap;
    let mut by_rule: BTreeMap<(&str, Severity), (u64, u64)> = BTreeMap::new();
    for a in &r.alerts {
        let e = by_rule.entry((a.rule, a.severity)).or_default();
        e.0 += 1;
        e.1 += a.count;
    }
    let mut out = format!("{} alerts\n", r.alerts.len());
    for ((rule, sev), (n, occ)) in by_rule {
        let sev = serde_json::to_value(sev).unwrap_or_default();
        out.push_str(&format!(
            "  {rule:<30} {:<9} {n} alerts, {} occurrences\n",
            sev.as_str().unwrap_or(""),
            thousands(occ)
        ));
    }
    for (a, asset) in r.alerts.iter().zip(assets) {
        // Explanations quote values from the capture.
        out.push_str(&format!(
            "frame {}: {}\n",
            a.frame,
            crate::term::field(&a.explanation)
        ));
        if let Some(asset) = asset {
            out.push_str(&format!("  {}\n", crate::term::field(&asset.summary)));
        }
    }
    out
}
