//! The learned model: what normal operation looks like, as JSON.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::read::DateOrder;

pub const MODEL_FORMAT: &str = "kensa.process-model/v1";

/// Rows a clear finding holds the alarm up by default (`learn --hold`).
pub const DEFAULT_HOLD_ROWS: u32 = 6;

fn default_hold_rows() -> u32 {
    DEFAULT_HOLD_ROWS
}

/// Everything `detect` needs, and the record of how it was learned.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Model {
    pub format: String,
    /// The files learned from, as given.
    pub learned_from: Vec<String>,
    pub rows: u64,
    /// Median seconds between rows, when the data had times.
    pub step_seconds: Option<f64>,
    pub date_order: Option<DateOrder>,
    pub time_column: Option<String>,
    /// Columns left out (asked for, or named like label columns).
    pub excluded: Vec<String>,
    pub tags: Vec<TagModel>,
    /// The standardized signals the checks work on.
    pub channels: Vec<Channel>,
    /// Trailing-window lengths (rows) of the smoothed checks.
    pub spans: Vec<u32>,
    /// Rows a clear finding (score 2 or more) keeps the alarm up after it.
    #[serde(default = "default_hold_rows")]
    pub hold_rows: u32,
    pub params: Params,
    /// One entry per continuous check, in the order `statistics()` lists them.
    pub scales: Vec<f64>,
    /// The raw score (largest check over its scale) above which a row alarms;
    /// the reported score is divided by it, so alarms have score ≥ 1.
    pub threshold: f64,
    pub calibration: Calibration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagKind {
    /// One value in all normal data: any other value is an alarm.
    Constant,
    /// Two values: an on/off, open/closed state.
    State,
    /// Never decreases except on resets: checked by its increase per row.
    Counter,
    Continuous,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TagModel {
    pub name: String,
    pub kind: TagKind,
    /// Of the value (a counter's increase per row).
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
    /// Share of rows where the tag had no value.
    pub missing: f64,
}

impl TagModel {
    /// The state's on/off reading of a value: above the midpoint is on.
    pub fn is_on(&self, value: f64) -> bool {
        value > (self.min + self.max) / 2.0
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Channel {
    pub tag: usize,
    /// The per-row change of the tag rather than its value.
    pub rate: bool,
    pub mean: f64,
    pub std: f64,
}

/// What one fold (or the final model) learned from its rows.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Params {
    pub regressions: Vec<Regression>,
    /// Per channel, the standardized range seen in normal operation.
    pub ranges: Vec<(f64, f64)>,
    /// The state tags the combination rule covers.
    pub state_tags: Vec<usize>,
    /// Actuator state combinations seen, as strings of 0/1 over `state_tags`;
    /// empty when the rule is off.
    pub combinations: Vec<String>,
    pub combinations_checked: bool,
    pub consistency: Vec<ConsistencyRule>,
    /// "Pump P switches on while tank T's level is within [a, b]": the
    /// measured tag's value in the row before the state tag switched to `on`.
    #[serde(default)]
    pub switching: Vec<ConsistencyRule>,
}

/// A channel predicted from other tags' channels (standardized units):
/// one fit, or one per state of a gating state tag (a pump's flow follows
/// other tags differently when the pump is on than when it is off).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Regression {
    pub target: usize,
    /// The state tag whose off/on state picks `fits[0]` or `fits[1]`.
    pub gate: Option<usize>,
    pub fits: Vec<Fit>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fit {
    pub predictors: Vec<usize>,
    pub coefficients: Vec<f64>,
    pub intercept: f64,
    /// Residual standard deviation on the rows it was fitted on.
    pub sigma: f64,
}

impl Regression {
    /// Which fit applies to a row with raw tag values `raw`.
    pub fn branch(&self, tags: &[TagModel], raw: &[f64]) -> usize {
        match self.gate {
            Some(g) if self.fits.len() == 2 => usize::from(tags[g].is_on(raw[g])),
            _ => 0,
        }
    }
}

/// While state tag `state` is `on`, tag `tag` stays within `[low, high]`
/// (raw units), a much narrower range than its overall one.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConsistencyRule {
    pub state: usize,
    pub on: bool,
    pub tag: usize,
    pub low: f64,
    pub high: f64,
}

/// How the threshold was set: out-of-fold scores of normal rows.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Calibration {
    pub folds: u32,
    pub rows: u64,
    /// Target share of held-out normal rows above the threshold.
    pub false_alarm_rate: f64,
    /// Held-out normal rows above the threshold, and their episodes.
    pub alarm_rows: u64,
    pub alarm_episodes: u64,
    /// Rules dropped because held-out normal data broke them.
    pub rules_dropped: u64,
    pub rules_kept: u64,
}

/// A continuous check: what it measures and on which channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// The regression's residual, smoothed over `span` rows.
    Residual { regression: usize, span: u32 },
    /// A continuous tag's standardized value, smoothed over `span` rows.
    Level { channel: usize, span: u32 },
}

impl Model {
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let model: Model = serde_json::from_str(&text)
            .map_err(|e| Error::format(path, &format!("not a process model: {e}")))?;
        if model.format != MODEL_FORMAT {
            return Err(Error::format(
                path,
                &format!("format {:?}, expected {MODEL_FORMAT}", model.format),
            ));
        }
        if model.scales.len() != statistics(&model.channels, &model.params, &model.spans).len() {
            return Err(Error::format(
                path,
                "scales do not match the model's checks",
            ));
        }
        Ok(model)
    }

    pub fn tag_names(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(|t| t.name.as_str())
    }
}

/// The continuous checks, in a fixed order: residuals, then levels, each
/// for every span.
pub fn statistics(channels: &[Channel], params: &Params, spans: &[u32]) -> Vec<Check> {
    let mut checks = Vec::new();
    for regression in 0..params.regressions.len() {
        for &span in spans {
            checks.push(Check::Residual { regression, span });
        }
    }
    for (channel, c) in channels.iter().enumerate() {
        if !c.rate {
            for &span in spans {
                checks.push(Check::Level { channel, span });
            }
        }
    }
    checks
}
