//! `kensa ot conversations`: a connection log of every IP conversation in
//! captures (TCP connections, UDP flows, ICMP exchanges), with the service
//! recognised by content then port, and ARP/non-IP frame counts.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use kensa_ot::Event;
use kensa_ot::network::{EndReason, NetEvent, TrackerStats};
use kensa_ot::observe::{Engine, Observer};

use crate::ot_detect::open;
use crate::{Ctx, thousands};

#[derive(Args)]
#[command(after_help = "Examples:\n  kensa ot conversations plant.pcapng\n  \
kensa ot conversations plant.pcapng --format summary\n  \
kensa -q ot conversations plant.pcapng | jq 'select(.service == \"smb\")'")]
pub struct ConversationsArgs {
    /// Captures (pcap or pcapng)
    #[arg(value_name = "PCAP", required = true)]
    captures: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: ConversationsFormat,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum ConversationsFormat {
    /// One JSON object per conversation, when it ends (FIN/RST, idle timeout, end of capture)
    #[default]
    Jsonl,
    /// Conversations, bytes and failed attempts per service, and the frame counts
    Summary,
}

#[derive(Default)]
struct ServiceTotals {
    conversations: u64,
    failed: u64,
    bytes: u64,
}

struct Log<'w> {
    out: Option<&'w mut dyn Write>,
    error: Option<io::Error>,
    by_service: BTreeMap<String, ServiceTotals>,
    conversations: u64,
}

impl Observer for Log<'_> {
    fn wants_network(&self) -> bool {
        true
    }

    fn net(&mut self, n: &NetEvent<'_>) {
        let NetEvent::Ended { conv, reason, .. } = n else {
            return;
        };
        self.conversations += 1;
        let t = self.by_service.entry(conv.service_key()).or_default();
        t.conversations += 1;
        t.failed += u64::from(conv.state.failed());
        t.bytes += conv.total_bytes();
        if let (Some(out), None) = (self.out.as_mut(), &self.error) {
            let mut line = serde_json::to_value(conv).unwrap_or_default();
            if *reason == EndReason::Evicted {
                line["evicted"] = true.into();
            }
            let written = serde_json::to_writer(&mut *out, &line)
                .map_err(io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
            if let Err(e) = written {
                self.error = Some(e);
            }
        }
    }

    fn event(&mut self, _e: &Event<'_>) {}
}

pub fn conversations(ctx: &Ctx, args: ConversationsArgs) -> Result<ExitCode> {
    let stdout = io::stdout();
    let mut writer = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut totals: Vec<(String, TrackerStats)> = Vec::new();
    let mut log = Log {
        out: (args.format == ConversationsFormat::Jsonl).then_some(&mut writer as &mut dyn Write),
        error: None,
        by_service: BTreeMap::new(),
        conversations: 0,
    };
    for path in &args.captures {
        let frames = observe(open(path)?, &mut log)
            .with_context(|| format!("reading capture {}", path.display()))?;
        totals.push((path.display().to_string(), frames));
        if let Some(e) = log.error.take() {
            return crate::ot::finish_output_error(e);
        }
    }
    let summary = render_summary(&log, &totals);
    drop(log);
    if args.format == ConversationsFormat::Summary {
        writer.write_all(summary.as_bytes())?;
    } else if !ctx.quiet {
        eprint!("{summary}");
    }
    if let Err(e) = writer.flush() {
        return crate::ot::finish_output_error(e);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the log over one capture; returns the tracker's frame counts.
fn observe(input: impl io::Read, log: &mut Log<'_>) -> Result<TrackerStats> {
    let mut engine = Engine::for_observer(log);
    let mut reader = kensa_ot::CaptureReader::new(input)?;
    loop {
        match reader.next_packet() {
            Ok(Some(pkt)) => engine.feed(&pkt, log),
            Ok(None) => break,
            Err(e) if e.is_truncation() => break,
            Err(e) => return Err(e.into()),
        }
    }
    engine.finish(log);
    Ok(engine
        .tracker()
        .map(|t| t.stats().clone())
        .unwrap_or_default())
}

fn render_summary(log: &Log<'_>, totals: &[(String, TrackerStats)]) -> String {
    let mut o = format!("{} conversations\n", thousands(log.conversations));
    o.push_str(&format!(
        "  {:<16} {:>13} {:>9} {:>15}\n",
        "service", "conversations", "failed", "bytes"
    ));
    let mut rows: Vec<(&String, &ServiceTotals)> = log.by_service.iter().collect();
    rows.sort_by_key(|(_, t)| std::cmp::Reverse(t.bytes));
    for (name, t) in rows {
        o.push_str(&format!(
            "  {name:<16} {:>13} {:>9} {:>15}\n",
            thousands(t.conversations),
            thousands(t.failed),
            thousands(t.bytes)
        ));
    }
    for (path, t) in totals {
        let non_ip: u64 = t.non_ip_frames.values().sum();
        o.push_str(&format!(
            "{path}: {} ARP frames, {} other non-IP frames{}\n",
            thousands(t.arp_frames),
            thousands(non_ip),
            if t.non_ip_frames.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    t.non_ip_frames
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
    }
    o
}
