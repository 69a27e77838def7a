//! The detection rules. Each is one function that looks at an event (or a
//! packet) against the baseline and pushes at most one [`Finding`].
//!
//! | rule | severity |
//! |---|---|
//! | `new_talker` | high when the new host talks to a learned server (a PLC, outstation), else medium |
//! | `new_flow` | medium (only between hosts both learned; a new host is `new_talker`) |
//! | `new_operation` | by category: session/read low, other medium, diagnostic/write/control/configuration/file high, restart/stop-run/program/firmware critical. On a pair never learned, only operations that change something are reported; not for link supervision (keep-alives, transport acks) nor for replies that only echo a new request |
//! | `address_range` | medium, high for writes and commands (requests only; one alert per pair, operation and address space; not for an operation that is itself new) |
//! | `value_range` | medium; one alert per response (the registers out of range in it listed); a counter (never fell, rose at least 5 times while learning) only when it falls below its learned minimum |
//! | `rate` | high: PDUs per second above three times the learned peak (and at least 20 more); 100/s on a pair never learned |
//! | `timing` | medium: an operation repeating faster than half its learned minimum interval (and three deviations below its mean), two intervals in a row; requests only where replies just answer them |
//! | `malformed_pdu` | medium, unless learned for the pair |
//! | `oversized_pdu` | high: a PDU over a protocol or reassembly size bound |
//! | `unusual_port` | medium: a decoded protocol on a port other than its registered one, on a flow not learned |
//! | `unknown_protocol_on_ics_port` | medium: a flow to a registered ICS port whose first payload (after a seen SYN) is not that protocol, unless the pair sent undecodable PDUs during learning |

use serde_json::json;

use super::{Finding, Severity, State};
use crate::baseline::{
    Baseline, MIN_SAMPLES, ValueRange, flow_key, malformed_op, pair_key, single_write_value,
};
use crate::event::{Event, EventKind, Transport};
use crate::observe::PacketView;
use crate::ops::{self, Category, Operation};
use crate::oui;
use crate::values::RegisterValue;
use crate::{Endpoint, Protocol};

/// The protocol's everyday name, for sentences.
pub fn protocol_label(p: Protocol) -> &'static str {
    p.label()
}

fn host_label(state: &State, ip: std::net::IpAddr) -> String {
    match state.macs.get(&ip).and_then(oui::vendor) {
        Some(v) => format!("{ip} ({v})"),
        None => ip.to_string(),
    }
}

pub fn event_rules(b: &Baseline, st: &mut State, e: &Event<'_>, out: &mut Vec<Finding>) {
    let (client, server) = ops::client_server(e);
    let pk = pair_key(client.ip, server.ip, e.protocol);
    let op = ops::operation(e);
    // With the network learned, new hosts and pairs are the network
    // rules' (new_host, new_conversation, new_service): one alert each.
    if b.network.is_none() {
        out.extend(new_talker(b, st, e, client, server));
        out.extend(new_flow(b, e, client, server));
    }
    out.extend(unusual_port(b, e, client, server));
    out.extend(rate(b, st, e, &pk, client, server));
    match &op {
        // Keep-alives and transport acknowledgements are neither new
        // operations nor timing anomalies (see `ops::is_link_supervision`);
        // floods of them are still `rate`.
        Some(op) if ops::is_link_supervision(e.protocol, &op.key) => {}
        Some(op) => {
            // One PDU, one alert: an operation never learned already says
            // that its addresses are new.
            match new_operation(b, e, &pk, op, client, server) {
                Some(f) => out.push(f),
                None => out.extend(address_range(b, e, &pk, op, client, server)),
            }
            out.extend(timing(b, st, e, &pk, op, client, server));
            out.extend(write_value(b, e, server));
        }
        None => out.extend(malformed(b, e, &pk, client, server)),
    }
}

/// Protocols whose replies only answer a request (no unsolicited data):
/// a reply's novelty and timing are its request's.
fn replies_mirror_requests(p: Protocol) -> bool {
    matches!(
        p,
        Protocol::Modbus | Protocol::S7comm | Protocol::S7commPlus | Protocol::Enip
    )
}

pub fn packet_rules(b: &Baseline, st: &mut State, p: &PacketView<'_>, out: &mut Vec<Finding>) {
    out.extend(unknown_protocol_on_ics_port(b, st, p));
    let mut seen = Vec::new();
    st.values.packet(p, &mut |v| seen.push(v));
    out.extend(value_range(st, &seen, p));
}

