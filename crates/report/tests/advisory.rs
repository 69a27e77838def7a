//! The security advisory writer: what it writes passes the validator (no
//! schema, mandatory or optional finding), states each verdict in the
//! right place, and an update bumps the version with a revision that says
//! what changed.

use chrono::{TimeZone, Utc};
use kensa_report::csaf::advisory::{
    AdvisoryError, Product, Publisher, Request, State, TrackingStatus, Vulnerability,
    security_advisory,
};
use kensa_report::csaf::{self, Group};
use serde_json::Value;

fn publisher() -> Publisher {
    Publisher {
        name: "Example Industrial".into(),
        namespace: "https://psirt.example.com".into(),
        category: "vendor".into(),
        contact_details: Some("psirt@example.com".into()),
        tlp: "WHITE".into(),
    }
}

fn product() -> Product {
    Product {
        name: "RTU Gateway".into(),
        version: "2.1.0".into(),
        purl: Some("pkg:generic/example/rtu-gateway@2.1.0".into()),
        cpe: None,
    }
}

fn vulns() -> Vec<Vulnerability> {
    let base = Vulnerability {
        id: String::new(),
        description: Some("A heap over-read in the TLS heartbeat extension.".into()),
        cwe: Some("CWE-125".into()),
        cvss: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".into()),
        kev_added: None,
        state: State::UnderInvestigation,
        components: vec!["openssl 1.0.1f".into()],
        mitigation: None,
        fixed_in: None,
    };
    vec![
        Vulnerability {
            id: "CVE-2014-0160".into(),
            state: State::Affected,
            kev_added: Some("2022-05-04".into()),
            fixed_in: Some("2.2.0".into()),
            ..base.clone()
        },
        Vulnerability {
            id: "CVE-2016-2183".into(),
            state: State::NotAffected {
                justification: Some("vulnerable_code_not_in_execute_path".into()),
                impact: "Not affected: the 3DES cipher suites are disabled (c2: no).".into(),
            },
            cwe: Some("CWE-200".into()),
            ..base.clone()
        },
        Vulnerability {
            id: "CVE-2016-0705".into(),
            description: None,
            cwe: None,
            cvss: Some("AV:N/AC:L/Au:N/C:P/I:P/A:P".into()),
            ..base
        },
    ]
}

fn request<'a>(p: &'a Publisher, pr: &'a Product, v: &'a [Vulnerability]) -> Request<'a> {
    Request {
        publisher: p,
        product: pr,
        status: TrackingStatus::Final,
        vulnerabilities: v,
        now: Utc.with_ymd_and_hms(2026, 12, 3, 9, 30, 0).unwrap(),
        previous: None,
        tracking_id: None,
        title: None,
        tool_version: "0.1.0",
    }
}

fn problems(doc: &Value) -> Vec<String> {
    let bytes = serde_json::to_vec_pretty(doc).unwrap();
    csaf::validate_bytes(&bytes)
        .findings
        .into_iter()
        .filter(|f| f.group != Group::Informative)
        .map(|f| format!("{} {} {}", f.test, f.path, f.message))
        .collect()
}

#[test]
fn the_advisory_passes_the_validator_without_errors_or_warnings() {
    let (p, pr, v) = (publisher(), product(), vulns());
    let doc = security_advisory(&request(&p, &pr, &v)).unwrap();
    assert_eq!(problems(&doc), Vec::<String>::new(), "{doc:#}");
    for status in [TrackingStatus::Draft, TrackingStatus::Interim] {
        let doc = security_advisory(&Request {
            status,
            ..request(&p, &pr, &v)
        })
        .unwrap();
        assert_eq!(problems(&doc), Vec::<String>::new());
    }
}

#[test]
fn each_verdict_lands_in_its_product_status_with_its_reasons() {
    let (p, pr, v) = (publisher(), product(), vulns());
    let doc = security_advisory(&request(&p, &pr, &v)).unwrap();
    let heartbleed = &doc["vulnerabilities"][0];
    assert_eq!(
        heartbleed["product_status"]["known_affected"][0],
        "CSAFPID-0001"
    );
    assert_eq!(heartbleed["product_status"]["fixed"][0], "CSAFPID-0002");
    assert_eq!(heartbleed["remediations"][0]["category"], "vendor_fix");
    assert_eq!(heartbleed["threats"][0]["category"], "exploit_status");
    assert_eq!(heartbleed["scores"][0]["cvss_v3"]["baseScore"], 7.5);
    assert_eq!(heartbleed["cwe"]["name"], "Out-of-bounds Read");
    let sweet32 = &doc["vulnerabilities"][1];
    assert_eq!(
        sweet32["product_status"]["known_not_affected"][0],
        "CSAFPID-0001"
    );
    assert_eq!(
        sweet32["flags"][0]["label"],
        "vulnerable_code_not_in_execute_path"
    );
    assert!(
        sweet32["threats"][0]["details"]
            .as_str()
            .unwrap()
            .contains("3DES")
    );
    assert!(sweet32.get("scores").is_none());
    let open = &doc["vulnerabilities"][2];
    assert_eq!(
        open["product_status"]["under_investigation"][0],
        "CSAFPID-0001"
    );
    assert_eq!(open["scores"][0]["cvss_v2"]["baseScore"], 7.5);
    assert_eq!(doc["document"]["aggregate_severity"]["text"], "High");
    assert_eq!(
        doc["document"]["references"][0]["url"],
        "https://psirt.example.com/kensa-rtu-gateway-2_1_0.json"
    );
    let versions = &doc["product_tree"]["branches"][0]["branches"][0]["branches"];
    assert_eq!(versions[1]["name"], "2.2.0");
}

#[test]
fn an_update_bumps_the_version_and_says_what_changed() {
    let (p, pr, mut v) = (publisher(), product(), vulns());
    let first = security_advisory(&request(&p, &pr, &v)).unwrap();
    v[2].state = State::Affected;
    let later = Utc.with_ymd_and_hms(2026, 12, 10, 8, 0, 0).unwrap();
    let second = security_advisory(&Request {
        previous: Some(&first),
        now: later,
        ..request(&p, &pr, &v)
    })
    .unwrap();
    let t = &second["document"]["tracking"];
    assert_eq!(t["id"], first["document"]["tracking"]["id"]);
    assert_eq!(t["version"], "2");
    assert_eq!(t["initial_release_date"], "2026-12-03T09:30:00.000Z");
    assert_eq!(t["current_release_date"], "2026-12-10T08:00:00.000Z");
    let history = t["revision_history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    let summary = history[1]["summary"].as_str().unwrap();
    assert!(
        summary.contains("CVE-2016-0705: under_investigation → known_affected"),
        "{summary}"
    );
    assert_eq!(problems(&second), Vec::<String>::new());
}

#[test]
fn bad_requests_are_refused_with_the_field() {
    let (p, pr) = (publisher(), product());
    assert_eq!(
        security_advisory(&request(&p, &pr, &[])).unwrap_err(),
        AdvisoryError::Empty
    );
    let bad = Publisher {
        tlp: "BLUE".into(),
        ..publisher()
    };
    let v = vulns();
    let err = security_advisory(&request(&bad, &pr, &v)).unwrap_err();
    assert!(err.to_string().starts_with("publisher.tlp:"), "{err}");
    let not_csaf = serde_json::json!({"document": {"tracking": {"id": "X", "version": "1.0.0"}}});
    let err = security_advisory(&Request {
        previous: Some(&not_csaf),
        ..request(&p, &pr, &v)
    })
    .unwrap_err();
    assert!(err.to_string().contains("integer versioning"), "{err}");
}
