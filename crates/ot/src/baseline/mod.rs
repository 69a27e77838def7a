//! What normal looks like: a versioned JSON document (`kensa.ot-baseline/v1`)
//! learned from captures of normal operation. It records the talkers (IP,
//! MAC), the flows (client, server, port, protocol), per host pair the
//! operations seen with their timing, the address ranges touched and the
//! peak request rate, and the value range of each polled Modbus register.
//!
//! Every map is a `BTreeMap` and captures are learned separately and merged
//! in name order, so the same captures give byte-identical baselines
//! whatever order they are given in. Memory is bounded by the `MAX_*` caps;
//! what did not fit is counted under `overflow`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::io::Read;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::capture::CaptureError;
use crate::event::{Event, Transport};
use crate::identity::{Identity, IdentityReader};
use crate::network::NetEvent;
use crate::observe::{Observer, PacketView, observe_capture};
use crate::ops::{self, AddressRange, Category};
use crate::oui::format_mac;
use crate::pipeline::PipelineConfig;
use crate::values::{ModbusValues, RegisterValue};
use crate::{Endpoint, Protocol};

pub mod network;

pub use network::NetworkBaseline;

pub const SCHEMA: &str = "kensa.ot-baseline/v2";
/// Baselines of the first version (industrial PDUs only) still load; the
/// network rules then have nothing to compare with and stay silent.
pub const SCHEMA_V1: &str = "kensa.ot-baseline/v1";

/// Bounds on what one baseline holds.
pub const MAX_HOSTS: usize = 10_000;
pub const MAX_PAIRS: usize = 10_000;
pub const MAX_OPERATIONS_PER_PAIR: usize = 1024;
pub const MAX_RANGES_PER_SPACE: usize = 32;
pub const MAX_SPACES_PER_PAIR: usize = 256;
pub const MAX_VALUE_POINTS: usize = 50_000;
/// Samples a learned value or timing needs before detection trusts it.
pub const MIN_SAMPLES: u64 = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub schema: String,
    /// File names of the captures learned from, sorted.
    pub captures: Vec<String>,
    pub events: u64,
    /// IP address -> what was seen of the host.
    pub hosts: BTreeMap<String, Host>,
    /// `client>server:port/transport/protocol` -> PDUs seen.
    pub flows: BTreeMap<String, u64>,
    /// `client>server/protocol` -> behaviour of the pair.
    pub pairs: BTreeMap<String, Pair>,
    /// `server/unit/table/address` -> observed range.
    pub values: BTreeMap<String, ValueRange>,
    pub overflow: Overflow,
    /// Every conversation, host and service (v2); absent in v1 baselines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkBaseline>,
    /// IP -> the identities its protocols revealed (vendor, product,
    /// firmware), so that alerts can name the asset they concern.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub assets: BTreeMap<String, Vec<Identity>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub macs: BTreeSet<String>,
    pub events: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// Operation key (see [`crate::ops::Operation::key`]) -> statistics.
    pub operations: BTreeMap<String, OpStats>,
    /// Address space -> sorted, disjoint `[lo, hi]` ranges.
    pub ranges: BTreeMap<String, Vec<[u32; 2]>>,
    /// Most PDUs (both directions) in any one-second window.
    pub max_rate_per_s: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpStats {
    pub name: String,
    pub category: Category,
    pub count: u64,
    /// Inter-arrival times of this operation on this pair, in seconds.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub interval: Option<Timing>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timing {
    pub count: u64,
    #[serde(serialize_with = "micros")]
    pub mean_s: f64,
    #[serde(serialize_with = "micros")]
    pub stddev_s: f64,
    #[serde(serialize_with = "micros")]
    pub min_s: f64,
    #[serde(serialize_with = "micros")]
    pub max_s: f64,
}

/// Seconds are written to the microsecond (capture timestamps' usual
/// resolution), so that files are readable and round-trip exactly.
fn micros<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((x * 1e6).round() / 1e6)
}

impl Timing {
    fn single(x: f64) -> Self {
        Timing {
            count: 1,
            mean_s: x,
            stddev_s: 0.0,
            min_s: x,
            max_s: x,
        }
    }

