//! `kensa ot`: passive decoding of industrial protocols from capture files.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use kensa_ot::synth::{SynthConfig, write_synthetic};
use kensa_ot::{Event, PipelineConfig, Stats, decode_capture};

use crate::{Ctx, thousands};

#[derive(Subcommand)]
pub enum OtCommand {
    /// Decode the industrial protocol PDUs (Modbus/TCP, DNP3, S7comm, EtherNet/IP/CIP,
    /// IEC 60870-5-104) in a pcap or pcapng capture
    Decode(DecodeArgs),
    /// Every IP conversation (a connection log): endpoints, service, bytes, packets, outcome
    Conversations(crate::ot_conversations::ConversationsArgs),
    /// Asset inventory: devices, roles, protocols, peers and identity (JSON or CycloneDX)
    Inventory(crate::ot_detect::InventoryArgs),
    /// Baselines of normal behaviour
    #[command(subcommand)]
    Baseline(crate::ot_detect::BaselineCommand),
    /// Check captures against a baseline and write alerts
    Detect(crate::ot_detect::DetectArgs),
    /// Measure detection on a capture with per-packet labels: episodes found, false alarms per 1,000 normal packets
    Evaluate(crate::ot_evaluate::EvaluateArgs),
    /// Watch a network interface live: alerts as they happen (JSON Lines), statistics at the stop
    Monitor(crate::ot_monitor::MonitorArgs),
    /// Process telemetry: learn how plant tags move together, detect and explain deviations
    #[command(subcommand)]
    Process(crate::ot_process::ProcessCommand),
    /// Write a synthetic Modbus/DNP3 capture (for benchmarks)
    #[command(hide = true)]
    Synth(SynthArgs),
}

#[derive(Args)]
pub struct DecodeArgs {
    /// The capture: pcap or pcapng
    #[arg(value_name = "PCAP")]
    capture: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: DecodeFormat,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum DecodeFormat {
    /// One JSON object per application PDU
    #[default]
    Jsonl,
    /// `{"events": [...], "stats": {...}}`
    Json,
    /// PDU counts per protocol and the decoder's statistics, for people
    Summary,
}

#[derive(Args)]
pub struct SynthArgs {
    /// Output file
    #[arg(value_name = "OUT")]
    out: PathBuf,
    /// Approximate size in megabytes
    #[arg(long, default_value_t = 100)]
    megabytes: u64,
    /// Concurrent sessions (half Modbus, half DNP3)
    #[arg(long, default_value_t = 64)]
    sessions: u16,
}

pub fn run(ctx: &Ctx, cmd: OtCommand) -> Result<ExitCode> {
    match cmd {
        OtCommand::Decode(args) => decode(ctx, args),
        OtCommand::Synth(args) => synth(ctx, args),
        OtCommand::Conversations(args) => crate::ot_conversations::conversations(ctx, args),
        OtCommand::Inventory(args) => crate::ot_detect::inventory(ctx, args),
        OtCommand::Baseline(cmd) => crate::ot_detect::baseline(ctx, cmd),
        OtCommand::Detect(args) => crate::ot_detect::detect(ctx, args),
        OtCommand::Monitor(args) => crate::ot_monitor::monitor(ctx, args),
        OtCommand::Evaluate(args) => crate::ot_evaluate::evaluate(ctx, args),
        OtCommand::Process(cmd) => crate::ot_process::run(ctx, cmd),
    }
}

fn decode(ctx: &Ctx, args: DecodeArgs) -> Result<ExitCode> {
    let path = &args.capture;
    let file = File::open(path).with_context(|| format!("opening capture {}", path.display()))?;
    let input = BufReader::with_capacity(1 << 20, file);
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let mut write_error: Option<io::Error> = None;
    let mut first = true;
    let stats = {
        let mut sink = |event: &Event<'_>| {
            if write_error.is_some() || args.format == DecodeFormat::Summary {
                return;
            }
            let separator: &[u8] = match (args.format, first) {
                (DecodeFormat::Json, true) => b"{\"events\":[\n",
                (DecodeFormat::Json, false) => b",\n",
                _ => b"",
            };
            first = false;
            let result = out.write_all(separator).and_then(|()| {
                serde_json::to_writer(&mut out, event).map_err(io::Error::from)?;
                if args.format == DecodeFormat::Jsonl {
                    out.write_all(b"\n")?;
                }
                Ok(())
            });
            if let Err(e) = result {
                write_error = Some(e);
            }
        };
        decode_capture(input, PipelineConfig::default(), &mut sink)
            .with_context(|| format!("decoding capture {}", path.display()))?
    };
    if let Some(e) = write_error {
        return finish_output_error(e);
    }
    let tail = match args.format {
        DecodeFormat::Json => {
            let head = if first { "{\"events\":[" } else { "\n" };
            format!("{head}],\"stats\":{}}}\n", serde_json::to_string(&stats)?)
        }
        DecodeFormat::Summary => render_summary(&stats),
        DecodeFormat::Jsonl => String::new(),
    };
    if let Err(e) = out.write_all(tail.as_bytes()).and_then(|()| out.flush()) {
        return finish_output_error(e);
    }
    if !ctx.quiet && args.format != DecodeFormat::Summary {
        eprint!("{}", render_summary(&stats));
    }
    Ok(ExitCode::SUCCESS)
}

