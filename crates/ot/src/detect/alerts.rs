//! The alerts of a run, one per (rule, subject): repeats count, graver
//! repeats raise the severity. A file run keeps the first [`MAX_ALERTS`]
//! and counts the rest; a live run, which never ends, forgets the alerts
//! that have been quiet longest instead, after they were written out.

use std::collections::HashMap;

use super::{Alert, At, Finding, MAX_ALERTS};

#[derive(Debug, Default)]
pub struct Alerts {
    map: HashMap<(&'static str, String), Alert>,
    /// Alerts new or raised since the last [`Alerts::drain_raised`].
    raised: Vec<(&'static str, String)>,
    /// Counts already reported by [`Alerts::drain_changed`], per alert.
    reported: HashMap<(&'static str, String), u64>,
    pub dropped: u64,
    /// Forget the quietest alerts when full instead of dropping new ones.
    pub live: bool,
}

/// A short stable id: FNV-1a of the rule and subject, in hex.
pub fn alert_id(rule: &str, subject: &str) -> String {
    format!(
        "{:016x}",
        crate::window::key_of(&[rule.as_bytes(), subject.as_bytes()])
    )
}

impl Alerts {
    pub fn add(&mut self, at: At, f: Finding) {
        let ts = at.ts_nanos as f64 / 1e9;
        let key = (f.rule, f.subject);
        if let Some(a) = self.map.get_mut(&key) {
            a.count += 1;
            a.last_frame = at.frame;
            a.last_ts = ts;
            // A repeat that is graver (a new host now reaching a
            // controller) raises the alert and says why.
            if f.severity > a.severity {
                a.severity = f.severity;
                a.explanation = f.explanation;
                a.evidence = f.evidence;
                a.src = f.src;
                a.dst = f.dst;
                self.raised.push(key);
            }
            return;
        }
        if self.map.len() >= MAX_ALERTS {
            if !self.live {
                self.dropped += 1;
                return;
            }
            self.forget_quietest();
        }
        let alert = Alert {
            id: alert_id(key.0, &key.1),
            frame: at.frame,
            ts,
            severity: f.severity,
            rule: f.rule,
            src: f.src,
            dst: f.dst,
            protocol: f.protocol,
            explanation: f.explanation,
            evidence: f.evidence,
            count: 1,
            last_frame: at.frame,
            last_ts: ts,
        };
        self.raised.push(key.clone());
        self.map.insert(key, alert);
    }

    /// Alerts raised (new, or graver) since the last call, in order.
    pub fn drain_raised(&mut self) -> Vec<Alert> {
        let keys = std::mem::take(&mut self.raised);
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(a) = self.map.get(&k) {
                self.reported.insert(k, a.count);
                out.push(a.clone());
            }
        }
        out
    }

    /// Alerts whose count grew since they were last reported.
    pub fn drain_changed(&mut self) -> Vec<Alert> {
        let mut out: Vec<Alert> = Vec::new();
        for (k, a) in &self.map {
            let seen = self.reported.entry(k.clone()).or_insert(0);
            if a.count > *seen {
                *seen = a.count;
                out.push(a.clone());
            }
        }
        sort(&mut out);
        out
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every alert, by first frame, rule and addresses.
    pub fn into_sorted(self) -> Vec<Alert> {
        let mut v: Vec<Alert> = self.map.into_values().collect();
        sort(&mut v);
        v
    }

    /// Forgets the eighth of the alerts that have been quiet longest.
    fn forget_quietest(&mut self) {
        let mut quiet: Vec<(f64, (&'static str, String))> = self
            .map
            .iter()
            .map(|(k, a)| (a.last_ts, k.clone()))
            .collect();
        let n = (quiet.len() / 8).max(1);
        quiet.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, k) in quiet.into_iter().take(n) {
            self.map.remove(&k);
            self.reported.remove(&k);
        }
    }
}

fn sort(v: &mut [Alert]) {
    v.sort_by(|a, b| {
        (a.frame, a.rule, &a.src, &a.dst, &a.id).cmp(&(b.frame, b.rule, &b.src, &b.dst, &b.id))
    });
}