/// The learned polled-register ranges by point, parsed once from the
/// baseline's `server/unit/hr|ir/address` keys, so that checking a value
/// formats nothing.
pub fn polled_points(
    b: &Baseline,
) -> std::collections::HashMap<(std::net::IpAddr, u8, u8, u16), crate::baseline::ValueRange> {
    b.values
        .iter()
        .filter_map(|(k, v)| {
            let mut parts = k.split('/');
            let server = parts.next()?.parse().ok()?;
            let unit = parts.next()?.parse().ok()?;
            let function = match parts.next()? {
                "hr" => 3,
                "ir" => 4,
                _ => return None,
            };
            let address = parts.next()?.parse().ok()?;
            Some(((server, unit, function, address), *v))
        })
        .collect()
}

fn base(
    rule: &'static str,
    severity: Severity,
    subject: String,
    e: &Event<'_>,
    explanation: String,
    evidence: serde_json::Value,
) -> Finding {
    Finding {
        rule,
        severity,
        subject,
        src: e.src.ip.to_string(),
        dst: e.dst.ip.to_string(),
        protocol: Some(e.protocol),
        explanation,
        evidence,
    }
}

/// A host that never appeared in learning.
fn new_talker(
    b: &Baseline,
    st: &State,
    e: &Event<'_>,
    client: Endpoint,
    server: Endpoint,
) -> Option<Finding> {
    let (new, peer) = if !b.hosts.contains_key(&client.ip.to_string()) {
        (client.ip, server.ip)
    } else if !b.hosts.contains_key(&server.ip.to_string()) {
        (server.ip, client.ip)
    } else {
        return None;
    };
    let peer_is_learned_server = b.flows.keys().any(|k| {
        k.split_once('>')
            .is_some_and(|(_, s)| s.starts_with(&format!("{peer}:")))
    });
    let severity = if new == client.ip && peer_is_learned_server {
        Severity::High
    } else {
        Severity::Medium
    };
    Some(base(
        "new_talker",
        severity,
        new.to_string(),
        e,
        format!(
            "{} talked {} with {}, but it never appeared on the network during learning.",
            host_label(st, new),
            protocol_label(e.protocol),
            host_label(st, peer)
        ),
        json!({"host": new.to_string(), "peer": peer.to_string(),
               "role": if new == client.ip { "client" } else { "server" }}),
    ))
}

/// A new client/server/port combination between hosts both learned.
fn new_flow(b: &Baseline, e: &Event<'_>, client: Endpoint, server: Endpoint) -> Option<Finding> {
    let key = flow_key(client.ip, server, e.transport, e.protocol);
    if b.flows.contains_key(&key)
        || !b.hosts.contains_key(&client.ip.to_string())
        || !b.hosts.contains_key(&server.ip.to_string())
    {
        return None;
    }
    Some(base(
        "new_flow",
        Severity::Medium,
        key.clone(),
        e,
        format!(
            "{} opened {} communication to {} port {}, which never happened during learning.",
            client.ip,
            protocol_label(e.protocol),
            server.ip,
            server.port
        ),
        json!({"flow": key}),
    ))
}

fn new_operation_severity(c: Category) -> Severity {
    match c {
        Category::Session | Category::Read => Severity::Low,
        Category::Other => Severity::Medium,
        Category::Diagnostic
        | Category::Write
        | Category::Control
        | Category::Configuration
        | Category::File => Severity::High,
        Category::Restart | Category::StopRun | Category::Program | Category::Firmware => {
            Severity::Critical
        }
    }
}

