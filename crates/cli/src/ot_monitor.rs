//! `kensa ot monitor`: live capture through the same pipeline and rules as
//! `kensa ot detect`, alerts written as they are raised, a clean stop on
//! SIGINT/SIGTERM or after `--duration` with the run's statistics.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use kensa_ot::CaptureReader;
use kensa_ot::baseline::Baseline;
use kensa_ot::monitor::{Monitor, MonitorStats};

use crate::ot_assets::Enricher;
use crate::ot_live::{KernelStats, LiveCapture, LiveOptions};
use crate::ot_output::{AlertWriter, Destination};
use crate::{Ctx, thousands};

#[derive(Args)]
#[command(after_help = "Examples:\n  \
sudo kensa ot monitor --interface eth1 --baseline plant.json\n  \
sudo kensa ot monitor -i eth1 --baseline plant.json --output /var/log/kensa/alerts.jsonl --filter 'not port 22'\n  \
sudo kensa --db kensa.db ot monitor -i eth1 --baseline plant.json --duration 3600\n  \
kensa ot monitor --read replay.pcap --baseline plant.json        # a file through the live path\n\n\
Without --baseline only the rules that need no learning run: scans and failed connections, \
ARP changes within the run, remote access or file transfer with a controller, malformed and \
oversized PDUs. Alerts are written when first raised, again when they get graver, and with \
their new count every --update-interval seconds while they repeat and at the stop; the last \
line of an alert's `id` is its final state.")]
pub struct MonitorArgs {
    /// Network interface to capture from (needs root or CAP_NET_RAW)
    #[arg(
        long,
        short = 'i',
        value_name = "IFACE",
        required_unless_present = "read"
    )]
    interface: Option<String>,
    /// Read packets from a capture file instead of an interface, as fast as they come
    #[arg(long, value_name = "PCAP", conflicts_with = "interface")]
    read: Option<PathBuf>,
    /// Baseline written by `kensa ot baseline learn`
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: MonitorFormat,
    /// Stop after this many seconds (wall clock)
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Append alerts to this file instead of stdout, rotated by size
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Rotate the output file when it reaches this size (FILE -> FILE.1 -> ...): bytes, or with k, M, G
    #[arg(long, value_name = "SIZE", default_value = "100M", value_parser = crate::units::parse_size)]
    rotate_size: u64,
    /// Rotated files kept
    #[arg(long, value_name = "N", default_value_t = 5)]
    rotate_keep: usize,
    /// Capture filter in tcpdump syntax, e.g. "not port 22" or "vlan and net 10.1.0.0/16"
    #[arg(long, value_name = "EXPR")]
    filter: Option<String>,
    /// Do not put the interface in promiscuous mode
    #[arg(long)]
    no_promiscuous: bool,
    /// Bytes captured per packet
    #[arg(long, value_name = "BYTES", default_value_t = 65535)]
    snaplen: u32,
    /// Kernel capture buffer
    #[arg(long, value_name = "MB", default_value_t = 32)]
    buffer_mb: u32,
    /// Write a repeating alert's new count at most this often (0: only at the stop)
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    update_interval: u64,
    /// Also send every alert to this Kensa team server (`kensa serve`), e.g.
    /// https://kensa.plant.example; the token (a user with a global analyst
    /// grant) comes from KENSA_TOKEN or --token-file
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    /// File holding the server's API token [default: $KENSA_TOKEN]
    #[arg(long, value_name = "FILE", requires = "server")]
    token_file: Option<PathBuf>,
    /// This sensor's name on the server [default: HOSTNAME:INTERFACE]
    #[arg(long, value_name = "NAME", requires = "server")]
    sensor: Option<String>,
    /// At the stop, how long to keep trying to deliver queued alerts
    #[arg(long, value_name = "SECS", default_value_t = 10, requires = "server")]
    server_patience: u64,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum MonitorFormat {
    /// One alert per line (JSON); updates carry `"update": true`
    #[default]
    Jsonl,
    /// One line per alert for people
    Text,
}

