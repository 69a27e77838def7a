//! Package URLs against OSV `affected` entries: the purl names the package
//! in its ecosystem, the entry's ranges (or explicit version list) say
//! whether the component's version is affected.
//!
//! `GIT` ranges are ignored: they list commits, and SBOMs carry versions.

use std::cmp::Ordering;

use kensa_model::{OsvAffected, OsvEvent, OsvRange, VulnRecord};
use kensa_version::{Scheme, compare};

use crate::resolve::Purl;

/// A package as OSV names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsvPackage {
    /// The OSV ecosystem (`PyPI`, `npm`, `Maven`, …).
    pub ecosystem: &'static str,
    /// The package name as OSV writes it for that ecosystem; for a
    /// distribution package, its source package when the purl says which
    /// (`upstream=openssl`), as Debian's and Ubuntu's advisories name
    /// source packages.
    pub name: String,
    /// The distribution release the purl names (`11` for Debian 11 from
    /// `distro=debian-11` or `bullseye`, or from a `+deb11u4` version;
    /// `22.04`; Alpine `v3.18`): only that release's OSV entries apply,
    /// since each release fixes at its own version.
    pub release: Option<String>,
    /// The source package's version, when the purl's `upstream` gives one
    /// (`glibc@2.31-13`): OSV ranges are in source versions.
    pub source_version: Option<String>,
    /// The binary package the purl names, when `name` is its source
    /// package (from `upstream`, or found by name).
    pub binary: Option<String>,
}

/// The ecosystems whose advisories name source packages of a release.
pub fn is_distribution(ecosystem: &str) -> bool {
    matches!(ecosystem, "Debian" | "Ubuntu" | "Alpine")
}

/// The OSV package a purl names, for the purl types OSV has an ecosystem
/// for; `None` otherwise (`generic`, `github`, `rpm`, …).
pub fn package_of(purl: &Purl) -> Option<OsvPackage> {
    let ns = purl.namespace.as_deref().filter(|n| !n.is_empty());
    let with_ns = |sep: &str| match ns {
        Some(ns) => format!("{ns}{sep}{}", purl.name),
        None => purl.name.clone(),
    };
    let (ecosystem, name) = match purl.kind.as_str() {
        "pypi" => ("PyPI", pep503(&purl.name)),
        "npm" => ("npm", with_ns("/")),
        "maven" => ("Maven", with_ns(":")),
        "gem" => ("RubyGems", purl.name.clone()),
        "cargo" => ("crates.io", purl.name.clone()),
        "golang" => ("Go", with_ns("/")),
        "nuget" => ("NuGet", purl.name.clone()),
        "composer" => ("Packagist", with_ns("/")),
        "hex" => ("Hex", purl.name.clone()),
        "pub" => ("Pub", purl.name.clone()),
        "deb" if ns.is_some_and(|n| n.eq_ignore_ascii_case("ubuntu")) => {
            ("Ubuntu", purl.name.clone())
        }
        "deb" => ("Debian", purl.name.clone()),
        "apk" => ("Alpine", purl.name.clone()),
        _ => return None,
    };
    let mut package = OsvPackage {
        ecosystem,
        name,
        release: None,
        source_version: None,
        binary: None,
    };
    if is_distribution(ecosystem) {
        if let Some(upstream) = purl.qualifier("upstream") {
            // Syft writes the source package as `upstream=name` or
            // `upstream=name@version` when the versions differ.
            let (source, version) = match upstream.split_once('@') {
                Some((n, v)) => (n, Some(v)),
                None => (upstream, None),
            };
            let source = source.trim();
            if !source.is_empty() && source != package.name {
                package.binary = Some(std::mem::replace(&mut package.name, source.to_string()));
            }
            package.source_version = version.map(|v| v.trim().to_string());
        }
        package.release = purl
            .qualifier("distro")
            .and_then(|d| release_of(ecosystem, d))
            .or_else(|| {
                let version = purl.version.as_deref()?;
                (ecosystem == "Debian").then(|| debian_release_in_version(version))?
            });
    }
    Some(package)
}

