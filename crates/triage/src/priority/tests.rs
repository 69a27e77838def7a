use super::*;

fn inputs() -> PriorityInputs {
    PriorityInputs {
        cvss: Some(7.5),
        exploitation: "none",
        exploitation_from: "assumed",
        in_kev: false,
        ransomware: false,
        automatable: false,
        epss: None,
        total_impact: false,
        decision_urgency: 0,
        decision: "Defer".into(),
        exposure: SystemExposure::Small,
        safety: SafetyImpact::None,
        field_patchable: true,
    }
}

#[test]
fn exploitation_outweighs_everything_else_combined() {
    let worst_other = PriorityInputs {
        exploitation: "poc",
        epss: Some((1.0, 1.0)),
        total_impact: true,
        decision_urgency: 3,
        exposure: SystemExposure::Open,
        safety: SafetyImpact::Catastrophic,
        field_patchable: false,
        ..inputs()
    };
    let (other, parts) = priority(&worst_other);
    let extra: f64 = parts
        .iter()
        .filter(|p| p.signal != "cvss")
        .map(|p| p.points)
        .sum();
    assert_eq!(extra, MAX_WITHOUT_EXPLOITATION);
    let kev = PriorityInputs {
        exploitation: "active",
        in_kev: true,
        ..inputs()
    };
    assert!(priority(&kev).0 > other);
}

#[test]
fn the_breakdown_adds_up_to_the_priority() {
    let i = PriorityInputs {
        cvss: Some(9.8),
        exploitation: "poc",
        automatable: true,
        epss: Some((0.42, 0.97)),
        decision_urgency: 2,
        decision: "Out-of-Cycle".into(),
        ..inputs()
    };
    let (p, parts) = priority(&i);
    let sum: f64 = parts.iter().map(|p| p.points).sum();
    assert_eq!(p, sum.round() as u8);
    assert_eq!(p, 51); // 29.4 + 6 + 8 + (2.91 + 2.1) + 3 = 51.41
    let signals: Vec<&str> = parts.iter().map(|p| p.signal.as_str()).collect();
    assert_eq!(
        signals,
        [
            "cvss",
            "exploitation",
            "automatable",
            "epss",
            "technical_impact",
            "ssvc",
            "exposure",
            "safety",
            "field_patchable"
        ]
    );
}

#[test]
fn the_priority_is_clamped_to_100() {
    let i = PriorityInputs {
        cvss: Some(10.0),
        exploitation: "active",
        in_kev: true,
        ransomware: true,
        automatable: true,
        epss: Some((1.0, 1.0)),
        total_impact: true,
        decision_urgency: 3,
        exposure: SystemExposure::Open,
        safety: SafetyImpact::Catastrophic,
        field_patchable: false,
        ..inputs()
    };
    assert_eq!(priority(&i).0, 100);
}
