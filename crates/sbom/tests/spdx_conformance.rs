//! Every SPDX 2.2 / 2.3 document in ../shared (spdx-examples and the OVMF
//! firmware SBOM) in lenient and strict mode, skipped with a message when
//! ../shared is absent. CONFORMANCE.md (section SPDX) records the outcome.
//!
//! Each document is also altered once in a way the specification forbids,
//! and strict mode must refuse the altered copy: proof that the schema of
//! its version (JSON) or the tag-value checks actually ran on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kensa_sbom::{Location, ParseOptions, SbomError, SbomFormat, parse};
use serde_json::{Value, json};

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "skipped: {} is absent (../shared is not there)",
            p.display()
        );
        None
    }
}

/// `.json` and `.spdx` files under `dir`, sorted.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json" || x == "spdx") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The documents: every SPDX 2.x file of spdx-examples, and the OVMF SBOM.
fn documents() -> Option<Vec<(String, Vec<u8>)>> {
    let examples = shared("data/vuln/spdx-examples")?;
    let ovmf = shared("data/vuln/sboms/ovmf-uefi-firmware-houdini91/inputs/sbom.spdx.json")?;
    let mut docs = Vec::new();
    for f in walk(&examples).into_iter().chain([ovmf]) {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        // SPDX 3 (JSON-LD) is refused elsewhere (tests/real.rs).
        if text.contains("\"spdxVersion\"") || text.contains("SPDXVersion:") {
            let name = f.to_string_lossy();
            let name = name.split("data/vuln/").nth(1).unwrap_or(&name).to_string();
            docs.push((name, bytes));
        }
    }
    Some(docs)
}

#[test]
fn every_spdx_2_document_reads_in_both_modes() {
    let Some(docs) = documents() else { return };
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused: Vec<String> = Vec::new();
    let mut components = 0;
    for (name, bytes) in &docs {
        let lenient = parse(bytes, &ParseOptions::default())
            .unwrap_or_else(|e| panic!("{name} (lenient): {e}"));
        let format = match lenient.format {
            SbomFormat::SpdxJson => "JSON",
            SbomFormat::SpdxTagValue => "tag-value",
            other => panic!("{name}: {other:?}"),
        };
        *kinds
            .entry(format!("{} {format}", lenient.spec_version))
            .or_default() += 1;
        components += lenient.components.len();
        match parse(bytes, &ParseOptions::strict()) {
            Ok(strict) => {
                // Strict mode reads what lenient mode reads.
                assert_eq!(strict.components, lenient.components, "{name}");
                assert_eq!(strict.dependencies, lenient.dependencies, "{name}");
            }
            Err(e) => refused.push(format!("{name}: {e}")),
        }
    }
    println!("SPDX 2.x documents by version and format: {kinds:?}");
    println!("{components} components; refused in strict mode: {refused:#?}");
    let expected: BTreeMap<String, usize> = [
        ("SPDX-2.2 JSON", 7),
        ("SPDX-2.2 tag-value", 12),
        ("SPDX-2.3 JSON", 11),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    assert_eq!(kinds, expected);
    assert_eq!(components, 310 + 34);
    // No real document is refused: all 30 are valid against the official
    // schema of their version and Kensa's checks (CONFORMANCE.md).
    assert_eq!(refused, Vec::<String>::new());
}

/// The strict error for an altered copy, after checking that lenient mode
/// still reads it.
fn strict_error(name: &str, altered: &[u8]) -> SbomError {
    parse(altered, &ParseOptions::default())
        .unwrap_or_else(|e| panic!("{name}: lenient mode refused the altered copy: {e}"));
    parse(altered, &ParseOptions::strict())
        .err()
        .unwrap_or_else(|| panic!("{name}: strict mode accepted the altered copy"))
}

#[test]
fn every_spdx_2_document_altered_is_refused() {
    let Some(docs) = documents() else { return };
    let (mut json, mut with_packages, mut tag_value) = (0, 0, 0);
    for (name, bytes) in &docs {
        let text = String::from_utf8_lossy(bytes);
        if !text.trim_start().starts_with('{') {
            // A relationship to an element the document does not have, on
            // a new last line.
            let mut altered = text.trim_end().to_string();
            altered.push_str("\nRelationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-kensa-absent\n");
            let last = altered.lines().count() as u64;
            let e = strict_error(name, altered.as_bytes());
            assert!(matches!(e, SbomError::Invalid { .. }), "{name}: {e}");
            assert_eq!(e.location(), Some(&Location::Line(last)), "{name}: {e}");
            tag_value += 1;
            continue;
        }
        let doc: Value = serde_json::from_slice(bytes).unwrap();
        let label = doc["spdxVersion"].as_str().unwrap().replace('-', " ");
        // A member the schema does not allow: only the schema refuses it
        // (the reader notes unknown members), so its version's schema ran.
        let mut altered = doc.clone();
        altered["kensaNotAnSpdxField"] = json!(true);
        let e = strict_error(name, altered.to_string().as_bytes());
        assert_eq!(
            e.location(),
            Some(&Location::Pointer(String::new())),
            "{name}: {e}"
        );
        let expected = format!("not valid against the {label} JSON schema");
        assert!(e.to_string().contains(&expected), "{name}: {e}");
        json += 1;
        // A checksum algorithm neither version knows, on the first package.
        if doc["packages"].as_array().is_some_and(|p| !p.is_empty()) {
            let mut altered = doc.clone();
            altered["packages"][0]["checksums"] =
                json!([{"algorithm": "SHA-256", "checksumValue": "00"}]);
            let e = strict_error(name, altered.to_string().as_bytes());
            let at = Location::Pointer("/packages/0/checksums/0/algorithm".into());
            assert_eq!(e.location(), Some(&at), "{name}: {e}");
            with_packages += 1;
        }
    }
    assert_eq!((json, with_packages, tag_value), (18, 18, 12));
}
