//! Learning normal operation in four streaming passes over the data:
//!
//! 1. tag statistics and kinds (constant, state, counter, continuous);
//! 2. per contiguous block: Gram matrices of the standardized channels,
//!    ranges, actuator state combinations and state-conditioned ranges;
//! 3. cross-fitting: each block scored by the model fitted on the other
//!    blocks, for the scale of every check and the rules that held-out
//!    normal data never breaks;
//! 4. the same out-of-fold scores combined, for the alarm threshold.
//!
//! No pass keeps rows: memory depends on the number of tags only.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::Error;
use crate::fit::{self, BlockStats};
use crate::histogram::Histogram;
use crate::model::{
    Calibration, Channel, DEFAULT_HOLD_ROWS, MODEL_FORMAT, Model, Params, TagKind, TagModel,
    statistics,
};
use crate::read::{self, ReadOptions, Record, RowSource};
use crate::score::{Framer, Rules, Scorer, Violation, max_ratio};

/// Column names taken for labels, never learned from.
const LABEL_NAMES: &[&str] = &[
    "att_flag",
    "attack",
    "attacks",
    "label",
    "labels",
    "is_attack",
    "is_anomaly",
    "anomaly",
    "fault",
    "ground_truth",
    "target",
    "class",
];

#[derive(Clone, Debug)]
pub struct LearnOptions {
    pub read: ReadOptions,
    pub exclude: Vec<String>,
    /// Trailing-window lengths (rows) of the smoothed checks.
    pub spans: Vec<u32>,
    /// Rows a clear finding keeps the alarm up after it.
    pub hold_rows: u32,
    /// Contiguous blocks for cross-fitting.
    pub folds: u32,
    /// Share of held-out normal rows allowed above the threshold.
    pub false_alarm_rate: f64,
    /// Predictors per regression (most correlated other-tag channels).
    pub predictors: usize,
    /// Ridge penalty per row, in standardized units.
    pub ridge: f64,
    /// Regressions are fitted on at most this many evenly spaced rows.
    pub max_fit_rows: u64,
}

impl Default for LearnOptions {
    fn default() -> Self {
        Self {
            read: ReadOptions::default(),
            exclude: Vec::new(),
            spans: vec![1, 6, 24],
            hold_rows: DEFAULT_HOLD_ROWS,
            folds: 5,
            false_alarm_rate: 0.001,
            predictors: 16,
            ridge: 0.01,
            max_fit_rows: 2_000_000,
        }
    }
}

/// A learned model and notes for the user (excluded columns, dropped tags).
pub struct Learned {
    pub model: Model,
    pub notes: Vec<String>,
}

pub fn learn(paths: &[PathBuf], options: &LearnOptions) -> Result<Learned, Error> {
    if paths.is_empty() {
        return Err(Error::Model("no data to learn from".into()));
    }
    if options.folds < 2 {
        return Err(Error::Model("cross-fitting needs at least 2 folds".into()));
    }
    let mut notes = Vec::new();
    let first = read::open(&paths[0], &options.read)?;
    let (names, excluded) = choose_tags(first.columns(), &options.exclude, &mut notes)?;
    drop(first);

    let scan = scan_tags(paths, options, &names)?;
    if scan.rows < 20 * u64::from(options.folds) {
        return Err(Error::Model(format!(
            "{} rows is too little normal data to learn from and hold out (at least {} needed)",
            scan.rows,
            20 * options.folds
        )));
    }
    let (tags, channels) = kinds(&names, &scan, &mut notes);
    if channels.is_empty() {
        return Err(Error::Model(
            "every tag is constant or empty: nothing to learn".into(),
        ));
    }
    let blocks = accumulate(paths, options, &tags, &channels, scan.rows)?;
    let plans = fit::plans(&tags, &channels, &blocks, options);
    let folds: Vec<Params> = (0..options.folds as usize)
        .map(|f| fit::params(&tags, &channels, &blocks, &plans, Some(f), options))
        .collect();
    let mut params = fit::params(&tags, &channels, &blocks, &plans, None, options);

    let pass = Calibrator {
        paths,
        options,
        tags: &tags,
        channels: &channels,
        folds: &folds,
        rows: scan.rows,
    };
    let (histograms, broken) = pass.run(None)?;
    let scales: Vec<f64> = histograms
        .iter()
        .map(|h| h.tail_quantile(options.false_alarm_rate).max(1e-6))
        .collect();
    let (kept, dropped) =
        fit::keep_reliable_rules(&mut params, &folds, &broken, options, scan.rows);
    let (score_histogram, _) = pass.run(Some(&scales))?;
    // The tail fit extrapolates; the plain quantile keeps held-out normal
    // rows above the threshold at the target share when the tail is heavier.
    let scores = &score_histogram[0];
    let threshold = scores
        .tail_quantile(options.false_alarm_rate)
        .max(scores.quantile(1.0 - options.false_alarm_rate))
        .max(1e-6);
    let alarm_rows = score_histogram[0].count_above(threshold);

    let model = Model {
        format: MODEL_FORMAT.to_string(),
        learned_from: read::display_paths(paths),
        rows: scan.rows,
        step_seconds: scan.step_seconds,
        date_order: options.read.date_order,
        time_column: options.read.time_column.clone(),
        excluded,
        tags,
        channels,
        spans: options.spans.clone(),
        hold_rows: options.hold_rows,
        params,
        scales,
        threshold,
        calibration: Calibration {
            folds: options.folds,
            rows: scan.rows,
            false_alarm_rate: options.false_alarm_rate,
            alarm_rows,
            alarm_episodes: 0,
            rules_dropped: dropped,
            rules_kept: kept,
        },
    };
    Ok(Learned { model, notes })
}

