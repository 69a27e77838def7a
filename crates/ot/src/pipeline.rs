//! Packet in, events out: link → IP → UDP/TCP (reassembled) → protocol
//! recognition → framing → decoding. Memory is bounded by the flow table
//! size and the per-stream limits, whatever the capture's size.

use std::io::Read;

use crate::capture::{CaptureError, CaptureReader, Packet};
use crate::decode::{Frame, Protocol, dnp3, enip, iec104, modbus, s7comm};
use crate::event::{Endpoint, Event, EventKind, Transport};
use crate::ip::{self, IpSkip, PROTO_TCP, PROTO_UDP, TCP_ACK, TCP_SYN};
use crate::link;
use crate::stats::Stats;
use crate::tcp::{Flow, FlowKey, FlowTable, IngestReport, Origin, Side, StreamLimits};

#[derive(Debug, Clone, Copy)]
pub struct PipelineConfig {
    pub max_flows: usize,
    pub stream_limits: StreamLimits,
    /// Payload-carrying packets probed before an unrecognised flow is ignored.
    pub probe_packets: u8,
    /// A flow with no packet for this long (capture time) is decoded as far
    /// as it goes and dropped.
    pub flow_idle_ns: i64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            max_flows: 100_000,
            stream_limits: StreamLimits::default(),
            probe_packets: 4,
            flow_idle_ns: 300 * 1_000_000_000,
        }
    }
}

/// S7comm PDUs split over several COTP data TPDUs are joined up to this size.
const MAX_COTP_REASSEMBLY: usize = 64 * 1024;

/// Per-flow application state.
#[derive(Debug, Default)]
struct FlowApp {
    protocol: Option<Protocol>,
    /// Gave up recognising this flow.
    ignored: bool,
    probes: u8,
    /// The side that accepted the connection (the PLC, outstation, RTU).
    server: Option<Side>,
    /// Recognised by content rather than by a registered port: a framing
    /// error before any good PDU means the guess was wrong.
    by_content: bool,
    dirs: [DirState; 2],
}

#[derive(Debug)]
struct DirState {
    /// PDUs are known to start at the head of the stream. False until the
    /// first PDU frames when the capture began mid-connection, and again
    /// after garbage, so that one bad PDU yields one malformed event.
    synced: bool,
    /// While not synced, scan the bytes for the next plausible PDU header
    /// (after a mid-stream start or lost bytes). After a malformed PDU the
    /// rest of the segment is dropped instead and framing resumes at the
    /// next segment: scanning inside an unknown PDU finds false headers.
    scan: bool,
    /// A PDU has framed in this direction.
    confirmed: bool,
    /// The content-based recognition proved wrong in this direction.
    misdetected: bool,
    dnp3: dnp3::Reassembler,
    cotp: Vec<u8>,
}

impl Default for DirState {
    fn default() -> Self {
        Self {
            synced: false,
            scan: true,
            confirmed: false,
            misdetected: false,
            dnp3: dnp3::Reassembler::default(),
            cotp: Vec::new(),
        }
    }
}

/// Scratch buffers that decoded events borrow; reused across PDUs.
#[derive(Debug, Default)]
struct Scratch {
    dnp3_objects: Vec<dnp3::ObjectHeader>,
    ioas: Vec<u32>,
    cip_embedded: Vec<enip::CipMessage>,
}

/// Where the PDUs of the current packet come from.
#[derive(Debug, Clone, Copy)]
struct Ctx {
    frame: u64,
    ts_nanos: i64,
    src: Endpoint,
    dst: Endpoint,
    transport: Transport,
    protocol: Protocol,
    /// The packet travels from the server to the client.
    from_server: bool,
    by_content: bool,
}

impl Ctx {
    /// The context of the PDUs travelling from `side` of a recognised flow
    /// (`endpoints`: that direction's source and destination).
    fn of(
        frame: u64,
        ts_nanos: i64,
        app: &FlowApp,
        side: Side,
        (src, dst): (Endpoint, Endpoint),
        transport: Transport,
    ) -> Option<Ctx> {
        Some(Ctx {
            frame,
            ts_nanos,
            src,
            dst,
            transport,
            protocol: app.protocol?,
            from_server: app.server == Some(side),
            by_content: app.by_content,
        })
    }
}

