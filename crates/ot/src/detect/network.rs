//! Rules over every conversation, not only industrial PDUs. Each looks at
//! one tracker event against the network part of the baseline and says in
//! one sentence what is new and why it matters; severity follows the role
//! of the host on the receiving end (a controller outranks a printer).
//!
//! | rule | fires when | base severity |
//! |---|---|---|
//! | `new_host` | an address never seen in learning sends traffic or claims itself in ARP | medium |
//! | `new_conversation` | two learned hosts that never exchanged anything start to | medium |
//! | `new_service` | a learned pair uses a service the server never offered, or the client never used, or not together | medium (low when both sides knew the service) |
//! | `it_protocol_with_controller` | remote access (SSH, Telnet, RDP, VNC) or file transfer (SMB, FTP, TFTP) answered to or from a controller or outstation, not learned for the pair | high |
//! | `scan` | a source reaches more hosts, ports on one host, failed attempts or ARP targets in five minutes than twice its learned peak and the floor | medium |
//! | `arp_spoofing` | an IP is claimed in ARP by a MAC that is not the one learned or seen for it | high |
//! | `volume` | a conversation carries more bytes in ten seconds than four times its class's learned peak (and 256 KiB more) | medium |
//!
//! Adjustments: one level up when the target is a controller or outstation,
//! one down when it is a printer or plain workstation.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use serde_json::json;

use super::{At, Finding, Severity};
use crate::baseline::network::{
    FanOutUpdate, FanOutWindows, NetHost, NetworkBaseline, class_key, pair_of,
};
use crate::inventory::Role;
use crate::network::{Conversation, NetEvent, is_group};
use crate::oui::{self, Mac, format_mac};
use crate::service::ServiceClass;
use crate::window::Bounded;

/// Floors below which fan-out is never a scan (Zeek's scan policy uses 25
/// hosts and 15 ports in five minutes).
pub const SCAN_HOSTS: u64 = 25;
pub const SCAN_PORTS: u64 = 15;
pub const SCAN_FAILED: u64 = 20;
pub const SCAN_ARP: u64 = 25;
/// Ten-second volume above this many times the learned peak...
pub const VOLUME_FACTOR: u64 = 4;
/// ...and at least this much above it.
pub const VOLUME_MARGIN: u64 = 256 * 1024;

/// Running state of the network rules.
#[derive(Debug)]
pub struct NetState {
    /// Learned pairs of hosts (either order).
    pairs: HashSet<(IpAddr, IpAddr)>,
    fan_out: FanOutWindows,
    /// The MAC each IP last claimed in ARP during this run.
    arp_now: Bounded<Ipv4Addr, Mac>,
    /// Roles shown by this run's industrial traffic.
    pub live_roles: Bounded<IpAddr, BTreeSet<Role>>,
    /// Learned MAC -> the addresses it had.
    learned_macs: HashMap<String, BTreeSet<String>>,
    /// The learned hosts by address (the baseline keys them by text).
    hosts: HashMap<IpAddr, NetHost>,
    /// Addresses that claimed themselves in ARP during learning.
    arp_learned: HashSet<IpAddr>,
    /// Scans already alerted, with their severity.
    scans_reported: Bounded<String, Severity>,
}

impl NetState {
    pub fn new(nb: Option<&NetworkBaseline>) -> Self {
        NetState {
            pairs: nb.map(NetworkBaseline::pairs).unwrap_or_default(),
            fan_out: FanOutWindows::default(),
            arp_now: Bounded::new(200_000),
            live_roles: Bounded::new(200_000),
            learned_macs: nb.map(mac_index).unwrap_or_default(),
            hosts: nb
                .map(|n| {
                    n.hosts
                        .iter()
                        .filter_map(|(ip, h)| Some((ip.parse().ok()?, h.clone())))
                        .collect()
                })
                .unwrap_or_default(),
            arp_learned: nb
                .map(|n| n.arp.keys().filter_map(|ip| ip.parse().ok()).collect())
                .unwrap_or_default(),
            scans_reported: Bounded::new(100_000),
        }
    }

