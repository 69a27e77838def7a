//! Simple types: the built-in ones the CycloneDX schemas use, restrictions
//! with their facets, and unions.

use regex::Regex;

use super::model::{Type, TypeId};

/// At most this many characters of a value or a facet in a message.
const MAX_SHOWN: usize = 120;

pub(super) struct SimpleType {
    pub(super) variety: Variety,
    pub(super) facets: Facets,
}

pub(super) enum Variety {
    Builtin(Builtin),
    /// A restriction of the base type by [`SimpleType::facets`].
    Restriction(TypeId),
    Union(Vec<TypeId>),
}

#[derive(Default)]
pub(super) struct Facets {
    pub(super) enumeration: Vec<String>,
    /// Alternatives from one derivation step: the value matches one of them.
    pub(super) patterns: Vec<(String, Regex)>,
    pub(super) min_length: Option<usize>,
    pub(super) max_length: Option<usize>,
    pub(super) min_inclusive: Option<f64>,
    pub(super) max_inclusive: Option<f64>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Builtin {
    AnySimpleType,
    String,
    NormalizedString,
    Token,
    AnyUri,
    Boolean,
    DateTime,
    Date,
    Integer,
    NonNegativeInteger,
    PositiveInteger,
    Decimal,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Whitespace {
    Preserve,
    Replace,
    Collapse,
}

impl Builtin {
    /// The built-in type named `local` in the XML Schema namespace; `None`
    /// for one these schemas do not use (compiling then fails).
    pub(super) fn by_name(local: &str) -> Option<Builtin> {
        Some(match local {
            "anySimpleType" => Builtin::AnySimpleType,
            "string" => Builtin::String,
            "normalizedString" => Builtin::NormalizedString,
            "token" => Builtin::Token,
            "anyURI" => Builtin::AnyUri,
            "boolean" => Builtin::Boolean,
            "dateTime" => Builtin::DateTime,
            "date" => Builtin::Date,
            "integer" => Builtin::Integer,
            "nonNegativeInteger" => Builtin::NonNegativeInteger,
            "positiveInteger" => Builtin::PositiveInteger,
            "decimal" => Builtin::Decimal,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Builtin::AnySimpleType => "xs:anySimpleType",
            Builtin::String => "xs:string",
            Builtin::NormalizedString => "xs:normalizedString",
            Builtin::Token => "xs:token",
            Builtin::AnyUri => "xs:anyURI",
            Builtin::Boolean => "xs:boolean",
            Builtin::DateTime => "xs:dateTime",
            Builtin::Date => "xs:date",
            Builtin::Integer => "xs:integer",
            Builtin::NonNegativeInteger => "xs:nonNegativeInteger",
            Builtin::PositiveInteger => "xs:positiveInteger",
            Builtin::Decimal => "xs:decimal",
        }
    }

    fn whitespace(self) -> Whitespace {
        match self {
            Builtin::AnySimpleType | Builtin::String => Whitespace::Preserve,
            Builtin::NormalizedString => Whitespace::Replace,
            _ => Whitespace::Collapse,
        }
    }

    /// Whether `v` (whitespace already processed) is in the lexical space.
    fn accepts(self, v: &str) -> bool {
        match self {
            Builtin::AnySimpleType
            | Builtin::String
            | Builtin::NormalizedString
            | Builtin::Token => true,
            // Any string is accepted as a URI reference in practice
            // (validators escape what RFC 3986 would refuse).
            Builtin::AnyUri => true,
            Builtin::Boolean => matches!(v, "true" | "false" | "1" | "0"),
            Builtin::DateTime => is_date_time(v),
            Builtin::Date => is_date(v),
            Builtin::Integer => is_integer(v),
            Builtin::NonNegativeInteger => {
                is_integer(v) && (v.starts_with('+') || !v.starts_with('-') || is_zero(&v[1..]))
            }
            Builtin::PositiveInteger => {
                is_integer(v) && !v.starts_with('-') && !is_zero(v.trim_start_matches('+'))
            }
            Builtin::Decimal => is_decimal(v),
        }
    }
}

fn normalise(ws: Whitespace, v: &str) -> String {
    match ws {
        Whitespace::Preserve => v.to_string(),
        Whitespace::Replace => v.replace(['\t', '\n', '\r'], " "),
        Whitespace::Collapse => v
            .split([' ', '\t', '\n', '\r'])
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

fn is_zero(digits: &str) -> bool {
    digits.bytes().all(|b| b == b'0')
}

fn is_integer(v: &str) -> bool {
    let d = v.strip_prefix(['+', '-']).unwrap_or(v);
    !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
}

fn is_decimal(v: &str) -> bool {
    let d = v.strip_prefix(['+', '-']).unwrap_or(v);
    let (int, frac) = d.split_once('.').unwrap_or((d, ""));
    (!int.is_empty() || !frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// `-?YYYY-MM-DD`, the year at least four digits; returns the rest.
fn date_part(v: &str) -> Option<&str> {
    let v = v.strip_prefix('-').unwrap_or(v);
    let year_len = v.bytes().take_while(u8::is_ascii_digit).count();
    if year_len < 4 || (year_len > 4 && v.starts_with('0')) {
        return None;
    }
    let rest = v[year_len..].strip_prefix('-')?;
    let month = digits(rest.get(..2)?, 2)?;
    let rest = rest[2..].strip_prefix('-')?;
    let day = digits(rest.get(..2)?, 2)?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then(|| &rest[2..])
}

/// `Z` or `±hh:mm`, or nothing.
fn is_timezone(v: &str) -> bool {
    if v.is_empty() || v == "Z" {
        return true;
    }
    let Some(rest) = v.strip_prefix(['+', '-']) else {
        return false;
    };
    match (
        rest.get(..2).and_then(|h| digits(h, 2)),
        rest.get(2..3),
        rest.get(3..).and_then(|m| digits(m, 2)),
    ) {
        (Some(h), Some(":"), Some(m)) => (h < 14 && m < 60) || (h == 14 && m == 0),
        _ => false,
    }
}

fn is_date(v: &str) -> bool {
    date_part(v).is_some_and(is_timezone)
}

/// `YYYY-MM-DDThh:mm:ss(.s+)?` and an optional time zone.
fn is_date_time(v: &str) -> bool {
    let Some(rest) = date_part(v).and_then(|r| r.strip_prefix('T')) else {
        return false;
    };
    let (Some(h), Some(m), Some(s)) = (
        rest.get(..2).and_then(|x| digits(x, 2)),
        rest.get(3..5)
            .filter(|_| rest.get(2..3) == Some(":"))
            .and_then(|x| digits(x, 2)),
        rest.get(6..8)
            .filter(|_| rest.get(5..6) == Some(":"))
            .and_then(|x| digits(x, 2)),
    ) else {
        return false;
    };
    let mut rest = &rest[8..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    let end_of_day = h == 24 && m == 0 && s == 0;
    (h < 24 || end_of_day) && m < 60 && s < 60 && is_timezone(rest)
}

/// Translates an XML Schema regular expression (implicitly anchored; `^`
/// and `$` are ordinary characters; `.` excludes CR and LF) into the
/// `regex` crate's syntax. Constructs `regex` has no equivalent for (`\i`,
/// `\c`, class subtraction) are refused.
pub(super) fn translate_pattern(xsd: &str) -> Result<String, String> {
    let mut out = String::from("^(?:");
    let mut chars = xsd.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    return Err("a trailing `\\`".into());
                };
                match e {
                    'i' | 'I' | 'c' | 'C' => {
                        return Err(format!("the XML name escape `\\{e}` is not supported"));
                    }
                    'p' | 'P' => {
                        out.push('\\');
                        out.push(e);
                    }
                    'n' | 'r' | 't' | 'd' | 'D' | 's' | 'S' | 'w' | 'W' => {
                        out.push('\\');
                        out.push(e);
                    }
                    _ if e.is_ascii_alphanumeric() => {
                        return Err(format!("unknown escape `\\{e}`"));
                    }
                    _ => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
            }
            '[' => return Err("character class subtraction is not supported".into()),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            // Set operators and nesting in `regex` classes, literal in XSD.
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '^' | '$' if !in_class => {
                out.push('\\');
                out.push(c);
            }
            '.' if !in_class => out.push_str("[^\\n\\r]"),
            _ => out.push(c),
        }
    }
    if in_class {
        return Err("an unclosed `[`".into());
    }
    out.push_str(")$");
    Ok(out)
}

fn shown(s: &str) -> String {
    if s.chars().count() > MAX_SHOWN {
        s.chars().take(MAX_SHOWN).collect::<String>() + "…"
    } else {
        s.to_string()
    }
}

/// Checks `raw` against simple type `id`; the error says why it fails.
pub(super) fn check(types: &[Type], id: TypeId, raw: &str) -> Result<(), String> {
    check_depth(types, id, raw, 0)
}

/// Derivation chains in the shipped schemas are a few steps deep; the bound
/// only guards against a cycle.
const MAX_DERIVATION: usize = 32;

fn check_depth(types: &[Type], id: TypeId, raw: &str, depth: usize) -> Result<(), String> {
    if depth > MAX_DERIVATION {
        return Err("the simple type derives from itself".into());
    }
    let st = match &types[id] {
        Type::Any => return Ok(()),
        Type::Complex(_) => return Err("a complex type where a simple one belongs".into()),
        Type::Simple(st) => st,
    };
    match &st.variety {
        Variety::Builtin(b) => {
            let v = normalise(b.whitespace(), raw);
            if !b.accepts(&v) {
                return Err(format!("`{}` is not a valid {}", shown(&v), b.name()));
            }
        }
        Variety::Union(members) => {
            if !members
                .iter()
                .any(|m| check_depth(types, *m, raw, depth + 1).is_ok())
            {
                return Err(format!(
                    "`{}` is of none of the union's member types",
                    shown(raw.trim())
                ));
            }
        }
        Variety::Restriction(base) => {
            check_depth(types, *base, raw, depth + 1)?;
            let v = normalise(whitespace_of(types, *base), raw);
            check_facets(&st.facets, &v)?;
        }
    }
    Ok(())
}

fn whitespace_of(types: &[Type], mut id: TypeId) -> Whitespace {
    for _ in 0..MAX_DERIVATION {
        match &types[id] {
            Type::Simple(SimpleType {
                variety: Variety::Restriction(base),
                ..
            }) => id = *base,
            Type::Simple(SimpleType {
                variety: Variety::Builtin(b),
                ..
            }) => return b.whitespace(),
            _ => break,
        }
    }
    Whitespace::Collapse
}

fn check_facets(f: &Facets, v: &str) -> Result<(), String> {
    if !f.enumeration.is_empty() && !f.enumeration.iter().any(|e| e == v) {
        let list = shown(&f.enumeration.join(", "));
        return Err(format!("`{}` is not one of: {list}", shown(v)));
    }
    if !f.patterns.is_empty() && !f.patterns.iter().any(|(_, re)| re.is_match(v)) {
        return Err(format!(
            "`{}` does not match the pattern `{}`",
            shown(v),
            shown(&f.patterns[0].0)
        ));
    }
    let len = v.chars().count();
    if let Some(min) = f.min_length
        && len < min
    {
        return Err(format!("`{}` is shorter than {min} characters", shown(v)));
    }
    if let Some(max) = f.max_length
        && len > max
    {
        return Err(format!("`{}` is longer than {max} characters", shown(v)));
    }
    if f.min_inclusive.is_some() || f.max_inclusive.is_some() {
        let n: f64 = v
            .parse()
            .map_err(|_| format!("`{}` is not a number", shown(v)))?;
        if f.min_inclusive.is_some_and(|m| n < m) || f.max_inclusive.is_some_and(|m| n > m) {
            return Err(format!("`{v}` is out of range"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times() {
        for ok in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.123+01:00",
            "2024-01-02T03:04:05",
            "12024-12-31T24:00:00-14:00",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2024-01-02",
            "2024-13-02T03:04:05Z",
            "2024-01-02T03:04Z",
            "2024-01-02T03:04:05.Z",
            "2024-01-02 03:04:05Z",
            "24-01-02T03:04:05Z",
            "2024-01-02T03:04:05+1:00",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
        assert!(is_date("2024-01-02"));
        assert!(!is_date("2024-01-02T00:00:00"));
    }

    #[test]
    fn numbers() {
        assert!(Builtin::Integer.accepts("-12"));
        assert!(!Builtin::Integer.accepts("1.5"));
        assert!(Builtin::Decimal.accepts("1.5"));
        assert!(Builtin::Decimal.accepts(".5"));
        assert!(!Builtin::Decimal.accepts("."));
        assert!(Builtin::NonNegativeInteger.accepts("0"));
        assert!(Builtin::NonNegativeInteger.accepts("-0"));
        assert!(!Builtin::NonNegativeInteger.accepts("-1"));
        assert!(!Builtin::PositiveInteger.accepts("0"));
        assert!(Builtin::PositiveInteger.accepts("+3"));
    }

    #[test]
    fn patterns_are_anchored_and_literal_where_xsd_says() {
        let re = |p: &str| Regex::new(&translate_pattern(p).unwrap()).unwrap();
        assert!(re("[A-Z]{2}").is_match("DE"));
        assert!(!re("[A-Z]{2}").is_match("DEU"));
        assert!(re("a^b$").is_match("a^b$"));
        assert!(!re("a.b").is_match("a\nb"));
        assert!(re("[&~\\-]+").is_match("&~-"));
        // Alternatives bind inside the implicit anchors.
        assert!(!re("a|b").is_match("ab"));
        assert!(translate_pattern("\\i\\c*").is_err());
        assert!(translate_pattern("[a-z-[aeiou]]").is_err());
    }
}
