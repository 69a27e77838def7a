//! Measures of a detector's alarms against labelled data: attacks found,
//! time to detection, false-alarm episodes per week, point-wise precision,
//! recall and F1, eTaPR (Hwang et al. 2022), BATADAL's S score (Taormina et
//! al. 2018) and localisation. Never point-adjusted scores.

use serde::Serialize;

/// One labelled attack or fault: a maximal run of labelled rows.
#[derive(Clone, Debug, Serialize)]
pub struct Episode {
    /// 1-based first and last data rows.
    pub start_row: u64,
    pub end_row: u64,
    pub start_time: String,
    pub rows: u64,
    pub detected: bool,
    /// Rows from the first labelled row to the first alarm (0: at once).
    pub rows_to_detection: Option<u64>,
    pub hours_to_detection: Option<f64>,
    /// Tags the first alarm named.
    pub tags_named: Vec<String>,
    /// Whether a tag known to be attacked was among them (when known).
    pub localised: Option<bool>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Point {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Share of normal rows alarmed (Tennessee Eastman's false alarm rate).
    pub false_positive_rate: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Etapr {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub theta_p: f64,
    pub theta_r: f64,
    pub delta: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct BatadalScore {
    pub s: f64,
    pub s_ttd: f64,
    pub s_cm: f64,
}

/// Every measure for one detector on one data set.
#[derive(Clone, Debug, Serialize)]
pub struct Measures {
    pub detector: String,
    pub rows: u64,
    pub attack_rows: u64,
    pub alarm_rows: u64,
    pub attacks: u64,
    pub attacks_detected: u64,
    pub episodes: Vec<Episode>,
    /// Alarm episodes (runs of alarmed rows) touching no labelled row.
    pub false_alarm_episodes: u64,
    pub false_alarm_episodes_per_week: Option<f64>,
    pub point: Point,
    pub etapr: Etapr,
    pub batadal: BatadalScore,
    /// Attacks whose first alarm named a known attacked tag, of those with
    /// known tags.
    pub localised: Option<(u64, u64)>,
}

/// What a detector said about each row.
pub struct Verdicts<'a> {
    pub alarms: &'a [bool],
    /// The tags named per row (only alarms' are read).
    pub tags: &'a dyn Fn(usize) -> Vec<String>,
}

/// Inputs shared by every detector on one data set.
pub struct Truth<'a> {
    pub labels: &'a [bool],
    pub times: &'a [String],
    pub step_seconds: Option<f64>,
    /// Per labelled episode (in order), the tags known to be attacked.
    pub attacked_tags: Option<&'a [Vec<String>]>,
}

pub fn measure(detector: &str, truth: &Truth<'_>, verdicts: &Verdicts<'_>) -> Measures {
    let labels = truth.labels;
    let alarms = verdicts.alarms;
    assert_eq!(labels.len(), alarms.len());
    let rows = labels.len() as u64;
    let hours = truth.step_seconds.map(|s| s / 3600.0);
    let truth_ranges = runs(labels);
    let alarm_ranges = runs(alarms);
    let mut episodes = Vec::new();
    let mut localised = (0, 0);
    for (i, &(start, end)) in truth_ranges.iter().enumerate() {
        let first = (start..=end).find(|&r| alarms[r]);
        let tags_named = first.map(|r| (verdicts.tags)(r)).unwrap_or_default();
        let known = truth
            .attacked_tags
            .and_then(|t| t.get(i))
            .filter(|t| !t.is_empty());
        let hit = known.map(|known| tags_named.iter().any(|t| known.contains(t)));
        if let Some(hit) = hit {
            localised.1 += 1;
            localised.0 += u64::from(hit);
        }
        episodes.push(Episode {
            start_row: start as u64 + 1,
            end_row: end as u64 + 1,
            start_time: truth.times.get(start).cloned().unwrap_or_default(),
            rows: (end - start + 1) as u64,
            detected: first.is_some(),
            rows_to_detection: first.map(|r| (r - start) as u64),
            hours_to_detection: first.and_then(|r| hours.map(|h| (r - start) as f64 * h)),
            tags_named,
            localised: hit,
        });
    }
    let false_alarm_episodes = alarm_ranges
        .iter()
        .filter(|&&(s, e)| !(s..=e).any(|r| labels[r]))
        .count() as u64;
    let normal_rows = labels.iter().filter(|l| !**l).count() as u64;
    let weeks = truth
        .step_seconds
        .map(|s| normal_rows as f64 * s / (7.0 * 86_400.0));
    let point = point_measures(labels, alarms);
    let batadal = batadal_score(&episodes, labels, alarms);
    Measures {
        detector: detector.to_string(),
        rows,
        attack_rows: labels.iter().filter(|l| **l).count() as u64,
        alarm_rows: alarms.iter().filter(|a| **a).count() as u64,
        attacks: episodes.len() as u64,
        attacks_detected: episodes.iter().filter(|e| e.detected).count() as u64,
        episodes,
        false_alarm_episodes,
        false_alarm_episodes_per_week: weeks
            .filter(|w| *w > 0.0)
            .map(|w| false_alarm_episodes as f64 / w),
        point,
        etapr: etapr(&truth_ranges, &alarm_ranges, 0.7, 0.1),
        batadal,
        localised: (localised.1 > 0).then_some(localised),
    }
}

/// Maximal runs of `true`, as inclusive index ranges.
pub fn runs(flags: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &f) in flags.iter().enumerate() {
        match (f, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i - 1));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, flags.len() - 1));
    }
    out
}

