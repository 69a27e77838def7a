//! Strict validation of SPDX 2.2 / 2.3: the official JSON schemas, Kensa's
//! own checks by the specification (JSON and tag-value), and lenient mode
//! left as it was. Small hand-written fixtures, altered one fault at a time.

use std::path::Path;

use kensa_sbom::{Location, ParseOptions, SbomError, parse};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn minimal_json() -> Value {
    serde_json::from_str(&fixture("spdx-2.3-minimal.spdx.json")).unwrap()
}

/// The strict error for `doc`, after checking that lenient mode reads it.
fn refused(doc: &str) -> SbomError {
    parse(doc.as_bytes(), &ParseOptions::default())
        .unwrap_or_else(|e| panic!("lenient mode refused it: {e}"));
    match parse(doc.as_bytes(), &ParseOptions::strict()) {
        Ok(_) => panic!("strict mode accepted it"),
        Err(e) => e,
    }
}

fn refused_json(doc: &Value) -> SbomError {
    refused(&doc.to_string())
}

fn pointer(e: &SbomError) -> &str {
    match e.location() {
        Some(Location::Pointer(p)) => p,
        other => panic!("{e}: not a pointer: {other:?}"),
    }
}

fn line(e: &SbomError) -> u64 {
    match e.location() {
        Some(Location::Line(n)) => *n,
        other => panic!("{e}: not a line: {other:?}"),
    }
}

#[test]
fn minimal_documents_pass_strict() {
    for name in ["spdx-2.3-minimal.spdx.json", "spdx-2.3-minimal.spdx"] {
        let s = parse(fixture(name).as_bytes(), &ParseOptions::strict())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.spec_version, "SPDX-2.3");
        assert_eq!(s.subject.unwrap().name, "plc-runtime", "{name}");
        assert!(s.warnings.is_empty(), "{name}: {:?}", s.warnings);
    }
}

/// The specification's own example documents (files, snippets, licences,
/// annotations, an external document reference, every 2.3 package field)
/// pass strict mode, and both serialisations read alike.
#[test]
fn the_specification_examples_pass_strict() {
    let json = parse(
        fixture("spdx-spec-example-v2.3.spdx.json").as_bytes(),
        &ParseOptions::strict(),
    )
    .unwrap();
    let tv = parse(
        fixture("spdx-spec-example-v2.3.spdx").as_bytes(),
        &ParseOptions::strict(),
    )
    .unwrap();
    assert_eq!(json.subject.as_ref().unwrap().name, "glibc");
    assert_eq!(json.components.len(), 3);
    assert_eq!(json.subject, tv.subject);
    assert_eq!(json.components, tv.components);
    assert!(json.warnings.is_empty() && tv.warnings.is_empty());
}

#[test]
fn json_missing_name_is_refused_with_its_pointer() {
    let mut doc = minimal_json();
    doc.as_object_mut().unwrap().remove("name");
    let e = refused_json(&doc);
    assert_eq!(e.to_string(), "/name: missing required field `name`");
    // Missing in a package too.
    let mut doc = minimal_json();
    doc["packages"][0].as_object_mut().unwrap().remove("name");
    assert_eq!(pointer(&refused_json(&doc)), "/packages/0/name");
}

#[test]
fn json_spdxid_syntax_is_checked() {
    let mut doc = minimal_json();
    doc["packages"][0]["SPDXID"] = json!("SPDXRef-plc_runtime");
    doc["relationships"][0]["relatedSpdxElement"] = json!("SPDXRef-plc_runtime");
    let e = refused_json(&doc);
    assert_eq!(pointer(&e), "/packages/0/SPDXID");
    assert!(
        e.to_string()
            .contains("`SPDXRef-plc_runtime` is not `SPDXRef-`"),
        "{e}"
    );

    let mut doc = minimal_json();
    doc["SPDXID"] = json!("SPDXRef-DOC");
    let e = refused_json(&doc);
    assert_eq!(
        e.to_string(),
        "/SPDXID: the document's SPDXID is `SPDXRef-DOC`, not `SPDXRef-DOCUMENT`"
    );
}

#[test]
fn json_checksums_are_checked() {
    let mut doc = minimal_json();
    doc["packages"][0]["checksums"][0]["algorithm"] = json!("SHA-256");
    let e = refused_json(&doc);
    assert_eq!(pointer(&e), "/packages/0/checksums/0/algorithm");
    assert!(
        e.to_string().contains("`SHA-256` is not one of SPDX 2.3"),
        "{e}"
    );

    let mut doc = minimal_json();
    doc["packages"][0]["checksums"][0]["checksumValue"] = json!("0D6E");
    let e = refused_json(&doc);
    assert_eq!(pointer(&e), "/packages/0/checksums/0/checksumValue");

    // SHA3-256 is an SPDX 2.3 algorithm, not a 2.2 one.
    let mut doc = minimal_json();
    doc["packages"][0]["checksums"][0]["algorithm"] = json!("SHA3-256");
    parse(doc.to_string().as_bytes(), &ParseOptions::strict()).unwrap();
    doc["spdxVersion"] = json!("SPDX-2.2");
    // 2.2 also requires the licence and copyright fields of a package.
    for key in ["licenseConcluded", "licenseDeclared", "copyrightText"] {
        doc["packages"][0][key] = json!("NOASSERTION");
    }
    let e = refused_json(&doc);
    assert_eq!(pointer(&e), "/packages/0/checksums/0/algorithm");
    assert!(e.to_string().contains("new in SPDX 2.3"), "{e}");
}

