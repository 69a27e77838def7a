//! What one block of normal rows contributes, and the models fitted from
//! any set of blocks: ridge regressions, ranges, actuator state
//! combinations and state-conditioned ranges.

use std::collections::HashMap;

use nalgebra::{DMatrix, DVector};

use crate::learn::{Broken, LearnOptions};
use crate::model::{Channel, ConsistencyRule, Fit, Params, Regression, TagKind, TagModel};
use crate::score::Framer;

/// Distinct actuator state combinations beyond which the rule is off (the
/// plant has too many for novelty to mean anything).
const MAX_COMBINATIONS: usize = 4096;
/// Rows buffered before they are added to the Gram matrix at once.
const BATCH: usize = 128;

/// A Gram matrix of `[channels…, 1]`, filled a batch of rows at a time.
pub(crate) struct Gram {
    pub(crate) sums: DMatrix<f64>,
    /// One column per buffered row (contiguous writes), and its transpose
    /// for the product.
    batch: DMatrix<f64>,
    transposed: DMatrix<f64>,
    batched: usize,
}

impl Gram {
    fn new(width: usize) -> Self {
        Self {
            sums: DMatrix::zeros(width, width),
            batch: DMatrix::zeros(width, 0),
            transposed: DMatrix::zeros(0, width),
            batched: 0,
        }
    }

    fn add(&mut self, x: &[f64]) {
        if self.batch.ncols() == 0 {
            self.batch = DMatrix::zeros(x.len() + 1, BATCH);
            self.transposed = DMatrix::zeros(BATCH, x.len() + 1);
        }
        let mut column = self.batch.column_mut(self.batched);
        column.as_mut_slice()[..x.len()].copy_from_slice(x);
        column[x.len()] = 1.0;
        self.batched += 1;
        if self.batched == BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batched == 0 {
            return;
        }
        if self.batched < BATCH {
            // The last, partial batch: zero columns add nothing.
            self.batch
                .columns_mut(self.batched, BATCH - self.batched)
                .fill(0.0);
        }
        self.batch.transpose_to(&mut self.transposed);
        // A plain product (matrixmultiply's kernel) beats `gemm_tr` here.
        self.sums.gemm(1.0, &self.batch, &self.transposed, 1.0);
        self.batched = 0;
    }
}

/// Sums over one block of rows.
pub(crate) struct BlockStats {
    /// Over the rows sampled for fitting.
    gram: Gram,
    /// Per state tag and state (`s * 2 + on`), over the rows sampled for gated fits.
    gated: Vec<Gram>,
    /// Per channel, standardized min and max.
    ranges: Vec<(f64, f64)>,
    combinations: HashMap<String, u64>,
    too_many_combinations: bool,
    state_tags: Vec<usize>,
    measured_tags: Vec<usize>,
    /// [state][on][measured] → (min, max, rows), raw units.
    conditional: Vec<(f64, f64, u64)>,
    /// [state][switched on][measured] → (min, max, switches): the measured
    /// tag in the row before the state changed.
    switches: Vec<(f64, f64, u64)>,
    bits: String,
}

impl BlockStats {
    pub(crate) fn new(tags: &[TagModel], channels: &[Channel]) -> Self {
        let width = channels.len() + 1;
        let state_tags: Vec<usize> = (0..tags.len())
            .filter(|&t| tags[t].kind == TagKind::State)
            .collect();
        let measured_tags: Vec<usize> = (0..tags.len())
            .filter(|&t| tags[t].kind == TagKind::Continuous)
            .collect();
        Self {
            gram: Gram::new(width),
            gated: (0..state_tags.len() * 2)
                .map(|_| Gram::new(width))
                .collect(),
            ranges: vec![(f64::INFINITY, f64::NEG_INFINITY); channels.len()],
            combinations: HashMap::new(),
            too_many_combinations: false,
            conditional: vec![
                (f64::INFINITY, f64::NEG_INFINITY, 0);
                state_tags.len() * 2 * measured_tags.len()
            ],
            switches: vec![
                (f64::INFINITY, f64::NEG_INFINITY, 0);
                state_tags.len() * 2 * measured_tags.len()
            ],
            state_tags,
            measured_tags,
            bits: String::new(),
        }
    }

