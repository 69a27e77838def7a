//! Small sliding windows on capture time, shared by learning and
//! detection so that both measure the same way: bytes in the last ten
//! seconds, and how many distinct things (hosts, ports) a source reached
//! in the last five minutes. Each is bounded in memory.

use std::collections::{HashMap, VecDeque};

use crate::network::SECOND;

/// The window of [`Volume`]: ten one-second buckets.
pub const VOLUME_WINDOW_S: i64 = 10;
/// The window of [`Distinct`] for fan-out (as Zeek's scan detection).
pub const FAN_OUT_WINDOW_NS: i64 = 300 * SECOND;

/// Bytes in the last [`VOLUME_WINDOW_S`] seconds.
#[derive(Debug, Clone, Default)]
pub struct Volume {
    buckets: [u64; VOLUME_WINDOW_S as usize],
    /// The second the last bucket written belongs to.
    second: i64,
}

impl Volume {
    /// Adds `bytes` at `ts_nanos`; returns the window's total.
    pub fn add(&mut self, ts_nanos: i64, bytes: u64) -> u64 {
        let now = ts_nanos.div_euclid(SECOND);
        let n = VOLUME_WINDOW_S;
        if self.second == 0 && self.buckets == [0; VOLUME_WINDOW_S as usize] {
            self.second = now;
        }
        let gap = now - self.second;
        if gap >= n {
            self.buckets = [0; VOLUME_WINDOW_S as usize];
        } else if gap > 0 {
            for s in self.second + 1..=now {
                self.buckets[s.rem_euclid(n) as usize] = 0;
            }
        }
        if gap > 0 {
            self.second = now;
        }
        // A packet older than the window's head (reordered) counts in it.
        self.buckets[now.max(self.second - n + 1).rem_euclid(n) as usize] += bytes;
        self.buckets.iter().sum()
    }
}

/// Distinct keys seen in the last `window_ns`, at most `cap` entries kept
/// (the oldest go first).
#[derive(Debug, Clone)]
pub struct Distinct {
    window_ns: i64,
    cap: usize,
    entries: VecDeque<(i64, u64)>,
    counts: HashMap<u64, u32>,
}

impl Distinct {
    pub fn new(window_ns: i64, cap: usize) -> Self {
        Distinct {
            window_ns,
            cap,
            entries: VecDeque::new(),
            counts: HashMap::new(),
        }
    }

    /// Adds `key` at `ts_nanos`; returns the distinct keys in the window.
    pub fn add(&mut self, ts_nanos: i64, key: u64) -> usize {
        while let Some(&(t, k)) = self.entries.front() {
            if t > ts_nanos - self.window_ns && self.entries.len() < self.cap {
                break;
            }
            self.entries.pop_front();
            if let Some(c) = self.counts.get_mut(&k) {
                *c -= 1;
                if *c == 0 {
                    self.counts.remove(&k);
                }
            }
        }
        self.entries.push_back((ts_nanos, key));
        *self.counts.entry(key).or_default() += 1;
        self.counts.len()
    }

    /// Events (not distinct) in the window.
    pub fn events(&self) -> usize {
        self.entries.len()
    }
}

/// A stable 64-bit key for anything hashable (FNV-1a over its bytes), so
/// that windows hold numbers, not strings.
pub fn key_of(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in *p {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A map that forgets everything when it grows past `cap` (rare; losing
/// window state only delays an alert).
#[derive(Debug)]
pub struct Bounded<K, V> {
    pub map: HashMap<K, V>,
    cap: usize,
}

impl<K: std::hash::Hash + Eq, V> Bounded<K, V> {
    pub fn new(cap: usize) -> Self {
        Bounded {
            map: HashMap::new(),
            cap,
        }
    }

    pub fn entry(&mut self, key: K, init: impl FnOnce() -> V) -> &mut V {
        if self.map.len() >= self.cap && !self.map.contains_key(&key) {
            self.map.clear();
        }
        self.map.entry(key).or_insert_with(init)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_keeps_the_last_ten_seconds() {
        let mut v = Volume::default();
        assert_eq!(v.add(100 * SECOND, 10), 10);
        assert_eq!(v.add(105 * SECOND, 5), 15);
        assert_eq!(v.add(109 * SECOND + 1, 1), 16);
        // 100 leaves the window at 110.
        assert_eq!(v.add(110 * SECOND, 0), 6);
        assert_eq!(v.add(200 * SECOND, 7), 7);
    }

    #[test]
    fn distinct_counts_within_the_window_and_the_cap() {
        let mut d = Distinct::new(10 * SECOND, 100);
        for i in 0..5 {
            d.add(i * SECOND, i as u64);
        }
        assert_eq!(d.add(5 * SECOND, 0), 5);
        // At 12 s what was seen up to 2 s has left: 0 (seen again at 5 s),
        // 3, 4 and the new 99 remain.
        assert_eq!(d.add(12 * SECOND, 99), 4);
        let mut small = Distinct::new(1000 * SECOND, 3);
        for i in 0..10 {
            small.add(i, i as u64);
        }
        assert_eq!(small.events(), 3);
    }
}
