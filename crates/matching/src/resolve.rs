//! Name resolution: which CPE vendor/product pairs a component may be.
//!
//! SBOM components rarely carry CPEs, and their names follow package
//! managers, not NVD. Resolution works against the dictionary of every
//! vendor/product pair in the imported data, in three steps:
//!
//! 1. **Keys**: the component's own CPEs are taken as they are; otherwise
//!    its name (and purl) yields product keys: the name normalised, then
//!    variants that packaging adds or removes (`mysql-server` → `mysql`,
//!    `struts2-core` → `struts`, `curl` ↔ `libcurl`, `node` → `node.js`,
//!    `MicroLogix 1400` → `micrologix_1400_firmware`). Only these generic
//!    packaging suffixes are ever dropped, so look-alikes such as
//!    `requests-toolbelt` or `jquery-migrate` never become `requests` or
//!    `jquery`. Distribution packages (purl type `deb`, `rpm`, `apk`, or a
//!    library name with a soname glued on) add their upstream names:
//!    packaging suffixes and the soname version dropped, then a small table
//!    of source package names (`libssl1.0.0` → `openssl`, `zlib1g` →
//!    `zlib`), and split packages their known prefix (`busybox-syslogd` →
//!    `busybox`).
//! 2. **Vendors**: for each product key, the vendors the dictionary has.
//!    NVD spells some vendors several ways (haxx/curl/daniel_stenberg for
//!    curl): vendors with a real share of the product's records are aliases
//!    and kept; a vendor that matches the supplier, the purl namespace or the
//!    product itself is kept; distributors that repackage software (redhat,
//!    debian, …) are dropped unless they are the product's main vendor.
//! 3. **Confidence**: in [0, 1], from how the key was found, with the
//!    evidence in words.

use std::collections::HashMap;
use std::sync::Arc;

use kensa_model::Component;
use kensa_store::NameMappingRow;
use kensa_store::team::AliasRow;
use serde::Serialize;

use crate::packaging::{
    derived, is_device, is_distro_package, language_ecosystem, python_binding, variants,
};
pub(crate) use crate::packaging::{derived_names, source_package_names};
pub use crate::purl::Purl;

/// A CPE vendor/product pair with the number of records naming it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub vendor: String,
    pub product: String,
    pub records: u64,
}

impl From<kensa_store::CpeProduct> for Entry {
    fn from(p: kensa_store::CpeProduct) -> Entry {
        Entry {
            vendor: p.vendor,
            product: p.product,
            records: p.records,
        }
    }
}

/// How a candidate was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The SBOM gives the CPE.
    Cpe,
    /// From the purl's namespace and name.
    Purl,
    /// The component name, normalised, equals the product.
    Name,
    /// A packaging variant of the name equals the product.
    Alias,
    /// Nothing matched exactly; the name is spelt like a product of a vendor
    /// that agrees with the supplier (see [`crate::fuzzy`]).
    Fuzzy,
    /// A CSAF advisory names the product and covers the version.
    Advisory,
    /// A curated public name mapping (an imported feed) names the product.
    Mapping,
    /// The team confirmed the component is the product (`kensa alias`).
    Confirmed,
}

/// One vendor/product the component may be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub vendor: String,
    pub product: String,
    pub method: Method,
    pub confidence: f64,
    pub evidence: String,
}

/// Vendors that redistribute other projects' software under their own CPE
/// vendor name. Their entries describe their packages (with their own
/// version numbering), not the upstream product.
pub(crate) const DISTRIBUTORS: &[&str] = &[
    "redhat",
    "debian",
    "canonical",
    "ubuntu",
    "suse",
    "novell",
    "opensuse",
    "fedoraproject",
    "centos",
    "gentoo",
    "mandriva",
    "mandrakesoft",
    "slackware",
    "turbolinux",
    "sgi",
    "hp",
    "hpe",
    "ibm",
    "apple",
    "oracle_linux",
    "freebsd_ports",
    "netbsd",
    "openbsd_ports",
    "conectiva",
    "trustix",
    "engardelinux",
    "avaya",
    "vmware",
    "f5",
    "cisco",
    "juniper",
    "sun",
];

/// A vendor with at least this share of a product's records (against its
/// main vendor) is taken as another spelling of the same vendor.
pub(crate) const ALIAS_SHARE: f64 = 0.05;