/// The tags to learn: every column but the excluded ones and label columns.
fn choose_tags(
    columns: &[String],
    exclude: &[String],
    notes: &mut Vec<String>,
) -> Result<(Vec<String>, Vec<String>), Error> {
    for name in exclude {
        if !columns.contains(name) {
            return Err(Error::Model(format!(
                "--exclude {name}: no such column (columns: {})",
                columns.join(", ")
            )));
        }
    }
    let mut names = Vec::new();
    let mut excluded = Vec::new();
    for column in columns {
        if exclude.contains(column) {
            excluded.push(column.clone());
        } else if LABEL_NAMES.contains(&column.to_ascii_lowercase().as_str()) {
            notes.push(format!(
                "column {column} looks like a label column: not learned from"
            ));
            excluded.push(column.clone());
        } else {
            names.push(column.clone());
        }
    }
    Ok((names, excluded))
}

/// What `for_each_row` hands its visitor: a new input, or its next row.
enum Step<'a> {
    Start(&'a dyn RowSource),
    Row(u64, &'a Record),
}

/// Opens every input in turn and shows the visitor each input and row
/// (with its index over all inputs).
fn for_each_row(
    paths: &[PathBuf],
    options: &LearnOptions,
    mut visit: impl FnMut(Step<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut record = Record::default();
    let mut index = 0;
    for path in paths {
        let mut source = read::open(path, &options.read)?;
        visit(Step::Start(source.as_ref()))?;
        while source.next_row(&mut record)? {
            visit(Step::Row(index, &record))?;
            index += 1;
        }
    }
    Ok(())
}

#[derive(Clone, Default)]
struct TagScan {
    count: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
    distinct: Vec<f64>,
    previous: Option<f64>,
    ups: u64,
    downs: u64,
    change: Welford,
    /// Changes that are not drops: a counter's increase, resets left out.
    rise: Welford,
}

#[derive(Clone, Copy, Default)]
struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    fn add(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    fn std(&self) -> f64 {
        if self.n > 1 {
            (self.m2 / (self.n - 1) as f64).sqrt()
        } else {
            0.0
        }
    }
}

struct Scan {
    rows: u64,
    tags: Vec<TagScan>,
    step_seconds: Option<f64>,
}

fn scan_tags(paths: &[PathBuf], options: &LearnOptions, names: &[String]) -> Result<Scan, Error> {
    let mut tags = vec![
        TagScan {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            ..Default::default()
        };
        names.len()
    ];
    let mut columns = Vec::new();
    let mut steps = Vec::new();
    let mut last_time: Option<f64> = None;
    let mut rows = 0;
    for_each_row(paths, options, |step| match step {
        Step::Start(source) => {
            columns = names
                .iter()
                .map(|n| {
                    source.columns().iter().position(|c| c == n).ok_or_else(|| {
                        Error::format(
                            source.path(),
                            &format!("no column {n}, which the first file has"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            for t in &mut tags {
                t.previous = None;
            }
            last_time = None;
            Ok(())
        }
        Step::Row(_, record) => {
            rows += 1;
            if let (Some(t), Some(last)) = (record.time, last_time)
                && steps.len() < 1001
            {
                steps.push(t - last);
            }
            last_time = record.time.or(last_time);
            for (t, &column) in tags.iter_mut().zip(&columns) {
                let x = record.values[column];
                if x.is_nan() {
                    continue;
                }
                t.count += 1;
                let d = x - t.mean;
                t.mean += d / t.count as f64;
                t.m2 += d * (x - t.mean);
                t.min = t.min.min(x);
                t.max = t.max.max(x);
                if t.distinct.len() < 3 && !t.distinct.contains(&x) {
                    t.distinct.push(x);
                }
                if let Some(p) = t.previous {
                    match x.partial_cmp(&p) {
                        Some(std::cmp::Ordering::Greater) => t.ups += 1,
                        Some(std::cmp::Ordering::Less) => t.downs += 1,
                        _ => {}
                    }
                    t.change.add(x - p);
                    if x >= p {
                        t.rise.add(x - p);
                    }
                }
                t.previous = Some(x);
            }
            Ok(())
        }
    })?;
    steps.sort_by(f64::total_cmp);
    let step_seconds = steps.get(steps.len() / 2).copied().filter(|s| *s > 0.0);
    Ok(Scan {
        rows,
        tags,
        step_seconds,
    })
}

/// Each tag's kind, and the channels the checks work on: a value channel
/// per non-constant tag, a change channel per continuous tag.
fn kinds(names: &[String], scan: &Scan, notes: &mut Vec<String>) -> (Vec<TagModel>, Vec<Channel>) {
    let mut tags = Vec::new();
    let mut channels = Vec::new();
    for (name, s) in names.iter().zip(&scan.tags) {
        if s.count == 0 {
            notes.push(format!("tag {name} has no values: left out"));
            continue;
        }
        let std = if s.count > 1 {
            (s.m2 / (s.count - 1) as f64).sqrt()
        } else {
            0.0
        };
        let changes = s.ups + s.downs;
        let kind = match s.distinct.len() {
            1 => TagKind::Constant,
            2 => TagKind::State,
            _ if changes >= 10 && s.downs * 100 <= changes && s.ups > s.downs * 20 => {
                TagKind::Counter
            }
            _ => TagKind::Continuous,
        };
        let index = tags.len();
        let (mean, std) = match kind {
            TagKind::Counter => (s.rise.mean, s.rise.std()),
            _ => (s.mean, std),
        };
        tags.push(TagModel {
            name: name.clone(),
            kind,
            mean,
            std,
            min: s.min,
            max: s.max,
            missing: 1.0 - s.count as f64 / scan.rows as f64,
        });
        if kind == TagKind::Constant {
            continue;
        }
        channels.push(Channel {
            tag: index,
            rate: false,
            mean,
            std: positive(std),
        });
        if kind == TagKind::Continuous {
            channels.push(Channel {
                tag: index,
                rate: true,
                mean: s.change.mean,
                std: positive(s.change.std()),
            });
        }
    }
    (tags, channels)
}

fn positive(std: f64) -> f64 {
    if std > 1e-12 { std } else { 1.0 }
}

/// Which block (fold) a row belongs to: contiguous, equal shares.
pub(crate) fn block_of(index: u64, rows: u64, folds: u32) -> usize {
    ((index as u128 * u128::from(folds) / u128::from(rows.max(1))) as usize).min(folds as usize - 1)
}

fn accumulate(
    paths: &[PathBuf],
    options: &LearnOptions,
    tags: &[TagModel],
    channels: &[Channel],
    rows: u64,
) -> Result<Vec<BlockStats>, Error> {
    let stride = rows.div_ceil(options.max_fit_rows.max(1)).max(1);
    // Gated fits add a Gram matrix per state tag to every row: fewer rows.
    let gated_stride = rows.div_ceil((options.max_fit_rows / 40).max(1)).max(1);
    let mut blocks: Vec<BlockStats> = (0..options.folds)
        .map(|_| BlockStats::new(tags, channels))
        .collect();
    let mut framer: Option<Framer> = None;
    for_each_row(paths, options, |step| {
        match step {
            Step::Start(source) => {
                framer = Some(Framer::new(
                    tags,
                    channels,
                    source.columns(),
                    &source.path().display().to_string(),
                )?);
            }
            Step::Row(index, record) => {
                let framer = framer.as_mut().expect("source started");
                framer.push(record, tags, channels);
                let block = &mut blocks[block_of(index, rows, options.folds)];
                block.add(tags, framer, index % stride == 0, index % gated_stride == 0);
            }
        }
        Ok(())
    })?;
    for block in &mut blocks {
        block.flush();
    }
    Ok(blocks)
}

/// Out-of-fold scoring of the normal data (passes 3 and 4).
struct Calibrator<'a> {
    paths: &'a [PathBuf],
    options: &'a LearnOptions,
    tags: &'a [TagModel],
    channels: &'a [Channel],
    folds: &'a [Params],
    rows: u64,
}

/// How often held-out rows broke each kind of rule.
#[derive(Default)]
pub(crate) struct Broken {
    pub(crate) combination_rows: u64,
    /// Per (state tag, on, tag): rows breaking the rule, folds testing it.
    pub(crate) consistency: HashMap<(usize, bool, usize), (u64, u32)>,
    pub(crate) switching: HashMap<(usize, bool, usize), (u64, u32)>,
    /// Per rule (measured tag, range), rows whose value lay outside the
    /// range whatever the state: a rule about a tag that hardly ever
    /// leaves its range says nothing about the state.
    pub(crate) outside: HashMap<(usize, u64, u64), u64>,
    pub(crate) rows: u64,
}

impl Calibrator<'_> {
    /// Without scales: one histogram per check, and the rules broken.
    /// With scales: one histogram of the combined score.
    fn run(&self, scales: Option<&[f64]>) -> Result<(Vec<Histogram>, Broken), Error> {
        let spans = &self.options.spans;
        let mut scorer = Scorer::new(self.channels, &self.folds[0], spans);
        let checks = statistics(self.channels, &self.folds[0], spans).len();
        let mut histograms = vec![Histogram::default(); if scales.is_some() { 1 } else { checks }];
        let mut rules: Vec<Rules> = self
            .folds
            .iter()
            .map(|p| Rules::new(self.tags, p))
            .collect();
        let mut broken = Broken::default();
        for (f, params) in self.folds.iter().enumerate() {
            let _ = f;
            for rule in &params.consistency {
                broken
                    .consistency
                    .entry((rule.state, rule.on, rule.tag))
                    .or_default()
                    .1 += 1;
            }
            for rule in &params.switching {
                broken
                    .switching
                    .entry((rule.state, rule.on, rule.tag))
                    .or_default()
                    .1 += 1;
            }
        }
        let mut violations = Vec::new();
        let mut framer: Option<Framer> = None;
        let mut current_fold = usize::MAX;
        for_each_row(self.paths, self.options, |step| {
            let (index, record) = match step {
                Step::Start(source) => {
                    framer = Some(Framer::new(
                        self.tags,
                        self.channels,
                        source.columns(),
                        &source.path().display().to_string(),
                    )?);
                    return Ok(());
                }
                Step::Row(index, record) => (index, record),
            };
            {
                let framer = framer.as_mut().expect("source started");
                framer.push(record, self.tags, self.channels);
                let fold = block_of(index, self.rows, self.options.folds);
                let params = &self.folds[fold];
                if framer.resolution_changed || fold != current_fold {
                    scorer.widen(params, &framer.rounding);
                    framer.resolution_changed = false;
                    current_fold = fold;
                }
                scorer.update(params, self.tags, &framer.x, &framer.raw);
                match scales {
                    Some(scales) => histograms[0].add(max_ratio(&scorer.stats, scales).0),
                    None => {
                        for (h, &s) in histograms.iter_mut().zip(&scorer.stats) {
                            h.add(s);
                        }
                        broken.rows += 1;
                        for rule in params.consistency.iter().chain(&params.switching) {
                            let v = framer.raw[rule.tag];
                            if v < rule.low || v > rule.high {
                                *broken
                                    .outside
                                    .entry((rule.tag, rule.low.to_bits(), rule.high.to_bits()))
                                    .or_default() += 1;
                            }
                        }
                        rules[fold].check(self.tags, params, framer, &mut violations);
                        for v in &violations {
                            match v {
                                Violation::Combination { .. } => broken.combination_rows += 1,
                                Violation::Consistency { rule, .. } => {
                                    let r = &params.consistency[*rule];
                                    broken
                                        .consistency
                                        .entry((r.state, r.on, r.tag))
                                        .or_default()
                                        .0 += 1;
                                }
                                Violation::Switch { rule, .. } => {
                                    let r = &params.switching[*rule];
                                    broken
                                        .switching
                                        .entry((r.state, r.on, r.tag))
                                        .or_default()
                                        .0 += 1;
                                }
                                Violation::Constant { .. } => {}
                            }
                        }
                    }
                }
            }
            Ok(())
        })?;
        Ok((histograms, broken))
    }
}
