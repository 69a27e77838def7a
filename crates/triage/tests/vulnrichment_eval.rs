//! The SSVC decisions Kensa reaches over CISA's vulnrichment records
//! (`../shared/data/vuln/cisa-vulnrichment`), compared with what CISA
//! publishes there. Ignored by default (a few seconds; figures for
//! docs/TRIAGE.md):
//!
//! `cargo test -p kensa-triage --test vulnrichment_eval -- --ignored --nocapture`
//!
//! CISA's ADP publishes the three decision points (Exploitation,
//! Automatable, Technical Impact) but no decision; Mission & Well-being is
//! the deployer's own, so the coordinator tree is evaluated at each of its
//! three levels. Also measured: how often Kensa's CVSS-based fallbacks for
//! Automatable and Technical Impact agree with CISA's judgement, and
//! whether ADP KEV markers agree with Exploitation "active".

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;

use kensa_model::{CvssMetric, Ssvc};
use kensa_triage::profile::{MissionPrevalence, SafetyImpact};
use kensa_triage::ssvc::TreeKind;
use kensa_triage::{Profile, Signals, Triager};
use serde_json::Value;

fn cvss_of(metrics: &Value, source: &str, out: &mut Vec<CvssMetric>) {
    for m in metrics.as_array().into_iter().flatten() {
        for (key, version) in [
            ("cvssV4_0", "4.0"),
            ("cvssV3_1", "3.1"),
            ("cvssV3_0", "3.0"),
            ("cvssV2_0", "2.0"),
        ] {
            if let Some(v) = m[key]["vectorString"].as_str() {
                out.push(CvssMetric {
                    source: source.into(),
                    version: version.into(),
                    vector: v.into(),
                    base_score: m[key]["baseScore"].as_f64(),
                    base_severity: None,
                    kind: None,
                });
            }
        }
    }
}

struct Record {
    signals: Signals,
    kev_marker: bool,
    cisa_decision: Option<String>,
}

fn record(doc: &Value) -> Option<Record> {
    let id = doc["cveMetadata"]["cveId"].as_str()?.to_string();
    let mut cvss = Vec::new();
    cvss_of(&doc["containers"]["cna"]["metrics"], "cna", &mut cvss);
    let mut ssvc = None;
    let mut kev_marker = false;
    let mut cisa_decision = None;
    for adp in doc["containers"]["adp"].as_array().into_iter().flatten() {
        cvss_of(&adp["metrics"], "adp", &mut cvss);
        for m in adp["metrics"].as_array().into_iter().flatten() {
            match m["other"]["type"].as_str() {
                Some("kev") => kev_marker = true,
                Some("ssvc") => {
                    let mut s = Ssvc::default();
                    for option in m["other"]["content"]["options"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        for (k, v) in option.as_object().into_iter().flatten() {
                            let v = v.as_str().map(str::to_string);
                            match k.as_str() {
                                "Exploitation" => s.exploitation = v,
                                "Automatable" => s.automatable = v,
                                "Technical Impact" => s.technical_impact = v,
                                "Decision" => cisa_decision = v,
                                _ => {}
                            }
                        }
                    }
                    ssvc = Some(s);
                }
                _ => {}
            }
        }
    }
    Some(Record {
        signals: Signals {
            id,
            cvss,
            ssvc: Some(ssvc?),
            ..Signals::default()
        },
        kev_marker,
        cisa_decision,
    })
}

fn profile(tree: TreeKind, prevalence: MissionPrevalence) -> Profile {
    let mut p = Profile::default();
    p.ssvc.tree = tree;
    p.mission_prevalence = Some(prevalence);
    p.safety_impact = Some(SafetyImpact::None);
    p
}

