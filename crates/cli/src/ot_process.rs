//! `kensa ot process learn|detect|evaluate`: explainable detection on plant
//! sensor and actuator data (historian exports).

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use kensa_process::evaluate::{Measures, Truth, Verdicts, measure, random_alarms};
use kensa_process::read::{self, DateOrder, ReadOptions, Record, RowSource};
use kensa_process::{Detector, LearnOptions, Model, RowResult};

use crate::{Ctx, thousands};

#[derive(Subcommand)]
pub enum ProcessCommand {
    /// Learn how the plant's tags normally move together, from data recorded in normal operation
    #[command(after_help = "Examples:\n  \
kensa ot process learn dataset03.csv -o model.json\n  \
kensa ot process learn jan.csv.gz feb.csv.gz -o model.json --exclude ATT_FLAG\n  \
kensa ot process learn historian.jsonl -o model.json --time-column ts\n\n\
Input: wide CSV (a column per tag; time column found by name or content; `,` `;` tab or `|`;\n\
decimal commas), long-form CSV or JSON Lines (time, tag, value), each optionally gzipped.\n\
Columns named like labels (ATT_FLAG, label, attack, fault, ...) are never learned from.\n\
Thresholds come from held-out normal data: the rows are cut into --folds contiguous blocks,\n\
each scored by the model fitted on the others.")]
    Learn(LearnArgs),
    /// Score data against a model: one verdict per row, or the alarm episodes
    #[command(after_help = "Examples:\n  \
kensa ot process detect --model model.json dataset04.csv --format table\n  \
kensa ot process detect --model model.json today.csv.gz | jq -c 'select(.alarm)'\n\n\
jsonl: one object per data row, in input order:\n  \
{\"row\": N, \"time\": TEXT, \"score\": FLOAT, \"alarm\": BOOL, \"tags\": [...], \"explanation\": TEXT, \"evidence\": {...}}\n\
Score 1 is the learned threshold: a row alarms at 2, or at 1 when the row before scored 1 too;\n\
a broken rule or a single-row check at 2 or more also keeps the alarm up for the model's hold\n\
(learn --hold, default 6 rows), those rows naming it (\"3 rows ago: ...\").\n\
tags, explanation and evidence are empty when alarm is false.")]
    Detect(DetectArgs),
    /// Measure detection on labelled data beside an always-alarm and a random detector
    #[command(after_help = "Examples:\n  \
kensa ot process evaluate --model model.json dataset04.csv --labels ATT_FLAG\n  \
kensa ot process evaluate --model model.json d01_te.csv --labels fault --format json\n\n\
A label above 0 marks an attack or fault row. Measures: attacks found, time to detection, false-alarm\n\
episodes per week, point-wise precision/recall/F1 at the learned threshold, eTaPR F1 (θp 0.7, θr 0.1,\n\
δ 0), BATADAL's S score, and localisation when --attack-tags names the attacked tags.")]
    Evaluate(EvaluateArgs),
    /// Write a synthetic plant export (for benchmarks)
    #[command(hide = true)]
    Synth(SynthArgs),
}