/// Violations only the official schema knows of are reported with their
/// pointers, at most five.
#[test]
fn json_schema_violations_name_their_pointers() {
    let mut doc = minimal_json();
    doc["packages"][0]["filesAnalyzed"] = json!("no");
    let e = refused_json(&doc);
    assert_eq!(pointer(&e), "/packages/0/filesAnalyzed");
    assert!(
        e.to_string()
            .contains("not valid against the SPDX 2.3 JSON schema"),
        "{e}"
    );

    let mut doc = minimal_json();
    doc["relationships"][0]["relationshipType"] = json!("DESCRIBES_ALL");
    assert_eq!(
        pointer(&refused_json(&doc)),
        "/relationships/0/relationshipType"
    );

    // 2.2's schema requires what 2.3's made optional.
    let mut doc = minimal_json();
    doc["spdxVersion"] = json!("SPDX-2.2");
    let e = refused_json(&doc);
    assert!(e.to_string().contains("SPDX 2.2 JSON schema"), "{e}");
    assert!(e.to_string().contains("licenseConcluded"), "{e}");

    // Seven faults: five are named, the rest counted.
    let mut doc = minimal_json();
    doc["packages"][0]["primaryPackagePurpose"] = json!("GADGET");
    doc["packages"][0]["filesAnalyzed"] = json!(1);
    doc["packages"][0]["homepage"] = json!(2);
    doc["packages"][0]["summary"] = json!(3);
    doc["packages"][0]["description"] = json!(4);
    doc["packages"][0]["sourceInfo"] = json!(5);
    doc["packages"][0]["comment"] = json!(6);
    let message = refused_json(&doc).to_string();
    assert_eq!(message.matches("/packages/0/").count(), 6, "{message}");
    assert!(message.ends_with("; and 2 more"), "{message}");
}

#[test]
fn json_references_must_exist() {
    let mut doc = minimal_json();
    doc["relationships"][0]["relatedSpdxElement"] = json!("SPDXRef-Package-elsewhere");
    let e = refused_json(&doc);
    assert_eq!(
        e.to_string(),
        "/relationships/0/relatedSpdxElement: `SPDXRef-Package-elsewhere` is no element of this document"
    );
    // The spec example's snippet names a file of the document.
    let mut example: Value =
        serde_json::from_str(&fixture("spdx-spec-example-v2.3.spdx.json")).unwrap();
    example["snippets"][0]["snippetFromFile"] = json!("SPDXRef-NoSuchFile");
    assert_eq!(
        pointer(&refused_json(&example)),
        "/snippets/0/snippetFromFile"
    );
    // NONE and NOASSERTION stand for an element on the related side.
    doc["relationships"][0]["relatedSpdxElement"] = json!("NOASSERTION");
    parse(doc.to_string().as_bytes(), &ParseOptions::strict()).unwrap();
}

#[test]
fn json_dates_and_creators_are_checked() {
    let mut doc = minimal_json();
    doc["creationInfo"]["created"] = json!("2026-11-22");
    let e = refused_json(&doc);
    assert_eq!(pointer(&e), "/creationInfo/created");
    let mut doc = minimal_json();
    doc["creationInfo"]["creators"] = json!(["Tool: handwritten", "a person"]);
    assert_eq!(pointer(&refused_json(&doc)), "/creationInfo/creators/1");
    let mut doc = minimal_json();
    doc["dataLicense"] = json!("CC-BY-4.0");
    assert_eq!(pointer(&refused_json(&doc)), "/dataLicense");
}

#[test]
fn unknown_spdx_version_strict_refuses_lenient_warns() {
    let mut doc = minimal_json();
    doc["spdxVersion"] = json!("SPDX-2.4");
    let text = doc.to_string();
    let s = parse(text.as_bytes(), &ParseOptions::default()).unwrap();
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("unknown SPDX version `SPDX-2.4`")),
        "{:?}",
        s.warnings
    );
    assert!(matches!(
        parse(text.as_bytes(), &ParseOptions::strict()),
        Err(SbomError::UnsupportedVersion { .. })
    ));
}

fn minimal_tv() -> String {
    fixture("spdx-2.3-minimal.spdx")
}

#[test]
fn tag_value_missing_namespace_is_refused_with_its_line() {
    let doc = minimal_tv().replace(
        "DocumentNamespace: https://example.invalid/spdx/plc-runtime-minimal-1.0\n",
        "",
    );
    let e = refused(&doc);
    // The document creation information is lines 1–7 once the namespace
    // line is gone (the package starts on line 8).
    assert_eq!(
        e.to_string(),
        "line 1: the document creation information (lines 1–7) has no `DocumentNamespace`, which is required"
    );
}

