//! The whole network in a baseline (schema v2): every host with the
//! services it answered and used and its roles; every conversation class
//! (client, server, service: who talks to whom, on what, who initiates)
//! with its counts and peak volume; how widely each source reaches out
//! (distinct hosts and ports in five minutes, failed attempts, ARP
//! requests); which MACs claimed each IP in ARP; non-IP EtherTypes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::inventory::Role;
use crate::network::{Conversation, NetEvent, NetProto};
use crate::oui::format_mac;
use crate::window::{Bounded, Distinct, FAN_OUT_WINDOW_NS, key_of};

pub const MAX_NET_HOSTS: usize = 20_000;
pub const MAX_CLASSES: usize = 50_000;
/// Services listed per host and direction.
pub const MAX_SERVICES_PER_HOST: usize = 256;
/// Server ports listed per conversation class.
pub const MAX_PORTS_PER_CLASS: usize = 16;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkBaseline {
    pub frames: u64,
    /// IP address -> what it did.
    pub hosts: BTreeMap<String, NetHost>,
    /// `client>server service` -> the class's statistics.
    pub conversations: BTreeMap<String, ConvClass>,
    /// Source IP -> how widely it reached out.
    pub sources: BTreeMap<String, FanOut>,
    /// IP -> MACs that claimed it in ARP replies or announcements.
    pub arp: BTreeMap<String, BTreeSet<String>>,
    /// EtherType (`0x88cc`) -> frames.
    pub non_ip: BTreeMap<String, u64>,
    pub overflow: NetOverflow,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetHost {
    pub macs: BTreeSet<String>,
    /// Services it answered (`ssh`, `tcp/4444`...).
    pub serves: BTreeSet<String>,
    /// Services it used as a client.
    pub uses: BTreeSet<String>,
    pub roles: BTreeSet<Role>,
    pub packets: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvClass {
    pub conversations: u64,
    /// Attempts that were refused or unanswered.
    pub failed: u64,
    pub packets: u64,
    pub bytes: u64,
    /// The most bytes (both ways) one conversation carried in ten seconds.
    pub peak_bytes_10s: u64,
    pub max_bytes_per_conversation: u64,
    /// Server ports seen (a few).
    pub ports: BTreeSet<u16>,
}

/// The most a source did in any five minutes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FanOut {
    /// Distinct hosts it opened conversations to.
    pub hosts: u64,
    /// Distinct ports it tried on one host.
    pub ports_on_one_host: u64,
    pub failed_attempts: u64,
    /// Distinct addresses it asked for in ARP requests.
    pub arp_targets: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetOverflow {
    pub hosts: u64,
    pub conversations: u64,
}

/// The key of a conversation class.
pub fn class_key(client: IpAddr, server: IpAddr, service: &str) -> String {
    format!("{client}>{server} {service}")
}

/// The unordered pair of two hosts (for "these two never talked").
pub fn pair_of(a: IpAddr, b: IpAddr) -> (IpAddr, IpAddr) {
    if a <= b { (a, b) } else { (b, a) }
}

impl NetworkBaseline {
    pub fn merge(&mut self, other: NetworkBaseline) {
        self.frames += other.frames;
        for (ip, h) in other.hosts {
            if !self.hosts.contains_key(&ip) && self.hosts.len() >= MAX_NET_HOSTS {
                self.overflow.hosts += 1;
                continue;
            }
            let mine = self.hosts.entry(ip).or_default();
            mine.macs.extend(h.macs);
            extend_capped(&mut mine.serves, h.serves);
            extend_capped(&mut mine.uses, h.uses);
            mine.roles.extend(h.roles);
            mine.packets += h.packets;
            mine.bytes += h.bytes;
        }
        for (k, c) in other.conversations {
            if !self.conversations.contains_key(&k) && self.conversations.len() >= MAX_CLASSES {
                self.overflow.conversations += 1;
                continue;
            }
            self.conversations.entry(k).or_default().merge(&c);
        }
        for (ip, f) in other.sources {
            let mine = self.sources.entry(ip).or_default();
            mine.hosts = mine.hosts.max(f.hosts);
            mine.ports_on_one_host = mine.ports_on_one_host.max(f.ports_on_one_host);
            mine.failed_attempts = mine.failed_attempts.max(f.failed_attempts);
            mine.arp_targets = mine.arp_targets.max(f.arp_targets);
        }
        for (ip, macs) in other.arp {
            self.arp.entry(ip).or_default().extend(macs);
        }
        for (t, n) in other.non_ip {
            *self.non_ip.entry(t).or_default() += n;
        }
        self.overflow.hosts += other.overflow.hosts;
        self.overflow.conversations += other.overflow.conversations;
    }

    /// Pairs of hosts that exchanged anything, both orders.
    pub fn pairs(&self) -> HashSet<(IpAddr, IpAddr)> {
        self.conversations
            .keys()
            .filter_map(|k| {
                let (pair, _) = k.split_once(' ')?;
                let (c, s) = pair.split_once('>')?;
                Some(pair_of(c.parse().ok()?, s.parse().ok()?))
            })
            .collect()
    }

    /// Parsed host addresses with their entries.
    pub fn host(&self, ip: IpAddr) -> Option<&NetHost> {
        self.hosts.get(&ip.to_string())
    }
}

impl ConvClass {
    fn merge(&mut self, o: &ConvClass) {
        self.conversations += o.conversations;
        self.failed += o.failed;
        self.packets += o.packets;
        self.bytes += o.bytes;
        self.peak_bytes_10s = self.peak_bytes_10s.max(o.peak_bytes_10s);
        self.max_bytes_per_conversation = self
            .max_bytes_per_conversation
            .max(o.max_bytes_per_conversation);
        for p in &o.ports {
            if self.ports.len() < MAX_PORTS_PER_CLASS {
                self.ports.insert(*p);
            }
        }
    }
}

fn extend_capped(into: &mut BTreeSet<String>, from: BTreeSet<String>) {
    for s in from {
        if into.len() >= MAX_SERVICES_PER_HOST {
            return;
        }
        into.insert(s);
    }
}

/// Per-source windows, the same in learning and detection.
#[derive(Debug)]
pub struct FanOutWindows {
    hosts: Bounded<IpAddr, Distinct>,
    ports: Bounded<(IpAddr, IpAddr), Distinct>,
    failed: Bounded<IpAddr, Distinct>,
    arp: Bounded<IpAddr, Distinct>,
}

const MAX_SOURCES: usize = 20_000;
const MAX_WINDOW_ENTRIES: usize = 4096;

impl Default for FanOutWindows {
    fn default() -> Self {
        FanOutWindows {
            hosts: Bounded::new(MAX_SOURCES),
            ports: Bounded::new(4 * MAX_SOURCES),
            failed: Bounded::new(MAX_SOURCES),
            arp: Bounded::new(MAX_SOURCES),
        }
    }
}

fn window() -> Distinct {
    Distinct::new(FAN_OUT_WINDOW_NS, MAX_WINDOW_ENTRIES)
}

/// What one network event changed in a source's fan-out.
#[derive(Debug, Clone, Copy)]
pub enum FanOutUpdate {
    Hosts(IpAddr, u64),
    PortsOnHost(IpAddr, IpAddr, u64),
    Failed(IpAddr, u64),
    ArpTargets(IpAddr, u64),
}

impl FanOutUpdate {
    /// The source host.
    pub fn source(&self) -> IpAddr {
        match *self {
            FanOutUpdate::Hosts(ip, _)
            | FanOutUpdate::PortsOnHost(ip, _, _)
            | FanOutUpdate::Failed(ip, _)
            | FanOutUpdate::ArpTargets(ip, _) => ip,
        }
    }

    /// The count in the window now.
    pub fn value(&self) -> u64 {
        match *self {
            FanOutUpdate::Hosts(_, v)
            | FanOutUpdate::PortsOnHost(_, _, v)
            | FanOutUpdate::Failed(_, v)
            | FanOutUpdate::ArpTargets(_, v) => v,
        }
    }

    /// The learned peak this count is compared with.
    pub fn slot<'f>(&self, f: &'f mut FanOut) -> &'f mut u64 {
        match self {
            FanOutUpdate::Hosts(..) => &mut f.hosts,
            FanOutUpdate::PortsOnHost(..) => &mut f.ports_on_one_host,
            FanOutUpdate::Failed(..) => &mut f.failed_attempts,
            FanOutUpdate::ArpTargets(..) => &mut f.arp_targets,
        }
    }

    /// The learned peak for this kind of count.
    pub fn learned(&self, f: &FanOut) -> u64 {
        match self {
            FanOutUpdate::Hosts(..) => f.hosts,
            FanOutUpdate::PortsOnHost(..) => f.ports_on_one_host,
            FanOutUpdate::Failed(..) => f.failed_attempts,
            FanOutUpdate::ArpTargets(..) => f.arp_targets,
        }
    }
}