/// Where component names are looked up: the vendor/product pairs whose
/// product normalises to a name, most records first.
pub trait Names {
    fn entries(&self, name: &str) -> Option<Arc<[Entry]>>;
    /// The products of the vendors whose name, normalised without
    /// separators (`rockwellautomation`), is `key`.
    fn of_vendor(&self, key: &str) -> Vec<Entry>;
    /// Curated public mappings of a normalised package name (feeds).
    fn mappings(&self, _name: &str) -> Arc<[NameMappingRow]> {
        Arc::from(Vec::new())
    }
    /// The team's confirmed aliases of a normalised component name.
    fn aliases(&self, _name: &str) -> Arc<[AliasRow]> {
        Arc::from(Vec::new())
    }
    /// The names vendors' advisories give the device (a CSAF product
    /// whose order number the component carries).
    fn catalogue_names(&self, _c: &Component) -> Vec<String> {
        Vec::new()
    }
}

/// The dictionary of known vendor/product pairs, in memory, indexed by
/// normalised product. Scans look names up in the store instead
/// (`Store::products_named`); this serves tests and read-only databases.
pub struct Dictionary {
    by_product: HashMap<String, Arc<[Entry]>>,
    mappings: HashMap<String, Vec<NameMappingRow>>,
    aliases: HashMap<String, Vec<AliasRow>>,
}

impl Names for Dictionary {
    fn entries(&self, name: &str) -> Option<Arc<[Entry]>> {
        self.by_product.get(name).cloned()
    }

    fn of_vendor(&self, key: &str) -> Vec<Entry> {
        self.by_product
            .values()
            .flat_map(|v| v.iter())
            .filter(|e| vendor_key(&e.vendor) == key)
            .cloned()
            .collect()
    }

    fn mappings(&self, name: &str) -> Arc<[NameMappingRow]> {
        Arc::from(self.mappings.get(name).cloned().unwrap_or_default())
    }

    fn aliases(&self, name: &str) -> Arc<[AliasRow]> {
        Arc::from(self.aliases.get(name).cloned().unwrap_or_default())
    }
}

/// A vendor's name as supplier hints are compared: normalised, without
/// separators (`rockwell_automation` → `rockwellautomation`).
pub fn vendor_key(vendor: &str) -> String {
    normalize(vendor).replace('_', "")
}

impl Dictionary {
    pub fn new(entries: impl IntoIterator<Item = Entry>) -> Dictionary {
        let mut by_product: HashMap<String, Vec<Entry>> = HashMap::new();
        for e in entries {
            by_product.entry(normalize(&e.product)).or_default().push(e);
        }
        let by_product = by_product
            .into_iter()
            .map(|(name, mut v)| {
                sort_entries(&mut v);
                (name, Arc::from(v))
            })
            .collect();
        Dictionary {
            by_product,
            mappings: HashMap::new(),
            aliases: HashMap::new(),
        }
    }

    /// With these curated mappings (keyed by their normalised name).
    pub fn with_mappings(mut self, rows: impl IntoIterator<Item = NameMappingRow>) -> Dictionary {
        for m in rows {
            self.mappings
                .entry(normalize(&m.package))
                .or_default()
                .push(m);
        }
        self
    }

    /// With these confirmed aliases.
    pub fn with_aliases(mut self, rows: impl IntoIterator<Item = AliasRow>) -> Dictionary {
        for a in rows {
            self.aliases
                .entry(normalize(&a.component))
                .or_default()
                .push(a);
        }
        self
    }

    /// [`resolve`] against this dictionary.
    pub fn resolve(&self, c: &Component) -> Vec<Candidate> {
        resolve(self, c)
    }
}

/// Most records first, then by vendor: the first entry is the product's
/// main vendor.
pub fn sort_entries(v: &mut [Entry]) {
    v.sort_by(|a, b| {
        b.records
            .cmp(&a.records)
            .then_with(|| a.vendor.cmp(&b.vendor))
    });
}

