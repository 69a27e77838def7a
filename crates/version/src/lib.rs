//! Version schemes for Kensa: reading version strings and comparing them
//! exactly, the way each ecosystem does.
//!
//! Matching an SBOM component against a vulnerability comes down to "is this
//! version inside that range", and the answer depends on who wrote the
//! version. [`Scheme`] names the rules; [`compare`] applies them and answers
//! `None` when a string cannot be read under the scheme (so the matcher can
//! report "unknown" instead of guessing).
//!
//! # Schemes
//!
//! - [`Scheme::Generic`] ([`GenericVersion`]): NVD/CPE versions and firmware
//!   (`V2.8.1`, `1.0.1f`, `4.2.8p3`, `2014.63`). Digit runs compare as
//!   numbers, letter runs lexically and case-insensitively, separators only
//!   split, trailing zeros are ignored, a leading `v` is ignored; `alpha`,
//!   `beta`, `pre`, `rc` (and `a`/`b` between digits, `1.0b2`) sort before
//!   the release, any other letters after it (`1.0.1 < 1.0.1f`). See
//!   [`generic`] for the full rules.
//! - [`Scheme::Semver`] ([`SemverVersion`]): Semantic Versioning 2.0.0
//!   precedence (numeric release, pre-release identifiers sort before the
//!   release, build metadata ignored), tolerating `1.2`, `v1.2.3` (Go) and
//!   four-part NuGet versions. See [`semver`].
//! - [`Scheme::Pep440`] ([`Pep440Version`]): Python versions: epoch,
//!   zero-padded release, `dev` < `a` < `b` < `rc` < release < `post`, local
//!   labels last; spellings normalised (`1.0RC1` == `1.0rc1`, `1.0-1` ==
//!   `1.0.post1`). See [`pep440`].
//! - [`Scheme::Debian`] ([`DebianVersion`]): dpkg: `[epoch:]upstream[-revision]`,
//!   epoch numerically, then upstream and revision with dpkg's algorithm
//!   (`~` before everything, letters before other characters, digit runs
//!   numerically). See [`debian`].
//! - [`Scheme::Rpm`] ([`RpmVersion`]): rpm: `[epoch:]version[-release]` with
//!   `rpmvercmp` (alphanumeric segments, digits newer than letters, `~`
//!   before everything, `^` after the end); the release only counts when
//!   both sides have one. See [`rpm`].
//! - [`Scheme::Maven`] ([`MavenVersion`]): Maven's `ComparableVersion`
//!   rules: numbers zero-padded, `alpha < beta < milestone < rc == cr <
//!   snapshot < release (ga, final) < sp < other words`, `-` weaker than `.`.
//!   See [`maven`].
//!
//! [`upstream_version`] maps a distribution package version to the upstream
//! version it packages (`1:1.2.8.dfsg-2` → `1.2.8`, `1.0.2k-16.el7` →
//! `1.0.2k`), for matching distribution packages against NVD ranges of the
//! upstream project; [`strip_build_suffix`] drops vendor tags (`1.0.2k-fips`
//! → `1.0.2k`) when the matcher asks for it.
//!
//! NVD ranges add three rules about the CPE `update` field
//! ([`cpe_version_with_update`], [`compare_to_bound`],
//! [`end_bound_with_update`], together in [`CpeBounds`]): `5.3` + `p1` is
//! `5.3p1`; `5.3p1` is equal to a bound `5.3` that has no suffix; a criterion
//! `*:p2` with `versionEndIncluding 9.9.7` ends at `9.9.7p2`.
//!
//! # Which scheme where
//!
//! - NVD configurations (CPE match criteria with `versionStart*`/`versionEnd*`
//!   bounds): [`CpeBounds::contains`] (generic rules plus the update-field
//!   rules), with the component's version built by
//!   [`cpe_version_with_update`] when it comes from a CPE. An exact CPE
//!   version (no bounds) compares with [`Scheme::Generic`].
//! - CVE 5 `affected` entries with `versionType` absent or `custom`, CSAF
//!   product versions, and firmware: [`Scheme::Generic`]. Any other CVE 5
//!   `versionType` (`semver`, `python`, `maven`, `rpm`) goes through
//!   [`Scheme::for_ecosystem`], which knows these names too.
//! - OSV ranges: `ECOSYSTEM` ranges use [`Scheme::for_ecosystem`] of the
//!   affected package's ecosystem; `SEMVER` ranges always use
//!   [`Scheme::Semver`]; `GIT` ranges are commits, not versions.
//! - SBOM components with a purl: [`Scheme::for_ecosystem`] of the purl type,
//!   against advisories of the same ecosystem. A distribution package
//!   (`deb`, `rpm`) matched against NVD data of its upstream project first
//!   goes through [`upstream_version`], then the NVD rules above.
//! - Components without a purl: [`Scheme::Generic`].
//!
//! When [`compare`] answers `None` the string is not a version of that
//! scheme; the matcher should say so rather than fall back silently.

pub mod cpe;
pub mod debian;
pub mod generic;
pub mod maven;
mod num;
pub mod pep440;
pub mod rpm;
pub mod semver;
mod upstream;

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

pub use cpe::{
    CpeBounds, compare_to_bound, cpe_version_with_update, end_bound_with_update, split_p_suffix,
    within_bound_generic,
};
pub use debian::DebianVersion;
pub use generic::{GenericVersion, compare_generic};
pub use maven::MavenVersion;
pub use pep440::Pep440Version;
pub use rpm::RpmVersion;
pub use semver::SemverVersion;
pub use upstream::{strip_build_suffix, upstream_version};

