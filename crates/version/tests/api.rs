//! The public API as the matcher uses it: scheme selection, `compare`, the
//! detection issue's examples end to end, and upstream mapping followed by
//! NVD range checks.

use std::cmp::Ordering::{self, Equal as Eq, Greater as Gt, Less as Lt};

use kensa_version::{
    CpeBounds, Scheme, Version, compare, compare_to_bound, cpe_version_with_update,
    strip_build_suffix, upstream_version,
};
use serde::Deserialize;
use serde::de::value::{Error as DeError, StrDeserializer};

#[test]
fn ecosystems_and_purl_types() {
    let cases = [
        ("npm", Scheme::Semver),
        ("crates.io", Scheme::Semver),
        ("cargo", Scheme::Semver),
        ("Go", Scheme::Semver),
        ("golang", Scheme::Semver),
        ("NuGet", Scheme::Semver),
        ("Hex", Scheme::Semver),
        ("Pub", Scheme::Semver),
        ("SwiftURL", Scheme::Semver),
        ("PyPI", Scheme::Pep440),
        ("pypi", Scheme::Pep440),
        ("Debian", Scheme::Debian),
        ("Debian:11", Scheme::Debian),
        ("Ubuntu", Scheme::Debian),
        ("Ubuntu:22.04:LTS", Scheme::Debian),
        ("deb", Scheme::Debian),
        ("pkg:deb", Scheme::Debian),
        ("Red Hat", Scheme::Rpm),
        ("Red Hat:enterprise_linux:8", Scheme::Rpm),
        ("AlmaLinux", Scheme::Rpm),
        ("AlmaLinux:8", Scheme::Rpm),
        ("Rocky Linux:9", Scheme::Rpm),
        ("rpm", Scheme::Rpm),
        ("SUSE:Linux Enterprise Server 15 SP4", Scheme::Rpm),
        ("openSUSE:Leap 15.5", Scheme::Rpm),
        ("Mageia:9", Scheme::Rpm),
        ("Maven", Scheme::Maven),
        ("maven", Scheme::Maven),
        ("Alpine:v3.18", Scheme::Generic),
        ("RubyGems", Scheme::Generic),
        ("Packagist", Scheme::Generic),
        ("generic", Scheme::Generic),
        ("", Scheme::Generic),
        ("  npm  ", Scheme::Semver),
        // CVE 5 versionType values and scheme names.
        ("semver", Scheme::Semver),
        ("python", Scheme::Pep440),
        ("pep440", Scheme::Pep440),
        ("maven", Scheme::Maven),
        ("rpm", Scheme::Rpm),
        ("debian", Scheme::Debian),
        ("custom", Scheme::Generic),
        ("git", Scheme::Generic),
    ];
    for (ecosystem, want) in cases {
        assert_eq!(Scheme::for_ecosystem(ecosystem), want, "{ecosystem:?}");
    }
}

#[test]
fn scheme_names_round_trip() {
    for scheme in [
        Scheme::Generic,
        Scheme::Semver,
        Scheme::Pep440,
        Scheme::Debian,
        Scheme::Rpm,
        Scheme::Maven,
    ] {
        assert_eq!(scheme.to_string(), scheme.as_str());
        let de = StrDeserializer::<DeError>::new(scheme.as_str());
        assert_eq!(Scheme::deserialize(de).unwrap(), scheme);
    }
    assert_eq!(Scheme::default(), Scheme::Generic);
}

fn check(scheme: Scheme, cases: &[(&str, &str, Ordering)]) {
    for &(a, b, want) in cases {
        assert_eq!(
            compare(scheme, a, b),
            Some(want),
            "{scheme}: {a:?} vs {b:?}"
        );
        assert_eq!(
            compare(scheme, b, a),
            Some(want.reverse()),
            "{scheme}: {b:?} vs {a:?}"
        );
    }
}