impl Ctx {
    /// The same flow direction, for bytes that arrived with `origin`.
    fn at(&self, origin: Origin) -> Ctx {
        Ctx {
            frame: origin.frame,
            ts_nanos: origin.ts_nanos,
            ..*self
        }
    }
}

/// After bytes were lost or dropped, a direction scans for the next
/// plausible PDU header instead of framing from where it stood.
fn resync_after(dir: &mut DirState, report: &IngestReport) {
    if report.overflowed || report.gap_bytes > 0 {
        dir.resync();
    }
}

impl DirState {
    /// Lost bytes: scan for the next plausible PDU header.
    fn resync(&mut self) {
        self.synced = false;
        self.scan = true;
    }
}

pub type Sink<'s> = dyn FnMut(&Event<'_>) + 's;

pub struct Pipeline {
    cfg: PipelineConfig,
    flows: FlowTable<FlowApp>,
    scratch: Scratch,
    stats: Stats,
    frame: u64,
    last_ageing: i64,
    /// (deadline, flow) in creation order: a flow is looked at when its
    /// deadline passes and re-queued if it was active since.
    idle_queue: std::collections::VecDeque<(i64, FlowKey)>,
}

impl Pipeline {
    pub fn new(cfg: PipelineConfig) -> Self {
        Self {
            flows: FlowTable::new(cfg.max_flows),
            cfg,
            scratch: Scratch::default(),
            stats: Stats::default(),
            frame: 0,
            last_ageing: i64::MIN,
            idle_queue: std::collections::VecDeque::new(),
        }
    }

    pub fn stats(&self) -> Stats {
        let mut s = self.stats.clone();
        s.flows = self.flows.created;
        s.flows_evicted = self.flows.evicted;
        s
    }

    /// TCP stream bytes currently held for reassembly, across all flows.
    pub fn held_bytes(&self) -> usize {
        self.flows.held_bytes()
    }

    /// Flows currently tracked.
    pub fn live_flows(&self) -> usize {
        self.flows.len()
    }

    /// The end of the input: every flow's segments still held behind a
    /// hole are decoded (the hole is given up), so that the last PDUs of
    /// a capture filtered to some packets are not lost.
    pub fn finish(&mut self, sink: &mut Sink<'_>) {
        // In the order of the held segments, so that output is deterministic.
        let mut held: Vec<(u64, FlowKey)> = self
            .flows
            .iter_mut()
            .filter_map(|(k, f)| {
                let first = f
                    .streams
                    .iter()
                    .filter_map(|s| s.first_held_frame())
                    .min()?;
                Some((first, *k))
            })
            .collect();
        held.sort_unstable_by_key(|(frame, _)| *frame);
        let (stats, scratch, limits) =
            (&mut self.stats, &mut self.scratch, &self.cfg.stream_limits);
        for (_, key) in held {
            if let Some(flow) = self.flows.get_mut(&key) {
                flush_flow(&key, flow, stats, scratch, limits, sink);
            }
        }
    }

    /// Flows with no packet since `cutoff` (capture time) are decoded as
    /// far as they go and dropped, so that days of traffic hold only the
    /// flows still active.
    pub fn expire_idle(&mut self, cutoff: i64, sink: &mut Sink<'_>) {
        let idle_ns = self.cfg.flow_idle_ns;
        let (stats, scratch, limits) =
            (&mut self.stats, &mut self.scratch, &self.cfg.stream_limits);
        while let Some(&(due, key)) = self.idle_queue.front() {
            if due - idle_ns >= cutoff {
                break;
            }
            self.idle_queue.pop_front();
            let Some(flow) = self.flows.get_mut(&key) else {
                continue;
            };
            if flow.last_ts >= cutoff {
                self.idle_queue.push_back((flow.last_ts + idle_ns, key));
                continue;
            }
            flush_flow(&key, flow, stats, scratch, limits, sink);
            self.flows.remove(&key);
            stats.flows_expired += 1;
        }
    }

