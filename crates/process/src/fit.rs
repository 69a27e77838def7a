//! What one block of normal rows contributes, and the models fitted from
//! any set of blocks: ridge regressions, ranges, actuator state
//! combinations and state-conditioned ranges.

use std::collections::HashMap;

use nalgebra::{DMatrix, DVector};

use crate::learn::{Broken, LearnOptions};
use crate::model::{Channel, ConsistencyRule, Params, Regression, TagKind, TagModel};
use crate::score::Framer;

/// Distinct actuator state combinations beyond which the rule is off (the
/// plant has too many for novelty to mean anything).
const MAX_COMBINATIONS: usize = 4096;
/// Rows buffered before they are added to the Gram matrix at once.
const BATCH: usize = 128;

/// Sums over one block of rows.
pub(crate) struct BlockStats {
    /// Gram matrix of `[channels…, 1]` over the rows sampled for fitting.
    gram: DMatrix<f64>,
    batch: DMatrix<f64>,
    batched: usize,
    /// Per channel, standardized min and max.
    ranges: Vec<(f64, f64)>,
    combinations: HashMap<String, u64>,
    too_many_combinations: bool,
    state_tags: Vec<usize>,
    measured_tags: Vec<usize>,
    /// [state][on][measured] → (min, max, rows), raw units.
    conditional: Vec<(f64, f64, u64)>,
    bits: String,
}

impl BlockStats {
    pub(crate) fn new(tags: &[TagModel], channels: &[Channel]) -> Self {
        let width = channels.len() + 1;
        let state_tags: Vec<usize> = (0..tags.len()).filter(|&t| tags[t].kind == TagKind::State).collect();
        let measured_tags: Vec<usize> = (0..tags.len()).filter(|&t| tags[t].kind == TagKind::Continuous).collect();
        Self {
            gram: DMatrix::zeros(width, width),
            batch: DMatrix::zeros(BATCH, width),
            batched: 0,
            ranges: vec![(f64::INFINITY, f64::NEG_INFINITY); channels.len()],
            combinations: HashMap::new(),
            too_many_combinations: false,
            conditional: vec![(f64::INFINITY, f64::NEG_INFINITY, 0); state_tags.len() * 2 * measured_tags.len()],
            state_tags,
            measured_tags,
            bits: String::new(),
        }
    }

    pub(crate) fn add(&mut self, tags: &[TagModel], framer: &Framer, for_fit: bool) {
        let x = &framer.x;
        for (range, &v) in self.ranges.iter_mut().zip(x) {
            range.0 = range.0.min(v);
            range.1 = range.1.max(v);
        }
        if for_fit {
            let row = self.batched;
            for (c, &v) in x.iter().enumerate() {
                self.batch[(row, c)] = v;
            }
            self.batch[(row, x.len())] = 1.0;
            self.batched += 1;
            if self.batched == BATCH {
                self.flush();
            }
        }
        self.bits.clear();
        for &t in &self.state_tags {
            self.bits.push(if tags[t].is_on(framer.raw[t]) { '1' } else { '0' });
        }
        if !self.too_many_combinations {
            *self.combinations.entry(self.bits.clone()).or_default() += 1;
            if self.combinations.len() > MAX_COMBINATIONS {
                self.too_many_combinations = true;
                self.combinations.clear();
            }
        }
        let measured = self.measured_tags.len();
        for (s, bit) in self.bits.bytes().enumerate() {
            let on = usize::from(bit == b'1');
            let base = (s * 2 + on) * measured;
            for (m, &t) in self.measured_tags.iter().enumerate() {
                let v = framer.raw[t];
                let cell = &mut self.conditional[base + m];
                cell.0 = cell.0.min(v);
                cell.1 = cell.1.max(v);
                cell.2 += 1;
            }
        }
    }

    /// Adds the buffered rows to the Gram matrix.
    pub(crate) fn flush(&mut self) {
        if self.batched == 0 {
            return;
        }
        let rows = self.batch.rows(0, self.batched);
        self.gram.gemm_tr(1.0, &rows, &rows, 1.0);
        self.batched = 0;
    }
}

/// The model fitted on every block but `held_out` (all blocks for `None`).
pub(crate) fn params(tags: &[TagModel], channels: &[Channel], blocks: &[BlockStats], held_out: Option<usize>, options: &LearnOptions) -> Params {
    let used = || blocks.iter().enumerate().filter(move |(b, _)| Some(*b) != held_out).map(|(_, s)| s);
    let all_gram = blocks.iter().fold(DMatrix::zeros(channels.len() + 1, channels.len() + 1), |g, b| g + &b.gram);
    let gram = used().fold(DMatrix::zeros(channels.len() + 1, channels.len() + 1), |g, b| g + &b.gram);
    let regressions = regressions(tags, channels, &all_gram, &gram, options);
    let mut ranges = vec![(f64::INFINITY, f64::NEG_INFINITY); channels.len()];
    for block in used() {
        for (r, b) in ranges.iter_mut().zip(&block.ranges) {
            *r = (r.0.min(b.0), r.1.max(b.1));
        }
    }
    let first = &blocks[0];
    let combinations_checked = !first.state_tags.is_empty() && blocks.iter().all(|b| !b.too_many_combinations);
    let mut combinations: Vec<String> = if combinations_checked {
        let mut seen: Vec<String> = used().flat_map(|b| b.combinations.keys().cloned()).collect();
        seen.sort();
        seen.dedup();
        seen
    } else {
        Vec::new()
    };
    combinations.sort();
    Params {
        regressions,
        ranges,
        state_tags: first.state_tags.clone(),
        combinations,
        combinations_checked,
        consistency: consistency_rules(tags, blocks, held_out),
    }
}