    fn host(&self, ip: IpAddr) -> Option<&NetHost> {
        self.hosts.get(&ip)
    }
}

fn mac_index(nb: &NetworkBaseline) -> HashMap<String, BTreeSet<String>> {
    let mut index: HashMap<String, BTreeSet<String>> = HashMap::new();
    let hosts = nb.hosts.iter().map(|(ip, h)| (ip, &h.macs));
    for (ip, macs) in hosts.chain(nb.arp.iter()) {
        for m in macs {
            index.entry(m.clone()).or_default().insert(ip.clone());
        }
    }
    index
}

/// The roles known for a host: learned, and shown in this run.
fn roles(_nb: Option<&NetworkBaseline>, st: &NetState, ip: IpAddr) -> BTreeSet<Role> {
    let mut r: BTreeSet<Role> = st.host(ip).map(|h| h.roles.clone()).unwrap_or_default();
    if let Some(live) = st.live_roles.map.get(&ip) {
        r.extend(live.iter().copied());
    }
    r
}

fn rank(roles: &BTreeSet<Role>) -> i8 {
    roles.iter().map(|r| r.weight()).max().unwrap_or(0)
}

/// Severity adjusted for the target's role.
pub fn for_target(base: Severity, target_roles: &BTreeSet<Role>) -> Severity {
    use Severity::*;
    let levels = [Low, Medium, High, Critical];
    let i = levels.iter().position(|l| *l == base).unwrap_or(1) as i8;
    let shift = match rank(target_roles) {
        2 => 1,
        r if r < 0 => -1,
        _ => 0,
    };
    levels[(i + shift).clamp(0, 3) as usize]
}

/// `10.0.0.5 (controller, Siemens)`: an address with what is known of it.
fn label(nb: Option<&NetworkBaseline>, st: &NetState, ip: IpAddr, mac: Option<Mac>) -> String {
    let mut parts: Vec<String> = roles(nb, st, ip)
        .iter()
        .map(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                .unwrap_or_default()
        })
        .collect();
    if let Some(v) = mac.as_ref().and_then(oui::vendor) {
        parts.push(v.to_string());
    }
    if parts.is_empty() {
        ip.to_string()
    } else {
        format!("{ip} ({})", parts.join(", "))
    }
}

fn role_names(r: &BTreeSet<Role>) -> serde_json::Value {
    json!(r)
}

pub fn net_rules(
    nb: Option<&NetworkBaseline>,
    st: &mut NetState,
    n: &NetEvent<'_>,
    out: &mut Vec<(At, Finding)>,
) {
    for u in st.fan_out.update(n) {
        if let Some(f) = scan(nb, st, &u, n) {
            out.push((at_of(n), f));
        }
    }
    match n {
        NetEvent::Packet {
            conv,
            to_server,
            opened,
            frame,
            ts_nanos,
            ..
        } => {
            let at = At {
                frame: *frame,
                ts_nanos: *ts_nanos,
            };
            // Per conversation, not per packet: its opening, the server's
            // first answer, and the service once known.
            let first_answer = !*to_server && conv.packets[1] == 1;
            if let Some(nb) = nb {
                if *opened || first_answer {
                    out.extend(new_host(nb, st, conv, *to_server).map(|f| (at, f)));
                }
                if *opened {
                    out.extend(new_conversation(nb, st, conv).map(|f| (at, f)));
                }
                // Cheap test first: the limit is at least the margin.
                if conv.recent_bytes > VOLUME_MARGIN {
                    out.extend(volume(nb, st, conv).map(|f| (at, f)));
                }
            }
            if first_answer && conv.settled {
                out.extend(service_rules(nb, st, conv).map(|f| (at, f)));
            }
        }
        NetEvent::Service {
            conv,
            frame,
            ts_nanos,
        } if conv.answered() => {
            let at = At {
                frame: *frame,
                ts_nanos: *ts_nanos,
            };
            out.extend(service_rules(nb, st, conv).map(|f| (at, f)));
        }
        NetEvent::Arp {
            arp,
            frame,
            ts_nanos,
            ..
        } if arp.claims_binding() => {
            let at = At {
                frame: *frame,
                ts_nanos: *ts_nanos,
            };
            out.extend(arp_spoofing(nb, st, arp.sender_ip, arp.sender_mac).map(|f| (at, f)));
            if let Some(nb) = nb {
                let ip = IpAddr::V4(arp.sender_ip);
                if st.host(ip).is_none() && !st.arp_learned.contains(&ip) {
                    out.push((
                        at,
                        new_host_finding(
                            Some(nb),
                            st,
                            ip,
                            Some(arp.sender_mac),
                            None,
                            "announced itself in ARP",
                        ),
                    ));
                }
            }
        }
        _ => {}
    }
}

