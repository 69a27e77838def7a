//! Quantiles of a stream in fixed memory.

/// Counts on a log scale (100 bins a decade, 10⁻⁴ to 10⁴): quantiles of a
/// stream in fixed memory, to about 2 %.
#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

const BINS_PER_DECADE: f64 = 100.0;
const LOW_DECADE: f64 = -4.0;
const DECADES: f64 = 8.0;

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; (BINS_PER_DECADE * DECADES) as usize + 2],
            total: 0,
        }
    }
}

impl Histogram {
    fn bin(x: f64) -> usize {
        if x.is_nan() || x <= 0.0 {
            return 0;
        }
        let position = (x.log10() - LOW_DECADE) * BINS_PER_DECADE;
        (position.floor().max(-1.0) as i64 + 1).min((BINS_PER_DECADE * DECADES) as i64 + 1) as usize
    }

    fn upper_edge(bin: usize) -> f64 {
        10f64.powf(LOW_DECADE + bin as f64 / BINS_PER_DECADE)
    }

    pub(crate) fn add(&mut self, x: f64) {
        self.counts[Self::bin(x)] += 1;
        self.total += 1;
    }

    /// The smallest bin edge with at least share `q` of the values at or below it.
    pub(crate) fn quantile(&self, q: f64) -> f64 {
        let wanted = (q * self.total as f64).ceil() as u64;
        let mut seen = 0;
        for (bin, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted.max(1) {
                return Self::upper_edge(bin);
            }
        }
        Self::upper_edge(self.counts.len() - 1)
    }

    /// The value exceeded with probability `alpha`, from an exponential tail
    /// fitted over the top 10 % (peaks over threshold): unlike a plain
    /// quantile it extrapolates past the largest value seen, which a
    /// small calibration set needs.
    pub(crate) fn tail_quantile(&self, alpha: f64) -> f64 {
        const TAIL: f64 = 0.1;
        let base = self.quantile(1.0 - TAIL);
        if alpha >= TAIL {
            return self.quantile(1.0 - alpha);
        }
        let first = Self::bin(base) + 1;
        let (mut count, mut excess) = (0u64, 0.0);
        for (bin, &n) in self.counts.iter().enumerate().skip(first) {
            // A bin's values taken at its geometric middle.
            let middle = Self::upper_edge(bin) * 10f64.powf(-0.5 / BINS_PER_DECADE);
            count += n;
            excess += n as f64 * (middle - base).max(0.0);
        }
        if count == 0 {
            return base;
        }
        let mean_excess = excess / count as f64;
        base + mean_excess * (count as f64 / self.total as f64 / alpha).ln().max(0.0)
    }

    pub(crate) fn count_above(&self, x: f64) -> u64 {
        self.counts[Self::bin(x) + 1..].iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::Histogram;

    #[test]
    fn quantiles_within_a_bin_and_tails_past_the_largest_value() {
        let mut h = Histogram::default();
        for i in 1..=1000 {
            h.add(f64::from(i) / 100.0);
        }
        let median = h.quantile(0.5);
        assert!((median / 5.0 - 1.0).abs() < 0.03, "{median}");
        assert!(h.quantile(1.0) >= 10.0);
        // An exponential tail over the top 10 % extrapolates past the maximum.
        assert!(h.tail_quantile(0.0001) > 10.0);
        assert_eq!(h.count_above(20.0), 0);
        assert!(h.count_above(5.0) > 450 && h.count_above(5.0) < 550);
    }
}
