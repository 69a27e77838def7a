//! Triage of findings: each distinct vulnerability's signals from the
//! store, one `kensa-triage` verdict per vulnerability, and the stored
//! triage (default profile) that ranks the portfolio's queue.

use std::collections::BTreeMap;
use std::path::Path;

use kensa_matching::{Finding, ScanReport};
use kensa_store::{Store, TriageRow};
use kensa_triage::signals::RecordSignals;
use kensa_triage::{Profile, Signals, Triage, Triager};
use serde::Serialize;

use crate::{AppError, Result};

/// The product profile's triager, or conservative defaults without one.
pub fn load_triager(profile: Option<&Path>) -> Result<Triager> {
    let Some(path) = profile else {
        return Ok(Triager::default());
    };
    let profile = Profile::load(path).map_err(|e| AppError::BadInput(e.to_string()))?;
    Triager::new(profile)
        .map_err(|e| AppError::BadInput(format!("profile {}: {e}", path.display())))
}

/// One verdict per distinct vulnerability of the findings. Many are spread
/// over the machine's cores, each worker with its own read connection and
/// one read transaction, as the scanner does.
pub fn triage_findings<'f>(
    store: &Store,
    findings: impl IntoIterator<Item = &'f Finding>,
    triager: &Triager,
) -> Result<BTreeMap<String, Triage>> {
    let mut distinct: BTreeMap<&str, &[String]> = BTreeMap::new();
    for f in findings {
        distinct
            .entry(&f.vulnerability.id)
            .or_insert(&f.vulnerability.aliases);
    }
    let vulns: Vec<(&str, &[String])> = distinct.into_iter().collect();
    triage_vulns(store, &vulns, triager)
}

fn triage_vulns(
    store: &Store,
    vulns: &[(&str, &[String])],
    triager: &Triager,
) -> Result<BTreeMap<String, Triage>> {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let mut readers = Vec::new();
    for _ in 1..cores.min(vulns.len() / 256 + 1) {
        match store.reader()? {
            Some(r) => readers.push(r),
            None => break,
        }
    }
    let chunk = vulns.len().div_ceil(readers.len() + 1).max(1);
    let mut shares = vulns.chunks(chunk);
    let first = shares.next().unwrap_or(&[]);
    std::thread::scope(|scope| {
        let handles: Vec<_> = readers
            .into_iter()
            .zip(shares)
            .map(|(reader, share)| scope.spawn(move || triage_share(&reader, share, triager)))
            .collect();
        let mut out = triage_share(store, first, triager)?;
        for h in handles {
            let part = h
                .join()
                .map_err(|_| AppError::BadInput("a triage worker crashed".into()))??;
            out.extend(part);
        }
        Ok(out)
    })
}

fn triage_share(
    store: &Store,
    vulns: &[(&str, &[String])],
    triager: &Triager,
) -> Result<BTreeMap<String, Triage>> {
    store.read(|store| {
        let mut out = BTreeMap::new();
        for (id, aliases) in vulns {
            let signals = signals(store, id, aliases)?;
            out.insert(id.to_string(), triager.triage(&signals));
        }
        Ok(out)
    })
}

/// The triage fields of the vulnerability's records, its KEV entry and EPSS
/// score. An OSV finding (GHSA-…) borrows the feeds and records of its CVE
/// aliases, which is where KEV and EPSS are keyed.
pub fn signals(store: &Store, id: &str, aliases: &[String]) -> Result<Signals> {
    let mut records: Vec<RecordSignals> = Vec::new();
    let (mut kev, mut epss) = (None, None);
    let mut statements = Vec::new();
    let cve_aliases = aliases.iter().filter(|a| a.starts_with("CVE-") && *a != id);
    for vid in std::iter::once(id).chain(cve_aliases.map(String::as_str)) {
        let facts = store.record_facts(vid)?;
        records.extend(facts.into_iter().map(|f| {
            RecordSignals {
                cvss: f.cvss,
                // Triage reads the CWE ids only; the derived table keeps no source.
                weaknesses: f
                    .cwes
                    .into_iter()
                    .map(|cwe| kensa_model::Weakness {
                        source: String::new(),
                        cwe,
                    })
                    .collect(),
                ssvc: f.ssvc,
            }
        }));
        kev = kev.or(store.kev(vid)?);
        epss = epss.or(store.epss(vid)?);
        for (advisory, s) in store.exploit_statements(vid)? {
            statements.push(kensa_triage::exploit::ExploitStatement {
                source: format!("CSAF {advisory}"),
                date: s.date,
                details: s.details,
            });
        }
    }
    let mut signals = Signals::from_parts(id, records, kev, epss);
    signals.exploit_statements = statements;
    Ok(signals)
}