/// The rules about what a conversation carries, once the server answered
/// and the service is known.
fn service_rules(
    nb: Option<&NetworkBaseline>,
    st: &NetState,
    conv: &Conversation,
) -> Option<Finding> {
    if conv.to_group {
        return None;
    }
    it_protocol_with_controller(nb, st, conv)
        .or_else(|| nb.and_then(|nb| new_service(nb, st, conv)))
}

fn at_of(n: &NetEvent<'_>) -> At {
    let (frame, ts_nanos) = match n {
        NetEvent::Packet {
            frame, ts_nanos, ..
        }
        | NetEvent::Service {
            frame, ts_nanos, ..
        }
        | NetEvent::Failed {
            frame, ts_nanos, ..
        }
        | NetEvent::Arp {
            frame, ts_nanos, ..
        }
        | NetEvent::NonIp {
            frame, ts_nanos, ..
        } => (*frame, *ts_nanos),
        NetEvent::Ended { conv, ts_nanos, .. } => (conv.last_frame, *ts_nanos),
    };
    At { frame, ts_nanos }
}

fn base(
    rule: &'static str,
    severity: Severity,
    subject: String,
    conv: &Conversation,
    explanation: String,
    evidence: serde_json::Value,
) -> Finding {
    Finding {
        rule,
        severity,
        subject,
        src: conv.client.ip.to_string(),
        dst: conv.server.ip.to_string(),
        protocol: None,
        explanation,
        evidence,
    }
}

fn new_host(
    nb: &NetworkBaseline,
    st: &NetState,
    conv: &Conversation,
    to_server: bool,
) -> Option<Finding> {
    let (ip, mac, peer) = if to_server {
        (conv.client.ip, conv.client_mac, conv.server.ip)
    } else {
        (conv.server.ip, conv.server_mac, conv.client.ip)
    };
    if ip.is_unspecified() || is_group(ip) || st.host(ip).is_some() {
        return None;
    }
    // IPv6 hosts take new (temporary, link-local) addresses all the time;
    // a known interface with one is not a new host.
    let known_interface = mac.and_then(|m| st.learned_macs.get(&format_mac(&m)));
    if ip.is_ipv6() && known_interface.is_some() {
        return None;
    }
    let what = if conv.to_group {
        format!("sent {} to {}", conv.service_key(), peer)
    } else {
        let service = conv
            .service
            .map_or_else(|| conv.service_key(), |s| s.label().to_string());
        format!(
            "exchanged {service} with {}",
            label(Some(nb), st, peer, None)
        )
    };
    let what = match known_interface {
        Some(ips) => format!(
            "{what} from MAC {}, which during learning had {}",
            mac.map(|m| format_mac(&m)).unwrap_or_default(),
            ips.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
        ),
        None => what,
    };
    let mut f = new_host_finding(Some(nb), st, ip, mac, Some(peer), &what);
    f.src = conv.client.ip.to_string();
    f.dst = conv.server.ip.to_string();
    Some(f)
}

