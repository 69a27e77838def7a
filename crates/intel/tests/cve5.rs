//! CVE JSON 5 parsing against real records (see fixtures/README.md).

use kensa_intel::cve5;
use kensa_model::{Operator, SourceKind, VulnRecord};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/cve5/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> Vec<VulnRecord> {
    cve5::parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn by_source<'a>(records: &'a [VulnRecord], key: &str) -> &'a VulnRecord {
    records
        .iter()
        .find(|r| r.source.key() == key)
        .unwrap_or_else(|| panic!("no record from {key}"))
}

#[test]
fn one_record_per_container_with_own_provenance() {
    let records = parse("CVE-2018-13379.json");
    let keys: Vec<String> = records.iter().map(|r| r.source.key()).collect();
    assert_eq!(
        keys,
        ["cve5-cna:fortinet", "cve5-adp:CVE", "cve5-adp:CISA-ADP"]
    );
    assert!(records.iter().all(|r| r.id == "CVE-2018-13379"));
    assert!(
        records
            .iter()
            .all(|r| r.status.as_deref() == Some("PUBLISHED"))
    );
    assert!(
        records
            .iter()
            .all(|r| r.published.as_deref() == Some("2019-06-04T20:18:08.000Z"))
    );

    // Each container's own dateUpdated, normalised.
    let cna = by_source(&records, "cve5-cna:fortinet");
    assert_eq!(
        cna.last_modified.as_deref(),
        Some("2021-06-03T10:29:56.000Z")
    );
    assert_eq!(cna.cvss.len(), 1);
    let m = &cna.cvss[0];
    assert_eq!(
        (m.source.as_str(), m.version.as_str(), m.base_score),
        ("fortinet", "3.1", Some(9.1))
    );
    assert_eq!(m.vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:H");
    assert_eq!(m.base_severity.as_deref(), Some("CRITICAL"));
    // The CNA's problem type is free text without a cweId.
    assert!(cna.weaknesses.is_empty());
    assert!(cna.ssvc.is_none() && cna.notes.is_empty());
    assert!(
        cna.description("en")
            .is_some_and(|d| d.contains("SSL VPN web portal"))
    );

    let program = by_source(&records, "cve5-adp:CVE");
    assert_eq!(program.title.as_deref(), Some("CVE Program Container"));
    assert_eq!(program.references.len(), 2);
    assert_eq!(
        program.references[0].url,
        "https://fortiguard.com/advisory/FG-IR-18-384"
    );
    assert_eq!(
        program.references[0].tags,
        ["x_refsource_CONFIRM", "x_transferred"]
    );
    assert_eq!(program.references[0].source, None);
}

#[test]
fn cisa_adp_ssvc_kev_note_and_cwe() {
    let records = parse("CVE-2018-13379.json");
    let cisa = by_source(&records, "cve5-adp:CISA-ADP");
    assert_eq!(cisa.source.kind, SourceKind::Cve5Adp);
    assert_eq!(
        cisa.last_modified.as_deref(),
        Some("2024-10-23T13:32:26.844Z")
    );

    let ssvc = cisa.ssvc.as_ref().expect("SSVC decision points");
    assert_eq!(ssvc.exploitation.as_deref(), Some("active"));
    assert_eq!(ssvc.automatable.as_deref(), Some("yes"));
    assert_eq!(ssvc.technical_impact.as_deref(), Some("partial"));
    assert_eq!(ssvc.role.as_deref(), Some("CISA Coordinator"));
    assert_eq!(ssvc.version.as_deref(), Some("2.0.3"));
    assert_eq!(ssvc.timestamp.as_deref(), Some("2024-10-23T13:32:05.098Z"));

    assert_eq!(
        cisa.notes,
        [
            "CISA KEV: added 2021-11-03, https://www.cisa.gov/known-exploited-vulnerabilities-catalog?search_api_fulltext=CVE-2018-13379"
        ]
    );
    assert_eq!(cisa.weaknesses.len(), 1);
    assert_eq!(cisa.weaknesses[0].cwe, "CWE-22");
    assert_eq!(cisa.weaknesses[0].source, "CISA-ADP");
}

#[test]
fn siemens_less_than_range_cvss4_and_cwe() {
    let records = parse("CVE-2024-41941.json");
    assert_eq!(records.len(), 2);
    let cna = by_source(&records, "cve5-cna:siemens");
    assert_eq!(cna.affected.len(), 1);
    let a = &cna.affected[0];
    assert_eq!(a.vendor.as_deref(), Some("Siemens"));
    assert_eq!(a.product.as_deref(), Some("SINEC NMS"));
    assert_eq!(a.default_status.as_deref(), Some("unknown"));
    let v = &a.versions[0];
    assert_eq!((v.version.as_str(), v.status.as_str()), ("0", "affected"));
    assert_eq!(v.less_than.as_deref(), Some("V3.0"));
    assert_eq!(v.less_than_or_equal, None);
    assert_eq!(v.version_type.as_deref(), Some("custom"));

    let versions: Vec<(&str, Option<f64>)> = cna
        .cvss
        .iter()
        .map(|m| (m.version.as_str(), m.base_score))
        .collect();
    assert_eq!(versions, [("3.1", Some(4.3)), ("4.0", Some(5.3))]);
    assert!(
        cna.cvss[1]
            .vector
            .starts_with("CVSS:4.0/AV:N/AC:L/AT:N/PR:L")
    );
    assert_eq!(cna.weaknesses[0].cwe, "CWE-863");
    assert_eq!(cna.weaknesses[0].source, "siemens");

    let ssvc = by_source(&records, "cve5-adp:CISA-ADP")
        .ssvc
        .as_ref()
        .unwrap();
    assert_eq!(
        (
            ssvc.exploitation.as_deref(),
            ssvc.automatable.as_deref(),
            ssvc.technical_impact.as_deref()
        ),
        (Some("none"), Some("no"), Some("partial"))
    );
}

#[test]
fn adp_cpes_and_less_than_or_equal() {
    let records = parse("CVE-2024-40711.json");
    let cisa = by_source(&records, "cve5-adp:CISA-ADP");
    // CISA keeps the CPE escaping of `&`.
    let cpe = r"cpe:2.3:a:veeam:backup_\&_replication:*:*:*:*:*:*:*:*";
    assert_eq!(cisa.cpes, [cpe]);
    assert_eq!(cisa.affected[0].cpes, [cpe]);
    let v = &cisa.affected[0].versions[0];
    assert_eq!(v.version, "12");
    assert_eq!(v.less_than_or_equal.as_deref(), Some("12.1.2.172"));
    assert_eq!(cisa.weaknesses[0].cwe, "CWE-502");
    assert_eq!(
        cisa.notes,
        [
            "CISA KEV: added 2024-10-17, https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
        ]
    );

    let cna = by_source(&records, "cve5-cna:hackerone");
    assert_eq!(cna.cvss[0].version, "3.0");
    assert_eq!(cna.cvss[0].base_score, Some(9.8));
    assert!(cna.cpes.is_empty());
}

#[test]
fn package_collection_platforms_and_modules() {
    let records = parse("CVE-2021-33634.json");
    let cna = by_source(&records, "cve5-cna:openEuler");
    assert_eq!(
        cna.title.as_deref(),
        Some("Malicious image running containers may cause DoS attacks")
    );
    let a = &cna.affected[0];
    assert_eq!(a.package_name.as_deref(), Some("lcr"));
    assert_eq!(
        a.collection_url.as_deref(),
        Some("https://gitee.com/src-openeuler")
    );
    assert_eq!(a.platforms, ["Linux"]);
    assert_eq!(a.modules, ["runtime"]);
    assert_eq!(a.default_status.as_deref(), Some("unaffected"));
    assert_eq!(a.versions[0].version_type.as_deref(), Some("patch"));
    assert_eq!(
        a.versions[0].less_than_or_equal.as_deref(),
        Some("2.0.9-6,2.1.2-3")
    );
    assert_eq!(cna.weaknesses[0].cwe, "CWE-665");
}

#[test]
fn rejected_record_keeps_its_reason() {
    // A dataVersion 5.0 record.
    let records = parse("CVE-2024-2957.json");
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.source.key(), "cve5-cna:Wordfence");
    assert_eq!(r.status.as_deref(), Some("REJECTED"));
    assert_eq!(
        r.description("en"),
        Some("**DUPLICATE*** Please use CVE-2024-1983 instead.")
    );
    assert_eq!(r.last_modified.as_deref(), Some("2024-04-24T15:13:32.611Z"));
    assert!(r.affected.is_empty() && r.cvss.is_empty());
}

