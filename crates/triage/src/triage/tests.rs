use super::*;
use kensa_model::{EpssScore, KevEntry, Ssvc};

pub(crate) fn metric(source: &str, version: &str, vector: &str) -> CvssMetric {
    CvssMetric {
        source: source.into(),
        version: version.into(),
        vector: vector.into(),
        base_score: None,
        base_severity: None,
        kind: None,
    }
}

fn kev(id: &str) -> KevEntry {
    KevEntry {
        cve_id: id.into(),
        vendor_project: "GNU".into(),
        product: "Bash".into(),
        vulnerability_name: "Shellshock".into(),
        date_added: "2022-01-28".into(),
        short_description: String::new(),
        required_action: "Apply updates per vendor instructions.".into(),
        due_date: "2022-07-28".into(),
        known_ransomware_campaign_use: "Known".into(),
        notes: String::new(),
        cwes: vec!["CWE-78".into()],
    }
}

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

#[test]
fn a_kev_finding_explains_itself_and_carries_its_clocks() {
    let mut s = Signals::from_records(
        "CVE-2014-6271",
        std::iter::empty(),
        Some(kev("CVE-2014-6271")),
        Some(EpssScore {
            cve_id: "CVE-2014-6271".into(),
            epss: 0.97,
            percentile: 0.999,
            model_version: None,
            score_date: Some("2026-11-01".into()),
        }),
    );
    s.cvss = vec![
        metric("nvd@nist.gov", "2.0", "AV:N/AC:L/Au:N/C:C/I:C/A:C"),
        metric("nvd@nist.gov", "3.1", CRITICAL),
    ];
    let t = Triager::default().triage(&s);
    assert_eq!(t.ssvc.tree, TreeKind::Supplier);
    assert_eq!(t.ssvc.points["exploitation"], "active");
    assert_eq!(t.ssvc.evidence["exploitation"], "kev");
    assert_eq!(t.ssvc.decision, "Immediate");
    assert_eq!(
        t.reasons[0],
        "actively exploited: in CISA KEV since 2022-01-28 (due 2022-07-28)"
    );
    assert_eq!(t.reasons[1], "known ransomware campaign use (CISA KEV)");
    let cvss = t.cvss.as_ref().unwrap();
    assert_eq!(
        (cvss.version, cvss.base, cvss.score),
        (CvssVersion::V3_1, 9.8, 9.8)
    );
    assert_eq!(cvss.sources.len(), 2);
    assert_eq!(t.cwe, ["CWE-78"]);
    assert_eq!(t.kev_due_date(), NaiveDate::from_ymd_opt(2022, 7, 28));
    let cra = t.cra.unwrap();
    let aware = DateTime::parse_from_rfc3339("2026-11-22T08:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let (early, notify) = cra.deadlines(aware);
    assert_eq!(early.to_rfc3339(), "2026-11-23T08:00:00+00:00");
    assert_eq!(notify.to_rfc3339(), "2026-11-25T08:00:00+00:00");
    assert_eq!(t.priority, 100);

    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(json["ssvc"]["tree"], "supplier");
    assert_eq!(json["ssvc"]["points"]["exploitation"], "active");
    assert_eq!(json["kev"]["known_ransomware_use"], true);
    let back: Triage = serde_json::from_value(json).unwrap();
    assert_eq!(back, t);
}

#[test]
fn outside_the_eu_market_there_are_no_cra_clocks() {
    let profile = Profile::parse("eu_market: false", "p.yaml").unwrap();
    let s = Signals {
        id: "CVE-1".into(),
        kev: Some(kev("CVE-1")),
        ..Signals::default()
    };
    let t = Triager::new(profile).unwrap().triage(&s);
    assert!(t.actively_exploited());
    assert_eq!(t.cra, None);
}

#[test]
fn the_profile_environment_adjusts_the_score() {
    let profile = Profile::parse(
        "environment:\n  attack_vector: local\n  confidentiality_requirement: low\n",
        "p.yaml",
    )
    .unwrap();
    let s = Signals {
        id: "CVE-1".into(),
        cvss: vec![metric("nvd@nist.gov", "3.1", CRITICAL)],
        ..Signals::default()
    };
    let t = Triager::new(profile).unwrap().triage(&s);
    let c = t.cvss.unwrap();
    assert_eq!(c.base, 9.8);
    assert_eq!(
        c.environmental_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L/MAV:L")
    );
    let env = c.environmental.unwrap();
    assert!(env < 8.4, "{env}");
    assert_eq!(c.score, env);
    assert!(
        t.reasons.iter().any(|r| r.contains("environmental")),
        "{:?}",
        t.reasons
    );
}

#[test]
fn adp_points_win_over_cvss_heuristics_and_defaults_are_said() {
    let s = Signals {
        id: "CVE-1".into(),
        cvss: vec![metric("CISA-ADP", "3.1", CRITICAL)],
        ssvc: Some(Ssvc {
            exploitation: Some("PoC".into()),
            automatable: Some("No".into()),
            technical_impact: Some("Partial".into()),
            ..Ssvc::default()
        }),
        ..Signals::default()
    };
    let t = Triager::default().triage(&s);
    assert_eq!(t.ssvc.points["exploitation"], "poc");
    assert_eq!(t.ssvc.points["automatable"], "no");
    assert_eq!(t.ssvc.points["technical_impact"], "partial");
    assert_eq!(t.ssvc.evidence["automatable"], "cisa-adp");
    // Default profile: concentrated value, so "no" automatable is efficient.
    assert_eq!(t.ssvc.points["utility"], "efficient");
    assert!(t.reasons.iter().any(|r| r.starts_with("profile defaults")));
    assert_eq!(t.cra, None);
}

#[test]
fn no_vector_and_a_malformed_one_are_explained() {
    let s = Signals {
        id: "CVE-1".into(),
        cvss: vec![metric("cna", "3.1", "CVSS:3.1/AV:X/AC:L")],
        ..Signals::default()
    };
    let t = Triager::default().triage(&s);
    assert_eq!(t.cvss, None);
    assert!(serde_json::to_value(&t).unwrap()["cvss"].is_null());
    assert_eq!(t.ssvc.evidence["automatable"], "assumed");
    assert!(
        t.reasons
            .contains(&"no CVSS vector from any source".to_string())
    );
    assert_eq!(
        t.breakdown[0].why,
        "no CVSS vector from any source: 5 assumed"
    );
}

#[test]
fn the_newest_version_and_then_the_highest_score_is_used() {
    let s = Signals {
        id: "CVE-1".into(),
        cvss: vec![
            metric(
                "nvd@nist.gov",
                "3.1",
                "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
            ),
            metric("cna", "3.1", CRITICAL),
            metric("nvd@nist.gov", "2.0", "AV:N/AC:L/Au:N/C:C/I:C/A:C"),
        ],
        ..Signals::default()
    };
    let c = Triager::default().triage(&s).cvss.unwrap();
    assert_eq!((c.source.as_str(), c.base), ("cna", 9.8));
}

#[test]
fn child_trees() {
    assert_eq!(
        human_impact(SafetyImpact::Minor, MissionImpact::MefFailure),
        "medium"
    );
    assert_eq!(
        human_impact(SafetyImpact::Hazardous, MissionImpact::Degraded),
        "medium"
    );
    assert_eq!(
        human_impact(SafetyImpact::Hazardous, MissionImpact::Crippled),
        "high"
    );
    assert_eq!(
        human_impact(SafetyImpact::None, MissionImpact::MissionFailure),
        "very high"
    );
    assert_eq!(
        human_impact(SafetyImpact::Catastrophic, MissionImpact::Degraded),
        "very high"
    );
    assert_eq!(
        human_impact(SafetyImpact::Major, MissionImpact::Crippled),
        "low"
    );
    assert_eq!(
        mission_wellbeing(MissionPrevalence::Minimal, SafetyImpact::None),
        "low"
    );
    assert_eq!(
        mission_wellbeing(MissionPrevalence::Support, SafetyImpact::None),
        "medium"
    );
    assert_eq!(
        mission_wellbeing(MissionPrevalence::Minimal, SafetyImpact::Hazardous),
        "high"
    );
    assert_eq!(
        mission_wellbeing(MissionPrevalence::Essential, SafetyImpact::None),
        "high"
    );
}

#[test]
fn a_v2_vector_takes_only_the_requirements() {
    let profile = Profile::parse(
        "environment:\n  attack_vector: local\n  availability_requirement: low\n  confidentiality_requirement: low\n  integrity_requirement: low\n",
        "p.yaml",
    )
    .unwrap();
    let s = Signals {
        id: "CVE-1".into(),
        cvss: vec![metric("nvd@nist.gov", "2.0", "AV:N/AC:L/Au:N/C:P/I:P/A:P")],
        ..Signals::default()
    };
    let c = Triager::new(profile).unwrap().triage(&s).cvss.unwrap();
    assert_eq!(c.base, 7.5);
    assert_eq!(
        c.environmental_vector.as_deref(),
        Some("AV:N/AC:L/Au:N/C:P/I:P/A:P/CR:L/IR:L/AR:L")
    );
    assert!(c.score < 7.5, "{}", c.score);
}