fn new_host_finding(
    nb: Option<&NetworkBaseline>,
    st: &NetState,
    ip: IpAddr,
    mac: Option<Mac>,
    peer: Option<IpAddr>,
    what: &str,
) -> Finding {
    let peer_roles = peer.map(|p| roles(nb, st, p)).unwrap_or_default();
    // One alert per new host; it is raised when the host later reaches a
    // more important peer (a controller).
    Finding {
        rule: "new_host",
        severity: for_target(Severity::Medium, &peer_roles),
        subject: ip.to_string(),
        src: ip.to_string(),
        dst: peer.map_or_else(String::new, |p| p.to_string()),
        protocol: None,
        explanation: format!(
            "{} {what}, but it never appeared on the network during learning.",
            label(nb, st, ip, mac)
        ),
        evidence: json!({"host": ip.to_string(), "mac": mac.map(|m| format_mac(&m)),
                         "mac_vendor": mac.as_ref().and_then(oui::vendor),
                         "peer": peer.map(|p| p.to_string()), "peer_roles": role_names(&peer_roles)}),
    }
}

fn new_conversation(nb: &NetworkBaseline, st: &NetState, conv: &Conversation) -> Option<Finding> {
    let (c, s) = (conv.client.ip, conv.server.ip);
    if conv.to_group
        || st.host(c).is_none()
        || st.host(s).is_none()
        || st.pairs.contains(&pair_of(c, s))
    {
        return None;
    }
    let target = roles(Some(nb), st, s);
    Some(base(
        "new_conversation",
        for_target(Severity::Medium, &target),
        format!("{} {}", pair_of(c, s).0, pair_of(c, s).1),
        conv,
        format!(
            "{} opened {} to {}; these two hosts never exchanged anything during learning.",
            label(Some(nb), st, c, conv.client_mac),
            conv.service
                .map_or_else(|| conv.service_key(), |s| s.label().to_string()),
            label(Some(nb), st, s, conv.server_mac)
        ),
        json!({"client": c.to_string(), "server": s.to_string(), "service": conv.service_key(),
               "port": conv.server.port, "server_roles": role_names(&target)}),
    ))
}

fn new_service(nb: &NetworkBaseline, st: &NetState, conv: &Conversation) -> Option<Finding> {
    let (c, s) = (conv.client.ip, conv.server.ip);
    let service = conv.service_key();
    let key = class_key(c, s, &service);
    let (Some(client), Some(server)) = (st.host(c), st.host(s)) else {
        return None;
    };
    if nb.conversations.contains_key(&key) || !st.pairs.contains(&pair_of(c, s)) {
        return None;
    }
    let name = conv
        .service
        .map_or_else(|| service.clone(), |s| s.label().to_string());
    let target = roles(Some(nb), st, s);
    let (severity, why, what) = if !server.serves.contains(&service) {
        (
            Severity::Medium,
            "server",
            format!(
                "{} answered {name} from {}; it never offered {name} during learning.",
                label(Some(nb), st, s, conv.server_mac),
                c
            ),
        )
    } else if !client.uses.contains(&service) {
        (
            Severity::Medium,
            "client",
            format!(
                "{} used {name} with {}; it never used {name} during learning.",
                label(Some(nb), st, c, conv.client_mac),
                label(Some(nb), st, s, conv.server_mac)
            ),
        )
    } else {
        (
            Severity::Low,
            "pair",
            format!(
                "{c} and {} used {name} together for the first time (each did with other hosts during learning).",
                label(Some(nb), st, s, conv.server_mac)
            ),
        )
    };
    Some(base(
        "new_service",
        for_target(severity, &target),
        key,
        conv,
        what,
        json!({"service": service, "port": conv.server.port, "recognised_by": conv.evidence,
               "new_for": why, "server_roles": role_names(&target)}),
    ))
}

