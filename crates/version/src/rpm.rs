//! RPM package versions (`[epoch:]version[-release]`), compared the way rpm
//! does.
//!
//! Epochs compare numerically (absent = 0), then versions, then releases,
//! each with rpm's `rpmvercmp`: the strings are cut into alphanumeric
//! segments (runs of digits or runs of letters; every other character only
//! separates), compared pairwise: digit runs numerically, letter runs in
//! ASCII order, and a digit run is newer than a letter run. `~` sorts before
//! everything, even the end (`1.0~rc1 < 1.0`); `^` sorts after the end but
//! before anything else (`1.0 < 1.0^git1 < 1.0.1`). When one string runs out
//! of segments, the other is newer.
//!
//! As in rpm, the release is only compared when *both* versions have one: a
//! version without a release (`1.0.2k`) matches every release of it
//! (`1.0.2k-16.el7`). That makes the comparison a matching rule rather than
//! a total order, so [`RpmVersion`] has [`RpmVersion::compare`] and no `Ord`.

use std::cmp::Ordering;

use crate::num::{all_digits, cmp_digits, trim_zeros};

/// An RPM version (see the module documentation).
#[derive(Debug, Clone)]
pub struct RpmVersion {
    epoch: String,
    version: String,
    release: Option<String>,
}

fn char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '~' | '^')
}

impl RpmVersion {
    /// Reads `s`; `None` when the epoch is not a number, the version or a
    /// given release is empty, or a character is outside what rpm allows
    /// (alphanumerics and `. _ + ~ ^`).
    pub fn parse(s: &str) -> Option<RpmVersion> {
        let s = s.trim();
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) if all_digits(e) => (trim_zeros(e), rest),
            Some(_) => return None,
            None => ("", s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, Some(r)),
            None => (rest, None),
        };
        let ok = |part: &str| !part.is_empty() && part.chars().all(char_ok);
        if !ok(version) || release.is_some_and(|r| !ok(r)) {
            return None;
        }
        Some(RpmVersion {
            epoch: epoch.to_string(),
            version: version.to_string(),
            release: release.map(str::to_string),
        })
    }

    /// The epoch (`"0"` when absent).
    pub fn epoch(&self) -> &str {
        if self.epoch.is_empty() {
            "0"
        } else {
            &self.epoch
        }
    }

    /// The version part, as written.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The release part, if any.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }

    /// Compares epoch, version and, when both have one, release.
    pub fn compare(&self, other: &RpmVersion) -> Ordering {
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (Some(a), Some(b)) => rpmvercmp(a, b),
                _ => Ordering::Equal,
            })
    }
}

