//! Behaviour on small documents written in the tests: flattening, bom-ref
//! synthesis, warnings and their places, strict errors, limits, syntax
//! errors, tag-value text blocks, format detection.

use kensa_sbom::{Location, ParseOptions, Sbom, SbomError, SbomFormat, parse};

fn lenient(doc: &str) -> Sbom {
    parse(doc.as_bytes(), &ParseOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn strict_err(doc: &str) -> SbomError {
    match parse(doc.as_bytes(), &ParseOptions::strict()) {
        Ok(s) => panic!("strict mode accepted it: {s:?}"),
        Err(e) => e,
    }
}

fn invalid_at(e: &SbomError) -> String {
    match e {
        SbomError::Invalid { at, .. } => at.to_string(),
        other => panic!("not an Invalid error: {other:?}"),
    }
}

const NESTED: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "metadata": {
    "component": {
      "type": "firmware", "name": "plc-fw", "version": "2.1",
      "components": [{ "type": "library", "name": "rtos", "version": "10.4" }]
    },
    "supplier": { "name": "Example Automation" }
  },
  "components": [
    {
      "type": "application", "bom-ref": "app", "name": "hmi", "version": "1.0",
      "components": [
        {
          "type": "library", "name": "libpng", "version": "1.6.37",
          "components": [
            { "type": "library", "bom-ref": "zlib", "name": "zlib", "version": "1.2.11" }
          ]
        },
        { "type": "library", "bom-ref": "component-1", "name": "expat", "version": "2.4.1" }
      ]
    },
    { "type": "library", "name": "openssl", "version": "1.1.1k" }
  ]
}"#;

#[test]
fn nested_components_are_flattened_with_their_parent() {
    let s = lenient(NESTED);
    let got: Vec<(&str, &str, Option<&str>)> = s
        .components
        .iter()
        .map(|c| (c.bom_ref.as_str(), c.name.as_str(), c.parent.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            // Nested in the subject.
            ("component-0", "rtos", Some("metadata-component")),
            ("app", "hmi", None),
            // `component-1` is taken by expat, so libpng gets a suffix.
            ("component-2", "libpng", Some("app")),
            ("zlib", "zlib", Some("component-2")),
            ("component-1", "expat", Some("app")),
            ("component-5", "openssl", None),
        ]
    );
    let subject = s.subject.unwrap();
    assert_eq!(subject.name, "plc-fw");
    assert_eq!(subject.bom_ref, "metadata-component");
    assert_eq!(subject.supplier.as_deref(), Some("Example Automation"));
    assert_eq!(subject.parent, None);
}

#[test]
fn synthesised_bom_refs_are_stable_unique_and_reported() {
    let a = lenient(NESTED);
    let b = lenient(NESTED);
    assert_eq!(a, b);
    assert_eq!(
        a.warnings,
        [
            "/metadata/component: no bom-ref; synthesised `metadata-component`",
            "/metadata/component/components/0: no bom-ref; synthesised `component-0`",
            "/components/0/components/0: no bom-ref; synthesised `component-2`",
            "/components/1: no bom-ref; synthesised `component-5`",
        ]
    );
    let mut refs: Vec<&str> = a.components.iter().map(|c| c.bom_ref.as_str()).collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), a.components.len());
}

const DEVIANT: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.4",
  "components": [
    { "type": "library", "name": "a", "version": "1" },
    { "type": "library", "name": "b", "version": "2", "x-vendor": true },
    { "type": "library", "name": "c", "version": "3", "cpe": "cpe:/a:vendor:c:3" },
    { "type": "library", "name": "d", "version": 1.5, "cpe": "not a cpe" },
    { "type": "gadget", "name": 42 },
    { "name": "f", "supplier": "Acme" }
  ]
}"#;

