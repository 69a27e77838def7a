//! Scoring rows against a model, one at a time, with state carried from
//! row to row (last values, smoothed residuals).

use std::collections::HashSet;

use serde_json::Value;

use crate::Error;
use crate::explain;
use crate::model::{Channel, Check, Model, Params, TagKind, TagModel, statistics};
use crate::read::Record;

/// Score reported for a clearly broken rule (a never-seen actuator
/// combination, a reading well outside a state-conditioned range, a
/// constant that moved): twice the threshold.
pub const RULE_SCORE: f64 = 2.0;
/// Score at which a single row alarms, and holds the alarm up for the
/// model's `hold_rows`; below it, two rows in a row over 1 must.
pub const LONE_ROW_SCORE: f64 = 2.0;

/// Turns rows into standardized channel values: columns mapped to the
/// model's tags, gaps carried forward, counters and rates differenced.
pub(crate) struct Framer {
    /// For each model tag, its column in the source.
    columns: Vec<usize>,
    pub(crate) raw: Vec<f64>,
    pub(crate) previous: Vec<f64>,
    started: bool,
    pub(crate) x: Vec<f64>,
    /// Tags with no value of their own in this row (carried forward).
    pub(crate) missing: Vec<bool>,
    /// Per tag, the most decimals seen in the first rows: the data's resolution.
    decimals: Vec<u8>,
    rows_seen: u64,
    /// Per channel, how far rounding to that resolution can move it
    /// (standardized units); `resolution_changed` until read.
    pub(crate) rounding: Vec<f64>,
    pub(crate) resolution_changed: bool,
}

/// Rows over which a source's resolution is learned.
const RESOLUTION_ROWS: u64 = 1000;

/// Decimals needed to write `x` (at most 9).
fn decimals(x: f64) -> u8 {
    let mut scaled = x.abs();
    for d in 0..9u8 {
        if (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0) {
            return d;
        }
        scaled *= 10.0;
    }
    9
}