enum Source {
    Live(Box<LiveCapture>),
    File(Box<CaptureReader<BufReader<File>>>),
}

/// What the stop prints.
#[derive(serde::Serialize)]
struct RunStats {
    seconds: f64,
    #[serde(flatten)]
    monitor: MonitorStats,
    kernel: Option<KernelStats>,
    alerts_written: u64,
    updates_written: u64,
    server: Option<crate::ot_forward::ForwardStats>,
}

pub fn monitor(ctx: &Ctx, args: MonitorArgs) -> Result<ExitCode> {
    let baseline = match &args.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading baseline {}", path.display()))?;
            Baseline::from_json(&text, &path.display().to_string())?
        }
        None => Baseline::default(),
    };
    if baseline.network.is_none() && args.baseline.is_some() && !ctx.quiet {
        eprintln!(
            "warning: this baseline was learned before the network rules (schema v1); relearn it to check hosts, conversations and services"
        );
    }
    let enricher = Enricher::from_ctx(ctx, &baseline)?;
    let mut source = open_source(&args)?;
    let destination = match &args.output {
        Some(path) => Destination::Rotating {
            path: path.clone(),
            max_bytes: args.rotate_size.max(1),
            keep: args.rotate_keep,
        },
        None => Destination::Stdout,
    };
    let mut out = AlertWriter::open(destination, args.format == MonitorFormat::Text, enricher)?;
    if let Some(target) = server_target(&args)? {
        out.forward_to(crate::ot_forward::Forwarder::start(target)?);
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("installing signal handlers")?;
    }
    if !ctx.quiet {
        eprintln!("{}", starting_line(&args));
    }
    let started = Instant::now();
    let deadline = args
        .duration
        .map(|s| started + Duration::from_secs_f64(s.max(0.0)));
    let update_every = Duration::from_secs(args.update_interval);
    let mut last_update = Instant::now();
    let mut monitor = Monitor::new(&baseline);
    loop {
        if stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let raised = match &mut source {
            Source::Live(cap) => match cap.next()? {
                Some(pkt) => monitor.feed(&pkt),
                None => {
                    std::thread::sleep(Duration::from_millis(5));
                    Vec::new()
                }
            },
            Source::File(reader) => match reader.next_packet() {
                Ok(Some(pkt)) => monitor.feed(&pkt),
                Ok(None) => break,
                Err(e) if e.is_truncation() => break,
                Err(e) => return Err(anyhow::Error::new(e).context("reading capture")),
            },
        };
        if !raised.is_empty() && out.has_enricher() {
            out.learn_identities(monitor.identities());
        }
        if !out.write_all(&raised, false)? {
            break;
        }
        if args.update_interval > 0 && last_update.elapsed() >= update_every {
            last_update = Instant::now();
            let changed = monitor.changed();
            if !out.write_all(&changed, true)? {
                break;
            }
        }
    }
    let (raised, changed) = monitor.finish();
    if out.has_enricher() {
        out.learn_identities(monitor.identities());
    }
    out.write_all(&raised, false)?;
    out.write_all(&changed, true)?;
    out.flush()?;
    let forwarded = out.finish_forwarding(Duration::from_secs(args.server_patience));
    let stats = RunStats {
        seconds: started.elapsed().as_secs_f64(),
        monitor: monitor.stats(),
        kernel: match &mut source {
            Source::Live(cap) => cap.stats(),
            Source::File(_) => None,
        },
        alerts_written: out.alerts_written,
        updates_written: out.updates_written,
        server: forwarded,
    };
    if !ctx.quiet {
        eprint!("{}", render_stats(&stats));
    }
    Ok(ExitCode::SUCCESS)
}