/// An operation the pair never performed during learning.
fn new_operation(
    b: &Baseline,
    e: &Event<'_>,
    pk: &str,
    op: &Operation,
    client: Endpoint,
    server: Endpoint,
) -> Option<Finding> {
    let learned = b.pairs.get(pk);
    if learned.is_some_and(|p| p.operations.contains_key(&op.key)) {
        return None;
    }
    // On a pair never seen, new_talker/new_flow already speak; add only
    // the operations that change something.
    if learned.is_none() && !op.category.is_change() {
        return None;
    }
    // A reply to a request that was itself new adds nothing: the request's
    // alert covers it. (DNP3 and IEC 104 replies carry their own content,
    // except IEC 104 confirmations of commands, which echo them.)
    if !e.to_server && replies_mirror_requests(e.protocol) && !op.key.contains("exception") {
        let request_key = op.key.replacen("rsp ", "req ", 1);
        if !learned.is_some_and(|p| p.operations.contains_key(&request_key)) {
            return None;
        }
    }
    if let Some(request) = ops::iec104_confirmed_request(&op.key)
        && !learned.is_some_and(|p| p.operations.keys().any(|k| k.starts_with(&request)))
    {
        return None;
    }
    let explanation = if e.to_server {
        format!(
            "{} sent {} '{}' ({}) to {}, which it never did during learning.",
            client.ip,
            protocol_label(e.protocol),
            op.name,
            op.category.name(),
            server.ip
        )
    } else {
        format!(
            "{} answered {} with a kind of {} '{}' reply never seen during learning.",
            server.ip,
            client.ip,
            protocol_label(e.protocol),
            op.name
        )
    };
    Some(base(
        "new_operation",
        new_operation_severity(op.category),
        format!("{pk} {}", op.key),
        e,
        explanation,
        json!({"operation": op.key, "name": op.name, "category": op.category,
               "addresses": op.ranges.iter().map(|r| json!({"space": r.space, "lo": r.lo, "hi": r.hi})).collect::<Vec<_>>()}),
    ))
}

/// Addresses outside the ranges the pair touched while learning.
fn address_range(
    b: &Baseline,
    e: &Event<'_>,
    pk: &str,
    op: &Operation,
    client: Endpoint,
    server: Endpoint,
) -> Option<Finding> {
    // Only what a client asks for: the addresses an outstation reports
    // spontaneously follow the process, not the client's intent.
    if !e.to_server {
        return None;
    }
    let pair = b.pairs.get(pk)?;
    let r = op
        .ranges
        .iter()
        .find(|r| b.covers(pk, &r.space, r.lo, r.hi) != Some(true))?;
    let learned = pair.ranges.get(&r.space).cloned().unwrap_or_default();
    let severity = if op.category.is_change() {
        Severity::High
    } else {
        Severity::Medium
    };
    Some(base(
        "address_range",
        severity,
        // One alert per operation and address space: a client reading
        // a new region in many windows is one behaviour; repeats count.
        format!("{pk} {} {}", op.key, r.space),
        e,
        format!(
            "{} sent {} '{}' to {} for {} {}..{}, outside the addresses it used during learning.",
            client.ip,
            protocol_label(e.protocol),
            op.name,
            server.ip,
            r.space,
            r.lo,
            r.hi
        ),
        json!({"operation": op.key, "space": r.space, "lo": r.lo, "hi": r.hi, "learned": learned}),
    ))
}

/// Whether `v` lies outside the learned `[min, max]`, widened by a tenth of
/// its span (at least 1) so that a steady value's noise is not an alert.
fn outside(min: i64, max: i64, v: i64) -> bool {
    let margin = ((max - min) / 10).max(1);
    v < min - margin || v > max + margin
}

/// Whether a polled value is out of its learned range; a counter only when
/// it falls below its learned minimum (see [`ValueRange::is_counter`]).
fn value_out_of_range(learned: &ValueRange, v: i64) -> bool {
    let out = outside(learned.min, learned.max, v);
    if learned.is_counter() {
        out && v < learned.min
    } else {
        out
    }
}

/// Polled register values outside their learned ranges. Those that one
/// packet of replies reports together are one alert, named after the
/// first and listing the others: a device that restarts or is reconfigured
/// changes many registers at once.
fn value_range(st: &State, values: &[RegisterValue], p: &PacketView<'_>) -> Option<Finding> {
    let mut off = values.iter().filter_map(|v| {
        let learned = st.polled.get(&(v.server, v.unit, v.function, v.address))?;
        (learned.count >= MIN_SAMPLES && value_out_of_range(learned, v.value as i64))
            .then_some((v, learned))
    });
    let (v, learned) = off.next()?;
    let others: Vec<(&RegisterValue, &ValueRange)> = off.collect();
    let key = v.point_key();
    let counter = if learned.is_counter() {
        " (a counter: it only rose during learning)"
    } else {
        ""
    };
    let more = match others.len() {
        0 => String::new(),
        n => {
            format!(" {n} more registers in the same reply were outside their learned ranges too.")
        }
    };
    Some(Finding {
        rule: "value_range",
        severity: Severity::Medium,
        subject: key.clone(),
        src: p.src.ip.to_string(),
        dst: p.dst.ip.to_string(),
        protocol: Some(Protocol::Modbus),
        explanation: format!(
            "{} reported {} in Modbus unit {} register {}, outside the {}..{} seen during learning{counter}.{more}",
            v.server, v.value, v.unit, v.address, learned.min, learned.max
        ),
        evidence: json!({"point": key, "value": v.value, "learned_min": learned.min,
                         "learned_max": learned.max, "counter": learned.is_counter(),
                         "also": others.iter().take(16).map(|(o, l)| json!({
                             "point": o.point_key(), "value": o.value,
                             "learned_min": l.min, "learned_max": l.max})).collect::<Vec<_>>(),
                         "also_count": others.len()}),
    })
}

