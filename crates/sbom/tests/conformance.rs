//! The CycloneDX specification's own test BOMs, from ../shared (skipped
//! with a message when it is absent). CONFORMANCE.md records the outcome.

use std::path::{Path, PathBuf};

use kensa_sbom::{ParseOptions, SbomError, parse};

fn resources() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/vuln/cyclonedx-specification/tools/src/test/resources");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "skipped: the CycloneDX test BOMs are not at {} (../shared is absent)",
            p.display()
        );
        None
    }
}

/// `prefix*.json` and `prefix*.xml` in `dir`, sorted. (The `.textproto`
/// files are protobuf text, a format this crate does not read.)
fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = name(p);
            n.starts_with(prefix) && (n.ends_with(".json") || n.ends_with(".xml"))
        })
        .collect();
    out.sort();
    out
}

fn name(p: &Path) -> &str {
    p.file_name().unwrap().to_str().unwrap()
}

fn is_xml(p: &Path) -> bool {
    name(p).ends_with(".xml")
}

const VERSIONS: [&str; 6] = ["1.2", "1.3", "1.4", "1.5", "1.6", "1.7"];

/// Every valid BOM of every version parses, leniently and strictly, and
/// strict mode has nothing to refuse in any of them. There is no valid BOM
/// this crate cannot read: the ones without components (metadata only,
/// services only, vulnerabilities only, empty `components`) read as an SBOM
/// with no components.
#[test]
fn every_valid_bom_parses() {
    let Some(root) = resources() else { return };
    let mut failures = Vec::new();
    for v in VERSIONS {
        let valid = files(&root.join(v), "valid-");
        let (mut json, mut xml) = (0, 0);
        for f in &valid {
            let bytes = std::fs::read(f).unwrap();
            match parse(&bytes, &ParseOptions::default()) {
                Ok(s) => {
                    if is_xml(f) {
                        xml += 1
                    } else {
                        json += 1
                    }
                    // Lenient warnings on valid BOMs are only bom-ref notes.
                    for w in &s.warnings {
                        assert!(w.contains("no bom-ref; synthesised"), "{}: {w}", name(f));
                    }
                }
                Err(e) => failures.push(format!("{v}/{} (lenient): {e}", name(f))),
            }
            if let Err(e) = parse(&bytes, &ParseOptions::strict()) {
                failures.push(format!("{v}/{} (strict): {e}", name(f)));
            }
        }
        let json_total = valid.iter().filter(|f| !is_xml(f)).count();
        let xml_total = valid.len() - json_total;
        println!("{v}: valid JSON {json}/{json_total}, valid XML {xml}/{xml_total}");
    }
    assert_eq!(failures, Vec::<String>::new());
}

/// Every invalid BOM of every version is refused in strict mode, JSON and
/// XML alike (against the official JSON schema and XSD, after Kensa's own
/// checks), and not for being malformed: each is well-formed and invalid in
/// one field.
#[test]
fn strict_mode_refuses_invalid_boms() {
    let Some(root) = resources() else { return };
    let mut accepted = Vec::new();
    for v in VERSIONS {
        let invalid = files(&root.join(v), "invalid-");
        let mut refused = (0, 0);
        for f in &invalid {
            let n = name(f);
            match parse(&std::fs::read(f).unwrap(), &ParseOptions::strict()) {
                Ok(_) => accepted.push(format!("{v}/{n}")),
                Err(e) => {
                    assert!(!matches!(e, SbomError::Syntax { .. }), "{n}: {e}");
                    // The error names the place (a JSON pointer, an XML element
                    // path with its line), unless the document is not CycloneDX
                    // at all (`bomFormat`).
                    if !matches!(e, SbomError::NotAnSbom { .. }) {
                        let place = e.location().map(ToString::to_string).unwrap_or_default();
                        assert!(place.starts_with('/'), "{n}: no place in {e}");
                    }
                    println!("{v}: refused {n}: {e}");
                    if is_xml(f) {
                        refused.1 += 1
                    } else {
                        refused.0 += 1
                    }
                }
            }
        }
        let json_total = invalid.iter().filter(|f| !is_xml(f)).count();
        let xml_total = invalid.len() - json_total;
        println!(
            "{v}: refused invalid JSON {}/{json_total}, invalid XML {}/{xml_total}",
            refused.0, refused.1
        );
        assert!(
            json_total > 0 && xml_total > 0,
            "{v}: no invalid BOMs found"
        );
    }
    assert_eq!(accepted, Vec::<String>::new(), "invalid BOMs accepted");
}

/// In 1.6 the JSON and XML test BOMs say the same things, and read the same.
/// (In 1.2 to 1.5 and 1.7 several pairs differ in content, names, purls or
/// components, so they are not compared.)
#[test]
fn json_and_xml_read_the_same_in_1_6() {
    let Some(root) = resources() else { return };
    let mut pairs = 0;
    for j in files(&root.join("1.6"), "valid-")
        .into_iter()
        .filter(|p| !is_xml(p))
    {
        let x = j.with_extension("xml");
        if !x.exists() {
            continue;
        }
        let a = parse(&std::fs::read(&j).unwrap(), &ParseOptions::default()).unwrap();
        let b = parse(&std::fs::read(&x).unwrap(), &ParseOptions::default()).unwrap();
        assert_eq!(a.serial_number, b.serial_number, "{}", name(&j));
        assert_eq!(a.subject, b.subject, "{}", name(&j));
        assert_eq!(a.components, b.components, "{}", name(&j));
        assert_eq!(a.dependencies, b.dependencies, "{}", name(&j));
        pairs += 1;
    }
    assert_eq!(pairs, 44);
}