/// The OSV release of a purl `distro` qualifier: `debian-11`, `bullseye`,
/// `ubuntu-22.04`, `jammy`, `alpine-3.18`, `3.18.4`.
fn release_of(ecosystem: &str, distro: &str) -> Option<String> {
    const DEBIAN: [(&str, &str); 7] = [
        ("jessie", "8"),
        ("stretch", "9"),
        ("buster", "10"),
        ("bullseye", "11"),
        ("bookworm", "12"),
        ("trixie", "13"),
        ("forky", "14"),
    ];
    const UBUNTU: [(&str, &str); 6] = [
        ("xenial", "16.04"),
        ("bionic", "18.04"),
        ("focal", "20.04"),
        ("jammy", "22.04"),
        ("noble", "24.04"),
        ("plucky", "25.04"),
    ];
    let d = distro.trim().to_ascii_lowercase();
    let number = d
        .rsplit_once('-')
        .map_or(d.as_str(), |(_, n)| n)
        .trim_start_matches('v');
    let numeric = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    match ecosystem {
        "Debian" => DEBIAN
            .iter()
            .find(|(code, _)| *code == d)
            .map(|(_, n)| n.to_string())
            .or_else(|| numeric.then(|| number.split('.').next().unwrap_or(number).to_string())),
        "Ubuntu" => UBUNTU
            .iter()
            .find(|(code, _)| *code == d)
            .map(|(_, n)| n.to_string())
            .or_else(|| numeric.then(|| number.to_string())),
        "Alpine" => numeric.then(|| {
            let mut parts = number.split('.');
            match (parts.next(), parts.next()) {
                (Some(major), Some(minor)) => format!("v{major}.{minor}"),
                _ => format!("v{number}"),
            }
        }),
        _ => None,
    }
}

/// Debian's stable updates carry the release in the version:
/// `1.1.1n-0+deb11u4` → `11`, `2.36-9+deb12u7` → `12`.
fn debian_release_in_version(version: &str) -> Option<String> {
    let at = version.rfind("deb")?;
    let digits: String = version[at + 3..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let after = version[at + 3 + digits.len()..].chars().next();
    (!digits.is_empty() && matches!(after, Some('u') | None)).then_some(digits)
}

/// A Python project name normalised as PEP 503 says: lower case, and each
/// run of `-`, `_` and `.` as one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for ch in name.trim().chars() {
        if matches!(ch, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(ch.to_ascii_lowercase());
        }
    }
    out
}

/// Whether OSV's `(ecosystem, name)` is the package asked for. The
/// ecosystem may carry a release (`Debian:11`); names compare the way the
/// ecosystem does (PEP 503 for PyPI, ASCII case ignored elsewhere).
fn same_package(a: &OsvAffected, ecosystem: &str, name: &str) -> bool {
    let (Some(eco), Some(n)) = (a.ecosystem.as_deref(), a.name.as_deref()) else {
        return false;
    };
    let base = eco.split(':').next().unwrap_or_default().trim();
    if !base.eq_ignore_ascii_case(ecosystem) {
        return false;
    }
    if ecosystem.eq_ignore_ascii_case("PyPI") {
        pep503(n) == pep503(name)
    } else {
        n.eq_ignore_ascii_case(name)
    }
}

/// Why `version` of the package is affected by `rec`, or `None` when no
/// `affected` entry of that package covers it (or the versions cannot be
/// compared). Explanations read `PyPI/pyopenssl: introduced 0, fixed 17.5.0`.
pub fn affected_by(rec: &VulnRecord, ecosystem: &str, name: &str, version: &str) -> Option<String> {
    affected_in(rec, ecosystem, name, None, version)
}

