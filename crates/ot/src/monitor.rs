//! Continuous monitoring: packets in (from an interface or a file), alerts
//! out as they are raised. The same [`Engine`] and [`Detector`] as `kensa ot
//! detect`, so a capture gives the same alerts live and from its file; the
//! detector runs in live mode, so days of traffic hold a bounded number of
//! flows, conversations and alerts.

use serde::Serialize;

use crate::baseline::{Baseline, FrameWindow};
use crate::capture::Packet;
use crate::detect::{Alert, Detector};
use crate::observe::Engine;

pub struct Monitor<'b> {
    engine: Engine,
    detector: Detector<'b>,
}

/// What a monitor has seen so far.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MonitorStats {
    pub packets: u64,
    pub bytes: u64,
    pub pdus: u64,
    pub malformed_pdus: u64,
    pub conversations: u64,
    pub open_conversations: usize,
    pub arp_frames: u64,
    /// Frames of other EtherTypes (LLDP, GOOSE, PROFINET...).
    pub non_ip_frames: u64,
    pub flows_tracked: usize,
    pub alerts: usize,
}

impl<'b> Monitor<'b> {
    pub fn new(baseline: &'b Baseline) -> Self {
        let detector = Detector::new(baseline, FrameWindow::default()).live();
        Monitor {
            engine: Engine::for_observer(&detector),
            detector,
        }
    }

    /// Feeds one packet; returns the alerts it raised (new or graver).
    pub fn feed(&mut self, pkt: &Packet<'_>) -> Vec<Alert> {
        self.engine.feed(pkt, &mut self.detector);
        self.detector.drain_raised()
    }

    /// Alerts that repeated since they were last reported.
    pub fn changed(&mut self) -> Vec<Alert> {
        self.detector.drain_changed()
    }

    /// The end of input: what the last held segments and the ending
    /// conversations raised, then every alert whose count changed.
    pub fn finish(&mut self) -> (Vec<Alert>, Vec<Alert>) {
        self.engine.finish(&mut self.detector);
        let raised = self.detector.drain_raised();
        (raised, self.detector.drain_changed())
    }

    /// The identities seen so far, per host.
    pub fn identities(
        &self,
    ) -> &std::collections::BTreeMap<std::net::IpAddr, Vec<crate::identity::Identity>> {
        self.detector.identities()
    }

    pub fn stats(&self) -> MonitorStats {
        let s = self.engine.stats();
        let tracker = self.engine.tracker();
        MonitorStats {
            packets: s.packets,
            bytes: s.bytes,
            pdus: s.total_pdus(),
            malformed_pdus: s.total_malformed(),
            conversations: tracker.map_or(0, |t| t.stats().conversations),
            open_conversations: tracker.map_or(0, |t| t.open_conversations()),
            arp_frames: tracker.map_or(0, |t| t.stats().arp_frames),
            non_ip_frames: tracker.map_or(0, |t| t.stats().non_ip_frames.values().sum()),
            flows_tracked: self.engine.pipeline().live_flows(),
            alerts: self.detector.alert_count(),
        }
    }
}