    /// Queues a new flow's idle deadline; drops the deadlines of evicted
    /// flows when the queue grows well past the table.
    fn track_idle(&mut self, key: FlowKey, ts: i64) {
        self.idle_queue.push_back((ts + self.cfg.flow_idle_ns, key));
        if self.idle_queue.len() > 4 * self.cfg.max_flows.max(1024) {
            let flows = &mut self.flows;
            self.idle_queue.retain(|(_, k)| flows.get_mut(k).is_some());
        }
    }

    /// Feeds one captured packet; every PDU it completes goes to `sink`.
    pub fn process(&mut self, pkt: &Packet<'_>, sink: &mut Sink<'_>) {
        if pkt.ts_nanos >= self.last_ageing.saturating_add(1_000_000_000) {
            // Once per second of capture time.
            self.last_ageing = pkt.ts_nanos;
            self.expire_idle(pkt.ts_nanos.saturating_sub(self.cfg.flow_idle_ns), sink);
        }
        self.frame += 1;
        self.stats.packets += 1;
        self.stats.bytes += pkt.caplen as u64;
        if pkt.is_truncated() {
            self.stats.truncated_packets += 1;
        }
        let net = match link::parse(pkt.link_type, pkt.data) {
            Ok(n) => n,
            Err(link::LinkSkip::UnsupportedLinkType(_)) => return self.stats.unsupported_link += 1,
            Err(link::LinkSkip::NotIp(_)) => return self.stats.non_ip += 1,
            Err(link::LinkSkip::Truncated) => return self.stats.malformed_headers += 1,
        };
        let ip = match ip::parse(net.ethertype, net.payload) {
            Ok(ip) => ip,
            Err(IpSkip::Fragment) => return self.stats.ip_fragments += 1,
            Err(_) => return self.stats.malformed_headers += 1,
        };
        match ip.proto {
            PROTO_TCP => self.tcp(pkt, &ip, sink),
            PROTO_UDP => self.udp(pkt, &ip, sink),
            _ => {}
        }
    }

    fn tcp(&mut self, pkt: &Packet<'_>, ip: &ip::IpPacket<'_>, sink: &mut Sink<'_>) {
        let Ok(seg) = ip::tcp(ip.payload) else {
            return self.stats.malformed_headers += 1;
        };
        self.stats.tcp_segments += 1;
        let src = Endpoint {
            ip: ip.src,
            port: seg.src_port,
        };
        let dst = Endpoint {
            ip: ip.dst,
            port: seg.dst_port,
        };
        let (key, side) = FlowKey::of(PROTO_TCP, (ip.src, seg.src_port), (ip.dst, seg.dst_port));
        if self.flows.get_mut(&key).is_none() {
            self.track_idle(key, pkt.ts_nanos);
        }
        let flow = self.flows.get_or_insert(key, FlowApp::default);
        flow.last_ts = pkt.ts_nanos;
        let (streams, app) = (&mut flow.streams, &mut flow.app);
        if seg.flags & TCP_SYN != 0 {
            streams[side.index()].on_syn(seg.seq);
            app.dirs[side.index()].synced = true;
            if seg.flags & TCP_ACK == 0 {
                app.server = Some(side.other());
            }
        }
        if seg.flags & TCP_ACK != 0 {
            // PDUs the acknowledgement releases travel the other way.
            let peer = side.other();
            if let Some(ctx) = Ctx::of(
                self.frame,
                pkt.ts_nanos,
                app,
                peer,
                (dst, src),
                Transport::Tcp,
            ) {
                let dir = &mut app.dirs[peer.index()];
                let (stats, scratch, limits) =
                    (&mut self.stats, &mut self.scratch, &self.cfg.stream_limits);
                let report =
                    streams[peer.index()].on_peer_ack(seg.ack, limits, &mut |bytes, origin| {
                        consume_stream(&ctx.at(origin), dir, scratch, stats, bytes, sink)
                    });
                record_ingest(stats, &report);
                resync_after(dir, &report);
            }
        }
        if seg.payload.is_empty() && !ip.truncated {
            return;
        }
        if !recognise(
            app,
            &mut self.stats,
            &self.cfg,
            side,
            (src, dst),
            seg.payload,
            Protocol::by_tcp_port,
        ) {
            return;
        }
        let Some(ctx) = Ctx::of(
            self.frame,
            pkt.ts_nanos,
            app,
            side,
            (src, dst),
            Transport::Tcp,
        ) else {
            return;
        };
        let stream = &mut streams[side.index()];
        let dir = &mut app.dirs[side.index()];
        if ip.truncated {
            // The segment's tail was not captured: lose the PDU it was part
            // of rather than frame garbage, and resynchronise after it.
            let wire_len = ip.wire_len.saturating_sub(seg.header_len);
            self.stats.gap_bytes += stream.skip(seg.seq, wire_len);
            dir.resync();
            return;
        }
        if let Some(already) = stream.partly_delivered_at_boundary(seg.seq, seg.payload.len())
            && !ctx.protocol.starts_pdu(&seg.payload[already..])
        {
            // A retransmission that rewrites the stream (as injections
            // do): its new bytes do not start a PDU where the old ones
            // ended. Skip them, as Wireshark does, and resume at the next
            // segment rather than report garbage.
            self.stats.gap_bytes += stream.skip(seg.seq, seg.payload.len());
            dir.synced = false;
            dir.scan = false;
            return;
        }
        let (stats, scratch, limits) =
            (&mut self.stats, &mut self.scratch, &self.cfg.stream_limits);
        let origin = Origin {
            frame: self.frame,
            ts_nanos: pkt.ts_nanos,
        };
        let report = stream.ingest(
            seg.seq,
            seg.payload,
            origin,
            limits,
            &mut |bytes, origin| consume_stream(&ctx.at(origin), dir, scratch, stats, bytes, sink),
        );
        record_ingest(stats, &report);
        resync_after(dir, &report);
        if dir.misdetected {
            app.ignored = true;
        }
    }