fn point_measures(labels: &[bool], alarms: &[bool]) -> Point {
    let (mut tp, mut fp, mut fneg, mut tn) = (0u64, 0u64, 0u64, 0u64);
    for (&l, &a) in labels.iter().zip(alarms) {
        match (l, a) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fneg += 1,
            (false, false) => tn += 1,
        }
    }
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fneg);
    Point {
        precision,
        recall,
        f1: harmonic(precision, recall),
        false_positive_rate: ratio(fp, fp + tn),
    }
}

/// BATADAL's S = ½·S_TTD + ½·S_CM: S_TTD = 1 − mean(TTD/ΔT) over attacks
/// (an undetected attack counts TTD = ΔT), S_CM = (TPR + TNR)/2.
fn batadal_score(episodes: &[Episode], labels: &[bool], alarms: &[bool]) -> BatadalScore {
    let point = point_measures(labels, alarms);
    let s_ttd = if episodes.is_empty() {
        0.0
    } else {
        1.0 - episodes
            .iter()
            .map(|e| e.rows_to_detection.unwrap_or(e.rows) as f64 / e.rows as f64)
            .sum::<f64>()
            / episodes.len() as f64
    };
    let tnr = 1.0 - point.false_positive_rate;
    let s_cm = (point.recall + tnr) / 2.0;
    BatadalScore {
        s: 0.5 * s_ttd + 0.5 * s_cm,
        s_ttd,
        s_cm,
    }
}

/// eTaPR with δ = 0: anomalies and predictions pruned in turn (an anomaly
/// covered by less than θr of its length, a prediction less than θp inside
/// anomalies, stop counting) until stable; then recall averages, per
/// anomaly, (detected + detected × covered share)/2, and precision the same
/// per prediction, weighted by the square root of its length.
pub fn etapr(
    anomalies: &[(usize, usize)],
    predictions: &[(usize, usize)],
    theta_p: f64,
    theta_r: f64,
) -> Etapr {
    let len = |r: &(usize, usize)| (r.1 - r.0 + 1) as f64;
    let overlap = |a: &(usize, usize), p: &(usize, usize)| {
        let lo = a.0.max(p.0);
        let hi = a.1.min(p.1);
        if lo <= hi { (hi - lo + 1) as f64 } else { 0.0 }
    };
    let mut matrix: Vec<Vec<f64>> = anomalies
        .iter()
        .map(|a| predictions.iter().map(|p| overlap(a, p)).collect())
        .collect();
    let anomaly_share = |m: &Vec<Vec<f64>>, i: usize| m[i].iter().sum::<f64>() / len(&anomalies[i]);
    let prediction_share = |m: &Vec<Vec<f64>>, j: usize| {
        m.iter().map(|row| row[j]).sum::<f64>() / len(&predictions[j])
    };
    loop {
        let weak_anomalies: Vec<usize> = (0..anomalies.len())
            .filter(|&i| {
                let s = anomaly_share(&matrix, i);
                s > 0.0 && s < theta_r
            })
            .collect();
        for &i in &weak_anomalies {
            matrix[i].iter_mut().for_each(|v| *v = 0.0);
        }
        let weak_predictions: Vec<usize> = (0..predictions.len())
            .filter(|&j| {
                let s = prediction_share(&matrix, j);
                s > 0.0 && s < theta_p
            })
            .collect();
        for &j in &weak_predictions {
            matrix.iter_mut().for_each(|row| row[j] = 0.0);
        }
        if weak_anomalies.is_empty() && weak_predictions.is_empty() {
            break;
        }
    }
    let score = |share: f64, theta: f64| {
        let detected = if share >= theta { 1.0 } else { 0.0 };
        (detected + detected * share.min(1.0)) / 2.0
    };
    let recall = if anomalies.is_empty() || predictions.is_empty() {
        0.0
    } else {
        (0..anomalies.len())
            .map(|i| score(anomaly_share(&matrix, i), theta_r))
            .sum::<f64>()
            / anomalies.len() as f64
    };
    let precision = if anomalies.is_empty() || predictions.is_empty() {
        0.0
    } else {
        let weights: Vec<f64> = predictions.iter().map(|p| len(p).sqrt()).collect();
        let total: f64 = weights.iter().sum();
        (0..predictions.len())
            .map(|j| weights[j] * score(prediction_share(&matrix, j), theta_p))
            .sum::<f64>()
            / total
    };
    Etapr {
        precision,
        recall,
        f1: harmonic(precision, recall),
        theta_p,
        theta_r,
        delta: 0.0,
    }
}