#[test]
fn tag_value_faults_name_their_lines() {
    let tv = minimal_tv();
    let cases: &[(&str, &str, u64, &str)] = &[
        (
            "DataLicense: CC0-1.0",
            "DataLicense: MIT",
            2,
            "data licence `MIT`",
        ),
        (
            "SPDXID: SPDXRef-DOCUMENT",
            "SPDXID: SPDXRef-Document",
            3,
            "not `SPDXRef-DOCUMENT`",
        ),
        (
            "Created: 2026-11-22T00:00:00Z",
            "Created: 2026-11-22T00:00:00+01:00",
            7,
            "not a UTC date and time",
        ),
        (
            "Creator: Tool: handwritten",
            "Creator: handwritten",
            6,
            "is not `Person: name`",
        ),
        (
            "SPDXID: SPDXRef-Package-plc-runtime",
            "SPDXID: SPDXRef-Package/plc",
            10,
            "SPDXID `SPDXRef-Package/plc`",
        ),
        (
            "PackageChecksum: SHA256:",
            "PackageChecksum: SHA-256:",
            13,
            "`SHA-256` is not one of SPDX 2.3",
        ),
        (
            "FilesAnalyzed: false",
            "FilesAnalyzed: no",
            14,
            "not true or false",
        ),
        (
            "DESCRIBES SPDXRef-Package-plc-runtime",
            "DESCRIBES SPDXRef-Package-gone",
            16,
            "`SPDXRef-Package-gone` is no element of this document",
        ),
        (
            "DESCRIBES SPDXRef-Package-plc-runtime",
            "DEPENDS-ON SPDXRef-Package-plc-runtime",
            16,
            "relationship type `DEPENDS-ON`",
        ),
        (
            "SPDXVersion: SPDX-2.3",
            "SPDXVersion: SPDX-2.3\nDocumentName: again",
            5,
            "second `DocumentName` (the first is on line 2)",
        ),
    ];
    for (from, to, at, says) in cases {
        assert!(tv.contains(from), "{from}");
        let e = refused(&tv.replacen(from, to, 1));
        assert_eq!(line(&e), *at, "{to}: {e}");
        assert!(e.to_string().contains(says), "{to}: {e}");
    }
}

#[test]
fn tag_value_version_specific_tags() {
    // PrimaryPackagePurpose is SPDX 2.3.
    let tv = minimal_tv().replace(
        "FilesAnalyzed: false\n",
        "FilesAnalyzed: false\nPrimaryPackagePurpose: FIRMWARE\n",
    );
    parse(tv.as_bytes(), &ParseOptions::strict()).unwrap();
    let e = refused(&tv.replace("SPDX-2.3", "SPDX-2.2"));
    assert_eq!(line(&e), 15);
    assert!(e.to_string().contains("new in SPDX 2.3"), "{e}");
    let e = refused(&tv.replace("FIRMWARE", "GADGET"));
    assert_eq!(line(&e), 15);
}

/// The specification's example writes the verification code's exclusions
/// without a space; a code that is not 40 hex digits is refused.
#[test]
fn tag_value_verification_code() {
    let tv = fixture("spdx-spec-example-v2.3.spdx");
    let from = "PackageVerificationCode: d6a770ba38583ed4bb4525bd96e50461655d2758(./package.spdx)";
    assert!(tv.contains(from));
    let e = refused(&tv.replace(
        from,
        "PackageVerificationCode: d6a770ba38583ed4bb4525bd96e50461655d275 (excludes: ./package.spdx)",
    ));
    assert_eq!(line(&e), 78);
    assert!(
        e.to_string().contains("not 40 lower-case hex digits"),
        "{e}"
    );
}

#[test]
fn tag_value_files_and_duplicate_ids() {
    let with_file = format!(
        "{}\nFileName: ./bin/plc\nSPDXID: SPDXRef-File-plc\nFileChecksum: SHA1: d6a770ba38583ed4bb4525bd96e50461655d2758\nRelationship: SPDXRef-Package-plc-runtime CONTAINS SPDXRef-File-plc\n",
        minimal_tv()
    );
    parse(with_file.as_bytes(), &ParseOptions::strict()).unwrap();
    // A file without a checksum: refused at its FileName line.
    let e = refused(&with_file.replace(
        "FileChecksum: SHA1: d6a770ba38583ed4bb4525bd96e50461655d2758\n",
        "",
    ));
    assert_eq!(line(&e), 18);
    assert!(e.to_string().contains("`FileChecksum`"), "{e}");
    // The file reuses the package's SPDXID.
    let e = refused(&with_file.replace("SPDXRef-File-plc", "SPDXRef-Package-plc-runtime"));
    assert_eq!(line(&e), 19);
    assert!(
        e.to_string().contains("not unique (also on line 10)"),
        "{e}"
    );
}
