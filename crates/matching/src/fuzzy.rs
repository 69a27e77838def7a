//! Fuzzy name resolution: the last resort for a component whose name,
//! purl and packaging variants match no product exactly.
//!
//! Look-alike names are the classic source of false positives (`jquery-ui`
//! is not `jquery`), so the fuzzy step is fenced in three ways:
//!
//! - it runs only when nothing else resolved the component;
//! - it only considers the products of a vendor that agrees with the
//!   component's supplier, manufacturer or purl namespace;
//! - the names must carry the same numbers in the same order (model and
//!   series numbers: an `S7-1200` is never an `S7-1500`) and differ only in
//!   spelling: similarity at least [`THRESHOLD`] by edit distance over the
//!   letters, or the same words in another order.
//!
//! A fuzzy candidate has a confidence between 0.45 and 0.70 and evidence
//! that says to confirm it; `--min-confidence 0.75` leaves such matches out.

/// The least similarity a fuzzy candidate needs.
pub const THRESHOLD: f64 = 0.85;

/// How alike two normalised names (`kensa_model::names::normalize`) are, in
/// [0, 1]; `None` when they must not be taken for each other (different
/// numbers, too short to judge, or equal: that is not fuzzy).
pub fn similarity(a: &str, b: &str) -> Option<f64> {
    if a == b || numbers(a) != numbers(b) {
        return None;
    }
    let (la, lb) = (letters(a), letters(b));
    if la.len() < 4 || lb.len() < 4 {
        return None;
    }
    let mut wa: Vec<&str> = words(a);
    let mut wb: Vec<&str> = words(b);
    wa.sort_unstable();
    wb.sort_unstable();
    if wa == wb {
        return Some(0.95);
    }
    let distance = levenshtein(la.as_bytes(), lb.as_bytes());
    Some(1.0 - distance as f64 / la.len().max(lb.len()) as f64)
}

/// How alike two names' letters are, in [0, 1], without the fences of
/// [`similarity`]: for ranking suggestions a person confirms, never for
/// matching.
pub fn spelling(a: &str, b: &str) -> f64 {
    let (la, lb) = (letters(a), letters(b));
    let longest = la.len().max(lb.len());
    if longest == 0 {
        return 0.0;
    }
    1.0 - levenshtein(la.as_bytes(), lb.as_bytes()) as f64 / longest as f64
}

/// The confidence of a fuzzy candidate of this similarity.
pub fn confidence(similarity: f64) -> f64 {
    let t = ((similarity - THRESHOLD) / (1.0 - THRESHOLD)).clamp(0.0, 1.0);
    0.45 + 0.25 * t
}

/// The digit runs of a name, in order.
fn numbers(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .map(|n| n.trim_start_matches('0'))
        .collect()
}

/// The name without digits and separators: what spelling differences live in.
fn letters(s: &str) -> String {
    s.chars().filter(|c| c.is_alphabetic()).collect()
}

fn words(s: &str) -> Vec<&str> {
    s.split('_').filter(|w| !w.is_empty()).collect()
}

/// Edit distance between two byte strings counting insertions, deletions,
/// substitutions and swaps of two neighbours (`flexibel` → `flexible` is
/// one edit: typing errors are often swaps). Optimal string alignment, in
/// O(len(a) × len(b)); names are short.
fn levenshtein(a: &[u8], b: &[u8]) -> usize {
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * width] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_variants_are_similar() {
        for (a, b) in [
            ("micrologic_1400", "micrologix_1400"),
            ("modicon_m340", "modicon_m_340"),
            ("powerlogic_ion8650", "powerlogic_ion_8650"),
            ("server_http", "http_server"),
            ("wincc_flexible", "winccflexible"),
            ("wincc_flexibel", "wincc_flexible"),
        ] {
            let s = similarity(a, b).unwrap_or(0.0);
            assert!(s >= THRESHOLD, "{a} vs {b}: {s}");
        }
    }

    #[test]
    fn different_numbers_or_words_are_not() {
        for (a, b) in [
            ("s7_1200", "s7_1500"),
            ("micrologix_1400", "micrologix_1100"),
            ("libxml", "libxml2"),
            ("jquery_ui", "jquery"),
            ("jquery_migrate", "jquery_mobile"),
            ("tar", "star"),
        ] {
            let s = similarity(a, b);
            assert!(s.is_none() || s < Some(THRESHOLD), "{a} vs {b}: {s:?}");
        }
        assert_eq!(similarity("openssl", "openssl"), None, "equal is not fuzzy");
    }

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein(b"kitten", b"sitting"), 3);
        assert_eq!(levenshtein(b"", b"abc"), 3);
        assert_eq!(levenshtein(b"abc", b"abc"), 0);
        assert_eq!(
            levenshtein(b"flexibel", b"flexible"),
            1,
            "a swap is one edit"
        );
    }

    #[test]
    fn confidence_stays_below_exact_methods() {
        assert!((confidence(THRESHOLD) - 0.45).abs() < 1e-9);
        assert!((confidence(1.0) - 0.70).abs() < 1e-9);
    }
}