#[test]
fn lenient_mode_warns_with_json_pointers() {
    let s = lenient(DEVIANT);
    let c = &s.components;
    assert_eq!(c.len(), 6);
    assert_eq!(c[2].cpes, ["cpe:2.3:a:vendor:c:3:*:*:*:*:*:*:*"]);
    assert_eq!(c[3].version.as_deref(), Some("1.5"));
    assert_eq!(c[3].cpes, ["not a cpe"]);
    assert_eq!(c[4].name, "42");
    assert_eq!(c[4].kind.as_deref(), Some("gadget"));
    assert_eq!(c[5].kind, None);
    assert_eq!(c[5].supplier.as_deref(), Some("Acme"));
    let expected = [
        "/components/1/x-vendor: unknown component field `x-vendor`",
        "/components/3/version: a number where a string is expected; read as \"1.5\"",
        "/components/3/cpe: `not a cpe` is neither a CPE 2.3 formatted string nor a CPE 2.2 URI; kept as it is",
        "/components/4/type: unknown component type `gadget`",
        "/components/4/name: a number where a string is expected; read as \"42\"",
        "/components/5/type: missing required field `type`",
        "/components/5/supplier: a string where an organization object is expected; read as its name",
    ];
    for w in expected {
        assert!(
            s.warnings.iter().any(|x| x == w),
            "missing {w:?} in {:#?}",
            s.warnings
        );
    }
}

