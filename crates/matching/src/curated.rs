//! Candidates someone stated: the team's confirmed aliases (`kensa alias
//! add`) and the curated public name mappings imported as feeds (the
//! `CVE_PRODUCT` of OpenEmbedded recipes, Buildroot's `CPE_ID`s). Both
//! name the product outright, so the evidence cites who said it.

use kensa_model::Component;
use kensa_store::NameMappingRow;
use kensa_store::team::AliasRow;

use crate::resolve::{ALIAS_SHARE, Candidate, DISTRIBUTORS, Entry, Method, Names, Purl, normalize};

/// How sure a person's confirmation is.
pub const CONFIRMED_CONFIDENCE: f64 = 0.97;
/// How sure a curated mapping of the component's own name is.
pub const MAPPING_CONFIDENCE: f64 = 0.92;
/// A mapping reached through the package's source or recipe name
/// (`libssl1.1` → `openssl`, `openssh-sshd` → `openssh`).
pub const DERIVED_MAPPING_CONFIDENCE: f64 = 0.85;

/// What the stated candidates say about the component.
pub struct Stated {
    pub candidates: Vec<Candidate>,
    /// The component's own name is mapped or confirmed: generic packaging
    /// guesses are not needed (and could only add look-alikes).
    pub exact: bool,
}

/// The team's aliases for the component's name (or its purl's), limited
/// to its purl type when the alias names one.
pub fn confirmed(names: &impl Names, c: &Component) -> Vec<Candidate> {
    let purl = c.purl.as_deref().and_then(Purl::parse);
    let mut keys = vec![normalize(&c.name)];
    if let Some(p) = &purl {
        keys.push(normalize(&p.name));
    }
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        for a in names.aliases(&key).iter() {
            if a.purl_type.as_deref().is_some_and(|t| {
                purl.as_ref()
                    .is_none_or(|p| !p.kind.eq_ignore_ascii_case(t))
            }) {
                continue;
            }
            out.push(Candidate {
                vendor: a.vendor.clone(),
                product: a.product.clone(),
                method: Method::Confirmed,
                confidence: CONFIRMED_CONFIDENCE,
                evidence: confirmation_evidence(c, a),
            });
        }
    }
    out
}

fn confirmation_evidence(c: &Component, a: &AliasRow) -> String {
    let mut s = format!(
        "the team confirmed that `{}` is {}:{} (alias {}, by {} on {}",
        c.name,
        a.vendor,
        a.product,
        a.id,
        a.created_by,
        a.created_at.get(..10).unwrap_or(&a.created_at)
    );
    if let Some(t) = &a.purl_type {
        s.push_str(&format!(", for {t} packages"));
    }
    if let Some(n) = a.note.as_deref().filter(|n| !n.is_empty()) {
        s.push_str(&format!(": {n}"));
    }
    s.push(')');
    s
}

/// The curated mappings of the component: of its own name and purl name
/// first; else of the names its packaging derives (`derived`: the source
/// package of a distribution package, the recipe of a split package).
pub fn mapped(names: &impl Names, c: &Component, derived: &[(String, String)]) -> Stated {
    let mut own = vec![(normalize(&c.name), format!("package `{}`", c.name))];
    if let Some(p) = c.purl.as_deref().and_then(Purl::parse) {
        let n = normalize(&p.name);
        if n != own[0].0 {
            own.push((n, format!("purl name `{}`", p.name)));
        }
    }
    let mut out = Vec::new();
    for (key, how) in &own {
        out.extend(from_mappings(names, key, how, MAPPING_CONFIDENCE));
    }
    let exact = !out.is_empty();
    if !exact {
        for (key, how) in derived {
            out.extend(from_mappings(names, key, how, DERIVED_MAPPING_CONFIDENCE));
        }
    }
    Stated {
        candidates: out,
        exact,
    }
}

fn from_mappings(names: &impl Names, key: &str, how: &str, confidence: f64) -> Vec<Candidate> {
    let mut out = Vec::new();
    for m in names.mappings(key).iter() {
        for e in targets(names, m) {
            out.push(Candidate {
                evidence: mapping_evidence(how, m, &e),
                vendor: e.vendor,
                product: e.product,
                method: Method::Mapping,
                confidence,
            });
        }
    }
    out
}

fn mapping_evidence(how: &str, m: &NameMappingRow, e: &Entry) -> String {
    let stated = match &m.vendor {
        Some(v) => format!("{v}:{}", m.product),
        None => m.product.clone(),
    };
    format!(
        "{how}: the {} name `{}` is `{stated}` ({}; name-mapping feed `{}`, {}) → {}:{}",
        m.title, m.package, m.origin, m.source, m.licence, e.vendor, e.product
    )
}

/// The dictionary's vendor/product pairs a mapping names: the pair itself
/// when it names a vendor, else the product's main vendor and its other
/// spellings (as name resolution keeps them; never a distributor's).
fn targets(names: &impl Names, m: &NameMappingRow) -> Vec<Entry> {
    let Some(entries) = names.entries(&normalize(&m.product)) else {
        return Vec::new();
    };
    match &m.vendor {
        Some(v) => entries
            .iter()
            .filter(|e| e.vendor.eq_ignore_ascii_case(v))
            .cloned()
            .collect(),
        None => {
            let main = entries[0].records.max(1) as f64;
            entries
                .iter()
                .enumerate()
                .filter(|(i, e)| {
                    *i == 0
                        || (e.records as f64 / main >= ALIAS_SHARE
                            && !DISTRIBUTORS.contains(&normalize(&e.vendor).as_str()))
                })
                .map(|(_, e)| e.clone())
                .collect()
        }
    }
}
