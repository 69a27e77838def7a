//! `kensa ot evaluate`: how detection does on a capture whose packets are
//! labelled normal or attack: attack episodes found, and false alarms per
//! 1,000 normal packets (the measures of docs/OT-DETECTION.md).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use kensa_ot::CaptureReader;
use kensa_ot::baseline::{Baseline, FrameWindow, learn_capture};
use kensa_ot::detect::{Alert, detect_capture};
use serde::Serialize;

use crate::ot_detect::open;
use crate::{Ctx, print_json};

#[derive(Args)]
#[command(
    after_help = "Labels: one line per packet, `NUMBER<sep>LABEL` with sep `;`, `,`, tab or \
space; NUMBER is the 1-based packet number, LABEL 0/1 (or normal/attack). Lines that do not start \
with a number (headers) are skipped; packets without a line are normal.\n\n\
An episode is a run of attack packets with less than --episode-gap seconds between consecutive \
ones. It is found when an alert is first raised at a packet inside it (from its first to its last \
attack packet). Every other alert is a false alarm.\n\n\
Examples:\n  kensa ot evaluate capture.pcap --labels capture_labeled.csv\n  \
kensa ot evaluate capture.pcap --labels capture_labeled.csv --baseline clean.json --format json"
)]
pub struct EvaluateArgs {
    /// The capture (pcap or pcapng)
    #[arg(value_name = "PCAP")]
    capture: PathBuf,
    /// Per-packet labels (see below); without them every packet is normal and
    /// the capture is learned on its first half and checked on its second
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// Baseline to check against [default: learned from the packets before the
    /// first attack packet (or the first half without labels)]
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Seconds without an attack packet that end an episode
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    episode_gap: f64,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: EvaluateFormat,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum EvaluateFormat {
    #[default]
    Text,
    Json,
}

#[derive(Serialize)]
struct Episode {
    first_frame: u64,
    last_frame: u64,
    attack_packets: u64,
    found: bool,
    /// Rules of the alerts first raised inside it.
    rules: BTreeSet<&'static str>,
}

#[derive(Serialize)]
struct Evaluation {
    capture: String,
    packets: u64,
    /// Packets checked (after the learning part).
    checked_packets: u64,
    normal_packets: u64,
    attack_packets: u64,
    learned_frames: Option<[u64; 2]>,
    episodes: Vec<Episode>,
    episodes_found: usize,
    alerts: usize,
    false_alarms: usize,
    false_alarms_per_1000_normal_packets: f64,
    /// The false alarms, for looking into.
    false_alarm_list: Vec<Alert>,
}

pub fn evaluate(_ctx: &Ctx, args: EvaluateArgs) -> Result<ExitCode> {
    let attack = match &args.labels {
        Some(p) => read_labels(p)?,
        None => Vec::new(),
    };
    let times = frame_times(&args.capture)?;
    let packets = times.len() as u64;
    let first_attack = attack.iter().position(|&a| a).map(|i| i as u64 + 1);
    if args.labels.is_some() && first_attack.is_none() {
        eprintln!("warning: the labels mark no packet as an attack");
    }
    // Learn on what comes before the checked part, unless given a baseline.
    let check_from = match (&args.baseline, first_attack) {
        (Some(_), _) => 1,
        (None, Some(f)) => f,
        (None, None) => packets / 2 + 1,
    };
    let (baseline, learned) = match &args.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading baseline {}", path.display()))?;
            (
                Baseline::from_json(&text, &path.display().to_string())?,
                None,
            )
        }
        None => {
            if check_from <= 1 {
                bail!("the first packet is an attack: nothing to learn from; give --baseline");
            }
            let w = FrameWindow {
                from: 1,
                to: check_from,
            };
            let b = learn_capture(&name_of(&args.capture), open(&args.capture)?, w)
                .with_context(|| format!("reading capture {}", args.capture.display()))?;
            (b, Some([1, check_from - 1]))
        }
    };
    let window = FrameWindow {
        from: check_from,
        to: u64::MAX,
    };
    let report = detect_capture(&baseline, open(&args.capture)?, window)
        .with_context(|| format!("reading capture {}", args.capture.display()))?;
    let is_attack = |frame: u64| attack.get(frame as usize - 1).copied().unwrap_or(false);
    let mut episodes = episodes(&times, &is_attack, check_from, args.episode_gap);
    let mut false_alarms = Vec::new();
    for a in &report.alerts {
        match episodes
            .iter_mut()
            .find(|e| (e.first_frame..=e.last_frame).contains(&a.frame))
        {
            Some(e) => {
                e.found = true;
                e.rules.insert(a.rule);
            }
            None => false_alarms.push(a.clone()),
        }
    }
    let checked = packets.saturating_sub(check_from - 1);
    let attack_packets = (check_from..=packets).filter(|&f| is_attack(f)).count() as u64;
    let normal = checked - attack_packets;
    let eval = Evaluation {
        capture: args.capture.display().to_string(),
        packets,
        checked_packets: checked,
        normal_packets: normal,
        attack_packets,
        learned_frames: learned,
        episodes_found: episodes.iter().filter(|e| e.found).count(),
        episodes,
        alerts: report.alerts.len(),
        false_alarms: false_alarms.len(),
        false_alarms_per_1000_normal_packets: if normal == 0 {
            0.0
        } else {
            1000.0 * false_alarms.len() as f64 / normal as f64
        },
        false_alarm_list: false_alarms,
    };
    match args.format {
        EvaluateFormat::Json => print_json(&eval)?,
        EvaluateFormat::Text => crate::out!("{}", render(&eval)),
    }
    Ok(ExitCode::SUCCESS)
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Every packet's timestamp, in capture order.
fn frame_times(path: &Path) -> Result<Vec<i64>> {
    let mut reader = CaptureReader::new(open(path)?)
        .with_context(|| format!("reading capture {}", path.display()))?;
    let mut times = Vec::new();
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => times.push(p.ts_nanos),
            Ok(None) => break,
            Err(e) if e.is_truncation() => break,
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("reading capture {}", path.display()))
                );
            }
        }
    }
    Ok(times)
}