#[test]
fn strict_mode_refuses_the_first_deviation() {
    let e = strict_err(DEVIANT);
    assert_eq!(invalid_at(&e), "/components/1/x-vendor");
    assert_eq!(
        e.to_string(),
        "/components/1/x-vendor: unknown component field `x-vendor`"
    );

    let doc = |component: &str| {
        format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{component}]}}"#)
    };
    let e = strict_err(&doc(r#"{"name":"x"}"#));
    assert_eq!(
        e.to_string(),
        "/components/0/type: missing required field `type`"
    );
    let e = strict_err(&doc(r#"{"type":"library"}"#));
    assert_eq!(
        e.to_string(),
        "/components/0/name: missing required field `name`"
    );
    let e = strict_err(&doc(r#"{"type":"library","name":"x","version":1}"#));
    assert_eq!(invalid_at(&e), "/components/0/version");
    let e = strict_err(&doc(
        r#"{"type":"library","name":"x","bom-ref":"a"},{"type":"library","name":"y","bom-ref":"a"}"#,
    ));
    assert_eq!(
        e.to_string(),
        "/components/1: bom-ref `a` is not unique (also used at /components/0)"
    );
    // Fine in strict mode: no version from 1.4 on, no bom-ref.
    let s = parse(
        doc(r#"{"type":"library","name":"x"}"#).as_bytes(),
        &ParseOptions::strict(),
    )
    .unwrap();
    assert_eq!(
        s.warnings,
        ["/components/0: no bom-ref; synthesised `component-0`"]
    );
    // Up to 1.3 the version is required.
    let e = strict_err(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.3","components":[{"type":"library","name":"x"}]}"#,
    );
    assert_eq!(invalid_at(&e), "/components/0/version");
}

#[test]
fn unknown_spec_versions() {
    let doc = r#"{"bomFormat":"CycloneDX","specVersion":"2.0","components":[{"type":"library","name":"x","version":"1"}]}"#;
    let s = lenient(doc);
    assert_eq!(s.components[0].name, "x");
    assert!(
        s.warnings[0].starts_with("/specVersion: unknown CycloneDX version `2.0`"),
        "{:?}",
        s.warnings
    );
    match strict_err(doc) {
        SbomError::UnsupportedVersion { at, version, .. } => {
            assert_eq!(at, Location::Pointer("/specVersion".into()));
            assert_eq!(version, "2.0");
        }
        other => panic!("{other:?}"),
    }
    // A number where the version string belongs.
    let s = lenient(r#"{"bomFormat":"CycloneDX","specVersion":1.5}"#);
    assert_eq!(s.spec_version, "1.5");
    // 1.7 is read (best effort) without a word; strict mode checks it
    // against the 1.7 schema, which allows `versionRange` only on an
    // external component.
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.7","components":[{"type":"library","name":"x","versionRange":">=1"}]}"#;
    let s = parse(doc, &ParseOptions::default()).unwrap();
    assert_eq!(s.components[0].version, None);
    assert!(
        s.warnings.iter().all(|w| w.contains("no bom-ref")),
        "{:?}",
        s.warnings
    );
    let e = parse(doc, &ParseOptions::strict()).unwrap_err();
    assert_eq!(invalid_at(&e), "/components/0");
    assert!(e.to_string().contains("CycloneDX 1.7 JSON schema"), "{e}");
    let external = br#"{"bomFormat":"CycloneDX","specVersion":"1.7","components":[{"type":"library","name":"x","isExternal":true,"versionRange":">=1"}]}"#;
    assert!(parse(external, &ParseOptions::strict()).is_ok());
    // SPDX 3 is refused in both modes.
    let spdx3 = br#"{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}"#;
    assert!(matches!(
        parse(spdx3, &ParseOptions::default()),
        Err(SbomError::UnsupportedVersion { .. })
    ));
}

#[test]
fn depth_limit_is_an_error_not_a_stack_overflow() {
    // Far deeper than any stack would allow a recursive parser.
    let deep = "[".repeat(1_000_000);
    let e = parse(deep.as_bytes(), &ParseOptions::default()).unwrap_err();
    assert_eq!(
        e,
        SbomError::TooDeep {
            at: Location::LineColumn {
                line: 1,
                column: 65
            },
            limit: 64
        }
    );
    let deep_xml = "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\">".to_string()
        + &"<components><component type=\"library\">".repeat(200_000);
    assert!(matches!(
        parse(deep_xml.as_bytes(), &ParseOptions::default()),
        Err(SbomError::TooDeep { limit: 64, .. })
    ));
    // Components nested 40 deep are 81 JSON levels: over the default, fine
    // with a larger bound.
    let mut doc = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":["#);
    for i in 0..40 {
        doc += &format!(r#"{{"type":"library","name":"c{i}","components":["#);
    }
    doc += &"]}".repeat(40);
    doc += "]}";
    assert!(matches!(
        parse(doc.as_bytes(), &ParseOptions::default()),
        Err(SbomError::TooDeep { limit: 64, .. })
    ));
    let opts = ParseOptions {
        max_depth: 100,
        ..ParseOptions::default()
    };
    let s = parse(doc.as_bytes(), &opts).unwrap();
    assert_eq!(s.components.len(), 40);
    assert_eq!(s.components[39].parent.as_deref(), Some("component-38"));
    // serde_json's own bound still holds above 128.
    let opts = ParseOptions {
        max_depth: 10_000,
        ..ParseOptions::default()
    };
    assert!(matches!(
        parse("[".repeat(5000).as_bytes(), &opts),
        Err(SbomError::TooDeep { limit: 128, .. })
    ));
}

#[test]
fn component_count_limit() {
    let opts = ParseOptions {
        max_components: 4,
        ..ParseOptions::default()
    };
    let e = parse(NESTED.as_bytes(), &opts).unwrap_err();
    // rtos (nested in the subject), hmi, libpng and zlib fit; expat is one
    // too many. The subject itself is not a component and does not count.
    assert_eq!(
        e,
        SbomError::TooManyComponents {
            at: Location::Pointer("/components/0/components/1".into()),
            limit: 4
        }
    );
    let xml = format!(
        "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\"><components>{}</components></bom>",
        "<component type=\"library\"><name>x</name></component>".repeat(5)
    );
    assert!(matches!(
        parse(xml.as_bytes(), &opts),
        Err(SbomError::TooManyComponents { limit: 4, .. })
    ));
}

#[test]
fn malformed_json_names_line_and_column() {
    let doc =
        "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.6\"\n  \"components\": []\n}";
    match parse(doc.as_bytes(), &ParseOptions::default()).unwrap_err() {
        SbomError::Syntax {
            syntax,
            at,
            message,
        } => {
            assert_eq!(syntax, "JSON");
            assert_eq!(at, Location::LineColumn { line: 4, column: 3 });
            assert!(message.contains("expected `,` or `}`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let e = parse(
        b"{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.",
        &ParseOptions::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("malformed JSON at line 1, column"),
        "{e}"
    );
}

#[test]
fn malformed_xml_names_line_and_column() {
    let doc = "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\">\n  <components>\n    <component type=\"library\"><name>x</nam>\n";
    match parse(doc.as_bytes(), &ParseOptions::default()).unwrap_err() {
        SbomError::Syntax { syntax, at, .. } => {
            assert_eq!(syntax, "XML");
            assert!(matches!(at, Location::LineColumn { line: 3, .. }), "{at:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn xml_warnings_name_element_line_and_column() {
    let doc = r#"<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" xmlns:x="urn:vendor">
  <components>
    <component type="library"><name>a</name><x:extra/></component>
    <component type="gizmo" bom-ref="b"><name>b</name><colour>red</colour></component>
  </components>
</bom>"#;
    let s = lenient(doc);
    assert_eq!(
        s.warnings,
        [
            "/bom/components/component[2]/colour (line 5, column 55): unknown component element `colour`",
            "/bom/components/component[2] (line 5, column 5): unknown component type `gizmo`",
            "/bom/components/component[1] (line 4, column 5): no bom-ref; synthesised `component-0`",
        ]
    );
    let e = strict_err(doc);
    assert_eq!(
        invalid_at(&e),
        "/bom/components/component[2]/colour (line 5, column 55)"
    );
}

const TAG_VALUE: &str = "SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: t
DocumentNamespace: https://example.invalid/t
Creator: Tool: test
Created: 2024-01-01T00:00:00Z
DocumentComment: <text>first line
SPDXID: SPDXRef-not-a-tag
# not a comment either
</text>

PackageName: modbus-stack
SPDXID: SPDXRef-modbus
PackageVersion: 3.1
PackageDownloadLocation: NOASSERTION
PackageDescription: <text>one</text>
PackageComment: <text>
multi
line
</text>
ExternalRef: SECURITY cpe23Type cpe:2.3:a:example:modbus_stack:3.1:*:*:*:*:*:*:*
Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-modbus
";

#[test]
fn tag_value_with_multi_line_text() {
    let s = parse(TAG_VALUE.as_bytes(), &ParseOptions::strict()).unwrap();
    assert_eq!(s.format, SbomFormat::SpdxTagValue);
    // The text block's `SPDXID:` line did not replace the document's id,
    // so DESCRIBES from SPDXRef-DOCUMENT still finds the package.
    let subject = s.subject.unwrap();
    assert_eq!(subject.bom_ref, "SPDXRef-modbus");
    assert_eq!(subject.version.as_deref(), Some("3.1"));
    assert_eq!(
        subject.cpes,
        ["cpe:2.3:a:example:modbus_stack:3.1:*:*:*:*:*:*:*"]
    );
    assert!(s.components.is_empty());
    // Windows line ends read the same.
    let crlf = TAG_VALUE.replace('\n', "\r\n");
    let t = parse(crlf.as_bytes(), &ParseOptions::strict()).unwrap();
    assert_eq!(t.subject.unwrap().cpes.len(), 1);
}

#[test]
fn tag_value_errors_and_warnings_name_the_line() {
    let unclosed = TAG_VALUE.replace("one</text>", "one");
    // The block then runs on to the `</text>` of PackageComment; remove that
    // too to leave one open at the end.
    let unclosed = unclosed.replace("line\n</text>", "line\n");
    match parse(unclosed.as_bytes(), &ParseOptions::default()).unwrap_err() {
        SbomError::Syntax {
            syntax,
            at,
            message,
        } => {
            assert_eq!(syntax, "SPDX tag-value");
            assert_eq!(at, Location::Line(17));
            assert!(message.contains("PackageDescription"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let odd = TAG_VALUE.replace(
        "PackageVersion: 3.1\n",
        "PackageVersion: 3.1\nthis line has no tag\nPackageFrobnicator: yes\n",
    );
    let s = lenient(&odd);
    assert_eq!(
        s.warnings,
        [
            "line 16: not a `Tag: value` line; ignored",
            "line 17: unknown tag `PackageFrobnicator`",
        ]
    );
    assert_eq!(invalid_at(&strict_err(&odd)), "line 16");
    let no_download = TAG_VALUE.replace("PackageDownloadLocation: NOASSERTION\n", "");
    assert_eq!(
        strict_err(&no_download).to_string(),
        "line 13: package `modbus-stack` has no `PackageDownloadLocation`"
    );
}

#[test]
fn spdx_json_required_fields() {
    let doc = |pkg: &str| {
        format!(
            r#"{{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"d","dataLicense":"CC0-1.0",
            "documentNamespace":"https://example.invalid/d","creationInfo":{{"created":"2024-01-01T00:00:00Z","creators":["Tool: t"]}},
            "packages":[{pkg}]}}"#
        )
    };
    let e = strict_err(&doc(r#"{"name":"p","downloadLocation":"NOASSERTION"}"#));
    assert_eq!(
        e.to_string(),
        "/packages/0/SPDXID: missing required field `SPDXID`"
    );
    let e = strict_err(&doc(r#"{"SPDXID":"SPDXRef-p","name":"p"}"#));
    assert_eq!(invalid_at(&e), "/packages/0/downloadLocation");
    let e = strict_err(&doc(
        r#"{"SPDXID":"SPDXRef-p","downloadLocation":"NOASSERTION"}"#,
    ));
    assert_eq!(invalid_at(&e), "/packages/0/name");
    let s = lenient(&doc(
        r#"{"name":"p","versionInfo":2,"downloadLocation":"NOASSERTION","supplier":"Organization: ACME","future":1}"#,
    ));
    let p = &s.components[0];
    assert_eq!(p.bom_ref, "component-0");
    assert_eq!(p.version.as_deref(), Some("2"));
    assert_eq!(p.supplier.as_deref(), Some("ACME"));
    assert_eq!(
        s.warnings,
        [
            "/packages/0/future: unknown package field `future`",
            "/packages/0/SPDXID: missing required field `SPDXID`",
            "/packages/0/versionInfo: a number where a string is expected; read as \"2\"",
            "/packages/0: no bom-ref; synthesised `component-0`",
        ]
    );
}

#[test]
fn not_an_sbom() {
    let not = |bytes: &[u8]| match parse(bytes, &ParseOptions::default()) {
        Err(e @ SbomError::NotAnSbom { .. }) => {
            assert!(
                e.to_string().starts_with(
                    "not an SBOM: expected CycloneDX (JSON/XML) or SPDX (JSON/tag-value)"
                ),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    };
    not(b"");
    not(b"   \n");
    not(b"hello world");
    not(b"[1, 2, 3]");
    not(br#"{"vulnerabilities": []}"#);
    not(br#"{"bomFormat": "SomethingElse", "specVersion": "1.6"}"#);
    not(b"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/>");
    not(b"<bom xmlns=\"urn:other\"/>");
    not(b"\xff\xfe{\x00}\x00");
    not(b"\x00\x01\x02\x03 binary");
}

#[test]
fn small_variations_real_generators_make() {
    // A UTF-8 byte order mark, lower-case bomFormat, no bomFormat at all.
    let s = lenient("\u{feff}{\"bomFormat\":\"cyclonedx\",\"specVersion\":\"1.6\"}");
    assert_eq!(
        s.warnings,
        ["/bomFormat: `cyclonedx` where `CycloneDX` is required"]
    );
    let s = lenient(r#"{"specVersion":"1.6","components":[]}"#);
    assert_eq!(
        s.warnings,
        ["/bomFormat: missing required field `bomFormat`; read as CycloneDX"]
    );
    // A CycloneDX XML namespace with a version this crate does not know.
    let s = lenient(
        r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.9"><components><component type="library"><name>x</name></component></components></bom>"#,
    );
    assert_eq!(s.spec_version, "1.9");
    assert_eq!(s.components[0].name, "x");
}

#[test]
fn warnings_are_capped() {
    let mut doc = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":["#);
    doc += &vec![r#"{"type":"library","name":"x"}"#; 1500].join(",");
    doc += "]}";
    let s = lenient(&doc);
    assert_eq!(s.components.len(), 1500);
    assert_eq!(s.warnings.len(), 1001);
    assert_eq!(s.warnings[1000], "500 further warnings not shown");
}

/// Strict mode checks CycloneDX XML against the official XSD of its version;
/// lenient mode reads the same document without a word about fields it does
/// not use. The error names the element path and line of each violation.
#[test]
fn strict_xml_is_checked_against_the_xsd() {
    let doc = r#"<?xml version="1.0"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.6" xmlns:ext="urn:example:ext" version="1">
  <components>
    <component type="library">
      <name>zlib</name>
      <version>1.3.1</version>
      <scope>sometimes</scope>
      <hashes>
        <hash alg="SHA-256">not-hex</hash>
      </hashes>
      <ext:note>extension elements in other namespaces pass</ext:note>
    </component>
  </components>
</bom>"#;
    let s = lenient(doc);
    assert_eq!(s.components.len(), 1);
    let e = strict_err(doc);
    assert_eq!(
        invalid_at(&e),
        "/bom/components/component/scope (line 7, column 7)"
    );
    let text = e.to_string();
    assert!(
        text.contains(
            "not valid against the CycloneDX 1.6 XSD: `sometimes` is not one of: required, optional, excluded; "
        ),
        "{text}"
    );
    assert!(
        text.contains("; /bom/components/component/hashes/hash (line 9, column 9): `not-hex` does not match the pattern"),
        "{text}"
    );
    // Without the two bad values the document is valid, extension included.
    let fixed = doc
        .replace("not-hex", &"ab".repeat(32))
        .replace("sometimes", "required");
    if let Err(e) = parse(fixed.as_bytes(), &ParseOptions::strict()) {
        panic!("{e}");
    }
}