/// Alarms at random with probability `rate`, reproducibly (a fixed-seed
/// xorshift): the chance baseline at the same alarm rate as the detector.
pub fn random_alarms(rows: usize, rate: f64, seed: u64) -> Vec<bool> {
    let mut state = seed.max(1);
    (0..rows)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 / (1u64 << 53) as f64) < rate
        })
        .collect()
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn harmonic(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(spec: &[(usize, bool)]) -> Vec<bool> {
        spec.iter()
            .flat_map(|&(n, f)| std::iter::repeat_n(f, n))
            .collect()
    }

    #[test]
    fn etapr_matches_the_reference_example() {
        // 20 normal, 20 anomalous, 60 normal; one prediction over rows 25–34.
        let labels = flags(&[(20, false), (20, true), (60, false)]);
        let alarms = flags(&[(25, false), (10, true), (65, false)]);
        let e = etapr(&runs(&labels), &runs(&alarms), 0.5, 0.1);
        assert!((e.recall - 0.75).abs() < 1e-12);
        assert!((e.precision - 1.0).abs() < 1e-12);
        assert!((e.f1 - 0.857_142_857_142_857_1).abs() < 1e-12);
    }

    #[test]
    fn etapr_prunes_predictions_mostly_outside_anomalies() {
        let labels = flags(&[(20, false), (20, true), (60, false)]);
        // 5 rows inside the anomaly, 25 outside: 1/6 < θp = 0.7.
        let alarms = flags(&[(35, false), (30, true), (35, false)]);
        let e = etapr(&runs(&labels), &runs(&alarms), 0.7, 0.1);
        assert_eq!(e.f1, 0.0);
    }

    #[test]
    fn always_alarm_scores_three_quarters_in_batadal_s() {
        let labels = flags(&[(50, false), (10, true), (40, false), (5, true)]);
        let alarms = vec![true; labels.len()];
        let times = vec![String::new(); labels.len()];
        let truth = Truth {
            labels: &labels,
            times: &times,
            step_seconds: Some(3600.0),
            attacked_tags: None,
        };
        let m = measure(
            "always",
            &truth,
            &Verdicts {
                alarms: &alarms,
                tags: &|_| Vec::new(),
            },
        );
        assert!((m.batadal.s - 0.75).abs() < 1e-12);
        assert_eq!(m.attacks_detected, 2);
        assert_eq!(m.false_alarm_episodes, 0);
        assert_eq!(m.episodes[1].rows_to_detection, Some(0));
    }

    #[test]
    fn counts_time_to_detection_and_false_alarm_episodes() {
        let labels = flags(&[(10, false), (10, true), (10, false)]);
        let alarms = flags(&[(2, false), (1, true), (11, false), (6, true), (10, false)]);
        let times = vec![String::new(); labels.len()];
        let truth = Truth {
            labels: &labels,
            times: &times,
            step_seconds: Some(3600.0),
            attacked_tags: None,
        };
        let m = measure(
            "k",
            &truth,
            &Verdicts {
                alarms: &alarms,
                tags: &|_| Vec::new(),
            },
        );
        assert_eq!(m.episodes[0].rows_to_detection, Some(4));
        assert_eq!(m.false_alarm_episodes, 1);
        assert!((m.point.recall - 0.6).abs() < 1e-12);
        // 20 normal hours: 1 episode in 20/168 weeks.
        assert!((m.false_alarm_episodes_per_week.unwrap() - 168.0 / 20.0).abs() < 1e-9);
        // S_TTD = 1 − 4/10, S_CM = (0.6 + 19/20)/2.
        assert!((m.batadal.s - (0.5 * 0.6 + 0.5 * (0.6 + 0.95) / 2.0)).abs() < 1e-12);
    }
}
