//! Semantic Versioning 2.0.0 precedence, read leniently.
//!
//! `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`:
//!
//! - The release numbers compare numerically. Missing minor/patch count as
//!   zero (`1.2` == `1.2.0`), and more than three numbers are accepted and
//!   compared the same way (NuGet's `1.2.3.4`). Leading zeros are tolerated.
//! - A version with a pre-release sorts before the same version without one
//!   (`1.0.0-rc.1 < 1.0.0`). Pre-release identifiers (split on `.`) compare
//!   one by one: numeric ones numerically, others in ASCII order
//!   (case-sensitive, as the specification says), numeric before
//!   alphanumeric, and a longer list wins when one is a prefix of the other
//!   (`alpha < alpha.1 < alpha.beta < beta < beta.2 < beta.11 < rc.1`).
//! - Build metadata (`+...`) is ignored.
//! - A leading `v` (Go modules) or `=` (npm) is ignored.
//!
//! Anything else (empty parts, characters outside `[0-9A-Za-z-.]` in the
//! pre-release or build, text in the release numbers) is not semver.

use std::cmp::Ordering;

use crate::num::{all_digits, cmp_digits, trim_zeros};

#[derive(Debug, Clone)]
enum Ident {
    /// A numeric identifier without leading zeros.
    Num(String),
    Alnum(String),
}

fn cmp_ident(a: &Ident, b: &Ident) -> Ordering {
    match (a, b) {
        (Ident::Num(x), Ident::Num(y)) => cmp_digits(x, y),
        (Ident::Num(_), Ident::Alnum(_)) => Ordering::Less,
        (Ident::Alnum(_), Ident::Num(_)) => Ordering::Greater,
        (Ident::Alnum(x), Ident::Alnum(y)) => x.as_bytes().cmp(y.as_bytes()),
    }
}

/// A semantic version (see the module documentation).
#[derive(Debug, Clone)]
pub struct SemverVersion {
    release: Vec<String>,
    pre: Vec<Ident>,
    build: Option<String>,
}

fn identifiers_ok(s: &str) -> bool {
    s.split('.')
        .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

impl SemverVersion {
    /// Reads `s`; `None` when it is not a (lenient) semantic version.
    pub fn parse(s: &str) -> Option<SemverVersion> {
        let s = s.trim();
        let s = s.strip_prefix('=').unwrap_or(s).trim_start();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let (rest, build) = match s.split_once('+') {
            Some((rest, build)) => (rest, Some(build)),
            None => (s, None),
        };
        if let Some(build) = build
            && !identifiers_ok(build)
        {
            return None;
        }
        let (core, pre) = match rest.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (rest, None),
        };
        let release: Vec<String> = core
            .split('.')
            .map(|n| all_digits(n).then(|| trim_zeros(n).to_string()))
            .collect::<Option<_>>()?;
        let pre = match pre {
            None => Vec::new(),
            Some(pre) if identifiers_ok(pre) => pre
                .split('.')
                .map(|id| {
                    if all_digits(id) {
                        Ident::Num(trim_zeros(id).to_string())
                    } else {
                        Ident::Alnum(id.to_string())
                    }
                })
                .collect(),
            Some(_) => return None,
        };
        Some(SemverVersion {
            release,
            pre,
            build: build.map(str::to_string),
        })
    }

    /// True when the version has a pre-release part (`1.0.0-rc.1`). npm
    /// ranges only admit such versions when a bound names the same
    /// `MAJOR.MINOR.PATCH` with a pre-release; that is the matcher's call.
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// The build metadata, if any (ignored when comparing).
    pub fn build(&self) -> Option<&str> {
        self.build.as_deref()
    }
}

