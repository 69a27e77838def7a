use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn vuln_case(awareness: &str) -> Clocks {
    Clocks {
        kind: Kind::ExploitedVulnerability,
        awareness: utc(awareness),
        measure_available_at: None,
        submitted: Vec::new(),
    }
}

#[test]
fn awareness_is_never_before_registration_nor_before_article_14_applies() {
    // KEV listed the vulnerability in 2022; the version was registered later.
    let kev = utc("2022-05-04T00:00:00Z");
    let registered = utc("2026-11-20T08:15:00Z");
    assert_eq!(awareness(kev, registered), registered);
    // Registered and known before 11 September 2026: the clock starts then.
    let old = utc("2025-01-10T00:00:00Z");
    assert_eq!(awareness(kev, old), utc("2026-09-11T00:00:00Z"));
    // Evidence after registration: the evidence.
    let evidence = utc("2026-12-01T23:30:00Z");
    assert_eq!(awareness(evidence, registered), evidence);
}

#[test]
fn vulnerability_deadlines_are_exact_hours_and_the_final_waits_for_a_measure() {
    let mut c = vuln_case("2026-12-01T23:30:00Z");
    assert_eq!(
        c.due(Stage::EarlyWarning),
        Some(utc("2026-12-02T23:30:00Z"))
    );
    assert_eq!(
        c.due(Stage::Notification),
        Some(utc("2026-12-04T23:30:00Z"))
    );
    assert_eq!(c.due(Stage::Final), None);
    assert!(c.deadlines()[2].waiting_for.unwrap().contains("measure"));
    c.measure_available_at = Some(utc("2026-12-10T10:00:00Z"));
    assert_eq!(c.due(Stage::Final), Some(utc("2026-12-24T10:00:00Z")));
}

#[test]
fn a_daylight_saving_change_does_not_move_a_deadline() {
    // Europe's clocks go back at 01:00 UTC on 25 October 2026: 24 hours
    // after 12:00 UTC on the 24th is 12:00 UTC on the 25th, which Berlin
    // shows as 13:00 (CET) after 14:00 (CEST) the day before.
    let c = vuln_case("2026-10-24T12:00:00Z");
    let due = c.due(Stage::EarlyWarning).unwrap();
    assert_eq!(due, utc("2026-10-25T12:00:00Z"));
    assert_eq!((due - c.awareness).num_hours(), 24);
    // Spring forward (28 March 2027, 01:00 UTC): still 72 hours.
    let c = vuln_case("2027-03-27T22:00:00Z");
    assert_eq!(
        c.due(Stage::Notification),
        Some(utc("2027-03-30T22:00:00Z"))
    );
}

#[test]
fn an_incident_final_report_is_due_a_calendar_month_after_the_notification() {
    let mut c = Clocks {
        kind: Kind::SevereIncident,
        awareness: utc("2027-01-28T09:00:00Z"),
        measure_available_at: None,
        submitted: vec![(Stage::EarlyWarning, utc("2027-01-29T08:00:00Z"))],
    };
    assert_eq!(
        c.due(Stage::Final),
        None,
        "no clock before the notification"
    );
    assert_eq!(
        c.next_deadline(),
        Some((Stage::Notification, utc("2027-01-31T09:00:00Z")))
    );
    // Notified on 31 January: one month later is the last day of February.
    c.submitted
        .push((Stage::Notification, utc("2027-01-31T08:00:00Z")));
    assert_eq!(c.due(Stage::Final), Some(utc("2027-02-28T08:00:00Z")));
    c.submitted[1].1 = utc("2028-01-31T08:00:00Z");
    assert_eq!(
        c.due(Stage::Final),
        Some(utc("2028-02-29T08:00:00Z")),
        "leap year"
    );
    c.submitted[1].1 = utc("2027-03-31T20:00:00Z");
    assert_eq!(c.due(Stage::Final), Some(utc("2027-04-30T20:00:00Z")));
    assert_eq!(
        c.next_deadline(),
        Some((Stage::Final, utc("2027-04-30T20:00:00Z")))
    );
}

#[test]
fn submissions_come_after_awareness_once_and_in_order() {
    let mut c = vuln_case("2026-12-01T12:00:00Z");
    let e = c
        .check_submission(Stage::EarlyWarning, utc("2026-12-01T11:59:59Z"))
        .unwrap_err();
    assert!(matches!(e, CraError::BeforeAwareness { .. }), "{e}");
    let e = c
        .check_submission(Stage::Notification, utc("2026-12-02T00:00:00Z"))
        .unwrap_err();
    assert_eq!(
        e,
        CraError::OutOfOrder {
            stage: "notification",
            missing: "early-warning"
        }
    );
    c.check_submission(Stage::EarlyWarning, utc("2026-12-01T20:00:00Z"))
        .unwrap();
    c.submitted
        .push((Stage::EarlyWarning, utc("2026-12-01T20:00:00Z")));
    let e = c
        .check_submission(Stage::EarlyWarning, utc("2026-12-02T00:00:00Z"))
        .unwrap_err();
    assert_eq!(e, CraError::AlreadySubmitted("early-warning"));
    let e = c
        .check_submission(Stage::Notification, utc("2026-12-01T19:00:00Z"))
        .unwrap_err();
    assert!(matches!(e, CraError::BeforePrevious { .. }), "{e}");
    c.check_submission(Stage::Notification, utc("2026-12-03T10:00:00Z"))
        .unwrap();
}

#[test]
fn the_field_list_parses_and_every_stage_asks_something() {
    let set = fields();
    assert!(set.version.starts_with("kensa-cra-fields/1"));
    for kind in [Kind::ExploitedVulnerability, Kind::SevereIncident] {
        for stage in Stage::ALL {
            let d = draft(set, stage, kind, &BTreeMap::new());
            assert!(d.fields.len() >= 4, "{kind:?} {stage:?}");
            assert_eq!(d.to_complete().count(), d.fields.len(), "nothing known");
        }
    }
    let mut ids: Vec<&str> = set.fields.iter().map(|f| f.id.as_str()).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "field ids are unique");
}

#[test]
fn a_draft_fills_what_is_known_and_enforces_the_limits() {
    let mut known = BTreeMap::new();
    known.insert("product".to_string(), "RTU Gateway 2.1".to_string());
    known.insert("member_states".to_string(), "DE, FR".to_string());
    known.insert("vulnerability".to_string(), "CVE-2014-0160 ".repeat(20));
    let d = draft(
        fields(),
        Stage::EarlyWarning,
        Kind::ExploitedVulnerability,
        &known,
    );
    let get = |id: &str| d.fields.iter().find(|f| f.id == id).unwrap();
    assert_eq!(
        get("product_identification").value.as_deref(),
        Some("RTU Gateway 2.1")
    );
    let long = get("vulnerability_identifier");
    assert_eq!(long.value.as_ref().unwrap().chars().count(), 100);
    assert_eq!(long.over_limit, Some(279));
    assert!(d.to_complete().any(|f| f.id == "vulnerability_identifier"));
    assert!(d.to_complete().any(|f| f.id == "manufacturer"));
    assert!(
        !d.fields.iter().any(|f| f.id == "malicious_actor"),
        "a final-report field"
    );
}
