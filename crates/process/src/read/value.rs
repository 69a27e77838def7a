//! One cell of a historian export as a number: decimal points or commas,
//! boolean states in words, and the usual spellings of "no value".

/// A cell's number; `Some(NaN)` for a missing value, `None` for text that
/// is neither a number, a state word nor a missing marker.
pub fn parse_value(cell: &str) -> Option<f64> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Some(f64::NAN);
    }
    if let Ok(v) = cell.parse::<f64>() {
        return Some(if v.is_finite() { v } else { f64::NAN });
    }
    // A decimal comma: one comma, no point ("3,14", "-0,5").
    if cell.bytes().filter(|&b| b == b',').count() == 1
        && !cell.contains('.')
        && let Ok(v) = cell.replacen(',', ".", 1).parse::<f64>()
    {
        return Some(v);
    }
    word_value(cell)
}

fn word_value(cell: &str) -> Option<f64> {
    let lower = cell.to_ascii_lowercase();
    match lower.as_str() {
        "true" | "on" | "yes" | "open" | "opened" | "running" | "run" | "start" | "started"
        | "active" | "high" => Some(1.0),
        "false" | "off" | "no" | "closed" | "close" | "stopped" | "stop" | "inactive" | "low" => {
            Some(0.0)
        }
        "na" | "n/a" | "#n/a" | "nan" | "null" | "none" | "-" | "?" | "--" | "missing" | "bad"
        | "#value!" => Some(f64::NAN),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_value;

    #[test]
    fn numbers_states_and_gaps() {
        assert_eq!(parse_value(" 2.5 "), Some(2.5));
        assert_eq!(parse_value("-1e3"), Some(-1000.0));
        assert_eq!(parse_value("3,25"), Some(3.25));
        assert_eq!(parse_value("ON"), Some(1.0));
        assert_eq!(parse_value("Closed"), Some(0.0));
        assert!(parse_value("").unwrap().is_nan());
        assert!(parse_value("NaN").unwrap().is_nan());
        assert!(parse_value("#N/A").unwrap().is_nan());
        assert_eq!(parse_value("1,234,5"), None);
        assert_eq!(parse_value("pump"), None);
    }
}
