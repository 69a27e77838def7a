//! The flow table: one entry per (transport, address pair, port pair),
//! holding both directions' streams and whatever per-direction state the
//! application decoder needs. Bounded: the least recently seen flows are
//! evicted when the table is full.

use std::collections::HashMap;
use std::net::IpAddr;

use super::Stream;

/// Which end of a flow a packet came from, relative to the key's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// From the key's lower endpoint (`a`).
    A,
    B,
}

impl Side {
    pub fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// Direction-independent flow key: the lower endpoint first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    pub proto: u8,
    pub a: (IpAddr, u16),
    pub b: (IpAddr, u16),
}

impl FlowKey {
    /// The key of a packet from `src` to `dst`, and the side it came from.
    pub fn of(proto: u8, src: (IpAddr, u16), dst: (IpAddr, u16)) -> (FlowKey, Side) {
        if src <= dst {
            (
                FlowKey {
                    proto,
                    a: src,
                    b: dst,
                },
                Side::A,
            )
        } else {
            (
                FlowKey {
                    proto,
                    a: dst,
                    b: src,
                },
                Side::B,
            )
        }
    }
}

/// One flow. `T` is the application layer's per-flow state.
#[derive(Debug)]
pub struct Flow<T> {
    pub streams: [Stream; 2],
    pub app: T,
    pub last_seen: u64,
    /// Capture time of the flow's last packet, for idle expiry.
    pub last_ts: i64,
}

pub struct FlowTable<T> {
    flows: HashMap<FlowKey, Flow<T>>,
    max_flows: usize,
    /// Increases with each packet; orders flows for eviction.
    clock: u64,
    pub created: u64,
    pub evicted: u64,
}

impl<T> FlowTable<T> {
    pub fn new(max_flows: usize) -> Self {
        Self {
            flows: HashMap::new(),
            max_flows: max_flows.max(1),
            clock: 0,
            created: 0,
            evicted: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The flow for `key`, created with `init` when new (evicting old flows
    /// first if the table is full).
    pub fn get_or_insert(&mut self, key: FlowKey, init: impl FnOnce() -> T) -> &mut Flow<T> {
        self.clock += 1;
        if !self.flows.contains_key(&key) {
            if self.flows.len() >= self.max_flows {
                self.evict_oldest();
            }
            self.created += 1;
        }
        let clock = self.clock;
        let flow = self.flows.entry(key).or_insert_with(|| Flow {
            streams: [Stream::default(), Stream::default()],
            app: init(),
            last_seen: clock,
            last_ts: i64::MIN,
        });
        flow.last_seen = clock;
        flow
    }

    /// Stream bytes held across all flows (buffered and out of order).
    pub fn held_bytes(&self) -> usize {
        self.flows
            .values()
            .flat_map(|f| &f.streams)
            .map(Stream::held_bytes)
            .sum()
    }

    pub fn get_mut(&mut self, key: &FlowKey) -> Option<&mut Flow<T>> {
        self.flows.get_mut(key)
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&FlowKey, &mut Flow<T>)> {
        self.flows.iter_mut()
    }

    pub fn remove(&mut self, key: &FlowKey) {
        self.flows.remove(key);
    }

    /// Evicts the least recently seen eighth of the table, so that the
    /// O(n) scan is paid once per many insertions.
    fn evict_oldest(&mut self) {
        let mut ages: Vec<u64> = self.flows.values().map(|f| f.last_seen).collect();
        let n = (self.flows.len() / 8).max(1);
        let (_, cutoff, _) = ages.select_nth_unstable(n - 1);
        let cutoff = *cutoff;
        let before = self.flows.len();
        self.flows.retain(|_, f| f.last_seen > cutoff);
        self.evicted += (before - self.flows.len()) as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn key_is_direction_independent_and_table_is_bounded() {
        let ip = |n| IpAddr::V4(Ipv4Addr::new(10, 0, 0, n));
        let (k1, s1) = FlowKey::of(6, (ip(2), 502), (ip(1), 4000));
        let (k2, s2) = FlowKey::of(6, (ip(1), 4000), (ip(2), 502));
        assert_eq!(k1, k2);
        assert_ne!(s1, s2);
        let mut t: FlowTable<()> = FlowTable::new(16);
        for port in 0..100 {
            t.get_or_insert(FlowKey::of(6, (ip(1), port), (ip(2), 502)).0, || ());
            assert!(t.len() <= 16);
        }
        assert_eq!(t.created, 100);
        assert!(t.evicted >= 84);
    }
}
