//! Arbitrary-length decimal numbers, compared without parsing into an
//! integer type (firmware builds and dates overflow `u64` in the wild).

use std::cmp::Ordering;

/// `s` without its leading zeros; `""` for zero.
pub(crate) fn trim_zeros(s: &str) -> &str {
    s.trim_start_matches('0')
}

/// Compares two runs of ASCII digits as non-negative integers.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let (a, b) = (trim_zeros(a), trim_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// True when the digit run is zero (also for the empty run).
pub(crate) fn is_zero(s: &str) -> bool {
    trim_zeros(s).is_empty()
}

/// True when `s` is one or more ASCII digits.
pub(crate) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_by_value_not_text() {
        let cases = [
            ("0", "0", Ordering::Equal),
            ("007", "7", Ordering::Equal),
            ("9", "10", Ordering::Less),
            ("100", "99", Ordering::Greater),
            ("", "0", Ordering::Equal),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567891",
                Ordering::Less,
            ),
            (
                "18446744073709551616",
                "18446744073709551615",
                Ordering::Greater,
            ),
        ];
        for (a, b, want) in cases {
            assert_eq!(cmp_digits(a, b), want, "{a} vs {b}");
            assert_eq!(cmp_digits(b, a), want.reverse(), "{b} vs {a}");
        }
        assert!(is_zero("000") && is_zero("") && !is_zero("010"));
        assert!(all_digits("0123") && !all_digits("") && !all_digits("1a"));
    }
}