#[test]
fn the_issue_examples_per_scheme() {
    check(
        Scheme::Generic,
        &[
            ("V2.8.1", "2.8.1", Eq),
            ("1.0.1", "1.0.1f", Lt),
            ("1.0.1f", "1.0.1g", Lt),
            ("4.2.8", "4.2.8p3", Lt),
            ("4.2.8p3", "4.2.8p10", Lt),
            ("2014.63", "2014.62", Gt),
            ("1.0.2k", "1.0.2k-fips", Lt),
            ("1.0", "1.0.0", Eq),
        ],
    );
    check(
        Scheme::Semver,
        &[
            ("1.2", "1.2.0", Eq),
            ("v1.2.3", "1.2.3", Eq),
            ("1.0.0-rc.1", "1.0.0", Lt),
            ("1.0.0+build", "1.0.0", Eq),
        ],
    );
    check(
        Scheme::Pep440,
        &[
            ("1.0RC1", "1.0rc1", Eq),
            ("1.0-post1", "1.0.post1", Eq),
            ("1.0.dev1", "1.0a1", Lt),
            ("1!0.1", "2.0", Gt),
            ("1.0+local", "1.0", Gt),
        ],
    );
    check(
        Scheme::Debian,
        &[
            ("1:1.2.8.dfsg-2", "1.2.9-1", Gt),
            ("1.0~rc1-1", "1.0-1", Lt),
            ("1.0.1f-1ubuntu2", "1.0.1f-1ubuntu2.27", Lt),
        ],
    );
    check(
        Scheme::Rpm,
        &[
            ("1.0.2k-16.el7", "1.0.2k-8.el7", Gt),
            ("1:1.0.2k-16.el7", "1.0.2k-16.el7", Gt),
            ("1.0~rc1-1", "1.0-1", Lt),
            ("1.0^git1-1", "1.0-1", Gt),
        ],
    );
    check(
        Scheme::Maven,
        &[
            ("1.0-alpha-1", "1.0-beta-1", Lt),
            ("1.0-milestone-1", "1.0-rc-1", Lt),
            ("1.0-cr-1", "1.0-rc-1", Eq),
            ("1.0-SNAPSHOT", "1.0", Lt),
            ("1.0", "1.0-sp-1", Lt),
            ("1", "1.0.0", Eq),
        ],
    );
}

#[test]
fn unreadable_strings_and_mixed_schemes() {
    let cases = [
        (Scheme::Generic, "*"),
        (Scheme::Semver, "1.2.x"),
        (Scheme::Pep440, "1.0foo"),
        (Scheme::Debian, "a:1.0"),
        (Scheme::Rpm, "1.0-1-"),
        (Scheme::Maven, ""),
    ];
    for (scheme, bad) in cases {
        assert_eq!(compare(scheme, bad, "1.0"), None, "{scheme}: {bad:?}");
        assert_eq!(compare(scheme, "1.0", bad), None, "{scheme}: {bad:?}");
        assert!(Version::parse(scheme, bad).is_none(), "{scheme}: {bad:?}");
    }
    let g = Version::parse(Scheme::Generic, "1.0").unwrap();
    let d = Version::parse(Scheme::Debian, "1.0").unwrap();
    assert_eq!(g.scheme(), Scheme::Generic);
    assert_eq!(d.scheme(), Scheme::Debian);
    assert_eq!(g.compare(&d), None);
    assert_eq!(g.compare(&g), Some(Eq));
}

#[test]
fn the_same_strings_differ_between_schemes() {
    // `1.0~rc1`: dpkg's `~` and the generic `rc` word both make it a
    // pre-release (generically `~` only separates)...
    assert_eq!(compare(Scheme::Debian, "1.0~rc1", "1.0"), Some(Lt));
    assert_eq!(compare(Scheme::Generic, "1.0~rc1", "1.0"), Some(Lt));
    // ...but `1.0-dev` is before 1.0 for PEP 440 and after it generically.
    assert_eq!(compare(Scheme::Pep440, "1.0-dev", "1.0"), Some(Lt));
    assert_eq!(compare(Scheme::Generic, "1.0-dev", "1.0"), Some(Gt));
    // `1.0a` is a pre-release for PEP 440, a suffix for Debian and generic.
    assert_eq!(compare(Scheme::Pep440, "1.0a", "1.0"), Some(Lt));
    assert_eq!(compare(Scheme::Debian, "1.0a", "1.0"), Some(Gt));
    assert_eq!(compare(Scheme::Generic, "1.0a", "1.0"), Some(Gt));
    // Semver pre-release identifiers are case-sensitive, Maven's are not.
    assert_eq!(
        compare(Scheme::Semver, "1.0.0-RC.1", "1.0.0-rc.1"),
        Some(Lt)
    );
    assert_eq!(compare(Scheme::Maven, "1.0.0-RC-1", "1.0.0-rc-1"), Some(Eq));
}

