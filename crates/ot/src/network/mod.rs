//! Every conversation on the wire, like a connection log: each TCP
//! connection, UDP flow and ICMP exchange with its endpoints, MACs,
//! service (by content first, port second), packets and bytes each way,
//! first/last seen and, for TCP, whether the handshake succeeded. ARP and
//! other non-IP frames are reported as they come.
//!
//! [`Tracker::process`] takes each frame and reports what happened as
//! [`NetEvent`]s. Memory is bounded: a conversation table of at most
//! `max_conversations` (the least recently active eighth is ended when it
//! is full) and idle timeouts on capture time, so days of traffic hold no
//! more than the busiest few minutes.

mod conversation;
mod ftp;

use std::collections::HashMap;
use std::net::IpAddr;

pub use conversation::{ConnState, Conversation, NetProto, is_group, service_key};

use crate::Endpoint;
use crate::ip::{TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN};
use crate::oui::Mac;
use crate::service::{self, Evidence, Service};
use crate::wire::{Arp, FrameKind, FrameView, IpView, L4};

#[derive(Debug, Clone, Copy)]
pub struct TrackerConfig {
    pub max_conversations: usize,
    /// TCP connections with no packet for this long end (Zeek's default).
    pub tcp_idle_ns: i64,
    /// UDP, ICMP and other conversations end after this much silence.
    pub udp_idle_ns: i64,
    /// A SYN with no answer for this long is a failed attempt.
    pub attempt_timeout_ns: i64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            max_conversations: 200_000,
            tcp_idle_ns: 300 * SECOND,
            udp_idle_ns: 60 * SECOND,
            attempt_timeout_ns: 5 * SECOND,
        }
    }
}

pub const SECOND: i64 = 1_000_000_000;

/// Why a conversation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Closed,
    Idle,
    /// Pushed out of a full table.
    Evicted,
    EndOfInput,
}

/// What a frame did, as the tracker saw it.
#[derive(Debug)]
pub enum NetEvent<'a> {
    /// A packet of a conversation, after the counters were updated.
    Packet {
        conv: &'a Conversation,
        to_server: bool,
        /// The conversation's first packet.
        opened: bool,
        wire_len: u32,
        frame: u64,
        ts_nanos: i64,
    },
    /// The conversation's service is settled (its first payload was
    /// checked, or it ended without one): `conv.service` is what the
    /// content, else the port, says. Again if later content corrects it.
    Service {
        conv: &'a Conversation,
        frame: u64,
        ts_nanos: i64,
    },
    /// A connection attempt failed: reset, ICMP error, or no answer.
    Failed {
        conv: &'a Conversation,
        frame: u64,
        ts_nanos: i64,
    },
    /// The conversation is over and leaves the table.
    Ended {
        conv: &'a Conversation,
        reason: EndReason,
        ts_nanos: i64,
    },
    Arp {
        arp: &'a Arp,
        src_mac: Option<Mac>,
        frame: u64,
        ts_nanos: i64,
    },
    /// A frame of another EtherType.
    NonIp {
        ethertype: u16,
        src_mac: Option<Mac>,
        frame: u64,
        ts_nanos: i64,
    },
}

pub type NetSink<'s> = dyn FnMut(NetEvent<'_>) + 's;

/// Direction-independent conversation key: the lower endpoint first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    proto: NetProto,
    lo: (IpAddr, u16),
    hi: (IpAddr, u16),
}

impl Key {
    fn of(proto: NetProto, a: (IpAddr, u16), b: (IpAddr, u16)) -> Key {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        Key { proto, lo, hi }
    }
}

struct Entry {
    conv: Conversation,
    /// Packet clock at the last packet, for eviction order.
    touched: u64,
    failure_reported: bool,
}

/// Counters over everything the tracker saw.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct TrackerStats {
    pub conversations: u64,
    pub conversations_evicted: u64,
    pub arp_frames: u64,
    /// Frames of other EtherTypes, by EtherType (`0x88cc`...).
    pub non_ip_frames: std::collections::BTreeMap<String, u64>,
    pub unreadable_frames: u64,
}