    pub(crate) fn add(
        &mut self,
        tags: &[TagModel],
        framer: &Framer,
        for_fit: bool,
        for_gated_fit: bool,
    ) {
        let x = &framer.x;
        for (range, &v) in self.ranges.iter_mut().zip(x) {
            range.0 = range.0.min(v);
            range.1 = range.1.max(v);
        }
        if for_fit {
            self.gram.add(x);
        }
        if for_gated_fit {
            for (s, &t) in self.state_tags.iter().enumerate() {
                self.gated[s * 2 + usize::from(tags[t].is_on(framer.raw[t]))].add(x);
            }
        }
        self.bits.clear();
        for &t in &self.state_tags {
            self.bits.push(if tags[t].is_on(framer.raw[t]) {
                '1'
            } else {
                '0'
            });
        }
        if !self.too_many_combinations {
            *self.combinations.entry(self.bits.clone()).or_default() += 1;
            if self.combinations.len() > MAX_COMBINATIONS {
                self.too_many_combinations = true;
                self.combinations.clear();
            }
        }
        let measured = self.measured_tags.len();
        for (s, &t) in self.state_tags.iter().enumerate() {
            let (before, now) = (
                tags[t].is_on(framer.previous[t]),
                tags[t].is_on(framer.raw[t]),
            );
            if before == now {
                continue;
            }
            let base = (s * 2 + usize::from(now)) * measured;
            for (m, &c) in self.measured_tags.iter().enumerate() {
                let v = framer.previous[c];
                let cell = &mut self.switches[base + m];
                *cell = (cell.0.min(v), cell.1.max(v), cell.2 + 1);
            }
        }
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

    /// Adds the buffered rows to the Gram matrices.
    pub(crate) fn flush(&mut self) {
        self.gram.flush();
        for g in &mut self.gated {
            g.flush();
        }
    }
}

/// What a regression predicts from: its target, its gate (a state tag's
/// index among the state tags) and each fit's predictors. Chosen once on
/// all blocks, so that every fold has the same checks.
pub(crate) struct Plan {
    target: usize,
    gate: Option<usize>,
    predictors: Vec<Vec<usize>>,
}

/// Rows a gated fit needs in each state.
const MIN_BRANCH_ROWS: f64 = 30.0;
/// A gate is used when it cuts the residual sum of squares by this share.
const GATE_GAIN: f64 = 0.2;

/// One plan per continuous or counter channel: the gate that best explains
/// it (if any helps enough), and the most correlated other-tag channels.
pub(crate) fn plans(
    tags: &[TagModel],
    channels: &[Channel],
    blocks: &[BlockStats],
    options: &LearnOptions,
) -> Vec<Plan> {
    let width = channels.len();
    let sum = |pick: &dyn Fn(&BlockStats) -> &DMatrix<f64>| {
        blocks
            .iter()
            .fold(DMatrix::zeros(width + 1, width + 1), |g, b| g + pick(b))
    };
    let all = sum(&|b| &b.gram.sums);
    let states = blocks[0].state_tags.len();
    let gated: Vec<DMatrix<f64>> = (0..states * 2)
        .map(|i| sum(&|b| &b.gated[i].sums))
        .collect();
    let all_correlation = correlations(&all);
    let gated_correlation: Vec<DMatrix<f64>> = gated.iter().map(correlations).collect();
    let mut out = Vec::new();
    for (target, channel) in channels.iter().enumerate() {
        if tags[channel.tag].kind == TagKind::State {
            continue;
        }
        let plain = select(channels, &all_correlation, target, options.predictors);
        let n = all[(width, width)].max(1.0);
        let plain_rss = ridge(&all, target, &plain, options.ridge * n, n)
            .sigma
            .powi(2)
            * n;
        let mut best = Plan {
            target,
            gate: None,
            predictors: vec![plain],
        };
        let mut best_rss = plain_rss * (1.0 - GATE_GAIN);
        for s in 0..states {
            let (off, on) = (&gated[s * 2], &gated[s * 2 + 1]);
            let (n_off, n_on) = (off[(width, width)], on[(width, width)]);
            if n_off < MIN_BRANCH_ROWS || n_on < MIN_BRANCH_ROWS {
                continue;
            }
            let p_off = select(
                channels,
                &gated_correlation[s * 2],
                target,
                options.predictors,
            );
            let p_on = select(
                channels,
                &gated_correlation[s * 2 + 1],
                target,
                options.predictors,
            );
            let rss = ridge(off, target, &p_off, options.ridge * n_off, n_off)
                .sigma
                .powi(2)
                * n_off
                + ridge(on, target, &p_on, options.ridge * n_on, n_on)
                    .sigma
                    .powi(2)
                    * n_on;
            if rss < best_rss {
                best_rss = rss;
                best = Plan {
                    target,
                    gate: Some(s),
                    predictors: vec![p_off, p_on],
                };
            }
        }
        out.push(best);
    }
    out
}

/// The `count` other-tag channels most correlated with `target`.
fn select(
    channels: &[Channel],
    correlation: &DMatrix<f64>,
    target: usize,
    count: usize,
) -> Vec<usize> {
    let own = channels[target].tag;
    let mut candidates: Vec<usize> = (0..channels.len())
        .filter(|&c| channels[c].tag != own)
        .collect();
    candidates.sort_by(|&a, &b| {
        correlation[(target, b)]
            .abs()
            .total_cmp(&correlation[(target, a)].abs())
            .then(a.cmp(&b))
    });
    candidates.truncate(count);
    candidates.retain(|&c| correlation[(target, c)].abs() > 1e-9);
    candidates.sort_unstable();
    candidates
}

/// The model fitted on every block but `held_out` (all blocks for `None`).
pub(crate) fn params(
    tags: &[TagModel],
    channels: &[Channel],
    blocks: &[BlockStats],
    plans: &[Plan],
    held_out: Option<usize>,
    options: &LearnOptions,
) -> Params {
    let used = || {
        blocks
            .iter()
            .enumerate()
            .filter(move |(b, _)| Some(*b) != held_out)
            .map(|(_, s)| s)
    };
    let width = channels.len() + 1;
    let gram = used().fold(DMatrix::zeros(width, width), |g, b| g + &b.gram.sums);
    let gated: Vec<DMatrix<f64>> = (0..blocks[0].gated.len())
        .map(|i| used().fold(DMatrix::zeros(width, width), |g, b| g + &b.gated[i].sums))
        .collect();
    let first = &blocks[0];
    let regressions = plans
        .iter()
        .map(|plan| {
            let fits = match plan.gate {
                None => vec![fit_on(&gram, plan.target, &plan.predictors[0], options)],
                Some(s) => (0..2)
                    .map(|on| {
                        fit_on(
                            &gated[s * 2 + on],
                            plan.target,
                            &plan.predictors[on],
                            options,
                        )
                    })
                    .collect(),
            };
            Regression {
                target: plan.target,
                gate: plan.gate.map(|s| first.state_tags[s]),
                fits,
            }
        })
        .collect();
    let mut ranges = vec![(f64::INFINITY, f64::NEG_INFINITY); channels.len()];
    for block in used() {
        for (r, b) in ranges.iter_mut().zip(&block.ranges) {
            *r = (r.0.min(b.0), r.1.max(b.1));
        }
    }
    let combinations_checked =
        !first.state_tags.is_empty() && blocks.iter().all(|b| !b.too_many_combinations);
    let mut combinations: Vec<String> = if combinations_checked {
        let mut seen: Vec<String> = used()
            .flat_map(|b| b.combinations.keys().cloned())
            .collect();
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
        consistency: conditional_rules(tags, blocks, held_out, |b| &b.conditional, 20, true),
        switching: conditional_rules(tags, blocks, held_out, |b| &b.switches, 20, false),
    }
}

fn fit_on(gram: &DMatrix<f64>, target: usize, predictors: &[usize], options: &LearnOptions) -> Fit {
    let n = gram[(gram.nrows() - 1, gram.nrows() - 1)].max(1.0);
    ridge(gram, target, predictors, options.ridge * n, n)
}

fn correlations(gram: &DMatrix<f64>) -> DMatrix<f64> {
    let width = gram.nrows() - 1;
    let n = gram[(width, width)].max(1.0);
    let mean: Vec<f64> = (0..width).map(|i| gram[(i, width)] / n).collect();
    let var: Vec<f64> = (0..width)
        .map(|i| (gram[(i, i)] / n - mean[i] * mean[i]).max(0.0))
        .collect();
    DMatrix::from_fn(width, width, |i, j| {
        let cov = gram[(i, j)] / n - mean[i] * mean[j];
        let denominator = (var[i] * var[j]).sqrt();
        if denominator > 1e-12 {
            cov / denominator
        } else {
            0.0
        }
    })
}

/// Ridge regression of `target` on `predictors` plus an unpenalized
/// intercept, from the Gram matrix; the residual spread from the same sums.
fn ridge(gram: &DMatrix<f64>, target: usize, predictors: &[usize], penalty: f64, n: f64) -> Fit {
    let intercept_column = gram.nrows() - 1;
    let columns: Vec<usize> = predictors
        .iter()
        .copied()
        .chain([intercept_column])
        .collect();
    let k = columns.len();
    let a = DMatrix::from_fn(k, k, |i, j| gram[(columns[i], columns[j])]);
    let b = DVector::from_fn(k, |i, _| gram[(columns[i], target)]);
    let mut penalized = a.clone();
    for i in 0..k - 1 {
        penalized[(i, i)] += penalty;
    }
    let beta = penalized
        .clone()
        .cholesky()
        .map(|c| c.solve(&b))
        .unwrap_or_else(|| {
            // Singular even with the penalty (a predictor never moved): fall back to the mean.
            let mut only_mean = DVector::zeros(k);
            only_mean[k - 1] = b[k - 1] / n;
            only_mean
        });
    let rss = gram[(target, target)] - 2.0 * beta.dot(&b) + (&a * &beta).dot(&beta);
    let sigma = (rss.max(0.0) / n).sqrt().max(1e-3);
    Fit {
        predictors: predictors.to_vec(),
        coefficients: beta.iter().take(k - 1).copied().collect(),
        intercept: beta[k - 1],
        sigma,
    }
}

/// "While pump P is off, its flow stays within [a, b]" (from `conditional`)
/// and "pump P switches on while level L is within [a, b]" (from
/// `switches`): kept where the range is under a quarter of the tag's whole
/// range and seen at least `min_rows` times (in both states when
/// `both_states`).
fn conditional_rules(
    tags: &[TagModel],
    blocks: &[BlockStats],
    held_out: Option<usize>,
    cells_of: impl Fn(&BlockStats) -> &Vec<(f64, f64, u64)>,
    min_rows: u64,
    both_states: bool,
) -> Vec<ConsistencyRule> {
    let first = &blocks[0];
    let measured = first.measured_tags.len();
    let mut rules = Vec::new();
    for (s, &state) in first.state_tags.iter().enumerate() {
        let mut cells = [
            vec![(f64::INFINITY, f64::NEG_INFINITY, 0u64); measured],
            vec![(f64::INFINITY, f64::NEG_INFINITY, 0u64); measured],
        ];
        for (b, block) in blocks.iter().enumerate() {
            if Some(b) == held_out {
                continue;
            }
            for (on, cell_row) in cells.iter_mut().enumerate() {
                for (m, cell) in cell_row.iter_mut().enumerate() {
                    let c = cells_of(block)[(s * 2 + on) * measured + m];
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
                if count < min_rows
                    || (both_states && other[m].2 < min_rows)
                    || whole <= 0.0
                    || high - low > 0.25 * whole
                {
                    continue;
                }
                rules.push(ConsistencyRule {
                    state,
                    on,
                    tag,
                    low,
                    high,
                });
            }
        }
    }
    rules
}

/// Drops the rules held-out normal data broke; returns (kept, dropped).
pub(crate) fn keep_reliable_rules(
    params: &mut Params,
    folds: &[Params],
    broken: &Broken,
    options: &LearnOptions,
    rows: u64,
) -> (u64, u64) {
    let count = |p: &Params| {
        (p.consistency.len() + p.switching.len()) as u64 + u64::from(p.combinations_checked)
    };
    let before = count(params);
    let tested_enough = folds.len().div_ceil(2) as u32;
    // Held-out rows outside the final rule's range, whatever the state,
    // estimated from the fold rules with the same tag (their ranges differ
    // slightly): at least 5 % for the rule to carry information.
    let informative = |r: &ConsistencyRule| {
        let outside: u64 = broken
            .outside
            .iter()
            .filter(|((t, _, _), _)| *t == r.tag)
            .map(|(_, &n)| n)
            .max()
            .unwrap_or(0);
        outside as f64 >= 0.05 * broken.rows as f64
    };
    let reliable = |map: &HashMap<(usize, bool, usize), (u64, u32)>, r: &ConsistencyRule| {
        informative(r)
            && map
                .get(&(r.state, r.on, r.tag))
                .is_some_and(|&(violations, tested)| violations == 0 && tested >= tested_enough)
    };
    params
        .consistency
        .retain(|r| reliable(&broken.consistency, r));
    params.switching.retain(|r| reliable(&broken.switching, r));
    if broken.combination_rows as f64 > options.false_alarm_rate * rows as f64 {
        params.combinations_checked = false;
        params.combinations.clear();
    }
    let kept = count(params);
    (kept, before - kept)
}
