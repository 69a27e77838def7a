//! Real SBOMs from ../shared (skipped with a message when it is absent):
//! CycloneDX bom-examples, SPDX examples, an OVMF firmware SBOM in both
//! formats, and the matching development SBOM.

use std::path::{Path, PathBuf};

use kensa_sbom::{ParseOptions, Sbom, SbomError, SbomFormat, parse};

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent (no ../shared)", p.display());
        None
    }
}

/// Files under `dir` whose names end with one of `exts`, sorted.
fn walk(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if exts.iter().any(|x| p.to_str().unwrap().ends_with(x)) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read(p: &Path, opts: &ParseOptions) -> Result<Sbom, SbomError> {
    parse(&std::fs::read(p).unwrap(), opts)
}

fn rel<'p>(p: &'p Path, base: &Path) -> &'p str {
    p.strip_prefix(base).unwrap().to_str().unwrap()
}

#[test]
fn cyclonedx_bom_examples() {
    let Some(base) = shared("data/vuln/cyclonedx-bom-examples") else {
        return;
    };
    let files = walk(&base, &[".json", ".xml"]);
    // SBOM, HBOM, OBOM, SaaSBOM, CBOM and VEX documents: all CycloneDX.
    assert_eq!(files.len(), 68);
    let mut components = 0;
    for f in &files {
        let s =
            read(f, &ParseOptions::default()).unwrap_or_else(|e| panic!("{}: {e}", rel(f, &base)));
        assert!(matches!(
            s.format,
            SbomFormat::CyclonedxJson | SbomFormat::CyclonedxXml
        ));
        // They are valid: strict mode reads them the same.
        let t =
            read(f, &ParseOptions::strict()).unwrap_or_else(|e| panic!("{}: {e}", rel(f, &base)));
        assert_eq!(s, t, "{}", rel(f, &base));
        components += s.components.len();
    }
    println!(
        "{} CycloneDX examples, {components} components",
        files.len()
    );

    let keycloak = read(
        &base.join("SBOM/keycloak-10.0.2/bom.json"),
        &ParseOptions::default(),
    )
    .unwrap();
    assert_eq!(keycloak.components.len(), 903);
    assert_eq!(keycloak.dependencies.len(), 899);
    assert_eq!(keycloak.subject.as_ref().unwrap().name, "keycloak-parent");
    let xml = read(
        &base.join("SBOM/keycloak-10.0.2/bom.xml"),
        &ParseOptions::default(),
    )
    .unwrap();
    assert_eq!(xml.components, keycloak.components);
    assert_eq!(xml.dependencies, keycloak.dependencies);
    // CycloneDX 1.1 XML: no metadata, no bom-refs.
    let laravel = read(
        &base.join("SBOM/laravel-7.12.0/bom.1.1.xml"),
        &ParseOptions::default(),
    )
    .unwrap();
    assert_eq!(laravel.spec_version, "1.1");
    assert_eq!(laravel.components.len(), 62);
    assert_eq!(laravel.subject, None);
}

