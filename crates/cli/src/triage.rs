//! Triage of scan findings: the signals of each distinct vulnerability
//! from the store, one `kensa-triage` verdict per vulnerability, findings
//! ordered by priority, and the outputs that show it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use kensa_matching::{Finding, ScanReport};
use kensa_store::Store;
use kensa_triage::signals::RecordSignals;
use kensa_triage::{Profile, Signals, Triage, Triager};
use serde::Serialize;

/// The product profile's triager, or conservative defaults without one.
pub fn load_triager(profile: Option<&Path>) -> Result<Triager> {
    let Some(path) = profile else {
        return Ok(Triager::default());
    };
    let profile = Profile::load(path)?;
    Triager::new(profile).with_context(|| format!("profile {}", path.display()))
}

/// One verdict per distinct vulnerability of the report. Large reports are
/// spread over the machine's cores, each worker with its own read
/// connection and one read transaction, as the scanner does.
pub fn triage_findings(
    store: &Store,
    report: &ScanReport,
    triager: &Triager,
) -> Result<BTreeMap<String, Triage>> {
    let mut distinct: BTreeMap<&str, &[String]> = BTreeMap::new();
    for f in &report.findings {
        distinct
            .entry(&f.vulnerability.id)
            .or_insert(&f.vulnerability.aliases);
    }
    let vulns: Vec<(&str, &[String])> = distinct.into_iter().collect();
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
                .map_err(|_| anyhow::anyhow!("a triage worker crashed"))??;
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
    let cve_aliases = aliases.iter().filter(|a| a.starts_with("CVE-") && *a != id);
    for vid in std::iter::once(id).chain(cve_aliases.map(String::as_str)) {
        let facts = store
            .record_facts(vid)
            .with_context(|| format!("reading {vid} for triage"))?;
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
    }
    Ok(Signals::from_parts(id, records, kev, epss))
}

/// Highest priority first; equal priorities keep the SBOM's order.
pub fn sort_by_priority(report: &mut ScanReport, triages: &BTreeMap<String, Triage>) {
    let priority = |f: &Finding| triages.get(&f.vulnerability.id).map_or(0, |t| t.priority);
    report
        .findings
        .sort_by_key(|f| std::cmp::Reverse(priority(f)));
}

#[derive(Serialize)]
pub struct TriagedReport<'r> {
    pub findings: Vec<TriagedFinding<'r>>,
    pub unversioned: &'r [kensa_matching::scan::Unversioned],
    pub unresolved: &'r [kensa_matching::scan::ComponentRef],
    pub summary: &'r kensa_matching::scan::Summary,
    /// Which tree decided and which table it read.
    pub triage: TriageSettings<'r>,
}

#[derive(Serialize)]
pub struct TriagedFinding<'r> {
    #[serde(flatten)]
    pub finding: &'r Finding,
    pub triage: Option<&'r Triage>,
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

/// The reason that best explains the priority: the exploitation evidence
/// when there is some, else the CVSS.
fn headline(t: &Triage) -> &str {
    let exploited = t
        .ssvc
        .points
        .get("exploitation")
        .is_some_and(|e| e != "none");
    let pick = if exploited {
        t.reasons.first()
    } else {
        t.reasons
            .iter()
            .find(|r| r.starts_with("CVSS"))
            .or(t.reasons.first())
    };
    pick.map_or("", String::as_str)
}

/// One line per finding, most urgent first: priority, SSVC decision,
/// vulnerability, component, and the first reason.
pub fn render_triaged_table(r: &ScanReport, triages: &BTreeMap<String, Triage>) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    if !r.findings.is_empty() {
        let _ = writeln!(
            o,
            "{:>4}  {:<13} {:<16} {:<28} why",
            "PRIO", "DECISION", "VULNERABILITY", "COMPONENT"
        );
    }
    use crate::term::field;
    for f in &r.findings {
        let t = triages.get(&f.vulnerability.id);
        let component = format!(
            "{} {}",
            field(&f.component.name),
            field(f.component.version.as_deref().unwrap_or(""))
        );
        let _ = writeln!(
            o,
            "{:>4}  {:<13} {:<16} {:<28} {}",
            t.map_or(String::from("-"), |t| t.priority.to_string()),
            t.map_or("-", |t| t.ssvc.decision.as_str()),
            field(&f.vulnerability.id),
            component,
            field(t.map_or("", headline)),
        );
        for p in &f.platform_conditions {
            let _ = writeln!(o, "{:>49} only if {}", "", field(&p.to_string()));
        }
    }
    let table = crate::scan::render_table(&ScanReport {
        findings: Vec::new(),
        ..r.clone()
    });
    // The untriaged renderer's trailer: unversioned, unresolved, summary.
    o.push_str(&table);
    o
}
