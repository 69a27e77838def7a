//! Maven versions, ordered like Maven's `ComparableVersion` (the classic
//! rules of Maven 3 up to 3.8; not the 3.9 "combination" items).
//!
//! - Case-insensitive. The string is cut at `.` and `-` and wherever digits
//!   and non-digits meet; an empty part is `0`.
//! - A `-`, a digit/letter boundary, and a qualifier that follows a `.`
//!   start a nested sub-list, so `1-1 < 1.1` (a dotted number outranks a
//!   hyphenated one) and `1.0.rc1` == `1.0-rc-1` == `1.0RC1`.
//! - Trailing "null" items (`0`, the release qualifier, empty sub-lists) are
//!   dropped from every list, also in front of a trailing sub-list: `1` ==
//!   `1.0` == `1.0.0` == `1-0` == `1.0-final`, and `1.0-alpha` == `1-alpha`.
//! - Qualifiers order: `alpha` (`a1`) < `beta` (`b1`) < `milestone` (`m1`) <
//!   `rc` == `cr` < `snapshot` < release (`""`, `ga`, `final`, `release`) <
//!   `sp` < any other word (lexically). The single letters `a`, `b`, `m`
//!   only mean alpha/beta/milestone when directly followed by a digit.
//! - At one position: a number beats a sub-list, which beats a qualifier;
//!   numbers compare numerically (`1.10 > 1.9`), and a missing item counts as
//!   `0`/release (`1-sp > 1 > 1-rc`).
//! - One deliberate difference: Maven puts *every* qualifier below every
//!   sub-list, which is not transitive (`1-sp < 1-0-alpha < 1 < 1-sp`).
//!   Here the release qualifier and those after it (`sp`, unknown words)
//!   sort above a sub-list that itself sorts below the release, so
//!   `1-0-alpha < 1 < 1-sp`. Ordinary versions are not affected.

use std::cmp::Ordering;

use crate::num::{cmp_digits, is_zero, trim_zeros};

#[derive(Debug, Clone)]
enum Item {
    /// A number without leading zeros.
    Int(String),
    /// A qualifier, with aliases resolved (`cr` → `rc`, `ga` → `""`, ...).
    Qualifier(String),
    List(Vec<Item>),
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(n) => is_zero(n),
            Item::Qualifier(q) => q.is_empty(),
            Item::List(items) => items.is_empty(),
        }
    }
}

fn qualifier(word: &str, followed_by_digit: bool) -> String {
    let word = match word {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        w => w,
    };
    match word {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        w => w,
    }
    .to_string()
}

/// Sort key of a qualifier: known ones by rank, unknown ones after all of
/// them, lexically.
fn qualifier_key(q: &str) -> (u8, &str) {
    match q {
        "alpha" => (0, ""),
        "beta" => (1, ""),
        "milestone" => (2, ""),
        "rc" => (3, ""),
        "snapshot" => (4, ""),
        "" => (5, ""),
        "sp" => (6, ""),
        other => (7, other),
    }
}