/// A set of version rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// NVD/CPE and firmware versions (see [`generic`]).
    #[default]
    Generic,
    /// Semantic Versioning 2.0.0 (npm, crates.io, Go, NuGet, Hex, Pub).
    Semver,
    /// PEP 440 (PyPI).
    Pep440,
    /// Debian/Ubuntu packages (dpkg).
    Debian,
    /// RPM packages (Red Hat, AlmaLinux, Rocky, SUSE, ...).
    Rpm,
    /// Maven (ComparableVersion).
    Maven,
}

impl Scheme {
    /// The scheme's name as serialised: `generic`, `semver`, `pep440`,
    /// `debian`, `rpm`, `maven`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Generic => "generic",
            Scheme::Semver => "semver",
            Scheme::Pep440 => "pep440",
            Scheme::Debian => "debian",
            Scheme::Rpm => "rpm",
            Scheme::Maven => "maven",
        }
    }

    /// The scheme of an OSV ecosystem or a purl type, case-insensitively.
    /// OSV's release suffixes (`Debian:11`, `Ubuntu:22.04:LTS`,
    /// `AlmaLinux:8`) and a `pkg:` prefix are ignored.
    ///
    /// - Semver: `npm`, `crates.io`/`cargo`, `Go`/`golang` (with its `v`
    ///   prefix), `NuGet`, `Hex`, `Pub`, `SwiftURL`/`swift`.
    /// - PEP 440: `PyPI`.
    /// - Debian: `Debian`, `Ubuntu`, `deb`.
    /// - RPM: `Red Hat`, `AlmaLinux`, `Rocky Linux`, `SUSE`, `openSUSE`,
    ///   `Mageia`, `openEuler`, `Photon OS`, `Fedora`, `CentOS`, `rpm`.
    /// - Maven: `Maven`.
    ///
    /// CVE 5 `versionType` values and the schemes' own names map the same
    /// way: `semver`, `python`/`pep440`, `debian`, `rpm`, `maven`;
    /// `custom`, `git` and `generic` are Generic.
    /// - Anything else (Alpine, RubyGems, Packagist, `generic`, unknown):
    ///   Generic.
    ///
    /// ```
    /// use kensa_version::Scheme;
    /// assert_eq!(Scheme::for_ecosystem("Debian:11"), Scheme::Debian);
    /// assert_eq!(Scheme::for_ecosystem("pypi"), Scheme::Pep440);
    /// assert_eq!(Scheme::for_ecosystem("golang"), Scheme::Semver);
    /// ```
    pub fn for_ecosystem(ecosystem: &str) -> Scheme {
        let e = ecosystem.trim();
        let e = match e.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("pkg:") => &e[4..],
            _ => e,
        };
        let e = e
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_lowercase();
        match e.as_str() {
            "npm" | "crates.io" | "cargo" | "go" | "golang" | "nuget" | "hex" | "pub"
            | "swifturl" | "swift" | "semver" => Scheme::Semver,
            "pypi" | "python" | "pep440" => Scheme::Pep440,
            "debian" | "ubuntu" | "deb" => Scheme::Debian,
            "red hat" | "redhat" | "almalinux" | "rocky linux" | "rocky" | "suse" | "opensuse"
            | "mageia" | "openeuler" | "photon os" | "fedora" | "centos" | "rpm" => Scheme::Rpm,
            "maven" => Scheme::Maven,
            _ => Scheme::Generic,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version read under one scheme.
#[derive(Debug, Clone)]
pub enum Version {
    Generic(GenericVersion),
    Semver(SemverVersion),
    Pep440(Pep440Version),
    Debian(DebianVersion),
    Rpm(RpmVersion),
    Maven(MavenVersion),
}

impl Version {
    /// Reads `s` under `scheme`; `None` when it is not a version there.
    pub fn parse(scheme: Scheme, s: &str) -> Option<Version> {
        match scheme {
            Scheme::Generic => GenericVersion::parse(s).map(Version::Generic),
            Scheme::Semver => SemverVersion::parse(s).map(Version::Semver),
            Scheme::Pep440 => Pep440Version::parse(s).map(Version::Pep440),
            Scheme::Debian => DebianVersion::parse(s).map(Version::Debian),
            Scheme::Rpm => RpmVersion::parse(s).map(Version::Rpm),
            Scheme::Maven => MavenVersion::parse(s).map(Version::Maven),
        }
    }

    /// The scheme this version was read under.
    pub fn scheme(&self) -> Scheme {
        match self {
            Version::Generic(_) => Scheme::Generic,
            Version::Semver(_) => Scheme::Semver,
            Version::Pep440(_) => Scheme::Pep440,
            Version::Debian(_) => Scheme::Debian,
            Version::Rpm(_) => Scheme::Rpm,
            Version::Maven(_) => Scheme::Maven,
        }
    }

    /// Orders two versions of the same scheme; `None` across schemes.
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        match (self, other) {
            (Version::Generic(a), Version::Generic(b)) => Some(a.cmp(b)),
            (Version::Semver(a), Version::Semver(b)) => Some(a.cmp(b)),
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            (Version::Debian(a), Version::Debian(b)) => Some(a.cmp(b)),
            (Version::Rpm(a), Version::Rpm(b)) => Some(a.compare(b)),
            (Version::Maven(a), Version::Maven(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Compares `a` with `b` under `scheme`; `None` when either string cannot be
/// read under it.
///
/// ```
/// use kensa_version::{Scheme, compare};
/// use std::cmp::Ordering;
/// assert_eq!(compare(Scheme::Generic, "1.0.1", "1.0.1f"), Some(Ordering::Less));
/// assert_eq!(compare(Scheme::Generic, "V2.8.1", "2.8.1"), Some(Ordering::Equal));
/// assert_eq!(compare(Scheme::Generic, "*", "2.8.1"), None);
/// ```
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Option<Ordering> {
    Version::parse(scheme, a)?.compare(&Version::parse(scheme, b)?)
}