    /// Combines two summaries (Chan et al.'s parallel variance formula).
    fn merge(self, o: Timing) -> Timing {
        let n = self.count + o.count;
        let (na, nb) = (self.count as f64, o.count as f64);
        let delta = o.mean_s - self.mean_s;
        let mean = self.mean_s + delta * nb / n as f64;
        let m2 = self.stddev_s.powi(2) * na
            + o.stddev_s.powi(2) * nb
            + delta * delta * na * nb / n as f64;
        Timing {
            count: n,
            mean_s: mean,
            stddev_s: (m2 / n as f64).max(0.0).sqrt(),
            min_s: self.min_s.min(o.min_s),
            max_s: self.max_s.max(o.max_s),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueRange {
    pub min: i64,
    pub max: i64,
    pub count: u64,
    /// Successive samples that rose and that fell (within one capture):
    /// a register that only ever rose is a counter (see
    /// [`ValueRange::is_counter`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rises: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub falls: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ValueRange {
    /// A single sample.
    pub fn single(value: i64) -> Self {
        ValueRange {
            min: value,
            max: value,
            count: 1,
            rises: 0,
            falls: 0,
        }
    }

    /// A counter (totaliser, operating hours, a clock): during learning it
    /// never fell and rose at least [`MIN_SAMPLES`] times. Its future
    /// values lie above the learned maximum by nature, so only a fall below
    /// the learned minimum (a reset, a rewrite) is out of range.
    pub fn is_counter(&self) -> bool {
        self.falls == 0 && self.rises >= MIN_SAMPLES
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overflow {
    pub hosts: u64,
    pub pairs: u64,
    pub operations: u64,
    pub ranges: u64,
    pub values: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: not a baseline: {message} (field `{pointer}`, line {line}, column {column})")]
    Json {
        path: String,
        pointer: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: schema is {found:?}, expected {SCHEMA:?}")]
    Schema { path: String, found: String },
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline {
            schema: SCHEMA.to_string(),
            captures: Vec::new(),
            events: 0,
            hosts: BTreeMap::new(),
            flows: BTreeMap::new(),
            pairs: BTreeMap::new(),
            values: BTreeMap::new(),
            overflow: Overflow::default(),
            network: None,
            assets: BTreeMap::new(),
        }
    }
}

/// The key of a flow: client, server endpoint, transport and protocol.
pub fn flow_key(client: IpAddr, server: Endpoint, transport: Transport, p: Protocol) -> String {
    let t = match transport {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
    };
    format!("{client}>{}:{}/{t}/{p}", server.ip, server.port)
}

/// The key of a host pair speaking one protocol.
pub fn pair_key(client: IpAddr, server: IpAddr, p: Protocol) -> String {
    format!("{}/{p}", ops::pair_key(client, server))
}

/// The key under which a Modbus single write's value is learned.
pub fn write_point_key(server: IpAddr, unit: u8, function: u8, address: u16) -> String {
    let table = if function == 5 {
        "coil-write"
    } else {
        "hr-write"
    };
    format!("{server}/{unit}/{table}/{address}")
}

impl Baseline {
    /// Parses and checks a baseline document; `path` names it in errors.
    pub fn from_json(text: &str, path: &str) -> Result<Baseline, BaselineError> {
        // The schema first, so that another document type is named as such
        // rather than reported by its first unexpected field.
        #[derive(Deserialize)]
        struct Head {
            schema: Option<String>,
        }
        if let Ok(Head {
            schema: Some(found),
        }) = serde_json::from_str::<Head>(text)
            && found != SCHEMA
            && found != SCHEMA_V1
        {
            return Err(BaselineError::Schema {
                path: path.to_string(),
                found,
            });
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        let b: Baseline = serde_path_to_error::deserialize(de).map_err(|e| {
            let pointer = e.path().to_string();
            let inner = e.into_inner();
            BaselineError::Json {
                path: path.to_string(),
                pointer,
                line: inner.line(),
                column: inner.column(),
                // serde_json appends the position, which is reported apart.
                message: inner
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            }
        })?;
        if b.schema != SCHEMA && b.schema != SCHEMA_V1 {
            return Err(BaselineError::Schema {
                path: path.to_string(),
                found: b.schema,
            });
        }
        Ok(b)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("baseline serialises");
        s.push('\n');
        s
    }

    /// Adds what `other` learned. Merging is commutative for two
    /// baselines; [`Baseline::merge_all`] fixes the order for more.
    pub fn merge(&mut self, other: Baseline) {
        self.captures.extend(other.captures);
        self.captures.sort();
        self.captures.dedup();
        self.events += other.events;
        for (ip, h) in other.hosts {
            if !self.hosts.contains_key(&ip) && self.hosts.len() >= MAX_HOSTS {
                self.overflow.hosts += 1;
                continue;
            }
            let mine = self.hosts.entry(ip).or_default();
            mine.macs.extend(h.macs);
            mine.events += h.events;
        }
        for (k, n) in other.flows {
            *self.flows.entry(k).or_default() += n;
        }
        for (k, p) in other.pairs {
            if !self.pairs.contains_key(&k) && self.pairs.len() >= MAX_PAIRS {
                self.overflow.pairs += 1;
                continue;
            }
            let mine = self.pairs.entry(k).or_default();
            mine.max_rate_per_s = mine.max_rate_per_s.max(p.max_rate_per_s);
            for (op, s) in p.operations {
                merge_op(mine, &mut self.overflow, op, s);
            }
            for (space, ranges) in p.ranges {
                for [lo, hi] in ranges {
                    add_range(mine, &mut self.overflow, &space, lo, hi);
                }
            }
        }
        for (k, v) in other.values {
            add_value_range(&mut self.values, &mut self.overflow, k, v);
        }
        for (ip, ids) in other.assets {
            let mine = self.assets.entry(ip).or_default();
            for id in ids {
                match mine.iter_mut().find(|m| m.source == id.source) {
                    Some(m) => crate::identity::merge(m, id),
                    None => mine.push(id),
                }
            }
        }
        if let Some(n) = other.network {
            self.network
                .get_or_insert_with(NetworkBaseline::default)
                .merge(n);
        }
        let o = other.overflow;
        self.overflow.hosts += o.hosts;
        self.overflow.pairs += o.pairs;
        self.overflow.operations += o.operations;
        self.overflow.ranges += o.ranges;
        self.overflow.values += o.values;
    }

    /// Merges baselines in the order of their capture names, so that the
    /// result does not depend on the order they were learned in.
    pub fn merge_all(mut parts: Vec<Baseline>) -> Baseline {
        // Captures of the same name (from different folders) are ordered by
        // content, so that even then the order given does not matter.
        parts.sort_by_cached_key(|b| (b.captures.clone(), b.to_json()));
        let mut all = Baseline::default();
        for p in parts {
            all.merge(p);
        }
        all
    }

    /// Whether `[lo, hi]` lies inside what the pair touched in `space`.
    pub fn covers(&self, pair: &str, space: &str, lo: u32, hi: u32) -> Option<bool> {
        let ranges = self.pairs.get(pair)?.ranges.get(space)?;
        Some(ranges.iter().any(|r| r[0] <= lo && hi <= r[1]))
    }
}

fn merge_op(pair: &mut Pair, overflow: &mut Overflow, key: String, s: OpStats) {
    if !pair.operations.contains_key(&key) && pair.operations.len() >= MAX_OPERATIONS_PER_PAIR {
        overflow.operations += 1;
        return;
    }
    match pair.operations.get_mut(&key) {
        Some(mine) => {
            mine.count += s.count;
            mine.interval = match (mine.interval, s.interval) {
                (Some(a), Some(b)) => Some(a.merge(b)),
                (a, b) => a.or(b),
            };
        }
        None => {
            pair.operations.insert(key, s);
        }
    }
}

/// Adds `[lo, hi]` to the pair's ranges in `space`, keeping them sorted and
/// disjoint; past the cap, the two closest neighbours are joined.
fn add_range(pair: &mut Pair, overflow: &mut Overflow, space: &str, lo: u32, hi: u32) {
    if !pair.ranges.contains_key(space) && pair.ranges.len() >= MAX_SPACES_PER_PAIR {
        overflow.ranges += 1;
        return;
    }
    let ranges = pair.ranges.entry(space.to_string()).or_default();
    if ranges.iter().any(|r| r[0] <= lo && hi <= r[1]) {
        return;
    }
    ranges.push([lo, hi]);
    ranges.sort_unstable();
    let mut merged: Vec<[u32; 2]> = Vec::with_capacity(ranges.len());
    for r in ranges.drain(..) {
        match merged.last_mut() {
            Some(last) if r[0] <= last[1].saturating_add(1) => last[1] = last[1].max(r[1]),
            _ => merged.push(r),
        }
    }
    while merged.len() > MAX_RANGES_PER_SPACE {
        let i = (0..merged.len() - 1)
            .min_by_key(|&i| merged[i + 1][0] - merged[i][1])
            .expect("two ranges");
        merged[i][1] = merged[i + 1][1];
        merged.remove(i + 1);
        overflow.ranges += 1;
    }
    *ranges = merged;
}

fn add_value_range(
    values: &mut BTreeMap<String, ValueRange>,
    overflow: &mut Overflow,
    key: String,
    v: ValueRange,
) {
    if let Some(mine) = values.get_mut(&key) {
        mine.min = mine.min.min(v.min);
        mine.max = mine.max.max(v.max);
        mine.count += v.count;
        mine.rises += v.rises;
        mine.falls += v.falls;
    } else if values.len() >= MAX_VALUE_POINTS {
        overflow.values += 1;
    } else {
        values.insert(key, v);
    }
}

/// Sliding one-second window of PDU timestamps, for peak rates.
#[derive(Debug, Default)]
pub struct RateWindow {
    times: VecDeque<i64>,
}

impl RateWindow {
    /// Adds a PDU at `ts_nanos`; returns the PDUs in the last second.
    pub fn push(&mut self, ts_nanos: i64) -> u64 {
        self.times.push_back(ts_nanos);
        while let Some(&front) = self.times.front() {
            if front <= ts_nanos - 1_000_000_000 || front > ts_nanos {
                self.times.pop_front();
            } else {
                break;
            }
        }
        self.times.len() as u64
    }
}

/// Only frames in `from..to` (1-based, `to` exclusive) are learned or
/// checked; reassembly still sees every packet.
#[derive(Debug, Clone, Copy)]
pub struct FrameWindow {
    pub from: u64,
    pub to: u64,
}

impl Default for FrameWindow {
    fn default() -> Self {
        FrameWindow {
            from: 1,
            to: u64::MAX,
        }
    }
}

impl FrameWindow {
    pub fn contains(&self, frame: u64) -> bool {
        (self.from..self.to).contains(&frame)
    }
}

/// Learns one capture.
pub struct Learner {
    b: Baseline,
    window: FrameWindow,
    macs: HashMap<IpAddr, BTreeSet<String>>,
    last_seen: HashMap<(String, String), i64>,
    rates: HashMap<String, RateWindow>,
    values: ModbusValues,
    /// The last value learned per point, to tell counters.
    last_value: HashMap<String, i64>,
    net: network::NetLearner,
    ics: IcsBehaviour,
    ids: IdentityReader,
}

/// What each host did in industrial protocols, for its roles.
#[derive(Debug, Default)]
pub struct IcsBehaviour {
    serves: BTreeMap<IpAddr, BTreeSet<Protocol>>,
    uses: BTreeMap<IpAddr, BTreeSet<Protocol>>,
    engineering: BTreeSet<IpAddr>,
}

impl IcsBehaviour {
    pub fn event(&mut self, e: &Event<'_>) {
        if e.is_malformed() {
            return;
        }
        let (client, server) = ops::client_server(e);
        self.serves.entry(server.ip).or_default().insert(e.protocol);
        self.uses.entry(client.ip).or_default().insert(e.protocol);
        let engineering = e.to_server
            && ops::operation(e).is_some_and(|o| {
                matches!(
                    o.category,
                    Category::Program | Category::StopRun | Category::Firmware | Category::Restart
                )
            });
        if engineering {
            self.engineering.insert(client.ip);
        }
    }

    /// Each host's industrial roles.
    pub fn roles(&self) -> BTreeMap<IpAddr, BTreeSet<crate::inventory::Role>> {
        let none = BTreeSet::new();
        let hosts: BTreeSet<&IpAddr> = self.serves.keys().chain(self.uses.keys()).collect();
        hosts
            .into_iter()
            .map(|ip| {
                let roles = crate::inventory::ics_roles(
                    self.serves.get(ip).unwrap_or(&none),
                    self.uses.get(ip).unwrap_or(&none),
                    self.engineering.contains(ip),
                );
                (*ip, roles)
            })
            .collect()
    }
}

impl Learner {
    pub fn new(capture_name: &str, window: FrameWindow) -> Self {
        let b = Baseline {
            captures: vec![capture_name.to_string()],
            ..Baseline::default()
        };
        Learner {
            b,
            window,
            macs: HashMap::new(),
            last_seen: HashMap::new(),
            rates: HashMap::new(),
            values: ModbusValues::default(),
            last_value: HashMap::new(),
            net: network::NetLearner::default(),
            ics: IcsBehaviour::default(),
            ids: IdentityReader::default(),
        }
    }

    pub fn finish(mut self) -> Baseline {
        for (ip, host) in self.b.hosts.iter_mut() {
            if let Some(m) = ip.parse().ok().and_then(|ip: IpAddr| self.macs.remove(&ip)) {
                host.macs = m;
            }
        }
        // Learning that saw no frames (events fed directly) knows nothing
        // of the network: the network rules then stay silent.
        self.b.assets = std::mem::take(&mut self.ids.identities)
            .into_iter()
            .map(|(ip, ids)| (ip.to_string(), ids))
            .collect();
        let network = self.net.finish(&self.ics.roles());
        self.b.network = (network.frames > 0).then_some(network);
        self.b
    }

    fn learn_value(&mut self, key: String, value: i64) {
        let mut sample = ValueRange::single(value);
        match self.last_value.get(&key) {
            Some(&prev) if value > prev => sample.rises = 1,
            Some(&prev) if value < prev => sample.falls = 1,
            _ => {}
        }
        add_value_range(
            &mut self.b.values,
            &mut self.b.overflow,
            key.clone(),
            sample,
        );
        // Only points the baseline holds (it is bounded) are followed.
        if self.b.values.contains_key(&key) {
            self.last_value.insert(key, value);
        }
    }
}

impl Observer for Learner {
    fn wants_network(&self) -> bool {
        true
    }

    fn net(&mut self, n: &NetEvent<'_>) {
        if self.window.contains(net_frame(n)) {
            self.net.net(n);
        }
    }

    fn packet(&mut self, p: &PacketView<'_>) {
        if !self.window.contains(p.frame) {
            return;
        }
        self.ids.packet(p);
        if let Some(mac) = p.src_mac {
            let set = self.macs.entry(p.src.ip).or_default();
            if set.len() < 8 {
                set.insert(format_mac(&mac));
            }
        }
        let mut seen = Vec::new();
        self.values.packet(p, &mut |v: RegisterValue| seen.push(v));
        for v in seen {
            self.learn_value(v.point_key(), v.value as i64);
        }
    }

    fn event(&mut self, e: &Event<'_>) {
        if !self.window.contains(e.frame) {
            return;
        }
        self.ics.event(e);
        let (client, server) = ops::client_server(e);
        self.b.events += 1;
        for ip in [client.ip, server.ip] {
            let key = ip.to_string();
            if !self.b.hosts.contains_key(&key) && self.b.hosts.len() >= MAX_HOSTS {
                self.b.overflow.hosts += 1;
                continue;
            }
            self.b.hosts.entry(key).or_default().events += 1;
        }
        *self
            .b
            .flows
            .entry(flow_key(client.ip, server, e.transport, e.protocol))
            .or_default() += 1;
        let pk = pair_key(client.ip, server.ip, e.protocol);
        if !self.b.pairs.contains_key(&pk) && self.b.pairs.len() >= MAX_PAIRS {
            self.b.overflow.pairs += 1;
            return;
        }
        let rate = self.rates.entry(pk.clone()).or_default().push(e.ts_nanos);
        let pair = self.b.pairs.entry(pk.clone()).or_default();
        pair.max_rate_per_s = pair.max_rate_per_s.max(rate);
        let op = match ops::operation(e) {
            Some(op) => op,
            None => malformed_op(e),
        };
        let interval = self
            .last_seen
            .insert((pk.clone(), op.key.clone()), e.ts_nanos)
            .map(|prev| (e.ts_nanos - prev) as f64 / 1e9)
            .filter(|d| *d >= 0.0)
            .map(Timing::single);
        let stats = OpStats {
            name: op.name.clone(),
            category: op.category,
            count: 1,
            interval,
        };
        merge_op(pair, &mut self.b.overflow, op.key.clone(), stats);
        for AddressRange { space, lo, hi } in &op.ranges {
            add_range(pair, &mut self.b.overflow, space, *lo, *hi);
        }
        if let Some((key, value)) = single_write_value(e, server.ip) {
            self.learn_value(key, value);
        }
    }
}

/// The frame a network event belongs to for `--split` windows: a
/// conversation's end counts where it began.
pub fn net_frame(n: &NetEvent<'_>) -> u64 {
    match n {
        NetEvent::Packet { frame, .. }
        | NetEvent::Service { frame, .. }
        | NetEvent::Failed { frame, .. }
        | NetEvent::Arp { frame, .. }
        | NetEvent::NonIp { frame, .. } => *frame,
        NetEvent::Ended { conv, .. } => conv.first_frame,
    }
}

/// Malformed PDUs are learned as an operation too, so that a device that
/// always sends a quirky PDU is not flagged for it forever.
pub(crate) fn malformed_op(e: &Event<'_>) -> ops::Operation {
    let reason = match e.kind {
        crate::EventKind::Malformed { reason } => reason,
        _ => "undecodable",
    };
    ops::Operation {
        key: format!("malformed {reason}"),
        name: format!("malformed PDU ({reason})"),
        category: Category::Other,
        ranges: Vec::new(),
    }
}

/// The learned-value key and value of a Modbus single coil/register write.
pub(crate) fn single_write_value(e: &Event<'_>, server: IpAddr) -> Option<(String, i64)> {
    match e.kind {
        crate::EventKind::Modbus(m) if e.to_server && matches!(m.function_code, 5 | 6) => Some((
            write_point_key(server, m.unit_id, m.function_code, m.address?),
            m.value? as i64,
        )),
        _ => None,
    }
}

/// Learns one capture from `input`.
pub fn learn_capture<R: Read>(
    name: &str,
    input: R,
    window: FrameWindow,
) -> Result<Baseline, CaptureError> {
    let mut learner = Learner::new(name, window);
    observe_capture(input, PipelineConfig::default(), &mut learner)?;
    Ok(learner.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_stay_sorted_disjoint_and_bounded() {
        let mut p = Pair::default();
        let mut o = Overflow::default();
        add_range(&mut p, &mut o, "s", 10, 19);
        add_range(&mut p, &mut o, "s", 20, 29);
        add_range(&mut p, &mut o, "s", 0, 4);
        assert_eq!(p.ranges["s"], vec![[0, 4], [10, 29]]);
        for i in 0..100 {
            add_range(&mut p, &mut o, "t", i * 10, i * 10 + 1);
        }
        assert_eq!(p.ranges["t"].len(), MAX_RANGES_PER_SPACE);
        assert!(o.ranges > 0);
        assert_eq!(p.ranges["t"][0][0], 0);
        assert_eq!(p.ranges["t"].last().unwrap()[1], 991);
    }

    #[test]
    fn timing_merge_matches_direct_statistics() {
        let xs = [1.0, 2.0, 4.0, 7.0];
        let t = xs[1..]
            .iter()
            .fold(Timing::single(xs[0]), |t, &x| t.merge(Timing::single(x)));
        assert_eq!(t.count, 4);
        assert!((t.mean_s - 3.5).abs() < 1e-12);
        let var = xs.iter().map(|x| (x - 3.5f64).powi(2)).sum::<f64>() / 4.0;
        assert!((t.stddev_s - var.sqrt()).abs() < 1e-12);
        assert_eq!((t.min_s, t.max_s), (1.0, 7.0));
    }

    #[test]
    fn first_version_baselines_still_load_without_the_network() {
        let mut v1 = Baseline {
            schema: SCHEMA_V1.into(),
            ..Baseline::default()
        };
        v1.hosts.insert("10.0.0.1".into(), Host::default());
        let back = Baseline::from_json(&v1.to_json(), "old.json").unwrap();
        assert_eq!(back.network, None);
        assert_eq!(back.hosts.len(), 1);
    }

    #[test]
    fn bad_documents_name_the_place() {
        let e = Baseline::from_json("{\"schema\": 3}", "b.json").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("b.json") && msg.contains("schema"), "{msg}");
        let b = Baseline {
            schema: "kensa.ot-baseline/v9".into(),
            ..Baseline::default()
        };
        let e = Baseline::from_json(&b.to_json(), "x.json").unwrap_err();
        assert!(matches!(e, BaselineError::Schema { .. }), "{e}");
        let e = Baseline::from_json("{", "y.json").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
    }
}
