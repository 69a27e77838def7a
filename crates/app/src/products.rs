//! Products: adding a version's SBOM, listing what the actor may see,
//! removing, and keeping findings current (rescan with triage).

use kensa_matching::ScanOptions;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use kensa_matching::portfolio::{self, RescanReport};
use kensa_model::Sbom;
use kensa_model::team::Role;
use kensa_store::{FindingCounts, NewVersion, Store, VersionSummary};
use serde::Serialize;

use crate::access::{self, Actor};
use crate::page::{self, Page};
use crate::{AppError, Result};

/// A product version to add.
pub struct AddVersion<'a> {
    pub product: &'a str,
    pub version: &'a str,
    /// The SBOM as given: any format `kensa scan` reads.
    pub sbom: &'a [u8],
    /// Where it came from (a path, an upload).
    pub origin: &'a str,
    /// Put the product in this team.
    pub team: Option<&'a str>,
    /// Replace a version already stored.
    pub replace: bool,
    /// Validate the SBOM against its specification's schema.
    pub strict: bool,
    /// The SBOM already parsed by the caller (who read it with its own
    /// limits and messages); `None` parses `sbom`.
    pub parsed: Option<&'a Sbom>,
}

/// What adding a version did.
#[derive(Debug, Clone, Serialize)]
pub struct Added {
    pub product: String,
    pub version: String,
    pub components: usize,
    /// Components the portfolio did not hold before.
    pub new_components: usize,
    /// What the SBOM reader warned about.
    pub warnings: Vec<String>,
    /// The rescan that matched it; `None` when the caller defers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rescan: Option<RescanReport>,
}

/// How far long work has come, for progress displays.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub stage: &'static str,
    pub done: usize,
    pub total: usize,
}

/// Checks a product or version name from outside.
pub fn check_label(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > 200 || value.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            "must be at most 200 characters, without control characters",
        ));
    }
    Ok(())
}

/// Who may add a version: the product's admins; for a new product, global
/// admins or the admins of the team it goes to. Moving a product to a team
/// needs admin rights there too.
pub fn authorise_add(
    store: &Store,
    actor: &Actor,
    product: &str,
    team: Option<&str>,
) -> Result<()> {
    let team_admin = |team: &str| -> Result<bool> {
        let id = store.team_id(team)?;
        Ok(actor.role_on_team(id) == Some(Role::Admin))
    };
    if store.product_ref(product)?.is_some() {
        access::product(store, actor, product, Role::Admin)?;
        if let Some(t) = team
            && !team_admin(t)?
        {
            return Err(AppError::Forbidden(format!(
                "moving {product} to team {t} needs the admin role on that team"
            )));
        }
        return Ok(());
    }
    if actor.is_global_admin() {
        if let Some(t) = team {
            store.team_id(t)?;
        }
        return Ok(());
    }
    match team {
        Some(t) if team_admin(t)? => Ok(()),
        Some(t) => Err(AppError::Forbidden(format!(
            "creating a product in team {t} needs the admin role on that team"
        ))),
        None => Err(AppError::Forbidden(format!(
            "there is no product {product}; creating one needs a global admin grant, \
             or the admin role on the team given with `team`"
        ))),
    }
}

