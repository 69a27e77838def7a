//! The fixtures in tests/fixtures (see its README): real CycloneDX files and
//! hand-written SPDX ones. These run without ../shared.

use std::path::Path;

use kensa_sbom::{Component, Dependency, ParseOptions, Sbom, SbomFormat, parse};

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn lenient(name: &str) -> Sbom {
    parse(&fixture(name), &ParseOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn strict(name: &str) -> Sbom {
    parse(&fixture(name), &ParseOptions::strict()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn by_ref<'s>(s: &'s Sbom, r: &str) -> &'s Component {
    s.components
        .iter()
        .find(|c| c.bom_ref == r)
        .unwrap_or_else(|| panic!("no component {r}"))
}

#[test]
fn cyclonedx_json_bom() {
    let s = strict("cdx-1.6-valid-bom.json");
    assert_eq!(s.format, SbomFormat::CyclonedxJson);
    assert_eq!(s.spec_version, "1.6");
    assert_eq!(
        s.serial_number.as_deref(),
        Some("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79")
    );
    let subject = s.subject.as_ref().unwrap();
    assert_eq!(subject.name, "Acme Application");
    assert_eq!(subject.version.as_deref(), Some("9.1.1"));
    assert_eq!(subject.bom_ref, "metadata-component");
    // metadata.supplier and metadata.manufacturer go to the subject.
    assert_eq!(subject.supplier.as_deref(), Some("Acme, Inc."));
    assert_eq!(subject.manufacturer.as_deref(), Some("Acme, Inc."));
    assert_eq!(s.components.len(), 3);
    let lib = by_ref(
        &s,
        "pkg:maven/com.example/myapplication@1.0.0?packaging=war",
    );
    assert_eq!(lib.name, "mylibrary");
    assert_eq!(lib.group.as_deref(), Some("org.example"));
    assert_eq!(lib.kind.as_deref(), Some("library"));
    assert_eq!(
        lib.cpes,
        ["cpe:2.3:a:example:myapplication:1.0.0:*:*:*:*:*:*:*"]
    );
    assert_eq!(lib.supplier.as_deref(), Some("Example, Inc."));
    assert_eq!(lib.manufacturer.as_deref(), Some("Example-2, Inc."));
    // 1.6 `authors`, joined.
    assert_eq!(
        lib.author.as_deref(),
        Some("Anthony Edward Stark, Peter Benjamin Parker")
    );
    // The third has no bom-ref: synthesised from its index, and said so.
    assert_eq!(s.components[2].bom_ref, "component-2");
    assert!(
        s.warnings
            .contains(&"/components/2: no bom-ref; synthesised `component-2`".to_string()),
        "{:?}",
        s.warnings
    );
    assert_eq!(
        s.dependencies,
        [Dependency {
            r#ref: "pkg:maven/com.acme/tomcat-catalina@9.0.14?packaging=jar".into(),
            depends_on: vec!["pkg:maven/com.example/myapplication@1.0.0?packaging=war".into()],
        }]
    );
}

#[test]
fn cyclonedx_xml_bom_reads_as_its_json_twin() {
    let x = strict("cdx-1.6-valid-bom.xml");
    let j = strict("cdx-1.6-valid-bom.json");
    assert_eq!(x.format, SbomFormat::CyclonedxXml);
    assert_eq!(x.spec_version, "1.6");
    assert_eq!(x.serial_number, j.serial_number);
    assert_eq!(x.subject, j.subject);
    assert_eq!(x.components, j.components);
    assert_eq!(x.dependencies, j.dependencies);
    assert_eq!(
        x.warnings[1],
        "/bom/components/component[3] (line 168, column 9): no bom-ref; synthesised `component-2`"
    );
}

#[test]
fn cyclonedx_xml_nested_components_and_dependencies() {
    let s = strict("cdx-1.6-valid-assembly.xml");
    let names: Vec<(&str, Option<&str>)> = s
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.parent.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("acme-library-a", None),
            ("acme-library-b", Some("component-0"))
        ]
    );
    let s = strict("cdx-1.6-valid-dependency.xml");
    assert_eq!(
        s.dependencies,
        [
            Dependency {
                r#ref: "library-a".into(),
                depends_on: vec![],
            },
            Dependency {
                r#ref: "library-b".into(),
                depends_on: vec!["library-c".into()],
            },
        ]
    );
}