impl FanOutWindows {
    /// Updates the windows; returns what changed.
    pub fn update(&mut self, n: &NetEvent<'_>) -> Vec<FanOutUpdate> {
        let mut out = Vec::new();
        match n {
            NetEvent::Packet {
                conv,
                opened: true,
                ts_nanos,
                ..
            } if initiated_unicast(conv) => {
                let c = conv.client.ip;
                let k = ip_key(conv.server.ip);
                let n = self.hosts.entry(c, window).add(*ts_nanos, k);
                out.push(FanOutUpdate::Hosts(c, n as u64));
            }
            NetEvent::Failed { conv, ts_nanos, .. } if !conv.to_group => {
                let (c, s) = (conv.client.ip, conv.server.ip);
                let id = key_of(&[
                    conv.first_frame.to_le_bytes().as_slice(),
                    conv.client.port.to_le_bytes().as_slice(),
                ]);
                // Each attempt is its own key: this counts attempts.
                let attempts = self.failed.entry(c, window).add(*ts_nanos, id);
                out.push(FanOutUpdate::Failed(c, attempts as u64));
                if conv.proto != NetProto::Icmp {
                    let port = key_of(&[conv.server.port.to_le_bytes().as_slice()]);
                    let n = self.ports.entry((c, s), window).add(*ts_nanos, port);
                    out.push(FanOutUpdate::PortsOnHost(c, s, n as u64));
                }
            }
            NetEvent::Arp { arp, ts_nanos, .. } if arp.op == 1 && !arp.claims_binding() => {
                let s = IpAddr::V4(arp.sender_ip);
                let k = key_of(&[&arp.target_ip.octets()]);
                let n = self.arp.entry(s, window).add(*ts_nanos, k);
                out.push(FanOutUpdate::ArpTargets(s, n as u64));
            }
            _ => {}
        }
        out
    }
}

