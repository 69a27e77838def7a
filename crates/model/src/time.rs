//! Timestamp normalisation.
//!
//! Feeds write the same instant differently: NVD `2010-12-16T05:00:00.000`
//! (UTC, no zone), CVE 5 `2024-10-15T17:15:01.473Z`, OSV `2024-08-01T16:27:57Z`,
//! Anchore `2024-08-01T16:27:57.203000+00:00`. Records are replaced only when
//! the source's timestamp is newer, so all are brought to one sortable form:
//! `YYYY-MM-DDTHH:MM:SS.mmmZ`.

/// Normalises an ISO 8601 / RFC 3339 timestamp to `YYYY-MM-DDTHH:MM:SS.mmmZ`
/// in UTC. Dates without a time become midnight. Returns `None` when the text
/// is not a timestamp.
pub fn normalize(ts: &str) -> Option<String> {
    let ts = ts.trim();
    let b = ts.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = ts.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (mut hour, mut minute, mut second, mut millis) = (0, 0, 0, 0);
    let mut offset_minutes = 0i64;
    if b.len() > 10 {
        if !(b[10] == b'T' || b[10] == b' ') || b.len() < 16 {
            return None;
        }
        hour = num(11..13)?;
        minute = num(14..16)?;
        let mut i = 16;
        if b.get(i) == Some(&b':') {
            second = num(17..19)?;
            i = 19;
        }
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            let frac = &ts[start..end];
            let padded: String = frac.chars().chain("000".chars()).take(3).collect();
            millis = padded.parse().ok()?;
            i = end;
        }
        match b.get(i) {
            None => {}
            Some(b'Z') | Some(b'z') if i + 1 == b.len() => {}
            Some(&sign @ (b'+' | b'-')) => {
                let rest = &ts[i + 1..];
                let digits: String = rest.chars().filter(|c| *c != ':').collect();
                if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let h: i64 = digits[..2].parse().ok()?;
                let m: i64 = digits[2..].parse().ok()?;
                offset_minutes = (h * 60 + m) * if sign == b'+' { 1 } else { -1 };
            }
            _ => return None,
        }
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // Shift to UTC through days-since-epoch arithmetic.
    let days = days_from_civil(year, month, day);
    let total = ((days * 24 + hour) * 60 + minute - offset_minutes) * 60 + second.min(60);
    let (days, secs) = (total.div_euclid(86_400), total.rem_euclid(86_400));
    let (y, mo, d) = civil_from_days(days);
    Some(format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    ))
}

// Howard Hinnant's civil-date algorithms (public domain).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn feeds_spellings_agree() {
        let want = Some("2024-08-01T16:27:57.203Z".to_string());
        assert_eq!(normalize("2024-08-01T16:27:57.203"), want);
        assert_eq!(normalize("2024-08-01T16:27:57.203Z"), want);
        assert_eq!(normalize("2024-08-01T16:27:57.203000+00:00"), want);
        assert_eq!(normalize("2024-08-01T18:27:57.203+02:00"), want);
    }

    #[test]
    fn offsets_cross_midnight_and_dates_alone() {
        assert_eq!(
            normalize("2024-01-01T01:00:00+02:00").as_deref(),
            Some("2023-12-31T23:00:00.000Z")
        );
        assert_eq!(
            normalize("2024-02-29").as_deref(),
            Some("2024-02-29T00:00:00.000Z")
        );
        assert_eq!(
            normalize("2024-10-15T17:09").as_deref(),
            Some("2024-10-15T17:09:00.000Z")
        );
    }

    #[test]
    fn rejects_non_timestamps() {
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-01-01T25:00:00",
            "2024-01-01Tfoo",
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
