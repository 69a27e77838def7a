//! CPE 2.3 names and NVD applicability statements (configurations).
//!
//! The configuration types use NVD's own JSON field names so that NVD API 2.0
//! records and NVD-format overrides deserialise straight into them.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Operator {
    #[serde(rename = "AND")]
    And,
    #[default]
    #[serde(rename = "OR")]
    Or,
}

impl Operator {
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::And => "AND",
            Operator::Or => "OR",
        }
    }
}

/// One applicability statement. Its nodes are combined with `operator`
/// (absent in NVD means OR; an AND configuration usually pairs a vulnerable
/// application with the platform it must run on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Operator>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub negate: bool,
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    #[serde(default)]
    pub operator: Operator,
    #[serde(default, skip_serializing_if = "is_false")]
    pub negate: bool,
    #[serde(default)]
    pub cpe_match: Vec<CpeMatch>,
}

/// A CPE match criterion with optional version bounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CpeMatch {
    pub vulnerable: bool,
    pub criteria: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_criteria_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_start_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_start_excluding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_end_including: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_end_excluding: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl CpeMatch {
    /// The version bounds in words, e.g. `>= 1.0.1, < 1.0.1g`; empty if none.
    pub fn bounds_text(&self) -> String {
        let parts: Vec<String> = [
            (">=", &self.version_start_including),
            (">", &self.version_start_excluding),
            ("<=", &self.version_end_including),
            ("<", &self.version_end_excluding),
        ]
        .into_iter()
        .filter_map(|(op, v)| v.as_ref().map(|v| format!("{op} {v}")))
        .collect();
        parts.join(", ")
    }
}

impl Configuration {
    pub fn operator(&self) -> Operator {
        self.operator.unwrap_or(Operator::Or)
    }