/// One regression per continuous or counter channel, from the other tags'
/// most correlated channels (chosen on all blocks, so that every fold has
/// the same checks).
fn regressions(tags: &[TagModel], channels: &[Channel], all_gram: &DMatrix<f64>, gram: &DMatrix<f64>, options: &LearnOptions) -> Vec<Regression> {
    let width = channels.len();
    let correlation = correlations(all_gram);
    let n = gram[(width, width)].max(1.0);
    let mut out = Vec::new();
    for (target, channel) in channels.iter().enumerate() {
        if tags[channel.tag].kind == TagKind::State {
            continue;
        }
        let mut candidates: Vec<usize> = (0..width).filter(|&c| channels[c].tag != channel.tag).collect();
        candidates.sort_by(|&a, &b| correlation[(target, b)].abs().total_cmp(&correlation[(target, a)].abs()).then(a.cmp(&b)));
        candidates.truncate(options.predictors);
        candidates.retain(|&c| correlation[(target, c)].abs() > 1e-9);
        candidates.sort_unstable();
        out.push(ridge(gram, target, &candidates, options.ridge * n, n));
    }
    out
}

fn correlations(gram: &DMatrix<f64>) -> DMatrix<f64> {
    let width = gram.nrows() - 1;
    let n = gram[(width, width)].max(1.0);
    let mean: Vec<f64> = (0..width).map(|i| gram[(i, width)] / n).collect();
    let var: Vec<f64> = (0..width).map(|i| (gram[(i, i)] / n - mean[i] * mean[i]).max(0.0)).collect();
    DMatrix::from_fn(width, width, |i, j| {
        let cov = gram[(i, j)] / n - mean[i] * mean[j];
        let denominator = (var[i] * var[j]).sqrt();
        if denominator > 1e-12 { cov / denominator } else { 0.0 }
    })
}

/// Ridge regression of `target` on `predictors` plus an unpenalized
/// intercept, from the Gram matrix; the residual spread from the same sums.
fn ridge(gram: &DMatrix<f64>, target: usize, predictors: &[usize], penalty: f64, n: f64) -> Regression {
    let intercept_column = gram.nrows() - 1;
    let columns: Vec<usize> = predictors.iter().copied().chain([intercept_column]).collect();
    let k = columns.len();
    let a = DMatrix::from_fn(k, k, |i, j| gram[(columns[i], columns[j])]);
    let b = DVector::from_fn(k, |i, _| gram[(columns[i], target)]);
    let mut penalized = a.clone();
    for i in 0..k - 1 {
        penalized[(i, i)] += penalty;
    }
    let beta = penalized.clone().cholesky().map(|c| c.solve(&b)).unwrap_or_else(|| {
        // Singular even with the penalty (a predictor never moved): fall back to the mean.
        let mut only_mean = DVector::zeros(k);
        only_mean[k - 1] = b[k - 1] / n;
        only_mean
    });
    let rss = gram[(target, target)] - 2.0 * beta.dot(&b) + (&a * &beta).dot(&beta);
    let sigma = (rss.max(0.0) / n).sqrt().max(1e-3);
    Regression {
        target,
        predictors: predictors.to_vec(),
        coefficients: beta.iter().take(k - 1).copied().collect(),
        intercept: beta[k - 1],
        sigma,
    }
}

/// "While pump P is off, its flow stays within [a, b]": kept where the
/// range in one state is under a quarter of the tag's whole range and both
/// states were seen often enough.
fn consistency_rules(tags: &[TagModel], blocks: &[BlockStats], held_out: Option<usize>) -> Vec<ConsistencyRule> {
    let first = &blocks[0];
    let measured = first.measured_tags.len();
    let mut rules = Vec::new();
    for (s, &state) in first.state_tags.iter().enumerate() {
        let mut cells = [vec![(f64::INFINITY, f64::NEG_INFINITY, 0u64); measured], vec![(f64::INFINITY, f64::NEG_INFINITY, 0u64); measured]];
        for (b, block) in blocks.iter().enumerate() {
            if Some(b) == held_out {
                continue;
            }
            for (on, cell_row) in cells.iter_mut().enumerate() {
                for (m, cell) in cell_row.iter_mut().enumerate() {
                    let c = block.conditional[(s * 2 + on) * measured + m];
                    *cell = (cell.0.min(c.0), cell.1.max(c.1), cell.2 + c.2);
                }
            }
        }
        for on in [false, true] {
            let this = &cells[usize::from(on)];
            let other = &cells[usize::from(!on)];
            for (m, &tag) in first.measured_tags.iter().enumerate() {
                let (low, high, count) = this[m];
                let whole = tags[tag].max - tags[tag].min;
                if count < 20 || other[m].2 < 20 || whole <= 0.0 || high - low > 0.25 * whole {
                    continue;
                }
                rules.push(ConsistencyRule { state, on, tag, low, high });
            }
        }
    }
    rules
}

/// Drops the rules held-out normal data broke; returns (kept, dropped).
pub(crate) fn keep_reliable_rules(params: &mut Params, folds: &[Params], broken: &Broken, options: &LearnOptions, rows: u64) -> (u64, u64) {
    let before = params.consistency.len() as u64 + u64::from(params.combinations_checked);
    let tested_enough = folds.len().div_ceil(2) as u32;
    params.consistency.retain(|r| {
        broken.consistency.get(&(r.state, r.on, r.tag)).is_some_and(|&(violations, tested)| violations == 0 && tested >= tested_enough)
    });
    if broken.combination_rows as f64 > options.false_alarm_rate * rows as f64 {
        params.combinations_checked = false;
        params.combinations.clear();
    }
    let kept = params.consistency.len() as u64 + u64::from(params.combinations_checked);
    (kept, before - kept)
}