    fn udp(&mut self, pkt: &Packet<'_>, ip: &ip::IpPacket<'_>, sink: &mut Sink<'_>) {
        let Ok(dg) = ip::udp(ip.payload) else {
            return self.stats.malformed_headers += 1;
        };
        self.stats.udp_datagrams += 1;
        if dg.payload.is_empty() {
            return;
        }
        let src = Endpoint {
            ip: ip.src,
            port: dg.src_port,
        };
        let dst = Endpoint {
            ip: ip.dst,
            port: dg.dst_port,
        };
        let (key, side) = FlowKey::of(PROTO_UDP, (ip.src, dg.src_port), (ip.dst, dg.dst_port));
        if self.flows.get_mut(&key).is_none() {
            self.track_idle(key, pkt.ts_nanos);
        }
        let flow = self.flows.get_or_insert(key, FlowApp::default);
        flow.last_ts = pkt.ts_nanos;
        let app = &mut flow.app;
        if !recognise(
            app,
            &mut self.stats,
            &self.cfg,
            side,
            (src, dst),
            dg.payload,
            Protocol::by_udp_port,
        ) {
            return;
        }
        let Some(ctx) = Ctx::of(
            self.frame,
            pkt.ts_nanos,
            app,
            side,
            (src, dst),
            Transport::Udp,
        ) else {
            return;
        };
        let dir = &mut app.dirs[side.index()];
        let (stats, scratch) = (&mut self.stats, &mut self.scratch);
        if ctx.protocol == Protocol::Enip && (dg.src_port == 2222 || dg.dst_port == 2222) {
            let kind = match enip::parse_io(dg.payload) {
                Ok(e) => EventKind::Enip(e),
                Err(m) => EventKind::Malformed { reason: m.0 },
            };
            return emit(&ctx, stats, kind, sink);
        }
        // Each datagram stands alone: PDUs must not straddle datagrams.
        dir.synced = true;
        let used = consume_stream(&ctx, dir, scratch, stats, dg.payload, sink);
        if used < dg.payload.len() && !ip.truncated {
            emit(
                &ctx,
                stats,
                EventKind::Malformed {
                    reason: "datagram ends inside a PDU",
                },
                sink,
            );
        }
    }
}