impl Ord for SemverVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for i in 0..self.release.len().max(other.release.len()) {
            let a = self.release.get(i).map_or("", String::as_str);
            let b = other.release.get(i).map_or("", String::as_str);
            let ord = cmp_digits(a, b);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => {}
        }
        for (a, b) in self.pre.iter().zip(&other.pre) {
            let ord = cmp_ident(a, b);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

impl PartialOrd for SemverVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equal in precedence (build metadata ignored).
impl PartialEq for SemverVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemverVersion {}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Greater as Gt, Less as Lt};

    fn cmp(a: &str, b: &str) -> Option<Ordering> {
        Some(SemverVersion::parse(a)?.cmp(&SemverVersion::parse(b)?))
    }

    fn check(cases: &[(&str, &str, Ordering)]) {
        for &(a, b, want) in cases {
            assert_eq!(cmp(a, b), Some(want), "{a:?} vs {b:?}");
            assert_eq!(cmp(b, a), Some(want.reverse()), "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn precedence_from_the_specification() {
        // semver.org, item 11.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for (i, a) in chain.iter().enumerate() {
            for (j, b) in chain.iter().enumerate() {
                assert_eq!(cmp(a, b), Some(i.cmp(&j)), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn release_numbers() {
        check(&[
            ("1.2.3", "1.2.3", Eq),
            ("1.2.3", "1.2.4", Lt),
            ("1.2.10", "1.2.9", Gt),
            ("1.10.0", "1.9.99", Gt),
            ("2.0.0", "10.0.0", Lt),
            ("1.2", "1.2.0", Eq),
            ("1", "1.0.0", Eq),
            ("1.2", "1.2.1", Lt),
            ("1.2.3.4", "1.2.3", Gt),
            ("1.2.3.0", "1.2.3", Eq),
            ("01.2.3", "1.2.3", Eq),
            ("1.2.3", "1.2.18446744073709551616", Lt),
        ]);
    }

    #[test]
    fn prefixes_and_build_metadata() {
        check(&[
            ("v1.2.3", "1.2.3", Eq),
            ("V1.2.3", "1.2.3", Eq),
            ("=1.2.3", "1.2.3", Eq),
            ("= v1.2.3", "1.2.3", Eq),
            (" 1.2.3 ", "1.2.3", Eq),
            ("1.2.3+build.5", "1.2.3", Eq),
            ("1.2.3+build.5", "1.2.3+build.6", Eq),
            ("1.2.3-rc.1+build.5", "1.2.3-rc.1", Eq),
            ("1.2.3+build-1", "1.2.4", Lt),
        ]);
        let v = SemverVersion::parse("1.0.0-rc.1+exp.sha.5114f85").unwrap();
        assert_eq!(v.build(), Some("exp.sha.5114f85"));
        assert!(v.is_prerelease());
        assert!(!SemverVersion::parse("1.0.0+x").unwrap().is_prerelease());
    }

    #[test]
    fn pre_release_identifiers() {
        check(&[
            ("1.0.0-alpha", "1.0.0", Lt),
            ("1.0.0-0", "1.0.0", Lt),
            ("1.0.0-rc.1", "0.9.9", Gt),
            ("1.0.0-1", "1.0.0-2", Lt),
            ("1.0.0-2", "1.0.0-10", Lt),
            ("1.0.0-01", "1.0.0-1", Eq),
            ("1.0.0-999", "1.0.0-a", Lt),
            ("1.0.0-alpha-1", "1.0.0-alpha", Gt),
            ("1.0.0-alpha-1", "1.0.0-alpha.1", Gt),
            // ASCII order: upper case before lower case.
            ("1.0.0-RC.1", "1.0.0-alpha", Lt),
            ("1.0.0-rc.1", "1.0.0-rc.1.1", Lt),
            ("1.0.0-beta.2", "1.0.0-beta.2", Eq),
            // Go pseudo-versions are pre-releases of the next patch.
            (
                "v0.0.0-20210101000000-abcdef123456",
                "v0.0.0-20220101000000-abcdef123456",
                Lt,
            ),
            ("v1.2.4-0.20210101000000-abcdef123456", "v1.2.4", Lt),
            ("v1.2.4-0.20210101000000-abcdef123456", "v1.2.3", Gt),
        ]);
    }

    #[test]
    fn malformed_strings_are_not_semver() {
        for s in [
            "",
            "v",
            "1.",
            ".1",
            "1..2",
            "1.2.x",
            "a.b.c",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-rc..1",
            "1.2.3-rc_1",
            "1.2.3+b@d",
            "1.2.3beta",
            "1.2.3 rc",
            "*",
        ] {
            assert!(SemverVersion::parse(s).is_none(), "{s:?}");
        }
    }
}