/// A closed pipe (`| head`) ends the command quietly; other errors are real.
pub(crate) fn finish_output_error(e: io::Error) -> Result<ExitCode> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return Ok(ExitCode::SUCCESS);
    }
    Err(anyhow::Error::new(e).context("writing output"))
}

fn render_summary(s: &Stats) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: String| out.push_str(&format!("{label:<28} {value}\n"));
    line("packets", thousands(s.packets));
    line("bytes", thousands(s.bytes));
    line("application PDUs", thousands(s.total_pdus()));
    for (p, n) in &s.pdus {
        line(&format!("  {p}"), thousands(*n));
    }
    line("malformed PDUs", thousands(s.total_malformed()));
    for (p, n) in &s.malformed {
        line(&format!("  {p}"), thousands(*n));
    }
    line(
        "flows (OT / all)",
        format!("{} / {}", thousands(s.ot_flows), thousands(s.flows)),
    );
    line(
        "TCP segments / UDP datagrams",
        format!(
            "{} / {}",
            thousands(s.tcp_segments),
            thousands(s.udp_datagrams)
        ),
    );
    line("non-IP frames", thousands(s.non_ip));
    line("IP fragments (skipped)", thousands(s.ip_fragments));
    line(
        "truncated packets (snaplen)",
        thousands(s.truncated_packets),
    );
    line("malformed headers", thousands(s.malformed_headers));
    line("malformed capture blocks", thousands(s.malformed_blocks));
    line("unsupported link types", thousands(s.unsupported_link));
    line("retransmitted bytes", thousands(s.retransmitted_bytes));
    line("out-of-order segments", thousands(s.out_of_order_segments));
    line("reassembly overflows", thousands(s.reassembly_overflows));
    line("gap bytes", thousands(s.gap_bytes));
    line(
        "DNP3 fragments too long",
        thousands(s.dnp3_fragments_too_long),
    );
    if s.truncated_file {
        line(
            "capture file",
            "cut off mid-record (read up to there)".to_string(),
        );
    }
    out
}

fn synth(ctx: &Ctx, args: SynthArgs) -> Result<ExitCode> {
    let file =
        File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let cfg = SynthConfig {
        target_bytes: args.megabytes * 1_000_000,
        sessions: args.sessions,
    };
    let summary = write_synthetic(BufWriter::new(file), cfg)
        .with_context(|| format!("writing {}", args.out.display()))?;
    if !ctx.quiet {
        eprintln!(
            "wrote {}: {} packets, {} bytes, {} Modbus and {} DNP3 PDUs",
            args.out.display(),
            thousands(summary.packets),
            thousands(summary.bytes),
            thousands(summary.modbus_pdus),
            thousands(summary.dnp3_pdus)
        );
    }
    Ok(ExitCode::SUCCESS)
}
