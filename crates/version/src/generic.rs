//! Generic versions: NVD/CPE version strings and firmware.
//!
//! The rules (they define what "vulnerable" means for NVD ranges, so they are
//! deliberately simple and fixed):
//!
//! - Leading and trailing whitespace is ignored, and so is a leading `v`/`V`
//!   directly followed by a digit (`V2.8.1` == `2.8.1`).
//! - The string is cut into tokens: runs of ASCII digits (compared as
//!   numbers of any length, `01` == `1`) and runs of letters (compared
//!   lexically, case-insensitively). Every other character (`.`, `-`, `_`,
//!   `+`, space, and also `:`, `(`, `)`, `/`, ...) only separates tokens, so
//!   `9.9.7-P2` == `9.9.7p2`.
//! - Trailing zeros of every run of numbers are dropped: `1.0` == `1.0.0`,
//!   and `2.0rc1` == `2rc1`.
//! - The letter runs `alpha`, `beta`, `pre` and `rc` are *pre-release*
//!   markers and sort before the release (`1.0rc1 < 1.0`); so do `a` and `b`
//!   when the single letter sits between two digits with no separator
//!   (`1.0b2` is `1.0beta2`, `1.0a1` is `1.0alpha1`). Every other letter run
//!   is a *post-release* suffix and sorts after the release
//!   (`1.0.1 < 1.0.1f < 1.0.1g`, `4.2.8 < 4.2.8p3 < 4.2.8p10`,
//!   `1.0.2k < 1.0.2k-fips`). `dev`, `snapshot` and `preview` are therefore
//!   post-release here; ecosystem schemes know better.
//! - Token by token, the order at one position is: pre-release marker
//!   (lexically: `alpha < beta < pre < rc`) < end of version < post-release
//!   letters (lexically) < number. So `1.0rc1 < 1.0 < 1.0a < 1.0.1` and
//!   `1.0.1f < 1.0.1.1`.
//!
//! A string with no letter or digit at all (`""`, `*`, `-`) is not a version.

use std::cmp::Ordering;
use std::fmt;

use crate::num::{cmp_digits, trim_zeros};

/// The pre-release words of the generic scheme.
const PRE_WORDS: [&str; 4] = ["alpha", "beta", "pre", "rc"];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Token {
    /// `alpha`, `beta`, `pre`, `rc` (a pre-release `a`/`b` is stored spelt out).
    Pre(String),
    /// Any other letter run, lowercased.
    Post(String),
    /// A digit run without leading zeros (`""` is zero).
    Num(String),
}

/// [`cmp_tokens`] on borrowed tokens; letters compare case-blind, as the
/// owned tokens compare lowercased.
fn cmp_toks(a: &[Tok<'_>], b: &[Tok<'_>]) -> Ordering {
    fn lower(s: &str) -> impl Iterator<Item = u8> + '_ {
        s.bytes().map(|c| c.to_ascii_lowercase())
    }
    fn rank(t: Option<&Tok<'_>>) -> u8 {
        match t {
            Some(Tok::Pre(_)) => 0,
            None => 1,
            Some(Tok::Post(_)) => 2,
            Some(Tok::Num(_)) => 3,
        }
    }
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        let ord = match (x, y) {
            (Some(Tok::Pre(p)), Some(Tok::Pre(q))) | (Some(Tok::Post(p)), Some(Tok::Post(q))) => {
                lower(p).cmp(lower(q))
            }
            (Some(Tok::Num(p)), Some(Tok::Num(q))) => cmp_digits(p, q),
            _ => rank(x).cmp(&rank(y)),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// Rank of a token kind at one position; `None` is the end of the version.
fn rank(t: Option<&Token>) -> u8 {
    match t {
        Some(Token::Pre(_)) => 0,
        None => 1,
        Some(Token::Post(_)) => 2,
        Some(Token::Num(_)) => 3,
    }
}

fn cmp_tokens(a: &[Token], b: &[Token]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        let ord = match (x, y) {
            (Some(Token::Pre(p)), Some(Token::Pre(q))) => p.cmp(q),
            (Some(Token::Post(p)), Some(Token::Post(q))) => p.cmp(q),
            (Some(Token::Num(p)), Some(Token::Num(q))) => cmp_digits(p, q),
            _ => rank(x).cmp(&rank(y)),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// A version read with the generic rules (see the module documentation).
///
/// Equality, hashing and ordering all follow the comparison rules, so
/// `GenericVersion::parse("1.0")` equals `GenericVersion::parse("v1.0.0")`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GenericVersion {
    tokens: Vec<Token>,
}

/// `s` without a leading `v`/`V` that is directly followed by a digit.
pub(crate) fn strip_v(s: &str) -> &str {
    match s.as_bytes() {
        [b'v' | b'V', d, ..] if d.is_ascii_digit() => &s[1..],
        _ => s,
    }
}

impl GenericVersion {
    /// Reads `s`; `None` when it holds no letter or digit.
    pub fn parse(s: &str) -> Option<GenericVersion> {
        let s = strip_v(s.trim());
        let chars: Vec<char> = s.chars().collect();
        let mut tokens: Vec<Token> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_digit() {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let digits: String = chars[start..i].iter().collect();
                tokens.push(Token::Num(trim_zeros(&digits).to_string()));
            } else if c.is_alphabetic() {
                let start = i;
                while i < chars.len() && chars[i].is_alphabetic() {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
                let between_digits = start > 0
                    && chars[start - 1].is_ascii_digit()
                    && chars.get(i).is_some_and(|c| c.is_ascii_digit());
                tokens.push(match word.as_str() {
                    "a" if between_digits => Token::Pre("alpha".into()),
                    "b" if between_digits => Token::Pre("beta".into()),
                    w if PRE_WORDS.contains(&w) => Token::Pre(word),
                    _ => Token::Post(word),
                });
            } else {
                i += 1;
            }
        }
        if tokens.is_empty() {
            return None;
        }
        Some(GenericVersion {
            tokens: drop_trailing_zeros(tokens),
        })
    }

    /// True when the version has any letter run (`5.3p1`, `1.0rc1`), false
    /// for purely numeric versions (`5.3`, `2014.63`).
    pub fn has_letters(&self) -> bool {
        self.tokens.iter().any(|t| !matches!(t, Token::Num(_)))
    }
}

/// Drops the trailing zeros of every run of numbers.
fn drop_trailing_zeros(tokens: Vec<Token>) -> Vec<Token> {
    fn close_run(out: &mut Vec<Token>) {
        while matches!(out.last(), Some(Token::Num(n)) if n.is_empty()) {
            out.pop();
        }
    }
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens {
        if !matches!(t, Token::Num(_)) {
            close_run(&mut out);
        }
        out.push(t);
    }
    close_run(&mut out);
    out
}

impl Ord for GenericVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_tokens(&self.tokens, &other.tokens)
    }
}