/// [`affected_by`], counting only the entries of one distribution release
/// when `release` is given (`Debian:11`, and entries that name no release).
pub fn affected_in(
    rec: &VulnRecord,
    ecosystem: &str,
    name: &str,
    release: Option<&str>,
    version: &str,
) -> Option<String> {
    let version = version.trim();
    if version.is_empty() {
        return None;
    }
    for a in rec
        .osv_affected
        .iter()
        .filter(|a| same_package(a, ecosystem, name) && in_release(a, release))
    {
        let eco = a.ecosystem.as_deref().unwrap_or(ecosystem);
        let pkg = a.name.as_deref().unwrap_or(name);
        for range in &a.ranges {
            let scheme = match range.kind.to_ascii_uppercase().as_str() {
                "ECOSYSTEM" => Scheme::for_ecosystem(eco),
                "SEMVER" => Scheme::Semver,
                _ => continue,
            };
            if let Some(why) = range_covers(range, scheme, version) {
                return Some(format!("{eco}/{pkg}: {why}"));
            }
        }
        let scheme = Scheme::for_ecosystem(eco);
        if let Some(listed) = a
            .versions
            .iter()
            .find(|v| v.trim() == version || compare(scheme, v, version) == Some(Ordering::Equal))
        {
            return Some(format!(
                "{eco}/{pkg}: version {listed} is listed as affected"
            ));
        }
    }
    None
}

/// Whether an entry belongs to the release: `Debian:11` and `Ubuntu:22.04:LTS`
/// to `11` and `22.04`, an entry without a release to any.
fn in_release(a: &OsvAffected, release: Option<&str>) -> bool {
    let Some(release) = release else {
        return true;
    };
    match a.ecosystem.as_deref().and_then(|e| e.split_once(':')) {
        None => true,
        Some((_, rest)) => rest.split(':').next() == Some(release),
    }
}