/// Decides the flow's protocol on its first payload. Content decides over
/// port: a payload that is exactly whole PDUs of one protocol is that
/// protocol, whatever port it uses (a DNP3 master whose ephemeral port is
/// 44818 still speaks DNP3). When the content is inconclusive (a capture
/// that starts mid-PDU, a PDU split over segments), the registered port
/// decides. Returns whether the flow is to be decoded.
fn recognise(
    app: &mut FlowApp,
    stats: &mut Stats,
    cfg: &PipelineConfig,
    side: Side,
    (src, dst): (Endpoint, Endpoint),
    payload: &[u8],
    by_port: fn(u16) -> Option<Protocol>,
) -> bool {
    if app.ignored {
        return false;
    }
    if app.protocol.is_some() {
        return true;
    }
    // The registered port marks the server even when the capture shows the
    // other side opening the connection (devices that call out to their
    // master); otherwise the SYN's receiver, else this packet's receiver.
    let server_of = |p: Protocol| -> Option<Side> {
        if by_port(dst.port).map(Protocol::framing) == Some(p) {
            Some(side.other())
        } else if by_port(src.port).map(Protocol::framing) == Some(p) {
            Some(side)
        } else {
            None
        }
    };
    let by_port_hint = by_port(dst.port).or_else(|| by_port(src.port));
    // CIP class 0/1 I/O (UDP 2222) has no header for content to judge.
    let io_port = by_port_hint == Some(Protocol::Enip) && (dst.port == 2222 || src.port == 2222);
    let content = match by_port_hint {
        Some(p) if io_port || (p.starts_pdu(payload) && p.frames_exactly(payload)) => Some(p),
        _ => Protocol::probe(payload),
    };
    let protocol = content.or(by_port_hint);
    match protocol {
        Some(p) => {
            let server = server_of(p);
            // Neither port belongs to the protocol: a guess from content,
            // dropped quietly if it then fails to frame.
            app.by_content = server.is_none();
            app.protocol = Some(p);
            app.server = Some(server.unwrap_or(app.server.unwrap_or(side.other())));
            stats.ot_flows += 1;
            true
        }
        None => {
            app.probes += 1;
            app.ignored = app.probes >= cfg.probe_packets;
            false
        }
    }
}

/// Decodes what a TCP flow still holds behind holes in either direction.
fn flush_flow(
    key: &FlowKey,
    flow: &mut Flow<FlowApp>,
    stats: &mut Stats,
    scratch: &mut Scratch,
    limits: &StreamLimits,
    sink: &mut Sink<'_>,
) {
    if key.proto != PROTO_TCP {
        return;
    }
    let endpoint = |(ip, port)| Endpoint { ip, port };
    let (a, b) = (endpoint(key.a), endpoint(key.b));
    for (side, ends) in [(Side::A, (a, b)), (Side::B, (b, a))] {
        let app = &mut flow.app;
        let Some(ctx) = Ctx::of(0, 0, app, side, ends, Transport::Tcp) else {
            return;
        };
        let dir = &mut app.dirs[side.index()];
        let report = flow.streams[side.index()].flush(limits, &mut |bytes, origin| {
            consume_stream(&ctx.at(origin), dir, scratch, stats, bytes, sink)
        });
        record_ingest(stats, &report);
    }
}

fn record_ingest(stats: &mut Stats, r: &IngestReport) {
    stats.retransmitted_bytes += r.retransmitted_bytes as u64;
    stats.out_of_order_segments += r.out_of_order as u64;
    stats.reassembly_overflows += r.overflowed as u64;
    stats.gap_bytes += r.gap_bytes;
}

