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

/// Invalid BOMs that strict mode accepts, by test name (the file name less
/// `invalid-`, the version and the extension), with why: each is about a
/// field this crate does not read. Catching them is schema validation
/// (patterns, enumerations, licence lists, `oneOf`), out of scope here.
const ACCEPTED: &[(&str, &str)] = &[
    (
        "component-swid",
        "`swid` is not read (its `tagId` is missing)",
    ),
    (
        "hash-alg",
        "`hashes` are not read (the algorithm is not in the enumeration)",
    ),
    (
        "hash-md5",
        "`hashes` are not read (content does not match the MD5 pattern)",
    ),
    (
        "hash-sha1",
        "`hashes` are not read (content does not match the SHA-1 pattern)",
    ),
    (
        "hash-sha256",
        "`hashes` are not read (content does not match the SHA-256 pattern)",
    ),
    (
        "hash-sha512",
        "`hashes` are not read (content does not match the SHA-512 pattern)",
    ),
    (
        "issue-type",
        "`pedigree` is not read (issue type not in the enumeration)",
    ),
    (
        "patch-type",
        "`pedigree` is not read (patch type not in the enumeration)",
    ),
    (
        "license-choice",
        "licences are not read (expression and licence mixed)",
    ),
    (
        "license-declared-concluded-mix",
        "licences are not read (declared/concluded mix)",
    ),
    (
        "license-encoding",
        "licences are not read (text encoding not in the enumeration)",
    ),
    (
        "license-id",
        "licences are not read (the id is not in the SPDX licence list)",
    ),
    (
        "license-id-count",
        "licences are not read (two ids in one licence)",
    ),
    (
        "license-name-count",
        "licences are not read (two names in one licence)",
    ),
    (
        "license-missing-id-and-name",
        "licences are not read (neither id nor name)",
    ),
    (
        "metadata-license",
        "licences are not read (metadata licence id not in the SPDX list)",
    ),
    (
        "metadata-timestamp",
        "`metadata.timestamp` is not read (a date, not a date-time)",
    ),
    ("scope", "`scope` is not read (not in the enumeration)"),
    (
        "service-data",
        "`services` are not read (data flow not in the enumeration)",
    ),
    ("citations", "`citations` (1.7) are not read"),
    (
        "component-external-version-and-range",
        "1.7 `versionRange` rules are not checked (version and range together)",
    ),
    (
        "component-versionRange-non-external-explicit",
        "1.7 `versionRange` rules are not checked (range without `isExternal`)",
    ),
    (
        "component-versionRange-non-external-implicit",
        "1.7 `versionRange` rules are not checked (range without `isExternal`)",
    ),
];

fn test_name(file: &str) -> &str {
    let stem = file
        .trim_end_matches(".json")
        .trim_end_matches(".xml")
        .trim_start_matches("invalid-");
    VERSIONS
        .iter()
        .find_map(|v| stem.strip_suffix(&format!("-{v}")))
        .unwrap_or(stem)
}

/// How many invalid XML BOMs strict mode refuses, per version, at least
/// (every invalid JSON one is refused).
const REJECTED_AT_LEAST: [(&str, usize); 6] = [
    ("1.2", 7),
    ("1.3", 7),
    ("1.4", 7),
    ("1.5", 7),
    ("1.6", 8),
    ("1.7", 9),
];

#[test]
fn strict_mode_refuses_invalid_boms() {
    let Some(root) = resources() else { return };
    let mut unexplained = Vec::new();
    for (v, floor) in REJECTED_AT_LEAST {
        let invalid = files(&root.join(v), "invalid-");
        let mut rejected = (0, 0);
        for f in &invalid {
            let n = name(f);
            match parse(&std::fs::read(f).unwrap(), &ParseOptions::strict()) {
                Ok(_) => match ACCEPTED.iter().find(|(t, _)| *t == test_name(n)) {
                    Some((_, why)) => println!("{v}: accepted {n}: {why}"),
                    None => unexplained.push(format!("{v}/{n}")),
                },
                Err(e) => {
                    // Refused for a deviation, not because it did not parse.
                    assert!(!matches!(e, SbomError::Syntax { .. }), "{n}: {e}");
                    println!("{v}: refused {n}: {e}");
                    if is_xml(f) {
                        rejected.1 += 1
                    } else {
                        rejected.0 += 1
                    }
                }
            }
        }
        let json_total = invalid.iter().filter(|f| !is_xml(f)).count();
        let xml_total = invalid.len() - json_total;
        println!(
            "{v}: refused invalid JSON {}/{json_total}, invalid XML {}/{xml_total}",
            rejected.0, rejected.1
        );
        // JSON BOMs are checked against the official JSON schema in strict
        // mode: every invalid one is refused. XML has no XSD validator here;
        // its hand-written checks keep a floor.
        assert_eq!(rejected.0, json_total, "{v}: invalid JSON BOMs accepted");
        assert!(
            rejected.1 >= floor,
            "{v}: only {} of {xml_total} invalid XML refused",
            rejected.1
        );
    }
    assert_eq!(
        unexplained,
        Vec::<String>::new(),
        "accepted without a reason in ACCEPTED"
    );
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