/// The candidates for a component, best first, one per vendor/product.
pub fn resolve(names: &impl Names, c: &Component) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    for cpe in &c.cpes {
        // A CPE with a wildcard vendor or product (SBOM generators
        // write `cpe:2.3:a:*:openssl:…`) names no product: the name
        // resolves instead, never every vendor of the product.
        if let Some((_, vendor, product)) = kensa_model::cpe::vendor_product(cpe)
            && !matches!(vendor, "*" | "-" | "")
            && !matches!(product, "*" | "-" | "")
        {
            push(
                &mut out,
                Candidate {
                    vendor: vendor.to_string(),
                    product: product.to_string(),
                    method: Method::Cpe,
                    confidence: 0.99,
                    evidence: format!("the SBOM gives the CPE {cpe}"),
                },
            );
        }
    }
    if !out.is_empty() {
        return out;
    }
    let hints = VendorHints::of(c);
    let ecosystem = language_ecosystem(c);
    // A device's supplier or manufacturer is its maker, not an
    // integrator or distributor: a maker that disagrees rules the
    // product out (a Siemens device is not XINJE's like-named PLC).
    let maker_known = is_device(c) && (c.supplier.is_some() || c.manufacturer.is_some());
    // What people and curated sources stated comes first; when they name
    // the component itself, packaging guesses are left out.
    for cand in crate::curated::confirmed(names, c) {
        push(&mut out, cand);
    }
    let known = |p: &str| names.entries(p).is_some();
    let derived = if ecosystem.is_none() {
        derived_names(c, &known)
    } else {
        Vec::new()
    };
    let stated = crate::curated::mapped(names, c, &derived);
    let exact = stated.exact || !out.is_empty();
    for cand in stated.candidates {
        push(&mut out, cand);
    }
    for key in keys(c, &known) {
        if exact && key.method == Method::Alias {
            continue;
        }
        let Some(entries) = names.entries(&key.product) else {
            continue;
        };
        let main = entries[0].records.max(1) as f64;
        for e in entries.iter() {
            let vendor_n = normalize(&e.vendor);
            let hinted = hints.matches(&vendor_n) || vendor_n == key.product;
            let share = e.records as f64 / main;
            let is_main = std::ptr::eq(e, &entries[0]);
            let distributor = DISTRIBUTORS.contains(&vendor_n.as_str());
            // NVD files many projects under `<name>_project`: the project
            // itself, as much as a vendor named like the product.
            let project = vendor_n == format!("{}_project", key.product);
            let language = ecosystem.is_some() || key.language;
            let keep = hinted
                || is_main
                || (share >= ALIAS_SHARE && !distributor)
                || (ecosystem.is_some() && project);
            if !keep || (distributor && !is_main && !hints.matches(&vendor_n)) {
                continue;
            }
            // A package of a language ecosystem (npm `tar`, PyPI
            // `requests`) is not the like-named native product (GNU tar)
            // unless the vendor is vouched for: its advisories come from
            // the ecosystem (OSV) instead.
            // A build system's binding (`python-systemd`) may share its
            // name with the native project it binds: only the project
            // named after itself (`lxml:lxml`) is the binding's.
            let own_project = project && ecosystem.is_some();
            if language && !(hinted || own_project) {
                continue;
            }
            if maker_known && !hints.matches(&vendor_n) {
                continue;
            }
            let (confidence, why) = score(&key, hinted, is_main, share);
            push(
                &mut out,
                Candidate {
                    vendor: e.vendor.clone(),
                    product: e.product.clone(),
                    method: key.method,
                    confidence,
                    evidence: format!(
                        "{}; {why} ({} of {} records name this product)",
                        key.how,
                        e.records,
                        entries.iter().map(|e| e.records).sum::<u64>()
                    ),
                },
            );
        }
    }
    if out.is_empty() && is_device(c) {
        out = family_candidates(names, c, &hints);
    }
    if out.is_empty() {
        out = fuzzy_candidates(names, c, &hints);
    }
    out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    out
}

/// The products of the vendors the supplier, manufacturer or purl
/// namespace names (a hint matches every vendor it starts with:
/// `siemensag` → `siemens`), each with the hint that named it.
fn hinted_products(names: &impl Names, hints: &VendorHints) -> Vec<(Entry, String)> {
    let mut out = Vec::new();
    let mut seen_vendors: Vec<String> = Vec::new();
    for hint in &hints.0 {
        for end in 3..=hint.len() {
            let Some(key) = hint.get(..end) else {
                continue;
            };
            if seen_vendors.iter().any(|k| k == key) {
                continue;
            }
            seen_vendors.push(key.to_string());
            out.extend(names.of_vendor(key).into_iter().map(|e| (e, hint.clone())));
        }
    }
    out
}