/// Walks the events in order: each `introduced` opens an interval that the
/// next `fixed` (exclusive) or `last_affected` (inclusive) closes; a `limit`
/// caps every interval (exclusive). Returns the interval that holds
/// `version`, in words.
fn range_covers(range: &OsvRange, scheme: Scheme, version: &str) -> Option<String> {
    let cmp = |bound: &str| -> Option<Ordering> {
        if bound == "0" {
            // "0": from the first version on, whatever the scheme.
            return Some(Ordering::Greater);
        }
        compare(scheme, version, bound)
    };
    let limits: Vec<&str> = range
        .events
        .iter()
        .filter_map(|e| e.limit.as_deref())
        .collect();
    for l in &limits {
        if cmp(l) != Some(Ordering::Less) {
            return None;
        }
    }
    let mut open: Option<&str> = None;
    let closes = |ev: &OsvEvent| ev.fixed.is_some() || ev.last_affected.is_some();
    for ev in &range.events {
        if let Some(intro) = ev.introduced.as_deref() {
            open = Some(intro);
            continue;
        }
        if !closes(ev) {
            continue;
        }
        let Some(intro) = open.take() else {
            continue;
        };
        if !matches!(cmp(intro), Some(Ordering::Greater | Ordering::Equal)) {
            continue;
        }
        if let Some(fixed) = ev.fixed.as_deref() {
            if cmp(fixed) == Some(Ordering::Less) {
                return Some(format!("introduced {intro}, fixed {fixed}"));
            }
        } else if let Some(last) = ev.last_affected.as_deref()
            && matches!(cmp(last), Some(Ordering::Less | Ordering::Equal))
        {
            return Some(format!("introduced {intro}, last affected {last}"));
        }
    }
    // An interval still open at the end: every later version is affected
    // (up to the limit, if any).
    let intro = open?;
    if matches!(cmp(intro), Some(Ordering::Greater | Ordering::Equal)) {
        let mut why = format!("introduced {intro}, no fix");
        if let Some(l) = limits.first() {
            why.push_str(&format!(", limit {l}"));
        }
        return Some(why);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distro_qualifiers_name_osv_releases() {
        for (eco, distro, want) in [
            ("Debian", "debian-11", Some("11")),
            ("Debian", "bookworm", Some("12")),
            ("Debian", "debian-12.4", Some("12")),
            ("Ubuntu", "ubuntu-22.04", Some("22.04")),
            ("Ubuntu", "jammy", Some("22.04")),
            ("Alpine", "alpine-3.18", Some("v3.18")),
            ("Alpine", "3.18.4", Some("v3.18")),
            ("Debian", "sid", None),
        ] {
            assert_eq!(release_of(eco, distro).as_deref(), want, "{eco} {distro}");
        }
        assert_eq!(
            debian_release_in_version("1.1.1n-0+deb11u4").as_deref(),
            Some("11")
        );
        assert_eq!(
            debian_release_in_version("2.36-9+deb12u7").as_deref(),
            Some("12")
        );
        assert_eq!(debian_release_in_version("1.2.3-1"), None);
        assert_eq!(debian_release_in_version("1.0-1debian"), None);
    }
    use kensa_model::{Source, SourceKind};

    fn ev(kind: &str, v: &str) -> OsvEvent {
        let mut e = OsvEvent::default();
        let v = Some(v.to_string());
        match kind {
            "introduced" => e.introduced = v,
            "fixed" => e.fixed = v,
            "last_affected" => e.last_affected = v,
            _ => e.limit = v,
        }
        e
    }

    fn record(
        eco: &str,
        name: &str,
        kind: &str,
        events: &[(&str, &str)],
        versions: &[&str],
    ) -> VulnRecord {
        let mut r = VulnRecord::new("OSV-1", Source::new(SourceKind::Osv, "osv"));
        r.osv_affected.push(OsvAffected {
            ecosystem: Some(eco.into()),
            name: Some(name.into()),
            purl: None,
            ranges: vec![OsvRange {
                kind: kind.into(),
                repo: None,
                events: events.iter().map(|(k, v)| ev(k, v)).collect(),
            }],
            versions: versions.iter().map(|v| v.to_string()).collect(),
        });
        r
    }

    #[test]
    fn introduced_fixed() {
        let r = record(
            "PyPI",
            "pyopenssl",
            "ECOSYSTEM",
            &[("introduced", "0"), ("fixed", "17.5.0")],
            &[],
        );
        assert_eq!(
            affected_by(&r, "PyPI", "pyopenssl", "0.13").as_deref(),
            Some("PyPI/pyopenssl: introduced 0, fixed 17.5.0")
        );
        assert!(affected_by(&r, "PyPI", "pyopenssl", "17.5.0").is_none());
        assert!(affected_by(&r, "PyPI", "pyopenssl", "18.0.0").is_none());
        // PEP 503: pyOpenSSL, py_openssl… are all the same project name.
        assert!(affected_by(&r, "PyPI", "PyOpenSSL", "1.0").is_some());
        assert!(affected_by(&r, "npm", "pyopenssl", "1.0").is_none());
        assert!(affected_by(&r, "PyPI", "openssl", "1.0").is_none());
    }

    #[test]
    fn several_intervals_and_last_affected() {
        let r = record(
            "npm",
            "lodash",
            "SEMVER",
            &[
                ("introduced", "1.0.0"),
                ("fixed", "1.2.0"),
                ("introduced", "2.0.0"),
                ("last_affected", "2.3.1"),
            ],
            &[],
        );
        assert!(affected_by(&r, "npm", "lodash", "0.9.0").is_none());
        assert!(affected_by(&r, "npm", "lodash", "1.1.9").is_some());
        assert!(affected_by(&r, "npm", "lodash", "1.5.0").is_none());
        assert_eq!(
            affected_by(&r, "npm", "lodash", "2.3.1").as_deref(),
            Some("npm/lodash: introduced 2.0.0, last affected 2.3.1")
        );
        assert!(affected_by(&r, "npm", "lodash", "2.3.2").is_none());
    }

    #[test]
    fn open_interval_and_limit() {
        let r = record(
            "Go",
            "example.com/m",
            "SEMVER",
            &[("introduced", "1.0.0"), ("limit", "3.0.0")],
            &[],
        );
        assert!(affected_by(&r, "Go", "example.com/m", "v2.0.0").is_some());
        assert!(affected_by(&r, "Go", "example.com/m", "3.1.0").is_none());
    }

    #[test]
    fn pep440_ordering() {
        let r = record(
            "PyPI",
            "django",
            "ECOSYSTEM",
            &[("introduced", "1.0rc1"), ("fixed", "1.0.1")],
            &[],
        );
        assert!(affected_by(&r, "PyPI", "Django", "1.0b2").is_none());
        assert!(affected_by(&r, "PyPI", "Django", "1.0rc1").is_some());
        assert!(affected_by(&r, "PyPI", "Django", "1.0").is_some());
        assert!(affected_by(&r, "PyPI", "Django", "1.0.1").is_none());
    }

    #[test]
    fn versions_list() {
        let r = record(
            "PyPI",
            "pyopenssl",
            "GIT",
            &[("introduced", "abc123"), ("fixed", "def456")],
            &["0.13", "0.14"],
        );
        assert_eq!(
            affected_by(&r, "PyPI", "pyopenssl", "0.14").as_deref(),
            Some("PyPI/pyopenssl: version 0.14 is listed as affected")
        );
        // The GIT range is not read; 0.15 is not listed.
        assert!(affected_by(&r, "PyPI", "pyopenssl", "0.15").is_none());
    }

    #[test]
    fn unknown_ecosystem_compares_generically() {
        let r = record(
            "Hackage",
            "aeson",
            "ECOSYSTEM",
            &[("introduced", "0"), ("fixed", "2.0.1.0")],
            &[],
        );
        assert!(affected_by(&r, "Hackage", "aeson", "1.5.6.0").is_some());
        assert!(affected_by(&r, "Hackage", "aeson", "2.0.1.0").is_none());
    }

    #[test]
    fn distribution_releases_and_debian_versions() {
        let r = record(
            "Debian:7",
            "openssl",
            "ECOSYSTEM",
            &[("introduced", "0"), ("fixed", "1.0.1e-2+deb7u5")],
            &[],
        );
        assert!(affected_by(&r, "Debian", "openssl", "1.0.1e-2+deb7u4").is_some());
        assert!(affected_by(&r, "Debian", "openssl", "1.0.1e-2+deb7u5").is_none());
    }

    #[test]
    fn purl_types_map_to_osv_ecosystems() {
        let pkg = |s: &str| package_of(&Purl::parse(s).unwrap()).map(|p| (p.ecosystem, p.name));
        assert_eq!(
            pkg("pkg:pypi/PyOpenSSL@0.13"),
            Some(("PyPI", "pyopenssl".into()))
        );
        assert_eq!(
            pkg("pkg:pypi/requests_toolbelt"),
            Some(("PyPI", "requests-toolbelt".into()))
        );
        assert_eq!(
            pkg("pkg:npm/%40angular/core@1.0.0"),
            Some(("npm", "@angular/core".into()))
        );
        assert_eq!(
            pkg("pkg:maven/org.apache.struts/struts2-core@2.3.15"),
            Some(("Maven", "org.apache.struts:struts2-core".into()))
        );
        assert_eq!(
            pkg("pkg:gem/rails@7.0.0"),
            Some(("RubyGems", "rails".into()))
        );
        assert_eq!(
            pkg("pkg:cargo/serde@1.0.0"),
            Some(("crates.io", "serde".into()))
        );
        assert_eq!(
            pkg("pkg:golang/github.com/gin-gonic/gin@v1.9.0"),
            Some(("Go", "github.com/gin-gonic/gin".into()))
        );
        assert_eq!(
            pkg("pkg:nuget/Newtonsoft.Json@13.0.1"),
            Some(("NuGet", "Newtonsoft.Json".into()))
        );
        assert_eq!(
            pkg("pkg:composer/laravel/framework@9.0.0"),
            Some(("Packagist", "laravel/framework".into()))
        );
        assert_eq!(pkg("pkg:hex/plug@1.0.0"), Some(("Hex", "plug".into())));
        assert_eq!(pkg("pkg:pub/http@0.13.0"), Some(("Pub", "http".into())));
        assert_eq!(
            pkg("pkg:deb/debian/openssl@1.1.1n-0+deb11u3"),
            Some(("Debian", "openssl".into()))
        );
        assert_eq!(
            pkg("pkg:deb/ubuntu/openssl@1.1.1f-1ubuntu2"),
            Some(("Ubuntu", "openssl".into()))
        );
        assert_eq!(
            pkg("pkg:apk/alpine/busybox@1.36.1-r2"),
            Some(("Alpine", "busybox".into()))
        );
        assert_eq!(pkg("pkg:generic/openssl@1.0.1f"), None);
    }

    #[test]
    fn pep503_names() {
        assert_eq!(pep503("Foo.Bar__baz--Qux"), "foo-bar-baz-qux");
        assert_eq!(pep503("pyOpenSSL"), "pyopenssl");
        assert_eq!(pep503("requests_toolbelt"), "requests-toolbelt");
    }
}
