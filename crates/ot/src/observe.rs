//! One pass over a capture that gives an analysis both views of it: every
//! packet's addresses and transport payload (for MAC addresses and for
//! identity replies read straight from a segment), and every decoded
//! [`Event`] from the [`Pipeline`]. Inventory, baseline learning and
//! detection are all [`Observer`]s.

use std::io::Read;

use crate::capture::{CaptureError, CaptureReader, Packet, linktype};
use crate::event::{Endpoint, Event, Transport};
use crate::ip::{self, PROTO_TCP, PROTO_UDP};
use crate::link;
use crate::oui::Mac;
use crate::pipeline::{Pipeline, PipelineConfig};
use crate::stats::Stats;

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
    /// Called for each TCP/UDP packet, before the events it completes.
    fn packet(&mut self, _p: &PacketView<'_>) {}
    fn event(&mut self, e: &Event<'_>);
}

/// Runs `observer` over a whole capture. A file cut off mid-record ends the
/// run normally (as in [`crate::decode_capture`]).
pub fn observe_capture<R: Read>(
    input: R,
    cfg: PipelineConfig,
    observer: &mut dyn Observer,
) -> Result<Stats, CaptureError> {
    let mut reader = CaptureReader::new(input)?;
    let mut pipeline = Pipeline::new(cfg);
    let mut frame = 0u64;
    loop {
        match reader.next_packet() {
            Ok(Some(pkt)) => {
                frame += 1;
                if let Some(view) = view(frame, &pkt) {
                    observer.packet(&view);
                }
                pipeline.process(&pkt, &mut |e| observer.event(e));
            }
            Ok(None) => break,
            Err(e) if e.is_truncation() => break,
            Err(e) => return Err(e),
        }
    }
    pipeline.finish(&mut |e| observer.event(e));
    Ok(pipeline.stats())
}

fn view<'a>(frame: u64, pkt: &Packet<'a>) -> Option<PacketView<'a>> {
    let (src_mac, dst_mac) = if pkt.link_type == linktype::ETHERNET && pkt.data.len() >= 14 {
        let mac = |at: usize| -> Mac { pkt.data[at..at + 6].try_into().expect("6 bytes") };
        (Some(mac(6)), Some(mac(0)))
    } else {
        (None, None)
    };
    let net = link::parse(pkt.link_type, pkt.data).ok()?;
    let packet = ip::parse(net.ethertype, net.payload).ok()?;
    let (sport, dport, transport, syn, payload) = match packet.proto {
        PROTO_TCP => {
            let s = ip::tcp(packet.payload).ok()?;
            let syn = s.flags & ip::TCP_SYN != 0 && s.flags & ip::TCP_ACK == 0;
            (s.src_port, s.dst_port, Transport::Tcp, syn, s.payload)
        }
        PROTO_UDP => {
            let d = ip::udp(packet.payload).ok()?;
            (d.src_port, d.dst_port, Transport::Udp, false, d.payload)
        }
        _ => return None,
    };
    Some(PacketView {
        frame,
        ts_nanos: pkt.ts_nanos,
        src_mac,
        dst_mac,
        src: Endpoint {
            ip: packet.src,
            port: sport,
        },
        dst: Endpoint {
            ip: packet.dst,
            port: dport,
        },
        transport,
        syn,
        payload,
    })
}
