//! The portfolio: products' SBOMs kept in the store, their findings kept
//! current as intelligence arrives.
//!
//! Findings are stored per distinct component (see `kensa_store`'s
//! portfolio tables). After an import, [`rescan`] revisits only the
//! components the import can have changed:
//!
//! - components never scanned;
//! - components whose resolution changed (the dictionary grew a product
//!   they now resolve to, or vendor shares moved);
//! - components resolving to a vendor/product or OSV package that a new or
//!   updated record names, or named as a product of a new or updated CSAF
//!   advisory or CVE 5 `affected` entry;
//! - components holding a finding on a rewritten vulnerability (its new
//!   record may no longer cover them);
//! - after a name-mapping feed is imported or the team's aliases change,
//!   every component whose resolution they move.
//!
//! Every other component's findings cannot have changed: a finding needs a
//! record naming one of the component's candidates, and no such record was
//! written.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use kensa_model::{Component, Sbom};
use kensa_store::team::AuditEntry;
use kensa_store::{
    ChangeSet, ComponentResult, NewComponent, NewVersion, Store, StoreError, fingerprint,
};
use serde::Serialize;

use crate::scan::{
    ComponentOutcome, ComponentRef, Finding, Resolution, ScanOptions, ScanReport, Scanner,
    Unversioned,
};

/// What adding a product version did.
#[derive(Debug, Clone, Serialize)]
pub struct AddReport {
    pub product: String,
    pub version: String,
    pub components: usize,
    /// Components the portfolio did not hold before.
    pub new_components: usize,
    pub rescan: RescanReport,
}

/// What a rescan did, and what changed for which products.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RescanReport {
    /// Distinct components in the portfolio.
    pub components: usize,
    /// Components scanned again.
    pub rescanned: usize,
    /// The import the findings are now current with.
    pub through_import: i64,
    /// Vulnerabilities rewritten since the last rescan.
    pub changed_vulnerabilities: usize,
    pub new_findings: Vec<FindingChange>,
    pub resolved_findings: Vec<FindingChange>,
}

/// A finding that appeared or disappeared, and the products it concerns.
#[derive(Debug, Clone, Serialize)]
pub struct FindingChange {
    pub vulnerability: String,
    pub component: String,
    pub products: Vec<String>,
}

/// The identity of a component for matching: everything matching reads,
/// not where it sits in one SBOM.
pub fn identity(c: &Component) -> Result<i64, StoreError> {
    let mut key = c.clone();
    key.bom_ref.clear();
    key.parent = None;
    let json = serde_json::to_vec(&key).map_err(|source| StoreError::Encode {
        what: format!("component {}", c.name),
        source,
    })?;
    Ok(fingerprint(&json))
}

/// Stores a product version and brings the portfolio's findings up to date
/// (its new components, and anything an import since the last rescan
/// changed).
pub fn add_version(
    store: &mut Store,
    new: &NewVersion<'_>,
    sbom: &Sbom,
    replace: bool,
    opts: &ScanOptions,
    entry: AuditEntry,
) -> Result<AddReport, StoreError> {
    let new_components = store_version(store, new, sbom, replace, entry)?;
    let rescan = rescan(store, opts)?;
    Ok(AddReport {
        product: new.product.to_string(),
        version: new.version.to_string(),
        components: sbom.components.len(),
        new_components,
        rescan,
    })
}

/// Stores a product version without scanning it (a batch of versions is
/// stored first, then scanned by one [`rescan`]). Returns how many of its
/// components the portfolio did not hold before.
pub fn store_version(
    store: &mut Store,
    new: &NewVersion<'_>,
    sbom: &Sbom,
    replace: bool,
    entry: AuditEntry,
) -> Result<usize, StoreError> {
    Ok(store_versions(store, &[(new, sbom, entry)], replace)?[0])
}