#[test]
#[ignore = "evaluation over 44,000 records; run with --ignored --nocapture"]
fn ssvc_decisions_over_cisa_vulnrichment() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/vuln/cisa-vulnrichment/vulnrichment-cve5.jsonl.gz");
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!("SKIP: {} is absent", path.display());
        return;
    };
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let records: Vec<Record> = reader
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(&l.ok()?).ok())
        .filter_map(|d| record(&d))
        .collect();
    println!("records with CISA ADP SSVC points: {}", records.len());

    let mut points: BTreeMap<String, u64> = BTreeMap::new();
    for r in &records {
        let s = r.signals.ssvc.as_ref().unwrap();
        for (k, v) in [
            ("exploitation", &s.exploitation),
            ("automatable", &s.automatable),
            ("technical_impact", &s.technical_impact),
        ] {
            *points
                .entry(format!(
                    "{k}={}",
                    v.as_deref().unwrap_or("-").to_lowercase()
                ))
                .or_default() += 1;
        }
    }
    println!("decision points as published: {points:?}");

    let configs = [
        (
            "cisa-coordinator, mission & well-being low",
            TreeKind::Coordinator,
            MissionPrevalence::Minimal,
        ),
        (
            "cisa-coordinator, mission & well-being medium",
            TreeKind::Coordinator,
            MissionPrevalence::Support,
        ),
        (
            "cisa-coordinator, mission & well-being high",
            TreeKind::Coordinator,
            MissionPrevalence::Essential,
        ),
        (
            "supplier, default profile",
            TreeKind::Supplier,
            MissionPrevalence::Essential,
        ),
        (
            "deployer, default profile",
            TreeKind::Deployer,
            MissionPrevalence::Essential,
        ),
    ];
    for (label, tree, prevalence) in configs {
        let mut p = profile(tree, prevalence);
        if tree != TreeKind::Coordinator {
            p.safety_impact = None;
        }
        let triager = Triager::new(p).unwrap();
        let mut decisions: BTreeMap<String, u64> = BTreeMap::new();
        let mut priority_sum = 0u64;
        for r in &records {
            let t = triager.triage(&r.signals);
            *decisions.entry(t.ssvc.decision.clone()).or_default() += 1;
            priority_sum += u64::from(t.priority);
        }
        let total = records.len() as f64;
        let shares: Vec<String> = tree
            .outcomes()
            .iter()
            .map(|o| {
                let n = decisions.get(*o).copied().unwrap_or(0);
                format!("{o} {n} ({:.1}%)", 100.0 * n as f64 / total)
            })
            .collect();
        println!(
            "{label}: {}; mean priority {:.1}",
            shares.join(", "),
            priority_sum as f64 / total
        );
        assert_eq!(decisions.values().sum::<u64>(), records.len() as u64);
    }

    let with_decision = records.iter().filter(|r| r.cisa_decision.is_some()).count();
    println!("records where CISA publishes a decision: {with_decision}");

    // Kensa's fallbacks (used when ADP gives no point) against CISA's points.
    let no_adp = Triager::new(profile(TreeKind::Coordinator, MissionPrevalence::Support)).unwrap();
    let (mut auto_agree, mut auto_n, mut ti_agree, mut ti_n) = (0, 0, 0, 0);
    for r in &records {
        let published = r.signals.ssvc.as_ref().unwrap();
        let mut bare = r.signals.clone();
        bare.ssvc = None;
        let t = no_adp.triage(&bare);
        if t.ssvc.evidence["automatable"] == "cvss"
            && let Some(a) = &published.automatable
        {
            auto_n += 1;
            auto_agree += usize::from(t.ssvc.points["automatable"].eq_ignore_ascii_case(a));
        }
        if t.ssvc.evidence["technical_impact"] == "cvss"
            && let Some(ti) = &published.technical_impact
        {
            ti_n += 1;
            ti_agree += usize::from(t.ssvc.points["technical_impact"].eq_ignore_ascii_case(ti));
        }
    }
    println!(
        "CVSS fallback agrees with CISA: automatable {auto_agree}/{auto_n} ({:.1}%), technical impact {ti_agree}/{ti_n} ({:.1}%)",
        100.0 * auto_agree as f64 / auto_n.max(1) as f64,
        100.0 * ti_agree as f64 / ti_n.max(1) as f64
    );

    let kev_marked = records.iter().filter(|r| r.kev_marker).count();
    let kev_active = records
        .iter()
        .filter(|r| {
            r.kev_marker
                && r.signals
                    .ssvc
                    .as_ref()
                    .unwrap()
                    .exploitation
                    .as_deref()
                    .map(str::to_lowercase)
                    == Some("active".into())
        })
        .count();
    println!(
        "records with an ADP KEV marker: {kev_marked}, of which Exploitation active: {kev_active}"
    );
    assert!(records.len() > 40_000);
}