fn it_protocol_with_controller(
    nb: Option<&NetworkBaseline>,
    st: &NetState,
    conv: &Conversation,
) -> Option<Finding> {
    let service = conv.service?;
    let class = service.class();
    if !matches!(
        class,
        ServiceClass::RemoteAccess | ServiceClass::FileTransfer
    ) {
        return None;
    }
    let (c, s) = (conv.client.ip, conv.server.ip);
    let key = class_key(c, s, service.name());
    if nb.is_some_and(|nb| nb.conversations.contains_key(&key)) {
        return None;
    }
    let (client_roles, server_roles) = (roles(nb, st, c), roles(nb, st, s));
    let is_controller =
        |r: &BTreeSet<Role>| r.contains(&Role::Controller) || r.contains(&Role::Outstation);
    let (controller, target) = if is_controller(&server_roles) {
        (s, &server_roles)
    } else if is_controller(&client_roles) {
        (c, &client_roles)
    } else {
        return None;
    };
    let kind = if class == ServiceClass::RemoteAccess {
        "remote access"
    } else {
        "file transfer"
    };
    let direction = if controller == s {
        format!("to {}", label(nb, st, s, conv.server_mac))
    } else {
        format!("from {}", label(nb, st, c, conv.client_mac))
    };
    // Into a controller is the graver way round.
    let base_severity = Severity::High;
    let severity = if controller == s {
        for_target(base_severity, target)
    } else {
        base_severity
    };
    Some(base(
        "it_protocol_with_controller",
        severity,
        key,
        conv,
        format!(
            "{} {kind} {direction}: {} {} {}, which never happened during learning.",
            service.label(),
            c,
            if controller == s {
                "connected to"
            } else {
                "was reached by"
            },
            if controller == s {
                s.to_string()
            } else {
                format!("{s} from the controller")
            }
        ),
        json!({"service": service, "class": class, "port": conv.server.port,
               "recognised_by": conv.evidence, "controller": controller.to_string(),
               "controller_roles": role_names(target)}),
    ))
}

fn scan(
    nb: Option<&NetworkBaseline>,
    st: &mut NetState,
    u: &FanOutUpdate,
    n: &NetEvent<'_>,
) -> Option<Finding> {
    let src = u.source();
    let learned = nb
        .and_then(|nb| nb.sources.get(&src.to_string()))
        .map_or(0, |f| u.learned(f));
    let (floor, kind, what) = match u {
        FanOutUpdate::Hosts(..) => (
            SCAN_HOSTS,
            "hosts",
            "opened conversations to {n} different hosts",
        ),
        FanOutUpdate::PortsOnHost(..) => (
            SCAN_PORTS,
            "ports",
            "tried {n} different ports on {dst} without success",
        ),
        FanOutUpdate::Failed(..) => (
            SCAN_FAILED,
            "failed",
            "made {n} connection attempts that were refused or unanswered",
        ),
        FanOutUpdate::ArpTargets(..) => (SCAN_ARP, "arp", "asked ARP for {n} different addresses"),
    };
    let value = u.value();
    if value < floor || value <= 2 * learned {
        return None;
    }
    let subject = match u {
        FanOutUpdate::PortsOnHost(_, dst, _) => format!("{src} ports {dst}"),
        _ => format!("{src} {kind}"),
    };
    // A scan in progress repeats its alert with every attempt: count it
    // without composing the sentence again.
    if let Some(severity) = st.scans_reported.map.get(&subject) {
        return Some(Finding {
            rule: "scan",
            severity: *severity,
            subject,
            src: String::new(),
            dst: String::new(),
            protocol: None,
            explanation: String::new(),
            evidence: serde_json::Value::Null,
        });
    }
    let target = match u {
        FanOutUpdate::PortsOnHost(_, dst, _) => Some(*dst),
        _ => match n {
            NetEvent::Packet { conv, .. } | NetEvent::Failed { conv, .. } => Some(conv.server.ip),
            _ => None,
        },
    };
    let target_roles = target.map(|t| roles(nb, st, t)).unwrap_or_default();
    let dst_text = target.map_or_else(String::new, |t| label(nb, st, t, None));
    let sentence = what
        .replace("{n}", &value.to_string())
        .replace("{dst}", &dst_text);
    let severity = for_target(Severity::Medium, &target_roles);
    st.scans_reported.entry(subject.clone(), || severity);
    Some(Finding {
        rule: "scan",
        severity,
        subject,
        src: src.to_string(),
        dst: target.map_or_else(String::new, |t| t.to_string()),
        protocol: None,
        explanation: format!(
            "{src} {sentence} within five minutes{}.",
            if learned > 0 {
                format!(" (at most {learned} during learning)")
            } else {
                String::new()
            }
        ),
        evidence: json!({"kind": kind, "count_5min": value, "learned_peak": learned, "floor": floor,
                         "target": target.map(|t| t.to_string()), "target_roles": role_names(&target_roles)}),
    })
}

