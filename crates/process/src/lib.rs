//! Process telemetry: explainable attack and fault detection on plant
//! sensor and actuator data.
//!
//! `learn` reads historian exports recorded in normal operation and learns
//! how the plant's tags move together: their kinds (continuous, on/off
//! states, counters, constants), ranges, per-tag ridge regressions from the
//! other tags (values and per-row changes), actuator state combinations and
//! state-conditioned ranges (a pump's flow when it is off). Thresholds come
//! from held-out normal data only (cross-fitting over contiguous blocks).
//! `Detector` scores rows one at a time and explains each alarm in words,
//! naming the tags responsible. `evaluate` holds the measures.

mod error;
pub mod evaluate;
mod explain;
mod fit;
mod histogram;
pub mod learn;
pub mod model;
pub mod read;
pub mod score;
pub mod synth;

pub use error::Error;
pub use learn::{LearnOptions, learn};
pub use model::Model;
pub use score::{Detector, RowResult};
