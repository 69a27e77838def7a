//! PEP 440 (Python package) versions.
//!
//! `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, read with the PEP's
//! normalisation rules: case-insensitive, a leading `v`, optional `.`, `-`
//! or `_` separators around the pre/post/dev words, implicit numbers (`1.0a`
//! is `1.0a0`), the spellings `alpha`/`beta`/`c`/`pre`/`preview` (= `a`,
//! `b`, `rc`, `rc`, `rc`) and `rev`/`r` (= `post`), and the implicit post
//! release `1.0-1` (= `1.0.post1`). So `1.0RC1` == `1.0rc1` and
//! `1.0-post1` == `1.0.post1`.
//!
//! Order: epoch, then release numbers (zero padded: `1.0` == `1.0.0`), then
//! `dev` of the bare release < pre-releases (`a < b < rc`, each `dev` before
//! it) < the release < post-releases (each `dev` before it); finally a local
//! label makes the version sort after the same version without one, local
//! segments comparing numbers numerically above words lexically.
//!
//! Example chain: `1.0.dev1 < 1.0a1.dev1 < 1.0a1 < 1.0b1 < 1.0rc1 < 1.0 <
//! 1.0+local < 1.0.post1.dev1 < 1.0.post1 < 1!0.1`.

use std::cmp::Ordering;

use crate::num::{all_digits, cmp_digits, trim_zeros};

/// Pre-release kind, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pre {
    A,
    B,
    Rc,
}

#[derive(Debug, Clone)]
enum Local {
    Num(String),
    Word(String),
}

/// A PEP 440 version (see the module documentation).
#[derive(Debug, Clone)]
pub struct Pep440Version {
    epoch: String,
    release: Vec<String>,
    pre: Option<(Pre, String)>,
    post: Option<String>,
    dev: Option<String>,
    local: Vec<Local>,
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn digits(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        let run = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        (self.i > start).then(|| trim_zeros(run).to_string())
    }