/// Frames and decodes the PDUs at the head of `bytes`; returns the bytes
/// used. After bytes that cannot start a PDU (one malformed event), the
/// stream is scanned for the next plausible PDU header.
fn consume_stream(
    ctx: &Ctx,
    dir: &mut DirState,
    scratch: &mut Scratch,
    stats: &mut Stats,
    bytes: &[u8],
    sink: &mut Sink<'_>,
) -> usize {
    let mut at = 0;
    while at < bytes.len() {
        if !dir.synced && dir.scan && (dir.confirmed || !ctx.by_content) {
            match resync(ctx.protocol, &bytes[at..]) {
                Ok(skip) => at += skip,
                Err(keep_from) => return at + keep_from,
            }
        }
        match ctx.protocol.frame(&bytes[at..]) {
            Frame::Complete(n) => {
                dir.synced = true;
                dir.confirmed = true;
                decode_pdu(ctx, dir, scratch, stats, &bytes[at..at + n], sink);
                at += n;
            }
            Frame::Incomplete => break,
            Frame::Invalid(_) if ctx.by_content && !dir.confirmed => {
                dir.misdetected = true;
                return bytes.len();
            }
            Frame::Invalid(reason) => {
                if dir.synced {
                    emit(ctx, stats, EventKind::Malformed { reason }, sink);
                    dir.synced = false;
                    // IEC 104's start byte and strict APCI make the next
                    // APDU easy to find again (as Wireshark does); other
                    // protocols resume at the next segment.
                    dir.scan = ctx.protocol == Protocol::Iec104;
                }
                if !dir.scan {
                    return bytes.len();
                }
                at += 1;
            }
        }
    }
    at
}

/// Bytes kept while looking for a PDU boundary: enough for any header
/// check, so that a PDU whose start straddles two segments is found.
const RESYNC_KEEP: usize = 512;

/// Finds where the next PDU starts in a stream that lost its place (a
/// capture begun mid-connection, or bytes skipped): `Ok(offset)` of the
/// first plausible PDU header, or `Err(offset)` of the bytes to keep for
/// the next try when none is found yet.
fn resync(protocol: Protocol, bytes: &[u8]) -> Result<usize, usize> {
    let found = if protocol == Protocol::Iec104 {
        // The next start byte with a possible length, as Wireshark does:
        // an APDU cut by the end of the segment is completed by the next.
        (0..bytes.len()).find(|&i| iec104::starts_apdu(&bytes[i..]))
    } else {
        (0..bytes.len()).find(|&i| protocol.starts_pdu(&bytes[i..]))
    };
    found.ok_or(bytes.len().saturating_sub(RESYNC_KEEP))
}

fn decode_pdu(
    ctx: &Ctx,
    dir: &mut DirState,
    scratch: &mut Scratch,
    stats: &mut Stats,
    pdu: &[u8],
    sink: &mut Sink<'_>,
) {
    let kind = match ctx.protocol {
        Protocol::Modbus => modbus::parse(pdu, ctx.from_server).map(EventKind::Modbus),
        Protocol::Enip => enip::parse(pdu, &mut scratch.cip_embedded).map(EventKind::Enip),
        Protocol::Iec104 => iec104::parse(pdu, &mut scratch.ioas).map(EventKind::Iec104),
        Protocol::Dnp3 => return decode_dnp3(ctx, dir, scratch, stats, pdu, sink),
        Protocol::S7comm | Protocol::S7commPlus => return decode_s7(ctx, dir, stats, pdu, sink),
    };
    let kind = kind.unwrap_or_else(|m| EventKind::Malformed { reason: m.0 });
    emit(ctx, stats, kind, sink);
}

fn decode_dnp3(
    ctx: &Ctx,
    dir: &mut DirState,
    scratch: &mut Scratch,
    stats: &mut Stats,
    pdu: &[u8],
    sink: &mut Sink<'_>,
) {
    let link = match dnp3::parse_link(pdu) {
        Ok(l) => l,
        Err(m) => return emit(ctx, stats, EventKind::Malformed { reason: m.0 }, sink),
    };
    let mut event = dnp3::Dnp3::from_link(&link);
    if link.carries_transport() {
        match dir.dnp3.push(link.user_data()) {
            dnp3::Reassembled::Fragment(fragment) => {
                match dnp3::parse_app(fragment, &mut scratch.dnp3_objects) {
                    Ok(app) => event = event.with_app(&app, &scratch.dnp3_objects),
                    Err(m) => emit(ctx, stats, EventKind::Malformed { reason: m.0 }, sink),
                }
            }
            dnp3::Reassembled::Pending => {}
            dnp3::Reassembled::TooLong => {
                stats.dnp3_fragments_too_long += 1;
                emit(
                    ctx,
                    stats,
                    EventKind::Malformed {
                        reason: "application fragment exceeds the reassembly bound",
                    },
                    sink,
                );
            }
        }
    }
    emit(ctx, stats, EventKind::Dnp3(event), sink);
}