impl Framer {
    pub(crate) fn new(
        tags: &[TagModel],
        channels: &[Channel],
        source: &[String],
        path: &str,
    ) -> Result<Self, Error> {
        let columns = tags
            .iter()
            .map(|t| {
                source.iter().position(|c| *c == t.name).ok_or_else(|| {
                    Error::Model(format!(
                        "{path}: the model's tag {} is not in the data (its columns: {})",
                        t.name,
                        source.join(", ")
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            columns,
            raw: tags.iter().map(|t| t.mean).collect(),
            previous: tags.iter().map(|t| t.mean).collect(),
            started: false,
            x: vec![0.0; channels.len()],
            missing: vec![false; tags.len()],
            decimals: vec![0; tags.len()],
            rows_seen: 0,
            rounding: vec![0.0; channels.len()],
            resolution_changed: true,
        })
    }

    pub(crate) fn push(&mut self, record: &Record, tags: &[TagModel], channels: &[Channel]) {
        std::mem::swap(&mut self.raw, &mut self.previous);
        for (t, &column) in self.columns.iter().enumerate() {
            let value = record.values[column];
            self.missing[t] = value.is_nan();
            self.raw[t] = if value.is_nan() {
                self.previous[t]
            } else {
                value
            };
        }
        if !self.started {
            self.previous.copy_from_slice(&self.raw);
            self.started = true;
        }
        if self.rows_seen < RESOLUTION_ROWS {
            self.rows_seen += 1;
            self.learn_resolution(tags, channels);
        }
        for (c, channel) in channels.iter().enumerate() {
            let t = channel.tag;
            let value = if channel.rate || tags[t].kind == TagKind::Counter {
                let change = self.raw[t] - self.previous[t];
                // A counter that went down was reset: no increase this row.
                if tags[t].kind == TagKind::Counter && change < 0.0 {
                    channel.mean
                } else {
                    change
                }
            } else {
                self.raw[t]
            };
            self.x[c] = (value - channel.mean) / channel.std;
        }
    }
}

impl Framer {
    /// Rounded data (a historian writing two decimals) carries errors the
    /// model never saw in full-precision training data, and they persist
    /// while a signal sits between two steps, so smoothing does not average
    /// them out. Each channel can be off by half a step (a difference by a
    /// whole step); checks discount what rounding can explain.
    fn learn_resolution(&mut self, tags: &[TagModel], channels: &[Channel]) {
        let mut changed = false;
        for (t, &value) in self.raw.iter().enumerate() {
            let d = decimals(value);
            if d > self.decimals[t] || self.rows_seen == 1 {
                self.decimals[t] = self.decimals[t].max(d);
                changed = true;
            }
        }
        if !changed {
            return;
        }
        for (c, channel) in channels.iter().enumerate() {
            let q = 10f64.powi(-i32::from(self.decimals[channel.tag]));
            let differenced = channel.rate || tags[channel.tag].kind == TagKind::Counter;
            self.rounding[c] = if differenced { q } else { q / 2.0 } / channel.std;
        }
        self.resolution_changed = true;
    }
}

/// Smoothed-check state and the raw statistics of the current row.
pub(crate) struct Scorer {
    pub(crate) checks: Vec<Check>,
    alphas: Vec<f64>,
    smoothed: Vec<f64>,
    pub(crate) stats: Vec<f64>,
    /// Per regression, the current unsmoothed standardized residual.
    pub(crate) residuals: Vec<f64>,
    pub(crate) predictions: Vec<f64>,
    /// Per regression and fit, its residual spread.
    pub(crate) sigmas: Vec<Vec<f64>>,
    /// Per regression and fit, how far the data's rounding can move its
    /// residual (in residual spreads).
    bounds: Vec<Vec<f64>>,
    /// Per channel, how far rounding can move it (standardized units).
    rounding: Vec<f64>,
    /// Per regression, the fit used for the current row.
    pub(crate) branches: Vec<usize>,
    /// This row's residuals then channels, each with what rounding explains.
    inputs: Vec<(f64, f64)>,
    /// Per check, its input's index in `inputs`.
    sources: Vec<u32>,
}

impl Scorer {
    pub(crate) fn new(channels: &[Channel], params: &Params, spans: &[u32]) -> Self {
        let checks = statistics(channels, params, spans);
        let sources = checks
            .iter()
            .map(|c| match *c {
                Check::Residual { regression, .. } => regression as u32,
                Check::Level { channel, .. } => (params.regressions.len() + channel) as u32,
            })
            .collect();
        let alphas = checks
            .iter()
            .map(|c| match c {
                Check::Residual { span, .. } | Check::Level { span, .. } => {
                    2.0 / (f64::from(*span) + 1.0)
                }
            })
            .collect();
        Self {
            smoothed: vec![0.0; checks.len()],
            stats: vec![0.0; checks.len()],
            alphas,
            checks,
            residuals: vec![0.0; params.regressions.len()],
            predictions: vec![0.0; params.regressions.len()],
            sigmas: params
                .regressions
                .iter()
                .map(|r| r.fits.iter().map(|f| f.sigma).collect())
                .collect(),
            branches: vec![0; params.regressions.len()],
            bounds: params
                .regressions
                .iter()
                .map(|r| vec![0.0; r.fits.len()])
                .collect(),
            rounding: vec![0.0; channels.len()],
            inputs: vec![(0.0, 0.0); params.regressions.len() + channels.len()],
            sources,
        }
    }

    /// Recomputes what the data's rounding can explain, per check.
    pub(crate) fn widen(&mut self, params: &Params, rounding: &[f64]) {
        self.rounding.copy_from_slice(rounding);
        for (bounds, r) in self.bounds.iter_mut().zip(&params.regressions) {
            for (bound, fit) in bounds.iter_mut().zip(&r.fits) {
                let mut b = rounding[r.target];
                for (&p, &beta) in fit.predictors.iter().zip(&fit.coefficients) {
                    b += beta.abs() * rounding[p];
                }
                *bound = b / fit.sigma;
            }
        }
    }

    /// Updates every continuous check with the row's channels `x` (and raw
    /// tag values `raw`, for the gates).
    pub(crate) fn update(&mut self, params: &Params, tags: &[TagModel], x: &[f64], raw: &[f64]) {
        for (r, regression) in params.regressions.iter().enumerate() {
            let branch = regression.branch(tags, raw);
            let fit = &regression.fits[branch];
            let mut predicted = fit.intercept;
            for (&p, &b) in fit.predictors.iter().zip(&fit.coefficients) {
                predicted += b * x[p];
            }
            self.branches[r] = branch;
            self.predictions[r] = predicted;
            self.residuals[r] = (x[regression.target] - predicted) / self.sigmas[r][branch];
            self.inputs[r] = (self.residuals[r], self.bounds[r][branch]);
        }
        let offset = params.regressions.len();
        for (c, (&value, &bound)) in x.iter().zip(&self.rounding).enumerate() {
            self.inputs[offset + c] = (value, bound);
        }
        for (i, &source) in self.sources.iter().enumerate() {
            let (value, bound) = self.inputs[source as usize];
            let m = &mut self.smoothed[i];
            *m += self.alphas[i] * (value - *m);
            self.stats[i] = (m.abs() - bound).max(0.0);
        }
    }

    pub(crate) fn smoothed(&self, i: usize) -> f64 {
        self.smoothed[i]
    }
}

/// A broken rule in one row.
#[derive(Clone, Debug)]
pub(crate) enum Violation {
    Constant {
        tag: usize,
        value: f64,
        expected: f64,
    },
    Combination {
        states: String,
    },
    Consistency {
        rule: usize,
        value: f64,
        score: f64,
    },
    Switch {
        rule: usize,
        value: f64,
        score: f64,
    },
}

impl Violation {
    /// How strongly the row breaks the rule (`RULE_SCORE` when clearly).
    pub(crate) fn score(&self) -> f64 {
        match self {
            Violation::Consistency { score, .. } | Violation::Switch { score, .. } => *score,
            Violation::Constant { .. } | Violation::Combination { .. } => RULE_SCORE,
        }
    }
}

/// The categorical rules, with their lookup structures.
pub(crate) struct Rules {
    constants: Vec<(usize, f64)>,
    combinations: Option<HashSet<String>>,
    state_tags: Vec<usize>,
    bits: String,
}

impl Rules {
    pub(crate) fn new(tags: &[TagModel], params: &Params) -> Self {
        let constants = tags
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == TagKind::Constant)
            .map(|(i, t)| (i, t.mean))
            .collect();
        let combinations = params
            .combinations_checked
            .then(|| params.combinations.iter().cloned().collect());
        Self {
            constants,
            combinations,
            state_tags: params.state_tags.clone(),
            bits: String::new(),
        }
    }

    pub(crate) fn check(
        &mut self,
        tags: &[TagModel],
        params: &Params,
        framer: &Framer,
        out: &mut Vec<Violation>,
    ) {
        let raw = &framer.raw;
        out.clear();
        for &(tag, expected) in &self.constants {
            let value = raw[tag];
            if !value.is_nan() && (value - expected).abs() > 1e-9 * expected.abs().max(1.0) {
                out.push(Violation::Constant {
                    tag,
                    value,
                    expected,
                });
            }
        }
        if let Some(seen) = &self.combinations {
            self.bits.clear();
            for &t in &self.state_tags {
                self.bits
                    .push(if tags[t].is_on(raw[t]) { '1' } else { '0' });
            }
            if !seen.contains(&self.bits) {
                out.push(Violation::Combination {
                    states: self.bits.clone(),
                });
            }
        }
        for (i, rule) in params.consistency.iter().enumerate() {
            if tags[rule.state].is_on(raw[rule.state]) != rule.on {
                continue;
            }
            let value = raw[rule.tag];
            if let Some(score) = range_score(&tags[rule.tag], value, rule.low, rule.high) {
                out.push(Violation::Consistency {
                    rule: i,
                    value,
                    score,
                });
            }
        }
        for (i, rule) in params.switching.iter().enumerate() {
            let state = &tags[rule.state];
            let (before, now) = (
                state.is_on(framer.previous[rule.state]),
                state.is_on(raw[rule.state]),
            );
            if before == now || now != rule.on {
                continue;
            }
            let value = framer.previous[rule.tag];
            if let Some(score) = range_score(&tags[rule.tag], value, rule.low, rule.high) {
                out.push(Violation::Switch {
                    rule: i,
                    value,
                    score,
                });
            }
        }
    }
}

/// Slack around a state-conditioned range: 5 % of the tag's normal spread.
pub(crate) fn consistency_tolerance(tag: &TagModel) -> f64 {
    0.05 * tag.std + 1e-9
}

/// How strongly `value` breaks a learned range `[low, high]`: `None`
/// within the tolerance; past it, a score rising from 1 to `RULE_SCORE` at
/// twice the tolerance. A range learned from a finite sample has soft
/// edges: a reading just past one is weak evidence, treated like a check
/// just over its threshold (it alarms only when the row before was over
/// too, and holds no alarm up), not like a clear break.
pub(crate) fn range_score(tag: &TagModel, value: f64, low: f64, high: f64) -> Option<f64> {
    let tolerance = consistency_tolerance(tag);
    let excess = (low - value).max(value - high);
    (excess > tolerance).then(|| (excess / tolerance).min(RULE_SCORE))
}

/// One row's verdict, as `detect --format jsonl` writes it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RowResult {
    pub row: u64,
    pub time: String,
    pub score: f64,
    pub alarm: bool,
    pub tags: Vec<String>,
    pub explanation: String,
    pub evidence: Value,
}

/// Scores a stream of rows against a model.
pub struct Detector<'m> {
    model: &'m Model,
    framer: Option<Framer>,
    scorer: Scorer,
    rules: Rules,
    violations: Vec<Violation>,
    /// The findings of the last row with clear evidence, while they hold
    /// the alarm up: rows left, and rows since.
    held: Vec<explain::Finding>,
    held_left: u32,
    held_age: u32,
    /// The checks that look at a single row (window 1).
    instant_checks: Vec<usize>,
    previous_score: f64,
    row: u64,
}

impl<'m> Detector<'m> {
    pub fn new(model: &'m Model) -> Self {
        let scorer = Scorer::new(&model.channels, &model.params, &model.spans);
        let instant_checks = scorer
            .checks
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                matches!(
                    c,
                    Check::Residual { span: 1, .. } | Check::Level { span: 1, .. }
                )
            })
            .map(|(i, _)| i)
            .collect();
        Self {
            model,
            framer: None,
            scorer,
            rules: Rules::new(&model.tags, &model.params),
            violations: Vec::new(),
            held: Vec::new(),
            held_left: 0,
            held_age: 0,
            instant_checks,
            previous_score: 0.0,
            row: 0,
        }
    }

    /// Starts a new input whose tag columns are `columns` (in record order).
    /// Smoothed state carries over, as for a file split in two.
    pub fn start_source(&mut self, columns: &[String], path: &str) -> Result<(), Error> {
        self.framer = Some(Framer::new(
            &self.model.tags,
            &self.model.channels,
            columns,
            path,
        )?);
        Ok(())
    }

    /// Scores the next row; explanations and evidence only for alarms.
    pub fn process(&mut self, record: &Record) -> RowResult {
        let model = self.model;
        let framer = self.framer.as_mut().expect("start_source before process");
        framer.push(record, &model.tags, &model.channels);
        if framer.resolution_changed {
            self.scorer.widen(&model.params, &framer.rounding);
            framer.resolution_changed = false;
        }
        self.scorer
            .update(&model.params, &model.tags, &framer.x, &framer.raw);
        self.rules
            .check(&model.tags, &model.params, framer, &mut self.violations);
        self.row += 1;
        let (raw, _) = max_ratio(&self.scorer.stats, &model.scales);
        let rules = self
            .violations
            .iter()
            .map(Violation::score)
            .fold(0.0, f64::max);
        let score = (raw / model.threshold).max(rules);
        // One row over the threshold is not yet an alarm unless it is twice
        // over: a lone blip is noise far more often than an attack.
        let own_alarm = score >= 1.0 && (score >= LONE_ROW_SCORE || self.previous_score >= 1.0);
        self.previous_score = score;
        // Clear evidence without memory of its own (a broken rule, a
        // single-row check) holds the alarm up for `hold_rows`, an alarm
        // off-delay: an attack shows itself in bursts (a pump switched at
        // the wrong level, a pressure that disagrees with a replayed pump
        // state), with quiet rows between that are no less under attack.
        // Smoothed checks carry their own memory and hold nothing up.
        let clear = rules >= LONE_ROW_SCORE
            || (score >= LONE_ROW_SCORE
                && max_ratio_of(&self.scorer.stats, &model.scales, &self.instant_checks)
                    / model.threshold
                    >= LONE_ROW_SCORE);
        let held = !clear && self.held_left > 0;
        if held {
            self.held_left -= 1;
            self.held_age += 1;
        }
        let mut result = RowResult {
            row: self.row,
            time: record.time_text.clone(),
            score: round(score),
            alarm: own_alarm || held,
            tags: Vec::new(),
            explanation: String::new(),
            evidence: Value::Object(Default::default()),
        };
        if result.alarm {
            let mut findings = explain::findings(model, &self.scorer, framer, &self.violations);
            if clear {
                self.held.clone_from(&findings);
                self.held_left = model.hold_rows;
                self.held_age = 0;
            } else if held {
                explain::add_held(&mut findings, &self.held, self.held_age);
            }
            explain::fill(model, &findings, &mut result);
        }
        result
    }
}

