//! Structured applicability: NVD configurations, CVE 5 `affected`, CSAF
//! product status.
//!
//! An NVD AND configuration pairs the vulnerable software with what it must
//! run on (a non-vulnerable node): that is a platform condition. A device's
//! firmware paired with the same vendor's hardware is the product's identity,
//! not a condition, and is skipped. Versions are detection's business: one
//! version fact at most, pointing at the affected ranges.

use kensa_model::cpe::fields;
use kensa_model::{Configuration, CpeMatch, SourceKind, VulnRecord};

use super::{Facts, StructuredPlatform, phrase};
use crate::conditions::ConditionSource;

/// Reads platforms and the version fact into `facts`; returns the affected
/// component's name ("vendor product") when one is known.
pub(crate) fn read(records: &[VulnRecord], facts: &mut Facts) -> Option<String> {
    let ordered = by_preference(records);
    for r in &ordered {
        for config in &r.configurations {
            and_platforms(config, &mut facts.platforms);
        }
        for a in &r.affected {
            for p in &a.platforms {
                push_platform(
                    &mut facts.platforms,
                    StructuredPlatform {
                        name: p.clone(),
                        tokens: tokens(p),
                        source: ConditionSource::Affected,
                        evidence: format!("CVE 5 affected platforms: {p}"),
                    },
                );
            }
        }
    }
    let (fact, component) = ordered
        .iter()
        .find_map(|r| version_from_configurations(r))
        .or_else(|| ordered.iter().find_map(|r| version_from_affected(r)))
        .or_else(|| ordered.iter().find_map(|r| version_from_csaf(r)))?;
    facts.version = Some(fact);
    Some(component)
}

/// NVD first, then the CNA, then the rest: the order in which sources are
/// trusted for applicability.
fn by_preference(records: &[VulnRecord]) -> Vec<&VulnRecord> {
    let mut v: Vec<&VulnRecord> = records.iter().collect();
    v.sort_by_key(|r| match r.source.kind {
        SourceKind::Nvd => 0,
        SourceKind::NvdOverride => 1,
        SourceKind::Cve5Cna => 2,
        SourceKind::Cve5Adp => 3,
        SourceKind::Csaf => 4,
        SourceKind::Osv => 5,
    });
    v
}

fn and_platforms(config: &Configuration, out: &mut Vec<StructuredPlatform>) {
    if config.negate || config.operator() != kensa_model::Operator::And {
        return;
    }
    let vulnerable: Vec<&CpeMatch> = config
        .nodes
        .iter()
        .flat_map(|n| n.cpe_match.iter())
        .filter(|m| m.vulnerable)
        .collect();
    let vulnerable_vendors: Vec<&str> = vulnerable
        .iter()
        .filter_map(|m| fields(&m.criteria).map(|f| f[1]))
        .collect();
    for node in &config.nodes {
        if node.negate || node.cpe_match.iter().any(|m| m.vulnerable) {
            continue;
        }
        for m in &node.cpe_match {
            let Some(f) = fields(&m.criteria) else {
                continue;
            };
            // Firmware on its own vendor's hardware: the device itself.
            if f[0] == "h" && vulnerable_vendors.contains(&f[1]) {
                continue;
            }
            push_platform(
                out,
                StructuredPlatform {
                    name: human_name(&f),
                    tokens: [tokens(&unescape(f[1])), tokens(&unescape(f[2]))].concat(),
                    source: ConditionSource::Cpe,
                    evidence: format!("NVD AND configuration, platform {}", m.criteria),
                },
            );
        }
    }
}

fn push_platform(out: &mut Vec<StructuredPlatform>, p: StructuredPlatform) {
    if !out.iter().any(|o| o.name.eq_ignore_ascii_case(&p.name)) {
        out.push(p);
    }
}

/// `microsoft windows_xp sp2` for `cpe:2.3:o:microsoft:windows_xp:-:sp2:…`.
fn human_name(f: &[&str; 11]) -> String {
    let mut name = vendor_product(f[1], f[2]);
    for v in [f[3], f[4]] {
        if v != "*" && v != "-" && !v.is_empty() {
            name.push(' ');
            name.push_str(&unescape(v));
        }
    }
    name.replace('_', " ")
}