/// A single coil/register write of a value never written while learning.
fn write_value(b: &Baseline, e: &Event<'_>, server: Endpoint) -> Option<Finding> {
    let (key, value) = single_write_value(e, server.ip)?;
    let learned = b.values.get(&key)?;
    if learned.count < MIN_SAMPLES || !outside(learned.min, learned.max, value) {
        return None;
    }
    Some(base(
        "value_range",
        Severity::High,
        key.clone(),
        e,
        format!(
            "{} wrote {value} to {} ({key}), outside the {}..{} written during learning.",
            e.src.ip, server.ip, learned.min, learned.max
        ),
        json!({"point": key, "value": value, "learned_min": learned.min,
               "learned_max": learned.max}),
    ))
}

/// Bursts above the pair's learned peak rate (floods, storms, replays).
fn rate(
    b: &Baseline,
    st: &mut State,
    e: &Event<'_>,
    pk: &str,
    client: Endpoint,
    server: Endpoint,
) -> Option<Finding> {
    let now = st.rates.entry(pk.to_string()).or_default().push(e.ts_nanos);
    let learned = b.pairs.get(pk).map(|p| p.max_rate_per_s);
    // A pair never learned is held to a fixed ceiling.
    let limit = match learned {
        Some(peak) => (peak * 3).max(peak + 20),
        None => 100,
    };
    if now <= limit {
        return None;
    }
    Some(base(
        "rate",
        Severity::High,
        pk.to_string(),
        e,
        format!(
            "{} and {} exchanged {now} {} PDUs within one second, above the {} per second allowed by learning.",
            client.ip,
            server.ip,
            protocol_label(e.protocol),
            limit
        ),
        json!({"pdus_in_1s": now, "learned_peak_per_s": learned, "limit": limit}),
    ))
}

/// An operation repeating much faster than it ever did while learning, two
/// intervals in a row. One short interval is not enough: an HMI adds an
/// on-demand read to its cyclic poll, a master retries a request, and over
/// a long run some interval always falls below the minimum of a finite
/// learning sample; a flood or replay repeats fast again and again.
fn timing(
    b: &Baseline,
    st: &mut State,
    e: &Event<'_>,
    pk: &str,
    op: &Operation,
    client: Endpoint,
    server: Endpoint,
) -> Option<Finding> {
    if !e.to_server && replies_mirror_requests(e.protocol) {
        return None;
    }
    let key = (pk.to_string(), op.key.clone());
    let learned = b
        .pairs
        .get(pk)
        .and_then(|p| p.operations.get(&op.key))
        .and_then(|o| o.interval)
        .filter(|l| l.count >= MIN_SAMPLES);
    let Some(&(prev, prev_short)) = st.last_seen.get(&key) else {
        st.last_seen.insert(key, (e.ts_nanos, None));
        return None;
    };
    let gap = (e.ts_nanos - prev) as f64 / 1e9;
    let short = learned
        .is_some_and(|l| gap < l.min_s * 0.5 && gap < l.mean_s - 3.0 * l.stddev_s)
        .then_some(gap);
    st.last_seen.insert(key, (e.ts_nanos, short));
    let (learned, before) = (learned?, prev_short?);
    short?;
    Some(base(
        "timing",
        Severity::Medium,
        format!("{pk} {}", op.key),
        e,
        format!(
            "{} '{}' between {} and {} repeated after {:.4} s and then {:.4} s, faster than the {:.4} s minimum seen during learning.",
            protocol_label(e.protocol),
            op.name,
            client.ip,
            server.ip,
            before,
            gap,
            learned.min_s
        ),
        json!({"operation": op.key, "interval_s": gap, "previous_interval_s": before, "learned": learned}),
    ))
}

