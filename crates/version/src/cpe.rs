//! NVD CPE range helpers for the matcher, on top of the generic scheme.
//!
//! NVD keeps an update level (`p1`, `sp2`, `beta1`) in the CPE `update`
//! field, apart from the version, and its ranges bound the version field
//! alone. Three rules follow, each a small function here:
//!
//! 1. A concrete update is appended to the version it belongs to
//!    ([`cpe_version_with_update`]): `5.3` + `p1` is `5.3p1`; `*` (any) and
//!    `-` (not applicable) are not appended.
//! 2. A `pN` suffix is compared by its base version against a bound that has
//!    no suffix ([`compare_to_bound`]): `5.3p1 <= 5.3` holds, because NVD's
//!    `versionEndIncluding 5.3` bounds the version field `5.3` and the `p1`
//!    lives in the update field. Other suffixes (`1.0.1f`) are part of the
//!    version and are not dropped.
//! 3. A range entry that carries a concrete update has that update appended
//!    to its end bound ([`end_bound_with_update`]): `*:p2` with
//!    `versionEndIncluding 9.9.7` means "through 9.9.7-P2".
//!
//! [`CpeBounds`] puts the three together for one CPE match criterion.

use std::cmp::Ordering;

use std::borrow::Cow;

use crate::generic::{GenericVersion, Tokens};

/// True for a CPE update value that names no concrete update: empty, `*`
/// (ANY) or `-` (NA).
fn is_no_update(update: &str) -> bool {
    matches!(update.trim(), "" | "*" | "-")
}

/// The version with a concrete CPE update appended.
///
/// `5.3` + `p1` → `5.3p1`; `9.9.7` + `P2` → `9.9.7P2`; `*`, `-` and the
/// empty update leave the version as it is. The two are joined directly
/// when the version ends with a digit and the update starts with a letter
/// (or either side already has a separator there); otherwise with `-`, so
/// that `2.0` + `1` does not become `2.01` and `1.0a` + `p1` does not merge
/// into one letter run.
///
/// ```
/// use kensa_version::cpe_version_with_update;
/// assert_eq!(cpe_version_with_update("5.3", "p1"), "5.3p1");
/// assert_eq!(cpe_version_with_update("5.3", "*"), "5.3");
/// assert_eq!(cpe_version_with_update("5.3", "-"), "5.3");
/// ```
pub fn cpe_version_with_update(version: &str, update: &str) -> String {
    let (version, update) = (version.trim(), update.trim());
    if is_no_update(update) {
        return version.to_string();
    }
    let last = version.chars().next_back();
    let first = update.chars().next();
    let joins_directly = match (last, first) {
        (None, _) | (_, None) => true,
        (Some(l), Some(f)) => {
            (l.is_ascii_digit() && f.is_alphabetic())
                || !l.is_alphanumeric()
                || !f.is_alphanumeric()
        }
    };
    let sep = if joins_directly { "" } else { "-" };
    format!("{version}{sep}{update}")
}

/// The end bound of a range entry whose criterion carries `update`: the
/// update appended to the bound, so `*:p2` with `versionEndIncluding 9.9.7`
/// ends at `9.9.7p2` ("through 9.9.7-P2"). `*` and `-` leave it as is.
///
/// ```
/// use kensa_version::end_bound_with_update;
/// assert_eq!(end_bound_with_update("9.9.7", "p2"), "9.9.7p2");
/// assert_eq!(end_bound_with_update("9.9.7", "*"), "9.9.7");
/// ```
pub fn end_bound_with_update(end: &str, update: &str) -> String {
    cpe_version_with_update(end, update)
}

/// [`end_bound_with_update`] without a copy when there is no update to add.
fn end_bound<'a>(end: &'a str, update: &str) -> Cow<'a, str> {
    if is_no_update(update.trim()) {
        Cow::Borrowed(end.trim())
    } else {
        Cow::Owned(end_bound_with_update(end, update))
    }
}

/// The base of a version that ends in a `pN` suffix: `5.3p1` → `5.3`,
/// `9.9.7-P2` → `9.9.7`, `4.2.8p10` → `4.2.8`. `None` when there is no such
/// suffix (`1.0.1f`, `5.3sp1`, `5.3p`, `p1`).
pub fn split_p_suffix(version: &str) -> Option<&str> {
    let v = version.trim_end();
    let without_digits = v.trim_end_matches(|c: char| c.is_ascii_digit());
    if without_digits.len() == v.len() {
        return None;
    }
    let base = without_digits.strip_suffix(['p', 'P'])?;
    let base = base.strip_suffix(['.', '-', '_', '+', ' ']).unwrap_or(base);
    base.ends_with(|c: char| c.is_ascii_digit()).then_some(base)
}

