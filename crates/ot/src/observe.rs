//! One pass over traffic that gives an analysis every view of it: the
//! conversations the [`Tracker`] follows (with ARP and non-IP frames),
//! every TCP/UDP packet's addresses and payload (for MAC addresses and for
//! identity replies read straight from a segment), and every decoded
//! [`Event`] from the [`Pipeline`]. Inventory, baseline learning and
//! detection are all [`Observer`]s, fed by an [`Engine`] from a capture file
//! ([`observe_capture`]) or from a live interface, packet by packet.

use std::io::Read;

use crate::capture::{CaptureError, CaptureReader, Packet};
use crate::event::{Endpoint, Event, Transport};
use crate::network::{NetEvent, Tracker, TrackerConfig};
use crate::oui::Mac;
use crate::pipeline::{Pipeline, PipelineConfig};
use crate::stats::Stats;
use crate::wire::{self, FrameKind, FrameView, L4};

/// A TCP segment or UDP datagram as captured (not reassembled).
#[derive(Debug, Clone, Copy)]
pub struct PacketView<'a> {
    /// 1-based, the same numbering as [`Event::frame`].
    pub frame: u64,
    pub ts_nanos: i64,
    pub src_mac: Option<Mac>,
    pub dst_mac: Option<Mac>,
    pub src: Endpoint,
    pub dst: Endpoint,
    pub transport: Transport,
    /// TCP SYN without ACK: a connection attempt.
    pub syn: bool,
    pub payload: &'a [u8],
}

pub trait Observer {
    /// Conversation tracking, ARP and non-IP frames, before the frame's
    /// packet and events. Only called when [`Observer::wants_network`].
    fn net(&mut self, _n: &NetEvent<'_>) {}
    /// Called for each TCP/UDP packet, before the events it completes.
    fn packet(&mut self, _p: &PacketView<'_>) {}
    fn event(&mut self, e: &Event<'_>);
    /// Whether to run conversation tracking for this observer.
    fn wants_network(&self) -> bool {
        false
    }
}

/// Packets in, observer calls out: the pipeline, conversation tracking
/// (when the observer wants it) and idle ageing on capture time, the same
/// for a file and for a live interface.
pub struct Engine {
    pipeline: Pipeline,
    tracker: Option<Tracker>,
    frame: u64,
    last_ts: i64,
}

impl Engine {
    pub fn new(cfg: PipelineConfig, network: Option<TrackerConfig>) -> Self {
        Engine {
            pipeline: Pipeline::new(cfg),
            tracker: network.map(Tracker::new),
            frame: 0,
            last_ts: i64::MIN,
        }
    }

    /// An engine for `observer`: tracking conversations if it wants them.
    pub fn for_observer(observer: &dyn Observer) -> Self {
        let network = observer.wants_network().then(TrackerConfig::default);
        Engine::new(PipelineConfig::default(), network)
    }

    pub fn feed(&mut self, pkt: &Packet<'_>, observer: &mut dyn Observer) {
        self.frame += 1;
        self.last_ts = self.last_ts.max(pkt.ts_nanos);
        let view = wire::view(self.frame, pkt);
        if let Some(t) = &mut self.tracker {
            t.process(&view, &mut |n| observer.net(&n));
        }
        if let Some(p) = packet_view(&view) {
            observer.packet(&p);
        }
        self.pipeline.process(pkt, &mut |e| observer.event(e));
    }

    /// The end of the input: held segments are decoded and every open
    /// conversation ends.
    pub fn finish(&mut self, observer: &mut dyn Observer) {
        self.pipeline.finish(&mut |e| observer.event(e));
        let end = self.last_ts;
        if let Some(t) = &mut self.tracker {
            t.finish(end, &mut |n| observer.net(&n));
        }
    }

    pub fn stats(&self) -> Stats {
        self.pipeline.stats()
    }

    pub fn tracker(&self) -> Option<&Tracker> {
        self.tracker.as_ref()
    }

    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// Packets fed so far.
    pub fn frames(&self) -> u64 {
        self.frame
    }
}

/// Runs `observer` over a whole capture. A file cut off mid-record ends the
/// run normally (as in [`crate::decode_capture`]).
pub fn observe_capture<R: Read>(
    input: R,
    cfg: PipelineConfig,
    observer: &mut dyn Observer,
) -> Result<Stats, CaptureError> {
    let network = observer.wants_network().then(TrackerConfig::default);
    let mut engine = Engine::new(cfg, network);
    let mut reader = CaptureReader::new(input)?;
    loop {
        match reader.next_packet() {
            Ok(Some(pkt)) => engine.feed(&pkt, observer),
            Ok(None) => break,
            Err(e) if e.is_truncation() => break,
            Err(e) => return Err(e),
        }
    }
    engine.finish(observer);
    let mut stats = engine.stats();
    stats.malformed_blocks = reader.malformed_blocks();
    Ok(stats)
}

fn packet_view<'a>(f: &FrameView<'a>) -> Option<PacketView<'a>> {
    let FrameKind::Ip(ip) = &f.kind else {
        return None;
    };
    let (sport, dport, transport, syn, payload) = match ip.l4 {
        L4::Tcp {
            src_port,
            dst_port,
            flags,
            payload,
        } => {
            let syn = flags & crate::ip::TCP_SYN != 0 && flags & crate::ip::TCP_ACK == 0;
            (src_port, dst_port, Transport::Tcp, syn, payload)
        }
        L4::Udp {
            src_port,
            dst_port,
            payload,
        } => (src_port, dst_port, Transport::Udp, false, payload),
        _ => return None,
    };
    Some(PacketView {
        frame: f.frame,
        ts_nanos: f.ts_nanos,
        src_mac: f.src_mac,
        dst_mac: f.dst_mac,
        src: Endpoint {
            ip: ip.src,
            port: sport,
        },
        dst: Endpoint {
            ip: ip.dst,
            port: dport,
        },
        transport,
        syn,
        payload,
    })
}