/// PDUs that could not be decoded; those over a size bound are "oversized".
fn malformed(
    b: &Baseline,
    e: &Event<'_>,
    pk: &str,
    client: Endpoint,
    server: Endpoint,
) -> Option<Finding> {
    let EventKind::Malformed { reason } = e.kind else {
        return None;
    };
    let op = malformed_op(e);
    if b.pairs
        .get(pk)
        .is_some_and(|p| p.operations.contains_key(&op.key))
    {
        return None;
    }
    let oversized = ["exceed", "above", "too long", "outside"]
        .iter()
        .any(|w| reason.contains(w));
    let (rule, severity) = if oversized {
        ("oversized_pdu", Severity::High)
    } else {
        ("malformed_pdu", Severity::Medium)
    };
    Some(base(
        rule,
        severity,
        format!("{pk} {reason}"),
        e,
        format!(
            "{} sent a {} PDU to {} that could not be decoded: {reason}.",
            e.src.ip,
            protocol_label(e.protocol),
            if e.to_server { server.ip } else { client.ip }
        ),
        json!({"reason": reason}),
    ))
}

fn registered_port(p: Protocol, t: Transport, port: u16) -> bool {
    let registered = match t {
        Transport::Tcp => Protocol::by_tcp_port(port),
        Transport::Udp => Protocol::by_udp_port(port),
    };
    registered == Some(p.framing())
}

/// A known protocol on a server port other than its registered one.
fn unusual_port(
    b: &Baseline,
    e: &Event<'_>,
    client: Endpoint,
    server: Endpoint,
) -> Option<Finding> {
    if registered_port(e.protocol, e.transport, server.port)
        || registered_port(e.protocol, e.transport, client.port)
    {
        return None;
    }
    let key = flow_key(client.ip, server, e.transport, e.protocol);
    if b.flows.contains_key(&key) {
        return None;
    }
    Some(base(
        "unusual_port",
        Severity::Medium,
        key.clone(),
        e,
        format!(
            "{} spoke {} to {} on port {}, not the protocol's registered port.",
            client.ip,
            protocol_label(e.protocol),
            server.ip,
            server.port
        ),
        json!({"flow": key, "port": server.port}),
    ))
}

/// The first payload of a flow to a registered ICS port that the port's
/// protocol cannot frame: some other protocol is using the port.
fn unknown_protocol_on_ics_port(
    b: &Baseline,
    st: &mut State,
    p: &PacketView<'_>,
) -> Option<Finding> {
    if p.payload.is_empty() && !p.syn {
        return None;
    }
    let by_port = match p.transport {
        Transport::Tcp => Protocol::by_tcp_port,
        Transport::Udp => Protocol::by_udp_port,
    };
    let (proto, client, server) = if let Some(pr) = by_port(p.dst.port) {
        (pr, p.src, p.dst)
    } else if let Some(pr) = by_port(p.src.port) {
        (pr, p.dst, p.src)
    } else {
        return None;
    };
    // CIP class 0/1 I/O (UDP 2222) has no encapsulation header to check.
    if proto == Protocol::Enip && server.port == 2222 {
        return None;
    }
    let flow = (client.ip, client.port, server.ip, server.port);
    // A TCP flow is judged on its first payload only when its SYN was seen:
    // a capture that starts mid-connection may start mid-PDU.
    let first = match p.transport {
        Transport::Tcp if p.syn => {
            st.flows_checked.insert(flow);
            return None;
        }
        Transport::Tcp => st.flows_checked.remove(&flow),
        Transport::Udp => st.flows_checked.insert(flow),
    };
    if !first
        || !matches!(proto.frame(p.payload), crate::decode::Frame::Invalid(_))
        || Protocol::probe(p.payload) == Some(proto)
    {
        return None;
    }
    // The pair sent undecodable PDUs during learning too: known behaviour.
    let learned_garbage = b
        .pairs
        .get(&pair_key(client.ip, server.ip, proto))
        .is_some_and(|pair| pair.operations.keys().any(|k| k.starts_with("malformed ")));
    if learned_garbage {
        return None;
    }
    let key = flow_key(client.ip, server, p.transport, proto);
    Some(Finding {
        rule: "unknown_protocol_on_ics_port",
        severity: Severity::Medium,
        subject: key.clone(),
        src: p.src.ip.to_string(),
        dst: p.dst.ip.to_string(),
        protocol: None,
        explanation: format!(
            "{} sent traffic that is not {} to {} port {}, the port registered for it.",
            p.src.ip,
            protocol_label(proto),
            p.dst.ip,
            server.port
        ),
        evidence: json!({"port": server.port, "expected": proto,
                         "first_bytes": p.payload.iter().take(16).map(|b| format!("{b:02x}")).collect::<String>()}),
    })
}
