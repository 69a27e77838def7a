//! Alarms in words: which tags, and why, in the plant's units.

use serde_json::{Value, json};

use crate::model::{Check, Model, TagKind};
use crate::score::{Framer, RULE_SCORE, RowResult, Scorer, Violation};

/// Tags named per alarm.
const NAMED_TAGS: usize = 3;
/// Findings sent as evidence per alarm.
const EVIDENCE_FINDINGS: usize = 5;

/// One reason a row stands out, scored like the row (1 = threshold).
#[derive(Clone)]
pub(crate) struct Finding {
    score: f64,
    tags: Vec<usize>,
    text: String,
    evidence: Value,
}

/// The row's reasons, strongest first, one per tag: clear rule breaks
/// first, then the checks and weak rule breaks by score.
pub(crate) fn findings(
    model: &Model,
    scorer: &Scorer,
    framer: &Framer,
    violations: &[Violation],
) -> Vec<Finding> {
    let mut out: Vec<Finding> = violations
        .iter()
        .map(|v| rule_finding(model, framer, v))
        .collect();
    let clear_rules = out.iter().filter(|f| f.score >= RULE_SCORE).count();
    // Stable: clear breaks keep their order ahead of everything else.
    out.sort_by_key(|f| std::cmp::Reverse(f.score >= RULE_SCORE));
    let mut ranked: Vec<(f64, usize)> = scorer
        .stats
        .iter()
        .zip(&model.scales)
        .enumerate()
        .map(|(i, (s, q))| (s / q / model.threshold, i))
        .filter(|(r, _)| *r >= 0.5)
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut seen_tags: Vec<usize> = out.iter().flat_map(|f| f.tags.clone()).collect();
    for (score, i) in ranked {
        if out.len() >= EVIDENCE_FINDINGS {
            break;
        }
        let tag = match scorer.checks[i] {
            Check::Residual { regression, .. } => {
                model.channels[model.params.regressions[regression].target].tag
            }
            Check::Level { channel, .. } => model.channels[channel].tag,
        };
        if seen_tags.contains(&tag) {
            continue;
        }
        seen_tags.push(tag);
        out.push(check_finding(model, scorer, framer, i, score));
    }
    out[clear_rules..].sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// Adds the findings of the row `age` rows back whose clear evidence holds
/// this row's alarm up ("3 rows ago: …"), after the row's own.
pub(crate) fn add_held(out: &mut Vec<Finding>, held: &[Finding], age: u32) {
    for f in held {
        if out.len() >= EVIDENCE_FINDINGS {
            break;
        }
        if f.tags
            .iter()
            .all(|t| out.iter().any(|o| o.tags.contains(t)))
        {
            continue;
        }
        let mut f = f.clone();
        f.text = format!(
            "{age} row{} ago: {}",
            if age == 1 { "" } else { "s" },
            f.text
        );
        f.evidence["rows_ago"] = json!(age);
        out.push(f);
    }
}

/// Fills the alarm's tags, explanation and evidence from its findings.
pub(crate) fn fill(model: &Model, findings: &[Finding], result: &mut RowResult) {
    let mut tags: Vec<usize> = Vec::new();
    for f in findings {
        for &t in &f.tags {
            if !tags.contains(&t) && tags.len() < NAMED_TAGS {
                tags.push(t);
            }
        }
    }
    result.tags = tags.iter().map(|&t| model.tags[t].name.clone()).collect();
    result.explanation = findings
        .iter()
        .take(2)
        .map(|f| f.text.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    result.evidence = json!({ "checks": findings.iter().map(|f| {
        let mut e = f.evidence.clone();
        e["score"] = json!(round(f.score));
        e
    }).collect::<Vec<_>>() });
}

fn check_finding(model: &Model, scorer: &Scorer, framer: &Framer, i: usize, score: f64) -> Finding {
    match scorer.checks[i] {
        Check::Residual { regression, span } => {
            residual_finding(model, scorer, framer, i, regression, span, score)
        }
        Check::Level { channel, span } => {
            level_finding(model, scorer, framer, i, channel, span, score)
        }
    }
}

fn residual_finding(
    model: &Model,
    scorer: &Scorer,
    framer: &Framer,
    i: usize,
    r: usize,
    span: u32,
    score: f64,
) -> Finding {
    let regression = &model.params.regressions[r];
    let channel = &model.channels[regression.target];
    let tag = &model.tags[channel.tag];
    let raw = |x: f64| channel.mean + channel.std * x;
    let observed = raw(framer.x[regression.target]);
    let expected = raw(scorer.predictions[r]);
    let error = scorer.sigmas[r][scorer.branches[r]] * channel.std;
    let drift = scorer.smoothed(i) * error;
    let names = predictor_names(model, framer, r, scorer.branches[r]);
    let mut from = if names.is_empty() {
        "the other tags".to_string()
    } else {
        names.join(", ")
    };
    if let Some(gate) = regression.gate {
        let state = if scorer.branches[r] == 1 { "on" } else { "off" };
        from = format!("{from} (with {} {state})", model.tags[gate].name);
    }
    let what = if channel.rate { "changed by" } else { "reads" };
    let text = if span <= 1 {
        format!(
            "{} {what} {}, but {from} put it at {} (normal error ±{})",
            tag.name,
            num(observed),
            num(expected),
            num(error)
        )
    } else {
        let per = if channel.rate { " per row" } else { "" };
        format!(
            "over the last ~{span} rows {} ran {}{per} {} what {from} predict (normal error ±{})",
            tag.name,
            num(drift.abs()),
            if drift > 0.0 { "above" } else { "below" },
            num(error)
        )
    };
    Finding {
        score,
        tags: vec![channel.tag],
        text,
        evidence: json!({
            "check": "residual", "tag": tag.name, "signal": if channel.rate { "change" } else { "value" },
            "window": span, "observed": num_value(observed), "expected": num_value(expected),
            "mean_deviation": num_value(drift), "normal_error": num_value(error), "predictors": names,
        }),
    }
}

fn level_finding(
    model: &Model,
    scorer: &Scorer,
    framer: &Framer,
    i: usize,
    c: usize,
    span: u32,
    score: f64,
) -> Finding {
    let channel = &model.channels[c];
    let tag = &model.tags[channel.tag];
    let value = framer.raw[channel.tag];
    let average = channel.mean + channel.std * scorer.smoothed(i);
    let text = match (tag.kind, span) {
        (TagKind::State, _) => format!(
            "{} was on {:.0} % of the last ~{span} rows; {:.0} % in normal operation",
            tag.name,
            100.0 * (average - tag.min) / (tag.max - tag.min),
            100.0 * (tag.mean - tag.min) / (tag.max - tag.min)
        ),
        (_, 1) if value > tag.max => format!(
            "{} is {}, above any value in normal operation (max {})",
            tag.name,
            num(value),
            num(tag.max)
        ),
        (_, 1) if value < tag.min => format!(
            "{} is {}, below any value in normal operation (min {})",
            tag.name,
            num(value),
            num(tag.min)
        ),
        (_, 1) => format!(
            "{} is {}, unusually far from its normal {} ± {}",
            tag.name,
            num(value),
            num(tag.mean),
            num(tag.std)
        ),
        _ => format!(
            "{} averaged {} over the last ~{span} rows; normal {} ± {}",
            tag.name,
            num(average),
            num(channel.mean),
            num(channel.std)
        ),
    };
    Finding {
        score,
        tags: vec![channel.tag],
        text,
        evidence: json!({
            "check": "level", "tag": tag.name, "window": span, "observed": num_value(value),
            "window_mean": num_value(average), "normal_mean": num_value(channel.mean), "normal_std": num_value(channel.std),
            "normal_min": num_value(tag.min), "normal_max": num_value(tag.max),
        }),
    }
}

fn rule_finding(model: &Model, framer: &Framer, violation: &Violation) -> Finding {
    let tags = &model.tags;
    match violation {
        Violation::Constant {
            tag,
            value,
            expected,
        } => Finding {
            score: RULE_SCORE,
            tags: vec![*tag],
            text: format!(
                "{} is {}; it was always {} in normal operation",
                tags[*tag].name,
                num(*value),
                num(*expected)
            ),
            evidence: json!({"check": "constant", "tag": tags[*tag].name, "observed": num_value(*value), "normal": num_value(*expected)}),
        },
        Violation::Combination { states } => {
            let (closest, differing) = closest_combination(&model.params.combinations, states);
            let state_tags = &model.params.state_tags;
            let named: Vec<usize> = differing.iter().map(|&i| state_tags[i]).collect();
            let words: Vec<String> = differing
                .iter()
                .map(|&i| {
                    format!(
                        "{} {}",
                        tags[state_tags[i]].name,
                        if states.as_bytes()[i] == b'1' {
                            "on"
                        } else {
                            "off"
                        }
                    )
                })
                .collect();
            Finding {
                score: RULE_SCORE,
                tags: named.clone(),
                text: format!(
                    "actuator states never seen together in normal operation ({}; the closest normal combination differs in {})",
                    words.join(", "),
                    named
                        .iter()
                        .map(|&t| tags[t].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                evidence: json!({
                    "check": "state_combination",
                    "states": state_tags.iter().zip(states.bytes()).map(|(&t, b)| (tags[t].name.clone(), json!(b == b'1'))).collect::<serde_json::Map<_, _>>(),
                    "closest_normal": closest,
                }),
            }
        }
        Violation::Switch { rule, value, score } => {
            let rule = &model.params.switching[*rule];
            let (state, tag) = (&tags[rule.state], &tags[rule.tag]);
            let word = if rule.on { "on" } else { "off" };
            Finding {
                score: *score,
                tags: vec![rule.state, rule.tag],
                text: format!(
                    "{} switched {word} with {} at {}; in normal operation it switches {word} with {} between {} and {}",
                    state.name,
                    tag.name,
                    num(*value),
                    tag.name,
                    num(rule.low),
                    num(rule.high)
                ),
                evidence: json!({
                    "check": "switching", "state_tag": state.name, "switched_on": rule.on, "tag": tag.name,
                    "observed": num_value(*value), "normal_low": num_value(rule.low), "normal_high": num_value(rule.high),
                }),
            }
        }
        Violation::Consistency { rule, value, score } => {
            let rule = &model.params.consistency[*rule];
            let (state, tag) = (&tags[rule.state], &tags[rule.tag]);
            let word = if rule.on { "on" } else { "off" };
            let _ = framer;
            Finding {
                score: *score,
                tags: vec![rule.tag, rule.state],
                text: format!(
                    "{} is {} while {} is {word}; in normal operation it stays within {}–{} when {} is {word}",
                    tag.name,
                    num(*value),
                    state.name,
                    num(rule.low),
                    num(rule.high),
                    state.name
                ),
                evidence: json!({
                    "check": "consistency", "tag": tag.name, "state_tag": state.name, "state_on": rule.on,
                    "observed": num_value(*value), "normal_low": num_value(rule.low), "normal_high": num_value(rule.high),
                }),
            }
        }
    }
}

/// The seen combination nearest to `states`, and the positions that differ.
fn closest_combination(seen: &[String], states: &str) -> (String, Vec<usize>) {
    let distance = |s: &String| {
        s.bytes()
            .zip(states.bytes())
            .filter(|(a, b)| a != b)
            .count()
    };
    let Some(best) = seen.iter().min_by_key(|s| distance(s)) else {
        return (String::new(), Vec::new());
    };
    let differing = best
        .bytes()
        .zip(states.bytes())
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, _)| i)
        .collect();
    (best.clone(), differing)
}

/// The three predictors that moved the prediction most in this row.
fn predictor_names(model: &Model, framer: &Framer, r: usize, branch: usize) -> Vec<String> {
    let fit = &model.params.regressions[r].fits[branch];
    let mut weights: Vec<(f64, usize)> = fit
        .predictors
        .iter()
        .zip(&fit.coefficients)
        .map(|(&p, &b)| ((b * framer.x[p]).abs(), model.channels[p].tag))
        .collect();
    weights.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut names: Vec<String> = Vec::new();
    for (_, tag) in weights {
        let name = &model.tags[tag].name;
        if !names.contains(name) {
            names.push(name.clone());
        }
        if names.len() == 3 {
            break;
        }
    }
    names
}

/// Three significant figures or so, for sentences.
fn num(x: f64) -> String {
    let a = x.abs();
    let s = if a >= 100.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    };
    if s == "-0.000" { "0.000".into() } else { s }
}

fn num_value(x: f64) -> Value {
    json!(round(x))
}

fn round(x: f64) -> f64 {
    if x.is_finite() {
        (x * 1e6).round() / 1e6
    } else {
        0.0
    }
}