fn ip_key(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(v4) => key_of(&[&v4.octets()]),
        IpAddr::V6(v6) => key_of(&[&v6.octets()]),
    }
}

/// A conversation a host opened to one other host (not a broadcast).
pub fn initiated_unicast(conv: &Conversation) -> bool {
    !conv.to_group && !conv.client.ip.is_unspecified()
}

/// Learns the network part of a baseline from tracker events.
#[derive(Debug, Default)]
pub struct NetLearner {
    pub b: NetworkBaseline,
    fan_out: FanOutWindows,
    /// Services answered per host, for roles.
    served: HashMap<IpAddr, BTreeSet<crate::service::Service>>,
}

impl NetLearner {
    pub fn net(&mut self, n: &NetEvent<'_>) {
        for u in self.fan_out.update(n) {
            let f = self.b.sources.entry(u.source().to_string()).or_default();
            let slot = u.slot(f);
            *slot = (*slot).max(u.value());
        }
        match n {
            NetEvent::Packet {
                conv,
                to_server,
                wire_len,
                ..
            } => {
                self.b.frames += 1;
                let (ip, mac) = if *to_server {
                    (conv.client.ip, conv.client_mac)
                } else {
                    (conv.server.ip, conv.server_mac)
                };
                if let Some(h) = self.host(ip) {
                    h.packets += 1;
                    h.bytes += u64::from(*wire_len);
                    if let Some(m) = mac
                        && h.macs.len() < 8
                    {
                        h.macs.insert(format_mac(&m));
                    }
                }
            }
            NetEvent::Ended { conv, .. } => self.conversation(conv),
            NetEvent::Arp { arp, .. } => {
                self.b.frames += 1;
                if arp.claims_binding() {
                    let set = self.b.arp.entry(arp.sender_ip.to_string()).or_default();
                    if set.len() < 8 {
                        set.insert(format_mac(&arp.sender_mac));
                    }
                }
            }
            NetEvent::NonIp { ethertype, .. } => {
                self.b.frames += 1;
                *self
                    .b
                    .non_ip
                    .entry(format!("{ethertype:#06x}"))
                    .or_default() += 1;
            }
            _ => {}
        }
    }