/// rpm's comparison of two version (or release) strings.
pub(crate) fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let skip = |s: &[u8], mut k: usize| {
        while k < s.len() && !s[k].is_ascii_alphanumeric() && s[k] != b'~' && s[k] != b'^' {
            k += 1;
        }
        k
    };
    loop {
        i = skip(a, i);
        j = skip(b, j);
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            match (ca, cb) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(x), _) if x != b'^' => return Ordering::Greater,
                (_, Some(y)) if y != b'^' => return Ordering::Less,
                _ => {}
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            break;
        };
        let numeric = ca.is_ascii_digit();
        let in_segment = |c: &u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (si, sj) = (i, j);
        while a.get(i).is_some_and(in_segment) {
            i += 1;
        }
        while b.get(j).is_some_and(in_segment) {
            j += 1;
        }
        if j == sj {
            // Segments of different kinds: the numeric one is newer.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (sa, sb) = (&a[si..i], &b[sj..j]);
        let ord = if numeric {
            cmp_digits(
                std::str::from_utf8(sa).unwrap_or_default(),
                std::str::from_utf8(sb).unwrap_or_default(),
            )
        } else {
            sa.cmp(sb)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Greater as Gt, Less as Lt};

    fn cmp(a: &str, b: &str) -> Option<Ordering> {
        Some(RpmVersion::parse(a)?.compare(&RpmVersion::parse(b)?))
    }

    fn check(cases: &[(&str, &str, Ordering)]) {
        for &(a, b, want) in cases {
            assert_eq!(cmp(a, b), Some(want), "{a:?} vs {b:?}");
            assert_eq!(cmp(b, a), Some(want.reverse()), "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn rpmvercmp_segments() {
        let cases = [
            ("1.0", "1.0", Eq),
            ("1.0", "2.0", Lt),
            ("2.0.1", "2.0.1", Eq),
            ("2.0", "2.0.1", Lt),
            ("2.0.1a", "2.0.1a", Eq),
            ("2.0.1a", "2.0.1", Gt),
            ("5.5p1", "5.5p2", Lt),
            ("5.5p10", "5.5p1", Gt),
            ("10xyz", "10.1xyz", Lt),
            ("xyz10", "xyz10.1", Lt),
            ("xyz.4", "xyz.4", Eq),
            ("xyz.4", "8", Lt),
            ("xyz.4", "2", Lt),
            ("5.5p2", "5.6p1", Lt),
            ("5.6p1", "6.5p1", Lt),
            ("6.0.rc1", "6.0", Gt),
            ("10b2", "10a1", Gt),
            ("1.0aa", "1.0a", Gt),
            ("10.0001", "10.1", Eq),
            ("10.0001", "10.0039", Lt),
            ("4.999.9", "5.0", Lt),
            ("20101121", "20101122", Lt),
            ("2_0", "2_0", Eq),
            ("2.0", "2_0", Eq),
            ("a", "a", Eq),
            ("a+", "a+", Eq),
            ("a+", "a_", Eq),
            ("+a", "+a", Eq),
            ("+a", "_a", Eq),
            ("+_", "_+", Eq),
            ("+", "_", Eq),
            ("1.0~rc1", "1.0~rc1", Eq),
            ("1.0~rc1", "1.0", Lt),
            ("1.0~rc1", "1.0~rc2", Lt),
            ("1.0~rc1~git123", "1.0~rc1", Lt),
            ("1.0^", "1.0^", Eq),
            ("1.0^", "1.0", Gt),
            ("1.0^git1", "1.0", Gt),
            ("1.0^git1", "1.0^git2", Lt),
            ("1.0^git1", "1.01", Lt),
            ("1.0^20160101", "1.0.1", Lt),
            ("1.0^20160101^git1", "1.0^20160101", Gt),
            ("1.0~rc1^git1", "1.0~rc1", Gt),
            ("1.0^git1~pre", "1.0^git1", Lt),
        ];
        for (a, b, want) in cases {
            assert_eq!(rpmvercmp(a, b), want, "{a:?} vs {b:?}");
            assert_eq!(rpmvercmp(b, a), want.reverse(), "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn epoch_version_release() {
        check(&[
            ("1.0.2k-16.el7", "1.0.2k-16.el7", Eq),
            ("1.0.2k-16.el7", "1.0.2k-8.el7", Gt),
            ("1.0.2k-16.el7", "1.0.2k-16.el7_6.1", Lt),
            ("1.0.2k-16.el7", "1.0.2l-1.el7", Lt),
            ("1.0.2k-16.el7", "1.0.2-16.el7", Gt),
            ("1:1.0.2k-16.el7", "1.0.2k-16.el7", Gt),
            ("1:1.0.2k-16.el7", "2.0-1", Gt),
            ("0:1.0-1", "1.0-1", Eq),
            ("1:1.0.2k-16.el7", "1:1.0.2k-16.el7", Eq),
            ("3.10.0-1160.el7", "3.10.0-957.el7", Gt),
            ("2.17-317.el7", "2.17-325.el7_9", Lt),
            ("1.1.1k-7.el8_6", "1.1.1k-12.el8_9", Lt),
        ]);
    }

    #[test]
    fn a_missing_release_matches_every_release() {
        check(&[
            ("1.0.2k", "1.0.2k-16.el7", Eq),
            ("1.0.2k", "1.0.2k-1", Eq),
            ("1.0.2k", "1.0.2l-1", Lt),
            ("1:1.0.2k", "1.0.2k-16.el7", Gt),
        ]);
    }

    #[test]
    fn parts() {
        let v = RpmVersion::parse("1:1.0.2k-16.el7").unwrap();
        assert_eq!(
            (v.epoch(), v.version(), v.release()),
            ("1", "1.0.2k", Some("16.el7"))
        );
        let v = RpmVersion::parse("1.0.2k").unwrap();
        assert_eq!((v.epoch(), v.version(), v.release()), ("0", "1.0.2k", None));
    }

    #[test]
    fn malformed_strings_are_not_rpm() {
        for s in [
            "",
            ":1.0",
            "x:1.0",
            "1:",
            "-1",
            "1.0-",
            "1.0-1-2",
            "1.0 1",
            "1.0-1 el7",
            "1.0/2",
            "1.0-a@b",
        ] {
            assert!(RpmVersion::parse(s).is_none(), "{s:?}");
        }
    }
}