fn arp_spoofing(
    nb: Option<&NetworkBaseline>,
    st: &mut NetState,
    ip: Ipv4Addr,
    mac: Mac,
) -> Option<Finding> {
    let addr = IpAddr::V4(ip);
    let mac_text = format_mac(&mac);
    let before = st.arp_now.entry(ip, || mac);
    let previous = std::mem::replace(before, mac);
    let mut learned: BTreeSet<String> = BTreeSet::new();
    if let Some(nb) = nb {
        learned.extend(nb.arp.get(&addr.to_string()).into_iter().flatten().cloned());
        learned.extend(
            nb.host(addr)
                .into_iter()
                .flat_map(|h| h.macs.iter().cloned()),
        );
    }
    // A flip between MACs both learned for the address (two interfaces,
    // a redundant pair) is known behaviour.
    let unlearned = !learned.is_empty() && !learned.contains(&mac_text);
    let changed_now = previous != mac && (learned.is_empty() || unlearned);
    if !changed_now && !unlearned {
        return None;
    }
    let roles = roles(nb, st, addr);
    let was = if changed_now {
        format_mac(&previous)
    } else {
        learned.iter().cloned().collect::<Vec<_>>().join(", ")
    };
    Some(Finding {
        rule: "arp_spoofing",
        severity: for_target(Severity::High, &roles),
        subject: format!("{addr} {mac_text}"),
        src: addr.to_string(),
        dst: String::new(),
        protocol: None,
        explanation: format!(
            "{} is now claimed in ARP by {mac_text}{}, not by {was} as {}: traffic for it can be diverted (ARP spoofing).",
            label(nb, st, addr, None),
            oui::vendor(&mac).map_or_else(String::new, |v| format!(" ({v})")),
            if changed_now {
                "moments before"
            } else {
                "during learning"
            }
        ),
        evidence: json!({"ip": addr.to_string(), "mac": mac_text, "previous_macs": was,
                         "roles": role_names(&roles)}),
    })
}

fn volume(nb: &NetworkBaseline, st: &NetState, conv: &Conversation) -> Option<Finding> {
    let service = conv.service_key();
    let key = class_key(conv.client.ip, conv.server.ip, &service);
    let learned = nb.conversations.get(&key)?;
    let peak = learned.peak_bytes_10s;
    let limit = (peak * VOLUME_FACTOR).max(peak + VOLUME_MARGIN);
    if conv.recent_bytes <= limit {
        return None;
    }
    let target = roles(Some(nb), st, conv.server.ip);
    Some(base(
        "volume",
        for_target(Severity::Medium, &target),
        key.clone(),
        conv,
        format!(
            "{} and {} moved {} bytes of {} in ten seconds; during learning this conversation never carried more than {peak}.",
            conv.client.ip,
            label(Some(nb), st, conv.server.ip, conv.server_mac),
            conv.recent_bytes,
            conv.service
                .map_or_else(|| service.clone(), |s| s.label().to_string()),
        ),
        json!({"class": key, "bytes_10s": conv.recent_bytes, "learned_peak_10s": peak, "limit": limit}),
    ))
}

/// Records the roles an industrial event shows for this run.
pub fn learn_live_roles(st: &mut NetState, e: &crate::Event<'_>) {
    if e.is_malformed() {
        return;
    }
    let (client, server) = crate::ops::client_server(e);
    let (server_role, client_role) = match e.protocol {
        crate::Protocol::Dnp3 | crate::Protocol::Iec104 => (Role::Outstation, Role::Master),
        _ => (Role::Controller, Role::Hmi),
    };
    st.live_roles
        .entry(server.ip, BTreeSet::new)
        .insert(server_role);
    st.live_roles
        .entry(client.ip, BTreeSet::new)
        .insert(client_role);
}