/// Labels by packet number (index 0 is packet 1).
fn read_labels(path: &Path) -> Result<Vec<bool>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading labels {}", path.display()))?;
    let mut attack = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut fields = line.split([';', ',', '\t', ' ']).filter(|f| !f.is_empty());
        let (Some(n), Some(label)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Ok(n) = n.trim().parse::<usize>() else {
            continue;
        };
        if n == 0 {
            bail!(
                "{}: line {}: packet numbers start at 1",
                path.display(),
                i + 1
            );
        }
        let label = label.trim().trim_matches('"').to_ascii_lowercase();
        let is_attack = match label.as_str() {
            "0" | "normal" | "benign" | "false" => false,
            "1" | "attack" | "malicious" | "true" => true,
            other => bail!(
                "{}: line {}: label {other:?} is neither 0/normal nor 1/attack",
                path.display(),
                i + 1
            ),
        };
        if attack.len() < n {
            attack.resize(n, false);
        }
        attack[n - 1] = is_attack;
    }
    Ok(attack)
}

fn episodes(times: &[i64], is_attack: &dyn Fn(u64) -> bool, from: u64, gap_s: f64) -> Vec<Episode> {
    let gap = (gap_s * 1e9) as i64;
    let mut out: Vec<Episode> = Vec::new();
    let mut last_ts = i64::MIN;
    for frame in from..=times.len() as u64 {
        if !is_attack(frame) {
            continue;
        }
        let ts = times[frame as usize - 1];
        match out.last_mut() {
            Some(e) if ts - last_ts < gap => {
                e.last_frame = frame;
                e.attack_packets += 1;
            }
            _ => out.push(Episode {
                first_frame: frame,
                last_frame: frame,
                attack_packets: 1,
                found: false,
                rules: BTreeSet::new(),
            }),
        }
        last_ts = ts;
    }
    out
}

fn render(e: &Evaluation) -> String {
    let mut o = format!("{}: {} packets", e.capture, e.packets);
    if let Some([a, b]) = e.learned_frames {
        o.push_str(&format!(", learned on {a}..{b}"));
    }
    o.push_str(&format!(
        ", checked {} ({} normal, {} attack)\n",
        e.checked_packets, e.normal_packets, e.attack_packets
    ));
    for ep in &e.episodes {
        o.push_str(&format!(
            "  episode frames {}..{} ({} attack packets): {}\n",
            ep.first_frame,
            ep.last_frame,
            ep.attack_packets,
            if ep.found {
                format!(
                    "found ({})",
                    ep.rules.iter().copied().collect::<Vec<_>>().join(", ")
                )
            } else {
                "missed".into()
            }
        ));
    }
    o.push_str(&format!(
        "episodes found: {} of {}\nalerts: {}, false alarms: {} = {:.2} per 1,000 normal packets\n",
        e.episodes_found,
        e.episodes.len(),
        e.alerts,
        e.false_alarms,
        e.false_alarms_per_1000_normal_packets
    ));
    for a in e.false_alarm_list.iter().take(20) {
        o.push_str(&format!(
            "  false alarm, frame {}: {}\n",
            a.frame, a.explanation
        ));
    }
    o
}
