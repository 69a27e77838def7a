//! Issue #18: the component limit counts components (not the subject) and
//! points at the first component past it; strict-mode errors are worded as
//! errors, not as the lenient reader's warnings.

use kensa_sbom::{Location, ParseOptions, SbomError, parse};

fn cyclonedx(components: usize) -> Vec<u8> {
    let list: Vec<serde_json::Value> = (0..components)
        .map(|i| serde_json::json!({"type": "library", "bom-ref": format!("c{i}"), "name": format!("c{i}"), "version": "1"}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": {"component": {"type": "device", "bom-ref": "me", "name": "gateway", "version": "2"}},
        "components": list,
    }))
    .unwrap()
}

fn limited(n: usize) -> ParseOptions {
    ParseOptions {
        max_components: n,
        ..ParseOptions::default()
    }
}

#[test]
fn the_subject_is_not_counted_against_the_component_limit() {
    let sbom = parse(&cyclonedx(3), &limited(3)).unwrap();
    assert_eq!(sbom.components.len(), 3);
    assert!(sbom.subject.is_some());
    match parse(&cyclonedx(4), &limited(3)) {
        Err(SbomError::TooManyComponents { at, limit }) => {
            assert_eq!(limit, 3);
            // The fourth component is the first past the limit.
            assert_eq!(at, Location::Pointer("/components/3".into()));
        }
        other => panic!("expected the limit, got {other:?}"),
    }
}

#[test]
fn the_xml_and_spdx_readers_count_the_same_way() {
    let xml = r#"<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">
  <metadata><component type="device"><name>gateway</name></component></metadata>
  <components>
    <component type="library"><name>a</name><version>1</version></component>
    <component type="library"><name>b</name><version>1</version></component>
  </components>
</bom>"#;
    assert_eq!(
        parse(xml.as_bytes(), &limited(2)).unwrap().components.len(),
        2
    );
    assert!(matches!(
        parse(xml.as_bytes(), &limited(1)),
        Err(SbomError::TooManyComponents { .. })
    ));

    let spdx = serde_json::json!({
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "gw",
        "dataLicense": "CC0-1.0",
        "documentNamespace": "https://example.com/gw",
        "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: x"]},
        "documentDescribes": ["SPDXRef-gw"],
        "packages": [
            {"SPDXID": "SPDXRef-gw", "name": "gateway", "downloadLocation": "NOASSERTION"},
            {"SPDXID": "SPDXRef-a", "name": "a", "versionInfo": "1", "downloadLocation": "NOASSERTION"},
            {"SPDXID": "SPDXRef-b", "name": "b", "versionInfo": "1", "downloadLocation": "NOASSERTION"}
        ]
    });
    let bytes = serde_json::to_vec(&spdx).unwrap();
    let sbom = parse(&bytes, &limited(2)).unwrap();
    assert_eq!(sbom.components.len(), 2);
    assert_eq!(sbom.subject.unwrap().name, "gateway");
    match parse(&bytes, &limited(1)) {
        Err(SbomError::TooManyComponents { at, .. }) => {
            assert_eq!(at, Location::Pointer("/packages/2".into()), "{at}")
        }
        other => panic!("expected the limit, got {other:?}"),
    }
}

#[test]
fn strict_errors_drop_the_lenient_wording() {
    let mut doc: serde_json::Value = serde_json::from_slice(&cyclonedx(1)).unwrap();
    doc["components"][0]["version"] = serde_json::json!(["1"]);
    let bytes = serde_json::to_vec(&doc).unwrap();
    let lenient = parse(&bytes, &ParseOptions::default()).unwrap();
    assert!(
        lenient.warnings.iter().any(|w| w.ends_with("; ignored")),
        "{:?}",
        lenient.warnings
    );
    let err = parse(&bytes, &ParseOptions::strict())
        .unwrap_err()
        .to_string();
    assert!(err.contains("/components/0/version"), "{err}");
    assert!(!err.contains("ignored"), "{err}");
}
