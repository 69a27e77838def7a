//! `kensa logic …`: trigger-condition trees (kensa.conditions/v1).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use kensa_logic::extract::{self, Extraction};
use kensa_logic::{Conditions, Node};
use kensa_model::VulnRecord;
use kensa_store::Store;

use crate::{Ctx, print_json};

#[derive(Subcommand)]
pub enum LogicCommand {
    /// Turn a vulnerability's prose into an AND/OR tree of checkable trigger conditions
    #[command(after_help = "Examples:\n  kensa logic extract CVE-2014-0160\n  \
kensa logic extract --record nvd-cve.json --format json\n  \
kensa logic extract --all --out conditions/\n  \
kensa logic extract --all --out conditions.jsonl")]
    Extract(ExtractArgs),
}

#[derive(Args)]
pub struct ExtractArgs {
    /// The vulnerability to read from the database (every source's record of it)
    #[arg(value_name = "CVE-ID", required_unless_present_any = ["record", "all"], conflicts_with_all = ["record", "all"])]
    id: Option<String>,
    /// Read one record from FILE instead: a raw NVD API 2.0 `cve` object or a
    /// CVE JSON 5 record; no database needed
    #[arg(long, value_name = "FILE", conflicts_with = "all")]
    record: Option<PathBuf>,
    /// Every vulnerability in the database, one <ID>.json each into --out
    #[arg(long, requires = "out")]
    all: bool,
    /// Folder for --all (created if missing); a name ending in .jsonl writes
    /// one file with one document per line instead
    #[arg(long, value_name = "DIR|FILE.jsonl", requires = "all")]
    out: Option<PathBuf>,
    /// Which extractor builds the tree
    #[arg(long, value_enum, default_value_t)]
    extractor: Extractor,
    /// LLM endpoint settings (YAML/JSON: base_url, model, api_key or
    /// api_key_env, timeout) [default: KENSA_LLM_BASE_URL, KENSA_LLM_MODEL,
    /// KENSA_LLM_API_KEY]
    #[arg(long, value_name = "FILE")]
    llm_config: Option<PathBuf>,
    /// `markdown`: a checklist for people; `json`: one kensa.conditions/v1 document
    #[arg(long, value_enum, default_value_t)]
    format: LogicFormat,
}

/// Which extractor builds the tree.
#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum Extractor {
    /// Offline, deterministic clause rules over description, CVSS and configurations
    #[default]
    Rules,
    /// A language model behind any OpenAI-compatible chat-completions API;
    /// falls back to the rules on any failure (see docs/ASSESSMENT.md)
    Llm,
}

/// Markdown for people, JSON (one kensa.conditions/v1 document) for tools.
#[derive(Clone, Copy, Debug, Default, ValueEnum, PartialEq, Eq)]
pub enum LogicFormat {
    #[default]
    Markdown,
    Json,
}

pub fn run(ctx: &Ctx, cmd: LogicCommand) -> Result<ExitCode> {
    match cmd {
        LogicCommand::Extract(args) => extract_cmd(ctx, args),
    }
}

fn extract_cmd(ctx: &Ctx, args: ExtractArgs) -> Result<ExitCode> {
    if args.all && args.extractor == Extractor::Llm {
        bail!(
            "--all runs the offline rules extractor only (one model call per vulnerability would take days)"
        );
    }
    if args.all {
        let out = args.out.as_deref().context("--all needs --out DIR")?;
        let store = ctx.open_existing()?;
        return extract_all(ctx, &store, out);
    }
    let records = match (&args.record, &args.id) {
        (Some(path), _) => read_record_file(path)?,
        (None, Some(id)) => records_from_store(ctx, id)?,
        (None, None) => bail!("give a CVE-ID, --record FILE or --all"),
    };
    let extraction = match args.extractor {
        Extractor::Rules => extract::rules_explained(&records),
        Extractor::Llm => extract::Extraction {
            conditions: crate::assess::llm_tree(ctx, &records, args.llm_config.as_deref())?,
            notes: Vec::new(),
        },
    };
    for note in &extraction.notes {
        eprintln!("note: {note}");
    }
    match args.format {
        LogicFormat::Json => print_json(&extraction.conditions)?,
        LogicFormat::Markdown => crate::out!("{}", markdown(&extraction)),
    }
    Ok(ExitCode::SUCCESS)
}

