//! The products a language model may choose among when it proposes what
//! an unresolved component is (`kensa alias propose`): wider than the
//! three [`crate::nearest`] suggestions shown to people, and drawn from the
//! database only, so that whatever the model picks is a product the
//! database holds.

use kensa_store::{CpeProduct, Store, StoreError};

use crate::nearest::Nearest;
use crate::resolve::{DISTRIBUTORS, Purl, normalize};

/// What the shortlist is drawn from.
#[derive(Debug, Clone, Default)]
pub struct ShortlistQuery<'a> {
    pub name: &'a str,
    pub purl: Option<&'a str>,
    pub supplier: Option<&'a str>,
    /// CycloneDX `group` (Maven groupId, npm scope).
    pub group: Option<&'a str>,
}

/// Candidates sent to the model at most, unless told otherwise.
pub const DEFAULT_SHORTLIST: usize = 15;
/// Products read per word or vendor.
const PER_SOURCE: usize = 20;
/// Products of a named vendor kept when none shares a word with the name.
const VENDOR_TOP: usize = 5;

/// Words too common in package names to say which product is meant.
const GENERIC: [&str; 28] = [
    "lib", "libs", "server", "client", "common", "core", "utils", "util", "tools", "tool", "dev",
    "devel", "data", "bin", "base", "plugin", "plugins", "module", "modules", "api", "python",
    "perl", "java", "node", "the", "doc", "docs", "firmware",
];

/// Namespace segments that name no vendor (`org.apache…`, `github.com/…`).
const NOT_VENDORS: [&str; 8] = ["org", "com", "net", "io", "github", "gitlab", "www", "de"];

/// Up to `limit` products of the database the component may be, each
/// with why it is listed: first the nearest names (as people are shown
/// them), then products sharing a distinctive word of the name, then
/// products of a vendor the supplier, purl namespace or group names.
pub fn shortlist(
    store: &Store,
    q: &ShortlistQuery<'_>,
    limit: usize,
) -> Result<Vec<Nearest>, StoreError> {
    let mut out = crate::nearest::ranked(store, q.name, q.purl, limit)?;
    let purl = q.purl.and_then(Purl::parse);
    let mut names = vec![normalize(q.name)];
    if let Some(p) = &purl {
        names.push(normalize(&p.name));
    }
    let words = distinctive_words(&names);
    let mut more: Vec<Nearest> = Vec::new();
    for w in &words {
        for p in store.products_named(w)? {
            let reason = format!("a product named `{w}`, a word of the component's name");
            push(&mut more, p, reason);
        }
        for (product_name, p) in store.products_starting(w, PER_SOURCE)? {
            if product_name.split('_').any(|part| part == w) && product_name != *w {
                let reason = format!("its name shares the word `{w}` with the component's");
                push(&mut more, p, reason);
            }
        }
    }
    for (key, said) in vendor_keys(q, purl.as_ref()) {
        let mut products = store.products_of_vendor(&key)?;
        products.sort_by_key(|p| std::cmp::Reverse(p.records));
        let sharing: Vec<CpeProduct> = products
            .iter()
            .filter(|p| {
                normalize(&p.product)
                    .split('_')
                    .any(|part| words.iter().any(|w| w == part))
            })
            .cloned()
            .collect();
        let kept = if sharing.is_empty() {
            products.into_iter().take(VENDOR_TOP).collect()
        } else {
            sharing
        };
        for p in kept.into_iter().take(PER_SOURCE) {
            let reason = format!("a product of vendor `{}`, whom {said}", p.vendor);
            push(&mut more, p, reason);
        }
    }
    more.sort_by_key(|n| std::cmp::Reverse(n.records));
    for n in more {
        if out.len() >= limit {
            break;
        }
        if !out
            .iter()
            .any(|o| o.vendor == n.vendor && o.product == n.product)
        {
            out.push(n);
        }
    }
    Ok(out)
}

/// The words of the names worth a search: three letters or more, not a
/// version, not a word every second package has.
fn distinctive_words(names: &[String]) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for n in names {
        for w in n.split('_') {
            let w = w.strip_prefix("lib").filter(|r| r.len() >= 3).unwrap_or(w);
            if w.len() >= 3
                && !w.chars().all(|c| c.is_ascii_digit())
                && !GENERIC.contains(&w)
                && !words.iter().any(|x| x == w)
            {
                words.push(w.to_string());
            }
        }
    }
    words
}

/// Vendor keys (normalised, no separators) the facts name, with where.
fn vendor_keys(q: &ShortlistQuery<'_>, purl: Option<&Purl>) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = Vec::new();
    let mut add = |key: String, said: String| {
        if key.len() >= 2 && !keys.iter().any(|(k, _)| *k == key) {
            keys.push((key, said));
        }
    };
    if let Some(s) = q.supplier {
        let n = normalize(s);
        add(n.replace('_', ""), "the supplier names".into());
        // "Siemens AG" is the vendor `siemens`.
        if let Some(first) = n.split('_').next() {
            add(first.to_string(), "the supplier names".into());
        }
    }
    let namespaces = [
        (
            purl.and_then(|p| p.namespace.clone()),
            "the purl's namespace names",
        ),
        (q.group.map(str::to_string), "the component's group names"),
    ];
    for (ns, said) in namespaces {
        for seg in ns
            .iter()
            .flat_map(|n| n.split(['.', '/', '@']).map(normalize).collect::<Vec<_>>())
        {
            if !NOT_VENDORS.contains(&seg.as_str()) {
                add(seg.replace('_', ""), said.into());
            }
        }
    }
    keys
}

fn push(out: &mut Vec<Nearest>, p: CpeProduct, reason: String) {
    // A distributor's entry describes its package, not the project.
    if DISTRIBUTORS.contains(&normalize(&p.vendor).as_str()) {
        return;
    }
    if out
        .iter()
        .any(|o| o.vendor == p.vendor && o.product == p.product)
    {
        return;
    }
    out.push(Nearest {
        vendor: p.vendor,
        product: p.product,
        records: p.records,
        reason,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_vendor_keys() {
        assert_eq!(
            distinctive_words(&["libfoo_server_2".into(), "foo_tools".into()]),
            vec!["foo".to_string()]
        );
        let purl = Purl::parse("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1").unwrap();
        let keys: Vec<String> = vendor_keys(
            &ShortlistQuery {
                name: "log4j-core",
                supplier: Some("Siemens AG"),
                ..Default::default()
            },
            Some(&purl),
        )
        .into_iter()
        .map(|(k, _)| k)
        .collect();
        assert_eq!(keys, ["siemensag", "siemens", "apache", "logging", "log4j"]);
    }
}