    fn host(&mut self, ip: IpAddr) -> Option<&mut NetHost> {
        if ip.is_unspecified() || crate::network::is_group(ip) {
            return None;
        }
        let key = ip.to_string();
        if !self.b.hosts.contains_key(&key) && self.b.hosts.len() >= MAX_NET_HOSTS {
            self.b.overflow.hosts += 1;
            return None;
        }
        Some(self.b.hosts.entry(key).or_default())
    }

    fn conversation(&mut self, conv: &Conversation) {
        let service = conv.service_key();
        let key = class_key(conv.client.ip, conv.server.ip, &service);
        if !self.b.conversations.contains_key(&key) && self.b.conversations.len() >= MAX_CLASSES {
            self.b.overflow.conversations += 1;
            return;
        }
        let c = self.b.conversations.entry(key).or_default();
        c.conversations += 1;
        c.failed += u64::from(conv.state.failed());
        c.packets += conv.total_packets();
        c.bytes += conv.total_bytes();
        c.peak_bytes_10s = c.peak_bytes_10s.max(conv.peak_bytes_10s);
        c.max_bytes_per_conversation = c.max_bytes_per_conversation.max(conv.total_bytes());
        if c.ports.len() < MAX_PORTS_PER_CLASS
            && matches!(conv.proto, NetProto::Tcp | NetProto::Udp)
        {
            c.ports.insert(conv.server.port);
        }
        if let Some(h) = self.host(conv.client.ip)
            && h.uses.len() < MAX_SERVICES_PER_HOST
        {
            h.uses.insert(service.clone());
        }
        // Only an answer shows that the server offers the service.
        if conv.answered() && !conv.to_group {
            if let Some(h) = self.host(conv.server.ip)
                && h.serves.len() < MAX_SERVICES_PER_HOST
            {
                h.serves.insert(service);
            }
            if let Some(s) = conv.service {
                self.served.entry(conv.server.ip).or_default().insert(s);
            }
        }
    }

    /// Final roles: the IT services each host answered, plus the ICS roles
    /// the caller learned from decoded events.
    pub fn finish(mut self, ics_roles: &BTreeMap<IpAddr, BTreeSet<Role>>) -> NetworkBaseline {
        for (ip, h) in self.b.hosts.iter_mut() {
            let Ok(addr) = ip.parse::<IpAddr>() else {
                continue;
            };
            let served = self.served.remove(&addr).unwrap_or_default();
            h.roles = crate::inventory::it_roles(&served, !h.uses.is_empty());
            if let Some(r) = ics_roles.get(&addr) {
                h.roles.extend(r.iter().copied());
                if !r.is_empty() {
                    h.roles.remove(&Role::Workstation);
                }
            }
        }
        self.b
    }
}