    /// Renders the configuration as an indented AND/OR tree. At most
    /// `max_matches` criteria are listed per node (0 = all).
    pub fn render_tree(&self, out: &mut String, indent: &str, max_matches: usize) {
        let not = if self.negate { "NOT " } else { "" };
        let _ = writeln!(
            out,
            "{indent}{not}{} of {} node(s):",
            self.operator().as_str(),
            self.nodes.len()
        );
        for node in &self.nodes {
            let not = if node.negate { "NOT " } else { "" };
            let role = if node.cpe_match.iter().any(|m| m.vulnerable) {
                "vulnerable"
            } else {
                "platform"
            };
            let _ = writeln!(out, "{indent}  {not}{} ({role}):", node.operator.as_str());
            let shown = if max_matches == 0 {
                node.cpe_match.len()
            } else {
                max_matches.min(node.cpe_match.len())
            };
            for m in &node.cpe_match[..shown] {
                let flag = if m.vulnerable { "*" } else { "-" };
                let bounds = m.bounds_text();
                let sep = if bounds.is_empty() { "" } else { "  " };
                let _ = writeln!(out, "{indent}    {flag} {}{sep}{bounds}", m.criteria);
            }
            if shown < node.cpe_match.len() {
                let _ = writeln!(
                    out,
                    "{indent}    … and {} more",
                    node.cpe_match.len() - shown
                );
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpeError {
    #[error("not a CPE 2.3 formatted string (must start with `cpe:2.3:`): {0}")]
    Prefix(String),
    #[error("CPE 2.3 name has {found} components, expected 11 after `cpe:2.3:`: {name}")]
    Arity { name: String, found: usize },
    #[error("CPE part must be a, o or h (or * / -), got `{part}` in {name}")]
    Part { name: String, part: String },
}

/// A parsed CPE 2.3 formatted string. Values keep their CPE escaping; `*`
/// means ANY and `-` means NA, as in the specification.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cpe {
    pub part: String,
    pub vendor: String,
    pub product: String,
    pub version: String,
    pub update: String,
    pub edition: String,
    pub language: String,
    pub sw_edition: String,
    pub target_sw: String,
    pub target_hw: String,
    pub other: String,
}

impl Cpe {
    /// Parses `cpe:2.3:part:vendor:product:version:update:edition:language:sw_edition:target_sw:target_hw:other`.
    /// A backslash escapes the next character, so `\:` stays inside a value.
    pub fn parse(name: &str) -> Result<Cpe, CpeError> {
        let rest = name
            .strip_prefix("cpe:2.3:")
            .ok_or_else(|| CpeError::Prefix(name.to_string()))?;
        let fields = split_unescaped(rest);
        if fields.len() != 11 {
            return Err(CpeError::Arity {
                name: name.to_string(),
                found: fields.len(),
            });
        }
        if !matches!(fields[0], "a" | "o" | "h" | "*" | "-") {
            return Err(CpeError::Part {
                name: name.to_string(),
                part: fields[0].to_string(),
            });
        }
        let f = |i: usize| fields[i].to_string();
        Ok(Cpe {
            part: f(0),
            vendor: f(1),
            product: f(2),
            version: f(3),
            update: f(4),
            edition: f(5),
            language: f(6),
            sw_edition: f(7),
            target_sw: f(8),
            target_hw: f(9),
            other: f(10),
        })
    }

    /// The formatted string form.
    pub fn to_formatted_string(&self) -> String {
        [
            "cpe:2.3",
            &self.part,
            &self.vendor,
            &self.product,
            &self.version,
            &self.update,
            &self.edition,
            &self.language,
            &self.sw_edition,
            &self.target_sw,
            &self.target_hw,
            &self.other,
        ]
        .join(":")
    }
}

/// Splits on `:` that is not preceded by an escaping backslash.
fn split_unescaped(s: &str) -> Vec<&str> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(11);
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b':' => {
                out.push(&s[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    out.push(&s[start.min(s.len())..]);
    out
}

/// The eleven components of a CPE 2.3 formatted string, borrowed (still
/// escaped): part, vendor, product, version, update, edition, language,
/// sw_edition, target_sw, target_hw, other. For hot paths that must not
/// allocate a [`Cpe`].
pub fn fields(name: &str) -> Option<[&str; 11]> {
    let rest = name.strip_prefix("cpe:2.3:")?;
    let mut it = SplitUnescaped { s: rest, pos: 0 };
    let mut out = [""; 11];
    for slot in &mut out {
        *slot = it.next()?;
    }
    it.next().is_none().then_some(out)
}

/// Vendor, product and part of a CPE name without allocating a full [`Cpe`];
/// the store indexes criteria by these.
pub fn vendor_product(name: &str) -> Option<(&str, &str, &str)> {
    let rest = name.strip_prefix("cpe:2.3:")?;
    let mut it = SplitUnescaped { s: rest, pos: 0 };
    let part = it.next()?;
    let vendor = it.next()?;
    let product = it.next()?;
    Some((part, vendor, product))
}

/// Part, vendor, product, version and update of a CPE name, without
/// reading (or checking) the fields after them: the store's version screens
/// need only these, for every criterion of every imported record.
pub fn head(name: &str) -> Option<[&str; 5]> {
    let rest = name.strip_prefix("cpe:2.3:")?;
    let mut it = SplitUnescaped { s: rest, pos: 0 };
    let mut out = [""; 5];
    for slot in &mut out {
        *slot = it.next()?;
    }
    Some(out)
}

struct SplitUnescaped<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Iterator for SplitUnescaped<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        if self.pos > self.s.len() {
            return None;
        }
        let bytes = self.s.as_bytes();
        let start = self.pos;
        let mut i = start;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b':' => break,
                _ => i += 1,
            }
        }
        let end = i.min(bytes.len());
        self.pos = end + 1;
        Some(&self.s[start..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_reads_the_first_five_fields() {
        assert_eq!(
            head("cpe:2.3:a:openbsd:openssh:5.3:p1:*:*:*:*:*:*"),
            Some(["a", "openbsd", "openssh", "5.3", "p1"])
        );
        assert_eq!(
            head("cpe:2.3:a:joomla:joomla\\!:3\\.4:*"),
            Some(["a", "joomla", "joomla\\!", "3\\.4", "*"])
        );
        assert_eq!(head("cpe:2.3:a:x:y:1"), None);
        assert_eq!(head("cpe:/a:x:y:1:2"), None);
    }

    #[test]
    fn parses_all_eleven_components() {
        let c = Cpe::parse("cpe:2.3:a:openbsd:openssh:6.6:p1:*:*:*:*:*:*").unwrap();
        assert_eq!(c.vendor, "openbsd");
        assert_eq!(c.product, "openssh");
        assert_eq!(c.version, "6.6");
        assert_eq!(c.update, "p1");
        assert_eq!(
            c.to_formatted_string(),
            "cpe:2.3:a:openbsd:openssh:6.6:p1:*:*:*:*:*:*"
        );
    }

    #[test]
    fn escaped_colon_stays_in_value() {
        let c = Cpe::parse(r"cpe:2.3:a:foo\:bar:baz:1.0:*:*:*:*:*:*:*").unwrap();
        assert_eq!(c.vendor, r"foo\:bar");
        assert_eq!(
            vendor_product(r"cpe:2.3:a:foo\:bar:baz:1.0:*:*:*:*:*:*:*"),
            Some(("a", r"foo\:bar", "baz"))
        );
    }

    #[test]
    fn fields_borrow_all_eleven_or_none() {
        let f = fields("cpe:2.3:a:openbsd:openssh:6.6:p1:*:*:*:*:*:*").unwrap();
        assert_eq!(
            (f[1], f[2], f[3], f[4]),
            ("openbsd", "openssh", "6.6", "p1")
        );
        assert!(fields("cpe:2.3:a:x:y").is_none());
        assert!(fields("cpe:2.3:a:x:y:1:*:*:*:*:*:*:*:extra").is_none());
    }

    #[test]
    fn rejects_wrong_arity_and_prefix() {
        assert!(matches!(
            Cpe::parse("cpe:2.3:a:x:y"),
            Err(CpeError::Arity { found: 3, .. })
        ));
        assert!(matches!(
            Cpe::parse("cpe:/a:x:y:1"),
            Err(CpeError::Prefix(_))
        ));
        assert!(matches!(
            Cpe::parse("cpe:2.3:q:x:y:1:*:*:*:*:*:*:*"),
            Err(CpeError::Part { .. })
        ));
    }

    #[test]
    fn renders_tree_with_bounds_and_roles() {
        let cfg = Configuration {
            operator: Some(Operator::And),
            negate: false,
            nodes: vec![
                Node {
                    operator: Operator::Or,
                    negate: false,
                    cpe_match: vec![CpeMatch {
                        vulnerable: true,
                        criteria: "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*".into(),
                        version_start_including: Some("1.0.1".into()),
                        version_end_excluding: Some("1.0.1g".into()),
                        ..Default::default()
                    }],
                },
                Node {
                    operator: Operator::Or,
                    negate: false,
                    cpe_match: vec![CpeMatch {
                        vulnerable: false,
                        criteria: "cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*".into(),
                        ..Default::default()
                    }],
                },
            ],
        };
        let mut s = String::new();
        cfg.render_tree(&mut s, "", 0);
        assert!(s.contains("AND of 2 node(s)"), "{s}");
        assert!(s.contains("OR (vulnerable)"), "{s}");
        assert!(s.contains("OR (platform)"), "{s}");
        assert!(s.contains(">= 1.0.1, < 1.0.1g"), "{s}");
    }
}
