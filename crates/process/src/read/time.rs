//! Timestamps as historians write them: ISO 8601, day- or month-first
//! dates with slashes, dots or dashes, hour-only times (BATADAL's
//! `06/01/14 00`), AM/PM, UTC offsets, and Unix epochs in seconds or
//! milliseconds. Times become seconds since the Unix epoch; a time without
//! an offset is read as UTC.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The order of a date's three numbers when the year is not first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    /// 2016-04-07, 2016/04/07
    Ymd,
    /// 07/04/2016, 07.04.16 (most of the world)
    Dmy,
    /// 04/07/2016 (United States)
    Mdy,
}

/// Seconds since the Unix epoch, or `None` when `text` is no timestamp in
/// `order`.
pub fn parse_time(text: &str, order: DateOrder) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Some(epoch) = parse_epoch(text) {
        return Some(epoch);
    }
    let mut cursor = Cursor {
        s: text.as_bytes(),
        at: 0,
    };
    let (a, a_digits) = cursor.number()?;
    let sep = cursor.one_of(b"-/.")?;
    let (b, _) = cursor.number()?;
    cursor.expect(sep)?;
    let (c, c_digits) = cursor.number()?;
    let (year, month, day) = if a_digits == 4 {
        (a, b, c)
    } else if order == DateOrder::Ymd {
        return None;
    } else {
        let year = match c_digits {
            4 => c,
            2 if c < 70 => 2000 + c,
            2 => 1900 + c,
            _ => return None,
        };
        match order {
            DateOrder::Mdy => (year, a, b),
            DateOrder::Dmy | DateOrder::Ymd => (year, b, a),
        }
    };
    let date = NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32)?;
    let mut seconds = 0.0;
    cursor.skip_time_separator();
    if let Some((hour, _)) = cursor.number() {
        let mut hour = hour as f64;
        let mut minute = 0.0;
        let mut second = 0.0;
        if cursor.eat(b':') {
            minute = cursor.number()?.0 as f64;
            if cursor.eat(b':') {
                second = cursor.number()?.0 as f64;
                if cursor.eat(b'.') || cursor.eat(b',') {
                    second += cursor.fraction()?;
                }
            }
        }
        cursor.skip_spaces();
        if let Some(pm) = cursor.am_pm() {
            if !(1.0..=12.0).contains(&hour) {
                return None;
            }
            hour = hour % 12.0 + if pm { 12.0 } else { 0.0 };
        }
        if hour > 24.0 || minute >= 60.0 || second >= 61.0 {
            return None;
        }
        seconds = hour * 3600.0 + minute * 60.0 + second;
        seconds -= cursor.offset()?;
    }
    cursor.skip_spaces();
    if !cursor.done() {
        return None;
    }
    let days = date
        .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?)
        .num_days();
    Some(days as f64 * 86_400.0 + seconds)
}

/// A bare number read as an epoch: seconds from 10⁹ (2001) on,
/// milliseconds from 10¹² (2001) on. Smaller numbers are no timestamps.
fn parse_epoch(text: &str) -> Option<f64> {
    if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    match value {
        v if (1e9..1e11).contains(&v) => Some(v),
        v if (1e12..1e14).contains(&v) => Some(v / 1000.0),
        _ => None,
    }
}

/// Chooses the date order that reads every sample, preferring the one that
/// keeps time moving forward, then day-first; `None` when no order reads
/// them all.
pub fn detect_order<'a>(samples: impl Iterator<Item = &'a str> + Clone) -> Option<DateOrder> {
    let candidates = [DateOrder::Ymd, DateOrder::Dmy, DateOrder::Mdy];
    let mut best: Option<(DateOrder, usize)> = None;
    for order in candidates {
        let mut previous = f64::NEG_INFINITY;
        let mut backwards = 0;
        let mut any = false;
        for text in samples.clone() {
            let Some(t) = parse_time(text, order) else {
                backwards = usize::MAX;
                break;
            };
            any = true;
            if t < previous {
                backwards += 1;
            }
            previous = t;
        }
        if !any || backwards == usize::MAX {
            continue;
        }
        if best.is_none_or(|(_, b)| backwards < b) {
            best = Some((order, backwards));
        }
    }
    best.map(|(order, _)| order)
}

/// Formats seconds since the epoch as ISO 8601 UTC, for messages.
pub fn format_time(seconds: f64) -> String {
    chrono::DateTime::from_timestamp(seconds.floor() as i64, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| format!("{seconds}"))
}

struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn number(&mut self) -> Option<(i64, usize)> {
        let start = self.at;
        while self.at < self.s.len() && self.s[self.at].is_ascii_digit() && self.at - start < 9 {
            self.at += 1;
        }
        let digits = self.at - start;
        if digits == 0 {
            return None;
        }
        let text = std::str::from_utf8(&self.s[start..self.at]).ok()?;
        Some((text.parse().ok()?, digits))
    }

    fn fraction(&mut self) -> Option<f64> {
        let start = self.at;
        while self.at < self.s.len() && self.s[self.at].is_ascii_digit() {
            self.at += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.at]).ok()?;
        if text.is_empty() {
            return None;
        }
        format!("0.{text}").parse().ok()
    }

    fn one_of(&mut self, set: &[u8]) -> Option<u8> {
        let b = *self.s.get(self.at)?;
        if set.contains(&b) {
            self.at += 1;
            Some(b)
        } else {
            None
        }
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        self.eat(b).then_some(())
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.at) == Some(&b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) {
        while self.s.get(self.at) == Some(&b' ') {
            self.at += 1;
        }
    }

    fn skip_time_separator(&mut self) {
        if !self.eat(b'T') {
            self.skip_spaces();
        }
    }

    fn am_pm(&mut self) -> Option<bool> {
        let rest = &self.s[self.at..];
        let pm = match rest.get(..2).map(|r| r.to_ascii_uppercase()) {
            Some(r) if r == b"AM" => false,
            Some(r) if r == b"PM" => true,
            _ => return None,
        };
        self.at += 2;
        Some(pm)
    }

    /// A UTC offset in seconds (`Z`, `UTC`, `+09:00`, `-0500`), 0 when absent.
    fn offset(&mut self) -> Option<f64> {
        self.skip_spaces();
        if self.eat(b'Z') {
            return Some(0.0);
        }
        if self.s[self.at..].eq_ignore_ascii_case(b"UTC") {
            self.at += 3;
            return Some(0.0);
        }
        let sign = match self.s.get(self.at) {
            Some(b'+') => 1.0,
            Some(b'-') => -1.0,
            _ => return Some(0.0),
        };
        self.at += 1;
        let (hhmm, digits) = self.number()?;
        let (hours, minutes) = match digits {
            1 | 2 if self.eat(b':') => (hhmm, self.number()?.0),
            1 | 2 => (hhmm, 0),
            4 => (hhmm / 100, hhmm % 100),
            _ => return None,
        };
        Some(sign * (hours * 3600 + minutes * 60) as f64)
    }

    fn done(&self) -> bool {
        self.at == self.s.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(text: &str, order: DateOrder) -> String {
        format_time(parse_time(text, order).expect(text))
    }

    #[test]
    fn reads_common_formats() {
        assert_eq!(iso("06/01/14 00", DateOrder::Dmy), "2014-01-06T00:00:00Z");
        assert_eq!(iso("06/01/14 13", DateOrder::Mdy), "2014-06-01T13:00:00Z");
        assert_eq!(
            iso("2016-04-07T05:06:07Z", DateOrder::Dmy),
            "2016-04-07T05:06:07Z"
        );
        assert_eq!(
            iso("2016-04-07 05:06:07.250", DateOrder::Dmy),
            "2016-04-07T05:06:07Z"
        );
        assert_eq!(
            iso("2016-04-07T09:00:00+09:00", DateOrder::Dmy),
            "2016-04-07T00:00:00Z"
        );
        assert_eq!(
            iso("07.04.2016 05:06", DateOrder::Dmy),
            "2016-04-07T05:06:00Z"
        );
        assert_eq!(
            iso("4/7/2016 12:30:00 PM", DateOrder::Mdy),
            "2016-04-07T12:30:00Z"
        );
        assert_eq!(
            iso("4/7/2016 12:30:00 AM", DateOrder::Mdy),
            "2016-04-07T00:30:00Z"
        );
        assert_eq!(iso("1460000000", DateOrder::Dmy), "2016-04-07T03:33:20Z");
        assert_eq!(iso("1460000000000", DateOrder::Dmy), "2016-04-07T03:33:20Z");
        assert!(parse_time("12.5", DateOrder::Dmy).is_none());
        assert!(parse_time("31/31/2016", DateOrder::Dmy).is_none());
        assert!(parse_time("2016-04-07 05:06 junk", DateOrder::Dmy).is_none());
    }

    #[test]
    fn detects_day_first_from_content() {
        let rows = ["12/01/14 00", "12/01/14 01", "13/01/14 00"];
        assert_eq!(detect_order(rows.iter().copied()), Some(DateOrder::Dmy));
        let rows = ["01/12/14 00", "01/13/14 00"];
        assert_eq!(detect_order(rows.iter().copied()), Some(DateOrder::Mdy));
        let rows = ["2014-01-12 00:00"];
        assert_eq!(detect_order(rows.iter().copied()), Some(DateOrder::Ymd));
        assert_eq!(detect_order(["pump on"].iter().copied()), None);
    }
}