/// Stores several product versions in one transaction, all or none (a
/// manifest). Returns, per version, how many of its components the
/// portfolio did not hold before. Until a [`rescan`] (or
/// [`complete_pending`]) matches them, the new components are pending.
/// Each version is audited with its entry, in the same transaction.
pub fn store_versions(
    store: &mut Store,
    versions: &[(&NewVersion<'_>, &Sbom, AuditEntry)],
    replace: bool,
) -> Result<Vec<usize>, StoreError> {
    let identities: Vec<Vec<i64>> = versions
        .iter()
        .map(|(_, sbom, _)| sbom.components.iter().map(identity).collect())
        .collect::<Result<_, _>>()?;
    #[allow(clippy::type_complexity)]
    let batch: Vec<(NewVersion<'_>, Vec<NewComponent<'_, Component>>, AuditEntry)> = versions
        .iter()
        .zip(&identities)
        .map(|((new, sbom, entry), ids)| {
            let components = sbom
                .components
                .iter()
                .zip(ids)
                .map(|(c, &identity)| NewComponent {
                    bom_ref: &c.bom_ref,
                    identity,
                    body: c,
                })
                .collect();
            (
                NewVersion {
                    product: new.product,
                    version: new.version,
                    origin: new.origin,
                    format: new.format,
                    sbom: new.sbom,
                    team: new.team,
                },
                components,
                entry.clone(),
            )
        })
        .collect();
    let added = store.add_product_versions(&batch, replace)?;
    Ok(added.into_iter().map(|(_, fresh)| fresh.len()).collect())
}

/// Matches the components stored but never matched (a `product add`
/// killed or failed while matching), without moving the portfolio's
/// cursor: what later imports changed is still a [`rescan`]'s to find.
/// `None` when nothing was pending.
pub fn complete_pending(
    store: &mut Store,
    opts: &ScanOptions,
) -> Result<Option<RescanReport>, StoreError> {
    if store.unscanned_component_count()? == 0 {
        return Ok(None);
    }
    let report = match store.portfolio_cursor()? {
        // Never scanned: a rescan has exactly these components to match.
        None => rescan(store, opts)?,
        Some(cursor) => rescan_with(
            store,
            opts,
            ChangeSet {
                through_import: cursor,
                ..ChangeSet::default()
            },
        )?,
    };
    Ok(Some(report))
}

/// Brings every stored component's findings up to date with the store's
/// intelligence, scanning only what the imports since the last rescan can
/// have changed (see the module documentation).
pub fn rescan(store: &mut Store, opts: &ScanOptions) -> Result<RescanReport, StoreError> {
    let latest = store.latest_import()?;
    let mut changes = match store.portfolio_cursor()? {
        Some(cursor) if cursor < latest => store.changes_since(cursor)?,
        // Up to date; or never scanned, so every component is new anyway.
        _ => ChangeSet {
            through_import: latest,
            ..ChangeSet::default()
        },
    };
    // The team's aliases changed since the findings were computed: every
    // component whose resolution they move is scanned again.
    let aliases = store.alias_revision()?;
    if aliases != store.portfolio_alias_revision()? {
        changes.names_changed = true;
    }
    let report = rescan_with(store, opts, changes)?;
    store.set_portfolio_alias_revision(aliases)?;
    Ok(report)
}

/// A rescan for the changes given; the cursor moves to their
/// `through_import`.
fn rescan_with(
    store: &mut Store,
    opts: &ScanOptions,
    changes: ChangeSet,
) -> Result<RescanReport, StoreError> {
    // With nothing imported since the last rescan, only components never
    // scanned can need it.
    let only_unscanned = changes.vulns.is_empty()
        && changes.affected_names.is_empty()
        && changes.cpe_pairs.is_empty()
        && changes.csaf_documents.is_empty()
        && !changes.names_changed;
    let components = store.components::<Component>(only_unscanned)?;
    let mut report = RescanReport {
        components: store.component_count()? as usize,
        through_import: changes.through_import,
        changed_vulnerabilities: changes.vulns.len(),
        ..RescanReport::default()
    };
    let holders: HashSet<i64> = store
        .components_with_findings_on(&changes.vulns)?
        .into_iter()
        .collect();
    let (results, before) = {
        let scanner = Scanner::new(store)?;
        let mut touched: Vec<(usize, i64)> = Vec::new();
        for (i, c) in components.iter().enumerate() {
            let resolution = scanner.resolution(&c.body, opts)?;
            let fp = resolution_fingerprint(&resolution);
            let stale = c.resolution != Some(fp)
                || holders.contains(&c.id)
                || touches(&resolution, &changes);
            if stale {
                touched.push((i, fp));
            }
        }
        let bodies: Vec<&Component> = touched.iter().map(|&(i, _)| &components[i].body).collect();
        let outcomes = scanner.scan_components(&bodies, opts)?;
        let ids: Vec<i64> = touched.iter().map(|&(i, _)| components[i].id).collect();
        let before = store.finding_ids(&ids)?;
        let results: Vec<ComponentResult<Unversioned, Finding>> = touched
            .iter()
            .zip(outcomes)
            .map(|(&(i, fp), outcome)| result_of(components[i].id, fp, outcome))
            .collect();
        (results, before)
    };
    report.rescanned = results.len();
    diff_findings(store, &results, &before, &components, &mut report)?;
    store.save_component_results(&results, changes.through_import)?;
    Ok(report)
}

/// Whether a record the imports wrote names what the component resolves to.
fn touches(r: &Resolution, changes: &ChangeSet) -> bool {
    if r.cpe_pairs.iter().any(|p| changes.cpe_pairs.contains(p))
        || r.advisories
            .iter()
            .any(|d| changes.csaf_documents.contains(d))
    {
        return true;
    }
    // The package index keeps OSV's spelling and release suffix
    // (`Debian:11`, `pyOpenSSL`); compare as the lookup does.
    r.package.as_ref().is_some_and(|(eco, name)| {
        std::iter::once(name).chain(&r.source_packages).any(|name| {
            changes.packages.iter().any(|(e, n)| {
                e.split(':').next() == Some(eco.as_str()) && n.eq_ignore_ascii_case(name)
            })
        })
    })
}

fn resolution_fingerprint(r: &Resolution) -> i64 {
    let mut text = String::new();
    for (v, p) in &r.cpe_pairs {
        text.push_str(v);
        text.push(':');
        text.push_str(p);
        text.push('\n');
    }
    if let Some((e, n)) = &r.package {
        text.push_str(e);
        text.push('/');
        text.push_str(n);
    }
    for d in &r.advisories {
        text.push_str(&format!("\ncsaf:{d}"));
    }
    fingerprint(text.as_bytes())
}

fn result_of(
    id: i64,
    resolution: i64,
    outcome: ComponentOutcome,
) -> ComponentResult<Unversioned, Finding> {
    match outcome {
        ComponentOutcome::Findings(findings) => ComponentResult {
            id,
            resolution,
            outcome: "findings",
            detail: None,
            findings: findings
                .into_iter()
                .map(|f| (f.vulnerability.id.clone(), f))
                .collect(),
        },
        ComponentOutcome::Unversioned(u) => ComponentResult {
            id,
            resolution,
            outcome: "unversioned",
            detail: Some(u),
            findings: Vec::new(),
        },
        ComponentOutcome::Unresolved(_) => ComponentResult {
            id,
            resolution,
            outcome: "unresolved",
            detail: None,
            findings: Vec::new(),
        },
    }
}

/// Records which findings the rescan added and removed, with the products
/// each concerns.
fn diff_findings(
    store: &Store,
    results: &[ComponentResult<Unversioned, Finding>],
    before: &std::collections::HashMap<i64, Vec<String>>,
    components: &[kensa_store::StoredComponent<Component>],
    report: &mut RescanReport,
) -> Result<(), StoreError> {
    let mut added: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut removed: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for r in results {
        let old: BTreeSet<&str> = before
            .get(&r.id)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let new: BTreeSet<&str> = r.findings.iter().map(|(v, _)| v.as_str()).collect();
        let plus: Vec<String> = new.difference(&old).map(|s| s.to_string()).collect();
        let minus: Vec<String> = old.difference(&new).map(|s| s.to_string()).collect();
        if !plus.is_empty() {
            added.insert(r.id, plus);
        }
        if !minus.is_empty() {
            removed.insert(r.id, minus);
        }
    }
    let ids: Vec<i64> = added.keys().chain(removed.keys()).copied().collect();
    let products = store.versions_containing(&ids)?;
    let by_id: std::collections::HashMap<i64, &Component> =
        components.iter().map(|c| (c.id, &c.body)).collect();
    let label = |id: i64| {
        by_id
            .get(&id)
            .map(|c| match &c.version {
                Some(v) => format!("{} {v}", c.name),
                None => c.name.clone(),
            })
            .unwrap_or_default()
    };
    let changes = |map: BTreeMap<i64, Vec<String>>| -> Vec<FindingChange> {
        let mut out = Vec::new();
        for (id, vulns) in map {
            for v in vulns {
                out.push(FindingChange {
                    vulnerability: v,
                    component: label(id),
                    products: products.get(&id).cloned().unwrap_or_default(),
                });
            }
        }
        out.sort_by(|a, b| {
            a.vulnerability
                .cmp(&b.vulnerability)
                .then(a.component.cmp(&b.component))
        });
        out
    };
    report.new_findings = changes(added);
    report.resolved_findings = changes(removed);
    Ok(())
}

/// A stored product version's findings as a scan report (bom-refs as in
/// its own SBOM). `None` when the product or version is unknown.
pub fn version_report(
    store: &Store,
    product: &str,
    version: Option<&str>,
) -> Result<Option<(String, ScanReport)>, StoreError> {
    let Some((version, rows)) =
        store.version_components::<Component, Unversioned, Finding>(product, version)?
    else {
        return Ok(None);
    };
    let n = rows.len();
    let outcomes = rows.into_iter().map(|row| {
        let mut component = ComponentRef::of(&row.body);
        component.bom_ref = row.bom_ref;
        match row.outcome.as_deref() {
            Some("unversioned") => match row.detail {
                Some(mut u) => {
                    u.component = component;
                    ComponentOutcome::Unversioned(u)
                }
                None => ComponentOutcome::Unresolved(component),
            },
            Some("findings") => ComponentOutcome::Findings(
                row.findings
                    .into_iter()
                    .map(|mut f: Finding| {
                        f.component = component.clone();
                        f
                    })
                    .collect(),
            ),
            _ => ComponentOutcome::Unresolved(component),
        }
    });
    Ok(Some((version, ScanReport::of(outcomes, n))))
}
