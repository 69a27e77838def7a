//! Order laws for every scheme, checked on deterministic pseudo-random
//! versions: reflexivity, antisymmetry, transitivity (via a sort and an
//! all-pairs check), and for the generic scheme agreement of `==`/`Hash`
//! with the order.

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use kensa_version::{GenericVersion, Scheme, Version, compare};

/// xorshift64*: small, deterministic, good enough to pick pieces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn join(&mut self, pieces: &[&str], min: usize, max: usize) -> String {
        let n = min + self.below(max - min + 1);
        (0..n).map(|_| self.pick(pieces)).collect()
    }
}

fn generic(r: &mut Rng) -> String {
    let pieces = [
        "0", "1", "2", "10", "01", "9", "a", "b", "f", "p", "rc", "alpha", "beta", "pre", "fips",
        "sp", ".", ".", ".", "-", "_", "+", " ", "V",
    ];
    r.join(&pieces, 1, 7)
}

fn semver(r: &mut Rng) -> String {
    let nums = ["0", "1", "2", "10", "01"];
    let idents = [
        "alpha", "beta", "rc", "RC", "0", "1", "2", "10", "x-y", "a1",
    ];
    let mut s = String::new();
    if r.below(4) == 0 {
        s.push('v');
    }
    for i in 0..1 + r.below(4) {
        if i > 0 {
            s.push('.');
        }
        s.push_str(r.pick(&nums));
    }
    if r.below(2) == 0 {
        s.push('-');
        for i in 0..1 + r.below(3) {
            if i > 0 {
                s.push('.');
            }
            s.push_str(r.pick(&idents));
        }
    }
    if r.below(4) == 0 {
        s.push_str("+b.");
        s.push_str(r.pick(&nums));
    }
    s
}

fn pep440(r: &mut Rng) -> String {
    let nums = ["0", "1", "2", "10", "01"];
    let mut s = String::new();
    if r.below(6) == 0 {
        s.push_str(r.pick(&["1!", "0!", "2!"]));
    }
    for i in 0..1 + r.below(3) {
        if i > 0 {
            s.push('.');
        }
        s.push_str(r.pick(&nums));
    }
    if r.below(2) == 0 {
        s.push_str(r.pick(&["a", "b", "rc", "c", "alpha", "-beta", ".pre", "RC"]));
        if r.below(3) > 0 {
            s.push_str(r.pick(&nums));
        }
    }
    if r.below(3) == 0 {
        s.push_str(r.pick(&[".post", "-post", "post", "-", ".rev", "r"]));
        s.push_str(r.pick(&nums));
    }
    if r.below(3) == 0 {
        s.push_str(r.pick(&[".dev", "dev", "-dev"]));
        if r.below(2) == 0 {
            s.push_str(r.pick(&nums));
        }
    }
    if r.below(4) == 0 {
        s.push('+');
        s.push_str(&r.join(&["a", "b", "1", "2", "10"], 1, 2));
        if r.below(2) == 0 {
            s.push('.');
            s.push_str(r.pick(&["a", "1", "ubuntu"]));
        }
    }
    s
}

fn debian(r: &mut Rng) -> String {
    let pieces = ["0", "1", "2", "10", "a", "b", "~", "+", ".", "~rc", "dfsg"];
    let mut s = String::new();
    if r.below(4) == 0 {
        s.push_str(r.pick(&["0:", "1:", "2:"]));
    }
    s.push_str(r.pick(&["0", "1", "2", "10"]));
    s.push_str(&r.join(&pieces, 0, 5));
    if r.below(2) == 0 {
        s.push('-');
        s.push_str(r.pick(&["0", "1", "2"]));
        s.push_str(&r.join(&["ubuntu", "1", "2", ".", "~", "+deb", "a"], 0, 3));
    }
    s
}

fn rpm(r: &mut Rng, with_release: bool) -> String {
    let pieces = [
        "0", "1", "2", "10", "a", "b", "k", "~", "^", ".", "_", "+", "git",
    ];
    let mut s = String::new();
    if r.below(4) == 0 {
        s.push_str(r.pick(&["0:", "1:", "2:"]));
    }
    s.push_str(&r.join(&pieces, 1, 6));
    if with_release {
        s.push('-');
        s.push_str(&r.join(&["1", "2", "16", ".el7", ".el8", "_6", "~", "^"], 1, 3));
    }
    s
}

