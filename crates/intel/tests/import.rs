//! End-to-end imports into a real SQLite file: every format, idempotency,
//! replacement by newer records, and bad input that must leave the database
//! byte-for-byte unchanged.

use std::io::Write;
use std::path::{Path, PathBuf};

use kensa_intel::{ImportError, ImportOptions, Location, import_path};
use kensa_store::Store;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

struct Db {
    dir: tempfile::TempDir,
    store: Store,
}

impl Db {
    fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kensa.db")).unwrap();
        Db { dir, store }
    }

    fn import(&mut self, path: &Path) -> Result<kensa_intel::FileReport, ImportError> {
        import_path(&mut self.store, path, &ImportOptions::default())
    }

    fn import_with(
        &mut self,
        path: &Path,
        opts: &ImportOptions<'_>,
    ) -> Result<kensa_intel::FileReport, ImportError> {
        import_path(&mut self.store, path, opts)
    }

    /// The database file's bytes: a failed import must not change one.
    fn bytes(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("kensa.db")).unwrap()
    }

    /// Writes a scratch input file next to the database.
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
        p
    }
}

#[test]
fn every_format_is_detected_from_content_and_imported() {
    let cases: &[(&str, &str, u64)] = &[
        ("nvd/sample.api2.jsonl", "nvd-cve", 20),
        ("nvd/api-page.json", "nvd-api-page", 38),
        ("nvd/overrides.jsonl", "nvd-override", 5),
        // 8 CVE 5 records: one CNA record each plus their ADP containers.
        ("import/vulnrichment.cve5.jsonl", "cve5", 0),
        ("cve5/CVE-2024-40711.json", "cve5", 0),
        ("osv/PYSEC-2020-342.yaml", "osv-yaml", 1),
        ("osv/GHSA-6f9g-cxwr-q5jr.json", "osv-json", 1),
        ("import/osv-dir", "osv-yaml", 3),
        ("kev/known_exploited_vulnerabilities.json", "kev-json", 6),
        ("kev/known_exploited_vulnerabilities.csv", "kev-csv", 6),
        ("epss/epss_scores-2025-11-20.csv", "epss-csv", 0),
        ("csaf/icsa-21-257-15.json", "csaf", 1),
        // Directories: a cvelistV5-like tree, a folder of CSAF advisories.
        ("cve5", "cve5", 0),
        // Seven files, six advisories: BSI-2022-0001 comes as CSAF 2.0 and 2.1.
        ("csaf", "csaf", 6),
    ];
    for (rel, format, inserted) in cases {
        let mut db = Db::new();
        let path = fixture(rel);
        if !path.exists() {
            panic!("fixture {rel} is missing");
        }
        let r = db.import(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(r.formats, vec![*format], "{rel}");
        assert!(r.counts.inserted > 0, "{rel}: nothing inserted");
        if *inserted > 0 {
            assert_eq!(r.counts.inserted, *inserted, "{rel}");
        }
        assert_eq!(r.counts.skipped, 0, "{rel}");
    }
}

#[test]
fn compressed_inputs_import_the_same_records() {
    let mut plain = Db::new();
    plain.import(&fixture("nvd/sample.api2.jsonl")).unwrap();
    let want = plain.store.stats().unwrap();
    for (ext, compression) in [("gz", "gzip"), ("xz", "xz"), ("zst", "zstd")] {
        let mut db = Db::new();
        let r = db
            .import(&fixture(&format!("nvd/sample.api2.jsonl.{ext}")))
            .unwrap();
        assert_eq!(r.compression, compression);
        let got = db.store.stats().unwrap();
        assert_eq!(got.vulnerabilities, want.vulnerabilities, "{ext}");
        assert_eq!(got.cpe_index_entries, want.cpe_index_entries, "{ext}");
        assert_eq!(got.cvss_vectors, want.cvss_vectors, "{ext}");
    }
}

#[test]
fn reimporting_the_same_file_changes_nothing() {
    let mut db = Db::new();
    let first = db.import(&fixture("nvd/sample.api2.jsonl")).unwrap();
    assert_eq!(first.counts.inserted, 20);
    let stats = db.store.stats().unwrap();
    let heartbleed = db.store.vuln("CVE-2014-0160").unwrap().unwrap();
    let again = db.import(&fixture("nvd/sample.api2.jsonl.gz")).unwrap();
    assert_eq!(again.counts.inserted + again.counts.updated, 0);
    assert_eq!(again.counts.unchanged, 20);
    let after = db.store.stats().unwrap();
    assert_eq!(after.vulnerabilities, stats.vulnerabilities);
    assert_eq!(after.cpe_index_entries, stats.cpe_index_entries);
    assert_eq!(after.indexed_documents, stats.indexed_documents);
    let still = db.store.vuln("CVE-2014-0160").unwrap().unwrap();
    assert_eq!(still.records[0].record, heartbleed.records[0].record);
    // The stored record keeps pointing at the import that wrote it.
    assert_eq!(
        still.records[0].imported_from,
        heartbleed.records[0].imported_from
    );
}

/// The Heartbleed line of the sample with its modification time and
/// description replaced.
fn heartbleed_variant(last_modified: &str, text: &str) -> String {
    let line = std::fs::read_to_string(fixture("nvd/sample.api2.jsonl"))
        .unwrap()
        .lines()
        .find(|l| l.contains("\"id\":\"CVE-2014-0160\""))
        .unwrap()
        .to_string();
    let mut v: serde_json::Value = serde_json::from_str(&line).unwrap();
    v["lastModified"] = last_modified.into();
    v["descriptions"] = serde_json::json!([{"lang": "en", "value": text}]);
    v.to_string()
}

#[test]
fn newer_record_replaces_older_and_older_copy_is_stale() {
    let mut db = Db::new();
    let old = db.write(
        "old.jsonl",
        heartbleed_variant("2020-01-01T00:00:00.000", "zebracorn heartbeat").as_bytes(),
    );
    let new = db.write(
        "new.jsonl",
        heartbleed_variant("2024-01-01T00:00:00.000", "quokkafish heartbeat").as_bytes(),
    );
    assert_eq!(db.import(&old).unwrap().counts.inserted, 1);
    assert_eq!(db.import(&new).unwrap().counts.updated, 1);
    let r = db.import(&old).unwrap();
    assert_eq!((r.counts.stale, r.counts.updated), (1, 0));

    let v = db.store.vuln("CVE-2014-0160").unwrap().unwrap();
    assert_eq!(v.records.len(), 1);
    assert_eq!(
        v.records[0].record.descriptions[0].value,
        "quokkafish heartbeat"
    );
    assert_eq!(
        v.records[0].last_modified.as_deref(),
        Some("2024-01-01T00:00:00.000Z")
    );
    // The full-text index follows the replacement.
    assert_eq!(db.store.search("quokkafish", false, 5).unwrap().len(), 1);
    assert!(db.store.search("zebracorn", false, 5).unwrap().is_empty());
    // Index rows are replaced, not duplicated.
    assert_eq!(db.store.stats().unwrap().indexed_documents, 1);
}

#[test]
fn sources_are_kept_apart() {
    let mut db = Db::new();
    db.import(&fixture("import/vulnrichment.cve5.jsonl"))
        .unwrap();
    let stats = db.store.stats().unwrap();
    assert_eq!(stats.records_by_kind["cve5-cna"], 8);
    assert!(stats.records_by_kind["cve5-adp"] >= 8);
    let id = "CVE-2012-5639";
    if let Some(v) = db.store.vuln(id).unwrap() {
        let sources: Vec<&str> = v.records.iter().map(|r| r.source.as_str()).collect();
        assert!(sources.contains(&"cve5-adp:CISA-ADP"), "{sources:?}");
        assert!(
            sources.iter().any(|s| s.starts_with("cve5-cna:")),
            "{sources:?}"
        );
    }
}

/// Imports `input` into a database that already holds the NVD sample and
/// checks that it fails and leaves the file's bytes unchanged.
fn assert_rejected(name: &str, input: &[u8], opts: &ImportOptions<'_>) -> ImportError {
    let mut db = Db::new();
    db.import(&fixture("nvd/sample.api2.jsonl")).unwrap();
    let before = db.bytes();
    let path = db.write(name, input);
    let err = db
        .import_with(&path, opts)
        .expect_err("bad input must fail");
    assert_eq!(err.path(), &path, "the error names the file");
    assert!(
        db.bytes() == before,
        "{name}: database changed by a failed import"
    );
    assert_eq!(db.store.stats().unwrap().vulnerabilities, 20);
    err
}

fn sample_lines() -> Vec<String> {
    std::fs::read_to_string(fixture("nvd/sample.api2.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn truncated_gzip_is_rejected() {
    let gz = std::fs::read(fixture("nvd/sample.api2.jsonl.gz")).unwrap();
    let err = assert_rejected(
        "cut.jsonl.gz",
        &gz[..gz.len() / 2],
        &ImportOptions::default(),
    );
    let msg = err.to_string();
    assert!(msg.contains("truncated gzip"), "{msg}");
}

#[test]
fn invalid_json_names_its_line() {
    let mut lines = sample_lines();
    lines[2] = lines[2][..lines[2].len() / 2].to_string();
    let err = assert_rejected(
        "bad.jsonl",
        lines.join("\n").as_bytes(),
        &ImportOptions::default(),
    );
    match &err {
        ImportError::Record {
            location, error, ..
        } => {
            assert_eq!(location, &Location::Line(3));
            assert!(error.message.contains("JSON"), "{err}");
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("line 3"), "{err}");
}

#[test]
fn missing_required_field_names_line_and_field() {
    let mut lines = sample_lines();
    let mut v: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    v.as_object_mut().unwrap().remove("id");
    lines[1] = v.to_string();
    let err = assert_rejected(
        "noid.jsonl",
        lines.join("\n").as_bytes(),
        &ImportOptions::default(),
    );
    let msg = err.to_string();
    assert!(
        msg.contains("line 2") && msg.contains("missing field `id`"),
        "{msg}"
    );
}

#[test]
fn wrong_field_type_names_the_json_path() {
    let mut lines = sample_lines();
    let mut v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    v["configurations"][0]["nodes"][0]["cpeMatch"][0]["vulnerable"] = "yes".into();
    lines[0] = v.to_string();
    let err = assert_rejected(
        "type.jsonl",
        lines.join("\n").as_bytes(),
        &ImportOptions::default(),
    );
    let msg = err.to_string();
    assert!(
        msg.contains("configurations[0].nodes[0].cpeMatch[0].vulnerable"),
        "{msg}"
    );
}

#[test]
fn unsupported_format_lists_the_supported_ones() {
    let err = assert_rejected(
        "other.json",
        br#"{"hello": "world", "items": [1, 2, 3]}"#,
        &ImportOptions::default(),
    );
    let msg = err.to_string();
    assert!(msg.contains("not a supported"), "{msg}");
    assert!(
        msg.contains("CVE JSON 5") && msg.contains("CSAF 2.0"),
        "{msg}"
    );
    let err = assert_rejected("empty.json", b"", &ImportOptions::default());
    assert!(err.to_string().contains("Supported formats"), "{err}");
}

#[test]
fn oversized_record_is_refused() {
    let opts = ImportOptions {
        max_unit_bytes: 4096,
        ..ImportOptions::default()
    };
    let line = sample_lines()
        .into_iter()
        .find(|l| l.len() > 8192)
        .expect("a sample record over 8 KiB");
    let input = format!("{}\n{line}\n", sample_lines()[19]);
    let err = assert_rejected("big.jsonl", input.as_bytes(), &opts);
    let msg = err.to_string();
    assert!(msg.contains("larger than the limit"), "{msg}");
}

#[test]
fn truncated_document_is_rejected() {
    let page = std::fs::read(fixture("nvd/api-page.json")).unwrap();
    let err = assert_rejected(
        "page.json",
        &page[..page.len() * 2 / 3],
        &ImportOptions::default(),
    );
    assert!(err.to_string().contains("truncated JSON"), "{err}");
}

#[test]
fn bad_element_of_a_streamed_page_names_its_entry() {
    let page = std::fs::read_to_string(fixture("nvd/api-page.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&page).unwrap();
    v["vulnerabilities"][5]["cve"]["metrics"] =
        serde_json::json!({"cvssMetricV31": [{"source": "x"}]});
    let err = assert_rejected(
        "page.json",
        v.to_string().as_bytes(),
        &ImportOptions::default(),
    );
    let msg = err.to_string();
    // A one-line page is read as JSON Lines: one unit holding 38 records.
    assert!(msg.contains("vulnerabilities[5]"), "{msg}");
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let err = assert_rejected("pretty.json", pretty.as_bytes(), &ImportOptions::default());
    assert!(err.to_string().contains("entry 5"), "{err}");
}

#[test]
fn keep_going_skips_bad_records_and_reports_each() {
    let mut lines = sample_lines();
    lines[4] = "{not json".to_string();
    lines[9] = r#"{"id":"NOT-A-CVE","sourceIdentifier":"x"}"#.to_string();
    let mut db = Db::new();
    let path = db.write("mixed.jsonl", lines.join("\n").as_bytes());
    let opts = ImportOptions {
        keep_going: true,
        ..ImportOptions::default()
    };
    let r = db.import_with(&path, &opts).unwrap();
    assert_eq!(r.counts.inserted, 18);
    assert_eq!(r.counts.skipped, 2);
    assert!(r.skipped[0].contains("line 5"), "{:?}", r.skipped);
    assert!(
        r.skipped[1].contains("line 10") && r.skipped[1].contains("NOT-A-CVE"),
        "{:?}",
        r.skipped
    );
}

#[test]
fn directory_imports_members_and_ignores_other_files() {
    let mut db = Db::new();
    let r = db.import(&fixture("import/osv-dir")).unwrap();
    assert_eq!(r.counts.inserted, 3);
    assert_eq!(r.ignored_count, 1);
    assert!(r.ignored[0].ends_with("README.md"), "{:?}", r.ignored);
    // Aliases resolve to the OSV record.
    let ids = db.store.resolve("PYSEC-2018-23").unwrap();
    assert_eq!(ids, vec!["PYSEC-2018-23"]);
}

#[test]
fn bad_member_of_a_directory_rolls_back_the_whole_directory() {
    let db = Db::new();
    let dir = db.dir.path().join("osv");
    std::fs::create_dir(&dir).unwrap();
    for entry in std::fs::read_dir(fixture("import/osv-dir")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        dir.join("zzz-broken.yaml"),
        "id: PYSEC-9999-1\nmodified: [oops\n",
    )
    .unwrap();
    let mut db = db;
    let before = db.bytes();
    let err = db.import(&dir).unwrap_err();
    assert!(err.to_string().contains("zzz-broken.yaml"), "{err}");
    assert!(db.bytes() == before, "database changed");
    assert_eq!(db.store.stats().unwrap().vulnerabilities, 0);
}

#[test]
fn kev_and_epss_attach_to_cves() {
    let mut db = Db::new();
    db.import(&fixture("kev/known_exploited_vulnerabilities.json"))
        .unwrap();
    db.import(&fixture("epss/epss_scores-2025-11-20.csv"))
        .unwrap();
    let stats = db.store.stats().unwrap();
    assert_eq!(stats.kev, 6);
    assert!(stats.epss > 0);
    let kev_id = {
        let text =
            std::fs::read_to_string(fixture("kev/known_exploited_vulnerabilities.json")).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["vulnerabilities"][0]["cveID"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let kev = db.store.kev(&kev_id).unwrap().unwrap();
    assert_eq!(kev.cve_id, kev_id);
    assert_eq!(kev.due_date.len(), 10);
}

#[test]
fn osv_tar_gz_archive_imports_its_members() {
    let db = Db::new();
    let archive = db.dir.path().join("osv.tar.gz");
    {
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&archive).unwrap(),
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        tar.append_dir_all("advisories/pyopenssl", fixture("import/osv-dir"))
            .unwrap();
        tar.into_inner().unwrap().finish().unwrap();
    }
    let mut db = db;
    let r = db.import(&archive).unwrap();
    assert_eq!(r.compression, "gzip");
    assert_eq!(r.formats, vec!["osv-yaml"]);
    assert_eq!(r.counts.inserted, 3);
    assert_eq!(r.ignored_count, 1, "the README in the archive is ignored");
}

#[test]
fn csaf_json_lines_import_each_advisory() {
    let mut db = Db::new();
    let lines: Vec<String> = ["csaf/icsa-21-257-15.json", "csaf/va-24-262-01.json"]
        .iter()
        .map(|f| {
            let v: serde_json::Value =
                serde_json::from_slice(&std::fs::read(fixture(f)).unwrap()).unwrap();
            v.to_string()
        })
        .collect();
    let path = db.write("advisories.jsonl", lines.join("\n").as_bytes());
    let r = db.import(&path).unwrap();
    assert_eq!(r.layout, "json-lines");
    assert_eq!(r.counts.inserted, 2);
    assert_eq!(db.store.stats().unwrap().csaf_documents, 2);
}