/// The team server to send alerts to, with the token and this sensor's
/// name, when `--server` is given.
fn server_target(args: &MonitorArgs) -> Result<Option<crate::ot_forward::Target>> {
    let Some(url) = &args.server else {
        return Ok(None);
    };
    let token = match &args.token_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading the token file {}", path.display()))?
            .trim()
            .to_string(),
        None => std::env::var("KENSA_TOKEN")
            .unwrap_or_default()
            .trim()
            .to_string(),
    };
    if token.is_empty() {
        bail!(
            "--server needs an API token: KENSA_TOKEN or --token-file FILE\n  \
             hint: `kensa token create SENSOR-USER` on the server's database makes one; the user needs a global analyst grant"
        );
    }
    let sensor = match &args.sensor {
        Some(s) => s.clone(),
        None => {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "sensor".into());
            match &args.interface {
                Some(i) => format!("{host}:{i}"),
                None => host,
            }
        }
    };
    let valid = !sensor.is_empty()
        && sensor.len() <= 64
        && sensor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:@".contains(c));
    if !valid {
        bail!("--sensor `{sensor}`: use 1 to 64 letters, digits and . _ - : @");
    }
    Ok(Some(crate::ot_forward::Target {
        url: url.clone(),
        token,
        sensor,
    }))
}

fn open_source(args: &MonitorArgs) -> Result<Source> {
    if let Some(path) = &args.read {
        if args.filter.is_some() {
            bail!("--filter applies to live capture (--interface), not to --read");
        }
        let f = File::open(path).with_context(|| format!("opening capture {}", path.display()))?;
        let reader = CaptureReader::new(BufReader::with_capacity(1 << 20, f))
            .with_context(|| format!("reading capture {}", path.display()))?;
        return Ok(Source::File(Box::new(reader)));
    }
    let interface = args
        .interface
        .as_deref()
        .expect("clap requires --interface or --read");
    let cap = LiveCapture::open(&LiveOptions {
        interface,
        promiscuous: !args.no_promiscuous,
        snaplen: args.snaplen,
        buffer_bytes: args.buffer_mb.saturating_mul(1 << 20),
        filter: args.filter.as_deref(),
    })?;
    Ok(Source::Live(Box::new(cap)))
}

fn starting_line(args: &MonitorArgs) -> String {
    let what = match (&args.interface, &args.read) {
        (Some(i), _) => format!("interface {i}"),
        (_, Some(p)) => format!("capture {}", p.display()),
        _ => String::new(),
    };
    let baseline = args.baseline.as_ref().map_or(
        "no baseline (rules that need no learning only)".to_string(),
        |b| format!("baseline {}", b.display()),
    );
    format!("monitoring {what} with {baseline}; stop with Ctrl-C")
}

fn render_stats(s: &RunStats) -> String {
    let mut o = String::new();
    let mut line = |label: &str, value: String| o.push_str(&format!("{label:<28} {value}\n"));
    line("seconds", format!("{:.1}", s.seconds));
    line("packets seen", thousands(s.monitor.packets));
    if let Some(k) = s.kernel {
        line("received by the kernel", thousands(k.received));
        line("dropped by the kernel", thousands(k.dropped));
        line("dropped by the interface", thousands(k.interface_dropped));
    }
    line("bytes", thousands(s.monitor.bytes));
    line("application PDUs", thousands(s.monitor.pdus));
    line("malformed PDUs", thousands(s.monitor.malformed_pdus));
    line("conversations", thousands(s.monitor.conversations));
    line("ARP frames", thousands(s.monitor.arp_frames));
    line("other non-IP frames", thousands(s.monitor.non_ip_frames));
    line("alerts raised", thousands(s.alerts_written));
    line("alert updates", thousands(s.updates_written));
    if let Some(f) = s.server {
        line("sent to the server", thousands(f.sent));
        line("refused by the server", thousands(f.rejected));
        line("not delivered", thousands(f.undelivered));
    }
    o
}