/// "wireshark" for `wireshark:wireshark`, else "vendor product".
fn vendor_product(vendor: &str, product: &str) -> String {
    let (v, p) = (unescape(vendor), unescape(product));
    // "linux linux_kernel" reads as "linux kernel".
    let name = if p.starts_with(&v) {
        p
    } else {
        format!("{v} {p}")
    };
    name.replace('_', " ")
}

fn unescape(s: &str) -> String {
    s.replace('\\', "")
}

/// Identifying words of a name, lowercase, at least three characters.
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| t.len() >= 3)
        .map(str::to_ascii_lowercase)
        .filter(|t| !GENERIC.contains(&t.as_str()))
        .collect()
}

/// Words too common to tie a structured platform to a description phrase.
const GENERIC: &[&str] = &[
    "the",
    "and",
    "for",
    "inc",
    "corp",
    "software",
    "system",
    "systems",
    "server",
    "firmware",
    "device",
    "devices",
    "edition",
    "enterprise",
    "version",
    "project",
];

fn version_from_configurations(r: &VulnRecord) -> Option<(super::Fact, String)> {
    let vulnerable: Vec<&CpeMatch> = r
        .configurations
        .iter()
        .filter(|c| !c.negate)
        .flat_map(|c| c.nodes.iter())
        .flat_map(|n| n.cpe_match.iter())
        .filter(|m| m.vulnerable)
        .collect();
    let first = vulnerable.first()?;
    let f = fields(&first.criteria)?;
    let product = vendor_product(f[1], f[2]);
    let same: Vec<&&CpeMatch> = vulnerable
        .iter()
        .filter(|m| fields(&m.criteria).is_some_and(|g| g[1] == f[1] && g[2] == f[2]))
        .collect();
    let describe = |m: &CpeMatch| {
        let bounds = m.bounds_text();
        if !bounds.is_empty() {
            bounds
        } else {
            fields(&m.criteria)
                .map(|g| unescape(g[3]))
                .filter(|v| v != "*" && v != "-")
                .map(|v| format!("= {v}"))
                .unwrap_or_default()
        }
    };
    let mut ranges = describe(first);
    if same.len() > 1 {
        ranges.push_str(&format!(" and {} more", same.len() - 1));
    }
    let evidence = format!(
        "NVD configurations: {} vulnerable criteria, first {}",
        vulnerable.len(),
        first.criteria
    );
    let fact = phrase::version(&product, &ranges, ConditionSource::Cpe, &evidence);
    Some((fact, product))
}

fn version_from_affected(r: &VulnRecord) -> Option<(super::Fact, String)> {
    let a = r.affected.iter().find(|a| {
        a.product.is_some()
            && (a.versions.iter().any(|v| v.status == "affected")
                || a.default_status.as_deref() == Some("affected"))
    })?;
    let product = match (&a.vendor, &a.product) {
        (Some(v), Some(p)) if !v.eq_ignore_ascii_case("n/a") => format!("{v} {p}"),
        (_, Some(p)) => p.clone(),
        _ => return None,
    };
    let affected: Vec<String> = a
        .versions
        .iter()
        .filter(|v| v.status == "affected")
        .map(|v| match (&v.less_than, &v.less_than_or_equal) {
            (Some(lt), _) => format!(">= {}, < {lt}", v.version),
            (_, Some(le)) => format!(">= {}, <= {le}", v.version),
            _ => format!("= {}", v.version),
        })
        .collect();
    let mut ranges = affected.first().cloned().unwrap_or_default();
    if affected.len() > 1 {
        ranges.push_str(&format!(" and {} more", affected.len() - 1));
    }
    let evidence = format!(
        "CVE 5 affected: {product}, {} version entries",
        a.versions.len()
    );
    let fact = phrase::version(&product, &ranges, ConditionSource::Affected, &evidence);
    Some((fact, product))
}

fn version_from_csaf(r: &VulnRecord) -> Option<(super::Fact, String)> {
    let csaf = r.csaf.as_ref()?;
    let known = csaf.product_status.get("known_affected")?;
    if known.is_empty() {
        return None;
    }
    let product = format!("product of advisory {}", r.source.name);
    let ranges = format!("{} products known_affected", known.len());
    let evidence = format!(
        "CSAF {} product_status.known_affected: {}",
        r.source.name,
        known.join(", ")
    );
    let fact = phrase::version(&product, &ranges, ConditionSource::Advisory, &evidence);
    Some((fact, product))
}
