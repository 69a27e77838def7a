//! A criterion naming every version of a product (no version, no bounds)
//! is a known source of false positives: the finding stands, but flagged
//! and with less confidence than a bounded one.

use kensa_intel::{ImportOptions, import_bytes};
use kensa_matching::{ScanOptions, Scanner};
use kensa_model::{Component, Sbom, SbomFormat};
use kensa_store::Store;

fn record(id: &str, criterion: serde_json::Value) -> String {
    serde_json::json!({
        "id": id,
        "published": "2016-01-01T00:00:00.000",
        "lastModified": "2016-01-02T00:00:00.000",
        "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": "A flaw in Acme Widget."}],
        "configurations": [{"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [criterion]}]}]
    })
    .to_string()
}

#[test]
fn every_version_criteria_are_flagged_and_less_sure() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("kensa.db")).unwrap();
    let lines = [
        record(
            "CVE-2016-0001",
            serde_json::json!({"vulnerable": true, "criteria": "cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*", "matchCriteriaId": "A"}),
        ),
        record(
            "CVE-2016-0002",
            serde_json::json!({"vulnerable": true, "criteria": "cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*", "versionEndExcluding": "2.0", "matchCriteriaId": "B"}),
        ),
    ]
    .join("\n");
    import_bytes(
        &mut store,
        "acme.jsonl",
        lines.into_bytes(),
        &ImportOptions::default(),
    )
    .unwrap();
    let sbom = Sbom {
        format: SbomFormat::CyclonedxJson,
        spec_version: "1.5".into(),
        serial_number: None,
        subject: None,
        components: vec![Component {
            bom_ref: "w".into(),
            name: "widget".into(),
            version: Some("1.0".into()),
            supplier: Some("Acme".into()),
            ..Default::default()
        }],
        dependencies: Vec::new(),
        warnings: Vec::new(),
    };
    let r = Scanner::new(&store)
        .unwrap()
        .scan(&sbom, &ScanOptions::default())
        .unwrap();
    let by_id = |id: &str| {
        r.findings
            .iter()
            .find(|f| f.vulnerability.id == id)
            .unwrap()
    };
    let (all, bounded) = (by_id("CVE-2016-0001"), by_id("CVE-2016-0002"));
    assert!(all.matched.confidence < bounded.matched.confidence);
    assert!((all.matched.confidence - bounded.matched.confidence * 0.8).abs() < 1e-9);
    assert!(
        all.matched.evidence.contains("names every version"),
        "{}",
        all.matched.evidence
    );
    assert!(
        bounded.matched.evidence.contains("is covered by"),
        "{}",
        bounded.matched.evidence
    );
    // --min-confidence between the two keeps only the bounded finding.
    let strict = Scanner::new(&store)
        .unwrap()
        .scan(
            &sbom,
            &ScanOptions {
                min_confidence: bounded.matched.confidence - 0.01,
                ..ScanOptions::default()
            },
        )
        .unwrap();
    let ids: Vec<&str> = strict
        .findings
        .iter()
        .map(|f| f.vulnerability.id.as_str())
        .collect();
    assert_eq!(ids, ["CVE-2016-0002"]);
}
