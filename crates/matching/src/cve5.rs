//! CVE JSON 5 `affected` entries: a vendor, a product (and the CPEs or
//! package it goes by), version entries with a status, and a default
//! status for versions no entry mentions.
//!
//! A version entry is one version (`"version": "2.4.1"`) or a range from
//! `version` up to `lessThan` (exclusive) or `lessThanOrEqual`; `0`, `*`
//! or an empty `version` leaves the range open below, `*` as its end leaves
//! it open above. Entries of `versionType: git` name commits, not releases,
//! and are skipped.

use std::cmp::Ordering;

use kensa_model::{Cve5Affected, Cve5Version};
use kensa_version::compare_generic;

/// Whether the entry says `version` is affected: the covering statement
/// in words, or `None` (unaffected, unknown, or not comparable).
pub fn affected_by(entry: &Cve5Affected, version: &str) -> Option<String> {
    let mut verdict: Option<(bool, String)> = None;
    for v in &entry.versions {
        if v.version_type.as_deref() == Some("git") {
            continue;
        }
        let Some(covers) = covers(v, version) else {
            continue;
        };
        if !covers {
            continue;
        }
        let affected = v.status == "affected";
        // An exact version outranks a range: "1.2.3 unaffected" inside
        // "< 2.0 affected" is a backport.
        let exact = v.less_than.is_none() && v.less_than_or_equal.is_none();
        match &verdict {
            Some(_) if !exact => {
                if affected {
                    verdict.get_or_insert((true, describe(v)));
                }
            }
            _ => verdict = Some((affected, describe(v))),
        }
        if exact {
            break;
        }
    }
    match verdict {
        Some((true, why)) => Some(why),
        Some((false, _)) => None,
        None if entry.default_status.as_deref() == Some("affected") => {
            Some("all versions not listed otherwise (defaultStatus affected)".into())
        }
        None => None,
    }
}

/// Whether a version field holds a version rather than prose: CNAs write
/// "Fixed in OpenSSL 1.1.1d (Affected 1.1.1-1.1.1c)" or "current" there.
fn is_version(s: &str) -> bool {
    let s = s.trim();
    let digits = s.strip_prefix(['v', 'V']).unwrap_or(s);
    s == "*"
        || (digits.starts_with(|c: char| c.is_ascii_digit()) && !s.contains(char::is_whitespace))
}

fn covers(v: &Cve5Version, version: &str) -> Option<bool> {
    let bounds = [
        Some(&v.version),
        v.less_than.as_ref(),
        v.less_than_or_equal.as_ref(),
    ];
    if bounds
        .into_iter()
        .flatten()
        .any(|b| !b.trim().is_empty() && !is_version(b))
    {
        return None;
    }
    let open_below = matches!(v.version.trim(), "" | "0" | "*");
    let upper = v
        .less_than
        .as_deref()
        .map(|u| (u, false))
        .or(v.less_than_or_equal.as_deref().map(|u| (u, true)));
    let Some((upper, inclusive)) = upper else {
        return Some(compare_generic(version, &v.version)? == Ordering::Equal);
    };
    if !open_below && compare_generic(version, &v.version)? == Ordering::Less {
        return Some(false);
    }
    if upper.trim() == "*" {
        return Some(true);
    }
    let o = compare_generic(version, upper)?;
    Some(o == Ordering::Less || (inclusive && o == Ordering::Equal))
}

fn describe(v: &Cve5Version) -> String {
    let lower = match v.version.trim() {
        "" | "0" | "*" => String::new(),
        l => format!(">= {l}, "),
    };
    match (&v.less_than, &v.less_than_or_equal) {
        (Some(u), _) => format!("versions {lower}< {u} ({})", v.status),
        (None, Some(u)) => format!("versions {lower}<= {u} ({})", v.status),
        (None, None) => format!("version {} ({})", v.version, v.status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        versions: &[(&str, &str, Option<&str>, Option<&str>)],
        default: Option<&str>,
    ) -> Cve5Affected {
        Cve5Affected {
            default_status: default.map(str::to_string),
            versions: versions
                .iter()
                .map(|(v, status, lt, lte)| Cve5Version {
                    version: v.to_string(),
                    status: status.to_string(),
                    version_type: Some("custom".into()),
                    less_than: lt.map(str::to_string),
                    less_than_or_equal: lte.map(str::to_string),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn ranges_exact_versions_and_default_status() {
        let lighttpd = entry(&[("0", "affected", None, Some("1.4.50"))], Some("unknown"));
        assert!(affected_by(&lighttpd, "1.4.35").is_some());
        assert!(affected_by(&lighttpd, "1.4.50").is_some());
        assert!(affected_by(&lighttpd, "1.4.51").is_none());

        let siemens = entry(&[("0", "affected", Some("V2.9.2"), None)], None);
        assert_eq!(
            affected_by(&siemens, "V2.8.1").unwrap(),
            "versions < V2.9.2 (affected)"
        );
        assert!(affected_by(&siemens, "V2.9.2").is_none());

        let backport = entry(
            &[
                ("1.0", "affected", Some("2.0"), None),
                ("1.5.3", "unaffected", None, None),
            ],
            None,
        );
        assert!(affected_by(&backport, "1.5.2").is_some());
        assert!(
            affected_by(&backport, "1.5.3").is_none(),
            "an exact unaffected version wins"
        );
        assert!(affected_by(&backport, "0.9").is_none(), "below the range");

        let listed = entry(&[("3.0", "unaffected", None, None)], Some("affected"));
        assert!(
            affected_by(&listed, "2.0").is_some(),
            "defaultStatus covers the rest"
        );
        assert!(affected_by(&listed, "3.0").is_none());
        let prose = entry(
            &[(
                "Fixed in OpenSSL 1.0.2y (Affected 1.0.2s-1.0.2x)",
                "affected",
                None,
                None,
            )],
            None,
        );
        assert!(
            affected_by(&prose, "1.0.2").is_none(),
            "prose is not a version"
        );
        let open = entry(&[("4.0", "affected", Some("*"), None)], None);
        assert!(affected_by(&open, "9.9").is_some());
        assert!(affected_by(&open, "3.9").is_none());
    }
}
