//! Document versions (`version_t`): integer versioning (`3`) or semantic
//! versioning (`1.2.0-rc.1+build`), and their order.

use std::cmp::Ordering;

/// A parsed document version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocVersion {
    Integer(u64),
    Semantic {
        major: u64,
        minor: u64,
        patch: u64,
        pre: Option<String>,
        build: Option<String>,
    },
}

fn number(s: &str) -> Option<u64> {
    if s.is_empty() || (s.len() > 1 && s.starts_with('0')) || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

impl DocVersion {
    pub fn parse(s: &str) -> Option<DocVersion> {
        if let Some(n) = number(s) {
            return Some(DocVersion::Integer(n));
        }
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => (r, Some(b.to_string())),
            None => (s, None),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p.to_string())),
            None => (rest, None),
        };
        let mut parts = core.split('.');
        let major = number(parts.next()?)?;
        let minor = number(parts.next()?)?;
        let patch = number(parts.next()?)?;
        if parts.next().is_some()
            || pre
                .as_deref()
                .is_some_and(|p| p.is_empty() || p.split('.').any(str::is_empty))
            || build
                .as_deref()
                .is_some_and(|b| b.is_empty() || b.split('.').any(str::is_empty))
        {
            return None;
        }
        Some(DocVersion::Semantic {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }

    pub fn is_integer(&self) -> bool {
        matches!(self, DocVersion::Integer(_))
    }

    /// The major version (the integer itself for integer versioning).
    pub fn major(&self) -> u64 {
        match self {
            DocVersion::Integer(n) => *n,
            DocVersion::Semantic { major, .. } => *major,
        }
    }

    pub fn pre(&self) -> Option<&str> {
        match self {
            DocVersion::Semantic { pre, .. } => pre.as_deref(),
            DocVersion::Integer(_) => None,
        }
    }

    pub fn build(&self) -> Option<&str> {
        match self {
            DocVersion::Semantic { build, .. } => build.as_deref(),
            DocVersion::Integer(_) => None,
        }
    }

    /// `0` or `0.y.z`: a version before the initial release.
    pub fn is_zero(&self) -> bool {
        self.major() == 0
    }

    /// Without build metadata (and without the pre-release part when
    /// `drop_pre`), for comparisons that ignore them.
    pub fn trimmed(&self, drop_pre: bool) -> DocVersion {
        match self {
            DocVersion::Integer(n) => DocVersion::Integer(*n),
            DocVersion::Semantic {
                major,
                minor,
                patch,
                pre,
                ..
            } => DocVersion::Semantic {
                major: *major,
                minor: *minor,
                patch: *patch,
                pre: if drop_pre { None } else { pre.clone() },
                build: None,
            },
        }
    }

    /// Semantic versioning precedence (build metadata ignored); integers
    /// compare as numbers, and before any semantic version.
    pub fn precedence(&self, other: &DocVersion) -> Ordering {
        match (self, other) {
            (DocVersion::Integer(a), DocVersion::Integer(b)) => a.cmp(b),
            (DocVersion::Integer(_), _) => Ordering::Less,
            (_, DocVersion::Integer(_)) => Ordering::Greater,
            (
                DocVersion::Semantic {
                    major: a1,
                    minor: a2,
                    patch: a3,
                    pre: ap,
                    ..
                },
                DocVersion::Semantic {
                    major: b1,
                    minor: b2,
                    patch: b3,
                    pre: bp,
                    ..
                },
            ) => (a1, a2, a3)
                .cmp(&(b1, b2, b3))
                .then_with(|| match (ap, bp) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Greater,
                    (Some(_), None) => Ordering::Less,
                    (Some(a), Some(b)) => pre_cmp(a, b),
                }),
        }
    }
}

fn pre_cmp(a: &str, b: &str) -> Ordering {
    let mut x = a.split('.');
    let mut y = b.split('.');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let o = match (number(p), number(q)) {
                    (Some(m), Some(n)) => m.cmp(&n),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

impl std::fmt::Display for DocVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocVersion::Integer(n) => write!(f, "{n}"),
            DocVersion::Semantic {
                major,
                minor,
                patch,
                pre,
                build,
            } => {
                write!(f, "{major}.{minor}.{patch}")?;
                if let Some(p) = pre {
                    write!(f, "-{p}")?;
                }
                if let Some(b) = build {
                    write!(f, "+{b}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_schemes_and_orders_by_precedence() {
        assert_eq!(DocVersion::parse("3"), Some(DocVersion::Integer(3)));
        assert!(DocVersion::parse("03").is_none());
        let rc = DocVersion::parse("1.0.0-rc.1+b7").unwrap();
        assert_eq!(rc.pre(), Some("rc.1"));
        assert_eq!(rc.build(), Some("b7"));
        let one = DocVersion::parse("1.0.0").unwrap();
        assert_eq!(rc.precedence(&one), Ordering::Less);
        let rc2 = DocVersion::parse("1.0.0-rc.2").unwrap();
        assert_eq!(rc.precedence(&rc2), Ordering::Less);
        let alpha = DocVersion::parse("1.0.0-alpha").unwrap();
        assert_eq!(alpha.precedence(&rc), Ordering::Less);
        assert!(DocVersion::parse("1.0").is_none());
    }
}
