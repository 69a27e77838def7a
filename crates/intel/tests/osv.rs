//! OSV parsing against real records (see fixtures/README.md).

use kensa_intel::osv;
use kensa_model::{OsvEvent, SourceKind, VulnRecord};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/osv/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(name: &str) -> VulnRecord {
    osv::parse_yaml(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn introduced(v: &str) -> OsvEvent {
    OsvEvent {
        introduced: Some(v.into()),
        ..Default::default()
    }
}

fn fixed(v: &str) -> OsvEvent {
    OsvEvent {
        fixed: Some(v.into()),
        ..Default::default()
    }
}

#[test]
fn github_advisory_json() {
    let r = osv::parse_json(&fixture("GHSA-6f9g-cxwr-q5jr.json")).unwrap();
    assert_eq!(r.id, "GHSA-6f9g-cxwr-q5jr");
    assert_eq!(r.source.kind, SourceKind::Osv);
    assert_eq!(r.source.key(), "osv:GitHub");
    assert_eq!(r.aliases, ["CVE-2024-23897"]);
    assert_eq!(r.published.as_deref(), Some("2024-01-24T18:31:02.000Z"));
    assert_eq!(r.last_modified.as_deref(), Some("2024-08-20T18:00:42.000Z"));
    assert_eq!(
        r.title.as_deref(),
        Some("Arbitrary file read vulnerability through the Jenkins CLI can lead to RCE")
    );
    assert_eq!(r.descriptions[0].lang, "en");
    assert!(r.descriptions[0].value.contains("expandAtFiles"));
    assert_eq!(r.status, None);

    let cvss: Vec<(&str, &str)> = r
        .cvss
        .iter()
        .map(|m| (m.version.as_str(), m.vector.as_str()))
        .collect();
    assert_eq!(
        cvss,
        [
            ("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            (
                "4.0",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
            ),
        ]
    );
    assert!(
        r.cvss
            .iter()
            .all(|m| m.base_score.is_none() && m.source == "GitHub")
    );

    let cwes: Vec<&str> = r.weaknesses.iter().map(|w| w.cwe.as_str()).collect();
    assert_eq!(cwes, ["CWE-22", "CWE-27"]);
    assert_eq!(r.weaknesses[0].source, "GitHub");

    assert_eq!(r.references.len(), 9);
    assert_eq!(r.references[2].url, "https://github.com/jenkinsci/jenkins");
    assert_eq!(r.references[2].tags, ["PACKAGE"]);

    // Three affected entries for one Maven package, one range each.
    assert_eq!(r.osv_affected.len(), 3);
    let a = &r.osv_affected[1];
    assert_eq!(a.ecosystem.as_deref(), Some("Maven"));
    assert_eq!(a.name.as_deref(), Some("org.jenkins-ci.main:jenkins-core"));
    assert_eq!(a.purl, None);
    assert_eq!(a.ranges[0].kind, "ECOSYSTEM");
    assert_eq!(a.ranges[0].events, [introduced("2.427"), fixed("2.440.1")]);
    assert_eq!(r.osv_affected[2].versions, ["2.441"]);
}

#[test]
fn pypa_yaml_with_cvss_and_unquoted_timestamps() {
    let r = yaml("PYSEC-2020-342.yaml");
    assert_eq!(r.source.key(), "osv:PyPA");
    assert_eq!(r.aliases, ["CVE-2020-13921"]);
    // Unquoted YAML timestamps are read as text, then normalised.
    assert_eq!(r.last_modified.as_deref(), Some("2023-11-07T20:24:23.946Z"));
    assert_eq!(r.published.as_deref(), Some("2020-08-05T14:15:00.000Z"));
    assert_eq!(r.title, None);
    assert!(
        r.description("en")
            .unwrap()
            .starts_with("**Resolved** Only when using H2/MySQL/TiDB")
    );
    assert_eq!(r.cvss.len(), 1);
    assert_eq!(r.cvss[0].version, "3.1");
    assert_eq!(r.cvss[0].source, "PyPA");

    let a = &r.osv_affected[0];
    assert_eq!(a.purl.as_deref(), Some("pkg:pypi/apache-skywalking"));
    assert_eq!(a.ranges[0].events, [introduced("0")]);
    // Versions such as `1.0.0` stay text, not numbers.
    assert_eq!(a.versions.len(), 10);
    assert_eq!(a.versions.last().map(String::as_str), Some("1.0.1"));
    assert_eq!(r.references[1].tags, ["ARTICLE"]);
}

#[test]
fn pypa_git_and_ecosystem_ranges() {
    let r = yaml("PYSEC-2022-42980.yaml");
    let a = &r.osv_affected[0];
    assert_eq!(a.name.as_deref(), Some("pillow"));
    assert_eq!(a.ranges.len(), 2);
    let git = &a.ranges[0];
    assert_eq!(git.kind, "GIT");
    assert_eq!(
        git.repo.as_deref(),
        Some("https://github.com/python-pillow/Pillow")
    );
    assert_eq!(
        git.events,
        [
            introduced("0"),
            fixed("2444cddab2f83f28687c7c20871574acbb6dbcf3")
        ]
    );
    let eco = &a.ranges[1];
    assert_eq!(
        (eco.kind.as_str(), eco.repo.as_deref()),
        ("ECOSYSTEM", None)
    );
    assert_eq!(eco.events, [introduced("9.2.0"), fixed("9.3.0")]);
    assert_eq!(a.versions, ["9.2.0"]);
    assert!(r.cvss.is_empty() && r.weaknesses.is_empty());
}

#[test]
fn pypa_last_affected_event() {
    let r = yaml("PYSEC-2022-42969.yaml");
    let events = &r.osv_affected[0].ranges[0].events;
    assert_eq!(events[0], introduced("0"));
    assert_eq!(events[1].last_affected.as_deref(), Some("1.11.0"));
    assert_eq!(events[1].fixed, None);
}

#[test]
fn pypa_withdrawn_record() {
    let r = yaml("PYSEC-2023-141.yaml");
    assert_eq!(r.status.as_deref(), Some("WITHDRAWN"));
    assert_eq!(r.notes, ["OSV: withdrawn 2023-08-22T06:23:00.000Z"]);
    assert_eq!(r.aliases, ["CVE-2023-37625"]);
    assert_eq!(
        r.cvss[0].vector,
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N"
    );
}

#[test]
fn errors_in_real_records_name_the_field() {
    let text = String::from_utf8(fixture("PYSEC-2022-42980.yaml")).unwrap();

    // `ranges` as a scalar instead of a list.
    let start = text.find("  ranges:").unwrap();
    let end = text.find("  versions:").unwrap();
    let bad = format!("{}  ranges: none\n{}", &text[..start], &text[end..]);
    let e = osv::parse_yaml(bad.as_bytes()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("affected[0].ranges"), "{e}");
    assert!(e.message.contains("at line 8 column 11"), "{e}");

    let bad = text.replacen("id: PYSEC-2022-42980\n", "", 1);
    let e = osv::parse_yaml(bad.as_bytes()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("id"), "{e}");

    let json = String::from_utf8(fixture("GHSA-6f9g-cxwr-q5jr.json")).unwrap();
    let bad = json.replacen(
        "\"versions\": [\n        \"2.441\"\n      ]",
        "\"versions\": 2.441",
        1,
    );
    assert_ne!(bad, json);
    let e = osv::parse_json(bad.as_bytes()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("affected[2].versions"), "{e}");

    let bad = json.replacen("\"id\": \"GHSA-6f9g-cxwr-q5jr\",", "", 1);
    let e = osv::parse_json(bad.as_bytes()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("id"), "{e}");
}