pub struct Tracker {
    cfg: TrackerConfig,
    table: HashMap<Key, Entry>,
    /// Deadlines to look at, in order, one queue per timeout (TCP idle,
    /// other idle, unanswered attempts): a conversation is examined when
    /// its deadline passes and re-queued if it was active since, so ageing
    /// costs nothing per packet and nothing per idle second.
    timers: [std::collections::VecDeque<(i64, Key)>; 3],
    clock: u64,
    /// Capture time of the last ageing pass.
    last_sweep: i64,
    ftp: ftp::Expectations,
    stats: TrackerStats,
}

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Self {
        Tracker {
            cfg,
            table: HashMap::new(),
            timers: Default::default(),
            clock: 0,
            last_sweep: i64::MIN,
            ftp: ftp::Expectations::default(),
            stats: TrackerStats::default(),
        }
    }

    pub fn stats(&self) -> &TrackerStats {
        &self.stats
    }

    /// Conversations currently open.
    pub fn open_conversations(&self) -> usize {
        self.table.len()
    }

    pub fn process(&mut self, f: &FrameView<'_>, out: &mut NetSink<'_>) {
        self.age(f.ts_nanos, out);
        match &f.kind {
            FrameKind::Arp(arp) => {
                self.stats.arp_frames += 1;
                out(NetEvent::Arp {
                    arp,
                    src_mac: f.src_mac,
                    frame: f.frame,
                    ts_nanos: f.ts_nanos,
                });
            }
            FrameKind::OtherEthertype(t) => {
                *self
                    .stats
                    .non_ip_frames
                    .entry(format!("{t:#06x}"))
                    .or_default() += 1;
                out(NetEvent::NonIp {
                    ethertype: *t,
                    src_mac: f.src_mac,
                    frame: f.frame,
                    ts_nanos: f.ts_nanos,
                });
            }
            FrameKind::Unreadable => self.stats.unreadable_frames += 1,
            FrameKind::Ip(ip) => self.ip(f, ip, out),
        }
    }

    /// The end of the input: attempts still waiting fail, and every open
    /// conversation ends, in the order they began.
    pub fn finish(&mut self, ts_nanos: i64, out: &mut NetSink<'_>) {
        let mut keys: Vec<(u64, Key)> = self
            .table
            .iter()
            .map(|(k, e)| (e.conv.first_frame, *k))
            .collect();
        keys.sort_unstable();
        for (_, key) in keys {
            self.end(&key, EndReason::EndOfInput, ts_nanos, out);
        }
    }

    fn ip(&mut self, f: &FrameView<'_>, ip: &IpView<'_>, out: &mut NetSink<'_>) {
        if let L4::Icmp(icmp) = &ip.l4
            && let Some(q) = icmp.unreachable
        {
            // The error answers a datagram or SYN of another conversation.
            let key = Key::of(
                NetProto::of(q.proto),
                (q.src, q.src_port),
                (q.dst, q.dst_port),
            );
            self.fail(&key, ConnState::Rejected, f, out);
            return;
        }
        let proto = NetProto::of(ip.proto);
        let (src, dst, flags, payload) = match ip.l4 {
            L4::Tcp {
                src_port,
                dst_port,
                flags,
                payload,
            } => (ep(ip.src, src_port), ep(ip.dst, dst_port), flags, payload),
            L4::Udp {
                src_port,
                dst_port,
                payload,
            } => (ep(ip.src, src_port), ep(ip.dst, dst_port), 0, payload),
            L4::Icmp(i) => {
                let id = i.echo_id.unwrap_or(i.icmp_type as u16);
                (ep(ip.src, id), ep(ip.dst, id), 0, &[][..])
            }
            L4::Other => (ep(ip.src, 0), ep(ip.dst, 0), 0, &[][..]),
        };
        let key = Key::of(proto, (src.ip, src.port), (dst.ip, dst.port));
        let syn_only = proto == NetProto::Tcp && flags & (TCP_SYN | TCP_ACK) == TCP_SYN;
        // A new SYN on a finished or stale connection starts a new one.
        if syn_only
            && let Some(e) = self.table.get(&key)
            && e.conv.client != src
        {
            self.end(&key, EndReason::Closed, f.ts_nanos, out);
        }
        self.clock += 1;
        let opened = !self.table.contains_key(&key);
        if opened {
            if self.table.len() >= self.cfg.max_conversations {
                self.evict(f.ts_nanos, out);
            }
            let conv = self.open(proto, src, dst, ip, flags, f);
            self.stats.conversations += 1;
            let idle = self.idle_timer(proto);
            self.timers[idle].push_back((f.ts_nanos + self.limit(idle), key));
            if conv.state == ConnState::Attempt {
                self.timers[2].push_back((f.ts_nanos + self.cfg.attempt_timeout_ns, key));
            }
            self.compact_timers();
            self.table.insert(
                key,
                Entry {
                    conv,
                    touched: self.clock,
                    failure_reported: false,
                },
            );
        }
        let entry = self.table.get_mut(&key).expect("inserted above");
        entry.touched = self.clock;
        let conv = &mut entry.conv;
        let to_server = src == conv.client;
        let d = usize::from(!to_server);
        conv.packets[d] += 1;
        conv.bytes[d] += ip.len as u64;
        conv.payload_bytes[d] += payload.len() as u64;
        conv.recent_bytes = conv.recent.add(f.ts_nanos, ip.len as u64);
        conv.peak_bytes_10s = conv.peak_bytes_10s.max(conv.recent_bytes);
        conv.last_frame = f.frame;
        conv.last_ts = f.ts_nanos;
        let mac = if to_server {
            &mut conv.client_mac
        } else {
            &mut conv.server_mac
        };
        if mac.is_none() {
            *mac = f.src_mac;
        }
        if f.dst_mac.is_some_and(|m| m[0] & 1 == 1) && to_server {
            conv.to_group = true;
        }
        let (failed, closed) = if proto == NetProto::Tcp {
            tcp_state(conv, to_server, flags)
        } else {
            (false, false)
        };
        let (at, ts) = (f.frame, f.ts_nanos);
        out(NetEvent::Packet {
            conv: &*conv,
            to_server,
            opened,
            wire_len: f.wire_len,
            frame: at,
            ts_nanos: ts,
        });
        if !payload.is_empty() && recognise(conv, payload, to_server, &mut self.ftp) {
            out(NetEvent::Service {
                conv: &*conv,
                frame: at,
                ts_nanos: ts,
            });
        }
        if failed && !entry.failure_reported {
            entry.failure_reported = true;
            out(NetEvent::Failed {
                conv: &entry.conv,
                frame: at,
                ts_nanos: ts,
            });
        }
        if closed {
            self.end(&key, EndReason::Closed, ts, out);
        }
    }

    fn open(
        &mut self,
        proto: NetProto,
        src: Endpoint,
        dst: Endpoint,
        ip: &IpView<'_>,
        flags: u8,
        f: &FrameView<'_>,
    ) -> Conversation {
        let src_is_client = match (proto, ip.l4) {
            (NetProto::Tcp, _) if flags & TCP_SYN != 0 => flags & TCP_ACK == 0,
            (NetProto::Icmp, L4::Icmp(i)) => !matches!(i.icmp_type, 0 | 129),
            (NetProto::Tcp | NetProto::Udp, _) => !looks_like_server(src.port, dst.port, proto),
            _ => true,
        };
        let (client, server) = if src_is_client {
            (src, dst)
        } else {
            (dst, src)
        };
        let mut conv = Conversation::new(proto, client, server, f.frame, f.ts_nanos);
        if proto == NetProto::Tcp && flags & TCP_SYN != 0 {
            conv.state = ConnState::Attempt;
        }
        if let Some(s) = self.ftp.expected(&client, &server, f.ts_nanos) {
            conv.service = Some(s);
            conv.evidence = Some(Evidence::Content);
        }
        conv
    }

    /// Marks an attempt failed (an ICMP error or a timeout).
    fn fail(&mut self, key: &Key, why: ConnState, f: &FrameView<'_>, out: &mut NetSink<'_>) {
        let Some(e) = self.table.get_mut(key) else {
            return;
        };
        if e.conv.answered() && e.conv.proto != NetProto::Udp || e.failure_reported {
            return;
        }
        if e.conv.proto == NetProto::Tcp || e.conv.proto == NetProto::Udp {
            e.conv.state = why;
        }
        e.failure_reported = true;
        out(NetEvent::Failed {
            conv: &e.conv,
            frame: f.frame,
            ts_nanos: f.ts_nanos,
        });
    }

    fn end(&mut self, key: &Key, reason: EndReason, ts_nanos: i64, out: &mut NetSink<'_>) {
        let Some(mut e) = self.table.remove(key) else {
            return;
        };
        let conv = &mut e.conv;
        if conv.state == ConnState::Attempt {
            conv.state = ConnState::Unanswered;
            if !e.failure_reported {
                out(NetEvent::Failed {
                    conv,
                    frame: conv.last_frame,
                    ts_nanos: conv.last_ts,
                });
            }
        }
        if !conv.settled {
            conv.settled = true;
            out(NetEvent::Service {
                conv,
                frame: conv.last_frame,
                ts_nanos: conv.last_ts,
            });
        }
        if reason == EndReason::Evicted {
            self.stats.conversations_evicted += 1;
        }
        out(NetEvent::Ended {
            conv,
            reason,
            ts_nanos,
        });
    }

    /// The queue of a conversation's idle deadline.
    fn idle_timer(&self, proto: NetProto) -> usize {
        if proto == NetProto::Tcp { 0 } else { 1 }
    }

    fn limit(&self, timer: usize) -> i64 {
        match timer {
            0 => self.cfg.tcp_idle_ns,
            1 => self.cfg.udp_idle_ns,
            _ => self.cfg.attempt_timeout_ns,
        }
    }

    /// Drops the deadlines of conversations that ended, when the queues
    /// grow well past the table (a flood of short conversations).
    fn compact_timers(&mut self) {
        let total: usize = self.timers.iter().map(|t| t.len()).sum();
        if total > 4 * self.cfg.max_conversations.max(1024) {
            let table = &self.table;
            for t in &mut self.timers {
                t.retain(|(_, k)| table.contains_key(k));
            }
        }
    }

    /// Fails unanswered attempts and ends idle conversations whose
    /// deadlines passed, at most once per second of capture time.
    fn age(&mut self, now: i64, out: &mut NetSink<'_>) {
        if now < self.last_sweep.saturating_add(SECOND) {
            return;
        }
        self.last_sweep = now;
        while let Some(&(due, key)) = self.timers[2].front() {
            if due > now {
                break;
            }
            self.timers[2].pop_front();
            let timeout = self.cfg.attempt_timeout_ns;
            let Some(e) = self.table.get_mut(&key) else {
                continue;
            };
            if e.conv.state != ConnState::Attempt {
                continue;
            }
            if e.conv.last_ts + timeout > now {
                // A retransmitted SYN: wait from that one.
                self.timers[2].push_back((e.conv.last_ts + timeout, key));
                continue;
            }
            e.conv.state = ConnState::Unanswered;
            e.failure_reported = true;
            out(NetEvent::Failed {
                conv: &e.conv,
                frame: e.conv.last_frame,
                ts_nanos: e.conv.last_ts,
            });
        }
        for timer in 0..2 {
            let limit = self.limit(timer);
            while let Some(&(due, key)) = self.timers[timer].front() {
                if due > now {
                    break;
                }
                self.timers[timer].pop_front();
                let Some(e) = self.table.get(&key) else {
                    continue;
                };
                if self.idle_timer(e.conv.proto) != timer {
                    continue;
                }
                let quiet_until = e.conv.last_ts + limit;
                if quiet_until < now {
                    self.end(&key, EndReason::Idle, now, out);
                } else {
                    self.timers[timer].push_back((quiet_until, key));
                }
            }
        }
        self.ftp.expire(now);
    }

    /// Ends the least recently active eighth of a full table.
    fn evict(&mut self, now: i64, out: &mut NetSink<'_>) {
        let mut ages: Vec<(u64, Key)> = self.table.iter().map(|(k, e)| (e.touched, *k)).collect();
        let n = (ages.len() / 8).max(1);
        ages.select_nth_unstable(n - 1);
        ages.truncate(n);
        ages.sort_unstable();
        for (_, key) in ages {
            self.end(&key, EndReason::Evicted, now, out);
        }
    }
}