impl PartialOrd for GenericVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The normalised form: tokens joined by `.`, e.g. `V2.8.0` → `2.8`,
/// `1.0.1F` → `1.0.1.f`, `0` → `0`.
impl fmt::Display for GenericVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tokens.is_empty() {
            return f.write_str("0");
        }
        for (i, t) in self.tokens.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match t {
                Token::Num(n) if n.is_empty() => f.write_str("0")?,
                Token::Pre(s) | Token::Post(s) | Token::Num(s) => f.write_str(s)?,
            }
        }
        Ok(())
    }
}

/// Compares two generic versions; `None` when either is not a version.
pub fn compare_generic(a: &str, b: &str) -> Option<Ordering> {
    match (Tokens::read(a), Tokens::read(b)) {
        (Some(x), Some(y)) => x.compare(&y),
        _ => Some(GenericVersion::parse(a)?.cmp(&GenericVersion::parse(b)?)),
    }
}

/// Versions of up to this many tokens are compared without allocating.
const INLINE_TOKENS: usize = 24;

/// A token borrowed from the version string: letters keep their case
/// (compared case-blind), digits lose their leading zeros.
#[derive(Debug, Clone, Copy)]
enum Tok<'a> {
    Pre(&'a str),
    Post(&'a str),
    Num(&'a str),
}

/// The tokens of an ASCII version, on the stack: the matcher compares a
/// component's version with thousands of bounds per scan, and parsing each
/// into owned tokens was most of that work. The rules are those of
/// [`GenericVersion::parse`]; tests check the two agree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tokens<'a> {
    items: [Tok<'a>; INLINE_TOKENS],
    len: usize,
    /// Any token read, even if dropped as a trailing zero (`0` is a version).
    seen: bool,
}

impl<'a> Tokens<'a> {
    /// `None` when the string is not ASCII or has too many tokens: the
    /// allocating path decides those.
    pub(crate) fn read(s: &'a str) -> Option<Tokens<'a>> {
        let s = strip_v(s.trim());
        if !s.is_ascii() {
            return None;
        }
        let b = s.as_bytes();
        let mut out = Tokens {
            items: [Tok::Num(""); INLINE_TOKENS],
            len: 0,
            seen: false,
        };
        let mut i = 0;
        while i < b.len() {
            let start = i;
            let tok = if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                Tok::Num(trim_zeros(&s[start..i]))
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                let word = &s[start..i];
                let between_digits = start > 0
                    && b[start - 1].is_ascii_digit()
                    && b.get(i).is_some_and(u8::is_ascii_digit);
                match word {
                    "a" | "A" if between_digits => Tok::Pre("alpha"),
                    "b" | "B" if between_digits => Tok::Pre("beta"),
                    w if PRE_WORDS.iter().any(|p| p.eq_ignore_ascii_case(w)) => Tok::Pre(w),
                    w => Tok::Post(w),
                }
            } else {
                i += 1;
                continue;
            };
            if !matches!(tok, Tok::Num(_)) {
                out.close_run();
            }
            *out.items.get_mut(out.len)? = tok;
            out.len += 1;
            out.seen = true;
        }
        out.close_run();
        Some(out)
    }

    /// Drops the zeros that end the current run of numbers.
    fn close_run(&mut self) {
        while self.len > 0 && matches!(self.items[self.len - 1], Tok::Num("")) {
            self.len -= 1;
        }
    }

    fn as_slice(&self) -> &[Tok<'a>] {
        &self.items[..self.len]
    }

    /// No letter or digit at all: not a version.
    pub(crate) fn is_empty(&self) -> bool {
        !self.seen
    }

    pub(crate) fn has_letters(&self) -> bool {
        self.as_slice().iter().any(|t| !matches!(t, Tok::Num(_)))
    }

    /// The comparison of [`GenericVersion`]; `None` when either side is
    /// not a version.
    pub(crate) fn compare(&self, other: &Tokens<'_>) -> Option<Ordering> {
        if self.is_empty() || other.is_empty() {
            return None;
        }
        Some(cmp_toks(self.as_slice(), other.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Greater as Gt, Less as Lt};

    /// Versions built from the pieces the rules care about: digit runs with
    /// leading and trailing zeros, pre-release words in any case, single
    /// letters between digits, post-release letters, separators, a `v`.
    fn generated(n: usize) -> Vec<String> {
        const PIECES: [&str; 22] = [
            "0", "00", "1", "01", "2", "10", "9", "123", ".", ".", "-", "_", " ", "a", "B", "rc",
            "RC", "beta", "p", "fips", "v", "SP",
        ];
        let mut state: u64 = 0x2026_1122;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        (0..n)
            .map(|_| {
                let len = 1 + next() % 7;
                (0..len).map(|_| PIECES[next() % PIECES.len()]).collect()
            })
            .collect()
    }

    #[test]
    fn borrowed_tokens_compare_as_owned_tokens() {
        let mut versions = generated(600);
        versions.extend(["é1.0", "1.0ß", "", "*", "-", "0", "0.0.0"].map(String::from));
        versions.push("1.".repeat(40));
        for a in &versions {
            for b in &versions {
                let owned = GenericVersion::parse(a)
                    .zip(GenericVersion::parse(b))
                    .map(|(x, y)| x.cmp(&y));
                assert_eq!(compare_generic(a, b), owned, "{a:?} vs {b:?}");
            }
        }
    }

    fn check(cases: &[(&str, &str, Ordering)]) {
        for &(a, b, want) in cases {
            assert_eq!(compare_generic(a, b), Some(want), "{a:?} vs {b:?}");
            assert_eq!(
                compare_generic(b, a),
                Some(want.reverse()),
                "{b:?} vs {a:?}"
            );
        }
    }

    #[test]
    fn examples_from_the_detection_issue() {
        check(&[
            ("1.0.1", "1.0.1f", Lt),
            ("1.0.1f", "1.0.1g", Lt),
            ("1.0.1", "1.0.1g", Lt),
            ("4.2.8", "4.2.8p3", Lt),
            ("4.2.8p3", "4.2.8p10", Lt),
            ("4.2.8p10", "4.2.9", Lt),
            ("V2.8.1", "2.8.1", Eq),
            ("v2.8.1", "2.8.1", Eq),
            ("V2.8.1", "2.8.2", Lt),
            ("2014.63", "2014.7", Gt),
            ("2014.63", "2014.63.0", Eq),
            ("2014.63", "2015", Lt),
            ("1.0.2k", "1.0.2k-fips", Lt),
            ("1.0.2k-fips", "1.0.2l", Lt),
            ("1.0", "1.0.0", Eq),
            ("1", "1.0.0.0", Eq),
        ]);
    }

    #[test]
    fn numbers_compare_as_numbers() {
        check(&[
            ("1.2", "1.10", Lt),
            ("1.02", "1.2", Eq),
            ("10", "9", Gt),
            ("1.0.10", "1.0.9", Gt),
            ("20240101", "20231231", Gt),
            ("1.99999999999999999999", "1.100000000000000000000", Lt),
            ("0.9.8", "0.9.8.0", Eq),
            ("0", "0.0", Eq),
        ]);
    }

    #[test]
    fn separators_only_split() {
        check(&[
            ("9.9.7-P2", "9.9.7p2", Eq),
            ("9.9.7-P2", "9.9.7_p2", Eq),
            ("1 2 3", "1.2.3", Eq),
            ("1+2", "1-2", Eq),
            ("12.2(55)SE", "12.2.55.se", Eq),
            ("12.2(55)SE", "12.2(58)SE", Lt),
            ("1.0.1F", "1.0.1f", Eq),
            ("  1.0  ", "1.0", Eq),
        ]);
    }

    #[test]
    fn pre_release_words_sort_before_the_release() {
        check(&[
            ("1.0alpha1", "1.0", Lt),
            ("1.0-beta", "1.0", Lt),
            ("1.0rc1", "1.0", Lt),
            ("1.0-RC1", "1.0", Lt),
            ("1.0pre1", "1.0", Lt),
            ("1.0-alpha", "1.0-beta", Lt),
            ("1.0-beta", "1.0-pre", Lt),
            ("1.0-pre", "1.0-rc", Lt),
            ("1.0rc1", "1.0rc2", Lt),
            ("1.0rc2", "1.0rc10", Lt),
            ("2.0rc1", "2rc1", Eq),
            ("2.0.0-rc1", "2.0-rc.1", Eq),
            ("1.0rc1", "0.9", Gt),
            ("1.0rc1", "1.0p1", Lt),
            ("1.0-beta1", "1.0.1", Lt),
            ("1.0.0-beta.0", "1.0.0-beta", Eq),
        ]);
    }

    #[test]
    fn single_a_and_b_are_pre_release_only_between_digits() {
        check(&[
            // Between two digits: alpha/beta (BIND 9.10.0b1, Python 3.7.0a1).
            ("1.0b2", "1.0", Lt),
            ("1.0b2", "1.0beta2", Eq),
            ("1.0B2", "1.0-beta-2", Eq),
            ("3.7.0a1", "3.7.0alpha1", Eq),
            ("1.0a1", "1.0b1", Lt),
            ("9.10.0b1", "9.10.0", Lt),
            ("9.10.0b1", "9.9.9", Gt),
            // Otherwise an ordinary letter suffix (OpenSSL 1.0.2a/1.0.2b).
            ("1.0.2a", "1.0.2", Gt),
            ("1.0.2b", "1.0.2a", Gt),
            ("1.0.2b", "1.0.2c", Lt),
            ("1.0-b2", "1.0", Gt),
            ("1.0.b2", "1.0", Gt),
            ("1.0ab2", "1.0", Gt),
        ]);
    }

    #[test]
    fn other_letters_sort_after_the_release() {
        check(&[
            ("1.0.1f", "1.0.1.1", Lt),
            ("1.0.1f", "1.0.2", Lt),
            ("1.0.1z", "1.0.1za", Lt),
            ("1.0a", "1.0.1", Lt),
            ("1.0", "1.0a", Lt),
            ("1.0-dev", "1.0", Gt),
            ("1.0-SNAPSHOT", "1.0", Gt),
            ("1.0 SP1", "1.0", Gt),
            ("1.0sp1", "1.0sp2", Lt),
            ("5.3p1", "5.3", Gt),
            ("5.3p1", "5.4", Lt),
            ("2.4.7", "2.4.7a", Lt),
        ]);
    }

    #[test]
    fn a_leading_v_is_only_dropped_before_a_digit() {
        // "version1" keeps its letters, and letters sort before numbers.
        check(&[("v1", "1", Eq), ("V1.2", "1.2", Eq), ("version1", "1", Lt)]);
        assert_ne!(compare_generic("v", "0"), Some(Eq));
    }

    #[test]
    fn strings_without_alphanumerics_are_not_versions() {
        for s in ["", "  ", "*", "-", "..", "+"] {
            assert_eq!(GenericVersion::parse(s), None, "{s:?}");
            assert_eq!(compare_generic(s, "1.0"), None, "{s:?}");
            assert_eq!(compare_generic("1.0", s), None, "{s:?}");
        }
    }

    #[test]
    fn equal_versions_are_equal_values() {
        use std::collections::HashSet;
        let same = ["1.0", "1.0.0", "v1", "V1.00.0", "1"];
        let set: HashSet<GenericVersion> = same
            .iter()
            .map(|s| GenericVersion::parse(s).unwrap())
            .collect();
        assert_eq!(set.len(), 1);
        let v = GenericVersion::parse("V1.0.1F-FIPS").unwrap();
        assert_eq!(v.to_string(), "1.0.1.f.fips");
        assert_eq!(GenericVersion::parse("0.0").unwrap().to_string(), "0");
        assert!(v.has_letters());
        assert!(!GenericVersion::parse("v2014.63").unwrap().has_letters());
    }
}
