//! From a package version to the upstream version it packages, so that a
//! distribution package can be matched against NVD/CPE ranges of the
//! upstream project: `libssl1.0.0 1.0.1f-1ubuntu2` → openssl `1.0.1f`,
//! `openssl-libs 1.0.2k-16.el7` → `1.0.2k`, `zlib1g 1:1.2.8.dfsg-2` →
//! `1.2.8`.
//!
//! Only the version is mapped here; which upstream project a package name
//! belongs to is the matcher's business.

use crate::Scheme;
use crate::generic::strip_v;

/// The upstream version inside a package version of `scheme`.
///
/// - Debian: drops the epoch (`1:`), the Debian revision (after the last
///   `-`: `-1ubuntu2`), keeps the part after `+really` (`2.0+really1.9` →
///   `1.9`, a downgrade repackaged under a higher number), then cuts a
///   repack tag and everything after it: `.dfsg`, `+dfsg`, `~dfsg`, `+ds`,
///   `.orig`, `+repack` (and their numbered forms, `+dfsg1`, `+ds.2`).
/// - RPM: drops the epoch and the release (`-16.el7`).
/// - Semver: drops a leading `v`/`=` and the build metadata (`+...`).
/// - PEP 440: drops a leading `v` and the local label (`+ubuntu1`, the
///   distributor's own changes).
/// - Generic: drops a leading `v`/`V` before a digit; letter suffixes stay
///   (`1.0.1f`, `4.2.8p3`). Vendor build suffixes such as `-fips` stay too;
///   [`strip_build_suffix`] removes them when asked.
/// - Maven: the version as is.
///
/// Surrounding whitespace is always trimmed. Strings that are not versions
/// of the scheme are mapped by the same text rules, never rejected.
///
/// ```
/// use kensa_version::{Scheme, upstream_version};
/// assert_eq!(upstream_version(Scheme::Debian, "1.0.1f-1ubuntu2"), "1.0.1f");
/// assert_eq!(upstream_version(Scheme::Rpm, "1.0.2k-16.el7"), "1.0.2k");
/// assert_eq!(upstream_version(Scheme::Debian, "1:1.2.8.dfsg-2"), "1.2.8");
/// ```
pub fn upstream_version(scheme: Scheme, version: &str) -> String {
    let v = version.trim();
    match scheme {
        Scheme::Debian => debian_upstream(v).to_string(),
        Scheme::Rpm => {
            let v = drop_epoch(v);
            v.rsplit_once('-').map_or(v, |(v, _)| v).to_string()
        }
        Scheme::Semver => {
            let v = v.strip_prefix('=').unwrap_or(v).trim_start();
            let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
            v.split_once('+').map_or(v, |(v, _)| v).to_string()
        }
        Scheme::Pep440 => {
            let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
            v.split_once('+').map_or(v, |(v, _)| v).to_string()
        }
        Scheme::Generic => strip_v(v).to_string(),
        Scheme::Maven => v.to_string(),
    }
}

/// `v` without a numeric epoch prefix (`1:`).
fn drop_epoch(v: &str) -> &str {
    match v.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => v,
    }
}

/// Debian repack tags, cut together with what follows them.
const REPACK_TAGS: [&str; 4] = ["dfsg", "ds", "orig", "repack"];

fn debian_upstream(v: &str) -> &str {
    let v = drop_epoch(v);
    let mut v = v.rsplit_once('-').map_or(v, |(u, _)| u);
    if let Some(i) = v.find("+really") {
        v = &v[i + "+really".len()..];
    }
    cut_repack_tag(v)
}

/// Cuts at the first `.`/`+`/`~` that starts a repack tag, the tag being
/// followed by the end, a digit or one of `.+~`.
fn cut_repack_tag(v: &str) -> &str {
    let bytes = v.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if i == 0 || !matches!(b, b'.' | b'+' | b'~') {
            continue;
        }
        let rest = &v[i + 1..];
        for tag in REPACK_TAGS {
            let Some(after) = rest.get(..tag.len()) else {
                continue;
            };
            if !after.eq_ignore_ascii_case(tag) {
                continue;
            }
            let next = rest.as_bytes().get(tag.len());
            if next.is_none_or(|&c| c.is_ascii_digit() || matches!(c, b'.' | b'+' | b'~')) {
                return &v[..i];
            }
        }
    }
    v
}

/// Vendor and build tags that [`strip_build_suffix`] removes.
const BUILD_TAGS: [&str; 6] = ["fips", "ga", "final", "release", "stable", "lts"];