/// Compares a version with a range bound under the generic scheme, with
/// rule 2: when the bound has no letters at all and the version ends in a
/// `pN` suffix, the version's base is compared instead, so `5.3p1` is
/// *equal* to the bound `5.3` (and below `5.4`, above `5.2`). Otherwise it is
/// the plain generic comparison (`1.0.1f` > `1.0.1`, `5.3p1` < `5.3p2`).
///
/// `None` when either string is not a generic version.
///
/// ```
/// use kensa_version::compare_to_bound;
/// use std::cmp::Ordering;
/// assert_eq!(compare_to_bound("5.3p1", "5.3"), Some(Ordering::Equal));
/// assert_eq!(compare_to_bound("1.0.1f", "1.0.1"), Some(Ordering::Greater));
/// ```
pub fn compare_to_bound(version: &str, bound: &str) -> Option<Ordering> {
    // Drupal's modules number releases by core branch (`6.x-1.01`): that
    // numbering compares with no other (a library's 1.69.0 is not below a
    // like-named module's 6.x-1.01).
    if is_core_branch_release(version) != is_core_branch_release(bound) {
        return None;
    }
    if let (Some(v), Some(b)) = (Tokens::read(version), Tokens::read(bound)) {
        if v.is_empty() || b.is_empty() {
            return None;
        }
        if !b.has_letters()
            && let Some(base) = split_p_suffix(version).and_then(Tokens::read)
            && !base.is_empty()
        {
            return base.compare(&b);
        }
        return v.compare(&b);
    }
    owned_compare_to_bound(version, bound)
}

/// `7.x-2.3`, `6.x-1.01`: a Drupal module's release on a core branch.
fn is_core_branch_release(v: &str) -> bool {
    v.split_once(".x-")
        .is_some_and(|(core, _)| !core.is_empty() && core.bytes().all(|b| b.is_ascii_digit()))
}

/// [`compare_to_bound`] on owned versions: for what the stack tokens do
/// not take (non-ASCII, very long versions), and the reference they are
/// tested against.
fn owned_compare_to_bound(version: &str, bound: &str) -> Option<Ordering> {
    let b = GenericVersion::parse(bound)?;
    let v = GenericVersion::parse(version)?;
    if !b.has_letters()
        && let Some(base) = split_p_suffix(version).and_then(GenericVersion::parse)
    {
        return Some(base.cmp(&b));
    }
    Some(v.cmp(&b))
}

/// Whether `version` is below an end bound: `version <= bound` when
/// `inclusive_end`, else `version < bound`, compared with
/// [`compare_to_bound`] (so `5.3p1` is within `versionEndIncluding 5.3` and
/// not within `versionEndExcluding 5.3`). `None` when either string is not a
/// generic version.
pub fn within_bound_generic(version: &str, bound: &str, inclusive_end: bool) -> Option<bool> {
    let ord = compare_to_bound(version, bound)?;
    Some(ord == Ordering::Less || (inclusive_end && ord == Ordering::Equal))
}

/// The version bounds of one NVD CPE match criterion (`versionStartIncluding`
/// and friends), borrowed from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpeBounds<'a> {
    pub start_including: Option<&'a str>,
    pub start_excluding: Option<&'a str>,
    pub end_including: Option<&'a str>,
    pub end_excluding: Option<&'a str>,
}