fn maven(r: &mut Rng) -> String {
    let pieces = [
        "0", "1", "2", "10", ".", ".", "-", "-", "alpha", "a", "b", "m", "rc", "cr", "snapshot",
        "ga", "final", "sp", "xyz", "RC",
    ];
    r.join(&pieces, 1, 7)
}

fn check_laws(scheme: Scheme, strings: &[String]) -> usize {
    let mut versions: Vec<(String, Version)> = strings
        .iter()
        .filter_map(|s| Version::parse(scheme, s).map(|v| (s.clone(), v)))
        .collect();
    for (s, v) in &versions {
        assert_eq!(
            v.compare(v),
            Some(Ordering::Equal),
            "{scheme}: {s:?} vs itself"
        );
    }
    for (a, va) in versions.iter().take(120) {
        for (b, vb) in &versions {
            let ab = va.compare(vb).unwrap();
            let ba = vb.compare(va).unwrap();
            assert_eq!(
                ab,
                ba.reverse(),
                "{scheme}: {a:?} vs {b:?} is not antisymmetric"
            );
            assert_eq!(
                compare(scheme, a, b),
                Some(ab),
                "{scheme}: compare() {a:?} vs {b:?}"
            );
        }
    }
    versions.sort_by(|(_, a), (_, b)| a.compare(b).unwrap());
    for i in 0..versions.len() {
        for j in i + 1..versions.len() {
            let ord = versions[i].1.compare(&versions[j].1).unwrap();
            assert_ne!(
                ord,
                Ordering::Greater,
                "{scheme}: sorted {:?} after {:?}: the order is not transitive",
                versions[i].0,
                versions[j].0
            );
        }
    }
    versions.len()
}

fn sample(seed: u64, n: usize, mut make: impl FnMut(&mut Rng) -> String) -> Vec<String> {
    let mut r = Rng(seed);
    (0..n).map(|_| make(&mut r)).collect()
}

/// Seeds for the law checks: each one is a separate sample of 300.
const SEEDS: [u64; 4] = [0x9E37_79B9_7F4A_7C15, 11, 0xDEAD_BEEF, 2024];

/// Checks the laws on every seed's sample; returns how many strings parsed.
fn laws(scheme: Scheme, make: fn(&mut Rng) -> String) -> (usize, usize) {
    let mut parsed = 0;
    let mut total = 0;
    for seed in SEEDS {
        let strings = sample(seed, 300, make);
        total += strings.len();
        parsed += check_laws(scheme, &strings);
    }
    (parsed, total)
}

#[test]
fn generic_order_laws() {
    let (parsed, total) = laws(Scheme::Generic, generic);
    assert!(parsed * 10 > total * 9, "{parsed}/{total}");
}

#[test]
fn generic_equality_and_hash_follow_the_order() {
    let strings = sample(7, 400, generic);
    let parsed: Vec<GenericVersion> = strings
        .iter()
        .filter_map(|s| GenericVersion::parse(s))
        .collect();
    let hash = |v: &GenericVersion| {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    };
    let mut equal_pairs = 0;
    for a in &parsed {
        for b in &parsed {
            let same = a.cmp(b) == Ordering::Equal;
            assert_eq!(a == b, same, "{a} vs {b}");
            if same {
                equal_pairs += 1;
                assert_eq!(hash(a), hash(b), "{a} vs {b}");
            }
        }
    }
    // Sanity: the generator does produce distinct strings that are equal.
    assert!(equal_pairs > parsed.len());
}

#[test]
fn semver_order_laws() {
    let (parsed, total) = laws(Scheme::Semver, semver);
    assert_eq!(parsed, total);
}

#[test]
fn pep440_order_laws() {
    let (parsed, total) = laws(Scheme::Pep440, pep440);
    assert_eq!(parsed, total);
}

#[test]
fn debian_order_laws() {
    let (parsed, total) = laws(Scheme::Debian, debian);
    assert_eq!(parsed, total);
}

#[test]
fn rpm_order_laws() {
    // With a release on both sides (or on neither) rpm's comparison is a
    // total order; mixing the two is not (see the rpm module).
    let (parsed, total) = laws(Scheme::Rpm, |r| rpm(r, true));
    assert!(parsed * 10 > total * 9, "{parsed}/{total}");
    let (parsed, total) = laws(Scheme::Rpm, |r| rpm(r, false));
    assert!(parsed * 10 > total * 9, "{parsed}/{total}");
}

#[test]
fn maven_order_laws() {
    let (parsed, total) = laws(Scheme::Maven, maven);
    assert_eq!(parsed, total);
}
