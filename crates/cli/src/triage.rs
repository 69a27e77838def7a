//! How triage shows in the terminal: the table of triaged findings. The
//! triage itself (signals, verdicts, the stored queue) is in kensa-app.

use std::collections::BTreeMap;

use kensa_matching::ScanReport;
use kensa_triage::Triage;

pub use kensa_app::triage::{load_triager, sort_by_priority, triaged_report};

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
