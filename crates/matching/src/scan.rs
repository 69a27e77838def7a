//! Scanning an SBOM: every component through name resolution, candidate
//! records and CPE applicability, and through its purl against OSV ranges,
//! into findings that say why. A vulnerability found both ways (an OSV
//! record whose alias is a CVE matched by CPE) is one finding with both
//! sources.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use kensa_model::{Component, Sbom, VulnRecord};
use kensa_store::{Store, StoreError};
use kensa_version::{Scheme, upstream_version};
use serde::{Deserialize, Serialize};

use crate::advisory::{AdvisoryIndex, AdvisoryProduct};
use crate::applicability::{Target, evaluate, screen_covers};
use crate::osv;
use crate::resolve::{Candidate, Dictionary, Entry, Method, Names, Purl, resolve, sort_entries};
use kensa_store::NameMappingRow;
use kensa_store::team::AliasRow;

#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Candidates below this confidence are not matched.
    pub min_confidence: f64,
    /// Counts scanned components as the scan goes, for progress displays.
    pub progress: Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            min_confidence: 0.0,
            progress: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComponentRef {
    pub bom_ref: String,
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
}

impl ComponentRef {
    pub fn of(c: &Component) -> ComponentRef {
        ComponentRef {
            bom_ref: c.bom_ref.clone(),
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VulnRef {
    pub id: String,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatchInfo {
    pub method: Method,
    pub confidence: f64,
    /// The criterion that covers the component (a CPE with its bounds).
    pub matched: String,
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub component: ComponentRef,
    pub vulnerability: VulnRef,
    #[serde(rename = "match")]
    pub matched: MatchInfo,
    /// What else must hold (AND configurations: the platform).
    pub platform_conditions: Vec<String>,
    /// Which sources' statements produced the finding.
    pub sources: Vec<String>,
}

/// A component without a version: its candidate vulnerabilities are listed
/// apart, never reported as findings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unversioned {
    pub component: ComponentRef,
    pub candidates: Vec<String>,
    pub products: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Summary {
    pub components: usize,
    pub unversioned: usize,
    pub unresolved: usize,
    pub components_with_findings: usize,
    pub findings: usize,
    pub vulnerabilities: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub findings: Vec<Finding>,
    pub unversioned: Vec<Unversioned>,
    /// Components no known product matched: worth a CPE or purl in the
    /// SBOM, or a confirmation of one of their nearest products.
    pub unresolved: Vec<Unresolved>,
    pub summary: Summary,
}

/// A component no known product matched, with the products nearest its
/// name (see [`crate::nearest`]): what a person may confirm it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unresolved {
    #[serde(flatten)]
    pub component: ComponentRef,
    pub nearest: Vec<crate::nearest::Nearest>,
}

/// Matches SBOMs against one store. Builds the product dictionary once;
/// loads a product's records only while a component that may be it is
/// scanned, so memory stays flat whatever the SBOM's size.
pub struct Scanner<'s> {
    store: &'s Store,
    lookup: Lookup,
}

/// What resolves components to candidates: the CPE product dictionary and
/// the products of CSAF advisories.
struct Lookup {
    names: NameSource,
    advisories: AdvisoryIndex,
}

/// The product dictionary: in the store, looked up name by name (the
/// default: a scan's cost follows its components, not the database), or in
/// memory for a read-only database whose stored dictionary is out of date.
enum NameSource {
    Stored(NameCache),
    Memory(Dictionary, NameCache),
}

/// The names one scan looked up, shared by its workers, and the first
/// lookup that failed.
#[derive(Default)]
struct NameCache {
    found: Mutex<HashMap<String, Option<Arc<[Entry]>>>>,
    mappings: Mutex<HashMap<String, Arc<[NameMappingRow]>>>,
    /// The team's aliases by normalised name, read once per scan: they
    /// are few, and they live with the team's state (on a node, in
    /// PostgreSQL, which the workers' read-only connections do not reach).
    aliases: HashMap<String, Arc<[AliasRow]>>,
    failed: Mutex<Option<StoreError>>,
}

impl NameCache {
    fn new(store: &Store) -> Result<NameCache, StoreError> {
        let mut by_name: HashMap<String, Vec<AliasRow>> = HashMap::new();
        for alias in store.aliases()? {
            by_name.entry(alias.name.clone()).or_default().push(alias);
        }
        Ok(NameCache {
            aliases: by_name
                .into_iter()
                .map(|(name, mut rows)| {
                    rows.sort_by_key(|a| a.id);
                    (name, Arc::from(rows))
                })
                .collect(),
            ..NameCache::default()
        })
    }

    /// `lookup` once per name and scan; a failure is kept for the scan to
    /// report, and reads as nothing.
    fn cached<T>(
        &self,
        map: &Mutex<HashMap<String, Arc<[T]>>>,
        name: &str,
        lookup: impl FnOnce() -> Result<Vec<T>, StoreError>,
    ) -> Arc<[T]> {
        if let Some(hit) = lock(map).get(name) {
            return hit.clone();
        }
        let found: Arc<[T]> = match lookup() {
            Ok(v) => Arc::from(v),
            Err(e) => {
                lock(&self.failed).get_or_insert(e);
                Arc::from(Vec::new())
            }
        };
        lock(map).insert(name.to_string(), found.clone());
        found
    }
}

/// The dictionary as one worker, on its connection, sees it; curated
/// mappings are always read from the store.
enum NamesOn<'a> {
    Stored(&'a NameCache, &'a Store, &'a AdvisoryIndex),
    Memory(&'a Dictionary, &'a NameCache, &'a Store, &'a AdvisoryIndex),
}

impl Names for NamesOn<'_> {
    fn entries(&self, name: &str) -> Option<Arc<[Entry]>> {
        match self {
            NamesOn::Memory(d, ..) => d.entries(name),
            NamesOn::Stored(cache, store, _) => {
                if let Some(hit) = lock(&cache.found).get(name) {
                    return hit.clone();
                }
                let entries = match store.products_named(name) {
                    Ok(rows) => (!rows.is_empty()).then(|| {
                        let mut v: Vec<Entry> = rows.into_iter().map(Entry::from).collect();
                        sort_entries(&mut v);
                        Arc::from(v)
                    }),
                    Err(e) => {
                        lock(&cache.failed).get_or_insert(e);
                        None
                    }
                };
                lock(&cache.found).insert(name.to_string(), entries.clone());
                entries
            }
        }
    }

    fn of_vendor(&self, key: &str) -> Vec<Entry> {
        match self {
            NamesOn::Memory(d, ..) => d.of_vendor(key),
            NamesOn::Stored(cache, store, _) => match store.products_of_vendor(key) {
                Ok(rows) => rows.into_iter().map(Entry::from).collect(),
                Err(e) => {
                    lock(&cache.failed).get_or_insert(e);
                    Vec::new()
                }
            },
        }
    }

    fn mappings(&self, name: &str) -> Arc<[NameMappingRow]> {
        let (cache, store) = self.cache_and_store();
        cache.cached(&cache.mappings, name, || store.name_mappings(name))
    }

    fn aliases(&self, name: &str) -> Arc<[AliasRow]> {
        let (cache, _) = self.cache_and_store();
        cache
            .aliases
            .get(name)
            .cloned()
            .unwrap_or_else(|| Arc::from(Vec::new()))
    }

    fn catalogue_names(&self, c: &Component) -> Vec<String> {
        let advisories = match self {
            NamesOn::Stored(_, _, a) | NamesOn::Memory(_, _, _, a) => a,
        };
        let mut names: Vec<String> = advisories
            .named(c)
            .iter()
            .map(|p| p.product_name.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

impl NamesOn<'_> {
    fn cache_and_store(&self) -> (&NameCache, &Store) {
        match self {
            NamesOn::Stored(cache, store, _) | NamesOn::Memory(_, cache, store, _) => {
                (cache, store)
            }
        }
    }

    /// The first failed lookup: resolution treats it as an unknown name,
    /// and the scan reports it instead of going on.
    fn failure(&self) -> Result<(), StoreError> {
        let (cache, _) = self.cache_and_store();
        lock(&cache.failed).take().map_or(Ok(()), Err)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Lookup {
    fn names_on<'a>(&'a self, store: &'a Store) -> NamesOn<'a> {
        match &self.names {
            NameSource::Stored(cache) => NamesOn::Stored(cache, store, &self.advisories),
            NameSource::Memory(d, cache) => NamesOn::Memory(d, cache, store, &self.advisories),
        }
    }

    /// The component's vendor/product candidates.
    fn candidates(
        &self,
        store: &Store,
        c: &Component,
        opts: &ScanOptions,
    ) -> Result<Vec<Candidate>, StoreError> {
        let names = self.names_on(store);
        let found = resolve(&names, c);
        names.failure()?;
        Ok(found
            .into_iter()
            .filter(|cand| cand.confidence >= opts.min_confidence)
            .collect())
    }
}

impl<'s> Scanner<'s> {
    /// Brings the store's product dictionary up to date (after an import,
    /// the first scan rebuilds it) and indexes the CSAF products.
    pub fn new(store: &'s Store) -> Result<Scanner<'s>, StoreError> {
        let names = match store.refresh_product_names() {
            Ok(_) => NameSource::Stored(NameCache::new(store)?),
            Err(e) if e.is_read_only() => NameSource::Memory(
                Dictionary::new(store.cpe_products()?.into_iter().map(Entry::from)),
                NameCache::new(store)?,
            ),
            Err(e) => return Err(e),
        };
        let advisories =
            AdvisoryIndex::new(store.csaf_products_for_matching()?.into_iter().map(|p| {
                AdvisoryProduct {
                    document_id: p.document_id,
                    tracking_id: p.tracking_id,
                    product_id: p.product_id,
                    vendor: p.vendor,
                    product_name: p.product_name,
                    version: p.version,
                    version_range: p.version_range,
                }
            }));
        Ok(Scanner {
            store,
            lookup: Lookup { names, advisories },
        })
    }

    /// Scans every component. Components are spread over the machine's
    /// cores, each worker with its own read connection; the report keeps
    /// the SBOM's order.
    pub fn scan(&self, sbom: &Sbom, opts: &ScanOptions) -> Result<ScanReport, StoreError> {
        let components: Vec<&Component> = sbom.components.iter().collect();
        let outcomes = self.scan_components(&components, opts)?;
        let mut report = ScanReport::of(outcomes, components.len());
        self.suggest(&mut report)?;
        Ok(report)
    }

    /// Lists the nearest products of each unresolved component.
    pub fn suggest(&self, report: &mut ScanReport) -> Result<(), StoreError> {
        for u in &mut report.unresolved {
            u.nearest = crate::nearest::nearest(
                self.store,
                &u.component.name,
                u.component.purl.as_deref(),
            )?;
        }
        Ok(())
    }

    /// Scans these components, in parallel, and returns one outcome per
    /// component in their order.
    pub fn scan_components(
        &self,
        components: &[&Component],
        opts: &ScanOptions,
    ) -> Result<Vec<ComponentOutcome>, StoreError> {
        let n = components.len();
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        // Small batches are not worth a second connection.
        let workers = cores.min(n / 256 + 1).max(1);
        let mut readers = Vec::new();
        for _ in 1..workers {
            match self.store.reader()? {
                Some(r) => readers.push(r),
                None => break,
            }
        }
        let stride = readers.len() + 1;
        let mut outcomes: Vec<(usize, ComponentOutcome)> = std::thread::scope(|scope| {
            let lookup = &self.lookup;
            let handles: Vec<_> = readers
                .into_iter()
                .enumerate()
                .map(|(i, reader)| {
                    scope
                        .spawn(move || scan_share(lookup, &reader, components, i + 1, stride, opts))
                })
                .collect();
            let mut all = scan_share(lookup, self.store, components, 0, stride, opts)?;
            for h in handles {
                let part = h.join().map_err(|_| StoreError::Corrupt {
                    what: "scan".into(),
                    message: "a scan worker crashed".into(),
                })??;
                all.extend(part);
            }
            Ok::<_, StoreError>(all)
        })?;
        outcomes.sort_by_key(|(i, _)| *i);
        Ok(outcomes.into_iter().map(|(_, o)| o).collect())
    }

    /// What a component resolves to, without loading any record: the
    /// vendor/product candidates and the OSV package of its purl. A
    /// portfolio rescan compares it with what changed.
    pub fn resolution(&self, c: &Component, opts: &ScanOptions) -> Result<Resolution, StoreError> {
        let mut cpe_pairs: Vec<(String, String)> = self
            .lookup
            .candidates(self.store, c, opts)?
            .into_iter()
            .map(|cand| (cand.vendor, cand.product))
            .collect();
        cpe_pairs.sort();
        let osv_package = c
            .purl
            .as_deref()
            .and_then(Purl::parse)
            .as_ref()
            .and_then(osv::package_of);
        // A distribution package whose purl does not name its source may be
        // found through the source names its packaging suggests.
        let source_packages = match &osv_package {
            Some(p) if p.binary.is_none() && osv::is_distribution(p.ecosystem) => {
                crate::resolve::source_package_names(&p.name)
            }
            _ => Vec::new(),
        };
        let package = osv_package.map(|p| (p.ecosystem.to_string(), p.name.to_ascii_lowercase()));
        let mut advisories: Vec<i64> = self
            .lookup
            .advisories
            .named(c)
            .iter()
            .map(|p| p.document_id)
            .collect();
        advisories.sort_unstable();
        advisories.dedup();
        Ok(Resolution {
            cpe_pairs,
            package,
            source_packages,
            advisories,
            names: crate::advisory::names(c),
        })
    }
}

/// The candidates a component resolves to (see [`Scanner::resolution`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resolution {
    pub cpe_pairs: Vec<(String, String)>,
    /// OSV ecosystem and lower-cased package name.
    pub package: Option<(String, String)>,
    /// Source packages the scan may look the package up by, in the same
    /// ecosystem (`libssl1.1` → `openssl`); not part of the fingerprint,
    /// since they follow from the package's name.
    pub source_packages: Vec<String>,
    /// The CSAF documents with a product of the component's name.
    pub advisories: Vec<i64>,
    /// The component's names, normalised: what CVE 5 `affected` entries
    /// without a CPE are matched by.
    pub names: Vec<String>,
}

impl ScanReport {
    /// Assembles a report from per-component outcomes.
    pub fn of(outcomes: impl IntoIterator<Item = ComponentOutcome>, components: usize) -> Self {
        let mut report = ScanReport {
            findings: Vec::new(),
            unversioned: Vec::new(),
            unresolved: Vec::new(),
            summary: Summary::default(),
        };
        for outcome in outcomes {
            match outcome {
                ComponentOutcome::Findings(f) => report.findings.extend(f),
                ComponentOutcome::Unversioned(u) => report.unversioned.push(u),
                ComponentOutcome::Unresolved(c) => report.unresolved.push(Unresolved {
                    component: c,
                    nearest: Vec::new(),
                }),
            }
        }
        report.summary = summarize(&report, components);
        report
    }
}

/// What scanning one component produced.
#[derive(Debug, Clone)]
pub enum ComponentOutcome {
    Findings(Vec<Finding>),
    Unversioned(Unversioned),
    Unresolved(ComponentRef),
}

/// A component without a version: its candidates, listed apart.
fn list_unversioned(
    store: &Store,
    c: &Component,
    candidates: &[Candidate],
    osv_records: &[VulnRecord],
    advisory_products: &[&AdvisoryProduct],
    named: Vec<String>,
) -> Result<ComponentOutcome, StoreError> {
    let mut ids: Vec<String> = osv_records.iter().map(|r| r.id.clone()).collect();
    ids.extend(named);
    for p in advisory_products {
        ids.extend(
            store
                .csaf_statuses(p.document_id, &p.product_id)?
                .into_iter()
                .filter(|(_, status)| AFFECTED.contains(&status.as_str()))
                .map(|(v, _)| v),
        );
    }
    for cand in candidates {
        ids.extend(
            store
                .applicability_by_cpe(&cand.vendor, &cand.product)?
                .into_iter()
                .map(|r| r.id),
        );
    }
    ids.sort();
    ids.dedup();
    Ok(ComponentOutcome::Unversioned(Unversioned {
        component: ComponentRef::of(c),
        candidates: ids,
        products: candidates
            .iter()
            .map(|c| format!("{}:{}", c.vendor, c.product))
            .chain(
                advisory_products
                    .iter()
                    .map(|p| format!("{} {}", p.tracking_id, p.product_name)),
            )
            .collect(),
    }))
}

fn summarize(report: &ScanReport, components: usize) -> Summary {
    let distinct = |it: &mut dyn Iterator<Item = &str>| {
        let mut v: Vec<&str> = it.collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    Summary {
        components,
        unversioned: report.unversioned.len(),
        unresolved: report.unresolved.len(),
        findings: report.findings.len(),
        vulnerabilities: distinct(&mut report.findings.iter().map(|f| f.vulnerability.id.as_str())),
        components_with_findings: distinct(
            &mut report.findings.iter().map(|f| f.component.bom_ref.as_str()),
        ),
    }
}

/// Components `first`, `first + stride`, … on one connection, inside one
/// read transaction.
fn scan_share(
    lookup: &Lookup,
    store: &Store,
    components: &[&Component],
    first: usize,
    stride: usize,
    opts: &ScanOptions,
) -> Result<Vec<(usize, ComponentOutcome)>, StoreError> {
    store.read(|store| {
        (first..components.len())
            .step_by(stride)
            .map(|i| {
                let outcome = scan_component(lookup, store, components[i], opts)?;
                if let Some(p) = &opts.progress {
                    p.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                Ok((i, outcome))
            })
            .collect()
    })
}

fn scan_component(
    lookup: &Lookup,
    store: &Store,
    c: &Component,
    opts: &ScanOptions,
) -> Result<ComponentOutcome, StoreError> {
    let candidates = lookup.candidates(store, c, opts)?;
    let purl = c.purl.as_deref().and_then(Purl::parse);
    let mut package = purl.as_ref().and_then(osv::package_of);
    let osv_records = match &mut package {
        Some(p) if OSV_CONFIDENCE >= opts.min_confidence => osv_records(store, p)?,
        _ => Vec::new(),
    };
    let advisory_products = lookup.advisories.named(c);
    let named = cve5_named(store, c)?;
    if candidates.is_empty()
        && osv_records.is_empty()
        && advisory_products.is_empty()
        && named.is_empty()
    {
        return Ok(ComponentOutcome::Unresolved(ComponentRef::of(c)));
    }
    let Some(raw_version) = c
        .version
        .as_deref()
        .map(str::trim)
        .filter(|v| crate::versions::is_version(v))
    else {
        let mut listed: Vec<String> = named.iter().map(|n| n.record.id.clone()).collect();
        listed.dedup();
        return list_unversioned(
            store,
            c,
            &candidates,
            &osv_records,
            &advisory_products,
            listed,
        );
    };
    let version = cpe_version(purl.as_ref().map(|p| p.kind.as_str()), raw_version);
    // One finding per vulnerability: the best candidate explains it, and
    // every source that agrees is listed.
    let mut found: BTreeMap<String, Finding> = BTreeMap::new();
    for cand in &candidates {
        let target = Target {
            vendor: &cand.vendor,
            product: &cand.product,
            version: &version,
        };
        let may_apply =
            |screen: &kensa_store::Screen<'_>| screen.passes(|c| screen_covers(c, &version));
        store.each_applicability_by_cpe(&cand.vendor, &cand.product, may_apply, |rec| {
            let Some(hit) = evaluate(&rec.configurations, &target)
                .into_iter()
                .next()
                .map(|a| Hit {
                    unbounded: every_version(&a.criterion),
                    explanation: a.explanation,
                    platform_conditions: a.platform_conditions,
                })
                .or_else(|| cve5_hit(&rec.affected, &cand.vendor, &cand.product, &version))
            else {
                return Ok(());
            };
            let source = rec.source.key();
            match found.get_mut(&rec.id) {
                Some(f) => {
                    if !f.sources.contains(&source) {
                        f.sources.push(source);
                    }
                }
                None => {
                    found.insert(
                        rec.id.clone(),
                        Finding {
                            component: ComponentRef::of(c),
                            vulnerability: VulnRef {
                                id: rec.id.clone(),
                                aliases: rec.aliases.clone(),
                            },
                            matched: MatchInfo {
                                method: cand.method,
                                confidence: if hit.unbounded {
                                    cand.confidence * UNBOUNDED_FACTOR
                                } else {
                                    cand.confidence
                                },
                                matched: hit.explanation.clone(),
                                evidence: if hit.unbounded {
                                    format!(
                                        "{}; the record names every version ({}), with no bound to check {version} against: confirm with the vendor's advisory",
                                        cand.evidence, hit.explanation
                                    )
                                } else {
                                    format!(
                                        "{}; version {version} is covered by {}",
                                        cand.evidence, hit.explanation
                                    )
                                },
                            },
                            platform_conditions: hit.platform_conditions,
                            sources: vec![source],
                        },
                    );
                }
            }
            Ok(())
        })?;
    }
    if let (Some(package), Some(purl_text)) = (&package, c.purl.as_deref()) {
        // OSV ranges are in the ecosystem's own versions: the full
        // distribution version for deb/apk, not the upstream one.
        for rec in &osv_records {
            let version = package.source_version.as_deref().unwrap_or(raw_version);
            let Some(why) = osv::affected_in(
                rec,
                package.ecosystem,
                &package.name,
                package.release.as_deref(),
                version,
            ) else {
                continue;
            };
            add_osv_finding(
                &mut found,
                c,
                rec,
                MatchInfo {
                    method: Method::Purl,
                    confidence: OSV_CONFIDENCE,
                    matched: why.clone(),
                    evidence: format!(
                        "purl {purl_text} names the OSV package {}/{}{}{}; {why}",
                        package.ecosystem,
                        package.name,
                        package
                            .binary
                            .as_deref()
                            .map(|b| format!(" (the source package of {b})"))
                            .unwrap_or_default(),
                        package
                            .release
                            .as_deref()
                            .map(|r| format!(", release {r}"))
                            .unwrap_or_default(),
                    ),
                },
            );
        }
    }
    add_advisory_findings(lookup, store, c, raw_version, opts, &mut found)?;
    add_cve5_named_findings(&named, c, raw_version, opts, &mut found);
    // A finding can be less sure than its candidate (an unbounded criterion).
    found.retain(|_, f| f.matched.confidence >= opts.min_confidence);
    Ok(ComponentOutcome::Findings(found.into_values().collect()))
}

/// The OSV records of a package. A distribution's advisories name source
/// packages: when the binary package (`libssl1.1`) has none and the purl
/// does not say its source, the source names its packaging suggests
/// (`openssl`) are tried, and the package takes the first that has records.
fn osv_records(store: &Store, p: &mut osv::OsvPackage) -> Result<Vec<VulnRecord>, StoreError> {
    let found = store.records_by_package(p.ecosystem, &p.name)?;
    if !found.is_empty() || p.binary.is_some() || !osv::is_distribution(p.ecosystem) {
        return Ok(found);
    }
    for source in crate::resolve::source_package_names(&p.name) {
        let found = store.records_by_package(p.ecosystem, &source)?;
        if !found.is_empty() {
            p.binary = Some(std::mem::replace(&mut p.name, source));
            return Ok(found);
        }
    }
    Ok(Vec::new())
}

/// Why a record covers a component: the criterion in words, and what else
/// must hold.
struct Hit {
    explanation: String,
    platform_conditions: Vec<String>,
    /// The criterion names every version of the product: no bound, no
    /// version. NVD writes that for "all versions" and for "not yet
    /// analysed"; the finding stands, flagged and with less confidence.
    unbounded: bool,
}

/// How much an unbounded criterion lowers a finding's confidence.
const UNBOUNDED_FACTOR: f64 = 0.8;

fn every_version(m: &kensa_model::CpeMatch) -> bool {
    let version = kensa_model::cpe::fields(&m.criteria).map(|f| f[3]);
    matches!(version, Some("*" | ""))
        && m.version_start_including.is_none()
        && m.version_start_excluding.is_none()
        && m.version_end_including.is_none()
        && m.version_end_excluding.is_none()
}

/// A CVE 5 `affected` entry (a CNA's, or CISA-ADP's enrichment) that names
/// the product by CPE and whose versions cover `version`.
fn cve5_hit(
    affected: &[kensa_model::Cve5Affected],
    vendor: &str,
    product: &str,
    version: &str,
) -> Option<Hit> {
    affected.iter().find_map(|entry| {
        let cpe = entry.cpes.iter().find(|cpe| {
            kensa_model::cpe::vendor_product(cpe)
                .is_some_and(|(_, v, p)| v == vendor && p == product)
        })?;
        // A CPE pinning one version (`libmodbus:3.1.10`) makes the entry a
        // statement about that version, whatever defaultStatus says.
        let pinned = kensa_model::cpe::fields(cpe)
            .map(|f| f[3])
            .filter(|v| !matches!(*v, "*" | "-" | ""));
        if let Some(pinned) = pinned
            && kensa_version::compare_generic(version, &pinned.replace('\\', ""))
                != Some(std::cmp::Ordering::Equal)
        {
            return None;
        }
        let why = crate::cve5::affected_by(entry, version)?;
        Some(Hit {
            explanation: format!("{cpe} {why} (CVE 5 affected)"),
            platform_conditions: Vec::new(),
            unbounded: false,
        })
    })
}

/// A record whose CVE 5 `affected` entry names the component (by name,
/// no CPE) with a vendor that agrees with its maker.
struct Named {
    name: String,
    vendor: String,
    confidence: f64,
    why: &'static str,
    record: kensa_store::ApplicabilityRecord,
}

fn cve5_named(store: &Store, c: &Component) -> Result<Vec<Named>, StoreError> {
    let parties = crate::advisory::Parties::of(c);
    let mut out = Vec::new();
    for name in crate::advisory::names(c) {
        store.each_affected_by_name(
            &name,
            |vendor| parties.agree(Some(vendor)).is_some(),
            |vendor, record| {
                let (confidence, why) = parties.agree(Some(vendor)).unwrap_or((0.0, ""));
                out.push(Named {
                    name: name.clone(),
                    vendor: vendor.to_string(),
                    confidence,
                    why,
                    record,
                });
                Ok(())
            },
        )?;
    }
    Ok(out)
}

/// Findings from CVE 5 `affected` entries that name the component.
fn add_cve5_named_findings(
    named: &[Named],
    c: &Component,
    version: &str,
    opts: &ScanOptions,
    found: &mut BTreeMap<String, Finding>,
) {
    use kensa_model::names::normalize;
    for n in named.iter().filter(|n| n.confidence >= opts.min_confidence) {
        let rec = &n.record;
        let hit = rec.affected.iter().find_map(|entry| {
            let names_it = entry.cpes.is_empty()
                && entry.product.as_deref().map(normalize).as_deref() == Some(n.name.as_str())
                && entry.vendor.as_deref().map(normalize).as_deref() == Some(n.vendor.as_str());
            if !names_it {
                return None;
            }
            let why = crate::cve5::affected_by(entry, version)?;
            Some(format!(
                "{} {} {why}",
                entry.vendor.as_deref().unwrap_or(""),
                entry.product.as_deref().unwrap_or("")
            ))
        });
        let Some(matched) = hit else {
            continue;
        };
        let source = rec.source.key();
        if let Some(f) = found.get_mut(&rec.id) {
            if !f.sources.contains(&source) {
                f.sources.push(source);
            }
            continue;
        }
        found.insert(
            rec.id.clone(),
            Finding {
                component: ComponentRef::of(c),
                vulnerability: VulnRef {
                    id: rec.id.clone(),
                    aliases: rec.aliases.clone(),
                },
                matched: MatchInfo {
                    method: Method::Advisory,
                    confidence: n.confidence,
                    matched: format!("{matched} (CVE 5 affected)"),
                    evidence: format!(
                        "the component `{}` is the product the {} record names; {}; version {version}: {matched}",
                        c.name, source, n.why
                    ),
                },
                platform_conditions: Vec::new(),
                sources: vec![source],
            },
        );
    }
}

/// The statuses CSAF uses for a product a vulnerability affects.
const AFFECTED: [&str; 3] = ["known_affected", "first_affected", "last_affected"];

/// Findings from CSAF advisories whose products the component is and whose
/// version statement covers its version.
fn add_advisory_findings(
    lookup: &Lookup,
    store: &Store,
    c: &Component,
    version: &str,
    opts: &ScanOptions,
    found: &mut BTreeMap<String, Finding>,
) -> Result<(), StoreError> {
    for hit in lookup.advisories.matches(c, version) {
        if hit.confidence < opts.min_confidence {
            continue;
        }
        let p = hit.product;
        let source = format!("csaf:{}", p.tracking_id);
        for (vuln, status) in store.csaf_statuses(p.document_id, &p.product_id)? {
            if !AFFECTED.contains(&status.as_str()) {
                continue;
            }
            match found.get_mut(&vuln) {
                Some(f) => {
                    if !f.sources.contains(&source) {
                        f.sources.push(source.clone());
                    }
                }
                None => {
                    found.insert(
                        vuln.clone(),
                        Finding {
                            component: ComponentRef::of(c),
                            vulnerability: VulnRef {
                                id: vuln,
                                aliases: Vec::new(),
                            },
                            matched: MatchInfo {
                                method: Method::Advisory,
                                confidence: hit.confidence,
                                matched: format!(
                                    "{} {} {} ({status})",
                                    p.tracking_id, p.product_name, hit.covered_by
                                ),
                                evidence: hit.evidence.clone(),
                            },
                            platform_conditions: Vec::new(),
                            sources: vec![source.clone()],
                        },
                    );
                }
            }
        }
    }
    Ok(())
}

/// How sure a purl naming the OSV package is.
const OSV_CONFIDENCE: f64 = 0.97;

/// The version to match against CPE data of the upstream project: a
/// distribution package's version without epoch, repack tag and packaging
/// revision (`1:1.2.8.dfsg-2` → `1.2.8`, `1.0.2k-16.el7` → `1.0.2k`).
pub fn cpe_version(purl_type: Option<&str>, version: &str) -> String {
    let version = &crate::versions::vendor_version(version);
    match purl_type {
        Some("deb") => upstream_version(Scheme::Debian, version),
        Some("rpm") => upstream_version(Scheme::Rpm, version),
        Some("apk") => upstream_version(Scheme::Generic, alpine_upstream(version)),
        _ => upstream_version(Scheme::Generic, version),
    }
}

/// Alpine's `1.36.1-r2` without the package release `-r2`.
fn alpine_upstream(v: &str) -> &str {
    match v.rsplit_once("-r") {
        Some((up, rel)) if !rel.is_empty() && rel.bytes().all(|b| b.is_ascii_digit()) => up,
        _ => v,
    }
}

/// Adds an OSV record's finding, or its source to the finding that already
/// covers the same vulnerability under its id or any alias (a PYSEC record
/// aliasing a CVE found through its CPE). A new finding takes the record's
/// CVE alias as its id when it has one.
fn add_osv_finding(
    found: &mut BTreeMap<String, Finding>,
    c: &Component,
    rec: &VulnRecord,
    matched: MatchInfo,
) {
    let source = rec.source.key();
    let names: Vec<&str> = std::iter::once(rec.id.as_str())
        .chain(rec.aliases.iter().map(String::as_str))
        .collect();
    let existing = found.values_mut().find(|f| {
        names.contains(&f.vulnerability.id.as_str())
            || f.vulnerability
                .aliases
                .iter()
                .any(|a| names.contains(&a.as_str()))
    });
    if let Some(f) = existing {
        if !f.sources.contains(&source) {
            f.sources.push(source);
        }
        for n in names {
            if n != f.vulnerability.id && !f.vulnerability.aliases.iter().any(|a| a == n) {
                f.vulnerability.aliases.push(n.to_string());
            }
        }
        return;
    }
    let id = rec
        .aliases
        .iter()
        .find(|a| a.starts_with("CVE-"))
        .cloned()
        .unwrap_or_else(|| rec.id.clone());
    let aliases: Vec<String> = names
        .iter()
        .filter(|n| **n != id)
        .map(|n| n.to_string())
        .collect();
    found.insert(
        id.clone(),
        Finding {
            component: ComponentRef::of(c),
            vulnerability: VulnRef { id, aliases },
            matched,
            platform_conditions: Vec::new(),
            sources: vec![source],
        },
    );
}

#[cfg(test)]
mod tests {
    use super::cpe_version;

    #[test]
    fn distribution_versions_map_to_upstream() {
        assert_eq!(cpe_version(Some("deb"), "1.0.1f-1ubuntu2"), "1.0.1f");
        assert_eq!(cpe_version(Some("deb"), "1:1.2.8.dfsg-2"), "1.2.8");
        assert_eq!(cpe_version(Some("rpm"), "1.0.2k-16.el7"), "1.0.2k");
        assert_eq!(cpe_version(Some("rpm"), "1:1.0.2k-16.el7"), "1.0.2k");
        assert_eq!(cpe_version(Some("apk"), "1.36.1-r2"), "1.36.1");
        assert_eq!(cpe_version(Some("pypi"), "0.13"), "0.13");
        assert_eq!(cpe_version(None, "v2.8.1"), "2.8.1");
    }
}