#[test]
fn hardware_bom() {
    let s = strict("hbom-pcie-sata-adapter-board.cdx.json");
    assert_eq!(s.spec_version, "1.4");
    let subject = s.subject.as_ref().unwrap();
    assert_eq!(subject.kind.as_deref(), Some("device"));
    assert_eq!(subject.group.as_deref(), Some("uk.ac.cam.cl"));
    assert_eq!(s.components.len(), 6);
    let c = by_ref(&s, "PCIE-098-02-F-D-EMS2");
    assert_eq!(c.supplier.as_deref(), Some("Samtec"));
    assert_eq!(c.properties[0], ("cdx:device:quantity".into(), "1".into()));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

fn expected_gw200(s: &Sbom) {
    let subject = s.subject.as_ref().unwrap();
    assert_eq!(subject.bom_ref, "SPDXRef-Package-firmware");
    assert_eq!(subject.name, "gw-200-firmware");
    assert_eq!(subject.kind.as_deref(), Some("firmware"));
    assert_eq!(
        subject.supplier.as_deref(),
        Some("Example Industrial Systems")
    );
    assert_eq!(subject.author.as_deref(), Some("Jane Doe"));
    assert_eq!(
        subject.cpes,
        ["cpe:2.3:o:example:gw-200_firmware:4.2.1:*:*:*:*:*:*:*"]
    );
    // The subject is not also a component; the packages it contains are,
    // with it as their parent.
    let names: Vec<&str> = s.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["busybox", "openssl", "zlib"]);
    assert!(
        s.components
            .iter()
            .all(|c| c.parent.as_deref() == Some("SPDXRef-Package-firmware"))
    );
    let busybox = by_ref(s, "SPDXRef-Package-busybox");
    assert_eq!(busybox.version.as_deref(), Some("1.36.1"));
    assert_eq!(busybox.kind.as_deref(), Some("application"));
    assert_eq!(busybox.purl.as_deref(), Some("pkg:generic/busybox@1.36.1"));
    // cpe22Type, converted.
    assert_eq!(
        busybox.cpes,
        ["cpe:2.3:a:busybox:busybox:1.36.1:*:*:*:*:*:*:*"]
    );
    assert_eq!(
        busybox.properties,
        [("build:config".to_string(), "defconfig".to_string())]
    );
    let openssl = by_ref(s, "SPDXRef-Package-openssl");
    assert_eq!(openssl.purl.as_deref(), Some("pkg:generic/openssl@3.0.13"));
    assert_eq!(
        openssl.supplier.as_deref(),
        Some("OpenSSL Software Foundation")
    );
    let zlib = by_ref(s, "SPDXRef-Package-zlib");
    assert_eq!(zlib.supplier, None);
    assert_eq!(
        s.dependencies,
        [
            Dependency {
                r#ref: "SPDXRef-Package-busybox".into(),
                depends_on: vec!["SPDXRef-Package-openssl".into()],
            },
            Dependency {
                r#ref: "SPDXRef-Package-openssl".into(),
                depends_on: vec!["SPDXRef-Package-zlib".into()],
            },
        ]
    );
    assert_eq!(
        s.serial_number.as_deref(),
        Some("https://example.invalid/spdx/gw-200-firmware-4.2.1")
    );
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn spdx_tag_value() {
    let s = strict("gw-200-firmware.spdx");
    assert_eq!(s.format, SbomFormat::SpdxTagValue);
    assert_eq!(s.spec_version, "SPDX-2.3");
    expected_gw200(&s);
}

#[test]
fn spdx_json() {
    let s = strict("gw-200-firmware.spdx.json");
    assert_eq!(s.format, SbomFormat::SpdxJson);
    assert_eq!(s.spec_version, "SPDX-2.3");
    expected_gw200(&s);
}

const ALL: &[&str] = &[
    "cdx-1.6-valid-bom.json",
    "cdx-1.6-valid-bom.xml",
    "cdx-1.6-valid-dependency.xml",
    "cdx-1.6-valid-assembly.xml",
    "hbom-pcie-sata-adapter-board.cdx.json",
    "gw-200-firmware.spdx",
    "gw-200-firmware.spdx.json",
];

#[test]
fn every_fixture_is_the_same_lenient_and_strict() {
    for f in ALL {
        assert_eq!(lenient(f), strict(f), "{f}");
    }
}

/// Cut at many places, with bytes flipped: never a panic, in either mode.
#[test]
fn damaged_fixtures_never_panic() {
    let modes = [ParseOptions::default(), ParseOptions::strict()];
    for f in ALL {
        let bytes = fixture(f);
        let step = (bytes.len() / 400).max(1);
        for cut in (0..bytes.len()).step_by(step) {
            for opts in &modes {
                let _ = parse(&bytes[..cut], opts);
            }
        }
        // A fixed pseudo-random sequence of one-byte changes.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let mut damaged = bytes.clone();
            let at = (seed >> 33) as usize % damaged.len();
            damaged[at] = [b'{', b'}', b'<', b'"', b':', b'\n', 0, 0xff][(seed >> 20) as usize % 8];
            for opts in &modes {
                let _ = parse(&damaged, opts);
            }
        }
    }
}