/// The largest statistic over its scale among the checks `of`.
fn max_ratio_of(stats: &[f64], scales: &[f64], of: &[usize]) -> f64 {
    of.iter().map(|&i| stats[i] / scales[i]).fold(0.0, f64::max)
}

/// The largest statistic over its scale, and which it was.
pub(crate) fn max_ratio(stats: &[f64], scales: &[f64]) -> (f64, usize) {
    let mut best = (0.0, 0);
    for (i, (s, q)) in stats.iter().zip(scales).enumerate() {
        let r = s / q;
        if r > best.0 {
            best = (r, i);
        }
    }
    best
}

fn round(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_just_past_a_learned_range_are_weak_evidence() {
        let tag = TagModel {
            name: "P_J317".into(),
            kind: TagKind::Continuous,
            mean: 55.0,
            std: 2.0,
            min: 40.0,
            max: 70.0,
            missing: 0.0,
        };
        // Tolerance: 5 % of the spread, 0.1.
        assert_eq!(range_score(&tag, 51.0, 50.0, 60.0), None);
        assert_eq!(range_score(&tag, 49.95, 50.0, 60.0), None);
        let weak = range_score(&tag, 49.85, 50.0, 60.0).unwrap();
        assert!((weak - 1.5).abs() < 1e-6, "{weak}");
        assert!(weak < LONE_ROW_SCORE, "too weak to alarm alone or hold");
        assert_eq!(range_score(&tag, 60.3, 50.0, 60.0), Some(RULE_SCORE));
        assert_eq!(range_score(&tag, 75.0, 50.0, 60.0), Some(RULE_SCORE));
    }
}
