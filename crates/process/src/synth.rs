//! A synthetic plant for benchmarks: groups of four tags (a tank's level,
//! its pump's state and flow, a pressure downstream) with daily demand,
//! on/off pump control and noise. Deterministic.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

/// Writes `days` of rows every `step` seconds for `tags` tags (rounded up
/// to a multiple of four) as wide CSV, gzip-compressed when `path` ends in
/// `.gz`. Returns the number of rows.
pub fn write(path: &Path, days: u32, step: u32, tags: usize) -> std::io::Result<u64> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let gz = path.extension().is_some_and(|e| e == "gz");
    let mut out: Box<dyn Write> = if gz {
        Box::new(GzEncoder::new(file, Compression::fast()))
    } else {
        Box::new(file)
    };
    let groups = tags.div_ceil(4).max(1);
    let mut header = String::from("time");
    for g in 0..groups {
        header.push_str(&format!(",L_T{g},S_PU{g},F_PU{g},P_J{g}"));
    }
    writeln!(out, "{header}")?;
    let mut plant = Plant::new(groups);
    let step = step.max(1);
    let rows = u64::from(days) * 86_400 / u64::from(step);
    let mut line = Vec::with_capacity(16 * groups * 4);
    for row in 0..rows {
        let t = row * u64::from(step);
        plant.advance(t as f64, f64::from(step));
        line.clear();
        push_time(&mut line, t);
        for g in &plant.groups {
            for value in [
                g.level,
                if g.pump_on { 1.0 } else { 0.0 },
                g.flow,
                g.pressure,
            ] {
                line.push(b',');
                push_fixed(&mut line, value);
            }
        }
        line.push(b'\n');
        out.write_all(&line)?;
    }
    out.flush()?;
    Ok(rows)
}

struct Group {
    level: f64,
    pump_on: bool,
    flow: f64,
    pressure: f64,
    phase: f64,
    capacity: f64,
}

struct Plant {
    groups: Vec<Group>,
    random: u64,
}

impl Plant {
    fn new(groups: usize) -> Self {
        let groups = (0..groups)
            .map(|g| Group {
                level: 3.0,
                pump_on: g % 2 == 0,
                flow: 0.0,
                pressure: 30.0,
                phase: g as f64 * 0.7,
                capacity: 40.0 + (g % 5) as f64 * 10.0,
            })
            .collect();
        Self {
            groups,
            random: 0x2545_f491_4f6c_dd1d,
        }
    }

    fn uniform(&mut self) -> f64 {
        self.random ^= self.random << 13;
        self.random ^= self.random >> 7;
        self.random ^= self.random << 17;
        (self.random >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly standard normal: the sum of four uniforms, rescaled.
    fn noise(&mut self) -> f64 {
        (self.uniform() + self.uniform() + self.uniform() + self.uniform() - 2.0) * 1.732
    }

    fn advance(&mut self, t: f64, step: f64) {
        let day = 2.0 * std::f64::consts::PI * t / 86_400.0;
        for g in 0..self.groups.len() {
            let (n1, n2, n3) = (self.noise(), self.noise(), self.noise());
            let group = &mut self.groups[g];
            let demand = group.capacity * (0.5 + 0.3 * (day + group.phase).sin()) + n1;
            if group.level < 2.0 {
                group.pump_on = true;
            } else if group.level > 4.5 {
                group.pump_on = false;
            }
            group.flow = if group.pump_on {
                group.capacity + 0.5 * n2
            } else {
                0.0
            };
            group.level = (group.level + (group.flow - demand) * step / 36_000.0).clamp(0.0, 6.0);
            group.pressure = 25.0 + 0.1 * group.flow + 1.5 * group.level + 0.2 * n3;
        }
    }
}

/// Fixed point with three decimals, without the formatter's cost.
fn push_fixed(out: &mut Vec<u8>, value: f64) {
    let scaled = (value * 1000.0).round() as i64;
    if scaled < 0 {
        out.push(b'-');
    }
    let scaled = scaled.unsigned_abs();
    push_int(out, scaled / 1000);
    out.push(b'.');
    let fraction = scaled % 1000;
    out.extend_from_slice(&[
        b'0' + (fraction / 100) as u8,
        b'0' + (fraction / 10 % 10) as u8,
        b'0' + (fraction % 10) as u8,
    ]);
}

fn push_int(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// `2025-01-01T00:00:00Z` plus `t` seconds.
fn push_time(out: &mut Vec<u8>, t: u64) {
    let time = chrono::DateTime::from_timestamp(1_735_689_600 + t as i64, 0).unwrap_or_default();
    out.extend_from_slice(time.format("%Y-%m-%dT%H:%M:%SZ").to_string().as_bytes());
}