#[test]
fn spdx_examples() {
    let Some(base) = shared("data/vuln/spdx-examples") else {
        return;
    };
    let mut read_ok = 0;
    let mut spdx3 = 0;
    for f in walk(&base, &[".json", ".spdx"]) {
        let name = rel(&f, &base);
        let result = read(&f, &ParseOptions::default());
        if name.contains("spdx3") || name.contains("/spdx3.0/") {
            // SPDX 3 is refused with a clear error, never misread.
            assert!(
                matches!(result, Err(SbomError::UnsupportedVersion { .. })),
                "{name}: {result:?}"
            );
            spdx3 += 1;
            continue;
        }
        let s = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            s.spec_version == "SPDX-2.2" || s.spec_version == "SPDX-2.3",
            "{name}"
        );
        // Strict mode has nothing to refuse in them either.
        read(&f, &ParseOptions::strict()).unwrap_or_else(|e| panic!("{name} (strict): {e}"));
        read_ok += 1;
    }
    println!("{read_ok} SPDX 2.x examples read, {spdx3} SPDX 3 refused");
    assert_eq!(read_ok, 29);
    assert_eq!(spdx3, 25);

    // Tag-value with files, a multi-line licence text and packages.
    let lib = read(
        &base.join("software/example6/spdx2.2/example6-lib.spdx"),
        &ParseOptions::default(),
    )
    .unwrap();
    assert_eq!(lib.format, SbomFormat::SpdxTagValue);
    assert_eq!(lib.subject.as_ref().unwrap().name, "go-1.15");
    assert_eq!(lib.components.len(), 4);
    // JSON with purls and DEPENDENCY_OF relationships.
    let app = read(
        &base.join("software/example9/spdx2.2/appbomination.spdx.json"),
        &ParseOptions::default(),
    )
    .unwrap();
    let subject = app.subject.as_ref().unwrap();
    assert_eq!(subject.name, "App-BOM-ination");
    assert_eq!(subject.supplier.as_deref(), Some("ACT Project"));
    assert_eq!(app.components.len(), 6);
    let junit = app.components.iter().find(|c| c.name == "junit").unwrap();
    assert_eq!(junit.purl.as_deref(), Some("pkg:maven/junit/junit@4.12"));
    assert_eq!(junit.version.as_deref(), Some("4.12"));
    let deps: Vec<(&str, Vec<&str>)> = app
        .dependencies
        .iter()
        .map(|d| {
            (
                d.r#ref.as_str(),
                d.depends_on.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        deps,
        [
            ("SPDXRef-22", vec!["SPDXRef-23"]),
            ("SPDXRef-1", vec!["SPDXRef-21", "SPDXRef-20"]),
        ]
    );
}

#[test]
fn ovmf_firmware_in_both_formats() {
    let Some(base) = shared("data/vuln/sboms/ovmf-uefi-firmware-houdini91/inputs") else {
        return;
    };
    let cdx = read(&base.join("sbom.cdx.json"), &ParseOptions::strict()).unwrap();
    assert_eq!(cdx.spec_version, "1.6");
    assert_eq!(cdx.components.len(), 311);
    let subject = cdx.subject.as_ref().unwrap();
    assert_eq!(subject.name, "Ovmf");
    assert_eq!(subject.kind.as_deref(), Some("firmware"));
    assert_eq!(subject.bom_ref, "edk2-platform");
    assert_eq!(
        subject.cpes,
        ["cpe:2.3:a:tianocore:edk2:edk2-stable202605:*:*:*:*:*:*:*"]
    );
    assert_eq!(
        subject.purl.as_deref(),
        Some("pkg:github/tianocore/edk2@edk2-stable202605")
    );
    assert_eq!(subject.supplier.as_deref(), Some("TianoCore"));
    let acpi = cdx
        .components
        .iter()
        .find(|c| c.name == "AcpiTableDxe")
        .unwrap();
    assert_eq!(acpi.kind.as_deref(), Some("device-driver"));
    assert_eq!(acpi.supplier.as_deref(), Some("TianoCore"));
    assert!(
        acpi.properties
            .contains(&("edk2:moduleType".into(), "DXE_DRIVER".into()))
    );
    assert!(!cdx.dependencies.is_empty());

    let spdx = read(&base.join("sbom.spdx.json"), &ParseOptions::strict()).unwrap();
    assert_eq!(spdx.spec_version, "SPDX-2.3");
    assert_eq!(spdx.components.len(), 310);
    // It DESCRIBES all 310 packages and none holds the others, so there is
    // no single subject, and a warning says so.
    assert_eq!(spdx.subject, None);
    assert_eq!(spdx.warnings.len(), 1, "{:?}", spdx.warnings);
    let acpi = spdx
        .components
        .iter()
        .find(|c| c.name == "AcpiTableDxe")
        .unwrap();
    assert_eq!(acpi.kind.as_deref(), Some("firmware"));
    assert_eq!(acpi.supplier.as_deref(), Some("TianoCore"));
    assert_eq!(acpi.version.as_deref(), Some("1.0"));
    let edges: usize = spdx.dependencies.iter().map(|d| d.depends_on.len()).sum();
    assert_eq!(edges, 2882);
}

#[test]
fn matching_dev_sbom() {
    let Some(p) = shared("eval/matching-dev/dev-sbom.cdx.json") else {
        return;
    };
    let s = read(&p, &ParseOptions::strict()).unwrap();
    assert_eq!(s.format, SbomFormat::CyclonedxJson);
    assert_eq!(s.spec_version, "1.5");
    assert_eq!(s.components.len(), 22);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(
        s.subject.as_ref().map(|c| c.name.as_str()),
        Some("HX-400 Plant Historian Appliance Image")
    );
    let find = |name: &str| s.components.iter().find(|c| c.name == name).unwrap();
    let openssl = find("openssl");
    assert_eq!(openssl.bom_ref, "31a44848-7c51-5707-b952-b02064ccf8a4");
    assert_eq!(openssl.version.as_deref(), Some("0.9.8y"));
    assert_eq!(openssl.purl, None);
    assert_eq!(find("openssh").version.as_deref(), Some("5.3p1"));
    assert_eq!(find("ImageMagick").version.as_deref(), Some("6.9.3-9"));
    assert_eq!(find("MicroLogix 1400").version.as_deref(), Some("15.002"));
    let tomcat = find("tomcat");
    assert_eq!(tomcat.version.as_deref(), Some("7.0.50"));
    assert_eq!(
        tomcat.purl.as_deref(),
        Some("pkg:maven/org.apache.tomcat/tomcat-catalina@7.0.50")
    );
    assert_eq!(
        find("jquery-migrate").purl.as_deref(),
        Some("pkg:npm/jquery-migrate@1.2.1")
    );
    assert_eq!(
        find("requests-toolbelt").purl.as_deref(),
        Some("pkg:pypi/requests-toolbelt@0.6.0")
    );
    assert!(s.components.iter().all(|c| c.cpes.is_empty()));
}