/// Stores a product version's SBOM; with `rescan`, matches it at once
/// (a batch stores every version first, then rescans once).
pub fn add_version(
    store: &mut Store,
    actor: &Actor,
    new: &AddVersion<'_>,
    rescan: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Added> {
    add_versions(store, actor, std::slice::from_ref(new), rescan, progress)
        .map(|mut v| v.remove(0))
        .map_err(|e| e.error)
}

/// Why a batch of versions was refused: the error, and which version it is
/// about (`None` when the store refused the batch as a whole).
#[derive(Debug)]
pub struct BatchError {
    pub index: Option<usize>,
    pub error: AppError,
}

/// Stores several versions all or none (a manifest): every one is checked
/// and its SBOM parsed before anything is stored, then all go in one
/// transaction, each audited; with `rescan`, they are matched in one pass.
pub fn add_versions(
    store: &mut Store,
    actor: &Actor,
    batch: &[AddVersion<'_>],
    rescan: bool,
    progress: &(dyn Fn(Progress) + Sync),
) -> std::result::Result<Vec<Added>, BatchError> {
    let at = |index: usize| {
        move |error: AppError| BatchError {
            index: Some(index),
            error,
        }
    };
    progress(Progress {
        stage: "reading the SBOM",
        done: 0,
        total: 0,
    });
    let mut parsed: Vec<std::borrow::Cow<'_, Sbom>> = Vec::with_capacity(batch.len());
    for (i, new) in batch.iter().enumerate() {
        check_label("product", new.product).map_err(at(i))?;
        check_label("version", new.version).map_err(at(i))?;
        authorise_add(store, actor, new.product, new.team).map_err(at(i))?;
        let sbom = match new.parsed {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(parse_sbom(new).map_err(at(i))?),
        };
        parsed.push(sbom);
    }
    let components: usize = parsed.iter().map(|s| s.components.len()).sum();
    progress(Progress {
        stage: "storing components",
        done: 0,
        total: components,
    });
    let formats: Vec<String> = parsed.iter().map(|s| format!("{:?}", s.format)).collect();
    let versions: Vec<NewVersion<'_>> = batch
        .iter()
        .zip(&formats)
        .map(|(new, format)| NewVersion {
            product: new.product,
            version: new.version,
            origin: new.origin,
            format,
            sbom: new.sbom,
            team: new.team,
        })
        .collect();
    let rows: Vec<(&NewVersion<'_>, &Sbom, kensa_store::team::AuditEntry)> = versions
        .iter()
        .zip(&parsed)
        .map(|(v, sbom)| {
            let entry = actor.entry(
                "product.version.add",
                format!("product:{}@{}", v.product, v.version),
            );
            (v, sbom.as_ref(), entry)
        })
        .collect();
    let fresh =
        portfolio::store_versions(store, &rows, batch.iter().any(|b| b.replace)).map_err(|e| {
            BatchError {
                index: None,
                error: match e {
                    kensa_store::StoreError::Conflict(m) => AppError::Conflict(m),
                    e => e.into(),
                },
            }
        })?;
    let mut report = if rescan {
        let expected = fresh.iter().sum();
        Some(
            rescan_reporting(store, expected, progress)
                .map_err(|error| BatchError { index: None, error })?,
        )
    } else {
        None
    };
    Ok(batch
        .iter()
        .zip(parsed.iter().zip(fresh))
        .map(|(new, (sbom, new_components))| Added {
            product: new.product.to_string(),
            version: new.version.to_string(),
            components: sbom.components.len(),
            new_components,
            warnings: sbom.warnings.iter().map(|w| w.to_string()).collect(),
            rescan: report.take(),
        })
        .collect())
}

/// Completes a version an interrupted run already stored with this very
/// SBOM: matches what it left unmatched, stores nothing twice.
pub fn resume_add(store: &mut Store, actor: &Actor, new: &AddVersion<'_>) -> Result<Added> {
    authorise_add(store, actor, new.product, new.team)?;
    let sbom = parse_sbom(new)?;
    let report = rescan_portfolio(store)?;
    let mut warnings: Vec<String> = sbom.warnings.iter().map(|w| w.to_string()).collect();
    warnings.push("resumed: an earlier attempt stored this version and was interrupted".into());
    Ok(Added {
        product: new.product.to_string(),
        version: new.version.to_string(),
        components: sbom.components.len(),
        new_components: 0,
        warnings,
        rescan: Some(report),
    })
}

/// Bytes that are not even JSON or XML are bad input; a document that
/// parses but is no SBOM (or breaks its schema) is an invalid value.
fn parse_sbom(new: &AddVersion<'_>) -> Result<Sbom> {
    let opts = if new.strict {
        kensa_sbom::ParseOptions::strict()
    } else {
        kensa_sbom::ParseOptions::default()
    };
    kensa_sbom::parse(new.sbom, &opts).map_err(|e| match e {
        kensa_sbom::SbomError::Syntax { .. } => AppError::BadInput(e.to_string()),
        e => AppError::invalid("sbom", e.to_string()),
    })
}

/// Brings every product's findings up to date with the database, then the
/// stored triage that ranks the queue.
pub fn rescan_portfolio(store: &mut Store) -> Result<RescanReport> {
    let report = portfolio::rescan(store, &ScanOptions::default())?;
    findings_changed(store)?;
    Ok(report)
}

/// What follows new findings: the stored triage that ranks the queue, and
/// the CRA cases their evidence of exploitation opens.
fn findings_changed(store: &mut Store) -> Result<()> {
    crate::triage::refresh_stored_triage(store)?;
    crate::cra::open_from_evidence(store, None, chrono::Utc::now())?;
    Ok(())
}

/// [`rescan_portfolio`], telling `progress` how many of about `expected`
/// components are matched, a few times a second.
fn rescan_reporting(
    store: &mut Store,
    expected: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<RescanReport> {
    let counter = Arc::new(AtomicUsize::new(0));
    let opts = ScanOptions {
        progress: Some(counter.clone()),
        ..ScanOptions::default()
    };
    let (stop, stopped) = mpsc::channel::<()>();
    let report = std::thread::scope(|s| {
        let counter = &counter;
        s.spawn(move || {
            loop {
                progress(Progress {
                    stage: "matching components",
                    done: counter.load(Ordering::Relaxed).min(expected),
                    total: expected,
                });
                // Ends at once when the rescan drops `stop`.
                match stopped.recv_timeout(Duration::from_millis(300)) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
        });
        let report = portfolio::rescan(store, &opts);
        drop(stop);
        report
    })?;
    progress(Progress {
        stage: "ranking findings",
        done: expected,
        total: expected,
    });
    findings_changed(store)?;
    Ok(report)
}

/// A product as lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct ProductOverview {
    pub name: String,
    pub team: Option<String>,
    /// The asker's role on it.
    pub role: Role,
    pub versions: Vec<VersionSummary>,
    /// Counts of the newest version's findings.
    pub counts: FindingCounts,
}

/// A page of the products the actor may see, by name, each with its
/// newest version's finding counts (counted for the page only: across a
/// large portfolio that is hundreds of thousands of findings).
pub fn list(
    store: &Store,
    actor: &Actor,
    after: Option<&str>,
    limit: Option<usize>,
) -> Result<Page<ProductOverview>> {
    let limit = page::limit(limit)?;
    let mut visible: Vec<_> = access::visible_products(store, actor)?
        .into_iter()
        .filter(|(p, _)| after.is_none_or(|a| p.name.as_str() > a))
        .take(limit + 1)
        .collect();
    let more = visible.len() > limit;
    visible.truncate(limit);
    let ids: Vec<i64> = visible.iter().map(|(p, _)| p.id).collect();
    let names: Vec<&str> = visible.iter().map(|(p, _)| p.name.as_str()).collect();
    let mut counts = store.finding_counts(&ids)?;
    let mut versions: std::collections::HashMap<String, Vec<VersionSummary>> = store
        .portfolio_products(Some(&names))?
        .into_iter()
        .map(|p| (p.name, p.versions))
        .collect();
    let next_cursor = more
        .then(|| visible.last().map(|(p, _)| page::encode_cursor(&[&p.name])))
        .flatten();
    let items = visible
        .into_iter()
        .map(|(p, role)| ProductOverview {
            counts: counts.remove(&p.id).unwrap_or_default(),
            versions: versions.remove(&p.name).unwrap_or_default(),
            name: p.name,
            team: p.team,
            role,
        })
        .collect();
    Ok(Page { items, next_cursor })
}

/// One product the actor may see.
pub fn get(store: &Store, actor: &Actor, name: &str) -> Result<ProductOverview> {
    let (p, role) = access::product(store, actor, name, Role::Viewer)?;
    let counts = store
        .finding_counts(&[p.id])?
        .remove(&p.id)
        .unwrap_or_default();
    let versions = store
        .portfolio_products(Some(&[p.name.as_str()]))?
        .into_iter()
        .next()
        .map(|x| x.versions)
        .unwrap_or_default();
    Ok(ProductOverview {
        name: p.name,
        team: p.team,
        role,
        versions,
        counts,
    })
}

/// Removes a version, or the whole product (with its grants and
/// assessments; the audit trail keeps what they were).
pub fn remove(
    store: &mut Store,
    actor: &Actor,
    name: &str,
    version: Option<&str>,
) -> Result<usize> {
    access::product(store, actor, name, Role::Admin)?;
    let object = match version {
        Some(v) => format!("product:{name}@{v}"),
        None => format!("product:{name}"),
    };
    let n = store.remove_product(name, version, actor.entry("product.remove", object))?;
    if n == 0 {
        return Err(AppError::NotFound(format!(
            "no version {} of product {name}",
            version.unwrap_or("")
        )));
    }
    Ok(n)
}