/// Compares an item with the item at the same position of the other list,
/// `None` when that list has ended.
fn cmp_item(a: &Item, b: Option<&Item>) -> Ordering {
    use Item::{Int, List, Qualifier};
    match (a, b) {
        (Int(x), None) => {
            if is_zero(x) {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (Int(x), Some(Int(y))) => cmp_digits(x, y),
        (Int(_), Some(_)) => Ordering::Greater,
        (Qualifier(q), None) => qualifier_key(q).cmp(&qualifier_key("")),
        (Qualifier(p), Some(Qualifier(q))) => qualifier_key(p).cmp(&qualifier_key(q)),
        (Qualifier(q), Some(List(l))) => {
            // Maven puts every qualifier below every sub-list, which is not
            // transitive (`1-sp` < `1-0-alpha` < `1` < `1-sp`). Only
            // qualifiers below the release stay below all sub-lists; the
            // release and later ones sit above the sub-lists that sort
            // below the release.
            let below_release = qualifier_key(q) < qualifier_key("");
            if !below_release && list_vs_end(l).is_lt() {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Qualifier(_), Some(Int(_))) => Ordering::Less,
        (List(items), None) => list_vs_end(items),
        (List(_), Some(Int(_))) => Ordering::Less,
        (List(_), Some(q @ Qualifier(_))) => cmp_item(q, Some(a)).reverse(),
        (List(x), Some(List(y))) => cmp_lists(x, y),
    }
}

/// A sub-list against the end of the other list: its first item that is
/// not null decides.
fn list_vs_end(items: &[Item]) -> Ordering {
    items
        .iter()
        .map(|i| cmp_item(i, None))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let ord = match (a.get(i), b.get(i)) {
            (Some(x), y) => cmp_item(x, y),
            (None, Some(y)) => cmp_item(y, None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if ord.is_ne() {
            return ord;
        }
    }
    Ordering::Equal
}

/// Drops trailing null items, looking past trailing non-null sub-lists.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// A Maven version (see the module documentation).
#[derive(Debug, Clone)]
pub struct MavenVersion {
    items: Vec<Item>,
}

struct Part {
    text: String,
    digits: bool,
    /// Preceded by `-` or a digit/letter boundary.
    opens_list: bool,
    followed_by_digit: bool,
}

fn split_parts(s: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut buf = String::new();
    let mut buf_digits = false;
    let mut opens_list = false;
    for c in s.chars() {
        if c == '.' || c == '-' {
            let text = if buf.is_empty() {
                buf_digits = true;
                "0".to_string()
            } else {
                std::mem::take(&mut buf)
            };
            parts.push(Part {
                text,
                digits: buf_digits,
                opens_list,
                followed_by_digit: false,
            });
            opens_list = c == '-';
            continue;
        }
        let digit = c.is_ascii_digit();
        if !buf.is_empty() && digit != buf_digits {
            parts.push(Part {
                text: std::mem::take(&mut buf),
                digits: buf_digits,
                opens_list,
                followed_by_digit: digit,
            });
            opens_list = true;
        }
        buf.push(c);
        buf_digits = digit;
    }
    if !buf.is_empty() {
        parts.push(Part {
            text: buf,
            digits: buf_digits,
            opens_list,
            followed_by_digit: false,
        });
    }
    parts
}

impl MavenVersion {
    /// Reads `s`; `None` when it is empty or holds whitespace or control
    /// characters (Maven itself accepts any other string).
    pub fn parse(s: &str) -> Option<MavenVersion> {
        let s = s.trim().to_lowercase();
        if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return None;
        }
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        for part in split_parts(&s) {
            if part.opens_list {
                stack.push(Vec::new());
            }
            let item = if part.digits {
                Item::Int(trim_zeros(&part.text).to_string())
            } else {
                Item::Qualifier(qualifier(&part.text, part.followed_by_digit))
            };
            // A qualifier after a `.` counts as one after a `-`.
            if matches!(item, Item::Qualifier(_)) && stack.last().is_some_and(|l| !l.is_empty()) {
                stack.push(Vec::new());
            }
            stack.last_mut()?.push(item);
        }
        while stack.len() > 1 {
            let mut inner = stack.pop()?;
            normalize(&mut inner);
            stack.last_mut()?.push(Item::List(inner));
        }
        let mut items = stack.pop()?;
        normalize(&mut items);
        Some(MavenVersion { items })
    }

    /// True when the version carries `snapshot` anywhere.
    pub fn is_snapshot(&self) -> bool {
        fn any(items: &[Item]) -> bool {
            items.iter().any(|i| match i {
                Item::Qualifier(q) => q == "snapshot",
                Item::List(l) => any(l),
                Item::Int(_) => false,
            })
        }
        any(&self.items)
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equal in Maven's order (`1.0` == `1-ga` == `1.0.0.RELEASE`).
impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for MavenVersion {}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal as Eq, Greater as Gt, Less as Lt};

    fn cmp(a: &str, b: &str) -> Option<Ordering> {
        Some(MavenVersion::parse(a)?.cmp(&MavenVersion::parse(b)?))
    }

    fn check(cases: &[(&str, &str, Ordering)]) {
        for &(a, b, want) in cases {
            assert_eq!(cmp(a, b), Some(want), "{a:?} vs {b:?}");
            assert_eq!(cmp(b, a), Some(want.reverse()), "{b:?} vs {a:?}");
        }
    }

    #[test]
    fn qualifier_order() {
        let chain = [
            "1-alpha",
            "1-beta",
            "1-milestone",
            "1-rc",
            "1-snapshot",
            "1",
            "1-sp",
            "1-abc",
            "1-xyz",
            "1-1",
            "1.1",
        ];
        for (i, a) in chain.iter().enumerate() {
            for (j, b) in chain.iter().enumerate() {
                assert_eq!(cmp(a, b), Some(i.cmp(&j)), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn version_order_specification_examples() {
        // The examples of the Maven POM reference, "Version Order
        // Specification".
        check(&[
            ("1", "1.1", Lt),
            ("1-snapshot", "1", Lt),
            ("1", "1-sp", Lt),
            ("1-foo2", "1-foo10", Lt),
            ("1.foo", "1-foo", Eq),
            ("1-foo", "1-1", Lt),
            ("1-1", "1.1", Lt),
            ("1.ga", "1-ga", Eq),
            ("1-ga", "1-0", Eq),
            ("1-0", "1.0", Eq),
            ("1.0", "1", Eq),
            ("1-sp", "1-ga", Gt),
            ("1-sp.1", "1-ga.1", Gt),
            ("1-sp-1", "1-ga-1", Lt),
            ("1-a1", "1-alpha-1", Eq),
        ]);
    }

    #[test]
    fn stays_transitive_where_maven_is_not() {
        // Maven: 1-sp < 1-0-alpha (qualifier below sub-list), 1-0-alpha < 1,
        // 1 < 1-sp. Here 1-0-alpha < 1 < 1-sp.
        check(&[
            ("1-0-alpha", "1", Lt),
            ("1", "1-sp", Lt),
            ("1-0-alpha", "1-sp", Lt),
            ("1-0-alpha", "1-ga.1", Lt),
            ("1-0-sp", "1-sp", Gt),
            ("1-0-alpha", "1-rc", Gt),
        ]);
    }

    #[test]
    fn padding_aliases_and_case() {
        check(&[
            ("1.0.0", "1", Eq),
            ("1.0.0-SNAPSHOT", "1-snapshot", Eq),
            ("1.0-alpha", "1-alpha", Eq),
            ("1.2.3.Final", "1.2.3", Eq),
            ("5.3.0.RELEASE", "5.3.0", Eq),
            ("1.0-GA", "1.0", Eq),
            ("1.0-RC1", "1.0-cr1", Eq),
            ("1.0RC1", "1.0-rc-1", Eq),
            ("1.0.rc1", "1.0-rc1", Eq),
            ("1.0.0.Alpha1", "1.0.0-alpha-1", Eq),
            ("1.0-b2", "1.0-beta-2", Eq),
            ("1.0.0.M1", "1.0.0-milestone-1", Eq),
            ("1.01", "1.1", Eq),
            ("1..1", "1.0.1", Eq),
            ("1.0-", "1", Eq),
        ]);
    }

    #[test]
    fn ordering() {
        check(&[
            ("1.9", "1.10", Lt),
            ("1.0.1", "1.0", Gt),
            ("2.12.6.1", "2.12.6", Gt),
            ("2.13.0-RC1", "2.13.0", Lt),
            ("2.13.0-RC1", "2.13.0-RC2", Lt),
            ("2.13.0-RC2", "2.12.9", Gt),
            ("1.0.0.M1", "1.0.0.RC1", Lt),
            ("1.0-SNAPSHOT", "1.0-RC1", Gt),
            ("1.0-SNAPSHOT", "1.0", Lt),
            ("1.0.1", "1.0-sp1", Gt),
            ("1.0-sp1", "1.0-sp2", Lt),
            ("2.0.1-xyz", "2.0.1", Gt),
            ("2.0.1-xyz", "2.0.1-123", Lt),
            ("1.0-alpha-1", "1.0-alpha-2", Lt),
            ("1.0-alpha-2", "1.0-beta-1", Lt),
            ("1.0-a", "1.0", Gt),
            ("1.0-m", "1.0", Gt),
            ("2.17.1", "2.17.0", Gt),
            ("2.0-beta9", "2.0-rc1", Lt),
            ("2.0-beta9", "2.0", Lt),
            ("1.2.3-jre", "1.2.3-android", Gt),
            ("31.1-jre", "32.0.0-jre", Lt),
        ]);
    }

    #[test]
    fn flags_and_malformed() {
        assert!(MavenVersion::parse("1.0-SNAPSHOT").unwrap().is_snapshot());
        assert!(
            MavenVersion::parse("1.0-rc-1.snapshot")
                .unwrap()
                .is_snapshot()
        );
        assert!(!MavenVersion::parse("1.0").unwrap().is_snapshot());
        for s in ["", "  ", "1.0 beta", "1.0\u{7}"] {
            assert!(MavenVersion::parse(s).is_none(), "{s:?}");
        }
        assert!(MavenVersion::parse(" 1.0\t").is_some());
    }
}