/// A device named as its maker's catalogue names it, or by an order
/// number a CSAF product tree lists: the maker's CPE product family whose
/// words begin the name (see [`crate::family`]).
fn family_candidates(names: &impl Names, c: &Component, hints: &VendorHints) -> Vec<Candidate> {
    if hints.0.is_empty() {
        return Vec::new();
    }
    let products: Vec<Entry> = hinted_products(names, hints)
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    let mut wanted = vec![c.name.clone()];
    if let Some(p) = c.purl.as_deref().and_then(Purl::parse) {
        wanted.push(p.name);
    }
    let catalogue = names.catalogue_names(c);
    wanted.extend(catalogue.iter().cloned());
    crate::family::families(&products, &wanted)
        .into_iter()
        .map(|(e, name)| Candidate {
            evidence: if catalogue.contains(&name) {
                format!(
                    "`{}` is `{name}` in the maker's advisories, a device of the family `{}` of vendor `{}` (the family's words begin the device's name; the maker agrees): confirm the model",
                    c.name, e.product, e.vendor
                )
            } else {
                format!(
                    "device `{}` belongs to the family `{}` of vendor `{}` (the family's words begin its name; the maker agrees): confirm the model",
                    c.name, e.product, e.vendor
                )
            },
            vendor: e.vendor,
            product: e.product,
            method: Method::Alias,
            confidence: FAMILY_CONFIDENCE,
        })
        .collect()
}

/// How sure a device's family is: below a packaging variant, above a
/// fuzzy spelling.
const FAMILY_CONFIDENCE: f64 = 0.72;

/// The fenced fuzzy step (see [`crate::fuzzy`]): the products of the
/// vendors the supplier, manufacturer or purl namespace names, spelt like
/// the component's name with the same numbers. At most three, best first.
fn fuzzy_candidates(names: &impl Names, c: &Component, hints: &VendorHints) -> Vec<Candidate> {
    let mut wanted = vec![normalize(&c.name)];
    if let Some(p) = c.purl.as_deref().and_then(Purl::parse) {
        wanted.push(normalize(&p.name));
    }
    let mut scored: Vec<(f64, Entry, String)> = Vec::new();
    for (e, hint) in hinted_products(names, hints) {
        let product = normalize(&e.product);
        // Devices are filed as their firmware: compare the model.
        let model = product.strip_suffix("_firmware").unwrap_or(&product);
        let best = wanted
            .iter()
            .flat_map(|w| [(w, product.as_str()), (w, model)])
            .filter_map(|(w, p)| crate::fuzzy::similarity(w, p))
            .fold(0.0_f64, f64::max);
        if best >= crate::fuzzy::THRESHOLD {
            scored.push((best, e, hint));
        }
    }
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| b.1.records.cmp(&a.1.records))
    });
    scored.dedup_by(|a, b| a.1.vendor == b.1.vendor && a.1.product == b.1.product);
    scored
        .into_iter()
        .take(3)
        .map(|(similarity, e, hint)| Candidate {
            confidence: crate::fuzzy::confidence(similarity),
            evidence: format!(
                "no product is named `{}`; it is spelt like `{}` (similarity {similarity:.2}, same numbers) of vendor `{}`, which matches the supplier ({hint}): a fuzzy match, confirm it",
                c.name, e.product, e.vendor
            ),
            vendor: e.vendor,
            product: e.product,
            method: Method::Fuzzy,
        })
        .collect()
}

fn score(key: &Key, hinted: bool, is_main: bool, share: f64) -> (f64, &'static str) {
    let base = match key.method {
        Method::Cpe => 0.99,
        Method::Purl => 0.95,
        Method::Name => 0.9,
        Method::Alias => 0.8,
        Method::Fuzzy => 0.7,
        Method::Advisory => 0.9,
        Method::Mapping => crate::curated::MAPPING_CONFIDENCE,
        Method::Confirmed => crate::curated::CONFIRMED_CONFIDENCE,
    };
    if hinted {
        (
            (base + 0.05_f64).min(0.98),
            "the vendor matches the supplier, purl or product",
        )
    } else if is_main {
        (base, "the product's main vendor")
    } else if share >= 0.5 {
        (base - 0.05, "another main vendor of this product")
    } else {
        (base - 0.15, "another vendor spelling for this product")
    }
}

fn push(out: &mut Vec<Candidate>, c: Candidate) {
    if let Some(existing) = out
        .iter_mut()
        .find(|o| o.vendor == c.vendor && o.product == c.product)
    {
        if c.confidence > existing.confidence {
            *existing = c;
        }
    } else {
        out.push(c);
    }
}

pub use kensa_model::names::normalize;

/// A product key to look up, and how it was derived.
struct Key {
    product: String,
    method: Method,
    how: String,
    /// A language package's name (a Python binding packaged as
    /// `python3-pyopenssl`): only the project's own CPE vendor counts.
    language: bool,
}