#[test]
fn cna_without_short_name_falls_back_to_org_id() {
    let records = parse("CVE-2022-41802.json");
    let cna = &records[0];
    assert_eq!(cna.source.kind, SourceKind::Cve5Cna);
    assert_eq!(cna.source.name, "0cf5dd6e-1214-4398-a481-30441e48fafd");
    assert_eq!(cna.cvss[0].source, "0cf5dd6e-1214-4398-a481-30441e48fafd");
    // An integer baseScore (`4`) reads as a number.
    assert_eq!(cna.cvss[0].base_score, Some(4.0));
    // Microseconds are cut to milliseconds.
    assert_eq!(
        cna.last_modified.as_deref(),
        Some("2024-07-15T00:27:54.327Z")
    );
}

#[test]
fn cpe_applicability_becomes_configurations() {
    let records = parse("CVE-2025-38008.json");
    assert_eq!(records.len(), 1, "no ADP containers in this record");
    let cna = &records[0];
    assert_eq!(cna.source.key(), "cve5-cna:Linux");
    assert_eq!(cna.configurations.len(), 1);
    let cfg = &cna.configurations[0];
    assert_eq!(cfg.operator(), Operator::Or);
    let matches = &cfg.nodes[0].cpe_match;
    assert_eq!(matches.len(), 4);
    assert!(
        matches
            .iter()
            .all(|m| m.vulnerable && m.criteria == "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*")
    );
    assert_eq!(matches[0].bounds_text(), ">= 6.5, < 6.6.92");
    assert_eq!(matches[3].version_end_excluding.as_deref(), Some("6.15"));

    // The git-range and semver-range affected entries both survive.
    assert_eq!(cna.affected.len(), 2);
    assert_eq!(
        cna.affected[0].versions[0].version_type.as_deref(),
        Some("git")
    );
    let v = &cna.affected[1].versions[2];
    assert_eq!(
        (
            v.version.as_str(),
            v.status.as_str(),
            v.less_than_or_equal.as_deref()
        ),
        ("6.6.92", "unaffected", Some("6.6.*"))
    );
}