fn ep(ip: IpAddr, port: u16) -> Endpoint {
    Endpoint { ip, port }
}

/// Without a SYN to go by: the source is the server when its port is a
/// service's and the destination's is not, or it is privileged and the
/// destination's is not.
fn looks_like_server(src_port: u16, dst_port: u16, proto: NetProto) -> bool {
    let tcp = proto == NetProto::Tcp;
    let known = |p| service::by_port(tcp, p).is_some();
    match (known(src_port), known(dst_port)) {
        (true, false) => true,
        (false, true) | (true, true) => false,
        (false, false) => src_port < 1024 && dst_port >= 1024,
    }
}

/// Updates a TCP conversation's state; returns (the attempt failed, the
/// connection is over).
fn tcp_state(conv: &mut Conversation, to_server: bool, flags: u8) -> (bool, bool) {
    let attempt = conv.state == ConnState::Attempt;
    if flags & TCP_RST != 0 {
        conv.state = match (attempt, to_server) {
            // The server refused the connection.
            (true, false) => ConnState::Rejected,
            // The client gave up before any answer.
            (true, true) => ConnState::Unanswered,
            _ => ConnState::Closed,
        };
        return (attempt, true);
    }
    if attempt && !to_server && flags & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK {
        conv.state = ConnState::Established;
    }
    if flags & TCP_FIN != 0 {
        conv.fins[usize::from(!to_server)] = true;
        if conv.fins == [true, true] {
            conv.state = ConnState::Closed;
            return (false, true);
        }
    }
    (false, false)
}