fn keys(c: &Component, known: &dyn Fn(&str) -> bool) -> Vec<Key> {
    let mut keys: Vec<Key> = Vec::new();
    let add = |keys: &mut Vec<Key>, product: String, method: Method, how: String, language| {
        if !product.is_empty() && !keys.iter().any(|k| k.product == product) {
            keys.push(Key {
                product,
                method,
                how,
                language,
            });
        }
    };
    let name = normalize(&c.name);
    add(
        &mut keys,
        name.clone(),
        Method::Name,
        format!("name `{}`", c.name),
        false,
    );
    if let Some(p) = c.purl.as_deref().and_then(Purl::parse) {
        add(
            &mut keys,
            normalize(&p.name),
            Method::Purl,
            format!("purl name `{}`", p.name),
            false,
        );
        if let Some(last) = p
            .namespace
            .as_deref()
            .and_then(|ns| ns.rsplit(['/', '.']).next())
        {
            add(
                &mut keys,
                normalize(last),
                Method::Purl,
                format!("purl namespace `{last}`"),
                false,
            );
        }
    }
    for variant in variants(&name, c, known) {
        add(
            &mut keys,
            variant.clone(),
            Method::Alias,
            format!("`{}` as `{variant}`", c.name),
            false,
        );
    }
    if language_ecosystem(c).is_some() || is_device(c) {
        return keys;
    }
    // Build systems package Python bindings as `python3-<name>`
    // (OpenEmbedded, Debian) or `python-<name>` (Buildroot): the
    // binding's own project, never the language.
    if let Some(binding) = python_binding(&name) {
        add(
            &mut keys,
            binding.to_string(),
            Method::Alias,
            format!("`{}` as the Python package `{binding}`", c.name),
            true,
        );
    }
    let bases = derived(c, known);
    // A maker's own build of a binding (`python-lxml-bbraun`): the
    // binding's project, when the dictionary knows it.
    for (base, _, _) in &bases {
        if let Some(binding) = python_binding(base).filter(|b| known(b)) {
            add(
                &mut keys,
                binding.to_string(),
                Method::Alias,
                format!(
                    "`{}` as the Python package `{binding}` (a build of `{base}`)",
                    c.name
                ),
                true,
            );
        }
    }
    for (variant, how, split_word) in bases {
        if is_distro_package(c) || split_word {
            add(&mut keys, variant, Method::Alias, how, false);
        }
    }
    keys
}

/// Vendor names suggested by the component itself.
struct VendorHints(Vec<String>);

impl VendorHints {
    fn of(c: &Component) -> VendorHints {
        let mut hints: Vec<String> = [&c.supplier, &c.manufacturer, &c.author, &c.group]
            .into_iter()
            .flatten()
            .map(|s| normalize(s).replace('_', ""))
            .filter(|s| s.len() >= 3)
            .collect();
        if let Some(p) = c.purl.as_deref().and_then(Purl::parse)
            && let Some(ns) = p.namespace
        {
            // org.apache.struts → apache; @angular → angular; github.com/x/y → x
            let parts: Vec<&str> = ns.split(['.', '/']).filter(|s| !s.is_empty()).collect();
            let skip = ["org", "com", "net", "io", "github", "gitlab", "www"];
            if let Some(first) = parts.iter().find(|p| !skip.contains(p)) {
                hints.push(normalize(first.trim_start_matches('@')).replace('_', ""));
            }
        }
        VendorHints(hints)
    }