fn read_record_file(path: &Path) -> Result<Vec<VulnRecord>> {
    let bytes = crate::bounded::read(
        path,
        kensa_intel::input::MAX_UNIT_BYTES as u64,
        "record file",
    )?;
    kensa_intel::parse_record(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn records_from_store(ctx: &Ctx, id: &str) -> Result<Vec<VulnRecord>> {
    let store = ctx.open_existing()?;
    let ids = store.resolve(id.trim())?;
    let id = match ids.as_slice() {
        [] => bail!(
            "{id} is not in the database {}\n  hint: `kensa logic extract --record FILE` works without a database",
            store.path().display()
        ),
        [one] => one.clone(),
        many => bail!(
            "{id} names several vulnerabilities: {}; pick one",
            many.join(", ")
        ),
    };
    let view = store
        .vuln(&id)?
        .with_context(|| format!("{id} vanished from the database while reading"))?;
    Ok(view.records.into_iter().map(|r| r.record).collect())
}

/// Vulnerabilities handed to a worker at a time.
const BATCH: usize = 512;

/// A numbered batch of vulnerabilities with their still-compressed records.
type Batch = (u64, Vec<(String, Vec<Vec<u8>>)>);

/// Where `--all` writes: one `<ID>.json` per vulnerability into a folder, or
/// one JSON document per line into a `.jsonl` file (one file instead of
/// 157k keeps file-system time out of whole-database runs).
enum Destination {
    Folder(PathBuf),
    Lines(Mutex<OrderedLines>),
}

/// JSON Lines in database (id) order, whichever worker finishes first.
struct OrderedLines {
    path: PathBuf,
    file: BufWriter<File>,
    next: u64,
    pending: BTreeMap<u64, Vec<u8>>,
}

impl OrderedLines {
    fn put(&mut self, seq: u64, lines: Vec<u8>) -> Result<()> {
        self.pending.insert(seq, lines);
        while let Some(lines) = self.pending.remove(&self.next) {
            self.file
                .write_all(&lines)
                .with_context(|| format!("writing {}", self.path.display()))?;
            self.next += 1;
        }
        Ok(())
    }
}

/// Every vulnerability of the database into `out`. One thread reads the
/// database; workers decode, extract and write.
fn extract_all(ctx: &Ctx, store: &Store, out: &Path) -> Result<ExitCode> {
    let destination = if out.extension().is_some_and(|e| e == "jsonl") {
        let file = File::create(out).with_context(|| format!("creating {}", out.display()))?;
        Destination::Lines(Mutex::new(OrderedLines {
            path: out.to_path_buf(),
            file: BufWriter::with_capacity(1 << 20, file),
            next: 0,
            pending: BTreeMap::new(),
        }))
    } else {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        Destination::Folder(out.to_path_buf())
    };
    let started = Instant::now();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8);
    let (tx, rx) = sync_channel::<Batch>(workers * 2);
    let rx = Arc::new(Mutex::new(rx));
    let totals = std::thread::scope(|scope| -> Result<(u64, u64)> {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let rx = Arc::clone(&rx);
                let destination = &destination;
                scope.spawn(move || worker(&rx, destination))
            })
            .collect();
        let mut batch = Vec::with_capacity(BATCH);
        let mut seq = 0;
        let mut send_failed = false;
        store.read(|s| {
            s.for_each_vuln_blobs(|id, blobs| {
                batch.push((id, blobs));
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if tx.send((seq, full)).is_err() {
                        send_failed = true;
                        return ControlFlow::Break(());
                    }
                    seq += 1;
                }
                ControlFlow::Continue(())
            })
        })?;
        if !batch.is_empty() && !send_failed {
            let _ = tx.send((seq, batch));
        }
        drop(tx);
        let mut totals = (0, 0);
        for h in handles {
            let (vulns, conditions) = h.join().expect("extract worker panicked")?;
            totals.0 += vulns;
            totals.1 += conditions;
        }
        Ok(totals)
    })?;
    if let Destination::Lines(lines) = destination {
        let mut lines = lines.into_inner().expect("writer lock");
        lines
            .file
            .flush()
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if !ctx.quiet {
        eprintln!(
            "extracted {} vulnerabilities ({} conditions) into {} in {:.2} s",
            crate::thousands(totals.0),
            crate::thousands(totals.1),
            out.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn worker(rx: &Mutex<Receiver<Batch>>, destination: &Destination) -> Result<(u64, u64)> {
    let (mut vulns, mut conditions) = (0, 0);
    let mut buf = Vec::with_capacity(8 << 10);
    loop {
        let (seq, batch) = match rx.lock().expect("receiver lock").recv() {
            Ok(b) => b,
            Err(_) => return Ok((vulns, conditions)),
        };
        let mut lines = Vec::new();
        for (id, blobs) in batch {
            let records = blobs
                .iter()
                .map(|b| kensa_store::decode_record(b, || id.clone()))
                .collect::<Result<Vec<_>, _>>()?;
            let doc = extract::rules(&records);
            conditions += doc.conditions().len() as u64;
            vulns += 1;
            match destination {
                Destination::Folder(dir) => {
                    buf.clear();
                    serde_json::to_writer(&mut buf, &doc)?;
                    let path = dir.join(format!("{}.json", file_stem(&id)));
                    std::fs::write(&path, &buf)
                        .with_context(|| format!("writing {}", path.display()))?;
                }
                Destination::Lines(_) => {
                    serde_json::to_writer(&mut lines, &doc)?;
                    lines.push(b'\n');
                }
            }
        }
        if let Destination::Lines(writer) = destination {
            writer.lock().expect("writer lock").put(seq, lines)?;
        }
    }
}

/// Ids are `CVE-…`, `GHSA-…` and the like; anything that could leave the
/// folder is replaced.
fn file_stem(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The tree as a Markdown checklist.
fn markdown(x: &Extraction) -> String {
    let c: &Conditions = &x.conditions;
    let mut s = String::new();
    let _ = writeln!(s, "# {}: trigger conditions\n", c.vulnerability);
    if let Some(component) = &c.component {
        let _ = writeln!(s, "Component: {component}  ");
    }
    if let Some(e) = &c.extractor {
        let _ = writeln!(s, "Extractor: {e}  ");
    }
    for note in &x.notes {
        let _ = writeln!(s, "Note: {note}  ");
    }
    s.push_str("\nThe vulnerability can be triggered when:\n\n");
    node_markdown(&c.logic, 0, &mut s);
    s
}

fn node_markdown(node: &Node, depth: usize, s: &mut String) {
    let pad = "  ".repeat(depth);
    match node {
        Node::Group(g) => {
            let label = match g.op {
                kensa_logic::GroupOp::All => "**all** of:",
                kensa_logic::GroupOp::Any => "**any** of:",
            };
            let _ = writeln!(s, "{pad}- {label}");
            for child in &g.children {
                node_markdown(child, depth + 1, s);
            }
        }
        Node::Condition(c) => {
            let kind = serde_json::to_value(c.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let source = serde_json::to_value(c.source)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "{pad}- [ ] `{}` {} _({kind}, from {source})_",
                c.id, c.text
            );
            let _ = writeln!(s, "{pad}  - {}", c.question);
            if let Some(ja) = &c.question_ja {
                let _ = writeln!(s, "{pad}  - {ja}");
            }
            if let Some(e) = &c.evidence {
                let _ = writeln!(s, "{pad}  - evidence: \"{e}\"");
            }
        }
    }
}