/// Highest priority first; equal priorities keep the SBOM's order.
pub fn sort_by_priority(report: &mut ScanReport, triages: &BTreeMap<String, Triage>) {
    let priority = |f: &Finding| triages.get(&f.vulnerability.id).map_or(0, |t| t.priority);
    report
        .findings
        .sort_by_key(|f| std::cmp::Reverse(priority(f)));
}

/// Brings the stored triage (default profile) up to date with the
/// portfolio's findings: everything again when intelligence was imported
/// since it was computed (KEV, EPSS and CVSS move priorities), else only
/// vulnerabilities that have no triage yet.
pub fn refresh_stored_triage(store: &mut Store) -> Result<usize> {
    let latest = store.latest_import()?;
    let full = store.triage_cursor()? != Some(latest);
    let vulns: Vec<(String, Finding)> = store.finding_vulns(!full)?;
    if vulns.is_empty() && !full {
        return Ok(0);
    }
    let keys: Vec<(&str, &[String])> = vulns
        .iter()
        .map(|(id, f)| (id.as_str(), f.vulnerability.aliases.as_slice()))
        .collect();
    let triages = triage_vulns(store, &keys, &Triager::default())?;
    let rows: Vec<TriageRow<'_, Triage>> = triages
        .iter()
        .map(|(id, t)| TriageRow {
            vuln_id: id,
            priority: t.priority,
            decision: &t.ssvc.decision,
            kev: t.kev.is_some(),
            body: t,
        })
        .collect();
    store.store_triage(&rows, full, latest)?;
    Ok(rows.len())
}

/// A finding as `kensa scan --format json` prints it: the match, and the
/// triage of its vulnerability.
#[derive(Debug, Serialize)]
pub struct TriagedFinding<'r> {
    #[serde(flatten)]
    pub finding: &'r Finding,
    pub triage: Option<&'r Triage>,
}

/// A scan report with triage, as `kensa scan --format json` prints it.
#[derive(Serialize)]
pub struct TriagedReport<'r> {
    pub findings: Vec<TriagedFinding<'r>>,
    pub unversioned: &'r [kensa_matching::scan::Unversioned],
    pub unresolved: &'r [kensa_matching::scan::Unresolved],
    pub summary: &'r kensa_matching::scan::Summary,
    /// Which tree decided and which table it read.
    pub triage: TriageSettings<'r>,
}

#[derive(Serialize)]
pub struct TriageSettings<'r> {
    pub tree: &'static str,
    pub table: &'r str,
    pub profile: Option<String>,
}

pub fn triaged_report<'r>(
    report: &'r ScanReport,
    triages: &'r BTreeMap<String, Triage>,
    triager: &'r Triager,
    profile: Option<&Path>,
) -> TriagedReport<'r> {
    TriagedReport {
        findings: report
            .findings
            .iter()
            .map(|f| TriagedFinding {
                finding: f,
                triage: triages.get(&f.vulnerability.id),
            })
            .collect(),
        unversioned: &report.unversioned,
        unresolved: &report.unresolved,
        summary: &report.summary,
        triage: TriageSettings {
            tree: triager.table().kind().as_str(),
            table: triager.table().origin(),
            profile: profile.map(|p| p.display().to_string()),
        },
    }
}