    /// Supplier "Rockwell Automation" matches vendor `rockwellautomation`;
    /// supplier "Rockwell Automation, Inc." too.
    fn matches(&self, vendor: &str) -> bool {
        let v = vendor.replace('_', "");
        v.len() >= 3 && self.0.iter().any(|h| *h == v || h.starts_with(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict() -> Dictionary {
        let e = |v: &str, p: &str, n: u64| Entry {
            vendor: v.into(),
            product: p.into(),
            records: n,
        };
        Dictionary::new([
            e("openssl", "openssl", 247),
            e("redhat", "openssl", 10),
            e("pyopenssl", "pyopenssl", 2),
            e("haxx", "curl", 114),
            e("haxx", "libcurl", 73),
            e("curl", "curl", 8),
            e("sgi", "samba", 3),
            e("sqlite", "sqlite", 40),
            e("python", "python", 300),
            e("samba", "samba", 110),
            e("python", "requests", 6),
            e("jquery", "jquery", 2),
            e("apache", "struts", 60),
            e("oracle", "mysql", 874),
            e("mysql", "mysql", 93),
            e("oracle", "mysql_server", 434),
            e("nodejs", "node.js", 102),
            e("joyent", "node.js", 20),
            e("rockwellautomation", "micrologix_1400_firmware", 5),
            e("rockwellautomation", "micrologix_firmware", 2),
        ])
    }

    fn component(name: &str) -> Component {
        Component {
            bom_ref: "c".into(),
            name: name.into(),
            version: Some("1.0".into()),
            ..Default::default()
        }
    }

    fn pairs(c: &Component) -> Vec<String> {
        let mut v: Vec<String> = dict()
            .resolve(c)
            .into_iter()
            .map(|c| format!("{}:{}", c.vendor, c.product))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn exact_names_keep_aliases_and_drop_distributors() {
        assert_eq!(pairs(&component("openssl")), ["openssl:openssl"]);
        assert_eq!(pairs(&component("samba")), ["samba:samba"]);
        assert_eq!(
            pairs(&component("curl")),
            ["curl:curl", "haxx:curl", "haxx:libcurl"]
        );
    }

    #[test]
    fn packaging_variants_resolve() {
        assert_eq!(
            pairs(&component("mysql-server")),
            ["mysql:mysql", "oracle:mysql", "oracle:mysql_server"]
        );
        assert_eq!(
            pairs(&component("node")),
            ["joyent:node.js", "nodejs:node.js"]
        );
        let mut struts = component("struts2-core");
        struts.purl = Some("pkg:maven/org.apache.struts/struts2-core@2.3.15".into());
        assert_eq!(pairs(&struts), ["apache:struts"]);
    }

    #[test]
    fn look_alikes_resolve_to_nothing() {
        let mut toolbelt = component("requests-toolbelt");
        toolbelt.purl = Some("pkg:pypi/requests-toolbelt@0.6.0".into());
        assert!(pairs(&toolbelt).is_empty());
        let mut migrate = component("jquery-migrate");
        migrate.purl = Some("pkg:npm/jquery-migrate@1.2.1".into());
        assert!(pairs(&migrate).is_empty());
        // Sibling packages and bindings are not the product they extend.
        // A plug-in is another project, with its own numbering.
        assert!(pairs(&component("jquery-plugin-validation")).is_empty());
        let mut ui = component("jquery-ui");
        ui.purl = Some("pkg:npm/jquery-ui@1.10.0".into());
        assert!(pairs(&ui).is_empty());
        for (name, purl) in [
            ("sqlite-jdbc", "pkg:maven/org.xerial/sqlite-jdbc@3.8.2"),
            ("requests", "pkg:pypi/requests@2.3.0"),
        ] {
            let mut c = component(name);
            c.purl = Some(purl.into());
            let found = pairs(&c);
            assert!(
                !found
                    .iter()
                    .any(|p| p == "sqlite:sqlite" || p == "python:python"),
                "{name}: {found:?}"
            );
        }
    }

    #[test]
    fn build_system_bindings_are_their_own_projects_only() {
        let d = Dictionary::new(
            [
                ("pyopenssl", "pyopenssl", 2),
                ("systemd_project", "systemd", 10),
                ("lxml", "lxml", 2),
                ("python", "requests", 6),
            ]
            .map(|(v, p, n)| Entry {
                vendor: v.into(),
                product: p.into(),
                records: n,
            }),
        );
        let found = |name: &str| -> Vec<String> {
            d.resolve(&component(name))
                .into_iter()
                .map(|c| format!("{}:{}", c.vendor, c.product))
                .collect()
        };
        assert_eq!(found("python3-pyopenssl"), ["pyopenssl:pyopenssl"]);
        // A maker's build of the binding.
        assert_eq!(found("python-lxml-bbraun"), ["lxml:lxml"]);
        // The binding of systemd is not systemd; a look-alike vendor is not
        // the project.
        assert!(found("python-systemd").is_empty());
        assert!(found("python3-requests").is_empty());
    }

    #[test]
    fn curated_mappings_and_confirmations_come_first_and_are_cited() {
        let d = Dictionary::new(
            [
                ("apache", "http_server", 900),
                ("sqlite", "sqlite", 40),
                ("lighttpd", "lighttpd", 30),
            ]
            .map(|(v, p, n)| Entry {
                vendor: v.into(),
                product: p.into(),
                records: n,
            }),
        )
        .with_mappings([NameMappingRow {
            source: "openembedded".into(),
            title: "OpenEmbedded/Yocto recipes' CVE_PRODUCT".into(),
            licence: "MIT".into(),
            package: "apache2".into(),
            vendor: Some("apache".into()),
            product: "http_server".into(),
            origin: "meta-webserver apache2_2.4.68.bb".into(),
        }])
        .with_aliases([AliasRow {
            id: 7,
            component: "lightttpd".into(),
            name: "lightttpd".into(),
            purl_type: None,
            vendor: "lighttpd".into(),
            product: "lighttpd".into(),
            note: Some("vendor typo".into()),
            created_by: "alice".into(),
            created_at: "2026-12-03T10:00:00Z".into(),
        }]);
        let apache = d.resolve(&component("apache2"));
        assert_eq!(apache.len(), 1);
        assert_eq!(apache[0].method, Method::Mapping);
        assert!(
            apache[0].evidence.contains("apache2_2.4.68.bb"),
            "{}",
            apache[0].evidence
        );
        // A split package of the recipe, through its base name.
        let utils = d.resolve(&component("apache2-utils"));
        assert_eq!(utils[0].product, "http_server");
        assert!(utils[0].confidence < apache[0].confidence);
        let typo = d.resolve(&component("lightttpd"));
        assert_eq!(typo[0].method, Method::Confirmed);
        assert!(
            typo[0]
                .evidence
                .contains("alias 7, by alice on 2026-12-03: vendor typo"),
            "{}",
            typo[0].evidence
        );
        assert!(d.resolve(&component("lighttpdx-other")).is_empty());
    }

    #[test]
    fn wildcard_vendors_resolve_by_name_not_to_every_vendor() {
        let mut c = component("openssl");
        c.cpes = vec!["cpe:2.3:a:*:openssl:1.0.1f:*:*:*:*:*:*:*".into()];
        assert_eq!(pairs(&c), ["openssl:openssl"], "the main vendor only");
    }

    #[test]
    fn language_packages_are_not_like_named_native_products() {
        let d = Dictionary::new([
            Entry {
                vendor: "gnu".into(),
                product: "tar".into(),
                records: 40,
            },
            Entry {
                vendor: "pyopenssl".into(),
                product: "pyopenssl".into(),
                records: 2,
            },
            Entry {
                vendor: "apache".into(),
                product: "tomcat".into(),
                records: 197,
            },
        ]);
        let with = |name: &str, purl: &str| Component {
            bom_ref: "c".into(),
            name: name.into(),
            version: Some("1.0".into()),
            purl: (!purl.is_empty()).then(|| purl.into()),
            ..Default::default()
        };
        // npm tar is not GNU tar; the same name without a purl still is.
        assert!(d.resolve(&with("tar", "pkg:npm/tar@1.0")).is_empty());
        assert_eq!(d.resolve(&with("tar", "")).len(), 1);
        // A self-named project and a vendor named by the namespace are vouched for.
        assert_eq!(
            d.resolve(&with("pyOpenSSL", "pkg:pypi/pyopenssl@0.13"))
                .len(),
            1
        );
        let tomcat = d.resolve(&with(
            "tomcat",
            "pkg:maven/org.apache.tomcat/tomcat-catalina@7.0.50",
        ));
        assert_eq!(tomcat[0].vendor, "apache");
    }

    #[test]
    fn devices_resolve_to_firmware_with_the_supplier_as_vendor() {
        let mut plc = component("MicroLogix 1400");
        plc.supplier = Some("Rockwell Automation".into());
        assert_eq!(
            pairs(&plc),
            [
                "rockwellautomation:micrologix_1400_firmware",
                "rockwellautomation:micrologix_firmware"
            ]
        );
    }

    #[test]
    fn sbom_cpe_wins() {
        let mut c = component("whatever");
        c.cpes = vec!["cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*".into()];
        let r = dict().resolve(&c);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].method, Method::Cpe);
    }

    fn distro(name: &str, purl: Option<&str>) -> Vec<String> {
        let mut c = component(name);
        c.purl = purl.map(str::to_string);
        pairs(&c)
    }

    #[test]
    fn distribution_packages_resolve_to_upstream() {
        let d = || {
            let mut e = vec![
                Entry {
                    vendor: "busybox".into(),
                    product: "busybox".into(),
                    records: 30,
                },
                Entry {
                    vendor: "zlib".into(),
                    product: "zlib".into(),
                    records: 20,
                },
                Entry {
                    vendor: "xmlsoft".into(),
                    product: "libxml2".into(),
                    records: 50,
                },
                Entry {
                    vendor: "xmlsoft".into(),
                    product: "libxml".into(),
                    records: 2,
                },
            ];
            e.extend(dict().by_product.into_values().flat_map(|v| v.to_vec()));
            Dictionary::new(e)
        };
        let resolve = |name: &str, purl: &str| {
            let mut c = component(name);
            c.purl = Some(purl.to_string());
            let mut v: Vec<String> = d()
                .resolve(&c)
                .into_iter()
                .map(|c| format!("{}:{}", c.vendor, c.product))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            distro(
                "libssl1.0.0",
                Some("pkg:deb/ubuntu/libssl1.0.0@1.0.1f-1ubuntu2")
            ),
            ["openssl:openssl"]
        );
        // Without a purl, the glued soname is enough to tell.
        assert_eq!(distro("libssl1.0.0", None), ["openssl:openssl"]);
        assert_eq!(
            distro(
                "openssl-libs",
                Some("pkg:rpm/centos/openssl-libs@1.0.2k-16.el7")
            ),
            ["openssl:openssl"]
        );
        assert_eq!(
            distro(
                "libcurl4-openssl-dev",
                Some("pkg:deb/debian/libcurl4-openssl-dev@7.38.0-4")
            ),
            ["curl:curl", "haxx:curl", "haxx:libcurl"]
        );
        assert_eq!(
            resolve("zlib1g", "pkg:deb/debian/zlib1g@1:1.2.8.dfsg-2"),
            ["zlib:zlib"]
        );
        assert_eq!(
            resolve(
                "busybox-syslogd",
                "pkg:deb/debian/busybox-syslogd@1:1.22.0-19"
            ),
            ["busybox:busybox"]
        );
        assert_eq!(
            resolve("libxml2-2", "pkg:rpm/opensuse/libxml2-2@2.9.7-1"),
            ["xmlsoft:libxml2"]
        );
        // libxml2 is a product: its digit is not a soname.
        assert_eq!(
            resolve("libxml2", "pkg:deb/debian/libxml2@2.9.4-1"),
            ["xmlsoft:libxml2"]
        );
        // Language bindings keep their own identity.
        assert!(resolve("perl-busybox", "pkg:rpm/fedora/perl-busybox@1.0").is_empty());
        // Not a distribution package: no distro rules.
        assert!(resolve("busybox-syslogd", "pkg:pypi/busybox-syslogd@1.0").is_empty());
    }

    #[test]
    fn fuzzy_names_need_the_suppliers_vendor_and_the_same_numbers() {
        let mut typo = component("Micrologic 1400");
        typo.supplier = Some("Rockwell Automation, Inc.".into());
        let found = dict().resolve(&typo);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].product, "micrologix_1400_firmware");
        assert_eq!(found[0].method, Method::Fuzzy);
        assert!((0.45..=0.7).contains(&found[0].confidence), "{found:?}");
        assert!(
            found[0].evidence.contains("confirm"),
            "{}",
            found[0].evidence
        );

        // The family's firmware may still match by alias; never the 1400.
        let mut other_model = component("MicroLogix 1100");
        other_model.supplier = Some("Rockwell Automation".into());
        let found = dict().resolve(&other_model);
        assert!(
            found
                .iter()
                .all(|c| c.method != Method::Fuzzy && c.product != "micrologix_1400_firmware"),
            "{found:?}"
        );

        assert!(
            dict().resolve(&component("Micrologic 1400")).is_empty(),
            "no supplier, no fuzzy match"
        );
        let mut exact = component("openssl");
        exact.supplier = Some("OpenSSL".into());
        assert!(
            dict()
                .resolve(&exact)
                .iter()
                .all(|c| c.method != Method::Fuzzy),
            "an exact match leaves no room for fuzzy ones"
        );
    }

    #[test]
    fn purls_parse() {
        let p = Purl::parse("pkg:maven/org.apache.struts/struts2-core@2.3.15?type=jar").unwrap();
        assert_eq!(p.kind, "maven");
        assert_eq!(p.namespace.as_deref(), Some("org.apache.struts"));
        assert_eq!(p.name, "struts2-core");
        assert_eq!(p.version.as_deref(), Some("2.3.15"));
        let p = Purl::parse("pkg:npm/%40angular/core@1.0.0").unwrap();
        assert_eq!(p.namespace.as_deref(), Some("@angular"));
        assert!(Purl::parse("not a purl").is_none());
        let p = Purl::parse(
            "pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u4?arch=amd64&upstream=openssl&distro=debian-11",
        )
        .unwrap();
        assert_eq!(p.version.as_deref(), Some("1.1.1n-0+deb11u4"));
        assert_eq!(p.qualifier("upstream"), Some("openssl"));
        assert_eq!(p.qualifier("distro"), Some("debian-11"));
        assert_eq!(p.qualifier("arch"), Some("amd64"));
        assert_eq!(p.qualifier("type"), None);
    }
}
