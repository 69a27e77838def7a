//! Debian package versions, compared the way dpkg does.
//!
//! `[epoch:]upstream[-revision]`: the epoch is a number (absent = 0), the
//! revision is everything after the *last* `-` (absent = empty, which
//! compares equal to `0`). Epochs compare numerically, then upstream, then
//! revision, each with dpkg's string algorithm: alternately a non-digit run
//! (character by character, where `~` sorts before everything, even the end
//! of the string, then the end or a digit, then letters in ASCII order, then
//! all other characters) and a digit run (numerically). So
//! `1.0~rc1 < 1.0 < 1.0a < 1.0+b1 < 1.0.1` and `1:0.9 > 2.0`.

use std::cmp::Ordering;

use crate::num::{all_digits, cmp_digits, trim_zeros};

/// A Debian version (see the module documentation).
#[derive(Debug, Clone)]
pub struct DebianVersion {
    epoch: String,
    upstream: String,
    revision: String,
}

fn upstream_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '~' | ':' | '_')
}

fn revision_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~' | '_')
}

impl DebianVersion {
    /// Reads `s`; `None` when the epoch is not a number, the upstream part
    /// is empty, a `-` leaves an empty revision, or a character is outside
    /// what dpkg allows (alphanumerics and `. + - ~ :`, plus `_`, which
    /// older packages carry).
    pub fn parse(s: &str) -> Option<DebianVersion> {
        let s = s.trim();
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) if all_digits(e) => (trim_zeros(e), rest),
            Some(_) => return None,
            None => ("", s),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) if !r.is_empty() => (u, r),
            Some(_) => return None,
            None => (rest, ""),
        };
        if upstream.is_empty()
            || !upstream.chars().all(upstream_char_ok)
            || !revision.chars().all(revision_char_ok)
        {
            return None;
        }
        Some(DebianVersion {
            epoch: epoch.to_string(),
            upstream: upstream.to_string(),
            revision: revision.to_string(),
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

    /// The upstream version, as written.
    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// The Debian revision, empty when absent.
    pub fn revision(&self) -> &str {
        &self.revision
    }
}

/// dpkg's weight of one character in a non-digit run; `None` is the end.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's comparison of two upstream versions or two revisions.
pub(crate) fn dpkg_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        // The non-digit run, character by character.
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (wa, wb) = (weight(a.get(i).copied()), weight(b.get(j).copied()));
            if wa != wb {
                return wa.cmp(&wb);
            }
            i += 1;
            j += 1;
        }
        // The digit run, numerically.
        let (si, sj) = (i, j);
        while digit(a, i) {
            i += 1;
        }
        while digit(b, j) {
            j += 1;
        }
        let ord = cmp_digits(
            std::str::from_utf8(&a[si..i]).unwrap_or_default(),
            std::str::from_utf8(&b[sj..j]).unwrap_or_default(),
        );
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

impl Ord for DebianVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| dpkg_cmp(&self.upstream, &other.upstream))
            .then_with(|| dpkg_cmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DebianVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equal as dpkg sees it (`1.0-0` == `1.0` == `0:1.00`).
impl PartialEq for DebianVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DebianVersion {}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Greater as Gt, Less as Lt};

    fn cmp(a: &str, b: &str) -> Option<Ordering> {
        Some(DebianVersion::parse(a)?.cmp(&DebianVersion::parse(b)?))
    }

    fn check(cases: &[(&str, &str, Ordering)]) {
        for &(a, b, want) in cases {
            assert_eq!(cmp(a, b), Some(want), "{a:?} vs {b:?}");
            assert_eq!(cmp(b, a), Some(want.reverse()), "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn tilde_sorts_before_everything() {
        let chain = [
            "1.0~~", "1.0~~a", "1.0~", "1.0~rc1", "1.0~rc2", "1.0", "1.0a", "1.0+b1", "1.0.1",
        ];
        for (i, a) in chain.iter().enumerate() {
            for (j, b) in chain.iter().enumerate() {
                assert_eq!(cmp(a, b), Some(i.cmp(&j)), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn epochs() {
        check(&[
            ("1:1.2.8.dfsg-2", "1.2.8.dfsg-2", Gt),
            ("1:0.9", "2.0", Gt),
            ("0:1.0", "1.0", Eq),
            ("00:1.0", "1.0", Eq),
            ("2:1.0", "10:1.0", Lt),
            ("1:1.2.8.dfsg-2", "1:1.2.8.dfsg-2", Eq),
            ("1:1.2.8.dfsg-2", "1:1.2.8.dfsg-10", Lt),
        ]);
    }

    #[test]
    fn revisions() {
        check(&[
            ("1.0.1f-1ubuntu2", "1.0.1f-1ubuntu2", Eq),
            ("1.0.1f-1ubuntu2", "1.0.1f-1ubuntu2.1", Lt),
            ("1.0.1f-1ubuntu2.27", "1.0.1f-1ubuntu2.3", Gt),
            ("1.0.1f-1ubuntu2", "1.0.1f-1ubuntu10", Lt),
            ("1.0.1f-1ubuntu2", "1.0.1f-2", Lt),
            ("1.0.1f-1", "1.0.1g-1", Lt),
            ("1.0-1", "1.0", Gt),
            ("1.0-0", "1.0", Eq),
            ("1.0-1~bpo8+1", "1.0-1", Lt),
            ("1.0-1+deb8u1", "1.0-1", Gt),
            ("1.0-1+deb8u1", "1.0-1+deb8u10", Lt),
            ("2.7.4-0ubuntu1.6", "2.7.4-0ubuntu1", Gt),
            ("1.0-beta-2", "1.0-beta-1", Gt),
        ]);
    }

    #[test]
    fn upstream_parts() {
        check(&[
            ("1.0", "1.00", Eq),
            ("1.0", "1.0.0", Lt),
            ("1.2", "1.10", Lt),
            ("1.0a", "1.0b", Lt),
            ("1.0a", "1.0A", Gt),
            ("1.0a", "1.0+", Lt),
            ("1.0+", "1.0.", Lt),
            ("1.0a", "1.0.1", Lt),
            ("1.2.8.dfsg", "1.2.8", Gt),
            ("1.2.8~dfsg", "1.2.8", Lt),
            ("2.0+really1.9", "2.0", Gt),
            ("1.0+git20200101", "1.0+git20191231", Gt),
            ("1.0", "1", Gt),
            ("a", "1", Gt),
        ]);
    }

    #[test]
    fn parts() {
        let v = DebianVersion::parse("1:1.2.8.dfsg-2").unwrap();
        assert_eq!(
            (v.epoch(), v.upstream(), v.revision()),
            ("1", "1.2.8.dfsg", "2")
        );
        let v = DebianVersion::parse("1.0-beta-2").unwrap();
        assert_eq!(
            (v.epoch(), v.upstream(), v.revision()),
            ("0", "1.0-beta", "2")
        );
        let v = DebianVersion::parse("2:1.0:3").unwrap();
        assert_eq!((v.epoch(), v.upstream(), v.revision()), ("2", "1.0:3", ""));
    }

    #[test]
    fn malformed_strings_are_not_debian() {
        for s in [
            "", ":1.0", "a:1.0", "1:", "-1", "1.0-", "1.0 1", "1.0-1-", "1.0/2", "1.0-1:2",
            "1.0-a@b",
        ] {
            assert!(DebianVersion::parse(s).is_none(), "{s:?}");
        }
    }
}