/// A distribution package checked against an NVD range of its upstream
/// project: map the version upstream, then compare generically.
fn in_nvd_range(scheme: Scheme, package_version: &str, bounds: CpeBounds<'_>) -> Option<bool> {
    let upstream = upstream_version(scheme, package_version);
    bounds.contains(&upstream, "*")
}

#[test]
fn distribution_packages_against_upstream_ranges() {
    // Heartbleed: OpenSSL >= 1.0.1, < 1.0.1g.
    let heartbleed = CpeBounds {
        start_including: Some("1.0.1"),
        end_excluding: Some("1.0.1g"),
        ..Default::default()
    };
    // libssl1.0.0 1.0.1f-1ubuntu2 → openssl 1.0.1f
    assert_eq!(
        upstream_version(Scheme::Debian, "1.0.1f-1ubuntu2"),
        "1.0.1f"
    );
    assert_eq!(
        in_nvd_range(Scheme::Debian, "1.0.1f-1ubuntu2", heartbleed),
        Some(true)
    );
    assert_eq!(
        in_nvd_range(Scheme::Debian, "1.0.1g-1ubuntu1", heartbleed),
        Some(false)
    );
    // openssl-libs 1.0.2k-16.el7 → 1.0.2k
    assert_eq!(upstream_version(Scheme::Rpm, "1.0.2k-16.el7"), "1.0.2k");
    let before_102l = CpeBounds {
        start_including: Some("1.0.2"),
        end_excluding: Some("1.0.2l"),
        ..Default::default()
    };
    assert_eq!(
        in_nvd_range(Scheme::Rpm, "1:1.0.2k-16.el7", before_102l),
        Some(true)
    );
    // zlib1g 1:1.2.8.dfsg-2 → 1.2.8
    assert_eq!(upstream_version(Scheme::Debian, "1:1.2.8.dfsg-2"), "1.2.8");
    let zlib = CpeBounds {
        end_excluding: Some("1.2.9"),
        ..Default::default()
    };
    assert_eq!(
        in_nvd_range(Scheme::Debian, "1:1.2.8.dfsg-2", zlib),
        Some(true)
    );
    // A FIPS build: the suffix is dropped only when asked.
    assert_eq!(compare_to_bound("1.0.2k-fips", "1.0.2k"), Some(Gt));
    assert_eq!(
        compare_to_bound(strip_build_suffix("1.0.2k-fips"), "1.0.2k"),
        Some(Eq)
    );
}

#[test]
fn nvd_update_field_rules() {
    // 5.3 + p1 → 5.3p1; `*` and `-` are not appended.
    assert_eq!(cpe_version_with_update("5.3", "p1"), "5.3p1");
    assert_eq!(cpe_version_with_update("5.3", "*"), "5.3");
    assert_eq!(cpe_version_with_update("5.3", "-"), "5.3");
    // 5.3p1 <= 5.3 when the bound has no suffix.
    let through_53 = CpeBounds {
        end_including: Some("5.3"),
        ..Default::default()
    };
    let component = cpe_version_with_update("5.3", "p1");
    assert_eq!(through_53.contains(&component, "*"), Some(true));
    // *:p2 with versionEndIncluding 9.9.7 is "through 9.9.7-P2".
    let bind = CpeBounds {
        start_including: Some("9.9.0"),
        end_including: Some("9.9.7"),
        ..Default::default()
    };
    assert_eq!(bind.contains("9.9.7-P2", "p2"), Some(true));
    assert_eq!(bind.contains("9.9.7-P3", "p2"), Some(false));
    assert_eq!(bind.contains("9.8.9", "p2"), Some(false));
}