#[derive(Args)]
pub struct ReadArgs {
    /// The timestamp column (default: found by name, then by content)
    #[arg(long, value_name = "NAME")]
    time_column: Option<String>,
    /// Order of day and month in dates like 04/07/16 (default: detected, else day first)
    #[arg(long, value_enum)]
    date_order: Option<OrderArg>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OrderArg {
    Dmy,
    Mdy,
    Ymd,
}

impl ReadArgs {
    fn options(&self) -> ReadOptions {
        ReadOptions {
            time_column: self.time_column.clone(),
            date_order: self.date_order.map(|o| match o {
                OrderArg::Dmy => DateOrder::Dmy,
                OrderArg::Mdy => DateOrder::Mdy,
                OrderArg::Ymd => DateOrder::Ymd,
            }),
        }
    }
}

#[derive(Args)]
pub struct LearnArgs {
    /// Data recorded during normal operation
    #[arg(value_name = "DATA", required = true)]
    data: Vec<PathBuf>,
    /// Where to write the model
    #[arg(short, long, value_name = "MODEL")]
    output: PathBuf,
    #[command(flatten)]
    read: ReadArgs,
    /// Columns not to learn (identifiers, labels)
    #[arg(long, value_name = "TAG", num_args = 1..)]
    exclude: Vec<String>,
    /// Trailing windows (rows) of the smoothed checks
    #[arg(long, value_delimiter = ',', default_value = "1,6,24")]
    windows: Vec<u32>,
    /// Rows a clear finding (a broken rule, a single-row check at twice the threshold) keeps the alarm up after it
    #[arg(long, value_name = "ROWS", default_value_t = kensa_process::model::DEFAULT_HOLD_ROWS)]
    hold: u32,
    /// Share of held-out normal rows allowed above the threshold
    #[arg(long, default_value_t = 0.001)]
    false_alarm_rate: f64,
    /// Contiguous blocks for cross-fitting the threshold
    #[arg(long, default_value_t = 5)]
    folds: u32,
}

#[derive(Args)]
pub struct DetectArgs {
    /// The model from `kensa ot process learn`
    #[arg(long, value_name = "MODEL")]
    model: PathBuf,
    /// Data to check
    #[arg(value_name = "DATA")]
    data: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: DetectFormat,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum DetectFormat {
    /// One JSON object per data row
    #[default]
    Jsonl,
    /// The alarm episodes: start, end, peak, tags, explanation
    Table,
}

#[derive(Args)]
pub struct EvaluateArgs {
    /// The model from `kensa ot process learn`
    #[arg(long, value_name = "MODEL")]
    model: PathBuf,
    /// Labelled data
    #[arg(value_name = "DATA")]
    data: PathBuf,
    /// The label column (above 0: attack or fault); never used for detection
    #[arg(long, value_name = "COLUMN")]
    labels: String,
    /// Known attacked tags, one line per labelled episode in order: `N: TAG TAG…` (for localisation)
    #[arg(long, value_name = "FILE")]
    attack_tags: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: EvaluateFormat,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum EvaluateFormat {
    /// Measures side by side, and each attack
    #[default]
    Table,
    /// `{"kensa": {...}, "always_alarm": {...}, "random": {...}}`
    Json,
}

#[derive(Args)]
pub struct SynthArgs {
    /// Output file (gzip-compressed when it ends in .gz)
    #[arg(value_name = "OUT")]
    out: PathBuf,
    /// Days of data
    #[arg(long, default_value_t = 365)]
    days: u32,
    /// Seconds between rows
    #[arg(long, default_value_t = 1)]
    step: u32,
    /// Tags (a quarter of them pump states)
    #[arg(long, default_value_t = 100)]
    tags: usize,
}

pub fn run(ctx: &Ctx, cmd: ProcessCommand) -> Result<ExitCode> {
    match cmd {
        ProcessCommand::Learn(args) => learn(ctx, args),
        ProcessCommand::Detect(args) => detect(args),
        ProcessCommand::Evaluate(args) => evaluate(args),
        ProcessCommand::Synth(args) => synth(ctx, args),
    }
}

fn learn(ctx: &Ctx, args: LearnArgs) -> Result<ExitCode> {
    if args.windows.is_empty() || args.windows.contains(&0) {
        bail!("--windows needs lengths of at least 1 row");
    }
    if !(0.0..0.5).contains(&args.false_alarm_rate) {
        bail!("--false-alarm-rate must be between 0 and 0.5");
    }
    let options = LearnOptions {
        read: args.read.options(),
        exclude: args.exclude,
        spans: args.windows,
        hold_rows: args.hold,
        folds: args.folds,
        false_alarm_rate: args.false_alarm_rate,
        ..LearnOptions::default()
    };
    let learned = kensa_process::learn(&args.data, &options)?;
    let model = &learned.model;
    write_atomically(&args.output, &serde_json::to_vec_pretty(model)?)?;
    if !ctx.quiet {
        for note in &learned.notes {
            eprintln!("note: {note}");
        }
        let count = |k| model.tags.iter().filter(|t| t.kind == k).count();
        use kensa_process::model::TagKind::*;
        eprintln!(
            "learned {} tags ({} continuous, {} states, {} counters, {} constant) from {} rows",
            model.tags.len(),
            count(Continuous),
            count(State),
            count(Counter),
            count(Constant),
            thousands(model.rows)
        );
        eprintln!(
            "checks: {} regressions, {} smoothed checks, {} rules kept ({} dropped: broken by held-out normal data)",
            model.params.regressions.len(),
            model.scales.len(),
            model.calibration.rules_kept,
            model.calibration.rules_dropped
        );
        eprintln!(
            "threshold: {} held-out normal rows of {} above it (target share {})",
            thousands(model.calibration.alarm_rows),
            thousands(model.rows),
            model.calibration.false_alarm_rate
        );
        eprintln!("wrote {}", args.output.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes beside the target and renames, so a failed run leaves no half-written model.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(bytes)?;
    file.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn open_for(model: &Model, data: &Path) -> Result<Box<dyn RowSource>> {
    let options = ReadOptions {
        time_column: model.time_column.clone(),
        date_order: model.date_order,
    };
    Ok(read::open(data, &options)?)
}

fn load(path: &Path) -> Result<Model> {
    Model::load(path).with_context(|| format!("loading model {}", path.display()))
}

/// Runs the detector over `data`, handing each row's verdict to `each`.
fn scan(
    model: &Model,
    data: &Path,
    mut each: impl FnMut(&Record, RowResult) -> io::Result<()>,
) -> Result<()> {
    let mut source = open_for(model, data)?;
    let mut detector = Detector::new(model);
    detector.start_source(source.columns(), &data.display().to_string())?;
    let mut record = Record::default();
    while source.next_row(&mut record)? {
        let result = detector.process(&record);
        if let Err(e) = each(&record, result) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(anyhow::Error::new(e).context("writing output"));
        }
    }
    Ok(())
}

fn detect(args: DetectArgs) -> Result<ExitCode> {
    let model = load(&args.model)?;
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    match args.format {
        DetectFormat::Jsonl => {
            scan(&model, &args.data, |_, result| {
                serde_json::to_writer(&mut out, &result)?;
                out.write_all(b"\n")
            })?;
        }
        DetectFormat::Table => {
            let mut episodes: Vec<AlarmEpisode> = Vec::new();
            let mut previous_alarm = false;
            scan(&model, &args.data, |_, result| {
                let alarm = result.alarm;
                if alarm {
                    if !previous_alarm {
                        episodes.push(AlarmEpisode::start(&result));
                    }
                    episodes
                        .last_mut()
                        .expect("an episode is open")
                        .extend(result);
                }
                previous_alarm = alarm;
                Ok(())
            })?;
            write_episodes(&mut out, &episodes)?;
        }
    }
    if let Err(e) = out.flush()
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        return Err(anyhow::Error::new(e).context("writing output"));
    }
    Ok(ExitCode::SUCCESS)
}

/// A run of alarmed rows, with the row that scored highest.
struct AlarmEpisode {
    start_row: u64,
    start: String,
    end_row: u64,
    end: String,
    peak: RowResult,
}

impl AlarmEpisode {
    fn start(result: &RowResult) -> Self {
        Self {
            start_row: result.row,
            start: result.time.clone(),
            end_row: result.row,
            end: result.time.clone(),
            peak: result.clone(),
        }
    }

    fn extend(&mut self, result: RowResult) {
        self.end_row = result.row;
        self.end = result.time.clone();
        if result.score > self.peak.score {
            self.peak = result;
        }
    }
}

fn write_episodes(out: &mut impl Write, episodes: &[AlarmEpisode]) -> io::Result<()> {
    writeln!(
        out,
        "{:<20} {:<20} {:>6} {:>7}  {:<28} explanation",
        "start", "end", "rows", "peak", "tags"
    )?;
    for e in episodes {
        let place = |time: &str, row: u64| {
            if time.is_empty() {
                format!("row {row}")
            } else {
                time.to_string()
            }
        };
        writeln!(
            out,
            "{:<20} {:<20} {:>6} {:>7.2}  {:<28} {}",
            place(&e.start, e.start_row),
            place(&e.end, e.end_row),
            e.end_row - e.start_row + 1,
            e.peak.score,
            e.peak.tags.join(","),
            e.peak.explanation
        )?;
    }
    writeln!(out, "{} alarm episodes", episodes.len())
}

fn evaluate(args: EvaluateArgs) -> Result<ExitCode> {
    let model = load(&args.model)?;
    if model.tag_names().any(|t| t == args.labels) {
        bail!(
            "the label column {} is one of the model's tags: learn again with --exclude {}",
            args.labels,
            args.labels
        );
    }
    let label_column = {
        let source = open_for(&model, &args.data)?;
        source
            .columns()
            .iter()
            .position(|c| *c == args.labels)
            .with_context(|| {
                format!(
                    "{}: no label column {} (columns: {})",
                    args.data.display(),
                    args.labels,
                    source.columns().join(", ")
                )
            })?
    };
    let mut labels = Vec::new();
    let mut alarms = Vec::new();
    let mut times = Vec::new();
    let mut named: HashMap<usize, Vec<String>> = HashMap::new();
    scan(&model, &args.data, |record, result| {
        labels.push(record.values[label_column] > 0.0);
        if result.alarm {
            named.insert(alarms.len(), result.tags);
        }
        alarms.push(result.alarm);
        times.push(result.time);
        Ok(())
    })?;
    let attacked = args
        .attack_tags
        .as_deref()
        .map(read_attack_tags)
        .transpose()?;
    let truth = Truth {
        labels: &labels,
        times: &times,
        step_seconds: model.step_seconds,
        attacked_tags: attacked.as_deref(),
    };
    let kensa = measure(
        "kensa",
        &truth,
        &Verdicts {
            alarms: &alarms,
            tags: &|r| named.get(&r).cloned().unwrap_or_default(),
        },
    );
    let always = vec![true; labels.len()];
    let always = measure(
        "always-alarm",
        &truth,
        &Verdicts {
            alarms: &always,
            tags: &|_| Vec::new(),
        },
    );
    let rate = kensa.alarm_rows as f64 / labels.len().max(1) as f64;
    let random = random_alarms(labels.len(), rate, 0x5eed);
    let random = measure(
        "random",
        &truth,
        &Verdicts {
            alarms: &random,
            tags: &|_| Vec::new(),
        },
    );
    let mut out = BufWriter::new(io::stdout().lock());
    match args.format {
        EvaluateFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({"data": args.data.display().to_string(), "kensa": kensa, "always_alarm": always, "random": random}),
            )?;
            writeln!(out)?;
        }
        EvaluateFormat::Table => write_measures(&mut out, &[&kensa, &always, &random])?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn read_attack_tags(path: &Path) -> Result<Vec<Vec<String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out: Vec<Vec<String>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (n, tags) = line.split_once(':').with_context(|| {
            format!("{} line {}: expected `N: TAG TAG…`", path.display(), i + 1)
        })?;
        let n: usize = n.trim().parse().ok().filter(|n| *n >= 1).with_context(|| {
            format!(
                "{} line {}: {n:?} is no attack number",
                path.display(),
                i + 1
            )
        })?;
        if out.len() < n {
            out.resize(n, Vec::new());
        }
        out[n - 1] = tags
            .split([' ', ','])
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
    }
    Ok(out)
}

/// How one line of the measures table reads a detector's measures.
type Column<'a> = Box<dyn Fn(&Measures) -> String + 'a>;

fn write_measures(out: &mut impl Write, all: &[&Measures]) -> io::Result<()> {
    let f = |x: f64| format!("{x:.3}");
    let opt = |x: Option<f64>| x.map(f).unwrap_or_else(|| "-".into());
    let lines: Vec<(&str, Column)> = vec![
        (
            "attacks detected",
            Box::new(|m: &Measures| format!("{}/{}", m.attacks_detected, m.attacks)),
        ),
        (
            "false-alarm episodes",
            Box::new(|m: &Measures| m.false_alarm_episodes.to_string()),
        ),
        (
            "false-alarm episodes/week",
            Box::new(move |m: &Measures| opt(m.false_alarm_episodes_per_week)),
        ),
        (
            "point precision",
            Box::new(move |m: &Measures| f(m.point.precision)),
        ),
        (
            "point recall (TE: FDR)",
            Box::new(move |m: &Measures| f(m.point.recall)),
        ),
        ("point F1", Box::new(move |m: &Measures| f(m.point.f1))),
        (
            "false positive rate (TE: FAR)",
            Box::new(move |m: &Measures| f(m.point.false_positive_rate)),
        ),
        (
            "eTaPR F1 (0.7, 0.1, 0)",
            Box::new(move |m: &Measures| f(m.etapr.f1)),
        ),
        ("BATADAL S", Box::new(move |m: &Measures| f(m.batadal.s))),
        ("  S_TTD", Box::new(move |m: &Measures| f(m.batadal.s_ttd))),
        ("  S_CM", Box::new(move |m: &Measures| f(m.batadal.s_cm))),
        (
            "localised (top 3 tags)",
            Box::new(|m: &Measures| {
                m.localised
                    .map(|(a, b)| format!("{a}/{b}"))
                    .unwrap_or_else(|| "-".into())
            }),
        ),
    ];
    write!(out, "{:<32}", "")?;
    for m in all {
        write!(out, "{:>14}", m.detector)?;
    }
    writeln!(out)?;
    for (name, value) in &lines {
        write!(out, "{name:<32}")?;
        for m in all {
            write!(out, "{:>14}", value(m))?;
        }
        writeln!(out)?;
    }
    let kensa = all[0];
    writeln!(
        out,
        "\n{} rows, {} labelled, {} alarmed by kensa",
        kensa.rows, kensa.attack_rows, kensa.alarm_rows
    )?;
    for (i, e) in kensa.episodes.iter().enumerate() {
        let ttd = match (e.rows_to_detection, e.hours_to_detection) {
            (Some(r), Some(h)) => format!("detected after {r} rows ({h:.1} h)"),
            (Some(r), None) => format!("detected after {r} rows"),
            _ => "missed".to_string(),
        };
        let loc = match e.localised {
            Some(true) => " [localised]",
            Some(false) => " [not localised]",
            None => "",
        };
        writeln!(
            out,
            "attack {:>2}: rows {}-{} ({}) {} rows, {ttd}; tags {}{loc}",
            i + 1,
            e.start_row,
            e.end_row,
            e.start_time,
            e.rows,
            if e.tags_named.is_empty() {
                "-".to_string()
            } else {
                e.tags_named.join(",")
            }
        )?;
    }
    Ok(())
}

fn synth(ctx: &Ctx, args: SynthArgs) -> Result<ExitCode> {
    let rows = kensa_process::synth::write(&args.out, args.days, args.step, args.tags)
        .with_context(|| format!("writing {}", args.out.display()))?;
    if !ctx.quiet {
        eprintln!(
            "wrote {} rows of {} tags to {}",
            thousands(rows),
            args.tags,
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
