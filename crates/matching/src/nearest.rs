//! Suggestions for a component no product resolved: the dictionary's
//! products nearest its name, each with why, so that a person can confirm
//! one (`kensa alias add NAME VENDOR:PRODUCT`). Suggestions are never
//! findings; they rank what the person reads first.

use kensa_store::{CpeProduct, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::resolve::{DISTRIBUTORS, Purl, normalize};

/// One product a person may confirm the component is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nearest {
    pub vendor: String,
    pub product: String,
    /// Records in the database that name the product.
    pub records: u64,
    /// Why it is suggested, in words.
    pub reason: String,
}

/// Suggestions shown per component.
const SHOWN: usize = 3;
/// Products read per prefix: the most-named first.
const LOOKED_AT: usize = 400;
/// Below this share of agreeing letters a spelling is not worth showing.
const LEAST_SPELLING: f64 = 0.6;

/// The products nearest a component's name (and its purl's name), best
/// first: a product of exactly that name whose vendor nothing vouched for,
/// a product named like the start of the name (`foo-bar-utils` →
/// `foo_bar`), or one spelt alike (`lightttpd` → `lighttpd`).
pub fn nearest(store: &Store, name: &str, purl: Option<&str>) -> Result<Vec<Nearest>, StoreError> {
    ranked(store, name, purl, SHOWN)
}

/// The `most` products nearest the name, best first (see [`nearest`]).
pub(crate) fn ranked(
    store: &Store,
    name: &str,
    purl: Option<&str>,
    most: usize,
) -> Result<Vec<Nearest>, StoreError> {
    let mut names = vec![(normalize(name), name.to_string())];
    if let Some(p) = purl.and_then(Purl::parse) {
        let n = normalize(&p.name);
        if n != names[0].0 {
            names.push((n, p.name));
        }
    }
    let mut scored: Vec<(f64, Nearest)> = Vec::new();
    for (n, shown) in &names {
        for p in store.products_named(n)? {
            let reason = format!(
                "a product of this very name, by vendor `{}`; not taken without a confirmation (nothing in the SBOM vouches for this vendor)",
                p.vendor
            );
            add(&mut scored, 0.95, p, reason);
        }
        let words: Vec<&str> = n.split('_').filter(|w| !w.is_empty()).collect();
        for k in (1..words.len()).rev() {
            let head = words[..k].join("_");
            if head.len() < 3 {
                continue;
            }
            for p in store.products_named(&head)? {
                let reason = format!(
                    "the product `{}` begins the name `{shown}`: a part, a plug-in or a build of it?",
                    p.product
                );
                add(
                    &mut scored,
                    0.6 + 0.3 * head.len() as f64 / n.len() as f64,
                    p,
                    reason,
                );
            }
        }
        let stem = n.strip_prefix("lib").filter(|r| r.len() >= 3).unwrap_or(n);
        let prefix: String = stem.chars().take(4).collect();
        if prefix.len() < 3 {
            continue;
        }
        for (product_name, p) in store.products_starting(&prefix, LOOKED_AT)? {
            if product_name == *n {
                continue;
            }
            let alike = crate::fuzzy::spelling(stem, &product_name)
                .max(crate::fuzzy::spelling(n, &product_name));
            if alike < LEAST_SPELLING {
                continue;
            }
            let reason = format!(
                "spelt like `{shown}` ({:.0} % of the letters agree)",
                alike * 100.0
            );
            add(&mut scored, 0.9 * alike, p, reason);
        }
    }
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.records.cmp(&a.1.records))
            .then_with(|| a.1.product.cmp(&b.1.product))
    });
    let mut out: Vec<Nearest> = Vec::new();
    for (_, n) in scored {
        if !out
            .iter()
            .any(|o| o.vendor == n.vendor && o.product == n.product)
        {
            out.push(n);
        }
        if out.len() == most {
            break;
        }
    }
    Ok(out)
}

fn add(scored: &mut Vec<(f64, Nearest)>, score: f64, p: CpeProduct, reason: String) {
    // A distributor's entry describes its package, not the project.
    if DISTRIBUTORS.contains(&normalize(&p.vendor).as_str()) {
        return;
    }
    scored.push((
        score,
        Nearest {
            vendor: p.vendor,
            product: p.product,
            records: p.records,
            reason,
        },
    ));
}