impl CpeBounds<'_> {
    /// True when no bound is set. Such a criterion is not a range: its CPE
    /// version field (exact or `*`) decides, and [`CpeBounds::contains`]
    /// would accept every version.
    pub fn is_empty(&self) -> bool {
        self.start_including.is_none()
            && self.start_excluding.is_none()
            && self.end_including.is_none()
            && self.end_excluding.is_none()
    }

    /// Whether `version` lies within every bound that is set, compared with
    /// [`compare_to_bound`]. `criteria_update` is the update field of the
    /// criterion's CPE; a concrete one is appended to the end bound
    /// ([`end_bound_with_update`]). `version` is the component's version with
    /// its own CPE update already appended ([`cpe_version_with_update`]).
    ///
    /// `None` when the version or a set bound is not a generic version.
    ///
    /// ```
    /// use kensa_version::CpeBounds;
    /// let through_997 = CpeBounds { end_including: Some("9.9.7"), ..Default::default() };
    /// assert_eq!(through_997.contains("9.9.7-P2", "p2"), Some(true));
    /// assert_eq!(through_997.contains("9.9.7-P3", "p2"), Some(false));
    /// ```
    pub fn contains(&self, version: &str, criteria_update: &str) -> Option<bool> {
        let mut inside = true;
        if let Some(start) = self.start_including {
            inside &= compare_to_bound(version, start)? != Ordering::Less;
        }
        if let Some(start) = self.start_excluding {
            inside &= compare_to_bound(version, start)? == Ordering::Greater;
        }
        if let Some(end) = self.end_including {
            let end = end_bound(end, criteria_update);
            inside &= within_bound_generic(version, &end, true)?;
        }
        if let Some(end) = self.end_excluding {
            let end = end_bound(end, criteria_update);
            inside &= within_bound_generic(version, &end, false)?;
        }
        Some(inside)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Greater as Gt, Less as Lt};

    #[test]
    fn core_branch_releases_compare_only_with_their_kind() {
        assert_eq!(compare_to_bound("1.69.0", "6.x-1.01"), None);
        assert_eq!(compare_to_bound("6.x-1.0", "6.x-1.01"), Some(Lt));
        assert_eq!(compare_to_bound("7.x-2.3", "7.x-2.3"), Some(Eq));
    }

    #[test]
    fn borrowed_comparison_agrees_with_owned() {
        let versions = [
            "5.3p1",
            "5.3",
            "5.3P2",
            "5.3-p10",
            "5.4",
            "5.2",
            "1.0.1f",
            "1.0.1",
            "9.9.7-P2",
            "9.9.7",
            "2.0rc1",
            "2.0",
            "0",
            "p1",
            "5.3p",
            "5.3sp1",
            "V5.3p1",
            "*",
            "-",
            "",
            "4.2.8p10",
            "4.2.8",
            "12.2(55)SE",
            "1.0a1",
            "1.0b",
            "2014.63",
        ];
        for v in versions {
            for b in versions {
                assert_eq!(
                    compare_to_bound(v, b),
                    owned_compare_to_bound(v, b),
                    "{v:?} vs bound {b:?}"
                );
            }
        }
    }

    #[test]
    fn a_concrete_update_is_appended() {
        let cases = [
            ("5.3", "p1", "5.3p1"),
            ("9.9.7", "P2", "9.9.7P2"),
            ("9.9.7", "-P2", "9.9.7-P2"),
            ("2.0", "beta1", "2.0beta1"),
            ("1.8.0", "update_151", "1.8.0update_151"),
            ("2.0", "1", "2.0-1"),
            ("1.0a", "p1", "1.0a-p1"),
            ("1.0a", "2", "1.0a-2"),
            ("1.0.", "1", "1.0.1"),
            (" 5.3 ", " p1 ", "5.3p1"),
            ("5.3", "*", "5.3"),
            ("5.3", "-", "5.3"),
            ("5.3", "", "5.3"),
            ("5.3", " * ", "5.3"),
        ];
        for (v, u, want) in cases {
            assert_eq!(cpe_version_with_update(v, u), want, "{v:?} + {u:?}");
        }
        // What the joined strings mean under the generic scheme.
        let generic = |a: &str, b: &str| crate::compare_generic(a, b);
        assert_eq!(
            generic(&cpe_version_with_update("2.0", "b1"), "2.0"),
            Some(Lt)
        );
        assert_eq!(
            generic(&cpe_version_with_update("1.0a", "2"), "1.0a"),
            Some(Gt)
        );
        assert_eq!(
            generic(&cpe_version_with_update("9.9.7", "P2"), "9.9.7-P2"),
            Some(Eq)
        );
    }

    #[test]
    fn p_suffix_base() {
        let cases = [
            ("5.3p1", Some("5.3")),
            ("9.9.7-P2", Some("9.9.7")),
            ("4.2.8p10", Some("4.2.8")),
            ("4.2.8.p3", Some("4.2.8")),
            ("1.0.1f", None),
            ("5.3sp1", None),
            ("5.3p", None),
            ("p1", None),
            ("5.3", None),
            ("5.3rc1", None),
        ];
        for (v, want) in cases {
            assert_eq!(split_p_suffix(v), want, "{v:?}");
        }
    }

    #[test]
    fn p_suffix_is_compared_by_its_base_against_a_plain_bound() {
        let cases = [
            // "a pN suffix is compared by its base version against a bound
            // that has no suffix (5.3p1 <= 5.3)"
            ("5.3p1", "5.3", Eq),
            ("5.3p1", "5.3.0", Eq),
            ("5.3p1", "v5.3", Eq),
            ("9.9.7-P2", "9.9.7", Eq),
            ("4.2.8p3", "4.2.8", Eq),
            ("5.3p1", "5.4", Lt),
            ("5.3p1", "5.2", Gt),
            ("5.3p1", "5.3.1", Lt),
            // A bound with a suffix: plain comparison.
            ("5.3p1", "5.3p2", Lt),
            ("5.3p2", "5.3p1", Gt),
            ("5.3p1", "5.3p1", Eq),
            ("5.3p1", "5.3rc1", Gt),
            // Other suffixes are part of the version.
            ("1.0.1f", "1.0.1", Gt),
            ("1.0.1f", "1.0.1g", Lt),
            ("5.3sp1", "5.3", Gt),
            ("5.3rc1", "5.3", Lt),
            ("5.3", "5.3", Eq),
        ];
        for (v, b, want) in cases {
            assert_eq!(compare_to_bound(v, b), Some(want), "{v:?} vs bound {b:?}");
        }
        assert_eq!(compare_to_bound("*", "5.3"), None);
        assert_eq!(compare_to_bound("5.3p1", "-"), None);
    }

    #[test]
    fn end_bounds() {
        let cases = [
            ("5.3p1", "5.3", true, Some(true)),
            ("5.3p1", "5.3", false, Some(false)),
            ("5.3", "5.3", true, Some(true)),
            ("5.3", "5.3", false, Some(false)),
            ("5.2p9", "5.3", false, Some(true)),
            ("1.0.1f", "1.0.1", true, Some(false)),
            ("1.0.1f", "1.0.1g", false, Some(true)),
            ("1.0.1g", "1.0.1g", false, Some(false)),
            ("", "1.0", true, None),
        ];
        for (v, b, inclusive, want) in cases {
            assert_eq!(
                within_bound_generic(v, b, inclusive),
                want,
                "{v:?} within {b:?} (inclusive: {inclusive})"
            );
        }
    }

    #[test]
    fn update_on_the_criterion_extends_the_end_bound() {
        // "*:p2 with versionEndIncluding 9.9.7 means through 9.9.7-P2"
        let through = CpeBounds {
            end_including: Some("9.9.7"),
            ..Default::default()
        };
        let cases = [
            ("9.9.7-P2", Some(true)),
            ("9.9.7p2", Some(true)),
            ("9.9.7-P1", Some(true)),
            ("9.9.7", Some(true)),
            ("9.9.6-P1", Some(true)),
            ("9.9.7-P3", Some(false)),
            ("9.9.8", Some(false)),
            ("*", None),
        ];
        for (v, want) in cases {
            assert_eq!(through.contains(v, "p2"), want, "{v:?} with *:p2");
        }
        // Without an update on the criterion every 9.9.7-Pn is a 9.9.7.
        assert_eq!(through.contains("9.9.7-P3", "*"), Some(true));
        assert_eq!(through.contains("9.9.7-P3", "-"), Some(true));
        assert_eq!(through.contains("9.9.8", "*"), Some(false));
    }

    #[test]
    fn bounds_combine() {
        // OpenSSL heartbleed: >= 1.0.1, < 1.0.1g.
        let heartbleed = CpeBounds {
            start_including: Some("1.0.1"),
            end_excluding: Some("1.0.1g"),
            ..Default::default()
        };
        for (v, want) in [
            ("1.0.0", false),
            ("1.0.1", true),
            ("1.0.1f", true),
            ("1.0.1g", false),
            ("1.0.2", false),
            ("1.0.1-beta1", false),
        ] {
            assert_eq!(heartbleed.contains(v, "*"), Some(want), "{v:?}");
        }
        // OpenSSH: > 5.3, <= 7.2 with update-bearing component versions.
        let openssh = CpeBounds {
            start_excluding: Some("5.3"),
            end_including: Some("7.2"),
            ..Default::default()
        };
        for (v, want) in [
            ("5.3p1", false),
            ("5.4p1", true),
            ("7.2p2", true),
            ("7.3p1", false),
        ] {
            assert_eq!(openssh.contains(v, "*"), Some(want), "{v:?}");
        }
        assert_eq!(openssh.contains("1.0", "*"), Some(false));
        let bad = CpeBounds {
            start_including: Some("*"),
            ..Default::default()
        };
        assert_eq!(bad.contains("1.0", "*"), None);
        assert!(CpeBounds::default().is_empty());
        assert!(!heartbleed.is_empty());
        assert_eq!(CpeBounds::default().contains("1.0", "*"), Some(true));
    }
}
