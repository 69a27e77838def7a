//! CPE applicability: does an NVD-style configuration cover one product at
//! one version, through which criterion, and on which platform?
//!
//! A configuration is a list of nodes combined by its operator; each node is
//! a list of CPE match criteria. Kensa reports a vulnerability for a product
//! when a criterion marked `vulnerable` names the product and its version
//! constraint covers the version. In an AND configuration the other nodes
//! (typically the operating system or hardware the application runs on)
//! become platform conditions on the finding, to be checked by a person, not
//! reasons to drop or to assert it.

use kensa_model::{Configuration, CpeMatch, Operator};
use kensa_version::{CpeBounds, compare_generic, compare_to_bound, cpe_version_with_update};
use serde::Serialize;
use std::cmp::Ordering;

/// The product being checked, in CPE terms.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub vendor: &'a str,
    pub product: &'a str,
    /// Upstream version, with an NVD-style update glued on (`5.3p1`).
    pub version: &'a str,
}

/// Why a configuration applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applicability {
    /// Index of the configuration in the record.
    pub configuration: usize,
    /// The vulnerable criterion that covers the target.
    pub criterion: CpeMatch,
    /// The criterion and its version constraint in words.
    pub explanation: String,
    /// For AND configurations: what else must hold, one line per other node.
    pub platform_conditions: Vec<String>,
}

/// Every configuration of `configs` that applies to `target`, each with the
/// first criterion that covers it.
pub fn evaluate(configs: &[Configuration], target: &Target<'_>) -> Vec<Applicability> {
    configs
        .iter()
        .enumerate()
        .filter_map(|(i, c)| evaluate_one(i, c, target))
        .collect()
}

fn evaluate_one(
    index: usize,
    config: &Configuration,
    target: &Target<'_>,
) -> Option<Applicability> {
    if config.negate {
        return None;
    }
    let (node_index, criterion) = config.nodes.iter().enumerate().find_map(|(n, node)| {
        if node.negate {
            return None;
        }
        node.cpe_match
            .iter()
            .find(|m| covers(m, target))
            .map(|m| (n, m))
    })?;
    let platform_conditions = if config.operator() == Operator::And {
        config
            .nodes
            .iter()
            .enumerate()
            .filter(|(n, _)| *n != node_index)
            .map(|(_, node)| describe_node(node))
            .collect()
    } else {
        Vec::new()
    };
    Some(Applicability {
        configuration: index,
        explanation: explain(criterion),
        criterion: criterion.clone(),
        platform_conditions,
    })
}

/// Does this criterion name the target and cover its version?
pub fn covers(m: &CpeMatch, target: &Target<'_>) -> bool {
    if !m.vulnerable {
        return false;
    }
    let Some(f) = kensa_model::cpe::fields(&m.criteria) else {
        return false;
    };
    if !same(f[1], target.vendor) || !same(f[2], target.product) {
        return false;
    }
    version_covered(
        &bounds_of(m),
        &unescape(f[3]),
        &unescape(f[4]),
        target.version,
    )
}

/// Can a criterion with this version constraint cover `version`? What a
/// record's stored screen is asked before the record is read: the same
/// rule as [`covers`], without the names, which the lookup already chose.
pub fn screen_covers(c: &kensa_store::ScreenCriterion<'_>, version: &str) -> bool {
    let bounds = CpeBounds {
        start_including: c.start_including,
        start_excluding: c.start_excluding,
        end_including: c.end_including,
        end_excluding: c.end_excluding,
    };
    version_covered(&bounds, &unescape(c.version), &unescape(c.update), version)
}

fn bounds_of(m: &CpeMatch) -> CpeBounds<'_> {
    CpeBounds {
        start_including: m.version_start_including.as_deref(),
        start_excluding: m.version_start_excluding.as_deref(),
        end_including: m.version_end_including.as_deref(),
        end_excluding: m.version_end_excluding.as_deref(),
    }
}

/// The version rules of NVD criteria: `*` with bounds is a range (an update
/// on the criterion extends its end bound), `*` alone is every version, `-`
/// is none, a concrete version is an exact match (with its update appended,
/// or any update when the update is `*`).
fn version_covered(bounds: &CpeBounds<'_>, cpe_version: &str, update: &str, version: &str) -> bool {
    match cpe_version {
        "-" => false,
        "*" | "" => bounds.is_empty() || bounds.contains(version, update) == Some(true),
        exact => match update {
            // Any update of that version: 5.3 covers 5.3 and 5.3p1.
            "*" | "" => compare_to_bound(version, exact) == Some(Ordering::Equal),
            _ => {
                compare_generic(version, &cpe_version_with_update(exact, update))
                    == Some(Ordering::Equal)
            }
        },
    }
}

/// The target's names come from the CPE index, escaped as the criteria
/// write them (`joomla\!`); compare both unescaped.
fn same(cpe_value: &str, wanted: &str) -> bool {
    if cpe_value.contains('\\') || wanted.contains('\\') {
        unescape(cpe_value).eq_ignore_ascii_case(&unescape(wanted))
    } else {
        cpe_value.eq_ignore_ascii_case(wanted)
    }
}

/// CPE 2.3 formatted strings escape punctuation with a backslash (`1\.0`).
fn unescape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\\') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `cpe:2.3:a:openssl:openssl:*:… versions >= 1.0.1, < 1.0.1g`
pub fn explain(m: &CpeMatch) -> String {
    let bounds = m.bounds_text();
    if bounds.is_empty() {
        m.criteria.clone()
    } else {
        format!("{} versions {bounds}", m.criteria)
    }
}