#[test]
fn errors_in_real_records_name_the_field() {
    let text = String::from_utf8(fixture("CVE-2018-13379.json")).unwrap();

    let bad = text.replacen("\"baseScore\": 9.1", "\"baseScore\": \"high\"", 1);
    assert_ne!(bad, text);
    let e = cve5::parse(bad.as_bytes()).unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("containers.cna.metrics[0].cvssV3_1.baseScore"),
        "{e}"
    );

    let e = cve5::parse(&text.as_bytes()[..text.len() / 2]).unwrap_err();
    assert!(e.message.starts_with("truncated JSON"), "{e}");

    let bad = text.replacen("\"cveMetadata\"", "\"cveMetadataX\"", 1);
    let e = cve5::parse(bad.as_bytes()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("cveMetadata"), "{e}");
}

/// A database from before the `affected_names` index (migration 3) and the
/// version screens (migration 4) gets both filled from the records it
/// already holds when it is opened, exactly as an import fills them.
#[test]
fn upgrading_a_database_indexes_stored_names_and_screens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let demo_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
    let count = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM affected_names", [], |r| r.get(0))
            .unwrap()
    };
    type Screens = Vec<(String, String, i64, Option<Vec<u8>>)>;
    let screens = |conn: &rusqlite::Connection| -> Screens {
        conn.prepare("SELECT vendor, product, record_id, screen FROM cpe_index ORDER BY 1, 2, 3")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    {
        let mut store = kensa_store::Store::open(&path).unwrap();
        for file in ["vulnrichment-demo.cve5.jsonl.gz", "nvd-demo.api2.jsonl.gz"] {
            kensa_intel::import_path(
                &mut store,
                &demo_dir.join(file),
                &kensa_intel::ImportOptions::default(),
            )
            .unwrap();
        }
    }
    let (indexed, screened) = {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let before = (count(&conn), screens(&conn));
        // Back to the schema before both.
        conn.execute_batch(
            "DROP TABLE cra_submissions; DROP TABLE cra_cases; DROP TABLE product_market;
             DROP TABLE product_names; DROP TABLE affected_names;
             ALTER TABLE cpe_index DROP COLUMN screen;
             DROP TABLE teams; DROP TABLE users; DROP TABLE grants; DROP TABLE tokens;
             DROP TABLE sessions; DROP TABLE assessments; DROP TABLE assessment_history;
             DROP TABLE audit; DROP TABLE jobs; DROP TABLE vuln_triage;
             ALTER TABLE products DROP COLUMN team_id; DROP TABLE source_summary;
             DROP TABLE ot_alerts; DROP TABLE name_mappings; DROP TABLE name_mapping_sources;
             DROP TABLE component_aliases; DROP TABLE leases; DROP TABLE version_inputs;
             DROP TABLE webhook_deliveries; DROP TABLE webhook_events; DROP TABLE webhooks;
             PRAGMA user_version = 2;",
        )
        .unwrap();
        before
    };
    assert!(indexed > 0);
    let kinds = |s: &Screens| {
        (
            s.iter().filter(|r| r.3.is_none()).count(),
            s.iter()
                .filter(|r| r.3.as_ref().is_some_and(|b| b.is_empty()))
                .count(),
            s.iter()
                .filter(|r| r.3.as_ref().is_some_and(|b| !b.is_empty()))
                .count(),
        )
    };
    let (unscreened, platform_only, screened_rows) = kinds(&screened);
    assert!(
        unscreened > 0 && platform_only > 0 && screened_rows > 0,
        "the demo data has every kind of screen: {:?}",
        kinds(&screened)
    );
    drop(kensa_store::Store::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(count(&conn), indexed);
    assert_eq!(screens(&conn), screened);
}
