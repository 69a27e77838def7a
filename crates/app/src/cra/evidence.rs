//! Cases Kensa opens itself: an exploited-vulnerability case opens as soon
//! as Kensa has evidence of active exploitation (CISA KEV, a CSAF
//! advisory's `exploit_status` that says so, or CISA ADP's SSVC
//! `Exploitation: active`) of a finding of a product on the EU market. It runs after every change that can bring such evidence
//! together: a rescan (after an import, an alias, a product version's
//! upload) and a product being marked as on the market.
//!
//! One case per product and vulnerability, on the product's newest version
//! (as `kensa cra open` without `--version`); a vulnerability that already
//! has a case in any version of the product gets no second one. The clocks
//! start as for a person's case opened on the same evidence: at the
//! evidence, never before the version was registered nor before Article 14
//! applies.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use kensa_report::cra::Kind;
use kensa_store::Store;
use kensa_triage::Triage;

use super::{CaseView, Evidence, registered_version, store_case, view};
use crate::access::{AUTOMATIC, Actor};
use crate::findings::{FindingFilter, product_findings};
use crate::{AppError, Result};

/// When and from where Kensa knows a vulnerability is actively exploited:
/// KEV's listing day (midnight UTC); else a CSAF advisory's statement (its
/// date, when it gives one); else CISA ADP's SSVC point, which carries no
/// date of its own (so `now`, when Kensa reads it).
pub(super) fn of_exploitation(t: &Triage, now: DateTime<Utc>) -> Option<(DateTime<Utc>, String)> {
    if let Some(k) = &t.kev {
        let day = NaiveDate::parse_from_str(&k.date_added, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?
            .and_utc();
        return Some((day, format!("CISA KEV (listed {})", k.date_added)));
    }
    if !t.actively_exploited() {
        return None;
    }
    match t.ssvc.evidence.get("exploitation").map(String::as_str) {
        Some("csaf") => {
            let e = t.exploit_statement.as_ref()?;
            let at = e
                .date
                .as_deref()
                .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                .map_or(now, |d| d.with_timezone(&Utc).min(now));
            let details: String = e.details.chars().take(300).collect();
            Some((at, format!("{} (exploit status: {details})", e.source)))
        }
        Some("cisa-adp") => Some((now, "CISA ADP SSVC: Exploitation active".to_string())),
        _ => None,
    }
}

/// Opens a case for every actively exploited finding of the newest version
/// of each product on the EU market (or of `only`) that has none yet;
/// returns the cases opened.
pub fn open_from_evidence(
    store: &mut Store,
    only: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<CaseView>> {
    let actor = Actor::automatic();
    let mut opened = Vec::new();
    for (product_id, name) in store.products_on_market()? {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let findings = match product_findings(store, &actor, &name, None, &FindingFilter::default())
        {
            Ok(f) => f,
            // On the market before its first version was uploaded.
            Err(AppError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        let mut has_case: HashSet<String> = store
            .cases(Some(&[product_id]))?
            .into_iter()
            .filter_map(|c| c.vulnerability.map(|v| v.to_ascii_uppercase()))
            .collect();
        let exploited: Vec<(String, DateTime<Utc>, String)> = findings
            .findings
            .iter()
            .filter_map(|f| {
                let (at, source) = of_exploitation(f.triage.as_ref()?, now)?;
                Some((f.finding.vulnerability.id.clone(), at, source))
            })
            .collect();
        if exploited.is_empty() {
            continue;
        }
        let (version, registered) = registered_version(store, &name, Some(&findings.version))?;
        let product = store
            .product_ref(&name)?
            .ok_or_else(|| AppError::NotFound(format!("no product {name}")))?;
        for (vuln, at, source) in exploited {
            if !has_case.insert(vuln.to_ascii_uppercase()) {
                continue;
            }
            let evidence = Evidence {
                kind: Kind::ExploitedVulnerability,
                vulnerability: Some(&vuln),
                summary: None,
                at,
                source: &source,
            };
            if let Some(c) = store_case(store, &actor, &product, &version, registered, &evidence)? {
                opened.push(view(c)?);
            }
        }
    }
    Ok(opened)
}

/// The cases Kensa opened itself at or after `since` that `actor` may see
/// (for commands to tell the user about the clocks that started).
pub fn opened_automatically_since(
    store: &Store,
    actor: &Actor,
    since: DateTime<Utc>,
) -> Result<Vec<CaseView>> {
    // Stored times have milliseconds.
    let since = since.trunc_subsecs(3);
    Ok(super::list(store, actor, None, Utc::now())?
        .into_iter()
        .filter(|c| {
            c.opened_by == AUTOMATIC
                && DateTime::parse_from_rfc3339(&c.opened_at)
                    .is_ok_and(|t| t.with_timezone(&Utc) >= since)
        })
        .collect())
}