fn decode_s7(ctx: &Ctx, dir: &mut DirState, stats: &mut Stats, pdu: &[u8], sink: &mut Sink<'_>) {
    let cotp = match s7comm::parse_cotp(pdu) {
        Ok(c) => c,
        Err(m) => return emit(ctx, stats, EventKind::Malformed { reason: m.0 }, sink),
    };
    if cotp.pdu_type != 0xf0 {
        // Connection set-up and tear-down carry no S7 PDU.
        return;
    }
    if !cotp.eot || !dir.cotp.is_empty() {
        if dir.cotp.len() + cotp.payload.len() > MAX_COTP_REASSEMBLY {
            dir.cotp.clear();
            stats.reassembly_overflows += 1;
            return emit(
                ctx,
                stats,
                EventKind::Malformed {
                    reason: "COTP reassembly exceeds 64 KiB",
                },
                sink,
            );
        }
        dir.cotp.extend_from_slice(cotp.payload);
        if !cotp.eot {
            return;
        }
    }
    let joined = std::mem::take(&mut dir.cotp);
    let payload = if joined.is_empty() {
        cotp.payload
    } else {
        &joined
    };
    match s7comm::parse(payload) {
        Ok(Some(s7comm::S7Pdu::Classic(s7))) => emit(ctx, stats, EventKind::S7comm(s7), sink),
        Ok(Some(s7comm::S7Pdu::Plus(plus))) => {
            let plus_ctx = Ctx {
                protocol: Protocol::S7commPlus,
                ..*ctx
            };
            emit(&plus_ctx, stats, EventKind::S7commPlus(plus), sink)
        }
        Ok(None) => {}
        Err(m) => {
            // The protocol id says which of the two failed to decode.
            let protocol = if payload.first() == Some(&0x72) {
                Protocol::S7commPlus
            } else {
                Protocol::S7comm
            };
            let bad_ctx = Ctx { protocol, ..*ctx };
            emit(&bad_ctx, stats, EventKind::Malformed { reason: m.0 }, sink)
        }
    }
    // Keep the allocation for the next split PDU.
    dir.cotp = joined;
    dir.cotp.clear();
}

fn emit(ctx: &Ctx, stats: &mut Stats, kind: EventKind<'_>, sink: &mut Sink<'_>) {
    let counter = if matches!(kind, EventKind::Malformed { .. }) {
        &mut stats.malformed
    } else {
        &mut stats.pdus
    };
    *counter.entry(ctx.protocol).or_default() += 1;
    sink(&Event {
        frame: ctx.frame,
        ts_nanos: ctx.ts_nanos,
        src: ctx.src,
        dst: ctx.dst,
        transport: ctx.transport,
        to_server: !ctx.from_server,
        protocol: ctx.protocol,
        kind,
    });
}

/// Decodes a whole capture from `input`, calling `sink` for every event.
/// A file cut off mid-record ends the run normally, flagged in the stats;
/// other capture errors are returned.
pub fn decode_capture<R: Read>(
    input: R,
    cfg: PipelineConfig,
    sink: &mut Sink<'_>,
) -> Result<Stats, CaptureError> {
    let mut reader = CaptureReader::new(input)?;
    let mut pipeline = Pipeline::new(cfg);
    loop {
        match reader.next_packet() {
            Ok(Some(pkt)) => pipeline.process(&pkt, sink),
            Ok(None) => break,
            Err(e) if e.is_truncation() => {
                pipeline.stats.truncated_file = true;
                break;
            }
            Err(e) => return Err(e),
        }
    }
    pipeline.finish(sink);
    let mut stats = pipeline.stats();
    stats.malformed_blocks = reader.malformed_blocks();
    Ok(stats)
}