    fn separator(&mut self) -> bool {
        if matches!(self.peek(), Some(b'.' | b'-' | b'_')) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Consumes the first of `words` found here and returns its value.
    fn word<T: Copy>(&mut self, words: &[(&str, T)]) -> Option<T> {
        let rest = &self.s[self.i..];
        let &(w, value) = words.iter().find(|(w, _)| rest.starts_with(w.as_bytes()))?;
        self.i += w.len();
        Some(value)
    }

    /// An optional separator, a word, then an optional separator and number
    /// (implicitly zero). Restores the position when no word is found.
    fn segment<T: Copy>(&mut self, words: &[(&str, T)]) -> Option<(T, String)> {
        let start = self.i;
        self.separator();
        let Some(value) = self.word(words) else {
            self.i = start;
            return None;
        };
        let before_number = self.i;
        self.separator();
        let n = self.digits().unwrap_or_else(|| {
            self.i = before_number;
            String::new()
        });
        Some((value, n))
    }
}

const PRE_WORDS: [(&str, Pre); 8] = [
    ("alpha", Pre::A),
    ("beta", Pre::B),
    ("preview", Pre::Rc),
    ("pre", Pre::Rc),
    ("rc", Pre::Rc),
    ("a", Pre::A),
    ("b", Pre::B),
    ("c", Pre::Rc),
];
const POST_WORDS: [(&str, ()); 3] = [("post", ()), ("rev", ()), ("r", ())];
const DEV_WORDS: [(&str, ()); 1] = [("dev", ())];

impl Pep440Version {
    /// Reads `s`; `None` when it is not a PEP 440 version.
    pub fn parse(s: &str) -> Option<Pep440Version> {
        let lower = s.trim().to_ascii_lowercase();
        let mut c = Cursor {
            s: lower.as_bytes(),
            i: 0,
        };
        if c.peek() == Some(b'v') {
            c.i += 1;
        }
        let mut epoch = String::new();
        let mut release = vec![c.digits()?];
        if c.peek() == Some(b'!') {
            c.i += 1;
            epoch = release.pop().unwrap_or_default();
            release.push(c.digits()?);
        }
        while c.peek() == Some(b'.') && c.s.get(c.i + 1).is_some_and(u8::is_ascii_digit) {
            c.i += 1;
            release.push(c.digits()?);
        }
        let pre = c.segment(&PRE_WORDS);
        let post = if c.peek() == Some(b'-') && c.s.get(c.i + 1).is_some_and(u8::is_ascii_digit) {
            c.i += 1;
            c.digits()
        } else {
            c.segment(&POST_WORDS).map(|((), n)| n)
        };
        let dev = c.segment(&DEV_WORDS).map(|((), n)| n);
        let mut local = Vec::new();
        if c.peek() == Some(b'+') {
            let label = std::str::from_utf8(&c.s[c.i + 1..]).ok()?;
            for seg in label.split(['.', '-', '_']) {
                if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return None;
                }
                local.push(if all_digits(seg) {
                    Local::Num(trim_zeros(seg).to_string())
                } else {
                    Local::Word(seg.to_string())
                });
            }
            c.i = c.s.len();
        }
        if c.i != c.s.len() {
            return None;
        }
        Some(Pep440Version {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    /// True for pre-releases and developmental releases (`1.0rc1`,
    /// `1.0.dev0`, `1.0.post1.dev0`), which PEP 440 specifiers exclude unless
    /// asked for.
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// True when the version has a local label (`1.0+ubuntu1`).
    pub fn has_local(&self) -> bool {
        !self.local.is_empty()
    }

    /// The pre-release key: the bare release's `dev` sorts before every
    /// pre-release, no pre-release after all of them.
    fn pre_key(&self) -> (u8, Option<(Pre, &str)>) {
        match (&self.pre, &self.post, &self.dev) {
            (None, None, Some(_)) => (0, None),
            (Some((kind, n)), _, _) => (1, Some((*kind, n.as_str()))),
            (None, _, _) => (2, None),
        }
    }
}

fn cmp_local(a: &[Local], b: &[Local]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let ord = match (x, y) {
            (Local::Num(p), Local::Num(q)) => cmp_digits(p, q),
            (Local::Num(_), Local::Word(_)) => Ordering::Greater,
            (Local::Word(_), Local::Num(_)) => Ordering::Less,
            (Local::Word(p), Local::Word(q)) => p.cmp(q),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let release = || {
            for i in 0..self.release.len().max(other.release.len()) {
                let a = self.release.get(i).map_or("", String::as_str);
                let b = other.release.get(i).map_or("", String::as_str);
                let ord = cmp_digits(a, b);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        };
        let (pa, pb) = (self.pre_key(), other.pre_key());
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(release)
            .then_with(|| pa.0.cmp(&pb.0))
            .then_with(|| match (pa.1, pb.1) {
                (Some((ka, na)), Some((kb, nb))) => ka.cmp(&kb).then_with(|| cmp_digits(na, nb)),
                _ => Ordering::Equal,
            })
            // No post-release sorts before any post-release.
            .then_with(|| match (&self.post, &other.post) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => cmp_digits(a, b),
            })
            // No dev release sorts after any dev release.
            .then_with(|| match (&self.dev, &other.dev) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => cmp_digits(a, b),
            })
            .then_with(|| cmp_local(&self.local, &other.local))
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equal after normalisation (`1.0RC1` == `1.0.0rc1`).
impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Greater as Gt, Less as Lt};

    fn cmp(a: &str, b: &str) -> Option<Ordering> {
        Some(Pep440Version::parse(a)?.cmp(&Pep440Version::parse(b)?))
    }

    fn check(cases: &[(&str, &str, Ordering)]) {
        for &(a, b, want) in cases {
            assert_eq!(cmp(a, b), Some(want), "{a:?} vs {b:?}");
            assert_eq!(cmp(b, a), Some(want.reverse()), "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn the_pep_ordering_chain() {
        // The ordering example of PEP 440's "Summary of permitted suffixes
        // and relative ordering", plus epochs and local labels.
        let chain = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
            "1!0.1",
        ];
        for (i, a) in chain.iter().enumerate() {
            for (j, b) in chain.iter().enumerate() {
                assert_eq!(cmp(a, b), Some(i.cmp(&j)), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn normalisation() {
        check(&[
            ("1.0RC1", "1.0rc1", Eq),
            ("1.0-post1", "1.0.post1", Eq),
            ("1.0-1", "1.0.post1", Eq),
            ("1.0post1", "1.0.post1", Eq),
            ("1.0_post_1", "1.0.post1", Eq),
            ("1.0-rev1", "1.0.post1", Eq),
            ("1.0r1", "1.0.post1", Eq),
            ("1.0.post", "1.0.post0", Eq),
            ("1.0alpha1", "1.0a1", Eq),
            ("1.0-beta.2", "1.0b2", Eq),
            ("1.0c1", "1.0rc1", Eq),
            ("1.0pre1", "1.0rc1", Eq),
            ("1.0preview1", "1.0rc1", Eq),
            ("1.0.a1", "1.0a1", Eq),
            ("1.0a", "1.0a0", Eq),
            ("1.0-dev", "1.0.dev0", Eq),
            ("1.0dev2", "1.0.dev2", Eq),
            ("v1.0", "1.0", Eq),
            ("V1.0", "1.0", Eq),
            (" 1.0 ", "1.0", Eq),
            ("1.0", "1.0.0", Eq),
            ("1.0", "1", Eq),
            ("1.01", "1.1", Eq),
            ("0!1.0", "1.0", Eq),
            ("1.0+UBUNTU.1", "1.0+ubuntu.1", Eq),
            ("1.0+ubuntu-1", "1.0+ubuntu.1", Eq),
            ("1.0+ubuntu_1", "1.0+ubuntu.1", Eq),
            ("1.0+01", "1.0+1", Eq),
        ]);
    }

    #[test]
    fn ordering() {
        check(&[
            ("1.0", "1.1", Lt),
            ("1.9", "1.10", Lt),
            ("2.0", "10.0", Lt),
            ("1.0.dev0", "1.0a0", Lt),
            ("1.0a1", "1.0b0", Lt),
            ("1.0b9", "1.0rc1", Lt),
            ("1.0rc1", "1.0", Lt),
            ("1.0", "1.0.post0", Lt),
            ("1.0.post1", "1.0.post2", Lt),
            ("1.0.post1", "1.0.1", Lt),
            ("1.0a1.post1", "1.0a2", Lt),
            ("1.0a1", "1.0a1.post1", Lt),
            ("1.0.post1.dev1", "1.0.post1", Lt),
            ("1.0.post1.dev1", "1.0", Gt),
            ("1!1.0", "2.0", Gt),
            ("2!1.0", "1!9.0", Gt),
            ("1.0+local", "1.0", Gt),
            ("1.0+local", "1.0.post1", Lt),
            ("1.0+a", "1.0+b", Lt),
            ("1.0+a", "1.0+1", Lt),
            ("1.0+2", "1.0+10", Lt),
            ("1.0+a", "1.0+a.1", Lt),
            ("1.0.dev1", "1.0.dev2", Lt),
            ("1.0rc1.dev1", "1.0rc1", Lt),
            ("1.0rc1.dev1", "1.0b1", Gt),
        ]);
    }

    #[test]
    fn flags() {
        let p = |s| Pep440Version::parse(s).unwrap();
        assert!(p("1.0rc1").is_prerelease());
        assert!(p("1.0.dev0").is_prerelease());
        assert!(p("1.0.post1.dev0").is_prerelease());
        assert!(!p("1.0.post1").is_prerelease());
        assert!(p("1.0+ubuntu1").has_local());
        assert!(!p("1.0").has_local());
    }

    #[test]
    fn malformed_strings_are_not_pep440() {
        for s in [
            "",
            "v",
            "a1",
            "1.",
            "1..0",
            "1.0+",
            "1.0+a..b",
            "1.0+a b",
            "1.0 rc1",
            "1.0foo",
            "1.0-",
            "1.0rc1rc2",
            "1.0.dev1.post1",
            "!1.0",
            "1!",
            "1.0+ü",
            "*",
            "1.0.x",
        ] {
            assert!(Pep440Version::parse(s).is_none(), "{s:?}");
        }
    }
}