fn describe_node(node: &kensa_model::Node) -> String {
    let names: Vec<String> = node.cpe_match.iter().map(explain).collect();
    let joiner = match node.operator {
        Operator::And => " and ",
        Operator::Or => " or ",
    };
    let not = if node.negate { "not " } else { "" };
    format!("{not}running with {}", names.join(joiner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kensa_model::Node;

    fn crit(criteria: &str) -> CpeMatch {
        CpeMatch {
            vulnerable: true,
            criteria: criteria.into(),
            ..Default::default()
        }
    }

    fn target(version: &str) -> Target<'_> {
        Target {
            vendor: "openssl",
            product: "openssl",
            version,
        }
    }

    #[test]
    fn ranges_exact_versions_and_wildcards() {
        let mut range = crit("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*");
        range.version_start_including = Some("1.0.1".into());
        range.version_end_excluding = Some("1.0.1g".into());
        assert!(covers(&range, &target("1.0.1f")));
        assert!(covers(&range, &target("1.0.1")));
        assert!(!covers(&range, &target("1.0.1g")));
        assert!(!covers(&range, &target("1.0.0z")));

        let exact = crit("cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*");
        assert!(covers(&exact, &target("1.0.1f")));
        assert!(!covers(&exact, &target("1.0.1g")));

        assert!(covers(
            &crit("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"),
            &target("0.9.8")
        ));
        assert!(!covers(
            &crit("cpe:2.3:a:openssl:openssl:-:*:*:*:*:*:*:*"),
            &target("0.9.8")
        ));
        assert!(!covers(
            &crit("cpe:2.3:a:openssl:libssl:1.0.1f:*:*:*:*:*:*:*"),
            &target("1.0.1f")
        ));
        let mut not_vulnerable = exact.clone();
        not_vulnerable.vulnerable = false;
        assert!(!covers(&not_vulnerable, &target("1.0.1f")));
    }

    #[test]
    fn update_field_follows_nvd() {
        let t = Target {
            vendor: "openbsd",
            product: "openssh",
            version: "5.3p1",
        };
        assert!(covers(
            &crit("cpe:2.3:a:openbsd:openssh:5.3:p1:*:*:*:*:*:*"),
            &t
        ));
        assert!(!covers(
            &crit("cpe:2.3:a:openbsd:openssh:5.3:p2:*:*:*:*:*:*"),
            &t
        ));
        assert!(covers(
            &crit("cpe:2.3:a:openbsd:openssh:5.3:*:*:*:*:*:*:*"),
            &t
        ));
        let mut upto = crit("cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*");
        upto.version_end_including = Some("5.3".into());
        assert!(
            covers(&upto, &t),
            "a pN suffix compares by its base against a plain bound"
        );
    }

    #[test]
    fn escaped_names_match_the_index_keys() {
        // The CPE index keys names as the criteria write them, escapes kept.
        let t = Target {
            vendor: "joomla",
            product: "joomla\\!",
            version: "3.4.0",
        };
        assert!(covers(
            &crit("cpe:2.3:a:joomla:joomla\\!:3.4.0:*:*:*:*:*:*:*"),
            &t
        ));
        assert!(!covers(
            &crit("cpe:2.3:a:joomla:joomla:3.4.0:*:*:*:*:*:*:*"),
            &t
        ));
    }

    /// The stored screen asks the same question of a criterion's version
    /// constraint as `covers` does.
    #[test]
    fn screens_agree_with_criteria() {
        let versions = [
            "1.0.1f", "1.0.1g", "1.0.1", "5.3p1", "5.3", "0.9.8", "2.0rc1",
        ];
        let constraints: [(&str, &str, [Option<&str>; 4]); 6] = [
            ("*", "*", [Some("1.0.1"), None, None, Some("1.0.1g")]),
            ("*", "*", [None, Some("1.0"), Some("5.3"), None]),
            ("1.0.1f", "*", [None; 4]),
            ("5.3", "p1", [None; 4]),
            ("*", "p2", [None, None, Some("5.3"), None]),
            ("-", "*", [None; 4]),
        ];
        for (version_field, update, [si, se, ei, ee]) in constraints {
            let mut m = crit(&format!(
                "cpe:2.3:a:openssl:openssl:{version_field}:{update}:*:*:*:*:*:*"
            ));
            m.version_start_including = si.map(String::from);
            m.version_start_excluding = se.map(String::from);
            m.version_end_including = ei.map(String::from);
            m.version_end_excluding = ee.map(String::from);
            let screen = kensa_store::ScreenCriterion {
                version: version_field,
                update,
                start_including: si,
                start_excluding: se,
                end_including: ei,
                end_excluding: ee,
            };
            for v in versions {
                assert_eq!(
                    screen_covers(&screen, v),
                    covers(&m, &target(v)),
                    "{} at {v}",
                    m.criteria
                );
            }
        }
    }

    #[test]
    fn and_configuration_keeps_the_platform_as_a_condition() {
        let config = Configuration {
            operator: Some(Operator::And),
            negate: false,
            nodes: vec![
                Node {
                    operator: Operator::Or,
                    negate: false,
                    cpe_match: vec![crit("cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*")],
                },
                Node {
                    operator: Operator::Or,
                    negate: false,
                    cpe_match: vec![CpeMatch {
                        vulnerable: false,
                        criteria: "cpe:2.3:o:siemens:simatic_s7-1500_firmware:1.5:*:*:*:*:*:*:*"
                            .into(),
                        ..Default::default()
                    }],
                },
            ],
        };
        let found = evaluate(&[config], &target("1.0.1f"));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].platform_conditions,
            ["running with cpe:2.3:o:siemens:simatic_s7-1500_firmware:1.5:*:*:*:*:*:*:*"]
        );
        assert!(
            evaluate(
                &found
                    .iter()
                    .map(|_| Configuration::default())
                    .collect::<Vec<_>>(),
                &target("1.0.1f")
            )
            .is_empty()
        );
    }
}