/// Checks a payload's content; returns whether the service is now settled
/// or changed (to report it).
fn recognise(
    conv: &mut Conversation,
    payload: &[u8],
    to_server: bool,
    ftp: &mut ftp::Expectations,
) -> bool {
    if conv.service == Some(Service::Ftp) {
        ftp.control(conv, payload, to_server);
    }
    if conv.probes_left == 0 {
        return false;
    }
    conv.probes_left -= 1;
    let tcp = conv.proto == NetProto::Tcp;
    let before = (conv.service, conv.evidence);
    let content_known = conv.evidence == Some(Evidence::Content);
    match service::by_content(tcp, payload, !to_server) {
        // NetBIOS session set-up is followed by SMB: the later, more
        // specific content wins.
        Some(s) if !content_known || conv.service == Some(Service::Netbios) => {
            conv.service = Some(s);
            conv.evidence = Some(Evidence::Content);
        }
        // A payload that plainly is not the port's protocol.
        None if !content_known
            && conv
                .service
                .is_some_and(|s| !service::port_payload_plausible(s, payload)) =>
        {
            conv.service = None;
            conv.evidence = None;
        }
        _ => {}
    }
    if conv.evidence == Some(Evidence::Content) && conv.service != Some(Service::Netbios) {
        conv.probes_left = 0;
    }
    let changed = (conv.service, conv.evidence) != before;
    let first = !conv.settled;
    conv.settled = true;
    first || (changed && conv.evidence == Some(Evidence::Content))
}

#[cfg(test)]
mod tests;
