//! Scanning an SBOM: every component through name resolution, candidate
//! records and CPE applicability, into findings that say why.

use std::collections::BTreeMap;

use kensa_model::{Component, Sbom};
use kensa_store::{Store, StoreError};
use kensa_version::{Scheme, upstream_version};
use serde::Serialize;

use crate::applicability::{Target, evaluate};
use crate::resolve::{Candidate, Dictionary, Entry, Method};

#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    /// Candidates below this confidence are not matched.
    pub min_confidence: f64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            min_confidence: 0.0,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentRef {
    pub bom_ref: String,
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
}

impl ComponentRef {
    fn of(c: &Component) -> ComponentRef {
        ComponentRef {
            bom_ref: c.bom_ref.clone(),
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VulnRef {
    pub id: String,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MatchInfo {
    pub method: Method,
    pub confidence: f64,
    /// The criterion that covers the component (a CPE with its bounds).
    pub matched: String,
    pub evidence: String,
}

#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct Unversioned {
    pub component: ComponentRef,
    pub candidates: Vec<String>,
    pub products: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
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
    /// Components no known product matched: worth a CPE or purl in the SBOM.
    pub unresolved: Vec<ComponentRef>,
    pub summary: Summary,
}

/// Matches SBOMs against one store. Builds the product dictionary once;
/// loads a product's records only while a component that may be it is
/// scanned, so memory stays flat whatever the SBOM's size.
pub struct Scanner<'s> {
    store: &'s Store,
    dictionary: Dictionary,
}

impl<'s> Scanner<'s> {
    pub fn new(store: &'s Store) -> Result<Scanner<'s>, StoreError> {
        let entries = store.cpe_products()?.into_iter().map(|p| Entry {
            vendor: p.vendor,
            product: p.product,
            records: p.records,
        });
        Ok(Scanner {
            store,
            dictionary: Dictionary::new(entries),
        })
    }

    pub fn scan(&self, sbom: &Sbom, opts: &ScanOptions) -> Result<ScanReport, StoreError> {
        self.store.read(|_| self.scan_all(sbom, opts))
    }

    fn scan_all(&self, sbom: &Sbom, opts: &ScanOptions) -> Result<ScanReport, StoreError> {
        let mut report = ScanReport {
            findings: Vec::new(),
            unversioned: Vec::new(),
            unresolved: Vec::new(),
            summary: Summary::default(),
        };
        for c in &sbom.components {
            self.scan_component(c, opts, &mut report)?;
        }
        let s = &mut report.summary;
        s.components = sbom.components.len();
        s.unversioned = report.unversioned.len();
        s.unresolved = report.unresolved.len();
        s.findings = report.findings.len();
        let mut ids: Vec<&str> = report
            .findings
            .iter()
            .map(|f| f.vulnerability.id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        s.vulnerabilities = ids.len();
        let mut refs: Vec<&str> = report
            .findings
            .iter()
            .map(|f| f.component.bom_ref.as_str())
            .collect();
        refs.sort_unstable();
        refs.dedup();
        s.components_with_findings = refs.len();
        Ok(report)
    }

    fn scan_component(
        &self,
        c: &Component,
        opts: &ScanOptions,
        report: &mut ScanReport,
    ) -> Result<(), StoreError> {
        let candidates: Vec<Candidate> = self
            .dictionary
            .resolve(c)
            .into_iter()
            .filter(|cand| cand.confidence >= opts.min_confidence)
            .collect();
        if candidates.is_empty() {
            report.unresolved.push(ComponentRef::of(c));
            return Ok(());
        }
        let Some(version) = c
            .version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        else {
            return self.list_unversioned(c, &candidates, report);
        };
        let version = upstream_version(Scheme::Generic, version);
        // One finding per vulnerability: the best candidate explains it, and
        // every source that agrees is listed.
        let mut found: BTreeMap<String, Finding> = BTreeMap::new();
        for cand in &candidates {
            let target = Target {
                vendor: &cand.vendor,
                product: &cand.product,
                version: &version,
            };
            for rec in self
                .store
                .applicability_by_cpe(&cand.vendor, &cand.product)?
            {
                let Some(hit) = evaluate(&rec.configurations, &target).into_iter().next() else {
                    continue;
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
                                    confidence: cand.confidence,
                                    matched: hit.explanation.clone(),
                                    evidence: format!(
                                        "{}; version {version} is covered by {}",
                                        cand.evidence, hit.explanation
                                    ),
                                },
                                platform_conditions: hit.platform_conditions,
                                sources: vec![source],
                            },
                        );
                    }
                }
            }
        }
        report.findings.extend(found.into_values());
        Ok(())
    }

    fn list_unversioned(
        &self,
        c: &Component,
        candidates: &[Candidate],
        report: &mut ScanReport,
    ) -> Result<(), StoreError> {
        let mut ids: Vec<String> = Vec::new();
        for cand in candidates {
            ids.extend(
                self.store
                    .applicability_by_cpe(&cand.vendor, &cand.product)?
                    .into_iter()
                    .map(|r| r.id),
            );
        }
        ids.sort();
        ids.dedup();
        report.unversioned.push(Unversioned {
            component: ComponentRef::of(c),
            candidates: ids,
            products: candidates
                .iter()
                .map(|c| format!("{}:{}", c.vendor, c.product))
                .collect(),
        });
        Ok(())
    }
}