/// A generic version without its vendor build suffix: build metadata after
/// a `+` (`1.2.3+build.5` → `1.2.3`), and trailing tags from a fixed list
/// (`fips`, `ga`, `final`, `release`, `stable`, `lts`) when a separator
/// (`-`, `_`, `.`, space) sets them apart: `1.0.2k-fips` → `1.0.2k`,
/// `2.4.1-GA` → `2.4.1`. Letter suffixes that are part of the version stay
/// (`1.0.1f`, `4.2.8p3`), and nothing is cut that would leave no digit.
///
/// ```
/// use kensa_version::strip_build_suffix;
/// assert_eq!(strip_build_suffix("1.0.2k-fips"), "1.0.2k");
/// assert_eq!(strip_build_suffix("1.0.1f"), "1.0.1f");
/// ```
pub fn strip_build_suffix(version: &str) -> &str {
    let has_digit = |s: &str| s.bytes().any(|b| b.is_ascii_digit());
    let mut v = version.trim();
    if let Some((head, _)) = v.split_once('+')
        && has_digit(head)
    {
        v = head;
    }
    loop {
        let Some(i) = v.rfind(['-', '_', '.', ' ']) else {
            return v;
        };
        let (head, tag) = (&v[..i], &v[i + 1..]);
        if !has_digit(head) || !BUILD_TAGS.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            return v;
        }
        v = head.trim_end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_to_upstream() {
        let cases = [
            // The detection issue's examples.
            ("1.0.1f-1ubuntu2", "1.0.1f"),
            ("1:1.2.8.dfsg-2", "1.2.8"),
            // Epochs and revisions.
            ("1.0.1f-1ubuntu2.27", "1.0.1f"),
            ("2.7.4-0ubuntu1.6", "2.7.4"),
            ("1:2.3.4-1+deb10u1", "2.3.4"),
            ("1.0-beta-2", "1.0-beta"),
            ("1.2.3", "1.2.3"),
            (" 1:1.2.3-1 ", "1.2.3"),
            ("1.0~rc1-1", "1.0~rc1"),
            ("1.0+git20200101-2", "1.0+git20200101"),
            // Repack tags.
            ("1.2.8.dfsg-2", "1.2.8"),
            ("2.4+dfsg1-1", "2.4"),
            ("3.0+dfsg.1-1", "3.0"),
            ("1.0~dfsg-1", "1.0"),
            ("1.6.1+ds-2", "1.6.1"),
            ("1.6.1+ds1-2", "1.6.1"),
            ("2.0.orig-1", "2.0"),
            ("4.1+repack-3", "4.1"),
            ("1.0~rc1+dfsg-1", "1.0~rc1"),
            ("1.0+DFSG-1", "1.0"),
            // Not repack tags.
            ("1.0+dsfoo-1", "1.0+dsfoo"),
            ("1.0.ordinal-1", "1.0.ordinal"),
            ("dfsg-1", "dfsg"),
            // +really: the version actually packaged.
            ("2.0+really1.9-1", "1.9"),
            ("1:4.0+really3.8+dfsg-1", "3.8"),
        ];
        for (v, want) in cases {
            assert_eq!(upstream_version(Scheme::Debian, v), want, "{v:?}");
        }
    }

    #[test]
    fn rpm_to_upstream() {
        let cases = [
            ("1.0.2k-16.el7", "1.0.2k"),
            ("1:1.0.2k-16.el7", "1.0.2k"),
            ("1:1.0.2k-16.el7_6.1", "1.0.2k"),
            ("3.10.0-1160.el7", "3.10.0"),
            ("1.0.2k", "1.0.2k"),
            ("1.0^git1-1.fc35", "1.0^git1"),
        ];
        for (v, want) in cases {
            assert_eq!(upstream_version(Scheme::Rpm, v), want, "{v:?}");
        }
    }

    #[test]
    fn other_schemes_to_upstream() {
        let cases = [
            (Scheme::Generic, "V2.8.1", "2.8.1"),
            (Scheme::Generic, "v2.8.1", "2.8.1"),
            (Scheme::Generic, "1.0.1f", "1.0.1f"),
            (Scheme::Generic, "4.2.8p3", "4.2.8p3"),
            (Scheme::Generic, "1.0.2k-fips", "1.0.2k-fips"),
            (Scheme::Generic, "version", "version"),
            (Scheme::Semver, "v1.2.3+build.5", "1.2.3"),
            (Scheme::Semver, "=1.2.3-rc.1", "1.2.3-rc.1"),
            (Scheme::Pep440, "1.0+ubuntu1", "1.0"),
            (Scheme::Pep440, "v1!2.0.post1", "1!2.0.post1"),
            (Scheme::Maven, " 1.0.0.RELEASE ", "1.0.0.RELEASE"),
        ];
        for (scheme, v, want) in cases {
            assert_eq!(upstream_version(scheme, v), want, "{scheme} {v:?}");
        }
    }

    #[test]
    fn build_suffixes() {
        let cases = [
            ("1.0.2k-fips", "1.0.2k"),
            ("1.0.2K-FIPS", "1.0.2K"),
            ("1.0.2k_fips", "1.0.2k"),
            ("1.0.2k fips", "1.0.2k"),
            ("2.4.1-GA", "2.4.1"),
            ("5.3.0.RELEASE", "5.3.0"),
            ("1.2-stable-lts", "1.2"),
            ("1.2.3+build.5", "1.2.3"),
            ("1.0.2k-fips+b1", "1.0.2k"),
            ("1.0.1f", "1.0.1f"),
            ("4.2.8p3", "4.2.8p3"),
            ("1.0-rc1", "1.0-rc1"),
            ("1.0-beta", "1.0-beta"),
            ("1.0fips", "1.0fips"),
            ("fips", "fips"),
            ("x-fips", "x-fips"),
            ("+fips", "+fips"),
            ("  2.0-final ", "2.0"),
        ];
        for (v, want) in cases {
            assert_eq!(strip_build_suffix(v), want, "{v:?}");
        }
    }
}
