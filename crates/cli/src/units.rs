//! Sizes people type: `4096`, `64k`, `100M`, `64MiB`, `2G` (powers of 1024).

/// A size in bytes from `4096`, `64k`, `500KB`, `100M`, `64MiB`, `2G`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 4096, 64k, 100M, 64MiB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{s}`; use k, M or G"
            ));
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("size `{s}` is too large"))
}

/// [`parse_size`] for limits that must not be zero, in memory's units.
pub fn parse_limit(s: &str) -> Result<usize, String> {
    match parse_size(s)? {
        0 => Err(format!("`{s}` is no room at all; give a size above 0")),
        n => usize::try_from(n).map_err(|_| format!("size `{s}` is too large")),
    }
}

/// A duration as a number and a unit: `30s`, `15m`, `6h`, `1d`.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("`{s}` is not a duration: a number then s, m, h or d (6h)");
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60).ok_or_else(bad)?,
        "h" => n.checked_mul(3600).ok_or_else(bad)?,
        "d" => n.checked_mul(86_400).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if secs == 0 {
        return Err(format!("`{s}`: the duration must be more than zero"));
    }
    Ok(std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64k"), Ok(65_536));
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("500KB"), Ok(500 << 10));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("M").is_err());
        assert!(parse_size("5PB").is_err());
        assert!(parse_limit("0").is_err());
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
    }

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(
            parse_duration("6h"),
            Ok(std::time::Duration::from_secs(6 * 3600))
        );
        assert_eq!(
            parse_duration("30s"),
            Ok(std::time::Duration::from_secs(30))
        );
        assert_eq!(
            parse_duration("2d"),
            Ok(std::time::Duration::from_secs(2 * 86_400))
        );
        for bad in ["", "6", "h", "6x", "0m", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
