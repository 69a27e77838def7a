//! Detection against a [`Baseline`]: every event and packet of a capture is
//! checked by the rules in [`rules`], each a small function with a fixed or
//! documented severity. Alerts are de-duplicated per (rule, subject): the
//! first occurrence is reported with where it happened, later ones only
//! raise its `count`, `last_frame` and `last_ts` (and its severity, with the
//! explanation of the graver repeat), so a flood of a million PDUs yields
//! one alert with a count, not a million lines. Output is sorted by first
//! frame and rule, so detection is deterministic.

mod alerts;
pub mod network;
pub mod rules;

pub use alerts::Alerts;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::net::IpAddr;

use serde::Serialize;

use crate::Protocol;
use crate::baseline::{Baseline, FrameWindow, RateWindow};
use crate::capture::CaptureError;
use crate::event::Event;
use crate::identity::{Identity, IdentityReader};
use crate::network::NetEvent;
use crate::observe::{Observer, PacketView, observe_capture};
use crate::oui::Mac;
use crate::pipeline::PipelineConfig;
use crate::values::ModbusValues;

/// Distinct alerts kept; beyond this they are only counted.
pub const MAX_ALERTS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Stable identifier of the alert (its rule and subject): repeats and
    /// updates of one alert share it.
    pub id: String,
    /// Frame of the first occurrence.
    pub frame: u64,
    pub ts: f64,
    pub severity: Severity,
    pub rule: &'static str,
    pub src: String,
    pub dst: String,
    pub protocol: Option<Protocol>,
    /// One plain-language sentence.
    pub explanation: String,
    pub evidence: serde_json::Value,
    /// Occurrences folded into this alert.
    pub count: u64,
    pub last_frame: u64,
    pub last_ts: f64,
}

/// What a rule returns: an alert without its place, and the subject that
/// identifies repeats of it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// Repeats share (rule, subject).
    pub subject: String,
    pub src: String,
    pub dst: String,
    pub protocol: Option<Protocol>,
    pub explanation: String,
    pub evidence: serde_json::Value,
}

/// Where a finding happened.
#[derive(Debug, Clone, Copy)]
pub struct At {
    pub frame: u64,
    pub ts_nanos: i64,
}

/// Running state the rules read and update.
#[derive(Debug, Default)]
pub struct State {
    pub macs: HashMap<IpAddr, Mac>,
    /// Per (pair, operation): when it last occurred, and the interval
    /// before that if it was short (see `rules::timing`).
    pub last_seen: HashMap<(String, String), (i64, Option<f64>)>,
    pub rates: HashMap<String, RateWindow>,
    /// TCP flows whose SYN was seen and first payload is awaited; UDP
    /// flows whose first datagram was checked.
    pub flows_checked: HashSet<(IpAddr, u16, IpAddr, u16)>,
    pub values: ModbusValues,
    /// The baseline's polled-register ranges, by point.
    pub polled: HashMap<(IpAddr, u8, u8, u16), crate::baseline::ValueRange>,
}

/// Bound on the per-flow and per-pair state maps; past it they restart
/// (losing only timing and first-payload context).
const MAX_STATE: usize = 200_000;

pub struct Detector<'b> {
    baseline: &'b Baseline,
    window: FrameWindow,
    state: State,
    net: network::NetState,
    alerts: Alerts,
    ids: IdentityReader,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub alerts: Vec<Alert>,
    /// Distinct alerts beyond [`MAX_ALERTS`], not reported.
    pub dropped_alerts: u64,
}

impl<'b> Detector<'b> {
    pub fn new(baseline: &'b Baseline, window: FrameWindow) -> Self {
        Detector {
            baseline,
            window,
            state: State {
                polled: rules::polled_points(baseline),
                ..State::default()
            },
            net: network::NetState::new(baseline.network.as_ref()),
            alerts: Alerts::default(),
            ids: IdentityReader::default(),
        }
    }

    pub fn finish(self) -> Report {
        let dropped_alerts = self.alerts.dropped;
        Report {
            alerts: self.alerts.into_sorted(),
            dropped_alerts,
        }
    }

    /// A detector that runs for days: when the alert table is full, the
    /// alerts quiet longest are forgotten (they were written out already).
    pub fn live(mut self) -> Self {
        self.alerts.live = true;
        self
    }

    /// Alerts new or raised since the last call.
    pub fn drain_raised(&mut self) -> Vec<Alert> {
        self.alerts.drain_raised()
    }

    /// Alerts that repeated since they were last drained.
    pub fn drain_changed(&mut self) -> Vec<Alert> {
        self.alerts.drain_changed()
    }

    /// The identities the checked traffic revealed, per host.
    pub fn identities(&self) -> &std::collections::BTreeMap<IpAddr, Vec<Identity>> {
        &self.ids.identities
    }

    /// Distinct alerts held.
    pub fn alert_count(&self) -> usize {
        self.alerts.len()
    }

    fn trim_state(&mut self) {
        let s = &mut self.state;
        if s.last_seen.len() > MAX_STATE {
            s.last_seen.clear();
        }
        if s.rates.len() > MAX_STATE {
            s.rates.clear();
        }
        if s.flows_checked.len() > MAX_STATE {
            s.flows_checked.clear();
        }
        if s.macs.len() > MAX_STATE {
            s.macs.clear();
        }
    }
}

impl Observer for Detector<'_> {
    fn wants_network(&self) -> bool {
        true
    }

    fn net(&mut self, n: &NetEvent<'_>) {
        let mut findings = Vec::new();
        network::net_rules(
            self.baseline.network.as_ref(),
            &mut self.net,
            n,
            &mut findings,
        );
        for (at, f) in findings {
            if self.window.contains(at.frame) {
                self.alerts.add(at, f);
            }
        }
    }

    fn packet(&mut self, p: &PacketView<'_>) {
        self.ids.packet(p);
        if let Some(mac) = p.src_mac {
            self.state.macs.insert(p.src.ip, mac);
        }
        let at = At {
            frame: p.frame,
            ts_nanos: p.ts_nanos,
        };
        let mut findings = Vec::new();
        rules::packet_rules(self.baseline, &mut self.state, p, &mut findings);
        if self.window.contains(p.frame) {
            for f in findings {
                self.alerts.add(at, f);
            }
        }
        self.trim_state();
    }

    fn event(&mut self, e: &Event<'_>) {
        let at = At {
            frame: e.frame,
            ts_nanos: e.ts_nanos,
        };
        network::learn_live_roles(&mut self.net, e);
        let mut findings = Vec::new();
        rules::event_rules(self.baseline, &mut self.state, e, &mut findings);
        if self.window.contains(e.frame) {
            for f in findings {
                self.alerts.add(at, f);
            }
        }
    }
}

/// Checks one capture against `baseline`.
pub fn detect_capture<R: Read>(
    baseline: &Baseline,
    input: R,
    window: FrameWindow,
) -> Result<Report, CaptureError> {
    let mut d = Detector::new(baseline, window);
    observe_capture(input, PipelineConfig::default(), &mut d)?;
    Ok(d.finish())
}
